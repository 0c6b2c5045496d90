# METADATA
# title: Service principal without a source condition
# description: |
#   A service principal may assume the role without a restricting aws:SourceAccount,
#   aws:SourceArn, aws:SourceOrgID or aws:SourceOrgPaths condition, so the service could be
#   made to act on behalf of another account's resource (the cross-service confused deputy).
#   Services that do not send these keys (EC2, Lambda and others in
#   data.pyiamguard.params.confused_deputy_exempt_services; see prowler issues 2810 and 4714
#   for services that broke when the keys were added) are exempt.
# scope: package
# related_resources:
#   - ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
#     description: The confused deputy problem
# custom:
#   id: IAMG-110
#   name: service-confused-deputy
#   severity: LOW
#   category: service_principal_without_source_condition
#   remediation: |
#     Add "Condition": {"StringEquals": {"aws:SourceAccount": "<own account>"}} or
#     ArnLike on aws:SourceArn with the resource that uses the role.
package pyiamguard.rules.iamg_110

import rego.v1

import data.pyiamguard.lib.result
import data.pyiamguard.lib.trust

source_keys := {"aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths"}

deny contains result.finding(p.ref, {"statement": stmt.ref}) if {
	input.kind == "trust"
	some stmt in input.statements
	trust.allows_assume(stmt)
	stmt.actions.assume_role
	some p in stmt.principals
	p.kind == "service"
	not p.service in trust.params.confused_deputy_exempt_services
	not source_restricted(input.statements, stmt, p)
	not trust.excluded(input.statements, stmt, p)
}

source_restricted(statements, stmt, p) if {
	some key in source_keys
	trust.restricted(statements, stmt, p, key)
}
