"""The regopy adapter: compiled once, one document per query, failures isolated per rule."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from pyiamguard.catalog import load_custom_rules, load_policy_set
from pyiamguard.engine import Engine, EngineError
from pyiamguard.config import Config
from pyiamguard.scanner import collectors, engine_data, entrypoints

# A custom rule that divides by zero: with strict built-in errors it fails instead of going quiet.
BROKEN = Path(__file__).parent / "fixtures" / "custom" / "broken_at_evaluation"

DOC = {
    "kind": "trust", "context": {"own_accounts": [], "partition": "", "owner": ""}, "problems": [], "unresolved": [],
    "statements": [{
        "ref": "s0", "index": 0, "effect": "Allow", "principal_element": "Principal", "principal_ref": "e1",
        "principals": [{"ref": "p2", "kind": "wildcard", "block": "AWS", "value": "*", "account": "", "partition": "",
                        "scope": "", "whole_account": False, "service": "", "provider": "", "issuer": "", "defects": []}],
        "actions": {"assume_role": True, "web_identity": False, "saml": False, "broad": False, "not_action": False,
                    "unresolved": False, "ref": "e3", "refs": ["a4"]},
        "conditions": [],
    }],
}


def _engine(extra: list[tuple[str, str]] = (), policy_dirs: list[Path] = ()) -> Engine:  # type: ignore[assignment]
    built_in = load_policy_set()
    policies = built_in.with_custom(load_custom_rules(policy_dirs, built_in.rules))
    return Engine(list(policies.modules) + list(extra), engine_data(policies, Config()), entrypoints(policies),
                  collectors(policies))


def test_wildcard_document_gives_the_wildcard_finding() -> None:
    findings = _engine().evaluate(DOC)
    assert findings == ({"facts": {"statement": "s0"}, "package": "iamg_101", "ref": "p2"},)


def _spy(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The entry points the engine queries from now on."""
    queried: list[str] = []
    real = engine._query
    monkeypatch.setattr(engine, "_query", lambda entrypoint: queried.append(entrypoint) or real(entrypoint))
    return queried


def test_identical_documents_are_evaluated_once(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = _engine()
    queried = _spy(engine, monkeypatch)
    first = engine.evaluate(DOC)
    assert engine.evaluate(json.loads(json.dumps(DOC))) == first and len(queried) == 1


def test_a_failing_rule_raises_and_is_isolated_from_the_others() -> None:
    engine = _engine(policy_dirs=[BROKEN])
    with pytest.raises(EngineError):
        engine.evaluate(DOC)
    findings, errors = engine.evaluate_isolated(DOC)
    assert [(f["package"], f["ref"]) for f in findings] == [("iamg_101", "p2")]
    assert [e.package for e in errors] == ["tests.broken"]


def test_a_policy_that_does_not_parse_is_an_engine_error() -> None:
    with pytest.raises(EngineError, match=r"^broken.rego:2:\d+: does not compile: "):
        _engine([("broken.rego", "package x\n deny contains if {")])


def test_one_rule_alone() -> None:
    engine = _engine()
    assert engine.evaluate_rule(DOC, "iamg_101") == ({"facts": {"statement": "s0"}, "package": "iamg_101", "ref": "p2"},)
    assert engine.evaluate_rule(DOC, "iamg_103") == ()
    broken = _engine(policy_dirs=[BROKEN])
    with pytest.raises(EngineError):
        broken.evaluate_rule(DOC, "tests.broken")


@pytest.mark.parametrize(("field", "value", "shown"), [
    ("value", "arn:aws:iam::111122223333:role/\u212aelvin", "$.statements.0.principals.0.value = 'arn:aws:iam::111122223333:role/\u212aelvin'"),
    ("value", 'say "hi"', "$.statements.0.principals.0.value = 'say \"hi\"'"),
    ("value", "*\n", "$.statements.0.principals.0.value = '*\\n'"),
    ("account", 9223372036854775808, "$.statements.0.principals.0.account = 9223372036854775808"),
    ("account", 3600.5, "$.statements.0.principals.0.account = 3600.5"),
])
def test_a_value_the_engines_may_read_differently_fails_closed(field: str, value: object, shown: str) -> None:
    """The normalizer hands the engine only tokens and bounded integers; anything else that
    slips through is an error naming the value, never a silent difference between engines."""
    doc = json.loads(json.dumps(DOC))
    doc["statements"][0]["principals"][0][field] = value
    engine = _engine()
    with pytest.raises(EngineError, match="holds a value the engine may misread") as raised:
        engine.evaluate(doc)
    assert shown in str(raised.value)
    findings, errors = engine.evaluate_isolated(doc)
    assert findings == [] and len(errors) == 1
    with pytest.raises(EngineError):
        engine.evaluate_rule(doc, "iamg_101")


def test_custom_rules_are_memoized_apart_on_the_whole_document(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two roles that differ only in their tags: the built-in rules run once (they never read
    `resource`), the custom rules once per document (ACME-003 reads the tags)."""
    from pyiamguard.catalog import CUSTOM_MAIN_ENTRYPOINT
    from pyiamguard.engine import MAIN_ENTRYPOINT
    from pyiamguard.scanner import Scanner

    repo = Path(__file__).resolve().parents[1]
    rules = repo / "examples" / "custom-policies" / "policies"
    untagged = rules / "owner_tag" / "examples" / "violating_untagged_vendor_roles.yaml"
    document = Scanner().inspect([untagged]).documents[0].input
    tagged = {**document, "resource": {**document["resource"], "tags": {"Owner": "platform-team"}}}
    engine = _engine(policy_dirs=[rules])
    queried = _spy(engine, monkeypatch)
    first = engine.evaluate(document)
    second = engine.evaluate(tagged)
    assert queried == [MAIN_ENTRYPOINT, CUSTOM_MAIN_ENTRYPOINT, CUSTOM_MAIN_ENTRYPOINT]
    # No policy_data here: the vendor is not approved (ACME-001) in both, the Owner tag lacks
    # in the first only (ACME-003); the built-in findings are the same.
    assert sorted(f["package"] for f in first if f["package"].startswith("acme.")) == ["acme.owner_tag",
                                                                                        "acme.vendor_trust"]
    assert [f for f in first if f["package"] != "acme.owner_tag"] == list(second)
    assert engine.evaluate(json.loads(json.dumps(tagged))) == second and len(queried) == 3
