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

Change-aware scans (`Report.compared` not empty): the headline adds `(N new, N changed, N
resolved)` and a `Changes` section takes the place of the rule sections (after the counts and
errors, before the notices and the trust graph):

    ### Changes

    Compared with the previous version: `plan.json` (the plan's prior state).
    1 new, 1 changed, 3 existing and 2 resolved findings; 2 roles changed.

    - **CRITICAL** · role deployer: created; anyone (*) can now assume it · [plan.json:12](plan.json#L12)
    - **HIGH** · role vendor: MFA condition removed for account 111122223333 · [plan.json:30](plan.json#L30)

    #### IAMG-101 · CRITICAL · <title> (1)

    | change | resource | where | finding |
    |---|---|---|---|
    | **new** | deployer | [plan.json:12](plan.json#L12) | ... |

    **Fix:** remediation

    #### Resolved findings (2)

    | severity | rule | resource | where | finding |   (in the previous version: not linked)

    <details><summary>3 existing findings (already in the previous version)</summary>

    | severity | rule | resource | where | finding |
    </details>

The role changes come most severe first (a role without a new or changed finding last). The
`####` rule sections hold the findings to review: new, changed, and those of files that were
not compared (`not compared`: nothing says they existed before, so `fail_on_new` counts them
too); existing findings are only counted and collapsed; resolved findings are located in the
previous version (a plan's prior state, the `--compare-to` file, `REF:path`), so they are shown,
not linked, and collapsed above MAX_OPEN_RESOLVED. Every list and table stops at MAX_ROWS (the
rest are counted), as the rule sections do. Without a comparison the summary is the same as it
always was.
"""
from __future__ import annotations

import os
from itertools import groupby
from typing import Callable

from ..baseline import artifact_path
from ..model import CHANGED, EXISTING, NEW, RESOLVED, Report, Severity, Violation
from ..trust_graph import TrustGraph
from .text import by_severity, role_change_text

MAX_ROWS = 50
MAX_GRAPH_EDGES = 150
# Above this many resolved findings, their table is collapsed.
MAX_OPEN_RESOLVED = 10
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
    if report.compared:
        lines += _changes(report, base_dir)
    else:
        lines += _rule_sections(report.violations, base_dir, "###", change_column=False)
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


def _rule_sections(violations: tuple[Violation, ...] | list[Violation], base_dir: str | os.PathLike[str] | None,
                   heading: str, *, change_column: bool) -> list[str]:
    """One section per rule (most severe first): a table of its findings and its fix."""
    lines: list[str] = []
    for group in _by_rule(tuple(violations)):
        first = group[0]
        lines += ["", f"{heading} {first.rule_id} · {first.severity.value} · {_cell(first.title)} ({len(group)})", ""]
        if change_column:
            lines += ["| change | resource | where | finding |", "|---|---|---|---|"]
            lines += [f"| {_change_cell(v)} | {_cell(v.resource)} | {_where(v, base_dir)} | {_cell(v.message)} |"
                      for v in group[:MAX_ROWS]]
        else:
            lines += ["| resource | where | finding |", "|---|---|---|"]
            lines += [f"| {_cell(v.resource)} | {_where(v, base_dir)} | {_cell(v.message)} |" for v in group[:MAX_ROWS]]
        if len(group) > MAX_ROWS:
            lines += ["", f"... and {len(group) - MAX_ROWS} more {first.rule_id} findings (see the full report)."]
        if first.remediation:
            lines += ["", f"**Fix:** {_cell(first.remediation)}"]
    return lines


def _changes(report: Report, base_dir: str | os.PathLike[str] | None) -> list[str]:
    """The `Changes` section: what was compared, the role changes, the findings to review (new,
    changed, not compared) by rule, the resolved findings, the existing ones collapsed."""
    counts = report.counts_by_change()
    compared = ", ".join(f"`{_code(artifact_path(file, base_dir))}` ({_cell(before)})"
                         for file, before in report.compared[:MAX_ROWS])
    if len(report.compared) > MAX_ROWS:
        compared += f" and {len(report.compared) - MAX_ROWS} more files"
    roles = len(report.changes)
    lines = ["", "### Changes", "", f"Compared with the previous version: {compared}.",
             f"{counts[NEW]} new, {counts[CHANGED]} changed, {counts[EXISTING]} existing and {counts[RESOLVED]} "
             f"resolved findings; {roles} role{'s' if roles != 1 else ''} changed."]
    if report.changes:
        lines.append("")
        for change in by_severity(report.changes)[:MAX_ROWS]:
            severity = f"**{change.severity.value}** · " if change.severity else ""
            where = _link(change.file, change.line, base_dir)
            lines.append(f"- {severity}{_cell(role_change_text(change))} · {where}")
        if roles > MAX_ROWS:
            lines.append(f"- ... and {roles - MAX_ROWS} more roles (see the full report)")
    lines += _rule_sections([v for v in report.violations if v.change != EXISTING], base_dir, "####",
                            change_column=True)
    if report.resolved:
        lines += ["", f"#### Resolved findings ({len(report.resolved)})", ""]
        table = _findings_table(report.resolved, lambda v: _where_before(v, base_dir))
        if len(report.resolved) > MAX_OPEN_RESOLVED:
            table = [f"<details><summary>{len(report.resolved)} findings of the previous version are gone</summary>",
                     ""] + table + ["", "</details>"]
        lines += table
    existing = [v for v in report.violations if v.change == EXISTING]
    if existing:
        noun = "finding" if len(existing) == 1 else "findings"
        lines += ["", f"<details><summary>{len(existing)} existing {noun} (already in the previous version)</summary>",
                  ""]
        lines += _findings_table(existing, lambda v: _where(v, base_dir)) + ["", "</details>"]
    return lines


def _findings_table(violations: tuple[Violation, ...] | list[Violation], where: Callable[[Violation], str]) -> list[str]:
    """One row per finding, most severe first, at most MAX_ROWS (the rest counted)."""
    ordered = sorted(violations, key=lambda v: -v.severity.rank)
    lines = ["| severity | rule | resource | where | finding |", "|---|---|---|---|---|"]
    lines += [f"| {v.severity.value} | {_cell(v.rule_id)} | {_cell(v.resource)} | {where(v)} | {_cell(v.message)} |"
              for v in ordered[:MAX_ROWS]]
    if len(ordered) > MAX_ROWS:
        lines += ["", f"... and {len(ordered) - MAX_ROWS} more (see the full report)."]
    return lines


def _change_cell(v: Violation) -> str:
    return f"**{v.change}**" if v.change in (NEW, CHANGED) else "not compared" if v.change is None else _cell(v.change)


def _headline(report: Report) -> str:
    if report.violations:
        count = len(report.violations)
        headline = f"{count} violation{'s' if count != 1 else ''}"
    else:
        headline = "no violations"
    if report.compared:
        counts = report.counts_by_change()
        headline += f" ({counts[NEW]} new, {counts[CHANGED]} changed, {counts[RESOLVED]} resolved)"
    return headline


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
    return _link(where.file, where.line, base_dir)


def _link(file: str, line: int | None, base_dir: str | os.PathLike[str] | None) -> str:
    file = artifact_path(file, base_dir)
    text = f"{file}:{line}" if line is not None else file
    if not file or file.startswith("<") or os.path.isabs(file) or file.startswith("/"):
        return f"`{_code(text)}`"
    target = file.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
    anchor = f"#L{line}" if line is not None else ""
    return f"[{_cell(text)}]({target}{anchor})"


def _where_before(v: Violation, base_dir: str | os.PathLike[str] | None) -> str:
    """Where a resolved finding was: in the previous version, so shown, never linked."""
    file = artifact_path(v.file, base_dir)
    return f"`{_code(f'{file}:{v.line}' if v.line is not None else file)}`"


def _cell(text: str) -> str:
    """Text safe in a Markdown table cell: one line, no HTML, no column break."""
    out = " ".join(str(text).split())
    out = out.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return out.replace("|", "\\|")


def _code(text: str) -> str:
    return " ".join(text.split()).replace("`", "'").replace("|", "\\|")
