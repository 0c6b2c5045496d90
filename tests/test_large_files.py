"""Huge files: bounded time, one clear line, and the rest of the scan still reported.

Threats: a 100 MB file (a generated plan, a vendored dump, a binary blob named `.json`) makes the
scan hang or run out of memory so CI times out without a verdict; a file over the size limit is
read anyway; one oversized file hides the findings in every other file of the directory.
Sparse files (`truncate`) keep the disk cost near zero.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pyiamguard
from pyiamguard.loaders.source import MAX_FILE_BYTES

HUNDRED_MB = 100 * 2**20
BOUND_SECONDS = 60
WILDCARD = {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}


def _sparse(path: Path, size: int, head: bytes = b"") -> Path:
    """A file of `size` bytes: `head`, then a hole of NUL bytes that takes no disk space."""
    with path.open("wb") as handle:
        handle.write(head)
        handle.truncate(size)
    return path


def _scan(cwd: Path, *args: str) -> tuple[int, str, str, float]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYIAMGUARD_DEBUG",)}
    env["NO_COLOR"] = "1"
    package_parent = str(Path(pyiamguard.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH")) if p)
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pyiamguard", "scan", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=BOUND_SECONDS * 2)
    elapsed = time.monotonic() - start
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout, done.stderr, elapsed


def test_limit_is_between_100_mb_and_what_a_ci_runner_can_hold() -> None:
    assert HUNDRED_MB < MAX_FILE_BYTES <= 256 * 2**20


def test_file_over_the_size_limit_is_one_line_error_without_being_read(tmp_path: Path) -> None:
    _sparse(tmp_path / "over.json", MAX_FILE_BYTES + 1, b'{"Version": "2012-10-17", "Statement": [')
    code, out, err, elapsed = _scan(tmp_path, "over.json")
    assert code == 2
    assert err.splitlines() == [f"error: over.json: file is {(MAX_FILE_BYTES + 1) / 2**20:.0f} MiB, over the "
                                f"{MAX_FILE_BYTES // 2**20} MiB limit"]
    assert elapsed < BOUND_SECONDS


def test_100_mb_binary_file_named_json_is_one_line_error_in_bounded_time(tmp_path: Path) -> None:
    _sparse(tmp_path / "blob.json", HUNDRED_MB, b'{"Version": "2012-10-17", "Statement": [')
    code, out, err, elapsed = _scan(tmp_path, "blob.json")
    assert code == 2
    assert len(err.splitlines()) == 1 and err.startswith("error: blob.json: ")
    assert elapsed < BOUND_SECONDS


def test_100_mb_policy_padded_with_whitespace_is_scanned_in_bounded_time(tmp_path: Path) -> None:
    text = json.dumps(WILDCARD)
    (tmp_path / "padded.json").write_text(text[:-1] + " " * HUNDRED_MB + "}", encoding="utf-8")
    code, out, err, elapsed = _scan(tmp_path, "padded.json", "--format", "json")
    assert code == 1, err
    assert [v["rule_id"] for v in json.loads(out)["violations"]] == ["IAMG-101"]
    assert elapsed < BOUND_SECONDS


def test_huge_files_in_a_directory_do_not_hide_findings_in_the_others(tmp_path: Path) -> None:
    tree = tmp_path / "repo"
    tree.mkdir()
    _sparse(tree / "over.json", MAX_FILE_BYTES + 1, b'{"Statement": [')
    _sparse(tree / "plan-dump.json", HUNDRED_MB, b'{"format_version": "1.2", "resource_changes": [')
    _sparse(tree / "noise.json", HUNDRED_MB)  # no IaC marker: skipped quietly by the walk
    (tree / "role.json").write_text(json.dumps(WILDCARD, indent=2), encoding="utf-8")

    code, out, err, elapsed = _scan(tmp_path, "repo", "--format", "json")
    assert code == 2
    report = json.loads(out)
    assert [(v["rule_id"], v["file"]) for v in report["violations"]] == [("IAMG-101", "repo/role.json")]
    assert sorted(e["file"] for e in report["errors"]) == ["repo/over.json", "repo/plan-dump.json"]
    assert all("\n" not in e["message"] for e in report["errors"])
    assert report["summary"]["files_skipped"] == 1
    assert elapsed < BOUND_SECONDS

    code, out, err, _ = _scan(tmp_path, "repo", "--format", "json", "--ignore-errors")
    assert code == 1
