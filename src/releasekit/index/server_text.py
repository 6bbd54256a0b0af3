"""Make what a server said fit for one line of a terminal: no markup, no control characters.

Index error pages are often whole HTML documents (pypiserver's carries its CSS); users need the
gist: the page's ``<title>``, else its main text, cut at a word boundary. Anything a server sends
may also carry terminal escapes, which are removed before the text can reach a terminal.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

LIMIT = 200
# ANSI/VT escape sequences (CSI, OSC and two-byte forms), then every other control character.
_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACE = re.compile(r"\s+")
_LOOKS_LIKE_HTML = re.compile(r"<\s*(?:!doctype|html|head|body|title|h1|p|div|pre)\b", re.I)
_SKIPPED = {"script", "style", "head", "noscript", "template"}
# What some frameworks print for an error without a message (bottle, under pypiserver: None).
_NOTHING = {"none", "null", "undefined"}
_BLOCKS = {"p", "div", "pre", "h1", "h2", "h3", "li", "tr", "table", "section", "main", "br"}
# "Error: 403 Forbidden", "403 Forbidden": the status is shown beside the text already.
_STATUS_PREFIX = re.compile(r"^(?:error\s*:?\s*)?(?:\d{3}\b\s*:?\s*)?", re.I)


def without_controls(text: str) -> str:
    """``text`` without terminal escapes and control characters (newlines become spaces)."""
    return _CONTROLS.sub(" ", _ESCAPES.sub("", text))


class _PageText(HTMLParser):
    """The title and the visible text of an HTML page, block by block."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title: list[str] = []
        self.blocks: list[list[str]] = [[]]
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED or tag == "title":
            self._open.append(tag)
        if tag in _BLOCKS:
            self.blocks.append([])

    def handle_endtag(self, tag: str) -> None:
        if tag in self._open:
            while self._open and self._open.pop() != tag:
                pass
        if tag in _BLOCKS:
            self.blocks.append([])

    def handle_data(self, data: str) -> None:
        if "title" in self._open:
            self.title.append(data)
        elif not any(tag in _SKIPPED for tag in self._open):
            self.blocks[-1].append(data)


def _squeeze(text: str) -> str:
    return _SPACE.sub(" ", without_controls(text)).strip()


def shorten(text: str, limit: int = LIMIT) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, marked with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 3]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.") + "..."


def readable(body: str, limit: int = LIMIT) -> str:
    """One short line from a server's body: HTML reduced to its title and its last words.

    An error page's title (or first heading) names the error and its last block of text usually
    says why (pypiserver: "Package 'x' already exists!"); boilerplate in between is dropped.
    """
    if not _LOOKS_LIKE_HTML.search(body):
        return shorten(_squeeze(html.unescape(body)), limit)
    page = _PageText()
    page.feed(body)
    page.close()
    blocks = [text for text in (_squeeze("".join(block)) for block in page.blocks) if text]
    title = _squeeze("".join(page.title)) or (blocks[0] if blocks else "")
    name = _STATUS_PREFIX.sub("", title).strip()
    last = blocks[-1] if blocks else ""
    if last.lower() in _NOTHING:
        last = ""
    if not name:
        return shorten(last or title, limit)
    if not last or last.rstrip(".!").lower() in title.lower():
        return shorten(name, limit)
    return shorten(f"{name}: {last}", limit)
