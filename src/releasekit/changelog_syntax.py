"""Changelog syntax: where the headings are, what their titles say, and how dates are written.

Real changelogs write a release as ``## [1.2.0] - 2024-01-01``, as ``1.2.0 (2024-01-01)`` over
a line of ``=`` or ``~`` (Markdown setext or reStructuredText, perhaps with an overline), as
``Version 1.2.0`` with ``Released 2024-01-01`` under it, and so on. This module only reads: it
finds headings and the spans of their version and date, so that ``changelog.py`` can write the
next release heading in the file's own style instead of imposing one.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Sequence
from typing import Literal

from packaging.version import InvalidVersion, Version

from releasekit.records import frozen

Flavor = Literal["markdown", "rst"]

_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_MARKS = frozenset("`~#")  # the first character (after up to three spaces) of either pattern
_ATX = re.compile(r"^ {0,3}(?P<marks>#{1,6})(?:[ \t]+(?P<text>.*?))?(?:[ \t]+#+)?[ \t]*$")
# A setext underline; a lone "-" is an empty list item rather than an underline.
_SETEXT = re.compile(r"^ {0,3}(?:=+|-{2,})[ \t]*$")
# A line of one repeated punctuation character: a reStructuredText over- or underline.
_ADORNMENT = re.compile(r"^([!-/:-@\[-`{-~])\1+[ \t]*$")
# Markdown block starts that a setext underline cannot turn into a heading.
_NOT_A_TITLE = re.compile(r"^\s*(?:[-*+>]|\d+[.)])(?:\s|$)")
LINK = re.compile(r"^ {0,3}\[(?P<label>[^\]]+)\]:[ \t]*(?P<url>\S+)")

# A PEP 440 version as changelogs write it (at least one dot, so "2024" or "3" are not one).
_VERSION = (
    r"(?:\d+!)?\d+(?:\.\d+)+(?:[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview)[-_.]?\d*)?"
    r"(?:[-_.]?(?:post|rev|r)[-_.]?\d*)?(?:[-_.]?dev[-_.]?\d*)?"
)
# "1.2.0", "[1.2.0]", "v1.2.0", "Version 1.2.0", "pytest 8.0.0": up to three words before the
# version; after it, nothing, a closing bracket, or a separator (" - 2024-01-01", " (date)").
_RELEASE_TITLE = re.compile(
    rf"^(?P<prefix>\[?(?:[A-Za-z][\w.-]*[ \t]+){{0,3}}\[?[vV]?)(?P<version>{_VERSION})"
    r"(?P<suffix>(?:\].*|[ \t]*[-\u2013\u2014:(\[,/].*|[ \t]+)?)$"
)
_GENERIC_UNRELEASED = re.compile(
    r"(?i)^\[?(?:unreleased(?:[ \t]+changes)?|in[ \t]+development|development|dev|main|master"
    r"|upcoming(?:[ \t]+(?:release|changes))?|next[ \t]+release|not[ \t]+yet[ \t]+released)\]?"
    r"(?:\([^)]*\))?(?:[ \t]*[-\u2013\u2014:(].*)?$"
)
# A title set in emphasis as a whole: *unreleased* (packaging's CHANGELOG.rst), **Unreleased**.
_EMPHASIS = re.compile(r"^(?P<mark>[*_]{1,2})(?P<body>[^*_].*?)(?P=mark)$")
_UNRELEASED_MARK = re.compile(
    r"(?i)\b(?:unreleased|in[ \t]+development|not[ \t]+(?:yet[ \t]+)?released|upcoming"
    r"|unpublished|tbd|tba)\b|\b(?:yyyy|xxxx)-(?:mm|xx)-(?:dd|xx)\b"
)
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_DATE_TEXT = (
    rf"\d{{4}}([-/.])\d{{2}}\1\d{{2}}"
    rf"|{_MONTH}[ \t]+\d{{1,2}}(?:st|nd|rd|th)?,[ \t]*\d{{4}}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?[ \t]+{_MONTH},?[ \t]+\d{{4}}"
)
_DATE = re.compile(rf"(?<!\d)(?:{_DATE_TEXT})(?!\d)")
_DATE_LINE = re.compile(
    r"(?i)^(?:released|release[ \t]+date)(?::|[ \t]+on)?[ \t]+(?P<date>.+?)\.?[ \t]*$"
)
_UNRELEASED_LINE = re.compile(
    r"(?i)^(?:unreleased|not[ \t]+yet[ \t]+released|in[ \t]+development)\.?[ \t]*$"
)


@frozen
class HeadingStyle:
    """How a heading is marked: ATX ``#`` count, or an adornment character (and an overline)."""

    atx: int = 0
    adornment: str = ""
    overline: bool = False


@frozen
class Heading:
    """A heading on lines ``start`` to ``end`` (exclusive); its title is on line ``line``.

    ``offset`` is where the title text starts on that line, so that spans found in ``text``
    can be rewritten in the line itself.
    """

    start: int
    end: int
    line: int
    offset: int
    text: str
    style: HeadingStyle
    level: int


@frozen
class Title:
    """What a release or Unreleased heading says, with the spans (in its text) to rewrite."""

    version: Version | None = None
    version_span: tuple[int, int] | None = None
    date: str | None = None
    # Where the date is; in "1.3.0 (unreleased)", where it goes (the "unreleased" mark).
    date_span: tuple[int, int] | None = None
    unreleased: bool = False
    # "Unreleased", "dev", "main": names no version, and stays on top after a release.
    generic: bool = False


# Where a scan of the headings goes on from. Asked at the start and right after each heading
# (where the scan has no fence open and follows a break, whatever came before), with the
# index it is at and what it found so far: it may add the headings and fenced lines it knows
# to come next (from an earlier scan of the same lines) and return the index after them.
Resume = Callable[[int, list[Heading], set[int]], int]


def strip_newline(line: str) -> str:
    """A line without its line break (any break ``str.splitlines`` knows)."""
    stripped = line.splitlines()
    return stripped[0] if stripped else ""


def _atx(text: str, index: int) -> Heading | None:
    """The ATX heading on line ``index``, if its text is one."""
    atx = _ATX.match(text)
    if atx is None:
        return None
    title = atx.group("text") or ""
    offset = atx.start("text") if atx.group("text") is not None else len(text)
    level = len(atx.group("marks"))
    return Heading(index, index + 1, index, offset, title, HeadingStyle(atx=level), level)


def _markdown_headings(
    texts: Sequence[str], items: Sequence[tuple[int, int]] = (), resume: Resume | None = None
) -> tuple[list[Heading], set[int]]:
    """ATX and setext headings outside code fences, and the fenced lines.

    ``items`` are runs of lines (start, end) known to be list items: each a bullet (``-``, ``*``
    or ``+`` and a space or tab) and text on one line. Such a line is never a fence, a heading,
    a setext title or underline; it only ends a run of blank lines (or is fenced): a run is
    passed over in one step rather than read line by line. ``resume`` is asked where to go on
    at the start and after each heading (see ``Resume``).
    """
    headings: list[Heading] = []
    fenced: set[int] = set()
    fence: str | None = None
    after_break = True
    runs = iter(items)
    run = next(runs, None)
    index = resume(0, headings, fenced) if resume is not None else 0
    while index < len(texts):
        if run is not None and run[0] <= index:
            if run[0] == index:
                if fence is not None:
                    fenced.update(range(run[0], run[1]))
                after_break = False
                index = run[1]
            run = next(runs, None)
            continue
        text = texts[index]
        # Fences and ATX headings start with "`", "~" or "#" after at most three spaces: the
        # patterns are tried only on such lines (most of a changelog is list items and prose).
        marked = text[:4].lstrip(" ")[:1] in _MARKS
        fence_match = _FENCE.match(text) if marked else None
        if fence_match or fence is not None:
            if fence_match:
                marker = fence_match.group(1)
                fence = None if fence == marker else (fence or marker)
            fenced.add(index)
            after_break = False
            index += 1
            continue
        heading = _atx(text, index) if marked else None
        if heading is None and (
            after_break
            and text.strip()
            and not text.startswith("    ")
            and not _NOT_A_TITLE.match(text)
            and not LINK.match(text)
            and index + 1 < len(texts)
            and _SETEXT.match(texts[index + 1])
        ):
            char = texts[index + 1].strip()[0]
            offset = len(text) - len(text.lstrip())
            style = HeadingStyle(adornment=char)
            level = 1 if char == "=" else 2
            heading = Heading(index, index + 2, index, offset, text.strip(), style, level)
        if heading is not None:
            headings.append(heading)
            after_break = True  # a setext title needed one already
            index = heading.end
            if resume is not None:
                index = resume(index, headings, fenced)
            continue
        after_break = not text.strip()
        index += 1
    return headings, fenced


def _rst_headings(
    texts: Sequence[str], items: Sequence[tuple[int, int]] = (), resume: Resume | None = None
) -> list[Heading]:
    """Section titles: underlined, or over- and underlined, after a blank line or a title.

    Levels follow the order in which each style first appears, as docutils assigns them.
    ``items`` as for ``_markdown_headings``: a list item is no adornment, and is a title only
    right after a break (a blank line or a title) with an adornment under it; in a run of two
    or more, the first has an item under it and the others one above: none is a title.
    ``resume`` as for ``_markdown_headings`` (the levels it gives are set again here).
    """
    found: list[Heading] = []
    after_break = True
    runs = iter(items)
    run = next(runs, None)
    index = resume(0, found, set()) if resume is not None else 0
    while index < len(texts):
        if run is not None and run[0] <= index:
            if run[0] == index and run[1] - run[0] > 1:
                after_break = False
                index = run[1]
            run = next(runs, None)
            continue
        text = texts[index]
        following = texts[index + 1] if index + 1 < len(texts) else ""
        if (
            after_break
            and _ADORNMENT.match(text)
            and index + 2 < len(texts)
            and following.strip()
            and not _ADORNMENT.match(following)
            and _ADORNMENT.match(texts[index + 2])
            and texts[index + 2][0] == text[0]
        ):
            offset = len(following) - len(following.lstrip())
            style = HeadingStyle(adornment=text[0], overline=True)
            found.append(Heading(index, index + 3, index + 1, offset, following.strip(), style, 0))
            index += 3
            if resume is not None:
                index = resume(index, found, set())
            continue
        underline = _ADORNMENT.match(following)
        if (
            after_break
            and text.strip()
            and not text[0].isspace()
            and not _ADORNMENT.match(text)
            and underline is not None
            and len(following.rstrip()) >= min(len(text.rstrip()), 3)
        ):
            style = HeadingStyle(adornment=following[0])
            found.append(Heading(index, index + 2, index, 0, text.rstrip(), style, 0))
            index += 2
            if resume is not None:
                index = resume(index, found, set())
            continue
        after_break = not text.strip()
        index += 1
    order: list[HeadingStyle] = []
    for heading in found:
        if heading.style not in order:
            order.append(heading.style)
    return [
        Heading(h.start, h.end, h.line, h.offset, h.text, h.style, order.index(h.style) + 1)
        for h in found
    ]


def find_headings(
    texts: Sequence[str],
    flavor: Flavor,
    items: Sequence[tuple[int, int]] = (),
    resume: Resume | None = None,
) -> tuple[list[Heading], set[int]]:
    """Every heading of the text (lines without endings), and lines inside code fences.

    ``items``: runs of lines known to be one-line list items, in order (see
    ``_markdown_headings``); ``resume``: what is known of the text already (see ``Resume``).
    The result is the same, found without reading those lines.
    """
    if flavor == "rst":
        return _rst_headings(texts, items, resume), set()
    return _markdown_headings(texts, items, resume)


def read_title(text: str) -> Title | None:
    """What a heading's title says about a release; ``None`` for any other heading."""
    if _GENERIC_UNRELEASED.match(_EMPHASIS.sub(r"\g<body>", text)):
        return Title(unreleased=True, generic=True)
    match = _RELEASE_TITLE.match(text)
    if match is None:
        return None
    try:
        version = Version(match.group("version"))
    except InvalidVersion:
        return None
    span = match.span("version")
    suffix, suffix_start = match.group("suffix") or "", match.start("suffix")
    if (mark := _UNRELEASED_MARK.search(suffix)) is not None:
        mark_span = (suffix_start + mark.start(), suffix_start + mark.end())
        return Title(version=version, version_span=span, date_span=mark_span, unreleased=True)
    date = _DATE.search(suffix)
    if date is None:
        return Title(version=version, version_span=span)
    date_span = (suffix_start + date.start(), suffix_start + date.end())
    return Title(version, span, date.group(0), date_span)


def read_date_line(text: str) -> tuple[str | None, tuple[int, int] | None] | None:
    """A ``Released 2024-01-01`` line (date and its span) or an ``Unreleased`` line (no date).

    Projects that keep the date out of the heading write it as the section's first line.
    """
    if _UNRELEASED_LINE.match(text):
        return None, None
    match = _DATE_LINE.match(text)
    if match is None or not _DATE.fullmatch(match.group("date")):
        return None
    return match.group("date"), match.span("date")


def format_date_like(sample: str, date: datetime.date) -> str:
    """``date`` written the way ``sample`` is (``2024-01-02``, ``Jan 2, 2024``, ...)."""
    iso = re.fullmatch(r"\d{4}([-/.])\d{2}\1\d{2}", sample)
    if iso is not None:
        separator = iso.group(1)
        return f"{date.year:04d}{separator}{date.month:02d}{separator}{date.day:02d}"
    month_word = re.search(r"[A-Za-z]{3,}\.?", sample)
    word = month_word.group(0) if month_word else "January"
    full = word.rstrip(".") in _MONTHS
    month = _MONTHS[date.month - 1]
    if not full:
        month = month[:3] + ("." if word.endswith(".") else "")
    day_match = re.search(r"(?<!\d)(\d{1,2})(st|nd|rd|th)?(?!\d)", sample)
    padded = day_match is not None and day_match.group(1).startswith("0")
    day = f"{date.day:02d}" if padded else str(date.day)
    if day_match is not None and day_match.group(2):
        day += _ordinal(date.day)
    if sample[:1].isdigit():
        comma = "," if re.search(r"[A-Za-z.],", sample) else ""  # 6th December, 2024 (httpx)
        return f"{day} {month}{comma} {date.year}"
    return f"{month} {day}, {date.year}"


def _ordinal(day: int) -> str:
    """The English ordinal suffix of a day of the month."""
    if 11 <= day <= 13:  # noqa: PLR2004  # the teens take "th"
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def underline_for(title: str, sample_title: str, sample_line: str) -> str:
    """An adornment for ``title``, as long as the sample's is relative to its own title.

    An underline exactly as long as its title stays exactly as long; one that ran longer by a
    few characters keeps the same margin; it is never shorter than the new title.
    """
    margin = max(0, len(sample_line.rstrip()) - len(sample_title.rstrip()))
    return sample_line.strip()[0] * (len(title.rstrip()) + margin)
