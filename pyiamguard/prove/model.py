"""IAM's AssumeRole decision for one role's trust policy, as z3 formulas.

A second, independent semantics of the decision `pyiamguard simulate` makes (simulate.py and
data/simulate/*.rego): there a concrete request is decided; here the request is symbolic, so a
solver can say whether *any* request gets in, and which. tests/prove/ holds the two to the same
answers: on every case of tests/fixtures/simulate/cases.yaml, and on every request the solver
finds for hand-written trusts.

The request
-----------
`RoleModel.var(name)`: `kind` (aws, service, federated), `scope` (root, role, user,
assumed_role, federated_user, oidc, saml, service), `partition` (aws, aws-cn, aws-us-gov) and
`action` (one of ACTIONS) are enumerations (`is_(name, value)` tests them; `var` gives a string
view); `account` (12 digits; "" for a service and a built-in web identity provider), `path`,
`name` (a role's, user's, federated user's or SAML provider's), `session`, `service` (a service
principal's host) and `issuer` (an OIDC issuer, lower-cased as it prefixes its keys) are
strings; `mfa` is a Bool. `principal_arn` (the caller: a session is
`arn:<p>:sts::<acct>:assumed-role/<role>/<session>`), `role_arn` (the caller's own role, with its
path, for a role or one of its sessions; "" otherwise) and `role_name` are terms spelled from
those parts; a policy's principal ARN is matched part by part (`_arn_is`), never as an equation
over the spelled string, which z3's string theory solves slowly. Well-formedness (`solver()`,
`wellformed()`) gives each scope its ARN shape (IAM's name characters, 1-64 long; paths `/` or
`/.../`), ties AssumeRole to AWS principals and services, AssumeRoleWithWebIdentity to OIDC
providers and AssumeRoleWithSAML to SAML providers (TagSession and SetSourceIdentity to any),
the caller's partition to the role's, and a federation provider to the role's account (when
known).

The request context holds the keys the trust names (lower-cased: keys are case-insensitive)
and those the caller asks for (`present`, `value`, `values`, `count`, `address`). A key has one
value, or up to `multi_value_bound` when it is multi-valued (used with `ForAnyValue:` or
`ForAllValues:`, or known to be: aws:TagKeys, aws:PrincipalOrgPaths, `<issuer>:amr` ...; a
documented single-valued key such as sts:ExternalId keeps one value whatever operator tests it).
The keys IAM fills itself are computed from the principal exactly as
`simulate.Request.context_values` fills them: aws:PrincipalArn (the role's ARN for a role or a
session, else the caller's), aws:PrincipalAccount and aws:PrincipalType (Account, AssumedRole,
User, FederatedUser) for AWS principals; aws:PrincipalServiceName for services;
aws:MultiFactorAuthPresent `true` with aws:MultiFactorAuthAge (any integer of up to 10 digits,
the caller's to say) when `mfa`, else MultiFactorAuthPresent `false` for temporary credentials
(roles, sessions, federated users) and no MFA key for users and root. Every other key is the
caller's free choice, present or absent, within what IAM allows: sts:ExternalId (2-1224
characters of `[\\w+=,.@:/-]`) from AWS principals and services; sts:SourceIdentity (2-64 of
`[\\w+=,.@-]`); aws:PrincipalOrgID/OrgPaths and aws:PrincipalTag/* from AWS principals;
aws:SourceAccount/SourceArn/SourceOrgID/SourceOrgPaths and aws:PrincipalServiceNamesList from
services; `saml:*` from SAML providers; `<issuer>:<claim>` (a key whose service part holds a
dot) from that OIDC issuer only; aws:CurrentTime and aws:EpochTime always present. A key
compared with IpAddress/NotIpAddress holds IP addresses (version and integer value; its text,
once a formula reads it, is IPv4 dotted decimal or IPv6 in full 8x4-hex-digit form); a key
compared with Date operators holds epoch seconds, `YYYY-MM-DD` or `YYYY-MM-DDThh:mm:ssZ`.

The decision
------------
An explicit Deny that applies wins; else an Allow that applies allows; else implicit deny. A
statement applies when its action, its principal and every condition hold. Principals: `*` (and
`{"AWS": "*"}`, `{"Service": "*"}`, `{"Federated": "*"}` for their kind), an account (bare id or
`:root`) for every AWS principal of it, a role ARN for the role and its sessions (a session by
account and role name, as its ARN carries no path), a user, session or federated-user ARN for
itself, a service host, an OIDC/SAML provider ARN or built-in web identity host (compared
case-insensitively). NotPrincipal excludes the caller only when it lists every identity the
request carries (a session's ARN, role and account; a user's ARN and account; ...), as
simulate does. With a source identity (sts:SourceIdentity present) the request also needs
sts:SetSourceIdentity. Across accounts IAM also needs the caller's own identity policy to allow
the call: a free choice of the caller's account (it can always grant itself the permission),
except for the callers of `callers_without_permission`: roles and users of the scan whose own
policies, all known, never allow them to assume this role (IAMG-501's verdict). `trust_allowed`
is the trust policy's side of the decision; `allowed` also leaves those callers out.

Conditions follow simulate's conditions.rego: the values of one key are ORed, keys and
operators ANDed; a positive operator on an absent key is false, a negated one true,
`...IfExists` true; `Null` tests presence; `ForAnyValue:` is false and `ForAllValues:` true on
no value; a negated operator holds for a value none of the condition's values matches. Strings
compare case-sensitively; StringEqualsIgnoreCase and Bool compare lower-cased (regular
expressions built char by char); StringLike globs read `*` and `?`; ArnLike/ArnEquals match
each of the first five colon-separated fields on its own (wildcards never cross their `:`) and
the resource part whole; Numeric compares integers of up to 15 digits (a decimal matches
nothing, as in simulate); Date compares epoch seconds (ISO 8601 or epoch in the policy);
IpAddress compares address ranges; a condition value that is not a number, date or block
matches nothing. Policy variables (`${aws:username}`) are compared as written, as simulate
does (IAM substitutes them). Condition values are read as written (`refs` text) when the
model's tokens hash them.

Unknowns
--------
What cannot be known statically (the document, a statement, an effect, a principal, an action
element, a condition) and an operator IAM does not know is a free Boolean (`unknown_vars`),
listed in `unknowns`: the solver takes it either way, so a proof covers every value it may
take, and the caller turns a proof of a model with unknowns into UNKNOWN; a refutation that
needs a particular value is no counterexample. `decide` and `unknowns_as_simulate()` read
them as simulate does: an unknown principal, action or condition holds in a Deny and fails in
an Allow; an unknown effect is Allow (as the normalizer records it); an unknown statement or
document neither allows nor denies (simulate does not see it).

Limits (what IAM does that the model does not)
----------------------------------------------
- The caller's side: its identity policy, permissions boundary, session policy and SCPs are
  its own account's free choice (see above), but for the callers of the scan that IAMG-501
  finds without permission. Only the trust policy is modelled.
- Session tags: IAM also requires sts:TagSession when AssumeRole carries tags
  (aws:RequestTag/*, aws:TagKeys); as in simulate, TagSession is decided only as an action of
  its own. Only a source identity adds sts:SetSourceIdentity.
- Policy variables are literal text; NotPrincipal (which IAM rejects in trust policies) is read
  as simulate reads it; a role principal admits a session by account and role name whatever
  its path; partial wildcards, unique ids and other invalid principals admit nobody.
- Keys IAM fills that simulate does not (aws:PrincipalIsAWSService, aws:userid,
  aws:username, sts:RoleSessionName, aws:SecureTransport, aws:RequestedRegion, aws:SourceIp
  of AWS callers, the claims a provider always sends) are the caller's free choice: proofs
  stay sound, a refutation may use a request IAM would fill differently (a GitHub token
  without `sub`).
- Multi-valued keys carry at most `multi_value_bound` values; a key the trust uses without a
  set qualifier and that no table names multi-valued has one value.
- Numbers are integers of up to 15 digits (IAM also reads decimals); the request's dates are
  spelled as epoch seconds, `YYYY-MM-DD` or `YYYY-MM-DDThh:mm:ssZ` (`decide` reads other
  spellings as no date); an address key holds addresses only, spelled canonically (IPv6 in full
  when a formula reads its text); a key compared both as an address and a date holds addresses.
- Well-formed callers: names 1-64 characters of `[\\w+=,.@-]` (IAM wants 2-64 for sessions),
  paths without `"` or `\\`, lower-case OIDC issuers `host[/path]`, service hosts ending in
  `.amazonaws.com`, `.amazonaws.com.cn` or `.amazon.com`, the partitions aws, aws-cn and
  aws-us-gov, and the caller's partition is the role's.
- StringEqualsIgnoreCase folds one-to-one case pairs only; BinaryEquals compares the base64
  text.

The solver
----------
z3's string theory is erratic: the same easy query takes milliseconds or seconds by the random
seed. `solver()` therefore restarts `check()` with a new seed after 250 ms, four times longer
each time, within its budget; and no formula equates a string to a spelled ARN: principals and
aws:PrincipalArn patterns are matched part by part (`_arn_is`, `_PieceMatcher`), parts that no
well-formed caller holds are decided in Python, and the parts a scope does not use are "".
"""
from __future__ import annotations

import ctypes
import time
import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

from ..normalize.values import engine_token
from ..simulate import epoch_seconds  # one reading of IAM's dates for both semantics
from .requests import ACTIONS, ConcreteRequest, ProveUnavailable, check_available

try:
    import z3
except ImportError:  # pragma: no cover - without the `prove` extra
    z3 = None  # type: ignore[assignment]

__all__ = ["ACTIONS", "ConcreteRequest", "ProveUnavailable", "RoleModel", "check_available"]

KINDS = ("aws", "service", "federated")
AWS_SCOPES = ("root", "role", "user", "assumed_role", "federated_user")
SCOPES = (*AWS_SCOPES, "oidc", "saml", "service")
PARTITIONS = ("aws", "aws-cn", "aws-us-gov")
BUILT_IN_IDPS = ("cognito-identity.amazonaws.com", "accounts.google.com", "graph.facebook.com", "www.amazon.com")
PRINCIPAL_TYPE = {"root": "Account", "role": "AssumedRole", "assumed_role": "AssumedRole", "user": "User",
                  "federated_user": "FederatedUser"}
STRING_VARS = ("account", "service", "issuer", "path", "name", "session")
# The parts of the caller's ARN each scope uses (the others are "").
PARTS_OF = {"root": ("account",), "user": ("account", "path", "name"), "role": ("account", "path", "name"),
            "assumed_role": ("account", "path", "name", "session"), "federated_user": ("account", "name"),
            "service": ("service",), "oidc": ("account", "issuer"), "saml": ("account", "name")}
SSI = "sts:SetSourceIdentity"

# conditions.rego: the positive operator of each negated one, and what it evaluates.
POSITIVE = {"stringnotequals": "stringequals", "stringnotequalsignorecase": "stringequalsignorecase",
            "stringnotlike": "stringlike", "arnnotequals": "arnequals", "arnnotlike": "arnlike",
            "numericnotequals": "numericequals", "datenotequals": "dateequals", "binarynotequals": "binaryequals",
            "notipaddress": "ipaddress"}
SUPPORTED = frozenset({"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike", "bool",
                       "numericequals", "numericlessthan", "numericlessthanequals", "numericgreaterthan",
                       "numericgreaterthanequals", "dateequals", "datelessthan", "datelessthanequals",
                       "dategreaterthan", "dategreaterthanequals", "binaryequals", "null", "ipaddress"})
# NotPrincipal names the caller only when it covers each identity the request carries.
IDENTITIES = {"assumed_role": ("session", "role", "account"), "role": ("role", "account"),
              "user": ("self", "account"), "federated_user": ("self", "account"), "root": ("account",),
              "service": ("self",), "oidc": ("self",), "saml": ("self",)}

TIED = ("aws:principalarn", "aws:principalaccount", "aws:principaltype", "aws:principalservicename",
        "aws:multifactorauthpresent", "aws:multifactorauthage")
ALWAYS_PRESENT = frozenset({"aws:currenttime", "aws:epochtime"})
# Documented single-valued keys (one slot whatever operator tests them) and multi-valued ones.
SINGLE_VALUED = frozenset({
    "sts:externalid", "sts:sourceidentity", "sts:rolesessionname", "aws:principalorgid", "aws:sourceaccount",
    "aws:sourcearn", "aws:sourceorgid", "aws:sourceip", "aws:sourcevpc", "aws:sourcevpce", "aws:currenttime",
    "aws:epochtime", "aws:securetransport", "aws:principalisawsservice", "aws:userid", "aws:username",
    "aws:requestedregion", "aws:referer", "aws:useragent", "aws:tokenissuetime", "aws:viaawsservice",
    "aws:federatedprovider", "saml:aud", "saml:sub", "saml:sub_type", "saml:iss", "saml:namequalifier",
    "saml:doc", "saml:cn", "saml:commonname"})
SINGLE_VALUED_PREFIXES = ("aws:principaltag/", "aws:requesttag/", "aws:resourcetag/")
SINGLE_VALUED_CLAIMS = frozenset({"sub", "aud", "oaud", "azp", "id", "app_id", "user_id", "email"})
MULTI_VALUED = frozenset({"aws:tagkeys", "aws:principalorgpaths", "aws:principalservicenameslist",
                          "aws:sourceorgpaths", "aws:calledvia", "sts:transitivetagkeys"})
AWS_ONLY = frozenset({"aws:principalorgid", "aws:principalorgpaths"})
SERVICE_ONLY = frozenset({"aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths",
                          "aws:principalservicenameslist"})

_INTEGER = re.compile(r"-?[0-9]{1,15}\Z")
# The well-formed parts of a caller's ARN, in Python (the solver's regular expressions, _Regexes).
_PART_TEXT = {
    "account": re.compile(r"[0-9]{12}"),
    "name": re.compile(r"[A-Za-z0-9_+=,.@-]{1,64}"),
    "session": re.compile(r"[A-Za-z0-9_+=,.@-]{1,64}"),
    "saml_name": re.compile(r"[A-Za-z0-9_.-]{1,128}"),
    "path": re.compile(r"/|/[!#-\[\]-~]+/"),
    "issuer": re.compile(r"[a-z0-9.-]+(/[a-z0-9._~-]+)*"),
    "service": re.compile(r"[a-z0-9.-]+\.(amazonaws\.com|amazonaws\.com\.cn|amazon\.com)"),
}
_HASHED = re.compile(r"~[0-9a-f]{16}\Z")


def _available() -> None:
    if z3 is None:
        raise ProveUnavailable()
    check_available()


# --- strings and regular expressions -----------------------------------------------------------

def _sval(text: str) -> Any:
    """A z3 string literal holding exactly `text` (z3 reads `\\u{..}` in literals as an escape)."""
    return z3.StringVal("".join(ch if 32 <= ord(ch) < 127 and ch != "\\" else "\\u{%x}" % ord(ch) for ch in text))


def _text(value: Any) -> str:
    """The Python text of a z3 string value (code points, not z3's escaped rendering)."""
    ctx, ast = value.ctx_ref(), value.as_ast()
    length = z3.Z3_get_string_length(ctx, ast)
    if length == 0:
        return ""
    buffer = (ctypes.c_uint * length)()
    z3.Z3_get_string_contents(ctx, ast, length, buffer)
    return "".join(chr(c) for c in buffer)


def _re_sort() -> Any:
    return z3.ReSort(z3.StringSort())


def _lit(text: str) -> Any:
    return z3.Re(_sval(text))


def _cat(parts: Sequence[Any]) -> Any:
    if not parts:
        return z3.Re(z3.StringVal(""))
    return parts[0] if len(parts) == 1 else z3.Concat(*parts)


def _union(parts: Sequence[Any]) -> Any:
    if not parts:
        return z3.Empty(_re_sort())
    return parts[0] if len(parts) == 1 else z3.Union(*parts)


def _any_char() -> Any:
    return z3.AllChar(_re_sort())


def _char_class(spec: str) -> Any:
    """`A-Za-z0-9_.-`: ranges and single characters (a `-` last is literal)."""
    parts, i = [], 0
    while i < len(spec):
        if i + 2 < len(spec) and spec[i + 1] == "-":
            parts.append(z3.Range(spec[i], spec[i + 2]))
            i += 3
        else:
            parts.append(_lit(spec[i]))
            i += 1
    return _union(parts)


def _glob(pattern: str, any_char: Any) -> Any:
    """IAM's wildcards: `*` any run of characters, `?` one character, everything else literal."""
    parts: list[Any] = []
    run = ""
    for ch in pattern:
        if ch in "*?":
            if run:
                parts.append(_lit(run))
                run = ""
            parts.append(z3.Star(any_char) if ch == "*" else any_char)
        else:
            run += ch
    if run:
        parts.append(_lit(run))
    return _cat(parts)


def _case_insensitive(text: str) -> Any:
    """The strings whose lower-case form is `text`'s (char by char; a character whose other case
    is not one character stays as written)."""
    parts: list[Any] = []
    run = ""
    for ch in text:
        alternatives = sorted({c for c in (ch, ch.lower(), ch.upper(), ch.swapcase(), ch.title())
                               if len(c) == 1 and c.lower() == ch.lower()})
        if len(alternatives) == 1:
            run += ch
            continue
        if run:
            parts.append(_lit(run))
            run = ""
        parts.append(_union([_lit(c) for c in alternatives]))
    if run:
        parts.append(_lit(run))
    return _cat(parts)


def _glob_text(pattern: str, value: str) -> bool:
    """lib/iam_glob.rego on Python strings (for action patterns)."""
    expression = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(expression, value, re.DOTALL) is not None


def _network(text: str) -> Any:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _address(text: str) -> Any:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


class _Regexes:
    """The regular expressions of well-formed request parts (built once per process)."""

    def __init__(self) -> None:
        digit = z3.Range("0", "9")
        self.digit = digit
        self.account = z3.Loop(digit, 12, 12)
        word = _char_class("A-Za-z0-9_+=,.@-")
        # (Star(characters), shortest, longest)
        self.name = (z3.Star(word), 1, 64)
        self.session = (z3.Star(word), 1, 64)
        self.saml_name = (z3.Star(_char_class("A-Za-z0-9_.-")), 1, 128)
        # IAM paths: "/" or "/<chars U+0021-U+007E>/" (here without `"` and `\`).
        path_char = z3.Union(_lit("!"), z3.Range("#", "["), z3.Range("]", "~"))
        self.path = z3.Union(_lit("/"), z3.Concat(_lit("/"), z3.Plus(path_char), _lit("/")))
        host = z3.Plus(_char_class("a-z0-9.-"))
        self.service = z3.Concat(host, z3.Union(_lit(".amazonaws.com"), _lit(".amazonaws.com.cn"), _lit(".amazon.com")))
        # An OIDC issuer, lower-cased as it prefixes its condition keys (the provider's ARN is
        # spelled with it: IAM and simulate compare provider ARNs case-insensitively).
        self.issuer = z3.Concat(z3.Plus(_char_class("a-z0-9.-")),
                                z3.Star(z3.Concat(_lit("/"), z3.Plus(_char_class("a-z0-9._~-")))))
        self.built_in = _union([_lit(h) for h in BUILT_IN_IDPS])
        self.external_id = (z3.Star(_char_class("A-Za-z0-9_+=,.@:/-")), 2, 1224)
        self.source_identity = (z3.Star(word), 2, 64)
        self.mfa_age = z3.Loop(digit, 1, 10)
        self.integer = z3.Concat(z3.Option(_lit("-")), z3.Loop(digit, 1, 15))
        d2, d4 = z3.Loop(digit, 2, 2), z3.Loop(digit, 4, 4)
        date = z3.Concat(d4, _lit("-"), d2, _lit("-"), d2)
        self.iso = z3.Union(date, z3.Concat(date, _lit("T"), d2, _lit(":"), d2, _lit(":"), d2, _lit("Z")))
        self.non_colon = z3.Intersect(_any_char(), z3.Complement(_lit(":")))
        printable = z3.Union(z3.Range(" ", "!"), z3.Range("#", "["), z3.Range("]", "~"))  # no " or \
        self.printable = z3.Star(printable)


_REGEXES: _Regexes | None = None
ENUMS = {"kind": KINDS, "scope": SCOPES, "partition": PARTITIONS, "action": ACTIONS}
_ENUM_SORTS: dict[str, tuple[Any, dict[str, Any]]] = {}


def _enum(name: str) -> tuple[Any, dict[str, Any]]:
    """The finite request parts are enumerations (the solver decides them without the string
    theory); one sort per process."""
    if name not in _ENUM_SORTS:
        sort, constants = z3.EnumSort(f"{name}_sort", [f"{name}={o}" for o in ENUMS[name]])
        _ENUM_SORTS[name] = (sort, dict(zip(ENUMS[name], constants)))
    return _ENUM_SORTS[name]


def _regexes() -> _Regexes:
    global _REGEXES
    if _REGEXES is None:
        _REGEXES = _Regexes()
    return _REGEXES


# --- the model ----------------------------------------------------------------------------------

@dataclass
class _Key:
    name: str
    tied: bool
    count: Any
    slots: list[Any]
    variables: list[Any] = field(default_factory=list)  # what a concrete request binds
    alternatives: list[tuple[Any, Any]] = field(default_factory=list)  # a tied key's (guard, value) by scope
    ip: list[tuple[Any, Any, Any]] = field(default_factory=list)  # (is an address, IPv6, the address as a number)
    text_tied: bool = False  # an address key's text is tied to its bits (once something reads the text)
    date: bool = False
    cache: dict[Any, Any] = field(default_factory=dict)

    def present(self) -> Any:
        return self.count > 0

    def in_request(self, i: int) -> Any:
        return self.count > i


@dataclass
class _Unknown:
    var: Any
    default: bool
    description: str


@dataclass
class _Statement:
    ref: str
    index: int
    effect: str  # Allow, Deny, Unknown
    is_deny: Any
    principal: Any
    covers: Callable[[Any], Any]
    conditions: list[tuple[str, Any]]

    def applies(self, action: Any) -> Any:
        return z3.And(self.principal, self.covers(action), *[c for _, c in self.conditions])


class RoleModel:
    """The AssumeRole decision of one role's trust policy over a symbolic request (see the
    module docstring for what is modelled and how).

    `document` and `refs` are a normalized trust document as the rules see it
    (`Scanner(config).inspect([path]).documents[i]`: `.input` and `.refs`). `role_arn` is the
    role being assumed (its partition and account); `own_account` its account when the ARN is
    not known. `multi_value_bound` is how many values a multi-valued key may carry."""

    def __init__(self, document: Mapping[str, Any], refs: Mapping[str, Mapping[str, Any]], *,
                 role_arn: str | None = None, own_account: str | None = None, multi_value_bound: int = 3,
                 callers_without_permission: Iterable[str] = ()) -> None:
        _available()
        kind = document.get("kind", "trust")
        if kind != "trust":
            raise ValueError(f"a RoleModel is built from a trust policy, not a {kind!r} document")
        self.document = document
        self.refs = refs
        self.bound = max(1, int(multi_value_bound))
        self.role_arn = role_arn or ""
        self.role_partition, self.own_account = _role_facts(document, role_arn, own_account)
        self._re = _regexes()
        self._wf: list[Any] = []
        self._keys: dict[str, _Key] = {}
        self._unknown: dict[str, _Unknown] = {}
        self._notes: dict[str, None] = {}
        self._cache: dict[tuple[str, str], Any] = {}
        self._v: dict[str, Any] = {name: z3.String(name) for name in STRING_VARS}
        self._v["mfa"] = z3.Bool("mfa")
        self._e: dict[str, tuple[Any, dict[str, Any]]] = {}
        for name in ENUMS:
            sort, constants = _enum(name)
            self._e[name] = (z3.Const(name, sort), constants)
            view = _sval(ENUMS[name][-1])
            for option in reversed(ENUMS[name][:-1]):
                view = z3.If(self._e[name][0] == constants[option], _sval(option), view)
            self._v[name] = view
        self._usage = _key_usage(document)
        self._unresolved_paths = _unresolved_paths(document, refs)
        self._principal_terms()
        self._principal_wellformed()
        self._key("sts:sourceidentity")
        self.named_keys: tuple[str, ...] = tuple(self._usage)
        for key in self.named_keys:
            self._key(key)
        self._statements: list[_Statement] = []
        for s in document.get("statements", ()):
            built = self._statement(s)
            if built is not None:
                self._statements.append(built)
        self._extra = self._unknown_statements()
        action = self._e["action"][0]
        self.applies: dict[str, Any] = {s.ref: s.applies(action) for s in self._statements}
        self.effects: dict[str, str] = {s.ref: s.effect for s in self._statements}
        for ref, allow, deny in self._extra:
            self.applies[ref] = z3.Or(allow, deny)
            self.effects[ref] = "Unknown"
        main = self._decision(action)
        source_identity = self._keys["sts:sourceidentity"].present()
        self.trust_allowed: Any = z3.And(main, z3.Implies(z3.And(source_identity, z3.Not(self.is_("action", SSI))),
                                                          self._decision(SSI)))
        self.callers_without_permission = tuple(dict.fromkeys(callers_without_permission))
        self._without_permission = (z3.Or(*[self.caller_is(arn) for arn in self.callers_without_permission])
                                    if self.callers_without_permission else z3.BoolVal(False))
        self.allowed: Any = (z3.And(self.trust_allowed, z3.Not(self._without_permission))
                             if self.callers_without_permission else self.trust_allowed)

    # --- the public surface ---------------------------------------------------------------

    @property
    def unknowns(self) -> tuple[str, ...]:
        """What could not be modelled (`ref: what`): a proof is then UNKNOWN."""
        return tuple(u.description for u in self._unknown.values())

    @property
    def unknown_vars(self) -> dict[str, Any]:
        """The free Booleans standing for the unknowns, by name."""
        return {name: u.var for name, u in self._unknown.items()}

    def unknowns_as_simulate(self) -> Any:
        """Every unknown read as simulate reads it (an unknown never allows: it holds in a Deny and
        fails in an Allow). With it, the requests the solver finds are decided alike by the concrete
        simulator; without it the solver may take each unknown either way."""
        return z3.And(*[u.var == u.default for u in self._unknown.values()])

    @property
    def notes(self) -> tuple[str, ...]:
        """Modelling remarks on this document (parts IAM would reject, read as simulate reads them)."""
        return tuple(self._notes)

    def var(self, name: str) -> Any:
        """The request's variable: kind, scope, partition, account, principal_arn, role_arn,
        role_name, service, issuer, action (strings), mfa (Bool), path, name, session. kind, scope,
        partition and action are enumerations inside: their string here is a view of them, and
        `is_(name, value)` tests them more cheaply."""
        return self._v[name]

    def is_(self, name: str, value: str) -> Any:
        """The request's kind/scope/partition/action is `value` (any other var: equals it)."""
        if name in self._e:
            var, constants = self._e[name]
            return var == constants[value] if value in constants else z3.BoolVal(False)
        return self._v[name] == _sval(value)

    def one_of(self, name: str, values: Iterable[str]) -> Any:
        return z3.Or(*[self.is_(name, value) for value in values])

    def caller_is(self, arn: str) -> Any:
        """The request comes from the identity `arn`: a role (the role itself or any session of
        it) or a user, by partition, account and name (names are unique in an account, whatever
        the path). Any other ARN is false."""
        v = self._v
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn" or parts[1] not in PARTITIONS or parts[2] != "iam" or parts[3]:
            return z3.BoolVal(False)
        kind, _, rest = parts[5].partition("/")
        name = rest.rsplit("/", 1)[-1]
        scopes = {"role": ("role", "assumed_role"), "user": ("user",)}.get(kind)
        if scopes is None or not rest or not _PART_TEXT["account"].fullmatch(parts[4]) \
                or not _PART_TEXT["name"].fullmatch(name):
            return z3.BoolVal(False)
        return z3.And(self.one_of("scope", scopes), self.is_("partition", parts[1]), v["account"] == _sval(parts[4]),
                      v["name"] == _sval(name))

    def present(self, key: str) -> Any:
        """The key (any case) is in the request context. Ask for keys before `solver()`: a key
        the trust does not name is added with its well-formedness constraints then."""
        return self._key(key.lower()).present()

    def value(self, key: str) -> Any:
        """The key's (first) value; meaningful when `present(key)`."""
        k = self._key(key.lower())
        self._tie_text(k)
        return k.slots[0]

    def values(self, key: str) -> list[tuple[Any, Any]]:
        """Every value slot of the key: (this slot is in the request, its value)."""
        k = self._key(key.lower())
        self._tie_text(k)
        return [(k.in_request(i), slot) for i, slot in enumerate(k.slots)]

    def address(self, key: str, i: int = 0) -> tuple[Any, Any]:
        """(IPv6, the address as an integer) of the key's value slot i, for a key compared with
        IpAddress/NotIpAddress (asking for the address of a key the trust does not name makes it
        such a key). Cheaper than `value`: the text of an address is tied to it only when read."""
        name = key.lower()
        if name not in self._keys:
            self._usage.setdefault(name, {"bases": set(), "sets": set()})["bases"].add("ipaddress")
        k = self._key(name)
        if not k.ip:
            raise ValueError(f"{key} is not compared as an IP address")
        _, v6, number = k.ip[i]
        return v6, number

    def count(self, key: str) -> Any:
        """How many values the key carries (0: absent)."""
        return self._key(key.lower()).count

    def issuer_is(self, issuer: str) -> Any:
        """The caller is this OIDC issuer (host/path, any case)."""
        return z3.And(self.is_("scope", "oidc"), self._v["issuer"] == _sval(issuer.lower()))

    def wellformed(self) -> Any:
        """The request's well-formedness constraints (what `solver()` holds), as one formula."""
        return z3.And(*self._wf)

    def solver(self, timeout_ms: int = 30000) -> Any:
        """A solver holding the request's well-formedness constraints. Its `check()` restarts
        with another random seed after a short try, doubling the try, within `timeout_ms` in all:
        z3's string theory is erratic (the same easy query takes 20 ms or 10 s by the seed)."""
        solver = _RestartingSolver(int(timeout_ms))
        solver.add(*self._wf)
        return solver

    def ascii_only(self) -> Any:
        """Every text of the request is printable ASCII without `"` or `\\` (what the concrete
        simulator compares exactly: it hashes other texts)."""
        # The parts of a principal are spelled from ASCII classes already.
        terms = []
        for key in self._keys.values():
            if key.tied:
                continue  # spelled from the principal's parts
            terms += [z3.Implies(key.in_request(i), z3.InRe(slot, self._re.printable))
                      for i, slot in enumerate(key.slots)]
        return z3.And(*terms)

    def request_formula(self, request: ConcreteRequest) -> Any:
        """The request's variables equal this concrete request's values (an IPv6 address is read
        in the model's full spelling). With `solver()` it is unsat when the model cannot represent
        the request."""
        if self._not_derived(request):
            return z3.BoolVal(False)
        return z3.And(*[var == value for var, value in self._bindings(request, normalize=True)])

    def principal_formula(self, request: ConcreteRequest) -> Any:
        """The request's caller and action are this concrete request's; its context (ExternalId,
        MFA, tags, ...) is free: which requests of this caller get in."""
        principal = [self._e[name][0] for name in ("kind", "scope", "partition", "action")]
        principal += [self._v[name] for name in STRING_VARS]
        return z3.And(*[var == value for var, value in self._bindings(request, normalize=True)
                        if any(var.eq(p) for p in principal)])

    def _not_derived(self, request: ConcreteRequest) -> list[str]:
        """The keys IAM fills itself whose values in the request are not what IAM derives from
        its principal (the model computes them, so it cannot represent such a request)."""
        mfa = request.context.get("aws:multifactorauthpresent") == ["true"]
        derived = _derived_context(request.principal_kind, request.scope, request.principal_arn, request.role_arn,
                                   request.account, request.service, mfa)
        out = []
        for key in TIED:
            given, wanted = request.context.get(key), derived.get(key)
            if key == "aws:multifactorauthage":
                consistent = (given is None) == (wanted is None) and (
                    given is None or (len(given) == 1 and re.fullmatch(r"[0-9]{1,10}", given[0]) is not None))
            else:
                consistent = given == wanted
            if not consistent:
                out.append(f"{key} {given} (IAM: {wanted})")
        return out

    def concrete(self, model: Any) -> ConcreteRequest:
        """The request of a solver model."""
        def text(name: str) -> str:
            if name in self._e:
                return str(model.eval(self._e[name][0], model_completion=True)).split("=", 1)[1]
            return _text(model.eval(self._v[name], model_completion=True))

        kind, scope = text("kind"), text("scope")
        principal_arn, role_arn, account, service = (text("principal_arn"), text("role_arn"), text("account"),
                                                     text("service"))
        mfa = z3.is_true(model.eval(self._v["mfa"], model_completion=True))
        # The keys IAM fills itself that no formula reads, as simulate fills them.
        context = {k: vs for k, vs in _derived_context(kind, scope, principal_arn, role_arn, account, service,
                                                       mfa).items() if k not in self._keys}
        for name, key in self._keys.items():
            n = model.eval(key.count, model_completion=True).as_long()
            if n > 0:
                context[name] = [self._concrete_text(model, key, i) for i in range(n)]
        absent = tuple(k for k in self.named_keys if k not in context)
        return ConcreteRequest(kind, scope, text("partition"), account, principal_arn, role_arn, service,
                               text("issuer").lower() if scope == "oidc" else "", text("action"), context, absent)

    def _concrete_text(self, model: Any, key: _Key, i: int) -> str:
        if key.ip and not key.text_tied:
            _, v6, address = key.ip[i]
            number = model.eval(address, model_completion=True).as_long()
            if z3.is_true(model.eval(v6, model_completion=True)):
                return str(ipaddress.IPv6Address(number))
            return str(ipaddress.IPv4Address(number & 0xFFFFFFFF))
        return _text(model.eval(key.slots[i], model_completion=True))

    def unknown_choices(self, model: Any) -> dict[str, bool]:
        """The value a solver model gives each unknown (for `decide`)."""
        return {name: z3.is_true(model.eval(u.var, model_completion=True)) for name, u in self._unknown.items()}

    def decide(self, request: ConcreteRequest, unknowns: Mapping[str, bool] | None = None) -> tuple[str, str | None]:
        """("ALLOW" | "DENY", the deciding statement's ref) for a concrete request, by
        substituting its values into the formulas; the deciding statement is the one simulate
        names (the first Deny that applies; the first Allow that applies; else the Allow closest
        to applying). Unknowns take `unknowns` (by name), else simulate's reading."""
        out = self.decision(request, unknowns)
        return out["decision"], out["statement"]

    def decision(self, request: ConcreteRequest, unknowns: Mapping[str, bool] | None = None) -> dict[str, Any]:
        """`decide` with simulate's reason: allowed, explicit_deny, condition_failed,
        principal_not_trusted, action_not_allowed, no_statement."""
        problems = self._not_derived(request)
        if problems:
            raise ValueError("the request's keys IAM fills itself are not what IAM derives from its principal: "
                             + "; ".join(problems))
        env = self._bindings(request, normalize=False)
        for name, u in self._unknown.items():
            choice = u.default if unknowns is None or name not in unknowns else bool(unknowns[name])
            env.append((u.var, z3.BoolVal(choice)))
        out = self._decide_action(env, request.action)
        if (out["decision"] == "ALLOW" and request.context.get("sts:sourceidentity") and request.action != SSI):
            extra = self._decide_action(env, SSI)
            if extra["decision"] != "ALLOW":
                return {**extra, "action": SSI}
        if out["decision"] == "ALLOW" and self.callers_without_permission \
                and z3.is_true(z3.simplify(z3.substitute(self._without_permission, *env))):
            # The trust admits it, but its own policies do not allow the call (across accounts).
            return {"decision": "DENY", "statement": out["statement"], "reason": "caller_not_permitted",
                    "action": request.action}
        return {**out, "action": request.action}

    # --- request variables and their well-formedness ----------------------------------------

    def _principal_terms(self) -> None:
        """principal_arn, role_arn and role_name: terms over the ARN's parts (no equations for
        the solver: a policy's ARN is matched part by part, see `_arn_is`)."""
        v = self._v
        # The role's partition is the caller's (well-formedness): spelled as a constant when known.
        partition = _sval(self.role_partition) if self.role_partition else v["partition"]

        def arn(service: str, *resource: Any) -> Any:
            if self.role_partition:
                return z3.Concat(_sval(f"arn:{self.role_partition}:{service}::"), v["account"], _sval(":"), *resource)
            return z3.Concat(_sval("arn:"), partition, _sval(f":{service}::"), v["account"], _sval(":"), *resource)

        own_role = arn("iam", _sval("role"), v["path"], v["name"])
        shapes = {
            "root": arn("iam", _sval("root")),
            "user": arn("iam", _sval("user"), v["path"], v["name"]),
            "role": own_role,
            "assumed_role": arn("sts", _sval("assumed-role/"), v["name"], _sval("/"), v["session"]),
            "federated_user": arn("sts", _sval("federated-user/"), v["name"]),
            "service": v["service"],
            "oidc": z3.If(v["account"] == _sval(""), v["issuer"], arn("iam", _sval("oidc-provider/"), v["issuer"])),
            "saml": arn("iam", _sval("saml-provider/"), v["name"]),
        }
        self._spelled = shapes
        # The same ARNs as pieces (texts and variables), for patterns matched piece by piece.
        a = v["account"]
        self._arn_pieces = {
            "root": [":iam::", a, ":root"],
            "user": [":iam::", a, ":user", v["path"], v["name"]],
            "federated_user": [":sts::", a, ":federated-user/", v["name"]],
            "role": [":iam::", a, ":role", v["path"], v["name"]],
        }
        term = shapes["saml"]
        for scope in ("oidc", "service", "federated_user", "assumed_role", "role", "user", "root"):
            term = z3.If(self.is_("scope", scope), shapes[scope], term)
        session_like = self.one_of("scope", ("role", "assumed_role"))
        v["principal_arn"] = term
        v["role_arn"] = z3.If(session_like, own_role, _sval(""))
        v["role_name"] = z3.If(session_like, v["name"], _sval(""))

    def _principal_wellformed(self) -> None:
        v, r = self._v, self._re
        account, service, issuer = v["account"], v["service"], v["issuer"]
        path, name, session = v["path"], v["name"], v["session"]
        one_of, is_ = self.one_of, self.is_
        kind, scope, action = "kind", "scope", "action"

        empty = _sval("")
        wf = self._wf
        wf.append(z3.Implies(is_(kind, "aws"), one_of(scope, AWS_SCOPES)))
        wf.append(z3.Implies(is_(kind, "service"), is_(scope, "service")))
        wf.append(z3.Implies(is_(kind, "federated"), one_of(scope, ("oidc", "saml"))))
        if self.role_partition:
            wf.append(is_("partition", self.role_partition))
        wf.append(z3.Implies(z3.Not(is_(kind, "aws")), z3.Not(v["mfa"])))
        # What calls what: AssumeRole by AWS principals and services, the federations by theirs.
        wf.append(z3.Implies(is_(action, "sts:AssumeRole"), one_of(kind, ("aws", "service"))))
        wf.append(z3.Implies(is_(action, "sts:AssumeRoleWithWebIdentity"), is_(scope, "oidc")))
        wf.append(z3.Implies(is_(action, "sts:AssumeRoleWithSAML"), is_(scope, "saml")))

        account_ok = z3.InRe(account, r.account)
        named = _shaped(name, r.name)
        shapes = {
            "root": account_ok,
            "user": z3.And(account_ok, named, z3.InRe(path, r.path)),
            "role": z3.And(account_ok, named, z3.InRe(path, r.path)),
            "assumed_role": z3.And(account_ok, named, z3.InRe(path, r.path), _shaped(session, r.session)),
            "federated_user": z3.And(account_ok, named),
            "service": z3.And(account == empty, z3.InRe(service, r.service)),
            "oidc": z3.Or(z3.And(account == empty, z3.InRe(issuer, r.built_in)),
                          z3.And(account_ok, z3.InRe(issuer, r.issuer))),
            "saml": z3.And(account_ok, _shaped(name, r.saml_name)),
        }
        for scope_name, shape in shapes.items():
            wf.append(z3.Implies(is_(scope, scope_name), shape))
        # The parts a scope does not spell are "": nothing for the solver to invent there.
        for part in ("path", "name", "session", "service", "issuer"):
            users = [scope for scope, parts in PARTS_OF.items() if part in parts]
            wf.append(z3.Implies(z3.Not(one_of(scope, users)), v[part] == empty))
        if self.own_account:
            # A federation provider lives in the account of the role that trusts it.
            wf.append(z3.Implies(z3.And(is_(kind, "federated"), account != empty),
                                 account == _sval(self.own_account)))

    def _key(self, name: str) -> _Key:
        name = name.lower()
        if name in self._keys:
            return self._keys[name]
        if name in TIED:
            key = self._tied_key(name)
            self._keys[name] = key
            return key
        usage = self._usage.get(name, {"bases": set(), "sets": set()})
        slots = self.bound if _multi_valued(name, usage["sets"]) else 1
        count = z3.Int(f"#{name}")
        values = [z3.String(f"{name}[{i}]") for i in range(slots)]
        key = _Key(name, False, count, values, variables=[count, *values])
        self._keys[name] = key
        wf = self._wf
        wf.append(z3.And(count >= 0, count <= slots))
        may = self._may_carry(name)
        if may is not None:
            wf.append(z3.Implies(count > 0, may))
        if name in ALWAYS_PRESENT:
            wf.append(count > 0)
        ip = bool(usage["bases"] & {"ipaddress"})
        key.date = not ip and any(b.startswith("date") for b in usage["bases"])
        shape = {"sts:externalid": self._re.external_id, "sts:sourceidentity": self._re.source_identity}.get(name)
        for i, slot in enumerate(values):
            used = key.in_request(i)
            if ip:
                is_ip, v6, number = z3.Bool(f"{name}[{i}].ip"), z3.Bool(f"{name}[{i}].v6"), z3.Int(f"{name}[{i}].address")
                key.ip.append((is_ip, v6, number))
                wf += [is_ip, number >= 0, number < z3.If(v6, 2 ** 128, 2 ** 32),
                       z3.Implies(z3.Not(used), z3.And(number == 0, z3.Not(v6)))]
                continue
            # A slot the request does not use is "": nothing for the solver to invent there.
            wf.append(z3.Implies(z3.Not(used), slot == _sval("")))
            if shape is not None:
                wf.append(z3.Implies(used, _shaped(slot, shape)))
            if key.date:
                wf.append(z3.Implies(used, self._is_date(key, slot)))
        return key

    def _tied_key(self, name: str) -> _Key:
        """A key IAM fills from the principal: its count and value are terms over the request's
        principal (no variable, so no equation for the solver), each value given as the
        alternatives it takes by scope (`alternatives`), which conditions match one by one."""
        v = self._v
        aws, service = self.is_("kind", "aws"), self.is_("kind", "service")
        session_like = self.one_of("scope", ("role", "assumed_role"))
        alternatives: list[tuple[Any, Any]] = []
        variables: list[Any] = []
        if name == "aws:principalarn":
            present = aws
            alternatives = [(z3.And(self.is_("scope", scope), present), self._spelled[scope])
                            for scope in ("root", "user", "federated_user")]
            alternatives.append((session_like, self._spelled["role"]))
            self._arn_guards = [(guard, self._arn_pieces[scope]) for (guard, _), scope
                                in zip(alternatives, ("root", "user", "federated_user", "role"))]
        elif name == "aws:principalaccount":
            present = aws
            alternatives = [(present, v["account"])]
        elif name == "aws:principaltype":
            present = aws
            alternatives = [(self.is_("scope", scope), _sval(t)) for scope, t in PRINCIPAL_TYPE.items()]
        elif name == "aws:principalservicename":
            present = service
            alternatives = [(present, v["service"])]
        elif name == "aws:multifactorauthpresent":
            present = z3.And(aws, z3.Or(v["mfa"], session_like, self.is_("scope", "federated_user")))
            alternatives = [(z3.And(present, v["mfa"]), _sval("true")), (z3.And(present, z3.Not(v["mfa"])), _sval("false"))]
        else:  # aws:multifactorauthage: how long ago, the caller's to say
            present = z3.And(aws, v["mfa"])
            age = z3.String(f"{name}[0]")
            self._wf.append(z3.InRe(age, self._re.mfa_age))
            alternatives = [(present, age)]
            variables = [age]
        value = alternatives[-1][1]
        for guard, term in reversed(alternatives[:-1]):
            value = z3.If(guard, term, value)
        return _Key(name, True, z3.If(present, 1, 0), [value], variables=variables, alternatives=alternatives)

    def _tie_text(self, key: _Key) -> None:
        """An address key's text spells its bits (IPv4 dotted decimal, IPv6 in full), added only
        once a formula reads the text: the string theory makes the tie costly, and a key compared
        only with IpAddress needs none (`concrete` spells the address)."""
        if not key.ip or key.text_tied:
            return
        key.text_tied = True
        hex_digits = "0123456789abcdef"
        octet = z3.Union(_lit("0"), z3.Concat(z3.Range("1", "9"), z3.Loop(self._re.digit, 0, 2)))
        for i, (slot, (_, v6, number)) in enumerate(zip(key.slots, key.ip)):
            # IPv4: four decimal octets without leading zeros (the only spelling Python reads).
            octets = [z3.String(f"{key.name}[{i}].octet{n}") for n in range(4)]
            self._wf += [z3.And(z3.InRe(o, octet), z3.StrToInt(o) <= 255) for o in octets]
            v4_text = z3.Concat(octets[0], _sval("."), octets[1], _sval("."), octets[2], _sval("."), octets[3])
            v4_number = z3.Sum([z3.StrToInt(o) * 256 ** (3 - n) for n, o in enumerate(octets)])
            # IPv6: eight groups of four lower-case hex digits, each digit looked up (cheaper for the
            # solver than character codes).
            digits = [z3.String(f"{key.name}[{i}].hex{n}") for n in range(32)]
            values = [z3.Int(f"{key.name}[{i}].nibble{n}") for n in range(32)]
            self._wf += [z3.Or(*[z3.And(d == _sval(h), value == k) for k, h in enumerate(hex_digits)])
                         for d, value in zip(digits, values)]
            groups = [z3.Concat(*digits[4 * g:4 * g + 4]) for g in range(8)]
            v6_text = z3.Concat(*[part for g in range(8) for part in ((_sval(":"),) if g else ()) + (groups[g],)])
            v6_number = z3.Sum([value * 16 ** (31 - n) for n, value in enumerate(values)])
            self._wf.append(z3.If(v6, z3.And(number == v6_number, slot == v6_text),
                                  z3.And(number == v4_number, slot == v4_text)))

    def _may_carry(self, name: str) -> Any:
        """Who may send the key (None: anyone)."""
        v = self._v
        if name == "sts:externalid":
            return self.one_of("kind", ("aws", "service"))
        if name in AWS_ONLY or name.startswith("aws:principaltag/"):
            return self.is_("kind", "aws")
        if name in SERVICE_ONLY:
            return self.is_("kind", "service")
        if name.startswith("saml:"):
            return self.is_("scope", "saml")
        issuer = _oidc_issuer(name)
        if issuer is not None:
            return self.issuer_is(issuer)
        return None

    # --- values: numbers, dates, addresses ------------------------------------------------

    def _is_int(self, slot: Any) -> Any:
        return z3.InRe(slot, self._re.integer)

    def _int(self, slot: Any) -> Any:
        digits = z3.SubString(slot, 1, z3.Length(slot) - 1)
        return z3.If(z3.PrefixOf(_sval("-"), slot), -z3.StrToInt(digits), z3.StrToInt(slot))

    def _is_date(self, key: _Key, slot: Any) -> Any:
        cached = key.cache.get(("is_date", slot.get_id()))
        if cached is None:
            year, month, day, hour, minute, second = _iso_fields(slot)
            leap = z3.And(year % 4 == 0, z3.Or(year % 100 != 0, year % 400 == 0))
            days_in_month = z3.If(month == 2, z3.If(leap, 29, 28),
                                  z3.If(z3.Or(month == 4, month == 6, month == 9, month == 11), 30, 31))
            valid = z3.And(year >= 1, month >= 1, month <= 12, day >= 1, day <= days_in_month, hour <= 23,
                           minute <= 59, second <= 59)
            cached = z3.Or(self._is_int(slot), z3.And(z3.InRe(slot, self._re.iso), valid))
            key.cache[("is_date", slot.get_id())] = cached
        return cached

    def _date(self, key: _Key, slot: Any) -> Any:
        cached = key.cache.get(("date", slot.get_id()))
        if cached is None:
            year, month, day, hour, minute, second = _iso_fields(slot)
            y = year - z3.If(month <= 2, 1, 0)
            era = y / 400
            yoe = y - era * 400
            mp = z3.If(month > 2, month - 3, month + 9)
            doy = (153 * mp + 2) / 5 + day - 1
            doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
            days = era * 146097 + doe - 719468
            iso = days * 86400 + hour * 3600 + minute * 60 + second
            cached = z3.If(self._is_int(slot), self._int(slot), iso)
            key.cache[("date", slot.get_id())] = cached
        return cached

    # --- statements -------------------------------------------------------------------------

    def _note(self, text: str) -> None:
        self._notes[text] = None

    def _unknown_bool(self, name: str, default: bool, description: str) -> Any:
        if name not in self._unknown:
            self._unknown[name] = _Unknown(z3.Bool(f"unknown:{name}"), default, description)
        return self._unknown[name].var

    def _ref_text(self, ref: str, fallback: str = "") -> str:
        return str(self.refs.get(ref, {}).get("text", "") or fallback)

    def _statement(self, s: Mapping[str, Any]) -> _Statement | None:
        ref = s["ref"]
        effect = s["effect"]
        path = self.refs.get(ref, {}).get("path")
        if path is not None and f"{path}.Effect" in self._unresolved_paths:
            is_deny = self._unknown_bool(f"{ref}.effect", False, f"{ref}: the effect of statement {s['index'] + 1} "
                                                                  "cannot be known statically")
            effect = "Unknown"
            deny_default = False
        elif effect in ("Allow", "Deny"):
            is_deny = z3.BoolVal(effect == "Deny")
            deny_default = effect == "Deny"
        else:
            self._note(f"{ref}: statement {s['index'] + 1} has no valid Effect (IAM rejects the policy); "
                               "it neither allows nor denies")
            return None
        principal = self._principal(s, deny_default)
        covers = self._covers(s, deny_default)
        conditions = [(c["ref"], self._condition(c, deny_default)) for c in s.get("conditions", ())]
        return _Statement(ref, int(s["index"]), effect, is_deny, principal, covers, conditions)

    def _unknown_statements(self) -> list[tuple[str, Any, Any]]:
        """Statements (or the whole document) that cannot be known: they may allow or deny."""
        out = []
        for u in self.document.get("unresolved", ()):
            if u.get("part", "document") != "document" or u.get("what") not in ("trust_policy", "statement"):
                continue
            what = "the trust policy" if u["what"] == "trust_policy" else "a statement"
            text = self._ref_text(u["ref"])
            allow = self._unknown_bool(f"{u['ref']}.allow", False, f"{u['ref']}: {what} cannot be known statically "
                                                                   f"({text}): it may allow")
            deny = self._unknown_bool(f"{u['ref']}.deny", False, f"{u['ref']}: {what} cannot be known statically "
                                                                 f"({text}): it may deny")
            out.append((u["ref"], allow, deny))
        return out

    def _decision(self, action: Any) -> Any:
        denies, allows = [], []
        for s in self._statements:
            applies = s.applies(action)
            denies.append(z3.And(s.is_deny, applies))
            allows.append(z3.And(z3.Not(s.is_deny), applies))
        for _, allow, deny in self._extra:
            denies.append(deny)
            allows.append(allow)
        return z3.And(z3.Not(z3.Or(*denies)) if denies else z3.BoolVal(True),
                      z3.Or(*allows) if allows else z3.BoolVal(False))

    def _covers(self, s: Mapping[str, Any], default: bool) -> Callable[[Any], Any]:
        actions = s["actions"]
        if actions.get("unresolved"):
            unknown = self._unknown_bool(f"{actions.get('ref') or s['ref']}.action", default,
                                         f"{actions.get('ref') or s['ref']}: an action of statement {s['index'] + 1} "
                                         "cannot be known statically")
            return lambda action: unknown
        named = [a for a in ACTIONS
                 if any(_glob_text(p, a.lower()) for p in actions.get("patterns", ())) != bool(actions.get("not_action"))]

        def covers(action: Any) -> Any:
            if isinstance(action, str):
                return z3.BoolVal(action in named)
            return self.one_of("action", named) if named else z3.BoolVal(False)

        return covers

    # --- principals ---------------------------------------------------------------------------

    def _principal_value(self, p: Mapping[str, Any]) -> str:
        text = self._ref_text(p["ref"])
        return text.strip() if text and engine_token(text.strip()) == p["value"] else str(p["value"])

    def _is_unresolved_principal(self, p: Mapping[str, Any]) -> bool:
        path = self.refs.get(p["ref"], {}).get("path")
        return p["kind"] == "unresolved" or (path is not None and path in self._unresolved_paths)

    def _principal(self, s: Mapping[str, Any], default: bool) -> Any:
        element = s["principal_element"]
        principals = list(s.get("principals", ()))
        if element == "Principal":
            terms = []
            for p in principals:
                if self._is_unresolved_principal(p):
                    terms.append(self._unknown_bool(
                        p["ref"], default, f"{p['ref']}: principal {self._ref_text(p['ref'], p['value'])} "
                                           "cannot be known statically"))
                else:
                    terms += list(self._vias(p).values())
            return z3.Or(*terms) if terms else z3.BoolVal(False)
        if element == "NotPrincipal":
            known = [p for p in principals if not self._is_unresolved_principal(p)]
            excluded = self._not_principal_lists(known)
            if len(known) < len(principals):
                unknown = self._unknown_bool(
                    f"{s['principal_ref'] or s['ref']}.notprincipal", default,
                    f"{s['principal_ref'] or s['ref']}: a principal of the NotPrincipal of statement {s['index'] + 1} "
                    "cannot be known statically")
                return z3.And(z3.Not(excluded), unknown)
            return z3.Not(excluded)
        return z3.BoolVal(False)

    def _vias(self, p: Mapping[str, Any]) -> dict[str, Any]:
        """How the principal can match the caller (decision.rego's matches_principal)."""
        v = self._v
        out: dict[str, Any] = {}

        def kind_is(k: str) -> Any:
            return self.is_("kind", k)

        if p["kind"] == "wildcard":
            if p.get("defects"):
                self._note(f"{p['ref']}: {self._principal_value(p)} is a partial wildcard, which IAM "
                                   "rejects; it matches no principal")
                return out
            block = p.get("block", "*")
            if block == "*":
                out["wildcard"] = z3.BoolVal(True)
            elif block in ("AWS", "Service", "Federated"):
                out["wildcard"] = kind_is({"AWS": "aws", "Service": "service", "Federated": "federated"}[block])
        elif p["kind"] == "aws":
            if p.get("whole_account"):
                out["account"] = z3.And(kind_is("aws"), v["account"] == _sval(p.get("account", "")),
                                        self._same_partition(p))
            else:
                out["named"] = z3.And(kind_is("aws"), self._named_matches(p))
        elif p["kind"] == "service":
            out["service"] = z3.And(kind_is("service"), v["service"] == _sval(p.get("service", "")))
        elif p["kind"] in ("oidc", "saml"):
            out["federated"] = z3.And(kind_is("federated"), self._arn_is(self._principal_value(p), fold=True))
        else:
            self._note(f"{p['ref']}: principal {self._principal_value(p)} ({p['kind']}) names no caller")
        return out

    def _same_partition(self, p: Mapping[str, Any]) -> Any:
        partition = p.get("partition", "")
        return self.is_("partition", partition) if partition else z3.BoolVal(True)

    def _arn_is(self, value: str, fold: bool = False) -> Any:
        """The caller's ARN (principal_arn) is `value` (`fold`: both lower-cased), as constraints
        on the ARN's parts: each scope spells its ARN differently, so the parts are unique. A part
        no well-formed request can hold makes it false here, in Python: the solver then sees no
        equation it would have to refute (string disequalities are costly to it)."""
        v = self._v

        def fits(part: str, text: str) -> bool:
            return _PART_TEXT[part].fullmatch(text.lower() if fold and part == "issuer" else text) is not None

        def same(var: str, text: str) -> Any:
            if not fits(var, text):
                return z3.BoolVal(False)
            if var == "issuer":  # held lower-cased
                return v[var] == _sval(text.lower()) if fold or text == text.lower() else z3.BoolVal(False)
            return z3.InRe(v[var], self._regex("ci", text)) if fold else v[var] == _sval(text)

        parts = value.split(":", 5)
        if len(parts) != 6:
            # A service host, or a built-in web identity provider (named by its host alone).
            host = value.lower() if fold else value
            out = []
            if _PART_TEXT["service"].fullmatch(host):
                out.append(z3.And(self.is_("scope", "service"), same("service", value)))
            if host in BUILT_IN_IDPS:
                out.append(z3.And(self.is_("scope", "oidc"), v["account"] == _sval(""), same("issuer", value)))
            return z3.Or(*out) if out else z3.BoolVal(False)
        prefix, partition, service, region, account, resource = value.lower().split(":", 5) if fold else parts
        written = parts[5]
        if prefix != "arn" or region or partition not in PARTITIONS or not fits("account", account):
            return z3.BoolVal(False)
        base = [self.is_("partition", partition), v["account"] == _sval(account)]
        slash = written.rfind("/")
        if service == "iam" and resource == "root":
            return z3.And(*base, self.is_("scope", "root"))
        for scope in ("user", "role"):
            if service == "iam" and resource.startswith(f"{scope}/"):
                return z3.And(*base, self.is_("scope", scope), same("path", written[len(scope):slash + 1]),
                              same("name", written[slash + 1:]))
        if service == "sts" and resource.startswith("assumed-role/"):
            rest = written[len("assumed-role/"):]
            if rest.count("/") != 1:
                return z3.BoolVal(False)
            role, session = rest.split("/")
            return z3.And(*base, self.is_("scope", "assumed_role"), same("name", role), same("session", session))
        if service == "sts" and resource.startswith("federated-user/"):
            return z3.And(*base, self.is_("scope", "federated_user"), same("name", written[len("federated-user/"):]))
        if service == "iam" and resource.startswith("oidc-provider/"):
            return z3.And(*base, self.is_("scope", "oidc"), same("issuer", written[len("oidc-provider/"):]))
        if service == "iam" and resource.startswith("saml-provider/"):
            name = written[len("saml-provider/"):]
            if _PART_TEXT["saml_name"].fullmatch(name) is None:
                return z3.BoolVal(False)
            return z3.And(*base, self.is_("scope", "saml"),
                          z3.InRe(v["name"], self._regex("ci", name)) if fold else v["name"] == _sval(name))
        return z3.BoolVal(False)

    def _role_arn_is(self, value: str) -> Any:
        """The caller's own role (a role, or a session of it) is `value`."""
        v = self._v
        parts = value.split(":", 5)
        if (len(parts) != 6 or parts[0] != "arn" or parts[1] not in PARTITIONS or parts[2] != "iam" or parts[3]
                or not parts[5].startswith("role/")):
            return z3.BoolVal(False)
        written = parts[5]
        slash = written.rfind("/")
        path, name = written[len("role"):slash + 1], written[slash + 1:]
        if not all(_PART_TEXT[k].fullmatch(t) for k, t in (("account", parts[4]), ("path", path), ("name", name))):
            return z3.BoolVal(False)
        return z3.And(self.one_of("scope", ("role", "assumed_role")), self.is_("partition", parts[1]),
                      v["account"] == _sval(parts[4]), v["path"] == _sval(path), v["name"] == _sval(name))

    def _named_matches(self, p: Mapping[str, Any]) -> Any:
        v = self._v
        value = self._principal_value(p)
        terms = [self._arn_is(value)]
        if p.get("scope") == "role":
            terms.append(self._role_arn_is(value))
            # A session ARN does not carry its role's path: account and role name identify it.
            account, name = p.get("account", ""), value.split("/")[-1]
            if _PART_TEXT["account"].fullmatch(account) and _PART_TEXT["name"].fullmatch(name):
                terms.append(z3.And(self.is_("scope", "assumed_role"), v["account"] == _sval(account),
                                    self._same_partition(p), v["name"] == _sval(name)))
        return z3.Or(*terms)

    def _not_principal_lists(self, principals: Sequence[Mapping[str, Any]]) -> Any:
        v = self._v
        covered: dict[str, list[Any]] = {"session": [], "role": [], "account": [], "self": []}
        for p in principals:
            vias = self._vias(p)
            value = self._principal_value(p)
            if p["kind"] == "wildcard":
                for identity in covered:
                    covered[identity] += list(vias.values())
                continue
            covered["account"] += [vias["account"]] if "account" in vias else []
            covered["self"].append(self._arn_is(value))
            covered["self"] += [vias[k] for k in ("service", "federated") if k in vias]
            covered["session"].append(z3.And(self.is_("scope", "assumed_role"), self._arn_is(value)))
            if p["kind"] == "aws" and p.get("scope") == "role":
                covered["role"].append(self._named_matches(p))
        cases = []
        for scope, needed in IDENTITIES.items():
            cases.append(z3.And(self.is_("scope", scope), *[z3.Or(*covered[i]) if covered[i] else z3.BoolVal(False)
                                                                for i in needed]))
        return z3.Or(*cases)

    # --- conditions ---------------------------------------------------------------------------

    def _condition(self, c: Mapping[str, Any], default: bool) -> Any:
        ref, base = c["ref"], c["base"]
        positive = POSITIVE.get(base, base) if c.get("negated") else base
        text = self._ref_text(ref, ref)
        if c.get("state") == "unresolved" or c.get("key") == "?":
            return self._unknown_bool(ref, default, f"{ref}: condition {text} cannot be known statically")
        if positive not in SUPPORTED:
            return self._unknown_bool(ref, default, f"{ref}: condition {text} has an operator IAM does not know")
        values = _condition_values(c, self.refs.get(ref, {}).get("text"))
        if values is None:
            return self._unknown_bool(ref, default, f"{ref}: the values of condition {text} could not be recovered")
        key = self._key(c["key"])
        present = key.present()
        if positive == "null":
            terms = []
            for value in values:
                if value.lower() == "true":
                    terms.append(z3.Not(present))
                elif value.lower() == "false":
                    terms.append(present)
            return z3.Or(*terms) if terms else z3.BoolVal(False)
        negated = bool(c.get("negated"))
        qualifier = c.get("set", "")
        if_exists = bool(c.get("if_exists"))

        def holds(i: int) -> Any:
            matched = z3.Or(*[self._matches(positive, value, key, i) for value in values]) if values else z3.BoolVal(False)
            return z3.Not(matched) if negated else matched

        slots = range(len(key.slots))
        if qualifier == "forallvalues":
            absent = z3.BoolVal(True)
            carried = z3.And(*[z3.Implies(key.in_request(i), holds(i)) for i in slots])
        else:
            if qualifier == "":
                absent = z3.BoolVal(True if negated else if_exists)
            else:  # foranyvalue
                absent = z3.BoolVal(if_exists)
            carried = z3.Or(*[z3.And(key.in_request(i), holds(i)) for i in slots])
        return z3.If(present, carried, absent)

    def _regex(self, kind: str, text: str) -> Any:
        cached = self._cache.get((kind, text))
        if cached is None:
            if kind == "glob":
                cached = _glob(text, _any_char())
            elif kind == "ci":
                cached = _case_insensitive(text)
            else:  # arn
                pieces = text.split(":")
                if len(pieces) < 6:
                    cached = z3.Empty(_re_sort())
                else:
                    parts = [_glob(piece, self._re.non_colon) for piece in pieces[:5]]
                    parts.append(_glob(":".join(pieces[5:]), _any_char()))
                    joined: list[Any] = []
                    for n, part in enumerate(parts):
                        joined += [part] if n == 0 else [_lit(":"), part]
                    cached = _cat(joined)
            self._cache[(kind, text)] = cached
        return cached

    def _matches(self, base: str, value: str, key: _Key, i: int) -> Any:
        """One request value (slot i) against one condition value, for a positive operator."""
        if key.name == "aws:principalarn" and base in ("stringequals", "binaryequals"):
            # Equal to a constant: part by part, as principals are matched.
            return z3.And(self.is_("kind", "aws"), z3.Or(
                z3.And(self.one_of("scope", ("root", "user", "federated_user")), self._arn_is(value)),
                self._role_arn_is(value)))
        if key.name == "aws:principalarn":
            atoms = _atoms(base, value)
            if atoms is not None:
                return z3.Or(*[z3.And(guard, self._pieces_match(atoms, pieces)) for guard, pieces in self._arn_guards])
        if key.alternatives:
            return z3.Or(*[z3.And(guard, self._match_text(base, value, key, term))
                           for guard, term in key.alternatives])
        if base != "ipaddress":
            self._tie_text(key)
        if base == "ipaddress":
            network = _network(value)
            if network is None or not key.ip:
                return z3.BoolVal(False)
            is_ip, v6, number = key.ip[i]
            inside = z3.And(number >= int(network.network_address), number <= int(network.broadcast_address))
            return z3.And(is_ip, v6 if network.version == 6 else z3.Not(v6), inside)
        return self._match_text(base, value, key, key.slots[i])

    def _pieces_match(self, atoms: tuple[tuple[str, frozenset[str]], ...], pieces: Sequence[Any]) -> Any:
        """The pattern `atoms` matches the ARN `arn:<partition>` + pieces (texts and variables),
        piece by piece: a text is consumed in Python (the pattern's derivative), a variable takes
        a slice of the pattern (a regular expression on that variable alone). The solver then sees
        no pattern over a concatenation, which its string theory finds hard."""
        partitions = (self.role_partition,) if self.role_partition else PARTITIONS
        out = []
        for partition in partitions:
            merged: list[Any] = []
            for piece in [f"arn:{partition}", *pieces]:
                if isinstance(piece, str) and merged and isinstance(merged[-1], str):
                    merged[-1] += piece
                else:
                    merged.append(piece)
            formula = _PieceMatcher(self, atoms, merged).formula()
            out.append(formula if self.role_partition else z3.And(self.is_("partition", partition), formula))
        return z3.Or(*out)

    def _match_text(self, base: str, value: str, key: _Key, slot: Any) -> Any:
        """A request value (a string term) against one condition value, for a positive operator."""
        if base in ("stringequals", "binaryequals"):
            return slot == _sval(value)
        if base in ("stringequalsignorecase", "bool"):
            return z3.InRe(slot, self._regex("ci", value))
        if base == "stringlike":
            return z3.InRe(slot, self._regex("glob", value))
        if base in ("arnequals", "arnlike"):
            return z3.InRe(slot, self._regex("arn", value))
        if base.startswith("numeric"):
            if not _INTEGER.match(value):
                return z3.BoolVal(False)
            return z3.And(self._is_int(slot), _compare(base[len("numeric"):], self._int(slot), int(value)))
        if base.startswith("date"):
            bound = epoch_seconds(value)
            if bound is None:
                return z3.BoolVal(False)
            return z3.And(self._is_date(key, slot), _compare(base[len("date"):], self._date(key, slot), bound))
        if base == "ipaddress":
            return z3.BoolVal(False)  # a tied key holds no address
        raise AssertionError(base)  # pragma: no cover - SUPPORTED is checked first

    # --- the concrete side --------------------------------------------------------------------

    def _bindings(self, request: ConcreteRequest, normalize: bool) -> list[tuple[Any, Any]]:
        """Variable -> value pairs of a concrete request. `normalize` (a constraint for the solver):
        an IPv6 address in the model's spelling, unused value slots left free; otherwise (the
        replay) every variable the formulas read is bound."""
        v = self._v
        out: list[tuple[Any, Any]] = []
        for name, value in (("kind", request.principal_kind), ("scope", request.scope),
                            ("partition", request.partition), ("action", request.action)):
            var, constants = self._e[name]
            if value not in constants:
                raise ValueError(f"the request's {name} {value!r} is none of {', '.join(constants)}")
            out.append((var, constants[value]))
        parts = _caller_parts(request)
        used = PARTS_OF[request.scope]
        for name in STRING_VARS:
            if normalize and name not in used and name not in ("service", "issuer"):
                continue  # a part this scope does not spell: free
            out.append((v[name], _sval(parts[name])))
        out.append((v["mfa"], z3.BoolVal(request.context.get("aws:multifactorauthpresent") == ["true"])))
        for name, key in self._keys.items():
            values = list(request.context.get(name, ()))
            if key.tied:  # computed from the principal; only the MFA age is the caller's
                for var in key.variables:
                    if values or not normalize:
                        out.append((var, _sval(values[0] if values else "")))
                continue
            if len(values) > len(key.slots):
                raise ValueError(f"the request carries {len(values)} values of {name}; the model holds "
                                 f"{len(key.slots)}")
            out.append((key.count, z3.IntVal(len(values))))
            for i, slot in enumerate(key.slots):
                if i >= len(values) and normalize:
                    continue
                text = values[i] if i < len(values) else ""
                address = _address(text) if key.ip and i < len(values) else None
                if key.ip:
                    is_ip, v6, number = key.ip[i]
                    out += [(is_ip, z3.BoolVal(address is not None)),
                            (v6, z3.BoolVal(address is not None and address.version == 6)),
                            (number, z3.IntVal(int(address) if address is not None else 0))]
                    if normalize and address is not None and key.text_tied:
                        text = address.exploded if address.version == 6 else str(address)
                out.append((slot, _sval(text)))
        return out

    def _decide_action(self, env: list[tuple[Any, Any]], action: str) -> dict[str, Any]:

        def value(expression: Any) -> bool:
            reduced = z3.simplify(z3.substitute(expression, *env)) if env else z3.simplify(expression)
            if z3.is_true(reduced):
                return True
            if z3.is_false(reduced):
                return False
            raise AssertionError(f"not decided by the request: {reduced}")  # pragma: no cover

        rows = []
        for s in self._statements:
            rows.append({"ref": s.ref, "deny": value(s.is_deny), "principal": value(s.principal),
                         "action": value(s.covers(action)), "conditions": all(value(c) for _, c in s.conditions)})
        denying = [r for r in rows if r["deny"] and r["principal"] and r["action"] and r["conditions"]]
        if denying:
            return {"decision": "DENY", "statement": denying[0]["ref"], "reason": "explicit_deny"}
        for ref, _, deny in self._extra:
            if value(deny):
                return {"decision": "DENY", "statement": ref, "reason": "explicit_deny"}
        allows = [r for r in rows if not r["deny"]]
        allowing = [r for r in allows if r["principal"] and r["action"] and r["conditions"]]
        allowing_extra = [ref for ref, allow, _ in self._extra if value(allow)]
        if allowing or allowing_extra:
            return {"decision": "ALLOW", "statement": allowing[0]["ref"] if allowing else allowing_extra[0],
                    "reason": "allowed"}
        for reason, test in (("condition_failed", lambda r: r["principal"] and r["action"]),
                             ("principal_not_trusted", lambda r: not r["principal"] and r["action"]),
                             ("action_not_allowed", lambda r: r["principal"] and not r["action"])):
            near = [r for r in allows if test(r)]
            if near:
                return {"decision": "DENY", "statement": near[0]["ref"], "reason": reason}
        return {"decision": "DENY", "statement": None, "reason": "no_statement"}


# --- helpers ------------------------------------------------------------------------------------

class _RestartingSolver(z3.Solver if z3 is not None else object):  # type: ignore[misc]
    """A z3 solver whose `check()` restarts with a new random seed after a short try (250 ms,
    then twice as long each time) until it answers or `timeout_ms` is spent. Setting
    "timeout" changes the budget."""

    FIRST_TRY_MS = 250
    GROWTH = 4

    def __init__(self, timeout_ms: int) -> None:
        super().__init__()
        self.budget_ms = timeout_ms
        self.tries = 0

    def set(self, *args: Any, **keys: Any) -> None:
        if len(args) == 2 and args[0] == "timeout":
            self.budget_ms = int(args[1])
            return
        if "timeout" in keys:
            self.budget_ms = int(keys.pop("timeout"))
        if args or keys:
            super().set(*args, **keys)

    def check(self, *assumptions: Any) -> Any:
        started = time.monotonic()
        attempt, step = 0, self.FIRST_TRY_MS
        while True:
            left = self.budget_ms - int((time.monotonic() - started) * 1000)
            if left <= 0:
                return z3.unknown
            super().set("timeout", max(1, min(step, left)))
            super().set("random_seed", attempt)
            self.tries += 1
            answer = super().check(*assumptions)
            if answer != z3.unknown or self.reason_unknown() not in ("timeout", "canceled"):
                return answer
            attempt, step = attempt + 1, step * self.GROWTH

def _caller_parts(request: ConcreteRequest) -> dict[str, str]:
    """The parts the model spells a concrete caller's ARNs from (ValueError when its ARN does not
    have its scope's shape)."""
    scope, arn = request.scope, request.principal_arn
    if scope not in PARTS_OF:
        raise ValueError(f"the request's scope {scope!r} is none of {', '.join(PARTS_OF)}")
    parts = dict.fromkeys(STRING_VARS, "")
    parts["account"] = request.account
    pieces = arn.split(":", 5)
    resource = pieces[5] if len(pieces) == 6 else ""
    if scope == "service":
        parts["service"] = arn
    elif scope == "oidc":
        parts["issuer"] = (resource[len("oidc-provider/"):] if request.account else arn).lower()
    elif scope in ("user", "role"):
        slash = resource.rfind("/")
        parts["path"], parts["name"] = resource[len(scope):slash + 1], resource[slash + 1:]
    elif scope == "assumed_role":
        pieces = resource.split("/")
        if len(pieces) == 3:
            parts["name"], parts["session"] = pieces[1], pieces[2]
        own = request.role_arn.split(":", 5)[-1] if request.role_arn else "role/"
        parts["path"] = own[len("role"):own.rfind("/") + 1]
    elif scope in ("federated_user", "saml"):
        parts["name"] = resource.partition("/")[2]
    spelled, role = _spell(scope, request.partition, parts)
    if scope == "oidc":
        spelled, arn = spelled.lower(), arn.lower()
    if spelled != arn or (request.role_arn and role != request.role_arn):
        raise ValueError(f"the model cannot spell the caller {arn!r} (scope {scope}) from its parts")
    return parts


def _spell(scope: str, partition: str, parts: Mapping[str, str]) -> tuple[str, str]:
    """principal_arn and role_arn from the parts (the terms of `_principal_terms`, in Python)."""
    account, path, name = parts["account"], parts["path"], parts["name"]
    iam, sts = f"arn:{partition}:iam::{account}:", f"arn:{partition}:sts::{account}:"
    own = f"{iam}role{path}{name}"
    spelled = {"root": f"{iam}root", "user": f"{iam}user{path}{name}", "role": own,
               "assumed_role": f"{sts}assumed-role/{name}/{parts['session']}", "federated_user": f"{sts}federated-user/{name}",
               "service": parts["service"],
               "oidc": f"{iam}oidc-provider/{parts['issuer']}" if account else parts["issuer"],
               "saml": f"{iam}saml-provider/{name}"}[scope]
    return spelled, own if scope in ("role", "assumed_role") else ""


def _derived_context(kind: str, scope: str, principal_arn: str, role_arn: str, account: str, service: str,
                     mfa: bool) -> dict[str, list[str]]:
    """The keys simulate.Request.context_values derives from the principal."""
    out: dict[str, list[str]] = {}
    if kind == "aws":
        out["aws:principalarn"] = [role_arn or principal_arn]
        out["aws:principalaccount"] = [account]
        out["aws:principaltype"] = [PRINCIPAL_TYPE[scope]]
        if mfa:
            out["aws:multifactorauthpresent"] = ["true"]
            out["aws:multifactorauthage"] = ["0"]
        elif scope in ("role", "assumed_role", "federated_user"):
            out["aws:multifactorauthpresent"] = ["false"]
    elif kind == "service":
        out["aws:principalservicename"] = [service]
    return out


_Atom = tuple[str, frozenset[str]]  # ("lit", chars it may be) | ("any" | "star", chars it may not be)
_COLON = frozenset(":")


def _atoms(base: str, value: str) -> tuple[_Atom, ...] | None:
    """A condition value as pattern atoms, for the operators whose value is a pattern or a
    case-insensitive text; None for the others."""
    if base == "stringlike":
        return _glob_atoms(value, frozenset())
    if base in ("stringequalsignorecase", "bool"):
        return tuple(("lit", frozenset(c for c in (ch, ch.lower(), ch.upper(), ch.swapcase(), ch.title())
                                       if len(c) == 1 and c.lower() == ch.lower())) for ch in value)
    if base in ("arnlike", "arnequals"):
        pieces = value.split(":")
        if len(pieces) < 6:
            return (("lit", frozenset()),)  # matches nothing
        out: list[_Atom] = []
        for n, piece in enumerate(pieces[:5]):
            out += _glob_atoms(piece, _COLON)
            out.append(("lit", _COLON))
        return tuple(out) + _glob_atoms(":".join(pieces[5:]), frozenset())
    return None


def _glob_atoms(pattern: str, excluded: frozenset[str]) -> tuple[_Atom, ...]:
    out: list[_Atom] = []
    for ch in pattern:
        if ch == "*":
            if not (out and out[-1] == ("star", excluded)):
                out.append(("star", excluded))
        elif ch == "?":
            out.append(("any", excluded))
        else:
            out.append(("lit", frozenset(ch)))
    return tuple(out)


# The characters and lengths each part of a principal's ARN may take (to prune the pattern's slices).
_PART_SHAPES = {
    "account": (frozenset("0123456789"), 12, 12),
    "name": (frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+=,.@-"), 1, 128),
    "session": (frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+=,.@-"), 1, 64),
    "path": (frozenset(chr(c) for c in range(0x21, 0x7F)) - frozenset('"\\'), 1, 10 ** 6),
}


class _PieceMatcher:
    """Does a pattern match texts and variables laid end to end? Dynamic programming over
    (pattern position, piece): a text moves the positions (derivative), a variable takes the
    pattern's slice [i:j) as a regular expression (a `*` may be shared by both sides of a cut)."""

    def __init__(self, model: "RoleModel", atoms: tuple[_Atom, ...], pieces: Sequence[Any]) -> None:
        self.model, self.atoms, self.pieces = model, atoms, pieces
        self.memo: dict[tuple[int, int], Any] = {}

    def formula(self) -> Any:
        return self.match(0, 0)

    def match(self, i: int, k: int) -> Any:
        if (i, k) in self.memo:
            return self.memo[(i, k)]
        atoms, n = self.atoms, len(self.atoms)
        if k == len(self.pieces):
            result = z3.BoolVal(all(a[0] == "star" for a in atoms[i:]))
        elif isinstance(self.pieces[k], str):
            states = {i}
            for ch in self.pieces[k]:
                states = {t for s in states for t in self._step(s, ch)}
                if not states:
                    break
            result = z3.Or(*[self.match(j, k + 1) for j in sorted(states)]) if states else z3.BoolVal(False)
        else:
            var = self.pieces[k]
            options = []
            for j in range(i, n + 1):
                end = j + 1 if j < n and atoms[j][0] == "star" else j
                if not self._fits(var, atoms[i:end]):
                    continue
                rest = self.match(j, k + 1)
                if z3.is_false(rest):
                    continue
                options.append(z3.And(z3.InRe(var, _atoms_regex(atoms[i:end])), rest))
            result = z3.Or(*options) if options else z3.BoolVal(False)
        self.memo[(i, k)] = result
        return result

    def _step(self, i: int, ch: str) -> set[int]:
        """The positions after reading one character from position i (a `*` may also be skipped)."""
        out: set[int] = set()
        while i < len(self.atoms):
            kind, chars = self.atoms[i]
            if kind == "star":
                if ch not in chars:
                    out.add(i)
                i += 1
                continue
            if (kind == "lit" and ch in chars) or (kind == "any" and ch not in chars):
                out.add(i + 1)
            break
        return out

    def _fits(self, var: Any, atoms: tuple[_Atom, ...]) -> bool:
        shape = _PART_SHAPES.get(str(var))
        fixed = sum(1 for a in atoms if a[0] != "star")
        if shape is None:
            return True
        allowed, shortest, longest = shape
        if fixed > longest or (fixed < shortest and not any(a[0] == "star" for a in atoms)):
            return False
        if not all(chars & allowed for kind, chars in atoms if kind == "lit"):
            return False
        if str(var) == "path":  # "/", or "/.../": the slice must start and end with a slash
            for edge in (atoms[0], atoms[-1]):
                if edge[0] == "lit" and "/" not in edge[1]:
                    return False
        return True


def _atoms_regex(atoms: Sequence[_Atom]) -> Any:
    parts: list[Any] = []
    run = ""
    for kind, chars in atoms:
        if kind == "lit" and len(chars) == 1:
            run += next(iter(chars))
            continue
        if run:
            parts.append(_lit(run))
            run = ""
        if kind == "lit":
            parts.append(_union([_lit(c) for c in sorted(chars)]))
        else:
            one = _any_char() if not chars else z3.Intersect(_any_char(), z3.Complement(_union([_lit(c) for c in sorted(chars)])))
            parts.append(z3.Star(one) if kind == "star" else one)
    if run:
        parts.append(_lit(run))
    return _cat(parts)


def _shaped(var: Any, shape: tuple[Any, int, int]) -> Any:
    """`var` is `shortest` to `longest` characters of the class (a bounded loop: z3 handles it better
    than a length constraint beside the class, except for long bounds)."""
    characters, shortest, longest = shape
    if longest <= 128:
        return z3.InRe(var, z3.Loop(characters.arg(0), shortest, longest))
    return z3.And(z3.InRe(var, characters), z3.Length(var) >= shortest, z3.Length(var) <= longest)


def _compare(op: str, a: Any, b: int) -> Any:
    return {"equals": a == b, "lessthan": a < b, "lessthanequals": a <= b, "greaterthan": a > b,
            "greaterthanequals": a >= b}[op]


def _iso_fields(slot: Any) -> tuple[Any, ...]:
    def number(offset: int, length: int) -> Any:
        return z3.StrToInt(z3.SubString(slot, offset, length))

    long = z3.Length(slot) == 20
    return (number(0, 4), number(5, 2), number(8, 2), z3.If(long, number(11, 2), 0), z3.If(long, number(14, 2), 0),
            z3.If(long, number(17, 2), 0))


def _oidc_issuer(key: str) -> str | None:
    """`token.actions.githubusercontent.com:sub` -> its issuer (a key whose service part is a host)."""
    if ":" not in key or "." not in key.split(":", 1)[0]:
        return None
    return key.rsplit(":", 1)[0]


def _multi_valued(key: str, qualifiers: set[str]) -> bool:
    if key in SINGLE_VALUED or key.startswith(SINGLE_VALUED_PREFIXES):
        return False
    issuer = _oidc_issuer(key)
    if issuer is not None:
        claim = key.rsplit(":", 1)[1]
        if claim == "amr":
            return True
        if claim in SINGLE_VALUED_CLAIMS:
            return False
    return key in MULTI_VALUED or bool(qualifiers)


def _key_usage(document: Mapping[str, Any]) -> dict[str, dict[str, set[str]]]:
    """Every condition key the trust names, with the operators and set qualifiers it meets."""
    usage: dict[str, dict[str, set[str]]] = {}
    for s in document.get("statements", ()):
        for c in s.get("conditions", ()):
            key = str(c.get("key", "")).lower()
            if not key or key == "?":
                continue
            entry = usage.setdefault(key, {"bases": set(), "sets": set()})
            if c.get("state") != "unresolved":
                base = c["base"]
                entry["bases"].add(POSITIVE.get(base, base) if c.get("negated") else base)
            if c.get("set"):
                entry["sets"].add(c["set"])
    return usage


def _unresolved_paths(document: Mapping[str, Any], refs: Mapping[str, Mapping[str, Any]]) -> set[str]:
    paths = set()
    for u in document.get("unresolved", ()):
        if u.get("part", "document") == "document":
            path = refs.get(u.get("ref", ""), {}).get("path")
            if path:
                paths.add(path)
    return paths


def _role_facts(document: Mapping[str, Any], role_arn: str | None, own_account: str | None) -> tuple[str, str]:
    """The role's partition and account: from its ARN, else from the document's context."""
    partition, account = "", own_account or ""
    if role_arn:
        parts = role_arn.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn" or not re.fullmatch(r"[0-9]{12}", parts[4]):
            raise ValueError(f"not a role ARN: {role_arn!r}")
        partition, account = parts[1], parts[4]
    context = document.get("context", {}) or {}
    if not partition and context.get("partition") in PARTITIONS:
        partition = context["partition"]
    accounts = list(context.get("own_accounts") or ())
    if not account and len(accounts) == 1 and not accounts[0].startswith("000000000"):
        account = accounts[0]
    return (partition if partition in PARTITIONS else ""), account


def _condition_values(c: Mapping[str, Any], text: str | None) -> list[str] | None:
    """The condition's values as written: the tokens themselves when they are the text, else
    recovered from the ref's text (`<operator> <key> <v1>, <v2>`), each checked against its
    token. None when they cannot be recovered."""
    tokens = [str(v["text"]) for v in c.get("values", ())]
    if not any(_HASHED.match(t) for t in tokens):
        return tokens
    if not text:
        return None
    found: list[list[str]] = []

    def split(rest: str, i: int, acc: list[str]) -> None:
        if len(found) > 1:
            return
        if i == len(tokens) - 1:
            if engine_token(rest) == tokens[i]:
                found.append([*acc, rest])
            return
        start = 0
        while True:
            at = rest.find(", ", start)
            if at < 0:
                return
            if engine_token(rest[:at]) == tokens[i]:
                split(rest[at + 2:], i + 1, [*acc, rest[:at]])
            start = at + 1

    start = 0
    while True:
        at = text.find(" ", start)
        if at < 0:
            break
        operator, _, key = text[:at].partition(" ")
        if engine_token(operator) == c.get("operator") and engine_token(key.lower()) == c.get("key"):
            split(text[at + 1:], 0, [])
        start = at + 1
    distinct = {tuple(f) for f in found}
    return list(found[0]) if len(distinct) == 1 else None
