"""pyiamguard.loaders.intrinsics: CloudFormation intrinsic functions resolved as CloudFormation would."""
from __future__ import annotations

from typing import Any

import pytest

from pyiamguard.loaders.intrinsics import (
    NO_VALUE,
    OPEN,
    NeedChoice,
    Resolver,
    Template,
    describe,
    variants,
)
from pyiamguard.loaders.source import Problem
from pyiamguard.normalize.values import Unresolved

ACCOUNT = "000000000000"

TEMPLATE: dict[str, Any] = {
    "Parameters": {
        "Trusted": {"Type": "String", "Default": "444455556666"},
        "NoDefault": {"Type": "String"},
        "FromSsm": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/org/account"},
        "Stage": {"Type": "String", "AllowedValues": ["dev", "prod"], "Default": "dev"},
        "Accounts": {"Type": "CommaDelimitedList", "Default": "111122223333, 444455556666"},
        "Secret": {"Type": "String", "Default": "s3cr3t", "NoEcho": True},
        "Flag": {"Type": "String", "AllowedValues": [True, False]},
    },
    "Mappings": {"Accounts": {"prod": {"Id": "777788889999"}, "us-east-1": {"Id": "123456789012"}}},
    "Conditions": {
        "IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
        "HasSecret": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Secret"}, ""]}]},
        "Always": {"Fn::Equals": ["a", "a"]},
        "Never": {"Fn::And": [{"Condition": "Always"}, {"Fn::Equals": ["0", 0]}, {"Fn::Equals": ["a", "b"]}]},
        "Either": {"Fn::Or": [{"Condition": "Never"}, {"Condition": "Always"}]},
        "Literal": True,
        "FlagOn": {"Fn::Equals": [{"Ref": "Flag"}, "true"]},
        "InRegion": {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]},
    },
    "Resources": {
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "deployer", "Path": "/ci/"}},
        "Unnamed": {"Type": "AWS::IAM::Role", "Properties": {}},
        "Provider": {"Type": "AWS::IAM::OIDCProvider", "Properties": {"Url": "https://token.actions.githubusercontent.com"}},
        "Saml": {"Type": "AWS::IAM::SAMLProvider", "Properties": {"Name": "okta"}},
        "Managed": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"ManagedPolicyName": "ops"}},
        "User": {"Type": "AWS::IAM::User", "Properties": {}},
        "Nested": {"Type": "AWS::CloudFormation::Stack", "Properties": {}},
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {}},
        "Fn": {"Type": "AWS::Serverless::Function", "Properties": {}},
    },
}


def _resolver(choices: dict[Any, Any] | None = None, template: dict[str, Any] | None = None,
              problems: tuple[Problem, ...] = ()) -> Resolver:
    return Resolver(Template.from_root(template or TEMPLATE, problems), choices or {}, ACCOUNT)


def _resolve(node: Any, choices: dict[Any, Any] | None = None) -> Any:
    return _resolver(choices).value(node, ("v",))


# --- Ref -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("AWS::AccountId", ACCOUNT),
        ("AWS::Partition", "aws"),
        ("AWS::Region", "us-east-1"),
        ("AWS::StackName", "stack"),
        ("AWS::URLSuffix", "amazonaws.com"),
        ("Trusted", "444455556666"),
        ("Accounts", ["111122223333", "444455556666"]),
        ("Role", "deployer"),
        ("Unnamed", "Unnamed"),  # a generated name: the logical id stands for it
        ("Managed", "arn:aws:iam::000000000000:policy/ops"),
        ("Provider", "arn:aws:iam::000000000000:oidc-provider/token.actions.githubusercontent.com"),
        ("Saml", "arn:aws:iam::000000000000:saml-provider/okta"),
    ],
)
def test_ref(name: str, expected: Any) -> None:
    assert _resolve({"Ref": name}) == expected


@pytest.mark.parametrize(
    ("name", "expression"),
    [
        ("NoDefault", "${NoDefault}"),
        ("FromSsm", "${FromSsm}"),  # its Default names an SSM parameter, not a value
        ("Bucket", "${Bucket}"),
        ("Missing", "${Missing}"),
        ("AWS::NotificationARNs", "${AWS::NotificationARNs}"),
    ],
)
def test_ref_not_known_statically(name: str, expression: str) -> None:
    value = _resolve({"Ref": name})
    assert isinstance(value, Unresolved) and value.expression == expression


def test_a_default_is_recorded_and_a_no_echo_one_is_kept_secret() -> None:
    resolver = _resolver()
    assert resolver.value({"Fn::Join": ["-", [{"Ref": "Trusted"}, {"Ref": "Secret"}]]}, ("v",)) == "444455556666-s3cr3t"
    assert resolver.defaults == {"Trusted": "444455556666", "Secret": "s3cr3t"}
    # Only the NoEcho value is secret: the other values of the document may still be quoted.
    assert resolver.secrets == {"s3cr3t"}


def test_no_value_removes_the_key_or_the_element() -> None:
    no_value = {"Ref": "AWS::NoValue"}
    assert _resolve({"a": no_value, "b": [1, no_value, 2]}) == {"b": [1, 2]}
    assert _resolve(no_value) is NO_VALUE


def test_aws_account_id_is_recorded() -> None:
    resolver = _resolver()
    resolver.value({"Fn::Sub": "${AWS::AccountId}"}, ("v",))
    assert resolver.account_used


# --- Fn::GetAtt -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arg", "expected"),
    [
        (["Role", "Arn"], "arn:aws:iam::000000000000:role/ci/deployer"),
        ("Role.Arn", "arn:aws:iam::000000000000:role/ci/deployer"),
        (["Unnamed", "Arn"], "arn:aws:iam::000000000000:role/Unnamed"),
        (["User", "Arn"], "arn:aws:iam::000000000000:user/User"),
        (["Provider", "Arn"], "arn:aws:iam::000000000000:oidc-provider/token.actions.githubusercontent.com"),
        (["Managed", "PolicyArn"], "arn:aws:iam::000000000000:policy/ops"),
        (["FnRole", "Arn"], "arn:aws:iam::000000000000:role/FnRole"),  # the role SAM generates
        # A role's unique id names the same principal as its ARN (IAM stores ARN principals so).
        (["Role", "RoleId"], "arn:aws:iam::000000000000:role/ci/deployer"),
    ],
)
def test_get_att_of_an_iam_resource_of_the_template_is_in_the_own_account(arg: Any, expected: str) -> None:
    assert _resolve({"Fn::GetAtt": arg}) == expected


@pytest.mark.parametrize(
    ("arg", "expression"),
    [
        (["Nested", "Outputs.RoleArn"], "${Nested.Outputs.RoleArn}"),
        (["Bucket", "Arn"], "${Bucket.Arn}"),
        (["Elsewhere", "Arn"], "${Elsewhere.Arn}"),
    ],
)
def test_get_att_not_known_statically(arg: Any, expression: str) -> None:
    value = _resolve({"Fn::GetAtt": arg})
    assert isinstance(value, Unresolved) and value.expression == expression


# --- Fn::Sub ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arg", "expected"),
    [
        ("arn:${AWS::Partition}:iam::${AWS::AccountId}:root", "arn:aws:iam::000000000000:root"),
        ("arn:aws:iam::${Trusted}:role/${Role}", "arn:aws:iam::444455556666:role/deployer"),
        ("${Role.Arn}", "arn:aws:iam::000000000000:role/ci/deployer"),
        (["arn:aws:iam::${A}:root", {"A": {"Ref": "Trusted"}}], "arn:aws:iam::444455556666:root"),
        (["${A}-${Trusted}", {"A": "x"}], "x-444455556666"),
        ("${!Literal} and ${!aws:username}", "${Literal} and ${aws:username}"),  # escapes
        ("no variables", "no variables"),
    ],
)
def test_sub(arg: Any, expected: str) -> None:
    assert _resolve({"Fn::Sub": arg}) == expected


def test_sub_with_an_unknown_part_keeps_the_rest_and_a_hole() -> None:
    value = _resolve({"Fn::Sub": "arn:${AWS::Partition}:iam::${NoDefault}:role/${Nested.Outputs.Name}"})
    assert isinstance(value, Unresolved)
    assert value.expression == "arn:aws:iam::${NoDefault}:role/${Nested.Outputs.Name}"


# --- Join, Select, Split, FindInMap, and the rest -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        ({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::", {"Ref": "Trusted"}, ":root"]]},
         "arn:aws:iam::444455556666:root"),
        ({"Fn::Join": [",", {"Ref": "Accounts"}]}, "111122223333,444455556666"),
        ({"Fn::Join": ["", ["a", {"Ref": "AWS::NoValue"}, "b"]]}, "ab"),
        ({"Fn::Select": ["1", {"Ref": "Accounts"}]}, "444455556666"),
        ({"Fn::Select": [0, {"Fn::Split": [",", "a,b"]}]}, "a"),
        ({"Fn::Split": [",", "111122223333,444455556666"]}, ["111122223333", "444455556666"]),
        ({"Fn::FindInMap": ["Accounts", "prod", "Id"]}, "777788889999"),
        ({"Fn::FindInMap": ["Accounts", {"Ref": "AWS::Region"}, "Id"]}, "123456789012"),
        ({"Fn::FindInMap": ["Accounts", "test", "Id", {"DefaultValue": "none"}]}, "none"),
        ({"Fn::Base64": "abc"}, "YWJj"),
        ({"Fn::Length": [1, 2, 3]}, "3"),
        ({"Fn::ToJsonString": {"a": [{"Ref": "Trusted"}]}}, '{"a":["444455556666"]}'),
    ],
)
def test_functions(node: Any, expected: Any) -> None:
    assert _resolve(node) == expected


@pytest.mark.parametrize(
    "node",
    [
        {"Fn::Join": ["", ["arn:aws:iam::", {"Ref": "NoDefault"}, ":root"]]},
        {"Fn::Split": [",", {"Ref": "NoDefault"}]},
        {"Fn::Select": ["5", ["a"]]},
        {"Fn::FindInMap": ["Accounts", "test", "Id"]},
        {"Fn::FindInMap": ["Accounts", {"Ref": "NoDefault"}, "Id"]},
        {"Fn::ImportValue": "shared-account"},
        {"Fn::GetAZs": ""},
        {"Fn::Cidr": ["10.0.0.0/16", 4, 8]},
        {"Fn::Transform": {"Name": "AWS::Include"}},
        {"Fn::Include": "other.yml"},
        {"Fn::Sub": 3},
        {"Fn::GetStackOutput": {"StackName": "network", "OutputName": "RoleArn"}},
        # Rule functions belong in `Rules`; met anywhere else they are not evaluated.
        {"Fn::Contains": [["a"], "a"]},
        {"Fn::ValueOf": ["Subnet", "VpcId"]},
    ],
)
def test_not_known_statically(node: Any) -> None:
    assert isinstance(_resolve(node), Unresolved)


def test_import_value_names_the_export() -> None:
    assert _resolve({"Fn::ImportValue": {"Fn::Sub": "${AWS::StackName}-Account"}}).expression == (
        "${ImportValue stack-Account}")


def test_get_stack_output_names_the_stack_and_output() -> None:
    value = _resolve({"Fn::GetStackOutput": {"StackName": {"Fn::Sub": "${AWS::StackName}-net"},
                                             "OutputName": "RoleArn", "RoleArn": "arn:aws:iam::444455556666:role/r"}})
    assert (value.expression, value.reason) == (
        "${GetStackOutput stack-net.RoleArn}", "an output of another stack, read at deployment")


def test_a_self_reference_ends() -> None:
    template = {"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": {"Fn::GetAtt": ["R", "Arn"]}}}}}
    value = _resolver(template=template).value({"Fn::GetAtt": ["R", "Arn"]}, ("v",))
    assert value.startswith("arn:aws:iam::000000000000:role/")


def test_an_octal_number_is_left_out() -> None:
    resolver = _resolver(problems=(Problem("octal_number", ("v", 0), "012345670123"),))
    assert resolver.value(["012345670123", "444455556666"], ("v",)) == ["444455556666"]


# --- conditions and Fn::If -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Always", True), ("Never", False), ("Either", True), ("Literal", True)],
)
def test_conditions_fixed_before_deployment_are_decided(name: str, expected: bool) -> None:
    assert _resolver().condition(name) is expected


@pytest.mark.parametrize(
    ("name", "choice", "domain"),
    [
        # A parameter restricted to AllowedValues: each value is a choice.
        ("IsProd", ("parameter", "Stage"), ("dev", "prod")),
        ("FlagOn", ("parameter", "Flag"), ("true", "false")),
        # A free parameter (its default may be overridden) or a pseudo parameter: the condition.
        ("HasSecret", ("condition", "HasSecret"), (True, False)),
        ("InRegion", ("condition", "InRegion"), (True, False)),
        ("Undefined", ("condition", "Undefined"), (True, False)),
    ],
)
def test_conditions_decided_at_deployment_are_choices(name: str, choice: Any, domain: tuple[Any, ...]) -> None:
    with pytest.raises(NeedChoice) as need:
        _resolver().condition(name)
    assert (need.value.choice, need.value.domain) == (choice, domain)


def test_a_parameter_choice_decides_its_conditions() -> None:
    assert _resolver({("parameter", "Stage"): "prod"}).condition("IsProd") is True
    assert _resolver({("parameter", "Stage"): "dev"}).condition("IsProd") is False


def test_fn_if_takes_the_chosen_branch_and_records_where_it_is() -> None:
    resolver = _resolver({("condition", "HasSecret"): False})
    node = {"Condition": {"Fn::If": ["HasSecret", {"StringEquals": {"sts:ExternalId": "x"}}, {"Ref": "AWS::NoValue"}]}}
    assert resolver.value(node, ("v",)) == {}
    assert resolver.dropped == [("v", "Condition", "Fn::If", 1)]
    resolver = _resolver({("condition", "HasSecret"): True})
    assert resolver.value(node, ("v",)) == {"Condition": {"StringEquals": {"sts:ExternalId": "x"}}}
    assert resolver.moves == {("v", "Condition"): ("v", "Condition", "Fn::If", 1)}


def test_an_open_condition_is_unresolved() -> None:
    value = _resolve({"Fn::If": ["HasSecret", "a", "b"]}, {("condition", "HasSecret"): OPEN})
    assert isinstance(value, Unresolved) and value.expression == "${Fn::If HasSecret}"


def test_elements_after_a_removed_one_are_located_where_they_are_written() -> None:
    resolver = _resolver({("condition", "HasSecret"): False})
    node = [{"Fn::If": ["HasSecret", "a", {"Ref": "AWS::NoValue"}]}, "b", {"Fn::If": ["Always", "c", "d"]}]
    assert resolver.value(node, ("v",)) == ["b", "c"]
    assert resolver.moves[("v", 0)] == ("v", 1)
    assert resolver.moves[("v", 1)] == ("v", 2, "Fn::If", 1)


# --- variants -----------------------------------------------------------------------------------------------------------


def _run(resolver: Resolver) -> Any:
    return resolver.value([{"Fn::If": ["IsProd", "prod", "dev"]}, {"Fn::If": ["HasSecret", "secret", "none"]}], ("v",))


def test_every_combination_of_the_choices_asked_for_is_a_variant() -> None:
    runs = [(describe(r), value) for r, value in variants(_run, lambda c: _resolver(c))]
    assert runs == [
        ("condition HasSecret is true, parameter Stage = 'dev'", ["dev", "secret"]),
        ("condition HasSecret is false, parameter Stage = 'dev'", ["dev", "none"]),
        ("condition HasSecret is true, parameter Stage = 'prod'", ["prod", "secret"]),
        ("condition HasSecret is false, parameter Stage = 'prod'", ["prod", "none"]),
    ]


def test_past_the_limit_choices_stay_open() -> None:
    runs = [value for _, value in variants(_run, lambda c: _resolver(c), limit=2)]
    assert [r[0] for r in runs] == ["dev", "prod"]
    assert all(isinstance(r[1], Unresolved) for r in runs)


def test_initial_choices_are_kept() -> None:
    runs = [value for _, value in variants(_run, lambda c: _resolver(c), {("condition", "HasSecret"): True})]
    assert runs == [["dev", "secret"], ["prod", "secret"]]


def test_a_no_echo_parameter_value_is_not_shown() -> None:
    template = {"Parameters": {"P": {"Type": "String", "AllowedValues": ["a", "b"], "NoEcho": "true"}}}
    runs = list(variants(lambda r: r.value({"Ref": "P"}, ("v",)), lambda c: _resolver(c, template)))
    assert [describe(r) for r, _ in runs] == ["parameter P is one of its allowed values"] * 2
    assert [r.secrets for r, _ in runs] == [{"a"}, {"b"}]


def test_a_branch_the_default_cannot_take_does_not_read_the_default() -> None:
    # HasExternalId is true only when the deployer sets a value other than the default "":
    # in that branch the value is unknown, not "" (which would read as an empty condition).
    template = {
        "Parameters": {"ExternalId": {"Type": "String", "Default": ""}},
        "Conditions": {"HasExternalId": {"Fn::Not": [{"Fn::Equals": [{"Ref": "ExternalId"}, ""]}]}},
    }
    runs = list(variants(lambda r: r.value({"Fn::If": ["HasExternalId", {"Ref": "ExternalId"}, "none"]}, ("v",)),
                         lambda c: _resolver(c, template)))
    by_branch = {describe(r): value for r, value in runs}
    taken = by_branch["condition HasExternalId is true"]
    assert isinstance(taken, Unresolved) and "other than its default" in taken.reason
    assert by_branch["condition HasExternalId is false"] == "none"
    assert [r.defaults for r, _ in runs] == [{}, {}]
