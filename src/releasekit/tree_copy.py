"""Copies of a project folder without what no build or release step reads.

Two places copy a working tree: reading metadata through the build backend (backends write into
the tree they are given) and rehearsing a folder that is not a git repository. Both leave out
version control, virtual environments, caches and build output, which are large and never part
of a release.
"""

from __future__ import annotations

import fnmatch
import shutil
from pathlib import Path

# Version control, environments, caches and build output.
NOT_COPIED = (
    ".git",
    ".hg",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    "node_modules",
    "target",
    "dist",
    "build",
    "__pycache__",
    "*.egg-info",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
)


def _ignored(_folder: str, names: list[str]) -> set[str]:
    return {name for name in names if any(fnmatch.fnmatch(name, p) for p in NOT_COPIED)}


def copy_project(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` (which must not exist), links kept as links."""
    shutil.copytree(source, target, ignore=_ignored, symlinks=True)
