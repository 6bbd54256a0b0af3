"""Candidates for an index's simple API, derived from its upload URL (docs/publish.md)."""

from __future__ import annotations

import pytest

from releasekit.index.discovery import candidates


@pytest.mark.parametrize(
    ("upload_url", "expected"),
    [
        ("https://upload.example.org/legacy/", ["https://upload.example.org/simple/"]),
        ("https://idx.example.org/pypi/legacy", ["https://idx.example.org/pypi/simple/"]),
        ("http://127.0.0.1:8080/", ["http://127.0.0.1:8080/simple/"]),
        ("http://127.0.0.1:3141/alice/dev/", ["http://127.0.0.1:3141/alice/dev/+simple/"]),
        (
            "https://acme.jfrog.io/artifactory/api/pypi/pypi-local",
            ["https://acme.jfrog.io/artifactory/api/pypi/pypi-local/simple/"],
        ),
        (
            "https://nexus.example.org/repository/pypi-internal/",
            [
                "https://nexus.example.org/repository/pypi-internal/simple/",
                "https://nexus.example.org/repository/pypi-internal/+simple/",
            ],
        ),
        (
            "https://gitlab.example.com/api/v4/projects/42/packages/pypi",
            ["https://gitlab.example.com/api/v4/projects/42/packages/pypi/simple/"],
        ),
        (
            "https://dom-111122223333.d.codeartifact.us-west-2.amazonaws.com/pypi/repo/",
            [
                "https://dom-111122223333.d.codeartifact.us-west-2.amazonaws.com/pypi/repo/simple/",
                "https://dom-111122223333.d.codeartifact.us-west-2.amazonaws.com/pypi/repo/+simple/",
            ],
        ),
        (
            "https://packages.example.org/a/b/c/",
            [
                "https://packages.example.org/a/b/c/simple/",
                "https://packages.example.org/a/b/c/+simple/",
            ],
        ),
    ],
)
def test_candidates_follow_the_conventions_of_real_indexes(
    upload_url: str, expected: list[str]
) -> None:
    """Each index's own form comes first; unknown shapes get URL/simple/ and URL/+simple/."""
    assert expected == [candidate.url for candidate in candidates(upload_url)]


def test_candidates_stay_on_the_upload_origin() -> None:
    """Every candidate has the upload URL's scheme, host and port: credentials may go along."""
    for url in ("https://h.example.org:8443/legacy/", "http://127.0.0.1:9/u/i/"):
        for candidate in candidates(url):
            assert candidate.url.startswith(url.split("/", 3)[0] + "//" + url.split("/")[2] + "/")
