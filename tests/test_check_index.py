"""``releasekit check --against-index`` against a real pypiserver and a PEP 691 JSON index."""

from __future__ import annotations

import datetime
import hashlib
import json
import shutil
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import ClassVar

import pytest

from tests import distfactory as make
from tests.servers import free_port, json_index, pypiserver, serve
from tests.support import run_releasekit

JSON_TYPE = "application/vnd.pypi.simple.v1+json"


def against(folder: Path, index_url: str, *files: Path) -> tuple[int, list[dict[str, str]], str]:
    """Run check --against-index --json; return the exit code, the findings and stderr."""
    result = run_releasekit(
        folder,
        "check",
        "--against-index",
        "--json",
        *map(str, files),
        env={"RELEASEKIT_INDEX_URL": index_url},
    )
    findings = json.loads(result.stdout)["findings"] if result.stdout else []
    return result.returncode, findings, result.stderr


def test_identical_file_on_pypiserver_is_already_published(tmp_path: Path) -> None:
    """A file the index serves with the same sha256 is reported as already published (exit 0)."""
    packages = tmp_path / "packages"
    packages.mkdir()
    wheel = make.wheel(tmp_path)
    shutil.copy(wheel, packages)
    with pypiserver(packages) as url:
        code, findings, _ = against(tmp_path, url + "simple/", wheel)
    assert 0 == code
    assert [("already-published", "info")] == [(f["id"], f["severity"]) for f in findings]


def test_same_name_other_content_on_pypiserver_is_an_error(tmp_path: Path) -> None:
    """The same file name with another hash on the index is an error: it can never be uploaded."""
    packages = tmp_path / "packages"
    packages.mkdir()
    make.wheel(packages, body="# Other content\n")
    local = tmp_path / "local"
    local.mkdir()
    wheel = make.wheel(local)
    with pypiserver(packages) as url:
        code, findings, _ = against(tmp_path, url + "simple/", wheel)
    assert 1 == code
    assert ["filename-exists"] == [f["id"] for f in findings]
    assert "never accepted twice" in (findings[0]["hint"] or "")


def test_absent_file_on_pypiserver_is_fine(tmp_path: Path) -> None:
    """A project the index does not have gives no finding."""
    packages = tmp_path / "packages"
    packages.mkdir()
    with pypiserver(packages) as url:
        code, findings, _ = against(tmp_path, url + "simple/", make.wheel(tmp_path))
    assert (0, []) == (code, findings)


def test_release_older_than_14_days_is_warned(tmp_path: Path) -> None:
    """New files for a release first uploaded over 14 days ago get a warning (PEP 691 upload-time)."""
    uploaded = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=30)
    page = {
        "meta": {"api-version": "1.1"},
        "name": "demo-pkg",
        "files": [
            {
                "filename": "demo_pkg-1.0.0.tar.gz",
                "url": "../../files/demo_pkg-1.0.0.tar.gz",
                "hashes": {"sha256": "0" * 64},
                "upload-time": uploaded.isoformat().replace("+00:00", "Z"),
            }
        ],
    }
    pages = {"/simple/demo-pkg/": (200, JSON_TYPE, json.dumps(page).encode())}
    with json_index(pages) as (url, requests):
        code, findings, _ = against(tmp_path, url + "simple/", make.wheel(tmp_path))
    assert 0 == code
    assert ["release-too-old"] == [f["id"] for f in findings]
    assert "first uploaded 30 days ago" in findings[0]["message"]
    assert requests[0][1].startswith(JSON_TYPE)


def test_json_page_with_identical_hash(tmp_path: Path) -> None:
    """PEP 691 JSON hashes are compared with the local file's sha256."""
    wheel = make.wheel(tmp_path)
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    page = {
        "meta": {"api-version": "1.0"},
        "files": [{"filename": wheel.name, "url": "x", "hashes": {"sha256": digest}}],
    }
    with json_index({"/simple/demo-pkg/": (200, JSON_TYPE, json.dumps(page).encode())}) as (url, _):
        code, findings, _ = against(tmp_path, url + "simple/", wheel)
    assert (0, ["already-published"]) == (code, [f["id"] for f in findings])


def test_index_refusing_access_is_not_absent(tmp_path: Path) -> None:
    """A 401 means the files' presence is unknown: an error, never "not there"."""
    with json_index({"/simple/demo-pkg/": (401, "text/plain", b"auth required")}) as (url, _):
        code, findings, _ = against(tmp_path, url + "simple/", make.wheel(tmp_path))
    assert 1 == code
    assert ["index-unreachable"] == [f["id"] for f in findings]
    assert "the index answered 401" in findings[0]["message"]


def test_unreachable_index_hides_credentials(tmp_path: Path) -> None:
    """A closed port is reported as unreachable, and credentials in the URL are never shown."""
    url = f"http://releaser:s3cret-pw@127.0.0.1:{free_port()}/simple/"
    code, findings, stderr = against(tmp_path, url, make.wheel(tmp_path))
    assert 1 == code
    assert ["index-unreachable"] == [f["id"] for f in findings]
    assert "could not ask the index" in findings[0]["message"]
    assert "s3cret-pw" not in json.dumps(findings) + stderr
    assert "releaser" not in json.dumps(findings) + stderr


def test_unknown_repository_needs_index_url(tmp_path: Path) -> None:
    """A repository other than pypi/testpypi without index-url is a configuration error (exit 2)."""
    make.wheel(tmp_path)
    result = run_releasekit(
        tmp_path, "check", "--against-index", "*.whl", env={"RELEASEKIT_REPOSITORY": "private"}
    )
    assert 2 == result.returncode
    assert result.stderr.startswith(
        "error: cannot tell the simple API address of repository 'private'; pass --index-url URL"
    )


def test_project_page_404_counts_as_absent_only_when_the_index_answers(tmp_path: Path) -> None:
    """A 404 for the project is "no files" only if the simple root exists; else a wrong URL."""
    wheel = make.wheel(tmp_path)
    with json_index({"/simple/": (200, JSON_TYPE, b'{"projects": []}')}) as (url, _):
        code, findings, _ = against(tmp_path, url + "simple/", wheel)
        assert (0, []) == (code, findings)
        code, findings, _ = against(tmp_path, url + "wrong/", wheel)
    assert 1 == code
    assert ["index-unreachable"] == [f["id"] for f in findings]
    assert "neither the project page nor the index itself was found" in findings[0]["message"]


def test_index_url_flag_and_the_index_asked_is_named(tmp_path: Path) -> None:
    """--index-url points check at a simple API; stderr and the verdict name it (exit 0)."""
    packages = tmp_path / "packages"
    packages.mkdir()
    wheel = make.wheel(tmp_path)
    with pypiserver(packages) as url:
        text = run_releasekit(
            tmp_path, "check", "--against-index", "--index-url", url + "simple/", str(wheel)
        )
        as_json = run_releasekit(
            tmp_path,
            "check",
            "--against-index",
            "--index-url",
            url + "simple/",
            "--json",
            str(wheel),
        )
    assert 0 == text.returncode, text.stderr
    assert f"  -> Comparing with the files on {url}simple/" in text.stderr.splitlines()
    assert f"0 error(s), 0 warning(s) in 1 file(s), compared with {url}simple/" in text.stdout
    assert url + "simple/" == json.loads(as_json.stdout)["index"]


def test_repository_url_and_repository_name_choose_the_index(
    tmp_path: Path, monkeypatch: object
) -> None:
    """A --repository-url where no simple API answers needs --index-url; it wins over -r."""
    make.wheel(tmp_path)
    closed = f"http://127.0.0.1:{free_port()}/"
    unknown = run_releasekit(
        tmp_path, "check", "--against-index", "--repository-url", closed, "*.whl"
    )
    assert 2 == unknown.returncode
    assert unknown.stderr.startswith(
        f"error: cannot tell the simple API address of {closed}: no simple API answered "
        f"(tried {closed}simple/ (no answer: "
    )
    assert unknown.stderr.endswith(
        "; pass --index-url URL (or set index-url in [tool.releasekit], or RELEASEKIT_INDEX_URL)\n"
    )
    port = free_port()
    named = run_releasekit(
        tmp_path,
        "check",
        "--against-index",
        "-r",
        "testpypi",
        "--index-url",
        f"http://127.0.0.1:{port}/simple/",
        "*.whl",
    )
    assert f"Comparing with the files on http://127.0.0.1:{port}/simple/" in named.stderr


def test_simple_api_is_found_from_the_upload_url(tmp_path: Path) -> None:
    """check --against-index --repository-url of a pypiserver root finds /simple/ by itself."""
    packages = tmp_path / "packages"
    packages.mkdir()
    wheel = make.wheel(tmp_path)
    shutil.copy(wheel, packages)
    with pypiserver(packages) as url:
        result = run_releasekit(
            tmp_path, "-v", "check", "--against-index", "--repository-url", url, str(wheel)
        )
    assert 0 == result.returncode, result.stderr
    assert (
        f"simple API {url}simple/, found from the upload URL (pypiserver: / -> /simple/)"
        in result.stderr
    )
    assert f"  -> Comparing with the files on {url}simple/" in result.stderr.splitlines()
    assert "already-published" in result.stdout


NOT_SIMPLE = [
    ("html login page", "text/html", b"<html><body><form>Login required</form></body></html>"),
    (
        "html portal with links",
        "text/html",
        b'<html><body><a href="/login">Sign in</a> <a href="/help">Help</a></body></html>',
    ),
    ("json without meta", JSON_TYPE, b'{"files": []}'),
    ("json as plain json without meta", "application/json", b'{"name": "demo-pkg"}'),
    ("json list", JSON_TYPE, b"[1, 2, 3]"),
    (
        "json sha256 a number",
        JSON_TYPE,
        b'{"meta": {"api-version": "1.1"}, "files": [{"filename": "x.whl", "hashes": {"sha256": 5}}]}',
    ),
    ("json files not a list", JSON_TYPE, b'{"meta": {"api-version": "1.1"}, "files": 5}'),
]


@pytest.mark.parametrize(
    ("content_type", "body"), [c[1:] for c in NOT_SIMPLE], ids=[c[0] for c in NOT_SIMPLE]
)
def test_200_page_that_is_not_a_simple_page_is_unreachable(
    tmp_path: Path, content_type: str, body: bytes
) -> None:
    """A 200 that is no PEP 691 / PEP 503 page is unknown (index-unreachable), never "no files"."""
    pages = {"/simple/demo-pkg/": (200, content_type, body)}
    with json_index(pages) as (url, _):
        code, findings, stderr = against(tmp_path, url + "simple/", make.wheel(tmp_path))
    assert 1 == code, stderr
    assert ["index-unreachable"] == [f["id"] for f in findings]
    assert "not a simple API page" in findings[0]["message"]
    assert "Traceback" not in stderr


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        (
            "text/html",
            b'<html><head><meta name="pypi:repository-version" content="1.0"></head></html>',
        ),
        (
            "text/html",
            b"<html><body><h1>Links for demo-pkg</h1>\n"
            b'<a href="/f/demo_pkg-0.9.tar.gz#sha256=00">demo_pkg-0.9.tar.gz</a></body></html>',
        ),
        (JSON_TYPE, b'{"meta": {"api-version": "1.1"}, "name": "demo-pkg", "files": []}'),
    ],
    ids=["html declaring PEP 629, no files", "html with an older file", "json with no files"],
)
def test_simple_pages_without_this_file_are_absent(
    tmp_path: Path, content_type: str, body: bytes
) -> None:
    """Real simple pages that do not list the file say it is absent (exit 0, no finding)."""
    with json_index({"/simple/demo-pkg/": (200, content_type, body)}) as (url, _):
        code, findings, stderr = against(tmp_path, url + "simple/", make.wheel(tmp_path))
    assert (0, []) == (code, findings), stderr


class _Redirecting(BaseHTTPRequestHandler):
    """Redirects ``/simple/demo-pkg/`` to ``target`` (an absolute URL or a path)."""

    target: ClassVar[str] = ""
    seen: ClassVar[list[str]] = []
    page: ClassVar[bytes] = b""

    def do_GET(self) -> None:  # the name http.server dispatches to
        self.seen.append(self.path)
        if self.path == "/simple/demo-pkg/":
            self.send_response(302)
            self.send_header("Location", self.target)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", JSON_TYPE)
        self.send_header("Content-Length", str(len(self.page)))
        self.end_headers()
        self.wfile.write(self.page)

    def log_message(self, format: str, *args: object) -> None:  # the base's name
        """Keep test output quiet."""


def test_redirect_within_the_index_is_followed(tmp_path: Path) -> None:
    """A redirect to the same scheme, host and port is followed (a mirror's canonical path)."""
    wheel = make.wheel(tmp_path)
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    page = {
        "meta": {"api-version": "1.1"},
        "files": [{"filename": wheel.name, "url": "x", "hashes": {"sha256": digest}}],
    }

    class Handler(_Redirecting):
        target = "/canonical/demo-pkg/"
        seen: ClassVar[list[str]] = []

    Handler.page = json.dumps(page).encode()
    with serve(Handler) as url:
        code, findings, stderr = against(tmp_path, url + "simple/", wheel)
    assert (0, ["already-published"]) == (code, [f["id"] for f in findings]), stderr
    assert ["/simple/demo-pkg/", "/canonical/demo-pkg/"] == Handler.seen


def test_redirect_to_another_origin_is_not_followed(tmp_path: Path) -> None:
    """A redirect to another host or port is index-unreachable, and the target is never asked."""
    page = b'{"meta": {"api-version": "1.1"}, "files": []}'
    with json_index({"/other/demo-pkg/": (200, JSON_TYPE, page)}) as (other, asked):

        class Handler(_Redirecting):
            target = other + "other/demo-pkg/"
            seen: ClassVar[list[str]] = []

        with serve(Handler) as url:
            code, findings, stderr = against(tmp_path, url + "simple/", make.wheel(tmp_path))
    assert 1 == code, stderr
    assert ["index-unreachable"] == [f["id"] for f in findings]
    assert f"redirected to another address, {other}other/demo-pkg/" in findings[0]["message"]
    assert [] == asked


def test_endless_redirects_within_the_index_are_unreachable(tmp_path: Path) -> None:
    """A redirect loop inside the index ends as index-unreachable, not a hang or a traceback."""

    class Handler(_Redirecting):
        target = "/simple/demo-pkg/"
        seen: ClassVar[list[str]] = []

    with serve(Handler) as url:
        code, findings, stderr = against(tmp_path, url + "simple/", make.wheel(tmp_path))
    assert 1 == code, stderr
    assert ["index-unreachable"] == [f["id"] for f in findings]
    assert "redirected more than 5 times" in findings[0]["message"]


@pytest.mark.parametrize(("days", "warned"), [(20, True), (13, False)])
def test_the_release_window_is_14_days(tmp_path: Path, days: int, warned: bool) -> None:
    """A release first uploaded 20 days ago is warned; one 13 days old still takes new files."""
    uploaded = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=days)
    page = {
        "meta": {"api-version": "1.1"},
        "name": "demo-pkg",
        "files": [
            {
                "filename": "demo_pkg-1.0.0.tar.gz",
                "hashes": {"sha256": "0" * 64},
                "upload-time": uploaded.isoformat().replace("+00:00", "Z"),
            }
        ],
    }
    pages = {"/simple/demo-pkg/": (200, JSON_TYPE, json.dumps(page).encode())}
    with json_index(pages) as (url, _):
        code, findings, _ = against(tmp_path, url + "simple/", make.wheel(tmp_path))
    assert 0 == code
    expected = ["release-too-old"] if warned else []
    assert expected == [f["id"] for f in findings]
    assert all(f"first uploaded {days} days ago" in f["message"] for f in findings)
