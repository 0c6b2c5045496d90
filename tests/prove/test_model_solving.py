"""The solver finds requests: for hand-written trusts, exact sat/unsat answers to questions
about who gets in, and every request the solver returns, made concrete, decided alike by the
model's substitution (`RoleModel.decide`) and by the concrete simulator (`pyiamguard.simulate`,
the Rego decision): the two semantics must agree on what the solver finds."""
from __future__ import annotations

import ipaddress
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import z3

from pyiamguard.config import Config
from pyiamguard.prove import ConcreteRequest
from pyiamguard.prove.model import RoleModel
from pyiamguard.scanner import Scanner
from pyiamguard.simulate import load_role, simulate

ROLE_ARN = "arn:aws:iam::111122223333:role/target"
OTHER = "444455556666"


class Trust:
    """A trust policy file, its model and the simulator's role."""

    def __init__(self, tmp_path: Path, statements: list[dict[str, Any]], name: str = "trust.json") -> None:
        self.path = tmp_path / name
        self.path.write_text(json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=2),
                             encoding="utf-8")
        found = Scanner(Config()).inspect([str(self.path)])
        (document,) = [d for d in found.documents if d.input.get("kind") == "trust"]
        self.model = RoleModel(document.input, document.refs, role_arn=ROLE_ARN)
        self.role = load_role(str(self.path), role_arn=ROLE_ARN)
        self.found: list[ConcreteRequest] = []

    def sat(self, *constraints: Any, unknowns_as_simulate: bool = True) -> ConcreteRequest:
        request = self._solve(constraints, unknowns_as_simulate)
        assert request is not None, f"expected a request: {constraints}"
        return request

    def unsat(self, *constraints: Any) -> None:
        assert self._solve(constraints, False) is None, f"expected no request: {constraints}"

    def allowed(self, *constraints: Any) -> ConcreteRequest:
        """A request the trust allows, with the constraints."""
        request = self.sat(self.model.allowed, *constraints)
        assert self.model.decide(request)[0] == "ALLOW"
        return request

    def never_allowed(self, *constraints: Any) -> None:
        self.unsat(self.model.allowed, *constraints)

    def _solve(self, constraints: tuple[Any, ...], unknowns_as_simulate: bool) -> ConcreteRequest | None:
        m = self.model
        solver = m.solver(20000)
        solver.add(m.ascii_only(), *constraints)
        if unknowns_as_simulate:
            solver.add(m.unknowns_as_simulate())
        answer = solver.check()
        assert answer != z3.unknown, solver.reason_unknown()
        if answer == z3.unsat:
            return None
        found = solver.model()
        request = m.concrete(found)
        self.replay(request, z3.is_true(found.eval(m.allowed, model_completion=True)), m.unknown_choices(found))
        self.found.append(request)
        return request

    def replay(self, request: ConcreteRequest, allowed: bool, choices: dict[str, bool]) -> None:
        """The solver's verdict on its own request and the substitution's agree; so do the
        substitution and the simulator when the unknowns are read as simulate reads them."""
        decision, _ = self.model.decide(request, choices)
        assert decision == ("ALLOW" if allowed else "DENY"), request.words()
        simulated = simulate(self.role, request.to_simulate())
        assert simulated.decision == self.model.decide(request)[0], (request.words(), simulated.text())
        json.dumps(request.to_dict())


def _aws(value: Any) -> dict[str, Any]:
    return {"AWS": value}


def _allow(principal: Any, action: Any = "sts:AssumeRole", condition: dict[str, Any] | None = None,
           sid: str = "Allow", element: str = "Principal") -> dict[str, Any]:
    out = {"Sid": sid, "Effect": "Allow", element: principal, "Action": action}
    if condition:
        out["Condition"] = condition
    return out


def _s(text: str) -> Any:
    return z3.StringVal(text)


# --- principals -------------------------------------------------------------------------------

def test_wildcard_principal_admits_any_aws_principal_and_service(tmp_path: Path) -> None:
    t = Trust(tmp_path, [_allow("*")])
    m = t.model
    assert t.allowed(m.var("account") == _s("999988887777")).account == "999988887777"
    assert t.allowed(m.is_("kind", "service")).principal_kind == "service"
    # AssumeRole is not how a federation signs in: no OIDC or SAML caller gets in.
    t.never_allowed(m.is_("kind", "federated"))
    t.never_allowed(z3.Not(m.is_("action", "sts:AssumeRole")))
    assert m.unknowns == ()


def test_whole_account_admits_every_principal_of_it_without_an_external_id(tmp_path: Path) -> None:
    t = Trust(tmp_path, [_allow(_aws(f"arn:aws:iam::{OTHER}:root"))])
    m = t.model
    request = t.allowed(z3.Not(m.present("sts:ExternalId")), m.is_("scope", "assumed_role"))
    assert request.account == OTHER and request.principal_arn.startswith(f"arn:aws:sts::{OTHER}:assumed-role/")
    assert "sts:externalid" not in request.context
    t.allowed(m.is_("scope", "user"))
    t.allowed(m.is_("scope", "root"))
    t.never_allowed(m.var("account") != _s(OTHER))
    t.never_allowed(m.is_("kind", "service"))


def test_external_id_string_equals_is_required(tmp_path: Path) -> None:
    t = Trust(tmp_path, [_allow(_aws(OTHER), condition={"StringEquals": {"sts:ExternalId": "Unique-1234"}})])
    m = t.model
    t.never_allowed(z3.Not(m.present("sts:externalid")))
    t.never_allowed(m.value("sts:ExternalId") != _s("Unique-1234"))
    assert t.allowed().context["sts:externalid"] == ["Unique-1234"]
    # the denied side: a caller of the account without it
    request = t.sat(z3.Not(m.allowed), m.var("account") == _s(OTHER))
    assert request.context.get("sts:externalid") != ["Unique-1234"]


def test_string_like_star_still_needs_the_key(tmp_path: Path) -> None:
    t = Trust(tmp_path, [_allow(_aws(OTHER), condition={"StringLike": {"sts:ExternalId": "*"}})])
    m = t.model
    t.never_allowed(z3.Not(m.present("sts:ExternalId")))
    assert t.allowed(m.value("sts:ExternalId") == _s("anything-goes")).context["sts:externalid"] == ["anything-goes"]
    # IAM's ExternalId is 2-1224 characters of [\w+=,.@:/-]
    t.never_allowed(m.value("sts:ExternalId") == _s("a"))
    t.never_allowed(m.value("sts:ExternalId") == _s("has space"))


def test_if_exists_holds_without_the_key(tmp_path: Path) -> None:
    t = Trust(tmp_path, [_allow(_aws(OTHER), condition={"StringEqualsIfExists": {"sts:ExternalId": "x1"}})])
    m = t.model
    t.allowed(z3.Not(m.present("sts:ExternalId")))
    t.never_allowed(m.present("sts:ExternalId"), m.value("sts:ExternalId") != _s("x1"))


def test_null_tests_presence(tmp_path: Path) -> None:
    t = Trust(tmp_path, [_allow(_aws(OTHER), condition={"Null": {"sts:ExternalId": "false", "sts:SourceIdentity": "true"}})])
    m = t.model
    t.never_allowed(z3.Not(m.present("sts:ExternalId")))
    t.never_allowed(m.present("sts:SourceIdentity"))
    t.allowed(m.value("sts:ExternalId") == _s("zz"))


def test_set_operators_on_session_tag_keys(tmp_path: Path) -> None:
    action = ["sts:AssumeRole", "sts:TagSession"]
    t = Trust(tmp_path, [_allow(_aws(OTHER), action, {"ForAllValues:StringEquals": {"aws:TagKeys": ["Project", "Team"]}},
                                sid="All"),
                         _allow(_aws("arn:aws:iam::777788889999:root"), action,
                                {"ForAnyValue:StringEquals": {"aws:TagKeys": ["Project", "Team"]}}, sid="Any")])
    m = t.model
    slots = m.values("aws:TagKeys")
    assert len(slots) == 3
    outside = z3.Or(*[z3.And(there, value == _s("CostCenter")) for there, value in slots])
    # ForAllValues: true on no value, false with a value outside the set
    t.allowed(m.var("account") == _s(OTHER), m.count("aws:TagKeys") == 0)
    t.never_allowed(m.var("account") == _s(OTHER), outside)
    three = t.allowed(m.var("account") == _s(OTHER), m.count("aws:TagKeys") == 3)
    assert set(three.context["aws:tagkeys"]) <= {"Project", "Team"}
    # ForAnyValue: false on no value, true when one value is in the set, whatever the others
    t.never_allowed(m.var("account") == _s("777788889999"), m.count("aws:TagKeys") == 0)
    mixed = t.allowed(m.var("account") == _s("777788889999"), outside)
    assert "CostCenter" in mixed.context["aws:tagkeys"] and {"Project", "Team"} & set(mixed.context["aws:tagkeys"])


def test_ip_address_v4_and_v6(tmp_path: Path) -> None:
    t = Trust(tmp_path, [_allow(_aws(OTHER), condition={"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]}}),
                         {"Sid": "NotThisOne", "Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole",
                          "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.128/25"}}}])
    m = t.model
    v6, number = m.address("aws:SourceIp")
    t.never_allowed(z3.Not(m.present("aws:SourceIp")))
    found = {t.allowed(v6 == version).context["aws:sourceip"][0] for version in (True, False)}
    addresses = [ipaddress.ip_address(a) for a in found]
    assert {a.version for a in addresses} == {4, 6}
    for a in addresses:
        assert a in ipaddress.ip_network("2001:db8::/32" if a.version == 6 else "203.0.113.0/25")
    # the Deny takes the upper half of the IPv4 block
    t.never_allowed(z3.Not(v6), number == int(ipaddress.ip_address("203.0.113.200")))
    t.never_allowed(z3.Not(v6), number >= int(ipaddress.ip_address("203.0.113.128")))
    t.allowed(z3.Not(v6), number == int(ipaddress.ip_address("203.0.113.5")))
    t.never_allowed(v6, number >= int(ipaddress.ip_address("2001:db9::")))
    # both ends of a block are in it
    t.allowed(v6, number == int(ipaddress.ip_address("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")))
    t.allowed(v6, number == int(ipaddress.ip_address("2001:db8::")))


def test_address_text_compared_as_a_string_too(tmp_path: Path) -> None:
    t = Trust(tmp_path, [_allow(_aws(OTHER), condition={"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"},
                                                       "StringLike": {"aws:SourceIp": "192.168.*"}})])
    m = t.model
    request = t.allowed()
    assert request.context["aws:sourceip"][0].startswith("192.168.")
    v6, _ = m.address("aws:SourceIp")
    t.never_allowed(v6)  # a full IPv6 spelling never starts with 192.168.


def test_date_less_than_current_time(tmp_path: Path) -> None:
    t = Trust(tmp_path, [_allow(_aws(OTHER), condition={"DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}})])
    m = t.model
    t.allowed()
    t.allowed(m.value("aws:CurrentTime") == _s("2026-12-31T23:59:59Z"))
    t.allowed(m.value("aws:CurrentTime") == _s("2026-06-01"))
    t.never_allowed(m.value("aws:CurrentTime") == _s("2027-01-01T00:00:00Z"))
    t.never_allowed(m.value("aws:CurrentTime") == _s("1798761600"))  # 2027-01-01 in epoch seconds
    t.allowed(m.value("aws:CurrentTime") == _s("1798761599"))
    t.unsat(z3.Not(m.present("aws:CurrentTime")))  # IAM always sets it
    # a compared date is a real date: February 29th of leap years only
    t.allowed(m.value("aws:CurrentTime") == _s("2024-02-29"))
    t.allowed(m.value("aws:CurrentTime") == _s("2000-02-29T12:00:00Z"))
    t.unsat(m.value("aws:CurrentTime") == _s("2023-02-29"))
    t.unsat(m.value("aws:CurrentTime") == _s("2100-02-29T00:00:00Z"))


def test_numeric_less_than_mfa_age_needs_mfa(tmp_path: Path) -> None:
    t = Trust(tmp_path, [_allow(_aws(OTHER), condition={"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}})])
    m = t.model
    t.never_allowed(z3.Not(m.var("mfa")))
    request = t.allowed(m.is_("scope", "user"))
    assert request.context["aws:multifactorauthpresent"] == ["true"] and int(request.context["aws:multifactorauthage"][0]) < 3600
    t.never_allowed(m.value("aws:MultiFactorAuthAge") == _s("3600"))


def test_arn_like_principal_arn_with_wildcards(tmp_path: Path) -> None:
    t = Trust(tmp_path, [_allow(_aws("*"), condition={"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{OTHER}:role/deploy-*"}})])
    m = t.model
    request = t.allowed()
    assert request.role_arn.startswith(f"arn:aws:iam::{OTHER}:role/deploy-")
    t.never_allowed(m.var("account") != _s(OTHER))
    t.never_allowed(m.is_("scope", "user"))
    t.never_allowed(m.var("path") == _s("/team/"))  # the role's path is in its ARN: role/team/deploy-x does not match
    t.allowed(m.is_("scope", "assumed_role"), m.var("role_name") == _s("deploy-prod"))
    # StringEquals on aws:PrincipalArn: a user is named by its own ARN
    t3 = Trust(tmp_path, [_allow(_aws("*"), condition={"StringEquals": {"aws:PrincipalArn": f"arn:aws:iam::{OTHER}:user/ci/bot"}})],
               "t3.json")
    bot = t3.allowed()
    assert bot.scope == "user" and bot.principal_arn == f"arn:aws:iam::{OTHER}:user/ci/bot"
    t3.never_allowed(t3.model.var("path") != _s("/ci/"))
    # a wildcard in the account field stays in its field
    t2 = Trust(tmp_path, [_allow(_aws("*"), condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/ops"}})], "t2.json")
    t2.allowed(t2.model.var("account") == _s("123456789012"))
    t2.never_allowed(t2.model.var("name") != _s("ops"))
    # ... and a wildcard of the first five fields never crosses a colon: role/x:role/ops is not role/ops
    t2.never_allowed(t2.model.var("path") != _s("/"))


def test_not_principal_with_allow_admits_everyone_not_listed(tmp_path: Path) -> None:
    t = Trust(tmp_path, [_allow(_aws([f"arn:aws:iam::{OTHER}:user/ops", OTHER]), element="NotPrincipal")])
    m = t.model
    t.never_allowed(m.is_("scope", "user"), m.var("account") == _s(OTHER), m.var("name") == _s("ops"),
                    m.var("path") == _s("/"))
    t.never_allowed(m.is_("scope", "root"), m.var("account") == _s(OTHER))
    # a session of the listed account is not listed (its session and role are not named)
    assert t.allowed(m.is_("scope", "assumed_role"), m.var("account") == _s(OTHER)).account == OTHER
    t.allowed(m.var("account") != _s(OTHER))


def test_not_principal_in_a_deny_spares_only_what_names_every_identity(tmp_path: Path) -> None:
    session = f"arn:aws:sts::{OTHER}:assumed-role/reader/s1"
    t = Trust(tmp_path, [_allow("*", sid="Anyone"),
                         {"Sid": "OnlyListed", "Effect": "Deny", "NotPrincipal": {"AWS": [
                             session, f"arn:aws:iam::{OTHER}:role/reader", f"arn:aws:iam::{OTHER}:role/writer",
                             f"arn:aws:iam::{OTHER}:root"]}, "Action": "sts:AssumeRole"}])
    m = t.model
    reader = z3.And(m.is_("scope", "assumed_role"), m.var("account") == _s(OTHER), m.var("name") == _s("reader"))
    assert t.allowed(m.is_("scope", "assumed_role")).principal_arn == session
    t.never_allowed(reader, m.var("session") != _s("s1"))
    # writer's sessions are not named one by one: the Deny holds for them
    t.never_allowed(m.is_("scope", "assumed_role"), m.var("name") == _s("writer"))
    t.allowed(m.is_("scope", "role"), m.var("name") == _s("writer"))  # the role itself and its account are named
    t.never_allowed(m.is_("scope", "role"), m.var("name") != _s("writer"), m.var("name") != _s("reader"))
    t.never_allowed(m.var("account") != _s(OTHER))
    t.allowed(m.is_("scope", "root"))


def test_deny_bool_if_exists_mfa_false(tmp_path: Path) -> None:
    t = Trust(tmp_path, [_allow(_aws(OTHER)),
                         {"Sid": "DenyNoMfa", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
                          "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}])
    m = t.model
    t.never_allowed(z3.Not(m.var("mfa")))
    t.never_allowed(m.is_("scope", "user"), z3.Not(m.var("mfa")))  # no key: IfExists makes the Deny hold
    assert t.allowed(m.is_("scope", "user")).context["aws:multifactorauthpresent"] == ["true"]
    request = t.sat(z3.Not(m.allowed), m.var("account") == _s(OTHER), z3.Not(m.var("mfa")),
                    m.is_("action", "sts:AssumeRole"))
    deny = next(ref for ref, effect in m.effects.items() if effect == "Deny")
    assert m.decide(request) == ("DENY", deny) and m.refs[deny]["text"] == "DenyNoMfa"


def test_oidc_github_sub_string_like(tmp_path: Path) -> None:
    github = "token.actions.githubusercontent.com"
    t = Trust(tmp_path, [_allow({"Federated": f"arn:aws:iam::111122223333:oidc-provider/{github}"},
                                "sts:AssumeRoleWithWebIdentity",
                                {"StringEquals": {f"{github}:aud": "sts.amazonaws.com"},
                                 "StringLike": {f"{github}:sub": "repo:my-org/*"}})])
    m = t.model
    request = t.allowed()
    assert request.scope == "oidc" and request.issuer == github
    assert request.context[f"{github}:sub"][0].startswith("repo:my-org/")
    t.never_allowed(z3.Not(z3.PrefixOf(_s("repo:my-org/"), m.value(f"{github}:sub"))))
    t.never_allowed(m.issuer_is("gitlab.com"))
    t.never_allowed(z3.Not(m.is_("action", "sts:AssumeRoleWithWebIdentity")))
    # the provider's keys come from that provider only: no AWS principal carries a GitHub sub
    t.unsat(m.present(f"{github}:sub"), m.is_("kind", "aws"))
    # and web identity carries no ExternalId
    t.unsat(m.present("sts:ExternalId"), m.is_("kind", "federated"))


def test_condition_keys_are_case_insensitive_and_values_are_not(tmp_path: Path) -> None:
    t = Trust(tmp_path, [_allow(_aws(OTHER), condition={"StringEquals": {"STS:EXTERNALID": "Unique-1234"}})])
    m = t.model
    assert m.named_keys == ("sts:externalid",)
    t.never_allowed(z3.Not(m.present("sts:ExternalId")))
    t.never_allowed(m.value("sts:externalid") == _s("unique-1234"))
    t.allowed(m.value("Sts:ExternalID") == _s("Unique-1234"))


def test_ignore_case_values(tmp_path: Path) -> None:
    t = Trust(tmp_path, [_allow(_aws(OTHER), condition={"StringEqualsIgnoreCase": {"sts:ExternalId": "Unique-1234"}})])
    m = t.model
    assert t.allowed(m.value("sts:ExternalId") == _s("uNIQUE-1234")).context["sts:externalid"] == ["uNIQUE-1234"]
    t.never_allowed(m.value("sts:ExternalId") == _s("Unique-12345"))


def test_unresolved_principal_is_an_unknown(tmp_path: Path) -> None:
    t = Trust(tmp_path, [_allow(_aws("${TrustedRoleArn}"), sid="Unknown"), _allow(_aws(OTHER), sid="Known")])
    m = t.model
    assert len(m.unknowns) == 1 and "${TrustedRoleArn}" in m.unknowns[0]
    (name,) = m.unknown_vars
    unknown = m.unknown_vars[name]
    # read as simulate reads it (never allowing), only the account gets in
    t.sat(m.allowed, z3.Not(unknown), m.var("account") == _s(OTHER))
    t.unsat(m.allowed, z3.Not(unknown), m.var("account") != _s(OTHER))
    # the solver may take it either way: then anyone may get in, and no proof holds
    request = t.sat(m.allowed, m.var("account") != _s(OTHER), unknowns_as_simulate=False)
    assert m.decide(request) == ("DENY", "s0") and m.decide(request, {name: True}) == ("ALLOW", "s0")


def test_service_principal_with_source_account(tmp_path: Path) -> None:
    t = Trust(tmp_path, [_allow({"Service": "sns.amazonaws.com"}, condition={"StringEquals": {"aws:SourceAccount": "111122223333"}})])
    m = t.model
    request = t.allowed()
    assert request.principal_arn == "sns.amazonaws.com" and request.context["aws:principalservicename"] == ["sns.amazonaws.com"]
    t.never_allowed(z3.Not(m.present("aws:SourceAccount")))
    t.never_allowed(m.var("service") != _s("sns.amazonaws.com"))
    t.unsat(m.present("aws:SourceAccount"), m.is_("kind", "aws"))


def test_deny_outside_the_organization(tmp_path: Path) -> None:
    t = Trust(tmp_path, [_allow(_aws("*")),
                         {"Sid": "OrgOnly", "Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole",
                          "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}}}])
    m = t.model
    t.never_allowed(z3.Not(m.present("aws:PrincipalOrgID")))
    t.never_allowed(m.is_("kind", "service"))  # services carry no organization
    assert t.allowed().context["aws:principalorgid"] == ["o-abc123"]


def test_source_identity_needs_set_source_identity(tmp_path: Path) -> None:
    t = Trust(tmp_path, [_allow(_aws(OTHER), sid="AssumeOnly"),
                         _allow(_aws("arn:aws:iam::777788889999:root"), ["sts:AssumeRole", "sts:SetSourceIdentity"],
                                {"StringLike": {"sts:SourceIdentity": "ali*"}}, sid="Both")])
    m = t.model
    t.never_allowed(m.var("account") == _s(OTHER), m.present("sts:SourceIdentity"))
    t.allowed(m.var("account") == _s(OTHER), z3.Not(m.present("sts:SourceIdentity")))
    request = t.allowed(m.var("account") == _s("777788889999"), m.present("sts:SourceIdentity"))
    assert request.context["sts:sourceidentity"][0].startswith("ali")


def test_role_principal_admits_its_sessions_only(tmp_path: Path) -> None:
    t = Trust(tmp_path, [_allow(_aws(f"arn:aws:iam::{OTHER}:role/team/ops"))])
    m = t.model
    request = t.allowed(m.is_("scope", "assumed_role"))
    assert request.principal_arn.startswith(f"arn:aws:sts::{OTHER}:assumed-role/ops/")
    t.never_allowed(m.var("role_name") != _s("ops"))
    t.never_allowed(m.is_("scope", "user"))
    t.never_allowed(m.is_("scope", "root"))


def test_saml_audience(tmp_path: Path) -> None:
    t = Trust(tmp_path, [_allow({"Federated": "arn:aws:iam::111122223333:saml-provider/Okta"}, "sts:AssumeRoleWithSAML",
                                {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}})])
    m = t.model
    request = t.allowed()
    # provider names compare case-insensitively (IAM names are unique in any case; so does simulate)
    assert request.principal_arn.lower() == "arn:aws:iam::111122223333:saml-provider/okta"
    t.never_allowed(m.value("saml:aud") != _s("https://signin.aws.amazon.com/saml"))
    t.never_allowed(m.var("account") != _s("111122223333"))


def test_every_found_request_is_json_and_words(tmp_path: Path) -> None:
    t = Trust(tmp_path, [_allow(_aws(OTHER), condition={"StringEquals": {"sts:ExternalId": "Unique-1234"},
                                                       "Bool": {"aws:MultiFactorAuthPresent": "true"}})])
    m = t.model
    request = t.sat(z3.Not(m.allowed), m.is_("scope", "role"), m.is_("action", "sts:AssumeRole"),
                    z3.Not(m.present("sts:SourceIdentity")), z3.Not(m.present("sts:ExternalId")),
                    z3.Not(m.var("mfa")), m.var("account") == _s("999988887777"), m.var("path") == _s("/"),
                    m.var("name") == _s("x"))
    assert request.words() == ("principal arn:aws:iam::999988887777:role/x, action sts:AssumeRole, "
                               "aws:MultiFactorAuthPresent false, sts:ExternalId absent")
    assert ConcreteRequest.from_dict(json.loads(json.dumps(request.to_dict()))) == request


# --- the package without z3 ---------------------------------------------------------------------

_WITHOUT_Z3 = """
import builtins, sys
real = builtins.__import__
def blocked(name, *args, **keys):
    if name == "z3" or name.startswith("z3."):
        raise ImportError(name)
    return real(name, *args, **keys)
builtins.__import__ = blocked
import pyiamguard.prove as prove
print("loaded" if "z3" in sys.modules else "not loaded")
try:
    prove.check_available()
except prove.ProveUnavailable as exc:
    print(exc)
from pyiamguard.prove.model import RoleModel
try:
    RoleModel({"kind": "trust", "statements": []}, {})
except prove.ProveUnavailable as exc:
    print(exc)
"""


def test_without_z3_the_package_imports_and_says_how_to_install_it() -> None:
    done = subprocess.run([sys.executable, "-c", _WITHOUT_Z3], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "not loaded"
    assert lines[1:] == ["the prover needs the z3 SMT solver: pip install 'pyiamguard[prove]'"] * 2


def test_importing_the_package_does_not_load_z3() -> None:
    done = subprocess.run([sys.executable, "-c", "import sys, pyiamguard.prove; print('z3' in sys.modules)"],
                          capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "False", done.stderr
