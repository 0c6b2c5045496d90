# METADATA
# title: Identity may assume any role
# description: |
#   An identity policy (of a role, user or group, managed or inline) allows an assume action
#   on "*", on role ARNs with a wildcard account, on every role of an account
#   (arn:aws:iam::123456789012:role/*), or through NotResource. The holder can then assume any
#   role in any account that trusts its account. Action "*" is admin, left to IAMG-301/303. A
#   restricting aws:ResourceOrgID, aws:ResourceAccount or aws:ResourceOrgPaths condition
#   confines which roles, and so does an unconditional Deny of assuming outside named roles
#   (NotResource) in the same policy, or in the role's policies. A policy that reaches a role
#   makes it the role's finding too.
# scope: package
# related_resources:
#   - ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_permissions-to-switch.html
#     description: Granting a user permissions to switch roles
# custom:
#   id: IAMG-304
#   name: assume-any-role
#   severity: HIGH
#   category: assume_role_on_any_resource
#   remediation: List the role ARNs the identity needs to assume in Resource.
package pyiamguard.rules.iamg_304

import rego.v1

import data.pyiamguard.lib.result
import data.pyiamguard.lib.trust

deny contains result.finding(st.resources.ref, {"statement": st.ref, "form": form}) if {
	input.kind == "identity"
	some st in input.statements
	some form in assume_any_role(st)
	not confined_by_deny(input.statements)
}

# The same through a policy that reaches a role (attached, or naming the role): the finding
# is the role's too.
deny contains result.finding(st.resources.ref, {"statement": st.ref, "form": form, "policy": policy.ref}) if {
	input.kind == "trust"
	some policy in input.role.policies
	some st in policy.statements
	some form in assume_any_role(st)
	not confined_by_deny([s | some p in input.role.policies; some s in p.statements])
}

# The guardrail pattern "Allow sts:AssumeRole on *, Deny it with NotResource on everything but
# the listed roles": an unconditional Deny of assuming outside named roles (or everywhere)
# leaves no role of any account assumable.
confined_by_deny(statements) if {
	some st in statements
	st.effect == "Deny"
	assumes(st.actions)
	count(st.conditions) == 0
	st.resources.element == "NotResource"
	not st.resources.unresolved
	not names_any_role(st.resources.values)
}

names_any_role(values) if {
	some value in values
	some form in forms(value)
	form != ""
}

confined_by_deny(statements) if {
	some st in statements
	st.effect == "Deny"
	assumes(st.actions)
	count(st.conditions) == 0
	st.resources.element == "Resource"
	"*" in st.resources.values
}

assume_any_role(st) := {form |
	st.effect == "Allow"
	assumes(st.actions)
	not full_admin(st)
	not confined_to_resource_owner(st)
	some form in any_role(st.resources)
}

# aws:ResourceOrgID / ResourceAccount / ResourceOrgPaths name whose roles may be assumed.
confined_to_resource_owner(st) if {
	some cond in st.conditions
	cond.key in {"aws:resourceorgid", "aws:resourceaccount", "aws:resourceorgpaths"}
	trust.restricting(cond)
}

# "*" on "*" grants everything: that is admin (IAMG-301/303), not an assume-role finding.
full_admin(st) if {
	not st.actions.not_action
	some pattern in st.actions.patterns
	pattern in {"*", "*:*"}
	"*" in st.resources.values
}

assumes(actions) if actions.assume_role

assumes(actions) if actions.web_identity

assumes(actions) if actions.saml

any_role(resources) := {"not_resource"} if resources.element == "NotResource"

any_role(resources) := {form |
	some value in resources.values
	some form in forms(value)
} if resources.element == "Resource"

forms(value) := {"everything"} if value == "*"

forms(value) := {"any_account"} if regex.match(`^arn:[^:]*:(iam|sts)::[*?][^:]*:`, value)

forms(value) := {"every_role"} if regex.match(`^arn:[^:]*:iam::[0-9]{12}:(role/)?\*$`, value)
