"""`pyiamguard simulate`: can this principal assume this role?

Python builds the request (the caller, the action, the request context IAM would carry) and
the role's normalized trust statements (the loaders' `engine_input`, located by `Scanner.inspect`),
and the Rego package `pyiamguard.simulate.decision` (pyiamguard/data/simulate/) decides, through
the engine adapter. Everything handed to the engine is an ASCII token (`engine_token`), a
boolean or an integer: numbers and dates are converted here, since Rego engines parse them
differently or not at all. Python then says, from the decision's refs, which statement and
condition decided (file:line) and what to change.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from .normalize.values import engine_token

ENTRYPOINT = "pyiamguard/simulate/decision/decision"
PACKAGE = "simulate"
ACTIONS = ("sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML", "sts:TagSession",
           "sts:SetSourceIdentity")
# Web identity providers named by host in a trust policy (IAM User Guide, "Principal").
BUILT_IN_IDPS = ("cognito-identity.amazonaws.com", "accounts.google.com", "graph.facebook.com", "www.amazon.com")
MODULE_DIR = Path(__file__).resolve().parent / "data" / "simulate"

_ARN = re.compile(r"arn:(?P<partition>aws[a-z-]*):(?P<service>iam|sts)::(?P<account>[0-9]{12}):(?P<resource>.+)\Z")
_ACCOUNT = re.compile(r"[0-9]{12}\Z")
_SERVICE = re.compile(r"[a-z0-9.-]+\.amazonaws\.com(\.cn)?\Z")
_INTEGER = re.compile(r"-?[0-9]{1,15}\Z")


class SimulateError(Exception):
    """A request or input the simulator cannot take (exit 2)."""


@dataclass(frozen=True)
class Principal:
    kind: str  # aws, service, federated
    scope: str  # root, role, user, assumed_role, federated_user, oidc, saml, service
    arn: str
    account: str = ""
    partition: str = "aws"
    role_name: str = ""
    role_arn: str = ""
    service: str = ""
    issuer: str = ""

    def engine(self) -> dict[str, Any]:
        return {"kind": self.kind, "scope": self.scope, "arn": engine_token(self.arn), "account": self.account,
                "partition": self.partition, "role_name": engine_token(self.role_name),
                "role_arn": engine_token(self.role_arn) if self.role_arn else "",
                "service": engine_token(self.service)}


def parse_principal(text: str) -> Principal:
    """The caller, from an ARN (root, role, user, assumed-role session, federated user, OIDC or
    SAML provider), a 12-digit account, a service host or a built-in web identity provider."""
    text = text.strip()
    if _ACCOUNT.match(text):
        return Principal("aws", "root", f"arn:aws:iam::{text}:root", text)
    if text.lower() in BUILT_IN_IDPS:
        return Principal("federated", "oidc", text.lower(), issuer=text.lower())
    if _SERVICE.match(text.lower()):
        return Principal("service", "service", text.lower(), service=text.lower())
    found = _ARN.match(text)
    if not found:
        raise SimulateError(f"--principal {text!r}: not a principal ARN (arn:aws:iam::<account>:role/<name>, "
                            ":user/<name>, :root, arn:aws:sts::<account>:assumed-role/<role>/<session>, an "
                            "oidc-provider or saml-provider ARN), an account id or a service host")
    partition, service, account, resource = found["partition"], found["service"], found["account"], found["resource"]
    kind, _, rest = resource.partition("/")
    if service == "iam" and resource == "root":
        return Principal("aws", "root", text, account, partition)
    if service == "iam" and kind == "role" and rest:
        return Principal("aws", "role", text, account, partition, rest.rsplit("/", 1)[-1], text)
    if service == "iam" and kind == "user" and rest:
        return Principal("aws", "user", text, account, partition)
    if service == "sts" and kind == "assumed-role" and rest.count("/") == 1:
        name = rest.split("/")[0]
        return Principal("aws", "assumed_role", text, account, partition, name,
                         f"arn:{partition}:iam::{account}:role/{name}")
    if service == "sts" and kind == "federated-user" and rest:
        return Principal("aws", "federated_user", text, account, partition)
    if service == "iam" and kind == "oidc-provider" and rest:
        return Principal("federated", "oidc", text, account, partition, issuer=rest.lower())
    if service == "iam" and kind == "saml-provider" and rest:
        return Principal("federated", "saml", text, account, partition)
    raise SimulateError(f"--principal {text!r}: not a principal this simulator knows (a role, user, root, "
                        "assumed-role session, federated user, OIDC or SAML provider)")


@dataclass
class Request:
    """What the caller sends: the principal, the action and the request context (keys in any
    case; a key with several values is multi-valued)."""

    principal: Principal
    action: str = ""
    external_id: str | None = None
    mfa: bool = False
    source_identity: str | None = None
    principal_org_id: str | None = None
    oidc_sub: str | None = None
    oidc_aud: str | None = None
    context: Sequence[tuple[str, str]] = ()

    def resolved_action(self) -> str:
        if self.action:
            for action in ACTIONS:
                if action.lower() == self.action.lower():
                    return action
            raise SimulateError(f"--action {self.action!r}: one of {', '.join(ACTIONS)}")
        if self.principal.scope == "oidc":
            return "sts:AssumeRoleWithWebIdentity"
        if self.principal.scope == "saml":
            return "sts:AssumeRoleWithSAML"
        return "sts:AssumeRole"

    def context_values(self) -> dict[str, list[str]]:
        """The request context as IAM would build it (keys lower-cased)."""
        p = self.principal
        out: dict[str, list[str]] = {}
        if p.kind == "aws":
            principal_arn = p.role_arn or p.arn
            out["aws:principalarn"] = [principal_arn]
            out["aws:principalaccount"] = [p.account]
            out["aws:principaltype"] = [{"root": "Account", "role": "AssumedRole", "assumed_role": "AssumedRole",
                                         "user": "User", "federated_user": "FederatedUser"}[p.scope]]
            # MultiFactorAuthPresent is in the context of temporary credentials (sessions);
            # long-term keys (users, root) carry no MFA key unless they used MFA.
            if self.mfa:
                out["aws:multifactorauthpresent"] = ["true"]
                out["aws:multifactorauthage"] = ["0"]
            elif p.scope in ("role", "assumed_role", "federated_user"):
                out["aws:multifactorauthpresent"] = ["false"]
            if self.principal_org_id:
                out["aws:principalorgid"] = [self.principal_org_id]
        elif p.kind == "service":
            out["aws:principalservicename"] = [p.service]
        if self.external_id is not None:
            out["sts:externalid"] = [self.external_id]
        if self.source_identity is not None:
            out["sts:sourceidentity"] = [self.source_identity]
        if p.scope == "oidc":
            if self.oidc_sub is not None:
                out[f"{p.issuer}:sub"] = [self.oidc_sub]
            if self.oidc_aud is not None:
                out[f"{p.issuer}:aud"] = [self.oidc_aud]
        elif self.oidc_sub is not None or self.oidc_aud is not None:
            raise SimulateError("--oidc-sub and --oidc-aud are for an OIDC provider principal "
                                "(arn:aws:iam::<account>:oidc-provider/<issuer>)")
        given: dict[str, list[str]] = {}
        for key, value in self.context:
            given.setdefault(key.lower(), []).append(value)
        out.update(given)  # --context wins over what the flags derive
        return out


@dataclass(frozen=True)
class Role:
    """The role whose trust is simulated: its trust document (engine input and refs)."""

    file: str
    resource: str
    input: Mapping[str, Any]
    refs: Mapping[str, Mapping[str, Any]]
    account: str
    arn: str


def load_role(spec: str, config: Any = None, role_arn: str | None = None) -> Role:
    """`FILE[:RESOURCE]`: the trust policy of that role, through the normal loaders."""
    from .errors import EngineError
    from .scanner import Scanner

    path, resource = _split_spec(spec)
    try:
        found = Scanner(config).inspect([path])
    except EngineError as exc:
        raise SimulateError(str(exc)) from None
    if found.errors:
        raise SimulateError(found.errors[0].one_line() if hasattr(found.errors[0], "one_line")
                            else f"{found.errors[0].file}: {found.errors[0].message}")
    trusts = [d for d in found.documents if d.input.get("kind") == "trust"]
    names = sorted({d.resource for d in trusts})
    if resource is not None:
        trusts = [d for d in trusts if d.resource == resource]
        if not trusts:
            raise SimulateError(f"--role {spec}: no trust policy of a resource {resource!r} "
                                f"(roles: {', '.join(names) or 'none'})")
    if not trusts:
        raise SimulateError(f"--role {spec}: no trust policy found")
    if len({d.resource for d in trusts}) > 1:
        raise SimulateError(f"--role {spec}: {len(names)} roles, choose one with FILE:RESOURCE "
                            f"({', '.join(names)})")
    document = trusts[0]
    engine_input = document.input
    context = engine_input.get("context", {})
    accounts = list(context.get("own_accounts") or [])
    partition = context.get("partition") or "aws"
    res = engine_input.get("resource", {})
    arn = ""
    account = accounts[0] if len(accounts) == 1 else ""
    stand_in = account if account.startswith("000000000") else ""  # a template's or module's own, unknown account
    if stand_in:
        account = ""
    if role_arn:
        found_arn = _ARN.match(role_arn)
        if not found_arn or not found_arn["resource"].startswith("role/"):
            raise SimulateError(f"--role-arn {role_arn!r}: not a role ARN (arn:aws:iam::<account>:role/<name>)")
        arn, account = role_arn, found_arn["account"]
        if stand_in:  # the stack's own account (AWS::AccountId, the caller identity) is the role's
            import json

            engine_input = json.loads(json.dumps(engine_input).replace(stand_in, account))
    elif account and res.get("name") and "name" not in res.get("unresolved", ()):
        arn = f"arn:{partition}:iam::{account}:role{res.get('path') or '/'}{res['name']}"
    return Role(document.file, document.resource, engine_input, document.refs, account, arn)


def _split_spec(spec: str) -> tuple[str, str | None]:
    if Path(spec).exists():
        return spec, None
    head, sep, tail = spec.rpartition(":")
    if sep and head and Path(head).exists():
        return head, tail
    raise SimulateError(f"--role {spec}: no such file")


def load_caller_policy(path: str, config: Any = None, principal: Principal | None = None) -> list[dict[str, Any]]:
    """Every statement of the identity policies of a file (a policy document, or a dump's
    policies of the caller: those of the resource named like the principal's role or user when
    the file holds several), normalized as the scanner does."""
    from .errors import EngineError
    from .scanner import Scanner

    try:
        found = Scanner(config).inspect([path])
    except EngineError as exc:
        raise SimulateError(str(exc)) from None
    if found.errors:
        raise SimulateError(f"--caller-policy {path}: {found.errors[0].message}")
    identity = [d for d in found.documents if d.input.get("kind") == "identity"]
    owners = sorted({d.resource.split("/")[0] for d in identity})
    if len(owners) > 1:
        name = "" if principal is None else (principal.role_name or principal.arn.rsplit("/", 1)[-1])
        identity = [d for d in identity if d.resource.split("/")[0] == name]
        if not identity:
            raise SimulateError(f"--caller-policy {path}: the policies of {', '.join(owners)}, none of them "
                                f"the caller's ({name or principal})")
    statements: list[dict[str, Any]] = []
    refs: dict[str, Mapping[str, Any]] = {}
    for n, document in enumerate(identity):
        for statement in document.input.get("statements", ()):
            prefix = f"i{n}."
            renamed = _prefixed(statement, prefix)
            statements.append(renamed)
        refs.update({f"i{n}.{ref}": at for ref, at in document.refs.items()})
    if not statements:
        raise SimulateError(f"--caller-policy {path}: no identity policy statement found")
    return [{"statements": statements, "refs": refs}]


def _prefixed(statement: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    return {"ref": prefix + statement["ref"], "effect": statement["effect"],
            "actions": _actions(statement["actions"]), "resources": dict(statement["resources"]),
            "conditions": [_condition(c, prefix) for c in statement.get("conditions", ())]}


def _actions(actions: Mapping[str, Any]) -> dict[str, Any]:
    return {"patterns": list(actions.get("patterns", ())), "not_action": bool(actions.get("not_action")),
            "unresolved": bool(actions.get("unresolved"))}


def _condition(c: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    return {"ref": prefix + c["ref"], "base": c["base"], "set": c["set"], "if_exists": c["if_exists"],
            "negated": c["negated"], "key": c["key"], "state": c["state"],
            "values": [{"text": v["text"]} for v in c["values"]]}


def _trust_statement(s: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "ref": s["ref"], "index": s["index"], "effect": s["effect"], "principal_element": s["principal_element"],
        "principal_ref": s.get("principal_ref", ""),
        "principals": [{k: p.get(k) for k in ("ref", "kind", "block", "value", "account", "partition", "scope",
                                               "whole_account", "service", "defects")} for p in s["principals"]],
        "actions": _actions(s["actions"]),
        "conditions": [_condition(c) for c in s.get("conditions", ())],
    }


def _numbers_and_dates(statements: Sequence[Mapping[str, Any]], context: Mapping[str, list[str]]) -> tuple[dict[str, int], dict[str, int]]:
    texts = {v["text"] for s in statements for c in s["conditions"] for v in c["values"]}
    texts |= {v for values in context.values() for v in values}
    numbers = {t: int(t) for t in texts if _INTEGER.match(t)}
    dates = {t: d for t in texts if (d := epoch_seconds(t)) is not None}
    return numbers, dates


def _ip_matches(statements: Sequence[Mapping[str, Any]], context: Mapping[str, list[str]]) -> dict[str, dict[str, bool]]:
    """IpAddress: which request values (IPv4 or IPv6 addresses) each condition value (an
    address or CIDR block) contains, computed here with the ipaddress module, as IAM matches
    them; Rego engines have no common CIDR built-in."""
    import ipaddress

    networks = {}
    for s in statements:
        for c in s["conditions"]:
            if c["base"] in ("ipaddress", "notipaddress"):
                for v in c["values"]:
                    try:
                        networks[v["text"]] = ipaddress.ip_network(v["text"], strict=False)
                    except ValueError:
                        continue  # not a block: matches nothing
    addresses = {}
    for values in context.values():
        for v in values:
            try:
                addresses[v] = ipaddress.ip_address(v)
            except ValueError:
                continue
    return {n: {a: True for a, address in addresses.items() if address.version == network.version and address in network}
            for n, network in networks.items()}


def epoch_seconds(text: str) -> int | None:
    """IAM's date values: ISO 8601 (a date, or a date and time with `Z` or an offset) or
    epoch seconds."""
    if _INTEGER.match(text):
        return int(text)
    try:
        parsed = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_dt.timezone.utc)
    return int(parsed.timestamp())


def engine_request(role: Role, request: Request, caller: list[dict[str, Any]] | None = None,
                   action: str | None = None) -> dict[str, Any]:
    """The simulator's engine input: request, trust statements, caller statements."""
    p = request.principal
    action = action or request.resolved_action()
    context = request.context_values()
    cross = p.kind == "aws" and (not role.account or p.account != role.account)
    statements = [_trust_statement(s) for s in role.input.get("statements", ())]
    caller_statements = caller[0]["statements"] if caller else []
    numbers, dates = _numbers_and_dates([*statements, *caller_statements], context)
    return {
        "request": {
            "action": action.lower(),
            "principal": p.engine(),
            "context": {engine_token(k.lower()): [engine_token(v) for v in vs] for k, vs in context.items()},
            "cross_account": cross,
            "role_arn": engine_token(role.arn) if role.arn else "",
        },
        "ip_matches": {engine_token(n): {engine_token(a): True for a in inside}
                       for n, inside in _ip_matches([*statements, *caller_statements], context).items()},
        "numbers": {engine_token(k): v for k, v in numbers.items()},
        "dates": {engine_token(k): v for k, v in dates.items()},
        "statements": statements,
        "caller": {"given": caller is not None, "statements": caller_statements},
    }


_engine: Any = None


def simulation_engine() -> Any:
    """The compiled simulator (one per process: the CLI and the tests call it often)."""
    global _engine
    if _engine is None:
        from .catalog import policy_root
        from .engine import Engine

        lib = policy_root() / "pyiamguard" / "lib" / "iam_glob.rego"
        modules = [("pyiamguard/lib/iam_glob.rego", lib.read_text(encoding="utf-8"))]
        modules += [(f"simulate/{path.name}", path.read_text(encoding="utf-8"))
                    for path in sorted(MODULE_DIR.glob("*.rego")) if not path.name.endswith("_test.rego")]
        _engine = Engine(modules, {}, {PACKAGE: ENTRYPOINT}, collectors=())
    return _engine


def decide(engine_input: Mapping[str, Any]) -> dict[str, Any]:
    """The Rego decision for one engine input."""
    found = simulation_engine().evaluate_rule(engine_input, PACKAGE)
    if len(found) != 1:
        from .errors import EngineError

        raise EngineError(f"the simulator returned {len(found)} decisions, expected one")
    out = dict(found[0])
    out.pop("package", None)
    return out


# --- the result, in words ---------------------------------------------------------------------


@dataclass
class Simulation:
    decision: str
    reason: str
    action: str
    principal: str
    role: str
    statement: dict[str, Any] = field(default_factory=dict)
    condition: dict[str, Any] = field(default_factory=dict)
    caller: str = ""
    why: str = ""
    fix: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return self.decision == "ALLOW"

    def to_dict(self) -> dict[str, Any]:
        return {"decision": self.decision, "reason": self.reason, "action": self.action, "principal": self.principal,
                "role": self.role, "statement": self.statement or None, "condition": self.condition or None,
                "caller_policy": self.caller, "why": self.why, "fix": self.fix, "notes": self.notes}

    def text(self) -> str:
        lines = [f"{self.decision}: {self.principal} {self.action} on {self.role}"]
        if self.statement:
            lines.append(f"  statement: {self.statement['name']} ({self.statement['file']}:{self.statement['line']})")
        if self.condition:
            lines.append(f"  condition: {self.condition['text']} ({self.condition['file']}:{self.condition['line']})")
        lines.append(f"  why: {self.why}")
        lines += [f"  change: {fix}" for fix in self.fix]
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines) + "\n"


def simulate(role: Role, request: Request, caller: list[dict[str, Any]] | None = None) -> Simulation:
    """Decide the request; with `--source-identity` IAM also needs sts:SetSourceIdentity."""
    action = request.resolved_action()
    result = _simulate_action(role, request, caller, action)
    if result.allowed and request.source_identity is not None and action != "sts:SetSourceIdentity":
        extra = _simulate_action(role, request, caller, "sts:SetSourceIdentity")
        if not extra.allowed:
            extra.notes.insert(0, f"{action} alone is allowed; a source identity also needs sts:SetSourceIdentity")
            extra.action = f"{action} (with sts:SetSourceIdentity)"
            return extra
    return result


def _simulate_action(role: Role, request: Request, caller: list[dict[str, Any]] | None, action: str) -> Simulation:
    engine_input = engine_request(role, request, caller, action)
    decision = decide(engine_input)
    refs = dict(role.refs)
    if caller:
        refs.update(caller[0]["refs"])
    out = Simulation(decision["decision"], decision["reason"], action, request.principal.arn,
                     role.resource, caller=decision["caller"])
    statement = decision.get("statement") or {}
    if statement:
        out.statement = _statement_info(statement, refs)
    _explain(out, decision, statement, refs, request, role)
    return out


def _statement_info(statement: Mapping[str, Any], refs: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    at = refs.get(statement["ref"], {})
    sid = at.get("text", "")
    has_sid = bool(sid) and sid not in (f"Statement[{statement['index']}]", "{...}", "statement")
    number = f"Statement {statement['index'] + 1}"
    name = f"{number} (Sid {sid})" if has_sid else number
    return {"index": statement["index"], "sid": sid if has_sid else "", "name": name,
            "effect": statement["effect"], "file": at.get("file", ""), "line": at.get("line", 0)}


def _condition_info(condition: Mapping[str, Any], refs: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    at = refs.get(condition["ref"], {})
    return {"key": condition["key"], "text": at.get("text", condition["key"]), "why": condition["why"],
            "file": at.get("file", ""), "line": at.get("line", 0)}


_WHY = {
    "missing_key": "the request carries no {key}",
    "no_match": "the request's {key} ({value}) matches none of the values",
    "negated_matched": "the request's {key} ({value}) is one the condition excludes",
    "forall_value_outside": "a value of the request's {key} is outside the allowed set",
    "null_present": "the request carries {key}, and the condition wants it absent",
    "unresolved": "its value cannot be known statically",
    "unsupported_operator": "the simulator cannot evaluate this operator",
    "matched": "the request's {key} ({value}) matches",
    "not_listed": "the request's {key} ({value}) is none of the values",
    "absent_ifexists": "the request carries no {key} (IfExists: holds)",
    "absent_negated": "the request carries no {key} (a negated operator holds)",
    "forall_no_values": "the request carries no {key} (ForAllValues holds on no values)",
    "null_matched": "{key} is present or absent as the condition wants",
}

_FLAG_OF_KEY = {
    "sts:externalid": "--external-id",
    "aws:multifactorauthpresent": "--mfa",
    "aws:multifactorauthage": "--mfa",
    "aws:principalorgid": "--principal-org-id",
    "sts:sourceidentity": "--source-identity",
}


def _explain(out: Simulation, decision: Mapping[str, Any], statement: Mapping[str, Any],
             refs: Mapping[str, Mapping[str, Any]], request: Request, role: Role) -> None:
    context = request.context_values()
    reason = decision["reason"]

    def value_of(key: str) -> str:
        values = context.get(key, [])
        return ", ".join(values) if values else "none"

    if reason == "explicit_deny":
        held = [c for c in statement.get("conditions", ())]
        out.why = "an explicit Deny of the trust policy applies to this request, and a Deny always wins"
        if held:
            out.condition = _condition_info(held[0], refs)
            out.why += " (its conditions all hold: " + "; ".join(
                _WHY[c["why"]].format(key=c["key"], value=value_of(c["key"])) for c in held) + ")"
            out.fix.append(_deny_fix(held[0], request))
        else:
            out.fix.append("the Deny has no condition: change the trust policy, or use another principal")
    elif reason == "condition_failed":
        failing = [c for c in statement.get("conditions", ()) if not c["holds"]]
        first = failing[0]
        out.condition = _condition_info(first, refs)
        out.why = ("the statement names your principal and the action, but a condition fails: "
                   + _WHY[first["why"]].format(key=first["key"], value=value_of(first["key"])))
        for c in failing:
            out.fix.append(_condition_fix(c, refs, request))
    elif reason == "principal_not_trusted":
        at = refs.get(statement.get("principal", {}).get("ref", ""), {})
        named = [refs.get(p["ref"], {}).get("text", "") for s in role.input.get("statements", ())
                 if s["ref"] == statement["ref"] for p in s["principals"]]
        named_text = ", ".join(n for n in named if n) or at.get("text", "")
        if statement.get("principal", {}).get("via") == "not_principal_listed":
            out.why = f"the statement's NotPrincipal excludes {request.principal.arn}"
        elif statement.get("principal", {}).get("match") == "unresolved":
            out.why = "a principal of the statement cannot be known statically"
        else:
            out.why = f"the trust names {named_text}, not your principal"
        out.fix.append(f"add {request.principal.role_arn or request.principal.arn} (or its account) to the "
                       "statement's Principal, or call as "
                       f"{named_text or 'a principal the trust names'}")
    elif reason == "action_not_allowed":
        out.why = f"the statement names your principal but does not allow {out.action}"
        out.fix.append(f"add {out.action} to the statement's Action")
    elif reason == "no_statement":
        out.why = "no statement of the trust policy allows this action (implicit deny)"
        out.fix.append(f"add an Allow statement for {out.action} naming {request.principal.arn}")
    elif reason == "caller_explicit_deny":
        out.why = "the trust allows it, but the caller's identity policy explicitly denies sts:AssumeRole on the role"
        out.fix.append("remove or narrow the Deny in the caller's policy")
    elif reason == "caller_implicit_deny":
        out.why = ("the trust allows it, but the caller's identity policy allows no sts:AssumeRole on "
                   f"{role.arn or 'the role'} (across accounts both sides must allow)")
        out.fix.append(f"allow sts:AssumeRole on {role.arn or 'the role ARN'} in the caller's identity policy")
    else:
        out.why = "the statement's principal, action and every condition match"
        if out.caller == "assumed":
            where = "across accounts" if request.principal.account != role.account else "the trust names the whole account"
            out.notes.append(f"{where}: sts:AssumeRole on the role is assumed to be allowed by the caller's account "
                             "(give --caller-policy FILE to check it)")
        elif out.caller == "allow":
            out.notes.append("the caller's identity policy allows sts:AssumeRole on the role")
    if any(s.get("principal_element") == "NotPrincipal" for s in role.input.get("statements", ())):
        out.notes.append("the trust uses NotPrincipal, which is invalid in a role trust policy (IAMG-106): decided "
                         "as written, with NotPrincipal naming the caller only when it lists each of its identities "
                         "(session, role, account)")
    if request.principal.kind == "aws" and not role.account:
        out.notes.append("the role's account is unknown (give --role-arn): the call is taken as cross-account")


def _condition_fix(c: Mapping[str, Any], refs: Mapping[str, Mapping[str, Any]], request: Request) -> str:
    key = c["key"]
    text = refs.get(c["ref"], {}).get("text", key)
    flag = _FLAG_OF_KEY.get(key)
    if c["why"] == "unresolved":
        return f"{text}: its value is known only at deployment; simulate the deployed policy"
    if c["why"] == "unsupported_operator":
        return f"{text}: check this condition by hand"
    if key.endswith(":sub") and request.principal.scope == "oidc":
        flag = "--oidc-sub"
    elif key.endswith(":aud") and request.principal.scope == "oidc":
        flag = "--oidc-aud"
    if c["why"] == "missing_key":
        if flag == "--mfa":
            return "sign in with MFA (add --mfa)"
        if flag:
            return f"add {flag} (the condition: {text})"
        return f"add --context {key}=VALUE (the condition: {text})"
    if flag == "--mfa":
        return f"sign in with MFA (add --mfa); the condition: {text}"
    what = flag or f"--context {key}=..."
    return f"give a value the condition admits with {what} (the condition: {text})"


def _deny_fix(c: Mapping[str, Any], request: Request) -> str:
    key = c["key"]
    flag = _FLAG_OF_KEY.get(key) or f"--context {key}=..."
    if key == "aws:multifactorauthpresent":
        return "sign in with MFA (add --mfa): the Deny holds without it"
    if key.startswith("aws:principal"):
        return f"the Deny removes your principal (by its {key}): call as a principal it spares, or change the Deny"
    return f"the Deny holds for the request's {key}: change it ({flag}) so the Deny's condition fails"
