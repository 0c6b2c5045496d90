"""Property-based fuzzing (hypothesis) of IAM trust documents.

Threats covered:
- a hostile or broken document (numbers as principals, null statements, strings where lists
  belong, random extra statements) crashes the scanner or prints a traceback, so CI shows a stack
  trace instead of a verdict;
- two spellings of the same policy (key order, whitespace, a one-element list vs a scalar,
  `STS:assumerole` vs `sts:AssumeRole`, condition keys in any letter case) get different verdicts,
  so an attacker can dodge a rule by re-spelling the policy;
- a wildcard principal added to a trust policy goes unreported, in a raw document, a Terraform
  plan (any JSON formatting of assume_role_policy) or a CloudFormation template (JSON or YAML);
- a broken document inside a plan or a template crashes the scanner.

CI runs a few examples per property; set PYIAMGUARD_HYPOTHESIS_EXAMPLES for a longer fuzzing run.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyiamguard.model import Report
from pyiamguard.scanner import scan_document

EXAMPLES = int(os.environ.get("PYIAMGUARD_HYPOTHESIS_EXAMPLES", "40"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ACCOUNTS = ("123456789012", "210987654321", "111122223333")
AWS_PRINCIPALS = tuple(f"arn:aws:iam::{a}:root" for a in ACCOUNTS) + tuple(
    f"arn:aws:iam::{a}:role/deployer" for a in ACCOUNTS) + ACCOUNTS + ("*",)
SERVICES = ("lambda.amazonaws.com", "ec2.amazonaws.com", "ecs-tasks.amazonaws.com")
FEDERATED = ("arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com", "cognito-identity.amazonaws.com")
ACTIONS = ("sts:AssumeRole", "sts:TagSession", "sts:AssumeRoleWithWebIdentity", "sts:SetSourceIdentity",
           "sts:AssumeRoleWithSAML", "sts:*")
CONDITIONS = (
    ("StringEquals", "sts:ExternalId", ("s3cr3t-id", "another-id")),
    ("StringEquals", "aws:PrincipalOrgID", ("o-abcdefghij",)),
    ("StringEquals", "aws:PrincipalAccount", ACCOUNTS),
    ("StringLike", "aws:PrincipalArn", ("arn:aws:iam::123456789012:role/*",)),
    ("Bool", "aws:MultiFactorAuthPresent", ("true", "false")),
    ("StringEquals", "aws:SourceAccount", ACCOUNTS),
    ("StringLike", "token.actions.githubusercontent.com:sub", ("repo:org/app:ref:refs/heads/main", "repo:org/*")),
    ("StringEquals", "token.actions.githubusercontent.com:aud", ("sts.amazonaws.com",)),
)


# --- well-formed documents, in a canonical form (lists everywhere, canonical case) --------------

def _some(values: tuple[str, ...]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True)


principals = st.one_of(
    st.fixed_dictionaries({"AWS": _some(AWS_PRINCIPALS)}),
    st.fixed_dictionaries({"Service": _some(SERVICES)}),
    st.fixed_dictionaries({"Federated": _some(FEDERATED)}),
    st.fixed_dictionaries({"AWS": _some(AWS_PRINCIPALS), "Service": _some(SERVICES)}),
)


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, dict[str, list[str]]]:
    chosen = draw(st.lists(st.sampled_from(CONDITIONS), max_size=3, unique_by=lambda c: c[1]))
    block: dict[str, dict[str, list[str]]] = {}
    for operator, key, values in chosen:
        block.setdefault(operator, {})[key] = draw(_some(values))
    return block


@st.composite
def statements(draw: st.DrawFn, effects: tuple[str, ...] = ("Allow", "Deny")) -> dict[str, Any]:
    statement: dict[str, Any] = {}
    if draw(st.booleans()):
        statement["Sid"] = draw(st.sampled_from(("Trust", "CiDeploy", "Svc1")))
    statement["Effect"] = draw(st.sampled_from(effects))
    statement["Principal"] = draw(principals)
    statement["Action"] = draw(_some(ACTIONS))
    block = draw(conditions())
    if block:
        statement["Condition"] = block
    return statement


def trust_documents(effects: tuple[str, ...] = ("Allow", "Deny")) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(lambda body: {"Version": "2012-10-17", "Statement": body},
                     st.lists(statements(effects), min_size=1, max_size=4))


# --- spellings of the same document -------------------------------------------------------------

def _random_case(text: str, rnd: random.Random) -> str:
    return "".join(c.upper() if rnd.random() < 0.5 else c.lower() for c in text)


def _maybe_scalar(values: list[Any], rnd: random.Random) -> Any:
    return values[0] if len(values) == 1 and rnd.random() < 0.5 else values


def _shuffled(mapping: dict[str, Any], rnd: random.Random) -> dict[str, Any]:
    keys = list(mapping)
    rnd.shuffle(keys)
    return {k: mapping[k] for k in keys}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def respell(document: dict[str, Any], rnd: random.Random) -> str:
    """The same policy as JSON text: key order, whitespace, list-vs-scalar, action and
    condition-key letter case all chosen at random (the input may use scalars or lists)."""
    body = []
    for statement in document["Statement"]:
        out: dict[str, Any] = {}
        for key, value in statement.items():
            if key == "Principal":
                value = _shuffled({k: _maybe_scalar(_as_list(v), rnd) for k, v in value.items()}, rnd)
            elif key == "Action":
                value = _maybe_scalar([_random_case(a, rnd) for a in _as_list(value)], rnd)
            elif key == "Condition":
                value = _shuffled({
                    operator: _shuffled({_random_case(k, rnd): _maybe_scalar(_as_list(v), rnd) for k, v in block.items()}, rnd)
                    for operator, block in value.items()}, rnd)
            out[key] = value
        body.append(_shuffled(out, rnd))
    respelled = _shuffled({"Version": document["Version"],
                           "Statement": body[0] if len(body) == 1 and rnd.random() < 0.5 else body}, rnd)
    indent = rnd.choice((None, 0, 1, 2, 4, "\t"))
    separators = rnd.choice(((",", ":"), (", ", ": "), (" ,\n", " :  ")))
    text = json.dumps(respelled, indent=indent, separators=separators)
    return rnd.choice(("", " ", "\n", "\r\n\t")) + text + rnd.choice(("", "\n", "  \n\n"))


def _verdict(report: Report) -> set[tuple[str, str]]:
    return {(v.rule_id, v.severity.value) for v in report.violations}


def _quiet_scan(document: Any) -> tuple[Report, str]:
    """scan_document with stdout and stderr captured: returns the report and everything printed."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        report = scan_document(document, name="trust.json")
    return report, printed.getvalue()


@SETTINGS
@given(document=trust_documents(), rnd=st.randoms(use_true_random=False))
def test_respelling_a_policy_cannot_change_its_verdict(document: dict[str, Any], rnd: random.Random) -> None:
    canonical, _ = _quiet_scan(json.dumps(document))
    respelled, printed = _quiet_scan(respell(document, rnd))
    assert not canonical.errors and not respelled.errors, (canonical.errors, respelled.errors)
    assert _verdict(respelled) == _verdict(canonical)
    assert "Traceback" not in printed


WILDCARD_FORMS = (
    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"},
    {"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": ["sts:AssumeRole"]},
    {"Action": "STS:ASSUMEROLE", "Principal": {"AWS": "*"}, "Effect": "Allow"},
    {"Sid": "Added", "Effect": "Allow", "Action": "sts:assumerole", "Principal": {"AWS": "*"}},
)


@SETTINGS
@given(document=trust_documents(effects=("Allow",)), added=st.sampled_from(WILDCARD_FORMS),
       position=st.integers(min_value=0, max_value=4))
def test_wildcard_principal_added_to_any_trust_policy_is_reported(
    document: dict[str, Any], added: dict[str, Any], position: int
) -> None:
    # Allow statements only: a Deny can legitimately confine a wildcard (to the organization, say).
    body = list(document["Statement"])
    body.insert(min(position, len(body)), dict(added))
    report, printed = _quiet_scan({"Version": "2012-10-17", "Statement": body})
    assert "IAMG-101" in {v.rule_id for v in report.violations}, report.violations
    assert "Traceback" not in printed


# --- malformed documents ----------------------------------------------------------------------

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                    st.text(max_size=12), st.sampled_from(AWS_PRINCIPALS + ACTIONS + ("Allow", "Deny", "*")))
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)), max_leaves=10)


def _mangle(good: Any) -> st.SearchStrategy[Any]:
    """A value of the wrong shape for a field: number, null, string for a list, nested junk."""
    return st.one_of(st.just(good), scalars, json_values, st.just([good, None]), st.just({"AWS": 123456789012}),
                     st.just(str(good)))


@st.composite
def broken_statements(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 5)) == 0:
        return draw(st.one_of(st.none(), scalars, st.lists(scalars, max_size=2)))
    statement = draw(statements())
    for key in list(statement):
        roll = draw(st.integers(0, 3))
        if roll == 0:
            statement[key] = draw(_mangle(statement[key]))
        elif roll == 1:
            del statement[key]
    if draw(st.booleans()):
        statement[draw(st.sampled_from(("NotPrincipal", "NotAction", "Resource", "Extra", "condition")))] = \
            draw(json_values)
    return statement


broken_documents = st.one_of(
    st.builds(lambda body, version: {"Version": version, "Statement": body},
              st.one_of(st.lists(broken_statements(), max_size=4), broken_statements(), scalars),
              st.one_of(st.just("2012-10-17"), scalars)),
    json_values,
)


@SETTINGS
@given(document=broken_documents)
def test_malformed_document_never_crashes_or_prints_a_traceback(document: Any) -> None:
    report, printed = _quiet_scan(document)
    assert isinstance(report, Report)
    assert "Traceback" not in printed
    for error in report.errors:
        assert "\n" not in error.one_line()


@SETTINGS
@given(document=broken_documents, rnd=st.randoms(use_true_random=False))
def test_malformed_json_text_never_crashes_or_prints_a_traceback(document: Any, rnd: random.Random) -> None:
    text = json.dumps(document, indent=rnd.choice((None, 2)))
    cut = rnd.randint(0, len(text))
    for variant in (text, text[:cut], text[:cut] + "\x00" + text[cut:]):
        report, printed = _quiet_scan(variant)
        assert isinstance(report, Report)
        assert "Traceback" not in printed


# --- the same documents inside Terraform plans and CloudFormation templates --------------------


def _terraform_plan(trust_text: str) -> dict[str, Any]:
    """A one-role plan whose assume_role_policy is the given JSON text (any formatting)."""
    return {"format_version": "1.2", "terraform_version": "1.9.5", "resource_changes": [{
        "address": 'module.m["a.b/c"].aws_iam_role.r[0]', "module_address": 'module.m["a.b/c"]',
        "mode": "managed", "type": "aws_iam_role", "name": "r", "index": 0,
        "change": {"actions": ["create"], "before": None,
                   "after": {"name": "r", "assume_role_policy": trust_text, "max_session_duration": 3600},
                   "after_unknown": {"arn": True, "id": True}}}]}


def _cloudformation(document: Any) -> dict[str, Any]:
    return {"AWSTemplateFormatVersion": "2010-09-09",
            "Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": document}}}}


def _scan_file(tmp_path: Any, name: str, text: str) -> tuple[Report, str]:
    from pyiamguard.scanner import scan

    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        report = scan([path])
    return report, printed.getvalue()


@SETTINGS
@given(document=trust_documents(effects=("Allow",)), added=st.sampled_from(WILDCARD_FORMS),
       rnd=st.randoms(use_true_random=False))
def test_wildcard_principal_in_a_terraform_plan_is_reported_on_the_role(
    tmp_path_factory: Any, document: dict[str, Any], added: dict[str, Any], rnd: random.Random
) -> None:
    body = list(document["Statement"]) + [dict(added)]
    trust_text = respell({"Version": "2012-10-17", "Statement": body}, rnd)
    report, printed = _scan_file(tmp_path_factory.mktemp("tf"), "plan.json", json.dumps(_terraform_plan(trust_text)))
    assert report.errors == ()
    assert ("IAMG-101", 'module.m["a.b/c"].aws_iam_role.r[0]') in {(v.rule_id, v.resource) for v in report.violations}
    assert "Traceback" not in printed


@SETTINGS
@given(document=trust_documents(effects=("Allow",)), added=st.sampled_from(WILDCARD_FORMS),
       as_yaml=st.booleans())
def test_wildcard_principal_in_a_cloudformation_template_is_reported_on_the_role(
    tmp_path_factory: Any, document: dict[str, Any], added: dict[str, Any], as_yaml: bool
) -> None:
    import yaml

    body = list(document["Statement"]) + [dict(added)]
    template = _cloudformation({"Version": "2012-10-17", "Statement": body})
    text = yaml.safe_dump(template, sort_keys=False) if as_yaml else json.dumps(template, indent=1)
    report, printed = _scan_file(tmp_path_factory.mktemp("cfn"), "template." + ("yaml" if as_yaml else "json"), text)
    assert report.errors == ()
    assert ("IAMG-101", "Role") in {(v.rule_id, v.resource) for v in report.violations}
    assert "Traceback" not in printed


@SETTINGS
@given(document=broken_documents)
def test_malformed_documents_inside_plans_and_templates_never_crash(tmp_path_factory: Any, document: Any) -> None:
    folder = tmp_path_factory.mktemp("broken")
    for name, text in (("plan.json", json.dumps(_terraform_plan(json.dumps(document)))),
                       ("plan-object.json", json.dumps(_terraform_plan(document))),  # not even a string
                       ("template.json", json.dumps(_cloudformation(document)))):
        report, printed = _scan_file(folder, name, text)
        assert isinstance(report, Report)
        assert "Traceback" not in printed
