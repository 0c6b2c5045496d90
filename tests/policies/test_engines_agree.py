"""regopy (the product's engine) and real OPA agree on every rule, on real normalized input.

Each case is a raw IAM policy: a trust policy, with the facts of its role (`RoleFacts`: the
permissions that reach it, its boundary and max session) when the case gives them, or an
identity policy (`kind="identity"`, and `owner="role"` for an inline policy of a role outside
the scan). It is normalized with `normalize_policy`, evaluated with
`pyiamguard.engine.Engine` (regopy, modules and data from `load_policy_set()`) and with OPA
through ../shared/tools/opa_oracle.py (the same modules and data), and
- both engines must return the same findings (compared as canonical JSON, order ignored);
- the findings must be exactly the expected (rule package, ref) pairs.

Refs are the normalizer's: one counter over the document in source order. A statement with a
Principal and one Action gives s0 (statement), e1 (Principal element), p2.. (principals),
then the Action element, its action nodes and the conditions (c..). An identity statement
gives s0, its Action element e1, action nodes a2.., then its Resource element. The role
section follows the trust statements: the role r.., its max session m.., the boundary (when
there is one) and each permission q.. with its statements.

Cases with a `why` are regressions of rule bugs found here; the text says what once went wrong.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any, Callable

import pytest

from pyiamguard.assume_graph import AssumeGraph
from pyiamguard.catalog import load_policy_set
from pyiamguard.engine import Engine
from pyiamguard.loaders.iam import Identity
from pyiamguard.model import Location
from pyiamguard.normalize.policy import NormalizeContext, Permission, RoleFacts, normalize_policy
from pyiamguard.normalize.values import Unresolved

OWN = "111122223333"
FOREIGN = "444455556666"
GITHUB = f"arn:aws:iam::{OWN}:oidc-provider/token.actions.githubusercontent.com"
SAML = f"arn:aws:iam::{OWN}:saml-provider/Okta"
FOREIGN_ROOT = {"AWS": f"arn:aws:iam::{FOREIGN}:root"}
FOREIGN_ROLE = {"AWS": f"arn:aws:iam::{FOREIGN}:role/ci"}

# Configurations (merged over data.json's defaults).
OWN_CFG = {"own_accounts": [OWN]}
TRUSTED = {"own_accounts": [OWN], "trusted_accounts": [FOREIGN]}  # IAMG-102 silent for FOREIGN
INTERNAL = {**TRUSTED, "internal_accounts": [FOREIGN]}  # and IAMG-103


def trust(*statements: dict[str, Any]) -> dict[str, Any]:
    """A trust policy; one statement is written as an object, as the AWS docs often do."""
    return {"Version": "2012-10-17", "Statement": statements[0] if len(statements) == 1 else list(statements)}


def allow(principal: Any, condition: dict[str, Any] | None = None, action: Any = "sts:AssumeRole") -> dict[str, Any]:
    statement = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        statement["Condition"] = condition
    return statement


def deny(principal: Any, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement = {"Effect": "Deny", "Principal": principal, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return statement


# --- identity policies and role facts (IAMG-301..402) ------------------------------------------

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
ROLE_OWNED = NormalizeContext(owner="role")  # an inline policy of a role that is not in the scan
GITHUB_CONDITIONS = {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                     "StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/app:*"}}
# FOREIGN's role with an ExternalId under TRUSTED: externally assumable, no trust finding.
THIRD_PARTY = allow(FOREIGN_ROLE, {"StringEquals": {"sts:ExternalId": "s3cr3t"}})


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    """An identity policy document."""
    return {"Version": "2012-10-17", "Statement": list(statements)}


def grant(action: Any, resource: Any = "*", effect: str = "Allow", *, not_action: bool = False,
          not_resource: bool = False) -> dict[str, Any]:
    return {"Effect": effect, "NotAction" if not_action else "Action": action,
            "NotResource" if not_resource else "Resource": resource}


def managed(arn: Any, origin: str = "managed", at: int = 0) -> Permission:
    """A policy known by its ARN (AWS-managed, or customer-managed outside the scan)."""
    return Permission(origin, str(arn), ("Role", "ManagedPolicyArns", at), arn=arn)


def inline(document: Any, origin: str = "inline", at: int = 0) -> Permission:
    return Permission(origin, f"inline {at}", ("Role", "Policies", at, "PolicyDocument"), document=document)


def role(*permissions: Permission, boundary: Permission | None = None, max_session: Any = None) -> RoleFacts:
    return RoleFacts(base=("Role",), permissions=permissions, boundary=boundary, max_session=max_session,
                     max_session_path=("Role", "MaxSessionDuration"))


@dataclass(frozen=True)
class Case:
    id: str
    rule: str  # the rule package the case is about
    document: dict[str, Any]
    expected: frozenset[tuple[str, str]]  # every (package, ref) that must fire, and nothing else
    config: dict[str, Any] = field(default_factory=dict)
    context: NormalizeContext = NormalizeContext()
    kind: str | None = None  # None: detected (a trust policy here); "identity" for permission policies
    role: RoleFacts | None = None  # the facts of the trust policy's role
    why: str = ""
    engine_input: dict[str, Any] | None = None  # a ready input (IAMG-501 pairs), not normalized here


def case(id: str, document: dict[str, Any], *expected: tuple[str, str], **kw: Any) -> Case:
    return Case(id=id, rule="iamg_" + id[:3], document=document, expected=frozenset(expected), **kw)


CALLER = f"arn:aws:iam::{OWN}:role/ci-runner"
TARGET = f"arn:aws:iam::{FOREIGN}:role/deployer"


def assume_pair(caller_facts: RoleFacts, target_trust: dict[str, Any], caller: str = CALLER,
                target: str = TARGET) -> dict[str, Any]:
    """The IAMG-501 engine input the scan builds for a caller role and a target role.

    Graph refs count over both roles: the target's trust statements and principals first
    (t0, p1), then the caller's (t2, p3), then its grants (g4..), as AssumeGraph.add numbers
    them."""
    graph = AssumeGraph()
    for arn, document, facts in ((target, target_trust, role()), (caller, trust(allow({"Service": "ec2.amazonaws.com"})),
                                                                  caller_facts)):
        normalized = normalize_policy(document, kind="trust", role=facts)
        graph.add(Identity(arn, "role"), arn, "scan.json", normalized, lambda ref: lambda: Location("scan.json"),
                  lambda ref: ref, lambda ref: ref)
    pairs = [document for c, t, document in graph.pairs() if c.identity.arn == caller and t.identity.arn == target]
    assert len(pairs) == 1, "the graph must pair the caller with the target"
    return pairs[0]


def pair_case(id: str, facts: RoleFacts, target_trust: dict[str, Any], *expected: tuple[str, str],
              why: str = "", **kw: Any) -> Case:
    return case(id, {}, *expected, engine_input=assume_pair(facts, target_trust, **kw), why=why)


ASSUME_TARGET = policy(grant("sts:AssumeRole", TARGET))


CASES = [
    # --- Amendments (December 2026) -------------------------------------------------------
    case("112-github-key-on-eks",
         trust(allow({"Federated": f"arn:aws:iam::{OWN}:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/5C1D8A6E"},
                     {"StringEquals": {"token.actions.githubusercontent.com:sub": "system:serviceaccount:a:b"}},
                     action="sts:AssumeRoleWithWebIdentity")),
         ("iamg_112", "c5"), config=OWN_CFG),
    case("112-placeholder-key",
         trust(allow({"Federated": f"arn:aws:iam::{OWN}:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/5C1D8A6E"},
                     {"StringEquals": {"$oidc_provider:sub": "system:serviceaccount:a:b"}},
                     action="sts:AssumeRoleWithWebIdentity")),
         ("iamg_112", "c5"), config=OWN_CFG),
    case("112-mfa-on-service",
         trust(allow({"Service": "lambda.amazonaws.com"}, {"Bool": {"aws:MultiFactorAuthPresent": "true"}})),
         ("iamg_112", "c5")),
    case("112-clean-mfa-on-account",
         trust(allow({"AWS": f"arn:aws:iam::{OWN}:root"}, {"Bool": {"aws:MultiFactorAuthPresent": "true"}})),
         ("iamg_105", "p2"), config=OWN_CFG),
    case("102-clean-deny-outside-your-accounts",
         trust(allow(FOREIGN_ROOT), deny("*", {"StringNotEquals": {"aws:PrincipalAccount": OWN}})), config=OWN_CFG),
    case("103-clean-other-own-account", trust(allow(FOREIGN_ROLE)),
         config={"own_accounts": [OWN, FOREIGN]}),
    case("105-clean-named-role-with-parameter-account",
         trust(allow({"AWS": "arn:aws:iam::${TrustedAccount}:root"},
                     {"StringEquals": {"aws:PrincipalArn": "arn:aws:iam::${TrustedAccount}:role/deployer"}})),
         ("iamg_001", "u3"), ("iamg_001", "u6"), ("iamg_103", "p2"), config=OWN_CFG),
    case("001-clean-external-id-placeholder",
         trust(allow(FOREIGN_ROLE, {"StringEquals": {"sts:ExternalId": "${ExternalId}"}})),
         ("iamg_102", "p2"), config=OWN_CFG),
    # IAMG-001: never a silent pass.
    # An account root whose account is a placeholder is still a whole foreign account.
    case("001-unresolved-principal", trust(allow({"AWS": "arn:aws:iam::${TrustedAccount}:root"})),
         ("iamg_001", "u3"), ("iamg_103", "p2"), ("iamg_104", "p2"), ("iamg_105", "p2")),
    # An unknown SourceAccount decides IAMG-110: IAMG-001 reports it and IAMG-110 does not guess;
    # an unknown region decides nothing.
    case("001-unresolved-condition",
         trust(allow({"Service": "sns.amazonaws.com"},
                     {"StringEquals": {"aws:SourceAccount": "${AWS::AccountId}", "aws:RequestedRegion": "${Region}"}})),
         ("iamg_001", "u5")),
    case("001-clean", trust(allow({"Service": "sns.amazonaws.com"},
                                  {"StringEquals": {"aws:SourceAccount": OWN, "aws:RequestedRegion": "eu-west-1"}}))),
    # IAMG-002
    case("002-missing-effect-unknown-version",
         {"Version": "2012-10-18", "Statement": [{"Principal": {"Service": "sns.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
         ("iamg_002", "x0"), ("iamg_002", "x2")),
    case("002-principal-and-not-principal",
         trust({**allow({"Service": "ec2.amazonaws.com"}), "NotPrincipal": {"AWS": f"arn:aws:iam::{FOREIGN}:role/x"}}),
         ("iamg_002", "x1")),
    case("002-clean", trust(allow({"Service": "ec2.amazonaws.com"}))),
    # IAMG-101 (D.37-D.50, D.82)
    case("101-star-string", trust(allow("*")), ("iamg_101", "p2")),
    case("101-star-hidden-in-list", trust(allow({"AWS": [f"arn:aws:iam::{OWN}:root", "*"]})),
         ("iamg_101", "p3"), ("iamg_105", "p2"), config=OWN_CFG),
    case("101-service-star-sts-wildcard", trust(allow({"Service": "*"}, action="sts:*")),
         ("iamg_101", "p2"), ("iamg_107", "e3")),
    case("101-org-id-if-exists", trust(allow({"AWS": "*"}, {"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-abc123"}})),
         ("iamg_101", "p2"), ("iamg_108", "c5")),
    case("101-org-id-for-all-values",
         trust(allow({"AWS": "*"}, {"ForAllValues:StringEquals": {"aws:PrincipalOrgID": "o-abc123"}})),
         ("iamg_101", "p2"), ("iamg_108", "c5")),
    case("101-principal-arn-any-account",
         trust(allow({"AWS": "*"}, {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/deployer"}})),
         ("iamg_101", "p2")),
    case("101-clean-trusted-org", trust(allow({"AWS": "*"}, {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}})),
         config={"trusted_org_ids": ["o-abc123"]}),
    case("101-clean-self-assume",
         trust(allow({"AWS": "*"}, {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{OWN}:role/self"}})), config=OWN_CFG),
    case("101-clean-deny-outside-org",
         trust(allow({"AWS": "*"}), deny("*", {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}})),
         config={"trusted_org_ids": ["o-abc123"]}),
    case("101-deny-any-account-principal-arn",
         trust(allow({"AWS": "*"}), deny("*", {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/deployer"}})),
         ("iamg_101", "p2"),
         why="a Deny whose aws:PrincipalArn has a wildcard account confines nothing (D.82)"),
    case("101-deny-of-another-action",
         trust(allow("*", action="sts:AssumeRoleWithWebIdentity"),
               deny("*", {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}})),
         ("iamg_101", "p2"), config={"trusted_org_ids": ["o-abc123"]},
         why="a Deny covering sts:AssumeRole only does not restrict an Allow of the web identity action (C.6.2)"),
    # IAMG-102 (C.5.5, C.7, D.41-D.42, D.83)
    case("102-bare-account-id", trust(allow({"AWS": FOREIGN}, {"StringEquals": {"sts:ExternalId": "s3cr3t"}})),
         ("iamg_102", "p2"), ("iamg_105", "p2"), config=OWN_CFG),
    case("102-govcloud-same-number",
         trust(allow({"AWS": f"arn:aws-us-gov:iam::{OWN}:role/ci"}, {"StringEquals": {"sts:ExternalId": "s3cr3t"}})),
         ("iamg_102", "p2"), ("iamg_109", "p2"), context=NormalizeContext(own_accounts=(OWN,), partition="aws")),
    case("102-principal-account-condition",
         trust(allow({"AWS": "*"}, {"StringEquals": {"aws:PrincipalAccount": [OWN, FOREIGN], "sts:ExternalId": "s3cr3t"}})),
         ("iamg_102", "c5"), config=OWN_CFG),
    case("102-clean-trusted", trust(allow(FOREIGN_ROLE, {"StringEquals": {"sts:ExternalId": "s3cr3t"}})), config=TRUSTED),
    case("102-deny-confines-to-foreign-account",
         trust(allow({"AWS": "*"}), deny("*", {"StringNotEquals": {"aws:PrincipalAccount": FOREIGN}})),
         ("iamg_102", "c10"), ("iamg_103", "c10"), ("iamg_104", "c10"), config=OWN_CFG,
         why="a wildcard confined by a Deny must yield the account it admits as an effective principal, "
             "as its Allow-side twin 102-principal-account-condition does"),
    # IAMG-103 (C.5.2, D.52-D.53, D.57-D.59)
    case("103-external-id-wildcard", trust(allow(FOREIGN_ROLE, {"StringLike": {"sts:ExternalId": "*"}})),
         ("iamg_103", "p2"), ("iamg_108", "c5"), config=TRUSTED),
    case("103-external-id-null", trust(allow(FOREIGN_ROLE, {"Null": {"sts:ExternalId": "false"}})),
         ("iamg_103", "p2"), ("iamg_108", "c5"), config=TRUSTED),
    case("103-not-action-saml",
         trust({"Effect": "Allow", "Principal": FOREIGN_ROLE, "NotAction": "sts:AssumeRoleWithSAML"}),
         ("iamg_103", "p2"), ("iamg_107", "e3"), config=TRUSTED),
    case("103-clean-lower-case-key-with-sts-star",
         trust(allow(FOREIGN_ROLE, {"StringEquals": {"sts:externalid": "s3cr3t"}}, action="sts:*")),
         ("iamg_107", "e3"), config=TRUSTED),
    case("103-clean-deny-without-external-id",
         trust(allow(FOREIGN_ROLE), deny("*", {"StringNotEquals": {"sts:ExternalId": "s3cr3t"}})), config=TRUSTED),
    case("103-clean-internal-account", trust(allow(FOREIGN_ROLE)), config=INTERNAL),
    # IAMG-104 (C.5.3, D.60-D.64)
    case("104-bool-if-exists", trust(allow(FOREIGN_ROOT, {"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}})),
         ("iamg_104", "p2"), ("iamg_105", "p2"), ("iamg_108", "c5"), config=INTERNAL),
    case("104-require-all-role", trust(allow(FOREIGN_ROLE)), ("iamg_104", "p2"), config={**INTERNAL, "require_mfa": "all"}),
    case("104-clean-json-bool-true", trust(allow(FOREIGN_ROOT, {"Bool": {"aws:MultiFactorAuthPresent": True}})),
         ("iamg_105", "p2"), config=INTERNAL),
    case("104-clean-deny-without-mfa",
         trust(allow(FOREIGN_ROOT), deny(FOREIGN_ROOT, {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}})),
         ("iamg_105", "p2"), config=INTERNAL),
    case("104-clean-require-off", trust(allow(FOREIGN_ROOT)), ("iamg_105", "p2"), config={**INTERNAL, "require_mfa": "off"}),
    case("104-clean-people-external-id", trust(allow({"AWS": FOREIGN}, {"StringEquals": {"sts:ExternalId": "s3cr3t"}})),
         ("iamg_105", "p2"), config=TRUSTED),
    case("104-principal-arn-user",
         trust(allow({"AWS": "*"}, {"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{FOREIGN}:user/alice"}})),
         ("iamg_104", "c5"), config=INTERNAL,
         why="a user named by aws:PrincipalArn is a person: require_mfa people must cover it"),
    # IAMG-105 (C.5.4, D.41-D.42, D.48)
    case("105-own-root-low", trust(allow({"AWS": f"arn:aws:iam::{OWN}:root"})), ("iamg_105", "p2"), config=OWN_CFG),
    case("105-china-root",
         trust(allow({"AWS": f"arn:aws-cn:iam::{FOREIGN}:root"},
                     {"StringEquals": {"sts:ExternalId": "s3cr3t"}, "Bool": {"aws:MultiFactorAuthPresent": "true"}})),
         ("iamg_105", "p2"), config=TRUSTED),
    case("105-clean-narrowed-by-principal-arn",
         trust(allow(FOREIGN_ROOT, {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{FOREIGN}:role/x"},
                                    "StringEquals": {"sts:ExternalId": "s3cr3t"}})),
         config=TRUSTED),
    # IAMG-106 (D.55)
    case("106-allow-not-principal",
         trust({"Effect": "Allow", "NotPrincipal": {"AWS": f"arn:aws:iam::{FOREIGN}:role/x"}, "Action": "sts:AssumeRole"}),
         ("iamg_106", "e1")),
    case("106-clean-deny-not-principal",
         trust(allow({"Service": "ec2.amazonaws.com"}),
               {"Effect": "Deny", "NotPrincipal": {"AWS": f"arn:aws:iam::{OWN}:role/admin"}, "Action": "sts:AssumeRole"}),
         ("iamg_002", "x8")),
    # IAMG-107 (D.52)
    case("107-star-action", trust(allow({"Service": "ec2.amazonaws.com"}, action="*")), ("iamg_107", "e3")),
    case("107-clean-assume-wildcard", trust(allow({"Service": "ec2.amazonaws.com"}, action=["sts:Assume*", "sts:TagSession"]))),
    # IAMG-108 (D.65-D.69)
    case("108-for-all-values-sub-literal-wildcard-aud",
         trust(allow({"Federated": GITHUB},
                     {"ForAllValues:StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/app:*"},
                      "StringEquals": {"token.actions.githubusercontent.com:aud": "*"}},
                     action="sts:AssumeRoleWithWebIdentity")),
         ("iamg_108", "c5"), ("iamg_108", "c6")),
    case("108-not-like-sub-odd-casing",
         trust(allow({"Federated": GITHUB}, {"StringNotLike": {"Token.Actions.GithubUserContent.com:SUB": "repo:evil/*"}},
                     action="sts:AssumeRoleWithWebIdentity")),
         ("iamg_108", "c5"), ("iamg_201", "p2"), ("iamg_203", "p2")),
    case("108-clean",
         trust(allow({"Federated": GITHUB},
                     {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/*"},
                      "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}},
                     action="sts:AssumeRoleWithWebIdentity"))),
    # IAMG-109 (D.43-D.46)
    case("109-partial-wildcard", trust(allow({"AWS": f"arn:aws:iam::{OWN}:role/*"})),
         ("iamg_101", "p2"), ("iamg_109", "p2"), config=OWN_CFG),
    case("109-stale-unique-id-and-canonical-user",
         trust(allow({"AWS": "AROAEXAMPLEID1234567",
                      "CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"})),
         ("iamg_109", "p2"), ("iamg_109", "p3"), config=OWN_CFG),
    case("109-clean-assumed-role", trust(allow({"AWS": f"arn:aws:sts::{OWN}:assumed-role/r/s"})), config=OWN_CFG),
    # IAMG-110 (D.51, D.73-D.74)
    case("110-two-allows-ored",
         trust(allow({"Service": "sns.amazonaws.com"}, {"StringEquals": {"aws:SourceAccount": OWN}}),
               allow({"Service": "sns.amazonaws.com"})),
         ("iamg_110", "p8")),
    case("110-clean-source-arn-with-wildcards",
         trust(allow({"Service": "ssm-incidents.amazonaws.com"},
                     {"ArnLike": {"aws:SourceArn": f"arn:aws:ssm-incidents:*:{OWN}:incident-record/x/*"}}))),
    case("110-clean-exempt-services", trust(allow({"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]}))),
    # IAMG-111 (C.3)
    case("111-oidc-with-assume-role",
         trust(allow({"Federated": GITHUB}, {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/*"}})),
         ("iamg_111", "p2")),
    case("111-saml-with-web-identity", trust(allow({"Federated": SAML}, action="sts:AssumeRoleWithWebIdentity")),
         ("iamg_111", "p2")),
    case("111-clean-saml",
         trust(allow({"Federated": SAML}, {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
                     action=["sts:AssumeRoleWithSAML", "sts:TagSession"]))),
    # IAMG-201 (C.5.7)
    case("201-github-audience-only",
         trust(allow({"Federated": GITHUB}, {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}},
                     action="sts:AssumeRoleWithWebIdentity")),
         ("iamg_201", "p2")),
    case("201-clean-github-subject", trust(allow({"Federated": GITHUB}, GITHUB_CONDITIONS, action="sts:AssumeRoleWithWebIdentity"))),
    # IAMG-202 (C.5.7)
    case("202-repo-star-among-values",
         trust(allow({"Federated": GITHUB},
                     {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                      "StringLike": {"token.actions.githubusercontent.com:sub": ["repo:acme/app:*", "repo:*"]}},
                     action="sts:AssumeRoleWithWebIdentity")),
         ("iamg_202", "c6")),
    case("202-clean-organization-with-slash",
         trust(allow({"Federated": GITHUB},
                     {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                      "StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/*"}},
                     action="sts:AssumeRoleWithWebIdentity"))),
    # IAM's `*` crosses dots and reads glob syntax literally (issue "Adversarial input").
    case("202-clean-approved-pattern-crosses-dots",
         trust(allow({"Federated": GITHUB},
                     {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                      "StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/app.web:*"}},
                     action="sts:AssumeRoleWithWebIdentity")),
         config={"approved_oidc_subjects": ["repo:acme/*"]},
         why="glob.match read `.` as a delimiter that `*` does not cross: an approved `repo:acme/*` did not "
             "approve the repository app.web"),
    case("202-approved-braces-are-literal",
         trust(allow({"Federated": GITHUB},
                     {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                      "StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/app:*"}},
                     action="sts:AssumeRoleWithWebIdentity")),
         ("iamg_202", "c6"), config={"approved_oidc_subjects": ["repo:acme/{app,web}:*"]},
         why="glob.match read `{app,web}` as alternatives (and `[z-a]` failed the rule); IAM reads them literally"),
    # IAMG-203
    case("203-saml-without-audience", trust(allow({"Federated": SAML}, action="sts:AssumeRoleWithSAML")), ("iamg_203", "p2")),
    case("203-clean-saml-audience",
         trust(allow({"Federated": SAML}, {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
                     action="sts:AssumeRoleWithSAML"))),
    # IAMG-301 (C.5.8, D.75-D.78)
    case("301-administrator-access-any-principal", trust(allow("*")),
         ("iamg_101", "p2"), ("iamg_301", "q7"), role=role(managed(ADMIN))),
    case("301-govcloud-administrator-access-third-party", trust(THIRD_PARTY),
         ("iamg_301", "q8"), config=TRUSTED, role=role(managed("arn:aws-us-gov:iam::aws:policy/AdministratorAccess"))),
    case("301-not-action-github",
         trust(allow({"Federated": GITHUB}, GITHUB_CONDITIONS, action="sts:AssumeRoleWithWebIdentity")),
         ("iamg_301", "q9"), ("iamg_304", "q9"), config=OWN_CFG, role=role(inline(policy(grant("iam:*", not_action=True))))),
    case("301-unresolved-boundary-caps-nothing", trust(THIRD_PARTY),
         ("iamg_001", "u9"), ("iamg_301", "q10"), config=TRUSTED,
         role=role(managed(ADMIN), boundary=managed(Unresolved("aws_iam_policy.boundary.arn"), "boundary"))),
    case("301-clean-capped-by-boundary", trust(THIRD_PARTY), config=TRUSTED,
         role=role(managed(ADMIN), boundary=managed("arn:aws:iam::aws:policy/PowerUserAccess", "boundary"))),
    case("301-clean-deny-everything", trust(THIRD_PARTY), config=TRUSTED,
         role=role(inline(policy(grant("*"), grant("*", effect="Deny")))),
         why="a Deny of * on * without conditions cancels the policy (C.6): IAMG-301 honours it, but IAMG-302 "
             "then fired on the Allow's * as an escalation (action *)"),
    case("301-deny-everything-in-another-policy", trust(THIRD_PARTY), config=TRUSTED,
         role=role(managed(ADMIN), inline(policy(grant("*", effect="Deny")), at=1)),
         why="an explicit Deny in any policy of the role overrides AdministratorAccess (C.6); it was only "
             "looked for inside the admin policy itself"),
    case("301-allow-not-principal",
         trust({"Effect": "Allow", "NotPrincipal": {"AWS": f"arn:aws:iam::{OWN}:role/admin"}, "Action": "sts:AssumeRole"}),
         ("iamg_106", "e1"), ("iamg_301", "q7"), config=OWN_CFG, role=role(managed(ADMIN)),
         why="Allow + NotPrincipal admits everyone but the named principals, a wildcard for risk (C.5.10): "
             "the role is externally assumable (IAMG-303 fired instead of IAMG-301)"),
    # IAMG-302 (C.5.8)
    case("302-pass-role-and-put-wildcard", trust(THIRD_PARTY),
         ("iamg_302", "q8"), config=TRUSTED,
         role=role(inline(policy(grant(["s3:GetObject", "iam:PassRole", "iam:Put*"]))))),
    case("302-clean-pass-role-on-one-role", trust(THIRD_PARTY), config=TRUSTED,
         role=role(inline(policy(grant(["iam:PassRole", "iam:*Policy"], f"arn:aws:iam::{OWN}:role/app"))))),
    case("302-pass-role-by-question-mark-and-star", trust(THIRD_PARTY),
         ("iamg_302", "q8"), config=TRUSTED, role=role(inline(policy(grant(["iam:P?ss*"]))))),
    case("302-clean-braces-are-literal", trust(THIRD_PARTY), config=TRUSTED,
         role=role(inline(policy(grant(["iam:{Pass,Put}Role", "iam:[P]assRole"])))),
         why="glob.match read `{Pass,Put}` as alternatives: an action IAM matches to nothing was an escalation"),
    # IAMG-303 (C.5.8)
    case("303-service-role-with-administrator-access", trust(allow({"Service": "ec2.amazonaws.com"})),
         ("iamg_303", "q7"), role=role(managed(ADMIN))),
    case("303-role-inline-policy-outside-the-scan", policy(grant("*")),
         ("iamg_303", "s0"), ("iamg_304", "e3"), kind="identity", context=ROLE_OWNED),
    case("303-cross-account-confined-to-trusted-org",
         trust(allow(FOREIGN_ROLE, {"StringEquals": {"aws:PrincipalOrgID": "o-trusted1", "sts:ExternalId": "s3cr3t"}})),
         ("iamg_303", "q9"), config={**OWN_CFG, "trusted_org_ids": ["o-trusted1"]}, role=role(managed(ADMIN)),
         why="a cross-account principal confined to a trusted organization is not external (rules spec, "
             "externally assumable role); it made the role externally assumable (IAMG-301)"),
    case("303-clean-service-role-read-only", trust(allow({"Service": "ec2.amazonaws.com"})),
         role=role(managed("arn:aws:iam::aws:policy/ReadOnlyAccess"), inline(policy(grant("s3:*", "arn:aws:s3:::data/*")), at=1))),
    # IAMG-304 (C.5.9, D.79)
    case("304-assume-role-on-star-among-roles", policy(grant("sts:AssumeRole", [f"arn:aws:iam::{OWN}:role/S3Access", "*"])),
         ("iamg_304", "e3"), kind="identity"),
    case("304-any-account", policy(grant("sts:Assume*", "arn:aws:iam::*:role/*")),
         ("iamg_304", "e3"), kind="identity"),
    # Amendments: one named role in every account is the pipeline pattern; admin is an assume grant.
    case("304-clean-named-role-in-any-account", policy(grant("sts:Assume*", "arn:aws:iam::*:role/deployer")),
         kind="identity"),
    case("304-star-on-star", policy(grant("*", "*")), ("iamg_304", "e3"), kind="identity"),
    case("304-every-role-of-an-account", policy(grant(["sts:AssumeRole", "sts:TagSession"], f"arn:aws:iam::{OWN}:role/*")),
         ("iamg_304", "e4"), kind="identity"),
    case("304-not-action", policy(grant("s3:*", not_action=True)), ("iamg_304", "e3"), kind="identity"),
    case("304-not-resource", policy(grant("sts:AssumeRole", f"arn:aws:iam::{OWN}:role/admin", not_resource=True)),
         ("iamg_304", "e3"), kind="identity",
         why="a NotResource statement must give the not_resource form; any_role() had two outputs for it "
             "(eval_conflict_error in OPA, an evaluation error in regopy)"),
    case("304-star-action-on-roles-of-any-account", policy(grant("*", "arn:aws:iam::*:role/*")),
         ("iamg_304", "e3"), kind="identity",
         why="Action * on role ARNs is not admin (not on *), yet it assumes any role; * was left to the admin rules "
             "whatever the resource"),
    case("304-clean-name-prefix", policy(grant("sts:AssumeRole", f"arn:aws:iam::{OWN}:role/deploy-*")), kind="identity"),
    case("304-star-action", policy(grant("*")), ("iamg_304", "e3"), kind="identity"),
    # A Deny of assuming outside named roles confines an Allow on "*" (the guardrail pattern).
    case("304-clean-confined-by-deny", policy(grant("sts:AssumeRole", "*"),
                                              grant("sts:AssumeRole", [f"arn:aws:iam::{OWN}:role/deployer"], "Deny",
                                                    not_resource=True)), kind="identity"),
    case("304-deny-outside-every-role-confines-nothing",
         policy(grant("sts:AssumeRole", "*"), grant("sts:AssumeRole", [f"arn:aws:iam::{OWN}:role/*"], "Deny",
                                                    not_resource=True)), ("iamg_304", "e3"), kind="identity"),
    # IAMG-401 (C.5.11, D.80-D.81)
    case("401-twelve-hours-github",
         trust(allow({"Federated": GITHUB}, GITHUB_CONDITIONS, action="sts:AssumeRoleWithWebIdentity")),
         ("iamg_401", "m8"), config=OWN_CFG, role=role(max_session=43200)),
    case("401-out-of-range-string", trust(THIRD_PARTY),
         ("iamg_002", "x8"), ("iamg_401", "m7"), config=TRUSTED, role=role(max_session="50000")),
    case("401-clean-limit-raised", trust(THIRD_PARTY), config={**TRUSTED, "max_session_seconds": 43200},
         role=role(max_session=43200)),
    case("401-clean-one-hour-string", trust(THIRD_PARTY), config=TRUSTED, role=role(max_session="3600")),
    # IAMG-402
    case("402-required-and-missing", trust(THIRD_PARTY), ("iamg_402", "r6"),
         config={**TRUSTED, "require_permissions_boundary": True}, role=role()),
    case("402-boundary-not-allowed", trust(THIRD_PARTY), ("iamg_402", "q8"),
         config={**TRUSTED, "require_permissions_boundary": True,
                 "allowed_permissions_boundaries": [f"arn:aws:iam::{OWN}:policy/Boundary"]},
         role=role(boundary=managed("arn:aws:iam::aws:policy/PowerUserAccess", "boundary"))),
    case("402-clean-allowed-boundary", trust(THIRD_PARTY),
         config={**TRUSTED, "require_permissions_boundary": True,
                 "allowed_permissions_boundaries": [f"arn:aws:iam::{OWN}:policy/Boundary"]},
         role=role(boundary=managed(f"arn:aws:iam::{OWN}:policy/Boundary", "boundary"))),
    case("402-clean-off-by-default", trust(THIRD_PARTY), config=TRUSTED, role=role()),
    # IAMG-501, on the pairs the scan builds. The caller's grant aims at a role whose trust
    # admits only a service: the grant's Resource is the finding.
    pair_case("501-untrusted-caller", role(inline(ASSUME_TARGET)), trust(allow({"Service": "ec2.amazonaws.com"})),
              ("iamg_501", "g4")),
    # A wildcard in the role name still aims at roles; sts:* covers AssumeRole.
    pair_case("501-untrusted-caller-pattern", role(inline(policy(grant("sts:*", f"arn:aws:iam::{FOREIGN}:role/deploy*")))),
              trust(allow({"AWS": f"arn:aws:iam::{FOREIGN}:role/other"})), ("iamg_501", "g4")),
    pair_case("501-clean-caller-account-trusted", role(inline(ASSUME_TARGET)), trust(allow({"AWS": OWN}))),
    pair_case("501-clean-caller-named", role(inline(ASSUME_TARGET)), trust(allow({"AWS": CALLER}))),
    pair_case("501-clean-caller-sessions-named", role(inline(ASSUME_TARGET)),
              trust(allow({"AWS": f"arn:aws:sts::{OWN}:assumed-role/ci-runner/build"}))),
    pair_case("501-clean-unresolved-principal", role(inline(ASSUME_TARGET)),
              trust(allow({"AWS": Unresolved("${Trusted}", "a parameter without a default")}))),
    # The trust names the caller, whose policies (all known) never allow assuming the role.
    pair_case("501-untrusted-permission", role(inline(policy(grant("s3:GetObject", "*")))),
              trust(allow({"AWS": CALLER})), ("iamg_501", "p1")),
    pair_case("501-untrusted-permission-other-role-granted",
              role(inline(policy(grant("sts:AssumeRole", f"arn:aws:iam::{FOREIGN}:role/reader")))),
              trust(allow({"AWS": CALLER})), ("iamg_501", "p1")),
    pair_case("501-clean-permission-by-wildcard", role(inline(policy(grant("sts:AssumeRole", "*")))),
              trust(allow({"AWS": CALLER}))),
    pair_case("501-clean-permission-not-resource", role(inline(policy(grant("sts:AssumeRole", "arn:aws:s3:::x",
                                                                              not_resource=True)))),
              trust(allow({"AWS": CALLER}))),
    # An AWS-managed policy may grant it: unknown is not absent.
    pair_case("501-clean-aws-managed-caller-policy", role(managed("arn:aws:iam::aws:policy/PowerUserAccess")),
              trust(allow({"AWS": CALLER}))),
    # In one account a trust that names the caller's ARN needs no identity grant.
    pair_case("501-clean-same-account-named", role(inline(policy(grant("s3:GetObject", "*")))),
              trust(allow({"AWS": CALLER})), target=f"arn:aws:iam::{OWN}:role/deployer"),
    # Amendments: the trust side's conditions and Deny statements, the caller's boundary.
    pair_case("501-wildcard-narrowed-to-another-role", role(inline(ASSUME_TARGET)),
              trust(allow({"AWS": "*"}, {"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{OWN}:role/auditor"}})),
              ("iamg_501", "g4")),
    pair_case("501-clean-wildcard-narrowed-to-the-caller", role(inline(ASSUME_TARGET)),
              trust(allow({"AWS": "*"}, {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{OWN}:role/ci-*"}}))),
    pair_case("501-trust-denies-the-caller", role(inline(ASSUME_TARGET)),
              trust(allow({"AWS": OWN}), deny({"AWS": CALLER})), ("iamg_501", "g6")),
    pair_case("501-grant-pattern-crosses-dots", role(inline(policy(grant("sts:AssumeRole", f"arn:aws:iam::{FOREIGN}:role/ops*")))),
              trust(allow({"Service": "ec2.amazonaws.com"})), ("iamg_501", "g4"),
              target=f"arn:aws:iam::{FOREIGN}:role/ops.admin",
              why="glob.match stopped `*` at the dot: a grant on role/ops* did not reach role/ops.admin"),
    # The trust names the caller, whose only grant is on role/[d]eployer: a name IAM reads
    # literally, so no grant allows assuming role/deployer.
    pair_case("501-brackets-in-the-grant-are-literal",
              role(inline(policy(grant("sts:AssumeRole", f"arn:aws:iam::{FOREIGN}:role/[d]eployer")))),
              trust(allow({"AWS": CALLER})), ("iamg_501", "p1")),
    pair_case("501-boundary-blocks-the-permission",
              role(inline(ASSUME_TARGET), boundary=inline(policy(grant("s3:*", "*")), origin="boundary", at=9)),
              trust(allow({"AWS": CALLER})), ("iamg_501", "p1")),
]


def _canonical(findings: Any) -> list[str]:
    return sorted(json.dumps(f, sort_keys=True, separators=(",", ":")) for f in findings)


@pytest.fixture(scope="module")
def evaluate(opa_oracle: Any) -> Callable[[Case], tuple[list[str], list[str]]]:
    """(regopy findings, OPA findings) of a case, as sorted canonical JSON; engines are built
    once per configuration and results memoized per case."""
    policy = load_policy_set()
    packages = {r.package: r.entrypoint for r in policy.rules}
    engines: dict[str, tuple[Engine, Any]] = {}
    results: dict[str, tuple[list[str], list[str]]] = {}

    def engines_for(config: dict[str, Any]) -> tuple[Engine, Any]:
        key = json.dumps(config, sort_keys=True)
        if key not in engines:
            data = json.loads(policy.data)
            data["pyiamguard"]["config"].update(copy.deepcopy(config))
            opa = opa_oracle.engine()
            for name, source in policy.modules:
                opa.add_policy(name, source)
            opa.add_data(data)
            engines[key] = (Engine(policy.modules, data, packages), opa)
        return engines[key]

    def run(c: Case) -> tuple[list[str], list[str]]:
        if c.id not in results:
            document = c.engine_input if c.engine_input is not None else normalize_policy(
                copy.deepcopy(c.document), kind=c.kind, context=c.context, role=c.role).engine_input
            regopy_engine, opa = engines_for(c.config)
            bindings = opa.eval_query("findings := data.pyiamguard.main.findings", document)
            assert len(bindings) == 1, f"OPA: data.pyiamguard.main.findings is undefined: {bindings}"
            results[c.id] = (_canonical(regopy_engine.evaluate(document)), _canonical(bindings[0]["findings"]))
        return results[c.id]

    return run


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.id)
def test_engines_agree(c: Case, evaluate: Callable[[Case], tuple[list[str], list[str]]]) -> None:
    regopy_findings, opa_findings = evaluate(c)
    assert regopy_findings == opa_findings


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.id)
def test_expected_findings(c: Case, evaluate: Callable[[Case], tuple[list[str], list[str]]]) -> None:
    regopy_findings, _ = evaluate(c)
    fired = {(f["package"], f["ref"]) for f in map(json.loads, regopy_findings)}
    message = f"regression: {c.why}" if c.why else "unexpected findings"
    assert fired == set(c.expected), f"{message}\nfindings: {regopy_findings}"


def test_every_rule_has_a_violating_and_a_clean_case() -> None:
    for rule in load_policy_set().rules:
        mine = [c for c in CASES if c.rule == rule.package]
        fires = [any(p == rule.package for p, _ in c.expected) for c in mine]
        assert any(fires), f"{rule.package}: no case where the rule fires"
        assert not all(fires), f"{rule.package}: no clean case"
