# METADATA
# title: Cross-account trust without sts:ExternalId
# description: |
#   A principal of an account that is not one of yours (the role's own, own_accounts,
#   internal_accounts) may call sts:AssumeRole without a restricting sts:ExternalId
#   condition. An ExternalId under StringEquals or StringLike whose value comes from a
#   parameter or variable restricts (the deployer supplies the secret). A third party that
#   serves several customers can then be tricked into using its access to your account
#   (the confused deputy). StringLike "*", ...IfExists, Null, ForAllValues, an empty value
#   and a conditional (Fn::If with AWS::NoValue) ExternalId all count as missing.
# scope: package
# related_resources:
#   - ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user_externalid.html
#     description: How to use an external ID when granting access to a third party
# custom:
#   id: IAMG-103
#   name: missing-external-id
#   severity: HIGH
#   category: cross_account_without_external_id
#   remediation: |
#     Add "Condition": {"StringEquals": {"sts:ExternalId": "<secret agreed with the third
#     party>"}} to the statement, or list the account in internal_accounts if it is yours.
package pyiamguard.rules.iamg_103

import rego.v1

import data.pyiamguard.lib.result
import data.pyiamguard.lib.trust

deny contains result.finding(p.ref, {"statement": stmt.ref, "account": p.account}) if {
	input.kind == "trust"
	some stmt in input.statements
	trust.allows_assume(stmt)
	stmt.actions.assume_role
	some p in trust.effective_principals(input.statements, stmt)
	trust.cross_account(input, p)
	not trust.yours(input, p)
	not trust.confined_to_trusted_org(input.statements, stmt, p)
	not trust.restricted(input.statements, stmt, p, "sts:externalid")
	not trust.excluded(input.statements, stmt, p)
}
