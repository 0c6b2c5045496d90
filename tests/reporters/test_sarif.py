"""SARIF 2.1.0: valid against the OASIS schema, and what GitHub code scanning reads from it.

The schema is the OASIS 2.1.0 (errata 01) JSON schema, vendored as
tests/fixtures/sarif/sarif-schema-2.1.0.json so the test never skips; it must stay identical to
the team's reference copy (../shared/reference/schemas/) whenever that folder is present.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import jsonschema
import pytest

from pyiamguard.baseline import fingerprint
from pyiamguard.catalog import load_policy_set
from pyiamguard.config import Config, Waiver
from pyiamguard.model import Location, Notice, Report, ScanError, Severity, Violation
from pyiamguard.reporters import sarif
from pyiamguard.scanner import scan

REPO = Path(__file__).resolve().parents[2]
SCHEMA_FILE = REPO / "tests" / "fixtures" / "sarif" / "sarif-schema-2.1.0.json"
SHARED_SCHEMA = REPO.parent / "shared" / "reference" / "schemas" / "sarif-schema-2.1.0.json"
RULES = load_policy_set().rules
WILDCARD = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                     "Action": "sts:AssumeRole"}]}


def _validate(text: str) -> dict:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    log = json.loads(text)
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])
    return log


def _violation(file: str = "iam/trust.json", line: int | None = 7, column: int | None = 21,
               rule_id: str = "IAMG-101", severity: Severity = Severity.CRITICAL, resource: str = "deploy-role",
               path: str = "$.Statement[0].Principal.AWS", message: str = "anyone can assume the role",
               **extra: object) -> Violation:
    return Violation(rule_id=rule_id, title="Any AWS principal can assume the role", severity=severity,
                     message=message, resource=resource, location=Location(file, line, column, path),
                     remediation="Name the principals.", **extra)  # type: ignore[arg-type]


def _render(report: Report, **kwargs: object) -> str:
    kwargs.setdefault("base_dir", "/work/repo")
    return sarif.render(report, RULES, tool_version="1.2.3", **kwargs)  # type: ignore[arg-type]


def test_vendored_schema_is_the_oasis_schema() -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert schema["id"] == "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    if SHARED_SCHEMA.is_file():  # the reference copy, when the shared folder is there
        assert SHARED_SCHEMA.read_bytes() == SCHEMA_FILE.read_bytes()


def test_empty_report_is_valid_and_declares_every_rule() -> None:
    log = _validate(_render(Report()))
    assert log["version"] == "2.1.0"
    assert log["$schema"] == sarif.SARIF_SCHEMA
    [run] = log["runs"]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"], driver["semanticVersion"]) == ("pyiamguard", "1.2.3", "1.2.3")
    assert [r["id"] for r in driver["rules"]] == sorted(r.rule_id for r in RULES)
    assert run["results"] == []
    assert run["invocations"] == [{"executionSuccessful": True}]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.rule_id)
def test_rule_descriptor(rule) -> None:  # type: ignore[no-untyped-def]
    log = _validate(_render(Report()))
    descriptor = next(d for d in log["runs"][0]["tool"]["driver"]["rules"] if d["id"] == rule.rule_id)
    assert descriptor["name"] == rule.name
    assert descriptor["shortDescription"] == {"text": rule.title}
    assert descriptor["fullDescription"] == {"text": rule.description}
    assert rule.remediation in descriptor["help"]["text"]
    assert f"**Remediation:** {rule.remediation}" in descriptor["help"]["markdown"]
    assert descriptor["properties"]["security-severity"] == sarif.SECURITY_SEVERITY[rule.severity]
    assert descriptor["properties"]["tags"][:2] == ["security", "iam"]
    assert descriptor["defaultConfiguration"] == {"enabled": True, "level": sarif.LEVEL[rule.severity]}


def test_security_severity_and_level_per_severity() -> None:
    assert sarif.SECURITY_SEVERITY == {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5",
                                       Severity.LOW: "3.0", Severity.INFO: "1.0"}
    report = Report(violations=tuple(
        _violation(rule_id="IAMG-105", severity=s, line=n, message=s.value) for n, s in enumerate(Severity, 1)))
    log = _validate(_render(report))
    levels = [(r["message"]["text"].split(": ")[1], r["level"], r["properties"]["security-severity"])
              for r in log["runs"][0]["results"]]
    assert levels == [("CRITICAL", "error", "9.5"), ("HIGH", "error", "8.0"), ("MEDIUM", "warning", "5.5"),
                      ("LOW", "note", "3.0"), ("INFO", "note", "1.0")]


def test_result_fields() -> None:
    violation = _violation()
    log = _validate(_render(Report(violations=(violation,), scanned_files=("iam/trust.json",))))
    [result] = log["runs"][0]["results"]
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert result["ruleId"] == "IAMG-101"
    assert rules[result["ruleIndex"]]["id"] == "IAMG-101"
    assert result["level"] == "error"
    assert result["message"] == {"text": "deploy-role: anyone can assume the role"}
    [location] = result["locations"]
    assert location["physicalLocation"] == {
        "artifactLocation": {"uri": "iam/trust.json", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 7, "startColumn": 21},
    }
    assert location["logicalLocations"] == [
        {"name": "deploy-role", "fullyQualifiedName": "deploy-role", "kind": "resource"}]
    assert result["partialFingerprints"] == {"pyiamguard/v1": fingerprint(violation, "/work/repo")}
    assert result["properties"]["path"] == "$.Statement[0].Principal.AWS"
    assert "suppressions" not in result


def test_uri_is_relative_to_the_base_directory() -> None:
    inside = _violation(file="/work/repo/iam/a b.json")
    dotted = _violation(file="./iam/c.json", rule_id="IAMG-105")
    outside = _violation(file="/elsewhere/d.json", rule_id="IAMG-103")
    log = _validate(_render(Report(violations=(inside, dotted, outside))))
    uris = {r["ruleId"]: r["locations"][0]["physicalLocation"]["artifactLocation"]
            for r in log["runs"][0]["results"]}
    assert uris["IAMG-101"] == {"uri": "iam/a%20b.json", "uriBaseId": "%SRCROOT%"}
    assert uris["IAMG-105"] == {"uri": "iam/c.json", "uriBaseId": "%SRCROOT%"}
    assert uris["IAMG-103"] == {"uri": "file:///elsewhere/d.json"}


def test_region_is_left_out_when_the_line_is_unknown() -> None:
    log = _validate(_render(Report(violations=(_violation(line=None, column=None),))))
    physical = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert "region" not in physical
    log = _validate(_render(Report(violations=(_violation(line=3, column=None),))))
    assert log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"] == {"startLine": 3}


def test_fingerprint_ignores_the_line_but_not_the_rest() -> None:
    base = _violation()
    moved = _violation(line=40, column=3, message="another wording")
    assert fingerprint(base, "/r") == fingerprint(moved, "/r")
    for changed in (_violation(rule_id="IAMG-105"), _violation(file="iam/other.json"),
                    _violation(resource="other-role"), _violation(path="$.Statement[1].Principal.AWS")):
        assert fingerprint(changed, "/r") != fingerprint(base, "/r")
    # The same file named two ways is the same finding.
    assert fingerprint(_violation(file="./iam/trust.json"), "/r") == fingerprint(base, "/r")
    assert fingerprint(_violation(file="/r/iam/trust.json"), "/r") == fingerprint(base, "/r")


def test_fingerprint_survives_an_edit_above_the_finding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "trust.json"
    target.write_text(json.dumps(WILDCARD, indent=2), encoding="utf-8")
    before = json.loads(_render(scan(["trust.json"]), base_dir=str(tmp_path)))["runs"][0]["results"]
    target.write_text("\n\n\n" + json.dumps(WILDCARD, indent=4), encoding="utf-8")
    after = json.loads(_render(scan(["trust.json"]), base_dir=str(tmp_path)))["runs"][0]["results"]
    assert before[0]["locations"][0]["physicalLocation"]["region"] != after[0]["locations"][0]["physicalLocation"]["region"]
    assert before[0]["partialFingerprints"] == after[0]["partialFingerprints"]


def test_errors_are_tool_execution_notifications() -> None:
    report = Report(violations=(_violation(),), errors=(
        ScanError("iam/broken.json", "invalid JSON at line 2 column 1: Expecting value"),
        ScanError("iam/trust.json", "deploy-role: rule could not be evaluated", rule_id="IAMG-104"),
    ))
    log = _validate(_render(report))
    [invocation] = log["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    broken, rule_error = invocation["toolExecutionNotifications"]
    assert broken == {
        "level": "error",
        "message": {"text": "iam/broken.json: invalid JSON at line 2 column 1: Expecting value"},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": "iam/broken.json", "uriBaseId": "%SRCROOT%"}}}],
        "descriptor": {"id": "input-error"},
    }
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert rules[rule_error["associatedRule"]["index"]]["id"] == rule_error["associatedRule"]["id"] == "IAMG-104"
    # The findings are still reported.
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["IAMG-101"]


def test_severity_overrides_and_disabled_rules_show() -> None:
    overridden = _violation(rule_id="IAMG-105", severity=Severity.LOW)  # the scanner already applied the override
    log = _validate(_render(Report(violations=(overridden,)), severity_overrides={"IAMG-105": Severity.LOW},
                            disabled_rules=("IAMG-110",)))
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["IAMG-105"]["properties"]["security-severity"] == "3.0"
    assert rules["IAMG-105"]["defaultConfiguration"] == {"enabled": True, "level": "note"}
    assert rules["IAMG-110"]["defaultConfiguration"]["enabled"] is False
    [result] = log["runs"][0]["results"]
    assert (result["level"], result["properties"]["severity"]) == ("note", "LOW")


def test_overrides_end_to_end(tmp_path: Path) -> None:
    target = tmp_path / "trust.json"
    target.write_text(json.dumps(WILDCARD, indent=2), encoding="utf-8")
    config = Config(severity_overrides={"IAMG-101": Severity.MEDIUM})
    log = _validate(_render(scan([target], config), severity_overrides=config.severity_overrides))
    [result] = log["runs"][0]["results"]
    assert (result["ruleId"], result["level"], result["properties"]["security-severity"]) == ("IAMG-101", "warning", "5.5")


def test_waived_and_template_suppressed_findings_carry_suppressions() -> None:
    waived = _violation(suppression="accepted until the vendor migrates", waiver="waivers[0]")
    template = _violation(rule_id="IAMG-103", severity=Severity.HIGH, suppression="reviewed quarterly")
    report = Report(suppressed=(waived, template), notices=(
        Notice("expired-waiver", "waivers[1]", "waiver waivers[1] (IAMG-104 on resource 'x') expired on 2020-01-01"),
        Notice("stale-waiver", "waivers[2]", "waiver waivers[2] (IAMG-105 on resource 'y') matches no finding"),
    ))
    log = _validate(_render(report))
    results = {r["ruleId"]: r for r in log["runs"][0]["results"]}
    assert results["IAMG-101"]["suppressions"] == [
        {"kind": "external", "status": "accepted", "justification": "accepted until the vendor migrates"}]
    assert results["IAMG-101"]["properties"]["waiver"] == "waivers[0]"
    assert results["IAMG-103"]["suppressions"] == [
        {"kind": "inSource", "status": "accepted", "justification": "reviewed quarterly"}]
    [invocation] = log["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is True
    assert [(n["level"], n["descriptor"]["id"]) for n in invocation["toolConfigurationNotifications"]] == [
        ("warning", "expired-waiver"), ("note", "stale-waiver")]


def test_baselined_findings_are_not_results() -> None:
    log = _validate(_render(Report(violations=(_violation(),), baselined=(_violation(rule_id="IAMG-105"),))))
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["IAMG-101"]
    assert log["runs"][0]["properties"] == {"baselined": 1}


def test_unknown_rule_gets_a_descriptor() -> None:
    log = _validate(_render(Report(violations=(_violation(rule_id="IAMG-999"),))))
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    [result] = log["runs"][0]["results"]
    assert rules[result["ruleIndex"]]["id"] == "IAMG-999"


def test_terraform_source_is_the_location_and_the_plan_a_related_one() -> None:
    # --tf-source: code scanning shows the finding on the .tf file of the pull request; the
    # plan's node stays as a related location, and the fingerprint is the plan finding's.
    violation = _violation(file="plan.json", line=40, column=9, path="$.resource_changes[0].change.after",
                           source=Location("infra/iam.tf", 12))
    log = _validate(_render(Report(violations=(violation,))))
    [result] = log["runs"][0]["results"]
    [location] = result["locations"]
    assert location["physicalLocation"] == {
        "artifactLocation": {"uri": "infra/iam.tf", "uriBaseId": "%SRCROOT%"}, "region": {"startLine": 12}}
    assert location["logicalLocations"][0]["name"] == "deploy-role"
    [related] = result["relatedLocations"]
    assert related["physicalLocation"] == {
        "artifactLocation": {"uri": "plan.json", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 40, "startColumn": 9}}
    assert related["message"]["text"] == "the value in the Terraform plan ($.resource_changes[0].change.after)"
    without_source = dataclasses.replace(violation, source=None)
    assert result["partialFingerprints"] == _validate(_render(Report(violations=(without_source,))))[
        "runs"][0]["results"][0]["partialFingerprints"]
    assert "relatedLocations" not in _validate(_render(Report(violations=(without_source,))))["runs"][0]["results"][0]


def test_deterministic_bytes(tmp_path: Path) -> None:
    for i in range(3):
        (tmp_path / f"t{i}.json").write_text(json.dumps(WILDCARD, indent=2), encoding="utf-8")
    config = Config(waivers=(Waiver("IAMG-101", "t1.json", "test role"),))
    first = _render(scan([tmp_path], config), base_dir=str(tmp_path))
    second = _render(scan([tmp_path], config), base_dir=str(tmp_path))
    assert first == second
    assert first.endswith("}\n")
    _validate(first)


def test_control_characters_and_unicode_stay_valid() -> None:
    text = _render(Report(violations=(_violation(message="bad \x1b[31m ✓ \"quoted\"\nline", resource="rôle"),)))
    log = _validate(text)
    assert log["runs"][0]["results"][0]["message"]["text"] == "rôle: bad \x1b[31m ✓ \"quoted\"\nline"


def test_the_schema_check_is_not_vacuous() -> None:
    log = json.loads(_render(Report(violations=(_violation(),))))
    log["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(AssertionError, match="level"):
        _validate(json.dumps(log))
    del log["version"]
    with pytest.raises(AssertionError):
        _validate(json.dumps(log))
