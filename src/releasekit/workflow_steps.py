"""What doctor knows about individual GitHub Actions steps besides uploading.

Which steps build (they must not run where the upload token is), which legitimately use the
job's identity token without uploading to PyPI (attestations, sigstore, other registries' and
clouds' trusted publishing), and which write or restore a cache (a cache restored into a release
build can carry code from any branch).
"""

from __future__ import annotations

import re

from releasekit.yaml_nodes import Node

BUILD_COMMAND = re.compile(
    r"(-m\s+build\b|\bpip\s+wheel\b|\buv\s+build\b|\breleasekit\s+build\b|\bhatch\s+build\b"
    r"|\bpoetry\s+build\b|\bpdm\s+build\b|\bflit\s+build\b|\bcibuildwheel\b|\bmaturin\s+build\b"
    r"|setup\.py\s+(sdist|bdist_wheel)|\bpoetry\s+publish\b[^\n]*--build)"
)
BUILD_ACTIONS = (
    "pypa/cibuildwheel",
    "hynek/build-and-inspect-python-package",
    "pyo3/maturin-action",
)
# Actions (by prefix, lower case) that use the identity token for something other than a PyPI
# upload: attestations and signatures, other registries' trusted publishing, cloud logins.
_TOKEN_ACTIONS = (
    "actions/attest",  # attest, attest-build-provenance, attest-sbom
    "sigstore/",
    "hynek/build-and-inspect-python-package",  # attests the build when asked to
    "slsa-framework/",
    "rust-lang/crates-io-auth-action",
    "google-github-actions/auth",
    "aws-actions/configure-aws-credentials",
    "azure/login",
    "docker/build-push-action",  # provenance and signing
)
_TOKEN_COMMANDS = re.compile(r"\bnpm\s+publish\b[^\n]*--provenance|\bcosign\s+sign")


def action_of(step: Node) -> tuple[str, str]:
    """(action in lower case, ref) of a step's ``uses:``; empty strings for a ``run:`` step."""
    action, _, ref = (step.text("uses") or "").partition("@")
    return action.lower(), ref


def inputs_of(step: Node) -> dict[str, str]:
    """A step's ``with:`` as text."""
    with_ = step.get("with")
    return {k: v.text() or "" for k, v in (with_.mapping() if with_ is not None else {}).items()}


def is_build_step(step: Node) -> bool:
    """Whether the step builds distributions (or runs a build backend)."""
    action, _ = action_of(step)
    if action == "pyo3/maturin-action":
        return inputs_of(step).get("command", "build") not in {"upload", "publish"}
    return action.startswith(BUILD_ACTIONS) or bool(BUILD_COMMAND.search(step.text("run") or ""))


def uses_identity_token(step: Node) -> bool:
    """Whether the step has a use for ``id-token: write`` other than uploading to PyPI."""
    action, _ = action_of(step)
    if action.startswith(_TOKEN_ACTIONS):
        return True
    if action == "codecov/codecov-action":
        return inputs_of(step).get("use_oidc", "").lower() == "true"
    env = step.get("env")
    if env is not None and (env.text("NPM_CONFIG_PROVENANCE") or "").lower() == "true":
        return True
    return bool(_TOKEN_COMMANDS.search(step.text("run") or ""))


# astral-sh/setup-uv turned caching on by default on GitHub-hosted runners in v5.0.0
# (release notes "Default to enable-cache: true on GitHub hosted runners", December 2024, as
# quoted in e.g. pypi/stdlib-list#140); `enable-cache: auto` is that default.
SETUP_UV_CACHES_FROM = 5
_MAJOR = re.compile(r"^v?(\d+)")
_HOSTED = re.compile(r"^(ubuntu|windows|macos)-", re.IGNORECASE)


def _major(ref: str, comment: str) -> int | None:
    """The action's major version from its ref (``v6``, ``v6.0.1``) or its pin's comment."""
    match = _MAJOR.match(ref) if not re.fullmatch(r"[0-9a-f]{40}", ref) else None
    if match is None:
        match = re.search(r"#\s*v?(\d+)", comment)
    return int(match.group(1)) if match else None


def cache_of(step: Node, runs_on: str | None, line_text: str) -> str | None:
    """What the step caches, as a short phrase; None when it does not.

    ``runs_on`` decides setup-uv's default (GitHub-hosted runners only); ``line_text`` is the
    ``uses:`` line as written, whose comment may carry the version a SHA pins.
    """
    action, ref = action_of(step)
    inputs = inputs_of(step)
    if action in {"actions/setup-python", "actions/setup-node"} and inputs.get("cache"):
        return f"{action} with cache: {inputs['cache']}"
    if action.startswith("actions/cache"):
        return action
    if action == "astral-sh/setup-uv":
        setting = inputs.get("enable-cache", "auto").strip().lower()
        if setting == "true":
            return "astral-sh/setup-uv with enable-cache: true"
        if setting not in {"auto", ""}:
            return None
        major = _major(ref, line_text)
        hosted = runs_on is None or "${{" in runs_on or bool(_HOSTED.match(runs_on))
        if hosted and (major is None or major >= SETUP_UV_CACHES_FROM):
            version = f"v{major}" if major is not None else "an unknown version"
            return (
                f"astral-sh/setup-uv ({version}) caches by default on GitHub-hosted runners "
                "(set enable-cache: false)"
            )
        return None
    if action == "swatinem/rust-cache":
        return action
    if action == "mozilla-actions/sccache-action":
        return action
    if action == "pyo3/maturin-action" and inputs.get("sccache", "").lower() == "true":
        return "PyO3/maturin-action with sccache: true"
    return None


# Expressions whose text someone outside the project can write: titles, bodies, commit
# messages, branch names and labels of issues, comments, reviews, pull requests and pushes.
_ATTACKER_TEXT = re.compile(
    r"github\.head_ref\b"
    r"|github\.event\.(issue|comment|review|review_comment|pull_request|discussion"
    r"|discussion_comment|head_commit|commits|workflow_run|pages|pull_request_target)\b"
    r"[\w.*\[\]'\"-]*?\.(title|body|message|head_ref|head_branch|ref|label|name|email"
    r"|page_name|default_branch)\b",
    re.IGNORECASE,
)
# Values a caller or an earlier step decides: not written by outsiders, but not constants.
_INDIRECT = re.compile(r"github\.event\.|inputs\.|steps\.[^}]*outputs|needs\.[^}]*outputs")


def expression_risk(expression: str) -> str:
    """How far an expression's text can come from someone else.

    ``attacker``: text outsiders write; ``indirect``: inputs, outputs, other event fields;
    ``constant``: the repository, secrets, matrix values.
    """
    if _ATTACKER_TEXT.search(expression):
        return "attacker"
    if _INDIRECT.search(expression):
        return "indirect"
    return "constant"
