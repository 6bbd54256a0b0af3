"""git's long reads started before the command line is loaded, for the commands that need them.

Loading Python and the command line takes about a tenth of a second; git's walk of a long
history (``notes --from-commits --all`` reads every commit; ``prepare`` and ``notes`` find the
tags on HEAD's line) takes as long again. Started first, the walk runs on another core while
Python loads, and the command takes it over when it asks for the same thing in the same folder
(``git.prefetch``, ``git.start_early``); whatever is not taken is stopped at exit. Every command
started here only reads the repository.

Only the plain cases are started: one project in the folder the command runs in (no
``--package``, no ``prepare --all``). The rest simply start their git commands when they get to
them.
"""

from __future__ import annotations

import atexit
import subprocess
from collections.abc import Sequence
from pathlib import Path

from releasekit.git import (
    LOG,
    LOG_RECORD,
    MERGED_TAGS,
    TAG_COMMITS,
    end_early,
    prefetch,
    start_early,
)

# The options of ``prepare`` and ``notes`` that take a value (the value is no word of its own).
_VALUED = frozenset({"-C", "--package", "--date"})


def _folder_and_words(args: Sequence[str]) -> tuple[Path, str, list[str]]:
    """The folder (``-C``), the command's name, and the words after it but ``-C DIR``.

    ``-C`` counts before or after the command's name, as the command line takes it.
    """
    folder = Path()
    command = ""
    words: list[str] = []
    remaining = iter(args)
    for word in remaining:
        if word == "-C":
            folder = Path(next(remaining, "."))
        elif not command and not word.startswith("-"):
            command = word
        elif command:
            words.append(word)
    return folder, command, words


def _prefetch_history(folder: Path) -> None:
    """What ``commits.HistoryWalk`` reads: every commit reachable from HEAD."""
    prefetch(folder, *LOG, LOG_RECORD, "HEAD")


def _prefetch_unreleased(folder: Path) -> None:
    """What ``commits.read_log`` reads when no release tag excludes anything: all of HEAD."""
    prefetch(folder, *LOG, LOG_RECORD, "--stdin", stdin="HEAD\n")


def _has_tags(folder: Path) -> bool:
    """Whether the repository has any tag at all (one short ``for-each-ref``)."""
    listed = subprocess.run(
        ["git", "for-each-ref", "--count=1", "--format=x", "refs/tags"],
        cwd=folder,
        capture_output=True,
        check=False,
    )
    return listed.returncode != 0 or bool(listed.stdout.strip())


def begin(args: Sequence[str]) -> None:
    """Start the git reads that the command ``args`` (``sys.argv[1:]``) will ask for."""
    folder, command, words = _folder_and_words(args)
    if command not in ("prepare", "notes") or any(
        word in ("--help", "-h", "--recover") or word.startswith("--package") for word in words
    ):
        return
    if command == "prepare" and "--all" in words:
        return  # every package of a monorepo: each reads its own history
    from_commits = command == "notes" and "--from-commits" in words
    if (command == "notes" and not from_commits) or not folder.is_dir():
        return
    atexit.register(end_early)
    try:
        if from_commits and "--all" in words:
            _prefetch_history(folder)
            start_early(folder, *TAG_COMMITS)
        else:
            start_early(folder, *MERGED_TAGS)
            start_early(folder, *TAG_COMMITS)
            auto = from_commits or any(word.startswith("auto") for word in _positional(words))
            if auto and not _has_tags(folder):
                _prefetch_unreleased(folder)  # no tag: the release reads all of HEAD
    except OSError:
        pass  # no git, an unreadable folder: the command reports it in its own words


def _positional(words: Sequence[str]) -> list[str]:
    """The words that are not options or options' values."""
    found = []
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word.startswith("-"):
            skip = word in _VALUED
        else:
            found.append(word)
    return found
