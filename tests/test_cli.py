"""The command line itself: version, help, usage errors, colour, the prompt, signed tags."""

from __future__ import annotations

import ast
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from releasekit import __version__
from releasekit.cli import _KEPT, COMMANDS, _interrupted, main
from releasekit.cli.lazy import LazyCommand, LazyGroup
from tests.distfactory import wheel
from tests.support import RELEASE_DATE, Repo, releasekit_command, run_releasekit, snapshot


def test_version(tmp_path: Path) -> None:
    """--version prints the package version, from any folder."""
    result = run_releasekit(tmp_path, "--version")
    assert (0, f"releasekit {__version__}\n") == (result.returncode, result.stdout)


def test_help_lists_commands(tmp_path: Path) -> None:
    """--help lists the commands that exist."""
    result = run_releasekit(tmp_path, "--help")
    assert 0 == result.returncode
    assert "prepare" in result.stdout
    assert "notes" in result.stdout


def test_unknown_command_is_one_line(tmp_path: Path) -> None:
    """An unknown command is a usage error: one line, exit 2."""
    result = run_releasekit(tmp_path, "frobnicate")
    assert 2 == result.returncode
    assert "error: No such command 'frobnicate'; see 'releasekit --help'\n" == result.stderr


def test_no_command_shows_help_and_exits_2(tmp_path: Path) -> None:
    """Running releasekit without a command shows the help and exits 2."""
    result = run_releasekit(tmp_path)
    assert 2 == result.returncode
    assert "Commands:" in result.stderr


def test_missing_directory(tmp_path: Path) -> None:
    """-C with a folder that does not exist is a usage error."""
    result = run_releasekit(tmp_path, "-C", "nowhere", "notes")
    assert 2 == result.returncode
    assert result.stderr.startswith("error: ")
    assert "nowhere" in result.stderr


def test_notes_errors(demo_repo: Repo) -> None:
    """notes for a version without a section, or an invalid version, is one line, exit 2."""
    missing = run_releasekit(demo_repo.path, "notes", "9.9")
    assert 2 == missing.returncode
    assert (
        "error: CHANGELOG.md: has no section for 9.9; "
        "releasekit notes without a version prints the newest release\n"
    ) == missing.stderr
    invalid = run_releasekit(demo_repo.path, "notes", "x.y")
    assert 2 == invalid.returncode
    assert invalid.stderr.startswith("error: VERSION: 'x.y' is not a valid PEP 440 version")


def test_verbose_shows_traceback_on_error(demo_repo: Repo) -> None:
    """-v adds the traceback to an error; without it there is none."""
    plain = run_releasekit(demo_repo.path, "notes", "9.9")
    verbose = run_releasekit(demo_repo.path, "-v", "notes", "9.9")
    assert "Traceback" not in plain.stderr
    assert "Traceback" in verbose.stderr
    assert 2 == verbose.returncode


@pytest.mark.parametrize(
    ("env", "args", "colored"),
    [
        ({}, (), False),
        ({"FORCE_COLOR": "1"}, (), True),
        ({"FORCE_COLOR": "1", "NO_COLOR": ""}, (), False),
        ({"FORCE_COLOR": "1"}, ("--no-color",), False),
    ],
)
def test_color_follows_conventions(
    demo_repo: Repo, env: dict[str, str], args: tuple[str, ...], colored: bool
) -> None:
    """Colour is off in pipes, on with FORCE_COLOR, off with NO_COLOR or --no-color."""
    result = run_releasekit(
        demo_repo.path, *args, "prepare", "minor", "--dry-run", "--date", RELEASE_DATE, env=env
    )
    assert 0 == result.returncode
    assert colored == ("\033[" in result.stdout)


def _run_on_terminal(repo: Repo, answer: bytes) -> tuple[int, str]:
    """Run prepare with a pseudo-terminal as standard input, answer the prompt, return the result."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [releasekit_command(), "prepare", "minor", "--date", RELEASE_DATE],
        cwd=repo.path,
        stdin=follower,
        stdout=subprocess.DEVNULL,
        stderr=follower,
    )
    os.close(follower)
    seen = b""
    deadline = time.monotonic() + 60
    while b"Apply this plan?" not in seen:
        assert time.monotonic() < deadline, seen
        ready, _, _ = select.select([leader], [], [], 1)
        if ready:
            seen += os.read(leader, 4096)
    os.write(leader, answer)
    # Read until the far end is closed, not until the process is gone: its last line may
    # still sit in the terminal's buffer after it exits. Linux reports the closed end as EIO.
    while True:
        assert time.monotonic() < deadline, seen
        if not select.select([leader], [], [], 1)[0]:
            continue
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    process.wait(timeout=60)
    os.close(leader)
    return process.returncode, seen.decode(errors="replace")


def test_prompt_yes_applies(demo_repo: Repo) -> None:
    """On a terminal, answering y applies the plan."""
    code, output = _run_on_terminal(demo_repo, b"y\n")
    assert 0 == code, output
    assert "v1.3.0" == demo_repo.git("describe", "--exact-match")


def test_prompt_no_aborts(demo_repo: Repo) -> None:
    """On a terminal, answering n changes nothing and exits 1."""
    before = snapshot(demo_repo)
    code, output = _run_on_terminal(demo_repo, b"n\n")
    assert 1 == code
    assert "declined at the prompt; nothing was changed" in output
    assert before == snapshot(demo_repo)


def test_signed_tag_with_ssh_key(demo_repo: Repo, tmp_path: Path) -> None:
    """--sign creates a tag signed with the user's configured key (SSH signing here)."""
    key = tmp_path / "signing_key"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "tester", "-f", str(key)], check=True
    )
    demo_repo.git("config", "gpg.format", "ssh")
    demo_repo.git("config", "user.signingkey", str(key))
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f"tester@example.com {key.with_suffix('.pub').read_text()}")
    demo_repo.git("config", "gpg.ssh.allowedSignersFile", str(allowed))
    result = run_releasekit(
        demo_repo.path, "prepare", "minor", "--yes", "--sign", "--date", RELEASE_DATE
    )
    assert 0 == result.returncode, result.stderr
    assert "-----BEGIN SSH SIGNATURE-----" in demo_repo.git("cat-file", "-p", "v1.3.0")
    demo_repo.git("tag", "--verify", "v1.3.0")


def _modules_loaded_by(*args: str) -> list[str]:
    """The releasekit, packaging and rich modules a fresh interpreter holds after ``main(args)``."""
    code = (
        "import sys\n"
        "from releasekit.cli import main\n"
        "try:\n"
        f"    main({list(args)!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "prefixes = ('releasekit', 'packaging', 'rich')\n"
        "print(sorted(m for m in sys.modules if m.startswith(prefixes)), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    loaded: list[str] = ast.literal_eval(result.stderr.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize("option", ["--help", "--version"])
def test_help_and_version_import_no_command_modules(option: str) -> None:
    """--help and --version import no command module and no library module, so they stay fast."""
    expected = [
        "releasekit",
        "releasekit.cli",
        "releasekit.cli.lazy",
        "releasekit.console",
        "releasekit.errors",
        "releasekit.interrupts",  # SIGTERM and SIGHUP as interrupts, for every command
        "releasekit.records",  # the frozen dataclasses' decorator
        "releasekit.redaction",
    ]
    assert expected == _modules_loaded_by(option)


def test_command_help_imports_only_its_own_command_module() -> None:
    """A command's own --help imports that command's module and no other command's."""
    loaded = _modules_loaded_by("notes", "--help")
    command_modules = [
        m for m in loaded if m.startswith("releasekit.cli.") and m != "releasekit.cli.lazy"
    ]
    assert ["releasekit.cli.notes"] == command_modules


def test_help_lists_every_command_whole(tmp_path: Path) -> None:
    """--help lists every command with its whole summary: wrapped, never cut off."""
    result = run_releasekit(tmp_path, "--help")
    listed = " ".join(result.stdout.split())
    expected = [row.name for row in COMMANDS if row.exists()]
    assert expected == [
        row.name for row in COMMANDS if f" {row.name} {row.summary} " in f"{listed} "
    ]


def test_command_table_summaries_match_docstrings() -> None:
    """Each summary in the command table is the first line of that command's docstring."""
    rows = [row for row in COMMANDS if row.exists()]
    assert [(row.name, row.summary) for row in rows] == [
        (row.name, row.load().get_short_help_str(limit=1000)) for row in rows
    ]


def test_command_whose_module_does_not_exist_is_left_out() -> None:
    """A table row whose module is not written yet is not listed, not run, and breaks no help."""
    group = LazyGroup(
        name="releasekit",
        lazy_commands=[
            LazyCommand("notes", "releasekit.cli.notes", "Print notes."),
            LazyCommand("later", "releasekit.cli.not_written_yet", "Not yet."),
        ],
    )
    runner = CliRunner()
    shown = runner.invoke(group, ["--help"])
    missing = runner.invoke(group, ["later"])
    assert (0, ["notes"]) == (shown.exit_code, group.list_commands(click.Context(group)))
    assert "later" not in shown.output
    assert (2, True) == (missing.exit_code, "No such command 'later'" in missing.output)


def test_remote_credentials_never_shown(demo_repo: Repo) -> None:
    """A password in the remote URL appears in no output when fetching fails."""
    demo_repo.git("remote", "set-url", "origin", "https://releaser:s3cret-pw@127.0.0.1:9/demo.git")
    result = run_releasekit(
        demo_repo.path, "-v", "prepare", "minor", "--yes", "--date", RELEASE_DATE
    )
    assert 1 == result.returncode
    assert "cannot reach 'origin'" in result.stderr
    assert "s3cret-pw" not in result.stdout + result.stderr
    assert "releaser" not in result.stdout + result.stderr


@pytest.mark.parametrize("option", ["--version", "-V"])
def test_the_executable_answers_version_without_loading_click(option: str) -> None:
    """The console script's entry answers --version/-V itself, as click would, without click."""
    code = (
        "import sys\n"
        f"sys.argv = ['releasekit', {option!r}]\n"
        "from releasekit.entry import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as stop:\n"
        "    print(stop.code, sorted(m for m in sys.modules if m.startswith(('click', 'releasekit'))), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert f"releasekit {__version__}\n" == result.stdout
    assert "0 ['releasekit', 'releasekit.entry']" == result.stderr.strip()
    via_click = run_releasekit(Path(), "--version", "-q")  # anything more goes to the command line
    assert (0, f"releasekit {__version__}\n") == (via_click.returncode, via_click.stdout)


# Runs ``main(argv)`` with SIGTERM raised once, the moment a ZipFile being built has opened its
# file but not yet set the flag its finalizer reads: where a real signal landed in CI.
_SIGTERM_INSIDE_ZIPFILE = """
import signal, sys, zipfile
from releasekit.cli import main

def tracer(frame, event, arg):
    if frame.f_code is not zipfile.ZipFile.__init__.__code__:
        return None
    def line(frame, event, arg):
        built = vars(frame.f_locals["self"])
        if event == "line" and "fp" in built and "_writing" not in built and not raised:
            raised.append(True)
            sys.settrace(None)
            signal.raise_signal(signal.SIGTERM)
        return line
    return line

raised = []
sys.settrace(tracer)
main(sys.argv[1:])
"""


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["check", "dist/x.whl"], "interrupted; nothing was changed"),
        (["-C", "pkg", "notes", "--from-commits"], "interrupted; nothing was changed"),
        (["--no-color", "doctor", "--json"], "interrupted; nothing was changed"),
        (["config"], "interrupted; nothing was changed"),
        (["build"], "interrupted; any change already made was rolled back"),
        (["init"], "interrupted; any change already made was rolled back"),
        (["rehearse"], "interrupted; any change already made was rolled back"),
        (["prepare", "minor"], "interrupted before any change; nothing was changed"),
    ],
)
def test_an_interrupt_says_what_it_left_for_the_command(args: list[str], said: str) -> None:
    """Commands that only read say nothing was changed; those that write say it was undone."""
    assert said == _interrupted(args)


@pytest.mark.parametrize("verbose", [False, True], ids=["quiet", "verbose"])
@pytest.mark.parametrize(
    "command",
    [["check"], ["publish", "--repository-url", "http://127.0.0.1:9/legacy/"]],
    ids=["check", "publish"],
)
def test_an_interrupt_inside_a_half_built_object_ends_on_the_error_line(
    tmp_path: Path, command: list[str], verbose: bool
) -> None:
    """A signal that lands inside a constructor leaves no finalizer traceback after the error.

    The exit code is 143, as for SIGTERM in every command. Python frees the half-built object
    when it lets go of the interrupt's traceback; its finalizer then fails, and Python would
    print that failure after releasekit's last line. ``publish`` reports its own interrupts (what
    was sent), ``check`` leaves that to the command line: both paths are covered.
    """
    built = wheel(tmp_path)
    args = [*command, str(built), *(["-v"] if verbose else [])]
    result = subprocess.run(
        [sys.executable, "-c", _SIGTERM_INSIDE_ZIPFILE, *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "RELEASEKIT_TOKEN": "pypi-unused"},  # read before any upload
        check=False,
    )
    lines = result.stderr.splitlines()
    assert 143 == result.returncode, result.stderr
    assert lines[-1].startswith("error: interrupted"), result.stderr
    if command == ["check"]:  # it only reads: nothing to roll back
        assert "error: interrupted; nothing was changed" == lines[-1]
    assert "Exception ignored" not in result.stderr
    if not verbose:  # -v adds releasekit's own traceback of an error
        assert "Traceback" not in result.stderr
    notes = [line for line in lines if line.startswith("note: ignored while stopping: ")]
    debris = "AttributeError: 'ZipFile' object has no attribute '_writing'"
    assert ([f"note: ignored while stopping: {debris}"] if verbose else []) == notes


def test_what_a_command_keeps_is_let_go_when_the_next_command_line_starts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """What ``Context.keep`` holds lives to the end of the process, or to the next command line.

    A second command line run in the same process (a test, a library) starts with nothing kept.
    """
    _KEPT.append(object())
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    assert "Usage" in capsys.readouterr().out
    assert _KEPT == []
