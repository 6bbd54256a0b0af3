"""The audit of CI workflows that publish: what a copied workflow gets wrong, line by line.

General linters judge every workflow alike; these rules know what publishing needs. A publishing
job must hold the only identity token, run in a protected environment, take no long-lived
secret, upload files built elsewhere, and be reachable only from a deliberate release.
Each rule has an id, a severity, why it matters and how to fix it, kept together in ``RULES``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from releasekit.findings import Finding, Severity
from releasekit.yaml_nodes import MAX_CHARS, Node, YamlSyntaxError, parse


@dataclass(frozen=True)
class Rule:
    """What one finding id means."""

    severity: Severity
    why: str
    fix: str


RULES: dict[str, Rule] = {
    "workflow-invalid-yaml": Rule(
        "error",
        "the workflow is not valid YAML, so CI cannot run it",
        "fix the syntax at this line",
    ),
    "unpinned-action": Rule(
        "error",
        "a tag or branch can be moved to other code after review; only a commit SHA is immutable",
        "pin it to the full 40-character commit SHA, with the version as a comment",
    ),
    "default-permissions": Rule(
        "error",
        "without a permissions block the job gets the repository's default token, often write-all",
        "add 'permissions: {}' at the top and grant each job only what it needs",
    ),
    "workflow-level-permissions": Rule(
        "error",
        "permissions granted at the top reach every job, including build steps that run "
        "third-party code",
        "set 'permissions: {}' at the top and grant write permissions on the job that needs them",
    ),
    "excessive-permissions": Rule(
        "error",
        "write-all (or a write scope the job does not use) hands the token to everything the job "
        "runs",
        "grant only the scopes the job uses, such as 'contents: read'",
    ),
    "id-token-without-publish": Rule(
        "error",
        "id-token: write lets the job mint a PyPI token; a job that does not publish must "
        "not hold it",
        "remove id-token: write from this job and grant it only to the publishing job",
    ),
    "publish-without-environment": Rule(
        "error",
        "without an environment, anyone who can push a workflow change can publish, with no "
        "reviewer and no way to scope the trusted publisher",
        "add 'environment: pypi' (with required reviewers in the repository settings) and name "
        "it in PyPI's trusted publisher",
    ),
    "reusable-workflow-publish": Rule(
        "error",
        "PyPI's trusted publishing does not accept a reusable workflow as the publishing identity",
        "publish from a job in the top-level workflow; build in the reusable one if you like",
    ),
    "long-lived-token": Rule(
        "error",
        "a stored API token outlives the job, can leak from logs or forks, and is not scoped to "
        "one run",
        "use trusted publishing (id-token: write) and delete the secret and the token on PyPI",
    ),
    "persisted-credentials": Rule(
        "error",
        "actions/checkout leaves the job's token in .git/config, readable by every later step "
        "and easily packed into an artifact",
        "add 'persist-credentials: false' under 'with:'",
    ),
    "cache-in-release-path": Rule(
        "error",
        "a cache written by any branch's workflow can be restored into a release build "
        "(cache poisoning)",
        "do not cache in the workflow that builds and publishes releases",
    ),
    "template-injection": Rule(
        "error",
        "a ${{ }} expression is pasted into the script before it runs, so text from a pull "
        "request, branch name or input can become shell code",
        "pass the value through 'env:' and use \"$NAME\" in the script",
    ),
    "expression-in-run": Rule(
        "warning",
        "a ${{ }} expression is pasted into the script before it runs, as code",
        "pass the value through 'env:' and use \"$NAME\" in the script",
    ),
    "dangerous-trigger": Rule(
        "error",
        "pull_request_target and workflow_run run with the base repository's secrets and "
        "permissions on code or artifacts from others",
        "trigger publishing on 'release: types: [published]' (and workflow_dispatch)",
    ),
    "publish-on-push": Rule(
        "error",
        "a publish job that runs on every push uploads whatever a branch holds, without a release",
        "trigger on 'release: types: [published]', or restrict the job to tags",
    ),
    "release-created": Rule(
        "warning",
        "'release: created' fires for releases that are never published, and together with "
        "'published' publishes twice",
        "use 'release: types: [published]'",
    ),
    "build-in-publish-job": Rule(
        "error",
        "building in the job that holds the upload token gives the build backend and every "
        "build dependency the power to publish",
        "build in its own job, pass the files as an artifact, and only upload in the publish job",
    ),
    "attestations-disabled": Rule(
        "warning",
        "without PEP 740 attestations users cannot verify which workflow built the files",
        "remove 'attestations: false'",
    ),
    "multiple-publish-steps": Rule(
        "error",
        "two uploads in one job share one token and one environment: a failure leaves one index "
        "published and the other not, and the first upload cannot be reviewed separately",
        "give each index its own job and environment",
    ),
    "gitlab-publish-without-id-token": Rule(
        "error",
        "without an 'id_tokens:' entry with audience pypi the job has no identity for trusted "
        "publishing and must fall back to a stored token",
        "add 'id_tokens: { PYPI_ID_TOKEN: { aud: pypi } }' to the job",
    ),
}

PUBLISH_ACTION = "pypa/gh-action-pypi-publish"
_PUBLISH_COMMAND = re.compile(
    r"\b(twine\s+upload|uv\s+publish|releasekit\s+publish|flit\s+publish|poetry\s+publish"
    r"|hatch\s+publish|pdm\s+publish|maturin\s+(publish|upload))\b"
)
_BUILD_COMMAND = re.compile(
    r"(-m\s+build\b|\bpip\s+wheel\b|\buv\s+build\b|\breleasekit\s+build\b|\bhatch\s+build\b"
    r"|\bpoetry\s+build\b|\bpdm\s+build\b|\bflit\s+build\b|\bcibuildwheel\b|\bmaturin\s+build\b"
    r"|setup\.py\s+(sdist|bdist_wheel))"
)
_BUILD_ACTIONS = (
    "pypa/cibuildwheel",
    "hynek/build-and-inspect-python-package",
    "PyO3/maturin-action",
)
_SIGNING_ACTIONS = ("actions/attest", "sigstore/")
_CACHING_ACTIONS = ("actions/cache",)
_SECRET_ENV = re.compile(
    r"^(TWINE_(PASSWORD|USERNAME)|UV_PUBLISH_(TOKEN|PASSWORD)|POETRY_PYPI_TOKEN_\w+"
    r"|POETRY_HTTP_BASIC_\w+_PASSWORD|RELEASEKIT_(TOKEN|PASSWORD)|FLIT_PASSWORD|HATCH_INDEX_AUTH"
    r"|PDM_PUBLISH_PASSWORD|MATURIN_PYPI_TOKEN|MATURIN_PASSWORD|PYPI_(API_)?TOKEN)$"
)
_UNTRUSTED_CONTEXT = re.compile(r"github\.(event|head_ref)|inputs\.|steps\.[^}]*outputs")
_EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
_SHA = re.compile(r"^[0-9a-f]{40}$")


def rule_finding(
    rules: dict[str, Rule], rule_id: str, path: str, line: int | None, detail: str = ""
) -> Finding:
    """A finding for ``rule_id`` at ``path:line``; ``detail`` says what exactly was found."""
    rule = rules[rule_id]
    why = f"{detail}: {rule.why}" if detail else rule.why
    return Finding(path, rule.severity, rule_id, why, rule.fix, line)


def _finding(rule_id: str, path: str, line: int | None, detail: str = "") -> Finding:
    return rule_finding(RULES, rule_id, path, line, detail)


@dataclass
class Job:
    """One job of a workflow, with what the rules ask of it."""

    key: str
    node: Node
    publish_steps: list[Node] = field(default_factory=list)

    @property
    def steps(self) -> list[Node]:
        """The job's steps (none for a job that calls a reusable workflow)."""
        node = self.node.get("steps")
        return node.items() if node is not None else []

    @property
    def publishes(self) -> bool:
        """Whether the job uploads to an index."""
        return bool(self.publish_steps)


def is_publish_step(step: Node) -> bool:
    """Whether a step uploads distributions: the PyPA action, or a known upload command."""
    uses = step.text("uses") or ""
    if uses.split("@", 1)[0] == PUBLISH_ACTION:
        return True
    return bool(_PUBLISH_COMMAND.search(step.text("run") or ""))


def _jobs(root: Node) -> list[Job]:
    jobs_node = root.get("jobs")
    jobs = [Job(key, node) for key, node in (jobs_node.mapping() if jobs_node else {}).items()]
    for job in jobs:
        job.publish_steps = [step for step in job.steps if is_publish_step(step)]
    return jobs


def _triggers(root: Node) -> dict[str, Node]:
    """The workflow's events (``on:`` as a word, a list or a mapping)."""
    on = root.get("on")
    if on is None:
        return {}
    if isinstance(on.value, str):
        return {on.value: on}
    if isinstance(on.value, list):
        return {item.value: item for item in on.value if isinstance(item.value, str)}
    return on.mapping()


def _write_scopes(permissions: Node) -> list[str]:
    if permissions.value == "write-all":
        return ["write-all"]
    return [scope for scope, level in permissions.mapping().items() if level.value == "write"]


class WorkflowAudit:
    """The rules over one GitHub Actions workflow file."""

    def __init__(self, path: str, root: Node, *, publishing_reusables: set[str]) -> None:
        self.path = path
        self.root = root
        self.jobs = _jobs(root)
        self.triggers = _triggers(root)
        self.publishing_reusables = publishing_reusables
        self.findings: list[Finding] = []

    def add(self, rule_id: str, node: Node | None, detail: str = "") -> None:
        """Record a finding at ``node``'s line."""
        self.findings.append(_finding(rule_id, self.path, node.line if node else None, detail))

    @property
    def publishes(self) -> bool:
        """Whether any job uploads, or calls a local reusable workflow that does."""
        return any(job.publishes for job in self.jobs) or bool(self._publishing_calls())

    def _publishing_calls(self) -> list[Job]:
        return [
            job
            for job in self.jobs
            if (job.node.text("uses") or "").removeprefix("./") in self.publishing_reusables
        ]

    def run(self) -> list[Finding]:
        """Every finding for this workflow (none when it does not publish)."""
        if not self.publishes:
            return []
        self._trigger_rules()
        self._permission_rules()
        self._secrets("the workflow", self.root.get("env"))
        for job in self._publishing_calls():
            self.add("reusable-workflow-publish", job.node.get("uses"), f"job '{job.key}'")
        for job in self.jobs:
            self._job(job)
        return self.findings

    def _trigger_rules(self) -> None:
        for name in ("pull_request_target", "workflow_run"):
            if name in self.triggers:
                self.add("dangerous-trigger", self.triggers[name], name)
        if "workflow_call" in self.triggers and any(job.publishes for job in self.jobs):
            self.add(
                "reusable-workflow-publish", self.triggers["workflow_call"], "on: workflow_call"
            )
        release = self.triggers.get("release")
        types = release.get("types") if release is not None else None
        for item in types.items() if types is not None else []:
            if item.value == "created":
                self.add("release-created", item)
        push = self.triggers.get("push")
        tag_only = (
            push is not None and push.get("tags") is not None and push.get("branches") is None
        )
        if push is not None and not tag_only:
            for job in self.jobs:
                condition = job.node.text("if") or ""
                if job.publishes and "refs/tags" not in condition and "release" not in condition:
                    self.add(
                        "publish-on-push", job.node.get("runs-on") or job.node, f"job '{job.key}'"
                    )

    def _permission_rules(self) -> None:
        top = self.root.get("permissions")
        if top is None:
            for job in self.jobs:
                if job.node.get("permissions") is None and job.node.get("uses") is None:
                    self.add("default-permissions", job.node, f"job '{job.key}'")
            return
        writes = _write_scopes(top)
        if writes:
            self.add("workflow-level-permissions", top, ", ".join(writes))

    def _job(self, job: Job) -> None:
        permissions = job.node.get("permissions")
        writes = _write_scopes(permissions) if permissions is not None else []
        signs = any((step.text("uses") or "").startswith(_SIGNING_ACTIONS) for step in job.steps)
        if "write-all" in writes:
            self.add("excessive-permissions", permissions, f"job '{job.key}'")
        elif "id-token" in writes and not job.publishes and not signs:
            self.add("id-token-without-publish", permissions, f"job '{job.key}'")
        if job.publishes and job.node.get("environment") is None:
            self.add(
                "publish-without-environment",
                job.node.get("runs-on") or job.node,
                f"job '{job.key}'",
            )
        if len(job.publish_steps) > 1:
            self.add("multiple-publish-steps", job.publish_steps[1], f"job '{job.key}'")
        if job.publishes:
            self._secrets(f"job '{job.key}'", job.node.get("env"))
        for step in job.steps:
            self._step(job, step)

    def _secrets(self, owner: str, env: Node | None) -> None:
        """A token handed to a publishing job through ``env:`` (``owner`` names who sets it)."""
        for name, value in (env.mapping() if env is not None else {}).items():
            text = value.value if isinstance(value.value, str) else ""
            if _SECRET_ENV.match(name) or "secrets." in text:
                self.add("long-lived-token", value, f"{owner} passes {name} through env")

    def _step(self, job: Job, step: Node) -> None:
        uses_node = step.get("uses")
        uses = step.text("uses") or ""
        action, _, ref = uses.partition("@")
        if uses and not uses.startswith("./"):
            pinned = (uses.startswith("docker://") and "@sha256:" in uses) or _SHA.match(ref)
            if not pinned:
                self.add("unpinned-action", uses_node, uses)
        with_ = step.get("with")
        persist = with_.text("persist-credentials") if with_ is not None else None
        if action == "actions/checkout" and (persist or "").lower() != "false":
            self.add("persisted-credentials", uses_node)
        if action.startswith(_CACHING_ACTIONS) or (
            with_ is not None
            and (with_.get("cache") is not None or with_.text("enable-cache") == "true")
        ):
            self.add("cache-in-release-path", uses_node or step, uses)
        run = step.get("run")
        for expression in _EXPRESSION.findall(
            run.value if run and isinstance(run.value, str) else ""
        ):
            rule = (
                "template-injection"
                if _UNTRUSTED_CONTEXT.search(expression)
                else "expression-in-run"
            )
            self.add(rule, run, "${{" + expression + "}}")
        if step in job.publish_steps:
            self._publish_step(job, step, with_)
        elif job.publishes and (
            _BUILD_COMMAND.search(step.text("run") or "") or action.startswith(_BUILD_ACTIONS)
        ):
            self.add("build-in-publish-job", run or uses_node, f"job '{job.key}'")

    def _publish_step(self, job: Job, step: Node, with_: Node | None) -> None:
        inputs = with_.mapping() if with_ is not None else {}
        for name in ("password", "user"):
            if name in inputs and (name == "password" or "secrets." in (inputs[name].text() or "")):
                self.add("long-lived-token", inputs[name], f"'{name}' given to the publisher")
        attestations = inputs.get("attestations")
        if attestations is not None and (attestations.text() or "").lower() == "false":
            self.add("attestations-disabled", attestations)
        self._secrets(f"job '{job.key}'", step.get("env"))
        run = step.text("run") or ""
        if re.search(r"(--password|-p)\s+\S*\$\{\{\s*secrets\.", run):
            self.add("long-lived-token", step.get("run"), "a secret on the command line")


def read_workflow(path: Path, shown: str) -> tuple[Node | None, list[Finding]]:
    """Parse a workflow file; a syntax error is a finding, not an exception.

    So is a file beyond the parser's bounds (size, nesting, alias expansion: ``yaml_nodes``);
    no more than one character past the size bound is read.
    """
    try:
        with path.open(encoding="utf-8") as handle:
            text = handle.read(MAX_CHARS + 1)
        return parse(text), []
    except (OSError, UnicodeDecodeError) as exc:
        return None, [_finding("workflow-invalid-yaml", shown, None, f"cannot read it ({exc})")]
    except YamlSyntaxError as exc:
        return None, [_finding("workflow-invalid-yaml", shown, exc.line, str(exc))]


@dataclass(frozen=True)
class PublishingJob:
    """A job that publishes, for the trusted-publisher values doctor prints."""

    workflow: str  # path relative to the root
    job: str
    environment: str | None
    index: str  # pypi or testpypi


def _environment_name(node: Node | None) -> str | None:
    """An environment written as a name, or as a mapping with ``name:``."""
    if node is None:
        return None
    return node.text() if isinstance(node.value, str) else node.text("name")


def _index_of(step: Node) -> str:
    text = " ".join(node.value for node in step.walk_strings() if isinstance(node.value, str))
    return "testpypi" if "test.pypi.org" in text or "testpypi" in text else "pypi"


def audit_github(root: Path) -> tuple[list[Finding], list[PublishingJob]]:
    """Audit every workflow in ``.github/workflows`` that publishes."""
    folder = root / ".github" / "workflows"
    files = (
        sorted(p for p in folder.glob("*") if p.suffix in {".yml", ".yaml"})
        if folder.is_dir()
        else []
    )
    parsed: dict[str, Node] = {}
    findings: list[Finding] = []
    for path in files:
        shown = path.relative_to(root).as_posix()
        node, problems = read_workflow(path, shown)
        findings += problems
        if node is not None:
            parsed[shown] = node
    reusables = {
        shown
        for shown, node in parsed.items()
        if "workflow_call" in _triggers(node) and any(job.publishes for job in _jobs(node))
    }
    jobs: list[PublishingJob] = []
    for shown, node in parsed.items():
        audit = WorkflowAudit(shown, node, publishing_reusables=reusables)
        findings += audit.run()
        for job in audit.jobs:
            if job.publishes and shown not in reusables:
                environment = _environment_name(job.node.get("environment"))
                jobs.append(
                    PublishingJob(shown, job.key, environment, _index_of(job.publish_steps[0]))
                )
    return findings, jobs


def audit_gitlab(root: Path) -> tuple[list[Finding], list[PublishingJob]]:
    """Audit GitLab CI files (``.gitlab-ci.yml`` and ``.gitlab/*.yml``) for publishing jobs."""
    files = [root / ".gitlab-ci.yml"] if (root / ".gitlab-ci.yml").is_file() else []
    folder = root / ".gitlab"
    files += sorted(p for p in folder.glob("*.yml")) if folder.is_dir() else []
    findings: list[Finding] = []
    jobs: list[PublishingJob] = []
    for path in files:
        shown = path.relative_to(root).as_posix()
        node, problems = read_workflow(path, shown)
        findings += problems
        for key, job in (node.mapping() if node is not None else {}).items():
            script = job.get("script")
            lines = [n for n in script.items() if isinstance(n.value, str)] if script else []
            publishing = [n for n in lines if _PUBLISH_COMMAND.search(str(n.value))]
            if not publishing:
                continue
            where = publishing[0]
            environment = job.get("environment")
            if environment is None:
                findings.append(
                    _finding("publish-without-environment", shown, job.line, f"job '{key}'")
                )
            if job.get("id_tokens") is None:
                findings.append(
                    _finding("gitlab-publish-without-id-token", shown, job.line, f"job '{key}'")
                )
            variables = job.get("variables")
            for name, value in (variables.mapping() if variables is not None else {}).items():
                if _SECRET_ENV.match(name):
                    findings.append(
                        _finding("long-lived-token", shown, value.line, f"job '{key}' sets {name}")
                    )
            if len(publishing) > 1:
                findings.append(
                    _finding("multiple-publish-steps", shown, publishing[1].line, f"job '{key}'")
                )
            index = "testpypi" if "testpypi" in str(where.value) else "pypi"
            jobs.append(PublishingJob(shown, key, _environment_name(environment), index))
    return findings, jobs
