package pyiamguard.rules.iamg_203_test

import rego.v1

import data.pyiamguard.lib.testdata_test as td
import data.pyiamguard.rules.iamg_203

web(principals, conditions) := td.trust([td.allow_actions("s0", principals, ["sts:AssumeRoleWithWebIdentity"], conditions)])

gh := td.github_oidc("p1", "111122223333")

gh_sub := td.cond("c3", "StringLike", "token.actions.githubusercontent.com:sub", ["repo:my-org/app:*"])

gh_aud := td.cond("c4", "StringEquals", "token.actions.githubusercontent.com:aud", ["sts.amazonaws.com"])

okta := td.saml("p1", "111122223333", "Okta")

saml_trust(conditions) := td.trust([td.allow_actions("s0", [okta], ["sts:AssumeRoleWithSAML"], conditions)])

test_github_without_audience_fires if {
	iamg_203.deny == {{"ref": "p1", "facts": {"statement": "s0", "key": "token.actions.githubusercontent.com:aud"}}} with input as web([gh], [gh_sub])
}

test_github_with_audience_is_clean if {
	count(iamg_203.deny) == 0 with input as web([gh], [gh_sub, gh_aud])
}

test_saml_without_audience_fires if {
	iamg_203.deny == {{"ref": "p1", "facts": {"statement": "s0", "key": "saml:aud"}}} with input as saml_trust([])
}

test_saml_with_audience_is_clean if {
	aud := td.cond("c3", "StringEquals", "SAML:aud", ["https://signin.aws.amazon.com/saml"])
	count(iamg_203.deny) == 0 with input as saml_trust([aud])
}

# An IfExists audience is absent-tolerant: it restricts nothing.
test_if_exists_audience_fires if {
	weak := td.cond("c4", "StringEqualsIfExists", "token.actions.githubusercontent.com:aud", ["sts.amazonaws.com"])
	iamg_203.deny == {{"ref": "p1", "facts": {"statement": "s0", "key": "token.actions.githubusercontent.com:aud"}}} with input as web([gh], [gh_sub, weak])
}

# Cognito's audience is its subject: IAMG-201 reports a missing one.
test_cognito_is_left_to_iamg_201 if {
	cognito := td.principal("p1", "oidc", "Federated", "cognito-identity.amazonaws.com", {
		"provider": "cognito", "issuer": "cognito-identity.amazonaws.com",
	})
	count(iamg_203.deny) == 0 with input as web([cognito], [])
}
