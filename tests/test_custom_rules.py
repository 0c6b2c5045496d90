"""Custom Rego rules: loaded from the user's folders, evaluated beside the built-in ones, and
treated like them everywhere (reports, `rules`, overrides, waivers, baselines, suppressions,
the OPA bundle); every way a custom rule can be wrong is a clear configuration error."""
from __future__ import annotations

import json
import shutil
import tarfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from pyiamguard import Config, ConfigError, EngineError, Scanner, scan
from pyiamguard.cli import main
from pyiamguard.model import Severity

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "custom-policies"
POLICIES = EXAMPLE / "policies"
VENDOR_ROLES = POLICIES / "vendor_trust" / "examples" / "violating_vendor_roles.yaml"
UNTAGGED = POLICIES / "owner_tag" / "examples" / "violating_untagged_vendor_roles.yaml"
GITHUB = POLICIES / "github_org" / "examples" / "violating_github_subjects.yaml"

ACCOUNTS = {"own_accounts": ["111122223333"], "internal_accounts": ["111122224444"],
            "trusted_accounts": ["444455556666", "777788889999"]}


def _config(**keys: Any) -> Config:
    return Config(**{**ACCOUNTS, "policy_dirs": [POLICIES], "policy_data": EXAMPLE / "data.yaml", **keys})


def _custom(violations: Any) -> list[tuple[str, str, str, int, str]]:
    return sorted((v.rule_id, v.severity.value, v.resource, v.line, v.message) for v in violations
                  if not v.rule_id.startswith("IAMG-"))


# --- the example guardrails through the library -------------------------------------------------


def test_the_three_example_guardrails_report_exactly_their_findings() -> None:
    report = scan([VENDOR_ROLES, UNTAGGED, GITHUB], _config())
    assert report.errors == ()
    assert _custom(report.violations) == [
        ("ACME-001", "HIGH", "BackupRole", 42,
         "Account 777788889999 (arn:aws:iam::777788889999:role/backup-agent) may keep sessions longer than "
         "max_vendor_session_seconds"),
        ("ACME-001", "HIGH", "MonitoringRole", 33,
         "Account 444455556666 (arn:aws:iam::444455556666:role/monitoring-integration) may assume the role without "
         "sts:ExternalId"),
        ("ACME-001", "HIGH", "UnknownVendorRole", 16,
         "Account 999900001111 (arn:aws:iam::999900001111:root) is not an approved vendor account"),
        ("ACME-002", "HIGH", "DeployRole", 22,
         "GitHub subject repo:acme-contractor/payments:* is outside the approved organizations "
         "(arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com)"),
        ("ACME-003", "MEDIUM", "BackupRole", 24,
         "Role BackupRole can be assumed from outside your accounts and its Owner tag cannot be known before deploy"),
        ("ACME-003", "MEDIUM", "MonitoringRole", 7,
         "Role MonitoringRole can be assumed from outside your accounts and its Owner tag is missing"),
    ]
    by_rule = {v.rule_id: v for v in report.violations}
    assert by_rule["ACME-001"].remediation.startswith("Trust only accounts on the approved vendor list")
    assert by_rule["ACME-001"].title.startswith("Third party that is not an approved vendor")


def test_policy_data_is_what_the_rules_read() -> None:
    """Without the approved vendor list, every vendor is unapproved."""
    report = scan([VENDOR_ROLES], _config(policy_data={"approved_vendor_accounts": []}))
    assert [(v.resource, v.message.split(" ")[-1]) for v in report.violations if v.rule_id == "ACME-001"] == [
        ("UnknownVendorRole", "account"), ("MonitoringRole", "account"), ("BackupRole", "account")]


def test_built_in_findings_are_unchanged_by_custom_rules() -> None:
    plain = scan([VENDOR_ROLES, UNTAGGED, GITHUB], Config(**ACCOUNTS))
    with_custom = scan([VENDOR_ROLES, UNTAGGED, GITHUB], _config())
    assert [v for v in with_custom.violations if v.rule_id.startswith("IAMG-")] == list(plain.violations)


def test_a_scanner_compiles_once_for_many_documents(monkeypatch: pytest.MonkeyPatch) -> None:
    from pyiamguard import engine

    built: list[object] = []
    real = engine.Engine.__init__

    def counting(self: Any, *args: Any, **kwargs: Any) -> None:
        built.append(self)
        real(self, *args, **kwargs)

    monkeypatch.setattr(engine.Engine, "__init__", counting)
    scanner = Scanner(_config())
    text = VENDOR_ROLES.read_text()
    results = [scanner.scan_document(text, name=f"stack-{i}.yaml") for i in range(3)]
    assert len(built) == 1
    assert [sorted(v.rule_id for v in r.violations if v.rule_id == "ACME-001") for r in results] == [["ACME-001"] * 3] * 3


def test_custom_rules_are_listed_with_the_built_in_ones() -> None:
    ids = [r.rule_id for r in Scanner(_config()).rules]
    assert ids[:3] == ["ACME-001", "ACME-002", "ACME-003"] and "IAMG-101" in ids
    rule = Scanner(_config()).rules[0]
    assert (rule.custom, rule.package, rule.origin) == (True, "acme.vendor_trust",
                                                         (POLICIES / "vendor_trust" / "policy.rego").as_posix())


# --- severity overrides, disabled rules, waivers, baselines, suppressions ------------------------


def test_severity_override_and_disabled_rules_take_custom_ids() -> None:
    report = scan([VENDOR_ROLES, GITHUB], _config(severity_overrides={"ACME-001": "low"}, disabled_rules=["ACME-002"]))
    assert {v.severity for v in report.violations if v.rule_id == "ACME-001"} == {Severity.LOW}
    assert not [v for v in report.violations if v.rule_id == "ACME-002"]


def test_an_unknown_custom_id_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match=r"disabled_rules: unknown rule 'ACME-009'"):
        _config(disabled_rules=["ACME-009"])
    with pytest.raises(ConfigError, match=r"unknown rule 'ACME-001'"):
        Config(disabled_rules=["ACME-001"])  # without the folder that defines it


def test_a_waiver_suppresses_a_custom_finding() -> None:
    waiver = {"rule": "ACME-001", "resource": "Unknown*", "reason": "vendor onboarding in progress"}
    report = scan([VENDOR_ROLES], _config(waivers=[waiver]))
    assert sorted(v.resource for v in report.violations if v.rule_id == "ACME-001") == ["BackupRole", "MonitoringRole"]
    assert [(v.rule_id, v.resource) for v in report.suppressed] == [("ACME-001", "UnknownVendorRole")]


def test_a_template_suppression_names_a_custom_rule(tmp_path: Path) -> None:
    text = UNTAGGED.read_text().replace(
        "  MonitoringRole:\n    Type: AWS::IAM::Role\n",
        "  MonitoringRole:\n    Type: AWS::IAM::Role\n    Metadata:\n      pyiamguard:\n        ignore:\n"
        "          - rule: ACME-003\n            reason: owner recorded in the vendor register\n")
    (tmp_path / "stack.yaml").write_text(text)
    report = scan([tmp_path / "stack.yaml"], _config())
    assert report.errors == ()
    assert [v.resource for v in report.violations if v.rule_id == "ACME-003"] == ["BackupRole"]
    assert [(v.rule_id, v.resource, v.suppression) for v in report.suppressed] == [
        ("ACME-003", "MonitoringRole", "owner recorded in the vendor register")]


def test_a_baseline_records_and_hides_custom_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    _example_workspace(tmp_path, monkeypatch)
    assert main(["scan", "stacks", "--write-baseline", "baseline.json", "--format", "json"]) == 0
    recorded = json.loads((tmp_path / "baseline.json").read_text())
    assert [e["resource"] for e in recorded["findings"] if e["rule_id"] == "ACME-001"] == [
        "BackupRole", "MonitoringRole", "UnknownVendorRole"]
    capsys.readouterr()
    assert main(["scan", "stacks", "--baseline", "baseline.json", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["violations"] == []


# --- every report format ------------------------------------------------------------------------


def _example_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The example folder's configuration, rules and data, and one stack to scan, as a user has them."""
    shutil.copytree(POLICIES, tmp_path / "policies")
    shutil.copy(EXAMPLE / "data.yaml", tmp_path / "data.yaml")
    shutil.copy(EXAMPLE / ".pyiamguard.yaml", tmp_path / ".pyiamguard.yaml")
    (tmp_path / "stacks").mkdir()
    shutil.copy(VENDOR_ROLES, tmp_path / "stacks" / "vendors.yaml")
    monkeypatch.chdir(tmp_path)


def test_custom_findings_in_every_report_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    _example_workspace(tmp_path, monkeypatch)
    args = ["scan", "stacks", "--rule", "ACME-001", "--format", "json=r.json", "--format", "sarif=r.sarif",
            "--format", "junit=r.xml", "--format", "github=r.github", "--format", "text"]
    assert main(args) == 1
    text = capsys.readouterr().out
    assert "stacks/vendors.yaml\n  16:15  HIGH      ACME-001  UnknownVendorRole: Account 999900001111" in text
    assert "      fix: Trust only accounts on the approved vendor list" in text

    found = json.loads((tmp_path / "r.json").read_text())["violations"]
    assert [(v["rule_id"], v["line"], v["resource"]) for v in found] == [
        ("ACME-001", 16, "UnknownVendorRole"), ("ACME-001", 33, "MonitoringRole"), ("ACME-001", 42, "BackupRole")]

    sarif = json.loads((tmp_path / "r.sarif").read_text())["runs"][0]
    rule = next(r for r in sarif["tool"]["driver"]["rules"] if r["id"] == "ACME-001")
    assert rule["shortDescription"]["text"].startswith("Third party that is not an approved vendor")
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"],
             r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) for r in sarif["results"]] == [
        ("ACME-001", 16, "stacks/vendors.yaml"), ("ACME-001", 33, "stacks/vendors.yaml"),
        ("ACME-001", 42, "stacks/vendors.yaml")]
    assert sarif["tool"]["driver"]["rules"][sarif["results"][0]["ruleIndex"]]["id"] == "ACME-001"

    junit = ET.parse(tmp_path / "r.xml").getroot()
    failed = [case for case in junit.iter("testcase") if case.find("failure") is not None]
    assert {case.get("name", "") for case in failed} and all("ACME-001" in case.get("name", "") + case.get("classname", "")
                                                             for case in failed)

    github = (tmp_path / "r.github").read_text().splitlines()
    assert [line.split("::")[1].split(",")[:2] for line in github if line.startswith("::error")] == [
        ["error file=stacks/vendors.yaml", "line=16"], ["error file=stacks/vendors.yaml", "line=33"],
        ["error file=stacks/vendors.yaml", "line=42"]]
    assert all("ACME-001" in line for line in github if line.startswith("::error"))


def test_rules_command_shows_custom_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    _example_workspace(tmp_path, monkeypatch)
    assert main(["rules"]) == 0
    assert "ACME-002  HIGH      GitHub OIDC role not confined to your organizations' repositories" in capsys.readouterr().out
    assert main(["rules", "ACME-003", "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["rule_id"], shown["severity"], shown["custom"], shown["origin"]) == (
        "ACME-003", "MEDIUM", True, "policies/owner_tag/policy.rego")
    assert shown["message"].startswith("Role {resource} can be assumed")


# --- errors: each one clear, exit 2, nothing partial ---------------------------------------------

RULE = """\
# METADATA
# title: Test rule
# description: A rule for the error tests.
# custom:
#   id: {id}
#   severity: {severity}
#   remediation: Fix it.
#   message: "{message}"
package {package}

import rego.v1

import data.pyiamguard.lib.result

deny contains result.finding(stmt.ref, {{"statement": stmt.ref}}) if {{
	some stmt in input.statements
	{body}
}}
"""


def _rule(folder: Path, name: str = "rule", *, id: str = "TEST-001", severity: str = "LOW",
          message: str = "{statement} is wrong", package: str = "tests.rule", body: str = 'stmt.effect == "Allow"',
          text: str | None = None) -> Path:
    path = folder / name / "policy.rego"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text if text is not None else RULE.format(id=id, severity=severity, message=message,
                                                               package=package, body=body))
    return folder


@pytest.mark.parametrize(("change", "message"), [
    ({"id": "IAMG-777"}, "rule/policy.rego: rule id IAMG-777 uses the IAMG- prefix reserved for built-in rules"),
    ({"id": "acme 1"}, "rule/policy.rego: rule id 'acme 1' is not an id like ACME-001"),
    ({"severity": "severe"}, "rule/policy.rego: custom.severity: "),
    ({"message": "{statment} is wrong"}, "rule/policy.rego: custom.message: the placeholder {statment} is not a key"),
    ({"message": ""}, "rule/policy.rego: METADATA lacks custom.message"),
    ({"package": "pyiamguard.rules.mine"}, "rule/policy.rego: package pyiamguard.rules.mine is reserved"),
])
def test_a_malformed_custom_rule_is_a_configuration_error(tmp_path: Path, change: dict[str, str], message: str) -> None:
    _rule(tmp_path, **change)
    with pytest.raises(ConfigError) as raised:
        Config(policy_dirs=[tmp_path])
    assert str(raised.value).startswith(f"{(tmp_path / message.split(':')[0]).as_posix()}:{message.split(':', 1)[1]}")


def test_a_rule_without_metadata_and_metadata_without_a_rule(tmp_path: Path) -> None:
    _rule(tmp_path, text="package tests.bare\n\nimport rego.v1\n\ndeny contains 1 if input.kind\n")
    with pytest.raises(ConfigError, match=r"bare|rule/policy.rego: the rule has no # METADATA block"):
        Config(policy_dirs=[tmp_path])
    other = tmp_path / "other"
    _rule(other, text=RULE.format(id="TEST-1", severity="LOW", message="x", package="tests.x", body="true")
          .replace("deny contains", "allow contains"))
    with pytest.raises(ConfigError, match=r"METADATA names rule TEST-1 but the module defines no `deny` rule"):
        Config(policy_dirs=[other])


def test_duplicate_ids_and_packages(tmp_path: Path) -> None:
    _rule(tmp_path, "a")
    _rule(tmp_path, "b", package="tests.other")
    with pytest.raises(ConfigError, match=r"b/policy.rego: rule id TEST-001 is already used by .*a/policy.rego"):
        Config(policy_dirs=[tmp_path])
    shutil.rmtree(tmp_path / "b")
    _rule(tmp_path, "b", id="TEST-002")
    with pytest.raises(ConfigError, match=r"b/policy.rego: package tests.rule already holds the rule of .*a/policy"):
        Config(policy_dirs=[tmp_path])


def test_a_missing_policy_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ConfigError, match=r"policy_dirs: .*nowhere does not exist"):
        Config(policy_dirs=[tmp_path / "nowhere"])
    assert main(["scan", "--policy", str(tmp_path / "nowhere"), str(VENDOR_ROLES)]) == 2
    assert capsys.readouterr().err.strip() == f"pyiamguard: error: --policy {tmp_path / 'nowhere'} does not exist"


def test_a_module_that_does_not_compile_names_its_line_and_nothing_is_reported(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _rule(tmp_path, body="stmt.effect ==")
    with pytest.raises(EngineError, match=r"rule/policy.rego:17:\d+: does not compile: "):
        Scanner(Config(policy_dirs=[tmp_path]))
    assert main(["scan", "--policy", str(tmp_path), "--format", "json", str(VENDOR_ROLES)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"pyiamguard: error: {(tmp_path / 'rule' / 'policy.rego').as_posix()}:17:")
    assert "Traceback" not in captured.err


def test_a_helper_module_without_deny_is_loaded(tmp_path: Path) -> None:
    helper = tmp_path / "lib" / "helpers.rego"
    helper.parent.mkdir()
    helper.write_text("package tests.lib\n\nimport rego.v1\n\nallowing(stmt) if stmt.effect == \"Allow\"\n")
    _rule(tmp_path, body="data.tests.lib.allowing(stmt)")
    report = Scanner(Config(policy_dirs=[tmp_path])).scan_document(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]})
    assert [(v.rule_id, v.message, v.path) for v in report.violations] == [
        ("TEST-001", "Statement 1 is wrong", "$.Statement[0]")]


@pytest.mark.parametrize(("data", "message"), [
    ({"vendors": ["caf\u00e9"]}, "policy_data.vendors[0] 'caf\u00e9' holds a character the Rego engines read differently"),
    ({"limit": 1.5}, "policy_data.limit: 1.5 is not a string, a whole number below 10^15"),
    ({"say": 'a"b'}, "policy_data.say 'a\"b' holds a character"),
    (["not", "a", "mapping"], "policy_data: expected a mapping"),
])
def test_policy_data_the_engines_would_read_differently_is_refused(data: Any, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Config(policy_data=data)
    assert str(raised.value).startswith(message)


def test_policy_data_files(tmp_path: Path) -> None:
    (tmp_path / "data.yaml").write_text("mode: 0755\n")
    with pytest.raises(ConfigError, match=r"data.yaml:1: an unquoted number with a leading zero is an octal"):
        Config(policy_data=tmp_path / "data.yaml")
    (tmp_path / "data.json").write_text('{"accounts": ["012345678901"], "limit": 3600}')
    assert Config(policy_data=tmp_path / "data.json").policy_data == {"accounts": ["012345678901"], "limit": 3600}
    with pytest.raises(ConfigError, match=r"policy_data: cannot read .*missing.yaml"):
        Config(policy_data=tmp_path / "missing.yaml")


def test_config_file_paths_are_relative_to_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pyiamguard import load_config

    shutil.copytree(EXAMPLE, tmp_path / "repo")
    monkeypatch.chdir(tmp_path)
    config = load_config(tmp_path / "repo" / ".pyiamguard.yaml")
    assert config.policy_dirs == (str(tmp_path / "repo" / "policies"),)
    assert config.policy_data["github_organizations"] == ["acme-corp"]


# --- inspect and the bundle -----------------------------------------------------------------------


def test_inspect_prints_the_documents_with_located_refs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(VENDOR_ROLES)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["errors"] == []
    assert [d["resource"] for d in out["documents"]] == ["UnknownVendorRole", "MonitoringRole", "BackupRole"]
    backup = out["documents"][2]
    assert backup["input"]["resource"]["name"] == "backup-vendor"
    principal = backup["input"]["statements"][0]["principals"][0]
    assert backup["refs"][principal["ref"]] == {
        "file": str(VENDOR_ROLES), "line": 48, "column": 15,
        "path": "$.Resources.BackupRole.Properties.AssumeRolePolicyDocument.Statement[0].Principal.AWS",
        "text": "arn:aws:iam::777788889999:role/backup-agent"}


def test_inspect_input_only_needs_one_document(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(VENDOR_ROLES), "--input-only"]) == 2
    assert "--input-only prints one document, and 3 were found" in capsys.readouterr().err
    assert main(["inspect", str(VENDOR_ROLES), "--input-only", "--resource", "BackupRole"]) == 0
    assert json.loads(capsys.readouterr().out)["role"]["max_session"]["seconds"] == 14400
    assert main(["inspect", str(VENDOR_ROLES), "--resource", "BackupRol"]) == 2
    assert "did you mean 'BackupRole'" in capsys.readouterr().err


def test_the_bundle_with_custom_rules_judges_as_the_scan_does_in_opa(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], shared_dir: Path) -> None:
    import importlib.util

    _example_workspace(tmp_path, monkeypatch)
    assert main(["bundle", "--output", "acme.tar.gz"]) == 0
    from pyiamguard.catalog import load_policy_set

    built_in = len(load_policy_set().rules)
    assert capsys.readouterr().out == f"wrote acme.tar.gz: {built_in} built-in and 3 custom rules\n"
    with tarfile.open(tmp_path / "acme.tar.gz", "r:gz") as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]
    assert json.loads(members["/.manifest"])["roots"] == ["pyiamguard", "acme"]
    assert "/acme/vendor_trust/policy.rego" in members and "/pyiamguard/custom_main/policy.rego" in members

    spec = importlib.util.spec_from_file_location("opa_oracle", shared_dir / "tools" / "opa_oracle.py")
    assert spec and spec.loader
    oracle: Any = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(oracle)
    opa = oracle.engine()
    for name, content in members.items():
        if name.endswith(".rego"):
            opa.add_policy(name, content.decode())
    opa.add_data(json.loads(members["/data.json"]))
    assert main(["inspect", "stacks/vendors.yaml"]) == 0
    inspected = json.loads(capsys.readouterr().out)["documents"]
    report = Scanner(_config()).scan(["stacks/vendors.yaml"])
    for document in inspected:
        found = opa.eval_query("x := data.pyiamguard.custom_main.findings", document["input"])[0]["x"]
        lines = sorted(document["refs"][f["ref"]]["line"] for f in found)
        assert lines == sorted(v.line for v in report.violations
                               if v.rule_id.startswith("ACME-") and v.resource == document["resource"])


# --- pyiamguard test and new-rule ------------------------------------------------------------------


def test_the_example_guardrails_pass_their_own_tests(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(EXAMPLE)
    assert main(["test", "policies", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["summary"] == {"passed": 20, "failed": 0, "errors": 0}
    assert sorted({r["package"] for r in out["rego"]}) == [
        "acme.github_org_test", "acme.owner_tag_test", "acme.vendor_trust_test"]
    assert sorted(e["file"] for e in out["examples"]) == sorted(
        p.relative_to(EXAMPLE).as_posix() for p in POLICIES.glob("*/examples/*.yaml") if p.name != "expected.yaml")


def test_the_example_guardrails_tests_pass_in_opa_too(shared_dir: Path, tmp_path: Path) -> None:
    """The same Rego tests, run by real OPA over the built-in library and the rules."""
    import subprocess
    import sys

    shutil.copytree(REPO / "policies" / "pyiamguard" / "lib", tmp_path / "pyiamguard" / "lib",
                    ignore=shutil.ignore_patterns("*_test.rego"))
    shutil.copy(REPO / "policies" / "data.json", tmp_path / "data.json")
    shutil.copytree(POLICIES, tmp_path / "acme", ignore=shutil.ignore_patterns("examples"))
    result = subprocess.run([sys.executable, str(shared_dir / "tools" / "opa_oracle.py"), "test", str(tmp_path)],
                            capture_output=True, text=True, timeout=600)
    assert "PASS: 14/14" in result.stdout, result.stdout + result.stderr


def test_a_wrong_expectation_fails_the_test_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    _example_workspace(tmp_path, monkeypatch)
    expected = tmp_path / "policies" / "vendor_trust" / "examples" / "expected.yaml"
    expected.write_text(expected.read_text().replace("Statement[0].Principal.AWS', 16]", "Statement[0].Principal.AWS', 17]"))
    assert main(["test", "policies"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == ("FAIL  example policies/vendor_trust/examples/violating_vendor_roles.yaml: missing [ACME-001, HIGH, "
                      "$.Resources.UnknownVendorRole.Properties.AssumeRolePolicyDocument.Statement[0].Principal.AWS, 17]; "
                      "unexpected [ACME-001, HIGH, "
                      "$.Resources.UnknownVendorRole.Properties.AssumeRolePolicyDocument.Statement[0].Principal.AWS, 16]")
    assert out[-1] == "19 passed, 1 failed, 0 errors (14 Rego tests, 6 examples)"


def test_a_failing_rego_test_and_a_folder_without_tests(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _rule(tmp_path)
    (tmp_path / "rule" / "policy_test.rego").write_text(
        "package tests.rule_test\n\nimport rego.v1\n\ntest_never if {\n\t1 == 2\n}\n")
    assert main(["test", str(tmp_path)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"FAIL  tests.rule_test.test_never ({(tmp_path / 'rule' / 'policy_test.rego').as_posix()}:5): "
        "the rule is false or undefined",
        "0 passed, 1 failed, 0 errors (1 Rego tests, 0 examples)"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["test", str(empty)]) == 2
    assert "no tests found in" in capsys.readouterr().err


def test_test_reports_a_module_that_does_not_compile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _rule(tmp_path, body="stmt.effect ==")
    (tmp_path / "rule" / "policy_test.rego").write_text(
        "package tests.rule_test\n\nimport rego.v1\n\ntest_one if {\n\t1 == 1\n}\n")
    assert main(["test", str(tmp_path)]) == 1
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("ERROR tests.rule_test.test_one")
    assert f"{(tmp_path / 'rule' / 'policy.rego').as_posix()}:17:" in first and "does not compile" in first


def test_from_new_rule_to_a_sarif_finding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """The README's walk-through: scaffold, test, scan in CI with SARIF."""
    monkeypatch.chdir(tmp_path)
    assert main(["new-rule", "whole_account", "--id", "ACME-101", "--dir", "guardrails"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "wrote guardrails/whole_account/policy.rego"
    assert main(["test", "guardrails"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "4 passed, 0 failed, 0 errors (2 Rego tests, 2 examples)"
    (tmp_path / "iam").mkdir()
    (tmp_path / "iam" / "partner.json").write_text(json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "222233334444"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": "partner-7f3c"}}}]}, indent=2))
    assert main(["scan", "iam", "--policy", "guardrails", "--rule", "ACME-101", "--format", "sarif"]) == 1
    result = json.loads(capsys.readouterr().out)["runs"][0]["results"][0]
    assert result["ruleId"] == "ACME-101"
    assert result["message"]["text"].startswith("partner.json: Statement 1 trusts the whole account 222233334444 "
                                                "(222233334444)")
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 7  # "AWS": "222233334444"
    assert main(["new-rule", "whole_account", "--id", "ACME-101", "--dir", "guardrails"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["new-rule", "other", "--id", "IAMG-900", "--dir", "guardrails"]) == 2
    assert "reserved for built-in rules" in capsys.readouterr().err


# --- the engine memo ---------------------------------------------------------------------------------


def test_built_in_rules_never_read_the_resource_section() -> None:
    """Documents that differ only in names, paths and tags share one evaluation of the built-in
    rules (engine.Engine.key); that is exact only while no built-in rule reads them."""
    import re

    for path in (REPO / "policies").rglob("*.rego"):
        if not path.name.endswith("_test.rego"):
            assert not re.search(r"\.resource(?![a-z_])", path.read_text()), path


def test_names_and_tags_share_an_evaluation_only_without_custom_rules() -> None:
    from pyiamguard.engine import Engine
    from pyiamguard.scanner import collectors, engine_data, entrypoints

    first = scan([UNTAGGED], Config(**ACCOUNTS))
    assert first.errors == ()
    documents = Scanner(Config(**ACCOUNTS)).inspect([UNTAGGED]).documents
    assert [d.input["resource"]["name"] for d in documents] == ["monitoring-vendor", "backup-vendor"]
    for config, shared in ((Config(**ACCOUNTS), True), (_config(), False)):
        scanner = Scanner(config)
        policies = scanner._policies
        engine = Engine(policies.modules, engine_data(policies, config), entrypoints(policies), collectors(policies))
        renamed = {**documents[0].input, "resource": {**documents[0].input["resource"], "name": "other"}}
        assert (engine.key(documents[0].input) == engine.key(renamed)) is shared


def test_a_rule_that_crashes_the_engine_is_an_error_of_test_not_a_crash(capsys: pytest.CaptureFixture[str]) -> None:
    import re

    folder = Path(__file__).parent / "fixtures" / "custom" / "crashes_engine"
    assert main(["test", str(folder)]) == 1
    lines = capsys.readouterr().out.splitlines()
    # regopy dies with SIGBUS or SIGSEGV on this rule, depending on the memory it trips on.
    assert re.fullmatch(
        re.escape(f"ERROR example {(folder / 'crash' / 'examples' / 'expected.yaml').as_posix()}: the embedded engine "
                  "crashed while scanning the examples (killed by signal ") + "SIG(BUS|SEGV)" + re.escape(
            "): a rule uses Rego that regopy cannot run; `pyiamguard test` of one rule folder at a time finds which"),
        lines[0]), lines[0]
    assert lines[1:] == ["0 passed, 0 failed, 1 errors (0 Rego tests, 1 examples)"]


def test_the_memo_never_mixes_roles_that_differ_only_in_tags(tmp_path: Path) -> None:
    """One template of roles that differ only in names and tags gives, per role, what a scan of
    that role alone gives: built-in findings shared, custom ones judged per role."""
    role = UNTAGGED.read_text().split("  MonitoringRole:\n", 1)[1].split("  BackupRole:\n", 1)[0]
    tags = ["", "        - Key: Owner\n          Value: team-a\n", "        - Key: Owner\n          Value: ''\n",
            "        - Key: Team\n          Value: b\n"]
    def one(i: int, tag: str) -> str:
        body = role.replace("monitoring-vendor", f"vendor-{i}")
        body = body.replace("      Tags:\n        - Key: CostCenter\n          Value: \"4711\"\n",
                            f"      Tags:\n{tag}" if tag else "")
        return f"  Role{i}:\n{body}"
    head = "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n"
    (tmp_path / "all.yaml").write_text(head + "".join(one(i, t) for i, t in enumerate(tags * 3)))
    together = scan([tmp_path / "all.yaml"], _config())
    assert together.errors == ()
    alone = []
    for i, tag in enumerate(tags * 3):
        (tmp_path / f"role{i}.yaml").write_text(head + one(i, tag))
        alone += [(v.rule_id, v.resource, v.message) for v in scan([tmp_path / f"role{i}.yaml"], _config()).violations]
    assert sorted((v.rule_id, v.resource, v.message) for v in together.violations) == sorted(alone)
    assert sorted(v.resource for v in together.violations if v.rule_id == "ACME-003") == [
        "Role0", "Role10", "Role11", "Role2", "Role3", "Role4", "Role6", "Role7", "Role8"]


@pytest.mark.parametrize("document", ["README.md", "docs/model.md"])
def test_the_rules_shown_in_the_documentation_load_and_report(document: str, tmp_path: Path) -> None:
    import re

    blocks = re.findall(r"```rego\n(.*?)```", (REPO / document).read_text(), flags=re.S)
    assert blocks, document
    for i, block in enumerate(blocks):
        (tmp_path / f"rule{i}").mkdir()
        (tmp_path / f"rule{i}" / "policy.rego").write_text(block)
    report = scan([VENDOR_ROLES, UNTAGGED], Config(policy_dirs=[tmp_path]))
    assert report.errors == ()
    shown = sorted((v.rule_id, v.resource, v.message) for v in report.violations if not v.rule_id.startswith("IAMG-"))
    if document == "README.md":
        assert shown == [("ACME-101", "UnknownVendorRole", "Statement 1 trusts the whole account 999900001111 "
                                                             "(arn:aws:iam::999900001111:root)")]
    else:
        assert shown == [
            ("ORG-001", "BackupRole", "BackupRole (AWS::IAM::Role) has tags that cannot be known before deployment"),
            ("ORG-001", "MonitoringRole", "MonitoringRole (AWS::IAM::Role) has no Owner tag")]
