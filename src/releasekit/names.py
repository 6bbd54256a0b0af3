"""Project names as the package index compares them.

``packaging.utils.canonicalize_name`` does the same, but importing ``packaging.utils`` loads
``packaging.tags`` (and ``platform``, ``logging``, the manylinux probes) with it: a few
milliseconds that every ``prepare`` and ``notes`` run would pay for one regular expression.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[-_.]+")


def canonical_name(name: str) -> str:
    """``name`` normalized by the packaging rule (PEP 503): runs of ``-_.`` become ``-``, lower."""
    return _SEPARATORS.sub("-", name).lower()
