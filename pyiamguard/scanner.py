"""The scan: files -> loader -> normalized documents -> engine -> violations -> Report.

Library entry points for deployment scripts: they never print and never exit. Every input
problem becomes a ScanError scoped to its file; the other files are still scanned.
"""
from __future__ import annotations

import dataclasses
import itertools
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Union

from .assume_graph import AssumeGraph, role_key
from .canonical_pairs import PairMemo, PairShape, pair_shape
from .catalog import CUSTOM_MAIN_ENTRYPOINT, PolicySet, format_message
from .config import Config, rule_set
from .loaders.cloudformation import (cloudformation_sources, defaults_note, parameters_at, template_suppressions,
                                     written_at)
from .loaders.files import (STDIN, Candidate, InputErrorAt, Skipped, candidates, classify,
                            looks_like_iac_text, parse_bytes, read_source)
from .loaders.hcl_index import TfSourceIndex, local_module_directories
from .loaders.iam import Identity, PolicySource, is_policy, policy_sources
from .loaders.json_source import load_json
from .loaders.terraform import is_terraform, replaced_addresses, terraform_sources, variables_in
from .loaders.terraform_before import has_previous_state, previous_source, starts_empty
from .exposure import RoleExposure, role_exposure
from .loaders.source import InputError, SourceFile, check_depth
from .messages import MessageContext, compose
from .model import Location, Report, RuleInfo, ScanError, ScanProgress, Severity, Violation, subject_of
from .normalize.policy import KINDS, NormalizedDocument, normalize_policy
from .waivers import apply_config as _apply_waivers


@dataclass
class _Scan:
    """State of one scan call (never shared between calls or threads)."""

    config: Config
    policies: PolicySet
    get_engine: Callable[[], Any]  # the Scanner's Engine, built on first use
    violations: list[Violation] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    scanned: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    documents: int = 0
    suppressed: list[Violation] = field(default_factory=list)
    graph: AssumeGraph = field(default_factory=AssumeGraph)
    # In-template suppressions per file, for the findings made after the file (IAMG-501).
    suppressions: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)

    jobs: int = 1
    pool: Any = None  # an EnginePool, started for the first batch with enough distinct documents
    pool_failed: bool = False
    new_documents: int = 0  # documents the engine had not seen (evaluated, not served by its memo)

    progress: ProgressCallback | None = None
    files_total: int = 0
    files_done: int = 0
    # `inspect`: the normalized documents are collected here instead of being evaluated
    # (`inspect_callers`: and joined in the graph, for IAMG-501's verdicts on the callers).
    inspected: list[InspectedDocument] | None = None
    inspect_callers: bool = False
    # Change-aware scans: the exposure of each trust document of the compared files (all of
    # them with `expose_all`, else those of `expose_files`), the plans' previous versions
    # (None: the plan starts from nothing) and the roles a plan replaces.
    exposures: list[RoleExposure] | None = None
    expose_all: bool = False
    expose_files: set[str] = field(default_factory=set)
    previous_plans: list[tuple[str, SourceFile | None]] | None = None
    replaced: set[tuple[str, str]] = field(default_factory=set)
    # The previous version's scan: findings are located by path only, and their line and
    # column found (`place`) only for the few that turn out resolved.
    unplaced: dict[tuple[str, str], Callable[[], tuple[int | None, int | None]]] | None = None
    # A compared plan's documents as now evaluated, by (file, resource, kind), for its previous
    # version's scan (`reuse`): an unchanged document is not evaluated again. None: ambiguous.
    results: dict[tuple[str, str, str], tuple[Any, list[tuple[Violation, str]], RoleExposure | None] | None] | None = None
    reuse: Mapping[tuple[str, str, str], tuple[Any, list[tuple[Violation, str]], RoleExposure | None] | None] | None = None

    def tick(self, file: str, force: bool = False) -> None:
        """Tell the progress callback (every file, and every 64th document within one)."""
        if self.progress is not None and (force or self.documents % 64 == 0):
            self.progress(ScanProgress(self.files_done, self.files_total, self.documents, file))

    def evaluate_all(self, documents: list[Mapping[str, Any]], package: str | None = None,
                     pair_memo: PairMemo | None = None) -> list[Any]:
        """Per document its findings (of every rule, or of rule `package` alone), or the
        EngineError it raised. Documents seen before come from the engine's memo (for rule
        `package`, the pairs of a shape seen before from `pair_memo`); the distinct new ones run on
        worker processes when there are enough of them and jobs > 1, else here."""
        from .engine import EngineError

        engine = self.get_engine()
        if package is not None:
            if pair_memo is not None:
                return self._evaluate_pairs(engine, documents, package, pair_memo)
            self.new_documents += len(documents)
            return self._evaluate_distinct(engine, list(documents), package)
        prepared = [engine.prepare(d) for d in documents]
        known = [engine.cached(p) for p in prepared]
        pending: dict[str, Any] = {}
        for entry, result in zip(prepared, known):
            if result is None:
                pending.setdefault(entry.key, entry)  # one document per shape
        self.new_documents += len(pending)
        representatives = list(pending.values())
        outcomes = self._evaluate_distinct(engine, [p.document for p in representatives], None, representatives)
        failed = {}
        for entry, outcome in zip(representatives, outcomes):
            if isinstance(outcome, EngineError):
                failed[entry.key] = outcome
            else:
                engine.remember(entry, outcome)
        out: list[Any] = []
        for entry, result in zip(prepared, known):
            if result is None:
                result = failed.get(entry.key) or engine.cached(entry)
            if result is None:  # findings that do not carry over to this document: its own evaluation
                try:
                    result = engine.evaluate(entry.document, entry)
                except EngineError as exc:
                    result = exc
            out.append(result)
        return out

    def _evaluate_pairs(self, engine: Any, documents: list[Mapping[str, Any]], package: str,
                        memo: PairMemo) -> list[Any]:
        """Rule `package` on IAMG-501 pairs: one pair per shape not seen before is evaluated
        (canonical_pairs.py), the others get its findings renamed for them. A pair without a
        shape, or whose findings do not carry over, or whose shape's pair failed, is evaluated
        itself, so every pair gets what its own evaluation gives."""
        from .engine import EngineError

        out: list[Any] = [None] * len(documents)
        shapes: list[PairShape | None] = [None] * len(documents)
        first: dict[str, int] = {}  # shape key (or a pair without one) -> the pair evaluated for it
        for i, document in enumerate(documents):
            try:
                engine.check_rule_input(document)  # fails as the pair's own evaluation would
            except EngineError as exc:
                out[i] = exc
                continue
            shapes[i] = shape = pair_shape(document)
            found = memo.recall(package, shape) if shape is not None else None
            if found is not None:
                out[i] = found
            else:
                first.setdefault(shape.key if shape is not None else f"\n{i}", i)
        evaluated = sorted(first.values())
        self.new_documents += len(evaluated)
        for i, outcome in zip(evaluated, self._evaluate_distinct(engine, [documents[i] for i in evaluated], package)):
            out[i] = outcome
            shape = shapes[i]
            if shape is not None and not isinstance(outcome, EngineError):
                memo.remember(package, shape, outcome)
        for i, shape in enumerate(shapes):
            if out[i] is None and shape is not None:
                out[i] = memo.recall(package, shape)
            if out[i] is None:  # its shape's pair failed, or the findings do not carry over
                self.new_documents += 1
                try:
                    out[i] = engine.evaluate_rule(documents[i], package)
                except EngineError as exc:
                    out[i] = exc
        return out

    def _evaluate_distinct(self, engine: Any, documents: list[Mapping[str, Any]], package: str | None,
                           prepared: list[Any] | None = None) -> list[Any]:
        """Per document its findings or the EngineError it raised: on worker processes when
        there are enough documents and jobs > 1, else here."""
        from .engine import MIN_POOL_DOCUMENTS, EngineError

        if len(documents) >= MIN_POOL_DOCUMENTS and self._pool() is not None:
            try:
                return self.pool.evaluate_many(documents, package)
            except Exception:  # a worker died or could not start: evaluate here instead
                self.close()
                self.pool_failed = True
        out: list[Any] = []
        for i, document in enumerate(documents):
            try:
                out.append(engine.evaluate(document, prepared[i]) if prepared is not None
                           else engine.evaluate_rule(document, package))
            except EngineError as exc:
                out.append(exc)
        return out

    def _pool(self) -> Any:
        if self.pool is None and self.jobs > 1 and not self.pool_failed:
            from .engine import EnginePool

            try:
                self.pool = EnginePool(self.policies.modules, engine_data(self.policies, self.config),
                                       entrypoints(self.policies), collectors(self.policies), self.jobs)
            except (OSError, ValueError, ImportError):
                self.pool_failed = True  # no processes here (a sandbox): one is enough
        return self.pool

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool = None

    def report(self) -> Report:
        return Report(
            violations=tuple(self.violations),
            errors=tuple(self.errors),
            scanned_files=tuple(self.scanned),
            skipped_files=tuple(self.skipped),
            documents=self.documents,
            suppressed=tuple(self.suppressed),
        )


@dataclass(frozen=True)
class InspectedDocument:
    """One normalized document as the engine sees it (`input`), with where each ref points:
    `refs` maps a ref to its file, line, column, JSONPath and the text written there."""

    file: str
    resource: str
    variant: str
    input: Mapping[str, Any]
    refs: Mapping[str, Mapping[str, Any]]
    # The role or user the document belongs to (as IAMG-501 joins them), and the 12-digit token
    # standing for a template's or module's unknown own account: for the trust graph, not printed.
    identity: Identity | None = None
    stand_in: str = ""
    stand_in_kind: str = "stack"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.file, "resource": self.resource}
        if self.variant:
            out["variant"] = self.variant
        return {**out, "input": self.input, "refs": self.refs}


@dataclass(frozen=True)
class Inspection:
    """What `Scanner.inspect` found: every normalized document, and the inputs' errors."""

    documents: tuple[InspectedDocument, ...]
    errors: tuple[ScanError, ...]
    scanned_files: tuple[str, ...]
    skipped_files: tuple[tuple[str, str], ...]
    # With `inspect(callers=True)`: per role (`role_key`), the ARNs of the roles of the scan that
    # its trust names but whose own policies, all known, never allow them to assume it across
    # accounts (IAMG-501's verdict).
    callers_without_permission: Mapping[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)

    def callers_denied(self, document: InspectedDocument) -> tuple[str, ...]:
        """The callers of the scan without permission to assume the document's role."""
        if document.identity is None:
            return ()
        return self.callers_without_permission.get(role_key(document.identity, document.file), ())

    def to_dict(self) -> dict[str, Any]:
        return {"documents": [d.to_dict() for d in self.documents], "errors": [e.to_dict() for e in self.errors]}


PathArg = Union[str, "os.PathLike[str]"]
ProgressCallback = Callable[[ScanProgress], None]


class Scanner:
    """A configuration with its rules compiled once, for any number of scans.

    `scan()` and `scan_document()` build one for a single call; a deployment script that
    checks many templates keeps one Scanner and calls its methods, so the policies are
    compiled once. Raises ConfigError for an invalid `config`, TfSourceError for an unusable
    `tf_source`. Not thread-safe (the Rego engine is not): one Scanner per thread.

    `tf_source`: the Terraform configuration directory of the scanned plans; every violation on
    a Terraform resource then names the `.tf` file and line of its block (`Violation.source`).
    `skip_unrecognized`: a named file that is not IaC is skipped too, not an error (pre-commit).
    `jobs`: processes for evaluating many distinct documents (1: none; the CLI uses
    `engine.default_workers()`). Workers start only when a batch has enough new documents to
    repay them; results and their order do not depend on it. They are spawned, so a script
    that passes jobs > 1 must scan under `if __name__ == "__main__":`.
    `progress`: called with a `ScanProgress` after every file and every few documents; it must
    only observe (the CLI draws a progress line with it)."""

    def __init__(
        self,
        config: Config | None = None,
        *,
        tf_source: PathArg | None = None,
        skip_unrecognized: bool = False,
        jobs: int = 1,
        progress: ProgressCallback | None = None,
    ) -> None:
        if config is not None and not isinstance(config, Config):
            raise TypeError(f"config: expected a pyiamguard.Config, got {type(config).__name__}")
        if isinstance(jobs, bool) or not isinstance(jobs, int):
            raise TypeError(f"jobs: expected a whole number of processes, got {type(jobs).__name__}")
        self.config = config or Config()
        self._index = TfSourceIndex.from_directory(tf_source) if tf_source is not None else None
        self._skip_unrecognized = skip_unrecognized
        self._jobs = max(1, jobs)
        self._progress = progress
        self._policies = rule_set(self.config)
        self._engine: Any = None
        if self._policies.custom_rules:
            # The user's rules compile now: a module that does not is an error of the
            # configuration (EngineError naming its file and line), never a partial rule set.
            self._get_engine()

    @property
    def rules(self) -> tuple[RuleInfo, ...]:
        """Every rule this scanner evaluates: the built-in ones and the configuration's
        custom rules (`policy_dirs`), in id order."""
        return self._policies.rules

    def scan(self, paths: PathArg | Iterable[PathArg], *, stdin_name: str = "<stdin>",
             compare_to: PathArg | None = None, compare_to_git: str | None = None) -> Report:
        """Scan files and directories: one path or a list of them; `-` is standard input,
        reported as `stdin_name`. Directories are walked for *.json, *.yaml, *.yml and
        *.template files; files that are not IAM, Terraform or CloudFormation documents are
        skipped (listed in `Report.skipped_files`), but a file named explicitly must be one.
        A scan that recognized no file at all has an error saying so, unless the
        configuration sets `allow_empty`. Never prints, never exits: a problem with an input
        is a `ScanError` of that input, and the other inputs are still scanned.

        Change-aware (`pyiamguard.changes`): a Terraform plan is compared with the state it
        starts from; `compare_to` (the previous version of the one path, or of the current
        directory when there are several) or `compare_to_git` (a git revision: the same paths
        as they were there) compares every file. Compared findings get `Violation.change`;
        `Report.resolved`, `Report.changes` and `Report.compared` say the rest. A bad
        `compare_to` raises ValueError, a bad revision CompareGitError."""
        targets = _path_list(paths)
        if compare_to is not None and compare_to_git is not None:
            raise ValueError("compare_to and compare_to_git exclude each other")
        if compare_to_git is not None:
            from .compare_git import materialize

            with tempfile.TemporaryDirectory(prefix="pyiamguard-previous-") as into:
                found = materialize([os.fspath(t) for t in targets], compare_to_git, into)
                return self._scan(targets, stdin_name, [(v.target, v.path, v.display) for v in found])
        if compare_to is not None:
            return self._scan(targets, stdin_name, _previous_paths(targets, compare_to))
        return self._scan(targets, stdin_name, None)

    def _scan(self, targets: list[PathArg], stdin_name: str,
              previous: list[tuple[str, str | None, str]] | None) -> Report:
        """The scan of `targets`, compared with their previous versions: `previous` gives for
        each target where its previous version is (None: it did not exist) and how reports
        name it; plans are compared with their prior state unless `previous` covers them."""
        state = self._state()
        state.exposures, state.previous_plans, state.results = [], [], {}
        state.expose_all = previous is not None
        try:
            self._walk(state, targets, stdin_name)
            _assume_pairs(state)
        finally:
            state.close()
        return self._compared(state, self._finish(state), previous or [])

    def scan_document(self, document: Any, kind: str | None = None, name: str = "<document>") -> Report:
        """Scan one document given as a Python object (parsed JSON or YAML) or as JSON or
        YAML text: an IAM policy or a CLI dump, a Terraform plan, or a CloudFormation template,
        each read as its file would be. Anything else is an error in the report, never a
        clean result. `kind` (`trust`, `identity` or `resource`) says how to read a single
        policy document; None detects it from the statements."""
        if kind is not None and kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        state = self._state()
        try:
            source = _document_source(document, name)
        except (InputError, UnicodeDecodeError, TypeError, ValueError) as exc:
            state.errors.append(ScanError(name, str(exc)))
            return self._finish(state)
        state.exposures, state.previous_plans = [], []
        try:
            if kind is None:
                _scan_source(state, name, source, explicit=True)
            elif classify(source.root) != "iam" or not is_policy(source.root):
                what = _KIND_NAMES.get(classify(source.root) or "", "not an IAM policy document")
                state.errors.append(ScanError(name, f"kind={kind!r} is for one IAM policy document, and this is "
                                                    f"{what}; leave kind out to scan it as such"))
            else:
                state.scanned.append(name)
                for _, noted in _evaluate_batches(state, source, [PolicySource(name, (), source.root, kind)]):
                    state.violations.extend(_with_note(v, note) for v, note in noted)
            _assume_pairs(state)
        finally:
            state.close()
        return self._compared(state, self._finish(state), [])

    def inspect(self, paths: PathArg | Iterable[PathArg], *, stdin_name: str = "<stdin>",
                callers: bool = False) -> Inspection:
        """The normalized documents of the files, exactly as the engine would get them, with
        each ref located: what a rule author matches on, and the input OPA and conftest take
        for the bundle. Nothing is evaluated; the pairs of IAMG-501 are not included. With
        `callers`, IAMG-501 alone judges the scan's pairs, for `callers_without_permission`."""
        state = self._state()
        state.inspected = []
        state.inspect_callers = callers
        try:
            self._walk(state, _path_list(paths), stdin_name)
            denied = _callers_without_permission(state) if callers else {}
        finally:
            state.close()
        return Inspection(tuple(state.inspected), tuple(state.errors), tuple(state.scanned), tuple(state.skipped),
                          denied)

    def _walk(self, state: "_Scan", targets: list[PathArg], stdin_name: str, *, require: bool = True) -> None:
        """Every file of the targets through `_scan_file`; the walk's errors and skips noted,
        and a scan that recognized no file at all an error (unless allow_empty)."""
        found = _callers_only(list(candidates(targets, named_as_found=self._skip_unrecognized,
                                              skip_paths=self.config.skip_paths, stdin_name=stdin_name)))
        state.files_total = sum(1 for item in found if isinstance(item, Candidate))
        for item in found:
            if isinstance(item, InputErrorAt):
                state.errors.append(ScanError(item.display, item.message))
            elif isinstance(item, Skipped):
                state.skipped.append((item.display, item.reason))
            else:
                _scan_file(state, item)
                state.files_done += 1
                state.tick(item.display, force=True)
        if require and not state.scanned and not state.errors and not self.config.allow_empty:
            # Said once, where no other error already explains why nothing was checked.
            state.errors.append(_nothing_to_check(targets, state, stdin_name))

    def _compared(self, state: "_Scan", after: Report, previous: list[tuple[str, str | None, str]]) -> Report:
        """`after` compared with the previous versions: of the plans it scanned (their prior
        state) and of the targets of `previous` (target, previous path or None, its name)."""
        from .changes import Side, compare

        roots = [(os.path.abspath(target), display) for target, _, display in previous]
        plans = [(display, source) for display, source in state.previous_plans or ()
                 if _unit_under(display, roots) is None]
        if not previous and not plans:
            return after
        before = self._state()
        before.exposures, before.expose_all, before.progress, before.unplaced = [], True, None, {}
        before.reuse = state.results
        try:
            for display, source in plans:
                if source is not None:
                    _guarded(before, display, lambda: _scan_source(before, display, source, explicit=True))
            for target, path, display in previous:
                if path is not None:
                    self._walk(before, [path], stdin_name="<stdin>", require=False)
            _assume_pairs(before)
        finally:
            before.close()
        renames = [(os.path.abspath(path), display) for _, path, display in previous if path is not None]
        old = _renamed(_apply_waivers(before.report(), self.config), renames)
        exposures = tuple(dataclasses.replace(e, file=_rename(e.file, renames)) for e in before.exposures)
        units = _units(roots, previous, {display: source is None for display, source in plans}, after.scanned_files,
                       old.errors)
        try:
            report = compare(Side(after, tuple(state.exposures or ())), Side(old, exposures), units)
            unplaced = {(_rename(file, renames), path): where for (file, path), where in before.unplaced.items()}
            return dataclasses.replace(report, resolved=tuple(place(v, unplaced) for v in report.resolved))
        except (RecursionError, ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
            if os.environ.get("PYIAMGUARD_DEBUG") == "1":
                raise
            # A bug of ours: the findings stand, without statuses, and the scan fails (an error).
            return dataclasses.replace(after, errors=after.errors + (ScanError(
                "<compare>", f"internal error while comparing with the previous version ({type(exc).__name__}: "
                             f"{str(exc)[:200]}); please report it"),))

    def _finish(self, state: "_Scan") -> Report:
        """The report of a scan: `.tf` blocks located (tf_source), then waivers applied."""
        report = state.report()
        report = report if self._index is None else _with_tf_sources(report, self._index)
        return _apply_waivers(report, self.config)

    def _state(self) -> "_Scan":
        return _Scan(self.config, self._policies, get_engine=self._get_engine, jobs=self._jobs,
                     progress=self._progress)

    def _get_engine(self) -> Any:
        if self._engine is None:
            from .engine import Engine  # lazy: regopy loads only when there is something to evaluate

            self._engine = Engine(self._policies.modules, engine_data(self._policies, self.config),
                                  entrypoints(self._policies), collectors(self._policies))
        return self._engine


def scan(
    paths: PathArg | Iterable[PathArg],
    config: Config | None = None,
    *,
    tf_source: PathArg | None = None,
    skip_unrecognized: bool = False,
    jobs: int = 1,
    stdin_name: str = "<stdin>",
    progress: ProgressCallback | None = None,
) -> Report:
    """Scan files and directories with a new `Scanner` (see `Scanner.scan`)."""
    return Scanner(config, tf_source=tf_source, skip_unrecognized=skip_unrecognized, jobs=jobs,
                   progress=progress).scan(paths, stdin_name=stdin_name)


def scan_document(
    document: Any,
    config: Config | None = None,
    kind: str | None = None,
    name: str = "<document>",
) -> Report:
    """Scan one document with a new `Scanner` (see `Scanner.scan_document`)."""
    return Scanner(config).scan_document(document, kind=kind, name=name)


def engine_data(policies: PolicySet, config: Config) -> dict[str, Any]:
    """The policies' default data with the configuration's rule parameters, and the custom
    rules' data (`policy_data`) as `data.pyiamguard.custom`."""
    data = json.loads(policies.data)
    data["pyiamguard"]["config"] = config.engine_data()
    data["pyiamguard"]["custom"] = dict(config.policy_data)
    return data


def entrypoints(policies: PolicySet) -> dict[str, str]:
    """Each rule's package key -> the entry point of its `deny` set."""
    return {rule.package: rule.entrypoint for rule in policies.rules}


def collectors(policies: PolicySet) -> tuple[str, ...]:
    """The entry points that return every rule's findings at once."""
    from .engine import MAIN_ENTRYPOINT

    return (MAIN_ENTRYPOINT, CUSTOM_MAIN_ENTRYPOINT) if policies.custom_rules else (MAIN_ENTRYPOINT,)


def _path_list(paths: Any) -> list[PathArg]:
    """One path or an iterable of them; anything else is a TypeError (a string is one path,
    never a sequence of one-letter paths)."""
    if isinstance(paths, (str, os.PathLike)):
        return [paths]
    if isinstance(paths, (bytes, bytearray, Mapping)) or not isinstance(paths, Iterable):
        raise TypeError(f"paths: expected a path (str or os.PathLike) or a list of paths, got {type(paths).__name__}")
    out = list(paths)
    for item in out:
        if not isinstance(item, (str, os.PathLike)):
            raise TypeError(f"paths: expected a path (str or os.PathLike), got {type(item).__name__} {item!r}")
    return out


def _document_source(document: Any, name: str) -> SourceFile:
    """A document given to scan_document, as the loaders would read its file: text by content
    (JSON or YAML), a Python object through JSON (so nodes get lines)."""
    if isinstance(document, (str, bytes)):
        return parse_bytes(name, document)
    if not isinstance(document, (dict, list)):
        raise InputError(f"expected a document (dict or list) or its JSON or YAML text, got {type(document).__name__}")
    check_depth(document)
    return load_json(name, json.dumps(document, indent=2, default=str))


_KIND_NAMES = {
    "terraform-plan": "a Terraform plan",
    "cloudformation": "a CloudFormation template",
    "iam": "not a single policy document (a list or an AWS CLI dump)",
}
_NOT_IAC = "not an IAM policy, Terraform plan or CloudFormation template"


def _nothing_to_check(targets: list[PathArg], state: "_Scan", stdin_name: str) -> ScanError:
    """The error of a scan that recognized no file: nothing was checked, so nothing passed."""
    names = [stdin_name if os.fspath(t) == STDIN else os.fspath(t) for t in targets]
    where = names[0] if len(names) == 1 else "<scan>"
    reasons = [reason for _, reason in state.skipped]
    message = "nothing to check: no IAM policy, Terraform plan or CloudFormation template was found"
    if not names:
        message += " (no paths were given)"
    elif reasons:
        message += f" ({len(reasons)} file{'s' if len(reasons) != 1 else ''} skipped)"
    return ScanError(where, message + "; --allow-empty (allow_empty: true) accepts an empty scan")


def _callers_only(found: list[Candidate | InputErrorAt | Skipped]) -> list[Candidate | InputErrorAt | Skipped]:
    """A Terraform module that another module of the scan calls (`source = "./modules/x"`) is
    scanned through its callers, with the values they pass: alone, its variables would have
    no values and every finding would be IAMG-001."""
    modules = {item.path.resolve(): item for item in found
               if isinstance(item, Candidate) and item.kind == "terraform-module" and item.path is not None}
    if not modules:
        return found
    called: dict[Path, str] = {}
    for directory, module in modules.items():
        pending, seen = [directory], {directory}
        while pending:
            for target in local_module_directories(pending.pop()):
                if target not in seen:
                    seen.add(target)
                    pending.append(target)
                    if target != directory:
                        called.setdefault(target, module.display)
    out: list[Candidate | InputErrorAt | Skipped] = []
    for item in found:
        if isinstance(item, Candidate) and item.kind == "terraform-module" and item.path is not None:
            caller = called.get(item.path.resolve())
            if caller is not None and modules.get(item.path.resolve()) is item:
                out.append(Skipped(item.display, f"a Terraform module that {caller} calls: scanned through it, "
                                                 "with the values it passes"))
                continue
        out.append(item)
    return out


def _scan_file(state: _Scan, candidate: Candidate) -> None:
    if candidate.kind == "terraform-module":
        _guarded(state, candidate.display, lambda: _scan_module(state, candidate))
        return
    try:
        source = read_source(candidate)
    except InputError as exc:
        if candidate.explicit or candidate.path is None or looks_like_iac_text(candidate.path):
            state.errors.append(ScanError(candidate.display, str(exc)))
        else:
            state.skipped.append((candidate.display, f"not parseable and not IaC ({exc})"))
        return
    _guarded(state, candidate.display, lambda: _scan_source(state, candidate.display, source, candidate.explicit))


def _guarded(state: _Scan, display: str, work: Callable[[], None]) -> None:
    try:
        work()
    except (RecursionError, MemoryError, ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
        if os.environ.get("PYIAMGUARD_DEBUG") == "1":
            raise  # the traceback, for a bug report
        # A bug of ours, never an input's fault: this file is an error (the scan fails), and
        # the other files are still scanned. tests/test_hostile_files.py keeps it unreachable.
        state.errors.append(ScanError(display, f"internal error while scanning this file "
                                               f"({type(exc).__name__}: {str(exc)[:200]}); please report it"))


def _scan_module(state: _Scan, candidate: Candidate) -> None:
    """A directory of .tf files: the module evaluated into the plan Terraform would show, whose
    documents are then evaluated as a plan's are (loaders/terraform_hcl.py)."""
    from .loaders.terraform_hcl import hcl_sources, module_source  # the HCL parser loads only when needed

    assert candidate.path is not None
    source, module = module_source(candidate.path, candidate.display, state.config.own_accounts)
    state.errors.extend(ScanError(file, message) for file, message in module.errors)
    state.skipped.extend(module.notes)
    files = sorted({tf.display for tf in module.parsed.values() if tf is not None})
    if not files:
        return
    state.scanned.extend(files)
    for file in files:
        state.suppressions[file] = module.suppressions
    try:
        policies = list(hcl_sources(source, module))
    except InputError as exc:
        state.errors.append(ScanError(candidate.display, str(exc)))
        return
    _record(state, _evaluate_batches(state, source, policies), module.suppressions)


def _scan_source(state: _Scan, display: str, source: SourceFile, explicit: bool) -> None:
    """One parsed file (or document): recognized, its policies found and evaluated."""
    kind = classify(source.root)
    if kind is None:
        if explicit:
            state.errors.append(ScanError(display, _NOT_IAC))
        else:
            state.skipped.append((display, _NOT_IAC))
        return
    state.scanned.append(display)
    suppressions: dict[str, dict[str, str]] = {}
    try:
        if kind == "terraform-plan":
            policies = list(terraform_sources(source))
            if state.previous_plans is not None and has_previous_state(source.root):
                state.expose_files.add(source.name)
                state.replaced |= {(source.name, address) for address in replaced_addresses(source.root)}
                state.previous_plans.append((display, None if starts_empty(source.root) else previous_source(source)))
        elif kind == "cloudformation":
            policies = list(cloudformation_sources(source, state.config.own_accounts))
            suppressions, problems = template_suppressions(source, frozenset(r.rule_id for r in state.policies.rules))
            state.suppressions[source.name] = suppressions
            state.errors.extend(ScanError(display, problem) for problem in problems)
        else:
            policies = list(policy_sources(source, os.path.basename(display)))
    except InputError as exc:
        state.errors.append(ScanError(display, str(exc)))
        return
    _record(state, _evaluate_batches(state, source, policies), suppressions)


def _record(state: _Scan, found: list[tuple[PolicySource, list[tuple[Violation, str]]]],
            suppressions: Mapping[str, Mapping[str, str]]) -> None:
    for violation in _merge_variants(found):
        reason = suppressions.get(violation.resource, {}).get(violation.rule_id)
        if reason is None:
            state.violations.append(violation)
        else:
            state.suppressed.append(dataclasses.replace(violation, suppression=reason))


def _with_note(violation: Violation, note: str) -> Violation:
    return dataclasses.replace(violation, message=f"{violation.message} ({note})") if note else violation


def _merge_variants(found: list[tuple[PolicySource, list[tuple[Violation, str]]]]) -> list[Violation]:
    """A resource evaluated in several variants (a template's Fn::If conditions and allowed
    parameter values): a finding of every variant is reported once, and one of only some
    variants says in which. A note (an assumed default) stays only when every variant with
    the finding made that assumption."""
    variants: dict[str, set[str]] = {}
    choices: dict[str, dict[str, tuple[tuple[str, str], ...]]] = {}
    for policy, _ in found:
        variants.setdefault(policy.resource, set()).add(policy.variant)
        choices.setdefault(policy.resource, {})[policy.variant] = policy.choices
    merged: dict[Violation, tuple[list[str], list[list[str]]]] = {}
    for policy, noted in found:
        for violation, note in noted:
            labels, notes = merged.setdefault(violation, ([], []))
            if policy.variant not in labels:
                labels.append(policy.variant)
                notes.append(note.split("; ") if note else [])
    out = []
    for violation, (labels, notes) in merged.items():
        common = [n for n in notes[0] if all(n in other for other in notes[1:])]
        message = violation.message + (f" ({'; '.join(common)})" if common else "")
        if "" not in labels and set(labels) != variants[violation.resource]:
            known = choices[violation.resource]
            terms = _fewest_terms([known[label] for label in labels if label in known], list(known.values()))
            shown = [", ".join(f"{subject} {value}" for subject, value in term) for term in terms] or labels
            message += f" (when {' or '.join(shown)})"
        out.append(dataclasses.replace(violation, message=message))
    return out


def _fewest_terms(found: list[tuple[tuple[str, str], ...]],
                  every: list[tuple[tuple[str, str], ...]]) -> list[tuple[tuple[str, str], ...]]:
    """The variants where a finding holds, said in fewer words: a choice is left out of a term
    when the finding holds for each value that choice takes beside the term's other choices
    (`DisableResourceCollection = 'true' or 'false'` says nothing)."""
    terms = {frozenset(term) for term in found}
    changed = True
    while changed:
        changed = False
        for term in sorted(terms, key=lambda t: sorted(t)):
            for subject, value in sorted(term):
                rest = term - {(subject, value)}
                domain = {v for variant in every for s, v in variant if s == subject and rest <= set(variant)}
                siblings = {rest | {(subject, v)} for v in domain}
                if siblings and all(any(t <= s for t in terms) for s in siblings):
                    terms = {t for t in terms if not rest <= t} | {rest}
                    changed = True
                    break
            if changed:
                break
    ordered = sorted(terms, key=lambda t: [found_index(found, t), sorted(t)])
    return [tuple(sorted(t, key=lambda item: (not item[0].startswith("condition"), item[0]))) for t in ordered if t]


def found_index(found: list[tuple[tuple[str, str], ...]], term: frozenset[tuple[str, str]]) -> int:
    """The first variant a term covers, to keep terms in the order the variants ran."""
    return next((i for i, variant in enumerate(found) if term <= set(variant)), len(found))


# A file's policies go one at a time while the engine's memo serves most of them (real estates
# repeat a few shapes, and holding documents in batches only feeds the garbage collector).
# When most recent documents are new and jobs > 1, the rest go in batches that worker
# processes evaluate: bounded memory, and the pool gets work in large enough pieces.
_BATCH = 512
_WINDOW = 256  # recent documents watched for the switch to batches
_NEW_FOR_BATCHES = 128  # new documents among them that make the pool worth starting


def _evaluate_batches(state: _Scan, source: SourceFile,
                      policies: list[PolicySource]) -> list[tuple[PolicySource, list[tuple[Violation, str]]]]:
    """Every policy with its violations and each one's note, in order (an input error gives
    none)."""
    found: list[tuple[PolicySource, list[tuple[Violation, str]]]] = []
    recent: list[bool] = []  # per recent document: was it new to the engine?
    start = 0
    while start < len(policies):
        many_new = state.jobs > 1 and not state.pool_failed and sum(recent[-_WINDOW:]) >= _NEW_FOR_BATCHES
        size = _BATCH if many_new else 1
        prepared = [(policy, _normalize(state, source, policy)) for policy in policies[start:start + size]]
        start += size
        if state.inspected is not None:
            for policy, normalized in prepared:
                if normalized is not None:
                    state.inspected.append(_inspected(source, policy, normalized))
                    if state.inspect_callers:
                        _join_graph(state, source, policy, normalized, _context(policy, normalized))
            continue
        if state.reuse is not None:  # a plan's previous version: the unchanged documents need no evaluation
            same = {id(policy): _same_as_now(state, source, policy, normalized) for policy, normalized in prepared
                    if normalized is not None}
            if any(v is not None for v in same.values()):
                for policy, normalized in prepared:
                    if same.get(id(policy)) is not None:
                        found.append((policy, same[id(policy)] or []))
                prepared = [(p, n) for p, n in prepared if same.get(id(p)) is None]
        ready = [(policy, normalized) for policy, normalized in prepared if normalized is not None]
        before = state.new_documents
        outcomes = iter(state.evaluate_all([normalized.engine_input for _, normalized in ready]))
        if size == 1 and ready:
            recent.append(state.new_documents > before)
        for policy, normalized in prepared:
            found.append((policy, [] if normalized is None else _violations(state, source, policy, normalized,
                                                                              next(outcomes))))
    return found


def _context(policy: PolicySource, normalized: NormalizedDocument) -> MessageContext:
    """How a document's nodes are quoted where its own account is not known (as for IAMG-501)."""
    return MessageContext(normalized, False, redact=policy.sensitive, secrets=policy.secrets, stand_in=policy.stand_in,
                          stand_in_kind=policy.stand_in_kind)


def _inspected(source: SourceFile, policy: PolicySource, normalized: NormalizedDocument) -> InspectedDocument:
    ctx = _context(policy, normalized)
    refs = {}
    for ref in normalized.nodes:
        at = _locate(source, policy, normalized, ref)
        refs[ref] = {"file": at.file, "line": at.line, "column": at.column, "path": at.path, "text": ctx.text(ref)}
    return InspectedDocument(source.name, policy.resource, policy.variant, normalized.engine_input, refs,
                             identity=policy.identity, stand_in=policy.stand_in,
                             stand_in_kind=policy.stand_in_kind)


def _normalize(state: _Scan, source: SourceFile, policy: PolicySource) -> NormalizedDocument | None:
    problems = tuple(p for p in source.problems if p.path[: len(policy.base)] == policy.base) + policy.problems
    try:
        check_depth(policy.document)
        context = policy.context
        if state.config.gitlab_hosts:
            context = dataclasses.replace(context, gitlab_hosts=frozenset(state.config.gitlab_hosts))
        normalized = normalize_policy(policy.document, kind=policy.kind, base=policy.base,
                                      context=context, parse_problems=problems, role=policy.role,
                                      resource=policy.facts)
    except InputError as exc:
        state.errors.append(ScanError(source.name, f"{policy.resource}: {exc}"))
        return None
    state.documents += 1
    state.tick(source.name)
    return normalized


def _violations(state: _Scan, source: SourceFile, policy: PolicySource, normalized: NormalizedDocument,
                outcome: Any) -> list[tuple[Violation, str]]:
    """The violations of one evaluated document; `outcome` is its findings or an EngineError."""
    from .engine import EngineError

    if isinstance(outcome, EngineError):
        # Isolate the failing rule: the others still report, the failure is an error.
        findings, failures = state.get_engine().evaluate_isolated(normalized.engine_input)
        by_package = state.policies.by_package()
        for failure in failures:
            rule = by_package.get(failure.package or "")
            state.errors.append(ScanError(source.name, f"{policy.resource}: rule could not be evaluated: {failure}",
                                          rule.rule_id if rule else None))
    else:
        findings = list(outcome)
    violations: list[tuple[Violation, str]] = []
    own_known = bool(state.config.own_accounts or normalized.engine_input["context"]["own_accounts"])
    # A template's values may come from intrinsic functions, a plan's from input variables:
    # messages say so beside the value.
    written: Callable[[str], str] | None = None
    if policy.source_path is not None:
        json_form = _JSON_TEXT.match(source.text) is not None  # not lstrip(): a copy of the file per role
        written = lambda ref: _prefixed("written ", written_at(source.root, _source_path(policy, normalized, ref),
                                                               json_form))
    elif source.format == "terraform-hcl":
        written = lambda ref: source.said(_source_path(policy, normalized, ref),
                                          normalized.nodes[ref].text if ref in normalized.nodes else "")
    elif is_terraform(source.root):
        written = lambda ref: variables_in(source.root, normalized.nodes[ref].text if ref in normalized.nodes else "")
    ctx = MessageContext(normalized, own_known, redact=policy.sensitive, secrets=policy.secrets,
                         stand_in=policy.stand_in, stand_in_kind=policy.stand_in_kind, written=written)
    rules = state.policies.by_package()
    for finding in findings:
        rule = rules.get(str(finding.get("package")))
        if rule is None or rule.rule_id in state.config.disabled_rules:
            continue
        violation = _violation(state.config, rule, finding, source, policy, normalized, ctx, state.unplaced)
        violations.append((violation, _note(source, policy, normalized, finding)))
    exposure = None
    if state.exposures is not None and normalized.kind == "trust" and (state.expose_all or source.name in state.expose_files) \
            and not (policy.role is None and (source.format == "terraform-hcl" or is_terraform(source.root))):
        # (A Terraform policy document no role uses is no role: it has no exposure.)
        exposure = role_exposure(
            normalized.engine_input, ctx, lambda ref: _where_ref(source, policy, normalized, ref),
            lambda ref: source.path_text(_source_path(policy, normalized, ref)), [v for v, _ in violations],
            policy.resource, replaced=(source.name, policy.resource) in state.replaced)
        state.exposures.append(exposure)
    if state.results is not None and source.name in state.expose_files:
        key = (source.name, policy.resource, normalized.kind)
        state.results[key] = None if key in state.results else (normalized.engine_input, violations, exposure)
    _join_graph(state, source, policy, normalized, ctx)
    return violations


def _join_graph(state: _Scan, source: SourceFile, policy: PolicySource, normalized: NormalizedDocument,
                ctx: MessageContext) -> None:
    """The document's identity and grants, for IAMG-501's pairs across the scan."""
    if policy.identity is not None and ASSUME_RULE not in state.config.disabled_rules:
        state.graph.add(policy.identity, policy.resource, source.name, normalized,
                        lambda ref: _deferred_location(source, policy, normalized, ref), ctx.text, ctx.statement)


def _same_as_now(state: _Scan, source: SourceFile, policy: PolicySource,
                 normalized: NormalizedDocument) -> list[tuple[Violation, str]] | None:
    """A plan's previous version of a document that the current version holds unchanged (the
    same engine input): its findings are the current ones, so they need no evaluation. None
    when it changed, or when this is not the previous version's scan."""
    if state.reuse is None:
        return None
    found = state.reuse.get((source.name, policy.resource, normalized.kind))
    if found is None or found[0] != normalized.engine_input:
        return None
    _, violations, exposure = found
    if exposure is not None and state.exposures is not None:
        state.exposures.append(exposure)
    _join_graph(state, source, policy, normalized, _context(policy, normalized))
    return violations


ASSUME_RULE = "IAMG-501"


def _judged_pairs(state: _Scan) -> Iterator[tuple[RuleInfo, Any, Any, list[Mapping[str, Any]]]]:
    """IAMG-501's findings on every (caller, role) pair of the whole scan; a pair the rule could
    not evaluate is an error of the role's file."""
    from .engine import EngineError

    rule = next((r for r in state.policies.rules if r.rule_id == ASSUME_RULE), None)
    if rule is None or ASSUME_RULE in state.config.disabled_rules:
        return
    memo = PairMemo()  # pairs of one shape, under other names, are evaluated once per scan
    pairs = iter(state.graph.pairs())
    while batch := list(itertools.islice(pairs, _BATCH)):
        outcomes = state.evaluate_all([document for _, _, document in batch], rule.package, memo)
        for (caller, target, _), outcome in zip(batch, outcomes):
            if isinstance(outcome, EngineError):
                state.errors.append(ScanError(target.file, f"{target.resource}: rule could not be evaluated: {outcome}",
                                              rule.rule_id))
                continue
            yield rule, caller, target, outcome


def _callers_without_permission(state: _Scan) -> dict[tuple[str, str], tuple[str, ...]]:
    """Per role (`role_key`), the callers its trust names that IAMG-501 finds without permission."""
    out: dict[tuple[str, str], dict[str, None]] = {}
    for _, caller, target, findings in _judged_pairs(state):
        if any((f.get("facts") or {}).get("direction") == "untrusted_permission" for f in findings):
            out.setdefault(target.key, {})[caller.identity.arn] = None
    return {key: tuple(arns) for key, arns in out.items()}


def _assume_pairs(state: _Scan) -> None:
    """IAMG-501: every (caller, role) pair of the whole scan, judged by the rule."""
    found: dict[Violation, None] = {}
    for rule, caller, target, findings in _judged_pairs(state):
        severity = state.config.severity_overrides.get(rule.rule_id, rule.severity)
        for finding in findings:
            violation = state.graph.violation(rule, severity, caller, target, finding)
            if violation is not None:
                found.setdefault(violation)
    for violation in found:
        reason = state.suppressions.get(violation.file, {}).get(violation.resource, {}).get(violation.rule_id)
        if reason is None:
            state.violations.append(violation)
        else:
            state.suppressed.append(dataclasses.replace(violation, suppression=reason))


def _source_path(policy: PolicySource, normalized: NormalizedDocument, ref: str) -> tuple[Any, ...]:
    node = normalized.nodes.get(ref)
    path = node.path if node else policy.base
    return policy.source_path(path) if policy.source_path is not None else path


def _locate(source: SourceFile, policy: PolicySource, normalized: NormalizedDocument, ref: str) -> Location:
    return _location_at(source, _source_path(policy, normalized, ref))


def _unplaced(source: SourceFile, path: tuple[Any, ...],
              unplaced: dict[tuple[str, str], Callable[[], tuple[int | None, int | None]]]) -> Location:
    """A location without line and column, which `unplaced` finds when asked (`place`)."""
    file = source.where(path)[0] if source.format == "terraform-hcl" else source.name
    text = source.path_text(path)
    unplaced.setdefault((file, text), lambda: source.where(path)[1:])
    return Location(file=file, path=text)


def place(violation: Violation, unplaced: Mapping[tuple[str, str], Callable[[], tuple[int | None, int | None]]]) -> Violation:
    """A violation of the previous version's scan with its line and column."""
    found = unplaced.get((violation.file, violation.path))
    if found is None or violation.line is not None:
        return violation
    line, column = found()
    return dataclasses.replace(violation, location=dataclasses.replace(violation.location, line=line, column=column))


def _location_at(source: SourceFile, path: tuple[Any, ...]) -> Location:
    file, line, column = source.where(path)
    return Location(file=file, line=line, column=column, path=source.path_text(path))


def _deferred_location(source: SourceFile, policy: PolicySource, normalized: NormalizedDocument,
                       ref: str) -> Callable[[], Location]:
    """The node's location, found only when asked: the path is taken now, so the normalized
    document need not stay in memory for the rest of the scan."""
    path = _source_path(policy, normalized, ref)
    return lambda: _location_at(source, path)


def _violation(
    config: Config,
    rule: RuleInfo,
    finding: Mapping[str, Any],
    source: SourceFile,
    policy: PolicySource,
    normalized: NormalizedDocument,
    ctx: MessageContext,
    unplaced: dict[tuple[str, str], Callable[[], tuple[int | None, int | None]]] | None = None,
) -> Violation:
    ref = str(finding.get("ref", ""))
    facts = finding.get("facts") or {}
    severity = rule.severity
    if isinstance(facts.get("severity"), str):
        severity = Severity.parse(facts["severity"])
    severity = config.severity_overrides.get(rule.rule_id, severity)
    message = (_custom_message(rule, ctx, policy.resource, ref, facts) if rule.custom
               else compose(rule.rule_id, rule.title, ctx, ref, facts))
    violation = Violation(
        rule_id=rule.rule_id,
        title=rule.title,
        severity=severity,
        message=_redacted(message, policy.secrets),
        resource=policy.resource,
        location=_locate(source, policy, normalized, ref) if unplaced is None
        else _unplaced(source, _source_path(policy, normalized, ref), unplaced),
        remediation=rule.remediation,
        subject=_subject(normalized, ref, facts),
    )
    return violation


# Facts that say where a finding is, not what it is about: a statement's position changes when
# one is added above it, and the finding stays the same.
_PLACE_FACTS = frozenset({"statement", "severity", "index"})


def _subject(normalized: NormalizedDocument, ref: str, facts: Mapping[str, Any]) -> str:
    """What a finding is about, as written: its node's text and the facts it names (the text
    of a node for a ref), without its statement's position (Violation.subject)."""
    nodes = normalized.nodes

    def text(value: Any) -> str:
        if isinstance(value, str):
            node = nodes.get(value)
            return node.text if node is not None else value
        if isinstance(value, (list, tuple)):
            return "[" + ",".join(text(item) for item in value) + "]"
        if isinstance(value, Mapping):
            return "{" + ",".join(f"{k}:{text(v)}" for k, v in sorted(value.items())) + "}"
        return repr(value)

    node = nodes.get(ref)
    own = node.text if node is not None and not ref.startswith("s") else ""
    return subject_of([own] + [f"{k}={text(v)}" for k, v in sorted(facts.items()) if k not in _PLACE_FACTS])


def _custom_message(rule: RuleInfo, ctx: MessageContext, resource: str, ref: str, facts: Mapping[str, Any]) -> str:
    """A custom rule's message template filled from the finding: a fact naming a node (a ref
    such as `p3`) reads as that node's text as written, other facts as they are."""
    fields = {"resource": resource, "ref": ctx.text(ref) or ref, "rule_id": rule.rule_id, "title": rule.title}
    for name, value in facts.items():
        fields[str(name)] = _fact_text(ctx, value)
    return format_message(rule.message, fields)


def _fact_text(ctx: MessageContext, value: Any) -> str:
    if isinstance(value, str):
        if value not in ctx.document.nodes:
            return value
        return ctx.statement(value) if ctx.statement_record(value) else ctx.text(value) or value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(_fact_text(ctx, item) for item in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_fact_text(ctx, v)}" for k, v in value.items())
    return "null" if value is None else str(value)


_JSON_TEXT = re.compile(r"\s*\{")


def _prefixed(prefix: str, text: str) -> str:
    return prefix + text if text else ""


def _note(source: SourceFile, policy: PolicySource, normalized: NormalizedDocument,
          finding: Mapping[str, Any]) -> str:
    """What qualifies one finding: the policy's note, and the parameter defaults that reached
    the finding's own nodes (its ref and the statement, principal or policy its facts name)."""
    notes = [policy.note] if policy.note else []
    if policy.defaults:
        # The finding's node and the principal or policy its facts name; not its whole
        # statement, whose other conditions and principals the finding does not rest on.
        refs = [str(finding.get("ref", ""))] + [str(v) for k, v in (finding.get("facts") or {}).items()
                                                 if k != "statement" and isinstance(v, str) and v in normalized.nodes]
        read: set[str] = set()
        for ref in refs:
            read |= parameters_at(source.root, _source_path(policy, normalized, ref))
        shown = [text for name, text in policy.defaults if name in read]
        if shown:
            notes.append(defaults_note(shown))
    return "; ".join(notes)


def _redacted(message: str, secrets: frozenset[str]) -> str:
    """The message without any secret value, however a rule's facts carried it (an account id
    taken from a NoEcho parameter)."""
    for secret in sorted(secrets, key=len, reverse=True):
        message = message.replace(secret, "(sensitive value)")
    return message


_TERRAFORM_PATHS = ("$.resource_changes[", "$.prior_state.", "$.values.", "$.planned_values.")


def _with_tf_sources(report: Report, index: TfSourceIndex) -> Report:
    """The report with each Terraform violation's `source` set to its resource's .tf block."""
    violations = []
    for violation in report.violations:
        found = index.locate(violation.resource) if violation.path.startswith(_TERRAFORM_PATHS) else None
        if found is not None:
            violation = dataclasses.replace(violation, source=Location(file=found[0], line=found[1]))
        violations.append(violation)
    return dataclasses.replace(report, violations=tuple(violations))


# --- change-aware scans: which file of the previous version is which file now ----------------------

_TERRAFORM_SUFFIXES = (".tf", ".tofu", ".tf.json", ".tofu.json")


def _where_ref(source: SourceFile, policy: PolicySource, normalized: NormalizedDocument,
               ref: str) -> tuple[str, Callable[[], int | None]]:
    """The file of a node now (a module's nodes are in several files), its line when asked."""
    path = _source_path(policy, normalized, ref)
    file = source.where(path)[0] if source.format == "terraform-hcl" else source.name
    return file, lambda: source.where(path)[1]


def _previous_paths(targets: list[PathArg], compare_to: PathArg) -> list[tuple[str, str | None, str]]:
    """`compare_to` is the previous version of the one target, or of the current directory
    when there are several: (target, its previous version or None when absent, that path)."""
    root = os.fspath(compare_to)
    if not os.path.exists(root):
        raise ValueError(f"--compare-to {root}: no such file or directory")
    out = []
    for target in targets:
        name = os.fspath(target)
        if name == STDIN:
            raise ValueError("--compare-to: standard input (-) has no previous version to compare with")
        if len(targets) == 1:
            out.append((name, root, root))
            continue
        relative = os.path.relpath(os.path.abspath(name), os.getcwd())
        if relative == os.pardir or relative.startswith(os.pardir + os.sep):
            raise ValueError(f"--compare-to {root}: with several paths it stands for the current directory, and "
                             f"{name} is outside it")
        previous = os.path.normpath(os.path.join(root, relative))
        out.append((name, previous if os.path.exists(previous) else None, previous))
    return out


def _unit_under(file: str, roots: list[tuple[str, str]]) -> tuple[int, str] | None:
    """The unit of `file` under the first root (absolute path, name) holding it: its path
    relative to the root, a Terraform module's files sharing their directory's unit."""
    full = os.path.abspath(file)
    for i, (root, _) in enumerate(roots):
        if full == root:
            relative = "."
        elif full.startswith(root.rstrip(os.sep) + os.sep):
            relative = os.path.relpath(full, root)
        else:
            continue
        if relative.endswith(_TERRAFORM_SUFFIXES):
            relative = os.path.join(os.path.dirname(relative), "*.tf")
        return (i, Path(relative).as_posix())
    return None


def _rename(file: str, renames: list[tuple[str, str]]) -> str:
    """A file of the previous version under the name reports give it (`REF:path` for git)."""
    full = os.path.abspath(file)
    for root, display in renames:
        if full == root:
            return display
        if full.startswith(root.rstrip(os.sep) + os.sep):
            rest = Path(os.path.relpath(full, root)).as_posix()
            return display + rest if display.endswith((":", "/")) else f"{display}/{rest}"
    return file


def _renamed(report: Report, renames: list[tuple[str, str]]) -> Report:
    if not renames:
        return report

    def moved(v: Violation) -> Violation:
        return dataclasses.replace(v, location=dataclasses.replace(v.location, file=_rename(v.file, renames)))

    return dataclasses.replace(report, violations=tuple(moved(v) for v in report.violations),
                               suppressed=tuple(moved(v) for v in report.suppressed),
                               errors=tuple(dataclasses.replace(e, file=_rename(e.file, renames)) for e in report.errors))


def _units(roots: list[tuple[str, str]], previous: list[tuple[str, str | None, str]], plans: Mapping[str, bool],
           scanned: Iterable[str], errors: Iterable[ScanError]) -> Any:
    """The key space both versions share (changes.Units): a compared target's files by path,
    a plan by its name. `plans`: plan name -> it starts from an empty state."""
    from .changes import Units

    before_roots = [(os.path.abspath(display), display) for _, _, display in previous]

    def after(file: str) -> Any:
        unit = _unit_under(file, roots)
        return unit if unit is not None else ("plan", file, "") if file in plans else None

    def before(file: str) -> Any:
        unit = _unit_under(file, before_roots)
        return unit if unit is not None else ("plan", file, "") if file in plans else None

    described = {}
    for file in scanned:
        unit = _unit_under(file, roots)
        if unit is not None:
            i, relative = unit
            target, path, display = previous[i]
            rest = Path(os.path.relpath(os.path.abspath(file), os.path.abspath(target))).as_posix()
            was = path if rest == "." or path is None else os.path.join(path, rest)
            name = display if rest == "." else _rename(os.path.join(path or display, rest),
                                                       [(os.path.abspath(path or display), display)])
            described[file] = name if was is not None and os.path.exists(was) else f"nothing: {name} did not exist"
        elif file in plans:
            described[file] = "nothing: the plan starts from an empty state" if plans[file] else "the plan's prior state"
    unreadable = {}
    for error in errors:
        unit = before(error.file)
        if unit is not None:
            unreadable[unit] = error.message
    return Units(after, before, described, unreadable)
