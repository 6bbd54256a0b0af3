"""The ``releasekit`` executable: answers ``--version`` before loading the command line.

``--version`` is what scripts and CI logs ask most often, and loading click alone takes longer
than the rest of the answer; so it is answered here, with the same text click would print, and
everything else goes to the command line proper.

``prepare`` and ``notes`` start git's longest reads here (``head_start``), before the command
line loads, so that git walks the history while Python imports.

``check``, ``publish``, ``prepare`` and ``notes`` also leave without the interpreter's teardown:
once the command has finished, every output is flushed and every ``atexit`` handler has run,
tearing down the few hundred modules a run imported (and a history's tens of thousands of
commits) only frees memory the process is about to give back, and took 20-60 ms, a tenth of a
small publish (docs/benchmarks.md).

Python's cycle collector is off while the command line loads: its passes over a few hundred
fresh modules find nothing to free, and took a tenth of the loading. ``prepare`` and ``notes``
keep it off to the end: they build one history's worth of objects that all live until the
process ends, so its passes (one for every 700 new objects, each walking all the young ones)
only walk them again, 4-8% of the run. Their work is bounded by the history; the other
commands, which may run long (uploads, retries, a rehearsal), have it back once loaded.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
from collections.abc import Sequence

from releasekit import __version__

_VERSION_FLAGS = (["--version"], ["-V"])
# Commands that leave without the interpreter's teardown. They finish their work (and join
# their threads) before returning, and write no file that only a finalizer would flush.
_QUICK_EXIT_COMMANDS = frozenset({"check", "publish", "prepare", "notes"})
# Commands whose long git reads start before the command line loads (``head_start``), and that
# run without the cycle collector: what they build lives to the end.
_HISTORY_COMMANDS = frozenset({"prepare", "notes"})


def split_command(args: Sequence[str]) -> tuple[str, str | None, list[str]]:
    """The command's name ("" if none), ``-C``'s folder (``None``: none), the words after the name.

    ``-C DIR`` counts before or after the name, as the command line takes it, and is left out
    of the words.
    """
    command = ""
    folder = None
    words: list[str] = []
    remaining = iter(args)
    for word in remaining:
        if word == "-C":
            folder = next(remaining, None)
        elif command:
            words.append(word)
        elif not word.startswith("-"):
            command = word
    return command, folder, words


def _leave_quickly(code: object) -> None:
    """Exit with ``code`` now, skipping the teardown; return if that is not certainly safe.

    Safe means: an exit code as an int (or None), no profiler or debugger attached, this
    thread the only one left, both output streams flushed without error, and every ``atexit``
    handler run (they clean temporary folders, stop worker processes, flush logs and write
    coverage data). Anything else takes the ordinary way out.
    """
    if not (code is None or isinstance(code, int)):
        return
    if sys.getprofile() is not None or sys.gettrace() is not None:
        return  # a profiler or debugger writes its results during the ordinary exit
    threading = sys.modules.get("threading")  # never imported: then no thread was started
    if threading is not None and threading.active_count() != 1:
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return  # a closed or broken stream: let the interpreter report it as it always does
    atexit._run_exitfuncs()  # what the interpreter would run next, and then no more
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        os._exit(120)  # the interpreter's own code when its last flush fails
    os._exit(code or 0)


def main() -> None:
    """Print the version for ``--version``/``-V`` alone; otherwise run the command line."""
    args = sys.argv[1:]
    if args in _VERSION_FLAGS:
        sys.stdout.write(f"releasekit {__version__}\n")
        raise SystemExit(0)
    command, folder, words = split_command(args)
    gc.disable()  # while loading (see the module's docstring)
    try:
        if command in _HISTORY_COMMANDS:
            from releasekit.head_start import begin  # noqa: PLC0415  # for these commands only

            begin(command, folder, words)  # git reads while the command line loads
        from releasekit.cli import main as cli_main  # noqa: PLC0415  # loaded only when needed
    except KeyboardInterrupt:
        # Ctrl-C while loading: nothing has started yet, and a traceback would say otherwise.
        sys.stderr.write("error: interrupted before any change; nothing was changed\n")
        raise SystemExit(130) from None
    if command not in _HISTORY_COMMANDS:
        gc.enable()
    quick = command in _QUICK_EXIT_COMMANDS
    try:
        cli_main()
    except SystemExit as done:
        if quick:
            _leave_quickly(done.code)
        raise
