# METADATA
# title: Trust cannot be determined statically
# description: |
#   A trust policy, a principal, an action, an effect or a condition that decides a guardrail
#   cannot be known before deployment: a Terraform value known only after apply, a
#   CloudFormation parameter without a default, an imported value, a template placeholder.
#   pyiamguard never passes such a role silently; it reports what it could not see.
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

import data.pyiamguard.lib.result
import data.pyiamguard.lib.trust

deny contains result.finding(u.ref, {"what": u.what}) if {
	some u in input.unresolved
	not u.what in {"condition", "resource"}
}

# An unknown resource decides a rule only in a statement that grants an assume action.
deny contains result.finding(u.ref, {"what": u.what}) if {
	some u in input.unresolved
	u.what == "resource"
	u.key == "sts:assume"
}

# An unknown condition matters only when it sits on a key that decides a rule.
deny contains result.finding(u.ref, {"what": u.what, "key": u.key}) if {
	some u in input.unresolved
	u.what == "condition"
	decides(u.key)
}

decides("?")

decides(key) if trust.restricting_key(key)
