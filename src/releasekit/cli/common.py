"""Helpers more than one command uses: finding the distributions to act on, and rendering.

``check`` and ``publish`` both take distributions (default: ``dist/*``) and both print
findings; ``publish`` and its progress reporters print file sizes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from releasekit.errors import UsageError

if TYPE_CHECKING:
    from releasekit.console import Console
    from releasekit.findings import Finding


def distributions(root: Path, given: tuple[str, ...]) -> list[Path]:
    """The files to act on: the arguments (globs allowed), or every distribution in dist/."""
    from releasekit.dists import kind_of

    patterns = given or ("dist/*",)
    found: list[Path] = []
    for pattern in patterns:
        path = Path(pattern)
        base = path if path.is_absolute() else root / path
        matches = (
            sorted(base.parent.glob(base.name)) if any(c in pattern for c in "*?[") else [base]
        )
        for match in matches:
            if not match.is_file():
                raise UsageError(
                    "no such file", where=pattern, hint="build first: releasekit build"
                )
            if kind_of(match) is not None or given:
                found.append(match)
    if not found:
        raise UsageError(
            "no distributions found",
            where=" ".join(patterns),
            hint="build them first (releasekit build), or name the files",
        )
    return found


def print_findings(console: Console, findings: list[Finding]) -> None:
    """Findings grouped by file, one line each: severity, code, message and hint."""
    groups: dict[str, list[str]] = {}
    for finding in findings:
        colour = {"error": "red", "warning": "yellow"}.get(finding.severity, "cyan")
        label = console.style(finding.severity, colour, "bold")
        line = f"  {label} {finding.code}: {finding.message}"
        groups.setdefault(finding.file, []).append(
            line + (f" ({finding.hint})" if finding.hint else "")
        )
    for name, lines in groups.items():
        console.print(console.style(name, "bold"))
        for line in lines:
            console.print(line)


def human_size(size: int) -> str:
    """A file size for people: KiB below a MiB, else MiB."""
    return f"{size / 1024:.1f} KiB" if size < 1 << 20 else f"{size / (1 << 20):.1f} MiB"
