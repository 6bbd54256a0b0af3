"""The audit of GitHub Actions workflows that publish: what a copied workflow gets wrong, by line.

General linters judge every workflow alike; these rules know what publishing needs. A publishing
job must hold the only identity token, run in a protected environment, take no long-lived
secret, upload files built elsewhere, and be reachable only from a deliberate release. Which
events reach an upload is computed from the triggers and the ``if:`` conditions
(``gh_events``, ``gh_expressions``), not guessed from substrings; a condition doctor cannot judge
makes a finding a warning, never an error. The rules' texts are in ``workflow_rules.RULES``;
GitLab CI is audited by ``gitlab_ci``.
"""

from __future__ import annotations

import re
from pathlib import Path

from releasekit.findings import Finding, Severity
from releasekit.gh_events import intersects
from releasekit.gh_workflows import Job, Repository, Workflow, read_workflow
from releasekit.gitlab_ci import audit_gitlab
from releasekit.job_packages import Attribution, GitHubAttribution, workspace_of
from releasekit.packages import Workspace
from releasekit.project_root import top_level
from releasekit.publisher_duplicates import github_duplicates
from releasekit.publishing_job import PublishingJob
from releasekit.workflow_rules import RULES, Rule, finding, rule_finding
from releasekit.workflow_steps import (
    action_of,
    cache_of,
    expression_risk,
    inputs_of,
    is_build_step,
    uses_identity_token,
)
from releasekit.workflow_uploads import (
    PUBLISH_ACTION,
    Upload,
    chosen_at_run_time,
    is_secret_name,
)
from releasekit.yaml_nodes import Node

__all__ = [
    "PUBLISH_ACTION",
    "RULES",
    "PublishingJob",
    "Rule",
    "audit_github",
    "audit_gitlab",
    "read_workflow",
    "rule_finding",
]

_SHOWN = 3  # expressions named in one finding
_EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
_SHA = re.compile(r"^[0-9a-f]{40}$")
_SECRET = re.compile(r"secrets\.(\w+)", re.IGNORECASE)
_PASSWORD_OPTION = re.compile(r"(--password|-p|--token|-t)[\s=]+\S*\$\{\{\s*secrets\.")
# ``export TWINE_PASSWORD="${{ secrets.X }}"`` inside the script, as env: would have done.
_SECRET_ASSIGNMENT = re.compile(r"\b([A-Z][A-Z0-9_]*)=[\"']?\$\{\{\s*secrets\.")
_SCOPED_ADVICE = (  # advice about tokens, not one
    "this index does not offer trusted publishing: keep the token scoped to this one project, "
    "store it as a secret of the publishing job's environment, and rotate it"
)


def _write_scopes(permissions: Node) -> list[str]:
    if permissions.value == "write-all":
        return ["write-all"]
    return [scope for scope, level in permissions.mapping().items() if level.value == "write"]


def _environment_name(node: Node | None) -> str | None:
    """An environment written as a name, or as a mapping with ``name:``."""
    if node is None:
        return None
    return node.text() if isinstance(node.value, str) else node.text("name")


class WorkflowAudit:
    """The rules over one GitHub Actions workflow file, within its repository's graph."""

    def __init__(self, repo: Repository, workflow: Workflow, path: set[tuple[str, str]]) -> None:
        self.repo = repo
        self.workflow = workflow
        self.path = path
        self.findings: list[Finding] = []

    def add(
        self,
        rule_id: str,
        line: int | None,
        detail: str = "",
        *,
        severity: Severity | None = None,
        hint: str | None = None,
    ) -> None:
        """Record a finding at ``line`` of this workflow."""
        self.findings.append(
            finding(rule_id, self.workflow.file, line, detail, severity=severity, hint=hint)
        )

    def run(self) -> list[Finding]:
        """Every finding for this workflow (none when it does not publish)."""
        if not self.repo.publishes(self.workflow):
            return []
        self._trigger_rules()
        self._permission_rules()
        self._workflow_env()
        for job in self.workflow.jobs.values():
            self._job(job)
        return self.findings

    def _trigger_rules(self) -> None:
        triggers = self.workflow.triggers
        for name in ("pull_request_target", "workflow_run"):
            if name in triggers:
                self.add("dangerous-trigger", triggers[name].where, name)
        publishing = [job for job in self.workflow.jobs.values() if job.publishes]
        if "workflow_call" in triggers and publishing:
            callers = [f"{job.file} (job '{job.key}')" for job in self.workflow.callers]
            detail = "called from " + (", ".join(callers) or "another workflow")
            self.add("reusable-workflow-publish", triggers["workflow_call"].where, detail)
        release = triggers.get("release")
        types = release.get("types") if release is not None else None
        reaches = [self.repo.reach(job, step) for job in publishing for step, _ in job.uploads]
        for item in types.items() if types is not None else []:
            if item.value == "created" and any(
                e.label == "release created" for r in reaches for e in r.possible()
            ):
                self.add("release-created", item.line)
        for job in publishing:
            self._publish_on_push(job)

    def _publish_on_push(self, job: Job) -> None:
        """An upload that a push to a branch can reach: an error when surely, else a warning."""
        certain: list[str] = []
        possible: list[str] = []
        unknown: set[str] = set()
        for step, _ in job.real_uploads:
            reach = self.repo.reach(job, step)
            for event, truth in reach.truths:
                if not event.branch_push or truth is False:
                    continue
                # Unknown only because the event stands for many refs (branches: ['*']):
                # some push of that kind meets the condition, so the upload is reachable.
                if truth is True or not reach.unknown:
                    certain.append(event.label)
                else:
                    possible.append(event.label)
                    unknown |= reach.unknown
        line = job.node.where
        if certain:
            self.add("publish-on-push", line, f"job '{job.key}' uploads on {certain[0]}")
        elif possible:
            terms = ", ".join(sorted(unknown)) or "the condition"
            self.add(
                "publish-on-push",
                line,
                f"job '{job.key}' may upload on {possible[0]} (doctor cannot judge {terms})",
                severity="warning",
            )

    def _permission_rules(self) -> None:
        top = self.workflow.root.get("permissions")
        if top is None:
            if self.workflow.callers:
                return  # a called workflow's token is the calling job's, limited there
            for job in self.workflow.jobs.values():
                if job.node.get("permissions") is None and job.node.get("uses") is None:
                    self.add("default-permissions", job.node.where, f"job '{job.key}'")
            return
        writes = _write_scopes(top)
        if writes:
            self.add("workflow-level-permissions", top.where, ", ".join(writes))

    def _workflow_env(self) -> None:
        env = self.workflow.root.get("env")
        publishing = [job for job in self.workflow.jobs.values() if job.publishes]
        if env is not None and publishing:
            self._credentials("the workflow", env, _indexes(publishing))

    def _uses_token(self, job: Job, seen: set[str] | None = None) -> bool:
        """Whether the job has a use for its identity token."""
        if job.uploads or job.remote_call or any(uses_identity_token(s) for s in job.steps):
            return True
        seen = seen if seen is not None else set()
        if job.callee is None or job.callee in seen:
            return False
        seen.add(job.callee)
        called = self.repo.workflows[job.callee].jobs.values()
        return any(self._uses_token(j, seen) for j in called)

    def _job(self, job: Job) -> None:
        permissions = job.node.get("permissions")
        writes = _write_scopes(permissions) if permissions is not None else []
        if "write-all" in writes:
            self.add(
                "excessive-permissions",
                permissions.where if permissions else None,
                f"job '{job.key}'",
            )
        elif "id-token" in writes and not self._uses_token(job):
            where = permissions.get("id-token") if permissions is not None else None
            self.add(
                "id-token-without-publish",
                where.where if where else job.node.where,
                f"job '{job.key}'",
            )
        uses = job.node.get("uses")
        if uses is not None and job.callee is None:
            self._pinned(uses)
        if job.publishes:
            self._publishing_job(job)
        on_path = (job.file, job.key) in self.path
        for step in job.steps:
            self._step(job, step, on_path)

    def _publishing_job(self, job: Job) -> None:
        indexes = _indexes([job])
        if job.node.get("environment") is None:
            self.add("publish-without-environment", job.node.where, f"job '{job.key}'")
        env = job.node.get("env")
        if env is not None:
            self._credentials(f"job '{job.key}'", env, indexes)
        reported: set[int] = set()
        uploads = job.real_uploads
        for position, (step, upload) in enumerate(uploads):
            for earlier_step, earlier in uploads[:position]:
                if earlier.index != upload.index or id(step) in reported:
                    continue
                if earlier_step is step or intersects(
                    self.repo.reach(job, earlier_step), self.repo.reach(job, step)
                ):
                    reported.add(id(step))
                    self.add(
                        "multiple-publish-steps",
                        upload.line,
                        f"job '{job.key}' uploads to {upload.index} twice "
                        f"(lines {earlier.line} and {upload.line})",
                    )
        upload_steps = {id(step) for step, _ in job.uploads}
        for step in job.steps:
            if id(step) in upload_steps:
                self._upload_step(job, step, [u for s, u in job.uploads if s is step])
            if is_build_step(step):
                where = step.get("run") or step.get("uses") or step
                self.add("build-in-publish-job", where.where, f"job '{job.key}'")

    def _credentials(self, owner: str, env: Node, indexes: set[str]) -> bool:
        """Upload credentials from stored secrets in an ``env:`` of a publishing job.

        One finding for the first such variable; True when there was one.
        """
        for name, value in env.mapping().items():
            text = value.text() or ""
            secret = _SECRET.search(text)
            if is_secret_name(name) or (secret and "PYPI" in secret.group(1).upper()):
                self._long_lived(value.where, f"{owner} passes {name} through env", indexes)
                return True
        return False

    def _long_lived(self, line: int, detail: str, indexes: set[str]) -> None:
        if indexes and not any(i in {"pypi", "testpypi"} or chosen_at_run_time(i) for i in indexes):
            self.add("long-lived-token", line, detail, severity="warning", hint=_SCOPED_ADVICE)
        else:
            self.add("long-lived-token", line, detail)

    def _upload_step(self, job: Job, step: Node, uploads: list[Upload]) -> None:
        """The upload step's own rules; one ``long-lived-token`` at most, the first place."""
        indexes = {u.index for u in uploads}
        inputs = step.get("with")
        given = inputs.mapping() if inputs is not None else {}
        token_found = False
        if action_of(step)[0] == PUBLISH_ACTION:
            for name in ("password", "user"):
                value = given.get(name)
                if value is not None and (name == "password" or "secrets." in (value.text() or "")):
                    self._long_lived(value.where, f"'{name}' given to the publisher", indexes)
                    token_found = True
                    break
            attestations = given.get("attestations")
            if attestations is not None and (attestations.text() or "").lower() == "false":
                self.add("attestations-disabled", attestations.where)
        env = step.get("env")
        if not token_found and env is not None:
            token_found = self._credentials(f"job '{job.key}'", env, indexes)
        run = step.get("run")
        script = run.text() or "" if run is not None else ""
        if not token_found and run is not None and _PASSWORD_OPTION.search(script):
            self._long_lived(run.where, "a secret on the command line", indexes)
            token_found = True
        assigned = [m for m in _SECRET_ASSIGNMENT.findall(script) if is_secret_name(m)]
        if not token_found and run is not None and assigned:
            self._long_lived(run.where, f"the script sets {assigned[0]} from a secret", indexes)

    def _pinned(self, uses: Node) -> None:
        text = uses.text() or ""
        _, _, ref = text.partition("@")
        if not text or text.startswith("./"):
            return
        pinned = (text.startswith("docker://") and "@sha256:" in text) or _SHA.match(ref)
        if not pinned:
            self.add("unpinned-action", uses.where, text)

    def _step(self, job: Job, step: Node, on_path: bool) -> None:
        uses = step.get("uses")
        action, _ = action_of(step)
        if uses is not None:
            self._pinned(uses)
            inputs = inputs_of(step)
            if action == "actions/checkout" and inputs.get("persist-credentials", "").lower() != (
                "false"
            ):
                self.add("persisted-credentials", uses.where)
            if on_path:
                line_text = self.workflow.line_text(uses.where)
                cache = cache_of(step, job.runs_on, line_text)
                if cache is not None:
                    self.add("cache-in-release-path", uses.where, f"job '{job.key}': {cache}")
        self._expressions(step, action)

    def _expressions(self, step: Node, action: str) -> None:
        """One finding per step for ``${{ }}`` pasted into a script, by the worst expression."""
        script = step.get("run")
        if script is None and action == "actions/github-script":
            inputs = step.get("with")
            script = inputs.get("script") if inputs is not None else None
        text = script.text() if script is not None else None
        if script is None or text is None:
            return
        found = [e.strip() for e in _EXPRESSION.findall(text)]
        if not found:
            return
        risks = {expression: expression_risk(expression) for expression in found}
        for risk, rule, severity in (
            ("attacker", "template-injection", None),
            ("indirect", "template-injection", "warning"),
            ("constant", "expression-in-run", None),
        ):
            chosen = [e for e, r in risks.items() if r == risk]
            if chosen:
                shown = ", ".join("${{ " + e + " }}" for e in chosen[:_SHOWN])
                more = f" and {len(chosen) - _SHOWN} more" if len(chosen) > _SHOWN else ""
                self.add(rule, script.where, shown + more, severity=severity)  # type: ignore[arg-type]
                return


def _indexes(jobs: list[Job]) -> set[str]:
    return {upload.index for job in jobs for _, upload in job.real_uploads}


def audit_github(
    root: Path, workspace: Workspace | None = None
) -> tuple[list[Finding], list[PublishingJob]]:
    """Audit every workflow in ``.github/workflows`` of the repository ``root`` is in.

    Workflows are read at the git work tree's top, so a project in a subfolder is audited with
    the workflows that publish it; paths in the findings are relative to that top. Each job
    found names the packages it publishes (``job_packages``), read against ``workspace``
    (discovered from ``root`` when not given).
    """
    repo = Repository(top_level(root))
    if workspace is None:
        workspace = workspace_of(root)
    reader = GitHubAttribution(repo, Attribution(repo.top, workspace))
    path = repo.release_path()
    findings = list(repo.findings)
    jobs: list[PublishingJob] = []
    packages: dict[tuple[str, str], tuple[str, ...]] = {}
    for workflow in repo.workflows.values():
        findings += WorkflowAudit(repo, workflow, path).run()
        for job in workflow.jobs.values():
            if not job.publishes:
                continue
            caller = workflow.callers[0].file if workflow.callers else None
            environment = _environment_name(job.node.get("environment"))
            published = reader.folders(job)
            packages[(job.file, job.key)] = published
            indexes = list(dict.fromkeys(upload.index for _, upload in job.real_uploads))
            jobs += [
                PublishingJob(
                    workflow.file,
                    job.key,
                    environment,
                    index,
                    "github",
                    caller=caller,
                    folders=published,
                    line=job.node.where,
                )
                for index in indexes
            ]
    findings += github_duplicates(repo, packages)
    return findings, jobs
