# METADATA
# title: OIDC trust without a subject condition
# description: |
#   A federated OIDC principal may assume the role with sts:AssumeRoleWithWebIdentity and no
#   restricting condition on the provider's subject key: <issuer>:sub for GitHub Actions,
#   GitLab, HCP Terraform, EKS IRSA, Google and unknown providers, <issuer>:aud (the identity
#   pool) for Cognito, www.amazon.com:user_id for Login with Amazon. An aud-only condition
#   does not count: every GitHub repository gets the same audience, so any of them can assume
#   the role.
# scope: package
# related_resources:
#   - ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html
#     description: Creating a role for OpenID Connect federation
# custom:
#   id: IAMG-201
#   name: oidc-missing-subject
#   severity: CRITICAL
#   category: oidc_without_sub_condition
#   remediation: |
#     Add "StringEquals" (or "StringLike") on the subject key with the exact repository,
#     project or service account, e.g. "token.actions.githubusercontent.com:sub":
#     "repo:my-org/my-repo:ref:refs/heads/main".
package pyiamguard.rules.iamg_201

import rego.v1

import data.pyiamguard.lib.federation
import data.pyiamguard.lib.result
import data.pyiamguard.lib.trust

deny contains result.finding(p.ref, {"statement": stmt.ref, "key": key}) if {
	input.kind == "trust"
	some stmt in input.statements
	some p in federation.oidc_principals(stmt)
	key := federation.subject_key(p)
	not trust.restricted(input.statements, stmt, p, key)
	not federation.present(stmt, key)
	not trust.excluded(input.statements, stmt, p)
}
