"""A ``multipart/form-data`` body streamed from disk, with its length known in advance.

The fields are encoded up front (they are small); the file is read in chunks while the request
is sent, so peak memory does not grow with the file. Knowing the length lets the request carry
``Content-Length`` instead of chunked encoding, which some indexes refuse. Each attempt of an
upload makes a new body, so a retry re-reads the file from its start.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

CHUNK = 1 << 20
SMALL = 256 << 10  # a body up to this size is sent in one piece


def _quote(value: str) -> str:
    """A name or file name fit for a ``Content-Disposition`` parameter."""
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


class MultipartBody:
    """The form fields, then the file as the ``content`` part; iterate to get the bytes."""

    def __init__(
        self,
        fields: Sequence[tuple[str, str]],
        path: Path,
        *,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.boundary = secrets.token_hex(16)
        self.path = path
        self._progress = progress
        marker = f"--{self.boundary}\r\n".encode()
        parts = [
            marker
            + f'Content-Disposition: form-data; name="{_quote(name)}"\r\n\r\n'.encode()
            + value.encode("utf-8")
            + b"\r\n"
            for name, value in fields
        ]
        disposition = f'form-data; name="content"; filename="{_quote(path.name)}"'
        parts.append(
            marker
            + f"Content-Disposition: {disposition}\r\n".encode()
            + b"Content-Type: application/octet-stream\r\n\r\n"
        )
        self._head = b"".join(parts)
        self._tail = f"\r\n--{self.boundary}--\r\n".encode()
        self.length = len(self._head) + path.stat().st_size + len(self._tail)

    @property
    def content_type(self) -> str:
        """The request's ``Content-Type`` header, naming the boundary."""
        return f"multipart/form-data; boundary={self.boundary}"

    def small(self) -> bytes | None:
        """The whole body in one piece when it is small, else ``None`` (iterate instead).

        One piece is one write to the socket instead of three, for the small files most
        releases are made of; the progress is reported as the file is read, as when iterating.
        """
        if self.length > SMALL:
            return None
        return b"".join(self)

    def __iter__(self) -> Iterator[bytes]:
        """The body, the file in chunks; reports the file bytes sent so far."""
        yield self._head
        sent = 0
        with self.path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk
                sent += len(chunk)
                if self._progress is not None:
                    self._progress(sent)
        yield self._tail
