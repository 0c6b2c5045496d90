"""`simulate --prove`: the SMT model decides the simulated request too, must agree with the Rego
simulator, and says whether any request of the same caller gets in (with one) or proves none does.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from pyiamguard.cli import main
from pyiamguard.prove.model import RoleModel

REPO = Path(__file__).resolve().parents[2]
ROLE = ["--role", "examples/trust-cross-account-yaml.yaml", "--role-arn",
        "arn:aws:iam::123456789012:role/operators-access"]
OPERATOR = "arn:aws:sts::345678901234:assumed-role/operators/alice"


@pytest.fixture(autouse=True)
def _at_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def _model_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("  model: ")]


def test_a_failed_condition_shows_the_request_that_gets_in(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", *ROLE, "--principal", OPERATOR, "--mfa", "--prove"]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"DENY: {OPERATOR} sts:AssumeRole on trust-cross-account-yaml.yaml\n")
    first, second = _model_lines(out)
    assert first == "  model: DENY too (the trust policy, as SMT formulas)"
    assert second.startswith(f"  model: this caller gets in with: principal {OPERATOR} (a session of "
                             "arn:aws:iam::345678901234:role/operators), action sts:AssumeRole, ")
    assert "sts:ExternalId 7f3c2a9e-tooling" in second and "aws:MultiFactorAuthPresent true" in second
    assert second.endswith(": ALLOW by Statement 1 (examples/trust-cross-account-yaml.yaml:6)")


def test_a_caller_the_trust_does_not_name_is_proven_out(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", *ROLE, "--principal", "arn:aws:sts::345678901234:assumed-role/ops/alice", "--mfa",
                 "--external-id", "7f3c2a9e-tooling", "--prove"]) == 1
    assert _model_lines(capsys.readouterr().out) == [
        "  model: DENY too (the trust policy, as SMT formulas)",
        "  model: proven, no request of this caller gets in, whatever its ExternalId, MFA, source identity, tags or "
        "other context"]


def test_an_allowed_request_in_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", *ROLE, "--principal", OPERATOR, "--mfa", "--external-id", "7f3c2a9e-tooling", "--prove",
                 "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["decision"] == "ALLOW"
    model = document["model"]
    assert (model["decision"], model["agrees"], model["any_request"]) == ("ALLOW", True, "REFUTED")
    assert model["request"]["principal_arn"] == OPERATOR
    assert model["statement"]["label"] == "Statement 1" and model["statement"]["line"] == 6


def test_a_principal_known_only_at_deployment_is_neither_proven_nor_refuted(tmp_path: Path,
                                                                           capsys: pytest.CaptureFixture[str]) -> None:
    template = tmp_path / "role.yaml"
    template.write_text("AWSTemplateFormatVersion: '2010-09-09'\n"
                        "Parameters:\n  TrustedRoleArn:\n    Type: String\n"
                        "Resources:\n  Role:\n    Type: AWS::IAM::Role\n    Properties:\n"
                        "      AssumeRolePolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n"
                        "          - Effect: Allow\n            Principal:\n              AWS: !Ref TrustedRoleArn\n"
                        "            Action: sts:AssumeRole\n", encoding="utf-8")
    assert main(["simulate", "--role", str(template), "--principal", "arn:aws:iam::345678901234:role/x",
                 "--prove"]) == 1
    assert _model_lines(capsys.readouterr().out) == [
        "  model: DENY too (the trust policy, as SMT formulas)",
        "  model: whether any request of this caller gets in is unknown: it gets in only for some of the values "
        "known only at deployment: p2: principal ${TrustedRoleArn} cannot be known statically"]


def test_a_disagreement_is_an_error(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(RoleModel, "decide", lambda self, request, unknowns=None: ("ALLOW", None))
    assert main(["simulate", *ROLE, "--principal", OPERATOR, "--prove"]) == 2
    captured = capsys.readouterr()
    assert "  model: DISAGREES, it decides ALLOW: please report it\n" in captured.out
    assert captured.err == ("error: the SMT model and the simulator decide this request differently; "
                            "please report it\n")


def test_without_prove_there_is_no_model(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", *ROLE, "--principal", OPERATOR, "--format", "json"]) == 1
    assert "model" not in json.loads(capsys.readouterr().out)
