"""Every rule's example files, run through the real loaders, normalizer and engine.

`policies/pyiamguard/rules/<rule>/examples/expected.yaml` lists, per example, every
violation it must produce (rule, severity, JSONPath, line) and nothing else.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from jsonpath_ng import parse as jsonpath

from pyiamguard.catalog import load_policy_set
from pyiamguard.config import config_from_mapping
from pyiamguard.scanner import scan

RULES = Path(__file__).resolve().parents[2] / "policies" / "pyiamguard" / "rules"


def _cases() -> list[tuple[str, dict]]:
    cases = []
    for expected in sorted(RULES.glob("*/examples/expected.yaml")):
        for entry in yaml.safe_load(expected.read_text())["examples"]:
            cases.append((expected.parent.parent.name, entry))
    return cases


CASES = _cases()


@pytest.mark.parametrize("rule_dir,entry", CASES, ids=[f"{r}/{e['file']}" for r, e in CASES])
def test_example_produces_exactly_the_expected_violations(rule_dir: str, entry: dict) -> None:
    path = RULES / rule_dir / "examples" / entry["file"]
    report = scan([path], config_from_mapping(entry.get("config", {})))
    assert report.errors == ()
    got = sorted((v.rule_id, v.severity.value, v.path, v.line) for v in report.violations)
    want = sorted(tuple(v) for v in entry["violations"])
    assert got == want
    assert {v.resource for v in report.violations} <= {entry["file"], *entry.get("resources", [])}
    assert all(v.file == str(path) and v.column and v.remediation and v.message for v in report.violations)


@pytest.mark.parametrize("rule_dir,entry", CASES, ids=[f"{r}/{e['file']}" for r, e in CASES])
def test_example_paths_point_at_real_nodes(rule_dir: str, entry: dict) -> None:
    path = RULES / rule_dir / "examples" / entry["file"]
    text = path.read_text()
    document = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    for _, _, json_path, _ in entry["violations"]:
        assert jsonpath(json_path).find(document), json_path


def test_every_rule_has_violating_and_clean_examples_that_behave() -> None:
    by_dir = {}
    for rule_dir, entry in CASES:
        by_dir.setdefault(rule_dir, []).append(entry)
    rules = {r.package: r.rule_id for r in load_policy_set().rules}
    assert set(by_dir) == set(rules), "every rule package needs examples"
    for package, rule_id in rules.items():
        violating = [e for e in by_dir[package] if e["file"].startswith("violating_")]
        clean = [e for e in by_dir[package] if e["file"].startswith("clean_")]
        assert violating and clean, package
        for entry in violating:
            assert rule_id in {v[0] for v in entry["violations"]}, entry["file"]
        for entry in clean:
            assert rule_id not in {v[0] for v in entry["violations"]}, entry["file"]
