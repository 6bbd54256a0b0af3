"""Trusted publishing: GitHub's token endpoint and warehouse's audience and mint endpoints, locally.

GitHub's OIDC endpoint is a local server that speaks its protocol (bearer request token in,
``{"value": jwt}`` out); the strict index serves ``/_/oidc/audience`` and ``/_/oidc/mint-token``
the way warehouse does, minting its upload token only for the one registered identity.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests import distfactory as make
from tests.servers import serve
from tests.strict_index import IndexState, strict_index
from tests.support import Run, run_releasekit

UPLOAD_TOKEN = "pypi-AgEIcHlwaS5vcmcCJG1pbnRlZC1ieS10cnVzdGVkLXB1Ymxpc2hpbmc"
REQUEST_TOKEN = "gh-request-token-0123456789abcdef"


def jwt(audience: str, subject: str = "repo:acme-corp/widgets:environment:pypi") -> str:
    """An identity token shaped like GitHub's (the index here compares it whole)."""

    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    claims: dict[str, object] = {
        "aud": audience,
        "sub": subject,
        "iss": "https://token.actions.githubusercontent.com",
    }
    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


@contextmanager
def github_token_endpoint(audiences: list[str]) -> Iterator[str]:
    """GitHub's ACTIONS_ID_TOKEN_REQUEST_URL: a bearer request token buys a JWT for an audience."""
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # the base's name
            """Keep test output quiet."""

        def do_GET(self) -> None:  # the name http.server dispatches to
            audience = parse_qs(urlsplit(self.path).query).get("audience", [""])[0]
            if self.headers.get("Authorization") != f"bearer {REQUEST_TOKEN}":
                status, body = 403, b'{"message": "bad request token"}'
            else:
                with lock:
                    audiences.append(audience)
                status, body = 200, json.dumps({"value": jwt(audience)}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    with serve(Handler) as url:
        yield url + "token"


def trusted_index() -> IndexState:
    return IndexState(token=UPLOAD_TOKEN, oidc_audience="pypi", trusted_identity=jwt("pypi"))


def publish(tmp_path: Path, index: str, *args: str, env: dict[str, str]) -> Run:
    return run_releasekit(
        tmp_path,
        "-vv",
        "publish",
        "--repository-url",
        index + "legacy/",
        *args,
        env={"RELEASEKIT_INDEX_URL": index + "simple/", **env},
    )


def assert_no_secret(run: Run, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in run.stdout
        assert secret not in run.stderr


def test_github_actions_identity_is_traded_for_an_upload_token(tmp_path: Path) -> None:
    files = make.release(tmp_path / "dist", wheels=2)
    audiences: list[str] = []
    with (
        github_token_endpoint(audiences) as endpoint,
        strict_index(trusted_index()) as (url, state),
    ):
        run = publish(
            tmp_path,
            url,
            env={
                "GITHUB_ACTIONS": "true",
                "ACTIONS_ID_TOKEN_REQUEST_URL": endpoint,
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN": REQUEST_TOKEN,
            },
        )
    assert run.returncode == 0, run.stderr
    assert audiences == ["pypi"]
    assert sorted(state.stored) == sorted(f.name for f in files)
    assert state.used_identities == [jwt("pypi")]
    assert "Minting an upload token with trusted publishing" in run.stderr
    assert "credentials from trusted publishing" in run.stderr
    assert_no_secret(run, UPLOAD_TOKEN, jwt("pypi"), REQUEST_TOKEN)


def test_gitlab_id_token_from_the_environment(tmp_path: Path) -> None:
    make.release(tmp_path / "dist", wheels=1)
    with strict_index(trusted_index()) as (url, state):
        run = publish(tmp_path, url, env={"GITLAB_CI": "true", "PYPI_ID_TOKEN": jwt("pypi")})
    assert run.returncode == 0, run.stderr
    assert len(state.stored) == 2
    assert_no_secret(run, UPLOAD_TOKEN, jwt("pypi"))


def test_missing_id_token_permission_is_one_line(tmp_path: Path) -> None:
    make.release(tmp_path / "dist", wheels=1)
    with strict_index(trusted_index()) as (url, state):
        run = run_releasekit(
            tmp_path,
            "publish",
            "--repository-url",
            url + "legacy/",
            env={"GITHUB_ACTIONS": "true", "RELEASEKIT_INDEX_URL": url + "simple/"},
        )
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert lines[-1].startswith("error: trusted publishing: no identity token from CI: ")
    assert "ACTIONS_ID_TOKEN_REQUEST_TOKEN environment variable was unset" in lines[-1]
    assert "needs 'permissions: id-token: write'" in lines[-1]
    assert "Traceback" not in run.stderr
    assert state.posts == 0


def test_unregistered_publisher_shows_warehouse_reason(tmp_path: Path) -> None:
    make.release(tmp_path / "dist", wheels=1)
    state = trusted_index()
    state.trusted_identity = jwt("pypi", subject="repo:someone-else/widgets")
    with strict_index(state) as (url, _):
        run = publish(tmp_path, url, env={"GITLAB_CI": "true", "PYPI_ID_TOKEN": jwt("pypi")})
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: {url}_/oidc/mint-token: the index refused the identity: ")
    assert "invalid-publisher: valid token, but no corresponding publisher" in last
    assert "PYPI_PUBLISHING_GUIDE.md" in last
    assert state.stored == []
    assert_no_secret(run, jwt("pypi"))


def test_index_without_trusted_publishing(tmp_path: Path) -> None:
    make.release(tmp_path / "dist", wheels=1)
    with strict_index(IndexState(token=UPLOAD_TOKEN)) as (url, state):
        run = publish(tmp_path, url, env={"GITLAB_CI": "true", "PYPI_ID_TOKEN": jwt("pypi")})
    assert run.returncode == 1
    assert "the index does not offer trusted publishing (Trusted publishing functionality" in (
        run.stderr
    )
    assert state.posts == 0


def test_never_and_outside_ci_do_not_mint(tmp_path: Path) -> None:
    make.release(tmp_path / "dist", wheels=1)
    with strict_index(trusted_index()) as (url, state):
        never = publish(
            tmp_path,
            url,
            "--trusted-publishing",
            "never",
            env={"GITLAB_CI": "true", "PYPI_ID_TOKEN": jwt("pypi")},
        )
        outside = publish(tmp_path, url, env={"PYPI_ID_TOKEN": jwt("pypi")})
    assert never.returncode == 1
    assert outside.returncode == 1
    assert state.used_identities == []
    assert state.stored == []


def test_always_replaces_a_configured_token(tmp_path: Path) -> None:
    make.release(tmp_path / "dist", wheels=1)
    with strict_index(trusted_index()) as (url, state):
        run = publish(
            tmp_path,
            url,
            "--trusted-publishing",
            "always",
            env={
                "GITLAB_CI": "true",
                "PYPI_ID_TOKEN": jwt("pypi"),
                "RELEASEKIT_TOKEN": "pypi-a-stale-long-lived-token-000000",
            },
        )
    assert run.returncode == 0, run.stderr
    assert len(state.stored) == 2
    assert all(UPLOAD_TOKEN in base64.b64decode(a[6:]).decode() for a in state.authorizations)
