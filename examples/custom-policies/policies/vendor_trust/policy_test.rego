package acme.vendor_trust_test

import rego.v1

import data.acme.vendor_trust

vendors := {"approved_vendor_accounts": ["444455556666"], "max_vendor_session_seconds": 3600}


# A role trusting one role of `account`, with these conditions and this session length.
role_trust(account, conditions, seconds) := {
	"kind": "trust",
	"context": {"own_accounts": ["111122223333"], "partition": "aws", "owner": ""},
	"problems": [], "unresolved": [],
	"role": {"ref": "r9", "max_session": {"ref": "m8", "state": "known", "seconds": seconds}},
	"statements": [{
		"ref": "s0", "index": 0, "effect": "Allow", "principal_element": "Principal", "principal_ref": "e1",
		"actions": {"assume_role": true, "web_identity": false, "saml": false, "broad": false, "not_action": false,
			"unresolved": false, "patterns": ["sts:assumerole"], "ref": "e3", "refs": ["a4"]},
		"principals": [{
			"ref": "p2", "kind": "aws", "block": "AWS", "value": concat("", ["arn:aws:iam::", account, ":role/vendor"]),
			"identity": concat("", ["arn:aws:iam::", account, ":role/vendor"]), "account": account,
			"partition": "aws", "scope": "role", "whole_account": false, "service": "", "provider": "",
			"issuer": "", "defects": [],
		}],
		"conditions": conditions,
	}],
}

with_external_id := [{
	"ref": "c5", "operator": "StringEquals", "base": "stringequals", "set": "", "if_exists": false,
	"negated": false, "pattern": false, "key": "sts:externalid", "state": "concrete",
	"values": [{"text": "3f1e6c2a", "wildcard": false, "wildcard_only": false, "account": "",
		"account_wildcard": false, "partition": "", "arn_scope": "", "named": false, "unresolved": false}],
}]

without_external_id := []

expected(ref, account_id, problem) := {"ref": ref, "facts": {"principal": "p2", "account": account_id, "problem": problem}}

test_unapproved_account_is_reported if {
	vendor_trust.violations(role_trust("999900001111", with_external_id, 3600), vendors) == {expected("p2", "999900001111", "is not an approved vendor account")}
}

test_approved_vendor_without_external_id_is_reported if {
	vendor_trust.violations(role_trust("444455556666", without_external_id, 3600), vendors) == {expected("p2", "444455556666", "may assume the role without sts:ExternalId")}
}

test_approved_vendor_with_long_sessions_is_reported if {
	vendor_trust.violations(role_trust("444455556666", with_external_id, 7200), vendors) == {expected("m8", "444455556666", "may keep sessions longer than max_vendor_session_seconds")}
}

test_approved_vendor_with_external_id_and_one_hour_is_clean if {
	count(vendor_trust.violations(role_trust("444455556666", with_external_id, 3600), vendors)) == 0
}

test_own_account_is_not_a_third_party if {
	count(vendor_trust.violations(role_trust("111122223333", without_external_id, 3600), vendors)) == 0
}
