"""Changelogs in the forms real projects keep: Markdown ATX and setext, reStructuredText, towncrier.

Unit tests of parsing and releasing each heading form, discovery by the usual names, and the
installed command end to end on real repositories (dry-run diffs, releases, rollbacks, notes,
doctor).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.version import Version

from releasekit.changelog import notes, parse, release_unreleased
from releasekit.changelog_files import changelog_flavor, find_changelog
from releasekit.changelog_syntax import Flavor
from releasekit.config import Settings
from releasekit.errors import ChangelogError
from tests.support import (
    CHANGELOG,
    PYPROJECT,
    RELEASE_DATE,
    Repo,
    RepoBuilder,
    Run,
    run_releasekit,
    snapshot,
)


def released(text: str, flavor: Flavor = "markdown", version: str = "1.3.0") -> str:
    """Release ``text``'s Unreleased section as ``version`` on the test date."""
    return release_unreleased(
        parse(text, flavor),
        version=Version(version),
        date=RELEASE_DATE,
        new_tag=f"v{version}",
        previous_tag="v1.2.0",
    )


# (flavor, before, after): the exact text a release produces, one heading form per case.
FORMS = [
    pytest.param(
        "markdown",
        "# Changelog\n\n## Unreleased\n\n- New.\n\n## 1.2.0 - 2024-01-01\n\n- Old.\n",
        "# Changelog\n\n## Unreleased\n\n## 1.3.0 - 2026-11-24\n\n- New.\n\n"
        "## 1.2.0 - 2024-01-01\n\n- Old.\n",
        id="atx-plain",
    ),
    pytest.param(
        "markdown",
        "# Project\n\n## Changelog\n\n### [Unreleased]\n\n- New.\n\n"
        "### [1.2.0] - 2024-01-01\n\n- Old.\n",
        "# Project\n\n## Changelog\n\n### [Unreleased]\n\n### [1.3.0] - 2026-11-24\n\n- New.\n\n"
        "### [1.2.0] - 2024-01-01\n\n- Old.\n",
        id="atx-level-read-from-releases",
    ),
    pytest.param(
        "markdown",
        "## Unreleased changes\n\n- New.\n\n## v1.2.0 (2024-01-01)\n\n- Old.\n",
        "## Unreleased changes\n\n## v1.3.0 (2026-11-24)\n\n- New.\n\n"
        "## v1.2.0 (2024-01-01)\n\n- Old.\n",
        id="unreleased-changes-and-v-prefix",
    ),
    pytest.param(
        "markdown",
        "## main\n\n- New.\n\n## Version 1.2.0 - January 5, 2024\n\n- Old.\n",
        "## main\n\n## Version 1.3.0 - November 24, 2026\n\n- New.\n\n"
        "## Version 1.2.0 - January 5, 2024\n\n- Old.\n",
        id="main-and-month-names",
    ),
    pytest.param(
        "markdown",
        "## dev\n\n- New.\n\n## 1.2.0 (05 Jan 2024)\n\n- Old.\n",
        "## dev\n\n## 1.3.0 (24 Nov 2026)\n\n- New.\n\n## 1.2.0 (05 Jan 2024)\n\n- Old.\n",
        id="dev-and-day-month-year",
    ),
    pytest.param(
        "markdown",
        "## In development\n\n- New.\n\n## 1.2.0 / 2024/01/05\n\n- Old.\n",
        "## In development\n\n## 1.3.0 / 2026/11/24\n\n- New.\n\n## 1.2.0 / 2024/01/05\n\n- Old.\n",
        id="in-development-and-slashed-dates",
    ),
    pytest.param(
        "markdown",
        "## Version 1.3.0 (unreleased)\n\n- New.\n\n## Version 1.2.0 (2024-01-01)\n\n- Old.\n",
        "## Version 1.3.0 (2026-11-24)\n\n- New.\n\n## Version 1.2.0 (2024-01-01)\n\n- Old.\n",
        id="version-named-unreleased-is-replaced",
    ),
    pytest.param(
        "markdown",
        "# Changes\n\n## 1.3.0 (unreleased)\n\n- New.\n",
        "# Changes\n\n## 1.3.0 (2026-11-24)\n\n- New.\n",
        id="first-release-named-unreleased",
    ),
    pytest.param(
        "markdown",
        "## v1.3.0 - unreleased\n\n- New.\n",
        "## v1.3.0 - 2026-11-24\n\n- New.\n",
        id="dash-unreleased",
    ),
    pytest.param(
        "markdown",
        "## 1.4.0 (in development)\n\n- New.\n\n## 1.2.0 (2024-01-01)\n\n- Old.\n",
        "## 1.3.0 (2026-11-24)\n\n- New.\n\n## 1.2.0 (2024-01-01)\n\n- Old.\n",
        id="named-version-differs-release-wins",
    ),
    pytest.param(
        "markdown",
        "Changelog\n=========\n\nUnreleased\n----------\n\n- New.\n\n"
        "1.2.0 (2024-01-01)\n------------------\n\n- Old.\n",
        "Changelog\n=========\n\nUnreleased\n----------\n\n1.3.0 (2026-11-24)\n------------------\n\n"
        "- New.\n\n1.2.0 (2024-01-01)\n------------------\n\n- Old.\n",
        id="setext",
    ),
    pytest.param(
        "markdown",
        "Unreleased\n==========\n\n- New.\n\n1.2.0\n=======\n\n- Old.\n",
        "Unreleased\n==========\n\n1.3.0.10\n==========\n\n- New.\n\n1.2.0\n=======\n\n- Old.\n",
        id="setext-underline-margin-kept",
    ),
    pytest.param(
        "rst",
        "=========\nChangelog\n=========\n\n1.3.0 (unreleased)\n~~~~~~~~~~~~~~~~~~\n\n- New.\n\n"
        "1.2.0 - 2024-01-01\n~~~~~~~~~~~~~~~~~~\n\n- Old.\n",
        "=========\nChangelog\n=========\n\n1.3.0 - 2026-11-24\n~~~~~~~~~~~~~~~~~~\n\n- New.\n\n"
        "1.2.0 - 2024-01-01\n~~~~~~~~~~~~~~~~~~\n\n- Old.\n",
        id="rst-tilde-under-overlined-title",
    ),
    pytest.param(
        "rst",
        "Changes\n*******\n\n----------\nUnreleased\n----------\n\n* New.\n\n"
        "---------------------\n v1.2.0 (2024-01-01)\n---------------------\n\n* Old.\n",
        "Changes\n*******\n\n----------\nUnreleased\n----------\n\n"
        "---------------------\n v1.3.0 (2026-11-24)\n---------------------\n\n* New.\n\n"
        "---------------------\n v1.2.0 (2024-01-01)\n---------------------\n\n* Old.\n",
        id="rst-overline-sections",
    ),
    pytest.param(
        "rst",
        "Version 1.3.0\n-------------\n\nUnreleased\n\n-   New.\n\n\n"
        "Version 1.2.0\n-------------\n\nReleased 2024-01-01\n\n-   Old.\n",
        "Version 1.3.0\n-------------\n\nReleased 2026-11-24\n\n-   New.\n\n\n"
        "Version 1.2.0\n-------------\n\nReleased 2024-01-01\n\n-   Old.\n",
        id="rst-date-on-its-own-line",
    ),
    pytest.param(
        "rst",
        "Unreleased\n----------\n\n- New.\n\nVersion 1.2.0\n-------------\n\n"
        "Released: 2024-01-01\n\n- Old.\n",
        "Unreleased\n----------\n\nVersion 1.3.0\n-------------\n\nReleased: 2026-11-24\n\n"
        "- New.\n\nVersion 1.2.0\n-------------\n\nReleased: 2024-01-01\n\n- Old.\n",
        id="rst-generic-with-date-line",
    ),
    pytest.param(
        "rst",
        "Unreleased\n^^^^^^^^^^\n\n- New.\n",
        "Unreleased\n^^^^^^^^^^\n\n1.3.0 (2026-11-24)\n^^^^^^^^^^^^^^^^^^\n\n- New.\n",
        id="rst-first-release",
    ),
    pytest.param(
        "markdown",
        "## [UNRELEASED]\n\n- New.\n\n## 0.28.1 (6th December, 2024)\n\n- Old.\n",
        "## [UNRELEASED]\n\n## 1.3.0 (24th November, 2026)\n\n- New.\n\n"
        "## 0.28.1 (6th December, 2024)\n\n- Old.\n",
        id="day-month-comma-year-as-httpx-writes-it",
    ),
    pytest.param(
        "rst",
        "Changelog\n---------\n\n*unreleased*\n~~~~~~~~~~~~\n\n* New.\n\n"
        "26.3 - 2024-01-01\n~~~~~~~~~~~~~~~~~\n\n* Old.\n",
        "Changelog\n---------\n\n*unreleased*\n~~~~~~~~~~~~\n\n"
        "1.3.0 - 2026-11-24\n~~~~~~~~~~~~~~~~~~\n\n* New.\n\n"
        "26.3 - 2024-01-01\n~~~~~~~~~~~~~~~~~\n\n* Old.\n",
        id="rst-unreleased-in-emphasis-as-packaging-writes-it",
    ),
]


@pytest.mark.parametrize(("flavor", "before", "after"), FORMS)
def test_release_in_the_files_own_style(flavor: Flavor, before: str, after: str) -> None:
    """Each heading form is found, and the release heading copies the newest release's style."""
    assert before == parse(before, flavor).render()
    version = "1.3.0.10" if "1.3.0.10" in after else "1.3.0"
    assert after == released(before, flavor, version)


def test_compare_links_keep_tag_style_and_branch() -> None:
    """The Unreleased link keeps comparing against main; labels follow the headings' brackets."""
    text = (
        "## [Unreleased]\n\n- New.\n\n## [v1.2.0] - 2024-01-01\n\n- Old.\n\n"
        "[Unreleased]: https://code.example.org/o/r/compare/release-1.2.0...main\n"
        "[v1.2.0]: https://code.example.org/o/r/releases/tag/release-1.2.0\n"
    )
    result = release_unreleased(
        parse(text), version=Version("1.3.0"), date=RELEASE_DATE, new_tag="release-1.3.0"
    )
    assert result.endswith(
        "[Unreleased]: https://code.example.org/o/r/compare/release-1.3.0...main\n"
        "[v1.3.0]: https://code.example.org/o/r/compare/release-1.2.0...release-1.3.0\n"
        "[v1.2.0]: https://code.example.org/o/r/releases/tag/release-1.2.0\n"
    )
    assert "## [Unreleased]\n\n## [v1.3.0] - 2026-11-24\n\n- New.\n" in result


def test_github_remote_keeps_master_branch() -> None:
    """With a GitHub remote the links are rebuilt from it, still comparing against master."""
    text = CHANGELOG.replace("v1.2.3...HEAD", "v1.2.3...master")
    result = release_unreleased(
        parse(text),
        version=Version("1.3.0"),
        date=RELEASE_DATE,
        new_tag="v1.3.0",
        remote_url="https://github.com/example/demo.git",
    )
    assert "[Unreleased]: https://github.com/example/demo/compare/v1.3.0...master\n" in result


def test_rst_without_unreleased_is_refused_in_its_own_terms() -> None:
    """An rST changelog without an Unreleased section gets an error that does not say '##'."""
    with pytest.raises(ChangelogError) as caught:
        released("1.2.0\n=====\n\n- Old.\n", "rst")
    assert "no 'Unreleased' section" == caught.value.message
    assert "marked like the release headings" in (caught.value.hint or "")


def test_rst_empty_unreleased_ignores_subheadings_and_marker() -> None:
    """Sub-headings and an 'Unreleased' line are not entries."""
    text = "Version 1.3.0\n=============\n\nUnreleased\n\nAdded\n-----\n\nVersion 1.2.0\n=============\n"
    with pytest.raises(ChangelogError, match="has no entries"):
        released(text, "rst")


def test_notes_print_rst_and_setext_bodies_as_written() -> None:
    """Notes are the body as written; a 'Released DATE' line belongs to the heading."""
    rst = (
        "Version 1.2.0\n-------------\n\nReleased 2024-01-01\n\n-   Fixed ``this``.\n\n"
        "    .. code-block:: python\n\n        x = 1\n\nVersion 1.1.0\n-------------\n\n- Old.\n"
    )
    assert (
        Version("1.2.0"),
        "-   Fixed ``this``.\n\n    .. code-block:: python\n\n        x = 1\n",
    ) == (notes(parse(rst, "rst")))
    setext = "Unreleased\n----------\n\n1.1.0\n-----\n\n* Old *one*.\n"
    assert (Version("1.1.0"), "* Old *one*.\n") == notes(parse(setext), Version("1.1"))


def test_setext_needs_a_blank_line_before_and_no_list_item() -> None:
    """A list item or a paragraph line followed by dashes is not a release heading."""
    text = "## Unreleased\n\n- 1.2.0\n--\n\n## 1.1.0\n\n- Old.\n"
    assert ["Unreleased", "1.1.0"] == [s.title for s in parse(text).sections]


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["Changes.rst", "README.md"], "Changes.rst"),
        (["HISTORY.md", "NEWS"], "HISTORY.md"),
        (["NEWS", "docs/changelog.rst"], "NEWS"),
        (["docs/changelog.rst", "docs/index.rst"], "docs/changelog.rst"),
        (["CHANGES.rst", "CHANGELOG.md", "changelog.txt"], "CHANGELOG.md"),
        (["changelog", "CHANGES.md"], "changelog"),
        (["news/1.feature", "History.txt"], "History.txt"),
        (["README.md"], None),
    ],
)
def test_find_changelog_by_usual_names(tmp_path: Path, names: list[str], expected: str) -> None:
    """Usual names in any case; CHANGELOG before CHANGES, HISTORY, NEWS; docs/ only as fallback."""
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x\n")
    found = find_changelog(tmp_path, Settings())
    assert expected == (None if found is None else str(found.relative_to(tmp_path)))


def test_find_changelog_setting(tmp_path: Path) -> None:
    """A configured name wins even when missing; false means no changelog at all."""
    (tmp_path / "CHANGELOG.md").write_text("x\n")
    assert tmp_path / "notes/RELEASES.md" == find_changelog(tmp_path, Settings("notes/RELEASES.md"))
    assert find_changelog(tmp_path, Settings(changelog=False)) is None


@pytest.mark.parametrize(
    ("name", "text", "flavor"),
    [
        ("CHANGES.md", "1.0\n===\n", "markdown"),
        ("HISTORY.rst", "## not markdown here\n", "rst"),
        ("NEWS", "1.0 (2024-01-01)\n================\n", "rst"),
        ("NEWS.txt", "# News\n\n## 1.0\n", "markdown"),
        ("CHANGELOG", "Intro\n\n[1.0]: https://example.org\n", "markdown"),
    ],
)
def test_flavor_by_extension_then_content(name: str, text: str, flavor: Flavor) -> None:
    """.md and .rst decide; otherwise Markdown syntax makes it Markdown, else rST rules apply."""
    assert flavor == changelog_flavor(Path(name), text)


# Property tests: any entries, in any heading form, survive parse and release.

entry_lines = st.lists(
    st.text(
        alphabet=st.characters(blacklist_categories=["Cs", "Cc", "Zl", "Zp"]),
        min_size=1,
        max_size=40,
    ).map(lambda text: "- " + text),
    min_size=1,
    max_size=8,
)
STYLES: list[tuple[Flavor, str, str]] = [
    ("markdown", "## {}\n", "## [Unreleased]\n"),
    ("markdown", "{}\n" + "-" * 20 + "\n", "Unreleased\n----------\n"),
    ("rst", "{}\n" + "~" * 20 + "\n", "In development\n~~~~~~~~~~~~~~\n"),
    ("rst", "=" * 20 + "\n{}\n" + "=" * 20 + "\n", "==========\nUnreleased\n==========\n"),
]


@given(entry_lines, st.sampled_from(STYLES), st.booleans())
def test_any_form_round_trips_and_keeps_every_line(
    entries: list[str], style: tuple[Flavor, str, str], crlf: bool
) -> None:
    """Parse-then-render is the identity; a release keeps every line in order and adds one section."""
    flavor, release, unreleased = style
    body = "".join(line + "\n" for line in entries)
    text = f"Changelog\n\n{unreleased}\n{body}\n{release.format('1.0.0 (2020-01-01)')}\n- old\n"
    if crlf:
        text = text.replace("\n", "\r\n")
    parsed = parse(text, flavor)
    assert text == parsed.render()
    assert parsed.unreleased() is not None
    result = release_unreleased(
        parsed, version=Version("1.1.0"), date=RELEASE_DATE, new_tag="v1.1.0"
    )
    remaining = iter(result.splitlines())
    assert all(any(line == candidate for candidate in remaining) for line in text.splitlines())
    again = parse(result, flavor)
    assert [Version("1.1.0"), Version("1.0.0")] == [s.version for s in again.releases()]
    # Notes end with "\n" whatever the file's line endings: they are printed, not written back.
    assert (Version("1.1.0"), ("\r\n" if crlf else "\n").join(entries) + "\n") == notes(again)


# End to end: the installed command on real repositories with a remote.

INIT = '"""Demo."""\n\n__version__ = "1.2.3"\n'
SETEXT = """\
Changelog
=========

Unreleased
----------

- A new feature.

1.2.3 (2026-01-02)
------------------

- An old bug.
"""
RST = """\
=======
Changes
=======

Version 1.2.4 (unreleased)
~~~~~~~~~~~~~~~~~~~~~~~~~~

* A fix, with ``code``.

  .. note:: Kept as written.

Version 1.2.3 (2026-01-02)
~~~~~~~~~~~~~~~~~~~~~~~~~~

* An old bug.
"""
TOWNCRIER_PYPROJECT = (
    PYPROJECT + '\n[tool.towncrier]\ndirectory = "changelog.d"\nfilename = "CHANGES.rst"\n'
)
NEWS_FILE = """\
Changes
=======

.. towncrier release notes start

demo 1.2.3 (2026-01-02)
=======================

Bugfixes
--------

- An old bug.
"""
FRAGMENTS = {
    "changelog.d/12.feature.rst": "Added a widget.\n",
    "changelog.d/13.bugfix.rst": "Fixed the frobnicator.\n",
}


def project(make_repo: RepoBuilder, files: Mapping[str, str | bytes], **kwargs: Any) -> Repo:
    """The demo project at 1.2.3 (tagged v1.2.3) with the given changelog files."""
    return make_repo(
        {"pyproject.toml": PYPROJECT, "src/demo/__init__.py": INIT, **files},
        tags=("v1.2.3",),
        **kwargs,
    )


def prepare(repo: Repo, *args: str, env: dict[str, str] | None = None) -> Run:
    """``releasekit prepare patch`` with the fixed date."""
    return run_releasekit(repo.path, "prepare", "patch", *args, "--date", RELEASE_DATE, env=env)


def diff_of(stdout: str, name: str) -> str:
    """The diff of one file in the plan output, exactly as printed."""
    lines = stdout.splitlines()
    start = lines.index(f"--- a/{name}")
    block = lines[start : start + 2]
    for line in lines[start + 2 :]:
        if not line or line.startswith("--- a/"):
            break
        block.append(line)
    return "\n".join(block) + "\n"


def committed(repo: Repo) -> list[str]:
    """The files the last commit changed, sorted."""
    return sorted(repo.git("show", "--name-only", "--format=", "HEAD").splitlines())


def install_failing_hook(repo: Repo) -> None:
    """A pre-commit hook that refuses every commit."""
    hook = repo.path / ".git/hooks/pre-commit"
    hook.write_text('#!/bin/sh\necho "no commits today" >&2\nexit 1\n')
    hook.chmod(0o755)


def test_setext_changelog_end_to_end(make_repo: RepoBuilder) -> None:
    """A setext Markdown changelog: the dry run shows the new heading, the release commits it."""
    repo = project(make_repo, {"CHANGELOG.md": SETEXT})
    before = snapshot(repo)
    dry = prepare(repo, "--dry-run")
    assert 0 == dry.returncode, dry.stderr
    assert before == snapshot(repo)
    assert (
        "--- a/CHANGELOG.md\n"
        "+++ b/CHANGELOG.md\n"
        "@@ -3,6 +3,9 @@\n"
        " \n"
        " Unreleased\n"
        " ----------\n"
        "+\n"
        "+1.2.4 (2026-11-24)\n"
        "+------------------\n"
        " \n"
        " - A new feature.\n"
        " \n"
    ) == diff_of(dry.stdout, "CHANGELOG.md")
    assert "" == dry.stderr
    result = prepare(repo, "--yes")
    assert 0 == result.returncode, result.stderr
    assert SETEXT.replace(
        "\n- A new feature.", "\n1.2.4 (2026-11-24)\n------------------\n\n- A new feature."
    ) == repo.read("CHANGELOG.md")
    assert ["CHANGELOG.md", "pyproject.toml", "src/demo/__init__.py"] == committed(repo)
    assert repo.git("rev-parse", "HEAD") == repo.git("rev-parse", "v1.2.4^{commit}")
    notes_run = run_releasekit(repo.path, "notes")
    assert (0, "- A new feature.\n") == (notes_run.returncode, notes_run.stdout)


def test_rst_changelog_end_to_end_and_rollback(make_repo: RepoBuilder) -> None:
    """An rST changelog with a named unreleased version: diff, rollback, release, notes."""
    repo = project(make_repo, {"CHANGES.rst": RST})
    dry = prepare(repo, "--dry-run")
    assert 0 == dry.returncode, dry.stderr
    assert (
        "--- a/CHANGES.rst\n"
        "+++ b/CHANGES.rst\n"
        "@@ -2,7 +2,7 @@\n"
        " Changes\n"
        " =======\n"
        " \n"
        "-Version 1.2.4 (unreleased)\n"
        "+Version 1.2.4 (2026-11-24)\n"
        " ~~~~~~~~~~~~~~~~~~~~~~~~~~\n"
        " \n"
        " * A fix, with ``code``.\n"
    ) == diff_of(dry.stdout, "CHANGES.rst")
    install_failing_hook(repo)
    before = snapshot(repo)
    failed = prepare(repo, "--yes")
    assert 1 == failed.returncode
    assert failed.stderr.splitlines()[-1].startswith(
        "error: commit pyproject.toml, src/demo/__init__.py, CHANGES.rst as"
    )
    assert "every change was rolled back" in failed.stderr
    assert before == snapshot(repo)
    (repo.path / ".git/hooks/pre-commit").unlink()
    result = prepare(repo, "--yes")
    assert 0 == result.returncode, result.stderr
    assert RST.replace("1.2.4 (unreleased)", "1.2.4 (2026-11-24)") == repo.read("CHANGES.rst")
    assert ["CHANGES.rst", "pyproject.toml", "src/demo/__init__.py"] == committed(repo)
    assert "v1.2.4" == repo.git("describe", "--exact-match")
    notes_run = run_releasekit(repo.path, "notes", "1.2.4")
    expected = "* A fix, with ``code``.\n\n  .. note:: Kept as written.\n"
    assert (0, expected) == (notes_run.returncode, notes_run.stdout)


def towncrier_repo(make_repo: RepoBuilder, **files: str) -> Repo:
    """A towncrier project: news file CHANGES.rst, two fragments in changelog.d."""
    return project(
        make_repo,
        {"pyproject.toml": TOWNCRIER_PYPROJECT, "CHANGES.rst": NEWS_FILE, **FRAGMENTS, **files},
    )


def test_towncrier_dry_run_release_and_rollback(make_repo: RepoBuilder) -> None:
    """towncrier's build is shown as a diff, commits news file and deletions, rolls back exactly."""
    repo = towncrier_repo(make_repo)
    before = snapshot(repo)
    dry = prepare(repo, "--dry-run")
    assert 0 == dry.returncode, dry.stderr
    assert before == snapshot(repo)
    news = diff_of(dry.stdout, "CHANGES.rst")
    assert (
        "+demo 1.2.4 (2026-11-24)\n+=======================\n+\n+Features\n+--------\n+\n"
        "+- Added a widget. (#12)\n"
    ) in news
    assert "+- Fixed the frobnicator. (#13)\n" in news
    assert (
        "--- a/changelog.d/12.feature.rst\n+++ /dev/null\n@@ -1 +0,0 @@\n-Added a widget.\n"
    ) == diff_of(dry.stdout, "changelog.d/12.feature.rst")
    assert (
        "  3. towncrier build --version 1.2.4 --date 2026-11-24 --yes: write CHANGES.rst, "
        "remove 2 news fragments"
    ) in dry.stdout.splitlines()

    install_failing_hook(repo)
    failed = prepare(repo, "--yes")
    assert 1 == failed.returncode
    assert "every change was rolled back" in failed.stderr.splitlines()[-1]
    assert before == snapshot(repo)

    (repo.path / ".git/hooks/pre-commit").unlink()
    result = prepare(repo, "--yes")
    assert 0 == result.returncode, result.stderr
    assert sorted(["CHANGES.rst", "pyproject.toml", "src/demo/__init__.py", *FRAGMENTS]) == (
        committed(repo)
    )
    assert "D  changelog.d/12.feature.rst" not in repo.git("status", "--porcelain")
    assert "" == repo.git("status", "--porcelain")
    assert not (repo.path / "changelog.d/12.feature.rst").exists()
    assert "v1.2.4" == repo.git("describe", "--exact-match")
    notes_run = run_releasekit(repo.path, "notes")
    assert notes_run.stdout.startswith("Features\n--------\n\n- Added a widget. (#12)\n")


def test_no_changelog_releases_with_one_warning(make_repo: RepoBuilder) -> None:
    """Without any changelog, prepare releases the version files and says so once."""
    repo = project(make_repo, {})
    result = prepare(repo, "--yes")
    assert 0 == result.returncode, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert [
        "warning: no changelog found (CHANGELOG, CHANGES, HISTORY or NEWS (.md, .rst, .txt or "
        "none; any case; root or docs/)); releasing without one (--no-changelog or "
        "changelog = false says so and silences this)"
    ] == warnings
    assert ["pyproject.toml", "src/demo/__init__.py"] == committed(repo)


@pytest.mark.parametrize(
    ("args", "pyproject", "env"),
    [
        (("--no-changelog",), PYPROJECT, None),
        ((), PYPROJECT + "\n[tool.releasekit]\nchangelog = false\n", None),
        ((), PYPROJECT, {"RELEASEKIT_CHANGELOG": "false"}),
        ((), TOWNCRIER_PYPROJECT + "\n[tool.releasekit]\nchangelog = false\n", None),
    ],
    ids=["flag", "setting", "environment", "towncrier-off"],
)
def test_changelog_step_turned_off(
    make_repo: RepoBuilder, args: tuple[str, ...], pyproject: str, env: dict[str, str] | None
) -> None:
    """--no-changelog and changelog = false leave the changelog alone, without a warning."""
    repo = project(make_repo, {"pyproject.toml": pyproject, "CHANGELOG.md": CHANGELOG, **FRAGMENTS})
    result = prepare(repo, "--yes", *args, env=env)
    assert 0 == result.returncode, result.stderr
    assert "warning" not in result.stderr
    assert CHANGELOG == repo.read("CHANGELOG.md")
    assert ["pyproject.toml", "src/demo/__init__.py"] == committed(repo)


@pytest.mark.parametrize(
    ("name", "text", "heading"),
    [
        ("Changes.rst", RST, "Version 1.2.4 (2026-11-24)\n~~~~~~~~~~~~~~~~~~~~~~~~~~\n"),
        ("HISTORY.md", CHANGELOG, "## [Unreleased]\n\n## [1.2.4] - 2026-11-24\n"),
        ("NEWS", SETEXT, "1.2.4 (2026-11-24)\n------------------\n"),
        ("docs/changelog.rst", SETEXT, "1.2.4 (2026-11-24)\n------------------\n"),
    ],
)
def test_usual_names_found_in_any_case(
    make_repo: RepoBuilder, name: str, text: str, heading: str
) -> None:
    """Changes.rst, HISTORY.md, NEWS and docs/changelog.rst are found and released."""
    repo = project(make_repo, {name: text})
    result = prepare(repo, "--yes")
    assert 0 == result.returncode, result.stderr
    assert heading in repo.read(name)
    assert name in committed(repo)


def run_without_towncrier(repo: Repo, tmp_path: Path, *args: str) -> Run:
    """Run releasekit where towncrier is neither on PATH nor importable (git still is)."""
    bin_dir = tmp_path / "bin-without-towncrier"
    bin_dir.mkdir()
    git = shutil.which("git")
    assert git is not None
    (bin_dir / "git").symlink_to(git)
    code = "import sys; sys.modules['towncrier'] = None; from releasekit.cli import main; main()"
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=repo.path,
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": str(bin_dir)},
        check=False,
        timeout=120,
    )
    return Run(result.returncode, result.stdout, result.stderr)


def test_towncrier_missing_is_one_line(make_repo: RepoBuilder, tmp_path: Path) -> None:
    """towncrier configured but not installed: exit 2, how to install it, nothing changed."""
    repo = towncrier_repo(make_repo)
    before = snapshot(repo)
    result = run_without_towncrier(repo, tmp_path, "prepare", "patch", "--yes")
    assert (2, "") == (result.returncode, result.stdout)
    assert (
        "error: pyproject.toml: towncrier is configured but not installed; "
        "install it: pip install towncrier, or uv tool install towncrier\n"
    ) == result.stderr
    assert before == snapshot(repo)


# Every new changelog error: one line, exit 2, nothing modified.
ERRORS = [
    pytest.param(
        {"CHANGES.rst": "Changes\n=======\n\n1.2.3\n-----\n\n- Old.\n"},
        "error: CHANGES.rst: no 'Unreleased' section; add an 'Unreleased' heading, marked like "
        "the release headings, with this release's entries above the newest release, or release "
        "without a changelog entry (--no-changelog)\n",
        id="rst-no-unreleased",
    ),
    pytest.param(
        {"CHANGELOG.md": b"# Changelog\n\n## Unreleased\n\n- caf\xe9\n"},
        "error: CHANGELOG.md: the changelog is not UTF-8 text; save it as UTF-8\n",
        id="not-utf8",
    ),
    pytest.param(
        {"pyproject.toml": TOWNCRIER_PYPROJECT, "CHANGES.rst": NEWS_FILE},
        "error: pyproject.toml: there are no news fragments for this release; add fragments "
        "(towncrier create), or pass --allow-empty-changelog\n",
        id="towncrier-no-fragments",
    ),
    pytest.param(
        {"pyproject.toml": TOWNCRIER_PYPROJECT, **FRAGMENTS},
        "error: pyproject.toml: towncrier build would create CHANGES.rst; create the news file "
        "(with towncrier's start line) and commit it, then run again\n",
        id="towncrier-would-create",
    ),
    pytest.param(
        {
            "pyproject.toml": TOWNCRIER_PYPROJECT + 'template = "missing.rst.j2"\n',
            "CHANGES.rst": NEWS_FILE,
            **FRAGMENTS,
        },
        "error: pyproject.toml: towncrier build failed: ",
        id="towncrier-fails",
    ),
]


@pytest.mark.parametrize(("files", "message"), ERRORS)
def test_changelog_errors(
    make_repo: RepoBuilder, files: dict[str, str | bytes], message: str
) -> None:
    """Each changelog problem is one line with exit 2, and the repository is left as it was."""
    repo = project(make_repo, files)
    before = snapshot(repo)
    result = prepare(repo, "--yes")
    assert 2 == result.returncode
    assert 1 == len(result.stderr.splitlines()), result.stderr
    assert result.stderr.startswith(message)
    assert before == snapshot(repo)


@pytest.mark.parametrize(
    ("pyproject", "message"),
    [
        (
            PYPROJECT,
            "no changelog found (CHANGELOG, CHANGES, HISTORY or NEWS (.md, .rst, .txt or none; "
            "any case; root or docs/)); create one, or set changelog to its name in "
            "[tool.releasekit]\n",
        ),
        (
            PYPROJECT + "\n[tool.releasekit]\nchangelog = false\n",
            "error: there is no changelog: changelog = false; set changelog to the file's name "
            "in [tool.releasekit]\n",
        ),
    ],
)
def test_notes_without_a_changelog(make_repo: RepoBuilder, pyproject: str, message: str) -> None:
    """notes with no changelog found, or with changelog = false: one line, exit 2."""
    repo = project(make_repo, {"pyproject.toml": pyproject})
    result = run_releasekit(repo.path, "notes")
    assert 2 == result.returncode
    assert result.stderr.startswith("error: ")
    assert result.stderr.endswith(message)
    assert 1 == len(result.stderr.splitlines())


def doctor_changelog_findings(repo: Repo) -> list[tuple[str, str]]:
    """(id, file) of doctor's changelog findings."""
    result = run_releasekit(repo.path, "doctor", "--json")
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    return [(f["id"], f["file"]) for f in report["findings"] if f["id"].startswith("changelog")]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"CHANGES.rst": RST}, []),
        (
            {"HISTORY.md": SETEXT.replace("Unreleased", "Notes     ")},
            [("changelog-no-unreleased", "HISTORY.md")],
        ),
        ({"pyproject.toml": TOWNCRIER_PYPROJECT, "CHANGES.rst": NEWS_FILE}, []),
        (
            {"NEWS.txt": "1.0.0\n=====\n\n- First.\n"},
            [("changelog-no-unreleased", "NEWS.txt"), ("changelog-missing-release", "NEWS.txt")],
        ),
        ({}, [("changelog-missing", "CHANGELOG.md")]),
        ({"pyproject.toml": PYPROJECT + "\n[tool.releasekit]\nchangelog = false\n"}, []),
    ],
    ids=["rst", "setext-no-unreleased", "towncrier", "txt-missing-release", "missing", "off"],
)
def test_doctor_reads_every_form(
    make_repo: RepoBuilder, files: dict[str, str], expected: list[tuple[str, str]]
) -> None:
    """doctor finds the changelog by its usual names and reads rST, setext and towncrier files."""
    assert expected == doctor_changelog_findings(project(make_repo, files))


BLACK_LIKE = """\
# Change Log

## Unreleased

<!-- PR authors:
     Please include the PR number in the changelog entry, not the issue number -->

- Top entry (#1)

### Highlights

<!-- Include any especially major or disruptive changes here -->

### Stable style

<!-- Changes that affect the stable style -->

- Fix a thing (#2)

## Version 26.5.1

### Stable style

- Old (#0)
"""


def test_a_template_stays_under_unreleased_and_only_entries_are_released() -> None:
    """Comments and empty sub-sections stay for the next release; entries move under the new one."""
    out = release_unreleased(
        parse(BLACK_LIKE), version=Version("26.5.2"), date=RELEASE_DATE, new_tag="26.5.2"
    )
    assert (
        "# Change Log\n\n## Unreleased\n\n<!-- PR authors:\n"
        "     Please include the PR number in the changelog entry, not the issue number -->\n\n"
        "### Highlights\n\n<!-- Include any especially major or disruptive changes here -->\n\n"
        "### Stable style\n\n<!-- Changes that affect the stable style -->\n\n"
        "## Version 26.5.2\n\n- Top entry (#1)\n\n### Stable style\n\n- Fix a thing (#2)\n\n"
        "## Version 26.5.1\n\n### Stable style\n\n- Old (#0)\n"
    ) == out
    assert (Version("26.5.2"), "- Top entry (#1)\n\n### Stable style\n\n- Fix a thing (#2)\n") == (
        notes(parse(out))
    )


def test_a_template_without_entries_is_an_empty_unreleased_section() -> None:
    """Comments and sub-headings alone are no entries: the release is refused as empty."""
    released_once = release_unreleased(
        parse(BLACK_LIKE), version=Version("26.5.2"), date=RELEASE_DATE, new_tag="26.5.2"
    )
    with pytest.raises(ChangelogError) as caught:
        release_unreleased(
            parse(released_once), version=Version("26.5.3"), date=RELEASE_DATE, new_tag="26.5.3"
        )
    assert "the Unreleased section has no entries" == caught.value.message


def test_an_rst_template_keeps_its_comments() -> None:
    """rST comments (``..`` lines, not directives) are template too."""
    text = (
        "Unreleased\n----------\n\n.. Add entries below, newest first.\n\n- New.\n\n"
        "1.2.0 (2024-01-01)\n------------------\n\n- Old.\n"
    )
    assert (
        "Unreleased\n----------\n\n.. Add entries below, newest first.\n\n"
        "1.3.0 (2026-11-24)\n------------------\n\n- New.\n\n"
        "1.2.0 (2024-01-01)\n------------------\n\n- Old.\n"
    ) == released(text, "rst")
