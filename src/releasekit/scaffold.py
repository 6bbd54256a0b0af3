"""``releasekit init``: a dedicated publish workflow, its guide and a release script, tailored.

Everything is rendered from the templates in ``releasekit/templates`` and the repository's facts,
then written next to, never over, what the repository already has: an existing file is skipped
unless ``--force`` says otherwise, and existing CI is never edited. Existing CI is read for one
thing: whether something already publishes, because a second publisher would race the first on
every release. The workflow is assembled from job fragments, so each shape (pure, cibuildwheel
or maturin, with or without tests and TestPyPI, either publisher) is a composition of the same
reviewed pieces.
"""

from __future__ import annotations

import os
import re
import tempfile
from importlib import resources
from pathlib import Path
from typing import Literal

from releasekit import __version__, pins
from releasekit.changelog_files import find_changelog
from releasekit.config import Settings, load_project, resolve_settings
from releasekit.errors import ReleaseError, UsageError
from releasekit.git import Git
from releasekit.project_meta import static_name
from releasekit.records import frozen, replace
from releasekit.repo_facts import CiKind, ProjectFacts, read_facts
from releasekit.tags import read_history
from releasekit.towncrier import towncrier_config
from releasekit.trusted_publisher import (
    GITHUB_WORKFLOW,
    GITLAB_PIPELINE,
    PYPI,
    TESTPYPI,
    Index,
    form_values,
)
from releasekit.workflow_audit import PublishingJob, audit_github, audit_gitlab

Publisher = Literal["action", "releasekit"]
GUIDE = "PYPI_PUBLISHING_GUIDE.md"
SCRIPT = "prepare-release.sh"
DEPENDABOT = ".github/dependabot.yml"
_ENVIRONMENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$")
_WORKFLOW_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,250}\.(yml|yaml)$")
_PLACEHOLDER = re.compile(r"@@([A-Z_]+)@@")
# Every workflow and pipeline init writes says so in its header: how init tells its own
# publishing workflow (which --force may replace) from the maintainer's (which it never does).
INIT_MARKER = "Written by `releasekit init`"
# Suggested --name values when the repository already publishes.
SUGGESTED_NAME = {"github": "release-releasekit.yml", "gitlab": "releasekit.gitlab-ci.yml"}
# maturin's own build action, pinned like every action in ``pins`` (kept here until that table
# takes it, so that doctor knows it too).
MATURIN_ACTION = pins.ActionPin(
    "PyO3/maturin-action", "e83996d129638aa358a18fbd1dfb82f0b0fb5d3b", "v1.51.0"
)
# cibuildwheel builds Linux wheels in manylinux/musllinux containers, which have no Rust.
_RUSTUP_BEFORE_ALL = (
    "curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal"
)


class InitError(ReleaseError):
    """A file cannot be written (exit 1)."""


@frozen
class InitOptions:
    """What the command line asked ``init`` for."""

    ci: CiKind = "github"
    environment: str = "pypi"
    testpypi: bool = False
    publisher: Publisher = "action"
    dependabot: bool = False
    force: bool = False
    name: str | None = None  # the workflow file's name (--name), beside existing publishing

    @property
    def workflow(self) -> str:
        """The path of the workflow (GitHub) or pipeline (GitLab) init writes."""
        if self.ci == "gitlab":
            return GITLAB_PIPELINE if self.name is None else f".gitlab/{self.name}"
        return GITHUB_WORKFLOW if self.name is None else f".github/workflows/{self.name}"


@frozen
class PlannedFile:
    """One file ``init`` would write."""

    path: str  # relative to the project root, with forward slashes
    content: str
    executable: bool = False
    precious: bool = False  # holds the maintainer's own text: never replaced, even with --force
    describes: str | None = None  # the workflow this file explains: written only with it


@frozen
class InitResult:
    """What ``init`` wrote, what it left alone, and what the maintainer does next."""

    written: list[str]
    skipped: list[tuple[str, str]]  # (path, why it was left alone)
    next_steps: list[str]
    facts: ProjectFacts
    existing: list[PublishingJob]  # publishing init found elsewhere and left in place (--name)


def template(name: str) -> str:
    """The text of a template shipped in ``releasekit/templates``."""
    return resources.files("releasekit").joinpath("templates", name).read_text(encoding="utf-8")


def render(text: str, values: dict[str, str]) -> str:
    """Fill ``@@NAME@@`` placeholders; a placeholder without a value is a bug, not output."""

    def fill(match: re.Match[str]) -> str:
        return values[match.group(1)]

    return _PLACEHOLDER.sub(fill, text)


def releasekit_requirement(facts: ProjectFacts) -> str:
    """How a workflow installs releasekit: this exact version (its own source, for itself)."""
    return "." if facts.normalized == "releasekit" else f'"releasekit=={__version__}"'


def releasekit_attest_requirement(facts: ProjectFacts) -> str:
    """``releasekit_requirement`` with the ``attest`` extra, which signs PEP 740 attestations."""
    if facts.normalized == "releasekit":
        return '".[attest]"'
    return f'"releasekit[attest]=={__version__}"'


def _indexes(options: InitOptions) -> list[tuple[Index, str]]:
    """The indexes the workflow publishes to, in order, each with its environment's name."""
    targets = [(PYPI, options.environment)]
    if options.testpypi:
        targets.insert(0, (TESTPYPI, "testpypi"))
    return targets


def _fetch_depth(facts: ProjectFacts) -> str:
    """A whole-history checkout for builds whose version comes from the git tags."""
    if facts.tag_versioned is None:
        return ""
    return f"\n          fetch-depth: 0 # {facts.tag_versioned} reads the version from the tags"


def _cibuildwheel_env(facts: ProjectFacts) -> str:
    """Install Rust in cibuildwheel's Linux containers, unless the project sets that up itself."""
    if not facts.rust or facts.linux_setup_is_own:
        return ""
    return (
        "\n        env:"
        f'\n          CIBW_BEFORE_ALL_LINUX: "{_RUSTUP_BEFORE_ALL}"'
        "\n          CIBW_ENVIRONMENT_LINUX: 'PATH=\"$HOME/.cargo/bin:$PATH\"'"
    )


def _common_values(facts: ProjectFacts, options: InitOptions) -> dict[str, str]:
    return {
        "PROJECT": facts.name,
        "RELEASEKIT": releasekit_requirement(facts),
        "RELEASEKIT_ATTEST": releasekit_attest_requirement(facts),
        "TEST_REQUIREMENTS": facts.tests.requirements,
        "TEST_COMMAND": facts.tests.command,
        "TEST_STEP_NAME": facts.tests.step_name,
        "CHECKOUT": pins.CHECKOUT.uses,
        "SETUP_PYTHON": pins.SETUP_PYTHON.uses,
        "UPLOAD_ARTIFACT": pins.UPLOAD_ARTIFACT.uses,
        "DOWNLOAD_ARTIFACT": pins.DOWNLOAD_ARTIFACT.uses,
        "PYPI_PUBLISH": pins.PYPI_PUBLISH.uses,
        "BUILD": pins.BUILD,
        "CIBUILDWHEEL": pins.CIBUILDWHEEL,
        "RELEASE_TARGETS": " to TestPyPI, then PyPI" if options.testpypi else " to PyPI",
        "BUILDS_TESTS": "builds, tests" if facts.tests.exists else "builds",
        "FETCH_DEPTH": _fetch_depth(facts),
        "CIBW_ENV": _cibuildwheel_env(facts),
        "MATURIN_ACTION": MATURIN_ACTION.uses,
    }


def github_workflow(facts: ProjectFacts, options: InitOptions) -> str:
    """The publish workflow for GitHub Actions."""
    values = _common_values(facts, options)
    values["DISPATCH_DOES"] = (
        f"{values['BUILDS_TESTS']} and publishes to TestPyPI only"
        if options.testpypi
        else (
            "builds and tests, and publishes nothing"
            if facts.tests.exists
            else "builds and checks, and publishes nothing"
        )
    )
    build = {
        "pure": "github/build-pure.yml",
        "cibuildwheel": "github/build-wheels.yml",
        "maturin": "github/build-maturin.yml",
    }[facts.builder]
    parts = [render(template("github/head.yml"), values), render(template(build), values)]
    needs = "build"
    if facts.tests.exists:
        parts.append(render(template("github/test.yml"), values))
        needs = "build, test"
    publish = f"github/publish-{options.publisher}.yml"
    for index, environment in _indexes(options):
        is_pypi = index is PYPI
        job_values = {
            **values,
            "JOB": f"publish-{index.key}",
            "INDEX_NAME": index.label,
            "NEEDS": needs,
            "CONDITION": "\n    if: github.event_name == 'release'" if is_pypi else "",
            "ENVIRONMENT": environment,
            "PROJECT_URL": index.project_url(facts.normalized),
            "REPOSITORY": index.key,
            "REPOSITORY_URL": ""
            if is_pypi
            else "\n          repository-url: https://test.pypi.org/legacy/",
        }
        parts.append(render(template(publish), job_values))
        needs = f"{needs}, publish-{index.key}"
    return "".join(parts).rstrip("\n") + "\n"


def _tag_regex(tag_format: str) -> str:
    """A GitLab rules regex matching the start of tags made by ``tag_format``."""
    prefix = tag_format.split("{version}", 1)[0]
    return "^" + re.sub(r"([^A-Za-z0-9_-])", r"\\\1", prefix) + r"\d"


def gitlab_pipeline(facts: ProjectFacts, options: InitOptions, tag_format: str) -> str:
    """The publish pipeline for GitLab CI, to be included from ``.gitlab-ci.yml``."""
    values = _common_values(facts, options)
    values["TAG_PATTERN"] = tag_format.replace("{version}", "<version>")
    values["TAG_REGEX"] = _tag_regex(tag_format)
    values["PIPELINE_PATH"] = options.workflow
    values["BUILD_CHECKOUT"] = (
        ""
        if facts.tag_versioned is None
        else f"\n  # {facts.tag_versioned} reads the version from the tags: git, whole history"
        '\n  image: python:3.13\n  variables:\n    GIT_DEPTH: "0"'
    )
    parts = [render(template("gitlab/head.yml"), values)]
    needs = "release-build"
    if facts.tests.exists:
        parts.append(render(template("gitlab/test.yml"), values))
        needs = "release-build, release-test"
    for index, environment in _indexes(options):
        job = f"release-publish-{index.key}"
        parts.append(
            render(
                template("gitlab/publish.yml"),
                {
                    **values,
                    "JOB": job,
                    "NEEDS": needs,
                    "ENVIRONMENT": environment,
                    "PROJECT_URL": index.project_url(facts.normalized),
                    "ID_TOKEN_VAR": f"{index.key.upper()}_ID_TOKEN",
                    "AUDIENCE": index.key,
                    "REPOSITORY": index.key,
                },
            )
        )
        needs = f"{needs}, {job}"
    return "".join(parts).rstrip("\n") + "\n"


def _table(rows: list[tuple[str, str]]) -> str:
    lines = ["| field | value |", "| --- | --- |"]
    lines += [f"| {label} | `{value}` |" for label, value in rows]
    return "\n".join(lines)


def _form_rows(
    facts: ProjectFacts, options: InitOptions, environment: str
) -> list[tuple[str, str]]:
    """PyPI's form values, naming the workflow file init writes (``--name`` changes it)."""
    workflow_file = options.workflow.rsplit("/", 1)[1]
    return [
        (label, workflow_file if label == "Workflow name" else value)
        for label, value in form_values(facts, options.ci, environment)
    ]


def _publisher_section(facts: ProjectFacts, options: InitOptions) -> str:
    kind = "GitLab" if options.ci == "gitlab" else "GitHub"
    blocks = []
    for index, environment in reversed(_indexes(options)):
        blocks.append(
            f"On **{index.label}**, open the project's publishing settings, "
            f"<{index.publishing_url(facts.normalized)}>, choose *{kind}* and enter:\n\n"
            f"{_table(_form_rows(facts, options, environment))}\n\n"
            f"If {facts.name} is not on {index.label} yet, register the same values as a "
            f"**pending publisher** at <{index.pending_url}>: the first trusted upload then "
            f"creates the project. A pending publisher does not reserve the name until then."
        )
    return "\n\n".join(blocks)


def _environment_section(options: InitOptions) -> str:
    names = " and ".join(f"`{env}`" for _, env in reversed(_indexes(options)))
    if options.ci == "gitlab":
        return (
            f"In *Settings -> CI/CD -> Environments*, create {names} and, in *Settings -> "
            "CI/CD -> Protected environments*, protect each one with *Required approvals* "
            "from the maintainers who may release. Protect the release tags too (*Settings -> "
            "Repository -> Protected tags*), so only maintainers can create them."
        )
    return (
        f"In *Settings -> Environments*, create {names}. For each, add *Required reviewers* "
        "(the maintainers who may release), tick *Prevent self-review*, and under *Deployment "
        "branches and tags* allow only your release tags. A publish then waits for a second "
        "person's approval, and a leaked workflow change cannot publish on its own."
    )


def _build_sentence(facts: ProjectFacts, options: InitOptions) -> str:
    """How the distributions are built, for compiled and tag-versioned projects."""
    sentences = []
    if facts.builder == "maturin" and options.ci == "github":
        sentences.append(
            f"{facts.name} is built by maturin ({facts.compiled}): **linux**, **musllinux**, "
            "**windows** and **macos** build the wheels with PyO3/maturin-action, one job per "
            "platform and architecture as `maturin generate-ci github` lays them out (the "
            "musllinux job is optional), and **sdist** builds the sdist; **build** then "
            "merges them and checks every file."
        )
    elif facts.builder != "pure" and options.ci == "github":
        rust = (
            " Rust is installed in cibuildwheel's Linux containers (`CIBW_BEFORE_ALL_LINUX`)."
            if facts.rust and not facts.linux_setup_is_own
            else ""
        )
        sentences.append(
            f"{facts.name} has compiled extensions ({facts.compiled}): **sdist** builds the "
            "sdist and **wheels** builds the wheels with cibuildwheel on Linux, Windows and "
            f"macOS; **build** then merges them and checks every file.{rust}"
        )
    if facts.tag_versioned is not None:
        sentences.append(
            f"The version comes from the git tags ({facts.tag_versioned}), so the build "
            "checks out the whole history, tags included."
        )
    return " ".join(sentences)


def _tests_sentence(facts: ProjectFacts) -> str:
    if facts.tests.exists:
        return (
            f"The test job runs the tests in {facts.tests.source} with `{facts.tests.command}`, "
            f"after `pip install {facts.tests.requirements}`."
        )
    return (
        "The project has no tests (no `tests/`, `testing/` or `test/` folder, no pytest "
        "`testpaths`), so the workflow has no test job and publishes what it built and "
        "checked. Add tests, then run `releasekit init --force` to get one."
    )


def _flow(facts: ProjectFacts, options: InitOptions) -> str:
    extra = "\n\n".join(p for p in (_build_sentence(facts, options), _tests_sentence(facts)) if p)
    if options.ci == "gitlab":
        steps = [
            "1. Pushing a release tag runs `release-build`: `releasekit build` and "
            "`releasekit check`, which validates every file as PyPI would.",
        ]
        if facts.tests.exists:
            steps.append(
                "2. `release-test` installs the built wheel (not the source tree) and tests it."
            )
        if options.testpypi:
            steps.append(f"{len(steps) + 1}. `release-publish-testpypi` uploads to TestPyPI.")
        steps.append(
            f"{len(steps) + 1}. `release-publish-pypi` uploads to PyPI with "
            "`releasekit publish --trusted-publishing always`."
        )
        return "\n".join(steps) + f"\n\n{extra}"
    steps = [
        "1. **build**: `releasekit build` and `releasekit check`, which validates every file as "
        "PyPI would; the files are kept as an artifact.",
    ]
    if facts.tests.exists:
        steps.append("2. **test**: installs the built wheel (not the source tree) and tests it.")
    if options.testpypi:
        steps.append(f"{len(steps) + 1}. **publish-testpypi**: uploads to TestPyPI.")
    steps.append(
        f"{len(steps) + 1}. **publish-pypi**: uploads to PyPI, only for a published release."
    )
    publisher = (
        "`releasekit publish --trusted-publishing always --attestations`, with PEP 740 attestations"
        if options.publisher == "releasekit"
        else "pypa/gh-action-pypi-publish, with PEP 740 attestations"
    )
    does = "builds, tests" if facts.tests.exists else "builds"
    dispatch = (
        f"Running the workflow by hand (*Actions -> Publish to PyPI -> Run workflow*) {does} "
        "and publishes to TestPyPI only: a rehearsal."
        if options.testpypi
        else "Running the workflow by hand (*Actions -> Publish to PyPI -> Run workflow*) "
        + (
            "builds and tests, and publishes nothing."
            if facts.tests.exists
            else "builds and checks, and publishes nothing."
        )
    )
    return "\n".join(steps) + f"\n\nUploads use {publisher}. {dispatch}\n\n{extra}"


def _jobs_named(jobs: list[PublishingJob]) -> str:
    """``job 'x' in a.yml, job 'y' in b.yml``, for messages and the guide."""
    return ", ".join(f"job '{job.job}' in {job.workflow}" for job in jobs)


def _retire_section(existing: list[PublishingJob], options: InitOptions) -> str:
    """How to retire the publishing that was there before, when --name wrote beside it."""
    if not existing:
        return ""
    shown_files = ", ".join(f"`{name}`" for name in sorted({job.workflow for job in existing}))
    listed = "\n".join(
        f"- `{job.workflow}`, job `{job.job}`"
        + (f" (environment `{job.environment}`)" if job.environment else "")
        for job in existing
    )
    return (
        "## Retiring the old publisher\n\n"
        f"`releasekit init --name {options.workflow.rsplit('/', 1)[1]}` wrote "
        f"`{options.workflow}` beside publishing that was already here:\n\n"
        f"{listed}\n\n"
        "Both run on a release, so the second upload of each file fails with `File already "
        "exists` (or, worse, both succeed with different files). Retire the old one before "
        "the next release:\n\n"
        "1. Register the new trusted publisher and environment (steps 1 and 2 below).\n"
        f"2. Delete the publishing job(s) above, or the whole file ({shown_files}) "
        "when it does nothing else, in the same commit as the new workflow if you can.\n"
        "3. On PyPI, remove the old trusted publisher from the project's publishing settings, "
        "and revoke any API token the old job used; delete its secret (such as "
        "`PYPI_API_TOKEN`) from the repository or the CI settings.\n"
        "4. Run `releasekit doctor`: while both publish on the same trigger it reports "
        "`duplicate-publisher`.\n\n"
    )


def _release_steps(facts: ProjectFacts, options: InitOptions) -> str:
    if options.ci == "gitlab":
        return (
            "Pushing the tag starts the pipeline; approve the deployment to "
            f"`{options.environment}` when it waits. The release is at "
            f"<{PYPI.project_url(facts.normalized)}> once the job is green."
        )
    base = facts.remote.url if facts.remote is not None else "the repository's page"
    return (
        f"Then publish a GitHub release for the new tag ({base}/releases/new, or "
        '`gh release create vX.Y.Z --notes "$(releasekit notes)"`): the workflow starts, '
        f"and the publishing job waits for a reviewer of `{options.environment}` to approve it. "
        "Creating a draft or a tag alone publishes nothing."
    )


def publishing_guide(
    facts: ProjectFacts,
    options: InitOptions,
    tag_format: str,
    *,
    changelog: str | None = "CHANGELOG.md",
    existing: list[PublishingJob] | None = None,
) -> str:
    """``PYPI_PUBLISHING_GUIDE.md``, tailored to this repository and workflow.

    ``changelog`` is the file ``prepare`` rolls (None: no changelog step); ``existing`` is the
    publishing that ``--name`` left in place, which the guide explains how to retire.
    """
    environments = ", ".join(
        f"`{env}` ({index.label})" for index, env in reversed(_indexes(options))
    )
    workflow = options.workflow
    values = {
        "PROJECT": facts.name,
        "CI_NAME": "GitLab CI" if options.ci == "gitlab" else "GitHub Actions",
        "PYPI_URL": PYPI.project_url(facts.normalized),
        "REPOSITORY_PATH": facts.remote.path if facts.remote is not None else "(no remote yet)",
        "WORKFLOW_PATH": workflow,
        "WORKFLOW_FILE": workflow.rsplit("/", 1)[1],
        "ENVIRONMENTS": environments,
        "FLOW": _flow(facts, options),
        "RETIRE": _retire_section(existing or [], options),
        "CHANGELOG_MOVE": ""
        if changelog is None
        else f"moves the Unreleased section of\n`{changelog}` under the new version, ",
        "TRUSTED_PUBLISHER_FORM": _publisher_section(facts, options),
        "ENVIRONMENT_SETUP": _environment_section(options),
        "RELEASE_STEPS": _release_steps(facts, options),
        "TAG_FORMAT": tag_format,
    }
    return render(template("PYPI_PUBLISHING_GUIDE.md"), values)


def validate_options(options: InitOptions) -> None:
    """Refuse names that cannot be environments before anything is written."""
    if not _ENVIRONMENT_NAME.match(options.environment):
        raise UsageError(
            f"invalid environment name {options.environment!r}",
            where="--environment",
            hint="use letters, digits, '.', '-' and '_', such as pypi or release",
        )
    if options.testpypi and options.environment == "testpypi":
        raise UsageError(
            "the PyPI environment cannot be named testpypi when --testpypi uses that name",
            where="--environment",
            hint="name it pypi (the default) or release",
        )
    name = options.name
    if name is not None and (
        not _WORKFLOW_NAME.match(name) or (options.ci == "gitlab" and not name.endswith(".yml"))
    ):
        ending = ".yml" if options.ci == "gitlab" else ".yml or .yaml"
        raise UsageError(
            f"invalid workflow file name {name!r}",
            where="--name",
            hint=f"give a file name without folders, ending in {ending}, such as "
            f"{SUGGESTED_NAME[options.ci]}",
        )


def existing_publishing(root: Path) -> list[PublishingJob]:
    """Every job that already uploads to an index, as doctor sees it.

    The one place init asks: doctor's audit knows every form of publishing (actions, commands,
    scripts with upload credentials, reusable workflows, GitLab includes), so init never
    disagrees with it about what publishes. Workflows are read at the project root and, when it
    differs, at the git top level; each job's ``workflow`` is then made relative to the project
    root when the file is inside it.
    """
    bases = [root]
    top = Git(root).toplevel()
    if top is not None and top.resolve() != root.resolve():
        bases.append(top)
    found: list[PublishingJob] = []
    for base in bases:
        for job in audit_github(base)[1] + audit_gitlab(base)[1]:
            path = _workflow_file(bases, job.workflow)
            shown = job.workflow if path is None else _relative_to_root(root, path, job.workflow)
            found.append(replace(job, workflow=shown))
    return list(dict.fromkeys(found))


def _workflow_file(bases: list[Path], shown: str) -> Path | None:
    """The file a job's ``workflow`` names, whichever base it is relative to."""
    for base in reversed(bases):
        if (base / shown).is_file():
            return base / shown
    return None


def _relative_to_root(root: Path, path: Path, otherwise: str | None = None) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return otherwise if otherwise is not None else str(path)


def written_by_init(path: Path) -> bool:
    """Whether a workflow file carries init's header, so init may replace it with --force."""
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            return INIT_MARKER in handle.read(4096)
    except OSError:
        return False


def _other_publishing(root: Path, options: InitOptions) -> list[PublishingJob]:
    """The publishing init would add a second publisher beside; raise where it must not.

    Jobs in the file init writes are init's own when the file carries its header (``--force``
    replaces it); a publishing workflow of the maintainer's at that path is never replaced,
    not even with ``--force``. Jobs anywhere else stop init unless ``--name`` asked to write
    beside them.
    """
    jobs = existing_publishing(root)
    target = options.workflow
    at_target = [job for job in jobs if job.workflow == target]
    elsewhere = [job for job in jobs if job.workflow != target]
    suggestion = SUGGESTED_NAME[options.ci]
    own_elsewhere = sorted(
        {job.workflow for job in elsewhere if written_by_init(root / job.workflow)}
    )
    if len(own_elsewhere) == 1 and own_elsewhere[0].startswith(target.rsplit("/", 1)[0] + "/"):
        suggestion = own_elsewhere[0].rsplit("/", 1)[1]
    if at_target and not written_by_init(root / target):
        raise InitError(
            f"already holds a publishing workflow that init did not write "
            f"({_jobs_named(at_target)}); init never replaces it, not even with --force",
            where=target,
            hint=f"write the new workflow beside it with --name FILE (such as {suggestion}); "
            "the guide then explains how to retire the old one; nothing was written",
        )
    if elsewhere and options.name is None:
        files = sorted({job.workflow for job in elsewhere})
        raise InitError(
            f"the repository already publishes ({_jobs_named(elsewhere)}); init would add "
            f"a second publisher, {target}",
            where=", ".join(files),
            hint=f"to write it beside the existing one, run init again with --name FILE (such "
            f"as {suggestion}) and retire the old one as the guide then explains; nothing "
            "was written",
        )
    return elsewhere


def changelog_path(root: Path, settings: Settings) -> tuple[str | None, bool]:
    """The changelog ``prepare`` rolls, relative to the root, and whether init should create it.

    The project's own file is found as ``prepare`` finds it (any usual name and case, at the
    root or in docs/, towncrier's news file): init never creates CHANGELOG.md beside
    HISTORY.rst. Only when there is none does it create the configured file or CHANGELOG.md;
    towncrier's news file is left for towncrier to create.
    """
    if settings.changelog is False:
        return None, False
    found = find_changelog(root, settings)
    if found is not None:
        shown = _relative_to_root(root, found)
        return shown, not os.path.lexists(found)
    towncrier = towncrier_config(root)
    if towncrier is not None:
        return towncrier.filename, False
    return "CHANGELOG.md", True


def plan_files(root: Path, options: InitOptions) -> tuple[ProjectFacts, list[PlannedFile]]:
    """Every file ``init`` would write, rendered, without touching the disk.

    Raises ``InitError`` when the repository already publishes and ``--name`` does not say to
    write beside it.
    """
    facts, files, _ = plan(root, options)
    return facts, files


def plan(
    root: Path, options: InitOptions
) -> tuple[ProjectFacts, list[PlannedFile], list[PublishingJob]]:
    """``plan_files``, with the publishing found elsewhere that ``--name`` writes beside."""
    validate_options(options)
    project = load_project(root)
    settings = resolve_settings(project, env={})
    facts = read_facts(project)
    existing = _other_publishing(root, options)
    git = Git(root)
    in_git = git.toplevel() is not None
    tag_format = read_history(
        git if in_git else None, project, settings, static_name(project)
    ).tag_format.template
    changelog, create_changelog = changelog_path(root, settings)
    workflow = options.workflow
    if options.ci == "gitlab":
        files = [PlannedFile(workflow, gitlab_pipeline(facts, options, tag_format))]
    else:
        files = [PlannedFile(workflow, github_workflow(facts, options))]
    guide = publishing_guide(facts, options, tag_format, changelog=changelog, existing=existing)
    files.append(PlannedFile(GUIDE, guide, describes=workflow))
    script = render(
        template("prepare-release.sh"),
        {"CHANGELOG_STEP": "" if changelog is None else f"roll {changelog}, "},
    )
    files.append(PlannedFile(SCRIPT, script, executable=True))
    if changelog is not None and (create_changelog or os.path.lexists(root / changelog)):
        files.append(PlannedFile(changelog, template("CHANGELOG.md"), precious=True))
    if options.dependabot:
        files.append(PlannedFile(DEPENDABOT, template("dependabot.yml")))
    return facts, files, existing


def _stage(root: Path, planned: PlannedFile, made: list[Path]) -> Path:
    """Write ``planned`` to a temporary file beside its target; folders made go in ``made``."""
    target = root / planned.path
    missing = [p for p in reversed(target.parents) if p.is_relative_to(root) and not p.exists()]
    try:
        for folder in missing:
            folder.mkdir()
            made.append(folder)
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(planned.content)
        os.chmod(temp, 0o755 if planned.executable else 0o644)
    except OSError as exc:
        raise InitError(
            f"cannot write the file: {exc.strerror or exc}",
            where=planned.path,
            hint="make room for it (a file may stand where a folder is needed) and run again",
        ) from exc
    return Path(temp)


def check_targets(root: Path, files: list[PlannedFile]) -> None:
    """Refuse, before anything is staged, a path where a folder or a file is in the way (exit 2).

    A file where a folder is needed (``.github`` as a file) or a folder where a file goes
    (``prepare-release.sh/``) cannot be replaced, not even with ``--force``: it is named, and
    nothing is written.
    """
    for planned in files:
        target = root / planned.path
        for folder in reversed(target.parents):
            if folder == root or not folder.is_relative_to(root):
                continue
            if os.path.lexists(folder) and not folder.is_dir():
                raise UsageError(
                    "a file stands where init needs a folder",
                    where=folder.relative_to(root).as_posix(),
                    hint="move or rename it, then run init again; nothing was written",
                )
        if target.is_dir():
            raise UsageError(
                "a folder stands where init writes a file",
                where=planned.path,
                hint="move or rename the folder (--force replaces files only), then run init "
                "again; nothing was written",
            )


def _write_all(root: Path, files: list[PlannedFile]) -> None:
    """Write every file or none: all are staged first, then renamed into place."""
    made: list[Path] = []
    staged: list[tuple[Path, Path]] = []
    try:
        for planned in files:
            staged.append((_stage(root, planned, made), root / planned.path))
    except InitError:
        for temp, _ in staged:
            temp.unlink(missing_ok=True)
        for folder in reversed(made):
            folder.rmdir()
        raise
    for temp, target in staged:
        os.replace(temp, target)


def _next_steps(
    facts: ProjectFacts, options: InitOptions, existing: list[PublishingJob]
) -> list[str]:
    steps = []
    if facts.remote is None:
        steps.append("add the repository's GitHub or GitLab remote and run init --force again")
    if options.ci == "gitlab":
        steps.append(f"add this line to .gitlab-ci.yml: include: [{{ local: {options.workflow} }}]")
    if existing:
        files = ", ".join(sorted({job.workflow for job in existing}))
        steps.append(
            f"retire the old publisher ({files}) before the next release: {GUIDE}, "
            "'Retiring the old publisher'"
        )
    steps.append(f"register the trusted publisher on PyPI: the values are in {GUIDE}, step 1")
    steps.append(f"create and protect the environment(s) ({GUIDE}, step 2)")
    steps.append("commit the new files, then run releasekit doctor")
    steps.append(f"cut a release with ./{SCRIPT} patch --push")
    return steps


def init(root: Path, options: InitOptions) -> InitResult:
    """Write the planned files that do not exist yet (all of them with ``force``).

    The guide describes the workflow written with it, so it is written only when that workflow
    is: never for a workflow init skipped or did not write.
    """
    facts, files, existing = plan(root, options)
    written: list[str] = []
    skipped: list[tuple[str, str]] = []
    chosen: list[PlannedFile] = []
    for planned in files:
        exists = os.path.lexists(root / planned.path)  # a dangling symlink exists too
        if exists and planned.precious:
            skipped.append((planned.path, "it exists and holds your own text"))
        elif planned.describes is not None and planned.describes not in written:
            skipped.append(
                (
                    planned.path,
                    f"it describes {planned.describes}, which was not written "
                    "(--force writes both)",
                )
            )
        elif exists and not options.force:
            skipped.append((planned.path, "it exists (--force replaces it)"))
        else:
            chosen.append(planned)
            written.append(planned.path)
    check_targets(root, chosen)
    _write_all(root, chosen)
    return InitResult(written, skipped, _next_steps(facts, options, existing), facts, existing)
