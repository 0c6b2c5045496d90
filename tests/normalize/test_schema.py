"""Loader output (the normalized model) always validates against its JSON Schema."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from pyiamguard.loaders.files import Candidate, read_source
from pyiamguard.loaders.iam import policy_sources
from pyiamguard.normalize.policy import normalize_policy
from pyiamguard.normalize.values import Unresolved, engine_token

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "pyiamguard" / "schemas" / "normalized-document.schema.json").read_text())
EXAMPLES = sorted(p for p in (ROOT / "policies").rglob("examples/*") if p.name != "expected.yaml")


def _validate(document: object, **kwargs: object) -> None:
    jsonschema.validate(normalize_policy(document, **kwargs).engine_input, SCHEMA)  # type: ignore[arg-type]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_rule_examples_normalize_to_valid_documents(path: Path) -> None:
    source = read_source(Candidate(path, str(path), explicit=True))
    for policy in policy_sources(source, path.name):
        _validate(policy.document, kind=policy.kind, base=policy.base, role=policy.role, resource=policy.facts)


# Every input the loaders read in the tests: Terraform plans, templates, dumps, raw documents.
LOADER_INPUTS = sorted(p for p in [*EXAMPLES, *(ROOT / "tests" / "fixtures").rglob("*")]
                       if p.is_file() and p.suffix in (".json", ".yaml", ".yml", ".template"))


def test_every_loader_output_of_a_scan_validates_with_its_resource_section(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the scanner hands the engine, for every fixture and example: each document valid,
    with a `resource` section naming the resource its findings name."""
    import pyiamguard.scanner as scanner_module
    from pyiamguard.scanner import Scanner

    scanner = Scanner()  # the rules compiled once
    seen: list[tuple[dict[str, object], str]] = []
    original = scanner_module.normalize_policy

    def recording(*args: object, **kwargs: object) -> object:
        normalized = original(*args, **kwargs)  # type: ignore[arg-type]
        seen.append((dict(normalized.engine_input), kwargs["resource"].address))  # type: ignore[union-attr]
        return normalized

    monkeypatch.setattr(scanner_module, "normalize_policy", recording)
    validator = jsonschema.Draft202012Validator(SCHEMA)
    formats: set[object] = set()
    for path in LOADER_INPUTS:
        seen.clear()
        report = scanner.scan([path])
        for document, address in seen:
            errors = [f"{path.name}: {e.json_path}: {e.message}" for e in validator.iter_errors(document)]
            assert not errors, errors
            resource = document["resource"]
            assert isinstance(resource, dict) and resource["address"] == engine_token(address)
            formats.add(resource["format"])
        reported = {v.resource for v in report.violations if v.rule_id != "IAMG-501"}
        assert {engine_token(r) for r in reported} <= {d["resource"]["address"] for d, _ in seen}, path.name  # type: ignore[index]
    assert formats == {"terraform_plan", "cloudformation", "aws_cli", "iam_document"}


def test_the_resource_section_is_optional_and_exactly_described() -> None:
    document = dict(normalize_policy({"Statement": []}).engine_input)
    jsonschema.validate(document, SCHEMA)
    del document["resource"]
    jsonschema.validate(document, SCHEMA)  # hand-written Rego test documents leave it out
    for bad in ({"format": "pulumi"}, {"tags": {"k": 'say "hi"'}}, {"name": "caf\u00e9"}, {"unresolved": ["owner"]},
                {"extra": True}):
        wrong = {**normalize_policy({"Statement": []}).engine_input["resource"], **bad}
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({**document, "resource": wrong}, SCHEMA)


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
