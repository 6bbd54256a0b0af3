"""``releasekit check``: find, offline and all at once, everything PyPI would reject.

Each file is checked for its archive (``dists.py``), its name, its core metadata (validated with
``packaging.metadata`` and PyPI's own limits), its long description (rendered as PyPI renders it,
each distinct text once), and then the batch is checked for consistency. Every problem of every
file is reported in one run; nothing stops at the first.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from releasekit.dists import Dist, open_dists
from releasekit.findings import Finding
from releasekit.readme import media_type, rst_problem
from releasekit.records import frozen

if TYPE_CHECKING:
    from packaging.metadata import RawMetadata

# Metadata versions PyPI accepts; a newer 2.x is a warning (PyPI may lag packaging).
PYPI_METADATA_VERSIONS = ("1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5")
SUMMARY_LIMIT = 512
URL_LABEL_LIMIT = 32
FILE_SIZE_LIMIT = 100 * 1024 * 1024
SIZE_LIMIT_HELP = "https://docs.pypi.org/project-management/storage-limits/"
METADATA_HELP = "https://packaging.python.org/specifications/core-metadata/"
_PLATFORM_PREFIXES = (
    "manylinux1_",
    "manylinux2010_",
    "manylinux2014_",
    "manylinux_",
    "musllinux_",
    "macosx_",
    "win32",
    "win_",
    "ios_",
    "android_",
)
_PLATFORM_EXACT = ("any", "linux_armv6l", "linux_armv7l")
_SPELLED = {
    "home-page": "Home-page",
    "download-url": "Download-URL",
    "project-url": "Project-URL",
    "author-email": "Author-email",
    "maintainer-email": "Maintainer-email",
}
# Field-specific codes for packaging's validation errors; anything else is metadata-invalid.
_FIELD_CODES = {
    "name": "name-invalid",
    "version": "version-invalid",
    "license_expression": "license-expression-invalid",
    "requires_dist": "requires-dist-invalid",
    "requires_python": "requires-python-invalid",
    "description_content_type": "content-type-invalid",
}


@frozen
class Checked:
    """What the batch checks need of one file, once its own checks are done."""

    dist: Dist
    name: str | None
    version: Version | None


def _field_key(name: str) -> str:
    """A field name as RawMetadata spells it: ``License-Expression`` -> ``license_expression``."""
    return name.lower().replace("-", "_")


def _check_filename(dist: Dist, name: str | None, version: Version | None) -> None:
    """Wheel and sdist names as PyPI requires them, and agreeing with the metadata."""
    if dist.kind == "wheel":
        try:
            file_name, file_version, _build, tags = parse_wheel_filename(dist.filename)
        except (InvalidWheelFilename, InvalidVersion) as exc:
            dist.add(
                "error",
                "filename-invalid",
                f"not a valid wheel file name: {exc}",
                "rebuild the wheel",
            )
            return
        # Judged on the file's own name part; a different project is filename-name-mismatch.
        expected = canonicalize_name(file_name).replace("-", "_")
        if dist.filename.split("-", 1)[0] != expected:
            dist.add(
                "error",
                "filename-not-normalized",
                f"the name part should be {expected!r}",
                "rebuild with a current build backend, which normalizes wheel names",
            )
        for tag in tags:
            platform = tag.platform
            if platform not in _PLATFORM_EXACT and not platform.startswith(_PLATFORM_PREFIXES):
                dist.add(
                    "error",
                    "wheel-platform-tag",
                    f"platform tag {platform!r} is not accepted by PyPI",
                    "build manylinux/musllinux wheels, for example with cibuildwheel",
                )
                break
    else:
        if not dist.filename.endswith(".tar.gz"):
            dist.add(
                "error",
                "sdist-format",
                "sdists must be .tar.gz files (PEP 625)",
                "rebuild the sdist",
            )
            return
        try:
            file_name, file_version = parse_sdist_filename(dist.filename)
        except (InvalidSdistFilename, InvalidVersion) as exc:
            dist.add(
                "error",
                "filename-invalid",
                f"not a valid sdist file name: {exc}",
                "rebuild the sdist",
            )
            return
        if name is not None and version is not None:
            expected_file = f"{canonicalize_name(name).replace('-', '_')}-{version}.tar.gz"
            if dist.filename != expected_file:
                dist.add(
                    "error",
                    "filename-not-normalized",
                    f"PEP 625 requires the name {expected_file!r}",
                    "rebuild with a current build backend",
                )
    if name is not None and canonicalize_name(file_name) != canonicalize_name(name):
        dist.add(
            "error",
            "filename-name-mismatch",
            f"file name says {file_name!r}, metadata says {name!r}",
        )
    if version is not None and file_version != version:
        dist.add(
            "error",
            "filename-version-mismatch",
            f"file name says {file_version}, metadata says {version}",
        )


def _metadata_version(dist: Dist, raw: RawMetadata) -> str | None:
    """Check Metadata-Version; return the version to validate the other fields against."""
    declared = raw.get("metadata_version")
    if declared is None:
        dist.add(
            "error", "metadata-invalid", "Metadata-Version is missing", "rebuild the distribution"
        )
        return None
    if declared in PYPI_METADATA_VERSIONS:
        return declared
    try:
        parsed = Version(declared)
    except InvalidVersion:
        parsed = None
    newest = Version(PYPI_METADATA_VERSIONS[-1])
    if parsed is not None and parsed.major == newest.major and parsed > newest:
        dist.add(
            "warning",
            "metadata-version-newer",
            f"Metadata-Version {declared} is newer than PyPI is known to accept ({newest})",
            "if the upload is refused, pin an older build backend",
        )
        return PYPI_METADATA_VERSIONS[-1]
    dist.add(
        "error",
        "metadata-version-unsupported",
        f"Metadata-Version {declared} is not one PyPI accepts",
        f"use one of {', '.join(PYPI_METADATA_VERSIONS)}",
    )
    return None


def _validate_fields(dist: Dist, raw: RawMetadata, metadata_version: str) -> None:
    """Validate each field with packaging, mapping errors to codes by field, never by message."""
    from packaging.metadata import ExceptionGroup, InvalidMetadata, Metadata

    raw = dict(raw)  # type: ignore[assignment]  # a copy we may prune
    raw["metadata_version"] = metadata_version
    age = (
        PYPI_METADATA_VERSIONS.index(metadata_version)
        if metadata_version in PYPI_METADATA_VERSIONS
        else 99
    )
    for key in list(raw):
        descriptor = Metadata.__dict__.get(key)
        added = getattr(descriptor, "added", None)
        if added in PYPI_METADATA_VERSIONS and PYPI_METADATA_VERSIONS.index(added) > age:
            code = (
                "license-expression-needs-2.4"
                if key in {"license_expression", "license_files"}
                else "field-too-new"
            )
            dist.add(
                "error",
                code,
                f"{key.replace('_', '-')} needs Metadata-Version {added}, not {metadata_version}",
                "upgrade the build backend",
            )
            del raw[key]  # type: ignore[misc]  # reported; do not report it twice
    try:
        Metadata.from_raw(raw, validate=True)
    except ExceptionGroup as group:
        for error in group.exceptions:
            if isinstance(error, InvalidMetadata):
                key = _field_key(error.field)
                dist.add(
                    "error", _FIELD_CODES.get(key, "metadata-invalid"), str(error), METADATA_HELP
                )


def _check_requirements(dist: Dist, raw: RawMetadata) -> None:
    """No direct-URL requirements, and valid Provides-Dist / Obsoletes-Dist: PyPI refuses both."""
    from packaging.requirements import InvalidRequirement, Requirement

    fields = (
        ("Requires-Dist", raw.get("requires_dist", [])),
        ("Provides-Dist", raw.get("provides_dist", [])),
        ("Obsoletes-Dist", raw.get("obsoletes_dist", [])),
    )
    for field, values in fields:
        for text in values:
            try:
                requirement = Requirement(text)
            except InvalidRequirement as exc:
                if field != "Requires-Dist":  # packaging validates Requires-Dist itself
                    reason = str(exc).splitlines()[0]
                    dist.add(
                        "error",
                        f"{field.lower()}-invalid",
                        f"{field} {text!r} is not a valid requirement: {reason}",
                        "write it as a PEP 508 name with optional version specifiers",
                    )
                continue
            if requirement.url:
                dist.add(
                    "error",
                    "direct-url-requirement",
                    f"{field} {text!r} points at a URL, which PyPI refuses",
                    "name a released version from an index instead",
                )


# email-validator's rules as warehouse applies them (no deliverability check). Written without
# regular expressions: a character class reaching U+10FFFF takes milliseconds to compile, paid
# on every run that checks an address.
_ATEXT_ASCII = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+/=?^_`{|}~-"
)
_LABEL_ASCII = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-")
LABEL_LIMIT = 63
LOCAL_PART_LIMIT = 64
DOMAIN_LIMIT = 253
_SPECIAL_DOMAINS = ("arpa", "invalid", "local", "localhost", "onion", "test")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_PORT = re.compile(
    r"[A-Za-z][A-Za-z0-9+.\-]*://(?:[^/?#@]*@)?(?:\[[^\]]*\]|[^/?#:]*):([0-9]+)(?:[/?#]|\Z)"
)
PORT_LIMIT = 65535


def _is_atom(text: str) -> bool:
    """One dot-separated piece of an address's local part: ASCII atext or any non-ASCII."""
    return bool(text) and all(c in _ATEXT_ASCII or c >= "\x80" for c in text)


def _is_label(text: str) -> bool:
    """One label of a domain: 1 to 63 letters, digits, hyphens or non-ASCII; no edge hyphen."""
    return (
        0 < len(text) <= LABEL_LIMIT
        and not text.startswith("-")
        and not text.endswith("-")
        and all(c in _LABEL_ASCII or c >= "\x80" for c in text)
    )


def _address_problem(address: str) -> str | None:
    """Why one bare address (``local@domain``) is not one PyPI accepts, or ``None``."""
    local, at, domain = address.rpartition("@")
    if not at or not local:
        return "it has no local part and @"
    if len(local) > LOCAL_PART_LIMIT or not all(map(_is_atom, local.split("."))):
        return f"{local!r} is not a valid local part"
    labels = domain.split(".")
    if len(labels) == 1 or len(domain) > DOMAIN_LIMIT:
        return f"the domain {domain!r} is not a full domain name"
    if not all(map(_is_label, labels)) or labels[-1].isdigit():
        return f"the domain {domain!r} is not a valid domain name"
    if labels[-1].lower() in _SPECIAL_DOMAINS:
        return f"the domain {domain!r} is a special-use name"
    return None


def _email_problem(value: str) -> str | None:
    """Why an Author-email / Maintainer-email value is not a list of valid addresses, or None."""
    if not value.strip():
        return None
    import email.utils

    pairs = [pair for pair in email.utils.getaddresses([value]) if pair != ("", "")]
    addresses = [address for _name, address in pairs]
    if not addresses or value.count("@") != sum(a.count("@") for a in addresses):
        return "it is not a list of addresses"
    for address in addresses:
        problem = _address_problem(address)
        if problem is not None:
            return problem
    return None


def _url_problem(url: str) -> str | None:
    """Why ``url`` is not an http(s) URL as warehouse validates it, or ``None``.

    Warehouse percent-encodes the rest before validating, so only the scheme and a numeric
    port are judged: a space inside the path is accepted there, and so here.
    """
    scheme = _SCHEME.match(url)
    if scheme is None or scheme.group(1).lower() not in {"http", "https"}:
        return "it is not an http or https URL"
    port = _PORT.match(url)
    if port is not None and int(port.group(1)) > PORT_LIMIT:
        return f"port {port.group(1)} is out of range"
    return None


def _check_contacts(dist: Dist, raw: RawMetadata) -> None:
    """Emails and URLs: warehouse validates them, packaging does not.

    ``UNKNOWN``, which old setuptools wrote for fields it had no value for, counts as absent
    (publish leaves it out of the upload form).
    """
    for field, key in (("Author-email", "author_email"), ("Maintainer-email", "maintainer_email")):
        value = raw.get(key)
        if not isinstance(value, str) or value == "UNKNOWN":
            continue
        if (problem := _email_problem(value)) is not None:
            dist.add(
                "error",
                "email-invalid",
                f"{field} {value!r} is not a valid email address: {problem}",
                "write addresses as name@example.org or Name <name@example.org>",
            )
    for field, key in (("Home-page", "home_page"), ("Download-URL", "download_url")):
        value = raw.get(key)
        if not isinstance(value, str) or value == "UNKNOWN":
            continue
        if (problem := _url_problem(value)) is not None:
            dist.add(
                "error",
                "url-invalid",
                f"{field} {value!r} is not a valid URL: {problem}",
                "use a full https:// address",
            )
    for label, url in raw.get("project_urls", {}).items():
        if not label.strip():
            dist.add(
                "error",
                "project-url-label-empty",
                f"Project-URL {url!r} has no label",
                "write it as label = URL in [project.urls]",
            )
        elif len(label) > URL_LABEL_LIMIT:
            dist.add(
                "error",
                "project-url-label-too-long",
                f"Project-URL label {label!r} is longer than {URL_LABEL_LIMIT} characters",
            )
        elif (problem := _url_problem(url)) is not None:
            dist.add(
                "error",
                "project-url-invalid",
                f"Project-URL {label!r} has {url!r}, which is not a valid URL: {problem}",
                "use a full https:// address",
            )


def _check_classifiers(dist: Dist, raw: RawMetadata) -> None:
    """Classifiers must be known, public and not deprecated."""
    from trove_classifiers import classifiers, deprecated_classifiers

    for classifier in raw.get("classifiers", []):
        if classifier in deprecated_classifiers:
            replacement = deprecated_classifiers[classifier]
            dist.add(
                "error",
                "classifier-deprecated",
                f"classifier {classifier!r} is deprecated",
                f"use {', '.join(map(repr, replacement))}" if replacement else "remove it",
            )
        elif classifier.startswith("Private ::"):
            dist.add(
                "error",
                "classifier-private",
                f"Classifier {classifier!r} is private: PyPI refuses every upload carrying it",
                "remove it before publishing to PyPI (it exists to block accidental uploads)",
            )
        elif classifier not in classifiers:
            dist.add(
                "error",
                "classifier-unknown",
                f"classifier {classifier!r} is not a known trove classifier",
                "see https://pypi.org/classifiers/",
            )


def _check_limits(dist: Dist, raw: RawMetadata, version: Version | None) -> None:
    """PyPI's own limits: summary length, URL labels, local versions, license rules, file size."""
    summary = raw.get("summary", "")
    if len(summary) > SUMMARY_LIMIT:
        dist.add(
            "error",
            "summary-too-long",
            f"summary has {len(summary)} characters, PyPI allows {SUMMARY_LIMIT}",
        )
    if version is not None and version.local is not None:
        dist.add(
            "error", "local-version", f"version {version} has a local segment, which PyPI refuses"
        )
    if raw.get("license") and raw.get("license_expression"):
        dist.add(
            "error",
            "license-with-expression",
            "License and License-Expression are both set (PEP 639)",
            'keep only license = "SPDX expression" in [project]',
        )
    for license_file in raw.get("license_files", []):
        if f"{dist.metadata_dir}{license_file}" not in dist.members:
            dist.add(
                "error",
                "license-file-missing",
                f"License-File {license_file} is not in the archive",
                "include it (license-files in [project]) or remove the entry",
            )
    size = dist.path.stat().st_size
    if size > FILE_SIZE_LIMIT:
        dist.add(
            "warning",
            "file-too-large",
            f"{size / 1024 / 1024:.0f} MiB is over PyPI's default limit of 100 MiB",
            f"request a limit increase: {SIZE_LIMIT_HELP}",
        )


class ReadmeRenderer:
    """Collects descriptions while files are checked, then renders each distinct one once.

    Rendering reStructuredText with docutils is by far the slowest part of a check, so distinct
    texts are rendered in parallel processes when there are several and more than one core.
    """

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}
        self._waiting: list[tuple[Dist, str]] = []

    def check(self, dist: Dist, raw: RawMetadata, description: str) -> None:
        """Report a missing description or content type now; queue reStructuredText to render."""
        content_type = raw.get("description_content_type")
        if not description.strip():
            dist.add("warning", "readme-missing", "no long description", "set readme in [project]")
            return
        if content_type is None:
            dist.add(
                "warning",
                "readme-content-type-missing",
                "no Description-Content-Type; PyPI will render the description as reStructuredText",
                "set readme to a file ending in .md or .rst in [project]",
            )
        # Markdown and plain text always render; invalid types are reported by field validation.
        if media_type(content_type or "text/x-rst") != "text/x-rst":
            return
        key = hashlib.sha256(description.encode()).hexdigest()
        self._texts.setdefault(key, description)
        self._waiting.append((dist, key))

    def finish(self) -> None:
        """Render every queued text once and report those PyPI would show as plain text."""
        keys = list(self._texts)
        texts = [self._texts[key] for key in keys]
        workers = min(len(texts), os.cpu_count() or 1)
        if workers > 1:
            from concurrent.futures import ProcessPoolExecutor

            with ProcessPoolExecutor(max_workers=workers) as pool:
                problems = list(pool.map(rst_problem, texts))
        else:
            problems = [rst_problem(text) for text in texts]
        results = dict(zip(keys, problems, strict=True))
        for dist, key in self._waiting:
            problem = results[key]
            if problem is not None:
                message = f"the description does not render as reStructuredText: {problem}"
                dist.add("error", "readme-invalid", message)


@frozen
class _Verdict:
    """What a metadata file says and the findings it earns, whichever file carries it.

    The wheels of one release nearly always carry the same METADATA byte for byte, so it is
    parsed and validated once per distinct text and the findings are repeated for each file.
    ``unparsed`` come before the file name's findings and ``fields`` after, as when each file
    was judged on its own.
    """

    raw: RawMetadata
    name: str | None
    version: Version | None
    unparsed: tuple[Finding, ...]
    fields: tuple[Finding, ...]


def _judge_metadata(dist: Dist, metadata: bytes) -> _Verdict:
    """Parse and validate ``metadata``; the findings are collected on a scratch copy of dist."""
    from packaging.metadata import _RAW_TO_EMAIL_MAPPING, parse_email

    scratch = Dist(path=dist.path, kind=dist.kind)
    raw, unparsed = parse_email(metadata)
    for field, values in unparsed.items():
        known = field in _RAW_TO_EMAIL_MAPPING.values()  # lower case, as parse_email keys them
        shown = _SPELLED.get(field) or "-".join(map(str.capitalize, field.split("-")))
        scratch.add(
            "error",
            "metadata-unparsed",
            f"{shown} {values[-1]!r} cannot be read (a duplicate or malformed value)"
            if known
            else f"{shown} {values[-1]!r} is not a core metadata field",
            "rebuild with a current build backend" if known else "remove the field",
        )
    before = tuple(scratch.findings)
    scratch.findings.clear()
    name = raw.get("name")
    try:
        version = Version(raw["version"]) if "version" in raw else None
    except InvalidVersion:
        version = None
    metadata_version = _metadata_version(scratch, raw)
    if metadata_version is not None:
        _validate_fields(scratch, raw, metadata_version)
    _check_requirements(scratch, raw)
    _check_classifiers(scratch, raw)
    _check_contacts(scratch, raw)
    return _Verdict(raw, name, version, before, tuple(scratch.findings))


def _repeat(dist: Dist, findings: Iterable[Finding]) -> None:
    """Add findings judged on another file (with the same metadata) to ``dist``."""
    for finding in findings:
        dist.add(finding.severity, finding.code, finding.message, finding.hint)


def _check_one(dist: Dist, readme: ReadmeRenderer, verdicts: dict[bytes, _Verdict]) -> Checked:
    """All checks of one file; ``verdicts`` holds the metadata texts judged so far."""
    if dist.metadata is None:
        _check_filename(dist, None, None)
        return Checked(dist, None, None)
    verdict = verdicts.get(dist.metadata)
    if verdict is None:
        verdict = verdicts[dist.metadata] = _judge_metadata(dist, dist.metadata)
    _repeat(dist, verdict.unparsed)
    _check_filename(dist, verdict.name, verdict.version)
    _repeat(dist, verdict.fields)
    _check_limits(dist, verdict.raw, verdict.version)
    # parse_email gives the message body (metadata 2.1+) as the description too.
    readme.check(dist, verdict.raw, verdict.raw.get("description", ""))
    return Checked(dist, verdict.name, verdict.version)


def _check_batch(checked: Sequence[Checked]) -> list[Finding]:
    """One name, one version, one sdist across the files checked together."""
    findings: list[Finding] = []
    names = {canonicalize_name(c.name) for c in checked if c.name}
    versions = {c.version for c in checked if c.version is not None}
    sdists = [c.dist.filename for c in checked if c.dist.kind == "sdist"]
    batch = "(batch)"
    if len(names) > 1:
        findings.append(
            Finding(
                batch,
                "error",
                "batch-names",
                f"files of several projects: {', '.join(sorted(names))}",
                "publish one project at a time",
            )
        )
    if len(versions) > 1:
        listing = ", ".join(sorted(str(v) for v in versions))
        findings.append(
            Finding(
                batch,
                "error",
                "batch-versions",
                f"files of several versions: {listing}",
                "remove old files from the folder (or build into a clean one)",
            )
        )
    if len(sdists) > 1:
        findings.append(
            Finding(
                batch,
                "error",
                "batch-sdists",
                f"{len(sdists)} sdists; PyPI accepts one per release",
                "keep one",
            )
        )
    return findings


def _load_validators() -> None:
    """Import packaging's metadata validation, the slowest import of a check.

    Called while worker threads open a large batch, so the import (which holds the GIL)
    overlaps with the inflating and hashing (which mostly do not).
    """
    import packaging.metadata
    import packaging.requirements  # noqa: F401  # imported for its cost, used later


def check_files(paths: Iterable[Path]) -> list[Finding]:
    """Check every file and the batch; return every finding, grouped by file in input order."""
    return check_dists(open_dists(list(paths), meanwhile=_load_validators))


def check_dists(dists: Iterable[Dist]) -> list[Finding]:
    """``check_files`` for distributions already opened (``publish`` keeps their metadata)."""
    readme = ReadmeRenderer()
    verdicts: dict[bytes, _Verdict] = {}
    checked = [_check_one(dist, readme, verdicts) for dist in dists]
    readme.finish()
    findings = [finding for item in checked for finding in item.dist.findings]
    return findings + _check_batch(checked)


def summary_counts(findings: Sequence[Finding]) -> dict[str, int]:
    """Error and warning counts, for the report's last line and the JSON form."""
    errors = sum(1 for f in findings if f.severity == "error")
    warnings = sum(1 for f in findings if f.severity == "warning")
    return {"errors": errors, "warnings": warnings}
