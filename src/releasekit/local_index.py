"""An embedded package index for rehearsals: pypiserver on 127.0.0.1, with upload authentication.

pypiserver is an optional dependency (the ``rehearse`` extra). It runs as a subprocess of the
current interpreter (``python -m pypiserver run``), bound to the loopback address on a free port,
serving a folder of its own; uploads need a throwaway user and password written to an htpasswd
file with passlib, so that the rehearsal exercises the same authenticated upload a real index
does. The server is always stopped: terminated, waited for (bounded), killed if it lingers.
"""

from __future__ import annotations

import contextlib
import importlib
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path

from releasekit.errors import EXIT_USAGE, ReleaseError
from releasekit.index.target import Credentials
from releasekit.records import field, frozen

INSTALL_HINT = "install it with: pip install 'releasekit[rehearse]'"
_START_SECONDS = 30.0
_STOP_SECONDS = 5.0
_PORT_ATTEMPTS = 3


class MissingExtra(ReleaseError):
    """An optional dependency that the command needs is not installed (exit 2)."""

    exit_code = EXIT_USAGE


class LocalIndexError(ReleaseError):
    """The embedded index could not be started (exit 1)."""


@frozen
class LocalIndex:
    """A running local index: where to upload, where to look files up, and who may upload."""

    upload_url: str
    simple_url: str
    packages: Path
    credentials: Credentials = field(repr=False)


def require_pypiserver() -> None:
    """Raise ``MissingExtra`` unless pypiserver and passlib can be imported."""
    for module in ("pypiserver", "passlib.apache"):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # passlib imports the deprecated crypt module
                importlib.import_module(module)
        except ImportError as exc:
            raise MissingExtra(
                f"rehearse needs pypiserver with passlib for its local index ({exc})",
                hint=INSTALL_HINT,
            ) from exc


def write_htpasswd(path: Path) -> Credentials:
    """Create an htpasswd file with one random user and password; return them."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from passlib.apache import HtpasswdFile  # type: ignore[import-untyped]  # noqa: PLC0415  # optional extra without stubs

    username = f"rehearsal-{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(24)
    htpasswd = HtpasswdFile(str(path), new=True)
    htpasswd.set_password(username, password)
    htpasswd.save()
    return Credentials(username, password, "the rehearsal's throwaway login")


def _free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(url: str) -> bool:
    """Whether the server answers ``url`` at all."""
    try:
        urllib.request.urlopen(url, timeout=1).close()  # noqa: S310  # loopback http only
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False
    return True


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Terminate ``process``, wait a bounded time, then kill it."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _last_line(log: Path) -> str:
    """The last non-empty line the server wrote, for an error message."""
    try:
        lines = [line for line in log.read_text("utf-8", "replace").splitlines() if line.strip()]
    except OSError:
        return ""
    return lines[-1].strip() if lines else ""


@contextlib.contextmanager
def local_index(workdir: Path) -> Iterator[LocalIndex]:
    """Run pypiserver for the block, serving ``workdir/packages``; always stop it afterwards.

    ``workdir`` also receives the htpasswd file and the server's log. A port that another
    program takes between probing and binding is retried on a new port.
    """
    require_pypiserver()
    packages = workdir / "packages"
    packages.mkdir(exist_ok=True)
    htpasswd = workdir / "htpasswd"
    credentials = write_htpasswd(htpasswd)
    log = workdir / "pypiserver.log"
    for attempt in range(1, _PORT_ATTEMPTS + 1):
        port = _free_port()
        command = [
            sys.executable,
            "-m",
            "pypiserver",
            "run",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--authenticate",
            "update",
            "--passwords",
            str(htpasswd),
            "--disable-fallback",
            str(packages),
        ]
        with log.open("wb") as output:
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT
            )
        try:
            base = f"http://127.0.0.1:{port}/"
            deadline = time.monotonic() + _START_SECONDS
            while process.poll() is None and not _answers(base + "simple/"):
                if time.monotonic() > deadline:
                    raise LocalIndexError(
                        f"pypiserver did not answer within {_START_SECONDS:g} s",
                        where=base,
                        hint=f"see its log, {log}",
                    )
                time.sleep(0.1)
            if process.poll() is not None:
                if attempt < _PORT_ATTEMPTS and "in use" in _last_line(log):
                    continue
                raise LocalIndexError(
                    f"pypiserver stopped at start: {_last_line(log) or 'no output'}",
                    where=" ".join(command[:4]),
                    hint=f"{INSTALL_HINT}; its log is {log}",
                )
            yield LocalIndex(base, base + "simple/", packages, credentials)
            return
        finally:
            stop_process(process)
