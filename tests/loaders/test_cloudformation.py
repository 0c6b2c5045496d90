"""CloudFormation and SAM templates end to end: tests/fixtures/cloudformation/ through scanner.scan().

Every fixture exists as YAML (short-form tags) and as JSON (long form) and holds one concern;
the tests pin exactly which violations each gives, as (rule, logical id, JSONPath, line), in
both forms. yaml_traps.yaml is YAML only: its traps do not exist in JSON.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from pyiamguard.config import Config
from pyiamguard.loaders.cloudformation import RESOLVED, cloudformation_sources, source_path_function
from pyiamguard.loaders.yaml_source import load_yaml
from pyiamguard.model import Report, Severity
from pyiamguard.normalize.values import Unresolved
from pyiamguard.reporters.json_report import render
from pyiamguard.scanner import scan

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "cloudformation"
FORMS = ("yaml", "json")
PAIRS = sorted(p.stem for p in FIXTURES.glob("*.json"))

Expected = list[tuple[str, str, str, int, int]]  # rule, resource, path under $.Resources., YAML line, JSON line


def _scan(name: str, config: Config | None = None) -> Report:
    return scan([FIXTURES / name], config)


def _found(report: Report) -> list[tuple[str, str, str, int | None]]:
    return [(v.rule_id, v.resource, v.path, v.line) for v in report.violations]


def _expect(expected: Expected, form: str) -> list[tuple[str, str, str, int]]:
    rows = [(rule, resource, "$.Resources." + path, yaml_line if form == "yaml" else json_line)
            for rule, resource, path, yaml_line, json_line in expected]
    return sorted(rows, key=lambda r: (r[3], r[0], r[1], r[2]))


def _check(name: str, form: str, expected: Expected, config: Config | None = None) -> Report:
    report = _scan(f"{name}.{form}", config)
    assert report.errors == ()
    found = sorted(_found(report), key=lambda r: (r[3] or 0, r[0], r[1], r[2]))
    assert found == _expect(expected, form)
    return report


def _messages(report: Report) -> dict[tuple[str, str], list[str]]:
    out: dict[tuple[str, str], list[str]] = {}
    for v in report.violations:
        out.setdefault((v.rule_id, v.resource), []).append(_as_yaml(v.message))
    return out


def _as_yaml(message: str) -> str:
    """A JSON template's message shows an intrinsic in its long form (`written {"Fn::Sub":
    "..."}`); the same message of the YAML twin shows the short form. One text for both."""
    message = re.sub(r'\(written \{"Fn::Sub": "([^"]*)"\}\)', r"(written !Sub '\1')", message)
    return re.sub(r'\(written \{"Ref": "([^"]*)"\}\)', r"(written !Ref \1)", message)


def _plain(value: Any) -> Any:
    """A tree with every scalar as CloudFormation passes it on (YAML keeps number text)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, (int, float)) else value


@pytest.mark.parametrize("name", PAIRS)
def test_the_json_and_yaml_forms_are_the_same_template(name: str) -> None:
    yaml_path = FIXTURES / f"{name}.yaml"
    json_tree = json.loads((FIXTURES / f"{name}.json").read_text())
    assert _plain(load_yaml(str(yaml_path), yaml_path.read_text()).root) == _plain(json_tree)


TRUST = "{}.Properties.AssumeRolePolicyDocument.Statement[0]"


def test_resolved_paths_map_back_to_the_file() -> None:
    source_path = source_path_function({("R", "S", 0): ("R", "S", 1), ("R", "S", 0, "P"): ("R", "S", 1, "P", "Fn::If", 2)})
    assert source_path((RESOLVED, "R", "S", 0, "E")) == ("R", "S", 1, "E")
    assert source_path((RESOLVED, "R", "S", 0, "P", "AWS", 0)) == ("R", "S", 1, "P", "Fn::If", 2, "AWS", 0)
    assert source_path((RESOLVED, "R", "T")) == ("R", "T")
    assert source_path(("R", "S", 0)) == ("R", "S", 0)  # already a path of the file


# --- principals: cross-account, own account --------------------------------------------------------


CROSS_ACCOUNT: Expected = [
    ("IAMG-102", "PartnerRole", TRUST.format("PartnerRole") + ".Principal.AWS", 12, 14),
    ("IAMG-103", "PartnerRole", TRUST.format("PartnerRole") + ".Principal.AWS", 12, 14),
    ("IAMG-104", "PartnerRole", TRUST.format("PartnerRole") + ".Principal.AWS", 12, 14),
    ("IAMG-105", "PartnerRole", TRUST.format("PartnerRole") + ".Principal.AWS", 12, 14),
    # ${AWS::AccountId}, a Join of it and GetAtt of a role of the template: the own account.
    ("IAMG-105", "OwnAccountRole", TRUST.format("OwnAccountRole") + ".Principal.AWS[0]", 23, 32),
]


@pytest.mark.parametrize("form", FORMS)
def test_a_foreign_account_is_cross_account_and_aws_account_id_is_the_own_one(form: str) -> None:
    report = _check("cross_account", form, CROSS_ACCOUNT)
    own = next(v for v in report.violations if v.resource == "OwnAccountRole")
    assert own.severity == Severity.LOW  # the own account's root
    # The stand-in token of the unknown stack account is never quoted (issue "Messages").
    assert own.message == (
        "Statement 1 trusts this stack's own account (AWS::AccountId) as a whole, 'arn:aws:iam::${AWS::AccountId}:root', "
        "so any identity that account allows can assume the role, and no aws:PrincipalArn condition narrows it to "
        "named roles or users")


@pytest.mark.parametrize("form", FORMS)
def test_a_configured_own_account_stands_for_aws_account_id(form: str) -> None:
    report = _check("cross_account", form, CROSS_ACCOUNT, Config(own_accounts=("111122223333",)))
    own = next(v for v in report.violations if v.resource == "OwnAccountRole")
    assert own.message == (
        "Statement 1 trusts the whole account 111122223333, 'arn:aws:iam::111122223333:root', so any identity that "
        "account allows can assume the role, and no aws:PrincipalArn condition narrows it to named roles or users")


def test_the_own_account_token_is_never_an_account_the_template_names(tmp_path: Path) -> None:
    template = {"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"AWS": ["arn:aws:iam::000000000000:root", {"Fn::Sub": "arn:aws:iam::${AWS::AccountId}:root"}]},
        }]}}}}}
    path = tmp_path / "t.json"
    path.write_text(json.dumps(template, indent=1))
    found = [(v.rule_id, v.path.rsplit(".", 1)[-1], v.severity) for v in scan([path]).violations]
    assert ("IAMG-103", "AWS[0]", Severity.HIGH) in found  # the literal 000000000000 is foreign
    assert ("IAMG-105", "AWS[1]", Severity.LOW) in found  # AWS::AccountId became 000000000001, own
    assert not any(rule == "IAMG-103" and at == "AWS[1]" for rule, at, _ in found)


RULES: Expected = [(rule, "PartnerRole", TRUST.format("PartnerRole") + ".Principal.AWS", 47, 219)
                   for rule in ("IAMG-102", "IAMG-103", "IAMG-104", "IAMG-105")]


@pytest.mark.parametrize("form", FORMS)
def test_a_rules_section_with_every_rule_function_loads_and_changes_no_role(form: str) -> None:
    # Contains, EachMemberEquals, EachMemberIn, RefAll, ValueOf, ValueOfAll (short and long
    # form in YAML) in `Rules`: the template loads and the role is judged as without them.
    report = _check("rules", form, RULES)
    assert report.documents == 1



# --- parameters ---------------------------------------------------------------------------------


PARAMETERS: Expected = [
    ("IAMG-102", "DefaultRole", TRUST.format("DefaultRole") + ".Principal.AWS", 28, 40),
    ("IAMG-105", "DefaultRole", TRUST.format("DefaultRole") + ".Principal.AWS", 28, 40),
    # A parameter account is still a whole account of some account: the cross-account rules
    # apply with the account unknown, and IAMG-001 names the parameter.
    ("IAMG-001", "UnknownRole", TRUST.format("UnknownRole") + ".Principal.AWS[0]", 44, 68),
    ("IAMG-103", "UnknownRole", TRUST.format("UnknownRole") + ".Principal.AWS[0]", 44, 68),
    ("IAMG-104", "UnknownRole", TRUST.format("UnknownRole") + ".Principal.AWS[0]", 44, 68),
    ("IAMG-105", "UnknownRole", TRUST.format("UnknownRole") + ".Principal.AWS[0]", 44, 68),
    ("IAMG-001", "UnknownRole", TRUST.format("UnknownRole") + ".Principal.AWS[1]", 45, 71),
    ("IAMG-103", "UnknownRole", TRUST.format("UnknownRole") + ".Principal.AWS[1]", 45, 71),
    ("IAMG-104", "UnknownRole", TRUST.format("UnknownRole") + ".Principal.AWS[1]", 45, 71),
    ("IAMG-105", "UnknownRole", TRUST.format("UnknownRole") + ".Principal.AWS[1]", 45, 71),
    ("IAMG-001", "UnknownRole", TRUST.format("UnknownRole") + ".Principal.AWS[2]", 46, 74),
    ("IAMG-001", "UnknownRole", TRUST.format("UnknownRole") + ".Principal.AWS[3]", 47, 77),
    ("IAMG-102", "AllowedRole", TRUST.format("AllowedRole") + ".Principal.AWS", 57, 100),
    ("IAMG-102", "AllowedRole", TRUST.format("AllowedRole") + ".Principal.AWS", 57, 100),
]


@pytest.mark.parametrize("form", FORMS)
def test_parameters_take_their_default_and_say_so_or_are_unresolved(form: str) -> None:
    messages = _messages(_check("parameters", form, PARAMETERS))
    assert messages[("IAMG-105", "DefaultRole")] == [
        "Statement 1 trusts the whole account 444455556666, 'arn:aws:iam::444455556666:root' (written !Sub "
        "'arn:${AWS::Partition}:iam::${TrustedAccountId}:root'), so any identity that account allows can assume the "
        "role, and no aws:PrincipalArn condition narrows it to named roles or users "
        "(assuming the default of parameter TrustedAccountId = '444455556666')"]
    # No default, an SSM parameter (its Default is a parameter name), an import, a nested
    # stack's output: each is named as written, never evaluated as some account.
    assert [m.split("'")[1] for m in messages[("IAMG-001", "UnknownRole")]] == [
        "${AuditorAccountId}", "arn:aws:iam::${DeployerAccountId}:root", "${ImportValue shared-ci-role-arn}",
        "${Shared.Outputs.RoleArn}"]


@pytest.mark.parametrize("form", FORMS)
def test_every_allowed_value_is_evaluated_and_named(form: str) -> None:
    report = _scan(f"parameters.{form}")
    assert sorted(_messages(report)[("IAMG-102", "AllowedRole")]) == [
        "Statement 1 trusts 'arn:aws:iam::111122223333:role/partner' (written !Sub "
        "'arn:aws:iam::${PartnerAccountId}:role/partner') of account 111122223333, which is neither one of your "
        "accounts (the role's own, own_accounts, internal_accounts) nor in trusted_accounts (account of the role "
        "unknown: set own_accounts) (when parameter PartnerAccountId = '111122223333')",
        "Statement 1 trusts 'arn:aws:iam::777788889999:role/partner' (written !Sub "
        "'arn:aws:iam::${PartnerAccountId}:role/partner') of account 777788889999, which is neither one of your "
        "accounts (the role's own, own_accounts, internal_accounts) nor in trusted_accounts (account of the role "
        "unknown: set own_accounts) (when parameter PartnerAccountId = '777788889999')",
    ]


def test_a_trusted_allowed_value_leaves_only_the_other() -> None:
    report = _scan("parameters.yaml", Config(trusted_accounts=("111122223333", "444455556666")))
    assert [v.message.rsplit(" (", 1)[-1] for v in report.violations if v.rule_id == "IAMG-102"] == [
        "when parameter PartnerAccountId = '777788889999')"]


# --- conditions: Fn::If, AWS::NoValue -----------------------------------------------------------------


CONDITIONS: Expected = [
    ("IAMG-102", "VendorRole", TRUST.format("VendorRole") + ".Principal.AWS", 23, 55),
    ("IAMG-103", "VendorRole", TRUST.format("VendorRole") + ".Principal.AWS", 23, 55),
    # The Never statement is removed: the third one keeps its path and line in the file.
    ("IAMG-101", "StageRole", "StageRole.Properties.AssumeRolePolicyDocument.Statement[2].Principal.AWS['Fn::If'][1]",
     48, 110),
    ("IAMG-105", "StageRole", "StageRole.Properties.AssumeRolePolicyDocument.Statement[2].Principal.AWS['Fn::If'][2]",
     48, 111),
    ("IAMG-301", "StageRole", "StageRole.Properties.Policies[0]['Fn::If'][1].PolicyDocument", 54, 127),
    # `*` on `*` is an assume grant on every role too (Amendments, IAMG-304): one finding per statement.
    ("IAMG-304", "StageRole", "StageRole.Properties.Policies[0]['Fn::If'][1].PolicyDocument.Statement[0].Resource", 59, 133),
]


@pytest.mark.parametrize("form", FORMS)
def test_both_branches_of_fn_if_are_evaluated_and_the_worst_case_is_reported(form: str) -> None:
    report = _check("conditions", form, CONDITIONS)
    messages = _messages(report)
    # An ExternalId condition behind `!If [HasExternalId, ..., !Ref AWS::NoValue]` may be absent.
    assert messages[("IAMG-103", "VendorRole")] == [
        "Statement 1 lets 'arn:aws:iam::444455556666:role/vendor' of account 444455556666 call sts:AssumeRole without "
        "a restricting sts:ExternalId condition (account of the role unknown: set own_accounts) "
        "(when condition HasExternalId is false)"]
    # A finding of both branches is reported once, without a branch (and without the default
    # that only one branch assumed).
    assert messages[("IAMG-102", "VendorRole")] == [
        "Statement 1 trusts 'arn:aws:iam::444455556666:role/vendor' of account 444455556666, which is neither one of "
        "your accounts (the role's own, own_accounts, internal_accounts) nor in trusted_accounts (account of the role "
        "unknown: set own_accounts)"]
    assert messages[("IAMG-301", "StageRole")][0].endswith("(when parameter Stage = 'prod')")
    assert messages[("IAMG-105", "StageRole")][0].endswith("(when parameter Stage = 'dev')")


@pytest.mark.parametrize("form", FORMS)
def test_a_resource_whose_condition_is_always_false_is_not_created(form: str) -> None:
    report = _scan(f"conditions.{form}")
    assert "NeverRole" not in {v.resource for v in report.violations}
    assert report.documents == 5  # VendorRole x2, StageRole x2 and its prod-only inline policy


def test_too_many_choices_leave_the_rest_unresolved(tmp_path: Path) -> None:
    conditions = {f"C{i}": {"Fn::Equals": [{"Ref": "P"}, str(i)]} for i in range(8)}
    principals = [{"Fn::If": [f"C{i}", f"arn:aws:iam::{i:012d}:root", {"Ref": "AWS::NoValue"}]} for i in range(8)]
    template = {"Parameters": {"P": {"Type": "String", "Default": "0"}}, "Conditions": conditions,
                "Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {
                    "Version": "2012-10-17", "Statement": [{
                        "Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": principals}}]}}}}}
    path = tmp_path / "t.json"
    path.write_text(json.dumps(template, indent=1))
    report = scan([path])
    assert report.errors == ()
    assert report.documents == 32  # the variant budget
    unresolved = {v.path.rsplit(".", 1)[-1] for v in report.violations if v.rule_id == "IAMG-001"}
    # C5..C7 stay open in every variant: Unresolved, never a pass (located in the file even
    # where removed elements before them shift them in the resolved list).
    assert unresolved == {"AWS[5]", "AWS[6]", "AWS[7]"}


# --- documents as JSON text ------------------------------------------------------------------------------


JSON_STRINGS: Expected = [
    ("IAMG-101", "PlainStringRole", TRUST.format("PlainStringRole") + ".Principal.AWS", 11, 14),
    ("IAMG-101", "BlockScalarRole", TRUST.format("BlockScalarRole") + ".Principal.AWS", 19, 20),
    ("IAMG-102", "SubJsonRole", TRUST.format("SubJsonRole") + ".Principal.AWS", 31, 26),
    ("IAMG-105", "SubJsonRole", TRUST.format("SubJsonRole") + ".Principal.AWS", 31, 26),
    ("IAMG-002", "BrokenJsonRole", "BrokenJsonRole.Properties.AssumeRolePolicyDocument", 41, 42),
]


@pytest.mark.parametrize("form", FORMS)
def test_documents_given_as_json_text_are_parsed_after_resolution(form: str) -> None:
    # Sub over JSON: the variable map and `${!aws:username}` (a literal IAM policy variable)
    # resolve; the ExternalId from the map restricts, so there is no IAMG-103. Findings inside
    # a YAML literal block (`|`, also under !Sub) point at their own line; inside any other
    # string (one line, JSON escapes) at the line of the string.
    report = _check("json_strings", form, JSON_STRINGS)
    assert _messages(report)[("IAMG-002", "BrokenJsonRole")] == [
        "Invalid policy: the policy string is not valid JSON, so IAM rejects it "
        "('invalid JSON at line 1 column 41: Expecting value')"]


def test_sub_over_json_with_an_unknown_value_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "Parameters:\n  Vendor: {Type: String}\nResources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n"
        "      AssumeRolePolicyDocument: !Sub |\n"
        '        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",\n'
        '         "Principal": {"AWS": ["arn:aws:iam::${Vendor}:root", "*"]}}]}\n')
    found = [(v.rule_id, v.path.rsplit(".", 1)[-1], v.line) for v in scan([path]).violations]
    # The vendor's root is still a whole foreign account, its id unknown.
    assert found == [("IAMG-001", "AWS[0]", 9), ("IAMG-103", "AWS[0]", 9), ("IAMG-104", "AWS[0]", 9),
                     ("IAMG-105", "AWS[0]", 9), ("IAMG-101", "AWS[1]", 9)]


def test_a_folded_block_keeps_the_line_of_the_string(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument: >\n"
        '        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",\n'
        '        "Principal": {"AWS": "*"}}]}\n')
    assert [(v.rule_id, v.line) for v in scan([path]).violations] == [("IAMG-101", 5)]


# --- permissions --------------------------------------------------------------------------------------------


PERMISSIONS: Expected = [
    ("IAMG-102", "VendorRole", TRUST.format("VendorRole") + ".Principal.AWS", 12, 14),
    ("IAMG-401", "VendorRole", "VendorRole.Properties.MaxSessionDuration", 19, 28),
    # Inline policies are identity policies too (named by their role).
    ("IAMG-304", "VendorRole", "VendorRole.Properties.Policies[0].PolicyDocument.Statement[0].Resource", 29, 43),
    ("IAMG-102", "AdminVendorRole", TRUST.format("AdminVendorRole") + ".Principal.AWS", 38, 60),
    ("IAMG-301", "AdminVendorRole", "AdminVendorRole.Properties.ManagedPolicyArns[0]", 46, 75),
    # ManagedPolicyArns: [!Ref EscalationPolicy] gives the role that policy's document.
    # Roles: [!Ref AppRole] and Roles: [app] (its RoleName) both reach AppRole: each finding
    # points at the Roles entry naming the role, where the policy reaches it.
    ("IAMG-303", "AppRole", "AdminManagedPolicy.Properties.Roles[0]", 71, 118),
    ("IAMG-303", "AppRole", "AdminInlinePolicy.Properties.Roles[0]", 83, 139),
    # A boundary from the template caps AdministratorAccess: no IAMG-301.
    ("IAMG-102", "CappedRole", TRUST.format("CappedRole") + ".Principal.AWS", 98, 162),
    # A policy for a role the template does not create.
    ("IAMG-303", "ExternalRolePolicy", "ExternalRolePolicy.Properties.PolicyDocument.Statement[0]", 125, 207),
    ("IAMG-304", "Operators", "Operators.Properties.Policies[0].PolicyDocument.Statement[0].Resource", 138, 228),
    # `*` on `*` is an assume grant on every role too (Amendments, IAMG-304): one finding per statement.
    ("IAMG-304", "AdminManagedPolicy", "AdminManagedPolicy.Properties.PolicyDocument.Statement[0].Resource", 77, 128),
    # ...and on the role it reaches, where it reaches it.
    ("IAMG-304", "AppRole", "AdminManagedPolicy.Properties.Roles[0]", 71, 118),
    ("IAMG-304", "ExternalRolePolicy", "ExternalRolePolicy.Properties.PolicyDocument.Statement[0].Resource", 127, 210),
    # Escalation is reported where the policy reaches the role (Amendments, Locations).
    ("IAMG-302", "VendorRole", "VendorRole.Properties.ManagedPolicyArns[0]", 21, 30),
]


@pytest.mark.parametrize("form", FORMS)
def test_permissions_reach_the_role_from_the_role_and_from_the_resources_naming_it(form: str) -> None:
    report = _check("permissions", form, PERMISSIONS)
    messages = _messages(report)
    assert messages[("IAMG-301", "AdminVendorRole")] == [
        "The role grants admin-equivalent permissions through the managed policy "
        "'arn:aws:iam::aws:policy/AdministratorAccess', and 'arn:aws:iam::444455556666:role/vendor', from outside "
        "your accounts, may assume it"]
    assert messages[("IAMG-303", "AppRole")] == [
        "The role grants admin-equivalent permissions through the attached policy 'AdminManagedPolicy'",
        "The role grants admin-equivalent permissions through the role policy 'AdminInlinePolicy'"]


BOUNDARIES: Expected = [
    # CappedRole: AdministratorAccess under PermissionsBoundary: !Ref ReadOnlyCap (s3:GetObject
    # only): no IAMG-301. UncappedRole's boundary is the template's admin policy: IAMG-301.
    ("IAMG-301", "UncappedRole", "UncappedRole.Properties.ManagedPolicyArns[0]", 59, 106),
    # !If [UseCap, !Ref ReadOnlyCap, !Ref AWS::NoValue]: capped in one branch, not in the other.
    ("IAMG-301", "MaybeCappedRole", "MaybeCappedRole.Properties.ManagedPolicyArns[0]", 75, 142),
    # One template policy reaching two roles: each finding at the role's own ManagedPolicyArns entry.
    ("IAMG-303", "WorkerA", "WorkerA.Properties.ManagedPolicyArns[0]", 96, 177),
    ("IAMG-303", "WorkerB", "WorkerB.Properties.ManagedPolicyArns[0]", 108, 199),
    # The template's admin policies themselves allow assuming every role (Amendments, IAMG-304).
    ("IAMG-304", "AdminCap", "AdminCap.Properties.PolicyDocument.Statement[0].Resource", 27, 48),
    ("IAMG-304", "SharedAdmin", "SharedAdmin.Properties.PolicyDocument.Statement[0].Resource", 84, 155),
]


@pytest.mark.parametrize("form", FORMS)
def test_a_boundary_of_the_template_is_linked_by_ref_and_its_document_used(form: str) -> None:
    report = _check("boundaries", form, BOUNDARIES, Config(trusted_accounts=("444455556666",)))
    assert _messages(report)[("IAMG-301", "MaybeCappedRole")][0].endswith("(when parameter Capped = 'no')")
    sources = list(cloudformation_sources(load_yaml("b.yaml", (FIXTURES / "boundaries.yaml").read_text())))
    capped = next(s.role for s in sources if s.resource == "CappedRole" and s.role is not None)
    assert capped.boundary is not None and capped.boundary.document == {
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    assert capped.boundary.attached_at == (RESOLVED, "Resources", "CappedRole", "Properties", "PermissionsBoundary")


def test_a_shared_policy_not_known_statically_is_iamg_001_on_each_role_where_it_reaches_it(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("""\
Parameters:
  Document: {Type: String}
Resources:
  Shared:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      Roles: [!Ref C]
      PolicyDocument: !Ref Document
  A:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: sts:AssumeRole}]
      ManagedPolicyArns: [!Ref Shared]
  B:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: sts:AssumeRole}]
      ManagedPolicyArns: [!Ref Shared]
  C:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: sts:AssumeRole}]
""")
    # The policy itself, and each role at its own reference to it.
    assert _found(scan([path])) == [
        ("IAMG-001", "C", "$.Resources.Shared.Properties.Roles[0]", 7),
        ("IAMG-001", "Shared", "$.Resources.Shared.Properties.PolicyDocument", 8),
        ("IAMG-001", "A", "$.Resources.A.Properties.ManagedPolicyArns[0]", 14),
        ("IAMG-001", "B", "$.Resources.B.Properties.ManagedPolicyArns[0]", 20),
    ]


# --- OIDC providers -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("form", FORMS)
def test_a_federated_provider_of_the_template_is_named_by_its_url(form: str) -> None:
    # !Ref GitHubProvider and !GetAtt GitHubProvider.Arn become the provider's ARN, so the
    # GitHub rules apply: DeployRole has no sub condition, ReleaseRole has one.
    report = _check("oidc", form, [("IAMG-201", "DeployRole", TRUST.format("DeployRole") + ".Principal.Federated", 17, 23)])
    assert _as_yaml(report.violations[0].message).startswith(
        "Statement 1 lets identities of the OIDC provider "
        "'arn:aws:iam::${AWS::AccountId}:oidc-provider/token.actions.githubusercontent.com' (written !Ref "
        "GitHubProvider) assume the role")


# --- SAM -------------------------------------------------------------------------------------------------------


SAM: Expected = [
    # Globals give every function the Boundary; Worker removes it with AWS::NoValue.
    ("IAMG-303", "Worker", "Worker.Properties.Policies[0]", 24, 37),
    ("IAMG-102", "VendorHook", TRUST.format("VendorHook") + ".Principal.AWS", 42, 66),
    ("IAMG-301", "VendorHook", "VendorHook.Properties.Policies[0]", 50, 81),
    # `*` on `*` is an assume grant on every role too (Amendments, IAMG-304): one finding per statement.
    ("IAMG-304", "VendorHook", "VendorHook.Properties.Policies[0].Statement[0].Resource", 54, 87),
]


@pytest.mark.parametrize("form", FORMS)
def test_sam_functions_get_the_role_sam_generates(form: str) -> None:
    # Processor: AdministratorAccess capped by the Globals boundary. OwnRoleFunction names an
    # existing role: SAM creates none.
    report = _check("sam", form, SAM)
    # Worker's S3ReadPolicy is expanded (an identity document of its own, no finding).
    assert _messages(report)[("IAMG-303", "Worker")] == [
        "The role grants admin-equivalent permissions through the managed policy "
        "'arn:aws:iam::aws:policy/AdministratorAccess'"]
    assert report.documents == 6


SAM_TEMPLATES = """\
Transform: AWS::Serverless-2016-10-31
Parameters:
  Bucket: {Type: String, Default: reports}
  SecretArn: {Type: String}
Resources:
  Table:
    Type: AWS::DynamoDB::Table
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: a.b
      Policies:
        - S3ReadPolicy:
            BucketName: !Ref Bucket
        - DynamoDBCrudPolicy:
            TableName: !Ref Table
        - AWSSecretsManagerGetSecretValuePolicy:
            SecretArn: !Ref SecretArn
        - AMIDescribePolicy: {}
        - S3ReedPolicy: {BucketName: x}
        - SQSPollerPolicy: {}
"""


PART = "part of the string is not known statically"


def _identity_documents(text: str) -> list[tuple[Any, str, int | None, tuple[tuple[str, str], ...]]]:
    source = load_yaml("t.yaml", text)
    out = []
    for policy in cloudformation_sources(source):
        if policy.kind == "identity":
            assert policy.source_path is not None
            out.append((policy.document, policy.note, source.locate(policy.source_path(policy.base + ("Statement", 0)))[0],
                        policy.defaults))
    return out


def test_sam_policy_templates_expand_to_sams_statements_as_inline_policies_of_the_role() -> None:
    notes = ("S3ReedPolicy is not a SAM policy template (SAM rejects the function): not evaluated; SAM policy template "
             "SQSPollerPolicy lacks QueueName (SAM rejects the function): not evaluated")
    documents = _identity_documents(SAM_TEMPLATES)
    # SAM's own definitions (policy_templates.json) with the values given, resolved; each located
    # at its entry under Policies.
    assert [(d, line) for d, _, line, _ in documents] == [
        ({"Statement": [{"Action": ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation", "s3:GetObjectVersion",
                                    "s3:GetLifecycleConfiguration"],
                         "Effect": "Allow",
                         "Resource": ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"]}]}, 13),
        ({"Statement": [{"Action": ["dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:Scan",
                                    "dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem",
                                    "dynamodb:BatchGetItem", "dynamodb:DescribeTable", "dynamodb:ConditionCheckItem"],
                         "Effect": "Allow",
                         "Resource": [Unresolved("arn:aws:dynamodb:us-east-1:000000000000:table/${Table}", PART),
                                      Unresolved("arn:aws:dynamodb:us-east-1:000000000000:table/${Table}/index/*", PART)]}]},
         15),
        ({"Statement": [{"Action": ["secretsmanager:GetSecretValue"], "Effect": "Allow",
                         "Resource": Unresolved("${SecretArn}", PART)}]}, 17),
        ({"Statement": [{"Action": ["ec2:DescribeImages"], "Effect": "Allow", "Resource": "*"}]}, 19),
    ]
    assert {note for _, note, _, _ in documents} == {notes}
    # The default a finding assumed is named only by the findings it reaches.
    assert {defaults for *_, defaults in documents} == {(("Bucket", "Bucket = 'reports'"),)}


def test_a_sam_function_trusts_lambda_by_default(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n"
                    "    Properties:\n      Handler: a.b\n      Policies: [AdministratorAccess]\n")
    report = scan([path])
    # lambda.amazonaws.com: not externally assumable, so admin is IAMG-303, not IAMG-301.
    assert [(v.rule_id, v.resource, v.path, v.line) for v in report.violations] == [
        ("IAMG-303", "Fn", "$.Resources.Fn.Properties.Policies[0]", 7)]


def test_a_policy_naming_the_role_sam_generates_reaches_it(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n"
                    "    Properties:\n      Handler: a.b\n  Extra:\n    Type: AWS::IAM::Policy\n    Properties:\n"
                    "      PolicyName: extra\n      Roles: [!Ref FnRole]\n      PolicyDocument:\n"
                    "        Version: '2012-10-17'\n        Statement: [{Effect: Allow, Action: '*', Resource: '*'}]\n")
    assert [(v.rule_id, v.resource, v.path, v.line) for v in scan([path]).violations] == [
        ("IAMG-303", "Fn", "$.Resources.Extra.Properties.Roles[0]", 11),
        # The policy allows assuming every role (Amendments, IAMG-304): on the role it reaches,
        # where it reaches it, and on the policy resource itself.
        ("IAMG-304", "Fn", "$.Resources.Extra.Properties.Roles[0]", 11),
        ("IAMG-304", "Extra", "$.Resources.Extra.Properties.PolicyDocument.Statement[0].Resource", 14)]


def test_a_sam_state_machine_gets_its_generated_role(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("Transform: AWS::Serverless-2016-10-31\nResources:\n  Flow:\n    Type: AWS::Serverless::StateMachine\n"
                    "    Properties:\n      Policies: AdministratorAccess\n")
    report = scan([path])
    # states.amazonaws.com (exempt from IAMG-110): admin on a role nobody outside can assume.
    assert [(v.rule_id, v.resource, v.path, v.line) for v in report.violations] == [
        ("IAMG-303", "Flow", "$.Resources.Flow.Properties.Policies", 6)]


# --- YAML traps and duplicate keys -----------------------------------------------------------------------------


def test_yaml_traps() -> None:
    report = _scan("yaml_traps.yaml")
    assert report.errors == ()
    # `AWS: 444455556666` unquoted stays the account id; `Version: 2012-10-17` unquoted is fine.
    # `012345670123` is octal to CloudFormation: IAMG-002, and never judged as an account.
    assert _found(report) == [
        ("IAMG-102", "UnquotedRole", "$.Resources.UnquotedRole.Properties.AssumeRolePolicyDocument.Statement[0].Principal.AWS", 12),
        ("IAMG-105", "UnquotedRole", "$.Resources.UnquotedRole.Properties.AssumeRolePolicyDocument.Statement[0].Principal.AWS", 12),
        ("IAMG-002", "OctalRole", "$.Resources.OctalRole.Properties.AssumeRolePolicyDocument.Statement[0].Principal.AWS[0]", 28),
        ("IAMG-102", "OctalRole", "$.Resources.OctalRole.Properties.AssumeRolePolicyDocument.Statement[0].Principal.AWS[1]", 29),
    ]
    assert "012345670123" not in " ".join(v.message for v in report.violations if v.rule_id != "IAMG-002")


def test_an_octal_looking_parameter_default_is_iamg_002_and_not_an_account(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("Parameters:\n  Partner:\n    Type: String\n    Default: 012345670123\nResources:\n  R:\n"
                    "    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n"
                    "        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n"
                    "            Action: sts:AssumeRole\n            Principal:\n              AWS: !Ref Partner\n")
    principal = "$.Resources.R.Properties.AssumeRolePolicyDocument.Statement[0].Principal.AWS"
    # Never evaluated as account 012345670123 read in octal: a whole account whose id is unknown.
    assert _found(scan([path])) == [
        ("IAMG-002", "R", "$.Parameters.Partner.Default", 4),
        ("IAMG-001", "R", principal, 15), ("IAMG-103", "R", principal, 15), ("IAMG-104", "R", principal, 15),
        ("IAMG-105", "R", principal, 15)]


@pytest.mark.parametrize(("form", "line"), [("yaml", 17), ("json", 17)])
def test_a_duplicate_key_is_iamg_002_and_the_last_value_wins(form: str, line: int) -> None:
    report = _scan(f"duplicates.{form}")
    principal = (TRUST.format("DuplicateRole") + ".Principal.AWS", 12 if form == "yaml" else 13)
    assert _found(report) == [
        ("IAMG-102", "DuplicateRole", "$.Resources." + principal[0], principal[1]),
        # The ExternalId block was overwritten by the second StringEquals.
        ("IAMG-103", "DuplicateRole", "$.Resources." + principal[0], principal[1]),
        ("IAMG-002", "DuplicateRole", "$.Resources." + TRUST.format("DuplicateRole") + ".Condition.StringEquals", line),
    ]


def test_a_tab_indented_json_template_is_read_as_json(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps(json.loads((FIXTURES / "cross_account.json").read_text()), indent="\t"))
    report = scan([path])
    assert report.errors == () and [v.line for v in report.violations] == [14, 14, 14, 14, 32]


def test_a_duplicate_logical_id_is_iamg_002_on_the_resource(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    role = ("  R:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n"
            "        Version: '2012-10-17'\n        Statement:\n          - {Effect: Allow, Action: sts:AssumeRole, "
            "Principal: {Service: ec2.amazonaws.com}}\n")
    path.write_text("Resources:\n" + role + role)
    assert _found(scan([path])) == [("IAMG-002", "R", "$.Resources.R", 9)]


def test_no_yaml_tag_constructs_an_object(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "t.yaml"
    path.write_text(f"Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n"
                    f"      RoleName: !!python/object/apply:os.system ['touch {marker}']\n")
    report = scan([path])
    assert [e.message for e in report.errors] == ["unsupported YAML tag tag:yaml.org,2002:python/object/apply:os.system at line 5"]
    assert not marker.exists()


def test_a_tool_specific_include_loads_and_what_depends_on_it_is_unresolved(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n"
                    "        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n"
                    "            Action: sts:AssumeRole\n            Principal:\n              AWS: !Include account.yml\n")
    assert _found(scan([path])) == [
        ("IAMG-001", "R", "$.Resources.R.Properties.AssumeRolePolicyDocument.Statement[0].Principal.AWS", 11)]


def test_a_rule_function_reaching_a_policy_is_unresolved(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n"
                    "        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n"
                    "            Action: sts:AssumeRole\n            Principal:\n"
                    "              AWS: !ValueOf [Partner, Account]\n")
    assert _found(scan([path])) == [
        ("IAMG-001", "R", "$.Resources.R.Properties.AssumeRolePolicyDocument.Statement[0].Principal.AWS", 11)]


# --- Fn::ForEach ---------------------------------------------------------------------------------------------


LOOP = "['Fn::ForEach::{}'][2]['{}']"
PARTNER = LOOP.format("Partners", "PartnerRole${Account}")
VENDOR = LOOP.format("Vendors", "VendorRole&{Vendor}")
TEAM = "['Fn::ForEach::Teams'][2]" + LOOP.format("Accounts", "${Team}Role${Account}")
STATEMENT = ".Properties.AssumeRolePolicyDocument.Statement[0].Principal.AWS"
FOR_EACH: Expected = [
    # ${Account} in the logical id and in Fn::Sub; each generated role is judged on its own.
    ("IAMG-102", "PartnerRole111122223333", PARTNER + STATEMENT, 22, 31),
    ("IAMG-102", "PartnerRole444455556666", PARTNER + STATEMENT, 22, 31),
    ("IAMG-105", "PartnerRole111122223333", PARTNER + STATEMENT, 22, 31),
    ("IAMG-105", "PartnerRole444455556666", PARTNER + STATEMENT, 22, 31),
    # The policy the loop generates beside each role reaches it (Ref: !Sub PartnerRole${Account}).
    ("IAMG-301", "PartnerRole111122223333", LOOP.format("Partners", "PartnerPolicy&{Account}") + ".Properties.Roles[0]", 34, 58),
    ("IAMG-301", "PartnerRole444455556666", LOOP.format("Partners", "PartnerPolicy&{Account}") + ".Properties.Roles[0]", 34, 58),
    ("IAMG-304", "PartnerRole111122223333", LOOP.format("Partners", "PartnerPolicy&{Account}") + ".Properties.Roles[0]", 34, 58),
    ("IAMG-304", "PartnerRole444455556666", LOOP.format("Partners", "PartnerPolicy&{Account}") + ".Properties.Roles[0]", 34, 58),
    # Each generated admin policy also allows assuming every role (Amendments, IAMG-304).
    ("IAMG-304", "PartnerPolicy111122223333", LOOP.format("Partners", "PartnerPolicy&{Account}") + ".Properties.PolicyDocument.Statement[0].Resource", 40, 70),
    ("IAMG-304", "PartnerPolicy444455556666", LOOP.format("Partners", "PartnerPolicy&{Account}") + ".Properties.PolicyDocument.Statement[0].Resource", 40, 70),
    # &{Vendor}: the item without its non-alphanumeric characters; Ref: Vendor is the item.
    ("IAMG-101", "VendorRole", VENDOR + STATEMENT, 52, 94),
    ("IAMG-102", "VendorRolearnawsiam777788889999roleacmesync", VENDOR + STATEMENT, 52, 94),
    ("IAMG-103", "VendorRolearnawsiam777788889999roleacmesync", VENDOR + STATEMENT, 52, 94),
    # Nested loops, the outer over a list parameter's default.
    ("IAMG-102", "auditRole444455556666", TEAM + STATEMENT, 69, 130),
    ("IAMG-102", "opsRole444455556666", TEAM + STATEMENT, 69, 130),
    # A collection not known statically: the roles the loop generates are unknown.
    ("IAMG-001", "Fn::ForEach::Later", "['Fn::ForEach::Later']", 76, 152),
]


@pytest.mark.parametrize("form", FORMS)
def test_fn_for_each_generates_resources_scanned_at_the_loop_body(form: str) -> None:
    report = _scan(f"for_each.{form}")
    assert report.errors == ()
    # Paths under $.Resources['Fn::ForEach::...'], the loop's nodes in the file.
    assert sorted(_found(report), key=lambda r: (r[3] or 0, r[0], r[1])) == [
        (rule, resource, "$.Resources" + path, yaml_line if form == "yaml" else json_line)
        for rule, resource, path, yaml_line, json_line in FOR_EACH]
    messages = _messages(report)
    assert messages[("IAMG-102", "opsRole444455556666")] == [
        "Statement 1 trusts 'arn:aws:iam::444455556666:role/ops' (written !Sub 'arn:aws:iam::${Account}:role/${Team}') "
        "of account 444455556666, which is neither one of your accounts (the role's own, own_accounts, "
        "internal_accounts) nor in trusted_accounts (account of the role unknown: set own_accounts) "
        "(assuming the default of parameter Teams = 'ops, audit')"]
    assert messages[("IAMG-001", "Fn::ForEach::Later")] == [
        "The trust policy 'Fn::ForEach::Later' cannot be known before deployment, so who may assume the role could "
        "not be verified; review the deployed value (its collection ${Unknown} is not known statically: "
        "a parameter without a default)"]


def test_a_loop_only_template_is_a_template_and_metadata_in_the_body_suppresses(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "Resources:\n  Fn::ForEach::Roles:\n    - Name\n    - [a, b]\n    - ${Name}Role:\n"
        "        Type: AWS::IAM::Role\n        Metadata:\n          pyiamguard:\n            ignore:\n"
        "              - {rule: IAMG-105, reason: partner roots are reviewed}\n        Properties:\n"
        "          AssumeRolePolicyDocument:\n            Version: '2012-10-17'\n            Statement:\n"
        "              - Effect: Allow\n                Action: sts:AssumeRole\n"
        "                Principal: {AWS: !Sub 'arn:aws:iam::444455556666:root'}\n"
        "                Condition: {StringEquals: {sts:ExternalId: !Ref Name}, Bool: {aws:MultiFactorAuthPresent: 'true'}}\n")
    report = scan([path])
    principal = "$.Resources['Fn::ForEach::Roles'][2]['${Name}Role']" + STATEMENT
    assert report.errors == ()
    assert _found(report) == [("IAMG-102", "aRole", principal, 17), ("IAMG-102", "bRole", principal, 17)]
    assert [(v.rule_id, v.resource, v.suppression) for v in report.suppressed] == [
        ("IAMG-105", "aRole", "partner roots are reviewed"), ("IAMG-105", "bRole", "partner roots are reviewed")]


def test_a_role_without_a_trust_policy_is_invalid(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("Resources:\n  R:\n    Type: AWS::IAM::Role\n")
    assert _found(scan([path])) == [("IAMG-002", "R", "$.Resources.R.Properties.AssumeRolePolicyDocument", 2)]


# --- suppressions in the template ----------------------------------------------------------------------------


@pytest.mark.parametrize(("form", "line", "entry_line"), [("yaml", 18, 11), ("json", 27, 14)])
def test_metadata_suppresses_a_rule_on_its_resource_with_a_reason(form: str, line: int, entry_line: int) -> None:
    report = _scan(f"suppressions.{form}")
    principal = "$.Resources." + TRUST.format("PartnerRole") + ".Principal.AWS"
    assert [(v.rule_id, v.resource, v.path, v.line, v.suppression) for v in report.suppressed] == [
        ("IAMG-103", "PartnerRole", principal, line,
         "The partner's SAML federation cannot pass an ExternalId; reviewed quarterly.")]
    assert [(v.rule_id, v.resource) for v in report.violations] == [
        ("IAMG-102", "PartnerRole"), ("IAMG-104", "PartnerRole"), ("IAMG-105", "PartnerRole"),
        ("IAMG-102", "OtherRole"), ("IAMG-103", "OtherRole"), ("IAMG-104", "OtherRole"), ("IAMG-105", "OtherRole")]
    # Without a reason, nothing is suppressed, and that is an error.
    assert [e.message for e in report.errors] == [
        f"PartnerRole: the suppression of IAMG-104 at line {entry_line} needs a reason; it suppresses nothing"]
    rendered = json.loads(render(report, tool_version="0"))
    assert list(rendered) == ["schema_version", "tool", "violations", "errors", "suppressed", "scanned_files", "skipped_files", "summary"]
    assert rendered["suppressed"][0]["reason"] == report.suppressed[0].suppression


def test_a_suppression_of_an_unknown_rule_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("Resources:\n  R:\n    Type: AWS::IAM::Role\n    Metadata:\n      pyiamguard:\n        ignore:\n"
                    "          - {rule: IAMG-999, reason: typo}\n          - {rule: any, reason: x}\n"
                    "  P:\n    Type: AWS::IAM::Policy\n    Metadata:\n      pyiamguard: [IAMG-103]\n")
    assert [e.message for e in scan([path]).errors] == [
        "P: Metadata.pyiamguard (line 12) must be a mapping with an `ignore` list of {rule, reason}",
        "R: the suppression at line 7 names IAMG-999, which is not a rule; it suppresses nothing",
        "R: the suppression at line 8 needs a rule id like IAMG-103; it suppresses nothing",
    ]


def test_suppressed_findings_merge_and_do_not_fail_the_scan() -> None:
    report = _scan("suppressions.yaml").merge(Report())
    assert len(report.suppressed) == 1
    assert all(v.rule_id != "IAMG-103" or v.resource != "PartnerRole" for v in report.violations)


# --- the corpus ---------------------------------------------------------------------------------------------------


def test_every_template_of_the_corpus_scans_without_error(shared_dir: Path) -> None:
    report = scan([shared_dir / "corpus" / "cloudformation"])
    assert report.errors == ()
    assert len(report.scanned_files) == len(list((shared_dir / "corpus" / "cloudformation").iterdir()))


def test_a_no_echo_value_is_never_quoted_but_the_rest_of_the_document_is(tmp_path: Path) -> None:
    template = tmp_path / "vendor.yaml"
    template.write_text("""\
Parameters:
  VendorAccount:
    Type: String
    NoEcho: true
    Default: "444455556666"
Resources:
  VendorRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              AWS:
                - !Sub arn:aws:iam::${VendorAccount}:role/collector
                - arn:aws:iam::555566667777:role/auditor
            Action: sts:AssumeRole
""", encoding="utf-8")
    report = scan([template])
    messages = {(v.rule_id, v.line): v.message for v in report.violations}
    assert sorted(messages) == [("IAMG-102", 16), ("IAMG-102", 17), ("IAMG-103", 16), ("IAMG-103", 17)]
    assert all("444455556666" not in m for m in messages.values())
    assert messages[("IAMG-102", 16)].startswith("Statement 1 trusts '(sensitive value)'")
    assert messages[("IAMG-102", 17)].startswith("Statement 1 trusts 'arn:aws:iam::555566667777:role/auditor'")


# --- the resource section (what custom rules read: kind, address, name, path, tags) -------------------------

FACTS_TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Parameters:
  Team: {Type: String, Default: platform}
  Owner: {Type: String}
  Env: {Type: String, AllowedValues: [dev, prod]}
  Token: {Type: String, NoEcho: true, Default: s3cret}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Globals:
  Function:
    RolePath: /lambda/
    Tags: {Shared: "yes", Team: global}
Resources:
  Deployer:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Sub "${Team}-deployer"
      Path: /ci/
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: read
          PolicyDocument:
            Statement: [{Effect: Allow, Action: s3:GetObject, Resource: "*"}]
      Tags:
        - {Key: Team, Value: !Ref Team}
        - {Key: Owner, Value: !Ref Owner}
        - {Key: Stage, Value: !If [IsProd, production, development]}
        - {Key: Region, Value: !Ref AWS::Region}
        - {Key: Role, Value: !GetAtt Generated.Arn}
        - {Key: Token, Value: !Ref Token}
        - {Key: Équipe, Value: "Données \\"clés\\""}
        - !Ref AWS::NoValue
  Generated:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: sts:AssumeRole}]
      Tags: !Ref Owner
  Handler:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.handler
      Runtime: python3.12
      Tags: {Team: api}
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      RolePath: /sfn/
      Policies: [{Statement: [{Effect: Allow, Action: lambda:InvokeFunction, Resource: "*"}]}]
  Shared:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Statement: [{Effect: Allow, Action: s3:GetObject, Resource: "*"}]
  Attached:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: attached
      Roles: [!Ref Generated]
      PolicyDocument:
        Statement: [{Effect: Allow, Action: s3:GetObject, Resource: "*"}]
  Alice:
    Type: AWS::IAM::User
    Properties:
      UserName: alice
      Tags: [{Key: Team, Value: data}]
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement: [{Effect: Allow, Action: s3:GetObject, Resource: "*"}]
"""


def _resource_sections(source: Any, own_accounts: tuple[str, ...] = ()) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """(logical id, variant) -> the `resource` section of each of its documents."""
    from pyiamguard.normalize.policy import normalize_policy

    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for policy in cloudformation_sources(source, own_accounts):
        section = normalize_policy(policy.document, kind=policy.kind, base=policy.base, role=policy.role,
                                   resource=policy.facts).engine_input["resource"]
        out.setdefault((policy.resource, policy.variant), []).append(section)
    return out


def _one(sections: dict[tuple[str, str], list[dict[str, Any]]], logical_id: str) -> dict[str, Any]:
    found = [s for (resource, _), documents in sections.items() if resource == logical_id for s in documents]
    assert found and all(s == found[0] for s in found), found  # every document of the resource: the same
    return found[0]


def test_a_templates_role_has_its_type_logical_id_name_path_and_tags() -> None:
    from pyiamguard.normalize.values import engine_token

    section = _one(_resource_sections(load_yaml("t.yaml", FACTS_TEMPLATE)), "Deployer")
    # A parameter with a default is taken at it (as everywhere); one without, an undecided
    # condition, a pseudo parameter, an ARN and a NoEcho value are not known statically.
    assert section == {
        "format": "cloudformation", "kind": "AWS::IAM::Role", "address": "Deployer", "name": "platform-deployer",
        "path": "/ci/", "tags": {"Team": "platform", "Owner": "", "Stage": "", "Region": "", "Role": "", "Token": "",
                                 engine_token("Équipe"): engine_token('Données "clés"')},
        "unresolved": ["tags.Owner", "tags.Region", "tags.Role", "tags.Stage", "tags.Token"]}
    assert "s3cret" not in json.dumps(section) and "Données" not in json.dumps(section, ensure_ascii=False)


def test_the_role_and_its_inline_policy_have_the_same_facts() -> None:
    sections = _resource_sections(load_yaml("t.yaml", FACTS_TEMPLATE))
    assert len(sections[("Deployer", "")]) == 2  # the trust policy and the inline policy
    assert sections[("Deployer", "")][0] == sections[("Deployer", "")][1]


def test_a_role_without_role_name_has_a_generated_name_and_tags_from_an_unknown_parameter() -> None:
    assert _one(_resource_sections(load_yaml("t.yaml", FACTS_TEMPLATE)), "Generated") == {
        "format": "cloudformation", "kind": "AWS::IAM::Role", "address": "Generated", "name": "", "path": "/",
        "tags": {}, "unresolved": ["name", "tags"]}


def test_sam_functions_and_state_machines_describe_the_role_sam_generates() -> None:
    sections = _resource_sections(load_yaml("t.yaml", FACTS_TEMPLATE))
    # SAM tags the role with the function's tags over those of Globals, and its own tag.
    assert _one(sections, "Handler") == {
        "format": "cloudformation", "kind": "AWS::Serverless::Function", "address": "Handler", "name": "",
        "path": "/lambda/", "tags": {"Shared": "yes", "Team": "api", "lambda:createdBy": "SAM"},
        "unresolved": ["name"]}
    assert _one(sections, "Machine") == {
        "format": "cloudformation", "kind": "AWS::Serverless::StateMachine", "address": "Machine", "name": "",
        "path": "/sfn/", "tags": {"stateMachine:createdBy": "SAM"}, "unresolved": ["name"]}


def test_policies_and_users_of_a_template_have_their_own_facts() -> None:
    sections = _resource_sections(load_yaml("t.yaml", FACTS_TEMPLATE))
    facts = {r: (s["kind"], s["name"], s["path"], s["tags"], s["unresolved"])
             for r in ("Shared", "Attached", "Alice") for s in [_one(sections, r)]}
    assert facts == {
        "Shared": ("AWS::IAM::ManagedPolicy", "", "/", {}, ["name"]),
        "Attached": ("AWS::IAM::Policy", "attached", "", {}, []),
        "Alice": ("AWS::IAM::User", "alice", "/", {"Team": "data"}, []),
    }


def test_json_long_forms_give_the_same_facts_as_yaml_short_tags() -> None:
    from pyiamguard.loaders.json_source import load_json

    tree = load_yaml("t.yaml", FACTS_TEMPLATE).root
    assert _resource_sections(load_json("t.json", json.dumps(tree))) == _resource_sections(
        load_yaml("t.yaml", FACTS_TEMPLATE))


def test_facts_follow_each_variant_and_never_add_one() -> None:
    template = """\
Parameters:
  Env: {Type: String, AllowedValues: [dev, prod]}
  Tier: {Type: String, AllowedValues: [gold, silver]}
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Sub "${Env}-deployer"
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: sts:AssumeRole}]
      Tags: [{Key: Env, Value: !Ref Env}, {Key: Tier, Value: !Ref Tier}]
"""
    sections = _resource_sections(load_yaml("t.yaml", template))
    # RoleName makes the variants (the resource's ARN is read per variant); Tier is chosen by
    # no variant, so its tag is unknown in each and makes no variant of its own.
    assert {variant: (s[0]["name"], s[0]["tags"], s[0]["unresolved"]) for (_, variant), s in sections.items()} == {
        "parameter Env = 'dev'": ("dev-deployer", {"Env": "dev", "Tier": ""}, ["tags.Tier"]),
        "parameter Env = 'prod'": ("prod-deployer", {"Env": "prod", "Tier": ""}, ["tags.Tier"]),
    }


def test_a_configured_own_account_is_a_known_value_of_a_tag() -> None:
    template = """\
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: sts:AssumeRole}]
      Path: !Sub "/${AWS::StackName}/"
      Tags: [{Key: Account, Value: !Ref AWS::AccountId}]
"""
    known = _one(_resource_sections(load_yaml("t.yaml", template), ("111122223333",)), "Role")
    assert (known["path"], known["tags"], known["unresolved"]) == ("", {"Account": "111122223333"}, ["name", "path"])
    unknown = _one(_resource_sections(load_yaml("t.yaml", template)), "Role")
    assert (unknown["tags"], unknown["unresolved"]) == ({"Account": ""}, ["name", "path", "tags.Account"])


def test_roles_a_loop_may_generate_have_unknown_facts() -> None:
    template = """\
Transform: AWS::LanguageExtensions
Parameters:
  Names: {Type: CommaDelimitedList}
Resources:
  Fn::ForEach::Roles:
    - Name
    - !Ref Names
    - Role${Name}:
        Type: AWS::IAM::Role
        Properties:
          RoleName: !Ref Name
          AssumeRolePolicyDocument:
            Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: sts:AssumeRole}]
"""
    assert _one(_resource_sections(load_yaml("t.yaml", template)), "Fn::ForEach::Roles") == {
        "format": "cloudformation", "kind": "AWS::IAM::Role", "address": "Fn::ForEach::Roles", "name": "", "path": "",
        "tags": {}, "unresolved": ["name", "path", "tags"]}
    expanded = template.replace("{Type: CommaDelimitedList}", "{Type: CommaDelimitedList, Default: 'a,b'}")
    sections = _resource_sections(load_yaml("t.yaml", expanded))
    assert [(_one(sections, r)["name"], _one(sections, r)["address"]) for r in ("Rolea", "Roleb")] == [
        ("a", "Rolea"), ("b", "Roleb")]
