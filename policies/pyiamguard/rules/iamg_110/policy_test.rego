# IAMG-110 service-confused-deputy (semantics C.5.6, D.51, D.73-D.74).
package pyiamguard.rules.iamg_110_test

import rego.v1

import data.pyiamguard.lib.testdata_test as td
import data.pyiamguard.rules.iamg_110

sns_with(conditions) := td.trust([td.allow("s0", [td.service("p1", "sns.amazonaws.com")], conditions)])

finding := {{"ref": "p1", "facts": {"statement": "s0"}}}

no_source := sns_with([])

source_account := sns_with([td.cond("c2", "StringEquals", "aws:SourceAccount", ["111122223333"])])

# ArnLike aws:SourceArn with wildcards but a concrete account (the AWS example, D.74).
source_arn := td.trust([td.allow("s0", [td.service("p1", "ssm-incidents.amazonaws.com")], [
	td.cond("c2", "ArnLike", "aws:SourceArn", ["arn:aws:ssm-incidents:*:111122223333:incident-record/x/*"]),
])])

source_org_id := sns_with([td.cond("c2", "StringEquals", "aws:SourceOrgID", ["o-abc123"])])

source_org_paths := sns_with([td.cond("c2", "ForAnyValue:StringLike", "aws:SourceOrgPaths", ["o-abc123/r-ab12/*"])])

test_missing_source_condition_fires if {
	iamg_110.deny == finding with input as no_source
}

test_source_account_is_clean if {
	count(iamg_110.deny) == 0 with input as source_account
}

test_source_arn_is_clean if {
	count(iamg_110.deny) == 0 with input as source_arn
}

test_source_org_id_is_clean if {
	count(iamg_110.deny) == 0 with input as source_org_id
}

test_source_org_paths_is_clean if {
	count(iamg_110.deny) == 0 with input as source_org_paths
}

# --- weak source conditions ------------------------------------------------------------------

source_account_if_exists := sns_with([td.cond("c2", "StringEqualsIfExists", "aws:SourceAccount", ["111122223333"])])

source_arn_wildcard_only := sns_with([td.cond("c2", "ArnLike", "aws:SourceArn", ["*"])])

source_account_negated := sns_with([td.cond("c2", "StringNotEquals", "aws:SourceAccount", ["444455556666"])])

source_account_null := sns_with([td.cond("c2", "Null", "aws:SourceAccount", ["false"])])

# Restricting, but on a key that does not name the source.
other_key := sns_with([td.cond("c2", "StringEquals", "aws:RequestedRegion", ["eu-west-1"])])

test_if_exists_fires if {
	iamg_110.deny == finding with input as source_account_if_exists
}

test_wildcard_only_fires if {
	iamg_110.deny == finding with input as source_arn_wildcard_only
}

test_negated_fires if {
	iamg_110.deny == finding with input as source_account_negated
}

test_null_fires if {
	iamg_110.deny == finding with input as source_account_null
}

test_other_key_fires if {
	iamg_110.deny == finding with input as other_key
}

# --- statements and Deny (C.6) ---------------------------------------------------------------

# Two Allow statements for the same service, one conditioned: ORed, unrestricted (D.51).
two_allows := td.trust([
	td.allow("s0", [td.service("p1", "sns.amazonaws.com")], [td.cond("c2", "StringEquals", "aws:SourceAccount", ["111122223333"])]),
	td.allow("s1", [td.service("p3", "sns.amazonaws.com")], []),
])

test_unconditioned_second_statement_fires if {
	iamg_110.deny == {{"ref": "p3", "facts": {"statement": "s1"}}} with input as two_allows
}

sns_and_deny(deny_principals, conditions) := td.trust([
	td.allow("s0", [td.service("p1", "sns.amazonaws.com")], []),
	td.deny_stmt("s1", deny_principals, conditions),
])

deny_other_source := sns_and_deny([td.service("p2", "sns.amazonaws.com")], [td.cond("c3", "StringNotEquals", "aws:SourceAccount", ["111122223333"])])

deny_star_other_source := sns_and_deny([td.star("p2")], [td.cond("c3", "ArnNotLike", "aws:SourceArn", ["arn:aws:sns:*:111122223333:*"])])

fully_denied := sns_and_deny([td.service("p2", "sns.amazonaws.com")], [])

deny_of_other_service := sns_and_deny([td.service("p2", "sqs.amazonaws.com")], [td.cond("c3", "StringNotEquals", "aws:SourceAccount", ["111122223333"])])

test_source_through_deny_is_clean if {
	count(iamg_110.deny) == 0 with input as deny_other_source
}

test_source_through_deny_of_everyone_is_clean if {
	count(iamg_110.deny) == 0 with input as deny_star_other_source
}

test_fully_denied_service_is_clean if {
	count(iamg_110.deny) == 0 with input as fully_denied
}

test_deny_of_another_service_fires if {
	iamg_110.deny == finding with input as deny_of_other_service
}

# --- services out of scope -------------------------------------------------------------------

# EC2, Lambda and the others of params.confused_deputy_exempt_services do not send the keys (D.73).
exempt := td.trust([td.allow("s0", [
	td.service("p1", "ec2.amazonaws.com"),
	td.service("p2", "lambda.amazonaws.com"),
	td.service("p3", "ec2.amazonaws.com.cn"),
	td.service("p4", "cloudtrail.amazonaws.com"),
], [])])

# {"Service": "*"} is IAMG-101's (CRITICAL).
service_star := td.trust([td.allow("s0", [td.any_service("p1")], [])])

# The exempt list does not hide a service beside it.
exempt_and_not := td.trust([td.allow("s0", [td.service("p1", "lambda.amazonaws.com"), td.service("p2", "events.amazonaws.com")], [])])

tag_session_only := td.trust([td.allow_actions("s0", [td.service("p1", "sns.amazonaws.com")], ["sts:TagSession"], [])])

test_exempt_services_are_clean if {
	count(iamg_110.deny) == 0 with input as exempt
}

test_service_star_is_left_to_iamg_101 if {
	count(iamg_110.deny) == 0 with input as service_star
}

test_non_exempt_service_beside_an_exempt_one_fires if {
	iamg_110.deny == {{"ref": "p2", "facts": {"statement": "s0"}}} with input as exempt_and_not
}

test_no_assume_action_is_clean if {
	count(iamg_110.deny) == 0 with input as tag_session_only
}

# The same statement in a resource policy (an S3 bucket or KMS key policy): not a trust policy.
resource_policy := object.union(no_source, {"kind": "resource"})

test_resource_policy_is_clean if {
	count(iamg_110.deny) == 0 with input as resource_policy
}
