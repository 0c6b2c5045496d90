# METADATA
# title: IAM condition operators for the simulator
# description: |
#   Whether one condition of a statement holds for a request (AWS IAM User Guide, "IAM JSON
#   policy elements: Condition operators", "Multivalued context keys", "Policy evaluation
#   logic"). The values of one key are ORed; a positive operator on a key the request does not
#   carry is false, a negated one true, `...IfExists` true; `Null` tests presence;
#   `ForAnyValue:` is false and `ForAllValues:` true when the request carries no value.
#   Condition keys arrive lower-cased and values as engine tokens (docs/model.md); numbers and
#   dates arrive converted by Python (`input.numbers`, `input.dates`: token -> integer), since
#   Rego engines parse them differently or not at all; so does CIDR containment for IpAddress
#   (`input.ip_matches`: block -> address -> true).
package pyiamguard.simulate.conditions

import rego.v1

import data.pyiamguard.lib.iam_glob

# The positive operator of each negated one.
positive := {
	"stringnotequals": "stringequals",
	"stringnotequalsignorecase": "stringequalsignorecase",
	"stringnotlike": "stringlike",
	"arnnotequals": "arnequals",
	"arnnotlike": "arnlike",
	"numericnotequals": "numericequals",
	"datenotequals": "dateequals",
	"binarynotequals": "binaryequals",
	"notipaddress": "ipaddress",
}

supported := {
	"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike", "bool",
	"numericequals", "numericlessthan", "numericlessthanequals", "numericgreaterthan",
	"numericgreaterthanequals", "dateequals", "datelessthan", "datelessthanequals",
	"dategreaterthan", "dategreaterthanequals", "binaryequals", "null", "ipaddress",
}

base_of(c) := positive[c.base] if c.negated
else := c.base

request_values(key) := object.get(input.request.context, key, [])

present(key) if count(request_values(key)) > 0

# outcome(c, effect): {"holds": bool, "why": code}. An unknown value or an operator the
# simulator cannot evaluate holds in a Deny and fails in an Allow: never a false ALLOW.
outcome(c, effect) := {"holds": effect == "Deny", "why": "unresolved"} if {
	c.state == "unresolved"
} else := {"holds": effect == "Deny", "why": "unsupported_operator"} if {
	not base_of(c) in supported
} else := null_outcome(c) if {
	c.base == "null"
} else := {"holds": c.if_exists, "why": absent_why(c)} if {
	c.set != "forallvalues"
	not present(c.key)
	not c.negated
} else := {"holds": true, "why": "absent_negated"} if {
	c.set == ""
	not present(c.key)
	c.negated
} else := {"holds": c.if_exists, "why": absent_why(c)} if {
	c.set == "foranyvalue"
	not present(c.key)
} else := {"holds": true, "why": "forall_no_values"} if {
	c.set == "forallvalues"
	not present(c.key)
} else := {"holds": true, "why": "matched"} if {
	c.set == "forallvalues"
	every v in request_values(c.key) {
		value_holds(c, v)
	}
} else := {"holds": false, "why": "forall_value_outside"} if {
	c.set == "forallvalues"
} else := {"holds": true, "why": holds_why(c)} if {
	c.set != "forallvalues"
	some v in request_values(c.key)
	value_holds(c, v)
} else := {"holds": false, "why": negated_or_mismatch(c)}

absent_why(c) := "absent_ifexists" if c.if_exists
else := "missing_key"

holds_why(c) := "not_listed" if c.negated
else := "matched"

negated_or_mismatch(c) := "negated_matched" if c.negated
else := "no_match"

null_outcome(c) := {"holds": true, "why": "null_matched"} if {
	some v in c.values
	null_holds(lower(v.text), c.key)
} else := {"holds": false, "why": null_why(c)}

null_holds(value, key) if {
	value == "true"
	not present(key)
}

null_holds(value, key) if {
	value == "false"
	present(key)
}

null_why(c) := "null_present" if present(c.key)
else := "missing_key"

# One request value against the condition's values: a positive operator holds when some
# value matches, a negated one when none does.
value_holds(c, v) if {
	not c.negated
	some p in c.values
	op_matches(base_of(c), p.text, v)
}

value_holds(c, v) if {
	c.negated
	base := base_of(c)
	not any_matches(base, c.values, v)
}

any_matches(base, values, v) if {
	some p in values
	op_matches(base, p.text, v)
}

op_matches(base, p, v) if {
	base == "stringequals"
	p == v
}

op_matches(base, p, v) if {
	base == "binaryequals"
	p == v
}

# IpAddress: the CIDR containment is computed in Python (`input.ip_matches`: block -> address).
op_matches(base, p, v) if {
	base == "ipaddress"
	input.ip_matches[p][v]
}

op_matches(base, p, v) if {
	base == "stringequalsignorecase"
	lower(p) == lower(v)
}

op_matches(base, p, v) if {
	base == "bool"
	lower(p) == lower(v)
}

op_matches(base, p, v) if {
	base == "stringlike"
	iam_glob.matches(p, v)
}

op_matches(base, p, v) if {
	base == "arnequals"
	arn_matches(p, v)
}

op_matches(base, p, v) if {
	base == "arnlike"
	arn_matches(p, v)
}

op_matches(base, p, v) if {
	startswith(base, "numeric")
	compare(substring(base, 7, -1), input.numbers[v], input.numbers[p])
}

op_matches(base, p, v) if {
	startswith(base, "date")
	compare(substring(base, 4, -1), input.dates[v], input.dates[p])
}

compare(op, a, b) if {
	op == "equals"
	a == b
}

compare(op, a, b) if {
	op == "lessthan"
	a < b
}

compare(op, a, b) if {
	op == "lessthanequals"
	a <= b
}

compare(op, a, b) if {
	op == "greaterthan"
	a > b
}

compare(op, a, b) if {
	op == "greaterthanequals"
	a >= b
}

# ArnLike/ArnEquals: each of the six colon-separated parts matched on its own, wildcards
# never crossing a colon of the first five; the resource part keeps its colons.
arn_matches(p, v) if {
	pp := arn_parts(p)
	vp := arn_parts(v)
	every i in numbers.range(0, 5) {
		iam_glob.matches(pp[i], vp[i])
	}
}

arn_parts(text) := parts if {
	pieces := split(text, ":")
	count(pieces) >= 6
	parts := array.concat(array.slice(pieces, 0, 5), [concat(":", array.slice(pieces, 5, count(pieces)))])
}
