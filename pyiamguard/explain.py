"""`pyiamguard explain`: each role's trust in plain words.

Per role (each trust document of the file): who may assume it (the principals of its Allow
statements, with the conditions on aws:PrincipalArn, aws:PrincipalAccount and
aws:PrincipalOrgID that narrow them, and the Deny statements that remove some), under which
conditions, which conditions restrict nothing and why (the scan's IAMG-108 and IAMG-112
findings), what the role can do once assumed (its policies from the role facts of the engine
input; admin and escalation from IAMG-301/302/303) and every finding of a scan of the file
with the same configuration. Nothing here judges anew: the scan's rules decide, this says it.
With `prove`, the SMT model (`pyiamguard.prove`) adds each property's proof or counterexample,
over every variant of the role and with the callers of the file that may not assume it denied.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

NARROWING_KEYS = ("aws:principalarn", "aws:principalaccount", "aws:principalorgid", "aws:principalorgpaths")
INEFFECTIVE_RULES = ("IAMG-108", "IAMG-112")
PERMISSION_RULES = {"IAMG-301": "admin rights, and strangers may assume it",
                    "IAMG-302": "can escalate its own privileges, and strangers may assume it",
                    "IAMG-303": "admin rights"}


class ExplainError(Exception):
    """A file or resource that cannot be explained (exit 2)."""


@dataclass
class RoleExplanation:
    resource: str
    file: str
    line: int
    accounts: list[str]
    who: list[dict[str, Any]] = field(default_factory=list)
    denies: list[dict[str, Any]] = field(default_factory=list)
    ineffective: list[str] = field(default_factory=list)
    permissions: dict[str, Any] = field(default_factory=dict)
    findings: list[dict[str, Any]] = field(default_factory=list)
    proofs: list[Any] | None = None  # with --prove: one prove.Answer per property

    def to_dict(self) -> dict[str, Any]:
        out = {"resource": self.resource, "file": self.file, "line": self.line, "accounts": self.accounts,
               "who_may_assume": self.who, "denied": self.denies, "conditions_restricting_nothing": self.ineffective,
               "once_assumed": self.permissions, "findings": self.findings}
        if self.proofs is not None:
            out["proofs"] = [a.to_dict() for a in self.proofs]
        return out

    def text(self) -> str:
        account = f", account {', '.join(self.accounts)}" if self.accounts else ", account unknown"
        lines = [f"Role {self.resource} ({self.file}:{self.line}){account}", "  Who may assume it:"]
        if not self.who:
            lines.append("    nobody: no statement allows an assume action")
        for entry in self.who:
            lines.append(f"    - {entry['principal']}")
            lines.append(f"      by {entry['statement']} ({entry['file']}:{entry['line']}), {entry['action']}")
            if entry["narrowed_to"]:
                lines.append(f"      narrowed to: {'; '.join(entry['narrowed_to'])}")
            lines.append(f"      when: {'; '.join(entry['conditions']) if entry['conditions'] else 'always (no condition)'}")
        for deny in self.denies:
            lines.append(f"  Denied by {deny['statement']} ({deny['file']}:{deny['line']}): {deny['principals']}"
                         + (f" when {'; '.join(deny['conditions'])}" if deny["conditions"] else " always"))
        lines.append("  Conditions that restrict nothing:" + ("" if self.ineffective else " none"))
        lines += [f"    - {text}" for text in self.ineffective]
        p = self.permissions
        lines.append("  Once assumed:")
        if p.get("policies") is None:
            lines.append("    unknown: the file holds the trust policy only")
        else:
            lines.append(f"    policies: {', '.join(p['policies']) or 'none'}")
            lines.append(f"    services: {', '.join(p['services']) or 'none known'}")
            lines.append(f"    boundary: {p['boundary']}; max session: {p['max_session']}")
        lines.append(f"    admin: {p['admin']}; escalation: {p['escalation']}")
        lines.append("  Findings:" + ("" if self.findings else " none"))
        lines += [f"    {f['severity']} {f['rule_id']} line {f['line']}: {f['message']}" for f in self.findings]
        if self.proofs is not None:
            lines.append("  Proofs:")
            lines += [f"    {a.property}: {a.words()}" for a in self.proofs]
        return "\n".join(lines) + "\n"


def explain(path: str, config: Any = None, resource: str | None = None, *, prove: bool = False,
            timeout_ms: int = 10_000, jobs: int = 0) -> tuple[list[RoleExplanation], list[str]]:
    """The explanation of each role of the file (with `resource`, that one), and the errors.
    `prove` adds the SMT model's answers (needs z3: `prove.requests.check_available`), on
    `jobs` processes (0: the CPUs available, at most 8)."""
    from .errors import EngineError
    from .scanner import Scanner

    try:
        scanner = Scanner(config)
        found = scanner.inspect([path], callers=prove)
        report = scanner.scan([path])
    except EngineError as exc:
        raise ExplainError(str(exc)) from None
    errors = [f"{e.file}: {e.message}" for e in found.errors]
    trusts = [d for d in found.documents if d.input.get("kind") == "trust"]
    if resource is not None:
        names = sorted({d.resource for d in trusts})
        trusts = [d for d in trusts if d.resource == resource]
        if not trusts and not errors:
            from .suggest import did_you_mean

            raise ExplainError(f"--resource {resource!r}: no such role{did_you_mean(resource, names)} "
                               f"(roles: {', '.join(names) or 'none'})")
    if not trusts and not errors:
        raise ExplainError(f"{path}: no role trust policy found")
    by_resource: dict[str, list[Any]] = {}
    for v in report.violations:
        by_resource.setdefault(v.resource, []).append(v)
    seen: dict[str, RoleExplanation] = {}
    variants: dict[str, list[Any]] = {}
    for document in trusts:
        variants.setdefault(document.resource, []).append(document)
        if document.resource not in seen:  # a later variant is a role already explained
            seen[document.resource] = _explain_role(document, by_resource.get(document.resource, []))
    if prove:
        from .engine import default_workers
        from .prove.properties import DEFAULT
        from .prove.prover import RoleTask, prove_tasks

        tasks = [RoleTask(d, DEFAULT, found.callers_denied(d)) for name in seen for d in variants[name]]
        proved = iter(prove_tasks(tasks, scanner.config, timeout_ms, jobs or default_workers()))
        for name, explanation in seen.items():
            explanation.proofs = _combined([next(proved) for _ in variants[name]])
    return list(seen.values()), errors


def _combined(proofs: list[Any]) -> list[Any]:
    """Each property's answer over every variant of a role: refuted when one variant is (its
    request), proven when all are, else unknown."""
    import dataclasses

    from .prove.prover import PROVEN, REFUTED

    if len(proofs) > 1:  # say which variant an answer holds for when it is not every one's
        proofs = [dataclasses.replace(p, answers=tuple(dataclasses.replace(a, variant=p.variant) for a in p.answers))
                  for p in proofs]
    out = []
    for answers in zip(*(p.answers for p in proofs)):
        refuted = next((a for a in answers if a.verdict == REFUTED), None)
        unknown = next((a for a in answers if a.verdict != PROVEN), None)
        if refuted is None and unknown is None:
            out.append(dataclasses.replace(answers[0], variant="", seconds=sum(a.seconds for a in answers)))
        else:
            out.append(refuted or unknown)
    return out


def _explain_role(document: Any, violations: list[Any]) -> RoleExplanation:
    data = document.input
    refs = document.refs
    statements = data.get("statements", ())
    role = data.get("role")
    anchor = refs.get(role["ref"]) if role and role.get("ref") in refs else (
        refs.get(statements[0]["ref"]) if statements else None) or {"line": 1}
    accounts = [a if not a.startswith("000000000") else f"{a} (stands for this stack's or module's own account)"
                for a in data.get("context", {}).get("own_accounts") or ()]
    out = RoleExplanation(document.resource, anchor.get("file") or document.file, anchor.get("line") or 1, accounts)
    for s in statements:
        if s["effect"] == "Allow" and _assume(s):
            out.who += _who(s, refs, accounts)
        elif s["effect"] == "Deny" and _assume(s):
            out.denies.append({**_where(s, refs), "principals": _principals_text(s, refs, accounts),
                               "conditions": [_text(c["ref"], refs) for c in s.get("conditions", ())]})
    findings = sorted(violations, key=lambda v: (v.location.line or 0, v.rule_id))
    out.ineffective = [f"{v.rule_id} line {v.location.line}: {v.message}" for v in findings
                       if v.rule_id in INEFFECTIVE_RULES]
    out.findings = [{"rule_id": v.rule_id, "severity": v.severity.value, "line": v.location.line,
                     "message": v.message} for v in findings]
    rules = {v.rule_id for v in findings}
    admin = next((PERMISSION_RULES[r] for r in ("IAMG-301", "IAMG-303") if r in rules), "no")
    escalation = PERMISSION_RULES["IAMG-302"] if "IAMG-302" in rules else "no"
    out.permissions = {"admin": "yes: " + admin if admin != "no" else "no finding",
                       "escalation": "yes: " + escalation if escalation != "no" else "no finding",
                       **_role_facts(role)}
    return out


def _assume(s: Mapping[str, Any]) -> bool:
    a = s["actions"]
    return bool(a.get("assume_role") or a.get("web_identity") or a.get("saml") or a.get("unresolved"))


def _where(s: Mapping[str, Any], refs: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    at = refs.get(s["ref"], {})
    sid = at.get("text", "")
    name = f"Statement {s['index'] + 1} (Sid {sid})" if _is_sid(sid, s["index"]) else f"Statement {s['index'] + 1}"
    return {"statement": name, "file": at.get("file", ""), "line": at.get("line", 0)}


def _is_sid(text: str, index: int) -> bool:
    """The text of a statement ref is its Sid, when it has one."""
    return bool(text) and text not in (f"Statement[{index}]", "{...}", "statement")


def _text(ref: str, refs: Mapping[str, Mapping[str, Any]]) -> str:
    return str(refs.get(ref, {}).get("text", ref))


def _actions(s: Mapping[str, Any]) -> str:
    a = s["actions"]
    names = [n for flag, n in (("assume_role", "sts:AssumeRole"), ("web_identity", "sts:AssumeRoleWithWebIdentity"),
                               ("saml", "sts:AssumeRoleWithSAML")) if a.get(flag)]
    if a.get("unresolved"):
        return "an action known only at deployment"
    return ", ".join(names)


def _who(s: Mapping[str, Any], refs: Mapping[str, Mapping[str, Any]], accounts: list[str]) -> list[dict[str, Any]]:
    conditions = [c for c in s.get("conditions", ())]
    narrowing = [_text(c["ref"], refs) for c in conditions if c["key"] in NARROWING_KEYS]
    others = [_text(c["ref"], refs) for c in conditions if c["key"] not in NARROWING_KEYS]
    base = {**_where(s, refs), "action": _actions(s), "narrowed_to": narrowing, "conditions": others}
    if s["principal_element"] == "NotPrincipal":
        return [{**base, "principal": f"everyone except {_principals_text(s, refs, accounts)} (NotPrincipal)"}]
    return [{**base, "principal": _principal(p, refs, accounts)} for p in s["principals"]]


def _principals_text(s: Mapping[str, Any], refs: Mapping[str, Mapping[str, Any]], accounts: list[str]) -> str:
    return "; ".join(_principal(p, refs, accounts) for p in s["principals"]) or "nobody"


def _principal(p: Mapping[str, Any], refs: Mapping[str, Mapping[str, Any]], accounts: list[str]) -> str:
    written = _text(p["ref"], refs)
    kind, account = p["kind"], p.get("account", "")
    own = " (the role's own account)" if account and any(a.startswith(account) for a in accounts) else ""
    if kind == "wildcard":
        if p.get("defects"):
            return f"'{written}': a partial wildcard IAM rejects, read as anyone"
        return {"*": "anyone: every principal of every AWS account, anonymous callers included",
                "AWS": "any principal of any AWS account",
                "Service": "any AWS service"}.get(p.get("block", "*"), "anyone") + f" ('{written}')"
    if kind == "aws":
        if p.get("whole_account"):
            return (f"every principal of account {account}{own} that its own policies allow to call "
                    f"sts:AssumeRole on the role ('{written}')")
        name = written.rsplit("/", 1)[-1]
        what = {"role": f"the role {name} of account {account}{own} (its sessions)",
                "user": f"the user {name} of account {account}{own}",
                "assumed_role": f"one session of a role of account {account}{own}",
                "federated_user": f"the federated user {name} of account {account}{own}"}.get(p.get("scope", ""))
        return f"{what} ('{written}')" if what else f"'{written}' of account {account}{own}"
    if kind == "service":
        return f"the AWS service {p.get('service') or written}"
    if kind == "oidc":
        provider = p.get("provider") or "other"
        return f"identities of the OIDC provider {written} ({provider})"
    if kind == "saml":
        return f"users of the SAML provider {written}"
    if kind == "unresolved":
        return f"a principal known only at deployment ('{written}')"
    if kind == "unique_id":
        return f"'{written}': the unique id of a deleted principal, which admits nobody"
    return f"'{written}': not a valid principal"


def _role_facts(role: Mapping[str, Any] | None) -> dict[str, Any]:
    if not role:
        return {"policies": None, "services": [], "boundary": "unknown", "max_session": "unknown"}
    policies = []
    services: set[str] = set()
    for policy in role.get("policies", ()):
        origin = policy.get("origin", "")
        state = policy.get("state", "")
        if policy.get("aws_managed"):
            policies.append(f"AWS managed {policy.get('name')} ({origin})")
        elif state == "known":
            policies.append(f"{origin} policy")
        else:
            policies.append(f"{origin} policy ({state})")
        for s in policy.get("statements", ()):
            if s.get("effect") == "Allow" and not s["actions"].get("not_action"):
                services |= {pattern.split(":", 1)[0] if ":" in pattern else "*" for pattern in s["actions"]["patterns"]}
    boundary = role.get("boundary") or {}
    state = boundary.get("state", "none")
    boundary_text = ("none" if state == "none" else
                     f"AWS managed {boundary.get('name')}" if boundary.get("aws_managed") else
                     boundary.get("name") or state)
    session = role.get("max_session") or {}
    seconds = session.get("seconds")
    max_session = {"default": "3600 s (default)", "known": f"{seconds} s"}.get(session.get("state", ""),
                                                                              session.get("state", "unknown"))
    return {"policies": policies, "services": sorted(services), "boundary": boundary_text, "max_session": max_session}
