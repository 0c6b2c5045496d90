# METADATA
# title: Assume permission and trust do not match
# description: |
#   Across the documents of one scan. Assuming a role takes two grants: the role's trust
#   policy must admit the caller, and across accounts the caller's own policies must allow
#   sts:AssumeRole on the role. Fires when a role or user of the scan is allowed to assume a
#   role of the scan whose trust does not admit it (the "why can't I assume it" case), and
#   when a role's trust names a role of another account in the scan whose policies, all known,
#   do not allow assuming it. In the same account a trust naming the caller's ARN needs no
#   identity grant, so that side is not checked there, nor where an account is a stand-in
#   (a CloudFormation stack's own account when own_accounts is not set). Input kind
#   assume_pair (docs/model.md):
#   the scanner pairs callers and roles by ARN; anything unknown (an unresolved principal, an
#   AWS-managed or external policy) is read as admitting or granting, so the rule stays quiet.
#   Both sides are judged as IAM decides: on the trust side, conditions on aws:PrincipalArn or
#   aws:PrincipalAccount that exclude the caller and Deny statements that certainly cover it;
#   on the caller side, its Allow statements minus its unconditional Deny statements,
#   intersected with its permissions boundary when it has a known one.
# scope: package
# related_resources:
#   - ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_permissions-to-switch.html
#     description: Granting a user permissions to switch roles
#   - ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
#     description: Cross-account policy evaluation logic
# custom:
#   id: IAMG-501
#   name: assume-without-trust
#   severity: INFO
#   category: none
#   remediation: Make both sides agree - name the caller in the role's trust policy and allow sts:AssumeRole on the role ARN in the caller's policy, or remove the side that is not meant to work.
package pyiamguard.rules.iamg_501

import rego.v1

import data.pyiamguard.lib.iam_glob
import data.pyiamguard.lib.result

# The caller's policy aims a grant at the role, whose trust does not admit the caller.
deny contains result.finding(st.ref, {"direction": "untrusted_caller", "grant": value}) if {
	input.kind == "assume_pair"
	input.target.known
	some st in input.caller.statements
	st.effect == "Allow"
	names_sts_action(st.actions)
	st.resources.element == "Resource"
	some value in st.resources.values
	aimed(value)
	iam_glob.matches(lower(value), lower(input.target.arn))
	not denied(input.caller.statements, input.target.arn)
	not boundary_blocks(input.caller.boundary, input.target.arn)
	not admits(input.target.statements, input.caller)
}

# The role's trust names a role of another account whose known policies never allow assuming it.
deny contains result.finding(p.ref, {"direction": "untrusted_permission"}) if {
	input.kind == "assume_pair"
	input.caller.type == "role"
	input.caller.complete
	input.caller.account_known
	input.target.account_known
	input.caller.account != input.target.account
	some st in input.target.statements
	st.effect == "Allow"
	st.actions.assume_role
	st.principal_element == "Principal"
	some p in st.principals
	p.kind == "aws"
	lower(p.value) == lower(input.caller.arn)
	not narrowed_away(st, input.caller)
	not denies_caller(input.target.statements, input.caller)
	not may_assume(input.caller, input.target.arn)
}

# A grant meant for assuming: an sts action named in Action ("*" on a role is admin written
# loosely, left to the admin rules).
names_sts_action(actions) if {
	actions.assume_role
	not actions.not_action
	some pattern in actions.patterns
	startswith(pattern, "sts:")
}

# A Deny in the caller's policies may void the grant (with or without conditions).
denied(statements, arn) if {
	some st in statements
	st.effect == "Deny"
	covers(st.resources, arn)
}

# A grant aimed at particular roles: more than wildcards after role/.
aimed(value) if regex.match(`^arn:[^:]*:iam::[^:]*:role/.*[^*?]`, value)

# The trust admits the caller (rules spec, Amendments, IAMG-501): some Allow statement names
# it and its conditions on the caller's ARN or account do not exclude it, and no Deny
# statement certainly removes it.
admits(statements, caller) if {
	some st in statements
	st.effect == "Allow"
	st.actions.assume_role
	admits_statement(st, caller)
	not narrowed_away(st, caller)
	not denies_caller(statements, caller)
}

# A restricting condition on aws:PrincipalArn or aws:PrincipalAccount that no value of which
# matches the caller (only when the caller's account is known: a stack's own account is not).
narrowed_away(st, caller) if {
	caller.account_known
	some cond in st.conditions
	positive(cond)
	cond.key == "aws:principalarn"
	count([v | some v in cond.values; iam_glob.matches(lower(v), lower(caller.arn))]) == 0
}

narrowed_away(st, caller) if {
	caller.account_known
	some cond in st.conditions
	positive(cond)
	cond.key == "aws:principalaccount"
	count([v | some v in cond.values; iam_glob.matches(v, caller.account)]) == 0
}

positive(cond) if {
	not cond.negated
	not cond.if_exists
	cond.set == ""
	cond.state == "concrete"
	cond.base in {"stringequals", "stringlike", "arnequals", "arnlike"}
}

# A Deny covering the caller and the assume action, without conditions, or whose only
# conditions are negated ones on the caller's ARN or account that the caller certainly meets.
denies_caller(statements, caller) if {
	some st in statements
	st.effect == "Deny"
	st.actions.assume_role
	st.principal_element == "Principal"
	some p in st.principals
	covers_caller(p, caller)
	st.condition_count == 0
}

denies_caller(statements, caller) if {
	caller.account_known
	some st in statements
	st.effect == "Deny"
	st.actions.assume_role
	st.principal_element == "Principal"
	some p in st.principals
	covers_caller(p, caller)
	st.condition_count > 0
	count(st.conditions) == st.condition_count
	every cond in st.conditions {
		excludes_caller(cond, caller)
	}
}

# The pair input keeps only conditions on the caller's ARN and account: a Deny with any
# other condition is not certain (condition_count counts them all).
excludes_caller(cond, caller) if {
	cond.negated
	not cond.if_exists
	cond.set == ""
	cond.state == "concrete"
	cond.key == "aws:principalaccount"
	cond.base == "stringnotequals"
	not caller.account in cond.values
}

covers_caller(p, _) if p.kind == "wildcard"

covers_caller(p, caller) if {
	p.kind == "aws"
	p.whole_account
	p.account == caller.account
}

covers_caller(p, caller) if {
	p.kind == "aws"
	lower(p.value) == lower(caller.arn)
}

# NotPrincipal admits everyone it does not name (IAM rejects it in trust: IAMG-002).
admits_statement(st, _) if st.principal_element == "NotPrincipal"

admits_statement(st, caller) if {
	st.principal_element == "Principal"
	some p in st.principals
	admits_principal(p, caller)
}

# Everyone, or a principal not known statically (reported by IAMG-001 on the role).
admits_principal(p, _) if p.kind in {"wildcard", "unresolved", "unique_id"}

# The caller's account: every principal of it with an identity grant.
admits_principal(p, caller) if {
	p.kind == "aws"
	p.whole_account
	p.account == caller.account
}

admits_principal(p, caller) if {
	p.kind == "aws"
	lower(p.value) == lower(caller.arn)
}

# The caller's sessions (arn:aws:sts::<account>:assumed-role/<name>/<session>).
admits_principal(p, caller) if {
	p.kind == "aws"
	p.scope == "assumed_role"
	caller.session_prefix != ""
	startswith(lower(p.value), lower(caller.session_prefix))
}

# An AWS principal whose account is not known statically may be the caller.
admits_principal(p, _) if {
	p.kind == "aws"
	p.account == ""
}

# The caller may call sts:AssumeRole on arn: an Allow of its policies, no unconditional Deny,
# and its permissions boundary (when it has a known one) allows it too.
may_assume(caller, arn) if {
	allows(caller.statements, arn)
	not certainly_denied(caller.statements, arn)
	boundary_allows(caller.boundary, arn)
}

allows(statements, arn) if {
	some st in statements
	st.effect == "Allow"
	grants_assume(st.actions)
	covers(st.resources, arn)
}

certainly_denied(statements, arn) if {
	some st in statements
	st.effect == "Deny"
	not st.conditional
	covers(st.resources, arn)
}

boundary_allows(boundary, _) if boundary.state != "known"

boundary_allows(boundary, arn) if {
	boundary.state == "known"
	allows(boundary.statements, arn)
	not certainly_denied(boundary.statements, arn)
}

boundary_blocks(boundary, arn) if not boundary_allows(boundary, arn)

grants_assume(actions) if actions.assume_role

grants_assume(actions) if actions.unresolved

covers(resources, _) if resources.element == "NotResource"

covers(resources, _) if resources.unresolved

covers(resources, arn) if {
	resources.element == "Resource"
	some value in resources.values
	iam_glob.matches(lower(value), lower(arn))
}
