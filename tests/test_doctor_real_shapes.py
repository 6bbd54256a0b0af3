"""Shapes doctor misread on real publishing setups (docs/compatibility.md), written anew here.

Each case reproduces the shape of one misreading found by running doctor beside zizmor on public
repositories; the files are written by this test, none is copied from a project.
"""

from __future__ import annotations

from pathlib import Path

from releasekit.doctor import doctor
from releasekit.findings import Finding
from releasekit.gitlab_ci import audit_gitlab
from tests.support import RepoBuilder
from tests.test_doctor_github import PUBLISH, audit, workflow
from tests.test_init import PURE, hosted_repo


def codes(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.code, f.severity) for f in findings]


def test_the_push_payloads_ref_is_the_pushed_ref(tmp_path: Path) -> None:
    """``startsWith(github.event.ref, 'refs/tags')`` limits a job to tag pushes, as github.ref."""
    on = "  push:\n    branches: [main]\n    tags: ['v*']\n"
    guarded = workflow(
        on=on,
        condition="    if: github.event_name == 'push' && startsWith(github.event.ref, 'refs/tags')\n",
    )
    findings, _ = audit(tmp_path, {".github/workflows/release.yml": guarded})
    assert [] == [f for f in findings if f.code == "publish-on-push"]
    unguarded = workflow(on=on, condition="    if: startsWith(github.event.ref, 'refs/heads')\n")
    findings, _ = audit(tmp_path, {".github/workflows/release.yml": unguarded})
    assert [("publish-on-push", "error")] == [
        c for c in codes(findings) if c[0] == "publish-on-push"
    ]


def test_a_token_exported_inside_the_script_is_a_long_lived_token(tmp_path: Path) -> None:
    upload = (
        "      - run: |\n"
        '          export TWINE_PASSWORD="${{ secrets.UPLOAD_TOKEN }}"\n'
        "          python -m twine upload dist/*\n"
    )
    findings, _ = audit(tmp_path, {".github/workflows/release.yml": workflow(upload)})
    tokens = [f for f in findings if f.code == "long-lived-token"]
    assert [("error", "the script sets TWINE_PASSWORD from a secret")] == [
        (f.severity, f.message.split(":")[0]) for f in tokens
    ]
    # A secret that is no upload credential, set the same way, is not one.
    other = upload.replace("TWINE_PASSWORD", "GH_TOKEN")
    findings, _ = audit(tmp_path, {".github/workflows/release.yml": workflow(other)})
    assert [] == [f for f in findings if f.code == "long-lived-token"]


def test_an_index_chosen_at_run_time_gets_the_trusted_publisher_form(
    make_repo: RepoBuilder,
) -> None:
    """``repository-url: ${{ env.URL }}`` is PyPI or TestPyPI: the form, not "needs a token"."""
    upload = (
        f"      - uses: {PUBLISH}\n        with:\n          repository-url: ${{{{ env.URL }}}}\n"
    )
    repo = hosted_repo(
        make_repo,
        {"pyproject.toml": PURE, ".github/workflows/release.yml": workflow(upload)},
    )
    report = doctor(repo.path)
    [publisher] = report.publishers
    assert publisher.index == "${{ env.URL }}"
    assert ("Workflow name", "release.yml") in publisher.values
    assert "chooses at run time" in publisher.heading
    assert "no trusted publishing" not in publisher.heading


def test_monorepo_jobs_name_their_own_folder(tmp_path: Path) -> None:
    """One publishing job's folder is not mixed with another workflow's."""
    for package in ("alpha", "beta"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "pyproject.toml").write_text(f'[project]\nname = "{package}"\n')

    def publishing(package: str) -> str:
        return workflow(
            f"      - uses: {PUBLISH}\n        with:\n          packages-dir: {package}/dist/\n"
        )

    _, jobs = audit(
        tmp_path,
        {
            ".github/workflows/a.yml": publishing("alpha"),
            ".github/workflows/b.yml": publishing("beta"),
        },
    )
    assert {("a.yml", "alpha"), ("b.yml", "beta")} == {
        (Path(job.workflow).name, job.folder) for job in jobs
    }


TEMPLATE = """\
spec:
  inputs:
    job_name:
      default: publish
    index:
      default: pypi
    options:
      default: ""
    rules:
      type: array
---
$[[ inputs.job_name ]]:
  stage: deploy
  rules: $[[ inputs.rules ]]
  environment:
    name: $[[ inputs.index ]]
  id_tokens:
    PYPI_ID_TOKEN:
      aud: $[[ inputs.index ]]
  script:
    - uv publish --index "$[[ inputs.index ]]" $[[ inputs.options ]] dist/*
"""
PIPELINE = """\
stages: [build, deploy]
include:
  - local: .gitlab/ci/lint.yml
    inputs:
      job_name: lint
  - local: .gitlab/ci/publish.yml
    inputs:
      rules:
        - if: $CI_COMMIT_TAG
  - local: .gitlab/ci/publish.yml
    inputs:
      job_name: publish_testpypi
      index: testpypi
  - local: .gitlab/ci/publish.yml
    inputs:
      job_name: publish_check
      index: testpypi
      options: --dry-run
"""
LINT = """\
spec:
  inputs:
    job_name:
      default: lint
---
$[[ inputs.job_name ]]:
  stage: build
  script:
    - ruff check
"""


def test_gitlab_templates_included_with_inputs_are_one_job_each(tmp_path: Path) -> None:
    """A spec: template included three times with inputs is three jobs, named by the inputs."""
    (tmp_path / ".git").mkdir()
    files = {
        ".gitlab-ci.yml": PIPELINE,
        ".gitlab/ci/publish.yml": TEMPLATE,
        ".gitlab/ci/lint.yml": LINT,
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    findings, jobs = audit_gitlab(tmp_path)
    assert [] == findings
    assert [
        ("publish", "pypi", "pypi"),
        ("publish_testpypi", "testpypi", "testpypi"),
    ] == [(job.job, job.index, job.environment) for job in jobs]
    assert {".gitlab/ci/publish.yml"} == {job.workflow for job in jobs}
