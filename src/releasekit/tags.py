"""Release tags: which tags are this project's releases, and how the next one is written.

Projects write release tags in many styles (``1.6.0``, ``v1.6.0``, ``name-v1.6.0``,
``release-1.6.0``), and a tag-versioned project's version *is* its newest tag: reading the style
wrong releases 0.0.1 over 1.6.0. So the style is read, never assumed: from the ``tag-format``
setting, else from the scm configuration (setuptools-scm, hatch-vcs, pdm), else from the
release tags reachable from HEAD. Only tags reachable from HEAD make up the release history, so a
maintenance branch can release 1.0.1 while main is at 2.0.0, and an old tag on another line of
history does not block anything; a version tagged anywhere is still never released twice.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from releasekit.config import Project, Settings
from releasekit.errors import ConfigError
from releasekit.git import Git

DEFAULT_FORMAT = "v{version}"
# Prefixes that say "a release" without naming a project: v1.0, release-1.0, version/1.0.
_GENERIC_PREFIX = re.compile(r"(?i)(?:v|rel[-_/]?v?|release[-_/]?v?|version[-_/]?v?)?")
# What separates a project's name from the version in its tags: pkg-v1.0, pkg_1.0, pkg/v1.0.
_NAME_SEPARATOR = re.compile(r"(?i)[-_/@.]?v?$")
# What may stand before a version in a tag; a dot or a letter continues something else.
_SEPARATORS = "-_/@"
# Dates (2020-01-01) and zero-padded numbers are not versions of a release.
_LEADING_ZERO = re.compile(r"0\d")
# Regex syntax that ends the literal start of an scm tag regex.
_REGEX_SPECIAL = set("\\.^$*+?{}[]|()")

Family = Literal["name", "generic", "other"]
FormatSource = Literal["setting", "scm", "tags", "default"]


@dataclass(frozen=True)
class TagFormat:
    """How release tags are written (``template`` holds one ``{version}``) and where that came from.

    ``filter`` is the scm tool's own tag filter (a regex or a glob), when one is configured: a
    tag it rejects is not a release to that tool, whatever it looks like.
    """

    template: str
    source: FormatSource
    filter: str | None = None

    def tag_for(self, version: Version) -> str:
        """The tag name of ``version``."""
        return self.template.format(version=version)

    def version_of(self, tag: str) -> Version | None:
        """The version a tag of this format names, or ``None`` when it is not such a tag."""
        prefix, _, suffix = self.template.partition("{version}")
        if not (tag.startswith(prefix) and tag.endswith(suffix)):
            return None
        inner = tag[len(prefix) : len(tag) - len(suffix)]
        if not inner[:1].isdigit():
            return None
        try:
            return Version(inner)
        except InvalidVersion:
            return None

    @property
    def described(self) -> str:
        """The template and where it came from, for ``-v`` output and messages."""
        origin = {
            "setting": "the tag-format setting",
            "scm": "the scm configuration",
            "tags": "the existing tags",
            "default": "the default",
        }[self.source]
        return f"{self.template} (from {origin})"


@dataclass(frozen=True)
class ReleaseTag:
    """A tag that names a release of this project."""

    name: str
    version: Version
    template: str


@dataclass(frozen=True)
class ReleaseHistory:
    """The project's release tags: those reachable from HEAD, and those anywhere in the repo.

    ``reachable`` decides what "the latest release" is; ``everywhere`` only guards against
    releasing a version twice.
    """

    tag_format: TagFormat
    reachable: tuple[ReleaseTag, ...] = ()
    everywhere: tuple[ReleaseTag, ...] = ()
    at_head: tuple[ReleaseTag, ...] = ()
    # One line for a configured format that matches none of the existing release tags.
    mismatch: str | None = field(default=None)
    # The highest reachable release that later releases did not supersede (see ``_latest``).
    latest: ReleaseTag | None = None
    # Reachable tags above ``latest`` that the project released below afterwards.
    strays: tuple[ReleaseTag, ...] = ()

    @property
    def version_at_head(self) -> Version | None:
        """The highest release tagged on HEAD itself."""
        return max((tag.version for tag in self.at_head), default=None)

    def tagged(self, version: Version) -> ReleaseTag | None:
        """The release tag of ``version`` anywhere in the repository, if there is one."""
        return next((tag for tag in self.everywhere if tag.version == version), None)


def split_tag(tag: str) -> tuple[str, str, Version] | None:
    """(prefix, template, version) of a tag that ends in a version, else ``None``.

    The version starts at a digit that does not continue a word (``pkg2-1.0`` is the ``pkg2-``
    prefix and 1.0; ``dev1`` is no version), after an optional ``v`` that itself starts a word,
    and must run to the end of the tag.
    """
    for index, char in enumerate(tag):
        if not char.isdigit() or not _starts_word(tag, index) or _LEADING_ZERO.match(tag, index):
            continue
        try:
            version = Version(tag[index:])
        except InvalidVersion:
            continue
        prefix = tag[:index]
        return prefix, prefix.replace("{", "{{").replace("}", "}}") + "{version}", version
    return None


def _starts_word(tag: str, index: int) -> bool:
    """Whether the digit at ``index`` begins a version: after a separator, or ``v`` after one."""
    if index == 0 or tag[index - 1] in _SEPARATORS:
        return True
    return tag[index - 1] in "vV" and (index == 1 or tag[index - 2] in _SEPARATORS)


def family(prefix: str, name: str | None) -> Family:
    """Whether a tag prefix names this project, says "release" in general, or names another."""
    if name is not None:
        stem = _NAME_SEPARATOR.sub("", prefix)
        if stem and canonicalize_name(stem) == canonicalize_name(name):
            return "name"
    return "generic" if _GENERIC_PREFIX.fullmatch(prefix) else "other"


def _scm_settings(pyproject: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The options of the scm tool that derives the version from tags, when one is configured."""
    tool: Mapping[str, Any] = pyproject.get("tool", {})
    hatch = tool.get("hatch", {}).get("version", {})
    if isinstance(hatch, dict) and hatch.get("source") == "vcs":
        raw = hatch.get("raw-options", {})
        options = dict(raw) if isinstance(raw, dict) else {}
        if isinstance(hatch.get("tag-pattern"), str):
            options["tag_regex"] = hatch["tag-pattern"]
        return options
    pdm = tool.get("pdm", {}).get("version", {})
    if isinstance(pdm, dict) and pdm.get("source") == "scm":
        return dict(pdm)
    for key in ("setuptools_scm", "setuptools-scm"):
        if isinstance(tool.get(key), dict):
            return dict(tool[key])
    return None


def _describe_match(command: object) -> str | None:
    """The ``--match`` glob of a configured ``git describe`` command, if it has one."""
    words = shlex.split(command) if isinstance(command, str) else command
    if not isinstance(words, list):
        return None
    for index, word in enumerate(map(str, words)):
        if word.startswith("--match="):
            return word.removeprefix("--match=")
        if word == "--match" and index + 1 < len(words):
            return str(words[index + 1])
    return None


def _regex_prefix(pattern: str) -> str | None:
    """The literal text an scm tag regex requires before the version (``^pkg-v`` -> ``pkg-v``)."""
    text = pattern.removeprefix("^")
    literal: list[str] = []
    for index, char in enumerate(text):
        if char in _REGEX_SPECIAL:
            if char == "\\" and index + 1 < len(text) and text[index + 1] in "-_/@":
                continue
            return "".join(literal) if text[index:].startswith("(?P<version>") else None
        literal.append(char)
    return None


@dataclass(frozen=True)
class _ScmFilter:
    """What an scm tool accepts as a release tag, and the literal prefix it implies."""

    kind: Literal["regex", "glob"]
    pattern: str

    def accepts(self, tag: str) -> bool:
        if self.kind == "glob":
            return fnmatch.fnmatchcase(tag, self.pattern)
        try:
            return re.search(self.pattern, tag) is not None
        except re.error:
            return True

    def template(self) -> str | None:
        """The tag template the filter implies, when it is plain enough to read one off."""
        if self.kind == "glob":
            prefix = self.pattern.split("*", 1)[0]
            return prefix + "{version}" if self.pattern == prefix + "*" else None
        literal = _regex_prefix(self.pattern)
        return None if literal is None else literal + "{version}"


def _scm_filter(project: Project) -> _ScmFilter | None:
    options = _scm_settings(project.pyproject)
    if options is None:
        return None
    if isinstance(options.get("tag_regex"), str):
        return _ScmFilter("regex", options["tag_regex"])
    glob = _describe_match(options.get("git_describe_command"))
    if glob is None and isinstance(options.get("tag_filter"), str):
        glob = options["tag_filter"] + ("" if "*" in options["tag_filter"] else "*")
    return _ScmFilter("glob", glob) if glob else None


def _release_tags(
    tags: list[str], name: str | None, scm: _ScmFilter | None, setting: str | None
) -> list[ReleaseTag]:
    """The tags that are this project's releases.

    A tag matching the ``tag-format`` setting always counts. The scm tool's filter, when one is
    configured, decides alone: what it accepts is a release to that tool. Otherwise tags that
    name this project win over generic ones (a monorepo's other packages have their own).
    """
    configured = TagFormat(setting, "setting") if setting else None
    by_family: dict[Family, list[ReleaseTag]] = {"name": [], "generic": [], "other": []}
    chosen: list[ReleaseTag] = []
    for tag in tags:
        if configured is not None and (version := configured.version_of(tag)) is not None:
            chosen.append(ReleaseTag(tag, version, configured.template))
            continue
        split = split_tag(tag)
        if split is None or (scm is not None and not scm.accepts(tag)):
            continue
        prefix, template, version = split
        by_family[family(prefix, name)].append(ReleaseTag(tag, version, template))
    if scm is not None:
        return chosen + by_family["name"] + by_family["generic"] + by_family["other"]
    return chosen + (by_family["name"] or by_family["generic"])


def _looks_like(tags: list[ReleaseTag]) -> str:
    """The newest few release tags, for messages."""
    newest = sorted(tags, key=lambda tag: tag.version, reverse=True)[:2]
    return ", ".join(tag.name for tag in newest)


def _format(
    settings: Settings, scm: _ScmFilter | None, reachable: list[ReleaseTag]
) -> tuple[TagFormat, str | None]:
    """The tag format, and a line saying how it disagrees with the tags when it does.

    The setting wins; then the style of the newest release tag (already filtered by the scm
    tool's own pattern); then, with no tags yet, the prefix the scm pattern spells out; then
    ``v{version}``.
    """
    pattern = scm.pattern if scm else None
    if settings.tag_format is not None:
        tag_format = TagFormat(settings.tag_format, "setting", pattern)
        if reachable and not any(tag_format.version_of(tag.name) for tag in reachable):
            newest = max(reachable, key=lambda tag: tag.version)
            return tag_format, (
                f"no tag matches {tag_format.template}; the tags look like "
                f'{_looks_like(reachable)} (set tag-format = "{newest.template}")'
            )
        return tag_format, None
    if reachable:
        newest = max(reachable, key=lambda tag: tag.version)
        return TagFormat(newest.template, "tags", pattern), None
    if scm is not None and (template := scm.template()) is not None:
        return TagFormat(template, "scm", pattern), None
    return TagFormat(DEFAULT_FORMAT, "default", pattern), None


def read_history(
    git: Git | None, project: Project, settings: Settings, name: str | None
) -> ReleaseHistory:
    """The project's tag format and release tags; ``git`` is ``None`` outside a repository."""
    scm = _scm_filter(project)
    if git is None or git.head() is None:
        tag_format, _ = _format(settings, scm, [])
        return ReleaseHistory(tag_format)
    setting = settings.tag_format
    merged = git.tags(merged="HEAD")
    reachable = _release_tags(merged, name, scm, setting)
    everywhere = _release_tags(git.tags(), name, scm, setting)
    at_head = _release_tags(git.tags_at_head(), name, scm, setting)
    latest, strays = _latest(git, reachable)
    tag_format, mismatch = _format(settings, scm, [tag for tag in reachable if tag not in strays])
    if scm is not None and not reachable and mismatch is None:
        rejected = _release_tags(merged, name, None, None)
        if rejected:
            mismatch = (
                f"no tag matches the scm tag filter {scm.pattern!r}; the tags look like "
                f"{_looks_like(rejected)} (fix the filter, or set tag-format)"
            )
    return ReleaseHistory(
        tag_format,
        tuple(reachable),
        tuple(everywhere),
        tuple(at_head),
        mismatch,
        latest,
        strays,
    )


def _latest(
    git: Git, reachable: list[ReleaseTag]
) -> tuple[ReleaseTag | None, tuple[ReleaseTag, ...]]:
    """The latest release, passing over stray tags that later history released below.

    A tag is stray when a release tag with a lower version descends from it: the project went on
    releasing below it (httpx tagged 1.0.0.beta0 in 2021, then released 0.19 to 0.28 on top of
    it), so it is no longer the line the next version must exceed. A maintenance release merged
    back into main does not descend from main's newer tag, so that tag stays the latest.
    """
    strays: list[ReleaseTag] = []
    commits: dict[str, str] | None = None
    for candidate in sorted(reachable, key=lambda tag: tag.version, reverse=True):
        below = {tag.name for tag in reachable if tag.version < candidate.version}
        later = set(git.tags(merged="HEAD", contains=candidate.name)) & below if below else set()
        if later:
            # A lower tag on the candidate's own commit is no later release.
            commits = commits if commits is not None else git.tag_commits()
            later = {name for name in later if commits.get(name) != commits.get(candidate.name)}
        if not later:
            return candidate, tuple(strays)
        strays.append(candidate)
    return None, tuple(strays)


def require_matching_format(history: ReleaseHistory, *, tag_derived: bool) -> None:
    """Refuse to go on when the version itself would come from tags the format does not match.

    For a tag-derived project a wrong format means a wrong version (0.0.0 instead of 1.6.0):
    that must stop the command, with the setting that resolves it.
    """
    if tag_derived and history.mismatch is not None:
        raise ConfigError(history.mismatch, where="pyproject.toml [tool.releasekit] tag-format")
