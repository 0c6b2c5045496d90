# IAMG-109 invalid-principal (semantics C.2, D.43-D.46, D.56).
package pyiamguard.rules.iamg_109_test

import rego.v1

import data.pyiamguard.lib.testdata_test as td
import data.pyiamguard.rules.iamg_109

allow_of(principals) := td.trust([td.allow("s0", principals, [])])

defect(ref, d) := {"ref": ref, "facts": {"statement": "s0", "defect": d}}

# arn:aws:iam::111122223333:role/* (D.43): IAM rejects partial wildcards.
partial_wildcard := allow_of([td.principal("p1", "wildcard", "AWS", "arn:aws:iam::111122223333:role/*", {
	"account": "111122223333", "partition": "aws", "scope": "role", "defects": ["partial_wildcard"],
})])

# AROA...: the unique id IAM shows once the role is deleted (D.44).
stale_unique_id := allow_of([td.principal("p1", "unique_id", "AWS", "AROAEXAMPLEID1234567", {"defects": ["stale_unique_id"]})])

# CanonicalUser is not a principal type for roles (D.46).
canonical_user := allow_of([td.principal(
	"p1", "canonical_user", "CanonicalUser",
	"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be", {"defects": ["canonical_user"]},
)])

bad_account_id := allow_of([td.principal("p1", "aws", "AWS", "arn:aws:iam::12345:root", {
	"account": "12345", "partition": "aws", "scope": "root", "whole_account": true, "defects": ["bad_account_id"],
	"identity": "account:12345",
})])

# A documentation placeholder left in the policy.
placeholder := allow_of([td.principal("p1", "aws", "AWS", "ACCOUNT-B-ID", {
	"scope": "account", "defects": ["placeholder"],
})])

# An S3 bucket ARN as an AWS principal: two defects, two findings.
wrong_service := allow_of([td.principal("p1", "aws", "AWS", "arn:aws:s3:::bucket", {
	"partition": "aws", "scope": "other", "defects": ["malformed_arn", "wrong_service"],
})])

# A GovCloud principal for a role in the aws partition (D.56).
cross_partition := td.trust_in(["111122223333"], "aws", [td.allow("s0", [td.principal("p1", "aws", "AWS", "arn:aws-us-gov:iam::444455556666:root", {
	"account": "444455556666", "partition": "aws-us-gov", "scope": "root", "whole_account": true, "defects": ["cross_partition"],
	"identity": "account:444455556666",
})], [])])

test_partial_wildcard_fires if {
	iamg_109.deny == {defect("p1", "partial_wildcard")} with input as partial_wildcard
}

test_stale_unique_id_fires if {
	iamg_109.deny == {defect("p1", "stale_unique_id")} with input as stale_unique_id
}

test_canonical_user_fires if {
	iamg_109.deny == {defect("p1", "canonical_user")} with input as canonical_user
}

test_bad_account_id_fires if {
	iamg_109.deny == {defect("p1", "bad_account_id")} with input as bad_account_id
}

test_placeholder_fires if {
	iamg_109.deny == {defect("p1", "placeholder")} with input as placeholder
}

test_every_defect_is_reported if {
	iamg_109.deny == {defect("p1", "malformed_arn"), defect("p1", "wrong_service")} with input as wrong_service
}

test_cross_partition_fires if {
	iamg_109.deny == {defect("p1", "cross_partition")} with input as cross_partition
}

# A defect is reported whatever the statement does: in a Deny too.
in_deny := td.trust([td.deny_stmt("s0", [td.principal("p1", "unique_id", "AWS", "AIDAEXAMPLEID1234567", {"defects": ["stale_unique_id"]})], [])])

test_defect_in_deny_statement_fires if {
	iamg_109.deny == {defect("p1", "stale_unique_id")} with input as in_deny
}

# Valid principals: assumed-role sessions are valid (cfn-lint#3620 flagged them, D.45).
valid := allow_of([
	td.principal("p1", "aws", "AWS", "arn:aws:sts::444455556666:assumed-role/r/s", {
		"account": "444455556666", "partition": "aws", "scope": "assumed_role",
	}),
	td.root("p2", "aws-us-gov", "444455556666"),
	td.account_id("p3", "444455556666"),
	td.service("p4", "ecs-tasks.amazonaws.com"),
	td.star("p5"),
])

resource_policy := object.union(stale_unique_id, {"kind": "resource"})

test_valid_principals_are_clean if {
	count(iamg_109.deny) == 0 with input as valid
}

test_resource_policy_is_clean if {
	count(iamg_109.deny) == 0 with input as resource_policy
}
