"""``prepare auto``: the next version decided by the Conventional Commits since the last release.

The bump comes from the commits no release tag contains (breaking -> major, or minor while the
major version is 0 unless ``major-on-zero``; feat -> minor; fix, perf and reverts -> patch). It
combines with the other bumps as a chain (``auto,rc``). On a pre-release line the bump is judged
from the last final release instead, as the pre-releases are steps towards one final version:
1.3.0rc1 with a new fix becomes 1.3.0rc2 (``auto,rc``) or 1.3.0 (``auto``), and a breaking change
arriving on that line starts 2.0.0rc1.
"""

from __future__ import annotations

from collections.abc import Sequence

from packaging.version import Version

from releasekit.commits import CommitLog, infer_bump, read_log
from releasekit.errors import ReleaseError, UsageError
from releasekit.git import Git
from releasekit.records import frozen
from releasekit.tags import ReleaseHistory
from releasekit.versioning import Bump, target_version

AUTO = "auto"


class NothingToRelease(ReleaseError):
    """``prepare auto`` found no releasable change since the last release (exit 1)."""


@frozen
class AutoVersion:
    """What the commits decided: the bump, the version, and the changes to draft."""

    bump: Bump
    version: Version
    log: CommitLog  # the commits since the latest release: what the changelog draft holds
    since: str | None  # the latest release tag, if there is one


def auto_steps(spec: str) -> tuple[str, ...] | None:
    """The steps after ``auto`` in a chain (``auto,rc`` -> ``("rc",)``); ``None``: no auto."""
    parts = tuple(part.strip().lower() for part in spec.split(","))
    if AUTO not in parts:
        return None
    if parts[0] != AUTO or parts.count(AUTO) > 1:
        raise UsageError(
            f"{spec!r}: auto must come first in a chain, once",
            where="BUMP",
            hint="for example auto, or auto,rc",
        )
    return parts[1:]


def _chain(bump: Bump, rest: Sequence[str]) -> str:
    """The bump chain with ``auto`` replaced by what the commits decided."""
    return ",".join((bump, *rest))


def _last_final(history: ReleaseHistory) -> Version | None:
    """The highest final (not pre, not dev) release reachable from HEAD."""
    finals = [tag.version for tag in history.reachable if not tag.version.is_prerelease]
    return max(finals, default=None)


def _final_tags(history: ReleaseHistory) -> list[str]:
    """The reachable tags of final releases: where a pre-release line's commits begin."""
    return [tag.name for tag in history.reachable if not tag.version.is_prerelease]


def _nothing(log: CommitLog, since: str | None, what: str) -> NothingToRelease:
    """The one line that says why there is nothing to release, with what was read."""
    count = f"{log.commits} commit{'s' * (log.commits != 1)}"
    where = f"since {since}" if since else "in the history"
    malformed = f" ({len(log.malformed)} not Conventional Commits)" if log.malformed else ""
    return NothingToRelease(
        f"nothing to release{what}: {count} {where}{malformed}, none a feat, fix, perf, revert "
        "or breaking change",
        hint="pass a bump to release anyway (releasekit prepare patch); "
        "releasekit notes --from-commits -v lists what was read",
    )


def decide(
    git: Git,
    spec: str,
    current: Version,
    history: ReleaseHistory,
    *,
    paths: Sequence[str] = (),
    major_on_zero: bool = False,
    include_merges: bool = False,
    package: str | None = None,
) -> AutoVersion:
    """The version ``spec`` (a chain starting with ``auto``) asks for, from the commits.

    ``paths`` limits the commits to a package's files (a monorepo). Raises ``NothingToRelease``
    when no commit since the latest release calls for one.
    """
    rest = auto_steps(spec)
    if rest is None:
        raise UsageError(f"{spec!r} does not start with auto", where="BUMP")
    exclude = [tag.name for tag in history.reachable]
    log = read_log(git, exclude=exclude, paths=paths, include_merges=include_merges)
    since = history.latest.name if history.latest else None
    what = f" for {package}" if package else ""
    bump = infer_bump(log, current, major_on_zero=major_on_zero)
    if bump is None:
        raise _nothing(log, since, what)
    last_final = _last_final(history)
    if not current.is_prerelease or last_final is None:
        return AutoVersion(bump, target_version(current, _chain(bump, rest)), log, since)
    # A pre-release line: judge the bump from the last final release, whose successor the
    # pre-releases are steps towards.
    final_log = read_log(
        git, exclude=_final_tags(history), paths=paths, include_merges=include_merges
    )
    line_bump = infer_bump(final_log, last_final, major_on_zero=major_on_zero) or bump
    candidate = target_version(last_final, line_bump)
    if candidate > Version(current.base_version):
        version = target_version(last_final, _chain(line_bump, rest))
        if version <= current:
            version = target_version(current, str(candidate))
        return AutoVersion(line_bump, version, log, since)
    version = target_version(current, ",".join(rest) if rest else "release")
    return AutoVersion(line_bump, version, log, since)
