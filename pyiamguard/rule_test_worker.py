"""The child process of `pyiamguard test`: `python -m pyiamguard.rule_test_worker`.

It runs Rego unit tests in the embedded engine, which can crash the whole process (a segfault
in regopy), so that the parent (`rule_tests`) loses only the test in flight.

Protocol. stdin: one JSON object
    {"modules": [[name, source], ...], "data": {...}, "tests": [[package, name], ...], "solo": false,
     "test_modules": [[name, source, [[first, last, key, uses_with], ...]], ...]}
(`first`, `last`: the 1-based lines of one definition of the test rule `key`, "package.name";
`uses_with`: whether it holds a `with`). stdout, one JSON line each, flushed at once:
- first `{"ready": true}` once every module is loaded, or `{"compile_error": "<file:line:col: ...>"}`
  or `{"unavailable": "<why>"}`, and nothing after those two;
- then per test, in order: `{"outcome": "pass"|"fail"|"error", "message": "...", "seconds": s}`.

Isolation. regopy compiles every loaded rule for each query, including a copy of the program
per `with` of every test rule: one test rule that crashes regopy makes every query crash, and
a few dozen `with` tests took gigabytes and seconds per query. So a test that uses `with` (every
test with `solo`) runs in an interpreter of its own where every other test rule is blanked
out, and the other tests share one interpreter where the `with` test rules are blanked out.
Blanked lines stay in place, so locations do not move; a module that no longer parses without
its test rules (a rule body written at column 0) is kept whole.

Nothing else ever reaches stdout: the real stdout is kept for the results, and file descriptor
1 points at stderr, which the parent keeps to itself (regopy's log, a stray print, a crash).
"""
from __future__ import annotations

import json
import os
import sys
import time
from typing import Any, BinaryIO, Collection, Mapping, Sequence

from .engine import RegoTestEngine
from .errors import EngineError, EngineUnavailableError


def _result_channel() -> BinaryIO:
    """The original stdout, for results only; fd 1 (C and Python writers alike) goes to stderr."""
    channel = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return channel


def _send(channel: BinaryIO, message: dict[str, Any]) -> None:
    channel.write(json.dumps(message).encode("ascii") + b"\n")
    channel.flush()  # the parent must have every finished test if the next one crashes the process


def keep_tests(test_modules: Sequence[Sequence[Any]], keep: Collection[str],
               whole: Sequence[bool] = ()) -> list[tuple[str, str]]:
    """The test modules with every test rule whose key is not in `keep` blanked out (all its
    definitions), except the modules marked in `whole`, kept as they are."""
    out: list[tuple[str, str]] = []
    for i, (name, source, spans) in enumerate(test_modules):
        lines = str(source).split("\n")
        for first, last, key, _ in ([] if i < len(whole) and whole[i] else spans):
            if key not in keep:
                lines[first - 1:last] = [""] * (last - first + 1)
        out.append((str(name), "\n".join(lines)))
    return out


def kept_whole(test_modules: Sequence[Sequence[Any]]) -> list[bool]:
    """Per test module, whether it must be kept whole: it no longer parses with its test rules
    blanked out (a rule's extent was misread: a body written at column 0)."""
    whole: list[bool] = []
    for module in test_modules:
        try:
            RegoTestEngine(keep_tests([module], ()), {})
            whole.append(False)
        except EngineError:
            whole.append(True)
    return whole


class _Runner:
    """Picks the interpreter of each test (see the module docstring)."""

    def __init__(self, job: Mapping[str, Any]) -> None:
        self._modules = [(str(n), str(s)) for n, s in job["modules"]]
        self._tests: list[Any] = job["test_modules"]
        self._given = self._modules + [(str(m[0]), str(m[1])) for m in self._tests]
        self._data = job["data"]
        self._solo = bool(job.get("solo"))
        self._with = {key for _, _, spans in self._tests for _, _, key, uses_with in spans if uses_with}
        self._all = {key for _, _, spans in self._tests for _, _, key, _ in spans}
        RegoTestEngine(self._given, self._data)  # the modules as written: where a compile error is found
        self._whole = kept_whole(self._tests)
        self._shared: RegoTestEngine | None = None

    def engine(self, key: str) -> RegoTestEngine:
        if self._solo or key in self._with:
            return self._build({key})
        if self._shared is None:
            self._shared = self._build(self._all - self._with)
        return self._shared

    def _build(self, keep: Collection[str]) -> RegoTestEngine:
        try:
            return RegoTestEngine(self._modules + keep_tests(self._tests, keep, self._whole), self._data)
        except EngineError:  # blanking broke a module after all: the modules as written
            return RegoTestEngine(self._given, self._data)


def main() -> int:
    channel = _result_channel()
    job = json.loads(sys.stdin.buffer.read())
    try:
        runner = _Runner(job)
    except EngineUnavailableError as exc:
        _send(channel, {"unavailable": str(exc)})
        return 0
    except EngineError as exc:
        _send(channel, {"compile_error": str(exc)})
        return 0
    _send(channel, {"ready": True})
    for package, name in job["tests"]:
        start = time.perf_counter()
        try:
            outcome, message = runner.engine(f"{package}.{name}").run_test(str(package), str(name))
        except Exception as exc:  # noqa: BLE001 - one test's failure, reported as its result
            outcome, message = "error", f"the embedded engine failed: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
        _send(channel, {"outcome": outcome, "message": message, "seconds": round(time.perf_counter() - start, 6)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
