"""releasekit releases itself: its own version sources, changelog and prepare-release.sh work."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from releasekit import __version__
from releasekit.scaffold import InitOptions, plan_files
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


def test_own_publish_setup_is_what_init_writes() -> None:
    """The project's workflow, guide, dependabot and release script are init's, unedited."""
    _, files = plan_files(PROJECT, InitOptions(dependabot=True))
    planned = {f.path: f.content for f in files}
    for name in (
        ".github/workflows/publish.yml",
        "PYPI_PUBLISHING_GUIDE.md",
        ".github/dependabot.yml",
        "prepare-release.sh",
    ):
        assert (PROJECT / name).read_text(encoding="utf-8") == planned[name], name


def test_own_setup_has_no_errors_in_doctor() -> None:
    result = subprocess.run(
        [releasekit_command(), "-C", str(PROJECT), "doctor", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout
    report = json.loads(result.stdout)
    workflow_findings = [f for f in report["findings"] if f["file"].startswith(".github")]
    assert workflow_findings == []
