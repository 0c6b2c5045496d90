"""The rule catalogue: Rego sources and the `# METADATA` blocks Python reads (regopy cannot).

The built-in rules ship in the package; custom rules come from the user's policy folders
(`policy_dirs`, `--policy DIR`). Both are `RuleInfo`s of one `PolicySet`, so every part of
pyiamguard (reports, `rules`, overrides, waivers, baselines, suppressions) treats them alike.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

from .errors import ConfigError
from .model import BUILT_IN_PREFIX, RULE_ID, RuleInfo, Severity

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

    @property
    def custom_rules(self) -> tuple[RuleInfo, ...]:
        return tuple(r for r in self.rules if r.custom)

    def with_custom(self, custom: "CustomRules") -> "PolicySet":
        """This set with the custom rules' modules (and the module that collects their
        findings) beside the built-in ones."""
        if not custom.rules and not custom.modules:
            return self
        modules = (*self.modules, *custom.modules, (CUSTOM_MAIN_MODULE, custom_main(custom.rules)))
        return PolicySet(modules, self.data, tuple(sorted((*self.rules, *custom.rules), key=lambda r: r.rule_id)))


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


def package_of(source: str) -> str:
    """The package a Rego module declares ("" when it has no package line)."""
    found = _PACKAGE_LINE.search(source)
    return found.group(1) if found else ""


def _built_in_rule(source: str, origin: str) -> RuleInfo:
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
        package=package_of(source)[len(_PACKAGE_PREFIX):],
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
        if package_of(source).startswith(_PACKAGE_PREFIX):
            rules.append(_built_in_rule(source, name))
    data = (root / "data.json").read_text(encoding="utf-8")
    json.loads(data)  # fail early on a broken data file
    rules.sort(key=lambda r: r.rule_id)
    return PolicySet(tuple(modules), data, tuple(rules))


# --- custom rules ---------------------------------------------------------------------------

# The generated module that collects every custom rule's findings, tagged with its package,
# as pyiamguard.main does for the built-in ones: one query per document for all of them.
CUSTOM_MAIN_MODULE = "pyiamguard/custom_main.rego"
CUSTOM_MAIN_ENTRYPOINT = "pyiamguard/custom_main/findings"
_RESERVED_PACKAGE = re.compile(r"pyiamguard(\.|$)")
_PACKAGE_LINE = re.compile(r"^package[ \t]+([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)[ \t]*(?:#.*)?$", re.M)
_DENY_RULE = re.compile(r"^deny\b", re.M)
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_FACT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Placeholders every message may use besides the finding's facts.
MESSAGE_FIELDS = ("resource", "ref", "rule_id", "title")
REQUIRED_METADATA = ("title", "description")
REQUIRED_CUSTOM = ("id", "severity", "remediation", "message")


@dataclass(frozen=True)
class CustomRules:
    """The Rego modules of the user's policy folders (tests aside) and the rules among them."""

    modules: tuple[tuple[str, str], ...] = ()
    rules: tuple[RuleInfo, ...] = ()
    test_modules: tuple[tuple[str, str], ...] = ()


def custom_main(rules: Iterable[RuleInfo]) -> str:
    """The Rego of the module named CUSTOM_MAIN_MODULE for these rules."""
    lines = ["# Generated by pyiamguard: the findings of every custom rule, tagged with its package.",
             "package pyiamguard.custom_main", "", "import rego.v1", ""]
    for rule in sorted(rules, key=lambda r: r.package):
        lines += [f'findings contains object.union(f, {{"package": "{rule.package}"}}) if {{',
                  f"\tsome f in data.{rule.package}.deny", "}", ""]
    if len(lines) == 5:
        lines += ["findings := set()", ""]
    return "\n".join(lines)


def rego_files(directory: Path) -> tuple[list[Path], list[Path]]:
    """The `.rego` files under `directory`: (modules, `*_test.rego` files), in name order."""
    found = sorted(p for p in directory.rglob("*.rego") if p.is_file())
    return ([p for p in found if not p.name.endswith("_test.rego")],
            [p for p in found if p.name.endswith("_test.rego")])


def load_custom_rules(directories: Iterable[str | os.PathLike[str]], built_in: Iterable[RuleInfo] = ()) -> CustomRules:
    """Every module of the policy folders, and a RuleInfo for each rule among them.

    A module that defines `deny` is a rule: its `# METADATA` needs `title`, `description` and
    under `custom:` an `id`, `severity`, `remediation` and `message`. Other modules are its
    helpers. Raises ConfigError naming the file for: a folder that is not one, a package under
    `pyiamguard`, missing or invalid METADATA, a reserved (IAMG-) or duplicate id, two rules in
    one package, a message placeholder no finding's facts carry."""
    modules: list[tuple[str, str]] = []
    tests: list[tuple[str, str]] = []
    rules: list[RuleInfo] = []
    ids = {rule.rule_id: "a built-in rule" for rule in built_in}
    packages: dict[str, str] = {}
    seen: set[str] = set()
    for directory in directories:
        folder = Path(directory)
        if os.path.realpath(folder) in seen:  # named twice (the configuration and --policy)
            continue
        seen.add(os.path.realpath(folder))
        if not folder.is_dir():
            what = "does not exist" if not folder.exists() else "is not a directory"
            raise ConfigError(f"policy_dirs: {os.fspath(directory)} {what}")
        sources, test_files = rego_files(folder)
        for path in sources + test_files:
            name = path.as_posix()
            source = _read(path)
            (tests if path in test_files else modules).append((name, source))
            if path in test_files:
                continue
            package = _custom_package(source, name)
            rule = _custom_rule(source, name, package)
            if rule is None:
                continue
            if rule.rule_id in ids:
                raise ConfigError(f"{name}: rule id {rule.rule_id} is already used by {ids[rule.rule_id]}")
            if package in packages:
                raise ConfigError(f"{name}: package {package} already holds the rule of {packages[package]}; "
                                  "give each rule its own package")
            ids[rule.rule_id] = name
            packages[package] = name
            rules.append(rule)
    return CustomRules(tuple(modules), tuple(rules), tuple(tests))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None


def _custom_package(source: str, name: str) -> str:
    package = package_of(source)
    if not package:
        raise ConfigError(f"{name}: no package line (a Rego module starts with `package <name>`)")
    if _RESERVED_PACKAGE.match(package):
        raise ConfigError(f"{name}: package {package} is reserved for pyiamguard's own rules; "
                          "put your rules under your own package (e.g. package acme.vendor_trust)")
    return package


def _custom_rule(source: str, name: str, package: str) -> RuleInfo | None:
    """The RuleInfo of a module that defines `deny`; None for a helper module."""
    try:
        meta = read_metadata(source)
    except Exception as exc:  # noqa: BLE001 - any YAML error: the message names the file
        raise ConfigError(f"{name}: the # METADATA block is not valid YAML ({' '.join(str(exc).split())[:200]})") \
            from None
    custom = meta.get("custom")
    defines_deny = _DENY_RULE.search(source) is not None
    if not defines_deny:
        if isinstance(custom, dict) and "id" in custom:
            raise ConfigError(f"{name}: METADATA names rule {custom['id']} but the module defines no `deny` rule")
        return None
    if not meta:
        raise ConfigError(f"{name}: the rule has no # METADATA block (title, description, and custom: id, severity, "
                          "remediation, message); `pyiamguard new-rule` writes one")
    missing = [key for key in REQUIRED_METADATA if not _text(meta.get(key))]
    if not isinstance(custom, dict):
        missing += [f"custom.{key}" for key in REQUIRED_CUSTOM]
        custom = {}
    else:
        missing += [f"custom.{key}" for key in REQUIRED_CUSTOM if not _text(custom.get(key))]
    if missing:
        raise ConfigError(f"{name}: METADATA lacks {', '.join(missing)}")
    rule_id = str(custom["id"]).strip()
    if rule_id.upper().startswith(BUILT_IN_PREFIX):
        raise ConfigError(f"{name}: rule id {rule_id} uses the {BUILT_IN_PREFIX} prefix reserved for built-in rules; "
                          "use your own prefix (ACME-001)")
    if not RULE_ID.fullmatch(rule_id):
        raise ConfigError(f"{name}: rule id {rule_id!r} is not an id like ACME-001 (upper-case letters and digits "
                          "joined by dashes)")
    try:
        severity = Severity.parse(str(custom["severity"]))
    except ValueError as exc:
        raise ConfigError(f"{name}: custom.severity: {exc}") from None
    message = " ".join(str(custom["message"]).split())
    _check_placeholders(message, source, name)
    related = tuple(str(r.get("ref")) if isinstance(r, dict) else str(r) for r in _list(meta.get("related_resources")))
    return RuleInfo(
        rule_id=rule_id,
        name=str(custom.get("name", package.rsplit(".", 1)[-1])),
        title=" ".join(str(meta["title"]).split()),
        description=" ".join(str(meta["description"]).split()),
        severity=severity,
        remediation=" ".join(str(custom["remediation"]).split()),
        category=str(custom.get("category", "custom")),
        package=package,
        related=related,
        message=message,
        origin=name,
    )


def _text(value: Any) -> bool:
    return isinstance(value, (str, int, float)) and not isinstance(value, bool) and bool(str(value).strip())


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _check_placeholders(message: str, source: str, name: str) -> None:
    """Every `{name}` of the message must be a field every message has or a key the module
    writes in an object (the facts of its findings): a typo would otherwise print `{acount}`
    in every report."""
    for placeholder in _PLACEHOLDER.findall(message.replace("{{", "").replace("}}", "")):
        if not _FACT_NAME.fullmatch(placeholder):
            raise ConfigError(f"{name}: custom.message: {{{placeholder}}} is not a placeholder like {{account}}")
        if placeholder in MESSAGE_FIELDS:
            continue
        if not re.search(rf'"{re.escape(placeholder)}"\s*:', source):
            raise ConfigError(f"{name}: custom.message: the placeholder {{{placeholder}}} is not a key of the facts "
                              f"this rule's findings carry (placeholders: a facts key, or one of "
                              f"{', '.join(MESSAGE_FIELDS)})")


def format_message(template: str, fields: Mapping[str, str]) -> str:
    """The template with each `{name}` replaced by its field (`{{` and `}}` are braces); a
    placeholder a finding did not carry says so instead of vanishing."""
    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        return fields[key] if key in fields else f"({key} not given)"

    parts = template.split("{{")
    return "{".join("}".join(_PLACEHOLDER.sub(fill, chunk) for chunk in part.split("}}")) for part in parts)
