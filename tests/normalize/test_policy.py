"""pyiamguard.normalize.policy: one IAM policy document to the normalized model (docs/model.md)."""
from __future__ import annotations

import json

import pytest

from pyiamguard.loaders.source import Problem
from pyiamguard.normalize.policy import Node, NormalizeContext, ResourceFacts, RoleFacts, detect_kind, normalize_policy
from pyiamguard.normalize.values import Unresolved, engine_token

ROOT_111 = "arn:aws:iam::111122223333:root"


def _allow(principal: object = None, action: object = "sts:AssumeRole", **extra: object) -> dict:
    statement: dict = {"Effect": "Allow"}
    if principal is not None:
        statement["Principal"] = principal
    if action is not None:
        statement["Action"] = action
    statement.update(extra)
    return statement


def _problems(doc) -> list[tuple[str, tuple, str]]:  # type: ignore[no-untyped-def]
    return [(p["code"], doc.nodes[p["ref"]].path, doc.nodes[p["ref"]].text) for p in doc.engine_input["problems"]]


def _unresolved(doc) -> list[tuple[str, str, tuple, str]]:  # type: ignore[no-untyped-def]
    return [(u["what"], u["key"], doc.nodes[u["ref"]].path, doc.nodes[u["ref"]].text) for u in doc.engine_input["unresolved"]]


# --- the whole model for one document ----------------------------------------------------------------------


def test_object_statement_becomes_a_one_element_list_with_refs_located_under_base() -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": {
            "Sid": "CrossAccount",
            "Effect": "Allow",
            "Principal": {"AWS": [ROOT_111, "*"]},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "abc"}},
        },
    }
    base = ("Role", "AssumeRolePolicyDocument")
    doc = normalize_policy(document, base=base)
    assert doc.kind == "trust"
    assert doc.engine_input == {
        "kind": "trust",
        "context": {"own_accounts": [], "partition": "", "owner": ""},
        "problems": [],
        "unresolved": [],
        "statements": [{
            "ref": "s0", "index": 0, "effect": "Allow", "principal_element": "Principal", "principal_ref": "e1",
            "principals": [
                {"ref": "p2", "kind": "aws", "block": "AWS", "value": ROOT_111, "identity": "account:111122223333",
                 "account": "111122223333",
                 "partition": "aws", "scope": "root", "whole_account": True, "service": "", "provider": "",
                 "issuer": "", "defects": []},
                {"ref": "p3", "kind": "wildcard", "block": "AWS", "value": "*", "identity": "*", "account": "", "partition": "",
                 "scope": "", "whole_account": False, "service": "", "provider": "", "issuer": "", "defects": []},
            ],
            "actions": {"assume_role": True, "web_identity": False, "saml": False, "broad": False,
                        "patterns": ["sts:assumerole"], "not_action": False, "unresolved": False,
                        "ref": "e4", "refs": ["a5"]},
            "resources": {"element": "none", "values": [], "unresolved": False, "ref": ""},
            "conditions": [{
                "ref": "c6", "operator": "StringEquals", "base": "stringequals", "set": "", "if_exists": False,
                "negated": False, "pattern": False, "key": "sts:externalid",
                "values": [{"text": "abc", "wildcard": False, "wildcard_only": False, "account": "",
                            "account_wildcard": False, "partition": "", "arn_scope": "", "named": False,
                            "unresolved": False}],
                "state": "concrete",
            }],
        }],
        "resource": {"format": "iam_document", "kind": "policy_document", "address": "", "name": "", "path": "",
                     "tags": {}, "unresolved": []},
    }
    assert dict(doc.nodes) == {
        "s0": Node(base + ("Statement",), "CrossAccount", "CrossAccount"),
        "e1": Node(base + ("Statement", "Principal"), "Principal"),
        "p2": Node(base + ("Statement", "Principal", "AWS", 0), ROOT_111),
        "p3": Node(base + ("Statement", "Principal", "AWS", 1), "*"),
        "e4": Node(base + ("Statement", "Action"), "Action"),
        "a5": Node(base + ("Statement", "Action"), "sts:AssumeRole"),
        "c6": Node(base + ("Statement", "Condition", "StringEquals", "sts:ExternalId"), "StringEquals sts:ExternalId abc"),
    }


def test_engine_input_is_json_serializable_and_nodes_are_read_only() -> None:
    doc = normalize_policy({"Statement": [_allow({"AWS": "*"})]})
    json.dumps(doc.engine_input)
    with pytest.raises(TypeError):
        doc.nodes["zz"] = Node(())  # type: ignore[index]


def test_statement_list_keeps_source_order_and_indexes() -> None:
    doc = normalize_policy({"Version": "2012-10-17", "Statement": [
        _allow({"Service": "ec2.amazonaws.com"}, Sid="First"),
        {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole", "Sid": "Second"},
    ]})
    statements = doc.engine_input["statements"]
    assert [(s["index"], s["effect"], doc.nodes[s["ref"]].path, doc.nodes[s["ref"]].sid) for s in statements] == [
        (0, "Allow", ("Statement", 0), "First"),
        (1, "Deny", ("Statement", 1), "Second"),
    ]


def test_numeric_sid_is_kept_as_text() -> None:
    doc = normalize_policy({"Statement": [_allow("*", Sid=5)]})
    assert doc.nodes["s0"] == Node(("Statement", 0), "5", "5")


# --- kind ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "kind"),
    [
        ({"Statement": [_allow({"AWS": ROOT_111})]}, "trust"),
        ({"Statement": {"Effect": "Allow", "NotPrincipal": {"AWS": ROOT_111}, "Action": "sts:AssumeRole"}}, "trust"),
        ({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}, "identity"),
        ({"Statement": [_allow({"AWS": "*"}, "s3:GetObject", Resource="arn:aws:s3:::b/*")]}, "resource"),
        ({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}, _allow({"AWS": ROOT_111})]}, "trust"),
        ({"Statement": []}, "identity"),
    ],
    ids=["principal", "not-principal", "no-principal", "principal-and-resource", "mixed", "empty"],
)
def test_kind_is_detected_from_the_statements(document: dict, kind: str) -> None:
    assert detect_kind(document) == kind
    assert normalize_policy(document).kind == kind


@pytest.mark.parametrize("document", [[], {}, "x", None, {"Version": "2012-10-17"}])
def test_non_policies_have_no_detected_kind(document: object) -> None:
    assert detect_kind(document) is None


def test_explicit_kind_wins_over_detection() -> None:
    doc = normalize_policy({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}, kind="trust")
    assert doc.kind == "trust"
    assert _problems(doc) == [("missing_principal", ("Statement", 0), "")]


def test_undetectable_document_defaults_to_trust() -> None:
    assert normalize_policy(["not", "a", "policy"]).kind == "trust"


# --- principals ------------------------------------------------------------------------------------------------------------


def test_string_star_principal_is_one_wildcard_in_the_star_block() -> None:
    doc = normalize_policy({"Statement": [_allow("*")]})
    (principal,) = doc.engine_input["statements"][0]["principals"]
    assert (principal["kind"], principal["block"], principal["value"]) == ("wildcard", "*", "*")
    assert doc.nodes[principal["ref"]] == Node(("Statement", 0, "Principal"), "*")


def test_principal_blocks_with_scalars_and_lists_flatten_in_order() -> None:
    doc = normalize_policy({"Statement": [_allow({
        "AWS": "444455556666",
        "Service": ["lambda.amazonaws.com", "ec2.amazonaws.com"],
        "Federated": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com",
    })]})
    principals = doc.engine_input["statements"][0]["principals"]
    assert [(p["kind"], p["block"], p["value"], doc.nodes[p["ref"]].path) for p in principals] == [
        ("aws", "AWS", "444455556666", ("Statement", 0, "Principal", "AWS")),
        ("service", "Service", "lambda.amazonaws.com", ("Statement", 0, "Principal", "Service", 0)),
        ("service", "Service", "ec2.amazonaws.com", ("Statement", 0, "Principal", "Service", 1)),
        ("oidc", "Federated", "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com",
         ("Statement", 0, "Principal", "Federated")),
    ]


def test_principal_string_other_than_star_is_a_problem_and_read_as_aws() -> None:
    doc = normalize_policy({"Statement": [_allow("444455556666")]})
    assert _problems(doc) == [("invalid_principal_block", ("Statement", 0, "Principal"), "444455556666")]
    (principal,) = doc.engine_input["statements"][0]["principals"]
    assert (principal["kind"], principal["block"], principal["account"]) == ("aws", "AWS", "444455556666")


def test_bad_principal_blocks_are_problems() -> None:
    doc = normalize_policy({"Statement": [_allow({"AWS": [], "Bogus": "x"}), _allow(5)]})
    assert _problems(doc) == [
        ("invalid_principal_block", ("Statement", 0, "Principal", "AWS"), "empty list"),
        ("invalid_principal_block", ("Statement", 0, "Principal", "Bogus"), "Bogus"),
        ("invalid_principal_block", ("Statement", 1, "Principal"), "int"),
    ]
    assert [p["kind"] for p in doc.engine_input["statements"][0]["principals"]] == ["invalid"]
    assert doc.engine_input["statements"][1]["principals"] == []


def test_context_partition_marks_cross_partition_principals_and_is_passed_through() -> None:
    context = NormalizeContext(own_accounts=("111122223333",), partition="aws-us-gov")
    doc = normalize_policy({"Statement": [_allow({"AWS": [ROOT_111, "arn:aws-us-gov:iam::444455556666:root"]})]},
                           context=context)
    assert doc.engine_input["context"] == {"own_accounts": ["111122223333"], "partition": "aws-us-gov", "owner": ""}
    assert [p["defects"] for p in doc.engine_input["statements"][0]["principals"]] == [["cross_partition"], []]


def test_gitlab_hosts_from_the_context_name_self_managed_gitlab() -> None:
    context = NormalizeContext(gitlab_hosts=frozenset({"git.corp.example"}))
    doc = normalize_policy({"Statement": [_allow({"Federated": "arn:aws:iam::111122223333:oidc-provider/git.corp.example"},
                                                  "sts:AssumeRoleWithWebIdentity")]}, context=context)
    assert doc.engine_input["statements"][0]["principals"][0]["provider"] == "gitlab"


@pytest.mark.parametrize(
    ("statement", "problems"),
    [
        ({"Effect": "Deny", "NotPrincipal": {"AWS": ROOT_111}, "Action": "sts:AssumeRole"},
         [("not_principal_in_trust", ("Statement", 0, "NotPrincipal"), "")]),
        ({"Effect": "Allow", "NotPrincipal": {"AWS": ROOT_111}, "Action": "sts:AssumeRole"}, []),
        ({"Effect": "Allow", "Principal": "*", "NotPrincipal": {"AWS": ROOT_111}, "Action": "sts:AssumeRole"},
         [("principal_and_not_principal", ("Statement", 0, "NotPrincipal"), "")]),
    ],
    ids=["deny-not-principal", "allow-not-principal", "both"],
)
def test_not_principal_in_trust_policies(statement: dict, problems: list) -> None:
    doc = normalize_policy({"Statement": [statement]}, kind="trust")
    assert _problems(doc) == problems


def test_principal_wins_when_both_principal_and_not_principal_are_present() -> None:
    doc = normalize_policy({"Statement": [{"Effect": "Allow", "Principal": "*", "NotPrincipal": {"AWS": ROOT_111},
                                           "Action": "sts:AssumeRole"}]})
    statement = doc.engine_input["statements"][0]
    assert statement["principal_element"] == "Principal"
    assert [p["value"] for p in statement["principals"]] == ["*"]


def test_not_principal_element_is_named() -> None:
    doc = normalize_policy({"Statement": [{"Effect": "Allow", "NotPrincipal": {"AWS": ROOT_111}, "Action": "sts:*"}]})
    statement = doc.engine_input["statements"][0]
    assert (statement["principal_element"], doc.nodes[statement["principal_ref"]]) == (
        "NotPrincipal", Node(("Statement", 0, "NotPrincipal"), "NotPrincipal")
    )


def test_not_principal_in_a_resource_policy_deny_is_not_a_trust_problem() -> None:
    doc = normalize_policy({"Statement": [{"Effect": "Deny", "NotPrincipal": {"AWS": ROOT_111}, "Action": "s3:*",
                                           "Resource": "*"}]})
    assert doc.kind == "resource"
    assert _problems(doc) == []


def test_missing_principal_in_trust_statement_is_a_problem_not_in_identity() -> None:
    statement = {"Effect": "Allow", "Action": "sts:AssumeRole"}
    doc = normalize_policy({"Statement": [statement]}, kind="trust")
    assert doc.engine_input["statements"][0]["principal_element"] == "none"
    assert doc.engine_input["statements"][0]["principal_ref"] == ""
    assert _problems(doc) == [("missing_principal", ("Statement", 0), "")]
    assert _problems(normalize_policy({"Statement": [statement]}, kind="identity")) == []


# --- effect ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("effect", "normalized", "problems"),
    [
        ("Allow", "Allow", []),
        ("Deny", "Deny", []),
        ("allow", "Allow", [("invalid_effect", ("Statement", 0, "Effect"), "allow")]),
        (" DENY ", "Deny", [("invalid_effect", ("Statement", 0, "Effect"), " DENY ")]),
        ("Permit", "invalid", [("invalid_effect", ("Statement", 0, "Effect"), "Permit")]),
        (True, "invalid", [("invalid_effect", ("Statement", 0, "Effect"), "True")]),
    ],
)
def test_effect_must_be_exactly_allow_or_deny(effect: object, normalized: str, problems: list) -> None:
    doc = normalize_policy({"Statement": [{"Effect": effect, "Principal": "*", "Action": "sts:AssumeRole"}]})
    assert doc.engine_input["statements"][0]["effect"] == normalized
    assert _problems(doc) == problems


def test_missing_effect_is_invalid() -> None:
    doc = normalize_policy({"Statement": [{"Principal": "*", "Action": "sts:AssumeRole"}]})
    assert doc.engine_input["statements"][0]["effect"] == "invalid"
    assert _problems(doc) == [("missing_effect", ("Statement", 0), "")]


# --- actions ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("element", "value", "grants", "broad"),
    [
        ("Action", "sts:AssumeRole", (True, False, False), False),
        ("Action", "STS:assumerole", (True, False, False), False),
        ("Action", ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"], (False, True, False), False),
        ("Action", "sts:*", (True, True, True), True),
        ("Action", "*", (True, True, True), True),
        ("Action", "sts:Assume*", (True, True, True), False),
        ("Action", "sts:TagSession", (False, False, False), False),
        ("Action", [], (False, False, False), False),
        ("NotAction", "sts:AssumeRoleWithSAML", (True, True, False), False),
        ("NotAction", ["iam:*", "s3:*"], (True, True, True), False),
        ("NotAction", "sts:*", (False, False, False), True),  # model.md: broad = a pattern is `*` or `sts:*`
    ],
)
def test_action_grants_follow_iam_matching(element: str, value: object, grants: tuple, broad: bool) -> None:
    doc = normalize_policy({"Statement": [{"Effect": "Allow", "Principal": "*", element: value}]})
    actions = doc.engine_input["statements"][0]["actions"]
    assert (actions["assume_role"], actions["web_identity"], actions["saml"]) == grants
    assert actions["broad"] is broad
    assert actions["not_action"] is (element == "NotAction")
    assert doc.nodes[actions["ref"]] == Node(("Statement", 0, element), element)


def test_action_refs_point_at_each_action() -> None:
    doc = normalize_policy({"Statement": [_allow("*", ["sts:AssumeRole", "sts:TagSession"])]})
    actions = doc.engine_input["statements"][0]["actions"]
    assert [doc.nodes[r] for r in actions["refs"]] == [
        Node(("Statement", 0, "Action", 0), "sts:AssumeRole"),
        Node(("Statement", 0, "Action", 1), "sts:TagSession"),
    ]


def test_non_string_actions_are_problems_and_ignored() -> None:
    doc = normalize_policy({"Statement": [_allow("*", ["sts:AssumeRole", 5, True, None])]})
    assert _problems(doc) == [
        ("invalid_action", ("Statement", 0, "Action", 1), "5"),
        ("invalid_action", ("Statement", 0, "Action", 2), "True"),
        ("invalid_action", ("Statement", 0, "Action", 3), "None"),
    ]
    assert len(doc.engine_input["statements"][0]["actions"]["refs"]) == 1


def test_action_and_not_action_together_is_a_problem_and_action_is_used() -> None:
    doc = normalize_policy({"Statement": [_allow("*", "sts:TagSession", NotAction="sts:TagSession")]})
    assert _problems(doc) == [("action_and_not_action", ("Statement", 0, "NotAction"), "")]
    actions = doc.engine_input["statements"][0]["actions"]
    assert (actions["not_action"], actions["assume_role"]) == (False, False)


def test_statement_without_action_grants_nothing_and_is_not_a_not_action() -> None:
    # docs/model.md: `actions.not_action` is "the statement uses NotAction"; this one does not.
    doc = normalize_policy({"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}}]}, kind="trust")
    assert _problems(doc) == [("missing_action", ("Statement", 0), "")]
    actions = doc.engine_input["statements"][0]["actions"]
    assert (actions["assume_role"], actions["web_identity"], actions["saml"], actions["refs"]) == (False, False, False, [])
    assert actions["not_action"] is False


def test_unresolved_action_fails_closed_as_every_assume_action() -> None:
    doc = normalize_policy({"Statement": [_allow("*", ["sts:TagSession", Unresolved("var.action")])]})
    actions = doc.engine_input["statements"][0]["actions"]
    assert (actions["assume_role"], actions["web_identity"], actions["saml"], actions["unresolved"]) == (True, True, True, True)
    assert _unresolved(doc) == [("action", "", ("Statement", 0, "Action", 1), "var.action")]
    assert [doc.nodes[r].text for r in actions["refs"]] == ["sts:TagSession", "var.action"]


# --- conditions ------------------------------------------------------------------------------------------------------------


def test_each_operator_key_pair_is_one_condition_located_at_its_key() -> None:
    doc = normalize_policy({"Statement": [_allow({"AWS": ROOT_111}, Condition={
        "StringEquals": {"sts:ExternalId": "a", "aws:PrincipalOrgID": ["o-1", "o-2"]},
        "BoolIfExists": {"aws:MultiFactorAuthPresent": True},
    })]})
    conditions = doc.engine_input["statements"][0]["conditions"]
    assert [(c["operator"], c["key"], c["if_exists"], [v["text"] for v in c["values"]], doc.nodes[c["ref"]])
            for c in conditions] == [
        ("StringEquals", "sts:externalid", False, ["a"],
         Node(("Statement", 0, "Condition", "StringEquals", "sts:ExternalId"), "StringEquals sts:ExternalId a")),
        ("StringEquals", "aws:principalorgid", False, ["o-1", "o-2"],
         Node(("Statement", 0, "Condition", "StringEquals", "aws:PrincipalOrgID"), "StringEquals aws:PrincipalOrgID o-1, o-2")),
        ("BoolIfExists", "aws:multifactorauthpresent", True, ["true"],
         Node(("Statement", 0, "Condition", "BoolIfExists", "aws:MultiFactorAuthPresent"),
              "BoolIfExists aws:MultiFactorAuthPresent true")),
    ]


def test_malformed_conditions_are_problems() -> None:
    doc = normalize_policy({"Statement": [
        _allow("*", Condition={"Bool": "x", "StringEqualz": {"k": "v"}, "NullIfExists": {"k": "true"},
                               "StringEquals": {"sts:ExternalId": {"Ref": "X"}}}),
        _allow("*", Condition=["StringEquals"]),
    ]})
    assert _problems(doc) == [
        ("invalid_condition", ("Statement", 0, "Condition", "Bool"), "Bool"),
        ("invalid_condition", ("Statement", 0, "Condition", "StringEqualz"), "StringEqualz"),
        ("invalid_condition", ("Statement", 0, "Condition", "NullIfExists"), "NullIfExists"),
        ("invalid_condition", ("Statement", 0, "Condition", "StringEquals", "sts:ExternalId"), "sts:ExternalId"),
        ("invalid_condition", ("Statement", 1, "Condition"), "list"),
    ]
    assert [(c["operator"], c["state"]) for c in doc.engine_input["statements"][0]["conditions"]] == [
        ("StringEqualz", "concrete"), ("NullIfExists", "concrete"), ("StringEquals", "unresolved"),
    ]
    assert doc.engine_input["statements"][1]["conditions"] == []


def test_unresolved_condition_values_and_blocks_are_listed_with_their_keys() -> None:
    doc = normalize_policy({"Statement": [
        _allow("*", Condition={"StringLike": {"Token.Actions.GithubUserContent.com:SUB": ["${Repo}", "a"]},
                               "StringEquals": Unresolved("var.block")}),
        _allow("*", Condition=Unresolved("var.condition")),
    ]})
    assert _unresolved(doc) == [
        ("condition", "token.actions.githubusercontent.com:sub",
         ("Statement", 0, "Condition", "StringLike", "Token.Actions.GithubUserContent.com:SUB"),
         "Token.Actions.GithubUserContent.com:SUB"),
        ("condition", "?", ("Statement", 0, "Condition", "StringEquals"), "var.block"),
        ("condition", "?", ("Statement", 1, "Condition"), "var.condition"),
    ]
    first, second = doc.engine_input["statements"]
    assert [(c["operator"], c["key"], c["state"]) for c in first["conditions"]] == [
        ("StringLike", "token.actions.githubusercontent.com:sub", "unresolved"),
        ("StringEquals", "?", "unresolved"),
    ]
    assert [(c["operator"], c["key"], c["state"], c["values"]) for c in second["conditions"]] == [
        ("Unknown", "?", "unresolved", []),
    ]


# --- document-level problems and unresolved values ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "problems"),
    [
        ({"Version": "2012-10-18", "Statement": [_allow("*")]}, [("unknown_version", ("Version",), "2012-10-18")]),
        ({"Version": "2008-10-17", "Statement": [_allow("*")]}, []),
        ({"Statement": "nonsense"}, [("invalid_statement", ("Statement",), "str")]),
        ({"Statement": []}, [("invalid_statement", ("Statement",), "no statements")]),
        ({"Statement": [None, 3, _allow("*")]},
         [("invalid_statement", ("Statement", 0), "NoneType"), ("invalid_statement", ("Statement", 1), "int")]),
        (["a", "list"], [("invalid_document", (), "list")]),
        ("text", [("invalid_document", (), "str")]),
    ],
    ids=["unknown-version", "old-version", "statement-string", "no-statements", "bad-statements", "list", "string"],
)
def test_document_grammar_problems(document: object, problems: list) -> None:
    assert _problems(normalize_policy(document)) == problems


def test_policy_variable_without_version_is_flagged_missing_version() -> None:
    statement = _allow({"AWS": "*"}, "s3:GetObject", Resource="arn:aws:s3:::bucket/${aws:username}/*")
    assert _problems(normalize_policy({"Statement": [statement]})) == [("missing_version", (), "")]
    assert _problems(normalize_policy({"Version": "2012-10-17", "Statement": [statement]})) == []
    assert _problems(normalize_policy({"Statement": [_allow("*")]})) == []


def test_statements_after_an_invalid_one_keep_their_source_index() -> None:
    doc = normalize_policy({"Statement": [None, _allow("*")]})
    assert [(s["index"], doc.nodes[s["ref"]].path) for s in doc.engine_input["statements"]] == [(1, ("Statement", 1))]


@pytest.mark.parametrize(("kind", "what"), [("trust", "trust_policy"), ("identity", "policy"), (None, "trust_policy")])
def test_unresolved_document_is_one_unresolved_entry(kind: str | None, what: str) -> None:
    doc = normalize_policy(Unresolved("aws_iam_role.x.assume_role_policy"), kind=kind, base=("after", "policy"))
    assert doc.engine_input["statements"] == []
    assert _unresolved(doc) == [(what, "", ("after", "policy"), "aws_iam_role.x.assume_role_policy")]


def test_unresolved_statement_effect_and_principal_are_listed_and_fail_closed() -> None:
    doc = normalize_policy({"Statement": [
        {"Effect": Unresolved("var.effect"), "Principal": {"AWS": Unresolved("var.account")}, "Action": "sts:AssumeRole"},
        Unresolved("var.statement"),
    ]})
    assert _unresolved(doc) == [
        ("effect", "", ("Statement", 0, "Effect"), "var.effect"),
        ("principal", "", ("Statement", 0, "Principal", "AWS"), "var.account"),
        ("statement", "", ("Statement", 1), "var.statement"),
    ]
    (statement,) = doc.engine_input["statements"]
    assert statement["effect"] == "Allow"
    assert [(p["kind"], p["value"]) for p in statement["principals"]] == [("unresolved", "var.account")]


def test_unresolved_statement_list_is_listed() -> None:
    doc = normalize_policy({"Statement": Unresolved("local.statements")})
    assert _unresolved(doc) == [("statement", "", ("Statement",), "local.statements")]


def test_placeholder_principal_is_listed_as_unresolved() -> None:
    doc = normalize_policy({"Statement": [_allow({"AWS": "arn:aws:iam::${TrustedAccount}:root"})]})
    assert _unresolved(doc) == [("principal", "", ("Statement", 0, "Principal", "AWS"), "arn:aws:iam::${TrustedAccount}:root")]


def test_parse_problems_become_problems_at_their_absolute_paths() -> None:
    base = ("Role", "AssumeRolePolicyDocument")
    parse_problems = (
        Problem("duplicate_key", base + ("Statement", 0, "Condition", "StringEquals"), "StringEquals"),
        Problem("octal_number", base + ("Statement", 0, "Principal", "AWS"), "000000000017"),
    )
    doc = normalize_policy({"Version": "2012-10-17", "Statement": [_allow({"AWS": "000000000017"})]},
                           base=base, parse_problems=parse_problems)
    assert _problems(doc) == [
        ("duplicate_key", base + ("Statement", 0, "Condition", "StringEquals"), "StringEquals"),
        ("octal_number", base + ("Statement", 0, "Principal", "AWS"), "000000000017"),
    ]


def test_refs_are_unique_and_every_ref_is_in_the_nodes_table() -> None:
    doc = normalize_policy({"Statement": [
        _allow({"AWS": [ROOT_111, "*"]}, ["sts:AssumeRole", 1], Condition={"StringLike": {"k": "v"}}),
        {"Effect": "Nope", "NotPrincipal": "*"},
    ]}, kind="trust")

    refs: list[str] = []

    def collect(value: object, key: str = "") -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                collect(v, k)
        elif isinstance(value, list):
            for v in value:
                collect(v, key)
        elif isinstance(value, str) and key in ("ref", "principal_ref", "refs") and value:
            refs.append(value)

    collect(doc.engine_input)
    assert len(refs) == len(set(refs))
    assert set(refs) <= set(doc.nodes)


def test_an_unknown_action_of_a_service_no_rule_judges_is_some_action_of_that_service() -> None:
    # `elasticloadbalancing:${Action}`: whatever its value, no assume, admin or escalation rule
    # turns on it (IAMG-001 only where the unknown decides a rule).
    document = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": [Unresolved("elasticloadbalancing:${Action}"), Unresolved("iam:${IamAction}")],
        "Resource": "*"}]}
    doc = normalize_policy(document, kind="identity")
    actions = doc.engine_input["statements"][0]["actions"]
    assert actions["patterns"] == ["elasticloadbalancing:*"]
    # The iam action may be an escalation: it stays unknown, and unknown actions count as assuming.
    assert actions["unresolved"] is True and actions["assume_role"] is True
    assert [(u["what"], doc.nodes[u["ref"]].text) for u in doc.engine_input["unresolved"]] == [
        ("action", "iam:${IamAction}")]


# --- the resource section ---------------------------------------------------------------------------------------------


TRUST_111 = {"Version": "2012-10-17", "Statement": [_allow({"AWS": ROOT_111})]}


def test_a_raw_document_is_an_iam_document_named_by_its_address() -> None:
    doc = normalize_policy(TRUST_111, resource=ResourceFacts(address="trust.json"))
    assert doc.engine_input["resource"] == {
        "format": "iam_document", "kind": "policy_document", "address": "trust.json", "name": "", "path": "",
        "tags": {}, "unresolved": []}


def test_resource_facts_become_tokens_and_unknown_fields_are_named() -> None:
    facts = ResourceFacts("terraform_plan", "aws_iam_role", "aws_iam_role.ci", name="ci", path="/deploy/",
                          tags=(("Team", "platform"), ("Owner", Unresolved("var.owner")), ("Empty", "")))
    assert normalize_policy(TRUST_111, resource=facts).engine_input["resource"] == {
        "format": "terraform_plan", "kind": "aws_iam_role", "address": "aws_iam_role.ci", "name": "ci",
        "path": "/deploy/", "tags": {"Team": "platform", "Owner": "", "Empty": ""}, "unresolved": ["tags.Owner"]}
    unknown = ResourceFacts("cloudformation", "AWS::IAM::Role", "Role", name=Unresolved("RoleName"),
                            path=Unresolved("${Path}"), tags=Unresolved("${Tags}"))
    assert normalize_policy(TRUST_111, resource=unknown).engine_input["resource"] == {
        "format": "cloudformation", "kind": "AWS::IAM::Role", "address": "Role", "name": "", "path": "",
        "tags": {}, "unresolved": ["name", "path", "tags"]}


def test_non_ascii_and_quote_bearing_resource_texts_reach_the_engine_as_hash_tokens_only() -> None:
    texts = ["Équipe", 'say "hi"', "back\\slash", "tab\there", "日本"]
    facts = ResourceFacts("aws_cli", "role", "rôle", name="名前", path='/"q"/',
                          tags=tuple((text, text) for text in texts) + (("Owner", Unresolved("x")),))
    resource = normalize_policy(TRUST_111, resource=facts).engine_input["resource"]
    assert resource["address"] == engine_token("rôle") and resource["name"] == engine_token("名前")
    assert resource["path"] == engine_token('/"q"/')
    assert resource["tags"] == {**{engine_token(t): engine_token(t) for t in texts}, "Owner": ""}
    serialized = json.dumps(resource, ensure_ascii=False)
    assert all(text not in serialized for text in texts + ["rôle", "名前", '"q"'])
    assert all(t.startswith("~") and len(t) == 17 for t in resource["tags"] if t != "Owner")


def test_an_unknown_value_of_an_unsafe_tag_key_is_named_by_the_key_token() -> None:
    facts = ResourceFacts("cloudformation", "AWS::IAM::Role", "R", tags=(("Coût", Unresolved("${Cost}")),))
    resource = normalize_policy(TRUST_111, resource=facts).engine_input["resource"]
    assert resource["tags"] == {engine_token("Coût"): ""}
    assert resource["unresolved"] == [f"tags.{engine_token('Coût')}"]


def test_a_tag_key_given_twice_keeps_the_last_value() -> None:
    facts = ResourceFacts("aws_cli", "role", "r", tags=(("Env", Unresolved("x")), ("Env", "prod"), ("A", "1")))
    resource = normalize_policy(TRUST_111, resource=facts).engine_input["resource"]
    assert resource["tags"] == {"Env": "prod", "A": "1"} and resource["unresolved"] == []


def test_the_resource_section_takes_no_ref_and_changes_nothing_else() -> None:
    role = RoleFacts(base=("Role",), max_session=Unresolved("var.session"))
    plain = normalize_policy(TRUST_111, kind="trust", base=("Role", "Doc"), role=role)
    facts = ResourceFacts("aws_cli", "role", "r", name="r", path="/", tags=(("k", "v"),))
    described = normalize_policy(TRUST_111, kind="trust", base=("Role", "Doc"), role=role, resource=facts)
    assert dict(described.nodes) == dict(plain.nodes)
    without = {k: v for k, v in described.engine_input.items() if k != "resource"}
    assert without == {k: v for k, v in plain.engine_input.items() if k != "resource"}


def test_resource_facts_name_a_known_format() -> None:
    with pytest.raises(ValueError, match="format must be one of"):
        ResourceFacts("pulumi")
