"""Open wheels and sdists as PyPI would, and report what is wrong with the archive itself.

Reading a distribution yields its member names and the bytes of its core metadata file, plus
findings about the archive: integrity (zip/gzip-tar), a wheel's RECORD (every file listed, with
the right hash and size), an sdist's single top-level folder with PKG-INFO, and paths that would
escape the folder they are unpacked into.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import tarfile
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

from packaging.utils import parse_sdist_filename, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from releasekit.attestations import is_attestation
from releasekit.errors import UsageError
from releasekit.findings import Finding, Severity

DistKind = Literal["wheel", "sdist"]
_SIGNATURE_FILES = ("RECORD.jws", "RECORD.p7s")
# Below this many bytes in all, starting worker processes costs more than it saves.
PARALLEL_BYTES = 16 << 20


@dataclass
class Dist:
    """A distribution file opened for checking."""

    path: Path
    kind: DistKind
    members: tuple[str, ...] = ()
    metadata: bytes | None = None
    metadata_dir: str = ""  # where License-File paths are resolved from, with a trailing slash
    findings: list[Finding] = field(default_factory=list)

    @property
    def filename(self) -> str:
        """The file's name, as an index stores it."""
        return self.path.name

    def add(self, severity: Severity, code: str, message: str, hint: str | None = None) -> None:
        """Record a finding about this file."""
        self.findings.append(Finding(self.filename, severity, code, message, hint))


def kind_of(path: Path) -> DistKind | None:
    """``wheel`` or ``sdist`` by file name, or ``None`` for anything else."""
    if path.name.endswith(".whl"):
        return "wheel"
    if path.name.endswith((".tar.gz", ".zip", ".tar.bz2", ".tgz")):
        return "sdist"
    return None


@dataclass(frozen=True)
class Selection:
    """The files a command acts on, and the folders its globs matched and left out."""

    paths: list[Path]
    folders: list[Path]


def select_dists(root: Path, given: Sequence[str], *, cwd: Path | None = None) -> Selection:
    """The files to act on: the arguments (globs allowed), or every distribution in dist/.

    The default ``dist/*`` is the project's (``root``), where ``releasekit build`` puts them;
    files the user named are relative to where releasekit was started (``cwd``), as in a shell.
    A folder a glob matches (``dist/old/``) is left out and listed in ``folders``; a folder
    named on its own is an error, as is a path that does not exist (``UsageError``, exit 2).
    """
    patterns = tuple(given) or ("dist/*",)
    base_folder = (cwd or root) if given else root
    found: list[Path] = []
    folders: list[Path] = []
    for pattern in patterns:
        path = Path(pattern)
        base = path if path.is_absolute() else base_folder / path
        globbed = any(c in pattern for c in "*?[")
        for match in sorted(base.parent.glob(base.name)) if globbed else [base]:
            if match.is_dir() and globbed:
                folders.append(match)
                continue
            if match.is_dir():
                raise UsageError(
                    f"{pattern} is a directory, not a distribution file",
                    hint=f"name the files in it ({Path(pattern) / '*'}) or build first: "
                    "releasekit build",
                )
            if not match.is_file():
                raise UsageError(
                    "no such file", where=pattern, hint="build first: releasekit build"
                )
            # A glob such as dist/* also matches the PEP 740 attestations lying next to the
            # files; they are not distributions (publish --attestations finds them itself).
            if kind_of(match) is not None or (given and not (globbed and is_attestation(match))):
                found.append(match)
    if not found:
        raise UsageError(
            "no distributions found",
            where=" ".join(patterns),
            hint="build them first (releasekit build), or name the files",
        )
    return Selection(found, folders)


def name_and_version(filename: str) -> tuple[str, Version] | None:
    """The project name and version a distribution's file name states, if it can be read."""
    try:
        if filename.endswith(".whl"):
            name, version, _build, _tags = parse_wheel_filename(filename)
            return name, version
        name, version = parse_sdist_filename(filename)
    except (ValueError, InvalidVersion):
        return None
    return name, version


def version_of(filename: str) -> Version | None:
    """The version a distribution's file name states, if it can be read."""
    parsed = name_and_version(filename)
    return parsed[1] if parsed else None


def file_digests(path: Path) -> tuple[str, str]:
    """A file's sha256 and blake2b-256 (hex), in one chunked pass: what indexes compare."""
    sha256 = hashlib.sha256()
    blake2 = hashlib.blake2b(digest_size=32)
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            sha256.update(chunk)
            blake2.update(chunk)
    return sha256.hexdigest(), blake2.hexdigest()


def _escapes(name: str) -> bool:
    """Whether an archive path would land outside the folder it is unpacked into."""
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return True
    return ".." in PurePosixPath(name.replace("\\", "/")).parts


def _member_digests(dist: Dist, archive: zipfile.ZipFile) -> dict[str, tuple[str, int]] | None:
    """Every file member's RECORD-form sha256 and size, read in chunks in one pass.

    Reading each member to its end also checks its CRC, so this pass is the integrity check
    too; memory stays flat however large the members are. ``None`` when a member is corrupt.
    """
    digests: dict[str, tuple[str, int]] = {}
    for info in archive.infolist():
        if info.is_dir():
            continue
        digest = hashlib.sha256()
        size = 0
        try:
            with archive.open(info) as member:
                while chunk := member.read(1 << 20):
                    digest.update(chunk)
                    size += len(chunk)
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
            dist.add(
                "error",
                "archive-corrupt",
                f"member {info.filename} is corrupt: {exc}",
                "rebuild the wheel",
            )
            return None
        encoded = base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()
        digests[info.filename] = (f"sha256={encoded}", size)
    return digests


def _check_record(
    dist: Dist, archive: zipfile.ZipFile, dist_info: str, files: dict[str, tuple[str, int]]
) -> None:
    """Every file in the wheel is in RECORD with the right hash and size, and nothing more."""
    record_name = f"{dist_info}RECORD"
    try:
        text = archive.read(record_name).decode("utf-8")
    except KeyError:
        dist.add("error", "wheel-record-missing", f"{record_name} is missing", "rebuild the wheel")
        return
    listed = set()
    for row in csv.reader(io.StringIO(text)):
        if not row:
            continue
        path, digest, size = [*row, "", "", ""][:3]
        listed.add(path)
        if path == record_name or path.endswith(_SIGNATURE_FILES):
            continue
        if path not in files:
            dist.add(
                "error", "wheel-record-extra", f"RECORD lists {path}, which is not in the wheel"
            )
            continue
        actual_digest, actual_size = files[path]
        if digest != actual_digest:
            dist.add(
                "error",
                "wheel-record-hash",
                f"{path}: hash in RECORD does not match the file",
                "rebuild the wheel; it was modified after it was built",
            )
        if size != str(actual_size):
            dist.add(
                "error",
                "wheel-record-size",
                f"{path}: size in RECORD is {size!r}, file has {actual_size}",
            )
    for name in sorted(set(files) - listed):
        if not name.endswith(_SIGNATURE_FILES):
            dist.add("error", "wheel-record-unlisted", f"{name} is in the wheel but not in RECORD")


def _read_wheel(dist: Dist) -> None:
    """Open a wheel: zip integrity, one .dist-info folder with METADATA, RECORD."""
    try:
        archive = zipfile.ZipFile(dist.path)
    except (zipfile.BadZipFile, OSError) as exc:
        dist.add("error", "archive-corrupt", f"not a valid zip archive: {exc}", "rebuild the wheel")
        return
    with archive:
        names = tuple(info.filename for info in archive.infolist())
        dist.members = names
        for name in names:
            if _escapes(name):
                dist.add(
                    "error",
                    "path-escapes",
                    f"member {name!r} would be written outside the install folder",
                )
        files = _member_digests(dist, archive)
        if files is None:
            return
        folders = sorted(
            {n.split("/", 1)[0] for n in names if n.split("/", 1)[0].endswith(".dist-info")}
        )
        if len(folders) != 1:
            dist.add(
                "error",
                "wheel-dist-info",
                f"expected one .dist-info folder, found {len(folders)}",
                "rebuild the wheel",
            )
            return
        dist.metadata_dir = f"{folders[0]}/"
        try:
            dist.metadata = archive.read(f"{dist.metadata_dir}METADATA")
        except KeyError:
            dist.add(
                "error",
                "metadata-missing",
                f"{dist.metadata_dir}METADATA is missing",
                "rebuild the wheel",
            )
        _check_record(dist, archive, dist.metadata_dir, files)
        dist.metadata_dir += "licenses/"


def _read_sdist(dist: Dist) -> None:
    """Open an sdist: gzip tar, exactly one top-level folder containing PKG-INFO."""
    if not dist.filename.endswith(".tar.gz"):
        return  # the file name check reports it; PyPI accepts only .tar.gz sdists
    try:
        archive = tarfile.open(dist.path, "r:gz")  # noqa: SIM115  # closed by `with` below
    except (tarfile.TarError, OSError, EOFError) as exc:
        dist.add(
            "error", "archive-corrupt", f"not a valid gzip tar archive: {exc}", "rebuild the sdist"
        )
        return
    with archive:
        try:
            members = archive.getmembers()
        except (tarfile.TarError, OSError, EOFError) as exc:
            dist.add("error", "archive-corrupt", f"the archive is truncated or corrupt: {exc}")
            return
        dist.members = tuple(member.name for member in members)
        for member in members:
            link_escapes = (member.issym() or member.islnk()) and _escapes(
                str(PurePosixPath(member.name).parent / member.linkname)
            )
            if _escapes(member.name) or link_escapes:
                dist.add(
                    "error",
                    "path-escapes",
                    f"member {member.name!r} would be written outside the unpack folder",
                )
        tops = sorted({name.split("/", 1)[0] for name in dist.members})
        if len(tops) != 1:
            dist.add(
                "error",
                "sdist-top-level",
                f"expected one top-level folder, found {len(tops)}: {', '.join(tops[:4])}",
                "build the sdist with a PEP 517 backend",
            )
            return
        dist.metadata_dir = f"{tops[0]}/"
        pkg_info = f"{tops[0]}/PKG-INFO"
        extracted = archive.extractfile(pkg_info) if pkg_info in dist.members else None
        if extracted is None:
            dist.add(
                "error",
                "metadata-missing",
                f"{pkg_info} is missing",
                "build the sdist with a PEP 517 backend",
            )
            return
        with extracted:
            dist.metadata = extracted.read()


def open_dist(path: Path) -> Dist:
    """Open ``path`` and check its archive; the caller checks its name and metadata."""
    kind = kind_of(path)
    dist = Dist(path=path, kind=kind or "sdist")
    if kind == "wheel":
        _read_wheel(dist)
    elif kind == "sdist":
        _read_sdist(dist)
    return dist


def open_dists(paths: Sequence[Path]) -> list[Dist]:
    """``open_dist`` for every path, in order; in parallel processes when that pays off.

    Opening is CPU-bound (inflating and hashing every member), so a large batch is spread over
    the cores; small batches stay in this process, where they finish before a worker would start.
    """
    workers = min(len(paths), os.cpu_count() or 1)
    total = sum(path.stat().st_size for path in paths if path.is_file())
    if workers < 2 or total < PARALLEL_BYTES:  # noqa: PLR2004  # one worker is no parallelism
        return [open_dist(path) for path in paths]
    from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415  # only for large batches

    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(open_dist, paths, chunksize=max(1, len(paths) // (workers * 4))))
