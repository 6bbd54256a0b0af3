"""publish against servers that never finish answering: every request ends at its deadline.

A per-read timeout never fires for a server that sends a byte every little while; these tests
put such servers (silent, trickling headers, trickling body) in front of the strict index with
the fault proxy, set small limits through the environment, and check that the file fails (or is
retried, and confirmed by hash) with a message naming the deadline, in bounded time.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests import distfactory as make
from tests.faultproxy import ProxyState, fault_proxy
from tests.strict_index import strict_index
from tests.support import Run, run_releasekit

TOKEN = "pypi-AgEIcHlwaS5vcmcCJGRlbW8tZGVhZGxpbmUtdGVzdHM"
# Limits small enough for a test: a second per request; silence alone would take 30 s to notice.
QUICK = {
    "RELEASEKIT_TOKEN": TOKEN,
    "RELEASEKIT_REQUEST_TIMEOUT": "1",
    "RELEASEKIT_READ_TIMEOUT": "30",
    "RELEASEKIT_MIN_UPLOAD_SPEED": "1000000",
}


def publish_through(
    cwd: Path, proxy: str, simple: str, *args: str, **env: str
) -> tuple[Run, float]:
    """``releasekit publish`` to the proxy's upload URL; the run and its wall time."""
    started = time.monotonic()
    run = run_releasekit(
        cwd,
        "publish",
        "--repository-url",
        proxy + "legacy/",
        *args,
        env={**QUICK, "RELEASEKIT_INDEX_URL": simple, **env},
    )
    return run, time.monotonic() - started


@pytest.mark.parametrize("fault", ["silent", "trickle-headers:0.2", "trickle-body:0.2"])
def test_a_stalled_upload_fails_at_its_deadline(tmp_path: Path, fault: str) -> None:
    """No answer, headers a line at a time, a body a byte at a time: failed at the deadline."""
    wheel = make.wheel(tmp_path)
    size = wheel.stat().st_size
    with strict_index() as (url, index), fault_proxy(url, ProxyState([fault])) as (proxy, state):
        run, seconds = publish_through(
            tmp_path, proxy, url + "simple/", str(wheel), RELEASEKIT_UPLOAD_ATTEMPTS="1"
        )
    assert 1 == run.returncode, run.stderr
    assert (
        f"failed {wheel.name}: gave up after 1 attempt: no complete answer within the deadline "
        f"of 1 s (request-timeout 1 s + {size} bytes at min-upload-speed 1e+06 KiB/s); raise "
        "request-timeout or lower min-upload-speed for a slow link"
    ) in run.stdout.splitlines()
    assert [fault] == state.applied
    assert [] == index.stored
    assert seconds < 15  # 1 s asked, and the command's own start; loose for a loaded machine


def test_the_deadline_grows_with_the_file(tmp_path: Path) -> None:
    """An attempt gets request-timeout plus its size at min-upload-speed: 0.5 s + 1.5 s here."""
    wheel = make.wheel(tmp_path)
    speed = wheel.stat().st_size / 1024 / 1.5  # KiB/s that send this file in 1.5 s
    with strict_index() as (url, _), fault_proxy(url, ProxyState(["silent"])) as (proxy, _):
        run, seconds = publish_through(
            tmp_path,
            proxy,
            url + "simple/",
            str(wheel),
            RELEASEKIT_UPLOAD_ATTEMPTS="1",
            RELEASEKIT_REQUEST_TIMEOUT="0.5",
            RELEASEKIT_MIN_UPLOAD_SPEED=repr(speed),
        )
    assert 1 == run.returncode, run.stderr
    assert "no complete answer within the deadline of 2 s (request-timeout 0.5 s + " in run.stdout
    assert seconds < 15


def test_a_deadline_is_retried_and_a_landed_file_confirmed_by_hash(tmp_path: Path) -> None:
    """The upload lands, the answer never comes: the lookup by hash confirms it, no resend."""
    wheel = make.wheel(tmp_path)
    script = ProxyState(["land-then-silent"])
    with strict_index() as (url, index), fault_proxy(url, script) as (proxy, state):
        run, seconds = publish_through(tmp_path, proxy, url + "simple/", str(wheel))
    assert 0 == run.returncode, run.stderr
    assert f"warning: {wheel.name}: attempt 1 failed (no complete answer within the deadline" in (
        run.stderr
    )
    assert f"uploaded {wheel.name} (" in run.stdout
    assert "; an earlier attempt had landed; confirmed by hash)" in run.stdout
    assert (1, [wheel.name]) == (index.posts, index.stored)
    assert ["land-then-silent"] == state.applied
    assert seconds < 20


def test_a_silent_first_attempt_is_sent_again(tmp_path: Path) -> None:
    """A deadline is an ordinary retriable failure: nothing landed, so the file goes again."""
    wheel = make.wheel(tmp_path)
    with strict_index() as (url, index), fault_proxy(url, ProxyState(["silent"])) as (proxy, _):
        run, _ = publish_through(tmp_path, proxy, url + "simple/", str(wheel))
    assert 0 == run.returncode, run.stderr
    assert "attempt 1 failed (no complete answer within the deadline of 1 s" in run.stderr
    assert (1, [wheel.name]) == (index.posts, index.stored)


@pytest.mark.parametrize("fault", ["silent", "trickle-body:0.2"])
def test_a_stalled_lookup_is_cut_at_the_deadline(tmp_path: Path, fault: str) -> None:
    """A simple API that never finishes its page: unknown, not empty; nothing is sent."""
    wheel = make.wheel(tmp_path)
    script = ProxyState(lookup_fault=fault)
    with strict_index() as (url, index), fault_proxy(url, script) as (proxy, _):
        run, seconds = publish_through(
            tmp_path, proxy, proxy + "simple/", "--skip-existing", str(wheel)
        )
    assert 1 == run.returncode, run.stderr
    assert (
        f"error: {proxy}simple/demo-pkg/: --skip-existing cannot tell which files exist: the "
        "index did not answer within 1 s (request-timeout); nothing was uploaded"
    ) in run.stderr
    assert 0 == index.posts
    assert seconds < 15


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "RELEASEKIT_REQUEST_TIMEOUT",
            "soon",
            "request-timeout must be a positive number of seconds, not 'soon'",
        ),
        ("RELEASEKIT_CONNECT_TIMEOUT", "0", "connect-timeout must be a positive number"),
        ("RELEASEKIT_READ_TIMEOUT", "-1", "read-timeout must be a positive number of seconds"),
        (
            "RELEASEKIT_MIN_UPLOAD_SPEED",
            "fast",
            "min-upload-speed must be a positive number of KiB per second, not 'fast'",
        ),
        (
            "RELEASEKIT_UPLOAD_ATTEMPTS",
            "0",
            "upload-attempts must be a whole number from 1 to 20, not '0'",
        ),
    ],
)
def test_a_bad_limit_is_one_line_exit_2(
    tmp_path: Path, variable: str, value: str, message: str
) -> None:
    """Each limit is validated like verify-timeout: one line naming the variable, exit 2."""
    wheel = make.wheel(tmp_path)
    run = run_releasekit(tmp_path, "publish", "--dry-run", str(wheel), env={variable: value})
    assert 2 == run.returncode
    assert f"error: environment variable {variable}: {message}" in run.stderr
    assert "Traceback" not in run.stderr
