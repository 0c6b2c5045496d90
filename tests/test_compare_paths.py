"""Change-aware scans of templates, raw documents and .tf sources: `--compare-to PATH`.

Each test writes a previous and a current version side by side and names the exact statuses,
resolved findings and role changes.
"""
from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from pyiamguard import Config, Scanner
from pyiamguard.cli import main
from pyiamguard.model import CHANGED, EXISTING, NEW, RESOLVED

OWN = "111111111111"
STRANGER = "999988887777"


def template(*roles: tuple[str, dict]) -> str:
    resources = {name: {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {
        "Version": "2012-10-17", "Statement": statements}}} for name, statements in roles}
    return json.dumps({"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}, indent=2)


def allow(principal: str, condition: dict | None = None) -> dict:
    statement = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return statement


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return Scanner(Config(own_accounts=[OWN]))


def rows(violations) -> list[tuple]:
    return sorted((v.change, v.rule_id, v.resource, Path(v.file).name) for v in violations)


def test_template_pair_directory(scanner: Scanner, tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    # kept.json: unchanged role; widened.json: a foreign account added; gone.json: deleted since;
    # added.json: new since.
    write(old / "kept.json", template(("Kept", [allow("*")])))
    write(new / "kept.json", template(("Kept", [allow("*")])))
    write(old / "widened.json", template(("Deployer", [allow(f"arn:aws:iam::{OWN}:role/ci")])))
    write(new / "widened.json", template(("Deployer", [allow(f"arn:aws:iam::{OWN}:role/ci"),
                                                       allow(f"arn:aws:iam::{STRANGER}:root")])))
    write(old / "gone.json", template(("Gone", [allow(f"arn:aws:iam::{STRANGER}:root")])))
    write(new / "added.json", template(("Added", [allow(f"arn:aws:iam::{STRANGER}:role/x")])))
    report = scanner.scan(new, compare_to=old)
    assert rows(report.violations) == [
        (EXISTING, "IAMG-101", "Kept", "kept.json"),
        (NEW, "IAMG-102", "Added", "added.json"), (NEW, "IAMG-102", "Deployer", "widened.json"),
        (NEW, "IAMG-103", "Added", "added.json"), (NEW, "IAMG-103", "Deployer", "widened.json"),
        (NEW, "IAMG-104", "Deployer", "widened.json"),
        (NEW, "IAMG-105", "Deployer", "widened.json")]
    assert rows(report.resolved) == [(RESOLVED, rule, "Gone", "gone.json")
                                     for rule in ("IAMG-102", "IAMG-103", "IAMG-104", "IAMG-105")]
    assert {v.file for v in report.resolved} == {str(old / "gone.json")}
    assert dict(report.compared) == {str(new / "added.json"): f"nothing: {old / 'added.json'} did not exist",
                                     str(new / "kept.json"): str(old / "kept.json"),
                                     str(new / "widened.json"): str(old / "widened.json")}
    assert [(c.resource, c.status, c.details) for c in report.changes] == [
        ("Added", "created", ("created", f"arn:aws:iam::{STRANGER}:role/x (not allow-listed) can assume it, without ExternalId")),
        ("Deployer", "updated", (f"account {STRANGER} (not allow-listed) can now assume it, without ExternalId, "
                                 "without MFA",)),
        ("Gone", "deleted", ("deleted",)),  # located in the previous version, old/ sorts after new/
    ]


def test_one_file_compared_with_its_previous_version(scanner: Scanner, tmp_path: Path) -> None:
    old = write(tmp_path / "role-v1.yaml", textwrap.dedent(f"""\
        Resources:
          Audit:
            Type: AWS::IAM::Role
            Properties:
              AssumeRolePolicyDocument:
                Statement:
                  - Effect: Allow
                    Principal: {{AWS: arn:aws:iam::{STRANGER}:root}}
                    Action: sts:AssumeRole
                    Condition:
                      StringEquals: {{sts:ExternalId: !Ref ExternalId}}
                      Bool: {{aws:MultiFactorAuthPresent: "true"}}
        Parameters:
          ExternalId: {{Type: String, NoEcho: true}}
        """))
    new = write(tmp_path / "role.yaml", old.read_text().replace('                  Bool: {aws:MultiFactorAuthPresent: "true"}\n', "")
                .replace('      Bool: {aws:MultiFactorAuthPresent: "true"}\n', ""))
    assert "MultiFactorAuthPresent" not in new.read_text()
    report = scanner.scan(new, compare_to=old)
    assert rows(report.violations) == [(EXISTING, "IAMG-102", "Audit", "role.yaml"),
                                       (EXISTING, "IAMG-105", "Audit", "role.yaml")]
    assert [(c.resource, c.details) for c in report.changes] == [("Audit", (f"MFA condition removed for account {STRANGER}",))]
    assert report.compared == ((str(new), str(old)),)


def test_raw_policy_documents_changed_principal(scanner: Scanner, tmp_path: Path) -> None:
    write(tmp_path / "old" / "vendor-trust.json", json.dumps({"Version": "2012-10-17", "Statement": [
        allow("arn:aws:iam::888877776666:root")]}))
    write(tmp_path / "new" / "vendor-trust.json", json.dumps({"Version": "2012-10-17", "Statement": [
        allow(f"arn:aws:iam::{STRANGER}:root")]}))
    report = scanner.scan(tmp_path / "new", compare_to=tmp_path / "old")
    assert rows(report.violations) == [(CHANGED, rule, "vendor-trust.json", "vendor-trust.json")
                                       for rule in ("IAMG-102", "IAMG-103", "IAMG-104", "IAMG-105")]
    assert report.resolved == ()


def test_terraform_module_block_moved_between_files_keeps_its_findings(scanner: Scanner, tmp_path: Path) -> None:
    block = textwrap.dedent(f"""\
        resource "aws_iam_role" "vendor" {{
          name = "vendor"
          assume_role_policy = jsonencode({{
            Version = "2012-10-17"
            Statement = [{{ Effect = "Allow", Action = "sts:AssumeRole",
                           Principal = {{ AWS = "arn:aws:iam::{STRANGER}:root" }} }}]
          }})
        }}
        """)
    write(tmp_path / "old" / "main.tf", block)
    write(tmp_path / "new" / "main.tf", "# the roles live in iam.tf now\n")
    write(tmp_path / "new" / "iam.tf", block)
    report = scanner.scan(tmp_path / "new", compare_to=tmp_path / "old")
    assert rows(report.violations) == [(EXISTING, rule, "aws_iam_role.vendor", "iam.tf")
                                       for rule in ("IAMG-102", "IAMG-103", "IAMG-104", "IAMG-105")]
    assert report.resolved == () and report.changes == ()


def test_an_unreadable_previous_version_counts_everything_new(scanner: Scanner, tmp_path: Path) -> None:
    write(tmp_path / "old" / "role.json", '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {')
    write(tmp_path / "new" / "role.json", template(("Kept", [allow("*")])))
    report = scanner.scan(tmp_path / "new", compare_to=tmp_path / "old")
    assert rows(report.violations) == [(NEW, "IAMG-101", "Kept", "role.json")]
    assert report.resolved == () and report.errors == ()
    (notice,) = report.notices
    assert notice.kind == "compare" and str(tmp_path / "new" / "role.json") in notice.message


def test_compare_to_that_does_not_exist_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "role.json", template(("Kept", [allow("*")])))
    code = main(["scan", str(tmp_path / "role.json"), "--compare-to", str(tmp_path / "missing")])
    assert code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1].endswith(
        f"--compare-to {tmp_path / 'missing'}: no such file or directory")


def test_several_paths_compare_with_the_previous_current_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    for side, principal in (("old", "*"), ("new", "*")):
        write(tmp_path / side / "a" / "role.json", template(("A", [allow(principal)])))
        write(tmp_path / side / "b" / "role.json", template(("B", [allow(f"arn:aws:iam::{OWN}:role/ci")])))
    write(tmp_path / "new" / "b" / "role.json", template(("B", [allow(f"arn:aws:iam::{STRANGER}:role/x")])))
    monkeypatch.chdir(tmp_path / "new")
    code = main(["scan", "a", "b", "--compare-to", "../old", "--format", "json", "--fail-on-new", "--own-account", OWN])
    document = json.loads(capsys.readouterr().out)
    assert code == 1
    assert sorted((v["change"], v["rule_id"], v["file"]) for v in document["violations"]) == [
        ("existing", "IAMG-101", os.path.join("a", "role.json")),
        ("new", "IAMG-102", os.path.join("b", "role.json")), ("new", "IAMG-103", os.path.join("b", "role.json"))]


def test_fail_on_new_passes_when_only_existing_findings_remain(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "old" / "role.json", template(("A", [allow("*")]), ("B", [allow(f"arn:aws:iam::{STRANGER}:root")])))
    write(tmp_path / "new" / "role.json", template(("A", [allow("*")])))
    arguments = ["scan", str(tmp_path / "new"), "--compare-to", str(tmp_path / "old"), "--format", "json"]
    assert main(arguments + ["--fail-on-new"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [(v["change"], v["rule_id"]) for v in document["violations"]] == [("existing", "IAMG-101")]
    assert main(arguments) == 1  # without --fail-on-new the existing finding still fails
    capsys.readouterr()


def test_fail_on_new_from_the_configuration_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "old" / "role.json", template(("A", [allow("*")])))
    write(tmp_path / "new" / "role.json", template(("A", [allow("*")])))
    write(tmp_path / ".pyiamguard.yaml", "fail_on_new: true\n")
    monkeypatch.chdir(tmp_path)
    assert main(["scan", "new", "--compare-to", "old", "--quiet"]) == 0
    capsys.readouterr()


# --- --compare-to-git ------------------------------------------------------------------------------


def _git(work: Path, *args: str) -> None:
    import subprocess

    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main",
                    *args], cwd=work, check=True, capture_output=True, env=env)


def test_compare_to_git_reads_the_same_paths_at_the_revision(scanner: Scanner, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "repo"
    write(work / "iam" / "kept.json", template(("Kept", [allow("*")])))
    write(work / "iam" / "gone.json", template(("Gone", [allow(f"arn:aws:iam::{STRANGER}:root")])))
    write(work / "iam" / "deployer.json", template(("Deployer", [allow(f"arn:aws:iam::{OWN}:role/ci")])))
    _git(work, "init", "-q")
    _git(work, "add", "-A")
    _git(work, "commit", "-qm", "base")
    (work / "iam" / "gone.json").unlink()
    write(work / "iam" / "deployer.json", template(("Deployer", [allow(f"arn:aws:iam::{OWN}:role/ci"),
                                                                 allow(f"arn:aws:iam::{STRANGER}:role/x")])))
    write(work / "iam" / "added.json", template(("Added", [allow("*")])))  # not even committed
    monkeypatch.chdir(work)
    report = scanner.scan("iam", compare_to_git="main")
    assert rows(report.violations) == [
        (EXISTING, "IAMG-101", "Kept", "kept.json"),
        (NEW, "IAMG-101", "Added", "added.json"),
        (NEW, "IAMG-102", "Deployer", "deployer.json"), (NEW, "IAMG-103", "Deployer", "deployer.json")]
    assert sorted((v.rule_id, v.file, v.line) for v in report.resolved) == [
        (rule, "main:iam/gone.json", 13) for rule in ("IAMG-102", "IAMG-103", "IAMG-104", "IAMG-105")]
    assert dict(report.compared) == {os.path.join("iam", "added.json"): "nothing: main:iam/added.json did not exist",
                                     os.path.join("iam", "deployer.json"): "main:iam/deployer.json",
                                     os.path.join("iam", "kept.json"): "main:iam/kept.json"}
    assert [(c.resource, c.status, c.file) for c in report.changes] == [
        ("Added", "created", os.path.join("iam", "added.json")),
        ("Deployer", "updated", os.path.join("iam", "deployer.json")),
        ("Gone", "deleted", "main:iam/gone.json")]
    assert not (work / "iam" / "gone.json").exists()  # the work tree is left as it was


def test_compare_to_git_with_a_bad_revision_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    work = tmp_path / "repo"
    write(work / "role.json", template(("Kept", [allow("*")])))
    _git(work, "init", "-q")
    _git(work, "add", "-A")
    _git(work, "commit", "-qm", "base")
    monkeypatch.chdir(work)
    assert main(["scan", "role.json", "--compare-to-git", "nope"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("pyiamguard: error: --compare-to-git nope: ")
    assert "Traceback" not in "\n".join(err)


def test_sarif_resolved_results_on_request(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "old" / "role.json", template(("A", [allow("*")]), ("B", [allow(f"arn:aws:iam::{STRANGER}:root")])))
    write(tmp_path / "new" / "role.json", template(("A", [allow("*")])))
    arguments = ["scan", str(tmp_path / "new"), "--compare-to", str(tmp_path / "old"), "--format", "sarif"]
    main(arguments)
    run = json.loads(capsys.readouterr().out)["runs"][0]
    assert [(r["ruleId"], r["baselineState"]) for r in run["results"]] == [("IAMG-101", "unchanged")]
    assert run["properties"]["resolved"] == 4
    main(arguments + ["--sarif-resolved"])
    run = json.loads(capsys.readouterr().out)["runs"][0]
    absent = [r for r in run["results"] if r["baselineState"] == "absent"]
    assert sorted(r["ruleId"] for r in absent) == ["IAMG-102", "IAMG-103", "IAMG-104", "IAMG-105"]
    assert {r["kind"] for r in absent} == {"pass"}
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in absent} == {
        (tmp_path / "old" / "role.json").as_uri()}  # outside the working directory: an absolute URI
