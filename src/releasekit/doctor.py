"""``releasekit doctor``: audit a repository's release setup and explain every finding.

It reads, never writes: the project's metadata, whether every version source agrees with the
others, with the newest release tag and with the changelog, the git remote and release branch,
and every CI workflow that publishes (``workflow_audit``). Each finding has an id, a severity,
a place, why it matters and how to fix it. It ends with the values PyPI's trusted-publisher
form needs, read from the workflows actually found.
"""

from __future__ import annotations

import re
from pathlib import Path

from packaging.version import Version
from trove_classifiers import classifiers as known
from trove_classifiers import deprecated_classifiers

from releasekit.changelog_files import load_changelog
from releasekit.config import (
    LEGACY_FILES,
    PYPROJECT,
    Project,
    Settings,
    load_project,
    resolve_settings,
)
from releasekit.errors import ChangelogError, ConfigError, ReleaseError
from releasekit.findings import Finding, Severity
from releasekit.git import Git
from releasekit.job_packages import Attribution, workspace_of
from releasekit.packages import Package, Workspace, select
from releasekit.plan import DetailReporter
from releasekit.project_meta import project_name, static_name
from releasekit.project_root import top_level
from releasekit.publishing_job import PublishingJob
from releasekit.records import field, frozen, mutable, replace
from releasekit.repo_facts import ProjectFacts, Remote, TestPlan, read_facts, read_remote
from releasekit.sources import current_version, find_sources
from releasekit.suppression import split_suppressed
from releasekit.tags import read_history
from releasekit.towncrier import towncrier_config
from releasekit.trusted_publisher import GITLAB_TOP_LEVEL, publisher_values
from releasekit.workflow_audit import RULES, Rule, audit_github, audit_gitlab, rule_finding
from releasekit.workflow_uploads import chosen_at_run_time

PROJECT_RULES: dict[str, Rule] = {
    "version-sources": Rule(
        "error",
        "releasekit cannot read one agreed version, so a release would be built with the wrong one",
        "make every version source hold the same version, or list the file in version-files",
    ),
    "version-behind-tag": Rule(
        "error",
        "the newest release tag is higher than the version in the files, so the next release "
        "could reuse a number PyPI already has",
        "set the version to the tagged one (or higher) before the next release",
    ),
    "tag-format-mismatch": Rule(
        "error",
        "the tag-format setting matches none of the release tags, so releasekit would read the "
        "release history wrong and write the next tag in another style",
        "set tag-format to the style the tags use, as the finding says",
    ),
    "config-unreadable": Rule(
        "error",
        "releasekit cannot read pyproject.toml or its [tool.releasekit] settings, so no release "
        "can be prepared or built from this setup",
        "fix what the finding names; the rest of the audit used the default settings",
    ),
    "metadata-unreadable": Rule(
        "error",
        "the project's name or version cannot be read, so nothing can be released or published",
        "declare name and version in [project] (or [tool.poetry], setup.cfg), or fix the build "
        "backend's error the finding shows",
    ),
    "metadata-outside-project": Rule(
        "info",
        "the metadata is declared outside [project] (Poetry 1.x, setup.cfg, setup.py or "
        "Cargo.toml), so the readme, license and classifier checks here are skipped",
        "move it to [project] (PEP 621) when you can; meanwhile releasekit build && releasekit "
        "check validate the built files",
    ),
    "readme-missing": Rule(
        "warning",
        "without a readme the project's PyPI page is empty",
        'add readme = "README.md" to [project]',
    ),
    "license-missing": Rule(
        "warning",
        "users and tools cannot tell under which terms they may use the project",
        'add license = "MIT" (an SPDX expression, PEP 639) and license-files to [project]',
    ),
    "license-not-spdx": Rule(
        "warning",
        "a license table is deprecated by PEP 639; PyPI and tools read an SPDX expression",
        'replace it with license = "<SPDX expression>" and license-files = ["LICENSE"]',
    ),
    "license-classifier": Rule(
        "warning",
        "PEP 639 deprecates 'License ::' classifiers next to a license expression; backends "
        "refuse the pair",
        "remove the 'License ::' classifiers",
    ),
    "requires-python-missing": Rule(
        "warning",
        "without requires-python, installers on older Pythons pick releases that cannot run there",
        'add requires-python = ">=3.X" to [project]',
    ),
    "classifier-invalid": Rule(
        "error",
        "PyPI rejects uploads with unknown or deprecated classifiers",
        "use a classifier from https://pypi.org/classifiers/",
    ),
    "classifiers-missing": Rule(
        "info",
        "classifiers let users filter for supported Python versions and project maturity",
        "add classifiers to [project]",
    ),
    "changelog-missing": Rule(
        "warning",
        "releasekit prepare rolls the changelog into each release; without one there are no notes",
        "create CHANGELOG.md with an Unreleased section (releasekit init writes one), "
        "or set changelog = false in [tool.releasekit]",
    ),
    "changelog-no-unreleased": Rule(
        "warning",
        "releasekit prepare moves the Unreleased section under the new version; without it "
        "a release has no notes",
        "add an Unreleased section ('## [Unreleased]', or 'Unreleased' underlined like the "
        "release headings) above the newest release",
    ),
    "changelog-missing-release": Rule(
        "warning",
        "the newest release has no section in the changelog",
        "add a section for it, or let releasekit prepare write the next one",
    ),
    "not-a-git-repository": Rule(
        "error",
        "releases are commits and tags; releasekit prepare needs git",
        "run git init, commit, and add a remote",
    ),
    "no-remote": Rule(
        "warning",
        "trusted publishing identifies the repository on GitHub or GitLab; there is none",
        "add the remote: git remote add origin <url>",
    ),
    "remote-not-hosted": Rule(
        "info",
        "trusted publishing is available from GitHub, GitLab and a few other CI services only",
        "publish from a supported CI service, or with a project-scoped token",
    ),
    "release-branch-missing": Rule(
        "warning",
        "releasekit prepare releases from one branch and it does not exist here",
        "create it, or set release-branch in [tool.releasekit]",
    ),
    "no-publishing-workflow": Rule(
        "warning",
        "no CI workflow publishes this project, so releases are uploaded from a laptop with a "
        "long-lived token",
        "run releasekit init to write a trusted-publishing workflow",
    ),
    "package-not-published": Rule(
        "warning",
        "its releases would be uploaded from a laptop with a long-lived token, or not at all",
        "add a publishing job that builds it (working-directory: its folder, or uv build "
        "--package NAME) and register that job on PyPI for it; if it is never released, put "
        "# releasekit: ignore[package-not-published] on its [project] line",
    ),
}
_LICENSE_CLASSIFIER = re.compile(r"^License ::")
# The PyPI project name shown for a monorepo job whose package doctor cannot read.
UNKNOWN_PACKAGE = "<package unknown>"


@frozen
class TrustedPublisher:
    """The values PyPI's form needs for one publishing job and index.

    ``values`` is empty for an index that is not PyPI or TestPyPI: it has no such form.
    ``caller`` names the workflow that calls ``workflow`` (a reusable one), when there is one.
    """

    index: str
    workflow: str
    job: str
    values: list[tuple[str, str]]
    ci: str = "github"
    caller: str | None = None
    package: str | None = None  # in a monorepo: "package backend in backend/", "package unknown"

    @property
    def heading(self) -> str:
        """What the text report prints above the values."""
        package = f", {self.package}" if self.package else ""
        if not self.values:
            return (
                f"Publishing to {self.index} ({self.workflow}, job {self.job}{package}): this "
                "index has no trusted publishing; the job needs a token scoped to the project"
            )
        if self.ci == "gitlab":
            where = f"GitLab CI: {self.workflow}, job {self.job}"
            if self.workflow != GITLAB_TOP_LEVEL:
                where += f", in the pipeline of {GITLAB_TOP_LEVEL}"
            return f"Trusted publisher for {self.index} ({where}{package}):"
        called = f", called from {self.caller}" if self.caller else ""
        if chosen_at_run_time(self.index):
            return (
                f"Trusted publisher for the index {self.index} chooses at run time ("
                f"{self.workflow}, job {self.job}{called}{package}); register it on PyPI and on "
                "TestPyPI for those the job uploads to:"
            )
        return (
            f"Trusted publisher for {self.index} ({self.workflow}, job {self.job}{called}"
            f"{package}):"
        )


@frozen
class PackagePublishers:
    """One package of the repository and the publishing jobs that build it."""

    name: str
    path: str  # relative to the top, POSIX; "." for the top
    jobs: list[PublishingJob]

    def as_dict(self) -> dict[str, object]:
        """The JSON form: name, path, and each job's ci, workflow, job and index."""
        return {
            "name": self.name,
            "path": self.path,
            "publishers": [
                {"ci": j.ci, "workflow": j.workflow, "job": j.job, "index": j.index}
                for j in self.jobs
            ],
        }


@frozen
class DoctorReport:
    """Every finding, the findings suppressed on purpose, and the trusted-publisher values."""

    findings: list[Finding]
    publishers: list[TrustedPublisher]
    suppressed: list[Finding] = field(default_factory=list)
    packages: list[PackagePublishers] = field(default_factory=list)

    def count(self, severity: Severity) -> int:
        """How many findings have ``severity``."""
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def ok(self) -> bool:
        """No errors (warnings and infos do not fail the audit)."""
        return self.count("error") == 0

    def as_dict(self) -> dict[str, object]:
        """The doctor's own keys of the JSON report (docs/json.md): the trusted publishers."""
        return {
            "trusted_publishers": [
                {
                    "index": p.index,
                    "ci": p.ci,
                    "workflow": p.workflow,
                    "caller": p.caller,
                    "job": p.job,
                    "values": dict(p.values),
                }
                for p in self.publishers
            ],
            "suppressed": [finding.as_dict() for finding in self.suppressed],
            "packages": [package.as_dict() for package in self.packages],
        }


def _finding(rule_id: str, file: str, line: int | None = None, detail: str = "") -> Finding:
    return rule_finding(PROJECT_RULES, rule_id, file, line, detail)


def _line_of(text: str, pattern: str) -> int | None:
    """The 1-based line where ``pattern`` first matches, for pointing into pyproject.toml."""
    match = re.search(pattern, text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _metadata_file(root: Path) -> str:
    """The file that declares the project, for pointing findings at it."""
    for name in (PYPROJECT, *LEGACY_FILES):
        if (root / name).is_file():
            return name
    return PYPROJECT


def metadata_findings(project: Project) -> list[Finding]:
    """What PyPI and installers need: readme, license, requires-python, classifiers.

    These are read from ``[project]``. A project that declares its metadata elsewhere (Poetry
    1.x, setup.cfg, setup.py, Cargo.toml) must at least have a readable name (read statically, or
    from its build backend); otherwise that is the finding, and the audit goes on.
    """
    if not isinstance(project.pyproject.get("project"), dict):
        try:
            project_name(project)
        except ReleaseError as error:
            place = _metadata_file(project.root)
            return [_finding("metadata-unreadable", place, None, error.message)]
        return [_finding("metadata-outside-project", _metadata_file(project.root))]
    table = project.pyproject["project"]
    text = project.pyproject_path.read_text(encoding="utf-8")
    line = _line_of(text, r"^\[project\]")
    findings: list[Finding] = []
    if "readme" not in table and "readme" not in table.get("dynamic", []):
        findings.append(_finding("readme-missing", "pyproject.toml", line))
    license_value = table.get("license")
    if license_value is None and "license" not in table.get("dynamic", []):
        findings.append(_finding("license-missing", "pyproject.toml", line))
    elif isinstance(license_value, dict):
        findings.append(
            _finding("license-not-spdx", "pyproject.toml", _line_of(text, r"^license\s*="))
        )
    if "requires-python" not in table:
        findings.append(_finding("requires-python-missing", "pyproject.toml", line))
    classifiers = table.get("classifiers", [])
    if not classifiers and "classifiers" not in table.get("dynamic", []):
        findings.append(_finding("classifiers-missing", "pyproject.toml", line))
    for classifier in classifiers if isinstance(classifiers, list) else []:
        where = _line_of(text, re.escape(f'"{classifier}"'))
        if classifier not in known or classifier in deprecated_classifiers:
            findings.append(
                _finding("classifier-invalid", "pyproject.toml", where, repr(classifier))
            )
        elif isinstance(license_value, str) and _LICENSE_CLASSIFIER.match(classifier):
            findings.append(
                _finding("license-classifier", "pyproject.toml", where, repr(classifier))
            )
    return findings


def version_findings(project: Project, settings: Settings, git: Git | None) -> list[Finding]:
    """The version sources agree with each other, the newest tag and the changelog."""
    history = read_history(git, project, settings, static_name(project))
    tag = history.latest
    latest = (tag.version, tag.name) if tag is not None else None
    findings: list[Finding] = []
    if history.mismatch is not None:
        findings.append(_finding("tag-format-mismatch", "pyproject.toml", None, history.mismatch))
    version: Version | None = None
    try:
        version = current_version(
            find_sources(project, settings, latest_tag=latest[0] if latest else None), project
        )
    except ReleaseError as error:
        # A disagreement names the project folder; point at the file that declares the project.
        place = error.where if error.where and error.where != str(project.root) else PYPROJECT
        findings.append(_finding("version-sources", place, None, error.message))
    if version is not None and latest is not None and latest[0] > version:
        findings.append(
            _finding("version-behind-tag", "pyproject.toml", None, f"tag {latest[1]} > {version}")
        )
    return [*findings, *changelog_findings(project, settings, latest[0] if latest else None)]


def changelog_findings(
    project: Project, settings: Settings, latest: Version | None
) -> list[Finding]:
    """The changelog is found, has an Unreleased section and a section for the newest release.

    ``changelog = false`` means the project keeps none: nothing to report. towncrier writes each
    release's section from fragments, so its news file needs no Unreleased section.
    """
    if settings.changelog is False:
        return []
    towncrier = towncrier_config(project.root)
    try:
        found = load_changelog(project.root, settings)
    except ChangelogError as error:
        return [_finding("changelog-missing", error.where or "CHANGELOG.md", None, error.message)]
    if found is None:
        return [_finding("changelog-missing", towncrier.filename if towncrier else "CHANGELOG.md")]
    changelog = found.parse()
    findings: list[Finding] = []
    if towncrier is None and changelog.unreleased() is None:
        findings.append(_finding("changelog-no-unreleased", found.display, 1))
    if latest is not None and all(section.version != latest for section in changelog.releases()):
        findings.append(_finding("changelog-missing-release", found.display, None, str(latest)))
    return findings


def git_findings(facts: ProjectFacts, settings: Settings, git: Git) -> list[Finding]:
    """A hosted remote to publish from, and the release branch."""
    findings: list[Finding] = []
    if facts.remote is None:
        remotes = git.remotes()
        rule = "remote-not-hosted" if remotes else "no-remote"
        detail = ", ".join(f"{r} = {git.remote_url(r)}" for r in remotes) if remotes else ""
        findings.append(_finding(rule, ".git/config", None, detail))
    wanted = (settings.release_branch,) if settings.release_branch else ("main", "master")
    if not any(git.ref(f"refs/heads/{branch}") for branch in wanted):
        findings.append(_finding("release-branch-missing", ".git", None, " or ".join(wanted)))
    return findings


def _package_label(attribution: Attribution, folder: str) -> str:
    """``backend (backend/)``: a package as its findings name it."""
    name = attribution.name(folder) or folder
    return f"{name} (the top folder)" if folder == "." else f"{name} ({folder}/)"


def _package_phrase(attribution: Attribution, folders: tuple[str, ...]) -> str:
    """``package backend in backend/``: what a job publishes, as headings and findings say it."""
    if not folders:
        return "package unknown"
    named = [
        f"{attribution.name(f) or f} " + ("at the top" if f == "." else f"in {f}/") for f in folders
    ]
    return ("package " if len(named) == 1 else "packages ") + ", ".join(named)


def _publishers(
    name: str | None,
    remote: Remote | None,
    attribution: Attribution,
    jobs: list[PublishingJob],
    monorepo: bool,
) -> list[TrustedPublisher]:
    """The form values for each job, index and package found; nothing when nothing publishes.

    In a monorepo each package is its own PyPI project: one block per package the job builds,
    named after that package, and "package unknown" when doctor cannot read which one. Else the
    project name is the one the job's folder declares (a project in a subfolder), else the
    project's. An index that is not PyPI or TestPyPI gets no values: it has no form.
    """
    publishers = []
    for job in jobs:
        if monorepo:
            targets: list[tuple[str, str | None]] = [
                (attribution.name(folder) or folder, _package_phrase(attribution, (folder,)))
                for folder in job.folders
            ] or [(UNKNOWN_PACKAGE, _package_phrase(attribution, ()))]
        else:
            folder_name = attribution.name(job.folder) if job.folder else None
            targets = [(folder_name or name or "(the project's name)", None)]
        for project, label in targets:
            values = (
                publisher_values(project, remote, job.ci, Path(job.workflow).name, job.environment)
                if job.index in {"pypi", "testpypi"} or chosen_at_run_time(job.index)
                else []
            )
            publishers.append(
                TrustedPublisher(
                    job.index, job.workflow, job.job, values, job.ci, job.caller, package=label
                )
            )
    return publishers


def _package_line(package: Package) -> int | None:
    """The ``[project]`` line of the package's pyproject.toml, where an ignore comment goes."""
    try:
        text = (package.root / PYPROJECT).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return _line_of(text, r"^\[(project|tool\.poetry)\]")


def unpublished_findings(
    packages: list[Package], jobs: list[PublishingJob], attribution: Attribution
) -> list[Finding]:
    """``package-not-published`` for each package no publishing job builds.

    A warning when doctor read every job's package; a note when some job's package is unknown
    (it may be that one).
    """
    published = {folder for job in jobs for folder in job.folders}
    unknown = sorted({f"'{job.job}'" for job in jobs if not job.folders})
    findings = []
    for package in packages:
        if package.path in published:
            continue
        file = PYPROJECT if package.path == "." else f"{package.path}/{PYPROJECT}"
        detail = f"{_package_label(attribution, package.path)} is built by no publishing job"
        if unknown:
            detail += (
                f" that doctor can read (it cannot tell which package job {', '.join(unknown)} "
                "builds)"
            )
        found = _finding("package-not-published", file, _package_line(package), detail)
        findings.append(replace(found, severity="info") if unknown else found)
    return findings


def _with_packages(
    findings: list[Finding], jobs: list[PublishingJob], attribution: Attribution
) -> list[Finding]:
    """Findings that name a publishing job ("job 'publish'") also name the package it builds."""
    labels = {(job.workflow, job.job): _package_phrase(attribution, job.folders) for job in jobs}
    result = []
    for finding in findings:
        message = finding.message
        for (file, key), label in labels.items():
            named = f"job '{key}'"
            if finding.file == file and named in message and f"{named} (" not in message:
                message = message.replace(named, f"{named} ({label})", 1)
        result.append(replace(finding, message=message))
    return result


def _about_others(finding: Finding, jobs: list[PublishingJob], wanted: set[str]) -> bool:
    """Whether a CI finding concerns only jobs that publish packages other than ``wanted``.

    A file whose publishing jobs all publish other packages is about them; within a file, a
    finding that names its jobs is about those jobs. Anything else (a file that publishes
    nothing, a job of unknown package) concerns every package.
    """
    in_file = [job for job in jobs if job.workflow == finding.file]
    if not in_file:
        return False
    named = [job for job in in_file if f"job '{job.job}'" in finding.message] or in_file
    return all(job.folders and not set(job.folders) & wanted for job in named)


def doctor_ignore(pyproject: dict[str, object]) -> tuple[list[str], str | None]:
    """``doctor.ignore`` of ``[tool.releasekit]``: (rule ids, the problem with it, if any)."""
    tool = pyproject.get("tool")
    table = tool.get("releasekit") if isinstance(tool, dict) else None
    doctor_table = table.get("doctor") if isinstance(table, dict) else None
    if doctor_table is None:
        return [], None
    where = "[tool.releasekit] doctor"
    if not isinstance(doctor_table, dict) or set(doctor_table) - {"ignore"}:
        return [], f"{where} must be a table with one key, ignore (a list of rule ids)"
    ignore = doctor_table.get("ignore", [])
    if not isinstance(ignore, list) or not all(isinstance(i, str) for i in ignore):
        return [], f'{where}.ignore must be a list of rule ids, such as ["cache-in-release-path"]'
    unknown = [i for i in ignore if i not in RULES and i not in PROJECT_RULES]
    if unknown:
        return (
            [],
            f"{where}.ignore names an unknown rule id {unknown[0]!r} (see releasekit doctor's ids)",
        )
    return ignore, None


def _audited_files(top: Path) -> list[str]:
    """The CI files doctor reads, for ``-v`` (relative to the repository's top)."""
    patterns = (".github/workflows/*.yml", ".github/workflows/*.yaml", ".gitlab-ci.yml")
    found = [p for pattern in patterns for p in sorted(top.glob(pattern))]
    if (top / ".gitlab").is_dir():
        found += sorted(p for p in (top / ".gitlab").rglob("*") if p.suffix in {".yml", ".yaml"})
    return [path.relative_to(top).as_posix() for path in found]


@frozen
class _CiAudit:
    """The workflows' findings and publishing jobs, each job with the packages it builds."""

    findings: list[Finding]
    jobs: list[PublishingJob]
    scope: list[Package]  # the packages the report is about
    monorepo: bool
    attribution: Attribution


def _audit_ci(
    top: Path, workspace: Workspace | None, chosen: list[Package] | None, *, only: bool
) -> _CiAudit:
    """Audit GitHub and GitLab CI once, and attribute each publishing job to its packages.

    In a monorepo, findings about a job name its package and each package of ``scope`` that no
    job builds is a finding; ``only`` (``--package``) keeps the findings and jobs that may
    concern the chosen package.
    """
    github_findings, github_jobs = audit_github(top, workspace)
    gitlab_findings, found_gitlab = audit_gitlab(top, workspace)
    jobs = github_jobs + found_gitlab
    findings = github_findings + gitlab_findings
    monorepo = workspace is not None and workspace.is_monorepo
    attribution = Attribution(top, workspace)
    scope = list(workspace.packages) if workspace is not None and chosen is None else chosen or []
    if not jobs:
        findings.append(_finding("no-publishing-workflow", ".github/workflows"))
    elif monorepo:
        findings = _with_packages(findings, jobs, attribution)
        if only:
            wanted = {p.path for p in scope}
            findings = [f for f in findings if not _about_others(f, jobs, wanted)]
            jobs = [j for j in jobs if not j.folders or set(j.folders) & wanted]
        findings += unpublished_findings(scope, jobs, attribution)
    return _CiAudit(findings, jobs, scope, monorepo, attribution)


@mutable
class _ProjectAudit:
    """The project checks of one package: findings, what was read, and its settings."""

    findings: list[Finding]
    suppressed: list[Finding]
    facts: ProjectFacts | None
    settings: Settings
    ignore: list[str]


def _audit_project(root: Path, git: Git | None) -> _ProjectAudit:
    """Metadata, versions and the changelog of the project at ``root``.

    Settings or metadata that cannot be read are findings; only a folder that holds no project
    at all raises ``ConfigError``. Findings' files are relative to ``root``.
    """
    findings: list[Finding] = []
    facts: ProjectFacts | None = None
    project: Project | None = None
    settings = Settings()
    ignore: list[str] = []
    try:
        project = load_project(root)
        ignore, problem = doctor_ignore(dict(project.pyproject))
        if problem is not None:
            findings.append(_finding("config-unreadable", _metadata_file(root), None, problem))
        settings = resolve_settings(project, env={})
    except ConfigError as error:
        if not any((root / name).is_file() for name in (PYPROJECT, *LEGACY_FILES)):
            raise
        findings.append(_finding("config-unreadable", _metadata_file(root), None, error.message))
        project = None
    if project is not None:
        findings += metadata_findings(project)
        if all(f.code != "metadata-unreadable" for f in findings):
            try:
                facts = read_facts(project)
            except ReleaseError as error:
                where = _metadata_file(root)
                findings.append(_finding("metadata-unreadable", where, None, error.message))
        findings += version_findings(project, settings, git)
    kept, suppressed = split_suppressed(findings, root, ignore)
    return _ProjectAudit(kept, suppressed, facts, settings, ignore)


def _in_folder(findings: list[Finding], folder: str) -> list[Finding]:
    """Findings of a package's checks with their files relative to the repository's top."""
    if folder == ".":
        return findings
    return [
        replace(f, file=f"{folder}/{f.file}") if f.file and not Path(f.file).is_absolute() else f
        for f in findings
    ]


def doctor(
    root: Path,
    reporter: DetailReporter | None = None,
    *,
    package: str | None = None,
    every: bool = False,
) -> DoctorReport:
    """Audit the project at ``root``, or the packages ``--package NAME``/``--all`` choose.

    Settings or metadata that cannot be read are findings, and git and the workflows are audited
    all the same; only a folder that holds no project at all is an error, and so is a package
    name the repository does not have (``UsageError``). CI files are read at the repository's
    top, so a project in a subfolder is audited with the workflows that publish it. In a
    monorepo each publishing job is attributed to the packages it builds (``job_packages``);
    ``package`` keeps the workflow findings and publishers of the jobs that may publish it.
    ``reporter`` hears, for ``-v``, which files were audited.
    """
    git = Git(root)
    in_git = git.toplevel() is not None
    top = top_level(root)
    workspace = workspace_of(root)
    chosen: list[Package] | None = None
    if package is not None or every:
        chosen = select(
            workspace or Workspace(top, (), "single"), root=root, package=package, every=every
        )
    if reporter is not None:
        reporter.detail(f"metadata: {_metadata_file(root)}")
        reporter.detail("git: " + (str(git.toplevel()) if in_git else "not a repository"))
        ci_files = _audited_files(top)
        reporter.detail(f"CI files: {', '.join(ci_files) if ci_files else 'none'}")
        if workspace is not None and workspace.is_monorepo:
            listed = ", ".join(f"{p.name} ({p.path})" for p in workspace.packages)
            reporter.detail(f"packages ({workspace.source}): {listed}")
    findings: list[Finding] = []
    suppressed: list[Finding] = []
    if chosen is None:
        audits = [_audit_project(root, git if in_git else None)]
        findings, suppressed = audits[0].findings, audits[0].suppressed
    else:
        audits = []
        for selected in chosen:
            audit = _audit_project(selected.root, git if in_git else None)
            audits.append(audit)
            findings += _in_folder(audit.findings, selected.path)
            suppressed += _in_folder(audit.suppressed, selected.path)
    main = audits[0]
    facts, settings, ignore = main.facts, main.settings, main.ignore
    remote = facts.remote if facts is not None else (read_remote(git) if in_git else None)
    repository: list[Finding] = []
    if in_git:
        git_facts = facts or ProjectFacts(
            name="",
            import_name="",
            compiled=None,
            tests=TestPlan("", "", ""),
            remote=remote,
        )
        repository += git_findings(git_facts, settings, git)
    else:
        repository.append(_finding("not-a-git-repository", str(root)))
    kept, silenced = split_suppressed(repository, root, ignore)
    findings, suppressed = findings + kept, suppressed + silenced
    ci = _audit_ci(top, workspace, chosen, only=package is not None)
    kept_ci, suppressed_ci = split_suppressed(ci.findings, top, ignore)
    name = facts.name if facts is not None else None
    listing = [
        PackagePublishers(
            p.name, p.path, [j for j in ci.jobs if p.path in j.folders or not ci.monorepo]
        )
        for p in ci.scope
    ]
    return DoctorReport(
        findings + kept_ci,
        _publishers(name, remote, ci.attribution, ci.jobs, ci.monorepo),
        suppressed + suppressed_ci,
        listing,
    )
