"""Rego unit tests (`pyiamguard test`): the `test_*` rules of `*_test.rego` files, run with the
embedded engine the way `opa test` runs them.

Each test is the query `data.<package>.<test_name>`: it passes when the value is `true`, fails
when it is false or undefined (regopy reads a false rule as undefined) or any other value, and
is an error when evaluation fails (a built-in error, with strict built-in errors as in a scan).

Crashes and cost. regopy 1.5.2 segfaults on many `with input as` tests, and it compiles every
loaded rule for each query, with a copy of the program per `with`: one such test rule makes
every query crash, and a few dozen `with` tests took gigabytes. So the tests run in a child
process (`rule_test_worker`) that reports each result as soon as it has it: each test that
uses `with` in an interpreter where every other test rule is blanked out, the others together.
When the child dies, a new child runs the test in flight again and the rest, each test alone;
a test on which that crashes too is an `error` saying the engine crashed on it (signal or exit
code) and that `opa test` runs it. A test still running after `timeout` is an `error` too, and
the next child goes on with the tests after it. No result is lost, nothing hangs, and nothing
the engine prints reaches this process's output.

Compile errors. A module that does not parse makes every test an `error`: the first carries
the compile error, `<file>:<line>:<col>: does not compile: <message>`, the others say they were
not run because of it and name the same `<file>:<line>:<col>`.
"""
from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Mapping, Sequence

from .errors import EngineUnavailableError

# Like OPA's runner: a test is a rule whose name starts with `test_` at the start of a line.
_PACKAGE = re.compile(r"^package\s+([\w.]+)", re.M)
_TEST_RULE = re.compile(r"^(test_\w+)\b", re.M)
# A line that starts a new top-level statement (so ends the rule before it): not indented,
# not a comment, not a closing bracket or an `else` of the same rule.
_STATEMENT = re.compile(r"[^\s#}\])]")
_ELSE = re.compile(r"else\b")
_WITH = re.compile(r"\bwith\s+[\w.]+\s+as\b")
_WORKER = "pyiamguard.rule_test_worker"
_OPA_HINT = ("`opa test` runs it (regopy crashes on `with input as` when the rule under test calls "
             "a built-in function or an operator such as != or <)")


@dataclass(frozen=True)
class RegoTestCase:
    """One test rule found in a `*_test.rego` module (its first definition)."""

    file: str
    line: int
    package: str
    name: str


@dataclass(frozen=True)
class RegoTestResult:
    file: str          # the *_test.rego file (as given)
    line: int          # line of the test rule (its first definition)
    package: str
    name: str          # test_...
    outcome: str       # "pass" | "fail" | "error"
    message: str = ""  # fail: why not true; error: the reason (compile error with file:line, built-in error, crash)
    seconds: float = 0.0


@dataclass(frozen=True)
class _Death:
    """How a child ended before reporting every test."""

    how: str
    timed_out: bool


def discover_tests(test_modules: Sequence[tuple[str, str]], name_filter: str | None = None) -> tuple[RegoTestCase, ...]:
    """The test rules of `test_modules`, in file then line order. A name defined several times
    in a package is one test (at its first line), as in OPA. `name_filter`: a regular expression
    searched in `package.test_name` (`opa test --run`); ValueError when it is not valid."""
    try:
        wanted = re.compile(name_filter) if name_filter is not None else None
    except re.error as exc:
        raise ValueError(f"invalid test name filter {name_filter!r}: {exc}") from None
    seen: set[str] = set()
    found: list[RegoTestCase] = []
    for file, source in test_modules:
        for first, _, key, _ in _test_spans(source):
            if key in seen or (wanted is not None and not wanted.search(key)):
                continue
            seen.add(key)
            package, _, name = key.rpartition(".")
            found.append(RegoTestCase(file, first, package, name))
    return tuple(found)


def _test_spans(source: str) -> list[tuple[int, int, str, bool]]:
    """(first line, last line, "package.name", uses `with`) of each definition of a test rule."""
    package = _PACKAGE.search(source)
    if package is None:
        return []  # not a module: its compile error is reported with the first test, if any
    lines = source.split("\n")
    starts = [i for i, text in enumerate(lines) if _STATEMENT.match(text) and not _ELSE.match(text)]
    spans: list[tuple[int, int, str, bool]] = []
    for rule in _TEST_RULE.finditer(source):
        first = source.count("\n", 0, rule.start())  # 0-based
        last = next((s for s in starts if s > first), len(lines)) - 1
        uses_with = _WITH.search("\n".join(lines[first:last + 1])) is not None
        spans.append((first + 1, last + 1, f"{package[1]}.{rule[1]}", uses_with))
    return spans


def run_rego_tests(test_modules: Sequence[tuple[str, str]], modules: Sequence[tuple[str, str]],
                   data: Mapping[str, Any], *, name_filter: str | None = None,
                   timeout: float = 60.0) -> tuple[RegoTestResult, ...]:
    """One result per test of `test_modules` (see `discover_tests`), in that order.

    `modules`: (name, source) of every other module the tests need (the library and the
    user's rules); `data`: the data document. `timeout`: seconds one test may take (and the
    loading of the modules). Raises EngineUnavailableError when regopy cannot be had here,
    ValueError for an invalid `name_filter`. No tests: no child process, and ().
    """
    tests = discover_tests(test_modules, name_filter)
    if not tests:
        return ()
    payload = {"modules": [list(m) for m in modules], "data": data,
               "test_modules": [[name, source, _test_spans(source)] for name, source in test_modules]}
    results: list[RegoTestResult] = []
    solo = False
    while len(results) < len(tests):  # each round: a new child for the tests not yet reported
        pending = tests[len(results):]
        done, death = _run_child(payload, pending, solo, timeout)
        results.extend(done)
        if death is None:
            continue
        if not death.timed_out and not solo:
            solo = True  # the test in flight may not be the culprit: run it again, alone
            continue
        in_flight = pending[len(done)]
        message = (f"the embedded engine did not finish this test within {timeout:g} s and was stopped; "
                   "`opa test` runs it") if death.timed_out else \
            f"the embedded engine crashed on this test ({death.how}); {_OPA_HINT}"
        results.append(_result(in_flight, "error", message, timeout if death.timed_out else 0.0))
    return tuple(results)


def _run_child(payload: Mapping[str, Any], tests: Sequence[RegoTestCase], solo: bool,
               timeout: float) -> tuple[list[RegoTestResult], _Death | None]:
    """The results of a prefix of `tests`, and how the child died when that is not all of them."""
    job = json.dumps({**payload, "tests": [[t.package, t.name] for t in tests], "solo": solo},
                     ensure_ascii=True).encode("ascii")
    results: list[RegoTestResult] = []
    with tempfile.TemporaryFile() as stderr:  # the child's stderr: kept here, read only to explain a crash
        child = subprocess.Popen([sys.executable, "-m", _WORKER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=stderr, env=_child_env())
        assert child.stdin is not None and child.stdout is not None
        lines: queue.Queue[bytes | None] = queue.Queue()
        # Threads, not select(): a timeout on pipes that works on Windows too.
        threading.Thread(target=_feed, args=(child.stdin, job), daemon=True).start()
        threading.Thread(target=_read_lines, args=(child.stdout, lines), daemon=True).start()
        try:
            reply = _next(lines, timeout)
            if reply is not None and "unavailable" in reply:
                raise EngineUnavailableError(str(reply["unavailable"]))
            if reply is not None and "compile_error" in reply:
                error = str(reply["compile_error"])
                return _not_run(tests, error, error.partition(": does not compile")[0] + " does not compile"), None
            if reply is None or not reply.get("ready"):
                death = _death(child, stderr, timeout, reply is _TIMED_OUT)
                what = (f"did not load the modules within {timeout:g} s" if death.timed_out
                        else f"crashed while loading the modules ({death.how})")
                return _not_run(tests, f"the embedded engine {what}", "the embedded engine did not load the modules"), None
            for test in tests:
                reply = _next(lines, timeout)
                if reply is None or "outcome" not in reply:  # also _TIMED_OUT
                    return results, _death(child, stderr, timeout, reply is _TIMED_OUT)
                results.append(_result(test, str(reply["outcome"]), str(reply.get("message", "")),
                                       float(reply.get("seconds", 0.0))))
            return results, None
        finally:
            if child.poll() is None:
                child.kill()
            child.wait()
            child.stdout.close()


_TIMED_OUT: dict[str, Any] = {}  # a marker: no reply within the timeout


def _next(lines: queue.Queue[bytes | None], timeout: float) -> dict[str, Any] | None:
    """The child's next reply; None when it closed stdout (it died), `_TIMED_OUT` after `timeout`."""
    try:
        line = lines.get(timeout=timeout)
    except queue.Empty:
        return _TIMED_OUT
    if line is None:
        return None
    try:
        reply = json.loads(line)
    except ValueError:
        return None  # cannot happen (stdout carries only results): taken as a crash
    return reply if isinstance(reply, dict) else None


def _death(child: subprocess.Popen[bytes], stderr: IO[bytes], timeout: float, timed_out: bool) -> _Death:
    """How the child ended: after the timeout, or its signal or exit code and the engine's last words."""
    if timed_out:
        child.kill()
        child.wait()
        return _Death(f"stopped after {timeout:g} s", True)
    try:
        code = child.wait(timeout=10)  # it closed stdout: it is exiting
    except subprocess.TimeoutExpired:
        child.kill()
        code = child.wait()
    how = f"exit code {code}"
    if code < 0:
        try:
            how = f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            how = f"killed by signal {-code}"
    stderr.seek(0)
    said = [line for line in stderr.read()[-4096:].decode("utf-8", "replace").splitlines() if "what():" in line]
    if said:  # rego-cpp's uncaught C++ exception (SIGABRT) says what it choked on
        how += f": {' '.join(said[-1].split())[:200]}"
    return _Death(how, False)


def _not_run(tests: Sequence[RegoTestCase], first: str, cause: str) -> list[RegoTestResult]:
    """The first test carries the reason; the others say they were not run because of it."""
    return [_result(t, "error", first if i == 0 else f"not run: {cause}") for i, t in enumerate(tests)]


def _result(test: RegoTestCase, outcome: str, message: str, seconds: float = 0.0) -> RegoTestResult:
    return RegoTestResult(test.file, test.line, test.package, test.name, outcome, message, seconds)


def _feed(stream: IO[bytes], job: bytes) -> None:
    try:
        stream.write(job)
        stream.close()
    except OSError:
        pass  # the child died before reading it all: reported as its crash


def _read_lines(stream: IO[bytes], lines: queue.Queue[bytes | None]) -> None:
    for line in iter(stream.readline, b""):
        lines.put(line)
    lines.put(None)


def _child_env() -> dict[str, str]:
    """The parent's environment, with this pyiamguard importable by the child (a source tree
    run without installing it)."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return env
