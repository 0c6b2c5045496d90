"""The caller's side of a cross-account assume in `pyiamguard prove`: a role of the scan that a
trust names, but whose own policies (all known) never allow it to assume the role, is denied,
as IAM denies it (IAMG-501's verdict); any other caller's own permission stays a free choice.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pyiamguard import Config, Scanner
from pyiamguard.cli import main
from pyiamguard.prove.model import RoleModel
from pyiamguard.prove.prover import PROVEN, REFUTED, prove_paths
from pyiamguard.prove.requests import ConcreteRequest
from pyiamguard.simulate import Request, parse_principal

A = "111122223333"  # the callers' account
B = "444455556666"  # the roles' account
SERVICE = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
READS_S3 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}


def _assumes(target: str) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": target}]}


def _trusts(*arns: str) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": list(arns)}, "Action": "sts:AssumeRole"}]}


def _role(name: str, account: str, trust: dict[str, Any], *inline: dict[str, Any],
          managed: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"RoleName": name, "Arn": f"arn:aws:iam::{account}:role/{name}", "AssumeRolePolicyDocument": trust,
            "RolePolicyList": [{"PolicyName": f"{name}-{i}", "PolicyDocument": d} for i, d in enumerate(inline)],
            "AttachedManagedPolicies": [{"PolicyName": m.rsplit("/", 1)[-1], "PolicyArn": m} for m in managed]}


def _dump(path: Path, *roles: dict[str, Any]) -> Path:
    path.write_text(json.dumps({"RoleDetailList": list(roles), "UserDetailList": [], "GroupDetailList": [],
                                "Policies": []}, indent=2), encoding="utf-8")
    return path


def _estate(tmp_path: Path) -> tuple[Path, Path]:
    """Account A's callers: auditor (reads S3 only), ci (may assume B's roles), admin (an
    AWS-managed policy: may grant anything). Account B's roles trust some of them."""
    callers = _dump(tmp_path / "account_a.json",
                    _role("auditor", A, SERVICE, READS_S3),
                    _role("ci", A, SERVICE, _assumes(f"arn:aws:iam::{B}:role/*-deployer")),
                    _role("admin", A, SERVICE, managed=("arn:aws:iam::aws:policy/AdministratorAccess",)))
    roles = _dump(tmp_path / "account_b.json",
                  _role("audit-deployer", B, _trusts(f"arn:aws:iam::{A}:role/auditor")),
                  _role("ci-deployer", B, _trusts(f"arn:aws:iam::{A}:role/auditor", f"arn:aws:iam::{A}:role/ci")),
                  _role("admin-deployer", B, _trusts(f"arn:aws:iam::{A}:role/admin")),
                  # Same account: a trust naming the caller's ARN needs no grant of the caller.
                  _role("local", B, _trusts(f"arn:aws:iam::{B}:role/audit-deployer")))
    return callers, roles


def _config() -> Config:
    return Config(own_accounts=(B,))


def _by_role(proofs: list[Any]) -> dict[str, Any]:
    return {p.resource: p for p in proofs}


def test_a_trusted_caller_without_permission_is_denied_and_said(tmp_path: Path) -> None:
    _, roles = _estate(tmp_path)
    proofs, errors = prove_paths([str(tmp_path)], _config(), ("only-trusted", "nobody"))
    assert errors == []
    found = _by_role(proofs)
    audit = found["audit-deployer"]
    assert audit.file == str(roles)
    assert audit.callers_without_permission == (f"arn:aws:iam::{A}:role/auditor",)
    assert [(a.property, a.verdict) for a in audit.answers] == [("only-trusted", PROVEN), ("nobody", PROVEN)]
    assert audit.answers[1].says == (f"nobody can assume it (the role is dead) (given that arn:aws:iam::{A}:role/auditor "
                                     "of the scan may not assume it by its own policies)")


def test_the_counterexample_is_the_caller_that_has_permission(tmp_path: Path) -> None:
    _estate(tmp_path)
    found = _by_role(prove_paths([str(tmp_path)], _config(), ("only-trusted", "nobody"))[0])
    ci = found["ci-deployer"]
    assert ci.callers_without_permission == (f"arn:aws:iam::{A}:role/auditor",)
    for answer in ci.answers:
        assert answer.verdict == REFUTED
        assert answer.request is not None
        assert (answer.request.account, answer.request.scope) == (A, "assumed_role")
        assert answer.request.principal_arn.startswith(f"arn:aws:sts::{A}:assumed-role/ci/")


def test_unknown_permissions_and_the_same_account_stay_free(tmp_path: Path) -> None:
    _estate(tmp_path)
    found = _by_role(prove_paths([str(tmp_path)], _config(), ("nobody",))[0])
    # admin's AWS-managed policy may allow it: not known to be denied.
    admin = found["admin-deployer"]
    assert admin.callers_without_permission == ()
    assert admin.answers[0].verdict == REFUTED
    assert admin.answers[0].request is not None
    assert admin.answers[0].request.principal_arn.startswith(f"arn:aws:sts::{A}:assumed-role/admin/")
    # In one account the trust alone admits the role it names.
    local = found["local"]
    assert local.callers_without_permission == ()
    assert local.answers[0].verdict == REFUTED
    assert local.answers[0].request is not None
    assert local.answers[0].request.account == B


def test_the_other_account_alone_proves_nothing_about_the_caller(tmp_path: Path) -> None:
    _, roles = _estate(tmp_path)
    found = _by_role(prove_paths([str(roles)], _config(), ("nobody",))[0])
    audit = found["audit-deployer"]
    assert audit.callers_without_permission == ()
    assert audit.answers[0].verdict == REFUTED
    assert audit.answers[0].request is not None
    assert audit.answers[0].request.principal_arn.startswith(f"arn:aws:sts::{A}:assumed-role/auditor/")


def test_the_command_says_who_is_denied_and_trust_only_ignores_it(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    _, roles = _estate(tmp_path)
    args = ["prove", str(tmp_path), "--own-account", B, "--resource", "audit-deployer", "--property", "nobody"]
    assert main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"role audit-deployer ({roles}:3)"
    assert lines[1].startswith("  nobody  PROVEN: nobody can assume it (the role is dead) (given that ")
    assert lines[2] == (f"  denied by its own policies: arn:aws:iam::{A}:role/auditor (trusted, but no policy of it "
                        "allows sts:AssumeRole on this role: IAMG-501)")
    assert lines[-1] == "1 role: 1 proven, 0 refuted, 0 unknown"
    assert main([*args, "--trust-only", "--format", "json"]) == 1
    (role,) = json.loads(capsys.readouterr().out)["roles"]
    assert role["callers_without_permission"] == []
    (answer,) = role["answers"]
    assert answer["verdict"] == "REFUTED"
    assert answer["request"]["principal_arn"].startswith(f"arn:aws:sts::{A}:assumed-role/auditor/")


def test_scan_prove_judges_the_trust_alone_as_the_rules_do(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    # The rules report the untrusted account's role whatever its own policies say; the
    # self-check holds them to the trust-only model, so callers change nothing there.
    _estate(tmp_path)
    code = main(["scan", str(tmp_path), "--own-account", B, "--prove", "--format", "json"])
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["errors"] == []
    assert code == 1
    (notice,) = [n["message"] for n in report["notices"] if n["kind"] == "prove"]
    assert notice.startswith("--prove: 7 roles; ") and ", 0 disagree, 0 undecided" in notice
    assert {(v["resource"], v["path"]) for v in report["violations"] if v["rule_id"] == "IAMG-102"} == {
        ("audit-deployer", "$.RoleDetailList[0].AssumeRolePolicyDocument.Statement[0].Principal.AWS[0]"),
        ("ci-deployer", "$.RoleDetailList[1].AssumeRolePolicyDocument.Statement[0].Principal.AWS[0]"),
        ("ci-deployer", "$.RoleDetailList[1].AssumeRolePolicyDocument.Statement[0].Principal.AWS[1]"),
        ("admin-deployer", "$.RoleDetailList[2].AssumeRolePolicyDocument.Statement[0].Principal.AWS[0]")}
    # ci's grant on *-deployer reaches two roles that do not trust it; auditor is trusted by two
    # roles it may not assume.
    assert sorted((v["resource"], v["path"]) for v in report["violations"] if v["rule_id"] == "IAMG-501") == [
        ("audit-deployer", "$.RoleDetailList[0].AssumeRolePolicyDocument.Statement[0].Principal.AWS[0]"),
        ("ci", "$.RoleDetailList[1].RolePolicyList[0].PolicyDocument.Statement[0].Resource"),
        ("ci", "$.RoleDetailList[1].RolePolicyList[0].PolicyDocument.Statement[0].Resource"),
        ("ci-deployer", "$.RoleDetailList[1].AssumeRolePolicyDocument.Statement[0].Principal.AWS[0]")]


def _caller(arn: str) -> ConcreteRequest:
    return ConcreteRequest.from_simulate(Request(parse_principal(arn), action="sts:AssumeRole"))


def _session(account: str, role: str) -> ConcreteRequest:
    return _caller(f"arn:aws:sts::{account}:assumed-role/{role}/s")


def test_the_model_denies_those_callers_and_no_one_else(tmp_path: Path) -> None:
    _, roles = _estate(tmp_path)
    (document,) = [d for d in Scanner(_config()).inspect([str(roles)]).documents if d.resource == "ci-deployer"]
    model = RoleModel(document.input, document.refs, role_arn=f"arn:aws:iam::{B}:role/ci-deployer",
                      callers_without_permission=[f"arn:aws:iam::{A}:role/auditor"])
    denied = model.decision(_session(A, "auditor"))
    assert (denied["decision"], denied["reason"]) == ("DENY", "caller_not_permitted")
    assert model.decide(_session(A, "ci"))[0] == "ALLOW"
    # The same name in another account is another role.
    assert model.decide(_session("999988887777", "auditor")) == ("DENY", model.decide(_session("999988887777", "ci"))[1])
    free = RoleModel(document.input, document.refs, role_arn=f"arn:aws:iam::{B}:role/ci-deployer")
    assert free.decide(_session(A, "auditor"))[0] == "ALLOW"


@pytest.mark.parametrize("arn, request_, expected", [
    (f"arn:aws:iam::{A}:role/ops/auditor", _session(A, "auditor"), True),  # a session carries no path
    (f"arn:aws:iam::{A}:user/alice", _caller(f"arn:aws:iam::{A}:user/alice"), True),
    (f"arn:aws:iam::{A}:role/auditor", _caller(f"arn:aws:iam::{A}:role/auditor"), True),
    (f"arn:aws:iam::{A}:user/alice", _session(A, "alice"), False),
    (f"arn:aws-cn:iam::{A}:role/auditor", _session(A, "auditor"), False),
    (f"arn:aws:iam::{A}:root", _session(A, "auditor"), False),
    ("auditor", _session(A, "auditor"), False),
])
def test_caller_is_matches_a_role_with_its_sessions_or_a_user(tmp_path: Path, arn: str, request_: ConcreteRequest,
                                                                expected: bool) -> None:
    import z3

    _, roles = _estate(tmp_path)
    document = Scanner(_config()).inspect([str(roles)]).documents[0]
    model = RoleModel(document.input, document.refs, role_arn=f"arn:aws:iam::{B}:role/audit-deployer")
    solver = z3.Solver()
    solver.add(model.wellformed(), model.request_formula(request_), model.caller_is(arn))
    assert (solver.check() == z3.sat) is expected

