"""Two publishers of one project: ``duplicate-publisher``.

A repository that gained a second publishing workflow (``releasekit init --name`` beside an old
one, or a copied workflow nobody retired) uploads every release twice: the second upload fails
with "File already exists", or, when the two build differently, the index holds files from both.
Which run wins is a race. doctor reports a pair when both can start from one release act.

What counts as one act (GitHub): the same event reaching both uploads (two workflows on
``release: published``; two on a push to ``main``), or the events one release fires together: a
push of the release tag and the ``release`` event's ``published``/``created``/``released``/
``prereleased`` (releasekit prepare pushes the tag, then publishing the GitHub release fires
the rest). ``workflow_dispatch`` starts one chosen workflow, so a manual workflow beside an
automatic one is a deliberate second path (a re-run after a failed release), not a duplicate;
``schedule`` runs are each workflow's own clock. A called workflow is reached through each of
its callers (and through its own triggers, if it has any): the caller and the callee are one
path, but two callers that start on the same release are two runs. Jobs of one run (a sdist job
and a wheels job of the same workflow) are not two publishers.

GitLab runs one pipeline per tag: two jobs in different CI files that upload to the same index
and both run in tag pipelines (not ``when: manual``) are the pair.

In a monorepo each package is its own project: a pair must publish one package. Each job is
compared by the set of packages it builds (``job_packages``): a matrix job over every package
and a job for one of them both upload that one, so they are a pair; jobs for different packages
are not. A job whose packages doctor cannot read may publish any of them, so it pairs with all.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping

from releasekit.findings import Finding
from releasekit.gh_events import Event, events
from releasekit.gh_expressions import UNKNOWN, Prefix, Truth, Value
from releasekit.gh_workflows import Job, Repository, Workflow
from releasekit.records import frozen
from releasekit.workflow_rules import finding
from releasekit.yaml_nodes import Node

# Events that start one chosen workflow, or on each workflow's own clock: never a pair.
_OWN_START = frozenset({"workflow_dispatch", "schedule", "workflow_call"})
# The release event's actions that fire when a release is published.
_RELEASE_ACTIONS = frozenset({"published", "created", "released", "prereleased"})
_MAX_CALL_DEPTH = 5  # GitHub allows four levels of nested calls


@frozen
class _Publisher:
    """One publishing job reached from one starting workflow, for one index."""

    entry: str  # the workflow whose run starts it (the caller's file for a called workflow)
    job: Job
    index: str
    packages: frozenset[str]  # package folders; empty when unknown
    truths: tuple[tuple[Event, Truth], ...]
    unknown: frozenset[str]

    @property
    def name(self) -> str:
        called = f", called from {self.entry}" if self.entry != self.job.file else ""
        return f"job '{self.job.key}' in {self.job.file}{called}"


def _starts(repo: Repository, workflow: Workflow, depth: int = 0) -> list[tuple[str, list[Event]]]:
    """(starting workflow, events) for each way a run of ``workflow`` begins.

    Its own triggers start it as itself; each caller starts it with the events that reach the
    calling job. A called workflow without callers here is left out: who calls it is unknown.
    """
    own = {name: node for name, node in workflow.triggers.items() if name != "workflow_call"}
    found = [(workflow.file, events(own))] if own else []
    if depth >= _MAX_CALL_DEPTH:
        return found
    for caller in workflow.callers:
        if caller.file == workflow.file:
            continue
        for entry, started in _starts(repo, repo.workflows[caller.file], depth + 1):
            possible = repo.reach(caller, starts=started).possible()
            if possible:
                found.append((entry, possible))
    return found


def same_package(first: Collection[str], second: Collection[str]) -> bool:
    """Whether two jobs may upload one package: their package folders overlap, or one is unknown.

    An empty collection is "package unknown": doctor does not guess, so it matches anything.
    """
    return not first or not second or not set(first).isdisjoint(second)


# A job's packages as ``github_duplicates`` takes them: (file, job) -> the package folders it
# builds ("." for the top; empty: unknown).
JobPackages = Mapping[tuple[str, str], tuple[str, ...]]


def _packages_of(packages: JobPackages, job: Job) -> frozenset[str]:
    """The package folders of ``job`` (empty: unknown)."""
    return frozenset(packages.get((job.file, job.key), ()))


def _publishers(repo: Repository, packages: JobPackages) -> list[_Publisher]:
    publishers: list[_Publisher] = []
    for workflow in repo.workflows.values():
        publishing = [job for job in workflow.jobs.values() if job.publishes]
        if not publishing:
            continue
        for entry, started in _starts(repo, workflow):
            for job in publishing:
                by_index: dict[str, dict[str, tuple[Event, Truth]]] = {}
                unknown: dict[str, set[str]] = {}
                for step, upload in job.real_uploads:
                    reach = repo.reach(job, step, starts=started)
                    seen = by_index.setdefault(upload.index, {})
                    unknown.setdefault(upload.index, set()).update(reach.unknown)
                    for event, truth in reach.truths:
                        if truth is False:
                            continue
                        if event.label not in seen or truth is True:
                            seen[event.label] = (event, truth)
                publishers += [
                    _Publisher(
                        entry,
                        job,
                        index,
                        _packages_of(packages, job),
                        tuple(truths.values()),
                        frozenset(unknown[index]),
                    )
                    for index, truths in by_index.items()
                    if truths
                ]
    return publishers


def _compatible(first: Value, second: Value) -> bool:
    """Whether two known parts of an event (refs, actions) can be the same value."""
    if first is UNKNOWN or second is UNKNOWN or first is None or second is None:
        return True
    a = first.text if isinstance(first, Prefix) else first
    b = second.text if isinstance(second, Prefix) else second
    if not isinstance(a, str) or not isinstance(b, str):
        return a == b
    if isinstance(first, Prefix) and isinstance(second, Prefix):
        return a.startswith(b) or b.startswith(a)
    if isinstance(first, Prefix):
        return b.startswith(a)
    if isinstance(second, Prefix):
        return a.startswith(b)
    return a == b


def _release_act(event: Event) -> bool:
    if event.name == "push":
        return event.values.get("github.ref_type") == "tag"
    return event.name == "release" and event.values.get("github.event.action") in _RELEASE_ACTIONS


def together(first: Event, second: Event) -> bool:
    """Whether one act (one release, one push) can start both events."""
    if first.name in _OWN_START or second.name in _OWN_START:
        return False
    ref = _compatible(first.values.get("github.ref"), second.values.get("github.ref"))
    if _release_act(first) and _release_act(second):
        actions = {
            first.values.get("github.event.action"),
            second.values.get("github.event.action"),
        }
        return ref and actions != {"released", "prereleased"}  # a release is one or the other
    if first.name != second.name:
        return False
    action = _compatible(
        first.values.get("github.event.action"), second.values.get("github.event.action")
    )
    kind = _compatible(first.values.get("github.ref_type"), second.values.get("github.ref_type"))
    return ref and action and kind


def _shared(first: _Publisher, second: _Publisher) -> tuple[str, bool] | None:
    """(what starts both, surely) for the first pair of events one act fires; None if none."""
    best: tuple[str, bool] | None = None
    for event_a, truth_a in first.truths:
        for event_b, truth_b in second.truths:
            if not together(event_a, event_b):
                continue
            label = (
                event_a.label
                if event_a.label == event_b.label
                else f"one release ({event_a.label} and {event_b.label})"
            )
            sure = truth_a is True and truth_b is True
            if best is None or (sure and not best[1]):
                best = (label, sure)
    return best


def github_duplicates(repo: Repository, packages: JobPackages) -> list[Finding]:
    """``duplicate-publisher`` for each pair of GitHub workflow runs that upload one project.

    ``packages`` maps (file, job) to the package folders the job builds (``job_packages``;
    ``"."`` for the top, empty when unknown); a pair must share one (``same_package``).
    """
    publishers = _publishers(repo, packages)
    findings: list[Finding] = []
    reported: set[tuple[str, ...]] = set()
    for position, first in enumerate(publishers):
        for second in publishers[position + 1 :]:
            if first.entry == second.entry or first.index != second.index:
                continue
            if not same_package(first.packages, second.packages):
                continue
            pair = sorted([first, second], key=lambda p: (p.job.file, p.job.key, p.entry))
            key = (first.index, *(f"{p.entry}:{p.job.file}:{p.job.key}" for p in pair))
            shared = _shared(pair[0], pair[1])
            if shared is None or key in reported:
                continue
            reported.add(key)
            label, sure = shared
            detail = f"{pair[0].name} and {pair[1].name} both upload to {first.index} on {label}"
            if sure:
                findings.append(
                    finding("duplicate-publisher", pair[0].job.file, _line(pair[0]), detail)
                )
            else:
                terms = ", ".join(sorted(first.unknown | second.unknown)) or "a condition"
                findings.append(
                    finding(
                        "duplicate-publisher",
                        pair[0].job.file,
                        _line(pair[0]),
                        f"{detail} (doctor cannot judge {terms})",
                        severity="warning",
                    )
                )
    return findings


def _line(publisher: _Publisher) -> int:
    return publisher.job.node.where


# GitLab: whether a job runs in a tag pipeline, from ``when:``, ``only:``/``except:``, ``rules:``.
MANUAL = "manual"
_TAG_VARIABLE = re.compile(r"\$\{?CI_COMMIT_TAG\}?")
_TAG_ABSENT = re.compile(r"!\s*\$\{?CI_COMMIT_TAG\b|\$\{?CI_COMMIT_TAG\}?\s*==\s*(null|\"\"|'')")


def _words(node: Node | None) -> list[str]:
    if node is None:
        return []
    if isinstance(node.value, str):
        return [node.value]
    if isinstance(node.value, dict):
        refs = node.get("refs")
        return _words(refs)
    return [item.value for item in node.items() if isinstance(item.value, str)]


def _condition_on_tags(rule: Node) -> Truth:
    """Whether one ``rules:`` entry matches in a tag pipeline."""
    condition = rule.text("if")
    if condition is None:
        return UNKNOWN if rule.get("changes") or rule.get("exists") else True
    if _TAG_ABSENT.search(condition):
        return False if "||" not in condition else UNKNOWN
    if _TAG_VARIABLE.search(condition) and "&&" not in condition and "||" not in condition:
        return True
    return UNKNOWN


def tag_pipeline(job: Node) -> Truth | str:
    """Whether a tag pipeline runs the job.

    True, False, ``MANUAL`` (someone must start it), or ``UNKNOWN`` (its rules depend on what
    doctor cannot judge). The first rule that matches decides, as in GitLab.
    """
    if (job.text("when") or "").strip().lower() == MANUAL:
        return MANUAL
    rules = job.get("rules")
    if rules is not None:
        if not isinstance(rules.value, list):
            return UNKNOWN  # an input or variable doctor does not expand
        outcomes: set[bool | str] = set()
        for rule in rules.items():
            truth = _condition_on_tags(rule) if isinstance(rule.value, dict) else UNKNOWN
            if truth is False:
                continue
            when = (rule.text("when") or "on_success").strip().lower()
            outcomes.add(False if when == "never" else MANUAL if when == MANUAL else True)
            if truth is True:
                break  # the first rule that matches decides
        else:
            outcomes.add(False)
        if outcomes <= {False}:
            return False
        if outcomes <= {False, MANUAL}:
            return MANUAL
        return True if outcomes == {True} else UNKNOWN
    only, exclude = _words(job.get("only")), _words(job.get("except"))
    if "tags" in exclude:
        return False
    if not only or "tags" in only:
        return True
    return UNKNOWN if any(w not in {"branches", "merge_requests"} for w in only) else False


@frozen
class GitLabPublisher:
    """A GitLab job that uploads to one index, whether tag pipelines run it, and its packages.

    ``packages`` are the package folders the job builds (``job_packages.gitlab_jobs``), empty
    when doctor cannot tell.
    """

    file: str
    key: str
    line: int
    index: str
    on_tags: Truth | str
    packages: tuple[str, ...] = ()


def gitlab_duplicates(jobs: Iterable[GitLabPublisher]) -> list[Finding]:
    """``duplicate-publisher``: jobs of two CI files that upload one package to one index."""
    listed = [job for job in jobs if job.on_tags is not False and job.on_tags != MANUAL]
    findings: list[Finding] = []
    for position, first in enumerate(listed):
        for second in listed[position + 1 :]:
            if first.file == second.file or first.index != second.index:
                continue
            if not same_package(first.packages, second.packages):
                continue
            pair = sorted([first, second], key=lambda j: (j.file, j.key))
            detail = (
                f"job '{pair[0].key}' in {pair[0].file} and job '{pair[1].key}' in "
                f"{pair[1].file} both upload to {first.index} in a tag pipeline"
            )
            if first.on_tags is True and second.on_tags is True:
                findings.append(finding("duplicate-publisher", pair[0].file, pair[0].line, detail))
            else:
                findings.append(
                    finding(
                        "duplicate-publisher",
                        pair[0].file,
                        pair[0].line,
                        f"{detail} (doctor cannot judge their rules)",
                        severity="warning",
                    )
                )
    return findings
