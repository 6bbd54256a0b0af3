"""The faster ways of the changelog step give exactly what the plain ways give.

Each speed-up is checked against the plain computation it replaces, over generated inputs
that reach the corners (repeated lines, lines popular enough for difflib to skip, line
endings of every kind, no final newline) and over the changelogs of the other tests.
"""

from __future__ import annotations

import difflib
import random
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from releasekit.changelog import Changelog, assembled, parse
from releasekit.changelog_draft import Draft, draft, draft_into_unreleased
from releasekit.changelog_syntax import Flavor, HeadingStyle, read_title
from releasekit.commits import Change
from releasekit.errors import ChangelogError
from releasekit.file_changes import FileChange
from tests import test_changelog, test_changelog_draft, test_changelog_forms
from tests.support import CHANGELOG

# A few lines, often repeated, so that difflib's matcher has ties and choices to make; the
# endings include those str.splitlines knows besides "\n", and none at all.
_LINES = ["\n", "- a\n", "- b\n", "## [1.0.0]\n", "x\r\n", "y\r", "z\x0b", "w\u2028", "\t\n"]


def _plain_diff(old: bytes, new: bytes | None, display: str) -> str:
    """The diff as ``FileChange.diff`` made it before: difflib's lines, each ended."""
    before = old.decode("utf-8", errors="replace").splitlines(keepends=True)
    after = [] if new is None else new.decode("utf-8").splitlines(keepends=True)
    target = "/dev/null" if new is None else f"b/{display}"
    lines = difflib.unified_diff(before, after, f"a/{display}", target)
    text = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
    return text or (f"--- a/{display}\n+++ /dev/null\n" if new is None else "")


def _change(old: str, new: str | None) -> FileChange:
    return FileChange(
        Path("CHANGELOG.md"), "CHANGELOG.md", old.encode(), None if new is None else new.encode()
    )


def _edited(rng: random.Random, lines: list[str], vocabulary: list[str]) -> list[str]:
    """``lines`` with a few insertions, deletions and replacements (or a big insertion)."""
    out = list(lines)
    for _ in range(rng.randint(0, 4)):
        where = rng.randint(0, len(out))
        action = rng.random()
        if action < 0.5:
            count = rng.choice([1, 2, 5, 300])
            out[where:where] = [rng.choice(vocabulary) for _ in range(count)]
        elif action < 0.8 and out:
            del out[where : where + rng.randint(1, 4)]
        elif out:
            out[min(where, len(out) - 1)] = rng.choice(vocabulary)
    return out


@pytest.mark.parametrize("seed", range(60))
def test_diff_is_difflibs_on_generated_edits(seed: int) -> None:
    """Generated old and new texts (small and past difflib's 200-line mark) diff as difflib."""
    rng = random.Random(seed)  # noqa: S311  # reproducible test data, not secrets
    vocabulary = _LINES + [f"- entry {n}\n" for n in range(rng.choice([3, 40]))]
    size = rng.choice([0, 1, 5, 30, 250, 600])
    old = [rng.choice(vocabulary) for _ in range(size)]
    new = _edited(rng, old, vocabulary)
    old_text, new_text = "".join(old), "".join(new)
    if rng.random() < 0.3 and new_text.endswith("\n"):
        new_text = new_text[:-1]  # a last line without its newline
    change = _change(old_text, new_text)
    assert change.diff() == _plain_diff(change.old, change.new, change.display)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(_LINES), max_size=12),
    st.lists(st.sampled_from(_LINES), max_size=12),
    st.booleans(),
)
def test_diff_is_difflibs_on_any_small_pair(old: list[str], new: list[str], removed: bool) -> None:
    """Any small pair of texts (or a removal) diffs exactly as difflib does."""
    change = _change("".join(old), None if removed else "".join(new))
    assert change.diff() == _plain_diff(change.old, change.new, change.display)


def test_diff_of_a_large_release_is_difflibs() -> None:
    """A changelog release of thousands of lines, with popular lines, diffs as difflib."""
    old = "# Changelog\n\n## [Unreleased]\n\n" + "".join(
        f"## [1.{n}.0] - 2024-01-01\n\n- Released 20 commits.\n\n" for n in range(300, 0, -1)
    )
    entries = "".join(f"- **core:** change {n} (abc{n:04d})\n" for n in range(5000))
    new = old.replace(
        "## [Unreleased]\n", "## [Unreleased]\n\n## [2.0.0] - 2024-02-02\n\n### Added\n\n" + entries
    )
    change = _change(old, new)
    assert change.diff() == _plain_diff(change.old, change.new, change.display)


# Changelogs: the other tests' own, and generated ones.

_OWN = [
    CHANGELOG,
    *test_changelog.FIXTURES,
    test_changelog.LABELLED_RST,
    test_changelog.INDENTED,
    test_changelog_forms.SETEXT,
    test_changelog_forms.RST,
    test_changelog_forms.BLACK_LIKE,
    test_changelog_draft.PSR_RST,
    *(param.values[1] for param in test_changelog_forms.FORMS),
]

# Lines that make headings (ATX, setext, reStructuredText with and without overlines), fences,
# link definitions, labels, comments and list items, so that generated changelogs reach every
# rule of the parser: a fence left open, an underline after a list item, a label line.
_PARTS = [
    "# Changelog",
    "## [Unreleased]",
    "## Unreleased",
    "## [1.2.0] - 2024-01-01",
    "### Added",
    "### Fixed",
    "Unreleased",
    "1.1.0 (2023-05-05)",
    "----------",
    "==========",
    "~~~~~~~~~~",
    "Released 2023-05-05",
    "```",
    "~~~",
    "- an entry",
    "* another entry",
    "  - nested",
    "[unreleased]: https://github.com/o/r/compare/v1.2.0...HEAD",
    "[1.2.0]: https://github.com/o/r/compare/v1.1.0...v1.2.0",
    ".. _changelog-v1.2.0:",
    '<a name="1.2.0"></a>',
    "<!-- keep this -->",
    "Some prose.",
    "",
    "",
    "",
]


@st.composite
def _changelogs(draw: st.DrawFn) -> str:
    lines = draw(st.lists(st.sampled_from(_PARTS), max_size=30))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = "".join(line + newline for line in lines)
    return text.removesuffix(newline) if draw(st.booleans()) else text


# Descriptions and breaking texts, some holding line breaks of every kind (the slow path).
_TEXTS = st.sampled_from(
    ["add a thing", "fix #12 for good", "Revert it", "x\ny", "a\x0bb", "c\u2028d", "e\rf"]
)


@st.composite
def _drafts(draw: st.DrawFn) -> Draft:
    changes = [
        Change(
            commit=f"{number:07x}" + "0" * 33,
            type=draw(st.sampled_from(["feat", "fix", "perf", "docs", "security", "Feat"])),
            scope=draw(st.none() | st.just("core")),
            description=draw(_TEXTS) + f" {number}",
            breaking=(breaking := draw(st.booleans())),
            breaking_text=draw(_TEXTS) if breaking and draw(st.booleans()) else None,
            references=("#12",) if draw(st.booleans()) else (),
        )
        for number in range(draw(st.integers(1, 8)))
    ]
    remote = draw(st.sampled_from([None, "https://github.com/o/r.git"]))
    return draft(changes, remote_url=remote)


def _everything(changelog: Changelog) -> tuple[object, ...]:
    """Every part of a parse (fenced lines too), read from the changelog given."""
    return (
        changelog.text,
        changelog.lines,
        changelog.newline,
        changelog.flavor,
        changelog.headings,
        changelog.style,
        changelog.links,
        changelog.sections,
        changelog._found[1],
    )


def _check_assembled(text: str, flavor: Flavor, drafted: Draft) -> None:
    """Drafting into a parsed changelog gives the parse of the text it makes."""
    try:
        assembled = draft_into_unreleased(parse(text, flavor), drafted)
    except ChangelogError:
        return  # a file whose Unreleased section cannot be added: reported, nothing parsed
    assert _everything(assembled) == _everything(parse(assembled.text, flavor))


@settings(max_examples=400, deadline=None)
@given(_changelogs(), st.sampled_from(["markdown", "rst"]), _drafts())
def test_drafted_changelog_parses_as_its_text(text: str, flavor: Flavor, drafted: Draft) -> None:
    """A generated changelog with entries drafted in is parsed as its text is, in every part."""
    _check_assembled(text, flavor, drafted)


@pytest.mark.parametrize("text", _OWN)
@pytest.mark.parametrize("flavor", ["markdown", "rst"])
def test_drafted_own_changelogs_parse_as_their_text(text: str, flavor: Flavor) -> None:
    """The other tests' changelogs, entries drafted in (one-line and not), parse as the text."""
    for seed in range(4):
        rng = random.Random(seed)  # noqa: S311  # reproducible test data, not secrets
        changes = [
            Change(
                commit=f"{rng.getrandbits(28):07x}" + "1" * 33,
                type=rng.choice(["feat", "fix", "perf", "security", "remove"]),
                scope=rng.choice([None, "api"]),
                description=f"change {number}",
                breaking=seed == 3,
                breaking_text="two\nlines" if seed == 3 and number == 0 else None,
            )
            for number in range(rng.choice([1, 3, 30]))
        ]
        _check_assembled(text, flavor, draft(changes))


def test_drafted_changelog_skips_reading_the_entries() -> None:
    """One-line entries are known as such: the parse is handed the lines, not made to split."""
    changes = [Change(f"{n:040x}", "feat", None, f"thing {n}", False) for n in range(50)]
    assembled = draft_into_unreleased(parse(CHANGELOG), draft(changes))
    assert assembled.known_lines is not None
    assert [(end - start) for start, end in assembled.items] == [50]
    broken = [Change("f" * 40, "fix", None, "one", True, "two\nlines")]
    assert draft_into_unreleased(parse(CHANGELOG), draft(broken)).known_lines is None


_ITEMS = ["- an entry (abc1234)", "* starred", "+\tplus", "-   wide"]


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(_PARTS + _ITEMS), st.sampled_from(["", "\n", "\r"]))),
    st.lists(
        st.tuples(st.integers(0, 30), st.lists(st.sampled_from(_ITEMS), min_size=1, max_size=3)),
        max_size=4,
    ),
    st.sampled_from(["markdown", "rst"]),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
    st.booleans(),
)
def test_assembled_parses_as_its_text(
    parts: list[tuple[str, str]],
    runs_wanted: list[tuple[int, list[str]]],
    flavor: Flavor,
    newline: str,
    blank_first: bool,
    based: bool,
) -> None:
    """Runs of list items put anywhere in any changelog are passed over, with the same parse.

    Fences left open, adornments after the items, lines ended in any way: the runs are not
    read, and what is found must be what reading them finds. ``based``: the headings of the
    changelog they were put into are taken over, too.
    """
    original = "".join(part + (ending or newline) for part, ending in parts)
    old = original.splitlines(keepends=True)
    lines: list[str] = []
    added: list[str] = []
    runs: list[tuple[int, int]] = []
    blocks: dict[int, int] = {}  # old line -> lines inserted before it
    position = 0
    for wanted, items in sorted(runs_wanted, key=lambda run: run[0]):
        at = min(wanted, len(old))
        lines += old[position:at]
        position = at
        if lines and not lines[-1].endswith(("\n", "\r")):  # an unended last line: ended
            lines[-1] += newline
            added.append(lines[-1])
        if blank_first:
            lines.append(newline)
            added.append(newline)
        runs.append((len(lines), len(lines) + len(items)))
        lines += [item + newline for item in items]
        added += [item + newline for item in items]
        blocks[at] = blocks.get(at, 0) + len(items) + blank_first
    lines += old[position:]
    base = parse(original, flavor) if based else None
    made = assembled(
        lines, flavor, newline, added=added, items=runs, base=base, blocks=sorted(blocks.items())
    )
    text = "".join(lines)
    assert (made.known_lines is not None) == (newline == "\r\n" or "\r" not in text)
    assert _everything(made) == _everything(parse(text, flavor))


# Corners the rules above are for, each written out: a lone item under a blank line with an
# underline after it is a reStructuredText title; items after an open fence are fenced; an
# old-Mac "\r" ending before an added "\n" joins it (read the slow way).
_CORNERS = [
    ("rst", ["Title\n", "=====\n", "\n"], ["- lone item\n"], ["-----\n", "\n", "text\n"]),
    ("rst", ["Title\n", "=====\n", "\n"], ["- one\n", "- two\n"], ["-----\n"]),
    ("markdown", ["# T\n", "```\n"], ["- fenced\n", "- too\n"], ["## [1.0.0]\n"]),
    ("markdown", ["## [Unreleased]\r"], ["\n", "- joined\n"], ["## [1.0.0]\r"]),
]


@pytest.mark.parametrize(("flavor", "before", "items", "after"), _CORNERS)
def test_assembled_corners(
    flavor: Flavor, before: list[str], items: list[str], after: list[str]
) -> None:
    """Each corner parses as its text does."""
    start = len(before) + (items[0] == "\n")
    lines = [*before, *items, *after]
    made = assembled(lines, flavor, "\n", added=items, items=[(start, len(before) + len(items))])
    text = "".join(lines)
    assert _everything(made) == _everything(parse(text, flavor))


def test_assembled_takes_over_headings_only_where_the_scans_agree() -> None:
    """A blank line put above an underlined title makes it a heading, and the one after it.

    Both are new: the old changelog's headings are taken over only from where the two scans
    stand alike (after a heading of both), here from ``## [1.0.0]`` on.
    """
    old = ["# T\n", "\n", "- a\n", "Title\n", "-----\n", "Next\n", "-----\n", "\n"]
    old += ["## [1.0.0]\n", "\n", "- b\n"]
    lines = [*old[:3], "\n", *old[3:]]
    base = parse("".join(old))
    made = assembled(lines, "markdown", "\n", added=["\n"], items=[], base=base, blocks=[(3, 1)])
    assert [h.text for h in made.headings] == ["T", "Title", "Next", "[1.0.0]"]
    assert _everything(made) == _everything(parse("".join(lines)))


# The section style read alone (notes --from-commits --all asks for nothing else).


def _check_style_alone(text: str, flavor: Flavor) -> None:
    alone = parse(text, flavor)
    style = alone.style
    assert "sections" not in vars(alone)  # the sections were not built to answer
    assert "links" not in vars(alone)
    # The rule, counted another way: the style most release headings share, the first on a tie.
    marked = Counter(h.style for h in parse(text, flavor).headings if read_title(h.text))
    assert style == (marked.most_common(1)[0][0] if marked else None)


@pytest.mark.parametrize("text", _OWN)
@pytest.mark.parametrize("flavor", ["markdown", "rst"])
def test_style_read_alone_is_the_full_parses(text: str, flavor: Flavor) -> None:
    """The section style read without sections or links is the one a full parse gives."""
    _check_style_alone(text, flavor)


def test_style_read_alone_follows_the_majority() -> None:
    """Release headings in two styles: the one most of them share is the style."""
    text = "# Log\n\n## [Unreleased]\n\n## [1.0.0] - 2024-01-01\n\n### [0.9.0] - 2023-01-01\n"
    _check_style_alone(text, "markdown")
    assert HeadingStyle(atx=2) == parse(text).style  # the "##" headings


@settings(max_examples=200, deadline=None)
@given(_changelogs(), st.sampled_from(["markdown", "rst"]))
def test_style_read_alone_on_generated_changelogs(text: str, flavor: Flavor) -> None:
    """The same on generated changelogs."""
    _check_style_alone(text, flavor)
