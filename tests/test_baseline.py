"""Baselines: record today's findings by fingerprint, then report only the new ones."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from pyiamguard.baseline import (
    BaselineError,
    apply_baseline,
    artifact_path,
    fingerprint,
    load_baseline,
    parse_baseline,
    render_baseline,
)
from pyiamguard.cli import main
from pyiamguard.model import Location, Report, Severity, Violation

WILDCARD = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                     "Action": "sts:AssumeRole"}]}
VENDOR = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                                                   "Principal": {"AWS": "arn:aws:iam::210987654321:role/deployer"},
                                                   "Action": "sts:AssumeRole"}]}


def _violation(rule_id: str = "IAMG-101", file: str = "iam/a.json", resource: str = "role-a",
               path: str = "$.Statement[0].Principal.AWS", line: int = 7) -> Violation:
    return Violation(rule_id=rule_id, title="t", severity=Severity.CRITICAL, message="m", resource=resource,
                     location=Location(file, line, 3, path), remediation="r")


@pytest.fixture(autouse=True)
def _workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    work = tmp_path / "repo"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return work


def _write(path: Path, document: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return path


# --- the module ---------------------------------------------------------------------------------


def test_artifact_path() -> None:
    assert artifact_path("iam/a.json", "/r") == "iam/a.json"
    assert artifact_path("./iam/../iam/a.json", "/r") == "iam/a.json"
    assert artifact_path("/r/iam/a.json", "/r") == "iam/a.json"
    assert artifact_path("/elsewhere/a.json", "/r") == "/elsewhere/a.json"
    assert artifact_path("<document>", "/r") == "<document>"
    assert artifact_path("./iam/a.json") == "iam/a.json"


def test_fingerprint_is_sha256_hex_and_independent_of_the_line() -> None:
    fp = fingerprint(_violation(), "/r")
    assert len(fp) == 64 and int(fp, 16) >= 0
    assert fingerprint(_violation(line=99), "/r") == fp
    assert fingerprint(_violation(resource="role-b"), "/r") != fp


def test_render_and_parse_round_trip() -> None:
    report = Report(violations=(_violation(), _violation(rule_id="IAMG-105"), _violation(line=30)))  # last: same fingerprint
    text = render_baseline(report, "/r")
    document = json.loads(text)
    assert document["pyiamguard_baseline"] == 1
    assert [list(e) for e in document["findings"]] == [["fingerprint", "rule_id", "file", "resource", "path"]] * 2
    assert [e["rule_id"] for e in document["findings"]] == ["IAMG-101", "IAMG-105"]
    assert parse_baseline(text) == {fingerprint(_violation(), "/r"), fingerprint(_violation(rule_id="IAMG-105"), "/r")}
    assert render_baseline(report, "/r") == text  # deterministic


def test_suppressed_findings_are_not_recorded() -> None:
    report = Report(suppressed=(_violation(),))
    assert json.loads(render_baseline(report))["findings"] == []


def test_apply_baseline_keeps_only_new_findings() -> None:
    old, new = _violation(), _violation(rule_id="IAMG-103")
    moved = _violation(line=50)  # edited above: still the same finding
    report = apply_baseline(Report(violations=(moved, new)), {fingerprint(old, "/r")}, "/r")
    assert report.violations == (new,)
    assert report.baselined == (moved,)
    assert report.summary()["baselined"] == 1


@pytest.mark.parametrize(("text", "message"), [
    ("{not json", "invalid JSON"),
    ("[]", "not a pyiamguard baseline"),
    ('{"findings": []}', "not a pyiamguard baseline"),
    ('{"pyiamguard_baseline": 2, "findings": []}', "unsupported baseline version 2"),
    ('{"pyiamguard_baseline": true, "findings": []}', "unsupported baseline version True"),
    ('{"pyiamguard_baseline": 1}', "'findings' must be a list"),
    ('{"pyiamguard_baseline": 1, "findings": {}}', "'findings' must be a list"),
    ('{"pyiamguard_baseline": 1, "findings": ["abc"]}', r"findings\[0\]: expected an object"),
    ('{"pyiamguard_baseline": 1, "findings": [{"fingerprint": "XYZ"}]}', r"findings\[0\]"),
])
def test_malformed_baselines(text: str, message: str) -> None:
    with pytest.raises(BaselineError, match=message):
        parse_baseline(text, "b.json")


def test_load_baseline_missing_file() -> None:
    with pytest.raises(BaselineError, match="nope.json: cannot read the baseline"):
        load_baseline("nope.json")


# --- the command line ---------------------------------------------------------------------------


def test_write_baseline_then_only_new_findings_fail(_workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(_workdir / "iam" / "public.json", WILDCARD)
    assert main(["scan", "iam"]) == 1
    # Day one: record what is there. The report is still written; the exit code accepts it.
    assert main(["scan", "--write-baseline", "baseline.json", "iam"]) == 0
    recorded = json.loads((_workdir / "baseline.json").read_text(encoding="utf-8"))
    assert [(e["rule_id"], e["file"], e["resource"]) for e in recorded["findings"]] == [
        ("IAMG-101", "iam/public.json", "public.json")]
    assert "IAMG-101" in capsys.readouterr().out

    # The same findings, even after an edit above them: clean.
    (_workdir / "iam" / "public.json").write_text("\n\n" + json.dumps(WILDCARD, indent=4), encoding="utf-8")
    assert main(["scan", "--baseline", "baseline.json", "iam"]) == 0
    assert capsys.readouterr().out == "no violations in 1 file scanned, 0 errors, 1 baselined\n"

    # A new finding fails; the baselined one is listed as baselined in the JSON report.
    _write(_workdir / "iam" / "vendor.json", VENDOR)
    assert main(["scan", "--baseline", "baseline.json", "--format", "json", "iam"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert sorted(v["rule_id"] for v in report["violations"]) == ["IAMG-102", "IAMG-103"]
    assert [(v["rule_id"], v["file"]) for v in report["baselined"]] == [("IAMG-101", "iam/public.json")]
    assert report["summary"]["baselined"] == 1
    assert report["summary"]["violations"] == 2


def test_baseline_matches_however_the_path_is_written(_workdir: Path) -> None:
    _write(_workdir / "iam" / "public.json", WILDCARD)
    assert main(["scan", "--write-baseline", "b.json", "./iam/public.json"]) == 0
    assert main(["scan", "--baseline", "b.json", str(_workdir / "iam")]) == 0


def test_baseline_and_sarif_share_the_fingerprint(_workdir: Path) -> None:
    _write(_workdir / "iam" / "public.json", WILDCARD)
    assert main(["scan", "--write-baseline", "b.json", "--format", "sarif=out.sarif", "iam"]) == 0
    recorded = json.loads((_workdir / "b.json").read_text(encoding="utf-8"))["findings"]
    results = json.loads((_workdir / "out.sarif").read_text(encoding="utf-8"))["runs"][0]["results"]
    assert [e["fingerprint"] for e in recorded] == [r["partialFingerprints"]["pyiamguard/v1"] for r in results]


@pytest.mark.parametrize("content", ["", "{}", "not json at all", '{"pyiamguard_baseline": 1, "findings": [1]}'])
def test_malformed_baseline_is_a_configuration_error(
    _workdir: Path, capsys: pytest.CaptureFixture[str], content: str
) -> None:
    _write(_workdir / "iam" / "public.json", WILDCARD)
    (_workdir / "b.json").write_text(content, encoding="utf-8")
    assert main(["scan", "--baseline", "b.json", "iam"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # no report
    assert captured.err.startswith("pyiamguard: error: b.json: ")
    assert captured.err.count("\n") == 1


def test_missing_baseline_is_a_configuration_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--baseline", "absent.json", "."]) == 2
    assert capsys.readouterr().err == (
        "pyiamguard: error: absent.json: cannot read the baseline: No such file or directory\n")


def test_baseline_and_write_baseline_are_exclusive(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--baseline", "a.json", "--write-baseline", "b.json", "."]) == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_write_baseline_with_errors_still_exits_2(_workdir: Path) -> None:
    _write(_workdir / "iam" / "public.json", WILDCARD)
    (_workdir / "iam" / "broken.json").write_text('{"Statement": [', encoding="utf-8")
    assert main(["scan", "--write-baseline", "b.json", "iam"]) == 2
    assert len(json.loads((_workdir / "b.json").read_text(encoding="utf-8"))["findings"]) == 1


def test_write_baseline_to_an_unwritable_place(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--write-baseline", "missing-dir/b.json", "."]) == 2
    assert capsys.readouterr().err.startswith("pyiamguard: error: cannot write missing-dir/b.json: ")
