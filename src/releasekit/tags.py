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

import contextlib
import fnmatch
import functools
import re
import shlex
import string
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any, Literal

from packaging.version import InvalidVersion, Version

from releasekit.config import Project, Settings
from releasekit.errors import ConfigError
from releasekit.git import MERGED_TAGS, Git
from releasekit.names import canonical_name
from releasekit.records import field, frozen

if TYPE_CHECKING:
    from releasekit.packages import Workspace

DEFAULT_FORMAT = "v{version}"
# A package of a monorepo: its name first, so that the packages' tags never collide.
MONOREPO_FORMAT = "{name}-v{version}"
# Prefixes that say "a release" without naming a project: v1.0, release-1.0, version/1.0.
_GENERIC_PREFIX = re.compile(r"(?i)(?:v|rel[-_/]?v?|release[-_/]?v?|version[-_/]?v?)?")
# What separates a project's name from the version in its tags: pkg-v1.0, pkg_1.0, pkg/v1.0,
# and langchain's pkg==1.0 (a requirement pin written as a tag).
_NAME_SEPARATOR = re.compile(r"(?i)(?:==?|[-_/@.])?v?$")
# What may stand before a version in a tag; a dot or a letter continues something else.
_SEPARATORS = "-_/@="
# Dates (2020-01-01) and zero-padded numbers are not versions of a release.
_LEADING_ZERO = re.compile(r"0\d")
# Regex syntax that ends the literal start of an scm tag regex.
_REGEX_SPECIAL = set("\\.^$*+?{}[]|()")

Family = Literal["name", "generic", "other"]
FormatSource = Literal["setting", "scm", "tags", "default"]


@frozen
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


@frozen
class ReleaseTag:
    """A tag that names a release of this project."""

    name: str
    version: Version
    template: str


@frozen
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
    # Every tag of the repository and its commit, as read (release tags or not).
    commits: Mapping[str, str] = field(default_factory=dict, compare=False)
    # The commit HEAD was on when the tags were read; ``None`` without commits (or git).
    head: str | None = None

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
    and must run to the end of the tag. Results are cached: a history is read in up to three
    overlapping sets of tags (reachable, everywhere, at HEAD), and a repository may have
    thousands.
    """
    return _split(tag)


@functools.lru_cache(maxsize=8192)
def _split(tag: str) -> tuple[str, str, Version] | None:
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
        if stem and canonical_name(stem) == canonical_name(name):
            return "name"
    return "generic" if _GENERIC_PREFIX.fullmatch(prefix) else "other"


def names_by_its_end(prefix: str, name: str | None, packages: frozenset[str]) -> bool:
    """Whether a tag prefix names the project by the last dash-separated part(s) of its name.

    langgraph tags the package ``langgraph-sdk`` as ``sdk==0.4.3`` and ``langgraph-cli`` as
    ``cli==0.4.31``. Such a prefix names the project only when no other package of the
    repository (``packages``: every package's normalized name) is called that or ends the same
    way, so ``core-v1`` is nobody's when both ``a-core`` and ``b-core`` exist.
    """
    stem = _NAME_SEPARATOR.sub("", prefix)
    if name is None or not stem:
        return False
    short, full = canonical_name(stem), canonical_name(name)
    if not full.endswith("-" + short):
        return False
    return not any(
        other != full and (other == short or other.endswith("-" + short)) for other in packages
    )


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


@frozen
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


def with_name(template: str, name: str | None) -> str:
    """``template`` with its ``{name}`` placeholder filled in; ``{version}`` and ``{{`` stay."""
    if name is None or "{name}" not in template:
        return template
    parts: list[str] = []
    for literal, field_name, _, _ in string.Formatter().parse(template):
        parts.append(literal.replace("{", "{{").replace("}", "}}"))
        if field_name == "name":
            parts.append(name.replace("{", "{{").replace("}", "}}"))
        elif field_name is not None:
            parts.append("{" + field_name + "}")
    return "".join(parts)


def _release_tags(
    tags: list[str],
    name: str | None,
    scm: _ScmFilter | None,
    setting: str | None,
    *,
    generic: bool = True,
    whole_numbers: bool = True,
    packages: frozenset[str] | None = None,
) -> list[ReleaseTag]:
    """The tags that are this project's releases.

    A tag matching the ``tag-format`` setting always counts. The scm tool's filter, when one is
    configured, decides alone: what it accepts is a release to that tool. Otherwise tags that
    name this project win over generic ones (a monorepo's other packages have their own); a
    package in a monorepo's subfolder (``generic`` false) never takes generic tags, which
    belong to the package at the top, if any. Without ``whole_numbers`` a version of one
    segment (``release-883``, a floating ``v1``) is no release: it is a build number or a tag
    that moves, and taking it would make 883 the latest release of a project at 2.29.0. In a
    monorepo (``packages``: every package's normalized name), a tag that names the project by
    the end of its name (``sdk==0.4.3`` for ``langgraph-sdk``) counts when no tag names it in
    full and no other package's name ends the same way.
    """
    configured = TagFormat(setting, "setting") if setting else None
    by_family: dict[Family, list[ReleaseTag]] = {"name": [], "generic": [], "other": []}
    chosen: list[ReleaseTag] = []
    short: list[ReleaseTag] = []
    for tag in tags:
        if configured is not None and (version := configured.version_of(tag)) is not None:
            if whole_numbers or len(version.release) > 1:
                chosen.append(ReleaseTag(tag, version, configured.template))
            continue
        split = split_tag(tag)
        if split is None or (scm is not None and not scm.accepts(tag)):
            continue
        prefix, template, version = split
        if not whole_numbers and len(version.release) == 1:
            continue
        kind = family(prefix, name)
        if kind == "other" and packages and names_by_its_end(prefix, name, packages):
            short.append(ReleaseTag(tag, version, template))
        by_family[kind].append(ReleaseTag(tag, version, template))
    if scm is not None:
        return chosen + by_family["name"] + by_family["generic"] + by_family["other"]
    return chosen + (by_family["name"] or short or (by_family["generic"] if generic else []))


def _looks_like(tags: list[ReleaseTag]) -> str:
    """The newest few release tags, for messages."""
    newest = sorted(tags, key=lambda tag: tag.version, reverse=True)[:2]
    return ", ".join(tag.name for tag in newest)


def _format(
    setting: str | None, scm: _ScmFilter | None, reachable: list[ReleaseTag], default: str
) -> tuple[TagFormat, str | None]:
    """The tag format, and a line saying how it disagrees with the tags when it does.

    The setting wins; then the style of the newest release tag (already filtered by the scm
    tool's own pattern); then, with no tags yet, the prefix the scm pattern spells out; then
    ``default``.
    """
    pattern = scm.pattern if scm else None
    if setting is not None:
        tag_format = TagFormat(setting, "setting", pattern)
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
    return TagFormat(default, "default", pattern), None


def _place(
    git: Git | None, project: Project, workspace: Workspace | None
) -> tuple[bool, bool, frozenset[str]]:
    """Where the project sits: in a monorepo or not, below its top or not, and its packages.

    The packages are the normalized names of every package of the monorepo (empty otherwise),
    for tags that name a package by the end of its name. ``workspace`` is the caller's, when it
    already found the packages; else they are found here.
    """
    if git is None:
        return False, False, frozenset()
    if workspace is None:
        from releasekit.packages import discover  # noqa: PLC0415  # packages imports this module

        workspace = discover(project.root)
    if not workspace.is_monorepo:
        return False, False, frozenset()
    package = workspace.containing(project.root)
    names = frozenset(canonical_name(each.name) for each in workspace.packages if each.name)
    return True, package is not None and package.path != ".", names


def _written_version(project: Project) -> Version | None:
    """The version written in pyproject.toml (``[project]``, else ``[tool.poetry]``), if any."""
    data: Mapping[str, Any] = project.pyproject
    for table in (data.get("project"), data.get("tool", {}).get("poetry")):
        if isinstance(table, dict) and isinstance(table.get("version"), str):
            try:
                return Version(table["version"])
            except InvalidVersion:
                return None
    return None


def _partial_tags(tags: list[ReleaseTag], commits: Mapping[str, str]) -> set[str]:
    """The floating tags that stand beside a full release on its commit (``v1``, ``v1.0``).

    python-semantic-release's ``add_partial_tags`` puts ``v1`` and ``v1.0`` on the commit of
    ``v1.0.1`` and moves them to each later release; they name a line of releases, not one. A
    tag is partial when a tag of the same style on the same commit has a longer version that
    starts with all of its own segments.
    """
    longest: dict[tuple[str, str | None], list[tuple[int, ...]]] = {}
    for tag in tags:
        longest.setdefault((tag.template, commits.get(tag.name)), []).append(tag.version.release)
    partial: set[str] = set()
    for tag in tags:
        version = tag.version
        if version.is_prerelease or version.is_postrelease or version.local or version.epoch:
            continue  # a pre-, post- or dev release names one release
        plain = version.release
        siblings = longest[(tag.template, commits.get(tag.name))]
        if any(len(other) > len(plain) and other[: len(plain)] == plain for other in siblings):
            partial.add(tag.name)
    return partial


def read_history(
    git: Git | None,
    project: Project,
    settings: Settings,
    name: str | None,
    workspace: Workspace | None = None,
    *,
    walked: Collection[str] | None = None,
) -> ReleaseHistory:
    """The project's tag format and release tags; ``git`` is ``None`` outside a repository.

    In a monorepo a package's tags name it (``{name}-v{version}`` by default), and a package
    below the top never takes the generic tags (``v1.2.0``) of the one at the top.

    A version of one segment is a release only for a project numbered that way: its written
    version has one segment, or (a version from tags) none of its release tags has more. Partial
    tags (see ``_partial_tags``) are never releases. Every tag and its commit come from one
    ``for-each-ref``, and the reachable ones from one ``--merged HEAD`` walk: on a long history
    each walk costs tens of milliseconds, so nothing is walked twice. A caller that has walked
    the whole history already passes the commits it found as ``walked``: the reachable tags are
    those on them, and no ``--merged`` walk runs.
    """
    scm = _scm_filter(project)
    monorepo, member, packages = _place(git, project, workspace)
    default = with_name(MONOREPO_FORMAT if monorepo else DEFAULT_FORMAT, name or "package")
    setting = with_name(settings.tag_format, name) if settings.tag_format is not None else None
    if git is None:
        tag_format, _ = _format(setting, scm, [], default)
        return ReleaseHistory(tag_format)
    # The reachability walk reads every commit (no commit-graph in most clones): it runs on
    # another core while the tags and the written version are read here.
    merging = git.start(*MERGED_TAGS) if walked is None else None
    with merging or contextlib.nullcontext():
        refs = git.refs()
        head = refs.head or git.head()  # detached, or on a branch without commits: asked
        if head is None:
            tag_format, _ = _format(setting, scm, [], default)
            return ReleaseHistory(tag_format)
        commits = refs.tags
        generic = not member
        written = _written_version(project)
        if written is not None:
            whole_numbers = len(written.release) == 1
        else:
            every = _release_tags(
                list(commits), name, scm, setting, generic=generic, packages=packages
            )
            whole_numbers = all(len(tag.version.release) == 1 for tag in every)
        merged = (
            merging.result().stdout.strip().splitlines()
            if merging is not None
            else [tag for tag, commit in commits.items() if commit in (walked or ())]
        )
        found: list[list[ReleaseTag]] = []
        # Each set picks its own family (generic tags count where no tag names the project).
        for names in (merged, list(commits), [tag for tag in merged if commits.get(tag) == head]):
            chosen = _release_tags(
                names,
                name,
                scm,
                setting,
                generic=generic,
                whole_numbers=whole_numbers,
                packages=packages,
            )
            found.append(chosen)
        partial = _partial_tags(found[1], commits)
        reachable, everywhere, at_head = (
            [tag for tag in chosen if tag.name not in partial] for chosen in found
        )
        latest, strays = _latest(git, reachable, commits)
        tag_format, mismatch = _format(
            setting, scm, [tag for tag in reachable if tag not in strays], default
        )
        if scm is not None and not reachable and mismatch is None:
            rejected = _release_tags(
                merged, name, None, None, whole_numbers=whole_numbers, packages=packages
            )
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
            commits,
            head,
        )


def _latest(
    git: Git, reachable: list[ReleaseTag], commits: Mapping[str, str]
) -> tuple[ReleaseTag | None, tuple[ReleaseTag, ...]]:
    """The latest release, passing over stray tags that later history released below.

    A tag is stray when a release tag with a lower version descends from it: the project went on
    releasing below it (httpx tagged 1.0.0.beta0 in 2021, then released 0.19 to 0.28 on top of
    it), so it is no longer the line the next version must exceed. A maintenance release merged
    back into main does not descend from main's newer tag, so that tag stays the latest. A lower
    tag on the candidate's own commit is no later release either.

    The descendants come from ``rev-list --ancestry-path CANDIDATE..HEAD``, which walks only the
    commits since the candidate: usually the few since the latest release, and asked only when
    a lower release sits on another commit.
    """
    strays: list[ReleaseTag] = []
    for candidate in sorted(reachable, key=lambda tag: tag.version, reverse=True):
        commit = _commit(commits, candidate)
        below = {_commit(commits, tag) for tag in reachable if tag.version < candidate.version}
        below.discard(commit)
        if below:
            since = git.output("rev-list", "--ancestry-path", f"{commit}..HEAD", "--")
            if below.intersection(since.split()):
                strays.append(candidate)
                continue
        return candidate, tuple(strays)
    return None, tuple(strays)


def _commit(commits: Mapping[str, str], tag: ReleaseTag) -> str:
    """The tag's commit, or its full ref name (never ambiguous with a branch) if not known."""
    return commits.get(tag.name, f"refs/tags/{tag.name}")


def require_matching_format(history: ReleaseHistory, *, tag_derived: bool) -> None:
    """Refuse to go on when the version itself would come from tags the format does not match.

    For a tag-derived project a wrong format means a wrong version (0.0.0 instead of 1.6.0):
    that must stop the command, with the setting that resolves it.
    """
    if tag_derived and history.mismatch is not None:
        raise ConfigError(history.mismatch, where="pyproject.toml [tool.releasekit] tag-format")
