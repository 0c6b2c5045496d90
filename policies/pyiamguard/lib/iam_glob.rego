# METADATA
# title: IAM wildcard matching
# description: |
#   IAM reads `*` as any run of characters and `?` as any one character, and every other
#   character literally (AWS IAM User Guide, "IAM JSON policy elements: Condition operators",
#   StringLike; "Action" and "Resource" wildcards). glob.match reads more: `.` delimits
#   segments that `*` does not cross, and `{a,b}`, `[a-z]` and `\` are syntax, read
#   differently by different engines and failing on some inputs. A pattern here is compared
#   as text when it has no wildcard, as a prefix when its only wildcard is a final `*`, and
#   otherwise as an anchored regular expression that escapes every character but letters,
#   digits and `_`, which every Rego engine reads alike. Inputs are engine tokens (printable
#   ASCII without quote or backslash, docs/model.md), so splitting into characters means the
#   same everywhere.
package pyiamguard.lib.iam_glob

import rego.v1

# value matches the IAM pattern.
matches(pattern, value) if {
	not wildcard(pattern)
	pattern == value
}

matches(pattern, value) if {
	prefix_only(pattern)
	startswith(value, trim_suffix(pattern, "*"))
}

matches(pattern, value) if {
	wildcard(pattern)
	not prefix_only(pattern)
	regex.match(pattern_regex(pattern), value)
}

# The values of a collection that the IAM pattern matches, the pattern read once for them all.
matching(pattern, values) := {v | some v in values; v == pattern} if {
	not wildcard(pattern)
} else := {v | some v in values; startswith(v, prefix)} if {
	prefix_only(pattern)
	prefix := trim_suffix(pattern, "*")
} else := {v | some v in values; regex.match(expression, v)} if {
	expression := pattern_regex(pattern)
}

wildcard(pattern) if contains(pattern, "*")

wildcard(pattern) if contains(pattern, "?")

prefix_only(pattern) if {
	endswith(pattern, "*")
	not wildcard(trim_suffix(pattern, "*"))
}

# The regular expression of an IAM pattern.
pattern_regex(pattern) := concat("", ["^", concat("", [piece(c) | some c in split(pattern, "")]), "$"])

piece(c) := ".*" if c == "*"
else := "." if c == "?"
else := c if c in literal
else := concat("", ["\\", c])

literal := {c | some c in split("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_", "")}
