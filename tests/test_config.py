"""Configuration: precedence flag > environment > file > default, and validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from releasekit.config import (
    Settings,
    VersionFileSpec,
    load_project,
    resolve_settings,
    resolve_settings_with_sources,
)
from releasekit.errors import ConfigError


def project(tmp_path: Path, table: str) -> Path:
    """A pyproject.toml with ``table`` appended."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "1"\n' + table)
    return tmp_path


def test_defaults(tmp_path: Path) -> None:
    """Without configuration every setting has its documented default."""
    settings = resolve_settings(load_project(project(tmp_path, "")), env={})
    assert Settings() == settings
    assert settings.tag_format is None  # read from the tags: see test_tags.py
    assert settings.changelog is None  # found by its usual names
    assert "Release 1.2" == settings.commit_message_for("1.2")


def test_precedence(tmp_path: Path) -> None:
    """A flag beats the environment, which beats the file, which beats the default."""
    root = project(
        tmp_path,
        '[tool.releasekit]\ntag-format = "file-{version}"\nchangelog = "HISTORY.md"\n'
        'commit-message = "file {version}"\nversion-files = ["a.py", {path = "b", pattern = "={version}"}]\n',
    )
    settings = resolve_settings(
        load_project(root),
        env={
            "RELEASEKIT_TAG_FORMAT": "env-{version}",
            "RELEASEKIT_COMMIT_MESSAGE": "env {version}",
        },
        flags={"tag-format": "flag-{version}", "changelog": None},
    )
    assert "flag-{version}" == settings.tag_format
    assert "env {version}" == settings.commit_message
    assert "HISTORY.md" == settings.changelog
    assert (VersionFileSpec("a.py"), VersionFileSpec("b", "={version}")) == settings.version_files


def test_version_files_from_environment(tmp_path: Path) -> None:
    """RELEASEKIT_VERSION_FILES is a comma-separated list of paths."""
    settings = resolve_settings(
        load_project(project(tmp_path, "")), env={"RELEASEKIT_VERSION_FILES": "a.py,b/c.py"}
    )
    assert (VersionFileSpec("a.py"), VersionFileSpec("b/c.py")) == settings.version_files


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('[tool.releasekit]\ntag_format = "v{version}"\n', "unknown key 'tag_format'"),
        ('[tool.releasekit]\ntag-format = "release"\n', "does not contain {version}"),
        ('[tool.releasekit]\ntag-format = "v{ver}"\n', "uses a placeholder other than {version}"),
        ("[tool.releasekit]\nchangelog = 3\n", "changelog must be a file name, or false"),
        ("[tool.releasekit]\nchangelog = true\n", "changelog must be a file name, or false"),
        ('[tool.releasekit]\nchangelog = ""\n', "changelog must be a file name, or false"),
        ('[tool.releasekit]\nversion-files = "a.py"\n', "version-files must be a list"),
        ("[tool.releasekit]\nversion-files = [3]\n", "neither a path nor a table"),
        (
            '[tool.releasekit]\nversion-files = [{path = "a", regex = "x"}]\n',
            "unknown key(s) regex",
        ),
        ("[tool]\nreleasekit = 3\n", "must be a table"),
        ("[tool.releasekit]\nverify-timeout = 0\n", "verify-timeout must be a positive number"),
        ("[tool.releasekit]\nverify-timeout = true\n", "verify-timeout must be a positive"),
        ('[tool.releasekit]\nverify-timeout = "soon"\n', "not 'soon'"),
    ],
)
def test_invalid_settings(tmp_path: Path, table: str, message: str) -> None:
    """Invalid settings are configuration errors (exit 2) naming the key and file."""
    with pytest.raises(ConfigError) as caught:
        resolve_settings(load_project(project(tmp_path, table)), env={})
    assert message in caught.value.message
    assert caught.value.exit_code == 2
    assert "pyproject.toml" in (caught.value.where or "")


def test_invalid_toml(tmp_path: Path) -> None:
    """A syntax error in pyproject.toml is reported with TOML's own position."""
    (tmp_path / "pyproject.toml").write_text("[project\nname = 1\n")
    with pytest.raises(ConfigError, match=r"invalid TOML: .*line 1"):
        load_project(tmp_path)


def test_missing_pyproject(tmp_path: Path) -> None:
    """A folder without pyproject.toml is a configuration error with a hint about -C."""
    with pytest.raises(ConfigError) as caught:
        load_project(tmp_path)
    assert "no pyproject.toml found" == caught.value.message
    assert "-C" in (caught.value.hint or "")


def test_verify_timeout_from_file_and_environment(tmp_path: Path) -> None:
    """verify-timeout takes a number in the file and text in the environment."""
    root = project(tmp_path, "[tool.releasekit]\nverify-timeout = 90\n")
    assert 90.0 == resolve_settings(load_project(root), env={}).verify_timeout
    env = {"RELEASEKIT_VERIFY_TIMEOUT": "2.5"}
    assert 2.5 == resolve_settings(load_project(root), env=env).verify_timeout
    with pytest.raises(ConfigError) as caught:
        resolve_settings(load_project(root), env={"RELEASEKIT_VERIFY_TIMEOUT": "-1"})
    assert "environment variable RELEASEKIT_VERIFY_TIMEOUT" == caught.value.where


def test_changelog_can_be_turned_off(tmp_path: Path) -> None:
    """changelog = false in the file, or RELEASEKIT_CHANGELOG=false, means no changelog step."""
    root = project(tmp_path, "[tool.releasekit]\nchangelog = false\n")
    assert resolve_settings(load_project(root), env={}).changelog is False
    plain = project(tmp_path, "")
    env = {"RELEASEKIT_CHANGELOG": "false"}
    assert resolve_settings(load_project(plain), env=env).changelog is False


def test_a_setup_py_project_loads_without_pyproject(tmp_path: Path) -> None:
    """A folder with only setup.py is a project with an empty pyproject table."""
    (tmp_path / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    assert {} == dict(load_project(tmp_path).pyproject)


def test_origins_follow_the_precedence(tmp_path: Path) -> None:
    """Each key's origin is the flag, the variable (named), the file or the default that won."""
    root = project(tmp_path, '[tool.releasekit]\ntag-format = "file-{version}"\nrepository = "x"\n')
    env = {"RELEASEKIT_TAG_FORMAT": "env-{version}", "RELEASEKIT_COMMIT_MESSAGE": "env {version}"}
    settings, origins = resolve_settings_with_sources(
        load_project(root), env=env, flags={"repository": "testpypi"}
    )
    assert settings == resolve_settings(
        load_project(root), env=env, flags={"repository": "testpypi"}
    )
    assert {
        "tag-format": "environment variable RELEASEKIT_TAG_FORMAT",
        "commit-message": "environment variable RELEASEKIT_COMMIT_MESSAGE",
        "repository": "flag --repository",
        "changelog": "default",
    } == {key: origins[key] for key in ("tag-format", "commit-message", "repository", "changelog")}
    _, from_file = resolve_settings_with_sources(load_project(root), env={})
    assert "pyproject.toml [tool.releasekit]" == from_file["tag-format"]
    assert len(from_file) == 8  # every key has an origin
