"""Configuration waivers: live ones suppress and are listed, expired ones say so, stale ones are reported.

Dates are relative to `datetime.date.today()`, so the tests mean the same thing on any day.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from pyiamguard.config import Config, ConfigError, Waiver, config_from_mapping
from pyiamguard.model import Location, Report, Severity, Violation
from pyiamguard.reporters import json_report, text
from pyiamguard.scanner import scan, scan_document
from pyiamguard.waivers import apply_waivers, is_expired, matches

TODAY = dt.date.today()
YESTERDAY = TODAY - dt.timedelta(days=1)
TOMORROW = TODAY + dt.timedelta(days=1)
WILDCARD = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                     "Action": "sts:AssumeRole"}]}


def _violation(rule_id: str = "IAMG-103", resource: str = "legacy-vendor-a", file: str = "iam/legacy/a.json",
               severity: Severity = Severity.HIGH) -> Violation:
    return Violation(rule_id=rule_id, title="t", severity=severity, message="m", resource=resource,
                     location=Location(file, 3, 5, "$.Statement[0].Principal.AWS"), remediation="r")


def test_expiry_is_inclusive_of_the_expiry_day() -> None:
    assert not is_expired(Waiver("IAMG-103", "*", "r", expires=TODAY), TODAY)
    assert not is_expired(Waiver("IAMG-103", "*", "r", expires=TOMORROW), TODAY)
    assert not is_expired(Waiver("IAMG-103", "*", "r"), TODAY)  # no expiry: never
    assert is_expired(Waiver("IAMG-103", "*", "r", expires=YESTERDAY), TODAY)


def test_matching_rule_resource_glob_and_file_glob() -> None:
    v = _violation()
    assert matches(Waiver("IAMG-103", "legacy-vendor-*", "r", "iam/legacy/*"), v)
    assert matches(Waiver("IAMG-103", "legacy-vendor-?", "r"), v)
    assert not matches(Waiver("IAMG-102", "legacy-vendor-*", "r"), v)  # another rule
    assert not matches(Waiver("IAMG-103", "vendor-*", "r"), v)  # the glob is anchored
    assert not matches(Waiver("IAMG-103", "LEGACY-*", "r"), v)  # and case-sensitive
    assert not matches(Waiver("IAMG-103", "*", "r", "iam/other/*"), v)
    # `./iam/legacy/a.json` is the same file as `iam/legacy/a.json` for the file glob.
    assert matches(Waiver("IAMG-103", "*", "r", "iam/legacy/*"), _violation(file="./iam/legacy/a.json"))


@pytest.mark.parametrize("glob", ["./x*", "x*", "./x.json", ".//x.json", ".\\x*", "*"])
def test_a_file_glob_written_with_dot_slash_matches_like_without(glob: str) -> None:
    assert matches(Waiver("IAMG-103", "*", "r", glob), _violation(file="x.json"))
    assert matches(Waiver("IAMG-103", "*", "r", glob), _violation(file="./x.json"))


@pytest.mark.parametrize("glob", ["./y*", "x", "./iam/x.json"])
def test_a_normalized_file_glob_still_has_to_match(glob: str) -> None:
    assert not matches(Waiver("IAMG-103", "*", "r", glob), _violation(file="x.json"))


def test_a_dot_slash_waiver_suppresses_in_a_real_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("x1.json").write_text(json.dumps(WILDCARD), encoding="utf-8")
    report = scan(["."], config_from_mapping({"waivers": [{"rule": "IAMG-101", "resource": "*", "file": "./x*",
                                                           "reason": "demo role"}]}))
    assert report.violations == () and report.notices == ()
    assert [(v.file, v.waiver) for v in report.suppressed] == [("x1.json", "waivers[0]")]


def test_live_waiver_moves_the_finding_to_suppressed_with_its_reason() -> None:
    kept = _violation(resource="other-role")
    report = Report(violations=(_violation(), kept))
    waivers = (Waiver("IAMG-103", "legacy-vendor-*", "vendor sends an external id after migrating", "iam/legacy/*",
                      TOMORROW),)
    out = apply_waivers(report, waivers, TODAY)
    assert out.violations == (kept,)
    [waived] = out.suppressed
    assert (waived.rule_id, waived.resource, waived.suppression, waived.waiver) == (
        "IAMG-103", "legacy-vendor-a", "vendor sends an external id after migrating", "waivers[0]")
    assert out.notices == ()
    assert not Report(violations=out.violations).fails(Severity.CRITICAL)


def test_waiver_valid_today_still_suppresses() -> None:
    out = apply_waivers(Report(violations=(_violation(),)), (Waiver("IAMG-103", "*", "r", expires=TODAY),), TODAY)
    assert out.violations == () and len(out.suppressed) == 1


def test_expired_waiver_stops_suppressing_and_the_report_says_so() -> None:
    report = Report(violations=(_violation(), _violation(resource="legacy-vendor-b")))
    waivers = (Waiver("IAMG-103", "legacy-vendor-*", "r", "*", YESTERDAY),)
    out = apply_waivers(report, waivers, TODAY)
    assert out.violations == report.violations
    assert out.suppressed == ()
    [notice] = out.notices
    assert (notice.kind, notice.waiver) == ("expired-waiver", "waivers[0]")
    assert notice.message == (
        f"waiver waivers[0] (IAMG-103 on resource 'legacy-vendor-*') expired on {YESTERDAY.isoformat()}: "
        "its 2 findings are reported again")
    assert out.fails(Severity.HIGH)


def test_expired_waiver_that_matches_nothing() -> None:
    out = apply_waivers(Report(), (Waiver("IAMG-101", "x", "r", "iam/*", YESTERDAY),), TODAY)
    [notice] = out.notices
    assert notice.kind == "expired-waiver"
    assert notice.message.endswith("in file 'iam/*') expired on " + YESTERDAY.isoformat() + ": it matches no finding either")


def test_stale_waiver_is_reported() -> None:
    report = Report(violations=(_violation(),))
    waivers = (Waiver("IAMG-103", "legacy-vendor-*", "used", expires=TOMORROW),
               Waiver("IAMG-105", "legacy-vendor-*", "never matches"))
    out = apply_waivers(report, waivers, TODAY)
    [notice] = out.notices
    assert (notice.kind, notice.waiver) == ("stale-waiver", "waivers[1]")
    assert notice.message == ("waiver waivers[1] (IAMG-105 on resource 'legacy-vendor-*') matches no finding: "
                              "remove it, or correct its rule and globs")


def test_first_matching_waiver_wins_and_the_second_is_not_stale() -> None:
    report = Report(violations=(_violation(),))
    waivers = (Waiver("IAMG-103", "legacy-*", "first"), Waiver("IAMG-103", "*", "second"))
    out = apply_waivers(report, waivers, TODAY)
    assert [(v.waiver, v.suppression) for v in out.suppressed] == [("waivers[0]", "first")]
    assert out.notices == ()


def test_no_waivers_is_the_same_report() -> None:
    report = Report(violations=(_violation(),))
    assert apply_waivers(report, (), TODAY) is report


def test_scan_applies_waivers_last(tmp_path: Path) -> None:
    for name in ("a.json", "b.json"):
        (tmp_path / name).write_text(json.dumps(WILDCARD, indent=2), encoding="utf-8")
    config = Config(waivers=(
        Waiver("IAMG-101", "a.json", "public test role", "*", TOMORROW),
        Waiver("IAMG-101", "b.json", "was public until yesterday", "*", YESTERDAY),
        Waiver("IAMG-103", "*", "nothing to waive"),
    ))
    report = scan([tmp_path], config)
    assert [v.resource for v in report.violations] == ["b.json"]
    assert [(v.resource, v.waiver, v.suppression) for v in report.suppressed] == [
        ("a.json", "waivers[0]", "public test role")]
    assert [(n.kind, n.waiver) for n in report.notices] == [("expired-waiver", "waivers[1]"), ("stale-waiver", "waivers[2]")]
    assert report.summary()["suppressed"] == 1 and report.summary()["notices"] == 2


def test_scan_document_applies_waivers() -> None:
    live = Config(waivers=(Waiver("IAMG-101", "<document>", "public test role", "*", TOMORROW),))
    expired = Config(waivers=(Waiver("IAMG-101", "<doc*", "public test role", "*", YESTERDAY),))
    assert scan_document(WILDCARD, live).violations == ()
    assert [v.rule_id for v in scan_document(WILDCARD, live).suppressed] == ["IAMG-101"]
    report = scan_document(WILDCARD, expired)
    assert [v.rule_id for v in report.violations] == ["IAMG-101"]
    assert [n.kind for n in report.notices] == ["expired-waiver"]


def test_waived_findings_and_notices_in_the_json_and_text_reports() -> None:
    report = apply_waivers(Report(violations=(_violation(), _violation(rule_id="IAMG-105", severity=Severity.MEDIUM)),
                                  scanned_files=("iam/legacy/a.json",)),
                           (Waiver("IAMG-103", "*", "vendor migration"), Waiver("IAMG-102", "*", "old", expires=YESTERDAY)),
                           TODAY)
    document = json.loads(json_report.render(report, tool_version="0"))
    assert list(document) == ["schema_version", "tool", "violations", "errors", "suppressed", "notices", "scanned_files", "skipped_files", "summary"]
    [waived] = document["suppressed"]
    assert (waived["rule_id"], waived["reason"], waived["waiver"]) == ("IAMG-103", "vendor migration", "waivers[0]")
    assert [n["kind"] for n in document["notices"]] == ["expired-waiver"]
    assert document["summary"]["suppressed"] == 1 and document["summary"]["notices"] == 1

    lines = text.render(report, color=False).splitlines()
    assert "suppressed (not counted)" in lines
    assert "  iam/legacy/a.json:3:5  HIGH  IAMG-103  legacy-vendor-a  waived by waivers[0]: vendor migration" in lines
    assert any(line.startswith("notice: waiver waivers[1] (IAMG-102 on resource '*') expired on ") for line in lines)
    assert lines[-1] == ("1 violation (0 critical, 0 high, 1 medium, 0 low, 0 info) in 1 file scanned, 0 errors, "
                         "1 suppressed")


@pytest.mark.parametrize(("waiver", "message"), [
    ({"rule": "IAMG-103", "resource": "x"}, "'reason' is required"),
    ({"rule": "IAMG-103", "resource": "x", "reason": "  "}, "'reason' is required"),
    ({"rule": "IAMG-103", "resource": "x", "reason": "r", "expires": "next year"}, "is not a date"),
    ({"rule": "103", "resource": "x", "reason": "r"}, "is not a rule id"),
    ({"rule": "IAMG-103", "resource": "x", "reason": "r", "owner": "me"}, "unknown key 'owner'"),
])
def test_invalid_waivers_are_configuration_errors(waiver: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config_from_mapping({"waivers": [waiver]})


def test_expires_accepts_a_yaml_date_and_text() -> None:
    config = config_from_mapping({"waivers": [
        {"rule": "IAMG-103", "resource": "x", "reason": "r", "expires": TOMORROW},
        {"rule": "IAMG-103", "resource": "y", "reason": "r", "expires": TOMORROW.isoformat()},
    ]})
    assert [w.expires for w in config.waivers] == [TOMORROW, TOMORROW]
