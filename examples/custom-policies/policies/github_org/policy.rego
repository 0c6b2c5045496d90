# METADATA
# title: GitHub OIDC role not confined to your organizations' repositories
# description: |
#   A role trusts GitHub Actions (token.actions.githubusercontent.com) and a subject it accepts
#   is not a repository of the organizations in data.pyiamguard.custom.github_organizations:
#   workflows of other organizations, or of any repository, can assume it.
# custom:
#   id: ACME-002
#   severity: HIGH
#   category: oidc
#   remediation: >-
#     Restrict the token's sub claim to repo:<your organization>/<repository>:... with
#     StringEquals or StringLike.
#   message: "GitHub subject {subject} is outside the approved organizations ({principal})"
package acme.github_org

import rego.v1

import data.pyiamguard.lib.result
import data.pyiamguard.lib.trust

deny contains found if some found in violations(input, data.pyiamguard.custom)

violations(doc, custom) := {result.finding(cond.ref, {"subject": value.text, "principal": p.ref}) |
	doc.kind == "trust"
	some stmt in doc.statements
	trust.allows_assume(stmt)
	some p in stmt.principals
	p.kind == "oidc"
	p.provider == "github"
	some cond in stmt.conditions
	cond.key == concat("", [p.issuer, ":sub"])
	cond.negated == false
	some value in cond.values
	value.unresolved == false
	not in_organization(value.text, object.get(custom, "github_organizations", []))
}

# repo:<org>/...: the organization part compared without case, as GitHub names are.
in_organization(subject, organizations) if {
	some org in organizations
	startswith(lower(subject), concat("", ["repo:", lower(org), "/"]))
}
