"""JUnit XML, for CI systems that show test reports (GitLab `artifacts:reports:junit`, Jenkins, Azure).

    <testsuites name="pyiamguard" tests= failures= errors= skipped= time="0">
      <testsuite name="iam/vendor.json" ...>                     one per file
        <testcase classname="iam/vendor.json" name="IAMG-103 vendor-role" file="iam/vendor.json">
          <failure type="HIGH" message="...">iam/vendor.json:7:9: HIGH IAMG-103 ...</failure>
        </testcase>
        <testcase classname="iam/vendor.json" name="IAMG-101"/>  a rule that found nothing here
      </testsuite>
    </testsuites>

- one test case per (rule, resource) with a finding: a `failure` carrying the message(s) and
  `file:line:column` of each finding, its path and the fix;
- a suppressed (template metadata, configuration waiver) or baselined (rule, resource) is a
  `skipped` test case saying why;
- with the rule catalogue, one passing test case per enabled rule that found nothing in a file
  that was evaluated;
- an input or engine error is an `error` test case in its file's suite (named after the rule
  when one rule could not be evaluated, else `input`);
- expired and stale waivers are passing test cases of a last suite, `pyiamguard configuration`,
  whose `system-out` says what is wrong.

File names are relative to `base_dir` (see `baseline.artifact_path`). A pure function: the same
report gives the same bytes.

Change-aware scans (`Report.compared` not empty): in a failure of a compared file each message
starts with its finding's status, `[new] ...`, `[changed] ...` or `[existing] ...` (in the
`message` attribute and in the first line of each finding in the text: `iam/vendor.json:7:9:
[new] HIGH IAMG-103 ...`). Test case names stay as they are, so a CI's history of a case goes
on from one version to the next. Existing findings are still failures (they are violations);
resolved findings are no test cases (they are in the previous version). Without a comparison
the output is the same as it always was.
"""
from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Iterable

from ..baseline import artifact_path
from ..model import Report, RuleInfo, ScanError, Violation

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
CONFIG_SUITE = "pyiamguard configuration"


def _clean(text: str) -> str:
    """Characters XML 1.0 cannot hold become U+FFFD (the file must always parse)."""
    return _XML_INVALID.sub("\ufffd", text)


@dataclass
class _Case:
    rule_id: str
    resource: str
    failures: list[Violation] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)


def render(report: Report, rules: Iterable[RuleInfo] = (), *, base_dir: str | os.PathLike[str] | None = None,
           disabled_rules: Iterable[str] = ()) -> str:
    disabled = set(disabled_rules)
    rule_ids = sorted({r.rule_id for r in rules} - disabled)

    def path(file: str) -> str:
        return artifact_path(file, base_dir)

    files: dict[str, dict[tuple[str, str], _Case]] = {}

    def case(file: str, rule_id: str, resource: str) -> _Case:
        cases = files.setdefault(path(file), {})
        return cases.setdefault((rule_id, resource), _Case(rule_id, resource))

    for file in report.scanned_files:
        files.setdefault(path(file), {})
    for v in report.violations:
        case(v.file, v.rule_id, v.resource).failures.append(v)
    for v in report.suppressed:
        why = f"waived by {v.waiver}: {v.suppression}" if v.waiver else f"suppressed: {v.suppression}"
        case(v.file, v.rule_id, v.resource).skipped.append(why)
    for v in report.baselined:
        case(v.file, v.rule_id, v.resource).skipped.append("baselined: recorded in the baseline file")
    for e in report.errors:
        case(e.file, e.rule_id or "", "").errors.append(e)

    root = ET.Element("testsuites", {"name": "pyiamguard"})
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for file in sorted(files):
        cases = files[file]
        suite = ET.SubElement(root, "testsuite", {"name": _clean(file)})
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for key in sorted(cases):
            kind = _write_case(suite, file, cases[key], bool(report.compared))
            if kind:
                counts[kind] += 1
            counts["tests"] += 1
        # Passing cases: the rules evaluated on this file that found nothing.
        if not any(k[0] == "" for k in cases):  # an input error: the file was not (fully) evaluated
            seen = {rule_id for rule_id, _ in cases}
            for rule_id in rule_ids:
                if rule_id not in seen:
                    ET.SubElement(suite, "testcase", _case_attributes(file, rule_id))
                    counts["tests"] += 1
        _set_counts(suite, counts)
        for key in totals:
            totals[key] += counts[key]

    if report.notices:
        suite = ET.SubElement(root, "testsuite", {"name": CONFIG_SUITE})
        for notice in report.notices:
            element = ET.SubElement(suite, "testcase", {
                "classname": CONFIG_SUITE, "name": f"{notice.waiver} {notice.kind}", "time": "0"})
            ET.SubElement(element, "system-out").text = _clean(notice.message)
        counts = {"tests": len(report.notices), "failures": 0, "errors": 0, "skipped": 0}
        _set_counts(suite, counts)
        totals["tests"] += counts["tests"]

    _set_counts(root, totals)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _set_counts(element: ET.Element, counts: dict[str, int]) -> None:
    for key in ("tests", "failures", "errors", "skipped"):
        element.set(key, str(counts[key]))
    element.set("time", "0")


def _case_attributes(file: str, rule_id: str, resource: str = "") -> dict[str, str]:
    name = f"{rule_id} {resource}" if resource else rule_id
    return {"classname": _clean(file), "name": _clean(name), "file": _clean(file), "time": "0"}


def _write_case(suite: ET.Element, file: str, case: _Case, compared: bool = False) -> str:
    """Write one test case; returns the count it adds to: failures, errors or skipped.
    `compared`: the report compares versions (a finding's status starts its message)."""
    element = ET.SubElement(suite, "testcase", _case_attributes(file, case.rule_id or "input", case.resource))
    if case.errors:
        messages = [e.message for e in case.errors]
        ET.SubElement(element, "error", {
            "type": "rule-error" if case.rule_id else "input-error",
            "message": _clean(" ".join(" | ".join(messages).split())),
        }).text = _clean("\n".join(f"{file}: {m}" for m in messages))
        return "errors"
    if case.failures:
        def status(v: Violation) -> str:
            return f"[{v.change}] " if compared and v.change is not None else ""

        distinct = list(dict.fromkeys(f"{status(v)}{v.message}" for v in case.failures))
        worst = max(case.failures, key=lambda v: v.severity.rank).severity
        blocks = []
        for v in case.failures:
            where = f"{file}:{v.line}" + (f":{v.column}" if v.column is not None else "") if v.line else file
            block = [f"{where}: {status(v)}{v.severity.value} {v.rule_id} {v.title}", f"  {v.resource}: {v.message}",
                     f"  path: {v.path}"]
            if v.source is not None:
                block.append(f"  source: {v.source.file}:{v.source.line}")
            if v.remediation:
                block.append(f"  fix: {v.remediation}")
            blocks.append("\n".join(block))
        ET.SubElement(element, "failure", {
            "type": worst.value,
            "message": _clean(" | ".join(distinct)),
        }).text = _clean("\n\n".join(blocks))
        return "failures"
    if case.skipped:
        ET.SubElement(element, "skipped", {"message": _clean("; ".join(dict.fromkeys(case.skipped)))})
        return "skipped"
    return ""  # not reached: a case exists only for a finding or an error
