"""Every way a CI step uploads distributions, and to which index.

Projects upload with the PyPA action, with ``PyO3/maturin-action`` (``command: upload``), with a
command (twine, ``python -m twine``, uv, flit, poetry, hatch, pdm, maturin, releasekit), or with
a script of their own that reads the credentials from its environment (``TWINE_PASSWORD:
${{ secrets.PYPI_TOKEN }}`` and ``run: ./scripts/publish``). Each is an ``Upload`` with the index
it goes to (``pypi``, ``testpypi``, or the other index as written), and whether it is a dry run,
which uploads nothing. GitHub steps and GitLab script lines are read by the same functions.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping

from releasekit.records import frozen
from releasekit.yaml_nodes import Node

PUBLISH_ACTION = "pypa/gh-action-pypi-publish"
MATURIN_ACTION = "pyo3/maturin-action"
PYPI, TESTPYPI = "pypi", "testpypi"

# tool -> the subcommands that upload
_UPLOAD_VERBS: Mapping[str, frozenset[str]] = {
    "twine": frozenset({"upload"}),
    "uv": frozenset({"publish"}),
    "flit": frozenset({"publish"}),
    "poetry": frozenset({"publish"}),
    "hatch": frozenset({"publish"}),
    "pdm": frozenset({"publish"}),
    "maturin": frozenset({"publish", "upload"}),
    "releasekit": frozenset({"publish"}),
}
# Options that name the index, as the tools spell them.
_INDEX_OPTIONS = frozenset(
    {"--repository", "-r", "--repository-url", "--repo", "--index", "--publish-url", "--index-url"}
)
# Environment variables that name the index.
_INDEX_ENV = (
    "TWINE_REPOSITORY_URL",
    "TWINE_REPOSITORY",
    "UV_PUBLISH_URL",
    "UV_PUBLISH_INDEX",
    "MATURIN_REPOSITORY_URL",
    "MATURIN_REPOSITORY",
    "HATCH_INDEX_REPO",
    "PDM_PUBLISH_REPO",
    "FLIT_INDEX_URL",
    "RELEASEKIT_REPOSITORY",
    "RELEASEKIT_INDEX_URL",
)
# Variables that carry upload credentials to the tools above (and to scripts that call them).
CREDENTIAL_ENV = re.compile(
    r"^(TWINE_(PASSWORD|USERNAME)|UV_PUBLISH_(TOKEN|PASSWORD)|POETRY_PYPI_TOKEN_\w+"
    r"|POETRY_HTTP_BASIC_\w+_PASSWORD|RELEASEKIT_(TOKEN|PASSWORD)|FLIT_PASSWORD|HATCH_INDEX_AUTH"
    r"|PDM_PUBLISH_PASSWORD|MATURIN_PYPI_TOKEN|MATURIN_PASSWORD|PYPI_(API_)?TOKEN"
    r"|TEST_?PYPI_(API_)?TOKEN)$"
)
_PYTHON = re.compile(r"^(python[0-9.]*|py)$")


@frozen
class Upload:
    """One upload: what does it, where it goes, and whether it really uploads."""

    tool: str
    index: str  # pypi, testpypi, or the other index as written
    dry_run: bool
    line: int

    @property
    def trusted_publishing_offered(self) -> bool:
        """PyPI and TestPyPI offer trusted publishing; other indexes are not known to."""
        return self.index in {PYPI, TESTPYPI} or chosen_at_run_time(self.index)


def chosen_at_run_time(index: str) -> bool:
    """Whether the index is a whole ``${{ }}`` expression (``repository-url: ${{ env.URL }}``).

    Projects choose PyPI or TestPyPI that way in one job; doctor cannot tell which, so such an
    index may offer trusted publishing (unlike an address of another index with a part filled in).
    """
    text = index.strip()
    return text.startswith("${{") and text.endswith("}}")


def index_name(written: str) -> str:
    """``pypi``/``testpypi`` for PyPI's names and addresses; anything else as written."""
    text = written.strip().strip("'\"")
    lowered = text.lower().rstrip("/")
    if lowered in {"pypi", "main", "", "https://upload.pypi.org/legacy", "https://pypi.org"}:
        return PYPI
    if lowered in {"testpypi", "test", "test-pypi", "test.pypi"} or "test.pypi.org" in lowered:
        return TESTPYPI
    if "upload.pypi.org" in lowered or lowered.startswith("https://pypi.org/"):
        return PYPI
    return text


def from_secrets(value: str, ci: str) -> bool:
    """Whether an environment value comes from stored secrets.

    GitHub: ``secrets.``; GitLab: a ``$VARIABLE`` (its per-job ``CI_JOB_TOKEN`` is not stored).
    """
    if ci == "gitlab":
        return "$" in value and "CI_JOB_TOKEN" not in value
    return "secrets." in value


def is_secret_name(name: str) -> bool:
    """Whether a variable name carries an upload password or token (a user name does not)."""
    return bool(CREDENTIAL_ENV.match(name)) and not name.endswith("USERNAME")


def credential_names(env: Mapping[str, str], ci: str) -> list[str]:
    """The variables of ``env`` that carry upload credentials from stored secrets."""
    return [name for name, value in env.items() if is_secret_name(name) and from_secrets(value, ci)]


def _env_index(env: Mapping[str, str]) -> str | None:
    for name in _INDEX_ENV:
        if env.get(name):
            return index_name(env[name])
    for name, value in env.items():
        if name.startswith("POETRY_REPOSITORIES_") and name.endswith("_URL"):
            return index_name(value)
    return None


def shell_commands(script: str) -> list[list[str]]:
    """The script split into simple commands, each a list of words."""
    joined = re.sub(r"\\\n", " ", script)
    commands: list[list[str]] = []
    for line in joined.splitlines():
        for part in re.split(r"&&|\|\||;|\|", line):
            try:
                words = shlex.split(part, comments=True)
            except ValueError:
                words = part.split()
            if words:
                commands.append(words)
    return commands


def _tool_of(words: list[str]) -> tuple[str, list[str]] | None:
    """(tool, the words after it) when ``words`` run an upload command, else None."""
    for position, word in enumerate(words):
        name = word.rsplit("/", 1)[-1].lower()
        after = position + 1
        if name == "-m" and after < len(words):
            name = words[after].lower()
            after += 1
        if name in _UPLOAD_VERBS:
            rest = words[after:]
            verb = next((w for w in rest if not w.startswith("-")), "")
            if verb in _UPLOAD_VERBS[name]:
                return name, rest
            return None
        if _PYTHON.match(name) or name in {"pipx", "run", "uvx", "exec", "sudo", "env"}:
            continue
        if "=" in word and not word.startswith("-"):
            continue  # VAR=value before the command
        return None
    return None


def _option_index(words: list[str]) -> str | None:
    for position, word in enumerate(words):
        name, equals, value = word.partition("=")
        if name in _INDEX_OPTIONS:
            if equals:
                return index_name(value)
            if position + 1 < len(words):
                return index_name(words[position + 1])
    return None


def script_uploads(script: str, line: int, env: Mapping[str, str]) -> list[Upload]:
    """The upload commands in a shell script (a ``run:`` or a GitLab script line)."""
    uploads: list[Upload] = []
    for words in shell_commands(script):
        found = _tool_of(words)
        if found is None:
            continue
        tool, rest = found
        index = _option_index(rest) or _env_index(env) or PYPI
        uploads.append(Upload(tool, index, "--dry-run" in rest, line))
    return uploads


def _inputs(step: Node) -> dict[str, str]:
    with_ = step.get("with")
    return {k: v.text() or "" for k, v in (with_.mapping() if with_ is not None else {}).items()}


def env_of(node: Node | None) -> dict[str, str]:
    """An ``env:``/``variables:`` mapping as text (non-text values as empty strings)."""
    if node is None:
        return {}
    result: dict[str, str] = {}
    for name, value in node.mapping().items():
        text = value.text()
        if text is None and isinstance(value.value, dict):
            text = value.text("value")  # GitLab's {value: ..., description: ...}
        result[name] = text or ""
    return result


def step_uploads(step: Node, job_env: Mapping[str, str]) -> list[Upload]:
    """The uploads one GitHub Actions step makes."""
    uses = (step.text("uses") or "").split("@", 1)[0]
    env = {**job_env, **env_of(step.get("env"))}
    line = step.get("uses").where if step.get("uses") is not None else step.line  # type: ignore[union-attr]
    if uses == PUBLISH_ACTION:
        inputs = _inputs(step)
        url = inputs.get("repository-url") or inputs.get("repository_url") or ""
        return [Upload(PUBLISH_ACTION, index_name(url), False, line)]
    if uses.lower() == MATURIN_ACTION:
        inputs = _inputs(step)
        if inputs.get("command", "").strip() in {"upload", "publish"}:
            words = inputs.get("args", "").split()
            index = _option_index(words) or _env_index(env) or PYPI
            return [Upload("PyO3/maturin-action", index, False, line)]
        return []
    run = step.get("run")
    if run is not None and isinstance(run.value, str):
        uploads = script_uploads(run.value, run.where, env)
        if uploads:
            return uploads
        if credential_names(env_of(step.get("env")), "github"):
            return [
                Upload(
                    "a script with upload credentials", _env_index(env) or PYPI, False, run.where
                )
            ]
    return []
