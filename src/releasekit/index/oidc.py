"""Trusted publishing: trade the CI job's identity for a short-lived upload token, and renew it.

The exchange follows warehouse's protocol: ask the index which audience it wants
(``/_/oidc/audience``), get an identity token for that audience from the CI service (the ``id``
library knows GitHub Actions, GitLab, Buildkite, Google Cloud and CircleCI), and trade it at
``/_/oidc/mint-token`` for an API token that lives 15 minutes (the answer's ``expires`` says
when it ends) and can upload only to the projects this publisher is registered for. Both
endpoints live on the upload URL's own origin.

A batch of large files can outlive that token, so ``TrustedLogin`` renews it: before an upload
starts when less than a minute (or a tenth of its life, for short-lived tokens) remains, and
once after the index refused it with 403 because it had run out. Uploads run in threads: one
mint happens at a time, and the others wait for it and use its token. The identity token and
every minted token are secrets: each goes to ``remember`` before anything can use it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Literal
from urllib.parse import urlsplit

from releasekit.errors import ConfigError, ReleaseError
from releasekit.index.http import HTTPError, Pool, Response, Retry
from releasekit.index.target import Credentials, Target, is_loopback
from releasekit.records import field, frozen, replace

Mode = Literal["auto", "always", "never"]
_CI_VARIABLES = ("GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "CIRCLECI")
GUIDE_HINT = "compare PyPI's trusted publisher with PYPI_PUBLISHING_GUIDE.md (releasekit doctor)"
# warehouse's tokens live 900 s; used when a mint answer gives no usable `expires`.
DEFAULT_LIFETIME = 900.0
# Renew when less than this many seconds, or this part of the token's life, remain.
RENEW_MARGIN = 60.0
RENEW_FRACTION = 0.1
# A request to the OIDC endpoints is tried again twice after a failed connection (a failed
# read too, for the audience's GET); no redirect is followed, least of all for a token.
_RETRIES = Retry(total=2)


class TrustedPublishingError(ReleaseError):
    """The exchange failed: no identity, the index refused, or it is not enabled (exit 1)."""


def in_ci(env: Mapping[str, str]) -> bool:
    """Whether this runs in a CI service that may offer an identity token."""
    return any(env.get(name) for name in _CI_VARIABLES) or env.get("CI", "").lower() == "true"


def wanted(mode: Mode, target: Target, env: Mapping[str, str]) -> bool:
    """``always`` insists; ``auto`` uses it in CI when nothing else is configured."""
    if mode == "always":
        return True
    return mode == "auto" and target.credentials is None and in_ci(env)


def _origin(upload_url: str) -> str:
    parts = urlsplit(upload_url)
    return f"{parts.scheme}://{parts.netloc}"


def _json(response: Response) -> dict[str, object]:
    try:
        data = json.loads(response.data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _mint_errors(body: dict[str, object]) -> list[tuple[str, str]]:
    """Warehouse's 422: ``errors`` with a code and a description each."""
    errors = body.get("errors")
    if not isinstance(errors, list):
        return []
    return [
        (str(e.get("code", "?")), str(e.get("description", "")))
        for e in errors
        if isinstance(e, dict)
    ]


def _mint_failure(body: dict[str, object]) -> str:
    """The refusal as one line: each error's code and description, or the message."""
    errors = _mint_errors(body)
    if errors:
        return "; ".join(f"{code}: {description}".strip() for code, description in errors)
    message = body.get("message")
    return str(message) if message else "no reason given"


@frozen
class MintedToken:
    """An upload token from the index, and when (this machine's clock) it stops working."""

    credentials: Credentials = field(repr=False)
    minted_at: float
    expires: float

    def due(self, now: float) -> bool:
        """Whether it is time to renew: under a minute, or a tenth of its life, remains."""
        margin = min(RENEW_MARGIN, RENEW_FRACTION * (self.expires - self.minted_at))
        return now >= self.expires - margin


class TrustedLogin:
    """The minted upload token for one target, renewed before it expires (thread-safe).

    ``credentials()`` gives the token to use now, minting or renewing it first when needed;
    ``renew(refused)`` replaces a token the index refused after it expired. A stored token
    (``RELEASEKIT_TOKEN``, ``~/.pypirc``...) never comes through here, so it is never renewed.
    """

    def __init__(
        self,
        target: Target,
        *,
        identity: Callable[[str], str | None],
        remember: Callable[[str], None],
        pool: Pool | None = None,
        project: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.origin = _origin(target.upload_url)
        if urlsplit(self.origin).scheme != "https" and not is_loopback(self.origin):
            raise ConfigError(
                "refusing trusted publishing over plain HTTP",
                where=self.origin,
                hint="use an https:// upload URL",
            )
        self._identity = identity
        self._remember = remember
        self._http = pool or Pool(ca_certs=target.ca_cert)
        self._project = project
        self._clock = clock
        self._lock = threading.Lock()
        self._audience: str | None = None
        self._last_identity: str | None = None
        self._token: MintedToken | None = None
        self.mints = 0

    def credentials(self) -> Credentials:
        """The token to send now: minted, or renewed first when its end is near."""
        token = self._token
        if token is not None and not token.due(self._clock()):
            return token.credentials
        with self._lock:  # one mint at a time; the others wait here and take its token
            token = self._token
            if token is None or token.due(self._clock()):
                token = self._token = self._mint()
            return token.credentials

    def renew(self, refused: Credentials) -> Credentials | None:
        """A new token after the index refused ``refused`` (403) at or after its expiry.

        ``None`` when ``refused`` is still well within its life: the refusal is about something
        else, and a new token would be refused the same way. When another thread renewed it
        meanwhile, that newer token is the answer.
        """
        with self._lock:
            token = self._token
            if token is None:
                return None
            if token.credentials.password != refused.password:
                return token.credentials
            if not token.due(self._clock()):
                return None
            self._token = self._mint()
            return self._token.credentials

    def _audience_wanted(self) -> str:
        """The audience the index wants in identity tokens (asked once)."""
        if self._audience is not None:
            return self._audience
        answer = self._ask("GET", f"{self.origin}/_/oidc/audience")
        offer = _json(answer)
        audience = offer.get("audience")
        if answer.status != HTTPStatus.OK or not isinstance(audience, str):
            reason = offer.get("message") or f"HTTP {answer.status}"
            raise TrustedPublishingError(
                f"the index does not offer trusted publishing ({reason})",
                where=f"{self.origin}/_/oidc/audience",
                hint="use an API token (RELEASEKIT_TOKEN) for this index",
            )
        self._audience = audience
        return audience

    def _identity_token(self, audience: str) -> str:
        """A fresh identity token from the CI service, remembered as a secret."""
        # The id library is imported only when trusted publishing is tried: most runs never need it.
        import id as ambient  # noqa: PLC0415

        try:
            token = self._identity(audience)
        except ambient.IdentityError as exc:  # the CI service has an identity but cannot give it
            raise TrustedPublishingError(
                f"no identity token from CI: {exc}",
                where="trusted publishing",
                hint="the publishing job needs 'permissions: id-token: write' "
                "(GitLab: an id_tokens entry with aud " + audience + ")",
            ) from exc
        if token is None:
            raise TrustedPublishingError(
                "no CI identity found (GitHub Actions, GitLab CI, Buildkite, Google Cloud, "
                "CircleCI)",
                where="trusted publishing",
                hint="publish from CI, or set RELEASEKIT_TOKEN to an API token",
            )
        self._remember(token)
        if token == self._last_identity:
            raise TrustedPublishingError(
                "cannot renew the upload token: the CI service gives the same identity token "
                "again, and the index accepts each one once",
                where="trusted publishing",
                hint="keep the batch within the token's life (15 minutes on PyPI), or split "
                "it over several jobs (GitLab's id_tokens are issued once per job)",
            )
        self._last_identity = token
        return token

    def _ask(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """One request to the index's OIDC endpoints; a network failure is one clear error."""
        try:
            return self._http.request(
                method, url, body=body, headers=headers, timeout=(30.0, 30.0), retries=_RETRIES
            )
        except HTTPError as exc:
            raise TrustedPublishingError(
                f"cannot reach the index: {exc}",
                where=self.origin,
                hint="check the network and run again",
            ) from exc

    def _mint(self) -> MintedToken:
        """Trade a fresh identity token for an upload token (called under the lock)."""
        identity = self._identity_token(self._audience_wanted())
        minted = self._ask(
            "POST",
            f"{self.origin}/_/oidc/mint-token",
            body=json.dumps({"token": identity}).encode(),
            headers={"Content-Type": "application/json"},
        )
        body = _json(minted)
        api_token = body.get("token")
        if minted.status != HTTPStatus.OK or not isinstance(api_token, str):
            from releasekit.index.claims import explain_refusal  # noqa: PLC0415  # failures only

            codes = {code for code, _ in _mint_errors(body)}
            raise TrustedPublishingError(
                f"the index refused the identity: {_mint_failure(body)}",
                where=f"{self.origin}/_/oidc/mint-token",
                hint=GUIDE_HINT,
                details=explain_refusal(identity, codes, self._project),
            )
        self._remember(api_token)
        self.mints += 1
        now = self._clock()
        expires = body.get("expires")
        end = float(expires) if isinstance(expires, int | float) else 0.0
        if end <= now:  # none given, or a clock far off: the documented lifetime
            end = now + DEFAULT_LIFETIME
        credentials = Credentials("__token__", api_token, source="trusted publishing")
        return MintedToken(credentials, now, end)


def exchange(
    target: Target,
    *,
    identity: Callable[[str], str | None],
    remember: Callable[[str], None],
    pool: Pool | None = None,
) -> Target:
    """``target`` with a freshly minted token; ``remember`` receives every secret first."""
    login = TrustedLogin(target, identity=identity, remember=remember, pool=pool)
    return replace(target, credentials=login.credentials())


def ambient_identity(audience: str) -> str | None:
    """The CI service's identity token for ``audience``, through the ``id`` library."""
    import id as ambient  # noqa: PLC0415  # see TrustedLogin._identity_token

    return ambient.detect_credential(audience)
