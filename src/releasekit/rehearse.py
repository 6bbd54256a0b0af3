"""``releasekit rehearse``: the whole release, on this machine, where nothing can leak out.

A rehearsal clones the repository at HEAD into a temporary folder (with its own bare remote),
prepares the release there with the code ``prepare`` runs, builds and checks the files, starts an
embedded pypiserver on 127.0.0.1 that wants a login, publishes to it as ``publish`` does (then
again with ``--skip-existing``, which must skip every file), installs the release into a fresh
virtual environment from that index alone, imports its packages, runs its console scripts with
``--help`` and audits the workflows with ``doctor``. Every step is timed; the first failure stops
the rehearsal with the error the real command would give. Everything is removed afterwards,
unless the caller keeps it; an interrupt (Ctrl-C or SIGTERM) always cleans up.
"""

from __future__ import annotations

import contextlib
import datetime
import re
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from packaging.version import Version

from releasekit.errors import PreflightError, ReleaseError
from releasekit.findings import Finding, Severity
from releasekit.interrupts import signals_deferred
from releasekit.local_index import LocalIndex, local_index, require_pypiserver
from releasekit.records import field, frozen, mutable
from releasekit.redaction import SecretMasker
from releasekit.sandbox import (
    Sandbox,
    SandboxError,
    VirtualEnv,
    WheelFacts,
    clean_environment,
    installer_environment,
    last_line,
    make_sandbox,
    make_venv,
    needed_requirements,
    refuse_git_redirects,
    run_program,
    wheel_facts,
)

if TYPE_CHECKING:
    from releasekit.publish import FileResult

TEMP_PREFIX = "releasekit-rehearse-"
DEFAULT_SPEC = "patch"

StepName = Literal[
    "clone",
    "prepare",
    "build",
    "check",
    "index",
    "publish",
    "republish",
    "venv",
    "install",
    "dependencies",
    "import",
    "scripts",
    "doctor",
    "stop-index",
]
StepOutcome = Literal["ok", "warning", "skipped", "failed"]

TITLES: dict[StepName, str] = {
    "clone": "clone the repository at HEAD",
    "prepare": "prepare the release",
    "build": "build the sdist and the wheel",
    "check": "check the files as PyPI would",
    "index": "start the local index",
    "publish": "publish to the local index",
    "republish": "publish again with --skip-existing",
    "venv": "create a fresh virtual environment",
    "install": "install the release from the local index",
    "dependencies": "install its dependencies",
    "import": "import its packages",
    "scripts": "run its console scripts with --help",
    "doctor": "audit the setup and workflows (doctor)",
    "stop-index": "stop the local index",
}
_LISTED = 5  # uncommitted files named in the warning
_MISSING_MODULE = re.compile(r"No module named '([^']+)'")


@frozen
class RehearseOptions:
    """What the user asked ``rehearse`` for."""

    spec: str = DEFAULT_SPEC
    keep: bool = False
    offline: bool = False
    date: str | None = None  # the release date prepare writes; default today
    # The monorepo package rehearsed (``--package NAME``), named in the real release's commands.
    package: str | None = None


@frozen
class StepResult:
    """How one step of the rehearsal ended and how long it took."""

    step: StepName
    result: StepOutcome
    seconds: float
    message: str

    @property
    def title(self) -> str:
        """What the step does, for people."""
        return TITLES[self.step]

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        return {
            "step": self.step,
            "result": self.result,
            "seconds": round(self.seconds, 3),
            "message": self.message,
        }


@mutable
class RehearsalReport:
    """Everything a rehearsal found: steps, findings, the version, the real release's commands.

    ``failure`` is the error of the step that stopped the rehearsal (``None`` when it passed);
    ``kept`` names the folders left in place when the caller asked to keep them.
    """

    name: str | None = None
    version: Version | None = None
    steps: list[StepResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    failure: ReleaseError | None = None
    kept: dict[str, Path] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether every step passed."""
        return self.failure is None

    def count(self, severity: Severity) -> int:
        """How many findings have ``severity``."""
        return sum(1 for finding in self.findings if finding.severity == severity)

    def as_dict(self) -> dict[str, object]:
        """The rehearsal's own keys of the JSON report (the command line adds the shared ones)."""
        data: dict[str, object] = {
            "name": self.name,
            "version": str(self.version) if self.version is not None else None,
            "steps": [step.as_dict() for step in self.steps],
            "commands": list(self.commands),
        }
        if self.kept:
            data["kept"] = {label: str(path) for label, path in self.kept.items()}
        return data


class RehearsalReporter(Protocol):
    """Where a rehearsal reports progress; the command line implements it."""

    def step(self, message: str) -> None:
        """Progress inside a step (prepare's actions, build's stages, publish's stages)."""

    def warn(self, message: str) -> None:
        """Something the user should know that does not stop the rehearsal."""

    def detail(self, message: str) -> None:
        """Detail for ``-v`` (a build backend's output, each uploaded file)."""

    def step_started(self, step: StepName, title: str) -> None:
        """A step of the rehearsal begins."""

    def step_finished(self, result: StepResult) -> None:
        """A step of the rehearsal ended (see its result)."""


class RehearsalError(ReleaseError):
    """A step that only a rehearsal has failed: install, import, scripts, doctor (exit 1)."""


class _StepFailed(Exception):
    """A step failed with ``error``; the rehearsal stops."""

    def __init__(self, step: StepName, error: ReleaseError) -> None:
        super().__init__(error.one_line())
        self.step = step
        self.error = error


class _PublishProgress:
    """Publish progress as the rehearsal reports it: stages as steps, files as detail."""

    def __init__(self, reporter: RehearsalReporter) -> None:
        self.reporter = reporter

    def step(self, message: str) -> None:
        self.reporter.step(message)

    def warn(self, message: str) -> None:
        self.reporter.warn(message)

    def detail(self, message: str) -> None:
        self.reporter.detail(message)

    def started(self, result: FileResult) -> None:
        self.reporter.detail(f"uploading {result.file}")

    def progress(self, result: FileResult, sent: int) -> None:
        """Byte counts are not reported: local uploads take milliseconds."""

    def retrying(self, result: FileResult, attempt: int, delay: float, reason: str) -> None:
        self.reporter.warn(f"{result.file}: attempt {attempt} failed ({reason}); retrying")

    def finished(self, result: FileResult) -> None:
        self.reporter.detail(f"{result.status} {result.file}")


def _raise_first_error(
    findings: Sequence[Finding], lead: str, hint: str | None, *, where_line: bool = False
) -> list[Finding]:
    """Raise the first error among ``findings`` as the step's failure; else return the warnings.

    The line names the first error and how many more there are, as the real command's summary
    would; ``where_line`` puts its line number in the place (doctor points into files).
    """
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more error(s))" if len(errors) > 1 else ""
        raise RehearsalError(
            f"{lead}{first.code}: {first.message}{more}",
            where=first.place if where_line else first.file,
            hint=first.hint or hint,
        )
    return [f for f in findings if f.severity == "warning"]


@mutable
class _Outcome:
    """What a step body says about how it went, when it did not fail."""

    message: str = ""
    result: StepOutcome = "ok"


class _Steps:
    """Runs the steps: times each, reports it, turns an error into the rehearsal's failure."""

    def __init__(self, reporter: RehearsalReporter, report: RehearsalReport) -> None:
        self.reporter = reporter
        self.report = report

    @contextlib.contextmanager
    def run(self, step: StepName) -> Iterator[_Outcome]:
        """Time the block as ``step``; a ``ReleaseError`` or ``OSError`` in it fails the step."""
        self.reporter.step_started(step, TITLES[step])
        started = time.monotonic()
        outcome = _Outcome()
        try:
            yield outcome
        except (ReleaseError, OSError) as exc:
            error = exc if isinstance(exc, ReleaseError) else _os_error(exc)
            self._finish(StepResult(step, "failed", time.monotonic() - started, error.one_line()))
            raise _StepFailed(step, error) from exc
        self._finish(StepResult(step, outcome.result, time.monotonic() - started, outcome.message))

    def _finish(self, result: StepResult) -> None:
        self.report.steps.append(result)
        self.reporter.step_finished(result)

    def warn(self, code: str, place: str, message: str, hint: str | None = None) -> None:
        """A warning finding, reported at once."""
        self.report.findings.append(Finding(place, "warning", code, message, hint))
        self.reporter.warn(message)


def _os_error(exc: OSError) -> ReleaseError:
    """An operating-system error as one line, with the file it is about."""
    where = str(exc.filename) if exc.filename else None
    return SandboxError(exc.strerror or str(exc), where=where)


def _failure_findings(step: StepName, error: ReleaseError) -> list[Finding]:
    """The error that stopped the rehearsal, as findings (one per failed preflight check)."""
    problems = error.problems if isinstance(error, PreflightError) else (error,)
    return [
        Finding(problem.where or "", "error", f"{step}-failed", problem.message, problem.hint)
        for problem in problems
    ]


def rehearse(
    root: Path,
    options: RehearseOptions,
    reporter: RehearsalReporter,
    *,
    env: Mapping[str, str],
) -> RehearsalReport:
    """Rehearse the release of the project at ``root``; return what happened.

    A failing step does not raise: it ends the rehearsal with ``report.failure`` set. What cannot
    even start (pypiserver missing, git pointed elsewhere by the environment) raises.
    ``KeyboardInterrupt`` propagates after everything was stopped and removed.
    """
    refuse_git_redirects(env)
    require_pypiserver()
    report = RehearsalReport()
    workdir = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX)).resolve()
    interrupted = True
    try:
        with contextlib.ExitStack() as server:
            try:
                _Rehearsal(
                    root=root,
                    options=options,
                    reporter=reporter,
                    env=env,
                    report=report,
                    workdir=workdir,
                    server=server,
                ).run()
            except _StepFailed as failed:
                report.failure = failed.error
                report.findings.extend(_failure_findings(failed.step, failed.error))
                report.commands = []
            finally:
                with signals_deferred():
                    server.close()
        interrupted = False
    finally:
        with signals_deferred():
            if options.keep and not interrupted:
                report.kept = {
                    "clone": workdir / "clone",
                    "packages": workdir / "packages",
                    "venv": workdir / "venv",
                }
                report.kept = {k: p for k, p in report.kept.items() if p.exists()}
            else:
                shutil.rmtree(workdir, ignore_errors=True)
    return report


class _Rehearsal:
    """One rehearsal's state as it moves through the steps."""

    def __init__(
        self,
        *,
        root: Path,
        options: RehearseOptions,
        reporter: RehearsalReporter,
        env: Mapping[str, str],
        report: RehearsalReport,
        workdir: Path,
        server: contextlib.ExitStack,
    ) -> None:
        self.root = root
        self.options = options
        self.reporter = reporter
        self.env = env
        self.report = report
        self.workdir = workdir
        self.server = server
        self.steps = _Steps(reporter, report)
        self.scratch = workdir / "run"  # an empty working directory for installed programs

    def run(self) -> None:
        """Every step in order; the first failure raises ``_StepFailed``."""
        sandbox = self._clone()
        tag = self._prepare(sandbox)
        sdist, wheel, facts = self._build(sandbox)
        self._check([wheel, sdist])
        index = self._start_index()
        self._publish([wheel, sdist], index)
        venv = self._venv()
        self._install(venv, facts, index)
        deps_missing = self._dependencies(venv, facts)
        self._import(venv, facts, wheel.name, deps_missing=deps_missing)
        self._scripts(venv, facts, wheel.name, deps_missing=deps_missing)
        workflows = self._doctor(sandbox)
        with self.steps.run("stop-index") as outcome:
            self.server.close()
            outcome.message = "stopped; its files go with the temporary folder"
        self.report.commands = self._commands(sandbox, tag, workflows)

    def _clone(self) -> Sandbox:
        with self.steps.run("clone") as outcome:
            sandbox = make_sandbox(self.root, self.workdir, default_branch=self._release_branch())
            if sandbox.snapshot:
                self.steps.warn(
                    "not-a-git-repository",
                    str(self.root),
                    "not in a git repository: rehearsing a snapshot of the folder; a real "
                    "release needs git (git init, commit, add a remote)",
                )
            elif sandbox.uncommitted:
                shown = ", ".join(sandbox.uncommitted[:_LISTED])
                more = ", ..." if len(sandbox.uncommitted) > _LISTED else ""
                self.steps.warn(
                    "uncommitted-changes",
                    str(self.root),
                    f"uncommitted changes are not part of the rehearsal ({shown}{more}); "
                    "it works on HEAD",
                    "commit them to rehearse them",
                )
            where = "a snapshot" if sandbox.snapshot else f"HEAD ({sandbox.branch or 'detached'})"
            outcome.message = f"{where} with a throwaway bare remote"
            self.scratch.mkdir()
        return sandbox

    def _release_branch(self) -> str:
        """The branch a snapshot is committed on: the configured release branch, else main."""
        from releasekit.config import load_project, resolve_settings  # noqa: PLC0415  # as the steps

        try:
            settings = resolve_settings(load_project(self.root), env=self.env)
        except ReleaseError:
            return "main"  # prepare reports the configuration error in its step
        return settings.release_branch or "main"

    def _prepare(self, sandbox: Sandbox) -> str | None:
        from releasekit.prepare import (  # noqa: PLC0415  # loaded when the step runs
            PrepareOptions,
            apply_release,
            plan_release,
            release_guard,
        )

        with self.steps.run("prepare") as outcome:
            date = self.options.date or datetime.date.today().isoformat()
            with release_guard(sandbox.project, "releasekit rehearse") as guard:
                plan = plan_release(
                    sandbox.project, PrepareOptions(spec=self.options.spec, date=date), env=self.env
                )
                for warning in plan.warnings:
                    self.steps.warn("prepare-warning", str(self.root), warning)
                apply_release(plan, self.reporter, guard)
            self.report.version = plan.new
            tagged = f", tagged {plan.tag}" if plan.tag else ""
            outcome.message = f"{plan.current} -> {plan.new}{tagged}"
        return plan.tag

    def _build(self, sandbox: Sandbox) -> tuple[Path, Path, WheelFacts]:
        from releasekit.build import build_project, expected_versions  # noqa: PLC0415  # loaded when the step runs

        with self.steps.run("build") as outcome:
            expected, tagged = expected_versions(sandbox.project, self.env)
            result = build_project(
                sandbox.project,
                sandbox.project / "dist",
                self.reporter,
                expected=expected,
                tag_version=tagged,
            )
            facts = wheel_facts(result.wheel)
            self.report.name = facts.name
            outcome.message = f"{result.sdist.name}, {result.wheel.name}"
        return result.sdist, result.wheel, facts

    def _check(self, paths: list[Path]) -> None:
        from releasekit.check import check_files  # noqa: PLC0415  # loaded when the step runs

        with self.steps.run("check") as outcome:
            findings = check_files(paths)
            self.report.findings.extend(f for f in findings if f.severity != "info")
            warnings = _raise_first_error(
                findings, "", "fix it and rebuild; releasekit check shows every finding"
            )
            outcome.message = f"{len(paths)} file(s), {len(warnings)} warning(s)"
            if warnings:
                outcome.result = "warning"

    def _start_index(self) -> LocalIndex:
        with self.steps.run("index") as outcome:
            index = self.server.enter_context(local_index(self.workdir))
            outcome.message = f"pypiserver on {index.upload_url}, uploads need a login"
        return index

    def _publish(self, paths: list[Path], index: LocalIndex) -> None:
        from releasekit.index.target import resolve_target  # noqa: PLC0415  # loaded when the step runs
        from releasekit.publish import PublishOptions, publish  # noqa: PLC0415  # as above

        credentials = index.credentials
        masker = SecretMasker(credentials.secrets())
        # The same resolution as `releasekit publish --repository-url URL` with the login in
        # RELEASEKIT_USERNAME/RELEASEKIT_PASSWORD, and a home without a ~/.pypirc.
        target = resolve_target(
            repository="pypi",
            repository_url=index.upload_url,
            index_url=index.simple_url,
            env={
                "RELEASEKIT_USERNAME": credentials.username,
                "RELEASEKIT_PASSWORD": credentials.password,
            },
            home=self.workdir,
        )
        progress = _PublishProgress(self.reporter)
        with self.steps.run("publish") as outcome:
            first = publish(paths, target, PublishOptions(), progress, masker=masker)
            if not first.ok:
                raise RehearsalError(
                    "the upload did not complete: "
                    + "; ".join(
                        f"{r.file}: {r.status} ({r.message})" for r in first.files if not _done(r)
                    ),
                    where=first.repository,
                    hint="releasekit publish would stop here too; fix the cause and run again",
                )
            verified = " and verified" if first.verified else ""
            outcome.message = f"{first.count('uploaded')} file(s) uploaded{verified}"
        with self.steps.run("republish") as outcome:
            again = publish(
                paths, target, PublishOptions(skip_existing=True), progress, masker=masker
            )
            sent = [r.file for r in again.files if r.status != "skipped"]
            if sent:
                raise RehearsalError(
                    f"publish --skip-existing did not skip {', '.join(sent)}",
                    where=again.repository,
                    hint="a re-run after a partial upload would send files twice; report this "
                    "as a releasekit bug",
                )
            outcome.message = f"all {len(again.files)} file(s) skipped"

    def _venv(self) -> VirtualEnv:
        with self.steps.run("venv") as outcome:
            venv = make_venv(self.workdir / "venv", self.env)
            outcome.message = f"with {'uv' if venv.uv else 'python -m venv'}"
        return venv

    def _install(self, venv: VirtualEnv, facts: WheelFacts, index: LocalIndex) -> None:
        version = self.report.version
        wanted = f"{facts.name}=={version}"
        with self.steps.run("install") as outcome:
            command = venv.install_command([wanted], index_url=index.simple_url)
            result = run_program(command, env=installer_environment(self.env), cwd=self.scratch)
            if result.returncode != 0:
                raise RehearsalError(
                    f"installing {wanted} from the local index failed: "
                    f"{last_line(result.stderr + result.stdout)}",
                    where=index.simple_url,
                    hint="installers would fail the same way on the real index; check the "
                    "wheel's tags and requires-python",
                )
            outcome.message = f"{wanted} from {index.simple_url} only, without dependencies"

    def _dependencies(self, venv: VirtualEnv, facts: WheelFacts) -> bool:
        """Install the wheel's requirements; return whether some were left out (``--offline``)."""
        needed = needed_requirements(facts.requires)
        with self.steps.run("dependencies") as outcome:
            if not needed:
                outcome.message = "none declared"
                return False
            if self.options.offline:
                outcome.result = "skipped"
                outcome.message = f"--offline: {len(needed)} dependencies were not installed"
                self.report.findings.append(
                    Finding(
                        facts.name,
                        "info",
                        "dependencies-not-installed",
                        f"--offline: the dependencies were not installed ({', '.join(needed)})",
                        "run without --offline to install them from your usual index",
                    )
                )
                return True
            command = venv.install_command(needed, index_url=None)
            result = run_program(command, env=clean_environment(self.env), cwd=self.scratch)
            if result.returncode != 0:
                raise RehearsalError(
                    f"installing the dependencies failed: "
                    f"{last_line(result.stderr + result.stdout)}",
                    where=", ".join(needed),
                    hint="users installing the release would meet this too; check the "
                    "requirements in [project] dependencies",
                )
            outcome.message = f"{len(needed)} from your usual index"
        return False

    def _unverifiable(self, output: str, facts: WheelFacts, *, deps_missing: bool) -> str | None:
        """The missing module, when a failure may only mean that ``--offline`` left it out."""
        match = _MISSING_MODULE.search(output)
        if not deps_missing or match is None:
            return None
        module = match.group(1).split(".")[0]
        return None if module in facts.top_level else module

    def _import(
        self, venv: VirtualEnv, facts: WheelFacts, wheel: str, *, deps_missing: bool
    ) -> None:
        with self.steps.run("import") as outcome:
            if not facts.top_level:
                raise RehearsalError(
                    "the wheel holds no importable module or package",
                    where=wheel,
                    hint="check what the build backend packages (its include settings)",
                )
            unchecked = []
            for module in facts.top_level:
                result = run_program(
                    [str(venv.python), "-I", "-c", f"import {module}"],
                    env=clean_environment(self.env),
                    cwd=self.scratch,
                )
                if result.returncode == 0:
                    continue
                line = last_line(result.stderr)
                missing = self._unverifiable(result.stderr, facts, deps_missing=deps_missing)
                if missing is None:
                    raise RehearsalError(
                        f"importing {module} from the installed wheel failed: {line}",
                        where=wheel,
                        hint="ship the module in the wheel, or declare the package it comes "
                        "from in [project] dependencies",
                    )
                unchecked.append(module)
                self.steps.warn(
                    "import-unchecked",
                    wheel,
                    f"importing {module} needs {missing}, which --offline did not install",
                )
            done = len(facts.top_level) - len(unchecked)
            outcome.message = f"{', '.join(facts.top_level)} ({done} imported)"
            if unchecked:
                outcome.result = "warning"

    def _scripts(
        self, venv: VirtualEnv, facts: WheelFacts, wheel: str, *, deps_missing: bool
    ) -> None:
        with self.steps.run("scripts") as outcome:
            if not facts.scripts:
                outcome.result = "skipped"
                outcome.message = "the wheel has no console scripts"
                return
            unchecked = []
            for name in facts.scripts:
                result = run_program(
                    [str(venv.script(name)), "--help"],
                    env=clean_environment(self.env),
                    cwd=self.scratch,
                    timeout=60,
                )
                if result.returncode == 0:
                    continue
                output = result.stderr + result.stdout
                missing = self._unverifiable(output, facts, deps_missing=deps_missing)
                if missing is None:
                    raise RehearsalError(
                        f"{name} --help failed with exit code {result.returncode}: "
                        f"{last_line(output)}",
                        where=wheel,
                        hint="fix the entry point in [project.scripts] or what it imports",
                    )
                unchecked.append(name)
                self.steps.warn(
                    "script-unchecked",
                    wheel,
                    f"{name} --help needs {missing}, which --offline did not install",
                )
            ran = [n for n in facts.scripts if n not in unchecked]
            outcome.message = f"{', '.join(facts.scripts)} ({len(ran)} ran)"
            if unchecked:
                outcome.result = "warning"

    def _doctor(self, sandbox: Sandbox) -> list[str] | None:
        """Audit the clone; return the publishing workflows found (``None``: there are none)."""
        from releasekit.doctor import doctor  # noqa: PLC0415  # loaded when the step runs

        with self.steps.run("doctor") as outcome:
            audit = doctor(sandbox.project)
            prefix = f"{sandbox.clone}/"
            findings = [
                Finding(f.file.removeprefix(prefix), f.severity, f.code, f.message, f.hint, f.line)
                for f in audit.findings
            ]
            self.report.findings.extend(findings)
            warnings = _raise_first_error(findings, "doctor found ", None, where_line=True)
            outcome.message = f"0 errors, {len(warnings)} warning(s)"
            if warnings:
                outcome.result = "warning"
            if any(f.code == "no-publishing-workflow" for f in audit.findings):
                return None
            return sorted({p.workflow for p in audit.publishers})

    def _commands(
        self, sandbox: Sandbox, tag: str | None, workflows: list[str] | None
    ) -> list[str]:
        """The real release, as commands to run in the project folder."""
        spec = self.options.spec
        selection = f" --package {self.options.package}" if self.options.package else ""
        if sandbox.snapshot:
            commands = ["git init && git add -A && git commit -m 'Initial commit'"]
            commands.append(f"releasekit prepare {spec}{selection}")
        else:
            commands = [f"releasekit prepare {spec}{selection} --push"]
        if workflows is None or tag is None:
            commands.append(
                f"releasekit build{selection} && releasekit check{selection} "
                f"&& releasekit publish{selection}"
            )
        else:
            names = ", ".join(workflows) if workflows else "the publish workflow"
            commands.append(f"# pushing the tag {tag} runs {names}, which publishes the release")
        return commands


def _done(result: FileResult) -> bool:
    """Whether a file made it (uploaded or skipped)."""
    return result.status in {"uploaded", "skipped"}
