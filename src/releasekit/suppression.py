"""Silencing doctor's findings on purpose: a comment on the line, or ``doctor.ignore``.

A finding that a maintainer has judged and accepted should not fail every CI run after, and it
should not vanish either: suppressed findings are kept apart and counted in the summary and the
JSON report. Two ways, both explicit:

- ``# releasekit: ignore[rule-id]`` (or ``ignore[a, b]``) on the line the finding points at;
  zizmor's ``# zizmor: ignore[...]`` comments are honoured too, for the rules that are the same
  check under another name, so a workflow already annotated for zizmor needs no second comment;
- ``doctor.ignore = ["rule-id", ...]`` in ``[tool.releasekit]``, for a rule the project does
  not want at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from releasekit.findings import Finding
from releasekit.yaml_nodes import MAX_CHARS

_COMMENT = re.compile(r"#\s*(?P<tool>releasekit|zizmor)\s*:\s*ignore\[(?P<ids>[^\]]*)\]")
# zizmor's audit -> doctor's rules that check the same thing.
ZIZMOR_RULES: Mapping[str, frozenset[str]] = {
    "unpinned-uses": frozenset({"unpinned-action"}),
    "artipacked": frozenset({"persisted-credentials"}),
    "cache-poisoning": frozenset({"cache-in-release-path"}),
    "template-injection": frozenset({"template-injection", "expression-in-run"}),
    "dangerous-triggers": frozenset({"dangerous-trigger"}),
    "excessive-permissions": frozenset(
        {
            "excessive-permissions",
            "default-permissions",
            "workflow-level-permissions",
            "id-token-without-publish",
        }
    ),
    "use-trusted-publishing": frozenset({"long-lived-token"}),
}


def ignored_on_line(text: str) -> set[str]:
    """The rule ids a line's ignore comment names (zizmor's mapped to doctor's)."""
    ids: set[str] = set()
    for match in _COMMENT.finditer(text):
        named = {part.strip() for part in match["ids"].split(",") if part.strip()}
        if match["tool"] == "zizmor":
            ids |= {rule for name in named for rule in ZIZMOR_RULES.get(name, ())}
        else:
            ids |= named
    return ids


class _Lines:
    """Files' lines, each file read once (and no more of it than the YAML parser reads)."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.files: dict[str, list[str]] = {}

    def line(self, file: str, number: int) -> str:
        if file not in self.files:
            try:
                with (self.base / file).open(encoding="utf-8") as handle:
                    self.files[file] = handle.read(MAX_CHARS).splitlines()
            except (OSError, UnicodeDecodeError, ValueError):
                self.files[file] = []
        lines = self.files[file]
        return lines[number - 1] if 0 < number <= len(lines) else ""


def split_suppressed(
    findings: Iterable[Finding], base: Path, ignore: Iterable[str] = ()
) -> tuple[list[Finding], list[Finding]]:
    """Split findings into (kept, suppressed).

    A finding is suppressed when ``ignore`` names its rule, or when a comment on its line (in
    its file, relative to ``base``) does.
    """
    everywhere = set(ignore)
    lines = _Lines(base)
    kept: list[Finding] = []
    suppressed: list[Finding] = []
    for finding in findings:
        silenced = finding.code in everywhere or (
            finding.file
            and finding.line is not None
            and finding.code in ignored_on_line(lines.line(finding.file, finding.line))
        )
        (suppressed if silenced else kept).append(finding)
    return kept, suppressed
