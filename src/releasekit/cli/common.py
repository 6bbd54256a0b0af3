"""Helpers more than one command uses: BUMP completion, rendering, the index to publish to.

``check`` and ``publish`` both print findings; ``publish`` and its progress reporters print
file sizes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

    import click
    from click.shell_completion import CompletionItem

    from releasekit.config import Settings
    from releasekit.console import Console
    from releasekit.findings import Finding
    from releasekit.index.target import Destination


F = TypeVar("F", bound="Callable[..., object]")


def complete_bump(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Shell completion of the BUMP argument: the bump words, also after a comma (minor,r)."""
    from click.shell_completion import CompletionItem

    from releasekit.versioning import BUMPS

    done, _, last = incomplete.rpartition(",")
    prefix = f"{done}," if done else ""
    return [CompletionItem(prefix + word) for word in BUMPS if word.startswith(last.lower())]


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
