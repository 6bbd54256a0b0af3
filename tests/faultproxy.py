"""A fault-injecting HTTP proxy on 127.0.0.1, in front of a real index.

Uploads (POST) take their fate from a script, one entry per request: ``ok`` forwards it,
``503``/``500`` answer with that status without forwarding, ``429:N`` answers 429 with
``Retry-After: N``, ``400`` refuses it with a JSON error, ``cut-request`` reads half the body and drops the connection,
``cut-response`` forwards the upload (so it lands) and then drops the connection without an
answer, and ``slow:S`` waits S seconds before forwarding. With ``delay`` every upload waits that
long first (an index that takes its time). GET and HEAD requests pass through.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from tests.servers import serve

_PASSED_HEADERS = ("Content-Type", "Content-Length", "Location", "Retry-After")


@dataclass
class ProxyState:
    """The script of faults still to apply, and what was applied."""

    faults: list[str] = field(default_factory=list)
    delay: float = 0.0
    applied: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_fault(self) -> str:
        """The fate of the next upload."""
        with self.lock:
            fault = self.faults.pop(0) if self.faults else "ok"
            self.applied.append(fault)
            return fault


def _handler(upstream: str, state: ProxyState) -> type[BaseHTTPRequestHandler]:
    target = urlsplit(upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # the base's name
            """Keep test output quiet."""

        def _drop(self) -> None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

        def _answer(
            self, status: int, headers: dict[str, str], body: bytes, reason: str | None = None
        ) -> None:
            self.send_response(status, reason)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _forward(self, body: bytes | None) -> tuple[int, str, dict[str, str], bytes]:
            connection = http.client.HTTPConnection(target.hostname or "", target.port, timeout=60)
            headers = {
                k: v for k, v in self.headers.items() if k.lower() not in {"host", "connection"}
            }
            try:
                connection.request(self.command, self.path, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
                kept = {k: v for k, v in response.getheaders() if k in _PASSED_HEADERS}
                kept.pop("Content-Length", None)
                return response.status, response.reason, kept, data
            finally:
                connection.close()

        def _relay(self, body: bytes | None) -> None:
            status, reason, headers, data = self._forward(body)
            self._answer(status, headers, data, reason)

        def do_GET(self) -> None:  # the name http.server dispatches to
            self._relay(None)

        def do_HEAD(self) -> None:  # the name http.server dispatches to
            self._relay(None)

        def do_POST(self) -> None:  # the name http.server dispatches to
            fault = state.next_fault()
            length = int(self.headers.get("Content-Length", "0"))
            if fault == "cut-request":
                self.rfile.read(length // 2)
                self._drop()
                return
            body = self.rfile.read(length)
            if state.delay:
                time.sleep(state.delay)
            if fault in {"500", "503"}:
                self._answer(int(fault), {"Content-Type": "text/html"}, b"<h1>Unavailable</h1>")
            elif fault == "400":
                message = b'{"message": "Invalid distribution file (injected)."}'
                self._answer(400, {"Content-Type": "application/json"}, message)
            elif fault.startswith("429:"):
                headers = {"Retry-After": fault.split(":")[1], "Content-Type": "text/plain"}
                self._answer(429, headers, b"Too Many Requests")
            elif fault == "cut-response":
                self._forward(body)
                self._drop()
            else:
                if fault.startswith("slow:"):
                    time.sleep(float(fault.split(":")[1]))
                self._relay(body)

    return Handler


@contextmanager
def fault_proxy(upstream: str, state: ProxyState | None = None) -> Iterator[tuple[str, ProxyState]]:
    """Run the proxy in front of ``upstream``; yields its base URL and its state."""
    current = state or ProxyState()
    with serve(_handler(upstream, current)) as url:
        yield url, current
