"""doctor on GitLab CI pipelines as projects lay them out: includes, templates, spec, !reference.

The pipelines are written here (never copied from a project) and audited through
``audit_gitlab`` in a folder marked as a git top level.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from releasekit.findings import Finding
from releasekit.publishing_job import PublishingJob
from releasekit.workflow_audit import audit_gitlab

GOOD_JOB = """\
publish-pypi:
  stage: deploy
  environment:
    name: pypi
  id_tokens:
    PYPI_ID_TOKEN:
      aud: pypi
  script:
    - python -m pip install twine
    - twine upload dist/*
"""


def audit(tmp_path: Path, files: dict[str, str]) -> tuple[list[Finding], list[PublishingJob]]:
    """Write the files in a fresh git top level and audit its pipeline."""
    (tmp_path / ".git").mkdir(exist_ok=True)
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return audit_gitlab(tmp_path)


def key_line(text: str, key: str) -> int:
    """The 1-based line of a top-level key."""
    return text.splitlines().index(f"{key}:") + 1


def test_a_right_job_has_no_findings(tmp_path: Path) -> None:
    """Environment, id_tokens for pypi, no stored token: nothing to report."""
    findings, jobs = audit(tmp_path, {".gitlab-ci.yml": GOOD_JOB})
    assert findings == []
    assert [(j.workflow, j.job, j.environment, j.index, j.ci) for j in jobs] == [
        (".gitlab-ci.yml", "publish-pypi", "pypi", "pypi", "gitlab")
    ]


def test_findings_point_at_the_job_key_line(tmp_path: Path) -> None:
    """Each rule fires once for the job, at its key, naming what it found."""
    text = "stages: [deploy]\n\n" + (
        GOOD_JOB.replace("  environment:\n    name: pypi\n", "")
        .replace("  id_tokens:\n    PYPI_ID_TOKEN:\n      aud: pypi\n", "")
        .replace("  script:\n", "  variables:\n    TWINE_PASSWORD: $PYPI_TOKEN\n  script:\n")
        + "    - twine upload --skip-existing dist/*\n"
    )
    findings, _ = audit(tmp_path, {".gitlab-ci.yml": text})
    assert sorted(f.code for f in findings) == [
        "gitlab-publish-without-id-token",
        "long-lived-token",
        "multiple-publish-steps",
        "publish-without-environment",
    ]
    assert {f.line for f in findings} == {key_line(text, "publish-pypi")}


def test_included_files_templates_extends_spec_and_reference(tmp_path: Path) -> None:
    """A job assembled from an include, a spec header, a hidden template and !reference."""
    top = "include:\n  - local: ci/release.yml\nstages: [build, deploy]\n"
    release = """\
spec:
  inputs:
    index:
      default: pypi
---
.upload-commands:
  script:
    - python -m twine upload dist/*

.publish-base:
  stage: deploy
  environment: pypi
  id_tokens:
    PYPI_ID_TOKEN:
      aud: pypi

release-upload:
  extends: .publish-base
  script:
    - python -m pip install twine
    - !reference [.upload-commands, script]
"""
    findings, jobs = audit(tmp_path, {".gitlab-ci.yml": top, "ci/release.yml": release})
    assert findings == []
    assert [(j.workflow, j.job, j.environment) for j in jobs] == [
        ("ci/release.yml", "release-upload", "pypi")
    ]


def test_files_under_dot_gitlab_are_read(tmp_path: Path) -> None:
    """A job in .gitlab/ (however it is included) is audited at its own file's line."""
    job = GOOD_JOB.replace("  id_tokens:\n    PYPI_ID_TOKEN:\n      aud: pypi\n", "")
    files = {".gitlab-ci.yml": "stages: [deploy]\n", ".gitlab/ci/publish.yml": job}
    findings, jobs = audit(tmp_path, files)
    (found,) = findings
    assert (found.code, found.file, found.line) == (
        "gitlab-publish-without-id-token",
        ".gitlab/ci/publish.yml",
        1,
    )
    assert [j.workflow for j in jobs] == [".gitlab/ci/publish.yml"]


@pytest.mark.parametrize(
    "script",
    [
        "uv publish --dry-run",
        "twine check dist/*",
        "echo twine upload",
    ],
)
def test_jobs_that_do_not_upload_are_not_publishing(tmp_path: Path, script: str) -> None:
    """Dry runs, checks and echoes are not uploads."""
    text = f"check:\n  script:\n    - {script}\n"
    findings, jobs = audit(tmp_path, {".gitlab-ci.yml": text})
    assert (findings, jobs) == ([], [])


def test_gitlab_package_registry_needs_no_id_token(tmp_path: Path) -> None:
    """GitLab's own registry with the job token: no trusted publishing to ask for, no secret."""
    text = """\
publish-internal:
  environment: packages
  variables:
    TWINE_PASSWORD: ${CI_JOB_TOKEN}
    TWINE_USERNAME: gitlab-ci-token
  script:
    - twine upload --repository-url ${CI_API_V4_URL}/projects/${CI_PROJECT_ID}/packages/pypi dist/*
"""
    findings, jobs = audit(tmp_path, {".gitlab-ci.yml": text})
    assert findings == []
    assert [j.index for j in jobs] == ["${CI_API_V4_URL}/projects/${CI_PROJECT_ID}/packages/pypi"]


def test_hostile_references_are_bounded(tmp_path: Path) -> None:
    """A !reference cycle and an extends cycle end, as findings-free data, not a hang."""
    text = """\
.a:
  script: !reference [.b, script]
.b:
  script: !reference [.a, script]
.loop:
  extends: .loop
job:
  extends: [.loop, .a]
  script:
    - !reference [.a, script]
"""
    findings, jobs = audit(tmp_path, {".gitlab-ci.yml": text})
    assert (findings, jobs) == ([], [])
