# IAMG-105 account-root-principal. Own account 111122223333, foreign 444455556666 (semantics C.5.4, D.41-D.42, D.48).
package pyiamguard.rules.iamg_105_test

import rego.v1

import data.pyiamguard.lib.testdata_test as td
import data.pyiamguard.rules.iamg_105

own := td.config({"own_accounts": ["111122223333"]})

root_with(conditions) := td.trust([td.allow("s0", [td.root("p1", "aws", "444455556666")], conditions)])

medium := {{"ref": "p1", "facts": {"statement": "s0", "account": "444455556666", "severity": "MEDIUM"}}}

# --- whole accounts --------------------------------------------------------------------------

foreign_root := root_with([])

# {"AWS": "444455556666"}: the bare id is the account root (D.41).
foreign_bare_id := td.trust([td.allow("s0", [td.account_id("p1", "444455556666")], [])])

own_root := td.trust([td.allow("s0", [td.root("p1", "aws", "111122223333")], [])])

own_root_in_context := td.trust_in(["111122223333"], "aws", [td.allow("s0", [td.root("p1", "aws", "111122223333")], [])])

# The own account number in GovCloud, for a role in the aws partition: another account (D.42).
govcloud_same_number := td.trust_in(["111122223333"], "aws", [td.allow("s0", [td.in_other_partition(td.root("p1", "aws-us-gov", "111122223333"))], [])])

china_root := td.trust([td.allow("s0", [td.root("p1", "aws-cn", "444455556666")], [])])

test_foreign_root_is_medium if {
	iamg_105.deny == medium with input as foreign_root with data.pyiamguard.config as own
}

test_bare_account_id_is_medium if {
	iamg_105.deny == medium with input as foreign_bare_id with data.pyiamguard.config as own
}

test_own_root_is_low if {
	iamg_105.deny == {{"ref": "p1", "facts": {"statement": "s0", "account": "111122223333", "severity": "LOW"}}} with input as own_root
		with data.pyiamguard.config as own
}

test_own_root_from_context_is_low if {
	iamg_105.deny == {{"ref": "p1", "facts": {"statement": "s0", "account": "111122223333", "severity": "LOW"}}} with input as own_root_in_context
}

test_own_account_unknown_is_medium if {
	iamg_105.deny == {{"ref": "p1", "facts": {"statement": "s0", "account": "111122223333", "severity": "MEDIUM"}}} with input as own_root
}

test_same_number_in_another_partition_is_medium if {
	iamg_105.deny == {{"ref": "p1", "facts": {"statement": "s0", "account": "111122223333", "severity": "MEDIUM"}}} with input as govcloud_same_number
}

test_china_partition_root_fires if {
	iamg_105.deny == medium with input as china_root with data.pyiamguard.config as own
}

# --- not whole accounts ----------------------------------------------------------------------

named_role_and_user := td.trust([td.allow("s0", [td.role("p1", "444455556666", "ci"), td.user("p2", "444455556666", "alice")], [])])

# A wildcard is IAMG-101's; confined to an account it is not a principal of this rule.
star_in_account := td.trust([td.allow("s0", [td.any_aws("p1")], [td.cond("c2", "StringEquals", "aws:PrincipalAccount", ["444455556666"])])])

test_named_role_and_user_are_clean if {
	count(iamg_105.deny) == 0 with input as named_role_and_user with data.pyiamguard.config as own
}

test_wildcard_is_clean if {
	count(iamg_105.deny) == 0 with input as star_in_account with data.pyiamguard.config as own
}

# --- narrowed by aws:PrincipalArn ------------------------------------------------------------

# Root + ArnLike aws:PrincipalArn <role of that account>: restricted to role x (D.48, checkov#7209).
narrowed := root_with([td.cond("c2", "ArnLike", "aws:PrincipalArn", ["arn:aws:iam::444455556666:role/x"])])

# Several values: all of them name concrete accounts.
narrowed_two := root_with([td.cond("c2", "ArnEquals", "aws:PrincipalArn", ["arn:aws:iam::444455556666:role/x", "arn:aws:iam::444455556666:user/y"])])

# The Principal names the account; a named role in any account narrows it to that role of
# the account (rules spec, "named principal"). D.82 is about a wildcard Principal.
arn_any_account := root_with([td.cond("c2", "ArnLike", "aws:PrincipalArn", ["arn:aws:iam::*:role/x"])])

# `role/*` names no principal: it narrows nothing (Amendments, IAMG-105).
arn_every_role := root_with([td.cond("c2", "ArnLike", "aws:PrincipalArn", ["arn:aws:iam::444455556666:role/*"])])

arn_role_prefix := root_with([td.cond("c2", "ArnLike", "aws:PrincipalArn", ["arn:aws:iam::444455556666:role/x", "arn:aws:iam::444455556666:role/ci-*"])])

# A named role whose account comes from a parameter without default is still named.
arn_unknown_account := root_with([object.union(
	td.cond("c2", "StringEquals", "aws:PrincipalArn", ["arn:aws:iam::${Account}:role/deployer"]),
	{"state": "unresolved", "values": [object.union(td.value("arn:aws:iam::${Account}:role/deployer"), {"unresolved": true})]},
)])

arn_if_exists := root_with([td.cond("c2", "ArnLikeIfExists", "aws:PrincipalArn", ["arn:aws:iam::444455556666:role/x"])])

arn_negated := root_with([td.cond("c2", "ArnNotLike", "aws:PrincipalArn", ["arn:aws:iam::444455556666:role/x"])])

arn_wildcard_only := root_with([td.cond("c2", "ArnLike", "aws:PrincipalArn", ["*"])])

arn_for_all_values := root_with([td.cond("c2", "ForAllValues:ArnLike", "aws:PrincipalArn", ["arn:aws:iam::444455556666:role/x"])])

test_principal_arn_narrows if {
	count(iamg_105.deny) == 0 with input as narrowed with data.pyiamguard.config as own
}

test_principal_arn_with_several_values_narrows if {
	count(iamg_105.deny) == 0 with input as narrowed_two with data.pyiamguard.config as own
}

test_principal_arn_with_any_account_names_a_role if {
	count(iamg_105.deny) == 0 with input as arn_any_account with data.pyiamguard.config as own
}

test_principal_arn_every_role_fires if {
	iamg_105.deny == medium with input as arn_every_role with data.pyiamguard.config as own
}

test_principal_arn_with_one_prefix_value_fires if {
	iamg_105.deny == medium with input as arn_role_prefix with data.pyiamguard.config as own
}

test_principal_arn_named_with_unknown_account_narrows if {
	count(iamg_105.deny) == 0 with input as arn_unknown_account with data.pyiamguard.config as own
}

test_principal_arn_if_exists_fires if {
	iamg_105.deny == medium with input as arn_if_exists with data.pyiamguard.config as own
}

test_principal_arn_negated_in_allow_fires if {
	iamg_105.deny == medium with input as arn_negated with data.pyiamguard.config as own
}

test_principal_arn_wildcard_only_fires if {
	iamg_105.deny == medium with input as arn_wildcard_only with data.pyiamguard.config as own
}

test_principal_arn_for_all_values_fires if {
	iamg_105.deny == medium with input as arn_for_all_values with data.pyiamguard.config as own
}

# --- Deny statements (C.6) -------------------------------------------------------------------

root_and_deny(deny_principals, conditions) := td.trust([
	td.allow("s0", [td.root("p1", "aws", "444455556666")], []),
	td.deny_stmt("s1", deny_principals, conditions),
])

# Deny "*" + ArnNotLike aws:PrincipalArn <role>: only that role gets in.
narrowed_by_deny := root_and_deny([td.star("p2")], [td.cond("c3", "ArnNotLike", "aws:PrincipalArn", ["arn:aws:iam::444455556666:role/x"])])

fully_denied := root_and_deny([td.root("p2", "aws", "444455556666")], [])

# A Deny on another key does not narrow the account.
deny_on_other_key := root_and_deny([td.star("p2")], [td.cond("c3", "StringNotEquals", "aws:PrincipalOrgID", ["o-abc123"])])

test_principal_arn_through_deny_narrows if {
	count(iamg_105.deny) == 0 with input as narrowed_by_deny with data.pyiamguard.config as own
}

test_fully_denied_root_is_clean if {
	count(iamg_105.deny) == 0 with input as fully_denied with data.pyiamguard.config as own
}

test_deny_on_another_key_fires if {
	iamg_105.deny == medium with input as deny_on_other_key with data.pyiamguard.config as own
}

# --- actions ---------------------------------------------------------------------------------

# Allow + NotAction sts:AssumeRoleWithSAML grants sts:AssumeRole (D.53).
not_action_saml := td.trust([td.allow_not_actions("s0", [td.root("p1", "aws", "444455556666")], ["sts:AssumeRoleWithSAML"], [])])

tag_session_only := td.trust([td.allow_actions("s0", [td.root("p1", "aws", "444455556666")], ["sts:TagSession"], [])])

root_deny_only := td.trust([td.deny_stmt("s0", [td.root("p1", "aws", "444455556666")], [])])

test_not_action_fires if {
	iamg_105.deny == medium with input as not_action_saml with data.pyiamguard.config as own
}

test_no_assume_action_is_clean if {
	count(iamg_105.deny) == 0 with input as tag_session_only with data.pyiamguard.config as own
}

test_deny_statement_is_clean if {
	count(iamg_105.deny) == 0 with input as root_deny_only with data.pyiamguard.config as own
}

# The same statement in a resource policy (an S3 bucket or KMS key policy): not a trust policy.
resource_policy := object.union(foreign_root, {"kind": "resource"})

test_resource_policy_is_clean if {
	count(iamg_105.deny) == 0 with input as resource_policy with data.pyiamguard.config as own
}

# Another of your accounts is not the role's own: MEDIUM, not LOW.
several_own := td.config({"own_accounts": ["111122223333", "444455556666"]})

known_role_account := td.trust_in(["111122223333"], "", [td.allow("s0", [td.root("p1", "aws", "444455556666")], [])])

test_other_own_account_is_medium if {
	iamg_105.deny == medium with input as known_role_account with data.pyiamguard.config as several_own
}
