"""``releasekit doctor``: audit the release setup and print each finding with its fix.

``--json`` always answers in JSON (docs/json.md), even when the audit cannot run.
"""

from __future__ import annotations

import click

from releasekit.cli import Context
from releasekit.cli.common import package_options
from releasekit.cli.json_report import envelope, print_json
from releasekit.errors import EXIT_FAILED, EXIT_OK


@click.command(
    epilog="""\b
Examples:
  releasekit doctor                    audit the project this folder is in
  releasekit doctor --json             the same, for tools
  releasekit -C ../other doctor        audit another project
  releasekit doctor --package backend  one package of a monorepo, and the jobs publishing it
  releasekit doctor --all              every package of a monorepo"""
)
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report.")
@package_options
@click.pass_obj
def doctor(obj: Context, as_json: bool, package: str | None, every: bool) -> int:
    """Audit the release setup: metadata, versions, changelog, git and publishing workflows."""
    from releasekit.doctor import doctor as run_doctor

    console = obj.console
    report = run_doctor(obj.root, reporter=console, package=package, every=every)
    if as_json:
        print_json(console, envelope("doctor", report.findings, **report.as_dict()))
        return EXIT_OK if report.ok else EXIT_FAILED
    colours = {"error": "red", "warning": "yellow", "info": "cyan"}
    for finding in report.findings:
        label = console.style(f"{finding.severity:<7}", colours[finding.severity], "bold")
        console.print(f"{label} {finding.code}  {finding.place}")
        console.print(f"        why: {finding.message}")
        console.print(f"        fix: {finding.hint}")
    errors, warnings = report.count("error"), report.count("warning")
    verdict = f"{errors} error(s), {warnings} warning(s), {report.count('info')} note(s)"
    if report.suppressed:
        verdict += f", {len(report.suppressed)} suppressed"
    console.print(console.style(verdict, "red" if errors else "green", "bold"))
    for publisher in report.publishers:
        console.print("")
        console.print(publisher.heading)
        for label, value in publisher.values:
            console.print(f"  {label + ':':<30} {value}")
    return EXIT_OK if report.ok else EXIT_FAILED
