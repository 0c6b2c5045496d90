"""The machine-readable report: one JSON object, stable field order, schema_version 1.

Contract (README "JSON report"): `schema_version`, `tool` {name, version}, `violations`
(each `Violation.to_dict()`), `errors` (each `ScanError.to_dict()`), `summary`
(`Report.summary()`), in that order. The Report is already sorted, so the output is
byte-for-byte deterministic for the same input. When a template suppressed findings, a
`suppressed` list (each violation with its `reason`) follows `errors`: an extra key, so the
contract stays compatible.
"""
from __future__ import annotations

import json

from ..model import Report

SCHEMA_VERSION = 1


def render(report: Report, *, tool_version: str) -> str:
    document = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "pyiamguard", "version": tool_version},
        "violations": [v.to_dict() for v in report.violations],
        "errors": [e.to_dict() for e in report.errors],
    }
    if report.suppressed:
        document["suppressed"] = [v.to_dict() for v in report.suppressed]
    document["summary"] = report.summary()
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
