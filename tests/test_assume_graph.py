"""IAMG-501 across the documents of one scan: both sides of an assume, in any files and kinds.

The rule's own verdicts are in policies/pyiamguard/rules/iamg_501 (Rego tests) and in
tests/policies/test_engines_agree.py; here the scan pairs the right callers and roles across
files, accounts and input kinds, and the findings point at the right node.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pyiamguard import Config, scan
from pyiamguard.config import config_from_mapping

A = "111122223333"
B = "444455556666"


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _assume(resource: Any, sid: str = "") -> dict[str, Any]:
    statement = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": resource}
    return {"Sid": sid, **statement} if sid else statement


def _trusts(principal: dict[str, Any]) -> dict[str, Any]:
    return _policy({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})


def _dump_role(name: str, account: str, trust: dict[str, Any], *inline: dict[str, Any],
               managed: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "RoleName": name, "Arn": f"arn:aws:iam::{account}:role/{name}", "AssumeRolePolicyDocument": trust,
        "RolePolicyList": [{"PolicyName": f"{name}-{i}", "PolicyDocument": doc} for i, doc in enumerate(inline)],
        "AttachedManagedPolicies": [{"PolicyName": arn.rsplit("/", 1)[-1], "PolicyArn": arn} for arn in managed],
    }


def _dump(path: Path, *roles: dict[str, Any]) -> Path:
    path.write_text(json.dumps({"RoleDetailList": list(roles), "UserDetailList": [], "GroupDetailList": [],
                                "Policies": []}, indent=2), encoding="utf-8")
    return path


def _line_of(path: Path, needle: str, after: str = "") -> int:
    """The 1-based line of the first `needle` after the first `after`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    return next(i for i, line in enumerate(lines) if i >= start and needle in line) + 1


def _found(report: Any) -> set[tuple[str, str, str, int]]:
    assert report.errors == ()
    return {(v.resource, Path(v.file).name, v.path, v.line) for v in report.violations if v.rule_id == "IAMG-501"}


SERVICE = {"Service": "codebuild.amazonaws.com"}


def test_both_directions_across_two_account_dumps(tmp_path: Path) -> None:
    caller = _dump(tmp_path / "account_a.json",
                   _dump_role("ci-runner", A, _trusts(SERVICE), _policy(_assume(f"arn:aws:iam::{B}:role/deployer"))),
                   _dump_role("auditor", A, _trusts(SERVICE), _policy({"Effect": "Allow", "Action": "s3:GetObject",
                                                                         "Resource": "*"})))
    target = _dump(tmp_path / "account_b.json", _dump_role("deployer", B, _trusts({"AWS": f"arn:aws:iam::{A}:role/auditor"})))
    report = scan([tmp_path])
    assert _found(report) == {
        # ci-runner may call AssumeRole, but deployer trusts only the auditor.
        ("ci-runner", "account_a.json", "$.RoleDetailList[0].RolePolicyList[0].PolicyDocument.Statement[0].Resource",
         _line_of(caller, '"Resource": "arn:aws:iam::444455556666:role/deployer"')),
        # deployer trusts the auditor of account A, whose only policy cannot assume it.
        ("deployer", "account_b.json", "$.RoleDetailList[0].AssumeRolePolicyDocument.Statement[0].Principal.AWS",
         _line_of(target, f'"AWS": "arn:aws:iam::{A}:role/auditor"')),
    }
    messages = {v.resource: v.message for v in report.violations if v.rule_id == "IAMG-501"}
    assert "trust policy of role deployer (" in messages["ci-runner"] and "account_b.json)" in messages["ci-runner"]
    assert f"add arn:aws:iam::{A}:role/ci-runner (or its account {A}) as a Principal" in messages["ci-runner"]
    assert f"no policy of role auditor ({tmp_path / 'account_a.json'}) allows sts:AssumeRole on " \
           f"arn:aws:iam::{B}:role/deployer" in messages["deployer"]


def test_each_file_alone_is_clean(tmp_path: Path) -> None:
    _dump(tmp_path / "account_a.json",
          _dump_role("ci-runner", A, _trusts(SERVICE), _policy(_assume(f"arn:aws:iam::{B}:role/deployer"))))
    _dump(tmp_path / "account_b.json", _dump_role("deployer", B, _trusts(SERVICE)))
    assert _found(scan([tmp_path / "account_a.json"])) == set()
    assert _found(scan([tmp_path / "account_b.json"])) == set()
    assert {r for r, *_ in _found(scan([tmp_path]))} == {"ci-runner"}


def test_agreeing_sides_and_unknown_permissions_are_quiet(tmp_path: Path) -> None:
    _dump(tmp_path / "account_a.json",
          _dump_role("ci-runner", A, _trusts(SERVICE), _policy(_assume(f"arn:aws:iam::{B}:role/deployer"))),
          # An AWS-managed policy may allow it: unknown is not absent.
          _dump_role("admin", A, _trusts(SERVICE), managed=("arn:aws:iam::aws:policy/PowerUserAccess",)))
    _dump(tmp_path / "account_b.json",
          _dump_role("deployer", B, _trusts({"AWS": [f"arn:aws:iam::{A}:role/ci-runner", f"arn:aws:iam::{A}:role/admin"]})))
    assert _found(scan([tmp_path])) == set()


def test_disabled_rule_reports_nothing(tmp_path: Path) -> None:
    _dump(tmp_path / "a.json",
          _dump_role("ci-runner", A, _trusts(SERVICE), _policy(_assume(f"arn:aws:iam::{A}:role/deployer"))),
          _dump_role("deployer", A, _trusts(SERVICE)))
    assert {r for r, *_ in _found(scan([tmp_path]))} == {"ci-runner"}
    assert _found(scan([tmp_path], Config(disabled_rules=("IAMG-501",)))) == set()


def _plan(path: Path, roles: list[dict[str, Any]], caller_account: str | None = A) -> Path:
    """A `terraform show -json` plan of aws_iam_role resources (name, trust, inline policies;
    `arn` for an existing role) under the default provider, whose caller identity is known."""
    changes, config = [], []
    for role in roles:
        after: dict[str, Any] = {"name": role["name"], "path": "/", "assume_role_policy": json.dumps(role["trust"]),
                                 "inline_policy": [{"name": f"p{i}", "policy": json.dumps(doc)}
                                                   for i, doc in enumerate(role.get("inline", []))]}
        unknown: dict[str, Any] = {"id": True, "unique_id": True}
        if "arn" in role:
            after["arn"] = role["arn"]
        else:
            unknown["arn"] = True
        address = f"aws_iam_role.{role['name'].replace('-', '_')}"
        changes.append({"address": address, "mode": "managed", "type": "aws_iam_role", "name": address.split(".")[1],
                        "provider_name": "registry.terraform.io/hashicorp/aws",
                        "change": {"actions": ["create"], "before": None, "after": after, "after_unknown": unknown}})
        config.append({"address": address, "mode": "managed", "type": "aws_iam_role", "name": address.split(".")[1],
                       "provider_config_key": "aws",
                       "expressions": {"assume_role_policy": {}, "name": {"constant_value": role["name"]},
                                       "inline_policy": [{}]}})
    caller = [] if caller_account is None else [{
        "address": "data.aws_caller_identity.current", "mode": "data", "type": "aws_caller_identity",
        "name": "current", "provider_name": "registry.terraform.io/hashicorp/aws",
        "values": {"account_id": caller_account, "id": caller_account}, "sensitive_values": {}}]
    plan = {
        "format_version": "1.2", "terraform_version": "1.9.5", "resource_changes": changes,
        "prior_state": {"values": {"root_module": {"resources": caller}}},
        "configuration": {"provider_config": {"aws": {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws"}},
                          "root_module": {"resources": config}},
    }
    path.write_text(json.dumps(plan, indent=2), encoding="utf-8")
    return path


def test_terraform_role_pairs_with_a_role_of_an_account_dump(tmp_path: Path) -> None:
    # The plan creates ci-runner in account A (its ARN built from name and caller identity)
    # and grants it AssumeRole on B's deployer, which trusts another role of A by name.
    plan = _plan(tmp_path / "plan.json", [{"name": "ci-runner", "trust": _trusts(SERVICE),
                                           "inline": [_policy(_assume(f"arn:aws:iam::{B}:role/deployer"))]}])
    _dump(tmp_path / "account_b.json", _dump_role("deployer", B, _trusts({"AWS": f"arn:aws:iam::{A}:role/ci"})))
    assert _found(scan([tmp_path])) == {
        ("aws_iam_role.ci_runner", "plan.json", "$.resource_changes[0].change.after.inline_policy[0].policy.Statement[0].Resource",
         _line_of(plan, '"policy": ')),
    }


def test_terraform_trust_naming_a_caller_without_permission(tmp_path: Path) -> None:
    plan = _plan(tmp_path / "plan.json", [
        {"name": "deployer", "trust": _trusts({"AWS": f"arn:aws:iam::{B}:role/pipeline"})},
    ])
    _dump(tmp_path / "account_b.json", _dump_role("pipeline", B, _trusts(SERVICE),
                                                  _policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})))
    assert _found(scan([tmp_path])) == {
        ("aws_iam_role.deployer", "plan.json", "$.resource_changes[0].change.after.assume_role_policy.Statement[0].Principal.AWS",
         _line_of(plan, '"assume_role_policy": ')),
    }


def test_terraform_role_of_unknown_account_is_not_guessed(tmp_path: Path) -> None:
    # Without a caller identity the new role's ARN is not known: no pairing on its name alone.
    _plan(tmp_path / "plan.json", [{"name": "deployer", "trust": _trusts({"AWS": f"arn:aws:iam::{B}:role/pipeline"})}],
          caller_account=None)
    _dump(tmp_path / "account_b.json", _dump_role("pipeline", B, _trusts(SERVICE),
                                                  _policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})))
    assert _found(scan([tmp_path])) == set()


TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Runner:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              Service: codebuild.amazonaws.com
            Action: sts:AssumeRole
      Policies:
        - PolicyName: deploy
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: sts:AssumeRole
                Resource: !GetAtt Deployer.Arn
  Deployer:
    Type: AWS::IAM::Role
    Properties:
      RoleName: deployer
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              AWS: !Sub arn:${AWS::Partition}:iam::${AWS::AccountId}:role/TRUSTED
            Action: sts:AssumeRole
"""


def test_cloudformation_roles_of_one_template_pair_by_getatt(tmp_path: Path) -> None:
    template = tmp_path / "stack.yaml"
    template.write_text(TEMPLATE.replace("TRUSTED", "ops"), encoding="utf-8")
    assert _found(scan([template])) == {
        ("Runner", "stack.yaml", "$.Resources.Runner.Properties.Policies[0].PolicyDocument.Statement[0].Resource",
         _line_of(template, "Resource: !GetAtt Deployer.Arn")),
    }
    # Runner's generated name is what !GetAtt names: a trust naming it by !GetAtt admits it.
    template.write_text(TEMPLATE.replace("!Sub arn:${AWS::Partition}:iam::${AWS::AccountId}:role/TRUSTED",
                                         "!GetAtt Runner.Arn"), encoding="utf-8")
    assert _found(scan([template])) == set()


def test_cloudformation_stack_account_pairs_across_files_only_when_configured(tmp_path: Path) -> None:
    # deployer (named, in the stack) trusts a role of account B that cannot assume it.
    template = tmp_path / "stack.yaml"
    template.write_text(TEMPLATE.replace("${AWS::AccountId}", B).replace("TRUSTED", "pipeline")
                        .replace("Resource: !GetAtt Deployer.Arn", "Resource: '*'"), encoding="utf-8")
    _dump(tmp_path / "account_b.json", _dump_role("pipeline", B, _trusts(SERVICE),
                                                  _policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})))
    # Unconfigured, the stack's account is a placeholder: which account is unknown, so the
    # cross-account side is not claimed.
    assert _found(scan([tmp_path])) == set()
    assert _found(scan([tmp_path], config_from_mapping({"own_accounts": [A]}))) == {
        ("Deployer", "stack.yaml", "$.Resources.Deployer.Properties.AssumeRolePolicyDocument.Statement[0].Principal.AWS",
         _line_of(template, "AWS: !Sub", after="Deployer:")),
    }


def test_user_of_a_template_grant_to_a_role_of_another_template(tmp_path: Path) -> None:
    users = tmp_path / "users.yaml"
    users.write_text("""\
Resources:
  Alice:
    Type: AWS::IAM::User
    Properties:
      UserName: alice
      Policies:
        - PolicyName: break-glass
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: sts:AssumeRole
                Resource: arn:aws:iam::111122223333:role/break-glass
""", encoding="utf-8")
    roles = tmp_path / "roles.yaml"
    roles.write_text("""\
Resources:
  BreakGlass:
    Type: AWS::IAM::Role
    Properties:
      RoleName: break-glass
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              AWS: arn:aws:iam::111122223333:user/bob
            Action: sts:AssumeRole
""", encoding="utf-8")
    report = scan([tmp_path], config_from_mapping({"own_accounts": [A]}))
    assert _found(report) == {
        ("Alice", "users.yaml", "$.Resources.Alice.Properties.Policies[0].PolicyDocument.Statement[0].Resource", 13),
    }
    assert "User alice is allowed to assume arn:aws:iam::111122223333:role/break-glass" in next(
        v.message for v in report.violations if v.rule_id == "IAMG-501")


def test_a_pattern_pairs_with_the_roles_it_names_and_a_fleet_pattern_with_none(tmp_path: Path) -> None:
    caller = _dump(tmp_path / "account_a.json", _dump_role(
        "ci-runner", A, _trusts(SERVICE),
        _policy(_assume(f"arn:aws:iam::{B}:role/deploy-*")),
        _policy(_assume(f"arn:aws:iam::*:role/app-?")),
    ))
    # deploy-* names two roles of B that trust only a service; app-? names none of them.
    roles = [_dump_role(name, B, _trusts(SERVICE)) for name in ("deploy-prod", "deploy-dev", "reader")]
    _dump(tmp_path / "account_b.json", *roles)
    report = scan([tmp_path])
    assert _found(report) == {
        ("ci-runner", "account_a.json", "$.RoleDetailList[0].RolePolicyList[0].PolicyDocument.Statement[0].Resource",
         _line_of(caller, '"Resource": "arn:aws:iam::444455556666:role/deploy-*"')),
    }
    assert sorted(v.message.split(" by ")[0] for v in report.violations if v.rule_id == "IAMG-501") == [
        f"Role ci-runner is allowed to assume arn:aws:iam::{B}:role/deploy-dev",
        f"Role ci-runner is allowed to assume arn:aws:iam::{B}:role/deploy-prod",
    ]
    # A pattern whose literal prefix is shared by more roles than a pairing can mean is a
    # fleet grant: no pairing, even where a few roles do not trust the caller.
    fleet = [_dump_role(f"app-{i}", B, _trusts(SERVICE if i < 3 else {"AWS": A})) for i in range(1001)]
    _dump(tmp_path / "account_b.json", *fleet)
    assert _found(scan([tmp_path])) == set()


def test_terraform_user_policy_grant_to_a_role_that_does_not_trust_the_user(tmp_path: Path) -> None:
    plan = _plan(tmp_path / "plan.json", [{"name": "break-glass", "trust": _trusts({"AWS": f"arn:aws:iam::{A}:user/bob"})}])
    document = json.loads(plan.read_text(encoding="utf-8"))
    grant = json.dumps(_policy(_assume(f"arn:aws:iam::{A}:role/break-glass")))
    for kind, name, after in (("aws_iam_user", "alice", {"name": "alice", "path": "/ops/"}),
                              ("aws_iam_user_policy", "alice_break_glass", {"name": "break-glass", "user": "alice",
                                                                            "policy": grant})):
        document["resource_changes"].append({
            "address": f"{kind}.{name}", "mode": "managed", "type": kind, "name": name,
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {"actions": ["create"], "before": None, "after": after, "after_unknown": {"id": True}}})
        document["configuration"]["root_module"]["resources"].append({
            "address": f"{kind}.{name}", "mode": "managed", "type": kind, "name": name, "provider_config_key": "aws",
            "expressions": {}})
    plan.write_text(json.dumps(document, indent=2), encoding="utf-8")
    report = scan([plan])
    assert _found(report) == {
        ("aws_iam_user_policy.alice_break_glass", "plan.json",
         "$.resource_changes[2].change.after.policy.Statement[0].Resource", _line_of(plan, '"policy": "{')),
    }
    message = next(v.message for v in report.violations if v.rule_id == "IAMG-501")
    assert message.startswith(f"User alice is allowed to assume arn:aws:iam::{A}:role/break-glass")
    assert f"add arn:aws:iam::{A}:user/ops/alice (or its account {A})" in message


def test_an_in_template_suppression_applies_to_iamg_501(tmp_path: Path) -> None:
    template = tmp_path / "stack.yaml"
    template.write_text(TEMPLATE.replace("TRUSTED", "ops").replace(
        "  Runner:\n    Type: AWS::IAM::Role\n",
        "  Runner:\n    Type: AWS::IAM::Role\n    Metadata:\n      pyiamguard:\n        ignore:\n"
        "          - rule: IAMG-501\n            reason: Deployer's trust is widened by a later stack\n"), encoding="utf-8")
    report = scan([template])
    assert _found(report) == set()
    assert [(v.rule_id, v.resource, v.suppression) for v in report.suppressed] == [
        ("IAMG-501", "Runner", "Deployer's trust is widened by a later stack")]


# --- both sides judged as IAM does (rules spec, Amendments, IAMG-501) ----------------------------------------------


def test_wildcard_trust_narrowed_to_another_role_does_not_admit_the_caller(tmp_path: Path) -> None:
    caller = _dump(tmp_path / "account_a.json",
                   _dump_role("ci-runner", A, _trusts(SERVICE), _policy(_assume(f"arn:aws:iam::{B}:role/deployer"))))
    narrowed = _policy({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
                        "Condition": {"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{A}:role/auditor"}}})
    _dump(tmp_path / "account_b.json", _dump_role("deployer", B, narrowed))
    assert _found(scan([tmp_path])) == {
        ("ci-runner", "account_a.json", "$.RoleDetailList[0].RolePolicyList[0].PolicyDocument.Statement[0].Resource",
         _line_of(caller, '"Resource": "arn:aws:iam::444455556666:role/deployer"'))}


def test_wildcard_trust_narrowed_to_the_caller_admits_it(tmp_path: Path) -> None:
    _dump(tmp_path / "account_a.json",
          _dump_role("ci-runner", A, _trusts(SERVICE), _policy(_assume(f"arn:aws:iam::{B}:role/deployer"))))
    narrowed = _policy({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
                        "Condition": {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{A}:role/ci-*"}}})
    _dump(tmp_path / "account_b.json", _dump_role("deployer", B, narrowed))
    assert _found(scan([tmp_path])) == set()


def test_trust_that_denies_the_caller_does_not_admit_it(tmp_path: Path) -> None:
    caller = _dump(tmp_path / "account_a.json",
                   _dump_role("ci-runner", A, _trusts(SERVICE), _policy(_assume(f"arn:aws:iam::{B}:role/deployer"))))
    trust = _policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:root"}, "Action": "sts:AssumeRole"},
                    {"Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{A}:role/ci-runner"}, "Action": "sts:AssumeRole"})
    _dump(tmp_path / "account_b.json", _dump_role("deployer", B, trust))
    assert {(r, line) for r, _, _, line in _found(scan([tmp_path]))} == {
        ("ci-runner", _line_of(caller, '"Resource": "arn:aws:iam::444455556666:role/deployer"'))}


def test_caller_whose_boundary_blocks_the_assume_has_no_permission(tmp_path: Path) -> None:
    boundary_arn = f"arn:aws:iam::{A}:policy/s3-only"
    caller_role = _dump_role("ci-runner", A, _trusts(SERVICE), _policy(_assume(f"arn:aws:iam::{B}:role/deployer")))
    caller_role["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary_arn}
    (tmp_path / "account_a.json").write_text(json.dumps({
        "RoleDetailList": [caller_role], "UserDetailList": [], "GroupDetailList": [],
        "Policies": [{"PolicyName": "s3-only", "Arn": boundary_arn, "DefaultVersionId": "v1", "PolicyVersionList": [
            {"VersionId": "v1", "IsDefaultVersion": True,
             "Document": _policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})}]}],
    }, indent=2), encoding="utf-8")
    target = _dump(tmp_path / "account_b.json",
                   _dump_role("deployer", B, _trusts({"AWS": f"arn:aws:iam::{A}:role/ci-runner"})))
    report = scan([tmp_path])
    # The trust admits ci-runner and its policy allows the call, but its boundary does not:
    # IAM intersects the two, so the call is denied on the caller's side.
    assert _found(report) == {
        ("deployer", "account_b.json", "$.RoleDetailList[0].AssumeRolePolicyDocument.Statement[0].Principal.AWS",
         _line_of(target, f'"AWS": "arn:aws:iam::{A}:role/ci-runner"'))}


def test_a_grant_matching_the_caller_itself_aims_at_its_namesakes(tmp_path: Path) -> None:
    # `role/<own name>` in any account: the same role in the other accounts, not itself.
    _dump(tmp_path / "account_a.json",
          _dump_role("stackset-exec", A, _trusts(SERVICE), _policy(_assume("arn:aws:iam::*:role/stackset-exec"))))
    assert _found(scan([tmp_path])) == set()


def test_a_grant_on_a_role_of_any_account_is_not_paired_with_a_template_role_of_unknown_account(tmp_path: Path) -> None:
    # A StackSet pattern: the codebuild role may assume `role/executor` in the accounts the
    # stack set deploys to; this template's own executor (its account a stand-in) is not known
    # to be one of them, and its trust admitting only a service says nothing about those.
    template = {"Resources": {
        "Builder": {"Type": "AWS::IAM::Role", "Properties": {
            "RoleName": "builder", "AssumeRolePolicyDocument": _trusts(SERVICE),
            "Policies": [{"PolicyName": "p", "PolicyDocument": _policy(_assume("arn:aws:iam::*:role/executor"))}]}},
        "Executor": {"Type": "AWS::IAM::Role", "Properties": {
            "RoleName": "executor", "AssumeRolePolicyDocument": _trusts({"Service": "lambda.amazonaws.com"})}}}}
    path = tmp_path / "stack.json"
    path.write_text(json.dumps(template, indent=2), encoding="utf-8")
    assert _found(scan([path])) == set()
    # With the stack's account known, the same grant names that account's executor too.
    assert {r for r, *_ in _found(scan([path], Config(own_accounts=(A,))))} == {"Builder"}
