# METADATA
# title: Role has admin permissions
# description: |
#   A role that is not externally assumable (or whose trust is not in the scan) has
#   admin-equivalent permissions (see IAMG-301). Anyone or anything that may assume it, a
#   compromised service or workload included, controls the account.
# scope: package
# related_resources:
#   - ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege
#     description: Apply least-privilege permissions
# custom:
#   id: IAMG-303
#   name: admin-on-role
#   severity: MEDIUM
#   category: admin_permissions_on_assumable_role
#   remediation: Replace admin-equivalent permissions with the actions and resources the role needs.
package pyiamguard.rules.iamg_303

import rego.v1

import data.pyiamguard.lib.permissions
import data.pyiamguard.lib.result

deny contains result.finding(policy.ref, {"origin": policy.origin}) if {
	input.kind == "trust"
	not permissions.externally_assumable(input)
	not permissions.capped(input.role)
	some policy in input.role.policies
	not permissions.role_denies_everything(input.role)
	permissions.admin_policy(policy)
}

# An inline policy of a role that is not in the scan: its trust is unknown.
deny contains result.finding(st.ref, {"origin": "role_policy"}) if {
	input.kind == "identity"
	input.context.owner == "role"
	some st in input.statements
	permissions.admin_statement(st)
	not permissions.denies_everything(input.statements)
}
