"""The steps of a release: file changes, commit, tag and push, each describing and applying itself.

Undo is not theirs: what a step did is read back from the repository by ``transaction``, since
an interrupt can land between a git command's effect and any bookkeeping of it.
"""

from __future__ import annotations

from typing import Protocol

from releasekit.errors import ApplyError
from releasekit.git import Git
from releasekit.records import mutable


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


@mutable
class Commit:
    """Commit exactly the given paths (hooks run as usual)."""

    git: Git
    paths: list[str]
    message: str

    def describe(self) -> str:
        """Quote the message."""
        return f'commit {", ".join(self.paths)} as "{self.message}"'

    def apply(self) -> None:
        """Run ``git commit``; a refusal carries the hook's last line."""
        result = self.git.commit_paths(self.paths, self.message)
        if result.returncode != 0:
            raise ApplyError(
                f"git commit failed: {result.last_line}",
                where=str(self.git.root),
                hint="fix what the pre-commit hook or git reported, then run again",
            )


@mutable
class Tag:
    """Create an annotated (or signed) tag on the release commit."""

    git: Git
    name: str
    message: str
    sign: bool

    def describe(self) -> str:
        """Name the tag."""
        return f"create {'signed' if self.sign else 'annotated'} tag {self.name}"

    def apply(self) -> None:
        """Run ``git tag``; an existing tag is a failure, never overwritten.

        A signed tag is read back: git can exit 0 and write no signature.
        """
        result = self.git.create_tag(self.name, self.message, sign=self.sign)
        if result.returncode != 0:
            raise ApplyError(
                f"git tag failed: {result.last_line}",
                where=self.name,
                hint="if the tag appeared meanwhile, check who created it; "
                "for --sign, check git's signing setup",
            )
        if self.sign and not self.git.is_signed_tag(self.name):
            raise ApplyError(
                "git created the tag without a signature",
                where=self.name,
                hint="check git's signing setup (user.signingkey, gpg.format and the key file), "
                "then run again",
            )


@mutable
class Push:
    """Push branch and tag atomically: the remote gets all of them or none."""

    git: Git
    remote: str
    refspecs: list[str]

    @property
    def remote_refs(self) -> list[str]:
        """The refs the push sets on the remote (the right side of each refspec)."""
        return [spec.rpartition(":")[2] for spec in self.refspecs]

    def describe(self) -> str:
        """Name the remote and what goes there."""
        return f"push atomically to {self.remote}: {' '.join(self.refspecs)}"

    def apply(self) -> None:
        """Run ``git push --atomic``; whether anything landed is asked of the remote later."""
        result = self.git.push_atomic(self.remote, self.refspecs)
        if result.returncode != 0:
            raise ApplyError(
                f"git push failed: {result.last_line}",
                where=self.remote,
                hint="fix the cause, then run again",
            )
