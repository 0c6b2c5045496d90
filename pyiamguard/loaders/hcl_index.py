"""Where a Terraform resource is written: `.tf` file and line of its block, from a resource address.

`pyiamguard scan plan.json --tf-source infra/` names, for every violation on a Terraform
resource, the `resource "TYPE" "NAME"` (or `data "TYPE" "NAME"`) block that declares it. This is
a light scan, not an HCL parser: a small tokenizer follows strings, `${...}` interpolations,
comments and heredocs so that only real top-level block headers count, and `module "NAME"`
calls whose `source` is a local path (`./x`, `../x`) are followed into their directories.
Registry, git and other remote sources are skipped (their resources are not located).

    index = TfSourceIndex.from_directory("infra")
    index.locate('module.a["x"].module.b.aws_iam_role.r["k"]')  # ('infra/modules/b/main.tf', 3)
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import TfSourceError
from .terraform import strip_instance_keys

_LABEL = r'(?:"((?:[^"\\]|\\.)*)"|([A-Za-z_][A-Za-z0-9_-]*))'
_BLOCK = re.compile(rf"^\s*(resource|data)\s+{_LABEL}\s+{_LABEL}\s*\{{")
_MODULE = re.compile(rf"^\s*module\s+{_LABEL}\s*\{{")
_SOURCE = re.compile(r'^\s*source\s*=\s*"([^"]*)"')
_INLINE_SOURCE = re.compile(r'\bsource\s*=\s*"([^"]*)"')
_HEREDOC = re.compile(r"<<-?\s*([A-Za-z_][A-Za-z0-9_-]*)\s*$")
_ADDRESS_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*\Z")


@dataclass
class _Module:
    """One Terraform module directory: its blocks and its module calls."""

    directory: str
    blocks: dict[tuple[str, str, str], tuple[str, int]] = field(default_factory=dict)  # (mode, type, name)
    calls: dict[str, str | None] = field(default_factory=dict)  # call name -> local directory, None if remote


class TfSourceIndex:
    """Blocks of a Terraform configuration tree, by module path, built once and queried by address."""

    def __init__(self, root: str) -> None:
        self.root = root
        self._modules: dict[str, _Module] = {}

    @classmethod
    def from_directory(cls, path: str | os.PathLike[str]) -> "TfSourceIndex":
        root = os.fspath(path)
        if not os.path.exists(root):
            raise TfSourceError(f"{root}: no such directory")
        if not os.path.isdir(root):
            raise TfSourceError(f"{root}: not a directory")
        try:
            os.listdir(root)
        except OSError as exc:
            raise TfSourceError(f"{root}: cannot read directory: {exc.strerror or exc}") from None
        index = cls(root)
        index._module(root)
        return index

    def locate(self, address: str) -> tuple[str, int] | None:
        """`(file, line)` of the block declaring the resource at `address`, or None."""
        parsed = _parse_address(address)
        if parsed is None:
            return None
        calls, key = parsed
        directory: str | None = self.root
        for name in calls:
            if directory is None:
                return None
            directory = self._module(directory).calls.get(name)
        if directory is None:
            return None
        return self._module(directory).blocks.get(key)

    def _module(self, directory: str) -> _Module:
        """The module in `directory`, scanned on first use (each directory once)."""
        key = os.path.normpath(directory)
        module = self._modules.get(key)
        if module is None:
            module = _scan_module(directory)
            self._modules[key] = module
        return module


def local_module_directories(directory: str | os.PathLike[str]) -> set[Path]:
    """The existing directories that the module in `directory` calls by a local source."""
    calls = _scan_module(os.fspath(directory)).calls.values()
    return {Path(target).resolve() for target in calls if target is not None and os.path.isdir(target)}


def _parse_address(address: str) -> tuple[list[str], tuple[str, str, str]] | None:
    """`module.a["x"].module.b.data.t.n[0]` -> (['a', 'b'], ('data', 't', 'n'))."""
    parts = strip_instance_keys(address).split(".")
    calls: list[str] = []
    while len(parts) >= 2 and parts[0] == "module":
        calls.append(parts[1])
        parts = parts[2:]
    mode = "resource"
    if parts[:1] == ["data"]:
        mode, parts = "data", parts[1:]
    if len(parts) != 2 or not all(_ADDRESS_NAME.match(p) for p in parts + calls):
        return None
    return calls, (mode, parts[0], parts[1])


def _scan_module(directory: str) -> _Module:
    module = _Module(directory)
    try:
        names = sorted(n for n in os.listdir(directory) if n.endswith(".tf"))
    except OSError:
        return module
    # Override files change blocks declared elsewhere: the primary declaration wins.
    names.sort(key=lambda n: n.endswith("_override.tf") or n == "override.tf")
    for name in names:
        path = os.path.join(directory, name)
        try:
            text = Path(path).read_text(encoding="utf-8-sig", errors="replace")
        except OSError:
            continue
        for kind, labels, line, source in _headers(text):
            if kind == "module":
                module.calls.setdefault(labels[0], _local_source(directory, source))
            else:
                module.blocks.setdefault((kind, labels[0], labels[1]), (path, line))
    return module


def _local_source(directory: str, source: str | None) -> str | None:
    """The directory of a local module source (`./x`, `../x`); None for registry, git, URLs."""
    if source is None or not source.startswith(("./", "../", ".\\", "..\\")):
        return None
    return os.path.normpath(os.path.join(directory, source))


def _label(match: re.Match[str], group: int) -> str:
    quoted, bare = match.group(group), match.group(group + 1)
    return bare if quoted is None else re.sub(r"\\(.)", r"\1", quoted)


def _headers(text: str) -> list[tuple[str, tuple[str, ...], int, str | None]]:
    """Top-level `resource`, `data` and `module` block headers: (kind, labels, line, module source).

    Follows quoted strings (with `${...}` holding nested strings and braces), `#`, `//` and
    `/* */` comments and heredocs, so text inside any of them never starts a block."""
    out: list[tuple[str, tuple[str, ...], int, str | None]] = []
    depth = 0  # brace depth in code
    stack: list[str] = []  # open contexts inside code: '"' string, '{' interpolation/brace in a string
    in_comment = False
    heredoc: str | None = None
    module_at: int | None = None  # index in `out` of the module block being read, at depth 1
    for number, line in enumerate(text.splitlines(), start=1):
        if heredoc is not None:
            if line.strip() == heredoc:
                heredoc = None
            continue
        if depth == 0 and not stack and not in_comment:
            block = _BLOCK.match(line)
            call = _MODULE.match(line) if block is None else None
            if block is not None:
                out.append((block.group(1), (_label(block, 2), _label(block, 4)), number, None))
            elif call is not None:
                inline = _INLINE_SOURCE.search(line, call.end())  # module "m" { source = "./m" }
                out.append(("module", (_label(call, 1),), number, inline.group(1) if inline else None))
                module_at = len(out) - 1
        elif depth == 1 and module_at is not None and not stack and not in_comment:
            source = _SOURCE.match(line)
            if source is not None and out[module_at][3] is None:
                kind, labels, at, _ = out[module_at]
                out[module_at] = (kind, labels, at, source.group(1))
        i, n = 0, len(line)
        while i < n:
            char = line[i]
            if in_comment:
                if line.startswith("*/", i):
                    in_comment = False
                    i += 2
                    continue
                i += 1
                continue
            if stack and stack[-1] == '"':
                if char == "\\":
                    i += 2
                    continue
                if char == '"':
                    stack.pop()
                elif line.startswith(("${", "%{"), i) and not line.startswith(("$${", "%%{"), i - 1 if i else 0):
                    stack.append("{")
                    i += 2
                    continue
                i += 1
                continue
            # code, at top level or inside an interpolation
            if char == "#" or line.startswith("//", i):
                break
            if line.startswith("/*", i):
                in_comment = True
                i += 2
                continue
            if char == '"':
                stack.append('"')
            elif char == "{":
                if stack:
                    stack.append("{")
                else:
                    depth += 1
            elif char == "}":
                if stack:
                    stack.pop()
                else:
                    depth = max(depth - 1, 0)
                    if depth == 0:
                        module_at = None
            elif char == "<" and line.startswith("<<", i) and not stack:
                marker = _HEREDOC.match(line, i)
                if marker is not None:
                    heredoc = marker.group(1)
                    break
            i += 1
        if stack and stack[-1] == '"':
            stack.clear()  # a quoted string cannot span lines: recover at the line end
    return out
