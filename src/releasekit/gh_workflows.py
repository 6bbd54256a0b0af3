"""The GitHub Actions workflows of a repository as one graph: files, jobs, calls, events, paths.

A release is often spread over files: ``release.yml`` calls ``./.github/workflows/publish.yml``,
which uploads what a build job of the caller made. doctor judges such a setup as one publishing
path: a called workflow starts from the events that reach its callers' jobs, a caller holding
``id-token: write`` for its callee is doing what GitHub requires, and the jobs whose artifacts a
publishing job downloads are part of the release path wherever they are written.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from pathlib import Path

from releasekit.findings import Finding
from releasekit.gh_events import Event, Reach, called_events, events, reachable
from releasekit.records import field, mutable
from releasekit.workflow_rules import finding
from releasekit.workflow_uploads import Upload, env_of, step_uploads
from releasekit.yaml_nodes import MAX_CHARS, Node, YamlSyntaxError, parse

WORKFLOWS = ".github/workflows"
_CALL = re.compile(r"^(?P<repo>[^/@]+/[^/@]+)/(?P<path>\.github/workflows/[^@]+)@.+$")
# A job whose if: names one of these runs after its needs failed or were skipped.
_RUNS_ANYWAY = re.compile(r"\b(always|failure|cancelled)\s*\(", re.IGNORECASE)


@mutable
class Job:
    """One job, with its uploads (dry runs included) and the workflow it calls, if any."""

    file: str
    key: str
    node: Node
    uploads: list[tuple[Node, Upload]] = field(default_factory=list)
    callee: str | None = None  # a workflow file of this repository that the job calls
    remote_call: bool = False  # calls a workflow of another repository

    @property
    def steps(self) -> list[Node]:
        """The job's steps (none for a job that calls a workflow)."""
        node = self.node.get("steps")
        return node.items() if node is not None else []

    @property
    def real_uploads(self) -> list[tuple[Node, Upload]]:
        """The uploads that upload (not dry runs)."""
        return [(step, upload) for step, upload in self.uploads if not upload.dry_run]

    @property
    def publishes(self) -> bool:
        """Whether the job uploads to an index."""
        return bool(self.real_uploads)

    @property
    def needs(self) -> list[str]:
        """The jobs this one waits for."""
        node = self.node.get("needs")
        return [n.value for n in node.items() if isinstance(n.value, str)] if node else []

    @property
    def condition(self) -> str | None:
        """The job's ``if:`` as written."""
        return self.node.text("if")

    @property
    def runs_on(self) -> str | None:
        """``runs-on`` as written: one label, or a list's labels joined by spaces."""
        node = self.node.get("runs-on")
        if node is None or isinstance(node.value, dict):
            return None
        return " ".join(item.value for item in node.items() if isinstance(item.value, str))


@mutable
class Workflow:
    """One workflow file: its tree, its lines as written (for comments) and its jobs."""

    file: str
    root: Node
    lines: list[str]
    jobs: dict[str, Job] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    callers: list[Job] = field(default_factory=list)

    @property
    def triggers(self) -> dict[str, Node]:
        """The workflow's events (``on:`` as a word, a list or a mapping)."""
        return triggers(self.root)

    def line_text(self, line: int) -> str:
        """The text of a 1-based line ('' beyond the file)."""
        return self.lines[line - 1] if 0 < line <= len(self.lines) else ""


def triggers(root: Node) -> dict[str, Node]:
    """``on:`` as a mapping from event name to its node."""
    on = root.get("on")
    if on is None:
        return {}
    if isinstance(on.value, str):
        return {on.value: on}
    if isinstance(on.value, list):
        return {item.value: item for item in on.value if isinstance(item.value, str)}
    return on.mapping()


def read_text(path: Path, shown: str) -> tuple[str | None, list[Finding]]:
    """A CI file's text, at most one character past the parser's bound; a failure is a finding."""
    try:
        with path.open(encoding="utf-8") as handle:
            return handle.read(MAX_CHARS + 1), []
    except (OSError, UnicodeDecodeError) as exc:
        return None, [finding("workflow-invalid-yaml", shown, None, f"cannot read it ({exc})")]


def read_workflow(path: Path, shown: str) -> tuple[Node | None, list[Finding]]:
    """Parse a workflow file; a syntax error is a finding, not an exception.

    So is a file beyond the parser's bounds (size, nesting, alias expansion: ``yaml_nodes``).
    """
    text, problems = read_text(path, shown)
    if text is None:
        return None, problems
    try:
        return parse(text), []
    except YamlSyntaxError as exc:
        return None, [finding("workflow-invalid-yaml", shown, exc.line, str(exc))]


def _remote_path(top: Path) -> str | None:
    """``owner/name`` of the origin remote, read from .git/config, for same-repository calls."""
    config = top / ".git" / "config"
    try:
        text = config.read_text(encoding="utf-8") if config.is_file() else ""
    except (OSError, UnicodeDecodeError):
        return None
    remotes = re.findall(r'\[remote "([^"]+)"\][^\[]*?url\s*=\s*(\S+)', text)
    remotes.sort(key=lambda entry: entry[0] != "origin")
    for _, url in remotes:
        parts = re.split(r"[/:]", url.removesuffix(".git").removesuffix("/"))
        if len(parts) > 1 and ("github" in url or "gitlab" in url):
            return "/".join(parts[-2:]).lower()
    return None


class Repository:
    """Every workflow file of a repository, parsed and linked."""

    def __init__(self, top: Path) -> None:
        self.top = top
        self.workflows: dict[str, Workflow] = {}
        self.findings: list[Finding] = []
        self._remote: str | bool | None = False  # False: not read yet
        folder = top / WORKFLOWS
        files = (
            sorted(p for p in folder.glob("*") if p.suffix in {".yml", ".yaml"} and p.is_file())
            if folder.is_dir()
            else []
        )
        for path in files:
            shown = path.relative_to(top).as_posix()
            text, problems = read_text(path, shown)
            self.findings += problems
            if text is None:
                continue
            try:
                node = parse(text)
            except YamlSyntaxError as exc:
                self.findings.append(finding("workflow-invalid-yaml", shown, exc.line, str(exc)))
                continue
            self.workflows[shown] = Workflow(shown, node, text.splitlines())
        for workflow in self.workflows.values():
            self._read_jobs(workflow)
        self._link_events()

    def _local_callee(self, uses: str) -> str | None:
        if uses.startswith("./"):
            path = uses[2:].split("@", 1)[0]
            return path if path in self.workflows else None
        match = _CALL.match(uses)
        if match is None or match["path"] not in self.workflows:
            return None
        if self._remote is False:
            self._remote = _remote_path(self.top)
        return match["path"] if self._remote == match["repo"].lower() else None

    def _read_jobs(self, workflow: Workflow) -> None:
        jobs_node = workflow.root.get("jobs")
        top_env = env_of(workflow.root.get("env"))
        for key, node in (jobs_node.mapping() if jobs_node is not None else {}).items():
            job = Job(workflow.file, key, node)
            uses = node.text("uses")
            if uses:
                job.callee = self._local_callee(uses)
                job.remote_call = job.callee is None and not uses.startswith("./")
            env = {**top_env, **env_of(node.get("env"))}
            for step in job.steps:
                job.uploads += [(step, upload) for upload in step_uploads(step, env)]
            workflow.jobs[key] = job
        for job in workflow.jobs.values():
            if job.callee is None:
                continue
            callee = self.workflows[job.callee]
            if callee.file == workflow.file or "workflow_call" not in callee.triggers:
                job.callee = None  # GitHub refuses such a call; nothing runs through it
                continue
            callee.callers.append(job)

    def _link_events(self) -> None:
        """Each workflow's events; a called one gets those that reach its callers' jobs."""
        pending = list(self.workflows.values())
        for workflow in pending:
            workflow.events = events(workflow.triggers)
        # Calls nest at most a few levels (GitHub allows four); repeat to propagate.
        for _ in range(5):
            for workflow in pending:
                if "workflow_call" not in workflow.triggers:
                    continue
                own = events({k: v for k, v in workflow.triggers.items() if k != "workflow_call"})
                inherited: list[Event] = []
                for caller in workflow.callers:
                    if caller.file == workflow.file:
                        continue
                    inherited += self.reach(caller).possible()
                if not workflow.callers:
                    inherited = called_events()
                unique = {event.label: event for event in [*own, *inherited]}
                workflow.events = list(unique.values())

    def jobs(self) -> Iterator[Job]:
        """Every job of every workflow."""
        for workflow in self.workflows.values():
            yield from workflow.jobs.values()

    def reach(self, job: Job, step: Node | None = None, starts: list[Event] | None = None) -> Reach:
        """Which of the workflow's events can run ``job`` (and ``step`` in it).

        ``starts`` replaces the workflow's events, to follow one caller of a called workflow.
        """
        workflow = self.workflows[job.file]
        groups: list[list[str | None]] = [[job.condition]]
        if step is not None:
            groups[0].append(step.text("if"))
        seen = {job.key}
        queue = [] if _RUNS_ANYWAY.search(job.condition or "") else list(job.needs)
        while queue:
            name = queue.pop()
            needed = workflow.jobs.get(name)
            if needed is None or name in seen:
                continue
            seen.add(name)
            groups.append([needed.condition])
            if not _RUNS_ANYWAY.search(needed.condition or ""):
                queue += needed.needs
        return reachable(workflow.events if starts is None else starts, groups)

    def publishes(self, workflow: Workflow) -> bool:
        """Whether the workflow uploads, or calls a workflow of this repository that does."""
        return any(self._job_publishes(job, set()) for job in workflow.jobs.values())

    def _job_publishes(self, job: Job, seen: set[str]) -> bool:
        if job.publishes:
            return True
        if job.callee is None or job.callee in seen:
            return False
        seen.add(job.callee)
        return any(self._job_publishes(j, seen) for j in self.workflows[job.callee].jobs.values())

    def calls_publishing(self, job: Job) -> bool:
        """Whether the job calls a workflow of this repository that uploads."""
        return job.callee is not None and self._job_publishes(job, set())

    def release_path(self) -> set[tuple[str, str]]:
        """(file, job) of every publishing job and of the jobs whose artifacts it downloads."""
        path: set[tuple[str, str]] = set()
        for job in self.jobs():
            if not job.publishes:
                continue
            path.add((job.file, job.key))
            wanted = _downloads(job)
            if not wanted:
                continue
            for builder in self.ancestors(job):
                made = _artifact_names(builder)
                if any(_matches(name, spec) for name in made for spec in wanted):
                    path.add((builder.file, builder.key))
        return path

    def ancestors(self, job: Job) -> list[Job]:
        """The jobs that run before ``job``: its needs, through calls both ways."""
        found: dict[tuple[str, str], Job] = {}
        queue = [job]
        while queue:
            current = queue.pop()
            workflow = self.workflows[current.file]
            parents = [workflow.jobs[n] for n in current.needs if n in workflow.jobs]
            if not current.needs:
                for caller in workflow.callers:
                    callers = self.workflows[caller.file]
                    parents += [callers.jobs[n] for n in caller.needs if n in callers.jobs]
            for parent in parents:
                expanded = [parent]
                if parent.callee is not None:
                    expanded += list(self.workflows[parent.callee].jobs.values())
                for candidate in expanded:
                    key = (candidate.file, candidate.key)
                    if key not in found:
                        found[key] = candidate
                        queue.append(candidate)
        return list(found.values())


def _pattern(text: str) -> str:
    """An artifact name with its ``${{ }}`` parts as wildcards."""
    return re.sub(r"\$\{\{.*?\}\}", "*", text)


def _downloads(job: Job) -> list[str]:
    """The artifact names (or patterns) the job downloads; ``*`` for all of them."""
    wanted: list[str] = []
    for step in job.steps:
        action = (step.text("uses") or "").split("@", 1)[0].lower()
        if action != "actions/download-artifact":
            continue
        with_ = step.get("with")
        spec = (with_.text("name") or with_.text("pattern")) if with_ is not None else None
        wanted.append(_pattern(spec) if spec else "*")
    return wanted


def _artifact_names(job: Job) -> list[str]:
    names: list[str] = []
    for step in job.steps:
        action = (step.text("uses") or "").split("@", 1)[0].lower()
        if action == "actions/upload-artifact":
            with_ = step.get("with")
            name = with_.text("name") if with_ is not None else None
            names.append(_pattern(name or "artifact"))
        elif action == "hynek/build-and-inspect-python-package":
            names.append("Packages*")  # the artifact it uploads, unless renamed
    if job.callee is None and not names and job.remote_call:
        names.append("*")  # a called workflow of another repository may upload anything
    return names


def _matches(made: str, wanted: str) -> bool:
    """Whether an uploaded artifact name (maybe with wildcards) can match a download spec."""
    if wanted == "*" or made == "*":
        return True
    return fnmatch.fnmatchcase(made, wanted) or fnmatch.fnmatchcase(wanted, made)
