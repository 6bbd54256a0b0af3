"""The values PyPI's trusted-publisher form asks for, derived from the repository.

``init`` writes them into the publishing guide and ``doctor`` prints them, from this one place, so
the two never disagree with each other or with the workflow that will present the identity.
"""

from __future__ import annotations

from releasekit.records import frozen
from releasekit.repo_facts import CiKind, ProjectFacts, Remote

GITHUB_WORKFLOW = ".github/workflows/publish.yml"
GITLAB_PIPELINE = ".gitlab/publish.gitlab-ci.yml"
# PyPI identifies a GitLab pipeline by its top-level file, which includes ours.
GITLAB_TOP_LEVEL = ".gitlab-ci.yml"


@frozen
class Index:
    """PyPI or TestPyPI, as the guide and the workflow name them."""

    key: str  # the --repository name
    label: str
    host: str

    def project_url(self, normalized: str) -> str:
        """The project's page, shown as the environment's URL."""
        return f"https://{self.host}/project/{normalized}/"

    def publishing_url(self, normalized: str) -> str:
        """Where an existing project's trusted publishers are managed."""
        return f"https://{self.host}/manage/project/{normalized}/settings/publishing/"

    @property
    def pending_url(self) -> str:
        """Where a publisher is registered for a project that does not exist yet."""
        return f"https://{self.host}/manage/account/publishing/"


PYPI = Index("pypi", "PyPI", "pypi.org")
TESTPYPI = Index("testpypi", "TestPyPI", "test.pypi.org")


def form_values(facts: ProjectFacts, ci: CiKind, environment: str) -> list[tuple[str, str]]:
    """(field, value) pairs in the order PyPI's form shows them for ``ci``."""
    remote = facts.remote
    owner = remote.owner if remote is not None else "<owner>"
    repo = remote.name if remote is not None else "<repository>"
    if ci == "gitlab":
        return [
            ("PyPI Project Name", facts.name),
            ("Namespace", owner),
            ("Project name", repo),
            ("Top-level pipeline file path", GITLAB_TOP_LEVEL),
            ("Environment name", environment),
        ]
    return [
        ("PyPI Project Name", facts.name),
        ("Owner", owner),
        ("Repository name", repo),
        ("Workflow name", GITHUB_WORKFLOW.rsplit("/", 1)[1]),
        ("Environment name", environment),
    ]


def publisher_values(
    name: str, remote: Remote | None, ci: CiKind, workflow_file: str, environment: str | None
) -> list[tuple[str, str]]:
    """The form's values for a publishing job doctor found, in the form's order.

    GitHub: ``workflow_file`` is the file that holds the uploading job, which for a called
    (reusable) workflow is the called file: PyPI reads it from the token's ``job_workflow_ref``
    (docs/trusted-publishing.md). GitLab: PyPI compares the top-level pipeline file, whatever
    file the job is written in. A job without an environment gets a reminder to add one.
    """
    owner = remote.owner if remote is not None else "<owner>"
    repo = remote.name if remote is not None else "<repository>"
    shown_environment = environment or "(none: add one to the job)"
    if ci == "gitlab":
        return [
            ("PyPI Project Name", name),
            ("Namespace", owner),
            ("Project name", repo),
            ("Top-level pipeline file path", GITLAB_TOP_LEVEL),
            ("Environment name", shown_environment),
        ]
    return [
        ("PyPI Project Name", name),
        ("Owner", owner),
        ("Repository name", repo),
        ("Workflow name", workflow_file),
        ("Environment name", shown_environment),
    ]
