"""The `pyiamguard` command: parse arguments, build the config, scan, report, exit code.

Exit codes: 0 no violation at or above the fail-on severity; 1 violations at or above it;
2 any input, configuration, engine or internal error (the report of everything else is still
written). Fail-closed: `--fail-on` never turns an error into success; only `--ignore-errors`
lets the exit code depend on violations alone, and the reports then say errors were ignored. Heavy modules (the scanner, regopy, PyYAML) are imported only when a command needs
them, so `pyiamguard --version` and `--help` stay fast.
"""
from __future__ import annotations

import argparse
import dataclasses
import gc
import os
import sys
import textwrap
from typing import Any, NoReturn, Sequence, TextIO

EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_ERROR = 2

PROG = "pyiamguard"

# CLI flag -> configuration key: flags replace the value of the same key in the config file.
_LIST_FLAGS = {
    "own_accounts": "--own-account",
    "trusted_accounts": "--trusted-account",
    "internal_accounts": "--internal-account",
    "trusted_org_ids": "--trusted-org-id",
    "gitlab_hosts": "--gitlab-host",
}
_FLAG_OF_KEY = {**_LIST_FLAGS, "require_mfa": "--require-mfa", "fail_on": "--fail-on"}

FORMATS = ("text", "json", "sarif", "junit", "github")


class UsageError(Exception):
    """A command line or configuration problem: one line on stderr, exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (never raises, never shows a traceback)."""
    # A scan allocates millions of small, mostly acyclic objects that live for the whole file;
    # the default collector thresholds re-walk them so often that a third of a large scan went
    # to it (bench/README.md). This process is ours: collect less often. The library leaves
    # the host's settings alone.
    gc.set_threshold(10_000, 10, 10)
    try:
        return _run(list(sys.argv[1:] if argv is None else argv))
    except UsageError as exc:
        _error_line(f"{PROG}: error: {_one_line(exc)}")
        return EXIT_ERROR
    except SystemExit as exc:  # --help and --version exit through argparse
        return exc.code if isinstance(exc.code, int) else (EXIT_OK if exc.code is None else EXIT_ERROR)
    except KeyboardInterrupt:
        _error_line(f"{PROG}: interrupted")
        return 130
    except BrokenPipeError:
        # The reader (`| head`) went away: stop quietly, and keep Python from complaining at exit.
        _silence_stdout()
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback for users
        if os.environ.get("PYIAMGUARD_DEBUG") == "1":
            import traceback

            traceback.print_exc()
        _error_line(f"{PROG}: internal error: {type(exc).__name__}: {_one_line(exc)}")
        return EXIT_ERROR


def _run(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if args.command == "scan":
        return _scan(args)
    if args.command == "rules":
        return _rules(args)
    raise UsageError(f"missing command: scan or rules (see '{PROG} --help')")


def _parser() -> _Parser:
    from . import __version__

    parser = _Parser(
        prog=PROG,
        description="Find dangerous AWS IAM role trust policies.",
        epilog="Exit codes: 0 clean, 1 violations at or above --fail-on, 2 errors.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    scan = commands.add_parser(
        "scan",
        help="scan files and directories",
        description="Scan IAM policy files and directories (*.json, *.yaml, *.yml, *.template).",
        epilog="Flags replace the value of the same key in the configuration file. "
        "Exit codes: 0 clean, 1 violations at or above --fail-on, 2 errors.",
    )
    scan.add_argument("paths", nargs="+", metavar="PATH", help="file or directory to scan")
    scan.add_argument(
        "--format",
        action="append",
        type=_format_spec,
        metavar="FORMAT[=FILE]",
        help=f"report format: {', '.join(FORMATS)} (default: text); repeatable, FORMAT=FILE writes that "
        "format to FILE (e.g. --format sarif=out.sarif --format text)",
    )
    scan.add_argument("--output", "-o", metavar="FILE",
                      help="write the report (of the --format without =FILE) to FILE instead of stdout")
    scan.add_argument(
        "--config", metavar="FILE", help="configuration file (default: .pyiamguard.yaml in the working directory)"
    )
    scan.add_argument(
        "--fail-on",
        metavar="SEVERITY",
        help="lowest severity that fails the scan: critical, high, medium, low, info (default: low)",
    )
    for key, flag in _LIST_FLAGS.items():
        scan.add_argument(
            flag, dest=key, action="append", metavar="HOST" if key == "gitlab_hosts" else "ID", help=f"{key} entry (repeatable; replaces the file's list)"
        )
    scan.add_argument("--require-mfa", metavar="people|all|off", help="which cross-account principals need MFA")
    scan.add_argument(
        "--tf-source", metavar="DIR", help="Terraform configuration of the scanned plans: name the .tf block of each finding"
    )
    scan.add_argument(
        "--skip-unrecognized", action="store_true",
        help="skip named files that are not IAM, Terraform or CloudFormation documents, as a directory walk does "
        "(for pre-commit, which names every changed JSON and YAML file)",
    )
    scan.add_argument(
        "--jobs", "-j", metavar="N", type=_jobs,
        help="processes that evaluate documents when a scan has many distinct ones (default: the CPUs "
        "available, at most 8; 1: none). Results do not depend on it",
    )
    scan.add_argument(
        "--ignore-errors", action="store_true",
        help="input and engine errors no longer force exit code 2: the exit code depends on violations only "
        "(the errors are still reported, and the report says they were ignored)",
    )
    baseline = scan.add_mutually_exclusive_group()
    baseline.add_argument("--baseline", metavar="FILE",
                          help="report only findings not recorded in FILE (written by --write-baseline)")
    baseline.add_argument("--write-baseline", metavar="FILE",
                          help="record today's findings in FILE; exit 0 unless there are errors")
    scan.add_argument("-v", "--verbose", action="store_true", help="list skipped files on stderr")

    rules = commands.add_parser("rules", help="list the rules, or show one", description="List the rules, or show one.")
    rules.add_argument("rule_id", nargs="?", metavar="RULE_ID", help="a rule id such as IAMG-103")
    return parser


# --- scan -----------------------------------------------------------------------------------


def _format_spec(value: str) -> tuple[str, str | None]:
    """`FORMAT` or `FORMAT=FILE` -> (format, file or None)."""
    name, sep, file = value.partition("=")
    name = name.strip().lower()
    if name not in FORMATS:
        raise argparse.ArgumentTypeError(
            f"invalid choice: {name!r} (choose from {', '.join(repr(f) for f in FORMATS)})")
    if sep and not file:
        raise argparse.ArgumentTypeError(f"{value!r}: a file name must follow '='")
    return name, (file or None)


def _outputs(args: argparse.Namespace) -> list[tuple[str, str | None]]:
    """(format, file or None for stdout) for every report to write, checked before scanning."""
    specs = args.format or [("text", None)]
    outputs = [(name, file if file is not None else args.output) for name, file in specs]
    to_default = [name for name, file in specs if file is None]
    if args.output is not None and not to_default:
        raise UsageError("--output FILE is for a --format without =FILE; every --format here names its file")
    if len(to_default) > 1:
        where = f"--output {args.output}" if args.output is not None else "stdout"
        raise UsageError(f"only one --format can go to {where} ({', '.join(to_default)} would); "
                         "give the others a file, as in --format sarif=report.sarif")
    seen: dict[str, str] = {}
    targets = [(name, file) for name, file in outputs if file is not None]
    if args.write_baseline:
        targets.append(("--write-baseline", args.write_baseline))
    for name, file in targets:
        key = os.path.abspath(file)
        if key in seen:
            raise UsageError(f"{file} would be written twice ({seen[key]} and {name}); give each its own file")
        seen[key] = name
    return outputs


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of processes, got {text!r}") from None
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError(f"expected 1 to 64 processes, got {value}")
    return value


def _scan(args: argparse.Namespace) -> int:
    outputs = _outputs(args)
    config = _build_config(args)
    from . import baseline as baselines
    from . import scanner
    from .engine import default_workers
    from .loaders.hcl_index import TfSourceError

    known = None
    if args.baseline is not None:
        try:
            known = baselines.load_baseline(args.baseline)
        except baselines.BaselineError as exc:
            raise UsageError(str(exc)) from None
    try:
        report = scanner.scan(args.paths, config, tf_source=args.tf_source, skip_unrecognized=args.skip_unrecognized,
                              jobs=args.jobs or default_workers())
    except TfSourceError as exc:
        raise UsageError(f"--tf-source {exc}") from None
    base_dir = os.getcwd()
    if known is not None:
        report = baselines.apply_baseline(report, known, base_dir)
    if args.ignore_errors:
        report = dataclasses.replace(report, errors_ignored=True)
    if args.write_baseline:
        _write_report(baselines.render_baseline(report, base_dir), args.write_baseline)

    if args.verbose:
        for file, reason in report.skipped_files:
            _error_line(f"skipped: {file}: {reason}")
    if any(name == "text" for name, _ in outputs):
        for error in report.errors:
            _error_line(f"error: {error.one_line()}")
    rendered = [(_render(name, report, config, base_dir, color=file is None and _wants_color(sys.stdout)), file)
                for name, file in outputs]
    for text, file in sorted(rendered, key=lambda item: item[1] is None):  # files first, stdout last
        _write_report(text, file)

    if report.errors and not args.ignore_errors:
        return EXIT_ERROR  # fail-closed: --fail-on alone never turns an error into success
    if args.write_baseline:
        return EXIT_OK  # today's findings are now the accepted baseline
    return EXIT_VIOLATIONS if report.fails(config.fail_on) else EXIT_OK


def _render(name: str, report: Any, config: Any, base_dir: str, *, color: bool) -> str:
    """One report format; every module under `reporters/` is a pure function of the report."""
    from . import __version__

    if name == "json":
        from .reporters import json_report

        return json_report.render(report, tool_version=__version__)
    if name == "sarif":
        from .catalog import load_policy_set
        from .reporters import sarif

        return sarif.render(report, load_policy_set().rules, tool_version=__version__, base_dir=base_dir,
                            severity_overrides=config.severity_overrides, disabled_rules=config.disabled_rules)
    if name == "junit":
        from .catalog import load_policy_set
        from .reporters import junit

        return junit.render(report, load_policy_set().rules, base_dir=base_dir, disabled_rules=config.disabled_rules)
    if name == "github":
        from .reporters import github

        return github.render(report, base_dir=base_dir)
    from .reporters import text as text_report

    return text_report.render(report, color=color)


def _build_config(args: argparse.Namespace) -> Any:
    from .config import Config, ConfigError, find_config, load_config

    path = args.config or find_config(".")
    try:
        config = load_config(path) if path else Config()
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    overrides: dict[str, Any] = {key: getattr(args, key) for key in _LIST_FLAGS if getattr(args, key)}
    if args.require_mfa is not None:
        overrides["require_mfa"] = args.require_mfa
    if args.fail_on is not None:
        overrides["fail_on"] = args.fail_on
    if not overrides:
        return config
    try:
        return config.with_overrides(**overrides)
    except ConfigError as exc:
        raise UsageError(_flag_message(str(exc), overrides)) from None


def _flag_message(message: str, overridden: dict[str, Any]) -> str:
    """Name the flag, not the config key, when a flag value is what is wrong."""
    for key in overridden:
        if message.startswith(f"{key}:"):
            return _FLAG_OF_KEY[key] + message[len(key):]
    return message


def _wants_color(stream: TextIO) -> bool:
    if "NO_COLOR" in os.environ:
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _write_report(text: str, output: str | None) -> None:
    if output is None:
        try:
            _write(sys.stdout, text)
            sys.stdout.flush()
        except BrokenPipeError:
            _silence_stdout()  # the reader (`| head`) went away; the exit code still tells
        return
    try:
        with open(output, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None


# --- rules ----------------------------------------------------------------------------------


def _rules(args: argparse.Namespace) -> int:
    from .catalog import load_policy_set

    policy_set = load_policy_set()
    if args.rule_id is None:
        rules = policy_set.rules
        id_width = max(len(r.rule_id) for r in rules)
        sev_width = max(len(r.severity.value) for r in rules)
        lines = [f"{'ID'.ljust(id_width)}  {'SEVERITY'.ljust(sev_width)}  TITLE"]
        lines += [f"{r.rule_id.ljust(id_width)}  {r.severity.value.ljust(sev_width)}  {r.title}" for r in rules]
        _write(sys.stdout, "\n".join(lines) + "\n")
        return EXIT_OK

    rule = policy_set.rule(args.rule_id.strip().upper())
    if rule is None:
        raise UsageError(f"unknown rule {args.rule_id!r} (see '{PROG} rules')")
    lines = [f"{rule.rule_id}  {rule.name}"]
    for label, value in (
        ("severity", rule.severity.value),
        ("category", rule.category),
        ("title", rule.title),
        ("description", rule.description),
        ("remediation", rule.remediation),
    ):
        lines.append(textwrap.fill(value, width=100, initial_indent=f"{label + ':':<13}", subsequent_indent=" " * 13))
    if rule.related:
        lines.append("related:")
        lines += [f"  {ref}" for ref in rule.related]
    _write(sys.stdout, "\n".join(lines) + "\n")
    return EXIT_OK


# --- output helpers -------------------------------------------------------------------------


def _write(stream: TextIO, text: str) -> None:
    """Write text; characters the stream's encoding cannot show become escapes, not a crash."""
    try:
        stream.write(text)
    except UnicodeEncodeError:
        encoding = getattr(stream, "encoding", None) or "ascii"
        stream.write(text.encode(encoding, "backslashreplace").decode(encoding))


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _error_line(line: str) -> None:
    _write(sys.stderr, line + "\n")


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
