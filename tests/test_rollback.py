"""Atomic prepare: each step is made to fail for real, and the repository must be as before."""

from __future__ import annotations

import os
import signal
import stat
import time
from pathlib import Path

from tests.support import (
    RELEASE_DATE,
    Repo,
    install_hook,
    run_releasekit,
    snapshot,
    spawn_releasekit,
)


def prepare(repo: Repo, *args: str) -> tuple[int, str]:
    """Run prepare with --yes; return the exit code and standard error."""
    result = run_releasekit(repo.path, "prepare", "minor", "--yes", "--date", RELEASE_DATE, *args)
    return result.returncode, result.stderr


def test_failing_pre_commit_hook_rolls_back(demo_repo: Repo) -> None:
    """A pre-commit hook that refuses leaves files, index and refs exactly as they were."""
    install_hook(
        demo_repo, "pre-commit", 'echo "lint: trailing whitespace in CHANGELOG.md" >&2\nexit 1\n'
    )
    before = snapshot(demo_repo)
    code, stderr = prepare(demo_repo)
    assert 1 == code
    assert (
        'error: commit pyproject.toml, src/demo/__init__.py, CHANGELOG.md as "Release 1.3.0" failed: '
        f"{demo_repo.path}: git commit failed: lint: trailing whitespace in CHANGELOG.md; "
        "every change was rolled back; fix what the pre-commit hook or git reported, then run again"
    ) == stderr.splitlines()[-1]
    assert before == snapshot(demo_repo)


def test_retry_after_fixing_the_hook_succeeds(demo_repo: Repo) -> None:
    """After a rolled-back attempt, fixing the cause and running again releases normally."""
    hook = install_hook(demo_repo, "pre-commit", "exit 1\n")
    assert 1 == prepare(demo_repo)[0]
    hook.unlink()
    code, stderr = prepare(demo_repo)
    assert 0 == code, stderr
    assert "v1.3.0" == demo_repo.git("describe", "--exact-match")


def test_tag_appearing_meanwhile_rolls_back_and_keeps_their_tag(demo_repo: Repo) -> None:
    """If the tag appears after preflight, the commit and files are undone and that tag is kept."""
    install_hook(demo_repo, "pre-commit", "git tag v1.3.0\n")
    before = snapshot(demo_repo)
    old_head = demo_repo.git("rev-parse", "HEAD")
    code, stderr = prepare(demo_repo)
    assert 1 == code
    last = stderr.splitlines()[-1]
    assert last.startswith(
        "error: create annotated tag v1.3.0 failed: v1.3.0: git tag failed: fatal:"
    )
    assert "every change was rolled back" in last
    after = snapshot(demo_repo)
    refs_before, refs_after = str(before.pop("refs")), str(after.pop("refs"))
    assert before == after
    assert f"{refs_before}\nrefs/tags/v1.3.0 {old_head}" == refs_after


def test_read_only_file_is_refused_before_any_write(demo_repo: Repo) -> None:
    """A version file that cannot be written (read-only) stops the release before any write."""
    target = demo_repo.path / "src/demo/__init__.py"
    target.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    before = snapshot(demo_repo)
    code, stderr = prepare(demo_repo)
    assert 1 == code
    assert (
        "error: src/demo/__init__.py: file is read-only; nothing was changed; "
        "make it writable (chmod u+w) and run again"
    ) == stderr.splitlines()[-1]
    assert before == snapshot(demo_repo)


def test_rejected_push_rolls_back_commit_and_tag(demo_repo: Repo) -> None:
    """When the remote refuses the atomic push, the local commit and tag are undone too."""
    install_hook(demo_repo, "pre-receive", 'echo "protected branch" >&2\nexit 1\n', bare=True)
    before = snapshot(demo_repo)
    code, stderr = prepare(demo_repo, "--push")
    assert 1 == code
    last = stderr.splitlines()[-1]
    assert last.startswith(
        "error: push atomically to origin: HEAD:refs/heads/main refs/tags/v1.3.0 failed"
    )
    assert "origin has none of it (asked with git ls-remote); every change was rolled back" in last
    assert before == snapshot(demo_repo)


def test_interrupt_during_commit_rolls_back(demo_repo: Repo, tmp_path: Path) -> None:
    """Ctrl-C (SIGINT to the process group) while git commits undoes everything; exit 130."""
    marker = tmp_path / "hook-started"
    install_hook(demo_repo, "pre-commit", f'touch "{marker}"\nsleep 60\n')
    before = snapshot(demo_repo)
    process = spawn_releasekit(
        demo_repo.path, "prepare", "minor", "--yes", "--date", RELEASE_DATE, session=True
    )
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the pre-commit hook never started"
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert 130 == process.returncode, stderr
    assert (
        "error: interrupted during commit pyproject.toml, src/demo/__init__.py, CHANGELOG.md "
        'as "Release 1.3.0"; every change was rolled back'
    ) == stderr.splitlines()[-1]
    assert not (demo_repo.path / ".git/index.lock").exists()
    assert before == snapshot(demo_repo)
