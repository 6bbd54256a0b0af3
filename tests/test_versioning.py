"""PEP 440 bump rules: the required table, the refusals, and properties over many versions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.version import Version

from releasekit.errors import VersionError
from releasekit.versioning import BUMPS, bump_version, parse_bump_chain, target_version

REQUIRED = [
    ("1.2.3", "major", "2.0.0"),
    ("1.2.3", "minor", "1.3.0"),
    ("1.2.3", "patch", "1.2.4"),
    ("1.2.3", "minor,rc", "1.3.0rc1"),
    ("1.3.0rc1", "rc", "1.3.0rc2"),
    ("1.3.0b2", "rc", "1.3.0rc1"),
    ("1.3.0a1", "beta", "1.3.0b1"),
    ("1.3.0rc2", "release", "1.3.0"),
    ("1.3.0", "post", "1.3.0.post1"),
    ("1.3.0.post1", "post", "1.3.0.post2"),
    ("1.3.0", "patch,dev", "1.3.1.dev1"),
    ("1.3.1.dev1", "dev", "1.3.1.dev2"),
    ("1.3.1.dev2", "release", "1.3.1"),
    ("0.9.9", "major", "1.0.0"),
    ("1!1.0", "minor", "1!1.1"),
    ("1.2", "patch", "1.2.1"),
    ("1.3.0", "2.0.0", "2.0.0"),
    # Beyond the required table: segment length kept, dev of a pre/post released, alpha phase.
    ("1.2", "minor", "1.3"),
    ("1", "minor", "1.1"),
    ("1.3.0rc1.dev2", "rc", "1.3.0rc1"),
    ("1.3.0.post1.dev1", "post", "1.3.0.post1"),
    ("1.2.3", "patch,alpha", "1.2.4a1"),
    # Bumping a pre-release or dev release finalizes it when it is already on its way there.
    ("1.3.0rc1", "patch", "1.3.0"),
    ("8.5.0.dev0", "patch", "8.5.0"),
    ("2.14.0b1", "patch", "2.14.0"),
    ("1.2.0rc1", "minor", "1.2.0"),
    ("1.2.3rc1", "minor", "1.3.0"),
    ("1.2.3rc1", "patch", "1.2.3"),
    ("2.0.0a1", "major", "2.0.0"),
    ("2.1.0rc1", "major", "3.0.0"),
    ("1.3.0.post1.dev1", "patch", "1.3.1"),
    ("1.3.1.dev2", "rc", "1.3.1rc1"),
    ("1.3.0", "1.4.0-RC.1", "1.4.0rc1"),
    ("1.2.3", "MINOR", "1.3.0"),
]


@pytest.mark.parametrize(("current", "spec", "expected"), REQUIRED)
def test_required_bumps(current: str, spec: str, expected: str) -> None:
    """Each documented bump gives exactly the documented version, in canonical form."""
    result = target_version(Version(current), spec)
    assert expected == str(result)


@pytest.mark.parametrize(
    ("current", "spec", "message", "hint"),
    [
        ("1.3.0", "rc", "gives 1.3.0rc1, which is not higher", "use 'patch,rc' or 'minor,rc'"),
        ("1.3.0", "alpha", "gives 1.3.0a1, which is not higher", "use 'patch,alpha'"),
        ("1.3.0rc1", "beta", "gives 1.3.0b1, which is not higher", "use 'rc' or 'release'"),
        ("1.3.0b1", "alpha", "gives 1.3.0a1", "use 'beta' or 'rc' or 'release'"),
        ("1.3.0", "dev", "gives 1.3.0.dev1", "use 'patch,dev' or 'minor,dev'"),
        ("1.3.0", "release", "gives 1.3.0, which is not higher", "higher explicit version"),
        ("1.3.0.post1", "release", "gives 1.3.0", "use 'post' or 'patch'"),
        ("1.3.0", "1.2.0", "1.2.0 is not higher than the current version 1.3.0", "higher"),
        ("1.3.0", "1.3.0", "1.3.0 is not higher", "higher"),
        ("1.3.0", "1.3.0+local", "local version segment (+local)", "use 1.3.0,"),
        ("1.3.0", "1.4.0+abc", "local version segment", "use 1.4.0"),
        ("1.3.0", "banana", "'banana' is neither a bump nor a PEP 440 version", "minor,rc"),
        ("1.3.0", "minor,banana", "is neither a bump nor a PEP 440 version", "use one of"),
    ],
)
def test_refused_bumps(current: str, spec: str, message: str, hint: str) -> None:
    """Bumps that cannot give a higher, publishable version fail with a hint that says what to use."""
    with pytest.raises(VersionError) as caught:
        target_version(Version(current), spec)
    assert message in caught.value.message
    assert caught.value.hint is not None
    assert hint in caught.value.hint
    assert caught.value.exit_code == 2


def test_bump_chain_parsing() -> None:
    """Chains are split on commas and case-folded; anything else is not a chain."""
    assert ("minor", "rc") == parse_bump_chain("minor,rc")
    assert ("patch", "dev") == parse_bump_chain(" Patch , DEV ")
    assert parse_bump_chain("1.2.3") is None
    assert parse_bump_chain("minor,") is None


versions = st.builds(
    lambda epoch, release, pre, post, dev: Version(
        (f"{epoch}!" if epoch else "")
        + ".".join(map(str, release))
        + (f"{pre[0]}{pre[1]}" if pre else "")
        + (f".post{post}" if post is not None else "")
        + (f".dev{dev}" if dev is not None else "")
    ),
    st.integers(0, 2),
    st.lists(st.integers(0, 30), min_size=1, max_size=4),
    st.none() | st.tuples(st.sampled_from(["a", "b", "rc"]), st.integers(0, 9)),
    st.none() | st.integers(0, 9),
    st.none() | st.integers(0, 9),
)
chains = st.lists(st.sampled_from(BUMPS), min_size=1, max_size=3)


@given(versions, chains)
def test_every_bump_is_higher_and_canonical(current: Version, chain: list[str]) -> None:
    """A bump either returns a strictly higher canonical version or refuses; never anything else."""
    try:
        result = bump_version(current, tuple(chain))  # type: ignore[arg-type]  # sampled from BUMPS
    except VersionError as error:
        assert error.hint  # noqa: PT017  # a refusal is a valid outcome, but it must carry a hint
        return
    assert result > current
    assert str(result) == str(Version(str(result)))
    assert result.local is None
    assert result.epoch == current.epoch


@given(versions, st.sampled_from(["major", "minor", "patch"]))
def test_release_bumps_always_succeed(current: Version, bump: str) -> None:
    """major, minor and patch always succeed and leave no pre, post or dev segment."""
    result = bump_version(current, (bump,))  # type: ignore[arg-type]  # a member of BUMPS
    assert result > current
    assert (result.pre, result.post, result.dev) == (None, None, None)


@given(versions, st.sampled_from(["major", "minor", "patch"]))
def test_release_bumps_finalize_what_is_on_its_way(current: Version, bump: str) -> None:
    """A pre/dev release bumped to the segment it already leads to becomes that release."""
    index = ["major", "minor", "patch"].index(bump)
    result = bump_version(current, (bump,))  # type: ignore[arg-type]  # a member of BUMPS
    heading_there = (current.pre is not None or current.dev is not None) and current.post is None
    if heading_there and not any(current.release[index + 1 :]):
        assert current.release == result.release
    else:
        bumped = [*current.release, 0, 0][index] + 1
        assert bumped == [*result.release, 0, 0][index]
