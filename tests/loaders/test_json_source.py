"""pyiamguard.loaders.json_source: strict parsing, duplicate keys, lazy (line, column) marks."""
from __future__ import annotations

import time

import pytest

from pyiamguard.loaders.json_source import json_marks, load_json, parse_json_text
from pyiamguard.loaders.source import InputError, Problem

TRUST = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"AWS": ["arn:aws:iam::111122223333:root", "*"]},
      "Action": "sts:AssumeRole"
    }
  ]
}
"""


# --- parse_json_text ------------------------------------------------------------------------


def test_valid_json_parses_to_plain_values() -> None:
    assert parse_json_text('{"a": [1, 2.5, true, null, "x"]}') == {"a": [1, 2.5, True, None, "x"]}


def test_tab_indented_json_parses() -> None:
    assert parse_json_text('{\n\t"Statement": [\n\t\t{"Effect": "Allow"}\n\t]\n}') == {
        "Statement": [{"Effect": "Allow"}]
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1,}', "invalid JSON at line 1 column 9: Expecting property name enclosed in double quotes"),
        ('{\n  "a": 1\n  "b": 2\n}', "invalid JSON at line 3 column 3: Expecting ',' delimiter"),
        ('{"a": 1}\n{"b": 2}', "invalid JSON at line 2 column 1: Extra data"),
        ("", "invalid JSON at line 1 column 1: Expecting value"),
        ("{'a': 1}", "invalid JSON at line 1 column 2: Expecting property name enclosed in double quotes"),
    ],
    ids=["trailing-comma", "missing-comma-line-3", "two-documents", "empty", "single-quotes"],
)
def test_syntax_error_reports_line_and_column(text: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        parse_json_text(text)
    assert str(err.value) == message


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_rejected(constant: str) -> None:
    with pytest.raises(InputError) as err:
        parse_json_text('{"Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": %s}}}' % constant)
    assert str(err.value) == f"invalid JSON: {constant} is not valid JSON"


@pytest.mark.parametrize(
    "text",
    ["[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000, "[" * 100_000],
    ids=["arrays", "objects", "unterminated"],
)
def test_json_nested_100000_deep_raises_input_error_not_recursion_error(text: str) -> None:
    started = time.monotonic()
    with pytest.raises(InputError) as err:
        parse_json_text(text)
    assert str(err.value) == "JSON nested too deeply"
    assert time.monotonic() - started < 10


def test_duplicate_keys_keep_the_last_value_as_iam_does() -> None:
    root = parse_json_text('{"Effect": "Deny", "Effect": "Allow"}')
    assert root == {"Effect": "Allow"}
    assert root.duplicate_keys == ("Effect",)


def test_object_without_duplicates_records_none() -> None:
    assert parse_json_text('{"a": 1, "b": 2}').duplicate_keys == ()


# --- load_json --------------------------------------------------------------------------------


def test_load_json_builds_a_source_file() -> None:
    source = load_json("trust.json", TRUST)
    assert source.name == "trust.json"
    assert source.format == "json"
    assert source.text == TRUST
    assert source.root["Statement"][0]["Principal"]["AWS"][1] == "*"
    assert source.problems == []


def test_duplicate_condition_operator_is_a_problem_at_its_path() -> None:
    # The first StringEquals (the ExternalId check) is silently dropped by IAM.
    text = """{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole",
      "Condition": {"StringEquals": {"sts:ExternalId": "x"}, "StringEquals": {"aws:PrincipalOrgID": "o-1"}}}]}"""
    source = load_json("f.json", text)
    assert source.problems == [
        Problem("duplicate_key", ("Statement", 0, "Condition", "StringEquals"), "StringEquals")
    ]
    assert source.root["Statement"][0]["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}


def test_every_duplicate_key_is_reported_once_in_path_order() -> None:
    source = load_json("f.json", '{"a": 1, "b": {"c": 2, "c": 3, "a": 1, "a": 2, "a": 3}, "a": 5}')
    assert source.problems == [
        Problem("duplicate_key", ("a",), "a"),
        Problem("duplicate_key", ("b", "a"), "a"),
        Problem("duplicate_key", ("b", "c"), "c"),
    ]


def test_duplicate_keys_inside_arrays_carry_the_index() -> None:
    source = load_json("f.json", '[{"x": 1}, {"Sid": "a", "Sid": "b"}]')
    assert source.problems == [Problem("duplicate_key", (1, "Sid"), "Sid")]


def test_load_json_rejects_trees_deeper_than_the_limit() -> None:
    load_json("ok.json", "[" * 201 + "]" * 201)
    with pytest.raises(InputError) as err:
        load_json("deep.json", "[" * 202 + "]" * 202)
    assert str(err.value) == "nested more than 200 levels deep"


def test_load_json_does_not_compute_marks_until_a_location_is_needed() -> None:
    source = load_json("f.json", TRUST)
    locator = source._locator.__self__  # type: ignore[union-attr]
    assert locator._children == {}
    assert source.locate(("Statement", 0, "Action")) == (7, 7)
    # Only the containers on the path were indexed: root, Statement, Statement[0].
    assert len(locator._children) == 3


def test_the_locator_agrees_with_full_marks_on_every_node() -> None:
    from pyiamguard.loaders.json_source import JsonLocator

    text = TRUST.replace("\n", "\r\n")
    locator = JsonLocator(text)
    assert {path: locator.locate(path) for path in json_marks(text)} == json_marks(text)


# --- json_marks --------------------------------------------------------------------------------


def test_marks_give_key_positions_for_objects_and_value_positions_for_arrays() -> None:
    assert json_marks(TRUST) == {
        (): (1, 1),
        ("Version",): (2, 3),
        ("Statement",): (3, 3),
        ("Statement", 0): (4, 5),
        ("Statement", 0, "Effect"): (5, 7),
        ("Statement", 0, "Principal"): (6, 7),
        ("Statement", 0, "Principal", "AWS"): (6, 21),
        ("Statement", 0, "Principal", "AWS", 0): (6, 29),
        ("Statement", 0, "Principal", "AWS", 1): (6, 63),
        ("Statement", 0, "Action"): (7, 7),
    }


def test_marks_of_the_root_skip_leading_whitespace() -> None:
    assert json_marks('  \n [1, {"a": []}, {}]') == {
        (): (2, 2),
        (0,): (2, 3),
        (1,): (2, 6),
        (1, "a"): (2, 7),
        (2,): (2, 17),
    }


def test_marks_of_a_duplicate_key_point_at_the_occurrence_that_wins() -> None:
    assert json_marks('{"a": 1,\n "a": 2}') == {(): (1, 1), ("a",): (2, 2)}


def test_marks_use_the_decoded_key_for_escaped_keys() -> None:
    assert json_marks('{"k\\u00e9y": {"x": 1}}') == {(): (1, 1), ("kéy",): (1, 2), ("kéy", "x"): (1, 15)}


def test_marks_count_columns_in_characters_not_bytes() -> None:
    assert json_marks('{"é": 1, "b": 2}')[("b",)] == (1, 10)


def test_marks_handle_crlf_line_endings() -> None:
    assert json_marks('{\r\n  "a": {\r\n    "b": 1\r\n  }\r\n}') == {
        (): (1, 1),
        ("a",): (2, 3),
        ("a", "b"): (3, 5),
    }


def test_marks_of_invalid_or_too_deep_json_are_empty_not_an_error() -> None:
    assert json_marks('{"a": 1,}') == {}
    assert json_marks("[" * 100_000 + "]" * 100_000) == {}


def test_locate_of_a_missing_child_falls_back_to_its_parent_key() -> None:
    source = load_json("f.json", TRUST)
    assert source.locate(("Statement", 0, "Principal", "AWS", 9)) == (6, 21)
    assert source.locate(("Statement", 0, "Condition", "StringEquals")) == (4, 5)
