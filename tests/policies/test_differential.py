"""Differential fuzzing: regopy and real OPA give the same findings on hostile input, without errors.

An attacker who writes a trust policy chooses its strings. A value that one engine reads
differently from the other (a glob character, a digit of another script, a final newline, a
number beyond 64 bits, a letter whose case folds differently) can switch a guardrail off or
turn it into an evaluation error that a team learns to ignore. Hypothesis generates trust
policies with their role's permissions and session length, identity policies, and the assume
pairs IAMG-501 reads, from realistic IAM values mixed with hostile ones; each goes through the
normalizer into the engine input and is then evaluated by regopy (the product's engine) and by
OPA (../shared/tools/opa_oracle.py, the same modules and data) under one of several
configurations, hostile ones included. For every input:
- the engine input holds only engine-safe values (printable ASCII without quote or backslash,
  integers below 10**15, no floats), which both engines read alike;
- neither engine fails (no built-in or conflict error in any rule);
- both return exactly the same findings.

Budget: PYIAMGUARD_DIFFERENTIAL_EXAMPLES inputs (5,000 by default; CI runs them derandomized, so
the run is the same every time). A minimized counterexample becomes a case of
test_engines_agree.py with its expected findings.
"""
from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pyiamguard.assume_graph import AssumeGraph
from pyiamguard.catalog import load_policy_set
from pyiamguard.config import config_from_mapping
from pyiamguard.engine import Engine, EngineError
from pyiamguard.loaders.iam import identity_from_arn
from pyiamguard.model import Location
from pyiamguard.normalize.policy import NormalizeContext, Permission, RoleFacts, normalize_policy
from pyiamguard.normalize.values import as_list

EXAMPLES = int(os.environ.get("PYIAMGUARD_DIFFERENTIAL_EXAMPLES", "5000"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=os.environ.get("CI") == "true",
                    suppress_health_check=list(HealthCheck), database=None)

OWN = "111122223333"
FOREIGN = "444455556666"
ORG = "o-abc123defg"

# --- hostile text ------------------------------------------------------------------------------

# Characters that engines, regular expressions, globs, JSON or case folding read in more than one
# way: glob and regex syntax, quotes, backslash, whitespace and control characters, policy
# variables, and non-ASCII letters and digits (Kelvin sign, dotted and dotless i, sharp s,
# Arabic-Indic and full-width digits, zero-width and bidi marks, a lone surrogate, an emoji).
HOSTILE_CHARS = tuple("*?{},[]!-^\\.$|()+\"'` \t\n\r:/=@#%&~<>;") + (
    "\x00", "\x7f", "\u212a", "\u0130", "\u0131", "\u00df", "\u00e9", "\u0661", "\uff11", "\u200b",
    "\u202e", "\ufeff", "\u2028", "\u0301", "\ud800", "\U0001f600", "${", "${aws:username}", "${Account}",
)
SAFE_CHARS = tuple("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

hostile_text = st.one_of(
    st.lists(st.sampled_from(HOSTILE_CHARS + SAFE_CHARS), max_size=12).map("".join),
    st.text(st.characters(codec=None), max_size=8),  # every Unicode category
    st.sampled_from(["", " ", "*", "?", "**", "*?", "[z-a]", "{a,b}", "\\", "a" * 5000]),
)


def mutate(base: str) -> st.SearchStrategy[str]:
    """`base`, or base with a hostile piece inserted, appended or replacing a character, or
    with its letter case changed."""
    return st.one_of(
        st.just(base),
        st.builds(lambda i, piece: base[:i] + piece + base[i:], st.integers(0, len(base)), hostile_text),
        st.builds(lambda i, piece: base[:i] + piece + base[i + 1:], st.integers(0, max(len(base) - 1, 0)),
                  st.sampled_from(HOSTILE_CHARS)),
        st.builds(lambda piece: base + piece, st.sampled_from(["\n", " ", "*", "?", ".", "\u212a", "\u0661"])),
        st.just(base.upper()), st.just(base.lower()),
    )


def realistic(*bases: str) -> st.SearchStrategy[str]:
    return st.sampled_from(bases).flatmap(mutate)


def numbers() -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from([0, -1, 1, 900, 3600, 43200, 43201, 2**31, 2**53 + 1, 2**63, 2**64 + 7, 10**40,
                                      float("inf"), float("-inf"), float("nan"), 1e300, 3600.5, True, False, None]),
                     st.integers(), st.floats(allow_nan=True, allow_infinity=True))


ACCOUNTS = (OWN, FOREIGN, "999988887777", "123456789012")
account = st.one_of(st.sampled_from(ACCOUNTS), realistic(*ACCOUNTS),
                    st.sampled_from(["\u0661" * 12, "\uff11" * 12, OWN + "\n", " " + OWN, OWN[:11], OWN + "0", "*",
                                     "11112222333?", "${AWS::AccountId}"]))
partition = st.one_of(st.sampled_from(["aws", "aws-us-gov", "aws-cn", "*"]), realistic("aws"))
name = st.one_of(st.sampled_from(["deployer", "ci-runner", "ops.admin", "ops*", "Admin", "*", "ci-?", "a/b/c"]),
                 realistic("deployer", "ops.admin"))


@st.composite
def aws_principal(draw: Callable[..., Any]) -> Any:
    acct, part, who = draw(account), draw(partition), draw(name)
    return draw(st.one_of(
        st.just(f"arn:{part}:iam::{acct}:root"), st.just(f"arn:{part}:iam::{acct}:role/{who}"),
        st.just(f"arn:{part}:iam::{acct}:user/{who}"), st.just(f"arn:{part}:sts::{acct}:assumed-role/{who}/session"),
        st.just(acct), st.just("*"), st.just("AROAEXAMPLEID1234567"), realistic(f"arn:aws:iam::{FOREIGN}:role/ci"),
        hostile_text, numbers()))


SERVICES = ("ec2.amazonaws.com", "lambda.amazonaws.com", "sns.amazonaws.com", "*")
FEDERATED = (f"arn:aws:iam::{OWN}:oidc-provider/token.actions.githubusercontent.com",
             f"arn:aws:iam::{OWN}:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/5C1D8A6E",
             f"arn:aws:iam::{OWN}:oidc-provider/gitlab.com", f"arn:aws:iam::{OWN}:oidc-provider/app.terraform.io",
             f"arn:aws:iam::{OWN}:saml-provider/Okta", "cognito-identity.amazonaws.com", "accounts.google.com",
             "www.amazon.com")


def one_or_many(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(values, st.lists(values, min_size=0, max_size=3))


principal_element = st.one_of(
    st.just("*"),
    st.dictionaries(st.sampled_from(["AWS", "Service", "Federated", "CanonicalUser"]), one_or_many(aws_principal()),
                    min_size=1, max_size=2),
    st.fixed_dictionaries({"Service": one_or_many(st.one_of(st.sampled_from(SERVICES), realistic(*SERVICES)))}),
    st.fixed_dictionaries({"Federated": one_or_many(st.one_of(st.sampled_from(FEDERATED), realistic(*FEDERATED)))}),
    st.dictionaries(hostile_text, one_or_many(hostile_text), max_size=2),
    hostile_text, numbers(),
)

TRUST_ACTIONS = ("sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML", "sts:TagSession",
                 "sts:SetSourceIdentity", "sts:*", "*", "sts:Assume*", "sts:{AssumeRole,TagSession}", "sts:AssumeRol?")
OPERATORS = ("StringEquals", "StringLike", "StringNotEquals", "StringNotLike", "StringEqualsIgnoreCase", "ArnLike",
             "ArnEquals", "ArnNotLike", "Bool", "Null", "NumericLessThan", "ForAnyValue:StringLike",
             "ForAllValues:StringEquals", "StringEqualsIfExists", "BoolIfExists", "DateGreaterThan", "IpAddress")
KEYS = ("sts:ExternalId", "aws:PrincipalOrgID", "aws:PrincipalAccount", "aws:PrincipalArn", "aws:SourceAccount",
        "aws:SourceArn", "aws:MultiFactorAuthPresent", "aws:PrincipalOrgPaths", "aws:PrincipalTag/team",
        "aws:PrincipalType", "token.actions.githubusercontent.com:sub", "token.actions.githubusercontent.com:aud",
        "oidc.eks.eu-west-1.amazonaws.com/id/5C1D8A6E:sub", "gitlab.com:sub", "app.terraform.io:sub", "SAML:aud",
        "cognito-identity.amazonaws.com:aud", "cognito-identity.amazonaws.com:amr", "accounts.google.com:aud")
CONDITION_VALUES = (OWN, FOREIGN, ORG, "s3cr3t", "true", "false", "repo:acme/app:*", "repo:acme/app.web:ref:main",
                    "repo:*", "*", "system:serviceaccount:ns:sa", "sts.amazonaws.com", f"arn:aws:iam::{OWN}:role/ci-*",
                    f"arn:aws:iam::{FOREIGN}:role/deployer", "arn:aws:iam::*:role/deployer", "o-*/r-*/ou-*",
                    "https://signin.aws.amazon.com/saml", "authenticated", "3600")
condition_value = st.one_of(st.sampled_from(CONDITION_VALUES), realistic(*CONDITION_VALUES), account, hostile_text,
                            numbers())
condition = st.dictionaries(
    st.one_of(st.sampled_from(OPERATORS), realistic(*OPERATORS)),
    st.dictionaries(st.one_of(st.sampled_from(KEYS), realistic(*KEYS)), one_or_many(condition_value), min_size=1,
                    max_size=2),
    min_size=1, max_size=2)


@st.composite
def trust_statement(draw: Callable[..., Any]) -> Any:
    statement: dict[str, Any] = {
        "Effect": draw(st.one_of(st.sampled_from(["Allow", "Deny"]), realistic("Allow"))),
        draw(st.sampled_from(["Principal", "Principal", "Principal", "NotPrincipal"])): draw(principal_element),
        draw(st.sampled_from(["Action", "Action", "NotAction"])): draw(
            one_or_many(st.one_of(st.sampled_from(TRUST_ACTIONS), realistic(*TRUST_ACTIONS)))),
    }
    if draw(st.booleans()):
        statement["Condition"] = draw(condition)
    if draw(st.integers(0, 9)) == 0:
        statement["Sid"] = draw(hostile_text)
    return draw(st.one_of(st.just(statement), st.just(statement), st.just(statement), hostile_text, numbers()))


IDENTITY_ACTIONS = ("iam:PassRole", "iam:Put*", "iam:*", "*", "*:*", "sts:AssumeRole", "sts:*", "s3:*", "s3:GetObject",
                    "iam:{Pass,Put}Role", "iam:P?ssRole", "iam:[P]assRole", "iam:Create*", "ec2:Describe*")
RESOURCES = ("*", f"arn:aws:iam::{FOREIGN}:role/deployer", f"arn:aws:iam::{FOREIGN}:role/ops*",
             "arn:aws:iam::*:role/*", f"arn:aws:iam::{OWN}:role/*", "arn:aws:iam::*:role/deployer",
             f"arn:aws:iam::{FOREIGN}:role/[d]eployer", f"arn:aws:iam::{OWN}:role/${{aws:username}}",
             "arn:aws:s3:::bucket/*")


@st.composite
def identity_statement(draw: Callable[..., Any]) -> Any:
    statement: dict[str, Any] = {
        "Effect": draw(st.one_of(st.sampled_from(["Allow", "Allow", "Deny"]), realistic("Allow"))),
        draw(st.sampled_from(["Action", "Action", "Action", "NotAction"])): draw(
            one_or_many(st.one_of(st.sampled_from(IDENTITY_ACTIONS), realistic(*IDENTITY_ACTIONS)))),
        draw(st.sampled_from(["Resource", "Resource", "Resource", "NotResource"])): draw(
            one_or_many(st.one_of(st.sampled_from(RESOURCES), realistic(*RESOURCES)))),
    }
    if draw(st.integers(0, 3)) == 0:
        statement["Condition"] = draw(condition)
    return statement


def document(statement: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.builds(lambda version, statements: {"Version": version, "Statement": statements},
                     st.one_of(st.just("2012-10-17"), realistic("2012-10-17")),
                     st.one_of(statement, st.lists(statement, min_size=1, max_size=3)))


MANAGED = ("arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:iam::aws:policy/IAMFullAccess",
           "arn:aws:iam::aws:policy/PowerUserAccess", "arn:aws-us-gov:iam::aws:policy/AdministratorAccess",
           f"arn:aws:iam::{OWN}:policy/Boundary", "arn:aws:iam::aws:policy/ReadOnlyAccess")


@st.composite
def permission(draw: Callable[..., Any], origin: str, at: int) -> Permission:
    if draw(st.booleans()):
        arn = draw(st.one_of(st.sampled_from(MANAGED), realistic(*MANAGED), hostile_text))
        return Permission(origin, str(arn), ("Role", "ManagedPolicyArns", at), arn=arn)
    return Permission(origin, f"inline {at}", ("Role", "Policies", at, "PolicyDocument"),
                      document=draw(document(identity_statement())))


@st.composite
def role_facts(draw: Callable[..., Any]) -> RoleFacts:
    count = draw(st.integers(0, 2))
    permissions = tuple(draw(permission("inline" if i % 2 else "managed", i)) for i in range(count))
    boundary = draw(st.one_of(st.none(), permission("boundary", 9)))
    session = draw(st.one_of(st.none(), numbers(), st.sampled_from(["3600", "50000", "9223372036854775808", "1e999",
                                                                    "\u0663\u0666\u0660\u0660", "3600\n", "3,600"])))
    return RoleFacts(base=("Role",), permissions=permissions, boundary=boundary, max_session=session,
                     max_session_path=("Role", "MaxSessionDuration"))


context = st.builds(NormalizeContext, own_accounts=st.sampled_from([(), (OWN,), (OWN, FOREIGN)]),
                    partition=st.sampled_from(["", "aws", "aws-cn"]))

# Configurations: defaults, a third-party setup, one full of patterns engines read differently
# and values that are not engine tokens, and one with two own accounts.
CONFIGS: tuple[dict[str, Any], ...] = (
    {},
    {"own_accounts": [OWN], "trusted_accounts": [FOREIGN]},
    {"own_accounts": [OWN], "internal_accounts": [FOREIGN], "trusted_org_ids": [ORG], "require_mfa": "all",
     "max_session_seconds": 900, "require_permissions_boundary": True,
     "allowed_permissions_boundaries": [f"arn:aws:iam::{OWN}:policy/Boundary", f"arn:aws:iam::{OWN}:policy/B\u212a"],
     "approved_oidc_subjects": ["repo:acme/*", "repo:acme/{app,web}:*", "repo:a[z-a]b:*", "repo:x.y?z",
                                "repo:caf\u00e9/*", 'repo:"q"/*', "repo:back\\slash/*", "system:serviceaccount:ns:*"]},
    {"own_accounts": [OWN, FOREIGN], "require_mfa": "off"},
)


@dataclass(frozen=True)
class Generated:
    kind: str  # trust, identity or pair
    config: int
    input: dict[str, Any] | None  # the engine input
    source: Any = None  # what it was normalized from, for a regression case


@st.composite
def trust_input(draw: Callable[..., Any]) -> tuple[dict[str, Any], Any]:
    facts, doc, ctx = draw(st.one_of(st.none(), role_facts())), draw(document(trust_statement())), draw(context)
    source = (copy.deepcopy(doc), facts, ctx)
    return normalize_policy(doc, kind="trust", context=ctx, role=facts).engine_input, source


@st.composite
def identity_input(draw: Callable[..., Any]) -> tuple[dict[str, Any], Any]:
    owner = draw(st.sampled_from(["", "role"]))
    ctx, doc = draw(context), draw(document(identity_statement()))
    ctx = NormalizeContext(own_accounts=ctx.own_accounts, partition=ctx.partition, owner=owner)
    return normalize_policy(copy.deepcopy(doc), kind="identity", context=ctx).engine_input, (doc, ctx)


@st.composite
def pair_input(draw: Callable[..., Any]) -> tuple[dict[str, Any] | None, Any]:
    """The IAMG-501 input of a caller role and a target role, as the scan pairs them: the
    target's trust names the caller, or the caller's grant aims at the target."""
    # Role names with the characters the issue saw matter (a dot, a Kelvin sign, a backslash).
    names = st.one_of(st.sampled_from(["ci-runner", "ops.admin", "deployer", "\u212aelvin", "a\\b", "Ops.Admin"]),
                      realistic("ci-runner"))
    caller = f"arn:aws:iam::{draw(st.sampled_from([OWN, FOREIGN]))}:role/{draw(names)}"
    target = f"arn:aws:iam::{draw(st.sampled_from([FOREIGN, OWN]))}:role/{draw(names)}"
    caller_pattern = st.one_of(st.just(caller), mutate(caller), st.just(caller.split(":")[4]),
                               st.just(caller.rsplit("/", 1)[0] + "/*"))
    trust_doc = draw(st.one_of(
        document(trust_statement()),
        document(trust_statement()).map(lambda d: {**d, "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": caller}, "Action": "sts:AssumeRole"}, *as_list(d["Statement"])]}),
        st.builds(lambda p, c: {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": p}, "Action": "sts:AssumeRole", **({"Condition": c} if c else {})}]},
            caller_pattern, st.one_of(st.none(), condition))))
    target_pattern = st.one_of(st.just(target), mutate(target), st.just(target[:-2] + "*"),
                               st.just(target.rsplit("/", 1)[0] + "/*"), st.sampled_from(RESOURCES))
    grant = st.builds(lambda effect, action, resource: {"Effect": effect, "Action": action, "Resource": resource},
                      st.sampled_from(["Allow", "Allow", "Deny"]),
                      st.sampled_from(["sts:AssumeRole", "sts:*", "sts:Assume*", "*"]), one_or_many(target_pattern))
    grants = draw(st.one_of(document(identity_statement()), document(grant), document(grant)))
    source = copy.deepcopy((caller, target, trust_doc, grants))
    graph = AssumeGraph()
    service_trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    caller_facts = RoleFacts(base=("Role",), permissions=(Permission("inline", "grants", ("Role", "Policies", 0),
                                                                      document=grants),),
                             boundary=draw(st.one_of(st.none(), permission("boundary", 9))))
    for arn, doc, facts in ((target, trust_doc, RoleFacts(base=("Role",))), (caller, service_trust, caller_facts)):
        identity = identity_from_arn(arn, "role")
        if identity is None:  # not a role ARN the scan would pair
            return None, source
        graph.add(identity, arn, "scan.json",
                  normalize_policy(doc, kind="trust", role=facts), lambda ref: lambda: Location("scan.json"),
                  lambda ref: ref, lambda ref: ref)
    pairs = [document for _, _, document in graph.pairs()]
    return (pairs[0] if pairs else None), source


def _generated(kind: str, made: st.SearchStrategy[tuple[Any, Any]]) -> st.SearchStrategy[Generated]:
    return st.builds(lambda config, pair: Generated(kind, config, pair[0], pair[1]),
                     st.integers(0, len(CONFIGS) - 1), made)


generated = st.one_of(_generated("trust", trust_input()), _generated("identity", identity_input()),
                      _generated("pair", pair_input()))


# --- the engine input invariant ----------------------------------------------------------------

def unsafe_values(value: Any, path: str = "$") -> list[str]:
    """Values of an engine input that two engines may read differently."""
    if isinstance(value, str):
        ok = value.isascii() and value.isprintable() and '"' not in value and "\\" not in value
        return [] if ok else [f"{path}: {value!r}"]
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, int):
        return [] if abs(value) < 10**15 else [f"{path}: integer {value}"]
    if isinstance(value, float):
        return [f"{path}: float {value!r}"]
    if isinstance(value, dict):
        return [problem for k, v in value.items() for problem in unsafe_values(k, path) + unsafe_values(v, f"{path}.{k}")]
    if isinstance(value, (list, tuple)):
        return [problem for i, v in enumerate(value) for problem in unsafe_values(v, f"{path}[{i}]")]
    return [f"{path}: {type(value).__name__}"]


# --- the two engines ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def engines(opa_oracle: Any) -> list[tuple[Engine, Any]]:
    """(regopy Engine, OPA engine) per configuration of CONFIGS."""
    policy = load_policy_set()
    packages = {r.package: r.entrypoint for r in policy.rules}
    out = []
    for raw in CONFIGS:
        data = json.loads(policy.data)
        data["pyiamguard"]["config"].update(config_from_mapping(raw).engine_data())
        opa = opa_oracle.engine()
        for module_name, source in policy.modules:
            opa.add_policy(module_name, source)
        opa.add_data(copy.deepcopy(data))
        out.append((Engine(policy.modules, data, packages), opa))
    return out


def _canonical(findings: Any) -> list[str]:
    return sorted(json.dumps(f, sort_keys=True, separators=(",", ":")) for f in findings)


COUNTS = {"trust": 0, "identity": 0, "pair": 0, "findings": 0}


@SETTINGS
@given(case=generated)
def test_regopy_and_opa_agree_on_hostile_input(case: Generated, engines: list[tuple[Engine, Any]]) -> None:
    assume(case.input is not None)  # a pair the graph does not form is not an input (nor counted)
    assert case.input is not None
    assert unsafe_values(case.input) == [], "the normalizer handed the engine values it may read differently"
    regopy_engine, opa = engines[case.config]
    try:
        regopy_findings = _canonical(regopy_engine.evaluate(case.input))
    except EngineError:
        _, errors = regopy_engine.evaluate_isolated(case.input)
        pytest.fail(f"regopy failed: {[f'{e.package}: {e}' for e in errors]}")
    bindings = opa.eval_query("findings := data.pyiamguard.main.findings", case.input)
    assert len(bindings) == 1, f"OPA: no findings set: {bindings}"
    assert regopy_findings == _canonical(bindings[0]["findings"])
    COUNTS[case.kind] += 1
    COUNTS["findings"] += len(regopy_findings)


def test_the_generator_reached_every_kind_and_found_findings() -> None:
    """Runs after the property (file order): the budget was spent on all three input kinds."""
    if os.environ.get("PYIAMGUARD_DIFFERENTIAL_REPORT"):
        print(f"\ndifferential: {COUNTS}")
    if EXAMPLES >= 1000:
        assert min(COUNTS["trust"], COUNTS["identity"], COUNTS["pair"]) > 0, COUNTS
        assert COUNTS["findings"] > 0, COUNTS
