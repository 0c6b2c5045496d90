# METADATA
# title: Externally assumable role without its required tags
# description: |
#   A role that principals outside your accounts can assume lacks one of the tags of
#   data.pyiamguard.custom.required_tags (default Owner), or has it empty, or its tags cannot
#   be known before deploy: nobody is on record to answer for the access it grants.
# custom:
#   id: ACME-003
#   severity: MEDIUM
#   category: governance
#   remediation: Tag the role with the team that owns the third-party access (Owner = team name).
#   message: "Role {resource} can be assumed from outside your accounts and its {tag} tag {problem}"
package acme.owner_tag

import rego.v1

import data.pyiamguard.lib.permissions
import data.pyiamguard.lib.result

deny contains found if some found in violations(input, data.pyiamguard.custom)

violations(doc, custom) := {result.finding(doc.role.ref, {"tag": tag, "problem": problem}) |
	doc.kind == "trust"
	doc.role.ref
	permissions.externally_assumable(doc)
	some tag in object.get(custom, "required_tags", ["Owner"])
	problem := tag_problem(doc.resource, tag)
}

tag_problem(resource, _) := "cannot be known before deploy" if "tags" in resource.unresolved

tag_problem(resource, tag) := "cannot be known before deploy" if concat(".", ["tags", tag]) in resource.unresolved

tag_problem(resource, tag) := "is missing" if {
	count({field | some field in resource.unresolved; startswith(field, "tags")}) == 0
	object.get(resource.tags, tag, null) == null
}

tag_problem(resource, tag) := "is empty" if {
	count({field | some field in resource.unresolved; startswith(field, "tags")}) == 0
	resource.tags[tag] == ""
}
