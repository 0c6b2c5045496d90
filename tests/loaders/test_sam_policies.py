"""pyiamguard.loaders.sam_policies: SAM policy templates expanded from SAM's own definitions."""
from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest

from pyiamguard.loaders.sam_policies import TEMPLATES_PATH, Expanded, expand, templates


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        if set(node) == {"Ref"} and isinstance(node["Ref"], str):
            return {node["Ref"]}
        return set().union(*(_refs(v) for v in node.values())) if node else set()
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node)) if node else set()
    return set()


def test_the_vendored_file_is_the_one_its_readme_names() -> None:
    readme = (TEMPLATES_PATH.parent / "README.md").read_text(encoding="utf-8")
    digest = re.search(r"sha256\s+([0-9a-f]{64})", readme)
    assert digest is not None
    assert hashlib.sha256(TEMPLATES_PATH.read_bytes()).hexdigest() == digest.group(1)
    assert "Apache License" in (TEMPLATES_PATH.parent / "LICENSE").read_text(encoding="utf-8")


def test_every_template_refers_only_to_its_parameters_and_pseudo_parameters() -> None:
    assert len(templates()) == 81
    for name, template in templates().items():
        refs = _refs(template["Definition"])
        assert refs <= set(template["Parameters"]) | {"AWS::Region", "AWS::AccountId", "AWS::Partition"}, name


def test_a_template_gets_the_values_given_in_place_of_its_parameters() -> None:
    assert expand("SQSPollerPolicy", {"QueueName": {"Fn::GetAtt": ["Q", "QueueName"]}}) == Expanded({"Statement": [{
        "Effect": "Allow",
        "Action": ["sqs:ChangeMessageVisibility", "sqs:ChangeMessageVisibilityBatch", "sqs:DeleteMessage",
                   "sqs:DeleteMessageBatch", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"],
        "Resource": {"Fn::Sub": ["arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${queueName}",
                                 {"queueName": {"Fn::GetAtt": ["Q", "QueueName"]}}]}}]})


def test_only_the_templates_own_parameters_are_substituted() -> None:
    # An extra value never replaces a Ref of the definition to something else.
    assert expand("AMIDescribePolicy", {"AWS::Partition": "evil"}).document == templates()["AMIDescribePolicy"]["Definition"]


@pytest.mark.parametrize(
    ("name", "values", "reason"),
    [
        ("S3ReedPolicy", {"BucketName": "b"}, "S3ReedPolicy is not a SAM policy template (SAM rejects the function): "
                                              "not evaluated"),
        ("S3ReadPolicy", "b", "SAM policy template S3ReadPolicy needs a mapping of parameter values: not evaluated"),
        ("KMSDecryptPolicy", {}, "SAM policy template KMSDecryptPolicy lacks KeyId (SAM rejects the function): "
                                 "not evaluated"),
    ],
)
def test_what_sam_would_reject_is_not_expanded_and_says_why(name: str, values: Any, reason: str) -> None:
    assert expand(name, values) == Expanded(reason=reason)
