"""A job that publishes, as doctor and init need to know it: where, to which index, as whom."""

from __future__ import annotations

from typing import Literal

from releasekit.records import frozen


@frozen
class PublishingJob:
    """One job uploading to one index (a job uploading to two indexes is two of these).

    ``workflow`` is the file that holds the job, relative to the repository's top; for a GitHub
    job in a called workflow that is the called file, which PyPI matches (``caller`` names the
    file that calls it). ``folders`` are the folders (relative to the top, POSIX, "." for the
    top) of the packages the job builds or uploads, as doctor read them from its steps
    (``job_packages``); empty when it could not tell, which in a monorepo is "package unknown".
    """

    workflow: str
    job: str
    environment: str | None
    index: str  # pypi, testpypi, or another index as written
    ci: Literal["github", "gitlab"] = "github"
    caller: str | None = None
    folders: tuple[str, ...] = ()
    line: int | None = None

    @property
    def folder(self) -> str | None:
        """The one package folder below the top the job publishes; None for the top, or unknown."""
        return self.folders[0] if len(self.folders) == 1 and self.folders[0] != "." else None
