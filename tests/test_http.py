"""The HTTP client every index request goes through, against a real local HTTP/1.1 server.

Kept connections, a connection the server dropped while idle, retries (of statuses, of broken
reads only where a request may be repeated), the pause before a retry ending at the deadline,
and failures that say where the request stopped.
"""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from releasekit.index import deadline as deadlines
from releasekit.index.deadline import DeadlinePassed, deadline
from releasekit.index.http import (
    ConnectFailed,
    ConnectionBroken,
    Pool,
    Retry,
    TLSFailed,
    TooManyRetries,
)
from tests.servers import free_port

# What the server does for the n-th request (from 0): (status, headers, body), or None to
# close the connection without an answer.
Script = Callable[[int], "tuple[int, dict[str, str], bytes] | None"]


class _Seen:
    """What the server saw: each request's method and the client's port."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, int]] = []
        self.lock = threading.Lock()


@contextmanager
def server(
    script: Script, *, close_after_each: bool = False, tls: ssl.SSLContext | None = None
) -> Iterator[tuple[str, _Seen]]:
    """An HTTP/1.1 server on 127.0.0.1 answering as ``script`` says; yields its URL.

    With ``tls`` it speaks HTTPS with that context.
    """
    seen = _Seen()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            with seen.lock:
                number = len(seen.requests)
                seen.requests.append((self.command, self.client_address[1]))
            answer = script(number)
            if answer is None:
                self.close_connection = True
                return
            status, headers, body = answer
            self.send_response(status)
            for name, value in {"Content-Length": str(len(body)), **headers}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
            # Closed without "Connection: close": the client learns it only by trying.
            self.close_connection = close_after_each

        do_GET = do_POST = do_HEAD = _answer

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        scheme = "https" if tls else "http"
        yield f"{scheme}://127.0.0.1:{httpd.server_address[1]}/", seen
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextmanager
def watchdog_held() -> Iterator[None]:
    """The deadlines' watchdog thread kept from running for the block, as a busy machine can."""
    with deadlines._watchdog._changed:  # the thread's own lock, held on purpose
        yield


def ok(number: int) -> tuple[int, dict[str, str], bytes]:
    """Every request: 200 with a short body."""
    return 200, {"Content-Type": "text/plain"}, f"answer {number}".encode()


def test_connections_are_kept_and_reused() -> None:
    """Three requests to one origin travel on one connection, each body read whole."""
    pool = Pool()
    with server(ok) as (url, seen):
        bodies = [pool.request("GET", url + "x/").data for _ in range(3)]
    assert [b"answer 0", b"answer 1", b"answer 2"] == bodies
    assert 1 == len({port for _, port in seen.requests})


def test_a_connection_the_server_dropped_while_idle_is_replaced() -> None:
    """The server closes after each answer without saying so: each request still succeeds."""
    pool = Pool()
    with server(ok, close_after_each=True) as (url, seen):
        statuses = []
        for _ in range(3):
            statuses.append(pool.request("GET", url).status)
            time.sleep(0.05)  # the server's close has arrived when the next request starts
    assert [200, 200, 200] == statuses
    assert 3 == len({port for _, port in seen.requests})


def test_statuses_are_retried_then_answered_or_given_up() -> None:
    """503 twice, then 200; with fewer retries, the error or (if asked) the last answer."""

    def flaky(number: int) -> tuple[int, dict[str, str], bytes]:
        return (503, {}, b"busy") if number < 2 else ok(number)

    retry = Retry(total=3, backoff_factor=0.01, status_forcelist=frozenset({503}))
    with server(flaky) as (url, seen):
        assert b"answer 2" == Pool().request("GET", url, retries=retry).data
    assert 3 == len(seen.requests)
    with server(flaky) as (url, _), pytest.raises(TooManyRetries, match="too many 503 error"):
        Pool().request("GET", url, retries=Retry(total=1, status_forcelist=frozenset({503})))
    quiet = Retry(total=1, status_forcelist=frozenset({503}), raise_on_status=False)
    with server(flaky) as (url, seen):
        last = Pool().request("GET", url, retries=quiet)
    assert (503, b"busy") == (last.status, last.data)
    assert 2 == len(seen.requests)


def test_a_broken_read_is_retried_for_a_get_but_never_for_a_post() -> None:
    """No answer at all: a lookup asks again; an upload's POST may have landed, so it does not."""

    def hang_up_once(number: int) -> tuple[int, dict[str, str], bytes] | None:
        return None if number == 0 else ok(number)

    retry = Retry(total=2)
    with server(hang_up_once) as (url, seen):
        assert 200 == Pool().request("GET", url, retries=retry).status
    assert ["GET", "GET"] == [method for method, _ in seen.requests]
    with server(hang_up_once) as (url, seen), pytest.raises(ConnectionBroken):
        Pool().request("POST", url, body=b"form", headers={"Content-Length": "4"}, retries=retry)
    assert ["POST"] == [method for method, _ in seen.requests]


def test_a_refused_connection_names_the_address() -> None:
    """Nothing listens: ``ConnectFailed`` (nothing was sent), with host and port."""
    port = free_port()
    with pytest.raises(ConnectFailed, match=f"could not connect to 127.0.0.1:{port}: "):
        Pool().request("GET", f"http://127.0.0.1:{port}/", retries=Retry(total=1))


def test_the_pause_before_a_retry_ends_at_the_deadline() -> None:
    """A 503 asking to wait 30 s, under a 0.5 s deadline: over in about 0.5 s, not 30."""

    def wait_long(number: int) -> tuple[int, dict[str, str], bytes]:
        return 503, {"Retry-After": "30"}, b""

    retry = Retry(total=3, status_forcelist=frozenset({503}))
    started = time.monotonic()
    with server(wait_long) as (url, seen), pytest.raises(DeadlinePassed), deadline(0.5):
        Pool().request("GET", url, retries=retry)
    assert time.monotonic() - started < 10  # loose for a loaded machine; 30 s without the cut
    assert 1 <= len(seen.requests) <= 2


def test_a_deadline_holds_when_its_watchdog_is_late() -> None:
    """On a loaded machine the watchdog thread may wake after the pause ends: no retry then.

    The pause ends at the deadline; the next attempt must see the deadline passed by itself,
    not wait for the watchdog to say so (three more quick 503s used to end in TooManyRetries).
    """

    def wait_long(number: int) -> tuple[int, dict[str, str], bytes]:
        return 503, {"Retry-After": "30"}, b""

    retry = Retry(total=3, status_forcelist=frozenset({503}))
    # Inside the deadline, the watchdog's lock is held: its thread cuts nothing, it is late.
    with (
        server(wait_long) as (url, seen),
        pytest.raises(DeadlinePassed),
        deadline(0.3),
        watchdog_held(),
    ):
        Pool().request("GET", url, retries=retry)
    assert 1 == len(seen.requests)


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_https_trusts_the_given_ca_and_nothing_else(tmp_path: Path) -> None:
    """With ~/.pypirc's ca_cert the private certificate is trusted; without, ``TLSFailed``."""
    cert, key = _certificate(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with server(ok, tls=context) as (url, seen):
        trusting = Pool(ca_certs=str(cert))
        assert [b"answer 0", b"answer 1"] == [trusting.request("GET", url).data for _ in "ab"]
        with pytest.raises(TLSFailed, match="certificate verify failed"):
            Pool().request("GET", url, retries=Retry(total=2))
    assert 1 == len({port for _, port in seen.requests})  # kept, as for plain HTTP
