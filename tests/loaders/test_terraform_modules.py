"""Real public Terraform modules scanned as `.tf` sources: tests/fixtures/terraform_modules/.

Each fixture is a verbatim copy (see its SOURCE.md) of a public module and the example that calls
it with `source = "../../modules/x"`. The expected findings were worked out by hand from the
`.tf` files and the variable defaults / the values the example passes: what pyiamguard would
report on the plan `terraform plan` would show for the same configuration, with the values only
known after apply (new resources' ARNs, remote module outputs) unknown. Every finding is pinned
as (rule id, resource address, file relative to the fixture directory, line), duplicates counted.

Locations follow the static loader's own convention: a value is located where it was written
(for a principal passed into a module, the literal in the caller), and a finding about a role's
permissions at the attachment that brings the policy to the role (rule catalogue, Amendments,
"Locations").
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from pyiamguard.config import Config
from pyiamguard.model import Report
from pyiamguard.scanner import scan

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "terraform_modules"

Finding = tuple[str, str, str, int | None]


def _scan(fixture: str, directory: str) -> tuple[Report, Counter[Finding]]:
    root = FIXTURES / fixture
    report = scan([root / directory], Config())
    found: Counter[Finding] = Counter()
    for v in report.violations:
        found[(v.rule_id, v.resource, Path(v.file).resolve().relative_to(root).as_posix(), v.line)] += 1
    return report, found


def _expect(*findings: Finding) -> Counter[Finding]:
    return Counter(findings)


# --- unfunco/terraform-aws-oidc-github (MIT) ---------------------------------------------------------

def test_unfunco_basic_example_creates_no_role_with_the_default_subjects() -> None:
    # github_subjects defaults to [] in the example, so has_github_subjects is false: no role, no
    # policy document, no OIDC provider (count 0 everywhere). Nothing to report, nothing unknown.
    report, found = _scan("unfunco_oidc_github", "examples/basic")
    assert not report.errors
    assert found == Counter()


def test_unfunco_multiple_roles_example_passes_an_empty_trust_policy() -> None:
    # With github_subjects = [] the module's `assume_role_policy` output is "" (outputs.tf), and both
    # roles of the example use it as their trust policy: not JSON, which the provider rejects.
    # module.label (cloudposse/label/null) is a registry module: skipped, its `id` (the role names)
    # unknown, which decides nothing.
    report, found = _scan("unfunco_oidc_github", "examples/multiple-roles")
    assert not report.errors
    assert found == _expect(
        ("IAMG-002", "aws_iam_role.network", "examples/multiple-roles/main.tf", 20),
        ("IAMG-002", "aws_iam_role.storage", "examples/multiple-roles/main.tf", 31),
    )
    assert any("module.label" in reason and "not a local directory" in reason for _, reason in report.skipped_files)


# --- terraform-aws-modules/terraform-aws-iam v5.60.0 (Apache-2.0) ------------------------------------

def test_tam_v5_github_oidc_example() -> None:
    # One role: Federated GitHub provider of the own account; iss and aud only under
    # ForAllValues:StringEquals (IAMG-108 on aud, hence no restricting aud: IAMG-203); sub is
    # StringLike on two concrete repo subjects (no IAMG-201/202). The extra `:actor` condition's key
    # comes from the OIDC provider's configured url, known at plan. The attachment
    # "additional" = aws_iam_policy.additional.arn (a new policy) is unknown, and the role is
    # assumable from outside (federated), so it decides IAMG-301: IAMG-001. S3ReadOnly is known.
    report, found = _scan("tam_v5_github_oidc", "examples/iam-github-oidc")
    assert not report.errors
    role = "module.iam_github_oidc_role.aws_iam_role.this[0]"
    main = "modules/iam-github-oidc-role/main.tf"
    assert found == _expect(
        ("IAMG-203", role, main, 29),
        ("IAMG-108", role, main, 38),
        ("IAMG-001", role, main, 83),
    )


def test_tam_v5_assumable_role_example() -> None:
    # Five roles from modules/iam-assumable-role. The module builds its trust policy with
    # `coalesce(local.custom_role_trust_policy_condition, try(mfa_doc[0].json, doc[0].json))`;
    # the principals are the literals the example passes (lines 16, 17, 21, 47, 51, 83, 87, 128,
    # 132), so that is where their findings are.
    report, found = _scan("tam_v5_assumable_role", "examples/iam-assumable-role")
    assert not report.errors
    ex = "examples/iam-assumable-role/main.tf"
    mod = "modules/iam-assumable-role/main.tf"
    admin = "module.iam_assumable_role_admin.aws_iam_role.this[0]"
    custom = "module.iam_assumable_role_custom.aws_iam_role.this[0]"
    inline = "module.iam_assumable_role_inline_policy.aws_iam_role.this[0]"
    sts = "module.iam_assumable_role_sts.aws_iam_role.this[0]"
    custom_trust = "module.iam_assumable_role_custom_trust_policy.aws_iam_role.this[0]"
    assert found == _expect(
        # admin: MFA document; statement 1 (self-assume, AWS "*" confined by ArnLike
        # aws:PrincipalArn to the own account's role/admin) admits nobody foreign; statement 2 trusts
        # 307990089504:root and 835367859851:user/anton (no ExternalId; MFA present) and codedeploy
        # (no aws:SourceAccount). AdministratorAccess attached: IAMG-301 at the attachment.
        ("IAMG-102", admin, ex, 16), ("IAMG-102", admin, ex, 17),
        ("IAMG-103", admin, ex, 16), ("IAMG-103", admin, ex, 17),
        ("IAMG-105", admin, ex, 16),
        ("IAMG-110", admin, ex, 21),
        ("IAMG-301", admin, mod, 199),
        # custom: ExternalId and aws:PrincipalOrgID o-someorgid (not a trusted org): IAMG-102 but no
        # 103/104; the third policy ARN is module.iam_policy.arn, unknown, on an externally
        # assumable role: IAMG-001.
        ("IAMG-102", custom, ex, 47), ("IAMG-105", custom, ex, 47), ("IAMG-110", custom, ex, 51),
        ("IAMG-001", custom, mod, 192),
        # inline_policy: ExternalId, no MFA needed for a machine third party; ECR inline policy is
        # neither admin nor escalation.
        ("IAMG-102", inline, ex, 83), ("IAMG-105", inline, ex, 83), ("IAMG-110", inline, ex, 87),
        # sts: MFA document with two ExternalIds; unknown module.iam_policy.arn attachment.
        ("IAMG-102", sts, ex, 128), ("IAMG-105", sts, ex, 128), ("IAMG-110", sts, ex, 132),
        ("IAMG-001", sts, mod, 192),
        # custom trust policy: AWS "*" confined by aws:PrincipalOrgID o-someorgid (untrusted org),
        # with an ExternalId. The document is passed to the module through a variable, so (as in a
        # plan) it is also reported as a document of its own.
        ("IAMG-102", custom_trust, ex, 180),
        ("IAMG-102", "data.aws_iam_policy_document.custom_trust_policy", ex, 180),
    )


# --- terraform-aws-modules/terraform-aws-iam v6 (Apache-2.0) -----------------------------------------

def test_tam_v6_iam_role_example() -> None:
    # modules/iam-role takes its statements through `map(object({... optional(...) ...}))`
    # variables (trust_policy_permissions, inline_policy_permissions): Terraform's type conversion
    # fills the attributes the example leaves out with null (effect: "Allow"), so every document
    # below is known at plan except where the example passes an unknown value.
    report, found = _scan("tam_v6_iam_role", "examples/iam-role")
    assert not report.errors
    ex = "examples/iam-role/main.tf"
    mod = "modules/iam-role/main.tf"
    profile = "module.iam_role_instance_profile.aws_iam_role.this[0]"
    readonly = 'module.iam_roles["readonly"].aws_iam_role.this[0]'
    admin = 'module.iam_roles["admin"].aws_iam_role.this[0]'
    poweruser = 'module.iam_roles["poweruser"].aws_iam_role.this[0]'
    circleci = "module.iam_role_circleci_oidc.aws_iam_role.this[0]"
    github = "module.iam_role_github_oidc.aws_iam_role.this[0]"
    saml = "module.iam_role_saml.aws_iam_role.this[0]"
    assert found == _expect(
        # instance profile role: 307990089504:root and 835367859851:user/anton without ExternalId or
        # MFA, codedeploy without aws:SourceAccount (principals written at lines 105, 106, 112).
        ("IAMG-102", profile, ex, 105), ("IAMG-102", profile, ex, 106),
        ("IAMG-103", profile, ex, 105), ("IAMG-103", profile, ex, 106),
        ("IAMG-104", profile, ex, 105), ("IAMG-104", profile, ex, 106),
        ("IAMG-105", profile, ex, 105),
        ("IAMG-110", profile, ex, 112),
        # readonly: user/anton of 835367859851 with MFA conditions (no 104), no ExternalId.
        ("IAMG-102", readonly, ex, 32), ("IAMG-103", readonly, ex, 32),
        # admin and poweruser trust data.aws_caller_identity.current.arn: not known statically.
        # admin holds AdministratorAccess (IAMG-303 at its attachment).
        ("IAMG-001", admin, mod, 20), ("IAMG-303", admin, mod, 300),
        ("IAMG-001", poweruser, mod, 20),
        # CircleCI: no subject condition, and the example's `<CIRCLECI_ORG_UUID>` placeholder is
        # left in the condition key.
        ("IAMG-201", circleci, mod, 37), ("IAMG-112", circleci, mod, 60),
        # GitHub: aud only under ForAllValues.
        ("IAMG-203", github, mod, 96), ("IAMG-108", github, mod, 105),
        # SAML: the provider is aws_iam_saml_provider.this.id, a new resource.
        ("IAMG-001", saml, mod, 20),
        # iam_role_inline_policy: ec2 service principal (exempt) and a known S3 read inline policy:
        # nothing to report.
    )
