"""The Rego engine adapter: the only module that imports regopy.

Policies are compiled once per engine (`build` with every entry point), then each normalized
document is evaluated with `set_input` + `query_bundle_entrypoint`: re-planning a query per
call is 8x slower. One Engine per thread or process: a shared regopy Interpreter gives wrong
results under concurrency. Identical documents are evaluated once (memoized on their
canonical JSON), since real estates repeat the same few trust policies.
"""
from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any, Mapping, Sequence

MAIN_ENTRYPOINT = "pyiamguard/main/findings"
_MEMO_SIZE = 4096


class EngineError(Exception):
    """The engine could not evaluate a document (or one rule of it)."""

    def __init__(self, message: str, package: str | None = None) -> None:
        super().__init__(message)
        self.package = package


class Engine:
    """Compiled guardrail policies, ready to evaluate one document at a time."""

    def __init__(self, modules: Sequence[tuple[str, str]], data: Mapping[str, Any], packages: Sequence[str]) -> None:
        import regopy  # imported here so the CLI starts fast when there is nothing to scan

        self._packages = tuple(packages)
        self._entrypoints = {p: f"pyiamguard/rules/{p}/deny" for p in self._packages}
        interp = regopy.Interpreter()
        interp.log_level = regopy.LogLevel.NONE  # otherwise errors are printed on stdout
        interp.strict_built_in_errors = True  # a built-in error must not silently drop a finding
        interp.add_data_json(json.dumps(data, ensure_ascii=True))
        for name, source in modules:
            try:
                interp.add_module(name, source)
            except regopy.RegoError as exc:
                raise EngineError(f"policy {name} does not compile: {exc}") from None
        self._interp = interp
        self._bundle = interp.build(None, [MAIN_ENTRYPOINT, *self._entrypoints.values()])
        self._memo: OrderedDict[str, tuple[dict[str, Any], ...]] = OrderedDict()

    def evaluate(self, document: Mapping[str, Any]) -> tuple[dict[str, Any], ...]:
        """All findings for one normalized document, each tagged with its rule `package`.

        Raises EngineError naming the failing rule package when one rule fails; the other
        rules' findings are then still returned by `evaluate_isolated`.
        """
        key = json.dumps(document, sort_keys=True, separators=(",", ":"))
        cached = self._memo.get(key)
        if cached is not None:
            self._memo.move_to_end(key)
            return cached
        self._interp.set_input(dict(document))
        result = tuple(sorted(self._query(MAIN_ENTRYPOINT), key=_order))
        self._memo[key] = result
        if len(self._memo) > _MEMO_SIZE:
            self._memo.popitem(last=False)
        return result

    def evaluate_rule(self, document: Mapping[str, Any], package: str) -> tuple[dict[str, Any], ...]:
        """The findings of one rule package: for inputs that only that rule reads (the
        IAMG-501 pairs), the other rules need not run. Raises EngineError when it fails."""
        self._interp.set_input(dict(document))
        return tuple(sorted(({**f, "package": package} for f in self._query(self._entrypoints[package])), key=_order))

    def evaluate_isolated(self, document: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[EngineError]]:
        """Rule by rule, so one failing rule cannot hide the findings of the others."""
        self._interp.set_input(dict(document))
        findings: list[dict[str, Any]] = []
        errors: list[EngineError] = []
        for package, entrypoint in self._entrypoints.items():
            try:
                findings.extend({**f, "package": package} for f in self._query(entrypoint))
            except EngineError as exc:
                errors.append(EngineError(str(exc), package))
        return sorted(findings, key=_order), errors

    def _query(self, entrypoint: str) -> list[dict[str, Any]]:
        try:
            output = self._interp.query_bundle_entrypoint(self._bundle, entrypoint)
        except Exception as exc:  # the wrapper raises JSONDecodeError on error payloads
            raise EngineError(f"evaluation failed: {type(exc).__name__}: {exc}") from None
        if not output.ok():
            raise EngineError(f"evaluation failed: {str(output)[:300]}")
        try:
            value = output[0].expressions[0]
        except (IndexError, KeyError, TypeError):
            return []  # undefined: no findings
        if isinstance(value, str) and value.startswith("<error"):
            raise EngineError("evaluation failed: rule error")
        if not isinstance(value, list):
            raise EngineError(f"evaluation returned {type(value).__name__}, expected a set of findings")
        return [v for v in value if isinstance(v, dict)]


def _order(finding: Mapping[str, Any]) -> str:
    return json.dumps(finding, sort_keys=True)
