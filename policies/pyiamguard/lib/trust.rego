# METADATA
# title: Trust-policy helpers
# description: |
#   Shared predicates over the normalized document model (docs/model.md). Helpers take
#   their arguments instead of reading input, so every rule states what it looks at.
#   Statements are ORed: each Allow statement is judged on its own, and only a Deny
#   statement that covers its principal and action with the negated restriction
#   neutralises a missing condition (IAM evaluation logic, reference C.6).
package pyiamguard.lib.trust

import rego.v1

# The rule parameters: the scan's configuration (defaults in policies/data.json).
config := data.pyiamguard.config

params := data.pyiamguard.params

# Own accounts of the document: configured ones plus those the loader knows.
own_accounts(doc) := {a | some a in config.own_accounts} | {a | some a in doc.context.own_accounts}

# A statement that lets its principals assume the role.
allows_assume(stmt) if {
	stmt.effect == "Allow"
	stmt.principal_element == "Principal"
	grants_any_assume(stmt)
}

grants_any_assume(stmt) if stmt.actions.assume_role

grants_any_assume(stmt) if stmt.actions.web_identity

grants_any_assume(stmt) if stmt.actions.saml

# A condition that restricts: positive operator, concrete values, not IfExists,
# not ForAllValues, not negated, not Null (rules spec, "restricting condition").
restricting(cond) if {
	not cond.if_exists
	cond.set != "forallvalues"
	not cond.negated
	cond.base != "null"
	cond.state == "concrete"
}

# The statement carries a restricting condition on key.
restricted_by(stmt, key) if {
	some cond in stmt.conditions
	cond.key == key
	restricting(cond)
}

# A Deny statement covering principal p and the assume actions, with a negated operator on
# key: it denies every caller whose key differs or is absent, so it is a restriction.
denied_unless(statements, p, key) if {
	some deny in statements
	deny.effect == "Deny"
	deny.actions.assume_role
	covers_principal(deny, p)
	some cond in deny.conditions
	cond.key == key
	negated_restriction(cond)
}

negated_restriction(cond) if {
	cond.negated
	cond.set != "foranyvalue"
	cond.state == "concrete"
}

# `BoolIfExists {aws:MultiFactorAuthPresent: false}` in a Deny: AWS's recommended MFA guard.
negated_restriction(cond) if {
	cond.base == "bool"
	cond.if_exists
	some v in cond.values
	lower(v.text) == "false"
}

# A restriction on key, in the statement itself or through a Deny.
restricted(statements, stmt, p, key) if restricted_by(stmt, key)

restricted(statements, _, p, key) if denied_unless(statements, p, key)

covers_principal(deny, _) if {
	deny.principal_element == "Principal"
	some q in deny.principals
	q.kind == "wildcard"
}

covers_principal(deny, p) if {
	deny.principal_element == "Principal"
	some q in deny.principals
	q.value == p.value
}

covers_principal(deny, p) if {
	deny.principal_element == "NotPrincipal"
	every q in deny.principals {
		q.value != p.value
	}
}

# A Deny without conditions that covers principal p: p can never assume the role.
fully_denied(statements, p) if {
	some deny in statements
	deny.effect == "Deny"
	deny.actions.assume_role
	count(deny.conditions) == 0
	covers_principal(deny, p)
}

# The organization ids a statement's restricting conditions confine callers to.
org_ids(stmt) := {v.text |
	some cond in stmt.conditions
	cond.key in {"aws:principalorgid", "aws:principalorgpaths"}
	restricting(cond)
	some v in cond.values
}

# Organization paths start with the org id: o-abc/r-root/ou-x.
trusted_org(org) if {
	some trusted in config.trusted_org_ids
	org == trusted
}

trusted_org(org) if {
	some trusted in config.trusted_org_ids
	startswith(org, concat("", [trusted, "/"]))
}

confined_to_trusted_org(stmt) if {
	orgs := org_ids(stmt)
	count(orgs) > 0
	every org in orgs {
		trusted_org(org)
	}
}

# A wildcard is confined when a restricting condition names who may call: accounts, ARNs
# with a concrete account, or organizations.
confining_keys := {"aws:principalaccount", "aws:principalarn", "aws:principalorgid", "aws:principalorgpaths"}

confining_conditions(stmt) := {cond |
	some cond in stmt.conditions
	cond.key in confining_keys
	restricting(cond)
	every v in cond.values {
		confines(cond.key, v)
	}
}

confines("aws:principalaccount", v) if v.account != ""

confines("aws:principalarn", v) if {
	v.account != ""
	not v.account_wildcard
}

confines("aws:principalorgid", v) if not v.wildcard

confines("aws:principalorgpaths", v) if startswith(v.text, "o-")

confined(stmt) if count(confining_conditions(stmt)) > 0

# Deny + StringNotEquals aws:PrincipalOrgID (or account, ARN) with a wildcard principal.
confined_by_deny(statements, p) if {
	some key in confining_keys
	denied_unless(statements, p, key)
}

# The principals a statement admits, with a confined wildcard replaced by what its
# conditions name. `via` says where the principal came from.
effective_principals(stmt) := named_principals(stmt) | derived_principals(stmt)

named_principals(stmt) := {object.union(p, {"via": "principal"}) |
	some p in stmt.principals
	p.kind != "wildcard"
}

# Conditions are ANDed: accounts or ARNs, when named, are narrower than an organization.
derived_principals(stmt) := {derived |
	some w in stmt.principals
	w.kind == "wildcard"
	some cond in narrowest(confining_conditions(stmt))
	some v in cond.values
	derived := {
		"kind": principal_kind(cond.key), "ref": cond.ref, "value": v.text, "via": "condition",
		"account": v.account, "partition": v.partition, "whole_account": cond.key == "aws:principalaccount",
		"scope": account_scope(cond.key), "defects": [], "block": "AWS",
	}
}

narrowest(conds) := accounts if {
	accounts := {c | some c in conds; c.key in {"aws:principalaccount", "aws:principalarn"}}
	count(accounts) > 0
} else := conds

principal_kind(key) := "org" if key in {"aws:principalorgid", "aws:principalorgpaths"}

principal_kind(key) := "aws" if key in {"aws:principalaccount", "aws:principalarn"}

account_scope("aws:principalaccount") := "account"

account_scope("aws:principalarn") := "role"

account_scope("aws:principalorgid") := "org"

account_scope("aws:principalorgpaths") := "org"

# Cross-account: an aws principal whose account is not an own account. With the own
# account unknown, every explicit account is foreign (the message says so).
own_principal(doc, p) if {
	p.account != ""
	p.account in own_accounts(doc)
	same_partition(doc, p)
}

same_partition(doc, _) if doc.context.partition == ""

same_partition(_, p) if p.partition == ""

same_partition(doc, p) if p.partition == doc.context.partition

cross_account(doc, p) if {
	p.kind == "aws"
	not own_principal(doc, p)
}

trusted_account(p) if p.account in config.trusted_accounts

internal_account(p) if p.account in config.internal_accounts

# Restricting keys whose weak forms IAMG-108 reports.
restricting_key(key) if key in params.restricting_keys

restricting_key(key) if {
	some suffix in params.restricting_key_suffixes
	endswith(key, suffix)
}
