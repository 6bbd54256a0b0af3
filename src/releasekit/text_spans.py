"""Locate one value inside configuration text (a TOML table, an INI section) by character span.

Releases rewrite these files byte for byte, so a value is found as the exact characters between
its quotes, never re-serialized: comments, quote style, key order and line endings survive. The
callers cross-check what they locate here with what a real parser (``tomllib``,
``configparser``) reads, so that a clever layout the patterns do not understand is an error
rather than a wrong edit.
"""

from __future__ import annotations

import re
from pathlib import Path

from releasekit.records import frozen

_ANY_HEADER = re.compile(r"^[ \t]*\[", re.MULTILINE)


@frozen
class Located:
    """Where one version is written: a file's exact text and the spans of the version in it."""

    path: Path
    text: str
    spans: tuple[tuple[int, int], ...]
    label: str


def _header(table: str, *, array: bool) -> re.Pattern[str]:
    """The header line of TOML table ``table`` (dotted), bare or quoted parts, any spacing."""
    parts = [
        rf"""(?:{re.escape(part)}|"{re.escape(part)}"|'{re.escape(part)}')"""
        for part in table.split(".")
    ]
    open_, close = (r"\[\[", r"\]\]") if array else (r"\[", r"\]")
    body = r"[ \t]*\.[ \t]*".join(parts)
    return re.compile(rf"^[ \t]*{open_}[ \t]*{body}[ \t]*{close}[ \t]*(?:#.*)?$", re.MULTILINE)


def _key_line(key: str) -> re.Pattern[str]:
    """``key = "value"`` (or single quotes) at the start of a line; the value is group ``value``."""
    return re.compile(
        rf"""^[ \t]*(?:{re.escape(key)}|"{re.escape(key)}")[ \t]*=[ \t]*
            (?P<quote>"|')(?P<value>[^"'\n]*)(?P=quote)""",
        re.MULTILINE | re.VERBOSE,
    )


def table_bodies(text: str, table: str, *, array: bool = False) -> list[tuple[int, int]]:
    """(start, end) of the body of every ``[table]`` (or ``[[table]]``) in ``text``."""
    bodies = []
    for header in _header(table, array=array).finditer(text):
        following = _ANY_HEADER.search(text, header.end())
        bodies.append((header.end(), following.start() if following else len(text)))
    return bodies


def toml_string(text: str, table: str, key: str) -> tuple[int, int] | None:
    """The span of the string value of ``key`` in ``[table]``, or None when it is not there."""
    pattern = _key_line(key)
    for start, end in table_bodies(text, table):
        match = pattern.search(text, start, end)
        if match is not None:
            return match.span("value")
    return None


def toml_string_in(text: str, body: tuple[int, int], key: str) -> tuple[int, int] | None:
    """The span of the string value of ``key`` within one table body."""
    match = _key_line(key).search(text, *body)
    return match.span("value") if match is not None else None


def ini_value(text: str, section: str, key: str) -> tuple[int, int] | None:
    """The span of ``key = value`` (or ``key: value``) in ``[section]`` of an INI file.

    The value runs to the end of the line, without surrounding spaces: setuptools reads setup.cfg
    with ``configparser`` defaults, which know no inline comments.
    """
    header = re.compile(rf"^\[{re.escape(section)}\][ \t]*$", re.MULTILINE)
    found = header.search(text)
    if found is None:
        return None
    following = re.compile(r"^\[", re.MULTILINE).search(text, found.end())
    end = following.start() if following else len(text)
    line = re.compile(
        rf"^{re.escape(key)}[ \t]*[=:][ \t]*(?P<value>[^\n]*?)[ \t]*\r?$",
        re.MULTILINE | re.IGNORECASE,
    )
    match = line.search(text, found.end(), end)
    return match.span("value") if match is not None else None
