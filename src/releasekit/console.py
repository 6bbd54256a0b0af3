"""The terminal reporter: colour decisions, styled lines and coloured diffs.

Colour follows the conventions users already set: ``NO_COLOR`` (any value) turns it off,
``FORCE_COLOR`` turns it on even when piped, ``--no-color`` wins over both, and otherwise a
terminal gets colour and a pipe does not. Plain ANSI codes keep start-up fast.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from typing import TextIO

from releasekit.records import field, mutable

_CODES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "cyan": "36"}
# Terminal escapes (CSI, OSC, two-byte forms) and control characters other than tab and newline.
_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])?")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f-\x9f]")  # \x1b: above
# The colours and styles this module writes itself (see Console.style), which are kept.
_OWN_STYLE = re.compile(r"\x1b\[(?:(?:0|1|2|31|32|33|36)(?:;(?:1|2|31|32|33|36))*)?m")


def _keep_own_style(match: re.Match[str]) -> str:
    return match[0] if _OWN_STYLE.fullmatch(match[0]) else ""


def without_escapes(text: str) -> str:
    """``text`` without terminal controls other than this module's own colours.

    Every console line, and the other programs' output and tracebacks printed with an error,
    pass through here, so that server text, git's or a hook's output cannot erase a line, move
    the cursor, set the window title or hide text. (The progress bars write their own controls
    beside it, which is why the masked stream itself does not strip them.)
    """
    if "\x1b" in text:
        text = _ESCAPE.sub(_keep_own_style, text)
    return _CONTROL.sub("", text)


def wants_color(stream: TextIO, env: Mapping[str, str], *, disabled: bool) -> bool:
    """Whether to colour output written to ``stream``."""
    if disabled or "NO_COLOR" in env:
        return False
    if env.get("FORCE_COLOR"):
        return True
    return stream.isatty()


class MaskedStream:
    """A text stream that passes everything through a secret masker before writing it.

    The console writes only through these, so a secret that slipped into a message (a server
    echoing a header, say) is still masked on the terminal, in CI logs and in tracebacks.
    """

    def __init__(self, stream: TextIO, mask: Callable[[str], str]) -> None:
        self._stream = stream
        self._mask = mask

    def write(self, text: str) -> int:
        """Write ``text`` with every known secret masked."""
        return self._stream.write(self._mask(text))

    def flush(self) -> None:
        """Flush the underlying stream."""
        self._stream.flush()

    def isatty(self) -> bool:
        """Whether the underlying stream is a terminal."""
        return self._stream.isatty()

    @property
    def unmasked(self) -> TextIO:
        """The underlying stream, for the one line that must carry a secret (``add_mask``)."""
        return self._stream


@mutable
class Console:
    """Writes styled lines: results to ``out``, progress and errors to ``err``.

    Safe to call from several threads: each line is written whole.
    """

    out: TextIO | MaskedStream
    err: TextIO | MaskedStream
    color: bool = False
    quiet: bool = False
    verbose: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def style(self, text: str, *styles: str) -> str:
        """``text`` wrapped in ANSI styles when colour is on."""
        if not self.color or not styles:
            return text
        codes = ";".join(_CODES[s] for s in styles)
        return f"\033[{codes}m{text}\033[0m"

    def print(self, text: str = "") -> None:
        """A result line on standard output (always shown: it is what the user asked for)."""
        self._write(self.out, text)

    def _write(self, stream: TextIO | MaskedStream, line: str) -> None:
        """One whole line without foreign terminal controls, even when threads report at once."""
        line = without_escapes(line)
        with self._lock:
            stream.write(line + "\n")
            stream.flush()

    def info(self, text: str = "") -> None:
        """An informational line on standard output, hidden by ``-q``."""
        if not self.quiet:
            self.print(text)

    def step(self, message: str) -> None:
        """Progress of a running step, on standard error (part of the Reporter protocol)."""
        if not self.quiet:
            self._write(self.err, self.style("  -> ", "cyan") + message)

    def detail(self, message: str) -> None:
        """Detail for ``-v`` (requests and answers), on standard error."""
        if self.verbose:
            self._write(self.err, self.style(message, "dim"))

    def warn(self, message: str) -> None:
        """A warning on standard error (part of the Reporter protocol)."""
        self._write(self.err, self.style("warning: ", "yellow", "bold") + message)

    def note(self, message: str) -> None:
        """Something chosen on the user's behalf that they should know about, on standard error."""
        self._write(self.err, self.style("note: ", "cyan", "bold") + message)

    def add_mask(self, secret: str) -> None:
        """``::add-mask::SECRET`` on standard output: how GitHub Actions learns to hide a secret.

        The one line that carries a secret on purpose, so it bypasses the masker; the caller
        sends it before the secret is used, and only on GitHub Actions.
        """
        stream = self.out.unmasked if isinstance(self.out, MaskedStream) else self.out
        with self._lock:
            stream.write(f"::add-mask::{secret}\n")
            stream.flush()

    def error(self, message: str) -> None:
        """An error line on standard error."""
        self._write(self.err, self.style("error: ", "red", "bold") + message)

    def diff(self, text: str) -> None:
        """A unified diff, coloured like ``git diff``, written in one piece.

        A first release drafted from 20,000 commits is a diff of 13,000 lines: one write, not a
        write and a flush per line (which took longer than drafting it).
        """
        if self.quiet:
            return
        if not self.color:  # the lines as they are: one join, not a call for each
            if text:
                self._write(self.out, "\n".join(text.splitlines()))
            return
        styled: list[str] = []
        for line in text.splitlines():
            if line.startswith(("+++", "---")):
                styled.append(self.style(line, "bold"))
            elif line.startswith("@@"):
                styled.append(self.style(line, "cyan"))
            elif line.startswith("+"):
                styled.append(self.style(line, "green"))
            elif line.startswith("-"):
                styled.append(self.style(line, "red"))
            else:
                styled.append(line)
        if styled:
            self._write(self.out, "\n".join(styled))
