# METADATA
# title: Cross-account trust without MFA
# description: |
#   A principal of another account may call sts:AssumeRole without
#   Bool aws:MultiFactorAuthPresent true or NumericLessThan aws:MultiFactorAuthAge, and no
#   Deny with BoolIfExists aws:MultiFactorAuthPresent false guards it. BoolIfExists in an
#   Allow is weak: callers with long-term access keys carry no MFA key and pass. Which
#   principals need MFA is set by require_mfa: people (default: whole accounts and users,
#   unless a restricting sts:ExternalId marks a machine third party or aws:PrincipalArn
#   narrows them to named roles), all, or off. Never
#   for service, OIDC or SAML principals.
# scope: package
# related_resources:
#   - ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_configure-api-require.html
#     description: Configuring MFA-protected API access
# custom:
#   id: IAMG-104
#   name: missing-mfa
#   severity: MEDIUM
#   category: cross_account_without_mfa
#   remediation: |
#     Add "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}} to the statement (or a
#     Deny with BoolIfExists aws:MultiFactorAuthPresent false), or set require_mfa for
#     machine-only roles.
package pyiamguard.rules.iamg_104

import rego.v1

import data.pyiamguard.lib.result
import data.pyiamguard.lib.trust

deny contains result.finding(p.ref, {"statement": stmt.ref, "account": p.account, "scope": p.scope}) if {
	trust.config.require_mfa != "off"
	input.kind == "trust"
	some stmt in input.statements
	trust.allows_assume(stmt)
	stmt.actions.assume_role
	some p in trust.effective_principals(input.statements, stmt)
	trust.cross_account(input, p)
	in_scope(stmt, p)
	not mfa_required(stmt)
	not trust.denied_unless(input.statements, stmt, p, "aws:multifactorauthpresent")
	not trust.excluded(input.statements, stmt, p)
}

in_scope(_, _) if trust.config.require_mfa == "all"

in_scope(stmt, p) if {
	trust.config.require_mfa == "people"
	person(p)
	not trust.restricted_by(stmt, "sts:externalid")
	not narrowed_to_roles(stmt)
}

# aws:PrincipalArn naming only roles (or their sessions) narrows a whole account to machines.
narrowed_to_roles(stmt) if {
	some cond in stmt.conditions
	cond.key == "aws:principalarn"
	trust.demands(cond) # a named role whose account is a parameter still narrows to that role
	every v in cond.values {
		v.arn_scope in {"role", "assumed_role"}
	}
}

person(p) if p.whole_account

person(p) if p.scope == "user"

mfa_required(stmt) if {
	some cond in stmt.conditions
	cond.key == "aws:multifactorauthpresent"
	cond.base == "bool"
	trust.restricting(cond)
	every v in cond.values {
		lower(v.text) == "true"
	}
}

mfa_required(stmt) if {
	some cond in stmt.conditions
	cond.key == "aws:multifactorauthage"
	cond.base in {"numericlessthan", "numericlessthanequals"}
	trust.restricting(cond)
}
