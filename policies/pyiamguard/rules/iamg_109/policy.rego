# METADATA
# title: Invalid principal
# description: |
#   A principal IAM rejects or that does not mean what it seems: a partial wildcard
#   (arn:aws:iam::*:root, role/*), a malformed ARN, an account id that is not 12 digits or a
#   placeholder, the unique id of a deleted role or user (AROA..., AIDA...), a CanonicalUser
#   in a trust policy, or a principal in another partition than the role.
# scope: package
# related_resources:
#   - ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids
#     description: Unique identifiers
# custom:
#   id: IAMG-109
#   name: invalid-principal
#   severity: MEDIUM
#   category: none
#   remediation: |
#     Use a full ARN with a 12-digit account id in the role's partition; re-create the trust
#     for deleted principals; never use wildcards inside an ARN principal.
package pyiamguard.rules.iamg_109

import rego.v1

import data.pyiamguard.lib.result

deny contains result.finding(p.ref, {"statement": stmt.ref, "defect": defect}) if {
	input.kind == "trust"
	some stmt in input.statements
	some p in stmt.principals
	some defect in p.defects
}
