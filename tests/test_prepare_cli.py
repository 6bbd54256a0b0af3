"""``releasekit prepare`` end to end: the installed command on real repositories with a remote."""

from __future__ import annotations

import pytest

from tests.support import (
    CHANGELOG,
    PYPROJECT,
    RELEASE_DATE,
    Repo,
    RepoBuilder,
    Run,
    git,
    run_releasekit,
    snapshot,
)


def prepare(
    repo: Repo, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> Run:
    """Run ``releasekit prepare`` in the repository with a fixed date."""
    return run_releasekit(repo.path, "prepare", *args, "--date", RELEASE_DATE, stdin=stdin, env=env)


def test_prepare_minor_commits_and_tags(demo_repo: Repo) -> None:
    """A minor release rewrites every source and the changelog, commits exactly those, and tags."""
    result = prepare(demo_repo, "minor", "--yes")
    assert 0 == result.returncode, result.stderr
    assert 'version = "1.3.0"  # keep in step' in demo_repo.read("pyproject.toml")
    assert '__version__ = "1.3.0"\n' in demo_repo.read("src/demo/__init__.py")
    changelog = demo_repo.read("CHANGELOG.md")
    assert (
        "## [Unreleased]\n\n## [1.3.0] - 2026-11-24\n\n### Added\n\n- A new feature.\n" in changelog
    )
    assert "[1.3.0]: https://github.com/example/demo/compare/v1.2.3...v1.3.0\n" in changelog
    assert "Release 1.3.0" == demo_repo.git("log", "-1", "--format=%s")
    assert sorted(["CHANGELOG.md", "pyproject.toml", "src/demo/__init__.py"]) == sorted(
        demo_repo.git("show", "--name-only", "--format=", "HEAD").splitlines()
    )
    assert "tag" == demo_repo.git("cat-file", "-t", "v1.3.0")
    assert demo_repo.git("rev-parse", "HEAD") == demo_repo.git("rev-parse", "v1.3.0^{commit}")
    assert "" == demo_repo.git("status", "--porcelain")
    assert "git push --atomic origin main v1.3.0" in result.stdout
    assert "releasekit notes 1.3.0" in result.stdout


def test_dry_run_shows_the_plan_and_changes_nothing(demo_repo: Repo) -> None:
    """--dry-run prints every diff, the commit and the tag, and leaves the repository as it was."""
    before = snapshot(demo_repo)
    result = prepare(demo_repo, "patch", "--dry-run")
    assert 0 == result.returncode, result.stderr
    assert before == snapshot(demo_repo)
    assert "Release 1.2.3 -> 1.2.4" in result.stdout
    assert '-version = "1.2.3"  # keep in step with src/demo/__init__.py' in result.stdout
    assert '+__version__ = "1.2.4"' in result.stdout
    assert "+## [1.2.4] - 2026-11-24" in result.stdout
    assert 'as "Release 1.2.4"' in result.stdout
    assert "create annotated tag v1.2.4" in result.stdout
    assert "Dry run: nothing was changed." in result.stdout
    assert (
        "Next: releasekit prepare patch --date 2026-11-24 to apply it (add --push to push too)"
        in result.stdout
    )


def test_push_sends_branch_and_tag(demo_repo: Repo) -> None:
    """--push puts the release commit and tag on the remote together."""
    result = prepare(demo_repo, "1.3.0rc1", "--yes", "--push")
    assert 0 == result.returncode, result.stderr
    remote_head = git(demo_repo.remote, "rev-parse", "refs/heads/main")
    assert demo_repo.git("rev-parse", "HEAD") == remote_head
    assert remote_head == git(demo_repo.remote, "rev-parse", "refs/tags/v1.3.0rc1^{commit}")
    assert "git push" not in result.stdout


def test_no_commit_only_writes_files(demo_repo: Repo) -> None:
    """--no-commit rewrites the files and leaves committing (and tagging) to the user."""
    head = demo_repo.git("rev-parse", "HEAD")
    result = prepare(demo_repo, "patch", "--yes", "--no-commit")
    assert 0 == result.returncode, result.stderr
    assert head == demo_repo.git("rev-parse", "HEAD")
    assert "" == demo_repo.git("tag", "--list", "v1.2.4")
    assert 3 == len(demo_repo.git("status", "--porcelain").splitlines())


def test_no_tag_commits_without_tagging(demo_repo: Repo) -> None:
    """--no-tag commits the release but creates no tag."""
    result = prepare(demo_repo, "patch", "--yes", "--no-tag")
    assert 0 == result.returncode, result.stderr
    assert "Release 1.2.4" == demo_repo.git("log", "-1", "--format=%s")
    assert "" == demo_repo.git("tag", "--list", "v1.2.4")


def test_tag_derived_project_releases_changelog_and_tag(make_repo: RepoBuilder) -> None:
    """A setuptools-scm project's release is a changelog entry, a commit and a tag."""
    repo = make_repo(
        {
            "pyproject.toml": '[project]\nname = "scm"\ndynamic = ["version"]\n[tool.setuptools_scm]\n',
            "CHANGELOG.md": CHANGELOG,
        },
        tags=("v1.2.3",),
    )
    result = prepare(repo, "minor", "--yes")
    assert 0 == result.returncode, result.stderr
    assert "Release 1.2.3 -> 1.3.0" in result.stdout
    assert ["CHANGELOG.md"] == repo.git("show", "--name-only", "--format=", "HEAD").splitlines()
    assert "v1.3.0" == repo.git("describe", "--tags", "--exact-match")


def test_configured_tag_format_and_message(make_repo: RepoBuilder) -> None:
    """tag-format and commit-message from [tool.releasekit] shape the tag and the commit."""
    repo = make_repo(
        {
            "pyproject.toml": PYPROJECT + '\n[tool.releasekit]\ntag-format = "release-{version}"\n'
            'commit-message = "chore: release {version}"\nchangelog = "docs/HISTORY.md"\n',
            "docs/HISTORY.md": CHANGELOG,
        },
        tags=("release-1.2.3",),
    )
    result = prepare(repo, "major", "--yes")
    assert 0 == result.returncode, result.stderr
    assert "chore: release 2.0.0" == repo.git("log", "-1", "--format=%s")
    assert repo.git("rev-parse", "HEAD") == repo.git("rev-parse", "release-2.0.0^{commit}")
    assert "## [2.0.0] - 2026-11-24" in repo.read("docs/HISTORY.md")


def test_allow_dirty_commits_only_release_files(demo_repo: Repo) -> None:
    """With --allow-dirty, other uncommitted changes stay uncommitted, staged ones stay staged."""
    demo_repo.write({"README.md": "draft\n", "notes.txt": "untracked\n"})
    demo_repo.git("add", "README.md")
    result = prepare(demo_repo, "patch", "--yes", "--allow-dirty")
    assert 0 == result.returncode, result.stderr
    assert "README.md" not in demo_repo.git("show", "--name-only", "--format=", "HEAD")
    assert "A  README.md\n?? notes.txt" == demo_repo.git("status", "--porcelain")


def test_untracked_files_are_allowed(demo_repo: Repo) -> None:
    """Untracked files do not make the tree dirty."""
    demo_repo.write({"scratch.txt": "x\n"})
    assert 0 == prepare(demo_repo, "patch", "--yes").returncode


def test_notes_prints_a_section(demo_repo: Repo) -> None:
    """`releasekit notes` prints the newest release, or a named one, as Markdown."""
    assert 0 == prepare(demo_repo, "minor", "--yes").returncode
    latest = run_releasekit(demo_repo.path, "notes")
    assert (0, "### Added\n\n- A new feature.\n") == (latest.returncode, latest.stdout)
    older = run_releasekit(demo_repo.path, "notes", "1.2.3")
    assert (0, "### Fixed\n\n- An old bug.\n") == (older.returncode, older.stdout)


# Every user-facing error: one line, the documented exit code, and an untouched repository.
ERRORS = [
    pytest.param(
        {"pyproject.toml": "[project\n"},
        (),
        2,
        "error: ",
        "pyproject.toml: invalid TOML",
        id="bad-pyproject",
    ),
    pytest.param(
        {"pyproject.toml": PYPROJECT.replace('"1.2.3"', '"1.2.x"')},
        (),
        2,
        "error: pyproject.toml:7: '1.2.x' is not a valid PEP 440 version; write it like",
        "",
        id="invalid-version",
    ),
    pytest.param(
        {"src/demo/__init__.py": '__version__ = "1.2.4"\n'},
        (),
        2,
        "error: ",
        "the version sources disagree: pyproject.toml:7 [project].version = 1.2.3, "
        "src/demo/__init__.py:1 __version__ = 1.2.4; make them all the same version",
        id="disagreeing-sources",
    ),
    pytest.param(
        {"pyproject.toml": PYPROJECT + '\n[tool.releasekit]\nchangelog = "docs/NEWS.md"\n'},
        (),
        2,
        "error: docs/NEWS.md: changelog not found; create it, or change changelog in "
        "[tool.releasekit] (false: no changelog)",
        "",
        id="missing-configured-changelog",
    ),
    pytest.param(
        {"CHANGELOG.md": "# Changelog\n\n## [Unreleased]\n\n## [1.2.3] - 2026-01-02\n"},
        (),
        2,
        "error: CHANGELOG.md:3: the Unreleased section has no entries; describe this release",
        "--allow-empty-changelog",
        id="empty-changelog",
    ),
]


@pytest.mark.parametrize(("changes", "args", "code", "starts", "contains"), ERRORS)
def test_input_errors(
    demo_repo: Repo,
    changes: dict[str, str | None],
    args: tuple[str, ...],
    code: int,
    starts: str,
    contains: str,
) -> None:
    """Bad project input gives one line with what, where and what to do, and changes nothing."""
    for name, content in changes.items():
        if content is None:
            (demo_repo.path / name).unlink()
        else:
            demo_repo.write({name: content})
    demo_repo.commit("break it")
    before = snapshot(demo_repo)
    result = prepare(demo_repo, "minor", "--yes", *args)
    assert code == result.returncode
    lines = result.stderr.splitlines()
    assert 1 == len(lines), result.stderr
    assert lines[0].startswith(starts)
    assert contains in lines[0]
    assert "Traceback" not in result.stderr
    assert before == snapshot(demo_repo)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("1.2.0",), "error: 1.2.0 is not higher than the current version 1.2.3; give a higher"),
        (("rc",), "error: bumping 1.2.3 by rc gives 1.2.3rc1, which is not higher; a pre-release"),
        (("1.3+local",), "error: 1.3+local has a local version segment (+local)"),
        (("nonsense",), "error: 'nonsense' is neither a bump nor a PEP 440 version"),
        ((), "error: prepare needs a BUMP or a VERSION; for example: releasekit prepare minor"),
        (("minor", "--date", "24/11/2026"), "error: --date '24/11/2026' is not a date; write it"),
        (("minor", "--no-commit", "--push"), "error: --push needs a commit to push"),
        (("minor", "--pushh"), "error: No such option '--pushh'. Did you mean '--push'?; see"),
    ],
)
def test_usage_errors(demo_repo: Repo, args: tuple[str, ...], message: str) -> None:
    """Impossible requests exit 2 with one line and change nothing."""
    before = snapshot(demo_repo)
    result = run_releasekit(demo_repo.path, "prepare", "--yes", *args)
    assert 2 == result.returncode
    assert 1 == len(result.stderr.splitlines()), result.stderr
    assert result.stderr.startswith(message)
    assert before == snapshot(demo_repo)


def test_no_terminal_without_yes_exits_2(demo_repo: Repo) -> None:
    """Without a terminal to confirm on and without --yes, nothing happens and the exit is 2."""
    before = snapshot(demo_repo)
    result = prepare(demo_repo, "minor")
    assert 2 == result.returncode
    assert (
        "error: confirmation needed, but standard input is not a terminal; "
        "pass --yes to apply without asking\n"
    ) == result.stderr
    assert before == snapshot(demo_repo)


def test_dirty_tree(demo_repo: Repo) -> None:
    """Uncommitted changes to tracked files stop the release, naming the files."""
    demo_repo.write({"src/demo/__init__.py": '__version__ = "1.2.3"\nx = 1\n'})
    before = snapshot(demo_repo)
    result = prepare(demo_repo, "minor", "--yes")
    assert 1 == result.returncode
    assert (
        f"error: {demo_repo.path}: the working tree has uncommitted changes (src/demo/__init__.py); "
        "commit or stash them, or pass --allow-dirty\n"
    ) == result.stderr
    assert before == snapshot(demo_repo)


def test_wrong_branch(demo_repo: Repo) -> None:
    """Releasing from a branch other than the release branch is refused."""
    demo_repo.git("switch", "-q", "-c", "feature")
    before = snapshot(demo_repo)
    result = prepare(demo_repo, "minor", "--yes")
    assert 1 == result.returncode
    assert (
        "error: on branch 'feature', not the release branch 'main' or 'master'; "
        "git switch main, or set release-branch in [tool.releasekit]\n"
    ) == result.stderr
    assert before == snapshot(demo_repo)


def test_behind_upstream(demo_repo: Repo, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A branch behind its upstream (after a fetch) is refused."""
    other = tmp_path_factory.mktemp("other") / "clone"
    git(other.parent, "clone", "-q", str(demo_repo.remote), str(other))
    (other / "extra.txt").write_text("x\n")
    git(other, "add", "extra.txt")
    git(other, "commit", "-q", "-m", "elsewhere")
    git(other, "push", "-q")
    before = snapshot(demo_repo)
    result = prepare(demo_repo, "minor", "--yes")
    assert 1 == result.returncode
    assert (
        "error: branch 'main' is 1 commit behind origin/main; git pull --rebase, then run again\n"
        == result.stderr
    )
    after = snapshot(demo_repo)
    # The fetch updates only the remote-tracking branch; everything else is untouched.
    before.pop("refs")
    refs_after = str(after.pop("refs"))
    assert before == after
    assert "refs/remotes/origin/main" in refs_after


def test_behind_a_remote_tip_this_clone_has_asks_the_remote_once(demo_repo: Repo) -> None:
    """The remote's branch at a commit this clone holds: counted without a fetch."""
    demo_repo.write({"extra.txt": "x\n"})
    demo_repo.git("add", "extra.txt")
    demo_repo.git("commit", "-q", "-m", "to be undone here")
    demo_repo.git("push", "-q", "origin", "main")
    demo_repo.git("reset", "-q", "--hard", "HEAD~1")
    trace = demo_repo.path.parent / "trace.txt"
    result = prepare(demo_repo, "minor", "--yes", env={"GIT_TRACE": str(trace)})
    assert 1 == result.returncode
    assert "error: branch 'main' is 1 commit behind origin/main;" in result.stderr
    commands = [line for line in trace.read_text().splitlines() if "built-in: git" in line]
    assert 1 == sum(" ls-remote " in line for line in commands)
    assert not [line for line in commands if " fetch " in line]


def test_existing_tag_locally_and_on_remote(demo_repo: Repo) -> None:
    """A tag that exists already, locally or on the remote, is refused; both are reported."""
    demo_repo.git("tag", "v1.3.0")
    demo_repo.git("push", "-q", "origin", "v1.3.0")
    before = snapshot(demo_repo)
    result = prepare(demo_repo, "minor", "--yes")
    assert 1 == result.returncode
    assert [
        "error: 2 preflight checks failed; nothing was changed",
        "  - tag v1.3.0 already exists on 'origin'; choose another version, "
        "or fetch it: the release was already made",
        "  - tag v1.3.0 already exists; choose another version, or delete it "
        "(git tag -d v1.3.0) if it is a mistake",
    ] == result.stderr.splitlines()
    assert before == snapshot(demo_repo)


def test_tag_only_on_remote(demo_repo: Repo, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A tag pushed by someone else, not fetched here, is found on the remote."""
    other = tmp_path_factory.mktemp("other") / "clone"
    git(other.parent, "clone", "-q", str(demo_repo.remote), str(other))
    git(other, "tag", "v1.3.0")
    git(other, "push", "-q", "origin", "v1.3.0")
    result = prepare(demo_repo, "minor", "--yes")
    assert 1 == result.returncode
    assert "tag v1.3.0 already exists on 'origin'" in result.stderr


def test_version_not_above_latest_tag(demo_repo: Repo) -> None:
    """A version not above the latest release tag is refused, naming the tag."""
    demo_repo.git("tag", "-a", "v1.5.0", "-m", "v1.5.0")
    result = prepare(demo_repo, "minor", "--yes")
    assert 1 == result.returncode
    assert (
        "error: 1.3.0 is not higher than the latest release tag v1.5.0; "
        "choose a version above 1.5.0, or fix the version sources\n"
    ) == result.stderr


def test_all_preflight_failures_reported_together(demo_repo: Repo) -> None:
    """Several failed checks (and an empty changelog) are listed in one run; exit 2 for input."""
    demo_repo.write({"CHANGELOG.md": "# Changelog\n\n## [Unreleased]\n"})
    demo_repo.commit("empty changelog")
    demo_repo.git("switch", "-q", "-c", "topic")
    demo_repo.git("tag", "v1.3.0")
    demo_repo.write({"pyproject.toml": PYPROJECT + "\n# edited\n"})
    before = snapshot(demo_repo)
    result = prepare(demo_repo, "minor", "--yes")
    assert 2 == result.returncode
    lines = result.stderr.splitlines()
    assert "error: 4 preflight checks failed; nothing was changed" == lines[0]
    assert 5 == len(lines)
    assert "the Unreleased section has no entries" in lines[1]
    assert "uncommitted changes (pyproject.toml)" in lines[2]
    assert "on branch 'topic'" in lines[3]
    assert "tag v1.3.0 already exists;" in lines[4]
    assert before == snapshot(demo_repo)


def test_not_a_git_repository(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Outside a git repository, prepare says so and exits 1."""
    folder = tmp_path_factory.mktemp("plain")
    (folder / "pyproject.toml").write_text(PYPROJECT)
    result = run_releasekit(folder, "prepare", "minor", "--yes")
    assert 1 == result.returncode
    assert result.stderr.startswith(f"error: {folder}: not inside a git repository; run git init")


def test_untracked_version_file(demo_repo: Repo) -> None:
    """A file the release would change but git does not track is refused before writing."""
    demo_repo.write(
        {"pyproject.toml": PYPROJECT + '\n[tool.releasekit]\nversion-files = ["VERSION.txt"]\n'}
    )
    demo_repo.commit("configure")
    demo_repo.write({"VERSION.txt": "1.2.3\n"})
    before = snapshot(demo_repo)
    result = prepare(demo_repo, "minor", "--yes")
    assert 1 == result.returncode
    assert "error: VERSION.txt is not tracked by git; git add and commit it" in result.stderr
    assert before == snapshot(demo_repo)


@pytest.mark.parametrize(
    ("bump", "guess"), [("pacth", "'patch'"), ("minr", "'minor'"), ("minor,rcc", "'minor,rc'")]
)
def test_misspelt_bump_word_gets_a_suggestion(demo_repo: Repo, bump: str, guess: str) -> None:
    """A typo in a bump word is answered with the word it most likely meant (exit 2)."""
    before = snapshot(demo_repo)
    result = run_releasekit(demo_repo.path, "prepare", "--yes", bump)
    assert 2 == result.returncode
    assert (
        f"error: '{bump}' is neither a bump nor a PEP 440 version; did you mean {guess}? "
        "use one of major, minor, patch, alpha, beta, rc, post, dev, release "
        "(or a chain like minor,rc), or a version\n"
    ) == result.stderr
    assert before == snapshot(demo_repo)


@pytest.mark.parametrize(
    ("key", "guess"), [("tag_format", "tag-format"), ("commit_message", "commit-message")]
)
def test_config_key_spelt_as_other_tools_spell_it(demo_repo: Repo, key: str, guess: str) -> None:
    """An underscore key from commitizen or bump-my-version gets the hyphenated spelling (exit 2)."""
    demo_repo.write(
        {"pyproject.toml": PYPROJECT + f'\n[tool.releasekit]\n{key} = "v{{version}}"\n'}
    )
    demo_repo.commit("config")
    before = snapshot(demo_repo)
    result = run_releasekit(demo_repo.path, "prepare", "--yes", "patch")
    assert 2 == result.returncode
    assert 1 == len(result.stderr.splitlines()), result.stderr
    assert result.stderr.startswith(
        f"error: {demo_repo.path}/pyproject.toml [tool.releasekit]: unknown key '{key}'; "
        f"did you mean '{guess}'? the keys are changelog, tag-format,"
    )
    assert before == snapshot(demo_repo)


@pytest.mark.parametrize("changelog", ["/dev/zero", "src"])
def test_a_changelog_that_is_not_a_file_is_one_line(demo_repo: Repo, changelog: str) -> None:
    """A device or a folder given as the changelog: one line, exit 2, nothing read to the end."""
    before = snapshot(demo_repo)
    result = run_releasekit(
        demo_repo.path,
        "prepare",
        "minor",
        "--dry-run",
        env={"RELEASEKIT_CHANGELOG": changelog},
    )
    assert 2 == result.returncode
    assert "the changelog is not a regular file; point changelog in [tool.releasekit]" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
    assert before == snapshot(demo_repo)


def test_doctor_settings_do_not_stop_other_commands(demo_repo: Repo) -> None:
    """[tool.releasekit] doctor.ignore is doctor's own: prepare reads past it."""
    text = (
        demo_repo.read("pyproject.toml")
        + '\n[tool.releasekit.doctor]\nignore = ["cache-in-release-path"]\n'
    )
    demo_repo.write({"pyproject.toml": text})
    demo_repo.commit("doctor settings")
    result = run_releasekit(demo_repo.path, "prepare", "minor", "--dry-run")
    assert 0 == result.returncode, result.stderr
    typo = text.replace("[tool.releasekit.doctor]", "[tool.releasekit.docter]")
    demo_repo.write({"pyproject.toml": typo})
    refused = run_releasekit(demo_repo.path, "prepare", "minor", "--dry-run", "--allow-dirty")
    assert 2 == refused.returncode
    assert "unknown key 'docter'" in refused.stderr


def test_a_blank_release_branch_is_refused(demo_repo: Repo) -> None:
    """RELEASEKIT_RELEASE_BRANCH=' ' is a configuration error, not a branch named ' '."""
    result = run_releasekit(
        demo_repo.path,
        "prepare",
        "minor",
        "--dry-run",
        env={"RELEASEKIT_RELEASE_BRANCH": " "},
    )
    assert 2 == result.returncode
    assert "release-branch must be a non-empty string" in result.stderr
