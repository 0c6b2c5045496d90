# METADATA
# title: Federation helpers
# description: |
#   Which condition key restricts the subject and the audience of each web identity provider
#   (data.pyiamguard.params.oidc_subject_keys / oidc_audience_keys; sources: AWS IAM User
#   Guide, "Available keys for AWS web identity federation" and "Creating a role for OIDC";
#   GitHub, GitLab, HCP Terraform and EKS IRSA documentation of their sub claims), and the
#   subject values that admit strangers.
package pyiamguard.lib.federation

import rego.v1

import data.pyiamguard.lib.iam_glob
import data.pyiamguard.lib.trust

subject_key(p) := concat("", [p.issuer, ":", trust.params.oidc_subject_keys[p.provider]])

audience_key(p) := concat("", [p.issuer, ":", trust.params.oidc_audience_keys[p.provider]])

# The OIDC principals of a statement that allows the web identity action. A statement whose
# restricting conditions name another provider's claims never matches this provider's
# tokens (the keys are absent, so the positive operators are false): nobody gets in that way.
oidc_principals(stmt) := {p |
	trust.allows_assume(stmt)
	stmt.actions.web_identity
	some p in stmt.principals
	p.kind == "oidc"
	not other_provider_claims(stmt, p)
}

claim_suffixes := {":sub", ":aud", ":oaud", ":amr", ":app_id", ":user_id", ":id"}

other_provider_claims(stmt, p) if {
	some cond in stmt.conditions
	trust.restricting(cond)
	some suffix in claim_suffixes
	endswith(cond.key, suffix)
	not startswith(cond.key, concat("", [p.issuer, ":"]))
	not startswith(cond.key, "aws:")
	not startswith(cond.key, "sts:")
	not startswith(cond.key, "saml:")
}

# A subject condition that is there but weak (ForAllValues): GitHub always sends sub, so it is
# IAMG-108's weak operator, not a missing subject (reference D.67).
present(stmt, key) if {
	some cond in stmt.conditions
	cond.key == key
	cond.set == "forallvalues"
	not cond.if_exists
	not cond.negated
	cond.state == "concrete"
}

# The values of the restricting conditions on key, with their condition.
subject_values(stmt, key) := {[cond.ref, v] |
	some cond in stmt.conditions
	cond.key == key
	trust.restricting(cond)
	some v in cond.values
}

# A subject value admits strangers: only wildcards, or a wildcard in the part that names the
# owner (organization, group, namespace), under an operator that matches patterns.
broad_subject(cond_pattern, _, v) if {
	cond_pattern
	v.wildcard_only
}

broad_subject(cond_pattern, p, v) if {
	cond_pattern
	some expression in object.get(trust.params.oidc_broad_subjects, p.provider, [])
	regex.match(expression, v.text)
}

approved(v) if {
	some pattern in trust.config.approved_oidc_subjects
	v.text == pattern
}

approved(v) if {
	some pattern in trust.config.approved_oidc_subjects
	iam_glob.matches(pattern, v.text)
	not v.wildcard
}

# A pattern value is approved when every subject it admits is: an approved `prefix*` (no other
# wildcard) covers every value that begins with prefix, wildcards after it included.
approved(v) if {
	v.wildcard
	some pattern in trust.config.approved_oidc_subjects
	iam_glob.prefix_only(pattern)
	startswith(v.text, trim_suffix(pattern, "*"))
}
