"""Trusted publishing: trade the CI job's identity for a short-lived upload token.

The exchange follows warehouse's protocol: ask the index which audience it wants
(``/_/oidc/audience``), get an identity token for that audience from the CI service (the ``id``
library knows GitHub Actions, GitLab, Buildkite, Google Cloud and CircleCI), and trade it at
``/_/oidc/mint-token`` for an API token that lives 15 minutes and can upload only to the
projects this publisher is registered for. Both endpoints live on the upload URL's own origin.
The identity token and the minted token are secrets: the caller masks both.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from http import HTTPStatus
from typing import Literal
from urllib.parse import urlsplit

import id as ambient
import urllib3

from releasekit.errors import ConfigError, ReleaseError
from releasekit.index.target import Credentials, Target, is_loopback

Mode = Literal["auto", "always", "never"]
_CI_VARIABLES = ("GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "CIRCLECI")
GUIDE_HINT = "compare PyPI's trusted publisher with PYPI_PUBLISHING_GUIDE.md (releasekit doctor)"


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


def _json(response: urllib3.BaseHTTPResponse) -> dict[str, object]:
    try:
        data = json.loads(response.data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _mint_failure(body: dict[str, object]) -> str:
    """Warehouse's 422: ``errors`` with a code and a description each."""
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        parts = [
            f"{e.get('code', '?')}: {e.get('description', '')}".strip()
            for e in errors
            if isinstance(e, dict)
        ]
        return "; ".join(parts)
    message = body.get("message")
    return str(message) if message else "no reason given"


def exchange(
    target: Target,
    *,
    identity: Callable[[str], str | None],
    remember: Callable[[str], None],
    pool: urllib3.PoolManager | None = None,
) -> Target:
    """``target`` with a freshly minted token; ``remember`` receives every secret first."""
    origin = _origin(target.upload_url)
    if urlsplit(origin).scheme != "https" and not is_loopback(origin):
        raise ConfigError(
            "refusing trusted publishing over plain HTTP",
            where=origin,
            hint="use an https:// upload URL",
        )
    http = pool or urllib3.PoolManager(ca_certs=target.ca_cert)
    try:
        answer = http.request("GET", f"{origin}/_/oidc/audience", timeout=30.0, retries=2)
    except urllib3.exceptions.HTTPError as exc:
        raise TrustedPublishingError(
            f"cannot reach the index: {exc}", where=origin, hint="check the network and run again"
        ) from exc
    offer = _json(answer)
    audience = offer.get("audience")
    if answer.status != HTTPStatus.OK or not isinstance(audience, str):
        reason = offer.get("message") or f"HTTP {answer.status}"
        raise TrustedPublishingError(
            f"the index does not offer trusted publishing ({reason})",
            where=f"{origin}/_/oidc/audience",
            hint="use an API token (RELEASEKIT_TOKEN) for this index",
        )
    try:
        token = identity(audience)
    except ambient.IdentityError as exc:  # the CI service has an identity but cannot give it
        raise TrustedPublishingError(
            f"no identity token from CI: {exc}",
            where="trusted publishing",
            hint="the publishing job needs 'permissions: id-token: write' "
            "(GitLab: an id_tokens entry with aud " + audience + ")",
        ) from exc
    if token is None:
        raise TrustedPublishingError(
            "no CI identity found (GitHub Actions, GitLab CI, Buildkite, Google Cloud, CircleCI)",
            where="trusted publishing",
            hint="publish from CI, or set RELEASEKIT_TOKEN to an API token",
        )
    remember(token)
    try:
        minted = http.request(
            "POST",
            f"{origin}/_/oidc/mint-token",
            body=json.dumps({"token": token}).encode(),
            headers={"Content-Type": "application/json"},
            timeout=30.0,
            retries=2,
        )
    except urllib3.exceptions.HTTPError as exc:
        raise TrustedPublishingError(
            f"cannot reach the index: {exc}", where=origin, hint="check the network and run again"
        ) from exc
    body = _json(minted)
    api_token = body.get("token")
    if minted.status != HTTPStatus.OK or not isinstance(api_token, str):
        raise TrustedPublishingError(
            f"the index refused the identity: {_mint_failure(body)}",
            where=f"{origin}/_/oidc/mint-token",
            hint=GUIDE_HINT,
        )
    remember(api_token)
    return replace(
        target, credentials=Credentials("__token__", api_token, source="trusted publishing")
    )


def ambient_identity(audience: str) -> str | None:
    """The CI service's identity token for ``audience``, through the ``id`` library."""
    return ambient.detect_credential(audience)
