"""Plain-language messages from the structured facts a rule returns.

Rules never format text (regopy's sprintf garbles computed strings, and free text is not
safe in the engine); they return refs and ASCII facts, and this module writes the sentence
with the original text of the nodes the refs point at.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from .normalize.policy import NormalizedDocument

_PROBLEMS = {
    "missing_effect": "the statement has no Effect",
    "invalid_effect": "Effect must be exactly Allow or Deny",
    "missing_action": "the statement has neither Action nor NotAction",
    "action_and_not_action": "the statement has both Action and NotAction",
    "invalid_action": "an action is not a string",
    "missing_principal": "the statement has neither Principal nor NotPrincipal",
    "principal_and_not_principal": "the statement has both Principal and NotPrincipal",
    "not_principal_in_trust": "NotPrincipal is not allowed in a role trust policy",
    "duplicate_key": "the key appears more than once; only the last one takes effect, the others are silently dropped",
    "octal_number": "an unquoted number with a leading zero is read as an octal number (quote account ids)",
    "invalid_statement": "Statement must be an object or a list of objects",
    "invalid_principal_block": "the Principal element is malformed (expected \"*\" or a map of AWS, Service, Federated, CanonicalUser)",
    "invalid_condition": "the condition is malformed or uses an unknown operator",
    "unknown_version": "Version must be 2012-10-17 or 2008-10-17",
    "missing_version": "without a Version, IAM reads policy variables such as ${aws:username} as literal text",
    "invalid_document": "the policy document is not a JSON object",
    "invalid_json": "the policy string is not valid JSON, so IAM rejects it",
    "invalid_resource": "a resource is not a string",
    "invalid_max_session": "MaxSessionDuration must be a whole number of seconds from 3600 to 43200, or the deployment fails",
}

_WEAKNESS = {
    "if_exists": "an ...IfExists operator is true when the key is absent, so a caller simply omits it",
    "for_all_values": "ForAllValues is true when the key is absent from the request",
    "negated": "a negated operator in an Allow admits every other value and callers without the key",
    "null": "a Null check tests only whether the key is present, not its value",
    "wildcard_only": "a value made only of wildcards matches anything",
    "empty_value": "the value is empty",
    "literal_wildcard": "StringEquals compares the * literally, so the condition never matches as intended",
}

_DEFECTS = {
    "partial_wildcard": "IAM rejects wildcards inside a principal ARN, and it reads as 'any principal'",
    "malformed_arn": "it is not a valid principal ARN",
    "bad_account_id": "its account id is not 12 digits",
    "placeholder": "it is neither an ARN nor a 12-digit account id (a placeholder?)",
    "stale_unique_id": "it is the unique id of a deleted role or user; the statement no longer applies to anyone",
    "canonical_user": "CanonicalUser principals are not valid in a role trust policy",
    "cross_partition": "it is in another partition than the role, so the trust cannot work",
    "wrong_service": "only iam and sts ARNs name AWS principals",
}

_UNRESOLVED = {
    "trust_policy": "the trust policy",
    "policy": "the policy",
    "statement": "a statement",
    "effect": "the Effect",
    "principal": "the principal",
    "action": "an action",
    "condition": "the condition",
    "resource": "the resource",
    "max_session": "the maximum session duration",
}


STACK_ACCOUNT = "${AWS::AccountId}"
# How a stand-in for the own account is written and said: a CloudFormation stack's
# AWS::AccountId, or a Terraform module's data.aws_caller_identity read from its sources.
STAND_IN_WORDS = {
    "stack": (STACK_ACCOUNT, "this stack's own account (AWS::AccountId)"),
    "module": ("${data.aws_caller_identity.account_id}", "this module's own account (data.aws_caller_identity)"),
}
_PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")


@dataclass(frozen=True)
class MessageContext:
    document: NormalizedDocument
    own_account_known: bool
    redact: bool = False  # the document's values are sensitive: name nodes, never quote them
    secrets: frozenset[str] = frozenset()  # values never to quote, wherever they appear
    # The token that stands for a template's own account (AWS::AccountId) when it is unknown.
    stand_in: str = ""
    stand_in_kind: str = "stack"  # a key of STAND_IN_WORDS
    # Where a ref's value came from, when the source computed it: a template's intrinsic as
    # written (`written !Sub 'arn:aws:iam::${Partner}:root'`), a plan's input variable
    # (`from var.partner_account`); else "".
    written: Callable[[str], str] | None = None

    def text(self, ref: str) -> str:
        node = self.document.nodes.get(ref)
        if node is None:
            return ""
        if self.redact and not ref.startswith(("s", "q", "r", "m", "e")):
            return "(sensitive value)"
        if any(secret in node.text for secret in self.secrets):
            return "(sensitive value)"
        return node.text.replace(self.stand_in, STAND_IN_WORDS[self.stand_in_kind][0]) if self.stand_in else node.text

    def quote(self, ref: str) -> str:
        """The node's value, quoted, with the source text beside it when an intrinsic or an
        interpolation produced it."""
        text = self.text(ref)
        source = self.source(ref)
        return f"{text!r} ({source})" if source else repr(text)

    def source(self, ref: str) -> str:
        """The node as written, when that says more than its value (`!Ref Partner`)."""
        if self.written is None or self.redact or self.text(ref) == "(sensitive value)":
            return ""
        source = self.written(ref)
        if any(secret in source for secret in self.secrets):
            return ""
        if (source.startswith(("written !Sub", 'written {"Fn::Sub"'))
                and all(name.startswith("AWS::") for name in _PLACEHOLDER.findall(source))):
            return ""  # only pseudo parameters (partition, account, region): the value says it all
        return source if source and self.text(ref) not in source else ""

    def account(self, account: str) -> str:
        """An account for a sentence: the stack's own account said as such."""
        if self.stand_in and account == self.stand_in:
            return STAND_IN_WORDS[self.stand_in_kind][1]
        return f"account {account}" if account else ""

    def unknown_account(self, ref: str) -> str:
        """Why a principal's account is not known, naming the parameter or value it comes from."""
        names = [m for m in _PLACEHOLDER.findall(_account_field(self.text(ref)) + " " + _account_field(self.source(ref)))
                 if not m.startswith("AWS::")]
        if not names:
            return "its account is not a 12-digit id as written"
        return f"its account, from {', '.join(dict.fromkeys(names))}, cannot be known before deployment"

    def _all_statements(self) -> list[Mapping[str, Any]]:
        """Statements of the document and of the role's policies."""
        role = self.document.engine_input.get("role") or {}
        policies = [role.get("boundary") or {}] + list(role.get("policies") or [])
        return list(self.document.engine_input.get("statements", [])) + [
            s for p in policies for s in p.get("statements", [])]

    def statement(self, ref: str) -> str:
        for stmt in self._all_statements():
            if stmt.get("ref") == ref:
                sid = self.document.nodes[ref].sid
                label = f"Statement {stmt['index'] + 1}"
                return f"{label} (Sid {sid!r})" if sid else label
        return "A statement"

    def statement_record(self, ref: str) -> Mapping[str, Any]:
        for stmt in self._all_statements():
            if stmt.get("ref") == ref:
                return stmt
        return {}

    def principal_record(self, ref: str) -> Mapping[str, Any]:
        """The principal of the trust statements whose ref this is, or {}."""
        for stmt in self.document.engine_input.get("statements", []):
            for principal in stmt.get("principals", []):
                if principal.get("ref") == ref:
                    return principal
        return {}

    def weak_note(self, statement_ref: str, keys: tuple[str, ...]) -> str:
        """Say why a condition on `keys` that is present does not count."""
        for cond in self.statement_record(statement_ref).get("conditions", []):
            if cond.get("key") in keys:
                return f"; its condition {self.text(cond['ref'])!r} does not restrict (weak operator or value)"
        return ""

    def account_note(self) -> str:
        return "" if self.own_account_known else " (account of the role unknown: set own_accounts)"


def _account_field(text: str) -> str:
    """The account field of an ARN (`arn:aws:iam::${Peer}:root` -> `${Peer}`), else the text."""
    start = text.find("arn:")
    parts = text[start:].split(":", 5) if start >= 0 else []
    return parts[4] if len(parts) == 6 else text


def _principal(ctx: MessageContext, ref: str, facts: Mapping[str, Any]) -> str:
    if ref.startswith("c"):
        return f"{ctx.account(str(facts.get('account') or '')) or 'an account'} (named by the condition {ctx.quote(ref)})"
    return ctx.quote(ref)


# What an unknown value keeps from being checked.
_UNCHECKED = {
    "boundary": "whether a permissions boundary caps the role could not be checked",
    "max_session": "the session length of this externally assumable role could not be checked",
    "policy": "what the role may do once assumed could not be checked",
    "resource": "which roles this statement lets its holder assume could not be checked",
}


def _iamg_001(ctx: MessageContext, ref: str, f: Mapping[str, Any]) -> str:
    what = str(f.get("what"))
    name = _UNRESOLVED.get(what, what)
    unchecked = _UNCHECKED.get(what)
    if ctx.document.engine_input.get("kind") != "trust" and what in ("policy", "statement", "effect", "action"):
        unchecked = "what the policy grants could not be checked"
    elif unchecked is None:
        in_permissions = ctx.document.nodes.get(ref) is not None and _in_permissions(ctx, ref)
        unchecked = ("what the role may do once assumed could not be checked" if in_permissions
                     else "who may assume the role could not be verified")
    if what == "condition" and f.get("key") == "?":
        return (f"The conditions {ctx.quote(ref)} of this statement cannot be known before deployment, so {unchecked}; "
                "review the deployed value")
    if what == "condition":
        source = ctx.source(ref)
        value = f" ({source})" if source else ""
        return (f"The condition {ctx.text(ref)!r} has a value{value} that cannot be known before deployment, so "
                f"{unchecked}; review the deployed value")
    return (f"{name[:1].upper()}{name[1:]} {ctx.quote(ref)} cannot be known before deployment, so {unchecked}; "
            "review the deployed value")


def _in_permissions(ctx: MessageContext, ref: str) -> bool:
    for entry in ctx.document.engine_input.get("unresolved", []):
        if entry.get("ref") == ref:
            return entry.get("part") == "permissions" or ctx.document.engine_input.get("kind") != "trust"
    return False


def _iamg_002(ctx: MessageContext, ref: str, f: Mapping[str, Any]) -> str:
    code = str(f.get("code"))
    detail = ctx.text(ref)
    sentence = _PROBLEMS.get(code, code.replace("_", " "))
    return f"Invalid policy: {sentence}" + (f" ({detail!r})" if detail and code not in ("missing_version",) else "")


def _iamg_101(ctx: MessageContext, ref: str, f: Mapping[str, Any]) -> str:
    unknown = [c for c in ctx.statement_record(str(f["statement"])).get("conditions", [])
               if c.get("key") in _CONFINING_KEYS and c.get("state") == "unresolved"]
    if unknown:
        key = (ctx.text(unknown[0]["ref"]).split() + ["", ""])[1]  # "ArnLike aws:PrincipalArn ${...}"
        return (f"{ctx.statement(str(f['statement']))} lets any AWS principal ({ctx.quote(ref)}) assume the role: "
                f"its condition on {key} has a value that cannot be known before deployment, so nothing is known "
                "to confine it")
    return (f"{ctx.statement(str(f['statement']))} lets any AWS principal ({ctx.quote(ref)}) assume the "
            "role: no condition on aws:PrincipalAccount, aws:PrincipalArn or aws:PrincipalOrgID confines it")


_CONFINING_KEYS = frozenset({"aws:principalaccount", "aws:principalarn", "aws:principalorgid", "aws:principalorgpaths"})


def _iamg_102(ctx: MessageContext, ref: str, f: Mapping[str, Any]) -> str:
    stmt = ctx.statement(str(f["statement"]))
    if "org" in f:
        org = str(f["org"]) if not str(f["org"]).startswith("~") else ctx.text(ref)
        return (f"{stmt} confines the wildcard principal to organization {org!r}, "
                "which is not in trusted_org_ids")
    return (f"{stmt} trusts {_cross_account(ctx, ref, f)}, which is neither one of your accounts (the role's own, "
            f"own_accounts, internal_accounts) nor in trusted_accounts{ctx.account_note()}")


def _iamg_103(ctx: MessageContext, ref: str, f: Mapping[str, Any]) -> str:
    stmt = str(f["statement"])
    return (f"{ctx.statement(stmt)} lets {_cross_account(ctx, ref, f)} call sts:AssumeRole without a restricting "
            f"sts:ExternalId condition{ctx.weak_note(stmt, ('sts:externalid',))}{ctx.account_note()}")


def _iamg_104(ctx: MessageContext, ref: str, f: Mapping[str, Any]) -> str:
    stmt = str(f["statement"])
    note = ctx.weak_note(stmt, ("aws:multifactorauthpresent", "aws:multifactorauthage"))
    return (f"{ctx.statement(stmt)} lets {_cross_account(ctx, ref, f)} assume the role without MFA "
            f"(Bool aws:MultiFactorAuthPresent true){note}{ctx.account_note()}")


def _iamg_105(ctx: MessageContext, ref: str, f: Mapping[str, Any]) -> str:
    account = str(f.get("account") or "")
    if ctx.stand_in and account == ctx.stand_in:
        whole = f"{STAND_IN_WORDS[ctx.stand_in_kind][1]} as a whole, {ctx.quote(ref)},"
    elif account:
        whole = f"the whole account {account}, {ctx.quote(ref)},"
    else:
        whole = f"a whole account, {ctx.quote(ref)} ({ctx.unknown_account(ref)}),"
    return (f"{ctx.statement(str(f['statement']))} trusts {whole} so any identity that account allows can assume the "
            "role, and no aws:PrincipalArn condition narrows it to named roles or users")


def _iamg_106(ctx: MessageContext, ref: str, f: Mapping[str, Any]) -> str:
    record = ctx.statement_record(str(f["statement"]))
    names = ", ".join(repr(ctx.text(p["ref"])) for p in record.get("principals", []))
    return (f"{ctx.statement(str(f['statement']))} uses Allow with NotPrincipal: everyone except "
            f"{names or 'the listed principals'} may assume the role")


def _iamg_107(ctx: MessageContext, ref: str, f: Mapping[str, Any]) -> str:
    stmt = ctx.statement(str(f["statement"]))
    if f.get("form") == "not_action":
        return f"{stmt} uses NotAction with Allow: it grants every action not listed, sts:AssumeRole included"
    record = ctx.statement_record(str(f["statement"]))
    actions = ", ".join(repr(ctx.text(r)) for r in record.get("actions", {}).get("refs", []))
    return f"{stmt} allows {actions}: every assume action at once, where one specific action is needed"


def _iamg_108(ctx: MessageContext, ref: str, f: Mapping[str, Any]) -> str:
    reason = _WEAKNESS.get(str(f.get("reason")), str(f.get("reason")))
    return (f"The condition {ctx.quote(ref)} in {ctx.statement(str(f['statement']))} restricts nothing: {reason}")


def _iamg_109(ctx: MessageContext, ref: str, f: Mapping[str, Any]) -> str:
    defect = _DEFECTS.get(str(f.get("defect")), str(f.get("defect")))
    return f"Principal {ctx.quote(ref)} in {ctx.statement(str(f['statement']))} is invalid: {defect}"


def _iamg_110(ctx: MessageContext, ref: str, f: Mapping[str, Any]) -> str:
    return (f"Service {ctx.quote(ref)} may assume the role ({ctx.statement(str(f['statement']))}) without an "
            "aws:SourceAccount or aws:SourceArn condition, so it could act for another account's resource")


def _iamg_111(ctx: MessageContext, ref: str, f: Mapping[str, Any]) -> str:
    kind = {"aws": "AWS", "service": "service", "oidc": "OIDC provider", "saml": "SAML provider"}.get(str(f.get("kind")), "")
    return (f"{ctx.statement(str(f['statement']))} grants only {f.get('action')} to the {kind} principal "
            f"{ctx.quote(ref)}, which cannot use that action")


_ORIGINS = {
    "inline": "inline policy",
    "managed": "managed policy",
    "attachment": "attached policy",
    "policy_attachment": "policy attachment",
    "role_policy": "role policy",
    "boundary": "permissions boundary",
}


def _cross_account(ctx: MessageContext, ref: str, f: Mapping[str, Any]) -> str:
    """`'arn:...' of account 444455556666` or, for an account not known statically, what the
    finding assumes about it."""
    account = str(f.get("account") or "")
    if account:
        return f"{_principal(ctx, ref, f)} of {ctx.account(account)}"
    return f"{_principal(ctx, ref, f)} ({ctx.unknown_account(ref)}; this finding assumes it is not one of yours)"


def _policy(ctx: MessageContext, ref: str, origin: str) -> str:
    return f"{_ORIGINS.get(origin, 'policy')} {ctx.text(ref)!r}"


def _origin_of(ctx: MessageContext, ref: str) -> str:
    role = ctx.document.engine_input.get("role") or {}
    for policy in [role.get("boundary") or {}] + list(role.get("policies") or []):
        if policy.get("ref") == ref:
            return str(policy.get("origin"))
    return ""


def _outsider(ctx: MessageContext, ref: str) -> str:
    """Who from outside your accounts may assume the role, for IAMG-301/302."""
    principal = ctx.principal_record(ref)
    kind, account = str(principal.get("kind", "")), str(principal.get("account") or "")
    if kind in ("oidc", "saml"):
        return f"identities of the federation provider {ctx.quote(ref)}"
    if kind == "wildcard":
        return f"any principal ({ctx.quote(ref)})"
    if ref.startswith("e"):  # Allow + NotPrincipal
        return f"everyone but {ctx.quote(ref)}"
    if not account:
        return f"{ctx.quote(ref)} ({ctx.unknown_account(ref)}; this finding assumes it is not one of yours)"
    return f"{ctx.quote(ref)}, from outside your accounts,"


def _iamg_301(ctx: MessageContext, ref: str, f: Mapping[str, Any]) -> str:
    boundary = {"unresolved": "; its permissions boundary cannot be known statically",
                "external": "; its permissions boundary is defined outside this scan"}.get(str(f.get("boundary")), "")
    return (f"The role grants admin-equivalent permissions through the {_policy(ctx, ref, str(f.get('origin')))}, "
            f"and {_outsider(ctx, str(f.get('principal')))} may assume it{boundary}")


def _iamg_302(ctx: MessageContext, ref: str, f: Mapping[str, Any]) -> str:
    return (f"{ctx.statement(str(f.get('statement')))} of the {_policy(ctx, ref, _origin_of(ctx, ref))} allows "
            f"{f.get('action')!r} on every "
            f"resource, so the role can grant itself more, and {_outsider(ctx, str(f.get('principal')))} may assume it")


def _iamg_303(ctx: MessageContext, ref: str, f: Mapping[str, Any]) -> str:
    if ref.startswith("s"):
        return (f"{ctx.statement(ref)} grants admin-equivalent permissions to a role whose trust policy is not in "
                "this scan")
    return f"The role grants admin-equivalent permissions through the {_policy(ctx, ref, str(f.get('origin')))}"


def _iamg_304(ctx: MessageContext, ref: str, f: Mapping[str, Any]) -> str:
    form = {"everything": "every resource (\"*\")", "any_account": "roles of any account",
            "every_role": "every role of an account", "not_resource": "everything outside NotResource"}.get(
        str(f.get("form")), "any role")
    values = ctx.statement_record(str(f["statement"])).get("resources", {}).get("values", [])
    written = f" ({', '.join(values)})" if values and f.get("form") != "not_resource" else ""
    policy = f" of the {_policy(ctx, str(f['policy']), _origin_of(ctx, str(f['policy'])))}" if f.get("policy") else ""
    return (f"{ctx.statement(str(f['statement']))}{policy} allows assuming {form}{written}: the holder can assume any "
            "role that trusts its account")


def _iamg_401(ctx: MessageContext, ref: str, f: Mapping[str, Any]) -> str:
    seconds = f.get("seconds")
    if isinstance(seconds, int) and seconds > 43200:  # an invalid value, bounded for the engine
        return (f"The externally assumable role asks for sessions longer than IAM's maximum of 43200 seconds "
                f"(an invalid MaxSessionDuration, see IAMG-002), more than max_session_seconds ({f.get('limit')})")
    return (f"The externally assumable role allows sessions of {seconds} seconds, more than "
            f"max_session_seconds ({f.get('limit')})")


def _iamg_402(ctx: MessageContext, ref: str, f: Mapping[str, Any]) -> str:
    if f.get("boundary") == "none":
        return "The externally assumable role has no permissions boundary (require_permissions_boundary is set)"
    return f"The permissions boundary {ctx.quote(ref)} is not in allowed_permissions_boundaries"


_UNSATISFIABLE = {
    "other_provider": "is a claim of another identity provider's tokens, which the provider this statement trusts "
                      "never sends",
    "placeholder_key": "uses a key with an unexpanded template placeholder, which no request carries",
    "disjoint_values": "and another StringEquals condition on the same single-valued key have no value in common, "
                       "and both must hold",
    "mfa_on_machine": "is never true for a service or web identity: their requests carry no MFA",
}


def _iamg_112(ctx: MessageContext, ref: str, f: Mapping[str, Any]) -> str:
    why = _UNSATISFIABLE.get(str(f.get("reason")), "can never hold")
    return (f"{ctx.statement(str(f['statement']))} can never be satisfied: its condition {ctx.quote(ref)} {why}, "
            "so nobody can assume the role through this statement")


def _iamg_201(ctx: MessageContext, ref: str, f: Mapping[str, Any]) -> str:
    who = _OIDC_USERS.get(str(ctx.principal_record(ref).get("provider", "")), "any of its users")
    return (f"{ctx.statement(str(f['statement']))} lets identities of the OIDC provider {ctx.quote(ref)} assume the "
            f"role without a restricting condition on {f.get('key')}: {who} can assume it")


_OIDC_USERS = {
    "github": "any workflow of any repository on GitHub",
    "gitlab": "any job of any project on that GitLab",
    "terraform_cloud": "any workspace of any organization on HCP Terraform",
    "eks": "any service account of the cluster",
}


def _iamg_202(ctx: MessageContext, ref: str, f: Mapping[str, Any]) -> str:
    if f.get("reason") == "not_approved":
        return (f"The subject condition {ctx.quote(ref)} in {ctx.statement(str(f['statement']))} has a value outside "
                "approved_oidc_subjects")
    return (f"The subject condition {ctx.quote(ref)} in {ctx.statement(str(f['statement']))} has a value that "
            "matches identities outside your organization")


def _iamg_203(ctx: MessageContext, ref: str, f: Mapping[str, Any]) -> str:
    return (f"{ctx.statement(str(f['statement']))} trusts the federation provider {ctx.quote(ref)} without a "
            f"restricting condition on {f.get('key')}, so tokens issued for other applications are accepted")


_COMPOSERS: dict[str, Callable[[MessageContext, str, Mapping[str, Any]], str]] = {
    "IAMG-001": _iamg_001,
    "IAMG-002": _iamg_002,
    "IAMG-101": _iamg_101,
    "IAMG-102": _iamg_102,
    "IAMG-103": _iamg_103,
    "IAMG-104": _iamg_104,
    "IAMG-105": _iamg_105,
    "IAMG-106": _iamg_106,
    "IAMG-107": _iamg_107,
    "IAMG-108": _iamg_108,
    "IAMG-109": _iamg_109,
    "IAMG-110": _iamg_110,
    "IAMG-111": _iamg_111,
    "IAMG-112": _iamg_112,
    "IAMG-201": _iamg_201,
    "IAMG-202": _iamg_202,
    "IAMG-203": _iamg_203,
    "IAMG-301": _iamg_301,
    "IAMG-302": _iamg_302,
    "IAMG-303": _iamg_303,
    "IAMG-304": _iamg_304,
    "IAMG-401": _iamg_401,
    "IAMG-402": _iamg_402,
}


def compose(rule_id: str, title: str, ctx: MessageContext, ref: str, facts: Mapping[str, Any]) -> str:
    composer = _COMPOSERS.get(rule_id)
    if composer is None:
        return title
    try:
        return composer(ctx, ref, facts)
    except KeyError:
        return title
