"""Small value helpers shared by the normalizer: engine-safe tokens, JSONPath text, unresolved values."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from ..loaders.source import TreePath

_SAFE = re.compile(r"^[\x20-\x7e]*\Z")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")
# IAM policy variables (`${aws:username}`, `${*}`) are part of the grammar; any other `${...}`
# is a template placeholder whose value is not known statically.
_POLICY_VARIABLE = re.compile(r"\$\{(?:[A-Za-z0-9_.\-/]+:[A-Za-z0-9_.\-/]+|\*|\?|\$)\}")
_PLACEHOLDER = re.compile(r"\$\{[^}]*\}")


@dataclass(frozen=True)
class Unresolved:
    """A value that cannot be known statically: an unknown plan value, a parameter without a
    default, an import, a template placeholder. `expression` says what it was."""

    expression: str
    reason: str = "not known before deployment"

    def __str__(self) -> str:
        return self.expression


# ASCII digits only, matched whole: `\d` admits other scripts' digits ("١١١١٢٢٢٢٣٣٣٣") and `$`
# a final newline, and either would reach the engine as an account that never equals itself.
_ACCOUNT_ID = re.compile(r"[0-9]{12}")
_DIGITS = re.compile(r"[0-9]+")


def is_account_id(text: str) -> bool:
    """Twelve ASCII digits, nothing else."""
    return bool(_ACCOUNT_ID.fullmatch(text))


def ascii_digits(text: str) -> bool:
    return bool(_DIGITS.fullmatch(text))


def engine_token(text: str) -> str:
    """The text itself when regopy handles it exactly (printable ASCII without quote or
    backslash), otherwise `~` and a digest: it never equals an allow-listed value."""
    if _SAFE.match(text) and '"' not in text and "\\" not in text:
        return text
    return "~" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def scalar_text(value: Any) -> str | None:
    """IAM stringifies JSON scalars: true -> "true", 3600 -> "3600". None for non-scalars."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value
    return None


def has_placeholder(text: str) -> bool:
    """True when `text` holds a `${...}` that is not an IAM policy variable."""
    return bool(_PLACEHOLDER.search(_POLICY_VARIABLE.sub("", text)))


def has_policy_variable(text: str) -> bool:
    return bool(_POLICY_VARIABLE.search(text))


def json_path(path: TreePath) -> str:
    """`('Statement', 1, 'Principal', 'AWS', 0)` -> `$.Statement[1].Principal.AWS[0]`."""
    out = ["$"]
    for step in path:
        if isinstance(step, int):
            out.append(f"[{step}]")
        elif _IDENT.match(step):
            out.append(f".{step}")
        else:
            escaped = step.replace("\\", "\\\\").replace("'", "\\'")
            out.append(f"['{escaped}']")
    return "".join(out)


def as_list(value: Any) -> list[Any]:
    """IAM allows a scalar wherever a list is expected."""
    return value if isinstance(value, list) else [value]


def unused_account_token(text: str) -> str:
    """A 12-digit token that `text` does not contain, to stand for an own account a template or
    module does not know (000000000000 is no real account; the first free one is taken)."""
    for n in range(1000):
        candidate = f"{n:012d}"
        if candidate not in text:
            return candidate
    return "000000000000"  # a text naming the first thousand ids: practically never


def mentions(value: Any, text: str) -> bool:
    """Whether a string anywhere in a document tree contains `text`."""
    if isinstance(value, str):
        return text in value
    if isinstance(value, dict):
        return any(mentions(v, text) for v in value.values())
    if isinstance(value, list):
        return any(mentions(v, text) for v in value)
    return False
