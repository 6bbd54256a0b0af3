"""The events that can start a GitHub Actions workflow, as contexts the expression evaluator reads.

Each trigger of ``on:`` becomes one or more ``Event``s that carry what is known of
``github.event_name``, ``github.event.action``, ``github.ref`` and ``github.ref_type`` for it:
``push: {branches: [main]}`` is a push whose ref is ``refs/heads/main``; ``branches: ['v*']``
leaves a ref that starts with ``refs/heads/v``; ``release: {types: [published]}`` is a release
event with action ``published`` on a tag. ``reachable`` then filters them by the ``if:`` of a
job, of the jobs it needs, and of a step.
"""

from __future__ import annotations

from collections.abc import Mapping

from releasekit.gh_expressions import UNKNOWN, Prefix, Truth, Value, condition_truth
from releasekit.records import field, frozen, mutable
from releasekit.yaml_nodes import Node

# GitHub's activity types for events that have them, used when ``types:`` is absent.
_DEFAULT_TYPES: Mapping[str, tuple[str, ...]] = {
    "release": (
        "published",
        "unpublished",
        "created",
        "edited",
        "deleted",
        "prereleased",
        "released",
    ),
    "pull_request": ("opened", "synchronize", "reopened"),
    "pull_request_target": ("opened", "synchronize", "reopened"),
}
_GLOB = "*?[!+"


@frozen
class Event:
    """One way the workflow can start, and what is known of its context."""

    name: str  # the trigger: push, release, workflow_dispatch, ...
    label: str  # for messages: "a push to branch main"
    values: Mapping[str, Value] = field(default_factory=dict)

    @property
    def branch_push(self) -> bool:
        """A push of a branch, the event a publishing job must not be reachable from."""
        return self.name == "push" and self.values.get("github.ref_type") == "branch"


def _patterns(node: Node | None) -> list[str]:
    return [item.value for item in node.items() if isinstance(item.value, str)] if node else []


def _refs(kind: str, patterns: list[str]) -> list[tuple[str, Value]]:
    """(pattern, ref) for each filter pattern: a literal ref, or a ``Prefix`` before a glob."""
    base = "refs/heads/" if kind == "branch" else "refs/tags/"
    found: list[tuple[str, Value]] = []
    for pattern in patterns:
        if pattern.startswith("!"):
            continue  # an exclusion narrows an include; keeping the include is sound
        cut = min((pattern.index(c) for c in _GLOB if c in pattern), default=len(pattern))
        ref: Value = base + pattern if cut == len(pattern) else Prefix(base + pattern[:cut])
        found.append((pattern, ref))
    return found or [("", Prefix(base))]


def _push_events(node: Node) -> list[Event]:
    branches, tags = node.get("branches"), node.get("tags")
    branch_filters = branches is not None or node.get("branches-ignore") is not None
    tag_filters = tags is not None or node.get("tags-ignore") is not None
    events: list[Event] = []
    # With only branch filters, tag pushes do not start the workflow, and the other way round.
    if branch_filters or not tag_filters:
        for pattern, ref in _refs("branch", _patterns(branches)):
            label = f"a push to branch {pattern}" if pattern else "a push to a branch"
            events.append(_push(label, ref, "branch"))
    if tag_filters or not branch_filters:
        for pattern, ref in _refs("tag", _patterns(tags)):
            label = f"a push of tag {pattern}" if pattern else "a push of a tag"
            events.append(_push(label, ref, "tag"))
    return events


def _push(label: str, ref: Value, ref_type: str) -> Event:
    """A push: its payload's ``ref`` is ``github.ref`` (PyPA's old guide tests that one)."""
    event = _event("push", label, ref=ref, ref_type=ref_type)
    return Event(event.name, event.label, {**event.values, "github.event.ref": ref})


def _event(
    name: str,
    label: str,
    *,
    ref: Value = UNKNOWN,
    ref_type: Value = UNKNOWN,
    action: Value = None,
) -> Event:
    return Event(
        name,
        label,
        {
            "github.event_name": name,
            "github.event.action": action,
            "github.ref": ref,
            "github.ref_type": ref_type,
        },
    )


def events(triggers: Mapping[str, Node]) -> list[Event]:
    """Every event the workflow's ``on:`` lets in (``workflow_call``: see ``called_events``)."""
    found: list[Event] = []
    for name, node in triggers.items():
        if name == "push":
            found += _push_events(node)
        elif name in _DEFAULT_TYPES:
            types = _patterns(node.get("types")) or list(_DEFAULT_TYPES[name])
            for action in types:
                ref: Value = Prefix("refs/tags/") if name == "release" else Prefix("refs/")
                ref_type: Value = "tag" if name == "release" else UNKNOWN
                found.append(
                    _event(name, f"{name} {action}", ref=ref, ref_type=ref_type, action=action)
                )
        elif name == "schedule":
            found.append(_event(name, "a schedule", ref=Prefix("refs/heads/"), ref_type="branch"))
        elif name == "workflow_call":
            continue
        else:
            found.append(_event(name, name, ref=Prefix("refs/"), action=UNKNOWN))
    return found


def called_events() -> list[Event]:
    """For a reusable workflow audited alone: the caller's event, unknown in every part."""
    return [
        Event(
            "workflow_call",
            "a call from another workflow",
            {
                "github.event_name": UNKNOWN,
                "github.event.action": UNKNOWN,
                "github.ref": UNKNOWN,
                "github.ref_type": UNKNOWN,
            },
        )
    ]


@mutable
class Reach:
    """For each event, whether a step can run: True, False or ``UNKNOWN``."""

    truths: list[tuple[Event, Truth]]
    unknown: set[str] = field(default_factory=set)

    def possible(self) -> list[Event]:
        """The events for which the step may run (true or unknown)."""
        return [event for event, truth in self.truths if truth is not False]

    def certain(self) -> list[Event]:
        """The events for which the step surely runs (as far as ``if:`` says)."""
        return [event for event, truth in self.truths if truth is True]


def reachable(event_list: list[Event], conditions: list[list[str | None]]) -> Reach:
    """Evaluate every group of conditions for each event; all groups must hold.

    A group is the ``if:`` of one job (and of its step). The unknown terms met are kept for
    the message.
    """
    reach = Reach([])
    for event in event_list:
        result: Truth = True
        for group in conditions:
            for text in group:
                truth = condition_truth(text, event.values, reach.unknown)
                if truth is False:
                    result = False
                    break
                if truth is UNKNOWN:
                    result = UNKNOWN
            if result is False:
                break
        reach.truths.append((event, result))
    return reach


def intersects(first: Reach, second: Reach) -> bool:
    """Whether one event can reach both steps."""
    labels = {event.label for event in first.possible()}
    return any(event.label in labels for event in second.possible())
