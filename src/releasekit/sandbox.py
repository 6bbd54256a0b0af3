"""Throwaway places for a rehearsal: a clone with its own bare remote, and a fresh virtual env.

The clone is made from the user's repository at HEAD with ``git clone --no-hardlinks``, which
only reads it; its ``origin`` is then pointed at a new bare repository in the same temporary
folder, so that every fetch and push of the rehearsal stays there. A folder that is not in a git
repository is copied (without virtual environments, caches and build output) into a new one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Mapping, Sequence
from email.parser import BytesHeaderParser
from pathlib import Path, PurePosixPath

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from releasekit.errors import GitError, ReleaseError, UsageError
from releasekit.git import Git
from releasekit.records import frozen
from releasekit.tree_copy import copy_project

# Variables that make git act on another repository than the one in the working directory.
_GIT_REDIRECTS = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
)
# Variables that would make an installer use other sources than the one asked for.
_INDEX_VARIABLES = (
    "UV_INDEX",
    "UV_INDEX_URL",
    "UV_DEFAULT_INDEX",
    "UV_EXTRA_INDEX_URL",
    "UV_FIND_LINKS",
    "UV_NO_INDEX",
    "UV_OFFLINE",
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "PIP_FIND_LINKS",
    "PIP_NO_INDEX",
)
_COMMAND_SECONDS = 600.0
_SCRIPT_SECONDS = 60.0


class SandboxError(ReleaseError):
    """The throwaway clone or environment could not be made, or a program in it failed (exit 1)."""


@frozen
class Sandbox:
    """The clone, the project inside it, and what was left out of it."""

    clone: Path
    remote: Path
    project: Path
    branch: str | None
    uncommitted: tuple[str, ...]
    snapshot: bool


def refuse_git_redirects(env: Mapping[str, str]) -> None:
    """Refuse to run when ``GIT_DIR`` and friends would point git at the user's repository."""
    found = [name for name in _GIT_REDIRECTS if env.get(name)]
    if found:
        raise UsageError(
            f"{', '.join(found)} is set, so git commands in the throwaway clone would act on "
            "another repository",
            where="environment",
            hint=f"unset {' '.join(found)} and run again",
        )


def _git(cwd: Path, *args: str) -> str:
    """Run git for the sandbox; a failure is a ``GitError`` with git's last line."""
    return Git(cwd).output(*args)


def _git_ok(cwd: Path, *args: str) -> str | None:
    """Git's output, or ``None`` when it fails (a question answered "no")."""
    result = Git(cwd).run(*args, check=False)
    return result.stdout.strip() if result.returncode == 0 else None


def _toplevel(root: Path) -> Path | None:
    """The top of the git working tree holding ``root``, or ``None``."""
    top = _git_ok(root, "rev-parse", "--show-toplevel")
    return Path(top).resolve() if top is not None else None


def _uncommitted(top: Path) -> tuple[str, ...]:
    """Tracked files with changes and untracked files that are not ignored."""
    # Not stripped: each entry starts with its two status letters, a space among them.
    out = Git(top).run("status", "--porcelain=v1", "-z").stdout
    return tuple(entry[3:] for entry in out.split("\0") if entry[3:])


def _snapshot(source: Path, clone: Path, branch: str) -> None:
    """Copy ``source`` into ``clone`` (skipping environments and caches) and commit it."""
    copy_project(source, clone)
    _git(clone, "init", "--quiet", "--initial-branch", branch)
    _git(clone, "add", "--all")
    _git(clone, "commit", "--quiet", "--no-verify", "-m", "Snapshot for the rehearsal")


def make_sandbox(root: Path, workdir: Path, *, default_branch: str = "main") -> Sandbox:
    """Clone the repository holding ``root`` at HEAD into ``workdir`` with its own bare remote.

    The user's repository is only read. ``root`` may be a subfolder of the repository; the
    returned ``project`` is the same subfolder inside the clone. Outside git, ``root`` is copied
    and committed on ``default_branch``.
    """
    root = root.resolve()
    clone = workdir / "clone"
    remote = workdir / "remote.git"
    top = _toplevel(root)
    if top is None:
        _snapshot(root, clone, default_branch)
        project, snapshot = clone, True
        uncommitted: tuple[str, ...] = ()
    else:
        if _git_ok(top, "rev-parse", "-q", "--verify", "HEAD^{commit}") is None:
            raise GitError("the repository has no commits yet", hint="commit the project first")
        _git(
            workdir,
            "clone",
            "--quiet",
            "--no-hardlinks",
            "--no-recurse-submodules",
            str(top),
            str(clone),
        )
        project = clone / root.relative_to(top)
        uncommitted, snapshot = _uncommitted(top), False
    branch = _git_ok(clone, "symbolic-ref", "--short", "-q", "HEAD") or None
    _git(workdir, "init", "--quiet", "--bare", str(remote))
    if snapshot:
        _git(clone, "remote", "add", "origin", str(remote))
    else:
        _git(clone, "remote", "set-url", "origin", str(remote))
    refspecs = ["refs/tags/*:refs/tags/*"]
    if branch is not None:
        refspecs.insert(0, f"HEAD:refs/heads/{branch}")
    _git(clone, "push", "--quiet", "origin", *refspecs)
    # Forget the user's other branches, which the clone saw as origin's.
    _git(clone, "fetch", "--quiet", "--prune", "--no-tags", "origin")
    if branch is not None:
        _git(clone, "branch", "--quiet", "--set-upstream-to", f"origin/{branch}")
    if not project.is_dir():
        raise SandboxError(
            "the project folder is not in the committed tree",
            where=str(root),
            hint="commit the project first; the rehearsal works on HEAD",
        )
    return Sandbox(clone, remote, project, branch, uncommitted, snapshot)


def clean_environment(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` for programs in the rehearsal's venv: no PYTHONPATH or venv of the caller."""
    dropped = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP", "PYTHONUSERBASE"}
    return {k: v for k, v in env.items() if k not in dropped}


def find_uv() -> str | None:
    """The uv executable, from the ``uv`` package or on PATH, when there is one."""
    try:
        from uv import find_uv_bin  # noqa: PLC0415  # optional, used only when installed
    except ImportError:
        return shutil.which("uv")
    try:
        return str(find_uv_bin())
    except FileNotFoundError:
        return shutil.which("uv")


@frozen
class VirtualEnv:
    """A fresh virtual environment and the installer that fills it."""

    path: Path
    uv: str | None

    @property
    def python(self) -> Path:
        """Its interpreter."""
        folder = "Scripts" if os.name == "nt" else "bin"
        return self.path / folder / ("python.exe" if os.name == "nt" else "python")

    def script(self, name: str) -> Path:
        """Where a console script is installed."""
        return self.python.parent / (f"{name}.exe" if os.name == "nt" else name)

    def install_command(self, requirements: Sequence[str], *, index_url: str | None) -> list[str]:
        """The installer command for ``requirements``; only ``index_url`` when it is given."""
        if self.uv is not None:
            base = [self.uv, "pip", "install", "--quiet", "--python", str(self.python)]
            only = ["--no-config", "--no-cache", "--no-deps"]
        else:
            base = [str(self.python), "-m", "pip", "install", "--quiet"]
            only = ["--isolated", "--no-cache-dir", "--no-deps"]
        if index_url is not None:
            base += [*only, "--index-url", index_url]
        return [*base, *requirements]


def run_program(
    command: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    timeout: float = _COMMAND_SECONDS,
) -> subprocess.CompletedProcess[str]:
    """Run a program of the rehearsal with its output captured (never on the terminal)."""
    try:
        return subprocess.run(
            list(command),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as exc:
        raise SandboxError(f"cannot run {command[0]}: {exc.strerror}", where=command[0]) from exc
    except subprocess.TimeoutExpired as exc:
        raise SandboxError(
            f"{Path(command[0]).name} did not finish within {timeout:g} s",
            where=" ".join(command[:4]),
        ) from exc


def last_line(text: str) -> str:
    """The last non-empty line of a program's output."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def make_venv(path: Path, env: Mapping[str, str]) -> VirtualEnv:
    """A fresh virtual environment of the current interpreter: uv's when uv is there."""
    uv = find_uv()
    if uv is not None:
        command = [uv, "venv", "--quiet", "--no-config", "--python", sys.executable, str(path)]
    else:
        command = [sys.executable, "-m", "venv", str(path)]
    result = run_program(command, env=clean_environment(env), cwd=path.parent)
    if result.returncode != 0:
        raise SandboxError(
            f"creating the virtual environment failed: {last_line(result.stderr + result.stdout)}",
            where=str(path),
            hint="check that this Python can create virtual environments (python -m venv)",
        )
    return VirtualEnv(path, uv)


def installer_environment(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` without settings that would add package sources behind the installer's back."""
    return {k: v for k, v in clean_environment(env).items() if k not in _INDEX_VARIABLES}


@frozen
class WheelFacts:
    """What a wheel promises: its importable top-level names, console scripts and requirements."""

    name: str
    top_level: tuple[str, ...]
    scripts: tuple[str, ...]
    requires: tuple[Requirement, ...]


def _dist_info(names: list[str]) -> str:
    """The ``.dist-info`` folder of a wheel."""
    found = {n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info")}
    if len(found) != 1:
        raise SandboxError("the wheel has no single .dist-info folder")
    return found.pop()


def _top_level(names: list[str], top_level_txt: str | None) -> tuple[str, ...]:
    """Importable names from ``top_level.txt``, else from the wheel's file list."""
    if top_level_txt is not None:
        return tuple(sorted({line.strip() for line in top_level_txt.splitlines() if line.strip()}))
    found: set[str] = set()
    for name in names:
        path = PurePosixPath(name)
        first = path.parts[0]
        if first.endswith((".dist-info", ".data")):
            continue
        if len(path.parts) > 1:
            if first.isidentifier():
                found.add(first)
        elif path.suffix in {".py", ".so", ".pyd"}:
            module = path.name.split(".")[0]
            if module.isidentifier():
                found.add(module)
    return tuple(sorted(found))


def _console_scripts(entry_points: str | None) -> tuple[str, ...]:
    """Names in the ``[console_scripts]`` section of ``entry_points.txt``."""
    scripts: list[str] = []
    section = ""
    for raw in (entry_points or "").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
        elif section == "console_scripts" and "=" in line:
            scripts.append(line.split("=", 1)[0].strip())
    return tuple(scripts)


def wheel_facts(wheel: Path) -> WheelFacts:
    """Read the importable names, console scripts and Requires-Dist of a built wheel."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        info = _dist_info(names)

        def read(member: str) -> str | None:
            path = f"{info}/{member}"
            return archive.read(path).decode("utf-8", "replace") if path in names else None

        metadata = BytesHeaderParser().parsebytes(archive.read(f"{info}/METADATA"))
        top_level = _top_level(names, read("top_level.txt"))
        scripts = _console_scripts(read("entry_points.txt"))
    requires = []
    for text in metadata.get_all("Requires-Dist") or []:
        try:
            requires.append(Requirement(text))
        except InvalidRequirement:
            continue  # check reports invalid requirements; nothing to install from them
    return WheelFacts(
        name=canonicalize_name(str(metadata.get("Name", ""))),
        top_level=top_level,
        scripts=scripts,
        requires=tuple(requires),
    )


def needed_requirements(requires: Sequence[Requirement]) -> list[str]:
    """The requirements that apply to this interpreter without extras, markers removed."""
    needed = []
    for requirement in requires:
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        plain = Requirement(str(requirement))
        plain.marker = None
        needed.append(str(plain))
    return needed
