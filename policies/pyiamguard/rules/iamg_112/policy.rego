# METADATA
# title: Trust statement nobody can satisfy
# description: |
#   An Allow statement whose conditions can never all hold for the principals it names, so
#   nobody can assume the role through it: a condition key of another provider's tokens (a
#   GitHub ":sub" key on an EKS provider), an unexpanded template placeholder used as a key
#   ("$oidc_provider:sub", "${OIDC}:aud" left literal), StringEquals on the same single-valued
#   key with two disjoint values in one statement (conditions are ANDed), or
#   Bool aws:MultiFactorAuthPresent true on a service or web-identity principal (their
#   requests never carry it). A positive operator on a key the request lacks is false. This
#   is the "I can't assume the role" ticket, found before deployment.
# scope: package
# related_resources:
#   - ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
#     description: Single-valued and multivalued context keys
#   - ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif
#     description: Available keys for AWS web identity federation
# custom:
#   id: IAMG-112
#   name: unsatisfiable-trust
#   severity: LOW
#   category: none
#   remediation: |
#     Use the condition keys of the provider the statement trusts (<issuer>:sub with that
#     provider's issuer), expand template placeholders before deployment, and give each
#     single-valued key one condition whose values list every accepted value.
package pyiamguard.rules.iamg_112

import rego.v1

import data.pyiamguard.lib.federation
import data.pyiamguard.lib.result
import data.pyiamguard.lib.trust

# Claims of another provider: every principal of the statement is an OIDC provider whose
# tokens never carry the key.
deny contains result.finding(cond.ref, {"statement": stmt.ref, "reason": "other_provider", "key": cond.key}) if {
	some stmt in allow_statements
	count(stmt.principals) > 0
	every p in stmt.principals {
		p.kind == "oidc"
	}
	some cond in stmt.conditions
	positive(cond)
	every p in stmt.principals {
		foreign_claim(cond.key, p)
	}
}

# A key with a template placeholder left literal: no request carries it.
deny contains result.finding(cond.ref, {"statement": stmt.ref, "reason": "placeholder_key", "key": cond.key}) if {
	some stmt in allow_statements
	some cond in stmt.conditions
	positive(cond)
	regex.match(`[$<>{}]`, cond.key)
}

# Two StringEquals on one single-valued key without a common value: both must hold.
deny contains result.finding(second.ref, {"statement": stmt.ref, "reason": "disjoint_values", "key": first.key}) if {
	some stmt in allow_statements
	some first in stmt.conditions
	some second in stmt.conditions
	first.ref < second.ref
	first.key == second.key
	single_exact(first)
	single_exact(second)
	not multi_valued(first.key)
	count({v.text | some v in first.values} & {v.text | some v in second.values}) == 0
}

# MFA is never present in the requests of services and web identities.
deny contains result.finding(cond.ref, {"statement": stmt.ref, "reason": "mfa_on_machine", "key": cond.key}) if {
	some stmt in allow_statements
	count(stmt.principals) > 0
	every p in stmt.principals {
		p.kind in {"service", "oidc"}
	}
	some cond in stmt.conditions
	cond.key == "aws:multifactorauthpresent"
	cond.base == "bool"
	positive(cond)
	every v in cond.values {
		lower(v.text) == "true"
	}
}

allow_statements contains stmt if {
	some stmt in input.statements
	input.kind == "trust"
	trust.allows_assume(stmt)
}

# A positive operator with known values, without IfExists or a set qualifier: a request
# without the key fails it.
positive(cond) if {
	trust.restricting(cond)
	cond.set == ""
}

single_exact(cond) if {
	cond.base == "stringequals"
	positive(cond)
}

foreign_claim(key, p) if {
	some suffix in federation.claim_suffixes
	endswith(key, suffix)
	not startswith(key, concat("", [p.issuer, ":"]))
	not startswith(key, "aws:")
	not startswith(key, "sts:")
	not startswith(key, "saml:")
	contains(key, ".")
}

# Keys that carry several values in one request: two conditions on them may both hold.
multi_valued(key) if key in {"aws:tagkeys", "aws:principalorgpaths", "aws:calledvia", "aws:sourceorgpaths"}

multi_valued(key) if endswith(key, ":amr")
