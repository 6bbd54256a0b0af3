"""The command line as twine, uv and bump-my-version users expect it.

Global options anywhere, the project found from a subfolder, help with examples and variables,
and shell completion; all through the installed command.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from releasekit import __version__
from releasekit.cli import COMMANDS
from tests import distfactory
from tests.support import RELEASE_DATE, Repo, git, run_releasekit

# ---------------------------------------------------------------- global options anywhere


@pytest.mark.parametrize(
    "args",
    [("-v", "notes"), ("notes", "-v"), ("notes", "--verbose"), ("-C", ".", "notes", "-v")],
)
def test_verbose_before_or_after_the_command(demo_repo: Repo, args: tuple[str, ...]) -> None:
    """-v works before or after the command name, with the same meaning."""
    result = run_releasekit(demo_repo.path, *args)
    assert 0 == result.returncode, result.stderr
    assert f"project: {demo_repo.path.resolve() / 'pyproject.toml'}\n" in result.stderr
    assert "- An old bug." in result.stdout


def test_verbose_counts_add_up_across_the_command_name(demo_repo: Repo) -> None:
    """-v once before and once after the command adds up: the traceback of -v is shown."""
    result = run_releasekit(demo_repo.path, "-v", "notes", "-v", "9.9")
    assert 2 == result.returncode
    assert "Traceback" in result.stderr
    assert result.stderr.endswith(
        "error: CHANGELOG.md: has no section for 9.9; "
        "releasekit notes without a version prints the newest release\n"
    )


def test_no_color_and_quiet_after_the_command(demo_repo: Repo) -> None:
    """--no-color and -q after the command name are accepted and honoured."""
    coloured = run_releasekit(
        demo_repo.path, "prepare", "minor", "-n", "--date", RELEASE_DATE, env={"FORCE_COLOR": "1"}
    )
    plain = run_releasekit(
        demo_repo.path,
        *("prepare", "minor", "-n", "--date", RELEASE_DATE, "--no-color", "-q"),
        env={"FORCE_COLOR": "1"},
    )
    assert (0, 0) == (coloured.returncode, plain.returncode)
    assert "\033[" in coloured.stdout
    assert "Dry run: nothing was changed.\n" == plain.stdout


def test_doctor_no_color_after_the_command(demo_repo: Repo) -> None:
    """releasekit doctor --no-color is not a usage error."""
    result = run_releasekit(demo_repo.path, "doctor", "--no-color", env={"FORCE_COLOR": "1"})
    assert 2 != result.returncode, result.stderr
    assert "\033[" not in result.stdout + result.stderr


def test_directory_option_after_the_command(demo_repo: Repo, tmp_path: Path) -> None:
    """-C DIR after the command name starts there, as before it."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_releasekit(elsewhere, "notes", "-C", str(demo_repo.path))
    assert (0, True) == (result.returncode, "- An old bug." in result.stdout)


def test_missing_directory_after_the_command(tmp_path: Path) -> None:
    """-C with a folder that does not exist is one line, exit 2, wherever it is given."""
    result = run_releasekit(tmp_path, "notes", "-C", "nowhere")
    assert (2, "error: nowhere: no such directory; check the -C argument\n") == (
        result.returncode,
        result.stderr,
    )


# ---------------------------------------------------------------- project discovery


def test_notes_from_a_subfolder(demo_repo: Repo) -> None:
    """From a subfolder, the nearest pyproject.toml going up is the project."""
    result = run_releasekit(demo_repo.path / "src" / "demo", "notes", "-v")
    assert 0 == result.returncode, result.stderr
    assert "### Fixed\n\n- An old bug.\n" in result.stdout
    assert f"(found from {(demo_repo.path / 'src' / 'demo').resolve()})" in result.stderr


def test_prepare_from_a_subfolder(demo_repo: Repo) -> None:
    """prepare from a subfolder releases the project it is in, paths shown from its root."""
    result = run_releasekit(
        demo_repo.path / "src", "prepare", "minor", "--yes", "--date", RELEASE_DATE
    )
    assert 0 == result.returncode, result.stderr
    assert "v1.3.0" == demo_repo.git("describe", "--exact-match")
    assert '__version__ = "1.3.0"' in demo_repo.read("src/demo/__init__.py")


def test_search_stops_at_the_git_work_tree(tmp_path: Path) -> None:
    """A pyproject.toml above the git work tree's top is not taken for the project."""
    outer = tmp_path / "outer"
    inner = outer / "inner"
    inner.mkdir(parents=True)
    (outer / "pyproject.toml").write_text('[project]\nname = "outer"\nversion = "1.0"\n')
    git(inner, "init", "-q")
    result = run_releasekit(inner, "notes")
    assert 2 == result.returncode
    assert (
        f"error: {inner.resolve()}: no pyproject.toml found; "
        "run releasekit from the project root or pass -C DIR\n"
    ) == result.stderr


def test_outside_any_project(tmp_path: Path) -> None:
    """Outside any project, commands that need one say so in one line, exit 2."""
    folder = tmp_path / "plain"
    folder.mkdir()
    for command in ("notes", "prepare"):
        args = (command, "minor") if command == "prepare" else (command,)
        result = run_releasekit(folder, *args)
        assert 2 == result.returncode, (command, result.stderr)
        assert result.stderr.endswith(
            ": no pyproject.toml found; run releasekit from the project root or pass -C DIR\n"
        )


def test_directory_option_starts_the_search(demo_repo: Repo, tmp_path: Path) -> None:
    """-C DIR is where the search for the project starts."""
    result = run_releasekit(tmp_path, "-C", str(demo_repo.path / "src" / "demo"), "notes")
    assert (0, True) == (result.returncode, "- An old bug." in result.stdout)


def test_check_paths_are_relative_to_where_the_user_is(demo_repo: Repo) -> None:
    """Files named on the command line are found from the current folder, not the project's."""
    (demo_repo.path / "src" / "wheelhouse").mkdir()
    distfactory.wheel(demo_repo.path / "src" / "wheelhouse")
    result = run_releasekit(demo_repo.path / "src", "check", "wheelhouse/*.whl")
    assert 2 != result.returncode, result.stderr
    assert "no such file" not in result.stderr
    assert "no distributions found" not in result.stderr


def test_check_defaults_to_the_projects_dist(demo_repo: Repo) -> None:
    """Without arguments, check reads the project's dist/, from any subfolder."""
    (demo_repo.path / "dist").mkdir()
    distfactory.wheel(demo_repo.path / "dist")
    result = run_releasekit(demo_repo.path / "src" / "demo", "check", "-v")
    assert 2 != result.returncode, result.stderr
    assert f"checking {demo_repo.path.resolve() / 'dist'}" in result.stderr


# ---------------------------------------------------------------- -v says what it read


def test_prepare_verbose_says_what_it_read(demo_repo: Repo) -> None:
    """prepare -v names the configuration, tag format and origin, latest tag, sources, changelog."""
    result = run_releasekit(demo_repo.path, "prepare", "minor", "-n", "-v")
    assert 0 == result.returncode, result.stderr
    for line in (
        f"configuration: {demo_repo.path.resolve() / 'pyproject.toml'} has no "
        "[tool.releasekit]; defaults apply",
        "tag format: v{version} (from the existing release tags)",
        "latest release tag: v1.2.3",
        "version source: [project].version in pyproject.toml = 1.2.3",
        "version source: __version__ in src/demo/__init__.py = 1.2.3",
        "changelog: CHANGELOG.md",
    ):
        assert f"{line}\n" in result.stderr, line
    quiet = run_releasekit(demo_repo.path, "prepare", "minor", "-n")
    assert "tag format:" not in quiet.stderr


def test_doctor_verbose_names_the_files_audited(demo_repo: Repo) -> None:
    """doctor -v names the metadata file, the git work tree and the CI files it read."""
    demo_repo.write({".github/workflows/ci.yml": "on: push\njobs: {}\n"})
    result = run_releasekit(demo_repo.path, "doctor", "-v")
    assert "metadata: pyproject.toml\n" in result.stderr
    assert f"git: {demo_repo.path.resolve()}\n" in result.stderr
    assert "CI files: .github/workflows/ci.yml\n" in result.stderr


# ---------------------------------------------------------------- help


def test_short_version_option(tmp_path: Path) -> None:
    """-V prints the version, as --version does."""
    result = run_releasekit(tmp_path, "-V")
    assert (0, f"releasekit {__version__}\n") == (result.returncode, result.stdout)


def test_top_level_help_links_the_docs(tmp_path: Path) -> None:
    """The top-level help ends with where the documentation is, and says options go anywhere."""
    result = run_releasekit(tmp_path, "--help")
    assert "Documentation: https://" in result.stdout
    assert "Global options go before or after the command" in result.stdout


@pytest.mark.parametrize("name", [row.name for row in COMMANDS if row.exists()])
def test_every_command_help_has_an_example(tmp_path: Path, name: str) -> None:
    """Each command's --help shows examples and the global options."""
    result = run_releasekit(tmp_path, name, "--help")
    assert 0 == result.returncode, result.stderr
    assert "Examples:" in result.stdout
    assert f"releasekit {name}" in result.stdout.split("Examples:")[1]
    assert "-v, --verbose" in result.stdout


@pytest.mark.parametrize("name", ["prepare", "publish"])
def test_dry_run_has_a_short_flag(tmp_path: Path, name: str) -> None:
    """-n is --dry-run, as in bump-my-version."""
    result = run_releasekit(tmp_path, name, "--help")
    assert "-n, --dry-run" in result.stdout


def test_publish_help_names_variables_settings_and_credential_order(tmp_path: Path) -> None:
    """publish --help names each option's variable and setting, and the credential order."""
    text = " ".join(run_releasekit(tmp_path, "publish", "--help").stdout.split())
    assert "[env: RELEASEKIT_REPOSITORY; setting: repository; default: pypi]" in text
    assert "[env: RELEASEKIT_INDEX_URL; setting: index-" in text
    order = [
        "1. RELEASEKIT_TOKEN",
        "2. RELEASEKIT_USERNAME and RELEASEKIT_PASSWORD",
        "the repository's section in ~/.pypirc",
        "keyring",
        "trusted publishing, in CI",
    ]
    positions = [text.find(step) for step in order]
    assert -1 not in positions, positions
    assert sorted(positions) == positions


def test_dry_run_short_flag_runs(demo_repo: Repo) -> None:
    """prepare -n shows the plan and changes nothing."""
    result = run_releasekit(demo_repo.path, "prepare", "minor", "-n", "--date", RELEASE_DATE)
    assert (0, True) == (result.returncode, "Dry run: nothing was changed." in result.stdout)
    assert "v1.2.3" == demo_repo.git("describe", "--exact-match")


# ---------------------------------------------------------------- shell completion


def _complete(cwd: Path, words: str, index: int) -> list[str]:
    """What bash completion offers for ``words`` at word ``index``."""
    result = run_releasekit(
        cwd,
        env={
            "_RELEASEKIT_COMPLETE": "bash_complete",
            "COMP_WORDS": words,
            "COMP_CWORD": str(index),
        },
    )
    assert 0 == result.returncode, result.stderr
    return [line.split(",", 1)[1] for line in result.stdout.splitlines()]


def test_bump_words_complete(tmp_path: Path) -> None:
    """releasekit prepare mi<TAB> offers minor; rehearse completes bump words too."""
    assert ["minor"] == _complete(tmp_path, "releasekit prepare mi", 2)
    assert ["major", "minor"] == _complete(tmp_path, "releasekit -v rehearse m", 3)


def test_bump_chains_complete(tmp_path: Path) -> None:
    """After a comma, the next bump word completes: minor,r -> minor,rc and minor,release."""
    assert ["minor,rc", "minor,release"] == _complete(tmp_path, "releasekit prepare minor,r", 2)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_script(tmp_path: Path, shell: str) -> None:
    """releasekit completion SHELL prints a script that calls releasekit back."""
    result = run_releasekit(tmp_path, "completion", shell)
    assert 0 == result.returncode, result.stderr
    assert "_RELEASEKIT_COMPLETE" in result.stdout


def test_completion_of_an_unknown_shell(tmp_path: Path) -> None:
    """An unknown shell is a one-line usage error, exit 2."""
    result = run_releasekit(tmp_path, "completion", "tcsh")
    assert 2 == result.returncode
    assert (
        "error: Invalid value for 'SHELL': 'tcsh' is not one of 'bash', 'zsh', 'fish'; "
        "see 'releasekit completion --help'\n"
    ) == result.stderr
