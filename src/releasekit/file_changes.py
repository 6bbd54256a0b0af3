"""File changes of a release that check, apply and undo themselves by compare-and-swap.

A change knows the bytes it expects to find (``old``) and the bytes it leaves (``new``; ``None``
removes the file). It writes only over ``old``, and undoes only over ``new``: a file someone else
edited in between is never overwritten, in either direction, and is reported instead. Undo looks
at the file rather than at a flag, so a change interrupted anywhere (even between the write and
the bookkeeping, or in an earlier process: see ``release_journal``) is undone exactly.
"""

from __future__ import annotations

import contextlib
import difflib
import itertools
import os
import stat
from collections.abc import Sequence
from pathlib import Path

from releasekit.errors import ApplyError
from releasekit.records import field, mutable

# Beside the file, so that the rename that installs it stays on one file system.
_TEMPORARY_SUFFIX = ".releasekit-tmp"


def _read(path: Path) -> bytes | None:
    """The file's bytes, or ``None`` when there is no file."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def replace_bytes(path: Path, content: bytes, mode: int, times: tuple[int, int] | None) -> None:
    """Install ``content`` at ``path`` in one rename, with ``mode`` and (when given) ``times``.

    A reader never sees half a file, and a crash leaves either the old file or the new one.
    """
    temporary = path.with_name(path.name + _TEMPORARY_SUFFIX)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        if times is not None:
            os.utime(temporary, ns=times)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def _range(start: int, stop: int) -> str:
    """A hunk header's ``start,length`` as unified diffs write it (a lone line: no length)."""
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start if not length else start + 1},{length}"


def _marked(mark: str, lines: list[str], ended: bool) -> str:
    """``lines``, each after ``mark`` and ending in a newline; ``ended``: all of them do."""
    if not lines:
        return ""
    if ended:
        return mark + mark.join(lines)
    return "".join(mark + (line if line.endswith("\n") else line + "\n") for line in lines)


class _Matcher(difflib.SequenceMatcher[str]):
    """difflib's matcher, indexing only the new lines that also are old lines.

    difflib indexes every line of the new text (``b``) before matching, one Python step per
    line; a release drafted from 20,000 commits adds 13,000 lines, and indexing them took most
    of the diff's time. Only lines of the old text (``a``) are ever looked up in that index, so
    the others are left out, found by a scan that runs in C. Popular lines are dropped exactly
    as difflib drops them (counted over the whole new text), so the blocks, hunks and text are
    difflib's own; no line is junk here (``isjunk`` is ``None``).
    """

    # Set by difflib's constructor; typeshed leaves them out.
    a: Sequence[str]
    b: Sequence[str]
    autojunk: bool

    def _SequenceMatcher__chain_b(self) -> None:  # replaces difflib's own
        new = self.b
        wanted = set(self.a)
        index: dict[str, list[int]] = {}
        for position in itertools.compress(range(len(new)), map(wanted.__contains__, new)):
            index.setdefault(new[position], []).append(position)
        self.bjunk: set[str] = set()
        self.bpopular: set[str] = set()
        if self.autojunk and len(new) >= 200:  # noqa: PLR2004  # difflib's threshold
            most = len(new) // 100 + 1
            self.bpopular.update(line for line, found in index.items() if len(found) > most)
            for line in self.bpopular:
                del index[line]
        self.b2j = index


def unified_diff(old_text: str, new_text: str, before: str, after: str) -> str:
    """``difflib.unified_diff`` of two texts' lines (three lines of context), as one text.

    Every line ends in a newline (one is added where a line has none). The hunks are difflib's
    own (``_Matcher``); only the text is made in slices rather than line by line (a release
    drafted from 20,000 commits adds 13,000 lines).
    """
    old = old_text.splitlines(keepends=True)
    new = new_text.splitlines(keepends=True)
    # Each "\n" ends a line, so as many as there are lines means each line ends with one.
    ended_old = old_text.count("\n") == len(old)
    ended_new = new_text.count("\n") == len(new)
    parts: list[str] = []
    for group in _Matcher(None, old, new).get_grouped_opcodes(3):
        if not parts:
            parts.append(f"--- {before}\n+++ {after}\n")
        first, last = group[0], group[-1]
        parts.append(f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                parts.append(_marked(" ", old[i1:i2], ended_old))
                continue
            if tag in {"replace", "delete"}:
                parts.append(_marked("-", old[i1:i2], ended_old))
            if tag in {"replace", "insert"}:
                parts.append(_marked("+", new[j1:j2], ended_new))
    return "".join(parts)


@mutable
class FileChange:
    """Replace (or, with ``new`` of ``None``, remove) a file that holds ``old``.

    ``path`` is the real file (a planned link is resolved while planning); ``display`` names it
    for people. A file without its owner's write permission is refused even when running as root:
    a read-only version file is a deliberate signal, and honouring it makes the outcome the same
    for everyone.
    """

    path: Path
    display: str
    old: bytes
    new: bytes | None
    # The file's permission bits and (atime, mtime) in ns, read by ``check``; undo restores them.
    mode: int = field(default=0o644, repr=False)
    times: tuple[int, int] | None = field(default=None, repr=False)

    def describe(self) -> str:
        """Name the file and what happens to it."""
        return f"{'remove' if self.new is None else 'write'} {self.display}"

    def diff(self) -> str:
        """The change as ``git diff`` would show it (``difflib.unified_diff``'s text)."""
        old = self.old.decode("utf-8", errors="replace")
        new = "" if self.new is None else self.new.decode("utf-8")
        after = "/dev/null" if self.new is None else f"b/{self.display}"
        text = unified_diff(old, new, f"a/{self.display}", after)
        return text or (f"--- a/{self.display}\n+++ /dev/null\n" if self.new is None else "")

    def check(self) -> None:
        """Refuse the change unless the file is still as planned.

        As planned means a regular, writable file with exactly the old bytes. Called for every
        file before the first write, and again just before this one is written.
        """
        try:
            info = self.path.lstat()
        except FileNotFoundError as exc:
            raise ApplyError(
                "file disappeared after the plan was made", where=self.display, hint="run again"
            ) from exc
        if not stat.S_ISREG(info.st_mode):
            raise ApplyError(
                "file is no longer a regular file", where=self.display, hint="run again"
            )
        if self.new is not None and not info.st_mode & stat.S_IWUSR:
            raise ApplyError(
                "file is read-only",
                where=self.display,
                hint="make it writable (chmod u+w) and run again",
            )
        if _read(self.path) != self.old:
            raise ApplyError(
                "file changed after the plan was made; it was left as it is",
                where=self.display,
                hint="run again to see the new plan",
            )
        self.mode = stat.S_IMODE(info.st_mode)
        self.times = (info.st_atime_ns, info.st_mtime_ns)

    def apply(self) -> None:
        """Check, then write the new bytes in one rename (or remove the file)."""
        self.check()
        if self.new is None:
            self.path.unlink()
        else:
            replace_bytes(self.path, self.new, self.mode, None)

    def undo(self) -> str | None:
        """Put the old bytes back if the file holds what this change left; else leave it.

        Returns a note when the file holds something else: someone's edit, which is kept.
        """
        temporary = self.path.with_name(self.path.name + _TEMPORARY_SUFFIX)
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        current = _read(self.path)
        if current == self.old:
            return None
        if current != self.new:
            return f"{self.display} was changed by someone else meanwhile and was kept as it is"
        replace_bytes(self.path, self.old, self.mode, self.times)
        return None

    def state(self) -> str:
        """``old``, ``new`` or ``other``: what the file holds now."""
        current = _read(self.path)
        if current == self.old:
            return "old"
        return "new" if current == self.new else "other"
