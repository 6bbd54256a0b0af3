"""doctor in a monorepo: each publishing job attributed to the package it builds.

Real git repositories holding a uv workspace of three packages (``backend/``, ``frontend/``,
``cli/``), with workflows in the shapes monorepos publish with: one job per package in its
``working-directory``, a matrix over the packages, ``uv build --package``, a GitLab job that
``cd``s into its package. The workflows are written here; none is copied from a project.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from releasekit.doctor import UNKNOWN_PACKAGE, DoctorReport, doctor
from releasekit.findings import Finding
from releasekit.gh_workflows import Repository
from releasekit.gitlab_ci import audit_gitlab
from releasekit.job_packages import (
    Attribution,
    GitHubAttribution,
    matrix_cells,
    script_claims,
    workspace_of,
)
from releasekit.publisher_duplicates import github_duplicates
from releasekit.yaml_nodes import parse
from tests.support import RepoBuilder, run_releasekit
from tests.test_json_contract import report, validator

SHA = "0123456789abcdef0123456789abcdef01234567"
CHECKOUT = f"actions/checkout@{SHA} # v5"
PUBLISH = f"pypa/gh-action-pypi-publish@{SHA} # v1.13.0"
UPLOAD = f"actions/upload-artifact@{SHA} # v4"
DOWNLOAD = f"actions/download-artifact@{SHA} # v5"
NAMES = {"backend": "acme-backend", "frontend": "acme-frontend", "cli": "acme-cli"}


def package(name: str) -> str:
    """A package's pyproject.toml with the metadata doctor asks for."""
    return (
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        f'[project]\nname = "{name}"\nversion = "1.0.0"\nreadme = "README.md"\n'
        'license = "MIT"\nrequires-python = ">=3.11"\n'
        'classifiers = ["Programming Language :: Python :: 3"]\n'
    )


def workspace(top_project: str | None = None) -> dict[str, str]:
    """The files of a uv workspace of three packages (the top one too, when named)."""
    members = '[tool.uv.workspace]\nmembers = ["backend", "frontend", "cli"]\n'
    top = package(top_project) + "\n" + members if top_project else members
    files = {"pyproject.toml": top}
    for folder, name in NAMES.items():
        module = name.replace("-", "_")
        files[f"{folder}/pyproject.toml"] = package(name)
        files[f"{folder}/README.md"] = f"# {name}\n"
        files[f"{folder}/CHANGELOG.md"] = "# Changelog\n\n## [Unreleased]\n"
        files[f"{folder}/src/{module}/__init__.py"] = '"""A package."""\n'
    return files


def build_job(key: str, steps: str, *, extra: str = "") -> str:
    """A job that builds with ``steps`` (after the checkout) and uploads the artifact."""
    return (
        f"  {key}:\n    runs-on: ubuntu-latest\n    permissions:\n      contents: read\n{extra}"
        f"    steps:\n      - uses: {CHECKOUT}\n        with:\n          persist-credentials: false\n"
        f"{steps}"
    )


def publish_job(key: str, needs: str, steps: str, *, extra: str = "", env: str = "pypi") -> str:
    """A job that downloads what ``needs`` built and uploads it with the PyPA action."""
    environment = f"    environment: {env}\n" if env else ""
    return (
        f"  {key}:\n    needs: [{needs}]\n    runs-on: ubuntu-latest\n{environment}"
        f"    permissions:\n      id-token: write\n{extra}    steps:\n{steps}"
        f"      - uses: {PUBLISH}\n"
    )


def workflow(*jobs: str) -> str:
    """A release workflow holding ``jobs``."""
    return "name: release\non:\n  release:\n    types: [published]\npermissions: {}\njobs:\n" + (
        "".join(jobs)
    )


def artifact(name: str, path: str) -> str:
    """An upload-artifact step."""
    return (
        f"      - uses: {UPLOAD}\n        with:\n          name: {name}\n          path: {path}\n"
    )


def fetched(name: str, path: str) -> str:
    """A download-artifact step."""
    return (
        f"      - uses: {DOWNLOAD}\n        with:\n          name: {name}\n          path: {path}\n"
    )


# One job per package: the working directory of the job, `cd X &&`, `uv build --package`.
PER_PACKAGE = workflow(
    build_job(
        "build-backend",
        "      - run: python -m build\n" + artifact("backend-dist", "backend/dist/"),
        extra="    defaults:\n      run:\n        working-directory: backend\n",
    ),
    publish_job("publish-backend", "build-backend", fetched("backend-dist", "dist/")),
    build_job(
        "build-frontend",
        "      - run: cd frontend && python -m build --outdir ../out\n"
        + artifact("frontend-dist", "out/"),
    ),
    publish_job("publish-frontend", "build-frontend", fetched("frontend-dist", "dist/"), env=""),
)
MATRIX = workflow(
    build_job(
        "build",
        "      - run: uv build --package ${{ matrix.package }}\n"
        + artifact("dist-${{ matrix.package }}", "dist/"),
        extra="    strategy:\n      matrix:\n        package: [acme-backend, acme-frontend, "
        "acme-cli]\n",
    ),
    publish_job("publish", "build", fetched("", "dist/").replace("name: \n", "pattern: dist-*\n")),
)


def hosted(make_repo: RepoBuilder, files: dict[str, str]) -> Path:
    """The repository, with a GitHub remote naming the owner and repository."""
    repo = make_repo(files)
    repo.git("remote", "add", "github", "https://github.com/acme-corp/monorepo.git")
    return repo.path


def names(result: DoctorReport) -> list[tuple[str, str]]:
    """(job, PyPI project name) of each trusted-publisher block."""
    return [(p.job, dict(p.values)["PyPI Project Name"]) for p in result.publishers]


def codes(result: DoctorReport) -> list[str]:
    """The ids of the findings."""
    return [f.code for f in result.findings]


def doctor_json(path: Path, *args: str, code: int | None = None) -> dict[str, Any]:
    """``releasekit doctor --json`` run as installed, checked against the schema."""
    run = run_releasekit(path, "doctor", "--json", *args)
    assert "Traceback" not in run.stderr
    return report(run, "doctor", run.returncode if code is None else code)


def test_one_job_per_package_is_attributed_and_the_third_package_is_not_published(
    make_repo: RepoBuilder,
) -> None:
    """working-directory and ``cd X`` name the package; a package no job builds is a warning."""
    top = hosted(make_repo, {**workspace(), ".github/workflows/release.yml": PER_PACKAGE})
    result = doctor(top)
    assert [("publish-backend", "acme-backend"), ("publish-frontend", "acme-frontend")] == names(
        result
    )
    assert (
        "Trusted publisher for pypi (.github/workflows/release.yml, job publish-backend, "
        "package acme-backend in backend/):"
    ) == result.publishers[0].heading
    [unpublished] = [f for f in result.findings if f.code == "package-not-published"]
    assert ("cli/pyproject.toml", 5, "warning") == (
        unpublished.file,
        unpublished.line,
        unpublished.severity,
    )
    assert unpublished.message.startswith("acme-cli (cli/) is built by no publishing job:")
    [environment] = [f for f in result.findings if f.code == "publish-without-environment"]
    assert "job 'publish-frontend' (package acme-frontend in frontend/)" in environment.message
    cli = top / "cli" / "pyproject.toml"
    cli.write_text(
        cli.read_text().replace(
            "[project]\n", "[project]  # releasekit: ignore[package-not-published]\n"
        )
    )
    silenced = doctor(top)
    assert "package-not-published" not in codes(silenced)
    assert ["package-not-published"] == [f.code for f in silenced.suppressed]


def test_a_matrix_over_the_packages_publishes_each_of_them(make_repo: RepoBuilder) -> None:
    """``uv build --package ${{ matrix.package }}``: one block per package, none left out."""
    top = hosted(make_repo, {**workspace(), ".github/workflows/release.yml": MATRIX})
    result = doctor(top)
    assert [
        ("publish", "acme-backend"),
        ("publish", "acme-cli"),
        ("publish", "acme-frontend"),
    ] == names(result)
    assert "package-not-published" not in codes(result)


def test_only_the_artifacts_downloaded_count(make_repo: RepoBuilder) -> None:
    """A publishing job that downloads one cell's artifact publishes that cell's package."""
    text = MATRIX.replace("pattern: dist-*", "name: dist-acme-cli")
    top = hosted(make_repo, {**workspace(), ".github/workflows/release.yml": text})
    result = doctor(top)
    assert [("publish", "acme-cli")] == names(result)
    assert {"backend/pyproject.toml", "frontend/pyproject.toml"} == {
        f.file for f in result.findings if f.code == "package-not-published"
    }


def test_a_reusable_workflow_called_for_each_package(make_repo: RepoBuilder) -> None:
    """``${{ inputs.package }}`` is read from each call: a caller's matrix over two packages."""
    called = (
        "name: publish\non:\n  workflow_call:\n    inputs:\n      package:\n"
        "        type: string\n        required: true\npermissions: {}\njobs:\n"
        + build_job(
            "build",
            "      - run: python -m build\n"
            + artifact("dist-${{ inputs.package }}", "${{ inputs.package }}/dist/"),
            extra="    defaults:\n      run:\n        working-directory: ${{ inputs.package }}\n",
        )
        + publish_job("publish", "build", fetched("dist-${{ inputs.package }}", "dist/"))
    )
    caller = (
        "name: release\non:\n  release:\n    types: [published]\npermissions: {}\njobs:\n"
        "  release:\n    strategy:\n      matrix:\n        package: [backend, cli]\n"
        "    permissions:\n      contents: read\n      id-token: write\n"
        "    uses: ./.github/workflows/publish.yml\n"
        "    with:\n      package: ${{ matrix.package }}\n"
    )
    files = {
        **workspace(),
        ".github/workflows/publish.yml": called,
        ".github/workflows/release.yml": caller,
    }
    result = doctor(hosted(make_repo, files))
    assert [("publish", "acme-backend"), ("publish", "acme-cli")] == names(result)
    assert ["frontend/pyproject.toml"] == [
        f.file for f in result.findings if f.code == "package-not-published"
    ]


def test_gitlab_job_that_changes_into_its_package(make_repo: RepoBuilder) -> None:
    """GitLab: ``cd backend`` carries over to the next script lines, as in GitLab's one shell.

    Two CI files publishing different packages on tags are no duplicate; the same package is.
    """
    token = "  environment: pypi\n  id_tokens:\n    PYPI_ID_TOKEN:\n      aud: pypi\n"
    backend = f"publish-backend:\n{token}  script:\n    - cd backend\n    - uv build\n"
    backend += "    - uv publish\n"
    frontend = f"publish-frontend:\n{token}  script:\n    - uv publish frontend/dist/*\n"
    files = {**workspace(), ".gitlab-ci.yml": backend, ".gitlab/frontend.yml": frontend}
    repo = make_repo(files)
    repo.git("remote", "add", "gitlab", "https://gitlab.com/acme-corp/monorepo.git")
    result = doctor(repo.path)
    assert [("publish-backend", "acme-backend"), ("publish-frontend", "acme-frontend")] == names(
        result
    )
    assert (
        "Trusted publisher for pypi (GitLab CI: .gitlab-ci.yml, job publish-backend, "
        "package acme-backend in backend/):"
    ) == result.publishers[0].heading
    assert "duplicate-publisher" not in codes(result)
    (repo.path / ".gitlab/frontend.yml").write_text(frontend.replace("frontend/", "backend/"))
    same = doctor(repo.path)
    [duplicate] = [f for f in same.findings if f.code == "duplicate-publisher"]
    assert "job 'publish-backend' (package acme-backend in backend/) in .gitlab-ci.yml" in (
        duplicate.message
    )


def test_a_job_doctor_cannot_read_is_package_unknown(make_repo: RepoBuilder) -> None:
    """Files uploaded from the top's dist/ may be any member's: no guess, and a milder finding."""
    upload = "      - run: twine upload dist/*\n"
    text = workflow(
        publish_job("publish", "build", upload).replace(f"      - uses: {PUBLISH}\n", ""),
        build_job("build", "      - run: echo building\n"),
    )
    top = hosted(make_repo, {**workspace(), ".github/workflows/release.yml": text})
    result = doctor(top)
    assert [("publish", UNKNOWN_PACKAGE)] == names(result)
    assert result.publishers[0].heading.endswith(", package unknown):")
    unpublished = [f for f in result.findings if f.code == "package-not-published"]
    assert 3 == len(unpublished)
    assert {"info"} == {f.severity for f in unpublished}
    assert "cannot tell which package job 'publish' builds" in unpublished[0].message


def test_a_top_level_build_publishes_the_top_package(make_repo: RepoBuilder) -> None:
    """A top that is itself a package: building there publishes it, not its members."""
    text = workflow(
        build_job("build", "      - run: python -m build\n" + artifact("dist", "dist/")),
        publish_job("publish", "build", fetched("dist", "dist/")),
    )
    files = {**workspace("acme"), "README.md": "# acme\n", "CHANGELOG.md": "## [Unreleased]\n"}
    top = hosted(make_repo, {**files, ".github/workflows/release.yml": text})
    result = doctor(top)
    assert [("publish", "acme")] == names(result)
    assert 3 == codes(result).count("package-not-published")


def test_different_packages_on_one_release_are_not_duplicates(make_repo: RepoBuilder) -> None:
    """Two workflows on ``release: published``, each for its own package: no duplicate."""

    def one(folder: str) -> str:
        return workflow(
            build_job(
                "build",
                f"      - run: uv build {folder}\n" + artifact("dist", f"{folder}/dist/"),
            ),
            publish_job("publish", "build", fetched("dist", f"{folder}/dist/")),
        )

    files = {
        **workspace(),
        ".github/workflows/backend.yml": one("backend"),
        ".github/workflows/cli.yml": one("cli"),
    }
    result = doctor(hosted(make_repo, files))
    assert "duplicate-publisher" not in codes(result)
    assert [
        (".github/workflows/backend.yml", "acme-backend"),
        (".github/workflows/cli.yml", "acme-cli"),
    ] == [(p.workflow, dict(p.values)["PyPI Project Name"]) for p in result.publishers]


def one_package(folder: str) -> str:
    """A release workflow that builds and publishes the package in ``folder``."""
    return workflow(
        build_job(
            "build", f"      - run: uv build {folder}\n" + artifact("dist", f"{folder}/dist/")
        ),
        publish_job("publish", "build", fetched("dist", f"{folder}/dist/")),
    )


def github_pairs(top: Path) -> tuple[dict[str, tuple[str, ...]], list[Finding]]:
    """(each publishing job's package folders, the ``duplicate-publisher`` findings).

    The sets are read as doctor reads them (``job_packages``) and compared whole by
    ``github_duplicates``, each job's set against the other's.
    """
    repo = Repository(top)
    reader = GitHubAttribution(repo, Attribution(top, workspace_of(top)))
    packages = {
        (job.file, job.key): reader.folders(job)
        for found in repo.workflows.values()
        for job in found.jobs.values()
        if job.publishes
    }
    pairs = [f for f in github_duplicates(repo, packages) if f.code == "duplicate-publisher"]
    return {f"{file}:{key}": folders for (file, key), folders in packages.items()}, pairs


def test_a_matrix_over_every_package_beside_a_job_for_one_of_them_is_a_pair(
    make_repo: RepoBuilder,
) -> None:
    """The matrix uploads backend too: one release uploads it twice, whatever else each builds.

    A matrix that leaves that package out shares none with the job: no pair.
    """
    files = {
        **workspace(),
        ".github/workflows/matrix.yml": MATRIX,
        ".github/workflows/backend.yml": one_package("backend"),
    }
    top = hosted(make_repo, files)
    packages, pairs = github_pairs(top)
    assert {
        ".github/workflows/backend.yml:publish": ("backend",),
        ".github/workflows/matrix.yml:publish": ("backend", "cli", "frontend"),
    } == packages
    [pair] = pairs
    assert ("error", ".github/workflows/backend.yml") == (pair.severity, pair.file)
    assert pair.message.startswith(
        "job 'publish' in .github/workflows/backend.yml and job 'publish' in "
        ".github/workflows/matrix.yml both upload to pypi on release published"
    )
    (top / ".github/workflows/matrix.yml").write_text(
        MATRIX.replace("acme-backend, ", ""), encoding="utf-8"
    )
    packages, pairs = github_pairs(top)
    assert ("cli", "frontend") == packages[".github/workflows/matrix.yml:publish"]
    assert [] == pairs


def test_a_job_of_unknown_package_pairs_with_any_package(make_repo: RepoBuilder) -> None:
    """Files uploaded from the top's dist/ may be backend's: doctor does not guess them away."""
    unknown = workflow(publish_job("publish", "build", "      - run: echo fetching\n"))
    unknown = unknown.replace("    needs: [build]\n", "")
    files = {
        **workspace(),
        ".github/workflows/any.yml": unknown,
        ".github/workflows/backend.yml": one_package("backend"),
    }
    packages, pairs = github_pairs(hosted(make_repo, files))
    assert () == packages[".github/workflows/any.yml:publish"]
    assert [".github/workflows/any.yml"] == [f.file for f in pairs]


def test_doctor_reports_a_matrix_and_a_job_for_one_of_its_packages(
    make_repo: RepoBuilder,
) -> None:
    """``releasekit doctor`` as installed: the pair, named with the packages each job builds."""
    files = {
        **workspace(),
        ".github/workflows/matrix.yml": MATRIX,
        ".github/workflows/backend.yml": one_package("backend"),
    }
    top = hosted(make_repo, files)
    data = doctor_json(top)
    [pair] = [f for f in data["findings"] if f["id"] == "duplicate-publisher"]
    assert ("error", ".github/workflows/backend.yml") == (pair["severity"], pair["file"])
    assert (
        "job 'publish' (package acme-backend in backend/) in .github/workflows/backend.yml"
        in (pair["message"])
    )
    (top / ".github/workflows/matrix.yml").write_text(
        MATRIX.replace("acme-backend, ", ""), encoding="utf-8"
    )
    after = doctor_json(top)
    assert "duplicate-publisher" not in [f["id"] for f in after["findings"]]


GITLAB_TOKEN = "  environment: pypi\n  id_tokens:\n    PYPI_ID_TOKEN:\n      aud: pypi\n"


def gitlab_matrix(folders: str) -> str:
    """A GitLab job that builds and publishes each package of ``folders``, one cell each."""
    return (
        f"publish-all:\n{GITLAB_TOKEN}  parallel:\n    matrix:\n      - PACKAGE: [{folders}]\n"
        "  script:\n    - cd $PACKAGE\n    - uv build\n    - uv publish\n"
    )


def test_gitlab_pairs_only_jobs_that_share_a_package(make_repo: RepoBuilder) -> None:
    """audit_gitlab itself compares packages: a matrix over all and a job for cli are a pair.

    Once the matrix leaves cli out, the two files publish different packages: no pair.
    """
    cli = f"publish-cli:\n{GITLAB_TOKEN}  script:\n    - uv publish cli/dist/*\n"
    files = {
        **workspace(),
        ".gitlab-ci.yml": gitlab_matrix("backend, frontend, cli"),
        ".gitlab/cli.yml": cli,
    }
    repo = make_repo(files)
    findings, jobs = audit_gitlab(repo.path)
    assert [
        ("publish-all", ("backend", "cli", "frontend")),
        ("publish-cli", ("cli",)),
    ] == [(j.job, j.folders) for j in jobs]
    [pair] = [f for f in findings if f.code == "duplicate-publisher"]
    assert ("error", ".gitlab-ci.yml") == (pair.severity, pair.file)
    assert pair.message.startswith(
        "job 'publish-all' in .gitlab-ci.yml and job 'publish-cli' in .gitlab/cli.yml both "
        "upload to pypi in a tag pipeline"
    )
    (repo.path / ".gitlab-ci.yml").write_text(gitlab_matrix("backend, frontend"))
    findings, jobs = audit_gitlab(repo.path)
    assert ("backend", "frontend") == jobs[0].folders
    assert "duplicate-publisher" not in [f.code for f in findings]
    result = doctor(repo.path)
    assert "duplicate-publisher" not in codes(result)
    assert [
        ("publish-all", "acme-backend"),
        ("publish-all", "acme-frontend"),
        ("publish-cli", "acme-cli"),
    ] == names(result)


def test_the_packages_key_is_in_the_schema(make_repo: RepoBuilder) -> None:
    """``packages`` is always in doctor's report, each publisher exactly as docs/json.md says."""
    top = hosted(make_repo, {**workspace(), ".github/workflows/release.yml": MATRIX})
    data = doctor_json(top)
    assert [("acme-backend", "backend"), ("acme-cli", "cli"), ("acme-frontend", "frontend")] == [
        (p["name"], p["path"]) for p in data["packages"]
    ]
    assert {
        "ci": "github",
        "workflow": ".github/workflows/release.yml",
        "job": "publish",
        "index": "pypi",
    } == data["packages"][0]["publishers"][0]
    # The schema holds a report that ran to the end to the key, and to each publisher's shape.
    ended = {**data, "ok": True, "errors": 0}
    assert validator().is_valid(ended)
    assert not validator().is_valid({k: v for k, v in ended.items() if k != "packages"})
    extra = {**data["packages"][0]["publishers"][0], "environment": "pypi"}
    changed = [{**data["packages"][0], "publishers": [extra]}]
    assert not validator().is_valid({**ended, "packages": changed})


def test_package_and_all_on_the_command_line(make_repo: RepoBuilder) -> None:
    """``--package`` keeps that package's checks, jobs and blocks; ``--all`` checks each one."""
    files = {**workspace(), ".github/workflows/release.yml": PER_PACKAGE}
    files["frontend/pyproject.toml"] = files["frontend/pyproject.toml"].replace(
        'license = "MIT"\n', ""
    )
    top = hosted(make_repo, files)
    plain = doctor_json(top, code=1)
    assert {"acme-backend", "acme-frontend"} == {
        p["values"]["PyPI Project Name"] for p in plain["trusted_publishers"]
    }
    assert [
        ("acme-backend", "backend", 1),
        ("acme-cli", "cli", 0),
        ("acme-frontend", "frontend", 1),
    ] == [(p["name"], p["path"], len(p["publishers"])) for p in plain["packages"]]
    backend = doctor_json(top, "--package", "acme-backend", code=0)
    assert ["publish-backend"] == [p["job"] for p in backend["trusted_publishers"]]
    assert [] == [f for f in backend["findings"] if "frontend" in f["message"]]
    assert ["acme-backend"] == [p["name"] for p in backend["packages"]]
    every = doctor_json(top, "--all", code=1)
    assert [("frontend/pyproject.toml", "license-missing")] == [
        (f["file"], f["id"]) for f in every["findings"] if f["id"] == "license-missing"
    ]
    assert {"package-not-published", "publish-without-environment"} <= {
        f["id"] for f in every["findings"]
    }
    text = run_releasekit(top, "doctor", "--package", "acme-frontend")
    assert 1 == text.returncode
    assert "job publish-frontend, package acme-frontend in frontend/):" in text.stdout
    assert "publish-backend" not in text.stdout
    wrong = run_releasekit(top, "doctor", "--package", "nosuch")
    assert 2 == wrong.returncode
    assert 1 == len(wrong.stderr.strip().splitlines())
    assert "no package named 'nosuch'" in wrong.stderr


def test_a_single_project_reads_as_before(make_repo: RepoBuilder) -> None:
    """One package: no package in the headings, and its jobs listed under it."""
    text = workflow(
        build_job("build", "      - run: python -m build\n" + artifact("dist", "dist/")),
        publish_job("publish", "build", fetched("dist", "dist/")),
    )
    files = {
        "pyproject.toml": package("acme"),
        "README.md": "# acme\n",
        "CHANGELOG.md": "## [Unreleased]\n",
        "src/acme/__init__.py": "",
        ".github/workflows/release.yml": text,
    }
    top = hosted(make_repo, files)
    data = doctor_json(top, code=0)
    assert [("acme", ".", ["publish"])] == [
        (p["name"], p["path"], [j["job"] for j in p["publishers"]]) for p in data["packages"]
    ]
    run = run_releasekit(top, "doctor")
    assert "Trusted publisher for pypi (.github/workflows/release.yml, job publish):" in run.stdout
    assert "package" not in run.stdout.split("Trusted publisher", 1)[1].splitlines()[0]


def test_scripts_and_matrices_read_as_the_shell_and_github_do() -> None:
    """cd, uv's --directory, maturin's manifest, releasekit -C; include and exclude cells."""
    claims, cwd = script_claims(
        "cd rust && maturin build -m crate/Cargo.toml\nuv --directory ../cli build\n"
        "releasekit -C backend publish\npip wheel . -w wheels\nuv build -C mode=x\n"
        "twine upload $OUT/*",
        ".",
        {"OUT": "frontend/dist"},
    )
    assert "rust" == cwd
    assert [
        ("build", "rust/crate"),
        ("build", "cli"),
        ("build", "rust/backend"),
        ("build", "rust"),
        ("build", "rust"),
        ("output", "rust/frontend/dist"),
    ] == [(c.kind, c.value) for c in claims]
    job = parse(
        "strategy:\n  matrix:\n    package: [a, b]\n    python: ['3.12']\n"
        "    include:\n      - package: a\n        dir: pkgs/a\n      - package: c\n"
        "    exclude:\n      - package: b\n"
    )
    assert [
        {"matrix.package": "a", "matrix.python": "3.12", "matrix.dir": "pkgs/a"},
        {"matrix.package": "c"},
    ] == matrix_cells(job)
