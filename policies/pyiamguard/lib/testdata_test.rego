# Test data for the rule tests beside each rule (policies/pyiamguard/rules/*/policy_test.rego).
#
# Builders for normalized documents exactly as pyiamguard.normalize emits them (docs/model.md):
# every object carries every field of the model, so a rule that reads a field the normalizer
# does not produce fails its tests. tests/policies/test_rego.py checks each document the rule
# tests use against the normalizer (principals and conditions re-derived from their `block`,
# `value`, `operator`, `key` and value texts) and against the JSON Schema of the model.
#
# Ref conventions (refs only need to be unique inside one document):
#   statement "s<N>" has index N, its Principal element is "e<N>1", its Action element "e<N>2"
#   and its action nodes "a<N><i>"; principals are "p..", conditions "c..", problems "x..",
#   unresolved values "u..", chosen by each test.
#   Identity statements (grant) also have a Resource element "e<N>3". In the role section the
#   role is "r9", its max session "m8", permissions "q<N>" (an unresolved one adds the
#   unresolved entry "u<N>"), and an invalid max session the problem "x8".
#
# Only OPA runs this file (opa_oracle.py test policies/): never load *_test.rego into regopy.
package pyiamguard.lib.testdata_test

import rego.v1

# --- configuration -------------------------------------------------------------------------

# The defaults of policies/data.json (data.pyiamguard.config); test_rego.py checks they match.
default_config := {
	"own_accounts": [],
	"trusted_accounts": [],
	"internal_accounts": [],
	"trusted_org_ids": [],
	"max_session_seconds": 3600,
	"require_mfa": "people",
	"require_permissions_boundary": false,
	"allowed_permissions_boundaries": [],
	"approved_oidc_subjects": [],
}

# The defaults with some keys replaced: every config key is always present.
config(overrides) := object.union(default_config, overrides)

# --- documents -----------------------------------------------------------------------------

# A trust policy whose own account and partition are unknown (a raw IAM document).
trust(statements) := document("trust", [], "", statements)

# A trust policy whose loader knows the role's accounts and partition (context).
trust_in(own_accounts, partition, statements) := document("trust", own_accounts, partition, statements)

# An identity policy (no Principal): a managed policy, or an inline policy of a user or group.
identity(statements) := document("identity", [], "", statements)

# An inline policy of a role that is not in the scan (context.owner "role": its trust is unknown).
role_inline(statements) := object.union(identity(statements), {"context": {"owner": "role"}})

document(kind, own_accounts, partition, statements) := {
	"kind": kind,
	"context": {"own_accounts": own_accounts, "partition": partition, "owner": ""},
	"problems": [],
	"unresolved": [],
	"statements": statements,
}

# --- statements ----------------------------------------------------------------------------

# Allow / Deny of sts:AssumeRole with a Principal element.
allow(ref, principals, conditions) := statement(ref, "Allow", principals, "Action", ["sts:AssumeRole"], conditions)

deny_stmt(ref, principals, conditions) := statement(ref, "Deny", principals, "Action", ["sts:AssumeRole"], conditions)

# Allow with another Action list, or with NotAction.
allow_actions(ref, principals, patterns, conditions) := statement(ref, "Allow", principals, "Action", patterns, conditions)

allow_not_actions(ref, principals, patterns, conditions) := statement(ref, "Allow", principals, "NotAction", patterns, conditions)

# The same statement with NotPrincipal instead of Principal.
with_not_principal(stmt) := object.union(stmt, {"principal_element": "NotPrincipal"})

# element: "Action" or "NotAction"; patterns: the action texts as written.
statement(ref, effect, principals, element, patterns, conditions) := {
	"ref": ref,
	"index": n,
	"effect": effect,
	"principal_element": "Principal",
	"principal_ref": sprintf("e%d1", [n]),
	"principals": principals,
	"actions": object.union(actions(element, patterns), {
		"ref": sprintf("e%d2", [n]),
		"refs": [sprintf("a%d%d", [n, i]) | some i, _ in patterns],
	}),
	"resources": {"element": "none", "values": [], "unresolved": false, "ref": ""},
	"conditions": conditions,
} if {
	n := to_number(trim_prefix(ref, "s"))
}

# The action flags of docs/model.md: case-insensitive `*`/`?` matching, NotAction inverts it.
actions(element, patterns) := {
	"assume_role": covers(element, patterns, "sts:assumerole"),
	"web_identity": covers(element, patterns, "sts:assumerolewithwebidentity"),
	"saml": covers(element, patterns, "sts:assumerolewithsaml"),
	"broad": broad(patterns),
	"patterns": [lower(trim_space(p)) | some p in patterns],
	"not_action": element == "NotAction",
	"unresolved": false,
}

covers("Action", patterns, action) := true if {
	some p in patterns
	glob.match(lower(trim_space(p)), null, action)
} else := false

covers("NotAction", patterns, action) := false if {
	some p in patterns
	glob.match(lower(trim_space(p)), null, action)
} else := count(patterns) > 0

broad(patterns) := true if {
	some p in patterns
	lower(trim_space(p)) in {"*", "sts:*", "*:*"}
} else := false

# --- identity-policy statements -----------------------------------------------------------

# A statement without Principal: element "Action" or "NotAction", resource_element "Resource"
# or "NotResource" with the resource texts as written (the normalizer keeps their case).
grant(ref, effect, element, patterns, resource_element, resources, conditions) := object.union(
	statement(ref, effect, [], element, patterns, conditions),
	{
		"principal_element": "none",
		"principal_ref": "",
		"resources": {"element": resource_element, "values": resources, "unresolved": false, "ref": sprintf("e%d3", [n])},
	},
) if {
	n := to_number(trim_prefix(ref, "s"))
}

# Allow / Deny of actions on resources, without conditions.
allow_on(ref, patterns, resources) := grant(ref, "Allow", "Action", patterns, "Resource", resources, [])

deny_on(ref, patterns, resources) := grant(ref, "Deny", "Action", patterns, "Resource", resources, [])

# Allow + NotAction ("everything except") on resources.
allow_except_on(ref, patterns, resources) := grant(ref, "Allow", "NotAction", patterns, "Resource", resources, [])

# Allow of actions on every resource except the ones named (NotResource).
allow_not_on(ref, patterns, resources) := grant(ref, "Allow", "Action", patterns, "NotResource", resources, [])

# --- the role section (docs/model.md "Role") -----------------------------------------------

# The role section of a trust policy: no boundary and the default max session unless replaced with
# with_boundary / with_max_session. Permissions come from the builders below.
role_section(policies) := {
	"ref": "r9",
	"max_session": max_session("default", 3600),
	"boundary": no_boundary,
	"policies": policies,
}

with_boundary(r, boundary) := object.union(r, {"boundary": boundary})

# state: "default" (3600), "known", "invalid" (outside 3600-43200, or 0 for a non-number),
# "unresolved" (seconds 0).
with_max_session(r, state, seconds) := object.union(r, {"max_session": max_session(state, seconds)})

max_session(state, seconds) := {"ref": "m8", "state": state, "seconds": seconds}

# A trust document with its role section. Like the normalizer, an invalid max session adds the
# problem invalid_max_session and an unresolved one or an unresolved policy adds an unresolved
# entry (the boundary first, then the policies in order).
with_role(doc, r) := object.union(doc, {
	"role": r,
	"problems": array.concat(doc.problems, session_problems(r)),
	"unresolved": array.concat(doc.unresolved, array.concat(session_unknowns(r), policy_unknowns(r))),
})

session_problems(r) := [{"ref": "x8", "code": "invalid_max_session"}] if {
	r.max_session.state == "invalid"
} else := []

session_unknowns(r) := [{"ref": "u8", "what": "max_session", "key": "", "positive_string": false, "part": "permissions"}] if {
	r.max_session.state == "unresolved"
} else := []

policy_unknowns(r) := [{"ref": concat("", ["u", trim_prefix(p.ref, "q")]), "what": unknown_what(p), "key": "", "positive_string": false, "part": "permissions"} |
	some p in array.concat([r.boundary], r.policies)
	p.state == "unresolved"
]

unknown_what(p) := "boundary" if p.origin == "boundary"

unknown_what(p) := "policy" if p.origin != "boundary"

# No permissions boundary.
no_boundary := {"ref": "", "origin": "boundary", "state": "none", "aws_managed": false, "name": "", "arn": "", "scanned": false, "statements": []}

# A policy with its statements and no ARN: an inline policy (origin "inline") or an
# aws_iam_role_policy naming the role ("role_policy"). Statement indexes restart at 0 in each
# policy (refs stay unique in the document).
inline_policy(ref, origin, statements) := permission(ref, origin, "known", false, "", "", statements)

# A customer-managed policy defined in the scan (attached, or as a boundary): its statements;
# the normalizer keeps the name and ARN of a boundary only.
scanned_policy(ref, "boundary", arn, statements) := permission(ref, "boundary", "known", false, last_segment(arn), arn, statements)

scanned_policy(ref, origin, _, statements) := permission(ref, origin, "known", false, "", "", statements) if origin != "boundary"

# A policy known only by its ARN: AWS-managed (arn:<partition>:iam::aws:policy/<path><name>,
# state known) or customer-managed and defined outside the scan (state external).
managed(ref, origin, arn) := permission(ref, origin, "known", true, aws_managed_name(arn), arn, []) if {
	aws_managed_name(arn)
} else := permission(ref, origin, "external", false, last_segment(arn), arn, []) if {
	origin == "boundary"
} else := permission(ref, origin, "external", false, "", "", [])

# A policy (or boundary) whose ARN or document cannot be known statically.
unresolved_policy(ref, origin) := permission(ref, origin, "unresolved", false, "", "", [])

permission(ref, origin, state, aws_managed, name, arn, statements) := {
	"ref": ref,
	"origin": origin,
	"state": state,
	"aws_managed": aws_managed,
	"name": name,
	"arn": arn,
	"scanned": false,
	"statements": [object.union(st, {"index": i}) | some i, st in statements],
}

# A policy also scanned as a document of its own (a managed policy resource, a template's
# inline policy): findings about its statements alone are reported there.
scanned(permission) := object.union(permission, {"scanned": true})

aws_managed_name(arn) := match[0][1] if {
	match := regex.find_all_string_submatch_n(`^arn:[a-z-]+:iam::aws:policy/(?:.*/)?([^/]+)$`, trim_space(arn), 1)
	count(match) == 1
}

last_segment(arn) := parts[count(parts) - 1] if parts := split(arn, "/")

# --- principals ----------------------------------------------------------------------------

# Any principal: the fields not given take their empty value.
principal(ref, kind, block, value, fields) := object.union(
	{
		"ref": ref, "kind": kind, "block": block, "value": value, "identity": value,
		"account": "", "partition": "", "scope": "", "whole_account": false,
		"service": "", "provider": "", "issuer": "", "defects": [],
	},
	fields,
)

# "Principal": "*" (the bare string form).
star(ref) := principal(ref, "wildcard", "*", "*", {})

# {"AWS": "*"} and {"Service": "*"}.
any_aws(ref) := principal(ref, "wildcard", "AWS", "*", {})

any_service(ref) := principal(ref, "wildcard", "Service", "*", {})

# {"AWS": "444455556666"}: a bare account id is the account root.
# A whole account compares as account:<id> however it is written.
account_id(ref, account) := principal(ref, "aws", "AWS", account, {
	"account": account, "scope": "account", "whole_account": true, "identity": concat("", ["account:", account]),
})

# {"AWS": "arn:<partition>:iam::<account>:root"}.
root(ref, partition, account) := principal(ref, "aws", "AWS", sprintf("arn:%s:iam::%s:root", [partition, account]), {
	"account": account, "partition": partition, "scope": "root", "whole_account": true,
	"identity": concat("", ["account:", account]),
})

# A principal of another partition than the document's context.partition: the normalizer
# adds the defect cross_partition.
in_other_partition(p) := object.union(p, {"defects": ["cross_partition"]})

# {"AWS": "arn:aws:iam::<account>:role/<name>"} and the user form.
role(ref, account, name) := principal(ref, "aws", "AWS", sprintf("arn:aws:iam::%s:role/%s", [account, name]), {
	"account": account, "partition": "aws", "scope": "role",
})

user(ref, account, name) := principal(ref, "aws", "AWS", sprintf("arn:aws:iam::%s:user/%s", [account, name]), {
	"account": account, "partition": "aws", "scope": "user",
})

# {"Service": "<host>"} (host in lower case).
service(ref, host) := principal(ref, "service", "Service", host, {"service": host})

# {"Federated": "arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com"}.
github_oidc(ref, account) := principal(
	ref, "oidc", "Federated",
	sprintf("arn:aws:iam::%s:oidc-provider/token.actions.githubusercontent.com", [account]),
	{"account": account, "partition": "aws", "provider": "github", "issuer": "token.actions.githubusercontent.com"},
)

# {"Federated": "arn:aws:iam::<account>:saml-provider/<name>"}.
saml(ref, account, name) := principal(ref, "saml", "Federated", sprintf("arn:aws:iam::%s:saml-provider/%s", [account, name]), {
	"account": account, "partition": "aws",
})

# --- conditions ----------------------------------------------------------------------------

# One condition record: `cond("c3", "StringEqualsIfExists", "sts:ExternalId", ["x"])` is what
# {"StringEqualsIfExists": {"sts:ExternalId": "x"}} normalizes to. Values are strings (IAM
# stringifies true and numbers).
cond(ref, operator, key, values) := {
	"ref": ref,
	"operator": operator,
	"base": base,
	"set": qualified[0],
	"if_exists": if_exists,
	"negated": base in negated_bases,
	"pattern": base in pattern_bases,
	"key": lower(key),
	"values": [value(v) | some v in values],
	"state": state(base, values),
} if {
	qualified := qualifier(operator)
	low := lower(qualified[1])
	if_exists := is_if_exists(low)
	base := trim_suffix(low, "ifexists")
}

qualifier(op) := ["forallvalues", substring(op, 13, -1)] if startswith(lower(op), "forallvalues:")

qualifier(op) := ["foranyvalue", substring(op, 12, -1)] if startswith(lower(op), "foranyvalue:")

qualifier(op) := ["", op] if {
	not startswith(lower(op), "forallvalues:")
	not startswith(lower(op), "foranyvalue:")
}

is_if_exists(low) := true if {
	endswith(low, "ifexists")
	low != "ifexists"
} else := false

negated_bases := {
	"stringnotequals", "stringnotequalsignorecase", "stringnotlike", "numericnotequals",
	"datenotequals", "arnnotequals", "arnnotlike", "notipaddress",
}

pattern_bases := {"stringlike", "stringnotlike", "arnlike", "arnnotlike", "arnequals", "arnnotequals"}

state(_, values) := "empty" if {
	every v in values {
		v == ""
	}
}

state(base, values) := "wildcard_only" if {
	some v in values
	v != ""
	base in pattern_bases
	some w in values
	only_wildcards(w)
}

state(base, values) := "concrete" if {
	some v in values
	v != ""
	not wildcard_pattern(base, values)
}

wildcard_pattern(base, values) if {
	base in pattern_bases
	some w in values
	only_wildcards(w)
}

only_wildcards(text) if {
	text != ""
	strings.replace_n({"*": "", "?": ""}, text) == ""
}

# One condition value with the facts docs/model.md derives from its text.
value(text) := {
	"text": text,
	"wildcard": has_wildcard(text),
	"wildcard_only": is_only_wildcards(text),
	"account": value_account(text),
	"account_wildcard": account_wildcard(text),
	"partition": value_partition(text),
	"arn_scope": value_arn_scope(text),
	"named": value_named(text),
	"unresolved": false,
}

# A named principal ARN (the normalizer's _names_one): iam or sts, a known scope, a last path
# segment, and no wildcard, policy variable or placeholder in the resource part.
value_named(text) := true if {
	parts := arn_parts(text)
	parts[2] in {"iam", "sts"}
	resource := concat(":", array.slice(parts, 5, count(parts)))
	resource_scope(parts[2], resource) != "other"
	segments := split(resource, "/")
	segments[count(segments) - 1] != ""
	not regex.match(`[*?$]`, resource)
} else := false

# What an ARN value names (the normalizer's arn_resource_scope).
value_arn_scope(text) := scope if {
	parts := arn_parts(text)
	scope := resource_scope(parts[2], concat(":", array.slice(parts, 5, count(parts))))
} else := ""

resource_scope(_, resource) := "root" if {
	resource == "root"
} else := "role" if {
	startswith(resource, "role/")
} else := "user" if {
	startswith(resource, "user/")
} else := "assumed_role" if {
	startswith(resource, "assumed-role/")
} else := "federated_user" if {
	startswith(resource, "federated-user/")
} else := "other"

has_wildcard(text) := true if {
	some c in ["*", "?"]
	contains(text, c)
} else := false

is_only_wildcards(text) := true if only_wildcards(text) else := false

account_re := `^\d{12}$`

arn_parts(text) := parts if {
	parts := split(text, ":")
	count(parts) >= 6
	parts[0] == "arn"
}

value_account(text) := text if {
	regex.match(account_re, text)
} else := parts[4] if {
	parts := arn_parts(text)
	regex.match(account_re, parts[4])
} else := ""

value_partition(text) := "" if {
	regex.match(account_re, text)
} else := parts[1] if {
	parts := arn_parts(text)
} else := ""

account_wildcard(text) := true if {
	not regex.match(account_re, text)
	parts := arn_parts(text)
	not regex.match(account_re, parts[4])
	has_wildcard(parts[4])
} else := false
