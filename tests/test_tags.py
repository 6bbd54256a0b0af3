"""Release tags: the style read from tags and scm settings, and the history reachable from HEAD."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.version import Version

from releasekit.config import Project, Settings
from releasekit.errors import ConfigError
from releasekit.git import Git
from releasekit.tags import (
    ReleaseHistory,
    family,
    read_history,
    require_matching_format,
    split_tag,
)
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


# Tags found on real repositories (docs/compatibility.md): name==version, bare numbers, partials.


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("langchain-core==0.3.0", ("langchain-core==", "langchain-core=={version}", "0.3.0")),
        ("cli==0.4.31", ("cli==", "cli=={version}", "0.4.31")),
        ("pkg=v1.0", ("pkg=v", "pkg=v{version}", "1.0")),
    ],
)
def test_split_tag_after_equals(tag: str, expected: tuple[str, str, str]) -> None:
    """langchain and langgraph write ``name==version``: ``=`` and ``==`` end the name."""
    found = split_tag(tag)
    assert found is not None
    assert expected == (found[0], found[1], str(found[2]))


@pytest.mark.parametrize(
    ("prefix", "name", "expected"),
    [
        ("langchain-core==", "langchain-core", "name"),
        ("langchain_core==", "Langchain.Core", "name"),
        ("pkg=v", "pkg", "name"),
        ("other==", "pkg", "other"),
        ("==", "pkg", "other"),
    ],
)
def test_family_after_equals(prefix: str, name: str, expected: str) -> None:
    """``langchain-core==`` names the project langchain-core."""
    assert expected == family(prefix, name)


def test_name_equals_version_tags_are_releases(make_repo: RepoBuilder) -> None:
    """``langchain-core==0.3.0`` is the latest release, and the next tag is written alike."""
    repo = tagged_repo(make_repo, "", ("langchain-core==0.2.9", "langchain-core==0.3.0"))
    found = read_history(Git(repo.path), Project(repo.path, {}), Settings(), "langchain-core")
    assert found.latest is not None
    assert "langchain-core==0.3.0" == found.latest.name
    assert "langchain-core=={version}" == found.tag_format.template
    assert "langchain-core==0.3.1" == found.tag_format.tag_for(Version("0.3.1"))


def static(version: str) -> dict[str, object]:
    """A pyproject whose ``[project]`` version is written in it."""
    return {"project": {"name": "pkg", "version": version}}


def test_a_bare_number_is_no_release_of_a_dotted_project(make_repo: RepoBuilder) -> None:
    """python-api-core's ``release-883`` beside ``v2.29.0`` is a build number, not release 883."""
    repo = tagged_repo(make_repo, "", ("v2.29.0",))
    repo.git("tag", "release-883")
    for project in (Project(repo.path, static("2.29.0")), Project(repo.path, SCM)):
        found = read_history(Git(repo.path), project, Settings(), "pkg")
        assert found.latest is not None
        assert "v2.29.0" == found.latest.name
        assert "v{version}" == found.tag_format.template
        assert ["v2.29.0"] == [tag.name for tag in found.everywhere]
        assert Version("2.29.0") == found.version_at_head


def test_a_project_numbered_by_whole_numbers_keeps_them(make_repo: RepoBuilder) -> None:
    """A project at version 7 releases 7 after 6; with only bare-number tags, so does a tag one."""
    repo = tagged_repo(make_repo, "", ("v6", "v7"))
    for project in (Project(repo.path, static("7")), Project(repo.path, SCM)):
        found = read_history(Git(repo.path), project, Settings(), "pkg")
        assert found.latest is not None
        assert "v7" == found.latest.name
    dotted = read_history(Git(repo.path), Project(repo.path, static("7.0.1")), Settings(), "pkg")
    assert dotted.latest is None


def test_partial_tags_are_not_releases(make_repo: RepoBuilder) -> None:
    """semantic-release's ``v1`` and ``v1.0`` float beside ``v1.0.1``, then move to ``v1.1.0``."""
    repo = tagged_repo(make_repo, "", ("v1.0.1",))
    repo.git("tag", "v1")
    repo.git("tag", "v1.0")
    found = read_history(Git(repo.path), Project(repo.path, SCM), Settings(), "pkg")
    assert ["v1.0.1"] == [tag.name for tag in found.reachable]
    assert ["v1.0.1"] == [tag.name for tag in found.at_head]
    repo.write({"notes.txt": "1.1"})
    repo.commit("feat: more")
    repo.git("tag", "-a", "v1.1.0", "-m", "v1.1.0")
    repo.git("tag", "-f", "v1")
    repo.git("tag", "v1.1")
    found = read_history(Git(repo.path), Project(repo.path, SCM), Settings(), "pkg")
    assert ["v1.0.1", "v1.1.0"] == [tag.name for tag in found.reachable]
    assert found.latest is not None
    assert "v1.1.0" == found.latest.name
    assert () == found.strays


def test_a_short_version_alone_on_its_commit_is_a_release(make_repo: RepoBuilder) -> None:
    """``v1.1`` with no longer tag on its commit is release 1.1, not a partial tag."""
    repo = tagged_repo(make_repo, "", ("v1.0.1", "v1.1"))
    found = read_history(Git(repo.path), Project(repo.path, static("1.1")), Settings(), "pkg")
    assert found.latest is not None
    assert "v1.1" == found.latest.name


def test_the_history_is_read_with_one_walk(
    make_repo: RepoBuilder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One ``--merged`` walk of the history, and no ``--contains`` walk per tag (GIT_TRACE)."""
    repo = tagged_repo(make_repo, "", ("v1.0.0", "v1.1.0", "v1.2.0"))
    trace = tmp_path / "trace.txt"
    monkeypatch.setenv("GIT_TRACE", str(trace))
    found = read_history(Git(repo.path), Project(repo.path, {}), Settings(), "pkg")
    assert found.latest is not None
    assert "v1.2.0" == found.latest.name
    commands = [line for line in trace.read_text().splitlines() if "built-in: git" in line]
    assert 1 == sum("--merged" in line for line in commands), commands
    assert not any("--contains" in line for line in commands), commands
    assert not any("--points-at" in line for line in commands), commands


def langgraph_like(make_repo: RepoBuilder, names: dict[str, str], tags: tuple[str, ...]) -> Repo:
    """Packages in ``libs/`` (folder -> name), no package at the top, then ``tags`` on HEAD."""
    files = {
        f"libs/{folder}/pyproject.toml": f'[project]\nname = "{name}"\nversion = "0.1.0"\n'
        for folder, name in names.items()
    }
    repo = make_repo(files, remote=False)
    for tag in tags:
        repo.git("tag", tag)
    return repo


def package_history(repo: Repo, folder: str, name: str) -> ReleaseHistory:
    """The release history of the package in ``libs/<folder>``."""
    root = repo.path / "libs" / folder
    project = Project(root, {"project": {"name": name, "version": "0.1.0"}})
    return read_history(Git(root), project, Settings(), name)


def test_a_tag_may_name_a_package_by_the_end_of_its_name(make_repo: RepoBuilder) -> None:
    """langgraph tags ``langgraph-sdk`` as ``sdk==0.1.0`` and ``langgraph-cli`` as ``cli==``."""
    packages = {"sdk-py": "langgraph-sdk", "cli": "langgraph-cli", "langgraph": "langgraph"}
    repo = langgraph_like(make_repo, packages, ("sdk==0.1.0", "cli==0.4.31", "1.2.11"))
    sdk = package_history(repo, "sdk-py", "langgraph-sdk")
    assert ["sdk==0.1.0"] == [tag.name for tag in sdk.reachable]
    assert "sdk=={version}" == sdk.tag_format.template
    cli = package_history(repo, "cli", "langgraph-cli")
    assert cli.latest is not None
    assert "cli==0.4.31" == cli.latest.name


def test_a_tag_naming_the_package_in_full_wins_over_a_short_one(make_repo: RepoBuilder) -> None:
    """With ``langgraph-sdk==0.2.0`` among the tags, ``sdk==0.1.0`` is not this package's."""
    repo = langgraph_like(
        make_repo, {"sdk-py": "langgraph-sdk"}, ("sdk==0.1.0", "langgraph-sdk==0.2.0")
    )
    repo.write({"libs/other/pyproject.toml": '[project]\nname = "other"\nversion = "1.0"\n'})
    repo.commit("another package")
    found = package_history(repo, "sdk-py", "langgraph-sdk")
    assert ["langgraph-sdk==0.2.0"] == [tag.name for tag in found.reachable]


@pytest.mark.parametrize(
    ("other", "expected"), [("b-core", []), ("core", []), ("c-cli", ["core-v1.0"])]
)
def test_a_short_name_must_be_one_packages_alone(
    make_repo: RepoBuilder, other: str, expected: list[str]
) -> None:
    """``core-v1.0`` is ``a-core``'s unless another package is called, or ends in, ``core``."""
    repo = langgraph_like(make_repo, {"a": "a-core", "b": other}, ("core-v1.0",))
    assert expected == [tag.name for tag in package_history(repo, "a", "a-core").reachable]
