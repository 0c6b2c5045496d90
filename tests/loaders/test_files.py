"""pyiamguard.loaders.files: the directory walk, reading and format choice, classification."""
from __future__ import annotations

import codecs
import os
from pathlib import Path

import pytest

from pyiamguard.loaders import files
from pyiamguard.loaders.files import (Candidate, InputErrorAt, Skipped, candidates, classify,
                                      looks_like_iac_text, parse_bytes, read_source, skip_match)
from pyiamguard.loaders.source import InputError, Problem

TRUST = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}'


def _touch(path: Path, text: str = "{}") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _walked(root: Path) -> list[tuple[str, str]]:
    """(kind, path relative to root) for each item the walk yields, in order."""
    out = []
    for item in candidates([root]):
        if isinstance(item, Candidate):
            assert item.explicit is False
            assert item.display == str(item.path)
            out.append(("file" if item.kind == "file" else item.kind, os.path.relpath(item.path, root)))
        elif isinstance(item, Skipped):
            out.append((f"skipped: {item.reason}", os.path.relpath(item.display, root)))
        else:
            out.append((item.message, os.path.relpath(item.display, root)))
    return out


# --- candidates / walk -------------------------------------------------------------------------


def test_walk_picks_scanned_suffixes_case_insensitively_in_sorted_order(tmp_path: Path) -> None:
    for name in ["b.yaml", "a.json", "C.YML", "d.template", "e.Json", "notes.txt", "f.json.bak", "README", "g.jsonl"]:
        _touch(tmp_path / name)
    assert _walked(tmp_path) == [
        ("file", "C.YML"),
        ("file", "a.json"),
        ("file", "b.yaml"),
        ("file", "d.template"),
        ("file", "e.Json"),
    ]


def test_walk_descends_into_subdirectories_after_the_files_of_a_directory(tmp_path: Path) -> None:
    _touch(tmp_path / "z.json")
    _touch(tmp_path / "a" / "deep" / "x.yml")
    _touch(tmp_path / "b" / "y.json")
    assert _walked(tmp_path) == [
        ("file", "z.json"),
        ("file", os.path.join("a", "deep", "x.yml")),
        ("file", os.path.join("b", "y.json")),
    ]


@pytest.mark.parametrize(
    "skipped", [".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".terraform", ".tox"]
)
def test_walk_skips_vcs_dependency_and_cache_directories(tmp_path: Path, skipped: str) -> None:
    _touch(tmp_path / skipped / "policy.json", TRUST)
    _touch(tmp_path / skipped / "nested" / "more.json", TRUST)
    _touch(tmp_path / "kept" / "policy.json", TRUST)
    assert _walked(tmp_path) == [("file", os.path.join("kept", "policy.json"))]


def test_skipped_directory_names_are_matched_exactly(tmp_path: Path) -> None:
    _touch(tmp_path / "my.git" / "a.json")
    _touch(tmp_path / "node_modules2" / "b.json")
    assert _walked(tmp_path) == [
        ("file", os.path.join("my.git", "a.json")),
        ("file", os.path.join("node_modules2", "b.json")),
    ]


def test_broken_symlink_in_a_walk_is_reported_not_scanned(tmp_path: Path) -> None:
    _touch(tmp_path / "a.json")
    (tmp_path / "broken.json").symlink_to(tmp_path / "nowhere.json")
    assert _walked(tmp_path) == [("file", "a.json"), ("broken symbolic link", "broken.json")]


def test_symlink_to_a_file_is_scanned_under_its_link_name(tmp_path: Path) -> None:
    _touch(tmp_path / "real" / "policy.json")
    (tmp_path / "link.json").symlink_to(tmp_path / "real" / "policy.json")
    assert _walked(tmp_path) == [("file", "link.json"), ("file", os.path.join("real", "policy.json"))]


def test_symlink_loop_inside_a_walked_directory_terminates(tmp_path: Path) -> None:
    _touch(tmp_path / "sub" / "s.json")
    (tmp_path / "sub" / "up").symlink_to(tmp_path)  # directory loop
    (tmp_path / "sub" / "self").symlink_to(tmp_path / "sub")  # directory loop
    (tmp_path / "loop1.json").symlink_to(tmp_path / "loop2.json")  # file-name loop
    (tmp_path / "loop2.json").symlink_to(tmp_path / "loop1.json")
    assert _walked(tmp_path) == [
        ("broken symbolic link", "loop1.json"),
        ("broken symbolic link", "loop2.json"),
        ("file", os.path.join("sub", "s.json")),
    ]


def test_fifo_named_like_a_policy_in_a_walk_is_not_a_candidate(tmp_path: Path) -> None:
    # Reading a FIFO without a writer blocks forever: the walk must not hand it to read_source
    # (an explicitly named FIFO is already refused as "not a regular file").
    _touch(tmp_path / "a.json")
    os.mkfifo(tmp_path / "pipe.json")
    walked = _walked(tmp_path)
    assert ("file", "pipe.json") not in walked
    assert walked[0] == ("file", "a.json")


def test_explicit_file_is_an_explicit_candidate_with_the_name_as_given(tmp_path: Path) -> None:
    path = _touch(tmp_path / "trust.json", TRUST)
    assert list(candidates([path])) == [Candidate(path, str(path), explicit=True)]


def test_explicit_file_with_any_suffix_is_a_candidate(tmp_path: Path) -> None:
    path = _touch(tmp_path / "trust.txt", TRUST)
    assert list(candidates([str(path)])) == [Candidate(path, str(path), explicit=True)]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: None, "no such file or directory"),
        (lambda p: p.symlink_to(p.parent / "nowhere.json"), "broken symbolic link"),
        (lambda p: os.mkfifo(p), "not a regular file"),
    ],
    ids=["missing", "broken-symlink", "fifo"],
)
def test_explicit_path_problems_are_errors_for_that_path(tmp_path: Path, make, message: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "given.json"
    make(path)
    assert list(candidates([str(path)])) == [InputErrorAt(str(path), message)]


def test_explicit_character_device_is_not_a_regular_file() -> None:
    assert list(candidates(["/dev/null"])) == [InputErrorAt("/dev/null", "not a regular file")]


def test_candidates_keep_the_order_of_the_given_paths(tmp_path: Path) -> None:
    a = _touch(tmp_path / "a.json")
    _touch(tmp_path / "dir" / "x.json")
    items = list(candidates([tmp_path / "missing.json", tmp_path / "dir", a]))
    assert items == [
        InputErrorAt(str(tmp_path / "missing.json"), "no such file or directory"),
        Candidate(tmp_path / "dir" / "x.json", str(tmp_path / "dir" / "x.json"), explicit=False),
        Candidate(a, str(a), explicit=True),
    ]


# --- read_source ----------------------------------------------------------------------------------


def _read(path: Path):  # type: ignore[no-untyped-def]
    return read_source(Candidate(path, str(path), explicit=True))


def test_json_file_is_read_with_the_json_parser(tmp_path: Path) -> None:
    source = _read(_touch(tmp_path / "p.json", TRUST))
    assert source.format == "json"
    assert source.name == str(tmp_path / "p.json")
    assert source.root["Statement"][0]["Principal"] == {"AWS": "*"}


def test_format_is_chosen_by_content_not_by_suffix(tmp_path: Path) -> None:
    assert _read(_touch(tmp_path / "p.yaml", "  \n" + TRUST)).format == "json"
    assert _read(_touch(tmp_path / "p.json", "Statement: []\n")).format == "yaml"
    assert _read(_touch(tmp_path / "list.template", "[" + TRUST + "]")).format == "json"


def test_tab_indented_json_template_is_read_as_json(tmp_path: Path) -> None:
    source = _read(_touch(tmp_path / "t.template", '{\n\t"Resources": {\n\t\t"R": {"Type": "AWS::IAM::Role"}\n\t}\n}\n'))
    assert source.format == "json"
    assert source.root == {"Resources": {"R": {"Type": "AWS::IAM::Role"}}}


def test_yaml_file_keeps_octal_problem(tmp_path: Path) -> None:
    source = _read(_touch(tmp_path / "t.yaml", "Principal:\n  AWS: 000000000017\n"))
    assert source.format == "yaml"
    assert source.problems == [Problem("octal_number", ("Principal", "AWS"), "000000000017")]


@pytest.mark.parametrize(
    ("bom", "codec"),
    [(codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"), (codecs.BOM_UTF8, "utf-8"), (b"", "utf-16-le")],
    ids=["utf16-le-bom", "utf16-be-bom", "utf8-bom", "utf16-le-no-bom"],
)
def test_utf16_policy_file_is_read_as_json(tmp_path: Path, bom: bytes, codec: str) -> None:
    path = tmp_path / "p.json"
    path.write_bytes(bom + TRUST.encode(codec))
    source = _read(path)
    assert source.format == "json"
    assert source.root["Statement"][0]["Action"] == "sts:AssumeRole"


def test_utf16_yaml_file_is_read_as_yaml(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes(codecs.BOM_UTF16_LE + "Statement:\n  - Effect: Allow\n".encode("utf-16-le"))
    source = _read(path)
    assert (source.format, source.root) == ("yaml", {"Statement": [{"Effect": "Allow"}]})


@pytest.mark.parametrize("content", [b"", b"   \n\t\n", codecs.BOM_UTF8], ids=["empty", "whitespace", "bom-only"])
def test_empty_file_is_an_input_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "e.json"
    path.write_bytes(content)
    with pytest.raises(InputError) as err:
        _read(path)
    assert str(err.value) == "empty file"


def test_invalid_utf8_file_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(b'{"Sid": "\xc3\x28"}')
    with pytest.raises(InputError) as err:
        _read(path)
    assert str(err.value) == "not UTF-8 text (invalid byte at offset 9)"


def test_binary_file_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "blob.json"
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(128)))
    with pytest.raises(InputError) as err:
        _read(path)
    assert str(err.value) == "binary data, not a text file"


def test_file_over_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:  # sparse: no disk space used
        handle.truncate(300 * 2**20)
    with pytest.raises(InputError) as err:
        _read(path)
    assert str(err.value) == "file is 300 MiB, over the 256 MiB limit"


def test_yaml_over_the_yaml_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    line = b"- arn:aws:iam::111122223333:role/" + b"x" * 30 + b"\n"
    path.write_bytes(b"Roles:\n" + line * (files.MAX_YAML_BYTES // len(line) + 1))
    with pytest.raises(InputError) as err:
        _read(path)
    assert str(err.value) == "YAML file over the 16 MiB limit"


def test_json_over_the_yaml_limit_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    item = '"arn:aws:iam::111122223333:role/' + "x" * 30 + '"'
    count = files.MAX_YAML_BYTES // len(item) + 1
    path.write_text("[" + ",".join([item] * count) + "]")
    source = _read(path)
    assert source.format == "json"
    assert len(source.root) == count


def test_json_nested_100000_deep_file_is_an_input_error(tmp_path: Path) -> None:
    path = _touch(tmp_path / "deep.json", "[" * 100_000 + "]" * 100_000)
    with pytest.raises(InputError) as err:
        _read(path)
    assert str(err.value) == "JSON nested too deeply"


def test_reading_a_directory_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        _read(tmp_path)
    assert str(err.value) == "cannot read: Is a directory"


# --- classify ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("root", "expected"),
    [
        ({"format_version": "1.2", "resource_changes": []}, "terraform-plan"),
        ({"format_version": "1.0", "planned_values": {}}, "terraform-plan"),
        ({"format_version": "1.0", "values": {}}, "terraform-plan"),
        ({"format_version": "1.0", "prior_state": {}}, "terraform-plan"),
        ({"format_version": "1.0"}, None),
        ({"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}}, "cloudformation"),
        ({"Resources": {"R": {"Type": "AWS::IAM::Role"}}}, "cloudformation"),
        ({"Transform": "AWS::Serverless-2016-10-31", "Resources": {"F": {"Type": "AWS::Serverless::Function"}}}, "cloudformation"),
        ({"Resources": {"C": {"Type": "Custom::Thing"}}}, "cloudformation"),
        ({"Resources": {"Fn::ForEach::Roles": ["N", ["a"], {"${N}": {"Type": "AWS::IAM::Role"}}]}}, "cloudformation"),
        ({"Resources": {"R": {"Type": "Other::Thing"}}}, None),
        ({"Resources": [{"Type": "AWS::IAM::Role"}]}, None),
        (dict(Version="2012-10-17", Statement=[]), "iam"),
        ([{"Statement": []}, {"Statement": {}}], "iam"),
        ({"Role": {"RoleName": "r", "AssumeRolePolicyDocument": "%7B%7D"}}, "iam"),
        ({"RoleDetailList": [], "Policies": []}, "iam"),
        ({"RoleName": "r", "PolicyName": "p", "PolicyDocument": {}}, "iam"),
        ({"PolicyVersion": {"Document": {}, "VersionId": "v1"}}, "iam"),
        ([], None),
        ([{"Statement": []}, {"x": 1}], None),
        ({"PolicyDocument": {}}, None),
        ({"name": "package.json"}, None),
        ("text", None),
        (None, None),
    ],
)
def test_classify_recognises_each_input_family(root: object, expected: str | None) -> None:
    assert classify(root) == expected


# --- looks_like_iac_text -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "marker",
    ["Statement", "AWSTemplateFormatVersion", "Resources", "resource_changes", "format_version",
     "AssumeRolePolicyDocument", "RoleDetailList", "Principal"],
)
def test_text_with_an_iac_word_looks_like_iac(tmp_path: Path, marker: str) -> None:
    path = _touch(tmp_path / "broken.json", '{"%s": [ ' % marker)
    assert looks_like_iac_text(path) is True


def test_unrelated_text_does_not_look_like_iac(tmp_path: Path) -> None:
    path = _touch(tmp_path / "package.json", '{"name": "x", "dependencies": {')
    assert looks_like_iac_text(path) is False


def test_marker_words_are_case_sensitive(tmp_path: Path) -> None:
    assert looks_like_iac_text(_touch(tmp_path / "a.json", '{"statement": 1')) is False


def test_unreadable_path_is_assumed_to_be_iac(tmp_path: Path) -> None:
    assert looks_like_iac_text(tmp_path / "missing.json") is True


def test_utf16_policy_text_looks_like_iac(tmp_path: Path) -> None:
    # read_source accepts UTF-16 (PowerShell writes it), so a broken UTF-16 policy must not be
    # skipped as "not ours" by a walk when the same file in UTF-8 would be reported.
    path = tmp_path / "broken.json"
    path.write_bytes(codecs.BOM_UTF16_LE + '{"Statement": [ '.encode("utf-16-le"))
    assert looks_like_iac_text(path) is True


# --- Terraform sources, binary plans, configuration files, skip paths, stdin --------------------


def test_a_directory_of_tf_files_is_one_terraform_module(tmp_path: Path) -> None:
    _touch(tmp_path / "main.tf", 'resource "aws_iam_role" "r" {}\n')
    _touch(tmp_path / "variables.tf", 'variable "x" {}\n')
    _touch(tmp_path / "cdk.tf.json", '{"resource": {}}')  # read with the module, not as a policy
    _touch(tmp_path / "mod" / "x.TF", "")
    _touch(tmp_path / "json-only" / "main.tf.json", '{"resource": {}}')
    _touch(tmp_path / "policy.json", TRUST)
    assert _walked(tmp_path) == [
        ("terraform-module", "."),
        ("file", "policy.json"),
        ("terraform-module", "json-only"),
        ("terraform-module", "mod"),
    ]


def test_a_named_tf_file_is_its_directory_module_once(tmp_path: Path) -> None:
    tf = _touch(tmp_path / "main.tf", 'resource "aws_iam_role" "r" {}\n')
    other = _touch(tmp_path / "iam.tf.json", '{"variable": {}}')
    module = Candidate(tmp_path, str(tmp_path), explicit=True, kind="terraform-module")
    assert list(candidates([tf, other])) == [module]
    assert list(candidates([tf], named_as_found=True)) == [Candidate(tmp_path, str(tmp_path), explicit=False,
                                                                     kind="terraform-module")]


def _zip(members: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_binary_terraform_plan_says_to_run_terraform_show(tmp_path: Path) -> None:
    plan = tmp_path / "tfplan"
    plan.write_bytes(_zip({"tfplan": b"\x00binary", "tfstate": b"{}", "tfconfig/m-/main.tf": b""}))
    with pytest.raises(InputError) as info:
        read_source(Candidate(plan, str(plan), explicit=True))
    assert str(info.value) == ("a binary Terraform plan (`terraform plan -out`): pyiamguard reads its JSON form, so "
                               "run `terraform show -json <plan file> > tfplan.json` and scan tfplan.json")
    with pytest.raises(InputError, match="^a zip archive, not a JSON or YAML file$"):
        parse_bytes("lambda.zip", _zip({"index.py": b"print(1)"}))


def test_configuration_files_in_a_walk_are_listed_as_skipped(tmp_path: Path) -> None:
    _touch(tmp_path / ".pyiamguard.yaml", "fail_on: high\n")
    _touch(tmp_path / "sub" / ".pyiamguard.yml", "fail_on: high\n")
    reason = "skipped: the pyiamguard configuration file (read from the working directory or with --config), not a policy"
    assert _walked(tmp_path) == [(reason, ".pyiamguard.yaml"), (reason, os.path.join("sub", ".pyiamguard.yml"))]


@pytest.mark.parametrize(("path", "globs", "root", "expected"), [
    ("iam/legacy/a.json", ("legacy",), None, None),                      # a name matches a name, not a part
    ("iam/legacy", ("legacy",), None, "legacy"),
    ("./tests/fixtures/a.json", ("tests/fixtures/*",), None, "tests/fixtures/*"),
    ("/repo/tests/fixtures/a.json", ("tests/fixtures/*",), "/repo", "tests/fixtures/*"),
    ("/repo/tests/fixtures/a.json", ("tests/fixtures/*",), None, None),  # not under the scanned root
    ("a/b/fixtures/c.json", ("*/fixtures/*",), None, "*/fixtures/*"),
    ("cfn/stack.template", ("*.template",), None, "*.template"),
    ("cfn\\stack.yaml", ("cfn/*",), None, "cfn/*"),
    ("cfn/stack.yaml", ("./cfn/*", "*.yaml"), None, "./cfn/*"),
    ("cfn/stack.yaml", (), None, None),
])
def test_skip_match(path: str, globs: tuple[str, ...], root: str | None, expected: str | None) -> None:
    assert skip_match(path, globs, root) == expected


def test_skip_paths_leave_out_directories_and_files_of_a_walk(tmp_path: Path) -> None:
    _touch(tmp_path / "iam" / "a.json", TRUST)
    _touch(tmp_path / "iam" / "legacy" / "b.json", TRUST)
    _touch(tmp_path / "cfn" / "s.template", "{}")
    found = [(type(item).__name__, os.path.relpath(item.display, tmp_path))
             for item in candidates([tmp_path], skip_paths=("legacy", "*.template"))]
    assert found == [("Skipped", os.path.join("cfn", "s.template")), ("Skipped", os.path.join("iam", "legacy")),
                     ("Candidate", os.path.join("iam", "a.json"))]
    named = tmp_path / "iam" / "a.json"
    assert list(candidates([named], skip_paths=("a.json",))) == [Skipped(str(named), "matches skip path 'a.json'")]


def test_dash_is_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    [item] = candidates(["-"], stdin_name="iam/piped.json")
    assert item == Candidate(None, "iam/piped.json", explicit=True)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(TRUST.encode())))
    source = read_source(item)
    assert source.name == "iam/piped.json" and source.root["Statement"][0]["Principal"] == {"AWS": "*"}
