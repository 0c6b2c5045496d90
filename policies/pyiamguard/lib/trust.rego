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

# The account the role lives in (rules spec, "own account"): what the loader knows (a dump's
# ARN, Terraform's caller identity, a template's AWS::AccountId); when it knows none, the
# configured own accounts stand in for it.
role_accounts(doc) := {a | some a in doc.context.own_accounts} if count(doc.context.own_accounts) > 0

role_accounts(doc) := {a | some a in config.own_accounts} if count(doc.context.own_accounts) == 0

# Your accounts (rules spec): the role's own account, own_accounts and internal_accounts. They
# need no ExternalId and are never untrusted; only the role's own account is not cross-account.
your_accounts(doc) := (role_accounts(doc) | {a | some a in config.own_accounts}) | {a | some a in config.internal_accounts}

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

# A strong operator whose value cannot be known statically still demands the key (an
# ExternalId from an undefaulted parameter is still an ExternalId), and a condition block that
# cannot be known at all may be the restriction: IAMG-001 reports both instead of a guess.
restricted_by(stmt, key) if {
	some cond in stmt.conditions
	cond.key == key
	possibly_restricting(cond)
}

restricted_by(stmt, _) if {
	some cond in stmt.conditions
	cond.key == "?"
}

# A condition that demands its values, known or not: restricting, or possibly restricting.
demands(cond) if restricting(cond)

demands(cond) if possibly_restricting(cond)

possibly_restricting(cond) if {
	not cond.if_exists
	cond.set != "forallvalues"
	not cond.negated
	cond.base != "null"
	cond.state == "unresolved"
}

# A Deny statement covering principal p and every assume action the Allow statement grants,
# with a negated operator on key: it denies every caller whose key differs or is absent, so
# it is a restriction (reference C.6).
denied_unless(statements, allow, p, key) if {
	some cond in deny_conditions(statements, allow, p)
	cond.key == key
}

# The negated conditions of the Deny statements that cover p and the Allow's actions.
deny_conditions(statements, allow, p) := {cond |
	some deny in statements
	deny.effect == "Deny"
	covers_actions(deny, allow)
	covers_principal(deny, p)
	some cond in deny.conditions
	negated_restriction(cond)
}

assume_kinds := ["assume_role", "web_identity", "saml"]

covers_actions(deny, allow) if {
	every kind in assume_kinds {
		covers_kind(deny, allow, kind)
	}
}

covers_kind(_, allow, kind) if not allow.actions[kind]

covers_kind(deny, _, kind) if deny.actions[kind]

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
restricted(_, stmt, _, key) if restricted_by(stmt, key)

restricted(statements, stmt, p, key) if denied_unless(statements, stmt, p, key)

covers_principal(deny, _) if {
	deny.principal_element == "Principal"
	some q in deny.principals
	q.kind == "wildcard"
}

covers_principal(deny, p) if {
	deny.principal_element == "Principal"
	some q in deny.principals
	q.identity == p.identity
}

covers_principal(deny, p) if {
	deny.principal_element == "NotPrincipal"
	every q in deny.principals {
		q.identity != p.identity
	}
}

# A Deny without conditions that covers principal p and the Allow's actions: p can never
# assume the role through that Allow.
fully_denied(statements, allow, p) if {
	some deny in statements
	deny.effect == "Deny"
	covers_actions(deny, allow)
	count(deny.conditions) == 0
	covers_principal(deny, p)
}

# Principal p can never assume the role through the Allow statement (rules spec, "effective
# principals"): a Deny without conditions covers it, a Deny whose only conditions are negated
# restrictions on the caller's account or ARN that p certainly fails covers it
# (`StringNotEquals aws:PrincipalAccount` listing only other accounts), or the Allow's own
# restricting condition on the caller's account or ARN names only other accounts.
excluded(statements, allow, p) if fully_denied(statements, allow, p)

excluded(statements, allow, p) if {
	some deny in statements
	deny.effect == "Deny"
	covers_actions(deny, allow)
	count(deny.conditions) > 0
	covers_principal(deny, p)
	every cond in deny.conditions {
		cond.key in account_keys
		cond.negated
		cond.set == ""
		cond.state == "concrete"
		outside_values(cond, p)
	}
}

excluded(_, allow, p) if {
	some cond in allow.conditions
	cond.key in account_keys
	restricting(cond)
	outside_values(cond, p)
}

# Every value of cond names an account other than p's (an aws principal of a known account).
outside_values(cond, p) if {
	p.kind == "aws"
	p.account != ""
	every v in cond.values {
		v.account != ""
		not v.account_wildcard
		v.account != p.account
	}
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

# The Allow statement, or a Deny covering p, confines callers to trusted organizations only.
confined_to_trusted_org(statements, stmt, p) if {
	orgs := {v.text |
		some cond in confining_conditions(statements, stmt, p)
		cond.key in org_keys
		some v in cond.values
	}
	count(orgs) > 0
	every org in orgs {
		trusted_org(org)
	}
}

org_keys := {"aws:principalorgid", "aws:principalorgpaths"}

account_keys := {"aws:principalaccount", "aws:principalarn"}

confining_keys := org_keys | account_keys

# Conditions that name who may call principal p's way in: restricting ones on the Allow
# statement, and negated ones of a Deny that covers p and the Allow's actions. Every value
# must confine (an ARN with a wildcard account confines nothing, D.82).
confining_conditions(statements, stmt, p) := {cond |
	some cond in stmt.conditions
	cond.key in confining_keys
	restricting(cond)
	every v in cond.values {
		confines(cond.key, v)
	}
} | {cond |
	some cond in deny_conditions(statements, stmt, p)
	cond.key in confining_keys
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

# A wildcard principal w of the statement is confined by some condition.
confined(statements, stmt, w) if count(confining_conditions(statements, stmt, w)) > 0

# The principals a statement admits, with a confined wildcard replaced by what the
# conditions name. `via` says where the principal came from.
effective_principals(statements, stmt) := named_principals(statements, stmt) | derived_principals(statements, stmt)

named_principals(statements, stmt) := {object.union(p, {"via": "principal"}) |
	some p in stmt.principals
	p.kind != "wildcard"
	not excluded(statements, stmt, p)
}

# Conditions are ANDed: accounts or ARNs, when named, are narrower than an organization.
derived_principals(statements, stmt) := {derived |
	some w in stmt.principals
	w.kind == "wildcard"
	some cond in narrowest(confining_conditions(statements, stmt, w))
	some v in cond.values
	derived := {
		"kind": principal_kind(cond.key), "ref": cond.ref, "value": v.text, "identity": v.text, "via": "condition",
		"account": v.account, "partition": v.partition, "whole_account": derived_whole_account(cond.key, v),
		"scope": derived_scope(cond.key, v), "defects": [], "block": "AWS",
	}
}

narrowest(conds) := accounts if {
	accounts := {c | some c in conds; c.key in account_keys}
	count(accounts) > 0
} else := conds

principal_kind(key) := "org" if key in org_keys

principal_kind(key) := "aws" if key in account_keys

derived_scope("aws:principalaccount", _) := "account"

derived_scope("aws:principalarn", v) := v.arn_scope

derived_scope(key, _) := "org" if key in org_keys

derived_whole_account("aws:principalaccount", _) := true

derived_whole_account("aws:principalarn", v) := v.arn_scope == "root"

derived_whole_account(key, _) := false if key in org_keys

# Cross-account: an aws principal whose account is not the role's own account. With the own
# account unknown, every explicit account is foreign (the message says so).
own_principal(doc, p) if {
	p.account != ""
	p.account in role_accounts(doc)
	same_partition(doc, p)
}

# A principal of one of your accounts.
yours(doc, p) if {
	p.account != ""
	p.account in your_accounts(doc)
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

# Restricting keys whose weak forms IAMG-108 reports.
restricting_key(key) if key in params.restricting_keys

restricting_key(key) if {
	some suffix in params.restricting_key_suffixes
	endswith(key, suffix)
}
