"""Fingerprints and baselines: adopt pyiamguard on a large repository without fixing everything first.

A finding's **fingerprint** is the SHA-256 of its rule id, its file (relative to a base
directory, the working directory for the CLI, in `/` form), its resource and the JSONPath of
the offending node. The line is not part of it: an edit above the finding keeps the
fingerprint. SARIF's `partialFingerprints` carry the same value, so GitHub code scanning and
the baseline agree on what "the same finding" is.

`pyiamguard scan --write-baseline FILE` writes `render_baseline(report)`; `--baseline FILE`
reads it with `parse_baseline` and `apply_baseline` moves the findings it lists from
`Report.violations` to `Report.baselined`: only new findings count toward the exit code.

The file is JSON, sorted, one entry per fingerprint (the other fields are for people reviewing
the file; only `fingerprint` is read back):

    {
      "pyiamguard_baseline": 1,
      "findings": [
        {"fingerprint": "<64 hex>", "rule_id": "IAMG-103", "file": "iam/vendor.json",
         "resource": "vendor-role", "path": "$.Statement[0].Principal.AWS"}
      ]
    }
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from pathlib import Path, PurePath
from typing import Any, Iterable

from .errors import BaselineError
from .model import Report, Violation

BASELINE_VERSION = 1
_FINGERPRINT = re.compile(r"^[0-9a-f]{64}\Z")


def artifact_path(file: str, base_dir: str | os.PathLike[str] | None = None) -> str:
    """`file` as reports for CI name it: relative to `base_dir`, in `/` form, without `./`.

    A file outside `base_dir` keeps an absolute path; a name that is not a path (such as
    `<document>`) is returned unchanged. Without `base_dir` the path is only normalized."""
    if not file or file.startswith("<"):
        return file
    if base_dir is None:
        return PurePath(os.path.normpath(file)).as_posix()
    base = os.path.abspath(base_dir)
    full = os.path.normpath(os.path.join(base, file))
    try:
        relative = os.path.relpath(full, base)
    except ValueError:  # another drive (Windows)
        return PurePath(full).as_posix()
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return PurePath(full).as_posix()
    return PurePath(relative).as_posix()


def fingerprint(violation: Violation, base_dir: str | os.PathLike[str] | None = None) -> str:
    """SHA-256 (hex) of rule id, file (see `artifact_path`), resource and JSONPath; not the line."""
    parts = (violation.rule_id, artifact_path(violation.file, base_dir), violation.resource, violation.path)
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()


def render_baseline(report: Report, base_dir: str | os.PathLike[str] | None = None) -> str:
    """The baseline file recording every violation of `report` (not the suppressed ones)."""
    entries: dict[str, dict[str, Any]] = {}
    for v in report.violations:
        entries.setdefault(fingerprint(v, base_dir), {
            "rule_id": v.rule_id,
            "file": artifact_path(v.file, base_dir),
            "resource": v.resource,
            "path": v.path,
        })
    findings = [
        {"fingerprint": fp, **entry}
        for fp, entry in sorted(entries.items(), key=lambda item: (
            item[1]["file"], item[1]["rule_id"], item[1]["resource"], item[1]["path"], item[0]))
    ]
    document = {"pyiamguard_baseline": BASELINE_VERSION, "findings": findings}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def parse_baseline(text: str, name: str = "baseline") -> frozenset[str]:
    """The fingerprints of a baseline file; BaselineError (naming `name`) when it is malformed."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise BaselineError(f"{name}: not a pyiamguard baseline: invalid JSON ({exc})") from None
    if not isinstance(document, dict) or "pyiamguard_baseline" not in document:
        raise BaselineError(f"{name}: not a pyiamguard baseline: expected an object with "
                            "'pyiamguard_baseline' and 'findings' (write one with --write-baseline)")
    version = document["pyiamguard_baseline"]
    if version != BASELINE_VERSION or isinstance(version, bool):
        raise BaselineError(f"{name}: unsupported baseline version {version!r} (expected {BASELINE_VERSION})")
    findings = document.get("findings")
    if not isinstance(findings, list):
        raise BaselineError(f"{name}: 'findings' must be a list")
    out = set()
    for i, entry in enumerate(findings):
        value = entry.get("fingerprint") if isinstance(entry, dict) else None
        if not isinstance(value, str) or not _FINGERPRINT.match(value):
            raise BaselineError(f"{name}: findings[{i}]: expected an object whose 'fingerprint' is 64 hex digits")
        out.add(value)
    return frozenset(out)


def load_baseline(path: str | os.PathLike[str]) -> frozenset[str]:
    """Read and parse a baseline file; BaselineError when it cannot be read or is malformed."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise BaselineError(f"{os.fspath(path)}: cannot read the baseline: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise BaselineError(f"{os.fspath(path)}: not a pyiamguard baseline: not UTF-8 text") from None
    return parse_baseline(text, os.fspath(path))


def apply_baseline(report: Report, fingerprints: Iterable[str],
                   base_dir: str | os.PathLike[str] | None = None) -> Report:
    """The report with every violation whose fingerprint is in `fingerprints` moved to `baselined`."""
    known = frozenset(fingerprints)
    new: list[Violation] = []
    old: list[Violation] = list(report.baselined)
    for v in report.violations:
        (old if fingerprint(v, base_dir) in known else new).append(v)
    return dataclasses.replace(report, violations=tuple(new), baselined=tuple(old))


__all__ = ["BaselineError", "artifact_path", "fingerprint", "render_baseline", "parse_baseline",
           "load_baseline", "apply_baseline"]
