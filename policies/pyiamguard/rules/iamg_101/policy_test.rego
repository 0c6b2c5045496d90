# IAMG-101 wildcard-principal. Inputs: lib/testdata_test.rego builders; semantics D.37-D.50, D.82.
package pyiamguard.rules.iamg_101_test

import rego.v1

import data.pyiamguard.lib.testdata_test as td
import data.pyiamguard.rules.iamg_101

# --- the wildcard forms --------------------------------------------------------------------

# "Principal": "*" as a string (checkov CKV_AWS_60 misses it, D.37).
star_string := td.trust([td.allow("s0", [td.star("p1")], [])])

test_star_string_fires if {
	iamg_101.deny == {{"ref": "p1", "facts": {"statement": "s0"}}} with input as star_string
}

# {"AWS": "*"} in a single-object Statement (D.38).
aws_star := td.trust([td.allow("s0", [td.any_aws("p1")], [])])

test_aws_star_fires if {
	iamg_101.deny == {{"ref": "p1", "facts": {"statement": "s0"}}} with input as aws_star
}

# {"Service": "*"} is CRITICAL here, not IAMG-110.
service_star := td.trust([td.allow("s0", [td.any_service("p1")], [])])

test_service_star_fires if {
	iamg_101.deny == {{"ref": "p1", "facts": {"statement": "s0"}}} with input as service_star
}

# {"AWS": ["arn:aws:iam::111122223333:root", "*"]}: a list hides the "*" (D.40).
star_in_list := td.trust([td.allow("s0", [td.root("p1", "aws", "111122223333"), td.any_aws("p2")], [])])

test_star_hidden_in_list_fires_on_the_star_only if {
	iamg_101.deny == {{"ref": "p2", "facts": {"statement": "s0"}}} with input as star_in_list
}

# arn:aws:iam::*:root: a partial wildcard, scored as the wildcard it tries to be (D.43).
partial_wildcard := td.trust([td.allow("s0", [td.principal("p1", "wildcard", "AWS", "arn:aws:iam::*:root", {
	"partition": "aws", "scope": "root", "whole_account": true, "defects": ["partial_wildcard"],
})], [])])

test_partial_wildcard_fires if {
	iamg_101.deny == {{"ref": "p1", "facts": {"statement": "s0"}}} with input as partial_wildcard
}

# Every way of granting an assume action counts: sts:*, NotAction, web identity only.
star_sts_all := td.trust([td.allow_actions("s0", [td.star("p1")], ["sts:*"], [])])

star_not_action := td.trust([td.allow_not_actions("s0", [td.star("p1")], ["sts:AssumeRoleWithSAML"], [])])

star_web_identity := td.trust([td.allow_actions("s0", [td.star("p1")], ["sts:AssumeRoleWithWebIdentity"], [])])

test_sts_star_fires if {
	iamg_101.deny == {{"ref": "p1", "facts": {"statement": "s0"}}} with input as star_sts_all
}

test_not_action_fires if {
	iamg_101.deny == {{"ref": "p1", "facts": {"statement": "s0"}}} with input as star_not_action
}

test_web_identity_only_fires if {
	iamg_101.deny == {{"ref": "p1", "facts": {"statement": "s0"}}} with input as star_web_identity
}

# Not an assume grant (D.54), a Deny, a NotPrincipal (IAMG-106's case): not this rule.
star_tag_session := td.trust([td.allow_actions("s0", [td.star("p1")], ["sts:TagSession"], [])])

star_deny_only := td.trust([td.deny_stmt("s0", [td.star("p1")], [])])

star_not_principal := td.trust([td.with_not_principal(td.allow("s0", [td.role("p1", "444455556666", "x")], []))])

test_tag_session_only_is_clean if {
	count(iamg_101.deny) == 0 with input as star_tag_session
}

test_deny_statement_is_clean if {
	count(iamg_101.deny) == 0 with input as star_deny_only
}

test_not_principal_is_left_to_iamg_106 if {
	count(iamg_101.deny) == 0 with input as star_not_principal
}

named_principal := td.trust([td.allow("s0", [td.root("p1", "aws", "444455556666")], [])])

test_named_principals_are_clean if {
	count(iamg_101.deny) == 0 with input as named_principal
}

# --- confining conditions in the statement -------------------------------------------------

star_with(conditions) := td.trust([td.allow("s0", [td.any_aws("p1")], conditions)])

# StringEquals aws:PrincipalOrgID o-abc: org-restricted (D.49).
org_id := star_with([td.cond("c2", "StringEquals", "aws:PrincipalOrgID", ["o-abc123"])])

# ForAnyValue:StringEquals is false when the key is absent: still restricted (D.49).
org_id_for_any_value := star_with([td.cond("c2", "ForAnyValue:StringEquals", "aws:PrincipalOrgID", ["o-abc123"])])

org_paths := star_with([td.cond("c2", "ForAnyValue:StringLike", "aws:PrincipalOrgPaths", ["o-abc123/r-ab12/ou-ab12-11111111/*"])])

# The self-assume pattern: {"AWS": "*"} + ArnLike aws:PrincipalArn <own role> (D.47).
principal_arn := star_with([td.cond("c2", "ArnLike", "aws:PrincipalArn", ["arn:aws:iam::111122223333:role/self"])])

# StringEquals aws:PrincipalAccount [two accounts] (D.83).
principal_account := star_with([td.cond("c2", "StringEquals", "aws:PrincipalAccount", ["111122223333", "444455556666"])])

# Conditions are ANDed: one confining condition is enough, whatever the others say.
org_id_and_weak_arn := star_with([
	td.cond("c2", "StringEquals", "aws:PrincipalOrgID", ["o-abc123"]),
	td.cond("c3", "StringLike", "aws:PrincipalArn", ["arn:aws:iam::*:role/deployer"]),
])

test_org_id_confines if {
	count(iamg_101.deny) == 0 with input as org_id
}

test_for_any_value_org_id_confines if {
	count(iamg_101.deny) == 0 with input as org_id_for_any_value
}

test_org_paths_confines if {
	count(iamg_101.deny) == 0 with input as org_paths
}

test_principal_arn_with_concrete_account_confines if {
	count(iamg_101.deny) == 0 with input as principal_arn
}

test_principal_account_confines if {
	count(iamg_101.deny) == 0 with input as principal_account
}

test_one_confining_condition_among_others_confines if {
	count(iamg_101.deny) == 0 with input as org_id_and_weak_arn
}

# Conditions that do not confine: the wildcard stays public.

# IfExists: principals outside any organization lack the key (D.49).
org_id_if_exists := star_with([td.cond("c2", "StringEqualsIfExists", "aws:PrincipalOrgID", ["o-abc123"])])

# ForAllValues: true when the key is absent (D.49).
org_id_for_all_values := star_with([td.cond("c2", "ForAllValues:StringEquals", "aws:PrincipalOrgID", ["o-abc123"])])

# A negated operator in an Allow admits every other organization.
org_id_negated := star_with([td.cond("c2", "StringNotEquals", "aws:PrincipalOrgID", ["o-abc123"])])

org_id_null := star_with([td.cond("c2", "Null", "aws:PrincipalOrgID", ["false"])])

org_id_wildcard_only := star_with([td.cond("c2", "StringLike", "aws:PrincipalOrgID", ["*"])])

org_id_pattern := star_with([td.cond("c2", "StringLike", "aws:PrincipalOrgID", ["o-*"])])

principal_account_empty := star_with([td.cond("c2", "StringEquals", "aws:PrincipalAccount", [""])])

# The account segment of the ARN is a wildcard: any account (D.82).
principal_arn_any_account := star_with([td.cond("c2", "StringLike", "aws:PrincipalArn", ["arn:aws:iam::*:role/deployer"])])

# A restricting condition on a key that names nobody.
external_id_only := star_with([td.cond("c2", "StringEquals", "sts:ExternalId", ["s3cr3t"])])

test_if_exists_does_not_confine if {
	iamg_101.deny == {{"ref": "p1", "facts": {"statement": "s0"}}} with input as org_id_if_exists
}

test_for_all_values_does_not_confine if {
	iamg_101.deny == {{"ref": "p1", "facts": {"statement": "s0"}}} with input as org_id_for_all_values
}

test_negated_operator_does_not_confine if {
	iamg_101.deny == {{"ref": "p1", "facts": {"statement": "s0"}}} with input as org_id_negated
}

test_null_does_not_confine if {
	iamg_101.deny == {{"ref": "p1", "facts": {"statement": "s0"}}} with input as org_id_null
}

test_wildcard_only_value_does_not_confine if {
	iamg_101.deny == {{"ref": "p1", "facts": {"statement": "s0"}}} with input as org_id_wildcard_only
}

test_org_id_pattern_does_not_confine if {
	iamg_101.deny == {{"ref": "p1", "facts": {"statement": "s0"}}} with input as org_id_pattern
}

test_empty_value_does_not_confine if {
	iamg_101.deny == {{"ref": "p1", "facts": {"statement": "s0"}}} with input as principal_account_empty
}

test_principal_arn_with_any_account_does_not_confine if {
	iamg_101.deny == {{"ref": "p1", "facts": {"statement": "s0"}}} with input as principal_arn_any_account
}

test_external_id_does_not_confine if {
	iamg_101.deny == {{"ref": "p1", "facts": {"statement": "s0"}}} with input as external_id_only
}

# Statements are ORed: a confined statement does not confine another one (D.51).
confined_and_open := td.trust([
	td.allow("s0", [td.any_aws("p1")], [td.cond("c2", "StringEquals", "aws:PrincipalOrgID", ["o-abc123"])]),
	td.allow("s1", [td.star("p3")], []),
])

test_other_statement_does_not_confine if {
	iamg_101.deny == {{"ref": "p3", "facts": {"statement": "s1"}}} with input as confined_and_open
}

# --- Deny statements (C.6) -----------------------------------------------------------------

star_and_deny(deny_principals, conditions) := td.trust([
	td.allow("s0", [td.any_aws("p1")], []),
	td.deny_stmt("s1", deny_principals, conditions),
])

# Allow "*" + Deny "*" StringNotEquals aws:PrincipalOrgID o-abc: org-restricted (D.50).
deny_org_id := star_and_deny([td.star("p2")], [td.cond("c3", "StringNotEquals", "aws:PrincipalOrgID", ["o-abc123"])])

deny_principal_account := star_and_deny([td.any_aws("p2")], [td.cond("c3", "StringNotEquals", "aws:PrincipalAccount", ["111122223333"])])

# A Deny without conditions on "*": nobody can assume the role.
deny_everyone := star_and_deny([td.star("p2")], [])

test_deny_with_negated_org_id_confines if {
	count(iamg_101.deny) == 0 with input as deny_org_id
}

test_deny_with_negated_principal_account_confines if {
	count(iamg_101.deny) == 0 with input as deny_principal_account
}

test_unconditional_deny_of_everyone_is_clean if {
	count(iamg_101.deny) == 0 with input as deny_everyone
}

# ForAnyValue:StringNotEquals is false when the key is absent: the Deny lets those callers in.
deny_org_id_for_any_value := star_and_deny([td.star("p2")], [td.cond("c3", "ForAnyValue:StringNotEquals", "aws:PrincipalOrgID", ["o-abc123"])])

# A Deny that covers one named principal only does not cover the wildcard.
deny_other_principal := star_and_deny([td.role("p2", "444455556666", "x")], [td.cond("c3", "StringNotEquals", "aws:PrincipalOrgID", ["o-abc123"])])

deny_non_confining_key := star_and_deny([td.star("p2")], [td.cond("c3", "StringNotEquals", "sts:ExternalId", ["s3cr3t"])])

test_deny_with_for_any_value_negation_does_not_confine if {
	iamg_101.deny == {{"ref": "p1", "facts": {"statement": "s0"}}} with input as deny_org_id_for_any_value
}

test_deny_of_another_principal_does_not_confine if {
	iamg_101.deny == {{"ref": "p1", "facts": {"statement": "s0"}}} with input as deny_other_principal
}

test_deny_on_a_non_confining_key_does_not_confine if {
	iamg_101.deny == {{"ref": "p1", "facts": {"statement": "s0"}}} with input as deny_non_confining_key
}

# Regression: a Deny + ArnNotLike aws:PrincipalArn whose ARN has a wildcard
# account only denies callers that are not a "deployer" role of *some* account, so every AWS
# account can still assume the role (D.82 applied to the Deny, C.6.3): the Deny's values must
# confine like an Allow condition's.
deny_any_account_principal_arn := star_and_deny([td.star("p2")], [td.cond("c3", "ArnNotLike", "aws:PrincipalArn", ["arn:aws:iam::*:role/deployer"])])

test_deny_with_any_account_principal_arn_does_not_confine if {
	iamg_101.deny == {{"ref": "p1", "facts": {"statement": "s0"}}} with input as deny_any_account_principal_arn
}

# Regression: the Deny covers sts:AssumeRole only while the Allow grants
# sts:AssumeRoleWithWebIdentity to "*": the Deny does not cover the Allow's action (C.6.2).
web_identity_and_assume_role_deny := td.trust([
	td.allow_actions("s0", [td.star("p1")], ["sts:AssumeRoleWithWebIdentity"], []),
	td.deny_stmt("s1", [td.star("p2")], [td.cond("c3", "StringNotEquals", "aws:PrincipalOrgID", ["o-abc123"])]),
])

test_deny_of_another_action_does_not_confine if {
	iamg_101.deny == {{"ref": "p1", "facts": {"statement": "s0"}}} with input as web_identity_and_assume_role_deny
}

# The same statement in a resource policy (an S3 bucket or KMS key policy): not a trust policy.
resource_policy := object.union(star_string, {"kind": "resource"})

test_resource_policy_is_clean if {
	count(iamg_101.deny) == 0 with input as resource_policy
}

# `ArnLike aws:PrincipalArn: !Ref RoleArns` without a default names no concrete account, so
# it confines nothing the rule can see (IAMG-001 reports the unknown value too).
unknown_arn_confinement := td.trust([td.allow("s0", [td.any_aws("p1")], [object.union(
	td.cond("c2", "ArnLike", "aws:PrincipalArn", ["${RoleArns}"]),
	{"state": "unresolved", "values": [object.union(td.value("${RoleArns}"), {"unresolved": true})]},
)])])

test_unknown_principal_arn_confinement_confines_nothing if {
	iamg_101.deny == {{"ref": "p1", "facts": {"statement": "s0"}}} with input as unknown_arn_confinement
}
