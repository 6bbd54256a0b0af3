"""What makes check and publish cheap to start and to stop keeps them correct.

The quick exit of ``check``, ``publish``, ``prepare`` and ``notes`` (no interpreter teardown),
the cycle collector off while the command line loads (and for ``prepare`` and ``notes``, to the
end), the metadata judged once
per distinct text, the secret masker's lazily compiled expression and the check's lazy imports:
each is tested here for the behaviour it must keep, in real processes where it matters.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from releasekit.check import check_files
from releasekit.index.target import Credentials
from releasekit.redaction import SecretMasker
from tests import distfactory as make
from tests.servers import pypiserver
from tests.support import CHANGELOG, PYPROJECT, RepoBuilder, loaded_modules

# Run the executable's entry as the installed command does, with an atexit handler and an
# object whose finalizer only the interpreter's teardown would call.
_ENTRY = """
import atexit, gc, sys

class Teardown:
    def __del__(self):
        sys.stderr.write("teardown ran\\n")

keep = Teardown()
atexit.register(lambda: print("atexit ran", flush=True))
# atexit runs the last registered first: this line comes just before "atexit ran".
atexit.register(lambda: print(f"collector on: {gc.isenabled()}"))
sys.argv = ["releasekit", *sys.argv[1:]]
from releasekit.entry import main
main()
"""


def _folder(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _entry(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _ENTRY, *args],
        cwd=cwd,
        env={k: v for k, v in os.environ.items() if not k.startswith("RELEASEKIT_")},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )


def test_check_leaves_quickly_with_its_output_code_and_atexit_handlers(tmp_path: Path) -> None:
    """check exits without teardown, yet its report, its exit code and atexit handlers stay."""
    good = make.wheel(_folder(tmp_path / "good"))
    bad = make.wheel(
        _folder(tmp_path / "bad"), fields=make.with_fields(set_={"Summary": "x" * 600})
    )
    passed = _entry(tmp_path, "check", str(good))
    failed = _entry(tmp_path, "check", str(bad))
    assert 0 == passed.returncode, passed.stderr
    assert 1 == failed.returncode, failed.stderr
    for run in (passed, failed):
        assert run.stdout.rstrip().endswith("atexit ran"), run.stdout
        assert "teardown ran" not in run.stderr
    assert "0 error(s), 0 warning(s) in 1 file(s)" in passed.stdout
    assert "summary-too-long" in failed.stdout


def test_other_commands_and_usage_errors_keep_the_ordinary_exit(tmp_path: Path) -> None:
    """Other commands, and usage errors, still end with the teardown, the collector back on."""
    other = _entry(tmp_path, "build", "--help")
    usage = _entry(tmp_path, "check", "--no-such-option")
    assert 0 == other.returncode, other.stderr
    assert "teardown ran" in other.stderr
    assert 2 == usage.returncode
    assert "no such option" in usage.stderr.lower()
    assert "atexit ran" in usage.stdout
    for run in (other, usage):
        assert "collector on: True" in run.stdout.splitlines(), run.stdout  # back on once loaded


def test_history_commands_leave_quickly_without_the_collector(make_repo: RepoBuilder) -> None:
    """notes and prepare: output, exit code and atexit handlers kept; no collector, no teardown."""
    repo = make_repo({"pyproject.toml": PYPROJECT, "CHANGELOG.md": CHANGELOG}, tags=("v1.2.3",))
    repo.write({"feature.txt": "x"})
    repo.commit("feat: add the feature")
    head = repo.git("rev-parse", "HEAD")
    notes = _entry(repo.path, "notes", "--from-commits")
    nothing = _entry(repo.path, "notes", "--from-commits", "--package", "nope")
    prepared = _entry(repo.path, "prepare", "auto", "--yes")
    assert 0 == notes.returncode, notes.stderr
    assert "add the feature" in notes.stdout
    assert 2 == nothing.returncode, nothing.stderr
    assert 0 == prepared.returncode, prepared.stderr
    # The release is whole: committed and tagged, nothing left for a finalizer to write.
    assert "v1.3.0" == repo.git("describe", "--tags", "--exact-match")
    assert head == repo.git("rev-parse", "HEAD~1")
    assert "" == repo.git("status", "--porcelain")
    for run in (notes, nothing, prepared):
        assert run.stdout.rstrip().endswith("atexit ran"), run.stdout
        assert "teardown ran" not in run.stderr
        assert "collector on: False" in run.stdout.splitlines(), run.stdout


def test_same_metadata_in_many_files_gives_each_file_its_findings(tmp_path: Path) -> None:
    """Metadata judged once still yields every finding for every file, in the usual order."""
    fields = make.with_fields(set_={"Summary": "y" * 600}, add=[("Author-email", "joe@localhost")])
    paths = [
        make.wheel(tmp_path, fields=fields, tags=tag)
        for tag in ("cp312-cp312-win_amd64", "cp313-cp313-win_amd64")
    ]
    other = make.wheel(_folder(tmp_path / "other"), fields=make.with_fields(drop=["Summary"]))
    findings = check_files([*paths, other])
    per_file = {
        path.name: [(f.code, f.severity) for f in findings if f.file == path.name]
        for path in [*paths, other]
    }
    expected = [("email-invalid", "error"), ("summary-too-long", "error")]
    assert expected == per_file[paths[0].name]
    assert expected == per_file[paths[1].name]
    assert [] == per_file[other.name]


def test_masker_finds_encoded_forms_after_plain_texts() -> None:
    """The expression for encoded forms, compiled on first need, masks them as before."""
    token = "pypi-AgEIcHlwaS5vcmc" + "Zq3_k-9" * 28
    masker = SecretMasker(Credentials("__token__", token).secrets())
    assert "sent ********; done" == masker(f"sent {token}; done")
    percent = token[:5] + "%41" + token[6:]  # the A written %41
    assert "echo ******** end" == masker(f"echo {percent} end")
    html_escaped = token.replace("_", "&#x5F;", 1)
    assert "[********]" == masker(f"[{html_escaped}]")
    masker.add(["later-secret"])
    assert "a ******** b ********" == masker(f"a later&#45;secret b {token}")
    assert "a 100% b" == masker("a 100% b")


def test_plain_check_imports_nothing_it_does_not_need(tmp_path: Path) -> None:
    """Checking wheels outside a project: no HTTP, no tar, no worker processes, no git."""
    paths = [
        make.wheel(_folder(tmp_path / "dist"), tags=f"cp31{n}-cp31{n}-win_amd64") for n in range(3)
    ]
    code, modules, stderr = loaded_modules(tmp_path, "check", *map(str, paths))
    assert 0 == code, stderr
    unneeded = {
        "urllib3",  # only --against-index
        "tarfile",  # only sdists
        "multiprocessing",  # worker threads, not processes, open large batches
        "concurrent.futures.process",
        "releasekit.dist_versions",  # only inside a project
        "releasekit.build",
    }
    assert [] == sorted(m for m in modules if m in unneeded or m.split(".")[0] in unneeded)


def test_publish_leaves_quickly_once_its_threads_have_ended(tmp_path: Path) -> None:
    """The deadlines' watchdog thread is gone when publish ends: it leaves without teardown."""
    files = make.release(_folder(tmp_path / "dist"), wheels=3, sdist_too=True)
    packages = _folder(tmp_path / "packages")
    with pypiserver(packages) as url:
        run = subprocess.run(
            [sys.executable, "-c", _ENTRY, "publish", "--repository-url", url, *map(str, files)],
            cwd=tmp_path,
            env={
                **{k: v for k, v in os.environ.items() if not k.startswith("RELEASEKIT_")},
                "RELEASEKIT_TOKEN": "pypi-AgEIcHlwaS5vcmcCJGRlbW8tZml4ZWQtY29zdA",
                "RELEASEKIT_INDEX_URL": url + "simple/",
            },
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
    assert 0 == run.returncode, run.stderr
    assert 4 == len(list(packages.iterdir()))
    assert run.stdout.rstrip().endswith("atexit ran"), run.stdout
    assert "teardown ran" not in run.stderr
