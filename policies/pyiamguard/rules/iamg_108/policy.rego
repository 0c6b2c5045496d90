# METADATA
# title: Condition restricts nothing
# description: |
#   A condition on a restricting key (sts:ExternalId, MFA, aws:PrincipalOrgID,
#   aws:PrincipalArn, aws:PrincipalAccount, aws:SourceAccount, aws:SourceArn, OIDC sub/aud,
#   SAML:aud) in an Allow statement is written so that it restricts nothing: an IfExists
#   operator (true when the key is absent), ForAllValues (true when the key is absent), a
#   negated operator (true for every other value and when absent), Null, a value made only
#   of wildcards, an empty value, or StringEquals with a wildcard (compared literally, so it
#   never matches as intended).
# scope: package
# related_resources:
#   - ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
#     description: IAM condition operators
# custom:
#   id: IAMG-108
#   name: ineffective-condition
#   severity: HIGH
#   category: none
#   remediation: |
#     Use a positive operator without IfExists or ForAllValues (StringEquals, StringLike,
#     ArnEquals, Bool) with concrete values, for example
#     "StringEquals": {"sts:ExternalId": "<secret>"}.
package pyiamguard.rules.iamg_108

import rego.v1

import data.pyiamguard.lib.result
import data.pyiamguard.lib.trust

deny contains result.finding(cond.ref, {"statement": stmt.ref, "key": cond.key, "reason": reason}) if {
	input.kind == "trust"
	some stmt in input.statements
	stmt.effect == "Allow"
	some cond in stmt.conditions
	trust.restricting_key(cond.key)
	some reason in weaknesses(cond)
}

weaknesses(cond) := {r | some r in all_reasons; weak(cond, r)}

all_reasons := ["if_exists", "for_all_values", "negated", "null", "wildcard_only", "empty_value", "literal_wildcard"]

weak(cond, "if_exists") if cond.if_exists

weak(cond, "for_all_values") if cond.set == "forallvalues"

weak(cond, "negated") if cond.negated

weak(cond, "null") if cond.base == "null"

weak(cond, "wildcard_only") if cond.state == "wildcard_only"

weak(cond, "empty_value") if cond.state == "empty"

weak(cond, "literal_wildcard") if {
	not cond.pattern
	startswith(cond.base, "string")
	some v in cond.values
	v.wildcard
}
