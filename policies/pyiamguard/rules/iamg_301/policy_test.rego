# IAMG-301 admin-on-external-role. Own account 111122223333, foreign 444455556666
# (semantics C.5.8, C.6, C.7, D.75-D.78).
package pyiamguard.rules.iamg_301_test

import rego.v1

import data.pyiamguard.lib.testdata_test as td
import data.pyiamguard.rules.iamg_301

own := td.config({"own_accounts": ["111122223333"]})

internal := td.config({"own_accounts": ["111122223333"], "internal_accounts": ["444455556666"]})

trusted_org := td.config({"own_accounts": ["111122223333"], "trusted_org_ids": ["o-trusted1"]})

# "Principal": "*" may assume the role.
open_trust := td.trust([td.allow("s0", [td.star("p1")], [])])

open_role(policies) := td.with_role(open_trust, td.role_section(policies))

finding(policy, origin) := {{"ref": policy, "facts": {"principal": "p1", "origin": origin, "boundary": "none"}}}

# --- AWS-managed admin policies (D.75, D.76) ------------------------------------------------

admin_access := open_role([td.managed("q2", "managed", "arn:aws:iam::aws:policy/AdministratorAccess")])

admin_access_govcloud := open_role([td.managed("q2", "managed", "arn:aws-us-gov:iam::aws:policy/AdministratorAccess")])

admin_access_china := open_role([td.managed("q2", "managed", "arn:aws-cn:iam::aws:policy/AdministratorAccess")])

# The name is the last path segment of the ARN, whatever the path.
admin_access_with_path := open_role([td.managed("q2", "managed", "arn:aws:iam::aws:policy/job-function/AdministratorAccess")])

iam_full_access := open_role([td.managed("q2", "managed", "arn:aws:iam::aws:policy/IAMFullAccess")])

# job-function/SystemAdministrator is not AdministratorAccess (D.76).
system_administrator := open_role([td.managed("q2", "managed", "arn:aws:iam::aws:policy/job-function/SystemAdministrator")])

power_user := open_role([td.managed("q2", "managed", "arn:aws:iam::aws:policy/PowerUserAccess")])

# A customer-managed policy that happens to be called AdministratorAccess, defined outside the
# scan: not the AWS-managed one, and its content is unknown.
customer_named_admin := open_role([td.managed("q2", "managed", "arn:aws:iam::111122223333:policy/AdministratorAccess")])

attached_admin := open_role([td.managed("q2", "attachment", "arn:aws:iam::aws:policy/AdministratorAccess")])

policy_attachment_admin := open_role([td.managed("q2", "policy_attachment", "arn:aws:iam::aws:policy/AdministratorAccess")])

test_administrator_access_fires if {
	iamg_301.deny == finding("q2", "managed") with input as admin_access
}

test_administrator_access_govcloud_fires if {
	iamg_301.deny == finding("q2", "managed") with input as admin_access_govcloud
}

test_administrator_access_china_fires if {
	iamg_301.deny == finding("q2", "managed") with input as admin_access_china
}

test_administrator_access_with_path_fires if {
	iamg_301.deny == finding("q2", "managed") with input as admin_access_with_path
}

test_iam_full_access_fires if {
	iamg_301.deny == finding("q2", "managed") with input as iam_full_access
}

test_attachment_fires_with_its_origin if {
	iamg_301.deny == finding("q2", "attachment") with input as attached_admin
}

test_policy_attachment_fires_with_its_origin if {
	iamg_301.deny == finding("q2", "policy_attachment") with input as policy_attachment_admin
}

test_system_administrator_is_clean if {
	count(iamg_301.deny) == 0 with input as system_administrator
}

test_power_user_is_clean if {
	count(iamg_301.deny) == 0 with input as power_user
}

test_customer_policy_named_administrator_access_is_clean if {
	count(iamg_301.deny) == 0 with input as customer_named_admin
}

# --- admin-equivalent statements (C.5.8, D.77) ----------------------------------------------

inline_admin(statements) := open_role([td.inline_policy("q2", "inline", statements)])

star_on_star := inline_admin([td.allow_on("s3", ["*"], ["*"])])

star_colon_star := inline_admin([td.allow_on("s3", ["*:*"], ["*"])])

iam_star := inline_admin([td.allow_on("s3", ["iam:*"], ["*"])])

iam_star_upper_case := inline_admin([td.allow_on("s3", ["IAM:*"], ["*"])])

# Allow NotAction ["iam:*"] on "*": every action of every other service (D.77).
not_action_on_star := inline_admin([td.allow_except_on("s3", ["iam:*"], ["*"])])

# Allow "*" on everything but one bucket.
star_not_resource := inline_admin([td.allow_not_on("s3", ["*"], ["arn:aws:s3:::audit-logs/*"])])

# "*" hidden in a Resource list.
star_among_resources := inline_admin([td.allow_on("s3", ["*"], ["arn:aws:s3:::data", "*"])])

star_on_bucket := inline_admin([td.allow_on("s3", ["*"], ["arn:aws:s3:::data/*"])])

s3_star_on_star := inline_admin([td.allow_on("s3", ["s3:*", "ec2:Describe*"], ["*"])])

iam_read_on_star := inline_admin([td.allow_on("s3", ["iam:Get*", "iam:List*"], ["*"])])

role_policy_admin := open_role([td.inline_policy("q2", "role_policy", [td.allow_on("s3", ["*"], ["*"])])])

# A customer-managed policy defined in the scan and attached to the role.
scanned_admin := open_role([td.scanned_policy("q2", "attachment", "arn:aws:iam::111122223333:policy/ops/Everything", [
	td.allow_on("s3", ["*"], ["*"]),
])])

unresolved_policy := open_role([td.unresolved_policy("q2", "inline")])

test_star_on_star_fires if {
	iamg_301.deny == finding("q2", "inline") with input as star_on_star
}

test_star_colon_star_fires if {
	iamg_301.deny == finding("q2", "inline") with input as star_colon_star
}

test_iam_star_fires if {
	iamg_301.deny == finding("q2", "inline") with input as iam_star
}

test_iam_star_in_upper_case_fires if {
	iamg_301.deny == finding("q2", "inline") with input as iam_star_upper_case
}

test_not_action_on_star_fires if {
	iamg_301.deny == finding("q2", "inline") with input as not_action_on_star
}

test_not_resource_fires if {
	iamg_301.deny == finding("q2", "inline") with input as star_not_resource
}

test_star_among_resources_fires if {
	iamg_301.deny == finding("q2", "inline") with input as star_among_resources
}

test_role_policy_fires if {
	iamg_301.deny == finding("q2", "role_policy") with input as role_policy_admin
}

test_scanned_customer_policy_fires if {
	iamg_301.deny == finding("q2", "attachment") with input as scanned_admin
}

test_star_on_one_bucket_is_clean if {
	count(iamg_301.deny) == 0 with input as star_on_bucket
}

test_service_wildcards_on_star_are_clean if {
	count(iamg_301.deny) == 0 with input as s3_star_on_star
}

test_iam_read_on_star_is_clean if {
	count(iamg_301.deny) == 0 with input as iam_read_on_star
}

# Unknown statically: IAMG-001 reports it.
test_unresolved_policy_is_clean if {
	count(iamg_301.deny) == 0 with input as unresolved_policy
}

# Every admin policy of the role is a finding.
two_admin_policies := open_role([
	td.managed("q2", "managed", "arn:aws:iam::aws:policy/AdministratorAccess"),
	td.inline_policy("q3", "inline", [td.allow_on("s4", ["*"], ["*"])]),
])

test_every_admin_policy_fires if {
	iamg_301.deny == (finding("q2", "managed") | finding("q3", "inline")) with input as two_admin_policies
}

# --- explicit Deny (C.5.8: subtract a Deny that covers the whole grant; C.6) ----------------

deny_all_in_policy := inline_admin([td.allow_on("s3", ["*"], ["*"]), td.deny_on("s4", ["*"], ["*"])])

# A Deny with a condition applies only sometimes.
conditional_deny_all := inline_admin([
	td.allow_on("s3", ["*"], ["*"]),
	td.grant("s4", "Deny", "Action", ["*"], "Resource", ["*"], [td.cond("c5", "Bool", "aws:MultiFactorAuthPresent", ["false"])]),
])

# A Deny of one service leaves the rest of "*".
deny_one_service := inline_admin([td.allow_on("s3", ["*"], ["*"]), td.deny_on("s4", ["s3:*"], ["*"])])

test_deny_everything_in_the_policy_is_clean if {
	count(iamg_301.deny) == 0 with input as deny_all_in_policy
}

test_conditional_deny_still_fires if {
	iamg_301.deny == finding("q2", "inline") with input as conditional_deny_all
}

test_partial_deny_still_fires if {
	iamg_301.deny == finding("q2", "inline") with input as deny_one_service
}

# An explicit Deny in any policy of the role overrides every Allow (C.6): AdministratorAccess
# plus an inline policy denying "*" on "*" grants nothing.
# Regression: denies_everything once looked inside the admin policy itself only.
deny_all_in_another_policy := open_role([
	td.managed("q2", "managed", "arn:aws:iam::aws:policy/AdministratorAccess"),
	td.inline_policy("q3", "inline", [td.deny_on("s4", ["*"], ["*"])]),
])

test_deny_everything_in_another_policy_is_clean if {
	count(iamg_301.deny) == 0 with input as deny_all_in_another_policy
}

# --- permissions boundary (C.5.8, D.78) -----------------------------------------------------

admin_access_with(boundary) := td.with_role(
	open_trust,
	td.with_boundary(td.role_section([td.managed("q2", "managed", "arn:aws:iam::aws:policy/AdministratorAccess")]), boundary),
)

capped_by_power_user := admin_access_with(td.managed("q3", "boundary", "arn:aws:iam::aws:policy/PowerUserAccess"))

capped_by_scanned_boundary := admin_access_with(td.scanned_policy("q3", "boundary", "arn:aws:iam::111122223333:policy/S3Only", [
	td.allow_on("s4", ["s3:*"], ["*"]),
]))

admin_boundary := admin_access_with(td.managed("q3", "boundary", "arn:aws:iam::aws:policy/AdministratorAccess"))

scanned_admin_boundary := admin_access_with(td.scanned_policy("q3", "boundary", "arn:aws:iam::111122223333:policy/Open", [
	td.allow_on("s4", ["*"], ["*"]),
]))

unresolved_boundary := admin_access_with(td.unresolved_policy("q3", "boundary"))

external_boundary := admin_access_with(td.managed("q3", "boundary", "arn:aws:iam::111122223333:policy/Boundary"))

finding_with_boundary(state) := {{"ref": "q2", "facts": {"principal": "p1", "origin": "managed", "boundary": state}}}

test_known_non_admin_boundary_caps if {
	count(iamg_301.deny) == 0 with input as capped_by_power_user
}

test_scanned_non_admin_boundary_caps if {
	count(iamg_301.deny) == 0 with input as capped_by_scanned_boundary
}

test_admin_boundary_does_not_cap if {
	iamg_301.deny == finding_with_boundary("known") with input as admin_boundary
}

test_scanned_admin_boundary_does_not_cap if {
	iamg_301.deny == finding_with_boundary("known") with input as scanned_admin_boundary
}

# Unknown content caps nothing (IAMG-001 reports the unresolved one).
test_unresolved_boundary_does_not_cap if {
	iamg_301.deny == finding_with_boundary("unresolved") with input as unresolved_boundary
}

test_external_boundary_does_not_cap if {
	iamg_301.deny == finding_with_boundary("external") with input as external_boundary
}

# --- who may assume the role (C.7, rules spec "externally assumable role") ------------------

admin_role_trusting(statements) := td.with_role(
	td.trust(statements),
	td.role_section([td.managed("q2", "managed", "arn:aws:iam::aws:policy/AdministratorAccess")]),
)

any_aws := admin_role_trusting([td.allow("s0", [td.any_aws("p1")], [])])

foreign_root := admin_role_trusting([td.allow("s0", [td.root("p1", "aws", "444455556666")], [])])

foreign_role := admin_role_trusting([td.allow("s0", [td.role("p1", "444455556666", "ci")], [
	td.cond("c2", "StringEquals", "sts:ExternalId", ["s3cr3t"]),
])])

own_root := admin_role_trusting([td.allow("s0", [td.root("p1", "aws", "111122223333")], [])])

github := admin_role_trusting([td.allow_actions("s0", [td.github_oidc("p1", "111122223333")], ["sts:AssumeRoleWithWebIdentity"], [
	td.cond("c3", "StringLike", "token.actions.githubusercontent.com:sub", ["repo:acme/app:*"]),
])])

saml := admin_role_trusting([td.allow_actions("s0", [td.saml("p1", "111122223333", "Okta")], ["sts:AssumeRoleWithSAML"], [
	td.cond("c3", "StringEquals", "SAML:aud", ["https://signin.aws.amazon.com/saml"]),
])])

ec2 := admin_role_trusting([td.allow("s0", [td.service("p1", "ec2.amazonaws.com")], [])])

# {"AWS": "*"} confined to the own account, to a foreign account, to a trusted or another org.
star_in_own_account := admin_role_trusting([td.allow("s0", [td.any_aws("p1")], [
	td.cond("c2", "StringEquals", "aws:PrincipalAccount", ["111122223333"]),
])])

star_in_foreign_account := admin_role_trusting([td.allow("s0", [td.any_aws("p1")], [
	td.cond("c2", "StringEquals", "aws:PrincipalAccount", ["444455556666"]),
])])

star_in_trusted_org := admin_role_trusting([td.allow("s0", [td.any_aws("p1")], [
	td.cond("c2", "StringEquals", "aws:PrincipalOrgID", ["o-trusted1"]),
])])

star_in_other_org := admin_role_trusting([td.allow("s0", [td.any_aws("p1")], [
	td.cond("c2", "StringEquals", "aws:PrincipalOrgID", ["o-other99"]),
])])

# An IfExists org condition confines nothing (C.5.1).
star_in_org_if_exists := admin_role_trusting([td.allow("s0", [td.any_aws("p1")], [
	td.cond("c2", "StringEqualsIfExists", "aws:PrincipalOrgID", ["o-trusted1"]),
])])

# A trust statement that grants no assume action.
tag_session_only := admin_role_trusting([td.allow_actions("s0", [td.star("p1")], ["sts:TagSession"], [])])

test_any_aws_fires if {
	iamg_301.deny == finding("q2", "managed") with input as any_aws with data.pyiamguard.config as own
}

test_cross_account_root_fires if {
	iamg_301.deny == finding("q2", "managed") with input as foreign_root with data.pyiamguard.config as own
}

# An ExternalId does not make a third party internal.
test_cross_account_role_with_external_id_fires if {
	iamg_301.deny == finding("q2", "managed") with input as foreign_role with data.pyiamguard.config as own
}

# Own account unknown: an explicit account is foreign (rules spec, "own account").
test_explicit_account_with_own_account_unknown_fires if {
	iamg_301.deny == finding("q2", "managed") with input as own_root
}

test_github_oidc_fires if {
	iamg_301.deny == finding("q2", "managed") with input as github with data.pyiamguard.config as own
}

test_saml_fires if {
	iamg_301.deny == finding("q2", "managed") with input as saml with data.pyiamguard.config as own
}

# The effective principal of a confined wildcard is the condition (its ref).
test_wildcard_confined_to_foreign_account_fires if {
	iamg_301.deny == {{"ref": "q2", "facts": {"principal": "c2", "origin": "managed", "boundary": "none"}}} with input as star_in_foreign_account
		with data.pyiamguard.config as own
}

test_wildcard_confined_to_untrusted_org_fires if {
	iamg_301.deny == {{"ref": "q2", "facts": {"principal": "c2", "origin": "managed", "boundary": "none"}}} with input as star_in_other_org
		with data.pyiamguard.config as trusted_org
}

test_wildcard_org_if_exists_fires if {
	iamg_301.deny == finding("q2", "managed") with input as star_in_org_if_exists with data.pyiamguard.config as trusted_org
}

# Not externally assumable: IAMG-303 reports these.
test_own_account_root_is_clean if {
	count(iamg_301.deny) == 0 with input as own_root with data.pyiamguard.config as own
}

test_internal_account_is_clean if {
	count(iamg_301.deny) == 0 with input as foreign_root with data.pyiamguard.config as internal
}

test_service_principal_is_clean if {
	count(iamg_301.deny) == 0 with input as ec2 with data.pyiamguard.config as own
}

test_wildcard_confined_to_own_account_is_clean if {
	count(iamg_301.deny) == 0 with input as star_in_own_account with data.pyiamguard.config as own
}

test_wildcard_confined_to_trusted_org_is_clean if {
	count(iamg_301.deny) == 0 with input as star_in_trusted_org with data.pyiamguard.config as trusted_org
}

test_no_assume_action_is_clean if {
	count(iamg_301.deny) == 0 with input as tag_session_only
}

# A named cross-account principal confined to a trusted organization: the rules spec defines
# an externally assumable role as one assumable "without a restricting condition that confines
# it to the own account or organization" (IAMG-102 and IAMG-103 accept the same condition).
# Regression: permissions.outsider once ignored org conditions on named principals.
foreign_root_in_trusted_org := admin_role_trusting([td.allow("s0", [td.root("p1", "aws", "444455556666")], [
	td.cond("c2", "StringEquals", "aws:PrincipalOrgID", ["o-trusted1"]),
])])

test_cross_account_confined_to_trusted_org_is_clean if {
	count(iamg_301.deny) == 0 with input as foreign_root_in_trusted_org with data.pyiamguard.config as trusted_org
}

# Allow + NotPrincipal admits everyone except the named principals: a wildcard for risk (C.5.10).
# The finding names the NotPrincipal element. Regression: trust.allows_assume needs a Principal
# element, so the role was not externally assumable (IAMG-303 fired instead).
not_principal := admin_role_trusting([td.with_not_principal(td.allow("s0", [td.role("p1", "111122223333", "admin")], []))])

test_allow_not_principal_fires if {
	iamg_301.deny == {{"ref": "q2", "facts": {"principal": "e01", "origin": "managed", "boundary": "none"}}} with input as not_principal
		with data.pyiamguard.config as own
}

# --- documents without a role section -------------------------------------------------------

# A raw trust document: the role's permissions are unknown.
test_trust_without_role_is_clean if {
	count(iamg_301.deny) == 0 with input as open_trust
}

# IAMG-303 covers identity policies of roles outside the scan.
role_inline_admin := td.role_inline([td.allow_on("s0", ["*"], ["*"])])

test_identity_policy_is_clean if {
	count(iamg_301.deny) == 0 with input as role_inline_admin
}
