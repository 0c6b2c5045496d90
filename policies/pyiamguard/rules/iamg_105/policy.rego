# METADATA
# title: Whole account trusted
# description: |
#   An AWS principal is a whole account (":root" or a bare account id), and no restricting
#   aws:PrincipalArn condition narrows it to named roles or users. Every identity that the
#   account's administrators allow to call sts:AssumeRole can then assume the role. LOW for
#   the role's own account, MEDIUM for another.
# scope: package
# related_resources:
#   - ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-accounts
#     description: AWS account principals
# custom:
#   id: IAMG-105
#   name: account-root-principal
#   severity: MEDIUM
#   category: root_principal
#   remediation: |
#     Name the roles or users that need access (arn:aws:iam::<account>:role/<name>), or add
#     ArnEquals/ArnLike on aws:PrincipalArn with those ARNs.
package pyiamguard.rules.iamg_105

import rego.v1

import data.pyiamguard.lib.result
import data.pyiamguard.lib.trust

deny contains result.finding(p.ref, facts) if {
	input.kind == "trust"
	some stmt in input.statements
	trust.allows_assume(stmt)
	stmt.actions.assume_role
	some p in stmt.principals
	p.kind == "aws"
	p.whole_account
	not narrowed(stmt)
	not denied_unless_named(input.statements, stmt, p)
	not trust.excluded(input.statements, stmt, p)
	facts := {"statement": stmt.ref, "account": p.account, "severity": severity(input, p)}
}

# Narrowed only to named principals (rules spec, "named principal"): `role/*` narrows
# nothing; a named role whose account comes from a parameter is still named.
narrowed(stmt) if {
	some cond in stmt.conditions
	cond.key == "aws:principalarn"
	trust.demands(cond)
	every v in cond.values {
		v.named
	}
}

denied_unless_named(statements, stmt, p) if {
	some cond in trust.deny_conditions(statements, stmt, p)
	cond.key == "aws:principalarn"
	every v in cond.values {
		v.named
	}
}

severity(doc, p) := "LOW" if trust.own_principal(doc, p)

severity(doc, p) := "MEDIUM" if not trust.own_principal(doc, p)
