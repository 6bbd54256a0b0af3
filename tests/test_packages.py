"""Finding a repository's packages (uv workspaces, folders) and choosing the ones a command runs on."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from releasekit.errors import EXIT_USAGE, UsageError
from releasekit.packages import Workspace, discover, select
from tests.support import Repo, RepoBuilder, git, run_releasekit


def project(name: str, *, poetry: bool = False) -> str:
    """A pyproject.toml naming a project, as PEP 621 or as Poetry 1.x writes it."""
    if poetry:
        return f'[tool.poetry]\nname = "{name}"\nversion = "1.0.0"\n'
    return f'[project]\nname = "{name}"\nversion = "1.0.0"\n'


def paths(workspace: Workspace) -> list[str]:
    """Each package's folder, in the workspace's order."""
    return [package.path for package in workspace.packages]


def log(cwd: Path, specs: list[str]) -> list[str]:
    """The subjects of the commits touching ``specs``, newest first, with git run in ``cwd``."""
    result = subprocess.run(
        ["git", "log", "--format=%s", "--", *specs],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.splitlines()


def test_uv_workspace_members_and_exclude(make_repo: RepoBuilder) -> None:
    """A uv workspace: the members its globs match, less the excluded, and nothing else."""
    repo = make_repo(
        {
            "pyproject.toml": '[tool.uv.workspace]\nmembers = ["packages/*", "tools/cli"]\n'
            'exclude = ["packages/legacy*"]\n',
            "packages/alpha/pyproject.toml": project("alpha"),
            "packages/beta/pyproject.toml": project("Beta_Pkg"),
            "packages/legacy-one/pyproject.toml": project("legacy-one"),
            "packages/notes/README.md": "not a package: no pyproject.toml\n",
            "tools/cli/pyproject.toml": project("the-cli"),
            "other/pyproject.toml": project("not-a-member"),
        },
        remote=False,
    )
    workspace = discover(repo.path / "packages")
    assert ("uv", repo.path.resolve()) == (workspace.source, workspace.top)
    assert ["packages/alpha", "packages/beta", "tools/cli"] == paths(workspace)
    assert ["alpha", "Beta_Pkg", "the-cli"] == [p.name for p in workspace.packages]
    assert workspace.is_monorepo
    beta = workspace.find("beta-pkg")
    assert beta is not None
    assert (repo.path / "packages" / "beta").resolve() == beta.root


def test_uv_workspace_root_project_is_a_package(make_repo: RepoBuilder) -> None:
    """A workspace whose top pyproject.toml is a project counts it first, as path "."."""
    repo = make_repo(
        {
            "pyproject.toml": project("app") + '[tool.uv.workspace]\nmembers = ["libs/*"]\n',
            "libs/one/pyproject.toml": project("one"),
            "libs/two/pyproject.toml": project("two"),
        },
        remote=False,
    )
    workspace = discover(repo.path)
    assert [".", "libs/one", "libs/two"] == paths(workspace)
    assert workspace.containing(repo.path / "libs" / "two") == workspace.find("TWO")


def test_folders_leave_out_fixtures_examples_docs_hidden_and_vendored(
    make_repo: RepoBuilder,
) -> None:
    """Without uv, every named project folder counts except test data, examples and the like."""
    repo = make_repo(
        {
            "pyproject.toml": "[tool.ruff]\nline-length = 100\n",  # no project: not a package
            "backend/pyproject.toml": project("backend"),
            "clients/py/pyproject.toml": project("client", poetry=True),
            "tests/fixtures/broken/pyproject.toml": project("fixture"),
            "backend/tests/data/pyproject.toml": project("data"),
            "examples/demo/pyproject.toml": project("demo"),
            "docs/pyproject.toml": project("docs"),
            "Benchmarks/pyproject.toml": project("bench"),
            ".github/actions/x/pyproject.toml": project("action"),
            "web/node_modules/pkg/pyproject.toml": project("vendored"),
            "backend/NOTpyproject.toml": project("wrong-file-name"),
        },
        remote=False,
    )
    # A package made a minute ago, not yet committed, is found; an ignored one is not.
    repo.write(
        {
            "fresh/pyproject.toml": project("fresh"),
            ".gitignore": "build/\n",
            "build/lib/pyproject.toml": project("ignored"),
        }
    )
    workspace = discover(repo.path)
    assert "folders" == workspace.source
    assert ["backend", "clients/py", "fresh"] == paths(workspace)
    assert ["backend", "client", "fresh"] == [p.name for p in workspace.packages]


def test_the_project_pointed_at_counts_wherever_it_is(make_repo: RepoBuilder) -> None:
    """-C into a fixture folder: that project is a package although fixtures are left out."""
    repo = make_repo(
        {
            "pkg/pyproject.toml": project("pkg"),
            "tests/fixtures/sample/pyproject.toml": project("sample"),
        },
        remote=False,
    )
    sample = repo.path / "tests" / "fixtures" / "sample"
    workspace = discover(sample)
    assert ["pkg", "tests/fixtures/sample"] == paths(workspace)
    assert [workspace.packages[1]] == select(workspace, root=sample, package=None, every=False)
    assert ["pkg"] == paths(discover(repo.path))


def test_one_package_is_single_and_outside_git_too(make_repo: RepoBuilder, tmp_path: Path) -> None:
    """One package is a "single" workspace; outside git the project folder is the top."""
    repo = make_repo({"pyproject.toml": project("solo")}, remote=False)
    workspace = discover(repo.path)
    assert ("single", ["."]) == (workspace.source, paths(workspace))
    plain = tmp_path / "plain"
    (plain / "src").mkdir(parents=True)
    (plain / "pyproject.toml").write_text(project("plain"))
    outside = discover(plain / "src")
    assert (plain.resolve(), "single", ["."]) == (outside.top, outside.source, paths(outside))


def test_nested_packages_pathspecs_from_a_subfolder(make_repo: RepoBuilder) -> None:
    """Each package's pathspecs select its own commits, not its nested packages', from anywhere."""
    repo = make_repo(
        {
            "pyproject.toml": project("top"),
            "core/pyproject.toml": project("core"),
            "core/plugins/extra/pyproject.toml": project("extra"),
            "web/pyproject.toml": project("web"),
        },
        remote=False,
    )
    changes = {
        "README.md": "top only",
        "core/src/core.py": "core only",
        "core/plugins/extra/src/extra.py": "extra only",
        "core/plugins/README.md": "core's plugins folder",
        "web/app.py": "web only",
    }
    for name, subject in changes.items():
        repo.write({name: subject + "\n"})
        repo.commit(subject)
    workspace = discover(repo.path / "web")
    assert [".", "core", "core/plugins/extra", "web"] == paths(workspace)
    top, core, extra, web = workspace.packages
    assert [":(top)", ":(top,exclude)core", ":(top,exclude)core/plugins/extra"] == (
        workspace.pathspec(top)[:3]
    )
    assert [":(top)core", ":(top,exclude)core/plugins/extra"] == workspace.pathspec(core)
    assert [":(top)web"] == workspace.pathspec(web)
    subfolder = repo.path / "core" / "plugins"
    expected = {
        top: ["top only", "Initial commit"],
        core: ["core's plugins folder", "core only", "Initial commit"],
        extra: ["extra only", "Initial commit"],
        web: ["web only", "Initial commit"],
    }
    assert expected == {p: log(subfolder, workspace.pathspec(p)) for p in workspace.packages}
    assert expected[core] == log(repo.path / "web", workspace.pathspec(core))


def test_package_folder_with_glob_characters_is_matched_literally(make_repo: RepoBuilder) -> None:
    """A folder named like a glob ("pkg[1]") is its own pathspec, not a pattern."""
    repo = make_repo(
        {"pkg[1]/pyproject.toml": project("one"), "pkg1/pyproject.toml": project("plain")},
        remote=False,
    )
    repo.write({"pkg1/change.py": "x\n"})
    repo.commit("plain only")
    workspace = discover(repo.path)
    one = workspace.find("one")
    assert one is not None
    assert [":(top,literal)pkg[1]"] == workspace.pathspec(one)
    assert ["Initial commit"] == log(repo.path, workspace.pathspec(one))


def test_select_by_name_all_and_default(make_repo: RepoBuilder) -> None:
    """--package NAME by normalized name, --all sorted by path, else the package at root."""
    repo = make_repo(
        {
            "b/pyproject.toml": project("Bravo.Pkg"),
            "a/pyproject.toml": project("alpha"),
        },
        remote=False,
    )
    workspace = discover(repo.path)
    bravo = select(workspace, root=repo.path, package="bravo-pkg", every=False)
    assert ["Bravo.Pkg"] == [p.name for p in bravo]
    every = select(workspace, root=repo.path, package=None, every=True)
    assert ["a", "b"] == [p.path for p in every]
    here = select(workspace, root=repo.path / "a", package=None, every=False)
    assert ["alpha"] == [p.name for p in here]


def test_root_that_is_not_a_listed_package_is_still_the_one(make_repo: RepoBuilder) -> None:
    """A setup.py project (no name in pyproject.toml) is the one package a plain command takes."""
    repo = make_repo(
        {
            "pkg/pyproject.toml": project("pkg"),
            "legacy/setup.py": 'from setuptools import setup\nsetup(name="old-style")\n',
        },
        remote=False,
    )
    workspace = discover(repo.path / "legacy")
    chosen = select(workspace, root=repo.path / "legacy", package=None, every=False)
    assert [("old-style", "legacy")] == [(p.name, p.path) for p in chosen]


def test_unknown_package_is_a_usage_error_listing_the_known(make_repo: RepoBuilder) -> None:
    """An unknown name: exit 2, one line naming the known packages and what to pass."""
    repo = make_repo(
        {"a/pyproject.toml": project("alpha"), "b/pyproject.toml": project("bravo")},
        remote=False,
    )
    workspace = discover(repo.path)
    with pytest.raises(UsageError) as caught:
        select(workspace, root=repo.path, package="charlie", every=False)
    assert EXIT_USAGE == caught.value.exit_code
    assert (
        f"no package named 'charlie' in {repo.path.resolve()} (known: alpha, bravo); "
        "pass --package NAME or -C path/to/pkg"
    ) == caught.value.one_line()


def test_package_and_all_together_is_a_usage_error(make_repo: RepoBuilder) -> None:
    """--package with --all: exit 2 and a line saying to choose one."""
    repo = make_repo({"a/pyproject.toml": project("alpha")}, remote=False)
    with pytest.raises(UsageError) as caught:
        select(discover(repo.path), root=repo.path, package="alpha", every=True)
    assert caught.value.one_line().startswith("--package and --all cannot be used together; ")


def test_malformed_pyproject_of_another_package_is_skipped(make_repo: RepoBuilder) -> None:
    """A broken pyproject.toml elsewhere (bad TOML, bad UTF-8) leaves the others found."""
    repo: Repo = make_repo(
        {
            "good/pyproject.toml": project("good"),
            "broken/pyproject.toml": '[project\nname = "broken"\n',
            "binary/pyproject.toml": b'[project]\nname = "\xff\xfe"\n',
            "odd/pyproject.toml": "project = 3\ntool = 'x'\n",
        },
        remote=False,
    )
    workspace = discover(repo.path / "broken")
    assert ["good"] == paths(workspace)
    assert "single" == workspace.source
    git(repo.path, "rm", "-q", "good/pyproject.toml")  # staged as deleted: gone, not an error
    assert [] == paths(discover(repo.path))


def test_folders_named_like_examples_tests_and_samples_are_left_out(
    make_repo: RepoBuilder,
) -> None:
    """langgraph's example projects, under names that only contain "example", are no packages."""
    left_out = [
        "libs/cli/python-monorepo-example/apps/agent",
        "libs/cli/uv-examples/workspace/libs/shared",
        "libs/cli/js-examples",
        "libs/sdk/examples_py",
        "apps/SampleApp",
        "apps/samples/one",
        "libs/core/test_data/pkg",
        "libs/core/testdata",
        "libs/core/testing-utils",
        "libs/core/Tests/unit",
        "integration_fixtures/pkg",
        "third_party/lib",
        "libs/vendored/lib",
    ]
    kept = ["libs/cli", "libs/standard-tests", "libs/testcontainers", "libs/resample"]
    files = {f"{folder}/pyproject.toml": project(folder.replace("/", "-")) for folder in left_out}
    files |= {f"{folder}/pyproject.toml": project(folder.rsplit("/", 1)[1]) for folder in kept}
    repo = make_repo(files, remote=False)
    assert sorted(kept) == paths(discover(repo.path))
    # The project -C points at is a package although its folder is an example.
    example = repo.path / left_out[0]
    assert left_out[0] in paths(discover(example))


def namesake_repo(make_repo: RepoBuilder, *, examples: bool) -> Repo:
    """Two projects called "agent" (and two "shared"), as examples or as real folders."""
    folder = "python-monorepo-example" if examples else "apps"
    return make_repo(
        {
            "libs/core/pyproject.toml": project("core"),
            f"libs/cli/{folder}/one/agent/pyproject.toml": project("agent"),
            f"libs/cli/{folder}/two/agent/pyproject.toml": project("Agent"),
            f"libs/cli/{folder}/one/shared/pyproject.toml": project("shared"),
            f"libs/cli/{folder}/two/shared/pyproject.toml": project("shared"),
        },
        remote=False,
    )


def test_package_name_shared_by_two_folders_is_a_usage_error(make_repo: RepoBuilder) -> None:
    """--package agent with two agents: exit 2, one line naming both folders and -C path."""
    repo = namesake_repo(make_repo, examples=False)
    workspace = discover(repo.path)
    with pytest.raises(UsageError) as caught:
        select(workspace, root=repo.path, package="AGENT", every=False)
    assert EXIT_USAGE == caught.value.exit_code
    assert (
        f"2 packages are named 'AGENT' in {repo.path.resolve()}: "
        "libs/cli/apps/one/agent, libs/cli/apps/two/agent; "
        "pass -C with the folder of the one to release (-C libs/cli/apps/one/agent)"
    ) == caught.value.one_line()
    run = run_releasekit(repo.path, "prepare", "--package", "agent", "patch", "--dry-run")
    assert (EXIT_USAGE, "") == (run.returncode, run.stdout)
    assert 1 == len(run.stderr.strip().splitlines()), run.stderr
    assert "libs/cli/apps/one/agent, libs/cli/apps/two/agent" in run.stderr
    assert "Traceback" not in run.stderr
    one = repo.path / "libs/cli/apps/one/agent"
    assert [one.resolve()] == [
        p.root for p in select(workspace, root=one, package=None, every=False)
    ]


def test_all_with_namesakes_is_a_usage_error_naming_them(make_repo: RepoBuilder) -> None:
    """--all would tag two packages alike: exit 2 naming every shared name and its folders."""
    repo = namesake_repo(make_repo, examples=False)
    with pytest.raises(UsageError) as caught:
        select(discover(repo.path), root=repo.path, package=None, every=True)
    assert EXIT_USAGE == caught.value.exit_code
    assert caught.value.one_line().startswith(
        "--all would release packages that share a name (and a tag): "
        "'agent' in libs/cli/apps/one/agent, libs/cli/apps/two/agent; "
        "'shared' in libs/cli/apps/one/shared, libs/cli/apps/two/shared; "
    )


def test_all_works_when_the_namesakes_are_examples(make_repo: RepoBuilder) -> None:
    """langgraph's duplicate example names are left out with the examples: --all takes the rest."""
    repo = namesake_repo(make_repo, examples=True)
    workspace = discover(repo.path)
    assert ["libs/core"] == [
        p.path for p in select(workspace, root=repo.path, package=None, every=True)
    ]
    run = run_releasekit(repo.path, "prepare", "--all", "patch", "--dry-run")
    assert 0 == run.returncode, run.stderr
    assert "core" in run.stdout
    assert "agent" not in run.stdout + run.stderr
