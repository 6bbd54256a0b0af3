"""One file to the legacy upload API: streamed, retried with care, answered in plain words.

Connection errors, timeouts, 5xx and 429 are retried with exponential backoff and jitter,
honouring ``Retry-After``. Each attempt runs under an overall deadline that grows with the file's
size (``index.deadline``): a server that trickles its answer is cut off like a silent one, and
that counts as an ordinary failure. An attempt that failed after the request went out may still
have landed, so before sending the file again the index is asked for it by hash; that is what
lets every file land exactly once. A 4xx is final: the server's own message is shown (JSON errors
are asked for; a status line without a reason sends us to the body) with a hint for the
statuses people meet most. Every message passes through the secret masker first.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Mapping
from http import HTTPStatus
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import urljoin

from releasekit import __version__
from releasekit.errors import ReleaseError
from releasekit.index.deadline import (
    DeadlinePassed,
    RequestAborted,
    Timeouts,
    aborting,
    deadline,
    guarded_pool,
)
from releasekit.index.http import ConnectFailed, HTTPError, TLSFailed, retry_after
from releasekit.index.multipart import MultipartBody
from releasekit.index.server_text import readable, shorten, without_controls
from releasekit.index.target import Credentials, Target
from releasekit.records import frozen
from releasekit.redaction import SecretMasker

Status = Literal["uploaded", "skipped", "failed"]
# What a lookup by file name says: the sha256 the index serves, "" for a file it serves
# without a hash, None for no such file. It raises IndexLookupError when it cannot tell.
Lookup = Callable[[str], "str | None"]
REUSE_HELP = "https://pypi.org/help/#file-name-reuse"
_RETRY_STATUSES = {429, 500, 502, 503, 504}
_SUCCESS, _REDIRECT = 2, 3  # status classes
_MESSAGE_LIMIT = 300
INTERRUPTED = "interrupted while in flight; it may have landed"


@frozen
class RetryPolicy:
    """How often and how long to wait: exponential backoff with jitter, capped."""

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 300.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before attempt ``attempt + 1``; the server's wish wins when given."""
        if retry_after is not None:
            return retry_after
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311  # jitter, not crypto


@frozen
class Outcome:
    """How one upload ended."""

    status: Status
    message: str | None = None
    attempts: int = 1


@frozen
class UploadEvents:
    """Callbacks for progress: bytes of the file sent, a retry about to wait, a request done."""

    progress: Callable[[int], None]
    retrying: Callable[[int, float, str], None]
    detail: Callable[[str], None]


class Login(Protocol):
    """Credentials that can be renewed: a trusted-publishing token (see ``index.oidc``)."""

    def credentials(self) -> Credentials:
        """The credentials to send now (renewed first when they are about to expire)."""
        ...

    def renew(self, refused: Credentials) -> Credentials | None:
        """New credentials after ``refused`` was refused at its expiry; ``None``: no use."""
        ...


class _Expired(Exception):
    """A 403 with renewable credentials: perhaps only because the token ran out."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.message)
        self.outcome = outcome


class _Cancelled(Exception):
    """The command is being interrupted: no further attempt, lookup or pause."""


class _Retryable(Exception):
    """An attempt failed in a way that a later attempt may not; ``landed``: may have arrived."""

    def __init__(self, reason: str, *, landed: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.landed = landed
        self.retry_after = retry_after


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds, from either of its forms (seconds or an HTTP date)."""
    return retry_after(value)


class Answer(Protocol):
    """What ``server_message`` reads of an answer (``index.http.Response``, or urllib3's)."""

    @property
    def status(self) -> int:
        """The HTTP status."""
        ...

    @property
    def reason(self) -> str | None:
        """The status line's reason, as the server wrote it (HTTP/2 has none)."""
        ...

    @property
    def headers(self) -> Mapping[str, str]:
        """The headers, names in any case."""
        ...

    @property
    def data(self) -> bytes:
        """The whole body."""
        ...


def server_message(response: Answer, mask: Callable[[str], str] = lambda text: text) -> str:
    """What the server said, as one short line: its JSON ``message``, its reason, or its body.

    An HTML body is reduced to its title and main text; terminal escapes and other control
    characters are removed from all of it, since any of it may come from a hostile server.
    ``mask`` removes secrets before anything is cut, so that no part of one survives a cut.
    """
    if "json" in response.headers.get("Content-Type", ""):
        try:
            data = json.loads(response.data)
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("message"), str):
            text = without_controls(mask(str(data["message"]))).strip()
            return shorten(" ".join(text.split()), _MESSAGE_LIMIT)
    reason = without_controls(mask(response.reason or "")).strip()
    try:
        standard = HTTPStatus(response.status).phrase
    except ValueError:
        standard = ""
    if reason and reason != standard:
        return shorten(reason, _MESSAGE_LIMIT)
    text = readable(mask((response.data or b"").decode("utf-8", "replace")), _MESSAGE_LIMIT)
    return text or reason or standard or "no message"


def _hint(status: int, message: str, target: Target) -> str | None:
    """What to do about a final answer, for the statuses people meet most."""
    lowered = message.lower()
    if "already exists" in lowered or "previously used" in lowered:
        return (
            "a file name is never accepted twice, even after deletion; release a new version "
            f"({REUSE_HELP}); --skip-existing skips files that are identical"
        )
    if "14 days" in lowered:
        return "release a new version instead"
    if "non-user identities cannot create new projects" in lowered:
        return (
            "the project does not exist on this index yet, and a trusted publisher registered on "
            "another project cannot create it: register a pending publisher for this project "
            "name (PyPI: https://pypi.org/manage/account/publishing/) and run again"
        )
    credentials = target.credentials
    if status == HTTPStatus.UNAUTHORIZED and credentials is None:
        return (
            "the index wants credentials and none were sent: set RELEASEKIT_TOKEN (or "
            "RELEASEKIT_USERNAME and RELEASEKIT_PASSWORD), or add them to ~/.pypirc"
        )
    if status in {HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN} and credentials is not None:
        what = "token" if credentials.username == "__token__" else "username and password"
        return (
            f"the index refused the {what} from {credentials.source or 'the configuration'}; "
            "check that it belongs to this index, is current, and is scoped to this project "
            "(a project-scoped token cannot create a new project; PyPI wants username __token__)"
        )
    if status == HTTPStatus.FORBIDDEN:
        return (
            "the index refused the upload without credentials: set RELEASEKIT_TOKEN (or "
            "RELEASEKIT_USERNAME and RELEASEKIT_PASSWORD), or add them to ~/.pypirc"
        )
    if status == HTTPStatus.NOT_FOUND:
        return "check the repository URL; uploads go to the upload URL, not the simple index"
    if status == HTTPStatus.METHOD_NOT_ALLOWED:
        return (
            "this address does not take uploads; it looks like a simple (download) URL: use the "
            "upload URL (PyPI: https://upload.pypi.org/legacy/; pypiserver: its root URL)"
        )
    if status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE:
        return "the file is larger than this index accepts"
    if target.is_pypi and status == HTTPStatus.BAD_REQUEST:
        return "fix what PyPI names, rebuild, and check with: releasekit check"
    return None


class Uploader:
    """Uploads files to one target over a shared connection pool (safe to use from threads)."""

    def __init__(
        self,
        target: Target,
        *,
        jobs: int,
        masker: SecretMasker,
        policy: RetryPolicy | None = None,
        lookup: Lookup | None = None,
        sleep: Callable[[float], None] | None = None,
        login: Login | None = None,
        timeouts: Timeouts | None = None,
    ) -> None:
        self.target = target
        # A minted token is renewed through ``login``; stored credentials are sent as they are.
        self.login = login
        self.masker = masker
        self.policy = policy or RetryPolicy()
        self.lookup = lookup
        self.timeouts = timeouts or Timeouts()
        self._stop = threading.Event()
        # The pause before a retry ends early when the command is interrupted.
        self._sleep = sleep or self._stop.wait
        self._pool = guarded_pool(
            maxsize=max(1, jobs), ca_certs=target.ca_cert, cert_file=target.client_cert
        )
        self._headers = {
            "Accept": "application/json",
            "User-Agent": f"releasekit/{__version__}",
        }

    def stop(self) -> None:
        """No new attempt, lookup or pause from now on (the requests in flight are cut apart)."""
        self._stop.set()

    def _check_stopped(self) -> None:
        if self._stop.is_set() or aborting():
            raise _Cancelled

    def upload(self, path: Path, fields: list[tuple[str, str]], events: UploadEvents) -> Outcome:
        """Send ``path`` with its form ``fields`` until it lands, fails for good, or runs out.

        An interrupt (``stop``, or ``deadline.abort_requests``) ends it at once with a failed
        outcome whose message is ``INTERRUPTED``.
        """
        state = {"attempt": 1}
        try:
            return self._upload(path, fields, events, state)
        except (_Cancelled, RequestAborted):
            return Outcome("failed", INTERRUPTED, state["attempt"])

    def _upload(
        self,
        path: Path,
        fields: list[tuple[str, str]],
        events: UploadEvents,
        state: dict[str, int],
    ) -> Outcome:
        """The retry loop of ``upload``; ``state["attempt"]`` follows the attempt number."""
        uncertain = False
        renewed = False  # a token is renewed after a refusal once per upload, at most
        attempt = 1
        while True:
            state["attempt"] = attempt
            self._check_stopped()
            if uncertain:
                confirmed = self._confirmed(path.name, dict(fields)["sha256_digest"], events)
                if confirmed is not None:
                    return Outcome(confirmed[0], confirmed[1], attempt - 1)
            try:
                credentials = self._credentials()
            except ReleaseError as exc:
                reason = f"could not renew the upload token: {exc.one_line()}"
                return Outcome("failed", self.masker(reason), attempt)
            try:
                return self._attempt(
                    path,
                    fields,
                    events,
                    attempt,
                    resent=uncertain,
                    credentials=credentials,
                    renewable=not renewed,
                )
            except _Expired as refused:
                fresh = self._renewed(credentials, refused.outcome)
                if isinstance(fresh, Outcome):
                    return fresh
                renewed = True
                events.detail(f"{path.name}: renewed the upload token after a 403; sending again")
                attempt += 1
            except _Retryable as failure:
                uncertain = uncertain or failure.landed
                if attempt >= self.policy.attempts:
                    tries = f"{attempt} attempts" if attempt > 1 else "1 attempt"
                    return Outcome("failed", f"gave up after {tries}: {failure.reason}", attempt)
                if (failure.retry_after or 0) > self.policy.max_retry_after:
                    return Outcome(
                        "failed",
                        f"{failure.reason}; the index asks to wait {failure.retry_after:.0f} s, "
                        "try again later",
                        attempt,
                    )
                wait = self.policy.delay(attempt, failure.retry_after)
                self._check_stopped()
                events.retrying(attempt, wait, failure.reason)
                self._sleep(wait)
                attempt += 1

    def _credentials(self) -> Credentials | None:
        """What to send now: the login's current token (masked before use), or the stored one."""
        if self.login is None:
            return self.target.credentials
        credentials = self.login.credentials()
        self.masker.add(credentials.secrets())
        return credentials

    def _renewed(self, refused: Credentials | None, outcome: Outcome) -> Credentials | Outcome:
        """A new token after a 403 at the old one's expiry, or the refusal as it stands."""
        if self.login is None or refused is None:
            return outcome
        try:
            fresh = self.login.renew(refused)
        except ReleaseError as exc:
            reason = f"{outcome.message}; renewing the upload token failed: {exc.one_line()}"
            return Outcome("failed", self.masker(reason), outcome.attempts)
        if fresh is None:
            return outcome
        self.masker.add(fresh.secrets())
        return fresh

    def _confirmed(self, name: str, sha256: str, events: UploadEvents) -> tuple[Status, str] | None:
        """After an attempt that may have landed: is the file there already, and is it ours."""
        if self.lookup is None:
            return None
        try:
            served = self.lookup(name)
        except ReleaseError as exc:  # the lookup failed: all we can do is send it again
            events.detail(self.masker(f"could not look {name} up before resending: {exc}"))
            return None
        if served is None:
            return None
        if served.lower() == sha256:
            return "uploaded", "an earlier attempt had landed; confirmed by hash"
        return "failed", (
            f"the index now serves another file of this name (sha256 {served[:12]}...); "
            "an earlier attempt did not land and something else did"
        )

    def _attempt(
        self,
        path: Path,
        fields: list[tuple[str, str]],
        events: UploadEvents,
        attempt: int,
        *,
        resent: bool,
        credentials: Credentials | None = None,
        renewable: bool = False,
    ) -> Outcome:
        """One request; a final answer returns, a retryable one raises ``_Retryable``.

        A 403 raises ``_Expired`` when ``renewable`` and the credentials come from a login.
        """
        body = MultipartBody(fields, path, progress=events.progress)
        headers = {
            **self._headers,
            "Content-Type": body.content_type,
            "Content-Length": str(body.length),
        }
        if credentials is not None:
            headers["Authorization"] = credentials.authorization()
        url = self.target.upload_url
        started = time.monotonic()
        size = path.stat().st_size
        try:
            with deadline(self.timeouts.upload_deadline(size)):
                response = self._pool.request(
                    "POST",
                    url,
                    body=body.small() or body,
                    headers=headers,
                    timeout=self.timeouts.socket_timeouts(),
                )
        except DeadlinePassed as exc:
            reason = (
                f"{exc} ({self.timeouts.explain_upload(size)}); raise request-timeout or lower "
                "min-upload-speed for a slow link"
            )
            raise _Retryable(reason, landed=True) from exc
        except TLSFailed as exc:
            return Outcome(
                "failed",
                self.masker(f"TLS failed: {exc}; set ca_cert in ~/.pypirc for a private CA"),
                attempt,
            )
        except ConnectFailed as exc:
            raise _Retryable(self.masker(str(exc)), landed=False) from exc
        except HTTPError as exc:
            reason = self.masker(f"connection failed: {exc.__cause__ or exc}")
            raise _Retryable(reason, landed=True) from exc
        message = self.masker(server_message(response, self.masker))
        seconds = time.monotonic() - started
        events.detail(
            f"POST {self.masker(url)} {path.name}: {response.status} {message} ({seconds:.2f} s)"
        )
        status = response.status
        if status // 100 == _SUCCESS:
            return Outcome("uploaded", None, attempt)
        if status in _RETRY_STATUSES:
            raise _Retryable(
                f"{status} {message}",
                landed=status != HTTPStatus.TOO_MANY_REQUESTS,
                retry_after=_retry_after(response.headers.get("Retry-After")),
            )
        if status // 100 == _REDIRECT:
            location = self.masker(urljoin(url, response.headers.get("Location", "")))
            hint = (
                f"use {location} (with the trailing slash)"
                if location == url + "/"
                else f"use {location} as the repository URL if you trust it"
            )
            return Outcome(
                "failed",
                f"the index redirects to {location} (credentials are never sent on); {hint}",
                attempt,
            )
        if resent and "already exists" in message.lower():
            message += " (an earlier attempt may have landed; check the index)"
        advice = _hint(status, message, self.target)
        text = f"{status} {message}" + (f"; {advice}" if advice else "")
        outcome = Outcome("failed", self.masker(text), attempt)
        if status == HTTPStatus.FORBIDDEN and renewable and self.login is not None:
            raise _Expired(outcome)
        return outcome
