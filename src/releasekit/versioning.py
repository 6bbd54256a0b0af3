"""PEP 440 bump rules on ``packaging.version.Version``.

The one promise this module keeps: it never returns a version that is not strictly higher than
the one it was given. A chain such as ``minor,rc`` is applied step by step (``1.2.3`` -> ``1.3.0``
-> ``1.3.0rc1``) and only the final result is compared with the start, as hatch does.
"""

from __future__ import annotations

import difflib
from typing import Literal, get_args

from packaging.version import InvalidVersion, Version

from releasekit.errors import VersionError

Bump = Literal["major", "minor", "patch", "alpha", "beta", "rc", "post", "dev", "release"]
BUMPS: tuple[Bump, ...] = get_args(Bump)

_PHASE: dict[str, Literal["a", "b", "rc"]] = {"alpha": "a", "beta": "b", "rc": "rc"}
_PHASE_ORDER = ("a", "b", "rc")


def parse_version(text: str, *, where: str | None = None) -> Version:
    """Parse ``text`` as a PEP 440 version; the error says where the text came from."""
    try:
        return Version(text)
    except InvalidVersion as exc:
        raise VersionError(
            f"{text!r} is not a valid PEP 440 version",
            where=where,
            hint="write it like 1.2.3, 1.3.0rc1, 1.3.0.post1 or 1.3.1.dev1",
        ) from exc


def parse_bump_chain(text: str) -> tuple[Bump, ...] | None:
    """Return the bump steps of ``text`` (``"minor,rc"``), or ``None`` if it is not a bump chain."""
    parts = tuple(part.strip().lower() for part in text.split(","))
    if all(part in BUMPS for part in parts):
        return parts  # type: ignore[return-value]  # every part was checked against BUMPS
    return None


def _build(
    *,
    epoch: int,
    release: tuple[int, ...],
    pre: tuple[str, int] | None = None,
    post: int | None = None,
    dev: int | None = None,
) -> Version:
    """Assemble a version from segments; parsing the text keeps ``Version`` the authority."""
    text = f"{epoch}!" if epoch else ""
    text += ".".join(str(part) for part in release)
    if pre is not None:
        text += f"{pre[0]}{pre[1]}"
    if post is not None:
        text += f".post{post}"
    if dev is not None:
        text += f".dev{dev}"
    return Version(text)


def _bump_release(version: Version, index: int) -> Version:
    """Increment release segment ``index`` (0 major, 1 minor, 2 patch), zero the rest.

    The segment count is kept (``1.2`` minor -> ``1.3``) unless ``index`` lies beyond it
    (``1.2`` patch -> ``1.2.1``). A pre-release or dev release that is already on its way to
    that bump is finalized instead, as npm and poetry do: 2.14.0b1 + patch is 2.14.0 and
    1.2.0rc1 + minor is 1.2.0, but 1.2.3rc1 + minor is 1.3.0.
    """
    if (version.pre is not None or version.dev is not None) and version.post is None:
        lower = version.release[index + 1 :]
        if not any(lower):
            return _build(epoch=version.epoch, release=version.release)
    parts = list(version.release)
    while len(parts) <= index:
        parts.append(0)
    parts[index] += 1
    parts[index + 1 :] = [0] * (len(parts) - index - 1)
    return _build(epoch=version.epoch, release=tuple(parts))


def _bump_pre(version: Version, phase: Literal["a", "b", "rc"]) -> Version:
    """Move to pre-release ``phase``: the next number in the same phase, or 1 in a new phase.

    A dev release of the same pre-release (``1.3.0rc1.dev2``) becomes that pre-release.
    """
    if version.pre is not None and version.pre[0] == phase:
        number = version.pre[1] if version.dev is not None else version.pre[1] + 1
    else:
        number = 1
    return _build(epoch=version.epoch, release=version.release, pre=(phase, number))


def _bump_post(version: Version) -> Version:
    """Next post-release; a dev release of a post-release becomes that post-release."""
    if version.post is None:
        number = 1
    else:
        number = version.post if version.dev is not None else version.post + 1
    return _build(epoch=version.epoch, release=version.release, pre=version.pre, post=number)


def _bump_dev(version: Version) -> Version:
    """Next dev release of the same version (``1.3.1.dev1`` -> ``1.3.1.dev2``)."""
    number = 1 if version.dev is None else version.dev + 1
    return _build(
        epoch=version.epoch, release=version.release, pre=version.pre, post=version.post, dev=number
    )


def _apply_step(version: Version, step: Bump) -> Version:
    """Apply one bump step, without judging whether the result is higher."""
    if step == "major":
        return _bump_release(version, 0)
    if step == "minor":
        return _bump_release(version, 1)
    if step == "patch":
        return _bump_release(version, 2)
    if step in _PHASE:
        return _bump_pre(version, _PHASE[step])
    if step == "post":
        return _bump_post(version)
    if step == "dev":
        return _bump_dev(version)
    return _build(epoch=version.epoch, release=version.release)  # "release"


def _lower_hint(current: Version, steps: tuple[Bump, ...], result: Version) -> str:
    """Explain why ``result`` is not higher, and suggest the bump the user most likely meant."""
    last = steps[-1]
    if last in _PHASE and current.pre is None and current.dev is None:
        return (
            f"a pre-release of the released {current} sorts below it;"
            f" use 'patch,{last}' or 'minor,{last}'"
        )
    if last in _PHASE and current.pre is not None and _PHASE[last] != current.pre[0]:
        reached = _PHASE_ORDER.index(current.pre[0])
        later = [name for name, code in _PHASE.items() if _PHASE_ORDER.index(code) >= reached]
        options = " or ".join(f"'{name}'" for name in [*later, "release"])
        return f"{current} is already past the {last} phase; use {options}"
    if last == "dev":
        return f"a dev release of {current} sorts below it; use 'patch,dev' or 'minor,dev'"
    if last == "release" and current.is_postrelease:
        return f"{current} is a post-release of {result}; use 'post' or 'patch'"
    return "give a bump such as 'patch', 'minor' or 'major', or a higher explicit version"


def bump_version(current: Version, steps: tuple[Bump, ...]) -> Version:
    """Apply the bump ``steps`` to ``current``; the result is canonical and strictly higher.

    Raises ``VersionError`` (with a hint naming the likely intended bump) otherwise.
    """
    result = current
    for step in steps:
        result = _apply_step(result, step)
    if result <= current:
        raise VersionError(
            f"bumping {current} by {','.join(steps)} gives {result}, which is not higher",
            hint=_lower_hint(current, steps, result),
        )
    return result


def _closest_bump(spec: str) -> str | None:
    """The bump chain ``spec`` most likely meant (``pacth`` -> ``patch``), if one is close."""
    guesses: list[str] = []
    for part in spec.strip().lower().split(","):
        if part in BUMPS:
            guesses.append(part)
            continue
        close = difflib.get_close_matches(part, BUMPS, n=1, cutoff=0.6)
        if not close:
            return None
        guesses.append(close[0])
    return ",".join(guesses)


def target_version(current: Version, spec: str) -> Version:
    """Resolve a BUMP chain or an explicit VERSION into the next version.

    An explicit version must be valid PEP 440, publishable (no local segment) and strictly higher.
    """
    steps = parse_bump_chain(spec)
    if steps is not None:
        return bump_version(current, steps)
    try:
        wanted = Version(spec)
    except InvalidVersion as exc:
        guess = _closest_bump(spec)
        raise VersionError(
            f"{spec!r} is neither a bump nor a PEP 440 version",
            hint=(f"did you mean {guess!r}? " if guess else "")
            + f"use one of {', '.join(BUMPS)} (or a chain like minor,rc), or a version",
        ) from exc
    if wanted.local is not None:
        raise VersionError(
            f"{wanted} has a local version segment (+{wanted.local}), which package indexes refuse",
            hint=f"use {wanted.public}, or a .post or .dev release",
        )
    if wanted <= current:
        raise VersionError(
            f"{wanted} is not higher than the current version {current}",
            hint="give a higher version, or a bump such as 'patch'",
        )
    return wanted
