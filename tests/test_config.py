"""Configuration: every key's type errors, unknown keys, and YAML values that must stay text."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pyiamguard.config import Config, ConfigError, Waiver, config_from_mapping, find_config, load_config
from pyiamguard.model import Severity


def _load(tmp_path: Path, text: str) -> Config:
    path = tmp_path / ".pyiamguard.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def _error(tmp_path: Path, text: str) -> str:
    path = tmp_path / ".pyiamguard.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    prefix = f"{path}: "
    assert message.startswith(prefix)
    return message[len(prefix):]


def test_every_key_from_yaml(tmp_path: Path) -> None:
    config = _load(tmp_path, """
own_accounts: [123456789012]
trusted_accounts:
  - 345678901234
  - "210987654321"
internal_accounts: 111122223333
trusted_org_ids: [o-a1b2c3d4e5]
max_session_seconds: 7200
require_mfa: all
require_permissions_boundary: true
allowed_permissions_boundaries: [arn:aws:iam::123456789012:policy/boundary]
approved_oidc_subjects: ["repo:my-org/*"]
gitlab_hosts: [gitlab.example.com, "https://Code.Example.org:8443/"]
severity_overrides: {IAMG-105: low}
disabled_rules: [IAMG-110]
fail_on: high
waivers:
  - rule: IAMG-103
    resource: legacy-*
    reason: vendor cannot send an external id yet
    expires: 2031-01-31
""")
    assert config == Config(
        own_accounts=("123456789012",),
        trusted_accounts=("345678901234", "210987654321"),
        internal_accounts=("111122223333",),
        trusted_org_ids=("o-a1b2c3d4e5",),
        max_session_seconds=7200,
        require_mfa="all",
        require_permissions_boundary=True,
        allowed_permissions_boundaries=("arn:aws:iam::123456789012:policy/boundary",),
        approved_oidc_subjects=("repo:my-org/*",),
        gitlab_hosts=("gitlab.example.com", "code.example.org:8443"),
        severity_overrides={"IAMG-105": Severity.LOW},
        disabled_rules=("IAMG-110",),
        fail_on=Severity.HIGH,
        waivers=(Waiver("IAMG-103", "legacy-*", "vendor cannot send an external id yet", "*", dt.date(2031, 1, 31)),),
    )


def test_unquoted_account_ids_stay_strings(tmp_path: Path) -> None:
    # YAML 1.1 reads 123456789012 as an int and 012345670123 as octal; both must keep their text.
    config = _load(tmp_path, "own_accounts: [123456789012, 012345670123]\ntrusted_accounts: 000000000001\n")
    assert config.own_accounts == ("123456789012", "012345670123")
    assert config.trusted_accounts == ("000000000001",)
    assert all(isinstance(a, str) for a in config.own_accounts + config.trusted_accounts)


def test_empty_file_gives_defaults(tmp_path: Path) -> None:
    assert _load(tmp_path, "# nothing configured\n") == Config()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("own_acounts: [123456789012]\n", "unknown key 'own_acounts' (did you mean 'own_accounts'?)"),
        ("colour: never\n",
         "unknown key 'colour' (known keys: allow_empty, allowed_permissions_boundaries, approved_oidc_subjects, "
         "disabled_rules, fail_on, fail_on_new, gitlab_hosts, internal_accounts, max_session_seconds, own_accounts, "
         "policy_data, policy_dirs, require_mfa, require_permissions_boundary, severity_overrides, skip_paths, trusted_accounts, "
         "trusted_org_ids, waivers)"),
        ("own_accounts: {a: 1}\n", "own_accounts: expected a list of strings, got dict"),
        ("own_accounts: [12345]\n", "own_accounts: '12345' is not a 12-digit account id"),
        ("trusted_accounts: [[123456789012]]\n", "trusted_accounts: expected a list of strings, found ['123456789012']"),
        ("trusted_accounts: [true]\n", "trusted_accounts: expected a list of strings, found True"),
        ("internal_accounts: [arn:aws:iam::123456789012:root]\n",
         "internal_accounts: 'arn:aws:iam::123456789012:root' is not a 12-digit account id"),
        ("trusted_org_ids: [r-abcd]\n", "trusted_org_ids: 'r-abcd' is not an organization id like o-a1b2c3d4e5"),
        ("trusted_org_ids: true\n", "trusted_org_ids: expected a list of strings, got bool"),
        ("max_session_seconds: 60\n", "max_session_seconds: expected a whole number of seconds from 900 to 43200, got 60"),
        ("max_session_seconds: 1h\n",
         "max_session_seconds: expected a whole number of seconds from 900 to 43200, got '1h'"),
        ("max_session_seconds: 3600.5\n",
         "max_session_seconds: expected a whole number of seconds from 900 to 43200, got '3600.5'"),
        ("require_mfa: always\n", "require_mfa: expected one of people, all, off, got 'always'"),
        ("require_mfa: true\n", "require_mfa: expected one of people, all, off, got True"),
        ('require_permissions_boundary: "true"\n', "require_permissions_boundary: expected true or false, got 'true'"),
        ("allowed_permissions_boundaries: {x: y}\n",
         "allowed_permissions_boundaries: expected a list of strings, got dict"),
        ("approved_oidc_subjects: [{sub: x}]\n", "approved_oidc_subjects: expected a list of strings, found {'sub': 'x'}"),
        ("gitlab_hosts: [gitlab]\n", "gitlab_hosts: 'gitlab' is not a host name like gitlab.example.com"),
        ("gitlab_hosts: [gitlab.example.com:sub]\n",
         "gitlab_hosts: 'gitlab.example.com:sub' is not a host name like gitlab.example.com"),
        ("severity_overrides: [IAMG-105]\n", "severity_overrides: expected a mapping of rule id to severity"),
        ("severity_overrides: {R-105: low}\n", "severity_overrides: unknown rule 'R-105' (see 'pyiamguard rules')"),
        ("severity_overrides: {IAMG-105: urgent}\n",
         "severity_overrides.IAMG-105: unknown severity 'urgent' (expected one of critical, high, medium, low, info)"),
        ("disabled_rules: [IAMG-1]\n", "disabled_rules: 'IAMG-1' is not a rule id like IAMG-103 or ACME-001"),
        ("fail_on: severe\n", "fail_on: unknown severity 'severe' (expected one of critical, high, medium, low, info)"),
        ("waivers: {rule: IAMG-103}\n", "waivers: expected a list of {rule, resource, reason, file?, expires?}"),
        ("waivers: [IAMG-103]\n", "waivers[0]: expected a mapping"),
        ("waivers: [{rule: IAMG-103, resource: r}]\n",
         "waivers[0]: 'reason' is required and must be a non-empty string"),
        ("waivers: [{rule: IAMG-103, resource: r, reason: x, owner: me}]\n", "waivers[0]: unknown key 'owner'"),
        ("waivers: [{rule: 103, resource: r, reason: x}]\n",
         "waivers[0]: rule '103' is not a rule id like IAMG-103 or ACME-001"),
        ("waivers: [{rule: IAMG-103, resource: r, reason: x, expires: soon}]\n",
         "waivers[0]: expires 'soon' is not a date (YYYY-MM-DD)"),
        ("waivers: [{rule: IAMG-103, resource: r, reason: x, file: [a]}]\n", "waivers[0]: file must be a glob string"),
    ],
)
def test_invalid_values_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    assert _error(tmp_path, text) == message


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    assert _error(tmp_path, "- own_accounts\n") == "expected a mapping of configuration keys at the top level"


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError, match=r"nope\.yaml: cannot read: No such file or directory$"):
        load_config(missing)
    assert _error(tmp_path, "own_accounts: [1\n").startswith("invalid YAML at line")


def test_with_overrides_validates_like_a_file() -> None:
    base = config_from_mapping({"trusted_accounts": ["345678901234"], "fail_on": "medium"})
    changed = base.with_overrides(own_accounts=["123456789012"], fail_on="critical")
    assert changed.own_accounts == ("123456789012",)
    assert changed.trusted_accounts == ("345678901234",)
    assert changed.fail_on is Severity.CRITICAL
    with pytest.raises(ConfigError, match=r"^require_mfa: expected one of people, all, off, got 'sometimes'$"):
        base.with_overrides(require_mfa="sometimes")


def test_find_config(tmp_path: Path) -> None:
    assert find_config(tmp_path) is None
    (tmp_path / ".pyiamguard.yaml").write_text("fail_on: high\n", encoding="utf-8")
    assert find_config(tmp_path) == tmp_path / ".pyiamguard.yaml"


def test_find_config_reads_the_yml_spelling_too_and_refuses_two(tmp_path: Path) -> None:
    (tmp_path / ".pyiamguard.yml").write_text("fail_on: high\n", encoding="utf-8")
    assert find_config(tmp_path) == tmp_path / ".pyiamguard.yml"
    (tmp_path / ".pyiamguard.yaml").write_text("fail_on: low\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        find_config(tmp_path)
    assert str(info.value) == (f"both {tmp_path / '.pyiamguard.yaml'} and {tmp_path / '.pyiamguard.yml'} exist: "
                               "keep one (or name one with --config)")


@pytest.mark.parametrize(("text", "message"), [
    ("fail_on: high\nown_accounts: [123456789012]\nfail_on: low\n",
     "fail_on: the key is written twice (again at line 3); keep one"),
    ("waivers:\n  - rule: IAMG-103\n    resource: r\n    reason: x\n    rule: IAMG-105\n",
     "waivers[0].rule: the key is written twice (again at line 5); keep one"),
    ("severity_overrides:\n  IAMG-105: low\n  IAMG-105: critical\n",
     "severity_overrides.IAMG-105: the key is written twice (again at line 3); keep one"),
])
def test_a_key_written_twice_is_an_error_naming_it(tmp_path: Path, text: str, message: str) -> None:
    assert _error(tmp_path, text) == message


@pytest.mark.parametrize(("text", "message"), [
    ("disabled_rules: [IAMG-999]\n", "disabled_rules: unknown rule 'IAMG-999' (see 'pyiamguard rules')"),
    ("disabled_rules: [IAMG-1O1]\n", "disabled_rules: 'IAMG-1O1' is not a rule id like IAMG-103 or ACME-001"),
    ("severity_overrides: {IAMG-998: low}\n", "severity_overrides: unknown rule 'IAMG-998' (see 'pyiamguard rules')"),
    ("waivers: [{rule: IAMG-777, resource: r, reason: x}]\n",
     "waivers[0]: unknown rule 'IAMG-777' (see 'pyiamguard rules')"),
    ("allow_empty: maybe\n", "allow_empty: expected true or false, got 'maybe'"),
    ("skip_paths: {a: b}\n", "skip_paths: expected a list of strings, got dict"),
])
def test_rule_ids_must_name_a_rule(tmp_path: Path, text: str, message: str) -> None:
    assert _error(tmp_path, text) == message


def test_rule_ids_are_read_in_any_case(tmp_path: Path) -> None:
    config = _load(tmp_path, "disabled_rules: [iamg-110]\nseverity_overrides: {Iamg-105: low}\n")
    assert config.disabled_rules == ("IAMG-110",) and config.severity_overrides == {"IAMG-105": Severity.LOW}


def test_waiver_file_globs_keep_their_text(tmp_path: Path) -> None:
    config = _load(tmp_path, 'waivers:\n  - {rule: IAMG-101, resource: "*", reason: r, file: "./x*"}\n')
    assert [w.file for w in config.waivers] == ["./x*"]  # as written; matching normalizes it (test_waivers)


def test_new_keys_allow_empty_and_skip_paths(tmp_path: Path) -> None:
    config = _load(tmp_path, "allow_empty: true\nskip_paths: [tests/fixtures/*, node_modules]\n")
    assert config.allow_empty is True and config.skip_paths == ("tests/fixtures/*", "node_modules")


@pytest.mark.parametrize("text", ["off", "Off", "no", "false", '"off"'])
def test_require_mfa_off_unquoted_is_off(tmp_path: Path, text: str) -> None:
    # YAML 1.1 reads an unquoted `off` as false: the README's `require_mfa: off` must still work.
    assert _load(tmp_path, f"require_mfa: {text}\n").require_mfa == "off"
