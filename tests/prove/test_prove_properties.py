"""`pyiamguard prove`: each built-in property proven or refuted on hand-written trusts, every
counterexample replayed through the model and through the concrete simulator."""
from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Any

import pytest

from pyiamguard import Config, Scanner
from pyiamguard.prove.prover import PROVEN, REFUTED, UNKNOWN, prove_document, prove_paths
from pyiamguard.simulate import Request, load_role, parse_principal, simulate

OWN = "111122223333"
VENDOR = "999988887777"
GITHUB = f"arn:aws:iam::{OWN}:oidc-provider/token.actions.githubusercontent.com"
CONFIG = Config(own_accounts=[OWN])


def write(tmp_path: Path, *statements: dict[str, Any], name: str = "trust.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=2), encoding="utf-8")
    return path


def answers(path: Path, config: Config = CONFIG, timeout_ms: int = 20_000) -> dict[str, Any]:
    (proof,), errors = prove_paths([str(path)], config, timeout_ms=timeout_ms)
    assert errors == []
    return {a.property: a for a in proof.answers}


def replays_through_simulate(path: Path, answer: Any) -> str:
    """The concrete simulator's decision on the counterexample (an independent implementation)."""
    request = answer.request
    principal = parse_principal(request.principal_arn if request.scope != "oidc" else
                                f"arn:aws:iam::{request.account or OWN}:oidc-provider/{request.issuer}")
    context = tuple((k, v) for k, values in request.context.items() for v in values
                    if k not in ("aws:principalarn", "aws:principalaccount", "aws:principaltype",
                                 "aws:multifactorauthpresent", "aws:multifactorauthage", "aws:currenttime",
                                 "aws:epochtime"))
    mfa = request.context.get("aws:multifactorauthpresent") == ["true"]
    role = load_role(str(path), CONFIG, f"arn:aws:iam::{OWN}:role/target")
    return simulate(role, Request(principal, action=request.action, mfa=mfa, context=context)).decision


def test_a_vendor_without_external_id_is_refuted_with_its_account(tmp_path: Path) -> None:
    path = write(tmp_path, {"Sid": "Vendor", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:root"},
                            "Action": "sts:AssumeRole"})
    found = answers(path)
    assert {name: a.verdict for name, a in found.items()} == {
        "not-public": PROVEN, "only-trusted": REFUTED, "external-id": REFUTED, "mfa": REFUTED,
        "oidc-subject": PROVEN, "oidc-approved": PROVEN}
    external = found["external-id"]
    assert external.request.account == VENDOR and external.request.action == "sts:AssumeRole"
    assert external.request.context.get("sts:externalid") in (None, ["pyiamguard-guessed-external-id"])
    assert external.statement == {"ref": external.statement["ref"], "label": "Statement 1", "file": str(path), "line": 4}
    assert external.words().startswith(f"REFUTED: principal arn:aws:") and ": ALLOW by Statement 1 (" in external.words()
    mfa = found["mfa"]
    assert mfa.request.scope in ("root", "user", "role", "assumed_role") and "true" not in mfa.request.context.get(
        "aws:multifactorauthpresent", [])
    for name in ("only-trusted", "external-id", "mfa"):
        assert replays_through_simulate(path, found[name]) == "ALLOW", name


def test_an_external_id_and_mfa_prove_the_vendor_properties(tmp_path: Path) -> None:
    path = write(tmp_path, {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:root"},
                            "Action": "sts:AssumeRole",
                            "Condition": {"StringEquals": {"sts:ExternalId": "7f3a9c2e"},
                                          "Bool": {"aws:MultiFactorAuthPresent": "true"}}})
    found = answers(path, Config(own_accounts=[OWN], trusted_accounts=[VENDOR]))
    assert {name: a.verdict for name, a in found.items()} == {name: PROVEN for name in found}


@pytest.mark.parametrize("condition, verdict", [
    ({"StringEquals": {"sts:ExternalId": "7f3a9c2e"}}, PROVEN),
    ({"StringEqualsIfExists": {"sts:ExternalId": "7f3a9c2e"}}, REFUTED),  # absent key: IfExists is true
    ({"StringLike": {"sts:ExternalId": "*"}}, REFUTED),                  # any guess matches
    ({"Null": {"sts:ExternalId": "false"}}, REFUTED),                    # present, any value
    ({"StringNotEquals": {"sts:ExternalId": "x"}}, REFUTED),             # negated: true when absent
])
def test_external_id_conditions(tmp_path: Path, condition: dict[str, Any], verdict: str) -> None:
    path = write(tmp_path, {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:role/reader"},
                            "Action": "sts:AssumeRole", "Condition": condition})
    answer = answers(path)["external-id"]
    assert answer.verdict == verdict
    if verdict == REFUTED:
        assert replays_through_simulate(path, answer) == "ALLOW"


def test_a_wildcard_is_public_and_an_organization_condition_is_not(tmp_path: Path) -> None:
    public = write(tmp_path, {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}, name="a.json")
    found = answers(public)
    assert found["not-public"].verdict == REFUTED
    assert found["not-public"].request.account not in (OWN, "")
    confined = write(tmp_path, {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
                                "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}, name="b.json")
    found = answers(confined, Config(own_accounts=[OWN], trusted_org_ids=["o-a1b2c3d4e5"]))
    assert (found["not-public"].verdict, found["only-trusted"].verdict) == (PROVEN, PROVEN)
    found = answers(confined)  # the same organization, not trusted
    assert (found["not-public"].verdict, found["only-trusted"].verdict) == (PROVEN, REFUTED)
    assert found["only-trusted"].request.context["aws:principalorgid"] == ["o-a1b2c3d4e5"]


def test_a_deny_without_mfa_proves_mfa(tmp_path: Path) -> None:
    path = write(tmp_path,
                 {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:root"}, "Action": "sts:AssumeRole",
                  "Condition": {"StringEquals": {"sts:ExternalId": "7f3a9c2e"}}},
                 {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
                  "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}})
    found = answers(path, Config(own_accounts=[OWN], require_mfa="all"))
    assert found["mfa"].verdict == PROVEN


def test_github_subjects(tmp_path: Path) -> None:
    def trust(sub: str | None, name: str) -> Path:
        condition: dict[str, Any] = {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}
        if sub is not None:
            condition["StringLike"] = {"token.actions.githubusercontent.com:sub": sub}
        return write(tmp_path, {"Effect": "Allow", "Principal": {"Federated": GITHUB},
                                "Action": "sts:AssumeRoleWithWebIdentity", "Condition": condition}, name=name)

    found = answers(trust(None, "none.json"))
    assert (found["oidc-subject"].verdict, found["oidc-approved"].verdict) == (REFUTED, REFUTED)
    found = answers(trust("repo:acme/app:ref:refs/heads/main", "pinned.json"))
    assert (found["oidc-subject"].verdict, found["oidc-approved"].verdict) == (PROVEN, PROVEN)
    found = answers(trust("repo:acme*", "prefix.json"))
    stranger = found["oidc-approved"]
    assert stranger.verdict == REFUTED
    (sub,) = stranger.request.context["token.actions.githubusercontent.com:sub"]
    assert sub.startswith("repo:acme") and not sub.startswith("repo:acme/")  # another organization: acme-x
    found = answers(trust("repo:acme/*", "org.json"))
    assert found["oidc-approved"].verdict == PROVEN
    approved = Config(own_accounts=[OWN], approved_oidc_subjects=["repo:acme/app:ref:refs/heads/main"])
    found = answers(trust("repo:acme/*", "org2.json"), approved)
    assert found["oidc-approved"].verdict == REFUTED  # another repository of the organization is not approved


def test_nobody_proves_a_dead_role(tmp_path: Path) -> None:
    dead = write(tmp_path, {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:root"},
                            "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": ""}}},
                 name="dead.json")
    (proof,), _ = prove_paths([str(dead)], CONFIG, ["nobody"])
    assert proof.answers[0].verdict == PROVEN  # STS takes 2 to 1224 characters: nobody sends ""
    alive = write(tmp_path, {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                             "Action": "sts:AssumeRole"}, name="alive.json")
    (proof,), _ = prove_paths([str(alive)], CONFIG, ["nobody"])
    assert proof.answers[0].verdict == REFUTED and proof.answers[0].request.service == "lambda.amazonaws.com"


def test_a_value_known_only_at_deployment_is_never_proven_on_a_guess(tmp_path: Path) -> None:
    template = tmp_path / "stack.yaml"
    template.write_text(
        "Parameters:\n  Partner: {Type: String}\n"
        "Resources:\n  Role:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n"
        "        Statement:\n          - Effect: Allow\n            Principal: {AWS: !Ref Partner}\n"
        "            Action: sts:AssumeRole\n", encoding="utf-8")
    (proof,), errors = prove_paths([str(template)], CONFIG)
    assert errors == [] and proof.unknowns
    verdicts = {a.property: a.verdict for a in proof.answers}
    # Who the partner is decides everything: nothing refuted on a guess, nothing proven that depends on it.
    assert verdicts["only-trusted"] == UNKNOWN and verdicts["external-id"] == UNKNOWN
    assert "known only at deployment" in next(a for a in proof.answers if a.property == "external-id").reason


def test_the_time_budget_gives_unknown_never_proven(tmp_path: Path) -> None:
    path = write(tmp_path, {"Effect": "Allow", "Principal": {"Federated": GITHUB},
                            "Action": "sts:AssumeRoleWithWebIdentity",
                            "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme*"}}})
    found = answers(path, timeout_ms=1)
    assert found["oidc-approved"].verdict in (UNKNOWN, REFUTED)  # never PROVEN: a stranger gets in
    assert all(a.verdict != UNKNOWN or a.reason.startswith("the solver gave up") for a in found.values())


def test_every_refutation_replays_through_the_model(tmp_path: Path) -> None:
    path = write(tmp_path, {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
                            "Condition": {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/deploy-*"}}})
    document = Scanner(CONFIG).inspect([str(path)]).documents[0]
    proof = prove_document(document, CONFIG)
    from pyiamguard.prove.model import RoleModel

    model = RoleModel(document.input, document.refs, own_account=OWN)
    refuted = [a for a in proof.answers if a.verdict == REFUTED]
    assert {a.property for a in refuted} >= {"not-public", "only-trusted", "external-id"}
    for answer in refuted:
        assert model.decide(answer.request)[0] == "ALLOW"
        # aws:PrincipalArn (a session's role ARN, else the caller's) matches the StringLike pattern,
        # however odd the names the solver picked (IAM paths may hold any printable character).
        (principal_arn,) = answer.request.context["aws:principalarn"]
        assert fnmatch.fnmatchcase(principal_arn, "arn:aws:iam::*:role/deploy-*")
