"""``releasekit init``: a dedicated publish workflow, its guide and a release script, tailored.

Everything is rendered from the templates in ``releasekit/templates`` and the repository's facts,
then written next to, never over, what the repository already has: an existing file is skipped
unless ``--force`` says otherwise, and existing CI is never read for writing or edited. The
workflow is assembled from job fragments, so each shape (pure or compiled, with or without
TestPyPI, either publisher) is a composition of the same reviewed pieces.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from releasekit import __version__, pins
from releasekit.config import load_project, resolve_settings
from releasekit.errors import ReleaseError, UsageError
from releasekit.git import Git
from releasekit.project_meta import static_name
from releasekit.repo_facts import CiKind, ProjectFacts, read_facts
from releasekit.tags import read_history
from releasekit.trusted_publisher import (
    GITHUB_WORKFLOW,
    GITLAB_PIPELINE,
    PYPI,
    TESTPYPI,
    Index,
    form_values,
)

Publisher = Literal["action", "releasekit"]
GUIDE = "PYPI_PUBLISHING_GUIDE.md"
SCRIPT = "prepare-release.sh"
DEPENDABOT = ".github/dependabot.yml"
INCLUDE_LINE = f"include: [{{ local: {GITLAB_PIPELINE} }}]"
_ENVIRONMENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$")
_PLACEHOLDER = re.compile(r"@@([A-Z_]+)@@")


class InitError(ReleaseError):
    """A file cannot be written (exit 1)."""


@dataclass(frozen=True)
class InitOptions:
    """What the command line asked ``init`` for."""

    ci: CiKind = "github"
    environment: str = "pypi"
    testpypi: bool = False
    publisher: Publisher = "action"
    dependabot: bool = False
    force: bool = False


@dataclass(frozen=True)
class PlannedFile:
    """One file ``init`` would write."""

    path: str  # relative to the project root, with forward slashes
    content: str
    executable: bool = False
    precious: bool = False  # holds the maintainer's own text: never replaced, even with --force


@dataclass(frozen=True)
class InitResult:
    """What ``init`` wrote, what it left alone, and what the maintainer does next."""

    written: list[str]
    skipped: list[tuple[str, str]]  # (path, why it was left alone)
    next_steps: list[str]
    facts: ProjectFacts


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
    }


def github_workflow(facts: ProjectFacts, options: InitOptions) -> str:
    """The publish workflow for GitHub Actions."""
    values = _common_values(facts, options)
    values["DISPATCH_DOES"] = (
        "builds, tests and publishes to TestPyPI only"
        if options.testpypi
        else "builds and tests, and publishes nothing"
    )
    parts = [
        render(template("github/head.yml"), values),
        render(
            template("github/build-wheels.yml" if facts.compiled else "github/build-pure.yml"),
            values,
        ),
        render(template("github/test.yml"), values),
    ]
    publish = f"github/publish-{options.publisher}.yml"
    needs = "build, test"
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
        needs = f"build, test, publish-{index.key}"
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
    parts = [render(template("gitlab/head.yml"), values)]
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


def _publisher_section(facts: ProjectFacts, options: InitOptions) -> str:
    kind = "GitLab" if options.ci == "gitlab" else "GitHub"
    blocks = []
    for index, environment in reversed(_indexes(options)):
        blocks.append(
            f"On **{index.label}**, open the project's publishing settings, "
            f"<{index.publishing_url(facts.normalized)}>, choose *{kind}* and enter:\n\n"
            f"{_table(form_values(facts, options.ci, environment))}\n\n"
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


def _flow(options: InitOptions) -> str:
    if options.ci == "gitlab":
        steps = [
            "1. Pushing a release tag runs `release-build`: `releasekit build` and "
            "`releasekit check`, which validates every file as PyPI would.",
            "2. `release-test` installs the built wheel (not the source tree) and tests it.",
        ]
        if options.testpypi:
            steps.append("3. `release-publish-testpypi` uploads to TestPyPI.")
        steps.append(
            f"{len(steps) + 1}. `release-publish-pypi` uploads to PyPI with "
            "`releasekit publish --trusted-publishing always`."
        )
        return "\n".join(steps)
    steps = [
        "1. **build**: `releasekit build` and `releasekit check`, which validates every file as "
        "PyPI would; the files are kept as an artifact.",
        "2. **test**: installs the built wheel (not the source tree) and tests it.",
    ]
    if options.testpypi:
        steps.append("3. **publish-testpypi**: uploads to TestPyPI.")
    steps.append(
        f"{len(steps) + 1}. **publish-pypi**: uploads to PyPI, only for a published release."
    )
    publisher = (
        "`releasekit publish --trusted-publishing always --attestations`, with PEP 740 attestations"
        if options.publisher == "releasekit"
        else "pypa/gh-action-pypi-publish, with PEP 740 attestations"
    )
    dispatch = (
        "Running the workflow by hand (*Actions -> Publish to PyPI -> Run workflow*) builds, "
        "tests and publishes to TestPyPI only: a rehearsal."
        if options.testpypi
        else "Running the workflow by hand (*Actions -> Publish to PyPI -> Run workflow*) "
        "builds and tests, and publishes nothing."
    )
    return "\n".join(steps) + f"\n\nUploads use {publisher}. {dispatch}"


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


def publishing_guide(facts: ProjectFacts, options: InitOptions, tag_format: str) -> str:
    """``PYPI_PUBLISHING_GUIDE.md``, tailored to this repository and workflow."""
    environments = ", ".join(
        f"`{env}` ({index.label})" for index, env in reversed(_indexes(options))
    )
    workflow = GITLAB_PIPELINE if options.ci == "gitlab" else GITHUB_WORKFLOW
    values = {
        "PROJECT": facts.name,
        "CI_NAME": "GitLab CI" if options.ci == "gitlab" else "GitHub Actions",
        "PYPI_URL": PYPI.project_url(facts.normalized),
        "REPOSITORY_PATH": facts.remote.path if facts.remote is not None else "(no remote yet)",
        "WORKFLOW_PATH": workflow,
        "WORKFLOW_FILE": workflow.rsplit("/", 1)[1],
        "ENVIRONMENTS": environments,
        "FLOW": _flow(options),
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


def plan_files(root: Path, options: InitOptions) -> tuple[ProjectFacts, list[PlannedFile]]:
    """Every file ``init`` would write, rendered, without touching the disk."""
    validate_options(options)
    project = load_project(root)
    settings = resolve_settings(project, env={})
    facts = read_facts(project)
    git = Git(root)
    in_git = git.toplevel() is not None
    tag_format = read_history(
        git if in_git else None, project, settings, static_name(project)
    ).tag_format.template
    if options.ci == "gitlab":
        files = [PlannedFile(GITLAB_PIPELINE, gitlab_pipeline(facts, options, tag_format))]
    else:
        files = [PlannedFile(GITHUB_WORKFLOW, github_workflow(facts, options))]
    files.append(PlannedFile(GUIDE, publishing_guide(facts, options, tag_format)))
    files.append(PlannedFile(SCRIPT, template("prepare-release.sh"), executable=True))
    if settings.changelog is not False:
        changelog = settings.changelog or "CHANGELOG.md"
        files.append(PlannedFile(changelog, template("CHANGELOG.md"), precious=True))
    if options.dependabot:
        files.append(PlannedFile(DEPENDABOT, template("dependabot.yml")))
    return facts, files


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


def _next_steps(facts: ProjectFacts, options: InitOptions) -> list[str]:
    steps = []
    if facts.remote is None:
        steps.append("add the repository's GitHub or GitLab remote and run init --force again")
    if options.ci == "gitlab":
        steps.append(f"add this line to .gitlab-ci.yml: {INCLUDE_LINE}")
    steps.append(f"register the trusted publisher on PyPI: the values are in {GUIDE}, step 1")
    steps.append(f"create and protect the environment(s) ({GUIDE}, step 2)")
    steps.append("commit the new files, then run releasekit doctor")
    steps.append(f"cut a release with ./{SCRIPT} patch --push")
    return steps


def init(root: Path, options: InitOptions) -> InitResult:
    """Write the planned files that do not exist yet (all of them with ``force``)."""
    facts, files = plan_files(root, options)
    written: list[str] = []
    skipped: list[tuple[str, str]] = []
    chosen: list[PlannedFile] = []
    for planned in files:
        exists = os.path.lexists(root / planned.path)  # a dangling symlink exists too
        if exists and planned.precious:
            skipped.append((planned.path, "it exists and holds your own text"))
        elif exists and not options.force:
            skipped.append((planned.path, "it exists (--force replaces it)"))
        else:
            chosen.append(planned)
            written.append(planned.path)
    check_targets(root, chosen)
    _write_all(root, chosen)
    return InitResult(written, skipped, _next_steps(facts, options), facts)
