"""The ``releasekit`` executable: answers ``--version`` before loading the command line.

``--version`` is what scripts and CI logs ask most often, and loading click alone takes longer
than the rest of the answer; so it is answered here, with the same text click would print, and
everything else goes to the command line proper.
"""

from __future__ import annotations

import sys

from releasekit import __version__

_VERSION_FLAGS = (["--version"], ["-V"])


def main() -> None:
    """Print the version for ``--version``/``-V`` alone; otherwise run the command line."""
    if sys.argv[1:] in _VERSION_FLAGS:
        sys.stdout.write(f"releasekit {__version__}\n")
        raise SystemExit(0)
    try:
        from releasekit.cli import main as cli_main  # noqa: PLC0415  # loaded only when needed
    except KeyboardInterrupt:
        # Ctrl-C while loading: nothing has started yet, and a traceback would say otherwise.
        sys.stderr.write("error: interrupted before any change; nothing was changed\n")
        raise SystemExit(130) from None
    cli_main()
