"""``publish --package NAME`` / ``--all``: several packages' files in one run of ``publish``.

The library publishes one project's files as one batch: it checks them as one release (one
name, one version, one sdist), looks them up under that project's name on the index and holds
the sdist back until every wheel has landed. A monorepo's packages are therefore published one
after another, each as its own batch, with the same target and credentials, so that trusted
publishing mints its token once. Every package's files are checked before the first byte goes
out, so that a bad file in the last package cannot leave the first ones published alone; the
first package that does not publish fully stops the run, and the rest are reported as not sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from releasekit.cli import Context
    from releasekit.console import Console
    from releasekit.findings import Finding
    from releasekit.packages import Package
    from releasekit.publish import FileResult, PublishReport


def release_batches(
    obj: Context,
    dists: tuple[str, ...],
    chosen: list[Package] | None,
    every: bool,
    allow_other_version: bool,
) -> tuple[list[tuple[Package, list[Path]]], list[tuple[Path, list[Path]]]]:
    """The files to publish: per chosen package (empty without a selection), and in batches.

    Each batch is a project folder and its files, checked against that project's version
    before anything else and before any network use; files of another version stop the run
    unless ``allow_other_version``.
    """
    from releasekit.cli.check import chosen_files, package_files
    from releasekit.cli.common import dist_version_problem
    from releasekit.errors import ReleaseError
    from releasekit.project_root import PROJECT_FILES

    by_package = [] if chosen is None else package_files(obj, chosen, dists, every)
    batches = [(p.root, files) for p, files in by_package] or [(obj.root, chosen_files(obj, dists))]
    for root, files in batches:
        if not any((root / marker).is_file() for marker in PROJECT_FILES):
            continue  # no project to compare with; skips importing the version machinery
        stale = dist_version_problem(root, files)
        if stale is not None and stale.code == "other-version" and not allow_other_version:
            raise ReleaseError(stale.message, hint=stale.hint)
        if stale is not None and stale.code != "other-version":
            obj.console.warn(stale.message)
    return by_package, batches


def publish_batches(
    batches: Sequence[list[Path]], publish_one: Callable[[list[Path]], PublishReport]
) -> PublishReport:
    """Publish each batch in turn with ``publish_one``; one report for all of them.

    One batch is handed over as it is. With several, every file is checked first (a
    ``CheckFailed`` with every package's findings stops the run before anything is sent), and
    an interrupt reports the files of the batches already done as well as the current one.
    """
    from releasekit.publish import PublishInterrupted

    if len(batches) == 1:
        return publish_one(batches[0])
    _check_every_batch(batches)
    reports: list[PublishReport] = []
    for number, paths in enumerate(batches):
        try:
            report = publish_one(paths)
        except PublishInterrupted as stop:
            done = [result for earlier in reports for result in earlier.files]
            later = [path.name for rest in batches[number + 1 :] for path in rest]
            raise PublishInterrupted(
                landed=[r.file for r in done if r.status == "uploaded"] + stop.landed,
                in_flight=stop.in_flight,
                not_sent=stop.not_sent + later,
                skipped=[r.file for r in done if r.status == "skipped"] + stop.skipped,
                sending=stop.sending or any(r.status == "uploaded" for r in done),
                signum=stop.signum,
            ) from stop
        reports.append(report)
        if not report.ok:
            reports.append(_held_back(report, batches[number + 1 :]))
            break
    return _merged(reports)


def _check_every_batch(batches: Sequence[list[Path]]) -> None:
    """Check each batch as the library will; raise ``CheckFailed`` with all the findings."""
    from releasekit.check import check_files
    from releasekit.publish import CheckFailed

    findings: list[Finding] = []
    for paths in batches:
        findings += check_files(paths)
    if any(finding.severity == "error" for finding in findings):
        raise CheckFailed(findings)


def _held_back(failed: PublishReport, rest: Sequence[list[Path]]) -> PublishReport:
    """The files of the packages after a failed one, as not sent."""
    from releasekit.dists import file_digests, open_dists
    from releasekit.publish import FileResult, PublishReport

    results: list[FileResult] = []
    for paths in rest:
        for dist in open_dists(paths):
            sha256, blake2 = file_digests(dist.path)
            result = FileResult(dist, dist.path.stat().st_size, sha256, blake2)
            result.message = "not sent: an earlier package did not publish fully"
            results.append(result)
    return PublishReport(failed.repository, results, [], failed.dry_run, False)


def _merged(reports: list[PublishReport]) -> PublishReport:
    """One report of several batches, in order; verified when every upload was verified."""
    from releasekit.publish import PublishReport

    first = reports[0]
    uploading = [r for r in reports if any(f.status == "uploaded" for f in r.files)]
    merged = PublishReport(
        first.repository,
        [result for report in reports for result in report.files],
        [warning for report in reports for warning in report.warnings],
        first.dry_run,
        bool(uploading) and all(report.verified for report in uploading),
    )
    merged.simple_url = first.simple_url
    return merged


def packages_json(packages: Sequence[tuple[Package, list[Path]]]) -> list[dict[str, object]]:
    """The ``packages`` key of the --json report: each package and its files' names."""
    return [
        {"name": package.name, "path": package.path, "files": [path.name for path in paths]}
        for package, paths in packages
    ]


def print_packages(
    console: Console,
    packages: Sequence[tuple[Package, list[Path]]],
    results: Sequence[FileResult],
) -> None:
    """One line per package: its files, each with how it ended."""
    status = {result.file: result.status for result in results}
    for package, paths in packages:
        label = package.name if package.path == "." else f"{package.name} ({package.path})"
        files = ", ".join(f"{p.name} {status.get(p.name, 'not-attempted')}" for p in paths)
        console.print(f"  {label}: {files}")
