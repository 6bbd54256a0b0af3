"""``releasekit config``: the effective settings, where each came from, and the version sources.

It reads, never writes. Standard output carries the listing (or, with ``--json``, the report of
docs/json.md); what could not be read is a warning on standard error.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

from releasekit.cli import Context
from releasekit.cli.json_report import envelope, print_json

if TYPE_CHECKING:
    from releasekit.console import Console
    from releasekit.effective_config import EffectiveConfig

# How a value the setting leaves open reads, for people.
_OPEN = {"release-branch": "main or master", "index-url": "unknown", "changelog": "none"}


@click.command(
    epilog="""\b
Examples:
  releasekit config                    the settings, their origins, the version sources
  releasekit config --json             the same, for tools
  RELEASEKIT_REPOSITORY=testpypi releasekit config   see a variable take effect"""
)
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report.")
@click.pass_obj
def config(obj: Context, as_json: bool) -> None:
    """Show the effective settings, where each came from, and the version sources.

    Each setting's origin is a flag, an environment variable (named), pyproject.toml
    [tool.releasekit] or the default; the tag format may be read from the tags or the scm
    configuration, and the changelog found by its usual names.
    """
    from releasekit.config import load_project
    from releasekit.effective_config import read_effective_config

    effective = read_effective_config(load_project(obj.root), os.environ)
    console = obj.console
    if as_json:
        print_json(console, _json_report(effective))
        return
    for finding in effective.findings:
        console.warn(f"{finding.place}: {finding.message}")
    _print_config(console, effective)


def _json_report(effective: EffectiveConfig) -> dict[str, object]:
    """The --json report (docs/json.md)."""
    return envelope(
        "config",
        effective.findings,
        root=str(effective.root),
        name=effective.name,
        settings={
            key: {"value": setting.value, "source": setting.origin}
            for key, setting in effective.settings.items()
        },
        sources=[
            {"file": s.file, "line": s.line, "label": s.label, "version": s.version}
            for s in effective.sources
        ],
        current=str(effective.current) if effective.current is not None else None,
        latest_tag=effective.latest_tag,
    )


def _shown(key: str, value: object) -> str:
    """A setting's value for people."""
    if value is None:
        return _OPEN.get(key, "none")
    if value is False:
        return "false"
    if isinstance(value, list):
        paths = [
            f"{v['path']} ({v['pattern']})"
            if isinstance(v, dict) and v.get("pattern")
            else str(v["path"] if isinstance(v, dict) else v)
            for v in value
        ]
        return ", ".join(paths) or "none"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _print_config(console: Console, effective: EffectiveConfig) -> None:
    """The project, each setting with its origin, the version sources, the version and tag."""
    name = f"{effective.name} " if effective.name else ""
    console.print(console.style(f"Project {name}in {effective.root}", "bold"))
    console.print()
    console.print(console.style("Settings:", "bold"))
    width = max(len(key) for key in effective.settings)
    rows = [(key, _shown(key, s.value), s.origin) for key, s in effective.settings.items()]
    value_width = min(40, max(len(value) for _, value, _ in rows))
    for key, value, origin in rows:
        console.print(f"  {key:<{width}}  {value:<{value_width}}  {console.style(origin, 'dim')}")
    console.print()
    console.print(console.style("Version sources:", "bold"))
    for source in effective.sources:
        place = f"{source.file}:{source.line}" if source.file else "(tag)"
        console.print(f"  {place}  {source.label} = {source.version}")
    if not effective.sources:
        console.print("  none could be read")
    console.print()
    current = str(effective.current) if effective.current is not None else "unknown"
    console.print(f"Current version: {current}")
    console.print(f"Latest release tag: {effective.latest_tag or 'none'}")
