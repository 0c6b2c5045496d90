"""JUnit XML: parsed with an XML parser, the way GitLab and Jenkins read it."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from pyiamguard.catalog import load_policy_set
from pyiamguard.config import Config, Waiver
from pyiamguard.model import Location, Notice, Report, ScanError, Severity, Violation
from pyiamguard.reporters import junit
from pyiamguard.scanner import scan

RULES = load_policy_set().rules
RULE_IDS = sorted(r.rule_id for r in RULES)
WILDCARD = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                     "Action": "sts:AssumeRole"}]}


def _violation(file: str = "iam/trust.json", line: int | None = 7, rule_id: str = "IAMG-101",
               severity: Severity = Severity.CRITICAL, resource: str = "deploy-role",
               message: str = "anyone can assume the role", path: str = "$.Statement[0].Principal.AWS",
               **extra: object) -> Violation:
    return Violation(rule_id=rule_id, title="Any AWS principal can assume the role", severity=severity,
                     message=message, resource=resource,
                     location=Location(file, line, 21 if line else None, path),
                     remediation="Name the principals.", **extra)  # type: ignore[arg-type]


def _parse(report: Report, rules=RULES, **kwargs: object) -> ET.Element:  # type: ignore[no-untyped-def]
    kwargs.setdefault("base_dir", "/work/repo")
    text = junit.render(report, rules, **kwargs)  # type: ignore[arg-type]
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    return ET.fromstring(text.encode("utf-8"))


def _counts(element: ET.Element) -> tuple[int, int, int, int]:
    return tuple(int(element.get(k, "-1")) for k in ("tests", "failures", "errors", "skipped"))  # type: ignore[return-value]


def _cases(suite: ET.Element) -> dict[str, ET.Element]:
    return {case.get("name", ""): case for case in suite.findall("testcase")}


def test_one_suite_per_file_one_case_per_rule_and_resource() -> None:
    report = Report(
        violations=(
            _violation(),
            _violation(line=9, path="$.Statement[1].Principal.AWS", message="again"),  # same rule and resource
            _violation(resource="other-role", line=20),
            _violation(rule_id="IAMG-103", severity=Severity.HIGH, message="no external id"),
            _violation(file="iam/b.json", rule_id="IAMG-105", severity=Severity.MEDIUM),
        ),
        scanned_files=("iam/trust.json", "iam/b.json", "iam/clean.json"),
    )
    root = _parse(report)
    assert root.tag == "testsuites" and root.get("name") == "pyiamguard"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == ["iam/b.json", "iam/clean.json", "iam/trust.json"]

    trust = _cases(suites["iam/trust.json"])
    failing = {name for name, case in trust.items() if case.find("failure") is not None}
    assert failing == {"IAMG-101 deploy-role", "IAMG-101 other-role", "IAMG-103 deploy-role"}
    # Every other enabled rule passed on this file: one empty test case each.
    passing = {name for name, case in trust.items() if len(case) == 0}
    assert passing == set(RULE_IDS) - {"IAMG-101", "IAMG-103"}
    assert _counts(suites["iam/trust.json"]) == (3 + len(passing), 3, 0, 0)

    failure = trust["IAMG-101 deploy-role"].find("failure")
    assert failure is not None
    assert failure.get("type") == "CRITICAL"
    assert failure.get("message") == "anyone can assume the role | again"
    body = failure.text or ""
    assert "iam/trust.json:7:21: CRITICAL IAMG-101 Any AWS principal can assume the role" in body
    assert "iam/trust.json:9:21: CRITICAL IAMG-101" in body
    assert "  path: $.Statement[1].Principal.AWS" in body
    assert "  fix: Name the principals." in body
    case = trust["IAMG-101 deploy-role"]
    assert (case.get("classname"), case.get("file"), case.get("time")) == ("iam/trust.json", "iam/trust.json", "0")

    assert _counts(suites["iam/clean.json"]) == (len(RULE_IDS), 0, 0, 0)
    total_tests = sum(_counts(s)[0] for s in suites.values())
    assert _counts(root) == (total_tests, 4, 0, 0)


def test_without_the_catalogue_only_findings_are_cases() -> None:
    root = _parse(Report(violations=(_violation(),), scanned_files=("iam/trust.json", "iam/clean.json")), rules=())
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(_cases(suites["iam/trust.json"])) == ["IAMG-101 deploy-role"]
    assert _counts(suites["iam/clean.json"]) == (0, 0, 0, 0)


def test_disabled_rules_are_not_passing_cases() -> None:
    root = _parse(Report(scanned_files=("a.json",)), disabled_rules=("IAMG-110",))
    names = set(_cases(root.find("testsuite")))  # type: ignore[arg-type]
    assert "IAMG-110" not in names and "IAMG-101" in names


def test_errors_are_error_elements() -> None:
    report = Report(
        violations=(_violation(),),
        errors=(ScanError("iam/broken.json", "invalid JSON at line 2 column 1: Expecting value"),
                ScanError("iam/trust.json", "deploy-role: rule could not be evaluated", rule_id="IAMG-104")),
        scanned_files=("iam/trust.json",),
    )
    root = _parse(report)
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    broken = _cases(suites["iam/broken.json"])
    assert list(broken) == ["input"]  # not evaluated: no passing cases
    error = broken["input"].find("error")
    assert error is not None
    assert (error.get("type"), error.get("message")) == ("input-error", "invalid JSON at line 2 column 1: Expecting value")
    assert error.text == "iam/broken.json: invalid JSON at line 2 column 1: Expecting value"
    trust = _cases(suites["iam/trust.json"])
    assert trust["IAMG-104"].find("error") is not None
    assert trust["IAMG-104"].find("error").get("type") == "rule-error"  # type: ignore[union-attr]
    assert "IAMG-102" in trust  # the other rules did run
    assert _counts(root)[1:3] == (1, 2)


def test_suppressed_and_baselined_are_skipped() -> None:
    report = Report(
        suppressed=(_violation(suppression="vendor migration", waiver="waivers[0]"),
                    _violation(rule_id="IAMG-103", suppression="reviewed quarterly")),
        baselined=(_violation(rule_id="IAMG-105", severity=Severity.MEDIUM),),
        scanned_files=("iam/trust.json",),
    )
    cases = _cases(_parse(report).find("testsuite"))  # type: ignore[arg-type]
    skipped = {name: case.find("skipped").get("message") for name, case in cases.items()  # type: ignore[union-attr]
               if case.find("skipped") is not None}
    assert skipped == {
        "IAMG-101 deploy-role": "waived by waivers[0]: vendor migration",
        "IAMG-103 deploy-role": "suppressed: reviewed quarterly",
        "IAMG-105 deploy-role": "baselined: recorded in the baseline file",
    }


def test_notices_are_a_configuration_suite() -> None:
    report = Report(notices=(Notice("stale-waiver", "waivers[0]", "waiver waivers[0] (...) matches no finding"),))
    root = _parse(report)
    [suite] = root.findall("testsuite")
    assert suite.get("name") == junit.CONFIG_SUITE
    [case] = suite.findall("testcase")
    assert case.get("name") == "waivers[0] stale-waiver"
    assert case.findtext("system-out") == "waiver waivers[0] (...) matches no finding"
    assert _counts(root) == (1, 0, 0, 0)


def test_paths_relative_to_the_base_directory() -> None:
    root = _parse(Report(violations=(_violation(file="/work/repo/iam/x.json"),)))
    assert [s.get("name") for s in root.findall("testsuite")] == ["iam/x.json"]


def test_special_characters_parse() -> None:
    message = 'a <tag> & "quotes" \x1b[31m and \x00 ✓'
    root = _parse(Report(violations=(_violation(message=message, resource="r&d <role>"),)), rules=())
    case = root.find("testsuite/testcase")
    assert case is not None and case.get("name") == "IAMG-101 r&d <role>"
    assert case.find("failure").get("message") == 'a <tag> & "quotes" \ufffd[31m and \ufffd ✓'  # type: ignore[union-attr]


def test_end_to_end_and_deterministic(tmp_path: Path) -> None:
    for i in range(3):
        (tmp_path / f"t{i}.json").write_text(json.dumps(WILDCARD, indent=2), encoding="utf-8")
    config = Config(waivers=(Waiver("IAMG-101", "t1.json", "test role"),))
    first = junit.render(scan([tmp_path], config), RULES, base_dir=str(tmp_path))
    assert first == junit.render(scan([tmp_path], config), RULES, base_dir=str(tmp_path))
    root = ET.fromstring(first)
    assert [s.get("name") for s in root.findall("testsuite")] == ["t0.json", "t1.json", "t2.json"]
    assert _counts(root) == (3 * len(RULE_IDS), 2, 0, 1)
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None and (failure.text or "").startswith("t0.json:7:9: CRITICAL IAMG-101 ")
