"""`pyiamguard graph`: the trust graph of the scanned files, as Mermaid, DOT, JSON, SVG or PNG.

The files are scanned as `pyiamguard scan` does (the same configuration options), so the edges
carry the findings' severities; then their normalized documents (`Scanner.inspect`) give the
graph (`trust_graph.build`). SVG and PNG are drawn by Graphviz's `dot`, which must be on PATH.
Exit codes: 0 drawn (findings do not fail it: this is a picture, not a gate), 2 a usage error,
or an input error (the graph of the other files is still written).
"""
from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import sys
from contextlib import contextmanager
from typing import Any, Iterator, Sequence, cast

from .trust_graph import TrustGraph, build

GRAPH_FORMATS = ("mermaid", "dot", "json", "svg", "png")
_RENDERED = ("svg", "png")


def add_parser(commands: Any, parser_class: type[argparse.ArgumentParser], prog: str,
               list_flags: dict[str, str]) -> argparse.ArgumentParser:
    """Register the `graph` command on the CLI's subparsers."""
    graph = commands.add_parser(
        "graph", prog=f"{prog} graph", usage="%(prog)s [options] PATH...",
        help="draw who may assume which role (Mermaid, DOT, JSON, SVG, PNG)",
        description="Draw the trust graph of the files: accounts as groups, the roles inside them, the principals "
        "their trust policies admit (accounts, roles, services, identity providers, anyone), one edge per trust "
        "relationship labelled with its conditions and coloured by the severity of its findings, and the assume "
        "grants of the roles and users (IAMG-501) as dashed edges.",
        epilog="Exit codes: 0 drawn (findings do not fail it), 2 a usage or input error (the graph of the other "
        "files is still written).")
    graph.add_argument("paths", nargs="+", metavar="PATH", help="file or directory; - reads standard input")
    graph.add_argument("--format", default="mermaid", type=_graph_format, metavar="|".join(GRAPH_FORMATS),
                       help="mermaid (default), dot, json; svg and png need Graphviz's dot on PATH")
    graph.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")
    graph.add_argument("--role", dest="graph_roles", action="append", metavar="GLOB",
                       help="only the roles whose name, resource or ARN matches GLOB, and what they trust or are "
                       "trusted by (repeatable)")
    graph.add_argument("--account", dest="graph_accounts", action="append", metavar="ID",
                       help="only the relationships touching account ID (repeatable)")
    graph.add_argument("--stdin-name", metavar="NAME", default="<stdin>", help="the file name of standard input")
    graph.add_argument("--skip-path", dest="skip_paths", action="append", metavar="GLOB",
                       help="leave out files and directories matching GLOB (repeatable; adds to skip_paths)")
    config = graph.add_argument_group("configuration")
    config.add_argument("--config", metavar="FILE",
                        help="configuration file (default: .pyiamguard.yaml or .pyiamguard.yml in the working "
                        "directory)")
    config.add_argument("--policy", dest="policy_dirs", action="append", metavar="DIR",
                        help="a folder of custom Rego rules evaluated beside the built-in ones (repeatable)")
    add_account_flags(config, list_flags)
    # What the scan's configuration builder reads and this command does not offer.
    graph.set_defaults(fail_on=None, allow_empty=False, rules=None, skip_rules=None)
    return cast(argparse.ArgumentParser, graph)


def add_account_flags(group: Any, list_flags: dict[str, str]) -> None:
    """The configuration's list flags (--own-account ...) and --require-mfa, as scan has them."""
    for key, flag in list_flags.items():
        group.add_argument(flag, dest=key, action="append", metavar="HOST" if key == "gitlab_hosts" else "ID",
                           help=f"{key} entry (repeatable; replaces the file's list)")
    group.add_argument("--require-mfa", metavar="people|all|off", help="which cross-account principals need MFA")


def _graph_format(value: str) -> str:
    name = value.strip().lower()
    if name not in GRAPH_FORMATS:
        from .suggest import did_you_mean

        raise argparse.ArgumentTypeError(f"invalid choice: {name!r}{did_you_mean(name, GRAPH_FORMATS)} (choose from "
                                         f"{', '.join(repr(f) for f in GRAPH_FORMATS)})")
    return name


def run(args: argparse.Namespace) -> int:
    """The `graph` command; returns the exit code (UsageError for what the user must change)."""
    from . import cli
    from .engine import default_workers
    from .errors import EngineError
    from .scanner import Scanner

    if args.paths.count("-") > 1:
        raise cli.UsageError("standard input (-) can be read once")
    if args.format in _RENDERED and shutil.which("dot") is None:
        raise cli.UsageError(f"--format {args.format} needs Graphviz's dot on PATH (apt-get install graphviz, brew "
                             "install graphviz, choco install graphviz), or write --format dot and render it elsewhere")
    config = cli._build_config(args)
    try:
        runner = Scanner(config, jobs=default_workers())
        with _replayable_stdin("-" in args.paths) as replay:
            report = runner.scan(args.paths, stdin_name=args.stdin_name)
            replay()
            found = runner.inspect(args.paths, stdin_name=args.stdin_name)
    except EngineError as exc:
        raise cli.UsageError(str(exc)) from None
    for error in report.errors:
        cli._error_line(f"error: {error.one_line()}")
    graph = build(found.documents, report.violations, own_accounts=config.own_accounts)
    graph = graph.focus(args.graph_roles or (), args.graph_accounts or ())
    content = render(graph, args.format)
    if isinstance(content, bytes):
        _write_bytes(content, args.output)
    else:
        cli._write_report(content, args.output)
    return cli.EXIT_ERROR if report.errors else cli.EXIT_OK


def render(graph: TrustGraph, name: str) -> str | bytes:
    """The graph in one of GRAPH_FORMATS (svg and png through Graphviz's dot)."""
    from . import graph_render

    if name == "json":
        return graph_render.render_json(graph)
    if name == "mermaid":
        return graph_render.render_mermaid(graph)
    dot = graph_render.render_dot(graph)
    if name == "dot":
        return dot
    drawn = run_dot(dot, name)
    return drawn.decode("utf-8") if name == "svg" else drawn


def run_dot(dot: str, name: str) -> bytes:
    """`dot -T<name>` on the text; UsageError when it is missing or fails."""
    from .cli import UsageError

    program = shutil.which("dot")
    if program is None:
        raise UsageError(f"--format {name} needs Graphviz's dot on PATH")
    try:
        done = subprocess.run([program, f"-T{name}"], input=dot.encode("utf-8"), capture_output=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"Graphviz dot failed: {exc}") from None
    if done.returncode != 0:
        message = " ".join(done.stderr.decode("utf-8", "replace").split())
        raise UsageError(f"Graphviz dot failed (exit {done.returncode}): {message}")
    return done.stdout


def scan_graph(runner: Any, paths: Sequence[str], violations: Any, stdin_name: str) -> tuple[TrustGraph | None, str]:
    """The trust graph for `scan --format markdown`: the named files inspected again (standard
    input cannot be read twice, so its documents are left out, and the note says so)."""
    files = [p for p in paths if p != "-"]
    note = ("Standard input is not drawn: run `pyiamguard graph` on the files." if len(files) != len(paths) else "")
    if not files:
        return None, note
    found = runner.inspect(files, stdin_name=stdin_name)
    return build(found.documents, violations, own_accounts=runner.config.own_accounts), note


@contextmanager
def _replayable_stdin(needed: bool) -> Iterator[Any]:
    """Standard input read once and served again to the second pass (the inspection)."""
    if not needed:
        yield lambda: None
        return
    from .loaders.source import MAX_FILE_BYTES

    stream = getattr(sys.stdin, "buffer", None)
    data = stream.read(MAX_FILE_BYTES + 1) if stream is not None else b""  # the scan says when it is too much
    saved = sys.stdin

    def replay() -> None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")

    replay()
    try:
        yield replay
    finally:
        sys.stdin = saved


def _write_bytes(content: bytes, output: str | None) -> None:
    from .cli import UsageError, _silence_stdout

    if output is None:
        try:
            sys.stdout.flush()
            sys.stdout.buffer.write(content)
            sys.stdout.buffer.flush()
        except BrokenPipeError:
            _silence_stdout()
        except AttributeError:
            raise UsageError("--format png writes binary data: give --output FILE") from None
        return
    try:
        with open(output, "wb") as handle:
            handle.write(content)
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
