"""HTTP to an index on the standard library's ``http.client``: pooled connections and retries.

Everything releasekit asks of an index is a handful of plain requests: a lookup, a probe, an
upload, a token mint. ``http.client`` does the protocol; this module adds what it lacks and the
callers need, and nothing more:

- keep-alive connections kept per origin and reused, a connection the server closed while idle
  being noticed and replaced before it is used;
- a limit for connecting and another for each read or write (the overall deadline of a request
  is ``index.deadline``'s, which every connection made here reports to);
- retries of connection failures and of chosen statuses, with backoff and ``Retry-After``;
- no redirect is ever followed here: callers decide (``index.simple`` follows them on the
  index's own origin only; an upload never does);
- failures as three exceptions that say where the request stopped: before any byte went out
  (``ConnectFailed``), in TLS (``TLSFailed``), or after the request started
  (``ConnectionBroken``, when the server may have seen it).

It replaced urllib3, whose import took 25-40 ms of every publish (with ``importlib.metadata``,
``logging`` and a regular expression for every URL) where the requests themselves take a few.
"""

from __future__ import annotations

import email.utils
import http.client
import select
import socket
import ssl
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Final
from urllib.parse import urlsplit

from releasekit.index.deadline import attach, pause
from releasekit.records import frozen

REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})
# Statuses whose Retry-After is honoured, and methods retried after a broken read or a status
# (a POST that broke off may have landed: only its caller can tell, by asking the index).
_RETRY_AFTER_STATUSES: Final = frozenset({413, 429, 503})
_IDEMPOTENT: Final = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
_MAX_BACKOFF = 120.0
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


class HTTPError(Exception):
    """A request got no usable answer."""


class ConnectFailed(HTTPError):
    """No connection could be made (refused, unknown host, connect timeout): nothing was sent."""


class TLSFailed(HTTPError):
    """The TLS handshake or the encrypted stream failed (a certificate, most often)."""


class ConnectionBroken(HTTPError):
    """The connection failed after the request started: the server may have seen it."""


class TooManyRetries(HTTPError):
    """Every retry of a status was used up; the last answer is ``status``."""

    def __init__(self, status: int) -> None:
        super().__init__(f"too many {status} error responses")
        self.status = status


@frozen
class Retry:
    """How a request is retried: ``total`` retries in all, with exponential backoff.

    Connection failures are retried, and so are broken reads of idempotent methods and
    answers in ``status_forcelist`` (and 413, 429 and 503 that carry ``Retry-After``). The
    first retry comes at once, the n-th after ``backoff_factor * 2 ** (n - 1)`` seconds, or
    after what ``Retry-After`` asks. Used up: ``TooManyRetries`` for a status when
    ``raise_on_status``, else the last answer; the last error for a failure.
    """

    total: int = 0
    backoff_factor: float = 0.0
    status_forcelist: frozenset[int] = frozenset()
    raise_on_status: bool = True

    def backoff(self, failures: int) -> float:
        """Seconds to wait after ``failures`` consecutive failed attempts."""
        if failures <= 1:
            return 0.0
        return float(min(_MAX_BACKOFF, self.backoff_factor * 2 ** (failures - 1)))

    def wants(self, method: str, status: int, headers: Headers) -> bool:
        """Whether an answer with ``status`` is retried (while retries remain)."""
        if method not in _IDEMPOTENT:
            return False
        if status in self.status_forcelist:
            return True
        return bool(self.total and status in _RETRY_AFTER_STATUSES and headers.get("Retry-After"))


NO_RETRY: Final = Retry()


def retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds, from either of its forms (seconds or an HTTP date)."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


class Headers(Mapping[str, str]):
    """A response's headers; names match whatever their case, repeated ones are comma-joined."""

    def __init__(self, items: Iterable[tuple[str, str]]) -> None:
        self._items: dict[str, tuple[str, str]] = {}
        for name, value in items:
            key = name.lower()
            earlier = self._items.get(key)
            self._items[key] = (name, value if earlier is None else f"{earlier[1]}, {value}")

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()][1]

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)


class _Connection(http.client.HTTPConnection):
    """A connection that reports itself to the running deadline, and uses its own limits."""

    read_timeout: float | None = None

    def connect(self) -> None:
        """Open the socket: ``ConnectFailed`` when it cannot be (nothing was sent)."""
        attach(self)
        # http.client names the host as given; an ASCII name as bytes skips the idna codec.
        host = self.host.encode("ascii") if self.host.isascii() else self.host
        try:
            sock = socket.create_connection((host, self.port), self.timeout)  # type: ignore[arg-type]
        except OSError as exc:
            raise ConnectFailed(f"could not connect to {self.host}:{self.port}: {exc}") from exc
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(self.read_timeout)
        self.sock = sock
        attach(self)  # the deadline may have passed while connecting, before there was a socket


class _TLSConnection(_Connection):
    """An HTTPS connection: the plain one, wrapped with the pool's TLS settings."""

    def __init__(self, host: str, port: int, timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=timeout)
        self._context = context

    def connect(self) -> None:
        super().connect()
        assert self.sock is not None  # noqa: S101  # connect() made it or raised
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self.host)


class Response:
    """An answer: status, reason, headers, and the body (read at once, or by the caller)."""

    def __init__(self, raw: http.client.HTTPResponse, connection: _Connection, pool: Pool) -> None:
        self.status = raw.status
        self.reason: str | None = raw.reason
        self.headers = Headers(raw.getheaders())
        self._raw = raw
        self._connection: _Connection | None = connection
        self._pool = pool
        self._data: bytes | None = None

    @property
    def data(self) -> bytes:
        """The whole body (read now if it was not), after which the connection is reused."""
        if self._data is None:
            self._data = self.read()
            self.release_conn()
        return self._data

    def read(self, amount: int | None = None) -> bytes:
        """Up to ``amount`` bytes of the body (all of it without); a broken read raises."""
        try:
            return self._raw.read(amount)
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise _broken(exc) from exc

    def get_redirect_location(self) -> str | None:
        """The ``Location`` of a redirect; ``None`` for any other answer."""
        if self.status not in REDIRECT_STATUSES:
            return None
        return self.headers.get("Location") or None

    def drain_conn(self) -> None:
        """Read and drop the rest of the body, so that the connection can be used again."""
        try:
            self.read()
        except HTTPError:
            return
        self.release_conn()

    def release_conn(self) -> None:
        """Give the connection back to the pool when the body is all read; else close it."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        if self._raw.isclosed() and not self._raw.will_close:
            self._pool.put(connection)
        else:
            self._raw.close()
            connection.close()

    def close(self) -> None:
        """Drop the answer and its connection."""
        self._raw.close()
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


def _broken(exc: BaseException) -> HTTPError:
    """The error for a connection that failed after the request started."""
    if _is_tls_error(exc):
        return TLSFailed(str(exc))
    if isinstance(exc, TimeoutError):
        return ConnectionBroken(f"read timed out ({exc})")
    return ConnectionBroken(f"connection broken: {exc!r}")


def _is_tls_error(exc: BaseException) -> bool:
    """Whether ``exc`` comes from TLS: a handshake, a certificate, the encrypted stream."""
    return isinstance(exc, ssl.SSLError | ssl.CertificateError)


def _dropped(connection: _Connection) -> bool:
    """Whether an idle connection was closed by the server (readable: end of file or junk)."""
    sock = connection.sock
    if sock is None:
        return False  # http.client opens a new one when asked
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


class Pool:
    """Connections to any number of origins, kept open between requests (safe for threads).

    ``maxsize`` connections per origin are kept idle at most; more may be open at once.
    ``ca_certs`` and ``cert_file`` set up TLS as ``~/.pypirc``'s ``ca_cert`` and
    ``client_cert`` say (a PEM file with the client's certificate and key).
    """

    def __init__(
        self, *, maxsize: int = 4, ca_certs: str | None = None, cert_file: str | None = None
    ) -> None:
        self.maxsize = maxsize
        self.ca_certs = ca_certs
        self.cert_file = cert_file
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._lock = threading.Lock()
        self._context: ssl.SSLContext | None = None

    def _tls(self) -> ssl.SSLContext:
        """The TLS settings, made on the first HTTPS request (loading CAs takes a while)."""
        if self._context is None:
            context = ssl.create_default_context(cafile=self.ca_certs)
            if self.cert_file:
                context.load_cert_chain(self.cert_file)
            self._context = context
        return self._context

    def _get(self, key: tuple[str, str, int], connect_timeout: float) -> _Connection:
        """An idle connection to the origin that is still open, or a new one (not yet open)."""
        with self._lock:
            idle = self._idle.get(key, [])
            while idle:
                connection = idle.pop()
                if not _dropped(connection):
                    return connection
                connection.close()
        scheme, host, port = key
        if scheme == "https":
            return _TLSConnection(host, port, connect_timeout, self._tls())
        return _Connection(host, port, timeout=connect_timeout)

    def put(self, connection: _Connection) -> None:
        """Keep ``connection`` for the next request to its origin (or close it: enough kept)."""
        scheme = "https" if isinstance(connection, _TLSConnection) else "http"
        key = (scheme, connection.host, connection.port)
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if len(idle) < self.maxsize:
                idle.append(connection)
                return
        connection.close()

    def clear(self) -> None:
        """Close every idle connection."""
        with self._lock:
            connections = [c for idle in self._idle.values() for c in idle]
            self._idle.clear()
        for connection in connections:
            connection.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes | Iterable[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: tuple[float, float] = (30.0, 60.0),
        retries: Retry = NO_RETRY,
        preload_content: bool = True,
    ) -> Response:
        """Send one request (retried as ``retries`` says) and return its answer.

        ``timeout`` is (connect, read): the limit for opening a connection, and for each read
        or write after it. With ``preload_content`` the body is read before returning; without
        it the caller reads it and calls ``release_conn`` (or ``close``). An iterable ``body``
        is sent chunk by chunk; its ``Content-Length`` must be in ``headers``.
        """
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS:
            raise ValueError(f"not an http or https URL: {scheme or 'no scheme'}")
        if not parts.hostname:
            raise ValueError("a URL without a host")
        key = (scheme, parts.hostname, parts.port or _DEFAULT_PORTS[scheme])
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connect, read = timeout
        left = retries.total
        failures = 0
        while True:
            connection = self._get(key, connect)
            connection.read_timeout = read
            if connection.sock is not None:
                connection.sock.settimeout(read)
            try:
                response = self._send(connection, method, path, body, headers or {})
            except HTTPError as failure:
                failures += 1
                retryable = isinstance(failure, ConnectFailed) or (
                    isinstance(failure, ConnectionBroken) and method in _IDEMPOTENT
                )
                if not retryable or left <= 0:
                    raise
                left -= 1
                pause(retries.backoff(failures))
                continue
            if not (retries.wants(method, response.status, response.headers)):
                if preload_content:
                    response.data  # noqa: B018  # read now, and the connection goes back
                return response
            failures += 1
            if left <= 0:
                if retries.raise_on_status:
                    response.drain_conn()
                    raise TooManyRetries(response.status)
                if preload_content:
                    response.data  # noqa: B018
                return response
            left -= 1
            wait = None
            if response.status in _RETRY_AFTER_STATUSES:
                wait = retry_after(response.headers.get("Retry-After"))
            response.drain_conn()
            pause(retries.backoff(failures) if wait is None else wait)

    def _send(
        self,
        connection: _Connection,
        method: str,
        path: str,
        body: bytes | Iterable[bytes] | None,
        headers: Mapping[str, str],
    ) -> Response:
        """One attempt on ``connection``; failures become this module's exceptions."""
        try:
            attach(connection)
            connection.request(method, path, body=body, headers=dict(headers))
            raw = connection.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            raise _broken(exc) from exc
        except BaseException:  # a cut, a failed connect, an interrupt: the socket goes too
            connection.close()
            raise
        return Response(raw, connection, self)
