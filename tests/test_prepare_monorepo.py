"""prepare in a monorepo: one package, every package, their tags, and rollback of the whole set.

A uv workspace of three packages (alpha at the top, beta and gamma in packages/), each with a
static version and its own changelog, in a real git repository with a bare remote.
"""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from tests.support import Repo, RepoBuilder, install_hook, run_releasekit, spawn_releasekit

CHANGELOG = "# Changelog\n\n## [Unreleased]\n\n### Fixed\n\n- Something.\n"


def _member(name: str, version: str) -> str:
    return (
        f'[project]\nname = "{name}"\nversion = "{version}"\n\n'
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
    )


def _workspace_files() -> dict[str, str]:
    return {
        "pyproject.toml": _member("alpha", "1.0.0")
        + '\n[tool.uv.workspace]\nmembers = ["packages/*"]\n',
        "CHANGELOG.md": CHANGELOG,
        "packages/beta/pyproject.toml": _member("beta", "0.3.0"),
        "packages/beta/CHANGELOG.md": CHANGELOG,
        "packages/gamma/pyproject.toml": _member("gamma", "2.1.0"),
        "packages/gamma/CHANGELOG.md": CHANGELOG,
    }


@pytest.fixture
def workspace(make_repo: RepoBuilder) -> Repo:
    """The three-package workspace, committed and pushed, with no tags yet."""
    return make_repo(_workspace_files())


def _commit_per_package(repo: Repo) -> None:
    """Set commit-per-package in the top pyproject.toml, committed."""
    repo.write(
        {
            "pyproject.toml": repo.read("pyproject.toml")
            + "\n[tool.releasekit]\ncommit-per-package = true\n"
        }
    )
    repo.commit("Commit per package")


def _version(repo: Repo, folder: str) -> str:
    text = repo.read(f"{folder}/pyproject.toml" if folder != "." else "pyproject.toml")
    return text.split('version = "', 1)[1].split('"', 1)[0]


def _tags(repo: Repo) -> list[str]:
    return sorted(repo.git("tag", "--list").split())


def test_package_releases_one_package_with_its_own_tag(workspace: Repo) -> None:
    run = run_releasekit(workspace.path, "prepare", "--package", "beta", "minor", "--yes")
    assert run.returncode == 0, run.stderr
    assert _version(workspace, "packages/beta") == "0.4.0"
    assert _version(workspace, ".") == "1.0.0"
    assert _version(workspace, "packages/gamma") == "2.1.0"
    assert _tags(workspace) == ["beta-v0.4.0"]
    assert "## [0.4.0]" in workspace.read("packages/beta/CHANGELOG.md")
    assert "## [Unreleased]\n\n### Fixed" in workspace.read("CHANGELOG.md")  # alpha's untouched
    assert workspace.git("log", "-1", "--format=%s") == "Release beta 0.4.0"
    changed = workspace.git("show", "--name-only", "--format=", "HEAD").split()
    assert sorted(changed) == ["packages/beta/CHANGELOG.md", "packages/beta/pyproject.toml"]


def test_c_in_a_package_folder_is_the_same_as_package(workspace: Repo) -> None:
    run = run_releasekit(workspace.path, "-C", "packages/gamma", "prepare", "patch", "--yes")
    assert run.returncode == 0, run.stderr
    assert _tags(workspace) == ["gamma-v2.1.1"]


def test_all_releases_every_package_in_one_commit_with_a_tag_each(workspace: Repo) -> None:
    run = run_releasekit(workspace.path, "prepare", "--all", "patch", "--yes", "--push")
    assert run.returncode == 0, run.stderr
    assert _tags(workspace) == ["alpha-v1.0.1", "beta-v0.3.1", "gamma-v2.1.1"]
    assert workspace.git("log", "-1", "--format=%s") == (
        "Release alpha 1.0.1, beta 0.3.1, gamma 2.1.1"
    )
    head = workspace.git("rev-parse", "HEAD")
    for tag in _tags(workspace):
        assert workspace.git("rev-parse", f"{tag}^{{commit}}") == head
    remote_tags = workspace.git("ls-remote", "--tags", "origin")
    assert all(tag in remote_tags for tag in _tags(workspace))
    assert workspace.git("status", "--porcelain") == ""
    # the next steps name each package's release and its notes
    assert "releasekit notes --package beta 0.3.1" in run.stdout


def test_commit_per_package_makes_a_commit_and_tag_each(workspace: Repo) -> None:
    _commit_per_package(workspace)
    before = workspace.git("rev-parse", "HEAD")
    run = run_releasekit(workspace.path, "prepare", "--all", "minor", "--yes")
    assert run.returncode == 0, run.stderr
    subjects = workspace.git("log", "--format=%s", f"{before}..HEAD").splitlines()
    assert subjects == ["Release gamma 2.2.0", "Release beta 0.4.0", "Release alpha 1.1.0"]
    for tag, subject in [("alpha-v1.1.0", "alpha"), ("gamma-v2.2.0", "gamma")]:
        assert (
            workspace.git("log", "-1", "--format=%s", tag)
            == f"Release {subject} " + tag.split("-v")[1]
        )
    assert workspace.git("show", "--name-only", "--format=", "beta-v0.4.0^{commit}").split() == [
        "packages/beta/CHANGELOG.md",
        "packages/beta/pyproject.toml",
    ]


def test_a_failing_tag_rolls_back_every_package(workspace: Repo) -> None:
    # git refuses the third tag: the commit, the first two tags and every file go back.
    install_hook(
        workspace,
        "reference-transaction",
        '#!/bin/sh\n[ "$1" = prepared ] || exit 0\n'
        'if grep -q "refs/tags/gamma-"; then echo "no gamma tags" >&2; exit 1; fi\n',
    )
    files = {name: workspace.read(name) for name in _workspace_files()}
    head = workspace.git("rev-parse", "HEAD")
    run = run_releasekit(workspace.path, "prepare", "--all", "minor", "--yes")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "rolled back" in run.stderr
    assert _tags(workspace) == []
    assert workspace.git("rev-parse", "HEAD") == head
    assert {name: workspace.read(name) for name in files} == files
    assert workspace.git("status", "--porcelain") == ""


def test_generic_tags_belong_to_the_package_at_the_top(workspace: Repo) -> None:
    # v1.0.0 is alpha's (at the top); beta, below it, has no release yet.
    workspace.git("tag", "-a", "v1.0.0", "-m", "alpha 1.0.0")
    run = run_releasekit(workspace.path, "-v", "prepare", "--package", "beta", "patch", "-n")
    assert run.returncode == 0, run.stderr
    assert "latest release tag: none" in run.stderr
    assert "create annotated tag beta-v0.3.1" in run.stdout
    run = run_releasekit(workspace.path, "-v", "prepare", "--package", "alpha", "patch", "-n")
    assert "latest release tag: v1.0.0" in run.stderr
    assert "create annotated tag v1.0.1" in run.stdout  # the style of its existing tags


def test_tag_format_with_name_placeholder(workspace: Repo) -> None:
    path = workspace.path / "packages/beta/pyproject.toml"
    path.write_text(
        path.read_text() + '\n[tool.releasekit]\ntag-format = "{name}/{version}"\n',
        encoding="utf-8",
    )
    workspace.commit("Tag format")
    run = run_releasekit(workspace.path, "prepare", "--package", "beta", "patch", "--yes")
    assert run.returncode == 0, run.stderr
    assert _tags(workspace) == ["beta/0.3.1"]


def test_unknown_package_is_one_line_and_changes_nothing(workspace: Repo) -> None:
    head = workspace.git("rev-parse", "HEAD")
    run = run_releasekit(workspace.path, "prepare", "--package", "delta", "patch", "--yes")
    assert run.returncode == 2
    assert len(run.stderr.strip().splitlines()) == 1
    assert "delta" in run.stderr
    assert "beta" in run.stderr
    assert workspace.git("rev-parse", "HEAD") == head
    assert _tags(workspace) == []


def test_json_report_lists_each_package(workspace: Repo) -> None:
    run = run_releasekit(workspace.path, "prepare", "--all", "minor", "--dry-run", "--json")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert [(p["name"], p["path"], p["version"], p["tag"]) for p in report["packages"]] == [
        ("alpha", ".", "1.1.0", "alpha-v1.1.0"),
        ("beta", "packages/beta", "0.4.0", "beta-v0.4.0"),
        ("gamma", "packages/gamma", "2.2.0", "gamma-v2.2.0"),
    ]
    assert report["skipped"] == []
    assert _tags(workspace) == []


def test_dry_run_names_the_command_that_applies_the_same_selection(workspace: Repo) -> None:
    run = run_releasekit(
        workspace.path, "-C", "packages", "prepare", "--package", "beta", "minor", "--dry-run"
    )
    assert run.returncode == 0, run.stderr
    assert "Next: releasekit -C packages prepare --package beta minor to apply it" in run.stdout, (
        run.stdout
    )
    run = run_releasekit(workspace.path, "prepare", "--all", "patch", "-n")
    assert "Next: releasekit prepare --all patch to apply it" in run.stdout


def test_warnings_of_several_packages_name_the_package(workspace: Repo) -> None:
    (workspace.path / "packages/gamma/CHANGELOG.md").unlink()
    workspace.commit("gamma has no changelog")
    run = run_releasekit(workspace.path, "prepare", "--all", "patch", "--dry-run")
    assert run.returncode == 0, run.stderr
    assert "warning: gamma: no changelog found" in run.stderr + run.stdout


def test_a_refused_second_commit_rolls_back_the_first_commit_and_its_tag(
    workspace: Repo,
) -> None:
    # A commit per package: alpha's commit and tag are made, then the hook refuses beta's.
    _commit_per_package(workspace)
    install_hook(
        workspace,
        "pre-commit",
        "#!/bin/sh\n"
        'if git diff --cached --name-only | grep -q "^packages/beta/"; then\n'
        '  echo "beta is frozen" >&2; exit 1\nfi\n',
    )
    files = {name: workspace.read(name) for name in _workspace_files()}
    head = workspace.git("rev-parse", "HEAD")
    run = run_releasekit(workspace.path, "prepare", "--all", "minor", "--yes")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "beta is frozen" in run.stderr
    assert "every change was rolled back" in run.stderr
    assert workspace.git("rev-parse", "HEAD") == head
    assert _tags(workspace) == []
    assert {name: workspace.read(name) for name in files} == files
    assert workspace.git("status", "--porcelain") == ""
    assert not (workspace.path / ".git/releasekit/journal").exists()


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_recover_after_a_kill_between_two_package_commits_undoes_the_set(
    workspace: Repo,
) -> None:
    # Killed (SIGKILL: no cleanup) while beta's commit hook runs, after alpha's commit and tag.
    _commit_per_package(workspace)
    marker = workspace.path.parent / "beta-committing"
    install_hook(
        workspace,
        "post-commit",
        f'#!/bin/sh\ngit log -1 --format=%s | grep -q beta && touch "{marker}" && sleep 30\n'
        "exit 0\n",
    )
    files = {name: workspace.read(name) for name in _workspace_files()}
    head = workspace.git("rev-parse", "HEAD")
    process = spawn_releasekit(workspace.path, "prepare", "--all", "minor", "--yes", session=True)
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), process.communicate(timeout=30)
    # The hook may run before a descheduled releasekit has named git in its journal.
    journal_path = workspace.path / ".git/releasekit/journal"
    while json.loads(journal_path.read_text())["child"] is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)
    # git commit runs in a process group of its own, which the journal names: kill it too.
    journal = json.loads(journal_path.read_text())
    os.killpg(journal["child"]["pid"], signal.SIGKILL)
    while _running(journal["child"]["pid"]):
        time.sleep(0.05)
    assert _tags(workspace) == ["alpha-v1.1.0"]  # the state the kill left
    explained = run_releasekit(workspace.path, "prepare", "--all", "patch", "--yes")
    assert explained.returncode == 1
    assert "2 of 3 release commits made" in explained.stderr
    assert "tag alpha-v1.1.0 created, tag beta-v0.4.0 absent" in explained.stderr
    recovered = run_releasekit(workspace.path, "prepare", "--recover")
    assert recovered.returncode == 0, recovered.stderr
    assert "was undone" in recovered.stdout
    assert workspace.git("rev-parse", "HEAD") == head
    assert _tags(workspace) == []
    assert {name: workspace.read(name) for name in files} == files
    assert workspace.git("status", "--porcelain") == ""
