"""The rules doctor applies to CI workflows that publish: id, severity, why and fix, in one table.

``workflow_audit`` (GitHub Actions) and ``gitlab_ci`` (GitLab CI) report findings by these ids;
docs/init-and-doctor.md lists them with what fires and what does not.
"""

from __future__ import annotations

from releasekit.findings import Finding, Severity
from releasekit.records import frozen


@frozen
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
        "warning",
        "id-token: write lets the job mint a PyPI token, and nothing in this job uses it (no "
        "upload, attestation, signature, other registry's or cloud's trusted publishing, or "
        "called workflow that does)",
        "remove id-token: write from this job and grant it only to the job that uses it",
    ),
    "publish-without-environment": Rule(
        "error",
        "without an environment, anyone who can push a workflow change can publish, with no "
        "reviewer and no way to scope the trusted publisher",
        "add 'environment: pypi' (with required reviewers in the repository settings) and name "
        "it in PyPI's trusted publisher",
    ),
    "reusable-workflow-publish": Rule(
        "info",
        "PyPI matches a called workflow by the called file (the token's job_workflow_ref) in "
        "the calling repository, with the environment of the job that uploads; the caller's "
        "file name is not compared",
        "register the called workflow's file name and its job's environment on PyPI (the "
        "trusted-publisher values below name them); PyPI's documentation calls reusable "
        "workflows unsupported, so publishing from the top-level file is the safer layout",
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
        "a ${{ }} expression is pasted into the script before it runs, so text someone else "
        "wrote (a title, body, commit message or branch name) can become shell code",
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
        "trigger on 'release: types: [published]', or restrict the job to tags (if: "
        "startsWith(github.ref, 'refs/tags/'))",
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
        "two uploads to the same index can both run in one job: the second fails on files the "
        "first uploaded, or uploads files the first did not check",
        "upload once per index, or make the uploads exclusive with if: conditions",
    ),
    "duplicate-publisher": Rule(
        "error",
        "two publishers upload the project to the same index on one release: the second "
        "upload fails with 'File already exists', or the index gets files from both builds, "
        "whichever run wins the race",
        "keep one: delete the other publishing job (or its file), remove its trusted publisher "
        "on the index, and revoke its token and secret; a second path you want kept for manual "
        "re-runs should start only on workflow_dispatch (GitLab: when: manual)",
    ),
    "gitlab-publish-without-id-token": Rule(
        "error",
        "without an 'id_tokens:' entry with audience pypi the job has no identity for trusted "
        "publishing and must fall back to a stored token",
        "add 'id_tokens: { PYPI_ID_TOKEN: { aud: pypi } }' to the job",
    ),
}


def rule_finding(
    rules: dict[str, Rule],
    rule_id: str,
    path: str,
    line: int | None,
    detail: str = "",
    *,
    severity: Severity | None = None,
    hint: str | None = None,
) -> Finding:
    """A finding for ``rule_id`` at ``path:line``; ``detail`` says what exactly was found.

    ``severity`` and ``hint`` replace the rule's own when the case is milder (a condition doctor
    could not judge) or the usual fix does not apply (an index without trusted publishing).
    """
    rule = rules[rule_id]
    why = f"{detail}: {rule.why}" if detail else rule.why
    return Finding(path, severity or rule.severity, rule_id, why, hint or rule.fix, line)


def finding(
    rule_id: str,
    path: str,
    line: int | None,
    detail: str = "",
    *,
    severity: Severity | None = None,
    hint: str | None = None,
) -> Finding:
    """A finding of one of the workflow ``RULES``."""
    return rule_finding(RULES, rule_id, path, line, detail, severity=severity, hint=hint)
