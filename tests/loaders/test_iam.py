"""pyiamguard.loaders.iam: every policy document of a raw IAM file, named and placed."""
from __future__ import annotations

import json
import urllib.parse
from pathlib import Path
from dataclasses import replace

import pytest

from pyiamguard.loaders.iam import Identity, PolicySource, is_policy, looks_like_iam, policy_sources
from pyiamguard.loaders.json_source import load_json
from pyiamguard.loaders.source import InputError
from pyiamguard.normalize.policy import NormalizeContext, Permission, RoleFacts
from pyiamguard.scanner import scan

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "sts:AssumeRole"}],
}
ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def _all(root: object, name: str = "dump.json") -> list[PolicySource]:
    source = load_json(name, json.dumps(root, indent=2))
    return list(policy_sources(source, name))


def _sources(root: object, name: str = "dump.json") -> list[PolicySource]:
    """Where the documents are; the role facts, context and identity are checked by their own tests."""
    return [replace(p, role=None, context=NormalizeContext(), identity=None, resource_facts=None) for p in _all(root, name)]


def _encoded(document: object) -> str:
    """How the IAM API (not the CLI) returns a document: URL-encoded JSON."""
    return urllib.parse.quote(json.dumps(document))


def test_single_policy_file_is_one_document_named_after_the_file() -> None:
    assert _sources(TRUST, "trust.json") == [PolicySource("trust.json", (), TRUST)]


def test_list_of_policies_names_each_by_index() -> None:
    assert _sources([TRUST, ADMIN], "many.json") == [
        PolicySource("many.json[0]", (0,), TRUST),
        PolicySource("many.json[1]", (1,), ADMIN),
    ]


def test_get_role_output_is_the_trust_policy_named_by_role_name() -> None:
    root = {"Role": {"Path": "/", "RoleName": "deployer", "Arn": "arn:aws:iam::111122223333:role/deployer",
                     "AssumeRolePolicyDocument": TRUST, "MaxSessionDuration": 3600}}
    assert _sources(root) == [PolicySource("deployer", ("Role", "AssumeRolePolicyDocument"), TRUST, "trust")]


def test_roles_and_users_of_dumps_carry_their_arn_for_checks_across_documents() -> None:
    role = {"RoleName": "deployer", "Arn": "arn:aws:iam::111122223333:role/ops/deployer", "AssumeRolePolicyDocument": TRUST,
            "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": ADMIN}]}
    user = {"UserName": "alice", "Arn": "arn:aws:iam::111122223333:user/alice",
            "UserPolicyList": [{"PolicyName": "p", "PolicyDocument": ADMIN}]}
    group = {"GroupName": "ops", "Arn": "arn:aws:iam::111122223333:group/ops",
             "GroupPolicyList": [{"PolicyName": "p", "PolicyDocument": ADMIN}]}
    found = {(p.resource, p.kind): p.identity for p in _all({"RoleDetailList": [role], "UserDetailList": [user],
                                                             "GroupDetailList": [group]})}
    assert found == {
        ("deployer", "trust"): Identity("arn:aws:iam::111122223333:role/ops/deployer", "role"),
        # A role's inline policy reaches it through its trust document's role section; its
        # findings are the role's (Amendments, IAMG-304: once, on the role).
        ("deployer", "identity"): None,
        ("alice/p", "identity"): Identity("arn:aws:iam::111122223333:user/alice", "user"),
        # A group is no caller: its members are not known.
        ("ops/p", "identity"): None,
    }
    assert _all({"Role": {"RoleName": "x", "Arn": "arn:aws:iam::*:role/x", "AssumeRolePolicyDocument": TRUST}})[0].identity is None


def test_get_role_output_without_role_name_falls_back_to_the_file_name() -> None:
    assert _sources({"Role": {"AssumeRolePolicyDocument": TRUST}}, "role.json") == [
        PolicySource("role.json", ("Role", "AssumeRolePolicyDocument"), TRUST, "trust")
    ]


@pytest.mark.parametrize(
    "embedded",
    [_encoded(TRUST), _encoded(TRUST).replace("%7B", "%7b"), "  " + _encoded(TRUST) + "\n", json.dumps(TRUST)],
    ids=["url-encoded", "lower-case-escape", "padded", "json-text"],
)
def test_get_role_with_embedded_document_text_is_decoded(embedded: str) -> None:
    root = {"Role": {"RoleName": "r", "AssumeRolePolicyDocument": embedded}}
    assert _sources(root) == [PolicySource("r", ("Role", "AssumeRolePolicyDocument"), TRUST, "trust")]


@pytest.mark.parametrize(
    "embedded",
    ["%7Bnot json", "not json at all", "[" * 100_000 + "]" * 100_000],
    ids=["bad-url-encoded", "bad-text", "nested-100000"],
)
def test_embedded_document_that_is_not_json_is_an_input_error(embedded: str) -> None:
    root = {"Role": {"RoleName": "r", "AssumeRolePolicyDocument": embedded}}
    with pytest.raises(InputError) as err:
        _sources(root)
    assert str(err.value) == "an embedded policy document is not valid JSON"


def test_get_role_policy_output_is_an_identity_policy_named_owner_slash_policy() -> None:
    root = {"RoleName": "deployer", "PolicyName": "admin", "PolicyDocument": ADMIN}
    assert _sources(root) == [PolicySource("deployer/admin", ("PolicyDocument",), ADMIN, "identity")]


@pytest.mark.parametrize(
    ("owner_key", "owner"), [("UserName", "alice"), ("GroupName", "admins")]
)
def test_user_and_group_inline_policy_outputs_are_named_by_owner(owner_key: str, owner: str) -> None:
    root = {owner_key: owner, "PolicyName": "p", "PolicyDocument": _encoded(ADMIN)}
    assert _sources(root) == [PolicySource(f"{owner}/p", ("PolicyDocument",), ADMIN, "identity")]


def test_inline_policy_output_without_policy_name_is_named_policy() -> None:
    assert _sources({"RoleName": "r", "PolicyDocument": ADMIN}) == [
        PolicySource("r/policy", ("PolicyDocument",), ADMIN, "identity")
    ]


def test_get_policy_version_output_is_an_identity_policy_named_after_the_file() -> None:
    root = {"PolicyVersion": {"Document": _encoded(ADMIN), "VersionId": "v3", "IsDefaultVersion": True}}
    assert _sources(root, "version.json") == [
        PolicySource("version.json", ("PolicyVersion", "Document"), ADMIN, "identity")
    ]


def test_account_authorization_details_yield_every_document_with_its_path() -> None:
    root = {
        "RoleDetailList": [
            {"RoleName": "cross", "AssumeRolePolicyDocument": TRUST,
             "RolePolicyList": [{"PolicyName": "inline", "PolicyDocument": ADMIN}, {"PolicyDocument": ADMIN}]},
            "junk",
            {"AssumeRolePolicyDocument": _encoded(TRUST)},
        ],
        "UserDetailList": [{"UserName": "alice", "UserPolicyList": [{"PolicyName": "up", "PolicyDocument": ADMIN}]}],
        "GroupDetailList": [{"GroupName": "ops", "GroupPolicyList": [{"PolicyName": "gp", "PolicyDocument": ADMIN}]}],
        "Policies": [
            {"PolicyName": "Managed", "PolicyVersionList": [
                {"VersionId": "v1", "IsDefaultVersion": False, "Document": TRUST},
                {"VersionId": "v2", "IsDefaultVersion": True, "Document": _encoded(ADMIN)},
            ]},
            {"PolicyVersionList": [{"IsDefaultVersion": True, "Document": ADMIN}]},
            "junk",
        ],
    }
    assert _sources(root) == [
        PolicySource("cross", ("RoleDetailList", 0, "AssumeRolePolicyDocument"), TRUST, "trust"),
        PolicySource("cross", ("RoleDetailList", 0, "RolePolicyList", 0, "PolicyDocument"), ADMIN, "identity"),
        PolicySource("cross", ("RoleDetailList", 0, "RolePolicyList", 1, "PolicyDocument"), ADMIN, "identity"),
        PolicySource("RoleDetailList[2]", ("RoleDetailList", 2, "AssumeRolePolicyDocument"), TRUST, "trust"),
        PolicySource("alice/up", ("UserDetailList", 0, "UserPolicyList", 0, "PolicyDocument"), ADMIN, "identity"),
        PolicySource("ops/gp", ("GroupDetailList", 0, "GroupPolicyList", 0, "PolicyDocument"), ADMIN, "identity"),
        PolicySource("Managed", ("Policies", 0, "PolicyVersionList", 1, "Document"), ADMIN, "identity"),
        PolicySource("Policies[1]", ("Policies", 1, "PolicyVersionList", 0, "Document"), ADMIN, "identity"),
    ]


def test_non_default_managed_policy_versions_are_ignored() -> None:
    root = {"Policies": [{"PolicyName": "M", "PolicyVersionList": [{"IsDefaultVersion": False, "Document": ADMIN}]}]}
    assert _sources(root) == []


@pytest.mark.parametrize("root", [{"foo": 1}, "text", 42, None], ids=["other-object", "string", "number", "null"])
def test_files_without_policies_yield_nothing(root: object) -> None:
    assert _sources(root) == []


def test_embedded_document_nodes_are_located_at_the_embedding_string() -> None:
    text = '{\n  "Role": {\n    "RoleName": "r",\n    "AssumeRolePolicyDocument": "%s"\n  }\n}' % _encoded(TRUST)
    source = load_json("role.json", text)
    (policy,) = policy_sources(source, "role.json")
    assert policy.document == TRUST
    assert source.locate(policy.base + ("Statement", 0, "Principal", "AWS")) == (4, 5)


# --- is_policy / looks_like_iam ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [({"Statement": []}, True), ({"Statement": None}, True), ({"Version": "2012-10-17"}, False), ([{"Statement": []}], False)],
)
def test_is_policy_means_an_object_with_a_statement(value: object, expected: bool) -> None:
    assert is_policy(value) is expected


@pytest.mark.parametrize(
    ("root", "expected"),
    [
        (TRUST, True),
        ([TRUST, ADMIN], True),
        ([], False),
        ([TRUST, {"x": 1}], False),
        ({"Role": {"AssumeRolePolicyDocument": "%7B%7D"}}, True),
        ({"Role": {"RoleName": "r"}}, False),
        ({"UserDetailList": []}, True),
        ({"GroupDetailList": []}, True),
        ({"GroupName": "g", "PolicyDocument": {}}, True),
        ({"PolicyDocument": {}}, False),
        ({"PolicyVersion": {"Document": {}}}, True),
        ({"PolicyVersion": {"VersionId": "v1"}}, False),
    ],
)
def test_looks_like_iam_recognises_policies_and_cli_dumps(root: object, expected: bool) -> None:
    assert looks_like_iam(root) is expected


def test_get_role_gives_the_role_account_session_length_and_boundary() -> None:
    role = {"Role": {"RoleName": "deployer", "Arn": "arn:aws-us-gov:iam::111122223333:role/deployer",
                     "AssumeRolePolicyDocument": TRUST, "MaxSessionDuration": 43200,
                     "PermissionsBoundary": {"PermissionsBoundaryType": "Policy",
                                             "PermissionsBoundaryArn": "arn:aws:iam::aws:policy/PowerUserAccess"}}}
    (source,) = _all(role)
    assert source.context == NormalizeContext(own_accounts=("111122223333",), partition="aws-us-gov")
    assert source.role == RoleFacts(
        base=("Role",), permissions=(),
        boundary=Permission("boundary", "arn:aws:iam::aws:policy/PowerUserAccess",
                            ("Role", "PermissionsBoundary", "PermissionsBoundaryArn"), None,
                            arn="arn:aws:iam::aws:policy/PowerUserAccess"),
        max_session=43200, max_session_path=("Role", "MaxSessionDuration"))


def test_authorization_details_link_inline_and_managed_policies_to_the_role() -> None:
    customer = "arn:aws:iam::111122223333:policy/deploy"
    dump = {
        "RoleDetailList": [{
            "RoleName": "r", "Arn": "arn:aws:iam::111122223333:role/r", "AssumeRolePolicyDocument": TRUST,
            "RolePolicyList": [{"PolicyName": "inline", "PolicyDocument": ADMIN}],
            "AttachedManagedPolicies": [{"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
                                        {"PolicyName": "deploy", "PolicyArn": customer}],
        }],
        "Policies": [{"PolicyName": "deploy", "Arn": customer,
                      "PolicyVersionList": [{"IsDefaultVersion": True, "Document": ADMIN}]}],
    }
    trust = next(s for s in _all(dump) if s.kind == "trust")
    assert trust.role is not None
    assert trust.role.permissions == (
        Permission("inline", "inline", ("RoleDetailList", 0, "RolePolicyList", 0, "PolicyDocument"), ADMIN,
                   reported_elsewhere=True),
        Permission("managed", "arn:aws:iam::aws:policy/AdministratorAccess",
                   ("RoleDetailList", 0, "AttachedManagedPolicies", 0, "PolicyArn"), None,
                   arn="arn:aws:iam::aws:policy/AdministratorAccess"),
        Permission("managed", customer, ("Policies", 0, "PolicyVersionList", 0, "Document"), ADMIN, arn=customer,
                   reported_elsewhere=True, attached_at=("RoleDetailList", 0, "AttachedManagedPolicies", 1, "PolicyArn")),
    )


def _role_entry(name: str, trust: object) -> dict[str, object]:
    return {"RoleName": name, "Arn": f"arn:aws:iam::111122223333:role/{name}", "AssumeRolePolicyDocument": trust,
            "AttachedManagedPolicies": [{"PolicyName": "AdministratorAccess",
                                         "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}]}


def test_a_managed_policy_shared_by_several_roles_is_reported_at_each_role_attachment(tmp_path: Path) -> None:
    # AdministratorAccess is one document of the dump's Policies, attached to three roles: each
    # role's finding points at its own AttachedManagedPolicies entry, never at the shared document.
    service = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    dump = {
        "RoleDetailList": [_role_entry("vendor-a", TRUST), _role_entry("vendor-b", TRUST), _role_entry("worker", service)],
        "Policies": [{"PolicyName": "AdministratorAccess", "Arn": "arn:aws:iam::aws:policy/AdministratorAccess",
                      "PolicyVersionList": [{"IsDefaultVersion": True, "Document": ADMIN}]}],
    }
    path = tmp_path / "dump.json"
    path.write_text(json.dumps(dump, indent=2))
    report = scan([path])
    assert report.errors == ()
    attached = "$.RoleDetailList[{}].AttachedManagedPolicies[0].PolicyArn"
    found = [(v.rule_id, v.resource, v.path, v.line) for v in report.violations if v.rule_id in ("IAMG-301", "IAMG-303")]
    assert found == [
        ("IAMG-301", "vendor-a", attached.format(0), 21),
        ("IAMG-301", "vendor-b", attached.format(1), 43),
        ("IAMG-303", "worker", attached.format(2), 65),
    ]


# --- the resource section (what custom rules read: kind, address, name, path, tags) -------------------------


def _sections(root: object, name: str = "dump.json") -> list[tuple[str, dict]]:
    from pyiamguard.normalize.policy import normalize_policy

    return [(p.resource, normalize_policy(p.document, kind=p.kind, base=p.base, role=p.role,
                                          resource=p.facts).engine_input["resource"]) for p in _all(root, name)]


def test_a_dumped_role_has_its_name_path_and_tags() -> None:
    role = {"RoleName": "deployer", "Path": "/ci/", "Arn": "arn:aws:iam::111122223333:role/ci/deployer",
            "AssumeRolePolicyDocument": TRUST, "Tags": [{"Key": "Team", "Value": "platform"}, {"Key": "Empty", "Value": ""}],
            "RolePolicyList": [{"PolicyName": "inline", "PolicyDocument": ADMIN}]}
    expected = {"format": "aws_cli", "kind": "role", "address": "deployer", "name": "deployer", "path": "/ci/",
                "tags": {"Team": "platform", "Empty": ""}, "unresolved": []}
    # The role's trust policy and its inline policy: the role's facts.
    assert _sections({"RoleDetailList": [role]}) == [("deployer", expected), ("deployer", expected)]
    assert _sections({"Role": role}) == [("deployer", expected)]


def test_dumped_users_groups_and_managed_policies_have_their_facts() -> None:
    root = {
        "UserDetailList": [{"UserName": "alice", "UserPolicyList": [{"PolicyName": "p", "PolicyDocument": ADMIN}]}],
        "GroupDetailList": [{"GroupName": "ops", "Path": "/teams/", "GroupPolicyList": [{"PolicyName": "g", "PolicyDocument": ADMIN}]}],
        "Policies": [{"PolicyName": "shared", "Path": "/", "Arn": "arn:aws:iam::111122223333:policy/shared",
                      "PolicyVersionList": [{"Document": ADMIN, "IsDefaultVersion": True}]}],
    }
    assert [(r, s["kind"], s["name"], s["path"], s["tags"], s["unresolved"]) for r, s in _sections(root)] == [
        # A user without tags lists none (IAM leaves the empty list out); a group has no tags.
        ("alice/p", "user", "alice", "/", {}, []),
        ("ops/g", "group", "ops", "/teams/", {}, []),
        # The dump's managed policies do not list their tags.
        ("shared", "policy", "shared", "/", {}, ["tags"]),
    ]


def test_single_outputs_say_what_they_do_not_hold() -> None:
    assert [(r, s["kind"], s["name"], s["unresolved"]) for r, s in _sections(
        {"RoleName": "deployer", "PolicyName": "admin", "PolicyDocument": ADMIN})] == [
        ("deployer/admin", "role", "deployer", ["path", "tags"])]
    assert [(r, s["kind"], s["name"], s["unresolved"]) for r, s in _sections(
        {"PolicyVersion": {"Document": ADMIN, "VersionId": "v1", "IsDefaultVersion": True}}, "v.json")] == [
        ("v.json", "policy", "", ["name", "path", "tags"])]


def test_raw_policy_files_are_iam_documents_named_as_reported() -> None:
    plain = {"format": "iam_document", "kind": "policy_document", "name": "", "path": "", "tags": {}, "unresolved": []}
    assert _sections(TRUST, "trust.json") == [("trust.json", {**plain, "address": "trust.json"})]
    assert _sections([TRUST, ADMIN], "many.json") == [("many.json[0]", {**plain, "address": "many.json[0]"}),
                                                      ("many.json[1]", {**plain, "address": "many.json[1]"})]
    assert _sections({"ci-role": TRUST}) == [("ci-role", {**plain, "address": "ci-role"})]


def test_dumped_tags_that_are_not_engine_safe_are_hash_tokens() -> None:
    from pyiamguard.normalize.values import engine_token

    role = {"RoleName": "rôle", "AssumeRolePolicyDocument": TRUST,
            "Tags": [{"Key": "Propriétaire", "Value": 'Zoë "Z"'}, {"Key": "Quote\"Key", "Value": "back\\slash"}]}
    [(resource, section)] = _sections({"Role": role})
    assert resource == "rôle" and section["address"] == section["name"] == engine_token("rôle")
    assert section["tags"] == {engine_token("Propriétaire"): engine_token('Zoë "Z"'),
                               engine_token('Quote"Key'): engine_token("back\\slash")}
    assert all(v.startswith("~") for pair in section["tags"].items() for v in pair)
