"""The Rego engine adapter: the only module that imports regopy.

Policies are compiled once per engine (`build` with every entry point), then each normalized
document is evaluated with `set_input` + `query_bundle_entrypoint`: re-planning a query per
call is 8x slower. One Engine per thread or process: a shared regopy Interpreter gives wrong
results under concurrency. Identical documents are evaluated once (memoized on their
canonical JSON), since real estates repeat the same few trust policies.
"""
from __future__ import annotations

import json
import os
import re
from collections import OrderedDict
from typing import Any, Mapping, Sequence

from .errors import EngineError, EngineUnavailableError

MAIN_ENTRYPOINT = "pyiamguard/main/findings"
_MEMO_SIZE = 4096


class Engine:
    """Compiled guardrail policies, ready to evaluate one document at a time."""

    def __init__(self, modules: Sequence[tuple[str, str]], data: Mapping[str, Any], packages: Sequence[str]) -> None:
        regopy = import_regopy()  # imported here so the CLI starts fast when there is nothing to scan

        self._packages = tuple(packages)
        self._entrypoints = {p: f"pyiamguard/rules/{p}/deny" for p in self._packages}
        interp = regopy.Interpreter()
        interp.log_level = regopy.LogLevel.NONE  # otherwise errors are printed on stdout
        interp.strict_built_in_errors = True  # a built-in error must not silently drop a finding
        interp.add_data_json(json.dumps(data, ensure_ascii=True))
        for name, source in modules:
            try:
                interp.add_module(name, source)
            except regopy.RegoError as exc:
                raise EngineError(f"policy {name} does not compile: {exc}") from None
        self._interp = interp
        self._bundle = interp.build(None, [MAIN_ENTRYPOINT, *self._entrypoints.values()])
        self._memo: OrderedDict[str, tuple[dict[str, Any], ...]] = OrderedDict()

    def evaluate(self, document: Mapping[str, Any], key: str | None = None) -> tuple[dict[str, Any], ...]:
        """All findings for one normalized document, each tagged with its rule `package`.

        Raises EngineError naming the failing rule package when one rule fails; the other
        rules' findings are then still returned by `evaluate_isolated`. `key`: the document's
        memo_key, when the caller has it already.
        """
        key = memo_key(document) if key is None else key
        cached = self.cached(key)
        if cached is not None:
            return cached
        _check_engine_safe(key, document)
        self._interp.set_input(dict(document))
        result = tuple(sorted(self._query(MAIN_ENTRYPOINT), key=_order))
        self.remember(key, result)
        return result

    def cached(self, key: str) -> tuple[dict[str, Any], ...] | None:
        """The findings of a document already evaluated (by this engine or a pool's worker)."""
        cached = self._memo.get(key)
        if cached is not None:
            self._memo.move_to_end(key)
        return cached

    def remember(self, key: str, result: tuple[dict[str, Any], ...]) -> None:
        self._memo[key] = result
        if len(self._memo) > _MEMO_SIZE:
            self._memo.popitem(last=False)

    def evaluate_rule(self, document: Mapping[str, Any], package: str) -> tuple[dict[str, Any], ...]:
        """The findings of one rule package: for inputs that only that rule reads (the
        IAMG-501 pairs), the other rules need not run. Raises EngineError when it fails."""
        _check_engine_safe(json.dumps(document), document)  # no memo here: no canonical key needed
        self._interp.set_input(dict(document))
        return tuple(sorted(({**f, "package": package} for f in self._query(self._entrypoints[package])), key=_order))

    def evaluate_isolated(self, document: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[EngineError]]:
        """Rule by rule, so one failing rule cannot hide the findings of the others."""
        try:
            _check_engine_safe(json.dumps(document), document)
        except EngineError as exc:
            return [], [exc]
        self._interp.set_input(dict(document))
        findings: list[dict[str, Any]] = []
        errors: list[EngineError] = []
        for package, entrypoint in self._entrypoints.items():
            try:
                findings.extend({**f, "package": package} for f in self._query(entrypoint))
            except EngineError as exc:
                errors.append(EngineError(str(exc), package))
        return sorted(findings, key=_order), errors

    def _query(self, entrypoint: str) -> list[dict[str, Any]]:
        try:
            output = self._interp.query_bundle_entrypoint(self._bundle, entrypoint)
        except Exception as exc:  # the wrapper raises JSONDecodeError on error payloads
            raise EngineError(f"evaluation failed: {type(exc).__name__}: {exc}") from None
        if not output.ok():
            raise EngineError(f"evaluation failed: {str(output)[:300]}")
        try:
            value = output[0].expressions[0]
        except (IndexError, KeyError, TypeError):
            return []  # undefined: no findings
        if isinstance(value, str) and value.startswith("<error"):
            raise EngineError("evaluation failed: rule error")
        if not isinstance(value, list):
            raise EngineError(f"evaluation returned {type(value).__name__}, expected a set of findings")
        return [v for v in value if isinstance(v, dict)]


# The regopy releases pyiamguard works with (pyproject.toml says the same; a test checks both
# agree and runs the oldest against the newest). 1.4.0 is the first with the glob.match
# built-in the rules use; 1.2 and older also drop some findings without an error.
REGOPY_MINIMUM = (1, 4, 0)
REGOPY_BELOW = (2,)
# Where pip finds a regopy wheel (README "Platforms"); elsewhere pyiamguard installs without it.
SUPPORTED_PLATFORMS = ("Linux x86_64 and aarch64 with glibc 2.34 or later (musl too), macOS 15 or later "
                       "(arm64 and x86_64), Windows x64")


def import_regopy() -> Any:
    """The regopy module, or EngineUnavailableError saying why it cannot be had here and what
    to do instead (never a traceback from deep inside the engine)."""
    try:
        import regopy
    except (ImportError, OSError) as exc:  # OSError: a native library that does not load
        raise EngineUnavailableError(unavailable_message(f"regopy cannot be imported ({exc})")) from None
    installed = _installed_version("regopy")
    if installed is not None and not REGOPY_MINIMUM <= installed < REGOPY_BELOW:
        text = ".".join(map(str, installed))
        raise EngineUnavailableError(
            f"regopy {text} is installed, and pyiamguard needs regopy >= {_dotted(REGOPY_MINIMUM)}, "
            f"< {_dotted(REGOPY_BELOW)} (older releases lack the glob.match built-in its rules use): "
            f"pip install 'regopy>={_dotted(REGOPY_MINIMUM)},<{_dotted(REGOPY_BELOW)}'")
    return regopy


def unavailable_message(reason: str) -> str:
    """What to tell a user whose machine has no working regopy."""
    import platform

    system = platform.system()
    release = platform.mac_ver()[0] if system == "Darwin" else platform.release()
    here = f"{system} {release} {platform.machine()}, Python {platform.python_version()}"
    return (f"the Rego engine is not available on this machine ({here}): {reason}. regopy publishes wheels "
            f"for {SUPPORTED_PLATFORMS}; elsewhere pip installs pyiamguard without it. Run pyiamguard on one of "
            "those (a python:3.12-slim container works on any Docker host), or build regopy from source: "
            f"pip install 'regopy>={_dotted(REGOPY_MINIMUM)},<{_dotted(REGOPY_BELOW)}' (needs git, network "
            "access to GitHub, CMake, a C++20 compiler and OpenSSL 3). README: Platforms")


def _installed_version(distribution: str) -> tuple[int, ...] | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        text = version(distribution)
    except PackageNotFoundError:
        return None  # a regopy without metadata (built into a bundle): nothing to check
    release = re.match(r"[0-9]+(?:\.[0-9]+){0,2}", text)  # "1.5.2", "1.4.0rc1" -> (1, 4, 0)
    return tuple(int(n) for n in release.group().split(".")) if release else None


def _dotted(version: tuple[int, ...]) -> str:
    return ".".join(map(str, version))


# Documents sent to a worker per task: large enough that pickling and scheduling stay small
# next to ~5 ms of evaluation per document.
_CHUNK = 32
# A pool starts only for at least this many distinct documents not yet evaluated: below it,
# starting workers (each compiles the policies) costs more than it saves.
MIN_POOL_DOCUMENTS = 200


class EnginePool:
    """Evaluates many documents on several processes, each with its own Engine (a regopy
    Interpreter must never be shared). Results come back in order, so reports stay
    deterministic. Distinct documents only: the caller's Engine memo serves repeats."""

    def __init__(self, modules: Sequence[tuple[str, str]], data: Mapping[str, Any], packages: Sequence[str],
                 workers: int) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # spawn: a fresh interpreter per worker, nothing of the parent's regopy state inherited.
        self._executor = ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker,
            initargs=(tuple(modules), dict(data), tuple(packages)))

    def evaluate_many(self, documents: Sequence[Mapping[str, Any]], package: str | None = None) -> list[Any]:
        """Per document: its findings (of every rule, or of `package` alone), or the
        EngineError it raised."""
        chunks = [list(documents[i:i + _CHUNK]) for i in range(0, len(documents), _CHUNK)]
        out: list[Any] = []
        for results in self._executor.map(_evaluate_chunk, chunks, [package] * len(chunks)):
            out.extend(results)
        return out

    def close(self) -> None:
        self._executor.shutdown(cancel_futures=True)


def default_workers() -> int:
    """Processes for a large scan: the CPUs this process may use, at most 8."""
    try:
        available = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        available = os.cpu_count() or 1
    return max(1, min(8, available))


# The worker's Engine: one per worker process, built once by the pool's initializer (the
# process-pool idiom; nothing else in the package keeps module state).
_worker_engine: Engine | None = None


def _start_worker(modules: tuple[tuple[str, str], ...], data: dict[str, Any], packages: tuple[str, ...]) -> None:
    global _worker_engine
    _worker_engine = Engine(modules, data, packages)


def _evaluate_chunk(documents: list[Mapping[str, Any]], package: str | None) -> list[Any]:
    assert _worker_engine is not None
    results: list[Any] = []
    for document in documents:
        try:
            if package is None:
                results.append(_worker_engine.evaluate(document))
            else:
                results.append(_worker_engine.evaluate_rule(document, package))
        except EngineError as exc:
            results.append(exc)
    return results


# In a document's canonical JSON (ASCII, so any quote, backslash, control or non-ASCII character
# of a string shows as an escape), what regopy and OPA may read differently: an escape, an
# integer beyond 2**53, a float. The normalizer never hands those to the engine (engine tokens,
# bounded integers, docs/model.md); this check keeps a future slip from becoming a silent
# difference between the engines: the document fails closed instead.
_STRING = re.compile(r'"[^"]*"')
_UNSAFE_NUMBER = re.compile(r"[0-9]{16}|[0-9][.eE]|Infinity|NaN")


def _check_engine_safe(key: str, document: Mapping[str, Any]) -> None:
    if "\\" not in key and not _UNSAFE_NUMBER.search(_STRING.sub('""', key)):
        return
    where = _first_unsafe(document) or "a string with an escape"
    raise EngineError(f"the normalized document holds a value the engine may misread: {where}")


def _first_unsafe(value: Any, path: str = "$") -> str:
    if isinstance(value, str):
        unsafe = not (value.isascii() and value.isprintable()) or '"' in value or "\\" in value
        return f"{path} = {value[:40]!r}" if unsafe else ""
    if isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**15):
        return f"{path} = {value!r}"
    items = value.items() if isinstance(value, Mapping) else enumerate(value) if isinstance(value, (list, tuple)) else ()
    for name, item in items:
        found = _first_unsafe(name, path) or _first_unsafe(item, f"{path}.{name}")
        if found:
            return found
    return ""


def memo_key(document: Mapping[str, Any]) -> str:
    """Identical documents have identical keys (canonical JSON)."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


def _order(finding: Mapping[str, Any]) -> str:
    return json.dumps(finding, sort_keys=True)
