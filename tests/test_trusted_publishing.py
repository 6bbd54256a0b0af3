"""Trusted publishing: GitHub's token endpoint and warehouse's audience and mint endpoints, locally.

GitHub's OIDC endpoint is a local server that speaks its protocol (bearer request token in,
``{"value": jwt}`` out, a new token with its own ``jti`` each time); the strict index serves
``/_/oidc/audience`` and ``/_/oidc/mint-token`` the way warehouse does, minting a new upload token
that lives ``mint_lifetime`` seconds only for the one registered identity, and refusing a
minted token once it has expired.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from releasekit.index.oidc import TrustedLogin
from releasekit.index.target import Target
from tests import distfactory as make
from tests.faultproxy import ProxyState, fault_proxy
from tests.servers import serve
from tests.strict_index import IndexState, identity_claims, strict_index
from tests.support import Run, releasekit_command, run_releasekit

UPLOAD_TOKEN = "pypi-AgEIcHlwaS5vcmcCJG1pbnRlZC1ieS10cnVzdGVkLXB1Ymxpc2hpbmc"
REQUEST_TOKEN = "gh-request-token-0123456789abcdef"


def jwt(
    audience: str,
    subject: str = "repo:acme-corp/widgets:environment:pypi",
    extra: Mapping[str, object] | None = None,
) -> str:
    """An identity token shaped like GitHub's (the index compares its claims but jti and times)."""

    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    claims: dict[str, object] = {
        "aud": audience,
        "sub": subject,
        "iss": "https://token.actions.githubusercontent.com",
        **(extra or {}),
    }
    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


@contextmanager
def github_token_endpoint(
    audiences: list[str],
    *,
    claims: Mapping[str, object] | None = None,
    issued: list[str] | None = None,
    lifetime: int = 300,
) -> Iterator[str]:
    """GitHub's ACTIONS_ID_TOKEN_REQUEST_URL: a bearer request token buys a JWT for an audience.

    Each token is new (its own ``jti``) and expires ``lifetime`` seconds after it is issued;
    ``issued`` receives every token handed out.
    """
    lock = threading.Lock()
    serial = itertools.count(1)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # the base's name
            """Keep test output quiet."""

        def do_GET(self) -> None:  # the name http.server dispatches to
            audience = parse_qs(urlsplit(self.path).query).get("audience", [""])[0]
            if self.headers.get("Authorization") != f"bearer {REQUEST_TOKEN}":
                status, body = 403, b'{"message": "bad request token"}'
            else:
                now = int(time.time())
                with lock:
                    audiences.append(audience)
                    times = {"jti": f"jti-{next(serial)}", "iat": now, "exp": now + lifetime}
                    token = jwt(audience, extra={**(claims or {}), **times})
                    if issued is not None:
                        issued.append(token)
                status, body = 200, json.dumps({"value": token}).encode()
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
    """No secret anywhere but in GitHub's ``::add-mask::`` lines, which exist to hide it."""
    for line in (run.stdout + run.stderr).splitlines():
        if not line.startswith("::add-mask::"):
            assert not [secret for secret in secrets if secret in line], line


def assert_masked_first(output: str, secrets: list[str]) -> None:
    """Each secret is announced once with ``::add-mask::``, first, and never shown again.

    ``output`` is standard output and standard error as one stream, in the order written.
    """
    lines = output.splitlines()
    masks = [line.removeprefix("::add-mask::") for line in lines if line.startswith("::add-mask::")]
    assert sorted(masks) == sorted(secrets)
    for secret in secrets:
        assert output.count(secret) == 1, secret  # its own mask line, and nowhere else
        assert f"::add-mask::{secret}" == next(line for line in lines if secret in line)


def run_merged(cwd: Path, *args: str, env: Mapping[str, str]) -> str:
    """The installed command's standard output and error as one stream, in order."""
    result = subprocess.run(
        [releasekit_command(), *args],
        cwd=cwd,
        input="",
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **env},
        check=False,
        timeout=120,
    )
    return f"{result.returncode}\n{result.stdout}"


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
    assert [identity_claims(i) for i in state.used_identities] == [identity_claims(jwt("pypi"))]
    assert "Minting an upload token with trusted publishing" in run.stderr
    assert "credentials from trusted publishing" in run.stderr
    assert_no_secret(run, UPLOAD_TOKEN, *state.used_identities, REQUEST_TOKEN)
    assert sorted(run.stdout.splitlines()[:2]) == sorted(
        f"::add-mask::{secret}" for secret in [*state.used_identities, *state.minted]
    )


def test_gitlab_id_token_from_the_environment(tmp_path: Path) -> None:
    make.release(tmp_path / "dist", wheels=1)
    with strict_index(trusted_index()) as (url, state):
        run = publish(
            tmp_path,
            url,
            env={"GITLAB_CI": "true", "PYPI_ID_TOKEN": jwt("pypi"), "GITHUB_ACTIONS": ""},
        )
    assert run.returncode == 0, run.stderr
    assert len(state.stored) == 2
    assert_no_secret(run, UPLOAD_TOKEN, jwt("pypi"))
    assert "::add-mask::" not in run.stdout + run.stderr  # only GitHub Actions reads these


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


def github_env(endpoint: str) -> dict[str, str]:
    return {
        "GITHUB_ACTIONS": "true",
        "ACTIONS_ID_TOKEN_REQUEST_URL": endpoint,
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": REQUEST_TOKEN,
    }


def test_slow_batch_renews_the_expired_token_and_every_file_lands_once(tmp_path: Path) -> None:
    """Uploads held past the token's expiry get a 403, renew it once and land on the resend."""
    files = make.release(tmp_path / "dist", wheels=3)
    state = trusted_index()
    state.mint_lifetime = 3  # seconds; the proxy holds the first two uploads for 4
    issued: list[str] = []
    with (
        github_token_endpoint([], issued=issued) as endpoint,
        strict_index(state) as (url, _),
        fault_proxy(url, ProxyState(faults=["ok", "slow:4", "slow:4"])) as (proxy, faults),
    ):
        output = run_merged(
            tmp_path,
            "-vv",
            "publish",
            "--jobs",
            "2",
            "--repository-url",
            proxy + "legacy/",
            env={"RELEASEKIT_INDEX_URL": proxy + "simple/", **github_env(endpoint)},
        )
    code, _, text = output.partition("\n")
    assert code == "0", text
    assert faults.applied[:3] == ["ok", "slow:4", "slow:4"]  # the first mint, then two held
    assert sorted(state.stored) == sorted(f.name for f in files)  # each file once
    assert state.posts == len(files) + 2  # the two refused uploads were sent once more each
    assert set(state.accepted_with.values()) <= set(state.minted)  # the index checked expiry
    assert len(state.minted) >= 2  # one renewal for both threads (more only on a slow machine)
    assert text.count("renewed the upload token after a 403; sending again") == 2
    assert_masked_first(text, [*issued, *state.minted])


def test_stored_token_is_never_renewed(tmp_path: Path) -> None:
    """A 403 for RELEASEKIT_TOKEN stays a 403, even where trusted publishing could mint."""
    make.release(tmp_path / "dist", wheels=1)
    state = trusted_index()
    expired = f"{UPLOAD_TOKEN}-0"
    state.minted[expired] = time.time() - 1  # a minted token, run out, kept as a stored one
    audiences: list[str] = []
    with github_token_endpoint(audiences) as endpoint, strict_index(state) as (url, _):
        run = publish(tmp_path, url, env={**github_env(endpoint), "RELEASEKIT_TOKEN": expired})
    assert run.returncode == 1
    assert "403 Invalid API Token: token is expired; the index refused the token from " in (
        run.stdout
    )
    assert audiences == []
    assert state.used_identities == []
    assert state.posts == 1
    assert state.stored == []
    assert "::add-mask::" not in run.stdout  # GitHub masks its stored secrets itself
    assert_no_secret(run, expired)


REUSABLE_PULL_REQUEST = {
    "repository": "acme-corp/widgets",
    "repository_owner": "acme-corp",
    "repository_owner_id": "1234",
    "job_workflow_ref": "acme-corp/widgets/.github/workflows/upload.yml@refs/pull/7/merge",
    "workflow_ref": "acme-corp/widgets/.github/workflows/ci.yml@refs/pull/7/merge",
    "ref": "refs/pull/7/merge",
    "sha": "0123abcd",
    "event_name": "pull_request",
}


def test_refused_mint_shows_the_claims_the_form_values_and_the_causes(tmp_path: Path) -> None:
    """A refusal lists the compared claims, the values to register, and names the causes."""
    make.release(tmp_path / "dist", wheels=1)
    issued: list[str] = []
    with (
        github_token_endpoint([], claims=REUSABLE_PULL_REQUEST, issued=issued) as endpoint,
        strict_index(trusted_index()) as (url, state),
    ):
        run = publish(tmp_path, url, env=github_env(endpoint))
    assert run.returncode == 1
    *details, last = run.stderr.strip().splitlines()
    assert last.startswith(f"error: {url}_/oidc/mint-token: the index refused the identity: ")
    assert "invalid-publisher: valid token, but no corresponding publisher" in last
    shown = details[details.index(next(d for d in details if d.startswith("Claims"))) :]
    assert shown[:8] == [
        "Claims of the identity token that the index compared (GitHub Actions):",
        "  repository        acme-corp/widgets",
        "  repository_owner  acme-corp",
        "  job_workflow_ref  acme-corp/widgets/.github/workflows/upload.yml@refs/pull/7/merge",
        "  workflow_ref      acme-corp/widgets/.github/workflows/ci.yml@refs/pull/7/merge",
        "  environment       (absent)",
        "  ref               refs/pull/7/merge",
        "  event_name        pull_request",
    ]
    assert shown[8:14] == [
        "A trusted publisher matches this run with these values (GitHub tab of the form):",
        "  PyPI Project Name  demo-pkg (pending publisher only)",
        "  Owner              acme-corp",
        "  Repository name    widgets",
        "  Workflow name      upload.yml",
        "  Environment name   (leave empty: the job has no environment)",
    ]
    causes = "\n".join(shown[14:])
    assert causes.startswith("Likely causes:\n  - the job runs in a called (reusable) workflow: ")
    assert "matches the called file 'upload.yml' (job_workflow_ref), not the calling 'ci.yml'" in (
        causes
    )
    assert "triggered by pull_request" in causes
    assert "the token names no environment" in causes
    assert state.stored == []
    assert_no_secret(run, *issued, REQUEST_TOKEN)
    assert [line for line in run.stdout.splitlines() if line.startswith("::add-mask::")] == [
        f"::add-mask::{issued[0]}"
    ]


def test_pending_publisher_refusal_shows_gitlab_claims_and_the_project(tmp_path: Path) -> None:
    """GitLab's claims, its form's values and the pending-publisher cause, with the name."""
    make.release(tmp_path / "dist", wheels=1)
    identity = jwt(
        "pypi",
        subject="project_path:acme/widgets:ref_type:tag:ref:v1.0.0",
        extra={
            "iss": "https://gitlab.com",
            "project_path": "acme/widgets",
            "ci_config_ref_uri": "gitlab.com/acme/widgets//.gitlab-ci.yml@refs/tags/v1.0.0",
            "ref_path": "refs/tags/v1.0.0",
            "environment": "pypi",
        },
    )
    state = trusted_index()
    state.trusted_identity = identity
    state.mint_error = ("invalid-pending-publisher", "valid token, but project already exists")
    with strict_index(state) as (url, _):
        run = publish(
            tmp_path,
            url,
            env={"GITLAB_CI": "true", "PYPI_ID_TOKEN": identity, "GITHUB_ACTIONS": ""},
        )
    assert run.returncode == 1
    *details, last = run.stderr.strip().splitlines()
    assert "invalid-pending-publisher: valid token, but project already exists" in last
    start = details.index("Claims of the identity token that the index compared (GitLab CI):")
    assert details[start + 1 : start + 12] == [
        "  project_path       acme/widgets",
        "  ci_config_ref_uri  gitlab.com/acme/widgets//.gitlab-ci.yml@refs/tags/v1.0.0",
        "  environment        pypi",
        "  ref_path           refs/tags/v1.0.0",
        "A trusted publisher matches this run with these values (GitLab tab of the form):",
        "  PyPI Project Name             demo-pkg (pending publisher only)",
        "  Namespace                     acme",
        "  Project name                  widgets",
        "  Top-level pipeline file path  .gitlab-ci.yml",
        "  Environment name              pypi",
        "Likely causes:",
    ]
    assert "names another project than demo-pkg" in details[start + 12]
    assert "::add-mask::" not in run.stdout
    assert_no_secret(run, identity)


def _identity_from(endpoint: str) -> Callable[[str], str | None]:
    """GitHub's token request, as the id library makes it, for a library-level test."""

    def identity(audience: str) -> str | None:
        request = urllib.request.Request(  # noqa: S310  # a loopback test server
            f"{endpoint}?audience={audience}", headers={"Authorization": f"bearer {REQUEST_TOKEN}"}
        )
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            return str(json.load(answer)["value"])

    return identity


def test_one_mint_serves_every_thread_and_renews_before_the_end() -> None:
    """Renewal waits for the last minute, mints once for all threads, secrets come first."""
    now = [time.time()]
    remembered: list[str] = []
    with github_token_endpoint([]) as endpoint, strict_index(trusted_index()) as (url, state):
        login = TrustedLogin(
            Target("test", url + "legacy/", None),
            identity=_identity_from(endpoint),
            remember=remembered.append,
            clock=lambda: now[0],
        )
        first = login.credentials()
        now[0] += 800  # about 100 s of 900 left: not yet
        assert login.credentials() == first
        assert login.renew(first) is None  # a 403 while it is valid is not about expiry
        now[0] += 45  # under a minute left
        with ThreadPoolExecutor(max_workers=8) as pool:
            renewed = set(pool.map(lambda _: login.credentials(), range(8)))
        (second,) = renewed
        assert login.renew(first) == second  # another thread renewed it already: no new mint
    assert login.mints == 2
    assert list(state.minted) == [first.password, second.password]
    identities = state.used_identities
    assert remembered == [identities[0], first.password, identities[1], second.password]


def test_new_project_refusal_says_to_register_a_pending_publisher(tmp_path: Path) -> None:
    """Warehouse's "Non-user identities cannot create new projects" comes with what to do."""
    make.release(tmp_path / "dist", wheels=1)
    state = trusted_index()
    state.new_project = True
    with strict_index(state) as (url, _):
        run = publish(
            tmp_path,
            url,
            env={"GITLAB_CI": "true", "PYPI_ID_TOKEN": jwt("pypi"), "GITHUB_ACTIONS": ""},
        )
    assert run.returncode == 1
    failed = next(line for line in run.stdout.splitlines() if line.startswith("failed "))
    assert "400 Non-user identities cannot create new projects." in failed
    assert failed.endswith(
        "the project does not exist on this index yet, and a trusted publisher registered on "
        "another project cannot create it: register a pending publisher for this project name "
        "(PyPI: https://pypi.org/manage/account/publishing/) and run again"
    )
    assert state.stored == []


def test_identity_token_echoed_by_the_mint_endpoint_is_masked(tmp_path: Path) -> None:
    """An index whose refusal repeats the identity token shows it masked, never in clear."""
    make.release(tmp_path / "dist", wheels=1)
    identity = jwt("pypi")
    state = trusted_index()
    state.mint_error = ("invalid-token", f"the token {identity} was not accepted")
    with strict_index(state) as (url, _):
        run = publish(tmp_path, url, env={"GITLAB_CI": "true", "PYPI_ID_TOKEN": identity})
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert "invalid-token: the token ******** was not accepted" in last
    assert_no_secret(run, identity)
    assert state.stored == []


def test_trusted_publishing_over_plain_http_to_another_host_is_refused(tmp_path: Path) -> None:
    """No identity is traded over plain HTTP except on loopback: exit 2 before any request."""
    make.release(tmp_path / "dist", wheels=1)
    run = run_releasekit(
        tmp_path,
        "publish",
        "--trusted-publishing",
        "always",
        "--repository-url",
        "http://upload.example.invalid/legacy/",
        env={"GITLAB_CI": "true", "PYPI_ID_TOKEN": jwt("pypi")},
    )
    assert run.returncode == 2  # a configuration error
    assert [
        "error: http://upload.example.invalid: refusing trusted publishing over plain HTTP; "
        "use an https:// upload URL"
    ] == run.stderr.strip().splitlines()[-1:]
    assert_no_secret(run, jwt("pypi"))


def test_auto_in_ci_with_a_configured_token_does_not_mint(tmp_path: Path) -> None:
    """--trusted-publishing auto (the default) in CI uses RELEASEKIT_TOKEN when it is set."""
    files = make.release(tmp_path / "dist", wheels=1)
    with strict_index(trusted_index()) as (url, state):
        run = publish(
            tmp_path,
            url,
            env={
                "GITLAB_CI": "true",
                "PYPI_ID_TOKEN": jwt("pypi"),
                "RELEASEKIT_TOKEN": UPLOAD_TOKEN,
            },
        )
    assert run.returncode == 0, run.stderr
    assert state.used_identities == []
    assert state.minted == {}
    assert "Minting an upload token" not in run.stderr
    assert "credentials from RELEASEKIT_TOKEN" in run.stderr
    assert sorted(state.stored) == sorted(f.name for f in files)
