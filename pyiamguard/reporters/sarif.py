"""SARIF 2.1.0, for GitHub code scanning and every other SARIF consumer.

One run. `tool.driver.rules` holds every rule of the catalogue (not only those that fired, so
a consumer can tell "ran and found nothing" from "does not exist") with short and full
description, help (text and markdown, with the remediation), the effective severity as
`properties.security-severity` (CRITICAL 9.5, HIGH 8.0, MEDIUM 5.5, LOW 3.0, INFO 1.0) and tags;
a rule turned off by `disabled_rules` has `defaultConfiguration.enabled: false`.

Each violation is a result: `ruleId`, `ruleIndex`, `level` from its severity (CRITICAL and HIGH
`error`, MEDIUM `warning`, LOW and INFO `note`), the message, a physical location (the file
relative to `base_dir` under `%SRCROOT%`, start line and column) and a logical location (the
resource; with `--tf-source` the physical location is the `.tf` block of a Terraform resource
and the plan's node is a related location), and `partialFingerprints["pyiamguard/v1"]`: the baseline fingerprint (rule, file,
resource, JSONPath; not the line). A suppressed finding (template metadata or a configuration
waiver) is a result with a `suppressions` entry (`inSource` or `external`) and its reason;
baselined findings are left out (they are not new). Errors are
`invocations[0].toolExecutionNotifications` (`executionSuccessful` false when there are any);
expired and stale waivers are `toolConfigurationNotifications`.

Change-aware scans (`Report.compared` not empty). Each result of a compared file has a
`baselineState` (SARIF 2.1.0 §3.27.24): `new` for a new finding, `updated` for a changed one
(the same finding, changed in a way the tool considers significant), `unchanged` for an
existing one. §3.27.24 asks that when one result of a run has a `baselineState` every result
has one: a result of a file that was not compared is `new`, as `fail_on_new` counts it (nothing
says it existed before). `run.properties.compared` lists each compared file (`file`, relative
to `base_dir`) with what it was compared with (`before`), so a reader can tell the two apart.

Resolved findings (`Report.resolved`) are what §3.27.24 calls `absent`: detected in the
baseline run, not in this one. GitHub code scanning reads neither `baselineState` nor `kind`
nor `suppressions` (they are not in its supported subset of SARIF; results of kind `pass` and
suppressed results are raised as open alerts: microsoft/PSRule#955, github/codeql-action#1230),
and it closes an alert by itself
when the next analysis of the branch no longer has the result. An absent result uploaded
there would open (or keep open) an alert for a finding that is gone, located in the previous
version: a prior-state node of the plan, the `--compare-to` file, a `REF:path` that is no file
of the checkout. So by default resolved findings are not results: `run.properties.resolved`
counts them. With `absent_results=True` (for consumers that honour `baselineState`, such as
the SARIF SDK's result matching or a results viewer) each is a result with `baselineState`
`absent`, `kind` `pass` (§3.27.9: the rule was evaluated and the problem is no longer found)
and therefore `level` `none` (§3.27.10), its message prefixed `resolved: `, its location and
fingerprint those of the previous version. Without a comparison the log is the same as it
always was.

A pure function: the same report, catalogue and arguments give the same bytes.
"""
from __future__ import annotations

import json
import os
from pathlib import PurePath
from typing import Any, Iterable, Mapping
from urllib.parse import quote

from ..baseline import artifact_path, fingerprint
from ..model import CHANGED, EXISTING, NEW, Location, Report, RuleInfo, ScanError, Severity, Violation

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "pyiamguard/v1"

SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}
LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
_NOTICE_LEVEL = {"expired-waiver": "warning", "stale-waiver": "note"}
# A finding's status against the previous version as SARIF says it (§3.27.24); resolved: "absent".
BASELINE_STATE = {NEW: "new", CHANGED: "updated", EXISTING: "unchanged"}


def render(
    report: Report,
    rules: Iterable[RuleInfo],
    *,
    tool_version: str,
    base_dir: str | os.PathLike[str] | None = None,
    severity_overrides: Mapping[str, Severity] | None = None,
    disabled_rules: Iterable[str] = (),
    absent_results: bool = False,
) -> str:
    """The SARIF log as JSON text (two-space indented, UTF-8, newline at the end).

    `absent_results`: resolved findings as results with `baselineState` `absent` (not for
    GitHub code scanning, which would raise them as alerts: see the module docstring)."""
    overrides = dict(severity_overrides or {})
    disabled = set(disabled_rules)
    catalogue = {r.rule_id: r for r in rules}
    descriptors = [_descriptor(r, overrides.get(r.rule_id, r.severity), r.rule_id not in disabled)
                   for r in sorted(catalogue.values(), key=lambda r: r.rule_id)]
    # A finding of a rule the catalogue does not know still gets a descriptor (ruleIndex must point somewhere).
    absent = report.resolved if report.compared and absent_results else ()
    for v in report.violations + report.suppressed + absent:
        if v.rule_id not in catalogue:
            catalogue[v.rule_id] = _stand_in(v)
            descriptors.append(_descriptor(catalogue[v.rule_id], v.severity, True))
    index = {d["id"]: i for i, d in enumerate(descriptors)}

    compared = bool(report.compared)
    results = [_result(v, index, base_dir, compared=compared) for v in report.violations]
    results += [_result(v, index, base_dir, suppressed=True, compared=compared) for v in report.suppressed]
    results += [_result(v, index, base_dir, resolved=True) for v in absent]

    invocation: dict[str, Any] = {"executionSuccessful": not report.errors}
    if report.errors:
        invocation["toolExecutionNotifications"] = [_error(e, index, base_dir) for e in report.errors]
    if report.notices:
        invocation["toolConfigurationNotifications"] = [
            {
                "level": _NOTICE_LEVEL.get(n.kind, "note"),
                "message": {"text": n.message},
                "descriptor": {"id": n.kind},
            }
            for n in report.notices
        ]

    driver: dict[str, Any] = {
        "name": "pyiamguard",
        "version": tool_version,
        "semanticVersion": tool_version,
        "rules": descriptors,
    }
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "invocations": [invocation],
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    properties: dict[str, Any] = {}
    if report.baselined:
        properties["baselined"] = len(report.baselined)
    if report.compared:
        properties["compared"] = [{"file": artifact_path(file, base_dir), "before": before}
                                  for file, before in report.compared]
        if report.resolved and not absent:
            properties["resolved"] = len(report.resolved)
    if properties:
        run["properties"] = properties
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _descriptor(rule: RuleInfo, severity: Severity, enabled: bool) -> dict[str, Any]:
    links = [ref for ref in rule.related if ref.startswith(("https://", "http://"))]
    help_text = rule.description
    help_markdown = rule.description
    if rule.remediation:
        help_text += f"\n\nRemediation: {rule.remediation}"
        help_markdown += f"\n\n**Remediation:** {rule.remediation}"
    if links:
        help_text += "\n\nReferences:\n" + "\n".join(f"- {link}" for link in links)
        help_markdown += "\n\n**References:**\n\n" + "\n".join(f"- <{link}>" for link in links)
    descriptor: dict[str, Any] = {
        "id": rule.rule_id,
        "name": rule.name or rule.rule_id,
        "shortDescription": {"text": rule.title or rule.rule_id},
        "fullDescription": {"text": rule.description or rule.title or rule.rule_id},
        "help": {"text": help_text or rule.title or rule.rule_id,
                 "markdown": help_markdown or rule.title or rule.rule_id},
    }
    if links:
        descriptor["helpUri"] = links[0]
    descriptor["defaultConfiguration"] = {"enabled": enabled, "level": LEVEL[severity]}
    tags = ["security", "iam"]
    if rule.category and rule.category != "none":
        tags.append(rule.category)
    descriptor["properties"] = {
        "security-severity": SECURITY_SEVERITY[severity],
        "severity": severity.value,
        "tags": tags,
    }
    return descriptor


def _stand_in(v: Violation) -> RuleInfo:
    return RuleInfo(rule_id=v.rule_id, name=v.rule_id, title=v.title, description=v.title,
                    severity=v.severity, remediation=v.remediation, category="none", package="")


def _artifact(file: str, base_dir: str | os.PathLike[str] | None) -> dict[str, Any]:
    path = artifact_path(file, base_dir)
    if path.startswith("<"):  # not a file (scan_document's name): a plain relative reference
        return {"uri": quote(path, safe="")}
    if PurePath(path).is_absolute() or (len(path) > 1 and path[1] == ":"):
        return {"uri": "file://" + ("" if path.startswith("/") else "/") + quote(path, safe="/:")}
    return {"uri": quote(path), "uriBaseId": SRCROOT}


def _physical(location: Location, base_dir: str | os.PathLike[str] | None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": _artifact(location.file, base_dir)}
    if location.line is not None and location.line >= 1:
        region: dict[str, Any] = {"startLine": location.line}
        if location.column is not None and location.column >= 1:
            region["startColumn"] = location.column
        physical["region"] = region
    return physical


def _result(v: Violation, index: Mapping[str, int], base_dir: str | os.PathLike[str] | None,
            suppressed: bool = False, compared: bool = False, resolved: bool = False) -> dict[str, Any]:
    """`compared`: the report compares versions (a result of a compared file gets its
    `baselineState`); `resolved`: a finding of the previous version that is gone (`absent`)."""
    # With --tf-source the result points at the .tf block (the file a pull request changes) and
    # keeps the plan's node as a related location; the fingerprint stays the plan finding's.
    primary, related = (v.source, v.location) if v.source is not None else (v.location, None)
    text = f"{v.resource}: {v.message}" if v.resource else v.message
    result: dict[str, Any] = {"ruleId": v.rule_id, "ruleIndex": index[v.rule_id]}
    if resolved:
        result.update({"kind": "pass", "level": "none", "message": {"text": f"resolved: {text}"}})
    else:
        result.update({"level": LEVEL[v.severity], "message": {"text": text}})
    result.update({
        "locations": [{
            "physicalLocation": _physical(primary, base_dir),
            "logicalLocations": [{"name": v.resource, "fullyQualifiedName": v.resource, "kind": "resource"}],
        }],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(v, base_dir)},
    })
    if related is not None:
        result["relatedLocations"] = [{
            "id": 1,
            "physicalLocation": _physical(related, base_dir),
            "message": {"text": f"the value in the Terraform plan ({related.path})"},
        }]
    if suppressed:
        result["suppressions"] = [{
            "kind": "external" if v.waiver else "inSource",
            "status": "accepted",
            "justification": v.suppression or "",
        }]
    if resolved:
        result["baselineState"] = "absent"
    elif compared:
        result["baselineState"] = BASELINE_STATE.get(v.change or "new", "new")
    result["properties"] = {
        "severity": v.severity.value,
        "security-severity": SECURITY_SEVERITY[v.severity],
        "resource": v.resource,
        "path": v.path,
    }
    if v.waiver:
        result["properties"]["waiver"] = v.waiver
    return result


def _error(error: ScanError, index: Mapping[str, int], base_dir: str | os.PathLike[str] | None) -> dict[str, Any]:
    notification: dict[str, Any] = {
        "level": "error",
        "message": {"text": error.one_line()},
        "locations": [{"physicalLocation": {"artifactLocation": _artifact(error.file, base_dir)}}],
        "descriptor": {"id": "rule-error" if error.rule_id else "input-error"},
    }
    if error.rule_id and error.rule_id in index:
        notification["associatedRule"] = {"id": error.rule_id, "index": index[error.rule_id]}
    return notification
