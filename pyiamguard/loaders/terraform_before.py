"""The state a Terraform plan starts from, as a plan the plan loader reads unchanged.

A plan holds both versions of every resource: `resource_changes[].change.before` is what is
deployed now (the refreshed prior state), `after` what the plan leaves. Scanning the "before"
version with the same loader and rules gives the findings the change is judged against
(`pyiamguard.changes`), so new, existing and resolved findings mean the same for plans as for
template pairs.

The before plan keeps the plan's `configuration` (provider accounts, which policy document a
role refers to) and its `prior_state` (data sources read during planning, the caller
identity). Its `resource_changes` are the objects that exist before the change, with their
`before` values as a known `after`: created resources are left out, deleted and replaced ones
kept. Their action is `previous`, which the loader treats as neither a no-op nor an update
(its messages then say nothing about what the plan does to the resource). Every path of the
before plan maps back to the plan file: a finding on the previous version of a role is located
at `$.resource_changes[i].change.before...` of the real file.
"""
from __future__ import annotations

from typing import Any

from .source import SourceFile, TreePath

PREVIOUS_ACTION = "previous"
_KEPT_KEYS = ("address", "module_address", "mode", "type", "name", "index", "provider_name")


def has_previous_state(root: Any) -> bool:
    """True for a plan (it has resource changes or a prior state), False for `show -json` of a
    state or anything else: only a plan says what was there before it."""
    return isinstance(root, dict) and ("resource_changes" in root or "prior_state" in root)


def starts_empty(root: dict[str, Any]) -> bool:
    """True when nothing existed before the plan: no prior state and no resource with a before
    value (a first apply). Its previous version has no findings and need not be scanned."""
    if isinstance(root.get("prior_state"), dict):
        return False
    changes = root.get("resource_changes")
    return not any(isinstance(c, dict) and isinstance(c.get("change"), dict) and c["change"].get("before") is not None
                   for c in (changes if isinstance(changes, list) else []))


def previous_source(source: SourceFile) -> SourceFile:
    """The plan of what exists before `source` (a plan) is applied, located in `source`."""
    root = source.root
    previous: dict[str, Any] = {k: root[k] for k in ("format_version", "terraform_version", "configuration",
                                                      "prior_state") if k in root}
    changes: list[dict[str, Any]] = []
    origin: dict[int, int] = {}  # index in the before plan -> index in the plan file
    raw = root.get("resource_changes")
    for i, change in enumerate(raw if isinstance(raw, list) else []):
        if not isinstance(change, dict) or change.get("deposed") or change.get("mode", "managed") != "managed":
            continue  # deposed objects are leftovers being destroyed; data sources live in prior_state
        body = change.get("change") if isinstance(change.get("change"), dict) else {}
        before = body.get("before")
        if not isinstance(before, dict):
            continue  # created by this plan: nothing before
        origin[len(changes)] = i
        changes.append({**{k: change[k] for k in _KEPT_KEYS if k in change},
                        "change": {"actions": [PREVIOUS_ACTION], "after": before, "after_unknown": {},
                                   "after_sensitive": body.get("before_sensitive")}})
    previous["resource_changes"] = changes

    def in_file(path: TreePath) -> TreePath:
        if len(path) >= 4 and path[0] == "resource_changes" and path[2:4] == ("change", "after") \
                and isinstance(path[1], int) and path[1] in origin:
            return ("resource_changes", origin[path[1]], "change", "before") + tuple(path[4:])
        if len(path) >= 2 and path[0] == "resource_changes" and isinstance(path[1], int) and path[1] in origin:
            return ("resource_changes", origin[path[1]]) + tuple(path[2:])
        return tuple(path)

    return SourceFile(name=source.name, text=source.text, root=previous, format=source.format,
                      _where=lambda path: source.where(in_file(path)),
                      _path_text=lambda path: source.path_text(in_file(path)))
