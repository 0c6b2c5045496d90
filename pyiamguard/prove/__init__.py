"""Proofs about one role's trust policy with an SMT solver (z3), the way Access Analyzer's
Zelkova translates policies into logic.

`RoleModel` (in `pyiamguard.prove.model`) turns a role's normalized trust document into z3
formulas over a symbolic AssumeRole request; a property is then proven (no request breaks it)
or refuted with a `ConcreteRequest` that does. Importing this package is cheap: z3 is imported
only by the model module, and `check_available()` says whether it is installed
(`pip install 'pyiamguard[prove]'`).

Its users: `prover` (the properties of `pyiamguard prove` and `explain --prove`), `selfcheck`
(`scan --prove`, the rules held to the model) and `reach` (`simulate --prove`: which requests of
one caller get in).
"""
from __future__ import annotations

from typing import Any

from .requests import ACTIONS, ConcreteRequest, ProveUnavailable, check_available

__all__ = ["ACTIONS", "ConcreteRequest", "ProveUnavailable", "RoleModel", "check_available"]


def __getattr__(name: str) -> Any:
    if name == "RoleModel":
        from .model import RoleModel

        return RoleModel
    raise AttributeError(name)
