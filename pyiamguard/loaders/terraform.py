"""Terraform plan JSON (`terraform show -json tfplan`, OpenTofu too) and `show -json` state.

The final state of each resource is read from `resource_changes[].change.after` with
`after_unknown` (planned_values drops unknown values, so a trust policy known only after apply
would look absent). Data sources read during plan live only in `prior_state`; deferred ones
only in `resource_changes` as `read` with their `json` unknown. Anything that cannot be known
statically becomes an `Unresolved` value, which the rules report as IAMG-001: never a pass.
"""
from __future__ import annotations

import re

from dataclasses import dataclass, field, replace
from typing import Any, Iterator

from ..normalize.policy import NormalizeContext, Permission, ResourceFacts, RoleFacts
from ..normalize.values import Unresolved, is_account_id, scalar_text
from .iam import Identity, PolicySource, identity_from_arn
from .json_source import duplicate_problems, parse_json_text
from .source import InputError, Problem, SourceFile, TreePath, dict_at, list_at

ROLE = "aws_iam_role"
POLICY_DOCUMENT = "aws_iam_policy_document"
# Resources holding an identity policy in `policy`: evaluated as identity documents.
IDENTITY_POLICY_TYPES = ("aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy")
_SKIPPED_ACTIONS = ({"delete"}, {"forget"}, {"delete", "forget"})


@dataclass
class _Resource:
    """A resource instance from resource_changes, prior_state or state values."""

    address: str
    mode: str
    type: str
    after: dict[str, Any]
    unknown: Any
    path: TreePath  # tree path of the object holding the attributes
    actions: tuple[str, ...] = ()
    index: Any = None
    sensitive: Any = None  # after_sensitive: true marks values that must not be quoted


@dataclass
class _Plan:
    source: SourceFile
    config: dict[str, dict[str, Any]] = field(default_factory=dict)  # config address -> resource config
    changes: list[_Resource] = field(default_factory=list)
    prior: dict[str, _Resource] = field(default_factory=dict)
    callers: dict[str, str] = field(default_factory=dict)  # provider config key -> account id
    # Indexes, so linking stays linear in the number of resources.
    by_base: dict[str, list[_Resource]] = field(default_factory=dict)  # address without keys -> instances
    roles_by_name: dict[str, list[_Resource]] = field(default_factory=dict)  # lower-case role name -> roles
    policies_by_arn: dict[str, _Resource] = field(default_factory=dict)

    def index_resources(self) -> None:
        seen: set[str] = set()
        for resource in self.changes + list(self.prior.values()):
            if resource.address not in seen:  # a change wins over its prior_state copy
                seen.add(resource.address)
                self.by_base.setdefault(strip_instance_keys(resource.address), []).append(resource)
        for resource in self.changes:
            name = resource.after.get("name")
            if resource.type == ROLE and isinstance(name, str):
                self.roles_by_name.setdefault(name.lower(), []).append(resource)
            arn = resource.after.get("arn")
            if resource.type == "aws_iam_policy" and isinstance(arn, str):
                self.policies_by_arn.setdefault(arn, resource)


def is_terraform(root: Any) -> bool:
    return isinstance(root, dict) and "format_version" in root and any(
        k in root for k in ("resource_changes", "planned_values", "values", "prior_state"))


def strip_instance_keys(address: str) -> str:
    """`module.a["x"].aws_iam_role.r["a.b[c]"]` -> `module.a.aws_iam_role.r` (keys may hold anything)."""
    return ".".join(segment.split("[", 1)[0] for segment in address_segments(address))


# A well-formed address segment: a name with instance keys, each a number or a quoted string.
_SEGMENT = re.compile(r'(?:[^.\["\]]+|\["(?:[^"\\]|\\.)*"\]|\[[0-9]*\])+')


def address_segments(address: str) -> list[str]:
    """Split an address on the dots outside instance keys: `a["x.y"].b` -> [`a["x.y"]`, `b`]."""
    segments = _SEGMENT.findall(address)  # one pass in C for the usual address
    if segments and ".".join(segments) == address:
        return segments
    return _address_segments_by_char(address)


def _address_segments_by_char(address: str) -> list[str]:
    segments, current = [], []
    depth, quoted, escaped = 0, False, False
    for char in address:
        if quoted:
            current.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
            continue
        if char == '"' and depth:
            quoted = True
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == "." and not depth:
            segments.append("".join(current))
            current = []
            continue
        current.append(char)
    segments.append("".join(current))
    return segments


def module_instance(address: str) -> str:
    """`module.a["x"].module.b.aws_iam_role.r["k"]` -> `module.a["x"].module.b.` (keys kept)."""
    segments = address_segments(address)
    prefix: list[str] = []
    while len(segments) >= 2 and segments[0] == "module":
        prefix += segments[:2]
        segments = segments[2:]
    return ".".join(prefix) + "." if prefix else ""


def _module_prefix(address: str) -> str:
    """`module.a.module.b.aws_iam_role.r` -> `module.a.module.b.` (keys already stripped)."""
    parts = address.split(".")
    prefix = []
    i = 0
    while i + 1 < len(parts) and parts[i] == "module":
        prefix += parts[i:i + 2]
        i += 2
    return ".".join(prefix) + "." if prefix else ""


def _unknown_at(unknown: Any, *steps: Any) -> bool:
    """True when after_unknown holds a literal true at the path or an ancestor."""
    node = unknown
    for step in steps:
        if node is True:
            return True
        if isinstance(node, dict):
            node = node.get(step)
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
        else:
            return False
    return node is True


def _walk_values(module: Any, path: TreePath) -> Iterator[tuple[dict[str, Any], TreePath]]:
    """Resources of a values representation (planned_values, prior_state, show state), recursively."""
    if not isinstance(module, dict):
        return
    for i, resource in enumerate(list_at(module, "resources")):
        if isinstance(resource, dict):
            yield resource, path + ("resources", i)
    for i, child in enumerate(list_at(module, "child_modules")):
        yield from _walk_values(child, path + ("child_modules", i))


def _walk_config(module: Any, prefix: str, out: dict[str, dict[str, Any]]) -> None:
    if not isinstance(module, dict):
        return
    for resource in list_at(module, "resources", "configuration: "):
        if isinstance(resource, dict) and isinstance(resource.get("address"), str):
            entry = dict(resource)
            entry["_prefix"] = prefix
            out[prefix + resource["address"]] = entry
    for name, call in dict_at(module, "module_calls", "configuration: ").items():
        if isinstance(call, dict):
            _walk_config(call.get("module"), f"{prefix}module.{name}.", out)


def _index(source: SourceFile) -> _Plan:
    root = source.root
    plan = _Plan(source)
    configuration = root.get("configuration")
    if isinstance(configuration, dict):
        _walk_config(configuration.get("root_module"), "", plan.config)
    for i, change in enumerate(list_at(root, "resource_changes")):
        if not isinstance(change, dict) or change.get("deposed"):
            continue  # deposed objects are always being destroyed
        body = change.get("change") if isinstance(change.get("change"), dict) else {}
        actions = tuple(a for a in list_at(body, "actions", f"resource_changes[{i}].change.") if isinstance(a, str))
        if set(actions) in _SKIPPED_ACTIONS:
            continue
        after = body.get("after")
        plan.changes.append(_Resource(
            address=str(change.get("address", "")), mode=str(change.get("mode", "managed")),
            type=str(change.get("type", "")), after=after if isinstance(after, dict) else {},
            unknown=body.get("after_unknown") if body.get("after_unknown") is not None else {},
            path=("resource_changes", i, "change", "after"), actions=actions, index=change.get("index"),
            sensitive=body.get("after_sensitive"),
        ))
    for state_key in ("prior_state", None):
        holder = root.get(state_key) if state_key else root
        values = holder.get("values") if isinstance(holder, dict) else None
        if not isinstance(values, dict):
            continue
        base = (state_key, "values") if state_key else ("values",)
        for resource, path in _walk_values(values.get("root_module"), base + ("root_module",)):
            attributes = resource.get("values") if isinstance(resource.get("values"), dict) else {}
            plan.prior.setdefault(str(resource.get("address", "")), _Resource(
                address=str(resource.get("address", "")), mode=str(resource.get("mode", "managed")),
                type=str(resource.get("type", "")), after=attributes, unknown={},
                path=path + ("values",), index=resource.get("index"),
            ))
    for resource in plan.prior.values():
        if resource.mode == "data" and resource.type == "aws_caller_identity":
            account = resource.after.get("account_id")
            config = plan.config.get(strip_instance_keys(resource.address), {})
            if isinstance(account, str):
                plan.callers[_provider_key(config)] = account
    plan.index_resources()
    return plan


def _provider_key(config: dict[str, Any]) -> str:
    """The provider configuration a resource uses, without the module part (`aws`, `aws.prod`)."""
    key = str(config.get("provider_config_key", "aws"))
    return key.split(":")[-1]


def terraform_sources(source: SourceFile) -> Iterator[PolicySource]:
    """Every trust policy (one per role) and identity policy a plan or state will leave in place."""
    root = source.root
    version = str(root.get("format_version", ""))
    if version.split(".")[0] not in ("0", "1"):
        raise InputError(f"unsupported Terraform JSON format_version {version!r}")
    if root.get("errored") is True:
        raise InputError("the plan is marked errored: Terraform could not finish planning")
    plan = _index(source)
    consumed: set[str] = set()
    managed = plan.changes if "resource_changes" in root else [r for r in plan.prior.values() if r.mode == "managed"]
    managed = [r for r in managed if r.mode == "managed"]
    links, linked = _link_permissions(plan, managed)
    user_paths = {str(r.after.get("name")): r.after.get("path") or "/" for r in managed
                  if r.type == "aws_iam_user" and isinstance(r.after.get("name"), str)}
    for resource in managed:
        if resource.type == ROLE:
            trust = _role_trust(plan, resource, consumed)
            yield replace(trust, role=_role_facts(plan, resource, links.get(resource.address, [])),
                          identity=_role_identity(resource, trust.context), resource_facts=resource_facts(plan, resource))
        elif resource.type in IDENTITY_POLICY_TYPES:
            policy = _policy_attribute(plan, resource, "policy", "identity")
            if resource.type == "aws_iam_role_policy" and resource.address not in linked:
                # Its role is not in the plan: the role-level rules judge the policy alone.
                policy = replace(policy, context=replace(policy.context, owner="role"))
            elif resource.type == "aws_iam_user_policy":
                policy = replace(policy, identity=_user_identity(resource, policy.context, user_paths))
            yield replace(policy, resource_facts=resource_facts(plan, resource))
    for resource in _policy_documents(plan):
        if resource.address not in consumed:
            yield replace(_data_document(plan, resource), resource_facts=resource_facts(plan, resource))


# --- what custom rules read about the resource (the `resource` section of docs/model.md) -----------

# Resource types whose name goes with an IAM path ("/" when none is set).
_PATHED = frozenset({"aws_iam_role", "aws_iam_policy", "aws_iam_user", "aws_iam_group"})


def resource_facts(plan: _Plan, resource: _Resource) -> ResourceFacts:
    """The resource's type, address, name, path and tags as the plan knows them: a value known
    only after apply, or sensitive, is Unresolved."""
    name: Any = ""
    if "name" in resource.after or _unknown_at(resource.unknown, "name"):
        # `name_prefix`, or neither: the name is known only after apply.
        name = _known(resource, "name")
    path: Any = ""
    if resource.type in _PATHED:
        path = _known(resource, "path")
        if path is None or path == "":
            path = "/"
    return ResourceFacts("terraform_plan", resource.type, resource.address, name=_text(name), path=_text(path),
                         tags=_tags(plan, resource))


def _text(value: Any) -> Any:
    return value if isinstance(value, Unresolved) else scalar_text(value) or ""


def _known(resource: _Resource, *steps: Any) -> Any:
    """The value at `steps` of the resource's final state, or Unresolved when it is known only
    after apply or sensitive (never put in the engine's input)."""
    expression = f"{resource.address}.{steps[0]}" + "".join(f'["{step}"]' for step in steps[1:])
    if _unknown_at(resource.unknown, *steps):
        return Unresolved(expression, "known only after apply")
    if _unknown_at(resource.sensitive, *steps):
        return Unresolved(expression, "a sensitive value")
    node: Any = resource.after
    for step in steps:
        node = node.get(step) if isinstance(node, dict) else None
    return node


def _tags(plan: _Plan, resource: _Resource) -> Any:
    """`tags_all` when the plan knows it (it holds the provider's default_tags); otherwise
    `tags` merged over the default_tags of the resource's provider configuration."""
    tags_all = _tag_map(resource, "tags_all")
    if isinstance(tags_all, tuple):
        return tags_all
    tags = _tag_map(resource, "tags")
    if isinstance(tags, Unresolved):
        return tags  # `tags = var.tags` known only after apply: the whole set is unknown
    if tags is None and tags_all is None:
        return ()  # a type without tags, or none set
    defaults = _default_tags(plan, resource)
    if isinstance(defaults, Unresolved):
        return defaults
    merged = dict(defaults)
    merged.update(tags or ())  # the resource's own tags win over the defaults
    return tuple(merged.items())


def _tag_map(resource: _Resource, attribute: str) -> Any:
    """A map attribute as (key, value) pairs, a value known only after apply as Unresolved;
    Unresolved when the whole map is; None when the resource has no such map (or null)."""
    whole = _known(resource, attribute)
    if isinstance(whole, Unresolved):
        return whole
    marks = resource.unknown.get(attribute) if isinstance(resource.unknown, dict) else None
    unknown_keys = [k for k, v in marks.items() if v is True] if isinstance(marks, dict) else []
    if not isinstance(whole, dict) and not unknown_keys:
        return None
    pairs: dict[str, Any] = {}
    for key, value in (whole.items() if isinstance(whole, dict) else ()):
        value = _known(resource, attribute, key)
        if value is not None:  # a null tag is no tag
            pairs[str(key)] = _text(value)
    for key in unknown_keys:
        pairs[str(key)] = _known(resource, attribute, key)
    return tuple(pairs.items())


def _default_tags(plan: _Plan, resource: _Resource) -> Any:
    """The `default_tags` of the resource's provider configuration, as (key, value) pairs;
    Unresolved when they are not constants of the configuration."""
    configuration = plan.source.root.get("configuration")
    providers = configuration.get("provider_config") if isinstance(configuration, dict) else None
    if not isinstance(providers, dict):
        return ()
    key = str(plan.config.get(strip_instance_keys(resource.address), {}).get("provider_config_key", "aws"))
    provider = providers.get(key, providers.get(key.split(":")[-1]))
    expressions = provider.get("expressions") if isinstance(provider, dict) else None
    blocks = expressions.get("default_tags") if isinstance(expressions, dict) else None
    if blocks is None:
        return ()
    pairs: dict[str, str] = {}
    for block in blocks if isinstance(blocks, list) else [blocks]:
        tags = block.get("tags") if isinstance(block, dict) else None
        if tags is None:
            continue
        constant = tags.get("constant_value") if isinstance(tags, dict) else None
        if not isinstance(constant, dict) or tags.get("references"):
            return Unresolved(f"provider {key} default_tags", "not a constant of the configuration")
        pairs.update((str(k), scalar_text(v) or "") for k, v in constant.items() if v is not None)
    return tuple(pairs.items())


def _context(plan: _Plan, resource: _Resource) -> NormalizeContext:
    arn = resource.after.get("arn")
    if isinstance(arn, str) and arn.count(":") >= 5:
        parts = arn.split(":")
        if is_account_id(parts[4]):
            return NormalizeContext(own_accounts=(parts[4],), partition=parts[1])
    config = plan.config.get(strip_instance_keys(resource.address), {})
    account = plan.callers.get(_provider_key(config))
    return NormalizeContext(own_accounts=(account,) if account else ())


def _role_identity(resource: _Resource, context: NormalizeContext) -> Identity | None:
    """The role's ARN: known for an existing role, else built from its name, path and the
    account of its provider configuration; None when any of them is known only at apply."""
    known = identity_from_arn(resource.after.get("arn"), "role")
    if known is not None or not context.own_accounts:
        return known
    name, path = resource.after.get("name"), resource.after.get("path") or "/"
    if _unknown_at(resource.unknown, "name") or _unknown_at(resource.unknown, "path"):
        return None
    if not isinstance(name, str) or not isinstance(path, str) or not path.startswith("/") or not path.endswith("/"):
        return None
    return identity_from_arn(f"arn:{context.partition or 'aws'}:iam::{context.own_accounts[0]}:role{path}{name}", "role")


def _user_identity(policy: _Resource, context: NormalizeContext, user_paths: dict[str, Any]) -> Identity | None:
    """The user an aws_iam_user_policy belongs to: its ARN from the user's name, the path of
    that user when the plan has it ("/" otherwise) and the provider's account."""
    name = policy.after.get("user")
    if not context.own_accounts or not isinstance(name, str) or _unknown_at(policy.unknown, "user"):
        return None
    path = user_paths.get(name, "/")
    if not isinstance(path, str) or not path.startswith("/") or not path.endswith("/"):
        return None
    return identity_from_arn(f"arn:{context.partition or 'aws'}:iam::{context.own_accounts[0]}:user{path}{name}", "user")


def _note(resource: _Resource) -> str:
    if resource.actions == ("no-op",):
        return "existing resource, unchanged by this plan"
    if resource.actions == ("update",):
        return "existing resource, updated by this plan"
    return ""


def _parse_policy(text: str, base: TreePath) -> tuple[Any, tuple[Problem, ...]]:
    try:
        document = parse_json_text(text)
    except InputError as exc:
        return {}, (Problem("invalid_json", base, str(exc)),)
    problems = tuple(Problem(p.code, base + p.path, p.detail) for p in duplicate_problems(document))
    return document, problems


def _policy_attribute(plan: _Plan, resource: _Resource, attribute: str, kind: str) -> PolicySource:
    base = resource.path + (attribute,)
    value = resource.after.get(attribute)
    note = _note(resource)
    if _unknown_at(resource.unknown, attribute) or not isinstance(value, str):
        document: Any = Unresolved(f"{resource.address}.{attribute}", "known only after apply")
        problems: tuple[Problem, ...] = ()
    else:
        document, problems = _parse_policy(value, base)
    return PolicySource(resource.address, base, document, kind, context=_context(plan, resource),
                        problems=problems, note=note, sensitive=_unknown_at(resource.sensitive, attribute))


def _role_trust(plan: _Plan, resource: _Resource, consumed: set[str]) -> PolicySource:
    for doc_address in _referenced_documents(plan, resource, "assume_role_policy"):
        consumed.add(doc_address)
    source = _policy_attribute(plan, resource, "assume_role_policy", "trust")
    if not isinstance(source.document, Unresolved):
        return source
    # Unknown at plan time: a deferred policy document may still tell part of the story, if
    # exactly one document is referenced (several candidates: which one applies is unknown).
    documents = _referenced_documents(plan, resource, "assume_role_policy")
    deferred = [r for r in plan.changes if r.mode == "data" and r.address in documents]
    if len(documents) == 1 and len(deferred) == 1:
        partial = policy_from_statement_blocks(deferred[0].after, deferred[0].unknown, deferred[0].address,
                                               _provider_identifiers(plan, deferred[0], source.context))
        return PolicySource(resource.address, source.base, partial, "trust", context=source.context,
                            note=f"trust policy from {deferred[0].address}, read only at apply",
                            sensitive=source.sensitive)
    return source


def _referenced_documents(plan: _Plan, resource: _Resource, attribute: str) -> list[str]:
    """Addresses of aws_iam_policy_document instances an attribute's expression refers to, in
    the referring resource's own module instance; a keyed reference names its instance, and an
    unkeyed one pairs instance keys when both sides have them."""
    targets = _reference_targets(plan, resource, attribute, f"data.{POLICY_DOCUMENT}", changes_only=False)
    return list(dict.fromkeys(r.address for r in targets))


def _reference_targets(plan: _Plan, referrer: _Resource, attribute: str, target_type: str,
                       changes_only: bool = True) -> list[_Resource]:
    config = plan.config.get(strip_instance_keys(referrer.address))
    if not config:
        return []
    expression = dict_at(config, "expressions", "configuration: ").get(attribute)
    references = list_at(expression, "references", "configuration: ") if isinstance(expression, dict) else []
    module = module_instance(referrer.address)
    own_segments = address_segments(referrer.address)
    own_last = own_segments[-1]
    own_key = own_last[own_last.index("["):] if "[" in own_last else ""
    width = len(target_type.split("."))
    names = []
    for reference in references:
        if isinstance(reference, str) and reference.startswith(target_type + "."):
            segments = address_segments(reference)
            if len(segments) >= width + 1:
                names.append(".".join(segments[:width + 1]))  # data.TYPE.NAME["key"] or TYPE.NAME[0]
    # Terraform lists `x.y["k"].attr`, `x.y["k"]` and the unkeyed `x.y`: the keyed form wins.
    keyed_bases = {strip_instance_keys(n) for n in names if n != strip_instance_keys(n)}
    out: list[_Resource] = []
    for named in dict.fromkeys(names):
        if named == strip_instance_keys(named) and named in keyed_bases:
            continue
        target = module + named
        base = strip_instance_keys(target)
        instances = [r for r in plan.by_base.get(base, []) if module_instance(r.address) == module
                     and (not changes_only or r.path[0] == "resource_changes")]
        if named != strip_instance_keys(named):
            chosen = [r for r in instances if r.address == target]
        else:
            chosen = [r for r in instances if own_key and r.address == base + own_key] or instances
        for r in chosen:
            if r not in out:
                out.append(r)
    return out


def _policy_documents(plan: _Plan) -> list[_Resource]:
    """aws_iam_policy_document data sources: deferred ones (read) win over a stale prior copy."""
    deferred = {r.address: r for r in plan.changes if r.mode == "data" and r.type == POLICY_DOCUMENT}
    read = {a: r for a, r in plan.prior.items() if r.mode == "data" and r.type == POLICY_DOCUMENT and a not in deferred}
    return list(deferred.values()) + list(read.values())


def _data_document(plan: _Plan, resource: _Resource) -> PolicySource:
    """A policy document no role of the plan uses: judged alone, in the account of its
    provider (a trust naming the caller identity's own account is not cross-account)."""
    context = _context(plan, resource)
    if "json" in resource.after and isinstance(resource.after.get("json"), str) and not _unknown_at(resource.unknown, "json"):
        base = resource.path + ("json",)
        document, problems = _parse_policy(resource.after["json"], base)
        return PolicySource(resource.address, base, document, None, context=context, problems=problems)
    document = policy_from_statement_blocks(resource.after, resource.unknown, resource.address)
    return PolicySource(resource.address, resource.path, document, None, context=context,
                        note="policy document read only at apply")


def policy_from_statement_blocks(after: dict[str, Any], unknown: Any, address: str,
                                 identifiers: Any = None) -> dict[str, Any]:
    """Rebuild an IAM document from a deferred aws_iam_policy_document's `statement` blocks,
    with every unknown value (and the unknown rest of the document) marked Unresolved.
    `identifiers(i, j)` may name the principals of statement i, block j that the plan leaves
    unknown (an OIDC provider created by the same plan, known by its url)."""
    statements = []
    blocks = after.get("statement") if isinstance(after.get("statement"), list) else []
    merged = ("source_policy_documents", "override_policy_documents", "source_json", "override_json")
    if _unknown_at(unknown, "statement") or any(after.get(key) or _unknown_at(unknown, key) for key in merged):
        # Documents merged in by Sid (known or not) may replace any statement.
        return {"Version": "2012-10-17", "Statement": Unresolved(f"{address}.json", "known only after apply")}
    for i, block in enumerate(blocks):
        if not isinstance(block, dict):
            continue
        statement: dict[str, Any] = {"Effect": block.get("effect") or "Allow"}

        def values(key: str, *steps: Any) -> list[Any]:
            if _unknown_at(unknown, "statement", i, key, *steps):
                # The whole list is unknown (`identifiers = var.x`): not an empty list.
                return [Unresolved(f"{address}.statement[{i}].{key}", "known only after apply")]
            raw = block
            for step in (key,) + steps:
                raw = raw.get(step) if isinstance(raw, dict) else raw[step] if isinstance(raw, list) else None
            items = raw if isinstance(raw, list) else []
            return [Unresolved(f"{address}.statement[{i}].{key}", "known only after apply")
                    if item is None or _unknown_at(unknown, "statement", i, key, *steps, j) else item
                    for j, item in enumerate(items)]

        for key, element in (("actions", "Action"), ("not_actions", "NotAction"),
                             ("resources", "Resource"), ("not_resources", "NotResource")):
            if block.get(key):
                statement[element] = values(key)
        for key, element in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
            if _unknown_at(unknown, "statement", i, key):
                statement[element] = Unresolved(f"{address}.statement[{i}].{key}", "known only after apply")
                continue
            entries = list_at(block, key, "policy document statement: ")
            if entries:
                mapping: dict[str, list[Any]] = {}
                for j, entry in enumerate(entries):
                    if isinstance(entry, dict):
                        kind = entry.get("type") or "AWS"
                        found = values(key, j, "identifiers")
                        if identifiers is not None and any(isinstance(v, Unresolved) for v in found):
                            found = identifiers(i, key, j) or found
                        mapping.setdefault("AWS" if kind == "*" else str(kind), []).extend(found)
                statement[element] = mapping
        conditions: dict[str, Any] = {}
        if _unknown_at(unknown, "statement", i, "condition"):
            # Unknown condition blocks (a dynamic block over an unknown list) may restrict anything.
            conditions["Unknown"] = Unresolved(f"{address}.statement[{i}].condition", "known only after apply")
        for j, entry in enumerate(list_at(block, "condition", "policy document statement: ")):
            if not isinstance(entry, dict):
                continue
            test, variable = entry.get("test"), entry.get("variable")
            if (not isinstance(test, str) or not isinstance(variable, str)
                    or _unknown_at(unknown, "statement", i, "condition", j, "test")
                    or _unknown_at(unknown, "statement", i, "condition", j, "variable")):
                # An unknown operator or key may restrict anything or nothing.
                conditions[f"Unknown{j}"] = Unresolved(f"{address}.statement[{i}].condition[{j}]", "known only after apply")
                continue
            block_of_test = conditions.setdefault(test, {})
            if isinstance(block_of_test, dict):
                block_of_test.setdefault(variable, []).extend(values("condition", j, "values"))
        if conditions:
            statement["Condition"] = conditions
        statements.append(statement)
    return {"Version": after.get("version") or "2012-10-17", "Statement": statements}



# --- permissions that reach a role -------------------------------------------------------------

_ATTACHMENTS = {
    # type: (attribute naming the role(s), attribute with the policy ARN(s), origin)
    "aws_iam_role_policy_attachment": ("role", "policy_arn", "attachment"),
    "aws_iam_policy_attachment": ("roles", "policy_arn", "policy_attachment"),
    "aws_iam_role_policy_attachments_exclusive": ("role_name", "policy_arns", "attachment"),
}


def _configured(plan: _Plan, resource: _Resource, attribute: str) -> bool:
    """Optional+Computed attributes (managed_policy_arns, inline_policy) matter only when set."""
    config = plan.config.get(strip_instance_keys(resource.address))
    if config is None:
        return not _unknown_at(resource.unknown, attribute)
    return attribute in dict_at(config, "expressions", "configuration: ")


def _role_facts(plan: _Plan, role: _Resource, linked: list[Permission]) -> RoleFacts:
    permissions: list[Permission] = []
    if _configured(plan, role, "inline_policy") or not _unknown_at(role.unknown, "inline_policy"):
        blocks = role.after.get("inline_policy")
        if _unknown_at(role.unknown, "inline_policy") and _configured(plan, role, "inline_policy"):
            permissions.append(Permission("inline", f"{role.address}.inline_policy", role.path + ("inline_policy",),
                                          Unresolved(f"{role.address}.inline_policy", "known only after apply")))
        for i, block in enumerate(blocks if isinstance(blocks, list) else []):
            if not isinstance(block, dict) or (not block.get("name") and not block.get("policy")):
                continue  # `inline_policy {}` removes all inline policies
            base = role.path + ("inline_policy", i, "policy")
            label = str(block.get("name") or f"inline_policy[{i}]")
            if _unknown_at(role.unknown, "inline_policy", i, "policy") or not isinstance(block.get("policy"), str):
                permissions.append(Permission("inline", label, base, Unresolved(f"{role.address}.inline_policy[{i}].policy")))
            else:
                document, problems = _parse_policy(block["policy"], base)
                permissions.append(Permission("inline", label, base, document, problems=problems))
    if _configured(plan, role, "managed_policy_arns"):
        arns = role.after.get("managed_policy_arns")
        if _unknown_at(role.unknown, "managed_policy_arns") and not isinstance(arns, list):
            permissions.append(Permission("managed", f"{role.address}.managed_policy_arns", role.path + ("managed_policy_arns",),
                                          arn=Unresolved(f"{role.address}.managed_policy_arns", "known only after apply")))
        entries = arns if isinstance(arns, list) else []
        unknown = [i for i, arn in enumerate(entries) if arn is None or _unknown_at(role.unknown, "managed_policy_arns", i)]
        created = _created_policies(plan, role, "managed_policy_arns", len(unknown))
        for i, arn in enumerate(entries):
            base = role.path + ("managed_policy_arns", i)
            policy = None
            if i in unknown:
                arn = Unresolved(f"{role.address}.managed_policy_arns[{i}]", "known only after apply")
                policy = created[unknown.index(i)] if created else None
            permissions.append(_managed(plan, "managed", str(arn), base, arn, None, policy=policy))
    boundary = None
    if "permissions_boundary" in role.after or _unknown_at(role.unknown, "permissions_boundary"):
        value = role.after.get("permissions_boundary")
        base = role.path + ("permissions_boundary",)
        if _unknown_at(role.unknown, "permissions_boundary"):
            # `aws_iam_policy.cap.arn`: the ARN is known only after apply, the policy's
            # document (the plan's) is what caps the role.
            unknown_arn = Unresolved(f"{role.address}.permissions_boundary", "known only after apply")
            created = _created_policies(plan, role, "permissions_boundary", 1)
            if created:
                boundary = replace(_managed(plan, "boundary", str(unknown_arn), base, unknown_arn, None, policy=created[0]),
                                   reported_elsewhere=False)
            else:
                boundary = Permission("boundary", f"{role.address}.permissions_boundary", base, arn=unknown_arn)
        elif isinstance(value, str) and value:
            boundary = replace(_managed(plan, "boundary", value, base, value, None), reported_elsewhere=False)
    max_session = role.after.get("max_session_duration")
    if _unknown_at(role.unknown, "max_session_duration"):
        max_session = Unresolved(f"{role.address}.max_session_duration", "known only after apply")
    return RoleFacts(base=role.path[:-2], permissions=tuple(permissions + linked), boundary=boundary,
                     max_session=max_session, max_session_path=role.path + ("max_session_duration",))


def _managed(plan: _Plan, origin: str, label: str, base: TreePath, arn: Any, linking: _Resource | None,
             attribute: str = "policy_arn", policy: _Resource | None = None) -> Permission:
    """A managed policy by ARN, with its document when the policy is defined in the plan (by
    its ARN, by the linking resource's reference, or `policy` when the caller found it). Its
    statements are located in the policy; the permission itself where it reaches the role
    (`base`: the ARN entry, the attachment's policy_arn, the boundary)."""
    if policy is None and isinstance(arn, str):
        policy = plan.policies_by_arn.get(arn)
    elif policy is None and linking is not None:
        targets = _referenced(plan, linking, attribute, "aws_iam_policy")
        policy = targets[0] if len(targets) == 1 else None
    if policy is None:
        return Permission(origin, label, base, None, arn=arn)
    if _unknown_at(policy.unknown, "policy") or not isinstance(policy.after.get("policy"), str):
        document: Any = Unresolved(f"{policy.address}.policy", "known only after apply")
    else:
        document, _ = _parse_policy(policy.after["policy"], policy.path + ("policy",))
    label = f"{policy.address} ({arn})" if isinstance(arn, str) else policy.address
    return Permission(origin, label, policy.path + ("policy",), document,
                      arn=arn if isinstance(arn, str) else _policy_arn(plan, policy),
                      # A document known only after apply is unknown for every role it reaches:
                      # each role says so (IAMG-001) where the policy reaches it.
                      reported_elsewhere=not isinstance(document, Unresolved), attached_at=base)


def _policy_arn(plan: _Plan, policy: _Resource) -> str:
    """The ARN an aws_iam_policy of the plan will have: known, or built from its name, path and
    the account of its provider; a stand-in naming its address when any is known only at apply."""
    arn, name, path = policy.after.get("arn"), policy.after.get("name"), policy.after.get("path") or "/"
    if isinstance(arn, str) and not _unknown_at(policy.unknown, "arn"):
        return arn
    context = _context(plan, policy)
    if (context.own_accounts and isinstance(name, str) and isinstance(path, str) and path.startswith("/")
            and path.endswith("/") and not _unknown_at(policy.unknown, "name") and not _unknown_at(policy.unknown, "path")):
        return f"arn:{context.partition or 'aws'}:iam::{context.own_accounts[0]}:policy{path}{name}"
    return f"arn:aws:iam::000000000000:policy/{policy.address}"


def _created_policies(plan: _Plan, role: _Resource, attribute: str, unknown: int) -> list[_Resource]:
    """The aws_iam_policy instances of the plan whose ARNs, known only after apply, fill the
    `unknown` unknown values of a role's attribute (`permissions_boundary`,
    `managed_policy_arns`), in the order the expression names them; empty when they cannot be
    paired one for one (the values then stay unknown)."""
    if not unknown:
        return []
    targets = [p for p in _reference_targets(plan, role, attribute, "aws_iam_policy")
               if not isinstance(p.after.get("arn"), str) or _unknown_at(p.unknown, "arn")]
    return targets if len(targets) == unknown else []


def _link_permissions(plan: _Plan, managed: list[_Resource]) -> tuple[dict[str, list[Permission]], set[str]]:
    """Role address -> permissions granted by other resources (role policies, attachments),
    and the addresses of the linking resources that reached a role of the plan."""
    roles = [r for r in managed if r.type == ROLE]
    links: dict[str, list[Permission]] = {}
    linked: set[str] = set()
    for resource in managed:
        if resource.type == "aws_iam_role_policy":
            base = resource.path + ("policy",)
            if _unknown_at(resource.unknown, "policy") or not isinstance(resource.after.get("policy"), str):
                document: Any = Unresolved(f"{resource.address}.policy", "known only after apply")
            else:
                document, _ = _parse_policy(resource.after["policy"], base)
            permission = Permission("role_policy", resource.address, base, document, reported_elsewhere=True)
            for role in _target_roles(plan, roles, resource, "role"):
                links.setdefault(role.address, []).append(permission)
                linked.add(resource.address)
        elif resource.type in _ATTACHMENTS:
            role_attribute, arn_attribute, origin = _ATTACHMENTS[resource.type]
            arns = resource.after.get(arn_attribute)
            arn_list = arns if isinstance(arns, list) else [arns]
            for i, arn in enumerate(arn_list):
                steps = (arn_attribute, i) if isinstance(arns, list) else (arn_attribute,)
                if arn is None or _unknown_at(resource.unknown, *steps):
                    arn = Unresolved(f"{resource.address}.{arn_attribute}", "known only after apply")
                label = arn if isinstance(arn, str) else resource.address
                permission = _managed(plan, origin, label, resource.path + steps, arn, resource, arn_attribute)
                for role in _target_roles(plan, roles, resource, role_attribute):
                    links.setdefault(role.address, []).append(permission)
                    linked.add(resource.address)
    return links, linked


def _target_roles(plan: _Plan, roles: list[_Resource], linking: _Resource, attribute: str) -> list[_Resource]:
    """Roles a linking resource names: by name when known (IAM role names are case-insensitive),
    else through its configuration references (module-aware, instance keys paired)."""
    value = linking.after.get(attribute)
    names = value if isinstance(value, list) else [value]
    known = [n.lower() for n in names if isinstance(n, str)]
    out = [r for name in known for r in plan.roles_by_name.get(name, [])]
    if len(known) < len(names) or _unknown_at(linking.unknown, attribute) or not out:
        out += [r for r in _referenced(plan, linking, attribute, ROLE) if r not in out]
    return out


def _referenced(plan: _Plan, linking: _Resource, attribute: str, target_type: str) -> list[_Resource]:
    """Instances of `target_type` that the attribute's configuration expression refers to."""
    return _reference_targets(plan, linking, attribute, target_type)


def _provider_identifiers(plan: _Plan, document: _Resource, context: NormalizeContext) -> Any:
    """For a deferred policy document: principals that reference an aws_iam_openid_connect_provider
    of the plan become its ARN, built from the provider's url (the issuer its keys are named by)."""
    config = plan.config.get(strip_instance_keys(document.address)) or {}

    def resolve(i: int, key: str, j: int) -> list[str] | None:
        try:
            expression = config["expressions"]["statement"][i][key][j]["identifiers"]
        except (KeyError, IndexError, TypeError):
            return None
        references = list_at(expression, "references", "configuration: ") if isinstance(expression, dict) else []
        prefix = module_instance(document.address)
        arns = []
        for reference in references:
            if not isinstance(reference, str) or not reference.startswith("aws_iam_openid_connect_provider."):
                continue
            named = ".".join(address_segments(reference)[:2])
            for provider in plan.by_base.get(strip_instance_keys(prefix + named), []):
                url = provider.after.get("url")
                if isinstance(url, str) and url:
                    issuer = url.split("://", 1)[-1].rstrip("/")
                    account = context.own_accounts[0] if context.own_accounts else "000000000000"
                    arns.append(f"arn:aws:iam::{account}:oidc-provider/{issuer}")
        return list(dict.fromkeys(arns)) or None

    return resolve


def variables_in(root: Any, text: str) -> str:
    """`from var.partner_account` when the plan's input variables hold a value found in `text`
    (an ARN interpolating the variable): for messages, beside the resolved value."""
    variables = root.get("variables") if isinstance(root, dict) else None
    if not isinstance(variables, dict) or not text:
        return ""
    names = []
    for name, spec in sorted(variables.items()):
        value = spec.get("value") if isinstance(spec, dict) else None
        values = value if isinstance(value, list) else [value]
        # Short or empty values ("", "*", "dev") would match by chance.
        if any(isinstance(v, str) and len(v) >= 6 and v in text for v in values):
            names.append(f"var.{name}")
    return f"from {', '.join(names)}" if names else ""


def replaced_addresses(root: Any) -> set[str]:
    """Resources the plan destroys and creates again (either order)."""
    out = set()
    for change in root.get("resource_changes") or () if isinstance(root, dict) else ():
        body = change.get("change") if isinstance(change, dict) else None
        actions = body.get("actions") if isinstance(body, dict) else None
        if isinstance(actions, list) and {a for a in actions if isinstance(a, str)} == {"delete", "create"} \
                and all(isinstance(a, str) for a in actions):
            out.add(str(change.get("address", "")))
    return out
