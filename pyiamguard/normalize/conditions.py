"""Condition grammar: `{"Operator": {"key": value | [values]}}` flattened to one record per key."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .principals import ArnParts, arn_resource_scope, parse_arn
from .values import Unresolved, engine_token, has_placeholder, scalar_text

# Base operators from the IAM condition-operator reference, lower-cased.
_NEGATED = frozenset({
    "stringnotequals", "stringnotequalsignorecase", "stringnotlike", "numericnotequals",
    "datenotequals", "arnnotequals", "arnnotlike", "notipaddress",
})
_PATTERN = frozenset({"stringlike", "stringnotlike", "arnlike", "arnnotlike", "arnequals", "arnnotequals"})
KNOWN_BASES = frozenset({
    "stringequals", "stringnotequals", "stringequalsignorecase", "stringnotequalsignorecase",
    "stringlike", "stringnotlike", "numericequals", "numericnotequals", "numericlessthan",
    "numericlessthanequals", "numericgreaterthan", "numericgreaterthanequals", "dateequals",
    "datenotequals", "datelessthan", "datelessthanequals", "dategreaterthan", "dategreaterthanequals",
    "bool", "binaryequals", "ipaddress", "notipaddress", "arnequals", "arnlike", "arnnotequals",
    "arnnotlike", "null",
})
_ACCOUNT = re.compile(r"[0-9]{12}")  # ASCII digits (`\d` admits other scripts'), matched whole


@dataclass
class ConditionValue:
    text: str
    unresolved: bool = False

    def engine_fields(self) -> dict[str, Any]:
        text = self.text
        # An unresolved value may still be an ARN with a placeholder in one field
        # (`arn:aws:iam::${Account}:role/deployer`): its literal fields still say what it names.
        arn = parse_arn(text)
        account, partition, account_wildcard, arn_scope, named = "", "", False, "", False
        if _ACCOUNT.fullmatch(text) and not self.unresolved:
            account = text
        elif arn is not None:
            arn_scope = arn_resource_scope(arn)
            named = _names_one(arn)
            # An unknown value claims no account or partition: only what it names.
            if not self.unresolved:
                partition = arn.partition
                if _ACCOUNT.fullmatch(arn.account):
                    account = arn.account
                elif "*" in arn.account or "?" in arn.account:
                    account_wildcard = True
        stripped = text.replace("*", "").replace("?", "")
        return {
            "text": engine_token(text),
            "wildcard": "*" in text or "?" in text,
            "wildcard_only": bool(text) and not stripped,
            "account": account,
            "account_wildcard": account_wildcard,
            "partition": engine_token(partition),
            "arn_scope": arn_scope,
            "named": named,
            "unresolved": self.unresolved,
        }


def _names_one(arn: ArnParts) -> bool:
    """A named principal (rules spec): an iam/sts ARN whose resource part names one principal,
    without wildcard, policy variable or placeholder. Its account may be unknown."""
    if arn.service not in ("iam", "sts") or arn_resource_scope(arn) == "other":
        return False
    resource = arn.resource
    name = resource.rsplit("/", 1)[-1]
    return bool(name) and not any(c in resource for c in "*?$")


@dataclass
class Condition:
    operator: str
    key: str
    values: list[ConditionValue] = field(default_factory=list)
    unresolved_operator: bool = False

    @property
    def parsed(self) -> tuple[str, str, bool]:
        """(set qualifier, base operator, IfExists) from the operator text."""
        op = self.operator.strip()
        qualifier = ""
        low = op.lower()
        for prefix in ("forallvalues:", "foranyvalue:"):
            if low.startswith(prefix):
                qualifier, op = prefix[:-1], op[len(prefix):]
                break
        base = op.lower()
        if_exists = base.endswith("ifexists") and base != "ifexists"
        if if_exists:
            base = base[: -len("ifexists")]
        return qualifier, base, if_exists

    @property
    def known_operator(self) -> bool:
        qualifier, base, if_exists = self.parsed
        return base in KNOWN_BASES and not (base == "null" and (if_exists or qualifier))

    def state(self) -> str:
        _, base, _ = self.parsed
        if any(v.unresolved for v in self.values):
            return "unresolved"
        texts = [v.text for v in self.values]
        if not texts or all(t == "" for t in texts):
            return "empty"
        if base in _PATTERN and any(t and not t.replace("*", "").replace("?", "") for t in texts):
            # Values are ORed: one pattern made only of wildcards admits every value.
            return "wildcard_only"
        return "concrete"

    def engine_fields(self) -> dict[str, Any]:
        qualifier, base, if_exists = self.parsed
        return {
            "operator": engine_token(self.operator),
            "base": engine_token(base),
            "set": qualifier,
            "if_exists": if_exists,
            "negated": base in _NEGATED,
            "pattern": base in _PATTERN,
            "key": engine_token(self.key.lower()),
            "values": [v.engine_fields() for v in self.values],
            "state": self.state(),
        }


def condition_values(raw: Any) -> tuple[list[ConditionValue], bool]:
    """The values of one condition key, stringified as IAM does; False when a value is malformed."""
    values: list[ConditionValue] = []
    well_formed = True
    for item in raw if isinstance(raw, list) else [raw]:
        if isinstance(item, Unresolved):
            values.append(ConditionValue(item.expression, unresolved=True))
            continue
        text = scalar_text(item)
        if text is None:
            if item is None:
                continue
            well_formed = False
            values.append(ConditionValue(repr(item)[:40], unresolved=True))
            continue
        values.append(ConditionValue(text, unresolved=has_placeholder(text)))
    return values, well_formed
