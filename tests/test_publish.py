"""``releasekit publish`` against real local indexes: pypiserver and the strict index."""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import os
import pty
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from passlib.apache import HtpasswdFile  # type: ignore[import-untyped]  # no stubs

from tests import distfactory as make
from tests.faultproxy import ProxyState, fault_proxy
from tests.servers import devpi_server, free_port, json_index, pypiserver
from tests.strict_index import IndexState, strict_index
from tests.support import Run, releasekit_command, run_releasekit, spawn_releasekit

TOKEN = "pypi-AgEIcHlwaS5vcmcCJGRlbW8tdG9rZW4tZm9yLXRlc3RzLW9ubHk"


def publish(cwd: Path, *args: str, env: dict[str, str] | None = None) -> Run:
    """Run ``releasekit publish`` with ``args``."""
    return run_releasekit(cwd, "publish", *args, env=env)


def upload(cwd: Path, index: str, *args: str, env: dict[str, str] | None = None) -> Run:
    """``releasekit publish`` to the legacy upload URL of a strict index at ``index``."""
    return publish(cwd, "--repository-url", index + "legacy/", *args, env=env)


def report(run: Run) -> dict[str, object]:
    """The --json report of a run."""
    data: dict[str, object] = json.loads(run.stdout)
    return data


def files_of(run: Run) -> list[dict[str, Any]]:
    """The per-file entries of the --json report."""
    files = report(run)["files"]
    assert isinstance(files, list)
    return files


def statuses(run: Run) -> dict[str, str]:
    """File name -> status, from the --json report."""
    return {entry["file"]: entry["status"] for entry in files_of(run)}


def strict_env(url: str, **extra: str) -> dict[str, str]:
    """The token and the simple API address of a strict index."""
    return {"RELEASEKIT_TOKEN": TOKEN, "RELEASEKIT_INDEX_URL": url + "simple/", **extra}


def test_release_lands_on_pypiserver_and_is_verified(tmp_path: Path) -> None:
    """Three wheels and an sdist to a real pypiserver: all uploaded, served, verified."""
    packages = tmp_path / "packages"
    packages.mkdir()
    files = make.release(tmp_path / "dist", wheels=3)
    with pypiserver(packages) as url:
        run = publish(
            tmp_path,
            "--repository-url",
            url,
            "--json",
            *map(str, files),
            env={"RELEASEKIT_INDEX_URL": url + "simple/"},
        )
    assert 0 == run.returncode, run.stderr
    data = report(run)
    assert data["ok"] is True
    assert data["verified"] is True
    assert {f.name: "uploaded" for f in files} == statuses(run)
    assert sorted(f.name for f in files) == sorted(p.name for p in packages.iterdir())
    for entry in files_of(run):
        local = hashlib.sha256((tmp_path / "dist" / entry["file"]).read_bytes()).hexdigest()
        assert local == entry["sha256"]
        assert local == hashlib.sha256((packages / entry["file"]).read_bytes()).hexdigest()
        assert entry["url"].startswith(url)


def test_wheels_go_first_and_the_sdist_last(tmp_path: Path) -> None:
    """With four parallel jobs the sdist still lands after every wheel."""
    files = make.release(tmp_path / "dist", wheels=6)
    with strict_index() as (url, state):
        run = upload(tmp_path, url, "--jobs", "4", env=strict_env(url))
    assert 0 == run.returncode, run.stderr
    assert 7 == len(state.stored)
    assert "demo_pkg-1.0.0.tar.gz" == state.stored[-1]
    assert sorted(f.name for f in files) == sorted(state.stored)


def test_form_carries_every_metadata_field_as_warehouse_names_it(tmp_path: Path) -> None:
    """Multi-use fields repeat, keywords join, project URLs read "Label, URL", UNKNOWN is dropped."""
    fields = make.with_fields(
        add=(
            ("Classifier", "License :: OSI Approved :: MIT License"),
            ("Requires-Dist", "click>=8"),
            ("Project-URL", "Changelog, https://example.org/demo/changes"),
            ("Keywords", "release,packaging"),
            ("Requires-Python", ">=3.11"),
            ("Provides-Extra", "cli"),
            ("Author-email", "Dev <dev@example.org>"),
            ("Home-page", "UNKNOWN"),
        )
    )
    wheel = make.wheel(tmp_path, fields=fields)
    with strict_index() as (url, state):
        run = upload(tmp_path, url, str(wheel), env=strict_env(url))
    assert 0 == run.returncode, run.stderr
    sent = state.files[wheel.name].fields
    data = wheel.read_bytes()

    def values(key: str) -> list[str]:
        return [value for name, value in sent if name == key]

    assert ["file_upload"] == values(":action")
    assert ["1"] == values("protocol_version")
    assert ["bdist_wheel"] == values("filetype")
    assert ["py3"] == values("pyversion")
    assert [hashlib.sha256(data).hexdigest()] == values("sha256_digest")
    assert [hashlib.blake2b(data, digest_size=32).hexdigest()] == values("blake2_256_digest")
    assert ["2.4"] == values("metadata_version")
    assert ["demo-pkg"] == values("name")
    assert ["1.0.0"] == values("version")
    assert ["MIT"] == values("license_expression")
    assert ["LICENSE"] == values("license_file")
    assert [
        "Programming Language :: Python :: 3",
        "License :: OSI Approved :: MIT License",
    ] == values("classifiers")
    assert ["packaging>=24", "click>=8"] == values("requires_dist")
    assert [
        "Source, https://example.org/demo",
        "Changelog, https://example.org/demo/changes",
    ] == values("project_urls")
    assert ["release, packaging"] == values("keywords")
    assert [">=3.11"] == values("requires_python")
    assert ["cli"] == values("provides_extra")
    assert ["Dev <dev@example.org>"] == values("author_email")
    assert ["text/markdown"] == values("description_content_type")
    assert [make.BODY] == values("description")
    assert [] == values("home_page")


def test_sdist_form_says_source(tmp_path: Path) -> None:
    """An sdist goes as filetype sdist with pyversion source."""
    sdist = make.sdist(tmp_path)
    with strict_index() as (url, state):
        run = upload(tmp_path, url, str(sdist), env=strict_env(url))
    assert 0 == run.returncode, run.stderr
    sent = dict(state.files[sdist.name].fields)
    assert ("sdist", "source") == (sent["filetype"], sent["pyversion"])


def test_pypiserver_with_htpasswd_accepts_the_right_login_only(tmp_path: Path) -> None:
    """With auth: no login gets 401 and a hint, a wrong one 403, the right one lands."""
    htpasswd = HtpasswdFile(str(tmp_path / "htpasswd"), new=True)
    htpasswd.set_password("releaser", "correct-horse-battery")
    htpasswd.save()
    packages = tmp_path / "packages"
    packages.mkdir()
    wheel = make.wheel(tmp_path)
    with pypiserver(packages, htpasswd=tmp_path / "htpasswd") as url:
        common = ("--repository-url", url, "--no-verify", str(wheel))
        anonymous = publish(tmp_path, *common)
        wrong = publish(
            tmp_path,
            *common,
            env={"RELEASEKIT_USERNAME": "releaser", "RELEASEKIT_PASSWORD": "wrong-password"},
        )
        right = publish(
            tmp_path,
            *common,
            env={"RELEASEKIT_USERNAME": "releaser", "RELEASEKIT_PASSWORD": "correct-horse-battery"},
        )
    assert 1 == anonymous.returncode
    assert f"failed {wheel.name}: 401" in anonymous.stdout
    assert (
        f"failed {wheel.name}: 401 Unauthorized; the index wants credentials and none were sent: set RELEASEKIT_TOKEN"
        in anonymous.stdout
    )
    assert 1 == wrong.returncode
    assert f"failed {wheel.name}: 403" in wrong.stdout
    assert (
        f"failed {wheel.name}: 403 Forbidden; the index refused the username and password from RELEASEKIT_USERNAME/RELEASEKIT_PASSWORD; check"
        in wrong.stdout
    )
    assert "wrong-password" not in wrong.stdout + wrong.stderr
    assert 0 == right.returncode, right.stdout + right.stderr
    assert [wheel.name] == [p.name for p in packages.iterdir()]
    assert "correct-horse-battery" not in right.stdout + right.stderr


def test_skip_existing_skips_identical_files_and_uploads_the_rest(tmp_path: Path) -> None:
    """A file the index serves with the same sha256 is skipped; it is not sent again."""
    files = make.release(tmp_path / "dist", wheels=2)
    with strict_index() as (url, state):
        first = upload(tmp_path, url, str(files[0]), env=strict_env(url))
        assert 0 == first.returncode, first.stderr
        posts = state.posts
        run = upload(
            tmp_path,
            url,
            "--skip-existing",
            "--json",
            *map(str, files),
            env=strict_env(url),
        )
    assert 0 == run.returncode, run.stderr
    assert {
        files[0].name: "skipped",
        files[1].name: "uploaded",
        files[2].name: "uploaded",
    } == statuses(run)
    assert posts + 2 == state.posts
    assert [files[0].name, files[1].name, files[2].name] == state.stored


def test_same_name_with_other_content_stops_before_the_first_byte(tmp_path: Path) -> None:
    """A clash found by hash in the preflight stops the whole release: nothing is sent."""
    (tmp_path / "other").mkdir()
    other = make.wheel(tmp_path / "other", body="# Other\n")
    (tmp_path / "dist").mkdir()
    files = [make.wheel(tmp_path / "dist"), make.sdist(tmp_path / "dist")]
    with strict_index() as (url, state):
        assert 0 == upload(tmp_path, url, str(other), env=strict_env(url)).returncode
        posts = state.posts
        run = upload(
            tmp_path,
            url,
            "--skip-existing",
            *map(str, files),
            env=strict_env(url),
        )
    assert 1 == run.returncode
    assert posts == state.posts
    assert f"error: {other.name}: the index already has a different file of this name" in run.stderr
    assert "release a new version" in run.stderr


def test_identical_file_without_skip_existing_is_an_error(tmp_path: Path) -> None:
    """Without --skip-existing, a file already there stops the release with the way out."""
    wheel = make.wheel(tmp_path)
    with strict_index() as (url, state):
        upload(tmp_path, url, str(wheel), env=strict_env(url))
        posts = state.posts
        run = upload(tmp_path, url, str(wheel), env=strict_env(url))
    assert 1 == run.returncode
    assert posts == state.posts
    assert (
        f"error: {wheel.name}: the identical file is already on the index; "
        "pass --skip-existing to skip it"
    ) == run.stderr.splitlines()[-1]


def test_skip_existing_fails_closed_when_the_index_refuses_lookups(tmp_path: Path) -> None:
    """A 401 from the simple page means "unknown": nothing is uploaded (exit 1)."""
    wheel = make.wheel(tmp_path)
    pages = {"/simple/demo-pkg/": (401, "text/plain", b"login required")}
    with json_index(pages) as (lookup_url, _), strict_index() as (url, state):
        run = upload(
            tmp_path,
            url,
            "--skip-existing",
            str(wheel),
            env={"RELEASEKIT_TOKEN": TOKEN, "RELEASEKIT_INDEX_URL": lookup_url + "simple/"},
        )
    assert 1 == run.returncode
    assert 0 == state.posts
    line = run.stderr.splitlines()[-1]
    assert line.startswith("error: ")
    assert "--skip-existing cannot tell which files exist: the index answered 401" in line
    assert "nothing was uploaded" in line


LOGIN_PAGE = (200, "text/html", b"<html><body><form>Login required</form></body></html>")


def test_login_page_as_lookup_stops_skip_existing(tmp_path: Path) -> None:
    """A 200 login page is not "no files": --skip-existing stops before the first byte."""
    wheel = make.wheel(tmp_path)
    with (
        json_index({"/simple/demo-pkg/": LOGIN_PAGE}) as (lookup_url, _),
        strict_index() as (url, state),
    ):
        run = upload(
            tmp_path,
            url,
            "--skip-existing",
            str(wheel),
            env={"RELEASEKIT_TOKEN": TOKEN, "RELEASEKIT_INDEX_URL": lookup_url + "simple/"},
        )
    assert 1 == run.returncode
    assert 0 == state.posts
    assert "--skip-existing cannot tell which files exist" in run.stderr
    assert "not a simple API page" in run.stderr


@pytest.mark.parametrize("lookup", ["login page", "closed port"])
def test_failed_lookup_says_duplicate_detection_is_off(tmp_path: Path, lookup: str) -> None:
    """Without --skip-existing a failed lookup uploads, with one warning line saying so."""
    wheel = make.wheel(tmp_path)
    with json_index({"/simple/demo-pkg/": LOGIN_PAGE}) as (lookup_url, _):
        index_url = (
            lookup_url + "simple/" if lookup == "login page" else f"http://127.0.0.1:{free_port()}/"
        )
        with strict_index() as (url, state):
            run = upload(
                tmp_path,
                url,
                "--no-verify",
                str(wheel),
                env={"RELEASEKIT_TOKEN": TOKEN, "RELEASEKIT_INDEX_URL": index_url},
            )
    assert 0 == run.returncode, run.stderr
    assert 1 == state.posts
    warnings = [line for line in run.stderr.splitlines() if "could not look the files up" in line]
    assert 1 == len(warnings), run.stderr
    assert "duplicate detection is off" in warnings[0]
    assert "pass --skip-existing to stop instead" in warnings[0]


def test_skip_existing_fails_closed_on_a_wrong_simple_address(tmp_path: Path) -> None:
    """A 404 for the project and for the index root is a wrong address, not "absent"."""
    wheel = make.wheel(tmp_path)
    with strict_index() as (url, state):
        run = upload(
            tmp_path,
            url,
            "--skip-existing",
            str(wheel),
            env={"RELEASEKIT_TOKEN": TOKEN, "RELEASEKIT_INDEX_URL": url + "nothing-here/"},
        )
    assert 1 == run.returncode
    assert 0 == state.posts
    assert "neither the project page nor the index itself was found" in run.stderr


def test_skip_existing_fails_closed_when_no_simple_api_answers(tmp_path: Path) -> None:
    """No --index-url and no candidate answers: exit 2, nothing sent, the candidates listed."""
    wheel = make.wheel(tmp_path)
    with strict_index(IndexState(simple_api=False)) as (url, state):
        run = upload(
            tmp_path,
            url,
            "--skip-existing",
            str(wheel),
            env={"RELEASEKIT_TOKEN": TOKEN},
        )
    assert 2 == run.returncode
    assert 0 == state.posts
    assert (
        "error: demo-pkg: --skip-existing needs to ask the index, but no simple API answered "
        f"(tried {url}simple/ (404)); pass --index-url URL (or set index-url in "
        "[tool.releasekit], or RELEASEKIT_INDEX_URL)"
    ) == run.stderr.splitlines()[-1]


def test_skip_existing_fails_closed_when_nothing_listens(tmp_path: Path) -> None:
    """An upload URL where nothing answers: every candidate is named, nothing is uploaded."""
    wheel = make.wheel(tmp_path)
    base = f"http://127.0.0.1:{free_port()}/"
    run = publish(
        tmp_path,
        "--repository-url",
        base + "team/private/",
        "--skip-existing",
        str(wheel),
        env={"RELEASEKIT_TOKEN": TOKEN},
    )
    assert 2 == run.returncode
    line = run.stderr.splitlines()[-1]
    assert line.startswith(
        "error: demo-pkg: --skip-existing needs to ask the index, but no simple API answered "
        f"(tried {base}team/private/+simple/ (no answer: "
    )
    assert line.endswith(
        "; pass --index-url URL (or set index-url in [tool.releasekit], or RELEASEKIT_INDEX_URL)"
    )


def test_simple_api_is_found_beside_a_legacy_upload_url(tmp_path: Path) -> None:
    """Warehouse's .../legacy/ -> .../simple/: identical files skipped, the rest verified."""
    files = make.release(tmp_path / "dist", wheels=1)
    with strict_index() as (url, state):
        env = {"RELEASEKIT_TOKEN": TOKEN}
        first = upload(tmp_path, url, str(files[0]), env=env)
        run = upload(tmp_path, url, "--skip-existing", "-v", "--json", *map(str, files), env=env)
    assert 0 == first.returncode, first.stderr
    assert 0 == run.returncode, run.stderr
    assert {files[0].name: "skipped", files[1].name: "uploaded"} == statuses(run)
    assert report(run)["verified"] is True
    assert (
        f"simple API {url}simple/, found from the upload URL (warehouse: .../legacy/ -> /simple/)"
    ) in run.stderr
    assert [files[0].name, files[1].name] == state.stored


def test_simple_api_of_pypiserver_is_found_from_its_root(tmp_path: Path) -> None:
    """pypiserver at http://host:port/: /simple/ is found; a re-run skips every file."""
    packages = tmp_path / "packages"
    packages.mkdir()
    files = make.release(tmp_path / "dist", wheels=2)
    with pypiserver(packages) as url:
        run = publish(tmp_path, "--repository-url", url, "-v", "--json", *map(str, files))
        again = publish(
            tmp_path, "--repository-url", url, "--skip-existing", "--json", *map(str, files)
        )
    assert 0 == run.returncode, run.stderr
    assert report(run)["verified"] is True
    assert {f.name: "uploaded" for f in files} == statuses(run)
    assert (
        f"simple API {url}simple/, found from the upload URL (pypiserver: / -> /simple/)"
        in run.stderr
    )
    assert 0 == again.returncode, again.stderr
    assert {f.name: "skipped" for f in files} == statuses(again)


def test_devpi_index_is_published_to_skipped_and_verified(tmp_path: Path) -> None:
    """A real devpi-server: /alice/dev/+simple/ is found from the upload URL /alice/dev/."""
    files = make.release(tmp_path / "dist", wheels=1)
    with devpi_server(tmp_path / "devpi") as devpi:
        env = {"RELEASEKIT_USERNAME": devpi.username, "RELEASEKIT_PASSWORD": devpi.password}
        common = ("--repository-url", devpi.index, "--json")
        first = publish(tmp_path, *common, "-v", str(files[0]), env=env)
        run = publish(tmp_path, *common, "--skip-existing", *map(str, files), env=env)
        again = publish(tmp_path, *common, "--skip-existing", *map(str, files), env=env)
    assert 0 == first.returncode, first.stderr
    assert report(first)["verified"] is True
    assert (
        f"simple API {devpi.index}+simple/, found from the upload URL "
        "(devpi: /<user>/<index>/ -> .../+simple/)"
    ) in first.stderr
    assert 0 == run.returncode, run.stderr
    assert {files[0].name: "skipped", files[1].name: "uploaded"} == statuses(run)
    assert report(run)["verified"] is True
    assert 0 == again.returncode, again.stderr
    assert {f.name: "skipped" for f in files} == statuses(again)
    for entry in files_of(run):
        assert entry["url"].startswith(devpi.root)


def test_check_errors_stop_the_upload(tmp_path: Path) -> None:
    """A file PyPI would reject stops the whole batch before anything is sent."""
    good = make.release(tmp_path / "dist", wheels=1, sdist_too=False)[0]
    bad = make.sdist(tmp_path / "dist", fields=make.with_fields(drop=("Version",)))
    with strict_index() as (url, state):
        run = upload(tmp_path, url, str(good), str(bad), env=strict_env(url))
    assert 1 == run.returncode
    assert 0 == state.posts
    assert "error: the check found" in run.stderr
    assert "nothing was uploaded" in run.stderr
    assert bad.name in run.stdout


def test_a_failed_check_neither_waits_for_nor_reports_the_lookup(tmp_path: Path) -> None:
    """A bad file stops the run with the check's findings at once, whatever the index does.

    The index is asked only after the whole check passed: a run whose check failed neither
    waits for the index's silence (30 s here) nor reports it.
    """
    bad = make.wheel(tmp_path, fields=make.with_fields(set_={"Summary": "x" * 600}))
    with socket.socket() as silent:  # takes connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        index = f"http://127.0.0.1:{silent.getsockname()[1]}/"
        started = time.monotonic()
        run = upload(
            tmp_path,
            index,
            "--skip-existing",
            str(bad),
            env={
                "RELEASEKIT_TOKEN": TOKEN,
                "RELEASEKIT_INDEX_URL": index + "simple/",
                "RELEASEKIT_REQUEST_TIMEOUT": "30",
            },
        )
        seconds = time.monotonic() - started
    assert 1 == run.returncode, run.stderr
    assert "error: the check found 1 error(s); nothing was uploaded" in run.stderr
    assert "summary-too-long" in run.stdout
    assert "cannot tell which files exist" not in run.stderr
    assert seconds < 15  # the lookup would hold it 30 s; loose for a loaded machine


def test_rejected_upload_is_final_and_holds_the_rest_back(tmp_path: Path) -> None:
    """A 403 is not retried; later wheels are not sent and the sdist is held back."""
    files = make.release(tmp_path / "dist", wheels=3)
    with strict_index(IndexState(token="pypi-the-right-token")) as (url, state):
        run = upload(
            tmp_path,
            url,
            "--jobs",
            "1",
            "--json",
            *map(str, files),
            env=strict_env(url),
        )
    assert 1 == run.returncode
    assert 1 == state.posts
    assert [] == state.stored
    result = statuses(run)
    assert ["failed", "not-attempted", "not-attempted", "not-attempted"] == list(result.values())
    failed = files_of(run)[0]
    assert failed["message"].startswith(
        "403 Invalid or non-existent authentication information. See https://pypi.org/help/#invalid-auth for more information.; the index refused the token from RELEASEKIT_TOKEN; check"
    )
    assert files_of(run)[-1]["message"].startswith("held back")


def test_partial_release_is_completed_by_a_rerun_with_skip_existing(tmp_path: Path) -> None:
    """After a failure mid-way, the report names what landed and --skip-existing finishes it."""
    files = make.release(tmp_path / "dist", wheels=3)
    with (
        strict_index() as (url, state),
        fault_proxy(url, ProxyState(faults=["ok", "400"])) as (
            proxy,
            _,
        ),
    ):
        env = {"RELEASEKIT_TOKEN": TOKEN, "RELEASEKIT_INDEX_URL": proxy + "simple/"}
        args = ("--repository-url", proxy + "legacy/", "--jobs", "1", "--json")
        first = publish(tmp_path, *args, *map(str, files), env=env)
        second = publish(tmp_path, *args, "--skip-existing", *map(str, files), env=env)
    assert 1 == first.returncode
    assert ["uploaded", "failed", "not-attempted", "not-attempted"] == list(
        statuses(first).values()
    )
    assert "400 Invalid distribution file (injected)." in files_of(first)[1]["message"]
    assert 0 == second.returncode, second.stderr
    assert ["skipped", "uploaded", "uploaded", "uploaded"] == list(statuses(second).values())
    assert sorted(f.name for f in files) == sorted(state.stored)


def test_every_file_lands_exactly_once_under_faults(tmp_path: Path) -> None:
    """503s, a 429 with Retry-After, cut requests, a lost answer and slow replies: exit 0."""
    files = make.release(tmp_path / "dist", wheels=5)
    faults = ["503", "429:1", "cut-request", "cut-response", "slow:0.5", "500", "cut-response"]
    with (
        strict_index() as (url, state),
        fault_proxy(url, ProxyState(faults=list(faults))) as (
            proxy,
            proxy_state,
        ),
    ):
        run = publish(
            tmp_path,
            "--repository-url",
            proxy + "legacy/",
            "--jobs",
            "2",
            "--json",
            *map(str, files),
            env={"RELEASEKIT_TOKEN": TOKEN, "RELEASEKIT_INDEX_URL": proxy + "simple/"},
        )
    assert 0 == run.returncode, run.stderr
    assert faults == proxy_state.applied[: len(faults)]
    assert sorted(f.name for f in files) == sorted(state.stored)  # each exactly once
    for path in files:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == state.files[path.name].sha256
    assert set(statuses(run).values()) == {"uploaded"}
    assert "retrying in" in run.stderr
    confirmed = [f for f in files_of(run) if "confirmed by hash" in (f["message"] or "")]
    assert 2 == len(confirmed)


def test_405_from_a_simple_url_gets_a_hint(tmp_path: Path) -> None:
    """pypiserver answers 405 on /legacy/: the hint says which URL takes uploads."""
    packages = tmp_path / "packages"
    packages.mkdir()
    wheel = make.wheel(tmp_path)
    with pypiserver(packages) as url:
        run = upload(tmp_path, url, "--no-verify", str(wheel))
    assert 1 == run.returncode
    assert f"failed {wheel.name}: 405" in run.stdout
    assert "this address does not take uploads" in run.stdout


def test_redirect_to_legacy_with_slash_is_not_followed(tmp_path: Path) -> None:
    """A 308 from /legacy to /legacy/ is reported with the address to use; nothing is resent."""
    wheel = make.wheel(tmp_path)
    with strict_index() as (url, state):
        run = publish(tmp_path, "--repository-url", url + "legacy", str(wheel), env=strict_env(url))
    assert 1 == run.returncode
    assert 1 == state.posts
    assert f"use {url}legacy/ (with the trailing slash)" in run.stdout


def test_credentials_never_go_over_plain_http_to_another_machine(tmp_path: Path) -> None:
    """With a token, an http:// URL that is not loopback is refused before any connection."""
    wheel = make.wheel(tmp_path)
    run = publish(
        tmp_path,
        "--repository-url",
        "http://upload.example.invalid/legacy/",
        str(wheel),
        env={"RELEASEKIT_TOKEN": TOKEN},
    )
    assert 2 == run.returncode
    assert (
        "error: http://upload.example.invalid/legacy/: refusing to send credentials over plain "
        "HTTP; use an https:// address (plain http is allowed only to this machine)"
    ) == run.stderr.strip()


def test_credentials_in_the_url_are_refused_and_not_shown(tmp_path: Path) -> None:
    """A URL with user:password is refused (secrets never on the command line)."""
    wheel = make.wheel(tmp_path)
    run = publish(
        tmp_path, "--repository-url", "https://me:hunter22@upload.example.org/legacy/", str(wheel)
    )
    assert 2 == run.returncode
    assert "hunter22" not in run.stderr
    assert run.stderr.startswith(
        "error: --repository-url: the repository URL must not contain credentials"
    )


@pytest.mark.parametrize("port", ["99999", "0", "http"])
def test_an_invalid_port_in_the_upload_url_is_one_line(tmp_path: Path, port: str) -> None:
    """A port that is no port is a usage error before any connection, not five retries."""
    wheel = make.wheel(tmp_path)
    run = publish(tmp_path, "--repository-url", f"http://127.0.0.1:{port}/", str(wheel))
    assert 2 == run.returncode
    assert (
        f"error: --repository-url: 'http://127.0.0.1:{port}/' has an invalid port; a port is a "
        "number from 1 to 65535, for example http://127.0.0.1:8080/"
    ) == run.stderr.strip()


def test_pypi_without_credentials_is_a_configuration_error(tmp_path: Path) -> None:
    """PyPI never takes anonymous uploads: say where credentials go, before any network."""
    wheel = make.wheel(tmp_path)
    run = publish(tmp_path, "--repository", "testpypi", str(wheel))
    assert 2 == run.returncode
    assert run.stderr.strip().startswith(
        "error: https://test.pypi.org/legacy/: no credentials for the upload; "
        "publish from CI with trusted publishing, or set RELEASEKIT_TOKEN"
    )


def test_half_a_login_in_the_environment_is_an_error(tmp_path: Path) -> None:
    """RELEASEKIT_USERNAME without RELEASEKIT_PASSWORD is named, not silently ignored."""
    run = publish(tmp_path, str(make.wheel(tmp_path)), env={"RELEASEKIT_USERNAME": "me"})
    assert 2 == run.returncode
    assert (
        "error: environment: RELEASEKIT_USERNAME is set but RELEASEKIT_PASSWORD is not; set both, "
        "or use RELEASEKIT_TOKEN for an API token (unset RELEASEKIT_USERNAME)"
    ) == run.stderr.strip()


def test_pypirc_names_the_repository_and_its_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ~/.pypirc section gives the URL and the login, as with twine."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    wheel = make.wheel(tmp_path)
    with strict_index(IndexState(token=TOKEN)) as (url, state):
        (home / ".pypirc").write_text(
            "[distutils]\nindex-servers =\n    pypi\n    private\n\n"
            f"[private]\nrepository = {url}legacy/\nusername = __token__\npassword = {TOKEN}\n"
        )
        run = run_releasekit(
            tmp_path,
            "-v",
            "publish",
            "--repository",
            "private",
            str(wheel),
            env={"RELEASEKIT_INDEX_URL": url + "simple/"},
        )
    assert 0 == run.returncode, run.stderr
    assert [wheel.name] == state.stored
    assert f"credentials from {home}/.pypirc [private]" in run.stderr
    assert TOKEN not in run.stdout + run.stderr


def test_unknown_pypirc_repository_and_broken_pypirc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A repository name that is nowhere, and a .pypirc that is not INI, are one-line errors."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    wheel = make.wheel(tmp_path)
    missing = publish(tmp_path, "--repository", "private", str(wheel))
    assert 2 == missing.returncode
    assert (
        f"error: --repository: repository 'private' is not in {home}/.pypirc; add a [private] "
        "section with repository = URL, or use --repository-url"
    ) == missing.stderr.strip()
    (home / ".pypirc").write_text("[pypi\nusername = x\n")
    broken = publish(tmp_path, str(wheel))
    assert 2 == broken.returncode
    assert broken.stderr.startswith(f"error: {home}/.pypirc: cannot read it: ")
    assert 1 == len(broken.stderr.splitlines())


def test_keyring_provides_the_login(tmp_path: Path) -> None:
    """Without other credentials, keyring is asked for the upload URL (through its real API)."""
    wheel = make.wheel(tmp_path)
    keyring_file = tmp_path / "keyring.json"
    with strict_index(IndexState(token=TOKEN)) as (url, state):
        keyring_file.write_text(json.dumps({url + "legacy/": {"__token__": TOKEN}}))
        run = run_releasekit(
            tmp_path,
            "-v",
            "publish",
            "--repository-url",
            url + "legacy/",
            str(wheel),
            env={
                "RELEASEKIT_INDEX_URL": url + "simple/",
                "PYTHON_KEYRING_BACKEND": "tests.keyring_backend.FileKeyring",
                "RELEASEKIT_TEST_KEYRING": str(keyring_file),
                "PYTHONPATH": str(Path(__file__).parent.parent),
            },
        )
    assert 0 == run.returncode, run.stderr
    assert "credentials from keyring" in run.stderr
    assert [wheel.name] == state.stored
    assert TOKEN not in run.stdout + run.stderr


@pytest.mark.parametrize("verbose", [(), ("-v",), ("-vv",)])
def test_token_echoed_by_the_server_never_appears(tmp_path: Path, verbose: tuple[str, ...]) -> None:
    """A server that repeats the Authorization header in its errors: masked everywhere."""
    wheel = make.wheel(tmp_path)
    header = base64.b64encode(f"__token__:{TOKEN}".encode()).decode()
    with strict_index(IndexState(echo_authorization=True)) as (url, state):
        runs = [
            run_releasekit(
                tmp_path,
                *verbose,
                "publish",
                "--repository-url",
                url + "legacy/",
                *extra,
                str(wheel),
                env=strict_env(url),
            )
            for extra in ((), ("--json",), ("--skip-existing",))
        ]
    assert state.authorizations[0] == f"Basic {header}"  # it really was sent, and echoed
    for run in runs:
        assert 1 == run.returncode
        output = run.stdout + run.stderr
        assert TOKEN not in output
        assert header not in output
        assert TOKEN[10:30] not in output
    assert "you sent Authorization: ********" in runs[0].stdout


def test_dry_run_checks_and_looks_up_but_sends_nothing(tmp_path: Path) -> None:
    """--dry-run reports what would happen; the index sees lookups only."""
    files = make.release(tmp_path / "dist", wheels=2)
    with strict_index() as (url, state):
        run = upload(
            tmp_path,
            url,
            "--dry-run",
            "--json",
            *map(str, files),
            env=strict_env(url),
        )
    assert 0 == run.returncode, run.stderr
    assert 0 == state.posts
    assert {"would-upload"} == set(statuses(run).values())
    assert report(run)["dry_run"] is True


def test_files_the_index_does_not_serve_afterwards_fail_verification(tmp_path: Path) -> None:
    """An upload the index never shows is "unverified" after the bounded wait (exit 1)."""
    wheel = make.wheel(tmp_path)
    with strict_index(IndexState(hide_files=True)) as (url, _):
        run = upload(
            tmp_path,
            url,
            "--json",
            str(wheel),
            env=strict_env(url, RELEASEKIT_VERIFY_TIMEOUT="1"),
        )
    assert 1 == run.returncode
    assert {wheel.name: "unverified"} == statuses(run)
    assert "the index did not serve it within 1 s" in files_of(run)[0]["message"]


def test_index_serving_another_hash_fails_verification(tmp_path: Path) -> None:
    """An index that serves another sha256 than the one sent is a failed release."""
    wheel = make.wheel(tmp_path)
    with strict_index(IndexState(serve_wrong_hash=True)) as (url, _):
        run = upload(tmp_path, url, "--json", str(wheel), env=strict_env(url))
        unchecked = upload(
            tmp_path,
            url,
            "--no-verify",
            "--skip-existing",
            str(wheel),
            env=strict_env(url),
        )
    assert 1 == run.returncode
    assert {wheel.name: "failed"} == statuses(run)
    assert "the index serves another file of this name" in files_of(run)[0]["message"]
    assert 1 == unchecked.returncode  # the preflight lookup sees the clash too


def test_no_verify_skips_the_check_afterwards(tmp_path: Path) -> None:
    """--no-verify: the upload's 200 is taken as it is."""
    wheel = make.wheel(tmp_path)
    with strict_index(IndexState(hide_files=True)) as (url, _):
        run = upload(
            tmp_path,
            url,
            "--no-verify",
            "--json",
            str(wheel),
            env=strict_env(url),
        )
    assert 0 == run.returncode, run.stderr
    assert report(run)["verified"] is False


def test_jobs_out_of_range_is_a_usage_error(tmp_path: Path) -> None:
    """--jobs 0 is refused by the command line with exit 2."""
    run = publish(tmp_path, "--jobs", "0", str(make.wheel(tmp_path)))
    assert 2 == run.returncode
    assert "--jobs" in run.stderr
    assert 1 == len(run.stderr.splitlines())


def test_default_dist_folder_is_used(tmp_path: Path) -> None:
    """Without arguments, publish takes dist/* like check does."""
    files = make.release(tmp_path / "dist", wheels=1)
    shutil.copy(files[0], tmp_path / "dist" / "notes.txt")
    with strict_index() as (url, state):
        run = upload(tmp_path, url, env=strict_env(url))
    assert 0 == run.returncode, run.stderr
    assert sorted(f.name for f in files) == sorted(state.stored)


def on_a_terminal(cwd: Path, args: list[str], env: dict[str, str], columns: int) -> tuple[int, str]:
    """Run releasekit on a pseudo-terminal ``columns`` wide; its exit code and what it drew."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [releasekit_command(), *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=terminal,
        env={**os.environ, **env, "TERM": "xterm-256color", "COLUMNS": str(columns)},
    )
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal closes when the process ends
            break
        if not chunk:
            break
        chunks.append(chunk)
    code = process.wait(timeout=60)
    os.close(controller)
    return code, re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode("utf-8", "replace"))


@pytest.mark.parametrize("columns", [120, 80])
def test_terminal_gets_progress_bars_and_no_secret(tmp_path: Path, columns: int) -> None:
    """On a terminal: a bar per file and one for the batch, in MiB/KiB, within 80 columns."""
    files = make.release(tmp_path / "dist", wheels=2)
    with (
        strict_index() as (url, state),
        fault_proxy(url, ProxyState(delay=0.3)) as (proxy, _),
    ):
        args = ["publish", "--repository-url", proxy + "legacy/", *map(str, files)]
        code, output = on_a_terminal(tmp_path, args, strict_env(url), columns)
    assert 0 == code, output
    assert 3 == len(state.stored)
    assert "KiB" in output  # the transfer column, drawn while a file is in flight
    assert " kB" not in output  # one unit everywhere: binary
    assert " MB" not in output
    assert "all: 0/3 files" in output  # the bar for the whole batch
    for path in files:
        assert f"uploaded {path.name}" in output
        assert f"verified {path.name}" in output
    assert TOKEN not in output
    for line in re.split(r"[\r\n]+", output):
        assert len(line) <= columns, line
        assert line.strip() not in {"KiB", "MiB", "KiB/s", "MiB/s", "?"}, output


def test_terminal_shows_the_wait_for_the_index(tmp_path: Path) -> None:
    """While the index does not serve the files yet, a spinner line says how long it has waited."""
    wheel = make.wheel(tmp_path)
    with strict_index(IndexState(hide_files=True)) as (url, _):
        args = ["publish", "--repository-url", url + "legacy/", str(wheel)]
        code, output = on_a_terminal(
            tmp_path, args, strict_env(url, RELEASEKIT_VERIFY_TIMEOUT="2"), 80
        )
    assert 1 == code
    assert "waiting for 1 file(s) on the index, 0 s of 2 s" in output
    assert f"unverified {wheel.name}: uploaded, but the index did not serve it within 2 s" in output


def test_without_lookups_the_index_is_the_judge(tmp_path: Path) -> None:
    """No simple API answers: a warning; an identical re-upload gets 200, another file 400."""
    wheel = make.wheel(tmp_path)
    (tmp_path / "other").mkdir()
    other = make.wheel(tmp_path / "other", body="# Other\n")
    with strict_index(IndexState(simple_api=False)) as (url, state):
        env = {"RELEASEKIT_TOKEN": TOKEN}
        first = upload(tmp_path, url, str(wheel), env=env)
        again = upload(tmp_path, url, str(wheel), env=env)
        clash = upload(tmp_path, url, str(other), env=env)
    assert (0, 0, 1) == (first.returncode, again.returncode, clash.returncode)
    assert "files are neither looked up before nor verified after the upload" in first.stderr
    assert [wheel.name] == state.stored
    assert 3 == state.posts
    assert (
        f"failed {other.name}: 400 File already exists ('{other.name}', with blake2_256 hash"
        in clash.stdout
    )
    assert "a file name is never accepted twice" in clash.stdout


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupt_keeps_what_landed_and_says_how_to_finish(
    tmp_path: Path, number: signal.Signals
) -> None:
    """Ctrl-C or SIGTERM in a stalled upload: exit 130 at once, each file's fate, how to finish."""
    files = make.release(tmp_path / "dist", wheels=2)
    state = ProxyState(faults=["silent"])  # an upload that would never end
    with strict_index() as (url, _), fault_proxy(url, state) as (proxy, held):
        args = ["publish", "--repository-url", proxy + "legacy/", "--jobs", "1", *map(str, files)]
        process = spawn_releasekit(tmp_path, *args, env=strict_env(url))
        assert process.stderr is not None
        deadline = time.monotonic() + 60
        while not held.held and time.monotonic() < deadline:  # until the upload stalls
            time.sleep(0.02)
        process.send_signal(number)
        interrupted = time.monotonic()
        stderr = process.stderr.read()  # through the file object: nothing buffered is lost
        process.wait(timeout=60)
        seconds = time.monotonic() - interrupted
    assert 128 + number == process.returncode  # 130 for Ctrl-C, 143 for SIGTERM
    wheels = sorted(f.name for f in files if f.name.endswith(".whl"))
    lines = stderr.strip().splitlines()
    assert f"  may have landed (in flight): {wheels[0]}" in lines
    assert f"  not sent: {wheels[1]}" in lines
    assert "  not sent: demo_pkg-1.0.0.tar.gz" in lines
    assert (
        "error: interrupted; 0 file(s) landed, 1 may have landed (in flight), 2 not sent; "
        "files that landed stay on the index; finish the release with: releasekit publish "
        f"--skip-existing --repository-url {proxy}legacy/ --jobs 1 {' '.join(map(str, files))}"
    ) == lines[-1]
    assert seconds < 3.0  # about 2 s was asked; loose, for a loaded machine
    assert "Traceback" not in stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--token", TOKEN), "error: --token: releasekit takes no secrets on the command line"),
        (("-t", TOKEN), "error: --token: releasekit takes no secrets on the command line"),
        (("-u", "__token__"), "error: --username: releasekit takes no secrets on the command"),
        (("--password", TOKEN), "error: --password: releasekit takes no secrets on the command"),
        (("-p", TOKEN), "error: --password: releasekit takes no secrets on the command line"),
        (
            ("--publish-url", "https://x.example/"),
            "error: --publish-url: releasekit calls uv's --publish-url --repository-url; "
            "pass --repository-url URL (the legacy upload URL)",
        ),
        (
            ("--check-url", "https://x.example/simple/"),
            "error: --check-url: releasekit calls uv's --check-url --index-url; pass --index-url",
        ),
    ],
)
def test_twine_and_uv_options_say_what_releasekit_uses(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    """twine's and uv's options: one usage line (exit 2) naming releasekit's way; no secret shown."""
    wheel = make.wheel(tmp_path)
    run = publish(tmp_path, *args, str(wheel))
    assert 2 == run.returncode
    assert 1 == len(run.stderr.splitlines()), run.stderr
    assert run.stderr.startswith(message)
    assert "Did you mean" not in run.stderr
    assert TOKEN not in run.stdout + run.stderr
    if "secrets" in message:
        assert "set RELEASEKIT_TOKEN" in run.stderr
        assert "trusted publishing" in run.stderr


def test_help_stays_clean_of_the_arrival_options(tmp_path: Path) -> None:
    """The hidden options for twine's and uv's flags do not show in --help."""
    run = publish(tmp_path, "--help")
    assert 0 == run.returncode
    for option in ("--token", "--username", "--password", "--publish-url", "--check-url"):
        assert option not in run.stdout
    assert "--index-url" in run.stdout


@pytest.mark.parametrize(
    ("env", "note", "username"),
    [
        (
            {"UV_PUBLISH_TOKEN": TOKEN},
            "note: using UV_PUBLISH_TOKEN (set RELEASEKIT_TOKEN to silence this)",
            "__token__",
        ),
        (
            {"TWINE_PASSWORD": TOKEN},
            "note: using TWINE_PASSWORD (set RELEASEKIT_TOKEN to silence this)",
            "__token__",
        ),
        (
            {"TWINE_USERNAME": "__token__", "TWINE_PASSWORD": TOKEN},
            "note: using TWINE_USERNAME/TWINE_PASSWORD (set RELEASEKIT_TOKEN to silence this)",
            "__token__",
        ),
        (
            {"UV_PUBLISH_USERNAME": "releaser", "UV_PUBLISH_PASSWORD": TOKEN},
            "note: using UV_PUBLISH_USERNAME/UV_PUBLISH_PASSWORD (set RELEASEKIT_USERNAME and "
            "RELEASEKIT_PASSWORD to silence this)",
            "releaser",
        ),
    ],
)
def test_twine_and_uv_credentials_are_honoured_with_a_note(
    tmp_path: Path, env: dict[str, str], note: str, username: str
) -> None:
    """uv's and twine's login variables are used after releasekit's own, and say so; no secret shows."""
    wheel = make.wheel(tmp_path)
    with strict_index(IndexState(token=TOKEN)) as (url, _):
        run = upload(
            tmp_path,
            url,
            "--dry-run",
            str(wheel),
            env={**env, "RELEASEKIT_INDEX_URL": url + "simple/"},
        )
    assert 0 == run.returncode, run.stderr
    assert note in run.stderr.splitlines()
    source = note.removeprefix("note: using ").split(" ")[0]
    assert (
        f"Would upload 1 file(s) (1.3 KiB) to {url}legacy/ as {username} ({source})." in run.stdout
    )
    assert TOKEN not in run.stdout + run.stderr


def test_releasekit_token_comes_first_and_silences_the_note(tmp_path: Path) -> None:
    """With RELEASEKIT_TOKEN set, TWINE_PASSWORD is not used and no note is printed (-v names it)."""
    wheel = make.wheel(tmp_path)
    with strict_index(IndexState(token=TOKEN)) as (url, _):
        run = run_releasekit(
            tmp_path,
            "-v",
            "publish",
            "--repository-url",
            url + "legacy/",
            str(wheel),
            env={
                "RELEASEKIT_TOKEN": TOKEN,
                "TWINE_PASSWORD": "twine-secret-value",
                "RELEASEKIT_INDEX_URL": url + "simple/",
            },
        )
    assert 0 == run.returncode, run.stderr
    assert "note:" not in run.stderr
    assert "credentials from RELEASEKIT_TOKEN (also set, not used: TWINE_PASSWORD)" in run.stderr
    assert "twine-secret-value" not in run.stdout + run.stderr


def test_half_a_twine_login_is_refused(tmp_path: Path) -> None:
    """TWINE_USERNAME without TWINE_PASSWORD is named, not silently ignored (exit 2)."""
    run = publish(tmp_path, str(make.wheel(tmp_path)), env={"TWINE_USERNAME": "me"})
    assert 2 == run.returncode
    assert (
        "error: environment: TWINE_USERNAME is set but TWINE_PASSWORD is not; set both, "
        "or use RELEASEKIT_TOKEN for an API token (unset TWINE_USERNAME)\n"
    ) == run.stderr


@pytest.mark.parametrize(
    "variable", ["RELEASEKIT_REPOSITORY_URL", "UV_PUBLISH_URL", "TWINE_REPOSITORY_URL"]
)
def test_upload_url_from_the_environment(tmp_path: Path, variable: str) -> None:
    """RELEASEKIT_REPOSITORY_URL is releasekit's; uv's and twine's are honoured with a note."""
    wheel = make.wheel(tmp_path)
    with strict_index() as (url, state):
        run = publish(tmp_path, str(wheel), env={variable: url + "legacy/", **strict_env(url)})
    assert 0 == run.returncode, run.stderr
    assert [wheel.name] == state.stored
    notes = [line for line in run.stderr.splitlines() if line.startswith("note:")]
    if variable == "RELEASEKIT_REPOSITORY_URL":
        assert [] == notes
    else:
        assert [f"note: using {variable} (set RELEASEKIT_REPOSITORY_URL to silence this)"] == notes


def test_repository_flag_beats_an_upload_url_in_the_environment(tmp_path: Path) -> None:
    """-r testpypi wins over TWINE_REPOSITORY_URL: no note, and PyPI's rule applies (no login)."""
    run = publish(
        tmp_path,
        "-r",
        "testpypi",
        str(make.wheel(tmp_path)),
        env={"TWINE_REPOSITORY_URL": "http://127.0.0.1:9/"},
    )
    assert 2 == run.returncode
    assert run.stderr.startswith("error: https://test.pypi.org/legacy/: no credentials")
    assert "note:" not in run.stderr


def test_html_error_from_pypiserver_is_one_short_line_shown_once(tmp_path: Path) -> None:
    """pypiserver's 409 page: its title and reason only, printed once, clean in --json too."""
    packages = tmp_path / "packages"
    packages.mkdir()
    wheel = make.wheel(tmp_path)
    # Lookups that cannot be made let the upload go, so that pypiserver itself answers.
    blind = {"RELEASEKIT_INDEX_URL": f"http://127.0.0.1:{free_port()}/simple/"}
    with pypiserver(packages) as url:
        assert 0 == publish(tmp_path, "--repository-url", url, "--no-verify", str(wheel)).returncode
        again = publish(tmp_path, "--repository-url", url, "--no-verify", str(wheel), env=blind)
        as_json = publish(
            tmp_path, "--repository-url", url, "--no-verify", "--json", str(wheel), env=blind
        )
    assert 1 == again.returncode
    output = again.stdout + again.stderr
    expected = f"failed {wheel.name}: 409 Conflict: Package '{wheel.name}' already exists!"
    assert 1 == output.count(expected), output
    assert 1 == output.count("already exists")
    for text in (output, as_json.stdout):
        assert "background-color" not in text
        assert "&#039;" not in text
        assert "<" not in text.replace("<=", "")
    assert (
        f"409 Conflict: Package '{wheel.name}' already exists!" in files_of(as_json)[0]["message"]
    )


def test_dry_run_says_where_and_as_whom_and_publish_says_where_to_look(tmp_path: Path) -> None:
    """--dry-run names the upload URL and the credential source; a publish ends with the page."""
    files = make.release(tmp_path / "dist", wheels=1)
    with strict_index() as (url, state):
        dry = upload(tmp_path, url, *map(str, files), "--dry-run", env=strict_env(url))
        real = upload(tmp_path, url, *map(str, files), env=strict_env(url))
    assert 0 == dry.returncode, dry.stderr
    size = sum(f.stat().st_size for f in files) / 1024
    assert (
        f"Would upload 2 file(s) ({size:.1f} KiB) to {url}legacy/ as __token__ (RELEASEKIT_TOKEN)."
        in dry.stdout.splitlines()
    )
    assert "Next: run the same command without --dry-run to upload." in dry.stdout
    assert 0 == state.posts - 2
    assert 0 == real.returncode, real.stderr
    assert f"View at: {url}simple/demo-pkg/" == real.stdout.splitlines()[-1]


def test_verbose_traceback_of_a_broken_pypirc_shows_no_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With -v, the traceback of a malformed ~/.pypirc carries none of the file's lines."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    wheel = make.wheel(tmp_path)
    (home / ".pypirc").write_text("password = pw-SECRET-9876\n[local]\nrepository = x\n")
    run = run_releasekit(
        tmp_path, "-v", "publish", "--repository", "local", "--dry-run", str(wheel)
    )
    assert 2 == run.returncode
    assert "Traceback" in run.stderr
    assert "SECRET" not in run.stdout + run.stderr


def test_a_token_in_the_query_string_is_refused(tmp_path: Path) -> None:
    """?token= in --repository-url is refused like user:pass@, and never printed."""
    wheel = make.wheel(tmp_path)
    run = publish(
        tmp_path,
        "--repository-url",
        "http://127.0.0.1:9/legacy/?token=pypi-SECRET-query",
        "--dry-run",
        "--json",
        str(wheel),
    )
    assert 2 == run.returncode
    assert "must not contain credentials" in run.stderr
    assert "SECRET" not in run.stdout + run.stderr


class _EchoingIndex(http.server.BaseHTTPRequestHandler):
    """An index that refuses everything and echoes the login in many encodings, with escapes."""

    def log_message(self, format: str, *args: object) -> None:  # the base's name
        pass

    def _refuse(self) -> None:
        header = self.headers.get("Authorization", "Basic ")
        pair = base64.b64decode(header.removeprefix("Basic ")).decode()
        user, _, password = pair.partition(":")
        echoes = (
            f"Invalid credentials for {user}:{password}",
            f"url {urllib.parse.quote(password, safe='')}",
            f"json {json.dumps(password)}",
            f"auth {header}",
        )
        text = "; ".join(echoes) + "\x1b[2K\r(fake)\x1b]0;pwned\x07\x1b[8m hidden"
        body = json.dumps({"message": text}).encode()
        self.send_response(403, "Forbidden")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _refuse  # the names http.server dispatches to


@pytest.mark.parametrize("password", ["Q7z", 'p@ss w"rd/42'])
def test_a_server_echoing_the_login_shows_no_secret_and_no_escapes(
    tmp_path: Path, password: str
) -> None:
    """Short passwords, URL-encoded and JSON-escaped echoes are masked; escapes are dropped."""
    wheel = make.wheel(tmp_path)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _EchoingIndex)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        run = run_releasekit(
            tmp_path,
            "-v",
            "publish",
            "--repository-url",
            url + "legacy/",
            str(wheel),
            env={
                "RELEASEKIT_INDEX_URL": url + "simple/",
                "RELEASEKIT_USERNAME": "alice",
                "RELEASEKIT_PASSWORD": password,
            },
        )
    finally:
        server.shutdown()
        server.server_close()
    output = run.stdout + run.stderr
    assert 0 != run.returncode
    assert "Invalid credentials for alice:********" in output, output
    for form in (password, urllib.parse.quote(password, safe=""), json.dumps(password)[1:-1]):
        assert not re.search(rf"(?<!\w){re.escape(form)}(?!\w)", output), form
    assert "\x1b" not in output
    assert "\r" not in output


def test_dry_run_leaves_folders_in_dist_out(tmp_path: Path) -> None:
    """publish --dry-run with dist/old/ beside the files: the files only; a named folder: exit 2."""
    files = make.release(tmp_path / "dist", wheels=1)
    (tmp_path / "dist" / "old").mkdir()
    (tmp_path / "dist" / "x.whl").mkdir()
    with strict_index() as (url, state):
        run = upload(tmp_path, url, "-v", "--dry-run", env=strict_env(url))
        named = upload(tmp_path, url, "--dry-run", "dist/x.whl", env=strict_env(url))
    assert 0 == run.returncode, run.stderr
    assert "skipping dist/old/: a directory, not a distribution file" in run.stderr
    assert "skipping dist/x.whl/: a directory, not a distribution file" in run.stderr
    assert sorted(f"would upload {f.name}" for f in files) == sorted(
        line.split(" (")[0] for line in run.stdout.splitlines() if line.startswith("would upload")
    )
    assert 2 == named.returncode
    assert (
        "error: dist/x.whl is a directory, not a distribution file; name the files in it "
        "(dist/x.whl/*) or build first: releasekit build"
    ) == named.stderr.strip().splitlines()[-1]
    assert 0 == state.posts


def test_retry_after_is_honoured(tmp_path: Path) -> None:
    """A 429 with Retry-After: 2 is waited out as asked, not with the short own backoff."""
    wheel = make.wheel(tmp_path)
    with strict_index() as (url, index), fault_proxy(url, ProxyState(["429:2"])) as (proxy, held):
        run = upload(tmp_path, proxy, str(wheel), env=strict_env(url))
    assert 0 == run.returncode, run.stderr
    assert (
        f"warning: {wheel.name}: attempt 1 failed (429 Too Many Requests); retrying in 2.0 s"
        in (run.stderr)
    )
    assert ["429:2", "ok"] == held.applied
    assert held.arrived[1] - held.arrived[0] >= 2.0  # the server's wish
    assert [wheel.name] == index.stored


def test_a_huge_retry_after_fails_at_once(tmp_path: Path) -> None:
    """A 429 asking for 400 s (over 5 minutes) is not waited out: the file fails now."""
    wheel = make.wheel(tmp_path)
    with strict_index() as (url, index), fault_proxy(url, ProxyState(["429:400"])) as (proxy, held):
        started = time.monotonic()
        run = upload(tmp_path, proxy, str(wheel), env=strict_env(url))
        seconds = time.monotonic() - started
    assert 1 == run.returncode
    assert (
        f"failed {wheel.name}: 429 Too Many Requests; the index asks to wait 400 s, try again later"
    ) in run.stdout.splitlines()
    assert ["429:400"] == held.applied
    assert [] == index.stored
    assert seconds < 60  # loose: far below the 400 s asked


def test_a_5xx_whose_upload_landed_is_confirmed_by_hash_not_resent(tmp_path: Path) -> None:
    """The index stored the file but answered 503: the lookup by hash finds it; one POST only."""
    wheel = make.wheel(tmp_path)
    script = ProxyState(["land-then-503"])
    with strict_index() as (url, index), fault_proxy(url, script) as (proxy, held):
        run = upload(tmp_path, proxy, "--json", str(wheel), env=strict_env(url))
    assert 0 == run.returncode, run.stderr
    assert 1 == index.posts
    assert ["land-then-503"] == held.applied
    assert [
        {
            "file": wheel.name,
            "status": "uploaded",
            "message": "an earlier attempt had landed; confirmed by hash",
        }
    ] == [{k: f[k] for k in ("file", "status", "message")} for f in files_of(run)]
