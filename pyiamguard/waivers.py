"""Configuration waivers: pure functions over a Report and the Config's `waivers` list.

A waiver names one rule, a resource glob, an optional file glob, a reason (required) and an
optional `expires` date (the last day it is valid):

- a **live** waiver moves every violation it matches from `Report.violations` to
  `Report.suppressed`, with the waiver's reason (`Violation.suppression`) and its position in
  the list (`Violation.waiver`, `"waivers[N]"`): the report still lists the finding, and it no
  longer counts toward the exit code;
- an **expired** waiver suppresses nothing: its findings stay violations, and the report gets a
  `Notice` (`expired-waiver`) naming the waiver and the day it expired;
- a live waiver that matches no finding is **stale**: a `Notice` (`stale-waiver`) says so.

Globs are `fnmatch` patterns, case-sensitive; `*` also matches `/`. The file glob is tried on
the file as the report names it and on its normalized form (`./iam/x.json` is `iam/x.json`),
and is itself normalized the same way (`./iam/*` is `iam/*`, and backslashes are `/`).
The first live waiver that matches a violation is the one it is credited to.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import fnmatch
import posixpath
from typing import Sequence

from .config import Config, Waiver
from .model import Notice, Report, Violation


def label(index: int) -> str:
    """How a waiver is named in reports: its position in the configuration's list."""
    return f"waivers[{index}]"


def describe(waiver: Waiver) -> str:
    """`IAMG-103 on resource 'legacy-*' in file 'iam/*'` (the file only when it is not `*`)."""
    text = f"{waiver.rule} on resource {waiver.resource!r}"
    if waiver.file != "*":
        text += f" in file {waiver.file!r}"
    return text


def is_expired(waiver: Waiver, today: _dt.date) -> bool:
    """True once the day after `expires` has begun: a waiver is valid through its expiry date."""
    return waiver.expires is not None and waiver.expires < today


def matches(waiver: Waiver, violation: Violation) -> bool:
    if waiver.rule != violation.rule_id or not fnmatch.fnmatchcase(violation.resource, waiver.resource):
        return False
    files = {violation.file, _normalized(violation.file)}
    patterns = {waiver.file, _normalized(waiver.file)}
    return any(fnmatch.fnmatchcase(f, p) for f in files for p in patterns)


def _normalized(file: str) -> str:
    """`/` separators, no `./` (a glob too: normpath keeps `*` and `?` as they are)."""
    text = file.replace("\\", "/")
    return posixpath.normpath(text) if text else text


def apply_waivers(report: Report, waivers: Sequence[Waiver], today: _dt.date | None = None) -> Report:
    """The report with live waivers applied and a notice for every expired or stale waiver."""
    if not waivers:
        return report
    today = today or _dt.date.today()
    live = [(i, w) for i, w in enumerate(waivers) if not is_expired(w, today)]
    # Stale: matches no finding at all (one a template or an earlier waiver suppresses counts).
    findings = report.violations + report.suppressed
    used = {i for i, w in live if any(matches(w, v) for v in findings)}
    kept: list[Violation] = []
    suppressed: list[Violation] = list(report.suppressed)
    for violation in report.violations:
        hit = next(((i, w) for i, w in live if matches(w, violation)), None)
        if hit is None:
            kept.append(violation)
            continue
        suppressed.append(dataclasses.replace(violation, suppression=hit[1].reason, waiver=label(hit[0])))
    notices = list(report.notices)
    for i, waiver in enumerate(waivers):
        if is_expired(waiver, today):
            found = sum(1 for v in kept if matches(waiver, v))
            again = (f"its {found} finding{'s are' if found != 1 else ' is'} reported again" if found
                     else "it matches no finding either")
            notices.append(Notice("expired-waiver", label(i),
                                  f"waiver {label(i)} ({describe(waiver)}) expired on "
                                  f"{waiver.expires.isoformat()}: {again}"))  # type: ignore[union-attr]
        elif i not in used:
            notices.append(Notice("stale-waiver", label(i),
                                  f"waiver {label(i)} ({describe(waiver)}) matches no finding: "
                                  "remove it, or correct its rule and globs"))
    return dataclasses.replace(report, violations=tuple(kept), suppressed=tuple(suppressed),
                               notices=tuple(notices))


def apply_config(report: Report, config: Config, today: _dt.date | None = None) -> Report:
    """`apply_waivers` with the configuration's waivers (what `scan()` calls last)."""
    return apply_waivers(report, config.waivers, today)


__all__ = ["apply_waivers", "apply_config", "matches", "is_expired", "describe", "label"]
