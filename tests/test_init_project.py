"""releasekit init fits the project: its changelog, its compiled build, its versioning, its tests."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from releasekit.scaffold import MATURIN_ACTION
from tests.support import Repo, RepoBuilder, run_releasekit
from tests.test_init import (
    HATCH_VCS,
    MATURIN,
    PURE,
    RUST_SETUP_PY,
    SETUP_PY,
    SETUPTOOLS_RUST,
    hosted_repo,
)


def _init(repo: Repo, *flags: str) -> str:
    result = run_releasekit(repo.path, "init", *flags)
    assert 0 == result.returncode, result.stderr
    return result.stdout


def _jobs(repo: Repo) -> dict[str, Any]:
    jobs: dict[str, Any] = yaml.safe_load(repo.read(".github/workflows/publish.yml"))["jobs"]
    return jobs


def _checkout(job: dict[str, Any]) -> dict[str, Any]:
    step = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/checkout@"))
    with_: dict[str, Any] = step["with"]
    return with_


# -- 13. the changelog the project has ------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["Changelog.md", "HISTORY.md", "CHANGES.rst", "docs/changelog.rst", "NEWS"]
)
def test_the_projects_own_changelog_is_used_never_a_second_one(
    make_repo: RepoBuilder, name: str
) -> None:
    """No CHANGELOG.md beside another changelog; the script and the guide name the real file."""
    repo = hosted_repo(make_repo, {"pyproject.toml": PURE, name: "Changes\n=======\n"})
    stdout = _init(repo)
    assert f"Skipped {name}: it exists and holds your own text" in stdout
    root_names = {p.name for p in repo.path.iterdir()}
    assert "CHANGELOG.md" not in root_names
    assert repo.read(name) == "Changes\n=======\n"
    assert f"bump the version, roll {name}, commit and tag" in repo.read("prepare-release.sh")
    assert f"moves the Unreleased section of\n`{name}` under the new version" in repo.read(
        "PYPI_PUBLISHING_GUIDE.md"
    )


def test_without_a_changelog_init_creates_changelog_md(make_repo: RepoBuilder) -> None:
    repo = hosted_repo(make_repo, {"pyproject.toml": PURE})
    assert "Wrote CHANGELOG.md" in _init(repo)
    assert "## [Unreleased]" in repo.read("CHANGELOG.md")
    assert "roll CHANGELOG.md, commit" in repo.read("prepare-release.sh")


def test_changelog_false_writes_none_and_names_none(make_repo: RepoBuilder) -> None:
    pyproject = PURE + "\n[tool.releasekit]\nchangelog = false\n"
    repo = hosted_repo(make_repo, {"pyproject.toml": pyproject})
    _init(repo)
    assert not (repo.path / "CHANGELOG.md").exists()
    assert "bump the version, commit and tag, atomically" in repo.read("prepare-release.sh")
    assert "Unreleased section of" not in repo.read("PYPI_PUBLISHING_GUIDE.md")


def test_towncrier_news_file_is_left_to_towncrier(make_repo: RepoBuilder) -> None:
    pyproject = PURE + '\n[tool.towncrier]\nfilename = "NEWS.rst"\n'
    repo = hosted_repo(make_repo, {"pyproject.toml": pyproject})
    _init(repo)
    assert not (repo.path / "CHANGELOG.md").exists()
    assert not (repo.path / "NEWS.rst").exists()
    assert "roll NEWS.rst, commit" in repo.read("prepare-release.sh")


# -- 14. compiled builds and tag-derived versions --------------------------------------------


def test_maturin_builds_with_maturins_own_action_matrix(make_repo: RepoBuilder) -> None:
    """maturin projects get maturin-action per platform, pinned by SHA, then one merge and check."""
    repo = hosted_repo(make_repo, {"pyproject.toml": MATURIN, "Cargo.toml": "[package]\n"})
    stdout = _init(repo)
    assert "Compiled extensions (maturin): wheels built with PyO3/maturin-action" in stdout
    jobs = _jobs(repo)
    assert ["linux", "musllinux", "windows", "macos", "sdist", "build", "publish-pypi"] == list(
        jobs
    )
    assert ["linux", "musllinux", "windows", "macos", "sdist"] == jobs["build"]["needs"]
    assert re.fullmatch(r"[0-9a-f]{40}", MATURIN_ACTION.sha)
    text = repo.read(".github/workflows/publish.yml")
    assert 5 == text.count(f"uses: {MATURIN_ACTION.uses}")
    assert "maturin-action@v" not in text

    def platforms(job: str) -> list[tuple[str, str]]:
        rows = jobs[job]["strategy"]["matrix"]["platform"]
        return [(row["runner"], row["target"]) for row in rows]

    def build_step(job: str) -> dict[str, Any]:
        with_: dict[str, Any] = next(
            s for s in jobs[job]["steps"] if "maturin-action" in str(s.get("uses"))
        )["with"]
        return with_

    assert [("ubuntu-latest", "x86_64"), ("ubuntu-latest", "aarch64")] == platforms("linux")
    assert "auto" == build_step("linux")["manylinux"]
    assert "musllinux_1_2" == build_step("musllinux")["manylinux"]
    assert [("windows-latest", "x64")] == platforms("windows")
    assert [("macos-15-intel", "x86_64"), ("macos-latest", "aarch64")] == platforms("macos")
    assert "--release --out dist --find-interpreter" == build_step("macos")["args"]
    assert "sdist" == build_step("sdist")["command"]
    for job in ("linux", "musllinux", "windows", "macos"):
        assert "sccache" not in build_step(job)  # no build cache on the publishing path
    assert ["build"] == jobs["publish-pypi"]["needs"]


@pytest.mark.parametrize(
    "files",
    [
        {"pyproject.toml": SETUPTOOLS_RUST, "setup.py": RUST_SETUP_PY},
        {"pyproject.toml": PURE + "\n[tool.setuptools-rust]\next-modules = []\n"},
        {"pyproject.toml": PURE, "setup.py": RUST_SETUP_PY},
    ],
    ids=["build-requires", "tool-table", "setup-py"],
)
def test_setuptools_rust_installs_rust_in_cibuildwheels_linux_containers(
    make_repo: RepoBuilder, files: dict[str, str]
) -> None:
    repo = hosted_repo(make_repo, files)
    assert "Compiled extensions (setuptools-rust): wheels built with cibuildwheel" in _init(repo)
    jobs = _jobs(repo)
    step = next(s for s in jobs["wheels"]["steps"] if "cibuildwheel" in str(s.get("run")))
    assert "https://sh.rustup.rs" in step["env"]["CIBW_BEFORE_ALL_LINUX"]
    assert "$HOME/.cargo/bin" in step["env"]["CIBW_ENVIRONMENT_LINUX"]
    assert "cibuildwheel's Linux containers" in repo.read("PYPI_PUBLISHING_GUIDE.md")


def test_a_projects_own_linux_before_all_is_not_overridden(make_repo: RepoBuilder) -> None:
    """cibuildwheel's CIBW_* variables would replace the project's own Linux set-up."""
    pyproject = SETUPTOOLS_RUST + '\n[tool.cibuildwheel.linux]\nbefore-all = "./install-rust.sh"\n'
    repo = hosted_repo(make_repo, {"pyproject.toml": pyproject, "setup.py": RUST_SETUP_PY})
    _init(repo)
    step = next(s for s in _jobs(repo)["wheels"]["steps"] if "cibuildwheel" in str(s.get("run")))
    assert "env" not in step


def test_tag_versioned_builds_check_out_the_whole_history(make_repo: RepoBuilder) -> None:
    repo = hosted_repo(make_repo, {"pyproject.toml": HATCH_VCS, "tests/test_x.py": ""})
    stdout = _init(repo)
    assert "Version from git tags (hatch-vcs)" in stdout
    jobs = _jobs(repo)
    assert 0 == _checkout(jobs["build"])["fetch-depth"]
    assert "fetch-depth" not in _checkout(jobs["test"])
    assert "git tags (hatch-vcs)" in repo.read("PYPI_PUBLISHING_GUIDE.md")


@pytest.mark.parametrize(
    ("pyproject", "tool"),
    [
        (
            SETUP_PY.replace("setup(", "setup(use_scm_version=True, "),
            "setuptools-scm",
        ),
        (
            '[tool.pdm.version]\nsource = "scm"\n',
            "pdm scm",
        ),
    ],
    ids=["setuptools-scm-compiled", "pdm-scm"],
)
def test_every_building_job_of_a_tag_versioned_project_fetches_tags(
    make_repo: RepoBuilder, pyproject: str, tool: str
) -> None:
    if pyproject.startswith("from setuptools"):
        files = {"pyproject.toml": PURE, "setup.py": pyproject}
    else:
        files = {"pyproject.toml": PURE + "\n" + pyproject}
    repo = hosted_repo(make_repo, files)
    assert f"Version from git tags ({tool})" in _init(repo)
    jobs = _jobs(repo)
    building = ["sdist", "wheels"] if "sdist" in jobs else ["build"]
    assert (tool == "setuptools-scm") == (building == ["sdist", "wheels"])
    for key in building:
        assert 0 == _checkout(jobs[key])["fetch-depth"], key


def test_plain_versions_keep_the_shallow_checkout(make_repo: RepoBuilder) -> None:
    repo = hosted_repo(make_repo, {"pyproject.toml": PURE})
    assert "Version from git tags" not in _init(repo)
    assert "fetch-depth" not in _checkout(_jobs(repo)["build"])


def test_gitlab_tag_versioned_build_gets_git_and_the_whole_history(
    make_repo: RepoBuilder,
) -> None:
    repo = make_repo({"pyproject.toml": HATCH_VCS, "src/acme_widgets/__init__.py": ""})
    _init(repo, "--ci", "gitlab")
    pipeline = yaml.safe_load(repo.read(".gitlab/publish.gitlab-ci.yml"))
    assert {"GIT_DEPTH": "0"} == pipeline["release-build"]["variables"]
    assert "python:3.13" == pipeline["release-build"]["image"]
    assert "release-test" not in pipeline  # no tests
    assert ["release-build"] == pipeline["release-publish-pypi"]["needs"]


# -- 15. the tests the project has, with the dependencies it declares -------------------------


def _test_job(repo: Repo) -> tuple[str, str]:
    """(what the test job installs, what it runs)."""
    steps = _jobs(repo)["test"]["steps"]
    install = next(s["run"] for s in steps if "--only-binary" in str(s.get("run")))
    run = steps[-1]["run"]
    return install.splitlines()[1].removeprefix("python -m pip install "), run


@pytest.mark.parametrize(
    ("files", "command"),
    [
        ({"tests/test_x.py": ""}, "python -m pytest tests"),
        ({"testing/test_x.py": ""}, "python -m pytest testing"),
        ({"test/test_x.py": ""}, "python -m pytest test"),
        (
            {
                "checks/test_x.py": "",
                "pyproject.toml": PURE + '\n[tool.pytest.ini_options]\ntestpaths = ["checks"]\n',
            },
            "python -m pytest",
        ),
        (
            {"checks/test_x.py": "", "pytest.ini": "[pytest]\ntestpaths = checks\n"},
            "python -m pytest",
        ),
        (
            {"checks/test_x.py": "", "setup.cfg": "[tool:pytest]\ntestpaths = checks\n"},
            "python -m pytest",
        ),
    ],
    ids=["tests", "testing", "test", "pyproject-testpaths", "pytest-ini", "setup-cfg"],
)
def test_the_test_job_runs_the_tests_where_they_are(
    make_repo: RepoBuilder, files: dict[str, str], command: str
) -> None:
    repo = hosted_repo(make_repo, {"pyproject.toml": PURE, **files})
    _init(repo)
    assert command == _test_job(repo)[1]


@pytest.mark.parametrize(
    ("extra", "installs"),
    [
        (
            '\n[project.optional-dependencies]\ntesting = ["pytest"]\n',
            '"Acme.Widgets[testing]" pytest',
        ),
        ('\n[dependency-groups]\ntests = ["pytest>=8"]\n', "Acme.Widgets --group tests pytest"),
        (
            '\n[tool.poetry.group.test.dependencies]\npytest = "^8.0"\n'
            'hypothesis = { version = "~6.100", extras = ["cli"] }\n'
            'helpers = { path = "../helpers" }\n',
            'Acme.Widgets "pytest<9,>=8.0" "hypothesis[cli]<6.101,>=6.100" pytest',
        ),
        (
            '\n[tool.poetry.dev-dependencies]\nfreezegun = "1.5.1"\n',
            'Acme.Widgets "freezegun==1.5.1" pytest',
        ),
        ("", "Acme.Widgets pytest"),
    ],
    ids=["extra", "pep735-group", "poetry-group", "poetry-dev-dependencies", "none-declared"],
)
def test_the_test_job_installs_the_declared_test_dependencies(
    make_repo: RepoBuilder, extra: str, installs: str
) -> None:
    repo = hosted_repo(make_repo, {"pyproject.toml": PURE + extra, "tests/test_x.py": ""})
    _init(repo)
    assert installs == _test_job(repo)[0]


def test_no_tests_no_test_job_and_the_guide_says_so(make_repo: RepoBuilder) -> None:
    repo = hosted_repo(make_repo, {"pyproject.toml": PURE, "testdata/x.txt": ""})
    stdout = _init(repo, "--testpypi")
    assert "No tests found" in stdout
    jobs = _jobs(repo)
    assert ["build", "publish-testpypi", "publish-pypi"] == list(jobs)
    assert ["build"] == jobs["publish-testpypi"]["needs"]
    assert ["build", "publish-testpypi"] == jobs["publish-pypi"]["needs"]
    guide = repo.read("PYPI_PUBLISHING_GUIDE.md")
    assert "The project has no tests" in guide
    assert "**test**" not in guide
    assert "builds and publishes to TestPyPI" in repo.read(".github/workflows/publish.yml")
