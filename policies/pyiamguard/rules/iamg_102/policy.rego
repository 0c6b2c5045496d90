# METADATA
# title: Role trusts an account that is not allow-listed
# description: |
#   A principal that may assume the role (named in the Principal element, or the accounts,
#   ARNs or organization a wildcard is confined to) belongs to an account that is neither one
#   of your accounts (the role's own, own_accounts, internal_accounts) nor in
#   trusted_accounts, and no restricting aws:PrincipalOrgID or aws:PrincipalOrgPaths
#   condition names a trusted organization.
# scope: package
# related_resources:
#   - ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_aws-accounts.html
#     description: Cross-account access with roles
# custom:
#   id: IAMG-102
#   name: untrusted-account
#   severity: HIGH
#   category: untrusted_account
#   remediation: |
#     Add the account to trusted_accounts (or its organization to trusted_org_ids) if it is
#     meant to have access, otherwise remove it from the trust policy.
package pyiamguard.rules.iamg_102

import rego.v1

import data.pyiamguard.lib.result
import data.pyiamguard.lib.trust

deny contains result.finding(p.ref, {"statement": stmt.ref, "account": p.account}) if {
	input.kind == "trust"
	some stmt in input.statements
	trust.allows_assume(stmt)
	some p in trust.effective_principals(input.statements, stmt)
	trust.cross_account(input, p)
	p.account != "" # a principal without a readable account is invalid: IAMG-109 says so
	not trust.yours(input, p)
	not trust.trusted_account(p)
	not trust.confined_to_trusted_org(input.statements, stmt, p)
	not trust.excluded(input.statements, stmt, p)
}

# A federation provider must live in the role's own account; with the own account known, a
# provider of another account that is not trusted is reported (reference C.5.5).
deny contains result.finding(p.ref, {"statement": stmt.ref, "account": p.account}) if {
	input.kind == "trust"
	count(trust.role_accounts(input)) > 0
	some stmt in input.statements
	trust.allows_assume(stmt)
	some p in stmt.principals
	p.kind in {"oidc", "saml"}
	p.account != ""
	not p.account in trust.your_accounts(input)
	not trust.trusted_account(p)
}

deny contains result.finding(p.ref, {"statement": stmt.ref, "org": p.value}) if {
	input.kind == "trust"
	some stmt in input.statements
	trust.allows_assume(stmt)
	some p in trust.effective_principals(input.statements, stmt)
	p.kind == "org"
	not trust.trusted_org(p.value)
}
