"""Test helpers: real git repositories, the installed command, whole-repository snapshots."""

from __future__ import annotations

import ast
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest

RELEASE_DATE = "2026-11-24"

CHANGELOG = """\
# Changelog

All notable changes to this project are documented here.

## [Unreleased]

### Added

- A new feature.

## [1.2.3] - 2026-01-02

### Fixed

- An old bug.

[Unreleased]: https://github.com/example/demo/compare/v1.2.3...HEAD
[1.2.3]: https://github.com/example/demo/releases/tag/v1.2.3
"""

PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "demo"
version = "1.2.3"  # keep in step with src/demo/__init__.py
description = "A demo."
"""


# Run with ``python -c``: the command line, then its exit code and every module it loaded,
# as a Python literal on standard error (for the tests of what a command imports).
_LOADED_MODULES = """
import sys
from releasekit.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
print(repr((code, sorted(sys.modules))), file=sys.stderr)
"""


def loaded_modules(
    cwd: Path, *args: str, env: Mapping[str, str] | None = None
) -> tuple[object, list[str], str]:
    """Run ``releasekit ARGS`` in a fresh interpreter: (exit code, modules loaded, stderr).

    For tests of what a command imports: the module list is taken as the command ends.
    """
    result = subprocess.run(
        [sys.executable, "-c", _LOADED_MODULES, *args],
        cwd=cwd,
        env=None if env is None else dict(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=True,
    )
    code, modules = ast.literal_eval(result.stderr.strip().splitlines()[-1])
    return code, modules, result.stderr


def releasekit_command() -> str:
    """The installed ``releasekit`` executable beside this interpreter; fail loudly if absent."""
    candidate = Path(sys.executable).parent / "releasekit"
    found = str(candidate) if candidate.exists() else shutil.which("releasekit")
    if found is None:
        pytest.fail("the releasekit command is not installed; run the tests with `uv run pytest`")
    return found


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` and return its stripped output; failures fail the test."""
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"git {' '.join(args)} failed: {result.stderr}"
    return result.stdout.strip()


@dataclass
class Repo:
    """A working clone and its bare remote."""

    path: Path
    remote: Path

    def write(self, files: Mapping[str, str | bytes]) -> None:
        """Write files (creating folders) relative to the working tree."""
        for name, content in files.items():
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_bytes(content.encode())

    def commit(self, message: str = "change") -> None:
        """Stage everything and commit."""
        git(self.path, "add", "-A")
        git(self.path, "commit", "-q", "-m", message)

    def git(self, *args: str) -> str:
        """Run git in the working tree."""
        return git(self.path, *args)

    def read(self, name: str) -> str:
        """A file's text, exactly as stored."""
        return (self.path / name).read_bytes().decode()


class RepoBuilder(Protocol):
    """Builds a repository from files; see the ``make_repo`` fixture."""

    def __call__(
        self,
        files: Mapping[str, str | bytes],
        *,
        tags: tuple[str, ...] = (),
        branch: str = "main",
        remote: bool = True,
    ) -> Repo:
        """Create the repository and return it."""
        ...


@dataclass
class Run:
    """What a run of the installed command produced."""

    returncode: int
    stdout: str
    stderr: str


def run_releasekit(
    cwd: Path, *args: str, stdin: str | None = None, env: Mapping[str, str] | None = None
) -> Run:
    """Run the installed ``releasekit`` command as a subprocess, as a user would."""
    environment = {**os.environ, **(env or {})}
    result = subprocess.run(
        [releasekit_command(), *args],
        cwd=cwd,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        env=environment,
        check=False,
        timeout=120,
    )
    return Run(result.returncode, result.stdout, result.stderr)


def default_signals() -> None:
    """In a child, before it runs: SIGINT, SIGTERM and SIGHUP back to their defaults.

    A test runner started with SIGINT ignored (``cmd &`` from a script) passes that on, and
    Python keeps an inherited ``SIG_IGN``: the child would then ignore the test's Ctrl-C.
    """
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, signal.SIG_DFL)


def spawn_releasekit(
    cwd: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    stdin: int = subprocess.DEVNULL,
    session: bool = False,
) -> subprocess.Popen[str]:
    """Start the installed ``releasekit`` for a test that signals it; signals at their defaults.

    ``session`` starts it in a session of its own, as a terminal starts a job, so that the test
    can signal its whole process group as a terminal's Ctrl-C does.
    """
    return subprocess.Popen(
        [releasekit_command(), *args],
        cwd=cwd,
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        start_new_session=session,
        preexec_fn=default_signals,  # noqa: PLW1509  # it only calls signal(), which takes no lock
    )


def install_hook(repo: Repo, name: str, script: str, *, bare: bool = False) -> Path:
    """Install an executable git hook in the working repository or the bare remote."""
    hook = (repo.remote if bare else repo.path / ".git") / "hooks" / name
    hook.write_text("#!/bin/sh\n" + script)
    hook.chmod(0o755)
    return hook


def snapshot(repo: Repo) -> dict[str, object]:
    """Everything a rollback must restore: files (bytes and mode), index entries, refs, HEAD."""
    files = {}
    for path in sorted(repo.path.rglob("*")):
        if ".git" in path.relative_to(repo.path).parts or not path.is_file():
            continue
        files[str(path.relative_to(repo.path))] = (path.read_bytes(), path.stat().st_mode)
    return {
        "files": files,
        "index": repo.git("ls-files", "--stage"),
        "staged": repo.git("diff", "--cached", "--name-only"),
        "refs": repo.git("for-each-ref", "--format=%(refname) %(objectname)"),
        "head": repo.git("symbolic-ref", "HEAD"),
        "status": repo.git("status", "--porcelain"),
        "remote_refs": git(repo.remote, "for-each-ref", "--format=%(refname) %(objectname)")
        if repo.remote.exists()
        else "",
    }


class Counter:
    """Counts the git children a Git runner starts and sees end (its ChildWatch seam)."""

    def __init__(self) -> None:
        self.started_count = 0
        self.ended_count = 0
        self.pids: list[int] = []

    def started(self, pid: int) -> None:
        """One more git child."""
        self.started_count += 1
        self.pids.append(pid)

    def ended(self) -> None:
        """A child ended and was reaped."""
        self.ended_count += 1
