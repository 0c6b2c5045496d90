# METADATA
# title: Trust statement allows more than assuming the role
# description: |
#   A trust statement allows "*" or "sts:*", or uses NotAction with Allow. It grants every
#   assume action at once (and session tagging, source identity) where one is needed, so a
#   principal meant for one federation path can use the others.
# scope: package
# related_resources:
#   - ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
#     description: Action element
# custom:
#   id: IAMG-107
#   name: broad-trust-action
#   severity: HIGH
#   category: none
#   remediation: |
#     List the exact actions: sts:AssumeRole for AWS principals and services,
#     sts:AssumeRoleWithWebIdentity for OIDC, sts:AssumeRoleWithSAML for SAML (plus
#     sts:TagSession or sts:SetSourceIdentity where needed).
package pyiamguard.rules.iamg_107

import rego.v1

import data.pyiamguard.lib.result

deny contains result.finding(stmt.actions.ref, {"statement": stmt.ref, "form": form(stmt.actions)}) if {
	input.kind == "trust"
	some stmt in input.statements
	stmt.effect == "Allow"
	broad(stmt.actions)
}

broad(actions) if actions.broad

broad(actions) if actions.not_action

form(actions) := "not_action" if actions.not_action

form(actions) := "wildcard" if not actions.not_action
