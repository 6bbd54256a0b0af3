"""The command line: parse arguments, call the library, render results and errors, exit.

This is the only module that prints, prompts, reads ``sys.argv`` or exits. Library modules are
imported inside the commands that need them, so ``--version`` and ``--help`` stay fast.
Exit codes: 0 success, 1 the operation failed, 2 usage/configuration/input error, 130 interrupted.
"""

from __future__ import annotations

import datetime
import os
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NoReturn

import click

from releasekit import __version__
from releasekit.console import Console, MaskedStream, wants_color
from releasekit.errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    Aborted,
    PreflightError,
    ReleaseError,
    UsageError,
)
from releasekit.redaction import SecretMasker

if TYPE_CHECKING:
    from releasekit.findings import Finding
    from releasekit.prepare import ReleasePlan
    from releasekit.publish import FileResult, PublishReport


@dataclass(frozen=True)
class Context:
    """What every command gets from the global options."""

    root: Path
    console: Console
    verbose: int
    masker: SecretMasker


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    __version__, "--version", prog_name="releasekit", message="%(prog)s %(version)s"
)
@click.option(
    "-C",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(),
    help="Run as if started in DIR.",
)
@click.option("-v", "--verbose", count=True, help="More detail; -v shows tracebacks on errors.")
@click.option("-q", "--quiet", is_flag=True, help="Only results and errors.")
@click.option("--no-color", is_flag=True, help="No colour, whatever the terminal.")
@click.pass_context
def cli(ctx: click.Context, directory: Path, verbose: int, quiet: bool, no_color: bool) -> None:
    """Cut, check, publish and rehearse Python package releases safely."""
    if not directory.is_dir():
        raise UsageError("no such directory", where=str(directory), hint="check the -C argument")
    masker = ctx.obj if isinstance(ctx.obj, SecretMasker) else SecretMasker()
    console = Console(
        out=MaskedStream(sys.stdout, masker),
        err=MaskedStream(sys.stderr, masker),
        color=wants_color(sys.stdout, os.environ, disabled=no_color),
        quiet=quiet,
        verbose=verbose,
    )
    ctx.obj = Context(root=directory.resolve(), console=console, verbose=verbose, masker=masker)


def _release_date(value: str | None) -> str:
    """``--date`` as ISO text, or today's local date."""
    if value is None:
        return datetime.date.today().isoformat()
    try:
        return datetime.date.fromisoformat(value).isoformat()
    except ValueError as exc:
        raise UsageError(f"--date {value!r} is not a date", hint="write it as YYYY-MM-DD") from exc


@cli.command()
@click.argument("spec", metavar="[BUMP|VERSION]", required=False)
@click.option("--dry-run", is_flag=True, help="Show the plan and stop; change nothing.")
@click.option("--yes", "-y", is_flag=True, help="Apply without asking for confirmation.")
@click.option("--push", is_flag=True, help="Push the branch and tag atomically afterwards.")
@click.option("--sign", is_flag=True, help="Create a signed tag (git tag -s).")
@click.option("--no-commit", is_flag=True, help="Only rewrite the files (implies --no-tag).")
@click.option("--no-tag", is_flag=True, help="Commit, but do not tag.")
@click.option("--allow-dirty", is_flag=True, help="Allow uncommitted changes in tracked files.")
@click.option(
    "--allow-empty-changelog", is_flag=True, help="Release with an empty Unreleased section."
)
@click.option("--no-changelog", is_flag=True, help="Release without touching any changelog.")
@click.option("--date", "date", metavar="YYYY-MM-DD", help="The release date (default: today).")
@click.pass_obj
def prepare(
    obj: Context,
    spec: str | None,
    dry_run: bool,
    yes: bool,
    push: bool,
    sign: bool,
    no_commit: bool,
    no_tag: bool,
    allow_dirty: bool,
    allow_empty_changelog: bool,
    no_changelog: bool,
    date: str | None,
) -> None:
    """Bump the version everywhere, roll the changelog, commit and tag, atomically.

    BUMP is major, minor, patch, alpha, beta, rc, post, dev or release, or a chain such as
    minor,rc. VERSION is any PEP 440 version higher than the current one.
    """
    from releasekit.prepare import PrepareOptions, apply_release, plan_release

    if spec is None:
        raise UsageError(
            "prepare needs a BUMP or a VERSION",
            hint="for example: releasekit prepare minor, or releasekit prepare 2.0.0",
        )
    options = PrepareOptions(
        spec=spec,
        date=_release_date(date),
        commit=not no_commit,
        tag=not no_tag,
        push=push,
        sign=sign,
        allow_dirty=allow_dirty,
        allow_empty_changelog=allow_empty_changelog,
        changelog=not no_changelog,
        dry_run=dry_run,
    )
    console = obj.console
    plan = plan_release(obj.root, options, env=os.environ)
    _show_plan(console, plan)
    if dry_run:
        console.print(console.style("Dry run: nothing was changed.", "bold"))
        return
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError(
                "confirmation needed, but standard input is not a terminal",
                hint="pass --yes to apply without asking",
            )
        if not click.confirm("Apply this plan?", default=False, err=True):
            raise Aborted("declined at the prompt; nothing was changed")
    apply_release(plan, console)
    _show_next_steps(console, plan)


def _show_plan(console: Console, plan: ReleasePlan) -> None:
    """Every file change as a diff, then the commit, tag and push."""
    console.info(console.style(f"Release {plan.current} -> {plan.new}", "bold"))
    console.info(f"Version sources: {', '.join(plan.sources)}")
    for warning in plan.warnings:
        console.warn(warning)
    console.info()
    for write in plan.writes:
        console.diff(write.diff())
    for diff in plan.other_diffs:
        console.diff(diff)
    console.info()
    console.info(console.style("Plan:", "bold"))
    for number, action in enumerate(plan.actions, start=1):
        console.info(f"  {number}. {action.describe()}")


def _web_root(plan: ReleasePlan) -> tuple[str, str] | None:
    """The GitHub or GitLab web address of the remote, if it is one."""
    from releasekit.changelog import web_base

    return web_base(plan.remote_url)


def _show_next_steps(console: Console, plan: ReleasePlan) -> None:
    """What the maintainer does next: push, create the release, watch the workflow."""
    if plan.commit_message is None:
        console.print(f"Updated {len(plan.writes)} file(s) to {plan.new}; review and commit them.")
        return
    done = f'Committed "{plan.commit_message}"' + (f" and tagged {plan.tag}" if plan.tag else "")
    console.print(console.style(done + ".", "green", "bold"))
    steps = []
    if plan.push_remote is None:
        tag = f" {plan.tag}" if plan.tag else ""
        steps.append(
            f"Push the commit and tag together: git push --atomic origin {plan.branch}{tag}"
        )
    if plan.tag:
        steps.append(
            f"Create the release: gh release create {plan.tag} --title {plan.new} "
            f'--notes "$(releasekit notes {plan.new})"'
        )
    web = _web_root(plan)
    if web is not None and web[0] == "github":
        steps.append(f"Watch the publish workflow: {web[1]}/actions")
    elif web is not None:
        steps.append(f"Watch the publish pipeline: {web[1]}/-/pipelines")
    console.print("Next steps:")
    for number, text in enumerate(steps, start=1):
        console.print(f"  {number}. {text}")


@cli.command()
@click.argument("version", required=False)
@click.pass_obj
def notes(obj: Context, version: str | None) -> None:
    """Print a version's changelog section as written (default: the newest release)."""
    from releasekit.changelog import notes as section_notes
    from releasekit.changelog_files import SEARCHED, load_changelog
    from releasekit.config import load_project, resolve_settings
    from releasekit.errors import ChangelogError
    from releasekit.versioning import parse_version

    wanted = parse_version(version, where="VERSION") if version is not None else None
    settings = resolve_settings(load_project(obj.root), env=os.environ)
    found = load_changelog(obj.root, settings)
    if found is None and settings.changelog is False:
        raise ChangelogError(
            "there is no changelog: changelog = false",
            hint="set changelog to the file's name in [tool.releasekit]",
        )
    if found is None:
        raise ChangelogError(
            f"no changelog found ({SEARCHED})",
            where=str(obj.root),
            hint="create one, or set changelog to its name in [tool.releasekit]",
        )
    _, body = section_notes(found.parse(), wanted, where=found.display)
    obj.console.out.write(body)


@cli.command()
@click.option(
    "--outdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("dist"),
    help="Where to put the files (default: dist).",
)
@click.pass_obj
def build(obj: Context, outdir: Path) -> None:
    """Build the sdist and the wheel (from the sdist) in isolated environments, then verify them."""
    from releasekit.build import build_project, expected_versions

    expected, tagged = expected_versions(obj.root, os.environ)
    result = build_project(
        obj.root,
        outdir if outdir.is_absolute() else obj.root / outdir,
        obj.console,
        expected=expected,
        tag_version=tagged,
    )
    for path in (result.sdist, result.wheel):
        shown = path.relative_to(obj.root) if path.is_relative_to(obj.root) else path
        obj.console.print(f"Built {shown} ({path.stat().st_size / 1024:.1f} KiB)")


def _distributions(root: Path, given: tuple[str, ...]) -> list[Path]:
    """The files to check: the arguments (globs allowed), or every distribution in dist/."""
    from releasekit.dists import kind_of

    patterns = given or ("dist/*",)
    found: list[Path] = []
    for pattern in patterns:
        path = Path(pattern)
        base = path if path.is_absolute() else root / path
        matches = (
            sorted(base.parent.glob(base.name)) if any(c in pattern for c in "*?[") else [base]
        )
        for match in matches:
            if not match.is_file():
                raise UsageError(
                    "no such file", where=pattern, hint="build first: releasekit build"
                )
            if kind_of(match) is not None or given:
                found.append(match)
    if not found:
        raise UsageError(
            "no distributions found",
            where=" ".join(patterns),
            hint="build them first (releasekit build), or name the files",
        )
    return found


@cli.command()
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

    paths = _distributions(obj.root, dists)
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
        _print_findings(console, findings)
        errors, warnings = counts["errors"], counts["warnings"]
        verdict = f"{errors} error(s), {warnings} warning(s) in {len(paths)} file(s)"
        console.print(console.style(verdict, "red" if errors else "green", "bold"))
    return EXIT_FAILED if counts["errors"] else EXIT_OK


def _print_findings(console: Console, findings: list[Finding]) -> None:
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


def _size(size: int) -> str:
    """A file size for people: KiB below a MiB, else MiB."""
    return f"{size / 1024:.1f} KiB" if size < 1 << 20 else f"{size / (1 << 20):.1f} MiB"


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
        self.console.detail(f"uploading {result.file} ({_size(result.size)})")

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
                f"({_size(result.size)} in {result.seconds:.2f} s{note})"
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
            line = f"{self.console.style('uploaded', 'green')} {result.file} ({_size(result.size)})"
        else:
            line = f"{self.console.style('failed', 'red')} {result.file}: {result.message}"
        self._above(line)


def _print_publish(console: Console, report: PublishReport) -> None:
    """The closing lines of a publish: skipped files, what did not make it, and the verdict."""
    for result in report.files:
        if result.status == "skipped":
            console.print(f"{console.style('skipped', 'cyan')} {result.file}: {result.message}")
        elif result.status == "would-upload":
            console.print(f"would upload {result.file} ({_size(result.size)})")
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


@cli.command()
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

    paths = _distributions(obj.root, dists)
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
            _print_findings(console, failure.findings)
        raise
    for finding in report.warnings:
        console.warn(f"{finding.file}: {finding.message}")
    if as_json:
        console.print(json.dumps(report.as_dict(), indent=2))
    else:
        _print_publish(console, report)
    return EXIT_OK if report.ok else EXIT_FAILED


@cli.command()
@click.option(
    "--ci",
    type=click.Choice(["github", "gitlab"]),
    default="github",
    show_default=True,
    help="Which CI the publish workflow is for.",
)
@click.option(
    "--environment",
    metavar="NAME",
    default="pypi",
    show_default=True,
    help="The protected environment the PyPI job runs in.",
)
@click.option("--testpypi", is_flag=True, help="Publish to TestPyPI first (and on manual runs).")
@click.option(
    "--publisher",
    type=click.Choice(["action", "releasekit"]),
    default="action",
    show_default=True,
    help="Upload with pypa/gh-action-pypi-publish or with releasekit publish.",
)
@click.option("--dependabot", is_flag=True, help="Also write .github/dependabot.yml for actions.")
@click.option("--force", is_flag=True, help="Replace files init wrote before (never a changelog).")
@click.pass_obj
def init(
    obj: Context,
    ci: Literal["github", "gitlab"],
    environment: str,
    testpypi: bool,
    publisher: Literal["action", "releasekit"],
    dependabot: bool,
    force: bool,
) -> None:
    """Write a least-privilege publish workflow, a publishing guide and a release script."""
    from releasekit.scaffold import InitOptions
    from releasekit.scaffold import init as run_init

    options = InitOptions(
        ci=ci,
        environment=environment,
        testpypi=testpypi,
        publisher=publisher,
        dependabot=dependabot,
        force=force,
    )
    result = run_init(obj.root, options)
    console = obj.console
    if result.facts.compiled:
        console.info(
            f"Compiled extensions ({result.facts.compiled}): wheels built with cibuildwheel"
        )
    for path in result.written:
        console.print(f"Wrote {path}")
    for path, why in result.skipped:
        console.print(f"Skipped {path}: {why}")
    console.print("Next steps:")
    for number, text in enumerate(result.next_steps, start=1):
        console.print(f"  {number}. {text}")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report.")
@click.pass_obj
def doctor(obj: Context, as_json: bool) -> int:
    """Audit the release setup: metadata, versions, changelog, git and publishing workflows."""
    import json

    from releasekit.doctor import doctor as run_doctor

    console = obj.console
    try:
        report = run_doctor(obj.root)
    except ReleaseError as error:
        if as_json:  # --json always answers in JSON; the error line still goes to stderr
            console.print(json.dumps({"error": error.one_line(), "findings": []}, indent=2))
        raise
    if as_json:
        console.print(json.dumps(report.as_dict(), indent=2))
        return EXIT_OK if report.ok else EXIT_FAILED
    colours = {"error": "red", "warning": "yellow", "info": "cyan"}
    for finding in report.findings:
        label = console.style(f"{finding.severity:<7}", colours[finding.severity], "bold")
        console.print(f"{label} {finding.code}  {finding.place}")
        console.print(f"        why: {finding.message}")
        console.print(f"        fix: {finding.hint}")
    errors, warnings = report.count("error"), report.count("warning")
    verdict = f"{errors} error(s), {warnings} warning(s), {report.count('info')} note(s)"
    console.print(console.style(verdict, "red" if errors else "green", "bold"))
    for publisher in report.publishers:
        console.print("")
        console.print(
            f"Trusted publisher for {publisher.index} ({publisher.workflow}, job {publisher.job}):"
        )
        for label, value in publisher.values:
            console.print(f"  {label + ':':<30} {value}")
    return EXIT_OK if report.ok else EXIT_FAILED


def _render_error(console: Console, error: ReleaseError) -> None:
    """One line per error; a preflight failure lists each failed check on its own line.

    An error carrying another program's output (a build backend's) shows it first.
    """
    if error.details:
        console.err.write(error.details if error.details.endswith("\n") else error.details + "\n")
    if isinstance(error, PreflightError) and len(error.problems) == 1:
        console.error(error.problems[0].one_line())
        return
    console.error(error.one_line())
    if isinstance(error, PreflightError):
        for problem in error.problems:
            console.err.write(f"  - {problem.one_line()}\n")


def _interrupted(args: list[str]) -> str:
    """What an interrupt left behind, for the command that was running."""
    words = iter(args)
    command = ""
    for word in words:
        if word == "-C":
            next(words, None)
        elif not word.startswith("-"):
            command = word
            break
    if command == "publish":
        return (
            "interrupted; files already uploaded stay on the index: "
            "complete the release with releasekit publish --skip-existing"
        )
    return "interrupted; any change already made was rolled back"


def main(argv: list[str] | None = None) -> NoReturn:
    """Run the command line and exit with its documented code."""
    args = sys.argv[1:] if argv is None else argv
    verbose = any(a == "--verbose" or (a.startswith("-v") and set(a[1:]) == {"v"}) for a in args)
    no_color = "--no-color" in args
    masker = SecretMasker()
    console = Console(
        out=MaskedStream(sys.stdout, masker),
        err=MaskedStream(sys.stderr, masker),
        color=wants_color(sys.stderr, os.environ, disabled=no_color),
    )
    try:
        code = cli.main(args=args, prog_name="releasekit", standalone_mode=False, obj=masker)
    except ReleaseError as error:
        if verbose:
            console.err.write(traceback.format_exc())
        _render_error(console, error)
        sys.exit(error.exit_code)
    except click.exceptions.NoArgsIsHelpError as error:  # `releasekit` alone: show help, exit 2
        console.err.write(error.ctx.get_help() + "\n" if error.ctx else "")
        sys.exit(EXIT_USAGE)
    except click.UsageError as error:
        command = (
            f" {error.ctx.command_path.split(' ', 1)[1]}"
            if error.ctx and " " in error.ctx.command_path
            else ""
        )
        console.error(f"{error.format_message().rstrip('.')}; see 'releasekit{command} --help'")
        sys.exit(EXIT_USAGE)
    except (KeyboardInterrupt, click.exceptions.Abort):
        console.error(_interrupted(args))
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(code if isinstance(code, int) else EXIT_OK)
