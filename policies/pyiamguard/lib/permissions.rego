# METADATA
# title: Permission helpers
# description: |
#   What a role can do, from the `role` section of the normalized model: admin-equivalent
#   policies, privilege escalation, permissions boundaries, and who may assume the role from
#   outside. Helpers take their arguments instead of reading input.
package pyiamguard.lib.permissions

import rego.v1

import data.pyiamguard.lib.iam_glob
import data.pyiamguard.lib.trust

# AWS-managed policies that grant everything or let the holder grant itself everything.
# Sources: AWS managed policy reference (AdministratorAccess, IAMFullAccess), rules spec IAMG-301.
admin_managed_names := {"administratoraccess", "iamfullaccess"}

# Action patterns that grant every action, or every IAM action (which can grant the rest).
admin_action_patterns := {"*", "*:*", "iam:*"}

# Actions that let a principal raise its own privileges when allowed on every resource.
# Sources: rules spec IAMG-302; Rhino Security Labs, "AWS IAM Privilege Escalation Methods";
# AWS IAM User Guide, iam:PassRole.
escalation_actions := {
	"iam:passrole",
	"iam:putrolepolicy", "iam:putuserpolicy", "iam:putgrouppolicy",
	"iam:attachrolepolicy", "iam:attachuserpolicy", "iam:attachgrouppolicy",
	"iam:createpolicyversion", "iam:setdefaultpolicyversion", "iam:updateassumerolepolicy",
	"iam:createaccesskey", "iam:createloginprofile", "iam:updateloginprofile",
}

# A statement that applies to every resource: Resource "*" or NotResource.
on_every_resource(st) if {
	st.resources.element == "Resource"
	"*" in st.resources.values
}

on_every_resource(st) if st.resources.element == "NotResource"

# Allow every action (or every IAM action) on every resource; Allow + NotAction on every
# resource is "everything except", near-admin (reference D.77).
admin_statement(st) if {
	st.effect == "Allow"
	on_every_resource(st)
	not st.actions.not_action
	some pattern in st.actions.patterns
	pattern in admin_action_patterns
}

admin_statement(st) if {
	st.effect == "Allow"
	on_every_resource(st)
	st.actions.not_action
}

# A Deny of everything on everything, without conditions, cancels the policy's grants.
denies_everything(statements) if {
	some st in statements
	st.effect == "Deny"
	count(st.conditions) == 0
	on_every_resource(st)
	not st.actions.not_action
	"*" in st.actions.patterns
}

# A Deny of everything in any of the role's policies cancels every grant.
role_denies_everything(role) if {
	some policy in role.policies
	denies_everything(policy.statements)
}

admin_policy(policy) if {
	policy.aws_managed
	lower(policy.name) in admin_managed_names
}

admin_policy(policy) if {
	some st in policy.statements
	admin_statement(st)
	not denies_everything(policy.statements)
	not cancelled(st, policy.statements)
}

# An unconditional Deny on every resource of every admin action pattern the statement grants
# (`Allow iam:*` beside `Deny iam:*`): nothing admin is left of it.
cancelled(st, statements) if {
	not st.actions.not_action
	admin := {pattern | some pattern in st.actions.patterns; pattern in admin_action_patterns}
	every pattern in admin {
		some deny in statements
		deny.effect == "Deny"
		count(deny.conditions) == 0
		on_every_resource(deny)
		not deny.actions.not_action
		denied_pattern(pattern, deny.actions.patterns)
	}
}

denied_pattern(pattern, patterns) if pattern in patterns

denied_pattern(_, patterns) if "*" in patterns

denied_pattern(_, patterns) if "*:*" in patterns

# The statement's action patterns that grant an escalation action on every resource: named
# exactly, or matched as IAM matches wildcards (lib/iam_glob.rego; few patterns have one).
escalation_patterns(st) := {pattern |
	st.effect == "Allow"
	on_every_resource(st)
	not st.actions.not_action
	some pattern in st.actions.patterns
	pattern in escalation_actions
} | {pattern |
	st.effect == "Allow"
	on_every_resource(st)
	not st.actions.not_action
	some pattern in st.actions.patterns
	regex.match(`^(iam:|[^:]*[*?])`, pattern) # the service part may be iam
	iam_glob.wildcard(pattern)
	count(iam_glob.matching(pattern, escalation_actions)) > 0
}

# A boundary that is known and not admin-equivalent caps the role: effective permissions are
# the intersection (IAM evaluation logic).
capped(role) if {
	role.boundary.state == "known"
	not admin_policy(role.boundary)
}

# Someone outside the own account or organization may assume the role: an unconfined
# wildcard, a cross-account principal that is not an internal account, or a federated one.
externally_assumable(doc) if count(external_principals(doc)) > 0

# The refs of the principals that make the role externally assumable (a set: regopy cannot
# index the result of sort() over a set, so rules pick one with min()).
external_principals(doc) := {p.ref |
	some stmt in doc.statements
	trust.allows_assume(stmt)
	some p in stmt.principals
	p.kind == "wildcard"
	not trust.confined(doc.statements, stmt, p)
} | {p.ref |
	some stmt in doc.statements
	trust.allows_assume(stmt)
	some p in trust.effective_principals(doc.statements, stmt)
	outsider(doc, doc.statements, stmt, p)
} | {p.ref |
	some stmt in doc.statements
	trust.allows_assume(stmt)
	some p in stmt.principals
	p.kind in {"oidc", "saml"}
} | {stmt.principal_ref |
	# Allow + NotPrincipal: everyone except the listed principals (IAMG-106).
	some stmt in doc.statements
	stmt.effect == "Allow"
	stmt.principal_element == "NotPrincipal"
	trust.grants_any_assume(stmt)
}

outsider(doc, statements, stmt, p) if {
	trust.cross_account(doc, p)
	not trust.yours(doc, p)
	not trust.confined_to_trusted_org(statements, stmt, p)
}

outsider(_, _, _, p) if {
	p.kind == "org"
	not trust.trusted_org(p.value)
}
