"""What setup.py and setup.cfg declare, read without running them.

Projects older than PEP 621 keep their name, version and package list in these files. setup.cfg is
read with ``configparser``; setup.py is parsed with ``ast`` and only literal values are taken (a
string, or a module-level name bound to a string), so that reading a project never executes its
code. Whatever cannot be read this way is left to the build backend's own metadata hook.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path

from releasekit.records import field, frozen
from releasekit.text_spans import ini_value

Span = tuple[int, int]


@frozen
class SetupCfg:
    """The parts of setup.cfg that say what the project is called, its version and its packages."""

    path: Path
    text: str
    name: str | None
    version: str | None  # the raw value: a literal, ``attr: ...`` or ``file: ...``
    version_span: Span | None
    package_dir: Mapping[str, str] = field(default_factory=dict)
    packages: tuple[str, ...] | None = None  # a literal list; None for ``find:`` or absent
    find_where: str | None = None  # [options.packages.find] where, when packages = find:
    find_include: tuple[str, ...] = ()
    find_exclude: tuple[str, ...] = ()
    py_modules: tuple[str, ...] = ()


@frozen
class SetupPy:
    """The literal keywords of the ``setup(...)`` call in setup.py."""

    path: Path
    text: str
    name: str | None
    version_spans: tuple[Span, ...]  # where a literal version is written (keyword or variable)
    version_given: bool  # ``version=`` is passed at all (literal or computed)
    package_dir: Mapping[str, str] = field(default_factory=dict)
    packages: tuple[str, ...] | None = None
    find_where: str | None = None  # find_packages("src") / find_namespace_packages(where=...)
    py_modules: tuple[str, ...] = ()


def _lines(value: str) -> list[str]:
    """A setup.cfg list: one entry per line or comma separated, blanks dropped."""
    return [part.strip() for line in value.splitlines() for part in line.split(",") if part.strip()]


def parse_package_dir(value: str) -> dict[str, str]:
    """setup.cfg ``package_dir`` (``=src`` or ``pkg = lib/pkg`` lines) as a mapping."""
    mapping = {}
    for entry in _lines(value):
        key, sep, target = entry.partition("=")
        if sep:
            mapping[key.strip()] = target.strip()
    return mapping


def read_setup_cfg(root: Path) -> SetupCfg | None:
    """setup.cfg at ``root``, or None when there is none (or it cannot be parsed)."""
    path = root / "setup.cfg"
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    import configparser  # noqa: PLC0415  # only for a project that has a setup.cfg

    try:
        parser = configparser.RawConfigParser()
        parser.read_string(text)
    except configparser.Error:
        return None
    name = parser.get("metadata", "name", fallback=None)
    version = parser.get("metadata", "version", fallback=None)
    packages = parser.get("options", "packages", fallback=None)
    listed = None
    where = include = exclude = None
    if packages is not None and packages.strip() in {"find:", "find_namespace:"}:
        where = parser.get("options.packages.find", "where", fallback=".")
        include = parser.get("options.packages.find", "include", fallback="")
        exclude = parser.get("options.packages.find", "exclude", fallback="")
    elif packages is not None:
        listed = tuple(_lines(packages))
    return SetupCfg(
        path=path,
        text=text,
        name=name.strip() if name else None,
        version=version.strip() if version else None,
        version_span=ini_value(text, "metadata", "version"),
        package_dir=parse_package_dir(parser.get("options", "package_dir", fallback="")),
        packages=listed,
        find_where=_lines(where)[0] if where and _lines(where) else None,
        find_include=tuple(_lines(include or "")),
        find_exclude=tuple(_lines(exclude or "")),
        py_modules=tuple(_lines(parser.get("options", "py_modules", fallback=""))),
    )


def _offsets(text: str) -> list[int]:
    """The character offset at which each line starts (index 0 is line 1)."""
    starts, position = [0], 0
    for line in text.splitlines(keepends=True):
        position += len(line)
        starts.append(position)
    return starts


def _string_span(text: str, starts: list[int], node: ast.expr) -> Span | None:
    """The span of a plain quoted string literal's characters, without its quotes."""
    if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
        return None
    if node.end_lineno != node.lineno or node.end_col_offset is None:
        return None
    line_start = starts[node.lineno - 1]
    line = text[line_start : starts[node.lineno]]
    encoded = line.encode()
    start = line_start + len(encoded[: node.col_offset].decode())
    end = line_start + len(encoded[: node.end_col_offset].decode())
    segment = text[start:end]
    if len(segment) < len("''") or segment[0] not in "'\"" or segment[-1] != segment[0]:
        return None
    if segment[1:-1] != node.value:  # escapes, implicit concatenation: not a plain literal
        return None
    return start + 1, end - 1


def _setup_call(tree: ast.Module) -> ast.Call | None:
    """The ``setup(...)`` (or ``setuptools.setup(...)``) call."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if called == "setup":
                return node
    return None


def _literal(node: ast.expr) -> object:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, RecursionError):
        return None


def _strings(value: object) -> tuple[str, ...] | None:
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def _find_where(node: ast.expr) -> str | None:
    """``find_packages("src")`` / ``find_namespace_packages(where="src")``: the folder."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
    if called not in {"find_packages", "find_namespace_packages"}:
        return None
    argument = node.args[0] if node.args else None
    for keyword in node.keywords:
        if keyword.arg == "where":
            argument = keyword.value
    value = _literal(argument) if argument is not None else "."
    return value if isinstance(value, str) else "."


def read_setup_py(root: Path) -> SetupPy | None:
    """setup.py at ``root`` parsed (not run), or None when there is none or it is not Python."""
    path = root / "setup.py"
    try:
        text = path.read_bytes().decode("utf-8")
        tree = ast.parse(text)
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return None
    starts = _offsets(text)
    assigned: dict[str, ast.expr] = {}
    for statement in tree.body:
        if (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
        ):
            assigned[statement.targets[0].id] = statement.value
    call = _setup_call(tree)
    keywords = {k.arg: k.value for k in call.keywords if k.arg} if call is not None else {}

    def resolved(key: str) -> ast.expr | None:
        node = keywords.get(key)
        if isinstance(node, ast.Name) and node.id in assigned:
            return assigned[node.id]
        return node

    name_node = resolved("name")
    name = name_node.value if isinstance(name_node, ast.Constant) else None
    version_node = resolved("version")
    version_span = _string_span(text, starts, version_node) if version_node is not None else None
    packages_node = keywords.get("packages")
    package_dir = _literal(keywords["package_dir"]) if "package_dir" in keywords else {}
    return SetupPy(
        path=path,
        text=text,
        name=name if isinstance(name, str) else None,
        version_spans=(version_span,) if version_span else (),
        version_given="version" in keywords,
        package_dir=package_dir if isinstance(package_dir, dict) else {},
        packages=_strings(_literal(packages_node)) if packages_node is not None else None,
        find_where=_find_where(packages_node) if packages_node is not None else None,
        py_modules=_strings(_literal(keywords["py_modules"])) or ()
        if "py_modules" in keywords
        else (),
    )
