"""The report as a pull-request comment or a GitHub Actions job summary (Markdown).

    ## pyiamguard: 3 violations

    | severity | findings |
    |---|---:|
    | CRITICAL | 1 |
    ...

    16 files scanned, 0 errors, 1 suppressed, 2 baselined

    ### IAMG-101 · CRITICAL · <title> (1)

    | resource | where | finding |
    |---|---|---|
    | trust-wildcard.json | [iam/trust.json:7](iam/trust.json#L7) | Statement 1 lets ... |

    **Fix:** remediation

    ### Trust graph
    ```mermaid
    flowchart LR
    ...
    ```

Rules come most severe first, then by id; their findings in the report's order. A file path
relative to `base_dir` is a relative link to its line (GitHub resolves it in the repository);
another path is shown, not linked. Every text is escaped for a table cell (`|`, `<`, `>`, `&`,
line breaks), so a message never breaks the table or becomes HTML. A rule lists at most
MAX_ROWS findings (the rest are counted), and the trust graph, when the caller passes one,
is drawn only up to MAX_GRAPH_EDGES edges (GitHub's Mermaid refuses larger texts); `pyiamguard
graph` draws the rest. Suppressed and baselined findings are counted, not listed.
"""
from __future__ import annotations

import os
from itertools import groupby

from ..baseline import artifact_path
from ..model import Report, Severity, Violation
from ..trust_graph import TrustGraph

MAX_ROWS = 50
MAX_GRAPH_EDGES = 150
_MAX_ERRORS = 20


def render(report: Report, *, base_dir: str | os.PathLike[str] | None = None, graph: TrustGraph | None = None,
           graph_note: str = "") -> str:
    """`graph`: the trust graph of the scan (`trust_graph.build`), drawn as Mermaid; None leaves
    the section out, or says `graph_note` instead when there is one."""
    lines = [f"## pyiamguard: {_headline(report)}", ""]
    lines += ["| severity | findings |", "|---|---:|"]
    lines += [f"| {name} | {count} |" for name, count in report.counts_by_severity().items()]
    lines += ["", _counts_line(report)]
    if report.errors:
        lines += ["", f"**Errors** ({len(report.errors)}{', ignored (--ignore-errors)' if report.errors_ignored else ''}):", ""]
        lines += [f"- `{_code(artifact_path(e.file, base_dir))}`: {_cell(e.message)}" for e in report.errors[:_MAX_ERRORS]]
        if len(report.errors) > _MAX_ERRORS:
            lines.append(f"- ... and {len(report.errors) - _MAX_ERRORS} more")
    for violations in _by_rule(report.violations):
        first = violations[0]
        lines += ["", f"### {first.rule_id} · {first.severity.value} · {_cell(first.title)} ({len(violations)})", ""]
        lines += ["| resource | where | finding |", "|---|---|---|"]
        lines += [f"| {_cell(v.resource)} | {_where(v, base_dir)} | {_cell(v.message)} |" for v in violations[:MAX_ROWS]]
        if len(violations) > MAX_ROWS:
            lines += ["", f"... and {len(violations) - MAX_ROWS} more {first.rule_id} findings (see the full report)."]
        if first.remediation:
            lines += ["", f"**Fix:** {_cell(first.remediation)}"]
    if report.notices:
        lines += ["", "**Notices:**", ""] + [f"- {_cell(n.message)}" for n in report.notices]
    if graph is not None:
        lines += ["", "### Trust graph", ""]
        if not graph.edges:
            lines.append("No trust relationship to draw.")
        elif len(graph.edges) > MAX_GRAPH_EDGES:
            lines.append(f"{len(graph.edges)} trust relationships: too many to draw here; `pyiamguard graph` draws "
                         "them, `--role` and `--account` focus the picture.")
        else:
            from ..graph_render import render_mermaid

            lines += ["```mermaid", render_mermaid(graph).rstrip("\n"), "```"]
        if graph_note:
            lines += ["", graph_note]
    elif graph_note:
        lines += ["", "### Trust graph", "", graph_note]
    return "\n".join(lines) + "\n"


def _headline(report: Report) -> str:
    if report.violations:
        count = len(report.violations)
        return f"{count} violation{'s' if count != 1 else ''}"
    return "no violations"


def _counts_line(report: Report) -> str:
    summary = report.summary()
    files = summary["files_scanned"]
    parts = [f"{files} file{'s' if files != 1 else ''} scanned"]
    if summary["files_skipped"]:
        parts.append(f"{summary['files_skipped']} skipped")
    parts.append(f"{summary['errors']} error{'s' if summary['errors'] != 1 else ''}")
    parts.append(f"{len(report.suppressed)} suppressed")
    parts.append(f"{len(report.baselined)} baselined")
    return ", ".join(parts)


def _by_rule(violations: tuple[Violation, ...]) -> list[list[Violation]]:
    """Findings grouped by rule: most severe rule first, then by id; each group in report order."""
    ordered = sorted(violations, key=lambda v: (-_rank(v.severity), v.rule_id))
    return [list(group) for _, group in groupby(ordered, key=lambda v: (v.severity, v.rule_id))]


def _rank(severity: Severity) -> int:
    return severity.rank


def _where(v: Violation, base_dir: str | os.PathLike[str] | None) -> str:
    where = v.source if v.source is not None else v.location
    file = artifact_path(where.file, base_dir)
    text = f"{file}:{where.line}" if where.line is not None else file
    if not file or file.startswith("<") or os.path.isabs(file) or file.startswith("/"):
        return f"`{_code(text)}`"
    target = file.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
    anchor = f"#L{where.line}" if where.line is not None else ""
    return f"[{_cell(text)}]({target}{anchor})"


def _cell(text: str) -> str:
    """Text safe in a Markdown table cell: one line, no HTML, no column break."""
    out = " ".join(str(text).split())
    out = out.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return out.replace("|", "\\|")


def _code(text: str) -> str:
    return " ".join(text.split()).replace("`", "'").replace("|", "\\|")
