"""The built-in properties of `pyiamguard prove`, each the negation of a guardrail.

A property holds when no allowed request breaks it: `breach(model, setting)` is the formula of
a request that breaks it, and the prover asks whether `allowed ∧ breach` can hold. Each
property is drawn from a rule of the catalogue and the configuration, so the two semantics
answer the same question (`scan --prove` holds them to each other):

| property | a request that breaks it | rule |
|---|---|---|
| `not-public` | an AWS principal of an account nobody named (not in the trust, not yours, not trusted), in no organization, or any service | IAMG-101 |
| `only-trusted` | an AWS principal of an account that is neither yours nor trusted, and not of a trusted organization | IAMG-101, IAMG-102 |
| `external-id` | sts:AssumeRole by an AWS principal of another account than yours, with no ExternalId or with one nobody agreed (a guess) | IAMG-103 |
| `mfa` | sts:AssumeRole by a person (root, IAM user, or a session of a role the trust does not name; with `require_mfa: all` any AWS principal) of another account, without MFA (and, for people, without an ExternalId, which marks a machine third party) | IAMG-104 |
| `oidc-subject` | a web identity token of a provider the trust names, without a subject (Cognito: audience) | IAMG-201 |
| `oidc-approved` | a web identity token whose subject belongs to a stranger: another GitHub organization, GitLab group, HCP Terraform organization or Kubernetes namespace than those the trust names (or, with `approved_oidc_subjects`, a subject outside them) | IAMG-202 |
| `nobody` | any request at all: proven means the role is dead | (IAMG-112) |
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

# A value nobody agreed on: what a caller who does not know the secret sends.
GUESSED_EXTERNAL_ID = "pyiamguard-guessed-external-id"
UNKNOWN_SUBJECT = "pyiamguard:stranger"
ACCOUNT = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")
_ORG = re.compile(r"\bo-[a-z0-9]{10,32}\b")

# OIDC providers whose subjects name an owner (organization, group, namespace): a stranger is a
# subject of another owner. (issuer pattern, subject prefix, separator after the owner)
_OWNERS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"^token\.actions\.githubusercontent\.com(/.*)?$"), "repo:", "/"),
    (re.compile(r"^(gitlab\.com|gitlab\..+)$"), "project_path:", "/"),
    (re.compile(r"^app\.terraform\.io$"), "organization:", ":"),
    (re.compile(r"^oidc\.eks\..+$"), "system:serviceaccount:", ":"),
)
_OWNER_TEXT = re.compile(r"[A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class Setting:
    """What the properties compare with: the role's own account (None: unknown), your accounts
    (own, own_accounts, internal_accounts), trusted accounts and organizations, the approved
    OIDC subjects and the MFA scope, all from the configuration."""

    own_account: str | None
    your_accounts: frozenset[str]
    trusted_accounts: frozenset[str]
    trusted_orgs: frozenset[str]
    approved_subjects: tuple[str, ...] = ()
    require_mfa: str = "people"
    gitlab_hosts: tuple[str, ...] = ()
    # How "an account none of these" is written for the solver: "regex" finds requests fast,
    # "neq" (disequalities) proves their absence fast; the prover asks both (they are equivalent).
    encoding: str = "regex"

    @classmethod
    def of(cls, config: Any, own_accounts: Iterable[str], role_account: str | None) -> "Setting":
        yours = {a for a in own_accounts if a} | set(config.own_accounts) | set(config.internal_accounts)
        if role_account:
            yours.add(role_account)
        own = role_account or (next(iter(config.own_accounts)) if len(config.own_accounts) == 1 else None)
        return cls(own, frozenset(yours), frozenset(config.trusted_accounts), frozenset(config.trusted_org_ids),
                   tuple(config.approved_oidc_subjects), config.require_mfa, tuple(config.gitlab_hosts))


@dataclass(frozen=True)
class Property:
    name: str
    rules: tuple[str, ...]
    says: str  # what PROVEN means, in words
    breach: Callable[[Any, Setting, Any], Any]


def _z3() -> Any:
    import z3

    return z3


def _other_account(var: Any, accounts: Iterable[str], setting: Setting) -> Any:
    """`var` (a 12-digit account) is none of `accounts`: disequalities, or (`setting.encoding`
    "regex") a regular expression (a string differs from an account at some position)."""
    z3 = _z3()
    named = sorted({a for a in accounts if len(a) == 12 and a.isdigit()})
    if not named:
        return z3.BoolVal(True)
    if setting.encoding != "regex":
        return _not_in(var, named)
    digit = z3.Range("0", "9")

    def other_digit(c: str) -> Any:
        parts = ([z3.Range("0", chr(ord(c) - 1))] if c > "0" else []) + ([z3.Range(chr(ord(c) + 1), "9")] if c < "9" else [])
        return z3.Union(*parts) if len(parts) > 1 else parts[0]

    languages = []
    for a in named:
        languages.append(z3.Union(*[z3.Concat(*([z3.Loop(digit, i, i)] if i else []), other_digit(a[i]),
                                              *([z3.Loop(digit, 11 - i, 11 - i)] if i < 11 else []))
                                    for i in range(12)]))
    return z3.InRe(var, languages[0] if len(languages) == 1 else z3.Intersect(*languages))


def _not_in(var: Any, values: Iterable[str]) -> Any:
    z3 = _z3()
    return z3.And(*[var != z3.StringVal(v) for v in sorted(values)]) if values else z3.BoolVal(True)


def _in(var: Any, values: Iterable[str]) -> Any:
    z3 = _z3()
    return z3.Or(*[var == z3.StringVal(v) for v in sorted(values)]) if values else z3.BoolVal(False)


def _texts(model: Any) -> list[str]:
    """Every text the trust writes (principals, condition values), as written."""
    return [str(node.get("text", "")) for node in model.refs.values()]


def _condition_values(model: Any, key: str) -> list[str]:
    """The values the trust's conditions on `key` (lower-case) compare with."""
    return [str(v.get("text", "")) for s in model.document.get("statements", ()) for c in s.get("conditions", ())
            if str(c.get("key", "")).lower() == key for v in c.get("values", ())]


def _named_accounts(model: Any) -> set[str]:
    """Accounts the trust names: its AWS principals' accounts (a template's own-account
    stand-in included) and 12-digit ids in its condition values."""
    statements = model.document.get("statements", ())
    # Not a NotPrincipal's: the principals it lists are the ones it keeps out.
    named = {str(p.get("account")) for s in statements if s.get("principal_element") == "Principal"
             for p in s.get("principals", ()) if p.get("account")}
    named |= {a for s in statements for c in s.get("conditions", ()) for v in c.get("values", ())
              for a in ACCOUNT.findall(str(v.get("text", "")))}
    return named


_ROLE_ARN = re.compile(r"arn:[a-z-]+:iam::([0-9]{12}):role/(?:[^*?]*/)?([^/*?]+)\Z")


def _named_roles(model: Any) -> set[tuple[str, str]]:
    """(account, role name) of the roles the trust names, as principals or literally in an
    aws:PrincipalArn condition (what narrows a whole account to them): their sessions are
    machines, not people. By name, as a session's ARN (which has no path) is matched."""
    out = set()
    for s in model.document.get("statements", ()):
        texts = [str(p.get("value", "")) for p in s.get("principals", ()) if p.get("kind") == "aws"]
        texts += [str(v.get("text", "")) for c in s.get("conditions", ()) if c.get("key") == "aws:principalarn"
                  for v in c.get("values", ())]
        for text in texts:
            found = _ROLE_ARN.match(text)
            if found:
                out.add((found[1], found[2]))
    return out


def _named_orgs(model: Any) -> set[str]:
    return {o for text in _texts(model) for o in _ORG.findall(text)}


def _no_organization(model: Any) -> Any:
    z3 = _z3()
    return z3.And(z3.Not(model.present("aws:principalorgid")), z3.Not(model.present("aws:principalorgpaths")))


def _aws(model: Any) -> Any:
    return model.var("kind") == _z3().StringVal("aws")


ASSUME_ACTIONS = ("sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML")


def _assumes(model: Any) -> Any:
    """The request assumes the role (sts:TagSession or SetSourceIdentity alone lets nobody in)."""
    return _in(model.var("action"), ASSUME_ACTIONS)


def _any_service(model: Any, z3: Any) -> Any:
    """A service the trust does not name: `{"Service": "*"}` lets every service in."""
    services = {str(p.get("service") or p.get("value") or "") for s in model.document.get("statements", ())
                for p in s.get("principals", ()) if p.get("kind") == "service"}
    return z3.And(model.var("kind") == z3.StringVal("service"), _not_in(model.var("service"), services))


def _not_public(model: Any, setting: Setting, z3: Any) -> Any:
    named = _named_accounts(model) | setting.your_accounts | setting.trusted_accounts
    stranger = z3.And(_aws(model), _other_account(model.var("account"), named, setting), _no_organization(model))
    return z3.And(_assumes(model), z3.Or(stranger, _any_service(model, z3)))


def _only_trusted(model: Any, setting: Setting, z3: Any) -> Any:
    allowed = setting.your_accounts | setting.trusted_accounts
    trusted_org = z3.And(model.present("aws:principalorgid"), _in(model.value("aws:principalorgid"), setting.trusted_orgs))
    untrusted = z3.And(_aws(model), _other_account(model.var("account"), allowed, setting), z3.Not(trusted_org))
    return z3.And(_assumes(model), z3.Or(untrusted, _any_service(model, z3)))


def _external_id(model: Any, setting: Setting, z3: Any) -> Any:
    guessed = z3.Or(z3.Not(model.present("sts:externalid")),
                    model.value("sts:externalid") == z3.StringVal(GUESSED_EXTERNAL_ID))
    return z3.And(model.var("action") == z3.StringVal("sts:AssumeRole"), _aws(model),
                  _other_account(model.var("account"), setting.your_accounts, setting), guessed)


def _mfa(model: Any, setting: Setting, z3: Any) -> Any:
    if setting.require_mfa == "off":
        return z3.BoolVal(False)
    own = {setting.own_account} if setting.own_account else set()
    parts = [model.var("action") == z3.StringVal("sts:AssumeRole"), _aws(model),
             _other_account(model.var("account"), own, setting), z3.Not(model.var("mfa"))]
    if setting.require_mfa == "people":
        # A person: the root or an IAM user, or a session of a role the trust does not name (a
        # person signed in through SSO comes in through an account-wide trust that way).
        named = [z3.And(model.var("account") == z3.StringVal(a), model.var("role_name") == z3.StringVal(n))
                 for a, n in sorted(_named_roles(model))]
        session = z3.And(_in(model.var("scope"), ("role", "assumed_role")), z3.Not(z3.Or(*named)) if named
                         else z3.BoolVal(True))
        parts += [z3.Or(_in(model.var("scope"), ("root", "user")), session), z3.Not(model.present("sts:externalid"))]
    return z3.And(*parts)


def _issuers(model: Any) -> list[str]:
    return sorted({str(p.get("issuer") or "").lower() for s in model.document.get("statements", ())
                   for p in s.get("principals", ()) if p.get("kind") == "oidc" and p.get("issuer")})


def _token_of(model: Any, issuer: str, z3: Any) -> Any:
    """A token of this issuer, spelled as the trust names it: the issuer is matched without
    regard to case, so one spelling stands for all (and the solver decides it fast)."""
    return z3.And(model.var("scope") == z3.StringVal("oidc"), model.var("issuer") == z3.StringVal(issuer))


def _web_identity(model: Any, z3: Any) -> Any:
    return model.var("action") == z3.StringVal("sts:AssumeRoleWithWebIdentity")


def _oidc_subject(model: Any, setting: Setting, z3: Any) -> Any:
    cases = []
    for issuer in _issuers(model):
        claim = "aud" if issuer == "cognito-identity.amazonaws.com" else "sub"
        cases.append(z3.And(_token_of(model, issuer, z3), z3.Not(model.present(f"{issuer}:{claim}"))))
    return z3.And(_web_identity(model, z3), z3.Or(*cases)) if cases else z3.BoolVal(False)


def owner_rule(issuer: str, gitlab_hosts: Sequence[str] = ()) -> tuple[str, str] | None:
    """(subject prefix, separator after the owner) of a provider whose subjects name an owner."""
    for pattern, prefix, separator in _OWNERS:
        if pattern.match(issuer):
            return prefix, separator
    if issuer in {h.lower() for h in gitlab_hosts}:
        return "project_path:", "/"
    return None


def named_owners(values: Iterable[str], prefix: str, separator: str) -> set[str]:
    """The owners the trust's subject values name (`repo:acme/app:*` names `acme`; so does
    `repo:acme*`, whose owner part is a pattern that also admits `acme-evil`)."""
    out = set()
    for value in values:
        if value.startswith(prefix):
            owner, found, _ = value[len(prefix):].partition(separator)
            if found and owner and _OWNER_TEXT.fullmatch(owner):
                out.add(owner)
            elif not found or any(c in owner for c in "*?"):
                # `repo:acme*`: the owner meant is the literal part; `acme-evil` is a stranger it admits.
                literal = re.split(r"[*?]", value[len(prefix):], maxsplit=1)[0].split(separator, 1)[0]
                if literal and _OWNER_TEXT.fullmatch(literal):
                    out.add(literal)
    return out


def _oidc_approved(model: Any, setting: Setting, z3: Any) -> Any:
    cases = []
    for issuer in _issuers(model):
        if issuer == "cognito-identity.amazonaws.com":
            continue
        key = f"{issuer}:sub"
        sub = model.value(key)
        if setting.approved_subjects:
            from .model import _any_char, _glob  # IAM's StringLike, as the model reads it

            stranger = z3.And(*[z3.Not(z3.InRe(sub, _glob(pattern, _any_char()))) for pattern in setting.approved_subjects])
        else:
            rule = owner_rule(issuer, setting.gitlab_hosts)
            if rule is None:
                stranger = sub == z3.StringVal(UNKNOWN_SUBJECT)
            else:
                prefix, separator = rule
                # One regular expression (no extra string variable: the solver decides those
                # fast): prefix, an owner of [a-z0-9-]+ that is none of the named ones, separator.
                named = sorted({o.lower() for o in named_owners(_condition_values(model, key), prefix, separator)})
                # (The rest of the subject is printable ASCII, as real tokens' subjects are.)
                stranger = z3.InRe(sub, z3.Concat(z3.Re(prefix), _other_than(named, z3), z3.Re(separator),
                                                  z3.Star(z3.Range(" ", "~"))))
        cases.append(z3.And(_token_of(model, issuer, z3), model.present(key), stranger))
    return z3.And(_web_identity(model, z3), z3.Or(*cases)) if cases else z3.BoolVal(False)


def _chars(z3: Any, excluded: str = "") -> Any:
    """[a-z0-9-] without `excluded`, as few ranges (a union of single characters is slow)."""
    parts = []
    for low, high in (("a", "z"), ("0", "9"), ("-", "-")):
        start = low
        for c in sorted(x for x in excluded if low <= x <= high):
            if start < c:
                parts.append(z3.Range(start, chr(ord(c) - 1)))
            start = chr(ord(c) + 1)
        if start <= high:
            parts.append(z3.Range(start, high))
    return z3.Union(*parts) if len(parts) > 1 else parts[0]


def _other_than(named: Sequence[str], z3: Any) -> Any:
    """The owners ([a-z0-9-]+) that are none of `named`, as one regular expression built without
    complement or negated string tests (the solver decides those slowly here): a string differs
    from `o` when it is a proper prefix of it, extends it, or differs at some position."""
    if not named:
        return z3.Plus(_chars(z3))
    languages = []
    for o in named:
        parts = [z3.Concat(z3.Re(o), z3.Plus(_chars(z3)))]
        parts += [z3.Re(o[:k]) for k in range(1, len(o))]
        for i in range(len(o)):
            differs = z3.Concat(_chars(z3, o[i]), z3.Star(_chars(z3)))
            parts.append(z3.Concat(z3.Re(o[:i]), differs) if i else differs)
        languages.append(z3.Union(*parts))
    return languages[0] if len(languages) == 1 else z3.Intersect(*languages)


def _nobody(model: Any, setting: Setting, z3: Any) -> Any:
    return _assumes(model)


PROPERTIES: Mapping[str, Property] = {p.name: p for p in (
    Property("not-public", ("IAMG-101",), "no principal of an arbitrary account can assume it", _not_public),
    Property("only-trusted", ("IAMG-101", "IAMG-102"),
             "only your accounts, trusted accounts and trusted organizations can assume it", _only_trusted),
    Property("external-id", ("IAMG-103",), "no other account can call sts:AssumeRole without the ExternalId",
             _external_id),
    Property("mfa", ("IAMG-104",), "no person of another account can assume it without MFA", _mfa),
    Property("oidc-subject", ("IAMG-201",), "no web identity token without a subject can assume it", _oidc_subject),
    Property("oidc-approved", ("IAMG-202",), "no web identity token of a stranger's repository or namespace can assume it",
             _oidc_approved),
    Property("nobody", (), "nobody can assume it (the role is dead)", _nobody),
)}
DEFAULT = tuple(name for name in PROPERTIES if name != "nobody")


def _named_only(prop: Property) -> Property:
    """The property over principals of accounts the trust names (in a principal or a
    condition): what IAMG-103 and IAMG-104 judge, since a principal of any account at all is
    IAMG-101's finding, not theirs."""
    def breach(model: Any, setting: Setting, z3: Any) -> Any:
        return z3.And(prop.breach(model, setting, z3), _in(model.var("account"), _named_accounts(model)))

    return Property(prop.name, prop.rules, prop.says + " (of the accounts the trust names)", breach)


# The properties `scan --prove` compares with each rule (selfcheck.RULE_PROPERTIES).
CHECKED: Mapping[str, Property] = {**PROPERTIES,
                                   "external-id": _named_only(PROPERTIES["external-id"]),
                                   "mfa": _named_only(PROPERTIES["mfa"])}
