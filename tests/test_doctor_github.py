"""doctor on GitHub Actions workflows as projects write them: each rule, cases that fire and not.

The workflows are written here, in the shapes real projects use (several files, reusable
workflows, conditions on events); none is copied from a project. They are audited in a folder
marked as a git top level (``.git``), through ``audit_github``, the function ``doctor`` and
``init`` call.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from releasekit.findings import Finding
from releasekit.publishing_job import PublishingJob
from releasekit.workflow_audit import audit_github

SHA = "0123456789abcdef0123456789abcdef01234567"
CHECKOUT = f"actions/checkout@{SHA} # v5.0.0"
PUBLISH = f"pypa/gh-action-pypi-publish@{SHA} # v1.13.0"

BUILD_JOB = f"""\
  build:
    runs-on: ubuntu-latest
    permissions:
      contents: read
    steps:
      - uses: {CHECKOUT}
        with:
          persist-credentials: false
      - run: python -m build
      - uses: actions/upload-artifact@{SHA} # v4
        with:
          name: dist
          path: dist/
"""
DOWNLOAD = f"""\
      - uses: actions/download-artifact@{SHA} # v5
        with:
          name: dist
          path: dist/
"""


def workflow(
    upload: str = f"      - uses: {PUBLISH}\n",
    *,
    on: str = "  release:\n    types: [published]\n",
    condition: str = "",
    publish_extra: str = "",
    extra_jobs: str = "",
    build: str = BUILD_JOB,
) -> str:
    """A release workflow that is right in every respect, with the parts a case changes."""
    return (
        f"name: release\non:\n{on}permissions: {{}}\njobs:\n{build}"
        f"  publish:\n    needs: [build]\n{condition}    runs-on: ubuntu-latest\n"
        f"    environment: pypi\n    permissions:\n      id-token: write\n{publish_extra}"
        f"    steps:\n{DOWNLOAD}{upload}{extra_jobs}"
    )


def audit(tmp_path: Path, files: dict[str, str]) -> tuple[list[Finding], list[PublishingJob]]:
    """Write the files in a fresh git top level and audit its workflows."""
    (tmp_path / ".git").mkdir(exist_ok=True)
    (tmp_path / ".git" / "config").write_text(
        '[remote "origin"]\n\turl = https://github.com/acme-corp/widgets.git\n'
    )
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return audit_github(tmp_path)


def one(tmp_path: Path, text: str) -> tuple[list[Finding], list[PublishingJob]]:
    """Audit one workflow file, ``.github/workflows/release.yml``."""
    return audit(tmp_path, {".github/workflows/release.yml": text})


def by_id(findings: list[Finding], rule: str) -> list[Finding]:
    """The findings of one rule."""
    return [f for f in findings if f.code == rule]


def test_a_right_workflow_has_no_findings(tmp_path: Path) -> None:
    """The baseline every case changes: no finding, one publishing job with its environment."""
    findings, jobs = one(tmp_path, workflow())
    assert findings == []
    assert [(j.workflow, j.job, j.environment, j.index) for j in jobs] == [
        (".github/workflows/release.yml", "publish", "pypi", "pypi")
    ]


UPLOADS = {
    "twine": "      - run: twine upload dist/*\n",
    "python-m-twine": "      - run: python3 -m twine upload --skip-existing dist/*\n",
    "pipx-twine": "      - run: pipx run twine upload dist/*\n",
    "uv": "      - run: uv publish\n",
    "flit": "      - run: flit publish\n",
    "poetry": "      - run: poetry publish\n",
    "hatch": "      - run: hatch publish\n",
    "pdm": "      - run: pdm publish --no-build\n",
    "maturin": "      - run: maturin upload dist/*\n",
    "releasekit": "      - run: releasekit publish --trusted-publishing always\n",
    "multi-line": "      - run: |\n          ls dist\n          uv publish \\\n            --trusted-publishing always\n",
    "maturin-action": (
        f"      - uses: PyO3/maturin-action@{SHA}\n        with:\n          command: upload\n"
        "          args: --non-interactive --skip-existing dist/*\n"
    ),
    "script-with-credentials": (
        "      - run: ./scripts/publish.sh\n        env:\n"
        "          MATURIN_PYPI_TOKEN: ${{ secrets.PYPI_API_TOKEN }}\n"
    ),
}


@pytest.mark.parametrize("form", sorted(UPLOADS))
def test_every_way_of_uploading_is_seen(tmp_path: Path, form: str) -> None:
    """Each upload command, action or credentialed script makes the job a publishing job."""
    _, jobs = one(tmp_path, workflow(UPLOADS[form]))
    assert [(j.job, j.index) for j in jobs] == [("publish", "pypi")]


NOT_UPLOADS = {
    "twine-check": "      - run: twine check dist/*\n",
    "echo": "      - run: echo 'then run twine upload'\n",
    "dry-run": "      - run: uv publish --dry-run\n",
    "maturin-build": f"      - uses: PyO3/maturin-action@{SHA}\n        with:\n          command: build\n",
    "github-token-only": (
        "      - run: ./scripts/release-notes.sh\n        env:\n"
        "          GH_TOKEN: ${{ secrets.GITHUB_TOKEN }}\n"
    ),
}


@pytest.mark.parametrize("form", sorted(NOT_UPLOADS))
def test_steps_that_do_not_upload_are_not_publishing(tmp_path: Path, form: str) -> None:
    """Checks, echoes, dry runs, builds and other tokens are not uploads."""
    _, jobs = one(tmp_path, workflow(NOT_UPLOADS[form]))
    assert jobs == []


def test_index_of_each_upload_and_other_indexes_named_as_written(tmp_path: Path) -> None:
    """TestPyPI by URL or name, another index as written; one entry per job and index."""
    upload = (
        f"      - uses: {PUBLISH}\n        with:\n"
        "          repository-url: https://test.pypi.org/legacy/\n"
        f"      - uses: {PUBLISH}\n"
        "      - run: twine upload --repository-url https://pkgs.example.com/simple/ dist/*\n"
    )
    _, jobs = one(tmp_path, workflow(upload))
    assert [j.index for j in jobs] == ["testpypi", "pypi", "https://pkgs.example.com/simple/"]


# publish-on-push: only when a push to a branch can reach the upload.
ON_PUSH_FIRES = {
    "push-any": ("  push:\n", ""),
    "push-branches": ("  push:\n    branches: [main]\n", ""),
    "push-and-release": ("  push:\n  release:\n    types: [published]\n", ""),
    "condition-on-branch": (
        "  push:\n",
        "    if: github.ref == 'refs/heads/main'\n",
    ),
    "negated-tag-condition": (
        "  push:\n",
        "    if: ${{ !startsWith(github.ref, 'refs/tags/') }}\n",
    ),
}
ON_PUSH_QUIET = {
    "tags-only": ("  push:\n    tags: ['v*']\n", ""),
    "tag-condition": ("  push:\n", "    if: startsWith(github.ref, 'refs/tags/')\n"),
    "ref-type": ("  push:\n", "    if: github.ref_type == 'tag'\n"),
    "action-published": (
        "  push:\n    branches: [main]\n  release:\n    types: [published]\n",
        "    if: github.event.action == 'published'\n",
    ),
    "event-name": (
        "  push:\n  workflow_dispatch:\n  release:\n    types: [published]\n",
        "    if: ${{ github.event_name == 'release' || github.event_name == 'workflow_dispatch' }}\n",
    ),
    "guarded-by-repository-and-tag": (
        "  push:\n",
        "    if: github.repository == 'acme-corp/widgets' && startsWith(github.ref, 'refs/tags')\n",
    ),
}


@pytest.mark.parametrize("case", sorted(ON_PUSH_FIRES))
def test_publish_on_push_fires(tmp_path: Path, case: str) -> None:
    """A branch push reaches the upload: an error at the job's key line."""
    on, condition = ON_PUSH_FIRES[case]
    text = workflow(on=on, condition=condition)
    findings, _ = one(tmp_path, text)
    (found,) = by_id(findings, "publish-on-push")
    assert found.severity == "error"
    assert found.line == text.splitlines().index("  publish:") + 1


@pytest.mark.parametrize("case", sorted(ON_PUSH_QUIET))
def test_publish_on_push_does_not_fire(tmp_path: Path, case: str) -> None:
    """Tags only, conditions on tags, on the release event or its action: no finding."""
    on, condition = ON_PUSH_QUIET[case]
    findings, _ = one(tmp_path, workflow(on=on, condition=condition))
    assert by_id(findings, "publish-on-push") == []


def test_publish_on_push_with_a_condition_doctor_cannot_judge_is_a_warning(
    tmp_path: Path,
) -> None:
    """An unknown term means "may run": a warning that names it, never an error."""
    condition = "    if: github.repository_owner == 'acme-corp'\n"
    findings, _ = one(tmp_path, workflow(on="  push:\n", condition=condition))
    (found,) = by_id(findings, "publish-on-push")
    assert found.severity == "warning"
    assert "github.repository_owner" in found.message


def test_publish_on_push_follows_needs_and_step_conditions(tmp_path: Path) -> None:
    """A needed job limited to tags, or a step limited to the release, keeps pushes out."""
    build = BUILD_JOB.replace(
        "    runs-on: ubuntu-latest\n",
        "    if: startsWith(github.ref, 'refs/tags/')\n    runs-on: ubuntu-latest\n",
        1,
    )
    findings, _ = one(tmp_path, workflow(on="  push:\n", build=build))
    assert by_id(findings, "publish-on-push") == []
    step = f"      - if: github.event_name == 'release'\n        uses: {PUBLISH}\n"
    on = "  push:\n  release:\n    types: [published]\n"
    findings, _ = one(tmp_path, workflow(step, on=on))
    assert by_id(findings, "publish-on-push") == []


MULTIPLE_FIRES = {
    "same-action-twice": f"      - uses: {PUBLISH}\n      - uses: {PUBLISH}\n",
    "action-and-twine": f"      - uses: {PUBLISH}\n      - run: twine upload dist/*\n",
}
MULTIPLE_QUIET = {
    "two-indexes": (
        f"      - uses: {PUBLISH}\n        with:\n"
        "          repository-url: https://test.pypi.org/legacy/\n"
        f"      - uses: {PUBLISH}\n"
    ),
    "dry-run-first": f"      - run: uv publish --dry-run\n      - uses: {PUBLISH}\n",
    "exclusive-conditions": (
        f"      - if: github.event_name == 'workflow_dispatch'\n        uses: {PUBLISH}\n"
        f"      - if: github.event_name == 'release'\n        run: twine upload dist/*\n"
    ),
}


@pytest.mark.parametrize("case", sorted(MULTIPLE_FIRES))
def test_multiple_publish_steps_fires(tmp_path: Path, case: str) -> None:
    """Two real uploads to one index that can both run: one error, at the second."""
    text = workflow(MULTIPLE_FIRES[case])
    findings, _ = one(tmp_path, text)
    (found,) = by_id(findings, "multiple-publish-steps")
    lines = text.splitlines()
    assert found.line == max(
        n for n, line in enumerate(lines, 1) if PUBLISH in line or "twine upload" in line
    )


@pytest.mark.parametrize("case", sorted(MULTIPLE_QUIET))
def test_multiple_publish_steps_does_not_fire(tmp_path: Path, case: str) -> None:
    """Different indexes, a dry run, or conditions no event meets together: no finding."""
    on = "  release:\n    types: [published]\n  workflow_dispatch:\n"
    findings, _ = one(tmp_path, workflow(MULTIPLE_QUIET[case], on=on))
    assert by_id(findings, "multiple-publish-steps") == []


def _token_job(steps: str) -> str:
    return (
        "  sign:\n    needs: [publish]\n    runs-on: ubuntu-latest\n    permissions:\n"
        f"      id-token: write\n      attestations: write\n    steps:\n{steps}"
    )


ID_TOKEN_USERS = {
    "attest-build-provenance": f"      - uses: actions/attest-build-provenance@{SHA}\n",
    "hynek": f"      - uses: hynek/build-and-inspect-python-package@{SHA}\n",
    "sigstore": f"      - uses: sigstore/gh-action-sigstore-python@{SHA}\n",
    "crates-io": f"      - uses: rust-lang/crates-io-auth-action@{SHA}\n",
    "gcloud": f"      - uses: google-github-actions/auth@{SHA}\n",
    "aws": f"      - uses: aws-actions/configure-aws-credentials@{SHA}\n",
    "azure": f"      - uses: azure/login@{SHA}\n",
    "npm-provenance": "      - run: npm publish --provenance --access public\n",
}


@pytest.mark.parametrize("user", sorted(ID_TOKEN_USERS))
def test_id_token_for_its_other_legitimate_users_is_no_finding(tmp_path: Path, user: str) -> None:
    """Attestations, sigstore, other registries and clouds use the identity token too."""
    text = workflow(extra_jobs=_token_job(ID_TOKEN_USERS[user]))
    findings, _ = one(tmp_path, text)
    assert by_id(findings, "id-token-without-publish") == []


def test_id_token_unused_is_a_warning(tmp_path: Path) -> None:
    """A job that holds the token and uses it for nothing: a warning at the id-token line."""
    text = workflow(extra_jobs=_token_job("      - run: echo done\n"))
    findings, _ = one(tmp_path, text)
    (found,) = by_id(findings, "id-token-without-publish")
    assert found.severity == "warning"
    lines = text.splitlines()
    assert found.line == max(n for n, line in enumerate(lines, 1) if "id-token: write" in line)


CALLER = f"""\
name: release
on:
  push:
    tags: ['v*']
permissions: {{}}
jobs:
{BUILD_JOB}  publish:
    needs: [build]
    permissions:
      id-token: write
    uses: USES
"""
CALLEE = f"""\
name: publish
on:
  workflow_call:
permissions: {{}}
jobs:
  upload:
    runs-on: ubuntu-latest
    environment: pypi
    permissions:
      id-token: write
    steps:
{DOWNLOAD}      - uses: {PUBLISH}
"""


@pytest.mark.parametrize(
    "uses",
    [
        "./.github/workflows/publish.yml",
        f"acme-corp/widgets/.github/workflows/publish.yml@{SHA}",
    ],
    ids=["local", "same-repository"],
)
def test_reusable_workflow_is_one_path_with_its_caller(tmp_path: Path, uses: str) -> None:
    """The caller's id-token is no error; PyPI's values name the called file; a note explains."""
    files = {
        ".github/workflows/release.yml": CALLER.replace("USES", uses),
        ".github/workflows/publish.yml": CALLEE,
    }
    findings, jobs = audit(tmp_path, files)
    assert {f.code for f in findings} == {"reusable-workflow-publish"}
    (note,) = findings
    assert note.severity == "info"
    assert note.file == ".github/workflows/publish.yml"
    assert "release.yml" in note.message
    assert [(j.workflow, j.job, j.environment, j.caller) for j in jobs] == [
        (".github/workflows/publish.yml", "upload", "pypi", ".github/workflows/release.yml")
    ]


def test_reusable_workflow_inherits_its_callers_events(tmp_path: Path) -> None:
    """A caller started by branch pushes makes the called upload reachable from them."""
    caller = CALLER.replace("USES", "./.github/workflows/publish.yml").replace(
        "    tags: ['v*']\n", "    branches: [main]\n"
    )
    files = {".github/workflows/release.yml": caller, ".github/workflows/publish.yml": CALLEE}
    findings, _ = audit(tmp_path, files)
    (found,) = by_id(findings, "publish-on-push")
    assert found.file == ".github/workflows/publish.yml"
    assert found.severity == "error"


CACHE_FIRES = {
    "setup-python-in-build": (
        "build",
        f"      - uses: actions/setup-python@{SHA}\n        with:\n          cache: pip\n",
    ),
    "actions-cache": (
        "build",
        f"      - uses: actions/cache@{SHA}\n        with:\n          path: x\n          key: k\n",
    ),
    "setup-uv-v6-default": ("build", "      - uses: astral-sh/setup-uv@v6\n"),
    "setup-uv-sha-with-v6-comment": ("build", f"      - uses: astral-sh/setup-uv@{SHA} # v6.4.1\n"),
    "setup-uv-enabled": (
        "publish",
        "      - uses: astral-sh/setup-uv@v4\n        with:\n          enable-cache: true\n",
    ),
    "rust-cache": ("build", f"      - uses: Swatinem/rust-cache@{SHA}\n"),
    "sccache": ("build", f"      - uses: mozilla-actions/sccache-action@{SHA}\n"),
    "maturin-sccache": (
        "build",
        f"      - uses: PyO3/maturin-action@{SHA}\n        with:\n          sccache: 'true'\n",
    ),
}
CACHE_QUIET = {
    "setup-uv-v4-default": ("build", f"      - uses: astral-sh/setup-uv@{SHA} # v4.2.0\n"),
    "setup-uv-disabled": (
        "build",
        "      - uses: astral-sh/setup-uv@v6\n        with:\n          enable-cache: false\n",
    ),
    "test-job-off-the-path": ("test", f"      - uses: Swatinem/rust-cache@{SHA}\n"),
}


def _with_step(job: str, step: str) -> dict[str, str]:
    """Workflow arguments that add ``step`` to the build or publish job, or a test job."""
    if job == "build":
        return {
            "build": BUILD_JOB.replace(
                "      - run: python -m build\n", step + "      - run: python -m build\n"
            )
        }
    if job == "publish":
        return {"upload": step + f"      - uses: {PUBLISH}\n"}
    test = (
        "  test:\n    runs-on: ubuntu-latest\n    permissions:\n      contents: read\n"
        f"    steps:\n{step}      - run: pytest\n"
    )
    return {"extra_jobs": test}


@pytest.mark.parametrize("case", sorted(CACHE_FIRES))
def test_cache_on_the_release_path_fires(tmp_path: Path, case: str) -> None:
    """Caches in the publishing job or the job whose artifacts it downloads: an error."""
    job, step = CACHE_FIRES[case]
    findings, _ = one(tmp_path, workflow(**_with_step(job, step)))
    (found,) = by_id(findings, "cache-in-release-path")
    assert found.severity == "error"


@pytest.mark.parametrize("case", sorted(CACHE_QUIET))
def test_cache_off_the_release_path_or_off_does_not_fire(tmp_path: Path, case: str) -> None:
    """Old setup-uv, caching turned off, or a job the release does not take files from."""
    job, step = CACHE_QUIET[case]
    findings, _ = one(tmp_path, workflow(**_with_step(job, step)))
    assert by_id(findings, "cache-in-release-path") == []


def test_setup_uv_default_does_not_cache_on_self_hosted_runners(tmp_path: Path) -> None:
    """setup-uv's automatic cache is for GitHub-hosted runners only."""
    build = BUILD_JOB.replace("runs-on: ubuntu-latest", "runs-on: [self-hosted, linux]").replace(
        "      - run: python -m build\n",
        "      - uses: astral-sh/setup-uv@v6\n      - run: python -m build\n",
    )
    findings, _ = one(tmp_path, workflow(build=build))
    assert by_id(findings, "cache-in-release-path") == []


INJECTIONS = {
    "pull-request-title": ("${{ github.event.pull_request.title }}", "template-injection", "error"),
    "head-ref": ("${{ github.head_ref }}", "template-injection", "error"),
    "commit-message": ("${{ github.event.head_commit.message }}", "template-injection", "error"),
    "input": ("${{ inputs.version }}", "template-injection", "warning"),
    "repository": ("${{ github.repository }}", "expression-in-run", "warning"),
}


@pytest.mark.parametrize("case", sorted(INJECTIONS))
def test_template_injection_is_an_error_only_for_attacker_text(tmp_path: Path, case: str) -> None:
    """Text outsiders write is an error; inputs a warning; constants the milder rule."""
    expression, rule, severity = INJECTIONS[case]
    step = f"      - run: echo {expression} ${{{{ github.sha }}}} ${{{{ github.run_id }}}}\n"
    findings, _ = one(tmp_path, workflow(step + f"      - uses: {PUBLISH}\n"))
    found = [f for f in findings if f.code in {"template-injection", "expression-in-run"}]
    assert [(f.code, f.severity) for f in found] == [(rule, severity)]


def test_long_lived_token_advice_fits_the_index(tmp_path: Path) -> None:
    """A token for PyPI is an error (use trusted publishing); for another index a warning."""
    pypi = f"      - uses: {PUBLISH}\n        with:\n          password: ${{{{ secrets.PYPI }}}}\n"
    findings, _ = one(tmp_path, workflow(pypi))
    (found,) = by_id(findings, "long-lived-token")
    assert (found.severity, "trusted publishing" in (found.hint or "")) == ("error", True)
    other = (
        "      - run: twine upload --repository-url https://pkgs.example.com/ dist/*\n"
        "        env:\n          TWINE_PASSWORD: ${{ secrets.INTERNAL }}\n"
    )
    findings, jobs = one(tmp_path, workflow(other))
    (found,) = by_id(findings, "long-lived-token")
    assert found.severity == "warning"
    assert "does not offer trusted publishing" in (found.hint or "")
    assert [j.index for j in jobs] == ["https://pkgs.example.com/"]


def test_other_rules_still_fire_on_a_copied_workflow(tmp_path: Path) -> None:
    """Tags, write-all, a build in the publish job, persisted credentials, a dangerous trigger."""
    text = (
        workflow(
            f"      - run: python -m build\n      - uses: {PUBLISH}\n",
            on="  release:\n    types: [published, created]\n  pull_request_target:\n",
        )
        .replace(
            CHECKOUT + "\n        with:\n          persist-credentials: false",
            "actions/checkout@v5",
        )
        .replace("    permissions:\n      contents: read\n", "    permissions: write-all\n")
    )
    findings, _ = one(tmp_path, text)
    assert {f.code for f in findings} == {
        "unpinned-action",
        "persisted-credentials",
        "excessive-permissions",
        "build-in-publish-job",
        "release-created",
        "dangerous-trigger",
    }


def test_project_folder_of_a_monorepo_job(tmp_path: Path) -> None:
    """The job's working directory names the package it publishes."""
    build = BUILD_JOB.replace(
        "    steps:\n",
        "    defaults:\n      run:\n        working-directory: packages/core\n    steps:\n",
    )
    files = {
        ".github/workflows/release.yml": workflow(build=build),
        "packages/core/pyproject.toml": '[project]\nname = "acme-core"\n',
    }
    _, jobs = audit(tmp_path, files)
    assert [j.folder for j in jobs] == ["packages/core"]


def test_one_long_lived_token_finding_per_step(tmp_path: Path) -> None:
    """A step that passes the token three ways gets one finding, at the first of them."""
    step = (
        f"      - uses: {PUBLISH}\n        with:\n          password: ${{{{ secrets.PYPI }}}}\n"
        "        env:\n          TWINE_PASSWORD: ${{ secrets.PYPI }}\n"
    )
    text = workflow(step)
    findings, _ = one(tmp_path, text)
    (found,) = by_id(findings, "long-lived-token")
    assert found.line == text.splitlines().index("          password: ${{ secrets.PYPI }}") + 1
