"""releasekit init: what it writes passes zizmor, actionlint and the schemas, and touches nothing else."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from releasekit import __version__, pins
from tests.linters import actionlint, schema_errors, zizmor
from tests.support import Repo, RepoBuilder, run_releasekit

PURE = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "Acme.Widgets"
version = "1.0.0"
description = "Widgets."
readme = "README.md"
license = "MIT"
requires-python = ">=3.11"
classifiers = ["Programming Language :: Python :: 3"]
"""
TEST_EXTRA = '\n[project.optional-dependencies]\ntest = ["pytest>=8"]\n'
SCIKIT = PURE.replace('requires = ["hatchling"]', 'requires = ["scikit-build-core"]').replace(
    "hatchling.build", "scikit_build_core.build"
)
MATURIN = PURE.replace('requires = ["hatchling"]', 'requires = ["maturin>=1.8"]').replace(
    "hatchling.build", "maturin"
)
SETUP_PY = """\
from setuptools import Extension, setup

setup(ext_modules=[Extension("acme_widgets._speed", ["src/acme_widgets/_speed.c"])])
"""
RUST_SETUP_PY = """\
from setuptools import setup
from setuptools_rust import RustExtension

setup(rust_extensions=[RustExtension("acme_widgets._speed")])
"""
SETUPTOOLS_RUST = PURE.replace(
    'requires = ["hatchling"]', 'requires = ["setuptools", "setuptools-rust"]'
).replace("hatchling.build", "setuptools.build_meta")
HATCH_VCS = (
    PURE.replace('requires = ["hatchling"]', 'requires = ["hatchling", "hatch-vcs"]').replace(
        'version = "1.0.0"\n', 'dynamic = ["version"]\n'
    )
    + '\n[tool.hatch.version]\nsource = "vcs"\n'
)
POETRY_TESTS = (
    PURE
    + '\n[tool.poetry.group.test.dependencies]\npytest = "^8.0"\nhypothesis = { version = "~6.100", extras = ["cli"] }\n'
)
PACKAGE = {"src/acme_widgets/__init__.py": '"""Widgets."""\n', "README.md": "# Widgets\n"}
GITHUB_URL = "git@github.com:acme-corp/widgets.git"


@dataclass(frozen=True)
class Shape:
    """A kind of project and the init flags it is set up with."""

    name: str
    files: dict[str, str]
    flags: tuple[str, ...]


SHAPES = [
    Shape("pure-with-tests", {"pyproject.toml": PURE + TEST_EXTRA, "tests/test_x.py": ""}, ()),
    Shape("pure-no-tests-dependabot", {"pyproject.toml": PURE}, ("--dependabot",)),
    Shape("pure-testpypi", {"pyproject.toml": PURE}, ("--testpypi", "--environment", "release")),
    Shape(
        "releasekit-publisher",
        {"pyproject.toml": PURE, "tests/test_x.py": ""},
        ("--publisher", "releasekit", "--testpypi"),
    ),
    Shape("compiled-setuptools", {"pyproject.toml": PURE, "setup.py": SETUP_PY}, ()),
    Shape("compiled-scikit-build-core", {"pyproject.toml": SCIKIT}, ("--testpypi",)),
    Shape("compiled-maturin", {"pyproject.toml": MATURIN}, ("--publisher", "releasekit")),
    Shape(
        "compiled-cibuildwheel-table",
        {"pyproject.toml": PURE + '\n[tool.cibuildwheel]\nbuild = "cp3*"\n'},
        ("--dependabot",),
    ),
    Shape(
        "compiled-maturin-with-tests",
        {"pyproject.toml": MATURIN + TEST_EXTRA, "tests/test_x.py": ""},
        ("--testpypi",),
    ),
    Shape(
        "compiled-setuptools-rust",
        {"pyproject.toml": SETUPTOOLS_RUST, "setup.py": RUST_SETUP_PY, "tests/test_x.py": ""},
        (),
    ),
    Shape("scm-versioned-hatch-vcs", {"pyproject.toml": HATCH_VCS, "testing/test_x.py": ""}, ()),
    Shape(
        "poetry-group-tests",
        {"pyproject.toml": POETRY_TESTS, "tests/test_x.py": ""},
        ("--publisher", "releasekit"),
    ),
    Shape("named-workflow", {"pyproject.toml": PURE}, ("--name", "release-releasekit.yml")),
]


def hosted_repo(make_repo: RepoBuilder, files: dict[str, str]) -> Repo:
    """A repository with a bare remote, plus a GitHub remote that names the owner and repository."""
    repo = make_repo({**PACKAGE, **files})
    repo.git("remote", "add", "github", GITHUB_URL)
    return repo


def _workflow(repo: Repo, name: str = "publish.yml") -> Any:
    return yaml.safe_load(repo.read(f".github/workflows/{name}"))


@pytest.mark.parametrize("shape", SHAPES, ids=[s.name for s in SHAPES])
def test_generated_workflow_passes_every_linter(make_repo: RepoBuilder, shape: Shape) -> None:
    """Every shape init writes passes zizmor (pedantic), actionlint, the schema and doctor."""
    repo = hosted_repo(make_repo, shape.files)
    result = run_releasekit(repo.path, "init", *shape.flags)
    assert result.returncode == 0, result.stderr
    name = (
        shape.flags[shape.flags.index("--name") + 1] if "--name" in shape.flags else "publish.yml"
    )
    workflow = repo.path / ".github/workflows" / name
    assert workflow.is_file()
    targets = [workflow]
    if "--dependabot" in shape.flags:
        targets.append(repo.path / ".github/dependabot.yml")
        assert schema_errors(targets[-1], "vendor.dependabot") == ""
    assert zizmor(*targets) == []
    assert schema_errors(workflow, "vendor.github-workflows") == ""
    assert actionlint(workflow) == []
    audit = run_releasekit(repo.path, "doctor", "--json")
    assert audit.returncode == 0, audit.stdout
    assert '"errors": 0' in audit.stdout
    assert '"warnings": 0' in audit.stdout


@pytest.mark.parametrize("flags", [(), ("--testpypi",)], ids=["pypi", "testpypi"])
def test_gitlab_pipeline_is_valid_and_uses_id_tokens(
    make_repo: RepoBuilder, flags: tuple[str, ...]
) -> None:
    repo = make_repo({**PACKAGE, "pyproject.toml": PURE})
    repo.git("remote", "add", "gitlab", "https://gitlab.com/acme/tools/widgets.git")
    result = run_releasekit(repo.path, "init", "--ci", "gitlab", *flags)
    assert result.returncode == 0, result.stderr
    assert "include: [{ local: .gitlab/publish.gitlab-ci.yml }]" in result.stdout
    assert not (repo.path / ".gitlab-ci.yml").exists()
    pipeline = repo.path / ".gitlab/publish.gitlab-ci.yml"
    assert schema_errors(pipeline, "vendor.gitlab-ci") == ""
    jobs = yaml.safe_load(pipeline.read_text())
    publish = jobs["release-publish-pypi"]
    assert publish["id_tokens"] == {"PYPI_ID_TOKEN": {"aud": "pypi"}}
    assert publish["environment"]["name"] == "pypi"
    assert "--trusted-publishing always" in publish["script"][-1]
    assert ("release-publish-testpypi" in jobs) == bool(flags)
    guide = repo.read("PYPI_PUBLISHING_GUIDE.md")
    assert "| Namespace | `acme/tools` |" in guide
    assert "| Top-level pipeline file path | `.gitlab-ci.yml` |" in guide
    audit = run_releasekit(repo.path, "doctor", "--json")
    assert '"errors": 0' in audit.stdout, audit.stdout


def test_negative_control_each_linter_reports_a_broken_workflow(tmp_path: Path) -> None:
    """The linters really run: a workflow with known defects gets findings from each."""
    insecure = tmp_path / "insecure.yml"
    insecure.write_text(
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n      - run: echo ${{ github.event.issue.title }}\n"
    )
    invalid = tmp_path / "invalid.yml"
    invalid.write_text(insecure.read_text() + "    timeout-minutes: soon\n    bogus: 1\n")
    rules = {str(f["ident"]) for f in zizmor(insecure)}
    assert {"unpinned-uses", "artipacked", "template-injection"} <= rules
    assert schema_errors(insecure, "vendor.github-workflows") == ""
    assert schema_errors(invalid, "vendor.github-workflows") != ""
    assert actionlint(invalid) != []


def test_workflow_shape_least_privilege_and_pins(make_repo: RepoBuilder) -> None:
    repo = hosted_repo(make_repo, {"pyproject.toml": PURE + TEST_EXTRA, "tests/test_x.py": ""})
    assert run_releasekit(repo.path, "init", "--testpypi").returncode == 0
    workflow = _workflow(repo)
    assert workflow["permissions"] == {}
    jobs = workflow["jobs"]
    assert isinstance(jobs, dict)
    assert list(jobs) == ["build", "test", "publish-testpypi", "publish-pypi"]
    assert jobs["build"]["permissions"] == {"contents": "read"}
    assert jobs["test"]["permissions"] == {"contents": "read"}
    for key in ("publish-testpypi", "publish-pypi"):
        assert jobs[key]["permissions"] == {"id-token": "write"}
    assert jobs["publish-pypi"]["environment"] == {
        "name": "pypi",
        "url": "https://pypi.org/project/acme-widgets/",
    }
    assert jobs["publish-testpypi"]["environment"]["name"] == "testpypi"
    assert jobs["publish-pypi"]["if"] == "github.event_name == 'release'"
    assert "if" not in jobs["publish-testpypi"]
    assert jobs["publish-pypi"]["needs"] == ["build", "test", "publish-testpypi"]
    assert workflow[True] == {"release": {"types": ["published"]}, "workflow_dispatch": None}
    assert workflow["concurrency"]["cancel-in-progress"] is False
    text = repo.read(".github/workflows/publish.yml")
    assert "id-token: write # " in text
    for pin in (pins.CHECKOUT, pins.SETUP_PYTHON, pins.UPLOAD_ARTIFACT, pins.PYPI_PUBLISH):
        assert pin.uses in text
    assert "if-no-files-found: error" in text
    assert "attestations: true" in text
    test_steps = "\n".join(str(step.get("run", "")) for step in jobs["test"]["steps"])
    assert '"Acme.Widgets[test]" pytest' in test_steps
    assert "python -m pytest" in test_steps


def test_releasekit_publisher_sends_attestations(make_repo: RepoBuilder) -> None:
    """``--publisher releasekit`` installs the attest extra and publishes with --attestations."""
    repo = hosted_repo(make_repo, {"pyproject.toml": PURE})
    assert run_releasekit(repo.path, "init", "--publisher", "releasekit").returncode == 0
    jobs = _workflow(repo)["jobs"]
    steps = jobs["publish-pypi"]["steps"]
    runs = [str(step.get("run", "")) for step in steps]
    assert f'python -m pip install "releasekit[attest]=={__version__}"' in runs
    assert "releasekit publish --repository pypi --trusted-publishing always --attestations" in runs
    assert {"id-token": "write"} == jobs["publish-pypi"]["permissions"]


def test_compiled_project_builds_wheels_with_cibuildwheel_then_one_publish(
    make_repo: RepoBuilder,
) -> None:
    repo = hosted_repo(make_repo, {"pyproject.toml": SCIKIT})
    result = run_releasekit(repo.path, "init")
    assert "Compiled extensions (scikit-build-core)" in result.stdout
    jobs = _workflow(repo)["jobs"]
    assert isinstance(jobs, dict)
    assert list(jobs) == ["sdist", "wheels", "build", "publish-pypi"]
    assert jobs["build"]["needs"] == ["sdist", "wheels"]
    assert jobs["publish-pypi"]["needs"] == ["build"]
    merge = jobs["build"]["steps"][0]["with"]
    assert merge == {"pattern": "dist-*", "merge-multiple": True, "path": "dist/"}
    assert pins.CIBUILDWHEEL in jobs["wheels"]["steps"][2]["run"]
    assert "env" not in jobs["wheels"]["steps"][2]  # no Rust: no toolchain set-up


def test_guide_is_tailored_to_the_repository(make_repo: RepoBuilder) -> None:
    repo = hosted_repo(make_repo, {"pyproject.toml": PURE})
    assert (
        run_releasekit(repo.path, "init", "--testpypi", "--environment", "release").returncode == 0
    )
    guide = repo.read("PYPI_PUBLISHING_GUIDE.md")
    for expected in (
        "# Publishing Acme.Widgets to PyPI",
        "| Owner | `acme-corp` |",
        "| Repository name | `widgets` |",
        "| Workflow name | `publish.yml` |",
        "| Environment name | `release` |",
        "| Environment name | `testpypi` |",
        "https://pypi.org/manage/project/acme-widgets/settings/publishing/",
        "https://test.pypi.org/manage/account/publishing/",
        "pending publisher",
        "Required reviewers",
        "./prepare-release.sh minor --dry-run",
        "`invalid-publisher",
        "`File already exists`",
        "id-token: write",
        "14 days",
        "403",
        "1.4.0.post1",
        "https://github.com/acme-corp/widgets/releases/new",
    ):
        assert expected in guide, expected
    assert "@@" not in guide


def _digests(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts[:1]
    }


def test_existing_ci_and_files_are_left_byte_identical(make_repo: RepoBuilder) -> None:
    existing = {
        ".github/workflows/ci.yml": "name: CI\non: push\njobs: {}\n",
        ".gitlab-ci.yml": "test:\n  script: [pytest]\n",
        "CHANGELOG.md": "# Changes\n\nmine\n",
        "PYPI_PUBLISHING_GUIDE.md": "my own guide\n",
    }
    repo = hosted_repo(make_repo, {"pyproject.toml": PURE, **existing})
    before = _digests(repo.path)
    result = run_releasekit(repo.path, "init", "--dependabot")
    assert result.returncode == 0, result.stderr
    gitlab = run_releasekit(repo.path, "init", "--ci", "gitlab")
    assert gitlab.returncode == 1, gitlab.stderr  # publish.yml publishes now: no second publisher
    assert ".github/workflows/publish.yml" in gitlab.stderr
    after = _digests(repo.path)
    for name in before:
        assert after[name] == before[name], name
    assert "Skipped PYPI_PUBLISHING_GUIDE.md: it exists (--force replaces it)" in result.stdout
    assert "Skipped CHANGELOG.md: it exists and holds your own text" in result.stdout
    assert set(after) - set(before) == {
        ".github/workflows/publish.yml",
        ".github/dependabot.yml",
        "prepare-release.sh",
    }
    assert os.access(repo.path / "prepare-release.sh", os.X_OK)


def test_second_run_skips_and_force_replaces_but_never_the_changelog(
    make_repo: RepoBuilder,
) -> None:
    repo = hosted_repo(make_repo, {"pyproject.toml": PURE})
    assert run_releasekit(repo.path, "init").returncode == 0
    assert "## [Unreleased]" in repo.read("CHANGELOG.md")
    (repo.path / "CHANGELOG.md").write_text("# Changelog\n\n## [Unreleased]\n\n- mine\n")
    workflow = repo.path / ".github/workflows/publish.yml"
    workflow.write_text("# edited\n")
    again = run_releasekit(repo.path, "init")
    assert "Skipped .github/workflows/publish.yml" in again.stdout
    assert workflow.read_text() == "# edited\n"
    forced = run_releasekit(repo.path, "init", "--force", "--testpypi")
    assert "Wrote .github/workflows/publish.yml" in forced.stdout
    assert "publish-testpypi" in workflow.read_text()
    assert "- mine" in repo.read("CHANGELOG.md")


def test_next_steps_without_a_remote(make_repo: RepoBuilder) -> None:
    repo = make_repo({**PACKAGE, "pyproject.toml": PURE})
    result = run_releasekit(repo.path, "init")
    assert result.returncode == 0, result.stderr
    assert "add the repository's GitHub or GitLab remote" in result.stdout
    assert "| Owner | `<owner>` |" in repo.read("PYPI_PUBLISHING_GUIDE.md")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--environment", "py pi"),
            "error: --environment: invalid environment name 'py pi'; use letters, digits",
        ),
        (
            ("--testpypi", "--environment", "testpypi"),
            "error: --environment: the PyPI environment cannot be named testpypi",
        ),
        (("--ci", "jenkins"), "error: Invalid value for '--ci'"),
    ],
)
def test_bad_options_change_nothing(
    make_repo: RepoBuilder, args: tuple[str, ...], message: str
) -> None:
    repo = hosted_repo(make_repo, {"pyproject.toml": PURE})
    before = _digests(repo.path)
    result = run_releasekit(repo.path, "init", *args)
    assert result.returncode == 2
    assert result.stderr.startswith(message), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert _digests(repo.path) == before


def test_a_file_in_the_way_is_one_line_and_exit_2(make_repo: RepoBuilder) -> None:
    repo = hosted_repo(make_repo, {"pyproject.toml": PURE, ".github": "a file, not a folder\n"})
    result = run_releasekit(repo.path, "init")
    assert result.returncode == 2
    assert result.stderr.startswith("error: .github: a file stands where init needs a folder")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert repo.read(".github") == "a file, not a folder\n"
    assert not (repo.path / "prepare-release.sh").exists()
    assert repo.git("status", "--porcelain") == ""


def test_without_pyproject_is_a_usage_error(tmp_path: Path) -> None:
    result = run_releasekit(tmp_path, "init")
    assert result.returncode == 2
    assert "no pyproject.toml found" in result.stderr
    assert list(tmp_path.iterdir()) == []


def _every_path(root: Path) -> set[str]:
    """Every path under ``root`` outside .git, hidden and temporary files included."""
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if ".git" not in p.relative_to(root).parts
    }


@pytest.mark.parametrize(
    "folder", [".github/workflows/publish.yml", "prepare-release.sh", "PYPI_PUBLISHING_GUIDE.md"]
)
def test_force_over_a_folder_writes_nothing(make_repo: RepoBuilder, folder: str) -> None:
    """Every target is checked before anything is staged: one line, exit 2, no file, no temp."""
    repo = hosted_repo(make_repo, {"pyproject.toml": PURE})
    (repo.path / folder).mkdir(parents=True)
    before, paths = _digests(repo.path), _every_path(repo.path)
    result = run_releasekit(repo.path, "init", "--force")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"error: {folder}: a folder stands where init writes a file")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert _digests(repo.path) == before
    assert _every_path(repo.path) == paths


def test_a_dangling_symlink_is_not_replaced_without_force(make_repo: RepoBuilder) -> None:
    repo = hosted_repo(make_repo, {"pyproject.toml": PURE})
    link = repo.path / "prepare-release.sh"
    link.symlink_to("missing-target")
    result = run_releasekit(repo.path, "init")
    assert result.returncode == 0, result.stderr
    assert link.is_symlink()
    assert os.readlink(link) == "missing-target"
