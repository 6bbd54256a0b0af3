"""Unreleased sections kept as templates: comments and sub-headings that stay for the next release.

Some projects keep a skeleton under their Unreleased heading: a comment for contributors and a
fixed list of sub-headings, most of them empty at any moment (black's CHANGES.md has eight, each
with a comment saying what goes there). Releasing such a section verbatim would publish the
comments and the empty headings as release notes, and leave the next release without its
skeleton. So, when the section holds a comment or an empty sub-section, releasing splits it:
the skeleton (every comment, every sub-heading, no entries) stays under Unreleased, and the
release gets the entries under their sub-headings, without comments or empty sub-sections. Every
entry line moves exactly once and no comment is lost.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from releasekit.changelog_syntax import Flavor, Heading
from releasekit.records import frozen

_HTML_COMMENT_OPEN = "<!--"
_HTML_COMMENT_CLOSE = "-->"
# An rST comment: two dots and a space, not a directive (``.. include::``) or a target (``.. _x:``).
_RST_COMMENT = re.compile(r"^\.\.(?:[ \t]+(?![\w-]+::)(?!_)|[ \t]*$)")


@frozen
class TemplateSplit:
    """The Unreleased body split in two: what stays (the skeleton) and what is released."""

    skeleton: list[str]
    released: list[str]


def comment_lines(lines: Sequence[str], flavor: Flavor) -> set[int]:
    """Indices of lines that are comments: HTML comments in Markdown, ``..`` comments in rST."""
    # A comment opens with "<!--" (Markdown) or ".." (rST): text without one has none, and
    # searching the joined text is much cheaper than reading a long section line by line.
    if (_HTML_COMMENT_OPEN if flavor == "markdown" else "..") not in "".join(lines):
        return set()
    found: set[int] = set()
    inside = False
    for index, line in enumerate(lines):
        text = line.strip()
        if flavor == "markdown":
            if inside or text.startswith(_HTML_COMMENT_OPEN):
                found.add(index)
                inside = _HTML_COMMENT_CLOSE not in text
        elif inside and (not text or line[:1] in " \t"):
            found.add(index)
        else:
            inside = bool(_RST_COMMENT.match(line))
            if inside:
                found.add(index)
    # Blank lines closing an rST comment belong to the text after it, not to the comment.
    return {index for index in found if lines[index].strip()}


def _collapse(lines: list[str]) -> list[str]:
    """No blank line at either end and never two in a row: removals leave gaps behind."""
    out: list[str] = []
    for line in lines:
        if not line.strip() and (not out or not out[-1].strip()):
            continue
        out.append(line)
    while out and not out[-1].strip():
        out.pop()
    return out


def split_template(
    body: Sequence[str], subheadings: Sequence[Heading], flavor: Flavor, offset: int
) -> TemplateSplit | None:
    """Split an Unreleased body (lines, endings kept) that is a template; ``None`` if it is not.

    ``subheadings`` are the headings inside the body, with line numbers of the whole file;
    ``offset`` is the file line number of ``body[0]``.
    """
    comments = comment_lines(body, flavor)
    heading_lines = {
        line - offset for heading in subheadings for line in range(heading.start, heading.end)
    }
    # Blocks: the preamble, then one per sub-heading, as (first, end) line ranges of the body.
    starts = [0] + [heading.start - offset for heading in subheadings]
    blocks = list(zip(starts, [*starts[1:], len(body)], strict=True))

    def is_entry(index: int) -> bool:
        return bool(body[index].strip()) and index not in comments and index not in heading_lines

    empty_blocks = [
        (first, end)
        for number, (first, end) in enumerate(blocks)
        if number and not any(is_entry(index) for index in range(first, end))
    ]
    if not comments and not empty_blocks:
        return None
    skeleton = [body[index] for index in range(len(body)) if not is_entry(index)]
    released: list[str] = []
    for first, end in blocks:
        if (first, end) in empty_blocks:
            continue
        kept = [body[index] for index in range(first, end) if index not in comments]
        released.extend(kept)
    return TemplateSplit(_collapse(skeleton), _collapse(released))
