"""PEP 740 attestations: ``publish --attestations`` checks and sends ``<file>.publish.attestation``.

Sigstore cannot run offline, so the attestations here have the exact shape PyPI takes with a
made-up certificate and signature: releasekit checks the shape and the statement's subject,
the index (here the strict local one) checks what warehouse checks before the signature.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
from pathlib import Path

import pytest

from tests import distfactory as make
from tests.strict_index import _check_attestations, _Refused, strict_index
from tests.support import Run, run_releasekit
from tests.test_trusted_publishing import REQUEST_TOKEN, github_token_endpoint, jwt

TOKEN = "pypi-AgEIcHlwaS5vcmcCJGRlbW8tdG9rZW4tZm9yLXRlc3RzLW9ubHk"
PUBLISH_V1 = "https://docs.pypi.org/attestations/publish/v1"
# Outside CI, whatever runs the tests: the variables the id library and releasekit look at.
NOT_CI = {
    "CI": "",
    "GITHUB_ACTIONS": "",
    "GITLAB_CI": "",
    "BUILDKITE": "",
    "CIRCLECI": "",
    "ACTIONS_ID_TOKEN_REQUEST_URL": "",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "",
}


def dist_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "dist"
    folder.mkdir(exist_ok=True)
    return folder


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def attestation(
    path: Path, *, name: str | None = None, sha256: str | None = None
) -> dict[str, object]:
    """A PEP 740 attestation object for ``path``, with a made-up certificate and signature."""
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [
            {
                "name": name or path.name,
                "digest": {"sha256": sha256 or hashlib.sha256(path.read_bytes()).hexdigest()},
            }
        ],
        "predicateType": PUBLISH_V1,
        "predicate": None,
    }
    return {
        "version": 1,
        "verification_material": {
            "certificate": b64(b"made-up DER certificate"),
            "transparency_entries": [{"logIndex": "1", "logId": {"keyId": b64(b"made-up")}}],
        },
        "envelope": {
            "statement": b64(json.dumps(statement).encode()),
            "signature": b64(b"made-up signature"),
        },
    }


def attest(path: Path, data: object) -> Path:
    """Write ``data`` as the attestation file of ``path``."""
    target = path.with_name(path.name + ".publish.attestation")
    target.write_text(json.dumps(data), encoding="utf-8")
    return target


def upload(cwd: Path, url: str, *args: str, env: dict[str, str] | None = None) -> Run:
    """``releasekit publish --attestations`` to the strict index at ``url``, with a token."""
    return run_releasekit(
        cwd,
        "publish",
        "--repository-url",
        url + "legacy/",
        "--attestations",
        *args,
        env={"RELEASEKIT_TOKEN": TOKEN, "RELEASEKIT_INDEX_URL": url + "simple/", **(env or {})},
    )


def test_each_file_carries_its_attestation_as_a_json_array(tmp_path: Path) -> None:
    """Every file's attestation goes in the ``attestations`` field as a one-element array."""
    files = make.release(tmp_path / "dist", wheels=2)
    for path in files:
        attest(path, attestation(path))
    with strict_index() as (url, state):
        run = upload(tmp_path, url, "--json")
    assert 0 == run.returncode, run.stderr
    assert sorted(f.name for f in files) == sorted(state.stored)
    for path in files:
        sent = [value for name, value in state.files[path.name].fields if name == "attestations"]
        assert [[attestation(path)]] == [json.loads(value) for value in sent]
    reported = {entry["file"]: entry["attestation"] for entry in json.loads(run.stdout)["files"]}
    assert {f.name: f.name + ".publish.attestation" for f in files} == reported


def test_without_the_flag_no_attestation_is_sent(tmp_path: Path) -> None:
    """Attestation files are sent only when asked for; globbing dist/* does not pick them up."""
    wheel = make.wheel(dist_folder(tmp_path))
    attest(wheel, attestation(wheel))
    with strict_index() as (url, state):
        run = run_releasekit(
            tmp_path,
            "publish",
            "--repository-url",
            url + "legacy/",
            "dist/*",
            env={"RELEASEKIT_TOKEN": TOKEN, "RELEASEKIT_INDEX_URL": url + "simple/"},
        )
    assert 0 == run.returncode, run.stderr
    assert [wheel.name] == state.stored
    assert [] == [name for name, _ in state.files[wheel.name].fields if name == "attestations"]


def test_attestation_of_another_file_stops_before_the_first_upload(tmp_path: Path) -> None:
    """A subject naming another file or hash is an error naming the attestation; nothing is sent."""
    wheel, sdist = make.release(tmp_path / "dist", wheels=1)
    attest(wheel, attestation(wheel, sha256="ab" * 32))
    bad = attest(sdist, attestation(sdist, name=wheel.name))
    with strict_index() as (url, state):
        run = upload(tmp_path, url)
    assert 1 == run.returncode
    assert 0 == state.posts
    assert "2 preflight checks failed; nothing was changed" in run.stderr
    assert (
        f"{wheel}.publish.attestation: not a valid attestation for {wheel.name}: it attests "
        f"sha256 abababababab..., not this file's "
        f"{hashlib.sha256(wheel.read_bytes()).hexdigest()[:12]}...;"
    ) in run.stderr
    assert (
        f"{bad}: not a valid attestation for {sdist.name}: it attests '{wheel.name}', not this file;"
        in run.stderr
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "Expecting property name enclosed in double quotes"),
        ('{"version": 2}', "version is 2, not 1"),
        ('{"version": 1}', "verification_material is missing"),
    ],
)
def test_malformed_attestation_is_one_line_and_exit_1(
    tmp_path: Path, content: str, reason: str
) -> None:
    """A file that is not a PEP 740 attestation is refused before any upload, in one line."""
    wheel = make.wheel(dist_folder(tmp_path))
    bad = wheel.with_name(wheel.name + ".publish.attestation")
    bad.write_text(content, encoding="utf-8")
    with strict_index() as (url, state):
        run = upload(tmp_path, url)
    assert 1 == run.returncode
    assert 0 == state.posts
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: {bad}: not a valid attestation for {wheel.name}: {reason}")
    assert last.endswith("(releasekit publish --attestations makes missing ones in CI)")


def test_strict_index_refuses_an_attestation_of_another_file(tmp_path: Path) -> None:
    """The local index checks subjects as warehouse does (so the attach tests mean something)."""
    wheel = make.wheel(tmp_path)
    sha256 = hashlib.sha256(wheel.read_bytes()).hexdigest()
    _check_attestations(json.dumps([attestation(wheel)]), wheel.name, sha256)
    with pytest.raises(_Refused, match="subject does not match distribution"):
        _check_attestations(json.dumps([attestation(wheel)]), "other-1.0.tar.gz", sha256)
    with pytest.raises(_Refused, match="not a non-empty list"):
        _check_attestations("[]", wheel.name, sha256)


def test_missing_attestation_outside_ci_says_they_are_made_in_ci(tmp_path: Path) -> None:
    """Without an attestation file and without a CI identity: one line, exit 1, nothing sent."""
    wheel = make.wheel(dist_folder(tmp_path))
    with strict_index() as (url, state):
        run = upload(tmp_path, url, env=NOT_CI)
    assert 1 == run.returncode, run.stderr
    assert 0 == state.posts
    assert (
        f"error: {wheel}.publish.attestation: no attestation file, and attestations are made in "
        "CI (GitHub Actions, GitLab CI, ...) with its identity; publish from CI, or bring the "
        ".publish.attestation files made there"
    ) == run.stderr.strip().splitlines()[-1]


def test_missing_attestation_in_ci_without_the_extra_says_how_to_install_it(
    tmp_path: Path,
) -> None:
    """In CI with an identity but without pypi-attestations: exit 2 and the pip command."""
    if importlib.util.find_spec("pypi_attestations") is not None:
        pytest.fail(
            "the attest extra must not be in the test environment: this test needs it absent"
        )
    wheel = make.wheel(dist_folder(tmp_path))
    audiences: list[str] = []
    with github_token_endpoint(audiences) as endpoint, strict_index() as (url, state):
        run = upload(
            tmp_path,
            url,
            env={
                **NOT_CI,
                "GITHUB_ACTIONS": "true",
                "ACTIONS_ID_TOKEN_REQUEST_URL": endpoint,
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN": REQUEST_TOKEN,
            },
        )
    assert 2 == run.returncode, run.stderr
    assert 0 == state.posts
    assert ["sigstore"] == audiences
    assert (
        f"error: {wheel}.publish.attestation: making attestations needs pypi-attestations, "
        "which is not installed; install the attest extra: pip install 'releasekit[attest]'"
    ) == run.stderr.strip().splitlines()[-1]
    assert jwt("sigstore") not in run.stderr + run.stdout


def test_pypi_with_an_api_token_refuses_attestations(tmp_path: Path) -> None:
    """PyPI takes attestations only from trusted publishing: exit 2 before any network use."""
    make.wheel(dist_folder(tmp_path))
    run = run_releasekit(
        tmp_path,
        "publish",
        "--repository",
        "testpypi",
        "--attestations",
        env={**NOT_CI, "RELEASEKIT_TOKEN": TOKEN},
    )
    assert 2 == run.returncode, run.stderr
    assert (
        "error: --attestations: PyPI accepts attestations only from trusted publishing, not with "
        "an API token; publish from CI with trusted publishing, or leave --attestations out"
    ) == run.stderr.strip().splitlines()[-1]


def test_dry_run_checks_attestations_and_warns_about_missing_ones(tmp_path: Path) -> None:
    """A dry run checks the attestations there are and makes none."""
    wheel, sdist = make.release(tmp_path / "dist", wheels=1)
    attest(wheel, attestation(wheel))
    with strict_index() as (url, state):
        run = upload(tmp_path, url, "--dry-run", env=NOT_CI)
    assert 0 == run.returncode, run.stderr
    assert 0 == state.posts
    assert "1 file(s) have no attestation yet; a real run makes them" in run.stderr
    assert not sdist.with_name(sdist.name + ".publish.attestation").exists()


def test_check_ignores_attestation_files_in_dist(tmp_path: Path) -> None:
    """``check dist/*`` checks the distributions, not the attestations lying next to them."""
    files = make.release(tmp_path / "dist", wheels=1)
    for path in files:
        attest(path, attestation(path))
    run = run_releasekit(tmp_path, "check", "dist/*", "--json")
    assert 0 == run.returncode, run.stderr
    assert sorted(f"dist/{f.name}" for f in files) == sorted(json.loads(run.stdout)["files"])
