"""releasekit doctor as a user runs it: suppression, doctor.ignore, publisher values, subfolders.

Real repositories (``make_repo``) and the installed command; the JSON reports are checked
against tests/json_schema.json.
"""

from __future__ import annotations

import json
from typing import Any

from tests.support import RepoBuilder, run_releasekit
from tests.test_doctor_github import PUBLISH, workflow
from tests.test_init import PACKAGE, PURE, hosted_repo
from tests.test_json_contract import report

WORKFLOW = ".github/workflows/release.yml"
TAGGED = "      - uses: pypa/gh-action-pypi-publish@release/v1{comment}\n"


def doctor_json(path: Any, *args: str) -> dict[str, Any]:
    """doctor --json, validated against the schema."""
    run = run_releasekit(path, *args, "doctor", "--json")
    assert "Traceback" not in run.stderr
    return report(run, "doctor", run.returncode)


def test_ignore_comment_on_the_line_suppresses_and_is_counted(make_repo: RepoBuilder) -> None:
    """``# releasekit: ignore[...]`` and zizmor's own comment silence the rule on that line."""
    text = workflow(TAGGED.format(comment="  # releasekit: ignore[unpinned-action, other]"))
    repo = hosted_repo(make_repo, {"pyproject.toml": PURE, "CHANGELOG.md": "", WORKFLOW: text})
    data = doctor_json(repo.path)
    assert "unpinned-action" not in {f["id"] for f in data["findings"]}
    assert [(f["id"], f["line"]) for f in data["suppressed"]] == [
        (
            "unpinned-action",
            text.splitlines().index(
                TAGGED.format(comment="  # releasekit: ignore[unpinned-action, other]").rstrip("\n")
            )
            + 1,
        )
    ]
    zizmor = workflow(TAGGED.format(comment=" # zizmor: ignore[unpinned-uses]"))
    (repo.path / WORKFLOW).write_text(zizmor)
    data = doctor_json(repo.path)
    assert [f["id"] for f in data["suppressed"]] == ["unpinned-action"]
    text_run = run_releasekit(repo.path, "doctor")
    assert ", 1 suppressed" in text_run.stdout


def test_a_comment_for_another_rule_or_line_does_not_suppress(make_repo: RepoBuilder) -> None:
    """Only the named rule on the finding's own line is silenced."""
    text = workflow(TAGGED.format(comment=" # releasekit: ignore[cache-in-release-path]"))
    text = text.replace("permissions: {}", "permissions: {} # releasekit: ignore[unpinned-action]")
    repo = hosted_repo(make_repo, {"pyproject.toml": PURE, WORKFLOW: text})
    data = doctor_json(repo.path)
    assert "unpinned-action" in {f["id"] for f in data["findings"]}
    assert data["suppressed"] == []
    assert data["ok"] is False


def test_doctor_ignore_setting(make_repo: RepoBuilder) -> None:
    """``doctor.ignore`` silences a rule everywhere; a wrong value is one clear finding."""
    text = workflow(TAGGED.format(comment=""))
    pyproject = PURE + '\n[tool.releasekit]\ndoctor.ignore = ["unpinned-action"]\n'
    repo = hosted_repo(make_repo, {"pyproject.toml": pyproject, WORKFLOW: text})
    data = doctor_json(repo.path)
    assert data["ok"] is True
    assert "unpinned-action" in {f["id"] for f in data["suppressed"]}
    (repo.path / "pyproject.toml").write_text(
        PURE + '\n[tool.releasekit]\ndoctor = { ignore = "unpinned-action" }\n'
    )
    data = doctor_json(repo.path)
    (problem,) = [f for f in data["findings"] if f["id"] == "config-unreadable"]
    assert "doctor.ignore must be a list of rule ids" in problem["message"]
    (repo.path / "pyproject.toml").write_text(
        PURE + '\n[tool.releasekit]\ndoctor.ignore = ["no-such-rule"]\n'
    )
    data = doctor_json(repo.path)
    (problem,) = [f for f in data["findings"] if f["id"] == "config-unreadable"]
    assert "'no-such-rule'" in problem["message"]


def test_publisher_values_per_job_and_index(make_repo: RepoBuilder) -> None:
    """TestPyPI then PyPI in one job: two entries; another index: named, with no PyPI form."""
    upload = (
        f"      - uses: {PUBLISH}\n        with:\n"
        "          repository-url: https://test.pypi.org/legacy/\n"
        f"      - uses: {PUBLISH}\n"
        "      - run: twine upload --repository-url https://pkgs.example.com/ dist/*\n"
    )
    repo = hosted_repo(make_repo, {"pyproject.toml": PURE, WORKFLOW: workflow(upload)})
    data = doctor_json(repo.path)
    assert [(p["index"], p["ci"], p["job"]) for p in data["trusted_publishers"]] == [
        ("testpypi", "github", "publish"),
        ("pypi", "github", "publish"),
        ("https://pkgs.example.com/", "github", "publish"),
    ]
    testpypi, pypi, other = data["trusted_publishers"]
    assert pypi["values"] == {
        "PyPI Project Name": "Acme.Widgets",
        "Owner": "acme-corp",
        "Repository name": "widgets",
        "Workflow name": "release.yml",
        "Environment name": "pypi",
    }
    assert testpypi["values"]["Workflow name"] == "release.yml"
    assert other["values"] == {}
    text = run_releasekit(repo.path, "doctor").stdout
    assert (
        "Publishing to https://pkgs.example.com/ (.github/workflows/release.yml, job publish)"
        in text
    )


def test_monorepo_subfolder_reads_workflows_at_the_top(make_repo: RepoBuilder) -> None:
    """``-C packages/core``: the workflows at the git top are audited, the name is the package's."""
    build = workflow().replace(
        "    steps:\n      - uses: actions/checkout",
        "    defaults:\n      run:\n        working-directory: packages/core\n"
        "    steps:\n      - uses: actions/checkout",
        1,
    )
    core = PURE.replace('name = "Acme.Widgets"', 'name = "acme-core"')
    files = {
        "pyproject.toml": "[tool.uv.workspace]\nmembers = ['packages/*']\n",
        "packages/core/pyproject.toml": core,
        "packages/core/src/acme_core/__init__.py": "",
        WORKFLOW: build,
    }
    repo = make_repo(files)
    repo.git("remote", "add", "github", "https://github.com/acme-corp/widgets.git")
    data = doctor_json(repo.path, "-C", "packages/core")
    assert "no-publishing-workflow" not in {f["id"] for f in data["findings"]}
    (publisher,) = data["trusted_publishers"]
    assert publisher["workflow"] == WORKFLOW
    assert publisher["values"]["PyPI Project Name"] == "acme-core"
    top = doctor_json(repo.path)
    assert [p["values"]["PyPI Project Name"] for p in top["trusted_publishers"]] == ["acme-core"]


def test_gitlab_heading_names_the_gitlab_files(make_repo: RepoBuilder) -> None:
    """A GitLab job in an included file: the heading names it and the top-level file."""
    job = (
        "release-pypi:\n  environment: pypi\n  id_tokens:\n    PYPI_ID_TOKEN:\n      aud: pypi\n"
        "  script:\n    - uv publish\n"
    )
    files = {
        **PACKAGE,
        "pyproject.toml": PURE,
        ".gitlab-ci.yml": "include:\n  - local: .gitlab/release.yml\n",
        ".gitlab/release.yml": job,
    }
    repo = make_repo(files)
    repo.git("remote", "add", "gitlab", "https://gitlab.com/acme-corp/widgets.git")
    run = run_releasekit(repo.path, "doctor")
    assert (
        "Trusted publisher for pypi (GitLab CI: .gitlab/release.yml, job release-pypi, "
        "in the pipeline of .gitlab-ci.yml):"
    ) in run.stdout
    assert "  Top-level pipeline file path:  .gitlab-ci.yml" in run.stdout
    data = json.loads(run_releasekit(repo.path, "doctor", "--json").stdout)
    assert [p["ci"] for p in data["trusted_publishers"]] == ["gitlab"]
