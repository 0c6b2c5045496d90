"""Values an attacker who writes a policy chooses, which must mean the same to every engine.

The first classes of the issue "Adversarial input": integers beyond any engine's range, digits
of other scripts, and a final newline after an account id. Each reaches the engine only as a
bounded, ASCII value, and the scan never ends in an internal error.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from pyiamguard import scan
from pyiamguard.config import ConfigError, config_from_mapping
from pyiamguard.normalize.conditions import ConditionValue
from pyiamguard.normalize.policy import RoleFacts, normalize_policy
from pyiamguard.normalize.principals import classify

TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                 "Principal": {"Service": "ec2.amazonaws.com"}}]}
ARABIC_INDIC = "\u0661\u0661\u0661\u0661\u0662\u0662\u0662\u0662\u0663\u0663\u0663\u0663"  # "111122223333"


@pytest.mark.parametrize(("raw", "state", "seconds"), [
    ("3600", "known", 3600),
    (43200, "known", 43200),
    ("3600.0", "known", 3600),
    # Beyond 64 bits: an engine that wraps it would see a negative number and IAMG-401 vanish.
    ("9223372036854775808", "invalid", 43201),
    (10 ** 40, "invalid", 43201),
    (float("inf"), "invalid", 0),
    ("1e999", "invalid", 43201),  # as text: a finite number, far above the maximum
    ("-5", "invalid", 0),
    ("NaN", "invalid", 0),
    ("3,600", "invalid", 0),
])
def test_a_session_length_reaches_the_engine_bounded(raw: object, state: str, seconds: int) -> None:
    role = RoleFacts(base=("Role",), max_session=raw, max_session_path=("Role", "MaxSessionDuration"))
    doc = normalize_policy(TRUST, kind="trust", role=role).engine_input
    assert doc["role"]["max_session"] | {"ref": ""} == {"ref": "", "state": state, "seconds": seconds}
    assert [p["code"] for p in doc["problems"]] == ([] if state == "known" else ["invalid_max_session"])


@pytest.mark.parametrize("account", [ARABIC_INDIC, "111122223333\n", "１１１１２２２２３３３３"])
def test_an_account_id_is_twelve_ascii_digits_and_nothing_else(account: str) -> None:
    principal = classify("AWS", f"arn:aws:iam::{account}:root")
    assert principal.account == "" and "bad_account_id" in principal.defects
    # A principal's surrounding whitespace is not part of it; other digits never make an account.
    assert classify("AWS", account).account == ("111122223333" if account.isascii() else "")
    assert ConditionValue(account).engine_fields()["account"] == ""
    assert ConditionValue(f"arn:aws:iam::{account}:role/x").engine_fields()["account"] == ""
    if account.isascii():  # surrounding whitespace is trimmed, never kept
        assert config_from_mapping({"own_accounts": [account]}).own_accounts == ("111122223333",)
    else:
        with pytest.raises(ConfigError):
            config_from_mapping({"own_accounts": [account]})


def test_hostile_numbers_and_digits_in_a_dump_give_findings_not_an_internal_error(tmp_path: Path) -> None:
    def role(name: str, session: str, principal: str) -> str:
        return (f'{{"RoleName": "{name}", "Arn": "arn:aws:iam::111122223333:role/{name}", "MaxSessionDuration": '
                f'{session}, "AssumeRolePolicyDocument": {{"Version": "2012-10-17", "Statement": [{{"Effect": '
                f'"Allow", "Action": "sts:AssumeRole", "Principal": {{"AWS": {json.dumps(principal)}}}}}]}}}}')
    path = tmp_path / "dump.json"
    path.write_text('{"RoleDetailList": [' + ", ".join([
        role("wraps", "9223372036854775808", "arn:aws:iam::444455556666:role/x"),
        role("infinite", "1e999", f"arn:aws:iam::{ARABIC_INDIC}:root"),
    ]) + '], "UserDetailList": [], "GroupDetailList": [], "Policies": []}', encoding="utf-8")
    report = scan([path], config_from_mapping({"trusted_accounts": ["444455556666"]}))
    assert report.errors == ()
    found = {(v.resource, v.rule_id) for v in report.violations}
    # The out-of-range session is invalid (IAMG-002) and still longer than allowed (IAMG-401).
    assert {("wraps", "IAMG-002"), ("wraps", "IAMG-401"), ("infinite", "IAMG-002")} <= found
    # An account of other digits is no account: invalid, and never equal to a trusted one.
    assert {("infinite", "IAMG-109"), ("infinite", "IAMG-103")} <= found
