"""The examples convention of rule folders: `examples/expected.yaml` beside a rule lists, per
example file, every violation of the folder's rules it must produce (and nothing else).

    examples:
    - file: violating_vendor.json          # relative to expected.yaml
      config: {trusted_accounts: ['444455556666']}   # optional configuration keys
      violations:
      - [ACME-001, HIGH, $.Statement[0].Principal.AWS, 7]   # rule, severity, JSONPath, line

Only the rules of the folders under test are compared: built-in rules also report on the
examples, and their findings are theirs to test. `pyiamguard test` runs these beside the Rego
unit tests.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from .config import Config
from .errors import ConfigError, PyiamguardError


@dataclass(frozen=True)
class ExampleResult:
    """One example of an expected.yaml: `pass`, `fail` (the violations differ: `message` says
    how) or `error` (the example or its entry cannot be checked)."""

    expected: str  # the expected.yaml file
    file: str  # the example file
    outcome: str
    message: str = ""


def expected_files(directories: Iterable[Path]) -> list[Path]:
    return sorted({p for d in directories for p in Path(d).rglob("expected.yaml") if p.parent.name == "examples"})


def check_examples(directories: Sequence[Path], base: Config, rule_ids: Iterable[str]) -> tuple[ExampleResult, ...]:
    """Scan every example of the folders' expected.yaml files with the folders' rules (and the
    `base` configuration under each entry's own keys) and compare the violations of `rule_ids`."""
    import yaml

    from .config import config_from_mapping
    from .scanner import Scanner

    tested = set(rule_ids)
    scanners: dict[str, Scanner] = {}
    results: list[ExampleResult] = []
    for expected in expected_files(directories):
        shown = expected.as_posix()
        try:
            entries = (yaml.safe_load(expected.read_text(encoding="utf-8")) or {}).get("examples")
        except (OSError, UnicodeDecodeError, yaml.YAMLError, AttributeError) as exc:
            results.append(ExampleResult(shown, "", "error", f"cannot read it: {' '.join(str(exc).split())[:200]}"))
            continue
        if not isinstance(entries, list) or not entries:
            results.append(ExampleResult(shown, "", "error", "expected a non-empty `examples:` list"))
            continue
        for index, entry in enumerate(entries):
            results.append(_check_entry(expected, index, entry, base, directories, tested, scanners,
                                        config_from_mapping, Scanner))
    return tuple(results)


def _check_entry(expected: Path, index: int, entry: Any, base: Config, directories: Sequence[Path], tested: set[str],
                 scanners: dict[str, Any], config_from_mapping: Any, scanner_class: Any) -> ExampleResult:
    shown = expected.as_posix()
    if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
        return ExampleResult(shown, f"examples[{index}]", "error", "each example needs a `file`")
    example = expected.parent / entry["file"]
    label = example.as_posix()
    if not example.is_file():
        return ExampleResult(shown, label, "error", "the example file does not exist")
    try:
        want = sorted(_violation_row(row) for row in entry.get("violations") or [])
    except (TypeError, ValueError) as exc:
        return ExampleResult(shown, label, "error", f"violations: {exc}")
    keys = dict(entry.get("config") or {})
    data = keys.get("policy_data")
    if isinstance(data, str) and not Path(data).is_absolute():
        keys["policy_data"] = str(expected.parent / data)
    cache_key = json.dumps(keys, sort_keys=True, default=str)
    try:
        if cache_key not in scanners:
            merged = {**_config_keys(base), **keys, "policy_dirs": [str(d) for d in directories]}
            scanners[cache_key] = scanner_class(config_from_mapping(merged))
        report = scanners[cache_key].scan([example])
    except PyiamguardError as exc:
        return ExampleResult(shown, label, "error", f"config: {exc}")
    if report.errors:
        return ExampleResult(shown, label, "error", "; ".join(e.one_line() for e in report.errors))
    got = sorted((v.rule_id, v.severity.value, v.path, v.line) for v in report.violations if v.rule_id in tested)
    if got == want:
        return ExampleResult(shown, label, "pass")
    missing = [row for row in want if row not in got]
    extra = [row for row in got if row not in want]
    parts = [f"missing {_row_text(row)}" for row in missing] + [f"unexpected {_row_text(row)}" for row in extra]
    return ExampleResult(shown, label, "fail", "; ".join(parts))


def _violation_row(row: Any) -> tuple[str, str, str, int]:
    if not isinstance(row, (list, tuple)) or len(row) != 4:
        raise ValueError(f"{row!r} is not [rule, severity, JSONPath, line]")
    rule, severity, path, line = row
    return str(rule).upper(), str(severity).upper(), str(path), int(line)


def _row_text(row: tuple[str, str, str, int]) -> str:
    return f"[{row[0]}, {row[1]}, {row[2]}, {row[3]}]"


def _config_keys(config: Config) -> dict[str, Any]:
    """The configuration's keys as a mapping Config() takes again (policy_dirs aside)."""
    from dataclasses import fields

    out: dict[str, Any] = {}
    for item in fields(config):
        if item.name != "policy_dirs":
            out[item.name] = getattr(config, item.name)
    return out


def check_examples_isolated(directories: Sequence[Path], config_file: str | None,
                            rule_ids: Iterable[str]) -> tuple[ExampleResult, ...]:
    """`check_examples` in a child process: a rule that crashes the embedded engine (regopy
    can segfault on some Rego) is then an error of each expected.yaml, never a crash of
    `pyiamguard test` itself."""
    import subprocess
    import sys

    job = {"dirs": [str(d) for d in directories], "config": config_file, "rules": sorted(rule_ids)}
    try:
        done = subprocess.run([sys.executable, "-m", "pyiamguard.rule_examples"], input=json.dumps(job),
                              capture_output=True, text=True, timeout=1800)
    except subprocess.TimeoutExpired:
        return _all_errors(directories, "the examples did not finish within 30 minutes")
    if done.returncode != 0:
        reason = (f"killed by signal {_signal_name(-done.returncode)}" if done.returncode < 0
                  else f"exit code {done.returncode}")
        return _all_errors(directories, f"the embedded engine crashed while scanning the examples ({reason}): a "
                                        "rule uses Rego that regopy cannot run; `pyiamguard test` of one rule "
                                        "folder at a time finds which")
    return tuple(ExampleResult(**item) for item in json.loads(done.stdout))


def _signal_name(number: int) -> str:
    import signal

    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def _all_errors(directories: Sequence[Path], message: str) -> tuple[ExampleResult, ...]:
    return tuple(ExampleResult(p.as_posix(), "", "error", message) for p in expected_files(directories))


def _main() -> None:
    """The child of `check_examples_isolated`: the job on stdin, the results on stdout."""
    import sys
    from dataclasses import asdict

    from .config import find_config, load_config

    job = json.loads(sys.stdin.read())
    path = job["config"] or find_config(".")
    config = load_config(path) if path else Config()
    results = check_examples([Path(d) for d in job["dirs"]], config, job["rules"])
    sys.stdout.write(json.dumps([asdict(r) for r in results]))


if __name__ == "__main__":
    _main()


__all__ = ["ExampleResult", "check_examples", "check_examples_isolated", "expected_files", "ConfigError"]
