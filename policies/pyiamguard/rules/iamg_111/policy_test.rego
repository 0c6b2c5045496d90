# IAMG-111 action-principal-mismatch (semantics C.3).
package pyiamguard.rules.iamg_111_test

import rego.v1

import data.pyiamguard.lib.testdata_test as td
import data.pyiamguard.rules.iamg_111

mismatch(action, kind) := {{"ref": "p1", "facts": {"statement": "s0", "action": action, "kind": kind}}}

granting(principal, patterns) := td.trust([td.allow_actions("s0", [principal], patterns, [])])

# Only sts:AssumeRole to a federated provider.
oidc_assume_role := granting(td.github_oidc("p1", "111122223333"), ["sts:AssumeRole"])

saml_assume_role := granting(td.saml("p1", "111122223333", "Okta"), ["sts:AssumeRole", "sts:TagSession"])

# Only sts:AssumeRoleWithWebIdentity to a principal that is not an OIDC provider.
saml_web_identity := granting(td.saml("p1", "111122223333", "Okta"), ["sts:AssumeRoleWithWebIdentity"])

service_web_identity := granting(td.service("p1", "ec2.amazonaws.com"), ["sts:AssumeRoleWithWebIdentity"])

# Only sts:AssumeRoleWithSAML to a principal that is not a SAML provider.
aws_saml := granting(td.role("p1", "444455556666", "ci"), ["sts:AssumeRoleWithSAML"])

oidc_saml := granting(td.github_oidc("p1", "111122223333"), ["sts:AssumeRoleWithSAML"])

test_oidc_with_assume_role_fires if {
	iamg_111.deny == mismatch("sts:AssumeRole", "oidc") with input as oidc_assume_role
}

test_saml_with_assume_role_fires if {
	iamg_111.deny == mismatch("sts:AssumeRole", "saml") with input as saml_assume_role
}

test_saml_with_web_identity_fires if {
	iamg_111.deny == mismatch("sts:AssumeRoleWithWebIdentity", "saml") with input as saml_web_identity
}

test_service_with_web_identity_fires if {
	iamg_111.deny == mismatch("sts:AssumeRoleWithWebIdentity", "service") with input as service_web_identity
}

test_aws_with_saml_fires if {
	iamg_111.deny == mismatch("sts:AssumeRoleWithSAML", "aws") with input as aws_saml
}

test_oidc_with_saml_fires if {
	iamg_111.deny == mismatch("sts:AssumeRoleWithSAML", "oidc") with input as oidc_saml
}

# Only the principals that do not fit, in a statement that names several.
mixed := td.trust([td.allow_actions("s0", [
	td.github_oidc("p1", "111122223333"),
	td.role("p2", "444455556666", "ci"),
], ["sts:AssumeRoleWithWebIdentity"], [])])

test_only_the_principal_that_does_not_fit_fires if {
	iamg_111.deny == {{"ref": "p2", "facts": {"statement": "s0", "action": "sts:AssumeRoleWithWebIdentity", "kind": "aws"}}} with input as mixed
}

# --- clean -----------------------------------------------------------------------------------

fitting := td.trust([
	td.allow_actions("s0", [td.github_oidc("p1", "111122223333")], ["sts:AssumeRoleWithWebIdentity"], []),
	td.allow_actions("s1", [td.saml("p2", "111122223333", "Okta")], ["sts:AssumeRoleWithSAML", "sts:TagSession"], []),
	td.allow("s2", [td.role("p3", "444455556666", "ci"), td.service("p4", "ecs-tasks.amazonaws.com")], []),
])

# Several assume actions, sts:*, NotAction: no single action to compare with.
several_actions := granting(td.github_oidc("p1", "111122223333"), ["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity"])

sts_star := granting(td.saml("p1", "111122223333", "Okta"), ["sts:*"])

not_action := td.trust([td.allow_not_actions("s0", [td.github_oidc("p1", "111122223333")], ["sts:AssumeRoleWithSAML"], [])])

# Wildcards are IAMG-101's; a Deny grants nothing.
wildcard := granting(td.star("p1"), ["sts:AssumeRoleWithWebIdentity"])

in_deny := td.trust([td.statement("s0", "Deny", [td.github_oidc("p1", "111122223333")], "Action", ["sts:AssumeRole"], [])])

test_fitting_actions_are_clean if {
	count(iamg_111.deny) == 0 with input as fitting
}

test_several_assume_actions_are_clean if {
	count(iamg_111.deny) == 0 with input as several_actions
}

test_sts_star_is_clean if {
	count(iamg_111.deny) == 0 with input as sts_star
}

test_not_action_is_clean if {
	count(iamg_111.deny) == 0 with input as not_action
}

test_wildcard_is_clean if {
	count(iamg_111.deny) == 0 with input as wildcard
}

test_deny_statement_is_clean if {
	count(iamg_111.deny) == 0 with input as in_deny
}

# The same statement in a resource policy (an S3 bucket or KMS key policy): not a trust policy.
resource_policy := object.union(oidc_assume_role, {"kind": "resource"})

test_resource_policy_is_clean if {
	count(iamg_111.deny) == 0 with input as resource_policy
}
