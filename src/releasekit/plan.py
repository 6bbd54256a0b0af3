"""Plans of actions that describe, apply and undo themselves, applied as one transaction.

Every mutation a release makes is an ``Action``. ``apply_actions`` records each action in a
journal *before* applying it, and on any failure (an error, a refused hook, Ctrl-C) undoes the
journal in reverse. Each ``undo`` is safe when its ``apply`` never ran or stopped halfway, so the
failing action itself is undone as well. The git index is restored byte for byte at the end.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import signal
import stat
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from releasekit.errors import ApplyError, ReleaseError
from releasekit.git import Git


class Reporter(Protocol):
    """Where the library reports progress; ``cli/`` implements it, tests may record it."""

    def step(self, message: str) -> None:
        """A step is starting."""

    def warn(self, message: str) -> None:
        """Something the user should know about but that does not stop the command."""


class DetailReporter(Reporter, Protocol):
    """A reporter that also takes detail for ``-v``: what was read, decided and skipped."""

    def detail(self, message: str) -> None:
        """A line shown only with ``-v``."""


class Action(Protocol):
    """One mutation of a release."""

    def describe(self) -> str:
        """What the action does, in the imperative (``commit "Release 1.3.0"``)."""
        ...

    def apply(self) -> None:
        """Do it; raise ``ReleaseError`` or ``OSError`` on failure."""
        ...

    def undo(self) -> None:
        """Undo whatever part of ``apply`` happened; a no-op when nothing did."""
        ...


@dataclass
class WriteFile:
    """Replace a file's content; undo restores the old bytes and timestamps.

    A file without its owner's write permission is refused even when running as root: a read-only
    version file is a deliberate signal, and honouring it makes the outcome the same for everyone.
    """

    path: Path
    display: str
    old: bytes
    new: bytes
    _times: tuple[int, int] | None = field(default=None, init=False, repr=False)

    def describe(self) -> str:
        """Name the file."""
        return f"write {self.display}"

    def diff(self) -> str:
        """A unified diff of the change, as ``git diff`` would show it."""
        old = self.old.decode("utf-8").splitlines(keepends=True)
        new = self.new.decode("utf-8").splitlines(keepends=True)
        lines = difflib.unified_diff(old, new, f"a/{self.display}", f"b/{self.display}")
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)

    def apply(self) -> None:
        """Write the new content in place, keeping the file's mode and ownership."""
        info = self.path.stat()
        self._times = (info.st_atime_ns, info.st_mtime_ns)
        if not info.st_mode & stat.S_IWUSR:
            raise ApplyError(
                "file is read-only",
                where=self.display,
                hint="make it writable (chmod u+w) and run again",
            )
        if self.path.read_bytes() != self.old:
            raise ApplyError(
                "file changed while the release was being prepared",
                where=self.display,
                hint="run again",
            )
        with self.path.open("wb") as handle:
            handle.write(self.new)

    def undo(self) -> None:
        """Put the old bytes back, with the old timestamps, if anything was written."""
        if self._times is None or self.path.read_bytes() == self.old:
            return
        with self.path.open("wb") as handle:
            handle.write(self.old)
        os.utime(self.path, ns=self._times)


@dataclass
class Commit:
    """Commit exactly the given paths; undo moves the branch back to where it was."""

    git: Git
    paths: list[str]
    message: str
    _before: str | None = field(default=None, init=False, repr=False)
    _after: str | None = field(default=None, init=False, repr=False)

    def describe(self) -> str:
        """Quote the message."""
        return f'commit {", ".join(self.paths)} as "{self.message}"'

    def apply(self) -> None:
        """Run ``git commit`` (hooks included); a refusal carries the hook's last line."""
        self._before = self.git.head()
        result = self.git.commit_paths(self.paths, self.message)
        after = self.git.head()
        if after != self._before:
            self._after = after
        if result.returncode != 0:
            raise ApplyError(
                f"git commit failed: {result.last_line}",
                where=str(self.git.root),
                hint="fix what the pre-commit hook or git reported, then run again",
            )

    def undo(self) -> None:
        """Point the branch back at the previous commit, if the commit was made."""
        if self._before is not None and self._after is not None:
            self.git.move_ref(
                "HEAD", self._before, self._after, "releasekit: roll back release commit"
            )


@dataclass
class Tag:
    """Create an annotated (or signed) tag; undo deletes it only if it is still ours."""

    git: Git
    name: str
    message: str
    sign: bool
    _created: str | None = field(default=None, init=False, repr=False)

    def describe(self) -> str:
        """Name the tag."""
        return f"create {'signed' if self.sign else 'annotated'} tag {self.name}"

    def apply(self) -> None:
        """Run ``git tag``; an existing tag (created meanwhile) is a failure, never overwritten."""
        result = self.git.create_tag(self.name, self.message, sign=self.sign)
        if result.returncode != 0:
            raise ApplyError(
                f"git tag failed: {result.last_line}",
                where=self.name,
                hint="if the tag appeared meanwhile, check who created it; "
                "for --sign, check git's signing setup",
            )
        self._created = self.git.ref(f"refs/tags/{self.name}")

    def undo(self) -> None:
        """Delete the tag if this action created it."""
        if self._created is not None:
            self.git.delete_ref(f"refs/tags/{self.name}", self._created)


@dataclass
class Push:
    """Push branch and tag atomically: the remote gets all of them or none."""

    git: Git
    remote: str
    refspecs: list[str]

    def describe(self) -> str:
        """Name the remote and what goes there."""
        return f"push atomically to {self.remote}: {' '.join(self.refspecs)}"

    def apply(self) -> None:
        """Run ``git push --atomic``."""
        result = self.git.push_atomic(self.remote, self.refspecs)
        if result.returncode != 0:
            raise ApplyError(
                f"git push failed: {result.last_line}",
                where=self.remote,
                hint="nothing reached the remote; fix the cause, then run again",
            )

    def undo(self) -> None:
        """Nothing to undo: an atomic push that failed changed nothing, and it runs last."""


@contextlib.contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Ignore Ctrl-C while rolling back: a half-done rollback is worse than a short wait."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _restore_file(path: Path, content: bytes | None) -> None:
    """Write ``content`` to ``path`` atomically, or remove the file when it did not exist."""
    if content is None:
        path.unlink(missing_ok=True)
        return
    temporary = path.with_name(path.name + ".releasekit-restore")
    temporary.write_bytes(content)
    temporary.replace(path)


def _rollback(journal: Sequence[Action], git: Git, index: bytes | None) -> list[str]:
    """Undo the journal in reverse, then restore the index; return what could not be undone."""
    leftovers = []
    for action in reversed(journal):
        try:
            action.undo()
        except (ReleaseError, OSError) as exc:
            leftovers.append(f"{action.describe()}: {exc}")
    try:
        _restore_file(git.git_path("index"), index)
    except (ReleaseError, OSError) as exc:
        leftovers.append(f"restore the git index: {exc}")
    return leftovers


def apply_actions(actions: Sequence[Action], git: Git, reporter: Reporter) -> None:
    """Apply ``actions`` in order as one transaction.

    On failure everything is rolled back and an ``ApplyError`` names the failed step and its
    cause (``KeyboardInterrupt`` is re-raised after the rollback). If the rollback itself cannot
    finish, the error lists exactly what is left, so the user is never left guessing.
    """
    index_path = git.git_path("index")
    index = index_path.read_bytes() if index_path.exists() else None
    journal: list[Action] = []
    try:
        for action in actions:
            reporter.step(action.describe())
            journal.append(action)
            action.apply()
    except (ReleaseError, OSError, KeyboardInterrupt) as exc:
        with _interrupts_deferred():
            leftovers = _rollback(journal, git, index)
        step = journal[-1].describe() if journal else "the release"
        if leftovers:
            raise ApplyError(
                f"{step} failed ({_cause(exc)}) and the rollback is incomplete: "
                + "; ".join(leftovers),
                hint="undo those by hand; everything else was restored",
            ) from exc
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise ApplyError(
            f"{step} failed: {_cause(exc)}; every change was rolled back",
            hint=exc.hint if isinstance(exc, ReleaseError) else None,
        ) from exc


def _cause(exc: BaseException) -> str:
    """One line for an exception, with its place when it has one."""
    if isinstance(exc, ReleaseError):
        return f"{exc.where}: {exc.message}" if exc.where else exc.message
    if isinstance(exc, OSError):
        return f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc)
    return "interrupted"
