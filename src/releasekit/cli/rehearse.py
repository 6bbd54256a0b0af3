"""``releasekit rehearse``: its options, live progress per step, and the closing table.

Progress goes to standard error; standard output carries the table, the findings and the real
release's commands (or, with ``--json``, only the JSON report, also when a step fails). A failed
step ends with the one-line error of the command that failed, rendered by ``main``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

from releasekit.cli import Context
from releasekit.cli.common import complete_bump, package_options, selected_packages
from releasekit.errors import EXIT_OK

if TYPE_CHECKING:
    from releasekit.console import Console
    from releasekit.rehearse import RehearsalReport, StepName, StepResult

_COLOURS = {"ok": "green", "warning": "yellow", "skipped": "cyan", "failed": "red"}


class _Progress:
    """Each step as it starts, and what happens inside it, on standard error."""

    def __init__(self, console: Console, total: int) -> None:
        self.console = console
        self.total = total
        self.number = 0

    def step_started(self, step: StepName, title: str) -> None:
        self.number += 1
        if not self.console.quiet:
            counter = self.console.style(f"[{self.number}/{self.total}]", "bold")
            self.console.err.write(f"{counter} {title}\n")
            self.console.err.flush()

    def step_finished(self, result: StepResult) -> None:
        if result.result == "failed":
            label = self.console.style("failed", "red", "bold")
            self.console.step(f"{label} after {result.seconds:.2f} s")

    def step(self, message: str) -> None:
        self.console.step(message)

    def warn(self, message: str) -> None:
        self.console.warn(message)

    def detail(self, message: str) -> None:
        self.console.detail(message)


def _print_report(console: Console, report: RehearsalReport) -> None:
    """The verdict, the table of steps, the findings, and the commands of the real release."""
    errors, warnings = report.count("error"), report.count("warning")
    subject = " ".join(str(part) for part in (report.name, report.version) if part) or "release"
    verdict = "passed" if report.ok else "failed"
    console.print(
        console.style(
            f"Rehearsal of {subject}: {verdict} ({errors} error(s), {warnings} warning(s))",
            "green" if report.ok else "red",
            "bold",
        )
    )
    console.print()
    width = max([len("step"), *(len(s.step) for s in report.steps)])
    console.print(f"{'step':<{width}}  {'result':<8} {'seconds':>8}  message")
    for step in report.steps:
        result = console.style(f"{step.result:<8}", _COLOURS[step.result])
        console.print(f"{step.step:<{width}}  {result} {step.seconds:>8.2f}  {step.message}")
    total = sum(step.seconds for step in report.steps)
    console.print(f"{'total':<{width}}  {'':<8} {total:>8.2f}")
    shown = [
        f
        for f in report.findings
        if f.severity in {"error", "warning"} and not f.code.endswith("-failed")
    ]
    if shown:
        console.print()
        for finding in shown:
            colour = "red" if finding.severity == "error" else "yellow"
            label = console.style(f"{finding.severity:<7}", colour, "bold")
            console.print(f"{label} {finding.code}  {finding.place}: {finding.message}")
    if report.kept:
        console.print()
        console.print("Kept for inspection (remove them when done):")
        for label, path in report.kept.items():
            console.print(f"  {label + ':':<10} {path}")
    if report.commands:
        console.print()
        console.print("The real release:")
        for command in report.commands:
            console.print(f"  {command}")


@click.command(
    epilog="""\b
Examples:
  releasekit rehearse                  rehearse a patch release
  releasekit rehearse minor --keep     a minor release; keep the clone, index files and venv
  releasekit rehearse --offline        install nothing from your index
  releasekit rehearse --package NAME   one package of a monorepo"""
)
@click.argument("spec", metavar="[BUMP|VERSION]", required=False, shell_complete=complete_bump)
@click.option("--keep", is_flag=True, help="Keep the clone, the index's files and the venv.")
@click.option(
    "--offline", is_flag=True, help="Do not install the release's dependencies from your index."
)
@package_options
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report.")
@click.pass_obj
def rehearse(
    obj: Context,
    spec: str | None,
    keep: bool,
    offline: bool,
    package: str | None,
    every: bool,
    as_json: bool,
) -> int:
    """Rehearse the whole release in a throwaway copy against a local index.

    Clones the repository at HEAD, prepares the release there (BUMP or VERSION, default patch),
    builds and checks it, publishes it to a local pypiserver, installs it into a fresh virtual
    environment, imports it, runs its console scripts with --help and runs doctor. Your
    repository, its remotes and every index stay untouched. In a monorepo the clone holds the
    whole repository and the rest is done for one package (--package NAME or -C its folder).
    """
    from releasekit.rehearse import DEFAULT_SPEC, TITLES, RehearseOptions
    from releasekit.rehearse import rehearse as run_rehearsal

    console = obj.console
    if every:
        from releasekit.errors import UsageError

        raise UsageError(
            "rehearse takes one package at a time, not --all",
            hint="run releasekit rehearse --package NAME for each package (or -C its folder)",
        )
    chosen = selected_packages(obj, package, every)
    root = obj.root if chosen is None else chosen[0].root
    options = RehearseOptions(
        spec=spec or DEFAULT_SPEC,
        keep=keep,
        offline=offline,
        package=None if chosen is None else chosen[0].name,
    )
    # A rehearsal that cannot start raises; with --json, main answers with the failure report.
    report = run_rehearsal(root, options, _Progress(console, len(TITLES)), env=os.environ)
    if as_json:
        from releasekit.cli.json_report import envelope, error_findings, print_json

        findings = list(report.findings)
        if report.failure is not None and not any(f.severity == "error" for f in findings):
            findings += error_findings(report.failure)
        print_json(console, envelope("rehearse", findings, **report.as_dict()))
    else:
        _print_report(console, report)
    if report.failure is not None:
        raise report.failure
    return EXIT_OK
