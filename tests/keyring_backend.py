"""A keyring backend that reads a JSON file named by RELEASEKIT_TEST_KEYRING, for tests.

Selected with ``PYTHON_KEYRING_BACKEND=tests.keyring_backend.FileKeyring``, it lets a test go
through the real keyring library without touching the machine's own keyring.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.credentials import SimpleCredential


class FileKeyring(KeyringBackend):
    """Entries ``{"<service>": {"<username>": "<password>"}}`` from a JSON file."""

    priority = 1

    def _entries(self) -> dict[str, dict[str, str]]:
        data: dict[str, dict[str, str]] = json.loads(
            Path(os.environ["RELEASEKIT_TEST_KEYRING"]).read_text(encoding="utf-8")
        )
        return data

    def get_password(self, service: str, username: str) -> str | None:
        """The stored password, if any."""
        return self._entries().get(service, {}).get(username)

    def get_credential(self, service: str, username: str | None) -> SimpleCredential | None:
        """The first (or the named) login stored for ``service``."""
        for name, password in self._entries().get(service, {}).items():
            if username is None or name == username:
                return SimpleCredential(name, password)
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        """Not needed by the tests."""
        raise NotImplementedError

    def delete_password(self, service: str, username: str) -> None:
        """Not needed by the tests."""
        raise NotImplementedError
