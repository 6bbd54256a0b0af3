"""releasekit init on repositories that already publish: no second publisher unless --name asks.

Every workflow here is written by the tests, in the forms projects publish with: the PyPA action,
a twine command fed a token from secrets, a GitLab job running twine.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from tests.linters import actionlint, schema_errors, zizmor
from tests.support import Repo, RepoBuilder, run_releasekit
from tests.test_init import GITHUB_URL, PACKAGE, PURE, hosted_repo

ACTION_RELEASE = """\
name: Release
on:
  push:
    tags: ["v*"]
permissions: {}
jobs:
  upload:
    runs-on: ubuntu-latest
    environment: release
    permissions:
      id-token: write
    steps:
      - uses: actions/checkout@v4
      - run: pipx run build
      - uses: pypa/gh-action-pypi-publish@release/v1
"""
TWINE_RELEASE = """\
name: Deploy
on:
  release:
    types: [published]
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: python -m build
      - run: twine upload dist/*
        env:
          TWINE_USERNAME: __token__
          TWINE_PASSWORD: ${{ secrets.PYPI_API_TOKEN }}
"""
GITLAB_TWINE = """\
stages: [build, deploy]
upload-pypi:
  stage: deploy
  script:
    - python -m build
    - python -m twine upload dist/*
"""
NOT_PUBLISHING = "name: Docs\non: push\njobs:\n  docs:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make docs\n"


def _digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts[:1]
    }


@pytest.mark.parametrize(
    ("path", "text", "job"),
    [
        (".github/workflows/release.yml", ACTION_RELEASE, "upload"),
        (".github/workflows/deploy.yaml", TWINE_RELEASE, "deploy"),
        (".gitlab-ci.yml", GITLAB_TWINE, "upload-pypi"),
    ],
    ids=["pypa-action", "twine-with-secret", "gitlab-twine"],
)
def test_existing_publisher_stops_init_and_writes_nothing(
    make_repo: RepoBuilder, path: str, text: str, job: str
) -> None:
    """A repository that publishes gets no second publisher: exit 1, one line, no file."""
    repo = hosted_repo(make_repo, {"pyproject.toml": PURE, path: text})
    before = _digests(repo.path)
    result = run_releasekit(repo.path, "init")
    assert 1 == result.returncode, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert 1 == len(lines), result.stderr
    assert lines[0].startswith(f"error: {path}: the repository already publishes")
    assert f"job '{job}' in {path}" in lines[0]
    assert "init would add a second publisher, .github/workflows/publish.yml" in lines[0]
    assert "--name FILE (such as release-releasekit.yml)" in lines[0]
    assert "Traceback" not in result.stderr
    assert before == _digests(repo.path)


def test_gitlab_init_also_stops_on_existing_gitlab_publishing(make_repo: RepoBuilder) -> None:
    """--ci gitlab sees the .gitlab-ci.yml job too, and suggests a GitLab file name."""
    repo = make_repo({**PACKAGE, "pyproject.toml": PURE, ".gitlab-ci.yml": GITLAB_TWINE})
    result = run_releasekit(repo.path, "init", "--ci", "gitlab")
    assert 1 == result.returncode
    assert "a second publisher, .gitlab/publish.gitlab-ci.yml" in result.stderr
    assert "such as releasekit.gitlab-ci.yml" in result.stderr
    named = run_releasekit(
        repo.path, "init", "--ci", "gitlab", "--name", "releasekit.gitlab-ci.yml"
    )
    assert 0 == named.returncode, named.stderr
    assert "include: [{ local: .gitlab/releasekit.gitlab-ci.yml }]" in named.stdout
    pipeline = repo.path / ".gitlab/releasekit.gitlab-ci.yml"
    assert "" == schema_errors(pipeline, "vendor.gitlab-ci")
    assert "local: .gitlab/releasekit.gitlab-ci.yml" in pipeline.read_text()
    assert not (repo.path / ".gitlab/publish.gitlab-ci.yml").exists()
    guide = repo.read("PYPI_PUBLISHING_GUIDE.md")
    assert "- `.gitlab-ci.yml`, job `upload-pypi`" in guide
    assert repo.read(".gitlab-ci.yml") == GITLAB_TWINE


def test_name_writes_beside_the_old_publisher_and_the_guide_retires_it(
    make_repo: RepoBuilder,
) -> None:
    """--name FILE writes the workflow under that name; the guide explains retiring the old one."""
    repo = hosted_repo(
        make_repo, {"pyproject.toml": PURE, ".github/workflows/release.yml": ACTION_RELEASE}
    )
    result = run_releasekit(repo.path, "init", "--name", "release-releasekit.yml")
    assert 0 == result.returncode, result.stderr
    new = repo.path / ".github/workflows/release-releasekit.yml"
    assert "Wrote .github/workflows/release-releasekit.yml" in result.stdout
    assert not (repo.path / ".github/workflows/publish.yml").exists()
    assert repo.read(".github/workflows/release.yml") == ACTION_RELEASE
    assert "Already publishing: job 'upload' in .github/workflows/release.yml" in result.stdout
    assert "retire the old publisher (.github/workflows/release.yml)" in result.stdout
    assert [] == zizmor(new)
    assert [] == actionlint(new)
    assert "" == schema_errors(new, "vendor.github-workflows")
    guide = repo.read("PYPI_PUBLISHING_GUIDE.md")
    for expected in (
        "## Retiring the old publisher",
        "`releasekit init --name release-releasekit.yml` wrote "
        "`.github/workflows/release-releasekit.yml`",
        "- `.github/workflows/release.yml`, job `upload` (environment `release`)",
        "remove the old trusted publisher",
        "`duplicate-publisher`",
        "| Workflow name | `release-releasekit.yml` |",
        "| publish workflow | `.github/workflows/release-releasekit.yml` |",
    ):
        assert expected in guide, expected
    # Running again with the same name is init's own file at the target: skipped, no error.
    again = run_releasekit(repo.path, "init", "--name", "release-releasekit.yml")
    assert 0 == again.returncode, again.stderr
    assert "Skipped .github/workflows/release-releasekit.yml" in again.stdout
    # Without --name, both publishers are named, and init suggests its own file's name.
    plain = run_releasekit(repo.path, "init")
    assert 1 == plain.returncode
    assert "job 'upload' in .github/workflows/release.yml" in plain.stderr
    assert "job 'publish-pypi' in .github/workflows/release-releasekit.yml" in plain.stderr
    assert "such as release-releasekit.yml" in plain.stderr


def test_the_maintainers_publish_yml_is_never_replaced_not_even_with_force(
    make_repo: RepoBuilder,
) -> None:
    """A publishing publish.yml that init did not write stays, and no guide describes it."""
    repo = hosted_repo(
        make_repo, {"pyproject.toml": PURE, ".github/workflows/publish.yml": TWINE_RELEASE}
    )
    before = _digests(repo.path)
    for flags in ((), ("--force",)):
        result = run_releasekit(repo.path, "init", *flags)
        assert 1 == result.returncode, result.stdout
        assert result.stderr.startswith(
            "error: .github/workflows/publish.yml: already holds a publishing workflow that "
            "init did not write (job 'deploy' in .github/workflows/publish.yml)"
        ), result.stderr
        assert "--name FILE" in result.stderr
        assert before == _digests(repo.path)


def test_no_guide_for_a_workflow_init_did_not_write(make_repo: RepoBuilder) -> None:
    """A non-publishing publish.yml is skipped, and so is the guide that would describe it."""
    repo = hosted_repo(
        make_repo, {"pyproject.toml": PURE, ".github/workflows/publish.yml": NOT_PUBLISHING}
    )
    result = run_releasekit(repo.path, "init")
    assert 0 == result.returncode, result.stderr
    assert "Skipped .github/workflows/publish.yml: it exists (--force replaces it)" in result.stdout
    assert (
        "Skipped PYPI_PUBLISHING_GUIDE.md: it describes .github/workflows/publish.yml, which was "
        "not written (--force writes both)"
    ) in result.stdout
    assert not (repo.path / "PYPI_PUBLISHING_GUIDE.md").exists()
    assert repo.read(".github/workflows/publish.yml") == NOT_PUBLISHING
    forced = run_releasekit(repo.path, "init", "--force")
    assert 0 == forced.returncode, forced.stderr
    assert "Wrote PYPI_PUBLISHING_GUIDE.md" in forced.stdout
    assert "pypa/gh-action-pypi-publish" in repo.read(".github/workflows/publish.yml")


def test_inits_own_workflow_is_not_an_existing_publisher(make_repo: RepoBuilder) -> None:
    """init's own publish.yml (its header says so) is replaced by --force, not refused."""
    repo = hosted_repo(make_repo, {"pyproject.toml": PURE})
    assert 0 == run_releasekit(repo.path, "init").returncode
    again = run_releasekit(repo.path, "init")
    assert 0 == again.returncode, again.stderr
    forced = run_releasekit(repo.path, "init", "--force", "--testpypi")
    assert 0 == forced.returncode, forced.stderr
    assert "publish-testpypi" in yaml.safe_load(repo.read(".github/workflows/publish.yml"))["jobs"]


def _git_remote_repo(make_repo: RepoBuilder) -> Repo:
    repo = make_repo({**PACKAGE, "pyproject.toml": PURE})
    repo.git("remote", "add", "github", GITHUB_URL)
    return repo


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--name", "../evil.yml"), "error: --name: invalid workflow file name '../evil.yml'"),
        (("--name", "release.txt"), "error: --name: invalid workflow file name 'release.txt'"),
        (
            ("--ci", "gitlab", "--name", "release.yaml"),
            "error: --name: invalid workflow file name 'release.yaml'; give a file name "
            "without folders, ending in .yml",
        ),
    ],
)
def test_bad_names_are_usage_errors(
    make_repo: RepoBuilder, args: tuple[str, ...], message: str
) -> None:
    repo = _git_remote_repo(make_repo)
    before = _digests(repo.path)
    result = run_releasekit(repo.path, "init", *args)
    assert 2 == result.returncode
    assert result.stderr.startswith(message), result.stderr
    assert 1 == len(result.stderr.strip().splitlines())
    assert before == _digests(repo.path)
