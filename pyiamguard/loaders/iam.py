"""Raw IAM documents: one policy, a list of them, or the AWS CLI's role and account dumps."""
from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterator

from ..normalize.policy import NormalizeContext, Permission, ResourceFacts, RoleFacts
from ..normalize.values import Unresolved, is_account_id, scalar_text
from .source import InputError, Problem, SourceFile, TreePath, dict_at, list_at


@dataclass(frozen=True)
class Identity:
    """The IAM role or user a document belongs to, for the checks across documents (IAMG-501).

    `local`: the ARN means something only inside its file (the stack's own account is unknown,
    or CloudFormation generates the role's name), so documents of other files never match it.
    `account_known`: False when the account is a stand-in for the stack's own account, which is
    the same for every resource of its template but may be any account."""

    arn: str
    kind: str  # role | user
    local: bool = False
    account_known: bool = True

    @property
    def account(self) -> str:
        parts = self.arn.split(":")
        return parts[4] if len(parts) > 5 else ""


def identity_from_arn(arn: Any, kind: str, local: bool = False, account_known: bool = True) -> Identity | None:
    """An Identity when `arn` is a literal IAM ARN of that kind with a 12-digit account."""
    if not isinstance(arn, str):
        return None
    parts = arn.split(":", 5)
    if (len(parts) != 6 or parts[0] != "arn" or parts[2] != "iam" or not is_account_id(parts[4])
            or not parts[5].startswith(f"{kind}/") or any(c in arn for c in "*?${}")):
        return None
    return Identity(arn, kind, local, account_known)


@dataclass(frozen=True)
class PolicySource:
    """One policy document found in a file: what it belongs to and where it sits.

    `base` is the document's tree path in the file; a document decoded from a JSON string sits
    at the string's path, and its own problems (duplicate keys inside the string) come in
    `problems`. `note` qualifies every finding (an unchanged resource, a deferred read).

    A CloudFormation resource is evaluated once per variant (the Fn::If branches and allowed
    parameter values it depends on): `variant` says which, and the scanner reports a finding
    of every variant once. `source_path` maps the paths of a resolved document back to the
    file, where resolution moved nodes (None: the paths are the file's)."""

    resource: str
    base: TreePath
    document: Any
    kind: str | None = None  # None: detect from the statements
    context: NormalizeContext = field(default_factory=NormalizeContext)
    problems: tuple[Problem, ...] = ()
    note: str = ""
    role: RoleFacts | None = None
    sensitive: bool = False  # the values are secret (Terraform after_sensitive): never quote them
    secrets: frozenset[str] = frozenset()  # values never to quote (CloudFormation NoEcho parameters)
    variant: str = ""
    source_path: Callable[[TreePath], TreePath] | None = None
    identity: Identity | None = None  # the role of a trust policy, the user of an inline policy
    # The template parameters whose defaults this variant assumed, as (name, shown text): a
    # finding names only those whose value reached its own nodes.
    defaults: tuple[tuple[str, str], ...] = ()
    # The 12-digit token that stands for a template's own account (AWS::AccountId) when it is
    # not known: messages say "this stack's own account" instead of quoting it.
    stand_in: str = ""
    stand_in_kind: str = "stack"  # "module": the stand-in is a Terraform module's caller identity
    # The variant's choices as (subject, value) pairs, for saying in which variants a finding
    # holds in the fewest words.
    choices: tuple[tuple[str, str], ...] = ()
    # The resource the document belongs to (its kind, name, path, tags: the `resource`
    # section of docs/model.md); None: a raw policy document.
    resource_facts: ResourceFacts | None = None

    @property
    def facts(self) -> ResourceFacts:
        """The resource facts the document is normalized with; their address is always what
        findings name as the resource."""
        facts = self.resource_facts if self.resource_facts is not None else ResourceFacts()
        return facts if facts.address == self.resource else replace(facts, address=self.resource)


def is_policy(value: Any) -> bool:
    return isinstance(value, dict) and "Statement" in value


def looks_like_iam(root: Any) -> bool:
    if is_policy(root):
        return True
    if isinstance(root, list) and root and all(is_policy(item) for item in root):
        return True
    if isinstance(root, dict):
        if isinstance(root.get("Role"), dict) and "AssumeRolePolicyDocument" in root["Role"]:
            return True
        if any(k in root for k in ("RoleDetailList", "UserDetailList", "GroupDetailList")):
            return True
        if "PolicyDocument" in root and ("RoleName" in root or "UserName" in root or "GroupName" in root):
            return True
        if isinstance(root.get("PolicyVersion"), dict) and "Document" in root["PolicyVersion"]:
            return True
        if _named_policies(root):
            return True
    return False


def _named_policies(root: dict[str, Any]) -> bool:
    """`{"RoleName": {policy}, ...}`: policy documents kept by name (a repository's trust
    policies, one per role)."""
    return bool(root) and all(isinstance(k, str) and is_policy(v) for k, v in root.items())


def _embedded(value: Any) -> Any:
    """The IAM API returns documents URL-encoded; the CLI decodes them. Accept both, and JSON text."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("%7B") or text.startswith("%7b"):
        text = urllib.parse.unquote(text)
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise InputError("an embedded policy document is not valid JSON") from None


def policy_sources(source: SourceFile, display_name: str) -> Iterator[PolicySource]:
    """Every policy document of a raw IAM file, named for the report."""
    root = source.root
    # Raw documents carry no resource facts: the `resource` section says `iam_document`.
    if is_policy(root):
        yield PolicySource(display_name, (), root)
        return
    if isinstance(root, list):
        for i, item in enumerate(root):
            yield PolicySource(f"{display_name}[{i}]", (i,), item)
        return
    if not isinstance(root, dict):
        return
    if _named_policies(root):
        for name, document in root.items():
            yield PolicySource(name, (name,), document)
        return
    role = root.get("Role")
    if isinstance(role, dict) and "AssumeRolePolicyDocument" in role:
        name = str(role.get("RoleName") or display_name)
        yield PolicySource(name, ("Role", "AssumeRolePolicyDocument"), _embedded(role["AssumeRolePolicyDocument"]), "trust",
                           context=_role_context(role), role=_role_facts(role, ("Role",), {}),
                           identity=identity_from_arn(role.get("Arn"), "role"),
                           resource_facts=dump_facts("role", role, "RoleName"))
    if "PolicyDocument" in root:
        owner = root.get("RoleName") or root.get("UserName") or root.get("GroupName") or display_name
        name = f"{owner}/{root.get('PolicyName', 'policy')}"
        yield PolicySource(name, ("PolicyDocument",), _embedded(root["PolicyDocument"]), "identity",
                           resource_facts=_owner_facts(root))
    version = root.get("PolicyVersion")
    if isinstance(version, dict) and "Document" in version:
        # `aws iam get-policy-version`: the output does not say which policy it is.
        unknown = Unresolved("PolicyVersion", "get-policy-version does not name the policy")
        yield PolicySource(display_name, ("PolicyVersion", "Document"), _embedded(version["Document"]), "identity",
                           resource_facts=ResourceFacts("aws_cli", "policy", name=unknown, path=unknown, tags=unknown))
    yield from _authorization_details(root)


def _authorization_details(root: dict[str, Any]) -> Iterator[PolicySource]:
    """`aws iam get-account-authorization-details`: roles with trust and inline policies,
    users and groups with inline policies, managed policies with their default version."""
    managed = _managed_documents(root)
    for list_key, name_key, inline_key, kind in (
        ("RoleDetailList", "RoleName", "RolePolicyList", "role"),
        ("UserDetailList", "UserName", "UserPolicyList", "user"),
        ("GroupDetailList", "GroupName", "GroupPolicyList", "group"),
    ):
        entries = root.get(list_key)
        if not isinstance(entries, list):
            continue
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict):
                continue
            owner = str(entry.get(name_key) or f"{list_key}[{i}]")
            identity = identity_from_arn(entry.get("Arn"), kind)
            facts = dump_facts(kind, entry, name_key)
            if "AssumeRolePolicyDocument" in entry:
                yield PolicySource(owner, (list_key, i, "AssumeRolePolicyDocument"),
                                   _embedded(entry["AssumeRolePolicyDocument"]), "trust",
                                   context=_role_context(entry), role=_role_facts(entry, (list_key, i), managed),
                                   identity=identity, resource_facts=facts)
            for j, inline in enumerate(list_at(entry, inline_key, f"{list_key}[{i}].")):
                if isinstance(inline, dict) and "PolicyDocument" in inline:
                    # A role's inline policies reach it through its trust document's `role`
                    # section, and their findings are the role's (rules spec, Amendments,
                    # IAMG-304: once, on the role); a user's are its own identity documents.
                    name = owner if kind == "role" else f"{owner}/{inline.get('PolicyName', j)}"
                    yield PolicySource(name, (list_key, i, inline_key, j, "PolicyDocument"),
                                       _embedded(inline["PolicyDocument"]), "identity",
                                       identity=identity if kind == "user" else None, resource_facts=facts)
    for i, policy in enumerate(list_at(root, "Policies")):
        if not isinstance(policy, dict):
            continue
        for j, version in enumerate(list_at(policy, "PolicyVersionList", f"Policies[{i}].")):
            if isinstance(version, dict) and version.get("IsDefaultVersion") and "Document" in version:
                yield PolicySource(str(policy.get("PolicyName") or f"Policies[{i}]"),
                                   ("Policies", i, "PolicyVersionList", j, "Document"),
                                   _embedded(version["Document"]), "identity",
                                   resource_facts=dump_facts("policy", policy, "PolicyName"))


# The tags each kind of entry lists: groups have none; a managed policy's entry in
# get-account-authorization-details omits its tags, so they are not known from the dump.
_TAGGED = {"role": True, "user": True, "group": False, "policy": None}


def dump_facts(kind: str, entry: dict[str, Any], name_key: str) -> ResourceFacts:
    """The resource facts of a role, user, group or managed policy entry of an AWS CLI dump:
    its name, its path ("/" when the entry leaves it out, as IAM does), its tags."""
    name = entry.get(name_key)
    path = entry.get("Path")
    tagged = _TAGGED[kind]
    if "Tags" in entry and tagged is not False:
        tags: Any = dump_tags(entry["Tags"])
    elif tagged is None:
        tags = Unresolved("Tags", "the dump does not list this policy's tags")
    else:
        tags = ()  # IAM leaves out an empty tag list
    return ResourceFacts("aws_cli", kind,
                         name=name if isinstance(name, str) else Unresolved(name_key, "not in the dump"),
                         path=path if isinstance(path, str) else "/", tags=tags)


def dump_tags(value: Any) -> Any:
    """IAM's `[{"Key": ..., "Value": ...}]` as (key, value) pairs; Unresolved when it is not a
    list of tags."""
    if not isinstance(value, list):
        return Unresolved("Tags", "not a list of tags")
    pairs = []
    for tag in value:
        key = scalar_text(tag.get("Key")) if isinstance(tag, dict) else None
        if key is None:
            return Unresolved("Tags", "a tag without a key")
        pairs.append((key, scalar_text(tag.get("Value")) or ""))
    return tuple(pairs)


def _owner_facts(root: dict[str, Any]) -> ResourceFacts:
    """`aws iam get-role-policy` (user, group): the owner's name; its path and tags are not in
    the output."""
    for kind, name_key in (("role", "RoleName"), ("user", "UserName"), ("group", "GroupName")):
        if isinstance(root.get(name_key), str) and root[name_key]:
            break
    else:
        name = root.get("PolicyName")
        unknown = Unresolved("PolicyDocument", "the output does not say whose policy it is")
        return ResourceFacts("aws_cli", "policy", name=name if isinstance(name, str) else unknown, path=unknown,
                             tags=unknown)
    unknown = Unresolved(f"{root[name_key]}", "get-role-policy does not include the owner's path and tags")
    return ResourceFacts("aws_cli", kind, name=root[name_key], path=unknown,
                         tags=() if kind == "group" else unknown)


def _role_context(role: dict[str, Any]) -> NormalizeContext:
    """The role's own account and partition, from its ARN when the dump has it."""
    arn = role.get("Arn")
    if isinstance(arn, str) and arn.count(":") >= 5:
        parts = arn.split(":")
        if is_account_id(parts[4]):
            return NormalizeContext(own_accounts=(parts[4],), partition=parts[1])
    return NormalizeContext()


def _managed_documents(root: dict[str, Any]) -> dict[str, tuple[Any, TreePath]]:
    """Customer-managed policies of an authorization-details dump: ARN -> (default document, path)."""
    out: dict[str, tuple[Any, TreePath]] = {}
    for i, policy in enumerate(list_at(root, "Policies")):
        if not isinstance(policy, dict) or not isinstance(policy.get("Arn"), str):
            continue
        for j, version in enumerate(list_at(policy, "PolicyVersionList", f"Policies[{i}].")):
            if isinstance(version, dict) and version.get("IsDefaultVersion") and "Document" in version:
                try:
                    out[policy["Arn"]] = (_embedded(version["Document"]), ("Policies", i, "PolicyVersionList", j, "Document"))
                except InputError:
                    pass  # reported when the policy itself is scanned
    return out


def _role_facts(role: dict[str, Any], base: TreePath, managed: dict[str, tuple[Any, TreePath]]) -> RoleFacts:
    """Permissions, boundary and session length of a role in a get-role or
    get-account-authorization-details dump (inline and customer-managed documents are also
    scanned on their own, so their problems are reported there)."""
    permissions: list[Permission] = []
    for j, inline in enumerate(list_at(role, "RolePolicyList")):
        if isinstance(inline, dict) and "PolicyDocument" in inline:
            try:
                document = _embedded(inline["PolicyDocument"])
            except InputError:
                continue
            permissions.append(Permission("inline", str(inline.get("PolicyName", j)), base + ("RolePolicyList", j, "PolicyDocument"),
                                          document, reported_elsewhere=True))
    for j, attached in enumerate(list_at(role, "AttachedManagedPolicies")):
        if isinstance(attached, dict) and isinstance(attached.get("PolicyArn"), str):
            arn = attached["PolicyArn"]
            # The document is the dump's shared `Policies` entry; the finding on the role points
            # at the role's own entry, so each role attached to it gets its own location.
            entry = base + ("AttachedManagedPolicies", j, "PolicyArn")
            document, path = managed.get(arn, (None, entry))
            permissions.append(Permission("managed", arn, path, document, arn=arn, reported_elsewhere=document is not None,
                                          attached_at=entry if document is not None else ()))
    boundary = None
    raw_boundary = role.get("PermissionsBoundary")
    if isinstance(raw_boundary, dict) and isinstance(raw_boundary.get("PermissionsBoundaryArn"), str):
        arn = raw_boundary["PermissionsBoundaryArn"]
        entry = base + ("PermissionsBoundary", "PermissionsBoundaryArn")
        document, path = managed.get(arn, (None, entry))
        boundary = Permission("boundary", arn, path, document, arn=arn, reported_elsewhere=document is not None,
                              attached_at=entry if document is not None else ())
    return RoleFacts(base=base, permissions=tuple(permissions), boundary=boundary,
                     max_session=role.get("MaxSessionDuration"), max_session_path=base + ("MaxSessionDuration",))
