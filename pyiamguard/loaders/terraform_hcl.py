"""Terraform sources (`.tf`) read without a plan: a module evaluated statically into the plan
that `terraform plan` would show, then read by the plan loader.

A directory is one module: its `.tf` files together, `variable` defaults (or the caller's
inputs), `locals`, `count` and `for_each` over known collections, `dynamic` blocks, and `module`
calls whose source is a local directory. What only `terraform apply` knows (ARNs, ids, names a
prefix generates), a variable without a value, a registry or git module's outputs and a function
not evaluated here are unknown, exactly as they are in a plan: the plan loader then reports
IAMG-001 where one decides a rule. `aws_iam_policy_document` data sources are rendered as the
provider renders them (statement blocks, `source_policy_documents`, `override_policy_documents`);
`data.aws_caller_identity` is the module's own account (the configured one when there is exactly
one, else a 12-digit stand-in that messages call "this module's own account").

The synthetic plan is never written: its SourceFile locates every path at the file, line and
column where the value was written (inside a heredoc or a `file()` JSON too), so findings,
suppressions and reports work as for other inputs. `# pyiamguard:ignore IAMG-103 reason` in a
`resource`/`data` block (or on the lines right above it) suppresses a rule for that resource.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from lark import Token, Tree

from ..normalize.values import Unresolved, mentions, unused_account_token
from .hcl_eval import (At, EmbeddedJson, Evaluator, Lazy, Mark, Marks, OpenObject, Unknown, Val, _children, _tokens,
                       first_unknown, has_unknown, parse_error, shifted, sub_marks, unescape)
from .hcl_types import convert, type_spec
from .iam import PolicySource
from .source import InputError, SourceFile, TreePath
from .terraform import terraform_sources

HCL_SUFFIXES = (".tf", ".tofu")
JSON_SUFFIXES = (".tf.json", ".tofu.json")
MAX_TF_FILE_BYTES = 4 * 1024 * 1024
MAX_INSTANCES = 10_000
MAX_MODULE_DEPTH = 20

# Resource types the plan loader reads; others are not evaluated (nothing reads them).
MANAGED_TYPES = frozenset({
    "aws_iam_role", "aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy",
    "aws_iam_role_policy_attachment", "aws_iam_policy_attachment", "aws_iam_role_policy_attachments_exclusive",
    "aws_iam_user", "aws_iam_openid_connect_provider",
})
# Computed attributes Terraform knows only after apply for a new resource.
_COMPUTED = ("arn", "id", "unique_id", "create_date")
_SUPPRESS = re.compile(r"(?:#|//)\s*pyiamguard:ignore\s+(\S+)\s*(.*)$")
_RULE_ID = re.compile(r"IAMG-\d{3}")


@dataclass(frozen=True)
class TfFile:
    """One parsed `.tf` file."""

    path: Path
    display: str
    text: str
    tree: Tree
    # A file in Terraform's JSON syntax is read as the native text it stands for: each line of
    # that text -> (line, column) in the JSON file.
    line_map: Mapping[int, tuple[int, int]] | None = None

    def at(self, line: int, column: int) -> At:
        if self.line_map is not None:
            line, column = self.line_map.get(line, (line, column))
        return At(self.display, line, column)


@dataclass(frozen=True)
class Block:
    type: str
    labels: tuple[str, ...]
    body: Tree
    file: TfFile
    at: At
    end_line: int


def parse_tf_file(path: Path, display: str) -> TfFile:
    """Read and parse one `.tf` file; an InputError names the line of a syntax error."""
    from hcl2.api import parses_to_tree

    try:
        size = path.stat().st_size
        if size > MAX_TF_FILE_BYTES:
            raise InputError(f"file is {size / 2**20:.1f} MiB, over the {MAX_TF_FILE_BYTES // 2**20} MiB limit for .tf files")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}") from None
    from .source import decode_bytes

    text = decode_bytes(data)
    if not text.endswith("\n"):
        text += "\n"  # the grammar needs the last line ended
    try:
        tree = parses_to_tree(text)
    except RecursionError:
        raise InputError("invalid HCL: nested too deeply") from None
    except Exception as exc:  # noqa: BLE001 - lark raises several error types
        raise parse_error(display, exc) from None
    return TfFile(path, display, text, tree)


# Nested block types of the resources pyiamguard reads: in Terraform's JSON syntax, which a
# schema decides, these keys hold blocks; every other key is an argument.
_JSON_BLOCK_TYPES = frozenset({"statement", "principals", "not_principals", "condition", "inline_policy",
                               "dynamic", "content", "lifecycle", "provisioner", "connection"})


def parse_tf_json_file(path: Path, display: str) -> TfFile:
    """A file in Terraform's JSON syntax (`main.tf.json`, what CDK for Terraform writes), read as
    the native text it stands for: strings are templates as in the native syntax, variable
    defaults are literals, and every line of that text is located in the JSON file."""
    import json

    from hcl2.api import parses_to_tree

    from .json_source import json_marks
    from .source import decode_bytes

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_TF_FILE_BYTES:
        raise InputError(f"file is over the {MAX_TF_FILE_BYTES // 2**20} MiB limit for Terraform files")
    text = decode_bytes(data)
    try:
        root = json.loads(text)
    except ValueError as exc:
        raise InputError(f"invalid JSON: {exc}") from None
    if not isinstance(root, dict):
        raise InputError("a Terraform JSON file holds an object at its top")
    writer = _NativeWriter(json_marks(text))
    writer.module(root)
    native = "\n".join(writer.lines) + "\n"
    try:
        tree = parses_to_tree(native)
    except Exception as exc:  # noqa: BLE001 - lark raises several error types
        raise InputError(f"cannot read this Terraform JSON ({str(parse_error(display, exc))})") from None
    return TfFile(path, display, native, tree, writer.line_map)


class _NativeWriter:
    """Writes the native-syntax text a Terraform JSON document stands for, one argument a line,
    remembering where in the JSON each line comes from."""

    def __init__(self, marks: Mapping[TreePath, tuple[int, int]]) -> None:
        self.marks = marks
        self.lines: list[str] = []
        self.line_map: dict[int, tuple[int, int]] = {}

    def emit(self, text: str, path: TreePath) -> None:
        self.lines.append(text)
        probe = tuple(path)
        while probe and probe not in self.marks:
            probe = probe[:-1]
        self.line_map[len(self.lines)] = self.marks.get(probe, (1, 1))

    def module(self, root: dict[str, Any]) -> None:
        for kind, value in root.items():
            if kind in ("resource", "data") and isinstance(value, dict):
                for type_, named in value.items():
                    for name, bodies in (named.items() if isinstance(named, dict) else ()):
                        for i, body in self._each(bodies, (kind, type_, name)):
                            self.block(f"{kind} {_quoted(type_)} {_quoted(name)}", body, i)
            elif kind in ("variable", "output", "module") and isinstance(value, dict):
                for name, bodies in value.items():
                    for i, body in self._each(bodies, (kind, name)):
                        self.block(f"{kind} {_quoted(name)}", body, i, literal_default=kind == "variable")
            elif kind == "locals":
                for i, body in self._each(value, (kind,)):
                    self.block("locals", body, i)
            # terraform, provider, moved, import, check: nothing pyiamguard reads

    @staticmethod
    def _each(bodies: Any, path: TreePath) -> list[tuple[TreePath, dict[str, Any]]]:
        if isinstance(bodies, list):
            return [(path + (i,), b) for i, b in enumerate(bodies) if isinstance(b, dict)]
        return [(path, bodies)] if isinstance(bodies, dict) else []

    def block(self, header: str, body: dict[str, Any], path: TreePath, literal_default: bool = False) -> None:
        self.emit(header + " {", path)
        for key, value in body.items():
            if key == "//":
                continue  # a comment
            here = path + (key,)
            if key == "dynamic" and isinstance(value, dict):
                for label, bodies in value.items():
                    for i, inner in self._each(bodies, here + (label,)):
                        self.block(f"dynamic {_quoted(label)}", inner, i)
            elif key in _JSON_BLOCK_TYPES and (isinstance(value, dict) or
                                               (isinstance(value, list) and all(isinstance(v, dict) for v in value))):
                for i, inner in self._each(value, here):
                    self.block(key, inner, i)
            elif literal_default and key == "type" and isinstance(value, str):
                self.emit(f"{key} = {value}", here)  # a type expression, not a string
            elif literal_default and key == "default":
                self.emit(f"{key} = {_native(value, literal=True)}", here)
            elif key == "depends_on":
                continue
            else:
                self.emit(f"{key} = {_native(value)}", here)
        self.emit("}", path)


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _native(value: Any, literal: bool = False) -> str:
    """A JSON value as a native expression: strings are templates (`${...}` stays an
    interpolation), unless `literal` (a variable's default), where `${` is escaped."""
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        return text.replace("${", "$${").replace("%{", "%%{") if literal else text
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_native(v, literal) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_quoted(str(k))} = {_native(v, literal)}" for k, v in value.items()) + "}"
    return "null"


def _blocks(body: Tree, file: TfFile) -> tuple[dict[str, Tree], list[Block]]:
    attributes: dict[str, Tree] = {}
    blocks: list[Block] = []
    for item in _children(body):
        if item.data == "attribute":
            name_tree = _children(item)[0]
            attributes[str(name_tree.children[0])] = item
        elif item.data == "block":
            parts = _children(item)
            kind = str(parts[0].children[0])
            labels = tuple(_label(p) for p in parts[1:] if p.data in ("identifier", "string", "keyword", "literal_value"))
            inner = next(p for p in parts if p.data == "body")
            meta = item.meta
            blocks.append(Block(kind, labels, inner, file, file.at(meta.line, meta.column),
                                file.at(getattr(meta, "end_line", meta.line), 1).line))
    return attributes, blocks


def _label(tree: Tree) -> str:
    if tree.data == "string":
        return "".join(unescape(str(p.children[0])) for p in tree.children
                       if isinstance(p, Tree) and p.data == "string_part" and isinstance(p.children[0], Token))
    return str(tree.children[0])


def _expression(attribute: Tree) -> Tree:
    return _children(attribute)[-1]


class ResourceObject(OpenObject):
    """A resource instance's attributes: one not configured is known only after apply."""


@dataclass
class Instance:
    """One instance of a resource or data block, evaluated."""

    block: Block
    address: str  # full address, module path and instance key included
    config_address: str  # module path without keys + TYPE.NAME (the configuration's address)
    key: Any
    value: dict[str, Any]
    marks: Marks
    module: "Module"


@dataclass
class Scan:
    """What a module scan shares: stand-in own account, file cache, notes and errors."""

    own_account: str
    account_known: bool
    errors: list[tuple[str, str]] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)
    parsed: dict[Path, TfFile | None] = field(default_factory=dict)
    instances: list[Instance] = field(default_factory=list)
    suppressions: dict[str, dict[str, str]] = field(default_factory=dict)
    stand_in_used: bool = False
    # The root module's variable values from terraform.tfvars and *.auto.tfvars, which
    # Terraform reads by itself (later files win).
    tfvars: dict[str, Val] = field(default_factory=dict)
    # Modules `terraform init` installed: module key ("a.b") -> (directory, display).
    installed: dict[str, tuple[Path, str]] = field(default_factory=dict)
    # Path in the synthetic plan -> why the value there is unknown (for IAMG-001 messages).
    unknowns: dict[TreePath, Unknown] = field(default_factory=dict)

    def files_of(self, directory: Path, display: str) -> list[TfFile]:
        out = []
        try:
            names = sorted(os.listdir(directory))
        except OSError as exc:
            self.errors.append((display, f"cannot read directory: {exc.strerror or exc}"))
            return []
        for name in names:
            path = directory / name
            if not name.lower().endswith(HCL_SUFFIXES + JSON_SUFFIXES) or not path.is_file():
                continue
            stem = name[:-len(".json")] if name.lower().endswith(JSON_SUFFIXES) else name
            if stem.rsplit(".", 1)[0] == "override" or stem.rsplit(".", 1)[0].endswith("_override"):
                # Override files merge into other blocks; not merged here, so what they change
                # is not checked: an error, never a clean result.
                if path not in self.parsed:
                    self.parsed[path] = None
                    self.errors.append((os.path.join(display, name) if display else name,
                                        "a Terraform override file, which pyiamguard does not merge: the blocks it "
                                        "overrides were scanned without it; scan the plan instead"))
                continue
            if path not in self.parsed:
                shown = os.path.join(display, name) if display else name
                try:
                    parse = parse_tf_json_file if name.lower().endswith(JSON_SUFFIXES) else parse_tf_file
                    self.parsed[path] = parse(path, shown)
                except InputError as exc:
                    self.parsed[path] = None
                    self.errors.append((shown, str(exc)))
            parsed = self.parsed[path]
            if parsed is not None:
                out.append(parsed)
        return out


class Module:
    """One module instance: its blocks, inputs and what its expressions can read."""

    def __init__(self, scan: Scan, directory: Path, display: str, prefix: str, config_prefix: str,
                 inputs: dict[str, Val] | None, depth: int = 0, key_path: str = "") -> None:
        self.scan = scan
        self.key_path = key_path  # "a.b": the module's key in .terraform/modules/modules.json
        self.directory = directory
        self.display = display
        self.prefix = prefix  # "module.a["x"]." for instances, "" at the root
        self.config_prefix = config_prefix  # "module.a." without instance keys
        self.inputs = inputs
        self.depth = depth
        self.variables: dict[str, Block] = {}
        self.locals: dict[str, tuple[Tree, TfFile]] = {}
        self.resources: dict[tuple[str, str, str], Block] = {}  # (mode, type, name)
        self.calls: dict[str, Block] = {}
        self.outputs: dict[str, tuple[Tree, TfFile]] = {}
        self.providers: dict[str, Block] = {}
        self._local_cache: dict[str, Val] = {}
        self._resource_cache: dict[tuple[str, str, str], Val] = {}
        self._call_cache: dict[str, Val] = {}
        self._busy: set[Any] = set()
        self.children: dict[str, list[tuple[Any, Module]]] = {}
        for file in scan.files_of(directory, display):
            _, blocks = _blocks(_children(file.tree)[0], file)
            for block in blocks:
                self._declare(block)

    def _declare(self, block: Block) -> None:
        if block.type == "variable" and block.labels:
            if self._unique(block, "variable", block.labels[0], block.labels[0] in self.variables):
                self.variables[block.labels[0]] = block
        elif block.type == "locals":
            attributes, _ = _blocks(block.body, block.file)
            for name, attribute in attributes.items():
                if self._unique(block, "local value", name, name in self.locals):
                    self.locals[name] = (_expression(attribute), block.file)
        elif block.type in ("resource", "data") and len(block.labels) == 2:
            mode = "managed" if block.type == "resource" else "data"
            key = (mode, block.labels[0], block.labels[1])
            shown = f"{'data.' if mode == 'data' else ''}{block.labels[0]}.{block.labels[1]}"
            if self._unique(block, "resource", shown, key in self.resources):
                self.resources[key] = block
        elif block.type == "module" and block.labels:
            if self._unique(block, "module call", block.labels[0], block.labels[0] in self.calls):
                self.calls[block.labels[0]] = block
        elif block.type == "output" and block.labels:
            attributes, _ = _blocks(block.body, block.file)
            if "value" in attributes:
                self.outputs[block.labels[0]] = (_expression(attributes["value"]), block.file)

    def _unique(self, block: Block, what: str, name: str, taken: bool) -> bool:
        """A second declaration of one name: Terraform rejects the module (the first is kept,
        so the scan still reports what it can)."""
        if taken:
            _error_once(self.scan, block.file.display, f"{what} {name} is declared twice in this module (line "
                        f"{block.at.line}); Terraform rejects this configuration")
        return not taken

    # --- scope -------------------------------------------------------------------------------
    def evaluator(self, file: TfFile, bound: dict[str, Val] | None = None) -> Evaluator:
        bound = bound or {}

        def scope(name: str) -> Val | Lazy | None:
            if name in bound:
                return bound[name]
            return self.lookup(name)

        return Evaluator(file.display, file.text, scope, self.directory, self.display, file.line_map)

    def lookup(self, name: str) -> Val | Lazy | None:
        if name == "var":
            return Lazy(self.variables, self.variable, "var")
        if name == "local":
            return Lazy(self.locals, self.local, "local")
        if name == "data":
            types = sorted({t for (m, t, _) in self.resources if m == "data"})
            return Lazy(types, lambda t: _TypeLazy(self, "data", t), "data")  # type: ignore[arg-type,return-value]
        if name == "module":
            return Lazy(self.calls, self.module_value, "module")
        if name == "path":
            return Val({"module": self.display or ".", "root": ".", "cwd": "."}, {})
        if name == "terraform":
            return Val({"workspace": "default"}, {})
        if any(m == "managed" and t == name for (m, t, _) in self.resources):
            return _TypeLazy(self, "managed", name)
        return None

    def variable(self, name: str) -> Val:
        """The variable's value (the caller's, the tfvars', else the default), converted to its
        declared type as Terraform converts it: `optional()` defaults, numbers as strings..."""
        block = self.variables[name]
        attributes, _ = _blocks(block.body, block.file)
        # Defaults (of the variable and of optional() attributes) are constants: evaluated
        # without the module's scope.
        constants = Evaluator(block.file.display, block.file.text, lambda n: None, self.directory, self.display,
                              block.file.line_map)
        if self.inputs is not None and name in self.inputs:
            value = self.inputs[name]
        elif self.inputs is None and name in self.scan.tfvars:
            value = self.scan.tfvars[name]
        elif "default" in attributes:
            value = constants.eval(_expression(attributes["default"]))
        else:
            why = "the variable has no default and no value is given" if self.inputs is None else \
                "the module call gives no value and the variable has no default"
            return Val(Unknown(f"var.{name}", why), {(): block.at})
        spec = type_spec(_expression(attributes["type"]) if "type" in attributes else None)
        converted = convert(spec, value.value, lambda tree: constants.eval(tree).value)
        return value if converted is value.value else Val(converted, value.marks)

    def local(self, name: str) -> Val:
        if name in self._local_cache:
            return self._local_cache[name]
        key = ("local", name)
        if key in self._busy:
            return Val(Unknown(f"local.{name}", "refers to itself"), {})
        self._busy.add(key)
        try:
            tree, file = self.locals[name]
            value = self.evaluator(file).eval(tree)
        finally:
            self._busy.discard(key)
        self._local_cache[name] = value
        return value

    def module_value(self, name: str) -> Val:
        if name in self._call_cache:
            return self._call_cache[name]
        block = self.calls[name]
        instances = self.child_modules(name)
        if instances is None:
            value = Val(_OpenObject(f"module.{name}", "the module's source is not a local directory, so its outputs are unknown"),
                        {(): block.at})
        else:
            keyed = _keyed(self, block)
            outputs = {}
            for key, child in instances:
                outputs[key] = Val(_OutputObject(child), {})
            if keyed is None:
                value = next(iter(outputs.values()), Val({}, {}))
            elif isinstance(keyed, Unknown):
                value = Val(Unknown(f"module.{name}", keyed.why), {(): block.at})
            elif isinstance(keyed, list):
                value = Val([outputs[k].value for k in keyed], {})
            else:
                value = Val({k: outputs[k].value for k in keyed}, {})
        self._call_cache[name] = value
        return value

    def child_modules(self, name: str) -> list[tuple[Any, "Module"]] | None:
        """The instances of a module call whose source is a local directory, else None."""
        if name in self.children:
            return self.children[name]
        block = self.calls[name]
        attributes, _ = _blocks(block.body, block.file)
        source = attributes.get("source")
        source_value = self.evaluator(block.file).eval(_expression(source)).value if source is not None else None
        key_path = f"{self.key_path}.{name}" if self.key_path else name
        installed = self.scan.installed.get(key_path)
        if isinstance(source_value, str) and source_value.startswith(("./", "../")):
            directory = (self.directory / source_value).resolve()
            display = os.path.normpath(os.path.join(self.display, source_value)) if self.display else os.path.normpath(source_value)
        elif installed is not None:
            # A registry or git module that `terraform init` installed under .terraform/modules.
            directory, display = installed
        else:
            self.scan.notes.append((block.file.display, f"module.{name} (line {block.at.line}): source "
                                    f"{source_value!r} is not a local directory and `terraform init` has not installed it "
                                    "(.terraform/modules), so its resources are not scanned and its outputs are unknown"))
            self.children[name] = []
            return None
        if not directory.is_dir() or self.depth >= MAX_MODULE_DEPTH:
            self.scan.errors.append((block.file.display, f"module.{name} (line {block.at.line}): source {source_value} "
                                     + ("is not a directory" if not directory.is_dir() else "nests modules too deeply")))
            self.children[name] = []
            return None
        keyed = _keyed(self, block)
        self.children[name] = []
        if isinstance(keyed, Unknown):
            keys: list[Any] = [Unknown(f"module.{name}", keyed.why)]
        elif keyed is None:
            keys = [None]
        else:
            keys = list(keyed)
        for key in keys[:MAX_INSTANCES]:
            bound = _each_binding(block, keyed, key)
            evaluator = self.evaluator(block.file, bound)
            inputs = {n: evaluator.eval(_expression(a)) for n, a in attributes.items()
                      if n not in ("source", "version", "count", "for_each", "providers", "depends_on")}
            suffix = _key_suffix(key)
            child = Module(self.scan, directory, display, f"{self.prefix}module.{name}{suffix}.",
                           f"{self.config_prefix}module.{name}.", inputs, self.depth + 1, key_path)
            self.children[name].append((key, child))
        return self.children[name]

    # --- resources ---------------------------------------------------------------------------
    def instances_of(self, mode: str, type_: str, name: str) -> Val:
        """The value `TYPE.NAME` (or `data.TYPE.NAME`) reads: one object, a list or a map."""
        key = (mode, type_, name)
        if key in self._resource_cache:
            return self._resource_cache[key]
        if key in self._busy:
            return Val(Unknown(f"{type_}.{name}", "refers to itself"), {})
        self._busy.add(key)
        try:
            value = self._evaluate_resource(key)
        finally:
            self._busy.discard(key)
        self._resource_cache[key] = value
        return value

    def _evaluate_resource(self, key: tuple[str, str, str]) -> Val:
        mode, type_, name = key
        block = self.resources[key]
        keyed = _keyed(self, block)
        base = f"{'data.' if mode == 'data' else ''}{type_}.{name}"
        if isinstance(keyed, Unknown):
            keys: list[Any] = [Unknown(base, keyed.why)]
        elif keyed is None:
            keys = [None]
        else:
            keys = list(keyed)[:MAX_INSTANCES]
        values: dict[Any, Val] = {}
        problems = _schema_problems(mode, type_, block)
        for problem in problems:
            _error_once(self.scan, block.file.display, f"{self.prefix}{base}: {problem}; Terraform rejects this configuration")
        for instance_key in keys:
            bound = _each_binding(block, keyed, instance_key)
            evaluator = self.evaluator(block.file, bound)
            body = _body_value(evaluator, block.body, block.file, self, bound)
            obj = ResourceObject(body.value)
            obj.address = f"{self.prefix}{base}{_key_suffix(instance_key)}"
            marks = _anchored(dict(body.marks), block) if mode == "managed" else dict(body.marks)
            marks[()] = block.at
            if mode == "data":
                _data_attributes(self, type_, obj, marks, block)
            instance = Instance(block, obj.address, f"{self.config_prefix}{base}", instance_key, obj, marks, self)
            if ((mode == "managed" and type_ in MANAGED_TYPES) or (mode == "data" and type_ == "aws_iam_policy_document")) \
                    and not any(p.startswith("the required argument") for p in problems):
                self.scan.instances.append(instance)
            values[instance_key] = Val(obj, marks)
        if keyed is None or isinstance(keyed, Unknown):
            only = values[keys[0]]
            return only if keyed is None else Val(Unknown(base, keyed.why), {(): block.at})
        if isinstance(keyed, list):
            out_marks: Marks = {(): block.at}
            for i, k in enumerate(keys):
                out_marks.update(shifted(values[k].marks, (i,)))
            return Val([values[k].value for k in keys], out_marks)
        out_marks = {(): block.at}
        for k in keys:
            out_marks.update(shifted(values[k].marks, (k,)))
        return Val({k: values[k].value for k in keys}, out_marks)

    def evaluate_all(self) -> None:
        """Every IAM resource of this module and of the local modules it calls."""
        for (mode, type_, name) in list(self.resources):
            if (mode == "managed" and type_ in MANAGED_TYPES) or (mode == "data" and type_ == "aws_iam_policy_document"):
                self.instances_of(mode, type_, name)
        for name in self.calls:
            for _, child in self.child_modules(name) or []:
                child.evaluate_all()


# Arguments Terraform requires, and what an aws_iam_policy_document accepts: a configuration
# that breaks them does not plan, so it is an error, never a clean result.
_REQUIRED = {
    "aws_iam_role": ("assume_role_policy",),
    "aws_iam_policy": ("policy",),
    "aws_iam_role_policy": ("policy", "role"),
    "aws_iam_user_policy": ("policy", "user"),
    "aws_iam_group_policy": ("policy", "group"),
    "aws_iam_role_policy_attachment": ("role", "policy_arn"),
    "aws_iam_policy_attachment": ("name", "policy_arn"),
}
_META = {"count", "for_each", "depends_on", "provider", "lifecycle"}
_DOCUMENT_SCHEMA: dict[str, set[str]] = {
    "": {"version", "policy_id", "source_policy_documents", "override_policy_documents", "source_json",
         "override_json", "statement"} | _META,
    "statement": {"sid", "effect", "actions", "not_actions", "resources", "not_resources", "principals",
                  "not_principals", "condition"},
    "principals": {"type", "identifiers"},
    "not_principals": {"type", "identifiers"},
    "condition": {"test", "variable", "values"},
}
_PLURAL = {"action": "actions", "resource": "resources", "principal": "principals", "value": "values",
           "identifier": "identifiers", "conditions": "condition", "statements": "statement"}


def _schema_problems(mode: str, type_: str, block: Block) -> list[str]:
    attributes, blocks = _blocks(block.body, block.file)
    problems = []
    if mode == "managed":
        for name in _REQUIRED.get(type_, ()):
            if name not in attributes:
                problems.append(f"the required argument {name} is missing (line {block.at.line})")
    elif type_ == "aws_iam_policy_document":
        problems.extend(_unexpected(block.body, block.file, ""))
    return problems


def _unexpected(body: Tree, file: TfFile, kind: str) -> list[str]:
    allowed = _DOCUMENT_SCHEMA.get(kind)
    if allowed is None:
        return []
    attributes, blocks = _blocks(body, file)
    out = []
    where = f"{kind} block" if kind else "the data source"
    for name, attribute in attributes.items():
        if name not in allowed:
            hint = f" (did you mean {_PLURAL[name]}?)" if _PLURAL.get(name) in allowed else ""
            out.append(f"{where} has no argument {name}{hint} (line {file.at(attribute.meta.line, 1).line})")
    for nested in blocks:
        if nested.type == "dynamic":
            label = nested.labels[0] if nested.labels else ""
            if label not in allowed:
                out.append(f"{where} has no block {label} (line {nested.at.line})")
            continue
        if nested.type not in allowed:
            out.append(f"{where} has no block {nested.type} (line {nested.at.line})")
        else:
            out.extend(_unexpected(nested.body, file, nested.type))
    return out


class _TypeLazy(Lazy):
    def __init__(self, module: Module, mode: str, type_: str) -> None:
        names = [n for (m, t, n) in module.resources if m == mode and t == type_]
        super().__init__(names, lambda n: module.instances_of(mode, type_, n), f"{type_}")


class _OpenObject(ResourceObject):
    """An object of which every attribute is unknown (a remote module's outputs)."""

    def __init__(self, address: str, why: str) -> None:
        super().__init__()
        self.address = address
        self.why = why


class _OutputObject(ResourceObject):
    """A local module instance's outputs, evaluated when read."""

    def __init__(self, module: Module) -> None:
        super().__init__()
        self.module = module
        self.address = module.prefix.rstrip(".")
        for name in module.outputs:
            tree, file = module.outputs[name]
            self[name] = module.evaluator(file).eval(tree).value


# Attributes through which a policy reaches a role: a finding on the role's permissions points
# there (the rule catalogue's Amendments, "Locations"), not at a variable default or local that
# many roles may share.
_REACHING = ("policy_arn", "policy_arns", "managed_policy_arns", "permissions_boundary")


def _anchored(marks: Marks, block: Block) -> Marks:
    attributes, _ = _blocks(block.body, block.file)
    for name in _REACHING:
        if name not in attributes:
            continue
        own = block.file.at(attributes[name].meta.line, attributes[name].meta.column)
        for path, mark in list(marks.items()):
            if path[:1] == (name,) and not (isinstance(mark, At) and mark.file == block.file.display
                                            and block.at.line <= mark.line <= block.end_line):
                marks[path] = own
        marks[(name,)] = own if not isinstance(marks.get((name,)), At) else marks[(name,)]
    return marks


class _ForEach(dict):  # type: ignore[type-arg]
    """A for_each collection by key, with where each value was written (`each.value` keeps it)."""

    def __init__(self, items: Any, marks: dict[Any, Marks]) -> None:
        super().__init__(items)
        self.marks = marks


def _keyed(module: Module, block: Block) -> list[Any] | dict[str, Any] | Unknown | None:
    """count (a list of indexes), for_each (a map of key -> value), or None."""
    attributes, _ = _blocks(block.body, block.file)
    evaluator = module.evaluator(block.file)
    if "count" in attributes:
        value = evaluator.eval(_expression(attributes["count"])).value
        if isinstance(value, Unknown):
            return Unknown(value.what, f"count is unknown ({value.why})")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            return Unknown("count", "count is not a whole number")
        return list(range(min(int(value), MAX_INSTANCES)))
    if "for_each" in attributes:
        collection = evaluator.eval(_expression(attributes["for_each"]))
        value = collection.value
        if isinstance(value, Unknown) or (isinstance(value, list) and has_unknown(value)):
            unknown = first_unknown(value)
            return Unknown(unknown.what if unknown else "for_each", f"for_each is unknown ({unknown.why if unknown else ''})")
        if isinstance(value, dict):
            if any(isinstance(k, Unknown) for k in value):
                return Unknown("for_each", "for_each keys are unknown")
            return _ForEach(sorted(value.items()), marks={k: sub_marks(collection.marks, k) for k in value})
        if isinstance(value, list):
            if not all(isinstance(v, str) for v in value):
                return Unknown("for_each", "for_each needs a map or a set of strings")
            return _ForEach({v: v for v in sorted(set(value))},
                            marks={v: sub_marks(collection.marks, i) for i, v in reversed(list(enumerate(value)))})
        return Unknown("for_each", "for_each needs a map or a set of strings")
    return None


def _each_binding(block: Block, keyed: Any, key: Any) -> dict[str, Val]:
    if keyed is None:
        return {}
    if isinstance(keyed, Unknown) or isinstance(key, Unknown):
        why = keyed.why if isinstance(keyed, Unknown) else "unknown"
        unknown = Val(Unknown("each", why), {})
        return {"count": Val({"index": Unknown("count.index", why)}, {}),
                "each": Val({"key": Unknown("each.key", why), "value": Unknown("each.value", why)}, {}),
                "_unknown": unknown}
    if isinstance(keyed, list):
        return {"count": Val({"index": key}, {})}
    marks = shifted(keyed.marks.get(key, {}), ("value",)) if isinstance(keyed, _ForEach) else {}
    return {"each": Val({"key": key, "value": keyed[key]}, marks)}


def _key_suffix(key: Any) -> str:
    if key is None:
        return ""
    if isinstance(key, Unknown):
        return '["(unknown)"]'
    if isinstance(key, int):
        return f"[{key}]"
    return '["' + str(key).replace("\\", "\\\\").replace('"', '\\"') + '"]'


def _body_value(evaluator: Evaluator, body: Tree, file: TfFile, module: Module, bound: dict[str, Val]) -> Val:
    """A block body as an object: attributes evaluated, nested blocks (and `dynamic` blocks
    expanded) as lists of objects, in source order."""
    value: dict[str, Any] = {}
    marks: Marks = {}
    for item in _children(body):
        if item.data == "attribute":
            name = str(_children(item)[0].children[0])
            if name in ("count", "for_each", "depends_on", "lifecycle", "provider"):
                if name == "provider":
                    value["__provider__"] = evaluator.source_text(_expression(item))
                continue
            result = evaluator.eval(_expression(item))
            value[name] = result.value
            marks.update(shifted(result.marks, (name,)))
            marks.setdefault((name,), evaluator.at(item))
        elif item.data == "block":
            parts = _children(item)
            kind = str(parts[0].children[0])
            labels = [_label(p) for p in parts[1:] if p.data in ("identifier", "string", "keyword", "literal_value")]
            inner = next(p for p in parts if p.data == "body")
            at = file.at(item.meta.line, item.meta.column)
            if kind in ("lifecycle", "provisioner", "connection"):
                continue
            if kind == "dynamic" and labels:
                _dynamic(evaluator, inner, file, module, bound, labels[0], value, marks, at)
                continue
            nested = _body_value(evaluator, inner, file, module, bound)
            entries = value.setdefault(kind, [])
            if isinstance(entries, list):
                marks.update(shifted(nested.marks, (kind, len(entries))))
                marks[(kind, len(entries))] = at
                entries.append(nested.value)
    return Val(value, marks)


def _dynamic(evaluator: Evaluator, body: Tree, file: TfFile, module: Module, bound: dict[str, Val], kind: str,
             value: dict[str, Any], marks: Marks, at: At) -> None:
    attributes, blocks = _blocks(body, file)
    content = next((b for b in blocks if b.type == "content"), None)
    if "for_each" not in attributes or content is None:
        return
    collection = evaluator.eval(_expression(attributes["for_each"]))
    iterator = kind
    if "iterator" in attributes:
        iterator = evaluator.source_text(_expression(attributes["iterator"]))
    entries = value.setdefault(kind, [])
    if not isinstance(entries, list):
        return
    items = collection.value
    if isinstance(items, Unknown) or (not isinstance(items, (list, dict))):
        why = items.why if isinstance(items, Unknown) else "for_each needs a collection"
        value[kind] = Unknown(f"dynamic {kind}", f"its for_each is unknown ({why})")
        marks[(kind,)] = at
        return
    pairs = sorted(items.items()) if isinstance(items, dict) else list(enumerate(items))
    for k, item in pairs:
        inner_bound = dict(bound)
        inner_bound[iterator] = Val({"key": k, "value": item}, shifted(sub_marks(collection.marks, k), ("value",)))
        inner = module.evaluator(file, inner_bound)
        nested = _body_value(inner, content.body, file, module, inner_bound)
        marks.update(shifted(nested.marks, (kind, len(entries))))
        marks[(kind, len(entries))] = at
        entries.append(nested.value)


# --- data sources -------------------------------------------------------------------------------

def _data_attributes(module: Module, type_: str, obj: ResourceObject, marks: Marks, block: Block) -> None:
    if type_ == "aws_caller_identity":
        obj["account_id"] = module.scan.own_account
        obj["id"] = module.scan.own_account
        module.scan.stand_in_used = True
    elif type_ == "aws_partition":
        obj.update({"partition": "aws", "dns_suffix": "amazonaws.com", "reverse_dns_prefix": "com.amazonaws", "id": "aws"})
    elif type_ == "aws_iam_policy_document":
        rendered = render_policy_document(obj, marks)
        obj["json"] = rendered.value
        obj["minified_json"] = rendered.value
        marks[("json",)] = rendered.marks.get((), block.at)
        marks.update(shifted({p: m for p, m in rendered.marks.items() if p}, ("json",)))
        marks.update(shifted({p: m for p, m in rendered.marks.items() if p}, ("minified_json",)))


def _one_or_list(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 else values


def render_policy_document(config: dict[str, Any], marks: Marks) -> Val:
    """The `json` the provider renders for an aws_iam_policy_document, with marks: unknown when
    any value it holds is (as in a plan, where the data source is then read at apply)."""
    document: dict[str, Any] = {"Version": config.get("version") or "2012-10-17"}
    out_marks: Marks = {}
    if config.get("policy_id"):
        document["Id"] = config["policy_id"]
    statements: list[dict[str, Any]] = []
    statement_marks: list[Marks] = []
    blocks = config.get("statement")
    if isinstance(blocks, Unknown):
        return Val(Unknown(blocks.what, blocks.why), {})
    for i, block in enumerate(blocks if isinstance(blocks, list) else []):
        rendered, rendered_marks = _render_statement(block, sub_marks(sub_marks(marks, "statement"), i))
        statements.append(rendered)
        statement_marks.append(rendered_marks)
    merged: list[tuple[dict[str, Any], Marks]] = []
    for key in ("source_policy_documents", "source_json"):
        sources = config.get(key)
        if key == "source_json" and sources is not None and not isinstance(sources, (list, Unknown)):
            sources = [sources]
        if sources is not None:
            if has_unknown(sources):
                return Val(first_unknown(sources), {})
            for j, text in enumerate(sources if isinstance(sources, list) else []):
                parsed = _parse_document(text)
                if parsed is None:
                    return Val(Unknown(f"{key}[{j}]", "not a policy document"), {})
                for n, statement in enumerate(parsed):
                    merged.append((statement, _merged_marks(marks, key, j, text, n)))
    for statement, smarks in zip(statements, statement_marks):
        _merge_by_sid(merged, statement, smarks)
    overrides = config.get("override_policy_documents")
    if config.get("override_json") is not None:
        extra = config["override_json"]
        overrides = [extra] if overrides is None else (overrides + [extra] if isinstance(overrides, list) else overrides)
    if overrides is not None:
        if has_unknown(overrides):
            return Val(first_unknown(overrides), {})
        for j, text in enumerate(overrides if isinstance(overrides, list) else []):
            parsed = _parse_document(text)
            if parsed is None:
                return Val(Unknown(f"override_policy_documents[{j}]", "not a policy document"), {})
            for n, statement in enumerate(parsed):
                _merge_by_sid(merged, statement, _merged_marks(marks, "override_policy_documents", j, text, n))
    document["Statement"] = [s for s, _ in merged]
    for i, (_, smarks) in enumerate(merged):
        out_marks.update(shifted(smarks, ("Statement", i)))
    if has_unknown(document):
        unknown = first_unknown(document)
        return Val(Unknown(unknown.what if unknown else "json", unknown.why if unknown else "unknown"), {})
    text = _render_json(document)
    out_marks[()] = marks.get((), At("", 1, 1))
    return Val(text, out_marks)


def _merged_marks(marks: Marks, key: str, j: int, text: str, n: int) -> Marks:
    """Where statement `n` of the `j`th document of `key` (a source or override document) was
    written: inside the jsonencode, heredoc, file or data source that gave the text, else at
    the argument."""
    spot = marks.get((key, j), marks.get((key,), marks.get((), At("", 1, 1))))
    text_marks = sub_marks(sub_marks(marks, key), j)
    listed = isinstance(_statements_of(text), list)
    if isinstance(text_marks.get(()), EmbeddedJson):
        embedded = text_marks[()]
        assert isinstance(embedded, EmbeddedJson)
        prefix: TreePath = ("Statement", n) if listed else ("Statement",)
        inner = {p[len(prefix):]: lc for p, lc in embedded.marks.items() if p[:len(prefix)] == prefix}
        return {(): EmbeddedJson(embedded.file, inner)} if inner else {(): spot}
    statement_marks = sub_marks(text_marks, "Statement")
    if listed:
        statement_marks = sub_marks(statement_marks, n)
    out = {p: m for p, m in statement_marks.items() if p}
    out[()] = statement_marks.get((), spot) if isinstance(statement_marks.get(()), At) else spot
    return out


def _statements_of(text: Any) -> Any:
    import json

    try:
        parsed = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None
    return parsed.get("Statement") if isinstance(parsed, dict) else None


def _render_json(document: dict[str, Any]) -> str:
    import json

    return json.dumps(document, indent=2, ensure_ascii=False)


def _parse_document(text: Any) -> list[dict[str, Any]] | None:
    import json

    if not isinstance(text, str):
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        return None
    if not isinstance(parsed, dict):
        return None
    statements = parsed.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    return [s for s in statements if isinstance(s, dict)]


def _merge_by_sid(merged: list[tuple[dict[str, Any], Marks]], statement: dict[str, Any], marks: Marks) -> None:
    sid = statement.get("Sid")
    if isinstance(sid, str) and sid:
        for i, (existing, _) in enumerate(merged):
            if existing.get("Sid") == sid:
                merged[i] = (statement, marks)
                return
    merged.append((statement, marks))


def _policy_values(value: Any) -> Any:
    """`&{aws:username}` in HCL is `${aws:username}` in the rendered policy."""
    if isinstance(value, str):
        return value.replace("&{", "${")
    if isinstance(value, list):
        return [_policy_values(v) for v in value]
    return value


def _render_statement(block: Any, marks: Marks) -> tuple[dict[str, Any], Marks]:
    out: dict[str, Any] = {}
    out_marks: Marks = {(): marks.get((), At("", 1, 1))}
    if not isinstance(block, dict):
        return {"Effect": "Allow"}, out_marks
    if block.get("sid"):
        out["Sid"] = block["sid"]
    out["Effect"] = block.get("effect") or "Allow"
    if "effect" in block:
        out_marks[("Effect",)] = marks.get(("effect",), out_marks[()])
    for key, element in (("actions", "Action"), ("not_actions", "NotAction"),
                         ("resources", "Resource"), ("not_resources", "NotResource")):
        value = block.get(key)
        if value is None or value == []:
            continue
        if isinstance(value, Unknown):
            out[element] = value
            continue
        items = _policy_values(list(value)) if isinstance(value, list) else [_policy_values(value)]
        out[element] = _one_or_list(items)
        out_marks[(element,)] = marks.get((key,), out_marks[()])
        for j in range(len(items)):
            out_marks[(element, j)] = marks.get((key, j), out_marks[(element,)])
    for key, element in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
        entries = block.get(key)
        if not entries:
            continue
        if isinstance(entries, Unknown):
            out[element] = entries
            continue
        mapping: dict[str, list[Any]] = {}
        positions: dict[str, list[Mark]] = {}
        star = False
        for j, entry in enumerate(entries):
            if not isinstance(entry, dict):
                continue
            kind = entry.get("type")
            identifiers = entry.get("identifiers")
            if isinstance(kind, Unknown) or isinstance(identifiers, Unknown):
                out[element] = kind if isinstance(kind, Unknown) else identifiers
                break
            ids = list(identifiers) if isinstance(identifiers, list) else [identifiers]
            if kind == "*" and ids == ["*"]:
                star = True
            mapping.setdefault("AWS" if kind == "*" else str(kind), []).extend(ids)
            for n in range(len(ids)):
                positions.setdefault("AWS" if kind == "*" else str(kind), []).append(
                    marks.get((key, j, "identifiers", n), marks.get((key, j), out_marks[()])))
            out_marks.setdefault((element,), marks.get((key, j), out_marks[()]))
        else:
            if star and list(mapping) == ["AWS"] and mapping["AWS"] == ["*"]:
                out[element] = "*"
            else:
                out[element] = {k: _one_or_list(v) for k, v in mapping.items()}
                for k, spots in positions.items():
                    out_marks[(element, k)] = spots[0]
                    for n, spot in enumerate(spots):
                        out_marks[(element, k, n)] = spot
    conditions: dict[str, dict[str, Any]] = {}
    condition_blocks = block.get("condition")
    if isinstance(condition_blocks, Unknown):
        out["Condition"] = condition_blocks
    elif isinstance(condition_blocks, list) and condition_blocks:
        for j, entry in enumerate(condition_blocks):
            if not isinstance(entry, dict):
                continue
            test, variable, values = entry.get("test"), entry.get("variable"), entry.get("values")
            if isinstance(test, Unknown) or isinstance(variable, Unknown):
                out["Condition"] = test if isinstance(test, Unknown) else variable
                break
            items = list(values) if isinstance(values, list) else [values]
            existing = conditions.setdefault(str(test), {})
            previous = existing.get(str(variable))
            merged_values = (previous if isinstance(previous, list) else [previous] if previous is not None else []) + items
            existing[str(variable)] = merged_values
            at = marks.get(("condition", j), out_marks[()])
            out_marks.setdefault(("Condition",), at)
            out_marks[("Condition", str(test))] = at
            out_marks[("Condition", str(test), str(variable))] = at
            for n in range(len(items)):
                out_marks[("Condition", str(test), str(variable), n)] = marks.get(("condition", j, "values", n), at)
        else:
            out["Condition"] = {t: {v: _one_or_list(_policy_values(vals)) for v, vals in body.items()}
                                for t, body in conditions.items()}
    return out, out_marks


# --- the synthetic plan ---------------------------------------------------------------------------

def _unknown_paths(value: Any, path: TreePath) -> Iterator[tuple[TreePath, Unknown]]:
    if isinstance(value, Unknown):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _unknown_paths(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _unknown_paths(item, path + (index,))


def _strip_unknown(value: Any) -> tuple[Any, Any]:
    """(after, after_unknown) of a value with Unknowns in it."""
    if isinstance(value, Unknown):
        return None, True
    if isinstance(value, dict):
        after: dict[str, Any] = {}
        unknown: dict[str, Any] = {}
        for k, v in value.items():
            if k == "__provider__":
                continue
            a, u = _strip_unknown(v)
            after[k] = a
            if u is not False and u != {} and u != []:
                unknown[k] = u
        return after, unknown
    if isinstance(value, list):
        pairs = [_strip_unknown(v) for v in value]
        return [a for a, _ in pairs], [u if u is not False else False for _, u in pairs] if any(
            u is not False and u != {} and u != [] for _, u in pairs) else []
    return value, False


def _body_references(body: Tree, file: TfFile) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in _children(body):
        if item.data == "attribute":
            name = str(_children(item)[0].children[0])
            refs = _traversals(_expression(item), file)
            out[name] = {"references": refs} if refs else {"constant_value": None}
        elif item.data == "block":
            parts = _children(item)
            kind = str(parts[0].children[0])
            inner = next(p for p in parts if p.data == "body")
            if kind == "dynamic":
                labels = [_label(p) for p in parts[1:] if p.data in ("identifier", "string")]
                attributes, blocks = _blocks(inner, file)
                content = next((b for b in blocks if b.type == "content"), None)
                if labels and content is not None:
                    out.setdefault(labels[0], []).append(_body_references(content.body, file))
                continue
            out.setdefault(kind, []).append(_body_references(inner, file))
    return out


_TRAVERSALS = frozenset({"get_attr_expr_term", "index_expr_term", "identifier", "attr_splat_expr_term",
                         "full_splat_expr_term"})


def _traversals(tree: Tree, file: TfFile) -> list[str]:
    """Reference strings of an expression, as Terraform lists them: `aws_iam_role.r.name`,
    `aws_iam_role.r`, `data.x.y`, `var.v`, `module.m.out`, `module.m`."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if not isinstance(node, Tree):
            return
        if node.data in _TRAVERSALS:
            steps = _steps(node, file)
            if steps:
                # `data.TYPE.NAME` and `module.NAME.OUTPUT` are three steps, the rest two.
                width = 3 if steps[0] in ("data", "module") else 2
                if len(steps) >= (2 if steps[0] == "module" else width):
                    plain = [s for s in steps if not s.startswith("[")]
                    for text in (_join_steps(steps), _join_steps(steps[:width]), _join_steps(plain[:width])):
                        if text not in found:
                            found.append(text)
                # Index expressions inside the traversal refer to things too.
                for index in node.find_data("braces_index"):
                    for child in index.children:
                        walk(child)
                return
        for child in node.children:
            walk(child)

    walk(tree)
    return found


def _steps(node: Tree, file: TfFile) -> list[str] | None:
    if node.data == "identifier":
        return [str(node.children[0])]
    if node.data == "expr_term":
        inner = _children(node)
        return _steps(inner[0], file) if len(inner) == 1 and not _tokens(node) else None
    if node.data == "get_attr_expr_term":
        base_tree, attr = _children(node)
        base = _steps(base_tree, file)
        return None if base is None else base + [str(_children(attr)[0].children[0])]
    if node.data == "index_expr_term":
        base_tree, index = _children(node)
        base = _steps(base_tree, file)
        if base is None:
            return None
        if index.data == "short_index":
            return base + [f"[{_tokens(index)[-1]}]"]
        key_tree = _children(index)[0]
        literal = _literal(key_tree)
        return base + ([literal] if literal is not None else [])
    if node.data in ("attr_splat_expr_term", "full_splat_expr_term"):
        base = _steps(_children(node)[0], file)
        return base
    return None


def _literal(tree: Tree) -> str | None:
    inner = _children(tree)
    if tree.data == "expr_term" and len(inner) == 1:
        node = inner[0]
        if node.data == "int_lit":
            return f"[{node.children[0]}]"
        if node.data == "string" and all(isinstance(p, Tree) and isinstance(p.children[0], Token)
                                         and p.children[0].type == "STRING_CHARS" for p in node.children if isinstance(p, Tree)):
            text = "".join(unescape(str(p.children[0])) for p in node.children if isinstance(p, Tree))
            return '["' + text.replace("\\", "\\\\").replace('"', '\\"') + '"]'
    return None


def _join_steps(steps: list[str]) -> str:
    out = ""
    for step in steps:
        out += step if step.startswith("[") else (("." if out else "") + step)
    return out


def build_plan(root: Module) -> tuple[dict[str, Any], dict[TreePath, Mark]]:
    """The plan `terraform plan` would show for the module's IAM resources, and where each
    path of it was written."""
    root.evaluate_all()
    positions: dict[TreePath, Mark] = {}
    changes: list[dict[str, Any]] = []
    prior: list[dict[str, Any]] = []  # child modules' resources too: the loader reads them by address
    config_modules: dict[str, dict[str, Any]] = {}
    seen: set[str] = set()
    for instance in root.scan.instances:
        if instance.address in seen:
            continue
        seen.add(instance.address)
        block = instance.block
        mode = "data" if block.type == "data" else "managed"
        type_, name = block.labels
        value = dict(instance.value)
        provider = value.pop("__provider__", None)
        after, unknown = _strip_unknown(value)
        if not isinstance(unknown, dict):
            unknown = {}
        if mode == "managed":
            for attribute in _COMPUTED:
                if after.get(attribute) is None:
                    after[attribute] = None
                    unknown[attribute] = True
            if type_ in ("aws_iam_role", "aws_iam_policy", "aws_iam_user") and "name" not in value:
                unknown["name"] = True
        module_address = instance.module.prefix.rstrip(".")
        entry: dict[str, Any] = {"address": instance.address, "mode": mode, "type": type_, "name": name}
        if module_address:
            entry["module_address"] = module_address
        if instance.key is not None:
            entry["index"] = instance.key if not isinstance(instance.key, Unknown) else "(unknown)"
        if mode == "data" and not unknown.get("json"):
            holder: TreePath = ("prior_state", "values", "root_module", "resources", len(prior))
            prior.append(dict(entry, values=after))
            base: TreePath = holder + ("values",)
        else:
            entry["change"] = {"actions": ["read"] if mode == "data" else ["create"], "before": None,
                               "after": after, "after_unknown": unknown}
            holder = ("resource_changes", len(changes))
            base = holder + ("change", "after")
            changes.append(entry)
        positions[holder] = block.at
        for relative, mark in instance.marks.items():
            positions[base + relative] = mark
        for relative, unknown_value in _unknown_paths(value, ()):
            root.scan.unknowns[base + relative] = unknown_value
        config = config_modules.setdefault(instance.module.config_prefix, {"resources": [], "addresses": set()})
        config_address = f"{'data.' if mode == 'data' else ''}{type_}.{name}"
        if config_address not in config["addresses"]:
            config["addresses"].add(config_address)
            config["resources"].append({
                "address": config_address, "mode": mode, "type": type_, "name": name,
                "provider_config_key": provider if isinstance(provider, str) else "aws",
                "expressions": _body_references(block.body, block.file)})
    if root.scan.stand_in_used:
        prior.append({"address": "data.aws_caller_identity.pyiamguard_own_account", "mode": "data",
                      "type": "aws_caller_identity", "name": "pyiamguard_own_account",
                      "values": {"account_id": root.scan.own_account}})
    plan: dict[str, Any] = {
        "format_version": "1.2",
        "resource_changes": changes,
        "configuration": {"root_module": _config_tree(config_modules)},
    }
    if prior:
        plan["prior_state"] = {"format_version": "1.0", "values": {"root_module": {"resources": prior}}}
    return plan, positions


def _config_tree(modules: dict[str, dict[str, Any]]) -> dict[str, Any]:
    root: dict[str, Any] = {"resources": [], "module_calls": {}}
    for prefix, module in sorted(modules.items()):
        node = root
        for name in [p for p in prefix.split(".") if p][1::2]:
            call = node["module_calls"].setdefault(name, {"module": {"resources": [], "module_calls": {}}})
            node = call["module"]
        node["resources"].extend(module["resources"])
    return root


def _locator(positions: dict[TreePath, Mark], default_file: str) -> Callable[[TreePath], tuple[str, int, int] | None]:
    def where(path: TreePath) -> tuple[str, int, int] | None:
        probe = tuple(path)
        while True:
            mark = positions.get(probe)
            if isinstance(mark, At):
                return mark.file, mark.line, mark.column
            if isinstance(mark, EmbeddedJson):
                rest = tuple(path[len(probe):])
                while True:
                    hit = mark.marks.get(rest)
                    if hit is not None:
                        return mark.file, hit[0], hit[1]
                    if not rest:
                        break
                    rest = rest[:-1]
            if not probe:
                return None
            probe = probe[:-1]

    return where


def module_source(directory: Path, display: str, own_accounts: tuple[str, ...]) -> tuple[SourceFile, Scan]:
    """The synthetic plan of the module in `directory` as a SourceFile, and the scan's errors,
    notes and suppressions."""
    account_known = len(own_accounts) == 1
    scan = Scan(own_account=own_accounts[0] if account_known else "", account_known=account_known)
    scan.tfvars = _tfvars(scan, directory, display)
    scan.installed = _installed_modules(directory, display)
    root = Module(scan, directory, display, "", "", None)  # parses the root module's files
    if not account_known:
        # A stand-in no file of the module writes, so a literal account is never taken for it.
        scan.own_account = unused_account_token("\n".join(f.text for f in scan.parsed.values() if f is not None))
    plan, positions = build_plan(root)
    source = SourceFile(name=display, text="", root=plan, format="terraform-hcl")
    where = _locator(positions, display)
    source._where = where
    source._path_text = _path_text(plan)
    source._written = _written(scan.unknowns, plan)
    scan.suppressions = _suppressions(scan)
    return source, scan


def _path_text(plan: dict[str, Any], dotted: bool = False) -> Callable[[TreePath], str]:
    """A path of the synthetic plan as the user wrote it, a JSONPath as the report promises:
    the resource address, then the attribute and the path inside its value
    (`$['aws_iam_role.r'].assume_role_policy.Statement[0]`). `dotted`: as the plan loader
    names an unresolved value (`aws_iam_role.r.assume_role_policy`)."""
    from ..normalize.values import json_path

    def text(path: TreePath) -> str:
        if path[:1] == ("resource_changes",) and len(path) >= 2:
            address, rest = plan["resource_changes"][path[1]]["address"], path[4:]
        elif path[:1] == ("prior_state",) and len(path) >= 5:
            address, rest = plan["prior_state"]["values"]["root_module"]["resources"][path[4]]["address"], path[6:]
        else:
            return json_path(path)
        return address + json_path(tuple(rest))[1:] if dotted else json_path((address,) + tuple(rest))

    return text


def _installed_modules(directory: Path, display: str) -> dict[str, tuple[Path, str]]:
    """The modules `terraform init` downloaded for the root module in `directory`, from
    .terraform/modules/modules.json (Key: call names joined by dots; Dir: relative to the root)."""
    import json

    manifest = directory / ".terraform" / "modules" / "modules.json"
    try:
        entries = json.loads(manifest.read_text(encoding="utf-8")).get("Modules", [])
    except (OSError, ValueError, AttributeError):
        return {}
    out: dict[str, tuple[Path, str]] = {}
    for entry in entries if isinstance(entries, list) else []:
        key, where = (entry.get("Key"), entry.get("Dir")) if isinstance(entry, dict) else (None, None)
        if isinstance(key, str) and key and isinstance(where, str):
            out[key] = ((directory / where).resolve(), os.path.normpath(os.path.join(display, where)))
    return out


def _tfvars(scan: Scan, directory: Path, display: str) -> dict[str, Val]:
    """Variable values Terraform loads by itself for a root module: terraform.tfvars(.json),
    then *.auto.tfvars(.json) in lexical order, each later file overriding."""
    import json

    from hcl2.api import parses_to_tree

    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return {}
    ordered: list[str] = [n for n in ("terraform.tfvars", "terraform.tfvars.json") if n in names]
    ordered += [n for n in names if n.endswith((".auto.tfvars", ".auto.tfvars.json"))]
    values: dict[str, Val] = {}
    for name in ordered:
        path = directory / name
        shown = os.path.join(display, name) if display else name
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            scan.errors.append((shown, f"cannot read variable values: {exc}"))
            continue
        if name.endswith(".json"):
            try:
                loaded = json.loads(text)
            except ValueError as exc:
                scan.errors.append((shown, f"invalid JSON: {exc}"))
                continue
            if isinstance(loaded, dict):
                values.update({k: Val(v, {(): At(shown, 1, 1)}) for k, v in loaded.items()})
            continue
        try:
            tree = parses_to_tree(text if text.endswith("\n") else text + "\n")
        except Exception as exc:  # noqa: BLE001 - lark raises several error types
            scan.errors.append((shown, str(parse_error(shown, exc))))
            continue
        file = TfFile(path, shown, text, tree)
        attributes, _ = _blocks(_children(tree)[0], file)
        evaluator = Evaluator(shown, text, lambda _name: None, directory, display)
        for key, attribute in attributes.items():
            values[key] = evaluator.eval(_expression(attribute))
    return values


def _written(unknowns: dict[TreePath, Unknown], plan: dict[str, Any]) -> Callable[[TreePath, str], str]:
    """Why a value the plan leaves unknown is unknown, for the messages: the value it depends
    on (`var.account_id`) and the reason (no default, known only after apply). Found by the
    node's path, or by the plan loader's name of an unresolved node (`x.statement[0].condition`)."""
    shown = _path_text(plan, dotted=True)
    by_text = {shown(path): unknown for path, unknown in unknowns.items()}

    def written(path: TreePath, text: str) -> str:
        unknown = unknowns.get(tuple(path))
        if unknown is None and text:
            unknown = by_text.get(text) or next(
                (u for name, u in by_text.items() if name.startswith((text + ".", text + "["))), None)
        return f"{unknown.what}: {unknown.why}" if unknown is not None else ""

    return written


def hcl_sources(source: SourceFile, scan: Scan) -> Iterator[PolicySource]:
    """The plan loader's documents of the synthetic plan; the own account's stand-in joins the
    own accounts of trust documents that mention it, as for CloudFormation's AWS::AccountId."""
    for policy in terraform_sources(source):
        if scan.stand_in_used and not scan.account_known:
            context = policy.context
            own = (scan.own_account,) if policy.kind != "identity" and mentions(policy.document, scan.own_account) else ()
            context = replace(context, own_accounts=own)
            policy = replace(policy, context=context, stand_in=scan.own_account, stand_in_kind="module")
        yield policy


def _suppressions(scan: Scan) -> dict[str, dict[str, str]]:
    """`# pyiamguard:ignore IAMG-103 reason` inside a resource or data block, or on the lines
    right above it: address (every instance) -> {rule: reason}. Malformed ones are errors."""
    out: dict[str, dict[str, str]] = {}
    for instance in scan.instances:
        block = instance.block
        if block.file.line_map is not None:
            continue  # JSON syntax has no comments
        lines = block.file.text.split("\n")
        first = block.at.line - 1
        start = first
        while start > 0 and lines[start - 1].strip().startswith(("#", "//")):
            start -= 1
        for number in range(start, min(block.end_line, len(lines))):
            match = _SUPPRESS.search(lines[number])
            if match is None:
                continue
            rule, reason = match.group(1), " ".join(match.group(2).split())
            if not _RULE_ID.fullmatch(rule):
                _error_once(scan, block.file.display, f"the suppression at line {number + 1} needs a rule id like IAMG-103; it suppresses nothing")
            elif not reason:
                _error_once(scan, block.file.display, f"the suppression of {rule} at line {number + 1} needs a reason; it suppresses nothing")
            else:
                out.setdefault(instance.address, {})[rule] = reason
    return out


def _error_once(scan: Scan, file: str, message: str) -> None:
    if (file, message) not in scan.errors:
        scan.errors.append((file, message))
