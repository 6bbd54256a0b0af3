"""What ``init`` and ``doctor`` need to know about a repository, read once from its files and git.

The workflow, the guide and the audit are all tailored from these facts: the project's name, how
its package is imported, whether it has compiled extensions, how its tests are run, and where
its git remote lives. Reading them in one place keeps ``init`` and ``doctor`` in agreement.
"""

from __future__ import annotations

import configparser
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from releasekit import project_meta
from releasekit.changelog import web_base
from releasekit.config import Project
from releasekit.git import Git
from releasekit.records import frozen

CiKind = Literal["github", "gitlab"]
# How the wheels are built: one pure wheel, cibuildwheel per platform, or maturin's own action.
Builder = Literal["pure", "cibuildwheel", "maturin"]

# Build backends whose wheels hold compiled code, so one wheel per platform is needed.
_COMPILED_BACKENDS = {
    "scikit_build_core.build": "scikit-build-core",
    "mesonpy": "meson-python",
    "maturin": "maturin",
}
_TEST_EXTRAS = ("test", "tests", "testing")
_TEST_GROUPS = ("test", "tests", "testing", "dev")
_TEST_FOLDERS = ("tests", "testing", "test")
# Build requirements that mean the version comes from the git tags, by canonical name.
_TAG_VERSIONING_REQUIRES = {
    "setuptools-scm": "setuptools-scm",
    "hatch-vcs": "hatch-vcs",
    "setuptools-git-versioning": "setuptools-git-versioning",
    "versioningit": "versioningit",
    "poetry-dynamic-versioning": "poetry-dynamic-versioning",
    "uv-dynamic-versioning": "uv-dynamic-versioning",
    "flit-scm": "flit-scm",
    "dunamai": "dunamai",
}
# A requirement rendered into a workflow's ``run:`` line must not carry shell syntax.
_SHELL_SAFE = re.compile(r"^[A-Za-z0-9_.\-\[\],<>=!~*;: ']+$")


@frozen
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


@frozen
class TestPlan:
    """How the workflow tests the built wheel: what to install beside it, and what to run.

    A project without tests gets an empty plan (``exists`` is false) and no test job: a job
    that only imports the package would look like testing without being it.
    """

    requirements: str
    command: str
    step_name: str
    source: str = ""  # where the tests were found, for the guide: "tests/", "pytest testpaths"

    @property
    def exists(self) -> bool:
        """Whether the project has tests to run."""
        return bool(self.command)


NO_TESTS = TestPlan("", "", "")


@frozen
class ProjectFacts:
    """Everything the workflow, the guide and the audit are tailored from."""

    name: str
    import_name: str
    compiled: str | None  # why the project needs per-platform wheels, or None
    tests: TestPlan
    remote: Remote | None
    tag_versioned: str | None = None  # the tool that reads the version from git tags, or None
    rust: bool = False  # compiled Rust: cibuildwheel's Linux containers need a toolchain
    linux_setup_is_own: bool = False  # [tool.cibuildwheel] already sets Linux before-all/env

    @property
    def builder(self) -> Builder:
        """How the workflow builds the wheels."""
        if self.compiled is None:
            return "pure"
        return "maturin" if self.compiled == "maturin" else "cibuildwheel"

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


def _build_requires(project: Project) -> set[str]:
    """The canonical names of the build requirements (unparsable entries are left out)."""
    requires = project.pyproject.get("build-system", {}).get("requires", [])
    names: set[str] = set()
    for entry in requires if isinstance(requires, list) else []:
        try:
            names.add(canonicalize_name(Requirement(str(entry)).name))
        except InvalidRequirement:
            continue
    return names


def _setup_py_text(project: Project) -> str:
    setup_py = project.root / "setup.py"
    if not setup_py.is_file():
        return ""
    return setup_py.read_text(encoding="utf-8", errors="replace")


def uses_setuptools_rust(project: Project) -> bool:
    """setuptools-rust in the build requirements, its own table, or setup.py."""
    tool = project.pyproject.get("tool", {})
    if "setuptools-rust" in _build_requires(project):
        return True
    if isinstance(tool, dict) and "setuptools-rust" in tool:
        return True
    return bool(re.search(r"\bsetuptools_rust\b|\bRustExtension\b", _setup_py_text(project)))


def compiled_reason(project: Project) -> str | None:
    """Why this project builds per-platform wheels (its backend, cibuildwheel, ext_modules)."""
    data = project.pyproject
    backend = data.get("build-system", {}).get("build-backend")
    if isinstance(backend, str) and backend in _COMPILED_BACKENDS:
        return _COMPILED_BACKENDS[backend]
    if uses_setuptools_rust(project):
        return "setuptools-rust"
    tool = data.get("tool", {})
    if isinstance(tool, dict):
        if "cibuildwheel" in tool:
            return "[tool.cibuildwheel]"
        setuptools = tool.get("setuptools", {})
        if isinstance(setuptools, dict) and "ext-modules" in setuptools:
            return "setuptools ext-modules"
    if re.search(r"\bext_modules\s*=", _setup_py_text(project)):
        return "setuptools ext_modules"
    return None


def builds_rust(project: Project) -> bool:
    """Whether the extension is Rust (setuptools-rust, or a Cargo.toml beside pyproject.toml)."""
    return uses_setuptools_rust(project) or (project.root / "Cargo.toml").is_file()


def cibuildwheel_sets_linux_setup(project: Project) -> bool:
    """Whether ``[tool.cibuildwheel]`` already sets ``before-all`` or ``environment`` for Linux.

    cibuildwheel's ``CIBW_*`` variables replace the file's settings, so init adds its own
    toolchain setup only where the project has none.
    """
    table = project.pyproject.get("tool", {}).get("cibuildwheel", {})
    if not isinstance(table, dict):
        return False
    linux = table.get("linux", {})
    for section in (table, linux if isinstance(linux, dict) else {}):
        if "before-all" in section or "environment" in section:
            return True
    return False


def tag_versioning(project: Project) -> str | None:
    """The tool that makes the version from the git tags, so a build needs the whole history.

    setuptools-scm, hatch-vcs, pdm's ``scm`` source and their relatives read ``git describe``;
    in a shallow checkout they see no tag and build a wrong version.
    """
    data = project.pyproject
    tool: Mapping[str, Any] = data.get("tool", {}) if isinstance(data.get("tool"), dict) else {}
    hatch_version = tool.get("hatch", {}).get("version", {})
    if isinstance(hatch_version, dict) and hatch_version.get("source") in {
        "vcs",
        "uv-dynamic-versioning",
        "versioningit",
    }:
        return "hatch-vcs" if hatch_version.get("source") == "vcs" else hatch_version["source"]
    pdm_version = tool.get("pdm", {}).get("version", {})
    if isinstance(pdm_version, dict) and pdm_version.get("source") == "scm":
        return "pdm scm"
    dynamic = tool.get("poetry-dynamic-versioning", {})
    if isinstance(dynamic, dict) and dynamic.get("enable") is True:
        return "poetry-dynamic-versioning"
    scikit = tool.get("scikit-build", {}).get("metadata", {}).get("version", {})
    if isinstance(scikit, dict) and "setuptools_scm" in str(scikit.get("provider", "")):
        return "setuptools-scm"
    if "setuptools_scm" in tool:
        return "setuptools-scm"
    for table in ("setuptools-git-versioning", "versioningit"):
        if table in tool:
            return table
    requires = _build_requires(project)
    for requirement, label in _TAG_VERSIONING_REQUIRES.items():
        if requirement in requires:
            return label
    if "use_scm_version" in _setup_py_text(project):
        return "setuptools-scm"
    return None


def _ini_testpaths(path: Path, section: str) -> list[str] | None:
    """``testpaths`` from an ini-style pytest configuration, or None when the file lacks it."""
    if not path.is_file():
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(path.read_text(encoding="utf-8", errors="replace"))
    except configparser.Error:
        return None
    if not parser.has_option(section, "testpaths"):
        return None
    return parser.get(section, "testpaths").split()


def pytest_testpaths(project: Project) -> list[str] | None:
    """The ``testpaths`` pytest is configured with, from the file pytest itself would read."""
    root = project.root
    found = _ini_testpaths(root / "pytest.ini", "pytest")
    if found is not None:
        return found
    tool = project.pyproject.get("tool", {})
    pytest_table = tool.get("pytest", {}) if isinstance(tool, dict) else {}
    for table in (pytest_table.get("ini_options"), pytest_table):
        if isinstance(table, dict) and "testpaths" in table:
            value = table["testpaths"]
            return [value] if isinstance(value, str) else [str(v) for v in value]
    for name, section in (("tox.ini", "pytest"), ("setup.cfg", "tool:pytest")):
        found = _ini_testpaths(root / name, section)
        if found is not None:
            return found
    return None


def _caret_or_tilde(operator: str, version: str) -> str | None:
    """Poetry's ``^`` and ``~`` constraints as PEP 440 ranges."""
    parts = version.split(".")
    if not all(part.isdigit() for part in parts):
        return None
    numbers = [int(part) for part in parts]
    if operator == "^":
        position = next((i for i, n in enumerate(numbers) if n != 0), len(numbers) - 1)
    else:
        position = min(1, len(numbers) - 1) if len(numbers) > 1 else 0
    upper = [*numbers[:position], numbers[position] + 1]
    return f">={version},<{'.'.join(map(str, upper))}"


def poetry_specifier(constraint: str) -> str | None:
    """A Poetry version constraint as a PEP 440 specifier; None when it has no equivalent."""
    constraint = constraint.strip()
    if constraint in {"", "*"}:
        return ""
    if "||" in constraint:
        return None  # alternatives: PEP 440 has no "or"
    joined = re.sub(r"(>=|<=|==|!=|~=|>|<|\^|~)\s+", r"\1", constraint)
    out = []
    for clause in (c for c in re.split(r"[,\s]+", joined) if c):
        match = re.fullmatch(r"(\^|~(?!=))(\d+(?:\.\d+)*)", clause)
        if match:
            converted = _caret_or_tilde(match.group(1), match.group(2))
            if converted is None:
                return None
            out.append(converted)
        elif re.fullmatch(r"\d+(?:\.\d+)*(?:\.\*)?", clause):
            out.append(f"=={clause}")
        elif re.fullmatch(r"(?:>=|<=|>|<|!=|==|~=)\S+", clause):
            out.append(clause)
        else:
            return None
    return ",".join(out)


def _poetry_requirement(name: str, spec: object) -> str | None:
    """One entry of a Poetry dependency table as a pip requirement; None for git/path/url ones."""
    extras: list[str] = []
    if isinstance(spec, dict):
        if any(key in spec for key in ("git", "path", "url", "file")):
            return None
        extras = [str(e) for e in spec.get("extras", []) if isinstance(e, str)]
        spec = spec.get("version", "*")
    if not isinstance(spec, str):
        return None
    specifier = poetry_specifier(spec)
    extra = f"[{','.join(extras)}]" if extras else ""
    text = f"{name}{extra}{specifier or ''}"
    try:
        return str(Requirement(text))
    except InvalidRequirement:
        return name if _SHELL_SAFE.match(name) else None


def poetry_test_requirements(project: Project) -> tuple[str, list[str]] | None:
    """The first Poetry test group (``test``, ``tests``, ``testing``, ``dev``), as pip requirements.

    pip cannot install a Poetry group, so each entry is written as a PEP 440 requirement
    (``^1.2`` becomes ``>=1.2,<2``); ``[tool.poetry.dev-dependencies]`` (Poetry 1.0's form) counts
    as ``dev``.
    """
    poetry = project.pyproject.get("tool", {}).get("poetry", {})
    if not isinstance(poetry, dict):
        return None
    groups = poetry.get("group", {})
    tables: list[tuple[str, object]] = [
        (g, groups[g].get("dependencies"))
        for g in _TEST_GROUPS
        if isinstance(groups, dict) and isinstance(groups.get(g), dict)
    ]
    if "dev-dependencies" in poetry:
        tables.append(("dev", poetry["dev-dependencies"]))
    for group, table in tables:
        if not isinstance(table, dict):
            continue
        requirements = []
        for name, spec in table.items():
            if name == "python":
                continue
            requirement = _poetry_requirement(str(name), spec)
            if requirement is not None and _SHELL_SAFE.match(requirement):
                requirements.append(requirement)
        return group, requirements
    return None


def _quoted(requirement: str) -> str:
    """A requirement as one shell word: quoted when it holds ``<``, ``>``, ``[`` or spaces."""
    return f'"{requirement}"' if re.search(r"[^A-Za-z0-9_.-]", requirement) else requirement


def _test_location(project: Project) -> tuple[str, str] | None:
    """(pytest's arguments, where the tests are) or None when the project has no tests."""
    root = project.root
    testpaths = pytest_testpaths(project)
    if testpaths and any(list(root.glob(path)) for path in testpaths):
        return "", ", ".join(f"`{path}`" for path in testpaths) + " (pytest's `testpaths`)"
    folders = [folder for folder in _TEST_FOLDERS if (root / folder).is_dir()]
    if folders:
        return " " + " ".join(folders), ", ".join(f"`{folder}/`" for folder in folders)
    return None


def test_plan(project: Project, name: str) -> TestPlan:
    """Run the project's own tests against the wheel, with the dependencies it declares for them.

    Tests are where pytest's ``testpaths`` say, else in ``tests/``, ``testing/`` or ``test/``;
    their dependencies come from a ``test``/``tests``/``testing`` extra, a PEP 735 group
    (``test``, ``tests``, ``testing``, ``dev``) or a Poetry group of those names. Without tests,
    the plan is empty and the workflow has no test job.
    """
    location = _test_location(project)
    if location is None:
        return NO_TESTS
    arguments, source = location
    data: Mapping[str, Any] = project.pyproject
    extras = data.get("project", {}).get("optional-dependencies", {})
    groups = data.get("dependency-groups", {})
    extra = next((e for e in _TEST_EXTRAS if isinstance(extras, dict) and e in extras), None)
    group = next((g for g in _TEST_GROUPS if isinstance(groups, dict) and g in groups), None)
    poetry = poetry_test_requirements(project)
    if extra is not None:
        requirements = f'"{name}[{extra}]" pytest'
    elif group is not None:
        requirements = f"{name} --group {group} pytest"
    elif poetry is not None:
        requirements = " ".join([_quoted(name), *map(_quoted, poetry[1]), "pytest"])
    else:
        requirements = f"{name} pytest"
    return TestPlan(
        requirements=requirements,
        command=f"python -m pytest{arguments}",
        step_name="Run the tests against the installed wheel",
        source=source,
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
    compiled = compiled_reason(project)
    return ProjectFacts(
        name=name,
        import_name=import_name(project, name),
        compiled=compiled,
        tests=test_plan(project, name),
        remote=read_remote(Git(project.root)),
        tag_versioned=tag_versioning(project),
        rust=compiled is not None and compiled != "maturin" and builds_rust(project),
        linux_setup_is_own=cibuildwheel_sets_linux_setup(project),
    )
