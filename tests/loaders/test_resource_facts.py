"""The `resource` section end to end: a custom rule reads each format's resource facts.

The loaders' own tests pin the section of each format; here a custom Rego rule sees them
through the scanner, for a plan, a template, a dump and a raw document scanned together, and
documents that differ only in their resource (which built-in rules never read) are judged each
on its own facts.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from pyiamguard.config import Config
from pyiamguard.scanner import scan

OWNER_RULE = """\
# METADATA
# title: Roles carry an Owner tag
# description: Every role names its owner in an Owner tag.
# custom:
#   id: ORG-001
#   severity: LOW
#   remediation: Tag the role with Owner.
#   message: "{resource} ({kind}, {format}) has no Owner tag"
package org.owner_tag

import rego.v1

import data.pyiamguard.lib.result

roles := {"aws_iam_role", "AWS::IAM::Role", "AWS::Serverless::Function", "role", "policy_document"}

deny contains result.finding("", {"kind": input.resource.kind, "format": input.resource.format}) if {
	input.kind == "trust"
	input.resource.kind in roles
	not input.resource.tags.Owner
	not "tags" in input.resource.unresolved
}
"""

TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def _change(address: str, tags: object, unknown: dict[str, object] | None = None) -> dict[str, object]:
    return {"address": address, "mode": "managed", "type": "aws_iam_role", "name": address.split(".")[-1],
            "change": {"actions": ["create"], "before": None,
                       "after": {"name": address.split(".")[-1], "path": "/", "assume_role_policy": json.dumps(TRUST),
                                 "tags": tags, "tags_all": tags},
                       "after_unknown": unknown or {}}}


TEMPLATE = """\
Resources:
  Owned:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: sts:AssumeRole}]
      Tags: [{Key: Owner, Value: !ImportValue team-owner}]
  Orphan:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: sts:AssumeRole}]
      Tags: [{Key: Team, Value: data}]
"""


def test_a_custom_rule_reads_the_resource_facts_of_every_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    rules = tmp_path / "rules" / "owner"
    rules.mkdir(parents=True)
    (rules / "policy.rego").write_text(OWNER_RULE, encoding="utf-8")
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    plan = {"format_version": "1.2", "resource_changes": [
        _change("aws_iam_role.owned", {"Owner": "ops"}),
        _change("aws_iam_role.orphan", {"Team": "data"}),
        _change("aws_iam_role.unknown", None, {"tags": True, "tags_all": True}),  # `tags = var.tags`
    ]}
    (inputs / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    (inputs / "template.yaml").write_text(TEMPLATE, encoding="utf-8")
    # Two roles that differ only in their tags: the same document for the built-in rules.
    roles = [{"RoleName": name, "Path": "/", "AssumeRolePolicyDocument": TRUST, "Tags": tags}
             for name, tags in (("owned", [{"Key": "Owner", "Value": "ops"}]), ("orphan", []))]
    (inputs / "dump.json").write_text(json.dumps({"RoleDetailList": roles}), encoding="utf-8")
    (inputs / "trust.json").write_text(json.dumps(TRUST), encoding="utf-8")

    report = scan(["inputs"], Config(policy_dirs=["rules"]))
    assert report.errors == ()
    assert sorted((v.file, v.resource, v.message) for v in report.violations if v.rule_id == "ORG-001") == [
        ("inputs/dump.json", "orphan", "orphan (role, aws_cli) has no Owner tag"),
        ("inputs/plan.json", "aws_iam_role.orphan", "aws_iam_role.orphan (aws_iam_role, terraform_plan) has no Owner tag"),
        ("inputs/template.yaml", "Orphan", "Orphan (AWS::IAM::Role, cloudformation) has no Owner tag"),
        ("inputs/trust.json", "trust.json", "trust.json (policy_document, iam_document) has no Owner tag"),
    ]
