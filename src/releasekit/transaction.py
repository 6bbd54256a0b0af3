"""A release applied as one transaction, settled by looking at the repository and the remote.

Before the first write every planned file, HEAD and the tag are checked again (the prompt may
have been open for minutes). Then the journal is written (``release_journal``) and the steps run.
On any failure or signal, nothing the code *believes* it did matters: the branch, the tag, each
file, the index and, once a push began, the remote are read back and compared with the record,
and only what is this release's own is undone, each by compare-and-swap. "Rolled back" is said
only when everything was checked equal to the state before.

The same settling serves a later ``prepare --recover`` for a process that died without settling.
"""

from __future__ import annotations

import contextlib
import signal
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from releasekit.errors import ApplyError, GitError, ReleaseError, Stopped
from releasekit.file_changes import FileChange, replace_bytes
from releasekit.git import Git
from releasekit.interrupts import Interrupted, hold, signals_deferred
from releasekit.plan import Action, Commit, Push, Reporter, Tag
from releasekit.records import frozen
from releasekit.release_journal import Journal, PushRecord, Record
from releasekit.repo_lock import Owner

Kind = Literal["rolled-back", "published", "kept", "unknown", "incomplete"]
RECOVER_COMMAND = "releasekit prepare --recover"


@frozen
class Settlement:
    """How a release that did not finish normally ended up, after checking."""

    kind: Kind
    notes: tuple[str, ...] = ()
    detail: str = ""


def _changes(actions: Sequence[Action]) -> list[FileChange]:
    """Every file change of the plan, the parts of a towncrier build included."""
    changes: list[FileChange] = []
    for action in actions:
        if isinstance(action, FileChange):
            changes.append(action)
        else:
            changes.extend(getattr(action, "parts", []))
    return changes


def _lock_file_candidates(git: Git, record: Record) -> list[Path]:
    """The lock files an interrupted git commit, tag or ref update can leave behind."""
    own, common = git.git_dirs()
    paths = [own / "index.lock", own / "HEAD.lock", common / "packed-refs.lock"]
    paths += sorted(own.glob("next-index-*.lock"))
    if record.branch_ref:
        paths.append(common / f"{record.branch_ref}.lock")
    paths += [common / "refs" / "tags" / f"{tag}.lock" for tag in record.tags]
    return paths


def _chain_position(git: Git, commit: str | None, record: Record) -> int | None:
    """Which of the release's commits ``commit`` is (0 for the first), or ``None``: none of them.

    The release's commits are recognised by what they are, not by what the code remembers:
    commit ``i`` has the message ``messages[i]`` and, as its first parent, commit ``i - 1``
    (``head_before`` for the first). A tag object is peeled to its commit first.
    """
    if commit is None or not record.messages:
        return None
    current = git.ref(f"{commit}^{{commit}}")
    found: list[str] = []
    while current is not None and current != record.head_before:
        if len(found) == len(record.messages):
            return None
        parent_and_message = git.commit_parent_and_message(current)
        if parent_and_message is None:
            return None
        current, message = parent_and_message
        found.append(message)
    if current is None or not found:
        return None
    expected = [message.strip() for message in record.messages[: len(found)]]
    return len(found) - 1 if list(reversed(found)) == expected else None


@frozen
class _Local:
    """What the repository holds of the release, as it is now.

    ``commit`` is the branch's commit when it is one of the release's (``position`` says which),
    and ``tags`` the release's tags that point at the release's commits.
    """

    commit: str | None
    position: int | None
    tags: dict[str, str]


def _local_release(git: Git, record: Record) -> _Local:
    """The release's commit on the branch and its tags, as they are now."""
    branch = git.ref(record.branch_ref) if record.branch_ref else None
    position = _chain_position(git, branch, record)
    tags = {}
    for name in record.tags:
        tag = git.ref(f"refs/tags/{name}")
        if tag is not None and _chain_position(git, tag, record) is not None:
            tags[name] = tag
    return _Local(branch if position is not None else None, position, tags)


def _remote_state(git: Git, push: PushRecord, record: Record) -> Literal["all", "none", "part"]:
    """How much of the release the remote has; raises ``GitError`` when it cannot be asked."""
    found = git.remote_refs(push.remote, push.refs)
    ours = [_chain_position(git, found.get(ref), record) is not None for ref in push.refs]
    if all(ours):
        return "all"
    return "part" if any(ours) else "none"


def _complete(git: Git, record: Record) -> bool:
    """Whether the release is whole locally: all its commits on the branch, its tags, its files."""
    local = _local_release(git, record)
    return (
        local.position == len(record.messages) - 1
        and len(local.tags) == len(record.tags)
        and all(change.state() == "new" for change in record.changes)
    )


def _undo(git: Git, record: Record) -> list[str]:
    """Undo what is this release's own, by compare-and-swap; return what was left and why."""
    notes: list[str] = []
    local = _local_release(git, record)
    commit = local.commit
    for name, tag in local.tags.items():
        try:
            git.delete_ref(f"refs/tags/{name}", tag)
        except GitError as exc:
            notes.append(f"delete tag {name}: {exc.message}")
    if record.branch_ref and commit is not None:
        try:
            git.move_ref(record.branch_ref, record.head_before, commit, "releasekit: roll back")
        except GitError as exc:
            before = record.head_before[:12]
            notes.append(f"move {record.branch_ref} back to {before}: {exc.message}")
    branch = git.ref(record.branch_ref) if record.branch_ref else None
    if record.branch_ref and branch != record.head_before and commit is None:
        shown = branch[:12] if branch else "nothing"
        notes.append(
            f"{record.branch_ref} points at {shown}, which is not this release's commit; "
            "it was left as it is"
        )
    for change in reversed(record.changes):
        try:
            kept = change.undo()
        except OSError as exc:
            kept = f"restore {change.display}: {exc.strerror or exc}"
        if kept:
            notes.append(kept)
    returned = not record.branch_ref or git.ref(record.branch_ref) == record.head_before
    index = git.git_path("index")
    if returned and record.index is not None and index.read_bytes() != record.index:
        try:
            replace_bytes(index, record.index, stat.S_IMODE(index.stat().st_mode), None)
        except OSError as exc:
            notes.append(f"restore the git index: {exc.strerror or exc}")
    _undo_locks(git, record)
    return notes


def _unequal(git: Git, record: Record) -> list[str]:
    """What still differs from the state before the release, checked one by one."""
    problems = []
    if record.branch_ref and git.ref(record.branch_ref) != record.head_before:
        problems.append(f"{record.branch_ref} is not back at {record.head_before[:12]}")
    problems += [f"tag {name} still exists" for name in _local_release(git, record).tags]
    problems += [
        f"{change.display} does not hold its old content"
        for change in record.changes
        if change.state() != "old"
    ]
    index = git.git_path("index")
    if record.index is not None and index.read_bytes() != record.index:
        problems.append("the git index differs from before")
    return problems


def settle(git: Git, record: Record, *, keep_complete: bool) -> Settlement:
    """Decide, by looking, whether the release stands or is undone, and make it so.

    A push that began makes the remote the judge: a remote that has the release means it is
    published, and the local release is kept. ``keep_complete`` (recovery) also keeps a release
    that is whole locally. Everything else is undone.
    """
    push = record.push
    if push is not None and push.started:
        try:
            state = _remote_state(git, push, record)
        except GitError as exc:
            return Settlement("unknown", detail=f"{push.remote} cannot be asked: {exc.message}")
        if state == "all":
            return Settlement("published")
        if state == "part":
            return Settlement("unknown", detail=f"{push.remote} has only part of the release")
    if keep_complete and _complete(git, record):
        return Settlement("kept")
    problems = _undo(git, record) or _unequal(git, record)
    if problems:
        return Settlement("incomplete", tuple(problems))
    asked = (
        f"{push.remote} has none of it (asked with git ls-remote)"
        if push is not None and push.started
        else ""
    )
    return Settlement("rolled-back", detail=asked)


def _cause(exc: BaseException) -> str:
    """One line for an exception, with its place when it has one."""
    if isinstance(exc, ReleaseError):
        return f"{exc.where}: {exc.message}" if exc.where else exc.message
    if isinstance(exc, OSError):
        return f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc)
    return "interrupted"


def _recheck(git: Git, changes: list[FileChange], expected_head: str, tags: list[Tag]) -> None:
    """Everything the plan assumed, checked again right before the first write."""
    for change in changes:
        try:
            change.check()
        except ApplyError as exc:
            exc.message += "; nothing was changed"
            raise
    head = git.head()
    if head != expected_head:
        raise ApplyError(
            f"HEAD moved after the plan was made (now {str(head)[:12]}); nothing was changed",
            where=str(git.root),
            hint="run again to see the new plan",
        )
    for tag in tags:
        if git.ref(f"refs/tags/{tag.name}") is not None:
            raise ApplyError(
                "the tag was created after the plan was made; nothing was changed",
                where=tag.name,
                hint="check who created it, then run again",
            )


def _record(
    git: Git,
    actions: Sequence[Action],
    changes: list[FileChange],
    *,
    owner: Owner,
    expected_head: str,
    release: str,
) -> Record:
    """What the journal keeps of a release about to begin, and the state it begins from."""
    push = next((a for a in actions if isinstance(a, Push)), None)
    index = git.git_path("index")
    record = Record(
        owner=owner,
        worktree=str(git.root),
        release=release,
        head_before=expected_head,
        branch_ref=git.symbolic_head(),
        messages=[action.message for action in actions if isinstance(action, Commit)],
        tags=[action.name for action in actions if isinstance(action, Tag)],
        changes=changes,
        index=index.read_bytes() if index.exists() else None,
        push=PushRecord(push.remote, push.remote_refs) if push else None,
    )
    record.lock_files = [str(p) for p in _lock_file_candidates(git, record) if p.exists()]
    return record


def apply_transaction(
    actions: Sequence[Action],
    git: Git,
    reporter: Reporter,
    *,
    journal: Journal,
    owner: Owner,
    expected_head: str,
    release: str,
) -> Settlement | None:
    """Apply ``actions`` as one transaction; ``None`` when it went through.

    A ``published`` settlement is returned: the push was interrupted or failed after the remote
    took the release, which therefore stands. Every other outcome raises: ``ApplyError`` (exit 1)
    or ``Stopped`` (128 + the signal) whose message says what was checked and what is left.
    """
    changes = _changes(actions)
    _recheck(git, changes, expected_head, [a for a in actions if isinstance(a, Tag)])
    record = _record(
        git, actions, changes, owner=owner, expected_head=expected_head, release=release
    )
    for action in actions:
        step_git = getattr(action, "git", None)
        if isinstance(step_git, Git):
            step_git.watch = journal
    step = "the release"
    pushed_git: Git | None = None
    try:
        journal.begin(record)
        for action in actions:
            step = action.describe()
            reporter.step(step)
            if isinstance(action, Push):
                journal.push_started()
                pushed_git = action.git
            action.apply()
        hold()  # complete: a signal from here on is too late to stop anything
    except (ReleaseError, OSError, KeyboardInterrupt) as exc:
        with signals_deferred():
            if pushed_git is not None and pushed_git.stopped_child:
                settlement = Settlement("unknown", detail="the push was stopped before it finished")
            else:
                settlement = settle(git, record, keep_complete=False)
            if settlement.kind != "unknown":
                journal.clear()
        hold()  # settled: later signals cannot change the outcome
        _raise_for(settlement, exc, step, record)
        return settlement
    finally:
        for action in actions:
            step_git = getattr(action, "git", None)
            if isinstance(step_git, Git):
                step_git.watch = None
    journal.clear()
    return None


def _raise_for(settlement: Settlement, exc: BaseException, step: str, record: Record) -> None:
    """Turn a settlement into the error the user reads; ``published`` raises nothing."""
    signum = None
    if isinstance(exc, Interrupted):
        signum = exc.signum
    elif isinstance(exc, KeyboardInterrupt):
        signum = signal.SIGINT
    what = f"interrupted during {step}" if signum is not None else f"{step} failed"
    cause = "" if signum is not None else f": {_cause(exc)}"
    hint = exc.hint if isinstance(exc, ReleaseError) else None
    if settlement.kind == "published":
        return
    if settlement.kind == "rolled-back":
        asked = f"; {settlement.detail}" if settlement.detail else ""
        message = f"{what}{cause}{asked}; every change was rolled back"
    elif settlement.kind == "unknown":
        remote = record.push.remote if record.push else "the remote"
        message = (
            f"{what}{cause}; {settlement.detail}, so whether {remote} has release "
            f"{record.release} is unknown: the release commit and tag were kept"
        )
        hint = (
            f"when {remote} can be reached, run {RECOVER_COMMAND}: it asks {remote}, "
            "then keeps the release or undoes it"
        )
    else:
        message = f"{what}{cause}; the rollback is incomplete: " + "; ".join(settlement.notes)
        hint = "undo those by hand; everything else was restored"
    if signum is not None:
        raise Stopped(message, signum=signum, hint=hint) from exc
    raise ApplyError(message, hint=hint) from exc


def recover(git: Git, journal: Journal) -> tuple[Record, Settlement]:
    """Settle the release a dead ``prepare`` left in the journal.

    It is kept if it is whole (or published) and undone otherwise; the journal is removed once
    the outcome is certain.
    """
    record = journal.load()
    if record.child is not None and record.child.running():
        raise ApplyError(
            f"git (pid {record.child.pid}), started by the interrupted release, is still running",
            where=journal.shown,
            hint=f"wait for it to finish, then run {RECOVER_COMMAND} again",
        )
    with signals_deferred():
        settlement = settle(git, record, keep_complete=True)
        if settlement.kind in ("published", "kept"):
            _undo_locks(git, record)
        if settlement.kind != "unknown":
            journal.clear()
    return record, settlement


def _undo_locks(git: Git, record: Record) -> None:
    """Remove the lock files a killed git child left (those absent when the release began)."""
    before = set(record.lock_files)
    for path in _lock_file_candidates(git, record):
        if str(path) not in before:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def describe_state(git: Git, record: Record) -> str:
    """What the repository shows of a release left unsettled, in a few words."""
    states = [change.state() for change in record.changes]
    rewritten = sum(state == "new" for state in states)
    parts = [f"{rewritten} of {len(states)} file(s) hold the release"]
    local = _local_release(git, record)
    if len(record.messages) == 1:
        parts.append("release commit " + ("made" if local.commit else "not on the branch"))
    elif record.messages:
        made = 0 if local.position is None else local.position + 1
        parts.append(f"{made} of {len(record.messages)} release commits made")
    parts += [
        f"tag {name} " + ("created" if name in local.tags else "absent") for name in record.tags
    ]
    if record.push is not None:
        parts.append("push " + ("begun" if record.push.started else "not begun"))
    if record.child is not None and record.child.running():
        parts.append(f"git (pid {record.child.pid}) still running")
    return ", ".join(parts)
