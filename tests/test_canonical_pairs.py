"""Pair shapes (pyiamguard/canonical_pairs.py): IAMG-501 pairs the rule cannot tell apart share one
evaluation, and the findings carried over are exactly those of evaluating each pair itself."""
from __future__ import annotations

import copy
import json
import random
import re
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

from pyiamguard import Config, scan
from pyiamguard.canonical_pairs import PairMemo, PairShape, iam_glob_matches, pair_shape, translate
from pyiamguard.engine import Engine
from pyiamguard.scanner import Scanner, collectors, engine_data, entrypoints

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
import gen_dump  # noqa: E402

A, B, C = "111122223333", "444455556666", "777788889999"
PACKAGE = "iamg_501"


def _engine(config: Config = Config()) -> Engine:
    policies = Scanner(config)._policies
    return Engine(policies.modules, engine_data(policies, config), entrypoints(policies), collectors(policies))


def _package(config: Config = Config()) -> str:
    return next(r.package for r in Scanner(config)._policies.rules if r.rule_id == "IAMG-501")


def _grant(ref: str, values: list[str], effect: str = "Allow", conditional: bool = False) -> dict[str, Any]:
    return {"ref": ref, "effect": effect, "conditional": conditional,
            "actions": {"assume_role": True, "unresolved": False, "not_action": False, "patterns": ["sts:assumerole"]},
            "resources": {"element": "Resource", "values": values, "unresolved": False}}


def _principal(ref: str, value: str, account: str, scope: str = "role", kind: str = "aws") -> dict[str, Any]:
    return {"ref": ref, "kind": kind, "value": value, "account": account, "scope": scope,
            "whole_account": scope == "root"}


def _trust(ref: str, principals: list[dict[str, Any]], effect: str = "Allow",
           conditions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"ref": ref, "effect": effect, "principal_element": "Principal", "actions": {"assume_role": True},
            "condition_count": len(conditions or []), "conditions": conditions or [], "principals": principals}


def _pair_of(caller_arn: str, caller_account: str, caller_type: str, session: str, grants: list[dict[str, Any]],
             target_arn: str, target_account: str, trust: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "kind": "assume_pair",
        "caller": {"arn": caller_arn, "account": caller_account, "account_known": True, "type": caller_type,
                   "session_prefix": session, "complete": True, "statements": grants,
                   "boundary": {"state": "none", "statements": []}},
        "target": {"arn": target_arn, "account": target_account, "account_known": True, "known": True,
                   "statements": trust},
    }


def _pair(caller: str, target: str, grants: list[dict[str, Any]], trust: list[dict[str, Any]],
          caller_account: str = A, target_account: str = A) -> dict[str, Any]:
    return _pair_of(f"arn:aws:iam::{caller_account}:role/{caller}", caller_account, "role",
                    f"arn:aws:sts::{caller_account}:assumed-role/{caller}/", grants,
                    f"arn:aws:iam::{target_account}:role/{target}", target_account, trust)


def _chain(i: int, account: str = A, ref: int = 0) -> dict[str, Any]:
    """gen_dump's pair: app-i may assume app-(i+1), which trusts app-i by ARN."""
    return _pair(f"app-{i}", f"app-{i + 1}", [_grant(f"g{ref}", [f"arn:aws:iam::{account}:role/app-{i + 1}"])],
                 [_trust(f"t{ref + 1}", [_principal(f"p{ref + 2}", f"arn:aws:iam::{account}:role/app-{i}", account)])],
                 account, account)


# --- what a shape keeps and what it abstracts ----------------------------------------------------------


def test_names_accounts_and_refs_are_abstracted() -> None:
    first, second = pair_shape(_chain(1)), pair_shape(_chain(41, B, ref=900))
    assert first is not None and second is not None
    assert first.key == second.key
    assert "app-" not in first.key and A not in first.key and "g0" not in first.key
    assert first.refs == ("g0", "t1", "p2") and second.refs == ("g900", "t901", "p902")
    assert first.texts[:2] == (f"arn:aws:iam::{A}:role/app-1", A)


def _with(document: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    change(changed)
    return changed


def _principal_value(value: str) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["target"]["statements"][0]["principals"][0].update(value=value)


def _resource_value(value: str) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["caller"]["statements"][0]["resources"].update(values=[value])


@pytest.mark.parametrize(("change", "why"), [
    (_principal_value(f"arn:aws:iam::{A}:role/APP-1"), "the trust names the caller in another case: it admits it"),
    (_principal_value(f"arn:aws:iam::{A}:role/app-2"), "the trust names the target itself, not the caller"),
    (_principal_value(f"arn:aws:sts::{A}:assumed-role/app-1/s"), "a session of the caller"),
    (_principal_value(f"arn:aws:sts::{A}:assumed-role/app-10/s"), "a session of another role (a longer name)"),
    (_resource_value(f"arn:aws:iam::{A}:role/app-*"), "a pattern matching the target"),
    (_resource_value(f"arn:aws:iam::{A}:role/app-1?"), "a pattern matching a longer name only"),
    (_resource_value(f"arn:aws:iam::{A}:role/*"), "a pattern not aimed at particular roles"),
    (_resource_value(f"arn:aws:iam::{A}:role/App-2"), "the target in another case"),
    (lambda d: d["target"]["statements"][0]["principals"][0].update(account=B), "a principal of another account"),
    (lambda d: d["caller"]["statements"].append(_grant("g9", [f"arn:aws:iam::{A}:role/app-2"])),
     "the same grant twice: one finding, not two"),
])
def test_what_the_rule_can_tell_apart_stays_apart(change: Callable[[dict[str, Any]], None], why: str) -> None:
    base = pair_shape(_chain(1))
    changed = pair_shape(_with(_chain(1), change))
    assert base is not None and changed is not None
    assert base.key != changed.key, why


@pytest.mark.parametrize(("first", "second", "why"), [
    (_principal_value(f"arn:aws:sts::{A}:assumed-role/app-1/s"), _principal_value(f"arn:aws:sts::{A}:assumed-role/app-10/s"),
     "a session of the caller, a session of a role whose name starts with the caller's"),
    (_resource_value(f"arn:aws:iam::{A}:role/app-*"), _resource_value(f"arn:aws:iam::{A}:role/*"),
     "a pattern aimed at particular roles, a pattern on every role"),
    (_resource_value(f"arn:aws:iam::{A}:role/app-*"), _resource_value(f"arn:aws:iam::{A}:role/ci-*"),
     "a pattern matching the target, one that does not"),
    (_principal_value(f"arn:aws:iam::{A}:role/APP-1"), _principal_value(f"arn:aws:iam::{A}:role/APP-2"),
     "the caller in capitals, another role in capitals"),
])
def test_two_pairs_the_rule_tells_apart_have_two_shapes(first: Callable[[dict[str, Any]], None],
                                                        second: Callable[[dict[str, Any]], None], why: str) -> None:
    one, other = pair_shape(_with(_chain(1), first)), pair_shape(_with(_chain(1), second))
    assert one is not None and other is not None
    assert one.key != other.key, why


def test_conditions_on_the_callers_arn_and_account_keep_their_answers() -> None:
    def narrowed(value: str, key: str = "aws:principalarn") -> PairShape | None:
        condition = {"key": key, "base": "stringlike", "negated": False, "if_exists": False, "set": "",
                     "state": "concrete", "values": [value]}
        document = _chain(1)
        document["target"]["statements"] = [_trust("t1", [_principal("p2", "*", "", "", "wildcard")],
                                                   conditions=[condition])]
        return pair_shape(document)

    keys = {narrowed(f"arn:aws:iam::{A}:role/app-*"), narrowed(f"arn:aws:iam::{A}:role/ci-*"),
            narrowed("1111*", "aws:principalaccount"), narrowed("4444*", "aws:principalaccount")}
    assert len({k.key for k in keys if k is not None}) == 4


@pytest.mark.parametrize("value", ["arn:aws:iam::111122223333:role/a b", "arn:aws:iam::111122223333:role/${x}",
                                   "arn:aws:iam::111122223333:role/\u212aelvin", 'role/"q"'])
def test_a_name_outside_the_iam_characters_has_no_shape(value: str) -> None:
    assert pair_shape(_with(_chain(1), _principal_value(value))) is None


def test_what_is_not_a_pair_has_no_shape() -> None:
    assert pair_shape({"kind": "trust", "statements": []}) is None
    assert pair_shape(_with(_chain(1), lambda d: d["caller"].update(arn=None))) is None
    assert pair_shape(_with(_chain(1), _principal_value(None))) is None  # type: ignore[arg-type]


def test_findings_carry_over_by_position_and_refuse_any_other_form() -> None:
    first, second = pair_shape(_chain(1)), pair_shape(_chain(7, ref=50))
    assert first is not None and second is not None
    grant = f"arn:aws:iam::{A}:role/app-2"
    finding = {"facts": {"direction": "untrusted_caller", "grant": grant}, "package": PACKAGE, "ref": "g0"}
    assert translate([finding], first, second) == (
        {"facts": {"direction": "untrusted_caller", "grant": f"arn:aws:iam::{A}:role/app-8"}, "package": PACKAGE,
         "ref": "g50"},)
    assert translate([{**finding, "ref": "g1"}], first, second) is None  # a ref the pair does not hold
    assert translate([{**finding, "facts": {"direction": "x", "grant": "other"}}], first, second) is None
    assert translate([{**finding, "facts": {"direction": "x", "message": "m"}}], first, second) is None
    assert translate([{**finding, "extra": 1}], first, second) is None
    assert translate([{**finding, "facts": {"direction": A}}], first, second) is None  # a name as the direction


def test_iam_glob_matches_as_the_rego_library_does() -> None:
    assert iam_glob_matches("arn:aws:iam::*:role/app-?", "arn:aws:iam::1:role/app-1")
    assert not iam_glob_matches("arn:aws:iam::*:role/app-?", "arn:aws:iam::1:role/app-12")
    assert iam_glob_matches("a.b*", "a.bc") and not iam_glob_matches("a.b*", "axbc")
    assert iam_glob_matches("x+y=z,w@q", "x+y=z,w@q") and not iam_glob_matches("x+y*", "xxy")


# --- held to the raw evaluation ---------------------------------------------------------------------

_NAMES = ["app", "App", "app-1", "APP-1", "app-12", "app-1-old", "ci", "ci-runner", "a.b", "x+y=z,w@q", "app-1?"]
_ACCOUNTS = [A, B, C, "111122224444"]


class _World:
    """The names and accounts of one variant of a generated pair: symbols N<i> and A<i> of
    the structure become concrete here, each occurrence sometimes in another case."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        # Mostly distinct names (the structure's relations kept, so shapes repeat), sometimes
        # the same name twice or one that is a prefix of another (relations the rule sees change).
        distinct = self.rng.random() < 0.6
        few = self.rng.sample(_NAMES, 2)  # names drawn from two: the same name often comes twice
        self.names = [n.rstrip("?") for n in (self.rng.sample(_NAMES, 4) if distinct
                                              else [self.rng.choice(few) for _ in range(4)])]
        self.cut = self.rng.choice([3, 3, 2, 0])  # the literal part of a prefix pattern: none makes role/*
        self.accounts = self.rng.sample(_ACCOUNTS, 3) if distinct else [self.rng.choice(_ACCOUNTS) for _ in range(3)]
        self.ref_base = self.rng.randrange(0, 10_000)

    def name(self, symbol: int) -> str:
        name = self.names[symbol]
        return name.upper() if self.rng.random() < 0.05 else name

    def account(self, symbol: int) -> str:
        return self.accounts[symbol]


def _generated_pair(seed: int, world: _World) -> dict[str, Any]:
    """One pair input of the assume-pair model (docs/model.md), its structure drawn from
    `seed` and its names from `world`: wildcards, cases, sessions, denies, boundaries,
    conditions on aws:PrincipalArn and aws:PrincipalAccount."""
    rng = random.Random(seed)
    refs = iter(range(world.ref_base, world.ref_base + 100))
    caller_type = rng.choice(["role", "role", "user"])
    caller_name, target_name = rng.choice([(0, 1), (0, 1), (0, 0), (1, 2)])
    caller_account, target_account = rng.choice([(0, 0), (0, 1), (0, 1), (1, 2)])
    partition = rng.choice(["aws", "aws", "aws-cn"])

    def arn(kind: str, name: int, account: int) -> str:
        return f"arn:{partition}:iam::{world.account(account)}:{kind}/{world.name(name)}"

    def resource() -> str:
        form = rng.randrange(11)
        if form < 3:  # the target itself, most often
            return arn("role", target_name, target_account)
        if form < 5:
            return arn("role", rng.choice([target_name, caller_name, 3]), rng.choice([target_account, 2]))
        name, account = world.name(rng.choice([target_name, 3])), world.account(target_account)
        return [f"arn:{partition}:iam::*:role/{name}", f"arn:{partition}:iam::{account}:role/{name[:world.cut]}*",
                f"arn:{partition}:iam::{account}:role/*", "*", f"arn:{partition}:iam::{account[:4]}*:role/{name}",
                f"arn:{partition}:iam::{account}:role/{name[:-1]}?"][form - 5]

    def grant() -> dict[str, Any]:
        effect = rng.choice(["Allow", "Allow", "Allow", "Deny"])
        return {"ref": f"g{next(refs)}", "effect": effect, "conditional": rng.random() < 0.2,
                "actions": {"assume_role": rng.random() < 0.9, "unresolved": rng.random() < 0.05,
                            "not_action": rng.random() < 0.05,
                            "patterns": [rng.choice(["sts:assumerole", "sts:*", "*"])]},
                "resources": {"element": rng.choice(["Resource"] * 6 + ["NotResource", "none"]),
                              "values": [resource() for _ in range(rng.choice([1, 1, 2, 3]))],
                              "unresolved": rng.random() < 0.05}}

    def principal() -> dict[str, Any]:
        form = rng.randrange(11)
        account = world.account(rng.choice([caller_account, 2]))
        ref = f"p{next(refs)}"
        if form == 0:
            return _principal(ref, "*", "", "", "wildcard")
        if form == 1:
            return _principal(ref, f"arn:{partition}:iam::{account}:root", account, "root")
        if form in (2, 3):  # a session, of the caller or of a role whose name may be the caller's
            name = world.name(rng.choice([caller_name, 3, 3]))
            return _principal(ref, f"arn:{partition}:sts::{account}:assumed-role/{name}/s", account, "assumed_role")
        if form == 4:
            return _principal(ref, "lambda.amazonaws.com", "", "", "service")
        if form == 5:
            return _principal(ref, "AROAEXAMPLE", "", "", rng.choice(["unique_id", "unresolved"]))
        kind = "role" if caller_type == "role" or rng.random() < 0.5 else "user"
        return _principal(ref, arn(kind, rng.choice([caller_name, caller_name, 3]), rng.choice([caller_account, 2])),
                          account if rng.random() < 0.9 else "", kind)

    def deciding_condition() -> dict[str, Any]:
        return condition(size=1)

    def condition(size: int = 0) -> dict[str, Any]:
        on_arn = rng.random() < 0.5
        base = rng.choice(["stringequals", "stringlike", "arnlike", "arnequals", "stringnotequals"])
        values = ([arn("role", rng.choice([caller_name, 3]), caller_account),
                   f"arn:{partition}:iam::{world.account(caller_account)}:role/{world.name(caller_name)[:world.cut]}*"]
                  if on_arn else [world.account(rng.choice([caller_account, 2])), world.account(caller_account)[:4] + "*"])
        return {"key": "aws:principalarn" if on_arn else "aws:principalaccount", "base": base,
                "negated": base.startswith("stringnot"), "if_exists": rng.random() < 0.1,
                "set": rng.choice(["", "", "", "forallvalues"]), "state": rng.choice(["concrete"] * 5 + ["variable"]),
                "values": rng.sample(values, size or rng.choice([1, 2]))}

    def narrowed() -> dict[str, Any]:
        """Everyone, narrowed by one condition on the caller's ARN or account."""
        condition = {**deciding_condition(), "base": rng.choice(["stringlike", "arnlike", "stringequals"]),
                     "negated": False, "if_exists": False, "set": "", "state": "concrete"}
        return _trust(f"t{next(refs)}", [_principal(f"p{next(refs)}", "*", "", "", "wildcard")], conditions=[condition])

    def trust_statement() -> dict[str, Any]:
        conditions = [condition() for _ in range(rng.choice([0, 0, 1, 2]))]
        return {"ref": f"t{next(refs)}", "effect": rng.choice(["Allow", "Allow", "Allow", "Deny"]),
                "principal_element": rng.choice(["Principal"] * 8 + ["NotPrincipal"]),
                "actions": {"assume_role": rng.random() < 0.9},
                "condition_count": len(conditions) + (rng.random() < 0.1),
                "conditions": conditions, "principals": [principal() for _ in range(rng.choice([1, 1, 2, 3]))]}

    caller_arn = arn(caller_type, caller_name, caller_account)
    session = "" if caller_type == "user" else (
        f"arn:{partition}:sts::{world.account(caller_account)}:assumed-role/{caller_arn.rsplit('/', 1)[-1]}/")
    if rng.random() < 0.3:
        # One grant on the target and one principal deciding alone whether the trust admits
        # the caller: every test the rule makes of that principal shows in the findings.
        return _pair_of(caller_arn, world.account(caller_account), caller_type, session,
                        [_grant(f"g{next(refs)}", [arn("role", target_name, target_account)])],
                        arn("role", target_name, target_account), world.account(target_account),
                        [_trust(f"t{next(refs)}", [principal()]) if rng.random() < 0.6 else narrowed()])
    boundary_state = rng.choice(["none", "none", "known", "unknown"])
    return {
        "kind": "assume_pair",
        "caller": {"arn": caller_arn, "account": world.account(caller_account), "account_known": rng.random() < 0.9,
                   "type": caller_type, "session_prefix": session, "complete": rng.random() < 0.9,
                   "statements": [grant() for _ in range(rng.choice([0, 1, 1, 1, 2, 3]))],
                   "boundary": {"state": boundary_state,
                                "statements": [grant() for _ in range(2)] if boundary_state == "known" else []}},
        "target": {"arn": arn("role", target_name, target_account), "account": world.account(target_account),
                   "account_known": rng.random() < 0.95, "known": rng.random() < 0.95,
                   "statements": [trust_statement() for _ in range(rng.choice([1, 1, 1, 2]))]},
    }


def _generated_pairs(structures: int, variants: int) -> list[dict[str, Any]]:
    documents = [_generated_pair(seed, _World(seed * 1000 + v)) for seed in range(structures) for v in range(variants)]
    random.Random(3).shuffle(documents)  # a variant may come before its structure's first
    return documents


def _agree(documents: list[dict[str, Any]], jobs: int = 1) -> tuple[PairMemo, bool]:
    """Evaluates the pairs as a scan does (in batches, through the shape memo) and each pair
    itself on another engine, and asserts both give the same findings or both fail. Returns
    the memo and whether worker processes evaluated some of them."""
    state = Scanner(jobs=jobs)._state()
    package = _package()
    memo = PairMemo()
    raw_engine = _engine()
    try:
        for start in range(0, len(documents), 512):
            batch = documents[start:start + 512]
            for document, outcome in zip(batch, state.evaluate_all(batch, package, memo)):
                try:
                    expected: Any = raw_engine.evaluate_rule(document, package)
                except Exception as exc:  # noqa: BLE001 - the error is what is compared
                    expected = exc
                if isinstance(expected, Exception):
                    assert type(outcome) is type(expected) and str(outcome) == str(expected), json.dumps(document)
                else:
                    assert outcome == expected, json.dumps(document)
        pooled = state.pool is not None
    finally:
        state.close()
    return memo, pooled


def test_generated_pairs_agree_with_their_own_evaluation() -> None:
    documents = _generated_pairs(300, 4)
    memo, _ = _agree(documents)
    groups: dict[str, list[dict[str, Any]]] = {}
    for document in documents:
        shape = pair_shape(document)
        assert shape is not None
        groups.setdefault(shape.key, []).append(document)
    engine, package = _engine(), _package()
    # Shapes repeat under other names, and many pairs get findings carried over from a pair
    # with other names: those are what the comparison above holds to their own evaluation.
    carried = sum(len(group) - 1 for group in groups.values() if engine.evaluate_rule(group[0], package))
    assert len(groups) < len(documents) * 0.7 and memo.hits > 300 and carried > 40


def test_generated_pairs_agree_on_worker_processes() -> None:
    # Enough new shapes in a batch that worker processes evaluate them.
    memo, pooled = _agree(_generated_pairs(250, 2), jobs=2)
    assert pooled and memo.hits > 30


def test_a_pair_the_engine_refuses_fails_as_its_own_evaluation_does() -> None:
    refused = _with(_chain(1), _principal_value('arn:aws:iam::111122223333:role/say "hi"'))
    documents = [_chain(1), refused, _chain(2), _with(_chain(3), _principal_value("arn:aws:iam::1:role/\u212a"))]
    memo, _ = _agree(documents)
    assert memo.hits == 1  # the refused pairs are not served by the memo: they fail


def _no_memo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(PairMemo, "recall", lambda self, package, shape: None)


def _scan_both(monkeypatch: pytest.MonkeyPatch, paths: list[Path], config: Config = Config()) -> tuple[Any, Any]:
    shaped = scan(paths, config)
    with monkeypatch.context() as patch:
        _no_memo(patch)
        raw = scan(paths, config)
    return shaped, raw


def _random_dump(path: Path, roles: int, seed: int) -> Path:
    """An account dump of roles with names that differ in case and prefix, granting and
    trusting each other by ARN, pattern, session, account; with denies and conditions."""
    rng = random.Random(seed)
    names = [f"{rng.choice(['app', 'App', 'ci', 'CI-runner', 'a.b'])}-{i % 7}{'-old' * (i % 5 == 0)}" for i in range(roles)]
    accounts = [A, B]

    def arn(i: int) -> str:
        return f"arn:aws:iam::{accounts[i % 2]}:role/{names[i]}"

    def some_case(text: str) -> str:
        return text.upper() if rng.random() < 0.2 else text

    detail = []
    for i in range(roles):
        j, k = rng.randrange(roles), rng.randrange(roles)
        resource = rng.choice([some_case(arn(j)), f"arn:aws:iam::{accounts[j % 2]}:role/{names[j][:3]}*",
                               f"arn:aws:iam::*:role/{names[j]}", f"arn:aws:iam::{accounts[j % 2]}:role/{names[j][:-1]}?"])
        grants = [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": resource}]
        if rng.random() < 0.15:
            grants.append({"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": some_case(arn(k))})
        principal = rng.choice([{"AWS": some_case(arn(k))}, {"AWS": f"arn:aws:iam::{accounts[k % 2]}:root"},
                                {"AWS": f"arn:aws:sts::{accounts[k % 2]}:assumed-role/{names[k]}/s"},
                                {"Service": "lambda.amazonaws.com"}, {"AWS": "*"}])
        trust: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
        if principal == {"AWS": "*"} or rng.random() < 0.1:
            trust["Condition"] = rng.choice([{"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::*:role/{names[k][:2]}*"}},
                                             {"StringEquals": {"aws:PrincipalAccount": accounts[k % 2]}}])
        statements = [trust]
        if rng.random() < 0.1:
            statements.append({"Effect": "Deny", "Principal": {"AWS": some_case(arn(j))}, "Action": "sts:AssumeRole"})
        detail.append({"Path": "/", "RoleName": names[i], "Arn": arn(i),
                       "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": statements},
                       "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17",
                                                                                 "Statement": grants}}],
                       "AttachedManagedPolicies": []})
    path.write_text(json.dumps({"RoleDetailList": detail, "UserDetailList": [], "GroupDetailList": [],
                                "Policies": []}, indent=1), encoding="utf-8")
    return path


def test_scans_report_what_they_report_without_the_memo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    chain = tmp_path / "chain.json"
    chain.write_text(json.dumps(gen_dump.dump(60), indent=2), encoding="utf-8")
    paths = [chain, _random_dump(tmp_path / "random.json", 80, seed=5),
             REPO / "policies" / "pyiamguard" / "rules" / "iamg_501" / "examples"]
    shaped, raw = _scan_both(monkeypatch, paths, Config(own_accounts=[A]))
    assert sum(v.rule_id == "IAMG-501" for v in shaped.violations) > 30
    assert shaped == raw


def _pairs_of_scan(monkeypatch: pytest.MonkeyPatch, paths: list[Path], config: Config) -> list[dict[str, Any]]:
    """The pair inputs a scan of the paths evaluates."""
    from pyiamguard.assume_graph import AssumeGraph

    seen: list[dict[str, Any]] = []
    pairs = AssumeGraph.pairs

    def recording(graph: AssumeGraph) -> Any:
        for caller, target, document in pairs(graph):
            seen.append(document)
            yield caller, target, document

    with monkeypatch.context() as patch:
        patch.setattr(AssumeGraph, "pairs", recording)
        scan(paths, config)
    return seen


def test_the_pairs_of_real_scans_agree(monkeypatch: pytest.MonkeyPatch, shared_dir: Path, tmp_path: Path) -> None:
    """The corpus (which pairs nothing by itself), the examples, the fixtures, and a dump of
    roles naming each other in every way the generator knows."""
    paths = [shared_dir / "corpus", REPO / "examples", REPO / "tests" / "fixtures",
             REPO / "policies" / "pyiamguard" / "rules" / "iamg_501" / "examples",
             _random_dump(tmp_path / "random.json", 80, seed=11)]
    documents = _pairs_of_scan(monkeypatch, paths, Config(own_accounts=[A]))  # stack accounts known: more pairs
    assert len(documents) > 300
    memo, _ = _agree(documents)
    assert memo.hits > 100


def test_a_benchmark_dump_is_evaluated_once_per_shape(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "dump.json"
    path.write_text(json.dumps(gen_dump.dump(150)), encoding="utf-8")
    evaluated: list[object] = []
    original = Engine.evaluate_rule

    def counting(self: Engine, document: Any, package: str) -> Any:
        evaluated.append(document)
        return original(self, document, package)

    monkeypatch.setattr(Engine, "evaluate_rule", counting)
    report = scan([path])
    assert sum(v.rule_id == "IAMG-501" for v in report.violations) == 50  # the roles trusting a service
    assert len(evaluated) <= 10


# --- the rule the shapes were designed for ------------------------------------------------------------

# canonical_pairs.py abstracts names on the assumption that IAMG-501 reads them only in the ways
# its docstring lists. Any change to the rule or the libraries it uses fails this test: review
# the list (and `_ROLES`, `_Shaper.tests`, `_translated`), then update the pinned copy.
PINNED = REPO / "tests" / "fixtures" / "canonical_pairs" / "iamg_501_code.txt"
_READ_BY_PAIRS = ["rules/iamg_501/policy.rego", "lib/iam_glob.rego", "lib/result.rego"]


def _rule_code() -> list[str]:
    lines = []
    for name in _READ_BY_PAIRS:
        for line in (REPO / "policies" / "pyiamguard" / name).read_text(encoding="utf-8").splitlines():
            code = re.sub(r"(^|\s)#.*$", "", line).strip()
            if code:
                lines.append(f"{name}: {code}")
    return lines


def test_the_rule_reads_names_in_the_ways_shapes_were_designed_for() -> None:
    assert _rule_code() == PINNED.read_text(encoding="utf-8").splitlines(), (
        "IAMG-501 or a library it uses changed: check that pyiamguard/canonical_pairs.py still abstracts only "
        "what the rule reads in the ways listed there, then update tests/fixtures/canonical_pairs/iamg_501_code.txt")
