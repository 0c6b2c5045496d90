"""`pyiamguard simulate`: the AssumeRole decision on the table of cases drawn from the AWS IAM
User Guide (tests/fixtures/simulate/cases.yaml), the command line, and the same Rego through
real OPA (the oracle of ../shared) on a sample of the cases."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from pyiamguard.simulate import (MODULE_DIR, Request, engine_request, load_caller_policy, load_role,
                                 parse_principal, simulate)

REPO = Path(__file__).resolve().parents[1]
CASES = yaml.safe_load((REPO / "tests" / "fixtures" / "simulate" / "cases.yaml").read_text(encoding="utf-8"))["cases"]
ROLE_ARN = "arn:aws:iam::111122223333:role/target"


def _request(case: dict[str, Any]) -> Request:
    return Request(parse_principal(case["principal"]), action=case.get("action", ""),
                   external_id=case.get("external_id"), mfa=bool(case.get("mfa")),
                   source_identity=case.get("source_identity"), principal_org_id=case.get("principal_org_id"),
                   oidc_sub=case.get("oidc_sub"), oidc_aud=case.get("oidc_aud"),
                   context=[tuple(item.split("=", 1)) for item in case.get("context", ())])


def _inputs(case: dict[str, Any], tmp_path: Path) -> tuple[Any, Any]:
    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps({"Version": "2012-10-17", "Statement": case["statements"]}, indent=2), encoding="utf-8")
    role = load_role(str(trust), role_arn=case.get("role_arn", ROLE_ARN))
    caller = None
    if "caller_policy" in case:
        path = tmp_path / "caller.json"
        path.write_text(json.dumps({"Version": "2012-10-17", **case["caller_policy"]}), encoding="utf-8")
        caller = load_caller_policy(str(path))
    return role, caller


def test_the_table_has_at_least_60_cases_with_unique_names() -> None:
    names = [case["name"] for case in CASES]
    assert len(names) >= 60 and len(set(names)) == len(names)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(case: dict[str, Any], tmp_path: Path) -> None:
    role, caller = _inputs(case, tmp_path)
    result = simulate(role, _request(case), caller)
    assert result.decision == case["decision"], result.text()
    expected = case["statement"]
    if expected is None:
        assert result.statement == {}, result.text()
    else:
        assert expected in (result.statement.get("sid"), result.statement.get("name")), result.text()
        assert result.statement["file"].endswith("trust.json") and result.statement["line"] > 0
    if "reason" in case:
        assert result.reason == case["reason"], result.text()
    if "condition" in case:
        assert result.condition.get("key") == case["condition"], result.text()
        assert result.condition["line"] > 0
    if "caller" in case:
        assert result.caller == case["caller"], result.text()
    if result.decision == "DENY":
        assert result.fix, "a DENY says what to change"


# --- regopy and real OPA agree on the decision Rego ------------------------------------------

SAMPLE = [case for n, case in enumerate(CASES) if n % 4 == 0 or "caller_policy" in case]


def _opa_decisions(shared_dir: Path, path: Path, engine_input: Any) -> list[Any]:
    """Real OPA's values of the simulator's decision for one engine input (written to `path`)."""
    lib = REPO / "policies" / "pyiamguard" / "lib" / "iam_glob.rego"
    path.write_text(json.dumps(engine_input), encoding="utf-8")
    done = subprocess.run([*_oracle(shared_dir), "eval", "-d", str(MODULE_DIR), "-d", str(lib), "-i", str(path),
                           "data.pyiamguard.simulate.decision.decision"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout)[0]["__result"])


def _oracle(shared: Path) -> list[str]:
    return [sys.executable, str(shared / "tools" / "opa_oracle.py")]


def test_opa_agrees_with_regopy_on_a_sample(shared_dir: Path, tmp_path: Path) -> None:
    from pyiamguard.simulate import decide

    inputs = []
    for n, case in enumerate(SAMPLE):
        folder = tmp_path / str(n)
        folder.mkdir()
        role, caller = _inputs(case, folder)
        request = _request(case)
        inputs.append((case, engine_request(role, request, caller)))
    assert len(inputs) >= 20
    for n, (case, engine_input) in enumerate(inputs):
        assert _opa_decisions(shared_dir, tmp_path / f"input{n}.json", engine_input) == [decide(engine_input)], \
            case["name"]


def test_opa_check_accepts_the_simulator_rego(shared_dir: Path) -> None:
    lib = REPO / "policies" / "pyiamguard" / "lib" / "iam_glob.rego"
    done = subprocess.run([*_oracle(shared_dir), "check", str(MODULE_DIR), str(lib)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


# --- the command line -----------------------------------------------------------------------

from pyiamguard.cli import main  # noqa: E402

OPERATOR = "arn:aws:sts::345678901234:assumed-role/operators/alice"
YAML_ROLE = "examples/trust-cross-account-yaml.yaml"


@pytest.fixture()
def at_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def test_cli_explains_a_denied_call_on_the_shipped_example(at_repo: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--role", YAML_ROLE, "--principal", OPERATOR, "--mfa",
                 "--role-arn", "arn:aws:iam::123456789012:role/operators-access"]) == 1
    out, err = capsys.readouterr()
    assert err == ""
    assert out == (
        f"DENY: {OPERATOR} sts:AssumeRole on trust-cross-account-yaml.yaml\n"
        f"  statement: Statement 1 (Sid OperatorsFromToolingAccount) ({YAML_ROLE}:6)\n"
        f"  condition: StringEquals sts:ExternalId 7f3c2a9e-tooling ({YAML_ROLE}:13)\n"
        "  why: the statement names your principal and the action, but a condition fails: the request carries no "
        "sts:externalid\n"
        "  change: add --external-id (the condition: StringEquals sts:ExternalId 7f3c2a9e-tooling)\n")


def test_cli_allow_exits_0_and_says_the_caller_side_is_assumed(at_repo: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--role", YAML_ROLE, "--principal", OPERATOR, "--mfa", "--external-id",
                 "7f3c2a9e-tooling", "--role-arn", "arn:aws:iam::123456789012:role/operators-access"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"ALLOW: {OPERATOR} sts:AssumeRole")
    assert "assumed to be allowed by the caller's account" in out


def test_cli_json(at_repo: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--role", YAML_ROLE, "--principal", OPERATOR, "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["decision"] == "DENY" and report["reason"] == "condition_failed"
    assert report["statement"]["sid"] == "OperatorsFromToolingAccount" and report["statement"]["line"] == 6
    assert report["condition"]["key"] == "sts:externalid" and report["condition"]["line"] == 13
    assert report["fix"][0].startswith("add --external-id")


def test_cli_caller_policy_from_a_dump_agrees_with_iamg_501(at_repo: None, capsys: pytest.CaptureFixture[str]) -> None:
    """IAMG-501 on the shipped pair: operators is trusted by deployer but has no grant; pipeline
    has a grant but is not trusted. simulate says the same of each."""
    workload = "examples/assume-across-accounts/workload-account.json:deployer"
    tooling = "examples/assume-across-accounts/tooling-account.json"
    assert main(["simulate", "--role", workload, "--principal", "arn:aws:iam::345678901234:role/operators",
                 "--mfa", "--external-id", "7f3c2a9e-tooling", "--caller-policy", tooling, "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["reason"] == "caller_implicit_deny"
    assert main(["simulate", "--role", workload, "--principal", "arn:aws:iam::345678901234:role/pipeline",
                 "--caller-policy", tooling, "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["reason"] == "principal_not_trusted"


@pytest.mark.parametrize("argv, message", [
    (["--role", "missing.json", "--principal", OPERATOR], "--role missing.json: no such file"),
    (["--role", YAML_ROLE, "--principal", "bob"], "--principal 'bob': not a principal ARN"),
    (["--role", YAML_ROLE, "--principal", OPERATOR, "--action", "sts:GetCallerIdentity"], "--action"),
    (["--role", YAML_ROLE, "--principal", OPERATOR, "--context", "novalue"], "--context 'novalue': KEY=VALUE"),
    (["--role", f"{YAML_ROLE}:Nope", "--principal", OPERATOR], "no trust policy of a resource 'Nope'"),
    (["--role", YAML_ROLE, "--principal", OPERATOR, "--oidc-sub", "x"], "--oidc-sub and --oidc-aud are for"),
])
def test_cli_usage_errors_exit_2(argv: list[str], message: str, at_repo: None,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", *argv]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("pyiamguard: error: ") and message in err and err.count("\n") == 1


def test_the_readme_session_is_what_simulate_prints(at_repo: None, capsys: pytest.CaptureFixture[str]) -> None:
    import re
    import shlex

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Simulate and explain"):readme.index("## Rules")]
    session = re.search(r"```console\n\$ (pyiamguard simulate [^\n]*)\n(.*?)```", section, re.S)
    assert session is not None
    assert main(shlex.split(session.group(1))[1:]) == 1
    assert capsys.readouterr().out == session.group(2)


def test_a_templates_own_account_is_the_role_arns_account(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`${AWS::AccountId}` stands for an unknown account until --role-arn names it."""
    template = tmp_path / "own.yaml"
    template.write_text(
        "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: r\n"
        "      AssumeRolePolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n"
        "          - Effect: Allow\n            Principal: {AWS: !Sub 'arn:aws:iam::${AWS::AccountId}:root'}\n"
        "            Action: sts:AssumeRole\n", encoding="utf-8")
    user = "arn:aws:iam::111122223333:user/a"
    assert main(["simulate", "--role", str(template), "--principal", user, "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["reason"] == "principal_not_trusted"
    assert main(["simulate", "--role", str(template), "--principal", user, "--role-arn",
                 "arn:aws:iam::111122223333:role/r", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["caller_policy"] == "assumed"


# --- several principals of one statement match the caller, or are unknown --------------------

SESSION = "arn:aws:sts::444455556666:assumed-role/ops/s"
# The rows of the table whose statement lists several principals that match the caller.
SEVERAL_MATCHING = (
    "a statement listing the account root and the role admits the role's session",
    "a statement listing the user and its account root admits that user",
    "a deny listing the account root and the role denies the role's session",
    "same account, a trust naming the account and the role needs no identity policy",
    "same account, a trust naming the account and the user needs no identity policy",
)


def _unknown_principals_template(tmp_path: Path, *statements: str) -> Path:
    """A template whose statements list principals given by parameters without a default
    (unknown until deployment: `kind: unresolved` in the normalized input)."""
    template = tmp_path / "unknown.yaml"
    template.write_text(
        "Parameters:\n  TrustedRoleArn:\n    Type: String\n  OtherRoleArn:\n    Type: String\n"
        "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: r\n"
        "      AssumeRolePolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n"
        + "".join(statements), encoding="utf-8")
    return template


_ALLOW_CALLERS_ACCOUNT = ("          - Sid: Account\n            Effect: Allow\n"
                          "            Principal: {AWS: 'arn:aws:iam::444455556666:root'}\n"
                          "            Action: sts:AssumeRole\n")


def _unknown_pair(sid: str, effect: str, element: str = "Principal") -> str:
    return (f"          - Sid: {sid}\n            Effect: {effect}\n"
            f"            {element}: {{AWS: [!Ref TrustedRoleArn, !Ref OtherRoleArn]}}\n"
            "            Action: sts:AssumeRole\n")


def test_two_principals_of_one_statement_matching_the_session(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """The account root and the role both admit the session: one decision, not a Rego conflict."""
    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "RootAndRole", "Effect": "Allow", "Action": "sts:AssumeRole",
         "Principal": {"AWS": ["arn:aws:iam::444455556666:root", "arn:aws:iam::444455556666:role/ops"]}}]}),
        encoding="utf-8")
    assert main(["simulate", "--role", str(trust), "--principal", SESSION,
                 "--role-arn", "arn:aws:iam::444455556666:role/target"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out == (f"ALLOW: {SESSION} sts:AssumeRole on trust.json\n"
                   f"  statement: Statement 1 (Sid RootAndRole) ({trust}:1)\n"
                   "  why: the statement's principal, action and every condition match\n")


def test_two_unknown_principals_of_an_allow_do_not_admit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = _unknown_principals_template(tmp_path, _unknown_pair("Unknown", "Allow"))
    assert main(["simulate", "--role", str(template), "--principal", SESSION, "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["decision"] == "DENY" and report["reason"] == "principal_not_trusted"
    assert report["statement"]["sid"] == "Unknown" and report["statement"]["line"] == 14
    assert report["why"] == "a principal of the statement cannot be known statically"


def test_two_unknown_principals_of_a_deny_deny(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown principal counts for a Deny: never a false ALLOW."""
    template = _unknown_principals_template(tmp_path, _ALLOW_CALLERS_ACCOUNT, _unknown_pair("DenyUnknown", "Deny"))
    assert main(["simulate", "--role", str(template), "--principal", SESSION, "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["decision"] == "DENY" and report["reason"] == "explicit_deny"
    assert report["statement"]["sid"] == "DenyUnknown" and report["statement"]["line"] == 18


def test_two_unknown_principals_of_a_notprincipal_deny_deny(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    template = _unknown_principals_template(tmp_path, _ALLOW_CALLERS_ACCOUNT,
                                            _unknown_pair("DenyOthers", "Deny", "NotPrincipal"))
    assert main(["simulate", "--role", str(template), "--principal", SESSION, "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["decision"] == "DENY" and report["reason"] == "explicit_deny"
    assert report["statement"]["sid"] == "DenyOthers" and report["statement"]["line"] == 18


def test_opa_agrees_with_regopy_on_several_principals_of_one_statement(shared_dir: Path, tmp_path: Path) -> None:
    """The statement's outcome names one principal, the same in both engines."""
    from pyiamguard.simulate import decide

    request = Request(parse_principal(SESSION))
    roles = [load_role(str(_unknown_principals_template(tmp_path, _ALLOW_CALLERS_ACCOUNT, *pair)),
                       role_arn="arn:aws:iam::444455556666:role/r")
             for pair in [(_unknown_pair("Unknown", "Allow"),), (_unknown_pair("DenyUnknown", "Deny"),),
                          (_unknown_pair("DenyOthers", "Deny", "NotPrincipal"),)]]
    several = [case for case in CASES if case["name"] in SEVERAL_MATCHING]
    assert len(several) == len(SEVERAL_MATCHING)
    for n, case in enumerate(several):
        folder = tmp_path / f"case{n}"
        folder.mkdir()
        role, caller = _inputs(case, folder)
        roles.append((role, _request(case), caller))
    for n, item in enumerate(roles):
        role, req, caller = item if isinstance(item, tuple) else (item, request, None)
        engine_input = engine_request(role, req, caller)
        assert _opa_decisions(shared_dir, tmp_path / f"input{n}.json", engine_input) == [decide(engine_input)]


def test_simulate_denies_every_unsatisfiable_statement_the_corpus_reports(shared_dir: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """IAMG-112 and simulate agree on the corpus: for each statement the rule calls unsatisfiable,
    a call by the principal it names, with the very values its conditions ask for, is denied by
    that statement on one of the keys IAMG-112 names. (The corpus holds no IAMG-501 pair: the
    shipped example pair is held to IAMG-501 above.)"""
    from pyiamguard.scanner import scan as run_scan

    corpus = shared_dir / "corpus"
    report = run_scan([corpus], None)
    flagged: dict[tuple[str, str], set[str]] = {}
    for v in report.violations:
        if v.rule_id == "IAMG-112":
            key = v.path.rsplit("['", 1)[-1].rstrip("']")
            flagged.setdefault((v.file, v.resource), set()).add(key)
    assert flagged, "the corpus has unsatisfiable trusts (module.poc r6 in the checkov OIDC plan)"
    for (file, resource), keys in sorted(flagged.items()):
        document = next(d for d in _inspected(file) if d["resource"] == resource)
        principal = document["input"]["statements"][0]["principals"][0]["value"]
        values = {k.split(":")[-1]: c["values"][0]["text"] for c in document["input"]["statements"][0]["conditions"]
                  for k in [c["key"]] if c.get("values")}
        argv = ["simulate", "--role", f"{file}:{resource}", "--principal", principal, "--format", "json"]
        for claim in ("sub", "aud"):
            if claim in values:
                argv += [f"--oidc-{claim}", values[claim]]
        assert main(argv) == 1
        decided = json.loads(capsys.readouterr().out)
        assert decided["decision"] == "DENY" and decided["reason"] == "condition_failed"
        assert decided["statement"]["index"] == 0 and decided["condition"]["key"] in keys


def _inspected(file: str) -> list[dict[str, Any]]:
    from pyiamguard.scanner import Scanner

    return [d.to_dict() for d in Scanner().inspect([file]).documents]
