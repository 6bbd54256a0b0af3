"""``releasekit check``: find, offline and all at once, everything PyPI would reject.

Each file is checked for its archive (``dists.py``), its name, its core metadata (validated with
``packaging.metadata`` and PyPI's own limits), its long description (rendered as PyPI renders it,
each distinct text once), and then the batch is checked for consistency. Every problem of every
file is reported in one run; nothing stops at the first.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.metadata import ExceptionGroup, InvalidMetadata, Metadata, RawMetadata, parse_email
from packaging.requirements import InvalidRequirement, Requirement
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
# Field-specific codes for packaging's validation errors; anything else is metadata-invalid.
_FIELD_CODES = {
    "name": "name-invalid",
    "version": "version-invalid",
    "license_expression": "license-expression-invalid",
    "requires_dist": "requires-dist-invalid",
    "requires_python": "requires-python-invalid",
    "description_content_type": "content-type-invalid",
}


@dataclass(frozen=True)
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
    """No direct-URL requirements: PyPI refuses them."""
    for text in raw.get("requires_dist", []):
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue  # reported by field validation
        if requirement.url:
            dist.add(
                "error",
                "direct-url-requirement",
                f"requirement {text!r} points at a URL, which PyPI refuses",
                "depend on a released version from an index instead",
            )


def _check_classifiers(dist: Dist, raw: RawMetadata) -> None:
    """Classifiers must be known and not deprecated."""
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
        elif classifier not in classifiers and not classifier.startswith("Private ::"):
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
    for label in raw.get("project_urls", {}):
        if len(label) > URL_LABEL_LIMIT:
            dist.add(
                "error",
                "project-url-label-too-long",
                f"project URL label {label!r} is longer than {URL_LABEL_LIMIT} characters",
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


def _check_one(dist: Dist, readme: ReadmeRenderer) -> Checked:
    """All checks of one file."""
    if dist.metadata is None:
        _check_filename(dist, None, None)
        return Checked(dist, None, None)
    raw, _unparsed = parse_email(dist.metadata)
    name = raw.get("name")
    try:
        version = Version(raw["version"]) if "version" in raw else None
    except InvalidVersion:
        version = None
    _check_filename(dist, name, version)
    metadata_version = _metadata_version(dist, raw)
    if metadata_version is not None:
        _validate_fields(dist, raw, metadata_version)
    _check_requirements(dist, raw)
    _check_classifiers(dist, raw)
    _check_limits(dist, raw, version)
    # parse_email gives the message body (metadata 2.1+) as the description too.
    readme.check(dist, raw, raw.get("description", ""))
    return Checked(dist, name, version)


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


def check_files(paths: Iterable[Path]) -> list[Finding]:
    """Check every file and the batch; return every finding, grouped by file in input order."""
    return check_dists(open_dists(list(paths)))


def check_dists(dists: Iterable[Dist]) -> list[Finding]:
    """``check_files`` for distributions already opened (``publish`` keeps their metadata)."""
    readme = ReadmeRenderer()
    checked = [_check_one(dist, readme) for dist in dists]
    readme.finish()
    findings = [finding for item in checked for finding in item.dist.findings]
    return findings + _check_batch(checked)


def summary_counts(findings: Sequence[Finding]) -> dict[str, int]:
    """Error and warning counts, for the report's last line and the JSON form."""
    errors = sum(1 for f in findings if f.severity == "error")
    warnings = sum(1 for f in findings if f.severity == "warning")
    return {"errors": errors, "warnings": warnings}
