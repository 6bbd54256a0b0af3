"""Benchmark: ``releasekit check`` against ``twine check``, side by side on the same files.

Two corpora:

- readme: five projects, each with one sdist and eight wheels (one per Python tag), each with a
  long reStructuredText README (rendering is the cost);
- compiled: one release of 107 wheels (15 Python tags by 7 platforms, plus 2) holding random,
  incompressible "extension modules", about 48 MB in all (archive reading is the cost).

Both tools run as installed commands, alternately, several rounds; the median wall time is
reported.

    uv run python benchmarks/bench_check.py [--rounds N] [--corpus readme|compiled|both]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import distfactory as make  # the same builders the tests use

PYTHON_TAGS = ["cp39", "cp310", "cp311", "cp312", "cp313", "cp314", "pp310", "pp311"]


def long_readme(project: str) -> str:
    """About 40 KB of reStructuredText with sections, lists, code and links."""
    section = (
        "Section {n}\n----------\n\n"
        "Some *emphasis*, ``literal code`` and a `link <https://example.org/{n}>`_.\n\n"
        "- item one of {n}\n- item two with **strong** text\n\n"
        ".. code-block:: python\n\n   def f{n}(x):\n       return x * {n}\n\n"
    )
    title = f"{project}\n{'=' * len(project)}\n\n"
    return title + "".join(section.format(n=n) for n in range(150))


def make_corpus(folder: Path) -> list[Path]:
    """The 45 distribution files."""
    paths = []
    for index in range(5):
        project = f"bench_pkg{index}"
        fields = make.with_fields(
            set_={"Name": project, "Description-Content-Type": "text/x-rst"},
        )
        readme = long_readme(project)
        for tag in PYTHON_TAGS:
            paths.append(
                make.wheel(
                    folder,
                    fields=fields,
                    body=readme,
                    tags=f"{tag}-none-any",
                    filename=f"{project}-1.0.0-{tag}-none-any.whl",
                    dist_info=f"{project}-1.0.0.dist-info",
                )
            )
        paths.append(
            make.sdist(
                folder,
                fields=fields,
                body=readme,
                filename=f"{project}-1.0.0.tar.gz",
                top=f"{project}-1.0.0",
                extra={f"{project}-1.0.0/LICENSE": b"MIT License\n"},
            )
        )
    return paths


COMPILED_PYTHONS = [
    *("cp36", "cp37", "cp38", "cp39", "cp310", "cp311", "cp312", "cp313", "cp313t", "cp314"),
    *("cp314t", "pp38", "pp39", "pp310", "pp311"),
]
COMPILED_TAGS = [
    f"{python}-{python}-{platform}"
    for python in COMPILED_PYTHONS
    for platform in [
        "manylinux_2_17_x86_64",
        "manylinux_2_17_aarch64",
        "musllinux_1_2_x86_64",
        "musllinux_1_2_aarch64",
        "macosx_11_0_arm64",
        "macosx_10_9_x86_64",
        "win_amd64",
    ]
] + ["cp312-abi3-win32", "cp312-abi3-win_arm64"]


def machine_code(rng: random.Random, vocabulary: bytes, size: int) -> bytes:
    """Random bytes that compress like extension modules do (to about 40%)."""
    out = bytearray()
    while len(out) < size:
        if rng.random() < 0.3:  # noqa: PLR2004  # the share of fresh bytes sets the ratio
            out += rng.randbytes(rng.randrange(16, 128))
        else:
            start = rng.randrange(0, len(vocabulary) - 256)
            out += vocabulary[start : start + rng.randrange(16, 256)]
    return bytes(out[:size])


def make_compiled(folder: Path, megabytes: int = 48) -> list[Path]:
    """107 wheels of one release, each with three extension modules; ``megabytes`` in all."""
    rng = random.Random(107)  # noqa: S311  # test data, not secrets
    vocabulary = rng.randbytes(1 << 14)
    # Deflate keeps about 40% of machine_code's bytes; the rest of a wheel is negligible.
    per_member = int((megabytes << 20) / 0.39) // (len(COMPILED_TAGS) * 3)
    paths = []
    for tag in COMPILED_TAGS:
        files = {
            f"demo_pkg/_ext{n}.so": machine_code(rng, vocabulary, per_member) for n in range(3)
        }
        paths.append(make.wheel(folder, tags=tag, files=files))
    return paths


# Installed tools run from compiled bytecode (pip and uv write it at install); a tree run with
# PYTHONDONTWRITEBYTECODE would compile every module on every run instead. The cache goes to a
# folder of its own, outside the source tree, and a warm-up run of each command fills it.
PYCACHE = Path(tempfile.mkdtemp(prefix="bench-pycache-"))
ENV = {
    **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
    "PYTHONPYCACHEPREFIX": str(PYCACHE),
}


def timed(command: list[str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system, worker processes included) of one run.

    The exit code is ignored (findings do not matter here). CPU time says what a run costs
    when the machine is shared: wall time then depends on what else runs.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=ENV
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def compare(files: list[str], rounds: int) -> None:
    """Time both tools on ``files`` alternately, print a Markdown table."""
    bin_dir = Path(sys.executable).parent
    tools = {
        "twine check": [str(bin_dir / "twine"), "check", *files],
        "releasekit check": [str(bin_dir / "releasekit"), "check", *files],
    }
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in tools}
    for command in tools.values():  # warm-up: fills the bytecode cache and the page cache
        timed(command)
    for _ in range(rounds):
        for name, command in tools.items():
            results[name].append(timed(command))
    twine = statistics.median(wall for wall, _ in results["twine check"])
    size = sum(Path(f).stat().st_size for f in files) / (1 << 20)
    print(f"{len(files)} files, {size:.1f} MiB, median of {rounds} rounds\n")
    print("| tool | median (s) | min (s) | vs twine | CPU median (s) |")
    print("|---|---|---|---|---|")
    for name, runs in results.items():
        walls = [wall for wall, _ in runs]
        median = statistics.median(walls)
        cpu = statistics.median(cpu for _, cpu in runs)
        print(f"| {name} | {median:.2f} | {min(walls):.2f} | {twine / median:.1f}x | {cpu:.2f} |")
    print()


def main() -> None:
    """Build each corpus, time both tools alternately on it, print Markdown tables."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--corpus", choices=["readme", "compiled", "both"], default="both")
    args = parser.parse_args()
    corpora = {"readme": make_corpus, "compiled": make_compiled}
    for name, build in corpora.items():
        if args.corpus not in {name, "both"}:
            continue
        folder = Path(tempfile.mkdtemp(prefix=f"bench-check-{name}-"))
        try:
            print(f"### {name}\n")
            compare([str(p) for p in build(folder)], args.rounds)
        finally:
            shutil.rmtree(folder)
    shutil.rmtree(PYCACHE)


if __name__ == "__main__":
    main()
