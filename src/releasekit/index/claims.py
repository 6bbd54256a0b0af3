"""Why an index refused a CI identity: the token's claims next to the values its form wants.

When ``/_/oidc/mint-token`` refuses an identity token, the reason is nearly always a mismatch
between the trusted publisher registered on the index and the claims of the token. Those
claims are the JWT's payload, readable without verifying the signature (the index verifies
it; releasekit only explains). This module shows the claims the index compared, the values to
enter in the publisher form so that it matches this run, and the usual causes by name. The
token itself is never part of the text: only single claims are, and only the ones listed.

What warehouse compares (``warehouse/oidc/models/github.py``): for GitHub, ``repository``,
``repository_owner`` (with its id), the workflow file named by ``job_workflow_ref`` (for a
called, reusable workflow that is the *called* file; ``workflow_ref``, the caller, is not
compared) which must sit in the calling ``repository`` at the run's ``ref`` or ``sha``, and
``environment`` when the publisher names one. ``event_name`` is not compared.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import re

from releasekit.index.server_text import shorten, without_controls

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
# The workflow file in a `job_workflow_ref`/`workflow_ref`: the `.yml`/`.yaml` name before `@`.
_WORKFLOW_FILE = re.compile(r"([^/]+\.ya?ml)(?=@)")
_GITHUB_CLAIMS = (
    "repository",
    "repository_owner",
    "job_workflow_ref",
    "workflow_ref",
    "environment",
    "ref",
    "event_name",
)
_GITLAB_CLAIMS = ("project_path", "ci_config_ref_uri", "environment", "ref_path")
_PENDING_PAGE = "https://pypi.org/manage/account/publishing/"
_VALUE_LIMIT = 200


def unverified_claims(token: str) -> dict[str, object] | None:
    """A JWT's payload (base64url JSON between the dots), unverified; ``None`` if unreadable."""
    parts = token.split(".")
    if len(parts) != 3:  # noqa: PLR2004  # header, payload, signature
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        data = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (UnicodeError, ValueError, binascii.Error):
        return None
    return data if isinstance(data, dict) else None


def _text(claims: dict[str, object], name: str) -> str:
    """One claim as safe, short text ("" when absent): it goes to a terminal."""
    value = claims.get(name)
    if value is None or isinstance(value, (dict, list)):
        return ""
    return shorten(without_controls(str(value)).strip(), _VALUE_LIMIT)


def workflow_file(ref: str) -> str:
    """The workflow file name in a ``.../.github/workflows/FILE.yml@REF`` value ("" if none)."""
    match = _WORKFLOW_FILE.search(ref)
    return match.group(1) if match else ""


def _table(rows: list[tuple[str, str]]) -> list[str]:
    width = max(len(name) for name, _ in rows) + 2
    return [f"  {name.ljust(width)}{value}" for name, value in rows]


def _github(claims: dict[str, object], codes: set[str], project: str | None) -> list[str]:
    get = {name: _text(claims, name) for name in _GITHUB_CLAIMS}
    called, caller = get["job_workflow_ref"], get["workflow_ref"]
    shown = [(name, get[name] or "(absent)") for name in _GITHUB_CLAIMS]
    lines = ["Claims of the identity token that the index compared (GitHub Actions):"]
    lines += _table(shown)
    owner, _, name = get["repository"].partition("/")
    form = [
        ("Owner", owner or get["repository_owner"] or "?"),
        ("Repository name", name or "?"),
        ("Workflow name", workflow_file(called) or "?"),
        ("Environment name", get["environment"] or "(leave empty: the job has no environment)"),
    ]
    if project and codes & {"invalid-pending-publisher", "invalid-publisher"}:
        form.insert(0, ("PyPI Project Name", f"{project} (pending publisher only)"))
    lines.append("A trusted publisher matches this run with these values (GitHub tab of the form):")
    lines += _table(form)
    causes: list[str] = []
    called_repository = called.split("/.github/workflows/")[0] if called else ""
    if called and caller and called != caller:
        causes.append(
            f"the job runs in a called (reusable) workflow: the index matches the called file "
            f"{workflow_file(called) or called!r} (job_workflow_ref), not the calling "
            f"{workflow_file(caller) or caller!r} (workflow_ref); register the called file's name"
        )
        if called_repository and called_repository.lower() != get["repository"].lower():
            causes.append(
                f"the called workflow lives in another repository ({called_repository}): the "
                f"index looks for it among {get['repository']}'s own workflows, at this run's "
                "ref, so no publisher can match; do the upload in a workflow of this repository"
            )
    if get["event_name"] in {"pull_request", "pull_request_target"}:
        causes.append(
            f"the run was triggered by {get['event_name']}: publish from a pushed tag or a "
            "published release (the index does not compare the event, but pull requests must "
            "not publish, and runs from forks get no identity token at all)"
        )
    if not get["environment"]:
        causes.append(
            "the token names no environment: a publisher registered with one (releasekit init "
            "uses 'pypi') never matches it; add 'environment: NAME' to the publishing job, or "
            "register the publisher without an environment"
        )
    return [*lines, *_causes(causes, codes, project)]


def _gitlab(claims: dict[str, object], codes: set[str], project: str | None) -> list[str]:
    get = {name: _text(claims, name) for name in _GITLAB_CLAIMS}
    lines = ["Claims of the identity token that the index compared (GitLab CI):"]
    lines += _table([(name, get[name] or "(absent)") for name in _GITLAB_CLAIMS])
    namespace, _, name = get["project_path"].rpartition("/")
    config = get["ci_config_ref_uri"].partition("//")[2].partition("@")[0]
    form = [
        ("Namespace", namespace or "?"),
        ("Project name", name or "?"),
        ("Top-level pipeline file path", config or "?"),
        ("Environment name", get["environment"] or "(leave empty: the job has no environment)"),
    ]
    if project and codes & {"invalid-pending-publisher", "invalid-publisher"}:
        form.insert(0, ("PyPI Project Name", f"{project} (pending publisher only)"))
    lines.append("A trusted publisher matches this run with these values (GitLab tab of the form):")
    lines += _table(form)
    causes = []
    if not get["environment"]:
        causes.append(
            "the token names no environment: a publisher registered with one never matches it; "
            "add 'environment: NAME' to the publishing job, or register it without one"
        )
    return [*lines, *_causes(causes, codes, project)]


def _other(claims: dict[str, object], codes: set[str], project: str | None) -> list[str]:
    rows = [(name, _text(claims, name)) for name in ("iss", "sub", "aud") if _text(claims, name)]
    lines = ["Claims of the identity token:", *_table(rows)] if rows else []
    return [*lines, *_causes([], codes, project)]


def _causes(causes: list[str], codes: set[str], project: str | None) -> list[str]:
    """The causes the claims show, then the ones the refusal's codes name."""
    name = project or "this project"
    if "invalid-pending-publisher" in codes:
        causes.append(
            f"a pending publisher matches this run, but the project it names exists already: a "
            f"pending publisher creates exactly the project it was registered for, so if it "
            f"names another project than {name}, correct it at {_PENDING_PAGE}; if {name} "
            "exists, add the publisher on that project's own publishing page instead"
        )
    if "invalid-reuse-token" in codes:
        causes.append(
            "this identity token was already used: each one mints a single upload token; run "
            "the job again (GitLab's id_tokens are issued once per job)"
        )
    if "invalid-token" in codes:
        causes.append(
            "the index could not verify the token: check its audience (the index's own, as "
            "/_/oidc/audience names it) and its expiry above, and that it comes from a CI "
            "service this index trusts"
        )
    if "not-enabled" in codes:
        causes.append("the index has trusted publishing switched off for this CI service")
    if not causes:
        return []
    return ["Likely causes:", *(f"  - {cause}" for cause in causes)]


def explain_refusal(token: str, codes: set[str], project: str | None = None) -> str:
    """The claims of ``token`` the index compared, the form values that match, likely causes.

    ``codes`` are the error codes of the refusal (``invalid-publisher``...); ``project`` is the
    name being published, for a pending publisher. The token itself never appears in the text.
    """
    claims = unverified_claims(token)
    if claims is None:
        return "The identity token's claims could not be read (it is not a JWT)."
    issuer = _text(claims, "iss")
    if issuer == GITHUB_ISSUER or "job_workflow_ref" in claims:
        lines = _github(claims, codes, project)
    elif "project_path" in claims:
        lines = _gitlab(claims, codes, project)
    else:
        lines = _other(claims, codes, project)
    if "invalid-token" in codes:
        expiry = claims.get("exp")
        ends = "?"
        if isinstance(expiry, int | float):
            moment = datetime.datetime.fromtimestamp(expiry, datetime.UTC)
            ends = f"{moment:%Y-%m-%d %H:%M:%S} UTC"
        lines.insert(
            0,
            f"The identity token: issuer {issuer or '?'}, audience "
            f"{_text(claims, 'aud') or '?'}, expires {ends}.",
        )
    return "\n".join(lines)
