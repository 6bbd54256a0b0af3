"""Keep a Changelog parsing, releasing, links and notes: text is never lost or reflowed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.version import Version

from releasekit.changelog import notes, parse, release_unreleased, web_base
from releasekit.changelog_syntax import Flavor
from releasekit.changelog_template import comment_lines
from releasekit.errors import ChangelogError
from tests.support import CHANGELOG

WITH_CODE_AND_NESTING = """\
# Changelog

Intro text that belongs to no section.

## [Unreleased]

### Changed

- Top level item
  - nested item with `code`
    1. deeper numbered item

```toml
## [9.9.9] - not a heading inside a fence
[unreleased]: https://not.a/link
```

~~~
## also not a heading
~~~

## [1.0.0] - 2025-05-05

- First.

Some trailing prose after the last section.

[unreleased]: https://gitlab.com/group/sub/proj/-/compare/v1.0.0...HEAD
[1.0.0]: https://gitlab.com/group/sub/proj/-/tags/v1.0.0
"""

CRLF_NO_LINKS = (
    "# Changelog\r\n\r\n## Unreleased\r\n\r\n- Windows line endings.\r\n\r\n"
    "## 0.1.0 - 2024-02-02\r\n\r\n- Start.\r\n"
)

NO_TRAILING_NEWLINE = "# Changelog\n\n## [Unreleased]\n\n- Last line has no newline."

FIXTURES = [CHANGELOG, WITH_CODE_AND_NESTING, CRLF_NO_LINKS, NO_TRAILING_NEWLINE, "", "just text\n"]


@pytest.mark.parametrize("text", FIXTURES)
def test_parse_then_render_is_identical(text: str) -> None:
    """Parsing and rendering any changelog gives back exactly the same text."""
    assert text == parse(text).render()


def test_code_fences_hide_headings_and_links() -> None:
    """Headings and link lines inside fenced code blocks are neither sections nor links."""
    parsed = parse(WITH_CODE_AND_NESTING)
    assert ["[Unreleased]", "[1.0.0] - 2025-05-05"] == [s.title for s in parsed.sections]
    assert ["unreleased", "1.0.0"] == [link.label for link in parsed.links]


def test_release_moves_entries_and_updates_github_links() -> None:
    """Unreleased entries move under a dated heading; compare links follow the new tag."""
    result = release_unreleased(
        parse(CHANGELOG),
        version=Version("1.3.0"),
        date="2026-11-24",
        new_tag="v1.3.0",
        remote_url="git@github.com:example/demo.git",
    )
    expected = CHANGELOG.replace(
        "## [Unreleased]\n", "## [Unreleased]\n\n## [1.3.0] - 2026-11-24\n"
    ).replace(
        "[Unreleased]: https://github.com/example/demo/compare/v1.2.3...HEAD\n",
        "[Unreleased]: https://github.com/example/demo/compare/v1.3.0...HEAD\n"
        "[1.3.0]: https://github.com/example/demo/compare/v1.2.3...v1.3.0\n",
    )
    assert expected == result


def test_release_gitlab_links_from_the_remote() -> None:
    """A GitLab remote gives GitLab's /-/compare/ links, subgroups included."""
    result = release_unreleased(
        parse(WITH_CODE_AND_NESTING),
        version=Version("1.1.0"),
        date="2026-11-24",
        new_tag="v1.1.0",
        remote_url="https://oauth2:secret@gitlab.com/group/sub/proj.git",
    )
    assert "[unreleased]: https://gitlab.com/group/sub/proj/-/compare/v1.1.0...HEAD\n" in result
    assert "[1.1.0]: https://gitlab.com/group/sub/proj/-/compare/v1.0.0...v1.1.0\n" in result
    assert "secret" not in result
    # The fenced lines that look like a heading and a link are untouched.
    assert "## [9.9.9] - not a heading inside a fence\n[unreleased]: https://not.a/link\n" in result


def test_release_reuses_the_files_own_compare_prefix_without_a_known_remote() -> None:
    """Without a GitHub/GitLab remote, the file's own compare URL prefix is reused."""
    text = CHANGELOG.replace("https://github.com/example/demo", "https://code.example.org/demo")
    result = release_unreleased(
        parse(text), version=Version("1.3.0"), date="2026-11-24", new_tag="v1.3.0"
    )
    assert "[Unreleased]: https://code.example.org/demo/compare/v1.3.0...HEAD\n" in result
    assert "[1.3.0]: https://code.example.org/demo/compare/v1.2.3...v1.3.0\n" in result


def test_first_release_links_to_the_tag() -> None:
    """With no previous release, the version link points at the new tag's page."""
    text = "# Changelog\n\n## [Unreleased]\n\n- First.\n\n[unreleased]: https://github.com/o/r/commits/main\n"
    result = release_unreleased(
        parse(text),
        version=Version("0.1.0"),
        date="2026-11-24",
        new_tag="v0.1.0",
        remote_url="https://github.com/o/r",
    )
    assert result.endswith(
        "[unreleased]: https://github.com/o/r/compare/v0.1.0...HEAD\n"
        "[0.1.0]: https://github.com/o/r/releases/tag/v0.1.0\n"
    )


def test_release_keeps_crlf_and_unbracketed_style() -> None:
    """CRLF files get CRLF lines; an unbracketed Unreleased heading gives an unbracketed one."""
    result = release_unreleased(
        parse(CRLF_NO_LINKS), version=Version("0.2.0"), date="2026-11-24", new_tag="v0.2.0"
    )
    assert "## Unreleased\r\n\r\n## 0.2.0 - 2026-11-24\r\n\r\n- Windows line endings.\r\n" in result
    assert "\n" not in result.replace("\r\n", "")


def test_release_without_trailing_newline() -> None:
    """A file ending without a newline keeps its last line as written."""
    result = release_unreleased(
        parse(NO_TRAILING_NEWLINE), version=Version("1.0.0"), date="2026-11-24", new_tag="v1.0.0"
    )
    expected = (
        "# Changelog\n\n## [Unreleased]\n\n## [1.0.0] - 2026-11-24\n\n- Last line has no newline."
    )
    assert expected == result


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        ("# Changelog\n\n## [1.0.0] - 2020-01-01\n", "no '## [Unreleased]' section", "add '## ["),
        (
            "# Changelog\n\n## [Unreleased]\n\n### Added\n\n## [1.0.0]\n",
            "has no entries",
            "--allow",
        ),
        (CHANGELOG.replace("## [1.2.3]", "## [1.3.0]"), "already has a section for 1.3.0", "merge"),
        (
            '# Changelog\n\n## [Unreleased]\n\n<a name="1.0.0"></a>\n## [1.0.0]\n\n- x\n',
            "has no entries",
            "--allow",
        ),
    ],
)
def test_release_errors(text: str, message: str, hint: str) -> None:
    """A missing or empty Unreleased section, or an existing version section, is refused."""
    with pytest.raises(ChangelogError) as caught:
        release_unreleased(parse(text), version=Version("1.3.0"), date="2026-11-24", new_tag="v1")
    assert message in caught.value.message
    assert hint in (caught.value.hint or "")


def test_empty_release_allowed_when_asked() -> None:
    """--allow-empty-changelog releases an empty section instead of refusing."""
    text = "# Changelog\n\n## [Unreleased]\n\n## [1.0.0] - 2020-01-01\n\n- x\n"
    result = release_unreleased(
        parse(text), version=Version("1.1.0"), date="2026-11-24", new_tag="v1.1.0", allow_empty=True
    )
    assert "## [Unreleased]\n\n## [1.1.0] - 2026-11-24\n\n## [1.0.0]" in result


def test_notes_of_latest_and_named_versions() -> None:
    """Notes give a section's body, trimmed of blank edges; default is the newest release."""
    text = CHANGELOG.replace("## [1.2.3]", "## [1.3.0] - 2026-02-02\n\n- Newer.\n\n## [1.2.3]")
    assert (Version("1.3.0"), "- Newer.\n") == notes(parse(text))
    assert (Version("1.2.3"), "### Fixed\n\n- An old bug.\n") == notes(
        parse(text), Version("1.2.3")
    )


def test_notes_errors() -> None:
    """Asking for notes of an unknown version, or of a file with no release, is an error."""
    with pytest.raises(ChangelogError, match=r"has no section for 9\.0"):
        notes(parse(CHANGELOG), Version("9.0"))
    with pytest.raises(ChangelogError, match="no released version"):
        notes(parse("# Changelog\n\n## [Unreleased]\n"))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("git@github.com:o/r.git", ("github", "https://github.com/o/r")),
        ("https://github.com/o/r", ("github", "https://github.com/o/r")),
        ("ssh://git@github.com/o/r.git", ("github", "https://github.com/o/r")),
        ("https://user:token@gitlab.com/g/s/p.git", ("gitlab", "https://gitlab.com/g/s/p")),
        ("/srv/git/demo.git", None),
        ("https://bitbucket.org/o/r.git", None),
        (None, None),
    ],
)
def test_web_base(url: str | None, expected: tuple[str, str] | None) -> None:
    """Remotes map to their web address without credentials; unknown hosts give None."""
    assert expected == web_base(url)


entry_lines = st.lists(
    st.text(
        alphabet=st.characters(blacklist_categories=["Cs", "Cc"], blacklist_characters="\r\n"),
        min_size=1,
        max_size=40,
    ).map(lambda text: "- " + text),
    min_size=1,
    max_size=8,
)


@given(
    entry_lines,
    st.lists(st.text(max_size=30).filter(lambda t: "\n" not in t and "\r" not in t), max_size=4),
)
def test_release_never_loses_a_line(entries: list[str], prose: list[str]) -> None:
    """Every original line survives a release, in order, except the rewritten Unreleased link."""
    text = (
        "# Changelog\n\n"
        + "".join(line + "\n" for line in prose)
        + "\n## [Unreleased]\n\n"
        + "".join(line + "\n" for line in entries)
        + "\n## [1.0.0] - 2020-01-01\n\n- old\n\n"
        + "[unreleased]: https://github.com/o/r/compare/v1.0.0...HEAD\n"
    )
    assert text == parse(text).render()
    result = release_unreleased(
        parse(text), version=Version("1.1.0"), date="2026-11-24", new_tag="v1.1.0"
    )
    kept = [line for line in text.splitlines() if not line.startswith("[unreleased]:")]
    remaining = iter(result.splitlines())
    assert all(any(line == candidate for candidate in remaining) for line in kept)


LABELLED_RST = """\
.. _changelog-unreleased:

Unreleased
==========

Added
-----

.. Add new entries above the label of the newest release.

* **api**: A feature

Fixed
-----

.. _changelog-v1.0.0:
.. _v1.0.0:

v1.0.0 (2024-01-01)
===================

* First (`0a1b2c3`_)

.. _0a1b2c3: https://github.com/example/demo/commit/0a1b2c3

.. _changelog-v0.9.0:

v0.9.0 (2023-12-01)
===================

* Start
"""


def test_rst_labels_name_their_headings_after_a_release() -> None:
    """A release keeps ``.. _label:`` lines above the heading they name; the new one gets none."""
    released = release_unreleased(
        parse(LABELLED_RST, "rst"), version=Version("1.1.0"), date="2024-02-02", new_tag="v1.1.0"
    )
    expected_tail = (
        "v1.1.0 (2024-02-02)\n===================\n\nAdded\n-----\n\n* **api**: A feature\n\n"
        ".. _changelog-v1.0.0:\n.. _v1.0.0:\n\nv1.0.0 (2024-01-01)\n"
    )
    assert expected_tail in released
    assert released.startswith(".. _changelog-unreleased:\n\nUnreleased\n==========\n")
    changelog = parse(released, "rst")
    assert ["v1.1.0 (2024-02-02)", "v1.0.0 (2024-01-01)", "v0.9.0 (2023-12-01)"] == [
        section.title for section in changelog.releases()
    ]
    # A target with a URL belongs to the section above it; a label to the heading below.
    assert (
        "* First (`0a1b2c3`_)\n\n.. _0a1b2c3: https://github.com/example/demo/commit/0a1b2c3"
        == (notes(changelog, Version("1.0.0"))[1].strip())
    )
    assert "* **api**: A feature" == notes(changelog)[1].split("\n\n")[-1].strip()


# Where a heading or a link may start: up to three spaces, never four or a tab. ``parse`` tries
# its patterns only on lines that start with the marks they need, so these edges are pinned.
INDENTED = (
    "# Changelog\u2028"  # a Unicode line separator: a line break for ``str.splitlines``
    "\n"
    "   ## [Unreleased]\r"  # a lone carriage return ends a line too
    "\r"
    "    ## [9.0.0] - code, not a heading\n"
    "\t## [8.0.0] - not a heading either\n"
    "   ```\n"
    "## [7.0.0] - inside a fence\n"
    "   ```\n"
    "\n"
    "## [1.0.0] - 2024-01-01\n"
    "\n"
    "   [unreleased]: https://github.com/o/r/compare/v1.0.0...HEAD\n"
    "    [1.0.0]: https://github.com/o/r/releases/tag/v1.0.0\n"
)


def test_headings_fences_and_links_start_within_three_spaces() -> None:
    """Up to three spaces before ``#``, a fence or a link label; four spaces or a tab: text."""
    parsed = parse(INDENTED)
    assert [(0, "Changelog"), (2, "[Unreleased]"), (10, "[1.0.0] - 2024-01-01")] == [
        (heading.start, heading.text) for heading in parsed.headings
    ]
    assert [("unreleased", 12)] == [(link.label, link.index) for link in parsed.links]


@pytest.mark.parametrize(
    ("lines", "flavor", "expected"),
    [
        (["- entry\n", "<!-- say what goes here\n", "   on two lines -->\n"], "markdown", {1, 2}),
        (["- entry\n", "- see ../docs\n"], "markdown", set()),
        (["- entry\n", ".. a comment\n", "   continued\n", "\n", "- next\n"], "rst", {1, 2}),
        (["- entry <!-- not rST -->\n", "- see ../docs\n"], "rst", set()),
    ],
)
def test_comment_lines_in_each_markup(lines: list[str], flavor: Flavor, expected: set[int]) -> None:
    """HTML comments in Markdown, ``..`` comments in rST; each markup's opener only counts."""
    assert expected == comment_lines(lines, flavor)
