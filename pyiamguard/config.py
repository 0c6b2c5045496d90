"""Configuration: the keys of the rules spec, from `.pyiamguard.yaml`, CLI flags or the library API.

Every way in is validated by the same code: `Config(...)` itself checks and converts each value
exactly as a configuration file's value is (`Config(fail_on="high")` holds `Severity.HIGH`;
`Config(fail_on="severe")` raises ConfigError), so a library caller cannot build a Config
that fails later. Unknown keys, wrong types and rule ids that no rule has are errors: a typo
in a guardrail's configuration must never quietly turn a check off.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from .errors import ConfigError
from .model import RULE_ID, Severity
from .normalize.values import engine_token
from .suggest import did_you_mean, unknown_rule

if TYPE_CHECKING:
    from .catalog import PolicySet

CONFIG_FILE_NAME = ".pyiamguard.yaml"
CONFIG_FILE_NAMES = (CONFIG_FILE_NAME, ".pyiamguard.yml")
# ASCII digits only, and no final newline (`\d` admits other scripts' digits, `$` a trailing "\n").
_ACCOUNT = re.compile(r"[0-9]{12}")
_ORG_ID = re.compile(r"o-[a-z0-9]{10,32}")
# A host name, optionally with a port and path (GitLab served under a path is rare but real).
_HOST = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+(:[0-9]+)?(/[^\s/]+)*")
_BUILT_IN_ID = re.compile(r"IAMG-[0-9]{3}")
REQUIRE_MFA_VALUES = ("people", "all", "off")
_WAIVER_KEYS = ("rule", "resource", "reason", "file", "expires")


@dataclass(frozen=True)
class Waiver:
    """One configuration waiver: suppress `rule` on resources matching `resource` (a glob) in
    files matching `file`, for `reason`, through `expires` (inclusive) when set."""

    rule: str
    resource: str
    reason: str
    file: str = "*"
    expires: _dt.date | None = None


@dataclass(frozen=True, init=False)
class Config:
    """The configuration keys of `.pyiamguard.yaml`. Construction (keywords only) validates
    and converts every value like the file's loader does (lists become tuples, severity names
    `Severity`, account ids text) and raises ConfigError naming the key when one is wrong."""

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
    # Only new and changed findings (against a plan's prior state or --compare-to) fail the
    # scan; existing ones are reported and do not (`--fail-on-new`).
    fail_on_new: bool = False
    waivers: tuple[Waiver, ...] = ()
    # A scan that recognized no file at all is an error unless this is set (`--allow-empty`).
    allow_empty: bool = False
    # Globs of files and directories the scan leaves out (`--skip-path`).
    skip_paths: tuple[str, ...] = ()
    # Folders of custom Rego rules evaluated beside the built-in ones (`--policy DIR`), and the
    # data they read as `data.pyiamguard.custom` (a mapping, or a JSON or YAML file's path).
    policy_dirs: tuple[str, ...] = ()
    policy_data: Mapping[str, Any] = field(default_factory=dict)

    # The parameters take what a file may hold (a single value for a list, a severity's name,
    # an unquoted account id); the attributes hold the converted values above.
    def __init__(
        self,
        *,
        own_accounts: Iterable[str | int] | str | int = (),
        trusted_accounts: Iterable[str | int] | str | int = (),
        internal_accounts: Iterable[str | int] | str | int = (),
        trusted_org_ids: Iterable[str] | str = (),
        max_session_seconds: int | str = 3600,
        require_mfa: str = "people",
        require_permissions_boundary: bool = False,
        allowed_permissions_boundaries: Iterable[str] | str = (),
        approved_oidc_subjects: Iterable[str] | str = (),
        gitlab_hosts: Iterable[str] | str = (),
        severity_overrides: Mapping[str, Severity | str] | None = None,
        disabled_rules: Iterable[str] | str = (),
        fail_on: Severity | str = Severity.LOW,
        fail_on_new: bool = False,
        waivers: Iterable[Waiver | Mapping[str, Any]] = (),
        allow_empty: bool = False,
        skip_paths: Iterable[str] | str = (),
        policy_dirs: Iterable[str | os.PathLike[str]] | str | os.PathLike[str] = (),
        policy_data: Mapping[str, Any] | str | os.PathLike[str] | None = None,
    ) -> None:
        given = dict(locals())
        del given["self"]
        if given["severity_overrides"] is None:
            given["severity_overrides"] = {}
        if given["policy_data"] is None:
            given["policy_data"] = {}
        for name, value in given.items():
            object.__setattr__(self, name, _VALIDATORS[name](name, value))
        _check_rule_ids(self)

    def with_overrides(self, **changes: Any) -> "Config":
        """A copy with `changes` applied and validated like file values."""
        _check_keys(changes)
        return replace(self, **changes)

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
            # As engine tokens, like the values of the documents they are compared with: a
            # value with quotes, backslashes or non-ASCII letters is then equal only to itself.
            "allowed_permissions_boundaries": [engine_token(v) for v in self.allowed_permissions_boundaries],
            "approved_oidc_subjects": [engine_token(v) for v in self.approved_oidc_subjects],
        }


# --- validators: (key, value as a file or a caller gives it) -> the stored value -------------


def _string_list(key: str, value: Any, pattern: re.Pattern[str] | None = None, what: str = "") -> tuple[str, ...]:
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, (list, tuple, set, frozenset)):
        raise ConfigError(f"{key}: expected a list of strings, got {type(value).__name__}")
    out = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, (str, int)):
            raise ConfigError(f"{key}: expected a list of strings, found {item!r}")
        text = str(item).strip()
        if pattern is not None and not pattern.fullmatch(text):
            raise ConfigError(f"{key}: {text!r} is not {what}")
        out.append(text)
    return tuple(dict.fromkeys(out))


def _accounts(key: str, value: Any) -> tuple[str, ...]:
    return _string_list(key, value, _ACCOUNT, "a 12-digit account id")


def _org_ids(key: str, value: Any) -> tuple[str, ...]:
    return _string_list(key, value, _ORG_ID, "an organization id like o-a1b2c3d4e5")


def _strings(key: str, value: Any) -> tuple[str, ...]:
    return _string_list(key, value)


def _rule_ids(key: str, value: Any) -> tuple[str, ...]:
    return tuple(_rule_id(key, item) for item in _string_list(key, value))


def _rule_id(where: str, value: Any, label: str = "") -> str:
    text = str(value).strip().upper() if isinstance(value, (str, int)) and not isinstance(value, bool) else None
    if text is None or not RULE_ID.fullmatch(text) or (text.startswith("IAMG-") and not _BUILT_IN_ID.fullmatch(text)):
        raise ConfigError(f"{where}: {label}{str(value).strip()!r} is not a rule id like IAMG-103 or ACME-001")
    return text


def _policy_dirs(key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, os.PathLike):
        value = [value]
    if isinstance(value, (list, tuple)):
        value = [os.fspath(item) if isinstance(item, os.PathLike) else item for item in value]
    dirs = _string_list(key, value)
    for directory in dirs:
        if not directory:
            raise ConfigError(f"{key}: an empty path names no folder; remove it")
    return dirs


# policy_data reaches the engine as it is: it must read alike in every Rego engine (the
# normalized documents' rules, docs/model.md), and stay small and shallow.
_DATA_DEPTH = 16
_DATA_INTEGER = 10**15


def _policy_data(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, (str, os.PathLike)):
        value = _read_data_file(key, os.fspath(value))
    if not isinstance(value, Mapping):
        raise ConfigError(f"{key}: expected a mapping (or the path of a JSON or YAML file holding one), "
                          f"got {type(value).__name__}")
    return dict(_engine_value(key, value, 0))


def _read_data_file(key: str, path: str) -> Any:
    from .errors import InputError
    from .loaders.yaml_source import load_yaml

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{key}: cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{key}: {path} is not UTF-8 text") from None
    if path.endswith(".json"):
        try:
            return json.loads(text)
        except ValueError as exc:
            raise ConfigError(f"{key}: {path} is not valid JSON ({exc})") from None
    try:
        source = load_yaml(path, text)
    except InputError as exc:
        raise ConfigError(f"{key}: {path}: {exc}") from None
    for problem in source.problems:  # what YAML would read silently wrong
        if problem.code in ("duplicate_key", "octal_number"):
            line, _ = source.locate(problem.path)
            what = ("the key is written twice" if problem.code == "duplicate_key" else
                    "an unquoted number with a leading zero is an octal number in YAML; quote it")
            raise ConfigError(f"{key}: {path}:{line}: {what}")
    import yaml

    # Plain YAML values, as OPA and conftest read the same file (numbers are numbers).
    loaded: Any = yaml.safe_load(text)
    return loaded


def _engine_value(where: str, value: Any, depth: int) -> Any:
    if depth > _DATA_DEPTH:
        raise ConfigError(f"{where}: nested more than {_DATA_DEPTH} levels deep")
    if isinstance(value, Mapping):
        out = {}
        for name, item in value.items():
            if not isinstance(name, str):
                raise ConfigError(f"{where}: the key {name!r} is not a string")
            _engine_text(f"{where}: the key", name)
            out[name] = _engine_value(f"{where}.{name}", item, depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        return [_engine_value(f"{where}[{i}]", item, depth + 1) for i, item in enumerate(value)]
    if isinstance(value, str):
        _engine_text(where, value)
        return value
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int) and abs(value) < _DATA_INTEGER:
        return value
    raise ConfigError(f"{where}: {value!r} is not a string, a whole number below 10^15, true, false, null, a list "
                      "or a mapping (numbers the engines may read differently are refused)")


def _engine_text(where: str, text: str) -> None:
    if not (text.isascii() and text.isprintable()) or '"' in text or "\\" in text:
        raise ConfigError(f"{where} {text[:40]!r} holds a character the Rego engines read differently (non-ASCII, "
                          "a quote, a backslash or a control character); rules compare printable ASCII")


def _gitlab_hosts(key: str, value: Any) -> tuple[str, ...]:
    """Host names as the issuer URL names them; a scheme and trailing slash are forgiven."""
    hosts = []
    for text in _string_list(key, value):
        host = re.sub(r"^https?://", "", text.lower()).rstrip("/")
        if not _HOST.fullmatch(host):
            raise ConfigError(f"{key}: {text!r} is not a host name like gitlab.example.com")
        hosts.append(host)
    return tuple(dict.fromkeys(hosts))


def _skip_paths(key: str, value: Any) -> tuple[str, ...]:
    globs = _string_list(key, value)
    for glob in globs:
        if not glob:
            raise ConfigError(f"{key}: an empty glob would skip nothing; remove it")
    return globs


def _max_session_seconds(key: str, value: Any) -> int:
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 900 <= value <= 43200:
        raise ConfigError(f"{key}: expected a whole number of seconds from 900 to 43200, got {value!r}")
    return value


def _require_mfa(key: str, value: Any) -> str:
    if value is False:  # YAML 1.1 reads an unquoted `off` (and `no`, `false`) as false
        return "off"
    if not isinstance(value, str) or value not in REQUIRE_MFA_VALUES:
        raise ConfigError(f"{key}: expected one of {', '.join(REQUIRE_MFA_VALUES)}, got {value!r}")
    return value


def _boolean(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{key}: expected true or false, got {value!r}")
    return value


def _severity(key: str, value: Any) -> Severity:
    try:
        return Severity.parse(value)
    except ValueError as exc:
        raise ConfigError(f"{key}: {exc}") from None


def _severity_overrides(key: str, value: Any) -> dict[str, Severity]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{key}: expected a mapping of rule id to severity")
    overrides = {}
    for rule, severity in value.items():
        rule_id = _rule_id(key, rule)
        overrides[rule_id] = _severity(f"{key}.{rule_id}", severity)
    return overrides


def _waivers(key: str, value: Any) -> tuple[Waiver, ...]:
    if not isinstance(value, (list, tuple)):
        raise ConfigError(f"{key}: expected a list of {{rule, resource, reason, file?, expires?}}")
    return tuple(_waiver(f"{key}[{i}]", item) for i, item in enumerate(value))


def _waiver(where: str, item: Any) -> Waiver:
    if isinstance(item, Waiver):
        item = {name: getattr(item, name) for name in _WAIVER_KEYS}
    if not isinstance(item, Mapping):
        raise ConfigError(f"{where}: expected a mapping")
    unknown = sorted(set(item) - set(_WAIVER_KEYS))
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}{did_you_mean(unknown[0], _WAIVER_KEYS)}")
    for required in ("rule", "resource", "reason"):
        if not isinstance(item.get(required), (str, int)) or not str(item[required]).strip():
            raise ConfigError(f"{where}: {required!r} is required and must be a non-empty string")
    rule = _rule_id(where, item["rule"], "rule ")
    expires = item.get("expires")
    if expires is not None:
        if isinstance(expires, str):
            try:
                expires = _dt.date.fromisoformat(expires)
            except ValueError:
                raise ConfigError(f"{where}: expires {expires!r} is not a date (YYYY-MM-DD)") from None
        elif isinstance(expires, _dt.datetime) or not isinstance(expires, _dt.date):
            raise ConfigError(f"{where}: expires must be a date (YYYY-MM-DD)")
    file_glob = item.get("file", "*")
    if not isinstance(file_glob, str) or not file_glob.strip():
        raise ConfigError(f"{where}: file must be a glob string")
    return Waiver(rule, str(item["resource"]), str(item["reason"]).strip(), file_glob, expires)


_VALIDATORS: dict[str, Callable[[str, Any], Any]] = {
    "own_accounts": _accounts,
    "trusted_accounts": _accounts,
    "internal_accounts": _accounts,
    "trusted_org_ids": _org_ids,
    "max_session_seconds": _max_session_seconds,
    "require_mfa": _require_mfa,
    "require_permissions_boundary": _boolean,
    "allowed_permissions_boundaries": _strings,
    "approved_oidc_subjects": _strings,
    "gitlab_hosts": _gitlab_hosts,
    "severity_overrides": _severity_overrides,
    "disabled_rules": _rule_ids,
    "fail_on": _severity,
    "fail_on_new": _boolean,
    "waivers": _waivers,
    "allow_empty": _boolean,
    "skip_paths": _skip_paths,
    "policy_dirs": _policy_dirs,
    "policy_data": _policy_data,
}
KEYS = tuple(sorted(_VALIDATORS))


def _check_rule_ids(config: Config) -> None:
    """Every rule id the configuration names must be a rule of the catalogue: a disabled rule,
    override or waiver of a rule that does not exist is a typo that would do nothing."""
    known = {rule.rule_id for rule in rule_set(config).rules}
    named = [("disabled_rules", rule) for rule in config.disabled_rules]
    named += [("severity_overrides", rule) for rule in config.severity_overrides]
    named += [(f"waivers[{i}]", waiver.rule) for i, waiver in enumerate(config.waivers)]
    for where, rule in named:
        if rule not in known:
            raise ConfigError(f"{where}: {unknown_rule(rule, rule, sorted(known))}")


def rule_set(config: Config) -> "PolicySet":
    """The PolicySet of this configuration: the built-in rules and those of its policy_dirs
    (ConfigError for a custom rule that is not well-formed)."""
    from .catalog import load_custom_rules, load_policy_set  # lazy: the catalogue reads the policy files

    built_in = load_policy_set()
    if not config.policy_dirs:
        return built_in
    return built_in.with_custom(load_custom_rules(config.policy_dirs, built_in.rules))


def _check_keys(values: Mapping[str, Any]) -> None:
    for key in values:
        if key not in _VALIDATORS:
            hint = did_you_mean(str(key), KEYS) or f" (known keys: {', '.join(KEYS)})"
            raise ConfigError(f"unknown key {key!r}{hint}")


def config_from_mapping(values: Mapping[str, Any]) -> Config:
    """Validate a mapping of configuration keys into a Config."""
    if not isinstance(values, Mapping):
        raise ConfigError("expected a mapping of configuration keys at the top level")
    _check_keys(values)
    return Config(**values)


def load_config(path: str | Path) -> Config:
    """Read and validate a `.pyiamguard.yaml` file. A key written twice is an error (YAML
    would keep the last one silently), as is every invalid value; the message starts with the
    file's name."""
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
        source = load_yaml(str(path), text)
    except InputError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    for problem in source.problems:
        if problem.code == "duplicate_key":
            line, _ = source.locate(problem.path)
            raise ConfigError(f"{path}: {_key_path(problem.path)}: the key is written twice (again at line {line}); "
                              "keep one")
    if source.root is None:
        return Config()
    try:
        return config_from_mapping(_relative_to(source.root, path.parent))
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def _relative_to(values: Any, folder: Path) -> Any:
    """The file's values with its relative policy_dirs and policy_data paths read from the
    file's folder (as the file's author meant them), whatever the working directory."""
    if not isinstance(values, Mapping):
        return values
    out = dict(values)
    dirs = out.get("policy_dirs")
    if isinstance(dirs, str):
        dirs = [dirs]
    if isinstance(dirs, list):
        out["policy_dirs"] = [os.path.join(folder, d) if isinstance(d, str) and d and not os.path.isabs(d) else d
                              for d in dirs]
    data = out.get("policy_data")
    if isinstance(data, str) and data and not os.path.isabs(data):
        out["policy_data"] = os.path.join(folder, data)
    return out


def _key_path(path: tuple[Any, ...]) -> str:
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text


def find_config(directory: str | Path = ".") -> Path | None:
    """The configuration file of `directory`: `.pyiamguard.yaml` or `.pyiamguard.yml`, None
    when there is neither; ConfigError when both exist (which one applies would be a guess)."""
    found = [Path(directory) / name for name in CONFIG_FILE_NAMES if (Path(directory) / name).is_file()]
    if len(found) > 1:
        raise ConfigError(f"both {found[0]} and {found[1]} exist: keep one (or name one with --config)")
    return found[0] if found else None


__all__ = ["Config", "ConfigError", "Waiver", "KEYS", "CONFIG_FILE_NAMES", "load_config", "find_config",
           "config_from_mapping", "replace"]
