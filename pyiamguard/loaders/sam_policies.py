"""SAM policy templates (`Policies: - S3ReadPolicy: {BucketName: !Ref B}`) expanded as SAM does.

SAM replaces each `Ref` to a template parameter in the template's definition by the value the
function gives it, and adds the result as an inline policy of the role it generates; the rest
(`Fn::Sub` over `${AWS::Partition}`, ...) is left to CloudFormation. The definitions are SAM's
own, vendored in `pyiamguard/data/sam/` (see its README for source and licence).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

TEMPLATES_PATH = Path(__file__).resolve().parent.parent / "data" / "sam" / "policy_templates.json"


@dataclass(frozen=True)
class Expanded:
    """A policy template's document, or why it was not expanded (`document` None)."""

    document: Any = None
    reason: str = ""


@lru_cache(maxsize=1)
def templates() -> dict[str, Any]:
    """Template name -> {Definition, Parameters, Description}."""
    data = json.loads(TEMPLATES_PATH.read_text(encoding="utf-8"))
    return dict(data["Templates"])


def expand(name: str, values: Any) -> Expanded:
    """The policy document SAM writes for template `name` given its parameter `values`."""
    template = templates().get(name)
    if template is None:
        return Expanded(reason=f"{name} is not a SAM policy template (SAM rejects the function): not evaluated")
    parameters = template.get("Parameters") or {}
    if not isinstance(values, dict):
        return Expanded(reason=f"SAM policy template {name} needs a mapping of parameter values: not evaluated")
    missing = sorted(set(parameters) - set(values))
    if missing:
        return Expanded(reason=f"SAM policy template {name} lacks {', '.join(missing)} (SAM rejects the function): "
                        "not evaluated")
    # Only the template's own parameters are substituted, as SAM does: a value never injects others.
    return Expanded(document=_substitute(template["Definition"], {k: values[k] for k in parameters}))


def _substitute(node: Any, values: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if set(node) == {"Ref"} and isinstance(node["Ref"], str) and node["Ref"] in values:
            return values[node["Ref"]]
        return {k: _substitute(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [_substitute(v, values) for v in node]
    return node
