# IAMG-107 broad-trust-action (semantics C.3, D.52-D.53).
package pyiamguard.rules.iamg_107_test

import rego.v1

import data.pyiamguard.lib.testdata_test as td
import data.pyiamguard.rules.iamg_107

allow_with(patterns) := td.trust([td.allow_actions("s0", [td.root("p1", "aws", "444455556666")], patterns, [])])

wildcard := {{"ref": "e02", "facts": {"statement": "s0", "form": "wildcard"}}}

# The finding points at the Action element ("e02": see the testdata ref conventions).
star := allow_with(["*"])

sts_star := allow_with(["sts:*"])

# Any case, and hidden in a list.
sts_star_upper_in_list := allow_with(["sts:TagSession", "STS:*"])

# NotAction with Allow grants every action not listed (D.53).
not_action := td.trust([td.allow_not_actions("s0", [td.root("p1", "aws", "444455556666")], ["sts:AssumeRoleWithSAML"], [])])

test_star_fires if {
	iamg_107.deny == wildcard with input as star
}

test_sts_star_fires if {
	iamg_107.deny == wildcard with input as sts_star
}

test_sts_star_in_any_case_in_a_list_fires if {
	iamg_107.deny == wildcard with input as sts_star_upper_in_list
}

test_not_action_fires if {
	iamg_107.deny == {{"ref": "e02", "facts": {"statement": "s0", "form": "not_action"}}} with input as not_action
}

# Exact actions, and narrower wildcards (sts:Assume*) are not "broad".
exact := allow_with(["sts:AssumeRole", "sts:TagSession"])

assume_wildcard := allow_with(["sts:Assume*"])

deny_star := td.trust([td.statement("s0", "Deny", [td.star("p1")], "Action", ["*"], [])])

# The same statement in a resource policy is out of scope.
resource_policy := object.union(star, {"kind": "resource"})

test_exact_actions_are_clean if {
	count(iamg_107.deny) == 0 with input as exact
}

test_assume_wildcard_is_clean if {
	count(iamg_107.deny) == 0 with input as assume_wildcard
}

test_deny_statement_is_clean if {
	count(iamg_107.deny) == 0 with input as deny_star
}

test_resource_policy_is_clean if {
	count(iamg_107.deny) == 0 with input as resource_policy
}
