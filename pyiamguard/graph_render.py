"""The trust graph as text: Mermaid (GitHub and GitLab render it in Markdown), Graphviz DOT,
and JSON. Pure functions of a `TrustGraph`; node and group ids are numbered in the graph's own
(sorted) order, so the same graph always gives the same text.

Shapes: a role of the scan is a box, a user a double box, a whole account a hexagon, another
account's role or user a parallelogram, a service a stadium, an identity provider an
asymmetric flag, anyone (`*`) a circle, an unknown principal a rhombus. A trust edge is solid,
an assume grant (IAMG-501's other side) dashed; an edge or role with a finding is drawn in the
colour of its most severe one, and the edge's label starts with that severity.
"""
from __future__ import annotations

import json
from typing import Callable

from .model import Severity
from .trust_graph import Edge, Node, TrustGraph

COLORS = {
    Severity.CRITICAL: "#b60205",
    Severity.HIGH: "#d93f0b",
    Severity.MEDIUM: "#b08800",
    Severity.LOW: "#1d76db",
    Severity.INFO: "#6a737d",
}
FILLS = {
    Severity.CRITICAL: "#fdd8d8",
    Severity.HIGH: "#fde4d6",
    Severity.MEDIUM: "#fff5c2",
    Severity.LOW: "#dbeafe",
    Severity.INFO: "#eeeeee",
}
_MERMAID_SHAPES: dict[str, tuple[str, str]] = {
    "role": ('["', '"]'),
    "user": ('[["', '"]]'),
    "account": ('{{"', '"}}'),
    "principal": ('[/"', '"/]'),
    "service": ('(["', '"])'),
    "provider": ('>"', '"]'),
    "anyone": ('(("', '"))'),
    "unknown": ('{"', '"}'),
}
_DOT_SHAPES = {
    "role": "box", "user": "box3d", "account": "hexagon", "principal": "parallelogram", "service": "oval",
    "provider": "cds", "anyone": "doublecircle", "unknown": "diamond",
}


def _ids(graph: TrustGraph) -> tuple[dict[str, str], dict[str, str]]:
    nodes = {node.id: f"n{index}" for index, node in enumerate(graph.nodes)}
    groups = {group.id: f"g{index}" for index, group in enumerate(graph.groups)}
    return nodes, groups


def render_json(graph: TrustGraph) -> str:
    return json.dumps(graph.to_dict(), indent=2, ensure_ascii=False) + "\n"


# --- Mermaid --------------------------------------------------------------------------------


def _mermaid_text(text: str) -> str:
    """Text inside a quoted Mermaid label: quotes, angle brackets and pipes as entity codes."""
    out = " ".join(text.split())
    for char, code in (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"), ("|", "#124;")):
        out = out.replace(char, code)
    return out


def render_mermaid(graph: TrustGraph, *, direction: str = "LR") -> str:
    """A Mermaid flowchart: one subgraph per account, roles and principals inside it."""
    node_ids, group_ids = _ids(graph)
    lines = [f"flowchart {direction}"]

    def node_line(node: Node, indent: str) -> str:
        start, end = _MERMAID_SHAPES[node.kind]
        return f"{indent}{node_ids[node.id]}{start}{_mermaid_text(node.label)}{end}"

    for group in graph.groups:
        members = [n for n in graph.nodes if n.group == group.id]
        lines.append(f'  subgraph {group_ids[group.id]}["{_mermaid_text(group.label)}"]')
        lines += [node_line(n, "    ") for n in members]
        lines.append("  end")
    lines += [node_line(n, "  ") for n in graph.nodes if not n.group]
    styles: list[str] = []
    for index, edge in enumerate(graph.edges):
        arrow = "-.->" if edge.kind == "assume" else "-->"
        label = f'|"{_mermaid_text(edge.label)}"|' if edge.label else ""
        lines.append(f"  {node_ids[edge.source]} {arrow}{label} {node_ids[edge.target]}")
        if edge.severity is not None:
            styles.append(f"  linkStyle {index} stroke:{COLORS[edge.severity]},stroke-width:2px")
    lines += styles
    marked = sorted({n.severity for n in graph.nodes if n.severity is not None}, reverse=True)
    for severity in marked:
        name = severity.value.lower()
        lines.append(f"  classDef {name} fill:{FILLS[severity]},stroke:{COLORS[severity]},stroke-width:2px")
        marked_ids = ",".join(node_ids[n.id] for n in graph.nodes if n.severity == severity)
        lines.append(f"  class {marked_ids} {name}")
    return "\n".join(lines) + "\n"


# --- Graphviz DOT ---------------------------------------------------------------------------


def _dot_text(text: str) -> str:
    return '"' + " ".join(text.split()).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _attributes(**values: str | None) -> str:
    shown = [f"{key}={value}" for key, value in values.items() if value is not None]
    return f" [{', '.join(shown)}]" if shown else ""


def render_dot(graph: TrustGraph, *, title: str = "") -> str:
    """A Graphviz digraph: one cluster per account; `dot -Tsvg` draws it."""
    node_ids, group_ids = _ids(graph)
    lines = ["digraph trust {"]
    lines.append(f'  graph [rankdir=LR, fontname="Helvetica", fontsize=12, nodesep=0.3, ranksep=0.9'
                 f'{", labelloc=t, label=" + _dot_text(title) if title else ""}];')
    lines.append('  node [fontname="Helvetica", fontsize=11, style=filled, fillcolor="#ffffff", color="#444444"];')
    lines.append('  edge [fontname="Helvetica", fontsize=9, color="#444444"];')

    def node_line(node: Node, indent: str) -> str:
        severity = node.severity
        return (f"{indent}{node_ids[node.id]}" + _attributes(
            label=_dot_text(node.label), shape=_DOT_SHAPES[node.kind],
            style='"rounded,filled"' if node.kind == "role" else None,
            fillcolor=_dot_text(FILLS[severity]) if severity else None,
            color=_dot_text(COLORS[severity]) if severity else None,
            penwidth="2" if severity else None) + ";")

    for group in graph.groups:
        lines.append(f"  subgraph cluster_{group_ids[group.id]} {{")
        lines.append(f'    label={_dot_text(group.label)}; style="rounded,dashed"; color="#888888";')
        lines += [node_line(n, "    ") for n in graph.nodes if n.group == group.id]
        lines.append("  }")
    lines += [node_line(n, "  ") for n in graph.nodes if not n.group]
    lines += [_dot_edge(edge, node_ids.__getitem__) for edge in graph.edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_edge(edge: Edge, node_id: Callable[[str], str]) -> str:
    severity = edge.severity
    return (f"  {node_id(edge.source)} -> {node_id(edge.target)}" + _attributes(
        label=_dot_text(edge.label) if edge.label else None,
        style="dashed" if edge.kind == "assume" else None,
        color=_dot_text(COLORS[severity]) if severity else None,
        fontcolor=_dot_text(COLORS[severity]) if severity else None,
        penwidth="2" if severity else None) + ";")
