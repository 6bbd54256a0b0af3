"""``releasekit check``: every problem PyPI would reject, in all the files at once.

Exit 1 when any finding is an error, so CI can gate an upload on it; ``--json`` for tools.
"""

from __future__ import annotations

import os

import click

from releasekit.cli import Context
from releasekit.cli.common import distributions, print_findings
from releasekit.errors import EXIT_FAILED, EXIT_OK


@click.command()
@click.argument("dists", metavar="[DIST ...]", nargs=-1)
@click.option(
    "--against-index",
    is_flag=True,
    help="Also compare with the files the target index already has.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report.")
@click.pass_obj
def check(obj: Context, dists: tuple[str, ...], against_index: bool, as_json: bool) -> int:
    """Check distributions for everything PyPI would reject, all at once (default: dist/*)."""
    import json

    from releasekit.check import check_files, summary_counts

    paths = distributions(obj.root, dists)
    findings = check_files(paths)
    if against_index:
        from releasekit.config import load_settings
        from releasekit.index.target import simple_url_for
        from releasekit.index_check import check_against_index

        settings = load_settings(obj.root, os.environ)
        index_url = simple_url_for(settings.repository, settings.index_url)
        findings += check_against_index(paths, index_url)
    counts = summary_counts(findings)
    console = obj.console
    if as_json:
        report = {
            "files": [str(p) for p in paths],
            "findings": [f.as_dict() for f in findings],
            **counts,
        }
        console.print(json.dumps(report, indent=2))
    else:
        print_findings(console, findings)
        errors, warnings = counts["errors"], counts["warnings"]
        verdict = f"{errors} error(s), {warnings} warning(s) in {len(paths)} file(s)"
        console.print(console.style(verdict, "red" if errors else "green", "bold"))
    return EXIT_FAILED if counts["errors"] else EXIT_OK
