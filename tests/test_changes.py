"""Change-aware scans of Terraform plans: each finding against the state the plan starts from.

Every plan here is written out resource by resource (`before` and `after` as `terraform show
-json` gives them), and every test names the exact findings, statuses and role changes.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pyiamguard import Config, Scanner
from pyiamguard.model import CHANGED, EXISTING, NEW, RESOLVED

OWN = "111111111111"
PARTNER = "222222222222"
STRANGER = "999988887777"
EXTERNAL_ID = {"StringEquals": {"sts:ExternalId": "partner-7f3a"}}
MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def trust(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(*accounts: str, condition: dict[str, Any] | None = None, sid: str | None = None) -> dict[str, Any]:
    principals = [a if a == "*" else f"arn:aws:iam::{a}:root" for a in accounts]
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": principals[0] if len(principals) == 1
                                                                  else principals}, "Action": "sts:AssumeRole"}
    if sid:
        statement["Sid"] = sid
    if condition:
        statement["Condition"] = condition
    return statement


def role(name: str, policy: str | None, *, created: bool = False) -> dict[str, Any]:
    values: dict[str, Any] = {"name": name, "path": "/", "assume_role_policy": policy, "max_session_duration": 3600,
                              "managed_policy_arns": [], "inline_policy": [], "permissions_boundary": None,
                              "tags": {}, "description": ""}
    if not created:
        values["arn"] = f"arn:aws:iam::{OWN}:role/{name}"
    return values


class Plan:
    """A plan written change by change."""

    def __init__(self) -> None:
        self.changes: list[dict[str, Any]] = []

    def change(self, address: str, actions: list[str], before: dict[str, Any] | None, after: dict[str, Any] | None,
               unknown: dict[str, Any] | None = None) -> "Plan":
        kind, name = address.split(".")
        self.changes.append({
            "address": address, "mode": "managed", "type": kind, "name": name,
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {"actions": actions, "before": before, "after": after, "after_unknown": unknown or {},
                       "before_sensitive": {} if before is not None else False,
                       "after_sensitive": {} if after is not None else False}})
        return self

    def same(self, address: str, values: dict[str, Any]) -> "Plan":
        return self.change(address, ["no-op"], values, values)

    def update(self, address: str, before: dict[str, Any], after: dict[str, Any],
               unknown: dict[str, Any] | None = None) -> "Plan":
        return self.change(address, ["update"], before, after, unknown)

    def create(self, address: str, after: dict[str, Any], unknown: dict[str, Any] | None = None) -> "Plan":
        return self.change(address, ["create"], None, after, {"arn": True, "id": True, **(unknown or {})})

    def delete(self, address: str, before: dict[str, Any]) -> "Plan":
        return self.change(address, ["delete"], before, None)

    def replace(self, address: str, before: dict[str, Any], after: dict[str, Any]) -> "Plan":
        return self.change(address, ["delete", "create"], before, after, {"arn": True, "id": True})

    def write(self, path: Path, *, prior_state: bool = True) -> Path:
        document: dict[str, Any] = {"format_version": "1.2", "terraform_version": "1.11.0",
                                    "resource_changes": self.changes,
                                    "configuration": {"provider_config": {"aws": {"name": "aws"}}, "root_module": {}}}
        if prior_state:
            document["prior_state"] = {"format_version": "1.0", "terraform_version": "1.11.0",
                                       "values": {"root_module": {"resources": []}}}
        path.write_text(json.dumps(document, indent=2), encoding="utf-8")
        return path


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return Scanner(Config(own_accounts=[OWN], trusted_accounts=[PARTNER]))


def statuses(report: Any) -> list[tuple[str | None, str, str]]:
    return sorted((v.change, v.rule_id, v.resource) for v in report.violations)


def resolved(report: Any) -> list[tuple[str, str, str]]:
    return sorted((v.rule_id, v.resource, v.path) for v in report.resolved)


def role_changes(report: Any) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(c.resource, c.status, c.details) for c in report.changes]


def test_a_plan_that_only_creates_has_every_finding_new(scanner: Scanner, tmp_path: Path) -> None:
    plan = Plan().create("aws_iam_role.vendor", role("vendor", trust(allow(STRANGER)), created=True))
    report = scanner.scan(plan.write(tmp_path / "plan.json", prior_state=False))
    assert statuses(report) == [(NEW, "IAMG-102", "aws_iam_role.vendor"), (NEW, "IAMG-103", "aws_iam_role.vendor"),
                                (NEW, "IAMG-104", "aws_iam_role.vendor"), (NEW, "IAMG-105", "aws_iam_role.vendor")]
    assert report.resolved == ()
    assert report.compared == ((str(tmp_path / "plan.json"), "nothing: the plan starts from an empty state"),)
    assert role_changes(report) == [("aws_iam_role.vendor", "created", (
        "created", f"account {STRANGER} (not allow-listed) can assume it, without ExternalId, without MFA"))]


def test_trust_widened_to_a_foreign_account_is_new_and_the_rest_existing(scanner: Scanner, tmp_path: Path) -> None:
    before = role("deployer", trust(allow(PARTNER, condition=EXTERNAL_ID)))
    after = role("deployer", trust(allow(PARTNER, condition=EXTERNAL_ID), allow(STRANGER)))
    report = scanner.scan(Plan().update("aws_iam_role.deployer", before, after).write(tmp_path / "plan.json"))
    assert statuses(report) == [
        (EXISTING, "IAMG-105", "aws_iam_role.deployer"),
        (NEW, "IAMG-102", "aws_iam_role.deployer"), (NEW, "IAMG-103", "aws_iam_role.deployer"),
        (NEW, "IAMG-104", "aws_iam_role.deployer"), (NEW, "IAMG-105", "aws_iam_role.deployer")]
    new = {v.rule_id: v for v in report.violations if v.change == NEW}
    assert new["IAMG-103"].path == "$.resource_changes[0].change.after.assume_role_policy.Statement[1].Principal.AWS"
    assert STRANGER in new["IAMG-103"].message
    assert report.resolved == ()
    assert role_changes(report) == [("aws_iam_role.deployer", "updated", (
        f"account {STRANGER} (not allow-listed) can now assume it, without ExternalId, without MFA",))]
    assert report.changes[0].severity is not None and report.changes[0].severity.value == "HIGH"


def test_trust_narrowed_resolves_the_findings_of_the_removed_account(scanner: Scanner, tmp_path: Path) -> None:
    before = role("deployer", trust(allow(PARTNER, condition=EXTERNAL_ID), allow(STRANGER)))
    after = role("deployer", trust(allow(PARTNER, condition=EXTERNAL_ID)))
    report = scanner.scan(Plan().update("aws_iam_role.deployer", before, after).write(tmp_path / "plan.json"))
    assert statuses(report) == [(EXISTING, "IAMG-105", "aws_iam_role.deployer")]
    before_path = "$.resource_changes[0].change.before.assume_role_policy.Statement[1].Principal.AWS"
    assert resolved(report) == [(rule, "aws_iam_role.deployer", before_path)
                                for rule in ("IAMG-102", "IAMG-103", "IAMG-104", "IAMG-105")]
    assert all(v.change == RESOLVED and v.line is not None for v in report.resolved)
    assert role_changes(report) == [("aws_iam_role.deployer", "updated", (f"account {STRANGER} can no longer assume it",))]


def test_a_removed_condition_is_said_and_its_finding_is_new(scanner: Scanner, tmp_path: Path) -> None:
    before = role("vendor", trust(allow(STRANGER, condition={**EXTERNAL_ID, **MFA})))
    after = role("vendor", trust(allow(STRANGER, condition=MFA)))
    audit_before = role("audit", trust(allow(PARTNER, condition={**EXTERNAL_ID, **MFA})))
    audit_after = role("audit", trust(allow(PARTNER, condition=EXTERNAL_ID)))
    plan = Plan().update("aws_iam_role.vendor", before, after).update("aws_iam_role.audit", audit_before, audit_after)
    report = scanner.scan(plan.write(tmp_path / "plan.json"))
    assert (NEW, "IAMG-103", "aws_iam_role.vendor") in statuses(report)
    assert (EXISTING, "IAMG-102", "aws_iam_role.vendor") in statuses(report)
    assert role_changes(report) == [
        ("aws_iam_role.vendor", "updated",
         (f"ExternalId condition removed for account {STRANGER}: it can now assume it without ExternalId",)),
        ("aws_iam_role.audit", "updated", (f"MFA condition removed for account {PARTNER}",)),
    ]


def test_an_attached_admin_policy_is_new_and_said(scanner: Scanner, tmp_path: Path) -> None:
    vendor = role("vendor", trust(allow(STRANGER, condition=EXTERNAL_ID)))
    attachment = {"role": "vendor", "policy_arn": ADMIN}
    plan = Plan().same("aws_iam_role.vendor", vendor).create("aws_iam_role_policy_attachment.admin", attachment)
    report = scanner.scan(plan.write(tmp_path / "plan.json"))
    assert (NEW, "IAMG-301", "aws_iam_role.vendor") in statuses(report)
    assert (EXISTING, "IAMG-102", "aws_iam_role.vendor") in statuses(report)
    admin = next(v for v in report.violations if v.rule_id == "IAMG-301")
    assert admin.path == "$.resource_changes[1].change.after.policy_arn"
    assert role_changes(report) == [("aws_iam_role.vendor", "updated", ("now has admin permissions",))]
    assert report.changes[0].before is not None and not report.changes[0].before.admin
    assert report.changes[0].after is not None and report.changes[0].after.admin


def test_a_replaced_role_keeps_its_findings_existing(scanner: Scanner, tmp_path: Path) -> None:
    values = role("swap", trust(allow(STRANGER, condition=EXTERNAL_ID)))
    report = scanner.scan(Plan().replace("aws_iam_role.swap", values, {**values, "arn": None})
                          .write(tmp_path / "plan.json"))
    assert statuses(report) == [(EXISTING, "IAMG-102", "aws_iam_role.swap"), (EXISTING, "IAMG-105", "aws_iam_role.swap")]
    assert report.resolved == ()
    assert role_changes(report) == [("aws_iam_role.swap", "replaced", ("replaced (destroyed and created again)",))]


def test_a_deleted_role_resolves_its_findings(scanner: Scanner, tmp_path: Path) -> None:
    gone = role("gone", trust(allow("*")))
    kept = role("kept", trust(allow(PARTNER, condition=EXTERNAL_ID)))
    report = scanner.scan(Plan().same("aws_iam_role.kept", kept).delete("aws_iam_role.gone", gone)
                          .write(tmp_path / "plan.json"))
    assert statuses(report) == [(EXISTING, "IAMG-105", "aws_iam_role.kept")]
    assert resolved(report) == [
        ("IAMG-101", "aws_iam_role.gone", "$.resource_changes[1].change.before.assume_role_policy.Statement[0].Principal.AWS")]
    assert role_changes(report) == [("aws_iam_role.gone", "deleted", ("deleted",))]
    assert report.changes[0].before is not None and report.changes[0].before.access[0].principal == "anyone (*)"


def test_a_trust_that_becomes_unknown_is_new_and_resolves_nothing(scanner: Scanner, tmp_path: Path) -> None:
    before = role("later", trust(allow(STRANGER)))
    after = {**role("later", None)}
    report = scanner.scan(Plan().update("aws_iam_role.later", before, after, {"assume_role_policy": True})
                          .write(tmp_path / "plan.json"))
    assert statuses(report) == [(NEW, "IAMG-001", "aws_iam_role.later")]
    assert report.resolved == ()  # what the role allows now cannot be told: nothing is fixed
    (change,) = report.changes
    assert change.details == (
        "who may assume it can no longer be known before deployment (IAMG-001)",
        f"account {STRANGER} (not allow-listed) could assume it before, without ExternalId, without MFA")


def test_same_rule_on_another_principal_is_changed(scanner: Scanner, tmp_path: Path) -> None:
    before = role("vendor", trust(allow("888877776666")))
    after = role("vendor", trust(allow(STRANGER)))
    report = scanner.scan(Plan().update("aws_iam_role.vendor", before, after).write(tmp_path / "plan.json"))
    assert statuses(report) == [(CHANGED, rule, "aws_iam_role.vendor")
                                for rule in ("IAMG-102", "IAMG-103", "IAMG-104", "IAMG-105")]
    assert report.resolved == ()
    assert role_changes(report) == [("aws_iam_role.vendor", "updated", (
        f"account {STRANGER} (not allow-listed) can now assume it, without ExternalId, without MFA",
        "account 888877776666 can no longer assume it"))]


def test_a_statement_moved_down_is_the_same_finding(scanner: Scanner, tmp_path: Path) -> None:
    before = role("vendor", trust(allow(STRANGER, sid="Vendor")))
    after = role("vendor", trust(allow(PARTNER, condition=EXTERNAL_ID, sid="Partner"), allow(STRANGER, sid="Vendor")))
    report = scanner.scan(Plan().update("aws_iam_role.vendor", before, after).write(tmp_path / "plan.json"))
    assert statuses(report) == [(EXISTING, "IAMG-102", "aws_iam_role.vendor"), (EXISTING, "IAMG-103", "aws_iam_role.vendor"),
                                (EXISTING, "IAMG-104", "aws_iam_role.vendor"), (EXISTING, "IAMG-105", "aws_iam_role.vendor"),
                                (NEW, "IAMG-105", "aws_iam_role.vendor")]
    moved = next(v for v in report.violations if v.rule_id == "IAMG-103")
    assert "Statement 2" in moved.message  # the message says where it is now


def test_a_waived_finding_is_not_resolved(tmp_path: Path) -> None:
    values = role("vendor", trust(allow(STRANGER)))
    config = Config(own_accounts=[OWN], trusted_accounts=[PARTNER],
                    waivers=[{"rule": "IAMG-104", "resource": "aws_iam_role.vendor", "reason": "vendor has no MFA"}])
    report = Scanner(config).scan(Plan().same("aws_iam_role.vendor", values).write(tmp_path / "plan.json"))
    assert [v.rule_id for v in report.suppressed] == ["IAMG-104"]
    assert report.resolved == ()
    assert {v.change for v in report.violations} == {EXISTING}


def test_only_new_findings_fail_with_fail_on_new(tmp_path: Path) -> None:
    old = role("legacy", trust(allow("*")))
    unchanged = Plan().same("aws_iam_role.legacy", old).write(tmp_path / "unchanged.json")
    widened = Plan().same("aws_iam_role.legacy", old).create(
        "aws_iam_role.vendor", role("vendor", trust(allow(STRANGER)), created=True)).write(tmp_path / "widened.json")
    strict = Scanner(Config(own_accounts=[OWN], fail_on_new=True))
    report = strict.scan(unchanged)
    assert [(v.change, v.rule_id) for v in report.violations] == [(EXISTING, "IAMG-101")]
    assert report.passed(strict.config)
    assert not report.passed(Config(own_accounts=[OWN]))  # without fail_on_new, existing findings fail
    report = strict.scan(widened)
    assert not report.passed(strict.config)
    assert report.fails("high", new_only=True) and not report.fails("critical", new_only=True)


def test_a_state_file_has_no_before(scanner: Scanner, tmp_path: Path) -> None:
    state = {"format_version": "1.0", "terraform_version": "1.11.0", "values": {"root_module": {"resources": [
        {"address": "aws_iam_role.vendor", "mode": "managed", "type": "aws_iam_role", "name": "vendor",
         "values": role("vendor", trust(allow(STRANGER)))}]}}}
    path = tmp_path / "state.json"
    path.write_text(json.dumps(state), encoding="utf-8")
    report = scanner.scan(path)
    assert {v.change for v in report.violations} == {None}
    assert report.compared == () and report.changes == () and report.resolved == ()


def test_scan_document_of_a_plan_is_compared(scanner: Scanner, tmp_path: Path) -> None:
    gone = role("gone", trust(allow(STRANGER)))
    document = json.loads(Plan().delete("aws_iam_role.gone", gone).write(tmp_path / "plan.json").read_text())
    report = scanner.scan_document(document, name="plan.json")
    assert report.violations == ()
    assert [(v.rule_id, v.file) for v in report.resolved] == [(r, "plan.json") for r in
                                                              ("IAMG-102", "IAMG-103", "IAMG-104", "IAMG-105")]


def test_a_malformed_actions_list_is_no_internal_error(scanner: Scanner, tmp_path: Path) -> None:
    values = role("vendor", trust(allow(STRANGER)))
    path = Plan().same("aws_iam_role.vendor", values).write(tmp_path / "plan.json")
    document = json.loads(path.read_text())
    document["resource_changes"][0]["change"]["actions"] = [{"Fn::Base64": {}}]
    path.write_text(json.dumps(document), encoding="utf-8")
    report = scanner.scan(path)
    assert not any("internal error" in e.message for e in report.errors)
    assert {(v.change, v.rule_id) for v in report.violations} == {(EXISTING, r) for r in
                                                                ("IAMG-102", "IAMG-103", "IAMG-104", "IAMG-105")}
