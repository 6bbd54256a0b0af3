"""Conventional Commits: the parser over generated commit shapes, and histories of real repositories."""

from __future__ import annotations

import itertools
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.version import Version

from releasekit.commits import (
    Change,
    CommitLog,
    HistoryMissing,
    Malformed,
    infer_bump,
    parse_message,
    read_log,
    read_releases,
)
from releasekit.errors import GitError
from releasekit.git import Git
from releasekit.tags import ReleaseTag
from tests.support import Counter, Repo, RepoBuilder, git

HASH = "0123456789abcdef0123456789abcdef01234567"


def entries(message: str) -> tuple[Change, ...]:
    """The entries of a message that must parse."""
    result = parse_message(HASH, message)
    assert isinstance(result, tuple), f"{message!r} parsed as {result}"
    return result


def only(message: str) -> Change:
    """The one entry of a message that must parse to exactly one."""
    result = entries(message)
    assert 1 == len(result), result
    return result[0]


# --- headers -------------------------------------------------------------------------------

TYPES = ["feat", "fix", "Docs", "PERF", "build-system", "x1"]
SCOPES = [None, "api", "ünïcode", "a b/c.d", ""]
PREFIXES = ["", "✨ ", ":sparkles: ", "🐛", "⚡️  ", "🧑‍💻 :tada: "]
DESCRIPTIONS = ["add x", "Ärger mit Umlauten, 日本語, emoji 🎉", "long " * 2000]


@pytest.mark.parametrize(
    ("kind", "scope", "bang", "prefix"),
    list(itertools.product(TYPES, SCOPES, [False, True], PREFIXES)),
)
def test_header_parts_are_recovered(kind: str, scope: str | None, bang: bool, prefix: str) -> None:
    """Every part of a generated header comes back: type (lower case), scope, "!", description."""
    for description in DESCRIPTIONS:
        header = f"{prefix}{kind}{'' if scope is None else f'({scope})'}{'!' if bang else ''}"
        change = only(f"{header}: {description}")
        expected = Change(
            HASH, kind.lower(), scope or None, description.strip(), bang, None, (), ()
        )
        assert expected == change


@pytest.mark.parametrize(
    "subject",
    [
        "Update README",
        "feat:",
        "feat: ",
        "feat:   \t ",
        "feat:x",
        ": nothing",
        "(api): nothing",
        "feat(api: unclosed",
        "feat(a)(b): two scopes",
        "feat (api): space before scope",
        "feat !: space before bang",
        "fixup! feat: x",
        "Merge branch 'topic'",
        "1.0: release",
        "-feat: dash first",
        "http://example.org/feat: x",
        "✨" * 5000 + " no header",
        ":" * 5000,
        "feat" + "(" * 5000,
        "",
        "   ",
        "\x00\x1f\x7f",
        "\ud800 lone surrogate",
    ],
)
def test_malformed_subjects(subject: str) -> None:
    """A subject that is not a Conventional header is Malformed, with the subject as written."""
    assert Malformed(HASH, subject.strip()) == parse_message(HASH, subject)
    if subject.strip():
        body = "\n\nsome body\n\nCloses #3\n"
        assert Malformed(HASH, subject.strip()) == parse_message(HASH, subject + body)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=400))
def test_any_text_parses_without_raising(message: str) -> None:
    """No message raises: it is entries of its commit, or Malformed with its first line."""
    result = parse_message(HASH, message)
    if isinstance(result, Malformed):
        subject = message.replace("\r\n", "\n").replace("\r", "\n").strip().partition("\n")[0]
        assert Malformed(HASH, subject.strip()) == result
    else:
        assert result
        assert all(change.commit == HASH and change.description for change in result)


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet="feat(!): #\n\r*- :BREAKINGCHANGE-Refs", max_size=200),
)
def test_near_miss_text_parses_without_raising(message: str) -> None:
    """Text made of the parser's own punctuation and keywords never raises either."""
    result = parse_message(HASH, message)
    assert isinstance(result, (tuple, Malformed))


def test_a_huge_message_parses() -> None:
    """A 2 MB body of 100,000 lines (a generated file pasted in) parses, footers and all."""
    body = "\n".join(f"line {index}: text #{index}" for index in range(100_000))
    change = only(f"fix: x\n\n{body}\n\nCloses #7\nBREAKING CHANGE: gone")
    assert ("#7",) == change.references
    assert "gone" == change.breaking_text


# --- bodies and footers --------------------------------------------------------------------


@dataclass
class Footer:
    """One generated footer: how it is written, and what the parser must recover."""

    token: str
    value: str
    separator: str = ": "
    references: tuple[str, ...] = ()

    def written(self) -> str:
        """The footer as a commit message holds it."""
        return f"{self.token}{self.separator}{self.value}"

    def recovered(self) -> tuple[str, str]:
        """(token, value) as the parser must return it: a " #" value keeps its "#"."""
        return self.token, self.value if self.separator == ": " else "#" + self.value


FOOTERS = [
    Footer("Closes", "#12", references=("#12",)),
    Footer("Fixes", "12", separator=" #", references=("#12",)),
    Footer("Refs", "GH-7, org/repo#5 and !34", references=("GH-7", "org/repo#5", "!34")),
    Footer("BREAKING CHANGE", "the config file moved\nto a new place, see the docs"),
    Footer("BREAKING-CHANGE", "a"),
    Footer("Reviewed-by", "Zoë Ünal <z@example.org>"),
    Footer("Co-authored-by", "A <a@example.org>"),
    Footer("See", "https://example.org/page#12 (no reference)"),
]
BODIES = [
    "",
    "A body paragraph.",
    "Two paragraphs.\n\nThe second one: with a colon, and #99 in prose.",
    "Ünïcödé body 日本語 🎉\nover two lines",
    "\n".join(f"Line {index} of a long body." for index in range(3000)),
]
NEWLINES = ["\n", "\r\n", "\r"]


def _footer_sets() -> list[tuple[Footer, ...]]:
    sets: list[tuple[Footer, ...]] = [()]
    sets += [(footer,) for footer in FOOTERS]
    sets += [tuple(FOOTERS), tuple(reversed(FOOTERS)), (FOOTERS[2], FOOTERS[0], FOOTERS[2])]
    return sets


@pytest.mark.parametrize(("body", "newline"), list(itertools.product(BODIES, NEWLINES)))
def test_body_and_footers_are_recovered(body: str, newline: str) -> None:
    """Generated footers come back in order, with breaking text and references, any line end."""
    for footers in _footer_sets():
        for bang in (False, True):
            parts = [f"feat(core){'!' if bang else ''}: add a thing (#3)"]
            if body:
                parts.append(body)
            if footers:
                parts.append("\n".join(footer.written() for footer in footers))
            message = "\n\n".join(parts).replace("\n", newline) + newline
            change = only(message)
            breaking = [f.value for f in footers if f.token.startswith("BREAKING")]
            references = dict.fromkeys(
                ["#3", *(ref for footer in footers for ref in footer.references)]
            )
            assert tuple(footer.recovered() for footer in footers) == change.footers
            assert (bang or bool(breaking)) == change.breaking
            assert (breaking[0] if breaking else None) == change.breaking_text
            assert tuple(references) == change.references
            assert ("feat", "core", "add a thing (#3)") == (
                change.type,
                change.scope,
                change.description,
            )


def test_breaking_change_inside_the_body_is_seen() -> None:
    """A BREAKING CHANGE line followed by more prose still makes the change breaking."""
    change = only("fix: a\n\nSome text.\nBREAKING CHANGE: the option is gone\n\nMore text.")
    assert change.breaking
    assert "the option is gone\n\nMore text." == change.breaking_text


def test_lower_case_breaking_change_is_prose() -> None:
    """The specification spells BREAKING CHANGE in capitals; "breaking change:" is not one."""
    change = only("fix: a\n\nbreaking change: not really")
    assert not change.breaking


def test_prose_paragraph_is_not_a_footer() -> None:
    """Only the last paragraphs are footers; "Note: x" in the middle of the body is prose."""
    change = only("feat: a\n\nNote: this is prose.\n\nMore prose.")
    assert () == change.footers


@pytest.mark.parametrize(
    ("description", "references"),
    [
        ("add x (#12)", ("#12",)),
        ("see GH-7 and gh-8", ("GH-7", "gh-8")),
        ("mixed-case Gh-9 and gH-10 only", ("Gh-9", "gH-10")),  # no "#" or "!" to find first
        ("line-endings, re-read, high-level", ()),
        ("merge request !34", ("!34",)),
        ("fix org/repo#5 then #5 and #5", ("org/repo#5", "#5")),
        ("not a reference: foo#12, a&#12;b, x.org/a#12, C#1", ()),
        ("wow!34 no", ()),
    ],
)
def test_references_in_the_description(description: str, references: tuple[str, ...]) -> None:
    """Issue and merge-request references are read from the description, in order, once."""
    assert references == only(f"fix: {description}").references


# --- reverts, squash merges, merges --------------------------------------------------------


def test_git_revert_names_the_reverted_commit() -> None:
    """git's own revert message is a revert entry whose Refs footer names the reverted commit."""
    change = only(f'Revert "feat(api): add x"\n\nThis reverts commit {HASH}.\n')
    assert ("revert", None, "feat(api): add x") == (
        change.type,
        change.scope,
        change.description,
    )
    assert (("Refs", HASH),) == change.footers


def test_github_revert_keeps_both_pull_requests() -> None:
    """GitHub's revert of a squash merge: the inner text, and both pull requests referenced."""
    change = only('Revert "feat: add x (#12)" (#13)\n\nReverts org/repo#12')
    assert ("revert", "feat: add x (#12)") == (change.type, change.description)
    assert ("#12", "#13") == change.references


def test_conventional_revert_with_refs_footer() -> None:
    """``revert: <header>`` with ``Refs: <hash>``, as the specification writes it."""
    change = only("revert: feat: add x\n\nRefs: 0123456, 89abcde")
    assert ("revert", "feat: add x", (("Refs", "0123456, 89abcde"),)) == (
        change.type,
        change.description,
        change.footers,
    )


BULLET_ENTRIES = [
    ("feat", None, "add a"),
    ("fix", "core", "mend b (#4)"),
    ("docs", None, "explain c"),
    ("perf", "io", "faster d"),
]


@pytest.mark.parametrize(
    ("subject", "marker", "with_bodies"),
    list(
        itertools.product(
            ["The pull request (#77)", "Merge pull request #77 from org/topic", "Update all"],
            ["* ", "- "],
            [False, True],
        )
    ),
)
def test_squash_merge_bodies(subject: str, marker: str, with_bodies: bool) -> None:
    """Under a subject that is no header, each bullet that is a header is an entry of its own."""
    lines = []
    for kind, scope, description in BULLET_ENTRIES:
        lines.append(f"{marker}{kind}{f'({scope})' if scope else ''}: {description}")
        if with_bodies:
            lines += ["", "  An indented body line.", ""]
    lines += [f"{marker}not a conventional commit", "", "Co-authored-by: A <a@example.org>"]
    if subject == "Update all":
        lines += ["Closes #77"]
    result = entries(f"{subject}\n\n" + "\n".join(lines))
    assert BULLET_ENTRIES == [(c.type, c.scope, c.description) for c in result]
    assert all(change.commit == HASH for change in result)
    assert all("#77" in change.references for change in result)
    assert ("Co-authored-by", "A <a@example.org>") in result[0].footers


@pytest.mark.parametrize("marker", ["* ", "- "])
@pytest.mark.parametrize("with_bodies", [False, True])
def test_squash_body_under_a_conventional_subject_is_not_counted(
    marker: str, with_bodies: bool
) -> None:
    """commitizen's #1773: a fix titled squash merge listing a feat commit is one fix."""
    lines = [
        f"{marker}feat(config): add warning when config file is missing",
        f"{marker}fix(config): only check for config file when it is needed",
        f"{marker}fix(config)!: drop the old key",
    ]
    if with_bodies:
        lines.insert(1, "\n  More about it.\n")
    message = (
        "fix(config): add warning when config file is missing (#1773)\n\n"
        + "\n".join(lines)
        + "\n\nCo-authored-by: A <a@example.org>\nCloses #1770\n"
    )
    change = only(message)
    assert ("fix", "config", "add warning when config file is missing (#1773)", False) == (
        change.type,
        change.scope,
        change.description,
        change.breaking,
    )
    assert ("#1773", "#1770") == change.references
    assert ("Co-authored-by", "A <a@example.org>") in change.footers
    assert "patch" == infer_bump(CommitLog(changes=(change,)), Version("4.1.0"))


def test_squash_body_breaking_footer_under_a_conventional_subject_counts() -> None:
    """A squashed commit's BREAKING CHANGE footer, at the margin as GitHub writes it, counts."""
    message = (
        "feat(api): new client (#12)\n\n* feat(api): new client\n\n"
        "BREAKING CHANGE: the old client is gone\n\n* fix: typo\n"
    )
    change = only(message)
    assert (True, "the old client is gone") == (change.breaking, change.breaking_text)


def test_squash_bullet_repeating_another_is_one_entry() -> None:
    """Two bullets saying the same (a fixup squashed with its commit) make one entry."""
    result = entries("Add x (#12)\n\n* feat: add x\n* feat: add x (#12)\n* fix: y")
    assert [("feat", "add x"), ("fix", "y")] == [(c.type, c.description) for c in result]


def test_squash_bullet_breaking_footer_is_its_own() -> None:
    """An indented BREAKING CHANGE under a bullet makes that bullet's entry breaking."""
    result = entries("Merge things (#3)\n\n* feat: a\n* fix: b\n\n  BREAKING CHANGE: b broke it\n")
    assert [False, True] == [change.breaking for change in result]
    assert "b broke it" == result[1].breaking_text


def test_git_revert_subject_ignores_bullets() -> None:
    """A revert in git's form is one revert entry, whatever its body lists."""
    change = only('Revert "Add x (#12)"\n\n* feat: add x\n\nThis reverts commit 0123456.\n')
    assert ("revert", "Add x (#12)") == (change.type, change.description)


@pytest.mark.parametrize(
    "message",
    [
        "Merge pull request #12 from org/topic\n\nfeat(api): the title",
        "Merge branch 'topic' into 'main'\n\nfeat(api): the title\n\nSee merge request g/p!12",
    ],
)
def test_merge_commit_is_read_by_its_title(message: str) -> None:
    """A merge's subject gives way to the pull request's title in its body."""
    change = only(message)
    assert ("feat", "api", "the title") == (change.type, change.scope, change.description)
    assert 1 == len(change.references)


# --- real repositories ---------------------------------------------------------------------


@dataclass
class History:
    """A repository and the commits made in it, by name."""

    repo: Repo
    commits: dict[str, str] = field(default_factory=dict)

    def commit(self, name: str, message: str, path: str | None = None) -> str:
        """Change one file (``files/NAME.txt`` unless ``path``) and commit; the new hash."""
        target = self.repo.path / (path or f"files/{name}.txt")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f"{name}\n")
        self.repo.git("add", "-A")
        self.repo.git("commit", "-q", "-m", message)
        self.commits[name] = self.repo.git("rev-parse", "HEAD")
        return self.commits[name]

    def tag(self, name: str, at: str = "HEAD") -> None:
        """An annotated tag, as releases are tagged."""
        self.repo.git("tag", "-a", name, "-m", name, at)

    @property
    def git(self) -> Git:
        """releasekit's runner in the working tree."""
        return Git(self.repo.path)


@pytest.fixture
def history(make_repo: RepoBuilder) -> History:
    """A repository with an initial commit tagged v1.0.0, no remote."""
    repo = make_repo({"README.md": "demo\n"}, tags=("v1.0.0",), remote=False)
    return History(repo, {"initial": repo.git("rev-parse", "HEAD")})


def summary(log: CommitLog) -> list[tuple[str, str]]:
    return [(change.type, change.description) for change in log.changes]


def test_read_log_since_the_tag_newest_first(history: History) -> None:
    """Only the commits after the excluded tag are read, newest first, malformed ones listed."""
    history.commit("a", "feat: a")
    history.commit("b", "Update things")
    history.commit("c", "fix(core): c\n\nCloses #4")
    log = read_log(history.git, exclude=["v1.0.0"])
    assert [("fix", "c"), ("feat", "a")] == summary(log)
    assert (Malformed(history.commits["b"], "Update things"),) == log.malformed
    assert (3, 0, 0) == (log.commits, log.merges, log.reverted)
    assert history.commits["c"] == log.changes[0].commit
    everything = read_log(history.git)
    assert 4 == everything.commits


def test_read_log_is_one_git_log(history: History) -> None:
    """Reading a range starts a constant number of git children, however many tags it excludes."""
    history.commit("a", "feat: a")
    tags = [f"v0.{index}.0" for index in range(300)]
    refs = "".join(f"create refs/tags/{tag} {history.commits['initial']}\n" for tag in tags)
    subprocess.run(
        ["git", "update-ref", "--stdin"], cwd=history.repo.path, input=refs, text=True, check=True
    )
    counter = Counter()
    log = read_log(Git(history.repo.path, watch=counter), exclude=[*tags, "v1.0.0"])
    assert [("feat", "a")] == summary(log)
    assert counter.started_count <= 2


def test_a_stream_left_early_stops_git(history: History) -> None:
    """Closing a streamed git command early stops and reaps git; the records came as text."""
    for name in "abc":
        history.commit(name, f"feat: {name}")
    counter = Counter()
    records = Git(history.repo.path, watch=counter).stream("log", "-z", "--format=%s")
    assert "feat: c" == next(records)[0]  # the newest first, as git writes it
    assert (1, 0) == (counter.started_count, counter.ended_count)
    records.close()
    assert 1 == counter.ended_count
    with pytest.raises(ChildProcessError):
        os.waitpid(counter.pids[0], os.WNOHANG)


def test_a_failing_stream_is_a_git_error(history: History) -> None:
    """git's failure in a stream is one GitError line naming the command and git's reason."""
    with pytest.raises(GitError, match=r"^git log failed: fatal: .*--no-such-option") as raised:
        list(history.git.stream("-c", "x.y=z", "log", "--no-such-option"))
    assert str(history.repo.path) == raised.value.where


def test_merges_are_counted_and_skipped(history: History) -> None:
    """A merge commit is counted and skipped; with include_merges its message is read."""
    history.repo.git("checkout", "-q", "-b", "topic")
    history.commit("side", "feat: side")
    history.repo.git("checkout", "-q", "main")
    history.commit("main", "fix: main")
    history.repo.git("merge", "-q", "--no-ff", "topic", "-m", "Merge branch 'topic'\n\nfeat: title")
    log = read_log(history.git, exclude=["v1.0.0"])
    assert [("feat", "side"), ("fix", "main")] == sorted(summary(log))
    assert (3, 1) == (log.commits, log.merges)
    merged = read_log(history.git, exclude=["v1.0.0"], include_merges=True)
    assert ("feat", "title") in summary(merged)
    assert (3, 0) == (merged.commits, merged.merges)


def test_a_revert_in_the_range_cancels_out(history: History) -> None:
    """A commit and its revert in the same range both go; a revert of a released commit stays."""
    released = history.commit("old", "feat: old")
    history.tag("v1.1.0")
    history.commit("new", "feat: new")
    history.repo.git("revert", "--no-edit", history.commits["new"])
    history.repo.git("revert", "--no-edit", released)
    log = read_log(history.git, exclude=["v1.0.0", "v1.1.0"])
    assert [("revert", "feat: old")] == summary(log)
    assert (3, 1) == (log.commits, log.reverted)
    assert infer_bump(log, Version("1.1.0")) == "patch"


def test_a_revert_of_a_revert_restores_the_change(history: History) -> None:
    """Reverting the revert brings the original change back; both reverts cancel."""
    history.commit("a", "feat: a")
    history.repo.git("revert", "--no-edit", "HEAD")
    history.repo.git("revert", "--no-edit", "HEAD")
    log = read_log(history.git, exclude=["v1.0.0"])
    assert [("feat", "a")] == summary(log)


def test_conventional_revert_with_short_hash_cancels(history: History) -> None:
    """``revert: ...`` with ``Refs: <short hash>`` cancels the commit it names in the range."""
    target = history.commit("a", "feat: a")
    history.commit("b", f"revert: feat: a\n\nRefs: {target[:9]}")
    log = read_log(history.git, exclude=["v1.0.0"])
    assert ([], 1) == (summary(log), log.reverted)


def test_pathspecs_are_relative_to_the_top(history: History) -> None:
    """``paths`` limits the commits to a folder, from the top, wherever the runner stands."""
    history.commit("backend", "feat: backend", "backend/app.py")
    history.commit("nested", "fix: nested", "backend/plugin/app.py")
    history.commit("frontend", "feat: frontend", "frontend/app.js")
    for root in (history.repo.path, history.repo.path / "frontend"):
        runner = Git(root)
        assert [("fix", "nested"), ("feat", "backend")] == summary(
            read_log(runner, exclude=["v1.0.0"], paths=["backend"])
        )
        for excluded in (":(exclude)backend/plugin", ":!backend/plugin"):
            log = read_log(runner, exclude=["v1.0.0"], paths=["backend", excluded])
            assert [("feat", "backend")] == summary(log)


def test_unborn_head_is_an_empty_log(tmp_path: Path) -> None:
    """A repository without commits has nothing to read, and that is not an error."""
    git(tmp_path, "init", "-q")
    assert CommitLog() == read_log(Git(tmp_path))
    assert [(None, CommitLog())] == read_releases(Git(tmp_path), [])


def test_an_unknown_tag_is_a_git_error(history: History) -> None:
    """Excluding a tag that does not exist fails with git's own reason, in one line."""
    with pytest.raises(GitError, match=r"git log failed: .*bad revision") as raised:
        read_log(history.git, exclude=["v9.9.9"])
    assert not isinstance(raised.value, HistoryMissing)


def _shallow_clone(history: History, tmp_path: Path, depth: int) -> Git:
    clone = tmp_path / f"shallow{depth}"
    git(tmp_path, "clone", "-q", "--depth", str(depth), f"file://{history.repo.path}", str(clone))
    return Git(clone)


def test_shallow_clone_without_the_tag_says_history_is_missing(
    history: History, tmp_path: Path
) -> None:
    """A shallow clone cut off before the release tag raises HistoryMissing with the fix."""
    for name in "abcde":
        history.commit(name, f"feat: {name}")
    clone = _shallow_clone(history, tmp_path, 3)
    with pytest.raises(HistoryMissing) as raised:
        read_log(clone, exclude=[])
    line = raised.value.one_line()
    assert "this is a shallow clone: its history is cut off at commit" in line
    assert "git fetch --unshallow --tags" in line
    assert "fetch-depth: 0" in line
    with pytest.raises(HistoryMissing):
        read_log(clone, paths=["files"])
    with pytest.raises(HistoryMissing):
        read_releases(clone, [])


def test_shallow_clone_that_holds_the_tag_is_enough(history: History, tmp_path: Path) -> None:
    """When the release tag's commit is in the shallow clone, the walk stops there: no error."""
    for name in "abcde":
        history.commit(name, f"feat: {name}")
    history.tag("v1.1.0", history.commits["c"])
    clone = _shallow_clone(history, tmp_path, 4)
    assert "v1.1.0" in clone.output("tag").split()
    log = read_log(clone, exclude=["v1.1.0"])
    assert [("feat", "e"), ("feat", "d")] == summary(log)
    # A folder born after the cut has all of its history in the clone.
    history.commit("late", "feat: late", "late/file.txt")
    assert 1 == read_log(_shallow_clone(history, tmp_path, 2), paths=["late"]).commits


def _release(history: History, name: str) -> ReleaseTag:
    return ReleaseTag(name, Version(name.removeprefix("v")), "v{version}")


def test_read_releases_assigns_each_commit_to_the_oldest_tag(history: History) -> None:
    """Each commit goes to the oldest release containing it, with side-branch tags and merges."""
    history.commit("a", "feat: a")
    history.tag("v1.1.0")
    history.repo.git("checkout", "-q", "-b", "maintenance")
    history.commit("side1", "fix: side one")
    history.commit("side2", "fix: side two")
    history.tag("v1.1.1")  # a tag that is not on main's first-parent line
    history.repo.git("checkout", "-q", "main")
    history.commit("b", "feat: b")
    history.repo.git("merge", "-q", "--no-ff", "maintenance", "-m", "Merge maintenance")
    history.commit("c", "fix: c")
    history.tag("v1.2.0")
    history.tag("v1.2.1")  # a release with no commits of its own
    history.commit("d", "docs: d")
    tags = [_release(history, name) for name in ("v1.0.0", "v1.2.1", "v1.1.0", "v1.2.0", "v1.1.1")]
    counter = Counter()
    result = read_releases(Git(history.repo.path, watch=counter), tags)
    found = [(tag.name if tag else None, sorted(summary(log))) for tag, log in result]
    assert [
        (None, [("docs", "d")]),
        ("v1.2.1", []),
        ("v1.2.0", [("feat", "b"), ("fix", "c")]),
        ("v1.1.1", [("fix", "side one"), ("fix", "side two")]),
        ("v1.1.0", [("feat", "a")]),
        ("v1.0.0", []),
    ] == found
    assert (3, 1) == (result[2][1].commits, result[2][1].merges)
    assert [1, 0, 3, 2, 1, 1] == [log.commits for _, log in result]
    assert [Malformed(history.commits["initial"], "Initial commit")] == list(
        result[-1][1].malformed
    )
    # Flat in the number of tags: the same few git children for six tags as for one.
    assert counter.started_count <= 5


def test_read_releases_with_a_clock_set_wrong(history: History) -> None:
    """A fork point dated after one of its children comes early in git's order: still right.

    git shows commits newest first by date, so ``f`` (dated 2030) comes before its child ``y``
    (dated 2020, on a side branch released as v1.1.0). ``f`` is in v1.1.0, the oldest release
    containing it, not in v1.2.0, which reached it first.
    """

    def at(date: str, *args: str) -> None:
        dates = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
        subprocess.run(
            ["git", *args], cwd=history.repo.path, env={**os.environ, **dates}, check=True
        )

    for name, date, branch in [("f", "2030", "main"), ("y", "2020", "side"), ("x", "2031", "main")]:
        if branch == "side":
            history.repo.git("checkout", "-q", "-b", "side")
        history.repo.git("checkout", "-q", branch)
        (history.repo.path / f"{name}.txt").write_text(name)
        history.repo.git("add", "-A")
        kind = "fix" if name == "y" else "feat"
        at(f"{date}-01-01T00:00:00", "commit", "-q", "-m", f"{kind}: {name}")
        if name == "y":
            history.tag("v1.1.0")
    at("2032-01-01T00:00:00", "merge", "-q", "--no-ff", "side", "-m", "Merge side")
    history.tag("v1.2.0")
    order = history.repo.git("log", "--format=%s").splitlines()
    assert order.index("feat: f") < order.index("fix: y")  # the parent before its child
    tags = [_release(history, name) for name in ("v1.0.0", "v1.1.0", "v1.2.0")]
    found = [
        (tag.name if tag else None, sorted(summary(log)))
        for tag, log in read_releases(history.git, tags)
    ]
    assert [
        (None, []),
        ("v1.2.0", [("feat", "x")]),
        ("v1.1.0", [("feat", "f"), ("fix", "y")]),
        ("v1.0.0", []),
    ] == found


def test_read_releases_with_paths_keeps_the_labels(history: History) -> None:
    """With paths, a release's commits outside them drop out, but the others keep their release."""
    history.commit("a", "feat: a", "pkg/a.py")
    history.commit("other", "feat: other", "elsewhere/x.py")
    history.tag("v1.1.0")
    history.commit("b", "fix: b", "pkg/b.py")
    history.commit("other2", "fix: other", "elsewhere/y.py")
    tags = [_release(history, "v1.0.0"), _release(history, "v1.1.0")]
    result = read_releases(history.git, tags, paths=["pkg"])
    assert [(None, [("fix", "b")]), ("v1.1.0", [("feat", "a")]), ("v1.0.0", [])] == [
        (tag.name if tag else None, summary(log)) for tag, log in result
    ]


def test_read_releases_reverts_within_one_release(history: History) -> None:
    """A revert cancels out inside its release; across releases the revert is listed."""
    history.commit("a", "feat: a")
    history.repo.git("revert", "--no-edit", "HEAD")
    history.commit("b", "feat: b")
    history.tag("v1.1.0")
    history.repo.git("revert", "--no-edit", history.commits["b"])
    result = read_releases(history.git, [_release(history, "v1.1.0")])
    assert [("revert", "feat: b")] == summary(result[0][1])
    assert [("feat", "b")] == summary(result[1][1])
    assert 1 == result[1][1].reverted


# --- bump inference ------------------------------------------------------------------------


def _log(*changes: tuple[str, bool]) -> CommitLog:
    return CommitLog(tuple(Change(HASH, kind, None, "x", breaking) for kind, breaking in changes))


@pytest.mark.parametrize(
    ("changes", "current", "major_on_zero", "expected"),
    [
        ((), "1.2.3", False, None),
        ((("docs", False), ("chore", False), ("refactor", False)), "1.2.3", False, None),
        ((("fix", False),), "1.2.3", False, "patch"),
        ((("perf", False),), "1.2.3", False, "patch"),
        ((("revert", False),), "1.2.3", False, "patch"),
        ((("fix", False), ("feat", False)), "1.2.3", False, "minor"),
        ((("feat", False), ("fix", False)), "1.2.3", False, "minor"),
        ((("fix", False), ("docs", True)), "1.2.3", False, "major"),
        ((("feat", False), ("fix", True)), "1.2.3", True, "major"),
        ((("fix", True),), "0.4.1", False, "minor"),
        ((("fix", True),), "0.4.1", True, "major"),
        ((("feat", False),), "0.4.1", False, "minor"),
        ((("fix", False),), "0.4.1", False, "patch"),
        ((("chore", True),), "2.0.0rc1", False, "major"),
    ],
)
def test_infer_bump(
    changes: tuple[tuple[str, bool], ...], current: str, major_on_zero: bool, expected: str | None
) -> None:
    """breaking -> major (minor in 0.x unless major_on_zero), feat -> minor, fix/perf/revert -> patch."""
    assert expected == infer_bump(_log(*changes), Version(current), major_on_zero=major_on_zero)
