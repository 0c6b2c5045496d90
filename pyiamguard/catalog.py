"""The rule catalogue: Rego sources and the `# METADATA` blocks Python reads (regopy cannot)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .model import RuleInfo, Severity

_PACKAGE_PREFIX = "pyiamguard.rules."


def policy_root() -> Path:
    """The folder holding `pyiamguard/**.rego` and `data.json`: inside the installed package
    (pyproject maps `policies/` to `pyiamguard/policies`), else the source tree's `policies/`."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "policies", here.parent / "policies"):
        if (candidate / "data.json").is_file() and (candidate / "pyiamguard").is_dir():
            return candidate
    raise FileNotFoundError(f"pyiamguard policies not found next to {here}")


@dataclass(frozen=True)
class PolicySet:
    """Every Rego module (name -> source, tests excluded), the default data, the rules."""

    modules: tuple[tuple[str, str], ...]
    data: str
    rules: tuple[RuleInfo, ...]

    def rule(self, rule_id: str) -> RuleInfo | None:
        return next((r for r in self.rules if r.rule_id == rule_id), None)

    def by_package(self) -> dict[str, RuleInfo]:
        return {r.package: r for r in self.rules}


def read_metadata(source: str) -> dict[str, object]:
    """The YAML of the first `# METADATA` comment block of a Rego module."""
    import yaml  # lazy: only needed when the catalogue loads

    lines = source.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == "# METADATA")
    except StopIteration:
        return {}
    body = []
    for line in lines[start + 1:]:
        if not line.startswith("#"):
            break
        body.append(line[2:] if line.startswith("# ") else line[1:])
    loaded = yaml.safe_load("\n".join(body))
    return loaded if isinstance(loaded, dict) else {}


def _package(source: str) -> str:
    for line in source.splitlines():
        if line.startswith("package "):
            return line.split()[1]
    return ""


def _rule_info(source: str, origin: str) -> RuleInfo:
    meta = read_metadata(source)
    custom = meta.get("custom") or {}
    if not isinstance(custom, dict) or "id" not in custom:
        raise ValueError(f"{origin}: # METADATA lacks custom.id")
    related = tuple(
        str(r.get("ref")) if isinstance(r, dict) else str(r) for r in (meta.get("related_resources") or [])
    )
    return RuleInfo(
        rule_id=str(custom["id"]),
        name=str(custom.get("name", "")),
        title=str(meta.get("title", "")),
        description=" ".join(str(meta.get("description", "")).split()),
        severity=Severity.parse(str(custom.get("severity", "MEDIUM"))),
        remediation=" ".join(str(custom.get("remediation", "")).split()),
        category=str(custom.get("category", "none")),
        package=_package(source)[len(_PACKAGE_PREFIX):],
        related=related,
    )


@lru_cache(maxsize=4)
def load_policy_set(root: Path | None = None) -> PolicySet:
    root = root or policy_root()
    modules = []
    rules = []
    for path in sorted((root / "pyiamguard").rglob("*.rego")):
        if path.name.endswith("_test.rego"):
            continue
        source = path.read_text(encoding="utf-8")
        name = path.relative_to(root).as_posix()
        modules.append((name, source))
        if _package(source).startswith(_PACKAGE_PREFIX):
            rules.append(_rule_info(source, name))
    data = (root / "data.json").read_text(encoding="utf-8")
    json.loads(data)  # fail early on a broken data file
    rules.sort(key=lambda r: r.rule_id)
    return PolicySet(tuple(modules), data, tuple(rules))
