# IAMG-104 missing-mfa. Own account 111122223333, foreign 444455556666 (semantics C.5.3, D.60-D.64).
package pyiamguard.rules.iamg_104_test

import rego.v1

import data.pyiamguard.lib.testdata_test as td
import data.pyiamguard.rules.iamg_104

# require_mfa: people (the default), all, off.
mfa_people := td.config({"own_accounts": ["111122223333"]})

mfa_all := td.config({"own_accounts": ["111122223333"], "require_mfa": "all"})

mfa_off := td.config({"own_accounts": ["111122223333"], "require_mfa": "off"})

# Neither trusted_accounts nor internal_accounts waives MFA for people.
trusted := td.config({"own_accounts": ["111122223333"], "trusted_accounts": ["444455556666"], "internal_accounts": ["444455556666"]})

root_with(conditions) := td.trust([td.allow("s0", [td.root("p1", "aws", "444455556666")], conditions)])

root_finding := {{"ref": "p1", "facts": {"statement": "s0", "account": "444455556666", "scope": "root"}}}

# --- who needs MFA: require_mfa --------------------------------------------------------------

foreign_root := root_with([])

foreign_bare_id := td.trust([td.allow("s0", [td.account_id("p1", "444455556666")], [])])

foreign_user := td.trust([td.allow("s0", [td.user("p1", "444455556666", "alice")], [])])

foreign_role := td.trust([td.allow("s0", [td.role("p1", "444455556666", "ci")], [])])

test_people_root_fires if {
	iamg_104.deny == root_finding with input as foreign_root with data.pyiamguard.config as mfa_people
}

test_people_bare_account_id_fires if {
	iamg_104.deny == {{"ref": "p1", "facts": {"statement": "s0", "account": "444455556666", "scope": "account"}}} with input as foreign_bare_id
		with data.pyiamguard.config as mfa_people
}

test_people_user_fires if {
	iamg_104.deny == {{"ref": "p1", "facts": {"statement": "s0", "account": "444455556666", "scope": "user"}}} with input as foreign_user
		with data.pyiamguard.config as mfa_people
}

test_people_role_is_clean if {
	count(iamg_104.deny) == 0 with input as foreign_role with data.pyiamguard.config as mfa_people
}

test_all_role_fires if {
	iamg_104.deny == {{"ref": "p1", "facts": {"statement": "s0", "account": "444455556666", "scope": "role"}}} with input as foreign_role
		with data.pyiamguard.config as mfa_all
}

test_off_is_clean if {
	count(iamg_104.deny) == 0 with input as foreign_root with data.pyiamguard.config as mfa_off
}

test_trusted_and_internal_account_still_fires if {
	iamg_104.deny == root_finding with input as foreign_root with data.pyiamguard.config as trusted
}

# A restricting ExternalId marks a machine third party: out of scope for people, not for all.
root_with_external_id := root_with([td.cond("c2", "StringEquals", "sts:ExternalId", ["s3cr3t"])])

# A weak ExternalId marks nothing.
root_with_weak_external_id := root_with([td.cond("c2", "StringEqualsIfExists", "sts:ExternalId", ["s3cr3t"])])

test_people_external_id_is_clean if {
	count(iamg_104.deny) == 0 with input as root_with_external_id with data.pyiamguard.config as mfa_people
}

test_all_external_id_fires if {
	iamg_104.deny == root_finding with input as root_with_external_id with data.pyiamguard.config as mfa_all
}

test_people_weak_external_id_fires if {
	iamg_104.deny == root_finding with input as root_with_weak_external_id with data.pyiamguard.config as mfa_people
}

# --- what counts as requiring MFA -----------------------------------------------------------

# Bool {"aws:MultiFactorAuthPresent": "true"} (a JSON true is stringified, D.61).
mfa_bool := root_with([td.cond("c2", "Bool", "aws:MultiFactorAuthPresent", ["true"])])

# NumericLessThan aws:MultiFactorAuthAge: the key is absent without MFA (D.62).
mfa_age := root_with([td.cond("c2", "NumericLessThan", "aws:MultiFactorAuthAge", ["3600"])])

# BoolIfExists true lets long-term access keys in without MFA (D.60).
mfa_bool_if_exists := root_with([td.cond("c2", "BoolIfExists", "aws:MultiFactorAuthPresent", ["true"])])

mfa_bool_false := root_with([td.cond("c2", "Bool", "aws:MultiFactorAuthPresent", ["false"])])

# Null false only tests that the key is present.
mfa_null := root_with([td.cond("c2", "Null", "aws:MultiFactorAuthPresent", ["false"])])

mfa_age_greater := root_with([td.cond("c2", "NumericGreaterThan", "aws:MultiFactorAuthAge", ["3600"])])

mfa_age_if_exists := root_with([td.cond("c2", "NumericLessThanIfExists", "aws:MultiFactorAuthAge", ["3600"])])

test_bool_true_is_clean if {
	count(iamg_104.deny) == 0 with input as mfa_bool with data.pyiamguard.config as mfa_people
}

test_mfa_age_is_clean if {
	count(iamg_104.deny) == 0 with input as mfa_age with data.pyiamguard.config as mfa_people
}

test_bool_if_exists_fires if {
	iamg_104.deny == root_finding with input as mfa_bool_if_exists with data.pyiamguard.config as mfa_people
}

test_bool_false_fires if {
	iamg_104.deny == root_finding with input as mfa_bool_false with data.pyiamguard.config as mfa_people
}

test_null_fires if {
	iamg_104.deny == root_finding with input as mfa_null with data.pyiamguard.config as mfa_people
}

test_mfa_age_greater_than_fires if {
	iamg_104.deny == root_finding with input as mfa_age_greater with data.pyiamguard.config as mfa_people
}

test_mfa_age_if_exists_fires if {
	iamg_104.deny == root_finding with input as mfa_age_if_exists with data.pyiamguard.config as mfa_people
}

# --- MFA through a Deny (C.5.3, D.63) --------------------------------------------------------

root_and_deny(deny_principals, operator) := td.trust([
	td.allow("s0", [td.root("p1", "aws", "444455556666")], []),
	td.deny_stmt("s1", deny_principals, [td.cond("c3", operator, "aws:MultiFactorAuthPresent", ["false"])]),
])

# AWS's recommended combination: Deny + BoolIfExists {MultiFactorAuthPresent: false}.
deny_without_mfa := root_and_deny([td.star("p2")], "BoolIfExists")

deny_without_mfa_same_principal := root_and_deny([td.root("p2", "aws", "444455556666")], "BoolIfExists")

# Bool false without IfExists: access-key callers carry no key, so the Deny skips them.
deny_bool_false := root_and_deny([td.star("p2")], "Bool")

deny_without_mfa_other_principal := root_and_deny([td.root("p2", "aws", "777788889999")], "BoolIfExists")

test_deny_bool_if_exists_false_is_clean if {
	count(iamg_104.deny) == 0 with input as deny_without_mfa with data.pyiamguard.config as mfa_people
}

test_deny_of_the_same_principal_is_clean if {
	count(iamg_104.deny) == 0 with input as deny_without_mfa_same_principal with data.pyiamguard.config as mfa_people
}

test_deny_bool_false_without_if_exists_fires if {
	iamg_104.deny == root_finding with input as deny_bool_false with data.pyiamguard.config as mfa_people
}

test_deny_of_another_principal_fires if {
	iamg_104.deny == root_finding with input as deny_without_mfa_other_principal with data.pyiamguard.config as mfa_people
}

# --- principals MFA never applies to (D.64) ---------------------------------------------------

own_root := td.trust([td.allow("s0", [td.root("p1", "aws", "111122223333")], [])])

machine_principals := td.trust([
	td.allow("s0", [td.service("p1", "ec2.amazonaws.com")], []),
	td.allow_actions("s1", [td.github_oidc("p2", "111122223333")], ["sts:AssumeRoleWithWebIdentity"], []),
	td.allow_actions("s2", [td.saml("p3", "111122223333", "Okta")], ["sts:AssumeRoleWithSAML"], []),
])

web_identity_only := td.trust([td.allow_actions("s0", [td.root("p1", "aws", "444455556666")], ["sts:AssumeRoleWithWebIdentity"], [])])

test_own_account_is_clean if {
	count(iamg_104.deny) == 0 with input as own_root with data.pyiamguard.config as mfa_all
}

test_service_oidc_saml_are_clean if {
	count(iamg_104.deny) == 0 with input as machine_principals with data.pyiamguard.config as mfa_all
}

test_no_sts_assume_role_is_clean if {
	count(iamg_104.deny) == 0 with input as web_identity_only with data.pyiamguard.config as mfa_all
}

# --- wildcards confined by conditions ---------------------------------------------------------

# {"AWS": "*"} + StringEquals aws:PrincipalAccount <foreign>: the whole account (D.83).
star_in_foreign_account := td.trust([td.allow("s0", [td.any_aws("p1")], [
	td.cond("c2", "StringEquals", "aws:PrincipalAccount", ["444455556666"]),
])])

test_wildcard_confined_to_foreign_account_fires if {
	iamg_104.deny == {{"ref": "c2", "facts": {"statement": "s0", "account": "444455556666", "scope": "account"}}} with input as star_in_foreign_account
		with data.pyiamguard.config as mfa_people
}

# Regression: {"AWS": "*"} + ArnEquals aws:PrincipalArn <a foreign IAM user>
# admits that user; require_mfa people covers users, and the same user named in the Principal
# element fires (test_people_user_fires): the derived principal takes its scope from the ARN.
star_confined_to_foreign_user := td.trust([td.allow("s0", [td.any_aws("p1")], [
	td.cond("c2", "ArnEquals", "aws:PrincipalArn", ["arn:aws:iam::444455556666:user/alice"]),
])])

test_wildcard_confined_to_foreign_user_fires if {
	iamg_104.deny == {{"ref": "c2", "facts": {"statement": "s0", "account": "444455556666", "scope": "user"}}} with input as star_confined_to_foreign_user
		with data.pyiamguard.config as mfa_people
}

# The same statement in a resource policy (an S3 bucket or KMS key policy): not a trust policy.
resource_policy := object.union(foreign_root, {"kind": "resource"})

test_resource_policy_is_clean if {
	count(iamg_104.deny) == 0 with input as resource_policy with data.pyiamguard.config as mfa_people
}

# Another of your accounts is still cross-account for MFA (Amendments, IAMG-102/103).
several_own := td.config({"own_accounts": ["111122223333", "444455556666"]})

known_role_account := td.trust_in(["111122223333"], "", [td.allow("s0", [td.root("p1", "aws", "444455556666")], [])])

test_other_own_account_still_needs_mfa_for_people if {
	iamg_104.deny == root_finding with input as known_role_account with data.pyiamguard.config as several_own
}
