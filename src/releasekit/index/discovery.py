"""Find an index's simple API from its upload URL, by the conventions of real indexes.

twine and uv ask for the simple API address of any index but PyPI; most indexes put it at a
fixed place beside the upload URL. The candidates are derived from the upload URL's path
(docs/publish.md lists the forms), all on the upload's own origin, and probed once, in order;
the first that answers like a simple API (PEP 691 JSON with ``meta.api-version``, or a PEP 503
HTML page) is used. Nothing here guesses from error text, and a candidate that cannot be asked is
never taken: "no answer" leaves the address unknown, which callers treat as such. Each probe,
reading its answer included, is bounded by the request deadline (``index.deadline``).
"""

from __future__ import annotations

import json
from http import HTTPStatus
from urllib.parse import urljoin, urlsplit

from packaging.utils import canonicalize_name

from releasekit.index.deadline import DeadlinePassed, Timeouts, deadline, guarded_pool
from releasekit.index.http import HTTPError, Pool, Response, Retry
from releasekit.index.simple import JSON_TYPE, IndexLookupError, get_on_origin, same_origin
from releasekit.records import frozen
from releasekit.redaction import redact_credentials

PROBE_ACCEPT = f"{JSON_TYPE}, text/html;q=0.1"
# A probe is asked once: a short retry for rate limits and gateways, and a 5xx is an answer.
_PROBE_RETRY = Retry(
    total=2,
    backoff_factor=0.2,
    status_forcelist=frozenset({429, 502, 503, 504}),
    raise_on_status=False,
)
_MAX_JSON_BYTES = 4 << 20
_DEVPI_DEPTH = 2  # devpi serves an index at /<user>/<index>/


@frozen
class Candidate:
    """A place the simple API may be, and the convention that put it there."""

    url: str
    convention: str


@frozen
class Discovery:
    """The simple API found (``url`` is ``None`` when none answered) and every probe's outcome."""

    url: str | None
    convention: str | None
    tried: tuple[tuple[str, str], ...]  # (candidate URL, what it answered)

    def tried_text(self) -> str:
        """The candidates and their answers, for a one-line message."""
        return ", ".join(f"{redact_credentials(url)} ({answer})" for url, answer in self.tried)


def candidates(upload_url: str) -> list[Candidate]:
    """Where the simple API of the index at ``upload_url`` may be, most likely first."""
    parts = urlsplit(upload_url)
    base = upload_url.split("?", 1)[0].split("#", 1)[0]
    if not base.endswith("/"):
        base += "/"
    segments = [s for s in parts.path.split("/") if s]
    host = (parts.hostname or "").lower()
    found: list[Candidate] = []
    if segments[-1:] == ["legacy"]:
        found.append(Candidate(urljoin(base, "../simple/"), "warehouse: .../legacy/ -> /simple/"))
    if not segments:
        found.append(Candidate(urljoin(base, "simple/"), "pypiserver: / -> /simple/"))
    if ".codeartifact." in host and host.endswith(".amazonaws.com") and segments[:1] == ["pypi"]:
        found.append(Candidate(base + "simple/", "AWS CodeArtifact: /pypi/<repo>/ -> .../simple/"))
    if segments[-2:] == ["packages", "pypi"]:
        found.append(Candidate(base + "simple/", "GitLab: .../packages/pypi -> .../simple/"))
    if segments[-3:-1] == ["api", "pypi"]:
        found.append(Candidate(base + "simple/", "Artifactory: .../api/pypi/<repo> -> .../simple/"))
    if segments[-2:-1] == ["repository"]:
        found.append(Candidate(base + "simple/", "Nexus: .../repository/<name>/ -> .../simple/"))
    if len(segments) == _DEVPI_DEPTH and segments[-1] != "legacy":
        found.append(Candidate(base + "+simple/", "devpi: /<user>/<index>/ -> .../+simple/"))
    if not found:  # no known shape: the two places indexes put it beside the upload URL
        found.append(Candidate(base + "simple/", "the upload URL + simple/"))
        found.append(Candidate(base + "+simple/", "the upload URL + +simple/"))
    unique: dict[str, Candidate] = {}
    for candidate in found:
        unique.setdefault(candidate.url, candidate)
    return list(unique.values())


def _fetch(
    url: str, headers: dict[str, str], pool: Pool, timeouts: Timeouts
) -> tuple[Response | None, str]:
    """GET ``url``, following redirects on its own origin only; the response, or why none."""
    try:
        response = get_on_origin(
            url,
            {"Accept": PROBE_ACCEPT, **headers},
            pool,
            preload=False,
            retry=_PROBE_RETRY,
            timeouts=timeouts,
        )
    except IndexLookupError as exc:
        cause = exc.__cause__
        if isinstance(cause, HTTPError | ValueError):
            return None, f"no answer: {type(cause.__cause__ or cause).__name__}"
        return None, exc.message
    return response, str(response.status)


def _looks_simple(response: Response, *, project_page: bool) -> bool:
    """Whether a 200 answer is a simple API page (root listing, or a project's files)."""
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type in {JSON_TYPE, "application/json"}:
        body = response.read(_MAX_JSON_BYTES + 1)
        if len(body) > _MAX_JSON_BYTES:
            return content_type == JSON_TYPE
        try:
            data = json.loads(body)
        except ValueError:
            return False
        meta = data.get("meta") if isinstance(data, dict) else None
        return isinstance(meta, dict) and "api-version" in meta
    if content_type in {"text/html", "application/vnd.pypi.simple.v1+html"}:
        # A project page lists files; a root listing may be empty (a new pypiserver).
        return not project_page or b"<a " in response.read(_MAX_JSON_BYTES).lower()
    return False


def _probe(
    candidate: str,
    project: str | None,
    headers: dict[str, str],
    pool: Pool,
    timeouts: Timeouts,
) -> tuple[bool, str]:
    """Ask one candidate, its answers read within the request deadline."""
    try:
        with deadline(timeouts.request):
            return _ask(candidate, project, headers, pool, timeouts)
    except DeadlinePassed:
        return False, f"no complete answer within {timeouts.request:g} s"
    except HTTPError as exc:  # the body broke off while being read
        return False, f"no answer: {type(exc).__name__}"


def _ask(
    candidate: str,
    project: str | None,
    headers: dict[str, str],
    pool: Pool,
    timeouts: Timeouts,
) -> tuple[bool, str]:
    """Ask one candidate: the project's page first (small), its root when that is a 404."""
    if project is not None:
        page = urljoin(candidate, f"{canonicalize_name(project)}/")
        response, answer = _fetch(page, headers, pool, timeouts)
        if response is None:
            return False, answer
        try:
            if response.status == HTTPStatus.OK:
                if _looks_simple(response, project_page=True):
                    return True, "200"
                return False, "200, not a simple API page"
            if response.status != HTTPStatus.NOT_FOUND:
                return False, answer
        finally:
            response.release_conn()
    response, answer = _fetch(candidate, headers, pool, timeouts)
    if response is None:
        return False, answer
    try:
        if response.status != HTTPStatus.OK:
            return False, answer
        if _looks_simple(response, project_page=False):
            return True, "200"
        return False, "200, not a simple API page"
    finally:
        response.release_conn()


def discover(
    upload_url: str,
    project: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    pool: Pool | None = None,
    timeouts: Timeouts | None = None,
) -> Discovery:
    """Probe the candidates of ``upload_url`` once, in order; the first simple API that answers.

    ``project`` makes each probe ask for the project's page first, which is small where the
    root listing of a large index is not; a 404 there counts only if the root itself answers.
    ``headers`` (credentials) go only to the candidates, which share the upload's origin.
    """
    requester = pool or guarded_pool()
    limits = timeouts or Timeouts()
    tried: list[tuple[str, str]] = []
    for candidate in candidates(upload_url):
        if not same_origin(candidate.url, upload_url):
            continue
        ok, answer = _probe(candidate.url, project, headers or {}, requester, limits)
        tried.append((candidate.url, answer))
        if ok:
            return Discovery(candidate.url, candidate.convention, tuple(tried))
    return Discovery(None, None, tuple(tried))
