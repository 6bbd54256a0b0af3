"""``build``, ``check``, ``publish`` and ``rehearse`` with ``--package NAME`` and ``--all``.

The installed command runs on a uv workspace of three small hatchling packages, as a user runs
it; uploads go to a real pypiserver.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests import distfactory as make
from tests.servers import pypiserver
from tests.support import Repo, RepoBuilder, Run, run_releasekit, snapshot
from tests.test_json_contract import validator

VERSIONS = {"alpha": "0.1.0", "beta": "0.2.0", "gamma": "0.3.0"}
WORKSPACE = '[tool.uv.workspace]\nmembers = ["packages/*"]\n'


def member(name: str, version: str) -> dict[str, str]:
    """The files of one small hatchling package in packages/NAME."""
    folder = f"packages/{name}"
    return {
        f"{folder}/pyproject.toml": '[build-system]\nrequires = ["hatchling>=1.27"]\n'
        'build-backend = "hatchling.build"\n\n'
        f'[project]\nname = "{name}"\nversion = "{version}"\ndescription = "A package."\n'
        'readme = "README.md"\nlicense = "MIT"\nrequires-python = ">=3.11"\n',
        f"{folder}/README.md": f"# {name}\n\nA package of the workspace.\n",
        f"{folder}/src/{name}/__init__.py": f'"""{name}."""\n\n__version__ = "{version}"\n',
    }


@pytest.fixture
def workspace(make_repo: RepoBuilder) -> Repo:
    """A uv workspace of three packages (alpha, beta, gamma), committed and pushed."""
    files = {"pyproject.toml": WORKSPACE}
    for name, version in VERSIONS.items():
        files.update(member(name, version))
    return make_repo(files)


def fake_dists(repo: Repo, name: str, *, bad: bool = False) -> list[Path]:
    """A wheel and an sdist of package ``name`` in its dist/ (with ``bad``, a broken wheel)."""
    version = VERSIONS[name]
    folder = repo.path / "packages" / name / "dist"
    folder.mkdir(parents=True, exist_ok=True)
    fields = make.with_fields(set_={"Name": name, "Version": version})
    wheel_fields = (
        make.with_fields(set_={"Name": name, "Version": "not a version"}) if bad else fields
    )
    return [
        make.wheel(
            folder,
            fields=wheel_fields,
            filename=f"{name}-{version}-py3-none-any.whl",
            dist_info=f"{name}-{version}.dist-info",
        ),
        make.sdist(
            folder,
            fields=fields,
            filename=f"{name}-{version}.tar.gz",
            top=f"{name}-{version}",
        ),
    ]


def report(run: Run, code: int) -> dict[str, Any]:
    """The --json report of a run that exited ``code``, valid against the one schema."""
    assert code == run.returncode, run.stderr
    data: dict[str, Any] = json.loads(run.stdout)
    assert [] == [error.message for error in validator().iter_errors(data)]
    return data


def dist_files(repo: Repo) -> dict[str, list[str]]:
    """Each package's dist/ contents."""
    return {
        name: sorted(p.name for p in (repo.path / "packages" / name / "dist").glob("*"))
        for name in VERSIONS
    }


def test_build_package_then_all_each_into_its_own_dist(workspace: Repo) -> None:
    """build --package builds that one in its folder; --all builds every one, one summary."""
    one = run_releasekit(workspace.path / "packages", "build", "--package", "beta")
    assert 0 == one.returncode, one.stderr
    assert {
        "alpha": [],
        "beta": ["beta-0.2.0-py3-none-any.whl", "beta-0.2.0.tar.gz"],
        "gamma": [],
    } == (dist_files(workspace))
    assert "Built beta/dist/beta-0.2.0.tar.gz (" in one.stdout
    every = run_releasekit(workspace.path, "build", "--all", "--json")
    data = report(every, 0)
    expected = {n: [f"{n}-{v}-py3-none-any.whl", f"{n}-{v}.tar.gz"] for n, v in VERSIONS.items()}
    assert expected == dist_files(workspace)
    assert "0.1.0, 0.2.0, 0.3.0" == data["version"]
    assert [
        {
            "name": name,
            "path": f"packages/{name}",
            "version": version,
            "files": [
                f"packages/{name}/dist/{name}-{version}.tar.gz",
                f"packages/{name}/dist/{name}-{version}-py3-none-any.whl",
            ],
        }
        for name, version in VERSIONS.items()
    ] == data["packages"]
    assert 6 == len(data["files"])


def test_build_all_with_outdir_is_a_usage_error(workspace: Repo) -> None:
    """--outdir names one folder; with --all each package builds into its own: exit 2."""
    run = run_releasekit(workspace.path, "build", "--all", "-o", "wheelhouse")
    assert (2, "") == (run.returncode, run.stdout)
    assert [
        "error: --outdir: --outdir takes one package; with --all each package builds into its "
        "own dist/; drop --outdir, or pass --package NAME"
    ] == run.stderr.splitlines()


def test_check_package_and_all(workspace: Repo) -> None:
    """check --package takes that package's dist/*; --all every package's, each its own batch."""
    for name in VERSIONS:
        fake_dists(workspace, name)
    beta = run_releasekit(workspace.path / "packages" / "alpha", "check", "--package", "beta")
    assert 0 == beta.returncode, beta.stdout + beta.stderr
    assert [
        "0 error(s), 0 warning(s) in 2 file(s)",
        "Next: releasekit publish --package beta --dry-run",
    ] == beta.stdout.splitlines()
    every = run_releasekit(workspace.path, "check", "--all")
    assert 0 == every.returncode, every.stdout + every.stderr
    assert "0 error(s), 0 warning(s) in 6 file(s) of 3 packages" == every.stdout.splitlines()[0]
    data = report(run_releasekit(workspace.path, "check", "--all", "--json"), 0)
    assert ["alpha", "beta", "gamma"] == [p["name"] for p in data["packages"]]
    assert [
        "packages/gamma/dist/gamma-0.3.0-py3-none-any.whl",
        "packages/gamma/dist/gamma-0.3.0.tar.gz",
    ] == data["packages"][2]["files"]


def test_check_all_refuses_paths_and_names_a_package_without_files(workspace: Repo) -> None:
    """DIST paths with --all are exit 2; a package with nothing built is named, exit 2."""
    fake_dists(workspace, "alpha")
    fake_dists(workspace, "beta")
    with_paths = run_releasekit(workspace.path, "check", "--all", "packages/alpha/dist/*")
    assert 2 == with_paths.returncode
    assert [
        "error: packages/alpha/dist/*: DIST paths cannot be combined with --all: each package's "
        "files are its own dist/*; drop the paths, or pass --package NAME with them"
    ] == with_paths.stderr.splitlines()
    missing = run_releasekit(workspace.path, "check", "--all")
    assert 2 == missing.returncode
    assert [
        "error: packages/gamma/dist/*: no distributions found; "
        "build them first: releasekit build --all"
    ] == missing.stderr.splitlines()


def test_publish_all_uploads_exactly_the_packages_files(workspace: Repo, tmp_path: Path) -> None:
    """publish --all: every package's files to pypiserver in one run; a rerun skips them all."""
    made = [path for name in VERSIONS for path in fake_dists(workspace, name)]
    workspace.write({"packages/beta/dist/notes.txt": "not a distribution\n"})
    packages = tmp_path / "packages"
    packages.mkdir()
    with pypiserver(packages) as url:
        env = {"RELEASEKIT_INDEX_URL": url + "simple/"}
        run = run_releasekit(
            workspace.path, "publish", "--all", "--repository-url", url, "--json", env=env
        )
        again = run_releasekit(
            workspace.path / "packages",
            "publish",
            "--all",
            "--skip-existing",
            "--repository-url",
            url,
            env=env,
        )
    data = report(run, 0)
    assert sorted(p.name for p in made) == sorted(p.name for p in packages.iterdir())
    assert {p.name: "uploaded" for p in made} == {f["file"]: f["status"] for f in data["files"]}
    assert data["verified"] is True
    assert [
        {
            "name": n,
            "path": f"packages/{n}",
            "files": [f"{n}-{v}-py3-none-any.whl", f"{n}-{v}.tar.gz"],
        }
        for n, v in VERSIONS.items()
    ] == data["packages"]
    assert 0 == again.returncode, again.stderr
    assert (
        "  beta (packages/beta): beta-0.2.0-py3-none-any.whl skipped, beta-0.2.0.tar.gz skipped"
        in again.stdout.splitlines()
    )
    assert f"Nothing to upload: all 6 file(s) are already on {url}." in again.stdout


def test_publish_all_sends_nothing_when_one_package_fails_the_check(
    workspace: Repo, tmp_path: Path
) -> None:
    """A bad file in the last package stops the whole run before the first upload."""
    fake_dists(workspace, "alpha")
    fake_dists(workspace, "beta")
    fake_dists(workspace, "gamma", bad=True)
    packages = tmp_path / "packages"
    packages.mkdir()
    with pypiserver(packages) as url:
        run = run_releasekit(
            workspace.path,
            "publish",
            "--all",
            "--repository-url",
            url,
            env={"RELEASEKIT_INDEX_URL": url + "simple/"},
        )
    assert 1 == run.returncode
    assert [] == list(packages.iterdir())
    assert "gamma-0.3.0-py3-none-any.whl" in run.stdout
    assert run.stderr.splitlines()[-1].startswith("error: the check found ")


def test_unknown_package_is_one_line_and_changes_nothing(workspace: Repo) -> None:
    """An unknown --package: exit 2, one line listing the packages, for every command."""
    before = snapshot(workspace)
    known = "(known: alpha, beta, gamma); pass --package NAME or -C path/to/pkg"
    for command in ("build", "check", "publish", "rehearse"):
        run = run_releasekit(workspace.path, command, "--package", "delta")
        assert (2, "") == (run.returncode, run.stdout), command
        assert [
            f"error: no package named 'delta' in {workspace.path.resolve()} {known}"
        ] == run.stderr.splitlines(), command
    both = run_releasekit(workspace.path, "check", "--package", "beta", "--all")
    assert 2 == both.returncode
    assert both.stderr.startswith("error: --package and --all cannot be used together; ")
    assert before == snapshot(workspace)


def test_rehearse_package_and_all(workspace: Repo) -> None:
    """rehearse --package releases that package in the throwaway copy; --all is refused."""
    before = snapshot(workspace)
    run = run_releasekit(workspace.path, "rehearse", "--package", "beta", "--json")
    data = report(run, 0)
    assert ("beta", "0.2.1") == (data["name"], data["version"])
    assert "releasekit prepare patch --package beta --push" == data["commands"][0]
    every = run_releasekit(workspace.path, "rehearse", "--all")
    assert 2 == every.returncode
    assert [
        "error: rehearse takes one package at a time, not --all; run releasekit rehearse "
        "--package NAME for each package (or -C its folder)"
    ] == every.stderr.splitlines()
    assert before == snapshot(workspace)
