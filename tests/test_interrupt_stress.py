"""50 Ctrl-Cs at random moments of ``prepare --yes --push``: every run is whole or untouched.

The moments are drawn from a seeded generator (the seed is in the test id, so a failure can be
replayed) over the whole life of a release, with and without slow hooks on either side. Each
run must end either fully released (commit and tag here and on the remote, clean tree) or
exactly as before, and its last line must say which.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import time
from pathlib import Path

from tests.support import RELEASE_DATE, Repo, git, install_hook, snapshot, spawn_releasekit
from tests.test_transaction import released

RUNS = 50
SEED = 20261125
# Hooks that widen the moments a signal can land in: none, a slow commit, a slow tag, a slow
# server. Each sleeps briefly so that the 50 runs stay within a minute or so.
VARIANTS: list[tuple[str, str, bool]] = [
    ("", "", False),
    ("post-commit", "sleep 0.3\n", False),
    ("reference-transaction", '[ "$1" = committed ] && sleep 0.2\nexit 0\n', False),
    ("pre-receive", "sleep 0.3\n", True),
]


def _copy(template: Repo, target: Path) -> Repo:
    """A fresh copy of the template repository and its remote, wired to each other."""
    target.mkdir()
    shutil.copytree(template.path, target / "work", symlinks=True)
    shutil.copytree(template.remote, target / "remote.git", symlinks=True)
    repo = Repo(target / "work", target / "remote.git")
    repo.git("remote", "set-url", "origin", str(repo.remote))
    return repo


def test_fifty_interrupts_leave_a_whole_release_or_nothing(demo_repo: Repo, tmp_path: Path) -> None:
    """Every interrupted run is released or identical to before, and says which."""
    chooser = random.Random(SEED)  # noqa: S311  # moments to interrupt at, not secrets
    outcomes = {"released": 0, "untouched": 0}
    for run in range(RUNS):
        repo = _copy(demo_repo, tmp_path / f"run{run}")
        name, script, bare = VARIANTS[run % len(VARIANTS)]
        if name:
            install_hook(repo, name, script, bare=bare)
        before = snapshot(repo)
        # From 0.12 s: earlier, a loaded machine may still be starting the interpreter, where
        # Python's own handler (not releasekit's) meets the signal.
        delay = chooser.uniform(0.12, 1.6)
        process = spawn_releasekit(
            repo.path, "prepare", "minor", "--yes", "--push", "--date", RELEASE_DATE, session=True
        )
        time.sleep(delay)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
        _, stderr = process.communicate(timeout=120)
        last = stderr.splitlines()[-1] if stderr.strip() else ""
        where = f"run {run} (seed {SEED}, variant {name or 'none'}, {delay:.2f} s): {stderr}"
        if released(repo):
            assert 0 == process.returncode, where
            outcomes["released"] += 1
        else:
            assert before == snapshot(repo), where
            assert 130 == process.returncode, where
            assert last.endswith(
                (
                    "every change was rolled back",
                    "interrupted before any change; nothing was changed",
                )
            ), where
            assert not (repo.path / ".git/releasekit/journal").exists(), where
            outcomes["untouched"] += 1
        assert not list((repo.path / ".git").glob("*.lock")), where
        git(repo.path, "fsck", "--no-progress")
    # Both outcomes must occur, or the moments did not cover the release.
    assert outcomes["released"], outcomes
    assert outcomes["untouched"], outcomes
