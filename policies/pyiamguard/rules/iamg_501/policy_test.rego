# IAMG-501 assume-without-trust, on the pair inputs the scan builds (docs/model.md, "Assume
# pair"). Caller role ci-runner in 111122223333, target role deployer in 444455556666.
package pyiamguard.rules.iamg_501_test

import rego.v1

import data.pyiamguard.rules.iamg_501

caller_arn := "arn:aws:iam::111122223333:role/ci-runner"

target_arn := "arn:aws:iam::444455556666:role/deployer"

grant(ref, actions, element, values) := {
	"ref": ref, "effect": "Allow", "conditional": false, "actions": actions,
	"resources": {"element": element, "values": values, "unresolved": false},
}

assume := {"assume_role": true, "unresolved": false, "not_action": false, "patterns": ["sts:assumerole"]}

aimed_grant := grant("g9", assume, "Resource", [target_arn])

principal(ref, kind, value, account, scope, whole) := {
	"ref": ref, "kind": kind, "value": value, "account": account, "scope": scope, "whole_account": whole,
}

trust_statement(principals) := {
	"ref": "t0", "effect": "Allow", "principal_element": "Principal",
	"actions": {"assume_role": true}, "principals": principals,
	"condition_count": 0, "conditions": [],
}

with_conditions(st, conditions) := object.union(st, {"condition_count": count(conditions), "conditions": conditions})

caller_condition(key, base, values) := {
	"key": key, "base": base, "negated": startswith(base, "stringnot"), "if_exists": false, "set": "",
	"state": "concrete", "values": values,
}

no_boundary := {"state": "none", "statements": []}

service := principal("p1", "service", "ec2.amazonaws.com", "", "", false)

caller_named := principal("p1", "aws", caller_arn, "111122223333", "role", false)

pair(statements, complete, trust) := {
	"kind": "assume_pair",
	"caller": {
		"arn": caller_arn, "account": "111122223333", "account_known": true, "type": "role",
		"session_prefix": "arn:aws:sts::111122223333:assumed-role/ci-runner/",
		"complete": complete, "statements": statements, "boundary": no_boundary,
	},
	"target": {
		"arn": target_arn, "account": "444455556666", "account_known": true,
		"known": true, "statements": trust,
	},
}

untrusted_caller := {{"ref": "g9", "facts": {"direction": "untrusted_caller", "grant": target_arn}}}

untrusted_permission := {{"ref": "p1", "facts": {"direction": "untrusted_permission"}}}

test_grant_to_a_role_that_trusts_only_a_service if {
	iamg_501.deny == untrusted_caller with input as pair([aimed_grant], true, [trust_statement([service])])
}

test_grant_admitted_by_the_callers_account if {
	root := principal("p1", "aws", "arn:aws:iam::111122223333:root", "111122223333", "root", true)
	count(iamg_501.deny) == 0 with input as pair([aimed_grant], true, [trust_statement([root])])
}

test_grant_admitted_by_name_in_another_case if {
	upper := principal("p1", "aws", "arn:aws:iam::111122223333:role/CI-Runner", "111122223333", "role", false)
	count(iamg_501.deny) == 0 with input as pair([aimed_grant], true, [trust_statement([upper])])
}

test_grant_admitted_by_its_sessions if {
	session := principal(
		"p1", "aws", "arn:aws:sts::111122223333:assumed-role/ci-runner/build",
		"111122223333", "assumed_role", false,
	)
	count(iamg_501.deny) == 0 with input as pair([aimed_grant], true, [trust_statement([session])])
}

test_another_roles_sessions_do_not_admit if {
	session := principal(
		"p1", "aws", "arn:aws:sts::111122223333:assumed-role/ci-runner-old/build",
		"111122223333", "assumed_role", false,
	)
	iamg_501.deny == untrusted_caller with input as pair([aimed_grant], true, [trust_statement([session])])
}

test_unknown_trust_says_nothing if {
	doc := json.patch(pair([aimed_grant], true, [trust_statement([service])]), [
		{"op": "replace", "path": "/target/known", "value": false},
	])
	count(iamg_501.deny) == 0 with input as doc
}

test_unresolved_principal_may_be_the_caller if {
	unknown := principal("p1", "unresolved", "x", "", "", false)
	count(iamg_501.deny) == 0 with input as pair([aimed_grant], true, [trust_statement([unknown])])
}

test_trust_that_allows_only_web_identity_does_not_admit if {
	st := json.patch(trust_statement([caller_named]), [
		{"op": "replace", "path": "/actions/assume_role", "value": false},
	])
	iamg_501.deny == untrusted_caller with input as pair([aimed_grant], true, [st])
}

test_a_star_action_on_the_role_is_not_an_assume_grant if {
	star := grant("g9", {"assume_role": true, "unresolved": false, "not_action": false, "patterns": ["*"]}, "Resource", [target_arn])
	count(iamg_501.deny) == 0 with input as pair([star], true, [trust_statement([service])])
}

test_a_deny_voids_the_grant if {
	deny := json.patch(grant("g8", assume, "Resource", ["*"]), [{"op": "replace", "path": "/effect", "value": "Deny"}])
	count(iamg_501.deny) == 0 with input as pair([aimed_grant, deny], true, [trust_statement([service])])
}

test_a_grant_on_every_role_aims_at_none if {
	every_role := grant("g9", assume, "Resource", ["arn:aws:iam::444455556666:role/*"])
	count(iamg_501.deny) == 0 with input as pair([every_role], true, [trust_statement([service])])
}

test_trust_naming_a_caller_without_permission if {
	s3 := grant("g9", {"assume_role": false, "unresolved": false, "not_action": false, "patterns": ["s3:*"]}, "Resource", ["*"])
	iamg_501.deny == untrusted_permission with input as pair([s3], true, [trust_statement([caller_named])])
}

test_trust_naming_a_caller_with_permission if {
	count(iamg_501.deny) == 0 with input as pair([aimed_grant], true, [trust_statement([caller_named])])
}

test_trust_naming_a_caller_with_a_wildcard_grant if {
	any_role := grant("g9", assume, "Resource", ["arn:aws:iam::*:role/deploy*"])
	count(iamg_501.deny) == 0 with input as pair([any_role], true, [trust_statement([caller_named])])
}

test_trust_naming_a_caller_with_unknown_actions if {
	unknown := grant("g9", {"assume_role": false, "unresolved": true, "not_action": false, "patterns": []}, "Resource", [target_arn])
	count(iamg_501.deny) == 0 with input as pair([unknown], true, [trust_statement([caller_named])])
}

test_trust_naming_a_caller_whose_policies_are_not_all_known if {
	count(iamg_501.deny) == 0 with input as pair([], false, [trust_statement([caller_named])])
}

test_same_account_trust_by_name_needs_no_grant if {
	doc := json.patch(pair([], true, [trust_statement([caller_named])]), [
		{"op": "replace", "path": "/target/account", "value": "111122223333"},
	])
	count(iamg_501.deny) == 0 with input as doc
}

# The stack's own account of a template without own_accounts may be the caller's.
test_stand_in_account_is_not_cross_account if {
	doc := json.patch(pair([], true, [trust_statement([caller_named])]), [
		{"op": "replace", "path": "/target/account", "value": "000000000000"},
		{"op": "replace", "path": "/target/account_known", "value": false},
	])
	count(iamg_501.deny) == 0 with input as doc
}

test_other_kinds_are_ignored if {
	count(iamg_501.deny) == 0 with input as {"kind": "trust", "statements": []}
}

# --- both sides judged as IAM does (rules spec, Amendments, IAMG-501) ----------------------

star := principal("p1", "wildcard", "*", "", "", false)

# A wildcard narrowed by aws:PrincipalArn to another role does not admit the caller.
test_wildcard_narrowed_to_another_role_does_not_admit if {
	narrowed := with_conditions(trust_statement([star]), [caller_condition(
		"aws:principalarn", "arnequals", ["arn:aws:iam::111122223333:role/other"],
	)])
	iamg_501.deny == untrusted_caller with input as pair([aimed_grant], true, [narrowed])
}

test_wildcard_narrowed_to_the_caller_admits if {
	narrowed := with_conditions(trust_statement([star]), [caller_condition(
		"aws:principalarn", "arnlike", ["arn:aws:iam::111122223333:role/ci-*"],
	)])
	count(iamg_501.deny) == 0 with input as pair([aimed_grant], true, [narrowed])
}

test_wildcard_narrowed_to_another_account_does_not_admit if {
	narrowed := with_conditions(trust_statement([star]), [caller_condition(
		"aws:principalaccount", "stringequals", ["999988887777"],
	)])
	iamg_501.deny == untrusted_caller with input as pair([aimed_grant], true, [narrowed])
}

# An explicit Deny of the caller in the trust policy.
explicit_deny := {
	"ref": "t1", "effect": "Deny", "principal_element": "Principal", "actions": {"assume_role": true},
	"principals": [caller_named], "condition_count": 0, "conditions": [],
}

test_trust_denying_the_caller_does_not_admit if {
	root := principal("p2", "aws", "arn:aws:iam::111122223333:root", "111122223333", "root", true)
	iamg_501.deny == untrusted_caller with input as pair([aimed_grant], true, [trust_statement([root]), explicit_deny])
}

# A Deny with `StringNotEquals aws:PrincipalAccount` that the caller's account is not in.
test_deny_outside_listed_accounts_removes_the_caller if {
	root := principal("p2", "aws", "arn:aws:iam::111122223333:root", "111122223333", "root", true)
	deny := with_conditions(object.union(explicit_deny, {"principals": [star]}), [caller_condition(
		"aws:principalaccount", "stringnotequals", ["444455556666"],
	)])
	iamg_501.deny == untrusted_caller with input as pair([aimed_grant], true, [trust_statement([root]), deny])
}

# The same Deny with a second condition outside the pair input is not certain.
test_deny_with_other_conditions_is_not_certain if {
	root := principal("p2", "aws", "arn:aws:iam::111122223333:root", "111122223333", "root", true)
	deny := object.union(with_conditions(object.union(explicit_deny, {"principals": [star]}), [caller_condition(
		"aws:principalaccount", "stringnotequals", ["444455556666"],
	)]), {"condition_count": 2})
	count(iamg_501.deny) == 0 with input as pair([aimed_grant], true, [trust_statement([root]), deny])
}

# The caller side: a boundary that does not allow the assume blocks the caller's grant.
s3_only := grant("b1", {"assume_role": false, "unresolved": false, "not_action": false, "patterns": ["s3:*"]}, "Resource", ["*"])

with_boundary(doc, state, statements) := json.patch(doc, [
	{"op": "replace", "path": "/caller/boundary", "value": {"state": state, "statements": statements}},
])

test_boundary_blocking_the_assume_means_no_permission if {
	doc := with_boundary(pair([aimed_grant], true, [trust_statement([caller_named])]), "known", [s3_only])
	iamg_501.deny == untrusted_permission with input as doc
}

test_boundary_allowing_the_assume_keeps_the_permission if {
	doc := with_boundary(pair([aimed_grant], true, [trust_statement([caller_named])]), "known", [grant("b1", assume, "Resource", ["*"])])
	count(iamg_501.deny) == 0 with input as doc
}

test_unknown_boundary_is_read_as_allowing if {
	doc := with_boundary(pair([aimed_grant], true, [trust_statement([caller_named])]), "unknown", [])
	count(iamg_501.deny) == 0 with input as doc
}

# A grant the boundary blocks is no working grant: "not admitted" would be beside the point.
test_grant_blocked_by_the_boundary_is_not_reported if {
	doc := with_boundary(pair([aimed_grant], true, [trust_statement([service])]), "known", [s3_only])
	count(iamg_501.deny) == 0 with input as doc
}

# A conditional Deny in the caller's policies does not certainly remove its permission.
test_conditional_deny_keeps_the_permission if {
	deny := object.union(json.patch(grant("g8", assume, "Resource", ["*"]), [{"op": "replace", "path": "/effect", "value": "Deny"}]), {"conditional": true})
	count(iamg_501.deny) == 0 with input as pair([aimed_grant, deny], true, [trust_statement([caller_named])])
}

test_unconditional_deny_removes_the_permission if {
	deny := json.patch(grant("g8", assume, "Resource", ["*"]), [{"op": "replace", "path": "/effect", "value": "Deny"}])
	iamg_501.deny == untrusted_permission with input as pair([aimed_grant, deny], true, [trust_statement([caller_named])])
}
