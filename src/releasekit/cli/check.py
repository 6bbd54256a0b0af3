"""``releasekit check``: every problem PyPI would reject, in all the files at once.

Exit 1 when any finding is an error, so CI can gate an upload on it; ``--json`` for tools.
"""

from __future__ import annotations

from pathlib import Path

import click

from releasekit.cli import Context
from releasekit.cli.common import (
    choose_destination,
    dist_version_problem,
    index_options,
    print_findings,
)
from releasekit.cli.json_report import envelope, print_json
from releasekit.errors import EXIT_FAILED, EXIT_OK


@click.command(
    epilog="""\b
Examples:
  releasekit check                     every file in the project's dist/
  releasekit check dist/*.whl          the wheels only (paths relative to this folder)
  releasekit check --against-index     also compare with the index's files"""
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
    as_json: bool,
) -> int:
    """Check distributions for everything PyPI would reject, all at once (default: dist/*)."""
    from releasekit.check import check_files, summary_counts

    paths = chosen_files(obj, dists)
    for path in paths:
        obj.console.detail(f"checking {path}")
    obj.console.detail(
        "checks: file names, metadata fields and versions, requirements, classifiers, "
        "size limits, README rendering, and the batch (one version, one sdist)"
    )
    findings = check_files(paths)
    stale = dist_version_problem(obj.root, paths)
    if stale is not None and not (allow_other_version and stale.code == "other-version"):
        findings.append(stale)
    asked: str | None = None
    if against_index:
        from releasekit.index.target import simple_url_of
        from releasekit.index_check import check_against_index
        from releasekit.redaction import redact_credentials

        settings, destination = choose_destination(obj.root, repository, repository_url, index_url)
        if destination.note:
            obj.console.note(destination.note)
        simple, upload_url = simple_url_of(destination, settings.index_url, Path.home())
        if simple is None:
            simple = _found_simple_url(obj, upload_url, paths)
        asked = redact_credentials(simple)
        obj.console.step(f"Comparing with the files on {asked}")
        findings += check_against_index(paths, simple)
    counts = summary_counts(findings)
    console = obj.console
    if as_json:
        shown = [p.relative_to(obj.root) if p.is_relative_to(obj.root) else p for p in paths]
        extra = {"index": asked} if against_index else {}
        print_json(console, envelope("check", findings, files=[str(p) for p in shown], **extra))
    else:
        print_findings(console, findings)
        errors, warnings = counts["errors"], counts["warnings"]
        verdict = f"{errors} error(s), {warnings} warning(s) in {len(paths)} file(s)"
        if asked is not None:
            verdict += f", compared with {asked}"
        console.print(console.style(verdict, "red" if errors else "green", "bold"))
        if errors:
            console.info("Next: fix the errors, rebuild (releasekit build) and check again.")
        else:
            console.info("Next: releasekit publish --dry-run")
    return EXIT_FAILED if counts["errors"] else EXIT_OK


def chosen_files(obj: Context, dists: tuple[str, ...]) -> list[Path]:
    """The files ``check`` or ``publish`` acts on; folders a glob matched are named for ``-v``."""
    from releasekit.dists import select_dists

    selection = select_dists(obj.root, dists, cwd=obj.cwd)
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
