"""The error model: every failure the user can meet is a ``ReleaseError``.

Each error knows what failed, where (a file, field or URL), what to do about it, and which exit
code it maps to, so that ``cli/`` can render it as one line without guessing. Library code never
prints an error; it raises one of these, chaining the underlying cause with ``raise ... from``.
"""

from __future__ import annotations

from collections.abc import Sequence

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # Ctrl-C: EXIT_SIGNALLED + SIGINT
# A signal n that stopped the command exits EXIT_SIGNALLED + n, as a shell reports a killed one.
EXIT_SIGNALLED = 128


class ReleaseError(Exception):
    """Root of every error releasekit reports to a user.

    ``where`` names the place (a path, ``path:line``, a field, a URL without credentials);
    ``hint`` says what to do next. Both are optional but most errors have them. ``details`` is
    another program's own output (a build backend's), shown as it was before the error line.
    """

    exit_code: int = EXIT_FAILED

    def __init__(
        self,
        message: str,
        *,
        where: str | None = None,
        hint: str | None = None,
        details: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.hint = hint
        self.details = details

    def one_line(self) -> str:
        """Render as the single line users see: ``where: message; hint``."""
        text = f"{self.where}: {self.message}" if self.where else self.message
        return f"{text}; {self.hint}" if self.hint else text


class UsageError(ReleaseError):
    """The command line asks for something impossible (exit 2)."""

    exit_code = EXIT_USAGE


class ConfigError(ReleaseError):
    """pyproject.toml or the environment holds an invalid setting (exit 2)."""

    exit_code = EXIT_USAGE


class VersionError(ReleaseError):
    """A version is not valid PEP 440, or a bump cannot produce a higher version (exit 2)."""

    exit_code = EXIT_USAGE


class SourceError(ReleaseError):
    """A place where the version lives cannot be read or does not match its pattern (exit 2)."""

    exit_code = EXIT_USAGE


class ChangelogError(ReleaseError):
    """The changelog is missing, or lacks what a release needs (exit 2)."""

    exit_code = EXIT_USAGE


class GitError(ReleaseError):
    """A git command failed; the message carries git's own last line (exit 1)."""


class PreflightError(ReleaseError):
    """One or more preconditions of a release are not met; nothing was changed (exit 1).

    Every problem is collected first so that the user fixes them all in one go.
    """

    def __init__(self, problems: Sequence[ReleaseError]) -> None:
        count = len(problems)
        super().__init__(
            f"{count} preflight check{'s' if count != 1 else ''} failed; nothing was changed"
        )
        self.problems = tuple(problems)
        # An input error among the problems makes the whole run an input error.
        if any(problem.exit_code == EXIT_USAGE for problem in problems):
            self.exit_code = EXIT_USAGE


class ApplyError(ReleaseError):
    """A step of a release failed after the plan started; everything done was undone (exit 1)."""


class Stopped(ReleaseError):
    """A signal stopped a step; the message says what was checked and settled (exit 128 + n)."""

    def __init__(self, message: str, *, signum: int, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.exit_code = EXIT_SIGNALLED + signum


class Aborted(ReleaseError):
    """The user declined the plan at the confirmation prompt; nothing was changed (exit 1)."""
