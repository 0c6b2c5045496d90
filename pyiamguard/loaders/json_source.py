"""JSON files: fast parse with duplicate-key detection, line marks computed on demand."""
from __future__ import annotations

import json
import json.decoder
import json.scanner
from typing import Any

from .source import (
    InputError,
    LineIndex,
    Problem,
    SourceFile,
    TreePath,
    check_depth,
)


class JsonObject(dict):  # type: ignore[type-arg]
    """A JSON object that remembers keys it saw more than once (the last value wins, as in IAM)."""

    duplicate_keys: tuple[str, ...] = ()


def _pairs_hook(pairs: list[tuple[str, Any]]) -> JsonObject:
    obj = JsonObject(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        dups = []
        for key, _ in pairs:
            if key in seen and key not in dups:
                dups.append(key)
            seen.add(key)
        obj.duplicate_keys = tuple(dups)
    return obj


class WrittenFloat(float):
    """A JSON number beyond float range (`1e999`): it reads as infinite, and shows as written,
    so a message quotes the template's text rather than `inf`."""

    text: str = ""

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__


def _parse_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        written = WrittenFloat(value)
        written.text = text
        return written
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json_text(text: str) -> Any:
    """Parse strict JSON (no NaN/Infinity); raise InputError with line and column on failure."""
    try:
        return json.loads(text, object_pairs_hook=_pairs_hook, parse_constant=_reject_constant,
                          parse_float=_parse_float)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise InputError("JSON nested too deeply") from None
    except ValueError as exc:
        raise InputError(f"invalid JSON: {exc}") from None


def duplicate_problems(root: Any) -> list[Problem]:
    """Every duplicate key in the tree, as a problem at the duplicated key's path."""
    if not _has_duplicates(root):  # the usual case: no paths to build
        return []
    out: list[Problem] = []
    stack: list[tuple[Any, TreePath]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            for key in getattr(node, "duplicate_keys", ()):
                out.append(Problem("duplicate_key", path + (key,), key))
            stack.extend((v, path + (k,)) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, path + (i,)) for i, v in enumerate(node))
    out.sort(key=lambda p: [str(s) for s in p.path])
    return out


def _has_duplicates(root: Any) -> bool:
    level = [root]
    while level:
        below: list[Any] = []
        for node in level:
            if isinstance(node, dict):
                if getattr(node, "duplicate_keys", ()):
                    return True
                below.extend(node.values())
            elif isinstance(node, list):
                below.extend(node)
        level = below
    return False


def load_json(name: str, text: str) -> SourceFile:
    root = parse_json_text(text)
    check_depth(root)
    return SourceFile(
        name=name,
        text=text,
        root=root,
        format="json",
        problems=duplicate_problems(root),
        _locator=JsonLocator(text).locate,
    )


class JsonLocator:
    """Finds the (line, column) of one tree path in JSON text on demand.

    Each container on a requested path is indexed once: its children's offsets, found by
    skipping every child with the C decoder. A finding in a 20 MB plan costs one pass over
    the containers above it, not a pure-Python parse of the whole file.
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self._decoder = json.JSONDecoder()
        self._index: LineIndex | None = None
        self._children: dict[int, dict[Any, tuple[int, int]]] = {}  # container offset -> child -> (mark, value)

    def locate(self, path: TreePath) -> tuple[int, int] | None:
        ws = json.decoder.WHITESPACE.match
        offset = ws(self._text, 0).end()
        mark = offset
        for step in path:
            children = self._children.get(offset)
            if children is None:
                children = self._scan(offset)
                self._children[offset] = children
            if step not in children:
                return None
            mark, offset = children[step]
        if self._index is None:
            self._index = LineIndex(self._text)
        return self._index.position(mark)

    def _scan(self, offset: int) -> dict[Any, tuple[int, int]]:
        text, ws = self._text, json.decoder.WHITESPACE.match
        out: dict[Any, tuple[int, int]] = {}
        opener = text[offset:offset + 1]
        if opener not in ("{", "["):
            return out
        pos = ws(text, offset + 1).end()
        index = 0
        try:
            while text[pos:pos + 1] not in ("}", "]", ""):
                if opener == "{":
                    key_at = pos
                    key, pos = json.decoder.scanstring(text, pos + 1)
                    pos = ws(text, ws(text, pos).end() + 1).end()  # past ':'
                    _, end = self._decoder.raw_decode(text, pos)
                    out[key] = (key_at, pos)  # a duplicate key keeps the last, as the parser does
                else:
                    _, end = self._decoder.raw_decode(text, pos)
                    out[index] = (pos, pos)
                    index += 1
                pos = ws(text, end).end()
                if text[pos:pos + 1] == ",":
                    pos = ws(text, pos + 1).end()
        except (ValueError, RecursionError):
            pass
        return out


def json_marks(text: str) -> dict[TreePath, tuple[int, int]]:
    """Map every tree path to the (line, column) of its key (objects) or value (arrays).

    Uses the pure-Python scanner, whose object and array parsers can be replaced: the C
    scanner ignores such hooks. Runs only when a finding in this file needs a location.
    """
    positions: dict[int, dict[Any, int]] = {}
    decoder = json.JSONDecoder()
    keepalive: list[Any] = []

    def parse_object(s_and_end, strict, scan_once, object_hook, object_pairs_hook, memo=None):  # type: ignore[no-untyped-def]
        # CPython's JSONObject, recording where each key starts.
        s, end = s_and_end
        obj: dict[str, Any] = {}
        offsets: dict[Any, int] = {}
        ws = json.decoder.WHITESPACE.match
        end = ws(s, end).end()
        if s[end:end + 1] == "}":
            positions[id(obj)] = offsets
            keepalive.append(obj)
            return obj, end + 1
        while True:
            end = ws(s, end).end()
            key_start = end
            key, end = json.decoder.scanstring(s, end + 1, strict)
            end = ws(s, end).end() + 1  # past ':'
            end = ws(s, end).end()
            value, end = scan_once(s, end)
            obj[key] = value
            offsets[key] = key_start
            end = ws(s, end).end()
            char = s[end:end + 1]
            end += 1
            if char == "}":
                break
        positions[id(obj)] = offsets
        keepalive.append(obj)
        return obj, end

    def parse_array(s_and_end, scan_once):  # type: ignore[no-untyped-def]
        s, end = s_and_end
        values: list[Any] = []
        offsets: dict[Any, int] = {}
        ws = json.decoder.WHITESPACE.match
        end = ws(s, end).end()
        if s[end:end + 1] == "]":
            positions[id(values)] = offsets
            keepalive.append(values)
            return values, end + 1
        while True:
            end = ws(s, end).end()
            offsets[len(values)] = end
            value, end = scan_once(s, end)
            values.append(value)
            end = ws(s, end).end()
            char = s[end:end + 1]
            end += 1
            if char == "]":
                break
        positions[id(values)] = offsets
        keepalive.append(values)
        return values, end

    decoder.parse_object = parse_object  # type: ignore[assignment]
    decoder.parse_array = parse_array  # type: ignore[assignment]
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
    try:
        root = decoder.decode(text)
    except (ValueError, RecursionError):
        return {}
    index = LineIndex(text)
    marks: dict[TreePath, tuple[int, int]] = {}
    stack: list[tuple[Any, TreePath]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        offsets = positions.get(id(node)) if isinstance(node, (dict, list)) else None
        if isinstance(node, dict):
            for key, value in node.items():
                if offsets and key in offsets:
                    marks[path + (key,)] = index.position(offsets[key])
                stack.append((value, path + (key,)))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                if offsets and i in offsets:
                    marks[path + (i,)] = index.position(offsets[i])
                stack.append((value, path + (i,)))
    first = len(text) - len(text.lstrip())
    marks[()] = index.position(first)
    return marks

