"""From a path on disk to a parsed SourceFile, and the walk over directories."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from ..config import CONFIG_FILE_NAME
from .json_source import load_json
from .source import MAX_FILE_BYTES, InputError, SourceFile, decode_bytes
from .yaml_source import load_yaml

SCANNED_SUFFIXES = (".json", ".yaml", ".yml", ".template")
MAX_YAML_BYTES = 16 * 1024 * 1024
_SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".terraform", ".tox"})
# Words that IaC and IAM files contain: a file without any of them that fails to parse is not
# one of ours, so a directory walk skips it instead of failing the scan.
_IAC_MARKERS = ("Statement", "AWSTemplateFormatVersion", "Resources", "resource_changes", "format_version",
                "AssumeRolePolicyDocument", "RoleDetailList", "Principal", "terraform_version")


@dataclass(frozen=True)
class Candidate:
    """A file to scan, and whether the user named it (errors) or a walk found it (skips)."""

    path: Path
    display: str
    explicit: bool


def candidates(paths: list[str | os.PathLike[str]], *, named_as_found: bool = False) -> Iterator[Candidate | InputErrorAt]:
    """The files to scan. `named_as_found`: a file named in `paths` is treated like one a walk
    found (skipped when it is not IaC), for callers such as pre-commit that name every file."""
    for raw in paths:
        path = Path(raw)
        display = os.fspath(raw)
        if path.is_dir():
            yield from _walk(path)
        elif path.is_file():
            yield Candidate(path, display, explicit=not named_as_found)
        elif path.exists() or path.is_symlink():
            yield InputErrorAt(display, "not a regular file" if path.exists() else "broken symbolic link")
        else:
            yield InputErrorAt(display, "no such file or directory")


@dataclass(frozen=True)
class InputErrorAt:
    display: str
    message: str


def _walk(root: Path) -> Iterator[Candidate | InputErrorAt]:
    errors: list[OSError] = []
    for directory, dirnames, filenames in os.walk(root, onerror=errors.append, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIPPED_DIRS)
        for name in sorted(filenames):
            if not name.lower().endswith(SCANNED_SUFFIXES) or name == CONFIG_FILE_NAME:
                continue
            path = Path(directory) / name
            if path.is_symlink() and not path.exists():
                yield InputErrorAt(str(path), "broken symbolic link")
                continue
            if not path.is_file():
                # A FIFO or device named like a policy: reading it could block forever.
                yield InputErrorAt(str(path), "not a regular file")
                continue
            yield Candidate(path, str(path), explicit=False)
    for err in errors:
        yield InputErrorAt(str(err.filename or root), f"cannot read directory: {err.strerror or err}")


def read_source(candidate: Candidate) -> SourceFile:
    """Read, decode and parse a file: JSON by content (tab-indented JSON breaks YAML parsers), else YAML."""
    try:
        size = candidate.path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(f"file is {size / 2**20:.0f} MiB, over the {MAX_FILE_BYTES // 2**20} MiB limit")
        data = candidate.path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}") from None
    text = decode_bytes(data)
    if not text.strip():
        raise InputError("empty file")
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            source = load_json(candidate.display, text)
        except InputError:
            if _is_ui_stream(stripped.split("\n", 1)[0]):
                raise InputError(_UI_STREAM) from None
            raise
        if isinstance(source.root, dict) and _is_ui_message(source.root):
            raise InputError(_UI_STREAM)
        return source
    if len(data) > MAX_YAML_BYTES:
        raise InputError(f"YAML file over the {MAX_YAML_BYTES // 2**20} MiB limit")
    return load_yaml(candidate.display, text)


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
        ):
            return "cloudformation"
    if looks_like_iam(root):
        return "iam"
    return None
