"""releasekit doctor: copied workflows, each defect, the project's metadata, versions and git."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from releasekit import pins
from releasekit.workflow_audit import RULES
from tests.support import CHANGELOG, PYPROJECT, Repo, RepoBuilder, run_releasekit
from tests.test_init import PACKAGE, PURE, hosted_repo

WORKFLOW = ".github/workflows/publish.yml"

# Written the way the PyPA packaging guide's sample is: tag-pinned actions, no workflow-level
# permissions, TestPyPI on every push, a signing job that holds id-token for sigstore.
GUIDE_STYLE = """\
name: Publish Python distribution to PyPI and TestPyPI
on: push
jobs:
  build:
    name: Build distribution
    runs-on: ubuntu-latest
    steps:
    - uses: actions/checkout@v4
      with:
        persist-credentials: false
    - uses: actions/setup-python@v5
      with:
        python-version: "3.x"
    - run: python3 -m pip install build --user
    - run: python3 -m build
    - uses: actions/upload-artifact@v4
      with:
        name: python-package-distributions
        path: dist/
  publish-to-pypi:
    name: Publish to PyPI
    if: startsWith(github.ref, 'refs/tags/')
    needs: [build]
    runs-on: ubuntu-latest
    environment:
      name: pypi
      url: https://pypi.org/p/demo
    permissions:
      id-token: write
    steps:
    - uses: actions/download-artifact@v4
      with:
        name: python-package-distributions
        path: dist/
    - uses: pypa/gh-action-pypi-publish@release/v1
  github-release:
    needs: [publish-to-pypi]
    runs-on: ubuntu-latest
    permissions:
      contents: write
      id-token: write
    steps:
    - uses: actions/download-artifact@v4
      with:
        name: python-package-distributions
        path: dist/
    - uses: sigstore/gh-action-sigstore-python@v3.0.0
      with:
        inputs: ./dist/*.tar.gz ./dist/*.whl
    - env:
        GITHUB_TOKEN: ${{ github.token }}
      run: gh release create "${{ github.ref_name }}" --repo "${{ github.repository }}" --notes ""
  publish-to-testpypi:
    needs: [build]
    runs-on: ubuntu-latest
    environment:
      name: testpypi
      url: https://test.pypi.org/p/demo
    permissions:
      id-token: write
    steps:
    - uses: actions/download-artifact@v4
      with:
        name: python-package-distributions
        path: dist/
    - uses: pypa/gh-action-pypi-publish@release/v1
      with:
        repository-url: https://test.pypi.org/legacy/
"""

# Written the way cibuildwheel's example is: a wheel matrix, checkout without
# persist-credentials, no permissions outside the upload job.
CIBUILDWHEEL_STYLE = """\
name: Build and upload to PyPI
on:
  workflow_dispatch:
  pull_request:
  push:
    branches: [main]
  release:
    types: [published]
jobs:
  build_wheels:
    name: Wheels on ${{ matrix.os }}
    runs-on: ${{ matrix.os }}
    strategy:
      matrix:
        os: [ubuntu-latest, windows-latest, macos-latest]
    steps:
      - uses: actions/checkout@v5
      - uses: pypa/cibuildwheel@v3.2.1
      - uses: actions/upload-artifact@v4
        with:
          name: cibw-wheels-${{ matrix.os }}
          path: ./wheelhouse/*.whl
  build_sdist:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
      - run: pipx run build --sdist
      - uses: actions/upload-artifact@v4
        with:
          name: cibw-sdist
          path: dist/*.tar.gz
  upload_pypi:
    needs: [build_wheels, build_sdist]
    runs-on: ubuntu-latest
    environment: pypi
    permissions:
      id-token: write
    if: github.event_name == 'release' && github.event.action == 'published'
    steps:
      - uses: actions/download-artifact@v5
        with:
          pattern: cibw-*
          path: dist
          merge-multiple: true
      - uses: pypa/gh-action-pypi-publish@release/v1
"""


def audit(repo: Repo) -> tuple[int, dict[str, Any]]:
    result = run_releasekit(repo.path, "doctor", "--json")
    assert "Traceback" not in result.stderr
    return result.returncode, json.loads(result.stdout)


def ids(report: dict[str, Any], file: str | None = None) -> set[str]:
    return {f["id"] for f in report["findings"] if file is None or f["file"] == file}


def test_pypa_guide_style_workflow(make_repo: RepoBuilder) -> None:
    repo = hosted_repo(make_repo, {"pyproject.toml": PURE, WORKFLOW: GUIDE_STYLE})
    code, report = audit(repo)
    assert code == 1
    assert ids(report, WORKFLOW) == {
        "unpinned-action",
        "default-permissions",
        "publish-on-push",
        "expression-in-run",
    }
    lines = {f["line"] for f in report["findings"] if f["id"] == "unpinned-action"}
    tagged = {
        number
        for number, line in enumerate(GUIDE_STYLE.splitlines(), start=1)
        if "uses:" in line and ("@v" in line or "@release/v1" in line)
    }
    assert lines == tagged
    on_push = [f for f in report["findings"] if f["id"] == "publish-on-push"]
    assert [f["message"].split(":")[0] for f in on_push] == [
        "job 'publish-to-testpypi' uploads on a push to a branch"
    ]
    publishers = {
        (p["index"], p["values"]["Environment name"]) for p in report["trusted_publishers"]
    }
    assert publishers == {("pypi", "pypi"), ("testpypi", "testpypi")}


def test_cibuildwheel_style_workflow(make_repo: RepoBuilder) -> None:
    repo = hosted_repo(make_repo, {"pyproject.toml": PURE, WORKFLOW: CIBUILDWHEEL_STYLE})
    code, report = audit(repo)
    assert code == 1
    assert ids(report, WORKFLOW) == {
        "unpinned-action",
        "default-permissions",
        "persisted-credentials",
    }
    (publisher,) = report["trusted_publishers"]
    assert publisher["values"]["Environment name"] == "pypi"
    assert publisher["values"]["Workflow name"] == "publish.yml"
    assert publisher["values"]["Owner"] == "acme-corp"


Mutation = Callable[[str], str]


def _replace(old: str, new: str, count: int = 1) -> Mutation:
    def mutate(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, count)

    return mutate


def _chain(*mutations: Mutation) -> Mutation:
    def mutate(text: str) -> str:
        for mutation in mutations:
            text = mutation(text)
        return text

    return mutate


BUILD_PERMISSIONS = "    permissions:\n      contents: read # to check out the repository\n"
PYPI_CONDITION = "    if: github.event_name == 'release'\n"
PYPI_ENVIRONMENT = (
    "    environment:\n      name: pypi\n      url: https://pypi.org/project/acme-widgets/\n"
)
PUBLISH_STEP = f"        uses: {pins.PYPI_PUBLISH.uses}\n        with:\n"

DEFECTS: dict[str, Mutation] = {
    "unpinned-action": _replace(pins.PYPI_PUBLISH.uses, "pypa/gh-action-pypi-publish@release/v1"),
    "workflow-level-permissions": _replace("permissions: {}", "permissions:\n  contents: write"),
    "default-permissions": _chain(
        _replace("permissions: {}\n", ""), _replace(BUILD_PERMISSIONS, "")
    ),
    "excessive-permissions": _replace(BUILD_PERMISSIONS, "    permissions: write-all\n"),
    "id-token-without-publish": _replace(
        "      contents: read # to check out the repository\n",
        "      contents: read # to check out the repository\n      id-token: write\n",
    ),
    "publish-without-environment": _replace(PYPI_ENVIRONMENT, ""),
    "reusable-workflow-publish": _replace("  workflow_dispatch:\n", "  workflow_call:\n"),
    "long-lived-token": _replace(
        PUBLISH_STEP, PUBLISH_STEP + "          password: ${{ secrets.PYPI_API_TOKEN }}\n"
    ),
    "persisted-credentials": _replace("        with:\n          persist-credentials: false\n", ""),
    "cache-in-release-path": _replace(
        '          python-version: "3.x"\n',
        '          python-version: "3.x"\n          cache: pip\n',
    ),
    "template-injection": _replace(
        "run: releasekit build", "run: releasekit build --outdir ${{ github.event.inputs.dir }}"
    ),
    "dangerous-trigger": _replace(
        "  workflow_dispatch:\n", "  workflow_dispatch:\n  pull_request_target:\n"
    ),
    "publish-on-push": _chain(
        _replace("  workflow_dispatch:\n", "  workflow_dispatch:\n  push:\n    branches: [main]\n"),
        _replace(PYPI_CONDITION, ""),
    ),
    "release-created": _replace("types: [published]", "types: [published, created]"),
    "build-in-publish-job": _replace(
        "      - name: Publish with trusted publishing and attestations\n",
        "      - name: Build again\n        run: python -m build\n"
        "      - name: Publish with trusted publishing and attestations\n",
    ),
    "attestations-disabled": _replace("attestations: true", "attestations: false"),
    "multiple-publish-steps": _replace(
        "          attestations: true\n",
        "          attestations: true\n      - name: Again\n        run: twine upload dist/*\n",
    ),
    "workflow-invalid-yaml": lambda text: text + "  broken: [\n",
}


def test_init_output_has_no_findings_and_the_defects_table_is_complete(
    make_repo: RepoBuilder,
) -> None:
    repo = hosted_repo(make_repo, {"pyproject.toml": PURE})
    assert run_releasekit(repo.path, "init").returncode == 0
    code, report = audit(repo)
    assert code == 0
    assert report["findings"] == []
    covered = set(DEFECTS) | {
        "expression-in-run",
        "gitlab-publish-without-id-token",
        "duplicate-publisher",  # two workflows: tests/test_doctor_duplicates.py
    }
    assert covered == set(RULES)


@pytest.mark.parametrize("rule", sorted(DEFECTS))
def test_each_defect_is_reported_with_its_id_and_line(make_repo: RepoBuilder, rule: str) -> None:
    repo = hosted_repo(make_repo, {"pyproject.toml": PURE})
    assert run_releasekit(repo.path, "init").returncode == 0
    path = repo.path / WORKFLOW
    path.write_text(DEFECTS[rule](path.read_text()))
    code, report = audit(repo)
    found = [f for f in report["findings"] if f["file"] == WORKFLOW]
    assert {f["id"] for f in found} == {rule}
    (first, *_) = found
    assert isinstance(first["line"], int)
    assert first["message"]
    assert first["hint"]
    severity = first["severity"]
    assert code == (1 if severity == "error" else 0)


def test_env_token_and_workflow_line(make_repo: RepoBuilder) -> None:
    repo = hosted_repo(make_repo, {"pyproject.toml": PURE})
    assert run_releasekit(repo.path, "init").returncode == 0
    path = repo.path / WORKFLOW
    text = path.read_text().replace(
        PYPI_CONDITION, PYPI_CONDITION + "    env:\n      TWINE_PASSWORD: ${{ secrets.TOKEN }}\n"
    )
    path.write_text(text)
    _, report = audit(repo)
    (finding,) = [f for f in report["findings"] if f["id"] == "long-lived-token"]
    assert (
        finding["line"] == text.splitlines().index("      TWINE_PASSWORD: ${{ secrets.TOKEN }}") + 1
    )
    assert "TWINE_PASSWORD" in finding["message"]


def test_gitlab_publish_job_without_id_tokens(make_repo: RepoBuilder) -> None:
    pipeline = (
        "publish:\n  stage: deploy\n  variables:\n    TWINE_PASSWORD: $PYPI_TOKEN\n"
        "  script:\n    - twine upload dist/*\n"
    )
    repo = make_repo({**PACKAGE, "pyproject.toml": PURE, ".gitlab-ci.yml": pipeline})
    code, report = audit(repo)
    assert code == 1
    assert ids(report, ".gitlab-ci.yml") == {
        "publish-without-environment",
        "gitlab-publish-without-id-token",
        "long-lived-token",
    }


def test_text_output_explains_each_finding_and_prints_publisher_values(
    make_repo: RepoBuilder,
) -> None:
    repo = hosted_repo(make_repo, {"pyproject.toml": PURE, WORKFLOW: CIBUILDWHEEL_STYLE})
    result = run_releasekit(repo.path, "doctor")
    assert result.returncode == 1
    checkout = CIBUILDWHEEL_STYLE.splitlines().index("      - uses: actions/checkout@v5") + 1
    assert f"error   persisted-credentials  .github/workflows/publish.yml:{checkout}" in (
        result.stdout
    )
    assert "        fix: add 'persist-credentials: false' under 'with:'" in result.stdout
    assert "Trusted publisher for pypi (.github/workflows/publish.yml, job upload_pypi):" in (
        result.stdout
    )
    assert "  Repository name:               widgets" in result.stdout


def test_no_publishing_workflow_prints_no_publisher_values(make_repo: RepoBuilder) -> None:
    """Nothing publishes: no trusted-publisher values, not init's defaults as if they were found."""
    repo = hosted_repo(make_repo, {"pyproject.toml": PURE})
    code, report = audit(repo)
    assert code == 0
    assert ids(report) == {"no-publishing-workflow", "changelog-missing"}
    assert report["trusted_publishers"] == []
    text = run_releasekit(repo.path, "doctor")
    assert "Trusted publisher" not in text.stdout


def _project(make_repo: RepoBuilder, **kwargs: Any) -> Repo:
    files = {
        "pyproject.toml": PYPROJECT,
        "src/demo/__init__.py": '__version__ = "1.2.3"\n',
        "CHANGELOG.md": CHANGELOG,
    }
    files.update(kwargs.pop("files", {}))
    return make_repo(files, **kwargs)


def test_project_checks_on_a_bare_project(make_repo: RepoBuilder) -> None:
    repo = _project(make_repo, tags=("v1.2.3",))
    code, report = audit(repo)
    assert code == 0
    assert ids(report, "pyproject.toml") == {
        "readme-missing",
        "license-missing",
        "requires-python-missing",
        "classifiers-missing",
    }
    assert ids(report, ".git/config") == {"remote-not-hosted"}


def test_version_sources_disagree(make_repo: RepoBuilder) -> None:
    repo = _project(make_repo, files={"src/demo/__init__.py": '__version__ = "1.2.4"\n'})
    code, report = audit(repo)
    assert code == 1
    (finding,) = [f for f in report["findings"] if f["id"] == "version-sources"]
    assert "1.2.4" in finding["message"]
    assert "1.2.3" in finding["message"]


def test_tag_ahead_of_the_files_and_missing_changelog_section(make_repo: RepoBuilder) -> None:
    repo = _project(make_repo, tags=("v1.3.0",))
    code, report = audit(repo)
    assert code == 1
    assert {"version-behind-tag", "changelog-missing-release"} <= ids(report)


def test_changelog_without_unreleased_and_without_file(make_repo: RepoBuilder) -> None:
    no_unreleased = CHANGELOG.replace("## [Unreleased]", "## Notes")
    repo = _project(make_repo, files={"CHANGELOG.md": no_unreleased})
    assert "changelog-no-unreleased" in ids(audit(repo)[1])
    (repo.path / "CHANGELOG.md").unlink()
    assert "changelog-missing" in ids(audit(repo)[1])


def test_metadata_license_table_and_bad_classifier_with_line(make_repo: RepoBuilder) -> None:
    pyproject = PURE.replace('license = "MIT"', 'license = { text = "MIT" }').replace(
        '"Programming Language :: Python :: 3"',
        '"Programming Language :: Python :: 3", "Bogus :: X"',
    )
    repo = hosted_repo(make_repo, {"pyproject.toml": pyproject})
    code, report = audit(repo)
    assert code == 1
    by_id = {f["id"]: f for f in report["findings"]}
    assert (
        by_id["license-not-spdx"]["line"]
        == pyproject.splitlines().index('license = { text = "MIT" }') + 1
    )
    assert "'Bogus :: X'" in by_id["classifier-invalid"]["message"]


def test_no_remote_and_no_git(
    make_repo: RepoBuilder, tmp_path_factory: pytest.TempPathFactory
) -> None:
    repo = make_repo({**PACKAGE, "pyproject.toml": PURE}, remote=False)
    assert "no-remote" in ids(audit(repo)[1])
    plain = tmp_path_factory.mktemp("plain")
    (plain / "pyproject.toml").write_text(PURE)
    result = run_releasekit(plain, "doctor", "--json")
    assert result.returncode == 1
    assert "not-a-git-repository" in result.stdout


def test_release_branch_missing(make_repo: RepoBuilder) -> None:
    repo = make_repo({**PACKAGE, "pyproject.toml": PURE}, branch="trunk")
    assert "release-branch-missing" in ids(audit(repo)[1])


def test_doctor_changes_nothing_and_without_pyproject_is_exit_2(make_repo: RepoBuilder) -> None:
    repo = hosted_repo(make_repo, {"pyproject.toml": PURE, WORKFLOW: GUIDE_STYLE})
    audit(repo)
    assert repo.git("status", "--porcelain") == ""
    (repo.path / "pyproject.toml").unlink()
    result = run_releasekit(repo.path, "doctor")
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert "no pyproject.toml found" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def _bomb() -> str:
    """A "billion laughs" workflow: 9**9 strings from about 500 bytes, in a publishing job."""
    lines = ['x-a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"x-{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
    return "\n".join(lines) + (
        "\non: push\njobs:\n  publish:\n    runs-on: ubuntu-latest\n    env: *i\n    steps:\n"
        "      - uses: pypa/gh-action-pypi-publish@release/v1\n        with: *i\n"
    )


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        (_bomb(), "aliases expand to more than"),
        ("on: push\njobs: " + "[" * 50_000 + "\n", "nested deeper than"),
        ("on: push\njobs: &a\n  publish: *a\n", "an alias refers to a value that contains it"),
        ("on: push\n" + "# padding\n" * 120_000, "larger than"),
        ("x: &a [1]\n? *a\n: 1\n", "a mapping key is not a plain value"),
    ],
    ids=["alias-bomb", "deep-nesting", "alias-cycle", "oversized", "complex-key"],
)
def test_hostile_yaml_is_a_finding_not_a_crash(
    make_repo: RepoBuilder, text: str, detail: str
) -> None:
    """Parsing is bounded (aliases, depth, size): a hostile workflow is reported, not run out of."""
    repo = hosted_repo(make_repo, {"pyproject.toml": PURE, **PACKAGE, WORKFLOW: text})
    before = (repo.path / WORKFLOW).read_bytes()
    code, report = audit(repo)
    (finding,) = [f for f in report["findings"] if f["file"] == WORKFLOW]
    assert finding["id"] == "workflow-invalid-yaml"
    assert detail in finding["message"]
    assert code == 1
    assert (repo.path / WORKFLOW).read_bytes() == before


def test_workflow_run_is_a_dangerous_trigger(make_repo: RepoBuilder) -> None:
    """workflow_run runs with the base repository's secrets, like pull_request_target."""
    repo = hosted_repo(make_repo, {"pyproject.toml": PURE})
    assert run_releasekit(repo.path, "init").returncode == 0
    path = repo.path / WORKFLOW
    text = path.read_text()
    assert "  workflow_dispatch:\n" in text
    trigger = "  workflow_run:\n    workflows: [Tests]\n    types: [completed]\n"
    path.write_text(text.replace("  workflow_dispatch:\n", "  workflow_dispatch:\n" + trigger, 1))
    line = path.read_text().splitlines().index("  workflow_run:") + 1
    code, report = audit(repo)
    found = [f for f in report["findings"] if f["file"] == WORKFLOW]
    assert [("dangerous-trigger", "error", line)] == [
        (f["id"], f["severity"], f["line"]) for f in found
    ]
    assert code == 1
