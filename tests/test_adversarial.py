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


# Minimized counterexamples of tests/policies/test_differential.py: values that reached the
# engine unchanged and that regopy and OPA read differently.
@pytest.mark.parametrize("text", ["*\n", "arn:aws:iam::111122223333:root\n", "a\tb", 'say "hi"', "back\\slash",
                                  "\u212aelvin", "\ud800", "\x7f"])
def test_an_engine_token_is_printable_ascii_or_a_digest(text: str) -> None:
    from pyiamguard.normalize.values import engine_token

    token = engine_token(text)
    assert token.startswith("~") and len(token) == 17 and token.isascii() and token.isprintable()
    assert engine_token(text) == token and engine_token(text + "x") != token


def test_a_principal_block_and_partition_reach_the_engine_as_tokens() -> None:
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                        "Principal": {'"': "x", "AWS": "arn:a\u212a:iam::111122223333:root"}}]}
    principals = normalize_policy(document, kind="trust").engine_input["statements"][0]["principals"]
    blocks = {p["block"] for p in principals}
    assert '"' not in blocks and all(b.isascii() and '"' not in b for b in blocks)
    assert all(p["partition"].isascii() for p in principals)


def test_a_json_number_beyond_float_range_is_quoted_as_written(tmp_path: Path) -> None:
    template = tmp_path / "template.json"
    template.write_text(json.dumps({"Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {
        "MaxSessionDuration": "SESSION", "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "sts:AssumeRole",
             "Condition": {"StringEquals": {"sts:ExternalId": "x"}}}]}}}}}).replace('"SESSION"', "1e999"))
    report = scan([template], config_from_mapping({"trusted_accounts": ["444455556666"]}))
    found = {v.rule_id: v for v in report.violations}
    assert "('1e999')" in found["IAMG-002"].message and "inf" not in found["IAMG-002"].message
    assert found["IAMG-002"].location.line == 1 and "IAMG-401" in found
