"""The trust graph (`pyiamguard graph`, the Markdown summary's picture): exact nodes, edges and
labels for the shipped examples and small crafted inputs, the renderers, focus, the command."""
from __future__ import annotations

import importlib.util
import io
import json
import os
import sys
from pathlib import Path

import pytest

from pyiamguard import graph_command
from pyiamguard.cli import main
from pyiamguard.config import Config
from pyiamguard.graph_render import render_dot, render_json, render_mermaid
from pyiamguard.model import Severity
from pyiamguard.scanner import Scanner
from pyiamguard.trust_graph import Edge, Group, Node, TrustGraph, build, condition_labels

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
CUSTOM = "local:examples/custom-policies/policies/"


def _graph(paths: list[str | Path], config: Config | None = None) -> TrustGraph:
    scanner = Scanner(config or Config())
    report = scanner.scan(paths)
    return build(scanner.inspect(paths).documents, report.violations,
                 own_accounts=(config or Config()).own_accounts)


def _lines(graph: TrustGraph) -> list[str]:
    """Every edge as `source (group or kind) -> target (group) [kind] label`."""
    out = []
    for edge in graph.edges:
        source, target = graph.node(edge.source), graph.node(edge.target)
        out.append(f"{source.label} ({source.group or source.kind}) -> {target.label} ({target.group}) "
                   f"[{edge.kind}] {edge.label}".rstrip())
    return out


def _write(path: Path, document: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(document if isinstance(document, str) else json.dumps(document, indent=2), encoding="utf-8")
    return path


def _trust(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(principal: object, condition: dict | None = None, action: str = "sts:AssumeRole", **extra: object) -> dict:
    statement = {"Effect": "Allow", "Principal": principal, "Action": action, **extra}
    if condition:
        statement["Condition"] = condition
    return statement


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("NO_COLOR", raising=False)


# --- the shipped examples -------------------------------------------------------------------


def test_the_examples_graph_edge_by_edge() -> None:
    os.chdir(REPO)
    graph = _graph(["examples"])
    custom = CUSTOM
    assert _lines(graph) == [
        "whole account (account:210987654321) -> trust-third-party-no-externalid.json (unknown) [trust] HIGH",
        "whole account (account:444455556666) -> vendor-backup (local:examples/terraform-module) [trust] HIGH · ExternalId",
        # change-review/plan.json: an account's eight roles, one given a foreign account by the plan
        "whole account (account:464622532012) -> datadog-integration (account:482913057716) [trust] HIGH · ExternalId",
        "whole account (account:529104837266) -> backup-operator (account:482913057716) [trust] HIGH",
        "whole account (account:618293745510) -> audit-readonly (account:482913057716) [trust] HIGH",
        "whole account (account:618293745510) -> break-glass (account:482913057716) [trust] HIGH · MFA",
        "whole account (account:777788889999) -> vendor-monitoring (local:examples/terraform-module) [trust] HIGH",
        f"whole account (account:999900001111) -> unknown-vendor ({custom}vendor_trust/examples/violating_vendor_roles.yaml) "
        "[trust] HIGH · ExternalId",
        "whole account (account:999988887777) -> deployer (account:482913057716) [trust] HIGH",
        "anyone (*) (anyone) -> trust-wildcard.json (unknown) [trust] CRITICAL",
        f"role/ci-runner (account:111122224444) -> tooling ({custom}owner_tag/examples/clean_tagged_roles.yaml) [trust] HIGH",
        f"role/ci-runner (account:111122224444) -> tooling ({custom}vendor_trust/examples/clean_vendor_role.yaml) [trust] HIGH",
        f"role/monitoring-integration (account:444455556666) -> monitoring-vendor ({custom}owner_tag/examples/"
        "clean_tagged_roles.yaml) [trust] HIGH · ExternalId",
        f"role/monitoring-integration (account:444455556666) -> monitoring-vendor ({custom}owner_tag/examples/"
        "violating_untagged_vendor_roles.yaml) [trust] HIGH · ExternalId",
        f"role/monitoring-integration (account:444455556666) -> monitoring-vendor ({custom}vendor_trust/examples/"
        "clean_vendor_role.yaml) [trust] HIGH · ExternalId",
        f"role/monitoring-integration (account:444455556666) -> monitoring-vendor ({custom}vendor_trust/examples/"
        "violating_vendor_roles.yaml) [trust] HIGH",
        "role/ci-runner (account:730335597621) -> deployer (account:482913057716) [trust] HIGH · ExternalId",
        f"role/backup-agent (account:777788889999) -> backup-vendor ({custom}owner_tag/examples/"
        "violating_untagged_vendor_roles.yaml) [trust] HIGH · ExternalId",
        f"role/backup-agent (account:777788889999) -> backup-vendor ({custom}vendor_trust/examples/"
        "violating_vendor_roles.yaml) [trust] HIGH · ExternalId",
        "SAML corporate-idp (provider) -> operators (account:345678901234) [trust] aud https://signin.aws.amazon.com/saml",
        "token.actions.githubusercontent.com (provider) -> github-actions-deploy (account:482913057716) [trust] "
        "aud sts.amazonaws.com · sub repo:acme/orders:ref:refs/heads/main",
        f"token.actions.githubusercontent.com (provider) -> github-deploy ({custom}github_org/examples/"
        "clean_github_subjects.yaml) [trust] aud sts.amazonaws.com · sub repo:Acme-Corp/payments:*",
        f"token.actions.githubusercontent.com (provider) -> github-deploy ({custom}github_org/examples/"
        "violating_github_subjects.yaml) [trust] aud sts.amazonaws.com · sub repo:acme-corp/payments:ref:refs/heads/main, "
        "repo:acme-…",
        "token.actions.githubusercontent.com (provider) -> github-deploy (local:examples/terraform-module) [trust] "
        "CRITICAL · aud sts.amazonaws.com",
        "token.actions.githubusercontent.com (provider) -> trust-github-oidc-ok.json (unknown) [trust] "
        "aud sts.amazonaws.com · sub repo:my-org/my-repo:ref:refs/heads/main",
        "operators (account:345678901234) -> deployer (account:123456789012) [trust] HIGH · ExternalId · MFA",
        "operators (account:345678901234) -> trust-cross-account-yaml.yaml (unknown) [trust] HIGH · ExternalId · MFA",
        "pipeline (account:345678901234) -> deployer (account:123456789012) [assume] INFO · assume",
        "codebuild.amazonaws.com (service) -> pipeline (account:345678901234) [trust]",
        "ecs-tasks.amazonaws.com (service) -> orders-task (account:482913057716) [trust]",
        "lambda.amazonaws.com (service) -> orders-lambda (account:482913057716) [trust]",
        "lambda.amazonaws.com (service) -> trust-service-lambda.json (unknown) [trust]",
    ]
    assert [g.id for g in graph.groups] == [
        "account:111122224444", "account:123456789012", "account:210987654321", "account:345678901234",
        "account:444455556666", "account:464622532012", "account:482913057716", "account:529104837266",
        "account:618293745510", "account:730335597621", "account:777788889999", "account:999900001111",
        "account:999988887777",
        f"{custom}github_org/examples/clean_github_subjects.yaml",
        f"{custom}github_org/examples/violating_github_subjects.yaml",
        f"{custom}owner_tag/examples/clean_tagged_roles.yaml",
        f"{custom}owner_tag/examples/violating_untagged_vendor_roles.yaml",
        f"{custom}vendor_trust/examples/clean_vendor_role.yaml",
        f"{custom}vendor_trust/examples/violating_vendor_roles.yaml",
        "local:examples/terraform-module", "unknown"]
    roles = [n for n in graph.nodes if n.kind == "role"]
    assert len(roles) == 30  # 22, and the eight roles of change-review/plan.json
    assert sum(1 for n in graph.nodes if n.kind != "role") == 18


def test_the_two_account_dumps_exactly() -> None:
    os.chdir(REPO)
    graph = _graph(["examples/assume-across-accounts"])
    assert graph.groups == (Group("account:123456789012", "account 123456789012"),
                            Group("account:345678901234", "account 345678901234"))
    assert graph.nodes == (
        Node("service:codebuild.amazonaws.com", "service", "codebuild.amazonaws.com"),
        Node("provider:saml:arn:aws:iam::345678901234:saml-provider/corporate-idp", "provider", "SAML corporate-idp",
             arn="arn:aws:iam::345678901234:saml-provider/corporate-idp"),
        Node("role:arn:aws:iam::123456789012:role/deployer", "role", "deployer", "account:123456789012",
             arn="arn:aws:iam::123456789012:role/deployer", resource="deployer",
             file="examples/assume-across-accounts/workload-account.json", severity=Severity.HIGH,
             rules=("IAMG-102", "IAMG-501")),
        Node("role:arn:aws:iam::345678901234:role/operators", "role", "operators", "account:345678901234",
             arn="arn:aws:iam::345678901234:role/operators", resource="operators",
             file="examples/assume-across-accounts/tooling-account.json"),
        Node("role:arn:aws:iam::345678901234:role/pipeline", "role", "pipeline", "account:345678901234",
             arn="arn:aws:iam::345678901234:role/pipeline", resource="pipeline",
             file="examples/assume-across-accounts/tooling-account.json", severity=Severity.INFO, rules=("IAMG-501",)),
    )
    assert graph.edges == (
        Edge("provider:saml:arn:aws:iam::345678901234:saml-provider/corporate-idp",
             "role:arn:aws:iam::345678901234:role/operators", "trust", ("aud https://signin.aws.amazon.com/saml",)),
        Edge("role:arn:aws:iam::345678901234:role/operators", "role:arn:aws:iam::123456789012:role/deployer", "trust",
             ("ExternalId", "MFA"), Severity.HIGH, ("IAMG-102", "IAMG-501")),
        Edge("role:arn:aws:iam::345678901234:role/pipeline", "role:arn:aws:iam::123456789012:role/deployer", "assume",
             (), Severity.INFO, ("IAMG-501",)),
        Edge("service:codebuild.amazonaws.com", "role:arn:aws:iam::345678901234:role/pipeline", "trust"),
    )


def test_the_examples_as_mermaid_dot_and_json_are_deterministic() -> None:
    os.chdir(REPO)
    first = _graph(["examples"])
    again = _graph(["examples/trust-wildcard.json", "examples/assume-across-accounts", "examples"])
    assert render_mermaid(first) == render_mermaid(again)
    assert render_dot(first) == render_dot(again)
    assert render_json(first) == render_json(again)
    assert json.loads(render_json(first)) == first.to_dict()


# --- crafted inputs -------------------------------------------------------------------------


def test_condition_labels_name_what_restricts_and_what_does_not(tmp_path: Path) -> None:
    trust = _trust(
        _allow({"AWS": "arn:aws:iam::111111111111:root"}, {
            "StringEquals": {"sts:ExternalId": "s3cret", "aws:PrincipalOrgID": "o-abc123"},
            "Bool": {"aws:MultiFactorAuthPresent": "true"}}),
        _allow({"AWS": "arn:aws:iam::222222222222:role/ci"}, {"StringEquals": {"sts:ExternalId": ""}}),
        _allow({"AWS": "arn:aws:iam::333333333333:role/ci"}, {"StringLike": {"sts:ExternalId": "*"}}),
        _allow({"Service": "events.amazonaws.com"}, {"StringEquals": {"aws:SourceAccount": "123456789012"}}),
        _allow({"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},
               {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:org/app:*"}},
               action="sts:AssumeRoleWithWebIdentity"),
    )
    graph = _graph([_write(tmp_path / "trust.json", trust)])
    assert _lines(graph) == [
        "whole account (account:111111111111) -> trust.json (unknown) [trust] HIGH · ExternalId · MFA · org o-abc123",
        "role/ci (account:222222222222) -> trust.json (unknown) [trust] HIGH · ExternalId (empty)",
        "role/ci (account:333333333333) -> trust.json (unknown) [trust] HIGH · ExternalId (any)",
        "token.actions.githubusercontent.com (provider) -> trust.json (unknown) [trust] MEDIUM · sub repo:org/app:*",
        "events.amazonaws.com (service) -> trust.json (unknown) [trust] SourceAccount 123456789012",
    ]


def test_condition_labels_directly() -> None:
    def condition(key: str, values: list[str], base: str = "stringequals", state: str = "concrete",
                  negated: bool = False) -> dict:
        return {"key": key, "base": base, "state": state, "negated": negated, "values": [{"text": v} for v in values]}

    assert condition_labels([condition("sts:externalid", ["secret"])]) == ("ExternalId",)
    assert condition_labels([condition("aws:multifactorauthpresent", ["false"], base="bool")]) == ("MFA false",)
    assert condition_labels([condition("aws:principalarn", ["arn:aws:iam::1:role/x"], negated=True)]) == (
        "not PrincipalArn arn:aws:iam::1:role/x",)
    assert condition_labels([condition("sts:externalid", [], state="unresolved")]) == ("ExternalId (unknown)",)
    assert condition_labels([condition("app.example.com:sub", ["a" * 80])]) == ("sub " + "a" * 55 + "…",)
    assert condition_labels([condition("sts:externalid", ["a"]), condition("sts:externalid", ["b"])]) == ("ExternalId",)


def test_identical_edges_collapse_and_deny_and_other_actions_are_not_drawn(tmp_path: Path) -> None:
    trust = _trust(
        _allow({"Service": "lambda.amazonaws.com"}),
        _allow({"Service": ["lambda.amazonaws.com", "edgelambda.amazonaws.com"]}),
        {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"},
        _allow({"Service": "ec2.amazonaws.com"}, action="sts:TagSession"),
    )
    graph = _graph([_write(tmp_path / "svc.json", trust)])
    assert [(graph.node(e.source).label, e.statements) for e in graph.edges] == [
        ("edgelambda.amazonaws.com", 1), ("lambda.amazonaws.com", 2)]


def test_not_principal_with_allow_is_anyone_but(tmp_path: Path) -> None:
    trust = _trust({"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111111111111:root"},
                    "Action": "sts:AssumeRole"})
    graph = _graph([_write(tmp_path / "np.json", trust)])
    [edge] = graph.edges
    assert (edge.source, edge.conditions, edge.severity) == ("anyone", ("NotPrincipal",), Severity.CRITICAL)


def test_a_finding_on_one_principal_marks_only_its_edge(tmp_path: Path) -> None:
    config = Config(own_accounts=("123456789012",), trusted_accounts=("111111111111",))
    trust = _trust(_allow({"AWS": ["arn:aws:iam::111111111111:role/ok", "arn:aws:iam::999999999999:role/stranger"]},
                          {"StringEquals": {"sts:ExternalId": "x"}, "Bool": {"aws:MultiFactorAuthPresent": "true"}}))
    graph = _graph([_write(tmp_path / "two.json", trust)], config)
    assert _lines(graph) == [
        "role/ok (account:111111111111) -> two.json (account:123456789012) [trust] ExternalId · MFA",
        "role/stranger (account:999999999999) -> two.json (account:123456789012) [trust] HIGH · ExternalId · MFA",
    ]
    [role] = [n for n in graph.nodes if n.kind == "role"]
    assert (role.severity, role.rules) == (Severity.HIGH, ("IAMG-102",))


def test_user_grants_and_wildcard_grants_are_assume_edges(tmp_path: Path) -> None:
    role = {"RoleName": "app-deploy", "Path": "/", "Arn": "arn:aws:iam::123456789012:role/app-deploy",
            "AssumeRolePolicyDocument": _trust(_allow({"AWS": "arn:aws:iam::123456789012:user/alice"})),
            "RolePolicyList": [], "AttachedManagedPolicies": []}
    other = {**role, "RoleName": "db-admin", "Arn": "arn:aws:iam::123456789012:role/db-admin",
             "AssumeRolePolicyDocument": _trust(_allow({"Service": "rds.amazonaws.com"}))}
    user = {"UserName": "alice", "Path": "/", "Arn": "arn:aws:iam::123456789012:user/alice",
            "UserPolicyList": [{"PolicyName": "assume", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::123456789012:role/app-*"},
                {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}}],
            "AttachedManagedPolicies": [], "GroupList": []}
    dump = {"UserDetailList": [user], "RoleDetailList": [role, other], "GroupDetailList": [], "Policies": []}
    graph = _graph([_write(tmp_path / "account.json", dump)])
    assert _lines(graph) == [
        "user/alice (account:123456789012) -> app-deploy (account:123456789012) [trust]",
        "rds.amazonaws.com (service) -> db-admin (account:123456789012) [trust] LOW",
        "alice (account:123456789012) -> app-deploy (account:123456789012) [assume] assume",
    ]  # the grant on role/app-* reaches app-deploy alone; Resource "*" aims at no role in particular
    assert [n.kind for n in graph.nodes] == ["service", "role", "role", "user", "principal"]


def test_raw_documents_go_to_the_one_configured_own_account(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.json", _trust(_allow({"Service": "lambda.amazonaws.com"})))
    assert _lines(_graph([path], Config(own_accounts=("123456789012",)))) == [
        "lambda.amazonaws.com (service) -> t.json (account:123456789012) [trust]"]
    assert _lines(_graph([path], Config(own_accounts=("123456789012", "210987654321")))) == [
        "lambda.amazonaws.com (service) -> t.json (unknown) [trust]"]


def test_focus_on_roles_and_accounts() -> None:
    os.chdir(REPO)
    graph = _graph(["examples/assume-across-accounts", "examples/trust-wildcard.json"])
    assert _lines(graph.focus(roles=["deploy*"])) == [
        "operators (account:345678901234) -> deployer (account:123456789012) [trust] HIGH · ExternalId · MFA",
        "pipeline (account:345678901234) -> deployer (account:123456789012) [assume] INFO · assume",
    ]
    assert _lines(graph.focus(roles=["ARN:AWS:IAM::*:ROLE/PIPELINE"])) == [
        "pipeline (account:345678901234) -> deployer (account:123456789012) [assume] INFO · assume",
        "codebuild.amazonaws.com (service) -> pipeline (account:345678901234) [trust]",
    ]
    focused = graph.focus(accounts=["123456789012"])
    assert [g.id for g in focused.groups] == ["account:123456789012", "account:345678901234"]
    assert len(focused.edges) == 2
    assert graph.focus(roles=["nothing"]) == TrustGraph()
    assert graph.focus() is graph


# --- renderers ------------------------------------------------------------------------------


SMALL = TrustGraph(
    groups=(Group("account:111111111111", "account 111111111111"),),
    nodes=(Node("anyone", "anyone", "anyone (*)"),
           Node("role:a", "role", 'a "hi" | <b>', "account:111111111111", severity=Severity.CRITICAL,
                rules=("IAMG-101",)),
           Node("role:b", "role", "b", "account:111111111111")),
    edges=(Edge("anyone", "role:a", "trust", (), Severity.CRITICAL, ("IAMG-101",)),
           Edge("role:b", "role:a", "assume"),
           Edge("role:b", "role:a", "trust", ("ExternalId", "MFA"))),
)


def test_mermaid_exactly() -> None:
    assert render_mermaid(SMALL) == (
        "flowchart LR\n"
        '  subgraph g0["account 111111111111"]\n'
        '    n1["a #quot;hi#quot; #124; #lt;b#gt;"]\n'
        '    n2["b"]\n'
        "  end\n"
        '  n0(("anyone (*)"))\n'
        '  n0 -->|"CRITICAL"| n1\n'
        '  n2 -.->|"assume"| n1\n'
        '  n2 -->|"ExternalId · MFA"| n1\n'
        "  linkStyle 0 stroke:#b60205,stroke-width:2px\n"
        "  classDef critical fill:#fdd8d8,stroke:#b60205,stroke-width:2px\n"
        "  class n1 critical\n"
    )


def test_dot_exactly() -> None:
    assert render_dot(SMALL) == (
        "digraph trust {\n"
        '  graph [rankdir=LR, fontname="Helvetica", fontsize=12, nodesep=0.3, ranksep=0.9];\n'
        '  node [fontname="Helvetica", fontsize=11, style=filled, fillcolor="#ffffff", color="#444444"];\n'
        '  edge [fontname="Helvetica", fontsize=9, color="#444444"];\n'
        "  subgraph cluster_g0 {\n"
        '    label="account 111111111111"; style="rounded,dashed"; color="#888888";\n'
        '    n1 [label="a \\"hi\\" | <b>", shape=box, style="rounded,filled", fillcolor="#fdd8d8", '
        'color="#b60205", penwidth=2];\n'
        '    n2 [label="b", shape=box, style="rounded,filled"];\n'
        "  }\n"
        '  n0 [label="anyone (*)", shape=doublecircle];\n'
        '  n0 -> n1 [label="CRITICAL", color="#b60205", fontcolor="#b60205", penwidth=2];\n'
        '  n2 -> n1 [label="assume", style=dashed];\n'
        '  n2 -> n1 [label="ExternalId · MFA"];\n'
        "}\n"
    )


def test_json_exactly() -> None:
    assert json.loads(render_json(SMALL)) == {
        "groups": [{"id": "account:111111111111", "label": "account 111111111111"}],
        "nodes": [
            {"id": "anyone", "kind": "anyone", "label": "anyone (*)", "group": "", "arn": "", "resource": "",
             "file": "", "severity": None, "rules": []},
            {"id": "role:a", "kind": "role", "label": 'a "hi" | <b>', "group": "account:111111111111", "arn": "",
             "resource": "", "file": "", "severity": "CRITICAL", "rules": ["IAMG-101"]},
            {"id": "role:b", "kind": "role", "label": "b", "group": "account:111111111111", "arn": "", "resource": "",
             "file": "", "severity": None, "rules": []}],
        "edges": [
            {"source": "anyone", "target": "role:a", "kind": "trust", "conditions": [], "severity": "CRITICAL",
             "rules": ["IAMG-101"], "statements": 1},
            {"source": "role:b", "target": "role:a", "kind": "assume", "conditions": [], "severity": None,
             "rules": [], "statements": 1},
            {"source": "role:b", "target": "role:a", "kind": "trust", "conditions": ["ExternalId", "MFA"],
             "severity": None, "rules": [], "statements": 1}],
    }


# --- the command ----------------------------------------------------------------------------


def test_graph_command_formats_and_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(Path("iam/public.json"), _trust(_allow({"AWS": "*"})))
    assert main(["graph", "iam"]) == 0  # a finding does not fail a picture
    out = capsys.readouterr().out
    assert out.startswith("flowchart LR\n") and '-->|"CRITICAL"|' in out
    assert main(["graph", "iam", "--format", "json", "--output", "g.json"]) == 0
    assert json.loads(Path("g.json").read_text(encoding="utf-8"))["edges"][0]["severity"] == "CRITICAL"
    assert main(["graph", "iam", "--format", "DOT"]) == 0
    assert capsys.readouterr().out.startswith("digraph trust {\n")
    _write(Path("bad/broken.json"), "{not json")
    assert main(["graph", "iam", "bad/broken.json"]) == 2  # an input error; the graph of the rest is still written
    out, err = capsys.readouterr()
    assert '-->|"CRITICAL"|' in out and err.startswith(f"error: {os.path.join('bad', 'broken.json')}: ")
    assert main(["graph", "iam", "--format", "pdf"]) == 2
    assert "invalid choice: 'pdf'" in capsys.readouterr().err


def test_graph_command_focus_and_configuration(capsys: pytest.CaptureFixture[str]) -> None:
    _write(Path("a.json"), _trust(_allow({"AWS": "arn:aws:iam::111111111111:root"},
                                         {"StringEquals": {"sts:ExternalId": "x"}})))
    _write(Path("b.json"), _trust(_allow({"Service": "lambda.amazonaws.com"})))
    assert main(["graph", ".", "--format", "json", "--role", "a.json"]) == 0
    edges = json.loads(capsys.readouterr().out)["edges"]
    assert [(e["source"], e["severity"]) for e in edges] == [("account:111111111111", "HIGH")]
    assert main(["graph", ".", "--format", "json", "--trusted-account", "111111111111", "--account",
                 "111111111111"]) == 0
    edges = json.loads(capsys.readouterr().out)["edges"]
    assert [(e["source"], e["severity"]) for e in edges] == [("account:111111111111", "MEDIUM")]


def test_graph_reads_standard_input_once(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.dumps(_trust(_allow({"AWS": "*"}))).encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["graph", "-", "--stdin-name", "iam/t.json", "--format", "json"]) == 0
    graph = json.loads(capsys.readouterr().out)
    assert [n["id"] for n in graph["nodes"]] == ["anyone", "role:iam/t.json#t.json"]
    assert graph["edges"][0]["severity"] == "CRITICAL"


def test_svg_and_png_need_graphviz(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _write(Path("t.json"), _trust(_allow({"AWS": "*"})))
    monkeypatch.setattr(graph_command.shutil, "which", lambda name: None)
    assert main(["graph", "t.json", "--format", "svg"]) == 2
    assert "--format svg needs Graphviz's dot on PATH" in capsys.readouterr().err


def test_svg_and_png_are_drawn_by_dot_from_the_dot_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    # A stand-in for Graphviz's dot on PATH (the real one may not be installed): it records the
    # text it is given and answers per -T format, so the command's side is checked exactly.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "dot"
    fake.write_text("#!/bin/sh\ncat > \"$(dirname \"$0\")/input.dot\"\n"
                    "if [ \"$1\" = -Tsvg ]; then printf '<svg>drawn</svg>'; else printf '\\211PNG drawn'; fi\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    _write(Path("t.json"), _trust(_allow({"AWS": "*"})))
    assert main(["graph", "t.json", "--format", "svg"]) == 0
    assert capsys.readouterr().out.startswith("<svg>drawn</svg>")
    assert (bin_dir / "input.dot").read_text(encoding="utf-8") == render_dot(_graph(["t.json"]))
    assert main(["graph", "t.json", "--format", "png", "-o", "t.png"]) == 0
    assert Path("t.png").read_bytes() == b"\x89PNG drawn"


# --- the README image -----------------------------------------------------------------------


def test_the_image_script_draws_the_graph_command_output() -> None:
    spec = importlib.util.spec_from_file_location("render_graph", REPO / "docs" / "render_graph.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.COMMAND == ("graph", "examples/", "--format", "dot")
    os.chdir(REPO)
    assert module.dot_source() == render_dot(_graph(["examples/"]))
    image = (REPO / "docs" / "images" / "trust-graph.svg").read_text(encoding="utf-8").replace("&#45;", "-")
    assert "<svg" in image and "trust-wildcard.json" in image and "anyone (*)" in image
