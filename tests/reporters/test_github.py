"""GitHub workflow annotations: matched line by line, escaping as the runner decodes it."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pyiamguard.config import Config
from pyiamguard.model import Location, Notice, Report, ScanError, Severity, Violation
from pyiamguard.reporters import github
from pyiamguard.scanner import scan

WILDCARD = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                     "Action": "sts:AssumeRole"}]}
# ::command key=value,key=value::message — what the runner parses (actions/runner ActionCommand).
COMMAND = re.compile(r"^::(?P<name>[a-z]+)(?: (?P<props>[^:]*))?::(?P<message>.*)$")


def _violation(file: str = "iam/trust.json", line: int | None = 7, column: int | None = 21,
               rule_id: str = "IAMG-101", severity: Severity = Severity.CRITICAL, resource: str = "deploy-role",
               message: str = "anyone can assume the role", remediation: str = "Name the principals.") -> Violation:
    return Violation(rule_id=rule_id, title="t", severity=severity, message=message, resource=resource,
                     location=Location(file, line, column, "$.Statement[0].Principal.AWS"), remediation=remediation)


def _unescape_data(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def _unescape_property(text: str) -> str:
    return (text.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",")
            .replace("%25", "%"))


def _parse(line: str) -> tuple[str, dict[str, str], str]:
    """A workflow command decoded the way the runner does it."""
    match = COMMAND.match(line)
    assert match, line
    props = {}
    for pair in (match["props"] or "").split(","):
        if pair:
            key, _, value = pair.partition("=")
            props[key] = _unescape_property(value)
    return match["name"], props, _unescape_data(match["message"])


def test_one_annotation_per_finding_then_the_summary() -> None:
    report = Report(
        violations=(
            _violation(),
            _violation(file="iam/b.json", line=3, column=5, rule_id="IAMG-105", severity=Severity.MEDIUM,
                       message="whole account", remediation=""),
            _violation(file="iam/c.json", line=None, column=None, rule_id="IAMG-110", severity=Severity.LOW,
                       resource="fn-role", message="no source condition"),
        ),
        scanned_files=("iam/b.json", "iam/c.json", "iam/trust.json"),
    )
    assert github.render(report, base_dir="/work/repo").splitlines() == [
        "::warning file=iam/b.json,line=3,col=5,title=IAMG-105 deploy-role::MEDIUM: whole account",
        "::notice file=iam/c.json,title=IAMG-110 fn-role::LOW: no source condition%0A%0AFix: Name the principals.",
        "::error file=iam/trust.json,line=7,col=21,title=IAMG-101 deploy-role::"
        "CRITICAL: anyone can assume the role%0A%0AFix: Name the principals.",
        "3 violations (1 critical, 0 high, 1 medium, 1 low, 0 info) in 3 files scanned, 0 errors",
    ]


@pytest.mark.parametrize(("severity", "command"), [
    (Severity.CRITICAL, "error"), (Severity.HIGH, "error"), (Severity.MEDIUM, "warning"),
    (Severity.LOW, "notice"), (Severity.INFO, "notice")])
def test_command_per_severity(severity: Severity, command: str) -> None:
    first = github.render(Report(violations=(_violation(severity=severity),))).splitlines()[0]
    name, _, message = _parse(first)
    assert name == command
    assert message.startswith(f"{severity.value}: ")


def test_escaping_round_trips() -> None:
    nasty = "100% sure,\r\nsecond: line, with %0A literally"
    report = Report(violations=(_violation(file="iam/a,b:c%.json", resource="role,one:two%", message=nasty),))
    line = github.render(report).splitlines()[0]
    assert "\r" not in line and line.count("::") == 2  # one line, one separator
    assert "%2C" in line and "%3A" in line and "%25" in line
    name, props, message = _parse(line)
    assert name == "error"
    assert props == {"file": "iam/a,b:c%.json", "line": "7", "col": "21", "title": "IAMG-101 role,one:two%"}
    assert message == f"CRITICAL: {nasty}\n\nFix: Name the principals."


def test_escape_functions() -> None:
    assert github.escape_data("a%b\rc\nd:e,f") == "a%25b%0Dc%0Ad:e,f"
    assert github.escape_property("a%b\rc\nd:e,f") == "a%25b%0Dc%0Ad%3Ae%2Cf"


def test_errors_and_notices() -> None:
    report = Report(
        errors=(ScanError("iam/broken.json", "invalid JSON at line 2 column 1: Expecting value"),
                ScanError("<document>", "rule could not be evaluated", rule_id="IAMG-104")),
        notices=(Notice("expired-waiver", "waivers[0]", "waiver waivers[0] (IAMG-103 on resource 'v-*') expired on 2020-01-01"),
                 Notice("stale-waiver", "waivers[1]", "waiver waivers[1] (IAMG-105 on resource 'x') matches no finding")),
    )
    lines = github.render(report).splitlines()
    assert lines == [
        "::error title=pyiamguard IAMG-104 error::rule could not be evaluated",
        "::error file=iam/broken.json,title=pyiamguard error::invalid JSON at line 2 column 1: Expecting value",
        "::warning title=pyiamguard expired waiver::waiver waivers[0] (IAMG-103 on resource 'v-*') expired on 2020-01-01",
        "::notice title=pyiamguard stale waiver::waiver waivers[1] (IAMG-105 on resource 'x') matches no finding",
        "no violations in 0 files scanned, 2 errors",
    ]


def test_suppressed_and_baselined_are_not_annotated() -> None:
    report = Report(suppressed=(_violation(),), baselined=(_violation(rule_id="IAMG-105"),), scanned_files=("a",))
    assert github.render(report) == "no violations in 1 file scanned, 0 errors, 1 suppressed, 1 baselined\n"


def test_end_to_end_paths_relative_to_the_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "iam").mkdir()
    (tmp_path / "iam" / "trust.json").write_text(json.dumps(WILDCARD, indent=2), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    config = Config(severity_overrides={"IAMG-101": Severity.HIGH})
    first = github.render(scan([tmp_path / "iam"], config), base_dir=str(tmp_path))
    assert first == github.render(scan(["iam"], config), base_dir=str(tmp_path))
    name, props, message = _parse(first.splitlines()[0])
    assert (name, props["file"], props["line"], props["col"]) == ("error", "iam/trust.json", "7", "9")
    assert props["title"] == "IAMG-101 trust.json"
    assert message.startswith("HIGH: ")  # the overridden severity
