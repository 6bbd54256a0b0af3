"""Finding, reading and rewriting version sources for each build backend's conventions."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
from packaging.version import Version

from releasekit.cargo import from_cargo_version, to_cargo_version
from releasekit.config import load_project, resolve_settings
from releasekit.errors import ConfigError, ReleaseError, SourceError, VersionError
from releasekit.project_meta import static_name
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


def test_a_computed_setuptools_attr_with_setuptools_scm_is_tag_derived(tmp_path: Path) -> None:
    """setuptools-scm's own layout: attr points at a version computed from the tags."""
    root = project_at(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "pkg"\ndynamic = ["version"]\n'
            '[tool.setuptools.dynamic]\nversion = { attr = "_helper.version" }\n'
            "[tool.setuptools_scm]\n",
            "_helper.py": "from setuptools_scm import get_version\nversion = get_version()\n",
        },
    )
    assert [("latest release tag", "8.1.0")] == labels(root, sources_of(root, Version("8.1.0")))


def test_a_computed_setuptools_attr_without_scm_names_the_attribute(tmp_path: Path) -> None:
    """Without an scm tool, a computed attribute is an error that names it."""
    root = project_at(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "pkg"\ndynamic = ["version"]\n'
            '[tool.setuptools.dynamic]\nversion = { attr = "_helper.release" }\n',
            "_helper.py": "release = compute()\n",
        },
    )
    with pytest.raises(SourceError) as caught:
        sources_of(root)
    assert 'setuptools attr: version: no `release = "..."` assignment found' == caught.value.message


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


# --- metadata outside [project]: Poetry 1.x, setup.cfg, setup.py ------------------------------

POETRY = """\
[tool.poetry]
name = "poetry-demo"
version = "1.2.3"  # the release
description = "A demo."

[tool.poetry.dependencies]
python = "^3.11"
version = "1.0"

[build-system]
requires = ["poetry-core>=1.0.0"]
build-backend = "poetry.core.masonry.api"
"""


def edited(root: Path, sources: list[VersionSource], new: str) -> dict[str, str]:
    """The new text of every file the release rewrites, by relative path."""
    return {str(e.path.relative_to(root)): e.new for e in file_edits(sources, Version(new))}


def test_poetry_1_version_and_package(tmp_path: Path) -> None:
    """[tool.poetry].version is bumped byte-exactly; a dependency named version is not."""
    root = project_at(
        tmp_path,
        {"pyproject.toml": POETRY, "poetry_demo/__init__.py": '__version__ = "1.2.3"\n'},
    )
    sources = sources_of(root)
    assert [("pyproject.toml", "1.2.3"), ("poetry_demo/__init__.py", "1.2.3")] == labels(
        root, sources
    )
    assert "[tool.poetry].version" == sources[0].label
    assert {
        "pyproject.toml": POETRY.replace('version = "1.2.3"', 'version = "1.2.4"'),
        "poetry_demo/__init__.py": '__version__ = "1.2.4"\n',
    } == edited(root, sources, "1.2.4")


def test_poetry_packages_from_src(tmp_path: Path) -> None:
    """Poetry's packages = [{include, from}] names the shipped package, whatever the name."""
    pyproject = POETRY.replace(
        'description = "A demo."\n',
        'description = "A demo."\npackages = [{ include = "other", from = "src" }]\n',
    )
    root = project_at(
        tmp_path,
        {"pyproject.toml": pyproject, "src/other/__init__.py": "__version__ = '1.2.3'\n"},
    )
    assert [("pyproject.toml", "1.2.3"), ("src/other/__init__.py", "1.2.3")] == labels(
        root, sources_of(root)
    )


def test_poetry_dynamic_versioning_is_tag_derived(tmp_path: Path) -> None:
    """poetry-dynamic-versioning replaces the placeholder version with the tag's at build time."""
    pyproject = POETRY.replace('"1.2.3"  # the release', '"0.0.0"') + (
        "\n[tool.poetry-dynamic-versioning]\nenable = true\n"
    )
    root = project_at(tmp_path, {"pyproject.toml": pyproject})
    assert [("latest release tag", "1.2.3")] == labels(
        root, sources_of(root, latest_tag=Version("1.2.3"))
    )


def test_setup_cfg_literal(tmp_path: Path) -> None:
    """setup.cfg [metadata] version is rewritten in place, its spacing kept."""
    cfg = "[metadata]\nname = cfg-demo\nversion   =   1.2.3   \n\n[options]\npackages = find:\n"
    root = project_at(
        tmp_path,
        {"setup.cfg": cfg, "setup.py": "from setuptools import setup\nsetup()\n"},
    )
    sources = sources_of(root)
    assert [("setup.cfg", "1.2.3")] == labels(root, sources)
    assert {"setup.cfg": cfg.replace("1.2.3", "1.3.0")} == edited(root, sources, "1.3.0")


def test_setup_cfg_attr_through_package_dir(tmp_path: Path) -> None:
    """setup.cfg attr: is followed through package_dir to the module setuptools reads."""
    cfg = (
        "[metadata]\nname = cfg-demo\nversion = attr: cfg_demo.__version__\n\n"
        "[options]\npackage_dir =\n    =src\npackages = find:\n\n"
        "[options.packages.find]\nwhere = src\n"
    )
    root = project_at(
        tmp_path,
        {
            "setup.cfg": cfg,
            "pyproject.toml": '[build-system]\nrequires = ["setuptools"]\n'
            'build-backend = "setuptools.build_meta"\n',
            "src/cfg_demo/__init__.py": '"""Demo."""\n__version__ = "1.2.3"\n',
        },
    )
    sources = sources_of(root)
    assert [("src/cfg_demo/__init__.py", "1.2.3")] == labels(root, sources)
    assert "setup.cfg attr: version" == sources[0].label


def test_setup_cfg_file(tmp_path: Path) -> None:
    """setup.cfg file: points at a file that holds nothing but the version."""
    root = project_at(
        tmp_path,
        {
            "setup.cfg": "[metadata]\nname = x\nversion = file: VERSION.txt\n",
            "VERSION.txt": "1.2.3\n",
        },
    )
    sources = sources_of(root)
    assert [("VERSION.txt", "1.2.3")] == labels(root, sources)
    assert {"VERSION.txt": "1.2.4\n"} == edited(root, sources, "1.2.4")


def test_setup_py_literal_keyword(tmp_path: Path) -> None:
    """A literal version= in setup(...) is the source; nothing in setup.py is run."""
    setup_py = (
        "from setuptools import setup\n\n"
        "setup(\n    name='py-demo',\n    version='1.2.3',\n    packages=['py_demo'],\n)\n"
    )
    root = project_at(
        tmp_path,
        {"setup.py": setup_py, "py_demo/__init__.py": "__version__ = '1.2.3'\n"},
    )
    sources = sources_of(root)
    assert [("setup.py", "1.2.3"), ("py_demo/__init__.py", "1.2.3")] == labels(root, sources)
    assert setup_py.replace("1.2.3", "2.0.0") == edited(root, sources, "2.0.0")["setup.py"]


def test_setup_py_module_level_variable(tmp_path: Path) -> None:
    """version=VERSION with VERSION = "..." at module level: the assignment is rewritten."""
    setup_py = 'from setuptools import setup\nVERSION = "1.2.3"\nsetup(name="v", version=VERSION)\n'
    root = project_at(tmp_path, {"setup.py": setup_py})
    sources = sources_of(root)
    assert [("setup.py", "1.2.3")] == labels(root, sources)
    assert setup_py.replace("1.2.3", "1.2.4") == edited(root, sources, "1.2.4")["setup.py"]


def test_setup_py_version_from_the_package(tmp_path: Path) -> None:
    """version=__version__ imported from the package: the package's literal is the source."""
    setup_py = (
        "from setuptools import find_packages, setup\nfrom py_demo import __version__\n\n"
        'setup(name="py-demo", version=__version__, packages=find_packages("src"),\n'
        '      package_dir={"": "src"})\n'
    )
    root = project_at(
        tmp_path,
        {"setup.py": setup_py, "src/py_demo/__init__.py": '__version__ = "1.2.3"\n'},
    )
    assert [("src/py_demo/__init__.py", "1.2.3")] == labels(root, sources_of(root))


# --- maturin: Cargo.toml, the workspace and Cargo.lock ------------------------------------------

MATURIN = """\
[build-system]
requires = ["maturin>=1.5,<2"]
build-backend = "maturin"

[project]
name = "rusty"
dynamic = ["version"]
"""

CARGO_LOCK = """\
# This file is automatically @generated by Cargo.
# It is not intended for manual editing.
version = 4

[[package]]
name = "pyo3"
version = "1.2.0-rc.1"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "0000000000000000000000000000000000000000000000000000000000000000"

[[package]]
name = "rusty"
version = "1.2.0-rc.1"
dependencies = [
 "pyo3",
]
"""


def test_maturin_cargo_toml_and_lock_in_semver(tmp_path: Path) -> None:
    """1.2.0-rc.1 in Cargo.toml reads as 1.2.0rc1; the bump writes SemVer there and in the lock."""
    cargo = '[package]\nname = "rusty"\nversion = "1.2.0-rc.1"\nedition = "2021"\n\n[dependencies]\npyo3 = "0.22"\n'
    root = project_at(
        tmp_path, {"pyproject.toml": MATURIN, "Cargo.toml": cargo, "Cargo.lock": CARGO_LOCK}
    )
    sources = sources_of(root)
    assert [("Cargo.toml", "1.2.0rc1"), ("Cargo.lock", "1.2.0rc1")] == labels(root, sources)
    assert {
        "Cargo.toml": cargo.replace("1.2.0-rc.1", "1.2.0-rc.2"),
        "Cargo.lock": CARGO_LOCK.replace(
            'name = "rusty"\nversion = "1.2.0-rc.1"', 'name = "rusty"\nversion = "1.2.0-rc.2"'
        ),
    } == edited(root, sources, "1.2.0rc2")
    assert "1.2.0" in edited(root, sources, "1.2.0")["Cargo.toml"]


def test_maturin_workspace_version_with_manifest_path(tmp_path: Path) -> None:
    """version.workspace = true: [workspace.package] is bumped, and every inheriting lock entry."""
    workspace = (
        '[workspace]\nmembers = ["crates/*"]\nresolver = "2"\n\n'
        '[workspace.package]\nversion = "0.4.1"\nedition = "2021"\n'
    )
    lock = (
        "version = 4\n\n"
        '[[package]]\nname = "ws-core"\nversion = "0.4.1"\n\n'
        '[[package]]\nname = "ws-py"\nversion = "0.4.1"\ndependencies = [\n "ws-core",\n]\n'
    )
    root = project_at(
        tmp_path,
        {
            "pyproject.toml": MATURIN.replace('"rusty"', '"ws"')
            + '\n[tool.maturin]\nmanifest-path = "crates/py/Cargo.toml"\n'
            'python-source = "python"\nmodule-name = "ws._native"\n',
            "Cargo.toml": workspace,
            "Cargo.lock": lock,
            "crates/core/Cargo.toml": '[package]\nname = "ws-core"\nversion.workspace = true\n',
            "crates/py/Cargo.toml": '[package]\nname = "ws-py"\nversion = { workspace = true }\n',
            "python/ws/__init__.py": '__version__ = "0.4.1"\n',
        },
    )
    sources = sources_of(root)
    assert [
        ("Cargo.toml", "0.4.1"),
        ("Cargo.lock", "0.4.1"),
        ("python/ws/__init__.py", "0.4.1"),
    ] == labels(root, sources)
    assert {
        "Cargo.toml": workspace.replace("0.4.1", "0.5.0-alpha.1"),
        "Cargo.lock": lock.replace("0.4.1", "0.5.0-alpha.1"),
        "python/ws/__init__.py": '__version__ = "0.5.0a1"\n',
    } == edited(root, sources, "0.5.0a1")


@pytest.mark.parametrize(
    ("pep440", "cargo"),
    [
        ("1.2.0rc1", "1.2.0-rc.1"),
        ("1.2.0a1", "1.2.0-alpha.1"),
        ("1.2.0b2", "1.2.0-beta.2"),
        ("1.2.0.dev3", "1.2.0-dev.3"),
        ("1.2.0.post1", "1.2.0-post.1"),
        ("1.2.0rc1.dev2", "1.2.0-rc.1.dev.2"),
        ("1.2", "1.2.0"),
        ("3", "3.0.0"),
    ],
)
def test_cargo_version_round_trips(pep440: str, cargo: str) -> None:
    """PEP 440 -> SemVer, and maturin's reading of that SemVer gives the same version back."""
    assert cargo == to_cargo_version(Version(pep440))
    assert Version(pep440) == from_cargo_version(cargo, where="Cargo.toml")


@pytest.mark.parametrize("version", ["1!1.0.0", "1.2.3.4"])
def test_versions_cargo_cannot_hold(version: str) -> None:
    """Epochs and four-part releases have no SemVer form: an input error, not a wrong edit."""
    with pytest.raises(SourceError) as caught:
        to_cargo_version(Version(version))
    assert "cannot be written as a Cargo (SemVer) version" in caught.value.message
    assert 2 == caught.value.exit_code


def test_cargo_lock_without_the_crate_is_an_error(tmp_path: Path) -> None:
    """A Cargo.lock that does not pin the crate is reported, not silently left stale."""
    root = project_at(
        tmp_path,
        {
            "pyproject.toml": MATURIN,
            "Cargo.toml": '[package]\nname = "rusty"\nversion = "1.0.0"\n',
            "Cargo.lock": 'version = 4\n\n[[package]]\nname = "other"\nversion = "1.0.0"\n',
        },
    )
    with pytest.raises(SourceError) as caught:
        sources_of(root)
    assert "Cargo.lock: Cargo.lock has no [[package]] entry for crate 'rusty'; run cargo " in (
        caught.value.one_line()
    )


# --- every __version__ that ships ------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "init"),
    [
        (
            '[build-system]\nbuild-backend = "hatchling.build"\n'
            '[tool.hatch.build.targets.wheel]\npackages = ["lib/odd_name"]\n',
            "lib/odd_name/__init__.py",
        ),
        (
            '[build-system]\nbuild-backend = "hatchling.build"\n'
            '[tool.hatch.build.targets.wheel]\nonly-include = ["src/ns"]\nsources = ["src"]\n',
            "src/ns/inner/__init__.py",
        ),
        (
            '[build-system]\nbuild-backend = "setuptools.build_meta"\n'
            '[tool.setuptools.packages.find]\nwhere = ["lib"]\ninclude = ["odd*"]\n',
            "lib/odd_name/__init__.py",
        ),
        (
            '[build-system]\nbuild-backend = "setuptools.build_meta"\n'
            '[tool.setuptools]\npackages = ["ns.inner"]\npackage-dir = {"" = "src"}\n',
            "src/ns/inner/__init__.py",
        ),
        (
            '[build-system]\nbuild-backend = "flit_core.buildapi"\n'
            '[tool.flit.module]\nname = "ns.inner"\n',
            "src/ns/inner/__init__.py",
        ),
        (
            '[build-system]\nbuild-backend = "pdm.backend"\n'
            '[tool.pdm.build]\nincludes = ["lib/odd_name"]\n',
            "lib/odd_name/__init__.py",
        ),
        (
            '[build-system]\nbuild-backend = "uv_build"\n'
            '[tool.uv.build-backend]\nmodule-name = "odd_name"\nmodule-root = "lib"\n',
            "lib/odd_name/__init__.py",
        ),
    ],
)
def test_shipped_package_named_unlike_the_project(tmp_path: Path, config: str, init: str) -> None:
    """The backend's package selection finds __version__ in packages not named after the project."""
    root = project_at(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "the-project"\nversion = "1.2.3"\n' + config,
            init: '__version__ = "1.2.3"\n',
            "tests/__init__.py": '__version__ = "0.0.1"\n',
        },
    )
    assert [("pyproject.toml", "1.2.3"), (init, "1.2.3")] == labels(root, sources_of(root))


def test_stale_version_in_a_second_shipped_package_is_reported(tmp_path: Path) -> None:
    """Every shipped package's __version__ must agree; a stale one stops the release."""
    root = project_at(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "two"\nversion = "1.2.3"\n'
            '[build-system]\nbuild-backend = "hatchling.build"\n'
            '[tool.hatch.build.targets.wheel]\npackages = ["src/one", "src/two"]\n',
            "src/one/__init__.py": '__version__ = "1.2.3"\n',
            "src/two/__init__.py": '__version__ = "1.2.2"\n',
        },
    )
    with pytest.raises(SourceError) as caught:
        current_version(sources_of(root), load_project(root))
    assert "src/two/__init__.py:1 __version__ = 1.2.2" in caught.value.message


@pytest.mark.parametrize(
    ("files", "name"),
    [
        ({"pyproject.toml": POETRY}, "poetry-demo"),
        ({"setup.cfg": "[metadata]\nname = cfg-demo\n"}, "cfg-demo"),
        ({"setup.py": "from setuptools import setup\nsetup(name='py-demo')\n"}, "py-demo"),
        ({"setup.py": "import setuptools\nN = 'var-demo'\nsetuptools.setup(name=N)\n"}, "var-demo"),
        ({"setup.py": "from setuptools import setup\nsetup(name=get_name())\n"}, None),
        (
            {
                "pyproject.toml": '[build-system]\nbuild-backend = "maturin"\n',
                "Cargo.toml": '[package]\nname = "crate-demo"\nversion = "1.0.0"\n',
            },
            "crate-demo",
        ),
    ],
)
def test_static_name(tmp_path: Path, files: Mapping[str, str], name: str | None) -> None:
    """The name is read from wherever the project declares it, without running anything."""
    root = project_at(tmp_path, files)
    assert name == static_name(load_project(root))


def test_pdm_file_source_is_read_and_rewritten(tmp_path: Path) -> None:
    """pdm's source = "file" reads __version__ from the path it names; a release rewrites it."""
    root = project_at(
        tmp_path,
        {
            "pyproject.toml": '[build-system]\nrequires = ["pdm-backend"]\n'
            'build-backend = "pdm.backend"\n'
            '[project]\nname = "pkg"\ndynamic = ["version"]\n'
            '[tool.pdm.version]\nsource = "file"\npath = "src/pkg/__about__.py"\n',
            "src/pkg/__about__.py": '__version__ = "2.3.4"\n',
        },
    )
    sources = sources_of(root)
    assert [("src/pkg/__about__.py", "2.3.4")] == labels(root, sources)
    assert "[tool.pdm.version] path" == sources[0].label
    assert ['__version__ = "2.4.0"\n'] == [
        edit.new for edit in file_edits(sources, Version("2.4.0"))
    ]


@pytest.mark.parametrize("requirement", ["setuptools-scm>=8", "setuptools_scm[toml]>=6.2"])
def test_setuptools_scm_in_build_requires_is_tag_derived(tmp_path: Path, requirement: str) -> None:
    """setuptools-scm is recognised by its build requirement alone, without [tool.setuptools_scm]."""
    root = project_at(
        tmp_path,
        {
            "pyproject.toml": f'[build-system]\nrequires = ["setuptools>=64", "{requirement}"]\n'
            'build-backend = "setuptools.build_meta"\n'
            '[project]\nname = "pkg"\ndynamic = ["version"]\n',
        },
    )
    sources = sources_of(root, latest_tag=Version("3.1.0"))
    assert [("latest release tag", "3.1.0")] == labels(root, sources)
    assert [] == file_edits(sources, Version("3.2.0"))
