"""pyiamguard.normalize.actions: action patterns, Action vs NotAction, broad patterns."""
from __future__ import annotations

import pytest

from pyiamguard.normalize.actions import ASSUME_ACTIONS, ASSUME_ROLE, SAML, WEB_IDENTITY, covers, is_broad, matches


def test_assume_action_constants_are_lower_case_sts_names() -> None:
    assert (ASSUME_ROLE, WEB_IDENTITY, SAML) == (
        "sts:assumerole", "sts:assumerolewithwebidentity", "sts:assumerolewithsaml"
    )
    assert ASSUME_ACTIONS == (ASSUME_ROLE, WEB_IDENTITY, SAML)


@pytest.mark.parametrize(
    "pattern",
    ["sts:AssumeRole", "STS:ASSUMEROLE", "sts:assumerole", "*", "*:*", "sts:*", "sts:Assume*", "sts:*Role",
     "sts:AssumeRol?", "s?s:*", "sts:*Assume*", " sts:AssumeRole "],
)
def test_patterns_that_grant_assume_role(pattern: str) -> None:
    assert matches(pattern, ASSUME_ROLE) is True


@pytest.mark.parametrize(
    "pattern",
    ["sts:Assume", "sts:AssumeRoleX", "sts:TagSession", "sts:SetSourceIdentity", "iam:AssumeRole", "sts:AssumeRole?",
     "sts.AssumeRole", "sts:assume.*", "sts:[a]ssumeRole", "sts:AssumeRole|iam:*", ""],
    ids=["prefix-only", "longer", "tag-session", "source-identity", "other-service", "extra-char",
         "dot-is-literal", "regex-dot-star-is-literal", "brackets-are-literal", "pipe-is-literal", "empty"],
)
def test_patterns_that_do_not_grant_assume_role(pattern: str) -> None:
    assert matches(pattern, ASSUME_ROLE) is False


def test_there_is_no_implicit_prefix_match() -> None:
    assert matches("sts:AssumeRole", SAML) is False
    assert matches("sts:AssumeRole", WEB_IDENTITY) is False
    assert matches("sts:AssumeRole*", SAML) is True


def test_question_mark_matches_exactly_one_character() -> None:
    assert matches("sts:AssumeRol?", ASSUME_ROLE) is True
    assert matches("sts:AssumeRo?", ASSUME_ROLE) is False
    assert matches("sts:AssumeRo??", ASSUME_ROLE) is True


@pytest.mark.parametrize(
    ("pattern", "action"),
    [("sts:Assume*", "sts:AssumeRole"), ("STS:ASSUMEROLE", "sts:AssumeRole"), ("*", "sts:AssumeRole"),
     ("sts:assumerole", "STS:AssumeRole")],
)
def test_match_is_case_insensitive_on_the_action_side_too(pattern: str, action: str) -> None:
    # matches() docstring: "`sts:Assume*`, `STS:ASSUMEROLE`, `*` match `sts:AssumeRole`".
    assert matches(pattern, action) is True


# --- covers -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("patterns", "expected"),
    [
        (["sts:AssumeRole"], {ASSUME_ROLE: True, WEB_IDENTITY: False, SAML: False}),
        (["sts:AssumeRoleWithWebIdentity"], {ASSUME_ROLE: False, WEB_IDENTITY: True, SAML: False}),
        (["sts:TagSession", "sts:AssumeRoleWithSAML"], {ASSUME_ROLE: False, WEB_IDENTITY: False, SAML: True}),
        (["sts:Assume*"], {ASSUME_ROLE: True, WEB_IDENTITY: True, SAML: True}),
        (["sts:TagSession"], {ASSUME_ROLE: False, WEB_IDENTITY: False, SAML: False}),
        ([], {ASSUME_ROLE: False, WEB_IDENTITY: False, SAML: False}),
    ],
)
def test_action_list_covers_an_action_when_any_pattern_matches(patterns: list[str], expected: dict) -> None:
    assert {a: covers(patterns, a, not_action=False) for a in ASSUME_ACTIONS} == expected


@pytest.mark.parametrize(
    ("patterns", "expected"),
    [
        (["sts:AssumeRoleWithSAML"], {ASSUME_ROLE: True, WEB_IDENTITY: True, SAML: False}),
        (["iam:*"], {ASSUME_ROLE: True, WEB_IDENTITY: True, SAML: True}),
        (["sts:*"], {ASSUME_ROLE: False, WEB_IDENTITY: False, SAML: False}),
        (["sts:AssumeRole"], {ASSUME_ROLE: False, WEB_IDENTITY: True, SAML: True}),
        ([], {ASSUME_ROLE: True, WEB_IDENTITY: True, SAML: True}),
    ],
)
def test_not_action_covers_every_action_it_does_not_list(patterns: list[str], expected: dict) -> None:
    assert {a: covers(patterns, a, not_action=True) for a in ASSUME_ACTIONS} == expected


# --- is_broad -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [("*", True), ("sts:*", True), ("*:*", True), ("STS:*", True), (" * ", True),
     ("sts:Assume*", False), ("iam:*", False), ("sts:AssumeRole", False), ("s*", False)],
)
def test_broad_patterns_are_star_and_sts_star_in_any_case(pattern: str, expected: bool) -> None:
    assert is_broad(pattern) is expected
