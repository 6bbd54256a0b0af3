"""GitLab CI pipelines as GitLab assembles them, and the audit of the jobs that publish.

Projects rarely publish from a job written whole in ``.gitlab-ci.yml``. The pipeline is
``.gitlab-ci.yml`` plus its local ``include:`` files (and doctor reads every YAML file under
``.gitlab/`` too, since such files exist to be included); a file may start with a ``spec:``
header document; jobs inherit from hidden templates (``.publish:``) through ``extends:``, and
pull lists from other jobs with ``!reference [.job, script]``. This module resolves all of that,
without running anything, into the jobs that really run, then applies the publishing rules.
Every finding points at the job's key line, where a ``# releasekit: ignore[...]`` comment goes.
Each publishing job is attributed to the packages it builds (``job_packages``) before two jobs
are compared as ``duplicate-publisher``: jobs for different packages of a monorepo are not a pair.
"""

from __future__ import annotations

import re
from pathlib import Path

from releasekit.findings import Finding
from releasekit.gh_expressions import Truth
from releasekit.job_packages import gitlab_jobs, workspace_of
from releasekit.packages import Workspace
from releasekit.project_root import top_level
from releasekit.publisher_duplicates import GitLabPublisher, gitlab_duplicates, tag_pipeline
from releasekit.publishing_job import PublishingJob
from releasekit.records import frozen, replace
from releasekit.workflow_rules import finding
from releasekit.workflow_uploads import (
    PYPI,
    Upload,
    credential_names,
    env_of,
    from_secrets,
    is_secret_name,
    script_uploads,
)
from releasekit.yaml_nodes import MAX_CHARS, Node, YamlSyntaxError, parse_documents

TOP_FILE = ".gitlab-ci.yml"
# Top-level keys that are settings, not jobs.
_RESERVED = frozenset(
    {
        "default",
        "include",
        "stages",
        "variables",
        "workflow",
        "image",
        "services",
        "cache",
        "before_script",
        "after_script",
        "spec",
        "types",
    }
)
_INHERITED_DEFAULTS = ("before_script", "after_script", "id_tokens", "image")
_MAX_FILES = 200
_MAX_DEPTH = 11  # GitLab's own limit for extends chains
_SCOPED_ADVICE = (  # advice about tokens, not one
    "this index does not offer trusted publishing: keep the token scoped to this one project, "
    "in a protected and masked CI/CD variable"
)


@frozen
class Definition:
    """A top-level entry of the pipeline and the file that holds it."""

    file: str
    key: str
    node: Node


class Pipeline:
    """The files of a GitLab pipeline, merged into one set of jobs and templates."""

    def __init__(self, top: Path) -> None:
        self.top = top
        self.findings: list[Finding] = []
        self.files: list[str] = []
        self._readings: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
        self.entries: dict[str, Definition] = {}
        self.variables: dict[str, str] = {}
        self.default: Node | None = None
        if (top / TOP_FILE).is_file():
            self._read(TOP_FILE)
        folder = top / ".gitlab"
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.suffix in {".yml", ".yaml"} and path.is_file():
                    self._read(path.relative_to(top).as_posix())

    def _read(self, shown: str, inputs: dict[str, str] | None = None) -> None:
        """Read one CI file; ``inputs`` are the values an ``include:`` gives its ``spec:``.

        A file with a ``spec:`` header is a template: it may be included several times with
        different inputs (a job key of ``$[[ inputs.job_name ]]``), so each set of inputs is one
        more reading, with ``$[[ inputs.x ]]`` replaced by the given or default scalar.
        """
        reading = (shown, tuple(sorted((inputs or {}).items())))
        if reading in self._readings or len(self._readings) >= _MAX_FILES:
            return
        self._readings.add(reading)
        if shown not in self.files:
            self.files.append(shown)
        try:
            with (self.top / shown).open(encoding="utf-8") as handle:
                text = handle.read(MAX_CHARS + 1)
            documents = parse_documents(text)
        except (OSError, UnicodeDecodeError) as exc:
            self.findings.append(
                finding("workflow-invalid-yaml", shown, None, f"cannot read it ({exc})")
            )
            return
        except YamlSyntaxError as exc:
            self.findings.append(finding("workflow-invalid-yaml", shown, exc.line, str(exc)))
            return
        spec = documents[0].get("spec") if len(documents) > 1 else None
        content = documents[-1] if spec is not None else documents[0]
        if spec is not None:
            content = _interpolated(text, spec, inputs or {}) or content
        for key, node in content.mapping().items():
            if key == "include":
                for included, given in self._includes(node):
                    self._read(included, given)
            elif key == "variables":
                self.variables.update(env_of(node))
            elif key == "default":
                self.default = node
            elif key not in _RESERVED:
                self.entries.setdefault(key, Definition(shown, key, node))

    def _includes(self, node: Node) -> list[tuple[str, dict[str, str] | None]]:
        """The local files an ``include:`` names, with the scalar inputs given to each.

        Remote, project, template and component includes are not in this repository.
        """
        found: list[tuple[str, dict[str, str] | None]] = []
        for item in node.items():
            local = item.text() if isinstance(item.value, str) else item.text("local")
            if not local or "://" in local or "$" in local:
                continue
            given = _scalars(item.get("inputs")) if isinstance(item.value, dict) else None
            pattern = local.lstrip("/")
            if any(c in pattern for c in "*?["):
                found += sorted(
                    (p.relative_to(self.top).as_posix(), given)
                    for p in self.top.glob(pattern)
                    if p.is_file()
                )
            elif (self.top / pattern).is_file():
                found.append((pattern, given))
        return found

    def jobs(self) -> list[tuple[Definition, Node]]:
        """Every job that runs (not hidden), resolved.

        ``extends:``, ``default:`` and ``!reference`` are applied as GitLab applies them.
        """
        resolved: list[tuple[Definition, Node]] = []
        for definition in self.entries.values():
            if definition.key.startswith(".") or not isinstance(definition.node.value, dict):
                continue
            merged = self._extended(definition.node, 0)
            merged = self._with_defaults(merged)
            resolved.append((definition, self._references(merged, 0)))
        return resolved

    def _extended(self, node: Node, depth: int) -> Node:
        extends = node.get("extends")
        if extends is None or depth >= _MAX_DEPTH:
            return node
        base: Node = Node({}, node.line)
        for item in extends.items():
            parent = self.entries.get(item.text() or "")
            if parent is not None and isinstance(parent.node.value, dict):
                base = _deep_merge(base, self._extended(parent.node, depth + 1))
        own = {k: v for k, v in node.mapping().items() if k != "extends"}
        merged = _deep_merge(base, Node(own, node.line))
        return replace(merged, line=node.line, key_line=node.key_line)

    def _with_defaults(self, job: Node) -> Node:
        if self.default is None:
            return job
        inherit = job.get("inherit")
        if inherit is not None and (inherit.text("default") or "").lower() == "false":
            return job
        entries = dict(job.mapping())
        for key in _INHERITED_DEFAULTS:
            value = self.default.get(key)
            if key not in entries and value is not None:
                entries[key] = value
        return replace(job, value=entries)

    def _references(self, node: Node, depth: int) -> Node:
        """``!reference [.job, key, ...]`` replaced by what it names; lists are flattened."""
        if node.tag == "!reference" and depth < _MAX_DEPTH:
            target = self._lookup([item.text() or "" for item in node.items()])
            return (
                self._references(target, depth + 1) if target is not None else Node(None, node.line)
            )
        if isinstance(node.value, dict):
            entries = {k: self._references(v, depth) for k, v in node.value.items()}
            return replace(node, value=entries)
        if isinstance(node.value, list):
            items: list[Node] = []
            for item in node.value:
                resolved = self._references(item, depth)
                if item.tag == "!reference" and isinstance(resolved.value, list):
                    items += resolved.value
                else:
                    items.append(resolved)
            return replace(node, value=items)
        return node

    def _lookup(self, path: list[str]) -> Node | None:
        if not path or path[0] not in self.entries:
            return None
        node: Node | None = self._extended(self.entries[path[0]].node, 0)
        for key in path[1:]:
            node = node.get(key) if node is not None else None
        return node


_INPUT = re.compile(r"\$\[\[\s*inputs\.([\w-]+)\s*\]\]")


def _scalars(node: Node | None) -> dict[str, str] | None:
    """The one-line scalar entries of an ``inputs:`` mapping (lists and mappings are left out)."""
    if node is None:
        return None
    return {
        key: value.value
        for key, value in node.mapping().items()
        if isinstance(value.value, str) and "\n" not in value.value
    }


def _interpolated(text: str, spec: Node, given: dict[str, str]) -> Node | None:
    """The file's content with its scalar inputs filled in; None when nothing changes.

    Inputs that are lists or mappings, or that make the file invalid, stay as written.
    """
    declared = spec.get("inputs")
    values = {
        key: entry.text("default") or ""
        for key, entry in (declared.mapping() if declared is not None else {}).items()
        if entry.text("default") is not None
    }
    values.update(given)
    filled = _INPUT.sub(lambda m: values.get(m[1], m[0]), text)
    if filled == text:
        return None
    try:
        return parse_documents(filled)[-1]
    except YamlSyntaxError:
        return None


def _deep_merge(base: Node, over: Node) -> Node:
    """GitLab's merge for ``extends:``: mappings merge key by key, anything else is replaced."""
    if not isinstance(base.value, dict) or not isinstance(over.value, dict):
        return over
    entries = dict(base.value)
    for key, value in over.value.items():
        entries[key] = _deep_merge(entries[key], value) if key in entries else value
    return replace(over, value=entries)


def _script_lines(job: Node) -> list[Node]:
    lines: list[Node] = []
    for key in ("before_script", "script", "after_script"):
        node = job.get(key)
        for item in node.items() if node is not None else []:
            if isinstance(item.value, str):
                lines.append(item)
            elif isinstance(item.value, list):  # a nested list, as !reference leaves them
                lines += [n for n in item.value if isinstance(n.value, str)]
    return lines


def _uploads(job: Node, variables: dict[str, str]) -> list[Upload]:
    uploads: list[Upload] = []
    for line in _script_lines(job):
        uploads += script_uploads(
            line.value if isinstance(line.value, str) else "", line.line, variables
        )
    if (
        not uploads
        and _script_lines(job)
        and credential_names(env_of(job.get("variables")), "gitlab")
    ):
        uploads.append(Upload("a script with upload credentials", PYPI, False, job.line))
    return uploads


def _audiences(job: Node) -> set[str]:
    tokens = job.get("id_tokens")
    found: set[str] = set()
    for entry in tokens.mapping().values() if tokens is not None else []:
        aud = entry.get("aud")
        found |= {item.text() or "" for item in aud.items()} if aud is not None else set()
    return found


def _environment_name(node: Node | None) -> str | None:
    if node is None:
        return None
    return node.text() if isinstance(node.value, str) else node.text("name")


def audit_gitlab(
    root: Path, workspace: Workspace | None = None
) -> tuple[list[Finding], list[PublishingJob]]:
    """Audit the GitLab pipeline of the repository ``root`` is in, for jobs that publish.

    Each job found names the packages it publishes (``job_packages``), read against
    ``workspace`` (discovered from ``root`` when not given and some job publishes).
    """
    top = top_level(root)
    pipeline = Pipeline(top)
    findings = list(pipeline.findings)
    jobs: list[PublishingJob] = []
    starts: dict[str, tuple[int, Truth | str]] = {}  # job -> (its line, tag pipelines run it)
    for definition, job in pipeline.jobs():
        variables = {**pipeline.variables, **env_of(job.get("variables"))}
        uploads = [u for u in _uploads(job, variables) if not u.dry_run]
        if not uploads:
            continue
        shown, key, line = definition.file, definition.key, definition.node.where
        indexes = list(dict.fromkeys(u.index for u in uploads))
        trusted = [i for i in indexes if i in {"pypi", "testpypi"}]
        environment = job.get("environment")
        if environment is None:
            findings.append(finding("publish-without-environment", shown, line, f"job '{key}'"))
        audiences = _audiences(job)
        missing = [i for i in trusted if i not in audiences]
        if missing:
            findings.append(
                finding(
                    "gitlab-publish-without-id-token",
                    shown,
                    line,
                    f"job '{key}' (needs aud: {', '.join(missing)})",
                )
            )
        for name, value in variables.items():
            if is_secret_name(name) and (from_secrets(value, "gitlab") or value):
                if "CI_JOB_TOKEN" in value:
                    continue
                detail = f"job '{key}' sets {name}"
                if trusted:
                    findings.append(finding("long-lived-token", shown, line, detail))
                else:
                    findings.append(
                        finding(
                            "long-lived-token",
                            shown,
                            line,
                            detail,
                            severity="warning",
                            hint=_SCOPED_ADVICE,
                        )
                    )
                break
        seen: set[str] = set()
        for upload in uploads:
            if upload.index in seen:
                findings.append(
                    finding(
                        "multiple-publish-steps",
                        shown,
                        line,
                        f"job '{key}' uploads to {upload.index} twice (line {upload.line})",
                    )
                )
                break
            seen.add(upload.index)
        jobs += [
            PublishingJob(shown, key, _environment_name(environment), index, "gitlab", line=line)
            for index in indexes
        ]
        starts[key] = (line, tag_pipeline(job))
    if jobs:
        known = workspace if workspace is not None else workspace_of(root)
        jobs = gitlab_jobs(top, known, jobs, pipeline)
    publishers: list[GitLabPublisher] = []
    for published in jobs:
        line, on_tags = starts[published.job]
        publishers.append(
            GitLabPublisher(
                published.workflow, published.job, line, published.index, on_tags, published.folders
            )
        )
    return findings + gitlab_duplicates(publishers), jobs
