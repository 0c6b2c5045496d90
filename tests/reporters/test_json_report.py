"""The JSON report contract: exact keys, order, values and formatting."""
from __future__ import annotations

import dataclasses
import datetime
import json
from pathlib import Path

import jsonschema
import pytest

from pyiamguard.cli import main
from pyiamguard.config import Config, Waiver
from pyiamguard.model import Location, Report, ScanError, Severity, Violation
from pyiamguard.reporters.json_report import SCHEMA_PATH, render
from pyiamguard.scanner import scan

REPO = Path(__file__).resolve().parents[2]
WILDCARD = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                     "Action": "sts:AssumeRole"}]}


def _violation(file: str = "a.json", line: int | None = 7, rule_id: str = "IAMG-101",
               severity: Severity = Severity.CRITICAL, message: str = "anyone can assume the role") -> Violation:
    return Violation(
        rule_id=rule_id,
        title="Any AWS principal can assume the role",
        severity=severity,
        message=message,
        resource="deploy-role",
        location=Location(file=file, line=line, column=21 if line else None, path="$.Statement[0].Principal.AWS"),
        remediation="Name the principals.",
    )


def test_top_level_keys_in_contract_order() -> None:
    out = json.loads(render(Report(), tool_version="9.8.7"))
    assert list(out) == ["schema_version", "tool", "violations", "errors", "scanned_files", "skipped_files", "summary"]
    assert out["schema_version"] == 1
    assert out["tool"] == {"name": "pyiamguard", "version": "9.8.7"}
    assert out["violations"] == []
    assert out["errors"] == []
    assert out["summary"] == {
        "files_scanned": 0,
        "files_skipped": 0,
        "documents": 0,
        "violations": 0,
        "errors": 0,
        "by_severity": {"CRITICAL": 0, "HIGH": 0, "MEDIUM": 0, "LOW": 0, "INFO": 0},
    }


def test_violation_and_error_fields() -> None:
    report = Report(
        violations=(_violation(),),
        errors=(ScanError("b.yaml", "invalid YAML at line 3 column 1: mapping values are not allowed here"),
                ScanError("c.json", "rule could not be evaluated", rule_id="IAMG-104")),
        scanned_files=("a.json", "b.yaml", "c.json"),
        skipped_files=(("notes.yaml", "not an IAM policy"),),
        documents=2,
    )
    out = json.loads(render(report, tool_version="0.1.0"))
    assert out["violations"] == [{
        "rule_id": "IAMG-101",
        "title": "Any AWS principal can assume the role",
        "severity": "CRITICAL",
        "message": "anyone can assume the role",
        "resource": "deploy-role",
        "file": "a.json",
        "line": 7,
        "column": 21,
        "path": "$.Statement[0].Principal.AWS",
        "remediation": "Name the principals.",
    }]
    assert list(out["violations"][0]) == list(_violation().to_dict())
    assert out["errors"] == [
        {"file": "b.yaml", "message": "invalid YAML at line 3 column 1: mapping values are not allowed here"},
        {"file": "c.json", "message": "rule could not be evaluated", "rule_id": "IAMG-104"},
    ]
    assert out["scanned_files"] == ["a.json", "b.yaml", "c.json"]
    assert out["skipped_files"] == [{"file": "notes.yaml", "reason": "not an IAM policy"}]
    assert out["summary"] == {
        "files_scanned": 3,
        "files_skipped": 1,
        "documents": 2,
        "violations": 1,
        "errors": 2,
        "by_severity": {"CRITICAL": 1, "HIGH": 0, "MEDIUM": 0, "LOW": 0, "INFO": 0},
    }


def test_unknown_line_is_null() -> None:
    out = json.loads(render(Report(violations=(_violation(line=None),)), tool_version="0.1.0"))
    assert out["violations"][0]["line"] is None
    assert out["violations"][0]["column"] is None


def test_formatting_indent_unicode_and_trailing_newline() -> None:
    text = render(Report(violations=(_violation(message="trusts ‘Zoë’ — café"),)), tool_version="0.1.0")
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert text.startswith('{\n  "schema_version": 1,\n  "tool": {\n    "name": "pyiamguard",')
    assert "trusts ‘Zoë’ — café" in text  # ensure_ascii=False: no \u escapes
    assert "\\u" not in text


def test_deterministic_whatever_the_input_order() -> None:
    a = _violation(file="z.json", rule_id="IAMG-103", severity=Severity.HIGH)
    b = _violation(file="a.json", rule_id="IAMG-101")
    c = _violation(file="a.json", line=2, rule_id="IAMG-105", severity=Severity.MEDIUM)
    first = render(Report(violations=(a, b, c)), tool_version="0.1.0")
    second = render(Report(violations=(c, a, b)), tool_version="0.1.0")
    assert first == second
    order = [(v["file"], v["line"], v["rule_id"]) for v in json.loads(first)["violations"]]
    assert order == [("a.json", 2, "IAMG-105"), ("a.json", 7, "IAMG-101"), ("z.json", 7, "IAMG-103")]


# --- the JSON Schema that ships in the package --------------------------------------------------


def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_the_schema_ships_in_the_installed_package() -> None:
    import pyiamguard

    assert SCHEMA_PATH == Path(pyiamguard.__file__).resolve().parent / "schemas" / "report.schema.json"
    assert "schemas/*.json" in (REPO / "pyproject.toml").read_text(encoding="utf-8")


def test_reports_of_real_scans_match_the_schema(tmp_path: Path) -> None:
    """Every optional part at least once: violations, errors, suppressed (template and waiver),
    notices (expired and stale), skipped files, --tf-source fields and errors_ignored."""
    (tmp_path / "public.json").write_text(json.dumps(WILDCARD), encoding="utf-8")
    (tmp_path / "notes.yaml").write_text("title: not a policy\n", encoding="utf-8")
    (tmp_path / "broken.json").write_text('{"Statement": [', encoding="utf-8")
    waivers = (Waiver("IAMG-101", "public.json", "demo"),
               Waiver("IAMG-103", "nothing-*", "stale"),
               Waiver("IAMG-105", "x", "expired", expires=datetime.date(2020, 1, 1)))
    reports = [
        scan([REPO / "examples"]),
        scan([tmp_path], Config(waivers=waivers)),
        scan([REPO / "tests" / "fixtures" / "cloudformation" / "suppressions.yaml"]),
        scan([REPO / "tests" / "fixtures" / "terraform" / "tf-source" / "plan.json"],
             tf_source=REPO / "tests" / "fixtures" / "terraform" / "tf-source" / "infra"),
        scan([tmp_path / "nothing-here"]),
    ]
    validator = _validator()
    seen: set[str] = set()
    for report in reports:
        for variant in (report, dataclasses.replace(report, errors_ignored=True)):
            document = json.loads(render(variant, tool_version="0.1.0"))
            errors = sorted(validator.iter_errors(document), key=str)
            assert not errors, errors[0]
            seen |= set(document) | {f"summary.{key}" for key in document["summary"]}
            seen |= {key for v in document["violations"] for key in v}
    assert {"suppressed", "notices", "source_file", "summary.errors_ignored"} <= seen


def test_the_cli_json_report_matches_the_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(REPO)
    baseline = tmp_path / "baseline.json"
    assert main(["scan", "examples/trust-wildcard.json", "--write-baseline", str(baseline)]) == 0
    capsys.readouterr()
    assert main(["scan", "examples", "--format", "json", "--baseline", str(baseline)]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["baselined"]
    assert not list(_validator().iter_errors(document))
    assert [s["file"] for s in document["skipped_files"]][:2] == ["examples/.pyiamguard.yaml",
                                                                 "examples/custom-policies/.pyiamguard.yaml"]
    assert "examples/trust-wildcard.json" in document["scanned_files"]


def test_the_schema_check_is_not_vacuous() -> None:
    document = json.loads(render(Report(violations=(_violation(),)), tool_version="0.1.0"))
    validator = _validator()
    assert not list(validator.iter_errors(document))
    for broken in (
        {**document, "extra": 1},
        {**document, "violations": [{**document["violations"][0], "severity": "SEVERE"}]},
        {**document, "violations": [{**document["violations"][0], "waiver": "waivers[0]"}]},
        {k: v for k, v in document.items() if k != "skipped_files"},
        {**document, "skipped_files": [{"file": "x"}]},
    ):
        assert list(validator.iter_errors(broken)), broken


def test_change_aware_reports_of_real_scans_match_the_schema(tmp_path: Path) -> None:
    """A plan compared with its prior state and templates compared with `compare_to`: every
    change key (violations' `change`, `compared`, `resolved`, `changes`, `summary.changes`)."""
    from pyiamguard.scanner import Scanner

    vendor = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:root"}, "Action": "sts:AssumeRole"}]}
    for folder, a, b in (("old", vendor, vendor), ("new", WILDCARD, vendor)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "a.json").write_text(json.dumps(a, indent=2), encoding="utf-8")
        (tmp_path / folder / "b.json").write_text(json.dumps(b, indent=2), encoding="utf-8")
    reports = [
        Scanner().scan([tmp_path / "new"], compare_to=tmp_path / "old"),
        scan([REPO / "tests" / "fixtures" / "terraform" / "tf-source" / "plan.json"]),
    ]
    validator = _validator()
    seen: set[str] = set()
    for report in reports:
        assert report.compared
        document = json.loads(render(report, tool_version="0.1.0"))
        errors = sorted(validator.iter_errors(document), key=str)
        assert not errors, errors[0]
        assert {"compared", "resolved", "changes"} <= set(document) and "changes" in document["summary"]
        seen |= {v["change"] for v in document["violations"] + document["resolved"]}
        seen |= {c["status"] for c in document["changes"]}
    assert {"new", "existing", "resolved", "updated", "created"} <= seen
