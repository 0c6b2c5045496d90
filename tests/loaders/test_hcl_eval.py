"""The HCL evaluator (pyiamguard/loaders/hcl_eval.py) on its own: values, unknowns and marks.

Expected values of the expression tables were checked against `terraform console` of Terraform
1.11 (`echo 'jsonencode(local.x)' | terraform console` in a directory holding the locals): the
tests never need Terraform installed.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pyiamguard.loaders.hcl_eval import At, EmbeddedJson, Unknown, has_unknown, json_encode, parse_error
from pyiamguard.loaders.source import InputError
from pyiamguard.loaders.terraform_hcl import Module, Scan, parse_tf_file


def _module(directory: Path, files: dict[str, str]) -> Module:
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    scan = Scan(own_account="000000000000", account_known=False)
    module = Module(scan, directory, "", "", "", None)
    assert scan.errors == []
    return module


def _local(directory: Path, expression: str, extra: str = "") -> Any:
    module = _module(directory, {"main.tf": f"locals {{\n  x = {expression}\n}}\n{extra}"})
    return module.local("x").value


# (expression, value) pairs; checked against terraform 1.11 console.
ORACLE = [
    ('"a${1 + 2}b"', 'a3b'),
    ('"esc \\" \\\\ \\t \\u00e9 $${x} %%{y}"', 'esc " \\ \t é ${x} %{y}'),
    ('7 / 2', 3.5),
    ('10 % 3', 1),
    ('1.5 * 2', 3),
    ('-7 % 3', -1),
    ('"${1.5}"', 1.5),
    ('"${10 / 4}"', 2.5),
    ('jsonencode({b = 1, a = "<x>&", c = [true, null, 1.25]})', '{"a":"\\u003cx\\u003e\\u0026","b":1,"c":[true,null,1.25]}'),
    ('jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", Action = "sts:AssumeRole", Principal = {AWS = "*"}}]})', '{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"AWS":"*"}}],"Version":"2012-10-17"}'),
    ('jsonencode(3.0)', '3'),
    ('jsonencode(1e3)', '1000'),
    ('jsonencode("a/b\\u2028")', '"a/b\\u2028"'),
    ('[for s in ["b", "a", "c"] : upper(s) if s != "c"]', ['B', 'A']),
    ('{for k, v in {x = 1, y = 2} : v => k}', {'1': 'x', '2': 'y'}),
    ('{for s in ["a", "b", "a"] : s => s...}', {'a': ['a', 'a'], 'b': ['b']}),
    ('[for i, v in ["x", "y"] : "${i}=${v}"]', ['0=x', '1=y']),
    ('{for k, v in {b = 1, a = 2} : k => v * 10}', {'a': 20, 'b': 10}),
    ('[{n = 1}, {n = 2}][*].n', [1, 2]),
    ('{a = {n = 1}}.a.n', 1),
    ('true ? "yes" : "no"', 'yes'),
    ('1 > 2 ? 1 : 2', 2),
    ('[1, 2, 3][1]', 2),
    ('{a = 1}["a"]', 1),
    ('format("%s-%d-%05.2f-%q-%t", "x", 42, 3.14159, "q", true)', 'x-42-03.14-"q"-true'),
    ('join(",", ["a", "b"], ["c"])', 'a,b,c'),
    ('split(",", "a,,b")', ['a', '', 'b']),
    ('concat(["a"], ["b", "c"])', ['a', 'b', 'c']),
    ('merge({a = 1, b = 2}, {b = 3})', {'a': 1, 'b': 3}),
    ('flatten([[1, [2]], 3])', [1, 2, 3]),
    ('distinct(["a", "b", "a"])', ['a', 'b']),
    ('compact(["a", "", "b"])', ['a', 'b']),
    ('lookup({a = 1}, "b", "dflt")', 'dflt'),
    ('coalesce("", "x")', 'x'),
    ('replace("a-b-c", "-", "_")', 'a_b_c'),
    ('trimspace("  x \\n")', 'x'),
    ('trimprefix("arn:aws", "arn:")', 'aws'),
    ('trimsuffix("file.json", ".json")', 'file'),
    ('substr("hello", 1, 3)', 'ell'),
    ('element(["a", "b"], 3)', 'b'),
    ('keys({b = 1, a = 2})', ['a', 'b']),
    ('values({b = 1, a = 2})', [2, 1]),
    ('toset(["b", "a", "b"])', ['a', 'b']),
    ('zipmap(["a", "b"], [1, 2])', {'a': 1, 'b': 2}),
    ('range(1, 6, 2)', [1, 3, 5]),
    ('sort(["b", "a", "c"])', ['a', 'b', 'c']),
    ('formatlist("arn:aws:iam::%s:root", ["111122223333", "444455556666"])', ['arn:aws:iam::111122223333:root', 'arn:aws:iam::444455556666:root']),
    ('length("héllo")', 5),
    ('contains(["a"], "a")', True),
    ('title("hello world")', 'Hello World'),
    ('chunklist([1, 2, 3], 2)', [[1, 2], [3]]),
    ('max(1, 5, 3)', 5),
    ('abs(-2.5)', 2.5),
    ('tostring(12)', '12'),
    ('tonumber("12.50")', 12.5),
    ('slice(["a", "b", "c"], 1, 3)', ['b', 'c']),
    ('reverse([1, 2])', [2, 1]),
    ('setunion(["b"], ["a", "b"])', ['a', 'b']),
    ('one(["x"])', 'x'),
    ('try(tonumber("x"), "fallback")', 'fallback'),
    ('can(tonumber("x"))', False),
    ('upper("é")', 'É'),
    ('"${true}"', True),
    ('trim("xxhixx", "x")', 'hi'),
    ('chomp("a\\n\\n")', 'a'),
    ('jsondecode("{\\"a\\": [1, 2.5, \\"x\\"]}")', {'a': [1, 2.5, 'x']}),
    ('format("%v", [1, "a"])', '[1,"a"]'),
    ('transpose({a = ["x", "y"], b = ["x"]})', {'x': ['a', 'b'], 'y': ['a']}),
    ('index(["a", "b"], "b")', 1),
    ('"${1e21}"', 1000000000000000000000),
    ('"${123456789012}"', 123456789012),
    ('"a${"in${"ner"}"}b"', 'ainnerb'),
    ('"${jsonencode({k = "}"})}"', '{"k":"}"}'),
    ('"x\\\\$${y}"', 'x\\${y}'),
    ('1e3', 1000),
    ('"${2e-7}"', 2e-07),
    ('[for x in {b = "2", a = "1"} : x]', ['1', '2']),
    ('["a", "b"][*]', ['a', 'b']),
    ('"s"[*]', ['s']),
    ('[[1, 2], [3]][0][1]', 2),
    ('upper("a") == "A" && !false', True),
    ('null == null', True),
    ('"1" == 1', False),
    ('[for s in ["a"] : { name = s, arn = "arn:aws:iam::111122223333:role/${s}" }]', [{'arn': 'arn:aws:iam::111122223333:role/a', 'name': 'a'}]),
    ('merge({}, {a = {b = 1}})', {'a': {'b': 1}}),
    ('formatlist("%s:%s", ["a", "b"], "x")', ['a:x', 'b:x']),
    ('format("%s", 1.5)', '1.5'),
    ('format("%d", 3)', '3'),
    ('tostring(1.5)', '1.5'),
    ('split(".", "")', ['']),
    ('join("-", [])', ''),
    ('length({a = 1, b = 2})', 2),
    ('lower("ARN:AWS")', 'arn:aws'),
    ('replace("aaa", "a", "$$")', '$$$$$$'),
    ('"\\u0041\\U0001F600"', 'A😀'),
    ('5 - 10', -5),
    ('2 * 0.5', 1),
    ('-3 / 2', -1.5),
    # numbers inside strings are never written with an exponent
    ('"n=${2e-7}"', "n=0.0000002"),
    ('"n=${1e21}"', "n=1000000000000000000000"),
    ('"n=${1.25}"', "n=1.25"),
    ('jsonencode({a = 1e21, b = 2e-7})', '{"a":1000000000000000000000,"b":0.0000002}'),
    ('jsonencode("\\t\\u0001")', '"\\t\\u0001"'),
    ('jsonencode({a = "\\u2028\\u2029"})', '{"a":"\\u2028\\u2029"}'),
]


@pytest.mark.parametrize(("expression", "expected"), ORACLE, ids=[e for e, _ in ORACLE])
def test_expression_matches_terraform_console(tmp_path: Path, expression: str, expected: Any) -> None:
    value = _local(tmp_path, expression)
    assert not has_unknown(value)
    assert json_encode(value) == json_encode(expected)
    if isinstance(expected, (str, bool)):
        assert value == expected


def test_arithmetic_is_decimal_as_in_terraform(tmp_path: Path) -> None:
    # terraform 1.11 console: 0.3, 1.5, 4, -1, 1; and 0.7 and 0.1 up to its 512-bit binary
    # precision (0.7000...0006), which a float cannot hold anyway.
    assert json_encode(_local(tmp_path, "0.1 + 0.2")) == "0.3"
    assert json_encode(_local(tmp_path, "3 / 2")) == "1.5"
    assert json_encode(_local(tmp_path, "8 / 2")) == "4"
    assert json_encode(_local(tmp_path, "-7 % 3")) == "-1"
    assert json_encode(_local(tmp_path, "7 % -3")) == "1"
    assert json_encode(_local(tmp_path, "1.1 - 0.4")) == "0.7"
    assert json_encode(_local(tmp_path, "0.3 % 0.2")) == "0.1"


HEREDOCS = '''locals {
  plain = <<EOF
  indented
    more
EOF
  trimmed = <<-EOF
    first
      second
    third
  EOF
  interpolated = <<-EOT
    {
      "Version": "2012-10-17",
      "x": "${upper("y")}"
    }
  EOT
  escaped = <<EOF
$${literal} and %%{literal}
EOF
  tabs = <<-EOF
  \ttab
    space
  EOF
  raw = <<EOT
raw \\n "quoted" ${"interp"}
EOT
  marker_indented = <<-EOT
      a
    b
    EOT
  empty = <<EOT
EOT
}
'''


# Checked against terraform 1.11 console.
@pytest.mark.parametrize(("name", "expected"), [
    ("plain", "  indented\n    more\n"),
    ("trimmed", "first\n  second\nthird\n"),
    ("interpolated", '{\n  "Version": "2012-10-17",\n  "x": "Y"\n}\n'),
    ("escaped", "${literal} and %{literal}\n"),
    ("tabs", "tab\n space\n"),
    ("raw", 'raw \\n "quoted" interp\n'),
    ("marker_indented", "  a\nb\n"),
    ("empty", ""),
])
def test_heredoc_matches_terraform_console(tmp_path: Path, name: str, expected: str) -> None:
    module = _module(tmp_path, {"main.tf": HEREDOCS})
    assert module.local(name).value == expected


# --- unknowns ---------------------------------------------------------------------------------

UNKNOWNS = '''variable "acct" {}
locals {
  interpolated = "arn:aws:iam::${var.acct}:root"
  encoded      = jsonencode({a = var.acct, b = 1})
  concatenated = concat(["x"], [var.acct])
  merged       = merge({a = 1}, {b = var.acct})
  upper        = upper(var.acct)
  counted      = length([var.acct, 1])
  chosen       = var.acct == "x" ? "a" : "b"
  same         = var.acct == "x" ? "same" : "same"
  looped       = [for a in [var.acct] : a]
  arn          = aws_iam_role.r.arn
  name         = "${aws_iam_role.r.name}-x"
  first        = local.concatenated[0]
  unsupported  = regexall("a", "b")
  tried        = try(var.acct, "x")
  heredoc      = <<EOF
{"a": "${var.acct}"}
EOF
  template     = templatefile("${path.module}/t.tpl", { account = var.acct })
}
resource "aws_iam_role" "r" {
  name               = "n"
  assume_role_policy = "{}"
}
'''
NO_VALUE = "the variable has no default and no value is given"


@pytest.fixture
def unknowns(tmp_path: Path) -> Module:
    return _module(tmp_path, {"main.tf": UNKNOWNS, "t.tpl": '{"a": "${account}"}\n'})


@pytest.mark.parametrize("name", ["interpolated", "encoded", "upper", "chosen", "heredoc", "template", "tried"])
def test_a_value_built_from_an_unknown_is_unknown_as_a_whole(unknowns: Module, name: str) -> None:
    value = unknowns.local(name).value
    assert isinstance(value, Unknown)
    assert value.why == NO_VALUE


def test_the_unknown_names_the_value_it_depends_on(unknowns: Module) -> None:
    assert unknowns.local("interpolated").value == Unknown("var.acct", NO_VALUE)
    assert unknowns.local("encoded").value == Unknown("var.acct", NO_VALUE)


def test_collections_keep_their_unknown_elements(unknowns: Module) -> None:
    assert unknowns.local("concatenated").value == ["x", Unknown("var.acct", NO_VALUE)]
    assert unknowns.local("merged").value == {"a": 1, "b": Unknown("var.acct", NO_VALUE)}
    assert unknowns.local("looped").value == [Unknown("var.acct", NO_VALUE)]
    # what does not depend on the unknown stays known
    assert unknowns.local("counted").value == 2
    assert unknowns.local("same").value == "same"
    assert unknowns.local("first").value == "x"


def test_computed_attributes_are_known_only_after_apply(unknowns: Module) -> None:
    assert unknowns.local("arn").value == Unknown("aws_iam_role.r.arn", "known only after apply")
    assert unknowns.local("name").value == "n-x"  # a configured attribute is known


def test_an_unsupported_function_is_unknown_never_guessed(unknowns: Module) -> None:
    assert unknowns.local("unsupported").value == Unknown('regexall("a", "b")',
                                                          "function regexall() is not evaluated statically")


def test_template_directives_are_unknown(tmp_path: Path) -> None:
    value = _local(tmp_path, '"%{ if true }a%{ endif }"')
    assert isinstance(value, Unknown)
    assert "template directives" in value.why


# --- marks -----------------------------------------------------------------------------------

def test_marks_follow_a_value_through_locals_and_jsonencode(tmp_path: Path) -> None:
    module = _module(tmp_path, {"main.tf": '''locals {
  doc = {
    Statement = [{ Principal = { AWS = "arn:aws:iam::111122223333:root" } }]
  }
  encoded = jsonencode(local.doc)
}
'''})
    encoded = module.local("encoded")
    assert encoded.value == '{"Statement":[{"Principal":{"AWS":"arn:aws:iam::111122223333:root"}}]}'
    assert encoded.marks[()] == At("main.tf", 5, 13)  # the jsonencode call
    assert encoded.marks[("Statement",)] == At("main.tf", 3, 17)
    assert encoded.marks[("Statement", 0, "Principal")] == At("main.tf", 3, 32)
    assert encoded.marks[("Statement", 0, "Principal", "AWS")] == At("main.tf", 3, 40)


def test_marks_of_heredoc_json_are_lines_of_the_tf_file(tmp_path: Path) -> None:
    module = _module(tmp_path, {"main.tf": '''locals {
  trimmed = <<-EOT
    {
      "Statement": [
        {"Principal": {"AWS": "x"}}
      ]
    }
  EOT
  decoded = jsondecode(local.trimmed)
}
'''})
    mark = module.local("trimmed").marks[()]
    assert isinstance(mark, EmbeddedJson)
    assert mark.file == "main.tf"
    assert mark.marks[()] == (3, 5)
    assert mark.marks[("Statement",)] == (4, 7)
    assert mark.marks[("Statement", 0, "Principal", "AWS")] == (5, 24)
    decoded = module.local("decoded")
    assert decoded.value == {"Statement": [{"Principal": {"AWS": "x"}}]}
    assert decoded.marks[("Statement", 0, "Principal", "AWS")] == At("main.tf", 5, 24)


def test_marks_of_a_json_file_are_lines_of_that_file(tmp_path: Path) -> None:
    module = _module(tmp_path, {
        "main.tf": 'locals {\n  f = file("${path.module}/p.json")\n  g = file("p.json")\n}\n',
        "p.json": '{\n  "Statement": [\n    {"Effect": "Allow"}\n  ]\n}\n'})
    for name in ("f", "g"):
        mark = module.local(name).marks[()]
        assert isinstance(mark, EmbeddedJson)
        assert (mark.file, mark.marks[("Statement", 0, "Effect")]) == ("p.json", (3, 6))


def test_a_missing_file_is_unknown(tmp_path: Path) -> None:
    value = _local(tmp_path, 'file("nope.json")')
    assert value == Unknown('file("nope.json")', "nope.json is not a file of the module")


def test_templatefile_with_known_variables_renders(tmp_path: Path) -> None:
    (tmp_path / "t.tpl").write_text('{"a": "${account}", "b": ${jsonencode(list)}}\n')
    value = _local(tmp_path, 'templatefile("t.tpl", { account = "111122223333", list = ["x"] })')
    assert value == '{"a": "111122223333", "b": ["x"]}\n'


def test_concat_and_merge_move_marks_with_their_elements(tmp_path: Path) -> None:
    module = _module(tmp_path, {"main.tf": '''locals {
  a = ["x"]
  b = ["y"]
  c = concat(local.a, local.b)
  m = merge({ k = "1" }, { k = "2" })
}
'''})
    c = module.local("c")
    assert c.value == ["x", "y"]
    assert (c.marks[(0,)], c.marks[(1,)]) == (At("main.tf", 2, 8), At("main.tf", 3, 8))
    m = module.local("m")
    assert m.value == {"k": "2"}
    assert m.marks[("k",)] == At("main.tf", 5, 32)  # the "2" that wins


# --- syntax errors ---------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "message"), [
    ('resource "aws_iam_role" "x" {\n  name = "x"\n  assume_role_policy = {\n}\n',
     "invalid HCL at line 5, column 1: unexpected end of file (an unclosed block, bracket or string?)"),
    ('resource "aws_iam_role" "x" {\n  name = \n}\n', "invalid HCL at line 2, column 10: unexpected end of line"),
    ('resource "aws_iam_role" "x" {\n  name = "x" "y"\n}\n', "invalid HCL at line 2, column 14: unexpected '\"'"),
    ('locals {\n  a = [1, 2\n  b = 3\n}\n', "invalid HCL at line 3, column 3: unexpected 'b'"),
])
def test_a_syntax_error_is_one_line_with_line_and_column(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.tf"
    path.write_text(text)
    with pytest.raises(InputError) as raised:
        parse_tf_file(path, "bad.tf")
    assert str(raised.value) == message
    assert "\n" not in str(raised.value)


def test_parse_error_without_a_position() -> None:
    assert str(parse_error("x.tf", ValueError("boom\nmore"))) == "invalid HCL (boom)"
