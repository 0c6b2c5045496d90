# METADATA
# title: Assume action does not fit the principal
# description: |
#   A statement grants only sts:AssumeRoleWithWebIdentity to a principal that is not an OIDC
#   provider, only sts:AssumeRoleWithSAML to one that is not a SAML provider, or only
#   sts:AssumeRole to a federated provider. The statement does not work as intended, which
#   usually means the real trust is elsewhere or was written by mistake.
# scope: package
# related_resources:
#   - ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp.html
#     description: Roles for identity providers
# custom:
#   id: IAMG-111
#   name: action-principal-mismatch
#   severity: LOW
#   category: none
#   remediation: |
#     Use sts:AssumeRole for AWS and service principals, sts:AssumeRoleWithWebIdentity for
#     OIDC providers and sts:AssumeRoleWithSAML for SAML providers.
package pyiamguard.rules.iamg_111

import rego.v1

import data.pyiamguard.lib.result
import data.pyiamguard.lib.trust

deny contains result.finding(p.ref, {"statement": stmt.ref, "action": action, "kind": p.kind}) if {
	input.kind == "trust"
	some stmt in input.statements
	trust.allows_assume(stmt)
	action := only_action(stmt.actions)
	some p in stmt.principals
	not fits(action, p.kind)
	p.kind in {"aws", "service", "oidc", "saml"}
}

only_action(a) := "sts:AssumeRole" if {
	a.assume_role
	not a.web_identity
	not a.saml
}

only_action(a) := "sts:AssumeRoleWithWebIdentity" if {
	a.web_identity
	not a.assume_role
	not a.saml
}

only_action(a) := "sts:AssumeRoleWithSAML" if {
	a.saml
	not a.assume_role
	not a.web_identity
}

fits("sts:AssumeRole", kind) if kind in {"aws", "service"}

fits("sts:AssumeRoleWithWebIdentity", "oidc")

fits("sts:AssumeRoleWithSAML", "saml")
