"""Changelogs as projects keep them: parse, release the Unreleased section, compare links, notes.

Markdown (Keep a Changelog, ATX or setext headings) and reStructuredText are read alike. The file
is held as its own lines, endings included, and sections are index ranges over them: rendering is
concatenation, so parse-then-write is the identity, and a release only inserts or rewrites heading
lines (and Markdown link lines). Hand-written text is never reflowed or dropped; only an
Unreleased section kept as a template is split, skeleton from entries (``changelog_template``).

The level of the release sections is read from the release headings themselves, never assumed,
and a new release heading copies the newest existing one (its words, brackets, date format and
adornment), because a release tool that rewrites a project's style makes every release a diff to
clean up.
"""

from __future__ import annotations

import bisect
import datetime
import functools
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from packaging.version import Version

from releasekit.changelog_syntax import (
    LINK,
    Flavor,
    Heading,
    HeadingStyle,
    Resume,
    Title,
    find_headings,
    format_date_like,
    read_date_line,
    read_title,
    strip_newline,
    underline_for,
)
from releasekit.changelog_template import TemplateSplit, comment_lines, split_template
from releasekit.errors import ChangelogError
from releasekit.records import field, frozen, replace

_COMPARE = re.compile(r"^(?P<prefix>.+/compare/)(?P<old>.+?)\.\.\.(?P<new>[^/]+)$")
UNRELEASED = "unreleased"
# Lines that name the heading below them: reStructuredText's internal hyperlink targets
# (python-semantic-release writes ``.. _changelog-v1.0.0:`` above each release) and the HTML
# anchors conventional-changelog writes in Markdown (``<a name="1.0.0"></a>``). A target with a
# URL (``.. _0a1b2c3: https://...``) names no heading: it belongs to the text above it.
_ANCHOR = {
    "rst": re.compile(r"^\.\.[ \t]+_(?:`[^`]+`|[^`:\s][^:]*):[ \t]*$"),
    "markdown": re.compile(
        r"""^[ ]{0,3}<a[ \t]+(?:name|id)[ \t]*=[ \t]*["'][^"']*["'][ \t]*"""
        r"(?:/>|>[ \t]*</a>)[ \t]*$",
        re.IGNORECASE,
    ),
}


@frozen
class Section:
    """A section at the release level: its heading, and lines ``start`` to ``end`` (exclusive).

    ``date_line`` is the ``Released 2024-01-01`` (or ``Unreleased``) line that some projects
    write under a dateless heading.
    """

    title: str
    info: Title
    heading: Heading
    end: int
    date: str | None = None
    date_line: int | None = None
    # The lines above the heading that name it (``.. _changelog-v1.0.0:``, blank lines after),
    # which a section inserted before this one must go above.
    labels: int = 0

    @property
    def start(self) -> int:
        """The first line of the heading (its overline, if it has one)."""
        return self.heading.start

    @property
    def top(self) -> int:
        """The first line of the section with the labels above its heading: where to insert."""
        return self.heading.start - self.labels

    @property
    def version(self) -> Version | None:
        """The version the heading names, released or not."""
        return self.info.version

    @property
    def is_unreleased(self) -> bool:
        """Whether this section holds what is not released yet."""
        return self.info.unreleased

    @property
    def is_release(self) -> bool:
        """Whether this section is a released version."""
        return self.info.version is not None and not self.info.unreleased


@frozen
class Link:
    """A Markdown link reference definition (``[1.2.0]: https://...``) on line ``index``."""

    label: str
    url: str
    index: int


@frozen
class Changelog:
    """A parsed changelog: its exact text and lines, headings, release-level sections and links.

    Read as far as asked, each part the first time it is asked for: the markup costs nothing,
    the section style needs the headings and their titles only, and sections and links are
    worked out last. ``notes --from-commits --all`` asks a changelog of a thousand releases
    for its markup alone, and ``prepare`` parses a changelog it has just drafted entries into.
    """

    text: str
    flavor: Flavor = "markdown"
    # Known when the text was put together line by line (see ``assembled``): the lines, and
    # runs (start, end) of lines that are one-line list items, which no scan needs to read.
    known_lines: tuple[str, ...] | None = field(default=None, compare=False, repr=False)
    items: tuple[tuple[int, int], ...] = field(default=(), compare=False, repr=False)
    # The parsed changelog these lines were made from by inserting ``blocks`` (old position,
    # lines inserted before it): its headings are taken over where nothing was inserted.
    base: Changelog | None = field(default=None, compare=False, repr=False)
    blocks: tuple[tuple[int, int], ...] = field(default=(), compare=False, repr=False)

    @functools.cached_property
    def lines(self) -> tuple[str, ...]:
        """Each line with its ending, exactly as in the text."""
        if self.known_lines is not None:
            return self.known_lines
        return tuple(self.text.splitlines(keepends=True))

    @functools.cached_property
    def newline(self) -> str:
        """The line ending new lines get: CRLF when the file has any, else LF."""
        return "\r\n" if "\r\n" in self.text else "\n"

    @functools.cached_property
    def _texts(self) -> list[str]:
        """Each line as ``strip_newline`` gives it, in one call."""
        return self.text.splitlines()

    @functools.cached_property
    def _found(self) -> tuple[tuple[Heading, ...], set[int]]:
        """The headings, and the lines inside code fences."""
        base = self.base
        resume = _resumer(base, self.blocks) if base is not None else None
        headings, fenced = find_headings(self._texts, self.flavor, self.items, resume)
        return tuple(headings), fenced

    @property
    def headings(self) -> tuple[Heading, ...]:
        """Every heading, at any level, in file order."""
        return self._found[0]

    @functools.cached_property
    def _titles(self) -> list[Title | None]:
        """What each heading says about a release (``None``: not a release heading)."""
        return [_read_title(heading.text) for heading in self.headings]

    @functools.cached_property
    def style(self) -> HeadingStyle | None:
        """How release and Unreleased headings are marked (most of them; ``None``: none)."""
        return _section_style(self.headings, self._titles)

    @functools.cached_property
    def links(self) -> tuple[Link, ...]:
        """The Markdown link reference definitions, outside code fences."""
        if self.flavor != "markdown":
            return ()
        fenced, texts = self._found[1], self._texts
        links: list[Link] = []
        # Between the runs of list items (no list item is a definition), or everywhere.
        position = 0
        for start, end in (*self.items, (len(texts), len(texts))):
            for index in range(position, start):
                line = texts[index]
                # A definition has its "[" among the first four characters: most lines do not.
                if "[" in line[:4] and index not in fenced and (match := LINK.match(line)):
                    links.append(Link(match.group("label"), match.group("url"), index))
            position = max(position, end)
        return tuple(links)

    @functools.cached_property
    def sections(self) -> tuple[Section, ...]:
        """The sections at the release level (those marked in ``style``), in file order."""
        return _sections(self)

    def render(self) -> str:
        """The text, exactly as parsed."""
        return self.text

    def unreleased(self) -> Section | None:
        """The Unreleased section, if there is one."""
        return next((s for s in self.sections if s.is_unreleased), None)

    def releases(self) -> list[Section]:
        """The released versions' sections, newest (topmost) first."""
        return [s for s in self.sections if s.is_release]

    def link(self, label: str) -> Link | None:
        """The link definition for ``label`` (case-insensitive, as Markdown matches them)."""
        return next((ln for ln in self.links if ln.label.lower() == label.lower()), None)


# A changelog is parsed again once entries are drafted into it: its thousand release headings
# say the same, and are read once. (``Title`` is frozen: a shared one cannot change.)
_read_title = functools.lru_cache(maxsize=4096)(read_title)


def _resumer(base: Changelog, blocks: Sequence[tuple[int, int]]) -> Resume:
    """A ``Resume`` for lines made of ``base``'s with ``blocks`` inserted: its headings reused.

    Where the scan stands on a line of ``base`` that a heading of ``base`` ended on (or its
    first line), both scans are in the same state, and a heading is found from its own lines
    alone: every heading of ``base`` from there up to the next inserted block is found again,
    as are the fenced lines between them. They are taken over (moved down by the lines
    inserted above them) and the scan goes on after the last, through the inserted lines.
    """
    old = base.headings
    starts = [heading.start for heading in old]
    ends = {0, *(heading.end for heading in old)}
    fenced = sorted(base._found[1])
    positions = [position for position, _ in blocks]
    firsts: list[int] = []  # where each block begins among the new lines
    totals: list[int] = []  # lines inserted up to and including each block
    inserted = 0
    for position, count in blocks:
        firsts.append(position + inserted)
        inserted += count
        totals.append(inserted)

    def resume(index: int, headings: list[Heading], fenced_out: set[int]) -> int:
        block = bisect.bisect_right(firsts, index) - 1
        if block >= 0 and index < firsts[block] + blocks[block][1]:
            return index  # an inserted line
        line = index - (totals[block] if block >= 0 else 0)
        if line not in ends:
            return index
        following = bisect.bisect_right(positions, line)
        limit = positions[following] if following < len(positions) else len(base._texts) + 1
        shift = index - line
        number = bisect.bisect_left(starts, line)
        last = None
        while number < len(old) and old[number].end <= limit:
            h = old[number]
            headings.append(
                Heading(
                    h.start + shift,
                    h.end + shift,
                    h.line + shift,
                    h.offset,
                    h.text,
                    h.style,
                    h.level,
                )
            )
            last = h.end
            number += 1
        if last is None:
            return index
        for fenced_line in fenced[
            bisect.bisect_left(fenced, line) : bisect.bisect_left(fenced, last)
        ]:
            fenced_out.add(fenced_line + shift)
        return last + shift

    return resume


def _section_style(
    headings: Sequence[Heading], titles: Sequence[Title | None]
) -> HeadingStyle | None:
    """The style most release and Unreleased headings share (the first, on a tie)."""
    counts: dict[HeadingStyle, int] = {}
    for heading, title in zip(headings, titles, strict=True):
        if title is not None:
            counts[heading.style] = counts.get(heading.style, 0) + 1
    return max(counts, key=counts.__getitem__) if counts else None


def _link_tail(texts: list[str], links: Sequence[Link]) -> int:
    """Where the trailing link definitions (and blank lines between them) start."""
    linked = {link.index for link in links}
    tail = len(texts)
    while tail > 0 and (not texts[tail - 1].strip() or tail - 1 in linked):
        tail -= 1
    return tail if any(index >= tail for index in linked) else len(texts)


def _label_top(texts: list[str], start: int, floor: int, anchor: re.Pattern[str]) -> int:
    """The first of the label lines directly above line ``start`` (``start`` without any).

    Labels and blank lines between them count, back to ``floor``; blank lines between the last
    label and the heading count too, and blank lines above the first label do not.
    """
    index = start
    while index > floor and not texts[index - 1].strip():
        index -= 1
    if index == floor or not anchor.match(texts[index - 1]):
        return start
    top = index
    while index > floor and (not texts[index - 1].strip() or anchor.match(texts[index - 1])):
        index -= 1
        if texts[index].strip():
            top = index
    return top


def parse(text: str, flavor: Flavor = "markdown") -> Changelog:
    """Parse a Markdown or reStructuredText changelog; never fails, whatever the text holds.

    Each part is read when first asked for (see ``Changelog``).
    """
    return Changelog(text, flavor)


# Every line break ``str.splitlines`` knows besides "\n" and "\r" (each looked for on its own:
# searching for one character is a memory scan, a class of them a pattern's walk).
_OTHER_BREAKS = ("\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def assembled(
    lines: Sequence[str],
    flavor: Flavor,
    newline: str,
    *,
    added: Sequence[str],
    items: Sequence[tuple[int, int]],
    base: Changelog | None = None,
    blocks: Sequence[tuple[int, int]] = (),
) -> Changelog:
    """The changelog made of ``lines``, parsed as ``parse`` would, reading less of it.

    ``lines`` are the lines of a parsed changelog with ``added`` lines put among them, each
    made to end in ``newline`` (what is checked is that none holds another line break), and
    ``items`` the runs (start, end) of ``lines`` that are added list items: a bullet (``-``,
    ``*`` or ``+``, then a space or tab) and text. With every added line one line (and no
    old-Mac CR line ending that an added LF would join), no line is split again and no
    run of items is read (an item is never a heading or a link definition); else the text is
    parsed as any other. ``base``, when given, is the parsed changelog the lines were made from
    by inserting ``blocks`` (its line number, how many lines went before it), with every
    changed line among ``added``: its headings are taken over rather than found again.
    """
    text = "".join(lines)
    joined = "".join(added)
    breaks = len(added)
    whole = (
        # A lone "\r" ending a line before an added "\n" would make one line break of two; a
        # file with "\r\n" endings adds lines that start with no "\n".
        (newline == "\r\n" or "\r" not in text)
        and joined.count(newline) == breaks
        and joined.count("\n") == breaks
        and joined.count("\r") == (breaks if newline == "\r\n" else 0)
        and not any(mark in joined for mark in _OTHER_BREAKS)
    )
    if not whole:
        return Changelog(text, flavor)
    return Changelog(text, flavor, tuple(lines), tuple(items), base, tuple(blocks))


def _sections(changelog: Changelog) -> tuple[Section, ...]:
    """The release-level sections of a changelog: each heading in its style, to the next."""
    texts = changelog._texts  # the parse's own lines, read once
    headings, titles, style = changelog.headings, changelog._titles, changelog.style
    tail = _link_tail(texts, changelog.links)
    starts = {heading.start for heading in headings}
    anchor = _ANCHOR[changelog.flavor]
    # Where each heading's labels begin: a section ends above the next heading's labels.
    tops = {
        heading.start: _label_top(
            texts, heading.start, headings[number - 1].end if number else 0, anchor
        )
        for number, heading in enumerate(headings)
    }
    sections = []
    for number, heading in enumerate(headings):
        if heading.style != style:
            continue
        # Indices, not a slice of the rest: a slice per section is quadratic in headings.
        later = (
            headings[i].start
            for i in range(number + 1, len(headings))
            if headings[i].level <= heading.level
        )
        following = next(later, None)
        end = max(tail, heading.end) if following is None else tops[following]
        info = titles[number] or Title()
        date, date_line = info.date, None
        first = next((i for i in range(heading.end, end) if texts[i].strip()), None)
        if first is not None and first not in starts and info.version is not None and not date:
            found = read_date_line(texts[first])
            if found is not None:
                date, date_line = found[0], first
                if date is None:
                    info = replace(info, unreleased=True)
        labels = heading.start - tops[heading.start]
        sections.append(Section(heading.text, info, heading, end, date, date_line, labels))
    return tuple(sections)


def is_empty(changelog: Changelog, section: Section) -> bool:
    """Whether a section has no entries: only blank lines, sub-headings, comments and its date."""
    heading_lines = {i for h in changelog.headings for i in range(h.start, h.end)}
    body = changelog.lines[section.heading.end : section.end]
    comments = {section.heading.end + i for i in comment_lines(body, changelog.flavor)}
    return all(
        not changelog.lines[index].strip()
        or index in heading_lines
        or index in comments
        or index == section.date_line
        for index in range(section.heading.end, section.end)
    )


# Cached: a whole changelog drafts each of its (perhaps thousands of) releases with one remote.
@functools.lru_cache(maxsize=16)
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


def _bracketed(text: str) -> str | None:
    """The label of a heading written as a link reference: ``[1.2.0] - ...`` gives ``1.2.0``."""
    match = re.match(r"^\[([^\]]+)\]", text)
    return match.group(1) if match else None


def _updated_links(
    changelog: Changelog,
    *,
    unreleased_label: str,
    version_label: str,
    new_tag: str,
    previous_tag: str | None,
    remote: tuple[str, str] | None,
) -> dict[int, list[str]]:
    """Replacement lines for link definitions, keyed by the line index they replace.

    The previous tag, and what Unreleased compares against (``HEAD``, or a branch such as
    ``main``), come from the file's own Unreleased compare link when it has one: the file knows
    what it compared. URLs are built from the git remote for GitHub and GitLab, else by reusing
    the file's own compare prefix.
    """
    nl = changelog.newline
    unreleased = changelog.link(unreleased_label) or changelog.link(UNRELEASED)
    if unreleased is None:
        return {}
    existing = _COMPARE.match(unreleased.url)
    old_tag = existing.group("old") if existing else previous_tag
    head = existing.group("new") if existing else "HEAD"
    if remote is not None:
        head_url = _compare_url(remote, new_tag, head)
        version_url = (
            _compare_url(remote, old_tag, new_tag) if old_tag else _tag_url(remote, new_tag)
        )
    elif existing is not None:
        head_url = f"{existing.group('prefix')}{new_tag}...{head}"
        version_url = f"{existing.group('prefix')}{old_tag}...{new_tag}"
    else:
        return {}
    replacement = [f"[{unreleased.label}]: {head_url}{nl}"]
    if changelog.link(version_label) is None:
        replacement.append(f"[{version_label}]: {version_url}{nl}")
    return {unreleased.index: replacement}


def _rewrite(line: str, spans: list[tuple[int, int, str]], old: str, new: str) -> str:
    """``line`` with each span replaced, and the old version elsewhere (in a URL) made new."""
    other = re.compile(rf"(?<![\d.]){re.escape(old)}(?![\w]|\.\d)")
    out: list[str] = []
    position = 0
    for start, end, text in sorted(spans):
        out.extend((other.sub(lambda _: new, line[position:start]), text))
        position = end
    out.append(other.sub(lambda _: new, line[position:]))
    return "".join(out)


def _styled(changelog: Changelog, like: Section, title_line: str) -> list[str]:
    """The heading lines for ``title_line`` marked as ``like`` is, adornments matched in length."""
    nl = changelog.newline
    heading = like.heading
    if heading.style.atx:
        return [title_line + nl]
    sample_title = strip_newline(changelog.lines[heading.line])
    sample_line = strip_newline(changelog.lines[heading.end - 1])
    adornment = underline_for(title_line, sample_title, sample_line) + nl
    return [adornment] * heading.style.overline + [title_line + nl, adornment]


def _date_line(changelog: Changelog, like: Section, day: datetime.date) -> str | None:
    """The ``Released DATE`` line a new section needs, when ``like`` dates itself that way."""
    if like.date_line is None or like.date is None:
        return None
    text = strip_newline(changelog.lines[like.date_line])
    found = read_date_line(text)
    if found is None or found[1] is None:
        return None
    start, end = found[1]
    return text[:start] + format_date_like(like.date, day) + text[end:]


def _new_heading(
    changelog: Changelog, section: Section, version: Version, day: datetime.date
) -> tuple[list[str], str | None]:
    """The released heading's lines and its date line: in the newest release's style if any.

    Without a release to copy, a heading that names its version (``1.3.0 (unreleased)``) gets
    the date where it said unreleased; a generic one gets ``## [1.3.0] - DATE`` (Markdown
    ATX) or ``1.3.0 (DATE)`` (underlined) in its own marks.
    """
    template = next(iter(changelog.releases()), None)
    like = template or section
    raw = strip_newline(changelog.lines[like.heading.line])
    offset = like.heading.offset
    if like.info.version_span is not None:
        start, end = like.info.version_span
        old = raw[offset + start : offset + end]
        spans = [(offset + start, offset + end, str(version))]
        if like.info.date_span is not None:
            start, end = like.info.date_span
            date = format_date_like(like.date, day) if like.date else day.isoformat()
            spans.append((offset + start, offset + end, date))
        title_line = _rewrite(raw, spans, old, str(version))
    elif like.heading.style.atx:
        label = f"[{version}]" if _bracketed(like.title) else str(version)
        title_line = f"{'#' * like.heading.style.atx} {label} - {day.isoformat()}"
    else:
        title_line = f"{version} ({day.isoformat()})"
    date_line = _date_line(changelog, like, day) if template else None
    if date_line is None and section.date_line is not None:
        date_line = f"Released {day.isoformat()}"
    return _styled(changelog, like, title_line), date_line


def _ended(line: str, nl: str) -> str:
    """``line`` with a line ending (the file's last line may have none)."""
    return line if line.endswith(("\n", "\r")) else line + nl


def _template(changelog: Changelog, section: Section) -> TemplateSplit | None:
    """The Unreleased section split into skeleton and entries, when it is kept as a template."""
    inside = [h for h in changelog.headings if section.heading.end <= h.start < section.end]
    body = changelog.lines[section.heading.end : section.end]
    return split_template(body, inside, changelog.flavor, section.heading.end)


def _missing_unreleased(changelog: Changelog, where: str) -> ChangelogError:
    """The error for a changelog without an Unreleased section, in the file's own marks."""
    style = changelog.style
    if style is None or style.atx:
        heading = f"{'#' * (style.atx if style else 2)} [Unreleased]"
        return ChangelogError(
            f"no '{heading}' section",
            where=where,
            hint=f"add '{heading}' with this release's entries above the newest release, "
            "or release without a changelog entry (--no-changelog)",
        )
    return ChangelogError(
        "no 'Unreleased' section",
        where=where,
        hint="add an 'Unreleased' heading, marked like the release headings, with this "
        "release's entries above the newest release, or release without a changelog entry "
        "(--no-changelog)",
    )


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
    """Release the Unreleased entries as ``version`` on ``date`` (ISO) and return the new text.

    A generic Unreleased heading (``Unreleased``, ``dev``, ``main``, ...) stays on top, empty,
    and the release heading is inserted below it; a heading that names a version
    (``1.3.0 (unreleased)``) becomes the release heading, naming ``version`` even when it named
    another. Markdown compare links are updated when the file has an ``[Unreleased]`` link.
    Every other line is kept as it was.
    """
    section = changelog.unreleased()
    if section is None:
        raise _missing_unreleased(changelog, where)
    if any(s.version == version for s in changelog.releases()):
        raise ChangelogError(
            f"already has a section for {version}",
            where=where,
            hint="choose another version, or merge that section into Unreleased",
        )
    if not allow_empty and is_empty(changelog, section):
        raise ChangelogError(
            "the Unreleased section has no entries",
            where=f"{where}:{section.heading.line + 1}",
            hint="describe this release there, or pass --allow-empty-changelog",
        )
    try:
        day = datetime.date.fromisoformat(date)
    except ValueError as exc:
        raise ChangelogError(f"{date!r} is not a date", hint="write it as YYYY-MM-DD") from exc
    nl = changelog.newline
    heading_lines, date_line = _new_heading(changelog, section, version, day)
    lines = list(changelog.lines)
    last = section.heading.end - 1
    replacements: dict[int, list[str]] = {}
    if section.info.generic:
        label = re.search(rf"\[([^\]]*{re.escape(str(version))}[^\]]*)\]", "".join(heading_lines))
        replacements = _updated_links(
            changelog,
            unreleased_label=_bracketed(section.title) or UNRELEASED,
            version_label=label.group(1) if label else str(version),
            new_tag=new_tag,
            previous_tag=previous_tag,
            remote=web_base(remote_url),
        )
        if not lines[last].endswith(("\n", "\r")):
            lines[last] += nl
        inserted = [nl, *heading_lines] + ([nl, date_line + nl] if date_line else [])
        template = _template(changelog, section)
        if template is not None:
            # The skeleton stays under Unreleased; the entries follow the release heading.
            for index in range(section.heading.end, section.end):
                replacements[index] = []
            skeleton = [nl, *(_ended(line, nl) for line in template.skeleton)]
            released = [_ended(line, nl) for line in template.released]
            inserted = [*(skeleton if template.skeleton else []), *inserted, nl, *released]
            inserted += [nl] if section.end < len(lines) else []
        replacements[last] = [*replacements.get(last, [lines[last]]), *inserted]
    else:
        for index in range(section.heading.start, last):
            replacements[index] = []
        if date_line is not None and section.date_line is not None:
            old = lines[section.date_line]
            ending = old[len(strip_newline(old)) :]
            replacements[section.date_line] = [date_line + ending]
        elif date_line is not None:
            heading_lines += [nl, date_line + nl]
        if not lines[last].endswith(("\n", "\r")):
            heading_lines[-1] = heading_lines[-1].removesuffix(nl)
        replacements[last] = heading_lines
    return _replaced(lines, replacements)


def _replaced(lines: list[str], replacements: dict[int, list[str]]) -> str:
    """The text of ``lines`` with each line ``replacements`` names replaced by its lines.

    Slices between the replaced lines, not a walk of every line: a long section is released
    with a handful of replacements.
    """
    out: list[str] = []
    position = 0
    for index in sorted(replacements):
        out += lines[position:index]
        out += replacements[index]
        position = index + 1
    out += lines[position:]
    return "".join(out)


def notes(
    changelog: Changelog, version: Version | None = None, *, where: str = "CHANGELOG.md"
) -> tuple[Version, str]:
    """The body of ``version``'s section (default: the newest release), as written.

    Leading and trailing blank lines are trimmed, and so is a ``Released DATE`` line (the date
    belongs to the heading); everything else is returned as written, Markdown or
    reStructuredText.
    """
    released = [(s.version, s) for s in changelog.releases() if s.version is not None]
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
    body = "".join(
        changelog.lines[index]
        for index in range(section.heading.end, section.end)
        if index != section.date_line
    ).strip("\r\n")
    return found, body + "\n" if body.strip() else ""
