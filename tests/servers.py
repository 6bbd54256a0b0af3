"""Real local index servers for tests: pypiserver, and a small PEP 691 JSON index."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
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
