"""Remove credentials from anything that may reach a user: URLs in messages above all."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

# `scheme://user:password@host`: the userinfo part is dropped.
_URL_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]+@")


def redact_credentials(text: str) -> str:
    """``text`` with the user and password removed from every URL in it."""
    return _URL_USERINFO.sub(r"\g<scheme>", text)


MASK = "********"
_SHORTEST_SECRET = 4  # masking shorter strings would garble ordinary text


class SecretMasker:
    """Replaces known secrets (a token, a password, an Authorization value) in any text.

    Servers may echo a request's headers in their error pages, so every message built from a
    server's answer passes through here before it reaches an exception or the terminal.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: list[str] = []
        self._lock = threading.Lock()  # upload threads add renewed tokens while others mask
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Also mask these (longest first, so that no part of a longer secret survives)."""
        with self._lock:
            found = {s for s in [*self._secrets, *secrets] if len(s) >= _SHORTEST_SECRET}
            self._secrets = sorted(found, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        """``text`` without any known secret and without credentials in URLs."""
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return redact_credentials(text)
