"""Release tags: the tags that ``tag-format`` makes, read back into versions."""

from __future__ import annotations

from packaging.version import InvalidVersion, Version

from releasekit.config import Settings
from releasekit.git import Git


def release_tag_versions(tags: list[str], settings: Settings) -> dict[Version, str]:
    """Tags that match ``tag-format`` and hold a valid version, keyed by version."""
    prefix, _, suffix = settings.tag_format.partition("{version}")
    found = {}
    for tag in tags:
        if tag.startswith(prefix) and tag.endswith(suffix) and len(tag) > len(prefix) + len(suffix):
            try:
                found[Version(tag[len(prefix) : len(tag) - len(suffix)])] = tag
            except InvalidVersion:
                continue
    return found


def latest_release_tag(git: Git, settings: Settings) -> tuple[Version, str] | None:
    """The highest released version among the tags, with its tag name."""
    tags = release_tag_versions(git.tags(), settings)
    if not tags:
        return None
    latest = max(tags)
    return latest, tags[latest]


def release_at_head(git: Git, settings: Settings) -> Version | None:
    """The highest release version tagged on HEAD, if any."""
    tags = release_tag_versions(git.tags_at_head(), settings)
    return max(tags) if tags else None
