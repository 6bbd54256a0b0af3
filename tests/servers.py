"""Real local index servers for tests: pypiserver, devpi-server, and a small PEP 691 JSON index."""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

Page = tuple[int, str, bytes]  # status, content type, body


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def pypiserver(packages: Path, *, htpasswd: Path | None = None) -> Iterator[str]:
    """A real pypiserver serving ``packages``; yields its base URL.

    Without ``htpasswd`` anyone may upload; with it, uploads need a login from that file.
    """
    port = free_port()
    auth = ["-a", "update", "-P", str(htpasswd)] if htpasswd else ["-a", ".", "-P", "."]
    command = [
        str(Path(sys.executable).parent / "pypi-server"),
        "run",
        "-p",
        str(port),
        "-i",
        "127.0.0.1",
        *auth,
        "--disable-fallback",
        str(packages),
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "simple/", timeout=1).close()  # noqa: S310  # loopback http
                break
            except (urllib.error.URLError, ConnectionError) as exc:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"pypiserver did not start: {process.stderr}") from exc
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@dataclass(frozen=True)
class Devpi:
    """A running devpi-server with one private index, and the login that may upload to it."""

    root: str  # http://127.0.0.1:PORT/
    index: str  # http://127.0.0.1:PORT/alice/dev/, its upload URL
    username: str
    password: str


def _devpi_put(url: str, login: tuple[str, str], body: dict[str, object]) -> None:
    """One JSON PUT to devpi's HTTP API, as its client sends it."""
    token = base64.b64encode(f"{login[0]}:{login[1]}".encode()).decode()
    request = urllib.request.Request(  # noqa: S310  # loopback http
        url,
        data=json.dumps(body).encode(),
        method="PUT",
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": f"Basic {token}",
        },
    )
    urllib.request.urlopen(request, timeout=30).close()  # noqa: S310  # loopback http


@contextmanager
def devpi_server(serverdir: Path) -> Iterator[Devpi]:
    """A real devpi-server on 127.0.0.1 with a private index (no PyPI mirror); stops at the end.

    ``devpi-init --no-root-pypi`` makes a server that never fetches from PyPI, so it runs offline;
    user ``alice`` and her non-volatile index ``dev`` are created through its HTTP API.
    """
    tools = Path(sys.executable).parent
    subprocess.run(
        [
            str(tools / "devpi-init"),
            "--serverdir",
            str(serverdir),
            "--no-root-pypi",
            "--root-passwd",
            "root-pw",
        ],
        check=True,
        capture_output=True,
    )
    port = free_port()
    command = [
        str(tools / "devpi-server"),
        "--serverdir",
        str(serverdir),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    root = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(root + "+api", timeout=1).close()  # noqa: S310  # loopback http
                break
            except (urllib.error.URLError, ConnectionError) as exc:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("devpi-server did not start") from exc
                time.sleep(0.2)
        _devpi_put(
            root + "alice", ("root", "root-pw"), {"password": "alice-pw", "email": "a@x.org"}
        )
        _devpi_put(root + "alice/dev", ("alice", "alice-pw"), {"bases": [], "volatile": False})
        yield Devpi(root, root + "alice/dev/", "alice", "alice-pw")
    finally:
        process.terminate()
        process.wait(timeout=30)


class _Handler(BaseHTTPRequestHandler):
    pages: ClassVar[dict[str, Page]] = {}
    requests: ClassVar[list[tuple[str, str]]] = []

    def do_GET(self) -> None:  # the name http.server dispatches to
        self.requests.append((self.path, self.headers.get("Accept", "")))
        status, content_type, body = self.pages.get(self.path, (404, "text/plain", b"not found"))
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # the base's name
        """Keep test output quiet."""


@contextmanager
def json_index(pages: dict[str, Page]) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """A local index answering ``pages`` by path; yields its URL and the requests it saw."""
    seen: list[tuple[str, str]] = []

    class Handler(_Handler):
        """A handler class of its own, so that each server keeps its own pages and log."""

    Handler.pages = pages
    Handler.requests = seen
    with serve(Handler) as url:
        yield url, seen


@contextmanager
def serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on a free port of 127.0.0.1 in a thread; yields the base URL.

    The server stops when the block ends, and its threads never outlive the test run.
    """
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
