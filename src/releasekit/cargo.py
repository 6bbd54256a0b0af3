"""The version of a maturin project, as Cargo writes it: Cargo.toml, the workspace, Cargo.lock.

maturin takes a dynamic version from the crate's ``[package].version`` (or the workspace's
``[workspace.package].version`` when the crate says ``version.workspace = true``) and reads that
SemVer text as a PEP 440 version, so ``1.2.0-rc.1`` becomes ``1.2.0rc1``. Bumping must therefore
write SemVer that reads back as the new PEP 440 version (``to_cargo_version``), and must update
the ``[[package]]`` entries of Cargo.lock too, or the next ``cargo build --locked`` fails.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from releasekit.errors import SourceError
from releasekit.text_spans import Located, table_bodies, toml_string, toml_string_in

# PEP 440 pre-release letters and the SemVer identifiers maturin reads back as them.
_PRE_WORDS = {"a": "alpha", "b": "beta", "rc": "rc"}
_SEMVER_NUMBERS = 3  # MAJOR.MINOR.PATCH


def to_cargo_version(version: Version) -> str:
    """``version`` in SemVer, written so that PEP 440 normalization reads it back unchanged.

    ``1.2.0rc1`` -> ``1.2.0-rc.1``, ``a1`` -> ``-alpha.1``, ``b1`` -> ``-beta.1``,
    ``.post1`` -> ``-post.1``, ``.dev1`` -> ``-dev.1`` (joined with dots after a pre-release:
    ``1.2.0rc1.dev2`` -> ``1.2.0-rc.1.dev.2``), ``1.2`` -> ``1.2.0``. Epochs and release segments
    longer than three numbers have no SemVer form: a ``SourceError``.
    """
    if version.epoch or len(version.release) > _SEMVER_NUMBERS:
        raise SourceError(
            f"{version} cannot be written as a Cargo (SemVer) version",
            where="Cargo.toml",
            hint="Cargo needs MAJOR.MINOR.PATCH without an epoch; choose such a version",
        )
    major, minor, patch = (*version.release, 0, 0)[:3]
    identifiers: list[str] = []
    if version.pre is not None:
        identifiers += [_PRE_WORDS[version.pre[0]], str(version.pre[1])]
    if version.post is not None:
        identifiers += ["post", str(version.post)]
    if version.dev is not None:
        identifiers += ["dev", str(version.dev)]
    text = f"{major}.{minor}.{patch}"
    if identifiers:
        text += "-" + ".".join(identifiers)
    if version.local is not None:
        text += f"+{version.local}"
    return text


def from_cargo_version(text: str, *, where: str) -> Version:
    """A Cargo version read as PEP 440, the way maturin reads it (``1.2.0-rc.1`` -> 1.2.0rc1)."""
    try:
        return Version(text)
    except InvalidVersion as exc:
        raise SourceError(
            f"Cargo version {text!r} has no PEP 440 reading",
            where=where,
            hint="use pre-release identifiers maturin understands: -alpha.N, -beta.N, -rc.N",
        ) from exc


def _read(path: Path) -> tuple[str, Mapping[str, Any]]:
    """A manifest's exact text and its parsed table."""
    try:
        text = path.read_bytes().decode("utf-8")
        return text, tomllib.loads(text)
    except FileNotFoundError as exc:
        raise SourceError(
            "Cargo manifest not found",
            where=str(path),
            hint="fix [tool.maturin] manifest-path in pyproject.toml",
        ) from exc
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SourceError(f"cannot read the Cargo manifest: {exc}", where=str(path)) from exc


def manifest_path(root: Path, pyproject: Mapping[str, Any]) -> Path:
    """The crate maturin builds: ``[tool.maturin] manifest-path``, else Cargo.toml at the root."""
    maturin = pyproject.get("tool", {}).get("maturin", {})
    given = maturin.get("manifest-path") if isinstance(maturin, dict) else None
    return root / str(given) if isinstance(given, str) else root / "Cargo.toml"


def crate_name(manifest: Path) -> str | None:
    """``[package].name`` of a manifest, or None when it cannot be read."""
    try:
        _, data = _read(manifest)
    except SourceError:
        return None
    name = data.get("package", {}).get("name")
    return name if isinstance(name, str) else None


def _inherits_version(package: Mapping[str, Any]) -> bool:
    """``version.workspace = true`` (or ``version = { workspace = true }``)."""
    version = package.get("version")
    return isinstance(version, dict) and version.get("workspace") is True


def _workspace_root(crate_dir: Path, root: Path) -> tuple[Path, str, Mapping[str, Any]]:
    """The nearest Cargo.toml with ``[workspace]``, from the crate up to the project root."""
    for folder in (crate_dir, *crate_dir.parents):
        candidate = folder / "Cargo.toml"
        if candidate.is_file():
            text, data = _read(candidate)
            if isinstance(data.get("workspace"), dict):
                return candidate, text, data
        if folder == root or root not in folder.parents:
            break
    raise SourceError(
        "the crate says version.workspace = true, but no workspace Cargo.toml was found",
        where=str(crate_dir / "Cargo.toml"),
        hint="add [workspace.package] version to the workspace root within the project",
    )


def _members_inheriting(workspace: Path, data: Mapping[str, Any]) -> list[str]:
    """Names of the workspace's crates whose version is the workspace's."""
    table = data.get("workspace", {})
    members = [str(m) for m in table.get("members", [])]
    excluded = {(workspace.parent / str(e)).resolve() for e in table.get("exclude", [])}
    names = []
    if _inherits_version(data.get("package", {})) and isinstance(
        data.get("package", {}).get("name"), str
    ):
        names.append(data["package"]["name"])
    for pattern in members:
        for folder in sorted(workspace.parent.glob(pattern)):
            manifest = folder / "Cargo.toml"
            if folder.resolve() in excluded or not manifest.is_file():
                continue
            _, member = _read(manifest)
            package = member.get("package", {})
            if _inherits_version(package) and isinstance(package.get("name"), str):
                names.append(package["name"])
    return names


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _lock_file(crate_dir: Path, root: Path) -> Path | None:
    """The Cargo.lock that pins the crate: the nearest one up to the project root."""
    for folder in (crate_dir, *crate_dir.parents):
        if (folder / "Cargo.lock").is_file():
            return folder / "Cargo.lock"
        if folder == root or root not in folder.parents:
            break
    return None


def _lock_spans(lock: Path, names: list[str], root: Path) -> Located:
    """The ``version`` of each named crate's ``[[package]]`` entry (path crates: no source)."""
    text = lock.read_bytes().decode("utf-8")
    data = tomllib.loads(text)
    spans = []
    bodies = table_bodies(text, "package", array=True)
    entries = data.get("package", [])
    for name in names:
        found = None
        for body, entry in zip(bodies, entries, strict=False):
            if entry.get("name") == name and "source" not in entry:
                found = toml_string_in(text, body, "version")
                break
        if found is None:
            raise SourceError(
                f"Cargo.lock has no [[package]] entry for crate {name!r}",
                where=_relative(lock, root),
                hint="run cargo generate-lockfile (or cargo build), commit Cargo.lock, run again",
            )
        spans.append(found)
    return Located(lock, text, tuple(spans), "Cargo.lock [[package]] version")


def cargo_locations(root: Path, pyproject: Mapping[str, Any]) -> list[Located]:
    """Every place a maturin project's Cargo version is written, the lock file last."""
    manifest = manifest_path(root, pyproject)
    text, data = _read(manifest)
    package = data.get("package", {})
    rel = _relative(manifest, root)
    if not isinstance(package, dict) or not isinstance(package.get("name"), str):
        raise SourceError(
            "Cargo.toml has no [package] with a name",
            where=rel,
            hint="point [tool.maturin] manifest-path at the crate maturin builds",
        )
    if _inherits_version(package):
        workspace, ws_text, ws_data = _workspace_root(manifest.parent, root)
        span = toml_string(ws_text, "workspace.package", "version")
        expected = ws_data.get("workspace", {}).get("package", {}).get("version")
        names = _members_inheriting(workspace, ws_data)
        if package["name"] not in names:
            names.insert(0, package["name"])
        located = Located(
            workspace, ws_text, (span,) if span else (), "[workspace.package].version"
        )
        label = f"{_relative(workspace, root)} [workspace.package].version"
    else:
        span = toml_string(text, "package", "version")
        expected = package.get("version")
        names = [package["name"]]
        located = Located(manifest, text, (span,) if span else (), "Cargo.toml [package].version")
        label = f"{rel} [package].version"
    if span is None or located.text[span[0] : span[1]] != expected:
        raise SourceError(
            f'cannot locate {label} as a plain `version = "..."` line',
            where=_relative(located.path, root),
            hint="write it on its own line inside its table",
        )
    locations = [located]
    lock = _lock_file(manifest.parent, root)
    if lock is not None:
        locations.append(_lock_spans(lock, names, root))
    return locations
