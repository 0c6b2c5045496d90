"""Public templates that once went wrong, scanned whole (sources in fixtures/realworld/SOURCES.md)."""
from __future__ import annotations

from pathlib import Path

from pyiamguard import scan

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "realworld"


def test_an_aws_quick_start_with_rule_functions_loads_and_is_judged_as_iam_would() -> None:
    # Its `Rules:` section uses !Contains and !EachMemberEquals: the whole template once failed as
    # "unsupported YAML tag" and no role was checked. Databricks' accounts are untrusted (not
    # in trusted_accounts) and one is trusted as a whole account; `sts:ExternalId: !Ref
    # AccountId` (no default) is a restricting ExternalId, so no IAMG-103 and no IAMG-001; the
    # Lambda role holds IAMFullAccess.
    report = scan([FIXTURES / "databricks-trial.template.yaml"])
    assert report.errors == ()
    trust = "$.Resources.{}.Properties.AssumeRolePolicyDocument.Statement[{}].Principal.AWS"
    assert [(v.rule_id, v.resource, v.line, v.path) for v in report.violations] == [
        ("IAMG-102", "DefaultInstanceProfileRole", 594, trust.format("DefaultInstanceProfileRole", 1) + "[0]"),
        ("IAMG-102", "accessRoleDBManagedVPC", 647, trust.format("accessRoleDBManagedVPC", 0)),
        ("IAMG-105", "accessRoleDBManagedVPC", 647, trust.format("accessRoleDBManagedVPC", 0)),
        ("IAMG-303", "functionRole", 944, "$.Resources.functionRole.Properties.ManagedPolicyArns[1]"),
    ]
