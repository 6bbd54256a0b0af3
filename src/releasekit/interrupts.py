"""Signals as one interruption: Ctrl-C, SIGTERM and SIGHUP stop a transaction the same way.

A terminal sends SIGINT, CI cancellation and ``timeout`` send SIGTERM, a closed terminal sends
SIGHUP; in each case the promise is the same (undo, or finish, and say which), so each becomes an
``Interrupted`` exception raised once in the main thread. A second signal must not abandon the
rollback the first one started, so later signals are only counted.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType

HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# The signals seen by each active ``signals_as_interrupts`` block, innermost last.
_BLOCKS: list[list[int]] = []


class Interrupted(KeyboardInterrupt):
    """A handled signal arrived; ``signum`` says which (the exit code is 128 + signum)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


Handler = Callable[[int, FrameType | None], None] | int


@contextlib.contextmanager
def _handling(numbers: tuple[int, ...], handler: Handler) -> Iterator[bool]:
    """Handle ``numbers`` with ``handler`` for the block, then put the old handlers back.

    Yields whether the handlers were installed: outside the main thread signals cannot be
    handled, and the block runs unprotected.
    """
    if threading.current_thread() is not threading.main_thread():
        yield False
        return
    previous = {number: signal.signal(number, handler) for number in numbers}
    try:
        yield True
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


@contextlib.contextmanager
def signals_as_interrupts() -> Iterator[None]:
    """Raise ``Interrupted`` on the first SIGINT, SIGTERM or SIGHUP of the block; ignore others."""
    arrived: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        arrived.append(signum)
        if len(arrived) == 1:
            raise Interrupted(signum)

    installed = False
    _BLOCKS.append(arrived)
    try:
        with _handling(HANDLED, handler) as installed:
            yield
    finally:
        _BLOCKS.remove(arrived)
        if installed and 0 in arrived:
            # Once held, the outcome is settled: what is left (a report, the exit) runs to the end.
            for number in HANDLED:
                signal.signal(number, signal.SIG_IGN)


def hold() -> None:
    """From now on, the innermost ``signals_as_interrupts`` block raises nothing more.

    Called the moment a transaction is complete or settled: an interrupt after that must not be
    taken for one that stopped it, so the signals stay ignored after the block too, while the
    command reports and exits.
    """
    if _BLOCKS:
        _BLOCKS[-1].append(0)


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Ignore the handled signals for the block: a half-done rollback is worse than a short wait."""
    with _handling(HANDLED, signal.SIG_IGN):
        yield


@contextlib.contextmanager
def postponed() -> Iterator[None]:
    """Hold the handled signals back for the block, then deliver them as if they came at its end.

    For the moment between starting a child and taking charge of it (naming it in the journal,
    entering the code that stops it on an interrupt): an interrupt raised there would leave a
    git commit running behind the rollback. Unlike ``signals_deferred`` nothing is lost: each
    signal is raised again once the block's handlers are back, and meets them as it would have.
    """
    arrived: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        arrived.append(signum)

    with _handling(HANDLED, handler):
        yield
    for signum in arrived:
        signal.raise_signal(signum)


def _raise_interrupted(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signum)


@contextlib.contextmanager
def terminations_as_interrupts() -> Iterator[None]:
    """Make SIGTERM and SIGHUP interrupt like Ctrl-C for the block (every command's).

    By default they kill Python outright: no ``finally``, no cleanup, no message. As interrupts,
    every command's own cleanup runs, and the exit code still says which signal it was.
    """
    with _handling((signal.SIGTERM, signal.SIGHUP), _raise_interrupted):
        yield
