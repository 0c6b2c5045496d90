# IAMG-103 missing-external-id. Own account 111122223333, foreign 444455556666 (semantics C.5.2, D.57-D.59).
package pyiamguard.rules.iamg_103_test

import rego.v1

import data.pyiamguard.lib.testdata_test as td
import data.pyiamguard.rules.iamg_103

own := td.config({"own_accounts": ["111122223333"]})

internal := td.config({"own_accounts": ["111122223333"], "internal_accounts": ["444455556666"]})

trusted := td.config({"own_accounts": ["111122223333"], "trusted_accounts": ["444455556666"]})

trusted_org := td.config({"own_accounts": ["111122223333"], "trusted_org_ids": ["o-trusted1"]})

foreign_with(conditions) := td.trust([td.allow("s0", [td.root("p1", "aws", "444455556666")], conditions)])

finding := {{"ref": "p1", "facts": {"statement": "s0", "account": "444455556666"}}}

# --- without, and with a restricting ExternalId --------------------------------------------

no_external_id := foreign_with([])

# StringEquals {"sts:ExternalId": "<uuid>"} (D.57); the key arrives lower-cased (D.59).
external_id := foreign_with([td.cond("c2", "StringEquals", "sts:ExternalId", ["6b9c4f1e-0d1a-4c4e-9a57-1f0c0c6b7e11"])])

# StringLike with a concrete value is restricting too.
external_id_like := foreign_with([td.cond("c2", "StringLike", "sts:ExternalId", ["acme-*"])])

test_missing_external_id_fires if {
	iamg_103.deny == finding with input as no_external_id with data.pyiamguard.config as own
}

test_external_id_is_clean if {
	count(iamg_103.deny) == 0 with input as external_id with data.pyiamguard.config as own
}

test_external_id_pattern_is_clean if {
	count(iamg_103.deny) == 0 with input as external_id_like with data.pyiamguard.config as own
}

# --- weak ExternalId conditions count as missing (C.5.2) -----------------------------------

# StringLike "*" (checkov CKV_AWS_61 passes it, D.57).
external_id_wildcard := foreign_with([td.cond("c2", "StringLike", "sts:ExternalId", ["*"])])

# The caller simply omits the key (D.58).
external_id_if_exists := foreign_with([td.cond("c2", "StringEqualsIfExists", "sts:ExternalId", ["s3cr3t"])])

# Null false accepts any value (D.58).
external_id_null := foreign_with([td.cond("c2", "Null", "sts:ExternalId", ["false"])])

external_id_for_all_values := foreign_with([td.cond("c2", "ForAllValues:StringEquals", "sts:ExternalId", ["s3cr3t"])])

external_id_empty := foreign_with([td.cond("c2", "StringEquals", "sts:ExternalId", [""])])

external_id_negated := foreign_with([td.cond("c2", "StringNotEquals", "sts:ExternalId", ["s3cr3t"])])

test_wildcard_external_id_fires if {
	iamg_103.deny == finding with input as external_id_wildcard with data.pyiamguard.config as own
}

test_if_exists_external_id_fires if {
	iamg_103.deny == finding with input as external_id_if_exists with data.pyiamguard.config as own
}

test_null_external_id_fires if {
	iamg_103.deny == finding with input as external_id_null with data.pyiamguard.config as own
}

test_for_all_values_external_id_fires if {
	iamg_103.deny == finding with input as external_id_for_all_values with data.pyiamguard.config as own
}

test_empty_external_id_fires if {
	iamg_103.deny == finding with input as external_id_empty with data.pyiamguard.config as own
}

test_negated_external_id_in_allow_fires if {
	iamg_103.deny == finding with input as external_id_negated with data.pyiamguard.config as own
}

# A Deny "*" + StringNotEquals sts:ExternalId is an equivalent restriction (C.6).
external_id_by_deny := td.trust([
	td.allow("s0", [td.root("p1", "aws", "444455556666")], []),
	td.deny_stmt("s1", [td.star("p2")], [td.cond("c3", "StringNotEquals", "sts:ExternalId", ["s3cr3t"])]),
])

test_external_id_through_deny_is_clean if {
	count(iamg_103.deny) == 0 with input as external_id_by_deny with data.pyiamguard.config as own
}

# A Deny that names another principal does not cover this one.
external_id_by_deny_of_other := td.trust([
	td.allow("s0", [td.root("p1", "aws", "444455556666")], []),
	td.deny_stmt("s1", [td.root("p2", "aws", "777788889999")], [td.cond("c3", "StringNotEquals", "sts:ExternalId", ["s3cr3t"])]),
])

test_external_id_through_deny_of_other_principal_fires if {
	iamg_103.deny == finding with input as external_id_by_deny_of_other with data.pyiamguard.config as own
}

# --- which principals and accounts ----------------------------------------------------------

test_internal_account_is_clean if {
	count(iamg_103.deny) == 0 with input as no_external_id with data.pyiamguard.config as internal
}

# trusted_accounts is the allowlist of IAMG-102: a trusted third party still needs an ExternalId.
test_trusted_account_still_fires if {
	iamg_103.deny == finding with input as no_external_id with data.pyiamguard.config as trusted
}

own_root := td.trust([td.allow("s0", [td.root("p1", "aws", "111122223333")], [])])

test_own_account_is_clean if {
	count(iamg_103.deny) == 0 with input as own_root with data.pyiamguard.config as own
}

in_trusted_org := foreign_with([td.cond("c2", "StringEquals", "aws:PrincipalOrgID", ["o-trusted1"])])

test_account_in_trusted_org_is_clean if {
	count(iamg_103.deny) == 0 with input as in_trusted_org with data.pyiamguard.config as trusted_org
}

# GovCloud root of the own account number: another account (D.42).
govcloud_same_number := td.trust_in(["111122223333"], "aws", [td.allow("s0", [td.in_other_partition(td.root("p1", "aws-us-gov", "111122223333"))], [])])

test_same_number_in_another_partition_fires if {
	iamg_103.deny == {{"ref": "p1", "facts": {"statement": "s0", "account": "111122223333"}}} with input as govcloud_same_number
}

# {"AWS": "*"} + StringEquals aws:PrincipalAccount <foreign>: the effective principal (D.83).
star_in_foreign_account := td.trust([td.allow("s0", [td.any_aws("p1")], [
	td.cond("c2", "StringEquals", "aws:PrincipalAccount", ["444455556666"]),
])])

test_wildcard_confined_to_foreign_account_fires if {
	iamg_103.deny == {{"ref": "c2", "facts": {"statement": "s0", "account": "444455556666"}}} with input as star_in_foreign_account
		with data.pyiamguard.config as own
}

service_principal := td.trust([td.allow("s0", [td.service("p1", "sns.amazonaws.com")], [])])

test_service_principal_is_clean if {
	count(iamg_103.deny) == 0 with input as service_principal with data.pyiamguard.config as own
}

# --- actions --------------------------------------------------------------------------------

# sts:* grants AssumeRole, and its ExternalId condition still counts (checkov ignores it, D.52).
sts_star_with_external_id := td.trust([td.allow_actions("s0", [td.root("p1", "aws", "444455556666")], ["sts:*"], [
	td.cond("c2", "StringEquals", "sts:ExternalId", ["s3cr3t"]),
])])

sts_star_without := td.trust([td.allow_actions("s0", [td.root("p1", "aws", "444455556666")], ["STS:Assume*"], [])])

# Allow + NotAction sts:AssumeRoleWithSAML grants sts:AssumeRole (D.53).
not_action_saml := td.trust([td.allow_not_actions("s0", [td.root("p1", "aws", "444455556666")], ["sts:AssumeRoleWithSAML"], [])])

# Only sts:AssumeRoleWithWebIdentity: no sts:AssumeRole, no ExternalId.
web_identity_only := td.trust([td.allow_actions("s0", [td.root("p1", "aws", "444455556666")], ["sts:AssumeRoleWithWebIdentity"], [])])

test_sts_star_with_external_id_is_clean if {
	count(iamg_103.deny) == 0 with input as sts_star_with_external_id with data.pyiamguard.config as own
}

test_assume_wildcard_without_external_id_fires if {
	iamg_103.deny == finding with input as sts_star_without with data.pyiamguard.config as own
}

test_not_action_fires if {
	iamg_103.deny == finding with input as not_action_saml with data.pyiamguard.config as own
}

test_web_identity_only_is_clean if {
	count(iamg_103.deny) == 0 with input as web_identity_only with data.pyiamguard.config as own
}

# Regression: {"AWS": "*"} confined by a Deny to a foreign account admits that
# account without an ExternalId; the Allow-side twin (star_in_foreign_account) fires.
star_denied_unless_account := td.trust([
	td.allow("s0", [td.any_aws("p1")], []),
	td.deny_stmt("s1", [td.star("p2")], [td.cond("c3", "StringNotEquals", "aws:PrincipalAccount", ["444455556666"])]),
])

test_wildcard_confined_by_deny_to_foreign_account_fires if {
	iamg_103.deny == {{"ref": "c3", "facts": {"statement": "s0", "account": "444455556666"}}} with input as star_denied_unless_account
		with data.pyiamguard.config as own
}

# The same statement in a resource policy (an S3 bucket or KMS key policy): not a trust policy.
resource_policy := object.union(no_external_id, {"kind": "resource"})

test_resource_policy_is_clean if {
	count(iamg_103.deny) == 0 with input as resource_policy with data.pyiamguard.config as own
}

# --- your accounts and supplied ExternalIds (Amendments) ----------------------------------

several_own := td.config({"own_accounts": ["111122223333", "444455556666"]})

test_other_own_account_needs_no_external_id if {
	count(iamg_103.deny) == 0 with input as no_external_id with data.pyiamguard.config as several_own
}

# `StringEquals sts:ExternalId: !Ref ExternalId` (no default): a restricting ExternalId.
external_id_from_parameter := foreign_with([object.union(
	td.cond("c2", "StringEquals", "sts:ExternalId", ["${ExternalId}"]),
	{"state": "unresolved", "values": [object.union(td.value("${ExternalId}"), {"unresolved": true})]},
)])

test_external_id_from_parameter_is_clean if {
	count(iamg_103.deny) == 0 with input as external_id_from_parameter with data.pyiamguard.config as own
}

only_your_accounts_deny := td.trust([
	td.allow("s0", [td.root("p1", "aws", "444455556666")], []),
	td.deny_stmt("s2", [td.star("p3")], [td.cond("c4", "StringNotEquals", "aws:PrincipalAccount", ["111122223333"])]),
])

test_deny_outside_your_accounts_removes_the_principal if {
	count(iamg_103.deny) == 0 with input as only_your_accounts_deny with data.pyiamguard.config as own
}
