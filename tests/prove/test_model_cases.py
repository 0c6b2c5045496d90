"""The SMT model of the AssumeRole decision (pyiamguard/prove/model.py) on every case of the
simulator's table, drawn from the AWS IAM User Guide (tests/fixtures/simulate/cases.yaml).

Each case's trust goes through the real loaders (`Scanner.inspect`), its request is built the way
`pyiamguard simulate` builds it (`simulate.Request.context_values`), and the model must give the
table's decision and deciding statement twice: by substituting the request into the formulas
(`RoleModel.decide`), and through the solver (the request's values asserted with `allowed`, or
its negation, are satisfiable exactly as the decision says).

Cases outside the model:
- The caller's identity policy (`caller_policy`, and the reasons caller_implicit_deny /
  caller_explicit_deny): across accounts, or when the trust names a whole account, IAM also
  needs the caller's own policy; the model leaves it to the caller's free choice (its account can
  always grant it), so `allowed` is the trust's side. Those cases assert the trust-side decision:
  the trust allows, through the table's statement.
- Requests IAM never sends (UNREPRESENTABLE below): the model computes the keys IAM fills
  itself from the principal, so it refuses them (`decide` raises ValueError, `request_formula`
  is unsat with the well-formedness constraints); the case then asserts the documented behaviour
  on the nearest request IAM does send (REPAIRED), through both the substitution and the solver.
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
import z3

from pyiamguard.config import Config
from pyiamguard.prove import ConcreteRequest
from pyiamguard.prove.model import RoleModel
from pyiamguard.scanner import Scanner
from pyiamguard.simulate import Request, parse_principal

REPO = Path(__file__).resolve().parents[2]
CASES = yaml.safe_load((REPO / "tests" / "fixtures" / "simulate" / "cases.yaml").read_text(encoding="utf-8"))["cases"]
ROLE_ARN = "arn:aws:iam::111122223333:role/target"

_MFA_AGE = ("the request carries aws:MultiFactorAuthAge (--context) next to MultiFactorAuthPresent false: IAM puts "
            "the age only in a request authenticated with MFA, where MultiFactorAuthPresent is true")
UNREPRESENTABLE = {
    "NumericLessThan MultiFactorAuthAge within the hour": _MFA_AGE,
    "NumericLessThan MultiFactorAuthAge too old": _MFA_AGE,
}


def _with_mfa(request: ConcreteRequest) -> ConcreteRequest:
    """The session authenticated with MFA that carries this age."""
    return replace(request, context={**request.context, "aws:multifactorauthpresent": ["true"]})


REPAIRED = {"NumericLessThan MultiFactorAuthAge within the hour": _with_mfa,
            "NumericLessThan MultiFactorAuthAge too old": _with_mfa}


def _request(case: dict[str, Any]) -> Request:
    return Request(parse_principal(case["principal"]), action=case.get("action", ""),
                   external_id=case.get("external_id"), mfa=bool(case.get("mfa")),
                   source_identity=case.get("source_identity"), principal_org_id=case.get("principal_org_id"),
                   oidc_sub=case.get("oidc_sub"), oidc_aud=case.get("oidc_aud"),
                   context=[tuple(item.split("=", 1)) for item in case.get("context", ())])


def _model(case: dict[str, Any], tmp_path: Path) -> RoleModel:
    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps({"Version": "2012-10-17", "Statement": case["statements"]}, indent=2), encoding="utf-8")
    found = Scanner(Config()).inspect([str(trust)])
    assert not found.errors
    (document,) = [d for d in found.documents if d.input.get("kind") == "trust"]
    return RoleModel(document.input, document.refs, role_arn=case.get("role_arn", ROLE_ARN))


def _named(model: RoleModel, ref: str | None) -> set[str]:
    """What the table may call the statement: its Sid or `#<index>`."""
    if ref is None:
        return set()
    (statement,) = [s for s in model.document["statements"] if s["ref"] == ref]
    return {model.refs[ref]["text"], f"#{statement['index']}"}


def test_the_table_is_read_whole() -> None:
    assert len(CASES) >= 100
    assert set(UNREPRESENTABLE) == set(REPAIRED) and set(UNREPRESENTABLE) <= {c["name"] for c in CASES}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(case: dict[str, Any], tmp_path: Path) -> None:
    model = _model(case, tmp_path)
    assert model.unknowns == ()
    request = ConcreteRequest.from_simulate(_request(case))
    if case["name"] in UNREPRESENTABLE:
        with pytest.raises(ValueError, match="IAM fills itself"):
            model.decide(request)
        solver = model.solver(20000)
        solver.add(model.request_formula(request))
        assert solver.check() == z3.unsat, UNREPRESENTABLE[case["name"]]
        request = REPAIRED[case["name"]](request)
    caller_side = str(case.get("reason", "")).startswith("caller_")
    expected = "ALLOW" if caller_side else case["decision"]
    found = model.decision(request)
    assert model.decide(request) == (found["decision"], found["statement"])
    assert found["decision"] == expected, (found, request.words())
    if case["statement"] is None:
        assert found["statement"] is None
    else:
        assert case["statement"] in _named(model, found["statement"]), found
    if "reason" in case and not caller_side:
        assert found["reason"] == case["reason"]

    solver = model.solver(20000)
    solver.add(model.request_formula(request))
    assert solver.check() == z3.sat, "the model represents the request"
    for formula, holds in ((model.allowed, expected == "ALLOW"), (z3.Not(model.allowed), expected == "DENY")):
        solver.push()
        solver.add(formula)
        assert solver.check() == (z3.sat if holds else z3.unsat), (formula, request.words())
        solver.pop()
