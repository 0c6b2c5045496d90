"""The trust graph of a scan: who may assume which role, grouped by account.

Built from what the scanner already computes: the normalized documents (`Scanner.inspect`, the
engine input with every ref located) and the report's violations. Nothing here decides
anything: the graph shows the Allow statements of every trust policy, one edge per principal
and role, labelled with the statement's conditions, and marks an edge with the most severe
finding located on it (a finding on the principal, or on its statement as a whole). The roles
a scanned role or user is allowed to assume (the grants IAMG-501 joins) are a second kind of
edge, `assume`.

Nodes: roles of the scan (in their account), users with an assume grant, the principals their
trust policies name (a whole account, another account's role or user, a service, an OIDC or
SAML provider, anyone `*`, a principal not known statically). Groups: one per account; the
own account of a template or module that does not know it (`local:<file>`); `unknown` for raw
documents whose account the scan does not know. Identical edges (same ends, kind and
conditions) are collapsed, with the number of statements they stand for. Everything is sorted:
the same scan gives the same graph.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from typing import Any, Iterable, Mapping, Sequence

from .messages import STAND_IN_WORDS
from .model import Severity, Violation

NODE_KINDS = ("role", "user", "account", "principal", "service", "provider", "anyone", "unknown")
EDGE_KINDS = ("trust", "assume")
UNKNOWN_GROUP = "unknown"
ANYONE = "anyone"
# A grant aimed at particular roles (as IAMG-501 reads them): the part after role/ is more than
# wildcards; a pattern matching more roles than this is a fleet grant, not drawn.
_AIMED = re.compile(r"^arn:[^:]*:iam::[^:]*:role/.*[^*?]")
_MAX_PATTERN_MATCHES = 50
_POLICY_VARIABLE = re.compile(r"\$\{[^}]*\}")
_MAX_LABEL = 60
_ASSUME_ACTIONS = ("assume_role", "web_identity", "saml", "unresolved")
_MFA_KEYS = frozenset({"aws:multifactorauthpresent", "aws:multifactorauthage"})
_KEY_LABELS = {
    "aws:principalorgid": "org",
    "aws:principalorgpaths": "org path",
    "aws:principalaccount": "account",
    "aws:principalarn": "PrincipalArn",
    "aws:sourceaccount": "SourceAccount",
    "aws:sourcearn": "SourceArn",
    "aws:sourceidentity": "SourceIdentity",
    "sts:sourceidentity": "SourceIdentity",
}
_STATE_NOTES = {"empty": " (empty)", "wildcard_only": " (any)", "unresolved": " (unknown)"}


@dataclass(frozen=True)
class Group:
    """An account (`account:<id>`), a template's or module's own account that the scan does not
    know (`local:<file>`), or `unknown`."""

    id: str
    label: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label}


@dataclass(frozen=True)
class Node:
    """A role of the scan, a caller, or a principal named by a trust policy. `severity` and
    `rules`: the findings located on the role (roles only)."""

    id: str
    kind: str
    label: str
    group: str = ""  # a Group id, "" outside every account (services, providers, anyone)
    arn: str = ""
    resource: str = ""  # roles and users of the scan: what findings name
    file: str = ""
    severity: Severity | None = None
    rules: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "label": self.label, "group": self.group, "arn": self.arn,
                "resource": self.resource, "file": self.file,
                "severity": self.severity.value if self.severity else None, "rules": list(self.rules)}


@dataclass(frozen=True)
class Edge:
    """`trust`: the principal `source` may assume the role `target` (an Allow statement of its
    trust policy), under `conditions`; `assume`: the caller `source` is allowed to assume the role
    `target` by its own policy. `severity`/`rules`: the findings on it; `statements`: how many
    statements the collapsed edge stands for."""

    source: str
    target: str
    kind: str
    conditions: tuple[str, ...] = ()
    severity: Severity | None = None
    rules: tuple[str, ...] = ()
    statements: int = 1

    @property
    def label(self) -> str:
        """The text an edge carries: its severity, `assume` for a grant, then its conditions."""
        parts = ([self.severity.value] if self.severity else []) + (["assume"] if self.kind == "assume" else [])
        return " · ".join(parts + list(self.conditions))

    def sort_key(self) -> tuple[str, str, str, tuple[str, ...]]:
        return (self.source, self.target, self.kind, self.conditions)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target, "kind": self.kind, "conditions": list(self.conditions),
                "severity": self.severity.value if self.severity else None, "rules": list(self.rules),
                "statements": self.statements}


@dataclass(frozen=True)
class TrustGraph:
    groups: tuple[Group, ...] = ()
    nodes: tuple[Node, ...] = ()
    edges: tuple[Edge, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "groups", tuple(sorted(set(self.groups), key=lambda g: g.id)))
        object.__setattr__(self, "nodes", tuple(sorted(set(self.nodes), key=_node_order)))
        object.__setattr__(self, "edges", tuple(sorted(set(self.edges), key=Edge.sort_key)))

    def node(self, node_id: str) -> Node:
        return next(n for n in self.nodes if n.id == node_id)

    def focus(self, roles: Sequence[str] = (), accounts: Sequence[str] = ()) -> "TrustGraph":
        """The part of the graph about the roles matching any of `roles` (globs on the role's
        name, resource or ARN, any case) and touching any of `accounts`: their edges, and the
        nodes at the ends of those edges."""
        if not roles and not accounts:
            return self
        groups = {f"account:{a}" for a in accounts}
        by_id = {n.id: n for n in self.nodes}

        def chosen_role(node: Node) -> bool:
            return node.kind == "role" and (not roles or any(
                fnmatchcase(text.lower(), glob.lower()) for glob in roles for text in (node.label, node.resource, node.arn)
                if text))

        def in_accounts(node: Node) -> bool:
            return not accounts or node.group in groups

        edges = tuple(e for e in self.edges
                      if (not roles or chosen_role(by_id[e.source]) or chosen_role(by_id[e.target]))
                      and (in_accounts(by_id[e.source]) or in_accounts(by_id[e.target])))
        ends = {end for e in edges for end in (e.source, e.target)}
        nodes = tuple(n for n in self.nodes if n.id in ends or (chosen_role(n) and in_accounts(n)))
        kept = {n.group for n in nodes}
        return TrustGraph(tuple(g for g in self.groups if g.id in kept), nodes, edges)

    def to_dict(self) -> dict[str, Any]:
        return {"groups": [g.to_dict() for g in self.groups], "nodes": [n.to_dict() for n in self.nodes],
                "edges": [e.to_dict() for e in self.edges]}


def _node_order(node: Node) -> tuple[str, int, str, str]:
    return (node.group, NODE_KINDS.index(node.kind), node.label.lower(), node.id)


# --- building -------------------------------------------------------------------------------


@dataclass
class _Builder:
    own_accounts: tuple[str, ...]
    violations: Mapping[str, list[Violation]]  # by resource
    nodes: dict[str, Node] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    edges: dict[tuple[str, str, str, tuple[str, ...]], Edge] = field(default_factory=dict)
    # The statements (file, path) each edge stands for: a file named twice, or the variants of a
    # template, describe one statement more than once.
    statements: dict[tuple[str, str, str, tuple[str, ...]], set[tuple[str, str]]] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)  # ARN (lower) -> role node id, accounts known
    local_roles: dict[tuple[str, str], str] = field(default_factory=dict)  # (file, ARN lower) -> role node id

    def group(self, account: str, file: str, stand_in: str) -> str:
        if account and account == stand_in:
            group = Group(f"local:{file}", f"own account of {file}")
        elif account:
            group = Group(f"account:{account}", f"account {account}")
        else:
            group = Group(UNKNOWN_GROUP, "account unknown")
        self.groups.setdefault(group.id, group)
        return group.id

    def add_node(self, node: Node) -> str:
        known = self.nodes.get(node.id)
        if known is None:
            self.nodes[node.id] = node
        elif node.severity is not None or node.rules:
            self.nodes[node.id] = replace(known, severity=_max(known.severity, node.severity),
                                          rules=tuple(sorted({*known.rules, *node.rules})))
        return node.id

    def add_edge(self, edge: Edge, statement: tuple[str, str] | None) -> None:
        key = (edge.source, edge.target, edge.kind, edge.conditions)
        seen = self.statements.setdefault(key, set())
        seen.add(statement or (edge.source, str(len(seen))))
        known = self.edges.get(key, edge)
        self.edges[key] = replace(known, severity=_max(known.severity, edge.severity),
                                  rules=tuple(sorted({*known.rules, *edge.rules})), statements=len(seen))

    def lookup(self, arn: str, file: str) -> str | None:
        lowered = arn.lower()
        return self.roles.get(lowered) or self.local_roles.get((file, lowered))


def build(documents: Iterable[Any], violations: Iterable[Violation] = (), *,
          own_accounts: Sequence[str] = ()) -> TrustGraph:
    """The trust graph of inspected documents (`Scanner.inspect(...).documents`: each with
    `file`, `resource`, `input`, `refs`, `identity`, `stand_in`) and a report's violations.
    `own_accounts`: the configuration's; one of them places roles whose account the documents
    do not say (raw trust policies)."""
    documents = list(documents)
    by_resource: dict[str, list[Violation]] = {}
    for violation in violations:
        by_resource.setdefault(violation.resource, []).append(violation)
    builder = _Builder(tuple(own_accounts), by_resource)
    trusts = [d for d in documents if d.input.get("kind") == "trust"]
    role_of = {id(d): _add_role(builder, d) for d in trusts}
    for document in trusts:
        _add_trust_edges(builder, document, role_of[id(document)])
    for document in documents:
        _add_grants(builder, document, role_of.get(id(document)))
    return TrustGraph(tuple(builder.groups.values()), tuple(builder.nodes.values()), tuple(builder.edges.values()))


def _add_role(builder: _Builder, document: Any) -> str:
    identity = document.identity if getattr(document, "identity", None) is not None else None
    stand_in = getattr(document, "stand_in", "")
    found = _findings(builder, document)
    severity = max((v.severity for v in found), default=None)
    rules = tuple(sorted({v.rule_id for v in found}))
    if identity is not None and identity.kind == "role":
        arn = identity.arn
        account = identity.account
        local = identity.local or (bool(stand_in) and account == stand_in)
        node_id = f"role:{document.file}#{arn.lower()}" if local else f"role:{arn.lower()}"
        label = arn.rsplit("/", 1)[-1]
        if local:
            builder.local_roles[(document.file, arn.lower())] = node_id
        else:
            builder.roles[arn.lower()] = node_id
    else:
        arn = ""
        own = [a for a in document.input.get("context", {}).get("own_accounts", []) if a != stand_in]
        account = own[0] if len(own) == 1 else builder.own_accounts[0] if len(builder.own_accounts) == 1 else ""
        node_id = f"role:{document.file}#{document.resource}"
        label = document.resource
    group = builder.group(account, document.file, stand_in)
    return builder.add_node(Node(node_id, "role", label, group, arn=_shown_arn(arn, document),
                                 resource=document.resource, file=document.file, severity=severity, rules=rules))


def _add_trust_edges(builder: _Builder, document: Any, role: str) -> None:
    found = _findings(builder, document)
    refs = document.refs
    for statement in document.input.get("statements", []):
        actions = statement.get("actions", {})
        if statement.get("effect") != "Allow" or not any(actions.get(a) for a in _ASSUME_ACTIONS):
            continue
        conditions = condition_labels(statement.get("conditions", []))
        principals = statement.get("principals", [])
        statement_at = _where(refs, statement.get("ref"))
        principal_at = [_where(refs, p.get("ref")) for p in principals]

        def on(at: tuple[str, str] | None, others: list[tuple[str, str] | None]) -> list[Violation]:
            """The findings on one principal, and those on its statement but on no principal."""
            out = [v for v in found if _under(v, at)]
            out += [v for v in found if _under(v, statement_at) and not any(_under(v, o) for o in others)]
            return out

        if statement.get("principal_element") == "NotPrincipal":
            hits = on(None, principal_at)
            builder.add_edge(_edge(_anyone(builder), role, "trust", ("NotPrincipal", *conditions), hits), statement_at)
            continue
        for principal, at in zip(principals, principal_at):
            source = _principal(builder, principal, document)
            builder.add_edge(_edge(source, role, "trust", conditions, on(at, principal_at)), statement_at)


def _add_grants(builder: _Builder, document: Any, role: str | None) -> None:
    """The assume grants of a role's policies (from its trust document) or a user's policy."""
    identity = getattr(document, "identity", None)
    stand_in = getattr(document, "stand_in", "")
    if role is not None:
        statements = [s for p in (document.input.get("role") or {}).get("policies", []) for s in p.get("statements", [])]
        caller = role
    elif identity is not None and identity.kind == "user" and document.input.get("kind") == "identity":
        statements = list(document.input.get("statements", []))
        caller = ""
    else:
        return
    found = _findings(builder, document)
    for statement in statements:
        actions, resources = statement.get("actions", {}), statement.get("resources", {})
        if statement.get("effect") != "Allow" or not actions.get("assume_role") or resources.get("element") != "Resource":
            continue
        targets = {t for value in resources.get("values", []) for t in _targets(builder, str(value), document.file)}
        if not caller and targets and identity is not None:
            account = identity.account
            local = identity.local or (bool(stand_in) and account == stand_in)
            caller = builder.add_node(Node(
                f"user:{document.file}#{identity.arn.lower()}" if local else f"user:{identity.arn.lower()}", "user",
                identity.arn.rsplit("/", 1)[-1], builder.group(account, document.file, stand_in),
                arn=_shown_arn(identity.arn, document), resource=document.resource, file=document.file))
        at = _where(document.refs, statement.get("ref"))
        hits = [v for v in found if _under(v, at)]
        conditions = condition_labels(statement.get("conditions", []))
        for target in sorted(targets - {caller}):
            builder.add_edge(_edge(caller, target, "assume", conditions, hits), at)


def _targets(builder: _Builder, value: str, file: str) -> list[str]:
    value = _POLICY_VARIABLE.sub("*", value)
    if not _AIMED.match(value):
        return []
    if "*" not in value and "?" not in value:
        found = builder.lookup(value, file)
        return [found] if found is not None else []
    pattern = value.lower()
    matched = [node for arn, node in builder.roles.items() if fnmatchcase(arn, pattern)]
    matched += [node for (where, arn), node in builder.local_roles.items() if where == file and fnmatchcase(arn, pattern)]
    return matched if len(matched) <= _MAX_PATTERN_MATCHES else []


def _principal(builder: _Builder, principal: Mapping[str, Any], document: Any) -> str:
    file, stand_in = document.file, getattr(document, "stand_in", "")
    kind = principal.get("kind")
    value = str(principal.get("value", ""))
    if kind == "wildcard":
        return _anyone(builder)
    if kind == "aws":
        role = builder.lookup(value, file)
        if role is not None:
            return role
        account = str(principal.get("account", ""))
        group = builder.group(account, file, stand_in)
        scoped = f"{file}#" if group.startswith("local:") else ""
        if principal.get("whole_account"):
            return builder.add_node(Node(f"account:{scoped}{account or value}", "account", "whole account", group,
                                         arn=_shown_arn(value, document)))
        name = value.split(":", 5)[5] if value.count(":") >= 5 else value
        return builder.add_node(Node(f"aws:{scoped}{value.lower()}", "principal", name, group,
                                     arn=_shown_arn(value, document)))
    if kind == "service":
        service = str(principal.get("service") or value)
        return builder.add_node(Node(f"service:{service}", "service", service))
    if kind == "oidc":
        issuer = str(principal.get("issuer") or value)
        return builder.add_node(Node(f"provider:{issuer}", "provider", issuer))
    if kind == "saml":
        name = value.rsplit("/", 1)[-1]
        return builder.add_node(Node(f"provider:saml:{value.lower()}", "provider", f"SAML {name}",
                                     arn=_shown_arn(value, document)))
    if kind == "unresolved":
        return builder.add_node(Node("unknown", "unknown", "principal not known statically"))
    return builder.add_node(Node(f"other:{value}", "principal", value))


def _anyone(builder: _Builder) -> str:
    return builder.add_node(Node(ANYONE, "anyone", "anyone (*)"))


def _edge(source: str, target: str, kind: str, conditions: tuple[str, ...], hits: list[Violation]) -> Edge:
    return Edge(source, target, kind, conditions, severity=max((v.severity for v in hits), default=None),
                rules=tuple(sorted({v.rule_id for v in hits})))


def condition_labels(conditions: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """Short labels of a statement's conditions, sorted and distinct: `ExternalId` (never its
    value), `MFA`, `org o-...`, `sub repo:...`, `SourceAccount ...`; other keys by their last
    part. A condition that restricts nothing says so: `(empty)`, `(any)`, `(unknown)`."""
    labels = set()
    for condition in conditions:
        key = str(condition.get("key", ""))
        values = [str(v.get("text", "")) for v in condition.get("values", [])]
        if key == "sts:externalid":
            label = "ExternalId"
        elif key in _MFA_KEYS:
            plain = condition.get("base") == "bool" and values == ["true"] and not condition.get("negated")
            label = "MFA" if plain or key == "aws:multifactorauthage" else f"MFA {', '.join(values)}"
        elif key in _KEY_LABELS:
            label = f"{_KEY_LABELS[key]} {', '.join(values)}"
        elif key.endswith(":sub"):
            label = f"sub {', '.join(values)}"
        else:
            label = f"{key.rsplit(':', 1)[-1]} {', '.join(values)}"
        label = ("not " if condition.get("negated") else "") + label.strip()
        note = _STATE_NOTES.get(str(condition.get("state")), "")
        if len(label) > _MAX_LABEL:
            label = label[: _MAX_LABEL - 1] + "…"
        labels.add(label + note)
    return tuple(sorted(labels))


def _findings(builder: _Builder, document: Any) -> list[Violation]:
    """The violations on the document's resource in one of the document's files."""
    files = {document.file, *(str(r.get("file")) for r in document.refs.values())}
    return [v for v in builder.violations.get(document.resource, []) if v.location.file in files]


def _where(refs: Mapping[str, Mapping[str, Any]], ref: Any) -> tuple[str, str] | None:
    node = refs.get(str(ref)) if ref else None
    return (str(node.get("file")), str(node.get("path"))) if node else None


def _under(violation: Violation, at: tuple[str, str] | None) -> bool:
    if at is None or violation.location.file != at[0]:
        return False
    path, prefix = violation.location.path, at[1]
    return path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "[")


def _shown_arn(arn: str, document: Any) -> str:
    """An ARN as people read it: a template's unknown own account is `${AWS::AccountId}`, a
    module's `${data.aws_caller_identity.account_id}`."""
    stand_in = getattr(document, "stand_in", "")
    if not stand_in or not arn:
        return arn
    words = STAND_IN_WORDS.get(getattr(document, "stand_in_kind", "stack"), STAND_IN_WORDS["stack"])[0]
    return arn.replace(f":{stand_in}:", f":{words}:")


def _max(a: Severity | None, b: Severity | None) -> Severity | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)
