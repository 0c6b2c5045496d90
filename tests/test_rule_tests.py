"""`pyiamguard test`: users' Rego unit tests run by the embedded engine in a child process.

Fixtures (tests/fixtures/rule_tests/): `basic` (pass, fail, error, duplicate, the `with` forms
regopy 1.5.2 runs), `crash` (a test that really segfaults regopy 1.5.2, between tests that do
not, and a module whose layout cannot be split rule by rule), `broken` (a module that does
not parse), `slow` (a test that outlives a short timeout).
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pyiamguard.errors import EngineUnavailableError
from pyiamguard.rule_test_worker import keep_tests
from pyiamguard.rule_tests import RegoTestResult, _test_spans, discover_tests, run_rego_tests

FIXTURES = Path(__file__).parent / "fixtures" / "rule_tests"
CRASHED = "the embedded engine crashed on this test"


def _load(folder: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]], dict[str, Any]]:
    """(test modules, other modules, data) of a fixture folder, named `<folder>/<file>`."""
    files = sorted((FIXTURES / folder).glob("*.rego"))
    named = [(f"{folder}/{f.name}", f.read_text()) for f in files]
    data_file = FIXTURES / folder / "data.json"
    data = json.loads(data_file.read_text()) if data_file.is_file() else {}
    return ([m for m in named if m[0].endswith("_test.rego")], [m for m in named if not m[0].endswith("_test.rego")],
            data)


def _run(folder: str, **options: Any) -> tuple[RegoTestResult, ...]:
    test_modules, modules, data = _load(folder)
    return run_rego_tests(test_modules, modules, data, **options)


def _outcomes(results: tuple[RegoTestResult, ...]) -> dict[str, str]:
    return {r.name: r.outcome for r in results}


@pytest.fixture(scope="module")
def basic() -> tuple[RegoTestResult, ...]:
    return _run("basic")


def test_pass_fail_and_error(basic: tuple[RegoTestResult, ...]) -> None:
    assert _outcomes(basic) == {
        "test_allow_alice": "pass",
        "test_suspended_alice_is_denied": "pass",
        "test_input_from_a_local_variable": "pass",
        "test_admins": "pass",
        "test_partner_from_data": "pass",
        "test_partner_with_data_override": "pass",
        "test_prefix_with_data_override": "pass",
        "test_value_false": "fail",
        "test_undefined": "fail",
        "test_builtin_error": "error",
        "test_duplicate": "pass",
    }
    by_name = {r.name: r for r in basic}
    first = by_name["test_allow_alice"]
    assert (first.file, first.line, first.package, first.message) == (
        "basic/rules_test.rego", 7, "fixture.rules_test", "")
    assert by_name["test_value_false"].message == "the rule is false or undefined"
    assert by_name["test_undefined"].message == "the rule is false or undefined"
    # to_number("x") with strict built-in errors: one line saying what failed.
    assert by_name["test_builtin_error"].message == "evaluation error: invalid syntax (eval_builtin_error)"
    assert all(0 < r.seconds < 10 for r in basic)


def test_results_follow_the_source_order(basic: tuple[RegoTestResult, ...]) -> None:
    assert [r.line for r in basic] == sorted(r.line for r in basic)


def test_a_test_defined_twice_is_one_test_at_its_first_line(basic: tuple[RegoTestResult, ...]) -> None:
    duplicates = [r for r in basic if r.name == "test_duplicate"]
    assert [(r.line, r.outcome) for r in duplicates] == [(50, "pass")]


def test_name_filter_is_a_regex_on_package_and_name() -> None:
    results = _run("basic", name_filter=r"rules_test\.test_partner")
    assert [r.name for r in results] == ["test_partner_from_data", "test_partner_with_data_override"]
    assert [r.name for r in _run("basic", name_filter="^fixture.rules_test.test_admins$")] == ["test_admins"]
    assert _run("basic", name_filter="no_such_test") == ()
    with pytest.raises(ValueError, match="invalid test name filter"):
        _run("basic", name_filter="test_(")


def test_a_module_that_does_not_compile_is_reported_once_with_its_location() -> None:
    results = _run("broken")
    assert [(r.name, r.outcome) for r in results] == [("test_one", "error"), ("test_two", "error")]
    assert results[0].message == "broken/rules.rego:6:13: does not compile: Invalid boolean operator"
    assert results[1].message == "not run: broken/rules.rego:6:13 does not compile"


def test_a_crash_costs_only_the_test_in_flight() -> None:
    """`crash.not_bob with input as {...}`, where not_bob uses `!=`, segfaults regopy 1.5.2;
    the tests around it (even in the same module) still report, and OPA runs it."""
    results = _run("crash")
    assert _outcomes(results) == {
        "test_body_at_column_zero": "pass",
        "test_else_on_its_own_line": "pass",
        "test_before": "pass",
        "test_not_equal_crashes_regopy": "error",
        "test_after": "pass",
        "test_after_fails": "fail",
    }
    crashed = next(r for r in results if r.outcome == "error")
    assert (crashed.file, crashed.line) == ("crash/rules_test.rego", 11)
    assert crashed.message.startswith(CRASHED)
    assert "`opa test` runs it" in crashed.message
    if sys.platform != "win32":
        assert "killed by signal SIGSEGV" in crashed.message


def test_a_test_that_outlives_the_timeout_is_stopped() -> None:
    results = _run("slow", timeout=1.0)
    assert _outcomes(results) == {"test_slow": "error", "test_quick": "pass"}
    assert results[0].message.startswith("the embedded engine did not finish this test within 1 s")


def test_modules_that_do_not_load_in_time() -> None:
    results = _run("basic", timeout=0.001)  # not even time to start the child
    assert results[0].message == "the embedded engine did not load the modules within 0.001 s"
    assert {r.message for r in results[1:]} == {"not run: the embedded engine did not load the modules"}
    assert {r.outcome for r in results} == {"error"}


def test_evaluation_errors_are_one_line_reasons() -> None:
    """In process: these do not crash regopy."""
    from pyiamguard.engine import RegoTestEngine

    engine = RegoTestEngine([("e_test.rego", "package e_test\n\nimport rego.v1\n\n"
                                             "test_unknown if nosuch(1)\n\ntest_div if 1 / 0\n\n"
                                             "test_number := 5\n\ntest_ok if true\n")], {})
    assert engine.run_test("e_test", "test_unknown") == ("error", "evaluation error: Function not found: nosuch")
    assert engine.run_test("e_test", "test_div") == ("error", "evaluation error: divide by zero (eval_builtin_error)")
    assert engine.run_test("e_test", "test_number") == ("fail", "the rule's value is 5, not true")
    assert engine.run_test("e_test", "test_ok") == ("pass", "")


def test_nothing_reaches_the_callers_output(capfd: pytest.CaptureFixture[str]) -> None:
    _run("crash")
    _run("broken")
    assert capfd.readouterr() == ("", "")


def test_the_workers_stdout_carries_only_results() -> None:
    """Anything else written on stdout in the worker (C or Python) lands on its stderr."""
    script = ("import os; from pyiamguard.rule_test_worker import _result_channel, _send\n"
              "channel = _result_channel()\nprint('stray', flush=True)\nos.write(1, b'native\\n')\n"
              "_send(channel, {'ready': True})\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert done.stdout == b'{"ready": true}\n'
    assert done.stderr == b"stray\nnative\n"


def test_no_engine_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "regopy").mkdir()
    (tmp_path / "regopy" / "__init__.py").write_text("raise ImportError('not on this machine')\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    with pytest.raises(EngineUnavailableError, match="not on this machine"):
        _run("basic")


def test_no_tests_no_child() -> None:
    assert run_rego_tests([("x_test.rego", "package x_test\n\nhelper := 1\n")], [], {}) == ()


def test_discovery() -> None:
    source = (FIXTURES / "basic" / "rules_test.rego").read_text()
    found = discover_tests([("a_test.rego", source), ("b_test.rego", source)])
    assert len(found) == 11  # the second file defines the same tests in the same package
    assert {t.file for t in found} == {"a_test.rego"}
    assert discover_tests([("x.rego", "test_a := true\n")]) == ()  # no package: not a module


def test_blanking_keeps_one_test_and_every_line_in_place() -> None:
    source = (FIXTURES / "basic" / "rules_test.rego").read_text()
    spans = _test_spans(source)
    assert [s for s in spans if s[2].endswith("test_duplicate")] == [
        (50, 53, "fixture.rules_test.test_duplicate", False), (54, 57, "fixture.rules_test.test_duplicate", True)]
    [(name, kept)] = keep_tests([("a_test.rego", source, spans)], {"fixture.rules_test.test_admins"})
    assert kept.count("\n") == source.count("\n")
    assert re.findall(r"^test_\w+", kept, re.M) == ["test_admins"]
    assert kept.split("\n")[19:23] == source.split("\n")[19:23]


# --- the same outcomes as real OPA (`opa test`) --------------------------------------------


@pytest.fixture(scope="session")
def oracle_script(shared_dir: Path) -> Path:
    return shared_dir / "tools" / "opa_oracle.py"


def _opa_failures(oracle_script: Path, folder: str) -> tuple[set[str], int]:
    """The names of the tests `opa test` fails (failures and errors alike), and its test count."""
    done = subprocess.run([sys.executable, str(oracle_script), "test", str(FIXTURES / folder)],
                          capture_output=True, text=True, timeout=600)
    total = re.search(r"^PASS: [0-9]+/([0-9]+)$", done.stdout, re.M)
    assert total is not None, done.stdout + done.stderr
    return set(re.findall(r"^FAIL [^\n]*: (test_\w+) \(", done.stdout, re.M)), int(total[1])


@pytest.mark.parametrize("folder", ["basic", "crash"])
def test_outcomes_agree_with_opa(folder: str, oracle_script: Path) -> None:
    """Pass or not, test by test; a test regopy crashes on is one OPA passes (so the message's
    advice to run it with `opa test` holds)."""
    failures, total = _opa_failures(oracle_script, folder)
    results = _run(folder)
    assert total == len(results)
    crashed = {r.name for r in results if r.message.startswith(CRASHED)}
    assert crashed == ({"test_not_equal_crashes_regopy"} if folder == "crash" else set())
    assert not crashed & failures
    assert {r.name for r in results if r.outcome != "pass"} - crashed == failures
