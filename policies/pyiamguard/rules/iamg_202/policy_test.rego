package pyiamguard.rules.iamg_202_test

import rego.v1

import data.pyiamguard.lib.testdata_test as td
import data.pyiamguard.rules.iamg_202

web(principals, conditions) := td.trust([td.allow_actions("s0", principals, ["sts:AssumeRoleWithWebIdentity"], conditions)])

gh := td.github_oidc("p1", "111122223333")

tfc := td.principal("p1", "oidc", "Federated", "arn:aws:iam::111122223333:oidc-provider/app.terraform.io", {
	"account": "111122223333", "partition": "aws", "provider": "terraform_cloud", "issuer": "app.terraform.io",
})

sub(values) := td.cond("c3", "StringLike", "token.actions.githubusercontent.com:sub", values)

broad := {{"ref": "c3", "facts": {"statement": "s0", "reason": "broad"}}}

# A value made only of wildcards restricts nothing at all: IAMG-201 (critical) reports it.
test_star_alone_is_a_missing_subject_not_a_broad_one if {
	count(iamg_202.deny) == 0 with input as web([gh], [sub(["*"])])
}

test_any_repository_fires if {
	iamg_202.deny == broad with input as web([gh], [sub(["repo:*"])])
}

test_any_owner_fires if {
	iamg_202.deny == broad with input as web([gh], [sub(["repo:*/*"])])
}

# repo:org* lacks the slash and also matches org-evil/... (D.66).
test_org_prefix_without_slash_fires if {
	iamg_202.deny == broad with input as web([gh], [sub(["repo:my-org*"])])
}

# Values are ORed: one broad value among narrow ones admits everyone.
test_one_broad_value_among_many_fires if {
	iamg_202.deny == broad with input as web([gh], [sub(["repo:my-org/app:*", "repo:*"])])
}

test_one_organization_is_clean if {
	count(iamg_202.deny) == 0 with input as web([gh], [sub(["repo:my-org/*", "repo:my-org/app:ref:refs/heads/main"])])
}

# StringEquals compares literally: "repo:*" matches only itself (IAMG-108 says so).
test_string_equals_star_is_not_broad if {
	literal := td.cond("c3", "StringEquals", "token.actions.githubusercontent.com:sub", ["repo:*"])
	count(iamg_202.deny) == 0 with input as web([gh], [literal])
}

test_terraform_cloud_any_organization_fires if {
	any_org := td.cond("c3", "StringLike", "app.terraform.io:sub", ["organization:*"])
	iamg_202.deny == broad with input as web([tfc], [any_org])
}

test_terraform_cloud_one_organization_is_clean if {
	one := td.cond("c3", "StringLike", "app.terraform.io:sub", ["organization:acme:project:*:workspace:*:run_phase:*"])
	count(iamg_202.deny) == 0 with input as web([tfc], [one])
}

approved := td.config({"approved_oidc_subjects": ["repo:my-org/app:ref:refs/heads/main", "repo:my-org/infra:*"]})

test_approved_subjects_accept_listed_and_narrower_values if {
	values := ["repo:my-org/app:ref:refs/heads/main", "repo:my-org/infra:*", "repo:my-org/infra:environment:prod"]
	count(iamg_202.deny) == 0 with input as web([gh], [sub(values)]) with data.pyiamguard.config as approved
}

test_approved_subjects_reject_others if {
	iamg_202.deny == {{"ref": "c3", "facts": {"statement": "s0", "reason": "not_approved"}}} with input as web([gh], [sub(["repo:my-org/other:*"])])
		with data.pyiamguard.config as approved
}

# IAM's `*` crosses dots: a repository or environment name with a dot is still approved.
test_approved_subject_pattern_crosses_dots if {
	values := ["repo:my-org/infra:environment:prod.eu", "repo:my-org/app:ref:refs/heads/main"]
	count(iamg_202.deny) == 0 with input as web([gh], [sub(values)]) with data.pyiamguard.config as approved
}

# Brace and bracket syntax in an approved pattern is literal to IAM: it approves no alternative.
test_approved_subject_braces_are_literal if {
	braces := td.config({"approved_oidc_subjects": ["repo:my-org/{app,infra}:*"]})
	iamg_202.deny == {{"ref": "c3", "facts": {"statement": "s0", "reason": "not_approved"}}} with input as web([gh], [sub(["repo:my-org/app:ref:refs/heads/main"])])
		with data.pyiamguard.config as braces
}

# A pattern value is approved when an approved `prefix*` covers all it admits, and not otherwise.
test_approved_prefix_covers_narrower_patterns if {
	values := ["repo:my-org/infra:environment:*", "repo:my-org/infra:ref:refs/heads/release-?"]
	count(iamg_202.deny) == 0 with input as web([gh], [sub(values)]) with data.pyiamguard.config as approved
}

test_approved_prefix_does_not_cover_a_wider_pattern if {
	iamg_202.deny == {{"ref": "c3", "facts": {"statement": "s0", "reason": "not_approved"}}} with input as web([gh], [sub(["repo:my-org/infra*"])])
		with data.pyiamguard.config as approved
}
