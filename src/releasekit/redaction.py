"""Remove credentials from anything that may reach a user: URLs in messages above all."""

from __future__ import annotations

import html
import json
import re
import threading
from collections.abc import Iterable

# `scheme://user:password@host`: the userinfo part is dropped.
_URL_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]+@")
# Query parameter names that carry a credential (`?token=...`, `&api_key=...`), as a word of
# the name: `access_token` and `X-Auth` are, `design` and `keyword` are not.
_CREDENTIAL_WORD = re.compile(
    r"(?:^|[_.-])(?:access_?token|token|password|passwd|pass|pwd|secret|api_?key|key|auth"
    r"|authorization|credentials?|sig|signature)(?:$|[_.-])",
    re.I,
)
_QUERY_VALUE = re.compile(r"(?P<name>[?&;](?P<key>[^=&#;\s?]*)=)(?P<value>[^&#;\s]*)")


def is_credential_parameter(name: str) -> bool:
    """Whether a query parameter of this name carries a credential (and must not be shown)."""
    return _CREDENTIAL_WORD.search(name) is not None


def _query_value(match: re.Match[str]) -> str:
    if match["value"] and is_credential_parameter(match["key"]):
        return match["name"] + MASK
    return match[0]


def redact_credentials(text: str) -> str:
    """``text`` without the user and password of any URL, and without credential query values."""
    text = _URL_USERINFO.sub(r"\g<scheme>", text)
    if "=" in text:
        text = _QUERY_VALUE.sub(_query_value, text)
    return text


MASK = "********"
# Shorter secrets are masked only as whole words: masking every "ab" would garble ordinary text.
_SHORTEST_ANYWHERE = 4


def _forms(char: str) -> list[str]:
    """Every way ``char`` may be written back by a server: plain, URL-encoded, JSON, HTML."""
    forms = {char, json.dumps(char)[1:-1], html.escape(char), f"&#{ord(char)};"}
    for case in (str.upper, str.lower):
        forms.add("".join(case(f"%{byte:02x}") for byte in char.encode("utf-8")))
        escaped = json.dumps(char)[1:-1]
        if escaped.startswith("\\u"):
            forms.add(case(escaped).replace("\\U", "\\u"))
        forms.add(case(f"&#x{ord(char):x};").replace("&#X", "&#x"))
    if char == " ":
        forms.add("+")
    if char == "/":
        forms.add("\\/")
    if char == "'":
        forms.add("&apos;")
    return sorted(forms, key=len, reverse=True)


def _pattern(secret: str) -> str:
    """A regular expression for ``secret`` with each character in any of its encoded forms."""
    body = "".join(
        "(?:" + "|".join(re.escape(form) for form in _forms(char)) + ")" for char in secret
    )
    if len(secret) >= _SHORTEST_ANYWHERE:
        return body
    # A short secret counts only as a whole word: no letter or digit glued to its word ends.
    before = r"(?<!\w)" if re.match(r"\w", secret[0]) else ""
    after = r"(?!\w)" if re.match(r"\w", secret[-1]) else ""
    return before + body + after


class SecretMasker:
    """Replaces known secrets (a token, a password, an Authorization value) in any text.

    Servers may echo a request's headers in their error pages, so every message built from a
    server's answer passes through here before it reaches an exception or the terminal. Each
    secret is also found URL-encoded, JSON-escaped and HTML-escaped; a secret shorter than 4
    characters only as a whole word; a secret of only spaces is not masked.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: list[str] = []
        self._regex: re.Pattern[str] | None = None
        self._lock = threading.Lock()  # upload threads add renewed tokens while others mask
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Also mask these (longest first, so that no part of a longer secret survives)."""
        with self._lock:
            found = {s for s in [*self._secrets, *secrets] if s and not s.isspace()}
            self._secrets = sorted(found, key=len, reverse=True)
            self._regex = (
                re.compile("|".join(_pattern(s) for s in self._secrets)) if found else None
            )

    def __call__(self, text: str) -> str:
        """``text`` without any known secret and without credentials in URLs."""
        regex = self._regex
        if regex is not None:
            text = regex.sub(MASK, text)
        return redact_credentials(text)
