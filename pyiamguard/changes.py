"""Change-aware scans: each finding against the previous version of its input.

Two scans meet here: the current version (`after`) and the previous one (`before`: a plan's
prior state, the files of `--compare-to`, or the same paths at `--compare-to-git REF`). Files
of both sides are mapped to one key space by `Units` (a plan is its own unit; a compared file
is its path relative to its scan target), and within a unit:

- a finding of the current version with the same rule, resource and subject (what it is about,
  as written: its principal, condition or action; not the statement's position) in the
  previous one is `existing` (a Terraform module is one unit: a block moved between its `.tf`
  files keeps its findings);
- what is left of a rule and resource on both sides is `changed` (same rule and resource,
  different principals or conditions), paired in order;
- the rest of the current version is `new`; the rest of the previous one is resolved
  (`Report.resolved`), unless it is suppressed now (a waiver is not a fix), the role's trust
  became unknown (IAMG-001 on it: what it allows now cannot be told, so nothing is called
  fixed), or it is on a plan's policy document data source (read anew by each plan, never
  deployed).

Beyond findings, each role's exposure (`exposure.RoleExposure`: who may assume it, with which
conditions and findings; admin and escalation from IAMG-301/302/303) is compared and every
difference said in plain words (`RoleChange`). A unit whose previous version could not be read
counts every finding as new and resolves nothing: never a clean result for what was not read.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable, Hashable, Iterable, Mapping, Sequence

from .exposure import RoleExposure, joined
from .model import (CHANGED, EXISTING, NEW, RESOLVED, Access, Exposure, Notice, Report, RoleChange, Severity,
                    Violation)

Unit = Hashable
UnitOf = Callable[[str], "Unit | None"]

UNKNOWN_RULE = "IAMG-001"
ADMIN_RULES = frozenset({"IAMG-301", "IAMG-303"})
ESCALATION_RULES = frozenset({"IAMG-302"})
# How a rule on a way into a role reads in the change report: (it fires now, it no longer does).
# IAMG-102 qualifies the principal itself; IAMG-105 says what "account N" already says.
RULE_WORDS: Mapping[str, tuple[str, str]] = {
    "IAMG-101": ("open to any AWS principal", "no longer open to any AWS principal"),
    "IAMG-103": ("without ExternalId", "now needs an ExternalId"),
    "IAMG-104": ("without MFA", "now needs MFA"),
    "IAMG-106": ("through NotPrincipal with Allow", "no longer through NotPrincipal"),
    "IAMG-107": ("for more than assuming the role", "now only for assuming the role"),
    "IAMG-108": ("with a condition that restricts nothing", "its conditions now restrict"),
    "IAMG-110": ("without a source condition", "now needs a source account or ARN"),
    "IAMG-201": ("without a subject condition", "now needs a subject"),
    "IAMG-202": ("with a subject condition that admits strangers", "its subject condition no longer admits strangers"),
    "IAMG-203": ("without an audience condition", "now needs an audience"),
}
NOT_ALLOWED = "IAMG-102"


@dataclass(frozen=True)
class Side:
    """One version's scan: its report and the exposure of each trust document."""

    report: Report
    exposures: tuple[RoleExposure, ...] = ()


@dataclass(frozen=True)
class Units:
    """Maps each side's file names to the key space both share; None: not compared.

    `described`: for each compared file of the current version, what it was compared with;
    `unreadable`: units whose previous version could not be scanned (with why)."""

    after: UnitOf
    before: UnitOf
    described: Mapping[str, str]
    unreadable: Mapping[Unit, str] = dataclasses.field(default_factory=dict)


def compare(after: Side, before: Side, units: Units) -> Report:
    """The current report with every compared finding's status, the resolved findings and the
    roles whose exposure changed."""
    report = after.report
    unreadable = units.unreadable

    def before_unit(file: str) -> Unit | None:
        unit = units.before(file)
        return None if unit is None or unit in unreadable else unit

    old = [(v, before_unit(v.file)) for v in before.report.violations]
    old = [(v, u) for v, u in old if u is not None]
    now = [(v, units.after(v.file)) for v in report.violations]
    status: dict[int, str] = {}
    pool: dict[tuple[Unit, str, str, str], list[int]] = {}
    for i, (v, unit) in enumerate(old):
        pool.setdefault((unit, v.rule_id, v.resource, v.subject), []).append(i)
    taken: set[int] = set()

    def take(key: tuple[Unit, str, str, str]) -> bool:
        for i in pool.get(key, ()):
            if i not in taken:
                taken.add(i)
                return True
        return False

    for j, (v, unit) in enumerate(now):
        if unit is not None and unit not in unreadable and take((unit, v.rule_id, v.resource, v.subject)):
            status[j] = EXISTING
    # Same rule and resource, something else about it: changed.
    left: dict[tuple[Unit, str, str], list[int]] = {}
    for i, (v, unit) in enumerate(old):
        if i not in taken:
            left.setdefault((unit, v.rule_id, v.resource), []).append(i)
    for j, (v, unit) in enumerate(now):
        if j in status or unit is None or unit in unreadable:
            continue
        for i in left.get((unit, v.rule_id, v.resource), ()):
            if i not in taken:
                taken.add(i)
                status[j] = CHANGED
                break
        else:
            status[j] = NEW
    for j, (v, unit) in enumerate(now):
        if j not in status and unit is not None:
            status[j] = NEW  # its previous version could not be read
    violations = tuple(dataclasses.replace(v, change=status[j]) if j in status else v for j, (v, _) in enumerate(now))

    hidden = {(units.after(v.file), v.rule_id, v.resource, v.subject) for v in report.suppressed + report.baselined}
    unknown_now = {(units.after(v.file), v.resource) for v in report.violations if v.rule_id == UNKNOWN_RULE}
    resolved = tuple(dataclasses.replace(v, change=RESOLVED) for i, (v, unit) in enumerate(old)
                     if i not in taken and (unit, v.rule_id, v.resource, v.subject) not in hidden
                     and (unit, v.resource) not in unknown_now and not _data_source_of_plan(unit, v.resource))
    changes = _role_changes(after, before, units, violations, before_unit)
    notices = tuple(Notice("compare", "compare", f"the previous version of {what} could not be scanned ({why}): "
                                                 "its findings count as new and none as resolved")
                    for what, why in sorted(_unreadable_words(units)))
    return dataclasses.replace(report, violations=violations, resolved=resolved, changes=changes,
                               compared=tuple(units.described.items()), notices=report.notices + notices)


def _unreadable_words(units: Units) -> set[tuple[str, str]]:
    out = set()
    for unit, why in units.unreadable.items():
        files = [f for f in units.described if units.after(f) == unit]
        out.add((", ".join(sorted(files)) or str(unit), why))
    return out


def _data_source_of_plan(unit: Unit | None, resource: str) -> bool:
    """A plan's policy document data source is read anew by every plan (its prior state is
    this plan's reading): judged alone before, it is unchanged now or used by a role the plan
    creates, whose findings then say it. Not deployed, so never resolved."""
    return isinstance(unit, tuple) and unit[:1] == ("plan",) and (resource.startswith("data.") or ".data." in resource)


# --- roles ---------------------------------------------------------------------------------------


def _role_changes(after: Side, before: Side, units: Units, violations: Sequence[Violation],
                  before_unit: UnitOf) -> tuple[RoleChange, ...]:
    now = _roles(after.exposures, units.after, violations)
    old = _roles(before.exposures, before_unit, before.report.violations)
    severity: dict[tuple[Unit, str], Severity] = {}
    for v in violations:
        if v.change in (NEW, CHANGED):
            key = (units.after(v.file), v.resource)
            severity[key] = max(severity.get(key, v.severity), v.severity)
    out = []
    for key in sorted(set(now) | set(old), key=repr):
        current, previous = now.get(key), old.get(key)
        if current is not None and key[0] in units.unreadable:
            continue
        found = severity.get((key[0], key[1]))
        if previous is None and current is not None:
            exposure, where = current
            out.append(RoleChange(key[1], where.file, where.line, "created", _created(exposure), None, exposure, found))
        elif current is None and previous is not None:
            exposure, where = previous
            out.append(RoleChange(key[1], where.file, where.line, "deleted", ("deleted",), exposure, None, found))
        elif current is not None and previous is not None:
            details = _differences(previous[0], current[0])
            replaced = current[1].replaced
            if replaced:
                details = ("replaced (destroyed and created again)",) + details
            if details:
                out.append(RoleChange(key[1], current[1].file, current[1].line, "replaced" if replaced else "updated",
                                      details, previous[0], current[0], found))
    return tuple(out)


def _roles(exposures: Iterable[RoleExposure], unit_of: UnitOf,
           violations: Sequence[Violation]) -> dict[tuple[Unit, str], tuple[Exposure, RoleExposure]]:
    grouped: dict[tuple[Unit, str], list[RoleExposure]] = {}
    for e in exposures:
        unit = unit_of(e.file)
        if unit is not None:
            grouped.setdefault((unit, e.resource), []).append(e)
    rules: dict[tuple[Unit, str], set[str]] = {}
    for v in violations:
        rules.setdefault((unit_of(v.file), v.resource), set()).add(v.rule_id)
    out = {}
    for key, items in grouped.items():
        role = joined(items)
        assert role is not None
        fired = rules.get((key[0], key[1]), set())
        out[key] = (Exposure(role.access, role.unknown, bool(fired & ADMIN_RULES), bool(fired & ESCALATION_RULES)), role)
    return out


def _created(exposure: Exposure) -> tuple[str, ...]:
    lines = ["created"]
    if exposure.unknown:
        lines.append("who may assume it cannot be known before deployment")
    lines += [_way_in(a, "can assume it") for a in exposure.access]
    if not exposure.access and not exposure.unknown:
        lines.append("nobody can assume it")
    if exposure.admin:
        lines.append("has admin permissions")
    if exposure.escalation:
        lines.append("can escalate its privileges")
    return tuple(lines)


def _who(access: Access) -> str:
    return f"{access.principal} (not allow-listed)" if NOT_ALLOWED in access.rules else access.principal


def _phrases(rules: Iterable[str]) -> list[str]:
    return [RULE_WORDS[r][0] for r in sorted(rules) if r in RULE_WORDS]


def _way_in(access: Access, verb: str) -> str:
    text = f"{_who(access)} {verb}"
    if access.conditions:
        text += f" when {' and '.join(access.conditions)}"
    phrases = _phrases(access.rules)
    return text + (", " + ", ".join(phrases) if phrases else "")


def _differences(before: Exposure, after: Exposure) -> tuple[str, ...]:
    lines: list[str] = []
    old = _by_principal(before.access)
    new = _by_principal(after.access)
    if after.unknown and not before.unknown:
        lines.append("who may assume it can no longer be known before deployment (IAMG-001)")
        if not after.access:  # nothing is known of the new trust: say what it was, never "no longer"
            return tuple(lines + [_way_in(a, "could assume it before") for a in before.access]
                         + _flag_differences(before, after))
    elif before.unknown and not after.unknown:
        lines.append("who may assume it is now known")
    for principal in sorted(set(new) - set(old)):
        lines += [_way_in(a, "can now assume it") for a in new[principal]]
    for principal in sorted(set(old) - set(new)):
        lines.append(f"{principal} can no longer assume it")
    for principal in sorted(set(old) & set(new)):
        lines += _access_differences(principal, old[principal], new[principal])
    return tuple(lines + _flag_differences(before, after))


def _flag_differences(before: Exposure, after: Exposure) -> list[str]:
    lines = []
    for flag, gained, lost in (("admin", "now has admin permissions", "no longer has admin permissions"),
                               ("escalation", "can now escalate its privileges",
                                "can no longer escalate its privileges")):
        if getattr(after, flag) and not getattr(before, flag):
            lines.append(gained)
        elif getattr(before, flag) and not getattr(after, flag):
            lines.append(lost)
    return lines


def _by_principal(access: Iterable[Access]) -> dict[str, list[Access]]:
    out: dict[str, list[Access]] = {}
    for a in access:
        out.setdefault(a.principal, []).append(a)
    return out


def _access_differences(principal: str, before: list[Access], after: list[Access]) -> list[str]:
    """One line per change of an existing way in: its conditions, then what that lets through."""
    if sorted(before, key=repr) == sorted(after, key=repr):
        return []
    old_rules = {r for a in before for r in a.rules}
    new_rules = {r for a in after for r in a.rules}
    gained, lost = _phrases(new_rules - old_rules), [RULE_WORDS[r][1] for r in sorted(old_rules - new_rules)
                                                      if r in RULE_WORDS]
    if NOT_ALLOWED in new_rules - old_rules:
        gained.insert(0, "no longer allow-listed")
    old_conditions = {a.conditions for a in before}
    new_conditions = {a.conditions for a in after}
    parts = []
    if old_conditions != new_conditions:
        if len(old_conditions) == 1 and len(new_conditions) == 1:
            (was,), (now,) = old_conditions, new_conditions
            parts += [f"{label} condition removed" for label in was if label not in now]
            parts += [f"{label} condition added" for label in now if label not in was]
        else:
            parts.append(f"conditions changed from {_condition_sets(old_conditions)} to {_condition_sets(new_conditions)}")
    text = f"{'; '.join(parts)} for {principal}" if parts else principal
    if gained:
        text += f"{': it' if parts else ''} can now assume it {', '.join(gained)}"
    if lost:
        text += f"{'; ' if parts or gained else ': '}{', '.join(lost)}"
    return [text] if parts or gained or lost else []


def _condition_sets(sets: set[tuple[str, ...]]) -> str:
    return " | ".join(sorted(", ".join(s) if s else "no condition" for s in sets))
