# IAMG-304 assume-any-role (semantics C.5.9, D.79).
package pyiamguard.rules.iamg_304_test

import rego.v1

import data.pyiamguard.lib.testdata_test as td
import data.pyiamguard.rules.iamg_304

assume_on(resources) := td.identity([td.allow_on("s0", ["sts:AssumeRole"], resources)])

# The finding points at the Resource element of statement s0.
finding(form) := {{"ref": "e03", "facts": {"statement": "s0", "form": form}}}

# --- resources that name any role -----------------------------------------------------------

on_star := assume_on(["*"])

any_account := assume_on(["arn:aws:iam::*:role/*"])

any_account_govcloud := assume_on(["arn:aws-us-gov:iam::*:role/*"])

every_role := assume_on(["arn:aws:iam::123456789012:role/*"])

# "*" next to a specific role: the finding names "*" (D.79).
star_among_roles := assume_on(["arn:aws:iam::123456789012:role/S3Access", "*"])

# Two forms in one Resource list: one finding each.
two_forms := assume_on(["arn:aws:iam::*:role/*", "arn:aws:iam::123456789012:role/*"])

# Regression: any_role() once gave two outputs for NotResource (an evaluation error in OPA and
# regopy that lost every finding of the document).
not_resource := td.identity([td.allow_not_on("s0", ["sts:AssumeRole"], ["arn:aws:iam::123456789012:role/admin"])])

test_star_fires if {
	iamg_304.deny == finding("everything") with input as on_star
}

test_any_account_fires if {
	iamg_304.deny == finding("any_account") with input as any_account
}

test_any_account_govcloud_fires if {
	iamg_304.deny == finding("any_account") with input as any_account_govcloud
}

test_every_role_of_an_account_fires if {
	iamg_304.deny == finding("every_role") with input as every_role
}

test_star_among_roles_fires if {
	iamg_304.deny == finding("everything") with input as star_among_roles
}

test_two_forms_fire_once_each if {
	iamg_304.deny == (finding("any_account") | finding("every_role")) with input as two_forms
}

test_not_resource_fires if {
	iamg_304.deny == {{"ref": "e03", "facts": {"statement": "s0", "form": "not_resource"}}} with input as not_resource
}

# --- actions that grant an assume action ----------------------------------------------------

sts_star := td.identity([td.allow_on("s0", ["sts:*"], ["*"])])

assume_wildcard := td.identity([td.allow_on("s0", ["STS:Assume*"], ["*"])])

web_identity := td.identity([td.allow_on("s0", ["sts:AssumeRoleWithWebIdentity"], ["*"])])

# Allow + NotAction that does not exclude sts: every action but S3 (also admin, D.77).
not_action := td.identity([td.allow_except_on("s0", ["s3:*"], ["*"])])

# The second statement: its Resource element is e13.
second_statement := td.identity([
	td.allow_on("s0", ["s3:GetObject"], ["arn:aws:s3:::data/*"]),
	td.allow_on("s1", ["sts:AssumeRole", "sts:TagSession"], ["*"]),
])

# An inline policy of a role outside the scan is an identity policy too.
role_inline := td.role_inline([td.allow_on("s0", ["sts:AssumeRole"], ["*"])])

test_sts_star_fires if {
	iamg_304.deny == finding("everything") with input as sts_star
}

test_assume_wildcard_in_any_case_fires if {
	iamg_304.deny == finding("everything") with input as assume_wildcard
}

test_web_identity_fires if {
	iamg_304.deny == finding("everything") with input as web_identity
}

test_not_action_fires if {
	iamg_304.deny == finding("everything") with input as not_action
}

test_second_statement_fires if {
	iamg_304.deny == {{"ref": "e13", "facts": {"statement": "s1", "form": "everything"}}} with input as second_statement
}

test_role_inline_policy_fires if {
	iamg_304.deny == finding("everything") with input as role_inline
}

# --- clean ----------------------------------------------------------------------------------

one_role := assume_on(["arn:aws:iam::123456789012:role/deploy"])

prefix := assume_on(["arn:aws:iam::123456789012:role/deploy-*"])

path_prefix := assume_on(["arn:aws:iam::123456789012:role/ci/*"])

# "*" on "*" is admin, and an assume grant on every role too (Amendments, IAMG-304).
star_action := td.identity([td.allow_on("s0", ["*"], ["*"])])

# One named role in every account: the multi-account pipeline pattern (Amendments).
named_role_any_account := assume_on(["arn:aws:iam::*:role/deployer"])

named_role_any_partition := assume_on(["arn:*:iam::*:role/AWSCloudFormationStackSetExecutionRole"])

star_colon_star_action := td.identity([td.allow_on("s0", ["sts:AssumeRole", "*:*"], ["*"])])

deny_assume := td.identity([td.deny_on("s0", ["sts:AssumeRole"], ["*"])])

# NotAction sts:* excludes every assume action.
not_action_sts := td.identity([td.allow_except_on("s0", ["sts:*"], ["*"])])

s3_on_star := td.identity([td.allow_on("s0", ["s3:GetObject"], ["*"])])

# The same statement in a trust policy (IAMG-101 and friends judge those).
trust_policy := td.trust([td.allow("s0", [td.star("p1")], [])])

test_one_role_is_clean if {
	count(iamg_304.deny) == 0 with input as one_role
}

test_name_prefix_is_clean if {
	count(iamg_304.deny) == 0 with input as prefix
}

test_path_prefix_is_clean if {
	count(iamg_304.deny) == 0 with input as path_prefix
}

test_star_action_on_everything_fires if {
	iamg_304.deny == finding("everything") with input as star_action
}

test_star_colon_star_action_on_everything_fires if {
	iamg_304.deny == finding("everything") with input as star_colon_star_action
}

test_named_role_in_any_account_is_clean if {
	count(iamg_304.deny) == 0 with input as named_role_any_account
}

test_named_role_in_any_partition_and_account_is_clean if {
	count(iamg_304.deny) == 0 with input as named_role_any_partition
}

test_deny_is_clean if {
	count(iamg_304.deny) == 0 with input as deny_assume
}

test_not_action_excluding_sts_is_clean if {
	count(iamg_304.deny) == 0 with input as not_action_sts
}

test_other_action_is_clean if {
	count(iamg_304.deny) == 0 with input as s3_on_star
}

test_trust_policy_is_clean if {
	count(iamg_304.deny) == 0 with input as trust_policy
}

# "arn:aws:iam::123456789012:*" covers every IAM resource of the account, every role included:
# "every role of an account" in the rules spec.
# Regression: forms() once knew only ".../role/*".
account_wide := assume_on(["arn:aws:iam::123456789012:*"])

test_every_iam_resource_of_an_account_fires if {
	iamg_304.deny == finding("every_role") with input as account_wide
}

# Action "*" on role ARNs of any account is not admin (not on "*"), yet it assumes any role:
# "*" is an assume action (rules spec, terms) and no admin rule reports it.
# Regression: full_admin() once looked at the actions only, not at the resources.
star_action_on_any_account := td.identity([td.allow_on("s0", ["*"], ["arn:aws:iam::*:role/*"])])

test_star_action_on_roles_of_any_account_fires if {
	iamg_304.deny == finding("any_account") with input as star_action_on_any_account
}

# A restricting aws:ResourceOrgID confines which roles may be assumed.
test_resource_org_condition_confines_the_roles if {
	st := object.union(td.allow_on("s0", ["sts:AssumeRole"], ["arn:aws:iam::*:role/deploy"]), {"conditions": [
		td.cond("c9", "StringEquals", "aws:ResourceOrgID", ["o-a1b2c3d4e5"]),
	]})
	count(iamg_304.deny) == 0 with input as td.identity([st])
}

# "*" confined by aws:ResourceAccount: every role of that account (Amendments, IAMG-304).
test_star_confined_to_an_account_is_every_role if {
	st := object.union(td.allow_on("s0", ["sts:AssumeRole"], ["*"]), {"conditions": [
		td.cond("c9", "StringEquals", "aws:ResourceAccount", ["123456789012"]),
	]})
	iamg_304.deny == finding("every_role") with input as td.identity([st])
}

# A policy scanned on its own (a managed policy resource, a template's inline policy) is
# reported there, once: not again through every role it reaches.
test_policy_scanned_on_its_own_is_not_reported_again_on_the_role if {
	doc := td.with_role(
		td.trust([td.allow("s0", [td.service("p1", "ec2.amazonaws.com")], [])]),
		td.role_section([td.scanned(td.inline_policy("q2", "attachment", [td.allow_on("s3", ["sts:AssumeRole"], ["*"])]))]),
	)
	count(iamg_304.deny) == 0 with input as doc
}

# A policy attached to a role (CloudFormation ManagedPolicy with Roles) is the role's finding too.
test_policy_reaching_a_role_is_the_roles_finding if {
	doc := td.with_role(
		td.trust([td.allow("s0", [td.service("p1", "ec2.amazonaws.com")], [])]),
		td.role_section([td.inline_policy("q2", "attachment", [td.allow_on("s3", ["sts:AssumeRole"], ["arn:aws:iam::222222222222:role/*"])])]),
	)
	# Located where the policy reaches the role (Amendments, Locations).
	{[f.ref, f.facts.form, f.facts.policy] | some f in iamg_304.deny} == {["q2", "every_role", "q2"]} with input as doc
}

# --- a Deny that confines the grant ---------------------------------------------------------

deny_not_on(ref, patterns, resources) := object.union(
	td.allow_not_on(ref, patterns, resources),
	{"effect": "Deny"},
)

# Allow on "*", Deny everything but two named roles: only those two are assumable.
guardrail := td.identity([
	td.allow_on("s0", ["sts:AssumeRole"], ["*"]),
	deny_not_on("s1", ["sts:AssumeRole"], [
		"arn:aws:iam::123456789012:role/deployer",
		"arn:aws:iam::210987654321:role/reader",
	]),
])

# A Deny whose exception is itself "every role of an account" confines nothing.
loose_guardrail := td.identity([
	td.allow_on("s0", ["sts:AssumeRole"], ["*"]),
	deny_not_on("s1", ["sts:AssumeRole"], ["arn:aws:iam::123456789012:role/*"]),
])

# A Deny under a condition may not apply.
conditional_guardrail := td.identity([
	td.allow_on("s0", ["sts:AssumeRole"], ["*"]),
	object.union(
		deny_not_on("s1", ["sts:AssumeRole"], ["arn:aws:iam::123456789012:role/deployer"]),
		{"conditions": [td.cond("c9", "StringEquals", "aws:RequestedRegion", ["eu-west-1"])]},
	),
])

# A Deny of other actions confines nothing.
other_action_deny := td.identity([
	td.allow_on("s0", ["sts:AssumeRole"], ["*"]),
	deny_not_on("s1", ["s3:*"], ["arn:aws:s3:::logs"]),
])

test_deny_outside_named_roles_confines if {
	count(iamg_304.deny) == 0 with input as guardrail
}

test_deny_outside_every_role_of_an_account_does_not_confine if {
	iamg_304.deny == finding("everything") with input as loose_guardrail
}

test_conditional_deny_does_not_confine if {
	iamg_304.deny == finding("everything") with input as conditional_guardrail
}

test_deny_of_other_actions_does_not_confine if {
	iamg_304.deny == finding("everything") with input as other_action_deny
}

test_deny_everywhere_confines if {
	count(iamg_304.deny) == 0 with input as td.identity([
		td.allow_on("s0", ["sts:AssumeRole"], ["*"]),
		td.deny_on("s1", ["sts:*"], ["*"]),
	])
}

