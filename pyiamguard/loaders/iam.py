"""Raw IAM documents: one policy, a list of them, or the AWS CLI's role and account dumps."""
from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Iterator

from ..normalize.policy import NormalizeContext
from .source import InputError, Problem, SourceFile, TreePath


@dataclass(frozen=True)
class PolicySource:
    """One policy document found in a file: what it belongs to and where it sits.

    `base` is the document's tree path in the file; a document decoded from a JSON string sits
    at the string's path, and its own problems (duplicate keys inside the string) come in
    `problems`. `note` qualifies every finding (an unchanged resource, a deferred read)."""

    resource: str
    base: TreePath
    document: Any
    kind: str | None = None  # None: detect from the statements
    context: NormalizeContext = field(default_factory=NormalizeContext)
    problems: tuple[Problem, ...] = ()
    note: str = ""


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
    return False


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
    if is_policy(root):
        yield PolicySource(display_name, (), root)
        return
    if isinstance(root, list):
        for i, item in enumerate(root):
            yield PolicySource(f"{display_name}[{i}]", (i,), item)
        return
    if not isinstance(root, dict):
        return
    role = root.get("Role")
    if isinstance(role, dict) and "AssumeRolePolicyDocument" in role:
        name = str(role.get("RoleName") or display_name)
        yield PolicySource(name, ("Role", "AssumeRolePolicyDocument"), _embedded(role["AssumeRolePolicyDocument"]), "trust")
    if "PolicyDocument" in root:
        owner = root.get("RoleName") or root.get("UserName") or root.get("GroupName") or display_name
        name = f"{owner}/{root.get('PolicyName', 'policy')}"
        yield PolicySource(name, ("PolicyDocument",), _embedded(root["PolicyDocument"]), "identity")
    version = root.get("PolicyVersion")
    if isinstance(version, dict) and "Document" in version:
        yield PolicySource(display_name, ("PolicyVersion", "Document"), _embedded(version["Document"]), "identity")
    yield from _authorization_details(root)


def _authorization_details(root: dict[str, Any]) -> Iterator[PolicySource]:
    """`aws iam get-account-authorization-details`: roles with trust and inline policies,
    users and groups with inline policies, managed policies with their default version."""
    for list_key, name_key, inline_key in (
        ("RoleDetailList", "RoleName", "RolePolicyList"),
        ("UserDetailList", "UserName", "UserPolicyList"),
        ("GroupDetailList", "GroupName", "GroupPolicyList"),
    ):
        entries = root.get(list_key)
        if not isinstance(entries, list):
            continue
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict):
                continue
            owner = str(entry.get(name_key) or f"{list_key}[{i}]")
            if "AssumeRolePolicyDocument" in entry:
                yield PolicySource(owner, (list_key, i, "AssumeRolePolicyDocument"),
                                   _embedded(entry["AssumeRolePolicyDocument"]), "trust")
            for j, inline in enumerate(entry.get(inline_key) or []):
                if isinstance(inline, dict) and "PolicyDocument" in inline:
                    yield PolicySource(f"{owner}/{inline.get('PolicyName', j)}", (list_key, i, inline_key, j, "PolicyDocument"),
                                       _embedded(inline["PolicyDocument"]), "identity")
    for i, policy in enumerate(root.get("Policies") or []):
        if not isinstance(policy, dict):
            continue
        for j, version in enumerate(policy.get("PolicyVersionList") or []):
            if isinstance(version, dict) and version.get("IsDefaultVersion") and "Document" in version:
                yield PolicySource(str(policy.get("PolicyName") or f"Policies[{i}]"),
                                   ("Policies", i, "PolicyVersionList", j, "Document"),
                                   _embedded(version["Document"]), "identity")
