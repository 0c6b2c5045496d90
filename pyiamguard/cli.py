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
import json
import os
import sys
import textwrap
from typing import Any, NoReturn, Sequence, TextIO

from .suggest import did_you_mean, unknown_rule

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
_FLAG_OF_KEY = {**_LIST_FLAGS, "require_mfa": "--require-mfa", "fail_on": "--fail-on", "skip_paths": "--skip-path",
                "disabled_rules": "--skip-rule"}

FORMATS = ("text", "json", "sarif", "junit", "github", "markdown")
COMMANDS = ("scan", "rules", "inspect", "test", "new-rule", "bundle", "graph", "simulate", "explain", "prove")
VIEWS = ("auto", "detailed", "compact")
COLORS = ("auto", "always", "never")


class UsageError(Exception):
    """A command line or configuration problem: one line on stderr (after the command's usage
    line when the command line itself is wrong), exit 2."""

    def __init__(self, message: str, usage: str | None = None) -> None:
        super().__init__(message)
        self.usage = usage


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message}{_choice_hint(message)} (see '{self.prog} --help')", usage=self.format_usage())


def _choice_hint(message: str) -> str:
    """" (did you mean 'scan'?)" for argparse's "invalid choice: 'scna' (choose from ...)"."""
    import re

    found = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
    if not found:
        return ""
    choices = re.findall(r"'([^']*)'", found.group(2)) or [c.strip() for c in found.group(2).split(",")]
    return did_you_mean(found.group(1), choices)


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
        if exc.usage:
            _write(sys.stderr, exc.usage if exc.usage.endswith("\n") else exc.usage + "\n")
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
    parser, commands = _parser()
    args, extras = parser.parse_known_args(argv)
    if extras:
        raise _unrecognized(extras, commands.get(args.command or "", parser))
    if args.command == "scan":
        return _scan(args)
    if args.command == "rules":
        return _rules(args)
    if args.command == "inspect":
        return _inspect(args)
    if args.command == "test":
        return _test(args)
    if args.command == "new-rule":
        return _new_rule(args)
    if args.command == "bundle":
        return _bundle(args)
    if args.command == "graph":
        from .graph_command import run as run_graph

        return run_graph(args)
    if args.command == "prove":
        from .prove_command import run as run_prove

        return run_prove(args)
    if args.command in ("simulate", "explain"):
        from . import simulate_command

        return simulate_command.run_simulate(args) if args.command == "simulate" else simulate_command.run_explain(args)
    raise UsageError(f"missing command: {', '.join(COMMANDS)} (see '{PROG} --help')", usage=parser.format_usage())


def _unrecognized(extras: list[str], parser: argparse.ArgumentParser) -> UsageError:
    """The first unknown argument, with the closest option of that command when there is one."""
    first = extras[0]
    options = [option for action in parser._actions for option in action.option_strings]
    word = first.split("=", 1)[0]
    hint = did_you_mean(word, options) if word.startswith("-") else ""
    kind = "option" if word.startswith("-") else "argument"
    return UsageError(f"unrecognized {kind} {first!r}{hint} (see '{parser.prog} --help')", usage=parser.format_usage())


def _parser() -> tuple[_Parser, dict[str, _Parser]]:
    from . import __version__

    parser = _Parser(
        prog=PROG,
        usage="%(prog)s [--version] COMMAND ...",
        description="Find dangerous AWS IAM role trust policies.",
        epilog="Exit codes: 0 clean, 1 violations at or above --fail-on, 2 errors or nothing to check.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    scan = commands.add_parser(
        "scan",
        prog=f"{PROG} scan",
        usage="%(prog)s [options] PATH...",
        help="scan files and directories",
        description="Scan IAM policy files, Terraform plans (terraform show -json) and CloudFormation templates: "
        "files and directories (*.json, *.yaml, *.yml, *.template), or - for standard input.",
        epilog="Flags replace the value of the same key in the configuration file; --skip-path and --skip-rule add "
        "to it. Exit codes: 0 clean, 1 violations at or above --fail-on, 2 errors or nothing to check.",
    )
    scan.add_argument("paths", nargs="+", metavar="PATH", help="file or directory to scan; - reads standard input")
    report = scan.add_argument_group("report")
    report.add_argument(
        "--format",
        action="append",
        type=_format_spec,
        metavar="FORMAT[=FILE]",
        help=f"report format: {', '.join(FORMATS)} (default: text); repeatable, FORMAT=FILE writes that "
        "format to FILE (e.g. --format sarif=out.sarif --format text)",
    )
    report.add_argument("--output", "-o", metavar="FILE",
                        help="write the report (of the --format without =FILE) to FILE instead of stdout")
    report.add_argument("--view", choices=VIEWS, default="auto",
                        help="text report: detailed (path and fix under every finding), compact (one line per "
                        "finding, each fix once per rule) or auto (default: detailed up to "
                        f"{_compact_threshold()} findings, compact above)")
    report.add_argument("--color", choices=COLORS, default="auto",
                        help="colour in the text report on stdout: auto (default: on a terminal, unless NO_COLOR "
                        "is set or TERM=dumb), always, never")
    chatter = report.add_mutually_exclusive_group()
    chatter.add_argument("-v", "--verbose", action="store_true", help="list skipped files on stderr")
    chatter.add_argument("-q", "--quiet", action="store_true",
                         help="no progress line and no notes on stderr (errors are still printed)")
    report.add_argument("--severity", action="append", type=_severity_list, metavar="SEVERITY[,SEVERITY]",
                        help="report only findings of these severities (repeatable or comma-separated, "
                        "e.g. --severity critical,high); the others are left out of the report and the exit code")

    selection = scan.add_argument_group("what to scan")
    selection.add_argument("--skip-path", dest="skip_paths", action="append", metavar="GLOB",
                           help="leave out files and directories matching GLOB: the path, the path under the "
                           "scanned directory or the name (repeatable; adds to skip_paths)")
    selection.add_argument("--rule", dest="rules", action="append", type=_rule_list, metavar="ID[,ID]",
                           help="run only these rules (repeatable or comma-separated)")
    selection.add_argument("--skip-rule", dest="skip_rules", action="append", type=_rule_list, metavar="ID[,ID]",
                           help="do not run these rules (repeatable or comma-separated; adds to disabled_rules)")
    selection.add_argument("--skip-unrecognized", action="store_true",
                           help="skip named files that are not IAM, Terraform or CloudFormation documents, as a "
                           "directory walk does (for pre-commit, which names every changed file)")
    selection.add_argument("--allow-empty", action="store_true",
                           help="a scan that finds nothing to check exits 0 instead of 2 (allow_empty)")
    selection.add_argument("--stdin-name", metavar="NAME", default="<stdin>",
                           help="the file name reports give standard input (-) (default: <stdin>)")
    selection.add_argument("--tf-source", metavar="DIR",
                           help="Terraform configuration of the scanned plans: findings point at the .tf block")

    policy = scan.add_argument_group("configuration")
    policy.add_argument("--config", metavar="FILE",
                        help="configuration file (default: .pyiamguard.yaml or .pyiamguard.yml in the working "
                        "directory)")
    _policy_option(policy)
    policy.add_argument("--fail-on", metavar="SEVERITY",
                        help="lowest severity that fails the scan: critical, high, medium, low, info (default: "
                        "fail_on of the configuration file, else low)")
    for key, flag in _LIST_FLAGS.items():
        policy.add_argument(flag, dest=key, action="append", metavar="HOST" if key == "gitlab_hosts" else "ID",
                            help=f"{key} entry (repeatable; replaces the file's list)")
    policy.add_argument("--require-mfa", metavar="people|all|off", help="which cross-account principals need MFA")
    policy.add_argument("--ignore-errors", action="store_true",
                        help="input and engine errors no longer force exit code 2: the exit code depends on "
                        "violations only (the errors are still reported, and the report says they were ignored)")
    baseline = policy.add_mutually_exclusive_group()
    change = scan.add_argument_group("change-aware scans (plans compare with their prior state by themselves)")
    compared = change.add_mutually_exclusive_group()
    compared.add_argument("--compare-to", metavar="PATH",
                          help="the previous version of the scanned path (of the current directory with several "
                               "paths): findings are new, changed or existing, and the gone ones resolved")
    compared.add_argument("--compare-to-git", metavar="REF",
                          help="compare with the same paths at git revision REF (a branch, tag or commit)")
    scan.add_argument("--prove", action="store_true",
                      help="hold the rules' verdicts to the SMT model (pyiamguard prove): a disagreement is an error "
                           "(needs pip install 'pyiamguard[prove]')")
    change.add_argument("--sarif-resolved", action="store_true",
                        help="SARIF: resolved findings as results with baselineState absent, for tools that honour "
                             "it (GitHub code scanning does not: it would raise them as alerts)")
    change.add_argument("--fail-on-new", action="store_true",
                        help="only new and changed findings fail the scan; existing ones are reported (fail_on_new)")
    baseline.add_argument("--baseline", metavar="FILE",
                          help="report only findings not recorded in FILE (written by --write-baseline)")
    baseline.add_argument("--write-baseline", metavar="FILE",
                          help="record today's findings in FILE; exit 0 unless there are errors")
    policy.add_argument("--jobs", "-j", metavar="N", type=_jobs,
                        help="processes that evaluate documents when a scan has many distinct ones (default: the "
                        "CPUs available, at most 8; 1: none). Results do not depend on it")

    rules = commands.add_parser("rules", prog=f"{PROG} rules",
                                usage="%(prog)s [--format text|json] [--policy DIR] [--config FILE] [RULE_ID]",
                                help="list the rules, or show one", description="List the rules (built-in and custom), "
                                "or show one.")
    rules.add_argument("rule_id", nargs="?", metavar="RULE_ID", help="a rule id such as IAMG-103")
    rules.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json")
    _config_option(rules)
    _policy_option(rules)

    inspect = commands.add_parser(
        "inspect", prog=f"{PROG} inspect", usage="%(prog)s [options] PATH...",
        help="print the normalized documents the rules read",
        description="Print the normalized documents of the files exactly as the Rego engine reads them (JSON: "
        "`documents`, each with its file, resource, `input` and every ref's file, line, column, JSONPath and text). "
        "This is what a custom rule matches on, and the input OPA and conftest take for the bundle.",
        epilog="Exit codes: 0 printed, 2 an input error (the other files are still printed) or nothing to inspect.")
    inspect.add_argument("paths", nargs="+", metavar="PATH", help="file or directory; - reads standard input")
    inspect.add_argument("--resource", metavar="NAME", help="only the documents of this resource")
    inspect.add_argument("--input-only", action="store_true",
                         help="print the `input` of the one document selected (for opa eval --input, conftest)")
    inspect.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")
    inspect.add_argument("--stdin-name", metavar="NAME", default="<stdin>", help="the file name of standard input")
    _config_option(inspect)

    test = commands.add_parser(
        "test", prog=f"{PROG} test", usage="%(prog)s [options] DIR...",
        help="run the tests of custom rules",
        description="Run the Rego unit tests (test_* rules of *_test.rego files, like opa test) of the rule folders "
        "with the embedded engine, and check every examples/expected.yaml: each example file must produce exactly "
        "the listed violations of the folders' rules.",
        epilog="Exit codes: 0 every test passed, 1 a test failed or erred, 2 the rules do not load or there is "
        "no test.")
    test.add_argument("dirs", nargs="+", metavar="DIR", help="a folder of custom rules and their tests")
    test.add_argument("--run", metavar="REGEX", help="only the Rego tests whose package.name matches REGEX")
    test.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json")
    test.add_argument("-v", "--verbose", action="store_true", help="list every test, not only those that fail")
    _config_option(test)

    new_rule = commands.add_parser(
        "new-rule", prog=f"{PROG} new-rule", usage="%(prog)s NAME --id ID [--dir DIR] [--package PKG] [--severity S]",
        help="write a new custom rule, its test and examples",
        description="Scaffold a custom rule in DIR/NAME: policy.rego (with its METADATA), policy_test.rego and "
        "examples with expected.yaml; `pyiamguard test DIR` passes on it as written.")
    new_rule.add_argument("name", metavar="NAME", help="the rule's folder and package name (lower_snake_case)")
    new_rule.add_argument("--id", required=True, metavar="ID", help="the rule id, with your own prefix (ACME-001)")
    new_rule.add_argument("--dir", default=".", metavar="DIR", help="the policy folder (default: .)")
    new_rule.add_argument("--package", metavar="PKG",
                          help="the Rego package (default: custom.NAME; anything but pyiamguard.*)")
    new_rule.add_argument("--severity", default="HIGH", metavar="SEVERITY", help="default HIGH")
    bundle = commands.add_parser(
        "bundle", prog=f"{PROG} bundle", usage="%(prog)s --output FILE [--policy DIR] [--config FILE]",
        help="build an OPA bundle of the rules (built-in and custom)",
        description="Build an OPA bundle (tar.gz) of the built-in rules and the configuration's custom rules "
        "(policy_dirs, --policy) with its policy_data and rule parameters, for opa eval, opa run and conftest. "
        "Query data.pyiamguard.main.findings (built-in rules) and data.pyiamguard.custom_main.findings (custom).")
    bundle.add_argument("--output", "-o", required=True, metavar="FILE", help="the bundle file to write")
    _config_option(bundle)
    _policy_option(bundle)
    from .graph_command import add_parser as add_graph_parser

    graph = add_graph_parser(commands, _Parser, PROG, _LIST_FLAGS)
    simulate = _simulate_parsers(commands)
    from .prove_command import add_parser as add_prove_parser

    prove = add_prove_parser(commands, _Parser, PROG, _LIST_FLAGS)
    return parser, {"scan": scan, "rules": rules, "inspect": inspect, "test": test, "new-rule": new_rule,
                    "bundle": bundle, "graph": graph, **simulate, "prove": prove}


def _simulate_parsers(commands: Any) -> dict[str, Any]:
    from .simulate_command import add_parsers

    return add_parsers(commands, PROG)


def _config_option(parser: argparse.ArgumentParser | Any) -> None:
    parser.add_argument("--config", metavar="FILE",
                        help="configuration file (default: .pyiamguard.yaml or .pyiamguard.yml in the working "
                        "directory)")


def _policy_option(parser: argparse.ArgumentParser | Any) -> None:
    parser.add_argument("--policy", dest="policy_dirs", action="append", metavar="DIR",
                        help="a folder of custom Rego rules evaluated beside the built-in ones (repeatable; adds to "
                        "policy_dirs)")


def _compact_threshold() -> int:
    from .reporters.text import COMPACT_ABOVE

    return COMPACT_ABOVE


# --- scan -----------------------------------------------------------------------------------


def _format_spec(value: str) -> tuple[str, str | None]:
    """`FORMAT` or `FORMAT=FILE` -> (format, file or None)."""
    name, sep, file = value.partition("=")
    name = name.strip().lower()
    if name not in FORMATS:
        raise argparse.ArgumentTypeError(
            f"invalid choice: {name!r}{did_you_mean(name, FORMATS)} (choose from {', '.join(repr(f) for f in FORMATS)})")
    if sep and not file:
        raise argparse.ArgumentTypeError(f"{value!r}: a file name must follow '='")
    return name, (file or None)


def _severity_list(text: str) -> list[Any]:
    from .model import Severity

    try:
        return [Severity.parse(item) for item in text.split(",") if item.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _rule_list(text: str) -> list[str]:
    return [item.strip().upper() for item in text.split(",") if item.strip()]


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
    if args.paths.count("-") > 1:
        raise UsageError("standard input (-) can be scanned once")
    config = _build_config(args)
    from . import baseline as baselines
    from . import scanner
    from .engine import default_workers
    from .errors import CompareGitError, EngineError, TfSourceError

    known = None
    if args.baseline is not None:
        try:
            known = baselines.load_baseline(args.baseline)
        except baselines.BaselineError as exc:
            raise UsageError(str(exc)) from None
    if args.prove:
        from .prove.requests import ProveUnavailable, check_available

        try:
            check_available()
        except ProveUnavailable as exc:
            raise UsageError(f"--prove: {exc}") from None
        if "-" in args.paths:
            raise UsageError("--prove reads the files twice: it cannot take standard input (-)")
    progress = _progress_line(args)
    try:
        runner = scanner.Scanner(config, tf_source=args.tf_source, skip_unrecognized=args.skip_unrecognized,
                                 jobs=args.jobs or default_workers(), progress=progress)
        report = runner.scan(args.paths, stdin_name=args.stdin_name, compare_to=args.compare_to,
                             compare_to_git=args.compare_to_git)
    except TfSourceError as exc:
        raise UsageError(f"--tf-source {exc}") from None
    except CompareGitError as exc:
        raise UsageError(str(exc)) from None
    except ValueError as exc:  # --compare-to that names nothing, or standard input
        if not str(exc).startswith("--compare-to"):
            raise
        raise UsageError(str(exc)) from None
    except EngineError as exc:  # the engine is missing, or a custom rule does not compile
        raise UsageError(str(exc)) from None
    finally:
        if progress is not None:
            progress.finish()
    if args.prove:
        from .prove.selfcheck import self_check

        checked = self_check(runner.inspect(args.paths).documents, report.violations + report.suppressed, config,
                             jobs=args.jobs or default_workers())
        report = dataclasses.replace(report, errors=report.errors + checked.errors,
                                     notices=report.notices + checked.notices)
    base_dir = os.getcwd()
    if known is not None:
        report = baselines.apply_baseline(report, known, base_dir)
    if args.severity:
        report = report.with_severities({severity for group in args.severity for severity in group})
    if args.ignore_errors:
        report = dataclasses.replace(report, errors_ignored=True)
    if args.write_baseline:
        _write_report(baselines.render_baseline(report, base_dir), args.write_baseline)

    if args.verbose:
        for file, reason in report.skipped_files:
            _error_line(f"skipped: {file}: {reason}")
    for error in report.errors:  # whatever the formats: errors always reach stderr
        _error_line(f"error: {error.one_line()}")
    color = _wants_color(sys.stdout, args.color)
    graph: Any = (None, "")
    if any(name == "markdown" for name, _ in outputs):  # the Markdown summary draws the trust graph
        from .graph_command import scan_graph

        graph = scan_graph(runner, args.paths, report.violations, args.stdin_name)
    rendered = [(_render(name, report, config, base_dir, color=file is None and color, view=args.view,
                         rules=runner.rules, graph=graph, sarif_resolved=args.sarif_resolved), file)
                for name, file in outputs]
    for text, file in sorted(rendered, key=lambda item: item[1] is None):  # files first, stdout last
        _write_report(text, file)

    if report.errors and not args.ignore_errors:
        return EXIT_ERROR  # fail-closed: --fail-on alone never turns an error into success
    if report.empty and not config.allow_empty:
        if report.errors:  # ignored errors left nothing checked: still not a pass
            _error_line(f"{PROG}: error: nothing was checked (every input had an error); --ignore-errors does not "
                        "turn that into a pass")
        return EXIT_ERROR
    if args.write_baseline:
        return EXIT_OK  # today's findings are now the accepted baseline
    return EXIT_VIOLATIONS if report.fails(config.fail_on, new_only=config.fail_on_new) else EXIT_OK


def _progress_line(args: argparse.Namespace) -> Any:
    """A progress line on stderr for long scans: only on a terminal that can redraw a line."""
    if args.quiet or not _is_terminal(sys.stderr) or os.environ.get("TERM") == "dumb":
        return None
    from .reporters.progress import ProgressLine

    return ProgressLine(sys.stderr)


def _render(name: str, report: Any, config: Any, base_dir: str, *, color: bool, view: str = "auto",
            rules: Sequence[Any] = (), graph: Any = (None, ""), sarif_resolved: bool = False) -> str:
    """One report format; every module under `reporters/` is a pure function of the report
    (and of the rules, built-in and custom, for the formats that list them)."""
    from . import __version__

    if name == "json":
        from .reporters import json_report

        return json_report.render(report, tool_version=__version__)
    if name == "sarif":
        from .reporters import sarif

        return sarif.render(report, rules, tool_version=__version__, base_dir=base_dir,
                            severity_overrides=config.severity_overrides, disabled_rules=config.disabled_rules,
                            absent_results=sarif_resolved)
    if name == "junit":
        from .reporters import junit

        return junit.render(report, rules, base_dir=base_dir, disabled_rules=config.disabled_rules)
    if name == "github":
        from .reporters import github

        return github.render(report, base_dir=base_dir)
    if name == "markdown":
        from .reporters import markdown

        return markdown.render(report, base_dir=base_dir, graph=graph[0], graph_note=graph[1])
    from .reporters import text as text_report

    return text_report.render(report, color=color, view=view)


def _file_config(args: argparse.Namespace) -> Any:
    """The configuration file's Config (or the default), with --policy folders added."""
    from .config import Config, ConfigError, find_config, load_config

    try:
        path = args.config or find_config(".")
        config = load_config(path) if path else Config()
        if getattr(args, "policy_dirs", None):
            config = config.with_overrides(policy_dirs=[*config.policy_dirs, *args.policy_dirs])
    except ConfigError as exc:
        message = str(exc)
        raise UsageError("--policy" + message[len("policy_dirs:"):] if message.startswith("policy_dirs:") else message) \
            from None
    return config


def _build_config(args: argparse.Namespace) -> Any:
    from .config import ConfigError

    config = _file_config(args)
    overrides: dict[str, Any] = {key: getattr(args, key) for key in _LIST_FLAGS if getattr(args, key)}
    if args.require_mfa is not None:
        overrides["require_mfa"] = args.require_mfa
    if args.fail_on is not None:
        overrides["fail_on"] = args.fail_on
    if args.allow_empty:
        overrides["allow_empty"] = True
    if getattr(args, "fail_on_new", False):  # scan only (graph and explain share this)
        overrides["fail_on_new"] = True
    if args.skip_paths:
        overrides["skip_paths"] = [*config.skip_paths, *args.skip_paths]
    disabled = _disabled_rules(args, config)
    if disabled is not None:
        overrides["disabled_rules"] = disabled
    if not overrides:
        return config
    try:
        return config.with_overrides(**overrides)
    except ConfigError as exc:
        raise UsageError(_flag_message(str(exc), overrides)) from None


def _disabled_rules(args: argparse.Namespace, config: Any) -> list[str] | None:
    """The configuration's disabled rules plus --skip-rule, plus every rule but those of --rule."""
    if not args.rules and not args.skip_rules:
        return None
    from .config import rule_set

    configured = config.disabled_rules
    known = [rule.rule_id for rule in rule_set(config).rules]
    for flag, groups in (("--rule", args.rules), ("--skip-rule", args.skip_rules)):
        for rule in (rule for group in groups or () for rule in group):
            if rule not in known:
                raise UsageError(f"{flag}: {unknown_rule(rule, rule, known)}")
    disabled = [*configured, *(rule for group in args.skip_rules or () for rule in group)]
    if args.rules:
        only = {rule for group in args.rules for rule in group}
        disabled += [rule for rule in known if rule not in only]
    return list(dict.fromkeys(disabled))


def _flag_message(message: str, overridden: dict[str, Any]) -> str:
    """Name the flag, not the config key, when a flag value is what is wrong."""
    for key in overridden:
        if message.startswith(f"{key}:") and key in _FLAG_OF_KEY:
            return _FLAG_OF_KEY[key] + message[len(key):]
    return message


def _wants_color(stream: TextIO, mode: str = "auto") -> bool:
    """`always` and `never` decide; `auto` colours a terminal unless NO_COLOR is set to
    something (no-color.org) or TERM is dumb."""
    if mode != "auto":
        return mode == "always"
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return _is_terminal(stream)


def _is_terminal(stream: TextIO) -> bool:
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
    from .config import rule_set

    policy_set = rule_set(_file_config(args))
    if args.rule_id is None:
        rules = policy_set.rules
        if args.format == "json":
            _write(sys.stdout, json.dumps([_rule_dict(r) for r in rules], indent=2, ensure_ascii=False) + "\n")
            return EXIT_OK
        id_width = max(len(r.rule_id) for r in rules)
        sev_width = max(len(r.severity.value) for r in rules)
        lines = [f"{'ID'.ljust(id_width)}  {'SEVERITY'.ljust(sev_width)}  TITLE"]
        lines += [f"{r.rule_id.ljust(id_width)}  {r.severity.value.ljust(sev_width)}  {r.title}" for r in rules]
        _write(sys.stdout, "\n".join(lines) + "\n")
        return EXIT_OK

    rule = policy_set.rule(args.rule_id.strip().upper())
    if rule is None:
        known = [r.rule_id for r in policy_set.rules]
        raise UsageError(unknown_rule(args.rule_id.strip().upper(), args.rule_id, known))
    if args.format == "json":
        _write(sys.stdout, json.dumps(_rule_dict(rule), indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    lines = [f"{rule.rule_id}  {rule.name}"]
    for label, value in (
        ("severity", rule.severity.value),
        ("category", rule.category),
        ("title", rule.title),
        ("description", rule.description),
        ("remediation", rule.remediation),
    ):
        lines.append(textwrap.fill(value, width=100, initial_indent=f"{label + ':':<13}", subsequent_indent=" " * 13))
    if rule.custom:
        lines.append(f"{'message:':<13}{rule.message}")
        lines.append(f"{'defined in:':<13}{rule.origin}")
    if rule.related:
        lines.append("related:")
        lines += [f"  {ref}" for ref in rule.related]
    _write(sys.stdout, "\n".join(lines) + "\n")
    return EXIT_OK


def _rule_dict(rule: Any) -> dict[str, Any]:
    return {
        "rule_id": rule.rule_id,
        "name": rule.name,
        "title": rule.title,
        "severity": rule.severity.value,
        "category": rule.category,
        "description": rule.description,
        "remediation": rule.remediation,
        "related": list(rule.related),
        "custom": rule.custom,
        **({"message": rule.message, "origin": rule.origin} if rule.custom else {}),
    }


# --- inspect --------------------------------------------------------------------------------


def _inspect(args: argparse.Namespace) -> int:
    if args.paths.count("-") > 1:
        raise UsageError("standard input (-) can be read once")
    from .errors import EngineError
    from .scanner import Scanner

    config = _file_config(args)
    try:
        found = Scanner(config).inspect(args.paths, stdin_name=args.stdin_name)
    except EngineError as exc:
        raise UsageError(str(exc)) from None
    documents = [d for d in found.documents if args.resource is None or d.resource == args.resource]
    for error in found.errors:
        _error_line(f"error: {error.one_line()}")
    if args.resource is not None and not documents and not found.errors:
        known = sorted({d.resource for d in found.documents})
        raise UsageError(f"--resource {args.resource!r}: no such resource{did_you_mean(args.resource, known)} "
                         f"(resources: {', '.join(known) or 'none'})")
    if args.input_only:
        if len(documents) != 1:
            listed = ", ".join(sorted({f"{d.resource}" + (f" [{d.variant}]" if d.variant else "") for d in documents}))
            raise UsageError(f"--input-only prints one document, and {len(documents)} were found ({listed}); "
                             "choose one with --resource")
        payload: Any = documents[0].input
    else:
        payload = {"documents": [d.to_dict() for d in documents], "errors": [e.to_dict() for e in found.errors]}
    _write_report(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", args.output)
    return EXIT_ERROR if found.errors else EXIT_OK


# --- test -----------------------------------------------------------------------------------


def _test(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .catalog import load_custom_rules, load_policy_set
    from .config import ConfigError
    from .rule_examples import check_examples_isolated
    from .rule_tests import run_rego_tests
    from .scanner import engine_data

    config = _file_config(args)
    dirs = [Path(d) for d in args.dirs]
    built_in = load_policy_set()
    try:
        custom = load_custom_rules(dirs, built_in.rules)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    policies = built_in.with_custom(custom)
    data = engine_data(policies, config)
    rego = run_rego_tests(custom.test_modules, policies.modules, data, name_filter=args.run)
    examples = (check_examples_isolated(dirs, args.config, [r.rule_id for r in custom.rules])
                if args.run is None else ())
    if not rego and not examples:
        raise UsageError(f"no tests found in {', '.join(args.dirs)}: write *_test.rego files with test_ rules, or "
                         "examples/expected.yaml beside a rule (pyiamguard new-rule writes both)")
    if args.format == "json":
        payload = {"rego": [_plain_dict(r) for r in rego], "examples": [_plain_dict(e) for e in examples],
                   "summary": _test_counts(rego, examples)}
        _write(sys.stdout, json.dumps(payload, indent=2) + "\n")
    else:
        lines = []
        for r in rego:
            if args.verbose or r.outcome != "pass":
                lines.append(f"{r.outcome.upper():<5} {r.package}.{r.name} ({r.file}:{r.line})"
                             + (f": {r.message}" if r.message else ""))
        for e in examples:
            if args.verbose or e.outcome != "pass":
                lines.append(f"{e.outcome.upper():<5} example {e.file or e.expected}"
                             + (f": {e.message}" if e.message else ""))
        counts = _test_counts(rego, examples)
        lines.append(f"{counts['passed']} passed, {counts['failed']} failed, {counts['errors']} errors "
                     f"({len(rego)} Rego tests, {len(examples)} examples)")
        _write(sys.stdout, "\n".join(lines) + "\n")
    return EXIT_OK if _test_counts(rego, examples)["passed"] == len(rego) + len(examples) else EXIT_VIOLATIONS


def _test_counts(rego: Sequence[Any], examples: Sequence[Any]) -> dict[str, int]:
    outcomes = [str(r.outcome) for r in [*rego, *examples]]
    return {"passed": outcomes.count("pass"), "failed": outcomes.count("fail"), "errors": outcomes.count("error")}


def _plain_dict(item: Any) -> dict[str, Any]:
    return dict(dataclasses.asdict(item))


# --- new-rule -------------------------------------------------------------------------------


def _new_rule(args: argparse.Namespace) -> int:
    from .scaffold import ScaffoldError, write_rule

    try:
        written = write_rule(args.dir, args.name, rule_id=args.id, package=args.package, severity=args.severity)
    except ScaffoldError as exc:
        raise UsageError(str(exc)) from None
    for path in written:
        _write(sys.stdout, f"wrote {path}\n")
    _write(sys.stdout, f"next: edit {written[0]}, then run: {PROG} test {args.dir}\n")
    return EXIT_OK


# --- bundle ---------------------------------------------------------------------------------


def _bundle(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .bundle import build
    from .catalog import custom_main, load_custom_rules, load_policy_set, package_of, policy_root
    from .config import ConfigError
    from .errors import EngineError
    from .scanner import Scanner

    config = _file_config(args)
    try:
        Scanner(config)  # the custom rules must compile before they are shipped
        built_in = load_policy_set()
        custom = load_custom_rules(config.policy_dirs, built_in.rules)
    except (ConfigError, EngineError) as exc:
        raise UsageError(str(exc)) from None
    modules = tuple((package_of(source), source) for _, source in custom.modules)
    if custom.rules:
        modules += (("pyiamguard.custom_main", custom_main(custom.rules)),)
    # The configuration's rule parameters too: the bundle then judges as this scan does.
    content = build(policy_root(), modules, dict(config.policy_data), config.engine_data())
    _write_bytes(Path(args.output), content)
    rules = len(custom.rules)
    _write(sys.stdout, f"wrote {args.output}: {len(built_in.rules)} built-in and {rules} custom rule"
                       f"{'s' if rules != 1 else ''}\n")
    return EXIT_OK


def _write_bytes(path: Any, content: bytes) -> None:
    try:
        path.write_bytes(content)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None


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
