"""The Rego unit tests beside each rule (policies/**/policy_test.rego), run with real OPA.

They never run in regopy: `with input as` in test rules has crashed it (engine.md). The oracle
(../shared/tools/opa_oracle.py) runs every `test_*` rule of every `*_test.rego` file.

The last tests check the test data itself: every normalized document the Rego tests feed the
rules must be what pyiamguard.normalize would produce (principals and conditions re-derived
from their written form, identity policies and the role section re-normalized from the policy
they describe, the action builder, the default configuration, the JSON Schema).
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

from pyiamguard.normalize.conditions import Condition, ConditionValue
from pyiamguard.normalize.policy import NormalizeContext, Permission, RoleFacts, normalize_policy
from pyiamguard.normalize.principals import classify
from pyiamguard.normalize.values import Unresolved

PACKAGE = re.compile(r"^package\s+([\w.]+)", re.M)
TEST_RULE = re.compile(r"^(test_\w+)\b", re.M)  # how opa_oracle.py finds tests
NAMED_VALUE = re.compile(r"^([a-z][a-z0-9_]*)\s*:=", re.M)  # package-level constants (no functions)
PASS_LINE = re.compile(r"^PASS: (\d+)/(\d+)$", re.M)


def _oracle(script: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, cwd=cwd, timeout=1800
    )


def _rule_dirs(policies: Path) -> list[Path]:
    return sorted(p.parent for p in (policies / "pyiamguard" / "rules").glob("*/policy.rego"))


def _package(path: Path) -> str:
    match = PACKAGE.search(path.read_text(encoding="utf-8"))
    assert match, f"{path} has no package line"
    return match.group(1)


def test_policies_compile_strictly(oracle_script: Path, policies_dir: Path, repo_root: Path) -> None:
    result = _oracle(oracle_script, "check", str(policies_dir), cwd=repo_root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1] == "ok", result.stdout


def test_every_rule_package_has_a_test_file(policies_dir: Path) -> None:
    rule_dirs = _rule_dirs(policies_dir)
    assert len(rule_dirs) >= 13
    for folder in rule_dirs:
        test_file = folder / "policy_test.rego"
        assert test_file.is_file(), f"{folder.name}: no policy_test.rego beside the rule"
        package = _package(folder / "policy.rego")
        source = test_file.read_text(encoding="utf-8")
        assert _package(test_file) == f"{package}_test", test_file
        assert TEST_RULE.search(source), f"{test_file}: no test_ rule"
        short = package.rsplit(".", 1)[1]
        # An exact equality on the rule's findings (a literal set or a helper that builds one).
        assert re.search(rf"{short}\.deny == ", source), f"{test_file}: no exact assertion on a finding"
        assert f"count({short}.deny) == 0" in source, f"{test_file}: no clean case"


def test_rego_unit_tests_pass(oracle_script: Path, policies_dir: Path, repo_root: Path) -> None:
    result = _oracle(oracle_script, "test", str(policies_dir), cwd=repo_root)
    out = result.stdout
    match = PASS_LINE.search(out)
    assert match, f"no PASS line in the oracle output:\n{out}\n{result.stderr}"
    passed, total = int(match.group(1)), int(match.group(2))

    # The oracle prints one total; count per rule package from the files, as the oracle does.
    failed_files = re.findall(r"^FAIL (\S+): (test_\w+)", out, re.M)
    expected_total = 0
    for folder in _rule_dirs(policies_dir):
        test_file = folder / "policy_test.rego"
        names = set(TEST_RULE.findall(test_file.read_text(encoding="utf-8")))
        expected_total += len(names)
        failed_here = {name for path, name in failed_files if Path(path).resolve() == test_file.resolve()}
        assert len(names - failed_here) >= 1, f"{folder.name}: no passing Rego test"
    assert total >= expected_total, f"the oracle ran {total} tests, the rule test files hold {expected_total}"
    assert passed >= len(_rule_dirs(policies_dir)), out

    failures = [line for line in out.splitlines() if line.startswith("FAIL ")]
    assert result.returncode == 0 and not failures, "Rego tests failed:\n" + "\n".join(failures)


# --- the test data follows the normalizer ------------------------------------------------------

PRINCIPAL_KEYS = {"ref", "kind", "block", "value", "identity", "account", "partition", "scope", "whole_account",
                  "service", "provider", "issuer", "defects"}
CONDITION_KEYS = {"ref", "operator", "base", "set", "if_exists", "negated", "pattern", "key", "values", "state"}
DOCUMENT_KEYS = {"kind", "context", "problems", "unresolved", "statements"}
ROLE_DOCUMENT_KEYS = DOCUMENT_KEYS | {"role"}  # a trust policy with its role section
# A test document may describe its resource (the optional `resource` section) or leave it out.
DOCUMENT_SHAPES = (DOCUMENT_KEYS, ROLE_DOCUMENT_KEYS, DOCUMENT_KEYS | {"resource"}, ROLE_DOCUMENT_KEYS | {"resource"})


def _test_packages(policies: Path) -> dict[str, list[str]]:
    """Every Rego test package and its package-level named values (the test inputs)."""
    out: dict[str, list[str]] = {}
    for path in sorted(policies.rglob("*_test.rego")):
        source = path.read_text(encoding="utf-8")
        names = sorted({n for n in NAMED_VALUE.findall(source) if not n.startswith("test_")})
        out[_package(path)] = names
    return out


@pytest.fixture(scope="module")
def test_values(opa_oracle: Any, policies_dir: Path) -> dict[str, dict[str, Any]]:
    """The value of every named rule of every Rego test package, evaluated by OPA."""
    engine = opa_oracle.engine()
    opa_oracle.load(engine, [str(policies_dir)])
    values: dict[str, dict[str, Any]] = {}
    for package, names in _test_packages(policies_dir).items():
        query = "x := {" + ", ".join(f'"{n}": data.{package}.{n}' for n in names) + "}"
        values[package] = engine.eval_query(query)[0]["x"] if names else {}
    return values


def _walk(value: Any, partition: str = "") -> Iterator[tuple[str, dict[str, Any], str]]:
    """(what, object, partition of the enclosing document) for every model object in value."""
    if isinstance(value, dict):
        keys = set(value)
        if keys in DOCUMENT_SHAPES:
            partition = value["context"]["partition"]
            yield "document", value, partition
        elif keys == PRINCIPAL_KEYS:
            yield "principal", value, partition
        elif keys == CONDITION_KEYS:
            yield "condition", value, partition
        for item in value.values():
            yield from _walk(item, partition)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item, partition)


def test_rego_test_inputs_match_the_normalizer(test_values: dict[str, dict[str, Any]], repo_root: Path) -> None:
    schema_path = repo_root / "pyiamguard" / "schemas" / "normalized-document.schema.json"
    validator = None
    if schema_path.is_file():
        import jsonschema

        validator = jsonschema.Draft202012Validator(json.loads(schema_path.read_text(encoding="utf-8")))
    seen = {"document": 0, "principal": 0, "condition": 0, "role": 0, "identity": 0}
    problems: list[str] = []
    for package, named in test_values.items():
        for name, value in named.items():
            for what, obj, partition in _walk(value):
                seen[what] += 1
                where = f"{package}.{name} {obj.get('ref', '')}"
                if what == "document":
                    if validator is not None:
                        problems += [f"{where}: {e.message}" for e in validator.iter_errors(obj)]
                    problems += _renormalized(where, obj)
                    seen["role"] += "role" in obj
                    seen["identity"] += obj["kind"] == "identity"
                elif what == "principal":
                    expected = {"ref": obj["ref"], **classify(obj["block"], obj["value"], partition).engine_fields()}
                    if obj != expected:
                        problems.append(f"{where}: principal {obj} is normalized as {expected}")
                elif what == "condition" and obj["state"] != "unresolved":
                    values = [ConditionValue(v["text"]) for v in obj["values"]]
                    expected = {"ref": obj["ref"], **Condition(obj["operator"], obj["key"], values).engine_fields()}
                    if obj != expected:
                        problems.append(f"{where}: condition {obj} is normalized as {expected}")
    assert not problems, "\n".join(problems)
    assert seen["document"] >= 100 and seen["principal"] >= 100 and seen["condition"] >= 50, seen
    assert seen["role"] >= 50 and seen["identity"] >= 20, seen


# --- identity policies and the role section, re-normalized ---------------------------------------

# A trust statement that adds no problem, unknown or principal the role check would see.
_PLAIN_TRUST = {"Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def _without_refs(value: Any) -> Any:
    """The model without refs: the Rego test data chooses its own."""
    if isinstance(value, dict):
        return {k: _without_refs(v) for k, v in value.items() if k not in ("ref", "refs", "principal_ref")}
    if isinstance(value, list):
        return [_without_refs(v) for v in value]
    return value


def _raw_policy(statements: list[dict[str, Any]]) -> dict[str, Any]:
    """The identity policy a list of normalized statements describes (Action and Resource as
    written, conditions grouped by operator)."""
    raw = []
    for st in statements:
        item: dict[str, Any] = {"Effect": st["effect"]}
        item["NotAction" if st["actions"]["not_action"] else "Action"] = list(st["actions"]["patterns"])
        if st["resources"]["element"] != "none":
            item[st["resources"]["element"]] = list(st["resources"]["values"])
        if st["conditions"]:
            block: dict[str, dict[str, list[str]]] = {}
            for c in st["conditions"]:
                block.setdefault(c["operator"], {})[c["key"]] = [v["text"] for v in c["values"]]
            item["Condition"] = block
        raw.append(item)
    return {"Version": "2012-10-17", "Statement": raw}


def _permission(obj: dict[str, Any]) -> Permission | None:
    """The loader's Permission behind a normalized permission (None: no boundary)."""
    origin = obj["origin"]
    if obj["state"] == "none":
        return None
    if obj["state"] == "unresolved":
        return Permission(origin, "test", (), arn=Unresolved("test"))
    document = _raw_policy(obj["statements"]) if obj["statements"] else None
    arn = obj["arn"] or None
    if obj["state"] == "external" and arn is None:
        # The model keeps no ARN for a customer policy (only for a boundary): any will do.
        arn = "arn:aws:iam::111122223333:policy/outside-the-scan"
    return Permission(origin, "test", (), document=document, arn=arn)


def _max_session(session: dict[str, Any]) -> Any:
    state, seconds = session["state"], session["seconds"]
    if state == "default":
        return None
    if state == "unresolved":
        return Unresolved("test")
    if state == "invalid" and seconds == 0:
        return "not a number"
    return seconds


def _renormalized(where: str, doc: dict[str, Any]) -> list[str]:
    """Identity policies and role sections of the test data, compared (refs aside) with what
    normalize_policy makes of the policy they describe."""
    problems: list[str] = []
    context = NormalizeContext(own_accounts=tuple(doc["context"]["own_accounts"]),
                               partition=doc["context"]["partition"], owner=doc["context"]["owner"])
    if doc["kind"] == "identity":
        expected = dict(normalize_policy(_raw_policy(doc["statements"]), kind="identity", context=context).engine_input)
        expected.pop("resource")  # the test document's own, if it has one: no policy tells it
        if _without_refs({k: v for k, v in doc.items() if k != "resource"}) != _without_refs(expected):
            problems.append(f"{where}: identity policy {doc} is normalized as {expected}")
    role = doc.get("role")
    if role is not None:
        facts = RoleFacts(base=(), boundary=_permission(role["boundary"]),
                          permissions=tuple(p for p in map(_permission, role["policies"]) if p is not None),
                          max_session=_max_session(role["max_session"]))
        expected = normalize_policy(_PLAIN_TRUST, kind="trust", role=facts).engine_input
        if _without_refs(role) != _without_refs(expected["role"]):
            problems.append(f"{where}: role {role} is normalized as {expected['role']}")
        # What the role section adds to the document's problems and unknowns must be there.
        for key, fields in (("problems", ("code",)), ("unresolved", ("what", "key"))):
            have = [tuple(e[f] for f in fields) for e in doc[key]]
            for entry in expected[key]:
                wanted = tuple(entry[f] for f in fields)
                if wanted in have:
                    have.remove(wanted)
                else:
                    problems.append(f"{where}: the role section adds {key} {entry}, the document lacks it")
    return problems


ACTION_CASES = [
    ("Action", ["sts:AssumeRole"]),
    ("Action", ["sts:AssumeRoleWithWebIdentity"]),
    ("Action", ["sts:AssumeRoleWithSAML", "sts:TagSession"]),
    ("Action", ["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity"]),
    ("Action", ["sts:TagSession"]),
    ("Action", ["sts:*"]),
    ("Action", ["*"]),
    ("Action", ["STS:Assume*"]),
    ("Action", ["sts:TagSession", "STS:*"]),
    ("Action", ["sts:Assume?ole"]),
    ("NotAction", ["sts:AssumeRoleWithSAML"]),
    ("NotAction", ["sts:*"]),
    # identity-policy patterns (IAMG-301..304)
    ("Action", ["*:*"]),
    ("Action", ["IAM:*"]),
    ("Action", ["iam:Put*", "iam:*Policy", "iam:PassRole"]),
    ("NotAction", ["iam:*"]),
    ("NotAction", ["s3:*"]),
]


def test_testdata_action_builder_matches_the_normalizer(opa_oracle: Any, policies_dir: Path) -> None:
    engine = opa_oracle.engine()
    opa_oracle.load(engine, [str(policies_dir)])
    for element, patterns in ACTION_CASES:
        query = f"x := data.pyiamguard.lib.testdata_test.actions({json.dumps(element)}, {json.dumps(patterns)})"
        built = engine.eval_query(query)[0]["x"]
        document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", element: patterns}]}
        actions = dict(normalize_policy(document).engine_input["statements"][0]["actions"])
        actions.pop("ref"), actions.pop("refs")
        assert built == actions, (element, patterns)


def test_testdata_default_config_is_data_json(test_values: dict[str, dict[str, Any]], policies_dir: Path) -> None:
    data = json.loads((policies_dir / "data.json").read_text(encoding="utf-8"))
    assert test_values["pyiamguard.lib.testdata_test"]["default_config"] == data["pyiamguard"]["config"]
