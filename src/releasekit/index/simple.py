"""Ask a package index which files a project has: PEP 691 JSON, else PEP 503 HTML.

The answer is data (filename, sha256, upload time), never a guess from error text. An index
that cannot be asked (network, 401/403, 5xx, not a simple page) raises ``IndexLookupError``:
"could not ask" must never be mistaken for "not there". A 404 for the project page is the
index's own answer that the project has no files.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from html.parser import HTMLParser
from http import HTTPStatus
from urllib.parse import urldefrag, urljoin, urlsplit

import urllib3
from packaging.utils import canonicalize_name

from releasekit.errors import ConfigError, ReleaseError
from releasekit.redaction import redact_credentials

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
ACCEPT = f"{JSON_TYPE}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1"
KNOWN_INDEXES = {
    "pypi": "https://pypi.org/simple/",
    "testpypi": "https://test.pypi.org/simple/",
}
TIMEOUT_SECONDS = 15.0


class IndexLookupError(ReleaseError):
    """The index could not be asked; its files are unknown, not absent (exit 1)."""


@dataclass(frozen=True)
class IndexFile:
    """One file the index serves for a project."""

    filename: str
    sha256: str | None
    upload_time: datetime.datetime | None


class _AnchorParser(HTMLParser):
    """Collects (href, text) of every anchor in a PEP 503 page."""

    def __init__(self) -> None:
        super().__init__()
        self.anchors: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href") or ""
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.anchors.append((self._href, "".join(self._text).strip()))
            self._href = None


def _parse_time(value: object) -> datetime.datetime | None:
    """An ISO 8601 upload time (``2026-01-02T03:04:05.123456Z``), or ``None``."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def parse_json_page(body: bytes) -> list[IndexFile]:
    """Files of a PEP 691 JSON project page."""
    data = json.loads(body)
    return [
        IndexFile(
            filename=str(entry["filename"]),
            sha256=(entry.get("hashes") or {}).get("sha256"),
            upload_time=_parse_time(entry.get("upload-time")),
        )
        for entry in data.get("files", [])
    ]


def parse_html_page(body: bytes, base_url: str) -> list[IndexFile]:
    """Files of a PEP 503 HTML project page; hashes come from ``#sha256=`` fragments."""
    parser = _AnchorParser()
    parser.feed(body.decode("utf-8", "replace"))
    files = []
    for href, text in parser.anchors:
        url, fragment = urldefrag(urljoin(base_url, href))
        name = text or url.rsplit("/", 1)[-1]
        digest = fragment.removeprefix("sha256=") if fragment.startswith("sha256=") else None
        files.append(IndexFile(filename=name, sha256=digest, upload_time=None))
    return files


def simple_url_for(repository: str, index_url: str | None) -> str:
    """The simple API base of a repository: ``index_url`` if given, else PyPI's or TestPyPI's."""
    if index_url:
        return index_url if index_url.endswith("/") else index_url + "/"
    if repository in KNOWN_INDEXES:
        return KNOWN_INDEXES[repository]
    raise ConfigError(
        f"cannot tell the simple API address of repository {repository!r}",
        hint="set index-url in [tool.releasekit] (or RELEASEKIT_INDEX_URL)",
    )


def project_files(index_url: str, project: str) -> list[IndexFile]:
    """Every file the index at ``index_url`` serves for ``project``; [] when it has none."""
    url = urljoin(index_url, f"{canonicalize_name(project)}/")
    shown = redact_credentials(url)
    if urlsplit(url).scheme not in {"http", "https"}:
        raise IndexLookupError("the index URL must be http or https", where=shown)
    try:
        response = urllib3.request(
            "GET",
            url,
            headers={"Accept": ACCEPT, "User-Agent": "releasekit"},
            timeout=TIMEOUT_SECONDS,
            retries=urllib3.Retry(
                total=3, backoff_factor=0.5, status_forcelist=(429, 500, 502, 503, 504)
            ),
        )
    except urllib3.exceptions.HTTPError as exc:
        raise IndexLookupError(
            f"could not ask the index: {redact_credentials(str(exc.__cause__ or exc))}",
            where=shown,
            hint="check the address and the network; the files' presence is unknown",
        ) from exc
    if response.status == HTTPStatus.NOT_FOUND:
        return []
    if response.status != HTTPStatus.OK:
        raise IndexLookupError(
            f"the index answered {response.status}",
            where=shown,
            hint="check the address and your access; the files' presence is unknown",
        )
    content_type = response.headers.get("Content-Type", "")
    try:
        if content_type.startswith(JSON_TYPE) or content_type.startswith("application/json"):
            return parse_json_page(response.data)
        return parse_html_page(response.data, url)
    except (ValueError, KeyError, TypeError) as exc:
        raise IndexLookupError(
            f"the index sent a page that is not a simple API page: {exc}", where=shown
        ) from exc
