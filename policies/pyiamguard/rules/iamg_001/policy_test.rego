# IAMG-001 unresolved-trust (semantics A.4, B.5, top pitfall 3: never a silent pass).
package pyiamguard.rules.iamg_001_test

import rego.v1

import data.pyiamguard.lib.testdata_test as td
import data.pyiamguard.rules.iamg_001

with_unresolved(doc, entries) := object.union(doc, {"unresolved": entries})

# A Terraform trust policy known only after apply: no statements at all.
unknown_trust_policy := with_unresolved(td.trust([]), [{"ref": "u0", "what": "trust_policy", "key": "", "positive_string": false, "part": "document"}])

test_unknown_trust_policy_fires if {
	iamg_001.deny == {{"ref": "u0", "facts": {"what": "trust_policy"}}} with input as unknown_trust_policy
}

# {"AWS": "arn:aws:iam::${AccountB}:root"}: a template placeholder in a principal.
unknown_principal := with_unresolved(
	td.trust([td.allow("s0", [td.principal("p1", "unresolved", "AWS", "${aws_iam_role.ci.arn}", {})], [])]),
	[{"ref": "u2", "what": "principal", "key": "", "positive_string": false, "part": "document"}],
)

test_unknown_principal_fires if {
	iamg_001.deny == {{"ref": "u2", "facts": {"what": "principal"}}} with input as unknown_principal
}

# An unknown Effect and an unknown action: one finding each.
unknown_effect_and_action := with_unresolved(td.trust([td.allow("s0", [td.account_id("p1", "444455556666")], [])]), [
	{"ref": "u2", "what": "effect", "key": "", "positive_string": false, "part": "document"},
	{"ref": "u3", "what": "action", "key": "", "positive_string": false, "part": "document"},
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
	{"ref": "u1", "what": "condition", "key": "aws:sourceaccount", "positive_string": false, "part": "document"},
	# a suffix key: OIDC :sub
	{"ref": "u2", "what": "condition", "key": "token.actions.githubusercontent.com:sub", "positive_string": false, "part": "document"},
	# a whole condition block (Fn::If): it may restrict anything
	{"ref": "u3", "what": "condition", "key": "?", "positive_string": false, "part": "document"},
	# a key no rule reads
	{"ref": "u4", "what": "condition", "key": "aws:requestedregion", "positive_string": false, "part": "document"},
])

test_unknown_deciding_conditions_fire if {
	iamg_001.deny == {
		{"ref": "u1", "facts": {"what": "condition", "key": "aws:sourceaccount"}},
		{"ref": "u2", "facts": {"what": "condition", "key": "token.actions.githubusercontent.com:sub"}},
		{"ref": "u3", "facts": {"what": "condition", "key": "?"}},
	} with input as unknown_conditions
}

unknown_irrelevant_condition := with_unresolved(td.trust([]), [{"ref": "u1", "what": "condition", "key": "aws:requestedregion", "positive_string": false, "part": "document"}])

test_unknown_condition_on_other_key_is_clean if {
	count(iamg_001.deny) == 0 with input as unknown_irrelevant_condition
}

everything_known := td.trust([td.allow("s0", [td.account_id("p1", "444455556666")], [
	td.cond("c2", "StringEquals", "sts:ExternalId", ["s3cr3t"]),
])])

test_everything_known_is_clean if {
	count(iamg_001.deny) == 0 with input as everything_known
}

# --- Amendments: IAMG-001 only where the unknown decides a rule ---------------------------

# `StringEquals sts:ExternalId: !Ref ExternalId` (no default): the deployer supplies the secret.
supplied_external_id := with_unresolved(td.trust([]), [
	{"ref": "u1", "what": "condition", "key": "sts:externalid", "positive_string": true, "part": "document"},
])

test_external_id_from_a_parameter_is_clean if {
	count(iamg_001.deny) == 0 with input as supplied_external_id
}

# Under StringEqualsIfExists (or a negated operator) its value decides whether it restricts.
weak_unknown_external_id := with_unresolved(td.trust([]), [
	{"ref": "u1", "what": "condition", "key": "sts:externalid", "positive_string": false, "part": "document"},
])

test_external_id_under_a_weak_operator_fires if {
	iamg_001.deny == {{"ref": "u1", "facts": {"what": "condition", "key": "sts:externalid"}}} with input as weak_unknown_external_id
}

# Unknown values that decide who is trusted still fire, whatever the operator.
unknown_principal_arn := with_unresolved(td.trust([]), [
	{"ref": "u1", "what": "condition", "key": "aws:principalarn", "positive_string": true, "part": "document"},
])

test_unknown_principal_arn_fires if {
	iamg_001.deny == {{"ref": "u1", "facts": {"what": "condition", "key": "aws:principalarn"}}} with input as unknown_principal_arn
}

service_trust := td.trust([td.allow("s0", [td.service("p1", "lambda.amazonaws.com")], [])])

external_trust := td.trust([td.allow("s0", [td.root("p1", "aws", "444455556666")], [])])

unknown_boundary_role := td.with_boundary(
	td.role_section([td.inline_policy("q3", "inline", [td.allow_on("s4", ["s3:GetObject"], ["*"])])]),
	td.unresolved_policy("q2", "boundary"),
)

admin_role_unknown_boundary := td.with_boundary(
	td.role_section([td.managed("q3", "managed", "arn:aws:iam::aws:policy/AdministratorAccess")]),
	td.unresolved_policy("q2", "boundary"),
)

test_unknown_boundary_of_a_service_role_is_clean if {
	count(iamg_001.deny) == 0 with input as td.with_role(service_trust, unknown_boundary_role)
}

# An external role without admin or escalation rights: the boundary decides only IAMG-402.
test_unknown_boundary_of_an_external_role_without_rights_to_cap_is_clean if {
	count(iamg_001.deny) == 0 with input as td.with_role(external_trust, unknown_boundary_role)
}

test_unknown_boundary_of_an_external_role_fires_when_boundaries_are_required if {
	iamg_001.deny == {{"ref": "u2", "facts": {"what": "boundary"}}} with input as td.with_role(external_trust, unknown_boundary_role)
		with data.pyiamguard.config as td.config({"require_permissions_boundary": true})
}

escalating_role_unknown_boundary := td.with_boundary(
	td.role_section([td.inline_policy("q3", "inline", [td.allow_on("s4", ["iam:PassRole"], ["*"])])]),
	td.unresolved_policy("q2", "boundary"),
)

test_unknown_boundary_of_an_external_role_that_can_escalate_fires if {
	iamg_001.deny == {{"ref": "u2", "facts": {"what": "boundary"}}} with input as td.with_role(external_trust, escalating_role_unknown_boundary)
}

# A bucket policy's unknown resource decides no rule (IAMG-304 judges identity policies).
test_unknown_resource_of_a_resource_policy_is_clean if {
	doc := object.union(td.trust([]), {"kind": "resource", "unresolved": [
		{"ref": "u1", "what": "resource", "key": "sts:assume", "positive_string": false, "part": "document"},
	]})
	count(iamg_001.deny) == 0 with input as doc
}

test_unknown_boundary_of_an_admin_role_fires if {
	iamg_001.deny == {{"ref": "u2", "facts": {"what": "boundary"}}} with input as td.with_role(service_trust, admin_role_unknown_boundary)
}

unknown_session := td.with_max_session(td.role_section([]), "unresolved", 0)

test_unknown_session_of_a_service_role_is_clean if {
	count(iamg_001.deny) == 0 with input as td.with_role(service_trust, unknown_session)
}

test_unknown_session_of_an_external_role_fires if {
	iamg_001.deny == {{"ref": "u8", "facts": {"what": "max_session"}}} with input as td.with_role(external_trust, unknown_session)
}
