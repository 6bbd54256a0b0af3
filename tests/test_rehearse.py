"""``releasekit rehearse`` end to end: the installed command, real repositories and signals.

Each rehearsal runs a real pypiserver on 127.0.0.1 and real virtual environments.
"""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.support import (
    Repo,
    RepoBuilder,
    Run,
    git,
    run_releasekit,
    snapshot,
    spawn_releasekit,
)
from tests.test_json_contract import report as contract_report

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "demo-package"
PREFIX = "releasekit-rehearse-"
STEPS = [
    "clone",
    "prepare",
    "build",
    "check",
    "index",
    "publish",
    "republish",
    "venv",
    "install",
    "dependencies",
    "import",
    "scripts",
    "doctor",
    "stop-index",
]

CHANGELOG = """\
# Changelog

## [Unreleased]

### Added

- Something new.

## [1.0.0] - 2026-01-02

- First release.
"""


def project_files(
    name: str, module: str, *, extra: str = "", readme: str = "README.md"
) -> dict[str, str]:
    """A hatchling project at 1.0.0 with a changelog, a readme and one package."""
    content_type = "text/x-rst" if readme.endswith(".rst") else "text/markdown"
    return {
        "pyproject.toml": f"""\
[build-system]
requires = ["hatchling>=1.27"]
build-backend = "hatchling.build"

[project]
name = "{name}"
version = "1.0.0"
description = "A project for rehearsals."
readme = {{file = "{readme}", content-type = "{content_type}"}}
license = "MIT"
requires-python = ">=3.11"
{extra}
""",
        f"src/{module}/__init__.py": '"""A package."""\n',
        readme: "# A project\n\nIt works.\n",
        "CHANGELOG.md": CHANGELOG,
    }


@pytest.fixture(scope="module")
def uv_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One uv cache for the module's builds and venvs, so that hatchling is fetched once."""
    return tmp_path_factory.mktemp("uv-cache")


@pytest.fixture
def tmpdir_env(tmp_path: Path, uv_cache: Path) -> dict[str, str]:
    """An environment whose TMPDIR the test owns, so that leftovers can be looked for."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    return {"TMPDIR": str(temporary), "UV_CACHE_DIR": str(uv_cache)}


def leftovers(env: Mapping[str, str]) -> list[str]:
    """Rehearsal folders left in the test's TMPDIR."""
    return sorted(p.name for p in Path(env["TMPDIR"]).iterdir() if p.name.startswith(PREFIX))


def pypiservers(marker: str) -> list[str]:
    """Command lines of running pypiserver processes whose arguments mention ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "pypiserver" in command and marker in command:
            found.append(command)
    return found


def demo_files() -> dict[str, str | bytes]:
    """examples/demo-package, file by file."""
    return {
        str(path.relative_to(EXAMPLE)): path.read_bytes()
        for path in sorted(EXAMPLE.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def rehearse(cwd: Path, *args: str, env: Mapping[str, str]) -> Run:
    """Run ``releasekit rehearse`` as a user would."""
    return run_releasekit(cwd, "rehearse", *args, env=env)


def test_demo_package_rehearses_and_leaves_the_repository_untouched(
    make_repo: RepoBuilder, tmpdir_env: dict[str, str]
) -> None:
    """The demo package passes every step; the user's files, refs and remote are byte-identical."""
    repo = make_repo(demo_files(), tags=("v0.1.0",))
    (repo.path / "notes.txt").write_text("untracked and uncommitted\n")
    (repo.path / "README.md").write_text("edited, not committed\n")  # listed first: " M README.md"
    before = snapshot(repo)
    result = rehearse(repo.path, env=tmpdir_env)
    assert 0 == result.returncode, result.stderr
    assert before == snapshot(repo)
    assert "Rehearsal of demo-package 0.1.1: passed" in result.stdout
    rows = {line.split()[0]: line.split()[1] for line in result.stdout.splitlines()[3:17]}
    assert STEPS == list(rows)
    assert "failed" not in rows.values()
    assert "0.1.0 -> 0.1.1, tagged v0.1.1" in result.stdout
    assert (
        "uncommitted changes are not part of the rehearsal (README.md, notes.txt)" in result.stderr
    )
    assert (
        "The real release:\n  releasekit prepare patch --push\n"
        "  releasekit build && releasekit check && releasekit publish\n"
    ) in result.stdout
    assert [] == leftovers(tmpdir_env)
    assert [] == pypiservers(tmpdir_env["TMPDIR"])


def test_console_script_runs_and_json_reports_every_step(
    make_repo: RepoBuilder, tmpdir_env: dict[str, str]
) -> None:
    """A project's console script runs with --help; --json prints the documented shape."""
    files = project_files(
        "hello-cli", "hello_cli", extra='\n[project.scripts]\nhello = "hello_cli:main"\n'
    )
    files["src/hello_cli/__init__.py"] = (
        '"""Says hello."""\n\nimport argparse\n\n\ndef main() -> None:\n'
        '    """Parse the arguments and greet."""\n'
        '    argparse.ArgumentParser(prog="hello").parse_args()\n    print("hello")\n'
    )
    repo = make_repo(files, tags=("v1.0.0",))
    result = rehearse(repo.path, "minor", "--json", env=tmpdir_env)
    assert 0 == result.returncode, result.stderr
    report = contract_report(result, "rehearse", 0)  # the one --json schema of docs/json.md
    assert (True, 0, "1.1.0") == (report["ok"], report["errors"], report["version"])
    assert STEPS == [step["step"] for step in report["steps"]]
    assert {"step", "result", "seconds", "message"} == set(report["steps"][0])
    scripts = next(step for step in report["steps"] if step["step"] == "scripts")
    assert ("ok", "hello (1 ran)") == (scripts["result"], scripts["message"])
    assert "releasekit prepare minor --push" == report["commands"][0]
    for finding in report["findings"]:
        assert {"id", "severity", "file", "line", "message", "hint"} == set(finding)


def test_a_wheel_that_fails_to_import_fails_at_the_import_step(
    make_repo: RepoBuilder, tmpdir_env: dict[str, str]
) -> None:
    """A module importing a missing module stops the rehearsal at import, naming the module."""
    files = project_files("broken-pkg", "broken_pkg")
    files["src/broken_pkg/__init__.py"] = '"""Broken."""\n\nimport not_a_real_module  # noqa\n'
    repo = make_repo(files, tags=("v1.0.0",))
    result = rehearse(repo.path, env=tmpdir_env)
    assert 1 == result.returncode, result.stderr
    assert (
        "error: broken_pkg-1.0.1-py3-none-any.whl: importing broken_pkg from the installed "
        "wheel failed: ModuleNotFoundError: No module named 'not_a_real_module'; ship the module "
        "in the wheel, or declare the package it comes from in [project] dependencies"
    ) == result.stderr.splitlines()[-1]
    assert "Rehearsal of broken-pkg 1.0.1: failed (1 error(s), 0 warning(s))" in result.stdout
    assert any(line.startswith("import        failed") for line in result.stdout.splitlines())
    assert "The real release" not in result.stdout
    assert [] == leftovers(tmpdir_env)
    assert [] == pypiservers(tmpdir_env["TMPDIR"])


def test_a_broken_readme_fails_at_check_with_checks_error(
    make_repo: RepoBuilder, tmpdir_env: dict[str, str]
) -> None:
    """An invalid reStructuredText readme stops at check; --json still reports, as JSON."""
    files = project_files("bad-readme", "bad_readme", readme="README.rst")
    files["README.rst"] = "Title\n=====\n\n`broken link <\n"
    repo = make_repo(files, tags=("v1.0.0",))
    result = rehearse(repo.path, "--json", env=tmpdir_env)
    report = contract_report(result, "rehearse", 1)
    assert (False, "1.0.1") == (report["ok"], report["version"])
    assert ["clone", "prepare", "build", "check"] == [s["step"] for s in report["steps"]]
    assert "failed" == report["steps"][-1]["result"]
    ids = [finding["id"] for finding in report["findings"]]
    assert "readme-invalid" in ids
    assert "check-failed" in ids
    assert [] == report["commands"]
    last = result.stderr.splitlines()[-1]
    assert last.startswith("error: bad_readme-1.0.1-py3-none-any.whl: readme-invalid: ")
    assert "reStructuredText" in last


def test_keep_prints_paths_that_exist_and_a_subfolder_is_rehearsed_in_place(
    make_repo: RepoBuilder, tmpdir_env: dict[str, str]
) -> None:
    """-C into a subfolder rehearses that subfolder; --keep leaves clone, files and venv."""
    repo = make_repo(
        {
            "README.md": "A monorepo.\n",
            **{f"packages/demo/{name}": data for name, data in demo_files().items()},
        },
        tags=("v0.1.0",),
    )
    result = run_releasekit(repo.path, "-C", "packages/demo", "rehearse", "--keep", env=tmpdir_env)
    assert 0 == result.returncode, result.stderr
    lines = result.stdout.splitlines()
    start = lines.index("Kept for inspection (remove them when done):")
    kept = dict(line.split(":", 1) for line in lines[start + 1 : start + 4])
    paths = {label.strip(): Path(path.strip()) for label, path in kept.items()}
    try:
        assert ["clone", "packages", "venv"] == sorted(paths)
        assert all(path.is_dir() for path in paths.values())
        assert 1 == len(list((paths["clone"] / "packages/demo/dist").glob("*.whl")))
        assert ["demo_package-0.1.1-py3-none-any.whl", "demo_package-0.1.1.tar.gz"] == sorted(
            p.name for p in paths["packages"].iterdir()
        )
        assert "Release 0.1.1" == git(paths["clone"], "log", "-1", "--format=%s")
        assert "0.1.0" in (repo.path / "packages/demo/pyproject.toml").read_text()
        assert [] == pypiservers(tmpdir_env["TMPDIR"])
    finally:
        shutil.rmtree(paths["clone"].parent)


def test_a_folder_outside_git_is_rehearsed_from_a_snapshot(
    tmp_path: Path, tmpdir_env: dict[str, str]
) -> None:
    """Without git, a snapshot is rehearsed and the folder stays as it was (no .git appears)."""
    folder = tmp_path / "plain"
    shutil.copytree(EXAMPLE, folder)
    before = sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))
    result = rehearse(folder, env=tmpdir_env)
    assert 0 == result.returncode, result.stderr
    assert "not in a git repository: rehearsing a snapshot of the folder" in result.stderr
    assert "  releasekit prepare patch\n" in result.stdout
    assert before == sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))
    assert [] == leftovers(tmpdir_env)


def test_without_pypiserver_one_line_says_how_to_install_it(
    tmp_path: Path, demo_repo: Repo
) -> None:
    """When pypiserver cannot be imported, one line names the extra to install (exit 2)."""
    shim = tmp_path / "shim" / "pypiserver"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'pypiserver'\", name='pypiserver')\n"
    )
    result = rehearse(demo_repo.path, env={"PYTHONPATH": str(shim.parent)})
    assert 2 == result.returncode
    assert "" == result.stdout
    assert [
        "error: rehearse needs pypiserver with passlib for its local index (No module named "
        "'pypiserver'); install it with: pip install 'releasekit[rehearse]'"
    ] == result.stderr.splitlines()
    as_json = rehearse(demo_repo.path, "--json", env={"PYTHONPATH": str(shim.parent)})
    report = contract_report(as_json, "rehearse", 2)
    assert (False, 1) == (report["ok"], report["errors"])
    assert "steps" not in report  # it stopped before the first step
    assert "install it with: pip install 'releasekit[rehearse]'" == report["findings"][0]["hint"]


@pytest.mark.parametrize(
    ("signal_number", "whole_group"),
    [(signal.SIGINT, True), (signal.SIGTERM, False)],
    ids=["ctrl-c-to-the-process-group", "sigterm-to-releasekit"],
)
def test_an_interrupt_stops_the_index_and_removes_everything(
    make_repo: RepoBuilder,
    tmpdir_env: dict[str, str],
    signal_number: signal.Signals,
    whole_group: bool,
) -> None:
    """Ctrl-C or SIGTERM while the index runs: exit 130 or 143, no pypiserver, no temporary folder."""
    repo = make_repo(demo_files(), tags=("v0.1.0",))
    before = snapshot(repo)
    process = spawn_releasekit(repo.path, "rehearse", env=tmpdir_env, session=True)
    assert process.stderr is not None
    seen = []
    try:
        for line in process.stderr:
            seen.append(line)
            if line.startswith("[6/14]"):  # publishing: the index is running
                break
        assert pypiservers(tmpdir_env["TMPDIR"]), "".join(seen)
        if whole_group:
            os.killpg(process.pid, signal_number)
        else:
            process.send_signal(signal_number)
        _, rest = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert 128 + signal_number == process.returncode, "".join(seen) + rest
    assert rest.rstrip().splitlines()[-1].startswith("error: interrupted")
    assert [] == pypiservers(tmpdir_env["TMPDIR"])
    assert [] == leftovers(tmpdir_env)
    assert before == snapshot(repo)


def test_releasekit_rehearses_itself(tmp_path: Path, tmpdir_env: dict[str, str]) -> None:
    """`releasekit rehearse patch --offline` on a clone of this repository passes."""
    source = Path(__file__).resolve().parents[1]
    copy = tmp_path / "releasekit"
    git(tmp_path, "clone", "--quiet", "--no-hardlinks", str(source), str(copy))
    result = rehearse(copy, "patch", "--offline", env=tmpdir_env)
    assert 0 == result.returncode, result.stderr
    assert "Rehearsal of releasekit " in result.stdout
    assert "--offline: " in result.stdout
    assert "dependencies were not installed" in result.stdout
