"""Benchmark: ``releasekit check`` against ``twine check`` on the same 40 wheels and 5 sdists.

Five projects, each with one sdist and eight wheels (one per Python tag), each with a long
reStructuredText README. Both tools run as installed commands, alternately, several rounds; the
median wall time is reported.

    uv run python benchmarks/bench_check.py [--rounds N]
"""

from __future__ import annotations

import argparse
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


def timed(command: list[str]) -> float:
    """Wall time of one run; the exit code is ignored (findings do not matter here)."""
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> None:
    """Build the corpus, time both tools alternately, print a Markdown table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    bin_dir = Path(sys.executable).parent
    folder = Path(tempfile.mkdtemp(prefix="bench-check-"))
    try:
        files = [str(p) for p in make_corpus(folder)]
        tools = {
            "twine check": [str(bin_dir / "twine"), "check", *files],
            "releasekit check": [str(bin_dir / "releasekit"), "check", *files],
        }
        results: dict[str, list[float]] = {name: [] for name in tools}
        for _ in range(rounds):
            for name, command in tools.items():
                results[name].append(timed(command))
        twine = statistics.median(results["twine check"])
        print(f"{len(files)} files, median of {rounds} rounds\n")
        print("| tool | median (s) | min (s) | vs twine |")
        print("|---|---|---|---|")
        for name, times in results.items():
            median = statistics.median(times)
            print(f"| {name} | {median:.2f} | {min(times):.2f} | {twine / median:.1f}x |")
    finally:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
