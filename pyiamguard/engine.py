"""The Rego engine adapter: the only module that imports regopy.

Policies are compiled once per engine (`build` with every entry point), then each normalized
document is evaluated with `set_input` + `query_bundle_entrypoint`: re-planning a query per
call is 8x slower. One Engine per thread or process: a shared regopy Interpreter gives wrong
results under concurrency. Real estates repeat the same few trust shapes with their own
accounts, names and ExternalIds: the built-in rules' findings are memoized on the document's
shape (canonical.py: accounts and opaque values numbered, `resource` left out, since they never
read it) and carried over to every document of that shape; custom rules' findings on the whole
document.
"""
from __future__ import annotations

import json
import os
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from .canonical import Shape, Vocabulary, shape, translate
from .errors import EngineError, EngineUnavailableError

MAIN_ENTRYPOINT = "pyiamguard/main/findings"
_BUILT_IN_RULES = "pyiamguard/rules/"
_MEMO_SIZE = 4096


@dataclass(frozen=True)
class Prepared:
    """A document ready for the memo: `key` groups the documents whose findings one
    evaluation gives (same shape, and with custom rules the same whole document)."""

    document: Mapping[str, Any]
    key: str
    shape: Shape


class Engine:
    """Compiled guardrail policies, ready to evaluate one document at a time."""

    def __init__(self, modules: Sequence[tuple[str, str]], data: Mapping[str, Any],
                 entrypoints: Mapping[str, str], collectors: Sequence[str] = (MAIN_ENTRYPOINT,)) -> None:
        """`entrypoints`: each rule's package key -> its `deny` entry point (for isolating a
        failing rule); `collectors`: the entry points that return every rule's findings,
        tagged with the package (pyiamguard.main, and the custom rules' collector)."""
        regopy = import_regopy()  # imported here so the CLI starts fast when there is nothing to scan

        self._entrypoints = dict(entrypoints)
        self._collectors = tuple(collectors)
        # The custom rules' collector, when there are custom rules: its findings are memoized
        # apart, on the whole document, since a custom rule may read the `resource` section
        # (names, paths, tags). The built-in rules never read it, so their findings stay
        # shared by documents that differ only there.
        self._custom = next((c for c in self._collectors if c != MAIN_ENTRYPOINT), None)
        self._custom_packages = frozenset(p for p, e in self._entrypoints.items() if not e.startswith(_BUILT_IN_RULES))
        interp = _interpreter(regopy, modules, data)
        self._interp = interp
        try:
            self._bundle = interp.build(None, [*self._collectors, *self._entrypoints.values()])
        except regopy.RegoError as exc:
            raise EngineError(_build_error(modules, str(exc))) from None
        # Shape key -> the first document of that shape and its built-in findings.
        self._vocabulary = Vocabulary.of(data, [source for _, source in modules])
        self._memo: OrderedDict[str, tuple[Shape, tuple[dict[str, Any], ...]]] = OrderedDict()
        self._custom_memo: OrderedDict[str, tuple[dict[str, Any], ...]] = OrderedDict()

    def prepare(self, document: Mapping[str, Any]) -> "Prepared":
        """The document with its memo keys: its shape (canonical.py) for the built-in rules,
        which never read `resource`, and with custom rules the whole document as well."""
        shared = {k: v for k, v in document.items() if k != "resource"} if "resource" in document else document
        the_shape = shape(shared, self._vocabulary)
        key = the_shape.key if self._custom is None else f"{the_shape.key}\n{memo_key(document)}"
        return Prepared(document, key, the_shape)

    def key(self, document: Mapping[str, Any]) -> str:
        """Documents with the same key get the same findings, up to the renaming of their
        accounts and opaque values (`prepare`)."""
        return self.prepare(document).key

    def evaluate(self, document: Mapping[str, Any], prepared: "Prepared | None" = None) -> tuple[dict[str, Any], ...]:
        """All findings for one normalized document, each tagged with its rule `package`.

        Raises EngineError naming the failing rule package when one rule fails; the other
        rules' findings are then still returned by `evaluate_isolated`. `prepared`: the
        document's `prepare()`, when the caller has it already.
        """
        prepared = self.prepare(document) if prepared is None else prepared
        cached = self.cached(prepared)
        if cached is not None:
            return cached
        shared = {k: v for k, v in document.items() if k != "resource"}
        _check_engine_safe(memo_key(shared), shared)
        if "resource" in document:
            _check_engine_safe(memo_key(document["resource"]), document["resource"])
        built_in = self._built_in(prepared)
        custom = _recall(self._custom_memo, prepared.key) if self._custom is not None else ()
        self._interp.set_input(dict(document))
        if built_in is None:
            built_in = tuple(self._query(MAIN_ENTRYPOINT))
        if custom is None and self._custom is not None:
            custom = tuple(self._query(self._custom))
        result = tuple(sorted((*built_in, *(custom or ())), key=_order))
        self.remember(prepared, result)
        return result

    def cached(self, prepared: "Prepared") -> tuple[dict[str, Any], ...] | None:
        """The findings of a document already evaluated, or of one of the same shape (by this
        engine or a pool's worker)."""
        built_in = self._built_in(prepared)
        if built_in is None:
            return None
        if self._custom is None:
            return tuple(sorted(built_in, key=_order))
        custom = _recall(self._custom_memo, prepared.key)
        return None if custom is None else tuple(sorted((*built_in, *custom), key=_order))

    def remember(self, prepared: "Prepared", result: tuple[dict[str, Any], ...]) -> None:
        built_in = tuple(f for f in result if f.get("package") not in self._custom_packages)
        if prepared.shape.key not in self._memo:  # the first document of a shape stands for it
            _store(self._memo, prepared.shape.key, (prepared.shape, built_in))
        if self._custom is not None:
            _store(self._custom_memo, prepared.key,
                   tuple(f for f in result if f.get("package") in self._custom_packages))

    def _built_in(self, prepared: "Prepared") -> tuple[dict[str, Any], ...] | None:
        """The built-in findings of the document's shape, renamed for it: None when its shape
        was not evaluated yet, or its findings hold a text the renaming cannot carry over."""
        entry = _recall(self._memo, prepared.shape.key)
        return None if entry is None else translate(entry[1], entry[0], prepared.shape)

    def evaluate_rule(self, document: Mapping[str, Any], package: str) -> tuple[dict[str, Any], ...]:
        """The findings of one rule package: for inputs that only that rule reads (the
        IAMG-501 pairs), the other rules need not run. Raises EngineError when it fails.
        The scanner memoizes pairs on their shape (canonical_pairs.py); this evaluates."""
        self.check_rule_input(document)
        self._interp.set_input(dict(document))
        return tuple(sorted(({**f, "package": package} for f in self._query(self._entrypoints[package])), key=_order))

    def check_rule_input(self, document: Mapping[str, Any]) -> None:
        """Raises the EngineError `evaluate_rule` raises for a document holding a value the
        engine may misread: a pair served by the memo must fail as its own evaluation would."""
        _check_engine_safe(json.dumps(document), document)

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

    def __init__(self, modules: Sequence[tuple[str, str]], data: Mapping[str, Any], entrypoints: Mapping[str, str],
                 collectors: Sequence[str], workers: int) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # spawn: a fresh interpreter per worker, nothing of the parent's regopy state inherited.
        self._executor = ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker,
            initargs=(tuple(modules), dict(data), dict(entrypoints), tuple(collectors)))

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


def _start_worker(modules: tuple[tuple[str, str], ...], data: dict[str, Any], entrypoints: dict[str, str],
                  collectors: tuple[str, ...]) -> None:
    global _worker_engine
    _worker_engine = Engine(modules, data, entrypoints, collectors)


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


# regopy reports a compile error as an S-expression: `(error <n>:<module>|<offset>|<length>
# (errormsg <n>:<message>) ...)`, the offset counted in characters of the module's source.
_COMPILE_ERROR = re.compile(r"\(error [0-9]+:(?P<module>[^|]*)\|(?P<offset>[0-9]+)\|[0-9]+\s*\(errormsg [0-9]+:(?P<message>[^\n]*)\)")


def _interpreter(regopy: Any, modules: Sequence[tuple[str, str]], data: Mapping[str, Any]) -> Any:
    """A regopy Interpreter with the data and modules loaded: no log on stdout (regopy prints
    its errors there otherwise) and strict built-in errors (else a failing built-in silently
    drops a finding). EngineError `file:line:col: ...` for a module that does not compile."""
    interp = regopy.Interpreter()
    interp.log_level = regopy.LogLevel.NONE
    interp.strict_built_in_errors = True
    interp.add_data_json(json.dumps(data, ensure_ascii=True))
    for name, source in modules:
        try:
            interp.add_module(name, source)
        except regopy.RegoError as exc:
            raise EngineError(compile_error(name, source, str(exc))) from None
    return interp


def _build_error(modules: Sequence[tuple[str, str]], error: str) -> str:
    """A module that parsed but does not compile with the others (an unknown reference, a
    conflict): located in the module regopy names, when it names one."""
    found = _COMPILE_ERROR.search(error)
    sources = dict(modules)
    if found is not None and found["module"] in sources:
        return compile_error(found["module"], sources[found["module"]], error)
    return f"the policies do not compile: {' '.join(error.split())[:300]}"


def compile_error(name: str, source: str, error: str) -> str:
    """`<module>:<line>:<column>: <message>` for regopy's error text of a module that does not
    compile (its first error; the raw text, shortened, when it has another form)."""
    found = _COMPILE_ERROR.search(error)
    if found is None:
        return f"{name}: does not compile: {' '.join(error.split())[:300]}"
    offset = min(int(found["offset"]), len(source))
    line = source.count("\n", 0, offset) + 1
    column = offset - (source.rfind("\n", 0, offset) + 1) + 1
    return f"{name}:{line}:{column}: does not compile: {found['message'].strip()}"


def _recall(memo: OrderedDict[str, Any], key: str) -> Any:
    found = memo.get(key)
    if found is not None:
        memo.move_to_end(key)
    return found


def _store(memo: OrderedDict[str, Any], key: str, entry: Any) -> None:
    memo[key] = entry
    if len(memo) > _MEMO_SIZE:
        memo.popitem(last=False)


def _order(finding: Mapping[str, Any]) -> str:
    return json.dumps(finding, sort_keys=True)


# --- Rego unit tests (pyiamguard test)
# Used by rule_test_worker, in a child process: regopy 1.5.2 segfaults on many `with input as`
# tests. A test is one plain query, not a compiled bundle: building a bundle of every test
# aborts on the first such test, and each test is queried once anyway.

_ERROR_MESSAGE = re.compile(r"\(errormsg (?P<size>[0-9]+):")


class RegoTestEngine:
    """Every module added once to an interpreter of its own, with the same settings as
    `Engine` (no log on stdout, strict built-in errors); then `run_test` per test rule.

    Raises EngineError `<module>:<line>:<column>: does not compile: <message>` when a module
    does not parse, EngineUnavailableError when regopy cannot be had."""

    def __init__(self, modules: Sequence[tuple[str, str]], data: Mapping[str, Any]) -> None:
        # No log on stdout (the worker's result channel); a built-in error is a test error, as
        # in `opa test`.
        self._interp = _interpreter(import_regopy(), modules, data)

    def run_test(self, package: str, name: str) -> tuple[str, str]:
        """("pass" | "fail" | "error", one-line reason) for the query `data.<package>.<name>`."""
        # The raw C API: `Interpreter.query` raises JSONDecodeError, losing the message, on
        # the errors regopy reports in an ok output ("Function not found", "Recursion detected").
        from regopy import rego_shared as native

        output = native.rego_query(self._interp._impl, f"data.{package}.{name}")
        try:
            if not native.rego_output_ok(output):
                return "error", _output_errors(native, native.rego_output_node(output))
            text = native.rego_output_string(output)
        finally:
            native.rego_free_output(output)
        if text.startswith("(error"):
            return "error", _sexpr_errors(text)
        value = None if text == "undefined" else json.loads(text)
        if isinstance(value, list):  # several results: a test rule has one value
            value = value[0] if len(value) == 1 else None
        value = value.get("expressions", [None])[0] if isinstance(value, dict) else None
        if value is True:
            return "pass", ""
        if isinstance(value, str) and value.startswith("<error"):
            return "error", "evaluation error"
        if value is None:  # regopy reads a false rule as undefined
            return "fail", "the rule is false or undefined"
        return "fail", f"the rule's value is {json.dumps(value)[:80]}, not true"


def _output_errors(native: Any, node: Any) -> str:
    """`<message> (<code>)` of each error in an error output, joined on one line."""
    found: list[str] = []
    for i in range(native.rego_node_size(node)):
        error = native.rego_node_get(node, i)
        parts = {native.rego_node_type(part): part for part in
                 (native.rego_node_get(error, k) for k in range(native.rego_node_size(error)))}
        message = parts.get(native.NodeKind.ErrorMessage)
        code = parts.get(native.NodeKind.ErrorCode)
        text = native.rego_node_value(message) if message else "unknown error"
        found.append(f"{text} ({native.rego_node_value(code)})" if code else text)
    return "evaluation error: " + " ".join("; ".join(found or ["unknown error"]).split())


def _sexpr_errors(text: str) -> str:
    """The messages of regopy's `(error (errormsg <n>:<message>) ...)` text (n: its length)."""
    found = [text[m.end():m.end() + int(m["size"])] for m in _ERROR_MESSAGE.finditer(text)]
    return "evaluation error: " + ("; ".join(found) if found else " ".join(text.split())[:300])
