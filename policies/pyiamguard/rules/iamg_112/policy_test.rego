# IAMG-112 unsatisfiable-trust (rules spec, Amendments).
package pyiamguard.rules.iamg_112_test

import rego.v1

import data.pyiamguard.lib.testdata_test as td
import data.pyiamguard.rules.iamg_112

eks(ref) := td.principal(ref, "oidc", "Federated", "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC", {
	"account": "111122223333", "partition": "aws", "provider": "eks", "issuer": "oidc.eks.us-east-1.amazonaws.com/id/abc",
})

web(principals, conditions) := td.trust([td.allow_actions("s0", principals, ["sts:AssumeRoleWithWebIdentity"], conditions)])

gh_sub := td.cond("c3", "StringLike", "token.actions.githubusercontent.com:sub", ["repo:my-org/my-repo:*"])

eks_sub := td.cond("c3", "StringEquals", "oidc.eks.us-east-1.amazonaws.com/id/abc:sub", ["system:serviceaccount:ns:app"])

# --- another provider's claims ----------------------------------------------------------------

test_github_key_on_an_eks_provider_fires if {
	iamg_112.deny == {{"ref": "c3", "facts": {"statement": "s0", "reason": "other_provider", "key": "token.actions.githubusercontent.com:sub"}}} with input as web([eks("p1")], [gh_sub])
}

test_own_provider_key_is_clean if {
	count(iamg_112.deny) == 0 with input as web([eks("p1")], [eks_sub])
}

test_key_of_one_of_two_providers_is_clean if {
	count(iamg_112.deny) == 0 with input as web([eks("p1"), td.github_oidc("p2", "111122223333")], [gh_sub])
}

test_if_exists_on_another_providers_key_is_clean if {
	weak := td.cond("c3", "StringLikeIfExists", "token.actions.githubusercontent.com:sub", ["repo:my-org/*"])
	count(iamg_112.deny) == 0 with input as web([eks("p1")], [weak])
}

# --- placeholders left in keys ----------------------------------------------------------------

test_unexpanded_placeholder_key_fires if {
	placeholder := td.cond("c3", "StringEquals", "$oidc_provider:sub", ["system:serviceaccount:ns:app"])
	iamg_112.deny == {{"ref": "c3", "facts": {"statement": "s0", "reason": "placeholder_key", "key": "$oidc_provider:sub"}}} with input as web([eks("p1")], [placeholder])
}

test_template_placeholder_key_fires if {
	placeholder := td.cond("c3", "StringEquals", "${OIDC}:aud", ["sts.amazonaws.com"])
	iamg_112.deny == {{"ref": "c3", "facts": {"statement": "s0", "reason": "placeholder_key", "key": "${oidc}:aud"}}} with input as web([eks("p1")], [placeholder])
}

# --- two disjoint values of one single-valued key ---------------------------------------------

foreign := [td.root("p1", "aws", "444455556666")]

test_disjoint_external_ids_fire if {
	doc := td.trust([td.allow("s0", foreign, [
		td.cond("c2", "StringEquals", "sts:ExternalId", ["alpha"]),
		td.cond("c3", "StringEquals", "sts:externalid", ["beta"]),
	])])
	iamg_112.deny == {{"ref": "c3", "facts": {"statement": "s0", "reason": "disjoint_values", "key": "sts:externalid"}}} with input as doc
}

test_overlapping_values_are_clean if {
	doc := td.trust([td.allow("s0", foreign, [
		td.cond("c2", "StringEquals", "sts:ExternalId", ["alpha", "beta"]),
		td.cond("c3", "StringEquals", "sts:externalid", ["beta"]),
	])])
	count(iamg_112.deny) == 0 with input as doc
}

test_disjoint_values_of_a_multivalued_key_are_clean if {
	doc := td.trust([td.allow("s0", foreign, [
		td.cond("c2", "StringEquals", "aws:TagKeys", ["a"]),
		td.cond("c3", "StringEquals", "aws:tagkeys", ["b"]),
	])])
	count(iamg_112.deny) == 0 with input as doc
}

# --- MFA on machines ----------------------------------------------------------------------------

mfa := td.cond("c2", "Bool", "aws:MultiFactorAuthPresent", ["true"])

test_mfa_on_a_service_fires if {
	doc := td.trust([td.allow("s0", [td.service("p1", "lambda.amazonaws.com")], [mfa])])
	iamg_112.deny == {{"ref": "c2", "facts": {"statement": "s0", "reason": "mfa_on_machine", "key": "aws:multifactorauthpresent"}}} with input as doc
}

test_mfa_on_a_web_identity_fires if {
	iamg_112.deny == {{"ref": "c2", "facts": {"statement": "s0", "reason": "mfa_on_machine", "key": "aws:multifactorauthpresent"}}} with input as web([eks("p1")], [mfa, eks_sub])
}

test_mfa_on_an_account_is_clean if {
	count(iamg_112.deny) == 0 with input as td.trust([td.allow("s0", foreign, [mfa])])
}

test_mfa_if_exists_on_a_service_is_clean if {
	weak := td.cond("c2", "BoolIfExists", "aws:MultiFactorAuthPresent", ["true"])
	count(iamg_112.deny) == 0 with input as td.trust([td.allow("s0", [td.service("p1", "lambda.amazonaws.com")], [weak])])
}

test_deny_statements_are_not_judged if {
	doc := td.trust([td.deny_stmt("s0", [td.service("p1", "lambda.amazonaws.com")], [mfa])])
	count(iamg_112.deny) == 0 with input as doc
}
