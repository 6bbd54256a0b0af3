"""Release tags: the style read from tags and scm settings, and the history reachable from HEAD."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.version import Version

from releasekit.config import Project, Settings
from releasekit.errors import ConfigError
from releasekit.git import Git
from releasekit.tags import family, read_history, require_matching_format, split_tag
from tests.support import Repo, RepoBuilder


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("1.6.0", ("", "{version}", "1.6.0")),
        ("v1.2", ("v", "v{version}", "1.2")),
        ("V2.0.0rc1", ("V", "V{version}", "2.0.0rc1")),
        ("pkg-v1.0", ("pkg-v", "pkg-v{version}", "1.0")),
        ("my_pkg-1.0.post1", ("my_pkg-", "my_pkg-{version}", "1.0.post1")),
        ("release-2.0", ("release-", "release-{version}", "2.0")),
        ("pkg2-1.0", ("pkg2-", "pkg2-{version}", "1.0")),
        ("hatch/v1.2.0", ("hatch/v", "hatch/v{version}", "1.2.0")),
        ("1.0.0.beta0", ("", "{version}", "1.0.0b0")),
    ],
)
def test_split_tag(tag: str, expected: tuple[str, str, str]) -> None:
    """A tag splits into the prefix of its style and the version that ends it."""
    found = split_tag(tag)
    assert found is not None
    assert expected == (found[0], found[1], str(found[2]))


@pytest.mark.parametrize(
    "tag", ["latest", "stable", "dev1", "py3", "2020-01-01", "v1.0-foo", "pkgv1.0", "a.1.0"]
)
def test_tags_that_are_not_releases(tag: str) -> None:
    """Words with digits, dates and tags with a suffix name no release."""
    assert split_tag(tag) is None


def test_the_v_of_a_version_is_not_part_of_a_name() -> None:
    """``pkg-v1.0`` is the ``pkg-v`` style; ``pkgv1.0`` has no version that starts a word."""
    assert "pkg-v{version}" == (split_tag("pkg-v1.0") or ("", "", ""))[1]
    assert split_tag("pkgv1.0") is None


@pytest.mark.parametrize(
    ("prefix", "name", "expected"),
    [
        ("pkg-v", "pkg", "name"),
        ("my_pkg-", "My.Pkg", "name"),
        ("my-pkg/v", "my_pkg", "name"),
        ("", "pkg", "generic"),
        ("v", "pkg", "generic"),
        ("release-", "pkg", "generic"),
        ("other-v", "pkg", "other"),
        ("other-v", None, "other"),
    ],
)
def test_family(prefix: str, name: str | None, expected: str) -> None:
    """A prefix names this project, says "release", or names another project."""
    assert expected == family(prefix, name)


def tagged_repo(make_repo: RepoBuilder, pyproject: str, tags: tuple[str, ...]) -> Repo:
    """A repository with one commit per tag, so that each tag marks its own release."""
    repo = make_repo({"pyproject.toml": pyproject}, remote=False)
    for tag in tags:
        repo.write({"notes.txt": tag})
        repo.commit(f"work for {tag}")
        repo.git("tag", "-a", tag, "-m", tag)
    return repo


SCM: dict[str, object] = {"tool": {"setuptools_scm": {}}}


def test_plain_tags_give_a_plain_format(make_repo: RepoBuilder) -> None:
    """Tags written 1.6.0 are read as releases, and the next tag is written the same way."""
    repo = tagged_repo(make_repo, "", ("1.5.0", "1.6.0"))
    found = read_history(Git(repo.path), Project(repo.path, SCM), Settings(), "pkg")
    assert "{version}" == found.tag_format.template
    assert "tags" == found.tag_format.source
    assert found.latest is not None
    assert ("1.6.0", Version("1.6.0")) == (found.latest.name, found.latest.version)
    assert "1.6.1" == found.tag_format.tag_for(Version("1.6.1"))


def test_the_newest_style_wins_after_a_switch(make_repo: RepoBuilder) -> None:
    """A project that moved from 1.0 to v2.0 keeps writing v tags."""
    repo = tagged_repo(make_repo, "", ("1.0", "v2.0"))
    found = read_history(Git(repo.path), Project(repo.path, {}), Settings(), "pkg")
    assert "v{version}" == found.tag_format.template
    assert [Version("1.0"), Version("2.0")] == sorted(t.version for t in found.reachable)


def test_tags_naming_the_project_win_in_a_monorepo(make_repo: RepoBuilder) -> None:
    """Tags of other packages and generic tags are not this package's releases."""
    repo = tagged_repo(make_repo, "", ("pkg-v1.0", "other-v3.0", "v9.0"))
    found = read_history(Git(repo.path), Project(repo.path, {}), Settings(), "pkg")
    assert "pkg-v{version}" == found.tag_format.template
    assert ["pkg-v1.0"] == [tag.name for tag in found.reachable]


def test_no_tags_gives_the_default(make_repo: RepoBuilder) -> None:
    """Without tags the format is v{version}, said to be the default."""
    repo = tagged_repo(make_repo, "", ())
    found = read_history(Git(repo.path), Project(repo.path, {}), Settings(), "pkg")
    assert "v{version} (from the default)" == found.tag_format.described
    assert found.latest is None


def test_only_reachable_tags_make_the_history(make_repo: RepoBuilder) -> None:
    """On a maintenance branch the latest release is the branch's, but main's tags still exist."""
    repo = tagged_repo(make_repo, "", ("v1.0.0",))
    repo.git("branch", "1.x")
    repo.write({"notes.txt": "2.0"})
    repo.commit("2.0")
    repo.git("tag", "-a", "v2.0.0", "-m", "v2.0.0")
    repo.git("switch", "-q", "1.x")
    found = read_history(Git(repo.path), Project(repo.path, {}), Settings(), "pkg")
    assert found.latest is not None
    assert "v1.0.0" == found.latest.name
    tagged = found.tagged(Version("2.0.0"))
    assert tagged is not None
    assert "v2.0.0" == tagged.name
    assert found.tagged(Version("1.0.1")) is None


def test_the_tag_at_head(make_repo: RepoBuilder) -> None:
    """The release tagged on HEAD is read in the project's own style."""
    repo = tagged_repo(make_repo, "", ("1.5.0", "1.6.0"))
    found = read_history(Git(repo.path), Project(repo.path, {}), Settings(), "pkg")
    assert Version("1.6.0") == found.version_at_head


def test_a_setting_that_matches_no_tag_is_reported(make_repo: RepoBuilder) -> None:
    """tag-format = v{version} over tags written 1.6.0: the line names the style and the fix."""
    repo = tagged_repo(make_repo, "", ("1.5.0", "1.6.0"))
    settings = Settings(tag_format="v{version}")
    found = read_history(Git(repo.path), Project(repo.path, SCM), settings, "pkg")
    assert (
        'no tag matches v{version}; the tags look like 1.6.0, 1.5.0 (set tag-format = "{version}")'
        == found.mismatch
    )
    with pytest.raises(ConfigError) as caught:
        require_matching_format(found, tag_derived=True)
    assert 2 == caught.value.exit_code
    require_matching_format(found, tag_derived=False)  # a file-versioned project only warns


def test_a_matching_setting_is_no_mismatch(make_repo: RepoBuilder) -> None:
    """A setting that matches the tags is used as it is."""
    repo = tagged_repo(make_repo, "", ("rel-1.0",))
    settings = Settings(tag_format="rel-{version}")
    found = read_history(Git(repo.path), Project(repo.path, {}), settings, "pkg")
    assert found.mismatch is None
    assert "rel-{version} (from the tag-format setting)" == found.tag_format.described
    assert ["rel-1.0"] == [tag.name for tag in found.reachable]


@pytest.mark.parametrize(
    ("pyproject", "expected"),
    [
        ({"tool": {"setuptools_scm": {"tag_regex": "^pkg-v(?P<version>.+)$"}}}, "pkg-v{version}"),
        (
            {
                "tool": {
                    "hatch": {
                        "version": {"source": "vcs", "tag-pattern": "^rel\\-(?P<version>.*)$"}
                    }
                }
            },
            "rel-{version}",
        ),
        (
            {
                "tool": {
                    "hatch": {
                        "version": {
                            "source": "vcs",
                            "raw-options": {"git_describe_command": "git describe --match 'x*'"},
                        }
                    }
                }
            },
            "x{version}",
        ),
        ({"tool": {"pdm": {"version": {"source": "scm", "tag_filter": "pkg/"}}}}, "pkg/{version}"),
    ],
)
def test_scm_settings_spell_out_the_format_before_any_tag(
    make_repo: RepoBuilder, pyproject: dict[str, object], expected: str
) -> None:
    """With no tags yet, the prefix an scm pattern requires is the format."""
    repo = tagged_repo(make_repo, "", ())
    found = read_history(Git(repo.path), Project(repo.path, pyproject), Settings(), "pkg")
    assert expected == found.tag_format.template
    assert "scm" == found.tag_format.source


def test_the_scm_filter_decides_which_tags_are_releases(make_repo: RepoBuilder) -> None:
    """Tags the scm tool's regex rejects are not releases, however they look."""
    repo = tagged_repo(make_repo, "", ("v5.0", "pkg-v1.0"))
    pyproject = {"tool": {"setuptools_scm": {"tag_regex": "^pkg-v(?P<version>.+)$"}}}
    found = read_history(Git(repo.path), Project(repo.path, pyproject), Settings(), "other")
    assert ["pkg-v1.0"] == [tag.name for tag in found.reachable]
    assert "pkg-v{version}" == found.tag_format.template


def test_outside_git(tmp_path: Path) -> None:
    """Without a repository there are no tags and the format is the default."""
    found = read_history(None, Project(tmp_path, {}), Settings(), "pkg")
    assert "v{version}" == found.tag_format.template
    assert () == found.everywhere


def test_a_filter_that_rejects_every_tag_is_reported(make_repo: RepoBuilder) -> None:
    """An scm filter that no tag passes would read the version as 0.0.0: that is a mismatch."""
    repo = tagged_repo(make_repo, "", ("1.6.0",))
    pyproject = {"tool": {"setuptools_scm": {"tag_regex": "^pkg-v(?P<version>.+)$"}}}
    found = read_history(Git(repo.path), Project(repo.path, pyproject), Settings(), "pkg")
    assert (
        "no tag matches the scm tag filter '^pkg-v(?P<version>.+)$'; the tags look like 1.6.0 "
        "(fix the filter, or set tag-format)"
    ) == found.mismatch
    with pytest.raises(ConfigError):
        require_matching_format(found, tag_derived=True)


def test_a_tag_the_project_released_below_afterwards_is_stray(make_repo: RepoBuilder) -> None:
    """httpx's case: 1.0.0.beta0 in 2021, then 0.19 to 0.28 on top of it; 0.28 is the latest."""
    repo = tagged_repo(make_repo, "", ("0.18.0", "1.0.0.beta0", "0.19.0", "0.28.1"))
    found = read_history(Git(repo.path), Project(repo.path, {}), Settings(), "pkg")
    assert found.latest is not None
    assert "0.28.1" == found.latest.name
    assert ["1.0.0.beta0"] == [tag.name for tag in found.strays]
    assert found.tagged(Version("1.0.0b0")) is not None  # still never released twice


def test_a_maintenance_release_merged_back_does_not_demote_main(make_repo: RepoBuilder) -> None:
    """v1.0.1 made on 1.x and merged into main does not descend from v2.0.0: v2.0.0 stays latest."""
    repo = tagged_repo(make_repo, "", ("v1.0.0",))
    repo.git("branch", "1.x")
    repo.write({"notes.txt": "2.0"})
    repo.commit("2.0")
    repo.git("tag", "-a", "v2.0.0", "-m", "v2.0.0")
    repo.git("switch", "-q", "1.x")
    repo.write({"fix.txt": "fix"})
    repo.commit("fix")
    repo.git("tag", "-a", "v1.0.1", "-m", "v1.0.1")
    repo.git("switch", "-q", "main")
    repo.git("merge", "-q", "--no-edit", "1.x")
    found = read_history(Git(repo.path), Project(repo.path, {}), Settings(), "pkg")
    assert found.latest is not None
    assert "v2.0.0" == found.latest.name
    assert () == found.strays


def test_a_lower_tag_on_the_same_commit_does_not_make_a_stray(make_repo: RepoBuilder) -> None:
    """v1.2.3 and v1.5.0 on one commit: v1.5.0 is the latest, not a tag released below."""
    repo = tagged_repo(make_repo, "", ("v1.2.3",))
    repo.git("tag", "v1.5.0")
    found = read_history(Git(repo.path), Project(repo.path, {}), Settings(), "pkg")
    assert found.latest is not None
    assert "v1.5.0" == found.latest.name
