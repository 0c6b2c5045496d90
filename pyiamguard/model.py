"""Public result types: what a scan returns to callers and reporters.

Everything here is a frozen dataclass so a report can be shared, hashed and
compared without defensive copies. Reporters turn a `Report` into text; they
never look at anything else.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:
    from .config import Config


class Severity(str, Enum):
    """Severities, ordered by urgency: ``Severity.CRITICAL > Severity.HIGH > ... > Severity.INFO``.

    The value is the upper-case name (``"HIGH"``), so a severity equals its text and serializes
    as it. Ordering (``<``, ``>=``, ``max()``, ``sorted()``) follows urgency, never the text;
    comparing with anything that is not a Severity raises TypeError instead of comparing text."""

    CRITICAL = "CRITICAL"
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"
    INFO = "INFO"

    @property
    def rank(self) -> int:
        """Higher is more severe (CRITICAL=4 ... INFO=0)."""
        return _RANK[self]

    @classmethod
    def parse(cls, text: "str | Severity") -> "Severity":
        """A Severity from its name in any case (`"high"`, `" HIGH "`); ValueError otherwise."""
        if isinstance(text, Severity):
            return text
        if not isinstance(text, str):
            raise ValueError(f"unknown severity {text!r} (expected one of {_NAMES})")
        try:
            return cls(text.strip().upper())
        except ValueError:
            raise ValueError(f"unknown severity {text!r} (expected one of {_NAMES})") from None

    def _other_rank(self, other: object) -> int:
        if not isinstance(other, Severity):
            raise TypeError(f"cannot order Severity and {type(other).__name__}: use Severity.parse() first")
        return _RANK[other]

    def __lt__(self, other: object) -> bool:
        return _RANK[self] < self._other_rank(other)

    def __le__(self, other: object) -> bool:
        return _RANK[self] <= self._other_rank(other)

    def __gt__(self, other: object) -> bool:
        return _RANK[self] > self._other_rank(other)

    def __ge__(self, other: object) -> bool:
        return _RANK[self] >= self._other_rank(other)

    def __str__(self) -> str:
        return self.value

    __hash__ = str.__hash__


_RANK = {Severity.CRITICAL: 4, Severity.HIGH: 3, Severity.MEDIUM: 2, Severity.LOW: 1, Severity.INFO: 0}
_NAMES = ", ".join(s.value.lower() for s in Severity)


@dataclass(frozen=True)
class Location:
    """Where in a source file a finding points: file, 1-based line and column, JSONPath."""

    file: str
    line: int | None = None
    column: int | None = None
    path: str = "$"


@dataclass(frozen=True)
class Violation:
    """One guardrail finding on one resource."""

    rule_id: str
    title: str
    severity: Severity
    message: str
    resource: str
    location: Location
    remediation: str
    source: Location | None = None  # where the resource is declared (`--tf-source`: .tf file and line)
    suppression: str | None = None  # why it is suppressed (a template's Metadata): Report.suppressed only
    waiver: str | None = None  # the configuration waiver that suppresses it, "waivers[N]": Report.suppressed only
    # Against the input's previous version (a plan's prior state, `--compare-to`): "new",
    # "changed" or "existing"; "resolved" in Report.resolved; None when there is no before.
    change: str | None = None
    # What the finding is about, as written (its principal, condition or action, and the facts
    # it names); not the statement's position. Tells findings apart across versions.
    subject: str = field(default="", compare=False, repr=False)

    @property
    def file(self) -> str:
        return self.location.file

    @property
    def line(self) -> int | None:
        return self.location.line

    @property
    def column(self) -> int | None:
        return self.location.column

    @property
    def path(self) -> str:
        return self.location.path

    def sort_key(self) -> tuple[Any, ...]:
        return (
            self.location.file,
            self.location.line or 0,
            self.location.column or 0,
            self.rule_id,
            self.resource,
            self.location.path,
            self.message,
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule_id": self.rule_id,
            "title": self.title,
            "severity": self.severity.value,
            "message": self.message,
            "resource": self.resource,
            "file": self.location.file,
            "line": self.location.line,
            "column": self.location.column,
            "path": self.location.path,
            "remediation": self.remediation,
        }
        if self.source is not None:  # only with --tf-source: extra keys, the contract stays compatible
            out["source_file"] = self.source.file
            out["source_line"] = self.source.line
        if self.suppression is not None:
            out["reason"] = self.suppression
        if self.waiver is not None:
            out["waiver"] = self.waiver
        if self.change is not None:
            out["change"] = self.change
        return out


def subject_of(parts: "Iterable[str]") -> str:
    """A Violation's subject from the texts it is about: a digest, so a secret value a finding
    rests on (an ExternalId) is never kept in the clear."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


# A finding's status against the previous version of its input (Violation.change).
NEW, CHANGED, EXISTING, RESOLVED = "new", "changed", "existing", "resolved"
CHANGE_STATUSES = (NEW, CHANGED, EXISTING, RESOLVED)


@dataclass(frozen=True)
class Access:
    """One way into a role: a principal its trust policy allows to assume it, in words
    (`account 999988887777`, `anyone (*)`, `arn:aws:iam::111122223333:role/ci`, `OIDC
    token.actions.githubusercontent.com`), with the labels of the statement's conditions
    (`ExternalId`, `MFA`, `sub repo:org/app:*`) and the findings on it (rule ids)."""

    principal: str
    conditions: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"principal": self.principal, "conditions": list(self.conditions), "rules": list(self.rules)}


@dataclass(frozen=True)
class Exposure:
    """A role's exposure in one version: who may assume it and what it can do once assumed.

    `unknown`: who may assume it cannot be known statically (an IAMG-001 on its trust);
    `admin`, `escalation`: the role has admin permissions (IAMG-301/303) or can escalate its
    privileges (IAMG-302) by the scan's findings."""

    access: tuple[Access, ...] = ()
    unknown: bool = False
    admin: bool = False
    escalation: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"who_may_assume": [a.to_dict() for a in self.access], "unknown": self.unknown,
                "admin": self.admin, "escalation": self.escalation}


@dataclass(frozen=True)
class RoleChange:
    """How one role's exposure changes between the previous version and this one.

    `status`: "created", "deleted", "replaced" (a plan destroys and creates it again) or
    "updated"; `details`: each change in plain words ("account 999988887777 can now assume it,
    without ExternalId", "MFA condition removed for account 111122223333"); `severity`: the
    most severe new or changed finding on the role, None when there is none."""

    resource: str
    file: str
    line: int | None
    status: str
    details: tuple[str, ...]
    before: Exposure | None = None
    after: Exposure | None = None
    severity: Severity | None = None

    def sort_key(self) -> tuple[Any, ...]:
        return (self.file, self.line or 0, self.resource, self.status, self.details)

    def text(self) -> str:
        """`role deployer: account 999988887777 can now assume it, without ExternalId; ...`"""
        return f"role {self.resource}: {'; '.join(self.details)}"

    def to_dict(self) -> dict[str, Any]:
        return {"resource": self.resource, "file": self.file, "line": self.line, "status": self.status,
                "details": list(self.details), "severity": self.severity.value if self.severity else None,
                "before": self.before.to_dict() if self.before else None,
                "after": self.after.to_dict() if self.after else None}


@dataclass(frozen=True)
class ScanError:
    """An input, configuration or engine problem. Its file was not (fully) evaluated."""

    file: str
    message: str
    rule_id: str | None = None

    def sort_key(self) -> tuple[str, str, str]:
        return (self.file, self.rule_id or "", self.message)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.file, "message": self.message}
        if self.rule_id:
            out["rule_id"] = self.rule_id
        return out

    def one_line(self) -> str:
        text = " ".join(self.message.split())
        return f"{self.file}: {text}"


@dataclass(frozen=True)
class Notice:
    """Something the report says about the configuration that fails nothing by itself: a waiver
    that expired (its findings are reported again) or one that matches no finding (stale)."""

    kind: str  # "expired-waiver" or "stale-waiver"
    waiver: str  # "waivers[N]": the entry of the configuration's waiver list
    message: str

    def sort_key(self) -> tuple[str, str, str]:
        return (self.waiver, self.kind, self.message)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "waiver": self.waiver, "message": self.message}


@dataclass(frozen=True)
class Report:
    """The result of a scan: violations and errors, both sorted deterministically.

    `suppressed`: violations a template suppresses on its resource (`Metadata: pyiamguard:
    ignore:`) or a live configuration waiver suppresses (`waiver` set), each with its reason;
    `baselined`: violations already recorded in the `--baseline` file. Neither counts toward the
    exit code. `notices`: expired and stale waivers. `errors_ignored`: the user asked
    (`--ignore-errors`) that errors not decide the exit code; the reports then say so.

    Change-aware scans (a Terraform plan's prior state, `--compare-to`, `--compare-to-git`):
    `compared` lists (file, what it was compared with); each violation of those files has its
    `change` (new, changed, existing); `resolved`: the findings of the previous version that
    are gone, located there; `changes`: per role, how who may assume it and what it can do
    changed, in plain words."""

    violations: tuple[Violation, ...] = ()
    errors: tuple[ScanError, ...] = ()
    scanned_files: tuple[str, ...] = ()
    skipped_files: tuple[tuple[str, str], ...] = ()
    documents: int = 0
    suppressed: tuple[Violation, ...] = ()
    baselined: tuple[Violation, ...] = ()
    notices: tuple[Notice, ...] = ()
    errors_ignored: bool = False
    resolved: tuple[Violation, ...] = ()
    changes: tuple[RoleChange, ...] = ()
    compared: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "violations", tuple(sorted(set(self.violations), key=Violation.sort_key)))
        object.__setattr__(self, "suppressed", tuple(sorted(set(self.suppressed), key=Violation.sort_key)))
        object.__setattr__(self, "baselined", tuple(sorted(set(self.baselined), key=Violation.sort_key)))
        object.__setattr__(self, "notices", tuple(sorted(set(self.notices), key=Notice.sort_key)))
        object.__setattr__(self, "errors", tuple(sorted(set(self.errors), key=ScanError.sort_key)))
        object.__setattr__(self, "scanned_files", tuple(sorted(set(self.scanned_files))))
        object.__setattr__(self, "skipped_files", tuple(sorted(set(self.skipped_files))))
        object.__setattr__(self, "resolved", tuple(sorted(set(self.resolved), key=Violation.sort_key)))
        object.__setattr__(self, "changes", tuple(sorted(set(self.changes), key=RoleChange.sort_key)))
        object.__setattr__(self, "compared", tuple(sorted(set(self.compared))))

    def merge(self, other: "Report") -> "Report":
        return Report(
            violations=self.violations + other.violations,
            errors=self.errors + other.errors,
            scanned_files=self.scanned_files + other.scanned_files,
            skipped_files=self.skipped_files + other.skipped_files,
            documents=self.documents + other.documents,
            suppressed=self.suppressed + other.suppressed,
            baselined=self.baselined + other.baselined,
            notices=self.notices + other.notices,
            errors_ignored=self.errors_ignored or other.errors_ignored,
            resolved=self.resolved + other.resolved,
            changes=self.changes + other.changes,
            compared=self.compared + other.compared,
        )

    def counts_by_severity(self) -> dict[str, int]:
        counts = {s.value: 0 for s in Severity}
        for v in self.violations:
            counts[v.severity.value] += 1
        return counts

    def fails(self, threshold: Severity | str, *, new_only: bool = False) -> bool:
        """True when a violation is at or above `threshold` (a Severity or its name). With
        `new_only` (`fail_on_new`), only new and changed findings count, and those of inputs
        without a previous version (`change` None: nothing says they existed before)."""
        level = Severity.parse(threshold)
        return any(v.severity >= level for v in self.violations
                   if not new_only or v.change not in (EXISTING,))

    def counts_by_change(self) -> dict[str, int]:
        """Findings by status against the previous version: new, changed, existing, resolved."""
        counts = {status: 0 for status in CHANGE_STATUSES}
        for v in self.violations:
            if v.change in counts:
                counts[v.change] += 1
        counts[RESOLVED] = len(self.resolved)
        return counts

    @property
    def empty(self) -> bool:
        """True when no file was recognized and scanned: nothing was checked."""
        return not self.scanned_files

    def passed(self, config: "Config | None" = None) -> bool:
        """The verdict a deployment script wants: True only when something was checked, nothing
        failed to be checked, and no violation is at or above `config.fail_on`. Errors count
        unless the report says they were ignored; an empty scan counts unless
        `config.allow_empty`. Suppressed and baselined findings never count."""
        fail_on = config.fail_on if config is not None else Severity.LOW
        allow_empty = config.allow_empty if config is not None else False
        new_only = config.fail_on_new if config is not None else False
        if self.errors and not self.errors_ignored:
            return False
        if self.empty and not allow_empty:
            return False
        return not self.fails(fail_on, new_only=new_only)

    def with_severities(self, severities: "set[Severity] | frozenset[Severity]") -> "Report":
        """The report with only the findings of these severities (`--severity`): the others
        are left out of violations, suppressed and baselined alike."""
        keep = frozenset(severities)
        return replace(self, violations=tuple(v for v in self.violations if v.severity in keep),
                       suppressed=tuple(v for v in self.suppressed if v.severity in keep),
                       baselined=tuple(v for v in self.baselined if v.severity in keep),
                       resolved=tuple(v for v in self.resolved if v.severity in keep))

    def summary(self) -> dict[str, Any]:
        """Counts; `suppressed`, `baselined` and `notices` only when there are some;
        `errors_ignored` (true) only with `--ignore-errors`."""
        out: dict[str, Any] = {
            "files_scanned": len(self.scanned_files),
            "files_skipped": len(self.skipped_files),
            "documents": self.documents,
            "violations": len(self.violations),
            "errors": len(self.errors),
            "by_severity": self.counts_by_severity(),
        }
        for key in ("suppressed", "baselined", "notices"):
            if getattr(self, key):
                out[key] = len(getattr(self, key))
        if self.compared:
            out["changes"] = {**self.counts_by_change(), "roles": len(self.changes)}
        if self.errors_ignored:
            out["errors_ignored"] = True
        return out


@dataclass(frozen=True)
class ScanProgress:
    """How far a scan is, for a progress callback: files done of the files found, policy
    documents evaluated so far, and the file at hand."""

    files_done: int
    files_total: int
    documents: int
    file: str


@dataclass(frozen=True)
class RuleInfo:
    """A rule's metadata, read from the `# METADATA` block of its Rego package.

    Built-in rules live in `pyiamguard.rules.<package>`; a custom rule (`origin`: its file)
    in the user's own package, named in full, with a `message` template whose `{name}`
    placeholders the finding's facts fill."""

    rule_id: str
    name: str
    title: str
    description: str
    severity: Severity
    remediation: str
    category: str
    package: str
    related: tuple[str, ...] = field(default=())
    message: str = ""
    origin: str = ""

    @property
    def custom(self) -> bool:
        return bool(self.origin)

    @property
    def entrypoint(self) -> str:
        """The engine entry point of the rule's `deny` set."""
        path = self.package if self.custom else f"pyiamguard.rules.{self.package}"
        return path.replace(".", "/") + "/deny"


# A rule id: upper-case words joined by dashes (IAMG-103, ACME-001, ACME-S3-7). IAMG- is the
# built-in rules' prefix, reserved.
RULE_ID = re.compile(r"[A-Z][A-Z0-9_]*(?:-[A-Z0-9_]+)+")
BUILT_IN_PREFIX = "IAMG-"
