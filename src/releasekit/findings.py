"""Findings: what a check or the audit says about one file, as data that renders as text or JSON."""

from __future__ import annotations

from typing import Literal

from releasekit.records import frozen

Severity = Literal["error", "warning", "info"]


@frozen
class Finding:
    """What a check says of one file: errors fail the check, warnings and infos do not."""

    file: str
    severity: Severity
    code: str
    message: str
    hint: str | None = None
    line: int | None = None  # 1-based, when the finding is about one line of a text file

    @property
    def place(self) -> str:
        """``file:line``, or the file alone."""
        return f"{self.file}:{self.line}" if self.line is not None else self.file

    def as_dict(self) -> dict[str, str | int | None]:
        """The JSON form (docs/json.md): id, severity, file, line, message, hint, always all six.

        ``line`` and ``hint`` are ``null`` when unknown, and so is ``file`` when the finding is
        about no file in particular.
        """
        return {
            "id": self.code,
            "severity": self.severity,
            "file": self.file or None,
            "line": self.line,
            "message": self.message,
            "hint": self.hint,
        }
