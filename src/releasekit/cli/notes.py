"""``releasekit notes``: print a version's changelog section exactly as written.

Made for ``gh release create --notes "$(releasekit notes 1.2.0)"``: the section's text goes to
standard output unchanged, and nothing else does.
"""

from __future__ import annotations

import os

import click

from releasekit.cli import Context


@click.command(
    epilog="""\b
Examples:
  releasekit notes                     the newest release's section
  releasekit notes 1.2.0               the section of 1.2.0
  gh release create v1.2.0 --notes "$(releasekit notes 1.2.0)\"

The changelog file: setting changelog [env: RELEASEKIT_CHANGELOG]."""
)
@click.argument("version", required=False)
@click.pass_obj
def notes(obj: Context, version: str | None) -> None:
    """Print a version's changelog section as written (default: the newest release)."""
    from releasekit.changelog import notes as section_notes
    from releasekit.changelog_files import SEARCHED, load_changelog
    from releasekit.config import load_project, resolve_settings
    from releasekit.errors import ChangelogError
    from releasekit.versioning import parse_version

    wanted = parse_version(version, where="VERSION") if version is not None else None
    settings = resolve_settings(load_project(obj.root), env=os.environ)
    found = load_changelog(obj.root, settings)
    if found is None and settings.changelog is False:
        raise ChangelogError(
            "there is no changelog: changelog = false",
            hint="set changelog to the file's name in [tool.releasekit]",
        )
    if found is None:
        raise ChangelogError(
            f"no changelog found ({SEARCHED})",
            where=str(obj.root),
            hint="create one, or set changelog to its name in [tool.releasekit]",
        )
    _, body = section_notes(found.parse(), wanted, where=found.display)
    obj.console.out.write(body)
