"""``releasekit check --against-index``: compare local files with what the index already serves.

An identical file already there is fine (a re-run after a partial upload); the same name with
other content can never be uploaded; and PyPI refuses new files for a release first uploaded
more than 14 days ago. An index that cannot be asked is reported as such, never as "absent".
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from pathlib import Path

from releasekit.dists import file_digests, name_and_version, version_of
from releasekit.findings import Finding
from releasekit.index.simple import IndexFile, IndexLookupError, project_files

RELEASE_WINDOW = datetime.timedelta(days=14)
REUSE_HELP = "https://pypi.org/help/#file-name-reuse"


def compare_file(
    name: str, local: str, files: Sequence[IndexFile], now: datetime.datetime
) -> Finding | None:
    """What the index's files say about one local file, given the file's sha256."""
    served = next((f for f in files if f.filename == name), None)
    if served is not None:
        if served.sha256 is None:
            return Finding(
                name,
                "warning",
                "published-unverified",
                "a file of this name is on the index, which gives no hash to compare",
            )
        if served.sha256.lower() == local:
            return Finding(
                name, "info", "already-published", "the identical file is already on the index"
            )
        return Finding(
            name,
            "error",
            "filename-exists",
            f"the index already has a different file of this name "
            f"(sha256 {served.sha256[:12]}..., local {local[:12]}...)",
            f"a file name is never accepted twice; release a new version: {REUSE_HELP}",
        )
    version = version_of(name)
    times = [
        f.upload_time
        for f in files
        if f.upload_time is not None and version_of(f.filename) == version
    ]
    age = now - min(times) if times else None
    if version is not None and age is not None and age > RELEASE_WINDOW:
        return Finding(
            name,
            "warning",
            "release-too-old",
            f"release {version} was first uploaded {age.days} days ago; "
            "PyPI refuses new files for releases older than 14 days",
            "release a new version instead",
        )
    return None


def check_against_index(
    paths: Sequence[Path], index_url: str, *, now: datetime.datetime | None = None
) -> list[Finding]:
    """Compare each file with what the index serves: identical, conflicting, or too late.

    One lookup per project. An index that cannot be asked gives an ``index-unreachable``
    error: unknown is never reported as absent.
    """
    moment = now or datetime.datetime.now(datetime.UTC)
    findings: list[Finding] = []
    projects: dict[str, list[Path]] = {}
    for path in paths:
        parsed = name_and_version(path.name)
        if parsed is not None:
            projects.setdefault(parsed[0], []).append(path)
    for project, members in projects.items():
        try:
            files = project_files(index_url, project)
        except IndexLookupError as exc:
            findings.append(Finding("(index)", "error", "index-unreachable", exc.one_line()))
            continue
        compared = (compare_file(p.name, file_digests(p)[0], files, moment) for p in members)
        findings.extend(f for f in compared if f is not None)
    return findings
