"""pyiamguard.normalize.values: engine tokens, placeholders vs policy variables, JSONPath text."""
from __future__ import annotations

import hashlib

import pytest
from jsonpath_ng import parse as jsonpath

from pyiamguard.normalize.values import (
    Unresolved,
    as_list,
    engine_token,
    has_placeholder,
    has_policy_variable,
    json_path,
    scalar_text,
)


def _digest(text: str) -> str:
    return "~" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# --- engine_token ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["sts:AssumeRole", "arn:aws:iam::111122223333:root", "repo:org/*", "it's", "", "a b", "~x"],
)
def test_printable_ascii_without_quote_or_backslash_is_its_own_token(text: str) -> None:
    assert engine_token(text) == text


@pytest.mark.parametrize(
    "text",
    ['a"b', "a\\b", "josé", "tab\there", "line\nbreak", "\x7f", "arn:aws:iam::111122223333:user/\u0430dmin"],
    ids=["quote", "backslash", "non-ascii", "tab", "newline", "del", "cyrillic-homoglyph"],
)
def test_unsafe_text_becomes_a_tilde_digest(text: str) -> None:
    token = engine_token(text)
    assert token == _digest(text)
    assert token != text


def test_homoglyph_never_equals_the_ascii_value_it_imitates() -> None:
    assert engine_token("arn:aws:iam::111122223333:user/\u0430dmin") != engine_token("arn:aws:iam::111122223333:user/admin")


def test_lone_surrogate_text_gets_a_token_instead_of_crashing() -> None:
    assert engine_token("\ud800") == "~" + hashlib.sha256("\ud800".encode("utf-8", "surrogatepass")).hexdigest()[:16]


# --- placeholders and policy variables ------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["${aws:username}", "${aws:PrincipalTag/team}", "${*}", "${?}", "${$}",
     "arn:aws:s3:::bucket/${aws:userid}/*", "${token.actions.githubusercontent.com:sub}", "${saml:sub}"],
)
def test_iam_policy_variables_are_not_placeholders(text: str) -> None:
    assert has_placeholder(text) is False
    assert has_policy_variable(text) is True


@pytest.mark.parametrize(
    "text",
    ["${Acct}", "arn:aws:iam::${AWS::AccountId}:root", "${}", "${var.account_id}", "${a:b:c}", "arn:${Partition}:iam::1:root"],
)
def test_template_placeholders_are_detected(text: str) -> None:
    assert has_placeholder(text) is True
    assert has_policy_variable(text) is False


def test_placeholder_next_to_a_policy_variable_is_still_a_placeholder() -> None:
    assert has_placeholder("arn:aws:iam::${Acct}:user/${aws:username}") is True
    assert has_policy_variable("arn:aws:iam::${Acct}:user/${aws:username}") is True


@pytest.mark.parametrize("text", ["$Acct", "{Acct}", "arn:aws:iam::111122223333:root", "$ {x}"])
def test_text_without_dollar_brace_has_neither(text: str) -> None:
    assert has_placeholder(text) is False
    assert has_policy_variable(text) is False


# --- scalar_text / as_list / Unresolved ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, "true"), (False, "false"), (3600, "3600"), (1.5, "1.5"), ("x", "x"), ("", ""),
     (None, None), ([1], None), ({"Ref": "X"}, None)],
)
def test_scalars_are_stringified_as_iam_does(value: object, expected: str | None) -> None:
    assert scalar_text(value) == expected


@pytest.mark.parametrize(("value", "expected"), [("a", ["a"]), (["a", "b"], ["a", "b"]), (None, [None]), ([], [])])
def test_as_list_wraps_scalars(value: object, expected: list) -> None:
    assert as_list(value) == expected


def test_unresolved_prints_as_its_expression_with_a_default_reason() -> None:
    value = Unresolved("aws_iam_role.x.arn")
    assert str(value) == "aws_iam_role.x.arn"
    assert value.reason == "not known before deployment"
    assert Unresolved("p", "parameter without default").reason == "parameter without default"


# --- json_path ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ((), "$"),
        (("Statement", 1, "Principal", "AWS", 0), "$.Statement[1].Principal.AWS[0]"),
        (("Statement", "Condition", "StringEquals", "sts:ExternalId"), "$.Statement.Condition.StringEquals['sts:ExternalId']"),
        (("Resources", "Role", "Properties", "Fn::GetAtt"), "$.Resources.Role.Properties['Fn::GetAtt']"),
        (("a b", "_x1", "1x"), "$['a b']._x1['1x']"),
        (("it's",), "$['it\\'s']"),
        (("back\\slash",), "$['back\\\\slash']"),
        (("é",), "$['é']"),
        ((0, 2), "$[0][2]"),
    ],
)
def test_json_path_uses_dots_for_identifiers_and_quotes_for_other_keys(path: tuple, expected: str) -> None:
    assert json_path(path) == expected


@pytest.mark.parametrize(
    "key",
    ["sts:ExternalId", "token.actions.githubusercontent.com:sub", "a b", "it's", "back\\slash", "Fn::GetAtt", "é"],
)
def test_json_path_round_trips_through_a_jsonpath_parser(key: str) -> None:
    document = {"Statement": [{"Condition": {"StringEquals": {key: "needle", "other": "hay"}}}]}
    text = json_path(("Statement", 0, "Condition", "StringEquals", key))
    assert [match.value for match in jsonpath(text).find(document)] == ["needle"]
