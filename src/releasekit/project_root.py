"""Finding the project from wherever releasekit was started, as uv and bump-my-version do.

The project is the nearest folder, going up from the start folder, that holds a pyproject.toml
(or, for an older project, a setup.py or setup.cfg). The search stops at the top of the git work
tree the start folder is in (a folder holding ``.git``, a folder or a file for worktrees and
submodules), so a project never resolves to a folder outside its repository; outside git it goes
up to the filesystem root. Only the file system is read: no git process is started.
"""

from __future__ import annotations

from pathlib import Path

from releasekit.records import frozen

# What marks a project folder, in the order they are reported.
PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg")


@frozen
class FoundProject:
    """Where the search started, the project folder it found, and the file that marked it."""

    start: Path
    root: Path
    marker: str


def top_level(root: Path) -> Path:
    """The git work tree's top at or above ``root`` (where ``.git`` is), else ``root``."""
    for folder in (root, *root.parents):
        if (folder / ".git").exists():
            return folder
    return root


def find_project(start: Path) -> FoundProject | None:
    """The nearest project folder at or above ``start``, not above the git work tree's top.

    ``start`` should be absolute (it is resolved otherwise). None when no folder on the way up
    holds a project file; the caller then reports "no pyproject.toml found" for ``start``.
    """
    start = start.resolve()
    for folder in (start, *start.parents):
        for name in PROJECT_FILES:
            if (folder / name).is_file():
                return FoundProject(start=start, root=folder, marker=name)
        if (folder / ".git").exists():
            return None
    return None
