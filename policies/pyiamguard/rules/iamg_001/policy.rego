# METADATA
# title: Trust cannot be determined statically
# description: |
#   A trust policy, a principal, an action, an effect or a condition that decides a guardrail
#   cannot be known before deployment: a Terraform value known only after apply, a
#   CloudFormation parameter without a default, an imported value, a template placeholder.
#   pyiamguard never passes such a role silently; it reports what it could not see, when it
#   decides some rule for that role: an unknown boundary or session length matters only on a
#   role that someone outside can assume (or that holds admin rights), and an ExternalId
#   under StringEquals/StringLike supplied by the deployer restricts whatever its value.
# scope: package
# related_resources:
#   - ref: https://developer.hashicorp.com/terraform/internals/json-format
#     description: Terraform plan JSON, after_unknown
# custom:
#   id: IAMG-001
#   name: unresolved-trust
#   severity: MEDIUM
#   category: indeterminate
#   remediation: |
#     Make the value known statically (a literal, a parameter default, a data source read at
#     plan time), or review the deployed value and waive the finding with a reason.
package pyiamguard.rules.iamg_001

import rego.v1

import data.pyiamguard.lib.permissions
import data.pyiamguard.lib.result
import data.pyiamguard.lib.trust

deny contains result.finding(u.ref, {"what": u.what}) if {
	some u in input.unresolved
	not u.what in {"condition", "resource", "boundary", "max_session"}
}

# An unknown resource of an assume grant decides IAMG-304, which judges identity policies (and
# a role's own policies), not resource policies such as a bucket policy.
deny contains result.finding(u.ref, {"what": u.what}) if {
	input.kind in {"identity", "trust"}
	some u in input.unresolved
	u.what == "resource"
	u.key == "sts:assume"
}

# A boundary caps what the role can do: it decides IAMG-303 (and 301) on a role with admin
# rights, IAMG-302 on an externally assumable role that can escalate, and IAMG-402 when
# require_permissions_boundary is set on an externally assumable role.
deny contains result.finding(u.ref, {"what": u.what}) if {
	some u in input.unresolved
	u.what == "boundary"
	boundary_decides(input)
}

# The session length decides IAMG-401, which is about externally assumable roles only.
deny contains result.finding(u.ref, {"what": u.what}) if {
	some u in input.unresolved
	u.what == "max_session"
	permissions.externally_assumable(input)
}

# A condition decides who may assume the role: in the trust policy itself. Conditions of
# permission policies decide none of the rules.
deny contains result.finding(u.ref, {"what": u.what, "key": u.key}) if {
	input.kind == "trust"
	some u in input.unresolved
	u.what == "condition"
	u.part == "document"
	decides(u)
}

decides(u) if u.key == "?"

decides(u) if {
	trust.restricting_key(u.key)
	not supplied_secret(u)
}

# An ExternalId from a parameter or variable under a positive string operator is a
# restricting ExternalId: its secrecy comes from the deployer (rules spec, Amendments).
supplied_secret(u) if {
	u.key == "sts:externalid"
	u.positive_string
}

boundary_decides(doc) if {
	trust.config.require_permissions_boundary
	permissions.externally_assumable(doc)
}

boundary_decides(doc) if {
	some policy in doc.role.policies
	permissions.admin_policy(policy)
}

boundary_decides(doc) if {
	permissions.externally_assumable(doc)
	some policy in doc.role.policies
	some st in policy.statements
	count(permissions.escalation_patterns(st)) > 0
}
