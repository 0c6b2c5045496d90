# METADATA
# title: OIDC subject condition admits strangers
# description: |
#   A subject value of an OIDC trust (any one of them: the values are ORed) matches identities
#   outside your control: "*", "repo:*", "repo:*/*" or "repo:org*" without the slash for
#   GitHub, "project_path:*" for GitLab, "organization:*" for HCP Terraform,
#   "system:serviceaccount:*" for EKS. With approved_oidc_subjects configured, every subject
#   value must be one of them (or narrower than one).
# scope: package
# related_resources:
#   - ref: https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect
#     description: GitHub OIDC subject claims
# custom:
#   id: IAMG-202
#   name: oidc-broad-subject
#   severity: HIGH
#   category: oidc_without_sub_condition
#   remediation: Name your organization and repository (or project, namespace) in every subject value.
package pyiamguard.rules.iamg_202

import rego.v1

import data.pyiamguard.lib.federation
import data.pyiamguard.lib.result
import data.pyiamguard.lib.trust

deny contains result.finding(cond.ref, {"statement": stmt.ref, "reason": "broad"}) if {
	input.kind == "trust"
	some stmt in input.statements
	some p in federation.oidc_principals(stmt)
	key := federation.subject_key(p)
	some cond in stmt.conditions
	cond.key == key
	trust.restricting(cond)
	some v in cond.values
	federation.broad_subject(cond.pattern, p, v)
}

deny contains result.finding(cond.ref, {"statement": stmt.ref, "reason": "not_approved"}) if {
	input.kind == "trust"
	count(trust.config.approved_oidc_subjects) > 0
	some stmt in input.statements
	some p in federation.oidc_principals(stmt)
	key := federation.subject_key(p)
	some cond in stmt.conditions
	cond.key == key
	trust.restricting(cond)
	some v in cond.values
	not federation.approved(v)
}
