# IAMG-303 admin-on-role. Own account 111122223333, foreign 444455556666 (semantics C.5.8, C.7,
# D.75-D.78).
package pyiamguard.rules.iamg_303_test

import rego.v1

import data.pyiamguard.lib.testdata_test as td
import data.pyiamguard.rules.iamg_303

own := td.config({"own_accounts": ["111122223333"]})

internal := td.config({"own_accounts": ["111122223333"], "internal_accounts": ["444455556666"]})

trusted_org := td.config({"own_accounts": ["111122223333"], "trusted_org_ids": ["o-trusted1"]})

admin_access := td.managed("q2", "managed", "arn:aws:iam::aws:policy/AdministratorAccess")

role_trusting(statements, policies) := td.with_role(td.trust(statements), td.role_section(policies))

ec2_trust := [td.allow("s0", [td.service("p1", "ec2.amazonaws.com")], [])]

# --- roles that are not externally assumable ------------------------------------------------

ec2_admin := role_trusting(ec2_trust, [admin_access])

ec2_admin_govcloud := role_trusting(ec2_trust, [td.managed("q2", "managed", "arn:aws-us-gov:iam::aws:policy/AdministratorAccess")])

ec2_iam_full_access := role_trusting(ec2_trust, [td.managed("q2", "attachment", "arn:aws:iam::aws:policy/IAMFullAccess")])

own_root_admin := role_trusting([td.allow("s0", [td.root("p1", "aws", "111122223333")], [])], [
	td.inline_policy("q2", "inline", [td.allow_on("s3", ["*"], ["*"])]),
])

internal_admin := role_trusting([td.allow("s0", [td.root("p1", "aws", "444455556666")], [])], [
	td.inline_policy("q2", "role_policy", [td.allow_except_on("s3", ["iam:*"], ["*"])]),
])

org_admin := role_trusting([td.allow("s0", [td.any_aws("p1")], [td.cond("c2", "StringEquals", "aws:PrincipalOrgID", ["o-trusted1"])])], [
	td.inline_policy("q3", "inline", [td.allow_on("s4", ["iam:*"], ["*"])]),
])

test_service_role_with_administrator_access_fires if {
	iamg_303.deny == {{"ref": "q2", "facts": {"origin": "managed"}}} with input as ec2_admin with data.pyiamguard.config as own
}

test_govcloud_administrator_access_fires if {
	iamg_303.deny == {{"ref": "q2", "facts": {"origin": "managed"}}} with input as ec2_admin_govcloud with data.pyiamguard.config as own
}

test_iam_full_access_fires if {
	iamg_303.deny == {{"ref": "q2", "facts": {"origin": "attachment"}}} with input as ec2_iam_full_access with data.pyiamguard.config as own
}

test_own_account_star_on_star_fires if {
	iamg_303.deny == {{"ref": "q2", "facts": {"origin": "inline"}}} with input as own_root_admin with data.pyiamguard.config as own
}

test_internal_account_not_action_fires if {
	iamg_303.deny == {{"ref": "q2", "facts": {"origin": "role_policy"}}} with input as internal_admin with data.pyiamguard.config as internal
}

test_trusted_org_iam_star_fires if {
	iamg_303.deny == {{"ref": "q3", "facts": {"origin": "inline"}}} with input as org_admin with data.pyiamguard.config as trusted_org
}

# --- clean: externally assumable (IAMG-301), capped, not admin, no role -------------------

open_admin := role_trusting([td.allow("s0", [td.star("p1")], [])], [admin_access])

foreign_admin := role_trusting([td.allow("s0", [td.root("p1", "aws", "444455556666")], [])], [admin_access])

capped := td.with_role(td.trust(ec2_trust), td.with_boundary(
	td.role_section([admin_access]),
	td.managed("q4", "boundary", "arn:aws:iam::aws:policy/PowerUserAccess"),
))

admin_boundary := td.with_role(td.trust(ec2_trust), td.with_boundary(
	td.role_section([admin_access]),
	td.managed("q4", "boundary", "arn:aws:iam::aws:policy/AdministratorAccess"),
))

ec2_read_only := role_trusting(ec2_trust, [
	td.managed("q2", "managed", "arn:aws:iam::aws:policy/ReadOnlyAccess"),
	td.inline_policy("q3", "inline", [td.allow_on("s4", ["*"], ["arn:aws:s3:::data/*"])]),
])

ec2_denied := role_trusting(ec2_trust, [td.inline_policy("q2", "inline", [
	td.allow_on("s3", ["*"], ["*"]),
	td.deny_on("s4", ["*"], ["*"]),
])])

test_externally_assumable_role_is_clean if {
	count(iamg_303.deny) == 0 with input as open_admin with data.pyiamguard.config as own
}

test_cross_account_role_is_clean if {
	count(iamg_303.deny) == 0 with input as foreign_admin with data.pyiamguard.config as own
}

test_known_non_admin_boundary_caps if {
	count(iamg_303.deny) == 0 with input as capped with data.pyiamguard.config as own
}

test_admin_boundary_does_not_cap if {
	iamg_303.deny == {{"ref": "q2", "facts": {"origin": "managed"}}} with input as admin_boundary with data.pyiamguard.config as own
}

test_non_admin_permissions_are_clean if {
	count(iamg_303.deny) == 0 with input as ec2_read_only with data.pyiamguard.config as own
}

test_deny_everything_is_clean if {
	count(iamg_303.deny) == 0 with input as ec2_denied with data.pyiamguard.config as own
}

ec2_trust_only := td.trust(ec2_trust)

test_trust_without_role_is_clean if {
	count(iamg_303.deny) == 0 with input as ec2_trust_only
}

# --- inline policies of roles outside the scan (context.owner "role") ----------------------

role_inline_star := td.role_inline([td.allow_on("s0", ["*"], ["*"])])

role_inline_not_action := td.role_inline([
	td.allow_on("s0", ["s3:GetObject"], ["arn:aws:s3:::data/*"]),
	td.allow_except_on("s1", ["iam:*", "organizations:*"], ["*"]),
])

role_inline_not_resource := td.role_inline([td.allow_not_on("s0", ["iam:*"], ["arn:aws:iam::111122223333:role/breakglass"])])

role_inline_denied := td.role_inline([td.allow_on("s0", ["*"], ["*"]), td.deny_on("s1", ["*"], ["*"])])

role_inline_scoped := td.role_inline([td.allow_on("s0", ["iam:*"], ["arn:aws:iam::111122223333:role/app-*"])])

# Not a role's policy: a managed policy or a user's inline policy.
managed_policy_star := td.identity([td.allow_on("s0", ["*"], ["*"])])

test_role_inline_star_fires if {
	iamg_303.deny == {{"ref": "s0", "facts": {"origin": "role_policy"}}} with input as role_inline_star
}

test_role_inline_not_action_fires if {
	iamg_303.deny == {{"ref": "s1", "facts": {"origin": "role_policy"}}} with input as role_inline_not_action
}

test_role_inline_not_resource_fires if {
	iamg_303.deny == {{"ref": "s0", "facts": {"origin": "role_policy"}}} with input as role_inline_not_resource
}

test_role_inline_deny_everything_is_clean if {
	count(iamg_303.deny) == 0 with input as role_inline_denied
}

test_role_inline_scoped_is_clean if {
	count(iamg_303.deny) == 0 with input as role_inline_scoped
}

test_identity_policy_without_owner_is_clean if {
	count(iamg_303.deny) == 0 with input as managed_policy_star
}

# `Allow iam:*` beside `Deny iam:*` on every resource in the same policy leaves nothing admin.
allow_and_deny_iam := role_trusting(ec2_trust, [td.inline_policy("q2", "inline", [
	td.allow_on("s3", ["iam:*"], ["*"]),
	td.deny_on("s4", ["iam:*"], ["*"]),
])])

test_admin_statement_cancelled_by_a_deny_of_the_same_actions_is_clean if {
	count(iamg_303.deny) == 0 with input as allow_and_deny_iam with data.pyiamguard.config as own
}

# A Deny of only part of what the statement grants leaves it admin.
allow_star_deny_iam := role_trusting(ec2_trust, [td.inline_policy("q2", "inline", [
	td.allow_on("s3", ["*"], ["*"]),
	td.deny_on("s4", ["iam:*"], ["*"]),
])])

test_admin_statement_partly_denied_fires if {
	iamg_303.deny == {{"ref": "q2", "facts": {"origin": "inline"}}} with input as allow_star_deny_iam with data.pyiamguard.config as own
}
