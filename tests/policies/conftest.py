"""Fixtures for the policy tests: the shared OPA oracle (real OPA through a Go shared library)."""
from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest


@pytest.fixture(scope="session")
def oracle_script(shared_dir: Path) -> Path:
    """``../shared/tools/opa_oracle.py`` (run it with ``sys.executable``)."""
    script = shared_dir / "tools" / "opa_oracle.py"
    if not script.is_file():
        pytest.fail(f"{script} is missing from the shared folder", pytrace=False)
    return script


@pytest.fixture(scope="session")
def opa_oracle(oracle_script: Path) -> ModuleType:
    """The oracle as a module: ``engine()`` gives an OpaEngine (add_policy, add_data, eval_query)."""
    spec = importlib.util.spec_from_file_location("opa_oracle", oracle_script)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def policies_dir(repo_root: Path) -> Path:
    return repo_root / "policies"
