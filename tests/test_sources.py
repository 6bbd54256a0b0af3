"""Finding, reading and rewriting version sources for each build backend's conventions."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
from packaging.version import Version

from releasekit.config import load_project, resolve_settings
from releasekit.errors import ConfigError, ReleaseError, SourceError, VersionError
from releasekit.sources import VersionSource, current_version, file_edits, find_sources


def project_at(tmp_path: Path, files: Mapping[str, str]) -> Path:
    """Write a project's files into ``tmp_path``."""
    for name, text in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode())
    return tmp_path


def sources_of(root: Path, latest_tag: Version | None = None) -> list[VersionSource]:
    """The sources releasekit finds in ``root``."""
    project = load_project(root)
    return find_sources(project, resolve_settings(project, env={}), latest_tag=latest_tag)


def labels(root: Path, sources: list[VersionSource]) -> list[tuple[str, str]]:
    """(relative path or label, version) pairs, for comparison."""
    return [(str(s.path.relative_to(root)) if s.path else s.label, str(s.version)) for s in sources]


def test_static_version_and_package_init(tmp_path: Path) -> None:
    """[project].version and the package's __init__.py __version__ are both found."""
    root = project_at(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "My-Pkg"\nversion = "1.0.0"\n',
            "src/my_pkg/__init__.py": "__version__: str = '1.0.0'\n",
        },
    )
    assert [("pyproject.toml", "1.0.0"), ("src/my_pkg/__init__.py", "1.0.0")] == labels(
        root, sources_of(root)
    )


def test_init_without_literal_version_is_not_a_source(tmp_path: Path) -> None:
    """An __init__.py that reads the version from metadata is left alone."""
    root = project_at(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "pkg"\nversion = "1.0"\n',
            "pkg/__init__.py": 'from importlib.metadata import version\n__version__ = version("pkg")\n',
        },
    )
    assert [("pyproject.toml", "1.0")] == labels(root, sources_of(root))


def test_hatch_path(tmp_path: Path) -> None:
    """[tool.hatch.version] path points at the file hatchling reads."""
    root = project_at(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "pkg"\ndynamic = ["version"]\n'
            '[tool.hatch.version]\npath = "src/pkg/__about__.py"\n',
            "src/pkg/__about__.py": '__version__ = "2.0.0"\n',
        },
    )
    assert [("src/pkg/__about__.py", "2.0.0")] == labels(root, sources_of(root))


def test_setuptools_attr_with_package_dir(tmp_path: Path) -> None:
    """setuptools attr: resolves the module through package-dir."""
    root = project_at(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "pkg"\ndynamic = ["version"]\n'
            '[tool.setuptools.dynamic]\nversion = {attr = "pkg.meta.VERSION"}\n'
            '[tool.setuptools.package-dir]\n"" = "lib"\n',
            "lib/pkg/__init__.py": "",
            "lib/pkg/meta.py": 'VERSION = "3.1"\n',
        },
    )
    assert [("lib/pkg/meta.py", "3.1")] == labels(root, sources_of(root))


def test_setuptools_file(tmp_path: Path) -> None:
    """setuptools file: reads a file holding nothing but the version."""
    root = project_at(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "pkg"\ndynamic = ["version"]\n'
            '[tool.setuptools.dynamic]\nversion = {file = "VERSION"}\n',
            "VERSION": "0.4.0\n",
        },
    )
    sources = sources_of(root)
    assert [("VERSION", "0.4.0")] == labels(root, sources)
    assert "0.5.0\n" == file_edits(sources, Version("0.5.0"))[0].new


def test_flit_module(tmp_path: Path) -> None:
    """flit reads __version__ from the module named in [tool.flit.module]."""
    root = project_at(
        tmp_path,
        {
            "pyproject.toml": '[build-system]\nrequires = ["flit_core"]\n'
            'build-backend = "flit_core.buildapi"\n'
            '[project]\nname = "dist-name"\ndynamic = ["version", "description"]\n'
            '[tool.flit.module]\nname = "modname"\n',
            "modname.py": '"""Doc."""\n__version__ = "0.9"\n',
        },
    )
    assert [("modname.py", "0.9")] == labels(root, sources_of(root))


@pytest.mark.parametrize(
    "config",
    [
        '[tool.hatch.version]\nsource = "vcs"\n',
        "[tool.setuptools_scm]\n",
        '[tool.pdm.version]\nsource = "scm"\n',
    ],
)
def test_tag_derived_versions(tmp_path: Path, config: str) -> None:
    """hatch-vcs, setuptools-scm and pdm scm take the version from the latest release tag."""
    root = project_at(
        tmp_path, {"pyproject.toml": '[project]\nname = "pkg"\ndynamic = ["version"]\n' + config}
    )
    sources = sources_of(root, latest_tag=Version("1.4.0"))
    assert [("latest release tag", "1.4.0")] == labels(root, sources)
    assert [] == file_edits(sources, Version("1.5.0"))
    assert Version("0.0.0") == sources_of(root)[0].version


def test_version_files_plain_and_pattern(tmp_path: Path) -> None:
    """version-files adds assignments and literal patterns; rewriting touches only the version."""
    root = project_at(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "pkg"\nversion = "1.0.0"\n'
            '[tool.releasekit]\nversion-files = ["docs/conf.py", '
            '{path = "README.md", pattern = "pkg=={version}"}]\n',
            "docs/conf.py": "project = 'pkg'\nversion = '1.0.0'  # keep\n",
            "README.md": "pip install pkg==1.0.0\r\nor pkg==1.0.0\r\n",
        },
    )
    sources = sources_of(root)
    assert [
        ("pyproject.toml", "1.0.0"),
        ("docs/conf.py", "1.0.0"),
        ("README.md", "1.0.0"),
    ] == labels(root, sources)
    edits = {str(e.path.relative_to(root)): e.new for e in file_edits(sources, Version("1.1.0"))}
    assert "project = 'pkg'\nversion = '1.1.0'  # keep\n" == edits["docs/conf.py"]
    assert "pip install pkg==1.1.0\r\nor pkg==1.1.0\r\n" == edits["README.md"]
    assert edits["pyproject.toml"].startswith('[project]\nname = "pkg"\nversion = "1.1.0"\n[tool')


def test_pyproject_rewrite_keeps_everything_else(tmp_path: Path) -> None:
    """Only the version characters change in pyproject.toml: quotes, comments, other tables stay."""
    text = (
        "# top comment\n[tool.other]\nversion = '9.9.9'\n\n[project]\nname = 'pkg'\n"
        "version    =    '1.0.0'   # the version\n[project.urls]\nHome = 'x'\n"
    )
    root = project_at(tmp_path, {"pyproject.toml": text})
    edit = file_edits(sources_of(root), Version("1.0.1"))[0]
    assert text.replace("'1.0.0'", "'1.0.1'") == edit.new


@pytest.mark.parametrize(
    ("files", "error", "message"),
    [
        (
            {
                "pyproject.toml": '[project]\nname = "pkg"\nversion = "1.0"\n',
                "pkg/__init__.py": '__version__ = "1.1"\n',
            },
            SourceError,
            "the version sources disagree: pyproject.toml:3 [project].version = 1.0, "
            "pkg/__init__.py:1 __version__ = 1.1",
        ),
        (
            {"pyproject.toml": '[project]\nname = "pkg"\nversion = "one"\n'},
            VersionError,
            "'one' is not a valid PEP 440 version",
        ),
        (
            {"pyproject.toml": '[project]\nname = "pkg"\ndynamic = ["version"]\n'},
            ConfigError,
            "cannot tell where the build backend reads it",
        ),
        (
            {"pyproject.toml": '[project]\nname = "pkg"\n'},
            ConfigError,
            "[project] has no version",
        ),
        ({"pyproject.toml": "[tool.x]\na = 1\n"}, ConfigError, "no [project] table"),
        (
            {"pyproject.toml": '[project]\nname = "pkg"\nversion = "1.0"\ndynamic = ["version"]\n'},
            ConfigError,
            "both set and listed in dynamic",
        ),
        (
            {
                "pyproject.toml": '[project]\nname = "pkg"\ndynamic = ["version"]\n'
                '[tool.hatch.version]\npath = "pkg/about.py"\n',
                "pkg/about.py": "VERSION = get()\n",
            },
            SourceError,
            'no `__version__ = "..."` assignment found',
        ),
        (
            {
                "pyproject.toml": '[project]\nname = "pkg"\nversion = "1.0"\n'
                '[tool.releasekit]\nversion-files = ["missing.txt"]\n',
            },
            SourceError,
            "names a file that does not exist",
        ),
        (
            {
                "pyproject.toml": '[project]\nname = "pkg"\nversion = "1.0"\n'
                '[tool.releasekit]\nversion-files = [{path = "a.txt", pattern = "v{version}!"}]\n',
                "a.txt": "version 1.0\n",
            },
            SourceError,
            "pattern 'v{version}!' matches nothing",
        ),
        (
            {
                "pyproject.toml": '[project]\nname = "pkg"\nversion = "1.0"\n',
                "pkg/__init__.py": '__version__ = "1.0"\nVERSION = "1.1"\n',
            },
            SourceError,
            "written differently in one file (1.0, 1.1)",
        ),
    ],
)
def test_source_errors(
    tmp_path: Path, files: Mapping[str, str], error: type[ReleaseError], message: str
) -> None:
    """Every way sources can be wrong is an error that names the place; none is skipped."""
    root = project_at(tmp_path, files)
    with pytest.raises(error) as caught:
        current_version(sources_of(root), load_project(root))
    assert message in caught.value.message
    assert caught.value.exit_code == 2
