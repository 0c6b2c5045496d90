package acme.github_org_test

import rego.v1

import data.acme.github_org

github_trust(subjects) := {
	"kind": "trust",
	"context": {"own_accounts": ["111122223333"], "partition": "aws", "owner": ""},
	"problems": [], "unresolved": [],
	"statements": [{
		"ref": "s0", "index": 0, "effect": "Allow", "principal_element": "Principal", "principal_ref": "e1",
		"actions": {"assume_role": false, "web_identity": true, "saml": false, "broad": false, "not_action": false,
			"unresolved": false, "patterns": ["sts:assumerolewithwebidentity"], "ref": "e3", "refs": ["a4"]},
		"principals": [{
			"ref": "p2", "kind": "oidc", "block": "Federated",
			"value": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com",
			"identity": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com",
			"account": "111122223333", "partition": "aws", "scope": "", "whole_account": false, "service": "",
			"provider": "github", "issuer": "token.actions.githubusercontent.com", "defects": [],
		}],
		"conditions": [{
			"ref": "c5", "operator": "StringLike", "base": "stringlike", "set": "", "if_exists": false,
			"negated": false, "pattern": true, "key": "token.actions.githubusercontent.com:sub", "state": "concrete",
			"values": [value(s) | some s in subjects],
		}],
	}],
}

value(text) := {"text": text, "wildcard": contains(text, "*"), "wildcard_only": false, "account": "",
	"account_wildcard": false, "partition": "", "arn_scope": "", "named": false, "unresolved": false}

orgs := {"github_organizations": ["acme-corp"]}

test_another_organization_is_reported if {
	github_org.violations(github_trust(["repo:acme-corp/app:*", "repo:acme-contractor/app:*"]), orgs) == {{"ref": "c5", "facts": {"subject": "repo:acme-contractor/app:*", "principal": "p2"}}}
}

test_a_prefix_of_the_organization_name_is_reported if {
	github_org.violations(github_trust(["repo:acme-corp-evil/app:*"]), orgs) == {{"ref": "c5", "facts": {"subject": "repo:acme-corp-evil/app:*", "principal": "p2"}}}
}

test_any_repository_is_reported if {
	github_org.violations(github_trust(["repo:*"]), orgs) == {{"ref": "c5", "facts": {"subject": "repo:*", "principal": "p2"}}}
}

test_own_organization_in_any_case_is_clean if {
	count(github_org.violations(github_trust(["repo:Acme-Corp/app:ref:refs/heads/main", "repo:acme-corp/infra:*"]), orgs)) == 0
}
