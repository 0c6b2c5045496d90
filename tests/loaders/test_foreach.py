"""pyiamguard.loaders.foreach: Fn::ForEach expanded as the AWS::LanguageExtensions transform does."""
from __future__ import annotations

from typing import Any

import pytest

from pyiamguard.loaders import foreach
from pyiamguard.loaders.foreach import Collection, Unexpanded, expand_resources, origin_of, substitute
from pyiamguard.loaders.source import InputError, TreePath

LOOP_AT = ("Resources", "Fn::ForEach::Loop")


def _literal(node: Any, at: TreePath) -> Collection:
    """A collection resolver that knows literal lists only."""
    if isinstance(node, list) and all(isinstance(item, str) for item in node):
        return Collection(tuple(node))
    return Collection(None, reason="not literal")


def _expand(resources: dict[str, Any], octal: frozenset[TreePath] = frozenset()) -> foreach.Expansion:
    return expand_resources(resources, _literal, octal)


def test_identifier_forms_in_keys_and_sub_strings() -> None:
    assert substitute("Subnet&{Cidr}-${Cidr}", {"Cidr": "10.0.2.0/24"}) == "Subnet1002024-10.0.2.0/24"
    assert substitute("${Other}&{Other}", {"Cidr": "x"}) == "${Other}&{Other}"


def test_each_item_gives_a_copy_with_ref_and_sub_replaced_and_plain_strings_kept() -> None:
    body = {"${Name}Role": {"Type": "AWS::IAM::Role", "Properties": {
        "RoleName": {"Fn::Sub": "role-&{Name}"},
        "Description": "plain ${Name} is left alone",
        "Tags": [{"Key": "name", "Value": {"Ref": "Name"}}, {"Key": "stack", "Value": {"Ref": "AWS::StackName"}}],
        "Path": {"Fn::Sub": ["/${Name}/${Sub}/", {"Sub": {"Ref": "Name"}}]},
    }}}
    out = _expand({"Plain": {"Type": "AWS::S3::Bucket"}, "Fn::ForEach::Loop": ["Name", ["a-1", "b"], body]})
    assert out.resources == {
        "Plain": {"Type": "AWS::S3::Bucket"},
        "a-1Role": {"Type": "AWS::IAM::Role", "Properties": {
            "RoleName": "role-a1",
            "Description": "plain ${Name} is left alone",
            "Tags": [{"Key": "name", "Value": "a-1"}, {"Key": "stack", "Value": {"Ref": "AWS::StackName"}}],
            "Path": {"Fn::Sub": ["/a-1/${Sub}/", {"Sub": "a-1"}]}}},
        "bRole": {"Type": "AWS::IAM::Role", "Properties": {
            "RoleName": "role-b",
            "Description": "plain ${Name} is left alone",
            "Tags": [{"Key": "name", "Value": "b"}, {"Key": "stack", "Value": {"Ref": "AWS::StackName"}}],
            "Path": {"Fn::Sub": ["/b/${Sub}/", {"Sub": "b"}]}}},
    }
    assert out.loops == {"Fn::ForEach::Loop": ["a-1Role", "bRole"]}
    assert out.origins == {("Resources", "a-1Role"): LOOP_AT + (2, "${Name}Role"),
                           ("Resources", "bRole"): LOOP_AT + (2, "${Name}Role")}
    assert origin_of(out.origins, ("Resources", "bRole", "Properties", "Tags", 0)) == (
        LOOP_AT + (2, "${Name}Role", "Properties", "Tags", 0))
    assert origin_of(out.origins, ("Resources", "Plain", "Type")) == ("Resources", "Plain", "Type")


def test_a_sub_left_with_nothing_to_substitute_is_the_string_itself() -> None:
    body = {"${N}Policy": {"Properties": {
        "Roles": [{"Fn::GetAtt": [{"Fn::Sub": "Role${N}"}, "Arn"]}],
        "PolicyName": {"Fn::Sub": "${N}-${AWS::Region}"},
        "Description": {"Fn::Sub": ["${N}${Tail}", {"Tail": {"Ref": "N"}}]},
        "Literal": {"Fn::Sub": "${!N}"}}}}
    out = _expand({"Fn::ForEach::Loop": ["N", ["a"], body]})
    assert out.resources["aPolicy"]["Properties"] == {
        "Roles": [{"Fn::GetAtt": ["Rolea", "Arn"]}],
        "PolicyName": {"Fn::Sub": "a-${AWS::Region}"},
        "Description": {"Fn::Sub": ["a${Tail}", {"Tail": "a"}]},
        "Literal": {"Fn::Sub": "${!N}"}}


def test_nested_loops_and_renamed_keys_inside_a_resource_map_back_to_the_body() -> None:
    inner = ["Env", ["dev", "prod"], {"${Team}${Env}": {"Type": "AWS::IAM::Role", "Properties": {
        "Policies": [{"PolicyName": {"Fn::Sub": "${Env}"}, "PolicyDocument": {"${Team}Key": {"Ref": "Env"}}}]}}}]
    out = _expand({"Fn::ForEach::Teams": ["Team", ["ops"], {"Fn::ForEach::Envs": inner}]})
    assert list(out.resources) == ["opsdev", "opsprod"]
    assert out.resources["opsprod"]["Properties"]["Policies"] == [
        {"PolicyName": "prod", "PolicyDocument": {"opsKey": "prod"}}]
    body = ("Resources", "Fn::ForEach::Teams", 2, "Fn::ForEach::Envs", 2, "${Team}${Env}")
    assert origin_of(out.origins, ("Resources", "opsprod", "Properties", "Policies", 0, "PolicyDocument", "opsKey")) == (
        body + ("Properties", "Policies", 0, "PolicyDocument", "${Team}Key"))


def test_the_collection_may_use_the_outer_identifier() -> None:
    seen: list[Any] = []

    def resolve(node: Any, at: TreePath) -> Collection:
        seen.append((node, at))
        return _literal(node, at)

    inner = ["B", [{"Ref": "A"}, "b"], {"${A}${B}": {"Type": "T"}}]
    out = expand_resources({"Fn::ForEach::Outer": ["A", ["a"], {"Fn::ForEach::Inner": inner}]}, resolve)
    assert list(out.resources) == ["aa", "ab"]
    assert seen[1] == (["a", "b"], ("Resources", "Fn::ForEach::Outer", 2, "Fn::ForEach::Inner", 1))


def test_collection_defaults_are_remembered_for_the_resources_they_generate() -> None:
    out = expand_resources({"Fn::ForEach::L": ["N", {"Ref": "P"}, {"${N}": {"Type": "T"}}]},
                           lambda node, at: Collection(("a",), (("P", "a"),)))
    assert out.assumed == {"a": {"P": "a"}}


@pytest.mark.parametrize(
    ("loop", "reason"),
    [
        (["N", {"Ref": "P"}, {"${N}": {"Type": "T"}}], "not literal"),
        (["N", ["a"]], "malformed Fn::ForEach"),
        ("N", "malformed Fn::ForEach"),
    ],
)
def test_a_loop_not_expanded_is_reported_in_its_place(loop: Any, reason: str) -> None:
    out = _expand({"Fn::ForEach::Loop": loop, "After": {"Type": "T"}})
    assert out.resources == {"After": {"Type": "T"}}
    assert out.loops == {"Fn::ForEach::Loop": [Unexpanded("Fn::ForEach::Loop", LOOP_AT, loop, reason)]}


def test_a_written_resource_wins_over_a_generated_one_of_the_same_id() -> None:
    out = _expand({"Fn::ForEach::Loop": ["N", ["A", "A"], {"${N}": {"Type": "Generated"}}], "A": {"Type": "Written"}})
    assert out.resources == {"A": {"Type": "Written"}}
    assert out.loops == {"Fn::ForEach::Loop": []}


def test_an_octal_number_in_the_body_is_octal_in_every_copy() -> None:
    at = LOOP_AT + (2, "${N}", "Properties", "Account")
    out = _expand({"Fn::ForEach::Loop": ["N", ["a", "b"], {"${N}": {"Properties": {"Account": "012"}}}]}, frozenset({at}))
    assert out.octal == {at, ("Resources", "a", "Properties", "Account"), ("Resources", "b", "Properties", "Account")}


def test_loops_that_multiply_beyond_the_budget_are_an_input_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(foreach, "MAX_NODES", 1000)
    items = [str(i) for i in range(20)]
    level3 = ["C", items, {"${A}${B}${C}": {"Type": "T"}}]
    level2 = ["B", items, {"Fn::ForEach::Three": level3}]
    with pytest.raises(InputError, match="Fn::ForEach expands the template far beyond its size"):
        _expand({"Fn::ForEach::One": ["A", items, {"Fn::ForEach::Two": level2}]})
