"""A job that publishes, as doctor and init need to know it: where, to which index, as whom."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class PublishingJob:
    """One job uploading to one index (a job uploading to two indexes is two of these).

    ``workflow`` is the file that holds the job, relative to the repository's top; for a GitHub
    job in a called workflow that is the called file, which PyPI matches (``caller`` names the
    file that calls it). ``folder`` is the project folder the job publishes, when its build or
    upload names one (a monorepo); None means the project at the top, or unknown.
    """

    workflow: str
    job: str
    environment: str | None
    index: str  # pypi, testpypi, or another index as written
    ci: Literal["github", "gitlab"] = "github"
    caller: str | None = None
    folder: str | None = None
    line: int | None = None
