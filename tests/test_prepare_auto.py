"""``prepare auto``: the bump from Conventional Commits, the changelog drafted from them.

Also pre-release lines, monorepos (``--all auto``, ``--package``), and what stops it.

Every test runs the installed ``releasekit`` in a real git repository with a bare remote.
"""

from __future__ import annotations

import json

import pytest

from tests.support import Repo, RepoBuilder, git, run_releasekit
from tests.test_changelog_forms import FRAGMENTS, NEWS_FILE, TOWNCRIER_PYPROJECT

CHANGELOG = "# Changelog\n\n## [Unreleased]\n\n## [0.4.0] - 2026-01-01\n\n- First.\n"
DATE = "2026-11-25"


def _pyproject(version: str, extra: str = "") -> str:
    return f'[project]\nname = "demo"\nversion = "{version}"\n{extra}'


def _project(make_repo: RepoBuilder, version: str = "0.4.0", extra: str = "") -> Repo:
    return make_repo(
        {"pyproject.toml": _pyproject(version, extra), "CHANGELOG.md": CHANGELOG},
        tags=(f"v{version}",),
    )


def _commit(repo: Repo, *messages: str, path: str = "src.txt") -> None:
    """One commit per message, each changing ``path``."""
    for message in messages:
        target = repo.path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("a", encoding="utf-8") as handle:
            handle.write(message.splitlines()[0] + "\n")
        repo.git("add", "-A")
        repo.git("commit", "-q", "-m", message)


def _auto(repo: Repo, *args: str) -> tuple[int, str, str]:
    run = run_releasekit(repo.path, "prepare", "auto", *args, "--date", DATE)
    return run.returncode, run.stdout, run.stderr


def _version(repo: Repo, folder: str = ".") -> str:
    text = (repo.path / folder / "pyproject.toml").read_text(encoding="utf-8")
    return text.split('version = "', 1)[1].split('"', 1)[0]


@pytest.mark.parametrize(
    ("current", "messages", "extra", "expected"),
    [
        ("0.4.0", ["fix: a crash", "docs: words"], "", "0.4.1"),
        ("0.4.0", ["perf: faster"], "", "0.4.1"),
        ("0.4.0", ["feat(api): a thing", "fix: a crash"], "", "0.5.0"),
        ("0.4.0", ["feat!: drop the old api"], "", "0.5.0"),
        ("0.4.0", ["refactor: x\n\nBREAKING CHANGE: the config moved"], "", "0.5.0"),
        ("0.4.0", ["feat!: drop"], "\n[tool.releasekit]\nmajor-on-zero = true\n", "1.0.0"),
        ("1.4.0", ["fix: x", "feat!: drop the old api"], "", "2.0.0"),
        ("1.4.0", ['Revert "feat: x"\n\nThis reverts commit 0123456789abcdef.'], "", "1.4.1"),
    ],
)
def test_the_bump_follows_the_commits(
    make_repo: RepoBuilder, current: str, messages: list[str], extra: str, expected: str
) -> None:
    repo = _project(make_repo, current, extra)
    _commit(repo, *messages)
    code, _, err = _auto(repo, "--yes", "--allow-empty-changelog")
    assert code == 0, err
    assert _version(repo) == expected
    assert repo.git("describe", "--tags", "--exact-match") == f"v{expected}"


def test_nothing_releasable_is_exit_1_and_changes_nothing(make_repo: RepoBuilder) -> None:
    repo = _project(make_repo)
    _commit(repo, "docs: words", "chore: tidy", "not a conventional subject")
    head = repo.git("rev-parse", "HEAD")
    code, out, err = _auto(repo, "--yes")
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "nothing to release" in lines[0]
    assert "3 commits since v0.4.0" in lines[0]
    assert "1 not Conventional Commits" in lines[0]
    assert repo.git("rev-parse", "HEAD") == head
    assert out == ""


def test_changelog_drafted_under_keep_a_changelog_headings(make_repo: RepoBuilder) -> None:
    repo = _project(make_repo)
    repo.git("remote", "set-url", "origin", str(repo.remote))
    _commit(repo, "feat(cli): a --fast flag (#7)", "fix: no crash on empty input", "docs: x")
    code, _, err = _auto(repo, "--yes")
    assert code == 0, err
    text = repo.read("CHANGELOG.md")
    section = text.split("## [0.5.0] - 2026-11-25\n", 1)[1].split("## [0.4.0]", 1)[0]
    short = repo.git("rev-parse", "--short=7", "HEAD~2")
    assert "### Added\n\n- **cli:** a --fast flag" in section
    assert "### Fixed\n\n- no crash on empty input" in section
    assert short in section
    assert "docs" not in section
    assert "x\n" not in section
    assert text.startswith("# Changelog\n\n## [Unreleased]\n\n## [0.5.0]")


@pytest.mark.parametrize("target", ["origin", "upstream"])
def test_drafted_entries_link_to_the_push_targets_forge(
    make_repo: RepoBuilder, target: str
) -> None:
    """The commit and issue links point to the forge of the remote released to.

    Its URL is asked for while the history is read: origin's, or the branch's upstream's.
    """
    repo = _project(make_repo)
    if target == "upstream":
        repo.git("remote", "add", "upstream", "https://gitlab.com/group/demo.git")
        repo.git("config", "branch.main.remote", "upstream")
        repo.git("config", "branch.main.merge", "refs/heads/main")
    else:
        repo.git("remote", "set-url", "origin", "https://github.com/example/demo.git")
    _commit(repo, "feat: a --fast flag (#7)")
    commit = repo.git("rev-parse", "HEAD")
    # Offline: git refuses https at once, so the dry run only warns that it cannot compare.
    run = run_releasekit(
        repo.path,
        "prepare",
        "auto",
        "--dry-run",
        "--date",
        DATE,
        env={"GIT_ALLOW_PROTOCOL": "file"},
    )
    assert run.returncode == 0, run.stderr
    if target == "upstream":
        web = "https://gitlab.com/group/demo"
        expected = f"[#7]({web}/-/issues/7)) ([{commit[:7]}]({web}/-/commit/{commit})"
    else:
        web = "https://github.com/example/demo"
        expected = f"[#7]({web}/issues/7)) ([{commit[:7]}]({web}/commit/{commit})"
    assert f"+- a --fast flag ({expected})" in run.stdout, run.stdout


def test_hand_written_entries_are_kept_and_nothing_is_added_twice(make_repo: RepoBuilder) -> None:
    repo = _project(make_repo)
    _commit(repo, "feat: widgets", "fix: the frobnicator")
    short = repo.git("rev-parse", "--short=7", "HEAD")
    # The maintainer already wrote the fix up by hand, naming its commit.
    repo.write(
        {
            "CHANGELOG.md": CHANGELOG.replace(
                "## [Unreleased]\n",
                f"## [Unreleased]\n\n### Fixed\n\n- The frobnicator, at last ({short}).\n",
            )
        }
    )
    repo.commit("docs: changelog")
    code, _, err = _auto(repo, "--yes")
    assert code == 0, err
    text = repo.read("CHANGELOG.md")
    assert text.count("frobnicator") == 1
    assert f"- The frobnicator, at last ({short}).\n" in text
    assert "- widgets" in text


def test_pre_release_line(make_repo: RepoBuilder) -> None:
    repo = _project(make_repo, "1.2.0")
    _commit(repo, "feat: a")
    # auto,rc starts the pre-release line of the next minor, continues it, auto ends it
    run = run_releasekit(repo.path, "prepare", "auto,rc", "--yes", "--allow-empty-changelog")
    assert run.returncode == 0, run.stderr
    assert _version(repo) == "1.3.0rc1"
    _commit(repo, "fix: b")
    run = run_releasekit(repo.path, "prepare", "auto,rc", "--yes", "--allow-empty-changelog")
    assert run.returncode == 0, run.stderr
    assert _version(repo) == "1.3.0rc2"
    _commit(repo, "fix: c")
    run = run_releasekit(repo.path, "prepare", "auto", "--yes", "--allow-empty-changelog")
    assert run.returncode == 0, run.stderr
    assert _version(repo) == "1.3.0"
    assert repo.git("tag", "--list").split() == [
        "v1.2.0",
        "v1.3.0",
        "v1.3.0rc1",
        "v1.3.0rc2",
    ]


def test_breaking_change_on_a_pre_release_line_starts_the_next_major(
    make_repo: RepoBuilder,
) -> None:
    repo = _project(make_repo, "1.2.0")
    _commit(repo, "feat: a")
    run = run_releasekit(repo.path, "prepare", "auto,rc", "--yes", "--allow-empty-changelog")
    assert run.returncode == 0, run.stderr
    _commit(repo, "feat!: b")
    run = run_releasekit(repo.path, "prepare", "auto,rc", "--yes", "--allow-empty-changelog")
    assert run.returncode == 0, run.stderr
    assert _version(repo) == "2.0.0rc1"


def test_auto_must_come_first(make_repo: RepoBuilder) -> None:
    repo = _project(make_repo)
    run = run_releasekit(repo.path, "prepare", "rc,auto", "--dry-run")
    assert run.returncode == 2
    assert "auto must come first" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_shallow_clone_says_history_is_missing(make_repo: RepoBuilder) -> None:
    repo = _project(make_repo)
    _commit(repo, "fix: a", "fix: b", "fix: c", "fix: d")
    repo.git("push", "-q", "origin", "main")
    clone = repo.path.parent / "shallow"
    git(repo.path.parent, "clone", "-q", "--depth", "2", f"file://{repo.remote}", str(clone))
    run = run_releasekit(clone, "prepare", "auto", "--dry-run")
    assert run.returncode == 1, run.stdout + run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert "shallow" in lines[0]
    assert "unshallow" in lines[0]


def test_towncrier_project_gets_fragments_drafted(make_repo: RepoBuilder) -> None:
    repo = make_repo(
        {
            "pyproject.toml": TOWNCRIER_PYPROJECT,
            "src/demo/__init__.py": '__version__ = "1.2.3"\n',
            "CHANGES.rst": NEWS_FILE,
            **FRAGMENTS,
        },
        tags=("v1.2.3",),
    )
    _commit(repo, "feat: a drafted feature", "fix: a drafted fix")
    code, _, err = _auto(repo, "--yes")
    assert code == 0, err
    news = repo.read("CHANGES.rst")
    assert "demo 1.3.0 (2026-11-25)" in news
    assert "a drafted feature" in news
    assert "a drafted fix" in news
    assert "Added a widget." in news  # the hand-written fragment too
    assert repo.git("status", "--porcelain") == ""
    assert not any(path.name.startswith("+") for path in (repo.path / "changelog.d").iterdir())


def _workspace(make_repo: RepoBuilder) -> Repo:
    def member(name: str, version: str) -> str:
        return f'[project]\nname = "{name}"\nversion = "{version}"\n'

    return make_repo(
        {
            "pyproject.toml": '[tool.uv.workspace]\nmembers = ["packages/*"]\n',
            "packages/alpha/pyproject.toml": member("alpha", "1.0.0"),
            "packages/alpha/CHANGELOG.md": "# Changelog\n\n## [Unreleased]\n",
            "packages/beta/pyproject.toml": member("beta", "0.3.0"),
            "packages/beta/CHANGELOG.md": "# Changelog\n\n## [Unreleased]\n",
            "packages/gamma/pyproject.toml": member("gamma", "2.1.0"),
            "packages/gamma/CHANGELOG.md": "# Changelog\n\n## [Unreleased]\n",
        },
        tags=("alpha-v1.0.0", "beta-v0.3.0", "gamma-v2.1.0"),
    )


def test_all_auto_tags_exactly_the_changed_packages(make_repo: RepoBuilder) -> None:
    repo = _workspace(make_repo)
    _commit(repo, "feat: alpha learns a trick", path="packages/alpha/src.txt")
    _commit(repo, "fix(gamma): off by one", path="packages/gamma/src.txt")
    _commit(repo, "docs: beta's readme", path="packages/beta/README.md")
    run = run_releasekit(
        repo.path, "prepare", "--all", "auto", "--yes", "--push", "--date", DATE, "--json"
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert [(p["name"], p["version"], p["bump"]) for p in report["packages"]] == [
        ("alpha", "1.1.0", "minor"),
        ("gamma", "2.1.1", "patch"),
    ]
    assert len(report["skipped"]) == 1
    assert report["skipped"][0].startswith("beta:")
    assert sorted(repo.git("tag", "--points-at", "HEAD").split()) == [
        "alpha-v1.1.0",
        "gamma-v2.1.1",
    ]
    assert "alpha learns a trick" in repo.read("packages/alpha/CHANGELOG.md")
    assert "off by one" not in repo.read("packages/alpha/CHANGELOG.md")
    assert "off by one" in repo.read("packages/gamma/CHANGELOG.md")
    assert repo.read("packages/beta/CHANGELOG.md") == "# Changelog\n\n## [Unreleased]\n"
    remote = repo.git("ls-remote", "--tags", "origin")
    assert "alpha-v1.1.0" in remote
    assert "gamma-v2.1.1" in remote
    assert "beta-v0.3.1" not in remote


def test_package_auto_reads_only_its_own_commits(make_repo: RepoBuilder) -> None:
    repo = _workspace(make_repo)
    _commit(repo, "feat: only alpha", path="packages/alpha/src.txt")
    run = run_releasekit(repo.path, "prepare", "--package", "beta", "auto", "--dry-run")
    assert run.returncode == 1
    assert "nothing to release for beta" in run.stderr


def test_all_auto_with_nothing_anywhere_is_exit_1(make_repo: RepoBuilder) -> None:
    repo = _workspace(make_repo)
    _commit(repo, "chore: nothing", path="packages/alpha/src.txt")
    run = run_releasekit(repo.path, "prepare", "--all", "auto", "--yes")
    assert run.returncode == 1
    assert "none of the 3 packages" in run.stderr
    assert repo.git("tag", "--points-at", "HEAD") == ""
