# IAMG-102 untrusted-account. Own account 111122223333, foreign 444455556666 (semantics C.5.5, C.7).
package pyiamguard.rules.iamg_102_test

import rego.v1

import data.pyiamguard.lib.testdata_test as td
import data.pyiamguard.rules.iamg_102

own := td.config({"own_accounts": ["111122223333"]})

trusted := td.config({"own_accounts": ["111122223333"], "trusted_accounts": ["444455556666"]})

trusted_org := td.config({"trusted_org_ids": ["o-trusted1"]})

# --- named principals ----------------------------------------------------------------------

foreign_root := td.trust([td.allow("s0", [td.root("p1", "aws", "444455556666")], [])])

# {"AWS": "444455556666"}: the bare id is the same account root (KICS misses it, D.41).
foreign_bare_id := td.trust([td.allow("s0", [td.account_id("p1", "444455556666")], [])])

foreign_role := td.trust([td.allow("s0", [td.role("p1", "444455556666", "ci")], [])])

own_root := td.trust([td.allow("s0", [td.root("p1", "aws", "111122223333")], [])])

test_foreign_root_fires if {
	iamg_102.deny == {{"ref": "p1", "facts": {"statement": "s0", "account": "444455556666"}}} with input as foreign_root
		with data.pyiamguard.config as own
}

test_bare_account_id_fires if {
	iamg_102.deny == {{"ref": "p1", "facts": {"statement": "s0", "account": "444455556666"}}} with input as foreign_bare_id
		with data.pyiamguard.config as own
}

test_foreign_role_fires if {
	iamg_102.deny == {{"ref": "p1", "facts": {"statement": "s0", "account": "444455556666"}}} with input as foreign_role
		with data.pyiamguard.config as own
}

# Own account unknown: every explicit account is foreign (the message says so).
test_own_account_unknown_fires if {
	iamg_102.deny == {{"ref": "p1", "facts": {"statement": "s0", "account": "111122223333"}}} with input as own_root
}

test_own_account_from_config_is_clean if {
	count(iamg_102.deny) == 0 with input as own_root with data.pyiamguard.config as own
}

# The loader knows the own account (Terraform caller identity, CloudFormation AWS::AccountId).
own_root_in_context := td.trust_in(["111122223333"], "aws", [td.allow("s0", [td.root("p1", "aws", "111122223333")], [])])

test_own_account_from_context_is_clean if {
	count(iamg_102.deny) == 0 with input as own_root_in_context
}

test_trusted_account_is_clean if {
	count(iamg_102.deny) == 0 with input as foreign_root with data.pyiamguard.config as trusted
}

# --- partitions (C.7: accounts are (partition, account) pairs) ----------------------------

# The own account number in GovCloud, for a role in the aws partition: another account (D.42, D.56).
govcloud_same_number := td.trust_in(["111122223333"], "aws", [td.allow("s0", [td.in_other_partition(td.root("p1", "aws-us-gov", "111122223333"))], [])])

# A China-partition root of another account (D.42).
china_foreign := td.trust([td.allow("s0", [td.root("p1", "aws-cn", "444455556666")], [])])

test_same_number_in_another_partition_fires if {
	iamg_102.deny == {{"ref": "p1", "facts": {"statement": "s0", "account": "111122223333"}}} with input as govcloud_same_number
}

test_china_partition_root_fires if {
	iamg_102.deny == {{"ref": "p1", "facts": {"statement": "s0", "account": "444455556666"}}} with input as china_foreign
		with data.pyiamguard.config as own
}

# --- organizations -------------------------------------------------------------------------

foreign_root_in_org(org) := td.trust([td.allow("s0", [td.root("p1", "aws", "444455556666")], [
	td.cond("c2", "StringEquals", "aws:PrincipalOrgID", [org]),
])])

foreign_root_in_trusted_org := foreign_root_in_org("o-trusted1")

foreign_root_in_other_org := foreign_root_in_org("o-other123")

test_named_account_in_trusted_org_is_clean if {
	count(iamg_102.deny) == 0 with input as foreign_root_in_trusted_org with data.pyiamguard.config as trusted_org
}

test_named_account_in_untrusted_org_fires if {
	iamg_102.deny == {{"ref": "p1", "facts": {"statement": "s0", "account": "444455556666"}}} with input as foreign_root_in_other_org
		with data.pyiamguard.config as trusted_org
}

# --- a wildcard confined by conditions: the condition values are the principals ------------

star_with(conditions) := td.trust([td.allow("s0", [td.any_aws("p1")], conditions)])

star_in_org := star_with([td.cond("c2", "StringEquals", "aws:PrincipalOrgID", ["o-abc123"])])

star_in_trusted_org := star_with([td.cond("c2", "StringEquals", "aws:PrincipalOrgID", ["o-trusted1"])])

# Organization paths start with the org id.
star_in_trusted_org_path := star_with([td.cond("c2", "ForAnyValue:StringLike", "aws:PrincipalOrgPaths", ["o-trusted1/r-ab12/ou-ab12-11111111/*"])])

test_wildcard_confined_to_untrusted_org_fires if {
	iamg_102.deny == {{"ref": "c2", "facts": {"statement": "s0", "org": "o-abc123"}}} with input as star_in_org
}

test_wildcard_confined_to_trusted_org_is_clean if {
	count(iamg_102.deny) == 0 with input as star_in_trusted_org with data.pyiamguard.config as trusted_org
}

test_wildcard_confined_to_trusted_org_path_is_clean if {
	count(iamg_102.deny) == 0 with input as star_in_trusted_org_path with data.pyiamguard.config as trusted_org
}

# {"AWS": "*"} + StringEquals aws:PrincipalAccount [own, foreign]: only the foreign one (D.83).
star_in_accounts := star_with([td.cond("c2", "StringEquals", "aws:PrincipalAccount", ["111122223333", "444455556666"])])

test_wildcard_confined_to_accounts_fires_for_the_foreign_one if {
	iamg_102.deny == {{"ref": "c2", "facts": {"statement": "s0", "account": "444455556666"}}} with input as star_in_accounts
		with data.pyiamguard.config as own
}

# Self-assume: {"AWS": "*"} + ArnLike aws:PrincipalArn <own role> (D.47).
star_self_assume := star_with([td.cond("c2", "ArnLike", "aws:PrincipalArn", ["arn:aws:iam::111122223333:role/self"])])

test_self_assume_is_clean if {
	count(iamg_102.deny) == 0 with input as star_self_assume with data.pyiamguard.config as own
}

test_self_assume_with_own_account_unknown_fires if {
	iamg_102.deny == {{"ref": "c2", "facts": {"statement": "s0", "account": "111122223333"}}} with input as star_self_assume
}

# Conditions are ANDed: named accounts are narrower than the organization, which is not reported.
star_in_account_and_org := star_with([
	td.cond("c2", "StringEquals", "aws:PrincipalAccount", ["444455556666"]),
	td.cond("c3", "StringEquals", "aws:PrincipalOrgID", ["o-abc123"]),
])

test_accounts_are_narrower_than_org if {
	iamg_102.deny == {{"ref": "c2", "facts": {"statement": "s0", "account": "444455556666"}}} with input as star_in_account_and_org
		with data.pyiamguard.config as own
}

# An unconfined wildcard is IAMG-101's finding, not this rule's.
star_unconfined := star_with([])

test_unconfined_wildcard_is_left_to_iamg_101 if {
	count(iamg_102.deny) == 0 with input as star_unconfined
}

# --- what the rule does not look at --------------------------------------------------------

# A foreign principal that a Deny without conditions shuts out.
foreign_root_denied := td.trust([
	td.allow("s0", [td.root("p1", "aws", "444455556666")], []),
	td.deny_stmt("s1", [td.root("p2", "aws", "444455556666")], []),
])

service_and_oidc := td.trust([
	td.allow("s0", [td.service("p1", "sns.amazonaws.com")], []),
	td.allow_actions("s1", [td.github_oidc("p2", "111122223333")], ["sts:AssumeRoleWithWebIdentity"], []),
])

foreign_root_deny_only := td.trust([td.deny_stmt("s0", [td.root("p1", "aws", "444455556666")], [])])

foreign_root_tag_session := td.trust([td.allow_actions("s0", [td.root("p1", "aws", "444455556666")], ["sts:TagSession"], [])])

test_fully_denied_principal_is_clean if {
	count(iamg_102.deny) == 0 with input as foreign_root_denied with data.pyiamguard.config as own
}

test_service_and_oidc_principals_are_clean if {
	count(iamg_102.deny) == 0 with input as service_and_oidc with data.pyiamguard.config as own
}

test_deny_statement_is_clean if {
	count(iamg_102.deny) == 0 with input as foreign_root_deny_only with data.pyiamguard.config as own
}

test_no_assume_action_is_clean if {
	count(iamg_102.deny) == 0 with input as foreign_root_tag_session with data.pyiamguard.config as own
}

# Regression: {"AWS": "*"} confined by a Deny to a foreign account (Deny "*"
# StringNotEquals aws:PrincipalAccount 444455556666) admits exactly that account, which is not
# allow-listed: it fires like its Allow-side twin (star_in_accounts), on the Deny's condition
# (C.6: the Deny neutralises the allowlist rule only when its values are allow-listed).
star_denied_unless_account := td.trust([
	td.allow("s0", [td.any_aws("p1")], []),
	td.deny_stmt("s1", [td.star("p2")], [td.cond("c3", "StringNotEquals", "aws:PrincipalAccount", ["444455556666"])]),
])

test_wildcard_confined_by_deny_to_foreign_account_fires if {
	iamg_102.deny == {{"ref": "c3", "facts": {"statement": "s0", "account": "444455556666"}}} with input as star_denied_unless_account
		with data.pyiamguard.config as own
}

# Regression: the same with an organization that is not in trusted_org_ids.
star_denied_unless_org := td.trust([
	td.allow("s0", [td.any_aws("p1")], []),
	td.deny_stmt("s1", [td.star("p2")], [td.cond("c3", "StringNotEquals", "aws:PrincipalOrgID", ["o-abc123"])]),
])

test_wildcard_confined_by_deny_to_untrusted_org_fires if {
	iamg_102.deny == {{"ref": "c3", "facts": {"statement": "s0", "org": "o-abc123"}}} with input as star_denied_unless_org
		with data.pyiamguard.config as trusted_org
}

# The same statement in a resource policy (an S3 bucket or KMS key policy): not a trust policy.
resource_policy := object.union(foreign_root, {"kind": "resource"})

test_resource_policy_is_clean if {
	count(iamg_102.deny) == 0 with input as resource_policy with data.pyiamguard.config as own
}

# --- federation providers (C.5.5) ------------------------------------------------------------

# A GitHub OIDC provider of another account: federation only works with a provider of the
# role's own account, so with the own account known it is an untrusted account.
foreign_oidc := td.trust([td.allow_actions("s0", [td.github_oidc("p1", "444455556666")], ["sts:AssumeRoleWithWebIdentity"], [
	td.cond("c4", "StringLike", "token.actions.githubusercontent.com:sub", ["repo:org/app:*"]),
])])

test_foreign_oidc_provider_fires_when_own_account_is_known if {
	iamg_102.deny == {{"ref": "p1", "facts": {"statement": "s0", "account": "444455556666"}}} with input as foreign_oidc
		with data.pyiamguard.config as own
}

test_foreign_oidc_provider_is_silent_when_own_account_is_unknown if {
	count(iamg_102.deny) == 0 with input as foreign_oidc
}

test_own_saml_provider_is_silent if {
	doc := td.trust([td.allow_actions("s0", [td.saml("p1", "111122223333", "Okta")], ["sts:AssumeRoleWithSAML"], [])])
	count(iamg_102.deny) == 0 with input as doc with data.pyiamguard.config as own
}

# A placeholder such as "ACCOUNT-B-ID" names no readable account: IAMG-109 reports it, not this rule.
placeholder := td.trust([td.allow("s0", [td.principal("p1", "aws", "AWS", "ACCOUNT-B-ID", {"scope": "account", "defects": ["placeholder"]})], [])])

test_placeholder_principal_is_left_to_iamg_109 if {
	count(iamg_102.deny) == 0 with input as placeholder
}

# --- your accounts (Amendments, IAMG-102/103) --------------------------------------------

several_own := td.config({"own_accounts": ["111122223333", "444455556666"]})

internal_only := td.config({"internal_accounts": ["444455556666"]})

test_other_own_account_is_not_untrusted if {
	count(iamg_102.deny) == 0 with input as foreign_root with data.pyiamguard.config as several_own
}

test_internal_account_is_not_untrusted if {
	count(iamg_102.deny) == 0 with input as foreign_root with data.pyiamguard.config as internal_only
}

# The loader knows the role's account (a dump, Terraform's caller identity); another account
# of own_accounts is still one of yours.
known_role_account := td.trust_in(["777788889999"], "", [td.allow("s0", [td.root("p1", "aws", "444455556666")], [])])

test_own_accounts_beside_the_known_role_account_are_yours if {
	count(iamg_102.deny) == 0 with input as known_role_account with data.pyiamguard.config as several_own
}

# --- a Deny that removes a named principal (rules spec, "effective principals") -----------

only_your_accounts_deny := td.trust([
	td.allow("s0", [td.root("p1", "aws", "444455556666")], []),
	td.deny_stmt("s2", [td.star("p3")], [td.cond("c4", "StringNotEquals", "aws:PrincipalAccount", ["111122223333"])]),
])

test_deny_outside_your_accounts_removes_the_named_principal if {
	count(iamg_102.deny) == 0 with input as only_your_accounts_deny with data.pyiamguard.config as own
}

# The Deny spares the principal's account: it stays, and is untrusted.
deny_sparing_the_principal := td.trust([
	td.allow("s0", [td.root("p1", "aws", "444455556666")], []),
	td.deny_stmt("s2", [td.star("p3")], [td.cond("c4", "StringNotEquals", "aws:PrincipalAccount", ["111122223333", "444455556666"])]),
])

test_deny_sparing_the_principal_keeps_it if {
	iamg_102.deny == {{"ref": "p1", "facts": {"statement": "s0", "account": "444455556666"}}} with input as deny_sparing_the_principal
		with data.pyiamguard.config as own
}

# A second condition the principal may fail (an org id) makes the Deny uncertain.
deny_with_org_too := td.trust([
	td.allow("s0", [td.root("p1", "aws", "444455556666")], []),
	td.deny_stmt("s2", [td.star("p3")], [
		td.cond("c4", "StringNotEquals", "aws:PrincipalAccount", ["111122223333"]),
		td.cond("c5", "StringNotEquals", "aws:PrincipalOrgID", ["o-abc"]),
	]),
])

test_deny_with_an_uncertain_condition_keeps_the_principal if {
	iamg_102.deny == {{"ref": "p1", "facts": {"statement": "s0", "account": "444455556666"}}} with input as deny_with_org_too
		with data.pyiamguard.config as own
}

# The Allow's own condition names only another account: the principal never matches it.
allow_confined_elsewhere := td.trust([td.allow("s0", [td.root("p1", "aws", "444455556666")], [
	td.cond("c2", "StringEquals", "aws:PrincipalAccount", ["111122223333"]),
])])

test_allow_condition_naming_another_account_removes_the_principal if {
	count(iamg_102.deny) == 0 with input as allow_confined_elsewhere with data.pyiamguard.config as own
}
