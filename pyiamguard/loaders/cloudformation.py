"""CloudFormation and SAM templates (JSON or YAML): every role a template creates.

Each `AWS::IAM::Role` (and each role SAM generates for a function or state machine) gives one
trust PolicySource named by its logical id, with the role's permissions: inline `Policies`,
`ManagedPolicyArns`, `PermissionsBoundary`, `MaxSessionDuration`, and the `AWS::IAM::Policy`,
`ManagedPolicy` and `RolePolicy` resources that name it. Policy resources, inline policies of
roles, users and groups, and SAM inline documents are identity PolicySources of their own.

Intrinsic functions are resolved as CloudFormation would (`intrinsics.py`). What a static scan
cannot decide is evaluated in every variant: each combination of the undecided conditions and
of the `AllowedValues` of the parameters a resource uses gives one PolicySource per variant,
whose `variant` says which; the scanner reports a finding of every variant once, and one of
only some variants with the variant that has it. `Fn::If` thus never hides a branch: an
`sts:ExternalId` condition behind `!If [HasExternalId, ..., !Ref AWS::NoValue]` is judged
both present and absent, the worst case wins. A parameter with a default is taken at its
default and every finding says "assuming the default"; one without, an SSM parameter, an
import or a nested stack output is Unresolved (IAMG-001 where a decision depends on it).

Paths: a resolved document is described in its own namespace (paths start with `RESOLVED`),
and `PolicySource.source_path` turns them back into the file's paths, through the moves the
resolver recorded (the `Fn::If` branch taken, list elements shifted by a removed
`AWS::NoValue`). A document parsed from JSON text sits under the string's path: at the
string's line, or at each node's own line when the text is a YAML literal block. Parse problems of the file (duplicate keys, octal numbers) are handed over
explicitly, each at its exact file path, and only when they are in the variant's branches.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterator

from ..normalize.policy import NormalizeContext, Permission, RoleFacts
from ..normalize.values import Unresolved, has_placeholder
from .iam import Identity, PolicySource, identity_from_arn
from .intrinsics import NO_VALUE, OPEN, Choice, NeedChoice, Resolver, Template, describe, is_intrinsic, variants
from .json_source import duplicate_problems, json_marks, parse_json_text
from .source import InputError, Problem, SourceFile, TreePath

ROLE = "AWS::IAM::Role"
SAM_FUNCTION = "AWS::Serverless::Function"
SAM_STATE_MACHINE = "AWS::Serverless::StateMachine"
_LINKING = {
    # type: (property naming the role(s), origin of the permission it gives the role)
    "AWS::IAM::Policy": ("Roles", "role_policy"),
    "AWS::IAM::ManagedPolicy": ("Roles", "attachment"),
    "AWS::IAM::RolePolicy": ("RoleName", "role_policy"),
}
_POLICY_RESOURCES = tuple(_LINKING) + ("AWS::IAM::UserPolicy", "AWS::IAM::GroupPolicy")
_SAM_SERVICES = {SAM_FUNCTION: "lambda.amazonaws.com", SAM_STATE_MACHINE: "states.amazonaws.com"}
_SAM_GLOBALS = {SAM_FUNCTION: "Function"}
# Function properties SAM takes from `Globals: Function:` (Policies is not one of them).
_SAM_GLOBAL_KEYS = ("AssumeRolePolicyDocument", "PermissionsBoundary")
_RULE_ID = re.compile(r"^IAMG-\d{3}$")


class _Resolved:
    """The first step of a path in a resolved document's namespace."""

    def __repr__(self) -> str:
        return "RESOLVED"


RESOLVED: Any = _Resolved()
_MISSING: Any = object()


@dataclass(frozen=True)
class _Exact:
    """A path step that stands for an exact path of the file (a parse problem, a generated
    document): whatever follows it is located there."""

    path: TreePath


def _in(path: TreePath) -> TreePath:
    return (RESOLVED,) + tuple(path)


def source_path_function(moves: dict[TreePath, TreePath]) -> Callable[[TreePath], TreePath]:
    """Resolved path -> path in the file: the longest moved prefix is replaced by where its
    node sits in the file; paths inside a document parsed from a string stay under the
    string's path (located at the string's line)."""
    frozen = dict(moves)

    def source_path(path: TreePath) -> TreePath:
        if not path or path[0] is not RESOLVED:
            return path
        for step in reversed(path):
            if isinstance(step, _Exact):
                return step.path
        rest = tuple(path[1:])
        for k in range(len(rest), 0, -1):
            hit = frozen.get(rest[:k])
            if hit is not None:
                return hit + rest[k:]
        return rest

    return source_path


def _own_account_placeholder(text: str) -> str:
    """What AWS::AccountId stands for when the own account is not configured.

    The stack's account is unknown but certainly the role's own: `${AWS::AccountId}` must never
    be judged cross-account (rules spec D.30). The model carries accounts as 12-digit ids, so
    it becomes a 12-digit token that the loader adds to the document's own accounts; 000000000000
    is no real account, and a template that writes it literally gets another token, so a
    literal account is never mistaken for the own one. Messages quote the token, and a note
    says what it stands for.

    The token joins the own accounts only of trust documents that mention it: elsewhere the own
    account stays unknown, so findings on literal accounts keep saying "account of the role
    unknown". (A configured own account is used instead, and always: it is known.) Where the
    token is an own account, a literal federation provider ARN of another account is judged
    foreign to it (IAMG-102), as it would be with a configured own account."""
    for n in range(1000):
        candidate = f"{n:012d}"
        if candidate not in text:
            return candidate
    return "000000000000"  # a template naming the first thousand ids: practically never


@dataclass
class _Draft:
    """A PolicySource of one variant, before the variant's notes and context are known."""

    source: PolicySource
    notes: list[str] = field(default_factory=list)


class _AllOpen(dict):  # type: ignore[type-arg]
    """Choices for lookups outside a variant (linking policies to roles): every one open."""

    def __contains__(self, key: object) -> bool:
        return True

    def __getitem__(self, key: Any) -> Any:
        return OPEN


def cloudformation_sources(source: SourceFile, own_accounts: tuple[str, ...] = ()) -> Iterator[PolicySource]:
    """Every trust policy (one per role and variant) and identity policy of a template.

    `own_accounts`: the configured own accounts; the first stands for AWS::AccountId."""
    if not isinstance(source.root, dict):
        raise InputError("a CloudFormation template must be a mapping")
    yield from _Loader(source, tuple(own_accounts)).sources()


class _Loader:
    def __init__(self, source: SourceFile, own_accounts: tuple[str, ...]) -> None:
        self.source = source
        self.template = Template.from_root(source.root, source.problems)
        self.own_accounts = own_accounts
        self.account = own_accounts[0] if own_accounts else _own_account_placeholder(source.text)
        self.links, self.external = self._links()

    def resolver(self, choices: dict[Choice, Any]) -> Resolver:
        return Resolver(self.template, choices, self.account)

    # --- the resources --------------------------------------------------------------------

    def sources(self) -> Iterator[PolicySource]:
        resources = self.source.root.get("Resources")
        if not isinstance(resources, dict):
            return
        for logical_id, resource in resources.items():
            if logical_id.startswith("Fn::ForEach::"):
                yield from self._for_each(logical_id, resource)
                continue
            if not isinstance(resource, dict):
                continue
            kind = str(resource.get("Type", ""))
            if kind == ROLE:
                run: Callable[[Resolver], list[_Draft]] = lambda r, i=logical_id: self._role(r, i)
            elif kind in _SAM_SERVICES:
                run = lambda r, i=logical_id, k=kind: self._sam(r, i, k)
            elif kind in _POLICY_RESOURCES:
                run = lambda r, i=logical_id: self._policy_resource(r, i)
            elif kind in ("AWS::IAM::User", "AWS::IAM::Group"):
                run = lambda r, i=logical_id: self._principal_policies(r, i)
            else:
                continue
            initial = self._exists(resource)
            if initial is None:
                continue
            yield from self._variants(logical_id, run, initial)

    def _exists(self, resource: dict[str, Any]) -> dict[Choice, Any] | None:
        """The resource's own `Condition`: None when it is false whatever the deployer
        chooses (the resource is never created), else a choice fixing it true."""
        name = resource.get("Condition")
        if not isinstance(name, str):
            return {}
        try:
            decided = self.resolver({}).condition(name)
        except NeedChoice:  # it depends on the deployment
            decided = None
        if decided is False:
            return None
        return {("condition", name): True}

    def _variants(self, logical_id: str, run: Callable[[Resolver], list[_Draft]],
                  initial: dict[Choice, Any]) -> Iterator[PolicySource]:
        runs = list(variants(run, self.resolver, initial))
        several = len(runs) > 1
        for resolver, drafts in runs:
            resolver.used -= set(initial)
            label = describe(resolver) if several else ""
            mapper = source_path_function(resolver.moves)
            notes = self._default_notes(resolver)
            for draft in drafts:
                policy = draft.source
                context = policy.context
                extra: list[str] = []
                if policy.kind == "trust":
                    own = self._own_accounts_of(policy.document)
                    context = replace(context, own_accounts=own)
                    if own and not self.own_accounts:
                        extra.append(f"{self.account} stands for the stack's own account, AWS::AccountId")
                problems = tuple(p for p in policy.problems if not self._dropped(resolver, p.path)) + tuple(
                    Problem("octal_number", policy.base + (_Exact(at),), str(_node_at(self.source.root, at)))
                    for at in sorted(resolver.octal, key=str))
                yield replace(policy, context=context, problems=problems, variant=label, source_path=mapper,
                              note="; ".join(notes + draft.notes + extra), secrets=frozenset(resolver.secrets))

    def _default_notes(self, resolver: Resolver) -> list[str]:
        if not resolver.defaults:
            return []
        shown = []
        for name, value in sorted(resolver.defaults.items()):
            secret = str(self.template.parameters.get(name, {}).get("NoEcho", "")).lower() == "true"
            shown.append(name if secret else f"{name} = {value!r}")
        word = "parameter" if len(shown) == 1 else "parameters"
        return [f"assuming the default of {word} {', '.join(shown)}"]

    def _own_accounts_of(self, document: Any) -> tuple[str, ...]:
        if self.own_accounts:
            return self.own_accounts
        return (self.account,) if _mentions(document, self.account) else ()

    def _dropped(self, resolver: Resolver, path: TreePath) -> bool:
        """A file problem inside an Fn::If branch this variant does not take."""
        if not path or not isinstance(path[-1], _Exact):
            return False
        exact = path[-1].path
        return any(exact[:len(d)] == d for d in resolver.dropped)

    def _file_problems(self, base: TreePath, within: Callable[[TreePath], bool]) -> tuple[Problem, ...]:
        """The file's parse problems that `within` accepts, located exactly, under `base`."""
        return tuple(Problem(p.code, base + (_Exact(p.path),), p.detail) for p in self.source.problems if within(p.path))

    # --- documents --------------------------------------------------------------------------

    def _document(self, r: Resolver, value: Any, at: TreePath) -> tuple[Any, tuple[Problem, ...]]:
        """A resolved policy document: an object, or JSON text (parsed after resolution)."""
        base = _in(at)
        if value is _MISSING or value is NO_VALUE:
            return None, ()
        if isinstance(value, Unresolved) and value.expression.lstrip().startswith("{"):
            # `Fn::Sub` over JSON text with a value not known statically: the text holds
            # `${...}` holes; every string holding one is an unresolved value.
            try:
                document = parse_json_text(value.expression)
            except InputError:
                return value, ()
            self._mark_text(r, at, value.expression)
            return _holes(document), tuple(Problem(p.code, base + p.path, p.detail) for p in duplicate_problems(document))
        if isinstance(value, str):
            try:
                document = parse_json_text(value)
            except InputError as exc:
                return {}, (Problem("invalid_json", base, str(exc)),)
            self._mark_text(r, at, value)
            return document, tuple(Problem(p.code, base + p.path, p.detail) for p in duplicate_problems(document))
        return value, ()

    def _mark_text(self, r: Resolver, at: TreePath, text: str) -> None:
        """Lines inside a document written as JSON text in a YAML literal block scalar (`|`,
        also under `!Sub`): its lines are the file's lines, so each node gets its own line.
        Any other form (a one-line or folded string, a substitution adding lines) keeps the
        string's line."""
        marks = self.source._marks
        if self.source.format != "yaml" or marks is None:
            return
        at_file = source_path_function(r.moves)(_in(at))
        raw = _node_at(self.source.root, at_file)
        if isinstance(raw, dict) and set(raw) == {"Fn::Sub"}:
            raw = raw["Fn::Sub"][0] if isinstance(raw["Fn::Sub"], list) and raw["Fn::Sub"] else raw["Fn::Sub"]
        if not isinstance(raw, str) or raw.count("\n") != text.count("\n") or "\n" not in raw.rstrip("\n"):
            return
        start = self.source.locate(at_file)[0]
        top = _block_position(self.source.text, raw, (start or 1) - 1)
        if top is None:
            return
        line0, indent = top
        for rel, (line, column) in json_marks(text).items():
            marks.setdefault(at_file + rel, (line0 + line, indent + column))

    def _resolve(self, r: Resolver, props: dict[str, Any], at: TreePath, key: str) -> Any:
        return r.value(props[key], at + (key,)) if key in props else _MISSING

    # --- roles --------------------------------------------------------------------------------

    def _role(self, r: Resolver, logical_id: str) -> list[_Draft]:
        at = ("Resources", logical_id, "Properties")
        props = self.template.properties(logical_id)
        trust, problems = self._document(r, self._resolve(r, props, at, "AssumeRolePolicyDocument"),
                                         at + ("AssumeRolePolicyDocument",))
        permissions, identity = self._inline(r, logical_id, self._resolve(r, props, at, "Policies"), at + ("Policies",))
        permissions += self._managed_arns(r, self._resolve(r, props, at, "ManagedPolicyArns"), at + ("ManagedPolicyArns",))
        permissions += self._linked(r, logical_id)
        boundary = self._boundary(r, self._resolve(r, props, at, "PermissionsBoundary"), at + ("PermissionsBoundary",))
        max_session = self._resolve(r, props, at, "MaxSessionDuration")
        role = RoleFacts(base=_in(("Resources", logical_id)), permissions=tuple(permissions), boundary=boundary,
                         max_session=None if max_session in (_MISSING, NO_VALUE) else max_session,
                         max_session_path=_in(at + ("MaxSessionDuration",)))
        inline_paths = self._inline_source_paths(r, identity)
        base = _in(at + ("AssumeRolePolicyDocument",))
        problems += self._file_problems(base, lambda p: _of_resource(p, logical_id)
                                        and not any(p[:len(q)] == q for q in inline_paths))
        trust_source = PolicySource(logical_id, base, trust, "trust", problems=problems, role=role,
                                    identity=self._identity(r, logical_id, "role", "RoleName"))
        return [_Draft(trust_source)] + identity

    def _inline_source_paths(self, r: Resolver, identity: list[_Draft]) -> list[TreePath]:
        mapper = source_path_function(r.moves)
        return [mapper(d.source.base) for d in identity]

    def _inline(self, r: Resolver, owner: str, value: Any, at: TreePath) -> tuple[list[Permission], list[_Draft]]:
        """`Policies: [{PolicyName, PolicyDocument}]` of a role, user or group: a permission
        of the role, and an identity PolicySource of its own (named by the owner)."""
        if value is _MISSING or value is NO_VALUE:
            return [], []
        if isinstance(value, Unresolved):
            return [Permission("inline", value.expression, _in(at), value)], []
        permissions: list[Permission] = []
        identity: list[_Draft] = []
        mapper = source_path_function(r.moves)
        for j, item in enumerate(value if isinstance(value, list) else [value]):
            item_at = at + (j,) if isinstance(value, list) else at
            if isinstance(item, Unresolved):
                permissions.append(Permission("inline", item.expression, _in(item_at), item))
                continue
            if not isinstance(item, dict):
                continue
            name = item.get("PolicyName") if isinstance(item.get("PolicyName"), str) else f"Policies[{j}]"
            doc_at = item_at + ("PolicyDocument",)
            document, problems = self._document(r, item.get("PolicyDocument", _MISSING), doc_at)
            base = _in(doc_at)
            in_file = mapper(base)
            file_problems = self._file_problems(base, lambda p, q=in_file: p[:len(q)] == q)
            identity.append(_Draft(PolicySource(owner, base, document, "identity", problems=problems + file_problems)))
            permissions.append(Permission("inline", name, base, document, problems=problems, reported_elsewhere=True))
        return permissions, identity

    def _managed_arns(self, r: Resolver, value: Any, at: TreePath) -> list[Permission]:
        if value is _MISSING or value is NO_VALUE:
            return []
        if isinstance(value, Unresolved):
            return [Permission("managed", value.expression, _in(at), arn=value)]
        out = []
        for j, arn in enumerate(value if isinstance(value, list) else [value]):
            item_at = _in(at + (j,) if isinstance(value, list) else at)
            if isinstance(arn, Unresolved):
                out.append(Permission("managed", arn.expression, item_at, arn=arn))
            elif isinstance(arn, str):
                out.append(self._by_arn(r, arn, "managed", item_at))
        return out

    def _boundary(self, r: Resolver, value: Any, at: TreePath) -> Permission | None:
        if value is _MISSING or value is NO_VALUE:
            return None
        if isinstance(value, Unresolved):
            return Permission("boundary", value.expression, _in(at), arn=value)
        if isinstance(value, str) and value:
            return self._by_arn(r, value, "boundary", _in(at))
        return None

    def _by_arn(self, r: Resolver, arn: str, origin: str, base: TreePath) -> Permission:
        """A managed policy by ARN, with its document when the template defines it."""
        if "managed" not in r.cache:
            r.cache["managed"] = {r.arn(logical_id): logical_id for logical_id, resource in self.template.resources.items()
                                  if resource.get("Type") == "AWS::IAM::ManagedPolicy"}
        logical_id = r.cache["managed"].get(arn)
        if logical_id is not None:
            document, problems = self._policy_document(r, logical_id)
            return Permission(origin, logical_id, _in(("Resources", logical_id, "Properties", "PolicyDocument")),
                              document, arn=arn, problems=problems, reported_elsewhere=True)
        return Permission(origin, arn, base, None, arn=arn)

    def _policy_document(self, r: Resolver, logical_id: str) -> tuple[Any, tuple[Problem, ...]]:
        at = ("Resources", logical_id, "Properties")
        return self._document(r, self._resolve(r, self.template.properties(logical_id), at, "PolicyDocument"),
                              at + ("PolicyDocument",))

    def _linked(self, r: Resolver, role: str) -> list[Permission]:
        out = []
        for policy, origin in self.links.get(role, []):
            document, problems = self._policy_document(r, policy)
            out.append(Permission(origin, policy, _in(("Resources", policy, "Properties", "PolicyDocument")), document,
                                  arn=r.arn(policy) if origin == "attachment" else None,
                                  problems=problems, reported_elsewhere=True))
        return out

    def _links(self) -> tuple[dict[str, list[tuple[str, str]]], set[str]]:
        """Role logical id -> the policy resources that name it, and the policy resources that
        name a role the template does not create (or one it cannot tell)."""
        r = Resolver(self.template, _AllOpen(), self.account)
        roles: dict[str, str | None] = {
            logical_id: r._name(logical_id, "RoleName").lower()
            for logical_id, resource in self.template.resources.items() if resource.get("Type") == ROLE}
        # The role SAM generates for a function is `<Function>Role`, named only by `!Ref`.
        roles.update({f"{logical_id}Role": None for logical_id, resource in self.template.resources.items()
                      if str(resource.get("Type", "")) in _SAM_SERVICES and "Role" not in self.template.properties(logical_id)})
        links: dict[str, list[tuple[str, str]]] = {}
        external: set[str] = set()
        by_name: dict[str, list[str]] = {}  # role name -> logical ids: linking stays linear
        for role, name in roles.items():
            if name is not None:
                by_name.setdefault(name, []).append(role)
        for logical_id, resource in self.template.resources.items():
            kind = str(resource.get("Type", ""))
            if kind not in _LINKING:
                continue
            key, origin = _LINKING[kind]
            props = self.template.properties(logical_id)
            if key not in props:
                continue
            for target in _role_targets(r, props[key], ("Resources", logical_id, "Properties", key), set(roles)):
                kind_of, value = target
                named = ([value] if value in roles else []) if kind_of == "id" else list(by_name.get(value, []))
                for role in named:
                    if (logical_id, origin) not in links.setdefault(role, []):
                        links[role].append((logical_id, origin))
                if not named:
                    external.add(logical_id)
        return links, external

    # --- SAM ------------------------------------------------------------------------------------

    def _sam(self, r: Resolver, logical_id: str, kind: str) -> list[_Draft]:
        """The role SAM generates for a function or state machine that names none."""
        at = ("Resources", logical_id, "Properties")
        props = self.template.properties(logical_id)
        if "Role" in props and r.value(props["Role"], at + ("Role",)) is not NO_VALUE:
            return []  # an existing role: SAM creates none (a role of the template is scanned itself)
        section = self.template.globals.get(_SAM_GLOBALS.get(kind, ""))
        global_props = section if isinstance(section, dict) else {}

        def prop(key: str) -> Any:
            if key in props:
                return r.value(props[key], at + (key,))
            if key in _SAM_GLOBAL_KEYS and key in global_props:
                return r.value(global_props[key], ("Globals", _SAM_GLOBALS[kind], key), at + (key,))
            return _MISSING

        trust_at = at + ("AssumeRolePolicyDocument",)
        trust, problems = self._document(r, prop("AssumeRolePolicyDocument"), trust_at)
        trust_base = _in(trust_at)
        if trust is None:
            trust = {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": [_SAM_SERVICES[kind]]}, "Action": ["sts:AssumeRole"]}]}
            trust_base = _in(("Resources", logical_id)) + (_Exact(("Resources", logical_id)),)  # generated
        notes: list[str] = []
        permissions: list[Permission] = []
        identity: list[_Draft] = []
        policies = prop("Policies")
        items: list[Any] = [] if policies in (_MISSING, NO_VALUE) else policies if isinstance(policies, list) else [policies]
        mapper = source_path_function(r.moves)
        for j, item in enumerate(items):
            item_at = at + ("Policies", j) if isinstance(policies, list) else at + ("Policies",)
            if isinstance(item, Unresolved):
                permissions.append(Permission("managed", item.expression, _in(item_at), arn=item))
            elif isinstance(item, str):
                # A managed policy name (AWS-managed: SAM turns it into its ARN) or an ARN.
                arn = item if item.startswith("arn:") else f"arn:aws:iam::aws:policy/{item}"
                permissions.append(self._by_arn(r, arn, "managed", _in(item_at)))
            elif isinstance(item, dict) and "Statement" in item:
                base = _in(item_at)
                document, doc_problems = self._document(r, item, item_at)
                in_file = mapper(base)
                file_problems = self._file_problems(base, lambda p, q=in_file: p[:len(q)] == q)
                identity.append(_Draft(PolicySource(logical_id, base, document, "identity",
                                                    problems=doc_problems + file_problems)))
                permissions.append(Permission("inline", f"Policies[{j}]", base, document, reported_elsewhere=True))
            elif isinstance(item, dict) and len(item) == 1:
                notes.append(f"SAM policy template {next(iter(item))} not evaluated")
        permissions += self._linked(r, f"{logical_id}Role")
        boundary = self._boundary(r, prop("PermissionsBoundary"), at + ("PermissionsBoundary",))
        role = RoleFacts(base=_in(("Resources", logical_id)), permissions=tuple(permissions), boundary=boundary,
                         max_session_path=_in(("Resources", logical_id)))
        problems += self._file_problems(trust_base, lambda p: _of_resource(p, logical_id) and p[3:4] in (
            ("AssumeRolePolicyDocument",), ("PermissionsBoundary",), ()))
        # SAM names the role it generates, so its ARN is meaningful only inside this template.
        generated = identity_from_arn(r.arn(f"{logical_id}Role"), "role", local=True, account_known=bool(self.own_accounts))
        trust_source = PolicySource(logical_id, trust_base, trust, "trust", problems=problems, role=role,
                                    identity=generated)
        return [_Draft(trust_source, notes)] + [replace(d, notes=notes) for d in identity]

    # --- identity policies ------------------------------------------------------------------------

    def _policy_resource(self, r: Resolver, logical_id: str) -> list[_Draft]:
        document, problems = self._policy_document(r, logical_id)
        base = _in(("Resources", logical_id, "Properties", "PolicyDocument"))
        problems += self._file_problems(base, lambda p: _of_resource(p, logical_id))
        # A policy for a role the template does not create: the role's trust is unknown.
        context = NormalizeContext(owner="role" if logical_id in self.external else "")
        return [_Draft(PolicySource(logical_id, base, document, "identity", context=context, problems=problems))]

    def _principal_policies(self, r: Resolver, logical_id: str) -> list[_Draft]:
        at = ("Resources", logical_id, "Properties")
        props = self.template.properties(logical_id)
        _, identity = self._inline(r, logical_id, self._resolve(r, props, at, "Policies"), at + ("Policies",))
        if self.template.resource_type(logical_id) == "AWS::IAM::User":
            user = self._identity(r, logical_id, "user", "UserName")
            identity = [replace(d, source=replace(d.source, identity=user)) for d in identity]
        return identity

    def _identity(self, r: Resolver, logical_id: str, kind: str, name_key: str) -> Identity | None:
        """The ARN of a role or user of the template. Without a configured own account the
        stack's account is a placeholder, and without a literal name CloudFormation generates
        one: the ARN then names the resource only inside this template."""
        props = self.template.properties(logical_id)
        named = isinstance(props.get(name_key), str) or (
            name_key in props and isinstance(r.value(props[name_key], ("Resources", logical_id, "Properties", name_key)), str))
        return identity_from_arn(r.arn(logical_id), kind, local=not self.own_accounts or not named,
                                 account_known=bool(self.own_accounts))

    def _for_each(self, key: str, value: Any) -> Iterator[PolicySource]:
        """`Fn::ForEach` (AWS::LanguageExtensions) generates resources; they are not expanded."""
        text = repr(value)
        if ROLE in text or SAM_FUNCTION in text or SAM_STATE_MACHINE in text:
            yield PolicySource(key, _in(("Resources", key)), Unresolved(key, "resources generated by Fn::ForEach"),
                               "trust", source_path=source_path_function({}))


def _of_resource(path: TreePath, logical_id: str) -> bool:
    """A file problem of the resource: its logical id (duplicated) or its properties."""
    return path[:2] == ("Resources", logical_id) and (len(path) == 2 or path[2] == "Properties")


def _role_targets(r: Resolver, node: Any, at: TreePath, roles: set[str]) -> set[tuple[str, str]]:
    """What a `Roles`/`RoleName` value may name: ("id", logical id) for `!Ref Role`,
    ("name", lower-cased name) for a name, ("unknown", "") when it cannot be told. Both
    branches of an `Fn::If` count: linking the role in either is the worst case."""
    if isinstance(node, dict) and set(node) == {"Ref"} and isinstance(node["Ref"], str) and node["Ref"] in roles:
        return {("id", node["Ref"])}
    if isinstance(node, dict) and set(node) == {"Fn::If"} and isinstance(node["Fn::If"], list) and len(node["Fn::If"]) == 3:
        branches = node["Fn::If"]
        return (_role_targets(r, branches[1], at + ("Fn::If", 1), roles)
                | _role_targets(r, branches[2], at + ("Fn::If", 2), roles))
    if isinstance(node, list):
        out: set[tuple[str, str]] = set()
        for i, item in enumerate(node):
            out |= _role_targets(r, item, at + (i,), roles)
        return out
    value = r.value(node, at) if is_intrinsic(node) else node
    if isinstance(value, list):
        return {("name", v.lower()) if isinstance(v, str) else ("unknown", "") for v in value}
    if isinstance(value, str):
        return {("name", value.lower())}
    if value is NO_VALUE:
        return set()
    return {("unknown", "")}


def _node_at(root: Any, path: TreePath) -> Any:
    node = root
    for step in path:
        if isinstance(node, dict) and step in node:
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
        else:
            return None
    return node


def _block_position(text: str, raw: str, from_line: int) -> tuple[int, int] | None:
    """(0-based line of the block's first line, its indentation) when the lines of `raw`
    appear verbatim, one for one, in `text` within a few lines after `from_line`."""
    lines = text.split("\n")
    block = raw.split("\n")
    if block and block[-1] == "":
        block = block[:-1]
    first = next((i for i, line in enumerate(block) if line.strip()), None)
    if first is None:
        return None
    for candidate in range(from_line, min(from_line + 4, len(lines))):
        found = lines[candidate]
        if found.strip() != block[first].strip():
            continue
        indent = len(found) - len(found.lstrip()) - (len(block[first]) - len(block[first].lstrip()))
        top = candidate - first
        if indent < 0 or top < 0 or top + len(block) > len(lines):
            continue
        if all(lines[top + i][indent:] == line and not lines[top + i][:indent].strip() if line else not lines[top + i].strip()
               for i, line in enumerate(block)):
            return top, indent
    return None


def _mentions(value: Any, text: str) -> bool:
    if isinstance(value, str):
        return text in value
    if isinstance(value, dict):
        return any(_mentions(v, text) for v in value.values())
    if isinstance(value, list):
        return any(_mentions(v, text) for v in value)
    return False


def _holes(value: Any) -> Any:
    """Strings of a document parsed from text with `${...}` holes become Unresolved values."""
    if isinstance(value, dict):
        return {k: _holes(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_holes(v) for v in value]
    if isinstance(value, str) and has_placeholder(value):
        return Unresolved(value, "part of the string is not known statically")
    return value


# --- suppressions in the template ---------------------------------------------------------------


def template_suppressions(source: SourceFile, rule_ids: frozenset[str] | None = None
                          ) -> tuple[dict[str, dict[str, str]], list[str]]:
    """`Metadata: {pyiamguard: {ignore: [{rule: IAMG-103, reason: ...}]}}` on a resource:
    logical id -> {rule id: reason}, and the errors of malformed entries (an entry without a
    reason, or naming no rule of `rule_ids`, suppresses nothing)."""
    out: dict[str, dict[str, str]] = {}
    errors: list[str] = []
    resources = source.root.get("Resources") if isinstance(source.root, dict) else None
    for logical_id, resource in (resources or {}).items() if isinstance(resources, dict) else ():
        metadata = resource.get("Metadata") if isinstance(resource, dict) else None
        if not isinstance(metadata, dict) or "pyiamguard" not in metadata:
            continue
        at = ("Resources", logical_id, "Metadata", "pyiamguard")
        settings = metadata["pyiamguard"]
        ignore = settings.get("ignore") if isinstance(settings, dict) else None
        if not isinstance(ignore, list):
            errors.append(f"{logical_id}: Metadata.pyiamguard (line {source.locate(at)[0]}) must be a mapping "
                          "with an `ignore` list of {rule, reason}")
            continue
        for i, entry in enumerate(ignore):
            line = source.locate(at + ("ignore", i))[0]
            rule = entry.get("rule") if isinstance(entry, dict) else None
            reason = entry.get("reason") if isinstance(entry, dict) else None
            if not isinstance(rule, str) or not _RULE_ID.match(rule.strip()):
                errors.append(f"{logical_id}: the suppression at line {line} needs a rule id like IAMG-103; "
                              "it suppresses nothing")
            elif rule_ids is not None and rule.strip() not in rule_ids:
                errors.append(f"{logical_id}: the suppression at line {line} names {rule.strip()}, which is not a rule; "
                              "it suppresses nothing")
            elif not isinstance(reason, str) or not reason.strip():
                errors.append(f"{logical_id}: the suppression of {rule.strip()} at line {line} needs a reason; "
                              "it suppresses nothing")
            else:
                out.setdefault(logical_id, {})[rule.strip()] = " ".join(reason.split())
    return out, errors


__all__ = ["cloudformation_sources", "template_suppressions", "RESOLVED"]
