"""A plain publish imports only what it needs: start-up time is most of a small release's cost."""

from __future__ import annotations

import os
from pathlib import Path

from tests import distfactory as make
from tests.servers import pypiserver
from tests.support import CHANGELOG, PYPROJECT, RepoBuilder, loaded_modules

# Imported by a run that never uses them, each costs start-up time on every publish.
NOT_NEEDED = (
    "id",  # trusted publishing only
    "readme_renderer",  # rendering reStructuredText only
    "docutils",
    "pygments",
    "markdown",
    "cmarkgfm",
    "rich",  # progress bars on a terminal only
    "keyring",  # only without credentials
    "releasekit.build",  # the version comparison inside a project only
    "releasekit.dist_versions",
    "multiprocessing",  # worker processes: several reStructuredText descriptions only
    "urllib3",  # index requests go through http.client (releasekit.index.http)
)


def test_plain_publish_imports_nothing_it_does_not_need(tmp_path: Path) -> None:
    """Publishing Markdown-described wheels to a local index, no TTY: no id, renderer or rich."""
    files = make.release(tmp_path / "dist", wheels=3, sdist_too=True)
    packages = tmp_path / "packages"
    packages.mkdir()
    with pypiserver(packages) as url:
        env = {
            **os.environ,
            "RELEASEKIT_USERNAME": "user",
            "RELEASEKIT_PASSWORD": "secret",
            "RELEASEKIT_INDEX_URL": url + "simple/",
        }
        code, modules, stderr = loaded_modules(
            tmp_path, "publish", "--repository-url", url, *map(str, files), env=env
        )
    assert 0 == code, stderr
    assert 4 == len(list(packages.iterdir()))
    loaded = [m for m in modules if m.split(".")[0] in NOT_NEEDED or m in NOT_NEEDED]
    assert [] == loaded


# What a dry run of prepare never uses: the lock and the journal (json, socket), --json's
# output, and dataclasses (records define releasekit's own without it).
NOT_IN_A_DRY_RUN = ("json", "socket", "dataclasses")


def test_a_dry_run_prepare_loads_no_lock_journal_or_dataclass_modules(
    make_repo: RepoBuilder,
) -> None:
    repo = make_repo({"pyproject.toml": PYPROJECT, "CHANGELOG.md": CHANGELOG})
    repo.write({"feature.txt": "x\n"})
    repo.commit("feat: a feature")
    code, modules, stderr = loaded_modules(repo.path, "prepare", "auto", "--dry-run")
    assert 0 == code, stderr
    assert [] == [m for m in modules if m in NOT_IN_A_DRY_RUN]
    assert "releasekit.release_journal" in modules  # it is loaded, only its json is not
