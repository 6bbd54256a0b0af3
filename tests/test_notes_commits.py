"""``releasekit notes --from-commits [--all]``: notes drafted from Conventional Commits.

The installed command on real repositories with Conventional Commits histories and release
tags: the next release's notes, a whole changelog (dated tags, compare links), the project's
own changelog markup, a monorepo package's own commits, and every error as one line.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.support import CHANGELOG, PYPROJECT, Repo, RepoBuilder, git, run_releasekit

GITHUB = "https://github.com/example/demo"


def commit(repo: Repo, message: str, *, name: str | None = None, folder: str = "") -> str:
    """Commit a new file with ``message``; the commit's full hash."""
    count = len(list(repo.path.rglob("file-*")))
    target = f"{folder}/" if folder else ""
    repo.write({f"{target}file-{name or count}.txt": message})
    repo.commit(message)
    return repo.git("rev-parse", "HEAD")


def tag(repo: Repo, name: str, date: str) -> None:
    """An annotated tag made on ``date`` (its tagger date is the tag's date)."""
    subprocess.run(
        ["git", "tag", "-a", name, "-m", name],
        cwd=repo.path,
        env={**os.environ, "GIT_COMMITTER_DATE": f"{date}T12:00:00+00:00"},
        check=True,
    )


def on_github(repo: Repo) -> None:
    """Point origin at GitHub (nothing is fetched or pushed by notes)."""
    repo.git("remote", "set-url", "origin", f"{GITHUB}.git")


def project(make_repo: RepoBuilder, files: dict[str, str] | None = None) -> Repo:
    """The demo project, tagged v1.2.3 on its first commit."""
    return make_repo({"pyproject.toml": PYPROJECT, **(files or {})}, tags=("v1.2.3",))


def commit_link(full: str) -> str:
    """A commit's Markdown link on the GitHub remote."""
    return f"[{full[:7]}]({GITHUB}/commit/{full})"


def test_next_release_notes_from_the_commits_since_the_tag(make_repo: RepoBuilder) -> None:
    """Only commits after the latest tag; KaC headings; links; docs left out; nothing written."""
    repo = project(make_repo, {"CHANGELOG.md": CHANGELOG})
    on_github(repo)
    feat = commit(repo, "feat(api): add the widget (#12)")
    commit(repo, "docs: explain the widget")
    fix = commit(repo, "fix: stop the crash\n\nCloses #7")
    breaking = commit(repo, "refactor!: rename the module")
    before = repo.git("status", "--porcelain")
    result = run_releasekit(repo.path, "notes", "--from-commits")
    assert (0, "") == (result.returncode, result.stderr)
    assert (
        f"### Added\n\n- **api:** add the widget ([#12]({GITHUB}/issues/12)) "
        f"({commit_link(feat)})\n\n"
        f"### Changed\n\n- **Breaking:** rename the module ({commit_link(breaking)})\n\n"
        f"### Fixed\n\n- stop the crash ([#7]({GITHUB}/issues/7), {commit_link(fix)})\n"
    ) == result.stdout
    assert before == repo.git("status", "--porcelain")


def test_whole_changelog_from_every_tag(make_repo: RepoBuilder) -> None:
    """--all: Unreleased, then each release tag newest first, dated, with compare links."""
    repo = project(make_repo)
    on_github(repo)
    repo.git("tag", "-d", "v1.2.3")
    tag(repo, "v1.0.0", "2024-01-05")
    first = commit(repo, "feat: first feature")
    tag(repo, "v1.1.0", "2024-02-10")
    second = commit(repo, "fix(core): second fix")
    commit(repo, "chore: tidy")
    tag(repo, "v1.1.1", "2024-03-15")
    third = commit(repo, "feat: not released yet")
    result = run_releasekit(repo.path, "notes", "--from-commits", "--all")
    assert (0, "") == (result.returncode, result.stderr)
    assert (
        "# Changelog\n\n"
        f"## [Unreleased]\n\n### Added\n\n- not released yet ({commit_link(third)})\n\n"
        f"## [1.1.1] - 2024-03-15\n\n### Fixed\n\n- **core:** second fix ({commit_link(second)})\n\n"
        f"## [1.1.0] - 2024-02-10\n\n### Added\n\n- first feature ({commit_link(first)})\n\n"
        "## [1.0.0] - 2024-01-05\n\nNo notable changes.\n\n"
        f"[Unreleased]: {GITHUB}/compare/v1.1.1...HEAD\n"
        f"[1.1.1]: {GITHUB}/compare/v1.1.0...v1.1.1\n"
        f"[1.1.0]: {GITHUB}/compare/v1.0.0...v1.1.0\n"
        f"[1.0.0]: {GITHUB}/releases/tag/v1.0.0\n"
    ) == result.stdout


def test_rst_changelog_gives_rst_notes(make_repo: RepoBuilder) -> None:
    """A reStructuredText changelog: its sub-heading marks and bullets, anonymous links."""
    history = (
        "Changes\n=======\n\nUnreleased\n----------\n\n1.2.3 (2024-01-01)\n------------------\n\n"
        "Bug fixes\n^^^^^^^^^\n\n* Old.\n"
    )
    repo = project(make_repo, {"HISTORY.rst": history})
    on_github(repo)
    fix = commit(repo, "fix: stop the crash")
    result = run_releasekit(repo.path, "notes", "--from-commits")
    assert (0, "") == (result.returncode, result.stderr)
    assert (
        f"Fixed\n^^^^^\n\n* stop the crash (`{fix[:7]} <{GITHUB}/commit/{fix}>`__)\n"
    ) == result.stdout


def test_without_a_web_host_the_hash_is_plain(make_repo: RepoBuilder) -> None:
    """A remote that is not GitHub or GitLab: the short hash and references as plain text."""
    repo = project(make_repo)
    fix = commit(repo, "fix: stop the crash (#7)")
    result = run_releasekit(repo.path, "notes", "--from-commits")
    assert (0, f"### Fixed\n\n- stop the crash (#7) ({fix[:7]})\n") == (
        result.returncode,
        result.stdout,
    )


def test_changelog_sections_setting(make_repo: RepoBuilder) -> None:
    """changelog-sections adds a type under its own heading and leaves another out."""
    settings = '\n[tool.releasekit]\nchangelog-sections = { docs = "Documentation", fix = "" }\n'
    repo = make_repo({"pyproject.toml": PYPROJECT + settings}, tags=("v1.2.3",))
    docs = commit(repo, "docs: explain it")
    commit(repo, "fix: stop the crash")
    result = run_releasekit(repo.path, "notes", "--from-commits")
    assert (0, f"### Documentation\n\n- explain it ({docs[:7]})\n") == (
        result.returncode,
        result.stdout,
    )


def test_malformed_subjects_are_listed_with_v_and_never_fatal(make_repo: RepoBuilder) -> None:
    """Subjects that are not Conventional Commits are counted and listed with -v only."""
    repo = project(make_repo)
    bad = commit(repo, "Update stuff")
    fix = commit(repo, "fix: stop the crash")
    quiet = run_releasekit(repo.path, "notes", "--from-commits")
    assert (0, "") == (quiet.returncode, quiet.stderr)
    verbose = run_releasekit(repo.path, "-v", "notes", "--from-commits")
    assert (0, f"### Fixed\n\n- stop the crash ({fix[:7]})\n") == (
        verbose.returncode,
        verbose.stdout,
    )
    assert "1 commit is not Conventional Commits:" in verbose.stderr
    assert f"  {bad[:7]} Update stuff" in verbose.stderr.splitlines()


def test_nothing_releasable_is_exit_1_in_one_line(make_repo: RepoBuilder) -> None:
    """Only commits without a changelog type since the tag: exit 1, one line, nothing printed."""
    repo = project(make_repo)
    commit(repo, "docs: explain it")
    commit(repo, "chore: tidy")
    result = run_releasekit(repo.path, "notes", "--from-commits")
    assert (1, "") == (result.returncode, result.stdout)
    assert 1 == len(result.stderr.splitlines())
    assert result.stderr.startswith(
        "error: nothing releasable since v1.2.3: 2 commits, none of a type the changelog lists "
        "(feat, fix, perf, refactor, revert, "
    )


def test_usage_errors(make_repo: RepoBuilder) -> None:
    """--all needs --from-commits; --from-commits takes no VERSION: exit 2, one line each."""
    repo = project(make_repo)
    commit(repo, "fix: stop the crash")
    alone = run_releasekit(repo.path, "notes", "--all")
    assert (2, "") == (alone.returncode, alone.stdout)
    assert [
        "error: --all drafts a whole changelog from the commits and needs --from-commits; "
        "releasekit notes --from-commits --all"
    ] == alone.stderr.splitlines()
    versioned = run_releasekit(repo.path, "notes", "1.2.3", "--from-commits")
    assert (2, "") == (versioned.returncode, versioned.stdout)
    assert [
        "error: --from-commits drafts the next release's notes and takes no VERSION (1.2.3); "
        "drop VERSION, or drop --from-commits to print that version's section"
    ] == versioned.stderr.splitlines()


def test_a_shallow_clone_says_history_is_missing(make_repo: RepoBuilder, tmp_path: Path) -> None:
    """A clone without the release tag's history: one line saying so, exit 1, no guess."""
    repo = project(make_repo)
    for number in range(3):
        commit(repo, f"fix: fix number {number}")
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo.path}", str(shallow))
    result = run_releasekit(shallow, "notes", "--from-commits")
    assert (1, "") == (result.returncode, result.stdout)
    assert 1 == len(result.stderr.splitlines())
    assert "shallow" in result.stderr


def test_a_repository_without_commits_has_nothing_to_draft(tmp_path: Path) -> None:
    """Before the first commit: one line saying so (exit 1), for the next notes and for all."""
    git(tmp_path, "init", "-q")
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    for words in ([], ["--all"]):
        result = run_releasekit(tmp_path, "notes", "--from-commits", *words)
        assert (1, "") == (result.returncode, result.stdout)
        assert "nothing releasable: the repository has no commits yet" in result.stderr
        assert 1 == len(result.stderr.splitlines())


def _backend_repo(make_repo: RepoBuilder) -> Repo:
    """demo at the top (v1.2.3) and the package backend in backend/ (backend-v0.1.0)."""
    return make_repo(
        {
            "pyproject.toml": PYPROJECT,
            "backend/pyproject.toml": PYPROJECT.replace('"demo"', '"backend"'),
        },
        tags=("v1.2.3", "backend-v0.1.0"),
    )


def test_a_monorepo_package_reads_only_its_own_commits(make_repo: RepoBuilder) -> None:
    """-C into a package: only commits touching its folder, since its own tags."""
    repo = _backend_repo(make_repo)
    mine = commit(repo, "feat: backend feature", folder="backend")
    commit(repo, "fix: top-level fix")
    result = run_releasekit(repo.path, "-C", "backend", "notes", "--from-commits")
    assert (0, f"### Added\n\n- backend feature ({mine[:7]})\n", "") == (
        result.returncode,
        result.stdout,
        result.stderr,
    )


def test_package_option_selects_the_package_from_anywhere(make_repo: RepoBuilder) -> None:
    """--package NAME from the top is -C into its folder; an unknown name is exit 2."""
    repo = _backend_repo(make_repo)
    mine = commit(repo, "fix: backend fix", folder="backend")
    commit(repo, "feat: top-level feature")
    result = run_releasekit(repo.path, "notes", "--package", "backend", "--from-commits")
    assert (0, f"### Fixed\n\n- backend fix ({mine[:7]})\n") == (result.returncode, result.stdout)
    unknown = run_releasekit(repo.path, "notes", "--package", "nope", "--from-commits")
    assert unknown.returncode == 2
    assert "no package named 'nope'" in unknown.stderr
