# IAMG-401 long-session. Own account 111122223333, foreign 444455556666 (semantics C.5.11,
# D.80-D.81).
package pyiamguard.rules.iamg_401_test

import rego.v1

import data.pyiamguard.lib.testdata_test as td
import data.pyiamguard.rules.iamg_401

own := td.config({"own_accounts": ["111122223333"]})

open_trust := td.trust([td.allow("s0", [td.star("p1")], [])])

ec2_trust := td.trust([td.allow("s0", [td.service("p1", "ec2.amazonaws.com")], [])])

github_trust := td.trust([td.allow_actions("s0", [td.github_oidc("p1", "111122223333")], ["sts:AssumeRoleWithWebIdentity"], [
	td.cond("c3", "StringLike", "token.actions.githubusercontent.com:sub", ["repo:acme/app:*"]),
])])

foreign_trust := td.trust([td.allow("s0", [td.root("p1", "aws", "444455556666")], [])])

own_trust := td.trust([td.allow("s0", [td.root("p1", "aws", "111122223333")], [])])

# The trust document with a role whose max session has this state and length.
session(doc, state, seconds) := td.with_role(doc, td.with_max_session(td.role_section([]), state, seconds))

finding(seconds, limit) := {{"ref": "m8", "facts": {"seconds": seconds, "limit": limit}}}

twelve_hours := session(open_trust, "known", 43200)

two_hours := session(open_trust, "known", 7200)

one_hour := session(open_trust, "known", 3600)

# Absent: the 3600 default.
default_session := session(open_trust, "default", 3600)

# max_session_duration = 50000: outside 3600-43200 (D.81), also IAMG-002. The normalizer hands
# the engine a bounded value: 43201, "above the maximum".
too_long := session(open_trust, "invalid", 43201)

# A value that is not a number ("12h"): invalid, seconds 0.
not_a_number := session(open_trust, "invalid", 0)

# Known only after apply: IAMG-001.
unresolved := session(open_trust, "unresolved", 0)

test_twelve_hours_fires if {
	iamg_401.deny == finding(43200, 3600) with input as twelve_hours
}

test_two_hours_fires if {
	iamg_401.deny == finding(7200, 3600) with input as two_hours
}

test_invalid_length_above_the_limit_fires if {
	iamg_401.deny == finding(43201, 3600) with input as too_long
}

test_one_hour_is_clean if {
	count(iamg_401.deny) == 0 with input as one_hour
}

test_default_is_clean if {
	count(iamg_401.deny) == 0 with input as default_session
}

test_not_a_number_is_clean if {
	count(iamg_401.deny) == 0 with input as not_a_number
}

test_unresolved_is_clean if {
	count(iamg_401.deny) == 0 with input as unresolved
}

# --- the max_session_seconds limit ----------------------------------------------------------

test_limit_raised_above_the_session_is_clean if {
	count(iamg_401.deny) == 0 with input as twelve_hours with data.pyiamguard.config as td.config({"max_session_seconds": 43200})
}

test_session_equal_to_the_limit_is_clean if {
	count(iamg_401.deny) == 0 with input as two_hours with data.pyiamguard.config as td.config({"max_session_seconds": 7200})
}

test_session_above_a_raised_limit_fires if {
	iamg_401.deny == finding(43200, 14400) with input as twelve_hours with data.pyiamguard.config as td.config({"max_session_seconds": 14400})
}

# --- who may assume the role ----------------------------------------------------------------

test_federated_role_fires if {
	iamg_401.deny == finding(43200, 3600) with input as session(github_trust, "known", 43200) with data.pyiamguard.config as own
}

test_cross_account_role_fires if {
	iamg_401.deny == finding(43200, 3600) with input as session(foreign_trust, "known", 43200) with data.pyiamguard.config as own
}

test_service_role_is_clean if {
	count(iamg_401.deny) == 0 with input as session(ec2_trust, "known", 43200) with data.pyiamguard.config as own
}

test_own_account_role_is_clean if {
	count(iamg_401.deny) == 0 with input as session(own_trust, "known", 43200) with data.pyiamguard.config as own
}

test_trust_without_role_is_clean if {
	count(iamg_401.deny) == 0 with input as open_trust
}
