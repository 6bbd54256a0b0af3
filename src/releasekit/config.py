"""Configuration: ``[tool.releasekit]`` in pyproject.toml, ``RELEASEKIT_*`` variables and flags.

Precedence is flag > environment > file > default, applied in exactly one place,
``resolve_settings``, so that every command agrees on it. The result is a frozen ``Settings``;
nothing downstream re-reads the environment or the file.
"""

from __future__ import annotations

import difflib
import string
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from releasekit.errors import ConfigError
from releasekit.records import field, frozen
from releasekit.redaction import redact_credentials

PYPROJECT = "pyproject.toml"
DEFAULT_COMMIT_MESSAGE = "Release {version}"


@frozen
class VersionFileSpec:
    """A file, beyond those found automatically, in which the version is written.

    ``pattern`` is literal text with one ``{version}`` placeholder; without it, the file holds a
    ``__version__``/``version`` assignment or nothing but the version.
    """

    path: str
    pattern: str | None = None


@frozen
class Settings:
    """Every setting a release needs, already validated."""

    # None: found by its usual names (CHANGELOG, CHANGES, HISTORY, NEWS); False: no changelog step.
    changelog: str | Literal[False] | None = None
    # None: read from the existing release tags and the scm configuration (``tags.py``).
    tag_format: str | None = None
    version_files: tuple[VersionFileSpec, ...] = ()
    release_branch: str | None = None  # None: main or master
    commit_message: str = DEFAULT_COMMIT_MESSAGE
    repository: str = "pypi"
    index_url: str | None = None  # simple API base; derived for pypi and testpypi
    verify_timeout: float = 60.0  # seconds publish waits for the index to serve a new file
    # Limits on every request to an index (docs/configuration.md#time-limits).
    connect_timeout: float = 30.0  # seconds to open a connection
    read_timeout: float = 60.0  # seconds the index may stay silent
    request_timeout: float = 120.0  # seconds a lookup, or an upload attempt before its size
    min_upload_speed: float = 64.0  # KiB/s: an upload attempt gets size / this speed more
    upload_attempts: int = 5  # tries per file, the first included
    # Commit-driven releases (``prepare auto``, docs/prepare.md#versions-from-commits).
    major_on_zero: bool = False  # a breaking change in 0.x bumps the major version too
    # Conventional Commits type -> changelog heading, over the defaults; "" leaves a type out.
    changelog_sections: Mapping[str, str] | None = None
    include_merges: bool = False  # merge commits count as changes
    commit_per_package: bool = False  # ``prepare --all``: a commit per package, not one in all

    def commit_message_for(self, version: object, name: str = "") -> str:
        """The release commit message of ``version`` (of the package ``name``)."""
        return self.commit_message.format(version=version, name=name)


@frozen
class Project:
    """A project root and its parsed pyproject.toml (empty for a setup.py/setup.cfg project)."""

    root: Path
    pyproject: Mapping[str, Any] = field(repr=False)

    @property
    def pyproject_path(self) -> Path:
        """Where pyproject.toml lives (it may not exist for a setup.py-only project)."""
        return self.root / PYPROJECT


# key in [tool.releasekit] -> (Settings field, environment variable)
_KEYS: dict[str, tuple[str, str]] = {
    "changelog": ("changelog", "RELEASEKIT_CHANGELOG"),
    "tag-format": ("tag_format", "RELEASEKIT_TAG_FORMAT"),
    "version-files": ("version_files", "RELEASEKIT_VERSION_FILES"),
    "release-branch": ("release_branch", "RELEASEKIT_RELEASE_BRANCH"),
    "commit-message": ("commit_message", "RELEASEKIT_COMMIT_MESSAGE"),
    "repository": ("repository", "RELEASEKIT_REPOSITORY"),
    "index-url": ("index_url", "RELEASEKIT_INDEX_URL"),
    "verify-timeout": ("verify_timeout", "RELEASEKIT_VERIFY_TIMEOUT"),
    "connect-timeout": ("connect_timeout", "RELEASEKIT_CONNECT_TIMEOUT"),
    "read-timeout": ("read_timeout", "RELEASEKIT_READ_TIMEOUT"),
    "request-timeout": ("request_timeout", "RELEASEKIT_REQUEST_TIMEOUT"),
    "min-upload-speed": ("min_upload_speed", "RELEASEKIT_MIN_UPLOAD_SPEED"),
    "upload-attempts": ("upload_attempts", "RELEASEKIT_UPLOAD_ATTEMPTS"),
    "major-on-zero": ("major_on_zero", "RELEASEKIT_MAJOR_ON_ZERO"),
    "changelog-sections": ("changelog_sections", "RELEASEKIT_CHANGELOG_SECTIONS"),
    "include-merges": ("include_merges", "RELEASEKIT_INCLUDE_MERGES"),
    "commit-per-package": ("commit_per_package", "RELEASEKIT_COMMIT_PER_PACKAGE"),
}
_BOOLEANS = ("major-on-zero", "include-merges", "commit-per-package")
_SECONDS = ("verify-timeout", "connect-timeout", "read-timeout", "request-timeout")
MAX_UPLOAD_ATTEMPTS = 20


LEGACY_FILES = ("setup.py", "setup.cfg")


def load_project(root: Path) -> Project:
    """Read ``root/pyproject.toml``; a missing or malformed file is a ``ConfigError``.

    A project described only by setup.py or setup.cfg has no pyproject.toml: it loads with an
    empty table, and the version sources are read from those files instead.
    """
    path = root / PYPROJECT
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        if any((root / name).is_file() for name in LEGACY_FILES):
            return Project(root=root, pyproject={})
        raise ConfigError(
            "no pyproject.toml found",
            where=str(root),
            hint="run releasekit from the project root or pass -C DIR",
        ) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"invalid TOML: {exc}", where=str(path), hint="fix the syntax and run again"
        ) from exc
    _check_shapes(data, where=str(path))
    return Project(root=root, pyproject=data)


def _is_table(value: object) -> bool:
    return isinstance(value, dict)


def _is_text(value: object) -> bool:
    return isinstance(value, str)


def _is_text_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _is_text_or_text_list(value: object) -> bool:
    return isinstance(value, str) or _is_text_list(value)


def _is_text_table(value: object) -> bool:
    return isinstance(value, dict) and all(isinstance(item, str) for item in value.values())


_TABLE = (_is_table, "a table")
_TEXT = (_is_text, "a string")
_TEXT_LIST = (_is_text_list, "a list of strings")

# Every value in pyproject.toml that releasekit reads, with the type it must have. A parent comes
# before its children, so a child is checked only when its parent is a table.
_SHAPES: tuple[tuple[tuple[str, ...], tuple[Any, str]], ...] = (
    (("build-system",), _TABLE),
    (("build-system", "requires"), _TEXT_LIST),
    (("build-system", "build-backend"), _TEXT),
    (("project",), _TABLE),
    (("project", "name"), _TEXT),
    (("project", "version"), _TEXT),
    (("project", "dynamic"), _TEXT_LIST),
    (("project", "classifiers"), _TEXT_LIST),
    (("tool",), _TABLE),
    (("tool", "releasekit"), _TABLE),
    (("tool", "hatch"), _TABLE),
    (("tool", "hatch", "version"), _TABLE),
    (("tool", "hatch", "version", "path"), _TEXT),
    (("tool", "hatch", "version", "source"), _TEXT),
    (("tool", "setuptools"), _TABLE),
    (("tool", "setuptools", "package-dir"), (_is_text_table, "a table of strings")),
    (("tool", "setuptools", "dynamic"), _TABLE),
    (("tool", "setuptools", "dynamic", "version"), _TABLE),
    (("tool", "setuptools", "dynamic", "version", "attr"), _TEXT),
    (
        ("tool", "setuptools", "dynamic", "version", "file"),
        (_is_text_or_text_list, "a string or a list of strings"),
    ),
    (("tool", "pdm"), _TABLE),
    (("tool", "pdm", "version"), _TABLE),
    (("tool", "pdm", "version", "source"), _TEXT),
    (("tool", "pdm", "version", "path"), _TEXT),
    (("tool", "pdm", "build"), _TABLE),
    (("tool", "poetry"), _TABLE),
    (("tool", "poetry", "name"), _TEXT),
    (("tool", "poetry", "version"), _TEXT),
    (("tool", "poetry-dynamic-versioning"), _TABLE),
    (("tool", "maturin"), _TABLE),
    (("tool", "maturin", "manifest-path"), _TEXT),
    (("tool", "flit"), _TABLE),
    (("tool", "flit", "module"), _TABLE),
    (("tool", "uv"), _TABLE),
    (("tool", "uv", "build-backend"), _TABLE),
    (("tool", "towncrier"), _TABLE),
)

_TYPE_NAMES = {
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    str: "a string",
    list: "an array",
    dict: "a table",
}


def _check_shapes(data: Mapping[str, Any], *, where: str) -> None:
    """Refuse a value releasekit reads whose type is wrong, naming the key (a ``ConfigError``).

    Without this, ``tool = 5`` or ``[project] dynamic = 5`` would surface as a crash deep in
    whatever reads it first.
    """
    for path, (accepts, kind) in _SHAPES:
        parent: Any = data
        for key in path[:-1]:
            parent = parent.get(key) if isinstance(parent, dict) else None
        if not isinstance(parent, dict) or path[-1] not in parent:
            continue
        value = parent[path[-1]]
        if not accepts(value):
            found = _TYPE_NAMES.get(type(value), f"a {type(value).__name__}")
            if isinstance(value, list | dict) and value:
                found = f"{found} holding {_contents(value)}"
            name = path[-1] if len(path) == 1 else f"[{'.'.join(path[:-1])}] {path[-1]}"
            raise ConfigError(
                f"{name} must be {kind}, not {found}",
                where=where,
                hint="fix its type in pyproject.toml",
            )


def _contents(value: list[Any] | dict[str, Any]) -> str:
    """What a list or table holds, by type, for a message: ``an integer`` or ``mixed values``."""
    items = value if isinstance(value, list) else list(value.values())
    kinds = {_TYPE_NAMES.get(type(item), type(item).__name__) for item in items}
    return kinds.pop() if len(kinds) == 1 else "mixed values"


def _placeholder_text(key: str, value: object, *, where: str, required: bool) -> str:
    """Validate a string that may use only the bare ``{version}`` and ``{name}`` placeholders.

    Attribute and index access (``{version.major}``), format specs (``{version:>20}``) and
    conversions (``{version!r}``) are refused: they would crash, or silently put Python's
    representation of an object into a tag or a commit message.
    """
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{key} must be a non-empty string", where=where)
    hint = (
        "write '{version}' where the version goes and '{name}' for the project's name; "
        "double other braces ('{{' and '}}')"
    )
    try:
        fields = [
            (name, spec, conversion)
            for _, name, spec, conversion in string.Formatter().parse(value)
            if name is not None
        ]
    except ValueError as exc:
        raise ConfigError(
            f"{key} {value!r} is not a valid template: {exc}", where=where, hint=hint
        ) from exc
    for name, spec, conversion in fields:
        if name not in ("version", "name") or spec or conversion:
            raise ConfigError(
                f"{key} {value!r} uses a placeholder other than a bare {{version}} or {{name}}",
                where=where,
                hint=hint,
            )
    if required and not any(name == "version" for name, _, _ in fields):
        raise ConfigError(
            f"{key} {value!r} does not contain {{version}}",
            where=where,
            hint="for example 'v{version}'",
        )
    return value


def _version_files(value: object, *, where: str) -> tuple[VersionFileSpec, ...]:
    """Validate ``version-files``: a list of paths or ``{path = ..., pattern = ...}`` tables."""
    if not isinstance(value, list):
        raise ConfigError("version-files must be a list", where=where)
    specs = []
    for entry in value:
        if isinstance(entry, str) and entry:
            specs.append(VersionFileSpec(entry))
        elif isinstance(entry, dict) and isinstance(entry.get("path"), str):
            unknown = set(entry) - {"path", "pattern"}
            if unknown:
                raise ConfigError(
                    f"version-files entry has unknown key(s) {', '.join(sorted(unknown))}",
                    where=where,
                    hint="an entry takes 'path' and optionally 'pattern'",
                )
            pattern = entry.get("pattern")
            if pattern is not None:
                pattern = _placeholder_text(
                    "version-files pattern", pattern, where=where, required=True
                )
            specs.append(VersionFileSpec(entry["path"], pattern))
        else:
            raise ConfigError(
                f"version-files entry {entry!r} is neither a path nor a table with 'path'",
                where=where,
            )
    return tuple(specs)


def _seconds(key: str, value: object, *, where: str, unit: str = "seconds") -> float:
    """A positive number (of seconds), from the file (a number) or the environment (text)."""
    try:
        seconds = float(value) if isinstance(value, int | float | str) else -1.0
    except ValueError:
        seconds = -1.0
    if isinstance(value, bool) or not 0 < seconds < float("inf"):
        raise ConfigError(
            f"{key} must be a positive number of {unit}, not {value!r}",
            where=where,
            hint="for example 60",
        )
    return seconds


def _attempts(key: str, value: object, *, where: str) -> int:
    """A whole number of tries from 1 to ``MAX_UPLOAD_ATTEMPTS`` (1: no retry)."""
    text = value.strip() if isinstance(value, str) else value
    number = int(text) if isinstance(text, str) and text.isdigit() else text
    if isinstance(number, bool) or not isinstance(number, int):
        number = 0
    if not 1 <= number <= MAX_UPLOAD_ATTEMPTS:
        raise ConfigError(
            f"{key} must be a whole number from 1 to {MAX_UPLOAD_ATTEMPTS}, not {value!r}",
            where=where,
            hint="for example 5 (1: no retry)",
        )
    return number


_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


def _boolean(key: str, value: object, *, where: str) -> bool:
    """True or false, from the file (a boolean) or the environment (true/false, yes/no, 1/0)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise ConfigError(f"{key} must be true or false, not {value!r}", where=where)


def _sections(key: str, value: object, *, where: str) -> dict[str, str]:
    """A table of commit type -> changelog heading (environment: ``feat=Added,docs=``)."""
    if isinstance(value, str):
        pairs = [part.partition("=") for part in value.split(",") if part.strip()]
        if not all(sep for _, sep, _ in pairs):
            raise ConfigError(
                f"{key} must be TYPE=HEADING pairs separated by commas, not {value!r}",
                where=where,
                hint="for example feat=Features,fix=Bug fixes,docs=Documentation",
            )
        value = {name.strip(): heading.strip() for name, _, heading in pairs}
    if not isinstance(value, dict) or not all(
        isinstance(name, str) and name and isinstance(heading, str)
        for name, heading in value.items()
    ):
        raise ConfigError(
            f"{key} must be a table of commit types to changelog headings",
            where=where,
            hint='for example changelog-sections = { docs = "Documentation", chore = "" }',
        )
    return {name.lower(): heading for name, heading in value.items()}


def _changelog(value: object, *, where: str) -> str | Literal[False]:
    """A changelog path, or ``false`` (``"false"`` in the environment) for no changelog step."""
    if value is False or (isinstance(value, str) and value.lower() == "false"):
        return False
    if not isinstance(value, str) or not value:
        raise ConfigError(
            "changelog must be a file name, or false for no changelog step",
            where=where,
            hint='for example changelog = "HISTORY.rst"',
        )
    return value


def _validate(key: str, value: object, where: str) -> object:
    """Check one setting's type and form, returning the value as ``Settings`` stores it."""
    if key == "changelog":
        return _changelog(value, where=where)
    if key == "version-files":
        return _version_files(value, where=where)
    if key == "tag-format":
        return _placeholder_text(key, value, where=where, required=True)
    if key == "commit-message":
        return _placeholder_text(key, value, where=where, required=False)
    if key in _SECONDS:
        return _seconds(key, value, where=where)
    if key == "min-upload-speed":
        return _seconds(key, value, where=where, unit="KiB per second")
    if key == "upload-attempts":
        return _attempts(key, value, where=where)
    if key in _BOOLEANS:
        return _boolean(key, value, where=where)
    if key == "changelog-sections":
        return _sections(key, value, where=where)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{key} must be a non-empty string", where=where)
    if key == "index-url":
        return _url(key, value, where=where)
    return value


def _url(key: str, value: str, *, where: str) -> str:
    """A URL whose port, when it has one, is a number from 1 to 65535."""
    try:
        port = urlsplit(value).port
    except ValueError:
        port = 0
    if port == 0:
        raise ConfigError(
            f"{key} {redact_credentials(value)!r} has an invalid port",
            where=where,
            hint="a port is a number from 1 to 65535, for example http://127.0.0.1:8080/simple/",
        )
    return value


FILE_ORIGIN = "pyproject.toml [tool.releasekit]"
DEFAULT_ORIGIN = "default"


def resolve_settings(
    project: Project,
    *,
    env: Mapping[str, str],
    flags: Mapping[str, object] | None = None,
) -> Settings:
    """Merge the settings, in the order flag > ``RELEASEKIT_*`` environment > file > default.

    See ``resolve_settings_with_sources``, which this is without the origins.
    """
    return resolve_settings_with_sources(project, env=env, flags=flags)[0]


def resolve_settings_with_sources(
    project: Project,
    *,
    env: Mapping[str, str],
    flags: Mapping[str, object] | None = None,
) -> tuple[Settings, dict[str, str]]:
    """The settings, merged as flag > ``RELEASEKIT_*`` environment > file > default, and origins.

    The origins map each ``[tool.releasekit]`` key to where its value came from:
    ``flag --KEY``, ``environment variable NAME``, ``FILE_ORIGIN`` or ``DEFAULT_ORIGIN``.
    ``flags`` maps a ``[tool.releasekit]`` key to a value given on the command line (``None``
    means the flag was not given). Unknown keys in the file are errors, so that a typo is not
    silently ignored.
    """
    table = project.pyproject.get("tool", {}).get("releasekit", {})
    file_where = f"{project.pyproject_path} [tool.releasekit]"
    if not isinstance(table, dict):
        raise ConfigError("[tool.releasekit] must be a table", where=str(project.pyproject_path))
    # doctor's own table (doctor.ignore) is read, and checked, by doctor.
    unknown = sorted(set(table) - set(_KEYS) - {"doctor"})
    if unknown:
        close = difflib.get_close_matches(unknown[0].replace("_", "-"), _KEYS, n=1, cutoff=0.6)
        raise ConfigError(
            f"unknown key {unknown[0]!r}",
            where=file_where,
            hint=(f"did you mean {close[0]!r}? " if close else "")
            + f"the keys are {', '.join(_KEYS)}",
        )
    values: dict[str, object] = {}
    origins = dict.fromkeys(_KEYS, DEFAULT_ORIGIN)
    for key, (attribute, variable) in _KEYS.items():
        flag = (flags or {}).get(key)
        if flag is not None:
            raw: object = flag
            where = f"--{key}"
            origins[key] = f"flag --{key}"
        elif env.get(variable):
            raw = env[variable]
            if key == "version-files":
                raw = [part for part in env[variable].split(",") if part]
            where = f"environment variable {variable}"
            origins[key] = where
        elif key in table:
            raw, where = table[key], f"{file_where} {key}"
            origins[key] = FILE_ORIGIN
        else:
            continue
        values[attribute] = _validate(key, raw, where)
    settings = Settings(**values)  # type: ignore[arg-type]  # each value was validated for its field
    return settings, origins


def load_settings(
    root: Path, env: Mapping[str, str], flags: Mapping[str, object] | None = None
) -> Settings:
    """Settings for commands that also run outside a project (``check``, ``publish``).

    Without a pyproject.toml only the flags, the environment and the defaults apply.
    """
    if not (root / PYPROJECT).exists():
        return resolve_settings(Project(root=root, pyproject={}), env=env, flags=flags)
    return resolve_settings(load_project(root), env=env, flags=flags)
