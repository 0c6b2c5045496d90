"""pyiamguard.normalize.principals: every written principal form to one classified record."""
from __future__ import annotations

import pytest

from pyiamguard.normalize.principals import ArnParts, Principal, classify, oidc_provider, parse_arn
from pyiamguard.normalize.values import Unresolved

FIELDS = ("kind", "block", "text", "account", "partition", "scope", "whole_account", "service", "provider", "issuer")


def _fields(p: Principal) -> dict:
    return {**{f: getattr(p, f) for f in FIELDS}, "defects": sorted(set(p.defects))}


def _expect(kind: str, block: str, text: str, defects: tuple[str, ...] = (), **extra: object) -> dict:
    base = {"kind": kind, "block": block, "text": text, "account": "", "partition": "", "scope": "",
            "whole_account": False, "service": "", "provider": "", "issuer": ""}
    base.update(extra)
    base["defects"] = sorted(defects)
    return base


# --- wildcards ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("block", ["*", "AWS", "Service", "Federated", "CanonicalUser"])
def test_star_is_a_wildcard_in_every_block(block: str) -> None:
    assert _fields(classify(block, "*")) == _expect("wildcard", block, "*")


def test_star_with_surrounding_spaces_is_still_a_wildcard() -> None:
    assert _fields(classify("AWS", " * ")) == _expect("wildcard", "AWS", "*")


@pytest.mark.parametrize(
    ("text", "account", "scope", "whole"),
    [
        ("arn:aws:iam::*:root", "", "root", True),
        ("arn:aws:iam::*:role/deployer", "", "role", False),
        ("arn:aws:iam::111122223333:role/*", "111122223333", "role", False),
        ("arn:aws:iam::111122223333:role/dev-*", "111122223333", "role", False),
        ("arn:aws:iam::11112222333?:root", "", "root", True),
        ("arn:aws:iam::111122223333:user/?", "111122223333", "user", False),
    ],
)
def test_partial_wildcard_arn_is_scored_as_wildcard_with_a_defect(text: str, account: str, scope: str, whole: bool) -> None:
    assert _fields(classify("AWS", text)) == _expect(
        "wildcard", "AWS", text, ("partial_wildcard",), account=account, partition="aws", scope=scope, whole_account=whole
    )


# --- AWS principals ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["444455556666", 444455556666, " 444455556666 "])
def test_bare_account_id_is_the_whole_account(value: object) -> None:
    assert _fields(classify("AWS", value)) == _expect(
        "aws", "AWS", "444455556666", account="444455556666", scope="account", whole_account=True
    )


@pytest.mark.parametrize("partition", ["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b"])
def test_root_arn_is_the_whole_account_in_every_partition(partition: str) -> None:
    text = f"arn:{partition}:iam::444455556666:root"
    assert _fields(classify("AWS", text)) == _expect(
        "aws", "AWS", text, account="444455556666", partition=partition, scope="root", whole_account=True
    )


@pytest.mark.parametrize(
    ("text", "scope"),
    [
        ("arn:aws:iam::444455556666:role/deployer", "role"),
        ("arn:aws:iam::444455556666:role/path/to/deployer", "role"),
        ("arn:aws-us-gov:iam::444455556666:user/alice", "user"),
        ("arn:aws:sts::444455556666:assumed-role/deployer/session", "assumed_role"),
        ("arn:aws-cn:sts::444455556666:federated-user/bob", "federated_user"),
    ],
)
def test_specific_principal_arns_get_their_scope(text: str, scope: str) -> None:
    partition = text.split(":")[1]
    assert _fields(classify("AWS", text)) == _expect(
        "aws", "AWS", text, account="444455556666", partition=partition, scope=scope
    )


@pytest.mark.parametrize("text", ["AROAEXAMPLEID1234567", "AIDAEXAMPLEID1234567", "AGPAEXAMPLEID1234567"])
def test_unique_id_is_a_stale_principal_without_account(text: str) -> None:
    assert _fields(classify("AWS", text)) == _expect("unique_id", "AWS", text, ("stale_unique_id",))


@pytest.mark.parametrize("text", ["ACCOUNT-B-ID", "12345678901", "0123456789012", "AROA123", "root"])
def test_non_account_non_arn_text_is_a_placeholder_without_a_readable_account(text: str) -> None:
    assert _fields(classify("AWS", text)) == _expect("aws", "AWS", text, ("placeholder",), scope="account")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("arn:aws:iam::444455556666:assumed-role/r/s",
         dict(account="444455556666", partition="aws", scope="other", defects=("malformed_arn",))),
        ("arn:aws:iam::444455556666:group/admins",
         dict(account="444455556666", partition="aws", scope="other", defects=("malformed_arn",))),
        ("arn:aws:s3:::bucket",
         dict(partition="aws", scope="other", defects=("malformed_arn", "wrong_service"))),
        ("arn:aws:ec2::444455556666:root",
         dict(account="444455556666", partition="aws", scope="root", whole_account=True, defects=("wrong_service",))),
        ("arn:foo:iam::444455556666:root",
         dict(account="444455556666", scope="root", whole_account=True, defects=("malformed_arn",))),
        ("arn:aws:iam:::root", dict(partition="aws", scope="root", whole_account=True, defects=("malformed_arn",))),
        ("arn:aws:iam::abc:root", dict(partition="aws", scope="root", whole_account=True, defects=("bad_account_id",))),
        ("arn:aws:iam::4444555566667:root",
         dict(account="4444555566667", partition="aws", scope="root", whole_account=True,
              defects=("bad_account_id",))),
    ],
    ids=["assumed-role-under-iam", "group", "s3-arn", "wrong-service", "unknown-partition", "no-account",
         "letters-account", "13-digit-account"],
)
def test_malformed_aws_arns_carry_defects(text: str, expected: dict) -> None:
    defects = expected.pop("defects")
    assert _fields(classify("AWS", text)) == _expect("aws", "AWS", text, defects, **expected)


@pytest.mark.parametrize(
    ("value", "shown"),
    [(None, "null"), (True, "true"), (False, "false"), ({"Ref": "X"}, "dict"), (["a"], "list")],
)
def test_non_principal_values_are_invalid(value: object, shown: str) -> None:
    assert _fields(classify("AWS", value)) == _expect("invalid", "AWS", shown, ("malformed_arn",))


# --- unresolved ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("block", "text"),
    [("AWS", "${var.trusted_account}"), ("AWS", "arn:aws:iam::${AWS::AccountId}:root"),
     ("Service", "${Svc}.amazonaws.com"), ("Federated", "arn:aws:iam::1:oidc-provider/${Issuer}")],
)
def test_template_placeholder_is_unresolved(block: str, text: str) -> None:
    assert _fields(classify(block, text)) == _expect("unresolved", block, text)


@pytest.mark.parametrize(
    ("text", "scope", "whole"),
    [("${TrustedAccount}", "account", True), ("arn:aws:iam::${Peer}:root", "root", True),
     ("arn:aws:iam::${Peer}:role/ci", "role", False)],
)
def test_a_placeholder_account_keeps_what_is_known_of_the_principal(text: str, scope: str, whole: bool) -> None:
    principal = classify("AWS", text)
    assert (principal.kind, principal.account, principal.scope, principal.whole_account, principal.partly_unresolved) == (
        "aws", "", scope, whole, True)


def test_unresolved_value_is_unresolved_with_its_expression() -> None:
    assert _fields(classify("AWS", Unresolved("var.trusted_account"))) == _expect("unresolved", "AWS", "var.trusted_account")


def test_iam_policy_variable_is_not_a_placeholder() -> None:
    text = "arn:aws:iam::444455556666:user/${aws:username}"
    assert classify("AWS", text).kind == "aws"
    assert classify("AWS", text).scope == "user"


# --- services ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "service"),
    [("lambda.amazonaws.com", "lambda.amazonaws.com"), ("EC2.AmazonAWS.com", "ec2.amazonaws.com"),
     ("states.cn-north-1.amazonaws.com.cn", "states.cn-north-1.amazonaws.com.cn"),
     ("codedeploy.amazon.com", "codedeploy.amazon.com")],
)
def test_service_principal_records_the_lower_cased_host(text: str, service: str) -> None:
    assert _fields(classify("Service", text)) == _expect("service", "Service", text, service=service)


def test_service_that_is_not_an_aws_host_is_malformed() -> None:
    assert _fields(classify("Service", "lambda")) == _expect("service", "Service", "lambda", ("malformed_arn",), service="lambda")


# --- federated ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("issuer", "provider", "partition"),
    [
        ("token.actions.githubusercontent.com", "github", "aws"),
        ("Token.Actions.GithubUserContent.com", "github", "aws"),
        ("token.actions.githubusercontent.com/my-enterprise", "github", "aws"),
        ("gitlab.com", "gitlab", "aws"),
        ("app.terraform.io", "terraform_cloud", "aws"),
        ("oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE", "eks", "aws"),
        ("oidc.eks.cn-north-1.amazonaws.com.cn/id/ABCDEF0123", "eks", "aws-cn"),
        ("oidc.eks.us-gov-west-1.amazonaws.com/id/ABCDEF0123", "eks", "aws-us-gov"),
        ("auth.example.com/oidc", "other", "aws"),
        ("gitlab.example.com", "other", "aws"),
    ],
)
def test_oidc_provider_arn_is_classified_by_its_issuer(issuer: str, provider: str, partition: str) -> None:
    text = f"arn:{partition}:iam::111122223333:oidc-provider/{issuer}"
    assert _fields(classify("Federated", text)) == _expect(
        "oidc", "Federated", text, account="111122223333", partition=partition, provider=provider, issuer=issuer.lower()
    )


def test_self_managed_gitlab_host_is_gitlab_when_configured() -> None:
    text = "arn:aws:iam::111122223333:oidc-provider/git.corp.example"
    principal = classify("Federated", text, gitlab_hosts=frozenset({"git.corp.example"}))
    assert (principal.provider, principal.issuer) == ("gitlab", "git.corp.example")


@pytest.mark.parametrize(
    ("text", "provider"),
    [("cognito-identity.amazonaws.com", "cognito"), ("accounts.google.com", "google"), ("Accounts.Google.com", "google"),
     ("www.amazon.com", "amazon"), ("graph.facebook.com", "facebook")],
)
def test_built_in_web_identity_providers_need_no_arn(text: str, provider: str) -> None:
    assert _fields(classify("Federated", text)) == _expect("oidc", "Federated", text, provider=provider, issuer=text.lower())


def test_bare_issuer_host_in_federated_is_malformed_but_keeps_its_provider() -> None:
    text = "token.actions.githubusercontent.com"
    assert _fields(classify("Federated", text)) == _expect(
        "oidc", "Federated", text, ("malformed_arn",), provider="github", issuer=text
    )


@pytest.mark.parametrize("partition", ["aws", "aws-cn", "aws-us-gov"])
def test_saml_provider_arn_is_saml(partition: str) -> None:
    text = f"arn:{partition}:iam::111122223333:saml-provider/Okta"
    assert _fields(classify("Federated", text)) == _expect(
        "saml", "Federated", text, account="111122223333", partition=partition
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("arn:aws:iam::111122223333:role/x",
         dict(kind="oidc", account="111122223333", partition="aws", provider="other", defects=("malformed_arn",))),
        ("arn:aws:sts::111122223333:saml-provider/x",
         dict(kind="saml", account="111122223333", partition="aws", defects=("malformed_arn",))),
        ("arn:aws:iam::*:oidc-provider/token.actions.githubusercontent.com",
         dict(kind="oidc", partition="aws", provider="github", issuer="token.actions.githubusercontent.com",
              defects=("bad_account_id",))),
    ],
    ids=["role-arn", "sts-service", "wildcard-account"],
)
def test_malformed_federated_arns_carry_defects(text: str, expected: dict) -> None:
    kind, defects = expected.pop("kind"), expected.pop("defects")
    assert _fields(classify("Federated", text)) == _expect(kind, "Federated", text, defects, **expected)


# --- other blocks and partitions ------------------------------------------------------------------------------


def test_canonical_user_is_flagged() -> None:
    text = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
    assert _fields(classify("CanonicalUser", text)) == _expect("canonical_user", "CanonicalUser", text, ("canonical_user",))


def test_unknown_block_is_invalid() -> None:
    assert _fields(classify("Bogus", "x")) == _expect("invalid", "Bogus", "x", ("malformed_arn",))


@pytest.mark.parametrize(
    ("own", "block", "text", "cross"),
    [
        ("aws", "AWS", "arn:aws-us-gov:iam::444455556666:root", True),
        ("aws-cn", "AWS", "arn:aws:iam::444455556666:role/r", True),
        ("aws", "AWS", "arn:aws:iam::444455556666:root", False),
        ("", "AWS", "arn:aws-cn:iam::444455556666:root", False),
        ("aws-cn", "AWS", "444455556666", False),
        ("aws-cn", "Federated", "arn:aws:iam::111122223333:saml-provider/x", True),
        ("aws", "Federated", "arn:aws-cn:iam::111122223333:oidc-provider/gitlab.com", True),
        ("aws", "Service", "lambda.amazonaws.com", False),
    ],
)
def test_principal_in_another_partition_than_the_role_is_cross_partition(own: str, block: str, text: str, cross: bool) -> None:
    assert ("cross_partition" in classify(block, text, own).defects) is cross


# --- engine_fields ------------------------------------------------------------------------------------------------


def test_engine_fields_dedupe_and_sort_defects_and_tokenize_text() -> None:
    principal = classify("AWS", "arn:aws:s3:::bucket")
    assert principal.engine_fields() == {
        "kind": "aws", "block": "AWS", "value": "arn:aws:s3:::bucket", "identity": "arn:aws:s3:::bucket",
        "account": "", "partition": "aws",
        "scope": "other", "whole_account": False, "service": "", "provider": "", "issuer": "",
        "defects": ["malformed_arn", "wrong_service"],
    }


def test_engine_fields_hash_non_ascii_principal_text() -> None:
    fields = classify("AWS", "arn:aws:iam::444455556666:user/jos\u00e9").engine_fields()
    assert fields["value"].startswith("~") and len(fields["value"]) == 17
    assert (fields["account"], fields["scope"]) == ("444455556666", "user")


# --- parse_arn / oidc_provider ---------------------------------------------------------------------------------------


def test_parse_arn_keeps_colons_and_slashes_in_the_resource() -> None:
    assert parse_arn("arn:aws:sts::444455556666:assumed-role/r/s:x") == ArnParts(
        "aws", "sts", "", "444455556666", "assumed-role/r/s:x"
    )


@pytest.mark.parametrize("text", ["444455556666", "arn:aws:iam::root", "ARN:aws:iam::1:root", ""])
def test_parse_arn_rejects_non_arns(text: str) -> None:
    assert parse_arn(text) is None


@pytest.mark.parametrize(
    ("issuer", "provider"),
    [("GitLab.com/", "gitlab"), ("app.terraform.io", "terraform_cloud"), ("oidc.eks.eu-west-1.amazonaws.com/id/ABC", "eks"),
     ("oidc.eks.eu-west-1.amazonaws.com", "other"), ("evil.com/token.actions.githubusercontent.com", "other"),
     ("token.actions.githubusercontent.com.evil.com", "other")],
)
def test_oidc_provider_names_known_issuers_only(issuer: str, provider: str) -> None:
    assert oidc_provider(issuer) == provider


def test_a_role_under_sts_is_no_principal() -> None:
    # STS ARNs name sessions (assumed-role/, federated-user/); `sts::...:role/x` names nothing
    # and IAM rejects it.
    principal = classify("AWS", "arn:aws:sts::111122223333:role/deployer")
    assert (principal.kind, principal.scope, principal.defects) == ("aws", "other", ["malformed_arn"])


@pytest.mark.parametrize(("expression", "kind", "whole"), [
    ("${PartnerAccountId}", "aws", True),
    ("${Partner}", "aws", True),
    # Named for an ARN, a role or an identity: it may be a role, so nothing is assumed of it.
    ("${TrustedIdentity}", "unresolved", False),
    ("${RoleARN}", "unresolved", False),
    ("${ScannerInstanceRoleArn}", "unresolved", False),
])
def test_a_bare_parameter_principal_is_an_account_unless_named_for_an_arn(expression: str, kind: str,
                                                                           whole: bool) -> None:
    principal = classify("AWS", Unresolved(expression, "a parameter without a default"))
    assert (principal.kind, principal.whole_account) == (kind, whole)
