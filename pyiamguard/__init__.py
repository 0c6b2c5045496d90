"""pyiamguard: guardrails for cross-account AWS IAM role trust policies.

Rego rules (shipped in ``pyiamguard.policies``) are evaluated with the embedded regopy engine.
Everything below is imported on first use, so ``import pyiamguard`` stays cheap.

Scanning (from ``pyiamguard.scanner``):

``scan(paths, config=None, *, tf_source=None, skip_unrecognized=False, jobs=1) -> Report``
    Scan one path or a list of paths (files, directories, ``-`` for standard input).
    Never prints, never exits: problems with an input end up in ``Report.errors``; a scan that
    recognized no file at all has an error too, unless ``config.allow_empty``.
``scan_document(document, config=None, kind=None, name="<document>") -> Report``
    Scan one document given as a dict or list, or as JSON or YAML text: an IAM policy or AWS CLI
    dump, a Terraform plan or a CloudFormation template. Anything else is an error.
``Scanner(config=None, *, tf_source=None, skip_unrecognized=False, jobs=1, progress=None)``
    The same, with the rules compiled once: ``.scan(paths, compare_to=None, compare_to_git=None)``
    (a Terraform plan is compared with its prior state; ``compare_to`` a previous version of the
    path, ``compare_to_git`` a git revision), ``.scan_document(document)``;
    ``.inspect(paths)`` the normalized documents the rules read, ``.rules`` every rule (the
    built-in ones and the custom rules of ``config.policy_dirs``).

Results (from ``pyiamguard.model``):

``Report``
    ``violations``, ``errors``, ``scanned_files``, ``skipped_files`` ((file, reason) pairs),
    ``documents``, ``suppressed``, ``baselined``, ``notices``; change-aware: ``compared``
    ((file, what it was compared with) pairs), ``resolved``, ``changes``; ``passed(config)``,
    ``empty``, ``fails(threshold, new_only=False)``, ``summary()``, ``counts_by_severity()``,
    ``counts_by_change()``, ``with_severities(set)``.
``Violation``
    One finding: ``rule_id``, ``title``, ``severity``, ``message``, ``resource``,
    ``location``, ``remediation``, ``source``, ``change`` (``new``, ``changed``,
    ``existing``, ``resolved``; None without a previous version); ``to_dict()``.
``RoleChange``, ``Exposure``, ``Access``
    How a role's exposure changed (``status``, ``details`` in plain words, ``before`` and
    ``after``); who may assume a role and what it can do; one way into it.
``ScanError``
    An input or engine problem of one file: ``file``, ``message``, ``rule_id``;
    ``to_dict()``, ``one_line()``.
``Severity``
    ``CRITICAL`` > ``HIGH`` > ``MEDIUM`` > ``LOW`` > ``INFO`` (ordered by urgency);
    ``Severity.parse(text)``, ``rank``.
``Location``, ``Notice``, ``RuleInfo``, ``ScanProgress``
    A place in a file; a note on the configuration (an expired or stale waiver); a rule's
    metadata; how far a scan is (for ``progress``).

Configuration (from ``pyiamguard.config``):

``Config``
    The keys of ``.pyiamguard.yaml`` as a frozen dataclass; the constructor validates and
    converts like the file does (``Config(fail_on="high")``), ``with_overrides(**keys)`` too.
``Waiver``
    One entry of ``Config.waivers``.
``load_config(path) -> Config``, ``find_config(directory) -> Path | None``
    Read and validate a ``.pyiamguard.yaml`` (or ``.pyiamguard.yml``) file; find it.

Errors (from ``pyiamguard.errors``), all subclasses of ``PyiamguardError``:

``ConfigError``
    An invalid configuration (``Config(...)``, ``load_config``); the message names the key.
``TfSourceError``
    The ``tf_source`` directory is missing or unreadable.
``BaselineError``
    A baseline file is missing or malformed (``pyiamguard.baseline.load_baseline``).
``CompareGitError``
    ``compare_to_git`` names no revision, or a path is not in a git work tree.
``EngineError``, ``EngineUnavailableError``
    The Rego engine cannot start (regopy missing or not built for this platform).

Wrong argument types (``scan(42)``) raise ``TypeError``; an unknown ``kind`` ``ValueError``.

``__version__``
    The installed distribution's version (``"0.1.0"`` when running from a source tree).
"""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_FALLBACK_VERSION = "0.1.0"

_EXPORTS = {
    "scan": "scanner",
    "scan_document": "scanner",
    "Scanner": "scanner",
    "Report": "model",
    "Violation": "model",
    "ScanError": "model",
    "Severity": "model",
    "Location": "model",
    "Notice": "model",
    "RuleInfo": "model",
    "ScanProgress": "model",
    "RoleChange": "model",
    "Exposure": "model",
    "Access": "model",
    "Config": "config",
    "Waiver": "config",
    "load_config": "config",
    "find_config": "config",
    "PyiamguardError": "errors",
    "ConfigError": "errors",
    "TfSourceError": "errors",
    "BaselineError": "errors",
    "CompareGitError": "errors",
    "EngineError": "errors",
    "EngineUnavailableError": "errors",
}

# Written out (not computed) so that type checkers see every public name as exported.
__all__ = [
    "scan",
    "scan_document",
    "Scanner",
    "Report",
    "Violation",
    "ScanError",
    "Severity",
    "Location",
    "Notice",
    "RuleInfo",
    "ScanProgress",
    "RoleChange",
    "Exposure",
    "Access",
    "Config",
    "Waiver",
    "load_config",
    "find_config",
    "PyiamguardError",
    "ConfigError",
    "TfSourceError",
    "BaselineError",
    "CompareGitError",
    "EngineError",
    "EngineUnavailableError",
    "__version__",
]

if TYPE_CHECKING:
    from .config import Config as Config
    from .config import Waiver as Waiver
    from .config import find_config as find_config
    from .config import load_config as load_config
    from .errors import BaselineError as BaselineError
    from .errors import CompareGitError as CompareGitError
    from .errors import ConfigError as ConfigError
    from .errors import EngineError as EngineError
    from .errors import EngineUnavailableError as EngineUnavailableError
    from .errors import PyiamguardError as PyiamguardError
    from .errors import TfSourceError as TfSourceError
    from .model import Access as Access
    from .model import Exposure as Exposure
    from .model import Location as Location
    from .model import RoleChange as RoleChange
    from .model import Notice as Notice
    from .model import Report as Report
    from .model import RuleInfo as RuleInfo
    from .model import ScanError as ScanError
    from .model import ScanProgress as ScanProgress
    from .model import Severity as Severity
    from .model import Violation as Violation
    from .scanner import Scanner as Scanner
    from .scanner import scan as scan
    from .scanner import scan_document as scan_document

    __version__: str


def _read_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pyiamguard")
    except PackageNotFoundError:
        return _FALLBACK_VERSION


if not TYPE_CHECKING:  # type checkers see the imports above; a typo must not type as Any

    def __getattr__(name: str) -> Any:
        if name == "__version__":
            value = _read_version()
        elif name in _EXPORTS:
            value = getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
        else:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
