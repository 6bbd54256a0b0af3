"""Keep a Changelog 1.1: parse, release the Unreleased section, compare links, release notes.

The file is held as its own lines, endings included, and sections are index ranges over them:
rendering is concatenation, so parse-then-write is the identity, and a release only inserts a
heading and rewrites link lines. Hand-written text is never reflowed, reordered or dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from packaging.version import InvalidVersion, Version

from releasekit.errors import ChangelogError

_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_SECTION = re.compile(
    r"""^\#\#[ \t]+(?P<open>\[?)(?P<title>[^\]\s(]+)\]?(?:\([^)]*\))?
        (?:[ \t]*[-\u2013\u2014][ \t]*(?P<date>\d{4}-\d{2}-\d{2}))?""",
    re.VERBOSE,
)
_LINK = re.compile(r"^ {0,3}\[(?P<label>[^\]]+)\]:[ \t]*(?P<url>\S+)")
_COMPARE = re.compile(r"^(?P<prefix>.+/compare/)(?P<old>.+?)\.\.\.(?P<new>[^/]+)$")
UNRELEASED = "unreleased"


@dataclass(frozen=True)
class Section:
    """A level-2 section: lines ``start`` (the heading) to ``end`` (exclusive)."""

    title: str
    version: Version | None
    date: str | None
    bracketed: bool
    start: int
    end: int

    @property
    def is_unreleased(self) -> bool:
        """Whether this is the Unreleased section."""
        return self.title.lower() == UNRELEASED


@dataclass(frozen=True)
class Link:
    """A link reference definition (``[1.2.0]: https://...``) on line ``index``."""

    label: str
    url: str
    index: int


@dataclass(frozen=True)
class Changelog:
    """A parsed changelog: its exact lines, its sections and its link definitions."""

    lines: tuple[str, ...]
    sections: tuple[Section, ...]
    links: tuple[Link, ...]
    newline: str

    def render(self) -> str:
        """The text, exactly as parsed."""
        return "".join(self.lines)

    def unreleased(self) -> Section | None:
        """The Unreleased section, if there is one."""
        return next((s for s in self.sections if s.is_unreleased), None)

    def link(self, label: str) -> Link | None:
        """The link definition for ``label`` (case-insensitive, as Markdown matches them)."""
        return next((ln for ln in self.links if ln.label.lower() == label.lower()), None)


def _section_version(title: str) -> Version | None:
    """The version a heading names (``1.2.0`` or ``v1.2.0``), or ``None``."""
    try:
        return Version(title)
    except InvalidVersion:
        return None


def parse(text: str) -> Changelog:
    """Parse Keep a Changelog text; never fails, whatever the text holds."""
    lines = tuple(text.splitlines(keepends=True))
    newline = "\r\n" if "\r\n" in text else "\n"
    fence: str | None = None
    headings: list[tuple[int, re.Match[str]]] = []
    links: list[Link] = []
    for index, line in enumerate(lines):
        fence_match = _FENCE.match(line)
        if fence_match:
            marker = fence_match.group(1)
            fence = None if fence == marker else (fence or marker)
            continue
        if fence is not None:
            continue
        if (heading := _SECTION.match(line)) is not None:
            headings.append((index, heading))
        elif (link := _LINK.match(line)) is not None:
            links.append(Link(link.group("label"), link.group("url"), index))
    # Trailing link definitions (and blank lines between them) belong to no section.
    tail = len(lines)
    while tail > 0 and (not lines[tail - 1].strip() or any(ln.index == tail - 1 for ln in links)):
        tail -= 1
    if not any(ln.index >= tail for ln in links):
        tail = len(lines)
    sections = []
    for number, (index, match) in enumerate(headings):
        following = headings[number + 1][0] if number + 1 < len(headings) else max(tail, index + 1)
        title = match.group("title")
        sections.append(
            Section(
                title=title,
                version=_section_version(title),
                date=match.group("date"),
                bracketed=bool(match.group("open")),
                start=index,
                end=following,
            )
        )
    return Changelog(lines=lines, sections=tuple(sections), links=tuple(links), newline=newline)


def is_empty(changelog: Changelog, section: Section) -> bool:
    """Whether a section has no entries: nothing but blank lines and sub-headings."""
    body = changelog.lines[section.start + 1 : section.end]
    return all(not line.strip() or line.lstrip().startswith("#") for line in body)


def web_base(remote_url: str | None) -> tuple[str, str] | None:
    """(kind, https base) of a GitHub or GitLab remote, credentials removed; else ``None``."""
    if not remote_url:
        return None
    url = remote_url.strip()
    scp = re.match(r"^[\w.-]+@(?P<host>[\w.-]+):(?P<path>.+)$", url)
    if scp:
        host, path = scp.group("host"), scp.group("path")
    else:
        parts = urlsplit(url)
        host, path = parts.hostname or "", parts.path
    path = path.strip("/").removesuffix(".git")
    if not host or not path:
        return None
    if host == "github.com":
        return "github", f"https://github.com/{path}"
    if host == "gitlab.com" or host.startswith("gitlab."):
        return "gitlab", f"https://{host}/{path}"
    return None


def _compare_url(base: tuple[str, str], old: str, new: str) -> str:
    kind, root = base
    return (
        f"{root}/-/compare/{old}...{new}" if kind == "gitlab" else f"{root}/compare/{old}...{new}"
    )


def _tag_url(base: tuple[str, str], tag: str) -> str:
    kind, root = base
    return f"{root}/-/tags/{tag}" if kind == "gitlab" else f"{root}/releases/tag/{tag}"


def _updated_links(
    changelog: Changelog,
    *,
    version: Version,
    new_tag: str,
    previous_tag: str | None,
    remote: tuple[str, str] | None,
) -> dict[int, list[str]]:
    """Replacement lines for link definitions, keyed by the line index they replace.

    The previous tag comes from the file's own Unreleased compare link when it has one (the file
    knows what it compared against), else from git. URLs are built from the git remote for GitHub
    and GitLab, else by reusing the file's own compare prefix.
    """
    nl = changelog.newline
    unreleased = changelog.link(UNRELEASED)
    if unreleased is None:
        return {}
    existing = _COMPARE.match(unreleased.url)
    old_tag = existing.group("old") if existing else previous_tag
    if remote is not None:
        head_url = _compare_url(remote, new_tag, "HEAD")
        if old_tag:
            version_url = _compare_url(remote, old_tag, new_tag)
        else:
            version_url = _tag_url(remote, new_tag)
    elif existing is not None:
        head_url = f"{existing.group('prefix')}{new_tag}...HEAD"
        version_url = f"{existing.group('prefix')}{old_tag}...{new_tag}"
    else:
        return {}
    return {
        unreleased.index: [
            f"[{unreleased.label}]: {head_url}{nl}",
            f"[{version}]: {version_url}{nl}",
        ]
    }


def release_unreleased(
    changelog: Changelog,
    *,
    version: Version,
    date: str,
    new_tag: str,
    previous_tag: str | None = None,
    remote_url: str | None = None,
    allow_empty: bool = False,
    where: str = "CHANGELOG.md",
) -> str:
    """Move the Unreleased entries into ``## [version] - date`` and return the new text.

    A fresh, empty Unreleased section stays on top; the compare links are updated when the file
    has an ``[Unreleased]`` link. Every other line is kept as it was.
    """
    section = changelog.unreleased()
    if section is None:
        raise ChangelogError(
            "no '## [Unreleased]' section",
            where=where,
            hint="add '## [Unreleased]' with this release's entries above the newest release",
        )
    if any(s.version == version for s in changelog.sections):
        raise ChangelogError(
            f"already has a section for {version}",
            where=where,
            hint="choose another version, or merge that section into Unreleased",
        )
    if not allow_empty and is_empty(changelog, section):
        raise ChangelogError(
            "the Unreleased section has no entries",
            where=f"{where}:{section.start + 1}",
            hint="describe this release there, or pass --allow-empty-changelog",
        )
    nl = changelog.newline
    lines = list(changelog.lines)
    heading_line = lines[section.start]
    if not heading_line.endswith(("\n", "\r")):
        lines[section.start] = heading_line + nl
    title = f"[{version}]" if section.bracketed else str(version)
    replacements = _updated_links(
        changelog,
        version=version,
        new_tag=new_tag,
        previous_tag=previous_tag,
        remote=web_base(remote_url),
    )
    out: list[str] = []
    for index, line in enumerate(lines):
        out.extend(replacements.get(index, [line]))
        if index == section.start:
            out.extend([nl, f"## {title} - {date}{nl}"])
    return "".join(out)


def notes(
    changelog: Changelog, version: Version | None = None, *, where: str = "CHANGELOG.md"
) -> tuple[Version, str]:
    """The body of ``version``'s section (default: the newest release) as Markdown.

    Leading and trailing blank lines are trimmed; everything else is returned as written.
    """
    released = [(s.version, s) for s in changelog.sections if s.version is not None]
    if version is None:
        if not released:
            raise ChangelogError(
                "has no released version yet",
                where=where,
                hint="run releasekit prepare first, or name a version",
            )
        found, section = released[0]
    else:
        match = next(((v, s) for v, s in released if v == version), None)
        if match is None:
            raise ChangelogError(
                f"has no section for {version}",
                where=where,
                hint="releasekit notes without a version prints the newest release",
            )
        found, section = match
    body = "".join(changelog.lines[section.start + 1 : section.end]).strip("\r\n")
    return found, body + "\n" if body.strip() else ""
