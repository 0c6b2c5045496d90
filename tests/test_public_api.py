"""The library as a deployment script uses it: what `import pyiamguard` offers, and that it
cannot be made to pass what it did not check."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import pyiamguard
from pyiamguard import (BaselineError, Config, ConfigError, EngineError, EngineUnavailableError, PyiamguardError,
                        Report, Scanner, Severity, TfSourceError, scan, scan_document)
from pyiamguard.model import Location, Violation

REPO = Path(__file__).resolve().parent.parent
WILDCARD = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                     "Action": "sts:AssumeRole"}]}
PUBLIC_ADMIN_TEMPLATE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Resources": {
        "PublicAdmin": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": WILDCARD,
                "ManagedPolicyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"],
            },
        },
    },
}
PLAN = {
    "format_version": "1.2",
    "terraform_version": "1.9.0",
    "resource_changes": [{
        "address": "aws_iam_role.public",
        "mode": "managed",
        "type": "aws_iam_role",
        "name": "public",
        "change": {
            "actions": ["create"],
            "after": {"name": "public", "assume_role_policy": json.dumps(WILDCARD), "max_session_duration": 3600},
            "after_unknown": {"arn": True, "id": True},
        },
    }],
}


# --- Severity orders by urgency ------------------------------------------------------------------


def test_severities_order_by_urgency_not_by_text() -> None:
    assert Severity.CRITICAL > Severity.HIGH > Severity.MEDIUM > Severity.LOW > Severity.INFO
    assert Severity.CRITICAL >= Severity.HIGH and Severity.HIGH >= Severity.HIGH
    assert Severity.INFO < Severity.LOW <= Severity.LOW
    assert max(Severity) is Severity.CRITICAL and min(Severity) is Severity.INFO
    assert sorted([Severity.MEDIUM, Severity.CRITICAL, Severity.INFO, Severity.HIGH]) == [
        Severity.INFO, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL]
    found = [Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW]
    assert [s for s in found if s >= Severity.HIGH] == [Severity.CRITICAL, Severity.HIGH]
    assert [s.rank for s in Severity] == [4, 3, 2, 1, 0]


def test_a_severity_is_still_its_text_but_never_ordered_as_text() -> None:
    assert Severity.HIGH == "HIGH" and {"HIGH": 1}[Severity.HIGH] == 1
    assert str(Severity.HIGH) == "HIGH" and f"{Severity.LOW}" == "LOW"
    assert json.dumps({"severity": Severity.MEDIUM}) == '{"severity": "MEDIUM"}'
    with pytest.raises(TypeError, match="cannot order Severity and str"):
        assert Severity.HIGH < "LOW"
    with pytest.raises(TypeError):
        assert "LOW" > Severity.HIGH
    assert Severity.parse(" high ") is Severity.HIGH and Severity.parse(Severity.LOW) is Severity.LOW


def test_report_fails_takes_a_severity_or_its_name() -> None:
    report = Report(violations=(Violation("IAMG-101", "t", Severity.CRITICAL, "m", "r", Location("a.json"), "fix"),))
    assert report.fails(Severity.HIGH) and report.fails("critical")
    with pytest.raises(ValueError, match="unknown severity 'severe'"):
        report.fails("severe")


# --- scan(): a path or a list of paths, nothing else ----------------------------------------------


def test_scan_takes_one_path_as_a_string_or_a_path(tmp_path: Path) -> None:
    (tmp_path / "iam").mkdir()
    (tmp_path / "iam" / "trust.json").write_text(json.dumps(WILDCARD), encoding="utf-8")
    for given in (str(tmp_path / "iam"), tmp_path / "iam", [str(tmp_path / "iam")], (tmp_path / "iam",)):
        report = scan(given)
        assert report.scanned_files == (str(tmp_path / "iam" / "trust.json"),), given
        assert [(v.rule_id, v.resource) for v in report.violations] == [("IAMG-101", "trust.json")]


@pytest.mark.parametrize(("paths", "message"), [
    (42, "paths: expected a path (str or os.PathLike) or a list of paths, got int"),
    (b"iam/", "paths: expected a path (str or os.PathLike) or a list of paths, got bytes"),
    ({"iam/": True}, "paths: expected a path (str or os.PathLike) or a list of paths, got dict"),
    (["iam/", 7], "paths: expected a path (str or os.PathLike), got int 7"),
    ([b"iam/"], "paths: expected a path (str or os.PathLike), got bytes b'iam/'"),
    (None, "paths: expected a path (str or os.PathLike) or a list of paths, got NoneType"),
])
def test_scan_rejects_what_is_not_a_path_clearly(paths: object, message: str) -> None:
    with pytest.raises(TypeError) as info:
        scan(paths)  # type: ignore[arg-type]
    assert str(info.value) == message


def test_a_scan_of_nothing_is_not_a_pass(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"name": "app"}', encoding="utf-8")
    report = scan(tmp_path)
    assert report.empty and report.violations == ()
    [error] = report.errors
    assert error.file == str(tmp_path)
    assert error.message.startswith("nothing to check: no IAM policy, Terraform plan or CloudFormation template "
                                    "was found (1 file skipped)")
    assert not report.passed()
    allowed = Config(allow_empty=True)
    empty = scan(tmp_path, allowed)
    assert empty.errors == () and empty.empty
    assert empty.passed(allowed) and not empty.passed()
    assert [e.message for e in scan([]).errors] == [
        "nothing to check: no IAM policy, Terraform plan or CloudFormation template was found (no paths were "
        "given); --allow-empty (allow_empty: true) accepts an empty scan"]


def test_passed_is_the_verdict_of_errors_emptiness_and_fail_on(tmp_path: Path) -> None:
    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps(WILDCARD), encoding="utf-8")
    report = scan(trust)
    assert not report.passed() and not report.passed(Config(fail_on="critical"))
    lam = tmp_path / "lambda.json"
    lam.write_text(json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
        encoding="utf-8")
    assert scan(lam).passed()
    with_error = scan([lam, tmp_path / "missing.json"])
    assert with_error.scanned_files == (str(lam),) and not with_error.passed()


# --- scan_document(): everything is checked as what it is, or is an error -----------------------


def test_scan_document_scans_a_template_dict_as_a_template() -> None:
    report = scan_document(PUBLIC_ADMIN_TEMPLATE, name="stack.json")
    found = {(v.rule_id, v.resource) for v in report.violations}
    assert {("IAMG-101", "PublicAdmin"), ("IAMG-301", "PublicAdmin")} <= found
    assert report.scanned_files == ("stack.json",) and not report.passed()


def test_scan_document_scans_template_yaml_text_with_short_tags() -> None:
    text = ("AWSTemplateFormatVersion: '2010-09-09'\nParameters:\n  Principal:\n    Type: String\n"
            "    Default: '*'\nResources:\n  Open:\n    Type: AWS::IAM::Role\n    Properties:\n"
            "      AssumeRolePolicyDocument:\n        Statement:\n          - Effect: Allow\n"
            "            Principal: {AWS: !Ref Principal}\n            Action: sts:AssumeRole\n")
    report = scan_document(text, name="stack.yaml")
    [violation] = [v for v in report.violations if v.rule_id == "IAMG-101"]
    assert (violation.resource, violation.file, violation.line) == ("Open", "stack.yaml", 13)


def test_scan_document_scans_a_plan_dict_as_a_plan() -> None:
    report = scan_document(PLAN, name="plan.json")
    assert [(v.rule_id, v.resource) for v in report.violations if v.rule_id == "IAMG-101"] == [
        ("IAMG-101", "aws_iam_role.public")]


@pytest.mark.parametrize("document", [{"foo": 1}, [], {"Resources": "x"}, "just: text\n", "[1, 2]"])
def test_scan_document_of_something_else_is_an_error_never_a_clean_result(document: object) -> None:
    report = scan_document(document, name="input")
    assert report.violations == ()
    assert [(e.file, e.message) for e in report.errors] == [
        ("input", "not an IAM policy, Terraform plan or CloudFormation template")]
    assert not report.passed()


def test_scan_document_of_a_non_document_type_is_an_error() -> None:
    report = scan_document(42, name="input")  # type: ignore[arg-type]
    assert [e.message for e in report.errors] == [
        "expected a document (dict or list) or its JSON or YAML text, got int"]


def test_scan_document_kind_applies_to_one_policy_only() -> None:
    assert [v.rule_id for v in scan_document(WILDCARD, kind="trust").violations] == ["IAMG-101"]
    [error] = scan_document(PUBLIC_ADMIN_TEMPLATE, kind="trust", name="t").errors
    assert error.message == ("kind='trust' is for one IAM policy document, and this is a CloudFormation template; "
                             "leave kind out to scan it as such")
    [error] = scan_document({"foo": 1}, kind="trust", name="t").errors
    assert error.message.startswith("kind='trust' is for one IAM policy document, and this is not an IAM policy")


# --- Config(): validated and converted exactly like a configuration file -----------------------


def test_config_constructor_converts_like_the_file(tmp_path: Path) -> None:
    config = Config(fail_on="high", own_accounts=[123456789012], severity_overrides={"iamg-105": "low"},
                    disabled_rules="IAMG-110", waivers=[{"rule": "IAMG-103", "resource": "v-*", "reason": "r",
                                                        "file": "./iam/*", "expires": "2031-01-31"}])
    path = tmp_path / ".pyiamguard.yaml"
    path.write_text("fail_on: high\nown_accounts: [123456789012]\nseverity_overrides: {IAMG-105: low}\n"
                    "disabled_rules: IAMG-110\nwaivers:\n  - {rule: IAMG-103, resource: v-*, reason: r, "
                    "file: ./iam/*, expires: 2031-01-31}\n", encoding="utf-8")
    assert config == pyiamguard.load_config(path)
    assert config.fail_on is Severity.HIGH and config.own_accounts == ("123456789012",)
    assert config.severity_overrides == {"IAMG-105": Severity.LOW}
    assert config.waivers[0].file == "./iam/*"
    report = Report(violations=(Violation("IAMG-101", "t", Severity.CRITICAL, "m", "r", Location("a.json"), "f"),))
    assert report.fails(config.fail_on)


@pytest.mark.parametrize(("key", "value", "message"), [
    ("fail_on", "severe", "fail_on: unknown severity 'severe' (expected one of critical, high, medium, low, info)"),
    ("own_accounts", ["1234"], "own_accounts: '1234' is not a 12-digit account id"),
    ("own_accounts", ["\u0661" * 12], "own_accounts: '" + "\u0661" * 12 + "' is not a 12-digit account id"),
    ("require_mfa", "always", "require_mfa: expected one of people, all, off, got 'always'"),
    ("max_session_seconds", 60, "max_session_seconds: expected a whole number of seconds from 900 to 43200, got 60"),
    ("disabled_rules", ["IAMG-999"], "disabled_rules: unknown rule 'IAMG-999' (see 'pyiamguard rules')"),
    ("severity_overrides", {"IAMG-998": "low"}, "severity_overrides: unknown rule 'IAMG-998' (see 'pyiamguard rules')"),
    ("waivers", [{"rule": "IAMG-997", "resource": "r", "reason": "x"}],
     "waivers[0]: unknown rule 'IAMG-997' (see 'pyiamguard rules')"),
    ("allow_empty", "yes", "allow_empty: expected true or false, got 'yes'"),
    ("skip_paths", [["a"]], "skip_paths: expected a list of strings, found ['a']"),
])
def test_config_constructor_rejects_what_the_file_rejects(tmp_path: Path, key: str, value: object,
                                                          message: str) -> None:
    with pytest.raises(ConfigError) as built:
        Config(**{key: value})  # type: ignore[arg-type]
    assert str(built.value) == message
    path = tmp_path / "c.yaml"
    path.write_text(json.dumps({key: value}), encoding="utf-8")  # JSON is YAML
    with pytest.raises(ConfigError) as loaded:
        pyiamguard.load_config(path)
    assert str(loaded.value) == f"{path}: {message}"


# --- Scanner: the rules compiled once for many scans -------------------------------------------


def test_a_scanner_compiles_once_and_scans_many_times(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pyiamguard import engine

    built: list[int] = []
    original = engine.Engine.__init__

    def counting(self: engine.Engine, *args: object, **kwargs: object) -> None:
        built.append(1)
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine.Engine, "__init__", counting)
    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps(WILDCARD), encoding="utf-8")
    scanner = Scanner(Config(fail_on="critical"))
    first = scanner.scan(trust)
    second = scanner.scan_document(PUBLIC_ADMIN_TEMPLATE, name="stack.json")
    third = scanner.scan(trust)
    assert built == [1]
    assert first == third == scan(trust, Config(fail_on="critical"))
    assert {v.rule_id for v in second.violations} >= {"IAMG-101", "IAMG-301"}


def test_scanner_arguments_are_checked() -> None:
    with pytest.raises(TypeError, match="config: expected a pyiamguard.Config, got dict"):
        Scanner({"fail_on": "high"})  # type: ignore[arg-type]
    with pytest.raises(TfSourceError, match="no such directory"):
        Scanner(tf_source="/nonexistent/infra")


# --- errors: exported, one base class ----------------------------------------------------------


def test_every_error_a_caller_can_meet_is_exported_under_one_base(tmp_path: Path) -> None:
    for error in (ConfigError, TfSourceError, BaselineError, EngineError, EngineUnavailableError):
        assert issubclass(error, PyiamguardError), error
        assert getattr(pyiamguard, error.__name__) is error
    from pyiamguard import baseline, config, errors, loaders

    assert config.ConfigError is ConfigError and baseline.BaselineError is BaselineError
    assert loaders.hcl_index.TfSourceError is TfSourceError and errors.EngineError is EngineError
    with pytest.raises(PyiamguardError):
        scan(tmp_path, tf_source=tmp_path / "missing")
    with pytest.raises(BaselineError):
        baseline.load_baseline(tmp_path / "missing.json")
    with pytest.raises(PyiamguardError):
        Config(fail_on="severe")


def test_every_public_name_is_importable_and_documented() -> None:
    assert set(pyiamguard.__all__) == set(pyiamguard._EXPORTS) | {"__version__"}
    doc = pyiamguard.__doc__ or ""
    for name in pyiamguard.__all__:
        assert getattr(pyiamguard, name) is not None
        assert f"``{name}" in doc, name
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in pyiamguard.__all__:
        assert f"`{name}" in readme, f"{name} is not in the README's Library API"


# --- mypy --strict on a script that uses the API ------------------------------------------------

TYPED_SCRIPT = '''
import sys

import pyiamguard
from pyiamguard import (Config, ConfigError, PyiamguardError, Report, Scanner, Severity, TfSourceError, Violation,
                        scan, scan_document)


def worst(report: Report) -> Severity:
    return max((v.severity for v in report.violations), default=Severity.INFO)


def main() -> int:
    try:
        config = Config(fail_on="high", own_accounts=["123456789012"], disabled_rules=("IAMG-110",))
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    report = scan("iam/", config)
    high: list[Violation] = [v for v in report.violations if v.severity >= Severity.HIGH]
    scanner = Scanner(config, jobs=1)
    one = scanner.scan_document({"Version": "2012-10-17", "Statement": []}, kind="trust")
    try:
        pyiamguard.scan(["plan.json"], tf_source="infra")
    except TfSourceError:
        return 2
    except PyiamguardError:
        return 2
    print(len(high), worst(scan_document("{}")).value)
    return 0 if report.passed(config) and one.passed(config) else 1


sys.exit(main())
'''


def test_the_public_api_type_checks_with_mypy_strict(tmp_path: Path) -> None:
    """A script written from the README passes `mypy --strict` against the installed package
    (a wheel install: what a user has, py.typed included); a name that is not exported fails."""
    env = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    python = env / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", purelib,
                           str(REPO)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    # Package data the loaders read at run time ships in the wheel (SAM's with its licence).
    for data in ("py.typed", "schemas/report.schema.json", "data/sam/policy_templates.json", "data/sam/LICENSE",
                 "data/sam/NOTICE", "data/sam/README.md"):
        assert (Path(purelib) / "pyiamguard" / data).is_file(), data
    script = tmp_path / "deploy.py"
    script.write_text(TYPED_SCRIPT, encoding="utf-8")
    mypy = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--python-executable", str(python)]
    checked = subprocess.run([*mypy, str(script)], capture_output=True, text=True, cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Success: no issues found in 1 source file" in checked.stdout
    bad = tmp_path / "bad.py"
    bad.write_text("from pyiamguard import load_policy_set\nfrom pyiamguard import Severity\n"
                   "x: int = Severity.HIGH\n", encoding="utf-8")
    failed = subprocess.run([*mypy, str(bad)], capture_output=True, text=True, cwd=tmp_path)
    assert failed.returncode == 1
    assert 'Module "pyiamguard" has no attribute "load_policy_set"' in failed.stdout
    assert "Incompatible types in assignment" in failed.stdout
