"""Are these files the release? Compare the distributions' version with the project's.

After ``releasekit prepare patch`` without a rebuild, ``dist/`` still holds the previous
version's files; checking and publishing them would "succeed" while releasing nothing new. The
project's version is read as ``build`` reads it (the version sources, or the release tag on HEAD
for tag-derived projects). Outside a project there is nothing to compare with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import Version

from releasekit.config import LEGACY_FILES, PYPROJECT, load_project
from releasekit.dists import name_and_version
from releasekit.findings import Finding
from releasekit.project_meta import static_name
from releasekit.records import frozen

CODE = "other-version"
HINT = "run releasekit build (or pass --allow-other-version if these are the files you mean)"


@frozen
class ProjectVersion:
    """The version the project declares, and the release tagged on HEAD; either may be unknown."""

    name: str | None
    declared: Version | None
    tagged: Version | None

    def describe(self) -> str:
        """``1.1.1``, ``1.1.1 (tagged on HEAD)`` or ``1.1.1 (HEAD is tagged 1.1.0)``."""
        if self.declared is None:
            return f"{self.tagged} (tagged on HEAD)"
        if self.tagged is None:
            return str(self.declared)
        if self.tagged == self.declared:
            return f"{self.declared} (tagged on HEAD)"
        return f"{self.declared} (HEAD is tagged {self.tagged})"

    def accepts(self, version: Version) -> bool:
        """Whether files of ``version`` are this project's current release."""
        return all(known in {None, version} for known in (self.declared, self.tagged))


def project_version(root: Path, env: Mapping[str, str]) -> ProjectVersion | None:
    """The project's version as ``build`` expects it; ``None`` outside a project or if unknown."""
    if not any((root / name).is_file() for name in (PYPROJECT, *LEGACY_FILES)):
        return None
    # Only inside a project: reading its version needs git, tags and the version sources.
    from releasekit.build import expected_versions  # noqa: PLC0415

    declared, tagged = expected_versions(root, env)
    if declared is None and tagged is None:
        return None  # tag-derived, and HEAD is not a release: build says what it makes of that
    return ProjectVersion(static_name(load_project(root)), declared, tagged)


def other_versions(paths: Sequence[Path], project: ProjectVersion, root: Path) -> Finding | None:
    """One finding for every file whose version is not the project's, or ``None``."""
    wanted = canonicalize_name(project.name) if project.name else None
    others: dict[Version, list[Path]] = {}
    for path in paths:
        parsed = name_and_version(path.name)
        if parsed is None or (wanted is not None and canonicalize_name(parsed[0]) != wanted):
            continue
        if not project.accepts(parsed[1]):
            others.setdefault(parsed[1], []).append(path)
    if not others:
        return None
    first = next(iter(others.values()))[0].parent
    folder = first.relative_to(root) if first.is_relative_to(root) else first
    count = sum(len(files) for files in others.values())
    versions = ", ".join(str(v) for v in sorted(others))
    files = f"{count} file{'s' if count != 1 else ''} of " if count > 1 else ""
    return Finding(
        f"{folder}/",
        "warning",
        CODE,
        f"{folder}/ holds {files}{versions} but the project is at {project.describe()}",
        HINT,
    )
