"""Pair shapes: the IAMG-501 pairs that the rule cannot tell apart, evaluated once.

A scan pairs every caller with the roles it names (assume_graph.py), and estates repeat a few
pair *shapes* under ever new names: role app-7 may assume app-8, which trusts app-7 by ARN, in
the same way as app-8 and app-9. The rule (policies/pyiamguard/rules/iamg_501/policy.rego, with
lib/iam_glob.rego and lib/result.rego) reads the names of a pair input in a few ways only:

- exact equality between them: `p.account == caller.account`, `caller.account != target.account`,
  `caller.account in cond.values`, and the set semantics of `deny` (two findings with the same
  ref and grant are one);
- `aimed(value)` (a regex) on every resource value of the caller's statements and boundary;
- `iam_glob.matches(lower(value), lower(target.arn))` for those resource values;
- `lower(p.value) == lower(caller.arn)` and `startswith(lower(p.value), lower(caller.session_prefix))`
  for every principal value of the trust;
- `iam_glob.matches(lower(v), lower(caller.arn))` and `iam_glob.matches(v, caller.account)` for
  every condition value of the trust;
- comparisons with the empty string (`p.account == ""`, `session_prefix != ""`);
- and it returns refs (`st.ref`, `p.ref`) and a resource value (`facts.grant`) as they are.

A pair's shape therefore replaces every non-empty name (ARNs, accounts, session prefixes,
resource, principal and condition values) by its number of first appearance, exact strings in
one numbering (so every exact equality above is kept), refs in another, and writes beside each
value the answers of the tests above, computed here as the Rego library computes them. Every
other field stays as written. Two pairs with one shape get the same answer from every test the
rule makes, so the rule returns the same findings up to the renaming: the first pair of a shape
is evaluated, and its findings are carried over to the next by mapping refs and names position
by position (`translate`); a finding of any other form is not carried over (the pair is then
evaluated itself).

What keeps this exact when Python and the engine could part ways: a name is abstracted only
when it is made of IAM name characters (printable ASCII letters, digits and `_+=,.@:/-*?`), on
which `lower()`, the glob and the regex mean the same in Python, regopy and OPA; a pair holding
any other text there is evaluated itself. tests/test_canonical_pairs.py pins the rule's code (a
change to it fails the test until this list is reviewed) and holds the shapes to the raw
evaluation on the scans of the test suite and on thousands of generated pairs.
"""
from __future__ import annotations

import json
import re
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping, Sequence

PAIR_KIND = "assume_pair"

# Names made of these characters only are abstracted (see the module's docstring).
_SAFE = re.compile(r"[A-Za-z0-9_+=,.@:/*?-]+")
# lib iamg_501 `aimed`: a grant on particular roles (more than wildcards after role/).
_AIMED = re.compile(r"^arn:[^:]*:iam::[^:]*:role/.*[^*?]")
_MEMO_SIZE = 4096

# Where a pair input holds names, as a trie of field names ("*": every item of a list); a leaf
# says what the rule tests of the value there. Fields not named here are kept as written.
_TEXT, _REF, _RESOURCE, _PRINCIPAL, _CONDITION = "S", "R", "V", "P", "C"
_GRANT = {"ref": _REF, "resources": {"values": {"*": _RESOURCE}}}
_ROLES: dict[str, Any] = {
    "caller": {
        "arn": _TEXT, "account": _TEXT, "session_prefix": _TEXT,
        "statements": {"*": _GRANT},
        "boundary": {"statements": {"*": _GRANT}},
    },
    "target": {
        "arn": _TEXT, "account": _TEXT,
        "statements": {"*": {
            "ref": _REF,
            "principals": {"*": {"ref": _REF, "value": _PRINCIPAL, "account": _TEXT}},
            "conditions": {"*": {"values": {"*": _CONDITION}}},
        }},
    },
}


@dataclass(frozen=True)
class PairShape:
    """A pair input's memo key, and by number the names and refs its key abstracts."""

    key: str
    texts: tuple[str, ...]
    refs: tuple[str, ...]


class _Unshapable(Exception):
    """The pair holds a value this module does not abstract safely: it is evaluated itself."""


def pair_shape(document: Mapping[str, Any]) -> PairShape | None:
    """The pair's shape (see the module's docstring), or None when it has none: not a pair,
    or a name with characters outside the IAM set, or a value of an unexpected type."""
    if document.get("kind") != PAIR_KIND:
        return None
    caller, target = document.get("caller"), document.get("target")
    if type(document) is not dict or type(caller) is not dict or type(target) is not dict:
        return None
    operands = (caller.get("arn"), caller.get("account"), caller.get("session_prefix"), target.get("arn"))
    if not all(isinstance(o, str) for o in operands):
        return None
    shaper = _Shaper(*operands)  # type: ignore[arg-type]
    try:
        shaper.walk(document, _ROLES)
    except _Unshapable:
        return None
    return PairShape("".join(shaper.parts), tuple(shaper.texts), tuple(shaper.refs))


class _Shaper:
    """Writes a pair's key while numbering its names and refs by first appearance."""

    def __init__(self, caller_arn: str, caller_account: str, session_prefix: str, target_arn: str) -> None:
        self.caller_arn = caller_arn.lower()
        self.caller_account = caller_account
        self.session_prefix = session_prefix.lower()
        self.target_arn = target_arn.lower()
        self.texts: dict[str, int] = {}
        self.refs: dict[str, int] = {}
        self.parts: list[str] = []

    def walk(self, value: Any, roles: Any) -> None:
        # Plain dicts and lists only (what assume_graph builds): the walk runs once per pair.
        if isinstance(roles, str):
            self.parts.append(self.leaf(value, roles))
        elif type(value) is dict:
            self.parts.append("{")
            for name, item in value.items():
                self.parts.append(_name(name))
                child = roles.get(name)
                if child is None:  # no name below: the whole value as written
                    self.parts.append(_encode(item))
                else:
                    self.walk(item, child)
            self.parts.append("}")
        elif type(value) is list and "*" in roles:
            self.parts.append("[")
            for item in value:
                self.walk(item, roles["*"])
                self.parts.append(",")
            self.parts.append("]")
        else:  # not the container the rule expects: kept as written (the rule reads it as such)
            self.parts.append(_encode(value))

    def leaf(self, value: Any, role: str) -> str:
        if not isinstance(value, str):
            raise _Unshapable
        tests = self.tests(value, role)
        if value == "":  # the rule compares with "": kept as written
            return f'""{tests}'
        if not _SAFE.fullmatch(value):
            raise _Unshapable
        numbers = self.refs if role == _REF else self.texts
        number = numbers.setdefault(value, len(numbers))
        return f'"\t{role}{number}{tests}"' if role != _REF else f'"\tR{number}"'

    def tests(self, value: str, role: str) -> str:
        """The answers of the rule's tests on the value at a place of this role."""
        if role == _RESOURCE:
            return _flags(_AIMED.match(value) is not None, iam_glob_matches(value.lower(), self.target_arn))
        if role == _PRINCIPAL:
            lowered = value.lower()
            return _flags(lowered == self.caller_arn, lowered.startswith(self.session_prefix))
        if role == _CONDITION:
            return _flags(iam_glob_matches(value.lower(), self.caller_arn),
                          iam_glob_matches(value, self.caller_account))
        return ""


_encode_json = json.JSONEncoder(separators=(",", ":")).encode
_quote = json.encoder.encode_basestring_ascii
_SCALARS = {True: "true", False: "false", None: "null"}


def _encode(value: Any) -> str:
    """A value as compact JSON; the flags and plain strings of a pair without the encoder's
    overhead (the walk writes some twenty of them per pair)."""
    if value is True or value is False or value is None:
        return _SCALARS[value]
    if type(value) is str:
        return _quote(value)
    return _encode_json(value)


@lru_cache(maxsize=256)
def _name(name: str) -> str:
    """A field name as the key writes it (quoted, then a colon; the value and a comma follow)."""
    return "," + _encode(name) + ":"


def _flags(*tests: bool) -> str:
    return "|" + "".join("y" if t else "n" for t in tests)


def iam_glob_matches(pattern: str, value: str) -> bool:
    """lib/iam_glob.rego `matches`: `*` any run of characters, `?` any one, the rest literal."""
    if "*" not in pattern and "?" not in pattern:
        return pattern == value
    return _glob(pattern).fullmatch(value) is not None


@lru_cache(maxsize=4096)
def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.DOTALL)


def translate(findings: Sequence[Mapping[str, Any]], source: PairShape,
              target: PairShape) -> tuple[dict[str, Any], ...] | None:
    """The findings of the pair shaped `source`, carried over to the pair shaped `target` (same
    key) and ordered as the engine orders them; None when a finding is not of the form the rule
    returns (a ref, a direction and a resource value), so the renaming cannot account for it."""
    if source.texts == target.texts and source.refs == target.refs:
        return tuple(dict(f) for f in findings)
    refs = dict(zip(source.refs, target.refs))
    texts = dict(zip(source.texts, target.texts))
    out = []
    for finding in findings:
        mapped = _translated(finding, refs, texts)
        if mapped is None:
            return None
        out.append(mapped)
    return tuple(sorted(out, key=lambda f: json.dumps(f, sort_keys=True)))


def _translated(finding: Mapping[str, Any], refs: Mapping[str, str], texts: Mapping[str, str]) -> dict[str, Any] | None:
    facts = finding.get("facts")
    if set(finding) - {"ref", "facts", "package"} or not isinstance(facts, Mapping) or set(facts) - {"direction", "grant"}:
        return None
    ref = refs.get(finding.get("ref"))  # type: ignore[arg-type]
    direction = facts.get("direction")
    # The direction is the rule's own word: one that is also a name of the pair is ambiguous.
    if ref is None or not isinstance(direction, str) or direction in texts or direction in refs:
        return None
    out_facts: dict[str, Any] = {"direction": direction}
    if "grant" in facts:
        grant = facts["grant"]
        if grant == "":
            out_facts["grant"] = grant
        elif isinstance(grant, str) and grant in texts:
            out_facts["grant"] = texts[grant]
        else:
            return None
    out = {"ref": ref, "facts": out_facts}
    if "package" in finding:
        out["package"] = finding["package"]
    return out


class PairMemo:
    """The findings of one pair per shape (and rule package), for one scan: the first pair
    of a shape stands for it. Not shared between threads."""

    def __init__(self, size: int = _MEMO_SIZE) -> None:
        self._size = size
        self._entries: OrderedDict[str, tuple[PairShape, tuple[dict[str, Any], ...]]] = OrderedDict()
        self.hits = 0

    def recall(self, package: str, shape: PairShape) -> tuple[dict[str, Any], ...] | None:
        """The findings of a pair of this shape, renamed for this one; None when no pair of
        the shape was evaluated yet, or its findings do not carry over."""
        key = f"{package}\n{shape.key}"
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        found = translate(entry[1], entry[0], shape)
        self.hits += found is not None
        return found

    def remember(self, package: str, shape: PairShape, findings: tuple[dict[str, Any], ...]) -> None:
        key = f"{package}\n{shape.key}"
        if key in self._entries:
            return  # the first pair of a shape stands for it
        self._entries[key] = (shape, findings)
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)
