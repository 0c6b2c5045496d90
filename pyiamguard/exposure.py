"""A role's exposure in one version of its input: who may assume it, under which conditions.

Read from the normalized trust document the rules were given and the findings they made on
it, so nothing here judges anew: the principals of the Allow statements that grant an assume
action (a NotPrincipal statement admits everyone but its principals), the labels of their
statements' conditions (`trust_graph.condition_labels`) and the rules that fired on each
principal or on its statement. `pyiamguard.changes` compares two versions of it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

from .messages import STAND_IN_WORDS, MessageContext
from .model import Access, Violation
from .trust_graph import condition_labels

_ASSUME_ACTIONS = ("assume_role", "web_identity", "saml", "unresolved")
# Unknown parts of a trust document that leave who may assume the role unknown.
_TRUST_PARTS = frozenset({"trust_policy", "statement", "effect", "principal", "action", "condition"})


@dataclass(frozen=True)
class RoleExposure:
    """One trust document of one role, as the scan saw it (several for a role evaluated in
    variants: `pyiamguard.changes` joins them)."""

    file: str
    resource: str
    access: tuple[Access, ...]
    unknown: bool
    replaced: bool = False
    # The role's line, found only for a role whose exposure changed (a locate per role of a
    # large plan would cost as much as its findings do).
    locate: Callable[[], int | None] = field(default=lambda: None, compare=False, repr=False)

    @property
    def line(self) -> int | None:
        return self.locate()


def role_exposure(document: Mapping[str, Any], ctx: MessageContext, where: Callable[[str], tuple[str, Callable[[], int | None]]],
                  path_of: Callable[[str], str], violations: Sequence[Violation], resource: str,
                  replaced: bool = False) -> RoleExposure:
    """The exposure of one trust document (`document`: its engine input). `where(ref)` gives
    the file of a node and a way to find its line; `path_of(ref)` its JSONPath as findings
    show it; `violations`: the findings on this document."""
    statements = document.get("statements", [])
    role = document.get("role") or {}
    anchor = role.get("ref") or (statements[0].get("ref") if statements else "")
    file, locate = where(anchor) if anchor else ("", lambda: None)
    access: list[Access] = []
    for statement in statements:
        actions = statement.get("actions", {})
        if statement.get("effect") != "Allow" or not any(actions.get(a) for a in _ASSUME_ACTIONS):
            continue
        conditions = condition_labels(statement.get("conditions", []))
        principals = statement.get("principals", [])
        # Paths only where there are findings to place: most documents of a large scan have none.
        statement_path = path_of(statement["ref"]) if violations else ""
        principal_paths = [path_of(p["ref"]) if violations else "" for p in principals]
        on_statement = {v.rule_id for v in violations if _under(v, statement_path)
                        and not any(_under(v, p) for p in principal_paths)}
        if statement.get("principal_element") == "NotPrincipal":
            names = ", ".join(principal_words(p, ctx) for p in principals) or "nobody"
            access.append(Access(f"anyone except {names}", conditions, tuple(sorted(on_statement))))
            continue
        for principal, path in zip(principals, principal_paths):
            rules = on_statement | {v.rule_id for v in violations if _under(v, path)}
            access.append(Access(principal_words(principal, ctx), conditions, tuple(sorted(rules))))
    unknown = any(u.get("part") == "document" and u.get("what") in _TRUST_PARTS for u in document.get("unresolved", []))
    return RoleExposure(file, resource, tuple(sorted(set(access), key=_access_key)), unknown, replaced, locate)


def principal_words(principal: Mapping[str, Any], ctx: MessageContext) -> str:
    """A principal as the change report names it: `account 999988887777`, `anyone (*)`, an
    ARN, `service ec2.amazonaws.com`, `OIDC provider token.actions.githubusercontent.com`."""
    kind = principal.get("kind")
    text = ctx.text(str(principal.get("ref", ""))) or str(principal.get("value", ""))
    if kind == "wildcard":
        return "anyone (*)"
    if kind == "aws" and principal.get("whole_account"):
        account = str(principal.get("account") or text)
        if ctx.stand_in and account == ctx.stand_in:
            return STAND_IN_WORDS[ctx.stand_in_kind][1]
        return f"account {account}"
    if kind == "service":
        return f"service {principal.get('service') or text}"
    if kind == "oidc":
        return f"OIDC provider {principal.get('issuer') or text}"
    if kind == "saml":
        return f"SAML provider {text}"
    if kind == "unresolved":
        return f"a principal not known statically ({text})"
    return text


def _under(violation: Violation, path: str) -> bool:
    found = violation.location.path
    return bool(path) and (found == path or found.startswith(path + ".") or found.startswith(path + "["))


def _access_key(access: Access) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    return (access.principal, access.conditions, access.rules)


def joined(exposures: Iterable[RoleExposure]) -> RoleExposure | None:
    """One role's documents (its variants) as one exposure: every way in of any of them."""
    items = list(exposures)
    if len(items) <= 1:
        return items[0] if items else None
    first = min(items, key=lambda e: e.file)
    access = sorted({a for e in items for a in e.access}, key=_access_key)
    return RoleExposure(first.file, first.resource, tuple(access), any(e.unknown for e in items),
                        any(e.replaced for e in items), first.locate)
