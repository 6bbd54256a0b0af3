"""Where an upload goes and who it is sent as: repositories, ``~/.pypirc``, credentials.

Credentials are looked up in the documented order, ``RELEASEKIT_TOKEN``, then
``RELEASEKIT_USERNAME``/``RELEASEKIT_PASSWORD``, then ``~/.pypirc``, then keyring when it is
installed; the first source that has them wins. Trusted publishing will be the next source
after these, for CI runs with none of them. A password never appears in a ``repr``, a message
or a URL, and it is never sent over plain HTTP except to this machine.
"""

from __future__ import annotations

import base64
import ipaddress
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from releasekit.errors import ConfigError, UsageError
from releasekit.records import field, frozen
from releasekit.redaction import is_credential_parameter, redact_credentials

UPLOAD_URLS = {
    "pypi": "https://upload.pypi.org/legacy/",
    "testpypi": "https://test.pypi.org/legacy/",
}
# Upload host -> simple API of the same index.
SIMPLE_URLS = {
    "upload.pypi.org": "https://pypi.org/simple/",
    "test.pypi.org": "https://test.pypi.org/simple/",
}
_PYPIRC_KEYS = ("repository", "username", "password", "ca_cert", "client_cert")


@frozen
class Credentials:
    """A username and password (or ``__token__`` and a token), and where they came from."""

    username: str
    password: str = field(repr=False)
    source: str = ""

    def authorization(self) -> str:
        """The ``Authorization`` header value for HTTP Basic authentication."""
        pair = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")

    def secrets(self) -> tuple[str, ...]:
        """Every form in which the secret could travel back in a server's answer.

        The password, the ``Authorization`` value, and the Base64 of ``username:password`` and
        ``__token__:password``, with and without its ``=`` padding. The masker adds the
        URL-encoded, JSON-escaped and HTML-escaped forms of each.
        """
        pairs = {f"{self.username}:{self.password}", f"__token__:{self.password}"}
        encoded = [base64.b64encode(pair.encode()).decode("ascii") for pair in sorted(pairs)]
        header = self.authorization()  # masked whole: "Authorization: ********"
        return (self.password, header, *encoded, *(e.rstrip("=") for e in encoded))


@frozen
class Target:
    """Where to upload: the legacy upload URL, the simple API for lookups, TLS files, login."""

    name: str
    upload_url: str
    simple_url: str | None
    credentials: Credentials | None = field(default=None, repr=False)
    ca_cert: str | None = None
    client_cert: str | None = None
    # Lines for the user about other tools' variables that were used (docs/publish.md).
    notes: tuple[str, ...] = ()
    # Login variables that are set but come after the source that was used.
    unused: tuple[str, ...] = ()

    @property
    def is_pypi(self) -> bool:
        """Whether this is PyPI or TestPyPI, which never accept anonymous uploads."""
        return urlsplit(self.upload_url).hostname in SIMPLE_URLS


def _derived_simple(upload_url: str, index_url: str | None) -> str | None:
    """``index_url`` if given, else the simple API of a PyPI host, else unknown."""
    simple = index_url or SIMPLE_URLS.get(urlsplit(upload_url).hostname or "")
    if simple is not None and not simple.endswith("/"):
        simple += "/"
    return simple


def simple_url_for(repository: str, index_url: str | None) -> str:
    """The simple API of a repository name: ``index_url`` if given, else PyPI's or TestPyPI's."""
    simple = _derived_simple(UPLOAD_URLS.get(repository, ""), index_url)
    if simple is None:
        raise ConfigError(
            f"cannot tell the simple API address of repository {repository!r}",
            hint="set index-url in [tool.releasekit] (or RELEASEKIT_INDEX_URL)",
        )
    return simple


def _unreadable(path: Path, exc: Exception) -> ConfigError:
    """The error for a ``.pypirc`` that cannot be read or parsed, without the file's text.

    configparser quotes the offending line, which may be a password: the error keeps only the
    first line of the message, and the caller raises it outside the handler, so that the
    traceback (-v) does not chain the original.
    """
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return ConfigError(
        f"cannot read it: {message}", where=str(path), hint="fix the file's INI syntax"
    )


def read_pypirc(path: Path) -> dict[str, dict[str, str]]:
    """Repositories in a ``.pypirc`` file, read as twine reads it.

    ``[distutils] index-servers`` names the sections (default ``pypi testpypi``); each may set
    repository, username, password, ca_cert and client_cert; the obsolete ``[server-login]``
    gives defaults for username and password. pypi and testpypi need no repository line.
    """
    text = ""
    error: ConfigError | None = None
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        # No file (as in most CI jobs): pypi and testpypi, without reading any INI.
        return {name: {"repository": url} for name, url in UPLOAD_URLS.items()}
    except (OSError, UnicodeDecodeError) as exc:
        error = _unreadable(path, exc)
    if error is not None:  # raised outside the handler, so that no traceback shows the original
        raise error from None
    import configparser  # noqa: PLC0415  # only when there is a file to read

    parser = configparser.RawConfigParser()
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as exc:
        error = _unreadable(path, exc)
    if error is not None:  # raised outside the handler, so that no traceback shows the original
        raise error from None
    defaults = {
        key: parser.get("server-login", key)
        for key in ("username", "password")
        if parser.has_option("server-login", key)
    }
    servers = parser.get("distutils", "index-servers", fallback="pypi testpypi").split()
    config = {name: {**defaults, "repository": url} for name, url in UPLOAD_URLS.items()}
    for name in servers:
        entry = config.setdefault(name, dict(defaults))
        for key in _PYPIRC_KEYS:
            if parser.has_option(name, key):
                entry[key] = parser.get(name, key)
    return config


def _same_url(first: str, second: str) -> bool:
    """Whether two upload URLs name the same endpoint, ignoring a trailing slash."""
    return first.rstrip("/") == second.rstrip("/")


def is_loopback(url: str) -> bool:
    """Whether ``url`` points at this machine (the one place plain HTTP may carry a secret)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _environment_credentials(env: Mapping[str, str]) -> Credentials | None:
    """``RELEASEKIT_TOKEN``, else ``RELEASEKIT_USERNAME`` with ``RELEASEKIT_PASSWORD``."""
    if env.get("RELEASEKIT_TOKEN"):
        return Credentials("__token__", env["RELEASEKIT_TOKEN"], "RELEASEKIT_TOKEN")
    username, password = env.get("RELEASEKIT_USERNAME"), env.get("RELEASEKIT_PASSWORD")
    if username and password:
        return Credentials(username, password, "RELEASEKIT_USERNAME/RELEASEKIT_PASSWORD")
    if username or password:
        given, missing = (
            ("RELEASEKIT_USERNAME", "RELEASEKIT_PASSWORD")
            if username
            else ("RELEASEKIT_PASSWORD", "RELEASEKIT_USERNAME")
        )
        raise ConfigError(
            f"{given} is set but {missing} is not",
            where="environment",
            hint=f"set both, or use RELEASEKIT_TOKEN for an API token (unset {given})",
        )
    return None


# uv's and twine's login variables, tried in this order after releasekit's own:
# (token variable, username variable, password variable, releasekit's variable to use instead).
_OUR_LOGIN = "RELEASEKIT_USERNAME and RELEASEKIT_PASSWORD"
_FOREIGN_LOGINS = (
    ("UV_PUBLISH_TOKEN", None, None, "RELEASEKIT_TOKEN"),
    (None, "UV_PUBLISH_USERNAME", "UV_PUBLISH_PASSWORD", _OUR_LOGIN),
    (None, "TWINE_USERNAME", "TWINE_PASSWORD", _OUR_LOGIN),
)
LOGIN_VARIABLES = (
    "RELEASEKIT_TOKEN",
    "RELEASEKIT_USERNAME",
    "RELEASEKIT_PASSWORD",
    "UV_PUBLISH_TOKEN",
    "UV_PUBLISH_USERNAME",
    "UV_PUBLISH_PASSWORD",
    "TWINE_USERNAME",
    "TWINE_PASSWORD",
)


def _foreign_credentials(env: Mapping[str, str]) -> tuple[Credentials | None, str | None]:
    """uv's, then twine's login variables, and the note that says one was used.

    A password without a username is an API token (username ``__token__``), as uv and twine
    take it for PyPI; a username without a password is refused, as releasekit's own is.
    """
    for token, user_variable, password_variable, ours in _FOREIGN_LOGINS:
        if token is not None and env.get(token):
            credentials = Credentials("__token__", env[token], token)
        elif user_variable is None or password_variable is None:
            continue
        elif env.get(password_variable):
            username = env.get(user_variable) or "__token__"
            source = (
                f"{user_variable}/{password_variable}"
                if env.get(user_variable)
                else password_variable
            )
            credentials = Credentials(username, env[password_variable], source)
        elif env.get(user_variable):
            raise ConfigError(
                f"{user_variable} is set but {password_variable} is not",
                where="environment",
                hint=f"set both, or use RELEASEKIT_TOKEN for an API token (unset {user_variable})",
            )
        else:
            continue
        instead = "RELEASEKIT_TOKEN" if credentials.username == "__token__" else ours
        return credentials, f"using {credentials.source} (set {instead} to silence this)"
    return None, None


@frozen
class Destination:
    """Where the upload goes, as chosen: a repository name or an upload URL, and what chose it."""

    repository: str
    repository_url: str | None = None
    source: str = "--repository-url"  # what named the URL, for its errors
    note: str | None = None


def choose_destination(
    *,
    repository: str,
    repository_flag: bool,
    repository_url: str | None,
    env: Mapping[str, str],
) -> Destination:
    """The upload destination, in the order of docs/publish.md.

    ``--repository-url``, ``-r``, ``RELEASEKIT_REPOSITORY_URL``, the ``repository`` setting
    (``RELEASEKIT_REPOSITORY``, ``[tool.releasekit]``), then uv's ``UV_PUBLISH_URL`` and
    twine's ``TWINE_REPOSITORY_URL`` and ``TWINE_REPOSITORY`` (each with a note), then PyPI.
    ``repository`` is the resolved setting; ``repository_flag`` says it came from ``-r``.
    """
    if repository_url is not None:
        return Destination(repository, repository_url)
    if repository_flag:
        return Destination(repository)
    if env.get("RELEASEKIT_REPOSITORY_URL"):
        return Destination(
            repository, env["RELEASEKIT_REPOSITORY_URL"], "RELEASEKIT_REPOSITORY_URL"
        )
    if repository != "pypi":
        return Destination(repository)
    for variable in ("UV_PUBLISH_URL", "TWINE_REPOSITORY_URL"):
        if env.get(variable):
            note = f"using {variable} (set RELEASEKIT_REPOSITORY_URL to silence this)"
            return Destination(repository, env[variable], variable, note)
    if env.get("TWINE_REPOSITORY"):
        note = "using TWINE_REPOSITORY (set RELEASEKIT_REPOSITORY to silence this)"
        return Destination(env["TWINE_REPOSITORY"], note=note)
    return Destination(repository)


def simple_url_of(
    destination: Destination, index_url: str | None, home: Path
) -> tuple[str | None, str]:
    """The simple API for ``destination`` (``index_url``, else derived) and its upload URL.

    The simple API is ``None`` when it must be found by asking the index
    (``releasekit.index.discovery``); a destination with no upload URL at all is an error.
    """
    upload_url = destination.repository_url
    if upload_url is None:
        upload_url = UPLOAD_URLS.get(destination.repository) or (
            read_pypirc(home / ".pypirc").get(destination.repository, {}).get("repository", "")
        )
    simple = _derived_simple(upload_url, index_url)
    if simple is None and not upload_url:
        raise ConfigError(
            f"cannot tell the simple API address of repository {destination.repository!r}",
            hint="pass --index-url URL (or set index-url in [tool.releasekit], "
            "or RELEASEKIT_INDEX_URL)",
        )
    return simple, upload_url


def _keyring_credentials(url: str, username: str | None) -> Credentials | None:
    """What keyring holds for ``url`` (and ``username``), if keyring is installed and answers."""
    try:
        import keyring  # noqa: PLC0415  # optional, and slow to import
    except ImportError:
        return None
    try:
        if username:
            password = keyring.get_password(url, username)
            return Credentials(username, password, "keyring") if password else None
        found = keyring.get_credential(url, None)
    except Exception:  # keyring backends raise anything; no answer is no credential
        return None
    if found is None or not found.password:
        return None
    return Credentials(found.username or "__token__", found.password, "keyring")


def _validate_upload_url(url: str, where: str) -> str:
    """An http(s) URL without credentials in it."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise UsageError(
            f"{redact_credentials(url)!r} is not an http(s) URL",
            where=where,
            hint="for example https://upload.pypi.org/legacy/",
        )
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise UsageError(
            f"{redact_credentials(url)!r} has an invalid port",
            where=where,
            hint="a port is a number from 1 to 65535, for example http://127.0.0.1:8080/",
        )
    query_names = [part.split("=", 1)[0] for part in re.split("[&;]", parts.query) if part]
    if parts.username or parts.password or any(map(is_credential_parameter, query_names)):
        raise UsageError(
            "the repository URL must not contain credentials",
            where=where,
            hint="use RELEASEKIT_TOKEN, RELEASEKIT_USERNAME/RELEASEKIT_PASSWORD or ~/.pypirc",
        )
    return url


def resolve_target(
    *,
    repository: str,
    repository_url: str | None,
    index_url: str | None,
    env: Mapping[str, str],
    home: Path,
    url_source: str = "--repository-url",
    notes: tuple[str, ...] = (),
) -> Target:
    """The upload target and its credentials, from the flags, settings and ``~/.pypirc``.

    ``repository_url`` (``--repository-url``) wins over the ``repository`` name; its
    credentials come from a ``~/.pypirc`` section with the same URL, if there is one. The simple
    API is ``index_url`` when set, else derived for PyPI and TestPyPI, else unknown (``None``).
    """
    pypirc_path = home / ".pypirc"
    pypirc = read_pypirc(pypirc_path)
    if repository_url is not None:
        url = _validate_upload_url(repository_url, url_source)
        name = next((n for n, e in pypirc.items() if _same_url(e.get("repository", ""), url)), url)
        section = pypirc.get(name, {})
    else:
        if repository not in pypirc:
            raise ConfigError(
                f"repository {repository!r} is not in {pypirc_path}",
                where="--repository",
                hint=f"add a [{repository}] section with repository = URL, or use --repository-url",
            )
        section = pypirc[repository]
        if "repository" not in section:
            raise ConfigError(
                f"section [{repository}] has no repository URL",
                where=str(pypirc_path),
                hint="add repository = https://.../legacy/",
            )
        url = _validate_upload_url(section["repository"], f"{pypirc_path} [{repository}]")
        name = repository
    credentials = _environment_credentials(env)
    if credentials is None:
        credentials, note = _foreign_credentials(env)
        notes = (*notes, note) if note else notes
    if credentials is None and section.get("username") and section.get("password"):
        credentials = Credentials(
            section["username"], section["password"], f"{pypirc_path} [{name}]"
        )
    if credentials is None:
        credentials = _keyring_credentials(url, section.get("username"))
    if credentials is not None and urlsplit(url).scheme == "http" and not is_loopback(url):
        raise ConfigError(
            "refusing to send credentials over plain HTTP",
            where=url,
            hint="use an https:// address (plain http is allowed only to this machine)",
        )
    return Target(
        name=name,
        upload_url=url,
        simple_url=_derived_simple(url, index_url),
        credentials=credentials,
        ca_cert=section.get("ca_cert"),
        client_cert=section.get("client_cert"),
        notes=notes,
        unused=_unused_logins(env, credentials),
    )


def _unused_logins(env: Mapping[str, str], credentials: Credentials | None) -> tuple[str, ...]:
    """Login variables that are set but were not used (a source before them won)."""
    used = set(credentials.source.split("/")) if credentials is not None else set()
    return tuple(v for v in LOGIN_VARIABLES if env.get(v) and v not in used)
