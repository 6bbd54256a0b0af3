"""The parts of an upload on their own: ~/.pypirc, the form, the multipart body, answers, masks."""

from __future__ import annotations

import base64
import email.parser
import email.policy
import email.utils
import io
import json
import re
import time
import traceback
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
import urllib3
from hypothesis import given
from hypothesis import strategies as st

from releasekit.console import Console, MaskedStream, without_escapes
from releasekit.errors import ConfigError, UsageError
from releasekit.index.form import metadata_fields, python_tag
from releasekit.index.multipart import MultipartBody
from releasekit.index.target import (
    UPLOAD_URLS,
    Credentials,
    is_loopback,
    read_pypirc,
    resolve_target,
)
from releasekit.index.upload import RetryPolicy, _retry_after, server_message
from releasekit.redaction import MASK, SecretMasker, redact_credentials


def test_pypirc_missing_gives_pypi_and_testpypi(tmp_path: Path) -> None:
    """Without a file, pypi and testpypi are known with their upload URLs and no login."""
    config = read_pypirc(tmp_path / ".pypirc")
    assert {
        "pypi": {"repository": UPLOAD_URLS["pypi"]},
        "testpypi": {"repository": UPLOAD_URLS["testpypi"]},
    } == config


def test_pypirc_sections_and_server_login_defaults(tmp_path: Path) -> None:
    """index-servers names sections; [server-login] fills in usernames and passwords."""
    path = tmp_path / ".pypirc"
    path.write_text(
        "[distutils]\nindex-servers =\n  pypi\n  corp\n\n"
        "[server-login]\nusername = olduser\npassword = oldpass\n\n"
        "[pypi]\nusername = __token__\npassword = pypi-abc\n\n"
        "[corp]\nrepository = https://corp.example/legacy/\nca_cert = /etc/corp.pem\n\n"
        "[ignored]\nrepository = https://ignored.example/\n"
    )
    config = read_pypirc(path)
    assert "__token__" == config["pypi"]["username"]
    assert "pypi-abc" == config["pypi"]["password"]
    assert "https://corp.example/legacy/" == config["corp"]["repository"]
    assert ("olduser", "oldpass") == (config["corp"]["username"], config["corp"]["password"])
    assert "/etc/corp.pem" == config["corp"]["ca_cert"]
    assert "ignored" not in config


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8080/", True),
        ("http://127.8.9.10/", True),
        ("http://[::1]:3141/", True),
        ("http://localhost/", True),
        ("http://10.0.0.1/", False),
        ("http://localhost.example.org/", False),
    ],
)
def test_loopback(url: str, expected: bool) -> None:
    """Only this machine's addresses may receive credentials over plain HTTP."""
    assert expected == is_loopback(url)


def test_credentials_never_show_the_password() -> None:
    """A Credentials repr carries no secret; its secrets() list every form of it."""
    credentials = Credentials("__token__", "pypi-secret-value", "RELEASEKIT_TOKEN")
    assert "pypi-secret-value" not in repr(credentials)
    assert "Basic X190b2tlbl9fOnB5cGktc2VjcmV0LXZhbHVl" == credentials.authorization()
    assert "pypi-secret-value" in credentials.secrets()


def test_masker_masks_every_form_and_urls() -> None:
    """Secrets are masked longest first; credentials in URLs are dropped."""
    mask = SecretMasker(["pypi-secret-value", "Basic abc123", "abc"])
    text = mask("token pypi-secret-value, header Basic abc123, url https://u:p@host/x abc")
    assert f"token {MASK}, header {MASK}, url https://host/x {MASK}" == text


@pytest.mark.parametrize(
    ("filename", "tag"),
    [
        ("demo-1.0-py3-none-any.whl", "py3"),
        ("demo-1.0-py2.py3-none-any.whl", "py2.py3"),
        ("demo-1.0-1-cp311-cp311-manylinux_2_17_x86_64.whl", "cp311"),
        ("demo-1.0.tar.gz", "source"),
    ],
)
def test_python_tag(filename: str, tag: str) -> None:
    """pyversion is the wheel's python tag (build tag or not), or "source"."""
    assert tag == python_tag(filename)


def test_metadata_fields_drop_unknown_and_rename() -> None:
    """Platform and Supported-Platform take warehouse's singular names; UNKNOWN is dropped."""
    metadata = (
        b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nPlatform: linux\nPlatform: UNKNOWN\n"
        b"Supported-Platform: RedHat 9\nLicense: UNKNOWN\nDynamic: Requires-Dist\n\nbody\n"
    )
    fields = metadata_fields(metadata)
    assert ("platform", "linux") in fields
    assert ("platform", "UNKNOWN") not in fields
    assert ("supported_platform", "RedHat 9") in fields
    assert ("dynamic", "Requires-Dist") in fields
    assert all(name != "license" for name, _ in fields)
    assert ("description", "body\n") in fields


def _parse(body: MultipartBody) -> tuple[list[tuple[str, str]], bytes, str]:
    """The fields, the file bytes and the file name, parsed back by the email library."""
    data = b"".join(body)
    assert body.length == len(data)
    head = f"Content-Type: {body.content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + data)
    fields: list[tuple[str, str]] = []
    content, filename = b"", ""
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        name = part.get_param("name", header="content-disposition")
        if name == "content":
            content = payload
            filename = str(part.get_param("filename", header="content-disposition"))
        else:
            fields.append((str(name), payload.decode()))
    return fields, content, filename


@given(
    values=st.lists(
        st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=40), max_size=5
    ),
    data=st.binary(max_size=3000),
)
def test_multipart_round_trip(
    tmp_path_factory: pytest.TempPathFactory, values: list[str], data: bytes
) -> None:
    """Whatever the values and file bytes, the body parses back to exactly what was sent."""
    path = tmp_path_factory.mktemp("mp") / "demo-1.0-py3-none-any.whl"
    path.write_bytes(data)
    fields = [("classifiers", value) for value in values]
    sent: list[int] = []
    body = MultipartBody(fields, path, progress=sent.append)
    parsed_fields, content, filename = _parse(body)
    # email's parser normalizes line endings inside text parts; compare modulo that.
    assert [(k, v.replace("\r\n", "\n").replace("\r", "\n")) for k, v in fields] == [
        (k, v.replace("\r\n", "\n").replace("\r", "\n")) for k, v in parsed_fields
    ]
    assert data == content
    assert path.name == filename
    assert ([len(data)] if data else []) == sent


def _response(status: int, reason: str, body: bytes, content_type: str) -> urllib3.HTTPResponse:
    return urllib3.HTTPResponse(
        body=body,
        status=status,
        reason=reason,
        headers={"Content-Type": content_type},
        preload_content=True,
    )


def test_server_message_prefers_json_then_reason_then_body() -> None:
    """JSON message first; a custom reason next; the body's text when the reason is stock."""
    json_answer = _response(
        400, "Bad Request", b'{"message": "File too large."}', "application/json"
    )
    assert "File too large." == server_message(json_answer)
    reason_answer = _response(400, "File already exists.", b"<html>x</html>", "text/html")
    assert "File already exists." == server_message(reason_answer)
    http2_answer = _response(
        403, "", b"<html><body><h1>403</h1>\n Invalid token </body></html>", "text/html"
    )
    assert "Invalid token" == server_message(http2_answer)
    empty = _response(502, "Bad Gateway", b"", "text/plain")
    assert "Bad Gateway" == server_message(empty)


BOTTLE_PAGE = b"""<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
<html><head><title>Error: 409 Conflict</title>
<style type="text/css">html {background-color: #eee; font-family: sans;}</style>
<script>var x = "not text";</script></head>
<body><h1>Error: 409 Conflict</h1>
<p>Sorry, the requested URL <tt>&#039;http://127.0.0.1:1/&#039;</tt> caused an error:</p>
<pre>Package &#039;demo_pkg-1.0.0.tar.gz&#039; already exists!\n</pre></body></html>"""


def test_html_error_pages_are_reduced_to_their_title_and_reason() -> None:
    """pypiserver's page: no CSS, no script, entities decoded, the reason kept; short and once."""
    page = _response(409, "Conflict", BOTTLE_PAGE, "text/html")
    assert "Conflict: Package 'demo_pkg-1.0.0.tar.gz' already exists!" == server_message(page)
    unauthorized = BOTTLE_PAGE.replace(b"409 Conflict", b"401 Unauthorized")
    unauthorized = re.sub(rb"<pre>.*</pre>", b"<pre>None</pre>", unauthorized, flags=re.S)
    assert "Unauthorized" == server_message(
        _response(401, "Unauthorized", unauthorized, "text/html")
    )
    long_page = b"<html><body><p>" + b"word " * 200 + b"</p></body></html>"
    message = server_message(_response(500, "Internal Server Error", long_page, "text/html"))
    assert len(message) <= 300
    assert message.endswith("word...")


def test_terminal_escapes_from_a_server_are_removed() -> None:
    """ANSI escapes and control characters in any server text never reach the terminal."""
    answer = _response(
        400,
        "Bad Request",
        b'{"message": "\\u001b[2J\\u001b]0;pwned\\u0007File \\u001b[31mbad\\u001b[0m\\r\\nnow"}',
        "application/json",
    )
    assert "File bad now" == server_message(answer)
    reason = _response(400, "Bad \x1b[5mthing\x1b[0m", b"", "text/plain")
    assert "Bad thing" == server_message(reason)


def test_a_secret_is_masked_before_the_message_is_cut() -> None:
    """A token echoed near the cut is masked whole, never left in part."""
    secret = "pypi-" + "x" * 60
    body = ("<html><body><p>" + "word " * 55 + secret + " more</p></body></html>").encode()
    message = server_message(
        _response(403, "Forbidden", body, "text/html"), lambda text: text.replace(secret, "****")
    )
    assert "xxxxxxxx" not in message


def test_retry_after_in_seconds_and_as_a_date() -> None:
    """Retry-After is honoured in both of its forms; garbage is ignored."""
    assert 7.0 == _retry_after("7")
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    seconds = _retry_after(later)
    assert seconds is not None
    assert 25 < seconds <= 30
    assert _retry_after("soon") is None
    assert _retry_after(None) is None


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    """Each wait lies in [ceiling/2, ceiling], the ceiling doubling up to max_delay."""
    policy = RetryPolicy(base_delay=1.0, max_delay=8.0)
    for attempt, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (6, 8.0)]:
        waits = [policy.delay(attempt, None) for _ in range(50)]
        assert all(ceiling / 2 <= wait <= ceiling for wait in waits)
    assert 12.0 == policy.delay(1, 12.0)


def test_short_secrets_are_masked_as_whole_words() -> None:
    """A password under 4 characters is masked where it stands alone, not inside other words."""
    mask = SecretMasker(["Q7z"])
    assert f"Invalid credentials for alice:{MASK}" == mask("Invalid credentials for alice:Q7z")
    assert "Q7zebra and aQ7z stay" == mask("Q7zebra and aQ7z stay")
    assert f'{{"password": "{MASK}"}}' == mask('{"password": "Q7z"}')


def test_encoded_forms_of_a_secret_are_masked() -> None:
    """A server echoing the password URL-encoded, JSON-escaped or as HTML is still masked."""
    secret = 'p@ss w"rd/42'
    mask = SecretMasker(Credentials("alice", secret).secrets())
    for echoed in (
        "p%40ss%20w%22rd%2F42",
        "p%40ss+w%22rd%2f42",
        "p%40ss%20w%22rd/42",
        'p@ss w\\"rd\\/42',
        "p@ss w&quot;rd/42",
        base64.b64encode(f"alice:{secret}".encode()).decode(),
        base64.b64encode(f"__token__:{secret}".encode()).decode(),
    ):
        assert f"denied: {MASK}" == mask(f"denied: {echoed}").removesuffix("="), echoed


_EDGE = "\ue000"  # around each form: not in any secret, and not a word character
_SECRETS = st.text(
    st.characters(
        codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp"), exclude_characters=_EDGE
    ),
    min_size=1,
).filter(lambda s: not s.isspace())


@given(secret=_SECRETS, user=st.from_regex(r"[A-Za-z]{1,12}", fullmatch=True))
def test_no_encoding_of_a_secret_survives_the_masked_stream(secret: str, user: str) -> None:
    """Plain, URL-encoded, JSON-escaped and Basic forms of any secret never reach the output."""
    masker = SecretMasker(Credentials(user, secret).secrets())
    forms = {
        secret,
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret, safe=""),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        base64.b64encode(f"__token__:{secret}".encode()).decode(),
        base64.b64encode(f"{user}:{secret}".encode()).decode(),
    }
    for form in forms:
        out = io.StringIO()
        MaskedStream(out, masker).write(f"{_EDGE}{form}{_EDGE}")
        assert f"{_EDGE}{MASK}{_EDGE}" == out.getvalue(), form


def test_console_lines_lose_terminal_controls_but_keep_their_colour() -> None:
    """Server text, git or hook output cannot erase lines, set the title or hide text."""
    out = io.StringIO()
    console = Console(out=out, err=out, color=True)
    console.print("\x1b[2K\ruploaded (fake)\x1b]0;pwned\x07\x1b[8m hidden\x07")
    console.error("tab\there\x1b")
    expected = "uploaded (fake) hidden\n\033[31;1merror: \033[0mtab\there\n"
    assert expected == out.getvalue()
    assert "a\n\tb\n" == without_escapes("a\x1b[1A\n\tb\x9b\n")


def test_credentials_in_a_query_string_are_refused() -> None:
    """A token in the URL's query would be printed and logged: refused like user:pass@."""
    for url in ("https://h/legacy/?token=pypi-x", "https://h/legacy/?a=1&Password=x"):
        with pytest.raises(UsageError, match="must not contain credentials"):
            resolve_target(
                repository="pypi", repository_url=url, index_url=None, env={}, home=Path("/nx")
            )
    assert "https://h/?token=********&x=1" == redact_credentials("https://h/?token=abc&x=1")
    kept = "https://h/legacy/?design=1&keyword=x"
    assert kept == redact_credentials(kept)
    assert (
        kept
        == resolve_target(
            repository="pypi", repository_url=kept, index_url=None, env={}, home=Path("/nx")
        ).upload_url
    )


def test_a_malformed_pypirc_carries_no_file_text(tmp_path: Path) -> None:
    """configparser quotes the bad line; the error and its traceback must not."""
    path = tmp_path / ".pypirc"
    for text in (
        "password = pw-SECRET-9876\n[pypi]\n",
        "[pypi]\nusername = u\nstray pw-SECRET-9876\n",
    ):
        path.write_text(text)
        with pytest.raises(ConfigError) as info:
            read_pypirc(path)
        shown = "".join(traceback.format_exception(info.value))
        assert "SECRET" not in shown, shown
