# IAMG-108 ineffective-condition (semantics C.4, D.57-D.60, D.66-D.67).
package pyiamguard.rules.iamg_108_test

import rego.v1

import data.pyiamguard.lib.testdata_test as td
import data.pyiamguard.rules.iamg_108

allow_with(conditions) := td.trust([td.allow("s0", [td.root("p1", "aws", "444455556666")], conditions)])

finding(key, reason) := {"ref": "c2", "facts": {"statement": "s0", "key": key, "reason": reason}}

# --- one reason each -------------------------------------------------------------------------

# StringEqualsIfExists sts:ExternalId: the caller omits the key (D.58).
if_exists := allow_with([td.cond("c2", "StringEqualsIfExists", "sts:ExternalId", ["s3cr3t"])])

# BoolIfExists MultiFactorAuthPresent true: access keys carry no MFA key (D.60).
bool_if_exists := allow_with([td.cond("c2", "BoolIfExists", "aws:MultiFactorAuthPresent", ["true"])])

# ForAllValues is true when the key is absent (D.49, D.67).
for_all_values := allow_with([td.cond("c2", "ForAllValues:StringEquals", "aws:PrincipalOrgID", ["o-abc123"])])

# A negated operator in an Allow admits every other value, and the absent key (D.66).
negated := allow_with([td.cond("c2", "StringNotLike", "token.actions.githubusercontent.com:sub", ["repo:evil/*"])])

# Null false only asks that the key be present (D.58).
null_false := allow_with([td.cond("c2", "Null", "sts:ExternalId", ["false"])])

# StringLike "*" (D.57).
wildcard_only := allow_with([td.cond("c2", "StringLike", "sts:ExternalId", ["*"])])

# ArnLike with "*" next to a concrete ARN: values are ORed, the "*" admits everything.
wildcard_only_among_others := allow_with([td.cond("c2", "ArnLike", "aws:SourceArn", ["arn:aws:sns:us-east-1:111122223333:topic", "*"])])

empty_value := allow_with([td.cond("c2", "StringEquals", "aws:PrincipalAccount", [""])])

# StringEquals compares "*" literally: never matches as intended.
literal_wildcard := allow_with([td.cond("c2", "StringEquals", "aws:SourceAccount", ["*"])])

test_if_exists_fires if {
	iamg_108.deny == {finding("sts:externalid", "if_exists")} with input as if_exists
}

test_bool_if_exists_fires if {
	iamg_108.deny == {finding("aws:multifactorauthpresent", "if_exists")} with input as bool_if_exists
}

test_for_all_values_fires if {
	iamg_108.deny == {finding("aws:principalorgid", "for_all_values")} with input as for_all_values
}

test_negated_fires if {
	iamg_108.deny == {finding("token.actions.githubusercontent.com:sub", "negated")} with input as negated
}

test_null_fires if {
	iamg_108.deny == {finding("sts:externalid", "null")} with input as null_false
}

test_wildcard_only_fires if {
	iamg_108.deny == {finding("sts:externalid", "wildcard_only")} with input as wildcard_only
}

test_wildcard_only_among_other_values_fires if {
	iamg_108.deny == {finding("aws:sourcearn", "wildcard_only")} with input as wildcard_only_among_others
}

test_empty_value_fires if {
	iamg_108.deny == {finding("aws:principalaccount", "empty_value")} with input as empty_value
}

test_literal_wildcard_fires if {
	iamg_108.deny == {finding("aws:sourceaccount", "literal_wildcard")} with input as literal_wildcard
}

# --- several reasons, several conditions -----------------------------------------------------

# One finding per reason: StringNotEqualsIfExists is negated and IfExists.
negated_if_exists := allow_with([td.cond("c2", "StringNotEqualsIfExists", "aws:PrincipalArn", ["arn:aws:iam::444455556666:role/x"])])

test_every_reason_is_reported if {
	iamg_108.deny == {
		finding("aws:principalarn", "negated"),
		finding("aws:principalarn", "if_exists"),
	} with input as negated_if_exists
}

# The OIDC audience (suffix :aud) and SAML:aud are restricting keys; a strong condition beside
# them does not hide them.
federated := td.trust([
	td.allow_actions("s0", [td.github_oidc("p1", "111122223333")], ["sts:AssumeRoleWithWebIdentity"], [
		td.cond("c2", "StringLike", "token.actions.githubusercontent.com:sub", ["repo:acme/*"]),
		td.cond("c3", "StringEqualsIfExists", "token.actions.githubusercontent.com:aud", ["sts.amazonaws.com"]),
	]),
	td.allow_actions("s1", [td.saml("p4", "111122223333", "Okta")], ["sts:AssumeRoleWithSAML"], [
		td.cond("c5", "ForAllValues:StringEquals", "SAML:aud", ["https://signin.aws.amazon.com/saml"]),
	]),
])

test_oidc_and_saml_keys_fire if {
	iamg_108.deny == {
		{"ref": "c3", "facts": {"statement": "s0", "key": "token.actions.githubusercontent.com:aud", "reason": "if_exists"}},
		{"ref": "c5", "facts": {"statement": "s1", "key": "saml:aud", "reason": "for_all_values"}},
	} with input as federated
}

# --- clean -----------------------------------------------------------------------------------

strong := allow_with([
	td.cond("c2", "StringEquals", "sts:ExternalId", ["s3cr3t"]),
	td.cond("c3", "Bool", "aws:MultiFactorAuthPresent", ["true"]),
	td.cond("c4", "StringLike", "aws:PrincipalArn", ["arn:aws:iam::444455556666:role/ci-*"]),
	td.cond("c5", "NumericLessThan", "aws:MultiFactorAuthAge", ["3600"]),
])

# ForAnyValue is false when the key is absent: a restriction (D.49, D.68).
for_any_value := allow_with([td.cond("c2", "ForAnyValue:StringLike", "token.actions.githubusercontent.com:sub", ["repo:acme/*"])])

# Weak forms on keys that restrict no caller are not this rule's business.
other_keys := allow_with([
	td.cond("c2", "StringEqualsIfExists", "aws:RequestedRegion", ["eu-west-1"]),
	td.cond("c3", "StringLike", "aws:PrincipalTag/team", ["*"]),
])

# In a Deny a negated operator (or IfExists) is the recommended form (C.4, C.6).
in_deny := td.trust([
	td.allow("s0", [td.any_aws("p1")], []),
	td.deny_stmt("s1", [td.star("p2")], [
		td.cond("c3", "StringNotEquals", "aws:PrincipalOrgID", ["o-abc123"]),
		td.cond("c4", "BoolIfExists", "aws:MultiFactorAuthPresent", ["false"]),
	]),
])

resource_policy := object.union(if_exists, {"kind": "resource"})

test_strong_conditions_are_clean if {
	count(iamg_108.deny) == 0 with input as strong
}

test_for_any_value_is_clean if {
	count(iamg_108.deny) == 0 with input as for_any_value
}

test_other_keys_are_clean if {
	count(iamg_108.deny) == 0 with input as other_keys
}

test_deny_statement_is_clean if {
	count(iamg_108.deny) == 0 with input as in_deny
}

test_resource_policy_is_clean if {
	count(iamg_108.deny) == 0 with input as resource_policy
}
