"""``releasekit build``: PEP 517 builds in isolated environments, then verify what came out.

The sdist is built first and the wheel is built from the unpacked sdist, as ``python -m build``
does, so a file missing from the sdist breaks the build here rather than for users installing
from source. Afterwards the built version is compared with the project's version (and with the
tag on HEAD) and with every ``__version__`` literal the wheel ships, and files of other versions
lying in the output folder are reported. A build that is refused takes the files it wrote with
it, so that ``check`` and ``publish`` never pick them up.
"""

from __future__ import annotations

import re
import tarfile
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Protocol

from packaging.metadata import parse_email
from packaging.version import InvalidVersion, Version

from releasekit.config import load_project, resolve_settings
from releasekit.dists import kind_of, version_of
from releasekit.errors import ReleaseError
from releasekit.git import Git
from releasekit.isolated_backend import (
    BackendFailure,
    CapturingRunner,
    Distribution,
    installer,
    run_hook,
)
from releasekit.plan import Reporter
from releasekit.project_meta import static_name
from releasekit.records import frozen
from releasekit.sources import current_version, find_sources
from releasekit.tags import read_history, require_matching_format

# ``__version__ = "1.2.3"``, also chained (``__version__ = version = "1.2.3"``, setuptools-scm).
_SHIPPED_VERSION = re.compile(
    r"""^__version__[ \t]*(?::[^=\n]*)?=[ \t]*(?:[A-Za-z_][A-Za-z0-9_]*[ \t]*=[ \t]*)*
        (?P<quote>['"])(?P<version>[^'"\n]*)(?P=quote)""",
    re.MULTILINE | re.VERBOSE,
)
_VERSION_MODULES = ("_version.py", "version.py")


class BuildError(ReleaseError):
    """A build step failed; ``details`` holds what the build backend printed (exit 1)."""


class BuildReporter(Reporter, Protocol):
    """A reporter that can also show detail for ``-v`` (the backend's own output)."""

    def detail(self, message: str) -> None:
        """A line shown only with ``-v``."""


@frozen
class BuildResult:
    """The files built, their version, and unrelated files found in the output folder."""

    sdist: Path
    wheel: Path
    version: Version
    stale: tuple[Path, ...]
    removed: tuple[Path, ...] = ()  # files of other versions that --clean took away


def _show_output(runner: CapturingRunner, reporter: BuildReporter) -> None:
    """What the installer and the backend printed, for ``-v``; nothing otherwise."""
    for chunk in runner.output:
        for line in chunk.splitlines():
            if line.strip():
                reporter.detail(line)


def _build_one(
    source: Path, distribution: Distribution, outdir: Path, reporter: BuildReporter
) -> Path:
    """Build one distribution of ``source`` into ``outdir`` in a fresh isolated environment."""
    reporter.step(f"building the {distribution}")
    runner = CapturingRunner()
    try:
        built = run_hook(
            source,
            distribution,
            lambda builder: Path(builder.build(distribution, outdir)),
            runner,
        )
    except BackendFailure as failure:
        if failure.stage == "backend":
            raise BuildError(
                f"building the {distribution} failed in the build backend",
                details=failure.output,
                hint="the backend's output is above; fix the project and run again",
            ) from failure
        raise BuildError(
            f"setting up the {distribution} build failed: {failure.reason}",
            details=failure.output,
            hint="check [build-system] in pyproject.toml and the network to the package index",
        ) from failure
    _show_output(runner, reporter)
    return built


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
    history = read_history(
        git if git.toplevel() is not None else None, project, settings, static_name(project)
    )
    latest, at_head = history.latest, history.version_at_head
    sources = find_sources(project, settings, latest_tag=latest.version if latest else None)
    if all(source.path is None for source in sources):
        require_matching_format(history, tag_derived=True)
        return None, at_head
    return current_version(sources, project), at_head


def shipped_versions(wheel: Path) -> list[tuple[str, str]]:
    """(file in the wheel, version text) of every ``__version__`` literal the wheel ships.

    Looked for in top-level modules, in the ``__init__.py`` of top-level packages (and of the
    first packages below a namespace folder), and in ``_version.py``/``version.py`` beside them.
    """
    with zipfile.ZipFile(wheel) as archive:
        names = [
            n
            for n in archive.namelist()
            if n.endswith(".py") and not n.split("/")[0].endswith((".dist-info", ".data"))
        ]
        inits = {str(PurePosixPath(n).parent) for n in names if n.endswith("/__init__.py")}
        wanted = []
        for name in names:
            path = PurePosixPath(name)
            folder = path.parent
            ancestors = [str(p) for p in folder.parents if str(p) != "."]
            top_package = str(folder) in inits and not any(a in inits for a in ancestors)
            if str(folder) == "." or (
                top_package and path.name in {"__init__.py", *_VERSION_MODULES}
            ):
                wanted.append(name)
        found = []
        for name in sorted(wanted):
            text = archive.read(name).decode("utf-8", "replace")
            found += [(name, m.group("version")) for m in _SHIPPED_VERSION.finditer(text)]
    return found


def _agrees(text: str, version: Version) -> bool:
    try:
        return Version(text) == version
    except InvalidVersion:
        return False


def _discard(paths: list[Path], outdir: Path, created: bool) -> None:
    """Remove the files of a refused build (and the output folder, if it was made for them)."""
    for path in paths:
        path.unlink(missing_ok=True)
    if created and outdir.is_dir() and not any(outdir.iterdir()):
        outdir.rmdir()


def _unpack(archive: tarfile.TarFile, target: Path) -> None:
    """Unpack an sdist safely: no member may land outside ``target`` or be a device or link out.

    Python 3.11.4 and later do this with the ``data`` filter; the 3.11 of Debian 12 and Ubuntu
    predates it, so there the members are checked by hand before anything is written.
    """
    if hasattr(tarfile, "data_filter"):
        archive.extractall(target, filter="data")
        return
    root = target.resolve()
    for member in archive.getmembers():
        destination = (root / member.name).resolve()
        linked = (destination.parent / member.linkname).resolve() if member.issym() else root
        escapes = not destination.is_relative_to(root) or not linked.is_relative_to(root)
        if escapes or member.isdev() or member.islnk():
            raise BuildError(
                f"the sdist holds an unsafe member: {member.name}",
                hint="check what the build backend puts in the sdist",
            )
    archive.extractall(target)  # noqa: S202  # every member was checked above


def build_project(
    root: Path,
    outdir: Path,
    reporter: BuildReporter,
    *,
    expected: Version | None,
    tag_version: Version | None,
    clean: bool = False,
) -> BuildResult:
    """Build the sdist, then the wheel from it, and verify the version that came out.

    ``expected`` is the version the project's sources declare (``None`` for tag-derived
    versions); ``tag_version`` is the release tag on HEAD, if any. When a step fails or the
    verification refuses the result, the files this build wrote are removed before raising.
    With ``clean``, distributions of other versions are removed from ``outdir`` before the build
    (after it, when the version is known only from what was built).
    """
    _report_backend(root, reporter)
    reporter.detail(f"output folder: {outdir}")
    created = not outdir.exists()
    outdir.mkdir(parents=True, exist_ok=True)
    removed: list[Path] = []
    known = expected or tag_version
    if clean and known is not None:
        removed += _remove_other_versions(outdir, known, reporter)
    written: list[Path] = []
    try:
        written.append(_build_one(root, "sdist", outdir, reporter))
        with (
            tempfile.TemporaryDirectory(prefix="releasekit-build-") as scratch,
            tarfile.open(written[0]) as archive,
        ):
            _unpack(archive, Path(scratch))
            (unpacked,) = Path(scratch).iterdir()
            written.append(_build_one(unpacked, "wheel", outdir, reporter))
        sdist, wheel = written
        version = _verify(wheel, expected=expected, tag_version=tag_version)
    except BaseException:
        _discard(written, outdir, created)
        raise
    if clean:
        removed += _remove_other_versions(outdir, version, reporter)
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
    return BuildResult(
        sdist=sdist, wheel=wheel, version=version, stale=stale, removed=tuple(removed)
    )


def _remove_other_versions(outdir: Path, version: Version, reporter: BuildReporter) -> list[Path]:
    """Remove the distributions of other versions from ``outdir``, and say which."""
    others = [
        path
        for path in sorted(outdir.iterdir())
        if path.is_file() and kind_of(path) is not None and version_of(path.name) != version
    ]
    for path in others:
        path.unlink()
    if others:
        names = ", ".join(path.name for path in others)
        reporter.step(f"removed {len(others)} file(s) of other versions from {outdir}: {names}")
    return others


def _report_backend(root: Path, reporter: BuildReporter) -> None:
    """For ``-v``: the installer of the isolated environments and the project's build backend."""
    reporter.detail(f"installer: {installer()}")
    table = load_project(root).pyproject.get("build-system", {})
    backend = table.get("build-backend") if isinstance(table, dict) else None
    requires = table.get("requires", []) if isinstance(table, dict) else []
    if backend is None:  # PEP 517's fallback for a project without [build-system]
        reporter.detail("build backend: setuptools.build_meta:__legacy__ (no [build-system])")
    else:
        reporter.detail(f"build backend: {backend} (requires {', '.join(map(str, requires))})")


def _verify(wheel: Path, *, expected: Version | None, tag_version: Version | None) -> Version:
    """The built version, after checking it against the project, the tag and ``__version__``."""
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
    for name, written in shipped_versions(wheel):
        if not _agrees(written, version):
            raise BuildError(
                f"{name} in the wheel says __version__ = {written!r}, but the built version is "
                f"{version}; the built files were removed",
                where=wheel.name,
                hint="write the version there, derive it from importlib.metadata, or list the "
                "file in [tool.releasekit] version-files so that prepare bumps it",
            )
    return version
