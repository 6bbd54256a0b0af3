"""``releasekit config``: each setting with its origin, the version sources, the tag, the changelog."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support import CHANGELOG, PYPROJECT, Repo, RepoBuilder, run_releasekit


def config_json(repo: Repo, env: dict[str, str] | None = None) -> dict[str, Any]:
    """``releasekit config --json`` in the repository, which must succeed."""
    result = run_releasekit(repo.path, "config", "--json", env=env)
    assert 0 == result.returncode, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def origins(data: dict[str, Any]) -> dict[str, tuple[object, str]]:
    """Setting key -> (value, origin)."""
    return {key: (s["value"], s["source"]) for key, s in data["settings"].items()}


def test_defaults_found_and_read_from_the_tags(demo_repo: Repo) -> None:
    """Without configuration: defaults, the changelog found, the tag format read from the tags."""
    data = config_json(demo_repo)
    assert {
        "changelog": ("CHANGELOG.md", "found"),
        "tag-format": ("v{version}", "read from the tags"),
        "version-files": ([], "default"),
        "release-branch": (None, "default"),
        "commit-message": ("Release {version}", "default"),
        "repository": ("pypi", "default"),
        "index-url": ("https://pypi.org/simple/", "derived from repository"),
        "verify-timeout": (60.0, "default"),
        "connect-timeout": (30.0, "default"),
        "read-timeout": (60.0, "default"),
        "request-timeout": (120.0, "default"),
        "min-upload-speed": (64.0, "default"),
        "upload-attempts": (5, "default"),
        "major-on-zero": (False, "default"),
        "changelog-sections": (None, "default"),
        "include-merges": (False, "default"),
        "commit-per-package": (False, "default"),
    } == origins(data)
    assert [
        {"file": "pyproject.toml", "line": 7, "label": "[project].version", "version": "1.2.3"},
        {"file": "src/demo/__init__.py", "line": 3, "label": "__version__", "version": "1.2.3"},
    ] == data["sources"]
    assert ("demo", "1.2.3", "v1.2.3", []) == (
        data["name"],
        data["current"],
        data["latest_tag"],
        data["findings"],
    )


def test_environment_beats_the_file_and_both_are_named(demo_repo: Repo) -> None:
    """A RELEASEKIT_* variable is named as the origin; a [tool.releasekit] key says the file."""
    demo_repo.write(
        {
            "pyproject.toml": PYPROJECT
            + '\n[tool.releasekit]\nrepository = "testpypi"\ntag-format = "v{version}"\n'
            'changelog = "CHANGELOG.md"\n'
        }
    )
    data = config_json(demo_repo, env={"RELEASEKIT_REPOSITORY": "pypi"})
    found = origins(data)
    assert ("pypi", "environment variable RELEASEKIT_REPOSITORY") == found["repository"]
    assert ("v{version}", "pyproject.toml [tool.releasekit]") == found["tag-format"]
    assert ("CHANGELOG.md", "pyproject.toml [tool.releasekit]") == found["changelog"]


def test_text_listing(demo_repo: Repo) -> None:
    """The text form: one row per setting with its origin, then the sources, version and tag."""
    result = run_releasekit(
        demo_repo.path, "config", env={"RELEASEKIT_INDEX_URL": "https://example.org/simple/"}
    )
    assert 0 == result.returncode, result.stderr
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    assert "changelog CHANGELOG.md found" in lines
    assert "tag-format v{version} read from the tags" in lines
    assert "release-branch main or master default" in lines
    assert (
        "index-url https://example.org/simple/ environment variable RELEASEKIT_INDEX_URL" in lines
    )
    assert "pyproject.toml:7 [project].version = 1.2.3" in lines
    assert "src/demo/__init__.py:3 __version__ = 1.2.3" in lines
    assert ["Current version: 1.2.3", "Latest release tag: v1.2.3"] == lines[-2:]
    assert "" == result.stderr


def test_disagreeing_sources_and_no_changelog_are_shown_not_fatal(make_repo: RepoBuilder) -> None:
    """Sources that disagree are a warning (config shows; doctor judges); no changelog: none."""
    repo = make_repo(
        {"pyproject.toml": PYPROJECT, "src/demo/__init__.py": '__version__ = "1.2.4"\n'}
    )
    result = run_releasekit(repo.path, "config")
    assert 0 == result.returncode, result.stderr
    assert result.stderr.startswith("warning: pyproject.toml: the version sources disagree: ")
    assert "changelog none not found" in [" ".join(x.split()) for x in result.stdout.splitlines()]
    assert "Current version: unknown" in result.stdout
    data = config_json(repo)
    assert (None, ["version-sources"]) == (data["current"], [f["id"] for f in data["findings"]])


def test_it_never_writes(demo_repo: Repo) -> None:
    """config leaves the working tree and the refs as they were."""
    before = demo_repo.git("status", "--porcelain", "--ignored")
    run_releasekit(demo_repo.path, "config")
    assert before == demo_repo.git("status", "--porcelain", "--ignored")


def test_outside_a_project_one_line_exit_2(tmp_path: Path) -> None:
    """Outside a project: one line naming the folder and what to do (exit 2), stdout empty."""
    result = run_releasekit(tmp_path, "config")
    assert (2, "") == (result.returncode, result.stdout)
    assert [
        f"error: {tmp_path}: no pyproject.toml found; run releasekit from the project root or "
        "pass -C DIR"
    ] == result.stderr.splitlines()


def test_invalid_setting_is_one_line_exit_2(make_repo: RepoBuilder) -> None:
    """A setting that cannot be read stops config as it stops every command (exit 2)."""
    repo = make_repo(
        {
            "pyproject.toml": PYPROJECT + "\n[tool.releasekit]\nverify-timeout = -1\n",
            "CHANGELOG.md": CHANGELOG,
        }
    )
    result = run_releasekit(repo.path, "config")
    assert 2 == result.returncode
    assert 1 == len(result.stderr.splitlines())
    assert "verify-timeout must be a positive number of seconds" in result.stderr
