"""`simulate --prove`: the SMT model beside the concrete simulator, for one caller.

The model decides the simulated request too (the trust policy's side: the caller's own policy
is `simulate`'s business) and must agree with the Rego simulator; then, whatever the decision,
it asks which requests of the same caller and action get in, the context left free (ExternalId,
MFA, source identity, tags, claims): one such request, or a proof that none does.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Mapping

from .prover import DEFAULT_TIMEOUT_MS, PROVEN, REFUTED, UNKNOWN, statement_at, tidy_model
from .requests import ConcreteRequest

# Simulate's reasons that the trust policy allowed (the caller's own policy then decided).
_TRUST_ALLOWED = frozenset({"allowed", "caller_explicit_deny", "caller_implicit_deny"})


@dataclass(frozen=True)
class Reach:
    """The model's decision of the simulated request, whether it agrees with simulate's trust
    side, and whether any request of that caller gets in (`verdict`: PROVEN none does, REFUTED
    with `request`, UNKNOWN beyond the budget or when the model cannot represent the request)."""

    decision: str
    agrees: bool
    verdict: str
    seconds: float
    request: ConcreteRequest | None = None
    statement: Mapping[str, Any] | None = None
    reason: str = ""

    def lines(self) -> list[str]:
        if not self.decision:
            return [f"model: {self.reason}"]
        out = [f"model: {self.decision} too (the trust policy, as SMT formulas)" if self.agrees else
               f"model: DISAGREES, it decides {self.decision}: please report it"]
        if self.verdict == PROVEN:
            out.append("model: proven, no request of this caller gets in, whatever its ExternalId, MFA, source "
                       "identity, tags or other context")
        elif self.verdict == REFUTED and self.request is not None:
            where = f" by {self.statement['label']} ({self.statement['file']}:{self.statement['line']})" \
                if self.statement else ""
            out.append(f"model: this caller gets in with: {self.request.words()}: ALLOW{where}")
        else:
            out.append(f"model: whether any request of this caller gets in is unknown: {self.reason}")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"decision": self.decision or None, "agrees": self.agrees, "any_request": self.verdict,
                "seconds": round(self.seconds, 3),
                "request": self.request.to_dict() if self.request is not None else None,
                "statement": dict(self.statement) if self.statement else None, "reason": self.reason}


def reach(role: Any, request: Any, simulated: Any, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> Reach:
    """The model's answers for `simulate.Role` `role` and `simulate.Request` `request`, which
    `simulate` decided as `simulated` (a `simulate.Simulation`)."""
    import z3

    from .model import RoleModel

    model = RoleModel(role.input, role.refs, role_arn=role.arn or None, own_account=role.account or None)
    concrete = ConcreteRequest.from_simulate(request)
    started = time.perf_counter()
    try:
        decision, _ = model.decide(concrete)
    except ValueError as exc:  # a --context value IAM derives itself, given otherwise
        return Reach("", False, UNKNOWN, 0.0, reason=f"cannot represent this request ({exc})")
    agrees = (decision == "ALLOW") == (simulated.reason in _TRUST_ALLOWED)
    solver = model.solver(timeout_ms)
    solver.add(model.wellformed(), model.allowed, model.principal_formula(concrete))
    result = solver.check()  # the values known only at deployment free: a proof holds for all of them
    if result == z3.sat and model.unknowns:
        solver.add(model.unknowns_as_simulate())  # a request that gets in as simulate reads them
        result = solver.check()
        if result == z3.unsat:
            return Reach(decision, agrees, UNKNOWN, time.perf_counter() - started,
                         reason="it gets in only for some of the values known only at deployment: "
                                + "; ".join(model.unknowns))
    seconds = time.perf_counter() - started
    if result == z3.unsat:
        return Reach(decision, agrees, PROVEN, seconds)
    if result != z3.sat:
        return Reach(decision, agrees, UNKNOWN, seconds,
                     reason=f"the solver gave up ({solver.reason_unknown()}) within {timeout_ms / 1000:g} s")
    first = solver.model()
    found = tidy_model(solver, model, min(timeout_ms, 1000)) or first
    gets_in = model.concrete(found)
    allowed, ref = model.decide(gets_in)
    if allowed != "ALLOW":
        return Reach(decision, agrees, UNKNOWN, seconds,
                     reason="internal: the solver's request does not replay as allowed; please report it")
    return Reach(decision, agrees, REFUTED, seconds, gets_in, statement_at(ref, model, role.refs))
