"""Change-aware reports: every format shows each finding's status against the previous version,
the role changes and the resolved findings, and stays as it was when nothing was compared.

The reports are built by hand (the scanner's comparison is tested on its own): one plan compared
with its prior state (a new, a changed and an existing finding, one resolved, three role
changes) and one file that was not compared."""
from __future__ import annotations

import dataclasses
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Callable

import jsonschema
import pytest

from pyiamguard.catalog import load_policy_set
from pyiamguard.model import Access, Exposure, Location, Report, RoleChange, Severity, Violation
from pyiamguard.reporters import github, json_report, junit, markdown, sarif, text

REPO = Path(__file__).resolve().parents[2]
SARIF_SCHEMA_FILE = REPO / "tests" / "fixtures" / "sarif" / "sarif-schema-2.1.0.json"
RULES = load_policy_set().rules
PLAN = "plan.json"
AFTER = "$.resource_changes[0].change.after.assume_role_policy"
PRIOR = "$.prior_state.values.root_module.resources[1].values.assume_role_policy"


def _finding(file: str, line: int | None, column: int | None, rule_id: str, severity: Severity, resource: str,
             message: str, change: str | None = None, path: str = AFTER) -> Violation:
    return Violation(rule_id=rule_id, title=f"title {rule_id}", severity=severity, message=message, resource=resource,
                     location=Location(file, line, column, path), remediation=f"fix {rule_id}", change=change)


NEW = _finding(PLAN, 12, 9, "IAMG-101", Severity.CRITICAL, "aws_iam_role.deployer", "anyone can assume the role", "new")
CHANGED = _finding(PLAN, 30, 9, "IAMG-103", Severity.HIGH, "aws_iam_role.vendor", "no ExternalId for account 999988887777",
                   "changed")
EXISTING = _finding(PLAN, 44, 9, "IAMG-105", Severity.MEDIUM, "aws_iam_role.ci", "trusts the whole account 111122223333",
                    "existing")
NOT_COMPARED = _finding("iam/extra.json", 7, 21, "IAMG-110", Severity.LOW, "fn-role", "no source condition")
RESOLVED = _finding(PLAN, 88, 9, "IAMG-104", Severity.HIGH, "aws_iam_role.vendor", "MFA is not required", "resolved",
                    path=PRIOR)
CREATED_ROLE = RoleChange("aws_iam_role.deployer", PLAN, 12, "created", ("created", "anyone (*) can assume it"),
                          after=Exposure(access=(Access("anyone (*)", (), ("IAMG-101",)),)), severity=Severity.CRITICAL)
UPDATED_ROLE = RoleChange(
    "aws_iam_role.vendor", PLAN, 30, "updated",
    ("account 999988887777 can now assume it, without ExternalId", "MFA condition removed for account 111122223333"),
    before=Exposure(access=(Access("account 111122223333", ("MFA",), ()),)),
    after=Exposure(access=(Access("account 111122223333"), Access("account 999988887777", (), ("IAMG-103",))), admin=True),
    severity=Severity.HIGH)
QUIET_ROLE = RoleChange("aws_iam_role.ci", PLAN, 44, "updated", ("service ec2.amazonaws.com can no longer assume it",))
COMPARED = ((PLAN, "the plan's prior state"),)


def _report(**fields: Any) -> Report:
    values: dict[str, Any] = dict(
        violations=(NEW, CHANGED, EXISTING, NOT_COMPARED), resolved=(RESOLVED,),
        changes=(QUIET_ROLE, UPDATED_ROLE, CREATED_ROLE), compared=COMPARED,
        scanned_files=(PLAN, "iam/extra.json"), documents=4)
    values.update(fields)
    return Report(**values)


def _without_change(v: Violation) -> Violation:
    return dataclasses.replace(v, change=None)


def _not_compared(keep_violation_changes: bool = True) -> tuple[Report, Report]:
    """The same findings twice: with the change fields but nothing compared, and without them.
    (`Violation.to_dict()` writes a violation's `change` whenever it is set: the JSON report
    passes its violations through, so for it only the report's own change fields are left.)"""
    findings = (NEW, CHANGED, EXISTING, NOT_COMPARED)
    plain_findings = tuple(_without_change(v) for v in findings)
    leftover = _report(compared=(), violations=findings if keep_violation_changes else plain_findings)
    plain = Report(violations=plain_findings, scanned_files=(PLAN, "iam/extra.json"), documents=4)
    return leftover, plain


# --- every format: nothing compared, nothing changes ----------------------------------------------

RENDERERS: dict[str, Callable[[Report], str]] = {
    "text": lambda r: text.render(r, color=False),
    "text-compact": lambda r: text.render(r, color=False, view="compact"),
    "text-color": lambda r: text.render(r, color=True),
    "json": lambda r: json_report.render(r, tool_version="0.1.0"),
    "sarif": lambda r: sarif.render(r, RULES, tool_version="0.1.0", base_dir="/work/repo"),
    "sarif-absent": lambda r: sarif.render(r, RULES, tool_version="0.1.0", base_dir="/work/repo", absent_results=True),
    "markdown": lambda r: markdown.render(r, base_dir="."),
    "github": lambda r: github.render(r, base_dir="/work/repo"),
    "junit": lambda r: junit.render(r, RULES, base_dir="/work/repo"),
}


@pytest.mark.parametrize("name", RENDERERS)
def test_without_a_comparison_every_format_is_as_it_was(name: str) -> None:
    # Change fields without `compared` (nothing says what they were compared with) show nowhere:
    # the bytes are those of the report without them.
    leftover, plain = _not_compared(keep_violation_changes=name != "json")
    render = RENDERERS[name]
    assert render(leftover) == render(plain)
    assert render(_report()) != render(plain)  # and the comparison does show


# --- text -----------------------------------------------------------------------------------------

CHANGE_LINES = [
    "compared: plan.json with the plan's prior state",
    "",
    "changes:",
    "  CRITICAL  plan.json:12  role aws_iam_role.deployer: created; anyone (*) can assume it",
    "  HIGH      plan.json:30  role aws_iam_role.vendor: account 999988887777 can now assume it, without "
    "ExternalId; MFA condition removed for account 111122223333",
    "  -         plan.json:44  role aws_iam_role.ci: service ec2.amazonaws.com can no longer assume it",
    "",
    "resolved:",
    "  plan.json:88:9  HIGH      IAMG-104  aws_iam_role.vendor: MFA is not required",
    "",
    "4 violations (1 critical, 1 high, 1 medium, 1 low, 0 info) in 2 files scanned, 0 errors; "
    "1 new, 1 changed, 1 existing, 1 resolved",
]


def test_text_detailed_view_tags_each_finding_and_lists_changes_and_resolved() -> None:
    assert text.render(_report(), color=False).splitlines() == [
        "iam/extra.json",
        "  7:21  LOW       IAMG-110  fn-role: no source condition",  # not compared: no status column
        f"      path: {AFTER}",
        "      fix: fix IAMG-110",
        "",
        "plan.json",
        "  12:9  NEW       CRITICAL  IAMG-101  aws_iam_role.deployer: anyone can assume the role",
        f"      path: {AFTER}",
        "      fix: fix IAMG-101",
        "  30:9  CHANGED   HIGH      IAMG-103  aws_iam_role.vendor: no ExternalId for account 999988887777",
        f"      path: {AFTER}",
        "      fix: fix IAMG-103",
        "  44:9  existing  MEDIUM    IAMG-105  aws_iam_role.ci: trusts the whole account 111122223333",
        f"      path: {AFTER}",
        "      fix: fix IAMG-105",
        "",
    ] + CHANGE_LINES


def test_text_compact_view_tags_each_finding() -> None:
    assert text.render(_report(), color=False, view="compact").splitlines() == [
        "iam/extra.json:7:21  LOW       IAMG-110  fn-role: no source condition",
        "plan.json:12:9  NEW       CRITICAL  IAMG-101  aws_iam_role.deployer: anyone can assume the role",
        "plan.json:30:9  CHANGED   HIGH      IAMG-103  aws_iam_role.vendor: no ExternalId for account 999988887777",
        "plan.json:44:9  existing  MEDIUM    IAMG-105  aws_iam_role.ci: trusts the whole account 111122223333",
        "",
        "fixes:",
        "  IAMG-101  fix IAMG-101",
        "  IAMG-103  fix IAMG-103",
        "  IAMG-105  fix IAMG-105",
        "  IAMG-110  fix IAMG-110",
        "",
    ] + CHANGE_LINES


def test_text_color_makes_new_and_changed_bold_and_existing_dim() -> None:
    colored = text.render(_report(), color=True)
    assert "  12:9  \x1b[1mNEW     \x1b[0m  \x1b[1;31mCRITICAL\x1b[0m  IAMG-101  " in colored
    assert "  30:9  \x1b[1mCHANGED \x1b[0m  \x1b[31mHIGH    \x1b[0m  IAMG-103  " in colored
    assert "  44:9  \x1b[2mexisting\x1b[0m  \x1b[33mMEDIUM  \x1b[0m  IAMG-105  " in colored
    assert "\n\x1b[1mchanges:\x1b[0m\n  \x1b[1;31mCRITICAL\x1b[0m  plan.json:12  role aws_iam_role.deployer" in colored
    assert "\n\x1b[1mresolved:\x1b[0m\n  plan.json:88:9  \x1b[31mHIGH    \x1b[0m  IAMG-104  " in colored
    assert re.sub(r"\x1b\[[0-9;]*m", "", colored) == text.render(_report(), color=False)


def test_text_without_findings_still_says_what_changed() -> None:
    report = _report(violations=(), changes=(), scanned_files=(PLAN,))
    assert text.render(report, color=False) == (
        "compared: plan.json with the plan's prior state\n"
        "\n"
        "resolved:\n"
        "  plan.json:88:9  HIGH      IAMG-104  aws_iam_role.vendor: MFA is not required\n"
        "\n"
        "no violations in 1 file scanned, 0 errors; 0 new, 0 changed, 0 existing, 1 resolved\n"
    )
    nothing = _report(violations=(), changes=(), resolved=(), scanned_files=(PLAN,))
    assert text.render(nothing, color=False) == (
        "compared: plan.json with the plan's prior state\n"
        "\n"
        "no violations in 1 file scanned, 0 errors; 0 new, 0 changed, 0 existing, 0 resolved\n"
    )


def test_text_role_changes_without_line_severity_or_details() -> None:
    deleted = RoleChange("old-role", "infra/role.yaml", None, "deleted", ("deleted",))
    bare = RoleChange("bare", "infra/role.yaml", 9, "updated", ())
    replaced = RoleChange("r", "infra/role.yaml", 3, "replaced", ("replaced (destroyed and created again)", "b"),
                          severity=Severity.LOW)
    assert text.role_change_text(bare) == "role bare"
    assert text.role_change_text(UPDATED_ROLE) == UPDATED_ROLE.text()
    lines = text.render(_report(violations=(), resolved=(), changes=(deleted, bare, replaced)), color=False).splitlines()
    assert lines[2:6] == ["changes:", "  LOW       infra/role.yaml:3  role r: replaced (destroyed and created again); b",
                          "  -         infra/role.yaml  role old-role: deleted",
                          "  -         infra/role.yaml:9  role bare"]


def test_text_lists_at_most_a_few_compared_files() -> None:
    compared = tuple((f"infra/r{i}.yaml", f"main:infra/r{i}.yaml") for i in range(text.MAX_COMPARED_LINES + 2))
    lines = text.render(_report(violations=(), changes=(), resolved=(), compared=compared), color=False).splitlines()
    assert lines[:text.MAX_COMPARED_LINES + 1] == [
        f"compared: infra/r{i}.yaml with main:infra/r{i}.yaml" for i in range(text.MAX_COMPARED_LINES)
    ] + ["compared: 2 more files with their previous version (--format json lists them)"]


def test_text_suppressed_and_notices_follow_the_change_sections() -> None:
    report = _report(suppressed=(dataclasses.replace(NOT_COMPARED, suppression="reviewed"),))
    lines = text.render(report, color=False).splitlines()
    assert lines.index("resolved:") < lines.index("suppressed (not counted)") < len(lines) - 1
    assert lines[-1].endswith("0 errors, 1 suppressed; 1 new, 1 changed, 1 existing, 1 resolved")


# --- JSON -----------------------------------------------------------------------------------------


def _json_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(json_report.SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_json_adds_compared_resolved_and_changes() -> None:
    document = json.loads(json_report.render(_report(), tool_version="0.1.0"))
    assert list(document) == ["schema_version", "tool", "violations", "errors", "compared", "resolved", "changes",
                              "scanned_files", "skipped_files", "summary"]
    assert [(v["rule_id"], v.get("change")) for v in document["violations"]] == [
        ("IAMG-110", None), ("IAMG-101", "new"), ("IAMG-103", "changed"), ("IAMG-105", "existing")]
    assert "change" not in document["violations"][0]
    assert document["compared"] == [{"file": "plan.json", "before": "the plan's prior state"}]
    assert document["resolved"] == [{
        "rule_id": "IAMG-104", "title": "title IAMG-104", "severity": "HIGH", "message": "MFA is not required",
        "resource": "aws_iam_role.vendor", "file": "plan.json", "line": 88, "column": 9, "path": PRIOR,
        "remediation": "fix IAMG-104", "change": "resolved"}]
    assert document["changes"] == [
        {"resource": "aws_iam_role.deployer", "file": "plan.json", "line": 12, "status": "created",
         "details": ["created", "anyone (*) can assume it"], "severity": "CRITICAL", "before": None,
         "after": {"who_may_assume": [{"principal": "anyone (*)", "conditions": [], "rules": ["IAMG-101"]}],
                   "unknown": False, "admin": False, "escalation": False}},
        {"resource": "aws_iam_role.vendor", "file": "plan.json", "line": 30, "status": "updated",
         "details": ["account 999988887777 can now assume it, without ExternalId",
                     "MFA condition removed for account 111122223333"], "severity": "HIGH",
         "before": {"who_may_assume": [{"principal": "account 111122223333", "conditions": ["MFA"], "rules": []}],
                    "unknown": False, "admin": False, "escalation": False},
         "after": {"who_may_assume": [{"principal": "account 111122223333", "conditions": [], "rules": []},
                                      {"principal": "account 999988887777", "conditions": [], "rules": ["IAMG-103"]}],
                   "unknown": False, "admin": True, "escalation": False}},
        {"resource": "aws_iam_role.ci", "file": "plan.json", "line": 44, "status": "updated",
         "details": ["service ec2.amazonaws.com can no longer assume it"], "severity": None, "before": None,
         "after": None},
    ]
    assert document["summary"]["changes"] == {"new": 1, "changed": 1, "existing": 1, "resolved": 1, "roles": 3}
    assert not list(_json_validator().iter_errors(document))


def test_json_keeps_the_three_keys_when_nothing_changed() -> None:
    document = json.loads(json_report.render(_report(violations=(), resolved=(), changes=()), tool_version="0.1.0"))
    assert (document["compared"], document["resolved"], document["changes"]) == (
        [{"file": "plan.json", "before": "the plan's prior state"}], [], [])
    assert document["summary"]["changes"] == {"new": 0, "changed": 0, "existing": 0, "resolved": 0, "roles": 0}
    assert not list(_json_validator().iter_errors(document))


def test_json_schema_checks_the_change_keys() -> None:
    document = json.loads(json_report.render(_report(), tool_version="0.1.0"))
    validator = _json_validator()
    assert not list(validator.iter_errors(document))
    change = document["changes"][1]
    for broken in (
        {**document, "violations": [{**document["violations"][1], "change": "gone"}]},
        {**document, "resolved": [{**document["resolved"][0], "change": "new"}]},
        {**document, "resolved": [{k: v for k, v in document["resolved"][0].items() if k != "change"}]},
        {**document, "changes": [{**change, "status": "moved"}]},
        {**document, "changes": [{**change, "severity": "SEVERE"}]},
        {**document, "changes": [{k: v for k, v in change.items() if k != "before"}]},
        {**document, "changes": [{**change, "after": {**change["after"], "who_may_assume": [{"principal": "x"}]}}]},
        {**document, "compared": [{"file": "plan.json"}]},
        {k: v for k, v in document.items() if k != "changes"},  # the three keys come together
        {k: v for k, v in document.items() if k != "compared"},
        {**document, "summary": {**document["summary"], "changes": {"new": 1}}},
    ):
        assert list(validator.iter_errors(broken)), broken


# --- SARIF ----------------------------------------------------------------------------------------


def _sarif(report: Report, **kwargs: Any) -> dict[str, Any]:
    log = json.loads(sarif.render(report, RULES, tool_version="1.2.3", base_dir="/work/repo", **kwargs))
    schema = json.loads(SARIF_SCHEMA_FILE.read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])
    return log


def _states(log: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(r["ruleId"], r.get("baselineState")) for r in log["runs"][0]["results"]]


def test_sarif_baseline_state_per_result_and_resolved_counted_not_reported() -> None:
    log = _sarif(_report())
    # new -> new, changed -> updated, existing -> unchanged; a file not compared is new (§3.27.24:
    # once one result has a state, every result has one).
    assert _states(log) == [("IAMG-110", "new"), ("IAMG-101", "new"), ("IAMG-103", "updated"),
                            ("IAMG-105", "unchanged")]
    run = log["runs"][0]
    assert all(r["level"] != "none" and "kind" not in r for r in run["results"])
    # By default no absent result: GitHub code scanning would raise it as an alert.
    assert run["properties"] == {"compared": [{"file": "plan.json", "before": "the plan's prior state"}],
                                 "resolved": 1}


def test_sarif_absent_results_on_request() -> None:
    log = _sarif(_report(), absent_results=True)
    run = log["runs"][0]
    assert _states(log)[-1] == ("IAMG-104", "absent")
    absent = run["results"][-1]
    rules = run["tool"]["driver"]["rules"]
    assert rules[absent["ruleIndex"]]["id"] == "IAMG-104"
    assert absent == {
        "ruleId": "IAMG-104",
        "ruleIndex": absent["ruleIndex"],
        "kind": "pass",
        "level": "none",
        "message": {"text": "resolved: aws_iam_role.vendor: MFA is not required"},
        "locations": [{
            "physicalLocation": {"artifactLocation": {"uri": "plan.json", "uriBaseId": "%SRCROOT%"},
                                 "region": {"startLine": 88, "startColumn": 9}},
            "logicalLocations": [{"name": "aws_iam_role.vendor", "fullyQualifiedName": "aws_iam_role.vendor",
                                  "kind": "resource"}],
        }],
        "partialFingerprints": {"pyiamguard/v1": sarif.fingerprint(RESOLVED, "/work/repo")},
        "baselineState": "absent",
        "properties": {"severity": "HIGH", "security-severity": "8.0", "resource": "aws_iam_role.vendor",
                       "path": PRIOR},
    }
    assert run["properties"] == {"compared": [{"file": "plan.json", "before": "the plan's prior state"}]}


def test_sarif_resolved_finding_of_an_unknown_rule_gets_a_descriptor_only_when_reported() -> None:
    custom = dataclasses.replace(RESOLVED, rule_id="ACME-001")
    report = _report(resolved=(custom,))
    assert "ACME-001" not in [d["id"] for d in _sarif(report)["runs"][0]["tool"]["driver"]["rules"]]
    log = _sarif(report, absent_results=True)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert rules[log["runs"][0]["results"][-1]["ruleIndex"]]["id"] == "ACME-001"


def test_sarif_suppressed_findings_of_a_compared_file_have_their_state() -> None:
    waived = dataclasses.replace(NEW, suppression="accepted", waiver="waivers[0]")
    log = _sarif(_report(violations=(), suppressed=(waived,), resolved=()))
    [result] = log["runs"][0]["results"]
    assert (result["baselineState"], result["suppressions"][0]["kind"]) == ("new", "external")
    assert log["runs"][0]["properties"] == {"compared": [{"file": "plan.json", "before": "the plan's prior state"}]}


def test_sarif_compared_file_relative_to_the_base_directory() -> None:
    log = _sarif(_report(compared=(("/work/repo/infra/role.yaml", "main:infra/role.yaml"),)))
    assert log["runs"][0]["properties"]["compared"] == [{"file": "infra/role.yaml", "before": "main:infra/role.yaml"}]


def test_sarif_without_a_comparison_has_no_baseline_state() -> None:
    leftover, _ = _not_compared()
    for kwargs in ({}, {"absent_results": True}):
        log = _sarif(leftover, **kwargs)
        assert [state for _, state in _states(log)] == [None] * 4
        assert "properties" not in log["runs"][0]


# --- Markdown -------------------------------------------------------------------------------------


def test_markdown_changes_section_exactly() -> None:
    assert markdown.render(_report(), base_dir=".") == (
        "## pyiamguard: 4 violations (1 new, 1 changed, 1 resolved)\n"
        "\n"
        "| severity | findings |\n"
        "|---|---:|\n"
        "| CRITICAL | 1 |\n"
        "| HIGH | 1 |\n"
        "| MEDIUM | 1 |\n"
        "| LOW | 1 |\n"
        "| INFO | 0 |\n"
        "\n"
        "2 files scanned, 0 errors, 0 suppressed, 0 baselined\n"
        "\n"
        "### Changes\n"
        "\n"
        "Compared with the previous version: `plan.json` (the plan's prior state).\n"
        "1 new, 1 changed, 1 existing and 1 resolved findings; 3 roles changed.\n"
        "\n"
        "- **CRITICAL** · role aws_iam_role.deployer: created; anyone (*) can assume it · "
        "[plan.json:12](plan.json#L12)\n"
        "- **HIGH** · role aws_iam_role.vendor: account 999988887777 can now assume it, without ExternalId; "
        "MFA condition removed for account 111122223333 · [plan.json:30](plan.json#L30)\n"
        "- role aws_iam_role.ci: service ec2.amazonaws.com can no longer assume it · [plan.json:44](plan.json#L44)\n"
        "\n"
        "#### IAMG-101 · CRITICAL · title IAMG-101 (1)\n"
        "\n"
        "| change | resource | where | finding |\n"
        "|---|---|---|---|\n"
        "| **new** | aws_iam_role.deployer | [plan.json:12](plan.json#L12) | anyone can assume the role |\n"
        "\n"
        "**Fix:** fix IAMG-101\n"
        "\n"
        "#### IAMG-103 · HIGH · title IAMG-103 (1)\n"
        "\n"
        "| change | resource | where | finding |\n"
        "|---|---|---|---|\n"
        "| **changed** | aws_iam_role.vendor | [plan.json:30](plan.json#L30) | no ExternalId for account 999988887777 |\n"
        "\n"
        "**Fix:** fix IAMG-103\n"
        "\n"
        "#### IAMG-110 · LOW · title IAMG-110 (1)\n"
        "\n"
        "| change | resource | where | finding |\n"
        "|---|---|---|---|\n"
        "| not compared | fn-role | [iam/extra.json:7](iam/extra.json#L7) | no source condition |\n"
        "\n"
        "**Fix:** fix IAMG-110\n"
        "\n"
        "#### Resolved findings (1)\n"
        "\n"
        "| severity | rule | resource | where | finding |\n"
        "|---|---|---|---|---|\n"
        "| HIGH | IAMG-104 | aws_iam_role.vendor | `plan.json:88` | MFA is not required |\n"
        "\n"
        "<details><summary>1 existing finding (already in the previous version)</summary>\n"
        "\n"
        "| severity | rule | resource | where | finding |\n"
        "|---|---|---|---|---|\n"
        "| MEDIUM | IAMG-105 | aws_iam_role.ci | [plan.json:44](plan.json#L44) | trusts the whole account 111122223333 |\n"
        "\n"
        "</details>\n"
    )


def test_markdown_resolved_findings_are_not_links_and_collapse_when_many(monkeypatch: pytest.MonkeyPatch) -> None:
    git = dataclasses.replace(RESOLVED, location=Location("main:infra/role.yaml", 7, 3, "$.Resources.R"))
    report = _report(resolved=(RESOLVED, git), compared=COMPARED + (("infra/role.yaml", "main:infra/role.yaml"),))
    open_text = markdown.render(report, base_dir=".")
    assert "| HIGH | IAMG-104 | aws_iam_role.vendor | `main:infra/role.yaml:7` | MFA is not required |\n" in open_text
    assert "#### Resolved findings (2)\n\n| severity |" in open_text
    assert ("Compared with the previous version: `infra/role.yaml` (main:infra/role.yaml), `plan.json` "
            "(the plan's prior state).\n") in open_text
    monkeypatch.setattr(markdown, "MAX_OPEN_RESOLVED", 1)
    collapsed = markdown.render(report, base_dir=".")
    assert ("#### Resolved findings (2)\n\n<details><summary>2 findings of the previous version are gone</summary>\n\n"
            "| severity | rule | resource | where | finding |\n") in collapsed
    assert collapsed.count("</details>") == 2  # resolved, existing


def test_markdown_limits_apply_to_the_change_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(markdown, "MAX_ROWS", 1)
    existing = tuple(dataclasses.replace(EXISTING, location=Location(PLAN, n, 9, AFTER)) for n in (50, 51, 52))
    resolved = tuple(dataclasses.replace(RESOLVED, location=Location(PLAN, n, 9, PRIOR)) for n in (90, 91))
    compared = ((PLAN, "the plan's prior state"), ("x.yaml", "old/x.yaml"))
    out = markdown.render(_report(violations=(NEW,) + existing, resolved=resolved, compared=compared), base_dir=".")
    assert "Compared with the previous version: `plan.json` (the plan's prior state) and 1 more files.\n" in out
    assert "- **CRITICAL** · role aws_iam_role.deployer: created" in out
    assert "- ... and 2 more roles (see the full report)\n" in out
    assert "role aws_iam_role.ci" not in out
    assert "<summary>3 existing findings (already in the previous version)</summary>" in out
    assert out.count("| MEDIUM | IAMG-105 |") == 1 and out.count("| HIGH | IAMG-104 |") == 1
    assert out.count("... and 2 more (see the full report).") == 1  # existing
    assert out.count("... and 1 more (see the full report).") == 1  # resolved


def test_markdown_role_changes_are_escaped() -> None:
    change = RoleChange("r|1", "infra/a b.yaml", 3, "updated", ("<b>x</b> & y",), severity=Severity.MEDIUM)
    out = markdown.render(_report(changes=(change,)), base_dir=".")
    assert "- **MEDIUM** · role r\\|1: &lt;b&gt;x&lt;/b&gt; &amp; y · [infra/a b.yaml:3](infra/a%20b.yaml#L3)\n" in out


# --- GitHub annotations and JUnit -----------------------------------------------------------------


def test_github_annotation_titles_carry_the_status() -> None:
    assert github.render(_report(), base_dir="/work/repo").splitlines() == [
        "::notice file=iam/extra.json,line=7,col=21,title=IAMG-110 fn-role::LOW: no source condition%0A%0AFix: fix IAMG-110",
        "::error file=plan.json,line=12,col=9,title=[new] IAMG-101 aws_iam_role.deployer::"
        "CRITICAL: anyone can assume the role%0A%0AFix: fix IAMG-101",
        "::error file=plan.json,line=30,col=9,title=[changed] IAMG-103 aws_iam_role.vendor::"
        "HIGH: no ExternalId for account 999988887777%0A%0AFix: fix IAMG-103",
        "::warning file=plan.json,line=44,col=9,title=[existing] IAMG-105 aws_iam_role.ci::"
        "MEDIUM: trusts the whole account 111122223333%0A%0AFix: fix IAMG-105",
        "4 violations (1 critical, 1 high, 1 medium, 1 low, 0 info) in 2 files scanned, 0 errors; "
        "1 new, 1 changed, 1 existing, 1 resolved",
    ]


def test_junit_failures_carry_the_status_and_case_names_do_not() -> None:
    root = ET.fromstring(junit.render(_report(), RULES, base_dir="/work/repo").encode("utf-8"))
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == ["iam/extra.json", "plan.json"]  # resolved findings are no test cases
    failures = {case.get("name"): failure for case in suites["plan.json"].findall("testcase")
                if (failure := case.find("failure")) is not None}
    assert {name: (f.get("message"), (f.text or "").splitlines()[0]) for name, f in failures.items()} == {
        "IAMG-101 aws_iam_role.deployer": ("[new] anyone can assume the role",
                                           "plan.json:12:9: [new] CRITICAL IAMG-101 title IAMG-101"),
        "IAMG-103 aws_iam_role.vendor": ("[changed] no ExternalId for account 999988887777",
                                         "plan.json:30:9: [changed] HIGH IAMG-103 title IAMG-103"),
        "IAMG-105 aws_iam_role.ci": ("[existing] trusts the whole account 111122223333",
                                     "plan.json:44:9: [existing] MEDIUM IAMG-105 title IAMG-105"),
    }
    other = suites["iam/extra.json"].find("testcase[@name='IAMG-110 fn-role']/failure")
    assert other is not None and other.get("message") == "no source condition"
    assert "IAMG-104" in {c.get("name") for c in suites["plan.json"].findall("testcase")}  # passing: resolved
    assert root.get("failures") == "4"


def test_junit_one_case_with_findings_of_different_status() -> None:
    again = dataclasses.replace(NEW, location=Location(PLAN, 20, 9, "$.x"), message="again", change="existing")
    root = ET.fromstring(junit.render(_report(violations=(NEW, again)), (), base_dir="/work/repo").encode("utf-8"))
    [case] = root.findall("testsuite/testcase")
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message") == "[new] anyone can assume the role | [existing] again"
