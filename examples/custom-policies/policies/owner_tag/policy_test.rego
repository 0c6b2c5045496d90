package acme.owner_tag_test

import rego.v1

import data.acme.owner_tag

# A role trusting a foreign account's role (externally assumable), with this resource section.
vendor_role(resource) := {
	"kind": "trust",
	"context": {"own_accounts": ["111122223333"], "partition": "aws", "owner": ""},
	"problems": [], "unresolved": [],
	"resource": resource,
	"role": {"ref": "r6", "max_session": {"ref": "m7", "state": "default", "seconds": 3600}},
	"statements": [{
		"ref": "s0", "index": 0, "effect": "Allow", "principal_element": "Principal", "principal_ref": "e1",
		"actions": {"assume_role": true, "web_identity": false, "saml": false, "broad": false, "not_action": false,
			"unresolved": false, "patterns": ["sts:assumerole"], "ref": "e3", "refs": ["a4"]},
		"principals": [{
			"ref": "p2", "kind": "aws", "block": "AWS", "value": "arn:aws:iam::444455556666:role/vendor",
			"identity": "arn:aws:iam::444455556666:role/vendor", "account": "444455556666", "partition": "aws",
			"scope": "role", "whole_account": false, "service": "", "provider": "", "issuer": "", "defects": [],
		}],
		"conditions": [],
	}],
}

tagged(tags, unresolved) := {"format": "cloudformation", "kind": "AWS::IAM::Role", "address": "VendorRole",
	"name": "vendor", "path": "/", "tags": tags, "unresolved": unresolved}

required := {"required_tags": ["Owner"]}

test_missing_owner_is_reported if {
	owner_tag.violations(vendor_role(tagged({"Team": "x"}, [])), required) == {{"ref": "r6", "facts": {"tag": "Owner", "problem": "is missing"}}}
}

test_empty_owner_is_reported if {
	owner_tag.violations(vendor_role(tagged({"Owner": ""}, [])), required) == {{"ref": "r6", "facts": {"tag": "Owner", "problem": "is empty"}}}
}

test_unknown_owner_is_reported if {
	owner_tag.violations(vendor_role(tagged({"Owner": ""}, ["tags.Owner"])), required) == {{"ref": "r6", "facts": {"tag": "Owner", "problem": "cannot be known before deploy"}}}
}

test_unknown_tags_are_reported if {
	owner_tag.violations(vendor_role(tagged({}, ["tags"])), required) == {{"ref": "r6", "facts": {"tag": "Owner", "problem": "cannot be known before deploy"}}}
}

test_owner_present_is_clean if {
	count(owner_tag.violations(vendor_role(tagged({"Owner": "platform-team"}, [])), required)) == 0
}
