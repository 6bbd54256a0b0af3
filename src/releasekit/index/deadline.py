"""Time limits for talking to an index: connect, silence, and an overall deadline per request.

Socket timeouts bound each socket operation only, so a server that trickles a byte every few
seconds, or one header line at a time, never trips them. Here each request runs under a
deadline that, when it passes, shuts the request's socket down, which makes the blocked read or
write return at once in whichever thread is waiting. The same cut serves an interrupt:
``abort_requests`` ends every request in flight, so that Ctrl-C never waits for a stalled upload.

One watchdog thread keeps every running deadline: it sleeps until the nearest is due. (A timer
thread per request cost a thread start for each upload, 1-3 ms when the uploading threads hold
the interpreter.) It ends when no deadline runs, unless ``watching`` keeps it for a batch.

Connections must come from ``guarded_pool`` (``index.http``): they tell the running deadline
which socket is theirs.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

from releasekit.records import frozen

if TYPE_CHECKING:
    from releasekit.index.http import Pool

KIB = 1024


@frozen
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

    def socket_timeouts(self) -> tuple[float, float]:
        """The per-operation limits: (connect, each read or write), as ``index.http`` takes them."""
        return (self.connect, self.read)

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


class _Connection(Protocol):
    """What a deadline needs of a connection: its socket, once it has one."""

    sock: socket.socket | None


class _Watch:
    """One request's deadline: the connection it uses, and whether it was cut."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.due = time.monotonic() + seconds
        self.expired = False
        self.aborted = False
        self._connection: _Connection | None = None
        self._lock = threading.Lock()

    def attach(self, connection: _Connection) -> None:
        """``connection`` carries the request now; a request already cut goes no further.

        A deadline already due counts as passed even before the watchdog has cut it: on a busy
        machine its thread may wake after a pause that ended at the deadline.
        """
        with self._lock:
            self._connection = connection
            if time.monotonic() >= self.due:
                self.expired = True
            expired, aborted = self.expired, self.aborted
        if aborted:
            raise RequestAborted
        if expired:
            raise DeadlinePassed(self.seconds)

    def expire(self) -> None:
        """The deadline passed: cut the request."""
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


class _Watchdog:
    """The thread that cuts requests at their deadlines: one for all, while any runs."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._watches: set[_Watch] = set()
        self._thread: threading.Thread | None = None
        self._kept = 0  # ``watching`` blocks running: the thread stays between requests

    def add(self, watch: _Watch) -> None:
        """Watch ``watch`` from now on; the thread starts if none runs."""
        with self._changed:
            self._watches.add(watch)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="releasekit-deadlines", daemon=True
                )
                self._thread.start()
            else:
                self._changed.notify()

    def remove(self, watch: _Watch) -> None:
        """Stop watching ``watch``; with nothing left to watch, the thread ends."""
        with self._changed:
            self._watches.discard(watch)
        self._end_if_idle()

    @contextlib.contextmanager
    def kept(self) -> Iterator[None]:
        """Keep the thread between the block's requests; it ends after the block, if idle."""
        with self._changed:
            self._kept += 1
        try:
            yield
        finally:
            with self._changed:
                self._kept -= 1
            self._end_if_idle()

    def _end_if_idle(self) -> None:
        """End the thread when nothing is watched and nothing keeps it, and wait for it."""
        with self._changed:
            if self._watches or self._kept or self._thread is None:
                return
            thread, self._thread = self._thread, None
            self._changed.notify()
        if thread is not threading.current_thread():
            thread.join()

    def _run(self) -> None:
        """Sleep until the nearest deadline, cut what is due, until told to end."""
        me = threading.current_thread()
        with self._changed:
            while self._thread is me:
                now = time.monotonic()
                nearest = None
                for watch in self._watches:
                    if watch.expired:
                        continue
                    if watch.due <= now:
                        watch.expire()
                    elif nearest is None or watch.due < nearest:
                        nearest = watch.due
                self._changed.wait(None if nearest is None else nearest - now)


_current = threading.local()
_active: set[_Watch] = set()
_active_lock = threading.Lock()
_aborting = threading.Event()
_watchdog = _Watchdog()


def _watches() -> list[_Watch]:
    """The deadlines running in this thread, outermost first (a block may nest another)."""
    if not hasattr(_current, "watches"):
        _current.watches = []
    watches: list[_Watch] = _current.watches
    return watches


def attach(connection: _Connection) -> None:
    """Tell the running thread's deadlines which connection their request uses.

    Raises ``RequestAborted`` after ``abort_requests``, and ``DeadlinePassed`` when a running
    deadline has passed: a request already cut goes no further.
    """
    if _aborting.is_set():
        raise RequestAborted
    for watch in _watches():
        watch.attach(connection)


def pause(seconds: float) -> None:
    """Wait ``seconds`` before a retry; shorter when this thread's deadline or an interrupt comes.

    The request after the pause then stops at once (``attach`` raises).
    """
    if seconds <= 0:
        return
    watches = _watches()
    if watches:
        seconds = min(seconds, max(0.0, min(w.due for w in watches) - time.monotonic()))
    _aborting.wait(seconds)


def guarded_pool(
    *, maxsize: int = 4, ca_certs: str | None = None, cert_file: str | None = None
) -> Pool:
    """A connection pool whose requests ``deadline`` can cut (the arguments as ``Pool`` takes)."""
    from releasekit.index.http import Pool  # noqa: PLC0415  # http imports this module

    return Pool(maxsize=maxsize, ca_certs=ca_certs, cert_file=cert_file)


def watching() -> contextlib.AbstractContextManager[None]:
    """A block (a batch of uploads) whose deadlines share one watchdog thread from start to end.

    Without it the thread ends whenever no request runs, and the next request starts another.
    """
    return _watchdog.kept()


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
    _watchdog.add(watch)
    try:
        yield
    except Exception as exc:
        if watch.aborted:
            raise RequestAborted from exc
        if watch.expired:
            raise DeadlinePassed(seconds) from exc
        raise
    finally:
        _watchdog.remove(watch)
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
