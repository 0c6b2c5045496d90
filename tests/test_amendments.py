"""The rule catalogue's definitions and "Amendments (December 2026)" on every input kind.

Each case is one trust policy (or one identity policy) written three ways: a raw IAM document
(or an account dump when the role's account matters), a CloudFormation template and a
Terraform plan. The same rules must fire on the same principal or resource in all three.
The Rego tests beside each rule pin the verdicts on the normalized model; these pin that
every loader hands the rules what they need for them.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pyiamguard import scan
from pyiamguard.config import config_from_mapping

OWN = "111122223333"
PARTNER = "444455556666"
SECURITY = "777788889999"


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(principal: Any, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    return {**statement, "Condition": condition} if condition else statement


def _deny(principal: Any, condition: dict[str, Any]) -> dict[str, Any]:
    return {"Effect": "Deny", "Principal": principal, "Action": "sts:AssumeRole", "Condition": condition}


def _dump(path: Path, trust: dict[str, Any]) -> Path:
    role = {"RoleName": "partner", "Arn": f"arn:aws:iam::{OWN}:role/partner", "AssumeRolePolicyDocument": trust,
            "RolePolicyList": [], "AttachedManagedPolicies": []}
    path.write_text(json.dumps({"RoleDetailList": [role], "UserDetailList": [], "GroupDetailList": [],
                                "Policies": []}, indent=2), encoding="utf-8")
    return path


def _template(path: Path, resources: dict[str, Any]) -> Path:
    path.write_text(json.dumps({"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}, indent=2),
                    encoding="utf-8")
    return path


def _plan(path: Path, resource_type: str, name: str, after: dict[str, Any]) -> Path:
    """A `terraform show -json` plan of one resource under a provider whose caller identity is OWN."""
    address = f"{resource_type}.{name}"
    plan = {
        "format_version": "1.2", "terraform_version": "1.9.5",
        "resource_changes": [{"address": address, "mode": "managed", "type": resource_type, "name": name,
                              "provider_name": "registry.terraform.io/hashicorp/aws",
                              "change": {"actions": ["create"], "before": None, "after": after,
                                         "after_unknown": {"id": True, "arn": True}}}],
        "prior_state": {"values": {"root_module": {"resources": [{
            "address": "data.aws_caller_identity.current", "mode": "data", "type": "aws_caller_identity",
            "name": "current", "provider_name": "registry.terraform.io/hashicorp/aws",
            "values": {"account_id": OWN, "id": OWN}, "sensitive_values": {}}]}}},
        "configuration": {"provider_config": {"aws": {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws"}},
                          "root_module": {"resources": [{"address": address, "mode": "managed", "type": resource_type,
                                                         "name": name, "provider_config_key": "aws",
                                                         "expressions": {}}]}},
    }
    path.write_text(json.dumps(plan, indent=2), encoding="utf-8")
    return path


def _trust_in_every_kind(tmp_path: Path, trust: dict[str, Any]) -> dict[str, Path]:
    return {
        "dump": _dump(tmp_path / "dump.json", trust),
        "cloudformation": _template(tmp_path / "template.json", {"PartnerRole": {
            "Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": trust}}}),
        "terraform": _plan(tmp_path / "plan.json", "aws_iam_role", "partner",
                           {"name": "partner", "path": "/", "assume_role_policy": json.dumps(trust)}),
    }


def _rules(path: Path, config: dict[str, Any]) -> list[tuple[str, str, str]]:
    report = scan([path], config_from_mapping(config))
    assert report.errors == ()
    # The path from the statement on: the same node in every kind's own layout.
    return sorted((v.rule_id, v.severity.value, v.path[v.path.index("Statement["):]) for v in report.violations)


TRUST_CASES = [
    # Your accounts: an internal account needs no ExternalId and is never untrusted, but it is
    # still another account for MFA (people) and for whole-account trust (MEDIUM, not LOW).
    pytest.param(_policy(_allow({"AWS": f"arn:aws:iam::{SECURITY}:root"})),
                 {"own_accounts": [OWN], "internal_accounts": [SECURITY]},
                 [("IAMG-104", "MEDIUM", "Statement[0].Principal.AWS"), ("IAMG-105", "MEDIUM", "Statement[0].Principal.AWS")],
                 id="internal-account-is-yours"),
    # Effective principals: a Deny of every account but yours removes the named partner.
    pytest.param(_policy(_allow({"AWS": f"arn:aws:iam::{PARTNER}:root"}),
                         _deny("*", {"StringNotEquals": {"aws:PrincipalAccount": [OWN, SECURITY]}})),
                 {"own_accounts": [OWN]}, [], id="deny-outside-your-accounts-removes-a-named-principal"),
    # The same Deny that spares the partner's account leaves it in.
    pytest.param(_policy(_allow({"AWS": f"arn:aws:iam::{PARTNER}:root"}, {"StringEquals": {"sts:ExternalId": "x1"}}),
                         _deny("*", {"StringNotEquals": {"aws:PrincipalAccount": [OWN, PARTNER]}})),
                 {"own_accounts": [OWN]},
                 [("IAMG-102", "HIGH", "Statement[0].Principal.AWS"), ("IAMG-105", "MEDIUM", "Statement[0].Principal.AWS")],
                 id="deny-sparing-the-partner-keeps-it"),
    # Named principal: aws:PrincipalArn naming one role narrows a whole account; role/* does not.
    pytest.param(_policy(_allow({"AWS": f"arn:aws:iam::{PARTNER}:root"}, {
        "StringEquals": {"sts:ExternalId": "x1"}, "ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{PARTNER}:role/sync"}})),
                 {"own_accounts": [OWN], "trusted_accounts": [PARTNER]}, [], id="named-principal-arn-narrows"),
    pytest.param(_policy(_allow({"AWS": f"arn:aws:iam::{PARTNER}:root"}, {
        "StringEquals": {"sts:ExternalId": "x1"}, "ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{PARTNER}:role/*"}})),
                 {"own_accounts": [OWN], "trusted_accounts": [PARTNER]},
                 [("IAMG-105", "MEDIUM", "Statement[0].Principal.AWS")], id="every-role-narrows-nothing"),
    # IAMG-112: MFA demanded of a service principal.
    pytest.param(_policy(_allow({"Service": "lambda.amazonaws.com"}, {"Bool": {"aws:MultiFactorAuthPresent": "true"}})),
                 {"own_accounts": [OWN]},
                 [("IAMG-112", "LOW", "Statement[0].Condition.Bool['aws:MultiFactorAuthPresent']")], id="unsatisfiable-mfa-on-a-service"),
]


@pytest.mark.parametrize(("trust", "config", "expected"), TRUST_CASES)
@pytest.mark.parametrize("kind", ["dump", "cloudformation", "terraform"])
def test_the_amended_trust_semantics_hold_on_every_input_kind(tmp_path: Path, kind: str, trust: dict[str, Any],
                                                              config: dict[str, Any],
                                                              expected: list[tuple[str, str, str]]) -> None:
    assert _rules(_trust_in_every_kind(tmp_path, trust)[kind], config) == expected


def _identity_in_every_kind(tmp_path: Path, document: dict[str, Any]) -> dict[str, Path]:
    return {
        "raw": _write(tmp_path / "policy.json", document),
        "cloudformation": _template(tmp_path / "template.json", {"DeployPolicy": {
            "Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": document}}}),
        "terraform": _plan(tmp_path / "plan.json", "aws_iam_policy", "deploy",
                           {"name": "deploy", "path": "/", "policy": json.dumps(document)}),
    }


def _write(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


IDENTITY_CASES = [
    # IAMG-304: one named role in every account is the pipeline pattern; every role of any
    # account, admin rights, and "*" confined to one account's roles all fire.
    pytest.param(_policy({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::*:role/deployer"}),
                 [], id="named-role-in-any-account"),
    pytest.param(_policy({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::*:role/*"}),
                 [("IAMG-304", "HIGH", "Statement[0].Resource")], id="every-role-of-any-account"),
    pytest.param(_policy({"Effect": "Allow", "Action": "*", "Resource": "*"}),
                 [("IAMG-304", "HIGH", "Statement[0].Resource")], id="admin-is-an-assume-grant"),
    pytest.param(_policy({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*",
                          "Condition": {"StringEquals": {"aws:ResourceAccount": PARTNER}}}),
                 [("IAMG-304", "HIGH", "Statement[0].Resource")], id="star-confined-to-one-account"),
]


@pytest.mark.parametrize(("document", "expected"), IDENTITY_CASES)
@pytest.mark.parametrize("kind", ["raw", "cloudformation", "terraform"])
def test_the_amended_assume_grant_semantics_hold_on_every_input_kind(tmp_path: Path, kind: str,
                                                                     document: dict[str, Any],
                                                                     expected: list[tuple[str, str, str]]) -> None:
    assert _rules(_identity_in_every_kind(tmp_path, document)[kind], {"own_accounts": [OWN]}) == expected


def test_an_external_id_supplied_at_deployment_restricts_on_templates_and_raw_documents(tmp_path: Path) -> None:
    # `StringEquals sts:ExternalId: !Ref ExternalId` without a default (the vendor onboarding
    # pattern), and a raw document's `${external_id}` placeholder. A Terraform variable is known
    # in the plan, so a plan never holds this case.
    config = {"own_accounts": [OWN], "trusted_accounts": [PARTNER]}
    template = {"AWSTemplateFormatVersion": "2010-09-09", "Parameters": {"ExternalId": {"Type": "String"}},
                "Resources": {"PartnerRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": _policy(
                    _allow({"AWS": f"arn:aws:iam::{PARTNER}:role/sync"},
                           {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}}))}}}}
    raw = _policy(_allow({"AWS": f"arn:aws:iam::{PARTNER}:role/sync"}, {"StringEquals": {"sts:ExternalId": "${external_id}"}}))
    assert _rules(_write(tmp_path / "template.json", template), config) == []
    assert _rules(_write(tmp_path / "trust.json", raw), config) == []
    # Under StringEqualsIfExists its value decides whether it restricts: IAMG-001 and IAMG-108.
    template["Resources"]["PartnerRole"]["Properties"]["AssumeRolePolicyDocument"] = _policy(_allow(
        {"AWS": f"arn:aws:iam::{PARTNER}:role/sync"}, {"StringEqualsIfExists": {"sts:ExternalId": {"Ref": "ExternalId"}}}))
    assert [rule for rule, _, _ in _rules(_write(tmp_path / "weak.json", template), config)] == [
        "IAMG-001", "IAMG-103", "IAMG-108"]
