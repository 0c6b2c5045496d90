# METADATA
# title: NotPrincipal with Allow in a trust policy
# description: |
#   A trust statement allows "everyone except" the principals listed in NotPrincipal, which
#   is a wildcard principal in disguise. IAM also rejects NotPrincipal in role trust policies.
# scope: package
# related_resources:
#   - ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
#     description: NotPrincipal element
# custom:
#   id: IAMG-106
#   name: not-principal-allow
#   severity: CRITICAL
#   category: not_principal_allow
#   remediation: Replace NotPrincipal with a Principal element that names who may assume the role.
package pyiamguard.rules.iamg_106

import rego.v1

import data.pyiamguard.lib.result

deny contains result.finding(stmt.principal_ref, {"statement": stmt.ref}) if {
	input.kind == "trust"
	some stmt in input.statements
	stmt.effect == "Allow"
	stmt.principal_element == "NotPrincipal"
}
