"""Which packages of a repository a publishing job builds or uploads, read from what it runs.

In a monorepo every package is its own project on PyPI, with its own trusted publisher: doctor
must say which package a job publishes before it can say what to register. It reads that from
the job as written, never from names: the folder it builds in (``working-directory:`` of the
step, the job's or the workflow's ``defaults.run``, ``cd X`` earlier in the script), the folder
or package a build command names (``python -m build X``, ``uv build --package NAME``, ``uv
build --all-packages``, ``maturin build -m X/Cargo.toml``, ``pip wheel X``, ``cibuildwheel X``,
``releasekit -C X build``), the inputs of the actions that build or upload (maturin-action,
build-and-inspect, cibuildwheel, ``packages-dir`` of pypa/gh-action-pypi-publish) and the paths
files are uploaded from or downloaded to (``twine upload X/dist/*``, ``actions/download-artifact``
``path:``). A build job elsewhere counts when the publishing job downloads its artifacts (its
``needs:``, through reusable workflows). ``${{ matrix.x }}`` is read for every cell of the job's
matrix, ``${{ inputs.x }}`` for every caller of a reusable workflow, ``${{ env.X }}``/``$X`` from
the ``env:`` blocks; a value doctor cannot know leaves the path unread.

A path names the package whose folder holds it: the deepest package of the workspace, or a
folder with its own pyproject.toml. A build at the top names the top package, when the top is
one; files uploaded from the top's ``dist/`` name nothing, since uv writes every workspace
member's files there. A job of which nothing is read is "package unknown": doctor does not
guess.
"""

from __future__ import annotations

import fnmatch
import itertools
import posixpath
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from releasekit.errors import ReleaseError
from releasekit.gh_workflows import Job, Repository
from releasekit.packages import PYPROJECT, Workspace, discover
from releasekit.publishing_job import PublishingJob
from releasekit.records import frozen, replace
from releasekit.workflow_uploads import env_of, shell_commands
from releasekit.yaml_nodes import Node

if TYPE_CHECKING:
    from releasekit.gitlab_ci import Pipeline

ClaimKind = Literal["build", "output", "name", "all"]
_MAX_CELLS = 256  # GitHub runs at most 256 jobs per matrix
_EXPRESSION = re.compile(r"\$\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}")
_SHELL_VARIABLE = re.compile(r"\$\{([A-Za-z_]\w*)\}|\$([A-Za-z_]\w*)")
_GLOB = re.compile(r"[*?\[]")
_PYTHON = re.compile(r"^(python[0-9.]*|py)$")
# Words that run the next word as the command.
_LAUNCHERS = frozenset({"sudo", "env", "time", "exec", "nohup", "uvx", "pipx", "run", "tool"})
# Options, by tool, that take a value (so the value is not a positional argument).
_VALUED: Mapping[str, frozenset[str]] = {
    "build": frozenset(
        {"-o", "--outdir", "-C", "--config-setting", "--installer", "--config-json"}
    ),
    "uv": frozenset(
        {
            "-o",
            "--out-dir",
            "--package",
            "-p",
            "--python",
            "-b",
            "--build-constraint",
            "-C",
            "--config-setting",
            "--config-file",
            "--cache-dir",
            "--directory",
            "--project",
            "--index",
            "--index-url",
            "--default-index",
            "--extra-index-url",
            "--publish-url",
            "--check-url",
            "--trusted-publishing",
            "-u",
            "--username",
            "--password",
            "-t",
            "--token",
            "--keyring-provider",
            "--color",
        }
    ),
    "pip": frozenset(
        {
            "-w",
            "--wheel-dir",
            "-r",
            "--requirement",
            "-c",
            "--constraint",
            "-e",
            "--editable",
            "-i",
            "--index-url",
            "--extra-index-url",
            "-f",
            "--find-links",
            "--config-settings",
            "-C",
            "--global-option",
            "--build-option",
            "--src",
            "--progress-bar",
            "--cache-dir",
            "--python",
        }
    ),
    "twine": frozenset(
        {
            "-r",
            "--repository",
            "--repository-url",
            "-u",
            "--username",
            "-p",
            "--password",
            "-c",
            "--comment",
            "--config-file",
            "--cert",
            "--client-cert",
            "-i",
            "--identity",
            "--sign-with",
        }
    ),
    "maturin": frozenset(
        {
            "-m",
            "--manifest-path",
            "-o",
            "--out",
            "-i",
            "--interpreter",
            "-r",
            "--repository",
            "--repository-url",
            "-u",
            "--username",
            "-p",
            "--password",
            "--target",
            "--compatibility",
            "-F",
            "--features",
            "-b",
            "--bindings",
        }
    ),
    "cibuildwheel": frozenset(
        {"--platform", "--archs", "--output-dir", "--config-file", "--only", "--prerelease-pythons"}
    ),
    "releasekit": frozenset(
        {
            "-C",
            "--package",
            "--outdir",
            "--repository",
            "--repository-url",
            "--index-url",
            "--trusted-publishing",
            "--jobs",
        }
    ),
    "hatch": frozenset({"-p", "--project", "-e", "--env", "-t", "--target", "-r", "--repo"}),
    "poetry": frozenset({"-C", "--directory", "-P", "--project", "-r", "--repository", "-f"}),
    "pdm": frozenset({"-p", "--project", "-r", "--repository", "-d", "--dest"}),
    "flit": frozenset({"--ini", "--repository", "--format"}),
}
# Options that run the tool in another folder (uv's -C is --config-setting, poetry's -C is this).
_DIRECTORY_OPTIONS: Mapping[str, tuple[str, ...]] = {
    "uv": ("--directory", "--project"),
    "poetry": ("-C", "--directory", "-P", "--project"),
    "pdm": ("-p", "--project"),
    "releasekit": ("-C",),
}
# tool -> (verbs that build from the folder, verbs that upload files)
_VERBS: Mapping[str, tuple[frozenset[str], frozenset[str]]] = {
    "build": (frozenset({""}), frozenset()),
    "uv": (frozenset({"build"}), frozenset({"publish"})),
    "pip": (frozenset({"wheel"}), frozenset()),
    "twine": (frozenset(), frozenset({"upload"})),
    "maturin": (frozenset({"build", "sdist", "publish"}), frozenset({"upload"})),
    "cibuildwheel": (frozenset({""}), frozenset()),
    "releasekit": (frozenset({"build", "publish", "check", "rehearse"}), frozenset()),
    "hatch": (frozenset({"build"}), frozenset({"publish"})),
    "poetry": (frozenset({"build", "publish"}), frozenset()),
    "pdm": (frozenset({"build", "publish"}), frozenset()),
    "flit": (frozenset({"build", "publish"}), frozenset()),
    "setup.py": (frozenset({"sdist", "bdist_wheel"}), frozenset()),
}


@frozen
class Claim:
    """One thing a step says about what it builds: a folder, an upload path, a name, or all."""

    kind: ClaimKind
    value: str = ""  # a path relative to the top (POSIX), or a package name


def fill(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each ``${{ context.name }}`` that ``values`` knows replaced by its value."""

    def known(match: re.Match[str]) -> str:
        return values.get(match[1], match[0])

    return _EXPRESSION.sub(known, text)


def _shell_filled(text: str, env: Mapping[str, str]) -> str:
    """``$X``/``${X}`` replaced by the environment's values doctor knows."""

    def known(match: re.Match[str]) -> str:
        value = env.get(match[1] or match[2])
        return value if value is not None and "$" not in value else match[0]

    return _SHELL_VARIABLE.sub(known, text)


def joined(cwd: str | None, path: str) -> str | None:
    """``path`` (as a command or input wrote it) relative to the top; None when unknowable."""
    text = path.strip().strip("'\"")
    if cwd is None or not text or "$" in text or text.startswith(("/", "~", "-")):
        return None
    parts = text.split("/")
    kept: list[str] = []
    for part in parts:
        if _GLOB.search(part):
            break  # dist/*.whl: the folder before the pattern
        kept.append(part)
    normal = posixpath.normpath(posixpath.join(cwd, "/".join(kept) or "."))
    if normal == ".." or normal.startswith("../"):
        return None
    return normal


def _program(words: list[str]) -> tuple[str, list[str]] | None:
    """(tool, the words after it) when ``words`` run a tool that builds or uploads."""
    position = 0
    while position < len(words):
        word = words[position].lstrip("(")
        name = word.rsplit("/", 1)[-1].lower()
        after = position + 1
        if _PYTHON.match(name):
            if after < len(words) and words[after] == "-m" and after + 1 < len(words):
                module = words[after + 1].lower()
                return (module, words[after + 2 :]) if module in _VERBS else None
            if after < len(words) and words[after].endswith("setup.py"):
                return "setup.py", words[after:]
            position += 1
            continue
        if name == "pyproject-build":
            return "build", words[after:]
        if name == "uv" and after < len(words) and words[after] in {"run", "tool", "x"}:
            position += 1  # uv run twine ..., uv tool run build
            continue
        if name in _VERBS and name != "setup.py":
            return name, words[after:]
        if name in _LAUNCHERS or ("=" in word and not word.startswith("-")):
            position += 1  # a launcher, or VAR=value before the command
            continue
        if word.startswith("-") and position > 0:
            position += 1  # an option of a launcher (uvx --from build, pipx run --spec)
            continue
        return None
    return None


def _split(tool: str, words: list[str]) -> tuple[dict[str, str], set[str], list[str]]:
    """(options with their values, flags, positional words) of one command."""
    valued = _VALUED.get(tool, frozenset())
    options: dict[str, str] = {}
    flags: set[str] = set()
    positional: list[str] = []
    position = 0
    while position < len(words):
        word = words[position]
        name, equals, value = word.partition("=")
        if word.startswith("-") and equals:
            options.setdefault(name, value)
        elif word in valued and position + 1 < len(words):
            options.setdefault(word, words[position + 1])
            position += 1
        elif word.startswith("-"):
            flags.add(word)
        else:
            positional.append(word)
        position += 1
    return options, flags, positional


def _first(options: Mapping[str, str], *names: str) -> str | None:
    return next((options[name] for name in names if name in options), None)


def command_claims(tool: str, words: list[str], cwd: str | None) -> list[Claim]:
    """What one build or upload command says about the packages it handles."""
    options, flags, positional = _split(tool, words)
    builds, uploads = _VERBS[tool]
    directory = _first(options, *_DIRECTORY_OPTIONS.get(tool, ()))
    if directory is not None:
        cwd = joined(cwd, directory)
    verb = positional[0] if positional and "" not in builds else ""
    arguments = positional[1:] if verb else positional
    if tool == "setup.py":
        script = positional[0] if positional else "setup.py"
        if not set(positional[1:]) & builds:
            return []
        folder = joined(cwd, posixpath.dirname(script) or ".")
        return [Claim("build", folder)] if folder is not None else []
    if verb in uploads or (tool == "releasekit" and verb == "publish" and arguments):
        found = [joined(cwd, path) for path in arguments]
        if not arguments:
            found = [joined(cwd, "dist")]
        claims = [Claim("output", path) for path in found if path is not None]
        if tool == "releasekit":
            claims += _selection_claims(options, flags)
        return claims
    if verb not in builds:
        return []
    selected = _selection_claims(options, flags)
    if tool in {"uv", "releasekit"} and selected:
        return selected
    if tool == "maturin":
        manifest = _first(options, "-m", "--manifest-path")
        folder = joined(cwd, posixpath.dirname(manifest) or ".") if manifest else cwd
        return [Claim("build", folder)] if folder is not None else []
    if tool == "pip":
        paths = [p for p in arguments if p == "." or "/" in p or p.startswith(".")]
        return [Claim("build", f) for p in paths if (f := joined(cwd, p)) is not None]
    if tool in {"build", "uv", "cibuildwheel"} and arguments:
        folder = joined(cwd, arguments[0])
        return [Claim("build", folder)] if folder is not None else []
    return [Claim("build", cwd)] if cwd is not None else []


def _selection_claims(options: Mapping[str, str], flags: set[str]) -> list[Claim]:
    """``--package NAME`` and ``--all-packages``/``--all`` (uv, releasekit)."""
    if "--all-packages" in flags or "--all" in flags:
        return [Claim("all")]
    name = options.get("--package")
    return [Claim("name", name)] if name and "$" not in name else []


def script_claims(
    script: str, cwd: str | None, env: Mapping[str, str]
) -> tuple[list[Claim], str | None]:
    """The claims of a shell script run in ``cwd``, and the folder it ends in (``cd``)."""
    claims: list[Claim] = []
    for words in shell_commands(_shell_filled(script, env)):
        first = words[0].lstrip("(")
        if first in {"cd", "pushd"}:
            cwd = joined(cwd, words[1]) if len(words) > 1 and words[1] != "-" else None
            continue
        found = _program(words)
        if found is not None:
            claims += command_claims(found[0], found[1], cwd)
    return claims, cwd


class Attribution:
    """Turns claims into package folders, for one repository and its workspace."""

    def __init__(self, top: Path, workspace: Workspace | None) -> None:
        self.top = top
        self.workspace = workspace
        self.known = {p.path: p.name for p in workspace.packages} if workspace else {}
        self._named: dict[str, str | None] = {}

    def name(self, folder: str) -> str | None:
        """The package name of a folder: the workspace's, else its pyproject.toml's."""
        if folder in self.known:
            return self.known[folder]
        if folder not in self._named:
            self._named[folder] = _declared_name(self.top / folder / PYPROJECT)
        return self._named[folder]

    def folder_of(self, path: str) -> str | None:
        """The package folder holding ``path`` (relative to the top), if any."""
        current = path
        while True:
            if self.name(current) is not None:
                return current
            if current == ".":
                return None
            current = posixpath.dirname(current) or "."

    def folders(self, claims: Iterable[Claim]) -> tuple[str, ...]:
        """The package folders the claims name, sorted; empty when they name none."""
        found: set[str] = set()
        for claim in claims:
            if claim.kind == "all":
                found |= set(self.known)
            elif claim.kind == "name":
                package = self.workspace.find(claim.value) if self.workspace else None
                if package is not None:
                    found.add(package.path)
            else:
                folder = self.folder_of(claim.value)
                # Files uploaded from the top's dist/ may be any member's (uv writes them there).
                if folder is not None and (claim.kind == "build" or folder != "."):
                    found.add(folder)
        return tuple(sorted(found, key=lambda f: (f != ".", f)))


def _declared_name(path: Path) -> str | None:
    """``[project].name`` (or ``[tool.poetry].name``) of a pyproject.toml that has one."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    tool = data.get("tool")
    for table in (data.get("project"), tool.get("poetry") if isinstance(tool, dict) else None):
        name = table.get("name") if isinstance(table, dict) else None
        if isinstance(name, str) and name.strip():
            return name.strip()
    return None


def workspace_of(root: Path) -> Workspace | None:
    """The packages of the repository ``root`` is in; None when they cannot be read."""
    try:
        return discover(root)
    except (ReleaseError, OSError):
        return None


# GitHub Actions


def _flatten(prefix: str, node: Node) -> dict[str, str]:
    """A matrix value as context keys: ``matrix.pkg`` or, for a mapping, ``matrix.pkg.path``."""
    if isinstance(node.value, dict):
        values: dict[str, str] = {}
        for key, child in node.mapping().items():
            values.update(_flatten(f"{prefix}.{key}", child))
        return values
    text = node.text()
    return {prefix: text} if text is not None else {}


def matrix_cells(job: Node) -> list[dict[str, str]]:
    """The ``matrix.*`` values of each cell of the job's matrix (one empty cell without one).

    ``include`` entries extend the cells whose values they share, or add a cell, and
    ``exclude`` entries remove the cells they match, as GitHub does. A matrix written as one
    expression (``fromJSON(...)``) is unknown: one empty cell.
    """
    strategy = job.get("strategy")
    matrix = strategy.get("matrix") if strategy is not None else None
    if matrix is None or not isinstance(matrix.value, dict):
        return [{}]
    axes: list[list[dict[str, str]]] = []
    for key, value in matrix.mapping().items():
        if key in {"include", "exclude"} or not isinstance(value.value, list):
            continue
        axes.append([_flatten(f"matrix.{key}", item) for item in value.items()])
    cells = [
        {k: v for part in combination for k, v in part.items()}
        for combination in itertools.islice(itertools.product(*axes), _MAX_CELLS)
    ]
    original = {f"matrix.{key}" for key in matrix.mapping() if key not in {"include", "exclude"}}
    for entry in (matrix.get("include") or Node(None, 0)).items():
        values = _flatten("matrix", entry)
        shared = {k: v for k, v in values.items() if _axis(k) in original}
        matching = [c for c in cells if all(c.get(k) == v for k, v in shared.items())]
        if shared and matching:
            for cell in matching:
                cell.update(values)
        elif not shared and cells and cells != [{}]:
            for cell in cells:
                cell.update(values)
        else:
            cells.append(dict(values))
    for entry in (matrix.get("exclude") or Node(None, 0)).items():
        values = _flatten("matrix", entry)
        cells = [c for c in cells if not all(c.get(k) == v for k, v in values.items())]
    return [c for c in cells if c] or [{}]


def _axis(key: str) -> str:
    """``matrix.pkg`` for ``matrix.pkg`` and ``matrix.pkg.path``."""
    return ".".join(key.split(".")[:2])


class GitHubAttribution:
    """Which packages the publishing jobs of a GitHub repository publish."""

    def __init__(self, repo: Repository, attribution: Attribution) -> None:
        self.repo = repo
        self.attribution = attribution

    def folders(self, job: Job) -> tuple[str, ...]:
        """The package folders ``job`` publishes; empty when doctor cannot tell."""
        claims: list[Claim] = []
        wanted: list[str] = []
        for values in self.contexts(job):
            step_claims, downloads = self._job_claims(job, values)
            claims += step_claims
            wanted += downloads
        if wanted:
            for builder in self.repo.ancestors(job):
                if builder.publishes:
                    continue  # another publishing job's packages are its own
                for values in self.contexts(builder):
                    made = self._artifacts(builder, values)
                    if any(_matches(name, spec) for name in made for spec in wanted):
                        claims += self._job_claims(builder, values)[0]
        return self.attribution.folders(claims)

    def contexts(self, job: Job) -> list[dict[str, str]]:
        """The known values of ``matrix.*`` and ``inputs.*`` in each way the job runs."""
        inputs = self._inputs(job.file, set())
        cells = matrix_cells(job.node)
        return [{**given, **cell} for given in inputs for cell in cells][:_MAX_CELLS]

    def _inputs(self, file: str, seen: set[str]) -> list[dict[str, str]]:
        """``inputs.*`` of a called workflow: each caller's ``with:``, over the caller's cells."""
        workflow = self.repo.workflows[file]
        call = workflow.triggers.get("workflow_call")
        declared = call.get("inputs") if call is not None else None
        defaults = {
            f"inputs.{name}": entry.text("default") or ""
            for name, entry in (declared.mapping() if declared is not None else {}).items()
            if entry.text("default") is not None
        }
        if not workflow.callers or file in seen:
            return [defaults]
        found: list[dict[str, str]] = []
        for caller in workflow.callers:
            given = caller.node.get("with")
            for outer in self._inputs(caller.file, seen | {file}):
                for cell in matrix_cells(caller.node):
                    values = {**outer, **cell}
                    found.append(
                        {
                            **defaults,
                            **{
                                f"inputs.{name}": fill(value.text() or "", values)
                                for name, value in (given.mapping() if given else {}).items()
                            },
                        }
                    )
        return found[:_MAX_CELLS] or [defaults]

    def _job_claims(self, job: Job, values: Mapping[str, str]) -> tuple[list[Claim], list[str]]:
        """(the claims of the job's steps, the artifact names it downloads) in one context."""
        workflow = self.repo.workflows[job.file]
        env = {**env_of(workflow.root.get("env")), **env_of(job.node.get("env"))}
        env = {name: fill(value, values) for name, value in env.items()}
        written = _working_directory(job.node) or _working_directory(workflow.root) or "."
        job_cwd = joined(".", fill(written, {**values, **_env_values(env)}))
        claims: list[Claim] = []
        downloads: list[str] = []
        for step in job.steps:
            step_env = {**env, **{k: fill(v, values) for k, v in env_of(step.get("env")).items()}}
            known = {**values, **_env_values(step_env)}
            inputs = {k: fill(v.text() or "", known) for k, v in _with(step).items()}
            action = (step.text("uses") or "").split("@", 1)[0].lower()
            run = step.text("run")
            if run is not None:
                where = step.text("working-directory")
                cwd = joined(".", fill(where, known)) if where is not None else job_cwd
                claims += script_claims(fill(run, known), cwd, step_env)[0]
            elif action == "pypa/gh-action-pypi-publish":
                claims += _output(inputs.get("packages-dir") or inputs.get("packages_dir") or "")
            elif action == "actions/download-artifact":
                downloads.append(_pattern(inputs.get("name") or inputs.get("pattern") or "*"))
                claims += _output(inputs.get("path", ""))
            elif action == "actions/upload-artifact":
                for line in inputs.get("path", "").splitlines():
                    claims += [] if line.strip().startswith("!") else _output(line)
            elif action == "pyo3/maturin-action":
                claims += _maturin_action(inputs)
            elif action == "hynek/build-and-inspect-python-package":
                claims += _folder_claim(inputs.get("path") or ".")
            elif action == "pypa/cibuildwheel":
                claims += _folder_claim(inputs.get("package-dir") or ".")
        return claims, downloads

    def _artifacts(self, job: Job, values: Mapping[str, str]) -> list[str]:
        """The artifact names (patterns) the job uploads in one context."""
        names: list[str] = []
        for step in job.steps:
            action = (step.text("uses") or "").split("@", 1)[0].lower()
            inputs = {k: fill(v.text() or "", values) for k, v in _with(step).items()}
            if action == "actions/upload-artifact":
                names.append(_pattern(inputs.get("name") or "artifact"))
            elif action == "hynek/build-and-inspect-python-package":
                names.append("Packages*")
        if job.remote_call:
            names.append("*")
        return names


def _env_values(env: Mapping[str, str]) -> dict[str, str]:
    return {f"env.{name}": value for name, value in env.items() if "${{" not in value}


def _with(step: Node) -> dict[str, Node]:
    inputs = step.get("with")
    return inputs.mapping() if inputs is not None else {}


def _working_directory(node: Node) -> str | None:
    defaults = node.get("defaults")
    run = defaults.get("run") if defaults is not None else None
    return run.text("working-directory") if run is not None else None


def _output(path: str) -> list[Claim]:
    found = joined(".", path) if path.strip() else None
    return [Claim("output", found)] if found is not None else []


def _folder_claim(path: str) -> list[Claim]:
    found = joined(".", path)
    return [Claim("build", found)] if found is not None else []


def _maturin_action(inputs: Mapping[str, str]) -> list[Claim]:
    """maturin-action: ``working-directory``, and ``-m``/``--manifest-path`` in ``args``."""
    cwd = joined(".", inputs.get("working-directory") or ".")
    command = (inputs.get("command") or "build").strip()
    words = ["maturin", command, *inputs.get("args", "").split()]
    found = _program(words)
    return command_claims(found[0], found[1], cwd) if found is not None else []


def _pattern(text: str) -> str:
    """An artifact name with its unknown ``${{ }}`` parts as wildcards."""
    return re.sub(r"\$\{\{.*?\}\}", "*", text)


def _matches(made: str, wanted: str) -> bool:
    if wanted == "*" or made == "*":
        return True
    return fnmatch.fnmatchcase(made, wanted) or fnmatch.fnmatchcase(wanted, made)


def github_jobs(
    repo: Repository, workspace: Workspace | None, jobs: list[PublishingJob]
) -> list[PublishingJob]:
    """``jobs`` (of ``repo``) with the package folders each one publishes."""
    reader = GitHubAttribution(repo, Attribution(repo.top, workspace))
    cache: dict[tuple[str, str], tuple[str, ...]] = {}
    result: list[PublishingJob] = []
    for job in jobs:
        key = (job.workflow, job.job)
        if key not in cache:
            found = repo.workflows.get(job.workflow)
            source = found.jobs.get(job.job) if found is not None else None
            cache[key] = reader.folders(source) if source is not None else ()
        result.append(replace(job, folders=cache[key]))
    return result


# GitLab CI


def gitlab_jobs(
    top: Path,
    workspace: Workspace | None,
    jobs: list[PublishingJob],
    pipeline: Pipeline | None = None,
) -> list[PublishingJob]:
    """``jobs`` (GitLab's) with the package folders each one publishes.

    The job's own script (``cd`` carries over from line to line: GitLab runs them in one
    shell) and ``artifacts: paths:``; when they name nothing, the jobs it ``needs:`` (or takes
    ``dependencies:`` from). ``parallel: matrix:`` values fill ``$VARIABLE``s, cell by cell.
    ``pipeline`` is the one already read at ``top``, when the caller has it.
    """
    if not any(job.ci == "gitlab" for job in jobs):
        return jobs
    if pipeline is None:
        from releasekit.gitlab_ci import Pipeline  # noqa: PLC0415  # gitlab_ci imports this module

        pipeline = Pipeline(top)
    resolved = {definition.key: node for definition, node in pipeline.jobs()}
    attribution = Attribution(top, workspace)
    cache: dict[str, tuple[str, ...]] = {}

    def claims_of(key: str) -> list[Claim]:
        node = resolved.get(key)
        if node is None:
            return []
        claims: list[Claim] = []
        base = {**pipeline.variables, **env_of(node.get("variables"))}
        for cell in _gitlab_cells(node):
            variables = {**base, **cell}
            cwd: str | None = "."
            for key_name in ("before_script", "script"):
                for line in _lines(node.get(key_name)):
                    found, cwd = script_claims(line, cwd, variables)
                    claims += found
            artifacts = node.get("artifacts")
            paths = artifacts.get("paths") if artifacts is not None else None
            for item in paths.items() if paths is not None else []:
                claims += _output(_shell_filled(item.text() or "", variables))
        return claims

    for job in jobs:
        if job.ci != "gitlab" or job.job in cache:
            continue
        claims = claims_of(job.job)
        folders = attribution.folders(claims)
        if not folders:
            node = resolved.get(job.job)
            needed = _gitlab_needs(node) if node is not None else []
            folders = attribution.folders(c for name in needed for c in claims_of(name))
        cache[job.job] = folders
    return [replace(job, folders=cache[job.job]) if job.ci == "gitlab" else job for job in jobs]


def _lines(node: Node | None) -> list[str]:
    lines: list[str] = []
    for item in node.items() if node is not None else []:
        if isinstance(item.value, str):
            lines.append(item.value)
        elif isinstance(item.value, list):
            lines += [n.value for n in item.value if isinstance(n.value, str)]
    return lines


def _gitlab_cells(job: Node) -> list[dict[str, str]]:
    """Each cell of ``parallel: matrix:`` as variables (one empty cell without one)."""
    parallel = job.get("parallel")
    matrix = parallel.get("matrix") if parallel is not None else None
    if matrix is None:
        return [{}]
    cells: list[dict[str, str]] = []
    for entry in matrix.items():
        axes = [
            [(name, item.text() or "") for item in value.items()]
            for name, value in entry.mapping().items()
        ]
        cells += [dict(c) for c in itertools.islice(itertools.product(*axes), _MAX_CELLS)]
    return cells[:_MAX_CELLS] or [{}]


def _gitlab_needs(job: Node) -> list[str]:
    names: list[str] = []
    for key in ("needs", "dependencies"):
        node = job.get(key)
        for item in node.items() if node is not None else []:
            name = item.text() if isinstance(item.value, str) else item.text("job")
            if name:
                names.append(name)
    return names
