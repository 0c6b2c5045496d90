# IAMG-402 missing-permissions-boundary (off unless require_permissions_boundary). Own account
# 111122223333, foreign 444455556666.
package pyiamguard.rules.iamg_402_test

import rego.v1

import data.pyiamguard.lib.testdata_test as td
import data.pyiamguard.rules.iamg_402

allowed_arn := "arn:aws:iam::111122223333:policy/DeveloperBoundary"

required := td.config({"own_accounts": ["111122223333"], "require_permissions_boundary": true})

required_allowed := td.config({
	"own_accounts": ["111122223333"],
	"require_permissions_boundary": true,
	"allowed_permissions_boundaries": [allowed_arn],
})

open_trust := td.trust([td.allow("s0", [td.star("p1")], [])])

ec2_trust := td.trust([td.allow("s0", [td.service("p1", "ec2.amazonaws.com")], [])])

no_boundary := td.with_role(open_trust, td.role_section([]))

with_boundary(doc, boundary) := td.with_role(doc, td.with_boundary(td.role_section([]), boundary))

allowed_boundary := with_boundary(open_trust, td.managed("q3", "boundary", allowed_arn))

other_boundary := with_boundary(open_trust, td.managed("q3", "boundary", "arn:aws:iam::aws:policy/PowerUserAccess"))

# A boundary defined in the scan, allowed by its ARN.
scanned_allowed_boundary := with_boundary(open_trust, td.scanned_policy("q3", "boundary", allowed_arn, [
	td.allow_on("s4", ["s3:*"], ["*"]),
]))

# Unknown ARN: cannot be shown to be allowed (fail closed; IAMG-001 reports it too).
unresolved_boundary := with_boundary(open_trust, td.unresolved_policy("q3", "boundary"))

ec2_no_boundary := td.with_role(ec2_trust, td.role_section([]))

test_off_by_default if {
	count(iamg_402.deny) == 0 with input as no_boundary
}

test_off_by_default_whatever_the_boundary if {
	count(iamg_402.deny) == 0 with input as other_boundary with data.pyiamguard.config as td.config({"allowed_permissions_boundaries": [allowed_arn]})
}

test_required_and_missing_fires if {
	iamg_402.deny == {{"ref": "r9", "facts": {"boundary": "none"}}} with input as no_boundary with data.pyiamguard.config as required
}

test_required_and_missing_with_an_allow_list_fires if {
	iamg_402.deny == {{"ref": "r9", "facts": {"boundary": "none"}}} with input as no_boundary with data.pyiamguard.config as required_allowed
}

test_boundary_outside_the_allow_list_fires if {
	iamg_402.deny == {{"ref": "q3", "facts": {"boundary": "not_allowed"}}} with input as other_boundary with data.pyiamguard.config as required_allowed
}

test_unresolved_boundary_with_an_allow_list_fires if {
	iamg_402.deny == {{"ref": "q3", "facts": {"boundary": "not_allowed"}}} with input as unresolved_boundary with data.pyiamguard.config as required_allowed
}

test_allowed_boundary_is_clean if {
	count(iamg_402.deny) == 0 with input as allowed_boundary with data.pyiamguard.config as required_allowed
}

test_scanned_allowed_boundary_is_clean if {
	count(iamg_402.deny) == 0 with input as scanned_allowed_boundary with data.pyiamguard.config as required_allowed
}

# Without allowed_permissions_boundaries any boundary will do.
test_any_boundary_without_an_allow_list_is_clean if {
	count(iamg_402.deny) == 0 with input as other_boundary with data.pyiamguard.config as required
}

test_role_not_externally_assumable_is_clean if {
	count(iamg_402.deny) == 0 with input as ec2_no_boundary with data.pyiamguard.config as required
}

test_trust_without_role_is_clean if {
	count(iamg_402.deny) == 0 with input as open_trust with data.pyiamguard.config as required
}
