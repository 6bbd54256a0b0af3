"""The one ``--json`` shape every reporting command prints (docs/json.md).

Every report is an object with ``command``, ``ok``, ``errors``, ``warnings`` and ``findings``
(each finding with exactly ``id``, ``severity``, ``file``, ``line``, ``message`` and ``hint``),
then the command's own keys. ``ok`` is true exactly when no finding is an error, which is
exactly when the command exits 0. A command that stops early still answers in JSON: the error
(each problem of a preflight failure) becomes an error finding, and the command's own keys are
left out. A command may print that failure report itself, with what it knew by then; otherwise
``main`` prints it, as long as nothing was written to standard output yet.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Final, TextIO

from releasekit.errors import PreflightError, ReleaseError
from releasekit.findings import Finding

if TYPE_CHECKING:
    from releasekit.console import Console

# The commands that take --json; main answers in JSON for them when they stop early.
JSON_COMMANDS: Final = frozenset(
    {"build", "check", "config", "doctor", "prepare", "publish", "rehearse"}
)
_WORD_BREAK = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_PLACE_LINE = re.compile(r"^(?P<file>.+):(?P<line>[0-9]+)$")


def envelope(command: str, findings: Sequence[Finding], **extra: object) -> dict[str, object]:
    """The report of ``command``: the shared keys from ``findings``, then ``extra`` as given.

    ``ok`` is computed (no error among the findings), so a failure the command knows of must
    be one of the findings.
    """
    errors = sum(1 for finding in findings if finding.severity == "error")
    return {
        "command": command,
        "ok": errors == 0,
        "errors": errors,
        "warnings": sum(1 for finding in findings if finding.severity == "warning"),
        "findings": [finding.as_dict() for finding in findings],
        **extra,
    }


def print_json(console: Console, report: Mapping[str, object]) -> None:
    """Write a report to standard output, indented, as the only thing there."""
    import json  # loaded only with --json

    console.print(json.dumps(report, indent=2))


def error_id(error: BaseException) -> str:
    """A finding id for an error: its kind in kebab case (``ConfigError`` -> ``config-error``)."""
    name = type(error).__name__
    return "error" if name == "ReleaseError" else _WORD_BREAK.sub("-", name).lower()


def error_findings(error: ReleaseError) -> list[Finding]:
    """An error as findings: one per preflight problem, an error's own findings, or itself."""
    if isinstance(error, PreflightError):
        return [finding for problem in error.problems for finding in error_findings(problem)]
    carried = getattr(error, "findings", None)  # e.g. publish's CheckFailed
    if isinstance(carried, list) and carried and all(isinstance(f, Finding) for f in carried):
        return list(carried)
    place = _PLACE_LINE.match(error.where or "")
    return [
        Finding(
            file=place["file"] if place else error.where or "",
            severity="error",
            code=error_id(error),
            message=error.message,
            hint=error.hint,
            line=int(place["line"]) if place else None,
        )
    ]


def failure_report(command: str, error: ReleaseError, **extra: object) -> dict[str, object]:
    """The report of a command that stopped with ``error``, plus whatever ``extra`` it knew."""
    return envelope(command, error_findings(error), **extra)


def requested_command(args: Sequence[str]) -> str | None:
    """The command whose ``--json`` the arguments ask for, or ``None``.

    The command is the first argument naming one (the value of ``-C`` is skipped); ``--json``
    must follow it, before any ``--``.
    """
    words = list(args)
    for index, word in enumerate(words):
        if word in JSON_COMMANDS and (index == 0 or words[index - 1] != "-C"):
            rest = words[index + 1 :]
            rest = rest[: rest.index("--")] if "--" in rest else rest
            return word if "--json" in rest else None
    return None


class StdoutWatch:
    """Standard output that remembers whether anything was written to it.

    ``main`` installs it for a ``--json`` run, so that it prints a failure report only when the
    command printed none.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.wrote = False

    def write(self, text: str) -> int:
        """Write through, noting that something was written."""
        self.wrote = self.wrote or bool(text)
        return self.stream.write(text)

    def flush(self) -> None:
        """Flush the real stream."""
        self.stream.flush()

    def __getattr__(self, name: str) -> object:
        """Everything else (``isatty``, ``encoding``, ...) is the real stream's."""
        return getattr(self.stream, name)
