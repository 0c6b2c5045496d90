"""One IAM policy document (trust, identity or resource) to the normalized model of docs/model.md."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, Mapping

from ..loaders.source import Problem, TreePath
from . import actions as act
from .conditions import Condition, condition_values
from .principals import classify
from .values import Unresolved, as_list, engine_token, has_policy_variable, scalar_text

KINDS = ("trust", "identity", "resource")
_VERSIONS = ("2012-10-17", "2008-10-17")
_PRINCIPAL_BLOCKS = ("AWS", "Service", "Federated", "CanonicalUser")


@dataclass(frozen=True)
class Node:
    """Where a ref points in the source document, and what it said there."""

    path: TreePath
    text: str = ""
    sid: str = ""


@dataclass(frozen=True)
class NormalizeContext:
    """What the loader knows about the document's surroundings."""

    own_accounts: tuple[str, ...] = ()
    partition: str = ""
    gitlab_hosts: frozenset[str] = frozenset()
    # For an identity policy whose role is not in the scan: "role" (its trust is unknown).
    owner: str = ""


@dataclass(frozen=True)
class NormalizedDocument:
    """The engine input (docs/model.md) and the ref table that locates every node."""

    engine_input: Mapping[str, Any]
    nodes: Mapping[str, Node]

    @property
    def kind(self) -> str:
        return str(self.engine_input["kind"])


def detect_kind(document: Any) -> str | None:
    """`trust`, `identity` or `resource` from the statements, or None if it is not a policy."""
    if not isinstance(document, dict) or "Statement" not in document:
        return None
    statements = [s for s in as_list(document["Statement"]) if isinstance(s, dict)]
    has_principal = any("Principal" in s or "NotPrincipal" in s for s in statements)
    has_resource = any("Resource" in s or "NotResource" in s for s in statements)
    if not has_principal:
        return "identity"
    # A statement that names principals and an sts: assume action is trust, whatever else the
    # document holds: misreading it as a resource policy would hide its findings.
    grants_assume = any(
        ("Principal" in s or "NotPrincipal" in s)
        and any(a.strip().lower().startswith("sts:") and act.matches(a, action)
                for a in as_list(s.get("Action")) if isinstance(a, str) for action in act.ASSUME_ACTIONS)
        for s in statements
    )
    return "resource" if has_resource and not grants_assume else "trust"


class _Builder:
    def __init__(self, base: TreePath, context: NormalizeContext) -> None:
        self.base = base
        self.context = context
        self.nodes: dict[str, Node] = {}
        self.counter = 0
        self.problems: list[dict[str, str]] = []
        self.unresolved: list[dict[str, Any]] = []
        self.part = "document"  # "permissions" while the role's policies are normalized

    def ref(self, prefix: str, path: TreePath, text: str = "", sid: str = "") -> str:
        name = f"{prefix}{self.counter}"
        self.counter += 1
        self.nodes[name] = Node(self.base + path, text, sid)
        return name

    def problem(self, code: str, path: TreePath, text: str = "") -> None:
        self.problems.append({"ref": self.ref("x", path, text), "code": code})

    def unknown(self, what: str, path: TreePath, text: str, key: str = "", positive_string: bool = False) -> None:
        self.unresolved.append({"ref": self.ref("u", path, text), "what": what, "key": engine_token(key),
                                "positive_string": positive_string, "part": self.part})

    # The same for nodes outside the document (the role's other attributes and policies),
    # located by their absolute tree path.
    def ref_abs(self, prefix: str, path: TreePath, text: str = "") -> str:
        name = f"{prefix}{self.counter}"
        self.counter += 1
        self.nodes[name] = Node(tuple(path), text)
        return name

    def problem_abs(self, code: str, path: TreePath, text: str = "") -> None:
        self.problems.append({"ref": self.ref_abs("x", path, text), "code": code})

    def unknown_abs(self, what: str, path: TreePath, text: str, key: str = "") -> None:
        self.unresolved.append({"ref": self.ref_abs("u", path, text), "what": what, "key": engine_token(key),
                                "positive_string": False, "part": "permissions"})


@dataclass(frozen=True)
class Permission:
    """A policy that reaches a role: inline, managed by ARN, attached, or its boundary."""

    origin: str  # inline, managed, attachment, role_policy, policy_attachment, boundary
    label: str  # for messages: the policy name, ARN or resource address
    base: TreePath  # where it sits in the source file
    document: Any = None  # the policy document, Unresolved, or None when only an ARN is known
    arn: Any = None  # managed policy ARN: str or Unresolved
    problems: tuple[Problem, ...] = ()
    # A policy scanned on its own too (a separate resource): its problems and unknowns are
    # reported there, not again on every role it reaches.
    reported_elsewhere: bool = False
    # A policy resource reaching the role: scanned on its own too (reported_elsewhere), and
    # what its statements grant is the role's as well (IAMG-304 on the policy and the role).
    on_role: bool = False
    # Where the policy reaches the role when its document sits elsewhere (a managed policy
    # shared by several roles): the role's ARN entry, attachment or `Roles` entry. Findings on
    # the permission point there; its statements stay located in the document (`base`).
    attached_at: TreePath = ()


@dataclass(frozen=True)
class RoleFacts:
    """What the loader knows about the role a trust policy belongs to."""

    base: TreePath
    permissions: tuple[Permission, ...] = ()
    boundary: Permission | None = None
    max_session: Any = None  # seconds as int or text, Unresolved, or None for the 3600 default
    max_session_path: TreePath = ()


FORMATS = ("terraform_plan", "cloudformation", "aws_cli", "iam_document")


@dataclass(frozen=True)
class ResourceFacts:
    """What the loader knows about the resource a document belongs to (the `resource` section
    of docs/model.md), for rules that read its kind, name, path or tags.

    `name` and `path` are texts, or Unresolved when they cannot be known statically; `tags`
    is a tuple of (key, value) pairs whose values may be Unresolved, or Unresolved when the
    tag set itself is unknown. The default describes a raw policy document."""

    format: str = "iam_document"  # terraform_plan, cloudformation, aws_cli, iam_document
    kind: str = "policy_document"  # the resource type (aws_iam_role, AWS::IAM::Role, role, ...)
    address: str = ""  # what findings name as the resource (PolicySource.resource)
    name: Any = ""
    path: Any = ""
    tags: Any = ()

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {self.format!r}")


def normalize_policy(
    document: Any,
    *,
    kind: str | None = None,
    base: TreePath = (),
    context: NormalizeContext = NormalizeContext(),
    parse_problems: tuple[Problem, ...] = (),
    role: RoleFacts | None = None,
    resource: ResourceFacts | None = None,
) -> NormalizedDocument:
    """Normalize `document` found at tree path `base` of its source file.

    `parse_problems` are the loader's findings (duplicate keys, octal numbers) inside this
    document; they become IAMG-002 problems at their own paths. `role` adds the role's
    permissions, boundary and session length (the `role` section of docs/model.md).
    `resource` describes the resource the document belongs to (the `resource` section); None
    is a raw policy document (give its address as `ResourceFacts(address=...)`).
    """
    b = _Builder(base, context)
    doc_kind = kind or detect_kind(document) or "trust"
    statements: list[dict[str, Any]] = []
    for problem in parse_problems:
        rel = problem.path[len(base):]
        b.problem(problem.code, rel, problem.detail)
    if any(p.code == "invalid_json" for p in parse_problems):
        pass  # the policy text does not parse: that one problem says it all
    elif isinstance(document, Unresolved):
        b.unknown("trust_policy" if doc_kind == "trust" else "policy", (), document.expression)
    elif not isinstance(document, dict):
        b.problem("invalid_document", (), type(document).__name__)
    else:
        statements = _statements(b, document, doc_kind)
    engine_input = {
        "kind": doc_kind,
        "context": {"own_accounts": list(context.own_accounts), "partition": context.partition,
                    "owner": context.owner},
        "problems": b.problems,
        "unresolved": b.unresolved,
        "statements": statements,
        "resource": _resource(resource if resource is not None else ResourceFacts()),
    }
    if role is not None:
        engine_input["role"] = _role(b, role)
    return NormalizedDocument(engine_input=engine_input, nodes=MappingProxyType(b.nodes))


def _statements(b: _Builder, document: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    version = document.get("Version")
    if "Version" in document and scalar_text(version) not in _VERSIONS and not isinstance(version, Unresolved):
        b.problem("unknown_version", ("Version",), str(version))
    raw = document.get("Statement")
    if isinstance(raw, Unresolved):
        b.unknown("statement", ("Statement",), raw.expression)
        return []
    if isinstance(raw, dict):
        items = [(("Statement",), raw)]
    elif isinstance(raw, list):
        items = [(("Statement", i), s) for i, s in enumerate(raw)]
    else:
        b.problem("invalid_statement", ("Statement",), type(raw).__name__)
        return []
    if not items:
        b.problem("invalid_statement", ("Statement",), "no statements")
    if "Version" not in document and any(has_policy_variable(str(s)) for _, s in items):
        # Without a Version, IAM treats ${aws:username} and friends as literal text.
        b.problem("missing_version", (), "")
    out = []
    for index, (path, statement) in enumerate(items):
        if isinstance(statement, Unresolved):
            b.unknown("statement", path, statement.expression)
            continue
        if not isinstance(statement, dict):
            b.problem("invalid_statement", path, type(statement).__name__)
            continue
        out.append(_statement(b, index, path, statement, kind))
    return out


def _statement(b: _Builder, index: int, path: TreePath, st: dict[str, Any], kind: str) -> dict[str, Any]:
    sid = scalar_text(st.get("Sid")) or ""
    ref = b.ref("s", path, sid, sid)
    effect = _effect(b, path, st)
    principal_element = "none"
    principal_ref = ""
    principals: list[dict[str, Any]] = []
    if "Principal" in st and "NotPrincipal" in st:
        b.problem("principal_and_not_principal", path + ("NotPrincipal",))
    for element in ("Principal", "NotPrincipal"):
        if element in st:
            principal_element = element
            principal_ref = b.ref("e", path + (element,), element)
            principals = _principals(b, path + (element,), st[element])
            break
    if principal_element == "none" and kind in ("trust", "resource"):
        b.problem("missing_principal", path)
    if principal_element == "NotPrincipal" and kind == "trust" and effect != "Allow":
        # Allow + NotPrincipal is IAMG-106; any other NotPrincipal in a trust policy is invalid.
        b.problem("not_principal_in_trust", path + ("NotPrincipal",))
    actions = _actions(b, path, st, effect)
    assumes = actions["assume_role"] or actions["web_identity"] or actions["saml"]
    return {
        "ref": ref,
        "index": index,
        "effect": effect,
        "principal_element": principal_element,
        "principal_ref": principal_ref,
        "principals": principals,
        "actions": actions,
        "resources": _resources(b, path, st, assumes),
        "conditions": _conditions(b, path, st),
    }


def _resources(b: _Builder, path: TreePath, st: dict[str, Any], assumes: bool) -> dict[str, Any]:
    """Resource or NotResource values as tokens (identity policies: what an action applies to).
    An unknown resource matters to a decision only when the statement grants an assume action."""
    element = "Resource" if "Resource" in st else "NotResource" if "NotResource" in st else "none"
    values: list[str] = []
    unresolved = False
    if element != "none":
        raw = st[element]
        for i, item in enumerate(raw if isinstance(raw, list) else [raw]):
            if isinstance(item, Unresolved):
                unresolved = True
                at = path + ((element, i) if isinstance(raw, list) else (element,))
                decides = assumes and (element == "NotResource" or _may_name_every_role(item.expression))
                b.unknown("resource", at, item.expression, "sts:assume" if decides else "")
                continue
            text = scalar_text(item)
            if text is None or not isinstance(item, str):
                b.problem("invalid_resource", path + (element,), repr(item)[:40])
                continue
            values.append(engine_token(text))
    # Trust statements have no Resource: no ref is taken, so their refs stay those of docs/model.md.
    ref = b.ref("e", path + (element,), element) if element != "none" else ""
    return {"element": element, "values": values, "unresolved": unresolved, "ref": ref}


_EVERY_ROLE = re.compile(r"^(\*|arn:[^:]*:(iam|sts)::[^:]*:(role/)?\*)\Z")


def _may_name_every_role(expression: str) -> bool:
    """An unknown resource of an assume grant decides IAMG-304 only if some value of its
    unknown parts makes it `*` or every role of an account: `arn:aws:iam::*:role/${Name}`
    names one role whatever Name is (a wildcard in a name is a prefix, not every role)."""
    pattern = re.sub(r"\$\{[^}]*\}", "*", expression)
    pattern = re.sub(r"\*+", "*", pattern)
    return bool(_EVERY_ROLE.match(pattern)) or "$" not in expression and "*" not in expression and ":" not in expression


def _effect(b: _Builder, path: TreePath, st: dict[str, Any]) -> str:
    raw = st.get("Effect")
    if isinstance(raw, Unresolved):
        b.unknown("effect", path + ("Effect",), raw.expression)
        return "Allow"  # fail closed: an unknown effect may be Allow
    if raw in ("Allow", "Deny"):
        return str(raw)
    if raw is None:
        b.problem("missing_effect", path)
        return "invalid"
    b.problem("invalid_effect", path + ("Effect",), str(raw))
    text = str(raw).strip().lower()
    return {"allow": "Allow", "deny": "Deny"}.get(text, "invalid")


def _principals(b: _Builder, path: TreePath, raw: Any) -> list[dict[str, Any]]:
    ctx = b.context
    out: list[dict[str, Any]] = []

    def add(block: str, value: Any, at: TreePath) -> None:
        principal = classify(block, value, ctx.partition, ctx.gitlab_hosts)
        ref = b.ref("p", at, principal.text)
        if principal.kind == "unresolved" or principal.partly_unresolved:
            b.unknown("principal", at, principal.text)
        out.append({"ref": ref, **principal.engine_fields()})

    if isinstance(raw, Unresolved):
        add("*", raw, path)
    elif isinstance(raw, str):
        if raw.strip() == "*":
            add("*", raw, path)
        else:
            b.problem("invalid_principal_block", path, raw)
            add("AWS", raw, path)
    elif isinstance(raw, dict):
        for block, values in raw.items():
            if block not in _PRINCIPAL_BLOCKS:
                b.problem("invalid_principal_block", path + (block,), block)
            if isinstance(values, list):
                if not values:
                    b.problem("invalid_principal_block", path + (block,), "empty list")
                for i, value in enumerate(values):
                    add(block, value, path + (block, i))
            else:
                add(block, values, path + (block,))
    else:
        b.problem("invalid_principal_block", path, type(raw).__name__)
    return out


def _actions(b: _Builder, path: TreePath, st: dict[str, Any], effect: str) -> dict[str, Any]:
    has_action, has_not = "Action" in st, "NotAction" in st
    if has_action and has_not:
        b.problem("action_and_not_action", path + ("NotAction",))
    if not has_action and not has_not:
        b.problem("missing_action", path)
    element = "Action" if has_action else "NotAction"
    raw = st.get(element)
    element_ref = b.ref("e", path + (element,), element) if element in st else b.ref("e", path, "")
    not_action = has_not and not has_action
    patterns: list[str] = []
    refs: list[str] = []
    unresolved = False
    items = raw if isinstance(raw, list) else [raw] if element in st else []
    for i, item in enumerate(items):
        at = path + ((element, i) if isinstance(raw, list) else (element,))
        if isinstance(item, Unresolved):
            service = _literal_service(item.expression)
            if service is not None:
                # `elasticloadbalancing:${Action}` is some action of that service whatever its
                # value: no assume, admin or escalation rule can turn on it (IAMG-001 only
                # where the unknown decides a rule).
                patterns.append(f"{service}:*")
                refs.append(b.ref("a", at, item.expression))
                continue
            unresolved = True
            b.unknown("action", at, item.expression)
            refs.append(b.ref("a", at, item.expression))
            continue
        text = scalar_text(item)
        if text is None or isinstance(item, bool) or not isinstance(item, str):
            b.problem("invalid_action", at, repr(item)[:40])
            continue
        patterns.append(text)
        refs.append(b.ref("a", at, text))
    grants = {a: act.covers(patterns, a, not_action) for a in act.ASSUME_ACTIONS}
    if unresolved and not not_action:
        # An unknown action may be an assume action: fail closed.
        grants = {a: True for a in grants}
    return {
        "assume_role": grants[act.ASSUME_ROLE] and bool(items),
        "web_identity": grants[act.WEB_IDENTITY] and bool(items),
        "saml": grants[act.SAML] and bool(items),
        "broad": any(act.is_broad(p) for p in patterns),
        "patterns": [engine_token(p.strip().lower()) for p in patterns],
        "not_action": not_action,
        "unresolved": unresolved,
        "ref": element_ref,
        "refs": refs,
    }


_SERVICE_PREFIX = re.compile(r"^([a-z0-9-]+):")
# Services whose actions the rules judge: sts (assuming), iam (admin and escalation).
_JUDGED_SERVICES = frozenset({"sts", "iam"})


def _literal_service(expression: str) -> str | None:
    """The service of an unknown action whose service part is literal and judged by no rule."""
    match = _SERVICE_PREFIX.match(expression.strip().lower())
    if match is None or match.group(1) in _JUDGED_SERVICES:
        return None
    return match.group(1)


def _conditions(b: _Builder, path: TreePath, st: dict[str, Any]) -> list[dict[str, Any]]:
    if "Condition" not in st:
        return []
    raw = st["Condition"]
    cpath = path + ("Condition",)
    if isinstance(raw, Unresolved):
        b.unknown("condition", cpath, raw.expression, "?")
        return [_unknown_condition(b, cpath, raw.expression)]
    if not isinstance(raw, dict):
        b.problem("invalid_condition", cpath, type(raw).__name__)
        return []
    out = []
    for operator, block in raw.items():
        opath = cpath + (operator,)
        if isinstance(block, Unresolved):
            b.unknown("condition", opath, block.expression, "?")
            out.append(_unknown_condition(b, opath, block.expression, operator))
            continue
        if not isinstance(block, dict):
            b.problem("invalid_condition", opath, operator)
            continue
        for key, values in block.items():
            kpath = opath + (key,)
            parsed, well_formed = condition_values(values)
            if not well_formed:
                b.problem("invalid_condition", kpath, key)
            condition = Condition(operator, key, parsed)
            if not condition.known_operator:
                b.problem("invalid_condition", opath, operator)
            if condition.state() == "unresolved":
                qualifier, base, if_exists = condition.parsed
                b.unknown("condition", kpath, key, key.lower(), positive_string=(
                    base in ("stringequals", "stringlike") and not if_exists and qualifier == ""))
            text = ", ".join(v.text for v in parsed)
            out.append({"ref": b.ref("c", kpath, f"{operator} {key} {text}".strip()), **condition.engine_fields()})
    return out


def _unknown_condition(b: _Builder, path: TreePath, expression: str, operator: str = "Unknown") -> dict[str, Any]:
    """A whole condition block that cannot be known: it may restrict anything or nothing."""
    condition = Condition(operator, "?", [])
    fields = condition.engine_fields()
    fields["state"] = "unresolved"
    return {"ref": b.ref("c", path, expression), **fields}


def _resource(facts: ResourceFacts) -> dict[str, Any]:
    """The `resource` section: every text a token, unknown fields named in `unresolved` (with
    "" or {} in their place). It takes no ref, so the document's refs stay as they were."""
    unresolved: set[str] = set()

    def text(field_name: str, value: Any) -> str:
        if isinstance(value, Unresolved):
            unresolved.add(field_name)
            return ""
        return engine_token(scalar_text(value) or "")

    tags: dict[str, str] = {}
    if isinstance(facts.tags, Unresolved):
        unresolved.add("tags")
    else:
        values: dict[str, Any] = {}
        for key, value in facts.tags:
            key_text = scalar_text(key)
            values[engine_token(key_text if key_text is not None else str(key))] = value  # the last one holds
        for key, value in values.items():
            tags[key] = text(f"tags.{key}", value)
    return {
        "format": facts.format,
        "kind": engine_token(facts.kind),
        "address": engine_token(facts.address),
        "name": text("name", facts.name),
        "path": text("path", facts.path),
        "tags": tags,
        "unresolved": sorted(unresolved),
    }


_AWS_MANAGED = re.compile(r"^arn:[a-z-]+:iam::aws:policy/(?:.*/)?([^/]+)\Z")
MIN_SESSION, MAX_SESSION = 3600, 43200


def _role(b: _Builder, role: RoleFacts) -> dict[str, Any]:
    return {
        "ref": b.ref_abs("r", role.base, "role"),
        "max_session": _max_session(b, role),
        "boundary": _permission(b, role.boundary) if role.boundary else {
            "ref": "", "origin": "boundary", "state": "none", "aws_managed": False, "name": "", "arn": "",
            "scanned": False, "statements": []},
        "policies": [_permission(b, p) for p in role.permissions],
    }


def _max_session(b: _Builder, role: RoleFacts) -> dict[str, Any]:
    raw = role.max_session
    ref = b.ref_abs("m", role.max_session_path or role.base, "MaxSessionDuration")
    if raw is None:
        return {"ref": ref, "state": "default", "seconds": MIN_SESSION}
    if isinstance(raw, Unresolved):
        b.unknown_abs("max_session", role.max_session_path, raw.expression)
        return {"ref": ref, "state": "unresolved", "seconds": 0}
    text = scalar_text(raw) or ""
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        value = Decimal("NaN")
    if not value.is_finite():  # "abc", "1e999", "inf"
        b.problem_abs("invalid_max_session", role.max_session_path, text)
        return {"ref": ref, "state": "invalid", "seconds": 0}
    seconds = int(value)
    if not MIN_SESSION <= seconds <= MAX_SESSION:
        b.problem_abs("invalid_max_session", role.max_session_path, text)
        # The engine gets a bounded integer: an out-of-range value is "above the maximum" or
        # "below the minimum", never a number that wraps (9223372036854775808).
        return {"ref": ref, "state": "invalid", "seconds": max(0, min(seconds, MAX_SESSION + 1))}
    return {"ref": ref, "state": "known", "seconds": seconds}


def _permission(b: _Builder, permission: Permission) -> dict[str, Any]:
    where = permission.attached_at or permission.base  # where the policy reaches the role
    ref = b.ref_abs("q", where, permission.label)
    arn, name, aws_managed, state = "", "", False, "known"
    statements: list[dict[str, Any]] = []
    quiet = permission.reported_elsewhere
    what = "boundary" if permission.origin == "boundary" else "policy"
    if isinstance(permission.arn, Unresolved):
        state = "unresolved"
        if not quiet:
            b.unknown_abs(what, where, permission.arn.expression)
    elif isinstance(permission.arn, str):
        arn = permission.arn
        match = _AWS_MANAGED.match(arn.strip())
        aws_managed = match is not None
        name = match.group(1) if match else arn.rsplit("/", 1)[-1]
        if permission.document is None and not aws_managed:
            state = "external"  # a customer-managed policy defined outside this scan
    for problem in () if quiet else permission.problems:
        b.problem_abs(problem.code, problem.path, problem.detail)
    if isinstance(permission.document, Unresolved):
        state = "unresolved"
        if not quiet:
            b.unknown_abs(what, where, permission.document.expression)
    elif isinstance(permission.document, dict) and not any(p.code == "invalid_json" for p in permission.problems):
        saved = (b.base, b.problems, b.unresolved)
        b.base, b.part = permission.base, "permissions"
        if quiet:
            b.problems, b.unresolved = [], []
        try:
            statements = _statements(b, permission.document, "identity")
        finally:
            b.base, b.part = saved[0], "document"
            if quiet:
                b.problems, b.unresolved = saved[1], saved[2]
    # Rules read the ARN of a boundary (allowed_permissions_boundaries) and the name of an
    # AWS-managed policy only: leaving the others out lets roles that differ only by which
    # customer policy they share evaluate once (the engine memo).
    if permission.origin != "boundary" and not aws_managed:
        name, arn = "", ""
    return {"ref": ref, "origin": permission.origin, "state": state, "aws_managed": aws_managed,
            "name": engine_token(name), "arn": engine_token(arn), "scanned": quiet and not permission.on_role,
            "statements": statements}
