"""Fixtures: isolated git, real repositories with a bare remote."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.support import CHANGELOG, PYPROJECT, Repo, RepoBuilder, git

# What the caller's environment may hold that releasekit (or the ``id`` library it asks for CI
# identity tokens) reads: its own settings and credentials, twine's and uv's, the CI markers that
# switch trusted publishing on, and the identity token sources. A test that wants one sets it.
CALLER_PREFIXES = (
    "RELEASEKIT_",
    "GITHUB_",
    "ACTIONS_",
    "GITLAB_",
    "BUILDKITE",
    "CIRCLE",
    "TWINE_",
    "UV_PUBLISH_",
)
CALLER_NAMES = {"NO_COLOR", "FORCE_COLOR", "CI", "CI_JOB_TOKEN", "GOOGLE_SERVICE_ACCOUNT_NAME"}


@pytest.fixture(autouse=True)
def isolated_git(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own HOME and git identity, unaffected by the machine's git config."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Release Tester")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "tester@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Release Tester")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "tester@example.com")
    for name in list(os.environ):
        if name.startswith(CALLER_PREFIXES) or name.endswith("_ID_TOKEN") or name in CALLER_NAMES:
            monkeypatch.delenv(name)
    # keyring, when consulted, must never reach the machine's own keyring.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")


@pytest.fixture
def make_repo(tmp_path: Path) -> RepoBuilder:
    """Build a repository from files, with a bare remote, pushed, optionally tagged."""

    def build(
        files: Mapping[str, str | bytes],
        *,
        tags: tuple[str, ...] = (),
        branch: str = "main",
        remote: bool = True,
    ) -> Repo:
        bare = tmp_path / "remote.git"
        work = tmp_path / "work"
        work.mkdir()
        git(work, "init", "-q", "-b", branch)
        repo = Repo(work, bare)
        repo.write(files)
        repo.commit("Initial commit")
        for tag in tags:
            git(work, "tag", "-a", tag, "-m", tag)
        if remote:
            git(tmp_path, "init", "-q", "--bare", "-b", branch, str(bare))
            git(work, "remote", "add", "origin", str(bare))
            git(work, "push", "-q", "-u", "origin", branch, "--tags")
        return repo

    return build


@pytest.fixture
def demo_repo(make_repo: RepoBuilder) -> Repo:
    """A typical project at 1.2.3: pyproject, __init__, changelog, tag v1.2.3, pushed."""
    return make_repo(
        {
            "pyproject.toml": PYPROJECT,
            "src/demo/__init__.py": '"""Demo."""\n\n__version__ = "1.2.3"\n',
            "CHANGELOG.md": CHANGELOG,
        },
        tags=("v1.2.3",),
    )
