"""The exact versions the workflows ``init`` writes depend on: actions by commit, tools by version.

An action pinned to a full commit SHA cannot change under a workflow the way a tag can; the
version goes beside it as a comment so that people and Dependabot can read it. One table, so
that updating a pin is one line and ``doctor`` knows the same actions ``init`` uses.
"""

from __future__ import annotations

from releasekit.records import frozen


@frozen
class ActionPin:
    """A GitHub action at one commit."""

    action: str
    sha: str
    version: str

    @property
    def uses(self) -> str:
        """The ``uses:`` value with its version comment."""
        return f"{self.action}@{self.sha} # {self.version}"


CHECKOUT = ActionPin("actions/checkout", "08c6903cd8c0fde910a37f88322edcfb5dd907a8", "v5.0.0")
SETUP_PYTHON = ActionPin(
    "actions/setup-python", "e797f83bcb11b83ae66e0230d6156d7c80228e7c", "v6.0.0"
)
UPLOAD_ARTIFACT = ActionPin(
    "actions/upload-artifact", "330a01c490aca151604b8cf639adc76d48f6c5d4", "v5.0.0"
)
DOWNLOAD_ARTIFACT = ActionPin(
    "actions/download-artifact", "634f93cb2916e3fdff6788551b99b062d0335ce0", "v5.0.0"
)
PYPI_PUBLISH = ActionPin(
    "pypa/gh-action-pypi-publish", "ed0c53931b1dc9bd32cbe73a98c7f6766f8a527e", "v1.13.0"
)

# Python tools the workflows install with pip, pinned the same way.
BUILD = "build==1.6.1"
CIBUILDWHEEL = "cibuildwheel==4.3.5"
