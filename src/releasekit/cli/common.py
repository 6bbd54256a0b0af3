"""Helpers more than one command uses: BUMP completion, rendering, the index to publish to.

``check`` and ``publish`` both print findings; ``publish`` and its progress reporters print
file sizes. ``build``, ``check``, ``publish`` and ``rehearse`` (and ``prepare``, ``notes`` and
``doctor``) take the same monorepo selection, ``--package NAME`` or ``--all``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

    import click
    from click.shell_completion import CompletionItem

    from releasekit.cli import Context
    from releasekit.config import Settings
    from releasekit.console import Console
    from releasekit.findings import Finding
    from releasekit.index.target import Destination
    from releasekit.packages import Package


F = TypeVar("F", bound="Callable[..., object]")


def complete_bump(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Shell completion of the BUMP argument: the bump words, also after a comma (minor,r)."""
    from click.shell_completion import CompletionItem

    from releasekit.versioning import BUMPS

    done, _, last = incomplete.rpartition(",")
    prefix = f"{done}," if done else ""
    words = BUMPS if done else (*BUMPS, "auto")  # auto comes first in a chain, or alone
    return [CompletionItem(prefix + word) for word in words if word.startswith(last.lower())]


def print_findings(console: Console, findings: list[Finding]) -> None:
    """Findings grouped by file, one line each: severity, code, message and hint."""
    groups: dict[str, list[str]] = {}
    for finding in findings:
        colour = {"error": "red", "warning": "yellow"}.get(finding.severity, "cyan")
        label = console.style(finding.severity, colour, "bold")
        line = f"  {label} {finding.code}: {finding.message}"
        groups.setdefault(finding.file, []).append(
            line + (f" ({finding.hint})" if finding.hint else "")
        )
    for name, lines in groups.items():
        console.print(console.style(name, "bold"))
        for line in lines:
            console.print(line)


def human_size(size: int) -> str:
    """A file size for people: KiB below a MiB, else MiB."""
    return f"{size / 1024:.1f} KiB" if size < 1 << 20 else f"{size / (1 << 20):.1f} MiB"


def index_options(command: F) -> F:
    """``-r/--repository``, ``--repository-url`` and ``--index-url``, for publish and check."""
    import click

    options = (
        click.option(
            "--repository",
            "-r",
            metavar="NAME",
            help="pypi, testpypi or a ~/.pypirc name "
            "[env: RELEASEKIT_REPOSITORY; setting: repository; default: pypi].",
        ),
        click.option(
            "--repository-url",
            metavar="URL",
            help="A legacy upload API URL [env: RELEASEKIT_REPOSITORY_URL].",
        ),
        click.option(
            "--index-url",
            metavar="URL",
            help="The simple API, for lookups and verification (default: derived, or found "
            "from the upload URL) [env: RELEASEKIT_INDEX_URL; setting: index-url].",
        ),
    )
    for option in reversed(options):
        command = option(command)
    return command


def choose_destination(
    root: Path, repository: str | None, repository_url: str | None, index_url: str | None
) -> tuple[Settings, Destination]:
    """The settings (flags applied) and where uploads go, in the order of docs/publish.md."""
    import os

    from releasekit.config import load_settings
    from releasekit.index.target import choose_destination as choose

    settings = load_settings(
        root, os.environ, flags={"repository": repository, "index-url": index_url}
    )
    destination = choose(
        repository=settings.repository,
        repository_flag=repository is not None,
        repository_url=repository_url,
        env=os.environ,
    )
    return settings, destination


def dist_version_problem(root: Path, paths: list[Path]) -> Finding | None:
    """A warning when the files are of another version than the project (docs/build-and-check.md).

    Outside a project there is nothing to compare; a project whose version cannot be read gives
    a warning that says so instead.
    """
    import os

    from releasekit.dist_versions import other_versions, project_version
    from releasekit.errors import ReleaseError
    from releasekit.findings import Finding

    try:
        project = project_version(root, os.environ)
    except ReleaseError as exc:
        return Finding(
            "(project)",
            "warning",
            "project-version-unknown",
            f"cannot compare the files with the project's version: {exc.one_line()}",
        )
    return None if project is None else other_versions(paths, project, root)


def package_options(command: F) -> F:
    """``--package NAME`` and ``--all``: which packages of a monorepo the command runs on.

    The values reach the command as ``package`` and ``every``; ``selected_packages`` turns them
    into packages (see docs/monorepos.md).
    """
    import click

    options = (
        click.option(
            "--package",
            "package",
            metavar="NAME",
            default=None,
            help="Run on the package NAME of a monorepo (uv workspace or folders with their "
            "own pyproject.toml).",
        ),
        click.option("--all", "every", is_flag=True, help="Run on every package of the monorepo."),
    )
    for option in reversed(options):
        command = option(command)
    return command


def selected_packages(obj: Context, package: str | None, every: bool) -> list[Package] | None:
    """The packages ``--package NAME`` or ``--all`` chose; ``None`` when neither was given.

    Without either option a command runs on the project found from ``-C`` (or the current
    folder), as it always has, and the repository is not searched for other packages.
    """
    if package is None and not every:
        return None
    from releasekit.packages import discover, select

    workspace = discover(obj.cwd)
    chosen = select(workspace, root=obj.root, package=package, every=every)
    obj.console.detail(
        f"packages ({workspace.source}, in {workspace.top}): "
        + ", ".join(f"{p.name} ({p.path})" for p in workspace.packages)
        + f"; running on {', '.join(p.name for p in chosen)}"
    )
    return chosen


def package_label(package: Package) -> str:
    """A package as messages name it: its name, and its folder when that is not the top."""
    return package.name if package.path == "." else f"{package.name} ({package.path})"
