"""The git runner's background commands: started early, taken over, always reaped."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from releasekit.errors import GitError
from releasekit.git import (
    FETCH,
    MERGED_TAGS,
    Git,
    _batches,
    end_early,
    prefetch,
    start_early,
    valid_tag_name,
)
from releasekit.interrupts import Interrupted, signals_as_interrupts
from tests.support import Counter, RepoBuilder, git


def test_a_started_command_is_collected_later(make_repo: RepoBuilder) -> None:
    """The result is the command's; a failure names the command, not the -c settings."""
    repo = make_repo({"README.md": "x\n"}, tags=("v1.0.0",))
    git = Git(repo.path)
    with git.start(*MERGED_TAGS) as merged:
        assert ["v1.0.0"] == merged.result().stdout.split()
    failing = git.start("-c", "log.follow=false", "log", "no-such-revision")
    with failing, pytest.raises(GitError, match=r"^git log failed: "):
        failing.result()


def test_a_command_started_ahead_is_taken_over(make_repo: RepoBuilder) -> None:
    """``ahead`` then ``start`` of the same command in the same folder: one git child."""
    repo = make_repo({"README.md": "x\n"}, tags=("v1.0.0",))
    counter = Counter()
    git = Git(repo.path, watch=counter)
    with git.ahead(*MERGED_TAGS):
        assert 1 == counter.started_count
        with Git(repo.path / ".", watch=counter).start(*MERGED_TAGS) as merged:
            assert ["v1.0.0"] == merged.result().stdout.split()
    assert (1, 1) == (counter.started_count, counter.ended_count)
    # Taken over once: a second start runs the command again.
    with git.start(*MERGED_TAGS) as again:
        again.result()
    assert 2 == counter.started_count


def test_a_command_started_ahead_and_never_asked_for_is_reaped(make_repo: RepoBuilder) -> None:
    """Leaving the block ends the child nobody took (an error, another package): none left."""
    repo = make_repo({"README.md": "x\n"})
    counter = Counter()
    git = Git(repo.path, watch=counter)
    with pytest.raises(RuntimeError), git.ahead(*MERGED_TAGS):
        raise RuntimeError("the command failed before it read the tags")
    assert (1, 1) == (counter.started_count, counter.ended_count)
    with git.start(*MERGED_TAGS) as fresh:  # not the old one
        fresh.result()
    assert 2 == counter.started_count


def test_the_top_of_the_tree_is_asked_once_per_folder(make_repo: RepoBuilder) -> None:
    """Several steps of one command ask for the same top; git is asked the first time."""
    repo = make_repo({"README.md": "x\n", "pkg/a.txt": "a\n"})
    counter = Counter()
    for _ in range(3):
        assert repo.path.resolve() == Git(repo.path / "pkg", watch=counter).toplevel()
    assert 1 == counter.started_count


def test_outside_a_repository_the_top_is_asked_every_time(tmp_path: Path) -> None:
    """Only a folder found inside a tree is remembered: a later git init is seen."""
    counter = Counter()
    assert Git(tmp_path, watch=counter).toplevel() is None
    Git(tmp_path).run("init", "-q")
    assert tmp_path.resolve() == Git(tmp_path, watch=counter).toplevel()
    assert 2 == counter.started_count


def test_one_rev_parse_tells_the_top_the_git_folders_and_the_shallow_file(
    make_repo: RepoBuilder,
) -> None:
    """A linked worktree's own git folder and the common one; a bare repository has no top.

    The answers are remembered per folder: one git command for all of them.
    """
    repo = make_repo({"README.md": "x\n"})
    linked = repo.path.parent / "linked"
    git(repo.path, "worktree", "add", "-q", str(linked))
    counter = Counter()
    runner = Git(linked, watch=counter)
    own, common = runner.git_dirs()
    assert (repo.path / ".git" / "worktrees" / "linked").resolve() == own.resolve()
    assert (repo.path / ".git").resolve() == common.resolve()
    layout = runner.layout()
    assert layout is not None
    assert (linked.resolve(), False) == (runner.toplevel(), layout.shallow.exists())
    assert 1 == counter.started_count
    bare = Git(Path(repo.remote))
    assert bare.toplevel() is None
    assert Path(repo.remote).resolve() == bare.git_dirs()[1].resolve()


def test_outside_a_repository_there_are_no_git_folders(tmp_path: Path) -> None:
    """Asking for the lock's folder outside a repository is an error that says so."""
    with pytest.raises(GitError, match="not inside a git repository"):
        Git(tmp_path).git_dirs()


def test_the_check_fetch_leaves_housekeeping_alone(
    make_repo: RepoBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """prepare's fetch starts no ``git maintenance run --auto`` (a plain fetch does)."""
    repo = make_repo({"README.md": "x\n"})
    git = Git(repo.path)
    for name, args in [("plain", ("fetch", "--quiet")), ("check", FETCH)]:
        trace = repo.path.parent / f"{name}.trace"
        monkeypatch.setenv("GIT_TRACE", str(trace))
        git.run(*args, "origin")
        assert " fetch " in trace.read_text()
        assert ("maintenance run" in trace.read_text()) == (name == "plain")


class _InterruptWhenNamed(Counter):
    """A journal stand-in that is interrupted the moment it names a child, like a Ctrl-C could be."""

    def started(self, pid: int) -> None:
        super().started(pid)
        os.kill(os.getpid(), signal.SIGINT)


def _reaped(pid: int) -> bool:
    """Whether this process's child ``pid`` has ended and been waited for."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_an_interrupt_as_a_child_starts_stops_and_reaps_it(make_repo: RepoBuilder) -> None:
    """Between starting git and naming it lies a moment; a signal there leaves no git behind.

    The commit (its own process group, out of the terminal's reach) used to run on after the
    interrupt had propagated and finish behind the rollback, moving the branch it had put back.
    """
    assert threading.current_thread() is threading.main_thread()
    repo = make_repo({"README.md": "x\n"})
    hook = repo.path / ".git/hooks/pre-commit"
    hook.write_text("#!/bin/sh\nsleep 0.5\n")
    hook.chmod(0o755)
    (repo.path / "README.md").write_text("y\n")
    head = git(repo.path, "rev-parse", "HEAD")
    watch = _InterruptWhenNamed()
    runner = Git(repo.path, watch=watch)
    with pytest.raises(Interrupted), signals_as_interrupts():
        runner.run("commit", "--quiet", "-m", "m", "--", "README.md", isolated=True)
    assert _reaped(watch.pids[-1])
    assert (1, 1) == (watch.started_count, watch.ended_count)
    time.sleep(1)  # what a commit left running would finish in
    assert head == git(repo.path, "rev-parse", "HEAD")
    assert not (repo.path / ".git/index.lock").exists()

    with pytest.raises(Interrupted), signals_as_interrupts():
        list(runner.stream("log", "-z", "--format=%s"))
    assert _reaped(watch.pids[-1])
    with pytest.raises(Interrupted), signals_as_interrupts(), runner.start("log", "--format=%s"):
        pass
    assert _reaped(watch.pids[-1])
    assert (3, 3) == (watch.started_count, watch.ended_count)


def test_the_upstream_is_the_checked_out_branch_s_own(make_repo: RepoBuilder) -> None:
    """One listing of the branches: the checked-out one, its upstream, none for a local one."""
    repo = make_repo({"README.md": "x\n"})
    counter = Counter()
    runner = Git(repo.path, watch=counter)
    git(repo.path, "branch", "--set-upstream-to=origin/main")
    assert ("main", ("origin", "main")) == runner.checkout()
    assert 1 == counter.started_count  # the branch and its upstream in one git command
    git(repo.path, "switch", "-q", "-c", "topic")  # no upstream, while main keeps its own
    assert ("topic", None) == runner.checkout()
    git(repo.path, "branch", "--set-upstream-to=main")  # a local upstream: nothing to push to
    assert ("topic", None) == runner.checkout()
    git(repo.path, "tag", "topic")  # a tag of the same name: git's short name says heads/
    assert (runner.current_branch(), None) == runner.checkout()
    git(repo.path, "switch", "-q", "--detach", "main")
    assert (None, None) == runner.checkout()


def test_a_branch_without_commits_is_named_too(tmp_path: Path) -> None:
    """No ref lists a branch before its first commit: it is asked for by name."""
    git(tmp_path, "init", "-q", "-b", "trunk")
    assert ("trunk", None) == Git(tmp_path).checkout()


def test_tags_and_head_come_from_one_listing(make_repo: RepoBuilder) -> None:
    """Tags peeled to their commits, HEAD's commit from its branch's line; detached: asked."""
    repo = make_repo({"README.md": "x\n"})
    git(repo.path, "tag", "v1.0.0")
    git(repo.path, "tag", "-a", "-m", "annotated", "v1.1.0")
    git(repo.path, "branch", "other")
    git(repo.path, "commit", "-q", "--allow-empty", "-m", "second")
    head = git(repo.path, "rev-parse", "HEAD").strip()
    first = git(repo.path, "rev-parse", "HEAD~1").strip()
    counter = Counter()
    runner = Git(repo.path, watch=counter)
    refs = runner.refs()
    assert ({"v1.0.0": first, "v1.1.0": first}, head) == (refs.tags, refs.head)
    assert 1 == counter.started_count
    git(repo.path, "switch", "-q", "--detach", "HEAD~1")
    assert (None, first) == (runner.refs().head, runner.head())


def test_a_repository_without_commits_has_no_head_in_the_listing(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "trunk")
    refs = Git(tmp_path).refs()
    assert ({}, None, None) == (refs.tags, refs.head, Git(tmp_path).head())


# Characters git's rules name, with ordinary ones, for tag names of every shape.
_REF_CHARACTERS = st.sampled_from([*list("av1.-/@{}~^:?*[]\\ \t\x7fé_"), ".lock", "..", "//"])


def _git_accepts(tag: str) -> bool:
    checked = subprocess.run(
        ["git", "check-ref-format", f"refs/tags/{tag}"], capture_output=True, check=False
    )
    return checked.returncode == 0 and not tag.startswith("-")


@settings(max_examples=300, deadline=None)
@given(st.lists(_REF_CHARACTERS, max_size=8).map("".join))
def test_tag_names_are_judged_as_git_check_ref_format_judges_them(tag: str) -> None:
    """The rules in Python give git's own answer (a name starting with "-" is refused too)."""
    assert _git_accepts(tag) == valid_tag_name(tag)


@pytest.mark.parametrize(
    "tag",
    ["v1.0.0", "pkg-v1.2.0rc1", "a/b", "@", "ü", "v1.0.0.lock", "a/.b", "a..b", "a@{b", "x.", "/a"],
)
def test_tag_names_git_accepts_and_refuses(tag: str) -> None:
    assert _git_accepts(tag) == valid_tag_name(tag)


def test_untracked_and_behind_are_asked_in_one_call_each(make_repo: RepoBuilder) -> None:
    """The paths git does not track, as given; how far behind a ref is, or None without it."""
    repo = make_repo({"README.md": "x\n", "docs/a b.txt": "y\n"})
    (repo.path / "new.txt").write_text("z\n")
    counter = Counter()
    runner = Git(repo.path, watch=counter)
    assert ["new.txt", "gone/x"] == runner.untracked(
        ["README.md", "new.txt", "docs/a b.txt", "gone/x"]
    )
    assert 1 == counter.started_count
    assert 0 == runner.commits_behind("refs/remotes/origin/main")
    assert runner.commits_behind("refs/remotes/origin/no-such-branch") is None


def _records(batches: Iterable[list[str]]) -> list[str]:
    return [record for batch in batches for record in batch]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 64])
def test_records_are_the_same_whatever_the_chunks_git_writes(size: int) -> None:
    """Decoded once per batch: the records of any cut into chunks, each decoded on its own.

    The cuts fall inside records, inside UTF-8 characters and between invalid bytes.
    """
    output = "feat: é\x1fa\0\0fix: 🚀 x\0".encode() + b"bad \xe2\x82\0\xff\xfe tail"
    chunks = [output[start : start + size] for start in range(0, len(output), size)]
    expected = [piece.decode("utf-8", errors="replace") for piece in output.split(b"\0")]
    assert expected == _records(_batches(iter(chunks)))
    assert ["a", "", "b"] == _records(_batches(iter([b"a\0\0b\0"])))  # no empty last one


def test_a_prefetched_walk_is_taken_over_by_the_same_stream(make_repo: RepoBuilder) -> None:
    """Started before anyone asks, read as git writes it: the same records as a fresh stream."""
    repo = make_repo({"README.md": "x\n"}, tags=("v1.0.0",))
    for number in range(3):
        repo.write({"README.md": f"{number}\n"})
        git(repo.path, "commit", "-qam", f"fix: change {number}")
    args = ("log", "-z", "--format=%H %s")
    fresh = _records(Git(repo.path).stream(*args))
    prefetch(repo.path, *args)
    counter = Counter()
    assert fresh == _records(Git(repo.path / ".", watch=counter).stream(*args))
    assert 0 == counter.started_count  # taken over: no second git
    assert 4 == len(fresh)
    # Taken once: the next stream runs git again.
    assert fresh == _records(Git(repo.path, watch=counter).stream(*args))
    assert 1 == counter.started_count


def test_a_prefetched_failure_names_the_command_and_leftovers_are_stopped(
    make_repo: RepoBuilder,
) -> None:
    """A prefetched walk that fails fails where it is read; one nobody reads ends at exit."""
    repo = make_repo({"README.md": "x\n"})
    prefetch(repo.path, "-c", "log.follow=false", "log", "no-such-revision")
    with pytest.raises(GitError, match=r"^git log failed: "):
        list(Git(repo.path).stream("-c", "log.follow=false", "log", "no-such-revision"))
    prefetch(repo.path, "log", "--format=%H", stdin="")
    start_early(Git(repo.path), *MERGED_TAGS)
    end_early()
    counter = Counter()
    with Git(repo.path, watch=counter).start(*MERGED_TAGS) as merged:  # not the stopped one
        merged.result()
    assert 1 == counter.started_count
    # Nor the stopped walk: a taken-over one starts no git of its own, so none would be counted.
    assert 1 == len(_records(Git(repo.path, watch=counter).stream("log", "--format=%H")))
    assert 2 == counter.started_count
