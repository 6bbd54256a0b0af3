"""``releasekit prepare``: bump the version everywhere, roll the changelog, commit, tag, push.

Flow: read configuration and version sources, compute the new version, compute every file's new
text, run every preflight check (collecting all failures), then return a ``ReleasePlan``. Nothing
is written until the caller applies the plan, which happens as one transaction (``plan.py``).
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from packaging.version import Version

from releasekit.auto_version import AutoVersion, NothingToRelease, auto_steps, decide
from releasekit.changelog import release_unreleased
from releasekit.changelog_draft import draft as draft_entries
from releasekit.changelog_draft import draft_into_unreleased, towncrier_fragments
from releasekit.changelog_files import SEARCHED, load_changelog
from releasekit.commits import CommitLog
from releasekit.config import (
    DEFAULT_COMMIT_MESSAGE,
    Project,
    Settings,
    load_project,
    load_settings,
    resolve_settings,
)
from releasekit.errors import (
    ChangelogError,
    ConfigError,
    GitError,
    PreflightError,
    ReleaseError,
    SourceError,
    UsageError,
)
from releasekit.file_changes import FileChange
from releasekit.git import (
    FETCH,
    MERGED_TAGS,
    STATUS,
    TREE_PROJECTS,
    Git,
    Started,
    end_early,
    parse_listing,
    remote_url_of,
    valid_tag_name,
)
from releasekit.packages import Package, Workspace, discover, select
from releasekit.plan import (
    Action,
    Commit,
    DetailReporter,
    Push,
    Reporter,
    Tag,
)
from releasekit.project_meta import static_name
from releasekit.records import field, frozen
from releasekit.release_journal import Journal, Record
from releasekit.repo_lock import Owner, repository_lock
from releasekit.sources import (
    FileEdit,
    VersionSource,
    current_version,
    file_edits,
    find_sources,
)
from releasekit.tags import ReleaseHistory, ReleaseTag, read_history, require_matching_format
from releasekit.towncrier import (
    TowncrierBuild,
    fragment_layout,
    plan_towncrier,
    towncrier_config,
)
from releasekit.transaction import (
    RECOVER_COMMAND,
    Settlement,
    apply_transaction,
    describe_state,
    recover,
)
from releasekit.versioning import target_version

DEFAULT_RELEASE_BRANCHES = ("main", "master")


@frozen
class PrepareOptions:
    """What the user asked ``prepare`` for."""

    spec: str
    date: str
    commit: bool = True
    tag: bool = True
    push: bool = False
    sign: bool = False
    allow_dirty: bool = False
    allow_empty_changelog: bool = False
    changelog: bool = True  # False: --no-changelog, no changelog step at all
    # A dry run must work offline: an unreachable remote is a warning then, not a failure.
    dry_run: bool = False
    package: str | None = None  # --package NAME: that package of the monorepo
    every: bool = False  # --all: every package (with auto: every package with changes)


@frozen
class ReleasePlan:
    """Everything ``prepare`` will do, computed before anything is written."""

    root: Path
    current: Version
    new: Version
    tag: str | None
    commit_message: str | None
    writes: tuple[FileChange, ...]
    actions: tuple[Action, ...]
    sources: tuple[str, ...]
    push_remote: str | None
    remote_url: str | None
    branch: str | None
    # Things the user should know that do not stop the release (shown with the plan).
    warnings: tuple[str, ...] = ()
    # Diffs of changes that are not plain file writes (towncrier's build), shown after them.
    other_diffs: tuple[str, ...] = ()
    # The commit HEAD was on when the plan was made; applying checks it again.
    head: str | None = None
    # Each package released (one for a single project); current/new/tag above are the first's.
    releases: tuple[PackageRelease, ...] = ()
    # Packages --all auto leaves out, each with why.
    skipped: tuple[str, ...] = ()
    monorepo: bool = False  # the repository holds several packages: messages name them


def _push_target(git: Git) -> tuple[tuple[str, str] | None, str | None]:
    """The push target and the checked-out branch (``None``: HEAD is detached).

    The target, (remote, remote branch), is what the release is compared with and pushed to:
    the upstream, else origin; ``None`` when there is neither.
    """
    branch, upstream = git.checkout()
    if upstream is not None:
        return upstream, branch
    if branch is not None and "origin" in git.remotes():
        return ("origin", branch), branch
    return None, branch


def _listing(paths: list[str], most: int = 5) -> str:
    """The first ``most`` paths, comma separated, with an ellipsis for the rest."""
    return ", ".join(paths[:most]) + (", ..." if len(paths) > most else "")


def _preflight(
    git: Git,
    settings: Settings,
    options: PrepareOptions,
    *,
    releases: Sequence[tuple[Version, str | None, ReleaseHistory]],
    paths: list[str],
    warnings: list[str],
    remote: tuple[str, str, Started] | None,
    head: str | None,
    branch: str | None,
) -> list[ReleaseError]:
    """Every precondition of the release, checked before the first write; all failures returned.

    ``releases`` holds each package's new version, tag (``None``: not tagging) and history.
    Checks that cannot run (a dry run with the remote out of reach) add to ``warnings``.
    ``remote`` is the push target (``_push_target``: remote, remote branch) with its listing
    (``Git.remote_listing``), started while the release was being planned; ``None`` without a
    target. ``head`` and
    ``branch`` are HEAD's commit and the checked-out branch (``None``: none, or detached).
    """
    tags = [tag for _, tag, _ in releases if tag is not None]
    problems: list[ReleaseError] = []
    if head is None:
        problems.append(
            GitError("the repository has no commits yet", hint="commit the project first")
        )
        return problems
    if not options.allow_dirty:
        dirty = git.changed_tracked_files()
        if dirty:
            problems.append(
                GitError(
                    f"the working tree has uncommitted changes ({_listing(dirty)})",
                    where=str(git.root),
                    hint="commit or stash them, or pass --allow-dirty",
                )
            )
    wanted = (settings.release_branch,) if settings.release_branch else DEFAULT_RELEASE_BRANCHES
    if branch is None:
        problems.append(
            GitError("HEAD is detached", hint=f"check out the release branch ({wanted[0]})")
        )
    elif branch not in wanted:
        problems.append(
            GitError(
                f"on branch {branch!r}, not the release branch {' or '.join(map(repr, wanted))}",
                hint=f"git switch {wanted[0]}, or set release-branch in [tool.releasekit]",
            )
        )
    if remote is not None:
        problems.extend(
            _remote_problems(
                git, remote, head=head, branch=branch, tags=tags, options=options, warnings=warnings
            )
        )
    for new, tag, history in releases:
        if tag is not None and not valid_tag_name(tag):
            problems.append(
                ConfigError(
                    f"the tag name {tag!r} is not one git accepts",
                    where="tag-format",
                    hint="change tag-format in [tool.releasekit] (git help check-ref-format "
                    "lists the rules)",
                )
            )
        elif tag is not None and tag in history.commits:  # every tag, read with the history
            problems.append(
                GitError(
                    f"tag {tag} already exists",
                    hint=f"choose another version, or delete it (git tag -d {tag}) if it is a "
                    "mistake",
                )
            )
        problems.extend(_history_problems(history, new, tag))
    if options.commit:
        problems.extend(
            GitError(f"{path} is not tracked by git", hint="git add and commit it, then run again")
            for path in git.untracked(paths)
        )
    if options.push and remote is None:
        problems.append(
            GitError(
                "--push needs a remote, and none is configured", hint="git remote add origin URL"
            )
        )
    return problems


def _remote_problems(
    git: Git,
    remote: tuple[str, str, Started],
    *,
    head: str | None,
    branch: str | None,
    tags: list[str],
    options: PrepareOptions,
    warnings: list[str],
) -> list[ReleaseError]:
    """The release against the push target: not behind its branch, none of its tags there.

    One round trip answers both (the branch and the tags, listed). Only when the remote's
    branch holds commits this clone lacks is it fetched, to say how many.
    """
    name, remote_branch, listing = remote
    try:
        refs = parse_listing(listing.result().stdout)
        tip = refs.get(f"refs/heads/{remote_branch}")
        behind = git.commits_behind(tip) if tip is not None and tip != head else 0
        if behind is None:
            git.run(*FETCH, name, f"refs/heads/{remote_branch}")
            behind = git.commits_behind("FETCH_HEAD") or 0
    except GitError as exc:
        if options.dry_run:
            warnings.append(
                f"cannot reach {name!r} ({exc.message}): upstream and remote tags were not checked"
            )
            return []
        return [
            GitError(
                f"cannot reach {name!r}: {exc.message}",
                hint="check the network and the remote, then run again",
            )
        ]
    problems: list[ReleaseError] = []
    if behind:
        problems.append(
            GitError(
                f"branch {branch!r} is {behind} commit{'s' if behind > 1 else ''} "
                f"behind {name}/{remote_branch}",
                hint="git pull --rebase, then run again",
            )
        )
    problems.extend(
        GitError(
            f"tag {tag} already exists on {name!r}",
            hint="choose another version, or fetch it: the release was already made",
        )
        for tag in tags
        if f"refs/tags/{tag}" in refs
    )
    return problems


def _history_problems(history: ReleaseHistory, new: Version, tag: str | None) -> list[GitError]:
    """The new version against the releases: above the latest reachable, never tagged before.

    A tag equal to the new tag is reported by the existing-tag check, not twice.
    """
    latest = history.latest
    if latest is not None and new < latest.version:
        return [
            GitError(
                f"{new} is not higher than the latest release tag {latest.name}",
                hint=f"choose a version above {latest.version}, or fix the version sources",
            )
        ]
    earlier: ReleaseTag | None = history.tagged(new)
    if earlier is not None and earlier.name != tag:
        return [
            GitError(
                f"{new} was already released: tag {earlier.name} exists",
                hint="choose another version; a version is released once",
            )
        ]
    return []


@frozen
class ChangelogStep:
    """What releasing the changelog takes: a rewrite, a towncrier build, or nothing (and why)."""

    edit: FileEdit | None = None
    build: TowncrierBuild | None = None
    warning: str | None = None


NO_CHANGELOG_WARNING = (
    f"no changelog found ({SEARCHED}); releasing without one "
    "(--no-changelog or changelog = false says so and silences this)"
)


def _changelog_step(
    project: Project,
    settings: Settings,
    options: PrepareOptions,
    *,
    new: Version,
    tag: str,
    previous_tag: str | None,
    remote_url: str | None,
    env: Mapping[str, str],
    detail: Callable[[str], None],
    draft: CommitLog | None = None,
) -> ChangelogStep:
    """How the changelog is released as ``new``, decided before anything is written.

    towncrier's build when towncrier is configured, else the found (or configured) file's
    Unreleased section; no step when turned off, and a warning when there is no changelog.
    ``detail`` hears the decision, for ``-v``.
    """
    if not options.changelog or settings.changelog is False:
        why = "--no-changelog" if not options.changelog else "changelog = false"
        detail(f"changelog: skipped ({why})")
        return ChangelogStep()
    drafted = (
        draft_entries(draft.changes, sections=settings.changelog_sections, remote_url=remote_url)
        if draft is not None
        else None
    )
    towncrier = towncrier_config(project.root)
    if towncrier is not None:
        detail("changelog: built by towncrier")
        extra = (
            towncrier_fragments(project.root, fragment_layout(project.root, towncrier), drafted)
            if drafted is not None
            else {}
        )
        if drafted is not None:
            detail(f"changelog: {len(extra)} news fragment(s) drafted from the commits")
        build = plan_towncrier(
            project.root,
            towncrier,
            version=new,
            date=options.date,
            allow_empty=options.allow_empty_changelog,
            env=env,
            extra_fragments=extra,
        )
        return ChangelogStep(build=build)
    found = load_changelog(project.root, settings)
    if found is None:
        detail("changelog: none found")
        return ChangelogStep(warning=NO_CHANGELOG_WARNING)
    detail(f"changelog: {found.display}")
    changelog = found.parse()
    if drafted is not None:
        detail(f"changelog: {len(drafted.entries)} entr(ies) drafted from the commits")
        # Parsed as it is put together: thousands of drafted entries are not parsed again.
        changelog = draft_into_unreleased(changelog, drafted)
    released = release_unreleased(
        changelog,
        version=new,
        date=options.date,
        new_tag=tag,
        previous_tag=previous_tag,
        remote_url=remote_url,
        allow_empty=options.allow_empty_changelog,
        where=found.display,
    )
    return ChangelogStep(edit=FileEdit(path=found.path, old=found.text, new=released))


@frozen
class PackageRelease:
    """One package's part of a release, for the plan shown and the JSON report."""

    name: str | None
    path: str  # its folder relative to the top of the repository ("." for the top)
    current: Version
    new: Version
    tag: str | None
    sources: tuple[str, ...]
    bump: str | None = None  # what ``auto`` decided from the commits
    # What ``auto`` read: its changes, kept with the plan (``cli.Context.keep`` keeps the plan).
    log: CommitLog | None = field(default=None, repr=False, compare=False)

    @property
    def commits(self) -> int | None:
        """How many commits ``auto`` read; ``None`` without ``auto``."""
        return self.log.commits if self.log is not None else None


@frozen
class _PackagePlan:
    """Everything one package contributes to a release, before the commit and the tags."""

    release: PackageRelease
    tag_name: str
    history: ReleaseHistory
    edits: list[FileEdit]
    changelog: ChangelogStep
    settings: Settings
    warnings: list[str]
    problems: list[ReleaseError]


def _commit_message(settings: Settings, release: PackageRelease, monorepo: bool) -> str:
    """A package's release commit (and tag) message; in a monorepo the default names it."""
    if monorepo and settings.commit_message == DEFAULT_COMMIT_MESSAGE:
        return f"Release {release.name} {release.new}"
    return settings.commit_message_for(release.new, release.name or "")


def _plan_package(
    package: Package,
    options: PrepareOptions,
    *,
    workspace: Workspace,
    remote_url: Callable[[], str | None],
    env: Mapping[str, str],
    reporter: DetailReporter | None,
) -> _PackagePlan:
    """One package's new version, tag and file changes; raises on bad input.

    ``auto`` raises ``NothingToRelease`` when the package's commits call for no release.
    """
    project = load_project(package.root)
    git = Git(package.root)
    settings = resolve_settings(project, env=env)
    name = static_name(project)
    history = read_history(git, project, settings, name, workspace)
    latest = history.latest
    sources = find_sources(project, settings, latest_tag=latest.version if latest else None)
    _report_reading(reporter, project, env, history, sources)
    tag_derived = all(source.path is None for source in sources)
    require_matching_format(history, tag_derived=tag_derived)
    warnings: list[str] = [history.mismatch] if history.mismatch else []
    current = current_version(sources, project)
    auto: AutoVersion | None = None
    if auto_steps(options.spec) is not None:
        auto = decide(
            git,
            options.spec,
            current,
            history,
            paths=workspace.pathspec(package) if workspace.is_monorepo else (),
            major_on_zero=settings.major_on_zero,
            include_merges=settings.include_merges,
            package=name if workspace.is_monorepo else None,
        )
        _report_commits(reporter, auto)
        new = auto.version
    else:
        new = target_version(current, options.spec)
    tag_name = history.tag_format.tag_for(new)
    problems: list[ReleaseError] = []
    edits = file_edits(sources, new)
    changelog = ChangelogStep()
    try:
        changelog = _changelog_step(
            project,
            settings,
            options,
            new=new,
            tag=tag_name,
            previous_tag=latest.name if latest else None,
            remote_url=remote_url(),
            env=env,
            detail=reporter.detail if reporter is not None else _ignore,
            draft=auto.log if auto is not None else None,
        )
    except ChangelogError as exc:
        problems.append(exc)
    edits.extend([changelog.edit] if changelog.edit else [])
    warnings.extend([changelog.warning] if changelog.warning else [])
    release = PackageRelease(
        name=name,
        path=package.path,
        current=current,
        new=new,
        tag=tag_name if options.commit and options.tag else None,
        sources=tuple(
            s.label if s.path is None else str(s.path.relative_to(package.root)) for s in sources
        ),
        bump=auto.bump if auto else None,
        log=auto.log if auto else None,
    )
    return _PackagePlan(release, tag_name, history, edits, changelog, settings, warnings, problems)


def _report_commits(reporter: DetailReporter | None, auto: AutoVersion) -> None:
    """For ``-v``: the commits ``auto`` read, what they called for, and the malformed ones."""
    if reporter is None:
        return
    log = auto.log
    since = f"since {auto.since}" if auto.since else "in the whole history"
    reporter.detail(
        f"commits: {log.commits} read {since}, {len(log.changes)} change(s), "
        f"{log.merges} merge(s) skipped, {log.reverted} reverted; bump: {auto.bump}"
    )
    for malformed in log.malformed:
        reporter.detail(f"not a Conventional Commit: {malformed.commit[:12]} {malformed.subject}")


def _plan_packages(
    packages: Sequence[Package],
    options: PrepareOptions,
    *,
    workspace: Workspace,
    remote_url: Callable[[], str | None],
    env: Mapping[str, str],
    reporter: DetailReporter | None,
) -> tuple[list[_PackagePlan], list[str]]:
    """Each package's plan, and why the packages with nothing to release were left out."""
    several = len(packages) > 1
    plans: list[_PackagePlan] = []
    skipped: list[str] = []
    for package in packages:
        if reporter is not None and several:
            reporter.detail(f"package {package.name} ({package.path})")
        try:
            plans.append(
                _plan_package(
                    package,
                    options,
                    workspace=workspace,
                    remote_url=remote_url,
                    env=env,
                    reporter=reporter,
                )
            )
        except NothingToRelease as nothing:
            if not several:
                raise
            skipped.append(f"{package.name}: {nothing.message}")
    if not plans:
        raise NothingToRelease(
            f"nothing to release: none of the {len(packages)} packages has a feat, fix, perf, "
            "revert or breaking change since its last release",
            hint="pass a bump to release anyway; releasekit notes --from-commits -v lists "
            "what was read",
        )
    return plans, skipped


def _commit_and_tags(
    git: Git,
    plans: Sequence[_PackagePlan],
    package_paths: Sequence[list[str]],
    options: PrepareOptions,
    *,
    per_package: bool,
    monorepo: bool,
) -> tuple[list[Action], str | None]:
    """The release commit (or a commit per package) and the tags; the (first) commit message.

    One commit holds every package's release unless ``per_package``; each tag is made right
    after the commit that holds its package.
    """
    if not options.commit:
        return [], None
    wants_tag = options.tag
    messages = [_commit_message(plan.settings, plan.release, monorepo) for plan in plans]
    actions: list[Action] = []
    message: str | None = None
    if not per_package:
        message = (
            messages[0]
            if len(plans) == 1
            else "Release " + ", ".join(f"{p.release.name} {p.release.new}" for p in plans)
        )
        all_paths = [path for paths in package_paths for path in paths]
        actions.append(Commit(git, all_paths, message))
    for plan, paths, own in zip(plans, package_paths, messages, strict=True):
        if per_package:
            actions.append(Commit(git, paths, own))
            message = own if message is None else message
        if wants_tag:
            actions.append(Tag(git, plan.tag_name, own, sign=options.sign))
    return actions, message


def _planning() -> contextlib.ExitStack:
    """The block a release is planned in, which git commands started ahead end with.

    Those started as the command began (``head_start``) end with it too: they tell how the
    repository was then, and the planning is the last step before anything changes.
    """
    stack = contextlib.ExitStack()
    stack.callback(end_early)
    return stack


def plan_release(
    root: Path,
    options: PrepareOptions,
    *,
    env: Mapping[str, str],
    reporter: DetailReporter | None = None,
) -> ReleasePlan:
    """Work out the whole release and check every precondition; write nothing.

    The release is of the project at ``root``, or of the packages ``--package``/``--all``
    select (``options``); with ``--all auto`` the packages without releasable commits are left
    out (``skipped``). Raises the first input error found (configuration, sources, version), or
    a ``PreflightError`` that holds every failed precondition at once. ``reporter`` hears, for
    ``-v``, what was read and decided: the configuration, the version sources, the tag format,
    the commits, the changelog.
    """
    if options.push and not options.commit:
        raise UsageError("--push needs a commit to push", hint="drop --no-commit or --push")
    selecting = options.package is not None or options.every
    if not selecting:
        # The project first: outside any project "no pyproject.toml found" (exit 2) is the answer.
        load_project(root)
    git = Git(root)
    top = git.toplevel()
    if top is None:
        raise GitError(
            "not inside a git repository", where=str(root), hint="run git init, or pass -C DIR"
        )
    with _planning() as running:
        if not selecting:
            # git finds the tags on HEAD's line while the project and its settings are read.
            running.enter_context(git.ahead(*MERGED_TAGS))
        # And the projects in the tree, while the remote settings are read.
        running.enter_context(Git(top.resolve()).ahead(*TREE_PROJECTS))
        target, branch = _push_target(git)
        workspace = discover(root)
        packages = select(workspace, root=root, package=options.package, every=options.every)
        several = len(packages) > 1
        base = top if several else packages[0].root
        git = Git(base)
        if not options.allow_dirty:
            running.enter_context(git.ahead(*STATUS))
        asked_url, remote = _ask_remote(running, git, target)
        plans, skipped = _plan_packages(
            packages,
            options,
            workspace=workspace,
            remote_url=asked_url,
            env=env,
            reporter=reporter,
        )
        remote_url = asked_url()
        settings = plans[0].settings if not several else load_settings(top, env)
        warnings = [
            f"{plan.release.name}: {warning}" if several else warning
            for plan in plans
            for warning in plan.warnings
        ]
        problems = [problem for plan in plans for problem in plan.problems]
        edits = [edit for plan in plans for edit in plan.edits]
        real_paths, link_problems = _real_files(base, git, edits)
        problems.extend(link_problems)
        package_paths: list[list[str]] = []
        for plan in plans:
            paths = [os.path.relpath(real_paths[edit.path], base) for edit in plan.edits]
            build = plan.changelog.build
            paths.extend(
                os.path.relpath(part.path, base) for part in (build.parts if build else [])
            )
            package_paths.append(paths)
        all_paths = [path for paths in package_paths for path in paths]
        wants_tag = options.commit and options.tag
        problems.extend(
            _preflight(
                git,
                settings,
                options,
                releases=[
                    (plan.release.new, plan.tag_name if wants_tag else None, plan.history)
                    for plan in plans
                ],
                paths=all_paths,
                warnings=warnings,
                remote=remote,
                head=plans[0].history.head,
                branch=branch,
            )
        )
        if problems:
            raise PreflightError(problems)
    # Leaving the block ended every git command started ahead (here or at the command's start)
    # that nobody took.
    writes = tuple(
        FileChange(real, os.path.relpath(real, base), edit.old.encode(), edit.new.encode())
        for edit in edits
        for real in [real_paths[edit.path]]
    )
    actions: list[Action] = list(writes)
    actions.extend(plan.changelog.build for plan in plans if plan.changelog.build)
    committing, message = _commit_and_tags(
        git,
        plans,
        package_paths,
        options,
        per_package=several and settings.commit_per_package,
        monorepo=workspace.is_monorepo,
    )
    actions.extend(committing)
    tags = [plan.tag_name for plan in plans] if options.commit and wants_tag else []
    push = _push(git, target, tags) if options.push else None
    actions.extend([push] if push else [])
    first = plans[0].release
    return ReleasePlan(
        root=base,
        current=first.current,
        new=first.new,
        tag=first.tag,
        commit_message=message,
        writes=writes,
        actions=tuple(actions),
        sources=first.sources,
        push_remote=push.remote if push else None,
        remote_url=remote_url,
        branch=branch,
        warnings=tuple(warnings),
        other_diffs=tuple(plan.changelog.build.diff() for plan in plans if plan.changelog.build),
        head=plans[0].history.head,
        releases=tuple(plan.release for plan in plans),
        skipped=tuple(skipped),
        monorepo=workspace.is_monorepo,
    )


def _ask_remote(
    running: contextlib.ExitStack, git: Git, target: tuple[str, str] | None
) -> tuple[Callable[[], str | None], tuple[str, str, Started] | None]:
    """The push target's URL when asked for, and its listing started for ``_preflight``.

    Both are started now and ask git while the release is planned (the history read, the
    files edited): the URL is first wanted for the changelog's links, after the history is
    read, and waiting for it here kept Python idle while git started. Both end with ``running``.
    """
    if target is None:
        return _no_url, None
    url = running.enter_context(git.start_remote_url(target[0]))
    listing = running.enter_context(git.remote_listing(*target))
    return functools.partial(remote_url_of, url), (*target, listing)


def _no_url() -> str | None:
    return None


def _push(git: Git, target: tuple[str, str] | None, tags: list[str]) -> Push | None:
    """The atomic push of the branch (and the tags) to the push target, if there is one."""
    if target is None:
        return None
    refspecs = [f"HEAD:refs/heads/{target[1]}"] + [f"refs/tags/{tag}" for tag in tags]
    return Push(git, target[0], refspecs)


def _real_files(
    root: Path, git: Git, edits: Sequence[FileEdit]
) -> tuple[dict[Path, Path], list[ReleaseError]]:
    """Each planned file's real path (links resolved); a problem for each outside the repository.

    Writing through a link while committing the link itself would tag a release without its
    bump, so the real file is what is written and committed; a link out of the repository would
    change a file no commit records, so it is refused before anything is written.
    """
    top = (git.toplevel() or root).resolve()
    real_paths: dict[Path, Path] = {}
    problems: list[ReleaseError] = []
    for edit in edits:
        real = edit.path.resolve()
        real_paths[edit.path] = real
        if not real.is_relative_to(top):
            problems.append(
                SourceError(
                    f"is a link to {real}, outside the repository",
                    where=_relative(edit.path, root),
                    hint="releasekit writes only inside the repository: replace the link with "
                    "the file it points to",
                )
            )
    return real_paths, problems


# Where a tag format came from, for ``-v`` (``tags.FormatSource``).
_FORMAT_ORIGINS = {
    "setting": "the tag-format setting",
    "scm": "the scm tool's configuration",
    "tags": "the existing release tags",
    "default": "the default",
}


def _relative(path: Path, root: Path) -> str:
    """``path`` relative to the project when it is inside it."""
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def _ignore(message: str) -> None:
    """Detail nobody asked for."""


def _report_reading(
    reporter: DetailReporter | None,
    project: Project,
    env: Mapping[str, str],
    history: ReleaseHistory,
    sources: Sequence[VersionSource],
) -> None:
    """For ``-v``: the configuration read, the tag format and its origin, the version sources."""
    if reporter is None:
        return
    detail = reporter.detail
    table = project.pyproject.get("tool", {}).get("releasekit")
    if not project.pyproject:
        detail(f"configuration: no pyproject.toml in {project.root}; defaults apply")
    elif isinstance(table, dict) and table:
        detail(f"configuration: {project.pyproject_path} [tool.releasekit]: {', '.join(table)}")
    else:
        detail(f"configuration: {project.pyproject_path} has no [tool.releasekit]; defaults apply")
    variables = sorted(name for name in env if name.startswith("RELEASEKIT_") and env[name])
    if variables:
        detail(f"environment: {', '.join(variables)}")
    tag_format, latest = history.tag_format, history.latest
    detail(f"tag format: {tag_format.template} (from {_FORMAT_ORIGINS[tag_format.source]})")
    detail(f"latest release tag: {latest.name}" if latest else "latest release tag: none")
    for source in sources:
        place = "" if source.path is None else f" in {_relative(source.path, project.root)}"
        detail(f"version source: {source.label}{place} = {source.version}")


def apply_release(plan: ReleasePlan, reporter: Reporter, guard: ReleaseGuard) -> Settlement | None:
    """Apply the plan as one transaction (``transaction.apply_transaction``).

    Returns ``None``, or a ``published`` settlement: the push was cut short after the remote
    took the release, which therefore stands.
    """
    return apply_transaction(
        plan.actions,
        Git(plan.root),
        reporter,
        journal=guard.journal,
        owner=guard.owner,
        expected_head=plan.head or "",
        release=release_name(plan),
    )


def release_name(plan: ReleasePlan) -> str:
    """How messages name the release: its version, or each package's name and version."""
    if len(plan.releases) <= 1:
        return str(plan.new)
    return ", ".join(f"{release.name} {release.new}" for release in plan.releases)


@frozen
class ReleaseGuard:
    """The repository's release lock, held, and its journal."""

    journal: Journal
    owner: Owner
    notes: tuple[str, ...]  # e.g. a stale lock that was removed


def _release_folder(root: Path) -> tuple[Path, str]:
    """Where the lock and the journal live (the common git directory), and how to name it."""
    _, common = Git(root).git_dirs()
    folder = common.resolve() / "releasekit"
    return folder, os.path.relpath(folder, root)


@contextlib.contextmanager
def release_guard(root: Path, command: str) -> Iterator[ReleaseGuard]:
    """Hold the repository's release lock for the block: one ``prepare`` at a time.

    Outside a project or a git repository there is nothing to lock: the same errors as planning.
    """
    load_project(root)  # "no pyproject.toml found" comes first, as for planning
    if Git(root).toplevel() is None:
        raise GitError(
            "not inside a git repository", where=str(root), hint="run git init, or pass -C DIR"
        )
    folder, shown = _release_folder(root)
    with repository_lock(folder, f"{shown}/lock", command) as (owner, notes):
        yield ReleaseGuard(Journal(folder, f"{shown}/journal"), owner, tuple(notes))


def unfinished_release(root: Path, journal: Journal | None = None) -> ReleaseError | None:
    """The error that explains a release a dead ``prepare`` left unsettled, if there is one.

    ``journal`` is the held guard's; without it (a dry run) the repository's is looked up.
    """
    if journal is None:
        if Git(root).toplevel() is None:
            return None
        folder, shown = _release_folder(root)
        journal = Journal(folder, f"{shown}/journal")
    if not journal.exists():
        return None
    record = journal.load()
    state = describe_state(Git(root), record)
    return ReleaseError(
        f"a previous releasekit prepare ({record.owner.describe()}) did not finish release "
        f"{record.release}: {state}",
        where=journal.shown,
        hint=f"run {RECOVER_COMMAND}: it keeps the release if it is whole or published, "
        "and undoes it otherwise",
    )


def recover_release(root: Path, guard: ReleaseGuard) -> tuple[Record, Settlement] | None:
    """Settle what a dead ``prepare`` left; ``None`` when nothing was left."""
    if not guard.journal.exists():
        return None
    return recover(Git(root), guard.journal)
