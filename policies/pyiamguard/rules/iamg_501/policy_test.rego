# IAMG-501 assume-without-trust, on the pair inputs the scan builds (docs/model.md, "Assume
# pair"). Caller role ci-runner in 111122223333, target role deployer in 444455556666.
package pyiamguard.rules.iamg_501_test

import rego.v1

import data.pyiamguard.rules.iamg_501

caller_arn := "arn:aws:iam::111122223333:role/ci-runner"

target_arn := "arn:aws:iam::444455556666:role/deployer"

grant(ref, actions, element, values) := {
	"ref": ref, "effect": "Allow", "actions": actions,
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
}

service := principal("p1", "service", "ec2.amazonaws.com", "", "", false)

caller_named := principal("p1", "aws", caller_arn, "111122223333", "role", false)

pair(statements, complete, trust) := {
	"kind": "assume_pair",
	"caller": {
		"arn": caller_arn, "account": "111122223333", "account_known": true, "type": "role",
		"session_prefix": "arn:aws:sts::111122223333:assumed-role/ci-runner/",
		"complete": complete, "statements": statements,
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
