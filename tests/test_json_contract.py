"""Every ``--json`` report matches the one schema of docs/json.md, on success and on failure.

Each command runs as installed, in a real project; a failure still answers on standard output
(``ok`` false, the error as a finding) while the one-line error goes to standard error.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs; check-jsonschema brings it
import pytest

from tests import distfactory as make
from tests.servers import pypiserver
from tests.support import PYPROJECT, Repo, RepoBuilder, Run, run_releasekit

SCHEMA = Path(__file__).with_name("json_schema.json")
TOKEN = "pypi-AgEIcHlwaS5vcmcCJGRlbW8tdG9rZW4tZm9yLXRlc3RzLW9ubHk"


@cache
def validator() -> Any:
    """The schema's validator, the schema itself checked first."""
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def report(run: Run, command: str, code: int) -> dict[str, Any]:
    """The run's report, checked: exit ``code``, valid, ``ok`` exactly when the exit is 0."""
    assert code == run.returncode, run.stderr
    data: dict[str, Any] = json.loads(run.stdout)
    errors = sorted(validator().iter_errors(data), key=str)
    assert [] == [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]
    assert (command, code == 0) == (data["command"], data["ok"])
    return data


def failed(run: Run, command: str, code: int) -> dict[str, Any]:
    """A report of a command that stopped early: each problem a finding, and on stderr too."""
    data = report(run, command, code)
    assert "error" == data["findings"][0]["severity"]
    assert run.stderr.startswith("error: ")
    for finding in data["findings"]:
        assert finding["message"] in run.stderr
    return data


def test_the_schema_rejects_what_the_contract_forbids() -> None:
    """The schema itself: a finding with another key, or ok that contradicts errors, fails."""
    finding = {"id": "x", "severity": "error", "file": None, "line": None, "message": "m"}
    base = {"command": "check", "ok": True, "errors": 0, "warnings": 0, "files": []}
    assert validator().is_valid({**base, "findings": []})
    assert not validator().is_valid({**base, "findings": [{**finding, "code": "x"}]})
    assert not validator().is_valid({**base, "ok": False, "findings": []})
    assert not validator().is_valid({**base, "errors": 1, "findings": [{**finding, "hint": None}]})
    assert not validator().is_valid({**base, "files": None, "findings": []})


# check


def test_check_success_and_errors(tmp_path: Path) -> None:
    """A clean wheel: ok; a wheel PyPI would reject: exit 1, its files still listed."""
    (tmp_path / "dist").mkdir()
    make.wheel(tmp_path / "dist")
    data = report(run_releasekit(tmp_path, "check", "--json"), "check", 0)
    assert ["dist/demo_pkg-1.0.0-py3-none-any.whl"] == data["files"]
    bad = make.wheel(tmp_path, fields=make.with_fields(set_={"Summary": "x" * 600}))
    data = report(run_releasekit(tmp_path, "check", "--json", str(bad)), "check", 1)
    assert (["summary-too-long"], [bad.name]) == (
        [f["id"] for f in data["findings"]],
        data["files"],
    )


def test_check_stopping_early_answers_in_json(tmp_path: Path) -> None:
    """A file that does not exist, or an unknown option: JSON with the usage error (exit 2)."""
    data = failed(run_releasekit(tmp_path, "check", "--json", "nosuch.whl"), "check", 2)
    assert ("usage-error", "nosuch.whl") == (data["findings"][0]["id"], data["findings"][0]["file"])
    assert "files" not in data
    data = failed(run_releasekit(tmp_path, "check", "--json", "--bogus"), "check", 2)
    assert "see 'releasekit check --help'" == data["findings"][0]["hint"]


# doctor


def test_doctor_report_and_outside_a_project(demo_repo: Repo, tmp_path: Path) -> None:
    """The audit's findings and trusted publishers; outside a project, JSON with exit 2."""
    run = run_releasekit(demo_repo.path, "doctor", "--json")
    data = report(run, "doctor", run.returncode)
    assert "no-publishing-workflow" in [f["id"] for f in data["findings"]]
    assert [] == data["trusted_publishers"]  # nothing publishes: no values to register
    outside = tmp_path / "empty"
    outside.mkdir()
    data = failed(run_releasekit(outside, "doctor", "--json"), "doctor", 2)
    assert ("config-error", "no pyproject.toml found") == (
        data["findings"][0]["id"],
        data["findings"][0]["message"],
    )


# publish


def test_publish_dry_run_and_stops(tmp_path: Path) -> None:
    """A dry run reports every file; failed checks and missing files answer in JSON too."""
    packages = tmp_path / "packages"
    packages.mkdir()
    files = make.release(tmp_path / "dist", wheels=1)
    with pypiserver(packages) as url:
        env = {"RELEASEKIT_TOKEN": TOKEN, "RELEASEKIT_INDEX_URL": url + "simple/"}
        run = run_releasekit(
            tmp_path, "publish", "--repository-url", url, "--dry-run", "--json", env=env
        )
        data = report(run, "publish", 0)
        assert ["would-upload"] * 2 == [f["status"] for f in data["files"]]
        assert (True, url) == (data["dry_run"], data["repository"])
        bad = make.wheel(tmp_path, fields=make.with_fields(set_={"Summary": "x" * 600}))
        args = ("--repository-url", url, "--json", str(bad))
        data = report(run_releasekit(tmp_path, "publish", *args, env=env), "publish", 1)
        assert ["summary-too-long"] == [f["id"] for f in data["findings"]]
        assert url == data["repository"]
    assert [p.name for p in files] != []
    empty = tmp_path / "empty"
    empty.mkdir()
    data = failed(run_releasekit(empty, "publish", "--json"), "publish", 2)
    assert "no distributions found" == data["findings"][0]["message"]


# prepare


def test_prepare_dry_run_then_applied(demo_repo: Repo) -> None:
    """--dry-run reports the plan unapplied and changes nothing; --yes applies and says so."""
    data = report(
        run_releasekit(demo_repo.path, "prepare", "minor", "--dry-run", "--json"), "prepare", 0
    )
    assert ("1.2.3", "1.3.0", "v1.3.0", False) == (
        data["current"],
        data["version"],
        data["tag"],
        data["applied"],
    )
    assert ["pyproject.toml", "src/demo/__init__.py", "CHANGELOG.md"] == data["files"]
    assert "" == demo_repo.git("tag", "--list", "v1.3.0")
    run = run_releasekit(demo_repo.path, "prepare", "minor", "--yes", "--json")
    data = report(run, "prepare", 0)
    assert (True, "v1.3.0") == (data["applied"], demo_repo.git("tag", "--list", "v1.3.0"))
    assert data["next_steps"][0].startswith("Push the commit and tag together")
    assert "@@" not in run.stdout  # no diffs in JSON mode


def test_prepare_stops_answer_in_json(demo_repo: Repo) -> None:
    """No --yes without a terminal, a bad bump, each preflight problem: JSON, ok false."""
    run = run_releasekit(demo_repo.path, "prepare", "patch", "--json")
    data = failed(run, "prepare", 2)
    assert ("1.2.4", False) == (data["version"], data["applied"])
    assert "pass --yes to apply without asking" == data["findings"][0]["hint"]
    data = failed(run_releasekit(demo_repo.path, "prepare", "--json"), "prepare", 2)
    assert "usage-error" == data["findings"][0]["id"]
    demo_repo.git("switch", "-q", "-c", "feature")
    demo_repo.write({"README.md": "changed\n"})
    demo_repo.git("add", "README.md")
    data = failed(run_releasekit(demo_repo.path, "prepare", "patch", "--json"), "prepare", 1)
    messages = [f["message"] for f in data["findings"]]
    assert 2 == len(messages), messages
    assert any("uncommitted changes" in m for m in messages)
    assert any("feature" in m for m in messages)


# build


def test_build_reports_files_and_stops_outside_a_project(tmp_path: Path) -> None:
    """Each built file with its size and sha256 and the version; outside a project, exit 2."""
    project = tmp_path / "project"
    (project / "src" / "demo").mkdir(parents=True)
    (project / "pyproject.toml").write_text(PYPROJECT)
    (project / "src" / "demo" / "__init__.py").write_text('__version__ = "1.2.3"\n')
    (project / "dist").mkdir()
    (project / "dist" / "demo-1.0.0.tar.gz").write_bytes(b"old")
    data = report(run_releasekit(project, "build", "--json"), "build", 0)
    assert "1.2.3" == data["version"]
    assert ["sdist", "wheel"] == [f["kind"] for f in data["files"]]
    sdist = project / data["files"][0]["file"]
    assert sdist.stat().st_size == data["files"][0]["size"]
    assert [("stale-distribution", "dist/demo-1.0.0.tar.gz")] == [
        (f["id"], f["file"]) for f in data["findings"]
    ]
    outside = tmp_path / "empty"
    outside.mkdir()
    failed(run_releasekit(outside, "build", "--json"), "build", 2)


# config


def test_config_json_and_its_stops(demo_repo: Repo, tmp_path: Path) -> None:
    """config --json lists settings with origins; outside a project or with a bad key: exit 2."""
    data = report(run_releasekit(demo_repo.path, "config", "--json"), "config", 0)
    assert ("1.2.3", "v1.2.3") == (data["current"], data["latest_tag"])
    outside = tmp_path / "empty"
    outside.mkdir()
    failed(run_releasekit(outside, "config", "--json"), "config", 2)
    demo_repo.write(
        {"pyproject.toml": PYPROJECT + '\n[tool.releasekit]\ntag_format = "v{version}"\n'}
    )
    data = failed(run_releasekit(demo_repo.path, "config", "--json"), "config", 2)
    assert "unknown key 'tag_format'" == data["findings"][0]["message"]


@pytest.mark.parametrize("command", ["check", "doctor", "config", "build", "prepare"])
def test_a_global_option_error_answers_in_json(tmp_path: Path, command: str) -> None:
    """Even a bad -C, checked before the command runs, answers in JSON for a --json command."""
    run = run_releasekit(tmp_path, "-C", "nowhere", command, "--json")
    data = failed(run, command, 2)
    assert "error" == data["findings"][0]["severity"]


def test_a_command_without_json_prints_no_report(make_repo: RepoBuilder) -> None:
    """notes has no --json: the usage error stays on stderr, standard output stays empty."""
    repo = make_repo({"pyproject.toml": PYPROJECT})
    run = run_releasekit(repo.path, "notes", "--json")
    assert (2, "") == (run.returncode, run.stdout)
