"""Releases of projects laid out the way real ones are, through the installed command.

Each layout keeps its version somewhere other than a static ``[project].version``: Poetry 1.x,
setup.cfg, setup.py, a version only the build backend reports, maturin's Cargo files, an import
package named unlike the project, a namespace package. Each repository is generated here, with a
Keep a Changelog file and a ``v1.2.3`` tag, and released with ``prepare patch``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from tests.support import CHANGELOG, RELEASE_DATE, Repo, RepoBuilder, run_releasekit, snapshot
from tests.test_build import write_project

SETUPTOOLS = (
    '[build-system]\nrequires = ["setuptools>=77"]\nbuild-backend = "setuptools.build_meta"\n'
)
MATURIN = '[build-system]\nrequires = ["maturin>=1.5,<2"]\nbuild-backend = "maturin"\n'


def diff_lines(output: str) -> dict[str, list[str]]:
    """The removed and added lines of each file's diff in a plan, the changelog left out.

    The changelog's own diff is the changelog's tests' business; here it only has to be there.
    """
    files: dict[str, list[str]] = {}
    current: str | None = None
    for line in output.splitlines():
        if line.startswith("--- a/"):
            current = None
        elif line.startswith("+++ b/"):
            current = line.removeprefix("+++ b/")
            files[current] = []
        elif line.startswith("Plan:"):
            current = None
        elif current is not None and line[:1] in {"+", "-"}:
            files[current].append(line)
    assert "CHANGELOG.md" in files, output
    del files["CHANGELOG.md"]
    return files


def released(
    make_repo: RepoBuilder, files: Mapping[str, str], expected: dict[str, list[str]]
) -> Repo:
    """Dry-run ``prepare patch``, roll back a refused commit, then release for real.

    The dry run's diff must be ``expected``; a refusing pre-commit hook must leave every file of
    the layout, the index and the refs as they were.
    """
    repo = make_repo({**files, "CHANGELOG.md": CHANGELOG}, tags=("v1.2.3",))
    before = snapshot(repo)
    dry = run_releasekit(repo.path, "prepare", "patch", "--dry-run", "--date", RELEASE_DATE)
    assert 0 == dry.returncode, dry.stderr
    assert "" == dry.stderr  # a build backend asked for metadata prints nothing
    assert "Release 1.2.3 -> 1.2.4" in dry.stdout
    assert expected == diff_lines(dry.stdout)
    assert before == snapshot(repo)
    hook = repo.path / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'refused by the hook' >&2\nexit 1\n")
    hook.chmod(0o755)
    refused = run_releasekit(repo.path, "prepare", "patch", "--yes", "--date", RELEASE_DATE)
    assert 1 == refused.returncode
    assert "refused by the hook; every change was rolled back" in refused.stderr
    assert before == snapshot(repo)  # every file of this layout restored byte for byte
    hook.unlink()
    real = run_releasekit(repo.path, "prepare", "patch", "--yes", "--date", RELEASE_DATE)
    assert 0 == real.returncode, real.stderr
    assert "Release 1.2.4" == repo.git("log", "-1", "--format=%s")
    assert repo.git("rev-parse", "HEAD") == repo.git("rev-parse", "v1.2.4^{commit}")
    assert sorted([*expected, "CHANGELOG.md"]) == sorted(
        repo.git("show", "--name-only", "--format=", "HEAD").splitlines()
    )
    assert "" == repo.git("status", "--porcelain")
    return repo


def test_poetry_1(make_repo: RepoBuilder) -> None:
    """Poetry 1.x: [tool.poetry].version and the package's __version__ are released together."""
    pyproject = (
        '[tool.poetry]\nname = "poetry-demo"\nversion = "1.2.3"\ndescription = "A demo."\n'
        'authors = ["Demo <demo@example.com>"]\n\n[tool.poetry.dependencies]\npython = "^3.11"\n\n'
        '[build-system]\nrequires = ["poetry-core>=1.0.0"]\n'
        'build-backend = "poetry.core.masonry.api"\n'
    )
    repo = released(
        make_repo,
        {"pyproject.toml": pyproject, "poetry_demo/__init__.py": '__version__ = "1.2.3"\n'},
        {
            "pyproject.toml": ['-version = "1.2.3"', '+version = "1.2.4"'],
            "poetry_demo/__init__.py": ['-__version__ = "1.2.3"', '+__version__ = "1.2.4"'],
        },
    )
    assert pyproject.replace('"1.2.3"', '"1.2.4"') == repo.read("pyproject.toml")


def test_setup_cfg_literal(make_repo: RepoBuilder) -> None:
    """setup.cfg [metadata] version, without a pyproject.toml at all."""
    cfg = "[metadata]\nname = cfg-demo\nversion = 1.2.3\n\n[options]\npackages = find:\n"
    repo = released(
        make_repo,
        {
            "setup.cfg": cfg,
            "setup.py": "from setuptools import setup\n\nsetup()\n",
            "cfg_demo/__init__.py": "",
        },
        {"setup.cfg": ["-version = 1.2.3", "+version = 1.2.4"]},
    )
    assert cfg.replace("1.2.3", "1.2.4") == repo.read("setup.cfg")


def test_setup_cfg_attr(make_repo: RepoBuilder) -> None:
    """setup.cfg attr: is followed through package_dir to the package's __version__."""
    cfg = (
        "[metadata]\nname = cfg-demo\nversion = attr: cfg_demo.__version__\n\n"
        "[options]\npackage_dir =\n    =src\npackages = find:\n\n"
        "[options.packages.find]\nwhere = src\n"
    )
    repo = released(
        make_repo,
        {
            "pyproject.toml": SETUPTOOLS,
            "setup.cfg": cfg,
            "src/cfg_demo/__init__.py": '"""Demo."""\n\n__version__ = "1.2.3"\n',
        },
        {"src/cfg_demo/__init__.py": ['-__version__ = "1.2.3"', '+__version__ = "1.2.4"']},
    )
    assert cfg == repo.read("setup.cfg")


def test_setup_py_literal(make_repo: RepoBuilder) -> None:
    """A setup.py-only project with a literal version= keyword."""
    setup_py = (
        "from setuptools import setup\n\n"
        "setup(\n    name='py-demo',\n    version='1.2.3',\n    py_modules=['py_demo'],\n)\n"
    )
    repo = released(
        make_repo,
        {"setup.py": setup_py, "py_demo.py": '"""Demo."""\n'},
        {"setup.py": ["-    version='1.2.3',", "+    version='1.2.4',"]},
    )
    notes = run_releasekit(repo.path, "notes", "1.2.4")
    assert (0, "### Added\n\n- A new feature.\n") == (notes.returncode, notes.stdout)


def test_setup_py_version_from_the_package(make_repo: RepoBuilder) -> None:
    """setup.py passing the package's __version__ on: the package's literal is released."""
    setup_py = (
        "from setuptools import find_packages, setup\n\nfrom py_demo import __version__\n\n"
        "setup(name='py-demo', version=__version__, packages=find_packages())\n"
    )
    released(
        make_repo,
        {"setup.py": setup_py, "py_demo/__init__.py": "__version__ = '1.2.3'\n"},
        {"py_demo/__init__.py": ["-__version__ = '1.2.3'", "+__version__ = '1.2.4'"]},
    )


HOOKED_SETUP = (
    "from pathlib import Path\n\nfrom setuptools import setup\n\n"
    "setup(name='hooked', version=Path('VERSION.txt').read_text().strip(), "
    "py_modules=['hooked'])\n"
)


def test_version_only_the_backend_reports(make_repo: RepoBuilder) -> None:
    """Only setuptools knows the version: it is asked (PEP 517 hook), then found in VERSION.txt."""
    released(
        make_repo,
        {
            "pyproject.toml": SETUPTOOLS,
            "setup.py": HOOKED_SETUP,
            "VERSION.txt": "1.2.3\n",
            "hooked.py": '"""Hooked."""\n',
        },
        {"VERSION.txt": ["-1.2.3", "+1.2.4"]},
    )


def test_backend_version_in_no_file_is_an_input_error(make_repo: RepoBuilder) -> None:
    """A version the backend reports but no file holds: one line, exit 2, nothing changed."""
    setup_py = "from setuptools import setup\n\nsetup(name='hooked', version='1.2.' + '3')\n"
    repo = make_repo(
        {"pyproject.toml": SETUPTOOLS, "setup.py": setup_py, "CHANGELOG.md": CHANGELOG},
        tags=("v1.2.3",),
    )
    before = snapshot(repo)
    result = run_releasekit(repo.path, "prepare", "patch", "--yes", "--date", RELEASE_DATE)
    assert 2 == result.returncode
    assert [
        "error: setup.py: the build backend reports version 1.2.3, but releasekit cannot find "
        "the file it is written in; list that file in [tool.releasekit] version-files"
    ] == result.stderr.splitlines()
    assert before == snapshot(repo)


CARGO_LOCK = """\
# This file is automatically @generated by Cargo.
# It is not intended for manual editing.
version = 4

[[package]]
name = "heck"
version = "0.5.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "2304e00983f87ffb38b55b444b5e3b60a884b5d30c0fca7d82fe33449bbe55ea"

[[package]]
name = "pyo3"
version = "0.22.6"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "f402062616ab18202ae8319da13fa4279883a2b8a9d9f83f20dbade813ce1884"
dependencies = [
 "heck",
]

[[package]]
name = "rusty-demo"
version = "1.2.3"
dependencies = [
 "pyo3",
]
"""


def test_maturin_cargo_toml(make_repo: RepoBuilder) -> None:
    """maturin: Cargo.toml's [package].version and the crate's Cargo.lock entry are released."""
    cargo = (
        '[package]\nname = "rusty-demo"\nversion = "1.2.3"\nedition = "2021"\n\n'
        '[lib]\nname = "rusty_demo"\ncrate-type = ["cdylib"]\n\n'
        '[dependencies]\npyo3 = { version = "0.22.6", features = ["extension-module"] }\n'
    )
    repo = released(
        make_repo,
        {
            "pyproject.toml": MATURIN + '\n[project]\nname = "rusty-demo"\ndynamic = ["version"]\n',
            "Cargo.toml": cargo,
            "Cargo.lock": CARGO_LOCK,
            "src/lib.rs": "use pyo3::prelude::*;\n",
        },
        {
            "Cargo.toml": ['-version = "1.2.3"', '+version = "1.2.4"'],
            "Cargo.lock": ['-version = "1.2.3"', '+version = "1.2.4"'],
        },
    )
    assert CARGO_LOCK.replace('version = "1.2.3"', 'version = "1.2.4"') == repo.read("Cargo.lock")


def test_maturin_workspace_pre_release_in_semver(make_repo: RepoBuilder) -> None:
    """A workspace version reached through manifest-path; rc releases are written in SemVer."""
    workspace = (
        '[workspace]\nmembers = ["crates/*"]\nresolver = "2"\n\n'
        '[workspace.package]\nversion = "1.2.3"\nedition = "2021"\n'
    )
    lock = (
        "version = 4\n\n"
        '[[package]]\nname = "ws-core"\nversion = "1.2.3"\n\n'
        '[[package]]\nname = "ws-py"\nversion = "1.2.3"\ndependencies = [\n "ws-core",\n]\n'
    )
    repo = make_repo(
        {
            "pyproject.toml": MATURIN + '\n[project]\nname = "ws"\ndynamic = ["version"]\n\n'
            '[tool.maturin]\nmanifest-path = "crates/py/Cargo.toml"\n'
            'python-source = "python"\nmodule-name = "ws._native"\n',
            "Cargo.toml": workspace,
            "Cargo.lock": lock,
            "crates/core/Cargo.toml": '[package]\nname = "ws-core"\nversion.workspace = true\n',
            "crates/py/Cargo.toml": '[package]\nname = "ws-py"\nversion.workspace = true\n',
            "python/ws/__init__.py": 'from ws._native import *\n\n__version__ = "1.2.3"\n',
            "CHANGELOG.md": CHANGELOG,
        },
        tags=("v1.2.3",),
    )
    dry = run_releasekit(repo.path, "prepare", "1.3.0rc1", "--dry-run", "--date", RELEASE_DATE)
    assert 0 == dry.returncode, dry.stderr
    assert "Version sources: Cargo.toml, Cargo.lock, python/ws/__init__.py" in dry.stdout
    assert {
        "Cargo.toml": ['-version = "1.2.3"', '+version = "1.3.0-rc.1"'],
        "Cargo.lock": ['-version = "1.2.3"', '+version = "1.3.0-rc.1"'] * 2,
        "python/ws/__init__.py": ['-__version__ = "1.2.3"', '+__version__ = "1.3.0rc1"'],
    } == diff_lines(dry.stdout)
    real = run_releasekit(repo.path, "prepare", "1.3.0rc1", "--yes", "--date", RELEASE_DATE)
    assert 0 == real.returncode, real.stderr
    assert "tag" == repo.git("cat-file", "-t", "v1.3.0rc1")
    assert lock.replace('"1.2.3"', '"1.3.0-rc.1"') == repo.read("Cargo.lock")
    assert workspace.replace('"1.2.3"', '"1.3.0-rc.1"') == repo.read("Cargo.toml")


def test_maturin_version_cargo_cannot_hold(make_repo: RepoBuilder) -> None:
    """A version with no SemVer form is refused before anything is written (exit 2)."""
    repo = make_repo(
        {
            "pyproject.toml": MATURIN + '\n[project]\nname = "rusty-demo"\ndynamic = ["version"]\n',
            "Cargo.toml": '[package]\nname = "rusty-demo"\nversion = "1.2.3"\n',
            "CHANGELOG.md": CHANGELOG,
        },
        tags=("v1.2.3",),
    )
    before = snapshot(repo)
    result = run_releasekit(repo.path, "prepare", "1.2.3.1", "--yes", "--date", RELEASE_DATE)
    assert 2 == result.returncode
    assert [
        "error: Cargo.toml: 1.2.3.1 cannot be written as a Cargo (SemVer) version; "
        "Cargo needs MAJOR.MINOR.PATCH without an epoch; choose such a version"
    ] == result.stderr.splitlines()
    assert before == snapshot(repo)


def test_import_package_named_unlike_the_project(make_repo: RepoBuilder) -> None:
    """hatch's packages selects src/odd; its __version__ is released with [project].version."""
    released(
        make_repo,
        {
            "pyproject.toml": '[build-system]\nrequires = ["hatchling"]\n'
            'build-backend = "hatchling.build"\n\n'
            '[project]\nname = "the-project"\nversion = "1.2.3"\n\n'
            '[tool.hatch.build.targets.wheel]\npackages = ["src/odd"]\n',
            "src/odd/__init__.py": '__version__ = "1.2.3"\n',
            "tests/__init__.py": '__version__ = "0.0.1"  # not shipped, left alone\n',
        },
        {
            "pyproject.toml": ['-version = "1.2.3"', '+version = "1.2.4"'],
            "src/odd/__init__.py": ['-__version__ = "1.2.3"', '+__version__ = "1.2.4"'],
        },
    )


def test_namespace_package(make_repo: RepoBuilder) -> None:
    """A namespace package (no acme/__init__.py): acme/widgets/__init__.py is the one that ships."""
    released(
        make_repo,
        {
            "pyproject.toml": SETUPTOOLS + '\n[project]\nname = "acme-widgets"\nversion = "1.2.3"\n'
            '\n[tool.setuptools.packages.find]\nwhere = ["src"]\n',
            "src/acme/widgets/__init__.py": '__version__ = "1.2.3"\n',
        },
        {
            "pyproject.toml": ['-version = "1.2.3"', '+version = "1.2.4"'],
            "src/acme/widgets/__init__.py": ['-__version__ = "1.2.3"', '+__version__ = "1.2.4"'],
        },
    )


def test_doctor_reads_poetry_metadata(make_repo: RepoBuilder) -> None:
    """doctor audits a Poetry 1.x project: its name and version are read, nothing stops it."""
    repo = make_repo(
        {
            "pyproject.toml": '[tool.poetry]\nname = "poetry-demo"\nversion = "1.2.3"\n\n'
            '[build-system]\nrequires = ["poetry-core"]\n'
            'build-backend = "poetry.core.masonry.api"\n',
            "CHANGELOG.md": CHANGELOG,
        },
        tags=("v1.2.3",),
    )
    result = run_releasekit(repo.path, "doctor", "--json")
    report = json.loads(result.stdout)
    found = {f["id"] for f in report["findings"]}
    assert "metadata-outside-project" in found
    assert not found & {"metadata-unreadable", "version-sources", "config-unreadable"}


def test_doctor_without_readable_metadata_audits_the_rest(make_repo: RepoBuilder) -> None:
    """Broken pyproject.toml: a finding, and git and the workflows are still audited (JSON)."""
    repo = make_repo({"pyproject.toml": "[project\nname = 'x'\n"}, remote=False)
    result = run_releasekit(repo.path, "doctor", "--json")
    assert 1 == result.returncode
    report = json.loads(result.stdout)
    found = {f["id"]: f for f in report["findings"]}
    assert "pyproject.toml" == found["config-unreadable"]["file"]
    assert found["config-unreadable"]["message"].startswith("invalid TOML: ")
    assert {"no-remote", "no-publishing-workflow"} <= set(found)


def test_doctor_json_is_json_even_outside_a_project(tmp_path: Path) -> None:
    """doctor --json answers in JSON even where there is no project; the error is on stderr."""
    result = run_releasekit(tmp_path, "doctor", "--json")
    assert 2 == result.returncode
    (finding,) = json.loads(result.stdout)["findings"]
    assert (str(tmp_path), "no pyproject.toml found") == (finding["file"], finding["message"])
    assert 1 == len(result.stderr.splitlines())


def test_build_refuses_a_stale_shipped_version(tmp_path: Path) -> None:
    """A __version__ in the wheel that disagrees fails the build and leaves no files behind."""
    root = write_project(tmp_path, "hatchling", version="1.2.3")
    (root / "src" / "tiny_pkg" / "_version.py").write_text('__version__ = "1.2.2"\n')
    result = run_releasekit(root, "build")
    assert 1 == result.returncode
    assert [
        "error: tiny_pkg-1.2.3-py3-none-any.whl: tiny_pkg/_version.py in the wheel says "
        "__version__ = '1.2.2', but the built version is 1.2.3; the built files were removed; "
        "write the version there, derive it from importlib.metadata, or list the file in "
        "[tool.releasekit] version-files so that prepare bumps it"
    ] == [line for line in result.stderr.splitlines() if not line.startswith("  -> ")]
    assert not (root / "dist").exists()


def test_doctor_when_the_backend_cannot_report_metadata(make_repo: RepoBuilder) -> None:
    """A setup.py that fails: metadata-unreadable with the reason, and the audit goes on."""
    repo = make_repo(
        {
            "pyproject.toml": SETUPTOOLS,
            "setup.py": "raise SystemExit('setup.py is broken')\n",
            "CHANGELOG.md": CHANGELOG,
        },
        remote=False,
    )
    result = run_releasekit(repo.path, "doctor", "--json")
    assert 1 == result.returncode
    found = {f["id"]: f for f in json.loads(result.stdout)["findings"]}
    assert found["metadata-unreadable"]["message"].startswith(
        "the build backend could not report the project's metadata"
    )
    assert "pyproject.toml" == found["metadata-unreadable"]["file"]
    assert {"no-remote", "no-publishing-workflow"} <= set(found)


def test_build_output_is_captured_and_shown_with_verbose(tmp_path: Path) -> None:
    """What setup.py prints or warns stays off the terminal on success; -v shows it."""
    root = write_project(tmp_path, "setuptools", version="1.2.3")
    (root / "setup.py").write_text(
        "import sys\nimport warnings\n\nfrom setuptools import setup\n\n"
        "print('noise from setup.py', file=sys.stderr)\n"
        "warnings.warn('a deprecation notice from the backend')\nsetup()\n"
    )
    quiet = run_releasekit(root, "build")
    assert 0 == quiet.returncode, quiet.stderr
    assert ["  -> building the sdist", "  -> building the wheel"] == quiet.stderr.splitlines()
    verbose = run_releasekit(root, "-v", "build", "--outdir", "verbose-dist")
    assert 0 == verbose.returncode, verbose.stderr
    assert "noise from setup.py" in verbose.stderr.splitlines()
    assert "a deprecation notice from the backend" in verbose.stderr
