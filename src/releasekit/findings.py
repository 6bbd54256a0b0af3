"""Findings: what a check says about one file, as data that renders as text or JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Finding:
    """What a check says of one file: errors fail the check, warnings and infos do not."""

    file: str
    severity: Severity
    code: str
    message: str
    hint: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        """The JSON form: file, severity, code, message, hint."""
        return asdict(self)
