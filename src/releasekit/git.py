"""A small runner over the ``git`` executable: the user's own git, hooks, config and signing.

No GitPython: shelling out keeps releasekit's behaviour identical to what the user gets by typing
the same command, including pre-commit hooks and signing setup.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from releasekit.errors import GitError
from releasekit.redaction import redact_credentials

# How long a git child may take to clean up (remove its lock files) after Ctrl-C.
_INTERRUPT_GRACE_SECONDS = 10


@dataclass(frozen=True)
class Result:
    """What a git command returned."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def last_line(self) -> str:
        """The most telling line of output (git and hooks put the reason last), no credentials."""
        for stream in (self.stderr, self.stdout):
            lines = [line.strip() for line in stream.splitlines() if line.strip()]
            if lines:
                return redact_credentials(lines[-1])
        return f"exit status {self.returncode}"


class Git:
    """Runs git in one working tree."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def run(self, *args: str, check: bool = True) -> Result:
        """Run ``git ARGS``; raise ``GitError`` on failure when ``check``.

        On Ctrl-C the child got the same signal from the terminal; it is given time to remove its
        lock files before the interrupt propagates, so that a rollback finds a usable repository.
        """
        try:
            process = subprocess.Popen(
                ["git", *args],
                cwd=self.root,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                errors="replace",
            )
        except FileNotFoundError as exc:
            raise GitError("git is not installed", hint="install git and run again") from exc
        try:
            stdout, stderr = process.communicate()
        except KeyboardInterrupt:
            try:
                process.communicate(timeout=_INTERRUPT_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
            raise
        result = Result(process.returncode, stdout, stderr)
        if check and result.returncode != 0:
            raise GitError(f"git {args[0]} failed: {result.last_line}", where=str(self.root))
        return result

    def output(self, *args: str) -> str:
        """Run ``git ARGS`` and return its stripped standard output."""
        return self.run(*args).stdout.strip()

    def toplevel(self) -> Path | None:
        """The top of the working tree, or ``None`` outside a git repository."""
        result = self.run("rev-parse", "--show-toplevel", check=False)
        return Path(result.stdout.strip()) if result.returncode == 0 else None

    def head(self) -> str | None:
        """The commit HEAD points to, or ``None`` in a repository without commits."""
        result = self.run("rev-parse", "-q", "--verify", "HEAD^{commit}", check=False)
        return result.stdout.strip() if result.returncode == 0 else None

    def current_branch(self) -> str | None:
        """The checked-out branch, or ``None`` when HEAD is detached."""
        result = self.run("symbolic-ref", "--short", "-q", "HEAD", check=False)
        return result.stdout.strip() if result.returncode == 0 else None

    def changed_tracked_files(self) -> list[str]:
        """Tracked files with staged or unstaged changes (untracked files do not count)."""
        out = self.run("status", "--porcelain=v1", "-z", "--untracked-files=no").stdout
        # Each entry is "XY path": two status letters, a space, then the path.
        return [entry[3:] for entry in out.split("\0") if entry[3:]]

    def is_tracked(self, path: Path) -> bool:
        """Whether git tracks ``path``."""
        result = self.run("ls-files", "--error-unmatch", "--", str(path), check=False)
        return result.returncode == 0

    def upstream(self) -> tuple[str, str] | None:
        """The current branch's upstream as (remote, branch on the remote), if it has one."""
        branch = self.current_branch()
        if branch is None:
            return None
        remote = self.run("config", "--get", f"branch.{branch}.remote", check=False).stdout.strip()
        merge = self.run("config", "--get", f"branch.{branch}.merge", check=False).stdout.strip()
        if not remote or remote == "." or not merge.startswith("refs/heads/"):
            return None
        return remote, merge.removeprefix("refs/heads/")

    def remotes(self) -> list[str]:
        """The names of the configured remotes."""
        return self.output("remote").split()

    def remote_url(self, remote: str) -> str | None:
        """The fetch URL of ``remote``, if configured."""
        result = self.run("remote", "get-url", remote, check=False)
        return result.stdout.strip() if result.returncode == 0 else None

    def fetch(self, remote: str) -> None:
        """Update remote-tracking branches (not tags: those are asked for with ls-remote)."""
        self.run("fetch", "--quiet", "--no-tags", remote)

    def commits_behind(self, upstream_ref: str) -> int:
        """How many commits ``upstream_ref`` has that HEAD lacks."""
        return int(self.output("rev-list", "--count", f"HEAD..{upstream_ref}"))

    def ref(self, name: str) -> str | None:
        """The object a full ref name points to, or ``None``."""
        result = self.run("rev-parse", "-q", "--verify", name, check=False)
        return result.stdout.strip() if result.returncode == 0 else None

    def remote_has_tag(self, remote: str, tag: str) -> bool:
        """Whether ``remote`` has the tag (asked live: remote-tracking data may be stale)."""
        return bool(self.output("ls-remote", "--tags", remote, f"refs/tags/{tag}"))

    def tags(self, *, merged: str | None = None, contains: str | None = None) -> list[str]:
        """Every tag name, or those reachable from ``merged`` and/or containing ``contains``."""
        extra = ["--merged", merged] if merged is not None else []
        extra += ["--contains", f"refs/tags/{contains}"] if contains is not None else []
        return self.output("tag", "--list", *extra).splitlines()

    def tag_commits(self) -> dict[str, str]:
        """Each tag's commit (annotated tags peeled), in one call."""
        out = self.output(
            "for-each-ref", "--format=%(refname:strip=2) %(*objectname) %(objectname)", "refs/tags"
        )
        commits = {}
        for line in out.splitlines():
            name, _, objects = line.partition(" ")
            peeled, _, direct = objects.partition(" ")
            commits[name] = peeled or direct
        return commits

    def tags_at_head(self) -> list[str]:
        """The tags that point at HEAD."""
        return self.output("tag", "--points-at", "HEAD").splitlines()

    def git_path(self, name: str) -> Path:
        """Where a file inside the git directory lives (``index``, hooks, ...)."""
        return self.root / self.output("rev-parse", "--git-path", name)

    def commit_paths(self, paths: list[str], message: str) -> Result:
        """Commit exactly ``paths`` (other staged changes stay staged); hooks run as usual."""
        return self.run("commit", "--quiet", "-m", message, "--", *paths, check=False)

    def create_tag(self, tag: str, message: str, *, sign: bool) -> Result:
        """Create an annotated tag on HEAD, signed with ``sign``."""
        return self.run("tag", "-s" if sign else "-a", "-m", message, tag, check=False)

    def move_ref(self, name: str, new: str, expected_old: str, reason: str) -> None:
        """Point ``name`` at ``new`` only if it still points at ``expected_old``."""
        self.run("update-ref", "-m", reason, name, new, expected_old)

    def delete_ref(self, name: str, expected_old: str) -> None:
        """Delete ``name`` only if it still points at ``expected_old``."""
        self.run("update-ref", "-d", name, expected_old)

    def push_atomic(self, remote: str, refspecs: list[str]) -> Result:
        """Push all ``refspecs`` or none of them."""
        return self.run("push", "--atomic", "--quiet", remote, *refspecs, check=False)
