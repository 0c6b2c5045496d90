"""Messages say exactly what is known (the issue "Messages that say exactly what is known").

Each test scans a small template of tests/fixtures/messages/ and pins the whole sentence a
reviewer reads: the stack's own account is named as such, an account that comes from a
parameter without default is said to be unknown, a note names only the parameter defaults
that reached the finding, a value an intrinsic produced is shown as written, and the
variants a finding holds in are said in the fewest words.
"""
from __future__ import annotations

from pathlib import Path

from pyiamguard import scan
from pyiamguard.config import config_from_mapping
from pyiamguard.scanner import _fewest_terms

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "messages"


def _messages(name: str, **config: object) -> dict[tuple[str, int], str]:
    report = scan([FIXTURES / name], config_from_mapping(dict(config)))
    assert report.errors == ()
    return {(v.rule_id, v.line): v.message for v in report.violations}


def test_the_stacks_own_account_is_named_never_quoted_as_a_token() -> None:
    messages = _messages("defaults_and_stack_account.yaml")
    assert messages[("IAMG-105", 18)] == (
        "Statement 2 trusts this stack's own account (AWS::AccountId) as a whole, "
        "'arn:aws:iam::${AWS::AccountId}:root', so any identity that account allows can assume the role, and no "
        "aws:PrincipalArn condition narrows it to named roles or users")
    assert not any("000000000000" in m for m in messages.values())


def test_with_one_configured_own_account_the_stack_account_is_that_account() -> None:
    messages = _messages("defaults_and_stack_account.yaml", own_accounts=["111122223333"])
    assert messages[("IAMG-105", 18)].startswith(
        "Statement 2 trusts the whole account 111122223333, 'arn:aws:iam::111122223333:root', so")


def test_a_note_names_only_the_parameters_that_reached_the_finding() -> None:
    messages = _messages("defaults_and_stack_account.yaml")
    # WorkGroup (an Athena resource) and RoleName (the role's own name) reach no trust node.
    assert messages[("IAMG-103", 15)] == (
        "Statement 1 (Sid 'Vendor') lets 'arn:aws:iam::999988887777:root' (written !Sub "
        "'arn:aws:iam::${VendorAccount}:root') of account 999988887777 call sts:AssumeRole without a restricting "
        "sts:ExternalId condition (assuming the default of parameter VendorAccount = '999988887777')")
    assert not any("WorkGroup" in m or "RoleName" in m for m in messages.values())


def test_an_account_from_a_parameter_without_default_is_unknown_and_the_assumption_said() -> None:
    messages = _messages("unknown_accounts.yaml")
    assert messages[("IAMG-105", 16)] == (
        "Statement 1 trusts a whole account, 'arn:aws:iam::${TrustedAccount}:root' (its account, from "
        "TrustedAccount, cannot be known before deployment), so any identity that account allows can assume the "
        "role, and no aws:PrincipalArn condition narrows it to named roles or users")
    assert messages[("IAMG-001", 16)] == (
        "The principal 'arn:aws:iam::${TrustedAccount}:root' cannot be known before deployment, so who may assume "
        "the role could not be verified; review the deployed value")
    # A boundary that decides nothing (a Lambda role without admin rights) is not reported.
    assert ("IAMG-001", 35) not in messages


def test_cross_account_messages_of_an_unknown_account_say_what_they_assume() -> None:
    report = scan([FIXTURES / "unknown_accounts.yaml"], config_from_mapping({"require_mfa": "all"}))
    mfa = [v.message for v in report.violations if v.rule_id == "IAMG-104" and v.resource == "VendorRole"]
    assert mfa == [
        "Statement 1 lets 'arn:aws:iam::${TrustedAccount}:root' (its account, from TrustedAccount, cannot be known "
        "before deployment; this finding assumes it is not one of yours) assume the role without MFA "
        "(Bool aws:MultiFactorAuthPresent true) (account of the role unknown: set own_accounts)"]


def test_variants_are_said_in_the_fewest_words() -> None:
    report = scan([FIXTURES / "variants.yaml"])
    # Each finding holds whatever Collect is: only the choice of Site matters.
    assert sorted((v.rule_id, v.column, v.message.rsplit(" (when ", 1)[1]) for v in report.violations) == [
        ("IAMG-102", 32, "parameter Site = 'gov')"), ("IAMG-102", 73, "parameter Site = 'us')"),
        ("IAMG-105", 32, "parameter Site = 'gov')"), ("IAMG-105", 73, "parameter Site = 'us')")]
    assert not any("Collect" in v.message for v in report.violations)


def test_fewest_terms_leaves_out_a_choice_whose_every_value_has_the_finding() -> None:
    gov, us = ("condition IsGov", "is true"), ("condition IsGov", "is false")
    on, off = ("parameter Collect", "= 'true'"), ("parameter Collect", "= 'false'")
    every = [(gov, on), (gov, off), (us, on), (us, off)]
    assert _fewest_terms([(us, on), (us, off)], every) == [(us,)]
    assert _fewest_terms([(us, on), (gov, off), (us, off)], every) == [(us,), (off,)]
    assert _fewest_terms([(us, on)], every) == [(us, on)]


def test_admin_on_a_role_of_an_unknown_partner_says_what_it_assumes(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("""\
Parameters:
  AdministratorAccountId: {Type: String}
Resources:
  AccessRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {AWS: !Ref AdministratorAccountId}
            Action: sts:AssumeRole
      ManagedPolicyArns: [arn:aws:iam::aws:policy/AdministratorAccess]
""")
    (admin,) = [v.message for v in scan([path]).violations if v.rule_id == "IAMG-301"]
    assert admin == (
        "The role grants admin-equivalent permissions through the managed policy "
        "'arn:aws:iam::aws:policy/AdministratorAccess', and '${AdministratorAccountId}' (written !Ref "
        "AdministratorAccountId) (its account, from AdministratorAccountId, cannot be known before deployment; this "
        "finding assumes it is not one of yours) may assume it")


def test_assume_any_role_names_the_resource_and_an_oidc_finding_its_provider_s_users(tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", '
                      '"Resource": "arn:aws:iam::222222222222:role/*"}]}')
    (grant,) = scan([policy]).violations
    assert grant.message == ("Statement 1 allows assuming every role of an account (arn:aws:iam::222222222222:role/*): "
                             "the holder can assume any role that trusts its account")
    trust = tmp_path / "trust.json"
    trust.write_text('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": '
                     '"sts:AssumeRoleWithWebIdentity", "Principal": {"Federated": "www.amazon.com"}}]}')
    messages = [v.message for v in scan([trust]).violations if v.rule_id == "IAMG-201"]
    assert messages == ["Statement 1 lets identities of the OIDC provider 'www.amazon.com' assume the role without a "
                        "restricting condition on www.amazon.com:user_id: any of its users can assume it"]


def test_a_plan_value_from_an_input_variable_says_so(tmp_path: Path) -> None:
    # The plan holds resolved values only; its `variables` say which input produced one (the
    # interpolation `arn:aws:iam::${var.vendor_account}:role/cloudability`). A short value
    # ("prod") is never matched by chance.
    import json

    plan = json.loads((FIXTURES.parent / "rules_by_kind" / "terraform" /
                       "iamg_103_violating_vendor_without_external_id.json").read_text())
    plan["variables"] = {"vendor_account": {"value": "444455556666"}, "env": {"value": "prod"}}
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan, indent=2))
    messages = [v.message for v in scan([path]).violations if v.rule_id == "IAMG-103"]
    assert messages == [
        "Statement 2 (Sid 'Vendor') lets 'arn:aws:iam::444455556666:role/cloudability' (from var.vendor_account) of "
        "account 444455556666 call sts:AssumeRole without a restricting sts:ExternalId condition"]


def test_a_json_template_shows_an_intrinsic_in_its_long_form(tmp_path: Path) -> None:
    import json

    path = tmp_path / "t.json"
    path.write_text(json.dumps({"Parameters": {"Partner": {"Type": "String", "Default": "444455556666"}},
                                "Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {
                                    "Version": "2012-10-17", "Statement": [{
                                        "Effect": "Allow", "Action": "sts:AssumeRole",
                                        "Principal": {"AWS": {"Fn::Sub": "arn:aws:iam::${Partner}:role/sync"}}}]}}}}},
                               indent=2))
    (untrusted,) = [v.message for v in scan([path]).violations if v.rule_id == "IAMG-102"]
    assert untrusted.startswith("Statement 1 trusts 'arn:aws:iam::444455556666:role/sync' (written "
                                '{"Fn::Sub": "arn:aws:iam::${Partner}:role/sync"}) of account 444455556666')


def test_a_dump_names_the_statement_principal_and_policy_where_it_reaches_the_role(tmp_path: Path) -> None:
    import json

    role = {"RoleName": "vendor", "Arn": "arn:aws:iam::111122223333:role/vendor", "AssumeRolePolicyDocument": {
        "Version": "2012-10-17", "Statement": [{"Sid": "Vendor", "Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"AWS": "arn:aws:iam::444455556666:role/sync"}}]},
        "RolePolicyList": [], "AttachedManagedPolicies": [
            {"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}]}
    path = tmp_path / "dump.json"
    path.write_text(json.dumps({"RoleDetailList": [role], "UserDetailList": [], "GroupDetailList": [],
                                "Policies": []}, indent=2))
    found = {v.rule_id: (v.path, v.message) for v in scan([path]).violations}
    assert found["IAMG-103"] == (
        "$.RoleDetailList[0].AssumeRolePolicyDocument.Statement[0].Principal.AWS",
        "Statement 1 (Sid 'Vendor') lets 'arn:aws:iam::444455556666:role/sync' of account 444455556666 call "
        "sts:AssumeRole without a restricting sts:ExternalId condition")
    assert found["IAMG-301"] == (
        "$.RoleDetailList[0].AttachedManagedPolicies[0].PolicyArn",
        "The role grants admin-equivalent permissions through the managed policy "
        "'arn:aws:iam::aws:policy/AdministratorAccess', and 'arn:aws:iam::444455556666:role/sync', from outside your "
        "accounts, may assume it")
