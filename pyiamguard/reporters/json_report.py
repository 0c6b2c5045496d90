"""The machine-readable report: one JSON object, stable field order, schema_version 1.

Contract (README "JSON report"): `schema_version`, `tool` {name, version}, `violations`
(each `Violation.to_dict()`), `errors` (each `ScanError.to_dict()`), `summary`
(`Report.summary()`), in that order. The Report is already sorted, so the output is
byte-for-byte deterministic for the same input. Extra keys, present only when not empty (so
the contract stays compatible), follow `errors`: `suppressed` (findings a template or a
configuration waiver suppresses, each with its `reason`, and `waiver` for a configuration
waiver), `baselined` (findings recorded in the `--baseline` file) and `notices` (expired and
stale waivers: `kind`, `waiver`, `message`); `summary` then counts them too. Before `summary`,
always: `scanned_files` (the files read and checked) and `skipped_files` (each `file` with the
`reason` it was left out). The JSON Schema of the report ships in the package:
`pyiamguard/schemas/report.schema.json` (`SCHEMA_PATH`).

Change-aware scans (`Report.compared` not empty: a plan's prior state, `--compare-to`,
`--compare-to-git`): each violation of a compared file has its `change` (`new`, `changed`,
`existing`), and three keys follow `notices`, always all three: `compared` (each `file` with
what it was compared with, `before`), `resolved` (the findings of the previous version that are
gone, each `Violation.to_dict()` with `change` `resolved`, located in the previous version) and
`changes` (each `RoleChange.to_dict()`: `resource`, `file`, `line`, `status`, `details`,
`severity`, and `before`/`after` exposures: `who_may_assume` [{`principal`, `conditions`,
`rules`}], `unknown`, `admin`, `escalation`); `summary.changes` counts them (`new`, `changed`,
`existing`, `resolved`, `roles`). Without a comparison none of this appears.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..model import Report

SCHEMA_VERSION = 1
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "report.schema.json"


def render(report: Report, *, tool_version: str) -> str:
    document = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "pyiamguard", "version": tool_version},
        "violations": [v.to_dict() for v in report.violations],
        "errors": [e.to_dict() for e in report.errors],
    }
    if report.suppressed:
        document["suppressed"] = [v.to_dict() for v in report.suppressed]
    if report.baselined:
        document["baselined"] = [v.to_dict() for v in report.baselined]
    if report.notices:
        document["notices"] = [n.to_dict() for n in report.notices]
    if report.compared:
        document["compared"] = [{"file": file, "before": before} for file, before in report.compared]
        document["resolved"] = [v.to_dict() for v in report.resolved]
        document["changes"] = [c.to_dict() for c in report.changes]
    document["scanned_files"] = list(report.scanned_files)
    document["skipped_files"] = [{"file": file, "reason": reason} for file, reason in report.skipped_files]
    document["summary"] = report.summary()
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
