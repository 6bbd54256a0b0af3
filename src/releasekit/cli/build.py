"""``releasekit build``: build the sdist and the wheel, verify them, and say what was built."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from releasekit.cli import Context
from releasekit.cli.json_report import envelope, print_json

if TYPE_CHECKING:
    from releasekit.build import BuildResult


@click.command(
    epilog="""\b
Examples:
  releasekit build                     into the project's dist/
  releasekit build -o wheelhouse       into ./wheelhouse, relative to this folder
  releasekit build && releasekit check"""
)
@click.option(
    "--outdir",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to put the files, relative to the current folder (default: dist in the project).",
)
@click.option(
    "--clean",
    is_flag=True,
    help="First remove distributions of other versions from the output folder.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report.")
@click.pass_obj
def build(obj: Context, outdir: Path | None, clean: bool, as_json: bool) -> None:
    """Build the sdist and the wheel (from the sdist) in isolated environments, then verify them."""
    from releasekit.build import build_project, expected_versions

    expected, tagged = expected_versions(obj.root, os.environ)
    obj.console.detail(
        "expected version: "
        + (f"{expected} (the version sources)" if expected else "none declared (tag-derived)")
        + (f"; HEAD is tagged {tagged}" if tagged else "; HEAD carries no release tag")
    )
    result = build_project(
        obj.root,
        obj.root / "dist" if outdir is None else obj.user_path(outdir),
        obj.console,
        expected=expected,
        tag_version=tagged,
        clean=clean,
    )
    if as_json:
        print_json(obj.console, _json_report(obj.root, result))
        return
    for path in (result.sdist, result.wheel):
        # Relative to where the user is (../../dist/... from a subfolder), inside the project.
        inside = path.is_relative_to(obj.root) and obj.cwd.is_relative_to(obj.root)
        shown = Path(os.path.relpath(path, obj.cwd)) if inside else path
        obj.console.print(f"Built {shown} ({path.stat().st_size / 1024:.1f} KiB)")
    obj.console.info("Next: releasekit check")


def _json_report(root: Path, result: BuildResult) -> dict[str, object]:
    """The --json report (docs/json.md): each file with its size and sha256, and the version.

    A file of another version left in the output folder is a warning finding.
    """
    from releasekit.dists import file_digests
    from releasekit.findings import Finding

    def shown(path: Path) -> str:
        return str(path.relative_to(root) if path.is_relative_to(root) else path)

    stale = [
        Finding(
            shown(path),
            "warning",
            "stale-distribution",
            f"{path.name} is from another version",
            "remove it so that it is not checked or published by mistake",
        )
        for path in result.stale
    ]
    files = [
        {
            "file": shown(path),
            "kind": kind,
            "size": path.stat().st_size,
            "sha256": file_digests(path)[0],
        }
        for kind, path in (("sdist", result.sdist), ("wheel", result.wheel))
    ]
    return envelope("build", stale, version=str(result.version), files=files)
