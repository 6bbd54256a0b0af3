"""Changelog entries drafted from Conventional Commits, in the project's own changelog.

A commit says what kind of change it is (``feat``, ``fix``, ...); Keep a Changelog sorts a
release's entries under the headings readers look for (Added, Fixed, ...). Drafting maps one onto
the other, links each entry to its commit and to the issues it names (GitHub and GitLab), and
writes the entries into the file's Unreleased section the way the file already writes things:
its bullets, its sub-heading marks, Markdown or reStructuredText. Hand-written entries stay where
they are, as they are.

Drafting is run again and again (a dry run, then the release; a failed release, then another
try), so it must be idempotent: an entry whose commit (short hash) is already in the changelog,
or whose description is already an entry of the Unreleased section, is never added twice.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from releasekit.changelog import Changelog, Section, assembled, parse, web_base
from releasekit.changelog_syntax import Flavor, Heading, HeadingStyle
from releasekit.changelog_template import comment_lines
from releasekit.commits import Change
from releasekit.errors import ChangelogError
from releasekit.records import field, frozen, mutable
from releasekit.towncrier import FragmentLayout

# Keep a Changelog's headings, in its order; custom headings follow them.
KAC_ORDER = ("Added", "Changed", "Deprecated", "Removed", "Fixed", "Security")
# Commit type -> heading. A revert undoes something that was released (a revert of a change in
# the same range drops both, see commits.read_log): that changes behaviour, whether it was a
# feature or a fix, so it goes under Changed rather than Removed (which KaC keeps for features
# taken out on purpose, announced by a ``remove:`` commit).
DEFAULT_SECTIONS: Mapping[str, str] = {
    "feat": "Added",
    "fix": "Fixed",
    "perf": "Changed",
    "refactor": "Changed",
    "revert": "Changed",
    "deprecate": "Deprecated",
    "deprecation": "Deprecated",
    "remove": "Removed",
    "removal": "Removed",
    "security": "Security",
    "sec": "Security",
}
SHORT = 7  # the short hash written in entries, as git and the forges abbreviate
BREAKING = "**Breaking:**"
# Sub-heading adornments for a reStructuredText file, in order of preference.
_RST_ADORNMENTS = "~^-\"'+*=`#:."
_BULLET = re.compile(r"^(?P<bullet>[-*+][ \t]+)\S")
_ISSUE = re.compile(r"^(?:(?P<repo>[\w.-]+(?:/[\w.-]+)+))?(?P<mark>#|!|GH-)(?P<number>\d+)$")


def section_map(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """The commit type -> heading table: the defaults, replaced or extended by the setting.

    An empty heading leaves the type out of the changelog (``chore = ""``).
    """
    table = dict(DEFAULT_SECTIONS)
    for name, heading in (overrides or {}).items():
        table[name.lower()] = heading.strip()
    return {name: heading for name, heading in table.items() if heading}


# Read-only by convention, not ``frozen`` (as ``commits.Change``): a long history drafts tens of
# thousands of entries, and a frozen dataclass sets each field through ``object.__setattr__``.
@mutable(slots=True, unsafe_hash=True)
class Entry:
    """One changelog entry: the change, and the heading it goes under.

    ``short`` is the commit's short hash as written in the entry: set once here, because
    merging into a changelog looks it up several times per entry. The constructor is written
    out (no ``__post_init__``): one call per entry instead of two, for tens of thousands.
    """

    heading: str
    change: Change
    short: str = field(compare=False, repr=False)

    def __init__(self, heading: str, change: Change) -> None:
        self.heading = heading
        self.change = change
        self.short = change.commit[:SHORT]


@frozen
class Draft:
    """The entries drafted from a range of commits, and where their links point."""

    entries: tuple[Entry, ...] = ()
    remote: tuple[str, str] | None = None  # (kind, https base) from ``changelog.web_base``

    def grouped(self) -> list[tuple[str, list[Entry]]]:
        """Each heading that has entries with its entries, in one pass over the entries.

        Headings in Keep a Changelog's order, then custom ones in the order they first appear;
        entries in the order of the log (newest first).
        """
        groups: dict[str, list[Entry]] = {}
        for entry in self.entries:
            group = groups.get(entry.heading)
            if group is None:
                groups[entry.heading] = [entry]
            else:
                group.append(entry)
        # A stable sort: custom headings (all ranked after Keep a Changelog's) keep their order.
        return [(heading, groups[heading]) for heading in sorted(groups, key=_rank)]

    def headings(self) -> list[str]:
        """The headings that have entries: Keep a Changelog's order, then custom ones."""
        return [heading for heading, _ in self.grouped()]

    def under(self, heading: str) -> list[Entry]:
        """The entries under ``heading``, in the order of the log (newest first)."""
        return [entry for entry in self.entries if entry.heading == heading]

    def shared_hashes(self) -> set[str]:
        """Short hashes that several entries share (a squash merge's several changes)."""
        shorts = [entry.short for entry in self.entries]
        if len(set(shorts)) == len(shorts):  # the usual case: no hash is there twice
            return set()
        seen: set[str] = set()
        shared: set[str] = set()
        for entry in self.entries:
            if entry.short in seen:
                shared.add(entry.short)
            else:
                seen.add(entry.short)
        return shared


_KAC_RANK = {name.lower(): rank for rank, name in enumerate(KAC_ORDER)}


def _rank(heading: str) -> int:
    """Where a heading sorts: Keep a Changelog's in its order, then every other one."""
    return _KAC_RANK.get(heading.lower(), len(KAC_ORDER))


@functools.lru_cache(maxsize=16)
def _heading_table(sections: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """``section_map`` for one setting, made once: a whole changelog drafts a thousand releases.

    Shared by every draft with that setting: read, never changed.
    """
    return section_map(dict(sections))


def draft(
    changes: Iterable[Change],
    *,
    sections: Mapping[str, str] | None = None,
    remote_url: str | None = None,
) -> Draft:
    """The entries of ``changes`` (a ``CommitLog``'s, newest first) under their headings.

    Types without a heading (docs, chore, ci, test, build, style by default) are left out; an
    entry repeated by a cherry-pick (same heading, scope and description) is drafted once.
    """
    table = _heading_table(tuple(sections.items()) if sections else ())
    entries: list[Entry] = []
    seen: set[tuple[str, str | None, str]] = set()
    for change in changes:
        heading = table.get(change.type.lower())
        if heading is None:
            continue
        # One hashing of the key, not two: the set grows exactly when the key is new.
        size = len(seen)
        seen.add((heading, change.scope, change.description))
        if len(seen) != size:
            entries.append(Entry(heading, change))
    return Draft(tuple(entries), web_base(remote_url))


# Links.


def _host(base: str) -> str:
    parts = urlsplit(base)
    return f"{parts.scheme}://{parts.netloc}"


def reference_url(reference: str, remote: tuple[str, str] | None) -> str | None:
    """Where an issue or merge-request reference points, on the project's forge."""
    if remote is None:
        return None
    kind, base = remote
    number = reference[1:]
    repo: str | None = None
    mark = "#"
    if reference[:1] != "#" or not number.isdecimal():
        # Else the usual form, read without the pattern (``isdecimal`` is what ``\d`` matches).
        match = _ISSUE.match(reference)
        if match is None:
            return None
        repo, mark, number = match.group("repo"), match.group("mark"), match.group("number")
    root = f"{_host(base)}/{repo}" if repo else base
    if kind == "github" and mark in {"#", "GH-"}:
        return f"{root}/issues/{number}"
    if kind == "gitlab" and mark == "#":
        return f"{root}/-/issues/{number}"
    if kind == "gitlab" and mark == "!":
        return f"{root}/-/merge_requests/{number}"
    return None


def _is_word(character: str) -> bool:
    r"""Whether ``character`` is one that the regular expression ``\w`` matches."""
    return character.isalnum() or character == "_"


def _standing(text: str, reference: str) -> int:
    """Where ``reference`` first stands on its own in ``text`` (not inside "a#12b", "x/#12"); -1.

    Plain string search, not a regular expression per reference: drafting a long history
    links thousands of distinct references, and compiling a pattern for each costs more than
    the rest of the drafting (and flushes Python's cache of compiled patterns).
    """
    start = text.find(reference)
    while start >= 0:
        end = start + len(reference)
        before = text[start - 1] if start else ""
        after = text[end] if end < len(text) else ""
        if before != "/" and not _is_word(before) and not _is_word(after):
            return start
        start = text.find(reference, start + 1)
    return -1


class _Writer:
    """Writes entries, each as one line, in one markup with links to one forge.

    The commit links' root is worked out once, and each reference's link the first time it is
    met, rather than per entry: a long history writes tens of thousands of entries.
    """

    __slots__ = ("_commit", "_links", "_remote", "_rst")

    def __init__(self, flavor: Flavor, remote: tuple[str, str] | None) -> None:
        self._rst = flavor == "rst"
        self._remote = remote
        self._commit: str | None = None
        if remote is not None:
            kind, base = remote
            self._commit = f"{base}/-/commit/" if kind == "gitlab" else f"{base}/commit/"
        self._links: dict[str, str] = {}

    def _link(self, text: str, url: str | None) -> str:
        if url is None:
            return text
        return f"`{text} <{url}>`__" if self._rst else f"[{text}]({url})"

    def _reference(self, reference: str) -> str:
        """The reference as written (linked to its page when the forge is known), kept."""
        linked = self._links.get(reference)
        if linked is None:
            url = reference_url(reference, self._remote)
            linked = self._links[reference] = self._link(reference, url)
        return linked

    def text(self, entry: Entry) -> str:
        """The entry as ``entry_text`` writes it."""
        return self.texts((entry,))[0]

    def texts(self, entries: Iterable[Entry], before: str = "", after: str = "") -> list[str]:
        """Each entry as ``entry_text`` writes it: one call for a list, not one per entry.

        ``before`` and ``after`` go around each (a bullet and a line break): made here, each
        line is one string, not one and then another with them added.
        """
        out: list[str] = []
        append = out.append
        commit_root = self._commit
        for entry in entries:
            change = entry.change
            description = change.description
            if change.type == "revert" and not description.lower().startswith("revert"):
                # A revert's description is the header it undoes: say that it is undone.
                description = f'Revert "{description}"'
            commit = entry.short
            if commit_root is not None:
                commit = self._link(commit, commit_root + change.commit)
            if change.references:
                trailing: list[str] = []
                for reference in change.references:
                    linked = self._reference(reference)  # each one's link made once
                    # Most references are footers only: a plain search rules them out.
                    start = _standing(description, reference) if reference in description else -1
                    if start >= 0:
                        end = start + len(reference)
                        description = description[:start] + linked + description[end:]
                    else:
                        trailing.append(linked)
                trailing.append(commit)
                commit = ", ".join(trailing)
            breaking = change.breaking
            if breaking and change.breaking_text and change.breaking_text != change.description:
                description += f" ({change.breaking_text.strip()})"
            scope = change.scope
            if scope:
                marks = f"{BREAKING} **{scope}:** " if breaking else f"**{scope}:** "
                append(f"{before}{marks}{description} ({commit}){after}")
            elif breaking:
                append(f"{before}{BREAKING} {description} ({commit}){after}")
            else:
                append(f"{before}{description} ({commit}){after}")
        return out


def entry_text(entry: Entry, flavor: Flavor, remote: tuple[str, str] | None) -> str:
    """The entry as one line, without its bullet.

    ``**Breaking:** **scope:** description (links)``: references written in the description are
    linked where they stand; those only in footers follow it, before the commit's short hash.
    A revert reads ``Revert "feat: the header it undoes"``.
    """
    return _Writer(flavor, remote).text(entry)


# Reading the file's own style.


def _bullet(changelog: Changelog) -> str:
    """The list marker the file writes its entries with (``- ``, ``* ``, ``-   ``)."""
    for line in changelog.lines:
        match = _BULLET.match(line)
        if match is not None:
            return match.group("bullet")
    return "- "


def _inside(changelog: Changelog, section: Section) -> list[Heading]:
    """The headings inside a section (below its heading, before its end)."""
    return [h for h in changelog.headings if section.heading.end <= h.start < section.end]


def _subheading_style(changelog: Changelog, section: Section | None) -> HeadingStyle:
    """How the file marks the headings inside its release sections, or a fitting new mark.

    The style of the first sub-heading of any release or Unreleased section wins. Without one:
    Markdown nests an ATX heading one level below the sections'; reStructuredText takes an
    adornment character the file does not use yet (docutils ranks a new one below the others).
    """
    # One walk over the headings: sections and headings are both in file order, and a
    # section's sub-headings come after its heading (``_inside`` per section is quadratic).
    headings = changelog.headings
    index = 0
    for candidate in changelog.sections:
        while index < len(headings) and headings[index].start < candidate.heading.end:
            index += 1
        inside: list[Heading] = []
        while index + len(inside) < len(headings):
            heading = headings[index + len(inside)]
            if heading.start >= candidate.end:
                break
            inside.append(heading)
        if inside:
            return min(inside, key=lambda h: h.level).style
    if changelog.flavor == "markdown":
        level = section.heading.level if section is not None else 2
        return HeadingStyle(atx=min(level + 1, 6))
    used = {heading.style.adornment for heading in changelog.headings}
    return HeadingStyle(adornment=next(c for c in _RST_ADORNMENTS if c not in used))


def _heading_lines(style: HeadingStyle, title: str, newline: str) -> list[str]:
    if style.atx:
        return [f"{'#' * style.atx} {title}{newline}"]
    adornment = style.adornment * len(title) + newline
    return [adornment] * style.overline + [title + newline, adornment]


def render_body(
    draft_: Draft, flavor: Flavor, *, style: HeadingStyle | None = None, bullet: str = "- "
) -> str:
    """The entries as a release's notes: a sub-heading per heading, a list under each."""
    return _render_body(draft_, _Writer(flavor, draft_.remote), flavor, style=style, bullet=bullet)


def _render_body(
    draft_: Draft,
    writer: _Writer,
    flavor: Flavor,
    *,
    style: HeadingStyle | None = None,
    bullet: str = "- ",
    heads: dict[str, str] | None = None,
) -> str:
    """``render_body`` with the writer given: a whole changelog shares one across releases.

    ``heads`` keeps each sub-heading's lines (with the first bullet) for the next release,
    when every release is rendered in the same style with the same bullet.
    """
    style = style or (HeadingStyle(atx=3) if flavor == "markdown" else HeadingStyle(adornment="~"))
    heads = {} if heads is None else heads
    separator = f"\n{bullet}"
    blocks: list[str] = []
    for heading, entries in draft_.grouped():
        head = heads.get(heading)
        if head is None:
            head = heads[heading] = "".join(_heading_lines(style, heading, "\n")) + "\n" + bullet
        blocks.append(head + separator.join(writer.texts(entries)) + "\n")
    return "\n".join(blocks)


def notes_body(draft_: Draft, changelog: Changelog | None) -> str:
    """The next release's notes as ``notes VERSION`` prints a body, in the changelog's style."""
    if changelog is None:
        return render_body(draft_, "markdown")
    section = changelog.unreleased() or next(iter(changelog.sections), None)
    return render_body(
        draft_,
        changelog.flavor,
        style=_subheading_style(changelog, section),
        bullet=_bullet(changelog),
    )


# Writing into the Unreleased section.


def _normalized(title: str) -> str:
    return title.strip().strip("*_").rstrip(":").strip().lower()


def _item(line: str) -> str:
    """A list item's text for comparison: no bullet, case or closing full stop."""
    text = line.strip()
    match = _BULLET.match(text)
    text = text[len(match.group("bullet")) :] if match else text
    return text.rstrip(". \t").casefold()


_HEX_RUN = re.compile(rf"[0-9a-fA-F]{{{SHORT},}}")


@frozen
class _Existing:
    """What the changelog already says, read once for every entry drafted into it.

    ``hashes`` holds the first ``SHORT`` characters of each run of hex digits: an entry's short
    hash is in the file when a run starts with it (a short or a full hash, in a link or not).
    ``items`` holds the Unreleased section's list items as ``_item`` reads them, blank ones left
    out (a blank item says nothing an entry could repeat).
    """

    hashes: frozenset[str]
    text: str
    items: frozenset[str]

    @classmethod
    def read(cls, changelog: Changelog, section: Section) -> _Existing:
        text = changelog.text
        return cls(
            frozenset(run[:SHORT] for run in _HEX_RUN.findall(text)),
            text,
            frozenset(
                _item(changelog.lines[index]) for index in range(section.heading.end, section.end)
            )
            - {""},
        )


def _present(existing: _Existing, entry: Entry, written: str | None) -> bool:
    """Whether the changelog already holds ``entry``.

    By the commit's short hash anywhere in the file, unless several entries share it (a squash
    merge: then by the entry as drafting writes it, ``written``, given for those only); or by an
    entry of the Unreleased section that says exactly the description (the case and a closing
    full stop aside), hand-written.
    """
    if written is None:
        if entry.short in existing.hashes:
            return True
    elif written in existing.text:
        return True
    if not existing.items:  # nothing hand-written to compare with (the usual case)
        return False
    return entry.change.description.rstrip(". \t").casefold() in existing.items


def _missing_section_lines(changelog: Changelog) -> tuple[int, list[str]]:
    """Where an Unreleased section goes, and its heading lines, in the file's style.

    Above the newest release, marked as the release headings are (``## [Unreleased]`` when
    they are bracketed link labels); in a file without releases, at its end.
    """
    nl = changelog.newline
    releases = changelog.releases()
    style = changelog.style
    if style is None:
        if changelog.flavor == "markdown":
            style = HeadingStyle(atx=2)
        else:
            used = {heading.style.adornment for heading in changelog.headings}
            style = HeadingStyle(adornment=next(c for c in "-~^=" if c not in used))
    title = "Unreleased"
    if style.atx and releases and releases[0].title.startswith("["):
        title = "[Unreleased]"
    heading = _heading_lines(style, title, nl)
    if releases:
        # Above the labels that name the release heading (``.. _changelog-v1.0.0:``).
        return releases[0].top, [*heading, nl]
    return len(changelog.lines), heading


def with_unreleased(changelog: Changelog) -> Changelog:
    """The changelog with an Unreleased section (added in the file's style when missing)."""
    if changelog.unreleased() is not None:
        return changelog
    nl = changelog.newline
    lines = list(changelog.lines)
    if not lines and changelog.flavor == "markdown":
        lines = [f"# Changelog{nl}"]
    elif not lines:
        lines = [f"Changelog{nl}", f"========={nl}"]
    reparsed = parse("".join(lines), changelog.flavor) if lines != list(changelog.lines) else None
    base = reparsed or changelog
    index, heading = _missing_section_lines(base)
    if index == len(lines):
        if lines and not lines[-1].endswith(("\n", "\r")):
            lines[-1] += nl
        heading = ([nl] if lines and lines[-1].strip() else []) + heading
    lines[index:index] = heading
    updated = parse("".join(lines), changelog.flavor)
    if updated.unreleased() is None:  # pragma: no cover - the heading written is one parse reads
        raise ChangelogError("could not add an Unreleased section", hint="add one by hand")
    return updated


def _last(lines: Sequence[str], start: int, end: int, wanted: Iterable[int] = ()) -> int | None:
    """The last line in ``start..end`` that is not blank (and is in ``wanted`` when given)."""
    allowed = set(wanted)
    for index in range(end - 1, start - 1, -1):
        if lines[index].strip() and (not allowed or index in allowed):
            return index
    return None


@frozen
class _Layout:
    """The Unreleased section as drafting sees it: its sub-sections and which lines are entries."""

    subsections: tuple[Heading, ...]  # the top-level headings inside it
    ends: dict[str, tuple[Heading, int]]  # normalized title -> (heading, end of its block)
    not_entries: frozenset[int]  # comment and heading lines inside it


def _layout(changelog: Changelog, section: Section) -> _Layout:
    body = changelog.lines[section.heading.end : section.end]
    comments = {section.heading.end + i for i in comment_lines(body, changelog.flavor)}
    inside = _inside(changelog, section)
    top = min((h.level for h in inside), default=0)
    subsections = tuple(h for h in inside if h.level == top)
    ends: dict[str, tuple[Heading, int]] = {}
    for sub in subsections:
        later = [h.start for h in inside if h.start > sub.start and h.level <= sub.level]
        ends.setdefault(_normalized(sub.text), (sub, min([*later, section.end])))
    heading_lines = {i for h in inside for i in range(h.start, h.end)}
    return _Layout(subsections, ends, frozenset(comments | heading_lines))


def _insertion(
    lines: Sequence[str],
    section: Section,
    layout: _Layout,
    title: str,
    *,
    block: list[str],
    nl: str,
) -> tuple[int, list[str]]:
    """Where a heading's lines go, and the lines with the blank lines around them.

    ``block`` is the list of entries; a new sub-section's heading is added here. Into an
    existing sub-section: after its last entry. A new one: before the first known sub-section
    that Keep a Changelog orders after it, else at the end of the section.
    """
    found = layout.ends.get(_normalized(title))
    if found is not None:
        sub, end = found
        entries = [i for i in range(sub.end, end) if i not in layout.not_entries]
        last = _last(lines, sub.end, end, entries)
        if last is not None:
            return last + 1, block
        last = _last(lines, sub.start, end)
        position = (last if last is not None else sub.end - 1) + 1
        after = [nl] if position < len(lines) and lines[position].strip() else []
        return position, [nl, *block, *after]
    rank = _rank(title)
    following = next(
        (sub for sub in layout.subsections if _KAC_RANK.get(_normalized(sub.text), -1) > rank),
        None,
    )
    if following is not None:
        return following.start, [*block, nl]
    last = _last(lines, section.heading.start, section.end)
    position = (last if last is not None else section.heading.end - 1) + 1
    after = [nl] if position < len(lines) and lines[position].strip() else []
    return position, [nl, *block, *after]


def add_to_unreleased(changelog: Changelog, draft_: Draft) -> str:
    """The changelog's text with the drafted entries in its Unreleased section.

    Entries join the sub-section of their heading when it exists (after its last entry), else a
    new sub-section is made, placed in Keep a Changelog order among the known ones (at the end
    when none follows). A missing Unreleased section is added in the file's style, above the
    newest release. Every existing line is kept; entries already present are skipped.
    """
    return draft_into_unreleased(changelog, draft_).render()


def _missing(existing: _Existing, draft_: Draft, writer: _Writer) -> list[Entry]:
    """The entries the changelog does not hold yet."""
    shared = draft_.shared_hashes()
    if not shared and not existing.items:
        # The usual case, in one pass: only the short hashes tell what is there.
        hashes = existing.hashes
        return [entry for entry in draft_.entries if entry.short not in hashes]
    return [
        entry
        for entry in draft_.entries
        if not _present(existing, entry, writer.text(entry) if entry.short in shared else None)
    ]


def draft_into_unreleased(changelog: Changelog, draft_: Draft) -> Changelog:
    """``add_to_unreleased``, parsed: the changelog with the drafted entries in Unreleased.

    The result is parsed as ``parse`` would parse its text, but put together from the lines it
    is made of: the thousands of entries a long history drafts are not split and scanned again
    (``changelog.assembled``), so releasing the section next costs about as much as it would
    without them.
    """
    changelog = with_unreleased(changelog)
    section = changelog.unreleased()
    if section is None:  # pragma: no cover - with_unreleased guarantees one
        return changelog
    writer = _Writer(changelog.flavor, draft_.remote)
    kept = _missing(_Existing.read(changelog, section), draft_, writer)
    wanted = Draft(tuple(kept), draft_.remote)
    if not wanted.entries:
        return changelog
    nl = changelog.newline
    lines = list(changelog.lines)
    unended = bool(lines) and not lines[-1].endswith(("\n", "\r"))
    if unended:
        lines[-1] += nl
    bullet = _bullet(changelog)
    style = _subheading_style(changelog, section)
    layout = _layout(changelog, section)
    inserts: dict[int, list[str]] = {}
    # Where each block's entries are among the lines inserted at its position, and how many.
    runs: dict[int, list[tuple[int, int]]] = {}
    for title, entries in wanted.grouped():
        items = writer.texts(entries, bullet, nl)
        first = items[0]
        if _normalized(title) not in layout.ends:
            items = [*_heading_lines(style, title, nl), nl, *items]
        position, block = _insertion(lines, section, layout, title, block=items, nl=nl)
        inserted = inserts.setdefault(position, [])
        offset = len(inserted) + next(i for i, line in enumerate(block) if line is first)
        runs.setdefault(position, []).append((offset, len(entries)))
        inserted.extend(block)
    out: list[str] = []
    added: list[str] = [lines[-1]] if unended else []
    spans: list[tuple[int, int]] = []
    position = 0
    for index in sorted(inserts):  # each block goes before the line it is keyed by
        out += lines[position:index]
        spans += [(len(out) + start, len(out) + start + count) for start, count in runs[index]]
        out += inserts[index]
        added += inserts[index]
        position = index
    out += lines[position:]
    # A file without a final line break keeps it that way, unless entries went after it.
    if unended and len(lines) not in inserts:
        out[-1] = out[-1].removesuffix(nl)
    blocks = [(index, len(inserts[index])) for index in sorted(inserts)]
    return assembled(
        out, changelog.flavor, nl, added=added, items=spans, base=changelog, blocks=blocks
    )


# A whole changelog, for projects that have none.


@frozen
class Release:
    """One release drafted from its tag's commits; ``tag`` None is what is not released yet."""

    tag: str | None
    version: str | None
    date: str | None
    draft: Draft


def _compare(remote: tuple[str, str], old: str, new: str) -> str:
    kind, base = remote
    middle = "/-/compare/" if kind == "gitlab" else "/compare/"
    return f"{base}{middle}{old}...{new}"


def _tag_page(remote: tuple[str, str], tag: str) -> str:
    kind, base = remote
    return f"{base}/-/tags/{tag}" if kind == "gitlab" else f"{base}/releases/tag/{tag}"


NO_CHANGES = "No notable changes."


def _release_link(
    tag: str | None, tags: Sequence[str], rank: Mapping[str, int], remote: tuple[str, str]
) -> str | None:
    """A release's compare link against the tag below it (Unreleased: against the newest).

    ``rank`` maps each tag to its place in ``tags``: looking it up per release keeps a
    changelog of a thousand releases from searching the list a thousand times.
    """
    below = rank[tag] + 1 if tag is not None else 0
    older = tags[below] if below < len(tags) else None
    if tag is None and older is None:
        return None  # nothing released yet to compare with
    newer = tag or "HEAD"
    return _compare(remote, older, newer) if older else _tag_page(remote, newer)


def render_changelog(
    releases: Sequence[Release], flavor: Flavor, remote: tuple[str, str] | None
) -> str:
    """A whole changelog: title, Unreleased (if anything is), releases newest first.

    Markdown gets Keep a Changelog's bracketed headings and compare links at the bottom when
    the remote is GitHub or GitLab; reStructuredText gets underlined headings.
    """
    linked = flavor == "markdown" and remote is not None
    section_style = HeadingStyle(atx=2) if flavor == "markdown" else HeadingStyle(adornment="-")
    sub_style = HeadingStyle(atx=3) if flavor == "markdown" else HeadingStyle(adornment="~")
    parts = ["# Changelog\n" if flavor == "markdown" else "=========\nChangelog\n=========\n"]
    links: list[str] = []
    tags = [release.tag for release in releases if release.tag is not None]
    rank = {tag: index for index, tag in reversed(list(enumerate(tags)))}
    # One writer per forge (every release's, in practice): each reference linked once.
    writers: dict[tuple[str, str] | None, _Writer] = {}
    heads: dict[str, str] = {}  # each sub-heading's lines, made once for every release
    for release in releases:
        if release.tag is None and not release.draft.entries:
            continue
        label = release.version if release.tag is not None and release.version else "Unreleased"
        url = (
            _release_link(release.tag, tags, rank, remote)
            if linked and remote is not None
            else None
        )
        title = f"[{label}]" if url else label
        if release.date:
            title += f" - {release.date}" if flavor == "markdown" else f" ({release.date})"
        writer = writers.get(release.draft.remote)
        if writer is None:
            writer = writers[release.draft.remote] = _Writer(flavor, release.draft.remote)
        body = (
            _render_body(release.draft, writer, flavor, style=sub_style, heads=heads)
            or NO_CHANGES + "\n"
        )
        parts.append("".join(_heading_lines(section_style, title, "\n")) + "\n" + body)
        links += [f"[{label}]: {url}\n"] if url else []
    text = "\n".join(parts)
    return text + ("\n" + "".join(links) if links else "")


# towncrier.


def _fragment_type(heading: str, layout: FragmentLayout) -> str:
    """The project's towncrier type for a Keep a Changelog heading."""
    candidates = {
        "added": ("added", "feature", "features", "feat", "new"),
        "changed": ("changed", "change", "changes", "improvement", "improvements", "feature"),
        "deprecated": ("deprecated", "deprecation", "deprecations", "removal"),
        "removed": ("removed", "removal", "removals", "breaking"),
        "fixed": ("fixed", "bugfix", "bugfixes", "fix", "fixes", "bug"),
        "security": ("security", "bugfix", "bugfixes", "fix"),
    }.get(heading.lower(), (heading.lower(),))
    for candidate in (*candidates, "misc"):
        for directory, name in layout.types:
            if candidate in {directory.lower(), name.lower()}:
                return directory
    return layout.types[0][0] if layout.types else "misc"


def towncrier_fragments(root: Path, layout: FragmentLayout, draft_: Draft) -> dict[str, str]:
    """News fragments for the drafted entries: relative path -> text.

    Named ``+<shorthash>.<type>.<ext>`` (an orphan fragment: no issue number), with a counter
    when one commit gives several; an entry whose short hash is already in a fragment's name or
    text, or in the news file, is skipped.
    """
    folder = root / layout.directory
    seen: list[str] = []
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                seen.append(path.name)
                try:
                    seen.append(path.read_text(encoding="utf-8"))
                except (OSError, UnicodeDecodeError):
                    continue
    with contextlib.suppress(OSError, UnicodeDecodeError):
        seen.append((root / layout.news_file).read_text(encoding="utf-8"))
    existing = "\n".join(seen)
    flavor: Flavor = "markdown" if layout.extension == ".md" else "rst"
    fragments: dict[str, str] = {}
    counters: dict[tuple[str, str], int] = {}
    writer = _Writer(flavor, draft_.remote)
    for entry in draft_.entries:
        if re.search(rf"(?<![0-9a-fA-F]){entry.short}", existing):
            continue
        kind = _fragment_type(entry.heading, layout)
        count = counters.get((entry.short, kind), 0)
        counters[(entry.short, kind)] = count + 1
        counter = f".{count}" if count else ""
        name = f"{layout.orphan_prefix}{entry.short}.{kind}{counter}{layout.extension}"
        where = f"{layout.directory}/{name}" if layout.directory not in {"", "."} else name
        fragments[where] = writer.text(entry) + "\n"
    return fragments
