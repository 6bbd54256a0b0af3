"""Build wheels and sdists byte by byte, valid by default, with exactly one defect when asked."""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

NAME = "demo-pkg"
VERSION = "1.0.0"
BODY = "# demo-pkg\n\nA long description in Markdown.\n"
FIELDS: tuple[tuple[str, str], ...] = (
    ("Metadata-Version", "2.4"),
    ("Name", NAME),
    ("Version", VERSION),
    ("Summary", "A demo package."),
    ("License-Expression", "MIT"),
    ("License-File", "LICENSE"),
    ("Classifier", "Programming Language :: Python :: 3"),
    ("Requires-Dist", "packaging>=24"),
    ("Project-URL", "Source, https://example.org/demo"),
    ("Description-Content-Type", "text/markdown"),
)

Fields = Sequence[tuple[str, str]]


def with_fields(
    *, set_: Mapping[str, str] | None = None, add: Fields = (), drop: Sequence[str] = ()
) -> tuple[tuple[str, str], ...]:
    """The default fields with some replaced, added or dropped."""
    result = []
    for key, value in FIELDS:
        if key in drop:
            continue
        result.append((key, (set_ or {}).get(key, value)))
    for key, value in (set_ or {}).items():
        if key not in {k for k, _ in FIELDS}:
            result.append((key, value))
    return (*result, *add)


def metadata(fields: Fields = FIELDS, body: str = BODY) -> bytes:
    """Core metadata in email form, the description as the body."""
    head = "".join(f"{key}: {value}\n" for key, value in fields)
    return (head + "\n" + body).encode()


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def wheel(
    folder: Path,
    *,
    fields: Fields = FIELDS,
    body: str = BODY,
    filename: str | None = None,
    dist_info: str = "demo_pkg-1.0.0.dist-info",
    files: Mapping[str, bytes] | None = None,
    edit_record: Callable[[list[list[str]]], None] | None = None,
    unlisted: Mapping[str, bytes] | None = None,
    omit: Sequence[str] = (),
    tags: str = "py3-none-any",
) -> Path:
    """A wheel with a correct RECORD unless told otherwise."""
    content = {
        "demo_pkg/__init__.py": b'"""Demo."""\n',
        f"{dist_info}/METADATA": metadata(fields, body),
        f"{dist_info}/WHEEL": f"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: {tags}\n".encode(),
        f"{dist_info}/licenses/LICENSE": b"MIT License\n",
        **(files or {}),
    }
    rows = [[path, _record_hash(data), str(len(data))] for path, data in content.items()]
    rows.append([f"{dist_info}/RECORD", "", ""])
    if edit_record is not None:
        edit_record(rows)
    record = "".join(",".join(row) + "\n" for row in rows).encode()
    target = folder / (filename or f"demo_pkg-1.0.0-{tags}.whl")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in {**content, f"{dist_info}/RECORD": record, **(unlisted or {})}.items():
            if path not in omit:
                archive.writestr(path, data)
    return target


def sdist(
    folder: Path,
    *,
    fields: Fields = FIELDS,
    body: str = BODY,
    filename: str | None = None,
    top: str = "demo_pkg-1.0.0",
    extra: Mapping[str, bytes] | None = None,
    omit: Sequence[str] = (),
    link: tuple[str, str] | None = None,
) -> Path:
    """An sdist with one top-level folder holding PKG-INFO unless told otherwise."""
    content = {
        f"{top}/PKG-INFO": metadata(fields, body),
        f"{top}/pyproject.toml": b'[project]\nname = "demo-pkg"\nversion = "1.0.0"\n',
        f"{top}/LICENSE": b"MIT License\n",
        f"{top}/src/demo_pkg/__init__.py": b'"""Demo."""\n',
        **(extra or {}),
    }
    target = folder / (filename or "demo_pkg-1.0.0.tar.gz")
    with tarfile.open(target, "w:gz") as archive:
        for path, data in content.items():
            if path in omit:
                continue
            info = tarfile.TarInfo(path)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        if link is not None:
            info = tarfile.TarInfo(link[0])
            info.type = tarfile.SYMTYPE
            info.linkname = link[1]
            archive.addfile(info)
    return target


_PYTHONS = ("cp39", "cp310", "cp311", "cp312", "cp313", "cp314")
_PLATFORMS = (
    "manylinux_2_17_x86_64",
    "manylinux_2_17_aarch64",
    "musllinux_1_2_x86_64",
    "macosx_11_0_arm64",
    "macosx_10_9_x86_64",
    "win_amd64",
    "win32",
)


def release(
    folder: Path, *, wheels: int = 3, sdist_too: bool = True, body: str = BODY
) -> list[Path]:
    """A whole release: ``wheels`` wheels with distinct tags, then (by default) the sdist."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(wheels):
        python = _PYTHONS[number % len(_PYTHONS)]
        platform = _PLATFORMS[number // len(_PYTHONS) % len(_PLATFORMS)]
        paths.append(wheel(folder, body=body, tags=f"{python}-{python}-{platform}"))
    if sdist_too:
        paths.append(sdist(folder, body=body))
    return paths
