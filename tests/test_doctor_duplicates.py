"""doctor's ``duplicate-publisher``: two publishers of one project that one release starts.

Every workflow is written here, in the shapes a repository ends up with when a second publisher
is added beside an old one; none is copied from a project. The unit cases go through
``audit_github``/``audit_gitlab`` (what ``doctor`` calls); the last case runs the installed
``releasekit init --name`` and then ``releasekit doctor --json``, as the guide tells users to.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from releasekit.findings import Finding
from releasekit.gitlab_ci import audit_gitlab
from tests.support import RepoBuilder, run_releasekit
from tests.test_doctor_github import PUBLISH, audit, workflow
from tests.test_init import PURE, hosted_repo

RELEASE = "  release:\n    types: [published]\n"
TAG_PUSH = "  push:\n    tags: ['v*']\n"
DISPATCH = "  workflow_dispatch:\n"
TESTPYPI = f"      - uses: {PUBLISH}\n        with:\n          repository-url: https://test.pypi.org/legacy/\n"
TWINE = (
    "      - run: twine upload dist/*\n"
    "        env:\n"
    "          TWINE_USERNAME: __token__\n"
    "          TWINE_PASSWORD: ${{ secrets.PYPI_API_TOKEN }}\n"
)


def duplicates(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.code == "duplicate-publisher"]


def github(tmp_path: Path, files: dict[str, str]) -> list[Finding]:
    findings, _ = audit(tmp_path, {f".github/workflows/{k}": v for k, v in files.items()})
    return duplicates(findings)


def test_two_workflows_on_release_published_both_uploading_to_pypi(tmp_path: Path) -> None:
    """The plain case: an error naming both files and jobs, at the first file's job."""
    found = github(tmp_path, {"old.yml": workflow(TWINE), "release.yml": workflow()})
    assert 1 == len(found), found
    first = found[0]
    assert ("error", ".github/workflows/old.yml") == (first.severity, first.file)
    assert (
        first.line
        == (tmp_path / ".github/workflows/old.yml").read_text().splitlines().index("  publish:") + 1
    )
    assert first.message.startswith(
        "job 'publish' in .github/workflows/old.yml and job 'publish' in "
        ".github/workflows/release.yml both upload to pypi on release published:"
    )
    assert first.hint is not None
    assert "workflow_dispatch" in first.hint


def test_a_tag_push_and_a_published_release_are_one_release(tmp_path: Path) -> None:
    """prepare pushes the tag, then the release is published: both workflows run."""
    found = github(tmp_path, {"a.yml": workflow(on=TAG_PUSH), "b.yml": workflow(on=RELEASE)})
    assert 1 == len(found), found
    assert "on one release (a push of tag v* and release published)" in found[0].message
    assert "error" == found[0].severity


@pytest.mark.parametrize(
    ("files", "why"),
    [
        ({"pypi.yml": workflow(), "test.yml": workflow(TESTPYPI)}, "TestPyPI and PyPI"),
        (
            {"release.yml": workflow(), "manual.yml": workflow(on=DISPATCH)},
            "a manual re-run workflow beside the release workflow",
        ),
        (
            {
                "release.yml": workflow(),
                "dry.yml": workflow("      - run: uv publish --dry-run dist/*\n"),
            },
            "a dry run",
        ),
        (
            {
                "a.yml": workflow(on="  release:\n    types: [released]\n"),
                "b.yml": workflow(on="  release:\n    types: [prereleased]\n"),
            },
            "a release is either released or prereleased, never both",
        ),
        (
            {
                "tags.yml": workflow(on=TAG_PUSH),
                "rel.yml": workflow(on="  release:\n    types: [edited]\n"),
            },
            "editing a release is not releasing",
        ),
        (
            {
                "one.yml": workflow(on="  push:\n    tags: ['v*']\n"),
                "two.yml": workflow(on="  push:\n    tags: ['docs-*']\n"),
            },
            "tag patterns that no tag meets both",
        ),
    ],
    ids=["indexes", "dispatch", "dry-run", "released-prereleased", "edited", "tag-patterns"],
)
def test_pairs_that_cannot_upload_twice(tmp_path: Path, files: dict[str, str], why: str) -> None:
    assert [] == github(tmp_path, files), why


CALLED = f"""\
name: publish
on:
  workflow_call:
permissions: {{}}
jobs:
  upload:
    runs-on: ubuntu-latest
    environment: pypi
    permissions:
      id-token: write
    steps:
      - uses: {PUBLISH}
"""
CALLER = """\
name: release
on:
{on}permissions: {{}}
jobs:
  publish:
    permissions:
      id-token: write
    uses: ./.github/workflows/publish.yml
"""


def test_a_reusable_workflow_and_its_caller_are_one_path(tmp_path: Path) -> None:
    found = github(tmp_path, {"publish.yml": CALLED, "release.yml": CALLER.format(on=RELEASE)})
    assert [] == found


def test_two_callers_of_one_reusable_workflow_on_the_same_release_are_two_runs(
    tmp_path: Path,
) -> None:
    found = github(
        tmp_path,
        {
            "publish.yml": CALLED,
            "release.yml": CALLER.format(on=RELEASE),
            "tagged.yml": CALLER.format(on=TAG_PUSH),
        },
    )
    assert 1 == len(found), found
    assert found[0].message.startswith(
        "job 'upload' in .github/workflows/publish.yml, called from .github/workflows/release.yml "
        "and job 'upload' in .github/workflows/publish.yml, called from "
        ".github/workflows/tagged.yml both upload to pypi on one release"
    ), found[0].message


def test_a_called_workflow_with_its_own_release_trigger_runs_twice(tmp_path: Path) -> None:
    """publish.yml on release and on workflow_call, called by release.yml on release too."""
    callee = CALLED.replace("  workflow_call:\n", "  workflow_call:\n" + RELEASE)
    found = github(tmp_path, {"publish.yml": callee, "release.yml": CALLER.format(on=RELEASE)})
    assert 1 == len(found), found
    assert "on release published" in found[0].message


def test_a_condition_doctor_cannot_judge_makes_it_a_warning(tmp_path: Path) -> None:
    guarded = workflow(condition="    if: github.repository == 'acme-corp/widgets'\n")
    found = github(tmp_path, {"a.yml": workflow(), "b.yml": guarded})
    assert 1 == len(found), found
    assert "warning" == found[0].severity
    assert "doctor cannot judge github.repository" in found[0].message


def test_a_condition_that_excludes_the_release_event_is_no_pair(tmp_path: Path) -> None:
    """Both workflows list release, but one uploads only when run by hand."""
    manual_only = workflow(
        on=RELEASE + DISPATCH, condition="    if: github.event_name == 'workflow_dispatch'\n"
    )
    assert [] == github(tmp_path, {"a.yml": workflow(), "b.yml": manual_only})


def test_different_projects_of_a_monorepo_are_not_duplicates(tmp_path: Path) -> None:
    for package in ("alpha", "beta"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "pyproject.toml").write_text(f'[project]\nname = "{package}"\n')

    def folder_workflow(package: str) -> str:
        upload = (
            f"      - uses: {PUBLISH}\n        with:\n          packages-dir: {package}/dist/\n"
        )
        return workflow(upload)

    found = github(tmp_path, {"a.yml": folder_workflow("alpha"), "b.yml": folder_workflow("beta")})
    assert [] == found
    same = github(tmp_path, {"a.yml": folder_workflow("alpha"), "b.yml": folder_workflow("alpha")})
    assert 1 == len(same)


def test_the_finding_can_be_suppressed_on_its_line(make_repo: RepoBuilder) -> None:
    """A kept second path is silenced where the finding points, and counted as suppressed."""
    old = workflow(TWINE).replace(
        "  publish:\n", "  publish:  # releasekit: ignore[duplicate-publisher]\n"
    )
    repo = hosted_repo(
        make_repo,
        {
            "pyproject.toml": PURE,
            ".github/workflows/old.yml": old,
            ".github/workflows/release.yml": workflow(),
        },
    )
    result = run_releasekit(repo.path, "doctor", "--json")
    report = json.loads(result.stdout)
    assert not [f for f in report["findings"] if f["id"] == "duplicate-publisher"]
    assert ["duplicate-publisher"] == [f["id"] for f in report["suppressed"]]


GITLAB_OLD = """\
stages: [build, deploy]
upload-pypi:
  stage: deploy
  script:
    - python -m twine upload dist/*
"""
GITLAB_NEW = """\
publish-pypi:
  stage: deploy
  environment: pypi
  id_tokens:
    PYPI_ID_TOKEN:
      aud: pypi
  rules:
    - if: $CI_COMMIT_TAG =~ /^v/
  script:
    - uv publish --trusted-publishing always
"""


def gitlab(tmp_path: Path, files: dict[str, str]) -> list[Finding]:
    (tmp_path / ".git").mkdir(exist_ok=True)
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    findings, _ = audit_gitlab(tmp_path)
    return duplicates(findings)


def test_gitlab_jobs_in_two_files_on_tag_pipelines(tmp_path: Path) -> None:
    included = GITLAB_OLD + "include: [{ local: .gitlab/new.gitlab-ci.yml }]\n"
    found = gitlab(tmp_path, {".gitlab-ci.yml": included, ".gitlab/new.gitlab-ci.yml": GITLAB_NEW})
    assert 1 == len(found), found
    assert ("error", ".gitlab-ci.yml") == (found[0].severity, found[0].file)
    assert found[0].message.startswith(
        "job 'upload-pypi' in .gitlab-ci.yml and job 'publish-pypi' in .gitlab/new.gitlab-ci.yml "
        "both upload to pypi in a tag pipeline"
    )


@pytest.mark.parametrize(
    ("old", "severity"),
    [
        (GITLAB_OLD.replace("  stage: deploy\n", "  stage: deploy\n  when: manual\n"), None),
        (GITLAB_OLD.replace("  stage: deploy\n", "  stage: deploy\n  only: [main]\n"), "warning"),
        (GITLAB_OLD.replace("  stage: deploy\n", "  stage: deploy\n  except: [tags]\n"), None),
        (
            GITLAB_OLD.replace(
                "  stage: deploy\n", "  stage: deploy\n  rules:\n    - if: $CI_COMMIT_TAG == null\n"
            ),
            None,
        ),
        (GITLAB_OLD.replace("twine upload", "twine upload --repository testpypi"), None),
    ],
    ids=["manual", "branch-only-unknown", "except-tags", "rule-without-tag", "other-index"],
)
def test_gitlab_pairs_by_rules(tmp_path: Path, old: str, severity: str | None) -> None:
    found = gitlab(tmp_path, {".gitlab-ci.yml": old, ".gitlab/new.gitlab-ci.yml": GITLAB_NEW})
    assert ([severity] if severity else []) == [f.severity for f in found], found


def test_jobs_of_one_gitlab_file_are_one_pipeline_definition(tmp_path: Path) -> None:
    """A sdist job and a wheels job written together are one publisher, not two."""
    both = GITLAB_OLD + GITLAB_OLD.split("\n", 1)[1].replace("upload-pypi", "upload-wheels")
    assert [] == gitlab(tmp_path, {".gitlab-ci.yml": both})


def test_init_name_beside_an_old_publisher_then_doctor_reports_the_pair(
    make_repo: RepoBuilder,
) -> None:
    """The guide's promise, with the installed command: init --name, then doctor."""
    old = (
        "name: Release\non:\n  push:\n    tags: ['v*']\npermissions: {}\njobs:\n  upload:\n"
        "    runs-on: ubuntu-latest\n    environment: release\n    permissions:\n"
        "      id-token: write\n    steps:\n      - uses: pypa/gh-action-pypi-publish@release/v1\n"
    )
    repo = hosted_repo(make_repo, {"pyproject.toml": PURE, ".github/workflows/release.yml": old})
    written = run_releasekit(repo.path, "init", "--name", "release-releasekit.yml")
    assert 0 == written.returncode, written.stderr
    result = run_releasekit(repo.path, "doctor", "--json")
    assert 1 == result.returncode, result.stdout + result.stderr
    found = [f for f in json.loads(result.stdout)["findings"] if f["id"] == "duplicate-publisher"]
    assert 1 == len(found), found
    assert "error" == found[0]["severity"]
    assert found[0]["file"] == ".github/workflows/release-releasekit.yml"
    assert "job 'upload' in .github/workflows/release.yml" in found[0]["message"]
    assert "on one release (release published and a push of tag v*)" in found[0]["message"]
    text = run_releasekit(repo.path, "doctor")
    assert "duplicate-publisher" in text.stdout + text.stderr
    # Retiring the old workflow, as the guide says, ends the finding.
    (repo.path / ".github/workflows/release.yml").unlink()
    after = run_releasekit(repo.path, "doctor", "--json")
    assert not [f for f in json.loads(after.stdout)["findings"] if f["id"] == "duplicate-publisher"]
