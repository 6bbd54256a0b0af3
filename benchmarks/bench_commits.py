"""Benchmark: versions and changelogs from Conventional Commits, beside tools that do it already.

Side by side in one run, on histories this script writes with ``git fast-import``:
releasekit, python-semantic-release, commitizen, git-cliff, and ``git log`` itself as the floor.

Histories (``--commits`` commits each, 20,000 by default; generation is not timed):

- ``no tags``: no release tag at all, so the next version reads every commit;
- ``tag every 200``: a release tag on every 200th commit (100 tags), the newest 199 commits
  unreleased;
- ``tag every 20``: a release tag on every 20th commit (1,000 tags), 19 commits unreleased.

One linear branch ``main``. Each commit changes or adds one small file under ``src/bench/`` (the
tree grows to about 6,000 files) and carries a Conventional Commits message drawn with a fixed
seed: feat, fix, perf, docs, chore, refactor, test, ci, build, style and revert subjects, scopes
on half of them, bodies of one to four lines on most, ``Refs:``/``Closes``/``Co-authored-by:``
footers, a few ``!`` and ``BREAKING CHANGE:``/``BREAKING-CHANGE:`` footers, a few accented
words, and about 5% malformed subjects ("WIP", "Update README.md"). No merge commits. Release
commits (``chore(release): X.Y.Z``) set ``[project] version`` in ``pyproject.toml`` and add the
release's heading under ``## [Unreleased]`` in ``CHANGELOG.md``; they carry annotated tags
``vX.Y.Z`` (``git tag -a`` style), rising in semver order by the Conventional Commits rule over
each release's commits (breaking -> major, feat -> minor, otherwise patch). The first commit is
``1.0.0`` (tagged in the tagged histories). The remote ``origin`` is a bare clone in the next
folder (python-semantic-release needs one), so every tool works offline and releasekit's dry run
compares with a real, local remote.

Columns (each tool's own command for the job; "n/a" where it has none):

- next version: releasekit ``prepare auto --dry-run`` (also drafts the changelog),
  ``semantic-release --noop version --print``, ``cz bump --get-next --yes``, ``git-cliff
  --bumped-version``; floor ``git log --format=%B vLAST..HEAD`` (the range a release reads;
  everything when there is no tag);
- draft: the next release's notes only: releasekit ``notes --from-commits``, ``cz changelog
  --dry-run --start-rev vLAST`` (``cz bump --dry-run --changelog-to-stdout`` prints the whole
  history's changelog here), ``git-cliff --unreleased --bump``; same floor;
- full changelog: releasekit ``notes --from-commits --all``, ``semantic-release changelog`` (with
  ``changelog.mode = "init"``, which rewrites the file from the whole history; the file is
  restored after every run, untimed), ``cz changelog --dry-run``, ``git-cliff``; floor ``git log
  --format=%B`` of everything.

Every command runs as an installed command, its output to /dev/null, from the generated
repository. The first run of each (the warm-up, untimed) is checked: a command that fails is
reported with a line of its error and never timed; its output is summarised in a second
table (the version it printed, the release headings and entries it wrote) so that one can see
it read the whole range. Then ``--rounds`` rounds, the tools alternating; median wall time.
With ``--baseline``, each table is followed by how much faster releasekit is than the baseline
within each round (mean and standard error): the two run one after the other, so the drift of a
busy machine cancels out.
Python tools run from compiled bytecode, kept in a temporary ``PYTHONPYCACHEPREFIX`` that the
warm-up fills (as in the other benchmarks).

The competitors are installed from the package index, at the versions pinned in ``PINS`` (the
newest when this was written), each into its own virtual environment (``uv venv`` + ``uv pip
install``) under ``<system temp>/releasekit-bench-tools/``, made once and reused. A tool that
cannot be installed is reported as such. releasekit is installed the same way, from this tree
(not the development environment's editable install), into a fresh environment for the run.

    uv run python benchmarks/bench_commits.py [--rounds N] [--commits N] [--intervals 0,200,20]
        [--only releasekit,git,semantic-release,commitizen,git-cliff] [--timeout S] [--keep DIR]
        [--baseline OLD/src]

A quick run: ``--commits 2000 --rounds 1``. The full run takes about 25 minutes on two cores,
most of it git-cliff on the 1,000-tag history (about 100 s a run). Results and how to read them:
``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]  # this tree, whose releasekit is measured
PINS = {"python-semantic-release": "10.7.0", "commitizen": "4.19.3", "git-cliff": "2.14.2"}
TOOLS_HOME = Path(tempfile.gettempdir()) / "releasekit-bench-tools"
TOOLS = ("git", "releasekit", "semantic-release", "commitizen", "git-cliff")
COLUMNS = ("next version", "draft", "full changelog")
# Installed tools run from compiled bytecode; a tree run with PYTHONDONTWRITEBYTECODE would
# compile every module on every run instead. The cache goes to a folder of its own, outside the
# source tree, and the warm-up run of each command fills it.
PYCACHE = Path(tempfile.mkdtemp(prefix="bench-pycache-"))
ENV = {
    **{
        k: v
        for k, v in os.environ.items()
        if k != "PYTHONDONTWRITEBYTECODE" and not k.startswith(("RELEASEKIT_", "GIT_", "CZ_"))
    },
    "PYTHONPYCACHEPREFIX": str(PYCACHE),
    "NO_COLOR": "1",
    "GIT_CONFIG_NOSYSTEM": "1",
}

# ---------------------------------------------------------------------------------------------
# The histories
# ---------------------------------------------------------------------------------------------

# (type, weight); "" is a malformed subject. Weights add up to 100.
TYPES = [
    ("feat", 24),
    ("fix", 28),
    ("perf", 3),
    ("docs", 9),
    ("chore", 9),
    ("refactor", 8),
    ("test", 6),
    ("ci", 3),
    ("build", 2),
    ("style", 2),
    ("revert", 1),
    ("", 5),
]
SCOPES = ["api", "cli", "parser", "config", "docs", "deps", "core", "io", "auth", "cache"]
VERBS = ["add", "handle", "support", "remove", "rename", "speed up", "document", "validate"]
NOUNS = [
    "the retry loop",
    "empty input",
    "unicode paths",
    "the config loader",
    "large files",
    "the token cache",
    "windows line endings",
    "the progress bar",
    "a naïve date parser",
    "the Größe field",
    "nested tables",
    "the exit code",
]
WORDS = [
    *("the", "a", "when", "it", "this", "that", "value", "file", "path", "error", "case"),
    *("test", "user", "option", "before", "after", "because", "so", "now", "also", "never"),
    *("always", "returns", "reads", "writes", "keeps", "drops", "first", "last", "each"),
]
MALFORMED = ["WIP", "Update README.md", "fixed the build", "more tests", "feat add thing", "oops"]
AUTHORS = [
    ("Ada Example", "ada@example.org"),
    ("Björn Sample", "bjorn@example.org"),
    ("Chen Demo", "chen@example.org"),
    ("Dee Placeholder", "dee@example.org"),
]
START = 1_577_836_800  # 2020-01-01T00:00:00Z; commits one hour apart
SEMVER_TAIL = re.compile(r"(\d+)\.(\d+)\.(\d+)\s*$")


def pyproject(version: str) -> str:
    """The project file, with each competitor's minimal settings for this layout."""
    return f"""\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "bench"
version = "{version}"
description = "A generated project for the commit benchmarks."

[tool.semantic_release]
version_toml = ["pyproject.toml:project.version"]
tag_format = "v{{version}}"
commit_parser = "conventional"

[tool.semantic_release.changelog]
mode = "init"

[tool.semantic_release.changelog.default_templates]
changelog_file = "CHANGELOG.md"

[tool.commitizen]
name = "cz_conventional_commits"
version_provider = "pep621"
tag_format = "v$version"
update_changelog_on_bump = false
"""


CHANGELOG_HEAD = """\
# Changelog

All notable changes to this project are documented here.

## [Unreleased]
"""


@dataclass
class Kind:
    """What one generated commit counts as, by the Conventional Commits rule."""

    type: str  # "" for malformed
    breaking: bool


@dataclass
class History:
    """A generated repository and what a correct tool would find in it."""

    name: str
    path: Path
    tags: list[str]
    commits: int
    expected_next: str
    unreleased: int  # commits after the last tag
    types: Counter[str] = field(default_factory=Counter)  # over the whole history


def bump(version: tuple[int, int, int], kinds: list[Kind]) -> tuple[int, int, int]:
    """The next version by breaking -> major, feat -> minor, anything else -> patch."""
    major, minor, patch = version
    if any(k.breaking for k in kinds):
        return (major + 1, 0, 0)
    if any(k.type == "feat" for k in kinds):
        return (major, minor + 1, 0)
    return (major, minor, patch + 1)


def message(rng: random.Random, number: int) -> tuple[str, Kind]:
    """One commit message and its kind."""
    kind = rng.choices([t for t, _ in TYPES], weights=[w for _, w in TYPES])[0]
    if not kind:
        return f"{rng.choice(MALFORMED)}\n", Kind("", breaking=False)
    scope = f"({rng.choice(SCOPES)})" if rng.random() < 0.5 else ""  # noqa: PLR2004
    bang = kind in {"feat", "fix", "refactor"} and rng.random() < 0.002  # noqa: PLR2004
    description = f"{rng.choice(VERBS)} {rng.choice(NOUNS)}"
    if kind == "revert":
        description = f'revert "fix: {rng.choice(VERBS)} {rng.choice(NOUNS)}"'
    lines = [f"{kind}{scope}{'!' if bang else ''}: {description} ({number})"]
    if rng.random() < 0.7:  # noqa: PLR2004
        body = [
            " ".join(rng.choices(WORDS, k=rng.randrange(6, 14))) for _ in range(rng.randrange(1, 5))
        ]
        lines += ["", *body]
    footers = []
    if rng.random() < 0.3:  # noqa: PLR2004
        footers.append(f"Refs: #{rng.randrange(1, 5000)}")
    if rng.random() < 0.1:  # noqa: PLR2004
        footers.append(f"Closes #{rng.randrange(1, 5000)}")
    if rng.random() < 0.05:  # noqa: PLR2004
        name, email = rng.choice(AUTHORS)
        footers.append(f"Co-authored-by: {name} <{email}>")
    footer_break = kind in {"feat", "fix", "refactor"} and rng.random() < 0.002  # noqa: PLR2004
    if footer_break:
        token = rng.choice(["BREAKING CHANGE", "BREAKING-CHANGE"])
        footers.append(f"{token}: {rng.choice(NOUNS)} works differently now")
    if footers:
        lines += ["", *footers]
    return "\n".join(lines) + "\n", Kind(kind, breaking=bang or footer_break)


def _data(text: str) -> bytes:
    raw = text.encode()
    return b"data %d\n" % len(raw) + raw + b"\n"


def load(folder: Path, stream: bytes) -> None:
    """Import ``stream``, check ``main`` out, and give it a remote."""
    subprocess.run(
        ["git", "fast-import", "--quiet", "--done"], input=stream, cwd=folder, check=True, env=ENV
    )
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=folder, check=True, env=ENV)
    # python-semantic-release needs a remote; a bare clone beside it keeps every tool offline.
    bare = folder.with_name(folder.name + ".git")
    for argv in (
        ["git", "clone", "-q", "--bare", str(folder), str(bare)],
        ["git", "-C", str(folder), "remote", "add", "origin", str(bare)],
        ["git", "-C", str(folder), "fetch", "-q", "origin"],
        ["git", "-C", str(folder), "branch", "-q", "--set-upstream-to", "origin/main"],
    ):
        subprocess.run(argv, check=True, env=ENV)


def generate(folder: Path, name: str, commits: int, interval: int, seed: int) -> History:
    """Write the history with one ``git fast-import`` and check it out; ``interval`` 0: no tags."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(folder)], check=True, env=ENV)
    rng = random.Random(seed)  # noqa: S311  # test data, not secrets
    stream: list[bytes] = []
    files: list[str] = []
    version = (1, 0, 0)
    changelog = CHANGELOG_HEAD
    pending: list[Kind] = []
    tags: list[str] = []
    types: Counter[str] = Counter()
    for number in range(commits):
        author, email = AUTHORS[number % len(AUTHORS)]
        stamp = f"{author} <{email}> {START + 3600 * number} +0000"
        release = interval > 0 and number % interval == 0
        changes: list[tuple[str, str]] = []
        if number == 0:
            text = "chore: start the project\n" if not release else "chore(release): 1.0.0\n"
            changes = [
                ("pyproject.toml", pyproject("1.0.0")),
                ("CHANGELOG.md", changelog),
                ("README.md", "# bench\n\nA generated project.\n"),
            ]
        elif release:
            version = bump(version, pending)
            pending = []
            dotted = ".".join(map(str, version))
            date = time.strftime("%Y-%m-%d", time.gmtime(START + 3600 * number))
            changelog = changelog.replace(
                "## [Unreleased]\n",
                f"## [Unreleased]\n\n## [{dotted}] - {date}\n\n- Released {interval} commits.\n",
                1,
            )
            text = f"chore(release): {dotted}\n"
            changes = [("pyproject.toml", pyproject(dotted)), ("CHANGELOG.md", changelog)]
        else:
            text, kind = message(rng, number)
            pending.append(kind)
            types[kind.type or "malformed"] += 1
            types["breaking"] += kind.breaking
            if not files or rng.random() < 0.3:  # noqa: PLR2004
                files.append(f"src/bench/part{len(files) // 100:03d}/mod{len(files):05d}.py")
                path = files[-1]
            else:
                path = rng.choice(files)
            changes = [(path, f'"""Module {path}."""\n\nVALUE = {number}\n')]
        stream.append(b"commit refs/heads/main\nmark :%d\n" % (number + 1))
        stream.append(f"author {stamp}\ncommitter {stamp}\n".encode())
        stream.append(_data(text))
        for path, content in changes:
            stream.append(f"M 100644 inline {path}\n".encode() + _data(content))
        stream.append(b"\n")
        if release:
            tag = f"v{'.'.join(map(str, version))}"
            tags.append(tag)
            stream.append(f"tag {tag}\nfrom :{number + 1}\ntagger {stamp}\n".encode())
            stream.append(_data(f"Release {tag[1:]}\n"))
    stream.append(b"done\n")
    load(folder, b"".join(stream))
    unreleased = commits - 1 - (commits - 1) // interval * interval if interval else commits
    expected = ".".join(map(str, bump(version, pending)))
    return History(name, folder, tags, commits, expected, unreleased, types)


# ---------------------------------------------------------------------------------------------
# The tools
# ---------------------------------------------------------------------------------------------


def _environment(home: Path, requirement: str) -> str | None:
    """Make a fresh virtual environment at ``home`` holding ``requirement``; why not, if not."""
    uv = shutil.which("uv") or str(BIN / "uv")
    steps = [
        [uv, "venv", "-q", "--clear", "--python", sys.executable, str(home)],
        [
            uv,
            "pip",
            "install",
            "-q",
            "--compile-bytecode",
            "--python",
            str(home / "bin" / "python"),
            requirement,
        ],
    ]
    for step in steps:
        result = subprocess.run(step, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            lines = (result.stderr or result.stdout).strip().splitlines() or ["no output"]
            return f"not installable: {lines[-1][:120]}"
    return None


def install(package: str, version: str) -> Path | str:
    """The ``bin`` folder of a virtual environment holding ``package==version``, or why not."""
    home = TOOLS_HOME / f"{package}-{version}-py{sys.version_info[0]}{sys.version_info[1]}"
    ready = home / ".installed"
    if ready.exists():
        return home / "bin"
    failed = _environment(home, f"{package}=={version}")
    if failed is not None:
        return failed
    ready.touch()
    return home / "bin"


def install_releasekit(work: Path) -> Path:
    """The ``bin`` folder of a virtual environment holding this tree's releasekit.

    Installed from the tree (built by its build backend), alone in its environment as the tools
    it is compared with are: the development environment's editable install and its test
    dependencies' ``.pth`` files add start-up work (about 5 ms) that no user's install has.
    """
    home = work / "releasekit-env"
    failed = _environment(home, str(ROOT))
    if failed is not None:
        raise SystemExit(f"releasekit: {failed}")
    return home / "bin"


@dataclass
class Command:
    """One tool's command for one column, or why there is none."""

    argv: list[str] | None
    reason: str = ""  # "n/a", "not installable: ...", "failed: ...", "not built yet: ..."
    reads_file: str | None = None  # the tool writes its result here instead of stdout
    env: dict[str, str] | None = None  # added to ENV (the baseline's PYTHONPATH)


def commands(
    history: History, bins: dict[str, Path | str], releasekit: Path, baseline: Path | None = None
) -> dict[str, dict[str, Command]]:
    """Every tool's command per column for ``history``.

    ``releasekit`` is the ``bin`` folder releasekit is installed in. With ``baseline`` (another
    tree's ``src`` folder), that tree's releasekit too, as ``releasekit baseline``, run by the
    same Python.
    """
    last = history.tags[-1] if history.tags else None
    rng_range = [f"{last}..HEAD"] if last else []
    git = ["git", "--no-pager", "log", "--format=%B"]
    command = str(releasekit / "releasekit")
    table: dict[str, dict[str, Command]] = {
        "git": {
            "next version": Command([*git, *rng_range]),
            "draft": Command([*git, *rng_range]),
            "full changelog": Command(git),
        },
        "releasekit": {
            "next version": Command([command, "prepare", "auto", "--dry-run"]),
            "draft": Command([command, "notes", "--from-commits"]),
            "full changelog": Command([command, "notes", "--from-commits", "--all"]),
        },
    }

    if baseline is not None:
        other = [str(releasekit / "python"), "-m", "releasekit"]
        path = {"PYTHONPATH": str(baseline)}
        table["releasekit baseline"] = {
            "next version": Command([*other, "prepare", "auto", "--dry-run"], env=path),
            "draft": Command([*other, "notes", "--from-commits"], env=path),
            "full changelog": Command([*other, "notes", "--from-commits", "--all"], env=path),
        }

    def tool(name: str, package: str, columns: dict[str, Command]) -> None:
        where = bins.get(package)
        if isinstance(where, str):
            columns = {column: Command(None, where) for column in COLUMNS}
        table[name] = columns

    psr = bins.get("python-semantic-release")
    psr_bin = str(psr / "semantic-release") if isinstance(psr, Path) else ""
    tool(
        "semantic-release",
        "python-semantic-release",
        {
            "next version": Command([psr_bin, "--noop", "version", "--print"]),
            "draft": Command(None, "n/a"),
            "full changelog": Command([psr_bin, "changelog"], reads_file="CHANGELOG.md"),
        },
    )
    start = ["--start-rev", last] if last else []
    cz = bins.get("commitizen")
    cz_bin = str(cz / "cz") if isinstance(cz, Path) else ""
    tool(
        "commitizen",
        "commitizen",
        {
            "next version": Command([cz_bin, "bump", "--get-next", "--yes"]),
            "draft": Command([cz_bin, "changelog", "--dry-run", *start]),
            "full changelog": Command([cz_bin, "changelog", "--dry-run"]),
        },
    )
    cliff = bins.get("git-cliff")
    cliff_bin = str(cliff / "git-cliff") if isinstance(cliff, Path) else ""
    tool(
        "git-cliff",
        "git-cliff",
        {
            "next version": Command([cliff_bin, "--bumped-version"]),
            "draft": Command([cliff_bin, "--unreleased", "--bump"]),
            "full changelog": Command([cliff_bin]),
        },
    )
    return table


# ---------------------------------------------------------------------------------------------
# Running and timing
# ---------------------------------------------------------------------------------------------


def restore(history: History, originals: dict[str, bytes]) -> None:
    """Put back the files a tool may have written (untimed)."""
    for name, data in originals.items():
        path = history.path / name
        if path.read_bytes() != data:
            path.write_bytes(data)


NOT_BUILT = ("No such option", "No such command", "NotImplementedError", "neither a bump")


def first_run(history: History, command: Command, timeout: float) -> tuple[str, str]:
    """The warm-up run: ("", output) when it worked, else (why, "")."""
    assert command.argv is not None
    try:
        result = subprocess.run(
            command.argv,
            cwd=history.path,
            env={**ENV, **(command.env or {})},
            capture_output=True,
            check=False,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return f"timed out after {timeout:.0f} s", ""
    stdout = result.stdout.decode(errors="replace")
    stderr = result.stderr.decode(errors="replace")
    if command.reads_file:
        stdout = (history.path / command.reads_file).read_text(errors="replace")
    if result.returncode != 0:
        lines = [line.strip() for line in (stderr or stdout).splitlines() if line.strip()]
        errors = [line for line in lines if "error" in line.lower()]
        detail = (errors or lines or ["no output"])[-1 if not errors else 0]
        # While releasekit's commands are being written: an option or subcommand it does not
        # know yet, or a body still raising NotImplementedError. Any other failure is a failure.
        missing = any(sign in stderr for sign in NOT_BUILT)
        prefix = "not built yet" if "releasekit" in command.argv[0] and missing else "failed"
        return f"{prefix} (exit {result.returncode}): {detail[:100]}", ""
    return "", stdout


def timed(history: History, argv: list[str], env: dict[str, str] | None = None) -> float:
    """Wall time of one run, its output thrown away.

    No timeout here (the warm-up had one): ``subprocess`` waits for a timeout by polling in
    steps of up to 50 ms, which would round every time up to the next step.
    """
    start = time.perf_counter()
    subprocess.run(
        argv,
        cwd=history.path,
        env={**ENV, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return time.perf_counter() - start


VERSION_HEADING = re.compile(r"^#{1,3} .*?v?\d+\.\d+\.\d+", re.MULTILINE)
ENTRY = re.compile(r"^\s*[-*] ", re.MULTILINE)


def summary(column: str, output: str) -> str:
    """What a run printed, in a few words: the version, or headings and entries."""
    if column == "next version":
        found: list[str] = re.findall(r"\d+\.\d+\.\d+\S*", output)
        if found:
            return found[-1]
        lines = output.strip().splitlines()
        return lines[-1][:40] if lines else "(nothing)"
    return f"{len(VERSION_HEADING.findall(output))} h, {len(ENTRY.findall(output))} e"


@dataclass
class Result:
    """One history's measurements and what each tool printed."""

    times: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    notes: dict[tuple[str, str], str] = field(default_factory=dict)  # why untimed
    printed: dict[tuple[str, str], str] = field(default_factory=dict)


def measure(
    history: History, table: dict[str, dict[str, Command]], rounds: int, timeout: float
) -> Result:
    """Warm up and check every command, then time the working ones ``rounds`` times."""
    originals = {
        name: (history.path / name).read_bytes() for name in ("CHANGELOG.md", "pyproject.toml")
    }
    result = Result()
    runnable: list[tuple[str, str, list[str], dict[str, str] | None]] = []
    for tool, columns in table.items():
        for column, command in columns.items():
            key = (tool, column)
            if command.argv is None:
                result.notes[key] = command.reason
                continue
            why, output = first_run(history, command, timeout)
            restore(history, originals)
            if why:
                result.notes[key] = why
                continue
            result.printed[key] = summary(column, output)
            result.times[key] = []
            runnable.append((tool, column, command.argv, command.env))
    for number in range(rounds):
        for tool, column, argv, env in runnable:
            result.times[tool, column].append(timed(history, argv, env))
            restore(history, originals)
        print(f"  {history.name}: round {number + 1}/{rounds} done", file=sys.stderr)
    return result


def markdown(history: History, result: Result, tools: list[str]) -> str:
    """The history's tables: times with ratios to the floor, then what each tool printed."""
    floors = {
        column: statistics.median(result.times[("git", column)])
        for column in COLUMNS
        if result.times.get(("git", column))
    }
    lines = [
        f"### {history.name}: {history.commits:,} commits, {len(history.tags):,} tags, "
        f"{history.unreleased:,} unreleased",
        "",
        "| tool | next version (s) | x floor | draft (s) | x floor | full changelog (s) "
        "| x floor |",
        "|---|---|---|---|---|---|---|",
    ]
    for tool in tools:
        cells = []
        for column in COLUMNS:
            times = result.times.get((tool, column))
            note = result.notes.get((tool, column))
            if note or not times:
                cells += [note or "not run", ""]
                continue
            median = statistics.median(times)
            floor = floors.get(column)
            cells += [f"{median:.3f}", f"{median / floor:.1f}x" if floor else ""]
        lines.append(f"| {tool} | " + " | ".join(cells) + " |")
    lines += _paired(result)
    breaking = history.types["breaking"]
    counts = ", ".join(
        f"{name} {count}" for name, count in sorted(history.types.items()) if name != "breaking"
    )
    counts += f"; {breaking} of them breaking"
    lines += [
        "",
        f"Expected next version {history.expected_next}; {len(history.tags)} release headings "
        f"(+ unreleased). Commits by type: {counts}.",
        "",
        "| tool | next version printed | draft: headings, entries | full: headings, entries |",
        "|---|---|---|---|",
    ]
    for tool in tools:
        if tool == "git":
            continue
        cells = [result.printed.get((tool, column), "-") for column in COLUMNS]
        lines.append(f"| {tool} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _paired(result: Result) -> list[str]:
    """Releasekit against its baseline, run for run: each round runs both one after the other.

    A run's spread on a busy machine is larger than most changes; the difference within each
    round is not, so its mean and standard error tell a few milliseconds apart.
    """
    cells = []
    for column in COLUMNS:
        new = result.times.get(("releasekit", column))
        old = result.times.get(("releasekit baseline", column))
        if not new or not old or len(new) != len(old) or len(new) < 2:  # noqa: PLR2004
            continue
        gains = [(b - a) * 1000 for a, b in zip(new, old, strict=True)]
        error = statistics.stdev(gains) / len(gains) ** 0.5
        cells.append(f"{column} {statistics.mean(gains):+.1f} +- {error:.1f} ms")
    if not cells:
        return []
    return [
        "",
        "Faster than the baseline, paired by round (mean +- standard error): "
        + "; ".join(cells)
        + ".",
    ]


def version_of(argv: list[str]) -> str:
    """The first line a ``--version`` prints, or why not."""
    try:
        result = subprocess.run(argv, capture_output=True, text=True, check=False, env=ENV)
    except OSError as exc:
        return f"({exc.strerror})"
    lines = (result.stdout or result.stderr).strip().splitlines()
    return str(lines[0]) if lines else "?"


def _versions(releasekit: Path, bins: dict[str, Path | str]) -> list[str]:
    """What was measured: Python's, git's and every tool's version (or why it is missing)."""
    versions = [f"Python {sys.version.split()[0]}", version_of(["git", "--version"])]
    versions.append(version_of([str(releasekit / "releasekit"), "--version"]))
    for package, where in bins.items():
        versions.append(
            f"{package} {PINS[package]}" if isinstance(where, Path) else f"{package}: {where}"
        )
    return versions


def main() -> None:
    """Generate the histories, install the competitors, time everything, print Markdown."""
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--commits", type=int, default=20_000)
    parser.add_argument(
        "--intervals", default="0,200,20", help="a tag every N commits, per history; 0: no tags"
    )
    parser.add_argument("--only", default=",".join(TOOLS), help=f"some of {','.join(TOOLS)}")
    parser.add_argument("--timeout", type=float, default=600, help="per run, in seconds")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--keep", type=Path, help="generate the histories here and keep them")
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="SRC",
        help="also run another tree's releasekit (its src folder), as 'releasekit baseline'",
    )
    args = parser.parse_args()
    tools = [tool.strip() for tool in args.only.split(",") if tool.strip()]
    unknown = sorted(set(tools) - set(TOOLS))
    if unknown:
        parser.error(f"--only: unknown {', '.join(unknown)}; choose from {', '.join(TOOLS)}")
    tools = [tool for tool in TOOLS if tool in tools]
    baseline = args.baseline.resolve() if args.baseline is not None else None
    if baseline is not None:
        tools.insert(
            tools.index("releasekit") + 1 if "releasekit" in tools else 0, "releasekit baseline"
        )
    packages = {"semantic-release": "python-semantic-release", "commitizen": "commitizen"}
    packages["git-cliff"] = "git-cliff"
    bins: dict[str, Path | str] = {}
    for tool in tools:
        if tool in packages:
            print(f"installing {packages[tool]}=={PINS[packages[tool]]}", file=sys.stderr)
            bins[packages[tool]] = install(packages[tool], PINS[packages[tool]])
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-commits-"))
    print("installing releasekit from this tree", file=sys.stderr)
    releasekit = install_releasekit(work)
    versions = _versions(releasekit, bins)
    try:
        for interval in (int(part) for part in args.intervals.split(",")):
            name = f"tag every {interval}" if interval else "no tags"
            folder = work / name.replace(" ", "-")
            for old in (folder, folder.with_name(folder.name + ".git")):
                if old.exists():
                    shutil.rmtree(old)
            started = time.perf_counter()
            history = generate(folder, name, args.commits, interval, args.seed)
            took = time.perf_counter() - started
            print(f"{name}: generated in {took:.1f} s at {folder}", file=sys.stderr)
            table = {
                tool: columns
                for tool, columns in commands(history, bins, releasekit, baseline).items()
                if tool in tools
            }
            result = measure(history, table, args.rounds, args.timeout)
            print(markdown(history, result, tools), flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(PYCACHE, ignore_errors=True)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"Median of {args.rounds} rounds after a warm-up; {'; '.join(versions)}.")
    print(f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs, load average {load}.")


if __name__ == "__main__":
    main()
