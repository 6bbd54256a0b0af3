"""The packages of a repository (one project, or a monorepo's several); which ones a command takes.

A repository is a uv workspace when the top pyproject.toml has ``[tool.uv.workspace]``: its
members are what uv builds, so they are what releasekit releases. Otherwise every folder holding
a pyproject.toml that names a project (``[project].name`` or ``[tool.poetry].name``) is a
package, found with one ``git ls-files`` (committed, staged, and untracked but not ignored, so a
package made a minute ago is found before its first commit). Folders that hold test data,
examples, documentation or vendored code are left out, as is anything under a hidden folder:
their pyproject.toml files are fixtures, not releases. A folder is left out, with everything
under it, when its name (in any case) starts with a dot; is ``doc(s)``, ``benchmark(s)``,
``vendor``, ``vendored``, ``_vendor``, ``third_party``, ``third-party``, ``site-packages`` or
``node_modules``; has ``example(s)``, ``sample(s)`` or ``fixture(s)`` as one of its words
(``python-monorepo-example``, ``uv_examples``, ``SampleApp``); or has ``test``, ``tests``,
``testing`` or ``testdata`` as its first word (``tests``, ``test_data``, but not
``langchain-tests``). Words are the runs of letters or digits, camelCase split. The project
``-C`` (or the current folder) points at is always a package, wherever it is.

Two packages may share a name (two examples called ``agent``); releasing by that name is then
ambiguous, and so is ``--all``, whose tags (``agent-v1.0.0``) would collide: both are usage
errors naming the folders, and ``-C path`` picks one.

Only files are read, and git is run once (twice outside a uv workspace); no build backend runs.
A broken pyproject.toml of another package is skipped: it must not stop a command on this one.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from releasekit.errors import UsageError
from releasekit.git import TREE_PROJECTS, Git
from releasekit.names import canonical_name
from releasekit.project_root import find_project
from releasekit.records import frozen

# Folder names (compared in lower case) whose pyproject.toml files are not releases:
# documentation, benchmarks, and code vendored from elsewhere.
_NOT_RELEASES = frozenset(
    {
        "doc",
        "docs",
        "benchmark",
        "benchmarks",
        "site-packages",
        "node_modules",
        "vendor",
        "vendored",
        "_vendor",
        "third_party",
        "third-party",
    }
)
# Words that mark a folder of examples or test data wherever they stand in its name
# ("python-monorepo-example", "uv_examples", "test-fixtures", "SampleApp").
_EXAMPLE_WORDS = frozenset(
    {"example", "examples", "sample", "samples", "fixture", "fixtures"}
)  # fmt: skip
# Words that mark test folders when they come first ("tests", "test_data", "testing-utils");
# later in a name they may be a released package's ("langchain-tests", "pytest-things").
_TEST_WORDS = frozenset({"test", "tests", "testing", "testdata"})
# The words of a folder name: runs of letters or digits, camelCase split.
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")

PYPROJECT = "pyproject.toml"


@frozen
class Package:
    """One releasable project of the repository."""

    name: str  # [project].name (or [tool.poetry].name) as written
    root: Path  # its folder, absolute and resolved
    path: str  # its folder relative to the top of the repository, POSIX; "." for the top


@frozen
class Workspace:
    """Every package of the repository, and how they were found."""

    top: Path  # the git top level (or the project's root outside git)
    packages: tuple[Package, ...]  # sorted by path
    source: Literal["uv", "folders", "single"]

    @property
    def is_monorepo(self) -> bool:
        """Whether the repository holds more than one package."""
        return len(self.packages) > 1

    def find(self, name: str) -> Package | None:
        """The package called ``name`` (compared as normalized names)."""
        wanted = canonical_name(name)
        return next((p for p in self.packages if canonical_name(p.name) == wanted), None)

    def named(self, name: str) -> list[Package]:
        """Every package called ``name`` (normalized): more than one when examples collide."""
        wanted = canonical_name(name)
        return [p for p in self.packages if canonical_name(p.name) == wanted]

    def namesakes(self) -> list[list[Package]]:
        """The groups of packages that share a normalized name, each sorted by path."""
        groups: dict[str, list[Package]] = {}
        for package in self.packages:
            groups.setdefault(canonical_name(package.name), []).append(package)
        return [group for group in groups.values() if len(group) > 1]

    def containing(self, root: Path) -> Package | None:
        """The package whose folder is ``root``."""
        folder = root.resolve()
        return next((p for p in self.packages if p.root == folder), None)

    def pathspec(self, package: Package) -> list[str]:
        """Git pathspecs of the package's own files: its folder minus nested packages' folders.

        Every spec carries ``top``, so the list means the same from any folder of the work tree.
        The top package's own spec is ``:(top)`` alone: git reads ``:(top).`` as matching
        nothing when it runs from a subfolder.
        """
        inside = PurePosixPath(package.path)
        nested = [
            other.path
            for other in self.packages
            if other.path != package.path
            and (package.path == "." or PurePosixPath(other.path).is_relative_to(inside))
        ]
        own = ":(top)" if package.path == "." else _spec("top", package.path)
        return [own, *(_spec("top,exclude", path) for path in nested)]


def _spec(magic: str, path: str) -> str:
    """A pathspec for a folder; ``literal`` when its name holds glob characters."""
    literal = ",literal" if any(c in path for c in "*?[\\") else ""
    return f":({magic}{literal}){path}"


def discover(start: Path) -> Workspace:
    """The packages of the repository around ``start`` (a uv workspace, or folders)."""
    start = start.resolve()
    found = find_project(start)
    toplevel = Git(start).toplevel()
    outside = found.root if found is not None else start  # no git: the project is the top
    top = outside if toplevel is None else toplevel.resolve()
    top_table = _read_pyproject(top / PYPROJECT)
    members = _uv_members(top, top_table) if top_table is not None else None
    if members is not None:
        source: Literal["uv", "folders", "single"] = "uv"
        folders = members
    elif toplevel is not None:
        source = "folders"
        folders = [top / path for path in _tracked_projects(Git(top)) if _is_release_folder(path)]
    else:
        source = "folders"
        folders = [top]
    packages: dict[Path, Package] = {}
    for folder in folders:
        package = _package_at(folder, top)
        if package is not None:
            packages[package.root] = package
    if found is not None and found.root not in packages and found.root.is_relative_to(top):
        # The project the user pointed at counts wherever it is (a fixture, an example).
        package = _package_at(found.root, top)
        if package is not None:
            packages[package.root] = package
    ordered = tuple(sorted(packages.values(), key=_path_order))
    if len(ordered) <= 1:
        source = "single"
    return Workspace(top=top, packages=ordered, source=source)


def select(workspace: Workspace, *, root: Path, package: str | None, every: bool) -> list[Package]:
    """The packages a command runs on: ``--package NAME``, ``--all``, or the one at ``root``.

    ``root`` is the project found from ``-C`` (or the current folder); when it is not one of
    the workspace's packages (a nameless project, a folder outside the repository), it is
    still the one package a plain command runs on, as before monorepos were known.
    """
    if package is not None and every:
        raise UsageError(
            "--package and --all cannot be used together",
            hint="pass --package NAME for one package, or --all for every one",
        )
    if package is not None:
        namesakes = workspace.named(package)
        if len(namesakes) > 1:
            raise UsageError(
                f"{len(namesakes)} packages are named {package!r} in {workspace.top}: "
                + ", ".join(p.path for p in namesakes),
                hint=f"pass -C with the folder of the one to release (-C {namesakes[0].path})",
            )
        if not namesakes:
            known = ", ".join(p.name for p in workspace.packages) or "none"
            raise UsageError(
                f"no package named {package!r} in {workspace.top} (known: {known})",
                hint="pass --package NAME or -C path/to/pkg",
            )
        return namesakes
    if every and workspace.packages:
        clashes = workspace.namesakes()
        if clashes:
            named = "; ".join(
                f"{group[0].name!r} in {', '.join(p.path for p in group)}" for group in clashes
            )
            raise UsageError(
                f"--all would release packages that share a name (and a tag): {named}",
                hint="rename one of each, leave it out of the workspace, "
                "or release them one at a time with -C path",
            )
        return list(workspace.packages)
    here = workspace.containing(root)
    if here is not None:
        return [here]
    return [_package_at(root.resolve(), workspace.top) or _unnamed(root.resolve(), workspace.top)]


def _path_order(package: Package) -> tuple[bool, str]:
    """The top package first, then by path."""
    return package.path != ".", package.path


def _relative(folder: Path, top: Path) -> str:
    """``folder`` relative to ``top``, POSIX, "." for the top (absolute outside it)."""
    if folder == top:
        return "."
    if folder.is_relative_to(top):
        return folder.relative_to(top).as_posix()
    return folder.as_posix()


def _read_pyproject(path: Path) -> dict[str, Any] | None:
    """The parsed file, or ``None`` when it is missing, unreadable or not valid TOML."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None


def _declared_name(table: Mapping[str, Any]) -> str | None:
    """``[project].name``, else ``[tool.poetry].name``, as written; ``None`` without one."""
    project = table.get("project")
    if isinstance(project, dict):
        name = project.get("name")
        if isinstance(name, str) and name.strip():
            return name.strip()
    tool = table.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    if isinstance(poetry, dict):
        name = poetry.get("name")
        if isinstance(name, str) and name.strip():
            return name.strip()
    return None


def _package_at(folder: Path, top: Path) -> Package | None:
    """The package in ``folder``, when its pyproject.toml names one."""
    table = _read_pyproject(folder / PYPROJECT)
    name = _declared_name(table) if table is not None else None
    if name is None:
        return None
    root = folder.resolve()
    return Package(name=name, root=root, path=_relative(root, top))


def _unnamed(root: Path, top: Path) -> Package:
    """A project whose name is not written in pyproject.toml (setup.py, setup.cfg, maturin).

    Its name is read as ``prepare`` reads it, without the backend; the folder's name stands in
    when even that fails, since the name only labels the package in messages.
    """
    from releasekit.config import Project  # noqa: PLC0415  # only for such projects
    from releasekit.errors import ReleaseError  # noqa: PLC0415  # as above
    from releasekit.project_meta import static_name  # noqa: PLC0415  # as above

    table = _read_pyproject(root / PYPROJECT) or {}
    try:
        name = static_name(Project(root=root, pyproject=table))
    except (ReleaseError, OSError, ValueError):
        name = None
    return Package(name=name or root.name, root=root, path=_relative(root, top))


def _uv_members(top: Path, table: Mapping[str, Any]) -> list[Path] | None:
    """The folders of a uv workspace (the top first when it is a project), or ``None``.

    As uv reads them: ``members`` and ``exclude`` are globs relative to the top, a member is a
    matched folder with a pyproject.toml, and an excluded one is left out.
    """
    tool = table.get("tool")
    uv = tool.get("uv") if isinstance(tool, dict) else None
    workspace = uv.get("workspace") if isinstance(uv, dict) else None
    if not isinstance(workspace, dict):
        return None
    members = _globbed(top, workspace.get("members"))
    excluded = set(_globbed(top, workspace.get("exclude")))
    folders = [top] if isinstance(table.get("project"), dict) else []
    for folder in members:
        if folder not in excluded and folder != top and (folder / PYPROJECT).is_file():
            folders.append(folder)
    return folders


def _globbed(top: Path, patterns: object) -> list[Path]:
    """The folders the globs match, relative to ``top``, in order, each once."""
    if not isinstance(patterns, list):
        return []
    seen: dict[Path, None] = {}
    for pattern in patterns:
        if not isinstance(pattern, str) or not pattern.strip():
            continue
        text = pattern.strip().rstrip("/")
        matches: Iterable[Path] = (
            sorted(top.glob(text)) if any(c in text for c in "*?[") else [top / text]
        )
        for match in matches:
            if match.is_dir():
                seen.setdefault(match.resolve(), None)
    return list(seen)


def _tracked_projects(git: Git) -> list[str]:
    """Folders (relative to the top, POSIX) holding a pyproject.toml git knows or would add."""
    with git.start(*TREE_PROJECTS) as listing:
        result = listing.result(check=False)
    if result.returncode != 0:
        return []
    folders: dict[str, None] = {}
    for entry in result.stdout.split("\0"):
        if entry == PYPROJECT:
            folders.setdefault(".", None)
        elif entry.endswith("/" + PYPROJECT):
            folders.setdefault(entry.removesuffix("/" + PYPROJECT), None)
    return list(folders)


def _is_release_folder(path: str) -> bool:
    """Whether a folder may hold a release: not test data, examples, docs, vendored or hidden."""
    if path == ".":
        return True
    return not any(_not_a_release(part) for part in PurePosixPath(path).parts)


def _not_a_release(part: str) -> bool:
    """Whether one folder name marks what is under it as no release (see the module's rules)."""
    if part.startswith(".") or part.lower() in _NOT_RELEASES:
        return True
    words = [word.lower() for word in _WORD.findall(part)]
    return bool(words) and (
        words[0] in _TEST_WORDS or any(word in _EXAMPLE_WORDS for word in words)
    )
