"""pyiamguard.loaders.yaml_source: safe loading, CloudFormation tags, YAML 1.1 traps, marks."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from pyiamguard.loaders.source import InputError, Problem
from pyiamguard.loaders.yaml_source import _CFN_TAGS, load_yaml


def _root(text: str):  # type: ignore[no-untyped-def]
    return load_yaml("t.yaml", text).root


# --- CloudFormation short-form tags ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("v: !GetAtt Role.Arn", {"Fn::GetAtt": ["Role", "Arn"]}),
        ("v: !GetAtt Nested.Outputs.RoleArn", {"Fn::GetAtt": ["Nested", "Outputs.RoleArn"]}),
        ("v: !GetAtt [Role, Arn]", {"Fn::GetAtt": ["Role", "Arn"]}),
        ("v: !Ref TrustedAccount", {"Ref": "TrustedAccount"}),
        ("v: !Condition IsProd", {"Condition": "IsProd"}),
        ("v: !Sub 'arn:${AWS::Partition}:iam::${Acct}:root'", {"Fn::Sub": "arn:${AWS::Partition}:iam::${Acct}:root"}),
        ("v: !Sub ['arn:aws:iam::${A}:root', {A: !Ref P}]",
         {"Fn::Sub": ["arn:aws:iam::${A}:root", {"A": {"Ref": "P"}}]}),
        ("v: !Join ['', [a, !Ref B]]", {"Fn::Join": ["", ["a", {"Ref": "B"}]]}),
        ("v: !If [C, {x: y}, !Ref AWS::NoValue]", {"Fn::If": ["C", {"x": "y"}, {"Ref": "AWS::NoValue"}]}),
        ("v: !ImportValue SharedRoleArn", {"Fn::ImportValue": "SharedRoleArn"}),
        ("v: !GetAZs ''", {"Fn::GetAZs": ""}),
        ("v: !Select [0, !Split [',', !Ref L]]", {"Fn::Select": ["0", {"Fn::Split": [",", {"Ref": "L"}]}]}),
        ("v: !Equals [!Ref Env, prod]", {"Fn::Equals": [{"Ref": "Env"}, "prod"]}),
        ("v: !Transform {Name: AWS::Include, Parameters: {Location: s3://b/k}}",
         {"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://b/k"}}}),
    ],
    ids=lambda v: v if isinstance(v, str) and v.startswith("v:") else "",
)
def test_cloudformation_short_tags_become_long_form(text: str, expected: object) -> None:
    source = load_yaml("t.yaml", text + "\n")
    assert source.root == {"v": expected}
    assert source.problems == []


# Every short form the AWS CloudFormation template reference documents: intrinsic functions,
# condition functions, AWS::LanguageExtensions, rule functions; plus org-formation's !Include.
DOCUMENTED_TAGS = {
    "!Ref": "Ref", "!Condition": "Condition", "!Base64": "Fn::Base64", "!Cidr": "Fn::Cidr",
    "!FindInMap": "Fn::FindInMap", "!GetAtt": "Fn::GetAtt", "!GetAZs": "Fn::GetAZs",
    "!GetStackOutput": "Fn::GetStackOutput", "!ImportValue": "Fn::ImportValue", "!Join": "Fn::Join",
    "!Select": "Fn::Select", "!Split": "Fn::Split", "!Sub": "Fn::Sub", "!Transform": "Fn::Transform",
    "!And": "Fn::And", "!Equals": "Fn::Equals", "!If": "Fn::If", "!Not": "Fn::Not", "!Or": "Fn::Or",
    "!Length": "Fn::Length", "!ToJsonString": "Fn::ToJsonString", "!ForEach": "Fn::ForEach",
    "!Contains": "Fn::Contains", "!EachMemberEquals": "Fn::EachMemberEquals", "!EachMemberIn": "Fn::EachMemberIn",
    "!RefAll": "Fn::RefAll", "!ValueOf": "Fn::ValueOf", "!ValueOfAll": "Fn::ValueOfAll",
    "!Include": "Fn::Include",
}


def test_the_tag_table_is_every_documented_short_form() -> None:
    assert _CFN_TAGS == DOCUMENTED_TAGS


@pytest.mark.parametrize("tag", sorted(DOCUMENTED_TAGS))
def test_every_short_form_loads_as_scalar_list_and_mapping(tag: str) -> None:
    long = DOCUMENTED_TAGS[tag]
    source = load_yaml("t.yaml", f"s: {tag} x\nl: {tag} [a, !Ref b]\nm:\n  k: {tag}\n    n: v\n")
    scalar: object = ["x"] if tag == "!GetAtt" else "x"  # GetAtt's scalar form is Res.Attr
    assert source.root == {"s": {long: scalar}, "l": {long: ["a", {"Ref": "b"}]}, "m": {"k": {long: {"n": "v"}}}}
    assert source.locate(("l", long, 1)) == (2, len(f"l: {tag} [a, ") + 1)
    assert source.problems == []


def test_stacked_short_tags_are_a_yaml_error() -> None:
    with pytest.raises(InputError) as err:
        load_yaml("t.yaml", "v: !Base64 !Sub x\n")
    assert str(err.value).startswith("invalid YAML at line 1 column 12:")


# --- YAML 1.1 scalar traps --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("123456789012", "123456789012"),
        ("012345678901", "012345678901"),
        ("2012-10-17", "2012-10-17"),
        ("2001-12-14t21:59:43.10-05:00", "2001-12-14t21:59:43.10-05:00"),
        ("1.50", "1.50"),
        ("1e3", "1e3"),
        (".inf", ".inf"),
        ("0x1F", "0x1F"),
        ("43200", "43200"),
        ("0", "0"),
        ("'000000000017'", "000000000017"),
    ],
)
def test_numbers_and_dates_keep_their_source_text(value: str, expected: str) -> None:
    source = load_yaml("t.yaml", f"v: {value}\n")
    assert source.root == {"v": expected}
    assert source.problems == []


def test_unquoted_leading_zero_account_is_reported_as_octal_and_kept_as_text() -> None:
    text = "Principal:\n  AWS:\n    - 111122223333\n    - 000000000017\n"
    source = load_yaml("t.yaml", text)
    assert source.root == {"Principal": {"AWS": ["111122223333", "000000000017"]}}
    assert source.problems == [Problem("octal_number", ("Principal", "AWS", 1), "000000000017")]


@pytest.mark.parametrize("value", ["012345670123", "-017", "+0_17"])
def test_every_octal_looking_int_is_reported(value: str) -> None:
    assert load_yaml("t.yaml", f"v: {value}\n").problems == [Problem("octal_number", ("v",), value)]


def test_octal_inside_an_intrinsic_is_reported_at_its_path() -> None:
    source = load_yaml("t.yaml", "v: !Join [':', [arn, aws, iam, '', 012345670123, root]]\n")
    assert source.root == {"v": {"Fn::Join": [":", ["arn", "aws", "iam", "", "012345670123", "root"]]}}
    assert source.problems == [Problem("octal_number", ("v", "Fn::Join", 1, 4), "012345670123")]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("No", False), ("yes", True), ("off", False), ("ON", True), ("~", None), ("null", None)],
)
def test_yaml_booleans_and_nulls_become_json_values(value: str, expected: object) -> None:
    assert _root(f"v: {value}\n") == {"v": expected}


def test_explicit_str_and_int_tags_keep_text() -> None:
    assert _root("a: !!str 12\nb: !!int '12'\n") == {"a": "12", "b": "12"}


# --- hostile and unsupported input ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object/apply:os.system ['touch {marker}']\n",
        "a: !!python/object/new:os.system ['touch {marker}']\n",
        "a: !!python/name:os.system\n",
    ],
    ids=["apply", "new", "name"],
)
def test_python_tags_are_rejected_and_nothing_is_executed(text: str, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    with pytest.raises(InputError) as err:
        load_yaml("t.yaml", text.format(marker=marker))
    assert str(err.value).startswith("unsupported YAML tag tag:yaml.org,2002:python/")
    assert str(err.value).endswith(" at line 1")
    assert not marker.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: 1\nb: !Custom x\n", "unsupported YAML tag !Custom at line 2"),
        ("a: !<tag:example.com,2000:x> y\n", "unsupported YAML tag tag:example.com,2000:x at line 1"),
        ("a: !!set {x, y}\n", "unsupported YAML tag tag:yaml.org,2002:set at line 1"),
        ("a: !!omap [x: 1]\n", "unsupported YAML tag tag:yaml.org,2002:omap at line 1"),
    ],
    ids=["custom-short", "foreign-uri", "set", "omap"],
)
def test_unknown_tags_are_rejected_with_their_line(text: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        load_yaml("t.yaml", text)
    assert str(err.value) == message


def _alias_bomb(levels: int) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_yaml_alias_bomb_is_rejected_quickly() -> None:
    bomb = _alias_bomb(9)  # 9**9 (387 million) strings from a 500-byte file
    started = time.monotonic()
    with pytest.raises(InputError) as err:
        load_yaml("bomb.yaml", bomb)
    elapsed = time.monotonic() - started
    assert str(err.value) == "YAML aliases expand the document far beyond its size (alias bomb?)"
    assert elapsed < 5, f"alias bomb took {elapsed:.1f}s to reject"


def test_modest_aliases_are_expanded() -> None:
    assert _root("base: &p [a, b]\nuse: *p\n") == {"base": ["a", "b"], "use": ["a", "b"]}


@pytest.mark.parametrize(
    ("text", "line"),
    [("a:\n\tb: 1\n", 2), ("a: 1\nb:\n  c: 2\n\td: 3\n", 4), ("\t# comment\na: 1\n", 1)],
)
def test_tab_indentation_is_an_input_error_naming_the_line(text: str, line: int) -> None:
    with pytest.raises(InputError) as err:
        load_yaml("t.yaml", text)
    assert str(err.value) == f"invalid YAML at line {line}: tab used for indentation"


def test_tab_inside_a_value_is_not_indentation() -> None:
    assert _root("a: 'x\tb'\n") == {"a": "x\tb"}


def test_tab_at_the_start_of_a_quoted_continuation_line_is_valid_yaml() -> None:
    # A tab at a line start inside a multi-line quoted scalar is folding whitespace, not
    # indentation: PyYAML accepts it (value "x y"), the pre-check must not reject it.
    assert _root('a: "x\n\ty"\n') == {"a": "x y"}


# The reason text comes from libyaml (CSafeLoader) or, without it, from pure-Python PyYAML.
@pytest.mark.parametrize(
    ("text", "where", "reasons"),
    [
        ("a: [1, 2\n", "line 2 column 1",
         {"did not find expected ',' or ']'", "expected ',' or ']', but got '<stream end>'"}),
        ("--- a\n--- b\n", "line 2 column 1", {"but found another document"}),
        ("a: b: c\n", "line 1 column 5",
         {"mapping values are not allowed in this context", "mapping values are not allowed here"}),
    ],
    ids=["unclosed-flow", "two-documents", "nested-mapping-on-one-line"],
)
def test_yaml_syntax_errors_report_line_and_column(text: str, where: str, reasons: set[str]) -> None:
    with pytest.raises(InputError) as err:
        load_yaml("t.yaml", text)
    prefix = f"invalid YAML at {where}: "
    assert str(err.value).startswith(prefix)
    assert str(err.value)[len(prefix):] in reasons


def test_complex_mapping_key_is_rejected() -> None:
    with pytest.raises(InputError) as err:
        load_yaml("t.yaml", "? [a, b]\n: 1\n")
    assert str(err.value) == "a mapping key at line 1 is not a plain value"


@pytest.mark.parametrize(
    "text",
    ["[" * 100_000 + "]" * 100_000, "a: " + "{b: " * 100_000 + "1" + "}" * 100_000, "a: " + "[" * 300 + "]" * 300],
    ids=["flow-100000", "mapping-100000", "flow-300"],
)
def test_deeply_nested_yaml_is_rejected(text: str) -> None:
    with pytest.raises(InputError):
        load_yaml("t.yaml", text)


def test_empty_or_comment_only_yaml_has_a_null_root() -> None:
    assert load_yaml("t.yaml", "").root is None
    assert load_yaml("t.yaml", "# nothing here\n").root is None


# --- duplicate keys and marks ----------------------------------------------------------------------


def test_duplicate_yaml_key_is_a_problem_and_the_last_value_wins() -> None:
    source = load_yaml("t.yaml", "Condition:\n  StringEquals: {sts:ExternalId: x}\n  StringEquals: {aws:PrincipalOrgID: o-1}\n")
    assert source.root == {"Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}}
    assert source.problems == [Problem("duplicate_key", ("Condition", "StringEquals"), "StringEquals")]
    assert source.locate(("Condition", "StringEquals")) == (3, 3)


def test_yaml_marks_point_at_keys_and_sequence_items() -> None:
    text = (
        "Resources:\n"
        "  R:\n"
        "    Type: AWS::IAM::Role\n"
        "    Properties:\n"
        "      Arn: !GetAtt X.Arn\n"
        "      L:\n"
        "        - a\n"
        "        - !Ref B\n"
    )
    source = load_yaml("t.yaml", text)
    assert source._marks == {
        (): (1, 1),
        ("Resources",): (1, 1),
        ("Resources", "R"): (2, 3),
        ("Resources", "R", "Type"): (3, 5),
        ("Resources", "R", "Properties"): (4, 5),
        ("Resources", "R", "Properties", "Arn"): (5, 7),
        ("Resources", "R", "Properties", "Arn", "Fn::GetAtt"): (5, 12),
        ("Resources", "R", "Properties", "L"): (6, 7),
        ("Resources", "R", "Properties", "L", 0): (7, 11),
        ("Resources", "R", "Properties", "L", 1): (8, 11),
        ("Resources", "R", "Properties", "L", 1, "Ref"): (8, 11),
    }


def test_yaml_locate_falls_back_to_the_nearest_ancestor() -> None:
    source = load_yaml("t.yaml", "Statement:\n  - Effect: Allow\n    Principal: {AWS: '*'}\n")
    assert source.locate(("Statement", 0, "Principal", "AWS")) == (3, 17)
    assert source.locate(("Statement", 0, "Principal", "AWS", 3)) == (3, 17)
    assert source.locate(("Statement", 0, "Condition")) == (2, 5)


def test_load_yaml_builds_a_yaml_source_file() -> None:
    source = load_yaml("tpl.yaml", "a: 1\n")
    assert (source.name, source.format, source.text, source.root) == ("tpl.yaml", "yaml", "a: 1\n", {"a": "1"})
