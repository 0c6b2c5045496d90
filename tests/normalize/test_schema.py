"""Loader output (the normalized model) always validates against its JSON Schema."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from pyiamguard.loaders.files import Candidate, read_source
from pyiamguard.loaders.iam import policy_sources
from pyiamguard.normalize.policy import normalize_policy
from pyiamguard.normalize.values import Unresolved

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "pyiamguard" / "schemas" / "normalized-document.schema.json").read_text())
EXAMPLES = sorted(p for p in (ROOT / "policies").rglob("examples/*") if p.name != "expected.yaml")


def _validate(document: object, **kwargs: object) -> None:
    jsonschema.validate(normalize_policy(document, **kwargs).engine_input, SCHEMA)  # type: ignore[arg-type]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_rule_examples_normalize_to_valid_documents(path: Path) -> None:
    source = read_source(Candidate(path, str(path), explicit=True))
    for policy in policy_sources(source, path.name):
        _validate(policy.document, kind=policy.kind, base=policy.base)


@pytest.mark.parametrize(
    "document",
    [
        {"Statement": "nonsense"},
        {"Statement": [None, 3, {"Effect": 7, "Principal": 5, "Action": [1, None], "Condition": []}]},
        {"Statement": {"Effect": "Allow", "Principal": {"AWS": [None, True, {"x": 1}]}, "Action": "sts:AssumeRole",
                       "Condition": {"StringEquals": {"sts:ExternalId": [{"Ref": "X"}, None]}, "Bogus": 3}}},
        {"Statement": [{"Effect": "Allow", "Principal": {"AWS": Unresolved("var.account")},
                        "Action": Unresolved("var.action"), "Condition": Unresolved("var.cond")}]},
        Unresolved("aws_iam_role.x.assume_role_policy"),
        ["not", "a", "policy"],
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:user/jos\u00e9\"\\"},
                                                 "Action": "sts:AssumeRole"}]},
    ],
    ids=["statement-string", "garbage-statements", "odd-values", "unresolved-parts", "unresolved-document", "list", "non-ascii"],
)
def test_malformed_documents_still_normalize_to_valid_documents(document: object) -> None:
    _validate(document)


PAIR_SCHEMA = json.loads((ROOT / "pyiamguard" / "schemas" / "assume-pair.schema.json").read_text())


def test_assume_pairs_of_a_scan_validate(monkeypatch: pytest.MonkeyPatch) -> None:
    from pyiamguard.engine import Engine
    from pyiamguard.scanner import scan

    seen: list[object] = []
    original = Engine.evaluate_rule

    def recording(self: Engine, document: object, package: str) -> object:
        seen.append(document)
        return original(self, document, package)

    monkeypatch.setattr(Engine, "evaluate_rule", recording)
    examples = sorted((ROOT / "policies" / "pyiamguard" / "rules" / "iamg_501" / "examples").glob("*_*.*"))
    for path in examples:
        scan([path])
    assert len(seen) == len(examples) == 3  # one pair per example file
    for document in seen:
        jsonschema.validate(document, PAIR_SCHEMA)
