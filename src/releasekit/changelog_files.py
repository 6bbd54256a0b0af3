"""Where a project keeps its changelog, and whether it is Markdown or reStructuredText.

Projects call it CHANGELOG, CHANGES, HISTORY or NEWS, in any case, as ``.md``, ``.rst``,
``.txt`` or with no extension, and Sphinx projects often keep it in ``docs/``. Finding it by
those names means most projects need no ``changelog`` setting at all; the setting names any
other file, and ``false`` turns the changelog step off.
"""

from __future__ import annotations

import re
from pathlib import Path

from releasekit.changelog import Changelog, parse
from releasekit.changelog_syntax import Flavor
from releasekit.config import Settings
from releasekit.errors import ChangelogError
from releasekit.records import frozen
from releasekit.towncrier import towncrier_config

# Searched in this order: each name with each extension, at the root, then in docs/ when the
# root has none of them. An exact-case name wins over another spelling of the same name.
NAMES = ("CHANGELOG", "CHANGES", "HISTORY", "NEWS")
EXTENSIONS = (".md", ".rst", ".txt", "")
FOLDERS = ("", "docs")
SEARCHED = "CHANGELOG, CHANGES, HISTORY or NEWS (.md, .rst, .txt or none; any case; root or docs/)"

_MARKDOWN_HINTS = re.compile(r"^(?:#{1,6}[ \t]|```|~~~|\[[^\]]+\]:[ \t]*\S)", re.MULTILINE)


@frozen
class ChangelogFile:
    """A changelog as read from disk: where it is, its exact text and its markup."""

    path: Path
    display: str
    text: str
    flavor: Flavor

    def parse(self) -> Changelog:
        """The parsed changelog."""
        return parse(self.text, self.flavor)


def _by_usual_names(root: Path) -> Path | None:
    """The first file with a usual changelog name, in the documented order."""
    for folder in FOLDERS:
        directory = root / folder
        try:
            entries = sorted(entry.name for entry in directory.iterdir() if entry.is_file())
        except OSError:
            continue
        for name in NAMES:
            for extension in EXTENSIONS:
                wanted = name + extension
                matches = [entry for entry in entries if entry.lower() == wanted.lower()]
                if matches:
                    return directory / (wanted if wanted in matches else matches[0])
    return None


def find_changelog(root: Path, settings: Settings) -> Path | None:
    """The changelog's path, or ``None`` when there is none or the step is turned off.

    A configured path is returned whether or not it exists (reading it reports that); with
    towncrier configured, its news file comes first; otherwise the usual names are searched.
    """
    if settings.changelog is False:
        return None
    if settings.changelog is not None:
        return root / settings.changelog
    towncrier = towncrier_config(root)
    if towncrier is not None and (root / towncrier.filename).is_file():
        return root / towncrier.filename
    return _by_usual_names(root)


def changelog_flavor(path: Path, text: str) -> Flavor:
    """Markdown or reStructuredText: by extension, else by content.

    A ``.txt`` or extensionless file is Markdown when it has ATX headings, code fences or link
    definitions; otherwise it is read by reStructuredText's rules, which read underlined
    (setext-like) headings the same way and also accept overlines and other adornments.
    """
    suffix = path.suffix.lower()
    if suffix in {".md", ".markdown"}:
        return "markdown"
    if suffix in {".rst", ".rest"}:
        return "rst"
    return "markdown" if _MARKDOWN_HINTS.search(text) else "rst"


# Far above any real changelog (CPython's is about 2 MB); a device or a runaway file is refused.
MAX_CHANGELOG_BYTES = 64 * 2**20


def _display(root: Path, path: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def read_changelog(root: Path, path: Path) -> ChangelogFile:
    """Read the changelog at ``path`` exactly (bytes decoded as UTF-8, endings kept)."""
    display = _display(root, path)
    try:
        if path.exists() and not path.is_file():
            raise ChangelogError(
                "the changelog is not a regular file",
                where=display,
                hint="point changelog in [tool.releasekit] at the changelog file",
            )
        if path.stat().st_size > MAX_CHANGELOG_BYTES:
            raise ChangelogError(
                f"the changelog is larger than {MAX_CHANGELOG_BYTES // 2**20} MiB",
                where=display,
                hint="point changelog in [tool.releasekit] at the changelog file",
            )
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError as exc:
        raise ChangelogError(
            "changelog not found",
            where=display,
            hint="create it, or change changelog in [tool.releasekit] (false: no changelog)",
        ) from exc
    except UnicodeDecodeError as exc:
        raise ChangelogError(
            "the changelog is not UTF-8 text", where=display, hint="save it as UTF-8"
        ) from exc
    except OSError as exc:
        raise ChangelogError(
            f"cannot read the changelog: {exc.strerror}", where=display, hint="check the file"
        ) from exc
    return ChangelogFile(path, display, text, changelog_flavor(path, text))


def load_changelog(root: Path, settings: Settings) -> ChangelogFile | None:
    """The project's changelog, read; ``None`` when none is found or the step is off."""
    path = find_changelog(root, settings)
    return None if path is None else read_changelog(root, path)
