"""The Markdown summary (`scan --format markdown`): exact text for a small scan, escaping, links,
counts, limits, the trust graph, and the command line."""
from __future__ import annotations

import dataclasses
import io
import json
import sys
from pathlib import Path

import pytest

from pyiamguard.cli import main
from pyiamguard.model import Location, Report, ScanError, Severity, Violation
from pyiamguard.reporters import markdown
from pyiamguard.trust_graph import Edge, Group, Node, TrustGraph

WILDCARD = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                     "Action": "sts:AssumeRole"}]}
VENDOR = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                                                   "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
                                                   "Action": "sts:AssumeRole"}]}


def _violation(file: str = "iam/trust.json", line: int | None = 7, rule_id: str = "IAMG-101",
               severity: Severity = Severity.CRITICAL, resource: str = "deploy-role",
               message: str = "anyone can assume the role", title: str = "Any AWS principal can assume the role",
               remediation: str = "Name the principals.") -> Violation:
    return Violation(rule_id=rule_id, title=title, severity=severity, message=message, resource=resource,
                     location=Location(file, line, 21, "$.Statement[0].Principal.AWS"), remediation=remediation)


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)


def test_a_small_report_exactly() -> None:
    report = Report(
        violations=(_violation(),
                    _violation(file="iam/vendor.json", line=9, rule_id="IAMG-103", severity=Severity.HIGH,
                               resource="vendor", message="no ExternalId", title="No ExternalId",
                               remediation="Add sts:ExternalId."),
                    _violation(file="iam/a.json", line=3, rule_id="IAMG-103", severity=Severity.HIGH,
                               resource="a", message="no ExternalId either", title="No ExternalId",
                               remediation="Add sts:ExternalId.")),
        scanned_files=("iam/trust.json", "iam/vendor.json", "iam/a.json"), skipped_files=(("package.json", "x"),),
        suppressed=(_violation(resource="waived"),), baselined=(_violation(resource="old"), _violation(resource="older")),
        documents=3,
    )
    assert markdown.render(report, base_dir=".") == (
        "## pyiamguard: 3 violations\n"
        "\n"
        "| severity | findings |\n"
        "|---|---:|\n"
        "| CRITICAL | 1 |\n"
        "| HIGH | 2 |\n"
        "| MEDIUM | 0 |\n"
        "| LOW | 0 |\n"
        "| INFO | 0 |\n"
        "\n"
        "3 files scanned, 1 skipped, 0 errors, 1 suppressed, 2 baselined\n"
        "\n"
        "### IAMG-101 · CRITICAL · Any AWS principal can assume the role (1)\n"
        "\n"
        "| resource | where | finding |\n"
        "|---|---|---|\n"
        "| deploy-role | [iam/trust.json:7](iam/trust.json#L7) | anyone can assume the role |\n"
        "\n"
        "**Fix:** Name the principals.\n"
        "\n"
        "### IAMG-103 · HIGH · No ExternalId (2)\n"
        "\n"
        "| resource | where | finding |\n"
        "|---|---|---|\n"
        "| a | [iam/a.json:3](iam/a.json#L3) | no ExternalId either |\n"
        "| vendor | [iam/vendor.json:9](iam/vendor.json#L9) | no ExternalId |\n"
        "\n"
        "**Fix:** Add sts:ExternalId.\n"
    )


def test_a_clean_report_with_errors() -> None:
    report = Report(scanned_files=("a.json",), errors=(ScanError("b.json", "not JSON:\n line 1"),), errors_ignored=True)
    assert markdown.render(report, base_dir=".") == (
        "## pyiamguard: no violations\n\n| severity | findings |\n|---|---:|\n| CRITICAL | 0 |\n| HIGH | 0 |\n"
        "| MEDIUM | 0 |\n| LOW | 0 |\n| INFO | 0 |\n\n1 file scanned, 1 error, 0 suppressed, 0 baselined\n\n"
        "**Errors** (1, ignored (--ignore-errors)):\n\n- `b.json`: not JSON: line 1\n"
    )


def test_cells_are_escaped_and_only_relative_paths_are_links(tmp_path: Path) -> None:
    absolute = str(tmp_path.parent / "elsewhere" / "t.json")
    report = Report(violations=(
        _violation(message="a | b <script>alert(1)</script> & c\nd", resource="r|1"),
        _violation(file=absolute, line=None, rule_id="IAMG-102", severity=Severity.HIGH),
        _violation(file="<stdin>", rule_id="IAMG-104", severity=Severity.MEDIUM),
        _violation(file="my dir/t (1).json", rule_id="IAMG-105", severity=Severity.MEDIUM),
    ))
    text = markdown.render(report, base_dir=".")
    assert "| r\\|1 | [iam/trust.json:7](iam/trust.json#L7) | a \\| b &lt;script&gt;alert(1)&lt;/script&gt; &amp; c d |" in text
    assert f"| deploy-role | `{Path(absolute).as_posix()}` |" in text
    assert "| deploy-role | `<stdin>:7` |" in text
    assert "[my dir/t (1).json:7](my%20dir/t%20%281%29.json#L7)" in text


def test_tf_source_links_point_at_the_block() -> None:
    v = dataclasses.replace(_violation(file="tfplan.json", line=None), source=Location("infra/main.tf", 12))
    assert "[infra/main.tf:12](infra/main.tf#L12)" in markdown.render(Report(violations=(v,)), base_dir=".")


def test_long_rules_are_cut_and_large_graphs_are_not_drawn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(markdown, "MAX_ROWS", 2)
    monkeypatch.setattr(markdown, "MAX_GRAPH_EDGES", 1)
    report = Report(violations=tuple(_violation(line=n) for n in range(1, 6)))
    graph = TrustGraph(nodes=(Node("anyone", "anyone", "anyone (*)"), Node("r", "role", "r"), Node("s", "role", "s")),
                       edges=(Edge("anyone", "r", "trust"), Edge("anyone", "s", "trust")))
    text = markdown.render(report, base_dir=".", graph=graph)
    assert text.count("| deploy-role |") == 2
    assert "... and 3 more IAMG-101 findings (see the full report)." in text
    assert text.endswith("### Trust graph\n\n2 trust relationships: too many to draw here; `pyiamguard graph` draws "
                         "them, `--role` and `--account` focus the picture.\n")
    assert markdown.render(report, graph=TrustGraph()).endswith("### Trust graph\n\nNo trust relationship to draw.\n")


def test_the_graph_section_is_mermaid() -> None:
    graph = TrustGraph(groups=(Group("unknown", "account unknown"),),
                       nodes=(Node("anyone", "anyone", "anyone (*)"), Node("r", "role", "t.json", "unknown")),
                       edges=(Edge("anyone", "r", "trust", (), Severity.CRITICAL, ("IAMG-101",)),))
    text = markdown.render(Report(scanned_files=("t.json",)), graph=graph, graph_note="A note.")
    assert text.endswith(
        "### Trust graph\n\n```mermaid\nflowchart LR\n  subgraph g0[\"account unknown\"]\n    n1[\"t.json\"]\n  end\n"
        "  n0((\"anyone (*)\"))\n  n0 -->|\"CRITICAL\"| n1\n  linkStyle 0 stroke:#b60205,stroke-width:2px\n```\n\n"
        "A note.\n")


# --- the command line -----------------------------------------------------------------------


def _write(path: str, document: object) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(document, indent=2), encoding="utf-8")


def test_scan_format_markdown_exactly(capsys: pytest.CaptureFixture[str]) -> None:
    _write("iam/public.json", WILDCARD)
    assert main(["scan", "iam", "--format", "markdown"]) == 1
    out = capsys.readouterr().out
    assert out == (
        "## pyiamguard: 1 violation\n"
        "\n"
        "| severity | findings |\n"
        "|---|---:|\n"
        "| CRITICAL | 1 |\n"
        "| HIGH | 0 |\n"
        "| MEDIUM | 0 |\n"
        "| LOW | 0 |\n"
        "| INFO | 0 |\n"
        "\n"
        "1 file scanned, 0 errors, 0 suppressed, 0 baselined\n"
        "\n"
        "### IAMG-101 · CRITICAL · Any AWS principal can assume the role (1)\n"
        "\n"
        "| resource | where | finding |\n"
        "|---|---|---|\n"
        "| public.json | [iam/public.json:7](iam/public.json#L7) | Statement 1 lets any AWS principal ('*') assume the "
        "role: no condition on aws:PrincipalAccount, aws:PrincipalArn or aws:PrincipalOrgID confines it |\n"
        "\n"
        "**Fix:** Name the accounts, roles or services that may assume the role, or confine the wildcard with "
        "StringEquals on aws:PrincipalOrgID or ArnEquals on aws:PrincipalArn.\n"
        "\n"
        "### Trust graph\n"
        "\n"
        "```mermaid\n"
        "flowchart LR\n"
        "  subgraph g0[\"account unknown\"]\n"
        "    n1[\"public.json\"]\n"
        "  end\n"
        "  n0((\"anyone (*)\"))\n"
        "  n0 -->|\"CRITICAL\"| n1\n"
        "  linkStyle 0 stroke:#b60205,stroke-width:2px\n"
        "  classDef critical fill:#fdd8d8,stroke:#b60205,stroke-width:2px\n"
        "  class n1 critical\n"
        "```\n"
    )


def test_scan_markdown_to_a_file_beside_other_formats_and_with_a_baseline(capsys: pytest.CaptureFixture[str]) -> None:
    _write("iam/public.json", WILDCARD)
    _write("iam/vendor.json", VENDOR)
    assert main(["scan", "iam", "--write-baseline", "base.json", "--format", "json=out.json"]) == 0
    capsys.readouterr()
    assert main(["scan", "iam", "--baseline", "base.json", "--format", "markdown=summary.md", "--format", "text"]) == 0
    text = Path("summary.md").read_text(encoding="utf-8")
    assert text.startswith("## pyiamguard: no violations\n")
    assert "2 files scanned, 0 errors, 0 suppressed, 5 baselined\n" in text
    assert "```mermaid\n" in text  # the graph is drawn, without finding colours
    assert "linkStyle" not in text
    assert capsys.readouterr().out.startswith("no violations in 2 files scanned")


def test_scan_markdown_of_standard_input_says_the_graph_is_not_drawn(monkeypatch: pytest.MonkeyPatch,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(json.dumps(WILDCARD).encode())))
    assert main(["scan", "-", "--format", "markdown"]) == 1
    assert capsys.readouterr().out.endswith(
        "### Trust graph\n\nStandard input is not drawn: run `pyiamguard graph` on the files.\n")
