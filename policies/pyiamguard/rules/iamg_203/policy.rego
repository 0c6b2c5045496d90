# METADATA
# title: Federation without an audience condition
# description: |
#   An OIDC trust has no restricting condition on the provider's audience key (<issuer>:aud,
#   or app_id for Login with Amazon and Facebook), or a SAML trust has none on SAML:aud. Tokens
#   minted for another application of the same provider are then accepted.
# scope: package
# related_resources:
#   - ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html
#     description: IAM and AWS STS condition context keys
# custom:
#   id: IAMG-203
#   name: federation-missing-audience
#   severity: MEDIUM
#   category: none
#   remediation: |
#     Add "StringEquals": {"<issuer>:aud": "sts.amazonaws.com"} (or your client id), or
#     "StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}.
package pyiamguard.rules.iamg_203

import rego.v1

import data.pyiamguard.lib.federation
import data.pyiamguard.lib.result
import data.pyiamguard.lib.trust

# Cognito's audience is its subject: IAMG-201 reports it.
deny contains result.finding(p.ref, {"statement": stmt.ref, "key": key}) if {
	input.kind == "trust"
	some stmt in input.statements
	some p in federation.oidc_principals(stmt)
	p.provider != "cognito"
	key := federation.audience_key(p)
	not trust.restricted(input.statements, stmt, p, key)
	not trust.excluded(input.statements, stmt, p)
}

deny contains result.finding(p.ref, {"statement": stmt.ref, "key": "saml:aud"}) if {
	input.kind == "trust"
	some stmt in input.statements
	trust.allows_assume(stmt)
	stmt.actions.saml
	some p in stmt.principals
	p.kind == "saml"
	not trust.restricted(input.statements, stmt, p, "saml:aud")
	not trust.excluded(input.statements, stmt, p)
}
