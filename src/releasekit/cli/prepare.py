"""``releasekit prepare``: its options, the plan shown before applying it, and the next steps.

The plan is shown in full (every file as a diff, then each action) before anything is changed,
and applied only after ``--yes`` or a confirmation at a terminal: a pipe never confirms.
"""

from __future__ import annotations

import datetime
import os
import shlex
import sys
from typing import TYPE_CHECKING

import click

from releasekit.cli import Context
from releasekit.cli.common import complete_bump, package_options
from releasekit.cli.json_report import envelope, error_findings, print_json
from releasekit.errors import Aborted, ReleaseError, UsageError
from releasekit.findings import Finding
from releasekit.interrupts import signals_as_interrupts

if TYPE_CHECKING:
    from releasekit.console import Console
    from releasekit.prepare import ReleasePlan
    from releasekit.release_journal import Record
    from releasekit.transaction import Settlement


def _release_date(value: str | None) -> str:
    """``--date`` as ISO text, or today's local date."""
    if value is None:
        return datetime.date.today().isoformat()
    try:
        return datetime.date.fromisoformat(value).isoformat()
    except ValueError as exc:
        raise UsageError(f"--date {value!r} is not a date", hint="write it as YYYY-MM-DD") from exc


@click.command(
    epilog="""\b
Examples:
  releasekit prepare minor --dry-run   show what 1.2.3 -> 1.3.0 would change
  releasekit prepare patch --yes       release 1.2.4 without asking
  releasekit prepare minor,rc --push   1.2.3 -> 1.3.0rc1, then push commit and tag
  releasekit prepare 2.0.0             an explicit version
  releasekit prepare auto              the bump the Conventional Commits call for
  releasekit prepare --all auto        every package of a monorepo that has changes

Settings without a flag, in [tool.releasekit] or RELEASEKIT_*: changelog, tag-format,
version-files, release-branch, commit-message, major-on-zero, changelog-sections,
include-merges, commit-per-package (docs/configuration.md)."""
)
@click.argument("spec", metavar="[BUMP|VERSION]", required=False, shell_complete=complete_bump)
@click.option("--dry-run", "-n", is_flag=True, help="Show the plan and stop; change nothing.")
@click.option("--yes", "-y", is_flag=True, help="Apply without asking for confirmation.")
@click.option("--push", is_flag=True, help="Push the branch and tag atomically afterwards.")
@click.option("--sign", is_flag=True, help="Create a signed tag (git tag -s).")
@click.option("--no-commit", is_flag=True, help="Only rewrite the files (implies --no-tag).")
@click.option("--no-tag", is_flag=True, help="Commit, but do not tag.")
@click.option("--allow-dirty", is_flag=True, help="Allow uncommitted changes in tracked files.")
@click.option(
    "--allow-empty-changelog", is_flag=True, help="Release with an empty Unreleased section."
)
@click.option(
    "--no-changelog",
    is_flag=True,
    help="Release without touching any changelog "
    "[env: RELEASEKIT_CHANGELOG=false; setting: changelog = false].",
)
@click.option("--date", "date", metavar="YYYY-MM-DD", help="The release date (default: today).")
@click.option(
    "--recover",
    is_flag=True,
    help="Settle a release an interrupted prepare left: keep it if whole or published, else undo.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the plan and its outcome as JSON (no diffs)."
)
@package_options
@click.pass_obj
def prepare(
    obj: Context,
    spec: str | None,
    dry_run: bool,
    yes: bool,
    push: bool,
    sign: bool,
    no_commit: bool,
    no_tag: bool,
    allow_dirty: bool,
    allow_empty_changelog: bool,
    no_changelog: bool,
    date: str | None,
    recover: bool,
    as_json: bool,
    package: str | None,
    every: bool,
) -> None:
    """Bump the version everywhere, roll the changelog, commit and tag, atomically.

    BUMP is major, minor, patch, alpha, beta, rc, post, dev, release or auto (the bump the
    Conventional Commits since the last release call for, the changelog drafted from them), or
    a chain such as minor,rc or auto,rc. VERSION is any PEP 440 version higher than the current
    one.
    """
    from releasekit.prepare import (
        PrepareOptions,
        apply_release,
        plan_release,
        release_guard,
        release_name,
        unfinished_release,
    )

    if recover:
        _recover(obj, spec=spec, dry_run=dry_run, as_json=as_json)
        return
    if spec is None:
        raise UsageError(
            "prepare needs a BUMP or a VERSION",
            hint="for example: releasekit prepare minor, or releasekit prepare 2.0.0",
        )
    options = PrepareOptions(
        spec=spec,
        date=_release_date(date),
        commit=not no_commit,
        tag=not no_tag,
        push=push,
        sign=sign,
        allow_dirty=allow_dirty,
        allow_empty_changelog=allow_empty_changelog,
        changelog=not no_changelog,
        dry_run=dry_run,
        package=package,
        every=every,
    )
    console = obj.console
    if dry_run:
        plan = plan_release(obj.root, options, env=os.environ, reporter=console)
        obj.keep(plan)
        unfinished = unfinished_release(obj.root)
        _show(console, plan, as_json, [unfinished.one_line()] if unfinished else [])
        if as_json:
            print_json(console, envelope("prepare", _plan_findings(plan), **_keys(plan, False)))
        else:
            console.print(console.style("Dry run: nothing was changed.", "bold"))
            console.info(f"Next: {_applying_command()} to apply it (add --push to push too)")
        return
    with signals_as_interrupts(), release_guard(obj.root, _command_line()) as guard:
        for note in guard.notes:
            console.warn(note)
        unfinished = unfinished_release(obj.root, guard.journal)
        if unfinished is not None:
            raise unfinished
        plan = plan_release(obj.root, options, env=os.environ, reporter=console)
        obj.keep(plan)
        _show(console, plan, as_json, [])
        try:
            if not yes:
                if not sys.stdin.isatty():
                    raise UsageError(
                        "confirmation needed, but standard input is not a terminal",
                        hint="pass --yes to apply without asking",
                    )
                if not click.confirm("Apply this plan?", default=False, err=True):
                    raise Aborted("declined at the prompt; nothing was changed")
            settled = apply_release(plan, console, guard)
        except ReleaseError as error:
            if as_json:  # the plan is known: report it, with the error as a finding
                findings = [*_plan_findings(plan), *error_findings(error)]
                print_json(console, envelope("prepare", findings, **_keys(plan, False)))
            raise
        # Still inside the block, whose signals no longer interrupt: the release is made.
        if settled is not None:
            console.warn(
                f"the push was cut short, but {plan.push_remote} already has the release "
                f"(asked with git ls-remote): {release_name(plan)} is published"
            )
        if as_json:
            print_json(console, envelope("prepare", _plan_findings(plan), **_keys(plan, True)))
        else:
            _show_next_steps(console, plan)


def _applying_command() -> str:
    """The dry run's command line without the dry run: the same selection, -C and bump."""
    words = [word for word in sys.argv[1:] if word not in ("--dry-run", "-n", "--json")]
    return shlex.join(["releasekit", *words])


def _command_line() -> str:
    """The command as typed, for the lock file (which names who holds the lock)."""
    return " ".join(["releasekit", *sys.argv[1:]])


def _show(console: Console, plan: ReleasePlan, as_json: bool, warnings: list[str]) -> None:
    """The plan on standard error (its warnings only, with --json)."""
    if as_json:
        for warning in [*plan.warnings, *warnings]:
            console.warn(warning)
        return
    _show_plan(console, plan)
    for warning in warnings:
        console.warn(warning)


def _recover(obj: Context, *, spec: str | None, dry_run: bool, as_json: bool) -> None:
    """``prepare --recover``: settle what an interrupted prepare left, and say how it ended."""
    from releasekit.prepare import recover_release, release_guard, unfinished_release

    if spec is not None:
        raise UsageError(
            "--recover takes no BUMP or VERSION", hint="run releasekit prepare --recover alone"
        )
    console = obj.console
    if dry_run:
        unfinished = unfinished_release(obj.root)
        text = unfinished.one_line() if unfinished else "no unfinished release in this repository"
        if as_json:
            print_json(console, envelope("prepare", [], recovered=None, state=text))
        else:
            console.print(text)
        return
    with signals_as_interrupts(), release_guard(obj.root, _command_line()) as guard:
        for note in guard.notes:
            console.warn(note)
        settled = recover_release(obj.root, guard)
    if settled is None:
        message, outcome = "nothing to recover: no unfinished release in this repository", None
    else:
        record, settlement = settled
        outcome = settlement.kind
        message = _recovery_message(record, settlement)
        if settlement.kind in ("unknown", "incomplete"):
            raise ReleaseError(message, hint="check the repository by hand (git status, git log)")
    if as_json:
        print_json(console, envelope("prepare", [], recovered=outcome, state=message))
    else:
        console.print(message)


def _recovery_message(record: Record, settlement: Settlement) -> str:
    """One line on how an interrupted release was settled."""
    release = record.release
    if settlement.kind == "published":
        remote = record.push.remote if record.push else "the remote"
        return f"release {release} is on {remote}: it was published, and is kept as it is"
    if settlement.kind == "kept":
        push = (
            f"; push it: git push --atomic {record.push.remote} " + " ".join(record.push.refs)
            if record.push
            else ""
        )
        return f"release {release} was complete locally and is kept{push}"
    if settlement.kind == "rolled-back":
        return f"release {release} was undone: files, index, branch and tag are as before it"
    why = settlement.detail or "; ".join(settlement.notes)
    return f"release {release} could not be settled: {why}"


def _plan_findings(plan: ReleasePlan) -> list[Finding]:
    """The plan's warnings, as findings."""
    return [Finding("", "warning", "prepare-warning", warning) for warning in plan.warnings]


def _keys(plan: ReleasePlan, applied: bool) -> dict[str, object]:
    """The keys of the --json report that are prepare's own (docs/json.md)."""
    return {
        "current": str(plan.current),
        "version": str(plan.new),
        "tag": plan.tag,
        "files": [write.display for write in plan.writes],
        "actions": [action.describe() for action in plan.actions],
        "applied": applied,
        "next_steps": _next_steps(plan) if applied and plan.commit_message is not None else [],
        "packages": [
            {
                "name": release.name,
                "path": release.path,
                "current": str(release.current),
                "version": str(release.new),
                "tag": release.tag,
                "bump": release.bump,
                "commits": release.commits,
            }
            for release in plan.releases
        ],
        "skipped": list(plan.skipped),
    }


def _show_plan(console: Console, plan: ReleasePlan) -> None:
    """Every file change as a diff, then the commit, tag and push."""
    if len(plan.releases) > 1:
        console.info(console.style(f"Release of {len(plan.releases)} packages", "bold"))
        for release in plan.releases:
            console.info(
                f"  {release.name} ({release.path}): {release.current} -> {release.new}"
                + _decided(release.bump, release.commits)
            )
    else:
        named = f"{plan.releases[0].name} " if plan.monorepo and plan.releases else ""
        console.info(
            console.style(f"Release {named}{plan.current} -> {plan.new}", "bold")
            + (_decided(plan.releases[0].bump, plan.releases[0].commits) if plan.releases else "")
        )
        console.info(f"Version sources: {', '.join(plan.sources)}")
    for skipped in plan.skipped:
        console.info(f"Not released: {skipped}")
    for warning in plan.warnings:
        console.warn(warning)
    console.info()
    for write in plan.writes:
        console.diff(write.diff())
    for diff in plan.other_diffs:
        console.diff(diff)
    console.info()
    console.info(console.style("Plan:", "bold"))
    for number, action in enumerate(plan.actions, start=1):
        console.info(f"  {number}. {action.describe()}")


def _decided(bump: str | None, commits: int | None) -> str:
    """What ``auto`` decided, after the versions: `` (auto: minor, from 12 commits)``."""
    if bump is None:
        return ""
    return f" (auto: {bump}, from {commits} commit{'s' * (commits != 1)})"


def _web_root(plan: ReleasePlan) -> tuple[str, str] | None:
    """The GitHub or GitLab web address of the remote, if it is one."""
    from releasekit.changelog import web_base

    return web_base(plan.remote_url)


def _show_next_steps(console: Console, plan: ReleasePlan) -> None:
    """What the maintainer does next: push, create the release, watch the workflow."""
    from releasekit.prepare import release_name

    if plan.commit_message is None:
        console.print(
            f"Updated {len(plan.writes)} file(s) to {release_name(plan)}; review and commit them."
        )
        return
    tags = [release.tag for release in plan.releases if release.tag]
    done = f'Committed "{plan.commit_message}"' + (f" and tagged {', '.join(tags)}" if tags else "")
    console.print(console.style(done + ".", "green", "bold"))
    console.print("Next steps:")
    for number, text in enumerate(_next_steps(plan), start=1):
        console.print(f"  {number}. {text}")


def _next_steps(plan: ReleasePlan) -> list[str]:
    """What the maintainer does after a committed release: push, release, watch."""
    steps = []
    tagged = [release for release in plan.releases if release.tag]
    if plan.push_remote is None:
        tags = "".join(f" {release.tag}" for release in tagged)
        what = "tags" if len(tagged) > 1 else "tag"
        steps.append(
            f"Push the commit and {what} together: git push --atomic origin {plan.branch}{tags}"
        )
    for release in tagged:
        select = f"--package {release.name} " if release.path != "." else ""
        title = f"{release.name} {release.new}" if len(tagged) > 1 else str(release.new)
        steps.append(
            f"Create the release: gh release create {release.tag} --title {shlex.quote(title)} "
            f'--notes "$(releasekit notes {select}{release.new})"'
        )
    web = _web_root(plan)
    if web is not None and web[0] == "github":
        steps.append(f"Watch the publish workflow: {web[1]}/actions")
    elif web is not None:
        steps.append(f"Watch the publish pipeline: {web[1]}/-/pipelines")
    return steps
