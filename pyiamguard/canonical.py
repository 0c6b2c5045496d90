"""Shapes, not names: the memo key under which documents that the built-in rules cannot tell
apart are evaluated once.

Real estates repeat trust *shapes* (a vendor account with an ExternalId, a CI role of a tooling
account, a GitHub subject of the organization), never the same text: every role trusts its own
accounts, names its own CI role and carries its own ExternalId. The built-in rules read those
values in a few ways only, so a document's shape keeps exactly what they observe and abstracts
the rest:

- **Account ids** (a run of exactly 12 digits inside any string) are numbered by first
  appearance, unless the policies' data or sources name them (configured accounts stay as
  written). The rules compare accounts for equality, with the configuration, and inside IAM
  globs; a glob whose wildcard touches a digit (`arn:aws:iam::1234*:root`) could tell two
  accounts apart, so a document holding one keeps its accounts as written.
- **Opaque values** (atoms) are numbered by first appearance, exact and lower-cased: the ARN of
  a named AWS principal, the named ARN of an `aws:PrincipalArn` condition, an ExternalId, an
  organization id or path, an OIDC claim. Beside the number, the shape keeps what a rule can
  test of the value: for an organization, how it relates to `trusted_org_ids` and whether it
  starts with `o-`; for an OIDC claim, the broad-subject patterns it matches and how it
  relates to each of `approved_oidc_subjects`. A value equal to a string the policies name, or
  to another string of the document that is not an atom, stays as written.
- **Resource values** (the `resources.values` of every statement: the document's own, its
  role's policies and boundary) are atoms too, of IAM name characters and policy variables
  only (`${aws:username}`). Rules read them in three ways only (lib/permissions.rego and
  IAMG-304): equality with `*` (a string the policies name, so `*` stays as written), and two
  regexes, "every role of any account" and "every role of one account" (`forms` in
  iamg_304/policy.rego, copied in RESOURCE_FORMS and pinned by the tests). Beside the number,
  the shape keeps the answer of each regex; a value equal to another string of the document
  stays as written, as for every atom. Wildcards inside a resource value are never matched
  against another value, so they do not keep the document's accounts as written.

An account id inside an atom is hidden with it: a finding that names such an account (no
built-in rule derives one from an atom) is not carried over.

Two documents with the same shape get the same findings up to the renaming: the first one is
evaluated, and its findings are carried over to the next by mapping its atoms and accounts to
the other's, position by position (`translate`). A finding holding text the mapping cannot
account for is not carried over: the document is evaluated itself. The engine never sees a
shape, only real documents.

What makes this exact is the list of places the built-in rules read text, pinned by
`tests/test_canonical.py` (a rule that starts reading a value in a new way fails it until this
module is reviewed), and a differential test holds the shapes to the raw evaluation on the
corpus, the examples and generated estates. Custom rules may read anything: their findings are
memoized on the whole document, never on its shape.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence, TypeGuard

# A 12-digit account id inside a string: digits on neither side.
ACCOUNT_RUN = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")
# Digit runs of a document's JSON text, to find the 12-digit ones (faster than look-arounds).
_DIGITS = re.compile(r"[0-9]{12,}")
_WILDCARD = re.compile(r"[*?]")
_STRING_LITERAL = re.compile(r'"((?:[^"\\\n]|\\.)*)"')

# Condition keys whose values are atoms, with the kind of what rules test beyond equality.
_ARN_KEYS = frozenset({"aws:principalarn"})
_OPAQUE_KEYS = frozenset({"sts:externalid"})
_ORG_KEYS = frozenset({"aws:principalorgid", "aws:principalorgpaths"})
# OIDC claim keys: `<issuer>:<claim>` (lib/federation.rego claim_suffixes).
_CLAIM_SUFFIXES = (":sub", ":aud", ":oaud", ":amr", ":app_id", ":user_id", ":id")
_NOT_CLAIM_PREFIXES = ("aws:", "sts:", "saml:")
_NAMED_SCOPES = frozenset({"role", "user", "assumed_role", "federated_user", "other"})
# Resource values abstracted: IAM name characters and policy variables, on which Python's and
# the engine's regexes agree (anything else stays as written).
_RESOURCE_SAFE = re.compile(r"[A-Za-z0-9_+=,.@:/*?${}-]+")
# policies/pyiamguard/rules/iamg_304/policy.rego `forms(value)`: the regex tests a rule makes on a
# resource value (the test of `value == "*"` needs none: `*` is named by the policies).
RESOURCE_FORMS = (
    ("any_account", r"^arn:[^:]*:(iam|sts)::[^:]*[*?][^:]*:(role/)?\*$"),
    ("every_role", r"^arn:[^:]*:iam::[0-9]{12}:(role/)?\*$"),
)
_RESOURCE_TESTS = tuple(re.compile(expression) for _, expression in RESOURCE_FORMS)


@dataclass(frozen=True)
class Vocabulary:
    """What the policies compare document values with: the accounts and texts they name (kept
    as written), the organizations and OIDC subject patterns of the configuration."""

    reserved_accounts: frozenset[str]
    reserved_texts: frozenset[str]  # lower-cased
    rename_accounts: bool  # false when the data holds a glob whose wildcard touches a digit
    trusted_orgs: tuple[str, ...]
    broad_subjects: tuple[re.Pattern[str], ...]
    approved_subjects: tuple[str, ...]

    @classmethod
    def of(cls, data: Mapping[str, Any], sources: Iterable[str]) -> "Vocabulary":
        texts = list(_strings(data))
        for source in sources:
            texts.extend(m.group(1) for m in _STRING_LITERAL.finditer(source))
            texts.extend(re.findall(r"`([^`]*)`", source))
        root = data.get("pyiamguard", {}) if isinstance(data, Mapping) else {}
        config = root.get("config", {}) if isinstance(root, Mapping) else {}
        params = root.get("params", {}) if isinstance(root, Mapping) else {}
        broad = params.get("oidc_broad_subjects", {}) if isinstance(params, Mapping) else {}
        return cls(
            reserved_accounts=frozenset(run for text in texts for run in ACCOUNT_RUN.findall(text)),
            reserved_texts=frozenset(text.lower() for text in texts),
            rename_accounts=not any(_wildcard_by_digit(text) for text in texts),
            trusted_orgs=tuple(str(o) for o in config.get("trusted_org_ids", ()) or ()),
            broad_subjects=tuple(re.compile(str(expression)) for expressions in broad.values()
                                 for expression in expressions),
            approved_subjects=tuple(str(p) for p in config.get("approved_oidc_subjects", ()) or ()),
        )


@dataclass(frozen=True)
class Shape:
    """A document's memo key and, by number, the values its key abstracts."""

    key: str
    atoms: tuple[str, ...]
    accounts: tuple[str, ...]
    # Accounts written inside atoms only: a finding naming one is not carried over.
    hidden: frozenset[str] = frozenset()


def shape(document: Mapping[str, Any], vocabulary: Vocabulary) -> Shape:
    """The document's shape (see the module's docstring)."""
    positions = _atom_positions(document, vocabulary)
    signatures: dict[str, str] = {}
    for _, text, signature in positions:
        if signatures.setdefault(text, signature) != signature:
            signatures[text] = ""  # one text in two roles: kept as written
    while True:
        numbers: dict[str, int] = {}
        lower_numbers: dict[str, int] = {}
        placeholders: dict[str, str] = {}
        for atom, signature in signatures.items():
            if signature:
                number = numbers.setdefault(atom, len(numbers))
                lower_number = lower_numbers.setdefault(atom.lower(), len(lower_numbers))
                placeholders[atom] = f"\t{lower_number}.{number}{signature}"
        replacements = [(p, placeholders[t]) for p, t, _ in positions if t in placeholders]
        text = _dumps(_replace(document, replacements) if replacements else document)
        if not placeholders:
            break
        # An atom equal (or equal but for case) to a string of the document that is not an
        # atom keeps that equality visible: it stays as written.
        lowered = text.lower()
        kept = [a for a in placeholders if json.dumps(a) in text or json.dumps(a.lower()) in lowered]
        if not kept:
            break
        for atom in kept:
            signatures[atom] = ""
    hidden = _hidden_accounts(numbers, text) if numbers else frozenset()
    if not vocabulary.rename_accounts or _wildcard_by_digit(text):
        return Shape(text, tuple(numbers), (), hidden)
    found: dict[str, int] = {}
    pieces: list[str] = []
    end = 0
    for match in _DIGITS.finditer(text):
        run = match.group()
        if len(run) != 12 or run in vocabulary.reserved_accounts:
            continue
        before, after = text[match.start() - 1:match.start()], text[match.end():match.end() + 1]
        if before and after and before in ":,[" and after in ",}]":
            return Shape(text, tuple(numbers), (), hidden)  # maybe a number, not text: accounts as written
        pieces += (text[end:match.start()], f"\tA{found.setdefault(run, len(found))}")
        end = match.end()
    pieces.append(text[end:])
    return Shape("".join(pieces), tuple(numbers), tuple(found), hidden)


def _hidden_accounts(atoms: Iterable[str], text: str) -> frozenset[str]:
    """The accounts written in the atoms and nowhere else in the shaped text."""
    inside = {run for atom in atoms for run in ACCOUNT_RUN.findall(atom)}
    if not inside:
        return frozenset()
    return frozenset(inside - {m.group() for m in _DIGITS.finditer(text) if len(m.group()) == 12})


def _wildcard_by_digit(text: str) -> bool:
    """An IAM wildcard next to a digit somewhere in the text: a glob that could match part of
    an account id (wildcards are few: look at each)."""
    for match in _WILDCARD.finditer(text):
        at = match.start()
        if text[at - 1:at].isdigit() or text[at + 1:at + 2].isdigit():
            return True
    return False


def translate(findings: Sequence[Mapping[str, Any]], source: Shape, target: Shape) -> tuple[dict[str, Any], ...] | None:
    """The findings of the document shaped `source`, carried over to the one shaped `target`
    (same key); None when a finding holds text the renaming cannot account for."""
    if source.atoms == target.atoms and source.accounts == target.accounts:
        return tuple(dict(f) for f in findings)
    atoms = dict(zip(source.atoms, target.atoms))
    accounts = dict(zip(source.accounts, target.accounts))
    stray = [a for a in source.atoms if atoms[a] != a]
    hidden = source.hidden
    out = []
    for finding in findings:
        mapped = _map_strings(finding, atoms, accounts, stray, hidden)
        if mapped is None:
            return None
        out.append(mapped)
    return tuple(out)


def _map_strings(value: Any, atoms: Mapping[str, str], accounts: Mapping[str, str], stray: Sequence[str],
                 hidden: frozenset[str] = frozenset()) -> Any:
    if isinstance(value, str):
        if value in atoms:
            return atoms[value]
        if any(a in value for a in stray):
            return None  # an atom inside a longer text: not a value the rules return as such
        if hidden and any(run in hidden for run in ACCOUNT_RUN.findall(value)):
            return None  # an account of the source known only inside its atoms
        return ACCOUNT_RUN.sub(lambda m: accounts.get(m.group(), m.group()), value) if accounts else value
    if isinstance(value, Mapping):
        out = {}
        for name, item in value.items():
            mapped = _map_strings(item, atoms, accounts, stray, hidden)
            if mapped is None and item is not None:
                return None
            out[name] = mapped
        return out
    if isinstance(value, list):
        items = [_map_strings(item, atoms, accounts, stray, hidden) for item in value]
        return None if any(m is None and i is not None for m, i in zip(items, value)) else items
    return value


Path = tuple[Any, ...]


def _atom_positions(document: Mapping[str, Any], vocabulary: Vocabulary) -> list[tuple[Path, str, str]]:
    """(where, text, what the rules may test of it) for every atom of the document's
    top-level statements: the named AWS principals (value and identity) and the values of
    the conditions on the keys above."""
    found: list[tuple[Path, str, str]] = []
    statements = document.get("statements")
    if not isinstance(statements, list):
        return found

    def eligible(text: Any) -> TypeGuard[str]:
        # Engine tokens only (printable ASCII without quotes or backslashes): a value the engine
        # would refuse stays as written, so documents of one shape are all refused or none.
        return (isinstance(text, str) and bool(text) and text.isascii() and text.isprintable()
                and '"' not in text and "\\" not in text and text.lower() not in vocabulary.reserved_texts)

    for s, statement in enumerate(statements):
        if not isinstance(statement, dict):
            continue
        for p, principal in enumerate(statement.get("principals") or ()):
            if not (isinstance(principal, dict) and principal.get("kind") == "aws"
                    and principal.get("scope") in _NAMED_SCOPES and not principal.get("whole_account")):
                continue
            value = principal.get("value")
            if _plain(value) and eligible(value):
                found.append((("statements", s, "principals", p, "value"), value, "|p"))
                if principal.get("identity") == value:
                    found.append((("statements", s, "principals", p, "identity"), value, "|p"))
        for c, condition in enumerate(statement.get("conditions") or ()):
            if not isinstance(condition, dict):
                continue
            kind = _signature(str(condition.get("key", "")))
            if kind is None:
                continue
            for v, value in enumerate(condition.get("values") or ()):
                text = value.get("text") if isinstance(value, dict) else None
                if not eligible(text):
                    continue
                if kind == "|p" and not (value.get("named") and _plain(text)):
                    continue  # an aws:PrincipalArn value: one named ARN only
                if kind in ("|e", "|o") and not _plain(text):
                    continue
                signature = (kind + _org_tests(text, vocabulary) if kind == "|o"
                             else kind + _claim_tests(text, vocabulary) if kind == "|s" else kind)
                found.append((("statements", s, "conditions", c, "values", v, "text"), text, signature))
    found.extend(_resource_positions(document, eligible))
    return found


def _resource_positions(document: Mapping[str, Any], eligible: Any) -> Iterable[tuple[Path, str, str]]:
    """The resource values of every statement list of the document (its own, its role's
    policies and boundary), with the answers of the regexes rules test them with."""
    lists: list[tuple[Path, Any]] = [(("statements",), document.get("statements"))]
    role = document.get("role")
    if isinstance(role, dict):
        for q, policy in enumerate(role.get("policies") or ()):
            if isinstance(policy, dict):
                lists.append((("role", "policies", q, "statements"), policy.get("statements")))
        boundary = role.get("boundary")
        if isinstance(boundary, dict):
            lists.append((("role", "boundary", "statements"), boundary.get("statements")))
    for where, statements in lists:
        if not isinstance(statements, list):
            continue
        for s, statement in enumerate(statements):
            resources = statement.get("resources") if isinstance(statement, dict) else None
            values = resources.get("values") if isinstance(resources, dict) else None
            if not isinstance(values, list):
                continue
            for v, text in enumerate(values):
                if eligible(text) and _RESOURCE_SAFE.fullmatch(text):
                    yield ((*where, s, "resources", "values", v), text, "|r" + _resource_tests(text))


def _resource_tests(text: str) -> str:
    return _flags([text == "*", *(test.search(text) is not None for test in _RESOURCE_TESTS)])


def _signature(key: str) -> str | None:
    if key in _ARN_KEYS:
        return "|p"  # the same kind as a principal's ARN: a derived principal's identity is the text
    if key in _OPAQUE_KEYS:
        return "|e"
    if key in _ORG_KEYS:
        return "|o"
    if key.endswith(_CLAIM_SUFFIXES) and not key.startswith(_NOT_CLAIM_PREFIXES):
        return "|s"
    return None


def _org_tests(text: str, vocabulary: Vocabulary) -> str:
    tests = [text.startswith("o-")]
    for trusted in vocabulary.trusted_orgs:
        tests += [text == trusted, text.startswith(trusted + "/")]
    return _flags(tests)


def _claim_tests(text: str, vocabulary: Vocabulary) -> str:
    tests = [pattern.search(text) is not None for pattern in vocabulary.broad_subjects]
    for approved in vocabulary.approved_subjects:
        tests += [text == approved, iam_glob_matches(approved, text),
                  _prefix_only(approved) and text.startswith(approved[:-1])]
    return _flags(tests)


def iam_glob_matches(pattern: str, value: str) -> bool:
    """lib/iam_glob.rego `matches`: `*` any run of characters, `?` any one, the rest literal."""
    if "*" not in pattern and "?" not in pattern:
        return pattern == value
    expression = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(expression, value, re.DOTALL) is not None


def _prefix_only(pattern: str) -> bool:
    return pattern.endswith("*") and "*" not in pattern[:-1] and "?" not in pattern


def _flags(tests: list[bool]) -> str:
    return "".join("y" if t else "n" for t in tests)


def _plain(text: Any) -> bool:
    """A value without wildcards or policy variables: one name, tested for equality only."""
    return isinstance(text, str) and not any(c in text for c in "*?$")


def _replace(document: Mapping[str, Any], replacements: Sequence[tuple[Path, str]]) -> dict[str, Any]:
    """A copy of the document with the strings at the given places replaced (the containers
    along the way copied, the rest shared)."""
    out = dict(document)
    copied: set[Path] = set()
    for path, text in replacements:
        node: Any = out
        for depth in range(len(path) - 1):
            step = path[depth]
            child = node[step]
            if path[:depth + 1] not in copied:
                child = dict(child) if isinstance(child, dict) else list(child)
                node[step] = child
                copied.add(path[:depth + 1])
            node = child
        node[path[-1]] = text
    return out


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)
