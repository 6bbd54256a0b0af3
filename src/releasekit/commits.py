"""Conventional Commits since the last release, read in one streamed ``git log`` pass.

Speed is the point of this module: python-semantic-release and git-cliff take seconds to minutes
on histories that ``git log`` prints in a fraction of a second. So git does the walking (one
process per question, never one per commit or per tag), its output is parsed while git is still
writing it, and the parser reads most messages with one precompiled regex on the subject line.

Pathspecs passed as ``paths`` are relative to the top of the repository, wherever the ``Git``
runner stands: plain paths get git's ``:(top)`` magic, magic ones get ``top`` added.
"""

from __future__ import annotations

import contextlib
import gc
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence

from packaging.version import Version

from releasekit.errors import GitError
from releasekit.git import LOG, LOG_RECORD, Git, Started
from releasekit.records import frozen, mutable
from releasekit.tags import ReleaseTag
from releasekit.versioning import Bump


# Read-only by convention, not ``frozen``: a frozen dataclass sets each field through
# ``object.__setattr__``, four times slower to build, and a history holds tens of thousands.
@mutable(slots=True, unsafe_hash=True)
class Change:
    """One Conventional Commits entry: a commit, or one entry of a squash-merge body."""

    commit: str  # the full hash of the commit it came from
    type: str  # lower case: "feat", "fix", ...
    scope: str | None
    description: str  # the text after "type(scope)!: ", stripped
    breaking: bool  # "!" before the colon, or a BREAKING CHANGE / BREAKING-CHANGE footer
    breaking_text: str | None = None  # the footer's text, when there is one
    # Issue and merge-request references as written ("#12", "GH-7", "!34", "org/repo#5"), from
    # the description and from footers such as Closes/Fixes/Refs, in order, without repeats.
    references: tuple[str, ...] = ()
    footers: tuple[tuple[str, str], ...] = ()  # (token, value) in order


@mutable(slots=True, unsafe_hash=True)  # read-only, as ``Change``
class Malformed:
    """A commit whose subject is not a Conventional Commits header (counted, listed with -v)."""

    commit: str
    subject: str


@frozen
class CommitLog:
    """What one range of history holds, newest first."""

    changes: tuple[Change, ...] = ()
    malformed: tuple[Malformed, ...] = ()
    commits: int = 0  # commits read, merges included
    merges: int = 0  # merge commits skipped
    reverted: int = 0  # changes dropped because a revert in the same range undid them


# (hash, parents, entries) of one commit; a merge that is not parsed has no entries.
_Record = tuple[str, list[str], tuple[Change, ...] | Malformed]


class HistoryMissing(GitError):
    """A shallow clone lacks the commits a release needs (exit 1)."""


# --- the parser ----------------------------------------------------------------------------

# Emoji that teams (gitmoji) put before the type: pictographs, dingbats, arrows and other
# symbols, with the joiners and selectors that build composite emoji. Letters of any script are
# not among them, so a prefix never swallows words.
_EMOJI = (
    "\u00a9\u00ae\u203c\u2049\u200d\u20e3\u2100-\u2bff\u3030\u303d\u3297\u3299"
    "\ufe0f\U0001f000-\U0001faff\U000e0020-\U000e007f"
)
# Possessive quantifiers: a long run of emoji that is not followed by a header fails at once
# instead of being re-split every way (the subject is user input of any length).
_PREFIX = rf"(?:[{_EMOJI}]++[ \t]*+|:[a-z0-9_+-]++:[ \t]*+)*+"
_HEADER_BODY = (
    r"(?P<type>[A-Za-z][A-Za-z0-9-]*+)(?:\((?P<scope>[^()\n]*)\))?(?P<bang>!)?"
    r":[ \t]++(?P<text>\S.*)"
)
_HEADER = re.compile(_PREFIX + _HEADER_BODY)
# A squash merge's body lists the squashed commits' subjects as bullets.
_BULLET = re.compile(r"[*-][ \t]++" + _PREFIX + _HEADER_BODY)
_HAS_BULLET = re.compile(r"^[*-][ \t]", re.MULTILINE)
# A footer: "Token: value" or "Token #value"; only BREAKING CHANGE may hold a space.
_FOOTER = re.compile(
    r"(?P<token>BREAKING[ -]CHANGE|[A-Za-z][A-Za-z0-9-]*+)(?::(?:[ \t]++|$)|[ ](?=#))(?P<value>.*)"
)
_BREAKING_LINE = re.compile(r"BREAKING[ -]CHANGE:", re.MULTILINE)
_BREAKING_TOKENS = frozenset({"BREAKING CHANGE", "BREAKING-CHANGE"})
# Footers whose values name issues or merge requests (GitHub's and GitLab's closing keywords).
_REFERENCE_TOKENS = frozenset(
    {
        "close", "closes", "closed", "fix", "fixes", "fixed", "resolve", "resolves",
        "resolved", "ref", "refs", "references", "see", "see-also", "related", "related-to",
        "part-of", "issue", "issues",
    }
)  # fmt: skip
# "#12", "org/repo#5", "!34", "org/repo!5", "GH-12"; not "foo#12", URL fragments or "&#12;".
# An owner has no dots (GitHub's rule), so "example.org/page#12" is no reference.
_REFERENCE = re.compile(
    r"(?<![\w/#!&.-])(?:[\w-]+/[\w.-]+)?[#!]\d+\b|(?<![\w-])GH-\d+\b", re.IGNORECASE
)
_REVERT_SUBJECT = re.compile(r'Revert "(?P<inner>.*)"')
_REVERTS_COMMIT = re.compile(r"This reverts commit ([0-9a-fA-F]{7,40})\b")
_HASH = re.compile(r"\b[0-9a-f]{7,40}\b")
_REVERT_REF_TOKENS = frozenset({"refs", "ref", "reverts"})
_MERGE_REQUEST = re.compile(r"^See merge request (\S+)$", re.MULTILINE)
_PULL_SUFFIX = re.compile(r"\s*\((?:[\w.-]+/[\w.-]+)?[#!]\d+\)$")
_FULL_HASH = re.compile(r"[0-9a-f]{40}")
_FULL_LENGTH = 40  # hex digits in a full (SHA-1) commit hash
# How many excluded tags a message names before "...".
_NAMED = 3


def _references(text: str) -> list[str]:
    # Every reference holds "#", "!" or "GH-" in any case: most descriptions need no search.
    if "#" not in text and "!" not in text and "h-" not in text and "H-" not in text:
        return []
    return _REFERENCE.findall(text)


def _unique(items: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items)) if items else ()


def _is_blank(line: str) -> bool:
    return not line or line.isspace()


def _footers(lines: Sequence[str]) -> list[tuple[str, str]]:
    """The footers of a message body: its last paragraphs of ``Token: value`` lines.

    A paragraph belongs to the footers when its first line is a footer; the footers run from
    the earliest such paragraph that only footer paragraphs follow. A ``BREAKING CHANGE:`` line
    starts them wherever it stands, so a breaking change followed by more prose is still seen.
    A value goes on over the following lines (blank ones too) until the next token.
    """
    # Blank: empty or only white space (``_is_blank``, written out: this runs for most bodies).
    end = len(lines)
    while end and (not lines[end - 1] or lines[end - 1].isspace()):
        end -= 1
    start = end
    position = end
    match = _FOOTER.match
    while position:
        first = position
        while first and lines[first - 1] and not lines[first - 1].isspace():
            first -= 1
        if match(lines[first]) is None:
            break
        start = first
        position = first
        while position and (not lines[position - 1] or lines[position - 1].isspace()):
            position -= 1
    # Most bodies never say BREAKING: one search of the text instead of a look at each line.
    if start and "BREAKING" in "\n".join(lines[:start]):
        for index in range(start):
            if lines[index].startswith("BREAKING") and _BREAKING_LINE.match(lines[index]):
                start = index
                break
    footers: list[tuple[str, str]] = []
    token: str | None = None
    value: list[str] = []
    for line in lines[start:end]:
        found = match(line)
        if found is None:
            value.append(line.rstrip())
            continue
        if token is not None:
            footers.append((token, "\n".join(value).strip()))
        token, opening = found.groups()
        value = [opening.rstrip()]
    if token is not None:
        footers.append((token, "\n".join(value).strip()))
    return footers


# What a set of footers says: the breaking change's text, and the references. A plain pair,
# not a record: most commits of a history with a body carry footers, and building a record
# for each took a fifth of reading them.
_Notes = tuple[str | None, tuple[str, ...]]
_NO_NOTES: _Notes = (None, ())


def _notes(footers: Sequence[tuple[str, str]]) -> _Notes:
    if not footers:
        return _NO_NOTES
    breaking_text = None
    references: list[str] = []
    for token, value in footers:
        if token in _BREAKING_TOKENS:
            if breaking_text is None:
                breaking_text = value
        elif token.lower() in _REFERENCE_TOKENS:
            references.extend(_references(value))
    return breaking_text, tuple(references)


def _change(
    commit: str,
    header: re.Match[str],
    footers: Sequence[tuple[str, str]],
    notes: _Notes,
    extra_references: Sequence[str] = (),
) -> Change:
    kind, scope, bang, text = header.groups()
    description = text.rstrip()
    references = _references(description)
    breaking_text, noted = notes
    if noted or extra_references:
        references = [*references, *noted, *extra_references]
    return Change(
        commit,
        kind.lower(),
        scope.strip() or None if scope is not None else None,
        description,
        bang is not None or breaking_text is not None,
        breaking_text,
        _unique(references),
        tuple(footers),
    )


def _with_revert_target(footers: list[tuple[str, str]], body: str) -> list[tuple[str, str]]:
    """Footers plus a ``Refs`` naming the reverted commit, as git's revert body states it.

    ``git revert`` writes "This reverts commit <hash>." in prose; the Conventional Commits
    specification writes ``Refs: <hash>``. One form downstream: the footer.
    """
    if "This reverts commit" not in body:
        return footers
    named = " ".join(value for token, value in footers if token.lower() in _REVERT_REF_TOKENS)
    missing = [target for target in _REVERTS_COMMIT.findall(body) if target not in named]
    return footers + [("Refs", target) for target in _unique(missing)]


def _squash_entries(
    lines: Sequence[str],
) -> tuple[list[tuple[re.Match[str], list[str]]], list[str]]:
    """A squash body's bullets that are Conventional headers, each with its indented lines.

    Everything else (other lines at the left margin, the trailers) is the commit's own text.
    """
    bullets: list[tuple[re.Match[str], list[str]]] = []
    own: list[str] = []
    current: list[str] | None = None
    for line in lines:
        if line[:1] in "*-" and (found := _BULLET.match(line)) is not None:
            current = []
            bullets.append((found, current))
        elif current is not None and (_is_blank(line) or line[:1] in " \t"):
            current.append(line)
        else:
            current = None
            own.append(line)
    return bullets, own


def _dedent(lines: list[str]) -> list[str]:
    widths = [len(line) - len(line.lstrip()) for line in lines if not _is_blank(line)]
    width = min(widths, default=0)
    return [line[width:] for line in lines]


def _entry_key(change: Change) -> tuple[str, str | None, str]:
    """What makes two entries the same; GitHub adds " (#12)" to a squash merge's subject."""
    return change.type, change.scope, _PULL_SUFFIX.sub("", change.description)


def parse_message(commit: str, message: str) -> tuple[Change, ...] | Malformed:
    """The entries of one commit message (several for a squash-merge body), or ``Malformed``.

    The subject is a Conventional Commits header (``type(scope)!: description``, type in any
    case, after optional emoji or ``:shortcode:``); the footers are the body's last paragraphs.
    When the subject is no header, a squash merge's bullets that are headers are the entries;
    under a header subject they are the pull request's history, already summed up by it.
    Reverts, in git's form (``Revert "feat: x"``) or as ``revert:``, are ``revert`` entries
    whose ``Refs`` footer names the reverted commit; a merge's subject is passed over for the
    first line of its body (the pull request's title). Never raises: a message that yields no
    entry is ``Malformed``.
    """
    text = message
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.strip()
    subject, _, body = text.partition("\n")
    subject = subject.strip()
    header = _HEADER.match(subject)
    if not body:
        # The common case, kept short: a one-line message.
        if header is None:
            return _git_revert(commit, subject, [], "") or Malformed(commit, subject)
        kind, scope, bang, text = header.groups()
        description = text.rstrip()
        return (
            Change(
                commit,
                kind.lower(),
                scope.strip() or None if scope is not None else None,
                description,
                bang is not None,
                None,
                _unique(_references(description)),
            ),
        )
    body = body.lstrip("\n")
    if header is not None:
        return (_headed(commit, header, body),)
    if subject.startswith("Merge "):
        # GitHub: "Merge pull request #12 from a/b" then the title; GitLab: "Merge branch 'b'
        # into 'main'" then the title and "See merge request group/project!12".
        title, _, rest = body.partition("\n")
        merge_header = _HEADER.match(title.strip())
        if merge_header is not None:
            merge_references = [*_references(subject), *_MERGE_REQUEST.findall(rest)]
            return (_headed(commit, merge_header, rest.lstrip("\n"), merge_references),)
    return _headless(commit, subject, body)


def _has_bullets(body: str) -> bool:
    """Whether a body lists bullets (a squash merge's commits); a plain search rules most out."""
    return ("* " in body or "- " in body) and _HAS_BULLET.search(body) is not None


def _body_footers(body: str, own: list[str] | None = None) -> list[tuple[str, str]]:
    """The footers of a body, among ``own`` lines (a squash body's, bullets set apart) if given.

    The bullets' lines are set apart even when they make no entry, so that a footer above them
    (a squashed commit's BREAKING CHANGE) does not run on into the list. Every footer holds ":"
    or " #"; most bodies are prose without either.
    """
    if ":" not in body and "#" not in body:
        return []
    if own is None and _has_bullets(body):
        own = _squash_entries(body.split("\n"))[1]
    return _footers(body.split("\n") if own is None else own)


def _headed(
    commit: str, header: re.Match[str], body: str, extra_references: Sequence[str] = ()
) -> Change:
    """The one entry of a message with a body whose subject (or merge title) is a header.

    A squash merge lists every commit of the pull request in its body, fixups and all; when its
    subject makes an entry, that entry is what the pull request is (commitizen's "fix(config):
    ... (#1773)" over "* feat(config): ..." was released as a patch), so its bullets are left.
    ``_change`` written out with ``_notes``: this runs for most commits of a history.
    """
    footers = _body_footers(body)
    kind, scope, bang, text = header.groups()
    kind = kind.lower()
    if kind == "revert":
        footers = _with_revert_target(footers, body)
    description = text.rstrip()
    references = _references(description)
    breaking_text = None
    if footers:
        breaking_text, noted = _notes(footers)
        if noted:
            references = [*references, *noted]
    if extra_references:
        references = [*references, *extra_references]
    return Change(
        commit,
        kind,
        scope.strip() or None if scope is not None else None,
        description,
        bang is not None or breaking_text is not None,
        breaking_text,
        _unique(references),
        tuple(footers),
    )


def _headless(commit: str, subject: str, body: str) -> tuple[Change, ...] | Malformed:
    """The entries of a message with a body whose subject is no header.

    A revert in git's form is one entry; otherwise a squash merge's bullets that are headers
    are the entries (GitHub's "Update things (#12)" says nothing of its own).
    """
    bullets: list[tuple[re.Match[str], list[str]]] = []
    own: list[str] | None = None
    if _has_bullets(body):
        bullets, own = _squash_entries(body.split("\n"))
    footers = _with_revert_target(_body_footers(body, own), body)
    revert = _git_revert(commit, subject, footers, body)
    if revert is not None or not bullets:
        return revert or Malformed(commit, subject)
    # A bullet shares the commit's own references (the pull request a squash merge names).
    shared = [*_references(subject), *_notes(footers)[1]]
    entries: list[Change] = []
    seen: set[tuple[str, str | None, str]] = set()
    for found, block in bullets:
        own_footers = _footers(_dedent(block))
        if not entries:
            # No subject entry carries the commit's own footers: the first bullet does.
            own_footers += footers
        change = _change(commit, found, own_footers, _notes(own_footers), shared)
        key = _entry_key(change)
        if key not in seen:
            seen.add(key)
            entries.append(change)
    return tuple(entries) if entries else Malformed(commit, subject)


def _git_revert(
    commit: str, subject: str, footers: list[tuple[str, str]], body: str
) -> tuple[Change, ...] | None:
    """The entry of a revert in git's own form: ``Revert "feat: x"``."""
    found = _REVERT_SUBJECT.match(subject)
    if found is None:
        return None
    breaking_text, noted = _notes(footers)
    return (
        Change(
            commit,
            "revert",
            None,
            found["inner"].strip() or subject,
            breaking_text is not None,
            breaking_text,
            _unique([*_references(subject), *noted]),
            tuple(footers),
        ),
    )


# --- reading history -----------------------------------------------------------------------

_UNSHALLOW = (
    "fetch the whole history: git fetch --unshallow --tags "
    "(in GitHub Actions: fetch-depth: 0 on actions/checkout)"
)


def _top_pathspec(spec: str) -> str:
    """``spec`` relative to the top of the repository, whatever git's working folder is."""
    if not spec.startswith(":"):
        return ":(top)" + spec
    if spec.startswith(":("):
        magic, closed, rest = spec[2:].partition(")")
        if not closed:
            return spec
        words = [word for word in magic.split(",") if word]
        return spec if "top" in words else f":({','.join(['top', *words])}){rest}"
    # The short form: ":/" (top), ":!" or ":^" (exclude), ended by an optional ":".
    signs = ""
    index = 1
    while index < len(spec) and spec[index] in "/!^":
        signs += spec[index]
        index += 1
    rest = spec[index + 1 :] if spec[index : index + 1] == ":" else spec[index:]
    words = ["top"] + (["exclude"] if "!" in signs or "^" in signs else [])
    return f":({','.join(words)}){rest}"


def _pathspecs(paths: Sequence[str]) -> list[str]:
    return ["--", *map(_top_pathspec, paths)] if paths else []


def _shallow_boundary(git: Git) -> frozenset[str]:
    """The commits whose parents a shallow clone lacks; empty in a complete repository.

    A shallow clone lists them in its shallow file; a complete one has none.
    """
    layout = git.layout()
    if layout is None:
        return frozenset()
    try:
        text = layout.shallow.read_text(encoding="ascii", errors="replace")
    except OSError:
        return frozenset()
    return frozenset(text.split())


def _history_missing(git: Git, commit: str, what: str) -> HistoryMissing:
    return HistoryMissing(
        f"this is a shallow clone: its history is cut off at commit {commit[:12]}, {what}",
        where=str(git.root),
        hint=_UNSHALLOW,
    )


def _short_of(exclude: Sequence[str]) -> str:
    """Where a walk since the release tags ran out of history, in words."""
    if not exclude:
        return "and no release tag marks where the changes to release begin"
    names = ", ".join(exclude[:_NAMED]) + (", ..." if len(exclude) > _NAMED else "")
    return f"before the release tags ({names}) that mark where the changes to release begin"


class _Range:
    """The entries of one range of history as they are read, newest first."""

    def __init__(self, include_merges: bool) -> None:
        self.include_merges = include_merges
        self.read: list[tuple[str, tuple[Change, ...] | Malformed]] = []
        self.changes: list[Change] = []
        self.malformed: list[Malformed] = []
        self.commits = 0
        self.merges = 0

    def add(self, records: Iterable[_Record]) -> None:
        """(hash, parents, entries) of commits, newest first; merges count but are skipped.

        One call for each batch git's output comes in: a history holds tens of thousands of
        commits, and a call for each would cost a fifth of the time their entries take to sort.
        """
        include_merges = self.include_merges
        read, changes, malformed = self.read, self.changes, self.malformed
        commits = merges = 0
        for commit, parents, parsed in records:
            commits += 1
            if len(parents) > 1 and not include_merges:
                merges += 1
                continue
            read.append((commit, parsed))
            if isinstance(parsed, Malformed):
                malformed.append(parsed)
            else:
                changes.extend(parsed)
        self.commits += commits
        self.merges += merges

    def log(self) -> CommitLog:
        """The range's log, with the changes that a revert in the range undid taken out."""
        dropped = _cancelled_by_reverts(self.read, self.changes)
        if not dropped:
            return CommitLog(tuple(self.changes), tuple(self.malformed), self.commits, self.merges)
        changes: list[Change] = []
        malformed: list[Malformed] = []
        reverted = 0
        for commit, result in self.read:
            undone = dropped.get(commit)
            if isinstance(result, Malformed):
                if undone is None:
                    malformed.append(result)
                elif undone:
                    reverted += 1
                continue
            for change in result:
                if undone is None or (not undone and change.type != "revert"):
                    changes.append(change)
                elif undone:
                    reverted += 1
        return CommitLog(tuple(changes), tuple(malformed), self.commits, self.merges, reverted)


def _revert_targets(change: Change) -> list[str]:
    return [
        target
        for token, value in change.footers
        if token.lower() in _REVERT_REF_TOKENS
        for target in _HASH.findall(value.lower())
    ]


def _cancelled_by_reverts(
    read: Sequence[tuple[str, tuple[Change, ...] | Malformed]], changes: Sequence[Change]
) -> dict[str, bool]:
    """Commits to leave out: ``True`` for a reverted commit, ``False`` for the revert itself.

    ``changes`` are the entries of ``read``, in order. A revert and the commit it undoes cancel
    out when both are in the range; a revert of an already released commit stays (it is news).
    Newest first, so a revert of a revert undoes the revert and the original stands.
    """
    reverts = [
        (change.commit, targets)
        for change in changes
        if change.type == "revert" and (targets := _revert_targets(change))
    ]
    if not reverts:
        return {}
    commits = [commit for commit, _ in read]
    position = dict(zip(commits, range(len(commits)), strict=True))
    by_prefix: dict[str, list[str]] = {}  # for abbreviated hashes, made when one is met
    dropped: dict[str, bool] = {}
    for commit, targets in reverts:
        if dropped.get(commit):
            continue
        for target in targets:
            if len(target) == _FULL_LENGTH:  # git revert's own message: a full hash
                matches = [target] if target in position else []
            else:
                if not by_prefix:
                    for each in commits:
                        by_prefix.setdefault(each[:7], []).append(each)
                near = by_prefix.get(target[:7], ())
                matches = [full for full in near if full.startswith(target)]
            if len(matches) == 1 and position[matches[0]] > position[commit]:
                dropped[matches[0]] = True
                dropped.setdefault(commit, False)
    return dropped


def _revisions(exclude: Sequence[str]) -> str:
    """The revisions to walk, for ``--stdin``: HEAD minus each excluded tag."""
    lines = ["HEAD"]
    for name in exclude:
        qualified = name.startswith("refs/") or _FULL_HASH.fullmatch(name) is not None
        lines.append(f"^{name}" if qualified else f"^refs/tags/{name}")
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def _walk(git: Git, *args: str, stdin: str = "") -> Iterator[Iterator[list[str]]]:
    """A streamed ``git log`` that is stopped if the reader leaves early."""
    records = git.stream(*LOG, *args, stdin=stdin)
    try:
        yield records
    finally:
        records.close()


def _commits(
    git: Git, walk: Sequence[str], stdin: str, short: str, *, merges: bool = True
) -> Iterator[list[_Record]]:
    """(hash, parents, entries) of each commit ``git log WALK`` reads, parsed as git writes them.

    A list for each batch that git's output comes in: one loop per record, not a generator
    for each step (a history is tens of thousands of records). A merge's message is parsed
    only with ``merges``. Raises ``HistoryMissing`` (saying ``short``) when a shallow clone's
    history ends first. A branch without commits yet has none (git fails there; HEAD is asked
    only then).
    """
    boundary = _shallow_boundary(git)
    parse = parse_message
    try:
        with _walk(git, LOG_RECORD, *walk, stdin=stdin) as log:
            for batch in log:
                records: list[_Record] = []
                for record in batch:
                    parts = record.split("\x1f", 2)
                    if len(parts) != 3:  # noqa: PLR2004  # hash, parents, message
                        continue
                    commit = parts[0].strip()
                    if commit in boundary:
                        raise _history_missing(git, commit, short)
                    parents = parts[1].split()
                    if merges or len(parents) < 2:  # noqa: PLR2004  # a merge has two or more
                        records.append((commit, parents, parse(commit, parts[2])))
                    else:
                        records.append((commit, parents, ()))
                yield records
    except HistoryMissing:
        raise
    except GitError:
        if _has_commits(git):
            raise


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while a history is read, then restore it as it was.

    Reading 20,000 commits makes some 60,000 objects and no reference cycles; the collector's
    passes over them (a sixth of the reading time) find nothing to free.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _has_commits(git: Git) -> bool:
    return git.head() is not None


def read_log(
    git: Git,
    *,
    exclude: Sequence[str] = (),
    paths: Sequence[str] = (),
    include_merges: bool = False,
) -> CommitLog:
    """The changes of the commits reachable from HEAD and from none of ``exclude`` (tags).

    One ``git log`` pass, parsed as git writes it; the revisions go in on ``--stdin``, so any
    number of tags fits. ``exclude`` holds tag names (or full ref names, or commit hashes);
    ``paths`` holds pathspecs relative to the top of the repository. Merge commits are counted
    and skipped unless ``include_merges``. Raises ``HistoryMissing`` when a shallow clone's
    history ends before the walk does.
    """
    found = _Range(include_merges)
    walk = ("--stdin", *_pathspecs(paths))
    short = _short_of(exclude)
    with _collector_paused():
        # A merge that is skipped is not parsed: ``add`` passes over its entries.
        for batch in _commits(git, walk, _revisions(exclude), short, merges=include_merges):
            found.add(batch)
    return found.log()


class HistoryWalk:
    """Every commit reachable from HEAD, parsed as git walks the history.

    git's default order streams: each message is parsed while git walks on, on another core
    (``--topo-order`` would make git walk everything before writing anything, and the parsing
    would wait for it). The releases are assigned afterwards from the parents (see
    ``_release_ranks``). The commits found also say which tags are reachable from HEAD, so no
    ``tag --merged`` walk of the same history is needed (``reachable``). With ``paths``, a second
    walk (``git log -- paths``), started at once, says which commits touch them. Leaving the
    ``with`` block stops git; a repository without commits has no records.
    """

    def __init__(self, git: Git) -> None:
        self.git = git
        self._touching: Started | None = None
        self._records: list[_Record] | None = None

    def __enter__(self) -> HistoryWalk:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._touching is not None:
            self._touching.__exit__(*exc_info)

    def only(self, paths: Sequence[str]) -> None:
        """Count only the commits touching ``paths`` (pathspecs from the top); none: all."""
        if paths and self._touching is None:
            self._touching = self.git.start(*LOG, "--format=%H", "HEAD", *_pathspecs(paths))

    def records(self) -> list[_Record]:
        """(hash, parents, entries) of each commit, newest first (merges too).

        Raises ``HistoryMissing`` in a shallow clone, whose history ends before the walk does.
        """
        if self._records is None:
            self._records = self._read()
        return self._records

    def _read(self) -> list[_Record]:
        short = "so the commits of every release cannot be read"
        records: list[_Record] = []
        with _collector_paused():
            for batch in _commits(self.git, ("HEAD",), "", short):
                records.extend(batch)
        return records

    def reachable(self) -> set[str]:
        """The commits reachable from HEAD."""
        return {commit for commit, _, _ in self.records()}

    def touching(self) -> set[str] | None:
        """The commits that touch the paths; ``None`` without paths (every commit counts)."""
        if self._touching is None:
            return None
        return {commit.strip() for commit in self._touching.result().stdout.split("\0")} - {""}


def _release_ranks(
    records: Sequence[tuple[str, list[str], object]], tagged: Mapping[str, int], unreleased: int
) -> list[int]:
    """Each record's release: the rank of the oldest release tag it is reachable from.

    The tags' histories are walked oldest tag first, each down to the commits an older tag has
    claimed already: those and all their ancestors are in an older release. Every commit is
    visited once, and git's order does not matter (a clock set wrong makes git show a parent
    before its child).
    """
    ranks = [unreleased] * len(records)
    if not tagged:
        return ranks  # nothing released yet
    index = {commit: position for position, (commit, _, _) in enumerate(records)}
    claimed = bytearray(len(records))
    for commit, rank in sorted(tagged.items(), key=lambda item: item[1]):
        position = index.get(commit)
        if position is None or claimed[position]:
            continue
        claimed[position] = 1
        pending = [position]
        while pending:
            position = pending.pop()
            ranks[position] = rank
            for parent in records[position][1]:
                # A parent missing from the records is beyond a shallow clone's boundary.
                above = index.get(parent)
                if above is not None and not claimed[above]:
                    claimed[above] = 1
                    pending.append(above)
    return ranks


def read_releases(
    git: Git,
    tags: Sequence[ReleaseTag],
    *,
    paths: Sequence[str] = (),
    include_merges: bool = False,
    walk: HistoryWalk | None = None,
    commits: Mapping[str, str] | None = None,
) -> list[tuple[ReleaseTag | None, CommitLog]]:
    """Every commit reachable from HEAD under the oldest release tag that contains it.

    One ``git log`` pass (``HistoryWalk``), and the oldest release containing a commit is the
    lowest of its own tags and its children's releases: no per-tag command, and the cost does
    not grow with the number of tags. With ``paths``, only the commits touching them count. The
    result is the unreleased commits first (``None``, maybe empty), then every tag, newest
    first, each with its log (empty for a release with no commits of its own, or not reachable
    from HEAD). ``walk`` is a walk already made (else one is made here); ``commits`` each tag's
    commit, when already read (else one ``for-each-ref``).
    """
    if walk is None:
        with HistoryWalk(git) as own:
            return read_releases(
                git, tags, paths=paths, include_merges=include_merges, walk=own, commits=commits
            )
    walk.only(paths)
    ranked = sorted(tags, key=lambda tag: tag.version)
    unreleased = len(ranked)
    records = walk.records()
    if not records:
        return [(None, CommitLog()), *((tag, CommitLog()) for tag in reversed(ranked))]
    commits_of = git.refs().tags if commits is None else commits
    tagged: dict[str, int] = {}
    for rank, tag in enumerate(ranked):
        commit = commits_of.get(tag.name)
        if commit is not None:
            tagged.setdefault(commit, rank)
    wanted = walk.touching()
    ranks = _release_ranks(records, tagged, unreleased)
    released: list[list[_Record]] = [[] for _ in range(unreleased + 1)]
    for record, rank in zip(records, ranks, strict=True):
        if wanted is None or record[0] in wanted:
            released[rank].append(record)
    groups = [_Range(include_merges) for _ in released]
    for group, its_records in zip(groups, released, strict=True):
        group.add(its_records)
    result: list[tuple[ReleaseTag | None, CommitLog]] = [(None, groups[unreleased].log())]
    result.extend((tag, groups[rank].log()) for rank, tag in reversed(list(enumerate(ranked))))
    return result


def infer_bump(log: CommitLog, current: Version, *, major_on_zero: bool = False) -> Bump | None:
    """The bump the changes call for, or ``None`` when nothing is releasable.

    Breaking -> major (minor while the major version is 0, as 0.x promises no stability, unless
    ``major_on_zero``); feat -> minor; fix, perf and revert -> patch. Other types (docs, chore,
    refactor, ...) release nothing on their own.
    """
    bump: Bump | None = None
    for change in log.changes:
        if change.breaking:
            return "major" if current.major > 0 or major_on_zero else "minor"
        if change.type == "feat":
            bump = "minor"
        elif bump is None and change.type in {"fix", "perf", "revert"}:
            bump = "patch"
    return bump
