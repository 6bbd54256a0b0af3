"""Find, read and rewrite every place a project's version lives.

A source is a span of characters in a file (or, for tag-derived versions, the latest release tag).
Rewriting replaces exactly those characters and nothing else, so quote style, comments, line
endings and the rest of the file survive byte for byte. A source that is configured, or that a
build backend is configured to read, but whose pattern does not match is an error, never a
silent skip: a release that bumps three of four places is the failure this module exists to
prevent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from packaging.utils import canonicalize_name
from packaging.version import Version

from releasekit.config import Project, Settings
from releasekit.errors import ConfigError, SourceError
from releasekit.versioning import parse_version

SourceKind = Literal["file", "tag"]

# A version-looking run of characters: PEP 440 text (epoch, local, separators) and no more.
_VERSION_CHARS = r"[0-9A-Za-z.!+_-]+"
# `__version__ = "1.2.3"`, `VERSION: Final = '1.2.3'`, `version = "1.2.3"` at the start of a line.
_ASSIGNMENT = re.compile(
    r"""^[ \t]*(?:__version__|VERSION|version)[ \t]*(?::[^=\n]*)?=[ \t]*
        (?P<quote>['"])(?P<version>[^'"\n]*)(?P=quote)""",
    re.MULTILINE | re.VERBOSE,
)
_TABLE_HEADER = re.compile(r"^[ \t]*\[", re.MULTILINE)
_PROJECT_HEADER = re.compile(r"^[ \t]*\[project\][ \t]*(?:#.*)?$", re.MULTILINE)
_PYPROJECT_VERSION = re.compile(
    r"""^[ \t]*version[ \t]*=[ \t]*(?P<quote>"|')(?P<version>[^"'\n]*)(?P=quote)""", re.MULTILINE
)


@dataclass(frozen=True)
class VersionSource:
    """One place where the version is written.

    ``spans`` are (start, end) character offsets of the version text in ``text``; a tag-derived
    source has no path and no spans: releasing it means creating the tag.
    """

    label: str
    kind: SourceKind
    version: Version
    path: Path | None = None
    text: str = ""
    spans: tuple[tuple[int, int], ...] = ()

    @property
    def line(self) -> int:
        """1-based line of the first span, for messages."""
        return self.text.count("\n", 0, self.spans[0][0]) + 1 if self.spans else 0


@dataclass(frozen=True)
class FileEdit:
    """The whole old and new text of one file the release rewrites."""

    path: Path
    old: str
    new: str


def _read_text(path: Path, *, label: str) -> str:
    """Read a source file exactly (no newline translation); errors name the file."""
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError as exc:
        raise SourceError(
            f"{label} names a file that does not exist",
            where=str(path),
            hint="fix the path in pyproject.toml, or create the file",
        ) from exc
    except UnicodeDecodeError as exc:
        raise SourceError("file is not UTF-8 text", where=str(path)) from exc
    except OSError as exc:
        raise SourceError(f"cannot read file: {exc.strerror}", where=str(path)) from exc


def _source_from_matches(
    path: Path, text: str, matches: Sequence[re.Match[str]], *, label: str, project: Project
) -> VersionSource:
    """Build a file source from its matches; every match in one file must agree."""
    rel = _relative(path, project)
    versions = {match.group("version") for match in matches}
    if len(versions) > 1:
        raise SourceError(
            f"{label} is written differently in one file ({', '.join(sorted(versions))})",
            where=rel,
            hint="make every occurrence the same version, then run again",
        )
    first = matches[0]
    line = text.count("\n", 0, first.start("version")) + 1
    version = parse_version(first.group("version"), where=f"{rel}:{line}")
    spans = tuple((m.start("version"), m.end("version")) for m in matches)
    return VersionSource(
        label=label, kind="file", version=version, path=path, text=text, spans=spans
    )


def _relative(path: Path, project: Project) -> str:
    """``path`` relative to the project root, for messages and labels."""
    try:
        return str(path.relative_to(project.root))
    except ValueError:
        return str(path)


def _pyproject_source(project: Project) -> VersionSource:
    """The static ``[project].version``, located in the file and cross-checked with tomllib."""
    path = project.pyproject_path
    text = _read_text(path, label="pyproject.toml")
    header = _PROJECT_HEADER.search(text)
    match = None
    if header is not None:
        following = _TABLE_HEADER.search(text, header.end())
        end = following.start() if following else len(text)
        match = _PYPROJECT_VERSION.search(text, header.end(), end)
    expected = project.pyproject["project"]["version"]
    if match is None or match.group("version") != expected:
        raise SourceError(
            'cannot locate [project].version as a plain `version = "..."` line',
            where="pyproject.toml",
            hint="write it on its own line inside the [project] table",
        )
    return _source_from_matches(path, text, [match], label="[project].version", project=project)


def _optional_assignment(path: Path, project: Project, *, label: str) -> VersionSource | None:
    """A ``__version__ = "..."`` style source, or ``None`` when the file has no such line."""
    text = _read_text(path, label=label)
    matches = list(_ASSIGNMENT.finditer(text))
    if not matches:
        return None
    return _source_from_matches(path, text, matches, label=label, project=project)


def _required_assignment(path: Path, project: Project, *, label: str) -> VersionSource:
    """A ``__version__ = "..."`` style source that must exist: the backend reads it."""
    source = _optional_assignment(path, project, label=label)
    if source is None:
        raise SourceError(
            f'{label}: no `__version__ = "..."` assignment found',
            where=_relative(path, project),
            hint="write the version as a string literal, or set a pattern in version-files",
        )
    return source


def _pattern_source(path: Path, project: Project, pattern: str) -> VersionSource:
    """A source given as literal text around ``{version}`` in ``version-files``."""
    before, _, after = pattern.partition("{version}")
    regex = re.compile(re.escape(before) + f"(?P<version>{_VERSION_CHARS})" + re.escape(after))
    text = _read_text(path, label="version-files")
    matches = list(regex.finditer(text))
    if not matches:
        raise SourceError(
            f"version-files pattern {pattern!r} matches nothing",
            where=_relative(path, project),
            hint="fix the pattern in [tool.releasekit] version-files, or the file",
        )
    return _source_from_matches(path, text, matches, label=f"pattern {pattern!r}", project=project)


def _whole_or_assignment_source(path: Path, project: Project, *, label: str) -> VersionSource:
    """A file that is nothing but the version (``VERSION``), or holds an assignment."""
    text = _read_text(path, label=label)
    stripped = text.strip()
    if stripped and "\n" not in stripped and "=" not in stripped:
        start = text.index(stripped)
        version = parse_version(stripped, where=_relative(path, project))
        return VersionSource(
            label=label,
            kind="file",
            version=version,
            path=path,
            text=text,
            spans=((start, start + len(stripped)),),
        )
    return _required_assignment(path, project, label=label)


def _module_file(project: Project, dotted: str, package_dirs: Mapping[str, str]) -> Path:
    """Locate the file of module ``dotted`` as setuptools would (``package-dir``, src or flat)."""
    parts = dotted.split(".")
    bases = [package_dirs[""]] if "" in package_dirs else ["src", "."]
    if parts[0] in package_dirs:
        bases = [package_dirs[parts[0]]]
        parts = parts[1:] or [""]
    for base in bases:
        stem = project.root / base / Path(*[p for p in parts if p])
        for candidate in (stem / "__init__.py", stem.with_suffix(".py")):
            if candidate.is_file():
                return candidate
    raise SourceError(
        f"cannot find module {dotted!r} for the dynamic version",
        where="pyproject.toml [tool.setuptools.dynamic] version",
        hint="check the attr path, or list the file in [tool.releasekit] version-files",
    )


def _dynamic_sources(project: Project, latest_tag: Version | None) -> list[VersionSource]:
    """Sources of a ``dynamic = ["version"]`` project, as its build backend would read them."""
    data = project.pyproject
    tool: Mapping[str, Any] = data.get("tool", {})
    backend = str(data.get("build-system", {}).get("build-backend", ""))
    requires = " ".join(data.get("build-system", {}).get("requires", []))
    tag_source = [
        VersionSource(
            label="latest release tag", kind="tag", version=latest_tag or Version("0.0.0")
        )
    ]

    hatch = tool.get("hatch", {}).get("version")
    if isinstance(hatch, dict):
        if hatch.get("source") == "vcs":
            return tag_source
        if "path" in hatch:
            path = project.root / str(hatch["path"])
            label = f"__version__ ([tool.hatch.version] path {hatch['path']})"
            return [_whole_or_assignment_source(path, project, label=label)]
    setuptools = tool.get("setuptools", {})
    dynamic_version = setuptools.get("dynamic", {}).get("version")
    if isinstance(dynamic_version, dict) and "attr" in dynamic_version:
        dotted, _, _attribute = str(dynamic_version["attr"]).rpartition(".")
        path = _module_file(project, dotted, setuptools.get("package-dir", {}))
        return [_required_assignment(path, project, label="setuptools attr: version")]
    if isinstance(dynamic_version, dict) and "file" in dynamic_version:
        files = dynamic_version["file"]
        names = [files] if isinstance(files, str) else list(files)
        return [
            _whole_or_assignment_source(
                project.root / name, project, label="setuptools file: version"
            )
            for name in names
        ]
    if "setuptools_scm" in tool or "setuptools-scm" in requires or "setuptools_scm" in requires:
        return tag_source
    pdm = tool.get("pdm", {}).get("version")
    if isinstance(pdm, dict) and pdm.get("source") == "scm":
        return tag_source
    if isinstance(pdm, dict) and pdm.get("source") == "file" and "path" in pdm:
        path = project.root / str(pdm["path"])
        return [_whole_or_assignment_source(path, project, label="[tool.pdm.version] path")]
    if backend.startswith("flit_core"):
        import_name = tool.get("flit", {}).get("module", {}).get("name") or _import_name(data)
        module = _package_init(project, str(import_name))
        if module is not None:
            return [_required_assignment(module, project, label="__version__ (read by flit)")]
    raise ConfigError(
        "[project].version is dynamic, but releasekit cannot tell where the build backend reads it",
        where="pyproject.toml",
        hint="list the file in [tool.releasekit] version-files",
    )


def _import_name(data: Mapping[str, Any]) -> str:
    """The import name a project's package most likely has: its normalized name with underscores."""
    return canonicalize_name(str(data["project"]["name"])).replace("-", "_")


def _package_init(project: Project, import_name: str) -> Path | None:
    """The package's ``__init__.py`` in a src or flat layout, or a single-module file."""
    for candidate in (
        project.root / "src" / import_name / "__init__.py",
        project.root / import_name / "__init__.py",
        project.root / "src" / f"{import_name}.py",
        project.root / f"{import_name}.py",
    ):
        if candidate.is_file():
            return candidate
    return None


def find_sources(
    project: Project, settings: Settings, *, latest_tag: Version | None
) -> list[VersionSource]:
    """Every place the version lives, in a stable order; raises if a named place does not match.

    ``latest_tag`` is the newest release tag's version, used for tag-derived projects.
    """
    table = project.pyproject.get("project")
    if not isinstance(table, dict) or not isinstance(table.get("name"), str):
        raise ConfigError(
            "pyproject.toml has no [project] table with a name",
            where=str(project.pyproject_path),
            hint="declare the project's metadata in [project] (PEP 621)",
        )
    dynamic = table.get("dynamic", [])
    if "version" in table and "version" in dynamic:
        raise ConfigError(
            "[project].version is both set and listed in dynamic",
            where="pyproject.toml",
            hint="remove one of them",
        )
    if "version" in table:
        sources = [_pyproject_source(project)]
    elif "version" in dynamic:
        sources = _dynamic_sources(project, latest_tag)
    else:
        raise ConfigError(
            "[project] has no version and does not list it in dynamic",
            where="pyproject.toml",
            hint='add version = "0.1.0" to [project]',
        )
    init = _package_init(project, _import_name(project.pyproject))
    if init is not None and all(source.path != init for source in sources):
        found = _optional_assignment(init, project, label="__version__")
        if found is not None:
            sources.append(found)
    for spec in settings.version_files:
        path = project.root / spec.path
        if spec.pattern is not None:
            sources.append(_pattern_source(path, project, spec.pattern))
        elif all(source.path != path for source in sources):
            sources.append(_whole_or_assignment_source(path, project, label="version-files"))
    return sources


def describe(source: VersionSource, project: Project) -> str:
    """``path:line label`` for messages; the label alone for tag-derived sources."""
    if source.path is None:
        return source.label
    return f"{_relative(source.path, project)}:{source.line} {source.label}"


def current_version(sources: Sequence[VersionSource], project: Project) -> Version:
    """The version every source agrees on; disagreement lists every source and its value."""
    written = {str(source.version) for source in sources}
    if len(written) > 1:
        listing = ", ".join(f"{describe(s, project)} = {s.version}" for s in sources)
        raise SourceError(
            f"the version sources disagree: {listing}",
            where=str(project.root),
            hint="make them all the same version, commit, then run again",
        )
    return sources[0].version


def file_edits(sources: Sequence[VersionSource], new: Version) -> list[FileEdit]:
    """The rewritten text of every file source, all spans of one file replaced together."""
    by_path: dict[Path, tuple[str, set[tuple[int, int]]]] = {}
    for source in sources:
        if source.path is None:
            continue
        text, spans = by_path.setdefault(source.path, (source.text, set()))
        spans.update(source.spans)
    edits = []
    replacement = str(new)
    for path, (text, spans) in by_path.items():
        pieces, cursor = [], 0
        for start, end in sorted(spans):
            pieces.append(text[cursor:start])
            pieces.append(replacement)
            cursor = end
        pieces.append(text[cursor:])
        edits.append(FileEdit(path=path, old=text, new="".join(pieces)))
    return edits
