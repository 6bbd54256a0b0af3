"""``releasekit publish``: its options, the progress reporters and the closing report.

Progress goes to standard error, as a bar per file on a terminal and as one line per event in CI
logs and pipes, so standard output carries only results (or the ``--json`` report).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import click

from releasekit.cli import Context
from releasekit.cli.common import distributions, human_size, print_findings
from releasekit.console import Console
from releasekit.errors import EXIT_FAILED, EXIT_OK

if TYPE_CHECKING:
    from releasekit.publish import FileResult, PublishReport


class _PublishLines:
    """Publish progress as one line per event: for CI logs and pipes."""

    def __init__(self, console: Console, *, results_to_err: bool) -> None:
        self.console = console
        self._line = console.step if results_to_err else console.print

    def __enter__(self) -> _PublishLines:
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Lines need no cleaning up; bars do."""

    def step(self, message: str) -> None:
        self.console.step(message)

    def warn(self, message: str) -> None:
        self.console.warn(message)

    def detail(self, message: str) -> None:
        self.console.detail(message)

    def started(self, result: FileResult) -> None:
        self.console.detail(f"uploading {result.file} ({human_size(result.size)})")

    def progress(self, result: FileResult, sent: int) -> None:
        """Lines carry no progress; the finished line says how long it took."""

    def retrying(self, result: FileResult, attempt: int, delay: float, reason: str) -> None:
        self.console.warn(
            f"{result.file}: attempt {attempt} failed ({reason}); retrying in {delay:.1f} s"
        )

    def finished(self, result: FileResult) -> None:
        console = self.console
        if result.status == "uploaded":
            note = f"; {result.message}" if result.message else ""
            self._line(
                f"{console.style('uploaded', 'green')} {result.file} "
                f"({human_size(result.size)} in {result.seconds:.2f} s{note})"
            )
        else:
            self._line(f"{console.style('failed', 'red')} {result.file}: {result.message}")


class _PublishBars(_PublishLines):
    """Publish progress as a bar per file, for a terminal."""

    def __init__(self, console: Console) -> None:
        super().__init__(console, results_to_err=False)
        from rich.console import Console as RichConsole
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TaskID,
            TextColumn,
            TransferSpeedColumn,
        )

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            # Through the masked stream, like every other line releasekit writes.
            console=RichConsole(file=console.err, no_color=not console.color),  # type: ignore[arg-type]
            transient=True,
        )
        self._tasks: dict[str, TaskID] = {}

    def _above(self, text: str) -> None:
        """A line printed above the bars (writing around rich would tear them)."""
        self._progress.console.print(text, markup=False, highlight=False)

    def step(self, message: str) -> None:
        self._above(self.console.style("  -> ", "cyan") + message)

    def warn(self, message: str) -> None:
        self._above(self.console.style("warning: ", "yellow", "bold") + message)

    def __enter__(self) -> _PublishBars:
        self._progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._progress.stop()

    def started(self, result: FileResult) -> None:
        self._tasks[result.file] = self._progress.add_task(result.file, total=result.size)

    def progress(self, result: FileResult, sent: int) -> None:
        self._progress.update(self._tasks[result.file], completed=sent)

    def finished(self, result: FileResult) -> None:
        task = self._tasks.pop(result.file, None)
        if task is not None:
            self._progress.remove_task(task)
        if result.status == "uploaded":
            uploaded = self.console.style("uploaded", "green")
            line = f"{uploaded} {result.file} ({human_size(result.size)})"
        else:
            line = f"{self.console.style('failed', 'red')} {result.file}: {result.message}"
        self._above(line)


def _print_publish(console: Console, report: PublishReport) -> None:
    """The closing lines of a publish: skipped files, what did not make it, and the verdict."""
    for result in report.files:
        if result.status == "skipped":
            console.print(f"{console.style('skipped', 'cyan')} {result.file}: {result.message}")
        elif result.status == "would-upload":
            console.print(f"would upload {result.file} ({human_size(result.size)})")
    uploaded, skipped = report.count("uploaded"), report.count("skipped")
    if report.dry_run:
        verdict = f"Dry run: {report.count('would-upload')} file(s) would be uploaded"
        console.print(console.style(f"{verdict}, {skipped} skipped; nothing was sent.", "bold"))
        return
    if report.ok:
        verified = " and verified" if report.verified else ""
        verdict = (
            f"Published to {report.repository}: {uploaded} uploaded{verified}, {skipped} skipped."
        )
        console.print(console.style(verdict, "green", "bold"))
        return
    missing = [r for r in report.files if r.status not in {"uploaded", "skipped"}]
    console.print(
        console.style(
            f"{len(missing)} of {len(report.files)} file(s) did not make it "
            f"({uploaded} uploaded, {skipped} skipped):",
            "red",
            "bold",
        )
    )
    for result in missing:
        colour = "red" if result.status == "failed" else "yellow"
        console.print(f"  {console.style(result.status, colour)} {result.file}: {result.message}")
    if uploaded or skipped:
        console.print(
            "Fix the cause, then complete the release: releasekit publish --skip-existing"
        )


@click.command()
@click.argument("dists", metavar="[DIST ...]", nargs=-1)
@click.option("--repository", "-r", metavar="NAME", help="pypi, testpypi or a ~/.pypirc name.")
@click.option("--repository-url", metavar="URL", help="A legacy upload API URL.")
@click.option(
    "--skip-existing", is_flag=True, help="Skip files the index has, identical by sha256."
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(1, 32),
    default=4,
    show_default=True,
    help="Wheels uploaded at once.",
)
@click.option(
    "--trusted-publishing",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Mint a short-lived token from the CI identity (auto: in CI, without credentials).",
)
@click.option("--no-verify", is_flag=True, help="Do not confirm the files on the index afterwards.")
@click.option("--dry-run", is_flag=True, help="Check and look up everything; upload nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report.")
@click.pass_obj
def publish(
    obj: Context,
    dists: tuple[str, ...],
    repository: str | None,
    repository_url: str | None,
    skip_existing: bool,
    jobs: int,
    trusted_publishing: Literal["auto", "always", "never"],
    no_verify: bool,
    dry_run: bool,
    as_json: bool,
) -> int:
    """Upload distributions (default: dist/*): checked first, wheels in parallel, sdist last."""
    import json
    from dataclasses import replace

    from releasekit.config import load_settings
    from releasekit.index.oidc import ambient_identity, exchange, wanted
    from releasekit.index.target import resolve_target
    from releasekit.publish import CheckFailed, PublishOptions
    from releasekit.publish import publish as publish_files

    paths = distributions(obj.root, dists)
    settings = load_settings(obj.root, os.environ, flags={"repository": repository})
    target = resolve_target(
        repository=settings.repository,
        repository_url=repository_url,
        index_url=settings.index_url,
        env=os.environ,
        home=Path.home(),
    )
    if wanted(trusted_publishing, target, os.environ):
        obj.console.step("Minting an upload token with trusted publishing")
        target = exchange(
            replace(target, credentials=None),
            identity=ambient_identity,
            remember=lambda secret: obj.masker.add((secret,)),
        )
    if target.credentials is not None:
        obj.masker.add(target.credentials.secrets())
        obj.console.detail(f"credentials from {target.credentials.source}")
    options = PublishOptions(
        skip_existing=skip_existing,
        jobs=jobs,
        verify=not no_verify,
        verify_timeout=settings.verify_timeout,
        dry_run=dry_run,
    )
    console = obj.console
    bars = not as_json and not console.quiet and sys.stderr.isatty() and not obj.verbose
    reporter = _PublishBars(console) if bars else _PublishLines(console, results_to_err=as_json)
    try:
        with reporter:
            report = publish_files(paths, target, options, reporter, masker=obj.masker)
    except CheckFailed as failure:
        if as_json:
            console.print(
                json.dumps(
                    {"ok": False, "findings": [f.as_dict() for f in failure.findings]}, indent=2
                )
            )
        else:
            print_findings(console, failure.findings)
        raise
    for finding in report.warnings:
        console.warn(f"{finding.file}: {finding.message}")
    if as_json:
        console.print(json.dumps(report.as_dict(), indent=2))
    else:
        _print_publish(console, report)
    return EXIT_OK if report.ok else EXIT_FAILED
