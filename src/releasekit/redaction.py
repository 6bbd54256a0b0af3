"""Remove credentials from anything that may reach a user: URLs in messages above all."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

# `scheme://user:password@host`: the userinfo part is dropped. The pattern begins with the
# literal "://" (checked afterwards to follow a scheme's character) so that the engine jumps
# from one "://" to the next: one starting at every letter took 10 ms on a 13,000-line diff.
_URL_USERINFO = re.compile(r"://(?<=[A-Za-z0-9+.-]://)[^/@\s]+@")
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
    if "://" in text:
        text = _URL_USERINFO.sub("://", text)
    if "=" in text:
        text = _QUERY_VALUE.sub(_query_value, text)
    return text


MASK = "********"
# Shorter secrets are masked only as whole words: masking every "ab" would garble ordinary text.
_SHORTEST_ANYWHERE = 4


def _forms(char: str) -> list[str]:
    """Every way ``char`` may be written back by a server: plain, URL-encoded, JSON, HTML.

    Only a command that holds a secret gets here: the modules are imported then, not by every
    command that prints.
    """
    import html  # noqa: PLC0415
    import json  # noqa: PLC0415

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


# Every form of a character other than the character itself holds one of these: %XX, &...;,
# backslash escapes, and + for a space.
_ENCODING_MARKS = ("%", "&", "\\", "+")


def _pattern(secret: str, *, encoded: bool = True) -> str:
    """A regular expression for ``secret``: each character in any of its forms, or as itself."""
    if encoded:
        body = "".join(
            "(?:" + "|".join(re.escape(form) for form in _forms(char)) + ")" for char in secret
        )
    else:
        body = re.escape(secret)
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
        self._plain: re.Pattern[str] | None = None
        self._encoded: re.Pattern[str] | None = None
        self._lock = threading.Lock()  # upload threads add renewed tokens while others mask
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Also mask these (longest first, so that no part of a longer secret survives).

        The expression for the encoded forms has an alternative per form of every character
        of every secret: for an API token's six forms, 10,000 of them, which take 50-100 ms
        to compile. It is compiled only when a text could hold an encoded form (see
        ``__call__``); the expression for the secrets as written compiles at once.
        """
        with self._lock:
            found = {s for s in [*self._secrets, *secrets] if s and not s.isspace()}
            self._secrets = sorted(found, key=len, reverse=True)
            self._plain = (
                re.compile("|".join(_pattern(s, encoded=False) for s in self._secrets))
                if found
                else None
            )
            self._encoded = None

    def _encoded_regex(self) -> re.Pattern[str] | None:
        """The expression for every form of every secret, compiled on first use."""
        with self._lock:
            if self._encoded is None and self._secrets:
                self._encoded = re.compile("|".join(_pattern(s) for s in self._secrets))
            return self._encoded

    def __call__(self, text: str) -> str:
        """``text`` without any known secret and without credentials in URLs.

        A text without ``%``, ``&``, a backslash or ``+`` can hold a secret only as written, since
        every other form has one of them: the plain expression then finds exactly what the
        full one would, in the same places.
        """
        regex = self._plain
        if regex is not None:
            if any(mark in text for mark in _ENCODING_MARKS):
                regex = self._encoded_regex() or regex
            text = regex.sub(MASK, text)
        return redact_credentials(text)
