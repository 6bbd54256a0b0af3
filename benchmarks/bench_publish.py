"""Benchmark: ``releasekit publish`` against ``twine upload`` and ``uv publish``, side by side.

Three scenarios, each tool uploading the same files to its own fresh pypiserver on 127.0.0.1:

1. plain: 40 small wheels to pypiserver directly.
2. slow: the same 40 wheels through a proxy that holds every upload 300 ms before passing it
   on, as a real index takes its time; releasekit runs with ``--jobs 8``.
3. big: one 300 MB wheel; wall time and peak resident memory (RSS) of the uploading process.

releasekit does all of its work in every run: the check of every file, the lookup by hash
before, and the verification after the upload. Servers start before the clock does.

    uv run python benchmarks/bench_publish.py [--rounds N] [--skip-big]
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
Command = Callable[[str, list[Path]], tuple[list[str], dict[str, str]]]


def twine(url: str, files: list[Path]) -> tuple[list[str], dict[str, str]]:
    """``twine upload`` (it needs some login; pypiserver without auth ignores it)."""
    command = [str(BIN / "twine"), "upload", "--non-interactive", "--disable-progress-bar"]
    env = {"TWINE_USERNAME": "bench", "TWINE_PASSWORD": "bench"}
    return [*command, "--repository-url", url, *map(str, files)], env


def uv(url: str, files: list[Path]) -> tuple[list[str], dict[str, str]]:
    """``uv publish``."""
    command = [str(BIN / "uv"), "publish", "--publish-url", url, "--trusted-publishing", "never"]
    env = {"UV_PUBLISH_USERNAME": "bench", "UV_PUBLISH_PASSWORD": "bench"}
    return [*command, *map(str, files)], env


def releasekit(jobs: int) -> Command:
    """``releasekit publish`` with ``jobs`` parallel uploads, lookups and verification on."""

    def command(url: str, files: list[Path]) -> tuple[list[str], dict[str, str]]:
        argv = [
            str(BIN / "releasekit"),
            "-q",
            "publish",
            "--repository-url",
            url,
            "--jobs",
            str(jobs),
        ]
        env = {
            "RELEASEKIT_USERNAME": "bench",
            "RELEASEKIT_PASSWORD": "bench",
            "RELEASEKIT_INDEX_URL": url.rstrip("/") + "/simple/",
        }
        return [*argv, *map(str, files)], env

    return command


_MEASURE = """
import resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE).returncode
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(code, elapsed, peak)
"""


def measure(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one run, measured in a fresh parent process."""
    result = subprocess.run(
        [sys.executable, "-c", _MEASURE, *argv],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    code, seconds, peak_kib = result.stdout.split()
    if code != "0":
        raise SystemExit(f"{argv[0]} failed ({code}): {result.stderr}")
    return float(seconds), int(peak_kib) / 1024


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
) -> dict[str, list[tuple[float, float]]]:
    """Each tool ``rounds`` times, alternating, each run against a fresh pypiserver."""
    results: dict[str, list[tuple[float, float]]] = {tool: [] for tool in tools}
    for round_number in range(rounds):
        for tool, command in tools.items():
            packages = work / f"{name}-{tool}-{round_number}"
            packages.mkdir()
            with pypiserver(packages) as url, route(url) as upload_url:
                argv, env = command(upload_url, files)
                results[tool].append(measure(argv, env))
            shutil.rmtree(packages)
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


def table(title: str, results: dict[str, list[tuple[float, float]]], memory: bool) -> str:
    """A Markdown table of median seconds (and peak RSS)."""
    lines = [f"### {title}", ""]
    header = "| tool | median s | min s |" + (" peak RSS MiB |" if memory else "")
    lines += [header, "|---" * (4 if memory else 3) + "|"]
    for tool, runs in results.items():
        seconds = [s for s, _ in runs]
        row = f"| {tool} | {statistics.median(seconds):.2f} | {min(seconds):.2f} |"
        if memory:
            row += f" {max(m for _, m in runs):.0f} |"
        lines.append(row)
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run the scenarios and print Markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--megabytes", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        files = make.release(work / "dist", wheels=40, sdist_too=False)
        tools: dict[str, Command] = {"twine upload": twine, "uv publish": uv}
        plain = run_scenario(
            "plain",
            files,
            {**tools, "releasekit publish": releasekit(4)},
            direct,
            args.rounds,
            work,
        )
        print(table("40 wheels, local pypiserver", plain, memory=False))
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
                "big", big, {**tools, "releasekit publish": releasekit(4)}, direct, 3, work
            )
            print(table(f"one {args.megabytes} MB wheel", big_results, memory=True))
    print(f"python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs")
    harness = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"peak RSS of the harness itself: {harness} MiB")


if __name__ == "__main__":
    main()
