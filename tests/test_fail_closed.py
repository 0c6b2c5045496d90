"""Fail-closed exit codes: an input error is never success unless `--ignore-errors` says so.

Threat: a CI job with `--fail-on critical` goes green because the one file holding the dangerous
role could not be parsed. Without `--ignore-errors` any error is exit 2, whatever `--fail-on`
says; with it, the exit code depends on violations only and every report says errors were
ignored (the errors themselves are still listed). A scan in which every input failed checked
nothing: even `--ignore-errors` leaves it exit 2, unless `--allow-empty` is given too.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from pyiamguard.cli import main

WILDCARD = {  # IAMG-101, CRITICAL
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
}
HIGH_ONLY = {  # IAMG-102 and IAMG-103, both HIGH
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:role/deployer"},
                   "Action": "sts:AssumeRole"}],
}
LAMBDA = {  # clean
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("PYIAMGUARD_DEBUG", raising=False)


def _files(tmp_path: Path, document: object | None) -> list[str]:
    """A truncated JSON file (an input error) and, unless None, one document to scan with it."""
    broken = tmp_path / "broken.json"
    broken.write_text('{"Version": "2012-10-17", "Statement": [', encoding="utf-8")
    paths = [str(broken)]
    if document is not None:
        role = tmp_path / "role.json"
        role.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        paths.append(str(role))
    return paths


# (document scanned next to the broken file, --fail-on, exit without / with --ignore-errors)
CASES = [
    pytest.param(None, "critical", 2, 2, id="error-only-fail-on-critical"),
    pytest.param(None, "low", 2, 2, id="error-only-fail-on-low"),
    pytest.param(None, None, 2, 2, id="error-only-default-fail-on"),
    pytest.param(LAMBDA, "critical", 2, 0, id="error-and-clean-role"),
    pytest.param(HIGH_ONLY, "critical", 2, 0, id="error-and-high-below-threshold"),
    pytest.param(HIGH_ONLY, "high", 2, 1, id="error-and-high-at-threshold"),
    pytest.param(WILDCARD, "critical", 2, 1, id="error-and-critical-at-threshold"),
    pytest.param(WILDCARD, "info", 2, 1, id="error-and-critical-fail-on-info"),
]


@pytest.mark.parametrize(("document", "fail_on", "without", "with_flag"), CASES)
def test_fail_on_never_turns_an_input_error_into_success(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], document: object, fail_on: str | None,
    without: int, with_flag: int,
) -> None:
    paths = _files(tmp_path, document)
    flags = ["--fail-on", fail_on] if fail_on else []
    assert main(["scan", *paths, *flags]) == without == 2
    assert "broken.json" in capsys.readouterr().err
    assert main(["scan", *paths, *flags, "--ignore-errors"]) == with_flag
    err = capsys.readouterr().err
    checked_nothing = document is None
    assert ("nothing was checked (every input had an error)" in err) is checked_nothing
    if checked_nothing:  # both flags: errors ignored and an empty scan accepted, as asked
        assert main(["scan", *paths, *flags, "--ignore-errors", "--allow-empty"]) == 0


def test_ignored_error_is_still_listed_and_the_text_report_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = _files(tmp_path, LAMBDA)
    assert main(["scan", *paths, "--fail-on", "critical", "--ignore-errors"]) == 0
    out, err = capsys.readouterr()
    assert "error: " in err and "broken.json" in err
    assert "errors ignored (--ignore-errors): 1\n" in out
    assert out.rstrip("\n").splitlines()[-1].endswith("1 error")


def test_ignored_error_is_still_listed_and_the_json_summary_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = _files(tmp_path, LAMBDA)
    assert main(["scan", *paths, "--fail-on", "critical", "--ignore-errors", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [Path(e["file"]).name for e in report["errors"]] == ["broken.json"]
    assert report["summary"]["errors"] == 1
    assert report["summary"]["errors_ignored"] is True


def test_without_ignore_errors_the_reports_do_not_claim_errors_were_ignored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = _files(tmp_path, None)
    assert main(["scan", *paths, "--format", "json=r.json", "--format", "text"]) == 2
    out = capsys.readouterr().out
    assert "errors ignored" not in out
    summary = json.loads(Path("r.json").read_text(encoding="utf-8"))["summary"]
    assert "errors_ignored" not in summary and summary["errors"] == 1


def test_ignore_errors_on_a_clean_scan_changes_nothing_but_the_notice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    role = tmp_path / "role.json"
    role.write_text(json.dumps(LAMBDA), encoding="utf-8")
    assert main(["scan", str(role), "--ignore-errors"]) == 0
    assert "errors ignored (--ignore-errors): 0" in capsys.readouterr().out
    assert main(["scan", str(role), "--ignore-errors", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["errors_ignored"] is True


def test_missing_path_is_an_error_that_only_ignore_errors_can_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "does-not-exist.json")
    assert main(["scan", missing, "--fail-on", "critical"]) == 2
    assert "does-not-exist.json" in capsys.readouterr().err
    assert main(["scan", missing, "--fail-on", "critical", "--ignore-errors"]) == 2  # and nothing was checked
    assert main(["scan", missing, "--fail-on", "critical", "--ignore-errors", "--allow-empty"]) == 0


def test_write_baseline_with_an_input_error_still_fails_unless_ignored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = _files(tmp_path, WILDCARD)
    assert main(["scan", *paths, "--write-baseline", "base.json"]) == 2
    assert main(["scan", *paths, "--write-baseline", "base2.json", "--ignore-errors"]) == 0
