"""``releasekit build`` with real build backends from the package index, then ``check``."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Mapping
from pathlib import Path

import pytest

from releasekit.build import BuildError, _unpack
from tests.support import RepoBuilder, git, run_releasekit

README = "# pkg\n\nA small project built by the tests.\n"
LICENSE = "MIT License\n"
BACKENDS = {
    "hatchling": '[build-system]\nrequires = ["hatchling>=1.27"]\nbuild-backend = "hatchling.build"\n',
    "setuptools": '[build-system]\nrequires = ["setuptools>=77"]\nbuild-backend = "setuptools.build_meta"\n',
    "flit_core": '[build-system]\nrequires = ["flit_core>=3.12,<5"]\nbuild-backend = "flit_core.buildapi"\n',
    "uv_build": '[build-system]\nrequires = ["uv_build>=0.8,<0.14"]\nbuild-backend = "uv_build"\n',
}


def write_project(folder: Path, backend: str, *, version: str = "0.3.0") -> Path:
    """A minimal, correct project for ``backend`` in ``folder``."""
    package = folder / "src" / "tiny_pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(f'"""Tiny."""\n\n__version__ = "{version}"\n')
    (folder / "README.md").write_text(README)
    (folder / "LICENSE").write_text(LICENSE)
    (folder / "pyproject.toml").write_text(
        BACKENDS[backend] + f'\n[project]\nname = "tiny-pkg"\nversion = "{version}"\n'
        'description = "A tiny package."\nreadme = "README.md"\nlicense = "MIT"\n'
        'license-files = ["LICENSE"]\nrequires-python = ">=3.11"\n'
        'classifiers = ["Programming Language :: Python :: 3"]\n'
    )
    return folder


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_clean_build_passes_check(tmp_path: Path, backend: str) -> None:
    """Each backend's sdist and wheel build, carry the project version, and check clean."""
    root = write_project(tmp_path, backend)
    built = run_releasekit(root, "build")
    assert 0 == built.returncode, built.stderr
    assert [
        "Built dist/tiny_pkg-0.3.0.tar.gz",
        "Built dist/tiny_pkg-0.3.0-py3-none-any.whl",
        "Next: releasekit check",
    ] == [line.split(" (")[0] for line in built.stdout.splitlines()]
    checked = run_releasekit(root, "check")
    assert 0 == checked.returncode, checked.stdout
    assert (
        "0 error(s), 0 warning(s) in 2 file(s)\nNext: releasekit publish --dry-run\n"
        == checked.stdout
    )


def test_backend_failure_shows_its_output(tmp_path: Path) -> None:
    """A failing backend's own output is shown, then one line naming the failed step (exit 1)."""
    root = write_project(tmp_path, "setuptools")
    (root / "setup.py").write_text('raise SystemExit("boom from setup.py")\n')
    result = run_releasekit(root, "build")
    assert 1 == result.returncode
    assert "boom from setup.py" in result.stderr
    assert result.stderr.splitlines()[-1] == (
        "error: building the sdist failed in the build backend; "
        "the backend's output is above; fix the project and run again"
    )


def test_other_versions_in_outdir_are_reported(tmp_path: Path) -> None:
    """Files of other versions in the output folder are reported, not silently kept."""
    root = write_project(tmp_path, "hatchling")
    (root / "dist").mkdir()
    (root / "dist" / "tiny_pkg-0.2.0-py3-none-any.whl").write_bytes(b"old")
    result = run_releasekit(root, "build")
    assert 0 == result.returncode, result.stderr
    assert "warning: tiny_pkg-0.2.0-py3-none-any.whl in " in result.stderr
    assert "is from another version" in result.stderr


def test_clean_removes_other_versions_first_and_says_which(tmp_path: Path) -> None:
    """build --clean removes the files of other versions (only those) and names them."""
    root = write_project(tmp_path, "hatchling")
    (root / "dist").mkdir()
    (root / "dist" / "tiny_pkg-0.2.0-py3-none-any.whl").write_bytes(b"old")
    (root / "dist" / "tiny_pkg-0.2.0.tar.gz").write_bytes(b"old")
    (root / "dist" / "notes.txt").write_text("kept")
    result = run_releasekit(root, "build", "--clean")
    assert 0 == result.returncode, result.stderr
    assert (
        f"  -> removed 2 file(s) of other versions from {root}/dist: "
        "tiny_pkg-0.2.0-py3-none-any.whl, tiny_pkg-0.2.0.tar.gz"
    ) in result.stderr.splitlines()
    assert "is from another version" not in result.stderr
    assert ["notes.txt", "tiny_pkg-0.3.0-py3-none-any.whl", "tiny_pkg-0.3.0.tar.gz"] == sorted(
        p.name for p in (root / "dist").iterdir()
    )


def test_tag_on_head_must_match(make_repo: RepoBuilder, tmp_path: Path) -> None:
    """A build whose version differs from the release tag on HEAD fails."""
    scratch = write_project(tmp_path / "project", "hatchling")
    repo = make_repo(
        {str(p.relative_to(scratch)): p.read_bytes() for p in scratch.rglob("*") if p.is_file()}
    )
    git(repo.path, "tag", "-a", "v0.4.0", "-m", "v0.4.0")
    result = run_releasekit(repo.path, "build")
    assert 1 == result.returncode
    assert "error: the built version 0.3.0 differs from the tag on HEAD (0.4.0)" in result.stderr


def test_untagged_tag_derived_version_is_refused(make_repo: RepoBuilder) -> None:
    """hatch-vcs without a release tag on HEAD builds a dev+local version: refused with a hint."""
    repo = make_repo(
        {
            "pyproject.toml": '[build-system]\nrequires = ["hatchling", "hatch-vcs"]\n'
            'build-backend = "hatchling.build"\n'
            '[project]\nname = "vcs-pkg"\ndynamic = ["version"]\n'
            '[tool.hatch.version]\nsource = "vcs"\n'
            '[tool.hatch.build.targets.wheel]\npackages = ["src/vcs_pkg"]\n',
            "src/vcs_pkg/__init__.py": "",
        },
        tags=("v1.0.0",),
    )
    repo.write({"src/vcs_pkg/extra.py": "x = 1\n"})
    repo.commit("after the tag")
    result = run_releasekit(repo.path, "build")
    assert 1 == result.returncode
    last = result.stderr.splitlines()[-1]
    assert last.startswith("error: the built version is 1.0.1.dev1+g")
    assert "HEAD has no release tag or the working tree is dirty" in last


def _tar(
    path: Path, members: Mapping[str, str | None], links: Mapping[str, str] | None = None
) -> Path:
    """A tar.gz with regular members (name -> text) and symlinks (name -> target)."""
    with tarfile.open(path, "w:gz") as archive:
        for name, text in members.items():
            data = (text or "").encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            archive.addfile(info)
    return path


@pytest.mark.parametrize("with_data_filter", [True, False])
def test_unpacking_an_sdist_refuses_members_outside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, with_data_filter: bool
) -> None:
    """On Pythons with and without tarfile's data filter, an sdist cannot write outside."""
    if not with_data_filter:
        # Debian 12's Python 3.11.2 has no tarfile.data_filter: the hand-made check must hold.
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    good = _tar(tmp_path / "good.tar.gz", {"pkg-1.0/PKG-INFO": "x", "pkg-1.0/src/a.py": "y"})
    with tarfile.open(good) as archive:
        _unpack(archive, tmp_path / "out")
    assert "y" == (tmp_path / "out/pkg-1.0/src/a.py").read_text()
    for number, (members, links) in enumerate(
        [({"../evil.txt": "x"}, {}), ({}, {"pkg-1.0/link": "../../outside"})]
    ):
        bad = _tar(tmp_path / f"bad{number}.tar.gz", members, links)
        with tarfile.open(bad) as archive, pytest.raises((BuildError, tarfile.TarError)):
            _unpack(archive, tmp_path / f"bad-out{number}")
    assert not (tmp_path / "evil.txt").exists()


def test_the_wheel_is_built_from_the_sdist_not_the_tree(tmp_path: Path) -> None:
    """A file the sdist leaves out is missing from the wheel too: the wheel came from the sdist."""
    import zipfile  # noqa: PLC0415  # only this test opens the wheel

    root = write_project(tmp_path, "hatchling")
    (root / "src" / "tiny_pkg" / "data.txt").write_text("only in the source tree\n")
    with (root / "pyproject.toml").open("a") as pyproject:
        pyproject.write('\n[tool.hatch.build.targets.sdist]\nexclude = ["src/tiny_pkg/data.txt"]\n')
    built = run_releasekit(root, "build")
    assert 0 == built.returncode, built.stderr
    with tarfile.open(root / "dist" / "tiny_pkg-0.3.0.tar.gz") as sdist:
        in_sdist = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    with zipfile.ZipFile(root / "dist" / "tiny_pkg-0.3.0-py3-none-any.whl") as wheel:
        in_wheel = set(wheel.namelist())
    assert "src/tiny_pkg/__init__.py" in in_sdist
    assert "src/tiny_pkg/data.txt" not in in_sdist
    assert "tiny_pkg/__init__.py" in in_wheel
    assert "tiny_pkg/data.txt" not in in_wheel
