# METADATA
# title: Externally assumable role can escalate its privileges
# description: |
#   A role that a wildcard, cross-account or federated principal may assume is allowed
#   iam:PassRole, iam:Put*Policy, iam:Attach*Policy, iam:CreatePolicyVersion,
#   iam:UpdateAssumeRolePolicy or a similar action on every resource, so whoever assumes it can
#   grant itself more. Admin-equivalent roles are IAMG-301 instead. A known boundary that is
#   not admin-equivalent caps it.
# scope: package
# related_resources:
#   - ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html
#     description: Granting a user permissions to pass a role
# custom:
#   id: IAMG-302
#   name: privilege-escalation-on-external-role
#   severity: HIGH
#   category: none
#   remediation: Scope iam:PassRole and policy-writing actions to the exact ARNs needed, never "*".
package pyiamguard.rules.iamg_302

import rego.v1

import data.pyiamguard.lib.permissions
import data.pyiamguard.lib.result

# The finding points at where the policy reaches the role (rules spec, Amendments,
# Locations); the statement is a fact.
deny contains result.finding(policy.ref, facts) if {
	input.kind == "trust"
	not admin_role
	not boundary_blocks_escalation
	not permissions.role_denies_everything(input.role)
	some policy in input.role.policies
	some st in policy.statements
	granted := permissions.escalation_patterns(st)
	count(granted) > 0
	principals := permissions.external_principals(input)
	count(principals) > 0
	facts := {"principal": min(principals), "policy": policy.ref, "statement": st.ref, "action": min(granted)}
}

# A known boundary caps escalation unless it allows an escalation action itself.
boundary_blocks_escalation if {
	permissions.capped(input.role)
	every st in input.role.boundary.statements {
		count(permissions.escalation_patterns(st)) == 0
	}
}

admin_role if {
	some policy in input.role.policies
	permissions.admin_policy(policy)
}
