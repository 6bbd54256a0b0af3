"""Benchmark: ``releasekit publish`` against ``twine upload`` and ``uv publish``, side by side.

First the floors and start-up: ``python -c pass``, ``python -S -c pass`` and each tool's
``--version``. Then three scenarios, each tool uploading the same files to its own fresh
pypiserver on 127.0.0.1:

1. plain: 40 small wheels to pypiserver directly, releasekit with its default ``--jobs``.
2. slow: the same 40 wheels through a proxy that holds every upload 300 ms before passing it
   on, as a real index takes its time; releasekit runs with ``--jobs 8``.
3. big: one 300 MB wheel; wall time and peak resident memory (RSS) of the uploading process.

releasekit does all of its work in every run: the check of every file, the lookup by hash
before, and the verification after the upload. Servers start before the clock does.

    uv run python benchmarks/bench_publish.py [--rounds N] [--skip-slow] [--skip-big]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import distfactory as make  # the same builders the tests use
from tests.faultproxy import ProxyState, fault_proxy
from tests.servers import pypiserver

BIN = Path(sys.executable).parent
# Installed tools run from compiled bytecode (pip and uv write it at install); a tree run with
# PYTHONDONTWRITEBYTECODE would compile every module on every run instead. The cache goes to a
# folder of its own, outside the source tree, and a warm-up run of each command fills it.
PYCACHE = Path(tempfile.mkdtemp(prefix="bench-pycache-"))
BASE_ENV = {
    **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
    "PYTHONPYCACHEPREFIX": str(PYCACHE),
}
Command = Callable[[str, list[Path]], tuple[list[str], dict[str, str]]]
# A made-up API token of PyPI's shape and length (macaroons run to about 220 characters): every
# tool logs in with it as it would on PyPI; pypiserver without auth ignores it. Its length
# matters to releasekit, which masks every form of it in everything it prints.
TOKEN = "pypi-AgEIcHlwaS5vcmc" + "".join(f"{n:04x}QmVuY2g" for n in range(18))


def twine(url: str, files: list[Path]) -> tuple[list[str], dict[str, str]]:
    """``twine upload``, with the token."""
    command = [str(BIN / "twine"), "upload", "--non-interactive", "--disable-progress-bar"]
    env = {"TWINE_USERNAME": "__token__", "TWINE_PASSWORD": TOKEN}
    return [*command, "--repository-url", url, *map(str, files)], env


def uv(url: str, files: list[Path]) -> tuple[list[str], dict[str, str]]:
    """``uv publish``, with the token."""
    command = [str(BIN / "uv"), "publish", "--publish-url", url, "--trusted-publishing", "never"]
    env = {"UV_PUBLISH_TOKEN": TOKEN}
    return [*command, *map(str, files)], env


def releasekit(jobs: int | None, source: Path | None = None) -> Command:
    """``releasekit publish``, with ``jobs`` parallel uploads or its default; lookups, verify on.

    ``source``: another tree's ``src`` folder, run in place of the installed package (a
    baseline measured in the same run, so that both meet the same load).
    """

    def command(url: str, files: list[Path]) -> tuple[list[str], dict[str, str]]:
        argv = [str(BIN / "releasekit"), "-q", "publish", "--repository-url", url]
        argv += [] if jobs is None else ["--jobs", str(jobs)]
        env = {"RELEASEKIT_TOKEN": TOKEN, "RELEASEKIT_INDEX_URL": url.rstrip("/") + "/simple/"}
        if source is not None:
            env["PYTHONPATH"] = str(source)
        return [*argv, *map(str, files)], env

    return command


_MEASURE = """
import resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE).returncode
elapsed = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(code, elapsed, usage.ru_maxrss, usage.ru_utime + usage.ru_stime)
"""


Run = tuple[float, float, float]  # wall seconds, peak RSS in MiB, CPU seconds (user + system)


def measure(argv: list[str], env: dict[str, str]) -> Run:
    """Wall seconds, peak RSS (MiB) and CPU seconds of one run, measured in a fresh parent.

    CPU time is the tool's own (the index server is another process): on a shared machine it
    says what a run costs when wall time depends on what else runs.
    """
    result = subprocess.run(
        [sys.executable, "-c", _MEASURE, *argv],
        env={**BASE_ENV, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    code, seconds, peak_kib, cpu = result.stdout.split()
    if code != "0":
        raise SystemExit(f"{argv[0]} failed ({code}): {result.stderr}")
    return float(seconds), int(peak_kib) / 1024, float(cpu)


@contextmanager
def direct(url: str) -> Iterator[str]:
    """The server itself."""
    yield url


@contextmanager
def slow(url: str) -> Iterator[str]:
    """A proxy that holds each upload 300 ms."""
    with fault_proxy(url, ProxyState(delay=0.3)) as (proxy, _):
        yield proxy


def run_scenario(  # noqa: PLR0917  # one scenario's parts, called three times
    name: str,
    files: list[Path],
    tools: dict[str, Command],
    route: Callable[[str], AbstractContextManager[str]],
    rounds: int,
    work: Path,
) -> dict[str, list[Run]]:
    """Each tool ``rounds`` times, alternating, each run against a fresh pypiserver."""
    results: dict[str, list[Run]] = {tool: [] for tool in tools}
    for round_number in range(-1, rounds):  # round -1 is a warm-up, not counted
        for tool, command in tools.items():
            packages = work / f"{name}-{tool}-{round_number}"
            packages.mkdir()
            with pypiserver(packages) as url, route(url) as upload_url:
                argv, env = command(upload_url, files)
                result = measure(argv, env)
                if round_number >= 0:
                    results[tool].append(result)
            shutil.rmtree(packages)
        if round_number >= 0:
            print(f"  {name} round {round_number + 1}/{rounds} done", file=sys.stderr)
    return results


def big_wheel(folder: Path, megabytes: int) -> Path:
    """A valid wheel holding ``megabytes`` MB of incompressible data."""
    path = make.wheel(folder)
    data_name = "demo_pkg/blob.bin"
    rng = random.Random(1)  # noqa: S311  # test data, not secrets
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    record_name = "demo_pkg-1.0.0.dist-info/RECORD"
    digest = hashlib.sha256()
    chunks = []
    for _ in range(megabytes):
        chunk = rng.randbytes(1 << 20)
        digest.update(chunk)
        chunks.append(chunk)
    encoded = base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()
    record = members[record_name].decode() + f"{data_name},sha256={encoded},{megabytes << 20}\n"
    members[record_name] = record.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        with archive.open(data_name, "w", force_zip64=True) as handle:
            for chunk in chunks:
                handle.write(chunk)
    return path


def startup(rounds: int) -> dict[str, list[Run]]:
    """The interpreter's floors and each tool's ``--version``, alternating, ``rounds`` times."""
    python = str(BIN / "python")
    commands = {
        "python -c pass": [python, "-c", "pass"],
        "python -S -c pass": [python, "-S", "-c", "pass"],
        "twine --version": [str(BIN / "twine"), "--version"],
        "uv --version": [str(BIN / "uv"), "--version"],
        "releasekit --version": [str(BIN / "releasekit"), "--version"],
    }
    results: dict[str, list[Run]] = {name: [] for name in commands}
    for argv in commands.values():  # warm-up: fills the bytecode cache
        measure(argv, {})
    for _ in range(rounds):
        for name, argv in commands.items():
            results[name].append(measure(argv, {}))
    return results


def table(title: str, results: dict[str, list[Run]], memory: bool) -> str:
    """A Markdown table of median and min seconds, median CPU seconds (and peak RSS)."""
    lines = [f"### {title}", ""]
    header = "| tool | median s | min s | CPU median s |" + (" peak RSS MiB |" if memory else "")
    lines += [header, "|---" * (5 if memory else 4) + "|"]
    for tool, runs in results.items():
        seconds = [run[0] for run in runs]
        cpu = statistics.median(run[2] for run in runs)
        row = f"| {tool} | {statistics.median(seconds):.3f} | {min(seconds):.3f} | {cpu:.3f} |"
        if memory:
            row += f" {max(run[1] for run in runs):.0f} |"
        lines.append(row)
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run the scenarios and print Markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-slow", action="store_true")
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--megabytes", type=int, default=300)
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="SRC",
        help="also run the releasekit in this src folder (e.g. a copy of an older tree) "
        "in the plain scenario, as 'releasekit publish, baseline'",
    )
    args = parser.parse_args()
    source = args.baseline.resolve() if args.baseline is not None else None  # before chdir
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        # The tools run in a folder with no project, so that all three do the same work; inside
        # a project, releasekit also compares the files' version with the project's (git).
        os.chdir(work)
        print(table("start-up", startup(max(args.rounds, 10)), memory=False))
        files = make.release(work / "dist", wheels=40, sdist_too=False)
        tools: dict[str, Command] = {"twine upload": twine, "uv publish": uv}
        baseline = (
            {} if source is None else {"releasekit publish, baseline": releasekit(None, source)}
        )
        plain = run_scenario(
            "plain",
            files,
            {**tools, **baseline, "releasekit publish": releasekit(None)},
            direct,
            args.rounds,
            work,
        )
        print(table("40 wheels, local pypiserver", plain, memory=False))
        if not args.skip_slow:
            slow_results = run_scenario(
                "slow",
                files,
                {**tools, "releasekit publish --jobs 8": releasekit(8)},
                slow,
                max(1, args.rounds // 2),
                work,
            )
            print(table("40 wheels, 300 ms per upload", slow_results, memory=False))
        if not args.skip_big:
            big_folder = work / "big"
            big_folder.mkdir()
            big = [big_wheel(big_folder, args.megabytes)]
            big_results = run_scenario(
                "big", big, {**tools, "releasekit publish": releasekit(None)}, direct, 3, work
            )
            print(table(f"one {args.megabytes} MB wheel", big_results, memory=True))
    shutil.rmtree(PYCACHE)
    print(f"python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs")
    harness = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"peak RSS of the harness itself: {harness} MiB")


if __name__ == "__main__":
    main()
