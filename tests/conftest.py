"""Fixtures shared by the whole test suite.

``shared_dir``
    The team's shared folder, ``<repo>/../shared`` (``tools/opa_oracle.py``: real OPA from
    Python; ``spec/``, ``reference/``, ``corpus/``). A test that needs it takes this fixture.
    When the folder is missing the test is skipped on a developer machine, and fails when the
    ``CI`` environment variable is set (whatever its value): CI must never skip these tests.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest


def _repo_root() -> Path:
    """The folder holding pyproject.toml, searched upwards from this file."""
    for folder in Path(__file__).resolve().parents:
        if (folder / "pyproject.toml").is_file():
            return folder
    raise RuntimeError(f"no pyproject.toml above {__file__}")


REPO_ROOT = _repo_root()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``<repo>/../shared``; skipped when missing, failed when missing and ``CI`` is set."""
    path = REPO_ROOT.parent / "shared"
    if not path.is_dir():
        reason = f"shared folder {path} is missing"
        if "CI" in os.environ:
            pytest.fail(f"{reason}; CI is set, so this test must not be skipped", pytrace=False)
        pytest.skip(f"{reason}; set CI=1 to turn this skip into a failure")
    return path


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root (the folder holding pyproject.toml)."""
    return REPO_ROOT
