"""Changelog entries drafted from Conventional Commits, written into every changelog form.

Unit tests of ``releasekit.changelog_draft``: the type -> heading table, entry text and links
(GitHub, GitLab, none; Markdown and reStructuredText), merging into the Unreleased section of
each form ``changelog.py`` reads (hand-written entries kept, idempotent), a whole changelog, and
towncrier fragments rendered by the real towncrier in its throwaway copy.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.version import Version

from releasekit.changelog import notes, parse, release_unreleased, web_base
from releasekit.changelog_draft import (
    Release,
    add_to_unreleased,
    draft,
    entry_text,
    notes_body,
    reference_url,
    render_changelog,
    section_map,
    towncrier_fragments,
)
from releasekit.changelog_syntax import Flavor
from releasekit.commits import Change
from releasekit.towncrier import fragment_layout, plan_towncrier, towncrier_config
from tests.support import PYPROJECT, RELEASE_DATE, RepoBuilder
from tests.test_changelog_forms import BLACK_LIKE, FORMS, NEWS_FILE

GITHUB = "git@github.com:example/demo.git"
GITLAB = "https://gitlab.example.org/group/demo.git"
HASH_A = "a1b2c3d" + "0" * 33
HASH_B = "b2c3d4e" + "1" * 33
HASH_C = "c3d4e5f" + "2" * 33
HASH_D = "d4e5f6a" + "3" * 33


def change(
    commit: str,
    kind: str,
    description: str,
    *,
    scope: str | None = None,
    breaking: bool = False,
    breaking_text: str | None = None,
    references: tuple[str, ...] = (),
) -> Change:
    """A parsed change, as ``commits.read_log`` gives them."""
    return Change(commit, kind, scope, description, breaking, breaking_text, references)


CHANGES = (
    change(HASH_A, "feat", "Add the widget", scope="api"),
    change(HASH_B, "fix", "Stop the crash", references=("#7",)),
    change(HASH_C, "docs", "Explain the widget"),
    change(HASH_D, "perf", "Start faster", breaking=True),
)


def link(short: str, commit: str) -> str:
    """The Markdown link of a commit on the GitHub remote."""
    return f"[{short}](https://github.com/example/demo/commit/{commit})"


def test_section_map_defaults_overrides_and_dropped_types() -> None:
    """The setting replaces and extends the table; an empty heading leaves a type out."""
    table = section_map({"docs": "Documentation", "perf": "", "Feat": "Features"})
    assert "Documentation" == table["docs"]
    assert "Features" == table["feat"]
    assert "perf" not in table
    assert ("Fixed", "Changed", "Deprecated", "Removed", "Security") == (
        table["fix"],
        table["revert"],
        table["deprecate"],
        table["removal"],
        table["sec"],
    )
    assert "chore" not in section_map(None)


def test_draft_leaves_out_other_types_and_orders_headings() -> None:
    """docs/chore/ci/... are left out; headings come in Keep a Changelog order, custom last."""
    extra = (change(HASH_C, "security", "Escape the input"), change(HASH_D, "chore", "Tidy"))
    drafted = draft(
        (*CHANGES, *extra, change(HASH_A, "docs", "More docs")),
        sections={"docs": "Documentation"},
    )
    assert ["Added", "Changed", "Fixed", "Security", "Documentation"] == drafted.headings()
    assert ["Escape the input"] == [entry.change.description for entry in drafted.under("Security")]
    assert "Tidy" not in [entry.change.description for entry in drafted.entries]


def test_entry_links_on_github_gitlab_and_elsewhere() -> None:
    """Commit and references link to the forge; issues named in the text are linked in place."""
    feat = change(
        HASH_A,
        "feat",
        "Add the widget (#12)",
        scope="api",
        references=("#12", "!3", "other/repo#5", "GH-9"),
    )
    github = draft([feat], remote_url=GITHUB)
    assert (
        "**api:** Add the widget ([#12](https://github.com/example/demo/issues/12)) "
        "(!3, [other/repo#5](https://github.com/other/repo/issues/5), "
        "[GH-9](https://github.com/example/demo/issues/9), "
        f"{link('a1b2c3d', HASH_A)})"
    ) == entry_text(github.entries[0], "markdown", github.remote)
    gitlab = draft([feat], remote_url=GITLAB)
    base = "https://gitlab.example.org/group/demo"
    assert (
        f"**api:** Add the widget ([#12]({base}/-/issues/12)) "
        f"([!3]({base}/-/merge_requests/3), "
        "[other/repo#5](https://gitlab.example.org/other/repo/-/issues/5), GH-9, "
        f"[a1b2c3d]({base}/-/commit/{HASH_A}))"
    ) == entry_text(gitlab.entries[0], "markdown", gitlab.remote)
    plain = draft([feat], remote_url="/srv/git/demo.git")
    assert "**api:** Add the widget (#12) (!3, other/repo#5, GH-9, a1b2c3d)" == entry_text(
        plain.entries[0], "markdown", plain.remote
    )


@pytest.mark.parametrize(
    ("description", "linked"),
    [
        ("Fix a#12 and #12", "Fix a#12 and [#12](https://github.com/example/demo/issues/12)"),
        ("See x/#12 or #123, then #12_b", None),
        ("Über#12 then (#12)", "Über#12 then ([#12](https://github.com/example/demo/issues/12))"),
        ("#12", "[#12](https://github.com/example/demo/issues/12)"),
    ],
)
def test_reference_is_linked_where_it_stands_alone(description: str, linked: str | None) -> None:
    """A reference is linked in place only where no word or "/" touches it, else it follows."""
    drafted = draft([change(HASH_A, "fix", description, references=("#12",))], remote_url=GITHUB)
    text = entry_text(drafted.entries[0], "markdown", drafted.remote)
    if linked is None:
        assert text.startswith(f"{description} ([#12](https://github.com/"), text
    else:
        assert text.startswith(f"{linked} ([a1b2c3d]"), text


def test_rst_entries_use_anonymous_links_and_breaking_is_marked() -> None:
    """reStructuredText gets ``text <url>`__`` links; a breaking change is marked first."""
    breaking = change(HASH_D, "fix", "Drop the old call", breaking=True, breaking_text="Use new()")
    drafted = draft([breaking], remote_url=GITHUB)
    assert (
        "**Breaking:** Drop the old call (Use new()) "
        f"(`d4e5f6a <https://github.com/example/demo/commit/{HASH_D}>`__)"
    ) == entry_text(drafted.entries[0], "rst", drafted.remote)


def test_a_revert_says_what_it_undoes() -> None:
    """A revert's entry names the header it undoes, under Changed."""
    revert = change(HASH_C, "revert", "feat: add the widget (#12)", references=("#12",))
    drafted = draft([revert])
    assert ["Changed"] == drafted.headings()
    assert 'Revert "feat: add the widget (#12)" (c3d4e5f)' == entry_text(
        drafted.entries[0], "markdown", None
    )


def released_lines_kept(before: str, after: str) -> bool:
    """Whether every line of ``before`` is in ``after``, in order (nothing lost or rewritten)."""
    remaining = iter(after.splitlines())
    return all(any(line == other for other in remaining) for line in before.splitlines())


@pytest.mark.parametrize(("flavor", "before", "after"), FORMS)
def test_every_form_takes_the_entries_once_and_still_releases(
    flavor: Flavor, before: str, after: str
) -> None:
    """Each form: entries land in Unreleased, nothing is lost, twice is once, and it releases."""
    del after
    drafted = draft(CHANGES, remote_url=GITHUB)
    once = add_to_unreleased(parse(before, flavor), drafted)
    assert once == add_to_unreleased(parse(once, flavor), drafted)
    assert released_lines_kept(before, once)
    section = parse(once, flavor).unreleased()
    assert section is not None
    body = "".join(parse(once, flavor).lines[section.heading.end : section.end])
    for short in ("a1b2c3d", "b2c3d4e", "d4e5f6a"):
        assert short in body
    assert "c3d4e5f" not in once  # docs are left out
    out = release_unreleased(
        parse(once, flavor), version=Version("1.3.0"), date=RELEASE_DATE, new_tag="v1.3.0"
    )
    _, released = notes(parse(out, flavor), Version("1.3.0"))
    assert "New." in released
    assert "Stop the crash" in released


TYPES = st.sampled_from(["feat", "fix", "perf", "docs", "revert", "security", "remove"])
WORDS = st.text(alphabet="abcdefgh #`*_()[]", min_size=1, max_size=20).map(str.strip).filter(bool)
CHANGE_LISTS = st.lists(
    st.builds(
        change,
        st.text(alphabet="0123456789abcdef", min_size=40, max_size=40),
        TYPES,
        WORDS,
        scope=st.none() | st.sampled_from(["api", "core"]),
        breaking=st.booleans(),
    ),
    max_size=6,
)


@settings(max_examples=60, deadline=None)
@given(form=st.sampled_from(FORMS), changes=CHANGE_LISTS, remote=st.sampled_from([None, GITHUB]))
def test_drafting_is_idempotent_and_loses_nothing(
    form: object, changes: list[Change], remote: str | None
) -> None:
    """Any changes into any form: every line kept, and drafting again changes nothing."""
    flavor, before, _ = form.values  # type: ignore[attr-defined]
    drafted = draft(changes, remote_url=remote)
    once = add_to_unreleased(parse(before, flavor), drafted)
    assert released_lines_kept(before, once)
    assert once == add_to_unreleased(parse(once, flavor), drafted)


def test_entries_merge_with_hand_written_ones_in_kac_order() -> None:
    """Existing sub-sections get the entries after theirs; new ones are placed in KaC order."""
    text = (
        "# Changelog\n\n## [Unreleased]\n\n### Fixed\n\n- A hand-written fix.\n\n"
        "## [1.2.0] - 2024-01-01\n\n### Added\n\n- Old.\n\n"
        "[Unreleased]: https://github.com/example/demo/compare/v1.2.0...HEAD\n"
    )
    out = add_to_unreleased(parse(text), draft(CHANGES, remote_url=GITHUB))
    assert (
        "# Changelog\n\n## [Unreleased]\n\n"
        f"### Added\n\n- **api:** Add the widget ({link('a1b2c3d', HASH_A)})\n\n"
        f"### Changed\n\n- **Breaking:** Start faster ({link('d4e5f6a', HASH_D)})\n\n"
        "### Fixed\n\n- A hand-written fix.\n"
        "- Stop the crash ([#7](https://github.com/example/demo/issues/7), "
        f"{link('b2c3d4e', HASH_B)})\n\n"
        "## [1.2.0] - 2024-01-01\n\n### Added\n\n- Old.\n\n"
        "[Unreleased]: https://github.com/example/demo/compare/v1.2.0...HEAD\n"
    ) == out


def test_a_hand_written_entry_with_the_description_is_not_repeated() -> None:
    """An entry that says exactly the description (case and full stop aside) counts as it."""
    text = "## Unreleased\n\n### Fixed\n\n* stop the crash.\n\n## 1.2.0\n\n* Old.\n"
    out = add_to_unreleased(parse(text), draft(CHANGES[1:2]))
    assert text == out


def test_squash_entries_sharing_a_hash_are_each_added_once() -> None:
    """A squash merge's entries share one hash: each is recognised by its own text."""
    squash = (change(HASH_A, "feat", "One thing"), change(HASH_A, "fix", "Another thing"))
    drafted = draft(squash)
    once = add_to_unreleased(parse("## Unreleased\n"), drafted)
    assert (
        "## Unreleased\n\n### Added\n\n- One thing (a1b2c3d)\n\n"
        "### Fixed\n\n- Another thing (a1b2c3d)\n"
    ) == once
    assert once == add_to_unreleased(parse(once), drafted)


def test_a_hash_already_released_is_not_drafted_again() -> None:
    """A commit named anywhere in the file (a released section too) is in the changelog."""
    text = "## Unreleased\n\n## 1.2.0\n\n- Add the widget (a1b2c3d)\n"
    out = add_to_unreleased(parse(text), draft(CHANGES[:1]))
    assert text == out


@pytest.mark.parametrize(
    ("flavor", "before", "after"),
    [
        pytest.param(
            "markdown",
            "# Changelog\n\n## [1.2.0] - 2024-01-01\n\n- Old.\n",
            "# Changelog\n\n## [Unreleased]\n\n### Fixed\n\n- Stop the crash (#7, b2c3d4e)\n\n"
            "## [1.2.0] - 2024-01-01\n\n- Old.\n",
            id="markdown-bracketed",
        ),
        pytest.param(
            "rst",
            "Changes\n=======\n\n1.2.0 (2024-01-01)\n------------------\n\n- Old.\n",
            "Changes\n=======\n\nUnreleased\n----------\n\nFixed\n~~~~~\n\n"
            "- Stop the crash (#7, b2c3d4e)\n\n1.2.0 (2024-01-01)\n------------------\n\n- Old.\n",
            id="rst-underlined",
        ),
        pytest.param(
            "markdown",
            "",
            "# Changelog\n\n## Unreleased\n\n### Fixed\n\n- Stop the crash (#7, b2c3d4e)\n",
            id="empty-file",
        ),
        pytest.param(
            "markdown",
            "# Changelog\n\nNotes below.",
            "# Changelog\n\nNotes below.\n\n## Unreleased\n\n### Fixed\n\n"
            "- Stop the crash (#7, b2c3d4e)\n",
            id="no-releases-no-final-newline",
        ),
    ],
)
def test_a_missing_unreleased_section_is_added_in_the_files_style(
    flavor: Flavor, before: str, after: str
) -> None:
    """Without an Unreleased section, one is added above the newest release, marked alike."""
    assert after == add_to_unreleased(parse(before, flavor), draft(CHANGES[1:2]))


def test_a_template_section_keeps_its_skeleton() -> None:
    """black's template: comments and empty sub-sections stay; entries follow the known ones."""
    out = add_to_unreleased(parse(BLACK_LIKE), draft(CHANGES[1:2]))
    assert released_lines_kept(BLACK_LIKE, out)
    assert (
        "### Stable style\n\n<!-- Changes that affect the stable style -->\n\n- Fix a thing (#2)\n\n"
        "### Fixed\n\n- Stop the crash (#7, b2c3d4e)\n\n## Version 26.5.1"
    ) in out
    released = release_unreleased(
        parse(out), version=Version("26.5.2"), date=RELEASE_DATE, new_tag="26.5.2"
    )
    assert "### Fixed\n\n- Stop the crash (#7, b2c3d4e)\n" in notes(parse(released))[1]


def test_crlf_files_stay_crlf() -> None:
    """The file's own line endings are used for the lines added."""
    text = "## Unreleased\r\n\r\n- New.\r\n\r\n## 1.2.0\r\n\r\n- Old.\r\n"
    out = add_to_unreleased(parse(text), draft(CHANGES[1:2]))
    assert (
        "## Unreleased\r\n\r\n- New.\r\n\r\n### Fixed\r\n\r\n- Stop the crash (#7, b2c3d4e)\r\n"
        "\r\n## 1.2.0\r\n\r\n- Old.\r\n"
    ) == out


def test_notes_body_follows_the_changelog_style() -> None:
    """The printed draft uses the file's sub-heading marks and bullets, Markdown by default."""
    drafted = draft(CHANGES[:2])
    assert (
        "### Added\n\n- **api:** Add the widget (a1b2c3d)\n\n"
        "### Fixed\n\n- Stop the crash (#7, b2c3d4e)\n"
    ) == notes_body(drafted, None)
    rst = parse("Changes\n=======\n\n1.2.0\n-----\n\nBug fixes\n^^^^^^^^^\n\n* Old.\n", "rst")
    assert (
        "Added\n^^^^^\n\n* **api:** Add the widget (a1b2c3d)\n\n"
        "Fixed\n^^^^^\n\n* Stop the crash (#7, b2c3d4e)\n"
    ) == notes_body(drafted, rst)


def test_whole_changelog_with_compare_links_and_dates() -> None:
    """Releases newest first, dated, with compare links; an empty release says so."""
    releases = [
        Release(None, None, None, draft(CHANGES[:1], remote_url=GITHUB)),
        Release("v1.1.0", "1.1.0", "2024-02-01", draft(CHANGES[1:2], remote_url=GITHUB)),
        Release("v1.0.0", "1.0.0", "2024-01-01", draft((), remote_url=GITHUB)),
    ]
    base = "https://github.com/example/demo"
    assert (
        "# Changelog\n\n## [Unreleased]\n\n"
        f"### Added\n\n- **api:** Add the widget ({link('a1b2c3d', HASH_A)})\n\n"
        "## [1.1.0] - 2024-02-01\n\n"
        f"### Fixed\n\n- Stop the crash ([#7]({base}/issues/7), {link('b2c3d4e', HASH_B)})\n\n"
        "## [1.0.0] - 2024-01-01\n\nNo notable changes.\n\n"
        f"[Unreleased]: {base}/compare/v1.1.0...HEAD\n"
        f"[1.1.0]: {base}/compare/v1.0.0...v1.1.0\n"
        f"[1.0.0]: {base}/releases/tag/v1.0.0\n"
    ) == render_changelog(releases, "markdown", draft((), remote_url=GITHUB).remote)
    plain = [Release("v1.0.0", "1.0.0", "2024-01-01", draft(CHANGES[1:2]))]
    assert (
        "=========\nChangelog\n=========\n\n1.0.0 (2024-01-01)\n------------------\n\n"
        "Fixed\n~~~~~\n\n- Stop the crash (#7, b2c3d4e)\n"
    ) == render_changelog(plain, "rst", None)


TOWNCRIER_TYPES = (
    PYPROJECT + '\n[tool.towncrier]\ndirectory = "changelog.d"\nfilename = "CHANGES.rst"\n'
    '\n[[tool.towncrier.type]]\ndirectory = "added"\nname = "Added"\nshowcontent = true\n'
    '\n[[tool.towncrier.type]]\ndirectory = "fixed"\nname = "Fixed"\nshowcontent = true\n'
)


def test_fragments_map_onto_the_configured_types(tmp_path: Path) -> None:
    """Fragment names follow the configured types; a hash already in a fragment is skipped."""
    (tmp_path / "pyproject.toml").write_text(TOWNCRIER_TYPES)
    (tmp_path / "changelog.d").mkdir()
    (tmp_path / "changelog.d/12.fixed.rst").write_text("Stop the crash (b2c3d4e).\n")
    config = towncrier_config(tmp_path)
    assert config is not None
    layout = fragment_layout(tmp_path, config)
    assert ("changelog.d", ".rst", "+") == (
        layout.directory,
        layout.extension,
        layout.orphan_prefix,
    )
    fragments = towncrier_fragments(tmp_path, layout, draft(CHANGES))
    assert {
        "changelog.d/+a1b2c3d.added.rst": "**api:** Add the widget (a1b2c3d)\n",
        # No "changed" type: perf falls back to the first configured type.
        "changelog.d/+d4e5f6a.added.rst": "**Breaking:** Start faster (d4e5f6a)\n",
    } == fragments


def test_default_types_and_markdown_news_file(tmp_path: Path) -> None:
    """Without types, towncrier's defaults; a Markdown news file gets .md fragments."""
    (tmp_path / "towncrier.toml").write_text(
        '[tool.towncrier]\npackage = "demo"\npackage_dir = "src"\nfilename = "NEWS.md"\n'
    )
    config = towncrier_config(tmp_path)
    assert config is not None
    layout = fragment_layout(tmp_path, config)
    squash = (*CHANGES, change(HASH_A, "feat", "Second entry"))
    assert [
        "src/demo/newsfragments/+a1b2c3d.feature.md",
        "src/demo/newsfragments/+b2c3d4e.bugfix.md",
        "src/demo/newsfragments/+d4e5f6a.feature.md",
        "src/demo/newsfragments/+a1b2c3d.feature.1.md",
    ] == list(towncrier_fragments(tmp_path, layout, draft(squash)))


def test_towncrier_renders_drafted_fragments_without_creating_them(
    make_repo: RepoBuilder,
) -> None:
    """The drafted fragments are built in the throwaway copy only: the project never holds them."""
    repo = make_repo(
        {
            "pyproject.toml": PYPROJECT
            + '\n[tool.towncrier]\ndirectory = "changelog.d"\nfilename = "CHANGES.rst"\n',
            "CHANGES.rst": NEWS_FILE,
        },
        remote=False,
    )
    config = towncrier_config(repo.path)
    assert config is not None
    extra = towncrier_fragments(repo.path, fragment_layout(repo.path, config), draft(CHANGES))
    build = plan_towncrier(
        repo.path,
        config,
        version=Version("1.3.0"),
        date=RELEASE_DATE,
        allow_empty=False,
        env=os.environ,
        extra_fragments=extra,
    )
    assert not (repo.path / "changelog.d").exists()
    assert [] == [part.display for part in build.removals]
    (written,) = build.writes
    assert written.new is not None
    news = written.new.decode()
    assert "**api:** Add the widget (a1b2c3d)" in news
    assert "Stop the crash (#7, b2c3d4e)" in news
    assert "1.3.0 (2026-11-24)" in news


# reStructuredText labels (python-semantic-release's CHANGELOG.rst) stay on their headings.

PSR_RST = """.. _changelog:

=========
CHANGELOG
=========

.. _changelog-v1.0.0:

v1.0.0 (2024-01-01)
===================

Features
--------

* **api**: The first feature (`0a1b2c3`_)

.. _0a1b2c3: https://github.com/example/demo/commit/0a1b2c3


.. _changelog-v0.9.0:

v0.9.0 (2023-12-01)
===================

Bug Fixes
---------

* A fix
"""


def labels_and_headings(text: str) -> list[str]:
    """The label lines and the heading lines that follow each, in order, blanks dropped."""
    kept = [line for line in text.splitlines() if line.strip()]
    return [
        line
        for index, line in enumerate(kept)
        if line.startswith(".. _changelog")
        or (index and kept[index - 1].startswith(".. _changelog"))
    ]


def test_rst_labels_stay_attached_when_drafting_and_releasing() -> None:
    """PSR's ``.. _changelog-v1.0.0:`` labels keep naming their headings; the new release has none."""
    drafted = add_to_unreleased(parse(PSR_RST, "rst"), draft(CHANGES, remote_url=GITHUB))
    before_release = labels_and_headings(PSR_RST)
    assert before_release == labels_and_headings(drafted)
    unreleased = drafted.index("\nUnreleased\n")
    assert drafted.index(".. _changelog-v1.0.0:") > unreleased
    assert drafted.index("`a1b2c3d <") < drafted.index(".. _changelog-v1.0.0:")
    assert "\n\n.. _changelog-v1.0.0:\n\nv1.0.0 (2024-01-01)\n" in drafted
    released = release_unreleased(
        parse(drafted, "rst"), version=Version("1.1.0"), date=RELEASE_DATE, new_tag="v1.1.0"
    )
    assert before_release == labels_and_headings(released)
    new = released.index(f"\nv1.1.0 ({RELEASE_DATE})\n")
    assert released.index("`a1b2c3d <") > new
    assert released.index("`a1b2c3d <") < released.index(".. _changelog-v1.0.0:")
    # The release's notes end with its own entries, not with the next release's label.
    assert notes(parse(released, "rst"))[1].rstrip().endswith(">`__)")
    assert "_changelog" not in notes(parse(released, "rst"), Version("1.0.0"))[1]


def test_rst_labels_stay_attached_with_an_unreleased_section() -> None:
    """Entries drafted into an existing Unreleased section go above the next release's label."""
    text = PSR_RST.replace(
        ".. _changelog-v1.0.0:",
        ".. _changelog-unreleased:\n\nUnreleased\n==========\n\n.. _changelog-v1.0.0:",
    )
    drafted = add_to_unreleased(parse(text, "rst"), draft(CHANGES))
    assert labels_and_headings(text) == labels_and_headings(drafted)
    assert drafted.index("a1b2c3d") < drafted.index(".. _changelog-v1.0.0:")
    assert "b2c3d4e)\n\n.. _changelog-v1.0.0:\n\nv1.0.0" in drafted
    changelog = parse(drafted, "rst")
    released = release_unreleased(
        changelog, version=Version("1.1.0"), date=RELEASE_DATE, new_tag="v1.1.0"
    )
    assert labels_and_headings(text) == labels_and_headings(released)
    assert (
        released.index("v1.1.0 (")
        < released.index("a1b2c3d")
        < released.index(".. _changelog-v1.0.0:")
    )


def test_markdown_anchors_stay_attached() -> None:
    """conventional-changelog's ``<a name="1.0.0"></a>`` stays above its heading."""
    text = '# Changelog\n\n<a name="1.0.0"></a>\n## 1.0.0 (2024-01-01)\n\n- First.\n'
    drafted = add_to_unreleased(parse(text), draft(CHANGES))
    assert "- First.\n" in drafted
    assert drafted.index("a1b2c3d") < drafted.index('<a name="1.0.0"></a>\n## 1.0.0')
    assert drafted.index("## Unreleased") < drafted.index("a1b2c3d")


GITLAB_BASE = "https://gitlab.example.org"


@pytest.mark.parametrize(
    ("reference", "github", "gitlab"),
    [
        ("#12", "/example/demo/issues/12", "/group/demo/-/issues/12"),
        ("#\u0661\u0662", "/example/demo/issues/\u0661\u0662", "/group/demo/-/issues/\u0661\u0662"),
        ("#\u00b2", None, None),  # a superscript is a digit to ``isdigit``, not to ``\\d``
        ("#", None, None),
        ("#12\n", "/example/demo/issues/12", "/group/demo/-/issues/12"),
        ("!3", None, "/group/demo/-/merge_requests/3"),
        ("other/repo#5", "/other/repo/issues/5", "/other/repo/-/issues/5"),
    ],
)
def test_reference_url_on_each_forge(
    reference: str, github: str | None, gitlab: str | None
) -> None:
    """``#N`` (read without the pattern) links as the pattern reads it; other forms as before."""
    assert (github and f"https://github.com{github}") == reference_url(reference, web_base(GITHUB))
    assert (gitlab and f"{GITLAB_BASE}{gitlab}") == reference_url(reference, web_base(GITLAB))
    assert reference_url(reference, None) is None


def test_grouped_headings_in_kac_order_then_custom_in_order_met() -> None:
    """One pass groups the entries: KaC headings in KaC order, whatever their case, then others."""
    changes = [
        change(HASH_A, "docs", "Explain"),
        change(HASH_B, "fix", "Mend"),
        change(HASH_C, "chore", "Tidy"),
        change(HASH_D, "feat", "Add"),
        change(HASH_A[::-1], "fix", "Mend more"),
    ]
    drafted = draft(changes, sections={"docs": "Docs", "chore": "Chores", "fix": "FIXED"})
    assert ["Added", "FIXED", "Docs", "Chores"] == drafted.headings()
    assert [(h, drafted.under(h)) for h in drafted.headings()] == drafted.grouped()
    assert ["Mend", "Mend more"] == [entry.change.description for entry in drafted.under("FIXED")]
    assert [HASH_A[:7], HASH_B[:7]] == [entry.short for entry in drafted.entries[:2]]
