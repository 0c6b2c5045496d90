# IAMG-001 unresolved-trust (semantics A.4, B.5, top pitfall 3: never a silent pass).
package pyiamguard.rules.iamg_001_test

import rego.v1

import data.pyiamguard.lib.testdata_test as td
import data.pyiamguard.rules.iamg_001

with_unresolved(doc, entries) := object.union(doc, {"unresolved": entries})

# A Terraform trust policy known only after apply: no statements at all.
unknown_trust_policy := with_unresolved(td.trust([]), [{"ref": "u0", "what": "trust_policy", "key": ""}])

test_unknown_trust_policy_fires if {
	iamg_001.deny == {{"ref": "u0", "facts": {"what": "trust_policy"}}} with input as unknown_trust_policy
}

# {"AWS": "arn:aws:iam::${AccountB}:root"}: a template placeholder in a principal.
unknown_principal := with_unresolved(
	td.trust([td.allow("s0", [td.principal("p1", "unresolved", "AWS", "${aws_iam_role.ci.arn}", {})], [])]),
	[{"ref": "u2", "what": "principal", "key": ""}],
)

test_unknown_principal_fires if {
	iamg_001.deny == {{"ref": "u2", "facts": {"what": "principal"}}} with input as unknown_principal
}

# An unknown Effect and an unknown action: one finding each.
unknown_effect_and_action := with_unresolved(td.trust([td.allow("s0", [td.account_id("p1", "444455556666")], [])]), [
	{"ref": "u2", "what": "effect", "key": ""},
	{"ref": "u3", "what": "action", "key": ""},
])

test_unknown_effect_and_action_fire if {
	iamg_001.deny == {
		{"ref": "u2", "facts": {"what": "effect"}},
		{"ref": "u3", "facts": {"what": "action"}},
	} with input as unknown_effect_and_action
}

# --- conditions: only those on a key that decides a rule ------------------------------------

unknown_conditions := with_unresolved(td.trust([]), [
	# {"StringEquals": {"aws:SourceAccount": "${AWS::AccountId}"}} from an unknown import
	{"ref": "u1", "what": "condition", "key": "aws:sourceaccount"},
	# a suffix key: OIDC :sub
	{"ref": "u2", "what": "condition", "key": "token.actions.githubusercontent.com:sub"},
	# a whole condition block (Fn::If): it may restrict anything
	{"ref": "u3", "what": "condition", "key": "?"},
	# a key no rule reads
	{"ref": "u4", "what": "condition", "key": "aws:requestedregion"},
])

test_unknown_deciding_conditions_fire if {
	iamg_001.deny == {
		{"ref": "u1", "facts": {"what": "condition", "key": "aws:sourceaccount"}},
		{"ref": "u2", "facts": {"what": "condition", "key": "token.actions.githubusercontent.com:sub"}},
		{"ref": "u3", "facts": {"what": "condition", "key": "?"}},
	} with input as unknown_conditions
}

unknown_irrelevant_condition := with_unresolved(td.trust([]), [{"ref": "u1", "what": "condition", "key": "aws:requestedregion"}])

test_unknown_condition_on_other_key_is_clean if {
	count(iamg_001.deny) == 0 with input as unknown_irrelevant_condition
}

everything_known := td.trust([td.allow("s0", [td.account_id("p1", "444455556666")], [
	td.cond("c2", "StringEquals", "sts:ExternalId", ["s3cr3t"]),
])])

test_everything_known_is_clean if {
	count(iamg_001.deny) == 0 with input as everything_known
}
