"""No input whatsoever ends in "internal error": every loader and normalizer path on hostile values.

Real files of every input kind (a raw IAM policy, an account authorization dump, Terraform
plans, CloudFormation JSON and YAML templates, SAM) get one value or key replaced, at the
places each loader reads, by extreme numbers (beyond float and int range), deep nesting, huge
strings, strings with a character of every Unicode category (lone surrogates, NUL and private
use included), CloudFormation intrinsics with wrong arguments, and YAML's own traps (recursive
aliases, alias bombs, Python tags, complex keys). Each file must give a report: findings, or a
one-line error naming the file and the reason, never an exception and never "internal error",
and a file beside it is still scanned. A Hypothesis run then puts random hostile values at
random places (PYIAMGUARD_HOSTILE_EXAMPLES, 300 by default, derandomized in CI).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyiamguard import Scanner
from pyiamguard.config import config_from_mapping

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
JSON_SEEDS = [
    ROOT / "examples" / "trust-third-party-no-externalid.json",
    ROOT / "examples" / "assume-across-accounts" / "tooling-account.json",
    FIXTURES / "terraform" / "boundary_in_plan.json",
    FIXTURES / "terraform" / "oidc_provider_in_plan.json",
    FIXTURES / "terraform" / "unknown_trust.json",
    FIXTURES / "cloudformation" / "permissions.json",
    FIXTURES / "cloudformation" / "parameters.json",
    FIXTURES / "cloudformation" / "for_each.json",
    FIXTURES / "cloudformation" / "json_strings.json",
]
YAML_SEEDS = [
    ROOT / "examples" / "trust-cross-account-yaml.yaml",
    FIXTURES / "cloudformation" / "sam.yaml",
    FIXTURES / "cloudformation" / "conditions.yaml",
    FIXTURES / "cloudformation" / "oidc.yaml",
]
# One Scanner for every file: the rules are compiled once.
SCANNER = Scanner(config_from_mapping({"own_accounts": ["111122223333"]}))
EXAMPLES = int(os.environ.get("PYIAMGUARD_HOSTILE_EXAMPLES", "300"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=os.environ.get("CI") == "true",
                    suppress_health_check=list(HealthCheck), database=None)


@lru_cache(maxsize=1)
def every_category() -> str:
    """One character of each Unicode general category (Cs: a lone surrogate, Cn: unassigned)."""
    seen: dict[str, str] = {}
    for code in range(0x110000):
        seen.setdefault(unicodedata.category(chr(code)), chr(code))
    return "".join(seen[c] for c in sorted(seen))


def _deep(levels: int, opening: str = "[", closing: str = "]") -> str:
    return opening * levels + closing * levels


# Hostile JSON values, as JSON text: numbers Python's float and int cannot hold, deep nesting,
# huge strings, every Unicode category, and intrinsics with wrong arguments.
JSON_VALUES = {
    "float-overflow": "1e999", "negative-overflow": "-1e999", "underflow": "1e-999", "negative-zero": "-0",
    "int-400-digits": "1" + "0" * 400, "int-5000-digits": "9" * 5000, "beyond-64-bits": "9223372036854775808",
    "account-as-float": "111122223333.0", "fraction": "3600.5",
    "lone-surrogate": '"\\ud800"', "nul": '"a\\u0000b"', "newline": '"arn:aws:iam::111122223333:root\\n"',
    "every-category": json.dumps(every_category()), "huge-string": json.dumps("A" * 1_000_000),
    "huge-account-like": json.dumps("1" * 100_000),
    "deep-100": _deep(100), "deep-10000": _deep(10_000), "deep-objects": '{"a":' * 5000 + "1" + "}" * 5000,
    "empty-object": "{}", "empty-list": "[]", "null": "null", "true": "true",
    "json-in-string": json.dumps('{"Version": "2012-10-17", "Statement": 1e999}'),
    "deep-json-in-string": json.dumps(_deep(50_000)),
    "sub-number": '{"Fn::Sub": 1e999}', "sub-list": '{"Fn::Sub": ["${X}", {"X": {"Ref": []}}]}',
    "ref-number": '{"Ref": 123}', "join-overflow": '{"Fn::Join": ["", [1e999, "x"]]}',
    "select-huge-index": '{"Fn::Select": [99999999999999999999, ["a"]]}', "select-negative": '{"Fn::Select": ["-1", ["a"]]}',
    "split-number": '{"Fn::Split": [",", 5]}', "getatt-short": '{"Fn::GetAtt": ["X"]}', "if-empty": '{"Fn::If": []}',
    "findinmap-numbers": '{"Fn::FindInMap": [1, 2, 3]}', "base64-object": '{"Fn::Base64": {}}',
    "foreach-broken": '{"Fn::ForEach::X": ["Y", {"Ref": "Z"}, {"${Y}": 1e999}]}',
    "intrinsic-chain": '{"Fn::Join": ["", [{"Fn::Join": ["", [{"Fn::Join": ["", [' * 300 + '"x"' + "]]}]]}" * 300 + "]]}",
    "two-intrinsics": '{"Ref": "A", "Fn::Sub": "B"}',
}
# Hostile keys (JSON object keys are strings).
JSON_KEYS = {
    "key-every-category": json.dumps(every_category()), "key-surrogate": '"\\udfff"', "key-empty": '""',
    "key-huge": json.dumps("K" * 1_000_000), "key-intrinsic": '"Fn::ForEach::"', "key-dollar": '"${X}"',
}
# Hostile YAML values, as flow YAML on one line.
YAML_VALUES = {
    "inf": ".inf", "nan": ".nan", "float-overflow": "1e999", "hex": "0x1F", "octal": "0o17", "underscores": "1_000",
    "int-5000-digits": "9" * 5000, "recursive-alias": "&a [*a]", "recursive-map": "&m {k: *m}",
    "alias-bomb": "&a [x, x, x, x, x, x, x, x, x, x]", "unknown-alias": "*nowhere",
    "python-tag": "!!python/object/apply:os.system [echo]", "binary": "!!binary aGVsbG8=",
    "timestamp": "2001-12-14t21:59:43.10-05:00", "set": "!!set {a, b}", "complex-key": "{? [a, b] : c}",
    "merge-key": "{<<: {a: 1}, b: 2}", "deep-flow": _deep(10_000), "null": "~", "empty": "''",
    "lone-surrogate": '"\\ud800"', "nul": '"a\\0b"', "every-category": json.dumps(every_category()),
    "huge-string": "A" * 1_000_000, "sub-list-number": "!Sub [1, 2]", "getatt-empty": "!GetAtt ''",
    "base64-chain": "!Base64 " * 200 + "x", "if-short": "!If [a]", "select-huge": "!Select [99999999999999999999, []]",
    "split-number": "!Split [',', 5]", "cidr": "!Cidr [1, 2, 3]", "unknown-tag": "!NotAFunction x",
    "ref-number": "!Ref 123", "tab": "\"a\\tb\"", "document-end": "'...'",
}


# --- injection -----------------------------------------------------------------------------------

SENTINEL = "\u0001HOSTILE\u0001"
_SENTINEL_JSON = json.dumps(SENTINEL)
# Keys whose values each loader reads: their first occurrence is a place to inject.
PLACES = ("Principal", "AWS", "Federated", "Service", "Action", "Condition", "Statement", "Resource", "Effect",
          "MaxSessionDuration", "max_session_duration", "assume_role_policy", "AssumeRolePolicyDocument",
          "PolicyDocument", "ManagedPolicyArns", "managed_policy_arns", "PermissionsBoundary", "permissions_boundary",
          "Properties", "Type", "Parameters", "resource_changes", "planned_values", "after", "after_unknown", "Arn",
          "RoleName", "RoleDetailList", "Policies", "Version", "Transform", "Default", "Conditions", "Mappings")


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, path + (i,))


def _with_sentinel(root: Any, path: tuple[Any, ...], as_key: bool) -> Any:
    if not path:
        return SENTINEL
    parent = root
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if as_key and isinstance(parent, dict):
        parent[SENTINEL] = parent.pop(last)
    else:
        parent[last] = SENTINEL
    return root


def inject_json(seed: Path, path: tuple[Any, ...], fragment: str, as_key: bool = False) -> str:
    root = _with_sentinel(json.loads(seed.read_text(encoding="utf-8")), path, as_key)
    return json.dumps(root, indent=1).replace(_SENTINEL_JSON, fragment, 1)


def json_places(seed: Path) -> list[tuple[Any, ...]]:
    """The first occurrence of each key of PLACES in the seed, and its root."""
    found: dict[str, tuple[Any, ...]] = {}
    for path in _paths(json.loads(seed.read_text(encoding="utf-8"))):
        if path and isinstance(path[-1], str) and path[-1] in PLACES:
            found.setdefault(path[-1], path)
    return [()] + list(found.values())


_YAML_VALUE_LINE = re.compile(r"^(\s*(?:- )?[\w:.\"'-]+:[ \t]+)(\S.*)$")


def yaml_lines(seed: Path) -> list[int]:
    """The lines of the seed that hold `key: value`: each value is a place to inject."""
    return [i for i, line in enumerate(seed.read_text(encoding="utf-8").splitlines()) if _YAML_VALUE_LINE.match(line)]


def inject_yaml(seed: Path, line: int, fragment: str) -> str:
    lines = seed.read_text(encoding="utf-8").splitlines()
    match = _YAML_VALUE_LINE.match(lines[line])
    assert match is not None
    lines[line] = match.group(1) + fragment
    return "\n".join(lines) + "\n"


# --- the property --------------------------------------------------------------------------------

CLEAN = ROOT / "examples" / "trust-wildcard.json"


def assert_reported_without_internal_error(tmp_path: Path, name: str, text: str) -> None:
    """The hostile file gives findings or one-line errors naming it; the clean file beside it
    is still scanned and its finding reported."""
    hostile = tmp_path / name
    hostile.write_text(text, encoding="utf-8", errors="surrogatepass")
    report = SCANNER.scan([hostile, CLEAN])
    for error in report.errors:
        assert "internal error" not in error.message, error
        assert error.file == str(hostile) and "\n" not in error.message, error
    assert ("IAMG-101", str(CLEAN)) in {(v.rule_id, v.location.file) for v in report.violations}
    for violation in report.violations:  # every message and location can be written out
        json.dumps([violation.message, violation.resource, str(violation.location.file)])


@pytest.mark.parametrize("seed", JSON_SEEDS, ids=lambda p: p.name)
@pytest.mark.parametrize("fragment", JSON_VALUES, ids=str)
def test_a_hostile_json_value_is_reported_never_an_internal_error(seed: Path, fragment: str, tmp_path: Path) -> None:
    places = json_places(seed)
    for n, path in enumerate(places if len(JSON_VALUES[fragment]) < 10_000 else places[:4]):
        assert_reported_without_internal_error(tmp_path, f"v{n}-{seed.name}", inject_json(seed, path, JSON_VALUES[fragment]))


@pytest.mark.parametrize("seed", JSON_SEEDS, ids=lambda p: p.name)
@pytest.mark.parametrize("fragment", JSON_KEYS, ids=str)
def test_a_hostile_json_key_is_reported_never_an_internal_error(seed: Path, fragment: str, tmp_path: Path) -> None:
    for n, path in enumerate(json_places(seed)[1:]):
        assert_reported_without_internal_error(tmp_path, f"k{n}-{seed.name}",
                                               inject_json(seed, path, JSON_KEYS[fragment], as_key=True))


@pytest.mark.parametrize("seed", YAML_SEEDS, ids=lambda p: p.name)
@pytest.mark.parametrize("fragment", YAML_VALUES, ids=str)
def test_a_hostile_yaml_value_is_reported_never_an_internal_error(seed: Path, fragment: str, tmp_path: Path) -> None:
    lines = yaml_lines(seed)
    # A huge value costs seconds per parse: three places show it is handled like the small ones.
    for line in lines if len(YAML_VALUES[fragment]) < 10_000 else lines[:3]:
        assert_reported_without_internal_error(tmp_path, f"l{line}-{seed.name}",
                                               inject_yaml(seed, line, YAML_VALUES[fragment]))


@SETTINGS
@given(data=st.data())
def test_random_hostile_values_at_random_places(data: st.DataObject, tmp_path_factory: pytest.TempPathFactory) -> None:
    tmp_path = tmp_path_factory.mktemp("hostile")
    if data.draw(st.booleans(), label="yaml"):
        seed = data.draw(st.sampled_from(YAML_SEEDS), label="seed")
        line = data.draw(st.sampled_from(yaml_lines(seed)), label="line")
        name = data.draw(st.sampled_from(sorted(YAML_VALUES)), label="fragment")  # a name: the values are huge
        fragment = data.draw(st.one_of(st.just(YAML_VALUES[name]), st.text(max_size=20).map(json.dumps)), label="or")
        assert_reported_without_internal_error(tmp_path, seed.name, inject_yaml(seed, line, fragment))
    else:
        seed = data.draw(st.sampled_from(JSON_SEEDS), label="seed")
        path = data.draw(st.sampled_from(list(_paths(json.loads(seed.read_text(encoding="utf-8"))))), label="path")
        as_key = bool(path) and data.draw(st.booleans(), label="as key")
        values = JSON_KEYS if as_key else JSON_VALUES
        name = data.draw(st.sampled_from(sorted(values)), label="fragment")
        fragment = data.draw(st.one_of(st.just(values[name]), st.text(max_size=20).map(json.dumps)), label="or")
        assert_reported_without_internal_error(tmp_path, seed.name, inject_json(seed, path, fragment, as_key))


@pytest.mark.parametrize("fragment", ["lone-surrogate", "every-category", "nul"])
def test_the_command_line_writes_hostile_text_without_a_traceback(fragment: str, tmp_path: Path) -> None:
    """Findings and errors quoting a lone surrogate or a control character are still written,
    in every format, and the exit status says what was found."""
    seed = ROOT / "examples" / "trust-third-party-no-externalid.json"
    hostile = tmp_path / "hostile.json"
    hostile.write_text(inject_json(seed, ("Statement", 0, "Principal", "AWS"), JSON_VALUES[fragment]),
                       encoding="utf-8", errors="surrogatepass")
    for fmt in ("text", "json", "sarif", "github", "junit"):
        run = subprocess.run([sys.executable, "-m", "pyiamguard", "scan", str(hostile), "--format", fmt],
                             capture_output=True, timeout=120, env={**os.environ, "LC_ALL": "C", "PYTHONIOENCODING": ""})
        err = run.stderr.decode("utf-8", "replace")
        assert run.returncode in (1, 2), (fmt, run.returncode, err)
        assert "Traceback" not in err and "internal error" not in err, err
        assert run.stdout, fmt
        if fmt in ("json", "sarif"):
            json.loads(run.stdout)
    assert sys.getrecursionlimit() < 100_000  # nothing raised the limit to get through


# Minimized counterexamples the fuzzing found: each crashed a loader before. A malformed part of a
# plan or dump is now an error naming it (its file is not reported clean), never a crash.
REGRESSIONS = [
    (ROOT / "examples" / "assume-across-accounts" / "tooling-account.json", ("Policies",), "1e999",
     "Policies must be a list, not a number"),
    (FIXTURES / "terraform" / "unknown_trust.json", ("resource_changes",), "1",
     "resource_changes must be a list, not a number"),
    (FIXTURES / "terraform" / "unknown_trust.json", ("resource_changes", 0, "change", "actions"), "true",
     "resource_changes[0].change.actions must be a list, not a boolean"),
    (FIXTURES / "terraform" / "boundary_in_plan.json",
     ("configuration", "root_module", "module_calls", "team", "module", "resources", 1, "expressions"), '"x"',
     "configuration: expressions must be an object, not a string"),
    (FIXTURES / "terraform" / "boundary_in_plan.json",
     ("configuration", "root_module", "resources", 2, "expressions", "permissions_boundary", "references"), "1",
     "configuration: references must be a list, not a number"),
]


@pytest.mark.parametrize(("seed", "path", "fragment", "message"), REGRESSIONS, ids=lambda v: str(v)[-40:])
def test_fuzzing_regressions_are_errors_naming_the_malformed_part(seed: Path, path: tuple[Any, ...], fragment: str,
                                                                  message: str, tmp_path: Path) -> None:
    hostile = tmp_path / seed.name
    hostile.write_text(inject_json(seed, path, fragment), encoding="utf-8")
    report = SCANNER.scan([hostile])
    assert [(e.file, e.message) for e in report.errors] == [(str(hostile), message)]
