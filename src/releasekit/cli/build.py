"""``releasekit build``: build the sdist and the wheel, verify them, and say what was built."""

from __future__ import annotations

import os
from pathlib import Path

import click

from releasekit.cli import Context


@click.command()
@click.option(
    "--outdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("dist"),
    help="Where to put the files (default: dist).",
)
@click.pass_obj
def build(obj: Context, outdir: Path) -> None:
    """Build the sdist and the wheel (from the sdist) in isolated environments, then verify them."""
    from releasekit.build import build_project, expected_versions

    expected, tagged = expected_versions(obj.root, os.environ)
    result = build_project(
        obj.root,
        outdir if outdir.is_absolute() else obj.root / outdir,
        obj.console,
        expected=expected,
        tag_version=tagged,
    )
    for path in (result.sdist, result.wheel):
        shown = path.relative_to(obj.root) if path.is_relative_to(obj.root) else path
        obj.console.print(f"Built {shown} ({path.stat().st_size / 1024:.1f} KiB)")
