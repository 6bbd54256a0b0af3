"""``releasekit build``: PEP 517 builds in isolated environments, then verify what came out.

The sdist is built first and the wheel is built from the unpacked sdist, as ``python -m build``
does, so a file missing from the sdist breaks the build here rather than for users installing
from source. Afterwards the built version is compared with the project's version (and with the
tag on HEAD), and files of other versions lying in the output folder are reported.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import tarfile
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from packaging.metadata import parse_email
from packaging.version import Version

from releasekit.config import load_project, resolve_settings
from releasekit.dists import kind_of, version_of
from releasekit.errors import ReleaseError
from releasekit.git import Git
from releasekit.plan import Reporter
from releasekit.sources import current_version, find_sources
from releasekit.tags import latest_release_tag, release_at_head

Distribution = Literal["sdist", "wheel"]


class BuildError(ReleaseError):
    """A build step failed; ``details`` holds what the build backend printed (exit 1)."""


@dataclass(frozen=True)
class BuildResult:
    """The files built, their version, and unrelated files found in the output folder."""

    sdist: Path
    wheel: Path
    version: Version
    stale: tuple[Path, ...]


class _CapturingRunner:
    """Runs backend hooks with their output captured, so that only failures show it."""

    def __init__(self) -> None:
        self.output: list[str] = []

    def __call__(
        self,
        cmd: Sequence[str],
        cwd: str | None = None,
        extra_environ: Mapping[str, str] | None = None,
    ) -> None:
        env = {**os.environ, **(extra_environ or {})}
        result = subprocess.run(
            list(cmd), cwd=cwd, env=env, capture_output=True, text=True, check=False
        )
        self.output.append(result.stdout + result.stderr)
        if result.returncode != 0:
            raise subprocess.CalledProcessError(
                result.returncode, cmd, result.stdout, result.stderr
            )


def _installer() -> Literal["uv", "pip"]:
    """Uv creates build environments several times faster than pip; use it when present."""
    if importlib.util.find_spec("uv") is not None or shutil.which("uv"):
        return "uv"
    return "pip"


def _build_one(source: Path, distribution: Distribution, outdir: Path, reporter: Reporter) -> Path:
    """Build one distribution of ``source`` into ``outdir`` in a fresh isolated environment."""
    from build import BuildBackendException, BuildException, ProjectBuilder
    from build.env import DefaultIsolatedEnv

    reporter.step(f"building the {distribution}")
    runner = _CapturingRunner()
    try:
        with DefaultIsolatedEnv(installer=_installer()) as env:
            builder = ProjectBuilder.from_isolated_env(env, source, runner=runner)
            env.install(builder.build_system_requires)
            env.install(builder.get_requires_for_build(distribution))
            return Path(builder.build(distribution, outdir))
    except BuildBackendException as exc:
        raise BuildError(
            f"building the {distribution} failed in the build backend",
            details="".join(runner.output),
            hint="the backend's output is above; fix the project and run again",
        ) from exc
    except (BuildException, subprocess.CalledProcessError) as exc:
        raise BuildError(
            f"setting up the {distribution} build failed: {exc}",
            details=getattr(exc, "stderr", "") or "",
            hint="check [build-system] in pyproject.toml and the network to the package index",
        ) from exc


def _built_version(wheel: Path) -> Version:
    """The version in a built wheel's METADATA (only that file is read)."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        raw, _ = parse_email(archive.read(name))
    return Version(str(raw.get("version", "0")))


def expected_versions(root: Path, env: Mapping[str, str]) -> tuple[Version | None, Version | None]:
    """(the version the sources declare, the release tagged on HEAD), each if there is one.

    A tag-derived project declares no version: the build must then come out as a clean release.
    """
    project = load_project(root)
    settings = resolve_settings(project, env=env)
    git = Git(root)
    if git.toplevel() is None:
        latest, at_head = None, None
    else:
        found = latest_release_tag(git, settings)
        latest, at_head = (found[0] if found else None), release_at_head(git, settings)
    sources = find_sources(project, settings, latest_tag=latest)
    if all(source.path is None for source in sources):
        return None, at_head
    return current_version(sources, project), at_head


def build_project(
    root: Path,
    outdir: Path,
    reporter: Reporter,
    *,
    expected: Version | None,
    tag_version: Version | None,
) -> BuildResult:
    """Build the sdist, then the wheel from it, and verify the version that came out.

    ``expected`` is the version the project's sources declare (``None`` for tag-derived
    versions); ``tag_version`` is the release tag on HEAD, if any.
    """
    outdir.mkdir(parents=True, exist_ok=True)
    sdist = _build_one(root, "sdist", outdir, reporter)
    with (
        tempfile.TemporaryDirectory(prefix="releasekit-build-") as scratch,
        tarfile.open(sdist) as archive,
    ):
        archive.extractall(scratch, filter="data")
        (unpacked,) = Path(scratch).iterdir()
        wheel = _build_one(unpacked, "wheel", outdir, reporter)
    version = _built_version(wheel)
    if version.local is not None or (expected is None and version.is_devrelease):
        raise BuildError(
            f"the built version is {version}",
            hint="a tag-derived version with a dev or local part means HEAD has no release tag "
            "or the working tree is dirty; commit, tag (releasekit prepare) and build again",
        )
    if expected is not None and version != expected:
        raise BuildError(
            f"the built version {version} differs from the project's version {expected}",
            hint="check what the build backend reads the version from",
        )
    if tag_version is not None and version != tag_version:
        raise BuildError(
            f"the built version {version} differs from the tag on HEAD ({tag_version})",
            hint="build from the release commit, or fix the version sources",
        )
    stale = tuple(
        path
        for path in sorted(outdir.iterdir())
        if kind_of(path) is not None and version_of(path.name) != version
    )
    for path in stale:
        reporter.warn(
            f"{path.name} in {outdir} is from another version; "
            "remove it so that it is not checked or published by mistake"
        )
    return BuildResult(sdist=sdist, wheel=wheel, version=version, stale=stale)
