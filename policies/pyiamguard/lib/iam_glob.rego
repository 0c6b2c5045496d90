# METADATA
# title: IAM wildcard matching
# description: |
#   IAM reads `*` as any run of characters and `?` as any one character, and every other
#   character literally (AWS IAM User Guide, "IAM JSON policy elements: Condition operators",
#   StringLike; "Action" and "Resource" wildcards). glob.match reads more: `.` delimits
#   segments that `*` does not cross, and `{a,b}`, `[a-z]` and `\` are syntax, read
#   differently by different engines and failing on some inputs. A pattern here becomes an
#   anchored regular expression that escapes every character but letters and digits, which
#   every Rego engine reads alike. Inputs are engine tokens (printable ASCII without quote or
#   backslash, docs/model.md), so splitting into characters means the same everywhere.
package pyiamguard.lib.iam_glob

import rego.v1

# The regular expression of an IAM pattern.
pattern_regex(pattern) := concat("", ["^", concat("", [piece(c) | some c in split(pattern, "")]), "$"])

piece(c) := ".*" if c == "*"
else := "." if c == "?"
else := c if regex.match(`^[A-Za-z0-9_]$`, c)
else := concat("", ["\\", c])

# value matches the IAM pattern.
matches(pattern, value) if regex.match(pattern_regex(pattern), value)
