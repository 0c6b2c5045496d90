"""CloudFormation intrinsic functions, resolved the way CloudFormation would at deployment.

`Resolver.value(node, path)` returns the node with every intrinsic replaced by its value, in
place: a resolved value stays at the tree path its expression had, so the normalizer's paths
land on real nodes of the file. Where resolution does move a node (the branch `Fn::If` picks,
list elements after one that `AWS::NoValue` removed), `moves` records the resolved path and
the path of the node in the file. Values that cannot be known statically become `Unresolved`,
written with `${...}` holes for what is missing (`arn:aws:iam::${TrustedAccount}:root`):
parameters without a default, SSM parameters, `Fn::ImportValue`, nested stack outputs,
attributes of resources known only after deployment.

Choices are what a template leaves open until deployment and a static scan cannot decide:
a condition (`Fn::If`) whose value depends on parameters, and a parameter restricted to its
`AllowedValues`. The resolver asks for them (`NeedChoice`) and the loader evaluates every
combination it needs as a separate variant (`variants`), up to `MAX_VARIANTS`; a choice
beyond that budget stays open, which resolves parameters to their default (or Unresolved)
and `Fn::If` to Unresolved: never a silent pass.
"""
from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, TypeVar

from ..normalize.values import Unresolved, scalar_text
from .source import Problem, TreePath

MAX_VARIANTS = 32
_MAX_DEPTH = 64


class _NoValue:
    """`Ref: AWS::NoValue`: the property or list element is removed."""

    def __repr__(self) -> str:
        return "NO_VALUE"


NO_VALUE: Any = _NoValue()


class _Open:
    """A choice left open: the variant budget is spent."""

    def __repr__(self) -> str:
        return "OPEN"


OPEN: Any = _Open()

Choice = tuple[str, str]  # ("condition", name) or ("parameter", name)


class NeedChoice(Exception):
    """Resolution depends on a choice not made yet: evaluate each value of `domain`."""

    def __init__(self, choice: Choice, domain: tuple[Any, ...]) -> None:
        super().__init__(choice)
        self.choice = choice
        self.domain = domain


@dataclass
class Template:
    """The sections of a template the resolver reads."""

    parameters: dict[str, Any]
    mappings: dict[str, Any]
    conditions: dict[str, Any]
    resources: dict[str, Any]
    globals: dict[str, Any]
    octal: frozenset[TreePath] = frozenset()  # unquoted leading-zero numbers (YAML)

    @classmethod
    def from_root(cls, root: Any, problems: list[Problem] | tuple[Problem, ...] = ()) -> "Template":
        def section(name: str) -> dict[str, Any]:
            value = root.get(name) if isinstance(root, dict) else None
            return value if isinstance(value, dict) else {}

        return cls(
            parameters={k: v for k, v in section("Parameters").items() if isinstance(v, dict)},
            mappings=section("Mappings"),
            conditions=section("Conditions"),
            resources={k: v for k, v in section("Resources").items() if isinstance(v, dict)},
            globals=section("Globals"),
            octal=frozenset(p.path for p in problems if p.code == "octal_number"),
        )

    def resource_type(self, logical_id: str) -> str:
        resource = self.resources.get(logical_id)
        return str(resource.get("Type", "")) if resource else ""

    def properties(self, logical_id: str) -> dict[str, Any]:
        props = (self.resources.get(logical_id) or {}).get("Properties")
        return props if isinstance(props, dict) else {}


def is_intrinsic(node: Any) -> bool:
    if not isinstance(node, dict) or len(node) != 1:
        return False
    key = next(iter(node))
    return key == "Ref" or key.startswith("Fn::")


# A scalar as CloudFormation passes it on: booleans lower-case, numbers as written (as IAM does).
text_of = scalar_text


def hole(value: Unresolved) -> str:
    """An unresolved value inside a string: its `${...}` text."""
    return value.expression if "${" in value.expression else "${" + value.expression + "}"


def has_unresolved(value: Any) -> bool:
    if isinstance(value, Unresolved):
        return True
    if isinstance(value, dict):
        return any(has_unresolved(v) for v in value.values())
    if isinstance(value, list):
        return any(has_unresolved(v) for v in value)
    return False


_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
# Values CloudFormation gives pseudo parameters that are not known statically. Region and
# stack name only shape names (an EKS issuer, a bucket): a plausible value keeps the rest of
# the string readable. The partition is assumed to be `aws`; the loader leaves the document's
# partition unknown, so no principal is judged cross-partition on that assumption.
PARTITION = "aws"
REGION = "us-east-1"
STACK_NAME = "stack"
URL_SUFFIX = "amazonaws.com"


# IAM resources whose ARN is <type><Path><name>: the resource type and the name property.
_PATHED_ARNS = {
    "AWS::IAM::Role": ("role", "RoleName"),
    "AWS::IAM::User": ("user", "UserName"),
    "AWS::IAM::Group": ("group", "GroupName"),
    "AWS::IAM::InstanceProfile": ("instance-profile", "InstanceProfileName"),
    "AWS::IAM::ManagedPolicy": ("policy", "ManagedPolicyName"),
}


@dataclass
class Resolver:
    """Resolves intrinsic functions for one variant (a set of choices)."""

    template: Template
    choices: Mapping[Choice, Any]
    account: str  # what AWS::AccountId stands for: an own account
    moves: dict[TreePath, TreePath] = field(default_factory=dict)
    dropped: list[TreePath] = field(default_factory=list)  # Fn::If branches not taken
    defaults: dict[str, str] = field(default_factory=dict)  # parameter -> the default assumed
    used: set[Choice] = field(default_factory=set)
    account_used: bool = False
    secrets: set[str] = field(default_factory=set)  # the NoEcho parameter values used
    octal: set[TreePath] = field(default_factory=set)  # octal-looking parameter defaults met
    cache: dict[Any, Any] = field(default_factory=dict)  # the caller's, for this variant
    _strict: bool = False  # evaluating a condition: only values fixed before deployment count
    _with_defaults: bool = False  # evaluating a condition as the parameter defaults decide it
    _depth: int = 0

    # --- entry point ----------------------------------------------------------------------

    def value(self, node: Any, path: TreePath, at: TreePath | None = None) -> Any:
        """`node`, found at `path` in the file, resolved; `at` is where the result goes in
        the resolved tree when that differs (SAM Globals). NO_VALUE when it is removed."""
        at = path if at is None else at
        if at != path:
            self.moves[at] = path
        return self._value(node, path, at)

    def _value(self, node: Any, src: TreePath, res: TreePath) -> Any:
        if isinstance(node, dict):
            if is_intrinsic(node):
                return self._intrinsic(node, src, res)
            out: dict[str, Any] = {}
            for key, child in node.items():
                resolved = self._value(child, src + (key,), res + (key,))
                if resolved is not NO_VALUE:
                    out[key] = resolved
            return out
        if isinstance(node, list):
            items: list[Any] = []
            for i, child in enumerate(node):
                j = len(items)
                if j != i:
                    self.moves[res + (j,)] = src + (i,)
                resolved = self._value(child, src + (i,), res + (j,))
                if resolved is not NO_VALUE:
                    items.append(resolved)
            return items
        if src in self.template.octal:
            # CloudFormation reads it as an octal number: not what was written. It is reported
            # (IAMG-002) and left out, so it is never judged as another account.
            return NO_VALUE
        return node

    # --- intrinsic functions --------------------------------------------------------------

    def _intrinsic(self, node: dict[str, Any], src: TreePath, res: TreePath) -> Any:
        name, arg = next(iter(node.items()))
        at = src + (name,)
        if self._depth > _MAX_DEPTH:
            return Unresolved("${" + name + "}", "nested too deeply")
        self._depth += 1
        try:
            if name == "Ref":
                return self._ref(arg, at)
            if name == "Fn::If":
                return self._if(arg, at, res)
            handler = _FUNCTIONS.get(name)
            if handler is None:
                # Fn::Transform, Fn::ForEach, tool-specific functions (org-formation !Include).
                return Unresolved("${" + name + "}", f"{name} is not evaluated statically")
            return handler(self, arg, at)
        finally:
            self._depth -= 1

    def _scalar(self, node: Any, at: TreePath) -> Any:
        """An argument resolved to a scalar text, or Unresolved."""
        value = self._value(node, at, at)
        if isinstance(value, Unresolved):
            return value
        text = text_of(value)
        return text if text is not None else Unresolved("${?}", "not a string")

    def _ref(self, name: Any, at: TreePath) -> Any:
        name = self._value(name, at, at) if is_intrinsic(name) else name
        if not isinstance(name, str):
            return Unresolved("${Ref}", "Ref needs a name")
        if name.startswith("AWS::"):
            return self._pseudo(name)
        if name in self.template.parameters:
            return self._parameter(name)
        if name in self.template.resources:
            return self._resource_ref(name)
        return Unresolved("${" + name + "}", "not a parameter or resource of this template")

    def _pseudo(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if self._strict:
            return Unresolved("${" + name + "}", "known at deployment")
        if name == "AWS::AccountId":
            self.account_used = True
            return self.account
        values = {"AWS::Partition": PARTITION, "AWS::Region": REGION, "AWS::StackName": STACK_NAME,
                  "AWS::URLSuffix": URL_SUFFIX}
        if name in values:
            return values[name]
        if name == "AWS::StackId":
            self.account_used = True
            return (f"arn:{PARTITION}:cloudformation:{REGION}:{self.account}:stack/{STACK_NAME}/"
                    "00000000-0000-0000-0000-000000000000")
        return Unresolved("${" + name + "}", "known at deployment")

    def _parameter(self, name: str) -> Any:
        spec = self.template.parameters[name]
        kind = str(spec.get("Type", "String"))
        if kind.startswith("AWS::SSM::Parameter::Value<"):
            # Its Default is the name of an SSM parameter, not the value.
            return Unresolved("${" + name + "}", "read from SSM Parameter Store at deployment")
        allowed = spec.get("AllowedValues")
        if isinstance(allowed, list) and allowed and all(text_of(v) is not None for v in allowed):
            choice: Choice = ("parameter", name)
            if choice not in self.choices:
                raise NeedChoice(choice, tuple(dict.fromkeys(str(text_of(v)) for v in allowed)))
            chosen = self.choices[choice]
            if chosen is not OPEN:
                self.used.add(choice)
                self._secret(spec, str(chosen))
                return _typed(kind, chosen)
        if self._strict:
            return Unresolved("${" + name + "}", "a parameter the deployer sets")
        if "Default" in spec:
            default = spec["Default"]
            if ("Parameters", name, "Default") in self.template.octal:
                # CloudFormation reads it as an octal number, not what was written.
                self.octal.add(("Parameters", name, "Default"))
                return Unresolved("${" + name + "}", "its default is read as an octal number")
            text = text_of(default)
            if text is None:
                return Unresolved("${" + name + "}", "the parameter's default is not a value")
            contradicted = self._branch_excluding_default(name)
            if contradicted is not None:
                # This variant took a branch the default would not take: the deployer set
                # another value, unknown here (the other variant judges the default).
                return Unresolved("${" + name + "}", f"a value other than its default, as condition {contradicted} "
                                  "says in this branch")
            self.defaults[name] = text
            self._secret(spec, text)
            return _typed(kind, text)
        return Unresolved("${" + name + "}", "a parameter without a default")

    def _resource_ref(self, logical_id: str) -> Any:
        kind = self.template.resource_type(logical_id)
        if kind == "AWS::IAM::Role":
            return self._name(logical_id, "RoleName")
        if kind == "AWS::IAM::User":
            return self._name(logical_id, "UserName")
        if kind == "AWS::IAM::Group":
            return self._name(logical_id, "GroupName")
        if kind == "AWS::IAM::InstanceProfile":
            return self._name(logical_id, "InstanceProfileName")
        if kind in ("AWS::IAM::ManagedPolicy", "AWS::IAM::OIDCProvider", "AWS::IAM::SAMLProvider"):
            return self.arn(logical_id)
        return Unresolved("${" + logical_id + "}", "the physical id of a resource, known after deployment")

    def _name(self, logical_id: str, key: str) -> str:
        """A named resource's name, or its logical id when the name is generated or unknown
        (CloudFormation generates `<stack>-<LogicalId>-<suffix>`)."""
        props = self.template.properties(logical_id)
        if key in props:
            value = self._value(props[key], ("Resources", logical_id, "Properties", key),
                                ("Resources", logical_id, "Properties", key))
            if isinstance(value, str) and value:
                return value
        return logical_id

    def _path(self, logical_id: str, key: str) -> str:
        props = self.template.properties(logical_id)
        if key in props:
            value = self._value(props[key], ("Resources", logical_id, "Properties", key),
                                ("Resources", logical_id, "Properties", key))
            if isinstance(value, str) and value.startswith("/") and value.endswith("/"):
                return value
        return "/"

    def arn(self, logical_id: str) -> Any:
        """The ARN of an IAM resource of the template: always in the stack's own account."""
        kind = self.template.resource_type(logical_id)
        prefix = f"arn:{PARTITION}:iam::{self.account}:"
        if kind in _PATHED_ARNS:
            resource_type, name_property = _PATHED_ARNS[kind]
            resource = f"{resource_type}{self._path(logical_id, 'Path')}{self._name(logical_id, name_property)}"
        elif kind == "AWS::IAM::SAMLProvider":
            resource = f"saml-provider/{self._name(logical_id, 'Name')}"
        elif kind == "AWS::IAM::OIDCProvider":
            props = self.template.properties(logical_id)
            url = self._value(props.get("Url"), ("Resources", logical_id, "Properties", "Url"),
                              ("Resources", logical_id, "Properties", "Url"))
            if not isinstance(url, str) or not url:
                return Unresolved("${" + logical_id + ".Arn}", "the provider's Url is not known statically")
            # The provider ARN names the issuer URL without its scheme.
            resource = "oidc-provider/" + re.sub(r"^[A-Za-z][A-Za-z0-9+.-]*://", "", url).rstrip("/")
        elif self._generated_role(logical_id):
            resource = f"role/{logical_id}"
        else:
            return Unresolved("${" + logical_id + ".Arn}", "known after deployment")
        self.account_used = True
        return prefix + resource

    def _generated_role(self, logical_id: str) -> bool:
        """`<Function>Role`: the role SAM generates for a function or state machine without one."""
        owner = logical_id[:-4] if logical_id.endswith("Role") else ""
        return (self.template.resource_type(owner) in ("AWS::Serverless::Function", "AWS::Serverless::StateMachine")
                and "Role" not in self.template.properties(owner))

    def _get_att(self, arg: Any, at: TreePath) -> Any:
        if isinstance(arg, str):
            arg = arg.split(".", 1)
        if not isinstance(arg, list) or len(arg) != 2 or not isinstance(arg[0], str):
            return Unresolved("${Fn::GetAtt}", "malformed Fn::GetAtt")
        logical_id = arg[0]
        attribute = self._scalar(arg[1], at + (1,))
        if isinstance(attribute, Unresolved):
            return Unresolved("${" + logical_id + ".?}", "the attribute name is not known statically")
        expression = "${" + f"{logical_id}.{attribute}" + "}"
        kind = self.template.resource_type(logical_id)
        if attribute in ("Arn", "PolicyArn") and (kind.startswith("AWS::IAM::") or self._generated_role(logical_id)):
            if kind != "AWS::IAM::Policy":
                return self.arn(logical_id)
        if attribute == "RoleId" and (kind == "AWS::IAM::Role" or self._generated_role(logical_id)):
            # The unique id of a role of this template names the same principal as its ARN
            # (IAM stores an ARN principal as the unique id): the stack's own role.
            return self.arn(logical_id)
        if kind in ("AWS::CloudFormation::Stack", "AWS::Serverless::Application") or attribute.startswith("Outputs."):
            return Unresolved(expression, "an output of a nested stack")
        if logical_id not in self.template.resources and not self._generated_role(logical_id):
            return Unresolved(expression, "not a resource of this template")
        return Unresolved(expression, "an attribute known after deployment")

    def _if(self, arg: Any, at: TreePath, res: TreePath) -> Any:
        if not isinstance(arg, list) or len(arg) != 3 or not isinstance(arg[0], str):
            return Unresolved("${Fn::If}", "malformed Fn::If")
        decided = self.condition(arg[0])
        if decided is None:
            return Unresolved("${Fn::If " + arg[0] + "}", f"condition {arg[0]} is not known statically")
        taken = 1 if decided else 2
        self.dropped.append(at + (3 - taken,))
        self.moves[res] = at + (taken,)
        return self._value(arg[taken], at + (taken,), res)

    # --- conditions ---------------------------------------------------------------------------

    def condition(self, name: str) -> bool | None:
        """The value of a named condition in this variant; None when the choice is open."""
        choice: Choice = ("condition", name)
        if choice in self.choices:
            chosen = self.choices[choice]
            if chosen is OPEN:
                return None
            self.used.add(choice)
            return bool(chosen)
        expression = self.template.conditions.get(name)
        decided = self._decide(expression, ("Conditions", name), 0) if name in self.template.conditions else None
        if decided is None:
            raise NeedChoice(choice, (True, False))
        return decided

    def _decide(self, expression: Any, at: TreePath, depth: int) -> bool | None:
        """True or False when the expression's value is fixed before deployment, else None."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expression, bool):
            return expression
        if isinstance(expression, str) and expression.lower() in ("true", "false"):
            return expression.lower() == "true"
        if not isinstance(expression, dict) or len(expression) != 1:
            return None
        name, arg = next(iter(expression.items()))
        inner = at + (name,)
        if name == "Condition" and isinstance(arg, str):
            return self.condition(arg)
        if name == "Fn::Equals" and isinstance(arg, list) and len(arg) == 2:
            left, right = (self._fixed(arg[i], inner + (i,)) for i in (0, 1))
            if left is None or right is None:
                return None
            return left == right
        if name == "Fn::Not" and isinstance(arg, list) and len(arg) == 1:
            value = self._decide(arg[0], inner + (0,), depth + 1)
            return None if value is None else not value
        if name in ("Fn::And", "Fn::Or") and isinstance(arg, list) and arg:
            values = [self._decide(item, inner + (i,), depth + 1) for i, item in enumerate(arg)]
            if name == "Fn::And":
                return False if False in values else None if None in values else True
            return True if True in values else None if None in values else False
        return None

    def _secret(self, spec: dict[str, Any], value: str) -> None:
        """Remember a NoEcho parameter's value (or each item of a list), never to be quoted."""
        if _no_echo(spec):
            self.secrets.update(item for item in [value, *value.split(",")] if item.strip())

    def _branch_excluding_default(self, parameter: str) -> str | None:
        """A condition this variant fixed to a value that the parameter's default would not
        give it (`HasExternalId` true while the default is ""), or None."""
        if self._with_defaults:
            return None
        for (kind, name), chosen in self.choices.items():
            if kind != "condition" or chosen is OPEN or name not in self.template.conditions:
                continue
            expression = self.template.conditions[name]
            if not _refers_to(expression, parameter):
                continue
            saved = (dict(self.defaults), set(self.used), set(self.secrets), set(self.octal))
            self._with_defaults = True
            try:
                by_default = self._decide(expression, ("Conditions", name), 0)
            finally:
                self._with_defaults = False
                self.defaults, self.used, self.secrets, self.octal = saved
            if by_default is not None and by_default != bool(chosen):
                return name
        return None

    def _fixed(self, node: Any, at: TreePath) -> Any:
        """A value fixed before deployment (literals, AllowedValues choices, mappings of
        those), compared as CloudFormation compares: texts and lists of texts. Deciding with
        defaults (`_with_defaults`), parameter defaults count too."""
        saved = self._strict
        self._strict = not self._with_defaults
        try:
            value = self._value(node, at, at)
        finally:
            self._strict = saved
        if value is NO_VALUE or has_unresolved(value):
            return None
        if isinstance(value, list):
            texts = [text_of(v) for v in value]
            return None if None in texts else tuple(texts)
        return text_of(value)


def _refers_to(expression: Any, parameter: str, depth: int = 0) -> bool:
    """The condition expression reads the parameter (`Ref` or `Fn::Sub` text)."""
    if depth > _MAX_DEPTH:
        return False
    if isinstance(expression, dict):
        if expression.get("Ref") == parameter:
            return True
        return any(_refers_to(v, parameter, depth + 1) for v in expression.values())
    if isinstance(expression, list):
        return any(_refers_to(v, parameter, depth + 1) for v in expression)
    return isinstance(expression, str) and "${" + parameter + "}" in expression


def _no_echo(spec: dict[str, Any]) -> bool:
    return text_of(spec.get("NoEcho")) == "true"


def _typed(kind: str, text: str) -> Any:
    """A parameter value as the template sees it: list types are split on commas."""
    if kind == "CommaDelimitedList" or kind.startswith("List<"):
        return [item.strip() for item in text.split(",")] if text else []
    return text


# --- the string and list functions ----------------------------------------------------------


def _sub(r: Resolver, arg: Any, at: TreePath) -> Any:
    variables: dict[str, Any] = {}
    if isinstance(arg, str):
        template = arg
    elif isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str) and isinstance(arg[1], dict):
        template, variables = arg[0], arg[1]
    else:
        return Unresolved("${Fn::Sub}", "malformed Fn::Sub")
    parts: list[str] = []
    unresolved = False
    position = 0
    for match in _SUB_VARIABLE.finditer(template):
        parts.append(template[position:match.start()])
        position = match.end()
        name = match.group(1)
        if name.startswith("!"):
            parts.append("${" + name[1:] + "}")  # `${!Literal}` is the literal `${Literal}`
            continue
        name = name.strip()
        if name in variables:
            value = r._value(variables[name], at + (1, name), at + (1, name))
        elif "." in name and not name.startswith("AWS::"):
            value = r._get_att(name.split(".", 1), at)
        else:
            value = r._ref(name, at)
        if value is NO_VALUE:
            value = ""
        if isinstance(value, Unresolved):
            unresolved = True
            parts.append(hole(value))
            continue
        text = text_of(value)
        if text is None:
            unresolved = True
            parts.append("${" + name + "}")
            continue
        parts.append(text)
    parts.append(template[position:])
    result = "".join(parts)
    if unresolved:
        return Unresolved(result, "part of the string is not known statically")
    return result


def _join(r: Resolver, arg: Any, at: TreePath) -> Any:
    if not isinstance(arg, list) or len(arg) != 2:
        return Unresolved("${Fn::Join}", "malformed Fn::Join")
    delimiter = r._scalar(arg[0], at + (0,))
    items = r._value(arg[1], at + (1,), at + (1,))
    if isinstance(delimiter, Unresolved):
        return delimiter
    if isinstance(items, Unresolved):
        return Unresolved("${Fn::Join}", "the list is not known statically")
    if not isinstance(items, list):
        return Unresolved("${Fn::Join}", "Fn::Join needs a list")
    parts: list[str] = []
    unresolved = False
    for item in items:
        if isinstance(item, Unresolved):
            unresolved = True
            parts.append(hole(item))
            continue
        text = text_of(item)
        if text is None:
            unresolved = True
            parts.append("${?}")
            continue
        parts.append(text)
    result = delimiter.join(parts)
    return Unresolved(result, "part of the string is not known statically") if unresolved else result


def _select(r: Resolver, arg: Any, at: TreePath) -> Any:
    if not isinstance(arg, list) or len(arg) != 2:
        return Unresolved("${Fn::Select}", "malformed Fn::Select")
    index = r._scalar(arg[0], at + (0,))
    items = r._value(arg[1], at + (1,), at + (1,))
    if isinstance(index, Unresolved) or not isinstance(items, list):
        return Unresolved("${Fn::Select}", "the list or index is not known statically")
    try:
        position = int(index)
    except ValueError:
        return Unresolved("${Fn::Select}", "the index is not a number")
    if not 0 <= position < len(items):
        return Unresolved("${Fn::Select}", "the index is outside the list")
    return items[position]


def _split(r: Resolver, arg: Any, at: TreePath) -> Any:
    if not isinstance(arg, list) or len(arg) != 2:
        return Unresolved("${Fn::Split}", "malformed Fn::Split")
    delimiter = r._scalar(arg[0], at + (0,))
    text = r._scalar(arg[1], at + (1,))
    if isinstance(text, Unresolved):
        return Unresolved(text.expression, "the string to split is not known statically")
    if isinstance(delimiter, Unresolved) or not delimiter:
        return Unresolved("${Fn::Split}", "the delimiter is not known statically")
    return text.split(delimiter)


def _find_in_map(r: Resolver, arg: Any, at: TreePath) -> Any:
    if not isinstance(arg, list) or len(arg) not in (3, 4):
        return Unresolved("${Fn::FindInMap}", "malformed Fn::FindInMap")
    keys = [r._scalar(arg[i], at + (i,)) for i in range(3)]
    default = None
    if len(arg) == 4 and isinstance(arg[3], dict) and "DefaultValue" in arg[3]:
        default = r._value(arg[3]["DefaultValue"], at + (3, "DefaultValue"), at + (3, "DefaultValue"))
    unresolved = [k for k in keys if isinstance(k, Unresolved)]
    if unresolved:
        return Unresolved("${Fn::FindInMap " + " ".join(k if isinstance(k, str) else hole(k) for k in keys) + "}",
                          "a key is not known statically")
    mapping = r.template.mappings.get(keys[0])
    level = mapping.get(keys[1]) if isinstance(mapping, dict) else None
    if isinstance(level, dict) and keys[2] in level:
        return r._value(level[keys[2]], ("Mappings", keys[0], keys[1], keys[2]),
                        ("Mappings", keys[0], keys[1], keys[2]))
    if default is not None:
        return default
    return Unresolved("${Fn::FindInMap " + " ".join(keys) + "}", "no such mapping entry")


def _base64(r: Resolver, arg: Any, at: TreePath) -> Any:
    text = r._scalar(arg, at)
    if isinstance(text, Unresolved):
        return Unresolved("${Fn::Base64}", "the string is not known statically")
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _import_value(r: Resolver, arg: Any, at: TreePath) -> Any:
    name = r._scalar(arg, at)
    shown = name if isinstance(name, str) else hole(name)
    return Unresolved("${ImportValue " + shown + "}", "exported by another stack")


def _get_stack_output(r: Resolver, arg: Any, at: TreePath) -> Any:
    """Another stack's output, possibly of another account or Region: known only at deployment."""
    if not isinstance(arg, dict):
        return Unresolved("${Fn::GetStackOutput}", "malformed Fn::GetStackOutput")
    parts = [r._scalar(arg[key], at + (key,)) if key in arg else "?" for key in ("StackName", "OutputName")]
    shown = ".".join(p if isinstance(p, str) else hole(p) for p in parts)
    return Unresolved("${GetStackOutput " + shown + "}", "an output of another stack, read at deployment")


def _length(r: Resolver, arg: Any, at: TreePath) -> Any:
    items = r._value(arg, at, at)
    return str(len(items)) if isinstance(items, list) else Unresolved("${Fn::Length}", "the list is not known statically")


def _to_json_string(r: Resolver, arg: Any, at: TreePath) -> Any:
    value = r._value(arg, at, at)
    if value is NO_VALUE:
        return Unresolved("${Fn::ToJsonString}", "nothing to serialise")
    text = json.dumps(value, separators=(",", ":"), default=lambda u: hole(u) if isinstance(u, Unresolved) else str(u))
    return Unresolved(text, "part of the document is not known statically") if has_unresolved(value) else text


def _not_static(name: str, reason: str) -> Callable[[Resolver, Any, TreePath], Any]:
    return lambda r, arg, at: Unresolved("${" + name + "}", reason)


_FUNCTIONS: dict[str, Callable[[Resolver, Any, TreePath], Any]] = {
    "Fn::Sub": _sub,
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::FindInMap": _find_in_map,
    "Fn::GetAtt": lambda r, arg, at: r._get_att(arg, at),
    "Fn::Base64": _base64,
    "Fn::ImportValue": _import_value,
    "Fn::GetStackOutput": _get_stack_output,
    "Fn::Length": _length,
    "Fn::ToJsonString": _to_json_string,
    "Fn::GetAZs": _not_static("Fn::GetAZs", "the availability zones of the region at deployment"),
    "Fn::Cidr": _not_static("Fn::Cidr", "not evaluated (not IAM-relevant)"),
}


# --- variants ---------------------------------------------------------------------------------

T = TypeVar("T")


def variants(run: Callable[[Resolver], T], make: Callable[[dict[Choice, Any]], Resolver],
             initial: Mapping[Choice, Any] | None = None, limit: int = MAX_VARIANTS) -> Iterator[tuple[Resolver, T]]:
    """Run `run` once for every combination of the choices it asks for (conditions true
    before false, allowed values as listed). The combinations grow breadth first: past `limit`
    variants, the choices asked for last stay OPEN in every variant instead of multiplying
    the runs."""
    pending: list[dict[Choice, Any]] = [dict(initial or {})]
    finished = 0
    while pending:
        choices = pending.pop(0)
        resolver = make(choices)
        try:
            result = run(resolver)
        except NeedChoice as need:
            if finished + len(pending) + len(need.domain) > limit:
                pending.append({**choices, need.choice: OPEN})
            else:
                pending.extend({**choices, need.choice: value} for value in need.domain)
            continue
        finished += 1
        yield resolver, result


def describe(resolver: Resolver) -> str:
    """The choices a variant made, for messages: `condition IsProd is false, parameter Env = 'dev'`."""
    return ", ".join(f"{subject} {value}" for subject, value in choices_made(resolver))


def choices_made(resolver: Resolver) -> tuple[tuple[str, str], ...]:
    """The choices a variant made, as (subject, value) pairs: ("condition IsProd", "is false"),
    ("parameter Env", "= 'dev'")."""
    out = []
    for kind, name in sorted(resolver.used, key=lambda c: (c[0] != "condition", c[1])):
        value = resolver.choices.get((kind, name))
        if kind == "condition":
            out.append((f"condition {name}", f"is {'true' if value else 'false'}"))
        else:
            spec = resolver.template.parameters.get(name, {})
            out.append((f"parameter {name}", "is one of its allowed values" if _no_echo(spec) else f"= {value!r}"))
    return tuple(out)
