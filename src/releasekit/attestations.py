"""PEP 740 attestations: find, check and (in CI) make the ``<file>.publish.attestation`` files.

An attestation file lies next to its distribution, named as pypa/gh-action-pypi-publish and
pypi-attestations name it. releasekit checks what it can check without Sigstore: the object's
shape (version 1, verification material with a certificate and transparency entries, an
envelope with a base64 statement and signature) and that the in-toto statement inside names
exactly this file and its sha256. The signature itself is the index's to verify, against the
trusted publisher that minted the upload token. A file without one is signed here only with
the ``attest`` extra (pypi-attestations) and an ambient CI identity; what is made is written
next to the file, so that a later upload (TestPyPI, then PyPI) sends the same attestation.
"""

from __future__ import annotations

import base64
import binascii
import importlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType

from releasekit.errors import EXIT_USAGE, ReleaseError

SUFFIX = ".publish.attestation"
PUBLISH_V1 = "https://docs.pypi.org/attestations/publish/v1"
# What warehouse accepts (SUPPORTED_ATTESTATION_TYPES): at most one attestation of each.
PREDICATE_TYPES = (PUBLISH_V1, "https://slsa.dev/provenance/v1")
SIGSTORE_AUDIENCE = "sigstore"
INSTALL_HINT = "install the attest extra: pip install 'releasekit[attest]'"

Attestation = dict[str, object]


class AttestationError(ReleaseError):
    """An attestation file is malformed or does not attest its distribution (exit 1).

    Like a failed check, it is a file the index would refuse: nothing is uploaded.
    """


class AttestationSetupError(ReleaseError):
    """Attestations cannot be made here: no identity, or the extra is missing."""


def attestation_path(dist: Path) -> Path:
    """Where the publish attestation of ``dist`` lies: ``<file>.publish.attestation``."""
    return dist.with_name(dist.name + SUFFIX)


def is_attestation(path: Path) -> bool:
    """Whether ``path`` is an attestation file rather than a distribution."""
    return path.name.endswith(".attestation")


def _base64(value: object, field: str) -> bytes:
    """A base64 field's bytes (line breaks allowed, as some encoders write them)."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{field} is not a base64 string")
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"{field} is not valid base64") from exc


def _check_shape(data: object) -> tuple[Attestation, bytes]:
    """The object and its statement's bytes, once it has the shape of a PEP 740 attestation."""
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    if data.get("version") != 1:
        raise ValueError(f"version is {data.get('version')!r}, not 1")
    material = data.get("verification_material")
    if not isinstance(material, dict):
        raise ValueError("verification_material is missing")
    _base64(material.get("certificate"), "verification_material.certificate")
    entries = material.get("transparency_entries")
    if not (isinstance(entries, list) and entries and all(isinstance(e, dict) for e in entries)):
        raise ValueError("verification_material.transparency_entries is not a non-empty list")
    envelope = data.get("envelope")
    if not isinstance(envelope, dict):
        raise ValueError("envelope is missing")
    _base64(envelope.get("signature"), "envelope.signature")
    return data, _base64(envelope.get("statement"), "envelope.statement")


def _check_statement(raw: bytes, filename: str, sha256: str) -> None:
    """The in-toto statement must name exactly ``filename`` with ``sha256``."""
    try:
        statement = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError("envelope.statement is not JSON") from exc
    if not isinstance(statement, dict) or not isinstance(statement.get("_type"), str):
        raise ValueError("envelope.statement is not an in-toto statement")
    predicate = statement.get("predicateType")
    if predicate not in PREDICATE_TYPES:
        raise ValueError(f"predicateType {predicate!r} is not one PyPI accepts")
    subjects = statement.get("subject")
    if not isinstance(subjects, list) or len(subjects) != 1 or not isinstance(subjects[0], dict):
        raise ValueError("the statement must have exactly one subject")
    name = subjects[0].get("name")
    digest = subjects[0].get("digest")
    served = digest.get("sha256") if isinstance(digest, dict) else None
    if name != filename:
        raise ValueError(f"it attests {name!r}, not this file")
    if not isinstance(served, str) or served.lower() != sha256.lower():
        shown = served[:12] + "..." if isinstance(served, str) else repr(served)
        raise ValueError(f"it attests sha256 {shown}, not this file's {sha256[:12]}...")


def load_attestation(path: Path, filename: str, sha256: str) -> Attestation:
    """The attestation object in ``path``, checked to attest ``filename`` with ``sha256``."""
    try:
        attestation, statement = _check_shape(json.loads(path.read_bytes()))
        _check_statement(statement, filename, sha256)
    except OSError as exc:
        raise AttestationError(
            f"cannot read the attestation: {exc.strerror}", where=str(path)
        ) from exc
    except ValueError as exc:  # JSONDecodeError included
        raise AttestationError(
            f"not a valid attestation for {filename}: {exc}",
            where=str(path),
            hint="remove it, or make it again for this exact file (releasekit publish "
            "--attestations makes missing ones in CI)",
        ) from exc
    return attestation


def make_attestations(paths: Sequence[Path], identity: Callable[[str], str | None]) -> list[Path]:
    """Sign each of ``paths`` with the CI identity; write and return their attestation files.

    ``identity`` gives the ambient token for an audience (``None`` outside CI). The CI identity
    is asked first, so that a laptop hears that attestations are made in CI whatever is
    installed; pypi-attestations (the ``attest`` extra) and Sigstore's public services do the
    signing.
    """
    # Imported here, not above: a publish that makes no attestation never needs the id library.
    from id import IdentityError  # noqa: PLC0415

    try:
        token = identity(SIGSTORE_AUDIENCE)
    except IdentityError as exc:
        raise AttestationSetupError(
            f"no identity token from CI for signing: {exc}",
            where=str(attestation_path(paths[0])),
            hint="the publishing job needs 'permissions: id-token: write'",
        ) from exc
    if token is None:
        raise AttestationSetupError(
            "no attestation file, and attestations are made in CI (GitHub Actions, GitLab CI, "
            "...) with its identity",
            where=str(attestation_path(paths[0])),
            hint="publish from CI, or bring the .publish.attestation files made there",
        )
    try:
        attest = importlib.import_module("pypi_attestations")
        sigstore_models = importlib.import_module("sigstore.models")
        sigstore_oidc = importlib.import_module("sigstore.oidc")
        sigstore_sign = importlib.import_module("sigstore.sign")
    except ImportError as exc:
        error = AttestationSetupError(
            "making attestations needs pypi-attestations, which is not installed",
            where=str(attestation_path(paths[0])),
            hint=INSTALL_HINT,
        )
        error.exit_code = EXIT_USAGE
        raise error from exc
    return _sign(
        paths,
        token,
        attest=attest,
        models=sigstore_models,
        oidc=sigstore_oidc,
        sign=sigstore_sign,
    )


def _sign(
    paths: Sequence[Path],
    token: str,
    *,
    attest: ModuleType,
    models: ModuleType,
    oidc: ModuleType,
    sign: ModuleType,
) -> list[Path]:
    """Sign with pypi-attestations over Sigstore's production services."""
    written: list[Path] = []
    try:
        trust = models.ClientTrustConfig.production()
        # Rekor v1, until attestations support v2 (as pypi-attestations' own CLI does).
        trust.force_tlog_version = 1
        context = sign.SigningContext.from_trust_config(trust)
        with context.signer(oidc.IdentityToken(token), cache=True) as signer:
            for path in paths:
                attestation = attest.Attestation.sign(signer, attest.Distribution.from_file(path))
                target = attestation_path(path)
                target.write_text(attestation.model_dump_json(), encoding="utf-8")
                written.append(target)
    except Exception as exc:  # any failure of the optional signing stack ends here
        raise AttestationSetupError(
            f"signing failed: {exc}",
            where=str(attestation_path(paths[len(written)])),
            hint="check the job's id-token permission and Sigstore's status, then run again",
        ) from exc
    return written
