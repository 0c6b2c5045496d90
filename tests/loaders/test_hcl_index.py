"""--tf-source: from a Terraform resource address to the .tf file and line of its block.

The fixture tree tests/fixtures/terraform/tf-source/ holds a root module (infra/) calling a local
module (modules/a) that calls another (modules/b), a registry module, comments, and a heredoc
holding HCL text; plan.json is a plan of that tree.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from pyiamguard.cli import main
from pyiamguard.loaders.hcl_index import TfSourceError, TfSourceIndex
from pyiamguard.model import Location, Report, Severity, Violation
from pyiamguard.reporters.text import render
from pyiamguard.scanner import Scanner, scan

TREE = Path(__file__).resolve().parent.parent / "fixtures" / "terraform" / "tf-source"
INFRA = TREE / "infra"


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


# --- the index --------------------------------------------------------------------------------


@pytest.mark.parametrize(("address", "where"), [
    ("aws_iam_role.root", ("main.tf", 27)),
    ("data.aws_iam_policy_document.trust", ("main.tf", 33)),
    ("data.aws_iam_policy_document.open", ("main.tf", 43)),
    ('module.a["x"].module.b.aws_iam_role.r["k"]', ("modules/b/main.tf", 5)),
    ('module.a["y \\"quoted\\" .key"].module.b.aws_iam_role.r["a.b:c/d"]', ("modules/b/main.tf", 5)),
    ("module.a.module.b.aws_iam_role.r", ("modules/b/main.tf", 5)),
])
def test_addresses_map_to_their_block(address: str, where: tuple[str, int]) -> None:
    index = TfSourceIndex.from_directory(INFRA)
    assert index.locate(address) == (os.path.join(str(INFRA), where[0]), where[1])


@pytest.mark.parametrize("address", [
    "fake.x",  # only inside a heredoc
    "aws_iam_role.retired",  # only inside a /* */ comment
    "module.registry.aws_iam_role.this[0]",  # registry module: not followed
    "module.a.aws_iam_role.r",  # module a declares no resource of its own
    "module.nope.aws_iam_role.r",
    "aws_iam_role.missing",
    "data.aws_iam_role.root",  # a data source is not the resource of the same name
    "trust.json",
    "deployer",
    "",
])
def test_what_is_not_a_block_of_the_tree_is_not_located(address: str) -> None:
    assert TfSourceIndex.from_directory(INFRA).locate(address) is None


def test_a_relative_tf_source_gives_relative_file_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(TREE)
    index = TfSourceIndex.from_directory("infra")
    assert index.locate('module.a["x"].module.b.aws_iam_role.r["k"]') == (os.path.join("infra", "modules", "b", "main.tf"), 5)


def test_the_light_scan_follows_hcl_syntax(tmp_path: Path) -> None:
    _tree(tmp_path, {
        "main.tf": (
            'resource aws_iam_role bare_labels {\n'  # 1: labels may be identifiers
            '  name = "}}} not a close"\n'
            '  description = "${jsonencode({ a = "}" })} #not-a-comment // nor this"\n'
            '}\n'
            '// resource "aws_iam_role" "line_comment" {\n'  # 5
            '/* resource "aws_iam_role" "block_comment" {\n'
            '   } */ \n'
            'locals {\n'
            '  policy = <<-EOT\n'
            '    resource "aws_iam_role" "in_heredoc" {\n'  # 10
            '    EOT\n'
            '  nested = {\n'
            '    resource = "x"\n'
            '  }\n'
            '}\n'  # 15
            'module "inline" { source = "./inline" }\n'
            'module "remote" {\n'
            '  source = "git::https://example.com/iam.git//role?ref=v1"\n'
            '}\n'
            'data "aws_iam_policy_document" "after_all_that" {\n'  # 20
            '}\n'
        ),
        "iam_override.tf": 'resource "aws_iam_role" "bare_labels" {\n  name = "override"\n}\n',
        "inline/role.tf": '\n\nresource "aws_iam_role" "r" {\n}\n',
        "notes.txt": 'resource "aws_iam_role" "not_a_tf_file" {\n}\n',
    })
    index = TfSourceIndex.from_directory(tmp_path)
    main_tf = str(tmp_path / "main.tf")
    assert index.locate("aws_iam_role.bare_labels") == (main_tf, 1)  # the override file does not win
    assert index.locate("data.aws_iam_policy_document.after_all_that") == (main_tf, 20)
    assert index.locate("module.inline.aws_iam_role.r") == (str(tmp_path / "inline" / "role.tf"), 3)
    for hidden in ("line_comment", "block_comment", "in_heredoc", "not_a_tf_file"):
        assert index.locate(f"aws_iam_role.{hidden}") is None
    assert index.locate("module.remote.aws_iam_role.r") is None


def test_a_module_calling_itself_does_not_loop(tmp_path: Path) -> None:
    _tree(tmp_path, {"main.tf": 'module "again" {\n  source = "./"\n}\nresource "aws_iam_role" "r" {\n}\n'})
    index = TfSourceIndex.from_directory(tmp_path)
    assert index.locate("module.again.module.again.aws_iam_role.r") == (str(tmp_path / "main.tf"), 4)


def test_a_missing_or_unreadable_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(TfSourceError, match="no such directory"):
        TfSourceIndex.from_directory(tmp_path / "missing")
    (tmp_path / "file.tf").write_text("", encoding="utf-8")
    with pytest.raises(TfSourceError, match="not a directory"):
        TfSourceIndex.from_directory(tmp_path / "file.tf")


def test_an_unreadable_directory_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(path: object) -> list[str]:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(os, "listdir", denied)  # chmod 000 does not stop root, who runs CI here
    with pytest.raises(TfSourceError, match="cannot read directory: Permission denied"):
        TfSourceIndex.from_directory(tmp_path)


# --- scan(tf_source=...) ----------------------------------------------------------------------


def test_scan_names_the_block_of_every_terraform_violation() -> None:
    report = scan([TREE / "plan.json"], tf_source=INFRA)
    assert report.errors == ()
    located = [(v.rule_id, v.resource, v.source) for v in report.violations]
    assert located == [
        ("IAMG-101", "aws_iam_role.root", Location(str(INFRA / "main.tf"), 27)),
        ("IAMG-101", 'module.a["x"].module.b.aws_iam_role.r["k"]', Location(str(INFRA / "modules" / "b" / "main.tf"), 5)),
        ("IAMG-101", "module.registry.aws_iam_role.this[0]", None),  # registry module: no source
        ("IAMG-101", "data.aws_iam_policy_document.open", Location(str(INFRA / "main.tf"), 43)),
    ]
    # Everything else is the same report as without --tf-source.
    plain = scan([TREE / "plan.json"])
    assert [v.to_dict() for v in plain.violations] == [
        {k: d[k] for k in d if k not in ("source_file", "source_line")} for d in (v.to_dict() for v in report.violations)]


def test_a_scanner_with_tf_source_locates_the_blocks_of_a_plan_document_too() -> None:
    plan = json.loads((TREE / "plan.json").read_text(encoding="utf-8"))
    report = Scanner(tf_source=INFRA).scan_document(plan, name="plan.json")
    located = {v.resource: v.source for v in report.violations}
    assert located["aws_iam_role.root"] == Location(str(INFRA / "main.tf"), 27)
    assert located["module.registry.aws_iam_role.this[0]"] is None


def test_violations_of_raw_iam_files_get_no_source(tmp_path: Path) -> None:
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}]}
    # Named like a resource of the tree, on purpose: still not a Terraform violation.
    (tmp_path / "aws_iam_role.root").mkdir()
    path = tmp_path / "aws_iam_role.root" / "root.json"
    path.write_text(json.dumps({"Role": {"RoleName": "aws_iam_role.root", "AssumeRolePolicyDocument": policy}}),
                    encoding="utf-8")
    report = scan([path], tf_source=INFRA)
    assert [(v.rule_id, v.resource, v.source) for v in report.violations] == [("IAMG-101", "aws_iam_role.root", None)]


def test_scan_with_a_missing_tf_source_raises_before_scanning(tmp_path: Path) -> None:
    with pytest.raises(TfSourceError):
        scan([TREE / "plan.json"], tf_source=tmp_path / "missing")


# --- reporters --------------------------------------------------------------------------------


def _violation(source: Location | None) -> Violation:
    return Violation(rule_id="IAMG-101", title="t", severity=Severity.CRITICAL, message="anyone can assume",
                     resource="aws_iam_role.root", location=Location("plan.json", 14, 11, "$.resource_changes[0]"),
                     remediation="Fix it.", source=source)


def test_to_dict_adds_source_keys_at_the_end_only_when_set() -> None:
    without = _violation(None).to_dict()
    assert "source_file" not in without and "source_line" not in without
    with_source = _violation(Location("infra/main.tf", 27)).to_dict()
    assert list(with_source) == list(without) + ["source_file", "source_line"]
    assert (with_source["source_file"], with_source["source_line"]) == ("infra/main.tf", 27)


def test_text_report_prints_the_source_under_the_path() -> None:
    text = render(Report(violations=(_violation(Location("infra/main.tf", 27)),), scanned_files=("plan.json",)),
                  color=False)
    assert text.splitlines()[1:5] == [
        "  14:11  CRITICAL  IAMG-101  aws_iam_role.root: anyone can assume",
        "      path: $.resource_changes[0]",
        "      source: infra/main.tf:27",
        "      fix: Fix it.",
    ]
    plain = render(Report(violations=(_violation(None),), scanned_files=("plan.json",)), color=False)
    assert "source:" not in plain


# --- CLI --------------------------------------------------------------------------------------


@pytest.fixture
def in_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(TREE)
    monkeypatch.delenv("NO_COLOR", raising=False)


def test_cli_tf_source_in_the_json_report(in_tree: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "plan.json", "--tf-source", "infra", "--format", "json"]) == 1
    violations = json.loads(capsys.readouterr().out)["violations"]
    assert [(v["resource"], v.get("source_file"), v.get("source_line")) for v in violations] == [
        ("aws_iam_role.root", os.path.join("infra", "main.tf"), 27),
        ('module.a["x"].module.b.aws_iam_role.r["k"]', os.path.join("infra", "modules", "b", "main.tf"), 5),
        ("module.registry.aws_iam_role.this[0]", None, None),
        ("data.aws_iam_policy_document.open", os.path.join("infra", "main.tf"), 43),
    ]


def test_cli_tf_source_in_the_text_report(in_tree: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "plan.json", "--tf-source", "infra/"]) == 1
    out = capsys.readouterr().out
    assert f"      source: {os.path.join('infra', 'modules', 'b', 'main.tf')}:5\n" in out
    assert out.count("      source: ") == 3


def test_cli_missing_tf_source_is_a_configuration_error(in_tree: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "plan.json", "--tf-source", "nowhere"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "pyiamguard: error: --tf-source nowhere: no such directory\n"


def test_cli_tf_source_in_github_annotations(in_tree: None, capsys: pytest.CaptureFixture[str]) -> None:
    # A pull request changes the .tf files, not the plan: annotations go where the diff is; a
    # resource whose block is not found (a registry module) stays on the plan.
    assert main(["scan", "plan.json", "--tf-source", "infra", "--format", "github"]) == 1
    lines = capsys.readouterr().out.splitlines()
    # (A plan is compared with its prior state: each title starts with the finding's status.)
    placed = [re.match(r"^::\w+ file=([^,]+),line=(\d+)(?:,col=\d+)?,title=\[(?:new|changed|existing)\] (IAMG-\d+) ([^:]+)::", line)
              for line in lines[:-1]]
    assert all(placed), lines
    where = {(m[3], m[4]): (m[1], int(m[2])) for m in placed if m}
    assert where[("IAMG-101", "aws_iam_role.root")] == ("infra/main.tf", 27)
    assert where[("IAMG-101", 'module.a["x"].module.b.aws_iam_role.r["k"]')] == ("infra/modules/b/main.tf", 5)
    registry = [key for key in where if key[1] == "module.registry.aws_iam_role.this[0]"]
    assert registry and all(where[key][0] == "plan.json" for key in registry)


def test_cli_tf_source_in_sarif(in_tree: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.sarif"
    assert main(["scan", "plan.json", "--tf-source", "infra", "--format", f"sarif={out}"]) == 1
    results = json.loads(out.read_text(encoding="utf-8"))["runs"][0]["results"]
    by_resource = {r["locations"][0]["logicalLocations"][0]["name"]: r for r in results if r["ruleId"] == "IAMG-101"}
    root = by_resource["aws_iam_role.root"]
    assert root["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "infra/main.tf"
    assert root["locations"][0]["physicalLocation"]["region"] == {"startLine": 27}
    [related] = root["relatedLocations"]
    assert related["physicalLocation"]["artifactLocation"]["uri"] == "plan.json"
    assert related["physicalLocation"]["region"]["startLine"] >= 1
    registry = by_resource["module.registry.aws_iam_role.this[0]"]
    assert registry["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "plan.json"
    assert "relatedLocations" not in registry
