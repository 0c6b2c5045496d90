"""The text report for people: exact layout, colour only on request, the summary line."""
from __future__ import annotations

from pyiamguard.model import Location, Report, ScanError, Severity, Violation
from pyiamguard.reporters.text import render


def _violation(file: str, line: int | None, column: int | None, rule_id: str, severity: Severity,
               resource: str = "deploy-role", message: str = "something is wrong",
               remediation: str = "Fix it.") -> Violation:
    return Violation(
        rule_id=rule_id,
        title="t",
        severity=severity,
        message=message,
        resource=resource,
        location=Location(file=file, line=line, column=column, path="$.Statement[0].Principal.AWS"),
        remediation=remediation,
    )


def test_groups_by_file_with_aligned_positions() -> None:
    report = Report(
        violations=(
            _violation("b.json", 7, 21, "IAMG-101", Severity.CRITICAL, message="anyone can assume"),
            _violation("a.json", 12, 13, "IAMG-103", Severity.HIGH, message="no external id"),
            _violation("a.json", 5, 10, "IAMG-105", Severity.MEDIUM, message="whole account"),
        ),
        scanned_files=("a.json", "b.json", "c.json"),
    )
    assert render(report, color=False) == (
        "a.json\n"
        "   5:10  MEDIUM    IAMG-105  deploy-role: whole account\n"
        "      path: $.Statement[0].Principal.AWS\n"
        "      fix: Fix it.\n"
        "  12:13  HIGH      IAMG-103  deploy-role: no external id\n"
        "      path: $.Statement[0].Principal.AWS\n"
        "      fix: Fix it.\n"
        "\n"
        "b.json\n"
        "  7:21  CRITICAL  IAMG-101  deploy-role: anyone can assume\n"
        "      path: $.Statement[0].Principal.AWS\n"
        "      fix: Fix it.\n"
        "\n"
        "3 violations (1 critical, 1 high, 1 medium, 0 low, 0 info) in 3 files scanned, 0 errors\n"
    )


def test_no_violations_line() -> None:
    report = Report(scanned_files=("a.json",))
    assert render(report, color=False) == "no violations in 1 file scanned, 0 errors\n"


def test_summary_counts_errors_and_skipped_files() -> None:
    report = Report(
        violations=(_violation("a.json", 1, 1, "IAMG-110", Severity.LOW),),
        errors=(ScanError("bad.json", "invalid JSON"),),
        scanned_files=("a.json",),
        skipped_files=(("notes.yaml", "not an IAM policy"), ("x.yml", "not an IAM policy")),
    )
    assert render(report, color=False).splitlines()[-1] == (
        "1 violation (0 critical, 0 high, 0 medium, 1 low, 0 info) in 1 file scanned, 2 skipped, 1 error"
    )
    clean = Report(errors=(ScanError("a", "x"), ScanError("b", "y")), scanned_files=("a", "b", "c"))
    assert render(clean, color=False) == "no violations in 3 files scanned, 2 errors\n"


def test_unknown_position_empty_resource_and_remediation() -> None:
    report = Report(violations=(
        _violation("a.json", None, None, "IAMG-001", Severity.MEDIUM, resource="", remediation=""),
        _violation("a.json", 4, None, "IAMG-002", Severity.MEDIUM),
    ))
    lines = render(report, color=False).splitlines()
    assert lines[:5] == [
        "a.json",
        "  -  MEDIUM    IAMG-001  something is wrong",
        "      path: $.Statement[0].Principal.AWS",
        "  4  MEDIUM    IAMG-002  deploy-role: something is wrong",
        "      path: $.Statement[0].Principal.AWS",
    ]


def test_no_escape_codes_without_color() -> None:
    report = Report(violations=(_violation("a.json", 1, 1, "IAMG-101", Severity.CRITICAL),))
    assert "\x1b[" not in render(report, color=False)


def test_color_marks_severity_and_file() -> None:
    report = Report(violations=(
        _violation("a.json", 1, 1, "IAMG-101", Severity.CRITICAL),
        _violation("a.json", 2, 1, "IAMG-110", Severity.LOW),
    ))
    text = render(report, color=True)
    assert "\x1b[1ma.json\x1b[0m\n" in text
    assert "  1:1  \x1b[1;31mCRITICAL\x1b[0m  IAMG-101  deploy-role: something is wrong\n" in text
    assert "  2:1  \x1b[36mLOW     \x1b[0m  IAMG-110  deploy-role: something is wrong\n" in text
    # Stripping the codes gives exactly the plain report.
    import re

    assert re.sub(r"\x1b\[[0-9;]*m", "", text) == render(report, color=False)


# --- compact view -------------------------------------------------------------------------------


def _many(count: int) -> Report:
    return Report(
        violations=tuple(_violation(f"iam/r{i:02}.json", 7, 9, "IAMG-101" if i % 2 else "IAMG-103",
                                    Severity.CRITICAL if i % 2 else Severity.HIGH, resource=f"role-{i:02}",
                                    message="m", remediation=f"fix {'101' if i % 2 else '103'}")
                         for i in range(count)),
        scanned_files=tuple(f"iam/r{i:02}.json" for i in range(count)),
    )


def test_compact_view_is_one_line_per_finding_and_each_fix_once() -> None:
    report = Report(
        violations=(
            _violation("b.json", 7, 21, "IAMG-101", Severity.CRITICAL, message="anyone can assume", remediation="Name them."),
            _violation("a.json", 12, 13, "IAMG-103", Severity.HIGH, message="no external id", remediation="Add one."),
            _violation("a.json", None, None, "IAMG-101", Severity.CRITICAL, resource="other", message="anyone",
                       remediation="Name them."),
        ),
        scanned_files=("a.json", "b.json"),
    )
    assert render(report, color=False, view="compact") == (
        "a.json  CRITICAL  IAMG-101  other: anyone\n"
        "a.json:12:13  HIGH      IAMG-103  deploy-role: no external id\n"
        "b.json:7:21  CRITICAL  IAMG-101  deploy-role: anyone can assume\n"
        "\n"
        "fixes:\n"
        "  IAMG-101  Name them.\n"
        "  IAMG-103  Add one.\n"
        "\n"
        "3 violations (2 critical, 1 high, 0 medium, 0 low, 0 info) in 2 files scanned, 0 errors\n"
    )


def test_auto_view_is_detailed_for_small_reports_and_compact_for_large_ones() -> None:
    small = render(_many(20), color=False)
    assert small.count("      fix: ") == 20 and "fixes:" not in small
    assert render(_many(20), color=False, view="auto") == render(_many(20), color=False, view="detailed")
    large = render(_many(21), color=False).splitlines()
    assert large[0] == "iam/r00.json:7:9  HIGH      IAMG-103  role-00: m"
    assert large[21:25] == ["", "fixes:", "  IAMG-101  fix 101", "  IAMG-103  fix 103"]
    assert large[-3:] == [
        "(compact view of 21 findings: --view detailed shows the path and fix under each one)",
        "",
        "21 violations (10 critical, 11 high, 0 medium, 0 low, 0 info) in 21 files scanned, 0 errors",
    ]
    assert render(_many(21), color=False, view="detailed").count("      fix: ") == 21
    assert "compact view of" not in render(_many(21), color=False, view="compact")


def test_unknown_view_is_refused() -> None:
    import pytest

    with pytest.raises(ValueError, match="view must be auto, detailed or compact, not 'wide'"):
        render(Report(), color=False, view="wide")
