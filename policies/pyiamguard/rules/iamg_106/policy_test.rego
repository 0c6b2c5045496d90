# IAMG-106 not-principal-allow (semantics C.5.10, D.55).
package pyiamguard.rules.iamg_106_test

import rego.v1

import data.pyiamguard.lib.testdata_test as td
import data.pyiamguard.rules.iamg_106

# Allow + NotPrincipal: everyone except the role named, a wildcard in disguise.
allow_not_principal := td.trust([td.with_not_principal(td.allow("s0", [td.role("p1", "444455556666", "ci")], []))])

# The finding points at the NotPrincipal element ("e01": see the testdata ref conventions).
test_allow_not_principal_fires if {
	iamg_106.deny == {{"ref": "e01", "facts": {"statement": "s0"}}} with input as allow_not_principal
}

# Only the Allow statement, in a policy with a clean one before it.
second_statement := td.trust([
	td.allow("s0", [td.service("p1", "ec2.amazonaws.com")], []),
	td.with_not_principal(td.allow("s1", [td.root("p2", "aws", "444455556666")], [])),
])

test_second_statement_fires if {
	iamg_106.deny == {{"ref": "e11", "facts": {"statement": "s1"}}} with input as second_statement
}

# Deny + NotPrincipal in a trust policy: invalid (IAMG-002 not_principal_in_trust), not this rule.
deny_not_principal := td.trust([
	td.allow("s0", [td.role("p1", "444455556666", "ci")], []),
	td.with_not_principal(td.deny_stmt("s1", [td.role("p2", "444455556666", "ci")], [])),
])

# The same statement in a resource policy (S3 bucket, KMS key) is out of scope.
resource_policy := object.union(allow_not_principal, {"kind": "resource"})

principal_element := td.trust([td.allow("s0", [td.role("p1", "444455556666", "ci")], [])])

test_deny_not_principal_is_clean if {
	count(iamg_106.deny) == 0 with input as deny_not_principal
}

test_resource_policy_is_clean if {
	count(iamg_106.deny) == 0 with input as resource_policy
}

test_principal_element_is_clean if {
	count(iamg_106.deny) == 0 with input as principal_element
}
