# IAMG-002 invalid-policy (semantics C.1, A.8, B.1, D.55).
package pyiamguard.rules.iamg_002_test

import rego.v1

import data.pyiamguard.lib.testdata_test as td
import data.pyiamguard.rules.iamg_002

with_problems(doc, problems) := object.union(doc, {"problems": problems})

# A statement without Effect (the normalizer marks it "invalid") and a misspelt Version.
missing_effect := with_problems(
	td.trust([td.statement("s1", "invalid", [td.service("p2", "sns.amazonaws.com")], "Action", ["sts:AssumeRole"], [])]),
	[{"ref": "x0", "code": "unknown_version"}, {"ref": "x3", "code": "missing_effect"}],
)

test_every_problem_fires if {
	iamg_002.deny == {
		{"ref": "x0", "facts": {"code": "unknown_version"}},
		{"ref": "x3", "facts": {"code": "missing_effect"}},
	} with input as missing_effect
}

# The loader's findings: a duplicate key hid a condition; an unquoted YAML account id
# with a leading zero was read as an octal number.
loader_problems := with_problems(td.trust([td.allow("s0", [td.account_id("p1", "444455556666")], [])]), [
	{"ref": "x2", "code": "duplicate_key"},
	{"ref": "x3", "code": "octal_number"},
])

test_loader_problems_fire if {
	iamg_002.deny == {
		{"ref": "x2", "facts": {"code": "duplicate_key"}},
		{"ref": "x3", "facts": {"code": "octal_number"}},
	} with input as loader_problems
}

# Deny + NotPrincipal in a trust policy (D.55).
not_principal_in_trust := with_problems(
	td.trust([td.with_not_principal(td.deny_stmt("s0", [td.role("p2", "444455556666", "ci")], []))]),
	[{"ref": "x3", "code": "not_principal_in_trust"}],
)

test_not_principal_in_trust_fires if {
	iamg_002.deny == {{"ref": "x3", "facts": {"code": "not_principal_in_trust"}}} with input as not_principal_in_trust
}

valid := td.trust([td.allow("s0", [td.account_id("p1", "444455556666")], [])])

test_valid_policy_is_clean if {
	count(iamg_002.deny) == 0 with input as valid
}
