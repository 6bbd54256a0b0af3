"""``releasekit notes``: print a version's changelog section, or draft notes from the commits.

Made for ``gh release create --notes "$(releasekit notes 1.2.0)"``: the section's text goes to
standard output unchanged, and nothing else does. ``--from-commits`` drafts the next release's
notes from the Conventional Commits since the latest release tag instead, and ``--all`` a whole
changelog from every release tag's commits; neither writes anything.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

from releasekit.cli import Context
from releasekit.records import frozen

if TYPE_CHECKING:
    from releasekit.changelog import Changelog
    from releasekit.commits import CommitLog, HistoryWalk
    from releasekit.config import Project, Settings
    from releasekit.console import Console
    from releasekit.git import Git, Result, Started
    from releasekit.tags import ReleaseHistory


@click.command(
    epilog="""\b
Examples:
  releasekit notes                     the newest release's section
  releasekit notes 1.2.0               the section of 1.2.0
  gh release create v1.2.0 --notes "$(releasekit notes 1.2.0)\"
  releasekit notes --from-commits      the next release's notes, drafted from the commits
  releasekit notes --from-commits --all > CHANGELOG.md
                                       a whole changelog from every release tag's commits

The changelog file: setting changelog [env: RELEASEKIT_CHANGELOG]. Drafting: settings
changelog-sections and include-merges (docs/prepare.md#changelogs-from-commits)."""
)
@click.argument("version", required=False)
@click.option(
    "--from-commits",
    is_flag=True,
    help="Draft the next release's notes from the Conventional Commits since the latest "
    "release tag (writes nothing).",
)
@click.option(
    "--all",
    "every",
    is_flag=True,
    help="With --from-commits: a whole changelog, one section per release tag.",
)
@click.option(
    "--package",
    metavar="NAME",
    help="The package NAME of a monorepo (its changelog, its tags, its commits).",
)
@click.pass_obj
def notes(
    obj: Context, version: str | None, from_commits: bool, every: bool, package: str | None
) -> None:
    """Print a version's changelog section as written (default: the newest release)."""
    from releasekit.cli.common import selected_packages
    from releasekit.errors import UsageError
    from releasekit.records import replace

    # --all here is the whole changelog (not every package): --package alone selects.
    chosen = selected_packages(obj, package, every=False)
    if chosen:
        obj = replace(obj, root=chosen[0].root)

    if every and not from_commits:
        raise UsageError(
            "--all drafts a whole changelog from the commits and needs --from-commits",
            hint="releasekit notes --from-commits --all",
        )
    if from_commits and version is not None:
        raise UsageError(
            f"--from-commits drafts the next release's notes and takes no VERSION ({version})",
            hint="drop VERSION, or drop --from-commits to print that version's section",
        )
    if from_commits:
        _from_commits(obj, every=every)
        return
    _written(obj, version)


def _written(obj: Context, version: str | None) -> None:
    """A version's section of the changelog, as written."""
    from releasekit.changelog import notes as section_notes
    from releasekit.changelog_files import SEARCHED, load_changelog
    from releasekit.config import load_project, resolve_settings
    from releasekit.errors import ChangelogError
    from releasekit.versioning import parse_version

    wanted = parse_version(version, where="VERSION") if version is not None else None
    settings = resolve_settings(load_project(obj.root), env=os.environ)
    found = load_changelog(obj.root, settings)
    if found is None and settings.changelog is False:
        raise ChangelogError(
            "there is no changelog: changelog = false",
            hint="set changelog to the file's name in [tool.releasekit]",
        )
    if found is None:
        raise ChangelogError(
            f"no changelog found ({SEARCHED})",
            where=str(obj.root),
            hint="create one, or set changelog to its name in [tool.releasekit]",
        )
    _, body = section_notes(found.parse(), wanted, where=found.display)
    obj.console.out.write(body)


def _remote_url(git: Git) -> str | None:
    """The URL of the remote releases are pushed to (the upstream's, else origin's)."""
    _, upstream = git.checkout()
    if upstream is not None:
        return git.remote_url(upstream[0])
    return git.remote_url("origin") if "origin" in git.remotes() else None


def _tag_dates(listed: Result) -> dict[str, str]:
    """The dates ``git.TAG_DATES`` listed, by tag name."""
    dates: dict[str, str] = {}
    for line in listed.stdout.splitlines():
        ref, _, date = line.rpartition(" ")
        if ref.startswith("refs/tags/") and date:
            dates[ref.removeprefix("refs/tags/")] = date
    return dates


def _report(console: Console, log: CommitLog, what: str) -> None:
    """For ``-v``: what was read, and the subjects that are not Conventional Commits."""
    console.detail(
        f"{what}: {log.commits} commit{'s' * (log.commits != 1)} read, {len(log.changes)} "
        f"change{'s' * (len(log.changes) != 1)}, {log.merges} merge{'s' * (log.merges != 1)} "
        f"skipped, {log.reverted} reverted"
    )
    if log.malformed:
        count = len(log.malformed)
        verb = "s are" if count != 1 else " is"
        console.detail(f"{count} commit{verb} not Conventional Commits:")
        for bad in log.malformed:
            console.detail(f"  {bad.commit[:7]} {bad.subject}")


def _project_changelog(obj: Context, settings: Settings) -> Changelog | None:
    """The project's changelog, parsed, for its markup and style; ``None`` without one.

    Parsed as far as asked (``changelog.Changelog``): a whole changelog drafted from the
    commits asks only for the markup, and a file of a thousand releases is not read for it.
    """
    from releasekit.changelog_files import load_changelog
    from releasekit.errors import ChangelogError

    try:
        found = load_changelog(obj.root, settings)
    except ChangelogError:  # a configured file that does not exist yet: no style to follow
        return None
    return found.parse() if found is not None else None


def _from_commits(obj: Context, *, every: bool) -> None:
    """Draft notes from the commits: the next release's, or (``every``) a whole changelog."""
    from releasekit.config import load_project
    from releasekit.git import MERGED_TAGS, TAG_DATES, Git

    # Outside any project "no pyproject.toml found" (exit 2) is the answer.
    project = load_project(obj.root)
    git = Git(obj.root)
    if git.toplevel() is None:
        from releasekit.errors import GitError

        raise GitError(
            "not inside a git repository", where=str(obj.root), hint="run git init, or pass -C DIR"
        )
    if every:
        with git.start(*TAG_DATES) as dates:
            _whole_changelog(obj, git, project, dates)
        return
    # git finds the tags on HEAD's line while the rest is imported and the settings are read.
    with git.ahead(*MERGED_TAGS):
        _next_notes(obj, git, project)


@frozen
class _Found:
    """What drafting from the commits reads first: the release tags, settings, package, style."""

    history: ReleaseHistory
    settings: Settings
    paths: list[str]  # the package's pathspecs (from the top); none for the whole repository
    log_git: Git  # where its history is read
    remote_url: str | None
    changelog: Changelog | None
    for_package: str  # " for NAME" in messages about a package, else ""
    types: str  # the commit types the changelog lists, for messages


def _read(obj: Context, git: Git, project: Project, walk: HistoryWalk | None) -> _Found:
    """The release tags (reachable ones from ``walk`` when given), settings and package."""
    from releasekit.auto_version import NothingToRelease
    from releasekit.changelog_draft import section_map
    from releasekit.config import resolve_settings
    from releasekit.git import Git
    from releasekit.packages import discover
    from releasekit.project_meta import static_name
    from releasekit.tags import read_history

    settings = resolve_settings(project, env=os.environ)
    workspace = discover(obj.root)
    # The whole history first (parsed as git walks it): the commits it reaches say which tags
    # are on HEAD's line, with no walk of the history just for that.
    walked = walk.reachable() if walk is not None else None
    package = workspace.containing(obj.root) if workspace.is_monorepo else None
    remote_url = _remote_url(git)
    changelog = _project_changelog(obj, settings)
    history = read_history(
        git,
        project,
        settings,
        static_name(project),
        workspace,
        walked=walked,
    )
    if history.head is None:
        raise NothingToRelease(
            "nothing releasable: the repository has no commits yet",
            hint="commit with Conventional Commits messages (feat: ..., fix: ...)",
        )
    return _Found(
        history=history,
        settings=settings,
        # A package of a monorepo: only the commits touching its own files.
        paths=workspace.pathspec(package) if package is not None else [],
        log_git=Git(workspace.top) if package is not None else git,
        remote_url=remote_url,
        changelog=changelog,
        for_package=f" for {package.name}" if package is not None else "",
        types=", ".join(section_map(settings.changelog_sections)),
    )


def _next_notes(obj: Context, git: Git, project: Project) -> None:
    """The next release's notes, drafted from the commits since the latest release tag."""
    from releasekit.auto_version import NothingToRelease
    from releasekit.changelog_draft import draft, notes_body
    from releasekit.commits import read_log

    found = _read(obj, git, project, None)
    history, settings = found.history, found.settings
    log = read_log(
        found.log_git,
        exclude=[tag.name for tag in history.reachable],
        paths=found.paths,
        include_merges=settings.include_merges,
    )
    obj.keep(log)
    since = history.latest.name if history.latest else None
    _report(obj.console, log, f"since {since}" if since else "the whole history")
    drafted = draft(log.changes, sections=settings.changelog_sections, remote_url=found.remote_url)
    if not drafted.entries:
        where = f"since {since}" if since else "in the history"
        raise NothingToRelease(
            f"nothing releasable{found.for_package} {where}: {log.commits} "
            f"commit{'s' * (log.commits != 1)}, none of a type the changelog lists ({found.types})",
            hint="releasekit notes --from-commits -v lists what was read",
        )
    obj.console.out.write(notes_body(drafted, found.changelog))


def _whole_changelog(obj: Context, git: Git, project: Project, dates: Started) -> None:
    """A whole changelog drafted from every release tag's commits."""
    from releasekit.commits import HistoryWalk

    with HistoryWalk(git) as walk:
        _draft_whole(obj, git, project, walk, dates)


def _draft_whole(
    obj: Context, git: Git, project: Project, walk: HistoryWalk, dates: Started
) -> None:
    """``_whole_changelog`` once the walk is made: the releases, drafted and rendered."""
    from releasekit.auto_version import NothingToRelease
    from releasekit.changelog_draft import Release, draft, render_changelog
    from releasekit.commits import read_releases

    found = _read(obj, git, project, walk)
    history, settings = found.history, found.settings
    releases = read_releases(
        found.log_git,
        history.reachable,
        include_merges=settings.include_merges,
        walk=walk,
        paths=found.paths,
        commits=history.commits,
    )
    obj.keep(releases)
    dated = _tag_dates(dates.result())
    sections, remote_url = settings.changelog_sections, found.remote_url
    drafted_releases: list[Release] = []
    for tag, log in releases:
        _report(obj.console, log, tag.name if tag is not None else "unreleased")
        drafted_releases.append(
            Release(
                tag.name if tag is not None else None,
                str(tag.version) if tag is not None else None,
                dated.get(tag.name) if tag is not None else None,
                draft(log.changes, sections=sections, remote_url=remote_url),
            )
        )
    # Unreleased first, then the releases, newest version first.
    versions = {tag.name: tag.version for tag in history.reachable}
    drafted_releases = [r for r in drafted_releases if r.tag is None] + sorted(
        (r for r in drafted_releases if r.tag is not None),
        key=lambda release: versions[release.tag or ""],
        reverse=True,
    )
    if not any(release.draft.entries for release in drafted_releases) and not history.reachable:
        raise NothingToRelease(
            f"nothing releasable{found.for_package} in the history: no release tags, and no "
            f"commit of a type the changelog lists ({found.types})",
            hint="releasekit notes --from-commits -v lists what was read",
        )
    flavor = found.changelog.flavor if found.changelog is not None else "markdown"
    remote = drafted_releases[0].draft.remote if drafted_releases else None
    obj.console.out.write(render_changelog(drafted_releases, flavor, remote))
