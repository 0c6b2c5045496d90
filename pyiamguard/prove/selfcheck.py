"""`scan --prove`: the Rego verdicts held to the SMT model, role by role.

For every role of the scan and every rule with a property (`RULE_PROPERTIES`), the two
semantics must agree: a rule that fired on the role must have a counterexample (the property
is REFUTED), and a role it did not fire on must have a proof (PROVEN). A disagreement is an
error naming both answers, so neither semantics drifts unseen. A role whose trust holds values
known only at deployment (IAMG-001, or parts the model leaves free) is not judged by either,
nor is a property the solver could not decide within its budget: those are counted in a
notice, never called agreement.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from ..model import Notice, ScanError, Violation
from .prover import DEFAULT_TIMEOUT_MS, PROVEN, REFUTED, UNKNOWN, RoleTask, prove_tasks

# property -> the rules whose firing means "refuted" (any of them)
RULE_PROPERTIES: Mapping[str, tuple[str, ...]] = {
    "not-public": ("IAMG-101", "IAMG-106"),
    "only-trusted": ("IAMG-101", "IAMG-102", "IAMG-106"),
    "external-id": ("IAMG-103",),
    "mfa": ("IAMG-104",),
    "oidc-subject": ("IAMG-201",),
    "oidc-approved": ("IAMG-201", "IAMG-202"),
}
# Roles neither semantics judges alike: values known only at deployment (IAMG-001); principals
# IAM rejects (IAMG-109: the model admits nobody through them, the rules judge them as
# written); conditions no request can satisfy (IAMG-112: a key no token carries, such as a
# template placeholder left in it, is a free choice of the caller in the model).
NOT_JUDGED = frozenset({"IAMG-001", "IAMG-109", "IAMG-112"})


@dataclass(frozen=True)
class SelfCheck:
    errors: tuple[ScanError, ...]
    notices: tuple[Notice, ...]
    counts: Mapping[str, int]


def self_check(documents: Iterable[Any], violations: Iterable[Violation], config: Any,
               timeout_ms: int = DEFAULT_TIMEOUT_MS, jobs: int = 1) -> SelfCheck:
    """Compare each inspected trust document's proofs with the rules that fired on its role
    (proven on `jobs` processes when there are enough roles)."""
    fired: dict[str, list[Violation]] = {}
    for v in violations:
        fired.setdefault(v.resource, []).append(v)
    names = [n for n, rules in RULE_PROPERTIES.items() if not set(rules) <= set(config.disabled_rules)]
    verdicts: dict[tuple[str, str], dict[str, list[Any]]] = {}
    rules_on: dict[tuple[str, str], set[str]] = {}
    skipped: set[tuple[str, str]] = set()
    dead: set[tuple[str, str]] = set()
    where: dict[tuple[str, str], tuple[str, int | None]] = {}
    judged = []
    for document in documents:
        if document.input.get("kind") != "trust":
            continue
        files = {document.file, *(str(r.get("file")) for r in document.refs.values())}
        rules = {v.rule_id for v in fired.get(document.resource, []) if v.file in files}
        key = (document.file, document.resource)
        rules_on.setdefault(key, set()).update(rules)
        if rules & NOT_JUDGED:
            skipped.add(key)
            continue
        judged.append((key, RoleTask(document, (*names, "nobody"), table="checked")))
    proofs = prove_tasks([task for _, task in judged], config, timeout_ms, jobs)
    for (key, _), proof in zip(judged, proofs):
        where.setdefault(key, (proof.file, proof.line))
        if proof.unknowns:
            skipped.add(key)
            continue
        if proof.answers[-1].verdict == PROVEN:
            # Nobody can assume the role (a condition no request satisfies: an empty ExternalId,
            # one with characters STS refuses): the rules judge its principals as written.
            dead.add(key)
            continue
        for answer in proof.answers[:-1]:
            verdicts.setdefault(key, {}).setdefault(answer.property, []).append(answer)
    counts = {"roles": len(rules_on), "agree": 0, "unknown": 0, "disagree": 0, "not_judged": len(skipped),
              "dead": len(dead)}
    errors = []
    for key, by_property in sorted(verdicts.items()):
        if key in skipped or key in dead:
            continue
        for name, answers in by_property.items():
            refuted = next((a for a in answers if a.verdict == REFUTED), None)
            verdict = REFUTED if refuted else PROVEN if all(a.verdict == PROVEN for a in answers) else UNKNOWN
            if verdict == UNKNOWN:
                counts["unknown"] += 1
                continue
            rules = [r for r in RULE_PROPERTIES[name] if r in rules_on[key]]
            if bool(rules) == (verdict == REFUTED):
                counts["agree"] += 1
                continue
            counts["disagree"] += 1
            file, line = where[key]
            if rules:
                said = (f"the rules report {', '.join(rules)}, but the SMT model proves the property {name!r}: "
                        f"{answers[0].says}")
            else:
                assert refuted is not None
                said = (f"no rule of {', '.join(RULE_PROPERTIES[name])} fired, but the SMT model refutes the property "
                        f"{name!r}: {refuted.words()}")
            errors.append(ScanError(file, f"{key[1]} (line {line}): --prove disagrees: {said}",
                                    RULE_PROPERTIES[name][-1]))
    notice = Notice("prove", "prove", f"--prove: {counts['roles']} roles; {counts['agree']} verdicts agree, "
                                      f"{counts['disagree']} disagree, {counts['unknown']} undecided within the "
                                      f"time budget; {counts['not_judged']} roles not judged (values known only at "
                                      f"deployment, principals IAM rejects), {counts['dead']} that nobody can assume "
                                      "(the rules judge their principals as written)")
    return SelfCheck(tuple(errors), (notice,), counts)
