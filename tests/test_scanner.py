"""scan() and scan_document(): files in, Report out, never an exception for bad input."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from pyiamguard import scanner
from pyiamguard.catalog import PolicySet, load_policy_set
from pyiamguard.config import Config, Waiver
from pyiamguard.model import Severity
from pyiamguard.scanner import scan, scan_document

WILDCARD = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}]}


def _write(path: Path, value: object) -> Path:
    path.write_text(value if isinstance(value, str) else json.dumps(value, indent=2))
    return path


def test_bad_files_are_errors_and_the_other_files_are_still_scanned(tmp_path: Path) -> None:
    good = _write(tmp_path / "good.json", WILDCARD)
    broken = _write(tmp_path / "broken.json", '{"Statement": [')
    report = scan([broken, tmp_path / "missing.json", good])
    assert [(v.rule_id, v.file, v.line) for v in report.violations] == [("IAMG-101", str(good), 6)]
    assert [(e.file, e.message) for e in report.errors] == [
        (str(broken), "invalid JSON at line 1 column 16: Expecting value"),
        (str(tmp_path / "missing.json"), "no such file or directory"),
    ]


def test_directory_walk_skips_what_is_not_iac_and_names_why(tmp_path: Path) -> None:
    _write(tmp_path / "package.json", {"name": "app", "version": "1.0.0"})
    _write(tmp_path / "values.yaml", "replicas: 3\nimage: nginx\n")
    _write(tmp_path / "chart.yaml", "name: {{ .Values.name }}\n  bad: [\n")
    _write(tmp_path / "notes.txt", "not scanned at all")
    _write(tmp_path / "trust.json", WILDCARD)
    report = scan([tmp_path])
    assert report.errors == ()
    assert report.scanned_files == (str(tmp_path / "trust.json"),)
    skipped = dict(report.skipped_files)
    assert set(skipped) == {str(tmp_path / n) for n in ("package.json", "values.yaml", "chart.yaml")}
    assert skipped[str(tmp_path / "package.json")] == "not an IAM policy, Terraform plan or CloudFormation template"
    assert skipped[str(tmp_path / "chart.yaml")].startswith("not parseable and not IaC")


def test_an_unparseable_file_that_looks_like_iac_is_an_error_in_a_walk(tmp_path: Path) -> None:
    _write(tmp_path / "trust.json", '{"Statement": [{"Effect": "Allow",')
    report = scan([tmp_path])
    assert [e.file for e in report.errors] == [str(tmp_path / "trust.json")]


def test_a_named_file_that_is_not_iam_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "package.json", {"name": "app"})
    report = scan([path])
    assert [(e.file, e.message) for e in report.errors] == [
        (str(path), "not an IAM policy, Terraform plan or CloudFormation template")]


def test_a_cloudformation_template_is_scanned(tmp_path: Path) -> None:
    # tests/loaders/test_cloudformation.py covers templates in depth.
    path = _write(tmp_path / "x.json", {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}})
    report = scan([path])
    assert (report.errors, report.violations, report.scanned_files) == ((), (), (str(path),))


def test_get_role_output_is_named_by_the_role(tmp_path: Path) -> None:
    path = _write(tmp_path / "role.json", {"Role": {"RoleName": "deployer", "AssumeRolePolicyDocument": WILDCARD}})
    report = scan([path])
    assert [(v.rule_id, v.resource, v.path) for v in report.violations] == [
        ("IAMG-101", "deployer", "$.Role.AssumeRolePolicyDocument.Statement[0].Principal")]


def test_a_list_of_documents_names_each_by_index(tmp_path: Path) -> None:
    clean = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    path = _write(tmp_path / "trusts.json", [clean, WILDCARD])
    report = scan([path])
    assert [(v.rule_id, v.resource, v.path) for v in report.violations] == [
        ("IAMG-101", "trusts.json[1]", "$[1].Statement[0].Principal")]


def test_scan_document_accepts_objects_and_text_and_checks_kind() -> None:
    assert [v.rule_id for v in scan_document(WILDCARD).violations] == ["IAMG-101"]
    assert [v.rule_id for v in scan_document(json.dumps(WILDCARD), name="t.json").violations] == ["IAMG-101"]
    assert scan_document(WILDCARD, kind="identity").violations == ()
    assert [e.message[:12] for e in scan_document("{nope", name="x").errors] == ["invalid JSON"]
    with pytest.raises(ValueError):
        scan_document(WILDCARD, kind="bucket")


def test_disabled_rules_and_severity_overrides_apply() -> None:
    doc = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "444455556666"}, "Action": "sts:AssumeRole",
                          "Condition": {"StringEquals": {"sts:ExternalId": "x1"}}}]}
    config = Config(disabled_rules=("IAMG-102",), severity_overrides={"IAMG-105": Severity.CRITICAL})
    assert [(v.rule_id, v.severity) for v in scan_document(doc, config).violations] == [("IAMG-105", Severity.CRITICAL)]


def test_live_waivers_suppress_and_expired_ones_do_not() -> None:
    today = dt.date.today()
    live = Config(waivers=(Waiver("IAMG-101", "<document>", "public test role", "*", today + dt.timedelta(days=1)),))
    expired = Config(waivers=(Waiver("IAMG-101", "<doc*", "public test role", "*", today - dt.timedelta(days=1)),))
    assert scan_document(WILDCARD, live).violations == ()
    assert [v.rule_id for v in scan_document(WILDCARD, expired).violations] == ["IAMG-101"]


def test_a_failing_rule_is_an_error_with_its_id_and_the_other_rules_still_report() -> None:
    broken = Path(__file__).parent / "fixtures" / "custom" / "broken_at_evaluation"
    report = scan_document(WILDCARD, Config(policy_dirs=[broken]))
    assert [v.rule_id for v in report.violations] == ["IAMG-101"]
    assert [(e.rule_id, e.file) for e in report.errors] == [("TEST-999", "<document>")]
    assert "rule could not be evaluated" in report.errors[0].message


def test_reports_are_deterministic(tmp_path: Path) -> None:
    for i in range(3):
        _write(tmp_path / f"t{i}.json", WILDCARD)
    assert scan([tmp_path]) == scan([tmp_path])


# --- worker processes ------------------------------------------------------------------------

def _distinct_trusts(path: Path, count: int) -> Path:
    """`count` trust policies, each of its own foreign account and source network: as many
    distinct shapes (the network is not a value the memo abstracts, the account is)."""
    documents = [{"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{100000000000 + i}:root"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": f"vendor-{i}"},
                      "IpAddress": {"aws:SourceIp": f"10.{i // 256}.{i % 256}.0/24"}}}]} for i in range(count)]
    path.write_text(json.dumps(documents, indent=2), encoding="utf-8")
    return path


# Enough distinct documents that, after the window that detects them, a batch goes to workers.
POOLED = scanner._NEW_FOR_BATCHES + 250


def _count_pool_batches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of each batch the worker pool is given, as the scan goes."""
    from pyiamguard import engine

    sent: list[int] = []
    original = engine.EnginePool.evaluate_many

    def spy(self: engine.EnginePool, documents: list[dict], package: str | None = None) -> list[object]:
        sent.append(len(documents))
        return original(self, documents, package)

    monkeypatch.setattr(engine.EnginePool, "evaluate_many", spy)
    return sent


def test_worker_processes_give_the_same_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _distinct_trusts(tmp_path / "trusts.json", POOLED)
    alone = scan([path], jobs=1)
    sent = _count_pool_batches(monkeypatch)
    pooled = scan([path], jobs=2)
    assert sent == [250]  # the documents after the window, in one batch
    assert pooled == alone
    assert alone.errors == ()
    # Each document: an account not allow-listed, trusted whole (IAMG-102, 105), at its principal.
    first = sorted((v.rule_id, v.resource, v.line) for v in alone.violations if v.resource == "trusts.json[0]")
    assert first == [("IAMG-102", "trusts.json[0]", 8), ("IAMG-105", "trusts.json[0]", 8)]
    assert len(alone.violations) == 2 * POOLED


def test_a_pool_that_cannot_start_leaves_the_work_to_this_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pyiamguard import engine

    path = _distinct_trusts(tmp_path / "trusts.json", POOLED)
    expected = scan([path], jobs=1)

    tried: list[bool] = []

    def no_processes(*args: object, **kwargs: object) -> None:
        tried.append(True)
        raise OSError("no processes in this sandbox")

    monkeypatch.setattr(engine.EnginePool, "__init__", no_processes)
    assert scan([path], jobs=4) == expected
    assert tried == [True]  # tried once, then this process did the work


def test_a_failure_in_a_worker_is_judged_again_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A worker's EngineError is not a verdict: the document is evaluated rule by rule here.
    from pyiamguard import engine
    from pyiamguard.engine import EngineError

    path = _distinct_trusts(tmp_path / "trusts.json", POOLED)
    expected = scan([path], jobs=1)
    failed: list[int] = []

    def lost(self: engine.EnginePool, documents: list[dict], package: str | None = None) -> list[object]:
        failed.append(len(documents))
        return [EngineError("worker lost")] * len(documents)

    monkeypatch.setattr(engine.EnginePool, "__init__", lambda self, *args: None)
    monkeypatch.setattr(engine.EnginePool, "close", lambda self: None)
    monkeypatch.setattr(engine.EnginePool, "evaluate_many", lost)
    assert scan([path], jobs=2) == expected
    assert failed == [250]


def test_worker_processes_run_custom_rules_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pool's workers compile the custom rules and their collector as this process does."""
    rules = Path(__file__).parent.parent / "examples" / "custom-policies" / "policies"
    config = Config(policy_dirs=[rules], policy_data={"approved_vendor_accounts": ["100000000007"]})
    path = _distinct_trusts(tmp_path / "trusts.json", POOLED)
    sent = _count_pool_batches(monkeypatch)
    pooled = scan([path], config, jobs=2)
    assert sent == [250]
    alone = scan([path], config, jobs=1)
    assert pooled == alone and alone.errors == ()
    # Every account is unapproved but 100000000007, which has its ExternalId (and, as a raw
    # document, no role whose session could be too long).
    vendor = {v.resource: v.message for v in alone.violations if v.rule_id == "ACME-001"}
    assert set(vendor) == {f"trusts.json[{i}]" for i in range(POOLED) if i != 7}
    assert vendor["trusts.json[8]"] == "Account 100000000008 (arn:aws:iam::100000000008:root) is not an approved vendor account"
