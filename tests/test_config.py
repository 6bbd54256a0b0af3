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
from tests.support import CHANGELOG, PYPROJECT, RepoBuilder, run_releasekit, snapshot


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
        (
            '[tool.releasekit]\ntag-format = "v{ver}"\n',
            "uses a placeholder other than a bare {version}",
        ),
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
        ('[tool.releasekit]\ntag-format = "{name}"\n', "does not contain {version}"),
        ('[tool.releasekit]\nmajor-on-zero = "maybe"\n', "major-on-zero must be true or false"),
        ("[tool.releasekit]\ninclude-merges = 1\n", "include-merges must be true or false"),
        ("[tool.releasekit]\nchangelog-sections = 3\n", "changelog-sections must be a table"),
        (
            "[tool.releasekit]\nchangelog-sections = { feat = 1 }\n",
            "changelog-sections must be a table of commit types",
        ),
    ],
)
def test_invalid_settings(tmp_path: Path, table: str, message: str) -> None:
    """Invalid settings are configuration errors (exit 2) naming the key and file."""
    with pytest.raises(ConfigError) as caught:
        resolve_settings(load_project(project(tmp_path, table)), env={})
    assert message in caught.value.message
    assert caught.value.exit_code == 2
    assert "pyproject.toml" in (caught.value.where or "")


def test_commit_settings_from_the_environment(tmp_path: Path) -> None:
    """Booleans and the sections table read from RELEASEKIT_* variables."""
    env = {
        "RELEASEKIT_MAJOR_ON_ZERO": "yes",
        "RELEASEKIT_INCLUDE_MERGES": "0",
        "RELEASEKIT_CHANGELOG_SECTIONS": "Docs=Documentation, chore=",
    }
    settings = resolve_settings(load_project(project(tmp_path, "")), env=env)
    assert settings.major_on_zero is True
    assert settings.include_merges is False
    assert settings.changelog_sections == {"docs": "Documentation", "chore": ""}
    with pytest.raises(ConfigError, match="TYPE=HEADING pairs") as caught:
        resolve_settings(
            load_project(project(tmp_path, "")), env={"RELEASEKIT_CHANGELOG_SECTIONS": "feat"}
        )
    assert caught.value.where == "environment variable RELEASEKIT_CHANGELOG_SECTIONS"


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
    assert len(from_file) == 17  # every key has an origin


DYNAMIC = PYPROJECT.replace('version = "1.2.3"  # keep in step with src/demo/__init__.py\n', "") + (
    'dynamic = ["version"]\n'
)


@pytest.mark.parametrize(
    ("pyproject", "env", "message"),
    [
        (
            PYPROJECT + '[tool.releasekit]\ntag-format = "{version.major}-{version}"\n',
            {},
            "tag-format",
        ),
        (
            PYPROJECT + '[tool.releasekit]\ncommit-message = "{version._key}"\n',
            {},
            "commit-message",
        ),
        (
            PYPROJECT + '[tool.releasekit]\ncommit-message = "{version.__init__.__globals__}"\n',
            {},
            "commit-message",
        ),
        (PYPROJECT + '[tool.releasekit]\ntag-format = "v{version:>20}"\n', {}, "tag-format"),
        (PYPROJECT + '[tool.releasekit]\ntag-format = "v{version!r}"\n', {}, "tag-format"),
        (PYPROJECT + '[tool.releasekit]\ntag-format = "v{version}{}"\n', {}, "tag-format"),
        (PYPROJECT, {"RELEASEKIT_TAG_FORMAT": "{version.x}"}, "tag-format"),
        (PYPROJECT, {"RELEASEKIT_COMMIT_MESSAGE": "{version[0]}"}, "commit-message"),
    ],
)
def test_format_fields_are_refused(
    make_repo: RepoBuilder, pyproject: str, env: dict[str, str], message: str
) -> None:
    """Only a bare {version} is allowed: attributes, indexes, specs and conversions are refused."""
    repo = make_repo({"pyproject.toml": pyproject, "CHANGELOG.md": CHANGELOG}, tags=("v1.2.3",))
    before = snapshot(repo)
    result = run_releasekit(repo.path, "prepare", "minor", "--dry-run", env=env)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert f"{message} " in result.stderr
    assert "uses a placeholder other than a bare {version}" in result.stderr
    assert snapshot(repo) == before


@pytest.mark.parametrize(
    ("pyproject", "message"),
    [
        (
            PYPROJECT.replace("[build-system]", "tool = 5\n[build-system]"),
            "tool must be a table, not an integer",
        ),
        (DYNAMIC + "[tool]\nhatch = 5\n", "[tool] hatch must be a table"),
        (DYNAMIC + "[tool]\nsetuptools = 5\n", "[tool] setuptools must be a table"),
        (DYNAMIC + "[tool.setuptools]\ndynamic = 5\n", "[tool.setuptools] dynamic must be a table"),
        (
            DYNAMIC + "[tool.setuptools.dynamic]\nversion = {file = 5}\n",
            "[tool.setuptools.dynamic.version] file must be a string or a list of strings",
        ),
        (
            DYNAMIC + "[tool.setuptools.dynamic]\nversion = {file = [5]}\n",
            "not an array holding an integer",
        ),
        (
            DYNAMIC + "[tool.setuptools]\npackage-dir = 5\n",
            "package-dir must be a table of strings",
        ),
        (DYNAMIC + "[tool]\npdm = 5\n", "[tool] pdm must be a table"),
        (
            DYNAMIC.replace('requires = ["hatchling"]', "requires = [5]"),
            "[build-system] requires must be a list of strings",
        ),
        (DYNAMIC.replace('dynamic = ["version"]', "dynamic = 5"), "[project] dynamic must be"),
        (
            PYPROJECT.replace('version = "1.2.3"', "version = 1"),
            "[project] version must be a string",
        ),
        (PYPROJECT.replace('version = "1.2.3"', 'version = ["1.0.0"]'), "[project] version must"),
    ],
)
@pytest.mark.parametrize("command", ["prepare", "doctor"])
def test_wrong_types_in_pyproject_are_one_line(
    make_repo: RepoBuilder, pyproject: str, message: str, command: str
) -> None:
    """A value of the wrong type anywhere releasekit reads is named, in one line, exit 2."""
    repo = make_repo({"pyproject.toml": pyproject, "CHANGELOG.md": CHANGELOG}, tags=("v1.2.3",))
    before = snapshot(repo)
    args = ("prepare", "minor", "--dry-run") if command == "prepare" else ("doctor",)
    result = run_releasekit(repo.path, *args)
    assert "Traceback" not in result.stderr + result.stdout
    assert message in result.stderr + result.stdout, result.stderr + result.stdout
    if command == "prepare":
        assert result.returncode == 2
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "pyproject.toml" in result.stderr
    assert snapshot(repo) == before


@pytest.mark.parametrize("port", ["abc", "99999", "-1", "0"])
@pytest.mark.parametrize("origin", ["environment", "file"])
def test_an_invalid_port_in_index_url_is_a_config_error(
    tmp_path: Path, port: str, origin: str
) -> None:
    """A port that is not 1-65535 is refused in one line, with the credentials masked."""
    url = f"http://user:s3cret@127.0.0.1:{port}/simple/"
    table = f'[tool.releasekit]\nindex-url = "{url}"\n' if origin == "file" else ""
    env = {"RELEASEKIT_INDEX_URL": url} if origin == "environment" else {}
    root = project(tmp_path, table)
    before = (root / "pyproject.toml").read_bytes()
    result = run_releasekit(root, "config", env=env)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "index-url" in result.stderr
    assert "has an invalid port" in result.stderr
    assert "s3cret" not in result.stderr
    assert (root / "pyproject.toml").read_bytes() == before
