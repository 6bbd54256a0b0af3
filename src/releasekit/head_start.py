"""git's long reads started before the command line is loaded, for the commands that need them.

Loading Python and the command line takes about a tenth of a second; git's walk of a long
history (``notes --from-commits --all`` reads every commit; ``prepare`` and ``notes`` find the
tags on HEAD's line) takes as long again. Started first, the walk runs on another core while
Python loads, and the command takes it over when it asks for the same thing in the same folder
(``git.prefetch``, ``git.start_early``); whatever is not taken is stopped at exit. Every command
started here only reads the repository.

In a repository without tags, where the walk of all of HEAD is started, the branch listing and
(for ``prepare``) the projects in the tree (a walk of every folder for untracked
``pyproject.toml`` files) are started too: planning asks for them first. With tags, planning
waits for git's walk of the tags on HEAD's line anyway, and more git beside it only slowed it;
``notes --all`` walks the whole history either way, and starts the branch listing with it.

Only the plain cases are started: one project in the folder the command runs in (no
``--package``, no ``prepare --all``). The rest simply start their git commands when they get to
them.
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Sequence
from pathlib import Path

from releasekit.errors import GitError
from releasekit.git import (
    BRANCHES,
    LAYOUT,
    LOG,
    LOG_RECORD,
    MERGED_TAGS,
    TAG_COMMITS,
    TAG_DATES,
    TREE_PROJECTS,
    Git,
    end_early,
    prefetch,
    start_early,
)
from releasekit.project_root import top_level


def _prefetch_history(folder: Path) -> None:
    """What ``commits.HistoryWalk`` reads: every commit reachable from HEAD."""
    prefetch(folder, *LOG, LOG_RECORD, "HEAD")


def _prefetch_unreleased(folder: Path) -> None:
    """What ``commits.read_log`` reads when no release tag excludes anything: all of HEAD."""
    prefetch(folder, *LOG, LOG_RECORD, "--stdin", stdin="HEAD\n")


def _has_tags(git: Git) -> bool:
    """Whether the repository has any tag at all.

    Read from the repository's files where they say it plainly (``_tags_on_disk``): git
    started here is waited for before Python can go on loading. Otherwise one short
    ``for-each-ref``. Only the guess of what to start depends on it, never a result.
    """
    on_disk = _tags_on_disk(git.root)
    if on_disk is not None:
        return on_disk
    listed = git.run("for-each-ref", "--count=1", "--format=x", "refs/tags", check=False)
    return listed.returncode != 0 or bool(listed.stdout.strip())


def _tags_on_disk(folder: Path) -> bool | None:
    """Whether the ``.git`` folder above ``folder`` holds a tag; ``None``: it cannot say.

    It cannot for a git folder chosen by the environment, a worktree or submodule (``.git`` is
    a file there), or refs kept in a reftable. A tag is an entry under ``refs/tags`` (a folder
    left empty counts too: the guess is then only slower) or a line of ``packed-refs``.
    """
    if "GIT_DIR" in os.environ or "GIT_COMMON_DIR" in os.environ:
        return None
    dot_git = top_level(folder.absolute()) / ".git"
    if not dot_git.is_dir() or (dot_git / "reftable").exists():
        return None
    try:
        with os.scandir(dot_git / "refs" / "tags") as listing:
            if any(True for _ in listing):
                return True
    except FileNotFoundError:
        pass
    except OSError:
        return None
    try:
        with (dot_git / "packed-refs").open("rb") as packed:
            return any(b" refs/tags/" in line for line in packed)
    except FileNotFoundError:
        return False
    except OSError:
        return None


def begin(command: str, folder: str | None, words: Sequence[str]) -> None:
    """Start the git reads that ``prepare`` or ``notes`` (``entry.split_command``) will ask for."""
    where = Path(folder or ".")
    if (
        not where.is_dir()
        or (command == "notes" and "--from-commits" not in words)
        or (command == "prepare" and "--all" in words)  # each package reads its own history
        or any(
            word in ("--help", "-h", "--recover") or word.startswith("--package") for word in words
        )
    ):
        return
    atexit.register(end_early)
    git = Git(where)
    try:
        # The walk first (the longest), then the tags, and where the repository keeps things
        # (the first question of every command).
        if command == "notes" and "--all" in words:
            _prefetch_history(where)
            for args in (TAG_COMMITS, TAG_DATES, LAYOUT, BRANCHES):
                start_early(git, *args)
            return
        start_early(git, *MERGED_TAGS)
        # ``prepare auto``, ``auto,rc``; ``notes --from-commits`` drafts from the same range.
        auto = command == "notes" or any(word.startswith("auto") for word in words)
        untagged = auto and not _has_tags(git)
        if untagged:
            _prefetch_unreleased(where)  # no tag: the release reads all of HEAD
        for args in (TAG_COMMITS, LAYOUT):
            start_early(git, *args)
        if untagged:
            # With tags, the command waits for git's walk of the tags on HEAD's line, and more
            # git beside it only slows that; without, it waits for these as it plans.
            start_early(git, *BRANCHES)
            if command == "prepare":
                start_early(git, *TREE_PROJECTS)  # the projects (``packages.discover``)
    except (OSError, GitError):
        pass  # no git, an unreadable folder: the command reports it in its own words
