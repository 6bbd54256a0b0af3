"""The upload form: every metadata field PyPI reads, named and shaped as warehouse expects.

PyPI stores the metadata it gets in the form fields, not what is inside the file: a field left
out here is missing on the index for good. Names are the metadata field lowercased with ``-`` as
``_``; multi-use fields repeat their key, a few under a singular name; keywords travel as one
comma-joined value and project URLs as ``Label, URL``; ``UNKNOWN`` values are dropped.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence

from packaging.metadata import parse_email

Field = tuple[str, str]

# RawMetadata key -> form field name, where they differ.
_RENAMED = {
    "platforms": "platform",
    "supported_platforms": "supported_platform",
    "license_files": "license_file",
    "import_names": "import_name",
    "import_namespaces": "import_namespace",
}


def metadata_fields(metadata: bytes) -> list[Field]:
    """The form fields for a core metadata file (``METADATA`` or ``PKG-INFO``), in file order."""
    return list(_metadata_fields(metadata))


@functools.lru_cache(maxsize=16)
def _metadata_fields(metadata: bytes) -> tuple[Field, ...]:
    """``metadata_fields``, parsed once per distinct text: a release's wheels share one."""
    raw, _unparsed = parse_email(metadata)
    fields: list[Field] = []
    values: Mapping[str, object] = raw
    for key, value in values.items():
        name = _RENAMED.get(key, key)
        if key == "keywords" and isinstance(value, list):
            fields.append((name, ", ".join(value)))
        elif key == "project_urls" and isinstance(value, dict):
            fields.extend((name, f"{label}, {url}") for label, url in value.items())
        elif isinstance(value, list):
            fields.extend((name, str(item)) for item in value if item != "UNKNOWN")
        elif isinstance(value, str) and value != "UNKNOWN":
            fields.append((name, value))
    return tuple(fields)


def python_tag(filename: str) -> str:
    """``pyversion`` for a file: a wheel's python tag (``py3``, ``cp312``), else ``source``."""
    if not filename.endswith(".whl"):
        return "source"
    return filename[: -len(".whl")].split("-")[-3]


def upload_fields(
    metadata: bytes,
    filename: str,
    *,
    sha256: str,
    blake2_256: str,
    attestations: Sequence[Mapping[str, object]] = (),
) -> list[Field]:
    """Every form field of one upload except the file itself.

    PEP 740 attestations travel as warehouse reads them: one text field ``attestations``
    holding a JSON array of attestation objects, left out when there are none (warehouse
    refuses an empty array).
    """
    wheel = filename.endswith(".whl")
    attested = [("attestations", json.dumps(list(attestations)))] if attestations else []
    return [
        (":action", "file_upload"),
        ("protocol_version", "1"),
        ("filetype", "bdist_wheel" if wheel else "sdist"),
        ("pyversion", python_tag(filename)),
        ("sha256_digest", sha256),
        ("blake2_256_digest", blake2_256),
        *metadata_fields(metadata),
        *attested,
    ]
