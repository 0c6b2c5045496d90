"""IAMG-501 across the documents of one scan: who may assume which role, seen from both sides.

Assuming a role takes two grants: the role's trust policy must admit the caller, and (across
accounts) the caller's own policies must allow sts:AssumeRole on the role. Each document alone
looks fine when one side is missing; only the scan as a whole shows it.

The scan hands every document that belongs to a known role or user to `AssumeGraph.add`. At
the end, `pairs` joins callers to roles by ARN (an index, so the join stays linear) and yields
one small engine input per (caller, role) pair; the IAMG-501 Rego rule decides, and `violation`
writes the finding. Python only finds candidates and locates nodes: the verdict is the rule's.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping

from .loaders.iam import Identity
from .model import Location, RuleInfo, Severity, Violation, subject_of
from .normalize.policy import NormalizedDocument
from .normalize.values import engine_token

PAIR_KIND = "assume_pair"

# Unknowns that leave a trust policy's principals or actions open: the rule then says nothing.
_TRUST_UNKNOWNS = frozenset({"trust_policy", "statement", "effect", "principal", "action"})
# Unknowns that leave a caller's permissions open: "has no permission" cannot be claimed.
_GRANT_UNKNOWNS = frozenset({"policy", "statement", "effect", "action", "resource"})
# A grant aimed at particular roles: the part after role/ is more than wildcards.
_AIMED = re.compile(r"^arn:[^:]*:iam::[^:]*:role/.*[^*?]")
_POLICY_VARIABLE = re.compile(r"\$\{[^}]*\}")
_MAX_WILDCARD_MATCHES = 50  # a pattern aimed at more roles than this is a fleet grant, not a pairing
_MAX_CANDIDATES = 1000  # roles sharing a pattern's literal prefix, beyond which it is a fleet grant


@dataclass(frozen=True)
class _Node:
    """Where a graph ref points: its location (found only for a finding: locating every node
    of every role would cost more than the rule), its text as written, and its statement."""

    locate: Callable[[], Location]
    text: str
    statement: str


@dataclass
class _Party:
    """A role or user of the scan, merged over all its descriptions (variants, files)."""

    identity: Identity
    resource: str
    file: str
    grants: list[dict[str, Any]] = field(default_factory=list)  # Allow and Deny statements on assuming
    complete: bool = True  # every policy of the party is known (roles only; users have groups)
    trust: list[dict[str, Any]] = field(default_factory=list)  # trust statements (roles)
    trust_known: bool = True
    is_target: bool = False
    # The role's permissions boundary: "none", "known" (with its assume statements) or
    # "unknown"; a known one must allow the assume too (IAM intersects the two).
    boundary: dict[str, Any] = field(default_factory=lambda: {"state": "none", "statements": []})

    @property
    def name(self) -> str:
        return self.identity.arn.rsplit("/", 1)[-1]

    @property
    def key(self) -> tuple[str, str]:
        return role_key(self.identity, self.file)


def role_key(identity: Identity, file: str) -> tuple[str, str]:
    """One role or user of a scan: its ARN, and its file when the ARN is only a stand-in's."""
    return (file if identity.local else "", identity.arn.lower())


@dataclass
class AssumeGraph:
    """The roles and callers of one scan. Not shared between scans or threads."""

    parties: dict[tuple[str, str], _Party] = field(default_factory=dict)
    nodes: dict[str, _Node] = field(default_factory=dict)

    def add(self, identity: Identity, resource: str, file: str, normalized: NormalizedDocument,
            locate: Callable[[str], Callable[[], Location]], text_of: Callable[[str], str],
            statement_label: Callable[[str], str]) -> None:
        """Record a trust policy of a role, or an identity policy of a user. The callables
        give a ref's deferred location, its text as written (redacted when sensitive), and
        the label of its statement; none of them is kept beyond this call."""
        if identity.kind not in ("role", "user"):
            return
        party = _Party(identity, resource, file)
        party = self.parties.setdefault(party.key, party)
        doc = normalized.engine_input
        unknowns = {str(u.get("what")) for u in doc.get("unresolved", [])}

        def node(ref: str, prefix: str, label: str = "") -> str:
            new = f"{prefix}{len(self.nodes)}"
            self.nodes[new] = _Node(locate(ref), text_of(ref), label)
            return new

        def grants(statements: list[Mapping[str, Any]], policy: str,
                   into: list[dict[str, Any]] | None = None) -> None:
            out = party.grants if into is None else into
            for st in statements:
                actions = st.get("actions", {})
                if st.get("effect") not in ("Allow", "Deny") or not (actions.get("assume_role") or actions.get("unresolved")):
                    continue
                resources = st.get("resources", {})
                label = statement_label(str(st["ref"])) + (f" of policy {policy}" if policy else "")
                where = str(resources.get("ref") or st["ref"])
                out.append({
                    "ref": node(where, "g", label),
                    "effect": st["effect"],
                    "conditional": bool(st.get("conditions")),
                    "actions": {
                        "assume_role": bool(actions.get("assume_role")), "unresolved": bool(actions.get("unresolved")),
                        "not_action": bool(actions.get("not_action")), "patterns": list(actions.get("patterns", [])),
                    },
                    "resources": {
                        "element": str(resources.get("element", "none")),
                        "values": [_glob_safe(str(v)) for v in resources.get("values", [])],
                        "unresolved": bool(resources.get("unresolved")),
                    },
                })

        if normalized.kind == "trust":
            party.is_target = True
            party.trust_known = party.trust_known and not (unknowns & _TRUST_UNKNOWNS)
            for st in doc.get("statements", []):
                label = statement_label(str(st["ref"]))
                party.trust.append({
                    "ref": node(str(st["ref"]), "t", label),
                    "effect": st.get("effect"),
                    "principal_element": st.get("principal_element"),
                    "actions": {"assume_role": bool(st.get("actions", {}).get("assume_role"))},
                    "condition_count": len(st.get("conditions", [])),
                    "conditions": [_caller_condition(c) for c in st.get("conditions", [])
                                   if c.get("key") in _CALLER_KEYS],
                    "principals": [{
                        "ref": node(str(p["ref"]), "p", label),
                        "kind": p.get("kind"), "value": p.get("value"), "account": p.get("account"),
                        "scope": p.get("scope"), "whole_account": bool(p.get("whole_account")),
                    } for p in st.get("principals", [])],
                })
            role = doc.get("role") or {}
            boundary = role.get("boundary") or {}
            if boundary.get("state") == "known" and not boundary.get("aws_managed"):
                statements: list[dict[str, Any]] = []
                grants(boundary.get("statements", []), text_of(str(boundary.get("ref", ""))), statements)
                party.boundary = {"state": "known", "statements": statements}
            elif boundary.get("state") not in (None, "none"):
                party.boundary = {"state": "unknown", "statements": []}
            for policy in role.get("policies", []):
                if policy.get("state") != "known" or policy.get("aws_managed"):
                    party.complete = False  # an AWS-managed or unknown policy may grant anything
                grants(policy.get("statements", []), text_of(str(policy.get("ref", ""))))
            if not role or unknowns & _GRANT_UNKNOWNS:
                party.complete = False
        else:
            party.complete = False  # a user's groups and managed policies are not followed
            grants(doc.get("statements", []), resource)

    def pairs(self) -> Iterator[tuple[_Party, _Party, dict[str, Any]]]:
        """(caller, role, engine input) for every caller whose grant names a role of the scan
        and every role whose trust names a caller of the scan, each pair once."""
        # Roles sorted by the resource part of their ARN (role/<path><name>): a pattern's
        # literal prefix there selects its candidates by bisection, not by a scan of all roles.
        targets = sorted(((p.identity.arn.split(":", 5)[5].lower(), p) for p in self.parties.values() if p.is_target),
                         key=lambda item: item[0])
        seen: set[tuple[tuple[str, str], tuple[str, str]]] = set()
        for caller in self.parties.values():
            for grant in caller.grants:
                if grant["resources"]["element"] != "Resource":
                    continue
                for value in grant["resources"]["values"]:
                    for target in self._targets_of(value, caller.file, targets):
                        # A grant that also matches the caller itself (`role/<own name>` in
                        # any account) aims at its namesakes elsewhere, not at itself.
                        if target.key != caller.key and (caller.key, target.key) not in seen:
                            seen.add((caller.key, target.key))
                            yield caller, target, _pair_input(caller, target)
        for _, target in targets:
            for st in target.trust:
                for principal in st["principals"]:
                    caller = self._lookup(str(principal.get("value") or ""), target.file)
                    if caller is not None and (caller.key, target.key) not in seen:
                        seen.add((caller.key, target.key))
                        yield caller, target, _pair_input(caller, target)

    def _lookup(self, arn: str, file: str) -> _Party | None:
        lowered = arn.lower()
        return self.parties.get(("", lowered)) or self.parties.get((file, lowered))

    def _targets_of(self, value: str, file: str, targets: list[tuple[str, _Party]]) -> list[_Party]:
        if not _AIMED.match(value):
            return []
        if "*" not in value and "?" not in value:
            found = self._lookup(value, file)
            return [found] if found is not None and found.is_target else []
        resource = value.split(":", 5)[5].lower()
        prefix = re.split(r"[*?]", resource, maxsplit=1)[0]
        start = bisect.bisect_left(targets, prefix, key=lambda item: item[0])
        end = bisect.bisect_right(targets, prefix + "\U0010ffff", key=lambda item: item[0])
        if end - start > _MAX_CANDIDATES:
            return []  # a fleet of roles, not particular ones
        pattern = re.compile(_glob_regex(value.lower()))
        any_account = any(c in value.split(":", 5)[4] for c in "*?")
        # A grant on a role of any account aims at that role in the accounts a deployment
        # spreads over (a StackSet): a template's role, whose account is only a stand-in,
        # is not known to be one of them.
        matched = [t for _, t in targets[start:end]
                   if (not t.identity.local or t.file == file) and pattern.match(t.identity.arn.lower())
                   and not (any_account and not t.identity.account_known)]
        return matched if len(matched) <= _MAX_WILDCARD_MATCHES else []

    def violation(self, rule: RuleInfo, severity: Severity, caller: _Party, target: _Party,
                  finding: Mapping[str, Any]) -> Violation | None:
        facts = finding.get("facts") or {}
        node = self.nodes.get(str(finding.get("ref")))
        if node is None:
            return None
        if facts.get("direction") == "untrusted_caller":
            resource = caller.resource
            message = (f"{caller.identity.kind.capitalize()} {caller.name} is allowed to assume "
                       f"{_shown(target.identity.arn, target)} by "
                       f"{node.statement} (Resource {facts.get('grant')!r}), but the trust policy of role {target.name}"
                       f"{_elsewhere(target, caller.file)} does not admit it, so the call is denied: add "
                       f"{_shown(caller.identity.arn, caller)} (or its account {_shown(caller.identity.account, caller)}) "
                       "as a Principal of a statement "
                       "allowing sts:AssumeRole in that trust policy, or remove the grant")
        else:
            resource = target.resource
            message = (f"The trust policy of role {target.name} admits {node.text!r} in {node.statement}, but no policy "
                       f"of role {caller.name}{_elsewhere(caller, target.file)} allows sts:AssumeRole on "
                       f"{_shown(target.identity.arn, target)}, "
                       "and across accounts both sides must allow it: add that grant to the caller's policy, or remove "
                       "the principal from the trust policy")
        return Violation(
            rule_id=rule.rule_id, title=rule.title, severity=severity, message=message, resource=resource,
            location=node.locate(), remediation=rule.remediation,
            subject=subject_of((str(facts.get("direction", "")), caller.identity.arn, target.identity.arn, node.text)),
        )


def _shown(text: str, party: _Party) -> str:
    """An ARN or account for a message: a CloudFormation stack's stand-in own account is
    written as ${AWS::AccountId}, never as the token that stands for it."""
    if party.identity.account_known or not party.identity.account:
        return text
    return text.replace(party.identity.account, "${AWS::AccountId}")


def _elsewhere(party: _Party, finding_file: str) -> str:
    """Where the other side lives, when it is not the finding's own file."""
    return f" ({party.file})" if party.file != finding_file else ""


def _pair_input(caller: _Party, target: _Party) -> dict[str, Any]:
    """The engine input of one pair (docs/model.md, "Assume pair")."""
    arn = caller.identity.arn
    session = ""
    if caller.identity.kind == "role":
        parts = arn.split(":", 5)
        session = f"arn:{parts[1]}:sts::{parts[4]}:assumed-role/{parts[5].rsplit('/', 1)[-1]}/"
    return {
        "kind": PAIR_KIND,
        "caller": {
            "arn": engine_token(arn), "account": engine_token(caller.identity.account), "account_known": caller.identity.account_known,
            "type": caller.identity.kind,
            "session_prefix": engine_token(session), "complete": caller.complete, "statements": caller.grants,
            "boundary": caller.boundary,
        },
        "target": {
            "arn": engine_token(target.identity.arn), "account": engine_token(target.identity.account),
            "account_known": target.identity.account_known,
            "known": target.trust_known, "statements": target.trust,
        },
    }


# The condition keys that name the caller: a trust statement narrowed by them may not admit it.
_CALLER_KEYS = frozenset({"aws:principalarn", "aws:principalaccount"})


def _caller_condition(condition: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "key": condition.get("key"), "base": condition.get("base"), "negated": bool(condition.get("negated")),
        "if_exists": bool(condition.get("if_exists")), "set": condition.get("set", ""),
        "state": condition.get("state"),
        "values": [_glob_safe(str(v.get("text", ""))) for v in condition.get("values", [])],
    }


def _glob_safe(value: str) -> str:
    """A resource pattern for matching: a policy variable matches anything. Every other
    character is read literally, as IAM does (lib/iam_glob.rego)."""
    return _POLICY_VARIABLE.sub("*", value)


def _glob_regex(pattern: str) -> str:
    return "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern) + r"\Z"
