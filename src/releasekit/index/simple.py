"""Ask a package index which files a project has: PEP 691 JSON, else PEP 503 HTML.

The answer is data (filename, sha256, upload time), never a guess from error text. An index
that cannot be asked (network, 401/403, 5xx, not a simple page) raises ``IndexLookupError``:
"could not ask" must never be mistaken for "not there". A 404 for the project page is the
index's own answer that the project has no files.

A 200 is read as files only when it is a simple page: PEP 691 JSON with ``meta.api-version``
and a ``files`` list, or PEP 503 HTML that links to distribution files (or declares
``pypi:repository-version``). Anything else (a login page, a proxy's portal) is unknown, not
empty. Redirects are followed only within the index's own scheme, host and port.

Every lookup is bounded (``index.deadline``): a connect timeout, a limit on silence, and an
overall deadline for the lookup with its retries and redirects, so that a page that trickles
cannot hold a release up.
"""

from __future__ import annotations

import datetime
import json
from html.parser import HTMLParser
from http import HTTPStatus
from urllib.parse import urldefrag, urljoin, urlsplit

from packaging.utils import canonicalize_name

from releasekit.errors import ReleaseError
from releasekit.index.deadline import DeadlinePassed, Timeouts, deadline, guarded_pool
from releasekit.index.http import HTTPError, Pool, Response, Retry
from releasekit.records import frozen
from releasekit.redaction import redact_credentials

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
ACCEPT = f"{JSON_TYPE}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1"
MAX_REDIRECTS = 5
# Lookups are retried on rate limits and server errors, never on redirects (followed by hand).
_LOOKUP_RETRY = Retry(
    total=3, backoff_factor=0.5, status_forcelist=frozenset({429, 500, 502, 503, 504})
)
# Endings of files an index serves (PEP 503 pages link to nothing else).
DIST_SUFFIXES = (
    ".whl",
    ".tar.gz",
    ".zip",
    ".tar.bz2",
    ".tar.xz",
    ".tgz",
    ".tbz",
    ".tar",
    ".egg",
    ".exe",
    ".msi",
    ".rpm",
    ".dmg",
    ".deb",
)


class IndexLookupError(ReleaseError):
    """The index could not be asked; its files are unknown, not absent (exit 1)."""


@frozen
class IndexFile:
    """One file the index serves for a project."""

    filename: str
    sha256: str | None
    upload_time: datetime.datetime | None
    url: str | None = None


class _AnchorParser(HTMLParser):
    """Collects (href, text) of every anchor in a PEP 503 page."""

    def __init__(self) -> None:
        super().__init__()
        self.anchors: list[tuple[str, str]] = []
        self.repository_version = False  # PEP 629's <meta name="pypi:repository-version">
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta" and dict(attrs).get("name") == "pypi:repository-version":
            self.repository_version = True
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


class NotSimplePage(ValueError):
    """A 200 answer that is not a PEP 691 / PEP 503 project page."""


def parse_json_page(body: bytes, base_url: str) -> list[IndexFile]:
    """Files of a PEP 691 JSON project page; relative file URLs are resolved (devpi uses them)."""
    data = json.loads(body)
    meta = data.get("meta") if isinstance(data, dict) else None
    if not isinstance(meta, dict) or not isinstance(meta.get("api-version"), str):
        raise NotSimplePage("JSON without meta.api-version")
    entries = data.get("files", [])
    if not isinstance(entries, list):
        raise NotSimplePage("files is not a list")
    files = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("filename"), str):
            raise NotSimplePage("a file entry without a filename")
        hashes = entry.get("hashes") or {}
        digest = hashes.get("sha256") if isinstance(hashes, dict) else None
        if digest is not None and not isinstance(digest, str):
            raise NotSimplePage(f"the sha256 of {entry['filename']!r} is not a string")
        url = entry.get("url")
        files.append(
            IndexFile(
                filename=entry["filename"],
                sha256=digest,
                upload_time=_parse_time(entry.get("upload-time")),
                url=urljoin(base_url, url) if isinstance(url, str) and url else None,
            )
        )
    return files


def parse_html_page(body: bytes, base_url: str) -> list[IndexFile]:
    """Files of a PEP 503 HTML project page; hashes come from ``#sha256=`` fragments.

    A page that links to no distribution file and does not declare PEP 629's repository
    version is not a simple page (a login form, a portal) and raises ``NotSimplePage``.
    """
    parser = _AnchorParser()
    parser.feed(body.decode("utf-8", "replace"))
    files = []
    for href, text in parser.anchors:
        url, fragment = urldefrag(urljoin(base_url, href))
        name = text or url.rsplit("/", 1)[-1]
        digest = fragment.removeprefix("sha256=") if fragment.startswith("sha256=") else None
        files.append(IndexFile(filename=name, sha256=digest, upload_time=None, url=url))
    if not parser.repository_version and not any(
        f.filename.lower().endswith(DIST_SUFFIXES) for f in files
    ):
        raise NotSimplePage("HTML that links to no distribution file")
    return files


def same_origin(first: str, second: str) -> bool:
    """Whether two URLs share scheme, host and port (default ports filled in)."""
    defaults = {"http": 80, "https": 443}

    def origin(url: str) -> tuple[str, str, int | None]:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        return scheme, (parts.hostname or "").lower(), parts.port or defaults.get(scheme)

    try:
        return origin(first) == origin(second)
    except ValueError:  # a port that is not a number
        return False


def get_on_origin(
    url: str,
    headers: dict[str, str],
    pool: Pool | None,
    *,
    method: str = "GET",
    preload: bool = True,
    retry: Retry | None = None,
    timeouts: Timeouts | None = None,
) -> Response:
    """One request, retried as ``retry`` says (default: 429 and 5xx); failures raise.

    A network failure, or no answer within ``timeouts.request`` (retries and redirects
    included), raises ``IndexLookupError``. ``pool`` must come from ``deadline.guarded_pool``
    for the deadline to cut a stalled answer. With ``preload=False`` the body is read by the
    caller, outside this deadline.
    Redirects are followed only to the same scheme, host and port (credentials in ``headers``
    never leave the index); a redirect elsewhere, or a chain of more than ``MAX_REDIRECTS``,
    raises ``IndexLookupError``.
    """
    limits = timeouts or Timeouts()
    try:
        with deadline(limits.request):
            return _follow(
                url,
                headers,
                pool or guarded_pool(),
                method=method,
                preload=preload,
                retry=retry,
                limits=limits,
            )
    except DeadlinePassed as exc:
        raise IndexLookupError(
            f"the index did not answer within {limits.request:g} s (request-timeout)",
            where=redact_credentials(url),
            hint="check the address and the network, or raise request-timeout; "
            "the files' presence is unknown",
        ) from exc


def _follow(
    url: str,
    headers: dict[str, str],
    requester: Pool,
    *,
    method: str,
    preload: bool,
    retry: Retry | None,
    limits: Timeouts,
) -> Response:
    """The request of ``get_on_origin`` and its redirects on the same origin."""
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        try:
            response = requester.request(
                method,
                current,
                headers={"User-Agent": "releasekit", **headers},
                preload_content=preload,
                timeout=limits.socket_timeouts(),
                retries=retry or _LOOKUP_RETRY,
            )
        except (HTTPError, ValueError) as exc:
            raise IndexLookupError(
                f"could not ask the index: {redact_credentials(str(exc.__cause__ or exc))}",
                where=redact_credentials(current),
                hint="check the address and the network; the files' presence is unknown",
            ) from exc
        location = response.get_redirect_location()
        if not location:
            return response
        response.drain_conn()
        target = urljoin(current, location)
        if not same_origin(url, target):
            raise IndexLookupError(
                f"the index redirected to another address, {redact_credentials(target)}, "
                "which is not followed",
                where=redact_credentials(current),
                hint="use the address the index redirects to as index-url if you trust it; "
                "the files' presence is unknown",
            )
        current = target
    raise IndexLookupError(
        f"the index redirected more than {MAX_REDIRECTS} times",
        where=redact_credentials(url),
        hint="check the simple API address (index-url); the files' presence is unknown",
    )


def _index_answers(
    url: str, headers: dict[str, str], pool: Pool | None, timeouts: Timeouts
) -> bool:
    """Whether the simple API root exists; HEAD first, as PyPI's root page is huge."""
    head = get_on_origin(url, headers, pool, method="HEAD", timeouts=timeouts)
    if head.status not in {HTTPStatus.METHOD_NOT_ALLOWED, HTTPStatus.NOT_IMPLEMENTED}:
        return head.status == HTTPStatus.OK
    response = get_on_origin(url, headers, pool, preload=False, timeouts=timeouts)
    response.close()
    return response.status == HTTPStatus.OK


def _unknown(status: int, where: str) -> IndexLookupError:
    """The error for an index that answered, but not with a project page."""
    hint = "check the address and your access; the files' presence is unknown"
    if status in {HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN}:
        hint = "the index wants credentials for reading; the files' presence is unknown"
    return IndexLookupError(f"the index answered {status}", where=where, hint=hint)


def project_files(
    index_url: str,
    project: str,
    *,
    headers: dict[str, str] | None = None,
    pool: Pool | None = None,
    timeouts: Timeouts | None = None,
) -> list[IndexFile]:
    """Every file the index at ``index_url`` serves for ``project``; [] when it has none.

    A 404 for the project page means "no such project" only if the index itself answers: a
    wrong ``index_url`` 404s too, and reading that as "nothing published" would fail open.
    ``headers`` carries credentials for indexes that want them for reading; ``timeouts``
    bound each request (default: ``Timeouts()``).
    """
    limits = timeouts or Timeouts()
    url = urljoin(index_url, f"{canonicalize_name(project)}/")
    shown = redact_credentials(url)
    if urlsplit(url).scheme not in {"http", "https"}:
        raise IndexLookupError("the index URL must be http or https", where=shown)
    extra = headers or {}
    response = get_on_origin(url, {"Accept": ACCEPT, **extra}, pool, timeouts=limits)
    if response.status == HTTPStatus.NOT_FOUND:
        if not _index_answers(index_url, {"Accept": ACCEPT, **extra}, pool, limits):
            raise IndexLookupError(
                "neither the project page nor the index itself was found",
                where=redact_credentials(index_url),
                hint="check the simple API address (index-url); the files' presence is unknown",
            )
        return []
    if response.status != HTTPStatus.OK:
        raise _unknown(response.status, shown)
    content_type = response.headers.get("Content-Type", "")
    try:
        if content_type.startswith(JSON_TYPE) or content_type.startswith("application/json"):
            return parse_json_page(response.data, url)
        return parse_html_page(response.data, url)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise IndexLookupError(
            f"the index answered 200 with a page that is not a simple API page ({exc})",
            where=shown,
            hint="check the simple API address (index-url) and your access; "
            "the files' presence is unknown",
        ) from exc
