package pyiamguard.rules.iamg_201_test

import rego.v1

import data.pyiamguard.lib.testdata_test as td
import data.pyiamguard.rules.iamg_201

gh_aud := td.cond("c3", "StringEquals", "token.actions.githubusercontent.com:aud", ["sts.amazonaws.com"])

gh_sub := td.cond("c4", "StringLike", "token.actions.githubusercontent.com:sub", ["repo:my-org/my-repo:*"])

web(principals, conditions) := td.trust([td.allow_actions("s0", principals, ["sts:AssumeRoleWithWebIdentity"], conditions)])

eks(ref) := td.principal(ref, "oidc", "Federated", "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC", {
	"account": "111122223333", "partition": "aws", "provider": "eks", "issuer": "oidc.eks.us-east-1.amazonaws.com/id/abc",
})

cognito(ref) := td.principal(ref, "oidc", "Federated", "cognito-identity.amazonaws.com", {
	"provider": "cognito", "issuer": "cognito-identity.amazonaws.com",
})

amazon(ref) := td.principal(ref, "oidc", "Federated", "www.amazon.com", {"provider": "amazon", "issuer": "www.amazon.com"})

finding(ref, key) := {{"ref": ref, "facts": {"statement": "s0", "key": key}}}

# GitHub with the audience only: any repository of any organization gets in (D.65).
test_github_audience_only_fires if {
	iamg_201.deny == {{"ref": "p1", "facts": {"statement": "s0", "key": "token.actions.githubusercontent.com:sub"}}} with input as web([td.github_oidc("p1", "111122223333")], [gh_aud])
}

test_github_with_subject_is_clean if {
	count(iamg_201.deny) == 0 with input as web([td.github_oidc("p1", "111122223333")], [gh_aud, gh_sub])
}

# ForAllValues on sub is weak (IAMG-108) but GitHub always sends sub: not "all repositories" (D.67).
test_github_for_all_values_subject_is_left_to_iamg_108 if {
	weak := td.cond("c4", "ForAllValues:StringLike", "token.actions.githubusercontent.com:sub", ["repo:my-org/my-repo:*"])
	count(iamg_201.deny) == 0 with input as web([td.github_oidc("p1", "111122223333")], [gh_aud, weak])
}

# A negated operator restricts nothing (D.66).
test_github_negated_subject_fires if {
	negated := td.cond("c4", "StringNotLike", "token.actions.githubusercontent.com:sub", ["repo:evil/*"])
	iamg_201.deny == finding("p1", "token.actions.githubusercontent.com:sub") with input as web([td.github_oidc("p1", "111122223333")], [negated])
}

# EKS IRSA with aud only: any service account of the cluster (D.70).
test_eks_audience_only_fires if {
	aud := td.cond("c3", "StringEquals", "oidc.eks.us-east-1.amazonaws.com/id/abc:aud", ["sts.amazonaws.com"])
	iamg_201.deny == finding("p1", "oidc.eks.us-east-1.amazonaws.com/id/abc:sub") with input as web([eks("p1")], [aud])
}

# Cognito's restriction is the identity pool in aud (D.71).
test_cognito_with_pool_is_clean if {
	aud := td.cond("c3", "StringEquals", "cognito-identity.amazonaws.com:aud", ["us-east-1:1234"])
	count(iamg_201.deny) == 0 with input as web([cognito("p1")], [aud])
}

test_cognito_without_pool_fires if {
	iamg_201.deny == finding("p1", "cognito-identity.amazonaws.com:aud") with input as web([cognito("p1")], [])
}

# Login with Amazon: app_id names the application, user_id the user.
test_amazon_app_id_only_fires if {
	app := td.cond("c3", "StringEquals", "www.amazon.com:app_id", ["amzn1.application-oa2-123"])
	iamg_201.deny == finding("p1", "www.amazon.com:user_id") with input as web([amazon("p1")], [app])
}

# A Deny with a negated subject condition is the restriction (C.6).
test_deny_outside_the_repository_is_clean if {
	doc := td.trust([
		td.allow_actions("s0", [td.github_oidc("p1", "111122223333")], ["sts:AssumeRoleWithWebIdentity"], [gh_aud]),
		td.statement("s1", "Deny", [td.star("p2")], "Action", ["sts:AssumeRoleWithWebIdentity"], [
			td.cond("c5", "StringNotLike", "token.actions.githubusercontent.com:sub", ["repo:my-org/my-repo:*"]),
		]),
	])
	count(iamg_201.deny) == 0 with input as doc
}

# Conditions on another provider's claims never match these tokens: nobody gets in.
test_claims_of_another_provider_are_not_a_missing_subject if {
	other := td.cond("c3", "StringEquals", "accounts.google.com:sub", ["1234"])
	count(iamg_201.deny) == 0 with input as web([cognito("p1")], [other])
}

# sts:AssumeRole does not serve OIDC (IAMG-111's concern).
test_assume_role_action_is_not_a_web_identity_trust if {
	doc := td.trust([td.allow("s0", [td.github_oidc("p1", "111122223333")], [gh_aud])])
	count(iamg_201.deny) == 0 with input as doc
}
