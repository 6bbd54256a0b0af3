"""releasekit releases itself: its own version sources, changelog and prepare-release.sh work."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from releasekit import __version__
from tests.support import RELEASE_DATE, RepoBuilder, releasekit_command

PROJECT = Path(__file__).resolve().parent.parent
OWN_FILES = ["pyproject.toml", "src/releasekit/__init__.py", "CHANGELOG.md", "prepare-release.sh"]


def test_own_release_through_prepare_release_script(make_repo: RepoBuilder) -> None:
    """prepare-release.sh passes its arguments to releasekit prepare, on this project's own files."""
    repo = make_repo({name: (PROJECT / name).read_bytes() for name in OWN_FILES})
    bin_dir = str(Path(releasekit_command()).parent)
    result = subprocess.run(
        ["bash", "prepare-release.sh", "release", "--dry-run", "--date", RELEASE_DATE],
        cwd=repo.path,
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": bin_dir + os.pathsep + os.environ["PATH"]},
        check=False,
    )
    assert 0 == result.returncode, result.stderr
    assert f"Release {__version__} -> " in result.stdout
    assert "Version sources: pyproject.toml, src/releasekit/__init__.py" in result.stdout
    assert "+## [" in result.stdout
    assert "Dry run: nothing was changed." in result.stdout


def test_prepare_release_script_is_executable() -> None:
    """The project's prepare-release.sh can be run directly, as its guide says."""
    assert os.access(PROJECT / "prepare-release.sh", os.X_OK)
