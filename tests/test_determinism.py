"""Determinism: the same input gives byte-identical JSON, SARIF and JUnit reports across processes.

Threat: a report whose order depends on set iteration, dict order or `PYTHONHASHSEED` makes
baselines, SARIF uploads and code-review diffs churn on every run, hiding the one change that
matters. Each run here is a fresh process with another hash seed, over a folder that mixes raw
IAM documents, Terraform plans and CloudFormation templates (good, bad and broken ones).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyiamguard

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
RULE_EXAMPLES = REPO / "policies" / "pyiamguard" / "rules"
SEEDS = ("0", "1", "12345")
REPORTS = ("a.json", "b.sarif", "c.xml")


def _mixed_tree(root: Path) -> Path:
    """Copies of the repository's fixtures: IAM rule examples, Terraform plans, CloudFormation."""
    tree = root / "repo"
    for kind in ("terraform", "cloudformation"):
        destination = tree / kind
        destination.mkdir(parents=True)
        for source in sorted((FIXTURES / kind).iterdir()):
            if source.is_file():
                shutil.copy(source, destination / source.name)
    for examples in sorted(RULE_EXAMPLES.glob("*/examples")):
        destination = tree / "iam" / examples.parent.name
        destination.mkdir(parents=True)
        for source in sorted(examples.iterdir()):
            if source.is_file() and source.name != "expected.yaml":
                shutil.copy(source, destination / source.name)
    return tree


def _run(cwd: Path, seed: str, out: Path) -> tuple[int, dict[str, bytes]]:
    out.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "PYIAMGUARD_DEBUG", "PYTHONHASHSEED")}
    package_parent = str(Path(pyiamguard.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH")) if p)
    env["PYTHONHASHSEED"] = seed
    command = [sys.executable, "-m", "pyiamguard", "scan", "repo",
               "--format", f"json={out / 'a.json'}", "--format", f"sarif={out / 'b.sarif'}",
               "--format", f"junit={out / 'c.xml'}"]
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, timeout=300)
    assert b"Traceback" not in done.stderr, done.stderr.decode(errors="replace")
    return done.returncode, {name: (out / name).read_bytes() for name in REPORTS}


def test_hash_seed_does_not_change_json_sarif_or_junit_bytes(tmp_path: Path) -> None:
    _mixed_tree(tmp_path)
    runs = {seed: _run(tmp_path, seed, tmp_path / f"out-{seed}") for seed in SEEDS}
    first_code, first = runs[SEEDS[0]]
    assert first_code in (1, 2)  # the mixed tree holds violations (and possibly broken files)
    assert all(len(body) > 200 for body in first.values())
    assert b'"rule_id": "IAMG-101"' in first["a.json"]
    for seed in SEEDS[1:]:
        code, reports = runs[seed]
        assert code == first_code, f"PYTHONHASHSEED={seed}"
        for name in REPORTS:
            assert reports[name] == first[name], f"{name} differs with PYTHONHASHSEED={seed}"


def test_file_creation_order_does_not_change_report_bytes(tmp_path: Path) -> None:
    """Directory listing order follows creation order on many file systems: build the tree twice,
    forwards and backwards, and expect the same bytes."""
    forward = tmp_path / "forward"
    forward.mkdir()
    _mixed_tree(forward)
    backward = tmp_path / "backward"
    (backward / "repo").mkdir(parents=True)
    files = sorted(p for p in (forward / "repo").rglob("*") if p.is_file())
    for source in reversed(files):
        target = backward / source.relative_to(forward)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
    code_a, a = _run(forward, "0", tmp_path / "out-forward")
    code_b, b = _run(backward, "0", tmp_path / "out-backward")
    assert code_a == code_b
    for name in REPORTS:
        assert a[name] == b[name], name
