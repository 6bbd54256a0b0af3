"""A strict local index that speaks warehouse's upload protocol, for tests.

pypiserver and devpi check no digests and ignore the metadata fields; this server does what
PyPI does (shared/reference/index-protocols.md, section 1): it checks the token, every digest
sent, the form's shape and the file name, answers an identical re-upload with 200 and a
different one with 400 "File already exists", sends its messages in the status line and as JSON
when asked, and serves what it stored on a PEP 691 simple API with relative file URLs.
"""

from __future__ import annotations

import base64
import datetime
import email.parser
import email.policy
import hashlib
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler

from tests.servers import serve

REUSE = "See https://pypi.org/help/#file-name-reuse for more information."
INVALID_AUTH = (
    "Invalid or non-existent authentication information. "
    "See https://pypi.org/help/#invalid-auth for more information."
)
_DIGEST = re.compile(r"^[A-Fa-f0-9]{64}$")


@dataclass
class Stored:
    """A file the index accepted, with the form it came with."""

    filename: str
    sha256: str
    blake2_256: str
    data: bytes
    fields: list[tuple[str, str]]
    upload_time: datetime.datetime


@dataclass
class IndexState:
    """What the index holds and saw; tests read it and set the switches."""

    token: str | None = None
    files: dict[str, Stored] = field(default_factory=dict)
    stored: list[str] = field(default_factory=list)  # one entry per file that landed
    posts: int = 0
    authorizations: list[str] = field(default_factory=list)
    hide_files: bool = False  # the simple API does not show uploads (a stale cache)
    serve_wrong_hash: bool = False  # the simple API shows another sha256
    echo_authorization: bool = False  # every answer repeats the Authorization header
    simple_api: bool = True  # False: no simple API at /simple/ (an upload-only endpoint)
    oidc_audience: str | None = None  # trusted publishing: the audience it wants (None: off)
    trusted_identity: str | None = None  # the one identity a publisher is registered for
    used_identities: list[str] = field(default_factory=list)  # each token is good once (jti)
    mint_lifetime: int = 900  # seconds a minted token lives (warehouse: 900)
    mint_error: tuple[str, str] | None = None  # refuse every mint with this code, description
    new_project: bool = False  # the upload would create the project (minted tokens may not)
    minted: dict[str, float] = field(default_factory=dict)  # minted token -> when it expires
    accepted_with: dict[str, str] = field(default_factory=dict)  # file -> the token it came with
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _payload(part: Message) -> bytes:
    """A part's body as bytes."""
    data = part.get_payload(decode=True)
    assert isinstance(data, bytes)
    return data


def _parse_form(content_type: str, body: bytes) -> tuple[list[tuple[str, str]], Message | None]:
    """The text fields and the file part of a multipart/form-data body."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise _Refused(400, "Invalid request: not multipart/form-data.")
    fields: list[tuple[str, str]] = []
    content = None
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name == "content":
            content = part
        elif part.get_param("filename", header="content-disposition") is not None:
            raise _Refused(400, f"{name}: Unexpected file upload.")
        else:
            fields.append((str(name), _payload(part).decode("utf-8")))
    return fields, content


def identity_claims(token: str) -> dict[str, object]:
    """An identity token's claims that name the publisher (not its id, issue or expiry times)."""
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert isinstance(claims, dict)
    return {k: v for k, v in claims.items() if k not in {"jti", "iat", "exp", "nbf"}}


def identity_claims_expiry(token: str) -> float:
    """When an identity token expires (its ``exp``; never, without one)."""
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    expiry = claims.get("exp")
    return float(expiry) if isinstance(expiry, int | float) else float("inf")


def _check_auth(state: IndexState, header: str) -> None:
    """Warehouse's answers to missing, password, wrong-token and expired-token logins."""
    if state.token is None:
        return
    if not header.startswith("Basic "):
        raise _Refused(403, INVALID_AUTH)
    username, _, password = base64.b64decode(header[6:]).decode().partition(":")
    if username != "__token__":
        raise _Refused(
            403,
            "Username/Password authentication is no longer supported. Migrate to API Tokens "
            "or Trusted Publishers instead. See https://pypi.org/help/#apitoken",
        )
    with state.lock:
        expires = state.minted.get(password)
    if expires is not None and time.time() >= expires:
        raise _Refused(403, "Invalid API Token: token is expired")
    if expires is None and password != state.token:
        raise _Refused(403, INVALID_AUTH)


def _check_new_project(state: IndexState, header: str) -> None:
    """Warehouse's refusal of a new project from a minted (non-user) token."""
    password = base64.b64decode(header[6:]).decode().partition(":")[2] if header else ""
    if state.new_project and password in state.minted:
        raise _Refused(
            400,
            "Non-user identities cannot create new projects. This was probably caused by "
            "successfully using a pending publisher but specifying the project name "
            "incorrectly (either in the publisher or in your project's metadata). Please "
            "ensure that both match. See: https://docs.pypi.org/trusted-publishers/troubleshooting/",
        )


def _check_attestations(text: str, filename: str, sha256: str) -> None:
    """Warehouse's checks of the ``attestations`` field that need no Sigstore.

    A JSON array of one or two PEP 740 objects, each with a base64 in-toto statement whose one
    subject is the uploaded file and its sha256 (warehouse then verifies the signature).
    """
    prefix = "Invalid attestations supplied during upload: "
    try:
        attestations = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _Refused(400, f"{prefix}Malformed attestations: {exc}") from exc
    if not isinstance(attestations, list) or not attestations:
        raise _Refused(400, f"{prefix}Malformed attestations: not a non-empty list")
    if len(attestations) > 2:
        raise _Refused(400, f"{prefix}A maximum of 2 attestations per file are supported")
    for attestation in attestations:
        try:
            assert attestation["version"] == 1
            material = attestation["verification_material"]
            base64.b64decode(material["certificate"], validate=True)
            assert isinstance(material["transparency_entries"], list)
            assert material["transparency_entries"]
            base64.b64decode(attestation["envelope"]["signature"], validate=True)
            statement = json.loads(
                base64.b64decode(attestation["envelope"]["statement"], validate=True)
            )
            (subject,) = statement["subject"]
        except (AssertionError, KeyError, TypeError, ValueError) as exc:
            raise _Refused(400, f"{prefix}Malformed attestations: {exc!r}") from exc
        if subject.get("name") != filename or subject.get("digest", {}).get("sha256") != sha256:
            raise _Refused(
                400,
                f"{prefix}Verification failed: subject does not match distribution: "
                f"{subject.get('name')!r}",
            )


def _accept(state: IndexState, fields: list[tuple[str, str]], content: Message | None) -> int:
    """Validate one upload as warehouse does; store it; 200 (identical re-uploads too)."""
    form = dict(fields)
    if form.get(":action") != "file_upload":
        raise _Refused(400, "Invalid or unknown :action.")
    if form.get("protocol_version") != "1":
        raise _Refused(400, "Unknown protocol version.")
    if content is None:
        raise _Refused(400, "Upload payload does not have a file.")
    filename = content.get_param("filename", header="content-disposition")
    if not isinstance(filename, str) or not filename:
        raise _Refused(400, "Upload payload does not have a file.")
    content_type = content.get_content_type()
    if not content.get("Content-Type") or content_type.startswith("image/"):
        raise _Refused(400, "Invalid distribution file.")
    filetype = form.get("filetype")
    if filetype not in {"sdist", "bdist_wheel"}:
        raise _Refused(400, "Invalid value for filetype. Error: Use a known file type.")
    if filetype == "bdist_wheel" and not form.get("pyversion"):
        raise _Refused(400, "Invalid value for pyversion. Error: Python version is required.")
    for key in ("metadata_version", "name", "version"):
        if not form.get(key):
            raise _Refused(400, f"'{key}' is a required field. See https://packaging.python.org/")
    data = _payload(content)
    digests = {
        "sha256_digest": hashlib.sha256(data).hexdigest(),
        "blake2_256_digest": hashlib.blake2b(data, digest_size=32).hexdigest(),
    }
    sent = {key: form[key] for key in digests if key in form}
    if not sent:
        raise _Refused(400, "Include at least one message digest.")
    for key, value in sent.items():
        if not _DIGEST.match(value):
            raise _Refused(400, f"Invalid value for {key}. Error: Use a valid, hex-encoded digest.")
        if value.lower() != digests[key]:
            raise _Refused(
                400,
                "The digest supplied does not match a digest calculated from the uploaded file.",
            )
    if "attestations" in form:
        _check_attestations(form["attestations"], filename, digests["sha256_digest"])
    prefix = form["name"].lower().replace("-", "_").replace(".", "_") + "-" + form["version"]
    if not filename.lower().startswith(prefix.lower()):
        raise _Refused(400, f"Start filename for {form['name']!r} with {prefix!r}.")
    with state.lock:
        existing = state.files.get(filename)
        if existing is not None:
            if (existing.sha256, existing.blake2_256) == (
                digests["sha256_digest"],
                digests["blake2_256_digest"],
            ):
                return 200
            raise _Refused(
                400,
                f"File already exists ({filename!r}, with blake2_256 hash "
                f"{digests['blake2_256_digest']!r}). {REUSE}",
            )
        if filetype == "sdist" and any(
            f.filename.endswith(".tar.gz") and f.filename.startswith(prefix)
            for f in state.files.values()
        ):
            raise _Refused(400, "Only one sdist may be uploaded per release.")
        state.files[filename] = Stored(
            filename,
            digests["sha256_digest"],
            digests["blake2_256_digest"],
            data,
            fields,
            datetime.datetime.now(datetime.UTC),
        )
        state.stored.append(filename)
    return 200


def _handler(state: IndexState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # the base's name
            """Keep test output quiet."""

        def _send(self, status: int, reason: str, body: bytes, content_type: str) -> None:
            self.send_response(status, reason)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _error(self, status: int, message: str) -> None:
            if state.echo_authorization:
                message += f" (you sent Authorization: {self.headers.get('Authorization')})"
            if "application/json" in self.headers.get("Accept", ""):
                body = json.dumps(
                    {"message": message, "code": f"{status} {message}", "title": "Error"}
                ).encode()
                self._send(status, message, body, "application/json")
            else:
                page = f"<html><body><h1>{status}</h1>{message}</body></html>"
                self._send(status, message, page.encode(), "text/html")

        def do_POST(self) -> None:  # the name http.server dispatches to
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            if self.path == "/_/oidc/mint-token":  # not an upload: not counted as one
                self._mint(body)
                return
            with state.lock:
                state.posts += 1
                state.authorizations.append(self.headers.get("Authorization", ""))
            if self.path == "/legacy":
                self.send_response(308)
                self.send_header("Location", "/legacy/")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.path != "/legacy/":
                self._error(404, "Not Found")
                return
            try:
                if state.echo_authorization:
                    raise _Refused(403, INVALID_AUTH)
                _check_auth(state, self.headers.get("Authorization", ""))
                _check_new_project(state, self.headers.get("Authorization", ""))
                fields, content = _parse_form(self.headers.get("Content-Type", ""), body)
                status = _accept(state, fields, content)
            except _Refused as refused:
                self._error(refused.status, refused.message)
                return
            if content is not None:
                password = base64.b64decode(
                    self.headers.get("Authorization", "Basic ")[6:]
                ).decode()
                with state.lock:
                    name = str(content.get_param("filename", header="content-disposition"))
                    state.accepted_with[name] = password.partition(":")[2]
            self._send(status, "OK", b"", "text/plain")

        def do_HEAD(self) -> None:  # the name http.server dispatches to
            self.do_GET()

        def do_GET(self) -> None:  # the name http.server dispatches to
            if state.echo_authorization and self.path.startswith("/simple/"):
                self._error(401, "Unauthorized")
                return
            if not state.simple_api and self.path.startswith("/simple/"):
                self._error(404, "Not Found")
            elif self.path == "/_/oidc/audience":
                if state.oidc_audience is None:
                    body = json.dumps({"message": "Trusted publishing functionality not enabled"})
                    self._send(403, "Forbidden", body.encode(), "application/json")
                else:
                    body = json.dumps({"audience": state.oidc_audience})
                    self._send(200, "OK", body.encode(), "application/json")
            elif self.path == "/simple/":
                with state.lock:
                    names = sorted({f.filename.split("-")[0] for f in state.files.values()})
                page = {"meta": {"api-version": "1.1"}, "projects": [{"name": n} for n in names]}
                self._send(
                    200, "OK", json.dumps(page).encode(), "application/vnd.pypi.simple.v1+json"
                )
            elif self.path.startswith("/simple/"):
                self._project_page(self.path.split("/")[2])
            elif self.path.startswith("/files/"):
                stored = state.files.get(self.path.split("/")[2])
                if stored is None:
                    self._error(404, "Not Found")
                else:
                    self._send(200, "OK", stored.data, "application/octet-stream")
            else:
                self._error(404, "Not Found")

        def _mint(self, body: bytes) -> None:
            """warehouse's mint-token: a registered, unused, unexpired identity gets a token.

            Each token minted is new (the index's token and a serial number) and lives
            ``mint_lifetime`` seconds; ``expires`` says when it ends, as a Unix time.
            """
            identity = json.loads(body).get("token")
            with state.lock:
                reused = identity in state.used_identities
                state.used_identities.append(identity)
            claims = identity_claims(identity)
            expiry = identity_claims_expiry(identity)
            registered = state.trusted_identity is not None and claims == identity_claims(
                state.trusted_identity
            )
            if reused or not registered or state.mint_error or expiry < time.time():
                if state.mint_error:
                    code, description = state.mint_error
                elif expiry < time.time():
                    code, description = "invalid-token", "malformed or invalid token"
                elif reused:
                    code, description = "invalid-reuse-token", "invalid token: already used"
                else:
                    code, description = (
                        "invalid-publisher",
                        "valid token, but no corresponding publisher (Publisher with matching "
                        "claims was not found)",
                    )
                answer = {
                    "message": "Token request failed",
                    "errors": [{"code": code, "description": description}],
                }
                self._send(
                    422, "Unprocessable Entity", json.dumps(answer).encode(), "application/json"
                )
                return
            now = int(time.time())
            with state.lock:
                token = f"{state.token}-{len(state.minted) + 1}"
                state.minted[token] = now + state.mint_lifetime
            minted = {"success": True, "token": token, "expires": now + state.mint_lifetime}
            self._send(200, "OK", json.dumps(minted).encode(), "application/json")

        def _project_page(self, project: str) -> None:
            with state.lock:
                files = [
                    f
                    for f in state.files.values()
                    if f.filename.split("-")[0].replace("_", "-") == project
                ]
            if state.hide_files or not files:
                self._error(404, "Not Found")
                return
            page = {
                "meta": {"api-version": "1.1"},
                "name": project,
                "files": [
                    {
                        "filename": f.filename,
                        "url": f"../../files/{f.filename}",
                        "hashes": {"sha256": "0" * 64 if state.serve_wrong_hash else f.sha256},
                        "upload-time": f.upload_time.isoformat().replace("+00:00", "Z"),
                    }
                    for f in files
                ],
            }
            self._send(200, "OK", json.dumps(page).encode(), "application/vnd.pypi.simple.v1+json")

    return Handler


@contextmanager
def strict_index(state: IndexState | None = None) -> Iterator[tuple[str, IndexState]]:
    """Run the strict index on 127.0.0.1; yields its base URL and its state."""
    current = state or IndexState()
    with serve(_handler(current)) as url:
        yield url, current
