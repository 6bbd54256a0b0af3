"""prepare as a real transaction: locks, compare-and-swap, links, signals, pushes, dead processes.

Each test reproduces a way the promise "fully released, or exactly as before, and said which" was
broken: real git, real hooks that sleep, real signals to the process group and to the pid alone,
a git daemon on 127.0.0.1 for a remote a Ctrl-C cannot reach. The whole state is compared.
"""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import (
    RELEASE_DATE,
    Repo,
    git,
    install_hook,
    run_releasekit,
    snapshot,
    spawn_releasekit,
)

RELEASE = "1.3.0"
TAG = "v1.3.0"


def start(repo: Repo, *args: str, stdin: int = subprocess.DEVNULL) -> subprocess.Popen[str]:
    """Start ``releasekit ARGS`` in its own session, as a terminal would start a job."""
    return spawn_releasekit(repo.path, *args, stdin=stdin, session=True)


def start_prepare(repo: Repo, *args: str) -> subprocess.Popen[str]:
    """``prepare minor --yes`` with the fixed date, plus ``args``."""
    return start(repo, "prepare", "minor", "--yes", "--date", RELEASE_DATE, *args)


def wait_for(path: Path, process: subprocess.Popen[str], seconds: float = 60) -> None:
    """Wait until ``path`` exists (a hook touched it), failing if the process ends first."""
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.02)


def released(repo: Repo) -> bool:
    """Whether the release is whole: commit and tag locally, on the remote, clean tree."""
    head = repo.git("rev-parse", "HEAD")
    tagged = subprocess.run(
        ["git", "rev-parse", "-q", "--verify", f"refs/tags/{TAG}^{{commit}}"],
        cwd=repo.path,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if tagged != head:
        return False
    remote = git(repo.remote, "for-each-ref", "--format=%(refname) %(*objectname)%(objectname)")
    return (
        repo.git("log", "-1", "--format=%s") == f"Release {RELEASE}"
        and f'version = "{RELEASE}"' in repo.git("show", f"{TAG}:pyproject.toml")
        and repo.git("status", "--porcelain") == ""
        and f"refs/heads/main {head}" in remote
        and f"refs/tags/{TAG} {head}" in remote
    )


def test_edit_saved_while_the_prompt_is_open_is_kept(demo_repo: Repo) -> None:
    """A file edited while the prompt waits stops the release before any write; the edit stays."""
    main, secondary = pty.openpty()
    process = start(demo_repo, "prepare", "minor", "--date", RELEASE_DATE, stdin=secondary)
    os.close(secondary)
    seen = ""
    deadline = time.monotonic() + 60
    while "Apply this plan?" not in seen:
        assert time.monotonic() < deadline, seen
        assert process.stderr is not None
        ready, _, _ = select.select([process.stderr.fileno()], [], [], 1)
        if ready:
            seen += os.read(process.stderr.fileno(), 65536).decode()
    edited = demo_repo.read("pyproject.toml") + "# my edit\n"
    (demo_repo.path / "pyproject.toml").write_text(edited)
    before = snapshot(demo_repo)
    os.write(main, b"y\n")
    _, stderr = process.communicate(timeout=60)
    os.close(main)
    assert 1 == process.returncode, stderr
    assert (
        "error: pyproject.toml: file changed after the plan was made; it was left as it is; "
        "nothing was changed; run again to see the new plan"
    ) == stderr.splitlines()[-1]
    assert edited == demo_repo.read("pyproject.toml")
    assert before == snapshot(demo_repo)


def test_a_second_prepare_names_the_running_one(demo_repo: Repo, tmp_path: Path) -> None:
    """Two prepares at once: the second stops at once naming the first, which releases whole."""
    marker = tmp_path / "committing"
    install_hook(demo_repo, "pre-commit", f'touch "{marker}"\nsleep 2\n')
    first = start_prepare(demo_repo, "--push")
    wait_for(marker, first)
    second = run_releasekit(demo_repo.path, "prepare", "minor", "--yes", "--push")
    assert 1 == second.returncode
    assert (
        f"another releasekit prepare is running in this repository (pid {first.pid} since"
        in second.stderr
    )
    _, stderr = first.communicate(timeout=60)
    assert 0 == first.returncode, stderr
    assert released(demo_repo)


def test_a_stale_lock_is_removed_and_said(demo_repo: Repo) -> None:
    """A lock whose process is gone does not block; the user is told it was removed."""
    gone = subprocess.Popen(["true"])
    gone.wait()
    folder = demo_repo.path / ".git/releasekit"
    folder.mkdir()
    owner = {
        "pid": gone.pid,
        "start": "1",
        "host": socket.gethostname(),
        "command": "releasekit prepare patch",
        "since": "2026-01-01T00:00:00+00:00",
    }
    (folder / "lock").write_text(json.dumps(owner))
    result = run_releasekit(demo_repo.path, "prepare", "minor", "--yes", "--push")
    assert 0 == result.returncode, result.stderr
    assert f"removed a stale lock (pid {gone.pid} since 2026-01-01" in result.stderr
    assert not (folder / "lock").exists()
    assert released(demo_repo)


def test_a_linked_version_file_is_written_and_committed_for_real(demo_repo: Repo) -> None:
    """pyproject.toml as a link: the real file carries the bump into the release commit."""
    (demo_repo.path / "pyproject.toml").rename(demo_repo.path / "real-pyproject.toml")
    (demo_repo.path / "pyproject.toml").symlink_to("real-pyproject.toml")
    demo_repo.commit("pyproject.toml becomes a link")
    demo_repo.git("push", "-q")
    result = run_releasekit(demo_repo.path, "prepare", "minor", "--yes", "--push")
    assert 0 == result.returncode, result.stderr
    assert f'version = "{RELEASE}"' in demo_repo.git("show", f"{TAG}:real-pyproject.toml")
    assert (demo_repo.path / "pyproject.toml").is_symlink()
    assert "" == demo_repo.git("status", "--porcelain")


def test_a_link_out_of_the_repository_is_refused_before_any_write(
    demo_repo: Repo, tmp_path: Path
) -> None:
    """A version file linked outside the repository: exit 2, and the outside file is untouched."""
    outside = tmp_path / "outside.py"
    outside.write_text('__version__ = "1.2.3"\n')
    target = demo_repo.path / "src/demo/__init__.py"
    target.unlink()
    target.symlink_to(outside)
    demo_repo.commit("link out")
    demo_repo.git("push", "-q")
    before = snapshot(demo_repo)
    result = run_releasekit(demo_repo.path, "prepare", "minor", "--yes")
    assert 2 == result.returncode
    assert (
        f"src/demo/__init__.py: is a link to {outside}, outside the repository; releasekit "
        "writes only inside the repository: replace the link with the file it points to"
    ) in result.stderr
    assert '__version__ = "1.2.3"\n' == outside.read_text()
    assert before == snapshot(demo_repo)


@pytest.mark.parametrize(
    ("number", "to_group"),
    [
        (signal.SIGINT, True),
        (signal.SIGINT, False),
        (signal.SIGTERM, False),
        (signal.SIGHUP, True),
    ],
    ids=["sigint-group", "sigint-pid", "sigterm-pid", "sighup-group"],
)
def test_a_signal_after_the_commit_landed_undoes_it(
    demo_repo: Repo, tmp_path: Path, number: int, to_group: bool
) -> None:
    """The commit is made and its post-commit hook is slow: any signal undoes it, by looking."""
    marker = tmp_path / "committed"
    install_hook(demo_repo, "post-commit", f'touch "{marker}"\nsleep 30\n')
    before = snapshot(demo_repo)
    process = start_prepare(demo_repo)
    wait_for(marker, process)
    if to_group:
        os.killpg(process.pid, number)
    else:
        os.kill(process.pid, number)
    _, stderr = process.communicate(timeout=60)
    assert 128 + number == process.returncode, stderr
    assert stderr.splitlines()[-1].startswith("error: interrupted during commit ")
    assert stderr.splitlines()[-1].endswith("; every change was rolled back")
    assert before == snapshot(demo_repo)
    assert not list((demo_repo.path / ".git").glob("*.lock"))
    assert not (demo_repo.path / ".git/releasekit/journal").exists()


def test_a_tag_created_by_a_hook_on_the_release_commit_is_removed(demo_repo: Repo) -> None:
    """A post-commit hook tags the release commit, so tagging fails: that tag goes too."""
    install_hook(demo_repo, "post-commit", f"git tag -a {TAG} -m hook\n")
    before = snapshot(demo_repo)
    result = run_releasekit(demo_repo.path, "prepare", "minor", "--yes")
    assert 1 == result.returncode
    assert "every change was rolled back" in result.stderr.splitlines()[-1]
    assert before == snapshot(demo_repo)


def test_an_edit_made_during_the_release_is_kept_and_reported(demo_repo: Repo) -> None:
    """Undo writes only over its own bytes: a hook's edit to a release file survives."""
    install_hook(demo_repo, "pre-commit", "printf '# theirs\\n' >> CHANGELOG.md\nexit 1\n")
    head = demo_repo.git("rev-parse", "HEAD")
    original = demo_repo.read("pyproject.toml")
    result = run_releasekit(demo_repo.path, "prepare", "minor", "--yes")
    assert 1 == result.returncode
    last = result.stderr.splitlines()[-1]
    assert "the rollback is incomplete: CHANGELOG.md was changed by someone else meanwhile" in last
    assert demo_repo.read("CHANGELOG.md").endswith("# theirs\n")
    assert original == demo_repo.read("pyproject.toml")
    assert head == demo_repo.git("rev-parse", "HEAD")


def test_a_refused_commit_restores_timestamps(demo_repo: Repo) -> None:
    """Rolled-back files keep their bytes and their modification times."""
    install_hook(demo_repo, "pre-commit", "exit 1\n")
    names = ("pyproject.toml", "src/demo/__init__.py", "CHANGELOG.md")
    for number, name in enumerate(names):
        os.utime(demo_repo.path / name, ns=(10**18 + number, 10**18 + number))
    times = {name: (demo_repo.path / name).stat().st_mtime_ns for name in names}
    assert 1 == run_releasekit(demo_repo.path, "prepare", "minor", "--yes").returncode
    assert times == {name: (demo_repo.path / name).stat().st_mtime_ns for name in names}


def test_the_push_is_atomic(demo_repo: Repo) -> None:
    """A remote that refuses only the tag gets neither the tag nor the branch."""
    install_hook(
        demo_repo,
        "update",
        'case "$1" in refs/tags/*) echo "no tags here" >&2; exit 1;; esac\nexit 0\n',
        bare=True,
    )
    before = snapshot(demo_repo)
    result = run_releasekit(demo_repo.path, "prepare", "minor", "--yes", "--push")
    assert 1 == result.returncode
    assert "origin has none of it (asked with git ls-remote)" in result.stderr
    assert before == snapshot(demo_repo)


@pytest.mark.parametrize("form", ["v {version}", "v..{version}", "{version}.lock", "-{version}"])
def test_a_tag_name_git_refuses_is_found_before_any_write(demo_repo: Repo, form: str) -> None:
    """tag-format that makes an invalid tag name: exit 2 in preflight, nothing written."""
    text = demo_repo.read("pyproject.toml") + f'\n[tool.releasekit]\ntag-format = "{form}"\n'
    demo_repo.write({"pyproject.toml": text})
    demo_repo.commit("tag format")
    before = snapshot(demo_repo)
    result = run_releasekit(demo_repo.path, "prepare", "minor", "--yes")
    assert 2 == result.returncode, result.stderr
    name = form.replace("{version}", RELEASE)
    assert f"tag-format: the tag name {name!r} is not one git accepts" in result.stderr
    assert before == snapshot(demo_repo)


def test_sign_refuses_a_tag_git_left_unsigned(demo_repo: Repo) -> None:
    """git 2.39 exits 0 with a missing SSH key and writes no signature: the release is undone."""
    demo_repo.git("config", "gpg.format", "ssh")
    demo_repo.git("config", "user.signingkey", "/nonexistent/key.pub")
    before = snapshot(demo_repo)
    result = run_releasekit(demo_repo.path, "prepare", "minor", "--yes", "--sign")
    assert 1 == result.returncode
    last = result.stderr.splitlines()[-1]
    assert f"{TAG}: git created the tag without a signature; every change was rolled back" in last
    assert before == snapshot(demo_repo)


@pytest.fixture
def daemon_remote(demo_repo: Repo) -> Iterator[Repo]:
    """Serve the bare remote with ``git daemon`` on 127.0.0.1: a server no signal reaches."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = demo_repo.remote.parent
    server = subprocess.Popen(
        [
            "git",
            "daemon",
            f"--base-path={base}",
            "--export-all",
            "--enable=receive-pack",
            "--listen=127.0.0.1",
            f"--port={port}",
            "--reuseaddr",
            str(base),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        url = f"git://127.0.0.1:{port}/{demo_repo.remote.name}"
        deadline = time.monotonic() + 30
        while subprocess.run(
            ["git", "ls-remote", url], capture_output=True, check=False
        ).returncode:
            assert time.monotonic() < deadline, "git daemon did not start"
            time.sleep(0.1)
        demo_repo.git("remote", "set-url", "origin", url)
        yield demo_repo
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def test_ctrl_c_during_a_push_the_remote_accepts_keeps_the_published_release(
    daemon_remote: Repo, tmp_path: Path
) -> None:
    """The server's slow hook finishes after Ctrl-C: the remote has it, so the release stands."""
    marker = tmp_path / "receiving"
    install_hook(daemon_remote, "pre-receive", f'touch "{marker}"\nsleep 2\n', bare=True)
    process = start_prepare(daemon_remote, "--push")
    wait_for(marker, process)
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=90)
    assert 0 == process.returncode, stderr
    assert f"origin already has the release (asked with git ls-remote): {RELEASE} is published" in (
        stderr
    )
    assert released(daemon_remote)


def test_ctrl_c_during_a_push_the_remote_refuses_rolls_back(
    daemon_remote: Repo, tmp_path: Path
) -> None:
    """The server refuses after Ctrl-C: the remote has nothing, so everything is undone."""
    marker = tmp_path / "receiving"
    install_hook(daemon_remote, "pre-receive", f'touch "{marker}"\nsleep 2\nexit 1\n', bare=True)
    before = snapshot(daemon_remote)
    process = start_prepare(daemon_remote, "--push")
    wait_for(marker, process)
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=90)
    assert 130 == process.returncode, stderr
    assert stderr.splitlines()[-1].startswith("error: interrupted during push atomically")
    assert stderr.splitlines()[-1].endswith(
        "origin has none of it (asked with git ls-remote); every change was rolled back"
    )
    assert before == snapshot(daemon_remote)


def _named_child(repo: Repo, process: subprocess.Popen[str]) -> None:
    """Wait until the journal names the running git child.

    The hook that signals "git is running" may run before releasekit, descheduled on a busy
    machine right after starting git, has written the child's name.
    """
    path = repo.path / ".git/releasekit/journal"
    deadline = time.monotonic() + 30
    while json.loads(path.read_text())["child"] is None:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the journal never named the git child"
        time.sleep(0.02)


def _kill_all(process: subprocess.Popen[str], repo: Repo) -> None:
    """SIGKILL releasekit and then the git child it named in its journal (a power cut)."""
    _named_child(repo, process)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)
    journal = json.loads((repo.path / ".git/releasekit/journal").read_text())
    assert journal["child"] is not None
    os.killpg(journal["child"]["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 30
    while Path(f"/proc/{journal['child']['pid']}").exists():
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_a_killed_prepare_is_explained_and_recovered(demo_repo: Repo, tmp_path: Path) -> None:
    """SIGKILL mid-commit: the next prepare explains it; --recover undoes it to the byte."""
    marker = tmp_path / "committing"
    install_hook(demo_repo, "pre-commit", f'touch "{marker}"\nsleep 30\n')
    before = snapshot(demo_repo)
    process = start_prepare(demo_repo)
    wait_for(marker, process)
    _kill_all(process, demo_repo)
    (demo_repo.path / ".git/hooks/pre-commit").unlink()
    again = run_releasekit(demo_repo.path, "prepare", "minor", "--yes")
    assert 1 == again.returncode
    assert f"a previous releasekit prepare (pid {process.pid} since" in again.stderr
    assert (
        f"did not finish release {RELEASE}: 3 of 3 file(s) hold the release, release commit "
        f"not on the branch, tag {TAG} absent; run releasekit prepare --recover"
    ) in again.stderr
    recovered = run_releasekit(demo_repo.path, "prepare", "--recover")
    assert 0 == recovered.returncode, recovered.stderr
    assert (
        f"release {RELEASE} was undone: files, index, branch and tag are as before it\n"
        == recovered.stdout
    )
    assert before == snapshot(demo_repo)
    assert not list((demo_repo.path / ".git").glob("*.lock"))
    assert 0 == run_releasekit(demo_repo.path, "prepare", "minor", "--yes").returncode


def test_a_prepare_killed_after_tagging_is_kept_on_recovery(
    demo_repo: Repo, tmp_path: Path
) -> None:
    """SIGKILL once the tag exists: the release is whole locally, so --recover keeps it."""
    marker = tmp_path / "tagged"
    install_hook(
        demo_repo,
        "reference-transaction",
        f'[ "$1" = committed ] || exit 0\ngrep -q "refs/tags/{TAG}" || exit 0\n'
        f'touch "{marker}"\nsleep 30\n',
    )
    process = start_prepare(demo_repo, "--push")
    wait_for(marker, process)
    _kill_all(process, demo_repo)
    (demo_repo.path / ".git/hooks/reference-transaction").unlink()
    recovered = run_releasekit(demo_repo.path, "prepare", "--recover")
    assert 0 == recovered.returncode, recovered.stderr
    assert (
        f"release {RELEASE} was complete locally and is kept; push it: "
        f"git push --atomic origin refs/heads/main refs/tags/{TAG}\n"
    ) == recovered.stdout
    demo_repo.git("push", "-q", "--atomic", "origin", "refs/heads/main", f"refs/tags/{TAG}")
    assert released(demo_repo)


def test_an_unreadable_journal_is_one_line(demo_repo: Repo) -> None:
    """A damaged journal stops prepare with one line naming it, and changes nothing."""
    folder = demo_repo.path / ".git/releasekit"
    folder.mkdir()
    (folder / "journal").write_text("{not json")
    before = snapshot(demo_repo)
    result = run_releasekit(demo_repo.path, "prepare", "minor", "--yes")
    assert 1 == result.returncode
    assert result.stderr.startswith(
        "error: .git/releasekit/journal: the journal of an interrupted release cannot be read"
    )
    assert 1 == len(result.stderr.splitlines())
    assert before == snapshot(demo_repo)


def test_recover_with_nothing_to_recover(demo_repo: Repo) -> None:
    """--recover in a repository with no unfinished release says so, and --recover takes no bump."""
    result = run_releasekit(demo_repo.path, "prepare", "--recover")
    assert (0, "nothing to recover: no unfinished release in this repository\n") == (
        result.returncode,
        result.stdout,
    )
    refused = run_releasekit(demo_repo.path, "prepare", "minor", "--recover")
    assert 2 == refused.returncode
    assert "--recover takes no BUMP or VERSION" in refused.stderr


def test_a_git_directory_that_cannot_hold_the_lock_is_one_line(demo_repo: Repo) -> None:
    """No place for the lock (a file where its folder goes): one line, exit 1, nothing changed."""
    (demo_repo.path / ".git/releasekit").write_text("not a folder")
    before = snapshot(demo_repo)
    result = run_releasekit(demo_repo.path, "prepare", "minor", "--yes")
    assert 1 == result.returncode
    assert result.stderr.startswith(
        "error: .git/releasekit/lock: cannot create the release lock: File exists"
    ), result.stderr
    assert 1 == len(result.stderr.splitlines())
    assert before == snapshot(demo_repo)
