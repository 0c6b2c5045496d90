"""The command line as people who know checkov, trivy, cfn-lint and conftest expect it: standard
input, path and rule filters, severities, colour, quiet and progress, empty scans, Terraform
sources and binary plans, configuration files, and errors that always reach stderr."""
from __future__ import annotations

import functools
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import pyiamguard
from pyiamguard.catalog import load_policy_set
from pyiamguard.cli import main

REPO = Path(__file__).resolve().parent.parent
WILDCARD = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                     "Action": "sts:AssumeRole"}]}
# IAMG-102 and IAMG-103 (HIGH), IAMG-104 and IAMG-105 (MEDIUM): another account's root.
VENDOR = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                                                   "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
                                                   "Action": "sts:AssumeRole"}]}
LAMBDA = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                   "Action": "sts:AssumeRole"}]}


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    for name in ("NO_COLOR", "PYIAMGUARD_DEBUG", "TERM"):
        monkeypatch.delenv(name, raising=False)


def _write(path: Path | str, document: object) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(document if isinstance(document, str) else json.dumps(document, indent=2), encoding="utf-8")
    return path


def _json(capsys: pytest.CaptureFixture[str]) -> dict:
    return json.loads(capsys.readouterr().out)


def _found(report: dict) -> list[tuple[str, str]]:
    return [(v["rule_id"], v["resource"]) for v in report["violations"]]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "PYIAMGUARD_DEBUG")}
    env["PYTHONPATH"] = str(Path(pyiamguard.__file__).resolve().parent.parent)
    return env


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


# --- a scan that checked nothing is not a pass ----------------------------------------------------


def test_a_terraform_source_directory_is_scanned_and_a_missing_trust_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    _write("infra/main.tf", 'resource "aws_iam_role" "r" {\n  name = "r"\n}\n')
    _write("infra/variables.tf", 'variable "x" {}\n')
    assert main(["scan", "infra"]) == 2
    out, err = capsys.readouterr()
    assert err == (f"error: {os.path.join('infra', 'main.tf')}: aws_iam_role.r: the required argument assume_role_policy "
                   "is missing (line 1); Terraform rejects this configuration\n")
    assert out == "no violations in 2 files scanned, 1 error\n"


def test_an_empty_directory_and_a_walk_of_other_files_are_not_a_pass(capsys: pytest.CaptureFixture[str]) -> None:
    Path("empty").mkdir()
    assert main(["scan", "empty"]) == 2
    assert capsys.readouterr().err.startswith("error: empty: nothing to check: no IAM policy, Terraform plan or "
                                              "CloudFormation template was found; --allow-empty")
    _write("app/package.json", {"name": "app"})
    assert main(["scan", "empty", "app", "--format", "json"]) == 2
    report = _json(capsys)
    assert report["errors"][0]["file"] == "<scan>"
    assert report["skipped_files"] == [{"file": os.path.join("app", "package.json"),
                                        "reason": "not an IAM policy, Terraform plan or CloudFormation template"}]


def test_a_binary_plan_says_what_to_run(capsys: pytest.CaptureFixture[str]) -> None:
    with zipfile.ZipFile("tfplan", "w") as archive:
        archive.writestr("tfplan", b"\x00\x01binary protobuf")
        archive.writestr("tfstate", "{}")
    assert main(["scan", "tfplan"]) == 2
    assert capsys.readouterr().err == (
        "error: tfplan: a binary Terraform plan (`terraform plan -out`): pyiamguard reads its JSON form, so run "
        "`terraform show -json <plan file> > tfplan.json` and scan tfplan.json\n")


# --- errors always reach stderr -----------------------------------------------------------------


def test_errors_reach_stderr_when_every_report_goes_to_a_file(capsys: pytest.CaptureFixture[str]) -> None:
    _write("broken.json", '{"Statement": [')
    assert main(["scan", "broken.json", "--format", "sarif=out.sarif"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "error: broken.json: invalid JSON at line 1 column 16: Expecting value\n"
    assert json.loads(Path("out.sarif").read_text(encoding="utf-8"))["runs"][0]["invocations"][0][
        "executionSuccessful"] is False


# --- configuration files --------------------------------------------------------------------------


def test_the_yml_spelling_of_the_configuration_file_is_read(capsys: pytest.CaptureFixture[str]) -> None:
    _write("role.json", VENDOR)
    Path(".pyiamguard.yml").write_text("trusted_accounts: [210987654321]\ninternal_accounts: [210987654321]\n"
                                       "require_mfa: off\nseverity_overrides: {IAMG-105: info}\nfail_on: low\n",
                                       encoding="utf-8")
    assert main(["scan", "role.json", "--format", "json"]) == 0
    assert _found(_json(capsys)) == [("IAMG-105", "role.json")]
    Path(".pyiamguard.yaml").write_text("fail_on: high\n", encoding="utf-8")
    assert main(["scan", "role.json"]) == 2
    assert capsys.readouterr().err == ("pyiamguard: error: both .pyiamguard.yaml and .pyiamguard.yml exist: keep one "
                                       "(or name one with --config)\n")
    assert main(["scan", "role.json", "--config", ".pyiamguard.yaml"]) == 1  # --config decides


def test_configuration_mistakes_name_the_key(capsys: pytest.CaptureFixture[str]) -> None:
    _write("role.json", LAMBDA)
    for text, message in (
        ("fail_on: high\nfail_on: low\n", ".pyiamguard.yaml: fail_on: the key is written twice (again at line 2); "
                                          "keep one"),
        ("disabled_rules: [IAMG-999]\n", ".pyiamguard.yaml: disabled_rules: unknown rule 'IAMG-999' "
                                         "(see 'pyiamguard rules')"),
    ):
        Path(".pyiamguard.yaml").write_text(text, encoding="utf-8")
        assert main(["scan", "role.json"]) == 2
        assert capsys.readouterr().err == f"pyiamguard: error: {message}\n"


def test_verbose_lists_the_configuration_file_a_walk_skips(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "-v", str(REPO / "examples")]) == 1
    err = capsys.readouterr().err
    assert (f"skipped: {REPO / 'examples' / '.pyiamguard.yaml'}: the pyiamguard configuration file (read from the "
            "working directory or with --config), not a policy\n") in err


# --- standard input -------------------------------------------------------------------------------


def test_scan_dash_reads_standard_input() -> None:
    done = subprocess.run([sys.executable, "-m", "pyiamguard", "scan", "-", "--format", "json"],
                          input=json.dumps(WILDCARD, indent=2), capture_output=True, text=True, env=_env())
    assert done.returncode == 1, done.stderr
    [violation] = json.loads(done.stdout)["violations"]
    assert (violation["rule_id"], violation["file"], violation["line"], violation["resource"]) == (
        "IAMG-101", "<stdin>", 7, "<stdin>")


def test_standard_input_takes_a_name_and_any_format(tmp_path: Path) -> None:
    template = ("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Open:\n    Type: AWS::IAM::Role\n"
                "    Properties:\n      AssumeRolePolicyDocument:\n        Statement:\n          - Effect: Allow\n"
                "            Principal: {AWS: !Sub '*'}\n            Action: sts:AssumeRole\n")
    lam = _write(tmp_path / "lambda.json", LAMBDA)
    done = subprocess.run([sys.executable, "-m", "pyiamguard", "scan", str(lam), "-", "--stdin-name", "cfn/stack.yaml",
                           "--format", "github"], input=template, capture_output=True, text=True, env=_env())
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith("::error file=cfn/stack.yaml,line=9,col=25,title=IAMG-101 Open::CRITICAL: ")
    assert done.stdout.splitlines()[-1].endswith("in 2 files scanned, 0 errors")


def test_standard_input_is_read_once(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "-", "-"]) == 2
    assert capsys.readouterr().err == "pyiamguard: error: standard input (-) can be scanned once\n"


def test_empty_standard_input_is_an_error(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    assert main(["scan", "-"]) == 2
    assert capsys.readouterr().err == "error: <stdin>: empty file\n"


# --- what to scan: --skip-path, --rule, --skip-rule ---------------------------------------------


def test_skip_path_leaves_out_directories_files_and_names(capsys: pytest.CaptureFixture[str]) -> None:
    _write("iam/public.json", WILDCARD)
    _write("iam/legacy/vendor.json", VENDOR)
    _write("tests/fixtures/open.json", WILDCARD)
    assert main(["scan", ".", "--skip-path", "legacy", "--skip-path", "tests/fixtures/*", "--format", "json"]) == 1
    report = _json(capsys)
    assert _found(report) == [("IAMG-101", "public.json")]
    assert report["skipped_files"] == [
        {"file": os.path.join("iam", "legacy"), "reason": "matches skip path 'legacy'"},
        {"file": os.path.join("tests", "fixtures", "open.json"), "reason": "matches skip path 'tests/fixtures/*'"},
    ]
    # The configuration's skip_paths and the flag add up.
    Path(".pyiamguard.yaml").write_text("skip_paths: [legacy]\n", encoding="utf-8")
    assert main(["scan", ".", "--skip-path", "public.json", "--format", "json"]) == 1
    assert _found(_json(capsys)) == [("IAMG-101", "open.json")]


def test_rule_runs_only_those_rules_and_skip_rule_adds_to_disabled_rules(capsys: pytest.CaptureFixture[str]) -> None:
    _write("vendor.json", VENDOR)
    assert main(["scan", "vendor.json", "--format", "json"]) == 1
    assert sorted(rule for rule, _ in _found(_json(capsys))) == ["IAMG-102", "IAMG-103", "IAMG-104", "IAMG-105"]
    assert main(["scan", "vendor.json", "--rule", "iamg-103,IAMG-105", "--format", "json"]) == 1
    assert sorted(rule for rule, _ in _found(_json(capsys))) == ["IAMG-103", "IAMG-105"]
    Path(".pyiamguard.yaml").write_text("disabled_rules: [IAMG-102]\n", encoding="utf-8")
    assert main(["scan", "vendor.json", "--skip-rule", "IAMG-104", "--skip-rule", "IAMG-105", "--format", "json"]) == 1
    assert sorted(rule for rule, _ in _found(_json(capsys))) == ["IAMG-103"]
    assert main(["scan", "vendor.json", "--rule", "IAMG-103", "--skip-rule", "IAMG-103"]) == 0
    sarif = Path("r.sarif")
    assert main(["scan", "vendor.json", "--rule", "IAMG-101", "--format", f"sarif={sarif}"]) == 0
    rules = json.loads(sarif.read_text(encoding="utf-8"))["runs"][0]["tool"]["driver"]["rules"]
    enabled = [r["id"] for r in rules if r["defaultConfiguration"]["enabled"]]
    assert enabled == ["IAMG-101"] and len(rules) == len(load_policy_set().rules)


# --- --severity ---------------------------------------------------------------------------------


def test_severity_keeps_only_those_findings_in_the_report_and_the_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    _write("vendor.json", VENDOR)
    assert main(["scan", "vendor.json", "--severity", "medium", "--format", "json"]) == 1
    report = _json(capsys)
    assert sorted(rule for rule, _ in _found(report)) == ["IAMG-104", "IAMG-105"]
    assert report["summary"]["by_severity"] == {"CRITICAL": 0, "HIGH": 0, "MEDIUM": 2, "LOW": 0, "INFO": 0}
    assert main(["scan", "vendor.json", "--severity", "CRITICAL", "--severity", "low"]) == 0
    assert capsys.readouterr().out == "no violations in 1 file scanned, 0 errors\n"
    assert main(["scan", "vendor.json", "--severity", "high,critical", "--fail-on", "critical"]) == 0
    assert main(["scan", "vendor.json", "--severity", "urgent"]) == 2
    assert "argument --severity: unknown severity 'urgent'" in capsys.readouterr().err


# --- colour, quiet, progress ----------------------------------------------------------------------


@pytest.mark.parametrize(("flag", "terminal", "env", "coloured"), [
    ([], True, {}, True),
    ([], False, {}, False),
    ([], True, {"NO_COLOR": "1"}, False),
    ([], True, {"NO_COLOR": ""}, True),  # no-color.org: only a non-empty NO_COLOR counts
    ([], True, {"TERM": "dumb"}, False),
    (["--color", "always"], False, {"NO_COLOR": "1"}, True),  # the flag wins over the environment
    (["--color", "never"], True, {}, False),
])
def test_colour(monkeypatch: pytest.MonkeyPatch, flag: list[str], terminal: bool, env: dict[str, str],
                coloured: bool) -> None:
    _write("trust.json", WILDCARD)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    stdout = _Terminal() if terminal else io.StringIO()
    monkeypatch.setattr(sys, "stdout", stdout)
    assert main(["scan", *flag, "trust.json"]) == 1
    assert ("\x1b[1;31mCRITICAL\x1b[0m" in stdout.getvalue()) is coloured
    assert ("\x1b[" in stdout.getvalue()) is coloured


def _progress_now(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's progress line, drawn at once instead of after a second."""
    from pyiamguard.reporters import progress

    monkeypatch.setattr(progress, "ProgressLine", functools.partial(progress.ProgressLine, delay=0, interval=0))


def test_progress_line_on_a_terminal_and_erased_before_the_report(monkeypatch: pytest.MonkeyPatch) -> None:
    _write("a.json", WILDCARD)
    _write("b.json", LAMBDA)
    _progress_now(monkeypatch)
    stderr, stdout = _Terminal(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    monkeypatch.setattr(sys, "stdout", stdout)
    assert main(["scan", "a.json", "b.json"]) == 1
    drawn = stderr.getvalue()
    assert "\r\x1b[Kscanning: 1/2 files, 1 documents" in drawn
    assert "\r\x1b[Kscanning: 2/2 files, 2 documents" in drawn and drawn.endswith("b.json\r\x1b[K")
    assert "scanning" not in stdout.getvalue()


@pytest.mark.parametrize(("flags", "env", "terminal"), [
    (["--quiet"], {}, True),
    (["-q"], {}, True),
    ([], {"TERM": "dumb"}, True),
    ([], {}, False),
])
def test_no_progress_line_when_quiet_dumb_or_not_a_terminal(monkeypatch: pytest.MonkeyPatch, flags: list[str],
                                                            env: dict[str, str], terminal: bool) -> None:
    _write("a.json", WILDCARD)
    _progress_now(monkeypatch)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    stderr = _Terminal() if terminal else io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    assert main(["scan", *flags, "a.json"]) == 1
    assert stderr.getvalue() == ""


def test_quiet_keeps_errors_and_excludes_verbose(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "-q", "missing.json"]) == 2
    assert capsys.readouterr().err == "error: missing.json: no such file or directory\n"
    assert main(["scan", "-q", "-v", "missing.json"]) == 2
    assert "argument -v/--verbose: not allowed with argument -q/--quiet" in capsys.readouterr().err


# --- views ----------------------------------------------------------------------------------------


def test_view_flag_chooses_the_text_layout(capsys: pytest.CaptureFixture[str]) -> None:
    _write("vendor.json", VENDOR)
    assert main(["scan", "vendor.json", "--view", "compact"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("vendor.json:7:9  HIGH      IAMG-102  vendor.json: ")
    assert lines[5] == "fixes:" and len(lines) == 12
    assert main(["scan", "vendor.json"]) == 1
    assert "      fix: " in capsys.readouterr().out


# --- rules --format json --------------------------------------------------------------------------


def test_rules_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--format", "json"]) == 0
    rules = _json(capsys)
    catalogue = load_policy_set().rules
    assert [r["rule_id"] for r in rules] == [r.rule_id for r in catalogue]
    first = catalogue[0]
    assert rules[0] == {"rule_id": first.rule_id, "name": first.name, "title": first.title,
                        "severity": first.severity.value, "category": first.category,
                        "description": first.description, "remediation": first.remediation,
                        "related": list(first.related), "custom": False}
    assert main(["rules", "iamg-103", "--format", "json"]) == 0
    one = _json(capsys)
    assert one["rule_id"] == "IAMG-103" and one["severity"] == "HIGH" and one["name"] == "missing-external-id"
