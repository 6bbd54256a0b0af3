"""``releasekit prepare``: bump the version everywhere, roll the changelog, commit, tag, push.

Flow: read configuration and version sources, compute the new version, compute every file's new
text, run every preflight check (collecting all failures), then return a ``ReleasePlan``. Nothing
is written until the caller applies the plan, which happens as one transaction (``plan.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from packaging.version import Version

from releasekit import changelog as changelog_module
from releasekit.config import Project, Settings, load_project, resolve_settings
from releasekit.errors import ChangelogError, GitError, PreflightError, ReleaseError, UsageError
from releasekit.git import Git
from releasekit.plan import Action, Commit, Push, Reporter, Tag, WriteFile, apply_actions
from releasekit.sources import FileEdit, current_version, file_edits, find_sources
from releasekit.tags import latest_release_tag
from releasekit.versioning import target_version

DEFAULT_RELEASE_BRANCHES = ("main", "master")


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class ReleasePlan:
    """Everything ``prepare`` will do, computed before anything is written."""

    root: Path
    current: Version
    new: Version
    tag: str | None
    commit_message: str | None
    writes: tuple[WriteFile, ...]
    actions: tuple[Action, ...]
    sources: tuple[str, ...]
    push_remote: str | None
    remote_url: str | None
    branch: str | None


def _push_target(git: Git) -> tuple[str, str] | None:
    """(remote, remote branch) to compare with and push to: the upstream, else origin."""
    upstream = git.upstream()
    if upstream is not None:
        return upstream
    branch = git.current_branch()
    if branch is not None and "origin" in git.remotes():
        return "origin", branch
    return None


def _listing(paths: list[str], most: int = 5) -> str:
    """The first ``most`` paths, comma separated, with an ellipsis for the rest."""
    return ", ".join(paths[:most]) + (", ..." if len(paths) > most else "")


def _preflight(
    git: Git,
    settings: Settings,
    options: PrepareOptions,
    *,
    new: Version,
    tag: str | None,
    latest: tuple[Version, str] | None,
    paths: list[str],
) -> list[ReleaseError]:
    """Every precondition of the release, checked before the first write; all failures returned."""
    problems: list[ReleaseError] = []
    if git.head() is None:
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
    branch = git.current_branch()
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
    target = _push_target(git)
    if target is not None:
        remote, remote_branch = target
        try:
            git.fetch(remote)
        except GitError as exc:
            problems.append(
                GitError(
                    f"cannot fetch from {remote!r}: {exc.message}",
                    hint="check the network and the remote, then run again",
                )
            )
        else:
            tracking = f"refs/remotes/{remote}/{remote_branch}"
            if git.ref(tracking) is not None:
                behind = git.commits_behind(tracking)
                if behind:
                    problems.append(
                        GitError(
                            f"branch {branch!r} is {behind} commit{'s' if behind > 1 else ''} "
                            f"behind {remote}/{remote_branch}",
                            hint="git pull --rebase, then run again",
                        )
                    )
            if tag is not None and git.remote_has_tag(remote, tag):
                problems.append(
                    GitError(
                        f"tag {tag} already exists on {remote!r}",
                        hint="choose another version, or fetch it: the release was already made",
                    )
                )
    if tag is not None and git.ref(f"refs/tags/{tag}") is not None:
        problems.append(
            GitError(
                f"tag {tag} already exists",
                hint=f"choose another version, or delete it (git tag -d {tag}) if it is a mistake",
            )
        )
    # A tag equal to the new version is reported above as an existing tag, not twice.
    if latest is not None and (new < latest[0] or (new == latest[0] and latest[1] != tag)):
        problems.append(
            GitError(
                f"{new} is not higher than the latest release tag {latest[1]}",
                hint=f"choose a version above {latest[0]}, or fix the version sources",
            )
        )
    if options.commit:
        problems.extend(
            GitError(f"{path} is not tracked by git", hint="git add and commit it, then run again")
            for path in paths
            if not git.is_tracked(git.root / path)
        )
    if options.push and target is None:
        problems.append(
            GitError(
                "--push needs a remote, and none is configured", hint="git remote add origin URL"
            )
        )
    return problems


def _changelog_edit(
    project: Project,
    settings: Settings,
    options: PrepareOptions,
    *,
    new: Version,
    tag: str,
    previous_tag: str | None,
    remote_url: str | None,
) -> FileEdit:
    """The changelog's new text, with Unreleased released as ``new``."""
    path = project.root / settings.changelog
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError as exc:
        raise ChangelogError(
            "changelog not found",
            where=settings.changelog,
            hint="create it with an '## [Unreleased]' section, or set changelog in pyproject",
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ChangelogError(f"cannot read the changelog: {exc}", where=settings.changelog) from exc
    released = changelog_module.release_unreleased(
        changelog_module.parse(text),
        version=new,
        date=options.date,
        new_tag=tag,
        previous_tag=previous_tag,
        remote_url=remote_url,
        allow_empty=options.allow_empty_changelog,
        where=settings.changelog,
    )
    return FileEdit(path=path, old=text, new=released)


def plan_release(root: Path, options: PrepareOptions, *, env: Mapping[str, str]) -> ReleasePlan:
    """Work out the whole release and check every precondition; write nothing.

    Raises the first input error found (configuration, sources, version), or a ``PreflightError``
    that holds every failed precondition at once.
    """
    if options.push and not options.commit:
        raise UsageError("--push needs a commit to push", hint="drop --no-commit or --push")
    git = Git(root)
    if git.toplevel() is None:
        raise GitError(
            "not inside a git repository", where=str(root), hint="run git init, or pass -C DIR"
        )
    project = load_project(root)
    settings = resolve_settings(project, env=env)
    latest = latest_release_tag(git, settings)
    sources = find_sources(project, settings, latest_tag=latest[0] if latest else None)
    current = current_version(sources, project)
    new = target_version(current, options.spec)
    tag_name = settings.tag_for(new)
    target = _push_target(git)
    remote_url = git.remote_url(target[0]) if target else None

    problems: list[ReleaseError] = []
    edits = file_edits(sources, new)
    try:
        edits.append(
            _changelog_edit(
                project,
                settings,
                options,
                new=new,
                tag=tag_name,
                previous_tag=latest[1] if latest else None,
                remote_url=remote_url,
            )
        )
    except ChangelogError as exc:
        problems.append(exc)
    paths = [str(edit.path.relative_to(root)) for edit in edits]
    wants_tag = options.commit and options.tag
    problems.extend(
        _preflight(
            git,
            settings,
            options,
            new=new,
            tag=tag_name if wants_tag else None,
            latest=latest,
            paths=paths,
        )
    )
    if problems:
        raise PreflightError(problems)

    writes = tuple(
        WriteFile(edit.path, str(edit.path.relative_to(root)), edit.old.encode(), edit.new.encode())
        for edit in edits
    )
    actions: list[Action] = list(writes)
    message = settings.commit_message_for(new) if options.commit else None
    if message is not None:
        actions.append(Commit(git, paths, message))
        if wants_tag:
            actions.append(Tag(git, tag_name, message, sign=options.sign))
    push_remote = None
    if options.push and target is not None:
        push_remote = target[0]
        refspecs = [f"HEAD:refs/heads/{target[1]}"]
        if wants_tag:
            refspecs.append(f"refs/tags/{tag_name}")
        actions.append(Push(git, push_remote, refspecs))
    return ReleasePlan(
        root=root,
        current=current,
        new=new,
        tag=tag_name if wants_tag else None,
        commit_message=message,
        writes=writes,
        actions=tuple(actions),
        sources=tuple(
            s.label if s.path is None else str(s.path.relative_to(root)) for s in sources
        ),
        push_remote=push_remote,
        remote_url=remote_url,
        branch=git.current_branch(),
    )


def apply_release(plan: ReleasePlan, reporter: Reporter) -> None:
    """Apply the plan as one transaction; on failure everything is rolled back."""
    apply_actions(plan.actions, Git(plan.root), reporter)
