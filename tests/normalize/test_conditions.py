"""pyiamguard.normalize.conditions: operator parsing, value stringification, condition state."""
from __future__ import annotations

import pytest

from pyiamguard.normalize.conditions import Condition, ConditionValue, condition_values
from pyiamguard.normalize.values import Unresolved


def _condition(operator: str, raw: object, key: str = "sts:ExternalId") -> Condition:
    values, _ = condition_values(raw)
    return Condition(operator, key, values)


# --- operator parsing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "parsed", "negated", "pattern"),
    [
        ("StringEquals", ("", "stringequals", False), False, False),
        ("StringLike", ("", "stringlike", False), False, True),
        ("STRINGLIKE", ("", "stringlike", False), False, True),
        (" StringEquals ", ("", "stringequals", False), False, False),
        ("StringEqualsIfExists", ("", "stringequals", True), False, False),
        ("BoolIfExists", ("", "bool", True), False, False),
        ("ForAllValues:StringLike", ("forallvalues", "stringlike", False), False, True),
        ("forallvalues:stringlike", ("forallvalues", "stringlike", False), False, True),
        ("ForAnyValue:StringEquals", ("foranyvalue", "stringequals", False), False, False),
        ("ForAllValues:StringNotLikeIfExists", ("forallvalues", "stringnotlike", True), True, True),
        ("StringNotEquals", ("", "stringnotequals", False), True, False),
        ("StringNotEqualsIgnoreCase", ("", "stringnotequalsignorecase", False), True, False),
        ("ArnEquals", ("", "arnequals", False), False, True),
        ("ArnLike", ("", "arnlike", False), False, True),
        ("ArnNotLike", ("", "arnnotlike", False), True, True),
        ("ArnNotEqualsIfExists", ("", "arnnotequals", True), True, True),
        ("NumericNotEquals", ("", "numericnotequals", False), True, False),
        ("NumericLessThan", ("", "numericlessthan", False), False, False),
        ("DateNotEquals", ("", "datenotequals", False), True, False),
        ("NotIpAddress", ("", "notipaddress", False), True, False),
        ("Null", ("", "null", False), False, False),
    ],
)
def test_operator_is_split_into_qualifier_base_and_if_exists(
    operator: str, parsed: tuple[str, str, bool], negated: bool, pattern: bool
) -> None:
    condition = Condition(operator, "k", [ConditionValue("x")])
    assert condition.parsed == parsed
    assert condition.known_operator is True
    fields = condition.engine_fields()
    assert (fields["set"], fields["base"], fields["if_exists"]) == parsed
    assert (fields["negated"], fields["pattern"]) == (negated, pattern)
    assert fields["operator"] == operator


@pytest.mark.parametrize(
    ("operator", "parsed"),
    [
        ("StringEqualz", ("", "stringequalz", False)),
        ("IfExists", ("", "ifexists", False)),
        ("NullIfExists", ("", "null", True)),
        ("ForAnyValue:Null", ("foranyvalue", "null", False)),
        ("ForSomeValues:StringEquals", ("", "forsomevalues:stringequals", False)),
        ("BinaryNotEquals", ("", "binarynotequals", False)),
    ],
)
def test_unknown_operators_and_null_with_qualifiers_are_not_known(operator: str, parsed: tuple) -> None:
    condition = Condition(operator, "k", [ConditionValue("x")])
    assert condition.parsed == parsed
    assert condition.known_operator is False


def test_condition_key_is_lower_cased_in_the_engine_fields() -> None:
    condition = _condition("StringLike", "repo:org/*", key="Token.Actions.GithubUserContent.com:SUB")
    assert condition.engine_fields()["key"] == "token.actions.githubusercontent.com:sub"


def test_condition_values_keep_their_case() -> None:
    condition = _condition("StringEquals", "Repo:Org/App")
    assert condition.engine_fields()["values"][0]["text"] == "Repo:Org/App"


# --- values -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "texts"),
    [
        (True, ["true"]),
        ([False], ["false"]),
        (3600, ["3600"]),
        ("x", ["x"]),
        (["a", "b"], ["a", "b"]),
        (None, []),
        ([None, "a"], ["a"]),
        ([], []),
    ],
)
def test_condition_values_are_stringified_as_iam_does(raw: object, texts: list[str]) -> None:
    values, well_formed = condition_values(raw)
    assert [(v.text, v.unresolved) for v in values] == [(t, False) for t in texts]
    assert well_formed is True


@pytest.mark.parametrize(
    ("raw", "shown"),
    [({"Ref": "ExternalId"}, "{'Ref': 'ExternalId'}"), ([["nested"]], "['nested']")],
)
def test_non_scalar_condition_value_is_malformed_and_unresolved(raw: object, shown: str) -> None:
    values, well_formed = condition_values(raw)
    assert [(v.text, v.unresolved) for v in values] == [(shown, True)]
    assert well_formed is False


def test_unresolved_and_placeholder_values_are_unresolved() -> None:
    values, well_formed = condition_values([Unresolved("var.external_id"), "${ExternalId}", "fixed", "${aws:username}"])
    assert [(v.text, v.unresolved) for v in values] == [
        ("var.external_id", True), ("${ExternalId}", True), ("fixed", False), ("${aws:username}", False)
    ]
    assert well_formed is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("123456789012", dict(account="123456789012")),
        ("arn:aws:iam::111122223333:role/x", dict(account="111122223333", partition="aws", arn_scope="role", named=True)),
        ("arn:aws-us-gov:iam::111122223333:root", dict(account="111122223333", partition="aws-us-gov", arn_scope="root",
                                                       named=True)),
        ("arn:aws:iam::444455556666:user/alice", dict(account="444455556666", partition="aws", arn_scope="user",
                                                      named=True)),
        # A named role in any account is still one named role (rules spec, "named principal").
        ("arn:aws:iam::*:role/deployer", dict(wildcard=True, account_wildcard=True, partition="aws", arn_scope="role",
                                              named=True)),
        ("arn:aws:iam::1111?2223333:root", dict(wildcard=True, account_wildcard=True, partition="aws", arn_scope="root",
                                                named=True)),
        ("arn:aws:iam::111122223333:role/*", dict(wildcard=True, account="111122223333", partition="aws",
                                                  arn_scope="role")),
        ("arn:aws:iam::111122223333:role/ci-*", dict(wildcard=True, account="111122223333", partition="aws",
                                                     arn_scope="role")),
        ("arn:aws:iam::111122223333:role/${aws:username}", dict(account="111122223333", partition="aws",
                                                                arn_scope="role")),
        ("arn:aws:s3:::bucket/key", dict(partition="aws", arn_scope="other")),
        ("*", dict(wildcard=True, wildcard_only=True)),
        ("?*", dict(wildcard=True, wildcard_only=True)),
        ("repo:org/*", dict(wildcard=True)),
        ("o-abc123", {}),
        ("", {}),
    ],
)
def test_condition_value_fields(text: str, expected: dict) -> None:
    fields = {"text": text, "wildcard": False, "wildcard_only": False, "account": "", "account_wildcard": False,
              "partition": "", "arn_scope": "", "named": False, "unresolved": False}
    fields.update(expected)
    assert ConditionValue(text).engine_fields() == fields


def test_non_ascii_condition_value_is_tokenized() -> None:
    fields = ConditionValue("jos\u00e9").engine_fields()
    assert fields["text"].startswith("~") and fields["text"] != "jos\u00e9"


def test_unresolved_value_does_not_claim_an_account_or_partition() -> None:
    assert ConditionValue("arn:aws:iam::111122223333:root", unresolved=True).engine_fields() == {
        "text": "arn:aws:iam::111122223333:root", "wildcard": False, "wildcard_only": False, "account": "",
        "account_wildcard": False, "partition": "", "arn_scope": "root", "named": True, "unresolved": True,
    }


def test_a_named_arn_with_an_unknown_account_is_still_named() -> None:
    # `!Sub arn:aws:iam::${TrustedAccount}:role/deployer` without a default (Amendments, IAMG-105).
    fields = ConditionValue("arn:aws:iam::${TrustedAccount}:role/deployer", unresolved=True).engine_fields()
    assert (fields["named"], fields["arn_scope"], fields["account"]) == (True, "role", "")
    prefix = ConditionValue("arn:aws:iam::${TrustedAccount}:role/${Prefix}-*", unresolved=True).engine_fields()
    assert (prefix["named"], prefix["arn_scope"]) == (False, "role")


# --- state ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "raw", "state"),
    [
        ("StringEquals", "6f1c9f2e-uuid", "concrete"),
        ("StringLike", "repo:org/*", "concrete"),
        ("StringLike", "*", "wildcard_only"),
        ("StringLike", "?*", "wildcard_only"),
        ("StringLike", ["repo:org/*", "*"], "wildcard_only"),
        ("StringLike", ["x", "?"], "wildcard_only"),
        ("ForAllValues:StringLike", ["repo:org/*", "*"], "wildcard_only"),
        ("StringNotLike", "*", "wildcard_only"),
        ("ArnLike", "*", "wildcard_only"),
        ("ArnEquals", ["arn:aws:iam::111122223333:role/x", "*"], "wildcard_only"),
        ("StringEquals", "*", "concrete"),
        ("StringEquals", ["*", "?"], "concrete"),
        ("Bool", True, "concrete"),
        ("StringLike", [], "empty"),
        ("StringLike", "", "empty"),
        ("StringLike", ["", ""], "empty"),
        ("StringLike", None, "empty"),
        ("StringLike", ["", "x"], "concrete"),
        ("StringEquals", Unresolved("var.x"), "unresolved"),
        ("StringLike", ["*", "${Ext}"], "unresolved"),
        ("StringEquals", {"Ref": "X"}, "unresolved"),
    ],
)
def test_condition_state(operator: str, raw: object, state: str) -> None:
    condition = _condition(operator, raw)
    assert condition.state() == state
    assert condition.engine_fields()["state"] == state


def test_json_boolean_bool_condition_is_stringified_true() -> None:
    fields = _condition("Bool", True, key="aws:MultiFactorAuthPresent").engine_fields()
    assert fields["key"] == "aws:multifactorauthpresent"
    assert [v["text"] for v in fields["values"]] == ["true"]
    assert fields["state"] == "concrete"


def test_engine_fields_of_a_github_sub_condition() -> None:
    condition = _condition("ForAllValues:StringLike", ["repo:org/app:*"], key="token.actions.githubusercontent.com:sub")
    assert condition.engine_fields() == {
        "operator": "ForAllValues:StringLike", "base": "stringlike", "set": "forallvalues", "if_exists": False,
        "negated": False, "pattern": True, "key": "token.actions.githubusercontent.com:sub",
        "values": [{"text": "repo:org/app:*", "wildcard": True, "wildcard_only": False, "account": "",
                    "account_wildcard": False, "partition": "", "arn_scope": "", "named": False,
                    "unresolved": False}],
        "state": "concrete",
    }
