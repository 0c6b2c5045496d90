"""A source file as text, a parsed tree and a way back from a tree path to file:line:column.

Loaders parse with the fast C JSON decoder or a safe YAML composer; line marks for JSON are
computed only when a finding needs one, so a clean file never pays for them.
"""
from __future__ import annotations

import bisect
import codecs
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable

from ..errors import InputError

PathStep = str | int
TreePath = tuple[PathStep, ...]

# A 100,000-role Terraform plan (`terraform show -json`, compact) is about 140 MiB and scans
# in 1.5 GB; the limit keeps a stray multi-gigabyte file from exhausting a CI runner.
MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_DEPTH = 200


@dataclass(frozen=True)
class Problem:
    """A grammar problem the parser saw (duplicate key, octal number) at a tree path."""

    code: str
    path: TreePath
    detail: str = ""


class LineIndex:
    """Turns character offsets into 1-based (line, column)."""

    def __init__(self, text: str) -> None:
        starts = [0]
        find = text.find
        pos = find("\n")
        while pos != -1:
            starts.append(pos + 1)
            pos = find("\n", pos + 1)
        self._starts = starts

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._starts, offset) - 1
        return line + 1, offset - self._starts[line] + 1


@dataclass
class SourceFile:
    """A parsed file: its display name, text, tree, parse problems and (lazy) marks."""

    name: str
    text: str
    root: Any
    format: str
    problems: list[Problem] = field(default_factory=list)
    _marks: dict[TreePath, tuple[int, int]] | None = None
    _mark_builder: Callable[[], dict[TreePath, tuple[int, int]]] | None = None
    # Alternative to marks: finds one path on demand (large JSON files).
    _locator: Callable[[TreePath], tuple[int, int] | None] | None = None
    # A tree built from several files (a Terraform module read from its .tf files): the file,
    # line and column where the node at a path, or its nearest located ancestor, was written.
    _where: Callable[[TreePath], tuple[str, int, int] | None] | None = None

    # What the source says about the value at a path beyond the value itself (why a Terraform
    # source value is unknown), for messages; None: nothing.
    _written: Callable[[TreePath, str], str] | None = None
    # How a path is shown in reports (default: its JSONPath in this file).
    _path_text: Callable[[TreePath], str] | None = None

    def said(self, path: TreePath, text: str = "") -> str:
        """What the source says about the value at `path` (whose text is `text`) beyond the
        value itself, or ""."""
        return self._written(tuple(path), text) if self._written is not None else ""

    def path_text(self, path: TreePath) -> str:
        if self._path_text is not None:
            return self._path_text(tuple(path))
        from ..normalize.values import json_path

        return json_path(path)

    def where(self, path: TreePath) -> tuple[str, int | None, int | None]:
        """File, line and column of the node at `path` (the file is `name` but for a tree
        built from several files)."""
        if self._where is not None:
            hit = self._where(tuple(path))
            return hit if hit is not None else (self.name, None, None)
        line, column = self.locate(path)
        return self.name, line, column

    def locate(self, path: TreePath) -> tuple[int | None, int | None]:
        """Line and column of the node at `path`, or of its nearest located ancestor."""
        if self._where is not None:
            _, line, column = self.where(path)
            return line, column
        if self._locator is not None:
            probe = tuple(path)
            while True:
                hit = self._locator(probe)
                if hit is not None:
                    return hit
                if not probe:
                    return (1, 1) if self.text else (None, None)
                probe = probe[:-1]
        if self._marks is None:
            self._marks = self._mark_builder() if self._mark_builder else {}
        probe = tuple(path)
        while True:
            hit = self._marks.get(probe)
            if hit is not None:
                return hit
            if not probe:
                return (1, 1) if self.text else (None, None)
            probe = probe[:-1]


def decode_bytes(data: bytes) -> str:
    """Decode a file's bytes: UTF-8 (with or without BOM), UTF-16/32 with a BOM, or UTF-16 without one."""
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(codec)
            except UnicodeDecodeError as exc:
                raise InputError(f"invalid {codec.upper()} text at byte {exc.start + len(bom)}") from None
    if len(data) >= 4 and b"\x00" in data[:4]:
        # PowerShell and some editors write UTF-16 without a BOM: ASCII then alternates with NULs.
        if data[1] == 0 and data[3] == 0 and data[0] != 0 and data[2] != 0:
            codec = "utf-16-le"
        elif data[0] == 0 and data[2] == 0 and data[1] != 0 and data[3] != 0:
            codec = "utf-16-be"
        else:
            raise InputError("binary data, not a text file")
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            raise InputError("binary data, not a text file") from None
        if "\x00" in text:
            raise InputError("binary data, not a text file")
        return text
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (invalid byte at offset {exc.start})") from None
    if "\x00" in text:
        raise InputError("binary data, not a text file")
    return text


def check_depth(value: Any, limit: int = MAX_DEPTH) -> None:
    """Reject trees nested deeper than `limit`: the engine crashes on deep input."""
    level, depth = [value], 0  # level by level: no per-node bookkeeping
    while level:
        if depth > limit:
            raise InputError(f"nested more than {limit} levels deep")
        below: list[Any] = []
        for node in level:
            if isinstance(node, dict):
                below.extend(node.values())
            elif isinstance(node, list):
                below.extend(node)
        level, depth = below, depth + 1


def key_of(step: Hashable) -> PathStep:
    return step if isinstance(step, int) else str(step)


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an object" if isinstance(value, dict) else "a list" if isinstance(value, list) else type(value).__name__


def list_at(node: dict[str, Any], key: str, where: str = "") -> list[Any]:
    """`node[key]` as a list: empty when absent or null. Anything else is a malformed file, an
    InputError: skipping it would report a clean result for what was not checked."""
    value = node.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(f"{where}{key} must be a list, not {_kind_of(value)}")
    return value


def dict_at(node: dict[str, Any], key: str, where: str = "") -> dict[str, Any]:
    """`node[key]` as an object: empty when absent or null, an InputError when it is not one."""
    value = node.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(f"{where}{key} must be an object, not {_kind_of(value)}")
    return value
