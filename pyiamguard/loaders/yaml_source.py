"""YAML files, loaded safely with a line mark for every node.

PyYAML composes the node graph (no tag ever constructs a Python object); this module builds
plain values from it. CloudFormation short-form tags become their long form (`!Ref x` ->
`{"Ref": "x"}`). YAML 1.1 traps are defused: numbers, dates and octal-looking account ids keep
their source text, and a leading-zero number is reported because CloudFormation reads it as octal.
Aliases are followed with a budget, so an alias bomb is an error, not an out-of-memory kill.
"""
from __future__ import annotations

import re
from typing import Any

import yaml

from .source import InputError, Problem, SourceFile, TreePath

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_NODES = 2_000_000
MAX_DEPTH = 200

# Every short form CloudFormation documents (intrinsic function reference, condition and rule
# functions). A template must load whatever it uses: a tag missing here would leave every role
# of the template unchecked. What reaches a policy without being evaluated is IAMG-001.
_CFN_TAGS = {
    "!Ref": "Ref",
    "!Condition": "Condition",
    "!Base64": "Fn::Base64",
    "!Cidr": "Fn::Cidr",
    "!FindInMap": "Fn::FindInMap",
    "!GetAtt": "Fn::GetAtt",
    "!GetAZs": "Fn::GetAZs",
    "!ImportValue": "Fn::ImportValue",
    "!GetStackOutput": "Fn::GetStackOutput",
    "!Join": "Fn::Join",
    "!Select": "Fn::Select",
    "!Split": "Fn::Split",
    "!Sub": "Fn::Sub",
    "!Transform": "Fn::Transform",
    "!And": "Fn::And",
    "!Equals": "Fn::Equals",
    "!If": "Fn::If",
    "!Not": "Fn::Not",
    "!Or": "Fn::Or",
    # AWS::LanguageExtensions
    "!Length": "Fn::Length",
    "!ToJsonString": "Fn::ToJsonString",
    "!ForEach": "Fn::ForEach",
    # Rule functions: only in the `Rules` section, which decides whether a stack may deploy,
    # never what a role allows; loaded and left alone.
    "!Contains": "Fn::Contains",
    "!EachMemberEquals": "Fn::EachMemberEquals",
    "!EachMemberIn": "Fn::EachMemberIn",
    "!RefAll": "Fn::RefAll",
    "!ValueOf": "Fn::ValueOf",
    "!ValueOfAll": "Fn::ValueOfAll",
    # org-formation's file include: kept as data (never followed); the CloudFormation loader
    # reports what depends on it as unresolved.
    "!Include": "Fn::Include",
}

_TAG = "tag:yaml.org,2002:"
_OCTAL = re.compile(r"^[-+]?0[0-9_]+\Z")


def load_yaml(name: str, text: str) -> SourceFile:
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        reason = exc.problem or exc.context or "syntax error"
        if mark is not None and ("'\\t'" in reason or _tab_at(text, mark.line)):
            # PyYAML's words for tab indentation are cryptic; say what it is.
            raise InputError(f"invalid YAML at line {mark.line + 1}: tab used for indentation") from None
        raise InputError(f"invalid YAML{where}: {reason}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {' '.join(str(exc).split())}") from None
    except RecursionError:
        raise InputError("YAML nested too deeply") from None
    # Aliases may repeat a node, but not multiply the document: a budget proportional to the
    # distinct nodes stops a billion-laughs bomb after a few thousand steps.
    builder = _Builder(budget=_distinct_nodes(node) * 4 + 10_000 if node is not None else 0)
    root = builder.build(node, ()) if node is not None else None
    return SourceFile(
        name=name,
        text=text,
        root=root,
        format="yaml",
        problems=builder.problems,
        _marks=builder.marks,
    )


def _tab_at(text: str, line: int) -> bool:
    lines = text.split("\n", line + 1)
    return line < len(lines) and lines[line].startswith("\t")


def _distinct_nodes(root: yaml.Node) -> int:
    """Nodes in the composed graph, each counted once however many aliases point at it."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return len(seen)


class _Builder:
    def __init__(self, budget: int) -> None:
        self.marks: dict[TreePath, tuple[int, int]] = {}
        self.problems: list[Problem] = []
        self.nodes = 0
        self.budget = min(budget, MAX_NODES)

    def _mark(self, path: TreePath, node: yaml.Node) -> None:
        if path not in self.marks:
            self.marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)

    def build(self, node: yaml.Node, path: TreePath) -> Any:
        self.nodes += 1
        if self.nodes > self.budget:
            raise InputError("YAML aliases expand the document far beyond its size (alias bomb?)")
        if len(path) > MAX_DEPTH:
            raise InputError(f"nested more than {MAX_DEPTH} levels deep")
        self._mark(path, node)
        tag = node.tag or ""
        if tag in _CFN_TAGS:
            return self._intrinsic(tag, node, path)
        if tag.startswith("!") or (tag.startswith("tag:") and not tag.startswith(_TAG)):
            raise InputError(f"unsupported YAML tag {tag} at line {node.start_mark.line + 1}")
        if isinstance(node, yaml.MappingNode):
            if tag not in (_TAG + "map",):
                raise InputError(f"unsupported YAML tag {tag} at line {node.start_mark.line + 1}")
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = self._key(key_node)
                if key in out:
                    self.problems.append(Problem("duplicate_key", path + (key,), key))
                    self.marks.pop(path + (key,), None)
                self._mark(path + (key,), key_node)
                out[key] = self.build(value_node, path + (key,))
                self.marks[path + (key,)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            if tag not in (_TAG + "seq",):
                raise InputError(f"unsupported YAML tag {tag} at line {node.start_mark.line + 1}")
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        return self._scalar(node, path)

    def _key(self, node: yaml.Node) -> str:
        if not isinstance(node, yaml.ScalarNode):
            raise InputError(f"a mapping key at line {node.start_mark.line + 1} is not a plain value")
        return str(node.value)

    def _scalar(self, node: yaml.ScalarNode, path: TreePath) -> Any:
        tag, text = node.tag, node.value
        if tag == _TAG + "null":
            return None
        if tag == _TAG + "bool":
            return text.lower() in ("true", "yes", "on", "y")
        if tag == _TAG + "int":
            if _OCTAL.match(text) and text.lstrip("+-") != "0":
                self.problems.append(Problem("octal_number", path, text))
            # Keep the text: a 12-digit account id stays a string, and a leading zero survives.
            return text
        if tag in (_TAG + "float", _TAG + "timestamp", _TAG + "str", _TAG + "binary"):
            return text
        raise InputError(f"unsupported YAML tag {tag} at line {node.start_mark.line + 1}")

    def _intrinsic(self, tag: str, node: yaml.Node, path: TreePath) -> dict[str, Any]:
        name = _CFN_TAGS[tag]
        inner = path + (name,)
        self._mark(inner, node)
        if isinstance(node, yaml.ScalarNode):
            value: Any = node.value
            if name == "Fn::GetAtt" and isinstance(value, str):
                value = value.split(".", 1)
            elif name == "Fn::GetAZs" and value == "":
                value = ""
        elif isinstance(node, yaml.SequenceNode):
            value = [self.build(item, inner + (i,)) for i, item in enumerate(node.value)]
        else:
            value = self.build(yaml.MappingNode(_TAG + "map", node.value, node.start_mark, node.end_mark), inner)
        return {name: value}

