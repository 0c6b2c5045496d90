"""The report for people: violations grouped by file, then one summary line.

The detailed view (the default up to COMPACT_ABOVE findings):

    path/to/file.json
      7:12  CRITICAL  IAMG-101  role: message
            path: $.Statement[0].Principal.AWS
            source: infra/iam.tf:12
            fix: remediation

The `source` line (where a Terraform resource is declared) appears only with `--tf-source`.
The compact view (above COMPACT_ABOVE findings, or `--view compact`) gives one line per
finding and each rule's fix once, after the findings:

    path/to/file.json:7:12  CRITICAL  IAMG-101  role: message

    fixes:
      IAMG-101  remediation

Colour (ANSI) only when the caller asks for it; the CLI asks only for a terminal without
NO_COLOR. Errors are not listed here (the CLI prints them on stderr); the summary counts them.

Suppressed findings (template metadata, configuration waivers) follow, one line each with the
reason; then one `notice:` line per expired or stale waiver. The summary adds the number of
suppressed and baselined findings when there are some. With `--ignore-errors`, a line
`errors ignored (--ignore-errors): N` precedes the summary.

Change-aware scans (`Report.compared` not empty: a plan's prior state, `--compare-to`,
`--compare-to-git`). Each finding of a compared file carries its status in a column of its own,
after the position, in both views: `NEW` and `CHANGED` in capitals (bold with colour), the
findings a change brings; `existing` in lower case (dim with colour), the ones it inherits.
Findings of files that were not compared have no status column.

    plan.json
      12:9  NEW       CRITICAL  IAMG-101  deployer: message
            path: ...
      30:9  existing  HIGH      IAMG-103  vendor: message

    compared: plan.json with the plan's prior state

    changes:
      CRITICAL  plan.json:12  role deployer: created; anyone (*) can now assume it
      -         plan.json:30  role vendor: MFA condition removed for account 111122223333

    resolved:
      plan.json:88:9  HIGH      IAMG-103  vendor: message

    2 violations (...) in 1 file scanned, 0 errors; 1 new, 0 changed, 1 existing, 1 resolved

The `compared:` lines (at most MAX_COMPARED_LINES, the rest counted), the `changes:` section
(one line per role whose exposure changed, `RoleChange.text()`: the most severe new or changed
finding on it, `-` when there is none, most severe first) and the `resolved:`
section (one line per finding of the previous version that is gone, located there) come after
the findings and before the suppressed findings, notices and summary: a terminal shows the end
of its output, so the changes, which a reviewer reads first, stay on screen next to the summary
however many findings precede them; the findings above hold the details of each. The summary
line adds `N new, N changed, N existing, N resolved`. Without a comparison the report is the
same as it always was.
"""
from __future__ import annotations

from itertools import groupby
from typing import Callable

from ..model import CHANGED, EXISTING, NEW, Report, RoleChange, Severity, Violation

_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_DIM = "\x1b[2m"
_SEVERITY_STYLE = {
    Severity.CRITICAL: "\x1b[1;31m",
    Severity.HIGH: "\x1b[31m",
    Severity.MEDIUM: "\x1b[33m",
    Severity.LOW: "\x1b[36m",
    Severity.INFO: "\x1b[2m",
}
_SEVERITY_WIDTH = max(len(s.value) for s in Severity)
_DETAIL_INDENT = " " * 6
# Above this many findings, `auto` chooses the compact view: a large report stays scannable.
COMPACT_ABOVE = 20
# A finding's status against the previous version: what a change brings in capitals.
CHANGE_TAGS = {NEW: "NEW", CHANGED: "CHANGED", EXISTING: "existing"}
_TAG_WIDTH = max(len(tag) for tag in CHANGE_TAGS.values())
# At most this many `compared:` lines; the rest are counted.
MAX_COMPARED_LINES = 5

Style = Callable[[str, str], str]


def render(report: Report, *, color: bool, view: str = "auto") -> str:
    """`view`: `detailed`, `compact`, or `auto` (compact above COMPACT_ABOVE violations)."""
    if view not in ("auto", "detailed", "compact"):
        raise ValueError(f"view must be auto, detailed or compact, not {view!r}")
    compact = view == "compact" or (view == "auto" and len(report.violations) > COMPACT_ABOVE)

    def style(code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    tags = bool(report.compared)
    lines = _compact(report, style, tags) if compact else _detailed(report, style, tags)
    if compact and view == "auto":
        lines += ["", style(_DIM, f"(compact view of {len(report.violations)} findings: --view detailed shows the "
                                  "path and fix under each one)")]
    if report.compared:
        lines += _change_sections(report, style)
    if report.suppressed:
        if lines:
            lines.append("")
        lines.append(style(_BOLD, "suppressed (not counted)"))
        for v in report.suppressed:
            where = f"{v.location.file}:{_position(v)}" if v.location.line is not None else v.location.file
            why = f"waived by {v.waiver}: {v.suppression}" if v.waiver else f"suppressed: {v.suppression}"
            lines.append(f"  {where}  {v.severity.value}  {v.rule_id}  {v.resource}  {why}")
    if report.notices:
        if lines:
            lines.append("")
        lines += [f"notice: {n.message}" for n in report.notices]
    if lines:
        lines.append("")
    if report.errors_ignored:
        lines.append(f"errors ignored (--ignore-errors): {len(report.errors)}")
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


def _severity(v: Violation, style: Style) -> str:
    return style(_SEVERITY_STYLE[v.severity], v.severity.value.ljust(_SEVERITY_WIDTH))


def _tag(v: Violation, style: Style, tags: bool) -> str:
    """The status column and its separator (`NEW       `); empty when there is none."""
    if not tags or v.change is None:
        return ""
    text = CHANGE_TAGS.get(v.change, v.change).ljust(_TAG_WIDTH)
    return style(_DIM if v.change == EXISTING else _BOLD, text) + "  "


def _compact(report: Report, style: Style, tags: bool) -> list[str]:
    lines: list[str] = []
    fixes: dict[str, str] = {}
    for v in report.violations:
        where = f"{v.location.file}:{_position(v)}" if v.location.line is not None else v.location.file
        subject = f"{v.resource}: {v.message}" if v.resource else v.message
        lines.append(f"{where}  {_tag(v, style, tags)}{_severity(v, style)}  {v.rule_id}  {subject}")
        if v.remediation:
            fixes.setdefault(v.rule_id, v.remediation)
    if fixes:
        lines += ["", style(_BOLD, "fixes:")]
        width = max(len(rule) for rule in fixes)
        lines += [f"  {rule.ljust(width)}  {fixes[rule]}" for rule in sorted(fixes)]
    return lines


def _detailed(report: Report, style: Style, tags: bool) -> list[str]:
    lines: list[str] = []
    for file, group in groupby(report.violations, key=lambda v: v.location.file):
        violations = list(group)
        width = max(len(_position(v)) for v in violations)
        if lines:
            lines.append("")
        lines.append(style(_BOLD, file))
        for v in violations:
            subject = f"{v.resource}: {v.message}" if v.resource else v.message
            lines.append(f"  {_position(v).rjust(width)}  {_tag(v, style, tags)}{_severity(v, style)}  "
                         f"{v.rule_id}  {subject}")
            lines.append(style(_DIM, f"{_DETAIL_INDENT}path: {v.location.path}"))
            if v.source is not None:
                lines.append(style(_DIM, f"{_DETAIL_INDENT}source: {v.source.file}:{v.source.line}"))
            if v.remediation:
                lines.append(f"{_DETAIL_INDENT}fix: {v.remediation}")
    return lines


def _change_sections(report: Report, style: Style) -> list[str]:
    """`compared:` lines, then the `changes:` and `resolved:` sections (each when not empty)."""
    lines = [""] if report.violations else []
    lines += [f"compared: {file} with {before}" for file, before in report.compared[:MAX_COMPARED_LINES]]
    if len(report.compared) > MAX_COMPARED_LINES:
        lines.append(f"compared: {len(report.compared) - MAX_COMPARED_LINES} more files with their previous version "
                     "(--format json lists them)")
    if report.changes:
        lines += ["", style(_BOLD, "changes:")]
        for change in by_severity(report.changes):
            severity = change.severity.value if change.severity else "-"
            code = _SEVERITY_STYLE[change.severity] if change.severity else _DIM
            where = f"{change.file}:{change.line}" if change.line is not None else change.file
            lines.append(f"  {style(code, severity.ljust(_SEVERITY_WIDTH))}  {where}  {role_change_text(change)}")
    if report.resolved:
        lines += ["", style(_BOLD, "resolved:")]
        for v in report.resolved:
            where = f"{v.location.file}:{_position(v)}" if v.location.line is not None else v.location.file
            subject = f"{v.resource}: {v.message}" if v.resource else v.message
            lines.append(f"  {where}  {_severity(v, style)}  {v.rule_id}  {subject}")
    return lines


def by_severity(changes: tuple[RoleChange, ...]) -> list[RoleChange]:
    """Role changes most severe first (those without a finding last), otherwise in report order."""
    return sorted(changes, key=lambda c: -c.severity.rank if c.severity else 1)


def role_change_text(change: RoleChange) -> str:
    """`RoleChange.text()` (its details say a status other than updated: `created; ...`), or
    `role NAME` when it has no details."""
    return change.text() if change.details else f"role {change.resource}"


def _position(v: Violation) -> str:
    if v.location.line is None:
        return "-"
    if v.location.column is None:
        return str(v.location.line)
    return f"{v.location.line}:{v.location.column}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def change_counts(report: Report) -> str:
    """`1 new, 0 changed, 2 existing, 1 resolved`."""
    return ", ".join(f"{n} {status}" for status, n in report.counts_by_change().items())


def summary_line(report: Report) -> str:
    """`3 violations (1 critical, ...) in 5 files scanned, 0 errors[, 2 suppressed][, 4 baselined]`,
    then `; 1 new, 1 changed, 1 existing, 2 resolved` when the report compares versions."""
    summary = report.summary()
    scanned = f"{_plural(summary['files_scanned'], 'file')} scanned"
    if summary["files_skipped"]:
        scanned += f", {summary['files_skipped']} skipped"
    errors = _plural(summary["errors"], "error")
    for key in ("suppressed", "baselined"):
        if summary.get(key):
            errors += f", {summary[key]} {key}"
    if report.compared:
        errors += f"; {change_counts(report)}"
    if not report.violations:
        return f"no violations in {scanned}, {errors}"
    counts = ", ".join(f"{n} {name.lower()}" for name, n in summary["by_severity"].items())
    return f"{_plural(summary['violations'], 'violation')} ({counts}) in {scanned}, {errors}"
