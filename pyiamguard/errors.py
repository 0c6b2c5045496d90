"""The exceptions a caller of pyiamguard can meet, under one base class.

A problem with one scanned input never raises: it becomes a `ScanError` in `Report.errors`,
scoped to its file, and the other files are still scanned. What raises is what makes the whole
scan meaningless: an invalid configuration, an unusable `--tf-source` directory or baseline
file, an engine that cannot start. `except pyiamguard.PyiamguardError` catches all of them.
"""
from __future__ import annotations


class PyiamguardError(Exception):
    """Base class of every exception pyiamguard raises on purpose."""


class ConfigError(PyiamguardError):
    """The configuration is invalid. The message names the key and what is wrong."""


class TfSourceError(PyiamguardError):
    """The `tf_source` (`--tf-source`) directory cannot be used: missing, not a directory, unreadable."""


class CompareGitError(PyiamguardError):
    """`--compare-to-git REF` cannot read the previous version: not a revision, not a git work
    tree, git missing, a shallow clone without REF. The message is one line naming REF."""


class BaselineError(PyiamguardError, ValueError):
    """The baseline file is missing, unreadable or malformed (a configuration error)."""


class EngineError(PyiamguardError):
    """The Rego engine could not start, or could not evaluate a document (or one rule of it).

    A failure on one document is reported as a `ScanError` naming the rule; this exception
    reaches a caller only when the engine cannot start at all."""

    def __init__(self, message: str, package: str | None = None) -> None:
        super().__init__(message)
        self.package = package


class EngineUnavailableError(EngineError):
    """regopy, the embedded Rego engine, is not installed or does not load on this platform."""


class InputError(PyiamguardError):
    """A file cannot be read or understood. The message is one line, without the file name.

    Internal: `scan()` turns it into a `ScanError` of the file and goes on."""


__all__ = ["PyiamguardError", "ConfigError", "TfSourceError", "BaselineError", "EngineError",
           "EngineUnavailableError", "InputError"]
