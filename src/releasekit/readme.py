"""Render long descriptions as PyPI renders them, to find the ones PyPI would show as plain text.

PyPI renders reStructuredText with docutils (through readme-renderer) and shows the raw text when
that fails; Markdown always renders. Renderers are imported only when a description needs them:
docutils alone costs more start-up time than all other checks together.
"""

from __future__ import annotations

import io
import re
from email.message import Message

_RST_PROBLEM = re.compile(
    r"^<string>:(?P<line>\d+): \((?P<level>[A-Z]+)/\d\) (?P<text>.*)$", re.MULTILINE
)


def media_type(content_type: str) -> str:
    """The media type of a Description-Content-Type, without its parameters."""
    message = Message()
    message["content-type"] = content_type
    return message.get_content_type()


def rst_problem(text: str) -> str | None:
    """``None`` when ``text`` renders as reStructuredText, else the first problem with its line."""
    from readme_renderer.rst import render

    stream = io.StringIO()
    if render(text, stream=stream) is not None:
        return None
    output = stream.getvalue()
    match = _RST_PROBLEM.search(output)
    if match is None:
        return output.strip().splitlines()[0] if output.strip() else "rendering failed"
    return f"line {match.group('line')}: {match.group('text')}"
