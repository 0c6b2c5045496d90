"""`pyiamguard simulate` and `pyiamguard explain`.

simulate: can this principal assume this role (pyiamguard/simulate.py decides, with the Rego of
pyiamguard/data/simulate/). Exit codes: 0 ALLOW, 1 DENY, 2 a usage or input error.
explain: per role, its effective trust, conditions, permissions and findings in plain words
(pyiamguard/explain.py). Exit codes: 0 explained, 2 a usage or input error.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .simulate import ACTIONS


def add_parsers(commands: Any, prog: str) -> dict[str, argparse.ArgumentParser]:
    """Register `simulate` and `explain` on the CLI's subparsers."""
    simulate = commands.add_parser(
        "simulate", prog=f"{prog} simulate",
        usage="%(prog)s --role FILE[:RESOURCE] --principal ARN [options]",
        help="can this principal assume this role? (ALLOW or DENY, and why)",
        description="Decide an AssumeRole call as IAM documents it: an explicit Deny of the trust policy wins; else "
        "an Allow statement whose principal, action and every condition match allows; else the call is implicitly "
        "denied. Across accounts (and when the trust names only the caller's account) the caller's identity policy "
        "must allow sts:AssumeRole on the role too (--caller-policy; without it that is assumed). Prints the "
        "statement and condition that decided, and what to change.",
        epilog="Exit codes: 0 ALLOW, 1 DENY, 2 a usage or input error.")
    simulate.add_argument("--role", required=True, metavar="FILE[:RESOURCE]",
                          help="the file holding the role's trust policy, and the resource when it holds several")
    simulate.add_argument("--principal", required=True, metavar="ARN",
                          help="the caller: a role, user, root or assumed-role session ARN, an account id, a service "
                          "host, an OIDC or SAML provider ARN")
    simulate.add_argument("--action", metavar="ACTION", help=f"{', '.join(ACTIONS)} (default: the principal's "
                          "usual one)")
    simulate.add_argument("--external-id", metavar="X", help="the sts:ExternalId the caller passes")
    simulate.add_argument("--mfa", action="store_true", help="the caller signed in with MFA")
    simulate.add_argument("--source-identity", metavar="S", help="the source identity the caller sets "
                          "(also needs sts:SetSourceIdentity)")
    simulate.add_argument("--principal-org-id", metavar="O", help="the caller's organization (aws:PrincipalOrgID)")
    simulate.add_argument("--oidc-sub", metavar="S", help="the web identity token's sub")
    simulate.add_argument("--oidc-aud", metavar="A", help="the web identity token's aud")
    simulate.add_argument("--context", action="append", metavar="KEY=VALUE", default=[],
                          help="another request context key (repeatable; repeat a key for several values)")
    simulate.add_argument("--caller-policy", metavar="FILE",
                          help="the caller's identity policy (a policy document or a dump of the caller)")
    simulate.add_argument("--role-arn", metavar="ARN", help="the role's ARN, when the file does not tell its account")
    simulate.add_argument("--prove", action="store_true",
                          help="also decide it with the SMT model of `pyiamguard prove`, and find a request of this "
                               "caller that gets in (any ExternalId, MFA, tags, ...) or prove that none does "
                               "(needs z3: pip install 'pyiamguard[prove]')")
    simulate.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json")
    simulate.add_argument("--config", metavar="FILE", help="configuration file (own_accounts tell the role's "
                          "account; default: .pyiamguard.yaml or .pyiamguard.yml in the working directory)")

    explain = commands.add_parser(
        "explain", prog=f"{prog} explain", usage="%(prog)s FILE [--resource R] [--prove] [--format text|json]",
        help="say in plain words who may assume each role, and what it can do",
        description="For each role of the file: who may assume it (its effective principals), under which "
        "conditions, which conditions restrict nothing and why, what the role can do once assumed, and its "
        "findings (those of a scan with the same configuration).",
        epilog="Exit codes: 0 explained, 2 a usage or input error.")
    explain.add_argument("file", metavar="FILE", help="a trust policy, account dump, Terraform plan or sources, "
                         "CloudFormation template")
    explain.add_argument("--resource", metavar="R", help="only this role")
    explain.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json")
    explain.add_argument("--config", metavar="FILE", help="configuration file (default: .pyiamguard.yaml or "
                         ".pyiamguard.yml in the working directory)")
    explain.add_argument("--prove", action="store_true",
                         help="add the proof or counterexample of each property of `pyiamguard prove` "
                              "(needs z3: pip install 'pyiamguard[prove]')")
    return {"simulate": simulate, "explain": explain}


def run_simulate(args: argparse.Namespace) -> int:
    from .cli import EXIT_ERROR, EXIT_OK, EXIT_VIOLATIONS, UsageError, _file_config, _write
    from .errors import EngineError
    from .simulate import (Request, SimulateError, load_caller_policy, load_role, parse_principal,
                           simulate)

    if args.prove:
        from .prove.requests import ProveUnavailable, check_available

        try:
            check_available()
        except ProveUnavailable as exc:
            raise UsageError(str(exc)) from None
    try:
        context = []
        for item in args.context:
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise SimulateError(f"--context {item!r}: KEY=VALUE")
            context.append((key.strip(), value))
        principal = parse_principal(args.principal)
        request = Request(principal, action=args.action or "", external_id=args.external_id, mfa=args.mfa,
                          source_identity=args.source_identity, principal_org_id=args.principal_org_id,
                          oidc_sub=args.oidc_sub, oidc_aud=args.oidc_aud, context=context)
        request.resolved_action()
        request.context_values()
        config = _file_config(args)
        role = load_role(args.role, config, role_arn=args.role_arn)
        caller = load_caller_policy(args.caller_policy, config, principal) if args.caller_policy else None
        if caller is not None and not role.arn:
            raise SimulateError("--caller-policy needs the role's ARN, which the file does not tell: add --role-arn")
        result = simulate(role, request, caller)
    except SimulateError as exc:
        raise UsageError(str(exc)) from None
    except EngineError as exc:
        _write(sys.stderr, f"error: {exc}\n")
        return EXIT_ERROR
    checked = None
    if args.prove:
        from .prove.reach import reach

        checked = reach(role, request, result)
    if args.format == "json":
        document = result.to_dict()
        if checked is not None:
            document["model"] = checked.to_dict()
        _write(sys.stdout, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    else:
        _write(sys.stdout, result.text() + "".join(f"  {line}\n" for line in (checked.lines() if checked else ())))
    if checked is not None and checked.decision and not checked.agrees:
        _write(sys.stderr, "error: the SMT model and the simulator decide this request differently; please report it\n")
        return EXIT_ERROR
    return EXIT_OK if result.allowed else EXIT_VIOLATIONS


def run_explain(args: argparse.Namespace) -> int:
    from .cli import EXIT_ERROR, EXIT_OK, UsageError, _file_config, _write
    from .explain import ExplainError, explain

    config = _file_config(args)
    if args.prove:
        from .prove.requests import ProveUnavailable, check_available

        try:
            check_available()
        except ProveUnavailable as exc:
            raise UsageError(str(exc)) from None
    try:
        explained, errors = explain(args.file, config, resource=args.resource, prove=args.prove)
    except ExplainError as exc:
        raise UsageError(str(exc)) from None
    for error in errors:
        _write(sys.stderr, f"error: {error}\n")
    if args.format == "json":
        _write(sys.stdout, json.dumps({"roles": [r.to_dict() for r in explained], "errors": errors}, indent=2,
                                      ensure_ascii=False) + "\n")
    else:
        _write(sys.stdout, "\n".join(r.text() for r in explained))
    return EXIT_ERROR if errors else EXIT_OK
