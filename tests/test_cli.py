"""The `pyiamguard` command: arguments, configuration, exit codes, output streams."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import pyiamguard
from pyiamguard import cli
from pyiamguard.catalog import load_policy_set
from pyiamguard.cli import main

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"

WILDCARD = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
}
# A role of another account without sts:ExternalId: IAMG-102 and IAMG-103, both HIGH, nothing else.
HIGH_ONLY = {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::210987654321:role/deployer"},
        "Action": "sts:AssumeRole",
    }],
}
LAMBDA = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test runs in an empty working directory (no stray .pyiamguard.yaml), without NO_COLOR."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("PYIAMGUARD_DEBUG", raising=False)


def _write(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return path


def _subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    package_parent = str(Path(pyiamguard.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH")) if p)
    env.pop("NO_COLOR", None)
    env.pop("PYIAMGUARD_DEBUG", None)
    return env


# --- version, usage ---------------------------------------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"pyiamguard {pyiamguard.__version__}\n"


def test_version_imports_neither_regopy_nor_yaml() -> None:
    code = (
        "import sys\n"
        "from pyiamguard.cli import main\n"
        "assert main(['--version']) == 0\n"
        "print(sorted(m for m in ('regopy', 'yaml', 'pyiamguard.scanner', 'pyiamguard.engine') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_subprocess_env())
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"


SCAN_USAGE = "usage: pyiamguard scan [options] PATH...\n"


def test_no_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ("usage: pyiamguard [--version] COMMAND ...\n"
                            "pyiamguard: error: missing command: scan, rules, inspect, test, new-rule, bundle, graph, simulate, "
                            "explain, prove (see 'pyiamguard --help')\n")


def test_unknown_option_gets_the_command_usage_and_a_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--colour", "never", "x.json"]) == 2
    assert capsys.readouterr().err == (
        SCAN_USAGE + "pyiamguard: error: unrecognized option '--colour' (did you mean '--color'?) "
        "(see 'pyiamguard scan --help')\n")
    assert main(["scan", "--fial-on=high", "x.json"]) == 2
    assert capsys.readouterr().err == (
        SCAN_USAGE + "pyiamguard: error: unrecognized option '--fial-on=high' (did you mean '--fail-on'?) "
        "(see 'pyiamguard scan --help')\n")
    assert main(["scan", "--zzzzzz", "x.json"]) == 2  # nothing close: no suggestion
    assert capsys.readouterr().err == (
        SCAN_USAGE + "pyiamguard: error: unrecognized option '--zzzzzz' (see 'pyiamguard scan --help')\n")
    assert main(["rules", "--formt", "json"]) == 2
    assert capsys.readouterr().err == (
        "usage: pyiamguard rules [--format text|json] [--policy DIR] [--config FILE] [RULE_ID]\n"
        "pyiamguard: error: unrecognized option '--formt' (did you mean '--format'?) (see 'pyiamguard rules --help')\n")


def test_mistyped_command_and_choices_get_a_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scna", "x.json"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: pyiamguard [--version] COMMAND ...\n")
    assert ("invalid choice: 'scna' (choose from 'scan', 'rules', 'inspect', 'test', 'new-rule', 'bundle', 'graph', "
            "'simulate', 'explain', 'prove') (did you mean 'scan'?)") in err
    assert main(["scan", "--format", "sarf", "x.json"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(SCAN_USAGE)
    assert "argument --format: invalid choice: 'sarf' (did you mean 'sarif'?)" in err
    assert err.count("\n") == 2


def test_bad_format_choice_is_the_usage_and_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--format", "xml", "x.json"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(SCAN_USAGE + "pyiamguard: error: argument --format: invalid choice: 'xml'")
    assert err.count("\n") == 2


# --- rules ------------------------------------------------------------------------------------


def test_rules_lists_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "ID        SEVERITY  TITLE"
    ids = [line.split()[0] for line in lines[1:]]
    rules = {r.rule_id: r for r in load_policy_set().rules}
    # Every rule of the catalogue, in id order; the rules implemented so far must all be there
    # (a new rule needs no edit here, a lost one fails).
    assert ids == sorted(rules)
    implemented = (["IAMG-001", "IAMG-002"] + [f"IAMG-{n}" for n in range(101, 112)]
                   + ["IAMG-301", "IAMG-302", "IAMG-303", "IAMG-304", "IAMG-401", "IAMG-402"])
    assert set(implemented) <= set(ids), sorted(set(implemented) - set(ids))
    for line in lines[1:]:
        rule = rules[line[:8]]
        assert line == f"{rule.rule_id}  {rule.severity.value:<8}  {rule.title}"
    assert "IAMG-101  CRITICAL  Any AWS principal can assume the role" in lines


def test_rules_shows_one_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "IAMG-103"]) == 0
    out = capsys.readouterr().out
    rule = load_policy_set().rule("IAMG-103")
    assert rule is not None
    lines = out.splitlines()
    assert lines[0] == "IAMG-103  missing-external-id"
    assert "severity:    HIGH" in lines
    assert "category:    cross_account_without_external_id" in lines
    assert "title:       Cross-account trust without sts:ExternalId" in lines
    flat = " ".join(out.split())
    assert f"remediation: {rule.remediation}" in flat
    assert f"description: {rule.description}" in flat
    assert lines[-2:] == ["related:", f"  {rule.related[0]}"]
    assert rule.remediation.startswith('Add "Condition": {"StringEquals": {"sts:ExternalId"')


def test_rules_id_is_case_insensitive(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "iamg-101"]) == 0
    assert capsys.readouterr().out.startswith("IAMG-101  wildcard-principal\n")


def test_rules_unknown_id(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "IAMG-999"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "pyiamguard: error: unknown rule 'IAMG-999' (see 'pyiamguard rules')\n"


# --- scan: exit codes -------------------------------------------------------------------------


def test_wildcard_trust_fails_with_iamg_101(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = _write(tmp_path / "trust.json", WILDCARD)
    assert main(["scan", str(target)]) == 1
    captured = capsys.readouterr()
    assert captured.err == ""
    lines = captured.out.splitlines()
    assert lines[0] == str(target)
    assert lines[1].startswith("  7:9  CRITICAL  IAMG-101  trust.json: ")
    assert lines[-1] == "1 violation (1 critical, 0 high, 0 medium, 0 low, 0 info) in 1 file scanned, 0 errors"


def test_wildcard_trust_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = _write(tmp_path / "trust.json", WILDCARD)
    assert main(["scan", "--format", "json", str(target)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert list(report) == ["schema_version", "tool", "violations", "errors", "scanned_files", "skipped_files", "summary"]
    assert report["schema_version"] == 1
    assert report["tool"] == {"name": "pyiamguard", "version": pyiamguard.__version__}
    assert report["errors"] == []
    [violation] = report["violations"]
    assert list(violation) == [
        "rule_id", "title", "severity", "message", "resource", "file", "line", "column", "path", "remediation",
    ]
    assert violation["rule_id"] == "IAMG-101"
    assert violation["severity"] == "CRITICAL"
    assert violation["file"] == str(target)
    assert (violation["line"], violation["column"]) == (7, 9)
    assert violation["path"] == "$.Statement[0].Principal.AWS"
    assert report["summary"]["violations"] == 1
    assert report["summary"]["by_severity"]["CRITICAL"] == 1


def test_clean_file_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = _write(tmp_path / "lambda.json", LAMBDA)
    assert main(["scan", str(target)]) == 0
    assert capsys.readouterr().out == "no violations in 1 file scanned, 0 errors\n"


def test_fail_on_threshold(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = _write(tmp_path / "role.json", HIGH_ONLY)
    assert main(["scan", "--format", "json", str(target)]) == 1
    severities = {v["severity"] for v in json.loads(capsys.readouterr().out)["violations"]}
    assert severities == {"HIGH"}
    assert main(["scan", "--fail-on", "critical", str(target)]) == 0
    assert main(["scan", "--fail-on", "HIGH", str(target)]) == 1
    # The report is written whatever the threshold.
    assert "IAMG-103" in capsys.readouterr().out


def test_missing_path_is_an_error_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.json"
    assert main(["scan", str(missing)]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"error: {missing}: no such file or directory\n"
    assert captured.out == "no violations in 0 files scanned, 1 error\n"


def test_errors_win_over_violations_and_the_report_is_still_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"Statement": [\n', encoding="utf-8")
    other = _write(tmp_path / "other.json", {"name": "not a policy"})
    wildcard = _write(tmp_path / "trust.json", WILDCARD)
    assert main(["scan", str(bad), str(other), str(wildcard)]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        f"error: {bad}: invalid JSON at line 2 column 1: Expecting value",
        f"error: {other}: not an IAM policy, Terraform plan or CloudFormation template",
    ]
    assert "IAMG-101" in captured.out
    assert captured.out.splitlines()[-1].endswith("in 1 file scanned, 2 errors")


def test_errors_are_inside_the_json_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.json"
    wildcard = _write(tmp_path / "trust.json", WILDCARD)
    assert main(["scan", "--format", "json", str(missing), str(wildcard)]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"error: {missing}: no such file or directory\n"  # and on stderr, always
    report = json.loads(captured.out)
    assert report["errors"] == [{"file": str(missing), "message": "no such file or directory"}]
    assert [v["rule_id"] for v in report["violations"]] == ["IAMG-101"]


def test_verbose_lists_skipped_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    _write(tree / "lambda.json", LAMBDA)
    (tree / "notes.yaml").write_text("title: not a policy\n", encoding="utf-8")
    assert main(["scan", str(tree)]) == 0
    quiet = capsys.readouterr()
    assert quiet.err == ""
    assert quiet.out == "no violations in 1 file scanned, 1 skipped, 0 errors\n"
    assert main(["scan", "-v", str(tree)]) == 0
    assert capsys.readouterr().err == (
        f"skipped: {tree / 'notes.yaml'}: not an IAM policy, Terraform plan or CloudFormation template\n"
    )


# --- scan: configuration ----------------------------------------------------------------------


def test_config_file_with_unknown_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path(".pyiamguard.yaml").write_text("fail_on: high\nown_acount: [123456789012]\n", encoding="utf-8")
    target = _write(tmp_path / "trust.json", WILDCARD)
    assert main(["scan", str(target)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err == ("pyiamguard: error: .pyiamguard.yaml: unknown key 'own_acount' "
                            "(did you mean 'own_accounts'?)\n")
    assert "Traceback" not in captured.err


def test_explicit_config_file_with_wrong_type(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "guard.yaml"
    config.write_text("require_permissions_boundary: maybe\n", encoding="utf-8")
    target = _write(tmp_path / "trust.json", WILDCARD)
    assert main(["scan", "--config", str(config), str(target)]) == 2
    assert capsys.readouterr().err == (
        f"pyiamguard: error: {config}: require_permissions_boundary: expected true or false, got 'maybe'\n"
    )


def test_missing_config_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = _write(tmp_path / "trust.json", WILDCARD)
    assert main(["scan", "--config", "absent.yaml", str(target)]) == 2
    assert capsys.readouterr().err == "pyiamguard: error: absent.yaml: cannot read: No such file or directory\n"


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--own-account", "1234"], "--own-account: '1234' is not a 12-digit account id"),
        (["--trusted-account", "123456789012", "--trusted-account", "x"], "--trusted-account: 'x' is not a 12-digit account id"),
        (["--internal-account", "12345678901a"], "--internal-account: '12345678901a' is not a 12-digit account id"),
        (["--trusted-org-id", "org1"], "--trusted-org-id: 'org1' is not an organization id like o-a1b2c3d4e5"),
        (["--gitlab-host", "https://gitlab"], "--gitlab-host: 'https://gitlab' is not a host name like gitlab.example.com"),
        (["--jobs", "0"], "argument --jobs/-j: expected 1 to 64 processes, got 0 (see 'pyiamguard scan --help')"),
        (["--skip-rule", "IAMG-999"], "--skip-rule: unknown rule 'IAMG-999' (see 'pyiamguard rules')"),
        (["--rule", "IAMG-101,IAMG-3O4"], "--rule: unknown rule 'IAMG-3O4' (did you mean 'IAMG-304'?) (see 'pyiamguard rules')"),
        (["--skip-path", ""], "--skip-path: an empty glob would skip nothing; remove it"),
        (["--require-mfa", "sometimes"], "--require-mfa: expected one of people, all, off, got 'sometimes'"),
        (["--fail-on", "severe"], "--fail-on: unknown severity 'severe' (expected one of critical, high, medium, low, info)"),
    ],
)
def test_bad_flag_values(tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str], message: str) -> None:
    target = _write(tmp_path / "trust.json", WILDCARD)
    assert main(["scan", *flags, str(target)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    usage = SCAN_USAGE if message.startswith("argument ") else ""  # argparse's own checks show the usage
    assert captured.err == f"{usage}pyiamguard: error: {message}\n"


def test_config_file_in_working_directory_is_used(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = _write(tmp_path / "role.json", HIGH_ONLY)
    assert main(["scan", str(target)]) == 1
    Path(".pyiamguard.yaml").write_text("fail_on: critical\n", encoding="utf-8")
    assert main(["scan", str(target)]) == 0
    # A flag overrides the file.
    assert main(["scan", "--fail-on", "high", str(target)]) == 1


def test_account_flags_override_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = _write(tmp_path / "role.json", HIGH_ONLY)
    Path(".pyiamguard.yaml").write_text(
        "own_accounts: [123456789012]\ntrusted_accounts: [111122223333]\n", encoding="utf-8"
    )
    assert main(["scan", "--format", "json", str(target)]) == 1
    assert {v["rule_id"] for v in json.loads(capsys.readouterr().out)["violations"]} == {"IAMG-102", "IAMG-103"}
    # Trusted and internal: neither IAMG-102 nor IAMG-103 is left.
    assert main(["scan", "--trusted-account", "210987654321", "--internal-account", "210987654321", str(target)]) == 0
    assert capsys.readouterr().out == "no violations in 1 file scanned, 0 errors\n"


# --- scan: output -----------------------------------------------------------------------------


def test_output_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = _write(tmp_path / "trust.json", WILDCARD)
    out = tmp_path / "report.json"
    assert main(["scan", "--format", "json", "--output", str(out), str(target)]) == 1
    assert capsys.readouterr().out == ""
    assert [v["rule_id"] for v in json.loads(out.read_text(encoding="utf-8"))["violations"]] == ["IAMG-101"]


def test_output_file_cannot_be_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = _write(tmp_path / "trust.json", WILDCARD)
    out = tmp_path / "missing-dir" / "report.txt"
    assert main(["scan", "--output", str(out), str(target)]) == 2
    assert capsys.readouterr().err == f"pyiamguard: error: cannot write {out}: No such file or directory\n"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal_without_no_color(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = _write(tmp_path / "trust.json", WILDCARD)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    assert main(["scan", str(target)]) == 1
    assert "\x1b[1;31mCRITICAL\x1b[0m" in terminal.getvalue()

    monkeypatch.setenv("NO_COLOR", "1")
    plain = _Terminal()
    monkeypatch.setattr(sys, "stdout", plain)
    assert main(["scan", str(target)]) == 1
    assert "CRITICAL" in plain.getvalue() and "\x1b[" not in plain.getvalue()

    monkeypatch.delenv("NO_COLOR")
    report = tmp_path / "report.txt"
    assert main(["scan", "--output", str(report), str(target)]) == 1
    assert "\x1b[" not in report.read_text(encoding="utf-8")


def test_no_colour_when_piped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = _write(tmp_path / "trust.json", WILDCARD)
    assert main(["scan", str(target)]) == 1
    assert "\x1b[" not in capsys.readouterr().out


# --- unexpected failures ----------------------------------------------------------------------


def _boom(*args: object, **kwargs: object) -> None:
    raise RuntimeError("boom\nsecond line")


def test_internal_error_without_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import pyiamguard.scanner

    monkeypatch.setattr(pyiamguard.scanner.Scanner, "scan", _boom)
    target = _write(tmp_path / "trust.json", WILDCARD)
    assert main(["scan", str(target)]) == 2
    assert capsys.readouterr().err == "pyiamguard: internal error: RuntimeError: boom second line\n"


def test_internal_error_traceback_with_debug(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import pyiamguard.scanner

    monkeypatch.setattr(pyiamguard.scanner.Scanner, "scan", _boom)
    monkeypatch.setenv("PYIAMGUARD_DEBUG", "1")
    target = _write(tmp_path / "trust.json", WILDCARD)
    assert main(["scan", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert err.endswith("pyiamguard: internal error: RuntimeError: boom second line\n")


def test_usage_error_class_is_not_an_internal_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert issubclass(cli.UsageError, Exception)
    assert main(["rules", "nope"]) == 2
    assert "internal error" not in capsys.readouterr().err


# --- the real entry points --------------------------------------------------------------------


def test_python_dash_m_entry(tmp_path: Path) -> None:
    target = _write(tmp_path / "trust.json", WILDCARD)
    done = subprocess.run(
        [sys.executable, "-m", "pyiamguard", "scan", "--format", "json", str(target)],
        capture_output=True, text=True, env=_subprocess_env(), cwd=tmp_path,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr == ""
    assert [v["rule_id"] for v in json.loads(done.stdout)["violations"]] == ["IAMG-101"]


def test_shipped_examples(capsys: pytest.CaptureFixture[str]) -> None:
    """What README and examples/README.md promise about `pyiamguard scan examples/`."""
    assert main(["scan", "--format", "json", str(EXAMPLES)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["errors"] == []
    found: dict[str, set[str]] = {}
    for v in report["violations"]:
        found.setdefault(Path(v["file"]).name, set()).add(v["rule_id"])
    found_tf: dict[str, set[tuple[str, str]]] = {}
    for v in report["violations"]:
        if v["file"].endswith(".tf"):
            found_tf.setdefault(str(Path(v["file"]).relative_to(EXAMPLES)), set()).add((v["rule_id"], v["resource"]))
    found = {name: rules for name, rules in found.items() if not name.endswith(".tf")}
    # terraform-module/: sources without a plan; the called module is scanned through its caller.
    backup, monitoring = 'module.vendor["backup"].aws_iam_role.this', 'module.vendor["monitoring"].aws_iam_role.this'
    assert found_tf == {
        "terraform-module/main.tf": {("IAMG-201", "aws_iam_role.github_deploy")},
        "terraform-module/modules/cross-account-role/main.tf": {
            ("IAMG-102", backup), ("IAMG-105", backup),
            ("IAMG-102", monitoring), ("IAMG-103", monitoring), ("IAMG-104", monitoring), ("IAMG-105", monitoring)},
    }
    assert found == {
        "trust-wildcard.json": {"IAMG-101"},
        "trust-third-party-no-externalid.json": {"IAMG-102", "IAMG-103", "IAMG-104", "IAMG-105"},
        "trust-cross-account-yaml.yaml": {"IAMG-102"},
        # The two account dumps: each side of an assume that the other does not match.
        "tooling-account.json": {"IAMG-501"},
        "workload-account.json": {"IAMG-102", "IAMG-501"},
        # custom-policies/: the example custom rules' examples, judged here by the built-in rules
        # alone and without that folder's configuration (its vendor accounts are not trusted).
        "violating_vendor_roles.yaml": {"IAMG-102", "IAMG-103", "IAMG-105", "IAMG-401"},
        "clean_vendor_role.yaml": {"IAMG-102", "IAMG-103"},
        "violating_untagged_vendor_roles.yaml": {"IAMG-102"},
        "clean_tagged_roles.yaml": {"IAMG-102", "IAMG-103"},
        # change-review/: a plan of eight existing roles, one given a foreign account.
        "plan.json": {"IAMG-102", "IAMG-103", "IAMG-104", "IAMG-105", "IAMG-301"},
    }
    changed = sorted((v["change"], v["rule_id"], v["resource"]) for v in report["violations"]
                     if v["file"].endswith("plan.json") and v["change"] != "existing")
    assert changed == [("new", rule, "aws_iam_role.deployer") for rule in ("IAMG-102", "IAMG-103", "IAMG-104", "IAMG-105")]
    assert [(c["resource"], c["details"]) for c in report["changes"]] == [("aws_iam_role.deployer", [
        "account 999988887777 (not allow-listed) can now assume it, without ExternalId, without MFA"])]
    assert {(v["resource"], v["line"]) for v in report["violations"] if v["rule_id"] == "IAMG-501"} == {
        ("pipeline", 23), ("deployer", 13)}
    assert report["summary"]["files_scanned"] == 17
    # With the example configuration, the YAML cross-account trust is clean.
    config = EXAMPLES / ".pyiamguard.yaml"
    assert main(["scan", "--config", str(config), str(EXAMPLES / "trust-cross-account-yaml.yaml")]) == 0


# --- CI formats (issue 6): several --format, thresholds, overrides, waivers ----------------------

# One finding per severity from CRITICAL to LOW: IAMG-101 (CRITICAL) in one file, HIGH_ONLY's
# IAMG-102/103 (HIGH), and IAMG-105 overridden to MEDIUM and IAMG-104 to LOW in the config below.
_THRESHOLD_CONFIG = "require_mfa: all\nseverity_overrides:\n  IAMG-104: LOW\n"
ROOT_NO_MFA = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:root"}, "Action": "sts:AssumeRole",
                   "Condition": {"StringEquals": {"sts:ExternalId": "x1"}}}],
}


def _sarif_schema() -> object:
    return json.loads((REPO / "tests" / "fixtures" / "sarif" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit", "github"])
def test_every_format_to_stdout_keeps_the_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    target = _write(tmp_path / "trust.json", WILDCARD)
    assert main(["scan", "--format", fmt, str(target)]) == 1
    out = capsys.readouterr().out
    assert "IAMG-101" in out
    clean = _write(tmp_path / "lambda.json", LAMBDA)
    assert main(["scan", "--format", fmt, str(clean)]) == 0


@pytest.mark.parametrize(("fail_on", "code"), [
    ("critical", 1), ("high", 1), ("medium", 1), ("low", 1), ("info", 1)])
def test_exit_code_for_each_threshold_with_a_critical_finding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fail_on: str, code: int
) -> None:
    target = _write(tmp_path / "trust.json", WILDCARD)
    assert main(["scan", "--fail-on", fail_on, "--format", "sarif", str(target)]) == code


@pytest.mark.parametrize(("fail_on", "code"), [
    ("critical", 0), ("high", 0), ("medium", 1), ("low", 1), ("info", 1)])
def test_exit_code_for_each_threshold_with_medium_and_low_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fail_on: str, code: int
) -> None:
    # IAMG-105 (MEDIUM) and IAMG-104 overridden to LOW; IAMG-102 disabled.
    Path(".pyiamguard.yaml").write_text(_THRESHOLD_CONFIG + "disabled_rules: [IAMG-102]\n", encoding="utf-8")
    target = _write(tmp_path / "role.json", ROOT_NO_MFA)
    assert main(["scan", "--format", "json", str(target)]) == 1
    found = {(v["rule_id"], v["severity"]) for v in json.loads(capsys.readouterr().out)["violations"]}
    assert found == {("IAMG-105", "MEDIUM"), ("IAMG-104", "LOW")}
    assert main(["scan", "--fail-on", fail_on, "--format", "junit", str(target)]) == code
    # fail_on in the configuration file is the same threshold.
    Path(".pyiamguard.yaml").write_text(
        _THRESHOLD_CONFIG + f"disabled_rules: [IAMG-102]\nfail_on: {fail_on}\n", encoding="utf-8")
    assert main(["scan", "--format", "github", str(target)]) == code


def test_errors_exit_2_in_every_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wildcard = _write(tmp_path / "trust.json", WILDCARD)
    missing = tmp_path / "nope.json"
    for fmt in ("text", "json", "sarif", "junit", "github"):
        assert main(["scan", "--fail-on", "critical", "--format", fmt, str(missing), str(wildcard)]) == 2
        captured = capsys.readouterr()
        assert "IAMG-101" in captured.out  # the report of everything else is still written
        # stderr always has the error; every format but text carries it inside too.
        assert captured.err == f"error: {missing}: no such file or directory\n"
        assert (str(missing) in captured.out) == (fmt != "text")


def test_several_formats_to_several_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import xml.etree.ElementTree as ET

    import jsonschema

    target = _write(tmp_path / "trust.json", WILDCARD)
    assert main(["scan", "--format", "sarif=out.sarif", "--format", "junit=out.xml", "--format", "json=out.json",
                 "--format", "github=annotations.txt", "--format", "text", str(target)]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[-1].startswith("1 violation (1 critical")
    sarif = json.loads(Path("out.sarif").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(_sarif_schema()).validate(sarif)
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["IAMG-101"]
    assert ET.parse("out.xml").getroot().get("failures") == "1"
    assert json.loads(Path("out.json").read_text(encoding="utf-8"))["summary"]["violations"] == 1
    assert Path("annotations.txt").read_text(encoding="utf-8").startswith("::error file=")


def test_output_applies_to_the_format_without_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = _write(tmp_path / "trust.json", WILDCARD)
    assert main(["scan", "--format", "sarif", "--format", "junit=r.xml", "--output", "r.sarif", str(target)]) == 1
    assert capsys.readouterr().out == ""
    assert json.loads(Path("r.sarif").read_text(encoding="utf-8"))["version"] == "2.1.0"
    assert Path("r.xml").read_text(encoding="utf-8").startswith("<?xml")


@pytest.mark.parametrize(("flags", "message"), [
    (["--format", "json", "--format", "sarif"],
     "only one --format can go to stdout (json, sarif would); give the others a file, as in --format sarif=report.sarif"),
    (["--format", "json", "--format", "text", "--output", "x"],
     "only one --format can go to --output x (json, text would); give the others a file, as in --format sarif=report.sarif"),
    (["--format", "sarif=a.sarif", "--output", "x"],
     "--output FILE is for a --format without =FILE; every --format here names its file"),
    (["--format", "sarif=a", "--format", "junit=./a"], "./a would be written twice (sarif and junit); give each its own file"),
    (["--format", "sarif=b.json", "--write-baseline", "b.json"],
     "b.json would be written twice (sarif and --write-baseline); give each its own file"),
    (["--format", "sarif="], "argument --format: 'sarif=': a file name must follow '='"),
    (["--format", "xml=out.xml"],
     "argument --format: invalid choice: 'xml' (choose from 'text', 'json', 'sarif', 'junit', 'github', "
     "'markdown')"),
    (["--format", "jsn"],
     "argument --format: invalid choice: 'jsn' (did you mean 'json'?) (choose from 'text', 'json', 'sarif', "
     "'junit', 'github', 'markdown')"),
])
def test_bad_format_combinations(tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str], message: str) -> None:
    target = _write(tmp_path / "trust.json", WILDCARD)
    assert main(["scan", *flags, str(target)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    usage = SCAN_USAGE if message.startswith("argument ") else ""
    assert captured.err.startswith(f"{usage}pyiamguard: error: {message}")
    assert captured.err.count("\n") == 1 + bool(usage)
    assert not Path("a").exists() and not Path("a.sarif").exists()


def test_format_name_is_case_insensitive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = _write(tmp_path / "trust.json", WILDCARD)
    assert main(["scan", "--format", "SARIF", str(target)]) == 1
    assert json.loads(capsys.readouterr().out)["version"] == "2.1.0"


def test_every_format_shows_overridden_severities(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import xml.etree.ElementTree as ET

    Path(".pyiamguard.yaml").write_text("severity_overrides:\n  IAMG-101: LOW\n", encoding="utf-8")
    target = _write(tmp_path / "trust.json", WILDCARD)
    assert main(["scan", "--format", "text", "--format", "json=r.json", "--format", "sarif=r.sarif",
                 "--format", "junit=r.xml", "--format", "github=r.txt", str(target)]) == 1
    assert "  LOW       IAMG-101  " in capsys.readouterr().out
    assert json.loads(Path("r.json").read_text())["violations"][0]["severity"] == "LOW"
    sarif = json.loads(Path("r.sarif").read_text())
    [result] = sarif["runs"][0]["results"]
    rule = sarif["runs"][0]["tool"]["driver"]["rules"][result["ruleIndex"]]
    assert (result["level"], rule["properties"]["security-severity"]) == ("note", "3.0")
    failure = ET.parse("r.xml").getroot().find("testsuite/testcase/failure")
    assert failure is not None and failure.get("type") == "LOW"
    assert Path("r.txt").read_text().startswith("::notice file=")
    assert main(["scan", "--fail-on", "medium", str(target)]) == 0


def test_the_same_scan_gives_the_same_bytes(tmp_path: Path) -> None:
    tree = tmp_path / "iam"
    tree.mkdir()
    _write(tree / "trust.json", WILDCARD)
    _write(tree / "role.json", HIGH_ONLY)
    Path(".pyiamguard.yaml").write_text(
        "waivers:\n  - {rule: IAMG-103, resource: role.json, reason: vendor}\n"
        "  - {rule: IAMG-105, resource: '*', reason: stale}\n", encoding="utf-8")
    outputs = {}
    for run in ("a", "b"):
        formats = [f"{fmt}={run}.{fmt}" for fmt in ("text", "json", "sarif", "junit", "github")]
        flags = [f for pair in zip(["--format"] * 5, formats) for f in pair]
        assert main(["scan", *flags, str(tree), str(tmp_path / "missing.json")]) == 2
        outputs[run] = {fmt: Path(f"{run}.{fmt}").read_bytes() for fmt in ("text", "json", "sarif", "junit", "github")}
    assert outputs["a"] == outputs["b"]
    document = json.loads(outputs["a"]["json"])
    assert (len(document["errors"]), len(document["suppressed"]), len(document["notices"])) == (1, 1, 1)


def test_waivers_from_the_configuration_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import datetime as dt

    target = _write(tmp_path / "role.json", HIGH_ONLY)
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    yesterday = dt.date.today() - dt.timedelta(days=1)
    Path(".pyiamguard.yaml").write_text(
        "waivers:\n"
        f"  - {{rule: IAMG-102, resource: 'role*', reason: partner account, expires: {tomorrow.isoformat()}}}\n"
        f"  - {{rule: IAMG-103, resource: 'role*', reason: used to be fine, expires: {yesterday.isoformat()}}}\n"
        "  - {rule: IAMG-101, resource: 'nothing-*', reason: stale}\n",
        encoding="utf-8")
    # IAMG-102 is waived; IAMG-103's waiver expired, so it fails again; the stale one is reported.
    assert main(["scan", "--format", "json", str(target)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [v["rule_id"] for v in report["violations"]] == ["IAMG-103"]
    assert [(v["rule_id"], v["reason"], v["waiver"]) for v in report["suppressed"]] == [
        ("IAMG-102", "partner account", "waivers[0]")]
    assert [(n["kind"], n["waiver"]) for n in report["notices"]] == [
        ("expired-waiver", "waivers[1]"), ("stale-waiver", "waivers[2]")]
    assert main(["scan", str(target)]) == 1
    out = capsys.readouterr().out
    assert f"notice: waiver waivers[1] (IAMG-103 on resource 'role*') expired on {yesterday.isoformat()}: " \
           "its 1 finding is reported again" in out
    assert out.splitlines()[-1].endswith("0 errors, 1 suppressed")
    # Without the expired waiver's finding (a live waiver for it too), the scan passes.
    Path(".pyiamguard.yaml").write_text(
        "waivers:\n  - {rule: IAMG-102, resource: 'role*', reason: partner}\n"
        "  - {rule: IAMG-103, resource: 'role*', reason: partner}\n", encoding="utf-8")
    assert main(["scan", str(target)]) == 0


def test_waiver_without_reason_is_a_configuration_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = _write(tmp_path / "role.json", HIGH_ONLY)
    Path(".pyiamguard.yaml").write_text("waivers:\n  - {rule: IAMG-102, resource: '*'}\n", encoding="utf-8")
    assert main(["scan", "--format", "sarif", str(target)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "pyiamguard: error: .pyiamguard.yaml: waivers[0]: 'reason' is required and must be a non-empty string\n")


def test_skip_unrecognized_treats_named_files_like_walked_ones(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = _write(tmp_path / "trust.json", WILDCARD)
    package = _write(tmp_path / "package.json", {"name": "app"})
    broken = tmp_path / "tsconfig.json"
    broken.write_text("{ // comment\n}\n", encoding="utf-8")
    assert main(["scan", str(target), str(package), str(broken)]) == 2
    capsys.readouterr()
    assert main(["scan", "--skip-unrecognized", "-v", str(target), str(package), str(broken)]) == 1
    captured = capsys.readouterr()
    assert sorted(line.split(": ")[1] for line in captured.err.splitlines()) == [str(package), str(broken)]
    assert captured.out.splitlines()[-1].endswith("in 1 file scanned, 2 skipped, 0 errors")
    # A broken file that looks like a policy is still an error.
    (tmp_path / "policy.json").write_text('{"Version": "2012-10-17", "Statement": [\n', encoding="utf-8")
    assert main(["scan", "--skip-unrecognized", str(tmp_path / "policy.json")]) == 2


def test_gitlab_host_flag_applies_gitlab_subject_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A self-managed GitLab is an unknown provider until named: then project_path:* is too broad.
    target = REPO / "policies/pyiamguard/rules/iamg_202/examples/violating_gitlab_self_managed_any_group.json"
    assert main(["scan", "--format", "json", str(target)]) == 0
    assert json.loads(capsys.readouterr().out)["violations"] == []
    assert main(["scan", "--format", "json", "--gitlab-host", "gitlab.example.com", str(target)]) == 1
    found = json.loads(capsys.readouterr().out)["violations"]
    assert [(v["rule_id"], v["line"]) for v in found] == [("IAMG-202", 10)]
