"""What ``init`` and ``doctor`` need to know about a repository, read once from its files and git.

The workflow, the guide and the audit are all tailored from these facts: the project's name, how
its package is imported, whether it has compiled extensions, how its tests are run, and where
its git remote lives. Reading them in one place keeps ``init`` and ``doctor`` in agreement.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from packaging.utils import canonicalize_name

from releasekit import project_meta
from releasekit.changelog import web_base
from releasekit.config import Project
from releasekit.git import Git

CiKind = Literal["github", "gitlab"]

# Build backends whose wheels hold compiled code, so one wheel per platform is needed.
_COMPILED_BACKENDS = {
    "scikit_build_core.build": "scikit-build-core",
    "mesonpy": "meson-python",
    "maturin": "maturin",
}
_TEST_EXTRAS = ("test", "tests", "testing")
_TEST_GROUPS = ("test", "tests", "testing", "dev")


@dataclass(frozen=True)
class Remote:
    """Where the repository is hosted: GitHub or GitLab, with owner (namespace) and name."""

    kind: CiKind
    owner: str
    name: str
    url: str  # https, without credentials

    @property
    def path(self) -> str:
        """``owner/name``."""
        return f"{self.owner}/{self.name}"


@dataclass(frozen=True)
class TestPlan:
    """How the workflow tests the built wheel: what to install beside it, and what to run."""

    requirements: str
    command: str
    step_name: str


@dataclass(frozen=True)
class ProjectFacts:
    """Everything the workflow, the guide and the audit are tailored from."""

    name: str
    import_name: str
    compiled: str | None  # why the project needs per-platform wheels, or None
    tests: TestPlan
    remote: Remote | None

    @property
    def normalized(self) -> str:
        """The PEP 503 normalized name, as in PyPI's URLs."""
        return canonicalize_name(self.name)


def project_name(project: Project) -> str:
    """The project's name wherever it is declared (``project_meta``); without one, no publishing."""
    return project_meta.project_name(project)


def import_name(project: Project, name: str) -> str:
    """The top-level package or module the wheel installs, for the import smoke test."""
    normalized = canonicalize_name(name).replace("-", "_")
    root = project.root
    for base in (root / "src", root):
        if (base / normalized / "__init__.py").is_file() or (base / f"{normalized}.py").is_file():
            return normalized
    src = root / "src"
    packages = sorted(p.parent.name for p in src.glob("*/__init__.py")) if src.is_dir() else []
    return packages[0] if len(packages) == 1 else normalized


def compiled_reason(project: Project) -> str | None:
    """Why this project builds per-platform wheels (its backend, cibuildwheel, ext_modules)."""
    data = project.pyproject
    backend = data.get("build-system", {}).get("build-backend")
    if isinstance(backend, str) and backend in _COMPILED_BACKENDS:
        return _COMPILED_BACKENDS[backend]
    tool = data.get("tool", {})
    if isinstance(tool, dict):
        if "cibuildwheel" in tool:
            return "[tool.cibuildwheel]"
        setuptools = tool.get("setuptools", {})
        if isinstance(setuptools, dict) and "ext-modules" in setuptools:
            return "setuptools ext-modules"
    setup_py = project.root / "setup.py"
    if setup_py.is_file():
        text = setup_py.read_text(encoding="utf-8", errors="replace")
        if re.search(r"\bext_modules\s*=", text):
            return "setuptools ext_modules"
    return None


def _has_tests(project: Project) -> bool:
    root = project.root
    tool = project.pyproject.get("tool", {})
    pytest_configured = isinstance(tool, dict) and "pytest" in tool
    return pytest_configured or any((root / d).is_dir() for d in ("tests", "test"))


def test_plan(project: Project, name: str, module: str) -> TestPlan:
    """Run the project's own tests against the wheel when it has any, else import it."""
    if not _has_tests(project):
        return TestPlan(
            requirements=name,
            command=f'python -c "import {module}"',
            step_name="Import the installed package",
        )
    data: Mapping[str, Any] = project.pyproject
    extras = data.get("project", {}).get("optional-dependencies", {})
    groups = data.get("dependency-groups", {})
    extra = next((e for e in _TEST_EXTRAS if isinstance(extras, dict) and e in extras), None)
    group = next((g for g in _TEST_GROUPS if isinstance(groups, dict) and g in groups), None)
    if extra is not None:
        requirements = f'"{name}[{extra}]" pytest'
    elif group is not None:
        requirements = f"{name} --group {group} pytest"
    else:
        requirements = f"{name} pytest"
    return TestPlan(
        requirements=requirements,
        command="python -m pytest",
        step_name="Run the tests against the installed wheel",
    )


def read_remote(git: Git) -> Remote | None:
    """The GitHub or GitLab remote (``origin`` first), or None when there is none."""
    names = git.remotes() if git.toplevel() is not None else []
    for remote in sorted(names, key=lambda n: n != "origin"):
        base = web_base(git.remote_url(remote))
        if base is None:
            continue
        kind, url = base
        path = url.split("/", 3)[3]
        owner, _, repo = path.rpartition("/")
        if owner and repo:
            return Remote(
                kind="gitlab" if kind == "gitlab" else "github", owner=owner, name=repo, url=url
            )
    return None


def read_facts(project: Project) -> ProjectFacts:
    """Read every fact ``init`` and ``doctor`` tailor their output from."""
    name = project_name(project)
    module = import_name(project, name)
    return ProjectFacts(
        name=name,
        import_name=module,
        compiled=compiled_reason(project),
        tests=test_plan(project, name, module),
        remote=read_remote(Git(project.root)),
    )
