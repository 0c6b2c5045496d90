"""Where pyiamguard runs: the regopy releases it accepts, the platforms pip installs regopy on,
and a clear message (never a C++ build error or a traceback) everywhere else.

The facts behind the marker (which regopy wheels PyPI has): README "Platforms".
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

import pyiamguard
from pyiamguard import EngineUnavailableError, Scanner
from pyiamguard.config import Config
from pyiamguard.engine import REGOPY_BELOW, REGOPY_MINIMUM

REPO = Path(__file__).resolve().parent.parent
WILDCARD = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                     "Action": "sts:AssumeRole"}]}


def _regopy_requirement() -> Requirement:
    [line] = re.findall(r'^\s*"(regopy[^"]*)",$', (REPO / "pyproject.toml").read_text(encoding="utf-8"), flags=re.M)
    return Requirement(line)


def test_the_declared_range_is_the_one_the_engine_checks() -> None:
    requirement = _regopy_requirement()
    assert str(requirement.specifier) == "<2,>=1.4.0"
    assert REGOPY_MINIMUM == (1, 4, 0) and REGOPY_BELOW == (2,)
    assert requirement.specifier.contains("1.5.2") and requirement.specifier.contains("1.4.0")
    assert not requirement.specifier.contains("1.3.1") and not requirement.specifier.contains("2.0.0")


def _environment(sys_platform: str, machine: str, release: str = "") -> dict[str, str]:
    return {"sys_platform": sys_platform, "platform_machine": machine, "platform_release": release,
            "platform_system": {"linux": "Linux", "darwin": "Darwin", "win32": "Windows"}.get(sys_platform, sys_platform),
            "os_name": "nt" if sys_platform == "win32" else "posix", "python_version": "3.12",
            "python_full_version": "3.12.4", "implementation_name": "cpython", "platform_python_implementation": "CPython",
            "platform_version": "", "implementation_version": "3.12.4", "extra": ""}


@pytest.mark.parametrize(("sys_platform", "machine", "release", "installed"), [
    ("linux", "x86_64", "6.8.0", True),            # manylinux/musllinux x86_64 wheels
    ("linux", "aarch64", "6.8.0", True),           # manylinux/musllinux aarch64 wheels (1.5.x)
    ("win32", "AMD64", "10", True),                # win_amd64
    ("darwin", "arm64", "24.1.0", True),           # macOS 15: macosx_15_0_arm64
    ("darwin", "x86_64", "25.0.0", True),          # macOS 26: macosx_15_0_x86_64
    ("darwin", "arm64", "23.6.0", False),          # macOS 14: only regopy 1.3.0, which lacks glob.match
    ("darwin", "x86_64", "22.6.0", False),         # macOS 13
    ("win32", "ARM64", "10", False),               # no Windows arm64 wheel
    ("linux", "ppc64le", "6.8.0", False),
    ("linux", "armv7l", "6.8.0", False),
    ("freebsd14", "amd64", "14.1-RELEASE", False),
])
def test_regopy_is_installed_only_where_pip_finds_a_wheel(sys_platform: str, machine: str, release: str,
                                                         installed: bool) -> None:
    marker = _regopy_requirement().marker
    assert marker is not None
    assert marker.evaluate(_environment(sys_platform, machine, release)) is installed


def _oldest_regopy(tmp_path: Path) -> Path:
    """The oldest regopy the range admits, as a wheel (never a source build), in a folder of its own."""
    target = tmp_path / "oldest-regopy"
    oldest = ".".join(map(str, REGOPY_MINIMUM))
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--only-binary", "regopy",
                           "--target", str(target), f"regopy=={oldest}"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return target


_REPORT = """
import json, sys
from importlib.metadata import version
from pyiamguard import Config, scan
from pyiamguard.reporters.json_report import render
report = scan(sys.argv[1:], Config(allow_empty=True, require_permissions_boundary=True))
print(json.dumps({"regopy": version("regopy"), "report": json.loads(render(report, tool_version="-"))}))
"""


def _reports(pythonpath: list[Path], paths: list[Path]) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in [*pythonpath, Path(pyiamguard.__file__).parent.parent])
    done = subprocess.run([sys.executable, "-c", _REPORT, *map(str, paths)], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_oldest_supported_regopy_gives_the_same_reports(tmp_path: Path, shared_dir: Path) -> None:
    """Every rule example, fixture, shipped example and corpus file, scanned with the oldest
    regopy of the range and with the installed one: the same findings, byte for byte."""
    inputs = [REPO / "policies" / "pyiamguard" / "rules", REPO / "examples", REPO / "tests" / "fixtures",
              shared_dir / "corpus"]
    oldest = _reports([_oldest_regopy(tmp_path)], inputs)
    current = _reports([], inputs)
    assert oldest["regopy"] == ".".join(map(str, REGOPY_MINIMUM))
    assert current["regopy"] != oldest["regopy"]
    assert oldest["report"]["summary"]["violations"] > 500  # the comparison covers every rule, many times
    assert {v["rule_id"] for v in oldest["report"]["violations"]} == {r.rule_id for r in _rules()}
    assert oldest["report"] == current["report"]


def _rules() -> tuple:
    from pyiamguard.catalog import load_policy_set

    return load_policy_set().rules


# --- no regopy, or one too old: a clear message ---------------------------------------------------

_WITHOUT_REGOPY = """
import sys
sys.modules["regopy"] = None  # what `import regopy` meets where pip installed pyiamguard without it
from pyiamguard.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_without_regopy_the_cli_says_why_in_one_line(tmp_path: Path) -> None:
    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps(WILDCARD), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYIAMGUARD_DEBUG")}
    env["PYTHONPATH"] = str(Path(pyiamguard.__file__).parent.parent)
    done = subprocess.run([sys.executable, "-c", _WITHOUT_REGOPY, "scan", str(trust)], capture_output=True,
                          text=True, env=env)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("pyiamguard: error: the Rego engine is not available on this machine (")
    assert "regopy cannot be imported" in done.stderr
    assert "regopy publishes wheels for Linux x86_64 and aarch64 with glibc 2.34 or later" in done.stderr
    assert "pip install 'regopy>=1.4.0,<2'" in done.stderr and "README: Platforms" in done.stderr
    # --version and rules need no engine.
    for command in (["--version"], ["rules", "IAMG-101"]):
        assert subprocess.run([sys.executable, "-c", _WITHOUT_REGOPY, *command], capture_output=True,
                              env=env).returncode == 0


def test_without_regopy_the_library_raises_engine_unavailable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "regopy", None)
    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps(WILDCARD), encoding="utf-8")
    with pytest.raises(EngineUnavailableError, match="regopy cannot be imported"):
        Scanner(Config()).scan(trust)


@pytest.mark.parametrize(("version", "accepted"), [((1, 3, 1), False), ((1, 2, 0), False), ((0, 4, 6), False),
                                                   ((2, 0, 0), False), ((1, 4, 0), True), ((1, 5, 2), True)])
def test_a_regopy_outside_the_range_is_refused(monkeypatch: pytest.MonkeyPatch, version: tuple[int, ...],
                                                accepted: bool) -> None:
    from pyiamguard import engine

    monkeypatch.setattr(engine, "_installed_version", lambda name: version)
    if accepted:
        assert engine.import_regopy().__name__ == "regopy"
        return
    with pytest.raises(EngineUnavailableError) as info:
        engine.import_regopy()
    assert str(info.value) == (
        f"regopy {'.'.join(map(str, version))} is installed, and pyiamguard needs regopy >= 1.4.0, < 2 (older "
        "releases lack the glob.match built-in its rules use): pip install 'regopy>=1.4.0,<2'")


def test_the_readme_platforms_section_matches_the_engine() -> None:
    from pyiamguard.engine import SUPPORTED_PLATFORMS

    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    assert "## Platforms" in (REPO / "README.md").read_text(encoding="utf-8")
    assert SUPPORTED_PLATFORMS in readme
    assert "regopy>=1.4.0,<2" in readme
