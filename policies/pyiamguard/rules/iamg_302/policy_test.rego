# IAMG-302 privilege-escalation-on-external-role. Own account 111122223333, foreign
# 444455556666 (semantics C.5.8, C.6).
package pyiamguard.rules.iamg_302_test

import rego.v1

import data.pyiamguard.lib.testdata_test as td
import data.pyiamguard.rules.iamg_302

own := td.config({"own_accounts": ["111122223333"]})

# "Principal": "*" may assume the role.
open_trust := td.trust([td.allow("s0", [td.star("p1")], [])])

# An externally assumable role with one inline policy.
open_role(statements) := td.with_role(open_trust, td.role_section([td.inline_policy("q2", "inline", statements)]))

finding(statement, action) := {{"ref": "q2", "facts": {"principal": "p1", "policy": "q2", "statement": statement, "action": action}}}

# --- escalation actions on every resource ---------------------------------------------------

pass_role := open_role([td.allow_on("s3", ["iam:PassRole", "ec2:RunInstances"], ["*"])])

put_star := open_role([td.allow_on("s3", ["iam:Put*"], ["*"])])

star_policy := open_role([td.allow_on("s3", ["iam:*Policy"], ["*"])])

attach_star_policy := open_role([td.allow_on("s3", ["iam:Attach*Policy"], ["*"])])

create_policy_version := open_role([td.allow_on("s3", ["iam:CreatePolicyVersion"], ["*"])])

update_assume_role_policy := open_role([td.allow_on("s3", ["iam:UpdateAssumeRolePolicy"], ["*"])])

# Patterns arrive lower-cased: IAM action names are case-insensitive.
pass_role_odd_case := open_role([td.allow_on("s3", ["IAM:passrole"], ["*"])])

# NotResource: every resource but the ones named.
pass_role_not_resource := open_role([td.allow_not_on("s3", ["iam:PassRole"], ["arn:aws:iam::111122223333:role/admin"])])

# "*" hidden among specific resources.
pass_role_star_among := open_role([td.allow_on("s3", ["iam:PassRole"], ["arn:aws:iam::111122223333:role/app", "*"])])

test_pass_role_on_star_fires if {
	iamg_302.deny == {{"ref": "q2", "facts": {"principal": "p1", "policy": "q2", "statement": "s3", "action": "iam:passrole"}}} with input as pass_role
}

test_put_wildcard_fires if {
	iamg_302.deny == finding("s3", "iam:put*") with input as put_star
}

test_star_policy_wildcard_fires if {
	iamg_302.deny == finding("s3", "iam:*policy") with input as star_policy
}

test_attach_policy_wildcard_fires if {
	iamg_302.deny == finding("s3", "iam:attach*policy") with input as attach_star_policy
}

test_create_policy_version_fires if {
	iamg_302.deny == finding("s3", "iam:createpolicyversion") with input as create_policy_version
}

test_update_assume_role_policy_fires if {
	iamg_302.deny == finding("s3", "iam:updateassumerolepolicy") with input as update_assume_role_policy
}

test_odd_case_fires if {
	iamg_302.deny == {{"ref": "q2", "facts": {"principal": "p1", "policy": "q2", "statement": "s3", "action": "iam:passrole"}}} with input as pass_role_odd_case
}

test_not_resource_fires if {
	iamg_302.deny == {{"ref": "q2", "facts": {"principal": "p1", "policy": "q2", "statement": "s3", "action": "iam:passrole"}}} with input as pass_role_not_resource
}

test_star_among_resources_fires if {
	iamg_302.deny == {{"ref": "q2", "facts": {"principal": "p1", "policy": "q2", "statement": "s3", "action": "iam:passrole"}}} with input as pass_role_star_among
}

# One finding per statement, naming the first escalation pattern; each statement its own.
two_statements := open_role([
	td.allow_on("s3", ["iam:PutRolePolicy", "iam:PassRole"], ["*"]),
	td.allow_on("s4", ["iam:CreateAccessKey"], ["*"]),
])

test_each_escalating_statement_fires if {
	iamg_302.deny == (finding("s3", "iam:passrole") | finding("s4", "iam:createaccesskey")) with input as two_statements
}

# --- clean ---------------------------------------------------------------------------------

pass_role_on_one_role := open_role([td.allow_on("s3", ["iam:PassRole"], ["arn:aws:iam::111122223333:role/app"])])

put_on_own_roles := open_role([td.allow_on("s3", ["iam:Put*", "iam:*Policy"], ["arn:aws:iam::111122223333:role/app-*"])])

iam_read := open_role([td.allow_on("s3", ["iam:Get*", "iam:List*", "iam:Simulate*"], ["*"])])

# A Deny is not a grant.
deny_pass_role := open_role([td.deny_on("s3", ["iam:PassRole"], ["*"])])

# Allow + NotAction is admin-equivalent (D.77): IAMG-301, not here.
not_action := open_role([td.allow_except_on("s3", ["s3:*"], ["*"])])

test_pass_role_on_one_role_is_clean if {
	count(iamg_302.deny) == 0 with input as pass_role_on_one_role
}

test_policy_writes_on_named_roles_are_clean if {
	count(iamg_302.deny) == 0 with input as put_on_own_roles
}

test_iam_read_is_clean if {
	count(iamg_302.deny) == 0 with input as iam_read
}

test_deny_is_clean if {
	count(iamg_302.deny) == 0 with input as deny_pass_role
}

test_not_action_is_left_to_the_admin_rule if {
	count(iamg_302.deny) == 0 with input as not_action
}

# Admin-equivalent roles are IAMG-301: "iam:*" on "*", or AdministratorAccess beside PassRole.
iam_star := open_role([td.allow_on("s3", ["iam:*"], ["*"])])

admin_and_pass_role := td.with_role(open_trust, td.role_section([
	td.managed("q4", "managed", "arn:aws:iam::aws:policy/AdministratorAccess"),
	td.inline_policy("q2", "inline", [td.allow_on("s3", ["iam:PassRole"], ["*"])]),
]))

test_iam_star_is_left_to_the_admin_rule if {
	count(iamg_302.deny) == 0 with input as iam_star
}

test_admin_role_is_left_to_the_admin_rule if {
	count(iamg_302.deny) == 0 with input as admin_and_pass_role
}

# --- who may assume the role ----------------------------------------------------------------

pass_role_trusting(statements) := td.with_role(td.trust(statements), td.role_section([
	td.inline_policy("q2", "inline", [td.allow_on("s3", ["iam:PassRole"], ["*"])]),
]))

foreign_root := pass_role_trusting([td.allow("s0", [td.root("p1", "aws", "444455556666")], [])])

github := pass_role_trusting([td.allow_actions("s0", [td.github_oidc("p1", "111122223333")], ["sts:AssumeRoleWithWebIdentity"], [
	td.cond("c5", "StringLike", "token.actions.githubusercontent.com:sub", ["repo:acme/app:*"]),
])])

own_root := pass_role_trusting([td.allow("s0", [td.root("p1", "aws", "111122223333")], [])])

lambda := pass_role_trusting([td.allow("s0", [td.service("p1", "lambda.amazonaws.com")], [])])

test_cross_account_fires if {
	iamg_302.deny == finding("s3", "iam:passrole") with input as foreign_root with data.pyiamguard.config as own
}

test_github_oidc_fires if {
	iamg_302.deny == finding("s3", "iam:passrole") with input as github with data.pyiamguard.config as own
}

test_own_account_is_clean if {
	count(iamg_302.deny) == 0 with input as own_root with data.pyiamguard.config as own
}

test_service_principal_is_clean if {
	count(iamg_302.deny) == 0 with input as lambda with data.pyiamguard.config as own
}

# A raw trust document: no role section.
test_trust_without_role_is_clean if {
	count(iamg_302.deny) == 0 with input as open_trust
}

# --- permissions boundary (C.5.8) -----------------------------------------------------------

pass_role_with(boundary) := td.with_role(open_trust, td.with_boundary(
	td.role_section([td.inline_policy("q2", "inline", [td.allow_on("s3", ["iam:PassRole"], ["*"])])]),
	boundary,
))

capped_by_read_only := pass_role_with(td.managed("q4", "boundary", "arn:aws:iam::aws:policy/ReadOnlyAccess"))

admin_boundary := pass_role_with(td.managed("q4", "boundary", "arn:aws:iam::aws:policy/AdministratorAccess"))

unresolved_boundary := pass_role_with(td.unresolved_policy("q4", "boundary"))

test_known_non_admin_boundary_caps if {
	count(iamg_302.deny) == 0 with input as capped_by_read_only
}

test_admin_boundary_does_not_cap if {
	iamg_302.deny == finding("s3", "iam:passrole") with input as admin_boundary
}

test_unresolved_boundary_does_not_cap if {
	iamg_302.deny == finding("s3", "iam:passrole") with input as unresolved_boundary
}

# The boundary and the policy intersect (C.5.8): a boundary that itself allows iam:PassRole on
# "*" leaves the escalation in place.
# Regression: every known non-admin boundary once counted as a cap.
boundary_allowing_pass_role := pass_role_with(td.scanned_policy("q4", "boundary", "arn:aws:iam::111122223333:policy/Deploy", [
	td.allow_on("s5", ["iam:PassRole", "lambda:*"], ["*"]),
]))

test_boundary_allowing_the_escalation_does_not_cap if {
	iamg_302.deny == finding("s3", "iam:passrole") with input as boundary_allowing_pass_role
}

# --- explicit Deny (C.6: a Deny in any policy overrides the Allow) --------------------------

# Regression: escalation statements once ignored a Deny of "*" on "*" without conditions in
# the same policy (IAMG-301 honours it), so the Allow's "*" fired as an escalation.
pass_role_denied := open_role([td.allow_on("s3", ["iam:PassRole"], ["*"]), td.deny_on("s4", ["*"], ["*"])])

test_deny_everything_is_clean if {
	count(iamg_302.deny) == 0 with input as pass_role_denied
}

# The same Deny in another policy of the role (C.6: an explicit Deny in any policy wins), as
# IAMG-301 and IAMG-303 judge it.
pass_role_denied_elsewhere := td.with_role(open_trust, td.role_section([
	td.inline_policy("q2", "inline", [td.allow_on("s3", ["iam:PassRole"], ["*"])]),
	td.inline_policy("q4", "inline", [td.deny_on("s5", ["*"], ["*"])]),
]))

test_deny_everything_in_another_policy_is_clean if {
	count(iamg_302.deny) == 0 with input as pass_role_denied_elsewhere
}
