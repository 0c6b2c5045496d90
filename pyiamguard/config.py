"""Configuration: the keys of the rules spec, from `.pyiamguard.yaml`, CLI flags or the library API.

Unknown keys and wrong types are errors: a typo in a guardrail's configuration must never
quietly turn a check off.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping

from .model import Severity

CONFIG_FILE_NAME = ".pyiamguard.yaml"
_ACCOUNT = re.compile(r"^\d{12}$")
_RULE_ID = re.compile(r"^IAMG-\d{3}$")
_ORG_ID = re.compile(r"^o-[a-z0-9]{10,32}$")
# A host name, optionally with a port and path (GitLab served under a path is rare but real).
_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+(:\d+)?(/[^\s/]+)*$")
REQUIRE_MFA_VALUES = ("people", "all", "off")


class ConfigError(Exception):
    """The configuration is invalid. The message names the key and what is wrong."""


@dataclass(frozen=True)
class Waiver:
    rule: str
    resource: str
    reason: str
    file: str = "*"
    expires: _dt.date | None = None


@dataclass(frozen=True)
class Config:
    own_accounts: tuple[str, ...] = ()
    trusted_accounts: tuple[str, ...] = ()
    internal_accounts: tuple[str, ...] = ()
    trusted_org_ids: tuple[str, ...] = ()
    max_session_seconds: int = 3600
    require_mfa: str = "people"
    require_permissions_boundary: bool = False
    allowed_permissions_boundaries: tuple[str, ...] = ()
    approved_oidc_subjects: tuple[str, ...] = ()
    # Self-managed GitLab instances whose OIDC issuer a trust policy may name: their roles get
    # GitLab's subject checks instead of those of an unknown provider.
    gitlab_hosts: tuple[str, ...] = ()
    severity_overrides: Mapping[str, Severity] = field(default_factory=dict)
    disabled_rules: tuple[str, ...] = ()
    fail_on: Severity = Severity.LOW
    waivers: tuple[Waiver, ...] = ()

    def with_overrides(self, **changes: Any) -> "Config":
        """A copy with `changes` applied and validated like file values."""
        merged = {f.name: getattr(self, f.name) for f in fields(self)}
        merged.update(changes)
        return config_from_mapping(_as_plain(merged))

    def engine_data(self) -> dict[str, Any]:
        """The rule parameters handed to the engine as `data.pyiamguard.config`."""
        return {
            "own_accounts": list(self.own_accounts),
            "trusted_accounts": list(self.trusted_accounts),
            "internal_accounts": list(self.internal_accounts),
            "trusted_org_ids": list(self.trusted_org_ids),
            "max_session_seconds": self.max_session_seconds,
            "require_mfa": self.require_mfa,
            "require_permissions_boundary": self.require_permissions_boundary,
            "allowed_permissions_boundaries": list(self.allowed_permissions_boundaries),
            "approved_oidc_subjects": list(self.approved_oidc_subjects),
        }


def _as_plain(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, Severity):
            value = value.value
        elif key == "severity_overrides":
            value = {k: (v.value if isinstance(v, Severity) else v) for k, v in dict(value).items()}
        elif key == "waivers":
            value = [
                w if isinstance(w, Mapping) else {
                    "rule": w.rule, "resource": w.resource, "reason": w.reason, "file": w.file,
                    **({"expires": w.expires.isoformat()} if w.expires else {}),
                }
                for w in value
            ]
        elif isinstance(value, tuple):
            value = list(value)
        out[key] = value
    return out


def _string_list(key: str, value: Any, pattern: re.Pattern[str] | None = None, what: str = "") -> tuple[str, ...]:
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list):
        raise ConfigError(f"{key}: expected a list of strings, got {type(value).__name__}")
    out = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, (str, int)):
            raise ConfigError(f"{key}: expected a list of strings, found {item!r}")
        text = str(item).strip()
        if pattern is not None and not pattern.match(text):
            raise ConfigError(f"{key}: {text!r} is not {what}")
        out.append(text)
    return tuple(dict.fromkeys(out))


def _gitlab_hosts(value: Any) -> tuple[str, ...]:
    """Host names as the issuer URL names them; a scheme and trailing slash are forgiven."""
    hosts = []
    for text in _string_list("gitlab_hosts", value):
        host = re.sub(r"^https?://", "", text.lower()).rstrip("/")
        if not _HOST.match(host):
            raise ConfigError(f"gitlab_hosts: {text!r} is not a host name like gitlab.example.com")
        hosts.append(host)
    return tuple(dict.fromkeys(hosts))


def _waivers(value: Any) -> tuple[Waiver, ...]:
    if not isinstance(value, list):
        raise ConfigError("waivers: expected a list of {rule, resource, reason, file?, expires?}")
    out = []
    for i, item in enumerate(value):
        where = f"waivers[{i}]"
        if not isinstance(item, Mapping):
            raise ConfigError(f"{where}: expected a mapping")
        unknown = set(item) - {"rule", "resource", "reason", "file", "expires"}
        if unknown:
            raise ConfigError(f"{where}: unknown key {sorted(unknown)[0]!r}")
        for required in ("rule", "resource", "reason"):
            if not isinstance(item.get(required), str) or not item[required].strip():
                raise ConfigError(f"{where}: {required!r} is required and must be a non-empty string")
        if not _RULE_ID.match(item["rule"]):
            raise ConfigError(f"{where}: rule {item['rule']!r} is not a rule id like IAMG-103")
        expires = item.get("expires")
        if expires is not None:
            if isinstance(expires, str):
                try:
                    expires = _dt.date.fromisoformat(expires)
                except ValueError:
                    raise ConfigError(f"{where}: expires {expires!r} is not a date (YYYY-MM-DD)") from None
            elif not isinstance(expires, _dt.date):
                raise ConfigError(f"{where}: expires must be a date (YYYY-MM-DD)")
        file_glob = item.get("file", "*")
        if not isinstance(file_glob, str):
            raise ConfigError(f"{where}: file must be a glob string")
        out.append(Waiver(item["rule"], item["resource"], item["reason"].strip(), file_glob, expires))
    return tuple(out)


def config_from_mapping(values: Mapping[str, Any]) -> Config:
    """Validate a mapping of configuration keys into a Config."""
    if not isinstance(values, Mapping):
        raise ConfigError("expected a mapping of configuration keys at the top level")
    known = {f.name for f in fields(Config)}
    for key in values:
        if key not in known:
            raise ConfigError(f"unknown key {key!r} (known keys: {', '.join(sorted(known))})")
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        if key in ("own_accounts", "trusted_accounts", "internal_accounts"):
            kwargs[key] = _string_list(key, value, _ACCOUNT, "a 12-digit account id")
        elif key == "trusted_org_ids":
            kwargs[key] = _string_list(key, value, _ORG_ID, "an organization id like o-a1b2c3d4e5")
        elif key in ("allowed_permissions_boundaries", "approved_oidc_subjects"):
            kwargs[key] = _string_list(key, value)
        elif key == "gitlab_hosts":
            kwargs[key] = _gitlab_hosts(value)
        elif key == "disabled_rules":
            kwargs[key] = _string_list(key, value, _RULE_ID, "a rule id like IAMG-103")
        elif key == "max_session_seconds":
            if isinstance(value, str) and value.strip().isdigit():
                value = int(value)
            if isinstance(value, bool) or not isinstance(value, int) or not 900 <= value <= 43200:
                raise ConfigError(f"{key}: expected a whole number of seconds from 900 to 43200, got {value!r}")
            kwargs[key] = value
        elif key == "require_mfa":
            if value not in REQUIRE_MFA_VALUES:
                raise ConfigError(f"{key}: expected one of {', '.join(REQUIRE_MFA_VALUES)}, got {value!r}")
            kwargs[key] = value
        elif key == "require_permissions_boundary":
            if not isinstance(value, bool):
                raise ConfigError(f"{key}: expected true or false, got {value!r}")
            kwargs[key] = value
        elif key == "severity_overrides":
            if not isinstance(value, Mapping):
                raise ConfigError(f"{key}: expected a mapping of rule id to severity")
            overrides = {}
            for rule, severity in value.items():
                if not isinstance(rule, str) or not _RULE_ID.match(rule):
                    raise ConfigError(f"{key}: {rule!r} is not a rule id like IAMG-103")
                try:
                    overrides[rule] = Severity.parse(severity)
                except ValueError as exc:
                    raise ConfigError(f"{key}.{rule}: {exc}") from None
            kwargs[key] = overrides
        elif key == "fail_on":
            try:
                kwargs[key] = Severity.parse(value)
            except ValueError as exc:
                raise ConfigError(f"{key}: {exc}") from None
        elif key == "waivers":
            kwargs[key] = _waivers(value)
    return Config(**kwargs)


def load_config(path: str | Path) -> Config:
    """Read and validate a `.pyiamguard.yaml` file."""
    # The loader that keeps number text: an unquoted account id with a leading zero stays intact.
    from .loaders.source import InputError
    from .loaders.yaml_source import load_yaml

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    try:
        values = load_yaml(str(path), text).root
    except InputError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    if values is None:
        return Config()
    try:
        return config_from_mapping(values)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def find_config(directory: str | Path = ".") -> Path | None:
    candidate = Path(directory) / CONFIG_FILE_NAME
    return candidate if candidate.is_file() else None


__all__ = ["Config", "ConfigError", "Waiver", "load_config", "find_config", "config_from_mapping", "replace"]
