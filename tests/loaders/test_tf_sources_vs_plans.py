"""Differential check: `.tf` sources scanned statically against the real plan made from them.

Each directory of tests/fixtures/tf_sources_vs_plans/ is named after a corpus plan
(`<shared>/corpus/terraform-plan/<name>.tfplan.json`) and holds the `.tf` configuration that
plan was made from, copied verbatim from its public repository (see the directory's SOURCE.md:
repository, commit, path, licence, and how the configuration was matched to the plan: the
resource and data addresses of the plan's `configuration` block are exactly those the files
declare).

For each pair, the sources and the plan are scanned with the same configuration (the plan's own
account when its caller identity is known) and compared:

1. the findings, by (rule id, resource address): equal, except for the differences listed in
   KNOWN_DIFFERENCES, each classified by hand;
2. the documents the rules read, by (resource address, document kind): equal, so a pair where
   one side silently reads nothing cannot pass point 1 by both being empty;
3. the trust policies as the rules read them (statements: principals, actions, conditions,
   unresolved values), compared without refs and without list order (the AWS provider renders
   `actions` of an `aws_iam_policy_document` as a set, in hash order, which sources cannot
   reproduce and IAM does not care about).

Corpus plans whose sources were not found (their report says why) are not here:
checkov_oidc_module_foreach_unknown_trust (plan of a `./module` that is in no commit of
bridgecrewio/checkov), checkov_utf16_role_policy_star, snyk_policy_doc_prior_state_external_id,
tfcompliance_noop_nested_modules, tfcompliance_module_count_role and
tfcompliance_resource_drift_lambda_role (no `.tf` declaring their resources in any commit of
their repositories; the last three also call private git modules),
infracost_nested_modules_rds_monitoring_roles (no `.tf` in infracost/infracost declares its
resources, and its roles are in the registry module terraform-aws-modules/rds/aws).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pyiamguard.config import Config
from pyiamguard.model import Report
from pyiamguard.scanner import Scanner, scan

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "tf_sources_vs_plans"

Key = tuple[str, str]  # (rule id, resource address)

# Each pair: the own account to scan both sides with (the caller identity the plan records,
# `data.aws_caller_identity` in its prior state), or None when the plan records none.
PAIRS: dict[str, str | None] = {
    "awslabs_identity_policies_service_roles": None,
    "awslabs_public_access_wildcard_roles": None,
    "awslabs_role_inline_jsonencode": None,
    "checkov_bucket_policy_doc_cross_account": None,
    "checkov_codebuild_service_role": None,
    "checkov_role_policy_iam_star": None,
    # TerraGoat terraform/aws; the plan's caller identity is 123456789123.
    "checkov_tf012_service_roles": "123456789123",
    "regula_policy_attachment_roles_list": None,
    "regula_role_inline_admin_policy": None,
    "tfcompliance_aws_principal_invalid_string": None,
    "tfcompliance_for_each_roles": None,
}

# The differences between the findings of the sources and of the plan that are not bugs:
#   (b) a value the plan knows and the sources cannot (variables given on the command line,
#       the provider's account, remote modules, the plan's prior state);
#   (c) the plan was made from another version of the .tf files.
# Each entry: plan name -> {"plan_only": {(rule, resource), ...}, "sources_only": {...}}, with
# its class and why in a comment. The differential of 2026-12-03 found no difference in the
# findings of any pair, so the table is empty. Differences in values that decide no finding,
# all class (b), are not in it:
#   - checkov_tf012_service_roles: the plan was made with `environment = "corp"` (given on the
#     command line; the default is "dev") and the caller's account 123456789123, so role and
#     policy names read "123456789123-acme-corp-..." in the plan and "<own account>-acme-dev-..."
#     in the sources. No rule reads those names.
#   - awslabs_public_access_wildcard_roles: the provider renders each statement's `actions` in
#     set-hash order; the sources keep the written order (point 3 compares without order).
#   - regula_role_inline_admin_policy: the role's inline policies are listed in another order.
KNOWN_DIFFERENCES: dict[str, dict[str, set[Key]]] = {}


def _config(own_account: str | None) -> Config:
    return Config(own_accounts=(own_account,) if own_account else ())


def _keys(report: Report) -> set[Key]:
    return {(v.rule_id, v.resource) for v in report.violations}


def _plan(shared_dir: Path, name: str) -> Path:
    path = shared_dir / "corpus" / "terraform-plan" / f"{name}.tfplan.json"
    assert path.is_file(), f"corpus plan {path} is missing"
    return path


def _canonical(value: Any) -> Any:
    """The value without refs and without list order."""
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items() if k not in ("ref", "refs", "principal_ref")}
    if isinstance(value, list):
        return sorted((_canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return value


@pytest.fixture(scope="module")
def scanners() -> dict[str | None, Scanner]:
    """One Scanner per configuration, so the rules are compiled once per account."""
    return {own: Scanner(_config(own)) for own in set(PAIRS.values())}


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_fixture_is_sources_only(name: str) -> None:
    """The fixture holds the .tf files and SOURCE.md, nothing a scan would read as a plan."""
    folder = FIXTURES / name
    assert (folder / "SOURCE.md").is_file()
    assert any(folder.glob("*.tf"))
    others = [p for p in folder.rglob("*") if p.is_file() and p.suffix not in (".tf", ".md")]
    assert others == []


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_findings_of_sources_equal_findings_of_plan(name: str, shared_dir: Path) -> None:
    config = _config(PAIRS[name])
    sources = scan([FIXTURES / name], config)
    plan = scan([_plan(shared_dir, name)], config)
    assert sources.errors == ()
    assert plan.errors == ()
    known = KNOWN_DIFFERENCES.get(name, {})
    plan_keys, source_keys = _keys(plan), _keys(sources)
    assert plan_keys - source_keys == known.get("plan_only", set())
    assert source_keys - plan_keys == known.get("sources_only", set())


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_documents_of_sources_equal_documents_of_plan(
        name: str, shared_dir: Path, scanners: dict[str | None, Scanner]) -> None:
    scanner = scanners[PAIRS[name]]
    sources = scanner.inspect([FIXTURES / name])
    plan = scanner.inspect([_plan(shared_dir, name)])
    assert sources.errors == ()
    assert plan.errors == ()

    def documents(inspection: Any) -> dict[tuple[str, str], list[Any]]:
        out: dict[tuple[str, str], list[Any]] = {}
        for d in inspection.documents:
            out.setdefault((d.resource, d.input.get("kind", "")), []).append(d)
        return out

    by_plan, by_sources = documents(plan), documents(sources)
    assert by_plan, "the plan gave no document: the comparison would be empty"
    assert sorted(by_sources) == sorted(by_plan)
    for key, docs in by_plan.items():
        if key[1] != "trust":
            continue
        expected = [_canonical({"statements": d.input["statements"], "unresolved": d.input.get("unresolved")})
                    for d in docs]
        actual = [_canonical({"statements": d.input["statements"], "unresolved": d.input.get("unresolved")})
                  for d in by_sources[key]]
        assert actual == expected, key
