"""``releasekit publish``: its options, the progress reporters and the closing report.

Progress goes to standard error, as a bar per file on a terminal and as one line per event in CI
logs and pipes, so standard output carries only results (or the ``--json`` report).

Ctrl-C, and SIGTERM or SIGHUP (which ``releasekit.cli.main`` turns into interrupts), stop the
uploads in flight at once; the closing lines say which files landed, which may have landed and
the exact command that finishes the release.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar
from urllib.parse import urlsplit

import click

from releasekit.cli import Context, Interrupted
from releasekit.cli.common import (
    choose_destination,
    human_size,
    index_options,
    package_options,
    print_findings,
    selected_packages,
)
from releasekit.cli.json_report import envelope, failure_report, print_json
from releasekit.console import Console
from releasekit.errors import EXIT_FAILED, EXIT_OK, EXIT_SIGNALLED

if TYPE_CHECKING:
    from collections.abc import Callable

    from releasekit.config import Settings
    from releasekit.index.deadline import Timeouts
    from releasekit.index.oidc import TrustedLogin
    from releasekit.index.target import Target
    from releasekit.publish import FileResult, PublishInterrupted, PublishReport

F = TypeVar("F", bound="Callable[..., object]")

# Options of twine and uv that releasekit answers with what it uses instead (hidden from help).
_NO_SECRETS = (
    "releasekit takes no secrets on the command line; set RELEASEKIT_TOKEN (or "
    "RELEASEKIT_USERNAME and RELEASEKIT_PASSWORD), use ~/.pypirc or keyring, or publish from CI "
    "with trusted publishing"
)
_ARRIVALS = {
    ("--token", "-t"): _NO_SECRETS,
    ("--username", "-u"): _NO_SECRETS,
    ("--password", "-p"): _NO_SECRETS,
    ("--publish-url",): "releasekit calls uv's --publish-url --repository-url; "
    "pass --repository-url URL (the legacy upload URL)",
    ("--check-url",): "releasekit calls uv's --check-url --index-url; pass --index-url URL "
    "(the simple API), or set index-url in [tool.releasekit]",
}


def _refuse(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """An option of twine or uv was given: say what releasekit uses instead (exit 2)."""
    from releasekit.errors import UsageError

    if value is not None:
        names = next(n for n in _ARRIVALS if param.opts[0] in n)
        raise UsageError(_ARRIVALS[names], where=param.opts[0])


def arrivals_from_twine_and_uv(command: F) -> F:
    """Hidden options for twine's and uv's flags, each answered with releasekit's way."""
    for names in _ARRIVALS:
        command = click.option(
            *names,
            hidden=True,
            expose_value=False,
            is_eager=True,
            callback=_refuse,
            metavar="VALUE",
        )(command)
    return command


class _PublishLines:
    """Publish progress as one line per event: for CI logs and pipes."""

    def __init__(self, console: Console, *, results_to_err: bool) -> None:
        self.console = console
        self._line = console.step if results_to_err else console.print
        self.warnings: list[str] = []  # every warning shown, for the --json report

    def __enter__(self) -> _PublishLines:
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Lines need no cleaning up; bars do."""

    def step(self, message: str) -> None:
        self.console.step(message)

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        self.console.warn(message)

    def detail(self, message: str) -> None:
        self.console.detail(message)

    def started(self, result: FileResult) -> None:
        self.console.detail(f"uploading {result.file} ({human_size(result.size)})")

    def progress(self, result: FileResult, sent: int) -> None:
        """Lines carry no progress; the finished line says how long it took."""

    def retrying(self, result: FileResult, attempt: int, delay: float, reason: str) -> None:
        self.warn(f"{result.file}: attempt {attempt} failed ({reason}); retrying in {delay:.1f} s")

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

    def waiting(self, pending: int, elapsed: float, timeout: float) -> None:
        self.console.detail(
            f"waiting for the index to serve {pending} file(s), {elapsed:.0f} s of {timeout:g} s"
        )

    def verified(self, result: FileResult) -> None:
        if result.status == "failed":
            self._line(f"{self.console.style('failed', 'red')} {result.file}: {result.message}")
        else:
            self.console.step(f"verified {result.file}")


class _BinarySpeed:
    """Transfer speed in binary units (MiB/s), as every size releasekit prints."""

    @staticmethod
    def render(speed: float | None) -> str:
        if not speed:
            return "?"
        return human_size(int(speed)) + "/s"


class _PublishBars(_PublishLines):
    """Publish progress for a terminal: a bar per file in flight, one for the whole batch.

    Sizes are binary (KiB, MiB) like every other line; the file name column gives way first, so
    that a bar fits an 80-column terminal on one line.
    """

    def __init__(self, console: Console) -> None:
        super().__init__(console, results_to_err=False)
        from rich.console import Console as RichConsole
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            ProgressColumn,
            SpinnerColumn,
            Task,
            TaskID,
            TextColumn,
        )
        from rich.table import Column
        from rich.text import Text

        class SpeedColumn(ProgressColumn):
            def render(self, task: Task) -> Text:
                return Text(_BinarySpeed.render(task.finished_speed or task.speed))

        self._progress = Progress(
            SpinnerColumn(table_column=Column(no_wrap=True, width=1)),
            TextColumn(
                "{task.description}",
                table_column=Column(no_wrap=True, overflow="ellipsis", ratio=3, min_width=12),
            ),
            BarColumn(bar_width=None, table_column=Column(ratio=1, min_width=5)),
            DownloadColumn(binary_units=True, table_column=Column(no_wrap=True)),
            SpeedColumn(table_column=Column(no_wrap=True, min_width=10)),
            # Through the masked stream, like every other line releasekit writes.
            console=RichConsole(file=console.err, no_color=not console.color),  # type: ignore[arg-type]
            transient=True,
            expand=True,
        )
        self._tasks: dict[str, TaskID] = {}
        self._sent: dict[str, int] = {}
        self._overall: TaskID | None = None
        self._files = (0, 0)  # done, total
        self._waiting: TaskID | None = None

    def _above(self, text: str) -> None:
        """A line printed above the bars (writing around rich would tear them)."""
        self._progress.console.print(text, markup=False, highlight=False)

    def step(self, message: str) -> None:
        self._above(self.console.style("  -> ", "cyan") + message)

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        self._above(self.console.style("warning: ", "yellow", "bold") + message)

    def __enter__(self) -> _PublishBars:
        self._progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._progress.stop()

    def batch(self, files: int, size: int) -> None:
        """The whole upload: ``files`` files of ``size`` bytes in all."""
        self._files = (0, files)
        self._overall = self._progress.add_task(self._overall_text(), total=size)

    def _overall_text(self) -> str:
        done, total = self._files
        return f"all: {done}/{total} files"

    def started(self, result: FileResult) -> None:
        self._tasks[result.file] = self._progress.add_task(result.file, total=result.size)

    def progress(self, result: FileResult, sent: int) -> None:
        self._progress.update(self._tasks[result.file], completed=sent)
        self._sent[result.file] = sent
        if self._overall is not None:
            self._progress.update(self._overall, completed=sum(self._sent.values()))

    def finished(self, result: FileResult) -> None:
        task = self._tasks.pop(result.file, None)
        if task is not None:
            self._progress.remove_task(task)
        if self._overall is not None:
            done, total = self._files
            self._files = (done + 1, total)
            self._sent[result.file] = result.size
            self._progress.update(
                self._overall,
                completed=sum(self._sent.values()),
                description=self._overall_text(),
            )
        if result.status == "uploaded":
            uploaded = self.console.style("uploaded", "green")
            line = f"{uploaded} {result.file} ({human_size(result.size)})"
        else:
            line = f"{self.console.style('failed', 'red')} {result.file}: {result.message}"
        self._above(line)

    def waiting(self, pending: int, elapsed: float, timeout: float) -> None:
        text = f"waiting for {pending} file(s) on the index, {elapsed:.0f} s of {timeout:g} s"
        if self._waiting is None:
            # The transfer bars are done: a spinner and a line of text take their place.
            from rich.progress import Progress, SpinnerColumn, TextColumn

            self._progress.stop()
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                console=self._progress.console,
                transient=True,
            )
            self._progress.start()
            self._waiting = self._progress.add_task(text, total=None)
        else:
            self._progress.update(self._waiting, description=text)

    def verified(self, result: FileResult) -> None:
        if result.status == "failed":
            self._above(f"{self.console.style('failed', 'red')} {result.file}: {result.message}")
        else:
            self._above(f"{self.console.style('verified', 'green')} {result.file}")


def _print_publish(console: Console, report: PublishReport) -> None:
    """The closing lines of a publish: skipped files, what did not make it, and the verdict.

    A failure's message was shown when it happened; the summary names the file only.
    """
    skipped_all = report.files and all(r.status == "skipped" for r in report.files)
    for result in report.files:
        if result.status == "skipped" and not skipped_all:
            console.print(f"{console.style('skipped', 'cyan')} {result.file}: {result.message}")
        elif result.status == "would-upload":
            console.print(f"would upload {result.file} ({human_size(result.size)})")
    uploaded, skipped = report.count("uploaded"), report.count("skipped")
    if report.dry_run:
        verdict = f"Dry run: {report.count('would-upload')} file(s) would be uploaded"
        console.print(console.style(f"{verdict}, {skipped} skipped; nothing was sent.", "bold"))
        return
    if skipped_all:
        verdict = f"Nothing to upload: all {skipped} file(s) are already on {report.repository}."
        console.print(console.style(verdict, "green", "bold"))
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
            f"{len(missing)} of {len(report.files)} file(s) are not on the index as they should "
            f"be ({uploaded} uploaded, {skipped} skipped):",
            "red",
            "bold",
        )
    )
    for result in missing:
        colour = "red" if result.status == "failed" else "yellow"
        shown_above = result.status == "failed"
        message = "" if shown_above else f": {result.message}"
        console.print(f"  {console.style(result.status, colour)} {result.file}{message}")
    if uploaded or skipped:
        console.print(
            "Fix the cause, then complete the release: releasekit publish --skip-existing"
        )


def _json_report(report: PublishReport, warnings: list[str]) -> dict[str, object]:
    """The --json report (docs/json.md): a file that did not make it is an error finding."""
    from releasekit.findings import Finding

    findings = [
        *report.warnings,
        *(Finding("", "warning", "publish-warning", message) for message in warnings),
        *(
            Finding(r.file, "error", f"upload-{r.status}", r.message or r.status)
            for r in report.files
            if r.status not in {"uploaded", "skipped", "would-upload"}
        ),
    ]
    return envelope(
        "publish",
        findings,
        repository=report.repository,
        dry_run=report.dry_run,
        verified=report.verified,
        files=[result.as_dict() for result in report.files],
    )


@click.command(
    epilog="""\b
Examples:
  releasekit publish -n                check and look everything up; upload nothing
  releasekit publish -r testpypi       to TestPyPI
  releasekit publish --skip-existing   complete a release that stopped halfway
  releasekit publish dist/*.whl        only the wheels (paths relative to this folder)
  releasekit publish --all             every package of a monorepo, each from its dist/

\b
Credentials, first found wins (never on the command line):
  1. RELEASEKIT_TOKEN (sent as username __token__)
  2. RELEASEKIT_USERNAME and RELEASEKIT_PASSWORD
  3. uv's UV_PUBLISH_TOKEN, UV_PUBLISH_USERNAME/UV_PUBLISH_PASSWORD, then
     twine's TWINE_USERNAME/TWINE_PASSWORD (with a note)
  4. the repository's section in ~/.pypirc
  5. keyring, if installed
  6. trusted publishing, in CI (see --trusted-publishing)

\b
Settings without a flag [env: RELEASEKIT_<NAME>]: verify-timeout,
connect-timeout, read-timeout, request-timeout, min-upload-speed,
upload-attempts (docs/configuration.md)."""
)
@click.argument("dists", metavar="[DIST ...]", nargs=-1)
@index_options
@arrivals_from_twine_and_uv
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
@click.option(
    "--attestations",
    is_flag=True,
    help="Send each file's PEP 740 <file>.publish.attestation (made in CI when missing).",
)
@click.option("--no-verify", is_flag=True, help="Do not confirm the files on the index afterwards.")
@click.option("--dry-run", "-n", is_flag=True, help="Check and look up everything; upload nothing.")
@click.option(
    "--allow-other-version",
    is_flag=True,
    help="Publish files whose version is not the project's (they are refused otherwise).",
)
@package_options
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report.")
@click.pass_obj
def publish(
    obj: Context,
    dists: tuple[str, ...],
    repository: str | None,
    repository_url: str | None,
    index_url: str | None,
    skip_existing: bool,
    jobs: int,
    trusted_publishing: Literal["auto", "always", "never"],
    attestations: bool,
    no_verify: bool,
    dry_run: bool,
    allow_other_version: bool,
    package: str | None,
    every: bool,
    as_json: bool,
) -> int:
    """Upload distributions (default: dist/*): checked first, wheels in parallel, sdist last."""
    from releasekit.cli.package_publish import (
        packages_json,
        print_packages,
        publish_batches,
        release_batches,
    )
    from releasekit.index.oidc import ambient_identity, wanted
    from releasekit.index.target import resolve_target
    from releasekit.publish import CheckFailed, PublishInterrupted, PublishOptions
    from releasekit.publish import publish as publish_files
    from releasekit.records import replace

    by_package, batches = release_batches(
        obj, dists, selected_packages(obj, package, every), every, allow_other_version
    )
    paths = [path for _, files in batches for path in files]
    settings_root = batches[0][0] if len(batches) == 1 else obj.root
    settings, destination = choose_destination(settings_root, repository, repository_url, index_url)
    target = resolve_target(
        repository=destination.repository,
        repository_url=destination.repository_url,
        index_url=settings.index_url,
        env=os.environ,
        home=Path.home(),
        url_source=destination.source,
        notes=(destination.note,) if destination.note else (),
    )
    for note in target.notes:
        obj.console.note(note)
    login = None
    if wanted(trusted_publishing, target, os.environ):
        obj.console.step("Minting an upload token with trusted publishing")
        login = _trusted_login(obj, target, paths)
        target = replace(target, credentials=login.credentials())
    _describe_target(obj, target)
    options = PublishOptions(
        skip_existing=skip_existing,
        jobs=jobs,
        verify=not no_verify,
        verify_timeout=settings.verify_timeout,
        dry_run=dry_run,
        attestations=attestations,
        timeouts=_timeouts(settings),
        upload_attempts=settings.upload_attempts,
    )
    console = obj.console
    bars = not as_json and not console.quiet and sys.stderr.isatty() and not obj.verbose
    reporter = _PublishBars(console) if bars else _PublishLines(console, results_to_err=as_json)
    identity = _remembered(ambient_identity, _secret_keeper(obj))
    try:
        with reporter:
            report = publish_batches(
                [files for _, files in batches],
                lambda files: publish_files(
                    files,
                    target,
                    options,
                    reporter,
                    masker=obj.masker,
                    identity=identity,
                    login=login,
                ),
            )
    except CheckFailed as failure:
        if as_json:
            repository = obj.masker(target.upload_url)
            print_json(console, failure_report("publish", failure, repository=repository))
        else:
            print_findings(console, failure.findings)
        raise
    except PublishInterrupted as stop:
        raise _interrupted(console, stop) from stop
    for finding in report.warnings:
        console.warn(f"{finding.file}: {finding.message}")
    if as_json:
        extra = {"packages": packages_json(by_package)} if by_package else {}
        print_json(console, {**_json_report(report, reporter.warnings), **extra})
    else:
        if dry_run:
            console.print(_dry_run_destination(report, target))
        if by_package:
            print_packages(console, by_package, report.files)
        _print_publish(console, report)
        _next_step(console, report, target)
    return EXIT_OK if report.ok else EXIT_FAILED


def _timeouts(settings: Settings) -> Timeouts:
    """The limits on requests to the index, from the settings."""
    from releasekit.index.deadline import KIB, Timeouts

    return Timeouts(
        connect=settings.connect_timeout,
        read=settings.read_timeout,
        request=settings.request_timeout,
        min_upload_speed=settings.min_upload_speed * KIB,
    )


def finishing_command(args: list[str]) -> str:
    """The command line that completes an interrupted publish: the same, with --skip-existing."""
    words = list(args)
    if "--skip-existing" not in words:
        position = next((i for i, w in enumerate(words) if w == "publish"), len(words) - 1)
        words.insert(position + 1, "--skip-existing")
    return shlex.join(["releasekit", *words])


def _interrupted(console: Console, stop: PublishInterrupted) -> Interrupted:
    """List what an interrupt left, file by file, and the one line that says how to finish.

    The exit code is 128 + the signal, as for every command: 130 for Ctrl-C, 143 for SIGTERM.
    """
    if not stop.sending:
        error = Interrupted(stop.message, hint="nothing to undo; run the command again")
    else:
        _list_files(console, stop)
        error = Interrupted(
            stop.message,
            hint=f"files that landed stay on the index; finish the release with: "
            f"{finishing_command(sys.argv[1:])}",
        )
    if stop.signum is not None:
        error.exit_code = EXIT_SIGNALLED + stop.signum
    return error


def _list_files(console: Console, stop: PublishInterrupted) -> None:
    """Each file's fate, on standard error, before the error line."""
    for label, files in (
        ("landed", stop.landed),
        ("may have landed (in flight)", stop.in_flight),
        ("not sent", stop.not_sent),
    ):
        for name in files:
            console.err.write(f"  {label}: {name}\n")


def _describe_target(obj: Context, target: Target) -> None:
    """Mask the target's secrets, and say for ``-v`` where the files go and as whom."""
    from releasekit.redaction import redact_credentials

    if target.credentials is not None:
        obj.masker.add(target.credentials.secrets())
        unused = f" (also set, not used: {', '.join(target.unused)})" if target.unused else ""
        obj.console.detail(f"credentials from {target.credentials.source}{unused}")
    obj.console.detail(
        f"target {target.name}: upload to {redact_credentials(target.upload_url)}; "
        + (
            f"simple index {redact_credentials(target.simple_url)}"
            if target.simple_url
            else "simple index to be found from the upload URL (or pass --index-url)"
        )
    )


def _trusted_login(obj: Context, target: Target, paths: list[Path]) -> TrustedLogin:
    """The trusted-publishing login for ``target``; its tokens are masked as they appear."""
    from releasekit.dists import name_and_version
    from releasekit.index.oidc import TrustedLogin, ambient_identity
    from releasekit.records import replace

    parsed = name_and_version(paths[0].name) if paths else None
    return TrustedLogin(
        replace(target, credentials=None),
        identity=ambient_identity,
        remember=_secret_keeper(obj),
        project=parsed[0] if parsed else None,
    )


def _secret_keeper(obj: Context) -> Callable[[str], None]:
    """Where the library reports a new secret: the masker, and on GitHub Actions the runner.

    ``::add-mask::`` goes out once per secret, before the secret is used, so that the runner
    hides it in every later line of the log, including lines other programs write.
    """
    announced: set[str] = set()

    def keep(secret: str) -> None:
        obj.masker.add((secret,))
        if os.environ.get("GITHUB_ACTIONS") == "true" and secret not in announced:
            announced.add(secret)
            obj.console.add_mask(secret)

    return keep


def _remembered(
    identity: Callable[[str], str | None], remember: Callable[[str], None]
) -> Callable[[str], str | None]:
    """``identity``, with every token it gives masked (and on Actions announced) before use."""

    def give(audience: str) -> str | None:
        token = identity(audience)
        if token is not None:
            remember(token)
        return token

    return give


def _dry_run_destination(report: PublishReport, target: Target) -> str:
    """Where a dry run would have sent the files, and as whom (never the secret)."""
    todo = [r for r in report.files if r.status == "would-upload"]
    size = human_size(sum(r.size for r in todo))
    credentials = target.credentials
    who = (
        f"as {credentials.username} ({credentials.source})"
        if credentials is not None
        else "without credentials"
    )
    return f"Would upload {len(todo)} file(s) ({size}) to {report.repository} {who}."


def _next_step(console: Console, report: PublishReport, target: Target) -> None:
    """What to do or look at next: the release's page, or the command that completes it."""
    from releasekit.dists import name_and_version
    from releasekit.redaction import redact_credentials

    if report.dry_run:
        if report.ok:
            console.info("Next: run the same command without --dry-run to upload.")
        return
    if not report.ok:
        return
    parsed = name_and_version(report.files[0].file) if report.files else None
    if parsed is None:
        return
    name, version = parsed
    host = urlsplit(target.upload_url).hostname
    pages = {"upload.pypi.org": "https://pypi.org", "test.pypi.org": "https://test.pypi.org"}
    if host in pages:
        console.info(f"View at: {pages[host]}/project/{name}/{version}/")
    elif report.simple_url:
        console.info(f"View at: {redact_credentials(report.simple_url)}{name}/")
