"""HCL expressions evaluated statically, as `terraform plan` would before apply.

The parser is python-hcl2's (its Lark grammar, with line and column on every node); this module
only evaluates. A value is plain JSON-like Python (str, int, float, bool, None, list, dict) in
which anything Terraform could only know at apply, or that the configuration does not give
(a variable without default, a registry module's output, a function not evaluated here), is an
`Unknown`: a string interpolation, a `jsonencode` or a function of an unknown is unknown as a
whole, as in a plan. Beside each value, `marks` say where its parts were written: file, line and
column by relative path, and for a JSON text written in a heredoc or a file, where its nodes sit.
"""
from __future__ import annotations

import decimal
import json
import math
import re
from decimal import Decimal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from lark import Token, Tree

from .source import InputError, TreePath


@dataclass(frozen=True)
class At:
    """Where a value was written."""

    file: str
    line: int
    column: int


@dataclass(frozen=True)
class EmbeddedJson:
    """A JSON text written verbatim in a file: its nodes are located in that file."""

    file: str
    marks: Mapping[TreePath, tuple[int, int]]  # path in the JSON -> (line, column) in `file`


Mark = At | EmbeddedJson
Marks = dict[TreePath, Mark]


@dataclass(frozen=True)
class Unknown:
    """A value Terraform knows only at apply, or that the configuration does not give."""

    what: str
    why: str


@dataclass(frozen=True)
class Val:
    value: Any
    marks: Marks = field(default_factory=dict)


def has_unknown(value: Any) -> bool:
    if isinstance(value, Unknown):
        return True
    if isinstance(value, dict):
        return any(has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(has_unknown(v) for v in value)
    return False


def first_unknown(value: Any) -> Unknown | None:
    if isinstance(value, Unknown):
        return value
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for item in items:
        found = first_unknown(item)
        if found is not None:
            return found
    return None


def sub_marks(marks: Marks, step: Any) -> Marks:
    out: Marks = {p[1:]: m for p, m in marks.items() if p[:1] == (step,)}
    if () not in out and () in marks and isinstance(marks[()], At):
        out[()] = marks[()]
    return out


def shifted(marks: Marks, prefix: TreePath) -> Marks:
    return {prefix + p: m for p, m in marks.items()}


class Lazy:
    """An object whose attributes are evaluated when read (locals, resources, module outputs)."""

    def __init__(self, keys: Iterable[str], get: Callable[[str], Val], what: str) -> None:
        self.keys = list(keys)
        self._get = get
        self.what = what

    def get(self, key: str) -> Val | None:
        return self._get(key) if key in self.keys else None

    def materialize(self) -> Val:
        value: dict[str, Any] = {}
        marks: Marks = {}
        for key in self.keys:
            val = self._get(key)
            if isinstance(val, Lazy):
                val = val.materialize()
            elif isinstance(val.value, Lazy):
                val = val.value.materialize()
            value[key] = val.value
            marks.update(shifted(val.marks, (key,)))
        return Val(value, marks)


class OpenObject(dict):  # type: ignore[type-arg]
    """An object of which an attribute not written is unknown (a resource's computed `arn`, a
    remote module's outputs), not an error."""

    address: str = ""
    why: str = "known only after apply"


class EvalError(Exception):
    """The configuration is wrong where Terraform itself would stop: reported as unknown."""


def _children(tree: Tree) -> list[Tree]:
    return [c for c in tree.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]


def _tokens(tree: Tree) -> list[Token]:
    return [c for c in tree.children if isinstance(c, Token)]


_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def unescape(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
                continue
            if nxt == "u" and re.fullmatch(r"[0-9A-Fa-f]{4}", text[i + 2:i + 6]):
                out.append(chr(int(text[i + 2:i + 6], 16)))
                i += 6
                continue
            if nxt == "U" and re.fullmatch(r"[0-9A-Fa-f]{8}", text[i + 2:i + 10]):
                out.append(chr(int(text[i + 2:i + 10], 16)))
                i += 10
                continue
        out.append(ch)
        i += 1
    return "".join(out)


def to_string(value: Any) -> str | Unknown:
    """Terraform's automatic conversion of a primitive to a string."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number_text(value)
    if isinstance(value, str):
        return value
    raise EvalError(f"cannot use {_kind(value)} as a string")


def _number_text(value: float) -> str:
    """A number as Terraform writes it: never in exponent notation (`1e21` is
    `1000000000000000000000`, `2e-7` is `0.0000002`)."""
    if not math.isfinite(value):
        raise EvalError("a number is infinite")
    if value.is_integer():
        return str(int(value))
    return format(Decimal(repr(value)), "f")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "an object"


_JSON_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _json_string(text: str) -> str:
    out = ['"']
    for ch in text:
        if ch in _JSON_ESCAPES:
            out.append(_JSON_ESCAPES[ch])
        elif ord(ch) < 0x20 or ch in "<>&\u2028\u2029":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def json_encode(value: Any) -> str:
    """`jsonencode` as Terraform's (Go's encoding/json): minified, object keys in sorted order,
    `<`, `>`, `&`, U+2028 and U+2029 escaped, numbers never in exponent notation."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number_text(value)
    if isinstance(value, str):
        return _json_string(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{_json_string(str(k))}:{json_encode(value[k])}" for k in sorted(value)) + "}"
    if isinstance(value, list):
        return "[" + ",".join(json_encode(v) for v in value) + "]"
    raise EvalError(f"cannot encode {_kind(value)} as JSON")


Scope = Callable[[str], "Val | Lazy | None"]


class Evaluator:
    """Evaluates expressions of one file. `scope(name)` resolves a root identifier (`var`,
    `local`, `aws_iam_role`, `each`, ...); `module_dir` reads `file()` and `templatefile()`."""

    def __init__(self, file: str, text: str, scope: Scope, module_dir: Path | None, display_dir: str = "",
                 line_map: Mapping[int, tuple[int, int]] | None = None) -> None:
        self.file = file
        self.text = text
        self.scope = scope
        self.module_dir = module_dir
        self.display_dir = display_dir
        # For a text generated from another file (Terraform's JSON syntax): line -> where in it.
        self.line_map = line_map
        self.depth = 0

    # --- helpers ------------------------------------------------------------------------------
    def at(self, tree: Tree | Token) -> At:
        if isinstance(tree, Token):
            line, column = tree.line or 1, tree.column or 1
        else:
            line, column = getattr(tree.meta, "line", 1) or 1, getattr(tree.meta, "column", 1) or 1
        if self.line_map is not None:
            line, column = self.line_map.get(line, (line, column))
        return At(self.file, line, column)

    def source_text(self, tree: Tree) -> str:
        meta = tree.meta
        start, end = getattr(meta, "start_pos", None), getattr(meta, "end_pos", None)
        if start is None or end is None:
            return "expression"
        return " ".join(self.text[start:end].split())

    def unknown(self, tree: Tree, why: str) -> Val:
        return Val(Unknown(self.source_text(tree), why), {(): self.at(tree)})

    # --- evaluation ---------------------------------------------------------------------------
    def eval(self, tree: Tree | Token) -> Val:
        if isinstance(tree, Token):
            raise EvalError(f"unexpected token {tree!s}")
        self.depth += 1
        try:
            if self.depth > 150:
                return self.unknown(tree, "expression nested too deeply")
            handler = getattr(self, "_e_" + tree.data, None)
            if handler is None:
                return self.unknown(tree, f"{tree.data} is not evaluated statically")
            try:
                return handler(tree)
            except EvalError as exc:
                return self.unknown(tree, str(exc))
        finally:
            self.depth -= 1

    def evaluate_lazy(self, tree: Tree) -> Val | Lazy:
        """Like eval, but a bare reference to an object of attributes stays lazy (`local`)."""
        node = tree
        while isinstance(node, Tree) and node.data == "expr_term" and len(_children(node)) == 1 and not _tokens(node):
            node = _children(node)[0]
        if isinstance(node, Tree) and node.data == "identifier":
            found = self.scope(str(node.children[0]))
            if isinstance(found, Lazy):
                return found
        if isinstance(node, Tree) and node.data == "get_attr_expr_term":
            base = self.evaluate_lazy(_children(node)[0])
            name = self._attr_name(_children(node)[1])
            if isinstance(base, Lazy):
                got = base.get(name)
                if got is None:
                    return self.unknown(node, f"{base.what} has no {name}")
                if isinstance(got, Val) and isinstance(got.value, Lazy):
                    return got.value
                return got
            return self._get_attr(node, base, name)
        return self.eval(tree)

    def _e_expr_term(self, tree: Tree) -> Val:
        inner = _children(tree)
        if len(inner) != 1:
            raise EvalError("malformed expression")
        return self.eval(inner[0])

    def _e_int_lit(self, tree: Tree) -> Val:
        return Val(int(str(tree.children[0])), {(): self.at(tree)})

    def _e_float_lit(self, tree: Tree) -> Val:
        value = float(str(tree.children[0]))
        return Val(int(value) if value.is_integer() and abs(value) < 2**53 else value, {(): self.at(tree)})

    def _e_literal_value(self, tree: Tree) -> Val:
        word = str(tree.children[0])
        return Val({"true": True, "false": False, "null": None}[word], {(): self.at(tree)})

    def _e_identifier(self, tree: Tree) -> Val:
        name = str(tree.children[0])
        found = self.scope(name)
        if found is None:
            return self.unknown(tree, f"{name} is not defined here")
        return found.materialize() if isinstance(found, Lazy) else found

    def _e_keyword(self, tree: Tree) -> Val:
        return self._e_identifier(tree)

    # strings and templates
    def _e_string(self, tree: Tree) -> Val:
        parts: list[Any] = []
        pieces = [p for p in tree.children if isinstance(p, Tree) and p.data == "string_part"]
        if len(pieces) == 1 and isinstance(pieces[0].children[0], Tree) and pieces[0].children[0].data == "interpolation":
            # "${x}" alone is x itself, of any type, written where x was (Terraform's JSON syntax
            # writes every reference so)
            only = self.eval(_children(pieces[0].children[0])[0])
            return only if only.marks else Val(only.value, {(): self.at(tree)})
        for part in tree.children:
            if not isinstance(part, Tree) or part.data != "string_part":
                continue
            inner = part.children[0]
            if isinstance(inner, Token):
                if inner.type == "STRING_CHARS":
                    parts.append(unescape(str(inner)))
                elif inner.type == "ESCAPED_INTERPOLATION":
                    parts.append(str(inner)[1:])
                elif inner.type == "ESCAPED_DIRECTIVE":
                    parts.append(str(inner)[1:])
                else:
                    parts.append(str(inner))
            elif inner.data == "interpolation":
                parts.append(self.eval(_children(inner)[0]).value)
            else:
                return self.unknown(tree, "template directives (%{ }) are not evaluated statically")
        return self._join(tree, parts)

    def _join(self, tree: Tree, parts: list[Any]) -> Val:
        if len(parts) == 1 and not isinstance(parts[0], str):
            # "${x}" alone is x itself, of any type
            value = parts[0]
            return Val(value, {(): self.at(tree)})
        texts: list[str] = []
        for value in parts:
            if isinstance(value, Unknown) or has_unknown(value):
                return Val(first_unknown(value), {(): self.at(tree)})
            text = to_string(value) if value is not None else None
            if text is None:
                raise EvalError("a null value in a string template")
            assert isinstance(text, str)
            texts.append(text)
        return Val("".join(texts), {(): self.at(tree)})

    def _e_heredoc_template(self, tree: Tree) -> Val:
        return self._heredoc(tree, trim=False)

    def _e_heredoc_template_trim(self, tree: Tree) -> Val:
        return self._heredoc(tree, trim=True)

    def _heredoc(self, tree: Tree, trim: bool) -> Val:
        token = tree.children[0]
        if not isinstance(token, Token):
            raise EvalError("malformed heredoc")
        raw = str(token)
        first_newline = raw.index("\n")
        body = raw[first_newline + 1:]
        # drop the closing marker line
        body = body[: body.rstrip("\r\n").rfind("\n") + 1] if "\n" in body.rstrip("\r\n") else ""
        lines = body.split("\n")
        indent = 0
        if trim:
            widths = [len(line) - len(line.lstrip(" \t")) for line in lines if line.strip()]
            indent = min(widths) if widths else 0
            body = "\n".join(line[indent:] for line in lines)
        start_line = (token.line or 1) + 1
        if "${" not in body.replace("$${", "") and "%{" not in body.replace("%%{", ""):
            text = body.replace("$${", "${").replace("%%{", "%{")
            marks: Marks = {(): self.at(tree)}
            embedded = _embedded_json(self.file, text, start_line, indent)
            if embedded is not None:
                marks[()] = embedded
            return Val(text, marks)
        if "%{" in body.replace("%%{", ""):
            return self.unknown(tree, "template directives (%{ }) are not evaluated statically")
        parts: list[Any] = []
        for literal, expression in _split_template(body):
            if literal:
                parts.append(literal.replace("$${", "${"))
            if expression is not None:
                parts.append(self._template_expression(tree, expression))
        return self._join(tree, [p for p in parts] or [""]) if parts else Val("", {(): self.at(tree)})

    def _template_expression(self, tree: Tree, expression: str) -> Any:
        from hcl2.api import parses_to_tree

        try:
            parsed = parses_to_tree(f"x = {expression}\n")
        except Exception:  # noqa: BLE001 - any parse failure makes the part unknown
            return Unknown(expression.strip(), "cannot parse this interpolation")
        attribute = _children(_children(parsed)[0])[0]
        inner = Evaluator(self.file, f"x = {expression}\n", self.scope, self.module_dir, self.display_dir)
        return inner.eval(_children(attribute)[-1]).value

    def _e_template_string(self, tree: Tree) -> Val:
        return self.unknown(tree, "template strings are not evaluated statically")

    # collections
    def _e_tuple(self, tree: Tree) -> Val:
        value: list[Any] = []
        marks: Marks = {(): self.at(tree)}
        for i, child in enumerate(_children(tree)):
            item = self.eval(child)
            value.append(item.value)
            marks.update(shifted(item.marks, (i,)))
        return Val(value, marks)

    def _e_object(self, tree: Tree) -> Val:
        value: dict[str, Any] = {}
        marks: Marks = {(): self.at(tree)}
        for elem in _children(tree):
            key_tree, value_tree = _children(elem)
            key = self._object_key(key_tree)
            item = self.eval(value_tree)
            if isinstance(key, Unknown):
                return Val(key, {(): self.at(tree)})
            value[key] = item.value
            marks = {p: m for p, m in marks.items() if p[:1] != (key,)}
            marks.update(shifted(item.marks, (key,)))
            marks.setdefault((key,), self.at(key_tree))
        return Val(value, marks)

    def _object_key(self, key_tree: Tree) -> str | Unknown:
        node = _children(key_tree)[0] if _children(key_tree) else key_tree
        if node.data == "keyword":
            return str(node.children[0])
        inner = _children(node)
        if node.data == "expr_term" and len(inner) == 1 and inner[0].data == "identifier" and not _tokens(node):
            return str(inner[0].children[0])  # a bare name is the key itself
        key = self.eval(node).value
        if isinstance(key, Unknown) or has_unknown(key):
            return first_unknown(key) or Unknown("key", "unknown")
        text = to_string(key)
        return text

    # traversal
    def _attr_name(self, get_attr: Tree) -> str:
        node = _children(get_attr)[0]
        return str(node.children[0])

    def _e_get_attr_expr_term(self, tree: Tree) -> Val:
        result = self.evaluate_lazy(tree)
        return result.materialize() if isinstance(result, Lazy) else result

    def _get_attr(self, tree: Tree, base: Val, name: str) -> Val:
        value = base.value
        if isinstance(value, Unknown):
            return Val(Unknown(self.source_text(tree), value.why), {(): self.at(tree)})
        if isinstance(value, dict):
            if name not in value and isinstance(value, OpenObject):
                return Val(Unknown(f"{value.address}.{name}", value.why), {(): self.at(tree)})
            if name not in value:
                raise EvalError(f"no attribute {name!r}")
            return Val(value[name], sub_marks(base.marks, name) or {(): self.at(tree)})
        raise EvalError(f"cannot read attribute {name!r} of {_kind(value)}")

    def _e_index_expr_term(self, tree: Tree) -> Val:
        base_tree, index_tree = _children(tree)
        base = self.evaluate_lazy(base_tree)
        if isinstance(base, Lazy):
            base = base.materialize()
        if index_tree.data == "short_index":
            key: Any = int(str(_tokens(index_tree)[-1]))
        else:
            key = self.eval(_children(index_tree)[0]).value
        return self._index(tree, base, key)

    def _index(self, tree: Tree, base: Val, key: Any) -> Val:
        value = base.value
        if isinstance(value, Unknown):
            return Val(Unknown(self.source_text(tree), value.why), {(): self.at(tree)})
        if isinstance(key, Unknown):
            return Val(Unknown(self.source_text(tree), key.why), {(): self.at(tree)})
        if isinstance(value, list):
            if isinstance(key, str) and re.fullmatch(r"-?\d+", key):
                key = int(key)
            if not isinstance(key, (int, float)) or isinstance(key, bool) or int(key) != key:
                raise EvalError("a list index must be a whole number")
            if not 0 <= int(key) < len(value):
                raise EvalError(f"index {int(key)} is out of range")
            return Val(value[int(key)], sub_marks(base.marks, int(key)))
        if isinstance(value, dict):
            text = to_string(key)
            if text not in value:
                raise EvalError(f"no element {text!r}")
            return Val(value[text], sub_marks(base.marks, text))
        raise EvalError(f"cannot index {_kind(value)}")

    def _splat(self, tree: Tree) -> Val:
        base_tree, splat = _children(tree)
        base = self.eval(base_tree)
        value = base.value
        if isinstance(value, Unknown):
            return Val(Unknown(self.source_text(tree), value.why), {(): self.at(tree)})
        items = value if isinstance(value, list) else ([] if value is None else [value])
        marks_of = [sub_marks(base.marks, i) for i in range(len(items))] if isinstance(value, list) else [base.marks]
        out: list[Any] = []
        marks: Marks = {(): self.at(tree)}
        for i, item in enumerate(items):
            current = Val(item, marks_of[i] if i < len(marks_of) else {})
            for step in _children(splat):
                if step.data == "get_attr":
                    current = self._get_attr(tree, current, self._attr_name(step))
                elif step.data == "short_index":
                    current = self._index(tree, current, int(str(_tokens(step)[-1])))
                else:
                    current = self._index(tree, current, self.eval(_children(step)[0]).value)
            out.append(current.value)
            marks.update(shifted(current.marks, (i,)))
        return Val(out, marks)

    _e_attr_splat_expr_term = _splat
    _e_full_splat_expr_term = _splat

    # operators
    def _e_conditional(self, tree: Tree) -> Val:
        condition, yes, no = _children(tree)
        test = self.eval(condition).value
        if isinstance(test, Unknown):
            a, b = self.eval(yes), self.eval(no)
            if a.value == b.value and not has_unknown(a.value):
                return a
            return Val(test, {(): self.at(tree)})
        if not isinstance(test, bool):
            raise EvalError("a condition must be true or false")
        return self.eval(yes if test else no)

    def _e_unary_op(self, tree: Tree) -> Val:
        operator = str(_tokens(tree)[0])
        operand = self.eval(_children(tree)[0]).value
        if isinstance(operand, Unknown):
            return Val(operand, {(): self.at(tree)})
        if operator == "!":
            if not isinstance(operand, bool):
                raise EvalError("! needs a bool")
            return Val(not operand, {(): self.at(tree)})
        return Val(-_number(operand), {(): self.at(tree)})

    def _e_binary_op(self, tree: Tree) -> Val:
        left_tree, term = _children(tree)[:2]
        operator_tree, right_tree = _children(term)
        operator = str(operator_tree.children[0])
        left = self.eval(left_tree).value
        at: Marks = {(): self.at(tree)}
        if operator in ("&&", "||") and isinstance(left, bool):
            if (operator == "&&" and not left) or (operator == "||" and left):
                return Val(left, at)
        right = self.eval(right_tree).value
        if operator in ("&&", "||") and isinstance(right, bool) and (right is (operator == "||")):
            # `unknown && false` is false and `unknown || true` true whatever the unknown is
            # (Terraform's console says unknown; a count built so is still certainly 0).
            return Val(right, at)
        if operator in ("==", "!="):
            equal = _known_equality(left, right)
            if equal is not None:
                return Val(equal if operator == "==" else not equal, at)
        if has_unknown(left) or has_unknown(right):
            return Val(first_unknown(left) or first_unknown(right), at)
        if operator in ("&&", "||"):
            if not isinstance(left, bool) or not isinstance(right, bool):
                raise EvalError(f"{operator} needs bools")
            return Val(left and right if operator == "&&" else left or right, at)
        a, b = _number(left), _number(right)
        if operator == "<":
            return Val(a < b, at)
        if operator == ">":
            return Val(a > b, at)
        if operator == "<=":
            return Val(a <= b, at)
        if operator == ">=":
            return Val(a >= b, at)
        if operator in ("/", "%") and b == 0:
            raise EvalError("division by zero")
        if operator in ("+", "-", "*", "/", "%"):
            return Val(_arithmetic(operator, a, b), at)
        raise EvalError(f"operator {operator} is not evaluated statically")

    # for expressions
    def _for(self, tree: Tree, as_object: bool) -> Val:
        parts = _children(tree)
        intro = parts[0]
        names = [str(c.children[0]) for c in _children(intro) if c.data == "identifier"]
        collection_tree = [c for c in _children(intro) if c.data != "identifier"][0]
        condition = parts[-1] if parts[-1].data == "for_cond" else None
        bodies = [p for p in parts[1:] if p.data != "for_cond"]
        grouped = any(isinstance(c, Token) and c.type == "ELLIPSIS" for c in tree.children)
        collection = self.eval(collection_tree)
        value = collection.value
        if has_unknown(value) if not isinstance(value, (list, dict)) else isinstance(value, Unknown):
            return Val(first_unknown(value) or Unknown(self.source_text(tree), "unknown"),
                       {(): self.at(tree)})
        if isinstance(value, dict):
            pairs = [(k, v, sub_marks(collection.marks, k)) for k, v in sorted(value.items())]
        elif isinstance(value, list):
            pairs = [(i, v, sub_marks(collection.marks, i)) for i, v in enumerate(value)]
        else:
            raise EvalError("a for expression needs a list, set or map")
        out_list: list[Any] = []
        out_map: dict[str, Any] = {}
        marks: Marks = {(): self.at(tree)}
        for key, item, item_marks in pairs:
            bound: dict[str, Val] = {}
            if len(names) == 2:
                bound[names[0]] = Val(key, {})
                bound[names[1]] = Val(item, item_marks)
            else:
                bound[names[0]] = Val(item, item_marks)
            inner = self.child(bound)
            if condition is not None:
                keep = inner.eval(_children(condition)[0]).value
                if isinstance(keep, Unknown):
                    return Val(keep, {(): self.at(tree)})
                if keep is not True:
                    continue
            if as_object:
                k = inner.eval(bodies[0]).value
                v = inner.eval(bodies[1])
                if isinstance(k, Unknown):
                    return Val(k, {(): self.at(tree)})
                text = to_string(k)
                assert isinstance(text, str)
                if grouped:
                    out_map.setdefault(text, []).append(v.value)
                else:
                    out_map[text] = v.value
                    marks.update(shifted(v.marks, (text,)))
            else:
                v = inner.eval(bodies[0])
                marks.update(shifted(v.marks, (len(out_list),)))
                out_list.append(v.value)
        return Val(out_map if as_object else out_list, marks)

    def _e_for_tuple_expr(self, tree: Tree) -> Val:
        return self._for(tree, as_object=False)

    def _e_for_object_expr(self, tree: Tree) -> Val:
        return self._for(tree, as_object=True)

    def child(self, bound: Mapping[str, Val]) -> "Evaluator":
        outer = self.scope

        def scope(name: str) -> Val | Lazy | None:
            return bound[name] if name in bound else outer(name)

        return Evaluator(self.file, self.text, scope, self.module_dir, self.display_dir, self.line_map)

    # functions
    def _e_function_call(self, tree: Tree) -> Val:
        parts = _children(tree)
        name_tree = parts[0]
        name = str(name_tree.children[0])
        if any(isinstance(c, Token) and c.type == "COLONS" for c in tree.children):
            return self.unknown(tree, "provider functions are not evaluated statically")
        args_tree = parts[-1] if len(parts) > 1 and parts[-1].data == "arguments" else None
        arg_trees = _children(args_tree) if args_tree is not None else []
        expand = args_tree is not None and any(isinstance(c, Token) and c.type == "ELLIPSIS" for c in args_tree.children)
        if name in ("try", "can"):
            return self._try(tree, name, arg_trees)
        args = [self.eval(a) for a in arg_trees]
        if expand and args:
            last = args[-1]
            if isinstance(last.value, Unknown):
                return Val(last.value, {(): self.at(tree)})
            if not isinstance(last.value, list):
                raise EvalError("... needs a list")
            args = args[:-1] + [Val(v, sub_marks(last.marks, i)) for i, v in enumerate(last.value)]
        function = _FUNCTIONS.get(name)
        if function is None:
            if name in ("file", "templatefile", "fileexists"):
                return self._file_function(tree, name, args)
            return self.unknown(tree, f"function {name}() is not evaluated statically")
        if name not in _STRUCTURAL and any(has_unknown(a.value) for a in args):
            unknown = next(first_unknown(a.value) for a in args if has_unknown(a.value))
            assert unknown is not None
            return Val(unknown, {(): self.at(tree)})
        try:
            result = function([a.value for a in args])
        except (TypeError, ValueError, KeyError, IndexError, OverflowError, RecursionError) as exc:
            raise EvalError(f"{name}(): {exc}") from None
        marks: Marks = {(): self.at(tree)}
        if name in ("jsonencode", "tolist", "toset", "tomap", "one") and args:
            marks = dict(args[0].marks) if name != "one" else sub_marks(args[0].marks, 0)
            if () not in marks or name == "jsonencode":
                marks[()] = marks.get((), self.at(tree)) if name != "jsonencode" else self.at(tree)
        elif name in ("coalesce", "coalescelist"):
            empty: tuple[Any, ...] = (None, "") if name == "coalesce" else (None, [])
            chosen = next((a for a in args if a.value not in empty), None)
            marks = dict(chosen.marks) if chosen is not None else marks
            marks.setdefault((), self.at(tree))
        elif name == "lookup" and len(args) >= 2 and isinstance(args[0].value, dict):
            key = args[1].value
            if isinstance(key, str) and key in args[0].value:
                marks = sub_marks(args[0].marks, key) or marks
            elif len(args) > 2:
                marks = dict(args[2].marks) or marks
        elif name == "element" and len(args) == 2 and isinstance(args[0].value, list) and args[0].value \
                and isinstance(args[1].value, int) and not isinstance(args[1].value, bool):
            marks = sub_marks(args[0].marks, args[1].value % len(args[0].value)) or marks
        elif name == "merge":
            for a in args:
                if isinstance(a.value, dict):
                    for key in a.value:
                        marks = {p: m for p, m in marks.items() if p[:1] != (key,)}
                        marks.update({p: m for p, m in a.marks.items() if p[:1] == (key,)})
        elif name == "concat":
            offset = 0
            for a in args:
                if isinstance(a.value, list):
                    for p, m in a.marks.items():
                        if p and isinstance(p[0], int):
                            marks[(p[0] + offset,) + p[1:]] = m
                    offset += len(a.value)
        elif name in ("jsondecode",) and args and isinstance(args[0].marks.get(()), EmbeddedJson):
            embedded = args[0].marks[()]
            assert isinstance(embedded, EmbeddedJson)
            marks = {p: At(embedded.file, *lc) for p, lc in embedded.marks.items()}
        return Val(result, marks)

    def _try(self, tree: Tree, name: str, arg_trees: list[Tree]) -> Val:
        for arg in arg_trees:
            result = self._strict(arg)
            if result is None:
                continue
            if has_unknown(result.value):
                return Val(first_unknown(result.value), {(): self.at(tree)})  # type: ignore[union-attr]
            return Val(True, {(): self.at(tree)}) if name == "can" else result
        if name == "can":
            return Val(False, {(): self.at(tree)})
        raise EvalError("no argument of try() could be evaluated")

    def _strict(self, tree: Tree) -> Val | None:
        """Evaluate, None where Terraform would report an error (try/can catch those)."""
        probe = _Strict(self)
        try:
            return probe.eval(tree)
        except EvalError:
            return None

    def _file_function(self, tree: Tree, name: str, args: list[Val]) -> Val:
        if not args:
            raise EvalError(f"{name}() needs a path")
        path_value = args[0].value
        if has_unknown(path_value):
            return Val(first_unknown(path_value), {(): self.at(tree)})  # type: ignore[union-attr]
        if not isinstance(path_value, str) or self.module_dir is None:
            raise EvalError(f"{name}() needs a path")
        # `path.module` is the module's directory as displayed: a path under it is the module's.
        prefix = self.display_dir.rstrip("/") + "/" if self.display_dir else ""
        inside = path_value[len(prefix):] if prefix and path_value.startswith(prefix) else None
        path = Path(path_value)
        candidates = ([self.module_dir / inside] if inside is not None else []) + \
            ([path] if path.is_absolute() else [self.module_dir / path, path])
        found = next((c for c in candidates if c.is_file()), None)
        if name == "fileexists":
            return Val(found is not None, {(): self.at(tree)})
        if found is None:
            return self.unknown(tree, f"{path_value} is not a file of the module")
        try:
            data = found.read_bytes()
            if len(data) > 4 * 1024 * 1024:
                return self.unknown(tree, f"{path_value} is over 4 MiB")
            text = data.decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return self.unknown(tree, f"cannot read {path_value}: {exc}")
        display = _display(found, self.module_dir, self.display_dir)
        if name == "file":
            marks: Marks = {(): self.at(tree)}
            embedded = _embedded_json(display, text, 1, 0)
            if embedded is not None:
                marks[()] = embedded
            return Val(text, marks)
        variables = args[1].value if len(args) > 1 else {}
        if isinstance(variables, Unknown) or not isinstance(variables, dict):
            return self.unknown(tree, "templatefile() variables are unknown")
        return self._render_template(tree, text, variables, display)

    def _render_template(self, tree: Tree, text: str, variables: dict[str, Any], display: str) -> Val:
        if "%{" in text.replace("%%{", ""):
            return self.unknown(tree, "template directives (%{ }) are not evaluated statically")

        def scope(name: str) -> Val | Lazy | None:
            return Val(variables[name], {}) if name in variables else None

        inner = Evaluator(display, text, scope, self.module_dir, self.display_dir)
        parts: list[Any] = []
        for literal, expression in _split_template(text):
            if literal:
                parts.append(literal.replace("$${", "${"))
            if expression is not None:
                parts.append(inner._template_expression(tree, expression))
        if any(isinstance(p, Unknown) or has_unknown(p) for p in parts):
            unknown = next(first_unknown(p) for p in parts if has_unknown(p))
            return Val(unknown or Unknown(self.source_text(tree), "unknown"), {(): self.at(tree)})
        rendered = "".join(p if isinstance(p, str) else str(to_string(p)) for p in parts)
        marks: Marks = {(): self.at(tree)}
        if not any(e is not None for _, e in _split_template(text)):
            embedded = _embedded_json(display, rendered, 1, 0)
            if embedded is not None:
                marks[()] = embedded
        return Val(rendered, marks)


class _Strict(Evaluator):
    """An evaluator whose errors propagate (for try/can)."""

    def __init__(self, outer: Evaluator) -> None:
        super().__init__(outer.file, outer.text, outer.scope, outer.module_dir, outer.display_dir, outer.line_map)

    def eval(self, tree: Tree | Token) -> Val:
        if isinstance(tree, Token):
            raise EvalError("unexpected token")
        handler = getattr(self, "_e_" + tree.data, None)
        if handler is None:
            raise EvalError(f"{tree.data} is not evaluated statically")
        return handler(tree)

    def child(self, bound: Mapping[str, Val]) -> "Evaluator":
        evaluator = super().child(bound)
        strict = _Strict(evaluator)
        return strict


def _display(path: Path, module_dir: Path, display_dir: str) -> str:
    try:
        relative = path.resolve().relative_to(module_dir.resolve())
    except ValueError:
        return str(path)
    return str(Path(display_dir) / relative) if display_dir else str(relative)


def _embedded_json(file: str, text: str, first_line: int, indent: int) -> EmbeddedJson | None:
    """Line marks of a JSON text written verbatim, shifted to where it sits in `file`."""
    if not text.lstrip().startswith(("{", "[")):
        return None
    from .json_source import json_marks

    try:
        marks = json_marks(text)
    except Exception:  # noqa: BLE001 - not JSON: the policy loader reports that
        return None
    return EmbeddedJson(file, {p: (line + first_line - 1, column + (indent if indent else 0))
                               for p, (line, column) in marks.items()})


def _split_template(text: str) -> list[tuple[str, str | None]]:
    """A template's text cut into (literal, interpolated expression) pairs."""
    out: list[tuple[str, str | None]] = []
    i, start = 0, 0
    while True:
        j = text.find("${", i)
        if j == -1:
            out.append((text[start:], None))
            return out
        if j > 0 and text[j - 1] == "$":
            i = j + 2
            continue
        depth, k, quote = 1, j + 2, False
        while k < len(text) and depth:
            ch = text[k]
            if quote:
                if ch == "\\":
                    k += 1
                elif ch == '"':
                    quote = False
            elif ch == '"':
                quote = True
            elif ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            k += 1
        if depth:
            out.append((text[start:], None))
            return out
        out.append((text[start:j], text[j + 2:k - 1]))
        start = i = k


def _number(value: Any) -> float | int:
    if isinstance(value, bool):
        raise EvalError("a bool is not a number")
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            raise EvalError(f"{value!r} is not a number") from None
        return int(number) if number.is_integer() else number
    raise EvalError(f"{_kind(value)} is not a number")


def _tidy(value: float | int) -> float | int:
    return int(value) if isinstance(value, float) and value.is_integer() and abs(value) < 2**53 else value


def _arithmetic(operator: str, a: float | int, b: float | int) -> float | int:
    """Terraform computes with arbitrary-precision decimals (0.1 + 0.2 is 0.3), not floats."""
    if isinstance(a, int) and isinstance(b, int) and operator in ("+", "-", "*"):
        return a + b if operator == "+" else a - b if operator == "-" else a * b
    with decimal.localcontext() as context:
        context.prec = 60
        x, y = decimal.Decimal(repr(a)), decimal.Decimal(repr(b))
        if operator == "+":
            result = x + y
        elif operator == "-":
            result = x - y
        elif operator == "*":
            result = x * y
        elif operator == "/":
            result = x / y
        else:
            result = x % y  # the sign of the dividend, as Go's big.Float and fmod
    if result == result.to_integral_value() and abs(result) < 2**53:
        return int(result)
    return float(result)


def _known_equality(a: Any, b: Any) -> bool | None:
    """Whether two values are equal when that is certain although they hold unknowns (a known
    map is never null, lists of different lengths differ); None when it depends on them."""
    if isinstance(a, Unknown) or isinstance(b, Unknown):
        return None
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return False
        answers = [_known_equality(a[k], b[k]) for k in a]
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return False
        answers = [_known_equality(x, y) for x, y in zip(a, b)]
    elif _category(a) != _category(b):
        return False  # null, object, list and primitive never equal one another
    else:
        return _equal(a, b)
    if any(answer is False for answer in answers):
        return False
    return None if any(answer is None for answer in answers) else True


def _category(value: Any) -> str:
    return "null" if value is None else "object" if isinstance(value, dict) else "list" if isinstance(value, list) \
        else "primitive"


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)


# --- functions ----------------------------------------------------------------------------------

def _string(value: Any) -> str:
    text = to_string(value)
    if not isinstance(text, str):
        raise TypeError("unknown")
    return text


def _format(args: list[Any]) -> str:
    spec, values = _string(args[0]), list(args[1:])
    out: list[str] = []
    i = 0
    while i < len(spec):
        ch = spec[i]
        if ch != "%":
            out.append(ch)
            i += 1
            continue
        if spec[i + 1:i + 2] == "%":
            out.append("%")
            i += 2
            continue
        match = re.match(r"%([-+# 0]*\d*(?:\.\d+)?)([sdqvtfeEgGxXob])", spec[i:])
        if not match or not values:
            raise ValueError("format verb not supported")
        verb = match.group(2)
        value = values.pop(0)
        if verb in ("s", "v"):
            out.append(_string(value) if not isinstance(value, (list, dict)) else json_encode(value))
        elif verb == "d":
            out.append(str(int(_number(value))))
        elif verb == "q":
            out.append(json.dumps(_string(value)))
        elif verb == "t":
            out.append("true" if value is True else "false")
        else:
            out.append(("%" + match.group(1) + verb) % _number(value))
        i += len(match.group(0))
    return "".join(out)


def _flatten(value: Any) -> list[Any]:
    out: list[Any] = []
    for item in value:
        if isinstance(item, list):
            out.extend(_flatten(item))
        else:
            out.append(item)
    return out


def _distinct(value: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in value:
        if item not in out:
            out.append(item)
    return out


def _toset(value: list[Any]) -> list[Any]:
    items = _distinct(list(value))
    if all(isinstance(v, str) for v in items):
        return sorted(items)
    return items


def _lookup(args: list[Any]) -> Any:
    mapping, key = args[0], _string(args[1])
    if key in mapping:
        return mapping[key]
    if len(args) > 2:
        return args[2]
    raise KeyError(key)


def _coalesce(args: list[Any]) -> Any:
    for value in args:
        if value is not None and value != "":
            return value
    raise ValueError("no non-null, non-empty argument")


def _replace(args: list[Any]) -> str:
    text, search, replacement = (_string(a) for a in args)
    if len(search) > 1 and search.startswith("/") and search.endswith("/"):
        raise ValueError("regular expression replace is not evaluated statically")
    return text.replace(search, replacement)


def _one(value: list[Any]) -> Any:
    if len(value) > 1:
        raise ValueError("more than one element")
    return value[0] if value else None


def _element(args: list[Any]) -> Any:
    items, index = args[0], int(_number(args[1]))
    if not items:
        raise IndexError("empty list")
    return items[index % len(items)]


def _substr(args: list[Any]) -> str:
    text, offset, length = _string(args[0]), int(_number(args[1])), int(_number(args[2]))
    if offset < 0:
        offset = len(text) + offset
    return text[offset:] if length == -1 else text[offset:offset + length]


_FUNCTIONS: dict[str, Callable[[list[Any]], Any]] = {
    "jsonencode": lambda a: json_encode(a[0]),
    "jsondecode": lambda a: json.loads(_string(a[0])),
    "format": _format,
    "formatlist": lambda a: [_format([a[0]] + [x[i] if isinstance(x, list) else x for x in a[1:]])
                             for i in range(max((len(x) for x in a[1:] if isinstance(x, list)), default=0))],
    "join": lambda a: _string(a[0]).join(_string(x) for x in _flatten(a[1:])),
    "split": lambda a: _string(a[1]).split(_string(a[0])),
    "concat": lambda a: [x for part in a for x in part],
    "merge": lambda a: {k: v for part in a if part is not None for k, v in part.items()},
    "flatten": lambda a: _flatten(a[0]),
    "distinct": lambda a: _distinct(a[0]),
    "compact": lambda a: [x for x in a[0] if x is not None and x != ""],
    "lower": lambda a: _string(a[0]).lower(),
    "upper": lambda a: _string(a[0]).upper(),
    "title": lambda a: _string(a[0]).title(),
    "replace": _replace,
    "trimspace": lambda a: _string(a[0]).strip(),
    "trimprefix": lambda a: _string(a[0])[len(_string(a[1])):] if _string(a[0]).startswith(_string(a[1])) else _string(a[0]),
    "trimsuffix": lambda a: _string(a[0])[:-len(_string(a[1]))] if _string(a[1]) and _string(a[0]).endswith(_string(a[1])) else _string(a[0]),
    "trim": lambda a: _string(a[0]).strip(_string(a[1])),
    "chomp": lambda a: _string(a[0]).rstrip("\r\n"),
    "startswith": lambda a: _string(a[0]).startswith(_string(a[1])),
    "endswith": lambda a: _string(a[0]).endswith(_string(a[1])),
    "strcontains": lambda a: _string(a[1]) in _string(a[0]),
    "substr": _substr,
    "length": lambda a: len(a[0]),
    "element": _element,
    "lookup": _lookup,
    "coalesce": _coalesce,
    "coalescelist": lambda a: next(x for x in a if x),
    "tolist": lambda a: list(a[0]),
    "toset": lambda a: _toset(a[0]),
    "tomap": lambda a: dict(a[0]),
    "tostring": lambda a: None if a[0] is None else _string(a[0]),
    "tonumber": lambda a: None if a[0] is None else _number(a[0]),
    "tobool": lambda a: a[0] if isinstance(a[0], bool) or a[0] is None else {"true": True, "false": False}[a[0]],
    "keys": lambda a: sorted(a[0]),
    "values": lambda a: [a[0][k] for k in sorted(a[0])],
    "contains": lambda a: a[1] in a[0],
    "zipmap": lambda a: dict(zip((_string(k) for k in a[0]), a[1])),
    "range": lambda a: list(range(*(int(_number(x)) for x in a))),
    "sort": lambda a: sorted(_string(x) for x in a[0]),
    "reverse": lambda a: list(reversed(a[0])),
    "setunion": lambda a: _toset([x for part in a for x in part]),
    "setintersection": lambda a: _toset([x for x in a[0] if all(x in part for part in a[1:])]),
    "setsubtract": lambda a: _toset([x for x in a[0] if x not in a[1]]),
    "one": lambda a: _one(a[0]),
    "max": lambda a: max(_number(x) for x in a),
    "min": lambda a: min(_number(x) for x in a),
    "abs": lambda a: abs(_number(a[0])),
    "index": lambda a: a[0].index(a[1]),
    "slice": lambda a: a[0][int(_number(a[1])):int(_number(a[2]))],
    "chunklist": lambda a: [a[0][i:i + int(_number(a[1]))] for i in range(0, len(a[0]), int(_number(a[1])) or 1)],
    "transpose": lambda a: {v: sorted(k for k, vs in a[0].items() if v in vs) for vs in a[0].values() for v in vs},
}
# Functions that build collections element by element: an unknown element stays one element.
_STRUCTURAL = frozenset({"concat", "merge", "tolist", "toset", "tomap", "flatten", "compact", "distinct",
                         "coalescelist", "one", "element", "lookup", "length", "keys", "values"})


def parse_error(file: str, exc: Exception) -> InputError:
    """A clear one-line error for an HCL syntax error: line, column and what was found."""
    line = getattr(exc, "line", None)
    column = getattr(exc, "column", None)
    if not isinstance(line, int) or line < 1:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else "invalid HCL syntax"
        return InputError(f"invalid HCL ({message[:160]})")
    where = f"line {line}" + (f", column {column}" if isinstance(column, int) and column > 0 else "")
    return InputError(f"invalid HCL at {where}: {_unexpected_text(getattr(exc, 'token', None))}")


def _unexpected_text(token: Any) -> str:
    """What the parser found, on one line."""
    if token is None:
        return "invalid HCL syntax"
    if getattr(token, "type", "") == "$END":
        return "unexpected end of file (an unclosed block, bracket or string?)"
    text = str(token)
    first = text.split("\n", 1)[0].strip()
    if not first:
        return "unexpected end of line" if "\n" in text else "invalid HCL syntax"
    return f"unexpected {first[:40]!r}" + ("..." if len(first) > 40 else "")
