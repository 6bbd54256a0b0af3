"""Tag styles and release history end to end: the installed command on real repositories."""

from __future__ import annotations

import shutil

import pytest

from tests.support import PYPROJECT, RELEASE_DATE, Repo, RepoBuilder, Run, run_releasekit, snapshot

CHANGELOG_160 = """\
# Changelog

## [Unreleased]

### Fixed

- A bug.

## [1.6.0] - 2026-01-02

- First.
"""

SCM_PROJECTS = {
    "setuptools-scm": """\
[build-system]
requires = ["setuptools>=64", "setuptools-scm>=8"]
build-backend = "setuptools.build_meta"

[project]
name = "scmdemo"
dynamic = ["version"]

[tool.setuptools_scm]
""",
    "hatch-vcs": """\
[build-system]
requires = ["hatchling", "hatch-vcs"]
build-backend = "hatchling.build"

[project]
name = "scmdemo"
dynamic = ["version"]

[tool.hatch.version]
source = "vcs"
""",
    "pdm-scm": """\
[build-system]
requires = ["pdm-backend"]
build-backend = "pdm.backend"

[project]
name = "scmdemo"
dynamic = ["version"]

[tool.pdm.version]
source = "scm"
""",
}


def tag_on_another_line(repo: Repo, branch: str, tag: str) -> None:
    """Tag a commit on a new branch, then go back to main: the tag is not reachable from it."""
    repo.git("switch", "-q", "-c", branch)
    repo.write({"notes.txt": branch})
    repo.commit(branch)
    repo.git("tag", "-a", tag, "-m", tag)
    repo.git("switch", "-q", "main")


def prepare(repo: Repo, *args: str) -> Run:
    """Run ``releasekit prepare`` with a fixed date."""
    return run_releasekit(repo.path, "prepare", *args, "--date", RELEASE_DATE)


@pytest.mark.parametrize("backend", sorted(SCM_PROJECTS))
@pytest.mark.parametrize("style", ["{}", "v{}", "scmdemo-v{}", "scmdemo-{}", "release-{}"])
def test_tag_versioned_projects_keep_their_tag_style(
    make_repo: RepoBuilder, backend: str, style: str
) -> None:
    """A tag-versioned project is read at its latest tag, whatever the style, and tags alike."""
    repo = make_repo(
        {"pyproject.toml": SCM_PROJECTS[backend], "CHANGELOG.md": CHANGELOG_160},
        tags=(style.format("1.5.0"),),
    )
    repo.write({"notes.txt": "1.6"})
    repo.commit("work")
    repo.git("tag", "-a", style.format("1.6.0"), "-m", "1.6.0")
    dry = prepare(repo, "patch", "--dry-run")
    assert 0 == dry.returncode, dry.stderr
    assert "Release 1.6.0 -> 1.6.1" in dry.stdout
    assert f"create annotated tag {style.format('1.6.1')}\n" in dry.stdout
    result = prepare(repo, "patch", "--yes")
    assert 0 == result.returncode, result.stderr
    assert style.format("1.6.1") == repo.git("describe", "--tags", "--exact-match")


def test_a_tag_format_that_matches_no_tag_stops_a_tag_versioned_release(
    make_repo: RepoBuilder,
) -> None:
    """tag-format = v{version} over 1.6.0 tags: one line naming the style, exit 2, no change."""
    pyproject = SCM_PROJECTS["setuptools-scm"] + '\n[tool.releasekit]\ntag-format = "v{version}"\n'
    repo = make_repo({"pyproject.toml": pyproject, "CHANGELOG.md": CHANGELOG_160}, tags=("1.6.0",))
    before = snapshot(repo)
    result = prepare(repo, "patch", "--yes")
    assert 2 == result.returncode
    assert (
        "error: pyproject.toml [tool.releasekit] tag-format: no tag matches v{version}; "
        'the tags look like 1.6.0 (set tag-format = "{version}")\n'
    ) == result.stderr
    assert before == snapshot(repo)


def test_a_file_versioned_project_warns_about_a_mismatched_format(
    make_repo: RepoBuilder,
) -> None:
    """With the version in a file, a format that matches no tag is a warning, not a stop."""
    pyproject = PYPROJECT + '\n[tool.releasekit]\ntag-format = "v{version}"\n'
    repo = make_repo({"pyproject.toml": pyproject, "CHANGELOG.md": CHANGELOG_160}, tags=("1.2.3",))
    result = prepare(repo, "patch", "--dry-run")
    assert 0 == result.returncode, result.stderr
    assert "warning: no tag matches v{version}; the tags look like 1.2.3" in result.stderr


def test_a_maintenance_branch_releases_below_main(make_repo: RepoBuilder) -> None:
    """On 1.x, 1.0.1 is released although main has v2.0.0: only reachable tags count."""
    pyproject = PYPROJECT.replace("1.2.3", "1.0.0") + '[tool.releasekit]\nrelease-branch = "1.x"\n'
    repo = make_repo({"pyproject.toml": pyproject, "CHANGELOG.md": CHANGELOG_160}, tags=("v1.0.0",))
    repo.git("branch", "1.x")
    repo.write({"pyproject.toml": pyproject.replace("1.0.0", "2.0.0")})
    repo.commit("2.0")
    repo.git("tag", "-a", "v2.0.0", "-m", "2.0.0")
    repo.git("switch", "-q", "1.x")
    result = prepare(repo, "patch", "--yes")
    assert 0 == result.returncode, result.stderr
    assert "v1.0.1" == repo.git("describe", "--exact-match")


def test_a_version_tagged_on_another_line_is_refused(make_repo: RepoBuilder) -> None:
    """A version whose tag exists anywhere, in any style, is never released again."""
    repo = make_repo({"pyproject.toml": PYPROJECT, "CHANGELOG.md": CHANGELOG_160}, tags=("v1.2.3",))
    tag_on_another_line(repo, "side", "1.2.4")
    before = snapshot(repo)
    result = prepare(repo, "patch", "--yes")
    assert 1 == result.returncode
    assert "1.2.4 was already released: tag 1.2.4 exists; choose another version" in result.stderr
    assert before == snapshot(repo)


def test_an_odd_old_tag_elsewhere_does_not_block_the_0x_line(make_repo: RepoBuilder) -> None:
    """A 1.0.0.beta0 tag on an abandoned line does not make 0.5.1 "not higher"."""
    pyproject = PYPROJECT.replace("1.2.3", "0.5.0")
    repo = make_repo({"pyproject.toml": pyproject, "CHANGELOG.md": CHANGELOG_160}, tags=("v0.5.0",))
    tag_on_another_line(repo, "rewrite", "1.0.0.beta0")
    result = prepare(repo, "patch", "--yes")
    assert 0 == result.returncode, result.stderr
    assert "v0.5.1" == repo.git("describe", "--exact-match")


def test_a_version_below_the_latest_reachable_tag_is_refused(make_repo: RepoBuilder) -> None:
    """The reachable history still guards against going backwards."""
    repo = make_repo({"pyproject.toml": PYPROJECT, "CHANGELOG.md": CHANGELOG_160}, tags=("v1.5.0",))
    result = prepare(repo, "patch", "--yes")
    assert 1 == result.returncode
    assert "1.2.4 is not higher than the latest release tag v1.5.0" in result.stderr


def test_a_dry_run_works_offline(demo_repo: Repo) -> None:
    """An unreachable remote makes --dry-run warn that upstream was not checked, not fail."""
    shutil.rmtree(demo_repo.remote)
    result = prepare(demo_repo, "patch", "--dry-run")
    assert 0 == result.returncode, result.stderr
    assert "warning: cannot reach 'origin'" in result.stderr
    assert "upstream and remote tags were not checked" in result.stderr
    assert "Dry run: nothing was changed." in result.stdout
    real = prepare(demo_repo, "patch", "--yes")
    assert 1 == real.returncode
    assert "error: cannot reach 'origin'" in real.stderr


def test_doctor_reports_a_tag_format_that_disagrees(make_repo: RepoBuilder) -> None:
    """doctor names the tag style the tags use when tag-format disagrees with them."""
    pyproject = PYPROJECT + '\n[tool.releasekit]\ntag-format = "v{version}"\n'
    repo = make_repo({"pyproject.toml": pyproject, "CHANGELOG.md": CHANGELOG_160}, tags=("1.2.3",))
    result = run_releasekit(repo.path, "doctor")
    assert "tag-format-mismatch" in result.stdout
    assert 'set tag-format = "{version}"' in result.stdout


def test_an_abandoned_tag_the_project_released_below_does_not_block(
    make_repo: RepoBuilder,
) -> None:
    """A reachable 1.0.0.beta0 followed by 0.19 and 0.28 releases: 0.28.2 is released."""
    pyproject = PYPROJECT.replace("1.2.3", "0.28.1")
    repo = make_repo({"pyproject.toml": pyproject, "CHANGELOG.md": CHANGELOG_160}, tags=("0.18.0",))
    for tag in ("1.0.0.beta0", "0.19.0", "0.28.1"):
        repo.write({"notes.txt": tag})
        repo.commit(tag)
        repo.git("tag", "-a", tag, "-m", tag)
    result = prepare(repo, "patch", "--yes")
    assert 0 == result.returncode, result.stderr
    assert "0.28.2" == repo.git("describe", "--exact-match")


def test_a_dev_release_is_finalized_by_patch(make_repo: RepoBuilder) -> None:
    """8.5.0.dev0 + patch is 8.5.0, as npm and poetry do: the exact diff, then the release."""
    pyproject = PYPROJECT.replace("1.2.3", "8.5.0.dev0")
    repo = make_repo({"pyproject.toml": pyproject, "CHANGELOG.md": CHANGELOG_160}, tags=("v8.4.0",))
    dry = prepare(repo, "patch", "--dry-run")
    assert 0 == dry.returncode, dry.stderr
    assert "Release 8.5.0.dev0 -> 8.5.0\n" in dry.stdout
    assert (
        "@@ -4,5 +4,5 @@\n \n [project]\n"
        ' name = "demo"\n'
        '-version = "8.5.0.dev0"  # keep in step with src/demo/__init__.py\n'
        '+version = "8.5.0"  # keep in step with src/demo/__init__.py\n'
        ' description = "A demo."\n'
    ) in dry.stdout
    result = prepare(repo, "patch", "--yes")
    assert 0 == result.returncode, result.stderr
    assert "v8.5.0" == repo.git("describe", "--exact-match")


# Tags found on real repositories (docs/compatibility.md): name==version, bare numbers, partials.


def test_name_equals_version_tags_are_read_and_kept(make_repo: RepoBuilder) -> None:
    """langchain's ``langchain-core==0.3.0``: the latest release, and the style of the next tag."""
    pyproject = PYPROJECT.replace('"demo"', '"langchain-core"').replace("1.2.3", "0.3.0")
    repo = make_repo(
        {"pyproject.toml": pyproject, "CHANGELOG.md": CHANGELOG_160},
        tags=("langchain-core==0.3.0",),
    )
    repo.write({"notes.txt": "fix"})
    repo.commit("fix: a bug")
    dry = run_releasekit(repo.path, "-v", "prepare", "patch", "--dry-run", "--date", RELEASE_DATE)
    assert 0 == dry.returncode, dry.stderr
    output = dry.stdout + dry.stderr
    assert "latest release tag: langchain-core==0.3.0\n" in output
    assert "tag format: langchain-core=={version} (from the existing release tags)" in output
    assert "Release 0.3.0 -> 0.3.1" in dry.stdout
    assert "create annotated tag langchain-core==0.3.1\n" in dry.stdout


def test_a_build_number_tag_is_not_the_latest_release(make_repo: RepoBuilder) -> None:
    """python-api-core: ``release-883`` on the commit of ``v2.29.0`` does not block 2.29.1."""
    pyproject = PYPROJECT.replace("1.2.3", "2.29.0")
    repo = make_repo(
        {"pyproject.toml": pyproject, "CHANGELOG.md": CHANGELOG_160},
        tags=("v2.29.0", "release-883"),
    )
    repo.write({"notes.txt": "fix"})
    repo.commit("fix: a bug")
    dry = run_releasekit(repo.path, "-v", "prepare", "patch", "--dry-run", "--date", RELEASE_DATE)
    assert 0 == dry.returncode, dry.stderr
    assert "latest release tag: v2.29.0\n" in dry.stdout + dry.stderr
    assert "Release 2.29.0 -> 2.29.1" in dry.stdout
    assert "create annotated tag v2.29.1\n" in dry.stdout


def test_partial_tags_have_no_section_of_their_own(make_repo: RepoBuilder) -> None:
    """semantic-release's floating ``v1``/``v1.0``/``v1.1``: sections 1.0.0, 1.0.1 and 1.1.0 only."""
    repo = make_repo({"pyproject.toml": SCM_PROJECTS["hatch-vcs"]}, tags=("v1.0.0",))
    for version, message in (("1.0.1", "fix: a bug"), ("1.1.0", "feat: a feature")):
        repo.write({"notes.txt": version})
        repo.commit(message)
        repo.git("tag", "-a", f"v{version}", "-m", version)
        major, minor, _ = version.split(".")
        repo.git("tag", "-f", f"v{major}")
        repo.git("tag", "-f", f"v{major}.{minor}")
    result = run_releasekit(repo.path, "notes", "--from-commits", "--all")
    assert (0, "") == (result.returncode, result.stderr)
    headings = [line for line in result.stdout.splitlines() if line.startswith("## ")]
    assert ["## 1.1.0", "## 1.0.1", "## 1.0.0"] == [heading.split(" - ")[0] for heading in headings]
    assert "- a bug (" in result.stdout.split("## 1.0.1")[1].split("## 1.0.0")[0]
