"""pyiamguard: guardrails for cross-account AWS IAM role trust policies.

Rego rules (shipped in ``pyiamguard.policies``) are evaluated with the embedded regopy engine.
Everything below is imported on first use, so ``import pyiamguard`` stays cheap.

Scanning (from ``pyiamguard.scanner``):

``scan(paths, config=None) -> Report``
    Scan files and directories (directories: ``*.json``, ``*.yaml``, ``*.yml``, ``*.template``).
    Never prints, never exits: problems with an input end up in ``Report.errors``.
``scan_document(document, config=None, kind=None, name="<document>") -> Report``
    Scan one already parsed policy document (a dict).

Results (from ``pyiamguard.model``):

``Report``
    ``violations``, ``errors``, ``scanned_files``, ``skipped_files`` ((file, reason) pairs),
    ``documents``; ``fails(threshold)``, ``summary()``, ``counts_by_severity()``.
``Violation``
    One finding: ``rule_id``, ``title``, ``severity``, ``message``, ``resource``,
    ``location``, ``remediation``; ``to_dict()``.
``ScanError``
    An input, configuration or engine problem: ``file``, ``message``, ``rule_id``;
    ``to_dict()``, ``one_line()``.
``Severity``
    ``CRITICAL``, ``HIGH``, ``MEDIUM``, ``LOW``, ``INFO``; ``Severity.parse(text)``.
``Location``
    ``file``, 1-based ``line`` and ``column`` (or None), JSONPath ``path``.
``RuleInfo``
    A rule's metadata from its ``# METADATA`` block (id, name, title, severity, ...).

Configuration (from ``pyiamguard.config``):

``Config``
    The configuration keys of ``.pyiamguard.yaml`` as a frozen dataclass;
    ``Config().with_overrides(**keys)`` validates like a file.
``ConfigError``
    Raised for an invalid configuration; the message names the key.
``load_config(path) -> Config``
    Read and validate a ``.pyiamguard.yaml`` file.

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
    "Report": "model",
    "Violation": "model",
    "ScanError": "model",
    "Severity": "model",
    "Location": "model",
    "RuleInfo": "model",
    "Config": "config",
    "ConfigError": "config",
    "load_config": "config",
}

__all__ = [*_EXPORTS, "__version__"]

if TYPE_CHECKING:
    from .config import Config, ConfigError, load_config
    from .model import Location, Report, RuleInfo, ScanError, Severity, Violation
    from .scanner import scan, scan_document

    __version__: str


def _read_version() -> str:
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # pragma: no cover - Python < 3.8
        return _FALLBACK_VERSION
    try:
        return version("pyiamguard")
    except PackageNotFoundError:
        return _FALLBACK_VERSION


def __getattr__(name: str) -> Any:
    if name == "__version__":
        value: Any = _read_version()
    elif name in _EXPORTS:
        value = getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
