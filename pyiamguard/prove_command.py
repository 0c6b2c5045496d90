"""`pyiamguard prove`: prove each role's trust properties, or refute them with a request.

Each role of the files (its normalized trust document, as the rules see it) becomes an SMT
model (`pyiamguard.prove`); each property is PROVEN, REFUTED with a concrete request and the
statement that lets it in, or UNKNOWN (a time budget exceeded, or values known only at
deployment decide it). Exit codes: 0 every property proven for every role, 1 some property
refuted or unknown (never a pass for what was not proven), 2 a usage or input error, or z3 not
installed (`pip install 'pyiamguard[prove]'`).
"""
from __future__ import annotations

import argparse
import json
from typing import Any, Sequence, cast

from .graph_command import add_account_flags
from .prove.properties import DEFAULT, PROPERTIES


def add_parser(commands: Any, parser_class: type[argparse.ArgumentParser], prog: str,
               list_flags: dict[str, str]) -> argparse.ArgumentParser:
    """Register the `prove` command on the CLI's subparsers."""
    prove = commands.add_parser(
        "prove", prog=f"{prog} prove", usage="%(prog)s [options] PATH...",
        help="prove who may assume each role (SMT), or show a request that gets in",
        description="Translate each role's trust policy into SMT constraints over the AssumeRole request and prove "
        "each property, or refute it with a concrete request that gets in and the statement that allows it. "
        f"Properties: {', '.join(PROPERTIES)} (default: all but nobody). Needs z3: pip install 'pyiamguard[prove]'.",
        epilog="Exit codes: 0 every property proven, 1 some property refuted or unknown, 2 a usage or input error.")
    prove.add_argument("paths", nargs="+", metavar="PATH", help="file or directory; - reads standard input")
    prove.add_argument("--property", dest="properties", action="append", metavar="NAME", type=_property,
                       help=f"a property to prove (repeatable): {', '.join(PROPERTIES)}")
    prove.add_argument("--resource", metavar="NAME", help="only this role")
    prove.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json")
    prove.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")
    prove.add_argument("--trust-only", action="store_true",
                       help="prove the trust policies alone: every caller's own permission is a free choice, even "
                            "for roles of the scan whose policies do not allow them to assume the role")
    prove.add_argument("--jobs", "-j", metavar="N", type=_jobs,
                       help="processes that share the roles (default: the CPUs available, at most 8; 1: none); "
                            "verdicts do not depend on it")
    prove.add_argument("--timeout", type=_seconds, default=10.0, metavar="SECONDS",
                       help="the solver's budget per role and property (default 10); beyond it the answer is UNKNOWN")
    config = prove.add_argument_group("configuration")
    config.add_argument("--config", metavar="FILE",
                        help="configuration file (default: .pyiamguard.yaml or .pyiamguard.yml in the working directory)")
    add_account_flags(config, list_flags)
    prove.set_defaults(fail_on=None, allow_empty=False, rules=None, skip_rules=None, skip_paths=None,
                       policy_dirs=None)
    return cast(argparse.ArgumentParser, prove)


def _property(value: str) -> str:
    name = value.strip().lower()
    if name not in PROPERTIES:
        from .suggest import did_you_mean

        raise argparse.ArgumentTypeError(f"unknown property {name!r}{did_you_mean(name, list(PROPERTIES))} "
                                         f"(choose from {', '.join(PROPERTIES)})")
    return name


def _jobs(value: str) -> int:
    from .cli import _jobs as jobs

    return jobs(value)


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, not {value!r}") from None
    if not 0 < seconds <= 3600:
        raise argparse.ArgumentTypeError(f"expected between 0 and 3600 seconds, not {value}")
    return seconds


def run(args: argparse.Namespace) -> int:
    """The `prove` command; returns the exit code (UsageError for what the user must change)."""
    from . import cli
    from .engine import default_workers
    from .errors import EngineError
    from .prove.prover import PROVEN, prove_paths
    from .prove.requests import ProveUnavailable, check_available

    try:
        check_available()
    except ProveUnavailable as exc:
        raise cli.UsageError(str(exc)) from None
    if args.paths.count("-") > 1:
        raise cli.UsageError("standard input (-) can be read once")
    config = cli._build_config(args)
    names: Sequence[str] = tuple(dict.fromkeys(args.properties)) if args.properties else DEFAULT
    try:
        proofs, errors = prove_paths(args.paths, config, names, int(args.timeout * 1000), args.resource,
                                     args.trust_only, args.jobs or default_workers())
    except EngineError as exc:
        raise cli.UsageError(str(exc)) from None
    for error in errors:
        cli._error_line(f"error: {error}")
    if args.resource is not None and not proofs and not errors:
        raise cli.UsageError(f"--resource {args.resource!r}: no such role")
    if args.format == "json":
        text = json.dumps({"roles": [p.to_dict() for p in proofs], "errors": errors}, indent=2, ensure_ascii=False) + "\n"
    else:
        text = render_text(proofs)
    cli._write_report(text, args.output)
    if errors:
        return cli.EXIT_ERROR
    if not proofs:
        cli._error_line(f"{cli.PROG}: error: no role trust policy found")
        return cli.EXIT_ERROR
    return cli.EXIT_OK if all(a.verdict == PROVEN for p in proofs for a in p.answers) else cli.EXIT_VIOLATIONS


def render_text(proofs: Sequence[Any]) -> str:
    from .prove.prover import PROVEN, REFUTED

    lines = []
    counts = {"PROVEN": 0, "REFUTED": 0, "UNKNOWN": 0}
    for proof in proofs:
        lines.append(f"role {proof.resource} ({proof.file}:{proof.line or 1})"
                     + (f", when {proof.variant}" if proof.variant else ""))
        width = max(len(a.property) for a in proof.answers) if proof.answers else 0
        for answer in proof.answers:
            counts[answer.verdict] += 1
            lines.append(f"  {answer.property:<{width}}  {answer.words()}  [{answer.seconds:.2f} s]")
        for part in proof.unknowns:
            lines.append(f"  unknown before deployment: {part}")
        for arn in proof.callers_without_permission:
            lines.append(f"  denied by its own policies: {arn} (trusted, but no policy of it allows sts:AssumeRole "
                         "on this role: IAMG-501)")
    lines.append(f"{len(proofs)} role{'s' if len(proofs) != 1 else ''}: {counts[PROVEN]} proven, "
                 f"{counts[REFUTED]} refuted, {counts['UNKNOWN']} unknown")
    return "\n".join(lines) + "\n"
