"""``releasekit build``: build the sdist and the wheel, verify them, and say what was built."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from releasekit.cli import Context
from releasekit.cli.common import package_label, package_options, selected_packages
from releasekit.cli.json_report import envelope, print_json

if TYPE_CHECKING:
    from releasekit.build import BuildResult
    from releasekit.findings import Finding
    from releasekit.packages import Package


@click.command(
    epilog="""\b
Examples:
  releasekit build                     into the project's dist/
  releasekit build -o wheelhouse       into ./wheelhouse, relative to this folder
  releasekit build && releasekit check
  releasekit build --all               each package of a monorepo into its own dist/"""
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
@package_options
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report.")
@click.pass_obj
def build(
    obj: Context,
    outdir: Path | None,
    clean: bool,
    package: str | None,
    every: bool,
    as_json: bool,
) -> None:
    """Build the sdist and the wheel (from the sdist) in isolated environments, then verify them."""
    from releasekit.errors import ReleaseError, UsageError

    chosen = selected_packages(obj, package, every)
    if chosen is None:
        result = _build_at(obj, obj.root, outdir, clean)
        if as_json:
            print_json(obj.console, _json_report(obj.root, result))
            return
        _print_built(obj, obj.root, result)
        obj.console.info("Next: releasekit check")
        return
    if every and outdir is not None:
        raise UsageError(
            "--outdir takes one package; with --all each package builds into its own dist/",
            where="--outdir",
            hint="drop --outdir, or pass --package NAME",
        )
    built: list[tuple[Package, BuildResult]] = []
    for each in chosen:
        if len(chosen) > 1:
            obj.console.step(f"Building {package_label(each)}")
        try:
            built.append((each, _build_at(obj, each.root, outdir, clean)))
        except ReleaseError as exc:
            if len(chosen) > 1:
                done = f"; built before it: {', '.join(p.name for p, _ in built)}" if built else ""
                exc.message = f"package {package_label(each)}: {exc.message}{done}"
            raise
    if as_json:
        print_json(obj.console, _packages_json_report(obj.root, built))
        return
    for each, result in built:
        _print_built(obj, each.root, result)
    if len(built) > 1:
        files = 2 * len(built)
        obj.console.print(f"Built {len(built)} packages: {files} files, each in its own dist/")
    obj.console.info("Next: releasekit check" + (" --all" if every else f" --package {package}"))


def _build_at(obj: Context, root: Path, outdir: Path | None, clean: bool) -> BuildResult:
    """Build the project at ``root`` into ``outdir`` (relative to where releasekit started)."""
    from releasekit.build import build_project, expected_versions

    expected, tagged = expected_versions(root, os.environ)
    obj.console.detail(
        "expected version: "
        + (f"{expected} (the version sources)" if expected else "none declared (tag-derived)")
        + (f"; HEAD is tagged {tagged}" if tagged else "; HEAD carries no release tag")
    )
    return build_project(
        root,
        root / "dist" if outdir is None else obj.user_path(outdir),
        obj.console,
        expected=expected,
        tag_version=tagged,
        clean=clean,
    )


def _print_built(obj: Context, root: Path, result: BuildResult) -> None:
    """One line per file: where it is, from where the user is, and its size."""
    for path in (result.sdist, result.wheel):
        # Relative to where the user is (../../dist/... from a subfolder), inside the project
        # (or, for a package of a monorepo, inside the repository it belongs to).
        inside = path.is_relative_to(root) and (
            obj.cwd.is_relative_to(root) or root.is_relative_to(obj.cwd)
        )
        shown = Path(os.path.relpath(path, obj.cwd)) if inside else path
        obj.console.print(f"Built {shown} ({path.stat().st_size / 1024:.1f} KiB)")


def _json_report(root: Path, result: BuildResult) -> dict[str, object]:
    """The --json report (docs/json.md): each file with its size and sha256, and the version.

    A file of another version left in the output folder is a warning finding.
    """
    stale, files = _json_parts(root, result)
    return envelope("build", stale, version=str(result.version), files=files)


def _json_parts(root: Path, result: BuildResult) -> tuple[list[Finding], list[dict[str, object]]]:
    """One build's findings (files of other versions) and file entries, paths from ``root``."""
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
    files: list[dict[str, object]] = [
        {
            "file": shown(path),
            "kind": kind,
            "size": path.stat().st_size,
            "sha256": file_digests(path)[0],
        }
        for kind, path in (("sdist", result.sdist), ("wheel", result.wheel))
    ]
    return stale, files


def _packages_json_report(
    root: Path, built: list[tuple[Package, BuildResult]]
) -> dict[str, object]:
    """The --json report of ``--package``/``--all``: the same keys, and ``packages``.

    ``files`` lists every package's files (relative to the project releasekit started in, when
    inside it); ``version`` is the one version, or each distinct version in package order joined
    by ", "; ``packages`` says whose each file and version are (docs/monorepos.md).
    """
    findings: list[Finding] = []
    files: list[dict[str, object]] = []
    packages: list[dict[str, object]] = []
    for each, result in built:
        stale, entries = _json_parts(root, result)
        findings += stale
        files += entries
        packages.append(
            {
                "name": each.name,
                "path": each.path,
                "version": str(result.version),
                "files": [entry["file"] for entry in entries],
            }
        )
    versions = ", ".join(dict.fromkeys(str(result.version) for _, result in built))
    return envelope("build", findings, version=versions, files=files, packages=packages)
