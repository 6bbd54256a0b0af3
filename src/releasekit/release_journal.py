"""The persisted record of a release in progress: what a killed ``prepare`` leaves to settle.

Written to ``.git/releasekit/journal`` (with the files' old and new bytes under
``.git/releasekit/backup/``) before the first change, updated when a git child starts or stops
and when the push begins, and removed once the release is settled. A process that dies without
settling (SIGKILL, power loss) leaves it behind, and the next ``prepare`` explains it and offers
``--recover``. The record holds facts to compare with, never a list of "done" flags: what was
done is read from the repository itself.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

from releasekit.errors import ReleaseError
from releasekit.file_changes import FileChange, replace_bytes
from releasekit.records import asdict, field, mutable
from releasekit.repo_lock import Owner, process_running, process_start

JOURNAL_NAME = "journal"
_FORMAT = 2  # 2: several commits and tags (a monorepo release)


@mutable
class PushRecord:
    """The atomic push of a release: where to, which remote refs, and whether it began."""

    remote: str
    refs: list[str]
    started: bool = False


@mutable
class Child:
    """A git child of the release that was running when the record was last written."""

    pid: int
    start: str | None

    def running(self) -> bool:
        """Whether that very process (same pid and start time) is still running."""
        return process_running(self.pid, self.start)


@mutable
class Record:
    """Everything needed to tell, later, what a release changed and how to undo it."""

    owner: Owner
    worktree: str
    release: str
    head_before: str
    branch_ref: str | None
    # The release commits' messages in the order they are made (one, or one per package).
    messages: list[str]
    tags: list[str]
    changes: list[FileChange]
    index: bytes | None
    push: PushRecord | None = None
    child: Child | None = None
    # Lock files of git that existed when the release began; others are an interrupted child's.
    lock_files: list[str] = field(default_factory=list)


class JournalError(ReleaseError):
    """The journal exists but cannot be read (exit 1)."""


class Journal:
    """The journal file and its backups in one folder of the git directory."""

    def __init__(self, directory: Path, shown: str) -> None:
        self.directory = directory
        self.path = directory / JOURNAL_NAME
        self.backups = directory / "backup"
        self.shown = shown  # how messages name the journal (.git/releasekit/journal)
        self.record: Record | None = None

    def exists(self) -> bool:
        """Whether a journal was left behind (or is being written by this process)."""
        return self.path.exists()

    def begin(self, record: Record) -> None:
        """Save the backups, then the record: the record never names a backup that is missing."""
        self.record = record
        shutil.rmtree(self.backups, ignore_errors=True)
        self.backups.mkdir(parents=True)
        for number, change in enumerate(record.changes):
            (self.backups / f"{number}.old").write_bytes(change.old)
            if change.new is not None:
                (self.backups / f"{number}.new").write_bytes(change.new)
        if record.index is not None:
            (self.backups / "index").write_bytes(record.index)
        self.save()

    def save(self) -> None:
        """Write the record as it is now, in one rename."""
        record = self.record
        if record is None:
            return
        data = {
            "format": _FORMAT,
            "owner": asdict(record.owner),
            "worktree": record.worktree,
            "release": record.release,
            "head_before": record.head_before,
            "branch_ref": record.branch_ref,
            "messages": record.messages,
            "tags": record.tags,
            "changes": [
                {
                    "path": str(change.path),
                    "display": change.display,
                    "removed": change.new is None,
                    "mode": change.mode,
                    "times": list(change.times) if change.times else None,
                }
                for change in record.changes
            ],
            "index": record.index is not None,
            "push": asdict(record.push) if record.push else None,
            "child": asdict(record.child) if record.child else None,
            "lock_files": record.lock_files,
        }
        import json  # noqa: PLC0415  # loaded only when a release is written (or read back)

        text = json.dumps(data, indent=1).encode()
        replace_bytes(self.path, text, 0o644, None)

    def started(self, pid: int) -> None:
        """A git child is running: name it, so that a later recovery waits for it."""
        if self.record is not None:
            self.record.child = Child(pid, process_start(pid))
            self.save()

    def ended(self) -> None:
        """The child was reaped."""
        if self.record is not None and self.record.child is not None:
            self.record.child = None
            self.save()

    def push_started(self) -> None:
        """From here on the remote may have the release: only asking it can tell."""
        if self.record is not None and self.record.push is not None:
            self.record.push.started = True
            self.save()

    def load(self) -> Record:
        """Read the journal left behind; a damaged one is an error naming it."""
        import json  # noqa: PLC0415  # see save

        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            owner = Owner.from_json(data["owner"])
            if data.get("format") not in (1, _FORMAT) or owner is None:
                raise ValueError("unknown format")
            if data["format"] == 1:  # one commit, one tag, as releasekit wrote before 2
                data["messages"] = [data["message"]] if data["message"] is not None else []
                data["tags"] = [data["tag"]] if data["tag"] is not None else []
            changes = []
            for number, item in enumerate(data["changes"]):
                new = None if item["removed"] else (self.backups / f"{number}.new").read_bytes()
                change = FileChange(
                    Path(item["path"]),
                    str(item["display"]),
                    (self.backups / f"{number}.old").read_bytes(),
                    new,
                    mode=int(item["mode"]),
                    times=(int(item["times"][0]), int(item["times"][1])) if item["times"] else None,
                )
                changes.append(change)
            push = data["push"]
            child = data["child"]
            self.record = Record(
                owner=owner,
                worktree=str(data["worktree"]),
                release=str(data["release"]),
                head_before=str(data["head_before"]),
                branch_ref=data["branch_ref"],
                messages=[str(message) for message in data["messages"]],
                tags=[str(tag) for tag in data["tags"]],
                changes=changes,
                index=(self.backups / "index").read_bytes() if data["index"] else None,
                push=PushRecord(**push) if push else None,
                child=Child(**child) if child else None,
                lock_files=[str(name) for name in data["lock_files"]],
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise JournalError(
                f"the journal of an interrupted release cannot be read ({exc})",
                where=self.shown,
                hint=f"check the repository by hand (git status, git log), then remove "
                f"{self.directory}",
            ) from exc
        return self.record

    def clear(self) -> None:
        """Forget the release: it is settled."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        shutil.rmtree(self.backups, ignore_errors=True)
        self.record = None
