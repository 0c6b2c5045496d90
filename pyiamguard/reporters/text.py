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
"""
from __future__ import annotations

from itertools import groupby
from typing import Callable

from ..model import Report, Severity, Violation

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


def render(report: Report, *, color: bool, view: str = "auto") -> str:
    """`view`: `detailed`, `compact`, or `auto` (compact above COMPACT_ABOVE violations)."""
    if view not in ("auto", "detailed", "compact"):
        raise ValueError(f"view must be auto, detailed or compact, not {view!r}")
    compact = view == "compact" or (view == "auto" and len(report.violations) > COMPACT_ABOVE)

    def style(code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    lines = _compact(report, style) if compact else _detailed(report, style)
    if compact and view == "auto":
        lines += ["", style(_DIM, f"(compact view of {len(report.violations)} findings: --view detailed shows the "
                                  "path and fix under each one)")]
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


def _severity(v: Violation, style: Callable[[str, str], str]) -> str:
    return style(_SEVERITY_STYLE[v.severity], v.severity.value.ljust(_SEVERITY_WIDTH))


def _compact(report: Report, style: Callable[[str, str], str]) -> list[str]:
    lines: list[str] = []
    fixes: dict[str, str] = {}
    for v in report.violations:
        where = f"{v.location.file}:{_position(v)}" if v.location.line is not None else v.location.file
        subject = f"{v.resource}: {v.message}" if v.resource else v.message
        lines.append(f"{where}  {_severity(v, style)}  {v.rule_id}  {subject}")
        if v.remediation:
            fixes.setdefault(v.rule_id, v.remediation)
    if fixes:
        lines += ["", style(_BOLD, "fixes:")]
        width = max(len(rule) for rule in fixes)
        lines += [f"  {rule.ljust(width)}  {fixes[rule]}" for rule in sorted(fixes)]
    return lines


def _detailed(report: Report, style: Callable[[str, str], str]) -> list[str]:
    lines: list[str] = []
    for file, group in groupby(report.violations, key=lambda v: v.location.file):
        violations = list(group)
        width = max(len(_position(v)) for v in violations)
        if lines:
            lines.append("")
        lines.append(style(_BOLD, file))
        for v in violations:
            subject = f"{v.resource}: {v.message}" if v.resource else v.message
            lines.append(f"  {_position(v).rjust(width)}  {_severity(v, style)}  {v.rule_id}  {subject}")
            lines.append(style(_DIM, f"{_DETAIL_INDENT}path: {v.location.path}"))
            if v.source is not None:
                lines.append(style(_DIM, f"{_DETAIL_INDENT}source: {v.source.file}:{v.source.line}"))
            if v.remediation:
                lines.append(f"{_DETAIL_INDENT}fix: {v.remediation}")
    return lines


def _position(v: Violation) -> str:
    if v.location.line is None:
        return "-"
    if v.location.column is None:
        return str(v.location.line)
    return f"{v.location.line}:{v.location.column}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def summary_line(report: Report) -> str:
    """`3 violations (1 critical, ...) in 5 files scanned, 0 errors[, 2 suppressed][, 4 baselined]`."""
    summary = report.summary()
    scanned = f"{_plural(summary['files_scanned'], 'file')} scanned"
    if summary["files_skipped"]:
        scanned += f", {summary['files_skipped']} skipped"
    errors = _plural(summary["errors"], "error")
    for key in ("suppressed", "baselined"):
        if summary.get(key):
            errors += f", {summary[key]} {key}"
    if not report.violations:
        return f"no violations in {scanned}, {errors}"
    counts = ", ".join(f"{n} {name.lower()}" for name, n in summary["by_severity"].items())
    return f"{_plural(summary['violations'], 'violation')} ({counts}) in {scanned}, {errors}"
