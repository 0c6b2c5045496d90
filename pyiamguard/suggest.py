""""Did you mean" for a mistyped name: one wording for options, commands, keys and rule ids."""
from __future__ import annotations

import difflib
from typing import Iterable

# Rule ids differ in digits only: a looser match would suggest IAMG-109 for IAMG-999.
RULE_CUTOFF = 0.85


def did_you_mean(word: str, choices: Iterable[str], cutoff: float = 0.6) -> str:
    """` (did you mean 'x'?)` for the closest choice, or "" when none is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=cutoff)
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown_rule(rule: str, shown: str, known: Iterable[str]) -> str:
    """`unknown rule 'IAMG-999' (see 'pyiamguard rules')`, with the closest id when there is one."""
    return f"unknown rule {shown!r}{did_you_mean(rule, known, RULE_CUTOFF)} (see 'pyiamguard rules')"
