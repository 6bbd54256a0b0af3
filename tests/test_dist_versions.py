"""The files are the release: check and publish compare the files' version with the project's."""

from __future__ import annotations

from pathlib import Path

from tests import distfactory as make
from tests.servers import json_index
from tests.strict_index import strict_index
from tests.support import RepoBuilder, run_releasekit

TOKEN = "pypi-AgEIcHlwaS5vcmcCJGRlbW8tdG9rZW4tZm9yLXRlc3RzLW9ubHk"


def project(folder: Path, version: str) -> Path:
    """A project named like the test distributions (demo-pkg) at ``version``, with dist/ 1.0.0."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        f'[project]\nname = "demo-pkg"\nversion = "{version}"\n'
    )
    make.release(folder / "dist", wheels=1)
    return folder


def test_publish_refuses_files_of_another_version_before_any_network(tmp_path: Path) -> None:
    """dist/ of 1.0.0 in a project at 1.1.0: one line, exit 1, nothing sent."""
    root = project(tmp_path / "proj", "1.1.0")
    with strict_index() as (url, state), json_index({}) as (lookup_url, lookups):
        run = run_releasekit(
            root,
            "publish",
            "--repository-url",
            url + "legacy/",
            env={"RELEASEKIT_TOKEN": TOKEN, "RELEASEKIT_INDEX_URL": lookup_url + "simple/"},
        )
        posts = state.posts
    assert 1 == run.returncode
    assert (
        "error: dist/ holds 2 files of 1.0.0 but the project is at 1.1.0; run releasekit build "
        "(or pass --allow-other-version if these are the files you mean)\n"
    ) == run.stderr
    assert (0, []) == (posts, lookups)
    assert TOKEN not in run.stdout + run.stderr


def test_allow_other_version_publishes_them(tmp_path: Path) -> None:
    """--allow-other-version is the deliberate way through."""
    root = project(tmp_path / "proj", "1.1.0")
    with strict_index() as (url, state):
        run = run_releasekit(
            root,
            "publish",
            "--allow-other-version",
            "--repository-url",
            url + "legacy/",
            env={"RELEASEKIT_TOKEN": TOKEN, "RELEASEKIT_INDEX_URL": url + "simple/"},
        )
    assert 0 == run.returncode, run.stderr
    assert 2 == len(state.stored)


def test_check_warns_about_files_of_another_version(tmp_path: Path) -> None:
    """check reports the mismatch as a warning finding (exit 0), unless allowed."""
    root = project(tmp_path / "proj", "1.1.0")
    run = run_releasekit(root, "check")
    assert 0 == run.returncode, run.stderr
    assert (
        "  warning other-version: dist/ holds 2 files of 1.0.0 but the project is at 1.1.0 "
        "(run releasekit build (or pass --allow-other-version if these are the files you mean))"
    ) in run.stdout.splitlines()
    assert "0 error(s), 1 warning(s) in 2 file(s)" in run.stdout
    allowed = run_releasekit(root, "check", "--allow-other-version")
    assert "other-version" not in allowed.stdout


def test_release_tag_on_head_counts_for_tag_derived_projects(make_repo: RepoBuilder) -> None:
    """A tag-derived project tagged v1.1.0 on HEAD: dist/ of 1.0.0 is named against the tag."""
    repo = make_repo(
        {
            "pyproject.toml": '[build-system]\nrequires = ["hatchling", "hatch-vcs"]\n'
            'build-backend = "hatchling.build"\n\n[project]\nname = "demo-pkg"\n'
            'dynamic = ["version"]\n\n[tool.hatch.version]\nsource = "vcs"\n',
            "README.md": "# demo\n",
        },
        tags=("v1.1.0",),
    )
    make.release(repo.path / "dist", wheels=1)
    run = run_releasekit(repo.path, "check", "--json")
    assert 0 == run.returncode, run.stderr
    assert "dist/ holds 2 files of 1.0.0 but the project is at 1.1.0 (tagged on HEAD)" in run.stdout


def test_matching_files_and_no_project_say_nothing(tmp_path: Path) -> None:
    """Files of the project's version, and files outside any project: no finding."""
    root = project(tmp_path / "proj", "1.0.0")
    assert "other-version" not in run_releasekit(root, "check").stdout
    make.release(tmp_path / "loose" / "dist", wheels=1)
    assert "other-version" not in run_releasekit(tmp_path / "loose", "check").stdout
