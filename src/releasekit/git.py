"""A small runner over the ``git`` executable: the user's own git, hooks, config and signing.

No GitPython: shelling out keeps releasekit's behaviour identical to what the user gets by typing
the same command, including pre-commit hooks and signing setup.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import tempfile
import time
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, NamedTuple, Protocol

from releasekit.errors import GitError
from releasekit.interrupts import postponed, signals_deferred
from releasekit.records import frozen
from releasekit.redaction import redact_credentials

# How long an interrupted git child may take to stop after SIGTERM before it is killed.
_STOP_SECONDS = 10
# How much of a streamed command's output is read at a time.
_STREAM_CHUNK = 1 << 16
# The fetch that counts how far a branch is behind its remote (``FETCH REMOTE``), run only when
# the remote's branch has commits this clone lacks (``remote_listing``): remote-tracking
# branches only, and no housekeeping (``git maintenance run --auto``) started by a check.
FETCH = ("-c", "maintenance.auto=false", "fetch", "--quiet", "--no-tags")
# How the history is read (``commits``): ``git log`` of NUL-separated records of the hash,
# the parents and the message, with nothing configured that would change what it prints
# (signatures and notes in the output, follow-renames, which refuses more than one pathspec, a
# non-UTF-8 output encoding).
LOG = (
    "-c",
    "log.showSignature=false",
    "-c",
    "log.follow=false",
    "log",
    "-z",
    "--no-notes",
    "--encoding=UTF-8",
)
LOG_RECORD = "--format=%H%x1f%P%x1f%B"
# The tags reachable from HEAD (``tags.read_history``): a walk of the whole history, which
# commands start ahead (``Git.ahead``) while they read their settings.
MERGED_TAGS = ("tag", "--list", "--merged", "HEAD")
# Every tag with its commit (``Git.refs``): each annotated tag's object is read to peel it, tens
# of milliseconds for a thousand tags. The branches come with them, the checked-out one marked
# "*": its commit is HEAD's, which then needs no ``rev-parse`` of its own.
TAG_COMMITS = (
    "for-each-ref",
    "--format=%(HEAD)%(refname) %(*objectname) %(objectname)",
    "refs/tags",
    "refs/heads",
)
# The tracked files with changes (``Git.changed_tracked_files``): a look at every file's
# metadata, which ``prepare`` starts ahead while it plans.
STATUS = ("status", "--porcelain=v1", "-z", "--untracked-files=no")
# Every tag's date (an annotated tag's own, else its commit's), for ``notes --all``'s headings.
TAG_DATES = ("for-each-ref", "--format=%(refname) %(creatordate:short)", "refs/tags")
# Where a folder's repository keeps things (``Git.layout``), in one ``rev-parse``: the worktree's
# git directory, the common one and the shallow file, then the working tree's top. The top comes
# last: it alone fails in a bare repository or inside ``.git``, and rev-parse stops there, after
# printing the others.
LAYOUT = ("rev-parse", "--git-dir", "--git-common-dir", "--git-path", "shallow", "--show-toplevel")
# The pyproject.toml files git tracks or would add, anywhere in the tree (``packages.discover``):
# a walk of every folder for the untracked ones, which ``prepare`` starts as it begins.
TREE_PROJECTS = (
    "ls-files",
    "-z",
    "--cached",
    "--others",
    "--exclude-standard",
    "--",
    ":(top,glob)pyproject.toml",
    ":(top,glob)**/pyproject.toml",
)
# Every branch with its upstream, the checked-out one marked (``Git.checkout``).
BRANCHES = (
    "for-each-ref",
    "--format=%(HEAD)%00%(refname:short)%00%(upstream:remotename)%00%(upstream:remoteref)",
    "refs/heads/",
)
# Commands started by ``Git.ahead`` (or ``start_early``), by folder and arguments, until a
# ``Git.start`` takes them.
_AHEAD: dict[tuple[str, tuple[str, ...]], Started] = {}
# Streamed commands started by ``prefetch``, by folder, arguments and standard input, until a
# ``Git.stream`` of the same takes them.
_PREFETCHED: dict[tuple[str, tuple[str, ...], str], Prefetched] = {}
# How long a reader that has caught up with a prefetched command waits before looking again.
_FOLLOW_PAUSE = 0.0005
# Each folder's repository layout, once found (see ``Git.layout``).
_LAYOUTS: dict[str, Layout] = {}
# How long an interrupted push may take to finish by itself: a push that ends tells the truth
# about the remote; one that is stopped halfway leaves the remote's state to chance.
PUSH_GRACE_SECONDS = 60.0


class ChildWatch(Protocol):
    """Hears when a git child starts and ends, so that a journal can name a running child."""

    def started(self, pid: int) -> None:
        """A git child with this pid is running."""

    def ended(self) -> None:
        """The child has exited and been waited for."""


@frozen
class Result:
    """What a git command returned."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def last_line(self) -> str:
        """The most telling line of output (git and hooks put the reason last), no credentials."""
        for stream in (self.stderr, self.stdout):
            lines = [line.strip() for line in stream.splitlines() if line.strip()]
            if lines:
                return redact_credentials(lines[-1])
        return f"exit status {self.returncode}"


class Refs(NamedTuple):
    """The tags and the commit HEAD points to, as one ``for-each-ref`` lists them."""

    tags: dict[str, str]  # each tag's commit (annotated tags peeled)
    head: str | None  # the checked-out branch's commit; None: detached or no commit yet


class Layout(NamedTuple):
    """Where a folder's repository keeps things; fixed for the life of the process."""

    git_dir: Path  # the worktree's own: the index, HEAD
    common_dir: Path  # the repository's: refs, releasekit's lock and journal
    shallow: Path  # a shallow clone's cut-off commits; no such file in a complete clone
    top: Path | None  # the working tree's top; ``None`` in a bare repository or inside .git


def _stop(process: subprocess.Popen[str], group: bool) -> None:
    """Terminate an interrupted child (its whole process group when it has one) and reap it.

    Its hooks stop with it; whatever it had already done is found by looking, not assumed.
    """
    try:
        if group:
            os.killpg(process.pid, signal.SIGTERM)
        else:
            process.terminate()
    except ProcessLookupError:
        pass
    try:
        process.communicate(timeout=_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            if group:
                os.killpg(process.pid, signal.SIGKILL)
            else:
                process.kill()
        process.communicate()


# What no ref name holds anywhere (``git help check-ref-format``): control characters, space,
# ``~^:?*[\``, two dots, ``@{``, and two slashes in a row.
_NEVER_IN_REFS = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//")


def valid_tag_name(tag: str) -> bool:
    """Whether git accepts ``tag`` as a tag name, by ``git check-ref-format``'s rules.

    Checked here rather than by starting ``git check-ref-format``: the rules are git's written
    ones (tests compare them with git's answers), and ``prepare`` asks while git walks the
    history on the other core. A name starting with "-" is refused too: it reads as an option.
    """
    if not tag or tag.startswith("-") or _NEVER_IN_REFS.search(tag):
        return False
    if tag.endswith((".", "/")) or tag.startswith("/"):
        return False
    return not any(part.startswith(".") or part.endswith(".lock") for part in tag.split("/"))


def remote_url_of(asked: Started) -> str | None:
    """The URL ``Git.start_remote_url`` asked for, once git answers; ``None``: no such remote."""
    with asked:
        result = asked.result(check=False)
    return result.stdout.strip() if result.returncode == 0 else None


def parse_listing(text: str) -> dict[str, str]:
    """``git ls-remote`` output as {full ref name: object}; peeled tag lines (``^{}``) left out."""
    found = {}
    for line in text.splitlines():
        sha, _, name = line.partition("\t")
        if name and not name.endswith("^{}"):
            found[name] = sha
    return found


def _follow(early: Prefetched, where: str) -> Iterator[list[str]]:
    """``Git.stream`` of a prefetched command: its records as git writes them, then its end."""
    finished = False
    try:
        yield from _batches(early.chunks())
        finished = True
    finally:
        if not finished:
            early.stop()
    result = early.finish()
    if result.returncode != 0:
        raise _failed(early.args, result, where)


def _not_installed() -> GitError:
    return GitError("git is not installed", hint="install git and run again")


def _records(stream: IO[bytes]) -> Iterator[list[str]]:
    """The NUL-separated records of ``stream``, in batches (see ``_batches``)."""
    descriptor = stream.fileno()
    return _batches(iter(lambda: os.read(descriptor, _STREAM_CHUNK), b""))


def _batches(chunks: Iterable[bytes]) -> Iterator[list[str]]:
    """The NUL-separated records of the joined ``chunks``: a list for each chunk that ends one.

    Decoded once per batch, not once per record: a history is tens of thousands of records,
    and NUL is one ASCII byte, which no UTF-8 character holds, so the text is the same (an
    invalid byte is U+FFFD either way). A record longer than a chunk is gathered and joined
    once, so it costs its length, not its length squared; a trailing empty one is dropped.
    """
    pending: list[bytes] = []
    for chunk in chunks:
        cut = chunk.rfind(b"\0")
        if cut < 0:
            pending.append(chunk)
            continue
        pending.append(chunk[:cut])
        yield b"".join(pending).decode("utf-8", errors="replace").split("\0")
        pending = [chunk[cut + 1 :]]
    tail = b"".join(pending)
    if tail:
        yield [tail.decode("utf-8", errors="replace")]


def _failed(args: tuple[str, ...], result: Result, where: str) -> GitError:
    """The error for a git command that failed: its name and git's most telling line."""
    return GitError(f"git {_command(args)} failed: {result.last_line}", where=where)


def _command(args: tuple[str, ...]) -> str:
    """The git command ``args`` run, not the ``-c name=value`` settings before it."""
    words = list(args)
    while words[:1] == ["-c"]:
        del words[:2]
    return words[0] if words else "git"


class Started:
    """A read-only git command started now and collected later, while other work goes on.

    git walks the history (or talks to the remote) on another core while releasekit reads its
    settings and other git output; ``result`` waits for it. Leaving the ``with`` block without
    collecting it (an error, an interrupt) stops and reaps the child: nothing runs on after the
    caller.
    """

    def __init__(self, git: Git, args: tuple[str, ...], env: Mapping[str, str] | None) -> None:
        self._git = git
        self._args = args
        self._result: Result | None = None
        # A file, not a pipe: standard output (a whole history, megabytes) is then read in one
        # go, without polling two pipes, and a chatty stderr can never block git.
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115  # closed once git is collected
        self._process: subprocess.Popen[str] | None = None
        try:
            with postponed():  # see ``Git.run``
                try:
                    extended = None if env is None else {**os.environ, **env}
                    self._process = git.spawn(args, stderr=self._errors, env=extended)
                except FileNotFoundError:
                    self._errors.close()
        except BaseException:
            self.__exit__()  # never entered: an interrupt as it started
            raise

    def _ended(self) -> None:
        if self._git.watch is not None:
            self._git.watch.ended()

    def result(self, *, check: bool = True) -> Result:
        """The command's result, once it has finished; raises ``GitError`` like ``Git.run``."""
        if self._result is None:
            if self._process is None:
                raise _not_installed()
            stdout, _ = self._process.communicate()
            self._ended()
            self._errors.seek(0)
            stderr = self._errors.read().decode("utf-8", errors="replace")
            self._errors.close()
            self._result = Result(self._process.returncode, stdout, stderr)
        if check and self._result.returncode != 0:
            raise _failed(self._args, self._result, str(self._git.root))
        return self._result

    def __enter__(self) -> Started:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._process is not None and self._result is None:
            _stop(self._process, group=False)
            self._ended()
            self._errors.close()


class Prefetched:
    """A streamed read-only git command (a history walk) started before anyone asks for it.

    Started as the command begins (``prefetch``), it walks on another core while Python is still
    loading. Its output goes to an unnamed temporary file, not a pipe: a pipe holds 64 KiB, and
    git would wait for a reader still importing modules; the reader follows the file as git
    writes it (``chunks``), so parsing still goes on beside git once it starts.
    """

    def __init__(self, root: Path, args: tuple[str, ...], stdin: str) -> None:
        self.args = args
        self._out = tempfile.TemporaryFile()  # noqa: SIM115  # closed by ``finish``/``stop``
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115  # likewise
        self._process: subprocess.Popen[bytes] | None = None
        try:
            self._process = subprocess.Popen(
                ["git", *args],
                cwd=root,
                stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                stdout=self._out,
                stderr=self._errors,
            )
        except FileNotFoundError:
            return
        if stdin and self._process.stdin is not None:
            # git reads all of it before it writes anything, and its output goes to a file.
            with contextlib.suppress(BrokenPipeError):
                self._process.stdin.write(stdin.encode())
            with contextlib.suppress(BrokenPipeError):
                self._process.stdin.close()

    def chunks(self) -> Iterator[bytes]:
        """The output as git writes it, until git has ended and all of it is read."""
        if self._process is None:
            raise _not_installed()
        descriptor = self._out.fileno()
        position = 0
        while True:
            chunk = os.pread(descriptor, _STREAM_CHUNK, position)
            if chunk:
                position += len(chunk)
                yield chunk
            elif self._process.poll() is not None:
                # Ended: everything it wrote is in the file; read what is left, then stop.
                while chunk := os.pread(descriptor, _STREAM_CHUNK, position):
                    position += len(chunk)
                    yield chunk
                return
            else:
                time.sleep(_FOLLOW_PAUSE)  # caught up with git: it is still walking

    def finish(self) -> Result:
        """The ended command's exit status and standard error (its output was streamed)."""
        returncode = self._process.wait() if self._process is not None else 127
        self._errors.seek(0)
        stderr = self._errors.read().decode("utf-8", errors="replace")
        self._close()
        return Result(returncode, "", stderr)

    def stop(self) -> None:
        """Stop the command if it still runs (nobody took it, or the reader left), and reap it."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._close()

    def _close(self) -> None:
        self._out.close()
        self._errors.close()


def prefetch(root: Path, *args: str, stdin: str = "") -> None:
    """Start the streamed, read-only ``git ARGS`` now, for a ``Git(root).stream`` of it later.

    What nobody takes is stopped by ``end_early``. Where reading at an offset (``os.pread``) is
    missing (Windows), nothing is started: the file's one offset is git's, and moving it would
    move where git writes.
    """
    key = (os.path.abspath(root), args, stdin)
    if key not in _PREFETCHED and hasattr(os, "pread"):
        _PREFETCHED[key] = Prefetched(root, args, stdin)


def start_early(git: Git, *args: str) -> bool:
    """Start the read-only ``git ARGS`` now, for a ``start`` of it in the same folder later.

    For the whole command: ``end_early`` stops it if nobody took it (``Git.ahead`` for a
    block). False when the same command was started already.
    """
    key = (os.path.abspath(git.root), args)
    if key in _AHEAD:
        return False
    _AHEAD[key] = Started(git, args, None)
    return True


def end_early() -> None:
    """Stop and reap what ``prefetch`` and ``start_early`` started and nobody took."""
    while _PREFETCHED:
        _PREFETCHED.popitem()[1].stop()
    while _AHEAD:
        _AHEAD.popitem()[1].__exit__(None, None, None)


class Git:
    """Runs git in one working tree."""

    def __init__(self, root: Path, watch: ChildWatch | None = None) -> None:
        self.root = root
        self.watch = watch
        # Whether the last interrupted child had to be stopped before it finished by itself.
        self.stopped_child = False

    def spawn(
        self,
        args: tuple[str, ...],
        *,
        stderr: int | IO[bytes],
        process_group: int | None = None,
        start_new_session: bool = False,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.Popen[str]:
        """``git ARGS`` started, its output read as text, and named to the watch (a journal).

        Raises ``FileNotFoundError`` when git is not installed. ``Git.run`` and ``Started``
        start their git this way, each inside ``postponed()``.
        """
        process = subprocess.Popen(
            ["git", *args],
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            encoding="utf-8",
            errors="replace",
            process_group=process_group,
            start_new_session=start_new_session,
            env=env,
        )
        if self.watch is not None:
            self.watch.started(process.pid)
        return process

    def run(
        self, *args: str, check: bool = True, isolated: bool = False, detached: bool = False
    ) -> Result:
        """Run ``git ARGS``; raise ``GitError`` on failure when ``check``.

        ``isolated`` children (the commit and the tag of a release) run in their own process
        group, out of reach of the terminal's Ctrl-C, so that releasekit alone decides when they
        stop. ``detached`` children (the push) run in their own session, without a terminal and
        with git's prompts off: a push cut in half by the terminal's signal leaves the remote's
        state to chance, and a push that cannot prompt fails at once instead of waiting for a
        terminal it no longer has. On an interrupt the child is stopped (a detached one is first
        given time to finish, since a push that ends tells the truth about the remote) and
        reaped before the interrupt propagates: nothing keeps running behind a rollback, and a
        second signal cannot cut that wait short.
        """
        process: subprocess.Popen[str] | None = None
        try:
            # A signal while git starts or is named waits until both are done: the child is
            # then this block's to stop and reap.
            with postponed():
                try:
                    process = self.spawn(
                        args,
                        stderr=subprocess.PIPE,
                        process_group=0 if isolated else None,
                        start_new_session=detached,
                        env={**os.environ, "GIT_TERMINAL_PROMPT": "0"} if detached else None,
                    )
                except FileNotFoundError as exc:
                    raise _not_installed() from exc
            stdout, stderr = process.communicate()
        except BaseException:
            if process is None:
                raise
            with signals_deferred():
                self.stopped_child = True
                if detached:
                    try:
                        process.communicate(timeout=PUSH_GRACE_SECONDS)
                        self.stopped_child = False
                    except subprocess.TimeoutExpired:
                        pass
                if self.stopped_child:
                    _stop(process, group=isolated or detached)
                if self.watch is not None:
                    self.watch.ended()
            raise
        if self.watch is not None:
            self.watch.ended()
        result = Result(process.returncode, stdout, stderr)
        if check and result.returncode != 0:
            raise _failed(args, result, str(self.root))
        return result

    def stream(self, *args: str, stdin: str = "") -> Generator[list[str], None, None]:
        """Run ``git ARGS`` and yield its output cut at NUL bytes, while git is still writing.

        For outputs as long as a whole history (``git log`` over 20,000 commits): the caller
        parses the records while git walks on, on another core, and never holds the output
        twice. The records come as text (UTF-8, an invalid byte as U+FFFD), a list for each
        read from git.
        ``stdin`` is written first and closed (``--stdin`` revisions, so that thousands of tags
        do not make the command line too long); git reads all of it before it writes anything,
        so writing it up front cannot deadlock. Closing the generator early (the caller found
        what it needed, or was interrupted) stops git and reaps it. Raises ``GitError`` with
        git's last line when git fails; records already yielded stay valid. The same walk
        started by ``prefetch`` in the same folder is taken over instead.
        """
        early = _PREFETCHED.pop((os.path.abspath(self.root), args, stdin), None)
        if early is not None:
            yield from _follow(early, str(self.root))
            return
        with tempfile.TemporaryFile() as errors:
            process: subprocess.Popen[bytes] | None = None
            finished = False
            try:
                with postponed():  # see ``run``
                    try:
                        process = subprocess.Popen(
                            ["git", *args],
                            cwd=self.root,
                            stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE,
                            # A file, not a pipe: a chatty stderr must never block git while
                            # its stdout is being read.
                            stderr=errors,
                        )
                    except FileNotFoundError as exc:
                        raise _not_installed() from exc
                    if self.watch is not None:
                        self.watch.started(process.pid)
                if process.stdin is not None:
                    # git may have failed already (a bad option); its stderr says why.
                    with contextlib.suppress(BrokenPipeError):
                        process.stdin.write(stdin.encode())
                    with contextlib.suppress(BrokenPipeError):
                        process.stdin.close()
                if process.stdout is not None:
                    yield from _records(process.stdout)
                process.wait()
                finished = True
            finally:
                if process is not None:
                    if not finished:
                        process.kill()
                        process.wait()
                    if process.stdout is not None:
                        process.stdout.close()
                    if self.watch is not None:
                        self.watch.ended()
            if process.returncode != 0:
                errors.seek(0)
                stderr = errors.read().decode("utf-8", errors="replace")
                result = Result(process.returncode, "", stderr)
                raise _failed(args, result, str(self.root))

    def output(self, *args: str) -> str:
        """Run ``git ARGS`` and return its stripped standard output."""
        return self.run(*args).stdout.strip()

    def layout(self) -> Layout | None:
        """Where this folder's repository keeps things; ``None`` outside any repository.

        One ``rev-parse`` (maybe started early), remembered per folder for the life of the
        process once found: several steps of one command ask (the top, the lock's folder, the
        shallow file), and a folder inside a repository stays inside it. A folder outside is
        asked again each time, so that a later ``git init`` is seen.
        """
        folder = os.path.abspath(self.root)
        known = _LAYOUTS.get(folder)
        if known is not None:
            return known
        with self.start(*LAYOUT) as asked:
            result = asked.result(check=False)
        lines = result.stdout.splitlines()
        if len(lines) < 3:  # noqa: PLR2004  # the git directories and the shallow file
            return None
        base = Path(folder)
        top = Path(lines[3]) if result.returncode == 0 and len(lines) > 3 else None  # noqa: PLR2004
        found = _LAYOUTS[folder] = Layout(base / lines[0], base / lines[1], base / lines[2], top)
        return found

    def toplevel(self) -> Path | None:
        """The top of the working tree, or ``None`` outside one (see ``layout``)."""
        layout = self.layout()
        return layout.top if layout is not None else None

    def start(self, *args: str, env: Mapping[str, str] | None = None) -> Started:
        """Start the read-only ``git ARGS`` now and collect it later (see ``Started``).

        The same command started ahead in the same folder (``ahead``) is taken over instead.
        """
        early = _AHEAD.pop((os.path.abspath(self.root), args), None) if env is None else None
        return early if early is not None else Started(self, args, env)

    @contextlib.contextmanager
    def ahead(self, *args: str) -> Iterator[None]:
        """Start the read-only ``git ARGS`` now, for a ``start`` of it later in this block.

        For a walk of the whole history that a step deep inside a command will ask for (the
        tags reachable from HEAD): git walks while the command reads its settings. The block
        ends it if no ``start`` took it over; the repository must not change meanwhile.
        """
        if not start_early(self, *args):  # started for the whole command already
            yield
            return
        try:
            yield
        finally:
            left = _AHEAD.pop((os.path.abspath(self.root), args), None)
            if left is not None:
                left.__exit__(None, None, None)

    def head(self) -> str | None:
        """The commit HEAD points to, or ``None`` in a repository without commits."""
        result = self.run("rev-parse", "-q", "--verify", "HEAD^{commit}", check=False)
        return result.stdout.strip() if result.returncode == 0 else None

    def current_branch(self) -> str | None:
        """The checked-out branch, or ``None`` when HEAD is detached."""
        result = self.run("symbolic-ref", "--short", "-q", "HEAD", check=False)
        return result.stdout.strip() if result.returncode == 0 else None

    def changed_tracked_files(self) -> list[str]:
        """Tracked files with staged or unstaged changes (untracked files do not count)."""
        with self.start(*STATUS) as status:
            out = status.result().stdout
        # Each entry is "XY path": two status letters, a space, then the path.
        return [entry[3:] for entry in out.split("\0") if entry[3:]]

    def untracked(self, paths: Sequence[str]) -> list[str]:
        """Which of ``paths`` git does not track, asked in one call.

        ``paths`` are relative to the root, as ``os.path.relpath`` writes them: as git lists them.
        """
        if not paths:
            return []
        listed = self.run("ls-files", "-z", "--", *paths, check=False).stdout.split("\0")
        known = set(listed)
        return [path for path in paths if path not in known]

    def checkout(self) -> tuple[str | None, tuple[str, str] | None]:
        """The checked-out branch (``None``: HEAD is detached) and its upstream (remote, branch).

        The upstream is ``None`` when the branch has none. One ``for-each-ref`` (``%(HEAD)``
        marks the checked-out branch) instead of asking for the branch and then each of its two
        settings; only a branch no ref lists yet (one without commits) or a detached HEAD is
        asked for by name.
        """
        with self.start(*BRANCHES) as started:
            listing = started.result(check=False).stdout
        for line in listing.splitlines():
            mark, name, remote, merge = [*line.split("\0"), "", "", ""][:4]
            if mark != "*":
                continue
            if not remote or remote == "." or not merge.startswith("refs/heads/"):
                return name, None
            return name, (remote, merge.removeprefix("refs/heads/"))
        return self.current_branch(), None

    def remotes(self) -> list[str]:
        """The names of the configured remotes."""
        return self.output("remote").split()

    def remote_url(self, remote: str) -> str | None:
        """The fetch URL of ``remote``, if configured."""
        return remote_url_of(self.start_remote_url(remote))

    def start_remote_url(self, remote: str) -> Started:
        """Start asking for ``remote``'s fetch URL (``remote_url_of`` reads the answer)."""
        return self.start("remote", "get-url", remote)

    def commits_behind(self, upstream: str) -> int | None:
        """How many commits ``upstream`` (a ref or a commit) has that HEAD lacks.

        ``None`` when this clone has no such ref or commit (a remote's tip not fetched yet).
        """
        result = self.run("rev-list", "--count", f"HEAD..{upstream}", "--", check=False)
        if result.returncode == 0:
            return int(result.stdout)
        if self.ref(f"{upstream}^{{commit}}") is None:
            return None
        raise _failed(("rev-list",), result, str(self.root))

    def ref(self, name: str) -> str | None:
        """The object a full ref name points to, or ``None``."""
        result = self.run("rev-parse", "-q", "--verify", name, check=False)
        return result.stdout.strip() if result.returncode == 0 else None

    def refs(self) -> Refs:
        """Each tag's commit (annotated tags peeled) and HEAD's, in one call (or one started early).

        HEAD's commit is the checked-out branch's; when HEAD is detached, or on a branch without
        commits, ``Refs.head`` is ``None`` and ``head()`` tells which.
        """
        with self.start(*TAG_COMMITS) as listing:
            out = listing.result().stdout
        commits = {}
        head = None
        for line in out.splitlines():
            name, _, objects = line[1:].partition(" ")
            peeled, _, direct = objects.partition(" ")
            tag = name.removeprefix("refs/tags/")
            if tag != name:
                commits[tag] = peeled or direct
            elif line[:1] == "*":
                head = direct
        return Refs(commits, head)

    def git_dirs(self) -> tuple[Path, Path]:
        """The worktree's own git directory and the repository's common one.

        They differ only in a linked worktree: per-worktree files (index, HEAD) live in the
        first, refs and releasekit's lock and journal in the second.
        """
        layout = self.layout()
        if layout is None:
            raise GitError("not inside a git repository", where=str(self.root))
        return layout.git_dir, layout.common_dir

    def symbolic_head(self) -> str | None:
        """The full name of the checked-out branch (``refs/heads/main``), or ``None``."""
        result = self.run("symbolic-ref", "-q", "HEAD", check=False)
        return result.stdout.strip() if result.returncode == 0 else None

    def git_path(self, name: str) -> Path:
        """Where a file inside the git directory lives (``index``, hooks, ...)."""
        return self.root / self.output("rev-parse", "--git-path", name)

    def commit_paths(self, paths: list[str], message: str) -> Result:
        """Commit exactly ``paths`` (other staged changes stay staged); hooks run as usual."""
        return self.run(
            "commit", "--quiet", "-m", message, "--", *paths, check=False, isolated=True
        )

    def create_tag(self, tag: str, message: str, *, sign: bool) -> Result:
        """Create an annotated tag on HEAD, signed with ``sign``."""
        return self.run(
            "tag", "-s" if sign else "-a", "-m", message, tag, check=False, isolated=True
        )

    def is_signed_tag(self, tag: str) -> bool:
        """Whether the tag object carries a signature block (OpenPGP, SSH or X.509).

        git may exit 0 and still write an unsigned tag (an SSH signing key that is missing), so
        ``--sign`` looks at what was written rather than trusting the exit status.
        """
        text = self.run("cat-file", "tag", f"refs/tags/{tag}", check=False).stdout
        return any(
            f"-----BEGIN {kind}-----" in text
            for kind in ("PGP SIGNATURE", "SSH SIGNATURE", "SIGNED MESSAGE")
        )

    def commit_parent_and_message(self, commit: str) -> tuple[str, str] | None:
        """The first parent and the message of ``commit``, or ``None`` if it cannot be read."""
        result = self.run("log", "-1", "--format=%P%x00%B", commit, "--", check=False)
        if result.returncode != 0:
            return None
        parents, _, message = result.stdout.partition("\0")
        return (parents.split() or [""])[0], message.strip()

    def move_ref(self, name: str, new: str, expected_old: str, reason: str) -> None:
        """Point ``name`` at ``new`` only if it still points at ``expected_old``."""
        self.run("update-ref", "-m", reason, name, new, expected_old)

    def delete_ref(self, name: str, expected_old: str) -> None:
        """Delete ``name`` only if it still points at ``expected_old``."""
        self.run("update-ref", "-d", name, expected_old)

    def push_atomic(self, remote: str, refspecs: list[str]) -> Result:
        """Push all ``refspecs`` or none of them."""
        return self.run(
            "push", "--atomic", "--quiet", remote, *refspecs, check=False, detached=True
        )

    def remote_listing(self, remote: str, branch: str) -> Started:
        """Start asking ``remote`` for its ``branch`` and its tags, in one round trip.

        ``Started.result`` then holds ``git ls-remote`` output (``parse_listing`` reads it).
        """
        return self.start("ls-remote", remote, f"refs/heads/{branch}", "refs/tags/*")

    def remote_refs(self, remote: str, refs: list[str]) -> dict[str, str]:
        """What ``remote`` has now for each full ref name (peeled tags omitted); asked live.

        Raises ``GitError`` when the remote cannot be asked: "unknown" must never read as "none".
        """
        listed = parse_listing(self.output("ls-remote", remote, *refs))
        return {name: sha for name, sha in listed.items() if name in refs}
