# METADATA
# title: Policy breaks IAM grammar
# description: |
#   The document breaks the IAM policy grammar in a way that changes what it means or makes
#   IAM reject it: a statement without Effect, Action or Principal, Principal and NotPrincipal
#   together, a duplicate key (the last one silently wins, often dropping a condition), an
#   unquoted YAML account id with a leading zero (read as an octal number), a NotPrincipal in
#   a trust policy, an unknown condition operator or Version.
# scope: package
# related_resources:
#   - ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
#     description: IAM JSON policy grammar
# custom:
#   id: IAMG-002
#   name: invalid-policy
#   severity: MEDIUM
#   category: validity
#   remediation: |
#     Fix the document so it follows the IAM grammar: one Effect, Action or NotAction,
#     Principal (never NotPrincipal) in trust policies, each key once, account ids quoted.
package pyiamguard.rules.iamg_002

import rego.v1

import data.pyiamguard.lib.result

deny contains result.finding(p.ref, {"code": p.code}) if {
	some p in input.problems
}
