"""Time limits for talking to an index: connect, silence, and an overall deadline per request.

urllib3's timeouts bound each socket operation only, so a server that trickles a byte every few
seconds, or one header line at a time, never trips them. Here each request runs under a
deadline: a timer that, when it fires, shuts the request's socket down, which makes the blocked
read or write return at once in whichever thread is waiting. The same cut serves an interrupt:
``abort_requests`` ends every request in flight, so that Ctrl-C never waits for a stalled upload.

Connections must come from ``guarded_pool``: its connections tell the running deadline which
socket is theirs.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

KIB = 1024


@dataclass(frozen=True)
class Timeouts:
    """How long a request to an index may take (the settings of docs/configuration.md).

    ``connect``: to open a connection; ``read``: the longest silence while sending or waiting;
    ``request``: the whole of one request (a lookup with its retries, or an upload attempt of
    an empty file); an upload attempt gets ``size / min_upload_speed`` seconds more.
    """

    connect: float = 30.0
    read: float = 60.0
    request: float = 120.0
    min_upload_speed: float = 64.0 * KIB  # bytes per second

    def socket_timeouts(self) -> urllib3.Timeout:
        """The per-operation limits, as urllib3 takes them."""
        return urllib3.Timeout(connect=self.connect, read=self.read)

    def upload_deadline(self, size: int) -> float:
        """Seconds one upload attempt of ``size`` bytes may take in all."""
        return self.request + size / self.min_upload_speed

    def explain_upload(self, size: int) -> str:
        """How an upload's deadline was reached, for the message that names it."""
        return (
            f"request-timeout {self.request:g} s + {size} bytes at min-upload-speed "
            f"{self.min_upload_speed / KIB:g} KiB/s"
        )


class DeadlinePassed(Exception):
    """A request did not finish within its deadline; its connection was cut."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no complete answer within the deadline of {seconds:.3g} s")
        self.seconds = seconds


class RequestAborted(Exception):
    """The request was cut because the command is being interrupted."""

    def __init__(self) -> None:
        super().__init__("interrupted")


class _Watch:
    """One request's deadline: the connection it uses, and whether it was cut."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self.aborted = False
        self._connection: HTTPConnection | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def attach(self, connection: HTTPConnection) -> None:
        """``connection`` carries the request now; a request already cut goes no further."""
        with self._lock:
            self._connection = connection
            expired, aborted = self.expired, self.aborted
        if aborted:
            raise RequestAborted
        if expired:
            raise DeadlinePassed(self.seconds)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
        self._cut()

    def abort(self) -> None:
        """Cut the request for an interrupt."""
        with self._lock:
            self.aborted = True
        self._cut()

    def _cut(self) -> None:
        """Shut the socket down: a thread blocked on it wakes with an error at once."""
        with self._lock:
            sock = getattr(self._connection, "sock", None)
        if isinstance(sock, socket.socket):
            # The plain socket's shutdown, also for TLS: the blocked reader sees end of file.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.cancel()


_current = threading.local()
_active: set[_Watch] = set()
_active_lock = threading.Lock()
_aborting = threading.Event()


def _watches() -> list[_Watch]:
    """The deadlines running in this thread, outermost first (a block may nest another)."""
    if not hasattr(_current, "watches"):
        _current.watches = []
    watches: list[_Watch] = _current.watches
    return watches


def _attach(connection: HTTPConnection) -> None:
    """Tell the running thread's deadlines which connection their request uses."""
    if _aborting.is_set():
        raise RequestAborted
    for watch in _watches():
        watch.attach(connection)


class _WatchedHTTPConnection(HTTPConnection):
    """An HTTP connection that reports itself to the running deadline."""

    def connect(self) -> None:
        _attach(self)
        super().connect()
        _attach(self)  # the deadline may have passed while connecting, before there was a socket

    def request(self, *args: Any, **kwargs: Any) -> None:
        _attach(self)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(_WatchedHTTPConnection, HTTPSConnection):
    """An HTTPS connection that reports itself to the running deadline.

    The watched methods come first in the method order, then HTTPSConnection's own.
    """


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


def guarded_pool(**kwargs: Any) -> urllib3.PoolManager:
    """A ``PoolManager`` whose requests ``deadline`` can cut (``kwargs`` as urllib3 takes them)."""
    pool = urllib3.PoolManager(**kwargs)
    pool.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}
    return pool


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Run the block's requests (on a ``guarded_pool``) under an overall deadline.

    When the deadline passes, the connection is cut and the block raises ``DeadlinePassed``;
    when ``abort_requests`` cut it, ``RequestAborted``. That holds even when the block seems to
    have succeeded: a cut in the middle of the headers reads as their end, so an answer whose
    connection was cut is never trusted (an upload goes on to the lookup by hash).
    """
    watch = _Watch(seconds)
    _watches().append(watch)
    with _active_lock:
        _active.add(watch)
    if _aborting.is_set():
        watch.aborted = True
    watch.start()
    try:
        yield
    except Exception as exc:
        watch.stop()
        if watch.aborted:
            raise RequestAborted from exc
        if watch.expired:
            raise DeadlinePassed(seconds) from exc
        raise
    finally:
        watch.stop()
        _watches().remove(watch)
        with _active_lock:
            _active.discard(watch)
    if watch.aborted:
        raise RequestAborted
    if watch.expired:
        raise DeadlinePassed(seconds)


def abort_requests() -> None:
    """Cut every request in flight, and refuse new ones: the command is being interrupted.

    This lasts for the rest of the process, which is about to end.
    """
    _aborting.set()
    with _active_lock:
        watches = list(_active)
    for watch in watches:
        watch.abort()


def aborting() -> bool:
    """Whether ``abort_requests`` was called."""
    return _aborting.is_set()
