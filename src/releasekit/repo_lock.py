"""One ``prepare`` at a time per repository: a lock file in the git directory, naming its owner.

Two releases at once damage each other (one's rollback writes stale bytes over the other's
files), so the second stops and names the first. The owner is a pid *and* the process's start
time: a pid reused after a crash must not look like the old owner. A lock whose owner is gone is
stale; it is removed and said so. Whether the dead owner left work to finish is the journal's
question (``release_journal``), not the lock's.
"""

from __future__ import annotations

import contextlib
import datetime
import os
from collections.abc import Iterator
from pathlib import Path

from releasekit.errors import ReleaseError
from releasekit.records import asdict, frozen

# /proc/PID/stat's starttime, numbered from the state field that follows the command name.
_START_FIELD = 19


def _host() -> str:
    """The machine's name; ``socket`` is loaded only when a lock is taken or read."""
    import socket  # noqa: PLC0415  # a dry run takes no lock

    return socket.gethostname()


def process_start(pid: int) -> str | None:
    """When process ``pid`` started, as the kernel counts it (Linux), or ``None`` elsewhere."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 22 (starttime), counted after the parenthesised command name, which may hold spaces.
    fields = text.rpartition(")")[2].split()
    return fields[_START_FIELD] if len(fields) > _START_FIELD else None


def process_running(pid: int, start: str | None) -> bool:
    """Whether process ``pid`` runs and is the one that started at ``start`` (not a reused pid).

    Where start times cannot be read, a running pid is taken to be the same process.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # someone else's process: it exists
    now = process_start(pid)
    return start is None or now is None or now == start


@frozen
class Owner:
    """Who holds (or held) a lock, and what they ran."""

    pid: int
    start: str | None
    host: str
    command: str
    since: str

    @classmethod
    def me(cls, command: str) -> Owner:
        """The running process, as a lock owner."""
        now = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
        pid = os.getpid()
        return cls(pid, process_start(pid), _host(), command, now)

    def running(self) -> bool:
        """Whether the owner may still be running (another host's process is assumed to be)."""
        return self.host != _host() or process_running(self.pid, self.start)

    def describe(self) -> str:
        """``pid 1234 since 2026-11-25T10:03:02+00:00: releasekit prepare minor``."""
        host = "" if self.host == _host() else f" on {self.host}"
        return f"pid {self.pid}{host} since {self.since}: {self.command}"

    @classmethod
    def from_json(cls, data: object) -> Owner | None:
        """Read an owner back; ``None`` for anything that is not one."""
        if not isinstance(data, dict):
            return None
        try:
            return cls(
                pid=int(data["pid"]),
                start=None if data.get("start") is None else str(data["start"]),
                host=str(data["host"]),
                command=str(data["command"]),
                since=str(data["since"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


class LockedError(ReleaseError):
    """Another ``prepare`` is running in this repository (exit 1)."""


def _unwritable(exc: OSError, shown: str) -> LockedError:
    """The lock cannot be created where it belongs."""
    return LockedError(
        f"cannot create the release lock: {exc.strerror}",
        where=shown,
        hint="releasekit keeps its lock and journal in the git directory; make that possible",
    )


def _read_owner(path: Path) -> Owner | None:
    import json  # noqa: PLC0415  # a dry run reads no lock

    try:
        return Owner.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


@contextlib.contextmanager
def repository_lock(directory: Path, shown: str, command: str) -> Iterator[tuple[Owner, list[str]]]:
    """Hold the lock in ``directory`` for the block; yield its owner (this process) and notes.

    A note says that a stale lock was removed.

    ``shown`` is how the lock file is named in messages (``.git/releasekit/lock``).
    """
    import json  # noqa: PLC0415  # see _read_owner

    path = directory / "lock"
    me = Owner.me(command)
    notes: list[str] = []
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _unwritable(exc, shown) from exc
    for _ in range(2):
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            owner = _read_owner(path)
            if owner is not None and owner.running():
                raise LockedError(
                    "another releasekit prepare is running in this repository "
                    f"({owner.describe()})",
                    where=shown,
                    hint="wait for it to finish; if it is not running, remove the lock file",
                ) from None
            who = owner.describe() if owner is not None else "an unreadable owner"
            # Remove it only if it is still the stale lock just read, not a newcomer's.
            if _read_owner(path) == owner:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                notes.append(f"removed a stale lock ({who}), whose process is not running")
            continue
        except OSError as exc:
            raise _unwritable(exc, shown) from exc
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(asdict(me), handle)
        break
    else:
        raise LockedError(
            "cannot take the release lock: another process keeps creating it",
            where=shown,
            hint="wait for the other release to finish, then run again",
        )
    try:
        yield me, notes
    finally:
        if _read_owner(path) == me:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
