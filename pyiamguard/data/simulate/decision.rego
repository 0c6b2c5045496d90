# METADATA
# title: Can this principal assume this role?
# description: |
#   The AssumeRole decision as the AWS IAM User Guide documents it ("Policy evaluation logic",
#   "Cross-account policy evaluation logic"): an explicit Deny of the trust policy wins; else
#   an Allow statement whose principal, action and every condition match the request allows;
#   else the request is implicitly denied. Across accounts (and when the trust admits the
#   caller only through its whole account) the caller's identity policy must allow the call
#   too: its own explicit Deny wins, and without an Allow the call is denied.
#   `input.request` is built by pyiamguard/simulate.py from the command line; `statements` are
#   the trust policy's normalized statements (docs/model.md); `caller.statements` the caller's
#   identity policy, when given.
package pyiamguard.simulate.decision

import rego.v1

import data.pyiamguard.lib.iam_glob
import data.pyiamguard.simulate.conditions

request := input.request

principal := input.request.principal

# --- the trust policy, statement by statement

evaluated := [evaluate(s) | some s in input.statements]

evaluate(s) := {
	"ref": s.ref,
	"index": s.index,
	"effect": s.effect,
	"principal": principal_outcome(s),
	"action": action_covers(s.actions, s.effect),
	"conditions": [object.union({"ref": c.ref, "key": c.key}, conditions.outcome(c, s.effect)) | some c in s.conditions],
}

# {"match": "yes" | "no" | "unresolved", "ref": the principal that matched, "via": how}
# Several principals of one statement may match the caller (its account root and its role) or
# be unknown: the outcome names one of them, chosen by position (see best_match), so that the
# function has one value in every engine.
principal_outcome(s) := {"match": "yes", "ref": m.ref, "via": m.via} if {
	s.principal_element == "Principal"
	matches := principal_matches(s)
	count(matches) > 0
	m := best_match(matches)
} else := {"match": "unresolved", "ref": p.ref, "via": ""} if {
	s.principal_element == "Principal"
	p := first_unresolved(s)
} else := {"match": "no", "ref": s.principal_ref, "via": ""} if {
	s.principal_element == "Principal"
} else := {"match": "no", "ref": s.principal_ref, "via": "not_principal_listed"} if {
	s.principal_element == "NotPrincipal"
	not_principal_lists(s)
} else := {"match": "unresolved", "ref": p.ref, "via": ""} if {
	s.principal_element == "NotPrincipal"
	p := first_unresolved(s)
} else := {"match": "yes", "ref": s.principal_ref, "via": "not_principal"} if {
	s.principal_element == "NotPrincipal"
} else := {"match": "no", "ref": "", "via": ""}

# NotPrincipal lists the caller only when it names every identity the request carries (IAM
# User Guide, "NotPrincipal"): a role session is its session ARN, its role and its account, a
# user its ARN and its account, so listing the account alone still leaves its roles' sessions.
identities := {
	"assumed_role": {"session", "role", "account"},
	"role": {"role", "account"},
	"user": {"self", "account"},
	"federated_user": {"self", "account"},
	"root": {"account"},
	"service": {"self"},
	"oidc": {"self"},
	"saml": {"self"},
}

not_principal_lists(s) if {
	covered := {c | some p in s.principals; some c in covers(p)}
	every needed in identities[principal.scope] {
		needed in covered
	}
}

covers(p) := {c |
	some _ in matches_principal(p)
	p.kind == "wildcard"
	some c in {"session", "role", "account", "self"}
} | {"account" |
	"account" in matches_principal(p)
} | {"self" |
	p.kind != "wildcard"
	p.value == principal.arn
} | {"self" |
	some via in matches_principal(p)
	via in {"service", "federated"}
} | {"session" |
	principal.scope == "assumed_role"
	p.value == principal.arn
} | {"role" |
	p.kind == "aws"
	p.scope == "role"
	named_matches(p)
}

principal_matches(s) := [{"ref": p.ref, "via": via} |
	some p in s.principals
	some via in matches_principal(p)
]

# The match that decides: the first (in the statement's order) that names the caller itself
# rather than its whole account, else the first. Principals are ORed, so a statement listing
# the account root and the caller's role admits the caller as its role does: by name, without
# needing the caller's identity policy within the account (caller_needed).
best_match(matches) := specific[0] if {
	specific := [m | some m in matches; m.via != "account"]
	count(specific) > 0
} else := matches[0]

# The first principal of the statement that cannot be known statically.
first_unresolved(s) := unresolved[0] if {
	unresolved := [p | some p in s.principals; p.kind == "unresolved"]
	count(unresolved) > 0
}

# How a principal of the policy matches the caller (the set is empty when it does not).
matches_principal(p) := {"wildcard" |
	p.kind == "wildcard"
	count(p.defects) == 0
	wildcard_covers(p.block)
} | {"account" |
	p.kind == "aws"
	p.whole_account
	principal.kind == "aws"
	p.account == principal.account
	same_partition(p)
} | {"named" |
	p.kind == "aws"
	not p.whole_account
	principal.kind == "aws"
	named_matches(p)
} | {"service" |
	p.kind == "service"
	principal.kind == "service"
	p.service == principal.service
} | {"federated" |
	p.kind in {"oidc", "saml"}
	principal.kind == "federated"
	lower(p.value) == lower(principal.arn)
}

# A bare account id has no partition: it is the role's own.
same_partition(p) if p.partition == principal.partition

same_partition(p) if p.partition == ""

wildcard_covers(block) if block == "*"

wildcard_covers(block) if {
	block == "AWS"
	principal.kind == "aws"
}

wildcard_covers(block) if {
	block == "Service"
	principal.kind == "service"
}

wildcard_covers(block) if {
	block == "Federated"
	principal.kind == "federated"
}

# A role principal admits the role's sessions: by its ARN, or (for a session ARN, which
# does not carry the role's path) by account and role name.
named_matches(p) if p.value == principal.arn

named_matches(p) if {
	p.scope == "role"
	principal.role_arn != ""
	p.value == principal.role_arn
}

named_matches(p) if {
	p.scope == "role"
	principal.scope == "assumed_role"
	p.account == principal.account
	same_partition(p)
	parts := split(p.value, "/")
	parts[count(parts) - 1] == principal.role_name
}

action_covers(actions, effect) := effect == "Deny" if {
	actions.unresolved
} else := covered if {
	named := [x | some pattern in actions.patterns; iam_glob.matches(pattern, request.action); x := pattern]
	covered := (count(named) > 0) != actions.not_action
}

# A statement applies: principal, action and every condition match. An unknown principal
# counts for a Deny and against an Allow.
applies(s) if {
	s.principal.match == "yes"
	s.action
	every c in s.conditions {
		c.holds
	}
}

applies(s) if {
	s.effect == "Deny"
	s.principal.match == "unresolved"
	s.action
	every c in s.conditions {
		c.holds
	}
}

denying := [s | some s in evaluated; s.effect == "Deny"; applies(s)]

allowing := [s | some s in evaluated; s.effect == "Allow"; applies(s)]

# The Allow statement closest to admitting the caller, for saying what to change: principal
# and action match (a condition fails), else the action matches, else the principal.
closest := [s | some s in evaluated; s.effect == "Allow"; s.principal.match == "yes"; s.action] if {
	count(allowing) == 0
}

near_principal := [s | some s in evaluated; s.effect == "Allow"; s.principal.match != "yes"; s.action]

near_action := [s | some s in evaluated; s.effect == "Allow"; s.principal.match == "yes"; not s.action]

# --- the caller's identity policy

caller_needed if request.cross_account

caller_needed if {
	principal.kind == "aws"
	count(allowing) > 0
	every s in allowing {
		s.principal.via == "account"
	}
}

caller_evaluated := [caller_evaluate(s) | some s in input.caller.statements]

caller_evaluate(s) := {
	"ref": s.ref,
	"effect": s.effect,
	"action": action_covers(s.actions, s.effect),
	"resource": resource_covers(s.resources, s.effect),
	"conditions": [object.union({"ref": c.ref, "key": c.key}, conditions.outcome(c, s.effect)) | some c in s.conditions],
}

resource_covers(resources, effect) := effect == "Deny" if {
	resources.unresolved
} else := covered if {
	named := [x | some pattern in resources.values; iam_glob.matches(pattern, request.role_arn); x := pattern]
	covered := (count(named) > 0) != (resources.element == "NotResource")
}

caller_applies(s) if {
	s.action
	s.resource
	every c in s.conditions {
		c.holds
	}
}

caller_denying := [s | some s in caller_evaluated; s.effect == "Deny"; caller_applies(s)]

caller_allowing := [s | some s in caller_evaluated; s.effect == "Allow"; caller_applies(s)]

caller_outcome := "not_needed" if {
	not caller_needed
} else := "assumed" if {
	not input.caller.given
} else := "explicit_deny" if {
	count(caller_denying) > 0
} else := "allow" if {
	count(caller_allowing) > 0
} else := "implicit_deny"

# --- the decision

result := {"decision": "DENY", "reason": "explicit_deny", "statement": denying[0]} if {
	count(denying) > 0
} else := {"decision": "DENY", "reason": "condition_failed", "statement": closest[0]} if {
	count(allowing) == 0
	count(closest) > 0
} else := {"decision": "DENY", "reason": "principal_not_trusted", "statement": near_principal[0]} if {
	count(allowing) == 0
	count(near_principal) > 0
} else := {"decision": "DENY", "reason": "action_not_allowed", "statement": near_action[0]} if {
	count(allowing) == 0
	count(near_action) > 0
} else := {"decision": "DENY", "reason": "no_statement", "statement": {}} if {
	count(allowing) == 0
} else := {"decision": "DENY", "reason": "caller_explicit_deny", "statement": allowing[0]} if {
	caller_outcome == "explicit_deny"
} else := {"decision": "DENY", "reason": "caller_implicit_deny", "statement": allowing[0]} if {
	caller_outcome == "implicit_deny"
} else := {"decision": "ALLOW", "reason": "allowed", "statement": allowing[0]}

decision contains object.union(result, {
	"caller": caller_outcome,
	"statements": evaluated,
	"caller_statements": caller_evaluated,
})
