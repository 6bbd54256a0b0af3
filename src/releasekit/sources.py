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
from pathlib import Path
from typing import Any, Literal

from packaging.version import Version

from releasekit.cargo import cargo_locations, from_cargo_version, to_cargo_version
from releasekit.config import Project, Settings
from releasekit.errors import ConfigError, SourceError
from releasekit.project_meta import backend_metadata, has_backend
from releasekit.records import frozen
from releasekit.setuptools_files import SetupCfg, read_setup_cfg, read_setup_py
from releasekit.shipped_packages import version_files
from releasekit.text_spans import Located, toml_string
from releasekit.versioning import parse_version

SourceKind = Literal["file", "tag"]
# How a source writes the version: PEP 440 text, or Cargo's SemVer (``1.2.0-rc.1``).
VersionSyntax = Literal["pep440", "cargo"]
# Files that hold nothing but the version, looked for when only the build backend knows it.
_PLAIN_VERSION_FILES = ("VERSION", "VERSION.txt", "version.txt")

# A version-looking run of characters: PEP 440 text (epoch, local, separators) and no more.
_VERSION_CHARS = r"[0-9A-Za-z.!+_-]+"
# `__version__ = "1.2.3"`, `VERSION: Final = '1.2.3'`, `version = "1.2.3"` at the start of a line.
_ASSIGNMENT = re.compile(
    r"""^[ \t]*(?:__version__|VERSION|version)[ \t]*(?::[^=\n]*)?=[ \t]*
        (?P<quote>['"])(?P<version>[^'"\n]*)(?P=quote)""",
    re.MULTILINE | re.VERBOSE,
)


@frozen
class VersionSource:
    """One place where the version is written.

    ``spans`` are (start, end) character offsets of the version text in ``text``; a tag-derived
    source has no path and no spans: releasing it means creating the tag. ``syntax`` says how
    the version is written there (``render_version``): Cargo.toml holds ``1.2.0-rc.1`` for the
    PEP 440 version 1.2.0rc1.
    """

    label: str
    kind: SourceKind
    version: Version
    path: Path | None = None
    text: str = ""
    spans: tuple[tuple[int, int], ...] = ()
    syntax: VersionSyntax = "pep440"

    @property
    def line(self) -> int:
        """1-based line of the first span, for messages."""
        return self.text.count("\n", 0, self.spans[0][0]) + 1 if self.spans else 0


@frozen
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


def render_version(version: Version, syntax: VersionSyntax) -> str:
    """``version`` as a source of ``syntax`` writes it."""
    return to_cargo_version(version) if syntax == "cargo" else str(version)


def _source_from_spans(
    path: Path,
    text: str,
    spans: Sequence[tuple[int, int]],
    *,
    label: str,
    project: Project,
    syntax: VersionSyntax = "pep440",
) -> VersionSource:
    """Build a file source from the spans of its version text; every span must agree."""
    rel = _relative(path, project)
    versions = {text[start:end] for start, end in spans}
    if len(versions) > 1:
        raise SourceError(
            f"{label} is written differently in one file ({', '.join(sorted(versions))})",
            where=rel,
            hint="make every occurrence the same version, then run again",
        )
    start, end = spans[0]
    where = f"{rel}:{text.count(chr(10), 0, start) + 1}"
    written = text[start:end]
    if syntax == "cargo":
        version = from_cargo_version(written, where=where)
    else:
        version = parse_version(written, where=where)
    return VersionSource(
        label=label,
        kind="file",
        version=version,
        path=path,
        text=text,
        spans=tuple(spans),
        syntax=syntax,
    )


def _source_from_matches(
    path: Path, text: str, matches: Sequence[re.Match[str]], *, label: str, project: Project
) -> VersionSource:
    """Build a file source from its matches; every match in one file must agree."""
    spans = [match.span("version") for match in matches]
    return _source_from_spans(path, text, spans, label=label, project=project)


def _located_source(
    located: Located, project: Project, syntax: VersionSyntax = "pep440"
) -> VersionSource:
    """A source from spans another module located (Cargo files)."""
    return _source_from_spans(
        located.path,
        located.text,
        located.spans,
        label=located.label,
        project=project,
        syntax=syntax,
    )


def _relative(path: Path, project: Project) -> str:
    """``path`` relative to the project root, for messages and labels."""
    try:
        return str(path.relative_to(project.root))
    except ValueError:
        return str(path)


def _pyproject_source(project: Project, table: str = "project") -> VersionSource:
    """A static ``version`` of a pyproject table (``[project]``, ``[tool.poetry]``).

    It is located in the file and cross-checked with tomllib.
    """
    path = project.pyproject_path
    text = _read_text(path, label="pyproject.toml")
    span = toml_string(text, table, "version")
    expected: Any = project.pyproject
    for key in table.split("."):
        expected = expected.get(key, {})
    if span is None or text[span[0] : span[1]] != expected.get("version"):
        raise SourceError(
            f'cannot locate [{table}].version as a plain `version = "..."` line',
            where="pyproject.toml",
            hint=f"write it on its own line inside the [{table}] table",
        )
    return _source_from_spans(path, text, [span], label=f"[{table}].version", project=project)


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


def _module_file(
    project: Project,
    dotted: str,
    package_dirs: Mapping[str, str],
    where: str = "pyproject.toml [tool.setuptools.dynamic] version",
) -> Path:
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
        where=where,
        hint="check the attr path, or list the file in [tool.releasekit] version-files",
    )


def _tag_source(latest_tag: Version | None) -> list[VersionSource]:
    """A tag-derived version: the latest release tag is the current version."""
    return [
        VersionSource(
            label="latest release tag", kind="tag", version=latest_tag or Version("0.0.0")
        )
    ]


def _uses_scm(project: Project) -> bool:
    """setuptools-scm configured in pyproject.toml, its build requirements, or setup.py."""
    data = project.pyproject
    requires = " ".join(map(str, data.get("build-system", {}).get("requires", [])))
    if "setuptools_scm" in data.get("tool", {}) or "setuptools-scm" in requires:
        return True
    if "setuptools_scm" in requires:
        return True
    setup_py = read_setup_py(project.root)
    return setup_py is not None and "use_scm_version" in setup_py.text


def _is_maturin(project: Project) -> bool:
    backend = project.pyproject.get("build-system", {}).get("build-backend", "")
    return isinstance(backend, str) and backend.startswith("maturin")


def _cargo_sources(project: Project) -> list[VersionSource]:
    """The version maturin reads: the crate's (or workspace's) Cargo.toml, and Cargo.lock."""
    return [
        _located_source(located, project, "cargo")
        for located in cargo_locations(project.root, project.pyproject)
    ]


def _setup_cfg_sources(project: Project, cfg: SetupCfg) -> list[VersionSource]:
    """setup.cfg ``[metadata] version``: a literal, or where ``attr:``/``file:`` point."""
    value = cfg.version or ""
    where = "setup.cfg [metadata] version"
    if value.startswith("attr:"):
        dotted, _, _attribute = value.removeprefix("attr:").strip().rpartition(".")
        path = _module_file(project, dotted, cfg.package_dir, where=where)
        return [_required_assignment(path, project, label="setup.cfg attr: version")]
    if value.startswith("file:"):
        names = [n.strip() for n in value.removeprefix("file:").split(",") if n.strip()]
        return [
            _whole_or_assignment_source(project.root / n, project, label="setup.cfg file: version")
            for n in names
        ]
    span = cfg.version_span
    if span is None or cfg.text[span[0] : span[1]] != value:
        raise SourceError(
            "cannot locate the version in setup.cfg as a plain `version = ...` line",
            where="setup.cfg",
            hint="write it on its own line in the [metadata] section",
        )
    return [_source_from_spans(cfg.path, cfg.text, [span], label=where, project=project)]


def _legacy_sources(
    project: Project, latest_tag: Version | None
) -> tuple[list[VersionSource], bool]:
    """Sources of a project without ``[project]``, and whether only the backend knows it.

    Poetry 1.x's ``[tool.poetry].version``, maturin's Cargo.toml, setup.cfg, then setup.py's
    literal ``version=``. ``True`` means none of those says it: the version is the package's
    ``__version__`` (setup.py passes it on) or, failing that, what the build backend reports.
    """
    tool: Mapping[str, Any] = project.pyproject.get("tool", {})
    poetry = tool.get("poetry", {})
    if isinstance(poetry, dict) and "version" in poetry:
        dynamic = tool.get("poetry-dynamic-versioning", {})
        if isinstance(dynamic, dict) and dynamic.get("enable") is True:
            return _tag_source(latest_tag), False
        return [_pyproject_source(project, "tool.poetry")], False
    if _is_maturin(project):
        return _cargo_sources(project), False
    if _uses_scm(project):
        return _tag_source(latest_tag), False
    cfg = read_setup_cfg(project.root)
    if cfg is not None and cfg.version:
        return _setup_cfg_sources(project, cfg), False
    setup_py = read_setup_py(project.root)
    if setup_py is not None and setup_py.version_spans:
        source = _source_from_spans(
            setup_py.path,
            setup_py.text,
            setup_py.version_spans,
            label="setup.py version",
            project=project,
        )
        return [source], False
    if not has_backend(project):
        raise ConfigError(
            "pyproject.toml has no [project] table with a name",
            where=str(project.pyproject_path),
            hint="declare the project's metadata in [project] (PEP 621)",
        )
    return [], True


def _dynamic_sources(project: Project, latest_tag: Version | None) -> list[VersionSource]:
    """Sources of a ``dynamic = ["version"]`` project, as its build backend would read them."""
    data = project.pyproject
    tool: Mapping[str, Any] = data.get("tool", {})
    backend = str(data.get("build-system", {}).get("build-backend", ""))

    hatch = tool.get("hatch", {}).get("version")
    if isinstance(hatch, dict):
        if hatch.get("source") == "vcs":
            return _tag_source(latest_tag)
        if "path" in hatch:
            path = project.root / str(hatch["path"])
            label = f"__version__ ([tool.hatch.version] path {hatch['path']})"
            return [_whole_or_assignment_source(path, project, label=label)]
    setuptools = tool.get("setuptools", {})
    dynamic_version = setuptools.get("dynamic", {}).get("version")
    if isinstance(dynamic_version, dict) and "attr" in dynamic_version:
        dotted, _, attribute = str(dynamic_version["attr"]).rpartition(".")
        path = _module_file(project, dotted, setuptools.get("package-dir", {}))
        found = _optional_assignment(path, project, label="setuptools attr: version")
        if found is not None:
            return [found]
        if _uses_scm(project):
            # The attribute is computed (setuptools-scm's own repository reads its tags this
            # way): the version is the tag's, and a release is a tag.
            return _tag_source(latest_tag)
        raise SourceError(
            f'setuptools attr: version: no `{attribute} = "..."` assignment found',
            where=_relative(path, project),
            hint="write the version as a string literal, or set a pattern in version-files",
        )
    if isinstance(dynamic_version, dict) and "file" in dynamic_version:
        files = dynamic_version["file"]
        names = [files] if isinstance(files, str) else list(files)
        return [
            _whole_or_assignment_source(
                project.root / name, project, label="setuptools file: version"
            )
            for name in names
        ]
    if _uses_scm(project):
        return _tag_source(latest_tag)
    pdm = tool.get("pdm", {}).get("version")
    if isinstance(pdm, dict) and pdm.get("source") == "scm":
        return _tag_source(latest_tag)
    if isinstance(pdm, dict) and pdm.get("source") == "file" and "path" in pdm:
        path = project.root / str(pdm["path"])
        return [_whole_or_assignment_source(path, project, label="[tool.pdm.version] path")]
    if backend.startswith("flit_core"):
        modules = version_files(project)
        if modules:
            return [_required_assignment(modules[0], project, label="__version__ (read by flit)")]
    if _is_maturin(project):
        return _cargo_sources(project)
    poetry = tool.get("poetry", {})
    if backend.startswith("poetry") and isinstance(poetry, dict) and "version" in poetry:
        return [_pyproject_source(project, "tool.poetry")]
    if backend.startswith("setuptools"):
        sources, unknown = _legacy_sources(project, latest_tag)
        if not unknown:
            return sources
    raise ConfigError(
        "[project].version is dynamic, but releasekit cannot tell where the build backend reads it",
        where="pyproject.toml",
        hint="list the file in [tool.releasekit] version-files",
    )


def _pep621_sources(
    project: Project, table: Mapping[str, Any], latest_tag: Version | None
) -> list[VersionSource]:
    """Sources of a project with a ``[project]`` table: its version, or the dynamic one."""
    if not isinstance(table.get("name"), str):
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
        return [_pyproject_source(project)]
    if "version" in dynamic:
        return _dynamic_sources(project, latest_tag)
    raise ConfigError(
        "[project] has no version and does not list it in dynamic",
        where="pyproject.toml",
        hint='add version = "0.1.0" to [project]',
    )


def _backend_version_sources(project: Project, sources: list[VersionSource]) -> list[VersionSource]:
    """Where the version the build backend reports is written; it must be written somewhere.

    The files found so far (``__version__`` literals, ``version-files``) must all hold it; with
    none, a file holding nothing but the version (``VERSION``) is looked for.
    """
    reported = backend_metadata(project).version
    if not sources:
        for name in _PLAIN_VERSION_FILES:
            path = project.root / name
            if path.is_file():
                found = _whole_or_assignment_source(path, project, label=name)
                if found.version == reported:
                    sources.append(found)
    where = "setup.py" if (project.root / "setup.py").is_file() else "pyproject.toml"
    if not sources:
        raise SourceError(
            f"the build backend reports version {reported}, but releasekit cannot find the "
            "file it is written in",
            where=where,
            hint="list that file in [tool.releasekit] version-files",
        )
    for source in sources:
        if source.version != reported:
            raise SourceError(
                f"the build backend reports version {reported}, but "
                f"{describe(source, project)} says {source.version}",
                where=where,
                hint="make them agree, or list the right file in [tool.releasekit] version-files",
            )
    return sources


def find_sources(
    project: Project, settings: Settings, *, latest_tag: Version | None
) -> list[VersionSource]:
    """Every place the version lives, in a stable order; raises if a named place does not match.

    ``latest_tag`` is the newest release tag's version, used for tag-derived projects. Projects
    without ``[project]`` are read from ``[tool.poetry]``, Cargo.toml (maturin), setup.cfg or
    setup.py; when none says it, the build backend is asked (``project_meta``), and the version
    it reports must be found in a file.
    """
    table = project.pyproject.get("project")
    backend_knows = False
    if isinstance(table, dict):
        sources = _pep621_sources(project, table, latest_tag)
    else:
        sources, backend_knows = _legacy_sources(project, latest_tag)
    for init in version_files(project):
        if all(source.path != init for source in sources):
            found = _optional_assignment(init, project, label="__version__")
            if found is not None:
                sources.append(found)
    for spec in settings.version_files:
        path = project.root / spec.path
        if spec.pattern is not None:
            sources.append(_pattern_source(path, project, spec.pattern))
        elif all(source.path != path for source in sources):
            sources.append(_whole_or_assignment_source(path, project, label="version-files"))
    if backend_knows and not settings.version_files:
        # setup.py passing a computed version= on: the package's __version__ literal is it.
        setup_py = read_setup_py(project.root)
        if not (sources and setup_py is not None and setup_py.version_given):
            sources = _backend_version_sources(project, sources)
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
    """The rewritten text of every file source, all spans of one file replaced together.

    Each source writes ``new`` in its own syntax (Cargo's SemVer for Cargo files).
    """
    by_path: dict[Path, tuple[str, dict[tuple[int, int], str]]] = {}
    for source in sources:
        if source.path is None:
            continue
        text, replacements = by_path.setdefault(source.path, (source.text, {}))
        rendered = render_version(new, source.syntax)
        for span in source.spans:
            replacements[span] = rendered
    edits = []
    for path, (text, replacements) in by_path.items():
        pieces, cursor = [], 0
        for (start, end), replacement in sorted(replacements.items()):
            pieces.append(text[cursor:start])
            pieces.append(replacement)
            cursor = end
        pieces.append(text[cursor:])
        edits.append(FileEdit(path=path, old=text, new="".join(pieces)))
    return edits
