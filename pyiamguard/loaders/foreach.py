"""`Fn::ForEach` (the AWS::LanguageExtensions transform) expanded as CloudFormation expands it.

`Fn::ForEach::Loop: [Identifier, Collection, {OutputKey: OutputValue}]` in `Resources` gives
one copy of the fragment per item of the collection. In each copy `${Identifier}` becomes the
item and `&{Identifier}` the item without its non-alphanumeric characters, in every key and in
`Fn::Sub` strings (one left with nothing to substitute becomes the plain string); `Ref:
Identifier` becomes the item. Loops nest. (The transform replaces
nothing else: a plain string keeps its `${Identifier}`, as cfn-lint's expansion does too.)

The collection is a literal list or a `Ref` to a list parameter; the caller resolves it (a
parameter's default is assumed, and said). A collection not known statically leaves its loop
unexpanded, for the caller to report.

Generated resources live in the expanded template under their own logical ids; `origins`
takes each of their paths back to the loop's body in the file, so findings point there.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from .source import InputError, TreePath

LOOP = "Fn::ForEach::"
MAX_GENERATED = 10_000  # resources a template may hold after expansion (CloudFormation allows 500)
MAX_NODES = 2_000_000  # mapping entries written while expanding: loops multiply, memory does not
_NOT_ALPHANUMERIC = re.compile(r"[^0-9A-Za-z]+")


@dataclass(frozen=True)
class Collection:
    """A loop's collection as the caller resolved it: its items, or why it is not known."""

    items: tuple[str, ...] | None
    defaults: tuple[tuple[str, str], ...] = ()  # the parameter defaults assumed to know it
    reason: str = ""


@dataclass(frozen=True)
class Unexpanded:
    """A loop whose collection is not known statically (or that is malformed)."""

    key: str
    path: TreePath  # in the file
    body: Any
    reason: str


@dataclass
class Expansion:
    """The `Resources` section with its loops expanded."""

    resources: dict[str, Any] = field(default_factory=dict)
    # A path of the expanded template -> the path of its node in the file (longest prefix wins).
    origins: dict[TreePath, TreePath] = field(default_factory=dict)
    octal: set[TreePath] = field(default_factory=set)  # the file's octal numbers, at expanded paths too
    assumed: dict[str, dict[str, str]] = field(default_factory=dict)  # logical id -> defaults its loops assumed
    # Top-level loop key -> what it stands for, in order: generated logical ids and unexpanded loops.
    loops: dict[str, list[str | Unexpanded]] = field(default_factory=dict)


Resolve = Callable[[Any, TreePath], Collection]


def expand_resources(resources: dict[str, Any], resolve: Resolve, octal: frozenset[TreePath] = frozenset()) -> Expansion:
    """Every loop of `Resources` expanded; other resources are kept as they are (same object)."""
    out = Expansion(octal=set(octal))
    walker = _Walker(resolve, out)
    written = {key for key in resources if not key.startswith(LOOP)}
    for key, value in resources.items():
        if key in written:
            out.resources[key] = value
            continue
        slot: list[str | Unexpanded] = []
        out.loops[key] = walker.slot = slot
        generated = walker.loop(key, value, ("Resources",), ("Resources",), {}, {})
        for logical_id, resource in generated.items():
            # A logical id generated twice or also written out: CloudFormation rejects the template.
            if logical_id not in out.resources and logical_id not in written:
                out.resources[logical_id] = resource
                slot.append(logical_id)
    return out


def origin_of(origins: dict[TreePath, TreePath], path: TreePath) -> TreePath:
    """Where the node at `path` of the expanded template is in the file."""
    if origins:
        for k in range(len(path), 0, -1):
            hit = origins.get(tuple(path[:k]))
            if hit is not None:
                return hit + tuple(path[k:])
    return tuple(path)


def substitute(text: str, params: dict[str, str]) -> str:
    for name, value in params.items():
        text = text.replace("${" + name + "}", value).replace("&{" + name + "}", _NOT_ALPHANUMERIC.sub("", value))
    return text


class _Walker:
    def __init__(self, resolve: Resolve, out: Expansion) -> None:
        self.resolve = resolve
        self.out = out
        self.slot: list[str | Unexpanded] = []  # where the top-level loop being expanded reports
        self.generated = 0
        self.nodes = 0

    def loop(self, key: str, value: Any, file_at: TreePath, out_at: TreePath, params: dict[str, str],
             assumed: dict[str, str]) -> dict[str, Any]:
        """The mapping entries a loop at `file_at + (key,)` generates under `out_at`."""
        at = file_at + (key,)
        if not (isinstance(value, list) and len(value) == 3 and isinstance(value[0], str) and isinstance(value[2], dict)):
            self.slot.append(Unexpanded(key, at, value, "malformed Fn::ForEach"))
            return {}
        identifier, collection, body = value
        found = self.resolve(self.value(collection, at + (1,), at + (1,), params), at + (1,))
        if found.items is None:
            self.slot.append(Unexpanded(key, at, value, found.reason))
            return {}
        out: dict[str, Any] = {}
        for item in found.items:
            if self.generated > MAX_GENERATED:
                self.slot.append(Unexpanded(key, at, value, f"it generates more than {MAX_GENERATED} resources"))
                break
            inner = {**params, identifier: item}
            for k, v in self.mapping(body, at + (2,), out_at, inner, {**assumed, **dict(found.defaults)}).items():
                out.setdefault(k, v)
        return out

    def mapping(self, node: dict[str, Any], file_at: TreePath, out_at: TreePath, params: dict[str, str],
                assumed: dict[str, str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        self.nodes += len(node)
        if self.nodes > MAX_NODES:
            raise InputError("Fn::ForEach expands the template far beyond its size")
        for key, value in node.items():
            if key.startswith(LOOP):
                for k, v in self.loop(key, value, file_at, out_at, params, assumed).items():
                    out.setdefault(k, v)
                continue
            new_key = substitute(key, params)
            if origin_of(self.out.origins, out_at + (new_key,)) != file_at + (key,):  # a generated or renamed key
                self.out.origins.setdefault(out_at + (new_key,), file_at + (key,))
            if out_at == ("Resources",):
                self.generated += 1
                if assumed:
                    self.out.assumed.setdefault(new_key, dict(assumed))
            out[new_key] = self.value(value, file_at + (key,), out_at + (new_key,), params)
        return out

    def value(self, node: Any, file_at: TreePath, out_at: TreePath, params: dict[str, str]) -> Any:
        if isinstance(node, dict):
            if set(node) == {"Ref"} and isinstance(node["Ref"], str) and node["Ref"] in params:
                return params[node["Ref"]]
            if set(node) == {"Fn::Sub"}:
                sub = self._sub(node["Fn::Sub"], file_at + ("Fn::Sub",), out_at + ("Fn::Sub",), params)
                text = sub[0] if isinstance(sub, list) and sub else sub
                if params and isinstance(text, str) and "${" not in text:
                    # Nothing left to substitute: the transform writes the string itself, so it
                    # may stand where only a literal may (`Fn::GetAtt: [!Sub Role${Name}, Arn]`).
                    return text
                return {"Fn::Sub": sub}
            return self.mapping(node, file_at, out_at, params, {})
        if isinstance(node, list):
            return [self.value(item, file_at + (i,), out_at + (i,), params) for i, item in enumerate(node)]
        if file_at in self.out.octal:
            self.out.octal.add(out_at)
        return node

    def _sub(self, arg: Any, file_at: TreePath, out_at: TreePath, params: dict[str, str]) -> Any:
        if isinstance(arg, str):
            return substitute(arg, params)
        if isinstance(arg, list) and arg and isinstance(arg[0], str):
            return [substitute(arg[0], params)] + [self.value(v, file_at + (i,), out_at + (i,), params)
                                                   for i, v in enumerate(arg[1:], start=1)]
        return self.value(arg, file_at, out_at, params)
