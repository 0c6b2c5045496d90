"""`--compare-to-git REF`: the scanned paths written as they were at a git revision.

Every test builds real repositories with the installed git, isolated from the user's and the
system's configuration (`GIT_CONFIG_GLOBAL`, `GIT_CONFIG_NOSYSTEM`, a private HOME), and checks
exact outcomes: where each previous version is, what it holds, and the one-line errors.
Symlinks and gitlinks are committed through the index (`update-index --cacheinfo`), so these
tests need no filesystem symlinks and run the same on every platform.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Mapping

import pytest

from pyiamguard.compare_git import CompareGitError, PreviousVersion, materialize
from pyiamguard.errors import PyiamguardError

ROLE_V1 = "Resources:\n  Role:\n    Type: AWS::IAM::Role  # v1\n"
ROLE_V2 = "Resources:\n  Role:\n    Type: AWS::IAM::Role  # v2\n"
ROLE_V3 = "Resources:\n  Role:\n    Type: AWS::IAM::Role  # v3, not committed\n"


@pytest.fixture(autouse=True)
def _isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """git as on a fresh machine: no user or system configuration, a fixed identity and date,
    no variable pointing at another repository, no repository above the test's folders."""
    home = tmp_path / "home"
    home.mkdir()
    for name in list(os.environ):
        if name.startswith("GIT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    for who in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{who}_NAME", "Test")
        monkeypatch.setenv(f"GIT_{who}_EMAIL", "test@example.com")
        monkeypatch.setenv(f"GIT_{who}_DATE", "2024-01-01T00:00:00Z")


def git(cwd: Path, *args: str, input: bytes | None = None) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, input=input, capture_output=True, check=False)
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr.decode(errors='replace')}"
    return done.stdout.decode("utf-8", "surrogateescape").strip()


def make_repo(path: Path) -> Path:
    path.mkdir(parents=True)
    git(path, "-c", "init.defaultBranch=main", "init", "-q")
    return path


def commit(repo: Path, files: Mapping[str, str | None], message: str = "change") -> str:
    """Write (text) or delete (None) files, commit them and what the index holds, return the
    commit id. A deleted file's emptied directories go too, as git checkout would do."""
    for name, text in files.items():
        path = repo / name
        if text is None:
            path.unlink()
            parent = path.parent
            while parent != repo and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text.encode("utf-8"))
    if files:
        git(repo, "--literal-pathspecs", "add", "-A", "--", *files)
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def stage_link(repo: Path, name: str, points_to: str) -> None:
    """A symlink in the index (mode 120000), without one on disk."""
    blob = git(repo, "hash-object", "-w", "--stdin", input=points_to.encode("utf-8"))
    git(repo, "update-index", "--add", "--cacheinfo", f"120000,{blob},{name}")


def files_below(root: Path) -> dict[str, str]:
    """Every file below `root` (relative, "/" separators) and its text; no symlink allowed."""
    found: dict[str, str] = {}
    for directory, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            assert not os.path.islink(os.path.join(directory, name)), f"symlink written: {name}"
        for name in filenames:
            path = Path(directory, name)
            found[path.relative_to(root).as_posix()] = path.read_text("utf-8")
    return found


def top_of(repo: Path) -> str:
    return git(repo, "rev-parse", "--show-toplevel")


# --- files -----------------------------------------------------------------------------------


def test_a_modified_file_is_written_as_it_was_at_the_revision(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    first = commit(repo, {"infra/role.yaml": ROLE_V1, "other.json": "{}"})
    commit(repo, {"infra/role.yaml": ROLE_V2})
    (repo / "infra/role.yaml").write_text(ROLE_V3)
    into = tmp_path / "previous"
    target = str(repo / "infra" / "role.yaml")

    assert materialize([target], first, str(into)) == [
        PreviousVersion(target, str(into / "infra" / "role.yaml"), f"{first}:infra/role.yaml")]
    assert files_below(into) == {"infra/role.yaml": ROLE_V1}

    # A revision expression, as given, names the previous version.
    again = tmp_path / "again"
    assert materialize([target], "HEAD~1", str(again))[0].display == "HEAD~1:infra/role.yaml"
    assert files_below(again) == {"infra/role.yaml": ROLE_V1}
    assert materialize([target], "main", str(tmp_path / "head"))[0].display == "main:infra/role.yaml"
    assert files_below(tmp_path / "head") == {"infra/role.yaml": ROLE_V2}


def test_a_file_added_since_the_revision_has_no_previous_version(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    first = commit(repo, {"infra/old.yaml": ROLE_V1})
    commit(repo, {"infra/new.yaml": ROLE_V2})
    into = tmp_path / "previous"
    target = str(repo / "infra" / "new.yaml")

    assert materialize([target], first, str(into)) == [PreviousVersion(target, None, f"{first}:infra/new.yaml")]
    assert files_below(into) == {}

    # Not committed at all: the same.
    (repo / "infra" / "draft.yaml").write_text(ROLE_V3)
    draft = str(repo / "infra" / "draft.yaml")
    assert materialize([draft], "HEAD", str(into))[0].path is None


def test_a_file_deleted_since_the_revision_is_still_written(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    first = commit(repo, {"infra/gone.yaml": ROLE_V1, "infra/kept.yaml": ROLE_V2, "deep/a/b.json": "{}"})
    commit(repo, {"infra/gone.yaml": None, "deep/a/b.json": None})
    assert not (repo / "infra" / "gone.yaml").exists() and not (repo / "deep").exists()
    into = tmp_path / "previous"

    gone, deep = str(repo / "infra" / "gone.yaml"), str(repo / "deep" / "a" / "b.json")
    result = materialize([gone, deep, str(repo / "infra")], first, str(into))
    assert [r.path for r in result] == [str(into / "infra" / "gone.yaml"), str(into / "deep" / "a" / "b.json"),
                                        str(into / "infra")]
    assert files_below(into) == {"infra/gone.yaml": ROLE_V1, "infra/kept.yaml": ROLE_V2, "deep/a/b.json": "{}"}


# --- directories -----------------------------------------------------------------------------


def test_a_directory_target_gets_every_file_below_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "repo")
    first = commit(repo, {"infra/a.json": "a1", "infra/sub/b.yaml": "b1", "infra/sub/deeper/c.tf": "c1",
                          "other/x.json": "x1", "infra.json": "not below infra/"})
    commit(repo, {"infra/a.json": "a2", "infra/new.json": "n2", "infra/sub/b.yaml": None})
    monkeypatch.chdir(repo)
    into = tmp_path / "previous"

    assert materialize(["infra"], first, str(into)) == [PreviousVersion("infra", str(into / "infra"),
                                                                        f"{first}:infra")]
    assert files_below(into) == {"infra/a.json": "a1", "infra/sub/b.yaml": "b1", "infra/sub/deeper/c.tf": "c1"}


def test_a_directory_without_files_at_the_revision_is_an_empty_directory(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    sub = git(repo, "hash-object", "-w", "--stdin", input=b"")  # any object id will do for a gitlink
    commit(repo, {"a.json": "{}"})
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{sub},infra/vendored")
    first = commit(repo, {})
    (repo / "infra" / "vendored").mkdir(parents=True)
    into = tmp_path / "previous"

    # infra/ held only a submodule: a directory, empty.
    result = materialize([str(repo / "infra")], first, str(into))
    assert result[0].path == str(into / "infra") and (into / "infra").is_dir()
    assert files_below(into) == {}


def test_the_top_level_as_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "repo")
    first = commit(repo, {"root.json": "r1", "infra/a.json": "a1"})
    commit(repo, {"root.json": "r2", "infra/b.json": "b2"})
    monkeypatch.chdir(repo)
    into = tmp_path / "previous"

    assert materialize(["."], first, str(into)) == [PreviousVersion(".", str(into), f"{first}:")]
    assert files_below(into) == {"root.json": "r1", "infra/a.json": "a1"}

    # "." and ".." from a subdirectory: relative to where they are given.
    monkeypatch.chdir(repo / "infra")
    below = tmp_path / "below"
    assert materialize([".", ".."], first, str(below)) == [
        PreviousVersion(".", str(below / "infra"), f"{first}:infra"), PreviousVersion("..", str(below), f"{first}:")]
    assert files_below(below) == {"root.json": "r1", "infra/a.json": "a1"}
    assert materialize([str(repo)], first, str(tmp_path / "absolute"))[0].display == f"{first}:"


def test_targets_of_one_repository_share_one_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "repo")
    first = commit(repo, {"infra/a.json": "a1", "infra/b.json": "b1", "other/c.json": "c1", "skip/d.json": "d1"})
    commit(repo, {"infra/a.json": "a2"})
    monkeypatch.chdir(repo / "other")
    into = tmp_path / "previous"
    targets = [str(repo / "infra" / "a.json"), "c.json", "../infra", str(repo / "infra")]

    assert [(r.path, r.display) for r in materialize(targets, first, str(into))] == [
        (str(into / "infra" / "a.json"), f"{first}:infra/a.json"),
        (str(into / "other" / "c.json"), f"{first}:other/c.json"),
        (str(into / "infra"), f"{first}:infra"),
        (str(into / "infra"), f"{first}:infra"),
    ]
    assert files_below(into) == {"infra/a.json": "a1", "infra/b.json": "b1", "other/c.json": "c1"}


def test_targets_of_two_repositories_go_to_separate_trees(tmp_path: Path) -> None:
    one, two = make_repo(tmp_path / "one"), make_repo(tmp_path / "two")
    commit(one, {"role.json": "one v1", "iam/p.json": "one p1"})
    git(one, "tag", "base")
    commit(one, {"role.json": "one v2"})
    commit(two, {"role.json": "two v1"})
    commit(two, {"role.json": "two v2"})
    git(two, "tag", "base")  # the same name, another commit in each repository
    commit(two, {"role.json": "two v3"})
    into = tmp_path / "previous"

    result = materialize([str(two / "role.json"), str(one / "role.json"), str(two)], "base", str(into))
    assert result == [PreviousVersion(str(two / "role.json"), str(into / "1" / "role.json"), "base:role.json"),
                      PreviousVersion(str(one / "role.json"), str(into / "2" / "role.json"), "base:role.json"),
                      PreviousVersion(str(two), str(into / "1"), "base:")]
    assert files_below(into) == {"1/role.json": "two v2", "2/role.json": "one v1"}


def test_a_file_target_that_was_a_directory_and_the_reverse(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    first = commit(repo, {"policies/p.json": "was a directory", "roles": "was a file"})
    commit(repo, {"policies/p.json": None, "roles": None})
    commit(repo, {"policies": "now a file", "roles/r.json": "now a directory"})
    into = tmp_path / "previous"

    result = materialize([str(repo / "policies"), str(repo / "roles"), str(repo / "roles" / "r.json")], first,
                         str(into))
    assert [r.path for r in result] == [str(into / "policies"), str(into / "roles"), None]
    assert (into / "policies").is_dir() and (into / "roles").is_file()
    assert files_below(into) == {"policies/p.json": "was a directory", "roles": "was a file"}


def test_names_with_spaces_non_ascii_and_pattern_characters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "my repo")
    # Names that would be patterns or pathspec magic if git read them so (`*` and `:` are not
    # file name characters on Windows).
    patterns = {"[ab].json": "literal"} if os.name == "nt" else {"[ab].json": "literal", "*": "star",
                                                                 ":(exclude)x.json": "magic"}
    first = commit(repo, {"dä ta/rôle één.json": "v1", "dä ta/sub dir/日本.yaml": "j1", "a.json": "a match",
                          **patterns})
    commit(repo, {"dä ta/rôle één.json": "v2"})
    monkeypatch.chdir(repo)
    into = tmp_path / "pre vious"

    result = materialize(["dä ta/rôle één.json", "dä ta", *patterns], first, str(into))
    assert [(r.path, r.display) for r in result] == [
        (str(into / "dä ta" / "rôle één.json"), f"{first}:dä ta/rôle één.json"),
        (str(into / "dä ta"), f"{first}:dä ta"),
        *[(str(into / name), f"{first}:{name}") for name in patterns],
    ]
    assert files_below(into) == {"dä ta/rôle één.json": "v1", "dä ta/sub dir/日本.yaml": "j1", **patterns}


# --- symlinks, submodules, hostile trees -----------------------------------------------------


def test_symlinks_are_resolved_inside_the_repository_and_never_written(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    commit(repo, {"shared/trust.json": "shared trust", "infra/own.json": "own"})
    stage_link(repo, "infra/linked.json", "../shared/trust.json")    # inside the repository: its content
    stage_link(repo, "infra/passwd.json", "/etc/passwd")             # absolute: skipped
    stage_link(repo, "infra/escape.json", "../../outside.json")      # leaves the repository: skipped
    stage_link(repo, "infra/dangling.json", "missing.json")          # dangling: skipped
    stage_link(repo, "infra/loop.json", "loop.json")                 # a loop: skipped
    stage_link(repo, "infra/shared", "../shared")                    # a directory: not descended
    stage_link(repo, "single.json", "shared/trust.json")
    stage_link(repo, "out.json", "../outside.json")
    first = commit(repo, {})
    (tmp_path / "outside.json").write_text("outside the repository")
    into = tmp_path / "previous"

    result = materialize([str(repo / "infra"), str(repo / "single.json"), str(repo / "out.json")], first,
                         str(into))
    assert [r.path for r in result] == [str(into / "infra"), str(into / "single.json"), None]
    assert files_below(into) == {"infra/own.json": "own", "infra/linked.json": "shared trust",
                                 "single.json": "shared trust"}
    assert not (into / "infra" / "shared").exists()


def test_a_target_below_a_symlinked_directory_at_the_revision(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    commit(repo, {"real/r.json": "real r", "real/nested/n.json": "nested"})
    stage_link(repo, "infra", "real")
    first = commit(repo, {})
    git(repo, "rm", "-q", "--cached", "infra")
    commit(repo, {"infra/r.json": "now a directory"})
    into = tmp_path / "previous"

    result = materialize([str(repo / "infra" / "r.json"), str(repo / "infra")], first, str(into))
    assert [r.path for r in result] == [str(into / "infra" / "r.json"), str(into / "infra")]
    assert files_below(into) == {"infra/r.json": "real r", "infra/nested/n.json": "nested"}


def test_submodules_are_skipped(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    commit(repo, {"infra/a.json": "a"})
    some_commit = git(repo, "rev-parse", "HEAD")
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{some_commit},infra/module")
    first = commit(repo, {})
    into = tmp_path / "previous"

    result = materialize([str(repo / "infra"), str(repo / "infra" / "module")], first, str(into))
    assert [r.path for r in result] == [str(into / "infra"), None]
    assert files_below(into) == {"infra/a.json": "a"}


def test_export_attributes_do_not_change_the_previous_version(tmp_path: Path) -> None:
    """`git archive` would drop export-ignore files and rewrite export-subst ones."""
    repo = make_repo(tmp_path / "repo")
    first = commit(repo, {".gitattributes": "infra/hidden.json export-ignore\ninfra/subst.json export-subst\n",
                          "infra/hidden.json": "hidden", "infra/subst.json": "$Format:%H$"})
    into = tmp_path / "previous"

    materialize([str(repo / "infra")], first, str(into))
    assert files_below(into) == {"infra/hidden.json": "hidden", "infra/subst.json": "$Format:%H$"}


def _raw_tree(repo: Path, entries: list[tuple[str, bytes, str]]) -> str:
    """A tree object written as is (git's own commands refuse names such as `..`)."""
    data = b"".join(mode.encode() + b" " + name + b"\0" + bytes.fromhex(oid)
                    for mode, name, oid in sorted(entries, key=lambda e: e[1]))
    return git(repo, "hash-object", "-w", "--literally", "-t", "tree", "--stdin", input=data)


def test_hostile_names_in_the_tree_are_not_written(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    commit(repo, {"seed": "seed"})
    blob = git(repo, "hash-object", "-w", "--stdin", input=b"payload")
    inner = _raw_tree(repo, [("100644", b"escape.json", blob)])
    root = _raw_tree(repo, [("40000", b"..", inner), ("40000", b".git", inner), ("40000", b"ok", inner),
                            ("100644", b"fine.json", blob)])
    hostile = git(repo, "commit-tree", root, "-m", "hostile")
    into = tmp_path / "sandbox" / "previous"
    into.mkdir(parents=True)

    result = materialize([str(repo)], hostile, str(into))
    assert result == [PreviousVersion(str(repo), str(into), f"{hostile}:")]
    assert files_below(tmp_path / "sandbox") == {"previous/ok/escape.json": "payload", "previous/fine.json": "payload"}


# --- errors ----------------------------------------------------------------------------------


def test_a_revision_that_is_not_a_commit(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    commit(repo, {"role.json": "v1"})
    into = tmp_path / "previous"
    target = str(repo / "role.json")

    for ref in ("no-such-branch", "HEAD~5", "HEAD:role.json", "0" * 40):
        with pytest.raises(CompareGitError) as caught:
            materialize([target], ref, str(into))
        assert str(caught.value) == f"--compare-to-git {ref}: not a revision of the repository {top_of(repo)} " \
                                    f"(git rev-parse failed)"
    for ref in ("", "--output=/tmp/x", "main\nmain"):
        with pytest.raises(CompareGitError) as caught:
            materialize([target], ref, str(into))
        assert "\n" not in str(caught.value) and str(caught.value).endswith(": not a valid revision name")
    assert not into.exists()
    assert isinstance(caught.value, PyiamguardError)


def test_an_empty_repository_has_no_revision(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "role.json").write_text("{}")
    with pytest.raises(CompareGitError, match=r"^--compare-to-git HEAD: not a revision of the repository "):
        materialize([str(repo / "role.json")], "HEAD", str(tmp_path / "previous"))


def test_a_target_outside_any_work_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = tmp_path / "plain"
    (plain / "infra").mkdir(parents=True)
    (plain / "infra" / "role.yaml").write_text(ROLE_V1)
    monkeypatch.chdir(plain)
    for target in ("infra/role.yaml", "infra", "infra/missing.yaml", "."):
        with pytest.raises(CompareGitError) as caught:
            materialize([target], "main", str(tmp_path / "previous"))
        assert str(caught.value) == f"--compare-to-git main: {target} is not in a git work tree"

    # Inside the .git directory of a repository: not a work tree either.
    repo = make_repo(tmp_path / "repo")
    commit(repo, {"a.json": "{}"})
    with pytest.raises(CompareGitError) as caught:
        materialize([str(repo / ".git" / "config")], "HEAD", str(tmp_path / "previous"))
    assert str(caught.value) == f"--compare-to-git HEAD: {repo / '.git' / 'config'} is not in a git work tree"
    # A good target before a bad one: nothing is written.
    with pytest.raises(CompareGitError):
        materialize([str(repo / "a.json"), str(plain)], "HEAD", str(tmp_path / "previous"))
    assert not (tmp_path / "previous").exists()


def test_standard_input_has_no_previous_version(tmp_path: Path) -> None:
    with pytest.raises(CompareGitError) as caught:
        materialize(["-"], "main", str(tmp_path / "previous"))
    assert str(caught.value) == ("--compare-to-git main: standard input (-) has no previous version in git; "
                                 "name files or directories")


def test_git_missing_from_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "repo")
    commit(repo, {"a.json": "{}"})
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(CompareGitError) as caught:
        materialize([str(repo / "a.json")], "HEAD", str(tmp_path / "previous"))
    assert str(caught.value) == "--compare-to-git HEAD: git is not installed (not found on PATH)"


def test_a_shallow_clone_without_the_revision(tmp_path: Path) -> None:
    origin = make_repo(tmp_path / "origin")
    first = commit(origin, {"role.json": "v1"})
    commit(origin, {"role.json": "v2"})
    commit(origin, {"role.json": "v3"})
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", (origin.as_uri()), str(clone))
    assert git(clone, "rev-parse", "--is-shallow-repository") == "true"
    target = str(clone / "role.json")

    for ref in ("HEAD~2", first):
        with pytest.raises(CompareGitError) as caught:
            materialize([target], ref, str(tmp_path / "previous"))
        message = str(caught.value)
        assert message.startswith(f"--compare-to-git {ref}: not a revision of the repository {top_of(clone)}, "
                                  f"a shallow clone")
        assert "git fetch --deepen=<n>" in message and "fetch-depth: 0" in message and "\n" not in message

    # The revisions it has work; after deepening, the older ones too.
    assert materialize([target], "HEAD", str(tmp_path / "head"))[0].path == str(tmp_path / "head" / "role.json")
    assert files_below(tmp_path / "head") == {"role.json": "v3"}
    git(clone, "fetch", "-q", "--deepen=2")
    materialize([target], "HEAD~2", str(tmp_path / "deepened"))
    assert files_below(tmp_path / "deepened") == {"role.json": "v1"}


def test_a_repository_variable_in_the_environment_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In a git hook GIT_DIR names the hook's repository; each target still uses its own."""
    mine, other = make_repo(tmp_path / "mine"), make_repo(tmp_path / "other")
    commit(mine, {"role.json": "mine"})
    commit(other, {"role.json": "other"})
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    materialize([str(mine / "role.json")], "HEAD", str(tmp_path / "previous"))
    assert files_below(tmp_path / "previous") == {"role.json": "mine"}


def test_a_large_tree_takes_a_few_git_processes_not_one_per_file(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "repo")
    files = {f"infra/d{i % 7}/role-{i}.json": f"role {i}\n" * (i % 50) for i in range(400)}
    files["infra/big.json"] = "x" * (3 * 2**20)  # bigger than a pipe's buffer and a read chunk
    first = commit(repo, files)
    calls: list[list[str]] = []
    real_popen = subprocess.Popen

    def popen(args, *rest, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(list(args))
        return real_popen(args, *rest, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", popen)  # subprocess.run uses it too
    into = tmp_path / "previous"
    materialize([str(repo / "infra"), str(repo / "infra" / "d3")], first, str(into))

    assert files_below(into) == files
    git_commands = [c[3] for c in calls]  # git -C <dir> <command>
    assert git_commands == ["rev-parse", "rev-parse", "rev-parse", "rev-parse", "rev-parse",
                            "ls-tree", "ls-tree", "cat-file"]


def test_an_unwritable_destination_is_a_one_line_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    first = commit(repo, {"infra/a.json": "a"})
    into = tmp_path / "previous"
    into.mkdir()
    (into / "infra").write_text("a file where a directory must go")

    with pytest.raises(CompareGitError) as caught:
        materialize([str(repo / "infra")], first, str(into))
    assert str(caught.value).startswith(f"--compare-to-git {first}: cannot write the previous version of infra")
    assert "\n" not in str(caught.value)


def test_no_targets_no_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert materialize([], "main", str(tmp_path / "previous")) == []


def test_a_blob_missing_from_the_repository_is_an_error_not_a_new_file(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    first = commit(repo, {"infra/a.json": "a", "infra/b.json": "b"})
    blob = git(repo, "rev-parse", f"{first}:infra/b.json")
    (repo / ".git" / "objects" / blob[:2] / blob[2:]).unlink()  # loose: nothing is packed yet

    with pytest.raises(CompareGitError) as caught:
        materialize([str(repo / "infra")], first, str(tmp_path / "previous"))
    assert str(caught.value) == (f"--compare-to-git {first}: cannot read infra/b.json in {top_of(repo)}: "
                                 f"object {blob} is missing (git cat-file)")


def _fake_git(tmp_path: Path, hang_on: str) -> Path:
    """A folder holding a `git` that runs the real one, except that it hangs on `hang_on`."""
    real = shutil.which("git")
    assert real is not None
    folder = tmp_path / "fake-bin"
    folder.mkdir()
    script = folder / "fake_git.py"
    script.write_text("import subprocess, sys, time\n"
                      f"if {hang_on!r} in sys.argv:\n"
                      "    time.sleep(8)\n"
                      "    sys.exit(1)\n"
                      f"sys.exit(subprocess.call([{real!r}, *sys.argv[1:]]))\n")
    if os.name == "nt":
        (folder / "git.cmd").write_text(f'@"{sys.executable}" "{script}" %*\n')
    else:
        launcher = folder / "git"
        launcher.write_text(f"#!/bin/sh\nexec '{sys.executable}' '{script}' \"$@\"\n")
        launcher.chmod(0o755)
    return folder


@pytest.mark.parametrize("hang_on", ["ls-tree", "cat-file"])
def test_a_git_that_hangs_is_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hang_on: str) -> None:
    repo = make_repo(tmp_path / "repo")
    first = commit(repo, {"infra/a.json": "a"})
    monkeypatch.setenv("PATH", str(_fake_git(tmp_path, hang_on)) + os.pathsep + os.environ.get("PATH", ""))
    monkeypatch.setattr("pyiamguard.compare_git.TIMEOUT_SECONDS", 2.0)

    started = time.monotonic()
    with pytest.raises(CompareGitError) as caught:
        materialize([str(repo / "infra")], first, str(tmp_path / "previous"))
    assert time.monotonic() - started < 15
    where = top_of(repo)
    assert str(caught.value) == f"--compare-to-git {first}: git {hang_on} in {where} did not finish within 2 s"
