"""Remove credentials from anything that may reach a user: URLs in messages above all."""

from __future__ import annotations

import re

# `scheme://user:password@host`: the userinfo part is dropped.
_URL_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]+@")


def redact_credentials(text: str) -> str:
    """``text`` with the user and password removed from every URL in it."""
    return _URL_USERINFO.sub(r"\g<scheme>", text)
