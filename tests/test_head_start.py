"""git's long reads started before the command line loads are taken over, never run twice.

``head_start`` starts the commands that ``commits``, ``tags`` and ``prepare`` will ask for, by
their exact arguments; if those drifted apart, each walk would run twice (and the head start
would only cost). git's own trace counts what ran.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from releasekit.head_start import _tags_on_disk
from tests.support import CHANGELOG, PYPROJECT, Repo, RepoBuilder, run_releasekit


def _traced(repo: Repo, *args: str) -> tuple[str, list[str]]:
    """Run releasekit with GIT_TRACE; its output and the git commands it ran."""
    trace = repo.path.parent / "trace.txt"
    trace.unlink(missing_ok=True)
    result = run_releasekit(repo.path, *args, env={"GIT_TRACE": str(trace)})
    assert 0 == result.returncode, result.stderr
    lines = trace.read_text().splitlines()
    return result.stdout, [line.split("built-in: ", 1)[1] for line in lines if "built-in: " in line]


def _count(commands: list[str], start: str) -> int:
    """How many of ``commands`` are ``start`` (a ``git tag`` with ``--merged`` in any form)."""
    if start.startswith("git tag"):
        return sum(command.startswith("git tag") and "--merged" in command for command in commands)
    return sum(command.startswith(start) for command in commands)


def _history(make_repo: RepoBuilder, *, tagged: bool) -> Repo:
    repo = make_repo(
        {"pyproject.toml": PYPROJECT, "CHANGELOG.md": CHANGELOG},
        tags=("v1.2.3",) if tagged else (),
    )
    for number in range(3):
        repo.write({f"file-{number}.txt": f"{number}\n"})
        repo.commit(f"feat: feature {number}")
    return repo


def test_the_whole_changelog_walks_the_history_once(make_repo: RepoBuilder) -> None:
    repo = _history(make_repo, tagged=True)
    shown, commands = _traced(repo, "notes", "--from-commits", "--all")
    assert "feature 2" in shown
    assert 1 == _count(commands, "git log -z")
    assert 1 == _tag_listings(commands)


def _tag_listings(commands: list[str]) -> int:
    """How many ``for-each-ref`` listed the tags with their peeled commits (``Git.refs``)."""
    return sum(
        command.startswith("git for-each-ref") and "%(*objectname)" in command
        for command in commands
    )


def test_prepare_auto_without_tags_reads_the_history_and_the_tags_once(
    make_repo: RepoBuilder,
) -> None:
    repo = _history(make_repo, tagged=False)
    shown, commands = _traced(repo, "prepare", "auto", "--dry-run")
    assert "feature 2" in shown
    assert 1 == _count(commands, "git log -z")
    assert 1 == _count(commands, "git tag --list --merged HEAD")
    assert 1 == _tag_listings(commands)


def test_with_tags_and_from_another_folder_nothing_runs_twice(
    make_repo: RepoBuilder, tmp_path: Path
) -> None:
    """A tagged project (no speculative walk), and -C from elsewhere (the same folder key)."""
    repo = _history(make_repo, tagged=True)
    shown, commands = _traced(repo, "notes", "--from-commits")
    assert "feature 2" in shown
    assert 1 == _count(commands, "git log -z")
    assert 1 == _count(commands, "git tag --list --merged HEAD")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    trace = tmp_path / "trace-c.txt"
    result = run_releasekit(
        elsewhere,
        "-C",
        str(repo.path),
        "prepare",
        "auto",
        "--dry-run",
        env={"GIT_TRACE": str(trace)},
    )
    assert 0 == result.returncode, result.stderr
    traced = [line for line in trace.read_text().splitlines() if "built-in: " in line]
    assert 1 == sum("tag --list --merged HEAD" in line for line in traced)
    assert 1 == sum("%(*objectname)" in line for line in traced)


def test_each_question_about_the_repository_is_asked_once(make_repo: RepoBuilder) -> None:
    """Where the repository keeps things, HEAD, the branch and its upstream: one git each.

    The top, the git folders and the shallow file come from one ``rev-parse`` (started with
    the walk), the branch with its upstream from one ``for-each-ref``; HEAD's commit comes with
    the tags (its branch is listed with them), and no ``rev-parse`` asks for it.
    """
    repo = _history(make_repo, tagged=True)
    for args in (("prepare", "auto", "--dry-run"), ("notes", "--from-commits", "--all")):
        _, commands = _traced(repo, *args)
        rev_parses = [command for command in commands if command.startswith("git rev-parse")]
        assert 1 == sum("--git-common-dir" in command for command in rev_parses), args
        assert 1 == len(rev_parses), (args, rev_parses)  # nothing else: no HEAD, no toplevel
        assert 1 == _tag_listings(commands), args
        assert 1 == sum("%(upstream:remotename)" in command for command in commands), args
        assert 0 == _count(commands, "git symbolic-ref"), args


def _git_says(repo: Repo) -> bool:
    return bool(repo.git("for-each-ref", "--count=1", "--format=x", "refs/tags"))


@pytest.mark.parametrize("how", ["none", "loose", "nested", "packed", "lightweight"])
def test_whether_there_is_a_tag_is_read_from_the_files_as_git_says(
    make_repo: RepoBuilder, how: str
) -> None:
    """Loose tags, tags in folders and packed tags are found on disk, from any subfolder."""
    repo = _history(make_repo, tagged=False)
    if how in ("loose", "packed"):
        repo.git("tag", "-a", "v1.0.0", "-m", "v1.0.0")
    elif how == "nested":
        repo.git("tag", "release/v1.0.0")
    elif how == "lightweight":
        repo.git("tag", "v1.0.0")
    if how == "packed":
        repo.git("pack-refs", "--all")
        assert not any((repo.path / ".git" / "refs" / "tags").iterdir())
    (repo.path / "src" / "deep").mkdir(parents=True)
    for folder in (repo.path, repo.path / "src" / "deep"):
        assert _tags_on_disk(folder) is _git_says(repo)


def test_a_packed_tag_deleted_is_no_tag(make_repo: RepoBuilder) -> None:
    repo = _history(make_repo, tagged=True)
    repo.git("pack-refs", "--all")
    repo.git("tag", "-d", "v1.2.3")
    assert _tags_on_disk(repo.path) is False is _git_says(repo)


def test_where_the_files_cannot_say_git_is_asked(
    make_repo: RepoBuilder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A linked worktree (.git is a file), a git folder set by the environment, no repository."""
    repo = _history(make_repo, tagged=True)
    linked = tmp_path / "linked"
    repo.git("worktree", "add", "-q", str(linked))
    assert _tags_on_disk(linked) is None
    outside = tmp_path / "outside"
    outside.mkdir()
    assert _tags_on_disk(outside) is None
    monkeypatch.setenv("GIT_DIR", str(repo.path / ".git"))
    assert _tags_on_disk(repo.path) is None


def test_prepare_auto_without_tags_starts_no_git_to_ask_for_them(make_repo: RepoBuilder) -> None:
    """The head start reads that there is no tag from the files: no ``for-each-ref --count``."""
    repo = _history(make_repo, tagged=False)
    _, commands = _traced(repo, "prepare", "auto", "--dry-run")
    assert 0 == sum("--count=1" in command for command in commands)
    assert 1 == _count(commands, "git log -z")
    # The projects in the tree, started with the walk, are listed once.
    assert 1 == sum(
        command.startswith("git ls-files") and "--others" in command for command in commands
    )
