"""Which import packages a project's wheel ships, chosen the way its build backend chooses them.

A ``__version__`` literal in a package that ships is a version users see (``pkg.__version__``), so
it has to be bumped with the others; a package that does not ship (tests, examples) must be left
alone. The import name often differs from the project name (``Pillow`` ships ``PIL``), and
namespace packages put the ``__init__.py`` one level down (``ns/pkg/__init__.py``), so the
backend's own package selection is followed: hatch, setuptools (pyproject, setup.cfg, setup.py),
flit, poetry, pdm, maturin and uv's backend, with their default discovery as the fallback.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from releasekit.config import Project
from releasekit.names import canonical_name
from releasekit.project_meta import static_name
from releasekit.setuptools_files import read_setup_cfg, read_setup_py

# Folders setuptools' automatic discovery never treats as packages of a flat layout.
_NOT_SHIPPED = {
    "benchmarks",
    "bin",
    "build",
    "dist",
    "doc",
    "docs",
    "example",
    "examples",
    "scripts",
    "site-packages",
    "tasks",
    "test",
    "tests",
    "tools",
    "venv",
}
_NAMESPACE_DEPTH = 3


def _table(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _import_name(project: Project) -> str | None:
    """The project's name as a module name: lower case, ``-`` and ``.`` as ``_``."""
    name = static_name(project)
    return canonical_name(name).replace("-", "_") if name else None


def _module_path(base: Path, dotted: str) -> Path | None:
    """The folder or ``.py`` file of module ``dotted`` under ``base``."""
    stem = base.joinpath(*dotted.split("."))
    if stem.is_dir():
        return stem
    if stem.with_suffix(".py").is_file():
        return stem.with_suffix(".py")
    return None


def _by_name(project: Project, name: str | None = None) -> list[Path]:
    """The default most backends share: ``src/<name>``, ``<name>``, or the one package in src."""
    name = name or _import_name(project)
    root = project.root
    if name:
        for base in (root / "src", root):
            found = _module_path(base, name)
            if found is not None and (found.is_file() or any(found.rglob("*.py"))):
                return [found]
    src = root / "src"
    if src.is_dir():
        packages = sorted(p.parent for p in src.glob("*/__init__.py"))
        if len(packages) == 1:
            return packages
    return []


def _dotted_to_path(dotted: str, package_dir: Mapping[str, str], root: Path) -> Path | None:
    """Resolve a setuptools package name through ``package_dir`` (longest prefix wins)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        prefix = ".".join(parts[:cut])
        if prefix in package_dir:
            return _module_path(root / package_dir[prefix], ".".join(parts[cut:]) or ".")
    base = root / package_dir.get("", ".")
    return _module_path(base, dotted)


def _topmost(dotted_names: Iterable[str]) -> list[str]:
    """The names whose parent package is not itself listed (namespace parents are not)."""
    names = set(dotted_names)
    return sorted(n for n in names if n.rpartition(".")[0] not in names)


def _package_folders(base: Path) -> Iterator[tuple[str, ...]]:
    """Folders below ``base`` holding an ``__init__.py``, as path parts, a few levels deep.

    Hidden folders and those that never ship (tests, docs, virtual environments) are not entered,
    so that a flat layout next to a ``.venv`` stays fast.
    """
    for current, folders, files in os.walk(base):
        parts = Path(current).relative_to(base).parts
        deeper = len(parts) < _NAMESPACE_DEPTH
        folders[:] = sorted(
            f for f in folders if deeper and not f.startswith((".", "__")) and f not in _NOT_SHIPPED
        )
        if parts and "__init__.py" in files:
            yield parts


def _find(
    root: Path, where: str, include: Iterable[str] = (), exclude: Iterable[str] = ()
) -> list[Path]:
    """``find_packages``/``packages.find``: regular packages below ``where``, top-most only."""
    base = root / where
    if not base.is_dir():
        return []
    include, exclude = list(include) or ["*"], list(exclude)
    found = []
    for parts in _package_folders(base):
        dotted = ".".join(parts)
        if any(fnmatch.fnmatchcase(dotted, p) for p in include) and not any(
            fnmatch.fnmatchcase(dotted, p) for p in exclude
        ):
            found.append(dotted)
    return [base.joinpath(*name.split(".")) for name in _topmost(found)]


def _listed(root: Path, packages: Iterable[str], package_dir: Mapping[str, str]) -> list[Path]:
    """An explicit setuptools package list, resolved to folders, top-most packages only."""
    paths = [_dotted_to_path(name, package_dir, root) for name in _topmost(packages)]
    return [p for p in paths if p is not None]


def _setuptools(project: Project) -> list[Path]:
    root = project.root
    table = _table(_table(project.pyproject.get("tool")).get("setuptools"))
    package_dir = {str(k): str(v) for k, v in _table(table.get("package-dir")).items()}
    packages = table.get("packages")
    modules = [p for m in _strings(table.get("py-modules")) if (p := _module_path(root, m))]
    if isinstance(packages, list):
        return _listed(root, _strings(packages), package_dir) + modules
    finder = _table(_table(packages).get("find"))
    if finder:
        wheres = _strings(finder.get("where")) or ["."]
        include, exclude = _strings(finder.get("include")), _strings(finder.get("exclude"))
        return [p for w in wheres for p in _find(root, w, include, exclude)] + modules
    if modules:
        return modules
    cfg = read_setup_cfg(root)
    if cfg is not None and (cfg.packages is not None or cfg.find_where or cfg.py_modules):
        cfg_modules = [p for m in cfg.py_modules if (p := _module_path(root, m))]
        if cfg.packages is not None:
            return _listed(root, cfg.packages, cfg.package_dir) + cfg_modules
        if cfg.find_where:
            found = _find(root, cfg.find_where, cfg.find_include, cfg.find_exclude)
            return found + cfg_modules
        return cfg_modules
    setup_py = read_setup_py(root)
    if setup_py is not None and (setup_py.packages is not None or setup_py.find_where):
        if setup_py.packages is not None:
            return _listed(root, setup_py.packages, setup_py.package_dir)
        return _find(root, setup_py.find_where or ".")
    # Automatic discovery: everything in src/, else the named package, else flat-layout packages.
    if (root / "src").is_dir():
        return _find(root, "src") or _by_name(project)
    return _by_name(project) or _find(root, ".")


def _hatch(project: Project) -> list[Path]:
    hatch = _table(_table(project.pyproject.get("tool")).get("hatch"))
    build = _table(hatch.get("build"))
    wheel = _table(_table(build.get("targets")).get("wheel"))
    selected: list[str] = []
    for table in (wheel, build):
        selected = _strings(table.get("packages")) + _strings(table.get("only-include"))
        selected += [p for p in _strings(table.get("include")) if not set(p) & set("*?[!")]
        if selected:
            break
    paths = [project.root / p.strip("/") for p in selected]
    return [p for p in paths if p.is_dir() or p.suffix == ".py"] or _by_name(project)


def _flit(project: Project) -> list[Path]:
    module = _table(_table(_table(project.pyproject.get("tool")).get("flit")).get("module"))
    name = module.get("name")
    return _by_name(project, name if isinstance(name, str) else None)


def _poetry(project: Project) -> list[Path]:
    poetry = _table(_table(project.pyproject.get("tool")).get("poetry"))
    found: list[Path] = []
    for entry in poetry.get("packages", []) if isinstance(poetry.get("packages"), list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("include"), str):
            base = project.root / str(entry.get("from", "."))
            matches = base.glob(entry["include"])
            found += sorted(p for p in matches if p.is_dir() or p.suffix == ".py")
    return found or _by_name(project)


def _pdm(project: Project) -> list[Path]:
    build = _table(_table(_table(project.pyproject.get("tool")).get("pdm")).get("build"))
    root = project.root
    given = build.get("package-dir")
    package_dir = given if isinstance(given, str) else ("src" if (root / "src").is_dir() else ".")
    includes = [root / p for p in _strings(build.get("includes")) if not set(p) & set("*?[")]
    included = [p for p in includes if p.is_dir() or p.suffix == ".py"]
    return included or _by_name(project) or _find(root, package_dir)


def _maturin(project: Project) -> list[Path]:
    maturin = _table(_table(project.pyproject.get("tool")).get("maturin"))
    source = maturin.get("python-source")
    base = project.root / source if isinstance(source, str) else project.root
    module = maturin.get("module-name")
    top = module.split(".")[0] if isinstance(module, str) else _import_name(project)
    found = _module_path(base, top) if top else None
    return [found] if found is not None and found.is_dir() else []


def _uv(project: Project) -> list[Path]:
    backend = _table(_table(_table(project.pyproject.get("tool")).get("uv")).get("build-backend"))
    module_root = backend.get("module-root", "src")
    names = _strings(backend.get("module-name")) or [n for n in [_import_name(project)] if n]
    base = project.root / str(module_root)
    return [p for n in names if (p := _module_path(base, n)) is not None]


def _backend(project: Project) -> str:
    """The build backend's module; setuptools' legacy backend when none is declared."""
    system = _table(project.pyproject.get("build-system"))
    backend = system.get("build-backend")
    return backend if isinstance(backend, str) else "setuptools.build_meta:__legacy__"


_SELECTORS = (
    ("hatchling", _hatch),
    ("setuptools", _setuptools),
    ("flit_core", _flit),
    ("poetry", _poetry),
    ("pdm", _pdm),
    ("maturin", _maturin),
    ("uv_build", _uv),
)


def shipped_roots(project: Project) -> list[Path]:
    """The top-level package folders and module files the wheel ships, in the source tree."""
    backend = _backend(project)
    for prefix, select in _SELECTORS:
        if backend.startswith(prefix):
            return select(project)
    return _by_name(project)


def _package_inits(folder: Path) -> list[Path]:
    """``__init__.py`` of a package, or of the first regular packages below a namespace folder."""
    if (folder / "__init__.py").is_file():
        return [folder / "__init__.py"]
    found = []
    for parts in _package_folders(folder):
        ancestors = [folder.joinpath(*parts[:cut]) / "__init__.py" for cut in range(len(parts))]
        if not any(a.is_file() for a in ancestors):
            found.append(folder.joinpath(*parts) / "__init__.py")
    return sorted(found)


def version_files(project: Project) -> list[Path]:
    """Files where a shipped package's ``__version__`` would be: ``__init__.py``s and modules."""
    files: list[Path] = []
    for path in shipped_roots(project):
        for candidate in [path] if path.is_file() else _package_inits(path):
            if candidate not in files:
                files.append(candidate)
    return files
