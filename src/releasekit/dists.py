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
import struct
import zipfile
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Literal

from packaging.utils import parse_sdist_filename, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from releasekit.attestations import is_attestation
from releasekit.errors import UsageError
from releasekit.findings import Finding, Severity
from releasekit.records import field, frozen, mutable

DistKind = Literal["wheel", "sdist"]
_SIGNATURE_FILES = ("RECORD.jws", "RECORD.p7s")
# Below this many bytes in all, a second thread has too little inflating to share.
PARALLEL_BYTES = 4 << 20
# Members are inflated and hashed in pieces this big: small enough that the buffers are reused
# rather than mapped afresh (1 MiB pieces cost 0.13 s of page faults on 125 MB) and stay in the
# CPU cache between inflating and hashing, large enough that the GIL is released for nearly all
# the work.
_MEMBER_CHUNK = 32 << 10


@mutable
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


@frozen
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


# A member's local file header: signature, versions, flags, method, time, date, CRC, sizes,
# then the lengths of the name and of the extra field that follow it (APPNOTE 4.3.7).
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_LOCAL_SIGNATURE = b"PK\x03\x04"
_UTF8_NAME = 0x800
# Encrypted, compressed patched data, strong encryption: left to zipfile, which refuses them.
_UNUSUAL_FLAGS = 0x1 | 0x20 | 0x40


def _read_member(handle: BinaryIO, info: zipfile.ZipInfo, digest: hashlib._Hash) -> int:
    """Feed a stored or deflated member's bytes to ``digest``; return its size.

    The member's data is read straight from the archive and inflated here, in one pass with
    its CRC-32 and the sha256: zipfile's own reader costs a tenth more CPU, in Python
    bookkeeping per chunk. The checks are exactly zipfile's: the local header's signature and
    name, then the CRC-32 the central directory gives, of at most its size in bytes. A failure
    raises ``zipfile.BadZipFile`` (or ``zlib.error``, ``EOFError``) as zipfile would.
    """
    handle.seek(info.header_offset)
    header = handle.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size:
        raise zipfile.BadZipFile("Truncated file header")
    fields = _LOCAL_HEADER.unpack(header)
    if fields[0] != _LOCAL_SIGNATURE:
        raise zipfile.BadZipFile("Bad magic number for file header")
    name = handle.read(fields[10])
    handle.seek(fields[11], os.SEEK_CUR)  # the extra field
    shown = name.decode("utf-8" if fields[3] & _UTF8_NAME else "cp437")
    if shown != info.orig_filename:
        raise zipfile.BadZipFile(
            f"File name in directory {info.orig_filename!r} and header {name!r} differ."
        )
    inflate = zlib.decompressobj(-zlib.MAX_WBITS) if info.compress_type else None
    crc = size = 0
    left = info.compress_size  # compressed bytes still to read
    # As zipfile does: at most file_size bytes come out, and the CRC-32 is of what came out.
    while size < info.file_size:
        ending = False
        if inflate is not None and inflate.unconsumed_tail:
            data = inflate.decompress(inflate.unconsumed_tail, _MEMBER_CHUNK)
        elif left > 0 and not (inflate is not None and inflate.eof):
            data = handle.read(min(_MEMBER_CHUNK, left))
            if not data:
                raise EOFError("the archive ends inside a member")
            left -= len(data)
            if inflate is not None:
                data = inflate.decompress(data, _MEMBER_CHUNK)
        elif inflate is not None:
            data, ending = inflate.flush(), True
        else:
            break
        data = data[: info.file_size - size]
        crc = zlib.crc32(data, crc)
        digest.update(data)
        size += len(data)
        if ending:
            break
    if crc != info.CRC:
        raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")
    return size


def _member_digests(dist: Dist, archive: zipfile.ZipFile) -> dict[str, tuple[str, int]] | None:
    """Every file member's RECORD-form sha256 and size, read in chunks in one pass.

    Reading each member to its end also checks its CRC, so this pass is the integrity check
    too; memory stays flat however large the members are. ``None`` when a member is corrupt.
    Stored and deflated members, all a wheel holds in practice, are read by ``_read_member``;
    any other kind through zipfile.
    """
    digests: dict[str, tuple[str, int]] = {}
    plain = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
    with dist.path.open("rb", buffering=0) as handle:
        for info in archive.infolist():
            if info.is_dir():
                continue
            digest = hashlib.sha256()
            size = 0
            try:
                if info.compress_type in plain and not info.flag_bits & _UNUSUAL_FLAGS:
                    size = _read_member(handle, info, digest)
                else:
                    with archive.open(info) as member:
                        while chunk := member.read(_MEMBER_CHUNK):
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
            except (NotImplementedError, RuntimeError):
                # zipfile refuses a compression method it lacks and an encrypted member; pip,
                # which reads wheels with zipfile, cannot install either.
                why = (
                    "is encrypted"
                    if info.flag_bits & 0x1
                    else f"uses compression method {info.compress_type}, which installers "
                    "cannot read"
                )
                dist.add(
                    "error",
                    "archive-corrupt",
                    f"member {info.filename} {why}",
                    "rebuild the wheel with stored or deflated, unencrypted members",
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
    import tarfile  # noqa: PLC0415  # only for sdists; most files of a release are wheels

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


def open_dists(paths: Sequence[Path], *, meanwhile: Callable[[], None] | None = None) -> list[Dist]:
    """``open_dist`` for every path, in order; in parallel threads when that pays off.

    Opening is CPU-bound, but nearly all of it is zlib inflating, sha256 and CRC-32 on small
    chunks, which run with the GIL released: one thread per core shares the work without the
    cost of starting processes (measured in docs/benchmarks.md). Small batches stay on this
    thread, where Python's own per-member work, which threads cannot share, is most of it.
    ``meanwhile`` runs on this thread while the workers open the files (first, without them):
    the caller's next imports overlap with the inflating.
    """
    workers = min(len(paths), os.cpu_count() or 1)
    total = sum(path.stat().st_size for path in paths if path.is_file())
    if workers < 2 or total < PARALLEL_BYTES:  # noqa: PLR2004  # one worker is no parallelism
        if meanwhile is not None:
            meanwhile()
        return [open_dist(path) for path in paths]
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415  # only for large batches

    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        opened = pool.map(open_dist, paths)
        if meanwhile is not None:
            meanwhile()
        return list(opened)
    finally:
        # On an interrupt the files not started are dropped: only those being read finish.
        pool.shutdown(wait=True, cancel_futures=True)
