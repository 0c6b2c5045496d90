# METADATA
# title: Any AWS principal can assume the role
# description: |
#   An Allow statement lets a wildcard principal ("*", {"AWS": "*"}, {"Service": "*"} or a
#   partial wildcard ARN) assume the role, and no restricting condition on
#   aws:PrincipalAccount, aws:PrincipalArn (with a concrete account), aws:PrincipalOrgID or
#   aws:PrincipalOrgPaths confines it, neither in the statement nor through a Deny. Anyone
#   with an AWS account can then assume the role.
# scope: package
# related_resources:
#   - ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
#     description: Principal element, wildcard principals
# custom:
#   id: IAMG-101
#   name: wildcard-principal
#   severity: CRITICAL
#   category: wildcard_principal
#   remediation: |
#     Name the accounts, roles or services that may assume the role, or confine the wildcard
#     with StringEquals on aws:PrincipalOrgID or ArnEquals on aws:PrincipalArn.
package pyiamguard.rules.iamg_101

import rego.v1

import data.pyiamguard.lib.result
import data.pyiamguard.lib.trust

deny contains result.finding(p.ref, {"statement": stmt.ref}) if {
	input.kind == "trust"
	some stmt in input.statements
	trust.allows_assume(stmt)
	some p in stmt.principals
	p.kind == "wildcard"
	not trust.confined(input.statements, stmt, p)
	not trust.excluded(input.statements, stmt, p)
}
