# METADATA
# title: Third party that is not an approved vendor, or trusted without its safeguards
# description: |
#   A role trusts a principal of an AWS account outside your accounts. Only the vendor accounts
#   of data.pyiamguard.custom.approved_vendor_accounts may be trusted, each only with an
#   sts:ExternalId condition and with sessions of at most max_vendor_session_seconds
#   (default 3600).
# custom:
#   id: ACME-001
#   severity: HIGH
#   category: vendor_access
#   remediation: >-
#     Trust only accounts on the approved vendor list (ask the platform team to add one), require
#     the ExternalId the vendor gave you, and keep MaxSessionDuration at one hour.
#   message: "Account {account} ({principal}) {problem}"
package acme.vendor_trust

import rego.v1

import data.pyiamguard.lib.result
import data.pyiamguard.lib.trust

deny contains found if some found in violations(input, data.pyiamguard.custom)

violations(doc, custom) := {result.finding(ref, {"principal": p.ref, "account": p.account, "problem": problem}) |
	some p in third_party(doc)
	some [ref, problem] in problems(doc, custom, p)
}

problems(_, custom, p) := {[p.ref, "is not an approved vendor account"]} if {
	not p.account in object.get(custom, "approved_vendor_accounts", [])
}

problems(doc, custom, p) := missing_external_id(doc, p) | long_sessions(doc, custom) if {
	p.account in object.get(custom, "approved_vendor_accounts", [])
}

missing_external_id(doc, p) := {[p.ref, "may assume the role without sts:ExternalId"] |
	some stmt in doc.statements
	stmt.ref == p.statement
	not trust.restricted(doc.statements, stmt, p, "sts:externalid")
}

long_sessions(doc, custom) := {[doc.role.max_session.ref, "may keep sessions longer than max_vendor_session_seconds"] |
	doc.role.max_session.seconds > object.get(custom, "max_vendor_session_seconds", 3600)
}

# The principals of other AWS accounts, not yours, that an Allow statement lets in (with the
# statement's ref beside them): third parties.
third_party(doc) := {object.union(p, {"statement": stmt.ref}) |
	doc.kind == "trust"
	some stmt in doc.statements
	trust.allows_assume(stmt)
	some p in trust.effective_principals(doc.statements, stmt)
	trust.cross_account(doc, p)
	not trust.yours(doc, p)
}
