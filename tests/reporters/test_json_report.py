"""The JSON report contract: exact keys, order, values and formatting."""
from __future__ import annotations

import json

from pyiamguard.model import Location, Report, ScanError, Severity, Violation
from pyiamguard.reporters.json_report import render


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
    assert list(out) == ["schema_version", "tool", "violations", "errors", "summary"]
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
