# METADATA
# title: Externally assumable role without an approved permissions boundary
# description: |
#   With require_permissions_boundary set, an externally assumable role has no permissions
#   boundary, or one outside allowed_permissions_boundaries. Off unless configured.
# scope: package
# related_resources:
#   - ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
#     description: Permissions boundaries for IAM entities
# custom:
#   id: IAMG-402
#   name: missing-permissions-boundary
#   severity: MEDIUM
#   category: none
#   remediation: Set PermissionsBoundary to one of the allowed_permissions_boundaries.
package pyiamguard.rules.iamg_402

import rego.v1

import data.pyiamguard.lib.permissions
import data.pyiamguard.lib.result
import data.pyiamguard.lib.trust

deny contains result.finding(input.role.ref, {"boundary": "none"}) if {
	trust.config.require_permissions_boundary
	input.kind == "trust"
	input.role.boundary.state == "none"
	permissions.externally_assumable(input)
}

deny contains result.finding(input.role.boundary.ref, {"boundary": "not_allowed"}) if {
	trust.config.require_permissions_boundary
	input.kind == "trust"
	input.role.boundary.state != "none"
	count(trust.config.allowed_permissions_boundaries) > 0
	not input.role.boundary.arn in trust.config.allowed_permissions_boundaries
	permissions.externally_assumable(input)
}
