"""`pyiamguard prove` and `scan --prove` from the command line, and the self-check's verdicts."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from pyiamguard import Config, Scanner
from pyiamguard.cli import main
from pyiamguard.model import Location, Severity, Violation
from pyiamguard.prove.selfcheck import self_check

REPO = Path(__file__).resolve().parents[2]
OWN = "111122223333"
VENDOR = "999988887777"


def write(tmp_path: Path, name: str, *statements: dict[str, Any]) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=2), encoding="utf-8")
    return path


VENDOR_STATEMENT = {"Sid": "Vendor", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:root"},
                    "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "7f3a9c2e"}}}


def test_prove_exit_codes_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    safe = write(tmp_path, "safe.json", VENDOR_STATEMENT)
    args = ["prove", str(safe), "--own-account", OWN, "--trusted-account", VENDOR, "--require-mfa", "off"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == "1 role: 6 proven, 0 refuted, 0 unknown"
    open_trust = write(tmp_path, "open.json", {**VENDOR_STATEMENT, "Condition": {}})
    assert main(["prove", str(open_trust), "--own-account", OWN, "--property", "external-id", "--format", "json"]) == 1
    document = json.loads(capsys.readouterr().out)
    (role,) = document["roles"]
    (answer,) = role["answers"]
    assert (answer["property"], answer["verdict"]) == ("external-id", "REFUTED")
    assert answer["request"]["account"] == VENDOR and answer["request"]["action"] == "sts:AssumeRole"
    assert answer["statement"]["label"] == "Statement 1" and answer["statement"]["file"] == str(open_trust)
    assert document["errors"] == []


def test_prove_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    safe = write(tmp_path, "safe.json", VENDOR_STATEMENT)
    assert main(["prove", str(safe), "--property", "external-ids"]) == 2
    assert "unknown property 'external-ids'" in capsys.readouterr().err
    assert main(["prove", str(safe), "--resource", "nope"]) == 2
    assert "--resource 'nope': no such role" in capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_text('{"Version": "2012-10-17", "Statement": [', encoding="utf-8")
    assert main(["prove", str(broken), str(safe)]) == 2  # the other file is still proven
    captured = capsys.readouterr()
    assert captured.err.startswith(f"error: {broken}: ") and "role safe.json" in captured.out


def test_without_z3_the_commands_say_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    safe = write(tmp_path, "safe.json", VENDOR_STATEMENT)
    monkeypatch.setitem(sys.modules, "z3", None)  # import z3 now raises ImportError
    assert main(["prove", str(safe)]) == 2
    assert "pip install 'pyiamguard[prove]'" in capsys.readouterr().err
    assert main(["scan", str(safe), "--prove"]) == 2
    err = capsys.readouterr().err
    assert "--prove" in err and "pip install 'pyiamguard[prove]'" in err and "Traceback" not in err
    assert main(["explain", str(safe), "--prove"]) == 2
    captured = capsys.readouterr()
    assert "pip install 'pyiamguard[prove]'" in captured.err and "Traceback" not in captured.err
    assert captured.out == ""
    assert main(["simulate", "--role", str(safe), "--principal", f"arn:aws:iam::{VENDOR}:root", "--prove"]) == 2
    captured = capsys.readouterr()
    assert "pip install 'pyiamguard[prove]'" in captured.err and "Traceback" not in captured.err
    assert captured.out == ""
    assert main(["explain", str(safe)]) == 0  # explain itself needs no z3
    assert capsys.readouterr().out.startswith("Role safe.json (")


def test_scan_prove_agrees_on_the_examples(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    assert main(["scan", "examples", "--prove", "--format", "json", "-q"]) == 1  # findings, and no error
    document = json.loads(capsys.readouterr().out)
    assert document["errors"] == []
    (notice,) = [n for n in document["notices"] if n["kind"] == "prove"]
    assert " 0 disagree" in notice["message"]


def test_a_disagreement_is_an_error_naming_both_answers(tmp_path: Path) -> None:
    path = write(tmp_path, "vendor.json", VENDOR_STATEMENT)
    config = Config(own_accounts=[OWN], trusted_accounts=[VENDOR])
    documents = Scanner(config).inspect([str(path)]).documents
    # A rule that (wrongly) reports a missing ExternalId on a trust that requires one.
    invented = Violation("IAMG-103", "t", Severity.HIGH, "m", "vendor.json", Location(str(path), 3, 5, "$"), "r")
    checked = self_check(documents, [invented], config)
    (error,) = checked.errors
    assert error.rule_id == "IAMG-103" and error.file == str(path)
    assert "--prove disagrees: the rules report IAMG-103, but the SMT model proves the property 'external-id'" \
        in error.message
    # And a rule that stays silent where the model finds a way in.
    open_trust = write(tmp_path, "open.json", {**VENDOR_STATEMENT, "Condition": {}})
    checked = self_check(Scanner(config).inspect([str(open_trust)]).documents, [], config)
    messages = sorted(e.message for e in checked.errors)
    assert any("no rule of IAMG-103 fired, but the SMT model refutes the property 'external-id': REFUTED: principal "
               f"arn:aws:" in m and f":{VENDOR}:" in m for m in messages)
    assert checked.counts["disagree"] == len(checked.errors) >= 1


@pytest.mark.usefixtures("shared_dir")
def test_scan_prove_on_the_corpus_finds_no_disagreement(shared_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The rules and the SMT model on every role of the corpus: any difference is a test
    failure here, or a documented modelling limit (selfcheck.NOT_JUDGED, dead roles)."""
    code = main(["scan", str(shared_dir / "corpus"), "--prove", "--format", "json", "-q"])
    document = json.loads(capsys.readouterr().out)
    disagreements = [e["message"] for e in document["errors"] if "--prove disagrees" in e["message"]]
    assert disagreements == []
    # The corpus's files Terraform rejects (`action` for `actions`, a malformed ARN) are its only errors.
    assert code == 2 and {Path(e["file"]).name for e in document["errors"]} == {
        "checkov_github_oidc_policy_documents.tf", "kics_malformed_root_principal_positive.tf"}
    (notice,) = [n for n in document["notices"] if n["kind"] == "prove"]
    assert notice["message"].startswith("--prove: 137 roles; ") and " 0 disagree, 0 undecided" in notice["message"], \
        notice["message"]


def test_scan_prove_agrees_on_every_rule_example() -> None:
    """Every example of every built-in rule (policies/*/examples, each with the configuration
    its expected.yaml gives it): the rules and the model agree on every role."""
    import yaml

    from pyiamguard.config import config_from_mapping

    disagreements, roles = [], 0
    for expected in sorted((REPO / "policies").glob("pyiamguard/rules/*/examples/expected.yaml")):
        for entry in yaml.safe_load(expected.read_text(encoding="utf-8"))["examples"]:
            config = config_from_mapping(dict(entry.get("config") or {}))
            path = str(expected.parent / entry["file"])
            scanner = Scanner(config)
            report = scanner.scan([path])
            checked = self_check(scanner.inspect([path]).documents, report.violations + report.suppressed, config)
            roles += checked.counts["roles"]
            disagreements += [e.one_line() for e in checked.errors]
    assert disagreements == []
    assert roles >= 90  # every example with a trust policy was judged


def _roles(tmp_path: Path, count: int) -> Path:
    """`count` trust policies: vendors with and without an ExternalId, in turn."""
    folder = tmp_path / "roles"
    folder.mkdir()
    for i in range(count):
        account = f"{900000000000 + i:012d}"
        statement = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}
        if i % 2 == 0:
            statement["Condition"] = {"StringEquals": {"sts:ExternalId": f"vendor-{i}"}}
        write(folder, f"role{i:02d}.json", statement)
    return folder


def _verdicts(document: dict[str, Any]) -> list[tuple[str, str, str, Any]]:
    return [(Path(role["file"]).name, answer["property"], answer["verdict"], (answer.get("statement") or {}).get("line"))
            for role in document["roles"] for answer in role["answers"]]


def test_jobs_share_the_roles_and_change_no_verdict(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import concurrent.futures

    pools: list[int] = []
    real = concurrent.futures.ProcessPoolExecutor

    def spy(workers: int, **kwargs: Any) -> Any:
        pools.append(workers)
        return real(workers, **kwargs)

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", spy)
    folder = _roles(tmp_path, 10)
    args = ["prove", str(folder), "--own-account", OWN, "--property", "external-id", "--format", "json"]
    assert main([*args, "--jobs", "1"]) == 1
    alone = _verdicts(json.loads(capsys.readouterr().out))
    assert pools == []
    assert main([*args, "--jobs", "2"]) == 1
    shared = _verdicts(json.loads(capsys.readouterr().out))
    assert pools == [2]
    assert shared == alone
    assert alone == [(f"role{i:02d}.json", "external-id", "PROVEN" if i % 2 == 0 else "REFUTED",
                      None if i % 2 == 0 else 4) for i in range(10)]


def test_a_pool_that_cannot_start_proves_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import concurrent.futures

    from pyiamguard.prove.prover import prove_paths

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError("no processes here")

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", refuse)
    proofs, errors = prove_paths([str(_roles(tmp_path, 8))], Config(own_accounts=(OWN,)), ["external-id"], jobs=4)
    assert errors == []
    assert [(Path(p.file).name, p.answers[0].verdict) for p in proofs] == [
        (f"role{i:02d}.json", "PROVEN" if i % 2 == 0 else "REFUTED") for i in range(8)]


def test_jobs_must_be_a_count(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    safe = write(tmp_path, "safe.json", VENDOR_STATEMENT)
    assert main(["prove", str(safe), "--jobs", "0"]) == 2
    assert "expected 1 to 64 processes, got 0" in capsys.readouterr().err
