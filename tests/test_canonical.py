"""Shapes (pyiamguard/canonical.py): documents the built-in rules cannot tell apart share one
evaluation, and the findings carried over are exactly those of evaluating each one itself."""
from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path
from typing import Any, Iterable, Mapping

import pytest

from pyiamguard.canonical import RESOURCE_FORMS, Vocabulary, iam_glob_matches, shape, translate
from pyiamguard.config import Config
from pyiamguard.engine import MAIN_ENTRYPOINT, Engine
from pyiamguard.scanner import Scanner, collectors, engine_data, entrypoints

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
import gen_dump  # noqa: E402
import gen_estate  # noqa: E402

VENDOR, OTHER, OWN, TRUSTED, INTERNAL = "210987654321", "345678901234", "111122223333", "444455556666", "777788889999"
CONFIGURED = Config(own_accounts=[OWN], trusted_accounts=[TRUSTED], internal_accounts=[INTERNAL],
                    trusted_org_ids=["o-trusted1234"], require_mfa="all",
                    approved_oidc_subjects=["repo:acme/app:ref:refs/heads/main", "repo:acme/*"])


def _engine(config: Config = Config()) -> Engine:
    policies = Scanner(config)._policies
    return Engine(policies.modules, engine_data(policies, config), entrypoints(policies), collectors(policies))


def _vocabulary(config: Config = Config()) -> Vocabulary:
    policies = Scanner(config)._policies
    return Vocabulary.of(engine_data(policies, config), [source for _, source in policies.modules])


def _documents(tmp_path: Path, trusts: list[dict[str, Any]], config: Config = Config()) -> list[dict[str, Any]]:
    path = tmp_path / f"trusts-{len(list(tmp_path.iterdir()))}.json"
    path.write_text(json.dumps([{"Version": "2012-10-17", "Statement": s if isinstance(s, list) else [s]}
                                for s in trusts]), encoding="utf-8")
    inspection = Scanner(config).inspect([path])
    assert inspection.errors == ()
    return [dict(d.input) for d in inspection.documents]


def _key(document: Mapping[str, Any], vocabulary: Vocabulary) -> str:
    return shape({k: v for k, v in document.items() if k != "resource"}, vocabulary).key


def _vendor(account: str, external_id: str) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": external_id}}}


def _role(arn: str, **condition: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": arn}, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return statement


def _github(account: str, subject: str) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
            "Principal": {"Federated": f"arn:aws:iam::{account}:oidc-provider/token.actions.githubusercontent.com"},
            "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                          "StringLike": {"token.actions.githubusercontent.com:sub": subject}}}


def _org(org: str) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": org}}}


# --- what a shape keeps and what it abstracts ----------------------------------------------------


def test_accounts_external_ids_and_role_names_are_abstracted(tmp_path: Path) -> None:
    vocabulary = _vocabulary()
    documents = _documents(tmp_path, [
        _vendor(VENDOR, "f00d-1"), _vendor(OTHER, "beef-2"),
        _role(f"arn:aws:iam::{VENDOR}:role/ci-runner-1"), _role(f"arn:aws:iam::{OTHER}:role/deployer"),
        _github(VENDOR, "repo:org-1/app-1:*"), _github(OTHER, "repo:org-2/app-7:*"),
        _org("o-abcdef1234"), _org("o-zyxwvu9876"),
    ])
    keys = [_key(d, vocabulary) for d in documents]
    assert keys[0] == keys[1] and keys[2] == keys[3] and keys[4] == keys[5] and keys[6] == keys[7]
    assert len(set(keys)) == 4
    assert VENDOR not in keys[0] and "f00d-1" not in keys[0] and "ci-runner-1" not in keys[2]


@pytest.mark.parametrize(("first", "second", "why"), [
    (_vendor(OWN, "x-1"), _vendor(VENDOR, "x-1"), "a configured account stays as written"),
    (_vendor(TRUSTED, "x-1"), _vendor(VENDOR, "x-1"), "a trusted account stays as written"),
    (_role(f"arn:aws:iam::{VENDOR}:root", StringEquals={"sts:ExternalId": ["a-1", "b-2"]}),
     _role(f"arn:aws:iam::{VENDOR}:root", StringEquals={"sts:ExternalId": ["a-1", "a-1"]}),
     "equal values stay equal"),
    (_role(f"arn:aws:iam::{VENDOR}:root", StringEquals={"sts:ExternalId": ["Abc-1", "abc-1"]}),
     _role(f"arn:aws:iam::{VENDOR}:root", StringEquals={"sts:ExternalId": ["Abc-1", "xyz-1"]}),
     "values equal but for case stay so"),
    (_vendor(VENDOR, "true"), _vendor(VENDOR, "maybe"), "a value the policies name stays as written"),
    (_org("o-trusted1234"), _org("o-abcdef1234"), "an organization the configuration trusts"),
    (_org("o-trusted1234/r-ab12/ou-x"), _org("o-abcdef1234/r-ab12/ou-x"), "a path under a trusted organization"),
    (_org("o-abcdef1234"), _org("ou-abcdef1234"), "an organization id starts with o-"),
    (_github(VENDOR, "repo:acme/app:ref:refs/heads/main"), _github(VENDOR, "repo:acme/other:ref:refs/heads/main"),
     "an approved subject"),
    (_github(VENDOR, "repo:acme/app:*"), _github(VENDOR, "repo:acne/app:*"), "a subject under an approved prefix"),
    (_github(VENDOR, "repo:*/app:*"), _github(VENDOR, "repo:org-1/app:*"), "a broad subject"),
    ([_role(f"arn:aws:iam::{VENDOR}:role/a"), {**_role(f"arn:aws:iam::{VENDOR}:role/a"), "Effect": "Deny"}],
     [_role(f"arn:aws:iam::{VENDOR}:role/a"), {**_role(f"arn:aws:iam::{VENDOR}:role/b"), "Effect": "Deny"}],
     "a Deny names the same principal or another"),
    (_role(f"arn:aws:iam::{VENDOR}:role/a", StringEquals={"sts:ExternalId": f"arn:aws:iam::{VENDOR}:role/a"}),
     _role(f"arn:aws:iam::{VENDOR}:role/a", StringEquals={"sts:ExternalId": f"arn:aws:iam::{VENDOR}:role/b"}),
     "one text in two roles"),
])
def test_what_a_rule_can_tell_apart_stays_apart(tmp_path: Path, first: Any, second: Any, why: str) -> None:
    vocabulary = _vocabulary(CONFIGURED)
    one, two = _documents(tmp_path, [first, second], CONFIGURED)
    assert _key(one, vocabulary) != _key(two, vocabulary), why


def test_a_wildcard_next_to_a_digit_keeps_the_accounts_as_written(tmp_path: Path) -> None:
    """`arn:aws:iam::2109*:root` in an aws:PrincipalArn condition matches some accounts and not
    others: a document holding such a glob keeps its accounts."""
    vocabulary = _vocabulary()
    glob = {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::2109*:root"}}
    one, two = _documents(tmp_path, [_role(f"arn:aws:iam::{VENDOR}:root", **glob),
                                      _role(f"arn:aws:iam::{OTHER}:root", **glob)])
    assert _key(one, vocabulary) != _key(two, vocabulary)
    assert VENDOR in _key(one, vocabulary)


def test_configured_data_with_such_a_glob_keeps_every_account() -> None:
    vocabulary = Vocabulary.of({"pyiamguard": {"custom": {"vendors": ["arn:aws:iam::12*:root"]}}}, [])
    assert not vocabulary.rename_accounts
    document = {"kind": "trust", "statements": [], "context": {"own_accounts": [VENDOR]}}
    assert VENDOR in shape(document, vocabulary).key


def test_findings_carry_over_by_renaming_and_refuse_what_they_cannot_rename() -> None:
    vocabulary = Vocabulary.of({}, [])
    source = shape({"statements": [], "context": {"own_accounts": [VENDOR]}}, vocabulary)
    target = shape({"statements": [], "context": {"own_accounts": [OTHER]}}, vocabulary)
    assert source.key == target.key
    finding = {"package": "iamg_102", "ref": "p2", "facts": {"account": VENDOR, "arn": f"arn:aws:iam::{VENDOR}:root"}}
    assert translate([finding], source, target) == (
        {"package": "iamg_102", "ref": "p2", "facts": {"account": OTHER, "arn": f"arn:aws:iam::{OTHER}:root"}},)


def test_an_atom_inside_a_longer_fact_is_not_carried_over(tmp_path: Path) -> None:
    vocabulary = _vocabulary()
    one, two = _documents(tmp_path, [_vendor(VENDOR, "secret-one"), _vendor(VENDOR, "secret-two")])
    source, target = (shape({k: v for k, v in d.items() if k != "resource"}, vocabulary) for d in (one, two))
    assert source.key == target.key and source.atoms == ("secret-one",) and target.atoms == ("secret-two",)
    whole = {"package": "x", "ref": "c1", "facts": {"value": "secret-one"}}
    assert translate([whole], source, target) == ({"package": "x", "ref": "c1", "facts": {"value": "secret-two"}},)
    assert translate([{"package": "x", "ref": "c1", "facts": {"value": "id secret-one"}}], source, target) is None


def test_iam_glob_matches_as_the_rego_library_does() -> None:
    assert iam_glob_matches("repo:acme/*", "repo:acme/app:ref:refs/heads/main")
    assert iam_glob_matches("repo:a?me/*", "repo:acme/x") and not iam_glob_matches("repo:a?me/*", "repo:ame/x")
    assert iam_glob_matches("a.b", "a.b") and not iam_glob_matches("a.b*", "aXb")
    assert not iam_glob_matches("Repo:acme/*", "repo:acme/x")


# --- one evaluation per shape, every document its own findings -----------------------------------


def test_roles_of_one_shape_are_evaluated_once_with_their_own_accounts_and_lines(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pyiamguard import engine as engine_module

    path = tmp_path / "vendors.json"
    path.write_text(json.dumps([{"Version": "2012-10-17", "Statement": [_role(f"arn:aws:iam::{account}:root")]}
                                for account in (VENDOR, OTHER, "999988887777")], indent=2), encoding="utf-8")
    queried: list[str] = []
    real = engine_module.Engine._query
    monkeypatch.setattr(engine_module.Engine, "_query", lambda self, e: queried.append(e) or real(self, e))
    report = Scanner(Config()).scan([path])
    assert queried == [MAIN_ENTRYPOINT]
    found = sorted((v.rule_id, v.resource, v.line) for v in report.violations if v.rule_id in ("IAMG-102", "IAMG-103"))
    assert found == sorted((rule, f"vendors.json[{i}]", 8 + 12 * i) for i in range(3) for rule in ("IAMG-102", "IAMG-103"))
    for i, account in enumerate((VENDOR, OTHER, "999988887777")):
        messages = [v.message for v in report.violations if v.resource == f"vendors.json[{i}]"]
        assert f"of account {account}, which is neither" in " ".join(messages)  # IAMG-102's account fact
        assert not any(a in m for m in messages for a in {VENDOR, OTHER, "999988887777"} - {account})


# --- differential: shapes and raw evaluation agree -------------------------------------------------


def _raw(engine: Engine, document: Mapping[str, Any]) -> list[str]:
    """The built-in findings of the document evaluated itself, bypassing every memo."""
    engine._interp.set_input(dict(document))
    return sorted(json.dumps(f, sort_keys=True) for f in engine._query(MAIN_ENTRYPOINT))


def _agree(config: Config, documents: Iterable[Mapping[str, Any]]) -> tuple[int, int]:
    """Every document's findings through the shape memo equal its own; (documents, shapes)."""
    engine = _engine(config)
    documents = list(documents)
    shapes = set()
    for document in documents:
        prepared = engine.prepare(document)
        shapes.add(prepared.key)
        memoized = sorted(json.dumps(f, sort_keys=True) for f in engine.evaluate(document, prepared))
        assert memoized == _raw(engine, document), json.dumps(document)[:2000]
    return len(documents), len(shapes)


ACCOUNTS = [VENDOR, OTHER, OWN, TRUSTED, INTERNAL, "123456789012"]
NAMES = ["ci", "CI", "deployer", "vendor-1", "a"]
TEXTS = ["ext-1", "EXT-1", "ext-2", "true", "", "*", "o-trusted1234", f"arn:aws:iam::{VENDOR}:role/ci"]
ORGS = ["o-trusted1234", "o-other5678", "o-trusted1234/r-ab12/ou-x", "o-*", "ou-abc"]
SUBJECTS = ["repo:acme/app:ref:refs/heads/main", "repo:acme/*", "repo:*", "repo:org-1/app:*", "*", "repo:acme/app:*",
            "system:serviceaccount:ns:sa", "repo:Acme/app:*"]


def _generated_trusts(count: int, seed: int) -> list[list[dict[str, Any]]]:
    """Trust policies in families of six: one structure drawn from small pools, then redrawn
    with the pools' accounts, names and values replaced by fresh ones (configured accounts and
    the values the policies name kept or not), so that shapes repeat with other texts, and
    equal, case-equal and configured values meet in one document."""
    out = []
    for family in range(count // 6):
        for variant in range(6):
            fresh = random.Random(seed * 7919 + family * 6 + variant)
            pools = _pools(fresh, variant == 0)
            out.append(_trust(random.Random(seed * 104729 + family), *pools))
    return out


def _pools(rng: random.Random, base: bool) -> tuple[list[str], list[str], list[str], list[str], list[str]]:
    if base:
        return ACCOUNTS, NAMES, TEXTS, ORGS, SUBJECTS
    accounts = [a if a in (OWN, TRUSTED, INTERNAL) and rng.random() < 0.5 else f"{rng.randrange(10**11, 10**12)}"
                for a in ACCOUNTS]
    names = [f"n{rng.randrange(10**6)}" for _ in NAMES]
    names[1] = names[0].upper() if rng.random() < 0.7 else names[1]
    texts = [t if t in ("true", "", "*") else f"x-{rng.randrange(10**6)}" for t in TEXTS]
    texts[1] = texts[0].upper()
    texts[-1] = f"arn:aws:iam::{accounts[0]}:role/{names[0]}"
    orgs = [o if "trusted" in o or "*" in o else f"o-{rng.randrange(10**9, 10**10)}" for o in ORGS]
    orgs[-1] = f"ou-{rng.randrange(10**6)}"
    subjects = [s if s in ("repo:*", "*", "repo:acme/*") else s.replace("org-1", f"org-{rng.randrange(99)}")
                .replace("app", f"app{rng.randrange(99)}").replace("ns:sa", f"ns{rng.randrange(9)}:sa") for s in SUBJECTS]
    return accounts, names, texts, orgs, subjects


def _trust(rng: random.Random, accounts: list[str], names: list[str], texts: list[str], orgs: list[str],
           subjects: list[str]) -> list[dict[str, Any]]:
    """One trust policy drawn by rng from the pools."""
    def account() -> str:
        return rng.choice(accounts)

    def principal() -> Any:
        return rng.choice([
            "*", {"AWS": "*"}, {"AWS": f"arn:aws:iam::{account()}:root"}, {"AWS": account()},
            {"AWS": f"arn:aws:iam::{account()}:role/{rng.choice(names)}"},
            {"AWS": f"arn:aws:iam::{account()}:user/{rng.choice(names)}"},
            {"AWS": f"arn:aws:sts::{account()}:assumed-role/{rng.choice(names)}/s"},
            {"AWS": f"arn:aws:iam::{account()[:4]}*:root"}, {"AWS": "arn:aws:iam::*:role/x"},
            {"Service": rng.choice(["lambda.amazonaws.com", "s3.amazonaws.com"])},
            {"Federated": f"arn:aws:iam::{account()}:oidc-provider/token.actions.githubusercontent.com"},
            {"Federated": f"arn:aws:iam::{account()}:saml-provider/okta"},
            {"AWS": [f"arn:aws:iam::{account()}:role/{rng.choice(names)}", f"arn:aws:iam::{account()}:root"]},
        ])

    def condition() -> dict[str, Any]:
        operator = rng.choice(["StringEquals", "StringLike", "StringNotEquals", "StringEqualsIfExists",
                               "ForAllValues:StringEquals", "ArnLike", "ArnEquals", "Bool", "BoolIfExists"])
        key, values = rng.choice([
            ("sts:ExternalId", texts), ("aws:PrincipalOrgID", orgs), ("aws:PrincipalOrgPaths", orgs),
            ("aws:PrincipalAccount", accounts), ("aws:SourceAccount", accounts),
            ("aws:PrincipalArn", [f"arn:aws:iam::{a}:role/{n}" for a in accounts[:3] for n in names[:3]]
             + [f"arn:aws:iam::{VENDOR}:role/*", f"arn:aws:iam::{VENDOR[:3]}*:role/ci", "arn:aws:iam::*:root"]),
            ("token.actions.githubusercontent.com:sub", subjects), ("token.actions.githubusercontent.com:aud",
                                                                    ["sts.amazonaws.com", "*"]),
            ("aws:MultiFactorAuthPresent", ["true", "false"]),
        ])
        chosen = [rng.choice(values) for _ in range(rng.choice([1, 1, 2]))]
        return {operator: {key: chosen[0] if len(chosen) == 1 else chosen}}

    def statement() -> dict[str, Any]:
        out: dict[str, Any] = {
            "Effect": rng.choice(["Allow", "Allow", "Allow", "Deny"]),
            rng.choice(["Principal"] * 9 + ["NotPrincipal"]): principal(),
            "Action": rng.choice(["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:*",
                                  ["sts:AssumeRole", "sts:TagSession"], "sts:AssumeRoleWithSAML"]),
        }
        conditions: dict[str, Any] = {}
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            for operator, pairs in condition().items():
                conditions.setdefault(operator, {}).update(pairs)
        if conditions:
            out["Condition"] = conditions
        return out

    return [statement() for _ in range(rng.choice([1, 1, 2, 3]))]


@pytest.mark.parametrize("config", [Config(), CONFIGURED], ids=["default", "configured"])
def test_generated_trusts_agree_with_their_own_evaluation(tmp_path: Path, config: Config) -> None:
    documents = _documents(tmp_path, _generated_trusts(900, seed=7), config)
    count, shapes = _agree(config, documents)
    assert count == 900 and shapes < count * 0.8  # shapes repeat: carried-over findings are compared


@pytest.mark.parametrize("kind", ["terraform", "cloudformation", "iam"])
def test_benchmark_estates_agree_with_their_own_evaluation(tmp_path: Path, kind: str) -> None:
    generate = {"terraform": gen_estate.terraform_plan, "cloudformation": gen_estate.cloudformation_template,
                "iam": gen_estate.iam_documents}[kind]
    path = tmp_path / "estate.json"
    path.write_text(json.dumps(generate(240)), encoding="utf-8")
    documents = [dict(d.input) for d in Scanner(CONFIGURED).inspect([path]).documents]
    count, shapes = _agree(CONFIGURED, documents)
    assert count >= 240 and shapes <= 24


def test_the_corpus_and_the_examples_agree_with_their_own_evaluation(shared_dir: Path) -> None:
    paths = [shared_dir / "corpus", REPO / "examples", REPO / "tests" / "fixtures"]
    for config in (Config(), Config(require_mfa="all", own_accounts=[OWN])):
        inspection = Scanner(config).inspect(paths)
        documents = [dict(d.input) for d in inspection.documents if d.input.get("kind") != "assume_pair"]
        count, _ = _agree(config, documents)
        assert count > 500


# --- the text the rules read ------------------------------------------------------------------------

# Every line of a built-in rule or library that reads a value as text (not only its flags):
# canonical.py abstracts values on the assumption that these are all the ways rules read them.
# A new line here means a rule reads a value in a new way: review canonical.py's atoms (what
# each keeps of its value) and then update tests/fixtures/canonical/text_reads.txt.
_TEXT_READ = re.compile(r"\.(text|value|identity|name|arn|values|patterns|account|issuer)\b|"
                        r"\b(min|max|sort|regex\.\w+|startswith|endswith|contains|indexof|substring|split|lower|"
                        r"upper|concat|trim\w*|replace|glob\.\w+|iam_glob\.\w+)\(|[<>]=?\s")
PINNED = REPO / "tests" / "fixtures" / "canonical" / "text_reads.txt"


def _text_reads() -> list[str]:
    lines = []
    for path in sorted((REPO / "policies" / "pyiamguard").rglob("*.rego")):
        if path.name.endswith("_test.rego") or "iamg_501" in path.parts:  # pairs never reach the shape memo
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            code = line.split("#", 1)[0].strip()
            if code and _TEXT_READ.search(code):
                lines.append(f"{path.relative_to(REPO).as_posix()}: {code}")
    return lines


def test_the_ways_rules_read_text_are_the_ones_shapes_were_designed_for() -> None:
    assert _text_reads() == PINNED.read_text(encoding="utf-8").splitlines(), (
        "a built-in rule reads values in a way tests/fixtures/canonical/text_reads.txt does not list: check "
        "that pyiamguard/canonical.py keeps what it needs, then update that file")


# --- resource values ------------------------------------------------------------------------------
#
# Rules read a statement's resource values in three ways only (lib/permissions.rego, IAMG-304):
# `"*" in values`, and the two regexes of iamg_304 `forms`. Shapes number the values and keep the
# regexes' answers beside each; the tests below hold that to the raw evaluation.


def _grant(resource: Any, *, effect: str = "Allow", action: Any = "sts:AssumeRole", element: str = "Resource",
           **condition: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": effect, "Action": action, element: resource}
    if condition:
        statement["Condition"] = condition
    return statement


def _identity_documents(tmp_path: Path, policies: list[list[dict[str, Any]]],
                        config: Config = Config()) -> list[dict[str, Any]]:
    documents = _documents(tmp_path, policies, config)
    assert all(d["kind"] in ("identity", "resource") for d in documents)
    return documents


def test_resource_names_and_their_accounts_are_abstracted(tmp_path: Path) -> None:
    vocabulary = _vocabulary()
    documents = _identity_documents(tmp_path, [
        [_grant([f"arn:aws:iam::{VENDOR}:role/app-1", f"arn:aws:iam::{OTHER}:role/app-0"]),
         _grant("arn:aws:s3:::bucket-0/*", action="s3:GetObject")],
        [_grant([f"arn:aws:iam::{OTHER}:role/app-2", "arn:aws:iam::123456789012:role/app-1"]),
         _grant("arn:aws:s3:::bucket-7/*", action="s3:GetObject")],
        [_grant(f"arn:aws:iam::{VENDOR}:role/*"), _grant(f"arn:aws:iam::{VENDOR}:user/${{aws:username}}")],
        [_grant(f"arn:aws:iam::{OTHER}:role/*"), _grant(f"arn:aws:iam::{OTHER}:user/${{aws:username}}")],
    ])
    keys = [_key(d, vocabulary) for d in documents]
    assert keys[0] == keys[1] and keys[2] == keys[3] and len(set(keys)) == 2
    assert "app-1" not in keys[0] and "bucket" not in keys[0] and VENDOR not in keys[0] and VENDOR not in keys[2]


def test_the_dump_roles_share_a_few_shapes(tmp_path: Path) -> None:
    path = tmp_path / "dump.json"
    path.write_text(json.dumps(gen_dump.dump(120)), encoding="utf-8")
    vocabulary = _vocabulary()
    documents = [dict(d.input) for d in Scanner(Config()).inspect([path]).documents if d.input["kind"] != "assume_pair"]
    assert len(documents) == 240 and len({_key(d, vocabulary) for d in documents}) <= 8


@pytest.mark.parametrize(("first", "second", "why"), [
    ([_grant("*")], [_grant(f"arn:aws:iam::{VENDOR}:role/a")], "the resource is *"),
    ([_grant("arn:aws:iam::*:role/*")], [_grant("arn:aws:iam::*:role/deployer")], "every role of any account"),
    ([_grant("arn:aws:iam::*:*")], [_grant("arn:aws:iam::*:user/*")], "every role of any account, role/ left out"),
    ([_grant("arn:aws:sts::*:*")], [_grant("arn:aws:sts::*:x")], "every role of any account through sts"),
    ([_grant(f"arn:aws:iam::{VENDOR[:4]}*:role/*")], [_grant(f"arn:aws:iam::{VENDOR}:role/*x")],
     "a wildcard in the account"),
    ([_grant(f"arn:aws:iam::{VENDOR}:role/*")], [_grant(f"arn:aws:iam::{VENDOR}:role/app-*")],
     "every role of one account"),
    ([_grant(f"arn:aws:iam::{VENDOR}:*")], [_grant(f"arn:aws:iam::{VENDOR}:role/a")], "every role of one account, role/ left out"),
    ([_grant(f"arn:aws:iam::{VENDOR}:role/*")], [_grant(f"arn:aws:iam::{VENDOR[:11]}:role/*")],
     "every role of one account: twelve digits"),
    ([_grant([f"arn:aws:iam::{VENDOR}:role/a", f"arn:aws:iam::{VENDOR}:role/a"])],
     [_grant([f"arn:aws:iam::{VENDOR}:role/a", f"arn:aws:iam::{VENDOR}:role/b"])], "equal values stay equal"),
    ([_grant(f"arn:aws:iam::{VENDOR}:role/a"), _grant(f"arn:aws:iam::{VENDOR}:role/a", effect="Deny")],
     [_grant(f"arn:aws:iam::{VENDOR}:role/a"), _grant(f"arn:aws:iam::{VENDOR}:role/b", effect="Deny")],
     "a Deny names the same resource or another"),
    ([_grant(f"arn:aws:iam::{VENDOR}:role/a"), _grant(f"arn:aws:iam::{VENDOR}:role/a", element="NotResource")],
     [_grant(f"arn:aws:iam::{VENDOR}:role/a"), _grant(f"arn:aws:iam::{VENDOR}:role/b", element="NotResource")],
     "a NotResource names the same value or another"),
    ([_grant(f"arn:aws:iam::{VENDOR}:role/a", ArnLike={"aws:SourceArn": f"arn:aws:iam::{VENDOR}:role/a"})],
     [_grant(f"arn:aws:iam::{VENDOR}:role/a", ArnLike={"aws:SourceArn": f"arn:aws:iam::{VENDOR}:role/b"})],
     "a resource equal to a condition value"),
    ([{**_grant(f"arn:aws:iam::{VENDOR}:role/a"), "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:role/a"}}],
     [{**_grant(f"arn:aws:iam::{VENDOR}:role/a"), "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:role/b"}}],
     "a resource equal to a principal"),
    ([_grant("arn:aws:s3:::bucket/a b")], [_grant("arn:aws:s3:::bucket/a c")], "other than IAM characters"),
])
def test_what_a_rule_can_tell_of_a_resource_stays_apart(tmp_path: Path, first: Any, second: Any, why: str) -> None:
    vocabulary = _vocabulary(CONFIGURED)
    one, two = _documents(tmp_path, [first, second], CONFIGURED)
    assert _key(one, vocabulary) != _key(two, vocabulary), why


def test_the_resource_tests_are_those_of_the_rule() -> None:
    """canonical.RESOURCE_FORMS is iamg_304's `forms` regexes, as written there."""
    source = (REPO / "policies" / "pyiamguard" / "rules" / "iamg_304" / "policy.rego").read_text(encoding="utf-8")
    written = re.findall(r'^forms\(value\) := \{"(\w+)"\} if regex\.match\(`([^`]*)`, value\)$', source, re.M)
    assert tuple(written) == RESOURCE_FORMS
    assert re.findall(r"^forms\(value\) := .*$", source, re.M)[0] == 'forms(value) := {"everything"} if value == "*"'
    assert "*" in _vocabulary().reserved_texts  # so `value == "*"` needs no flag


def test_an_account_known_only_inside_an_atom_is_not_carried_over() -> None:
    vocabulary = Vocabulary.of({}, [])

    def identity(account: str) -> dict[str, Any]:
        return {"statements": [{"resources": {"values": [f"arn:aws:iam::{account}:role/a"]}}], "context": {}}

    source, target = shape(identity(VENDOR), vocabulary), shape(identity(OTHER), vocabulary)
    assert source.key == target.key and source.hidden == frozenset({VENDOR})
    assert translate([{"package": "x", "ref": "e1", "facts": {"value": f"arn:aws:iam::{VENDOR}:role/a"}}], source,
                     target) == ({"package": "x", "ref": "e1", "facts": {"value": f"arn:aws:iam::{OTHER}:role/a"}},)
    assert translate([{"package": "x", "ref": "e1", "facts": {"account": VENDOR}}], source, target) is None


def _resource_pool(accounts: list[str], names: list[str]) -> list[str]:
    a, b, c = accounts[0], accounts[1], accounts[2]
    n, m = names[0], names[1]
    return [
        "*", f"arn:aws:iam::{a}:role/{n}", f"arn:aws:iam::{b}:role/{m}", f"arn:aws:iam::{a}:role/*",
        f"arn:aws:iam::{c}:*", "arn:aws:iam::*:role/*", f"arn:aws:iam::*:role/{n}", f"arn:aws:iam::{a[:4]}*:role/*",
        f"arn:aws:iam::{b}:role/{n}-*", f"arn:aws:iam::{a}:role/{m}?", "arn:aws:sts::*:*",
        f"arn:aws:sts::{b}:assumed-role/{n}/*", "arn:aws:iam::${aws:PrincipalAccount}:role/*",
        f"arn:aws:iam::{a}:user/${{aws:username}}", f"arn:aws:iam::{c}:role/${{aws:PrincipalTag/team}}-*",
        f"arn:aws:s3:::bucket-{n}/*", f"arn:aws:s3:::bucket-{n}/a b", f"arn:aws:iam::{a}:root", a,
        f"arn:aws:iam::{VENDOR}:role/ci", f"arn:aws:iam::{a}:role/{n.upper()}", "arn:aws:s3:::true",
    ]


def _identity(rng: random.Random, accounts: list[str], names: list[str], with_principal: bool) -> list[dict[str, Any]]:
    """One identity policy (or, with a principal, a resource policy) drawn by rng from the pools."""
    resources = _resource_pool(accounts, names)

    def statement() -> dict[str, Any]:
        chosen = [rng.choice(resources) for _ in range(rng.choice([1, 1, 2, 3]))]
        out: dict[str, Any] = {
            "Effect": rng.choice(["Allow", "Allow", "Allow", "Deny"]),
            rng.choice(["Action"] * 5 + ["NotAction"]): rng.choice([
                "sts:AssumeRole", "sts:*", "*", "iam:*", "iam:PassRole", "s3:GetObject", "iam:Put*",
                ["sts:AssumeRole", "iam:PassRole"], "sts:AssumeRoleWithWebIdentity"]),
            rng.choice(["Resource"] * 4 + ["NotResource"]): chosen[0] if len(chosen) == 1 else chosen,
        }
        if with_principal:
            out["Principal"] = {"AWS": rng.choice([f"arn:aws:iam::{accounts[0]}:role/{names[0]}", rng.choice(resources),
                                                   accounts[1]])}
        if rng.random() < 0.3:
            out["Condition"] = rng.choice([
                {"StringEquals": {"aws:ResourceAccount": rng.choice(accounts)}},
                {"ArnLike": {"aws:SourceArn": rng.choice(resources)}},
                {"StringEquals": {"aws:ResourceOrgID": "o-trusted1234"}},
                {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
            ])
        return out

    return [statement() for _ in range(rng.choice([1, 1, 2, 3]))]


def _generated_identities(count: int, seed: int) -> list[list[dict[str, Any]]]:
    """Identity and resource policies in families of six: one structure drawn from small
    pools, redrawn with the pools' accounts and names replaced by fresh ones (see
    `_generated_trusts`)."""
    out = []
    for family in range(count // 6):
        for variant in range(6):
            accounts, names, *_ = _pools(random.Random(seed * 7919 + family * 6 + variant), variant == 0)
            rng = random.Random(seed * 104729 + family)
            out.append(_identity(rng, accounts, names, rng.random() < 0.15))
    return out


@pytest.mark.parametrize("config", [Config(), CONFIGURED], ids=["default", "configured"])
def test_generated_identity_policies_agree_with_their_own_evaluation(tmp_path: Path, config: Config) -> None:
    documents = _documents(tmp_path, _generated_identities(900, seed=11), config)
    count, shapes = _agree(config, documents)
    assert count == 900 and shapes < count * 0.6


def _template(count: int, seed: int) -> dict[str, Any]:
    """A CloudFormation template of roles in families of six (same structure, fresh names):
    each with a generated trust, an inline policy, an AWS::IAM::Policy reaching it (its grants
    are the role's: IAMG-304 reads them on the role) and, for some, a boundary of the template."""
    resources: dict[str, Any] = {}
    for family in range(count // 6):
        for variant in range(6):
            i = family * 6 + variant
            pools = _pools(random.Random(seed * 7919 + i), variant == 0)
            rng = random.Random(seed * 104729 + family)
            properties: dict[str, Any] = {
                "RoleName": f"role-{i}",
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": _trust(rng, *pools)},
                "Policies": [{"PolicyName": "inline", "PolicyDocument": {
                    "Version": "2012-10-17", "Statement": _identity(rng, pools[0], pools[1], False)}}],
            }
            if rng.random() < 0.3:
                properties["PermissionsBoundary"] = {"Ref": f"Boundary{i}"}
                resources[f"Boundary{i}"] = {"Type": "AWS::IAM::ManagedPolicy", "Properties": {
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": _identity(rng, pools[0], pools[1], False)}}}
            resources[f"Role{i}"] = {"Type": "AWS::IAM::Role", "Properties": properties}
            resources[f"Policy{i}"] = {"Type": "AWS::IAM::Policy", "Properties": {
                "PolicyName": f"reach-{i}", "Roles": [{"Ref": f"Role{i}"}],
                "PolicyDocument": {"Version": "2012-10-17", "Statement": _identity(rng, pools[0], pools[1], False)}}}
    return {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}


@pytest.mark.parametrize("config", [Config(), CONFIGURED], ids=["default", "configured"])
def test_generated_roles_with_policies_agree_with_their_own_evaluation(tmp_path: Path, config: Config) -> None:
    path = tmp_path / "template.json"
    path.write_text(json.dumps(_template(300, seed=5)), encoding="utf-8")
    documents = [dict(d.input) for d in Scanner(config).inspect([path]).documents]
    assert sum(1 for d in documents if d["kind"] == "trust" and any(
        not p["scanned"] and p["statements"] for p in d["role"]["policies"])) >= 250  # IAMG-304 reads them
    count, shapes = _agree(config, documents)
    assert count >= 900 and shapes < count * 0.6


def test_the_benchmark_dump_agrees_with_its_own_evaluation(tmp_path: Path) -> None:
    path = tmp_path / "dump.json"
    path.write_text(json.dumps(gen_dump.dump(600)), encoding="utf-8")
    documents = [dict(d.input) for d in Scanner(Config()).inspect([path]).documents if d.input["kind"] != "assume_pair"]
    count, shapes = _agree(Config(), documents)
    assert count == 1200 and shapes <= 8
