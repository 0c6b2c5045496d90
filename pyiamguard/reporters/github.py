"""GitHub Actions workflow commands: one annotation per finding, shown on the pull request diff.

    ::error file=iam/trust.json,line=7,col=9,title=IAMG-101 deploy-role::CRITICAL: Statement 1 lets ...

`error` for CRITICAL and HIGH, `warning` for MEDIUM, `notice` for LOW and INFO. The message starts
with the (effective) severity and is followed by the fix on its own line. Input and engine errors are `error` annotations on their
file; an expired waiver is a `warning`, a stale one a `notice`. With `--tf-source`, a finding on
a Terraform resource is annotated on the `.tf` block that declares it. Suppressed and baselined findings
are not annotated. The last line is the summary, as in the text report.

Escaping follows the runner (actions/toolkit `command.ts`): in the message `%`, CR and LF become
`%25`, `%0D`, `%0A`; in property values `:` and `,` also become `%3A` and `%2C`. File paths are
relative to `base_dir` (the working directory, i.e. the checkout, for the CLI).

Change-aware scans (`Report.compared` not empty): the title of a finding of a compared file
starts with its status, `[new] IAMG-103 vendor-role`, `[changed] ...` or `[existing] ...`; the
command (error, warning, notice) still follows the severity. Resolved findings are not annotated
(they are in the previous version, not in the diff); the summary line counts them with the
others (`...; 1 new, 0 changed, 2 existing, 1 resolved`). Without a comparison the output is the
same as it always was.
"""
from __future__ import annotations

import os

from ..baseline import artifact_path
from ..model import Report, Severity, Violation
from .text import summary_line

COMMAND = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "notice",
    Severity.INFO: "notice",
}
_NOTICE_COMMAND = {"expired-waiver": "warning", "stale-waiver": "notice"}
_NOTICE_TITLE = {"expired-waiver": "pyiamguard expired waiver", "stale-waiver": "pyiamguard stale waiver"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: object) -> str:
    """`::name k=v,k=v::message`, properties in the given order, None values left out."""
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items() if value is not None)
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def render(report: Report, *, base_dir: str | os.PathLike[str] | None = None) -> str:
    lines = [_annotation(v, base_dir, bool(report.compared)) for v in report.violations]
    for error in report.errors:
        file = artifact_path(error.file, base_dir)
        title = f"pyiamguard {error.rule_id} error" if error.rule_id else "pyiamguard error"
        lines.append(command("error", error.message, file=None if file.startswith("<") else file, title=title))
    for notice in report.notices:
        lines.append(command(_NOTICE_COMMAND.get(notice.kind, "notice"), notice.message,
                             title=_NOTICE_TITLE.get(notice.kind, "pyiamguard")))
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


def _annotation(v: Violation, base_dir: str | os.PathLike[str] | None, compared: bool = False) -> str:
    # With --tf-source, annotate the .tf block (the file a pull request changes), not the plan.
    where = v.source if v.source is not None else v.location
    file = artifact_path(where.file, base_dir)
    message = f"{v.severity.value}: {v.message}"
    if v.remediation:
        message += f"\n\nFix: {v.remediation}"
    title = f"{v.rule_id} {v.resource}" if v.resource else v.rule_id
    if compared and v.change is not None:
        title = f"[{v.change}] {title}"
    return command(
        COMMAND[v.severity],
        message,
        file=None if file.startswith("<") else file,
        line=where.line,
        col=where.column if where.line is not None else None,
        title=title,
    )
