"""A tiny package that releasekit's demo releases."""

__version__ = "0.1.0"


def greet(name: str) -> str:
    """Return a greeting; enough code to make the package real."""
    return f"Hello, {name}!"
