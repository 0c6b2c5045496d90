"""Prove or refute properties of each role's trust policy (`pyiamguard prove`, `scan --prove`).

For one role (a normalized trust document, as `Scanner.inspect` gives it) and one property of
`properties.PROPERTIES`, the solver is asked for an allowed request that breaks the property:

- none exists (unsat): **PROVEN**, for every request the model represents, whatever the values
  the trust leaves unknown (they are free in the model);
- one exists (sat): **REFUTED**, with that request made concrete, the statement that allows it,
  and a replay: the request, substituted into the model's formulas, must be allowed, and it
  must be allowed whatever the values known only at deployment (every unknown true, every
  unknown false). A request that needs a particular unknown value is no counterexample: the
  answer is then UNKNOWN, never REFUTED on a guess;
- the solver gives up within the time budget: **UNKNOWN**, never proven.

The caller's own permission (needed across accounts) is its account's free choice, except for
the roles of the scan that IAMG-501 finds trusted but without permission (`prove_paths`): IAM
denies them, so the model does, and a proof says it relied on it.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from .properties import CHECKED, DEFAULT, PROPERTIES, Setting
from .requests import ConcreteRequest

PROVEN, REFUTED, UNKNOWN = "PROVEN", "REFUTED", "UNKNOWN"
DEFAULT_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class Answer:
    """One property of one role: its verdict, the time it took and, when refuted, a request
    that gets in and the statement that lets it."""

    property: str
    verdict: str
    seconds: float
    says: str
    request: ConcreteRequest | None = None
    statement: Mapping[str, Any] | None = None  # {ref, label, file, line}
    reason: str = ""
    variant: str = ""  # the template variant it answers for, when a role has several (Fn::If)

    def words(self) -> str:
        when = f" when {self.variant}" if self.variant else ""
        if self.verdict == PROVEN:
            return f"PROVEN{when}: {self.says}"
        if self.verdict == UNKNOWN:
            return f"UNKNOWN{when}: {self.reason}"
        assert self.request is not None
        where = ""
        if self.statement:
            where = f" by {self.statement['label']} ({self.statement['file']}:{self.statement['line']})"
        return f"REFUTED{when}: {self.request.words()}: ALLOW{where}"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"property": self.property, "verdict": self.verdict, "seconds": round(self.seconds, 3),
                               "says": self.says}
        if self.request is not None:
            out["request"] = self.request.to_dict()
            out["statement"] = dict(self.statement) if self.statement else None
        if self.reason:
            out["reason"] = self.reason
        if self.variant:
            out["variant"] = self.variant
        return out


@dataclass(frozen=True)
class RoleProof:
    resource: str
    file: str
    line: int | None
    answers: tuple[Answer, ...]
    unknowns: tuple[str, ...] = ()
    # Roles of the scan the trust names whose own policies never allow them to assume it
    # (IAMG-501): left out of every request, as IAM would deny them.
    callers_without_permission: tuple[str, ...] = ()
    variant: str = ""  # which of a template's variants (Fn::If on parameters), when it has several

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"resource": self.resource, "file": self.file, "line": self.line}
        if self.variant:
            out["variant"] = self.variant
        return {**out, "answers": [a.to_dict() for a in self.answers], "unknown_parts": list(self.unknowns),
                "callers_without_permission": list(self.callers_without_permission)}


def prove_document(document: Any, config: Any, names: Sequence[str] = DEFAULT,
                   timeout_ms: int = DEFAULT_TIMEOUT_MS, table: Mapping[str, Any] = PROPERTIES,
                   callers_without_permission: Sequence[str] = ()) -> RoleProof:
    """Every property of `names` (from `table`) for one inspected trust document. The callers
    of `callers_without_permission` (ARNs of roles and users whose own policies never allow
    the call, as `Inspection.callers_denied` gives them) are denied, as IAM denies them; every
    other caller's own permission is its account's free choice."""
    from .model import RoleModel

    identity = getattr(document, "identity", None)
    role_arn = identity.arn if identity is not None and identity.kind == "role" else None
    # A template's or module's own account, unknown, stands in as a token: it is the role's own.
    context_accounts = list(document.input.get("context", {}).get("own_accounts", ()))
    # Unknown from the document: the configuration's one own account stands in (the catalogue's
    # "own account").
    own = role_arn.split(":")[4] if role_arn and role_arn.count(":") >= 5 else (
        context_accounts[0] if len(context_accounts) == 1 else
        config.own_accounts[0] if len(config.own_accounts) == 1 else None)
    model = RoleModel(document.input, document.refs, role_arn=role_arn if own else None, own_account=own,
                      callers_without_permission=callers_without_permission)
    setting = Setting.of(config, context_accounts, own)
    anchor = _anchor(document)
    answers = tuple(_answer(model, setting, table[name], timeout_ms, document.refs) for name in names)
    return RoleProof(document.resource, anchor[0], anchor[1], answers, tuple(model.unknowns),
                     model.callers_without_permission, getattr(document, "variant", "") or "")


def _anchor(document: Any) -> tuple[str, int | None]:
    role = document.input.get("role") or {}
    statements = document.input.get("statements") or ()
    ref = role.get("ref") or (statements[0].get("ref") if statements else "")
    node = document.refs.get(ref) if ref else None
    return (str(node["file"]), node.get("line")) if node else (document.file, None)


def _answer(model: Any, setting: Setting, prop: Any, timeout_ms: int, refs: Mapping[str, Mapping[str, Any]]) -> Answer:
    import z3

    name = prop.name
    started = time.perf_counter()
    breaches = [prop.breach(model, dataclasses.replace(setting, encoding=e), z3) for e in ("neq", "regex")]
    solver, result = _decide(model, breaches, timeout_ms)
    seconds = time.perf_counter() - started  # the decision; making the request readable is not counted
    if result == z3.unsat:
        given = []
        if model.unknowns:
            given.append("whatever the values known only at deployment")
        if model.callers_without_permission:
            given.append("given that " + _listed(model.callers_without_permission) + " of the scan may not assume it "
                         "by " + ("its" if len(model.callers_without_permission) == 1 else "their") + " own policies")
        return Answer(name, PROVEN, seconds, prop.says + (f" ({'; '.join(given)})" if given else ""))
    if result != z3.sat:
        why = solver.reason_unknown() if solver is not None else "timeout"
        return Answer(name, UNKNOWN, seconds, prop.says, reason=f"the solver gave up ({why}) within {timeout_ms / 1000:g} s")
    first = solver.model()
    found = tidy_model(solver, model, min(timeout_ms, 1000)) or first
    request = model.concrete(found)
    choices = model.unknown_choices(found)
    decided = [model.decide(request, choices)]
    if choices:
        decided += [model.decide(request, {k: True for k in choices}), model.decide(request, {k: False for k in choices})]
    if any(decision != "ALLOW" for decision, _ in decided):
        if choices:
            return Answer(name, UNKNOWN, seconds, prop.says, reason="a request gets in only for some of the values "
                                                                     "known only at deployment: "
                                                                     + "; ".join(model.unknowns))
        return Answer(name, UNKNOWN, seconds, prop.says,
                      reason="internal: the solver's request does not replay as allowed; please report it")
    return Answer(name, REFUTED, seconds, prop.says, request, statement_at(decided[0][1], model, refs))


# Values people read easily, kept where the request still gets in with them.
_TIDY = (("path", "/"), ("name", "someone"), ("session", "session"), ("partition", "aws"),
         ("account", "999988887777"))


def tidy_model(solver: Any, model: Any, timeout_ms: int) -> Any:
    """A model of the same query with plain names where they do not matter (`role/someone`, not
    `role/-+-`), or None: a few sets of preferences, from all to fewest, each tried briefly."""
    import z3

    v = model.var
    plain = z3.Concat(z3.Range("a", "z"), z3.Star(z3.Union(z3.Range("a", "z"), z3.Range("0", "9"), z3.Re("-"))))
    exact = {name: v(name) == z3.StringVal(value) for name, value in _TIDY}
    short = z3.And(z3.InRe(v("name"), plain), z3.Length(v("name")) <= 16, z3.InRe(v("session"), plain),
                   z3.Length(v("session")) <= 16)
    external = []
    if "sts:externalid" in model.named_keys:
        external = [z3.Implies(model.present("sts:externalid"), model.value("sts:externalid") == z3.StringVal("any-value"))]
    anywhere = [e for name, e in exact.items() if name != "account"]  # an account the trust names
    tries = [list(exact.values()) + external + [model.ascii_only()],
             list(exact.values()) + [model.ascii_only()],
             anywhere + external + [model.ascii_only()],
             anywhere + [model.ascii_only()],
             [exact["path"], exact["partition"], exact["account"], short, model.ascii_only()],
             # The name is the trust's (a named role): a plain session alone, which the string
             # solver finds at once where a pattern over the fixed name leaves it guessing.
             [exact["path"], exact["session"], model.ascii_only()],
             [exact["path"], short, model.ascii_only()],
             [short],
             [exact["account"]]]
    solver.set("timeout", max(100, timeout_ms // len(tries)))
    for wishes in tries:
        solver.push()
        solver.add(*wishes)
        result = solver.check()
        found = solver.model() if result == z3.sat else None
        solver.pop()
        if found is not None:
            return found
    return None


def _decide(model: Any, breaches: Sequence[Any], timeout_ms: int) -> tuple[Any, Any]:
    """Is there an allowed request that breaks the property? The question is split by the
    caller's partition and then by its scope (finite choices the model already restricts it
    to), which the string solver decides far faster than the whole disjunction at once, and
    each part is asked in the property's equivalent encodings (`breaches`) in turn: sat in one
    part is an answer, unsat in every part a proof, anything else unknown."""
    import z3

    from .model import PARTITIONS, SCOPES

    deadline = time.perf_counter() + timeout_ms / 1000
    # The caller's partition is the role's (well-formedness): when that is known, the others
    # hold no request and need no question.
    partitions = (model.role_partition,) if model.role_partition in PARTITIONS else PARTITIONS
    pending = [[model.var("partition") == z3.StringVal(p)] for p in partitions]
    last: Any = None
    undecided = False
    while pending:
        case = pending.pop(0)
        if deadline <= time.perf_counter():
            return last, z3.unknown
        result = z3.unknown
        for breach in breaches:
            left = int((deadline - time.perf_counter()) * 1000)
            if left <= 0:
                break
            solver = model.solver(max(1, min(left, max(300, timeout_ms // 8))))
            solver.add(model.wellformed(), model.allowed, breach, *case)  # keys the property asked for have their rules
            result = solver.check()
            last = solver
            if result != z3.unknown:
                break
        if result == z3.sat:
            return last, result
        if result != z3.unsat:
            if len(case) == 1:  # split this partition by the caller's scope
                pending = [case + [model.var("scope") == z3.StringVal(scope)] for scope in SCOPES] + pending
            else:
                undecided = True
    return last, (z3.unknown if undecided else z3.unsat)


def statement_at(ref: str | None, model: Any, refs: Mapping[str, Mapping[str, Any]]) -> Mapping[str, Any] | None:
    if not ref:
        return None
    statement = next((s for s in model.document.get("statements", ()) if s.get("ref") == ref), None)
    node = refs.get(ref, {})
    label = f"Statement {statement['index'] + 1}" if statement and "index" in statement else "a statement"
    return {"ref": ref, "label": label, "file": node.get("file", ""), "line": node.get("line")}


def _listed(arns: Sequence[str]) -> str:
    return ", ".join(arns[:-1]) + " and " + arns[-1] if len(arns) > 1 else arns[0]


def prove_paths(paths: Iterable[str], config: Any, names: Sequence[str] = DEFAULT,
                timeout_ms: int = DEFAULT_TIMEOUT_MS, resource: str | None = None,
                trust_only: bool = False, jobs: int = 1) -> tuple[list[RoleProof], list[str]]:
    """The proofs of every role of the files, and the files' errors (one line each). The
    callers of the scan that IAMG-501 finds without permission are denied, unless
    `trust_only` (the trust policy alone: every caller's own permission is a free choice).
    `jobs` processes share the roles when there are enough of them."""
    from ..scanner import Scanner

    found = Scanner(config).inspect(list(paths), callers=not trust_only)
    errors = [e.one_line() for e in found.errors]
    tasks = [RoleTask(document, tuple(names), found.callers_denied(document))
             for document in found.documents  # a template's variants (Fn::If) are each proven
             if document.input.get("kind") == "trust" and (resource is None or document.resource == resource)]
    return prove_tasks(tasks, config, timeout_ms, jobs), errors


# The property tables a task may name (a worker process gets the name, not the functions).
TABLES: Mapping[str, Mapping[str, Any]] = {"properties": PROPERTIES, "checked": CHECKED}
MIN_PARALLEL_ROLES = 8  # fewer roles than this are proven here: a worker's start-up costs more


@dataclass(frozen=True)
class RoleTask:
    """One role to prove: its inspected trust document, the properties (of `TABLES[table]`) and
    the callers of the scan without permission to assume it."""

    document: Any
    names: tuple[str, ...]
    callers_without_permission: tuple[str, ...] = ()
    table: str = "properties"


def prove_tasks(tasks: Sequence[RoleTask], config: Any, timeout_ms: int = DEFAULT_TIMEOUT_MS,
                jobs: int = 1) -> list[RoleProof]:
    """The proof of each task, in order: on `jobs` processes when there are enough roles (each
    solver is single-threaded), else here. A pool that cannot start (a sandbox without
    processes) proves them here."""
    if jobs > 1 and len(tasks) >= MIN_PARALLEL_ROLES:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        workers = min(jobs, len(tasks))
        try:
            # spawn: a fresh interpreter per worker, nothing of the parent's z3 context inherited.
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
                chunk = max(1, len(tasks) // (workers * 4))
                return list(pool.map(_prove_task, tasks, [config] * len(tasks), [timeout_ms] * len(tasks),
                                     chunksize=chunk))
        except (OSError, PermissionError, BrokenProcessPool):
            pass
    return [_prove_task(task, config, timeout_ms) for task in tasks]


def _prove_task(task: RoleTask, config: Any, timeout_ms: int) -> RoleProof:
    return prove_document(task.document, config, task.names, timeout_ms, TABLES[task.table],
                          task.callers_without_permission)
