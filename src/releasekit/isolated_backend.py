"""Run a project's PEP 517 build backend in a fresh isolated environment, output captured.

Both ``build`` (sdist and wheel) and metadata reading (``prepare_metadata_for_build_wheel``, for
projects whose name or version only the backend knows) go through here, so that what the
installer and the backend print never reaches the terminal unasked: it is kept, returned with a
failure, and shown with ``-v``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import subprocess
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

if TYPE_CHECKING:
    from build import ProjectBuilder

Distribution = Literal["sdist", "wheel"]
T = TypeVar("T")


class BackendFailure(Exception):
    """The backend hook failed (``stage="backend"``) or its environment could not be set up."""

    def __init__(self, stage: Literal["setup", "backend"], reason: str, output: str) -> None:
        super().__init__(reason)
        self.stage = stage
        self.reason = reason
        self.output = output


class CapturingRunner:
    """Runs backend hooks with their output captured, so that only failures (or ``-v``) show it."""

    def __init__(self) -> None:
        self.output: list[str] = []

    def __call__(
        self,
        cmd: Sequence[str],
        cwd: str | None = None,
        extra_environ: Mapping[str, str] | None = None,
    ) -> None:
        """Run one hook subprocess; keep what it printed, raise if it failed."""
        env = {**os.environ, **(extra_environ or {})}
        result = subprocess.run(
            list(cmd), cwd=cwd, env=env, capture_output=True, text=True, check=False
        )
        self.output.append(result.stdout + result.stderr)
        if result.returncode != 0:
            raise subprocess.CalledProcessError(
                result.returncode, cmd, result.stdout, result.stderr
            )

    def log(self, message: str, *, kind: tuple[str, ...] | None = None) -> None:
        """``build``'s own log lines (environment creation, installer output) are kept too."""
        self.output.append(message if message.endswith("\n") else message + "\n")


def installer() -> Literal["uv", "pip"]:
    """Uv creates build environments several times faster than pip; use it when present."""
    if importlib.util.find_spec("uv") is not None or shutil.which("uv"):
        return "uv"
    return "pip"


@contextlib.contextmanager
def _build_log_to(runner: CapturingRunner) -> Iterator[None]:
    """Route ``build``'s logger and its installer subprocesses' output into ``runner``.

    ``build`` keeps both in context variables; with verbosity on, installer output is streamed to
    the logger instead of being thrown away, so a failed install can be shown.
    """
    try:
        from build import _ctx  # noqa: PLC0415  # build loads only when a backend is run
    except ImportError:  # an older or newer build without the context module: nothing to route
        yield
        return
    logger = _ctx.LOGGER.set(runner.log)
    verbosity = _ctx.VERBOSITY.set(1)
    try:
        yield
    finally:
        _ctx.VERBOSITY.reset(verbosity)
        _ctx.LOGGER.reset(logger)


@contextlib.contextmanager
def _backend_warnings_to(runner: CapturingRunner) -> Iterator[None]:
    """Keep the backend's warnings with its output instead of letting them reach the terminal.

    pyproject_hooks re-raises, in this process, every warning the backend raised in its own
    (setuptools' deprecation notices run to 150 lines for one build); they are the backend's
    output, shown with ``-v`` or on failure like the rest of it.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            for warning in caught:
                runner.log(f"{warning.category.__name__}: {warning.message}")


def run_hook(
    source: Path,
    distribution: Distribution,
    hook: Callable[[ProjectBuilder], T],
    runner: CapturingRunner,
) -> T:
    """Set up an isolated environment for ``source`` and run ``hook`` with its builder.

    Raises ``BackendFailure`` with everything that was printed; ``runner.output`` keeps it too.
    """
    from build import (  # noqa: PLC0415  # build loads only when a backend is run
        BuildBackendException,
        BuildException,
        ProjectBuilder,
    )
    from build.env import DefaultIsolatedEnv  # noqa: PLC0415  # as above

    try:
        with (
            _build_log_to(runner),
            _backend_warnings_to(runner),
            DefaultIsolatedEnv(installer=installer()) as env,
        ):
            builder = ProjectBuilder.from_isolated_env(env, source, runner=runner)
            env.install(builder.build_system_requires)
            env.install(builder.get_requires_for_build(distribution))
            return hook(builder)
    except BuildBackendException as exc:
        raise BackendFailure("backend", str(exc), "".join(runner.output)) from exc
    except (BuildException, subprocess.CalledProcessError, OSError) as exc:
        output = "".join(runner.output)
        stderr = getattr(exc, "stderr", None)
        if isinstance(stderr, bytes):
            stderr = stderr.decode("utf-8", "replace")
        if stderr and stderr not in output:
            output += stderr
        raise BackendFailure("setup", str(exc), output) from exc
