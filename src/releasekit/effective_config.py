"""What releasekit will use for this project, and where each part came from (``releasekit config``).

It reads, never writes: the settings with their origin (``config.resolve_settings_with_sources``),
the tag format actually in use and the latest release tag (``tags.read_history``), the changelog
found (``changelog_files.find_changelog``), and every version source with its value. What cannot
be read (sources that disagree, a format no tag matches) is a warning finding: the command is
there to show, ``releasekit doctor`` to judge.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from packaging.version import Version

from releasekit.changelog_files import find_changelog
from releasekit.config import (
    DEFAULT_ORIGIN,
    Project,
    Settings,
    VersionFileSpec,
    resolve_settings_with_sources,
)
from releasekit.errors import ConfigError, ReleaseError
from releasekit.findings import Finding
from releasekit.git import Git
from releasekit.index.target import simple_url_for
from releasekit.project_meta import static_name
from releasekit.records import frozen
from releasekit.sources import VersionSource, current_version, find_sources
from releasekit.tags import FormatSource, read_history

# Where a tag format came from, when no setting chose it.
_FORMAT_ORIGINS: dict[FormatSource, str] = {
    "scm": "the scm configuration",
    "tags": "read from the tags",
    "default": DEFAULT_ORIGIN,
}
FOUND_ORIGIN = "found"
NOT_FOUND_ORIGIN = "not found"
DERIVED_ORIGIN = "derived from repository"


@frozen
class SettingValue:
    """One setting as releasekit will use it (JSON-ready), and where it came from."""

    value: object
    origin: str


@frozen
class SourceValue:
    """One place the version is written: file and 1-based line (``None`` for a tag) and value."""

    file: str | None
    line: int | None
    label: str
    version: str


@frozen
class EffectiveConfig:
    """Everything ``releasekit config`` shows."""

    root: Path
    name: str | None
    settings: dict[str, SettingValue]
    sources: list[SourceValue]
    current: Version | None
    latest_tag: str | None
    findings: list[Finding]


def _json_value(value: object) -> object:
    """A setting's value as JSON holds it: version-files as path/pattern objects."""
    if isinstance(value, tuple) and all(isinstance(v, VersionFileSpec) for v in value):
        return [{"path": spec.path, "pattern": spec.pattern} for spec in value]
    return value


def _source_value(source: VersionSource, root: Path) -> SourceValue:
    if source.path is None:
        return SourceValue(None, None, source.label, str(source.version))
    shown = source.path.relative_to(root) if source.path.is_relative_to(root) else source.path
    return SourceValue(str(shown), source.line or None, source.label, str(source.version))


def read_effective_config(project: Project, env: Mapping[str, str]) -> EffectiveConfig:
    """Resolve the settings of ``project`` with their origins, and read what they lead to.

    Raises ``ConfigError`` for settings that cannot be read (as every command would).
    """
    settings, origins = resolve_settings_with_sources(project, env=env)
    root = project.root
    findings: list[Finding] = []
    git = Git(root)
    name = static_name(project)
    history = read_history(git if git.toplevel() is not None else None, project, settings, name)
    if history.mismatch is not None:
        findings.append(
            Finding("pyproject.toml", "warning", "tag-format-mismatch", history.mismatch)
        )
    latest = history.latest
    values = {
        key: SettingValue(_json_value(value), origins[key]) for key, value in _by_key(settings)
    }
    tag_format = history.tag_format
    if tag_format.source != "setting":
        values["tag-format"] = SettingValue(tag_format.template, _FORMAT_ORIGINS[tag_format.source])
    values["changelog"] = _changelog(root, settings, origins["changelog"], findings)
    if settings.index_url is None:
        values["index-url"] = _derived_index(settings.repository)
    sources: list[VersionSource] = []
    current: Version | None = None
    try:
        sources = find_sources(project, settings, latest_tag=latest.version if latest else None)
        current = current_version(sources, project) if sources else None
    except ReleaseError as error:
        # A disagreement names the project folder; point at the file that declares the project.
        where = error.where if error.where and error.where != str(root) else "pyproject.toml"
        findings.append(Finding(where, "warning", "version-sources", error.message, error.hint))
    return EffectiveConfig(
        root=root,
        name=name,
        settings=values,
        sources=[_source_value(source, root) for source in sources],
        current=current,
        latest_tag=latest.name if latest else None,
        findings=findings,
    )


def _by_key(settings: Settings) -> list[tuple[str, object]]:
    """Each setting under its ``[tool.releasekit]`` key, in the documented order."""
    return [
        ("changelog", settings.changelog),
        ("tag-format", settings.tag_format),
        ("version-files", settings.version_files),
        ("release-branch", settings.release_branch),
        ("commit-message", settings.commit_message),
        ("repository", settings.repository),
        ("index-url", settings.index_url),
        ("verify-timeout", settings.verify_timeout),
        ("connect-timeout", settings.connect_timeout),
        ("read-timeout", settings.read_timeout),
        ("request-timeout", settings.request_timeout),
        ("min-upload-speed", settings.min_upload_speed),
        ("upload-attempts", settings.upload_attempts),
        ("major-on-zero", settings.major_on_zero),
        ("changelog-sections", settings.changelog_sections),
        ("include-merges", settings.include_merges),
        ("commit-per-package", settings.commit_per_package),
    ]


def _changelog(
    root: Path, settings: Settings, origin: str, findings: list[Finding]
) -> SettingValue:
    """The changelog in use: as configured (false: none), else the file found, if any."""
    if settings.changelog is False:
        return SettingValue(False, origin)
    path = find_changelog(root, settings)
    shown = (
        None if path is None else str(path.relative_to(root) if path.is_relative_to(root) else path)
    )
    if settings.changelog is not None:
        if path is not None and not path.is_file():
            findings.append(
                Finding(
                    shown or settings.changelog,
                    "warning",
                    "changelog-missing",
                    "the configured changelog does not exist",
                    "create it, or change changelog in [tool.releasekit] (false: no changelog)",
                )
            )
        return SettingValue(shown, origin)
    return SettingValue(shown, FOUND_ORIGIN if path is not None else NOT_FOUND_ORIGIN)


def _derived_index(repository: str) -> SettingValue:
    """The simple API address releasekit derives for pypi and testpypi; ``None`` otherwise."""
    try:
        return SettingValue(simple_url_for(repository, None), DERIVED_ORIGIN)
    except ConfigError:
        return SettingValue(None, DEFAULT_ORIGIN)
