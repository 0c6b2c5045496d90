"""Every catalogue rule on each IaC input kind: a Terraform plan and a CloudFormation template.

Raw IAM documents are covered by each rule's `examples/` folder. Here every rule of the catalogue
(except IAMG-501, which is judged across the documents of a scan and has its own tests) has, for
both `terraform show -json` plans and CloudFormation templates (YAML with short-form tags, and
JSON), at least one violating and one clean fixture in tests/fixtures/rules_by_kind/<kind>/.

Each case pins the complete result of scanning its fixture: the exact list of findings as
(rule, resource, line, JSONPath), so an unexpected extra finding, a missing one or a duplicate
fails. A clean fixture is a near miss of the violating one (the fix, or a shape the rule must
accept); it may still give other rules' findings, which are listed too. The lines are those of
the offending node in the fixture (for a Terraform policy string, the line of the attribute
holding the JSON string; for a missing attribute, the line of `after`; for a whole Terraform
resource, the line of its `resource_changes` entry; for a CloudFormation resource, the line of
its logical id).

test_every_catalogue_rule_has_both_verdicts_on_both_kinds makes a new rule without such cases
fail CI.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import pytest

from pyiamguard import scan
from pyiamguard.catalog import load_policy_set
from pyiamguard.config import config_from_mapping

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "rules_by_kind"
KINDS = ("terraform", "cloudformation")
VERDICTS = ("violating", "clean")
# Judged across the documents of one scan (a grant on one side, a trust on the other).
NOT_COVERED_HERE = frozenset({"IAMG-501"})
PATH_PREFIXES = {"terraform": ("$.resource_changes[", "$.prior_state."), "cloudformation": ("$.Resources.",)}

OWN = "111122223333"  # data.aws_caller_identity.current of every plan
PARTNER = "444455556666"
SECOND_PARTNER = "555566667777"
SECURITY = "777788889999"  # "our" security account in the internal_accounts cases
ORG = "o-a1b2c3d4e5"

Finding = tuple[str, str, int, str]  # rule, resource, line, JSONPath


@dataclass(frozen=True)
class Case:
    rule: str
    kind: str
    verdict: str
    fixture: str
    expected: tuple[Finding, ...]
    config: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""  # tells apart several cases of one rule, kind and verdict

    @property
    def id(self) -> str:
        return "-".join(part for part in (self.rule, self.kind, self.verdict, self.label) if part)

    @property
    def path(self) -> Path:
        return FIXTURES / self.kind / self.fixture


def tf(rule: str, verdict: str, fixture: str, *expected: Finding, label: str = "", **config: Any) -> Case:
    return Case(rule, "terraform", verdict, fixture, expected, config, label)


def cfn(rule: str, verdict: str, fixture: str, *expected: Finding, label: str = "", **config: Any) -> Case:
    return Case(rule, "cloudformation", verdict, fixture, expected, config, label)


def after(change: int, tail: str = "") -> str:
    """A JSONPath in `resource_changes[change].change.after`."""
    return f"$.resource_changes[{change}].change.after{tail}"


def trust(change: int, tail: str = "") -> str:
    """A JSONPath in the (parsed) assume_role_policy string of `resource_changes[change]`."""
    return after(change, ".assume_role_policy" + tail)


def res(logical_id: str, tail: str = "") -> str:
    return f"$.Resources.{logical_id}{tail}"


def doc(logical_id: str, tail: str = "") -> str:
    """A JSONPath in the AssumeRolePolicyDocument of a template's role."""
    return res(logical_id, ".Properties.AssumeRolePolicyDocument" + tail)


TRUSTED_PARTNER = {"trusted_accounts": [PARTNER]}
INTERNAL_SECURITY = {"trusted_accounts": [SECURITY], "internal_accounts": [SECURITY]}
TF_BOUNDARIES = {"trusted_accounts": [PARTNER], "require_permissions_boundary": True,
                 "allowed_permissions_boundaries": [f"arn:aws:iam::{OWN}:policy/vendor-boundary"]}
CFN_BOUNDARIES = {"own_accounts": [OWN], "require_permissions_boundary": True,
                  "allowed_permissions_boundaries": [f"arn:aws:iam::{OWN}:policy/deploy-boundary"]}

SUB = "['token.actions.githubusercontent.com:sub']"

TERRAFORM = [
    # IAMG-001: a trust policy that references a role created by the same plan (through a module
    # variable) is known only after apply: unresolved, never a pass.
    tf("IAMG-001", "violating", "iamg_001_violating_trust_known_after_apply.json",
       ("IAMG-001", "module.deploy.aws_iam_role.this", 114, trust(1))),
    tf("IAMG-001", "clean", "iamg_001_clean_trust_known_at_plan.json"),
    # IAMG-002: a heredoc policy with two "Condition" keys: the ExternalId block is dropped, so
    # the vendor role also lacks its ExternalId.
    tf("IAMG-002", "violating", "iamg_002_violating_duplicate_condition_heredoc.json",
       ("IAMG-002", "aws_iam_role.vendor_audit", 46, trust(0, ".Statement[0].Condition")),
       ("IAMG-103", "aws_iam_role.vendor_audit", 46, trust(0, ".Statement[0].Principal.AWS")),
       **TRUSTED_PARTNER),
    tf("IAMG-002", "clean", "iamg_002_clean_heredoc.json", **TRUSTED_PARTNER),
    # IAMG-101: principals { type = "*" } in an aws_iam_policy_document read at plan time
    # renders `"Principal": "*"`; the role holds the rendered JSON.
    tf("IAMG-101", "violating", "iamg_101_violating_policy_document_star.json",
       ("IAMG-101", "aws_iam_role.shared_reports", 46, trust(0, ".Statement[0].Principal"))),
    tf("IAMG-101", "clean", "iamg_101_clean_org_confined.json", trusted_org_ids=[ORG]),
    # IAMG-102: two accounts in one Principal list; only the second is not trusted.
    tf("IAMG-102", "violating", "iamg_102_violating_second_account_untrusted.json",
       ("IAMG-102", "aws_iam_role.backup_copy", 46, trust(0, ".Statement[0].Principal.AWS[1]")),
       trusted_accounts=[SECOND_PARTNER]),
    tf("IAMG-102", "clean", "iamg_102_clean_own_and_trusted_accounts.json", trusted_accounts=[SECOND_PARTNER]),
    # IAMG-103: the own-account statement needs no ExternalId, the vendor's does.
    tf("IAMG-103", "violating", "iamg_103_violating_vendor_without_external_id.json",
       ("IAMG-103", "aws_iam_role.cost_explorer", 46, trust(0, ".Statement[1].Principal.AWS")),
       **TRUSTED_PARTNER),
    tf("IAMG-103", "clean", "iamg_103_clean_vendor_with_external_id.json",
       trusted_accounts=[PARTNER, SECURITY], internal_accounts=[SECURITY]),
    # IAMG-104: a user of another (internal) account; jsonencode of `true` is a JSON boolean.
    tf("IAMG-104", "violating", "iamg_104_violating_user_without_mfa.json",
       ("IAMG-104", "aws_iam_role.break_glass", 46, trust(0, ".Statement[0].Principal.AWS")),
       **INTERNAL_SECURITY),
    tf("IAMG-104", "clean", "iamg_104_clean_user_with_mfa.json", **INTERNAL_SECURITY),
    # IAMG-105: the own account's root (known from data.aws_caller_identity), LOW.
    tf("IAMG-105", "violating", "iamg_105_violating_own_account_root.json",
       ("IAMG-105", "aws_iam_role.ops_admin", 46, trust(0, ".Statement[0].Principal.AWS"))),
    tf("IAMG-105", "clean", "iamg_105_clean_root_narrowed_by_principal_arn.json"),
    # IAMG-106: Allow + NotPrincipal. The clean one has Deny + NotPrincipal: not IAMG-106, but
    # NotPrincipal is invalid in any trust policy (IAMG-002).
    tf("IAMG-106", "violating", "iamg_106_violating_allow_not_principal.json",
       ("IAMG-106", "aws_iam_role.data_export", 46, trust(0, ".Statement[0].NotPrincipal"))),
    tf("IAMG-106", "clean", "iamg_106_clean_deny_not_principal.json",
       ("IAMG-002", "aws_iam_role.data_export", 46, trust(0, ".Statement[1].NotPrincipal"))),
    # IAMG-107: sts:* for an (exempt) service principal.
    tf("IAMG-107", "violating", "iamg_107_violating_sts_star.json",
       ("IAMG-107", "aws_iam_role.task", 46, trust(0, ".Statement[0].Action"))),
    tf("IAMG-107", "clean", "iamg_107_clean_assume_and_tag_session.json"),
    # IAMG-108: `Null aws:SourceArn false` only tests presence, so the service is unconfined too.
    tf("IAMG-108", "violating", "iamg_108_violating_null_source_arn.json",
       ("IAMG-108", "aws_iam_role.events_invoke", 46, trust(0, ".Statement[0].Condition.Null['aws:SourceArn']")),
       ("IAMG-110", "aws_iam_role.events_invoke", 46, trust(0, ".Statement[0].Principal.Service"))),
    tf("IAMG-108", "clean", "iamg_108_clean_source_account.json"),
    # IAMG-109: a partial wildcard in a role ARN; scored as a wildcard too (reference D.43).
    tf("IAMG-109", "violating", "iamg_109_violating_partial_wildcard_role.json",
       ("IAMG-101", "aws_iam_role.deploy_target", 46, trust(0, ".Statement[0].Principal.AWS")),
       ("IAMG-109", "aws_iam_role.deploy_target", 46, trust(0, ".Statement[0].Principal.AWS")),
       **TRUSTED_PARTNER),
    tf("IAMG-109", "clean", "iamg_109_clean_assumed_role_session.json", **TRUSTED_PARTNER),
    # IAMG-110: statements are ORed: the second, unconditioned statement admits any account's
    # schedules.
    tf("IAMG-110", "violating", "iamg_110_violating_unconditioned_statement.json",
       ("IAMG-110", "aws_iam_role.scheduler", 46, trust(0, ".Statement[1].Principal.Service"))),
    tf("IAMG-110", "clean", "iamg_110_clean_source_account.json"),
    # IAMG-111: a SAML provider with sts:AssumeRole.
    tf("IAMG-111", "violating", "iamg_111_violating_assume_role_for_saml.json",
       ("IAMG-111", "aws_iam_role.sso_admin", 46, trust(0, ".Statement[0].Principal.Federated"))),
    tf("IAMG-111", "clean", "iamg_111_clean_assume_role_with_saml.json"),
    # IAMG-112: an EKS provider with a GitHub subject key: no token ever carries it.
    tf("IAMG-112", "violating", "iamg_112_violating_github_key_on_eks.json",
       ("IAMG-112", "aws_iam_role.payments_api", 46,
        trust(0, ".Statement[0].Condition.StringEquals['token.actions.githubusercontent.com:sub']"))),
    tf("IAMG-112", "clean", "iamg_112_clean_eks_keys.json"),
    # IAMG-201: EKS IRSA with the audience only: any service account of the cluster.
    tf("IAMG-201", "violating", "iamg_201_violating_eks_audience_only.json",
       ("IAMG-201", "aws_iam_role.payments_api", 46, trust(0, ".Statement[0].Principal.Federated"))),
    tf("IAMG-201", "clean", "iamg_201_clean_eks_service_account.json"),
    # IAMG-202: one broad value among the subjects (`repo:acme*` has no `/`).
    tf("IAMG-202", "violating", "iamg_202_violating_org_prefix_among_subjects.json",
       ("IAMG-202", "aws_iam_role.github_release", 46, trust(0, ".Statement[0].Condition.StringLike" + SUB))),
    tf("IAMG-202", "clean", "iamg_202_clean_org_repositories.json"),
    # IAMG-203: the trust comes from an aws_iam_policy_document read at plan time
    # (MarshalIndent JSON in the role's attribute).
    tf("IAMG-203", "violating", "iamg_203_violating_policy_document_without_audience.json",
       ("IAMG-203", "aws_iam_role.github_infra", 46, trust(0, ".Statement[0].Principal.Federated"))),
    tf("IAMG-203", "clean", "iamg_203_clean_policy_document_with_audience.json"),
    # IAMG-301: AdministratorAccess through aws_iam_role_policy_attachment, linked by role name;
    # with name_prefix the name is unknown and the link comes from the configuration references.
    tf("IAMG-301", "violating", "iamg_301_violating_vendor_role_with_admin_attachment.json",
       ("IAMG-301", "aws_iam_role.vendor_audit", 98, after(1, ".policy_arn")), **TRUSTED_PARTNER),
    tf("IAMG-301", "violating", "iamg_301_violating_name_prefix_role.json",
       ("IAMG-301", "aws_iam_role.vendor_audit", 97, after(1, ".policy_arn")), label="name-prefix",
       **TRUSTED_PARTNER),
    # The boundary (an existing aws_iam_policy of the plan, ARN known) caps AdministratorAccess.
    tf("IAMG-301", "clean", "iamg_301_clean_admin_capped_by_boundary.json", **TRUSTED_PARTNER),
    # IAMG-302: iam:PassRole on "*" in an aws_iam_role_policy of the vendor role.
    tf("IAMG-302", "violating", "iamg_302_violating_pass_role_on_everything.json",
       # Where the policy reaches the role (Amendments, Locations): the aws_iam_role_policy.
       ("IAMG-302", "aws_iam_role.vendor_audit", 100, after(1, ".policy")), **TRUSTED_PARTNER),
    tf("IAMG-302", "clean", "iamg_302_clean_pass_role_on_task_roles.json", **TRUSTED_PARTNER),
    # IAMG-303: managed_policy_arns (after_unknown [false]: known) on a Lambda role.
    tf("IAMG-303", "violating", "iamg_303_violating_lambda_with_administrator_access.json",
       ("IAMG-303", "aws_iam_role.cleanup", 55, after(0, ".managed_policy_arns[0]"))),
    tf("IAMG-303", "clean", "iamg_303_clean_lambda_basic_execution.json"),
    # IAMG-304: a standalone aws_iam_policy.
    tf("IAMG-304", "violating", "iamg_304_violating_assume_anything.json",
       ("IAMG-304", "aws_iam_policy.developers_assume", 44, after(0, ".policy.Statement[0].Resource"))),
    tf("IAMG-304", "clean", "iamg_304_clean_named_role.json"),
    # IAMG-401: 43200 s over the default limit; 7200 s under a configured 14400 s limit.
    tf("IAMG-401", "violating", "iamg_401_violating_twelve_hour_sessions.json",
       ("IAMG-401", "aws_iam_role.vendor_audit", 49, after(0, ".max_session_duration")), **TRUSTED_PARTNER),
    tf("IAMG-401", "clean", "iamg_401_clean_two_hour_sessions.json", max_session_seconds=14400,
       **TRUSTED_PARTNER),
    # IAMG-402: one role without a boundary (the finding is the role), one with a boundary that
    # is not allowed (the finding is the attribute).
    tf("IAMG-402", "violating", "iamg_402_violating_missing_and_legacy_boundary.json",
       ("IAMG-402", "aws_iam_role.vendor_audit", 57, "$.resource_changes[0]"),
       ("IAMG-402", "aws_iam_role.vendor_billing", 114, after(1, ".permissions_boundary")), **TF_BOUNDARIES),
    tf("IAMG-402", "clean", "iamg_402_clean_allowed_boundary.json", **TF_BOUNDARIES),
]

CLOUDFORMATION = [
    # IAMG-001: a principal imported from another stack.
    cfn("IAMG-001", "violating", "iamg_001_violating_import_value_principal.yaml",
        ("IAMG-001", "DeployRole", 13, doc("DeployRole", ".Statement[0].Principal.AWS"))),
    # !GetAtt of a role of the same template: the own account.
    cfn("IAMG-001", "clean", "iamg_001_clean_getatt_principal.yaml"),
    # IAMG-002: MaxSessionDuration outside 3600-43200 (the role is not externally assumable, so
    # no IAMG-401).
    cfn("IAMG-002", "violating", "iamg_002_violating_max_session_out_of_range.yaml",
        ("IAMG-002", "BatchWorkerRole", 14, res("BatchWorkerRole", ".Properties.MaxSessionDuration"))),
    # Unquoted `2010-09-09` / `2012-10-17` are YAML dates, and still fine.
    cfn("IAMG-002", "clean", "iamg_002_clean_unquoted_version.yaml"),
    # IAMG-101: AWS "*" + aws:PrincipalArn with a wildcard account confines nothing (D.82).
    cfn("IAMG-101", "violating", "iamg_101_violating_principal_arn_any_account.json",
        ("IAMG-101", "DeployerRole", 14, doc("DeployerRole", ".Statement[0].Principal.AWS"))),
    # The self-assume pattern: AWS "*" confined to this account's role by aws:PrincipalArn.
    cfn("IAMG-101", "clean", "iamg_101_clean_self_assume.yaml"),
    # IAMG-102: the partner account comes from a parameter's default.
    cfn("IAMG-102", "violating", "iamg_102_violating_parameter_default_account.yaml",
        ("IAMG-102", "PartnerReadRole", 17, doc("PartnerReadRole", ".Statement[0].Principal.AWS"))),
    cfn("IAMG-102", "violating", "iamg_102_violating_no_echo_external_id_default.yaml",
        ("IAMG-102", "VendorRole", 19, doc("VendorRole", ".Statement[0].Principal.AWS")),
        ("IAMG-103", "VendorRole", 19, doc("VendorRole", ".Statement[0].Principal.AWS")),
        # Once, though the branch reading the NoEcho default differs: only the secret is redacted.
        label="no-echo-parameter"),
    # A principal naming a foreign account, confined to a trusted organization.
    cfn("IAMG-102", "clean", "iamg_102_clean_trusted_org.json", trusted_org_ids=[ORG]),
    # IAMG-103: the ExternalId condition exists only when Environment is prod (Fn::If + NoValue).
    cfn("IAMG-103", "violating", "iamg_103_violating_external_id_only_in_prod.yaml",
        ("IAMG-103", "VendorRole", 19, doc("VendorRole", ".Statement[0].Principal.AWS")), **TRUSTED_PARTNER),
    cfn("IAMG-103", "violating", "iamg_103_violating_external_id_empty_default.yaml",
        ("IAMG-103", "VendorRole", 18, doc("VendorRole", ".Statement[0].Principal.AWS")),
        # The branch with the condition is taken only for a value other than the default "";
        # there the ExternalId comes from the deployer, and restricts (Amendments).
        label="empty-default", **TRUSTED_PARTNER),
    # The ExternalId is a parameter without default: a restricting ExternalId whose secret the
    # deployer supplies (Amendments: no IAMG-103, no IAMG-001).
    cfn("IAMG-103", "clean", "iamg_103_clean_external_id_parameter.yaml", **TRUSTED_PARTNER),
    # IAMG-104: require_mfa: all covers a partner role even with an ExternalId.
    cfn("IAMG-104", "violating", "iamg_104_violating_require_mfa_all.json",
        ("IAMG-104", "PartnerOpsRole", 14, doc("PartnerOpsRole", ".Statement[0].Principal.AWS")),
        require_mfa="all", **TRUSTED_PARTNER),
    # MFA through Deny + BoolIfExists MultiFactorAuthPresent false; the whole account remains.
    cfn("IAMG-104", "clean", "iamg_104_clean_deny_without_mfa.yaml",
        ("IAMG-105", "BreakGlassRole", 14, doc("BreakGlassRole", ".Statement[0].Principal.AWS")),
        **INTERNAL_SECURITY),
    # IAMG-105: an unquoted 12-digit account id stays that account.
    cfn("IAMG-105", "violating", "iamg_105_violating_unquoted_account_id.yaml",
        ("IAMG-105", "PartnerRole", 12, doc("PartnerRole", ".Statement[0].Principal.AWS")), **TRUSTED_PARTNER),
    cfn("IAMG-105", "clean", "iamg_105_clean_root_narrowed_to_role.json", **TRUSTED_PARTNER),
    # IAMG-106
    cfn("IAMG-106", "violating", "iamg_106_violating_allow_not_principal.yaml",
        ("IAMG-106", "DataExportRole", 12, doc("DataExportRole", ".Statement[0].NotPrincipal"))),
    cfn("IAMG-106", "clean", "iamg_106_clean_principal.yaml"),
    # IAMG-107: NotAction with Allow.
    cfn("IAMG-107", "violating", "iamg_107_violating_not_action.json",
        ("IAMG-107", "OpsRole", 18, doc("OpsRole", ".Statement[0].NotAction"))),
    cfn("IAMG-107", "clean", "iamg_107_clean_set_source_identity.yaml"),
    # IAMG-108: ForAllValues on the GitHub subject: weak, but present (so not IAMG-201, D.67).
    cfn("IAMG-108", "violating", "iamg_108_violating_for_all_values_subject.yaml",
        ("IAMG-108", "GitHubDeployRole", 24,
         doc("GitHubDeployRole", ".Statement[0].Condition['ForAllValues:StringLike']" + SUB))),
    # ForAnyValue on a key that is present restricts (D.49).
    cfn("IAMG-108", "clean", "iamg_108_clean_for_any_value_org.json", trusted_org_ids=[ORG]),
    # IAMG-109: a CanonicalUser copied from a bucket ACL.
    cfn("IAMG-109", "violating", "iamg_109_violating_canonical_user.json",
        ("IAMG-109", "LogReaderRole", 14, doc("LogReaderRole", ".Statement[0].Principal.CanonicalUser"))),
    cfn("IAMG-109", "clean", "iamg_109_clean_role_with_path.yaml", **TRUSTED_PARTNER),
    # IAMG-110: SSM beside the exempt EC2 in one Service list.
    cfn("IAMG-110", "violating", "iamg_110_violating_service_list.yaml",
        ("IAMG-110", "ManagedInstanceRole", 13, doc("ManagedInstanceRole", ".Statement[0].Principal.Service[0]"))),
    cfn("IAMG-110", "clean", "iamg_110_clean_source_account.json"),
    # IAMG-111: an AWS principal with the web identity action.
    cfn("IAMG-111", "violating", "iamg_111_violating_web_identity_for_aws_principal.yaml",
        ("IAMG-111", "ReportingRole", 12, doc("ReportingRole", ".Statement[0].Principal.AWS"))),
    cfn("IAMG-111", "clean", "iamg_111_clean_github_web_identity.yaml"),
    # IAMG-112: MFA demanded of a service principal, which never has it.
    cfn("IAMG-112", "violating", "iamg_112_violating_mfa_on_service.yaml",
        ("IAMG-112", "ReportFunctionRole", 16, doc("ReportFunctionRole", ".Statement[0].Condition.Bool['aws:MultiFactorAuthPresent']"))),
    cfn("IAMG-112", "clean", "iamg_112_clean_mfa_on_people.yaml"),
    # IAMG-201: GitLab with the audience only.
    cfn("IAMG-201", "violating", "iamg_201_violating_gitlab_audience_only.yaml",
        ("IAMG-201", "GitLabDeployRole", 12, doc("GitLabDeployRole", ".Statement[0].Principal.Federated"))),
    # Cognito's subject is the identity pool in :aud.
    cfn("IAMG-201", "clean", "iamg_201_clean_cognito_identity_pool.json"),
    # IAMG-202: HCP Terraform with any organization.
    cfn("IAMG-202", "violating", "iamg_202_violating_terraform_cloud_any_organization.yaml",
        ("IAMG-202", "TerraformCloudRole", 18,
         doc("TerraformCloudRole", ".Statement[0].Condition.StringLike['app.terraform.io:sub']"))),
    cfn("IAMG-202", "clean", "iamg_202_clean_terraform_cloud_one_organization.yaml"),
    # IAMG-203: SAML without SAML:aud.
    cfn("IAMG-203", "violating", "iamg_203_violating_saml_without_audience.json",
        ("IAMG-203", "SsoReadOnlyRole", 14, doc("SsoReadOnlyRole", ".Statement[0].Principal.Federated"))),
    cfn("IAMG-203", "clean", "iamg_203_clean_saml_audience.yaml"),
    # IAMG-301: a GitHub Actions role (federated: externally assumable) with an inline "*" on "*";
    # a SAM function whose generated role a partner may assume, with AdministratorAccess by name.
    cfn("IAMG-301", "violating", "iamg_301_violating_github_role_inline_admin.yaml",
        ("IAMG-301", "GitHubDeployRole", 27, res("GitHubDeployRole", ".Properties.Policies[0].PolicyDocument")),
        # `*` on `*` is an assume grant on every role as well (Amendments, IAMG-304).
        ("IAMG-304", "GitHubDeployRole", 32, res("GitHubDeployRole", ".Properties.Policies[0].PolicyDocument.Statement[0].Resource"))),
    cfn("IAMG-301", "violating", "iamg_301_violating_sam_function_role.yaml",
        ("IAMG-301", "PartnerWebhook", 22, res("PartnerWebhook", ".Properties.Policies[0]")), label="sam",
        **TRUSTED_PARTNER),
    # AdministratorAccess capped by a boundary of the template.
    cfn("IAMG-301", "clean", "iamg_301_clean_boundary_caps_admin.yaml"),
    # IAMG-302: an AWS::IAM::Policy naming the role by !Ref grants iam:AttachRolePolicy on "*".
    cfn("IAMG-302", "violating", "iamg_302_violating_saml_role_attach_policy.yaml",
        # The policy resource's Roles entry naming the role (Amendments, Locations).
        ("IAMG-302", "SupportRole", 23, res("SupportRolePolicy", ".Properties.Roles[0]"))),
    cfn("IAMG-302", "clean", "iamg_302_clean_pass_role_scoped.json"),
    # IAMG-303: Allow + NotAction iam:* on "*" is near-admin, and it allows sts:AssumeRole on
    # "*" too (IAMG-304).
    cfn("IAMG-303", "violating", "iamg_303_violating_not_action_everything_but_iam.json",
        ("IAMG-303", "BuildAgentRole", 23, res("BuildAgentRole", ".Properties.Policies[0].PolicyDocument")),
        ("IAMG-304", "BuildAgentRole", 29,
         res("BuildAgentRole", ".Properties.Policies[0].PolicyDocument.Statement[0].Resource"))),
    cfn("IAMG-303", "clean", "iamg_303_clean_read_only.yaml"),
    # IAMG-304: every role of the stack's account, for a group.
    cfn("IAMG-304", "violating", "iamg_304_violating_every_role_of_account.yaml",
        ("IAMG-304", "OperatorsSwitchRole", 18,
         res("OperatorsSwitchRole", ".Properties.PolicyDocument.Statement[0].Resource"))),
    cfn("IAMG-304", "clean", "iamg_304_clean_named_roles.json"),
    # IAMG-401: "14400" written as a string, above a configured 7200.
    cfn("IAMG-401", "violating", "iamg_401_violating_string_session.yaml",
        ("IAMG-401", "GitHubReleaseRole", 13, res("GitHubReleaseRole", ".Properties.MaxSessionDuration")),
        max_session_seconds=7200),
    # !Ref of a parameter whose default is 3600.
    cfn("IAMG-401", "clean", "iamg_401_clean_parameter_default.yaml", **TRUSTED_PARTNER),
    # IAMG-402: no boundary (the finding is the role); the clean boundary is built with
    # ${AWS::AccountId}, which own_accounts names.
    cfn("IAMG-402", "violating", "iamg_402_violating_no_boundary.json",
        ("IAMG-402", "GitHubDeployRole", 5, res("GitHubDeployRole")), **CFN_BOUNDARIES),
    cfn("IAMG-402", "clean", "iamg_402_clean_allowed_boundary.yaml", **CFN_BOUNDARIES),
]

CASES = TERRAFORM + CLOUDFORMATION


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_rule_on_input_kind(case: Case) -> None:
    report = scan([case.path], config_from_mapping(case.config))
    assert report.errors == ()
    assert report.scanned_files == (str(case.path),)
    assert report.documents >= 1  # something was evaluated: a clean verdict is not vacuous
    found = sorted((v.rule_id, v.resource, v.line, v.path) for v in report.violations)
    assert found == sorted(case.expected)
    rules = {v.rule_id for v in report.violations}
    if case.verdict == "violating":
        assert case.rule in rules
    else:
        assert case.rule not in rules


def test_the_table_is_consistent() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    for case in CASES:
        assert case.kind in KINDS and case.verdict in VERDICTS, case.id
        assert case.path.is_file(), case.id
        # Fixture names say what they are for: iamg_103_violating_..., iamg_103_clean_...
        assert case.fixture.startswith(f"{case.rule.lower().replace('-', '_')}_{case.verdict}_"), case.id
        expected_rules = {rule for rule, _, _, _ in case.expected}
        assert (case.rule in expected_rules) == (case.verdict == "violating"), case.id
        for rule, _, line, path in case.expected:
            assert rule.startswith("IAMG-") and line >= 1, case.id
            assert path.startswith(PATH_PREFIXES[case.kind]), (case.id, path)
        config_from_mapping(case.config)  # a typo in a key must not silently drop a setting


def test_every_fixture_is_used_by_a_case() -> None:
    on_disk = {p.relative_to(FIXTURES).as_posix() for p in FIXTURES.rglob("*") if p.is_file()}
    used = {f"{c.kind}/{c.fixture}" for c in CASES}
    assert sorted(on_disk - used) == []


def test_every_catalogue_rule_has_both_verdicts_on_both_kinds() -> None:
    catalogue = {rule.rule_id for rule in load_policy_set().rules}
    covered = catalogue - NOT_COVERED_HERE
    have = {(c.rule, c.kind, c.verdict) for c in CASES}
    missing = [f"{rule}-{kind}-{verdict}" for rule in sorted(covered) for kind in KINDS for verdict in VERDICTS
               if (rule, kind, verdict) not in have]
    assert missing == [], f"rules without a case per input kind and verdict: {missing}"
    assert sorted({c.rule for c in CASES} - catalogue) == [], "cases for rules that are not in the catalogue"
