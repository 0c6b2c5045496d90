# METADATA
# title: Externally assumable role has admin permissions
# description: |
#   A role that a wildcard, cross-account or federated principal may assume has
#   admin-equivalent permissions: AdministratorAccess or IAMFullAccess (any partition, any
#   path), "*" or "iam:*" on "*", or Allow + NotAction on "*", through an inline policy, a
#   managed policy ARN, an attachment or a policy that names the role. A permissions
#   boundary that is known and not admin-equivalent caps it. Whoever gets in from outside
#   owns the account.
# scope: package
# related_resources:
#   - ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
#     description: Permissions boundaries for IAM entities
# custom:
#   id: IAMG-301
#   name: admin-on-external-role
#   severity: CRITICAL
#   category: admin_permissions_on_assumable_role
#   remediation: |
#     Grant the role only the actions it needs, or confine its trust to your own accounts or
#     organization; a permissions boundary without admin rights caps what it can do.
package pyiamguard.rules.iamg_301

import rego.v1

import data.pyiamguard.lib.permissions
import data.pyiamguard.lib.result

deny contains result.finding(policy.ref, facts) if {
	input.kind == "trust"
	some policy in input.role.policies
	permissions.admin_policy(policy)
	not permissions.capped(input.role)
	not permissions.role_denies_everything(input.role)
	principals := permissions.external_principals(input)
	count(principals) > 0
	facts := {"principal": min(principals), "origin": policy.origin, "boundary": input.role.boundary.state}
}
