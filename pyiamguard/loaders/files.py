"""From a path on disk to a parsed SourceFile, and the walk over directories."""
from __future__ import annotations

import fnmatch
import os
import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from ..config import CONFIG_FILE_NAMES
from .json_source import load_json
from .source import MAX_FILE_BYTES, InputError, SourceFile, decode_bytes
from .yaml_source import load_yaml

SCANNED_SUFFIXES = (".json", ".yaml", ".yml", ".template")
# Terraform and OpenTofu sources, native and JSON syntax: a directory holding them is one
# module, scanned as a whole (loaders/terraform_hcl.py).
TERRAFORM_MODULE_SUFFIXES = (".tf", ".tofu", ".tf.json", ".tofu.json")
STDIN = "-"
MAX_YAML_BYTES = 16 * 1024 * 1024
_SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".terraform", ".tox"})
# Words that IaC and IAM files contain: a file without any of them that fails to parse is not
# one of ours, so a directory walk skips it instead of failing the scan.
_IAC_MARKERS = ("Statement", "AWSTemplateFormatVersion", "Resources", "resource_changes", "format_version",
                "AssumeRolePolicyDocument", "RoleDetailList", "Principal", "terraform_version")
_CONFIG_FILE = "the pyiamguard configuration file (read from the working directory or with --config), not a policy"


@dataclass(frozen=True)
class Candidate:
    """A file to scan, and whether the user named it (errors) or a walk found it (skips).
    `path` None is standard input, shown as `display`."""

    path: Path | None
    display: str
    explicit: bool
    # "file", or "terraform-module": `path` is a directory of .tf files, scanned as one module.
    kind: str = "file"


@dataclass(frozen=True)
class InputErrorAt:
    display: str
    message: str


@dataclass(frozen=True)
class Skipped:
    """A file or directory left out before reading it, and why."""

    display: str
    reason: str


def candidates(paths: list[str | os.PathLike[str]], *, named_as_found: bool = False,
               skip_paths: tuple[str, ...] = (), stdin_name: str = "<stdin>") -> Iterator[Candidate | InputErrorAt | Skipped]:
    """The files to scan, in order. `named_as_found`: a file named in `paths` is treated like
    one a walk found (skipped when it is not IaC), for callers such as pre-commit that name
    every file. `skip_paths`: globs of files and directories to leave out (see `skip_match`).
    A path `-` is standard input, reported as `stdin_name`."""
    modules: set[Path] = set()
    for item in _candidates(paths, named_as_found, skip_paths, stdin_name):
        if isinstance(item, Candidate) and item.kind == "terraform-module" and item.path is not None:
            key = item.path.resolve()
            if key in modules:
                continue  # several files of one module named: it is scanned once
            modules.add(key)
        yield item


def _candidates(paths: list[str | os.PathLike[str]], named_as_found: bool, skip_paths: tuple[str, ...],
                stdin_name: str) -> Iterator[Candidate | InputErrorAt | Skipped]:
    for raw in paths:
        display = os.fspath(raw)
        if display == STDIN:
            yield Candidate(None, stdin_name, explicit=True)
            continue
        path = Path(raw)
        glob = skip_match(display, skip_paths)
        if glob is not None:
            yield Skipped(display, f"matches skip path {glob!r}")
        elif path.is_dir():
            yield from _walk(path, skip_paths)
        elif path.is_file():
            if is_terraform_module_file(path.name):
                # A .tf file means little alone (its variables and locals may sit beside it):
                # its directory is the module scanned.
                directory = path.parent
                yield Candidate(directory, os.path.dirname(display) or ".", explicit=not named_as_found,
                                kind="terraform-module")
            else:
                yield Candidate(path, display, explicit=not named_as_found)
        elif path.exists() or path.is_symlink():
            yield InputErrorAt(display, "not a regular file" if path.exists() else "broken symbolic link")
        else:
            yield InputErrorAt(display, "no such file or directory")


def is_terraform_module_file(name: str) -> bool:
    return name.lower().endswith(TERRAFORM_MODULE_SUFFIXES)


def skip_match(path: str, globs: tuple[str, ...], root: str | None = None) -> str | None:
    """The first glob of `globs` that matches `path`, else None. A glob (`fnmatch`, `*` also
    matches `/`) matches the path as given (`/` separators, without `./`), the path relative
    to the scanned directory `root`, or the file or directory name alone: `node_modules`,
    `tests/fixtures/*`, `*.template`, `*/legacy/*`."""
    if not globs:
        return None
    forms = {_posix(path), posixpath.basename(_posix(path))}
    if root is not None:
        forms.add(_posix(os.path.relpath(path, root)))
    for glob in globs:
        pattern = _posix(glob)
        if any(fnmatch.fnmatchcase(form, pattern) for form in forms):
            return glob
    return None


def _posix(path: str) -> str:
    text = path.replace("\\", "/")
    while text.startswith("./"):
        text = text[2:].lstrip("/")
    return posixpath.normpath(text) if text else text


def _walk(root: Path, skip_paths: tuple[str, ...]) -> Iterator[Candidate | InputErrorAt | Skipped]:
    errors: list[OSError] = []
    for directory, dirnames, filenames in os.walk(root, onerror=errors.append, followlinks=False):
        kept = []
        for name in sorted(d for d in dirnames if d not in _SKIPPED_DIRS):
            full = str(Path(directory) / name)
            glob = skip_match(full, skip_paths, os.fspath(root))
            if glob is None:
                kept.append(name)
            else:
                yield Skipped(full, f"matches skip path {glob!r}")
        dirnames[:] = kept
        module_files = [n for n in filenames if is_terraform_module_file(n)
                        and skip_match(str(Path(directory) / n), skip_paths, os.fspath(root)) is None]
        if module_files:
            yield Candidate(Path(directory), directory, explicit=False, kind="terraform-module")
        for name in sorted(filenames):
            lower = name.lower()
            if is_terraform_module_file(lower):  # read with its module (above), not alone
                glob = skip_match(str(Path(directory) / name), skip_paths, os.fspath(root))
                if glob is not None:
                    yield Skipped(str(Path(directory) / name), f"matches skip path {glob!r}")
                continue
            if not lower.endswith(SCANNED_SUFFIXES):
                continue
            path = Path(directory) / name
            glob = skip_match(str(path), skip_paths, os.fspath(root))
            if glob is not None:
                yield Skipped(str(path), f"matches skip path {glob!r}")
            elif name in CONFIG_FILE_NAMES:
                yield Skipped(str(path), _CONFIG_FILE)
            elif path.is_symlink() and not path.exists():
                yield InputErrorAt(str(path), "broken symbolic link")
            elif not path.is_file():
                # A FIFO or device named like a policy: reading it could block forever.
                yield InputErrorAt(str(path), "not a regular file")
            else:
                yield Candidate(path, str(path), explicit=False)
    for err in errors:
        yield InputErrorAt(str(err.filename or root), f"cannot read directory: {err.strerror or err}")


def read_source(candidate: Candidate) -> SourceFile:
    """Read, decode and parse a file (or standard input)."""
    if candidate.path is None:
        data = _read_stdin()
    else:
        try:
            size = candidate.path.stat().st_size
            if size > MAX_FILE_BYTES:
                raise InputError(f"file is {size / 2**20:.0f} MiB, over the {MAX_FILE_BYTES // 2**20} MiB limit")
            data = candidate.path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror or exc}") from None
    return parse_bytes(candidate.display, data)


def _read_stdin() -> bytes:
    import sys

    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        raise InputError("standard input is not available")
    try:
        data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read standard input: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise InputError(f"standard input is over the {MAX_FILE_BYTES // 2**20} MiB limit")
    return data


def parse_bytes(name: str, data: bytes | str) -> SourceFile:
    """Decode and parse a file's content: JSON by content (tab-indented JSON breaks YAML
    parsers), else YAML. A binary Terraform plan or another archive is an error saying what to
    run instead."""
    if isinstance(data, bytes):
        if data.startswith(_ZIP_MAGIC):
            raise InputError(_zip_message(data))
        text = decode_bytes(data)
    else:
        text = data
    if not text.strip():
        raise InputError("empty file")
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            source = load_json(name, text)
        except InputError:
            if _is_ui_stream(stripped.split("\n", 1)[0]):
                raise InputError(_UI_STREAM) from None
            raise
        if isinstance(source.root, dict) and _is_ui_message(source.root):
            raise InputError(_UI_STREAM)
        return source
    if len(text) > MAX_YAML_BYTES:
        raise InputError(f"YAML file over the {MAX_YAML_BYTES // 2**20} MiB limit")
    return load_yaml(name, text)


_ZIP_MAGIC = b"PK\x03\x04"


def _zip_message(data: bytes) -> str:
    """A zip archive: a saved `terraform plan -out` file (it holds a `tfplan` member), or another."""
    import io
    import zipfile

    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        names = set()
    if "tfplan" in names:
        return ("a binary Terraform plan (`terraform plan -out`): pyiamguard reads its JSON form, so run "
                "`terraform show -json <plan file> > tfplan.json` and scan tfplan.json")
    return "a zip archive, not a JSON or YAML file"


_UI_STREAM = ("this is `terraform plan -json` output (a stream of UI messages), not a plan: "
              "save the plan with `terraform plan -out=tfplan` and scan `terraform show -json tfplan`")


def _is_ui_message(value: Any) -> bool:
    return isinstance(value, dict) and "@message" in value and ("type" in value or "@level" in value)


def _is_ui_stream(first_line: str) -> bool:
    import json

    try:
        return _is_ui_message(json.loads(first_line))
    except (ValueError, RecursionError):
        return False


def looks_like_iac_text(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            raw = handle.read(1 << 20)
    except OSError:
        return True
    try:
        head = decode_bytes(raw)
    except InputError:
        head = raw.decode("utf-8", "ignore")
    return any(marker in head for marker in _IAC_MARKERS)


def classify(root: Any) -> str | None:
    """`iam`, `terraform-plan`, `cloudformation` or None for anything else."""
    from .iam import looks_like_iam

    if isinstance(root, dict):
        if "format_version" in root and any(k in root for k in ("resource_changes", "planned_values", "values", "prior_state")):
            return "terraform-plan"
        resources = root.get("Resources")
        if isinstance(resources, dict) and (
            "AWSTemplateFormatVersion" in root
            or any(isinstance(r, dict) and str(r.get("Type", "")).startswith(("AWS::", "Custom::")) for r in resources.values())
            or any(str(k).startswith("Fn::ForEach::") for k in resources)  # resources generated by loops
        ):
            return "cloudformation"
    if looks_like_iam(root):
        return "iam"
    return None
