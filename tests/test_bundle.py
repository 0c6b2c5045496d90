"""bundles/pyiamguard.tar.gz is current (rebuilt from policies/ it is identical) and complete."""
from __future__ import annotations

import gzip
import importlib.util
import io
import json
import re
import tarfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pyiamguard.catalog import load_policy_set
from pyiamguard.normalize.policy import normalize_policy

STALE = "bundles/pyiamguard.tar.gz is stale: run `python bundles/build.py` and commit the result"


@pytest.fixture(scope="module")
def build(repo_root: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("bundle_build", repo_root / "bundles" / "build.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def committed(repo_root: Path) -> bytes:
    path = repo_root / "bundles" / "pyiamguard.tar.gz"
    assert path.is_file(), STALE
    return path.read_bytes()


@pytest.fixture
def rebuilt(build: ModuleType, repo_root: Path, tmp_path: Path) -> bytes:
    output = tmp_path / "pyiamguard.tar.gz"
    assert build.main(["--policies", str(repo_root / "policies"), "--output", str(output)]) == 0
    return output.read_bytes()


def _members(bundle: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(bundle), mode="r:gz") as tar:
        out = {}
        for info in tar.getmembers():
            assert info.isfile(), info.name
            extracted = tar.extractfile(info)
            assert extracted is not None
            out[info.name] = extracted.read()
        return out


def test_bundle_is_up_to_date(rebuilt: bytes, committed: bytes) -> None:
    # The tar payload is compared: gzip output may differ between zlib builds, the content may not.
    assert gzip.decompress(rebuilt) == gzip.decompress(committed), STALE


def test_build_is_deterministic(build: ModuleType, repo_root: Path) -> None:
    assert build.build(repo_root / "policies") == build.build(repo_root / "policies")


def test_bundle_layout(committed: bytes, build: ModuleType, repo_root: Path) -> None:
    members = _members(committed)
    names = list(members)
    assert names[0] == "/.manifest" and names[1:] == sorted(names[1:])
    policies = repo_root / "policies"
    expected = {"/" + p.relative_to(policies).as_posix() for p in policies.rglob("*.rego") if not p.name.endswith("_test.rego")}
    assert set(names) == {"/.manifest", "/data.json"} | expected
    assert members["/data.json"] == (policies / "data.json").read_bytes()
    manifest = json.loads(members["/.manifest"])
    files = {n: c for n, c in members.items() if n != "/.manifest"}
    assert manifest == {"revision": build.revision(files), "roots": ["pyiamguard"]}
    for name, content in files.items():
        if name.endswith(".rego"):
            package = re.search(r"^package\s+([\w.]+)", content.decode(), re.M)
            assert package and package.group(1).split(".")[0] == "pyiamguard", f"{name} is outside the root"


def test_bundle_contains_every_rule_package(committed: bytes, repo_root: Path) -> None:
    packages = set()
    for name, content in _members(committed).items():
        if name.startswith("/pyiamguard/rules/"):
            match = re.search(r"^package\s+pyiamguard\.rules\.(\w+)", content.decode(), re.M)
            assert match, name
            packages.add(match.group(1))
    rule_dirs = {p.parent.name for p in (repo_root / "policies" / "pyiamguard" / "rules").glob("*/policy.rego")}
    assert packages == rule_dirs == {r.package for r in load_policy_set().rules}
    assert len(packages) >= 13


def test_bundle_and_conftest_adapter_evaluate_in_opa(committed: bytes, repo_root: Path, shared_dir: Path) -> None:
    """The bundle's modules and data, loaded into real OPA, answer data.pyiamguard.main.findings;
    the conftest adapter turns each finding into a deny with a string msg."""
    spec = importlib.util.spec_from_file_location("opa_oracle", shared_dir / "tools" / "opa_oracle.py")
    assert spec and spec.loader
    oracle: Any = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(oracle)
    engine = oracle.engine()
    for name, content in _members(committed).items():
        if name.endswith(".rego"):
            engine.add_policy(name, content.decode())
    engine.add_data(json.loads(_members(committed)["/data.json"]))
    adapter = repo_root / "bundles" / "conftest" / "pyiamguard_conftest.rego"
    engine.add_policy(str(adapter), adapter.read_text(encoding="utf-8"))

    document = normalize_policy(
        {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}}
    ).engine_input
    findings = engine.eval_query("x := data.pyiamguard.main.findings", document)[0]["x"]
    assert findings == [{"package": "iamg_101", "ref": "p2", "facts": {"statement": "s0"}}]
    denies = engine.eval_query("x := data.pyiamguard.conftest.deny", document)[0]["x"]
    assert denies == [{**findings[0], "msg": 'IAMG-101 p2 {"statement": "s0"}'}]
