"""The README's first command, run as a new user would: from a clean clone of this repository."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.support import git

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    """The commands of the README's "Try it" block, without their comments."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Try it\n.*?```bash\n(?P<body>.*?)```", text, re.DOTALL)
    assert block is not None, "README.md has no bash block under '## Try it'"
    return [line.split("#", 1)[0].strip() for line in block.group("body").splitlines()]


def test_the_readme_names_the_demo_and_the_tests() -> None:
    """The two commands are the demo and the test suite."""
    assert ["bash scripts/demo.sh", "bash scripts/test.sh"] == readme_commands()


def test_the_first_readme_command_rehearses_and_releases_from_a_clean_clone(
    tmp_path: Path,
) -> None:
    """A clean clone runs the demo: init, doctor, a passing rehearsal, then the real release."""
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--no-hardlinks", str(ROOT), str(clone))
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "RELEASEKIT_"))
    }
    result = subprocess.run(
        ["bash", "-c", readme_commands()[0]],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert 0 == result.returncode, output[-3000:]
    assert "Rehearsal of demo-package 0.2.0: passed" in output
    assert re.search(r"^install +ok .*demo-package==0\.2\.0", output, re.MULTILINE), output
    assert 'Committed "Release 0.2.0" and tagged v0.2.0.' in output
    assert "refs/tags/v0.2.0" in output  # pushed to the demo's bare remote


DISTRIBUTION_PYTHON = Path("/usr/bin/python3")


def test_uv_is_bootstrapped_on_an_externally_managed_python(tmp_path: Path) -> None:
    """With only the distribution's Python (PEP 668) and no uv, the scripts get uv privately."""
    marker = list(Path("/usr/lib").glob("python3*/EXTERNALLY-MANAGED"))
    if not DISTRIBUTION_PYTHON.exists() or not marker:
        pytest.fail("needs Debian's python3 (externally managed) at /usr/bin/python3: see .ci/run")
    refused = subprocess.run(
        [str(DISTRIBUTION_PYTHON), "-m", "pip", "install", "--dry-run", "uv"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "externally-managed-environment" in refused.stderr + refused.stdout
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--no-hardlinks", str(ROOT), str(clone))
    kept = ("HOME", "SSL_CERT_FILE", "SSL_CERT_DIR", "PIP_CERT", "REQUESTS_CA_BUNDLE")
    env = {key: os.environ[key] for key in kept if key in os.environ}
    env["PATH"] = "/usr/bin:/bin"  # no uv, and python3 is the distribution's
    result = subprocess.run(
        ["bash", "-c", ". scripts/_uv.sh && uv --version && command -v python3"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert 0 == result.returncode, result.stderr
    assert result.stdout.startswith("uv ")
    assert "/usr/bin/python3" == result.stdout.splitlines()[-1]
    assert (clone / ".bootstrap" / "bin" / "uv").exists()
    assert "" == git(clone, "status", "--porcelain")  # .bootstrap/ is ignored
