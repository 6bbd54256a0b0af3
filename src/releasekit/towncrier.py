"""towncrier projects: the changelog step is ``towncrier build``, shown before it is applied.

towncrier renders the news fragments into the news file and deletes them. releasekit runs it,
with the user's own towncrier, in a scratch copy of the project's files while planning; the
difference between the copy and the project (the news file rewritten, fragments deleted) is the
step. So the dry run shows exactly what the release will do, applying it cannot half-fail in a
third-party tool, and undoing it restores every byte, fragments included.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from packaging.version import Version

from releasekit.errors import ChangelogError
from releasekit.file_changes import FileChange
from releasekit.git import Git
from releasekit.records import frozen, mutable

DEFAULT_NEWS_FILE = "NEWS.rst"  # towncrier's own default
# Variables that would point git in the scratch copy at the user's repository.
_GIT_LOCATION = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
)
INSTALL_HINT = "install it: pip install towncrier, or uv tool install towncrier"


@frozen
class TowncrierConfig:
    """Where towncrier is configured (for messages) and the news file it writes."""

    source: str
    filename: str


def towncrier_config(root: Path) -> TowncrierConfig | None:
    """The towncrier setup, or ``None`` when the project does not use towncrier.

    ``towncrier.toml`` is read first, as towncrier reads it, then ``[tool.towncrier]`` in
    pyproject.toml.
    """
    for name in ("towncrier.toml", "pyproject.toml"):
        path = root / name
        if not path.is_file():
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            data = {}
        table = data.get("tool", {}).get("towncrier")
        if isinstance(table, dict) or name == "towncrier.toml":
            filename = table.get("filename") if isinstance(table, dict) else None
            return TowncrierConfig(
                name, filename if isinstance(filename, str) else DEFAULT_NEWS_FILE
            )
    return None


# towncrier's own fragment types, when the project configures none (directory, heading).
DEFAULT_TYPES = (
    ("feature", "Features"),
    ("bugfix", "Bugfixes"),
    ("doc", "Improved Documentation"),
    ("removal", "Deprecations and Removals"),
    ("misc", "Misc"),
)


@frozen
class FragmentLayout:
    """Where towncrier looks for news fragments and which types it knows, as it reads them."""

    directory: str  # relative to the project root, POSIX
    types: tuple[tuple[str, str], ...]  # (type, as in file names; its heading), in order
    extension: str  # ".md" for a Markdown news file, else ".rst"
    orphan_prefix: str
    news_file: str


def _table(root: Path, config: TowncrierConfig) -> dict[str, Any]:
    try:
        data = tomllib.loads((root / config.source).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    table = data.get("tool", {}).get("towncrier")
    return table if isinstance(table, dict) else {}


def _types(table: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The fragment types as towncrier loads them.

    ``[tool.towncrier.fragment.X]`` tables, else ``[[tool.towncrier.type]]`` entries, else
    towncrier's defaults.
    """
    fragment = table.get("fragment")
    if isinstance(fragment, dict) and fragment:
        return tuple(
            (str(name), str(options.get("name", str(name).capitalize())))
            if isinstance(options, dict)
            else (str(name), str(name).capitalize())
            for name, options in fragment.items()
        )
    listed = table.get("type")
    if isinstance(listed, list) and listed:
        found = []
        for item in listed:
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                name = item["name"]
                directory = item.get("directory", name.lower())
                found.append((str(directory), name))
        return tuple(found)
    return DEFAULT_TYPES


def fragment_layout(root: Path, config: TowncrierConfig) -> FragmentLayout:
    """Where new fragments go, and their types and extension, as towncrier reads its settings.

    The folder is ``directory`` (its first section's folder when sections are configured),
    else ``<package_dir>/<package>/newsfragments`` as towncrier derives it.
    """
    table = _table(root, config)
    directory = table.get("directory")
    if isinstance(directory, str):
        folder = directory
        sections = table.get("section")
        if isinstance(sections, list) and sections and isinstance(sections[0], dict):
            paths = [s.get("path", "") for s in sections if isinstance(s, dict)]
            path = "" if "" in paths else str(paths[0])
            folder = f"{folder}/{path}" if path else folder
    else:
        package_dir = str(table.get("package_dir", "."))
        package = str(table.get("package", ""))
        folder = "/".join(part for part in (package_dir, package, "newsfragments") if part)
    prefix = table.get("orphan_prefix", "+")
    return FragmentLayout(
        directory=Path(folder).as_posix().removeprefix("./") or ".",
        types=_types(table),
        extension=".md" if config.filename.lower().endswith(".md") else ".rst",
        orphan_prefix=prefix if isinstance(prefix, str) and prefix else "+",
        news_file=config.filename,
    )


def towncrier_command(env: Mapping[str, str]) -> list[str] | None:
    """The user's towncrier: ``towncrier`` on PATH, else ``python -m towncrier`` here."""
    found = shutil.which("towncrier", path=env.get("PATH"))
    if found is not None:
        return [found]
    if importlib.util.find_spec("towncrier") is not None:
        return [sys.executable, "-m", "towncrier"]
    return None


@mutable
class TowncrierBuild:
    """The effect of ``towncrier build``: the news file rewritten, the fragments removed."""

    command: str
    writes: tuple[FileChange, ...]
    removals: tuple[FileChange, ...]

    @property
    def parts(self) -> list[FileChange]:
        """The news file's rewrite, then each fragment's removal."""
        return [*self.writes, *self.removals]

    @property
    def paths(self) -> list[str]:
        """Every file the build changes or removes, for the release commit."""
        return [part.display for part in self.parts]

    def describe(self) -> str:
        """The command, the news file and how many fragments go."""
        written = ", ".join(write.display for write in self.writes) or "nothing"
        count = len(self.removals)
        return f"{self.command}: write {written}, remove {count} news fragment{'s' * (count != 1)}"

    def diff(self) -> str:
        """Every change as ``git diff`` would show it."""
        return "".join(part.diff() for part in self.parts)

    def apply(self) -> None:
        """Write the news file and remove the fragments (each undone by the transaction)."""
        for part in self.parts:
            part.apply()


def _project_files(root: Path) -> list[str]:
    """The files towncrier may read: tracked ones and untracked ones that are not ignored."""
    listed = Git(root).run("ls-files", "-z", "--cached", "--others", "--exclude-standard").stdout
    names = dict.fromkeys(name for name in listed.split("\0") if name)
    return [name for name in names if (root / name).is_file() or (root / name).is_symlink()]


def _scratch_env(env: Mapping[str, str]) -> dict[str, str]:
    """The user's environment, with git kept inside the copy and no bytecode written."""
    clean = {key: value for key, value in env.items() if key not in _GIT_LOCATION}
    clean["PYTHONDONTWRITEBYTECODE"] = "1"
    return clean


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        check=False,
    )


def _last_line(result: subprocess.CompletedProcess[str]) -> str:
    for stream in (result.stderr, result.stdout):
        lines = [line.strip() for line in stream.splitlines() if line.strip()]
        if lines:
            return lines[-1]
    return f"exit status {result.returncode}"


def plan_towncrier(
    root: Path,
    config: TowncrierConfig,
    *,
    version: Version,
    date: str,
    allow_empty: bool,
    env: Mapping[str, str],
    extra_fragments: Mapping[str, str] | None = None,
) -> TowncrierBuild:
    """Run ``towncrier build`` in a scratch copy and return its effect as one action.

    Nothing in ``root`` is touched. A build that would create files (a news file that does not
    exist yet, per-release files) is refused: the release commit holds tracked files only.
    ``extra_fragments`` (relative path -> text: fragments drafted from commits) are written into
    the copy only, so the build renders them and the project never holds them.
    """
    extra = dict(extra_fragments or {})
    command = towncrier_command(env)
    if command is None:
        raise ChangelogError(
            "towncrier is configured but not installed", where=config.source, hint=INSTALL_HINT
        )
    arguments = ["build", "--version", str(version), "--date", date, "--yes"]
    files = _project_files(root)
    scratch_env = _scratch_env(env)
    with tempfile.TemporaryDirectory(prefix="releasekit-towncrier-") as folder:
        scratch = Path(folder)
        for name in files:
            (scratch / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, scratch / name, follow_symlinks=False)
        for name, text in extra.items():
            (scratch / name).parent.mkdir(parents=True, exist_ok=True)
            (scratch / name).write_text(text, encoding="utf-8")
        for git_args in (["init", "-q"], ["add", "-A"]):
            _run(["git", *git_args], scratch, scratch_env)
        result = _run([*command, *arguments], scratch, scratch_env)
        if result.returncode != 0:
            raise ChangelogError(
                # The scratch copy is gone by the time the user reads this; name their files.
                f"towncrier build failed: {_last_line(result).replace(str(scratch), str(root))}",
                where=config.source,
                hint="towncrier build --draft shows what it would write",
            )
        writes, removals = [], []
        for name in files:
            old, copy = root / name, scratch / name
            if not copy.exists():
                removals.append(FileChange(old, name, old.read_bytes(), None))
            elif not old.is_symlink() and (new := copy.read_bytes()) != old.read_bytes():
                writes.append(FileChange(old, name, old.read_bytes(), new))
        known = set(files) | set(extra)
        created = sorted(
            str(path.relative_to(scratch))
            for path in scratch.rglob("*")
            if ".git" not in path.relative_to(scratch).parts
            and path.is_file()
            and str(path.relative_to(scratch)) not in known
        )
        drafted = [name for name in extra if not (scratch / name).exists()]
        left = sorted(name for name in extra if (scratch / name).exists())
    if left:
        raise ChangelogError(
            f"towncrier build left the fragments drafted from commits: {', '.join(left)}",
            where=config.source,
            hint="check the fragment directory and types in the towncrier configuration",
        )
    if created:
        raise ChangelogError(
            f"towncrier build would create {', '.join(created)}",
            where=config.source,
            hint="create the news file (with towncrier's start line) and commit it, then run again",
        )
    if not removals and not drafted and not allow_empty:
        raise ChangelogError(
            "there are no news fragments for this release",
            where=config.source,
            hint="add fragments (towncrier create), or pass --allow-empty-changelog",
        )
    shown = "towncrier " + " ".join(arguments)
    return TowncrierBuild(shown, tuple(writes), tuple(removals))
