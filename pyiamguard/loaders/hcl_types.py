"""Terraform type constraints of `variable` blocks, applied to a variable's value.

Terraform converts a variable's value to its declared type before any expression reads it:
`optional(string, "Deny")` attributes absent (or null) in an object take their default, a
number given for a `string` becomes its decimal text, `"true"` for a `bool` becomes true. A
scan that skipped this would read a Deny statement as an Allow, or an account id written as a
number as no account at all. A value that cannot be converted is left as written (Terraform
would reject the configuration; the rules then judge what is there).

    spec = type_spec(type_expression_tree)
    value = convert(spec, value, evaluate_default)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from lark import Tree

from .hcl_eval import Unknown, _children, to_string


@dataclass(frozen=True)
class Attribute:
    spec: "Spec"
    optional: bool = False
    default: Tree | None = None  # the default's expression, evaluated when it is used


@dataclass(frozen=True)
class Spec:
    kind: str  # string, number, bool, any, list, set, map, object, tuple
    element: "Spec | None" = None  # list, set, map
    attributes: tuple[tuple[str, Attribute], ...] = ()  # object
    elements: tuple["Spec", ...] = ()  # tuple


ANY = Spec("any")


def type_spec(tree: Tree | None) -> Spec:
    """The type an expression tree declares (`any` for what is not a type expression)."""
    if tree is None:
        return ANY
    node = _unwrap(tree)
    if node.data == "identifier":
        name = str(node.children[0])
        return Spec(name) if name in ("string", "number", "bool", "any") else ANY
    if node.data != "function_call":
        return ANY
    parts = _children(node)
    name = str(parts[0].children[0])
    args = _children(parts[1]) if len(parts) > 1 and parts[1].data == "arguments" else []
    if name in ("list", "set", "map") and len(args) == 1:
        return Spec(name, element=type_spec(args[0]))
    if name == "tuple" and len(args) == 1:
        inner = _unwrap(args[0])
        return Spec("tuple", elements=tuple(type_spec(e) for e in _children(inner))) if inner.data == "tuple" else ANY
    if name == "object" and len(args) == 1:
        inner = _unwrap(args[0])
        if inner.data != "object":
            return ANY
        attributes = []
        for elem in _children(inner):
            key_tree, value_tree = _children(elem)
            key = _key(key_tree)
            if key is None:
                return ANY
            attributes.append((key, _attribute(value_tree)))
        return Spec("object", attributes=tuple(attributes))
    return ANY


def _attribute(tree: Tree) -> Attribute:
    node = _unwrap(tree)
    if node.data == "function_call" and str(_children(node)[0].children[0]) == "optional":
        parts = _children(node)
        args = _children(parts[1]) if len(parts) > 1 and parts[1].data == "arguments" else []
        if args:
            return Attribute(type_spec(args[0]), optional=True, default=args[1] if len(args) > 1 else None)
    return Attribute(type_spec(tree))


def _unwrap(tree: Tree) -> Tree:
    node = tree
    while node.data == "expr_term" and len(_children(node)) == 1:
        node = _children(node)[0]
    return node


def _key(tree: Tree) -> str | None:
    node = _unwrap(_children(tree)[0] if _children(tree) else tree)
    if node.data in ("identifier", "keyword"):
        return str(node.children[0])
    if node.data == "string":
        parts = [p for p in node.children if isinstance(p, Tree)]
        return "".join(str(p.children[0]) for p in parts)
    return None


def convert(spec: Spec, value: Any, default: Callable[[Tree], Any]) -> Any:
    """`value` converted to `spec` as Terraform converts a variable's value; `default`
    evaluates an optional attribute's default expression."""
    if value is None or isinstance(value, Unknown) or spec.kind == "any":
        return value
    if spec.kind == "string":
        if isinstance(value, (bool, int, float)):
            text = to_string(value)
            return text if isinstance(text, str) else value
        return value
    if spec.kind == "number":
        if isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                return value
            return int(number) if number.is_integer() else number
        return value
    if spec.kind == "bool":
        if isinstance(value, str) and value in ("true", "false"):
            return value == "true"
        return value
    if spec.kind in ("list", "set") and isinstance(value, list) and spec.element is not None:
        items = [convert(spec.element, item, default) for item in value]
        if spec.kind == "set":
            unique: list[Any] = []
            for item in items:
                if item not in unique:
                    unique.append(item)
            items = sorted(unique) if all(isinstance(i, str) for i in unique) else unique
        return items
    if spec.kind == "map" and isinstance(value, dict) and spec.element is not None:
        return {k: convert(spec.element, v, default) for k, v in value.items()}
    if spec.kind == "tuple" and isinstance(value, list):
        return [convert(s, v, default) for s, v in zip(spec.elements, value)] + value[len(spec.elements):]
    if spec.kind == "object" and isinstance(value, dict):
        # Attributes the type does not declare are dropped, as Terraform drops them.
        out: dict[str, Any] = {}
        for name, attribute in spec.attributes:
            given = value.get(name)
            if given is None and attribute.optional and attribute.default is not None:
                given = default(attribute.default)
            if name in value or attribute.optional:
                out[name] = convert(attribute.spec, given, default)
        return out
    return value
