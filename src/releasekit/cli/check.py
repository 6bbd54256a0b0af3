"""``releasekit check``: every problem PyPI would reject, in all the files at once.

Exit 1 when any finding is an error, so CI can gate an upload on it; ``--json`` for tools.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from releasekit.cli import Context
from releasekit.cli.common import (
    choose_destination,
    dist_version_problem,
    index_options,
    package_options,
    print_findings,
    selected_packages,
)
from releasekit.cli.json_report import envelope, print_json
from releasekit.errors import EXIT_FAILED, EXIT_OK

if TYPE_CHECKING:
    from releasekit.findings import Finding
    from releasekit.packages import Package


@click.command(
    epilog="""\b
Examples:
  releasekit check                     every file in the project's dist/
  releasekit check dist/*.whl          the wheels only (paths relative to this folder)
  releasekit check --against-index     also compare with the index's files
  releasekit check --all               each package's dist/ in a monorepo"""
)
@click.argument("dists", metavar="[DIST ...]", nargs=-1)
@click.option(
    "--against-index",
    is_flag=True,
    help="Also compare with the files the target index already has "
    "[env: RELEASEKIT_REPOSITORY, RELEASEKIT_INDEX_URL; setting: repository, index-url].",
)
@index_options
@click.option(
    "--allow-other-version",
    is_flag=True,
    help="Do not warn about files whose version is not the project's.",
)
@package_options
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report.")
@click.pass_obj
def check(
    obj: Context,
    dists: tuple[str, ...],
    against_index: bool,
    repository: str | None,
    repository_url: str | None,
    index_url: str | None,
    allow_other_version: bool,
    package: str | None,
    every: bool,
    as_json: bool,
) -> int:
    """Check distributions for everything PyPI would reject, all at once (default: dist/*)."""
    from releasekit.check import check_files, summary_counts

    chosen = selected_packages(obj, package, every)
    batches = (
        [(obj.root, chosen_files(obj, dists))]
        if chosen is None
        else [(each.root, paths) for each, paths in package_files(obj, chosen, dists, every)]
    )
    paths = [path for _, files in batches for path in files]
    for path in paths:
        obj.console.detail(f"checking {path}")
    obj.console.detail(
        "checks: file names, metadata fields and versions, requirements, classifiers, "
        "size limits, README rendering, and the batch (one version, one sdist)"
        + (", each package's files as one batch" if len(batches) > 1 else "")
    )
    findings: list[Finding] = []
    for root, files in batches:
        findings += check_files(files)
        findings += _version_findings(root, files, allow_other_version)
    asked: str | None = None
    if against_index:
        from releasekit.index.target import simple_url_of
        from releasekit.index_check import check_against_index
        from releasekit.redaction import redact_credentials

        settings_root = batches[0][0] if len(batches) == 1 else obj.root
        settings, destination = choose_destination(
            settings_root, repository, repository_url, index_url
        )
        if destination.note:
            obj.console.note(destination.note)
        simple, upload_url = simple_url_of(destination, settings.index_url, Path.home())
        if simple is None:
            simple = _found_simple_url(obj, upload_url, paths)
        asked = redact_credentials(simple)
        obj.console.step(f"Comparing with the files on {asked}")
        for _, files in batches:
            findings += check_against_index(files, simple)
    counts = summary_counts(findings)
    console = obj.console
    if as_json:

        def shown(path: Path) -> str:
            return str(path.relative_to(obj.root) if path.is_relative_to(obj.root) else path)

        extra: dict[str, object] = {"index": asked} if against_index else {}
        if chosen is not None:
            extra["packages"] = [
                {"name": each.name, "path": each.path, "files": [shown(p) for p in files]}
                for each, (_, files) in zip(chosen, batches, strict=True)
            ]
        print_json(console, envelope("check", findings, files=[shown(p) for p in paths], **extra))
    else:
        print_findings(console, findings)
        errors, warnings = counts["errors"], counts["warnings"]
        verdict = f"{errors} error(s), {warnings} warning(s) in {len(paths)} file(s)"
        if len(batches) > 1:
            verdict += f" of {len(batches)} packages"
        if asked is not None:
            verdict += f", compared with {asked}"
        console.print(console.style(verdict, "red" if errors else "green", "bold"))
        if errors:
            console.info("Next: fix the errors, rebuild (releasekit build) and check again.")
        else:
            selection = "" if chosen is None else " --all" if every else f" --package {package}"
            console.info(f"Next: releasekit publish{selection} --dry-run")
    return EXIT_FAILED if counts["errors"] else EXIT_OK


def _version_findings(root: Path, files: list[Path], allow_other_version: bool) -> list[Finding]:
    """The files' version against the project's, when ``root`` is a project at all.

    Outside a project there is nothing to compare, and the version machinery (git, tags,
    version sources) is not even imported.
    """
    from releasekit.project_root import PROJECT_FILES

    if not any((root / marker).is_file() for marker in PROJECT_FILES):
        return []
    stale = dist_version_problem(root, files)
    if stale is None or (allow_other_version and stale.code == "other-version"):
        return []
    return [stale]


def chosen_files(obj: Context, dists: tuple[str, ...]) -> list[Path]:
    """The files ``check`` or ``publish`` acts on; folders a glob matched are named for ``-v``."""
    return _files_of(obj, obj.root, dists)


def package_files(
    obj: Context, chosen: list[Package], dists: tuple[str, ...], every: bool
) -> list[tuple[Package, list[Path]]]:
    """Each chosen package's files: its dist/*, or with ``--package`` the DIST paths given.

    DIST paths are relative to where releasekit started, so they cannot be split among
    packages: with ``--all`` they are a usage error.
    """
    from releasekit.errors import UsageError

    if every and dists:
        raise UsageError(
            "DIST paths cannot be combined with --all: each package's files are its own dist/*",
            where=" ".join(dists),
            hint="drop the paths, or pass --package NAME with them",
        )
    batches: list[tuple[Package, list[Path]]] = []
    for each in chosen:
        try:
            batches.append((each, _files_of(obj, each.root, dists)))
        except UsageError as exc:
            if not dists:
                exc.where = "dist/*" if each.path == "." else f"{each.path}/dist/*"
                exc.hint = "build them first: releasekit build " + (
                    "--all" if every else f"--package {each.name}"
                )
            raise
    return batches


def _files_of(obj: Context, root: Path, dists: tuple[str, ...]) -> list[Path]:
    """The files at ``root`` (its dist/* by default); folders a glob matched named for ``-v``."""
    from releasekit.dists import select_dists

    selection = select_dists(root, dists, cwd=obj.cwd)
    for folder in selection.folders:
        shown = folder.relative_to(obj.root) if folder.is_relative_to(obj.root) else folder
        obj.console.detail(f"skipping {shown}/: a directory, not a distribution file")
    return selection.paths


def _found_simple_url(obj: Context, upload_url: str, paths: list[Path]) -> str:
    """The simple API found from the upload URL (docs/publish.md), or a one-line error (exit 2)."""
    from releasekit.dists import name_and_version
    from releasekit.errors import ConfigError
    from releasekit.index.discovery import discover
    from releasekit.redaction import redact_credentials

    parsed = next((p for p in map(name_and_version, (p.name for p in paths)) if p), None)
    found = discover(upload_url, parsed[0] if parsed else None)
    if found.url is None:
        raise ConfigError(
            f"cannot tell the simple API address of {redact_credentials(upload_url)}: "
            f"no simple API answered (tried {found.tried_text()})",
            hint="pass --index-url URL (or set index-url in [tool.releasekit], "
            "or RELEASEKIT_INDEX_URL)",
        )
    obj.console.detail(
        f"simple API {redact_credentials(found.url)}, found from the upload URL "
        f"({found.convention})"
    )
    return found.url
