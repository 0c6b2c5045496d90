"""`pyiamguard explain`: exact output on the shipped examples and an admin role, and its JSON."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from pyiamguard.cli import main

REPO = Path(__file__).resolve().parents[1]

EXPECTED = {
    'examples/trust-third-party-no-externalid.json': (
        'Role trust-third-party-no-externalid.json (examples/trust-third-party-no-externalid.json:4), account unknown\n'
        '  Who may assume it:\n'
        "    - every principal of account 210987654321 that its own policies allow to call sts:AssumeRole on the role ('arn:aws:iam::210987654321:root')\n"
        '      by Statement 1 (Sid VendorAccount) (examples/trust-third-party-no-externalid.json:4), sts:AssumeRole\n'
        '      when: always (no condition)\n'
        '  Conditions that restrict nothing: none\n'
        '  Once assumed:\n'
        '    unknown: the file holds the trust policy only\n'
        '    admin: no finding; escalation: no finding\n'
        '  Findings:\n'
        "    HIGH IAMG-102 line 7: Statement 1 (Sid 'VendorAccount') trusts 'arn:aws:iam::210987654321:root' of account 210987654321, which is neither one of your accounts (the role's own, own_accounts, internal_accounts) nor in trusted_accounts (account of the role unknown: set own_accounts)\n"
        "    HIGH IAMG-103 line 7: Statement 1 (Sid 'VendorAccount') lets 'arn:aws:iam::210987654321:root' of account 210987654321 call sts:AssumeRole without a restricting sts:ExternalId condition (account of the role unknown: set own_accounts)\n"
        "    MEDIUM IAMG-104 line 7: Statement 1 (Sid 'VendorAccount') lets 'arn:aws:iam::210987654321:root' of account 210987654321 assume the role without MFA (Bool aws:MultiFactorAuthPresent true) (account of the role unknown: set own_accounts)\n"
        "    MEDIUM IAMG-105 line 7: Statement 1 (Sid 'VendorAccount') trusts the whole account 210987654321, 'arn:aws:iam::210987654321:root', so any identity that account allows can assume the role, and no aws:PrincipalArn condition narrows it to named roles or users\n"
    ),
    'examples/assume-across-accounts/workload-account.json': (
        'Role deployer (examples/assume-across-accounts/workload-account.json:3), account 123456789012\n'
        '  Who may assume it:\n'
        "    - the role operators of account 345678901234 (its sessions) ('arn:aws:iam::345678901234:role/operators')\n"
        '      by Statement 1 (Sid OperatorsFromToolingAccount) (examples/assume-across-accounts/workload-account.json:10), sts:AssumeRole\n'
        '      when: StringEquals sts:ExternalId 7f3c2a9e-tooling; Bool aws:MultiFactorAuthPresent true\n'
        '  Conditions that restrict nothing: none\n'
        '  Once assumed:\n'
        '    policies: none\n'
        '    services: none known\n'
        '    boundary: none; max session: 3600 s (default)\n'
        '    admin: no finding; escalation: no finding\n'
        '  Findings:\n'
        "    HIGH IAMG-102 line 13: Statement 1 (Sid 'OperatorsFromToolingAccount') trusts 'arn:aws:iam::345678901234:role/operators' of account 345678901234, which is neither one of your accounts (the role's own, own_accounts, internal_accounts) nor in trusted_accounts\n"
    ),
    'tests/fixtures/simulate/admin-role.yaml': (
        'Role VendorAdmin (tests/fixtures/simulate/admin-role.yaml:4), account unknown\n'
        '  Who may assume it:\n'
        "    - every principal of account 444455556666 that its own policies allow to call sts:AssumeRole on the role ('arn:aws:iam::444455556666:root')\n"
        '      by Statement 1 (Sid Vendor) (tests/fixtures/simulate/admin-role.yaml:11), sts:AssumeRole\n'
        '      when: StringEqualsIfExists sts:ExternalId vendor-42\n'
        "  Denied by Statement 2 (Sid NoStrangers) (tests/fixtures/simulate/admin-role.yaml:19): anyone: every principal of every AWS account, anonymous callers included ('*') when StringNotEquals aws:PrincipalAccount 444455556666\n"
        '  Conditions that restrict nothing:\n'
        "    - IAMG-108 line 18: The condition 'StringEqualsIfExists sts:ExternalId vendor-42' in Statement 1 (Sid 'Vendor') restricts nothing: an ...IfExists operator is true when the key is absent, so a caller simply omits it\n"
        '  Once assumed:\n'
        '    policies: inline policy, AWS managed AdministratorAccess (managed)\n'
        '    services: iam, s3\n'
        '    boundary: none; max session: 3600 s (default)\n'
        '    admin: yes: admin rights, and strangers may assume it; escalation: no finding\n'
        '  Findings:\n'
        "    HIGH IAMG-102 line 14: Statement 1 (Sid 'Vendor') trusts 'arn:aws:iam::444455556666:root' of account 444455556666, which is neither one of your accounts (the role's own, own_accounts, internal_accounts) nor in trusted_accounts (account of the role unknown: set own_accounts)\n"
        "    HIGH IAMG-103 line 14: Statement 1 (Sid 'Vendor') lets 'arn:aws:iam::444455556666:root' of account 444455556666 call sts:AssumeRole without a restricting sts:ExternalId condition; its condition 'StringEqualsIfExists sts:ExternalId vendor-42' does not restrict (weak operator or value) (account of the role unknown: set own_accounts)\n"
        "    MEDIUM IAMG-104 line 14: Statement 1 (Sid 'Vendor') lets 'arn:aws:iam::444455556666:root' of account 444455556666 assume the role without MFA (Bool aws:MultiFactorAuthPresent true) (account of the role unknown: set own_accounts)\n"
        "    MEDIUM IAMG-105 line 14: Statement 1 (Sid 'Vendor') trusts the whole account 444455556666, 'arn:aws:iam::444455556666:root', so any identity that account allows can assume the role, and no aws:PrincipalArn condition narrows it to named roles or users\n"
        "    HIGH IAMG-108 line 18: The condition 'StringEqualsIfExists sts:ExternalId vendor-42' in Statement 1 (Sid 'Vendor') restricts nothing: an ...IfExists operator is true when the key is absent, so a caller simply omits it\n"
        "    CRITICAL IAMG-301 line 27: The role grants admin-equivalent permissions through the managed policy 'arn:aws:iam::aws:policy/AdministratorAccess', and 'arn:aws:iam::444455556666:root', from outside your accounts, may assume it\n"
    ),
}


@pytest.fixture(autouse=True)
def _at_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


@pytest.mark.parametrize("path", sorted(EXPECTED))
def test_text_output(path: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", path]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out == EXPECTED[path]


def test_json_output_names_principals_conditions_permissions_and_findings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "tests/fixtures/simulate/admin-role.yaml", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["errors"] == []
    [role] = report["roles"]
    assert role["resource"] == "VendorAdmin" and role["line"] == 4
    [who] = role["who_may_assume"]
    assert who["statement"] == "Statement 1 (Sid Vendor)" and who["line"] == 11
    assert who["conditions"] == ["StringEqualsIfExists sts:ExternalId vendor-42"]
    assert [d["statement"] for d in role["denied"]] == ["Statement 2 (Sid NoStrangers)"]
    assert [c.split(" ")[0] for c in role["conditions_restricting_nothing"]] == ["IAMG-108"]
    assert role["once_assumed"]["admin"].startswith("yes")
    assert role["once_assumed"]["services"] == ["iam", "s3"]
    assert {f["rule_id"] for f in role["findings"]} >= {"IAMG-102", "IAMG-103", "IAMG-108", "IAMG-301"}


def test_resource_selects_one_role(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "examples/assume-across-accounts/tooling-account.json", "--resource", "operators"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Role operators (") and "Role pipeline" not in out
    assert "users of the SAML provider arn:aws:iam::345678901234:saml-provider/corporate-idp" in out


def test_unknown_resource_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "examples/trust-wildcard.json", "--resource", "nope"]) == 2
    assert capsys.readouterr().err == "pyiamguard: error: --resource 'nope': no such role (roles: trust-wildcard.json)\n"


def test_prove_adds_each_property_answer(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["explain", "examples/assume-across-accounts/workload-account.json", "--prove"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.startswith(EXPECTED["examples/assume-across-accounts/workload-account.json"] + "  Proofs:\n")
    proofs = out.split("  Proofs:\n", 1)[1].splitlines()
    assert [line.split(":", 2)[:2] for line in proofs] == [
        ["    not-public", " PROVEN"], ["    only-trusted", " REFUTED"], ["    external-id", " PROVEN"],
        ["    mfa", " PROVEN"], ["    oidc-subject", " PROVEN"], ["    oidc-approved", " PROVEN"]]
    assert proofs[1].startswith("    only-trusted: REFUTED: principal arn:aws:sts::345678901234:assumed-role/operators/")
    assert proofs[1].endswith("sts:ExternalId 7f3c2a9e-tooling, aws:MultiFactorAuthPresent true: ALLOW by Statement 1 "
                              "(examples/assume-across-accounts/workload-account.json:10)")


VARIANTS = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env:
    Type: String
    AllowedValues: [dev, prod]
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  VendorRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              AWS: !If [IsProd, "arn:aws:iam::999988887777:root", "*"]
            Action: sts:AssumeRole
            Condition:
              StringEquals:
                sts:ExternalId: 7f3a9c2e
"""


def test_prove_answers_for_every_variant_and_names_the_one_refuted(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    template = tmp_path / "vendor.yaml"
    template.write_text(VARIANTS, encoding="utf-8")
    assert main(["explain", str(template), "--prove", "--format", "json"]) == 0
    (role,) = json.loads(capsys.readouterr().out)["roles"]
    verdicts = {p["property"]: (p["verdict"], p.get("variant", "")) for p in role["proofs"]}
    assert verdicts == {"not-public": ("REFUTED", "parameter Env = 'dev'"),
                        "only-trusted": ("REFUTED", "parameter Env = 'dev'"),
                        "external-id": ("PROVEN", ""), "mfa": ("PROVEN", ""), "oidc-subject": ("PROVEN", ""),
                        "oidc-approved": ("PROVEN", "")}
    public = role["proofs"][0]
    assert public["statement"] == {"ref": public["statement"]["ref"], "label": "Statement 1", "file": str(template),
                                   "line": 15}
    assert public["request"]["context"]["sts:externalid"] == ["7f3a9c2e"]
    assert main(["prove", str(template), "--property", "not-public"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert [line for line in lines if line.startswith("role ")] == [
        f"role VendorRole ({template}:9), when parameter Env = 'dev'",
        f"role VendorRole ({template}:9), when parameter Env = 'prod'"]


def test_without_prove_there_are_no_proofs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "examples/trust-wildcard.json", "--format", "json"]) == 0
    (role,) = json.loads(capsys.readouterr().out)["roles"]
    assert "proofs" not in role
