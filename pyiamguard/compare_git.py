"""The scanned paths as they were at a git revision (`--compare-to-git REF`).

`materialize(targets, ref, into)` writes, for each scan target (a file or a directory), its
content at the revision `ref` below the directory `into`, keeping its path relative to the top
level of its repository, and says where (`PreviousVersion`). The scan then compares each
target with that previous version.

Layout. All targets of one repository share one tree: the target `infra/role.yaml` of the
repository `/src/app` is written to `into/infra/role.yaml`, the top level of the repository
(`.`) is `into` itself. When the targets belong to several repositories, each repository gets
its own tree `into/<n>/` (n = 1, 2, ... in the order the targets first name them), so that
their files stay apart. Each repository resolves `ref` itself (`HEAD` is each one's HEAD).

How the files are read: `git ls-tree -r -z` lists the blobs below a target at the revision
(one process per target), and one `git cat-file --batch --follow-symlinks` per repository
streams their contents, written one by one (never a whole tree in memory). Not `git archive`:

* `git archive` applies the `export-ignore` and `export-subst` attributes of the revision's
  `.gitattributes`: a file marked `export-ignore` would be missing from the previous version
  (all its findings would look new), an `export-subst` file would be rewritten. `cat-file`
  gives the blobs exactly as committed.
* Symlinks are resolved by git inside the revision's tree (`--follow-symlinks`) and written as
  regular files holding the content they point to, as a scan of the working tree reads them;
  nothing below `into` is ever a symlink, so nothing written can point outside it. A link that
  leaves the repository, dangles, loops or names a directory is skipped (the working-tree walk
  does not descend into linked directories either).
* No tar stream to parse and sanitise (`tarfile`'s `filter="data"` is missing from early
  Python 3.10 and 3.11 releases). Names still come from a repository that may be hostile:
  each entry is checked (no empty, `.`, `..` or `.git` component, no separator or drive
  character of the platform), written with `O_NOFOLLOW` where the platform has it, and
  only below directories this module created.

Where a target is: git finds its repository and its path from the target's directory (a file
target: its parent), `git -C <dir> rev-parse --show-toplevel` and `--show-prefix`; a target
below a symlinked directory of the working tree is thus named by its real place. A target
missing from the working tree (deleted since the revision) is looked up from the nearest
directory above it that exists.

Submodules (gitlinks) are skipped. A target that did not exist at the revision (a file added
since) has `path` None: all its findings are new. A file target that was a directory at the
revision, or the reverse, gets what the revision held: `path` is then a directory (or a file).

Every failure is a `CompareGitError` with a one-line message naming the revision and the path:
a target outside any git work tree, standard input (`-`), a revision that does not name a
commit (with advice to fetch more history when the clone is shallow), git missing or timing
out, a file that cannot be written. git runs without a shell, with a timeout, with the
variables that would point it at another repository (`GIT_DIR`, `GIT_WORK_TREE`, ...) removed
and with literal pathspecs (`GIT_LITERAL_PATHSPECS`), so that names like `*.json` or
`:(exclude)x.json` mean themselves.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from typing import IO, Sequence

from .errors import CompareGitError

# Seconds each git command may take; copying the blobs of a large tree is one command.
TIMEOUT_SECONDS = 600.0

STDIN = "-"

# The variables that make git use a repository other than the one found from `-C <dir>`
# (`git rev-parse --local-env-vars`, without the configuration ones): set in git hooks, they
# would send every target to the hook's repository.
_REPOSITORY_VARIABLES = ("GIT_DIR", "GIT_WORK_TREE", "GIT_IMPLICIT_WORK_TREE", "GIT_INDEX_FILE",
                         "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES",
                         "GIT_GRAFT_FILE", "GIT_NO_REPLACE_OBJECTS", "GIT_REPLACE_REF_BASE", "GIT_PREFIX",
                         "GIT_INTERNAL_SUPER_PREFIX", "GIT_SHALLOW_FILE")

_MODE_GITLINK = b"160000"
_MODE_SYMLINK = b"120000"
_OBJECT_HEADER = re.compile(rb"^([0-9a-f]{40}|[0-9a-f]{64}) (blob|tree|commit|tag) ([0-9]+)$")
_SPECIAL_HEADER = re.compile(rb"^(symlink|dangling|loop|notdir) ([0-9]+)$")
_COMMIT_ID = re.compile(r"^([0-9a-f]{40}|[0-9a-f]{64})$")
_CHUNK = 1 << 16


@dataclass(frozen=True)
class PreviousVersion:
    """One scan target and its previous version.

    `target`: the target as given (a file or directory path). `path`: where its content at the
    revision was written (a file or a directory below `into`); None when it did not exist at
    the revision. `display`: how reports name the previous version's root, in git's blob
    notation `REF:relative/path` (relative to the repository's top level, `/` separators;
    `REF:` alone for the top level)."""

    target: str
    path: str | None
    display: str


def materialize(targets: Sequence[str | os.PathLike[str]], ref: str, into: str | os.PathLike[str]) -> list[PreviousVersion]:
    """Write each target's content at `ref` below the directory `into` (keeping the path
    relative to its repository's top level), and say where: one `PreviousVersion` per target,
    in the order of `targets`. `into` is created when missing; it should be empty (a
    temporary directory). Raises `CompareGitError`."""
    ref = str(ref)
    into = os.path.abspath(os.fspath(into))
    if not targets:
        return []
    if not ref or ref.startswith("-") or "\n" in ref or "\0" in ref:
        raise CompareGitError(f"{_prefix(ref)}not a valid revision name")
    git = shutil.which("git")
    if git is None:
        raise CompareGitError(f"{_prefix(ref)}git is not installed (not found on PATH)")
    runner = _Git(git, ref)

    located = [runner.locate(os.fspath(target)) for target in targets]
    repositories: dict[str, _Repository] = {}
    for item in located:
        key = os.path.normcase(os.path.realpath(item.top))
        if key not in repositories:
            repositories[key] = _Repository(item.top, runner.commit_of(item.top))
        item.repository = repositories[key]
    several = len(repositories) > 1
    for number, repository in enumerate(repositories.values(), start=1):
        repository.root = os.path.join(into, str(number)) if several else into

    try:
        os.makedirs(into, exist_ok=True)
    except OSError as exc:
        raise CompareGitError(f"{_prefix(ref)}cannot create {_show(into)}: {exc.strerror or exc}") from None
    plans = [runner.plan(item) for item in located]
    for repository in repositories.values():
        writer = _Writer(runner, repository)
        for plan in plans:
            if plan.located.repository is repository:
                writer.add(plan)
        writer.run()

    results = []
    for plan in plans:
        item = plan.located
        display = f"{ref}:{item.relpath}"
        results.append(PreviousVersion(item.target, plan.result_path(), display))
    return results


# --- internals -------------------------------------------------------------------------------


@dataclass
class _Repository:
    top: str
    commit: str
    root: str = ""
    # Paths (relative, bytes, "/" separators) already written, and directories known safe.
    written: set[bytes] = field(default_factory=set)
    safe_dirs: set[str] = field(default_factory=set)


@dataclass
class _Located:
    target: str
    top: str
    relpath: str  # relative to the top level, "/" separators, "" for the top level itself
    repository: _Repository | None = None


@dataclass
class _Entry:
    """A blob to write: `dest` (relative to the repository root, bytes) from `request` (a line
    of `git cat-file --batch` input: an object id, or `commit:path` to follow a symlink)."""

    dest: bytes
    request: bytes
    follow: bool = False


@dataclass
class _Plan:
    located: _Located
    kind: str  # "file", "directory" or "absent"
    entries: list[_Entry] = field(default_factory=list)

    def result_path(self) -> str | None:
        item = self.located
        assert item.repository is not None
        repository = item.repository
        path = os.path.join(repository.root, *item.relpath.split("/")) if item.relpath else repository.root
        if self.kind == "directory":
            return path
        if self.kind == "file" and os.fsencode(item.relpath) in repository.written:
            return path
        return None


class _Git:
    """Runs git for one `materialize` call: the executable, the revision, the environment."""

    def __init__(self, executable: str, ref: str) -> None:
        self.executable = executable
        self.ref = ref
        env = {k: v for k, v in os.environ.items() if k not in _REPOSITORY_VARIABLES}
        env.update(GIT_LITERAL_PATHSPECS="1", GIT_TERMINAL_PROMPT="0", GIT_OPTIONAL_LOCKS="0")
        env.pop("GIT_GLOB_PATHSPECS", None)
        env.pop("GIT_ICASE_PATHSPECS", None)
        env.pop("GIT_NOGLOB_PATHSPECS", None)
        self.env = env
        self._tops: dict[str, tuple[str, str]] = {}

    def fail(self, message: str) -> CompareGitError:
        return CompareGitError(_prefix(self.ref) + message)

    def run(self, directory: str, args: list[str], input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        try:
            return subprocess.run([self.executable, "-C", directory, *args], input=input, capture_output=True,
                                  check=False, env=self.env, timeout=TIMEOUT_SECONDS,
                                  stdin=None if input is not None else subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise self.fail(f"git {args[0]} in {_show(directory)} did not finish within {TIMEOUT_SECONDS:.0f} s") from None
        except OSError as exc:
            raise self.fail(f"git cannot run: {exc.strerror or exc}") from None

    def locate(self, target: str) -> _Located:
        """The repository of `target` and its path relative to the top level."""
        if target == STDIN:
            raise self.fail("standard input (-) has no previous version in git; name files or directories")
        absolute = os.path.abspath(target)
        start = absolute
        tail: list[str] = []
        if not os.path.isdir(start):
            # A file, or a path missing from the working tree (deleted since the revision):
            # git runs in the nearest existing directory above it.
            while not os.path.isdir(start):
                parent, name = os.path.split(start)
                if parent == start:
                    break
                tail.insert(0, name)
                start = parent
        if start not in self._tops:
            self._tops[start] = self._top_and_prefix(target, start)
        top, prefix = self._tops[start]
        relpath = (prefix + "/".join(tail)).strip("/")
        return _Located(target, top, relpath)

    def _top_and_prefix(self, target: str, start: str) -> tuple[str, str]:
        done = self.run(start, ["rev-parse", "--show-toplevel"])
        if done.returncode != 0 or not done.stdout.strip():
            reason = _git_reason(done.stderr)
            if not reason or "not a git repository" in reason or "must be run in a work tree" in reason:
                raise self.fail(f"{_show(target)} is not in a git work tree")
            raise self.fail(f"cannot find the git repository of {_show(target)}: {reason} (git rev-parse failed)")
        top = os.fsdecode(_line(done.stdout))
        done = self.run(start, ["rev-parse", "--show-prefix"])
        if done.returncode != 0:
            raise self.fail(f"cannot find {_show(target)} in the git repository {_show(top)}: "
                            f"{_git_reason(done.stderr)} (git rev-parse failed)")
        return top, os.fsdecode(_line(done.stdout))

    def commit_of(self, top: str) -> str:
        """The commit `ref` names in the repository `top`."""
        done = self.run(top, ["rev-parse", "--verify", "--quiet", f"{self.ref}^{{commit}}"])
        commit = done.stdout.decode("ascii", "replace").strip()
        if done.returncode == 0 and _COMMIT_ID.match(commit):
            return commit
        shallow = self.run(top, ["rev-parse", "--is-shallow-repository"])
        if shallow.returncode == 0 and shallow.stdout.strip() == b"true":
            raise self.fail(f"not a revision of the repository {_show(top)}, a shallow clone whose history may not "
                            f"reach it (git rev-parse failed): fetch more history (`git fetch --deepen=<n>`, or "
                            f"`git fetch origin <branch>`), or check out with `fetch-depth: 0` (actions/checkout)")
        raise self.fail(f"not a revision of the repository {_show(top)} (git rev-parse failed)")

    def plan(self, item: _Located) -> _Plan:
        """What the revision holds at the target: a file, a directory (its blobs), or nothing."""
        assert item.repository is not None
        commit = item.repository.commit
        rel = os.fsencode(item.relpath)
        entries = self.ls_tree(item, commit, item.relpath or None)
        if rel and len(entries) == 1 and entries[0][2] == rel:
            mode, object_id, path = entries[0]
            if mode == _MODE_GITLINK:
                return _Plan(item, "absent")  # a submodule
            if mode != _MODE_SYMLINK:
                return _Plan(item, "file", [_Entry(rel, object_id)])
            return self._through_symlinks(item, commit, rel)
        if not entries:
            if not rel:
                return _Plan(item, "directory")  # an empty tree
            # A symlinked directory on the way (`a/b.json` where `a` was a link)?
            return self._through_symlinks(item, commit, rel)
        return _Plan(item, "directory", [self._entry(commit, mode, object_id, path)
                                         for mode, object_id, path in entries if mode != _MODE_GITLINK])

    def _through_symlinks(self, item: _Located, commit: str, rel: bytes) -> _Plan:
        """The target as git resolves its symlinks inside the revision's tree."""
        if b"\n" in rel or b"\r" in rel:
            return _Plan(item, "absent")
        done = self.run(item.top, ["cat-file", "--batch-check", "--follow-symlinks"],
                        input=commit.encode("ascii") + b":" + rel + b"\n")
        if done.returncode != 0:
            raise self.fail(f"cannot read {_show(item.relpath)} in {_show(item.top)}: {_git_reason(done.stderr)} "
                            f"(git cat-file failed)")
        match = _OBJECT_HEADER.match(_line(done.stdout.split(b"\n", 1)[0]))
        if match is None:
            return _Plan(item, "absent")  # missing, dangling, out of the repository, a loop
        object_id, kind = match.group(1), match.group(2)
        if kind == b"blob":
            return _Plan(item, "file", [_Entry(rel, object_id)])
        if kind == b"tree":
            # A link to a directory: its regular files (links inside it cannot be resolved
            # from their real place, which git does not say: they are skipped).
            listed = self.ls_tree(item, object_id.decode("ascii"), None)
            return _Plan(item, "directory", [_Entry(rel + b"/" + path, oid) for mode, oid, path in listed
                                             if mode not in (_MODE_GITLINK, _MODE_SYMLINK)])
        return _Plan(item, "absent")

    @staticmethod
    def _entry(commit: str, mode: bytes, object_id: bytes, path: bytes) -> _Entry:
        if mode == _MODE_SYMLINK:
            return _Entry(path, commit.encode("ascii") + b":" + path, follow=True)
        return _Entry(path, object_id)

    def ls_tree(self, item: _Located, tree: str, path: str | None) -> list[tuple[bytes, bytes, bytes]]:
        """(mode, object id, path) of the blobs and gitlinks below `path` of `tree`."""
        args = ["ls-tree", "-r", "-z", "--full-tree", tree]
        if path is not None:
            args += ["--", path]
        done = self.run(item.top, args)
        if done.returncode != 0:
            raise self.fail(f"cannot list {_show(item.relpath or '.')} in {_show(item.top)}: "
                            f"{_git_reason(done.stderr)} (git ls-tree failed)")
        entries = []
        for record in done.stdout.split(b"\0"):
            if not record:
                continue
            meta, _, name = record.partition(b"\t")
            fields = meta.split(b" ")
            if len(fields) != 3 or not name:
                raise self.fail(f"cannot list {_show(item.relpath or '.')} in {_show(item.top)}: "
                                f"unexpected git ls-tree output")
            entries.append((fields[0], fields[2], name))
        return entries


class _Writer:
    """Writes the blobs of one repository's targets with one `git cat-file --batch`."""

    def __init__(self, runner: _Git, repository: _Repository) -> None:
        self.runner = runner
        self.repository = repository
        self.entries: dict[bytes, _Entry] = {}

    def add(self, plan: _Plan) -> None:
        if plan.kind == "directory":
            self._directory(plan.located.relpath)
        for entry in plan.entries:
            if entry.dest in self.entries or _unsafe(entry.dest):
                continue
            if entry.follow and (b"\n" in entry.request or b"\r" in entry.request):
                continue  # cannot be asked of cat-file (one request a line)
            self.entries[entry.dest] = entry

    def _directory(self, relpath: str) -> None:
        """Create the directory of a directory target (it may hold no blob at all)."""
        if relpath and _unsafe(os.fsencode(relpath)):
            return
        self._make_dirs(os.fsencode(relpath).split(b"/") if relpath else [], relpath or ".")

    def _make_dirs(self, parts: list[bytes], shown: str) -> str:
        """The directory root/parts..., created; refuses to go through anything not a directory
        this module made (a symlink, a file)."""
        path = self.repository.root
        if path not in self.repository.safe_dirs:
            # The root (`into` or `into/<n>`) may sit below symlinks (macOS's /var): not checked.
            try:
                os.makedirs(path, exist_ok=True)
            except OSError as exc:
                raise self.runner.fail(f"cannot create {_show(path)}: {exc.strerror or exc}") from None
            self.repository.safe_dirs.add(path)
        for part in parts:
            path = os.path.join(path, os.fsdecode(part))
            if path not in self.repository.safe_dirs:
                self._mkdir(path, shown)
        return path

    def _mkdir(self, path: str, shown: str) -> None:
        try:
            if os.path.islink(path):
                raise OSError(f"{path} is a symbolic link")
            if not os.path.isdir(path):
                os.mkdir(path)
        except OSError as exc:
            raise self.runner.fail(f"cannot write the previous version of {_show(shown)} below "
                                   f"{_show(self.repository.root)}: {exc.strerror or exc}") from None
        self.repository.safe_dirs.add(path)

    def run(self) -> None:
        if not self.entries:
            return
        runner, entries = self.runner, list(self.entries.values())
        requests = b"".join(entry.request + b"\n" for entry in entries)
        with tempfile.TemporaryFile() as errors:
            try:
                process = subprocess.Popen([runner.executable, "-C", self.repository.top, "cat-file", "--batch",
                                            "--follow-symlinks"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                           stderr=errors, env=runner.env)
            except OSError as exc:
                raise runner.fail(f"git cannot run: {exc.strerror or exc}") from None
            timed_out = threading.Event()

            def kill() -> None:
                timed_out.set()
                process.kill()

            watchdog = threading.Timer(TIMEOUT_SECONDS, kill)
            watchdog.daemon = True
            feeder = threading.Thread(target=_feed, args=(process.stdin, requests), daemon=True)
            watchdog.start()
            feeder.start()
            try:
                assert process.stdout is not None
                for entry in entries:
                    self._receive(process.stdout, entry, timed_out)
                try:
                    process.wait(timeout=TIMEOUT_SECONDS)  # it ends at the end of its input
                except subprocess.TimeoutExpired:
                    timed_out.set()
            finally:
                watchdog.cancel()
                if process.poll() is None:
                    process.kill()
                process.wait()
                feeder.join()
                if process.stdout is not None:
                    process.stdout.close()
            if process.returncode != 0 and not timed_out.is_set():
                # Everything asked was received; a late failure still means something is off.
                errors.seek(0)
                raise runner.fail(f"cannot read the files of {_show(self.repository.top)}: "
                                  f"{_git_reason(errors.read())} (git cat-file failed)")

    def _receive(self, stream: IO[bytes], entry: _Entry, timed_out: threading.Event) -> None:
        header = stream.readline()
        if not header.endswith(b"\n"):
            raise self._stopped(timed_out)
        header = _line(header)
        match = _OBJECT_HEADER.match(header)
        special = _SPECIAL_HEADER.match(header)
        if match is not None:
            size = int(match.group(3))
            if match.group(2) == b"blob":
                self._write(stream, entry.dest, size, timed_out)
            elif not _discard(stream, size):  # a symlink to a directory: not followed, as in a walk
                raise self._stopped(timed_out)
        elif special is not None:
            # A link out of the repository, dangling, a loop, through a file: skipped.
            if not _discard(stream, int(special.group(2))):
                raise self._stopped(timed_out)
        elif entry.follow:
            return  # "<name> missing" or "<name> ambiguous" (no payload): a link that leads nowhere
        else:
            # A blob git listed but cannot read: a damaged repository, or a partial clone that
            # could not fetch it. Leaving it out would make all its findings look new.
            raise self.runner.fail(f"cannot read {_show(os.fsdecode(entry.dest))} in {_show(self.repository.top)}: "
                                   f"object {_show(entry.request.decode('ascii', 'replace'))} is missing "
                                   f"(git cat-file)")
        if stream.read(1) != b"\n":
            raise self._stopped(timed_out)

    def _stopped(self, timed_out: threading.Event) -> CompareGitError:
        if timed_out.is_set():
            return self.runner.fail(f"git cat-file in {_show(self.repository.top)} did not finish within "
                                    f"{TIMEOUT_SECONDS:.0f} s")
        return self.runner.fail(f"cannot read the files of {_show(self.repository.top)}: git cat-file stopped "
                                f"early")

    def _write(self, stream: IO[bytes], dest: bytes, size: int, timed_out: threading.Event) -> None:
        parts = dest.split(b"/")
        shown = os.fsdecode(dest)
        directory = self._make_dirs(parts[:-1], shown)
        path = os.path.join(directory, os.fsdecode(parts[-1]))
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
        try:
            if os.path.islink(path):
                raise OSError(f"{path} is a symbolic link")
            fd = os.open(path, flags, 0o644)
            with os.fdopen(fd, "wb") as out:
                remaining = size
                while remaining:
                    chunk = stream.read(min(remaining, _CHUNK))
                    if not chunk:
                        break
                    out.write(chunk)
                    remaining -= len(chunk)
        except OSError as exc:
            raise self.runner.fail(f"cannot write the previous version of {_show(shown)} below "
                                   f"{_show(self.repository.root)}: {exc.strerror or exc}") from None
        if remaining:
            raise self._stopped(timed_out)
        self.repository.written.add(dest)


def _feed(stdin: IO[bytes] | None, data: bytes) -> None:
    if stdin is None:
        return
    try:
        stdin.write(data)
    except OSError:
        pass  # git died (killed on a timeout or a write error); the reader reports it
    finally:
        try:
            stdin.close()
        except OSError:
            pass


def _discard(stream: IO[bytes], size: int) -> bool:
    """Skip `size` bytes; False when the stream ends first."""
    while size:
        chunk = stream.read(min(size, _CHUNK))
        if not chunk:
            return False
        size -= len(chunk)
    return True


_UNSAFE_CHARS = (b"\0", b"\\", b":") if os.name == "nt" else (b"\0",)


def _unsafe(path: bytes) -> bool:
    """Whether a path from the repository could escape or misplace what is written: an empty,
    `.` or `..` component, `.git`, or (on Windows) a separator or drive character."""
    for part in path.split(b"/"):
        if part in (b"", b".", b"..") or part.lower() == b".git" or any(c in part for c in _UNSAFE_CHARS):
            return True
        if os.name == "nt" and part.rstrip(b". ").lower() == b".git":
            return True
    return False


def _line(data: bytes) -> bytes:
    """`data` without its line ending (one)."""
    if data.endswith(b"\n"):
        data = data[:-1]
    if data.endswith(b"\r"):
        data = data[:-1]
    return data


def _git_reason(stderr: bytes) -> str:
    """The first line git wrote on its standard error, without `fatal: `."""
    for raw in stderr.decode("utf-8", "replace").splitlines():
        text = raw.strip()
        for head in ("fatal:", "error:"):
            if text.startswith(head):
                text = text[len(head):].strip()
        if text:
            return _show(text)
    return ""


def _prefix(ref: str) -> str:
    return f"--compare-to-git {_show(ref)}: "


def _show(text: str) -> str:
    """`text` on one line and encodable (control characters and undecodable bytes escaped)."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


__all__ = ["PreviousVersion", "CompareGitError", "materialize", "TIMEOUT_SECONDS"]
