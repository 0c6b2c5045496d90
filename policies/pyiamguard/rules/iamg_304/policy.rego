# METADATA
# title: Identity may assume any role
# description: |
#   An identity policy (of a role, user or group, managed or inline) allows an assume action
#   (sts:AssumeRole, sts:*, "*", NotAction) on "*", on every role of any account
#   (arn:aws:iam::*:role/*), on every role of an account (arn:aws:iam::123456789012:role/*,
#   or "*" confined by aws:ResourceAccount), or through NotResource. The holder can then
#   assume any role that trusts its account. A named role in a wildcard account
#   (arn:aws:iam::*:role/deployer) is the multi-account pipeline pattern and does not fire;
#   neither does a grant that an unconditional Deny of assuming outside named roles
#   (NotResource) confines. One finding per statement and holder: a role's inline policy is
#   reported once, on the role; a policy resource where it is defined and on each role of the
#   scan it reaches.
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

# Identity documents: users, groups, managed policies, and inline policies of roles that are
# not in the scan (context.owner "role"). A policy resource that reaches roles of the scan is
# reported on itself and on each of those roles (below); a role's inline policy once, on it.
deny contains result.finding(st.resources.ref, {"statement": st.ref, "form": form}) if {
	input.kind == "identity"
	some st in input.statements
	some form in assume_any_role(st)
	not confined_by_deny(input.statements)
}

# The role's own policies (inline, or attached documents defined with it): a policy scanned on
# its own as well (a managed policy resource) is reported there, not again here.
# Located where the policy reaches the role (rules spec, Amendments, Locations).
deny contains result.finding(policy.ref, {"statement": st.ref, "form": form, "policy": policy.ref}) if {
	input.kind == "trust"
	some policy in input.role.policies
	not policy.scanned
	some st in policy.statements
	some form in assume_any_role(st)
	not confined_by_deny([s | some p in input.role.policies; some s in p.statements])
}

confined_by_deny(statements) if {
	some st in statements
	st.effect == "Deny"
	assumes(st.actions)
	count(st.conditions) == 0
	st.resources.element == "NotResource"
	not st.resources.unresolved
	not names_any_role(st.resources.values)
}

confined_by_deny(statements) if {
	some st in statements
	st.effect == "Deny"
	assumes(st.actions)
	count(st.conditions) == 0
	st.resources.element == "Resource"
	"*" in st.resources.values
}

names_any_role(values) if {
	some value in values
	some form in forms(value)
	form != ""
}

# Admin rights (`*` on `*`) are an assume grant on every role too (rules spec, Amendments).
# A resource condition (aws:ResourceAccount, aws:ResourceOrgID) confines the grant to the
# roles of some accounts: still every role of an account.
assume_any_role(st) := {confined(form, st) |
	st.effect == "Allow"
	assumes(st.actions)
	some form in any_role(st.resources)
}

confined(form, st) := "every_role" if {
	form in {"everything", "any_account"}
	confined_to_resource_owner(st)
} else := form

confined_to_resource_owner(st) if {
	some cond in st.conditions
	cond.key in {"aws:resourceorgid", "aws:resourceaccount", "aws:resourceorgpaths"}
	trust.restricting(cond)
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

# Every role of any account: a wildcard account and a resource part that admits every role.
# A named role in a wildcard account names one role per account: it does not fire.
forms(value) := {"any_account"} if regex.match(`^arn:[^:]*:(iam|sts)::[^:]*[*?][^:]*:(role/)?\*$`, value)

forms(value) := {"every_role"} if regex.match(`^arn:[^:]*:iam::[0-9]{12}:(role/)?\*$`, value)
