"""Action grammar: case-insensitive names with `*` and `?` wildcards, Action or NotAction."""
from __future__ import annotations

import re
from functools import lru_cache

ASSUME_ROLE = "sts:assumerole"
WEB_IDENTITY = "sts:assumerolewithwebidentity"
SAML = "sts:assumerolewithsaml"
ASSUME_ACTIONS = (ASSUME_ROLE, WEB_IDENTITY, SAML)
_BROAD = frozenset({"*", "sts:*", "*:*"})


@lru_cache(maxsize=4096)
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text.lower()), re.S)


def matches(pattern: str, action: str) -> bool:
    """`sts:Assume*`, `STS:ASSUMEROLE`, `*` match `sts:AssumeRole`; no implicit prefix match."""
    return _pattern(pattern.strip()).fullmatch(action.lower()) is not None


def covers(patterns: list[str], action: str, not_action: bool) -> bool:
    """Whether a statement's Action (or NotAction) list covers `action` (lower-case)."""
    hit = any(matches(p, action) for p in patterns)
    return not hit if not_action else hit


def is_broad(pattern: str) -> bool:
    return pattern.strip().lower() in _BROAD
