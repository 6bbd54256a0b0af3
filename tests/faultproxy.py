"""A fault-injecting HTTP proxy on 127.0.0.1, in front of a real index.

Uploads (POST) take their fate from a script, one entry per request: ``ok`` forwards it,
``503``/``500`` answer with that status without forwarding, ``429:N`` answers 429 with
``Retry-After: N``, ``400`` refuses it with a JSON error, ``cut-request`` reads half the body and drops the connection,
``cut-response`` forwards the upload (so it lands) and then drops the connection without an
answer, and ``slow:S`` waits S seconds before forwarding. With ``delay`` every upload waits that
long first (an index that takes its time).

Hostile answers, for deadlines: ``silent`` reads the upload and never answers; ``land-then-silent``
forwards it (so it lands) and then never answers; ``land-then-503`` forwards it and answers 503
(the answer is lost, the file is there); ``trickle-headers:S`` sends a status line and then one
header line every S seconds; ``trickle-body:S`` sends headers promising 100000 bytes and then one
byte every S seconds. A silent or trickling connection is held until the client leaves (or for
two minutes at most). GET and HEAD requests pass through, unless ``lookup_fault`` is set: then
every GET under ``/simple/`` meets that fault (``silent`` or ``trickle-body:S``).
"""

from __future__ import annotations

import contextlib
import http.client
import select
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
_HOLD_AT_MOST = 120.0  # seconds a silent or trickling answer keeps a connection


@dataclass
class ProxyState:
    """The script of faults still to apply, and what was applied."""

    faults: list[str] = field(default_factory=list)
    delay: float = 0.0
    lookup_fault: str = ""
    applied: list[str] = field(default_factory=list)
    arrived: list[float] = field(default_factory=list)  # time.monotonic() of each upload
    held: list[str] = field(default_factory=list)  # one entry per request now being held
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_fault(self) -> str:
        """The fate of the next upload."""
        with self.lock:
            fault = self.faults.pop(0) if self.faults else "ok"
            self.applied.append(fault)
            self.arrived.append(time.monotonic())
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

        def _client_left(self, seconds: float) -> bool:
            """Wait up to ``seconds``; whether the client closed its end meanwhile."""
            ready, _, _ = select.select([self.connection], [], [], seconds)
            if not ready:
                return False
            try:
                waiting: bytes = self.connection.recv(1, socket.MSG_PEEK)
            except OSError:
                return True
            return waiting == b""

        def _hold(self, fault: str, content_type: str = "text/plain") -> None:
            """Answer as ``fault`` says (silent, or trickling) until the client leaves."""
            self.close_connection = True
            interval = float(fault.split(":")[1]) if ":" in fault else 0.2
            drip: list[bytes] = []
            if fault.startswith("trickle-headers"):
                self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                drip = [b"X-Slowly: %d\r\n" % n for n in range(10_000)]
            elif fault.startswith("trickle-body"):
                self.wfile.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: "
                    + content_type.encode()
                    + b"\r\nContent-Length: 100000\r\n\r\n"
                )
                drip = [b" "] * 100_000
            with state.lock:
                state.held.append(fault)
            ends = time.monotonic() + _HOLD_AT_MOST
            try:
                self.wfile.flush()
                while time.monotonic() < ends and not self._client_left(interval):
                    if drip:
                        self.wfile.write(drip.pop(0))
                        self.wfile.flush()
            except OSError:
                pass  # the client went away while a byte was on its way
            finally:
                with state.lock:
                    state.held.remove(fault)

        def do_GET(self) -> None:  # the name http.server dispatches to
            if state.lookup_fault and self.path.startswith("/simple/"):
                with state.lock:
                    state.applied.append(f"GET {state.lookup_fault}")
                self._hold(state.lookup_fault, "application/vnd.pypi.simple.v1+json")
                return
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
            elif fault == "land-then-503":
                self._forward(body)
                self._answer(503, {"Content-Type": "text/html"}, b"<h1>Unavailable</h1>")
            elif fault == "land-then-silent":
                self._forward(body)
                self._hold("silent")
            elif fault == "silent" or fault.startswith(("trickle-headers:", "trickle-body:")):
                self._hold(fault)
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
