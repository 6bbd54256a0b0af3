"""The terminal reporter: colour decisions, styled lines and coloured diffs.

Colour follows the conventions users already set: ``NO_COLOR`` (any value) turns it off,
``FORCE_COLOR`` turns it on even when piped, ``--no-color`` wins over both, and otherwise a
terminal gets colour and a pipe does not. Plain ANSI codes keep start-up fast.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TextIO

_CODES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "cyan": "36"}


def wants_color(stream: TextIO, env: Mapping[str, str], *, disabled: bool) -> bool:
    """Whether to colour output written to ``stream``."""
    if disabled or "NO_COLOR" in env:
        return False
    if env.get("FORCE_COLOR"):
        return True
    return stream.isatty()


@dataclass
class Console:
    """Writes styled lines: results to ``out``, progress and errors to ``err``."""

    out: TextIO
    err: TextIO
    color: bool = False
    quiet: bool = False

    def style(self, text: str, *styles: str) -> str:
        """``text`` wrapped in ANSI styles when colour is on."""
        if not self.color or not styles:
            return text
        codes = ";".join(_CODES[s] for s in styles)
        return f"\033[{codes}m{text}\033[0m"

    def print(self, text: str = "") -> None:
        """A result line on standard output (always shown: it is what the user asked for)."""
        self.out.write(text + "\n")
        self.out.flush()

    def info(self, text: str = "") -> None:
        """An informational line on standard output, hidden by ``-q``."""
        if not self.quiet:
            self.print(text)

    def step(self, message: str) -> None:
        """Progress of a running step, on standard error (part of the Reporter protocol)."""
        if not self.quiet:
            self.err.write(self.style("  -> ", "cyan") + message + "\n")
            self.err.flush()

    def warn(self, message: str) -> None:
        """A warning on standard error (part of the Reporter protocol)."""
        self.err.write(self.style("warning: ", "yellow", "bold") + message + "\n")
        self.err.flush()

    def error(self, message: str) -> None:
        """An error line on standard error."""
        self.err.write(self.style("error: ", "red", "bold") + message + "\n")
        self.err.flush()

    def diff(self, text: str) -> None:
        """A unified diff, coloured like ``git diff``."""
        if self.quiet:
            return
        for line in text.splitlines():
            if line.startswith(("+++", "---")):
                self.print(self.style(line, "bold"))
            elif line.startswith("@@"):
                self.print(self.style(line, "cyan"))
            elif line.startswith("+"):
                self.print(self.style(line, "green"))
            elif line.startswith("-"):
                self.print(self.style(line, "red"))
            else:
                self.print(line)
