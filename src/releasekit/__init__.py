"""releasekit: cut, check, publish and rehearse Python package releases safely, in one tool."""

__version__ = "0.1.0.dev0"
