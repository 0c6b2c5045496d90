"""Edge cases of the semantics reference (sections C and D) that concern trust policies and are
not already covered by the rule examples, run end to end through scan_document."""
from __future__ import annotations

import pytest

from pyiamguard.config import Config
from pyiamguard.scanner import scan, scan_document

OWN = "111122223333"
OTHER = "444455556666"
EXT = {"StringEquals": {"sts:ExternalId": "5f0c8a7e"}}


def _trust(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(principal: object, action: object = "sts:AssumeRole", condition: dict | None = None) -> dict:
    statement = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        statement["Condition"] = condition
    return statement


def _found(report) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    assert report.errors == ()
    return {(v.rule_id, v.path) for v in report.violations}


def test_wildcard_after_a_statement_without_principal_is_found() -> None:
    # D.39: tools that stop at the first statement lacking a Principal pass this.
    doc = _trust({"Effect": "Allow", "Action": "sts:AssumeRole"}, _allow({"AWS": "*"}))
    found = _found(scan_document(doc))
    assert ("IAMG-101", "$.Statement[1].Principal.AWS") in found
    assert ("IAMG-002", "$.Statement[0]") in found


@pytest.mark.parametrize("principal", ["arn:aws:iam::*:root", "arn:aws:iam::123456789012:role/*",
                                       "arn:aws:iam::123456789012:role/dev-*"])
def test_partial_wildcard_principal_is_invalid_and_scored_as_wildcard(principal: str) -> None:
    # D.43
    found = _found(scan_document(_trust(_allow({"AWS": principal}))))
    assert found == {("IAMG-101", "$.Statement[0].Principal.AWS"), ("IAMG-109", "$.Statement[0].Principal.AWS")}


@pytest.mark.parametrize("action", ["sts:AssumeRole", "STS:ASSUMEROLE", "sts:Assume*", "sts:*Role", ["sts:TagSession", "sts:assumerole"]])
def test_every_spelling_of_assume_role_is_an_assume_grant(action: object) -> None:
    # D.52 and C.3: action names are case-insensitive and wildcards match.
    found = _found(scan_document(_trust(_allow({"AWS": f"arn:aws:iam::{OTHER}:role/r"}, action))))
    assert ("IAMG-103", "$.Statement[0].Principal.AWS") in found


def test_assume_role_with_saml_does_not_grant_assume_role() -> None:
    # C.3: no implicit prefix match.
    found = _found(scan_document(_trust(_allow({"AWS": f"arn:aws:iam::{OTHER}:role/r"}, "sts:AssumeRoleWithSAML")),
                                 Config(trusted_accounts=(OTHER,))))
    assert "IAMG-103" not in {rule for rule, _ in found}
    assert ("IAMG-111", "$.Statement[0].Principal.AWS") in found


def test_same_account_is_not_cross_account_when_the_own_account_is_configured() -> None:
    doc = _trust(_allow({"AWS": f"arn:aws:iam::{OWN}:role/deployer"}))
    assert _found(scan_document(doc, Config(own_accounts=(OWN,)))) == set()
    assert {"IAMG-102", "IAMG-103"} <= {rule for rule, _ in _found(scan_document(doc))}


def test_unknown_own_account_is_said_in_the_message() -> None:
    report = scan_document(_trust(_allow({"AWS": f"arn:aws:iam::{OTHER}:role/r"})))
    messages = [v.message for v in report.violations if v.rule_id == "IAMG-103"]
    assert messages and all("account of the role unknown" in m for m in messages)


def test_mfa_is_never_required_of_oidc_or_service_principals() -> None:
    # D.64
    doc = _trust(
        _allow({"Service": "ec2.amazonaws.com"}),
        _allow({"Federated": f"arn:aws:iam::{OWN}:oidc-provider/token.actions.githubusercontent.com"},
               "sts:AssumeRoleWithWebIdentity",
               {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:my-org/my-repo:*"}}),
    )
    assert "IAMG-104" not in {rule for rule, _ in _found(scan_document(doc, Config(require_mfa="all")))}


def test_statements_are_ored_a_conditioned_twin_does_not_restrict_the_other() -> None:
    # C.6 / D.51 for a cross-account principal.
    principal = {"AWS": f"arn:aws:iam::{OTHER}:role/r"}
    doc = _trust(_allow(principal, condition=EXT), _allow(principal))
    found = _found(scan_document(doc, Config(trusted_accounts=(OTHER,))))
    assert found == {("IAMG-103", "$.Statement[1].Principal.AWS")}


def test_deny_with_negated_external_id_condition_satisfies_the_allow() -> None:
    # C.6: Deny + StringNotEquals sts:ExternalId is the negation of the missing restriction.
    doc = _trust(_allow({"AWS": f"arn:aws:iam::{OTHER}:role/r"}),
                 {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
                  "Condition": {"StringNotEquals": {"sts:ExternalId": "5f0c8a7e"}}})
    assert _found(scan_document(doc, Config(trusted_accounts=(OTHER,)))) == set()


def test_unconditional_deny_of_the_same_principal_neutralises_the_allow() -> None:
    principal = {"AWS": f"arn:aws:iam::{OTHER}:root"}
    doc = _trust(_allow(principal), {"Effect": "Deny", "Principal": principal, "Action": "sts:*"})
    assert _found(scan_document(doc)) == set()


def test_deny_only_trust_policy_is_clean() -> None:
    doc = _trust({"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"})
    assert _found(scan_document(doc)) == set()


def test_unquoted_twelve_digit_account_in_yaml_is_a_cross_account_principal(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # D.22
    path = tmp_path / "trust.yaml"
    path.write_text("Version: 2012-10-17\nStatement:\n  - Effect: Allow\n    Principal:\n      AWS: 444455556666\n"
                    "    Action: sts:AssumeRole\n")
    found = _found(scan([path]))
    assert {("IAMG-102", "$.Statement[0].Principal.AWS"), ("IAMG-103", "$.Statement[0].Principal.AWS")} <= found
    assert all(v.line == 5 for v in scan([path]).violations)


def test_tab_indented_json_parses(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # D.24: JSON is parsed as JSON first, so tabs are fine.
    path = tmp_path / "trust.json"
    path.write_text('{\n\t"Statement": [\n\t\t{\n\t\t\t"Effect": "Allow",\n\t\t\t"Principal": "*",\n'
                    '\t\t\t"Action": "sts:AssumeRole"\n\t\t}\n\t]\n}\n')
    report = scan([path])
    assert [(v.rule_id, v.line, v.column) for v in report.violations] == [("IAMG-101", 5, 4)]


def test_json_boolean_mfa_and_lower_case_keys_count() -> None:
    # D.59, D.61
    doc = _trust(_allow({"AWS": f"arn:aws:iam::{OTHER}:root"},
                        condition={"Bool": {"aws:multifactorauthpresent": True}, "StringEquals": {"STS:EXTERNALID": "x1"}}))
    found = {rule for rule, _ in _found(scan_document(doc, Config(trusted_accounts=(OTHER,))))}
    assert found == {"IAMG-105"}


def test_principal_org_paths_under_a_trusted_org_confine_a_wildcard() -> None:
    doc = _trust(_allow({"AWS": "*"}, condition={"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*"}}))
    assert _found(scan_document(doc, Config(trusted_org_ids=("o-a1b2c3d4e5",)))) == set()
    assert {rule for rule, _ in _found(scan_document(doc))} == {"IAMG-102"}


def test_same_account_id_in_another_partition_is_a_foreign_account() -> None:
    # D.56: accounts compare as (partition, account id); the role's partition comes from the loader.
    import json

    from pyiamguard.catalog import load_policy_set
    from pyiamguard.engine import Engine
    from pyiamguard.normalize.policy import NormalizeContext, normalize_policy

    policies = load_policy_set()
    data = json.loads(policies.data)
    data["pyiamguard"]["config"] = Config(own_accounts=(OWN,)).engine_data()
    engine = Engine(policies.modules, data, {r.package: r.entrypoint for r in policies.rules})
    doc = normalize_policy(_trust(_allow({"AWS": f"arn:aws-cn:iam::{OWN}:root"}, condition=EXT)),
                           context=NormalizeContext(partition="aws"))
    found = {(f["package"], doc.nodes[f["ref"]].path) for f in engine.evaluate(doc.engine_input)}
    principal = ("Statement", 0, "Principal", "AWS")
    assert {("iamg_102", principal), ("iamg_109", principal), ("iamg_105", principal)} <= found
    same = normalize_policy(_trust(_allow({"AWS": f"arn:aws:iam::{OWN}:root"}, condition=EXT)),
                            context=NormalizeContext(partition="aws"))
    assert {f["package"] for f in engine.evaluate(same.engine_input)} == {"iamg_105"}
