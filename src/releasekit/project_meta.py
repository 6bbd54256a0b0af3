"""The project's name and version, wherever the project keeps them.

PEP 621 puts them in ``[project]``; older projects keep them in ``[tool.poetry]`` (Poetry 1.x),
setup.cfg ``[metadata]``, literal ``setup(...)`` keywords, or Cargo.toml (maturin). These are read
statically, without running anything. Only when none of them names the project is the build
backend asked, through its PEP 517 ``prepare_metadata_for_build_wheel`` hook in an isolated
environment (which costs an environment install, so it is done once per project and process).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from releasekit.cargo import crate_name, manifest_path
from releasekit.config import Project
from releasekit.errors import ConfigError, SourceError
from releasekit.isolated_backend import BackendFailure, CapturingRunner, run_hook
from releasekit.records import frozen
from releasekit.setuptools_files import read_setup_cfg, read_setup_py
from releasekit.tree_copy import copy_project

BACKEND_ORIGIN = "the build backend (prepare_metadata_for_build_wheel)"


@frozen
class ProjectMetadata:
    """A name and version, and where they were read (for messages)."""

    name: str
    version: Version
    origin: str


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _is_maturin(project: Project) -> bool:
    backend = project.pyproject.get("build-system", {}).get("build-backend")
    return isinstance(backend, str) and backend.startswith("maturin")


def static_name(project: Project) -> str | None:
    """The project's name as written in its files, without running anything; None if unknown.

    In order: ``[project].name``, ``[tool.poetry].name``, setup.cfg ``[metadata] name``, a
    literal ``name=`` in setup.py, and for maturin without ``[project]`` the crate's name.
    """
    data: Any = project.pyproject
    table = data.get("project")
    if isinstance(table, dict):
        return _text(table.get("name"))
    poetry = data.get("tool", {}).get("poetry", {})
    name = _text(poetry.get("name")) if isinstance(poetry, dict) else None
    if name is not None:
        return name
    cfg = read_setup_cfg(project.root)
    if cfg is not None and cfg.name:
        return cfg.name
    setup_py = read_setup_py(project.root)
    if setup_py is not None and setup_py.name:
        return setup_py.name
    if _is_maturin(project):
        return crate_name(manifest_path(project.root, data))
    return None


def has_backend(project: Project) -> bool:
    """Whether a PEP 517 backend can be asked: one is declared, or setup.py/setup.cfg exists."""
    system = project.pyproject.get("build-system", {})
    declared = isinstance(system, dict) and isinstance(system.get("build-backend"), str)
    legacy = (project.root / "setup.py").is_file() or (project.root / "setup.cfg").is_file()
    return declared or legacy


# Per project root: what the backend answered, or why it could not (asking again costs as much).
_BACKEND_CACHE: dict[Path, ProjectMetadata | SourceError] = {}


def backend_metadata(project: Project) -> ProjectMetadata:
    """Name and version as the build backend reports them (``prepare_metadata_for_build_wheel``).

    Runs in an isolated environment with all output captured; a failure is a ``SourceError`` that
    carries the backend's output. The answer is remembered for the rest of the process.
    """
    root = project.root.resolve()
    known = _BACKEND_CACHE.get(root)
    if isinstance(known, SourceError):
        raise known
    if known is not None:
        return known
    try:
        found = _ask_backend(project, root)
    except SourceError as error:
        _BACKEND_CACHE[root] = error
        raise
    _BACKEND_CACHE[root] = found
    return found


def _ask_backend(project: Project, root: Path) -> ProjectMetadata:
    """Run ``prepare_metadata_for_build_wheel`` and read the name and version it wrote."""
    if not has_backend(project):
        raise ConfigError(
            "pyproject.toml has no [project] table with a name",
            where=str(project.pyproject_path),
            hint="declare the project's metadata in [project] (PEP 621)",
        )
    runner = CapturingRunner()
    with tempfile.TemporaryDirectory(prefix="releasekit-metadata-") as scratch:
        # Backends write into the tree they are given (setuptools' *.egg-info): give them a copy,
        # so that reading metadata leaves the working tree exactly as it was.
        copy = Path(scratch) / "project"
        copy_project(root, copy)
        output = Path(scratch) / "metadata"
        try:
            dist_info = run_hook(
                copy, "wheel", lambda builder: builder.metadata_path(output), runner
            )
            # Imported here: packaging.metadata brings the email package and the requirement
            # parser, which a project that declares its version never needs.
            from packaging.metadata import parse_email  # noqa: PLC0415

            raw, _ = parse_email((Path(dist_info) / "METADATA").read_bytes())
        except BackendFailure as failure:
            raise SourceError(
                f"the build backend could not report the project's metadata: {failure.reason}",
                where=str(project.root),
                hint="the backend's output is above; or declare name and version in [project]",
                details=failure.output,
            ) from failure
        except OSError as exc:
            raise SourceError(
                f"the build backend wrote no METADATA: {exc}", where=str(project.root)
            ) from exc
    name, version = _text(raw.get("name")), _text(raw.get("version"))
    if name is None or version is None:
        raise SourceError(
            "the build backend reported no name or no version", where=str(project.root)
        )
    try:
        parsed = Version(version)
    except InvalidVersion as exc:
        raise SourceError(
            f"the build backend reports version {version!r}, which is not PEP 440",
            where=str(project.root),
        ) from exc
    return ProjectMetadata(name=name, version=parsed, origin=BACKEND_ORIGIN)


def project_name(project: Project) -> str:
    """The project's name: from its files when written there, else from the build backend."""
    name = static_name(project)
    if name is not None:
        return name
    if isinstance(project.pyproject.get("project"), dict):
        raise ConfigError(
            "[project] has no name",
            where=str(project.pyproject_path),
            hint='add name = "..." to [project] (PEP 621)',
        )
    return backend_metadata(project).name
