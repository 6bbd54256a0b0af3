"""``releasekit publish``: check, look up, upload and verify a release's files.

Nothing is sent until the whole batch passed: every file is checked as PyPI would check it,
and the index is asked (by hash) which files it already has, so that a name clash stops the
release before a partial upload. Wheels go first, in parallel; the sdist goes last, and only
when every wheel landed, so that a failure never leaves an sdist-only release that installers
would build from source. Afterwards each file is looked up again and must be served with the
sha256 that was sent. The result is a report per file that a re-run with ``--skip-existing``
can complete from.

An interrupt (Ctrl-C, or SIGTERM as the command line maps it) cuts the uploads in flight at once
(``index.deadline.abort_requests``) and raises ``PublishInterrupted``, which names the files
that landed, those that were in flight and may have landed, and those never sent.
"""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import urlsplit

from releasekit.attestations import (
    Attestation,
    AttestationError,
    attestation_path,
    load_attestation,
    make_attestations,
)
from releasekit.check import check_dists
from releasekit.dists import Dist, file_digests, name_and_version, open_dists
from releasekit.errors import ConfigError, PreflightError, ReleaseError
from releasekit.findings import Finding
from releasekit.index.deadline import Timeouts, abort_requests, guarded_pool, watching
from releasekit.index.form import upload_fields
from releasekit.index.simple import IndexFile, IndexLookupError, project_files
from releasekit.index.target import Target
from releasekit.index.upload import Login, Outcome, RetryPolicy, Uploader, UploadEvents
from releasekit.index_check import compare_file
from releasekit.records import field, frozen, mutable
from releasekit.redaction import SecretMasker, redact_credentials

FileStatus = Literal["uploaded", "skipped", "failed", "not-attempted", "would-upload", "unverified"]
_DONE = ("uploaded", "skipped", "would-upload")


@frozen
class PublishOptions:
    """What the command line asked for."""

    skip_existing: bool = False
    jobs: int = 4
    verify: bool = True
    verify_timeout: float = 60.0
    dry_run: bool = False
    attestations: bool = False
    timeouts: Timeouts = field(default_factory=Timeouts)  # every request to the index
    upload_attempts: int = 5  # tries per file, the first included


@mutable
class FileResult:
    """One file's way through the upload, as the report shows it."""

    dist: Dist
    size: int
    sha256: str
    blake2_256: str
    status: FileStatus = "not-attempted"
    url: str | None = None
    seconds: float = 0.0
    message: str | None = None
    attempts: int = 0
    attestation: Attestation | None = None  # sent in the ``attestations`` form field

    @property
    def path(self) -> Path:
        """Where the file is."""
        return self.dist.path

    @property
    def file(self) -> str:
        """The file name, as the index stores it."""
        return self.dist.filename

    def as_dict(self) -> dict[str, object]:
        """The JSON form of one file's result."""
        return {
            "file": self.file,
            "status": self.status,
            "sha256": self.sha256,
            "size": self.size,
            "url": self.url,
            "seconds": round(self.seconds, 3),
            "attempts": self.attempts,
            "message": self.message,
            "attestation": attestation_path(self.path).name if self.attestation else None,
        }


@mutable
class PublishReport:
    """Every file's result, and whether the run as a whole succeeded."""

    repository: str
    files: list[FileResult]
    warnings: list[Finding]
    dry_run: bool
    verified: bool
    simple_url: str | None = None  # the simple API asked (given, derived or found)

    @property
    def ok(self) -> bool:
        """Whether every file is uploaded or skipped (or would be, in a dry run)."""
        return all(result.status in _DONE for result in self.files)

    def count(self, status: FileStatus) -> int:
        """How many files ended with ``status``."""
        return sum(1 for result in self.files if result.status == status)


class PublishReporter(Protocol):
    """What the library tells the command line while it publishes (called from threads)."""

    def step(self, message: str) -> None:
        """A stage begins."""

    def warn(self, message: str) -> None:
        """Something the user should know, which does not stop the release."""

    def detail(self, message: str) -> None:
        """Request-level detail, for ``-v``."""

    def started(self, result: FileResult) -> None:
        """A file's upload begins."""

    def progress(self, result: FileResult, sent: int) -> None:
        """``sent`` bytes of the file have gone out."""

    def retrying(self, result: FileResult, attempt: int, delay: float, reason: str) -> None:
        """Attempt ``attempt`` failed for ``reason``; the next one starts in ``delay`` s."""

    def finished(self, result: FileResult) -> None:
        """A file's upload ended (see its status)."""


class BatchReporter(PublishReporter, Protocol):
    """A reporter that also shows the whole batch and the wait for the index (optional)."""

    def batch(self, files: int, size: int) -> None:
        """``files`` files of ``size`` bytes in all are about to be uploaded."""

    def waiting(self, pending: int, elapsed: float, timeout: float) -> None:
        """``pending`` uploaded files are not served yet, ``elapsed`` s into the wait."""

    def verified(self, result: FileResult) -> None:
        """The index serves ``result`` (see its status: a hash mismatch has failed it)."""


class PublishInterrupted(KeyboardInterrupt):
    """Ctrl-C (or what the caller maps to it) stopped the publish: what landed, what may have.

    ``landed``: uploaded (or confirmed by hash) before the interrupt; ``in_flight``: being sent
    when it came, so the index may or may not have them; ``not_sent``: never sent; ``skipped``:
    already on the index. ``sending`` is whether any upload had started; ``signum``, the
    signal the interrupt came from when it says (``interrupts.Interrupted``). It is still a
    ``KeyboardInterrupt``, so callers that clean up on one (``rehearse``) need not know it.
    """

    def __init__(
        self,
        *,
        landed: list[str],
        in_flight: list[str],
        not_sent: list[str],
        skipped: list[str],
        sending: bool,
        signum: int | None = None,
    ) -> None:
        if not sending:
            message = "interrupted before any upload; nothing was sent"
        else:
            message = (
                f"interrupted; {len(landed)} file(s) landed, {len(in_flight)} may have landed "
                f"(in flight), {len(not_sent)} not sent"
            )
        super().__init__(message)
        self.message = message
        self.landed = landed
        self.in_flight = in_flight
        self.not_sent = not_sent
        self.skipped = skipped
        self.sending = sending
        self.signum = signum


class CheckFailed(ReleaseError):
    """A distribution would be rejected by the index; nothing was uploaded (exit 1)."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        errors = sum(1 for f in findings if f.severity == "error")
        super().__init__(
            f"the check found {errors} error(s); nothing was uploaded",
            hint="fix them and rebuild; releasekit check shows them again",
        )
        self.findings = list(findings)


def _open_batch(paths: Sequence[Path]) -> tuple[list[FileResult], list[Finding]]:
    """Open and check every file; errors stop here, before anything is sent."""
    dists = open_dists(paths)
    findings = check_dists(dists)
    if any(f.severity == "error" for f in findings):
        raise CheckFailed(findings)
    results = []
    for dist in sorted(dists, key=lambda d: (d.kind != "wheel", d.filename)):
        sha256, blake2 = file_digests(dist.path)
        results.append(FileResult(dist, dist.path.stat().st_size, sha256, blake2))
    return results, findings


class _Index:
    """Lookups on the target's simple API, with the upload's credentials on the same origin."""

    def __init__(self, target: Target, project: str, timeouts: Timeouts) -> None:
        self.url = target.simple_url
        self.project = project
        self.tried = ""  # the candidates probed when the address had to be found, and answers
        self._target = target
        self.timeouts = timeouts
        self._pool = guarded_pool(ca_certs=target.ca_cert, cert_file=target.client_cert)
        self._headers: dict[str, str] = {}
        self._use(self.url)

    def _use(self, url: str | None) -> None:
        """Ask ``url``; the upload's credentials go along only on the upload's own origin."""
        self.url = url
        self._headers = {}
        credentials = self._target.credentials
        same_origin = url is not None and _origin(url) == _origin(self._target.upload_url)
        if same_origin and credentials is not None:
            self._headers["Authorization"] = credentials.authorization()

    def discover(self, reporter: PublishReporter) -> None:
        """Find the simple API from the upload URL when no address is known (docs/publish.md)."""
        if self.url is not None:
            return
        # Imported only here: most runs know the address (given, or derived for PyPI).
        from releasekit.index.discovery import discover  # noqa: PLC0415

        credentials = self._target.credentials
        headers = {"Authorization": credentials.authorization()} if credentials else {}
        found = discover(
            self._target.upload_url,
            self.project,
            headers=headers,
            pool=self._pool,
            timeouts=self.timeouts,
        )
        self.tried = found.tried_text()
        if found.url is None:
            reporter.detail(f"no simple API answered; tried {self.tried}")
            return
        self._use(found.url)
        reporter.detail(
            f"simple API {redact_credentials(found.url)}, found from the upload URL "
            f"({found.convention})"
        )

    def files(self) -> list[IndexFile]:
        """What the index serves for the project now (``IndexLookupError`` when unknown)."""
        if self.url is None:
            raise IndexLookupError("no simple API address is known for this repository")
        return project_files(
            self.url,
            self.project,
            headers=self._headers,
            pool=self._pool,
            timeouts=self.timeouts,
        )

    def sha256_of(self, filename: str) -> str | None:
        """The served sha256 of ``filename`` ("" without a hash), or ``None`` if absent."""
        served = next((f for f in self.files() if f.filename == filename), None)
        return None if served is None else (served.sha256 or "")


def _origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port: where credentials may go without leaving the index."""
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


def _preflight_lookup(
    results: list[FileResult],
    index: _Index,
    options: PublishOptions,
    reporter: PublishReporter,
    warnings: list[Finding],
) -> None:
    """Ask the index what it has: skip identical files, stop on clashes, fail closed."""
    if index.url is None:
        tried = f" (tried {index.tried})" if index.tried else ""
        if options.skip_existing:
            raise ConfigError(
                f"--skip-existing needs to ask the index, but no simple API answered{tried}",
                where=index.project,
                hint="pass --index-url URL (or set index-url in [tool.releasekit], "
                "or RELEASEKIT_INDEX_URL)",
            )
        reporter.warn(
            f"no simple API answered{tried}, so files are neither looked up before nor "
            "verified after the upload (duplicate detection is off); "
            "pass --index-url URL (or set index-url)"
        )
        return
    reporter.step(f"Looking up {index.project} on {index.url}")
    try:
        served = index.files()
    except IndexLookupError as exc:
        if options.skip_existing:
            raise IndexLookupError(
                f"--skip-existing cannot tell which files exist: {exc.message}",
                where=exc.where,
                hint="nothing was uploaded; fix the access or the address and run again",
            ) from exc
        reporter.warn(
            f"could not look the files up ({exc.one_line()}); duplicate detection is off: "
            "files already on the index are not skipped, so uploading them may fail; "
            "pass --skip-existing to stop instead"
        )
        return
    problems: list[ReleaseError] = []
    now = datetime.datetime.now(datetime.UTC)
    for result in results:
        finding = compare_file(result.file, result.sha256, served, now)
        match = next((f for f in served if f.filename == result.file), None)
        if finding is None:
            continue
        if finding.code == "already-published" and options.skip_existing:
            result.status = "skipped"
            result.url = match.url if match else None
            result.message = "the identical file is already on the index"
        elif finding.code == "already-published":
            problems.append(
                ReleaseError(
                    "the identical file is already on the index",
                    where=result.file,
                    hint="pass --skip-existing to skip it",
                )
            )
        elif finding.code == "published-unverified":
            problems.append(
                ReleaseError(
                    finding.message,
                    where=result.file,
                    hint="whether it is identical is unknown, and a file name is never accepted "
                    "twice; check the index by hand",
                )
            )
        elif finding.code == "release-too-old":
            warnings.append(finding)
        else:
            problems.append(ReleaseError(finding.message, where=result.file, hint=finding.hint))
    if problems:
        raise PreflightError(problems)


def _attestations_allowed(target: Target) -> None:
    """PyPI takes attestations only with a trusted-publishing token: say so before any upload."""
    credentials = target.credentials
    if target.is_pypi and (credentials is None or credentials.source != "trusted publishing"):
        raise ConfigError(
            "PyPI accepts attestations only from trusted publishing, not with an API token",
            where="--attestations",
            hint="publish from CI with trusted publishing, or leave --attestations out",
        )


def _attach_attestations(results: Sequence[FileResult]) -> None:
    """Load and check the attestation lying next to each file; every bad one is reported."""
    problems: list[ReleaseError] = []
    for result in results:
        path = attestation_path(result.path)
        if not path.exists():
            continue
        try:
            result.attestation = load_attestation(path, result.file, result.sha256)
        except AttestationError as error:
            problems.append(error)
    if problems:
        raise PreflightError(problems)


def _upload_all(
    todo: list[FileResult],
    uploader: Uploader,
    jobs: int,
    reporter: PublishReporter,
    in_flight: set[str],
) -> None:
    """Wheels in parallel, then the sdist once every wheel landed; stop after a failure.

    On an interrupt, ``in_flight`` is left holding the files that were being sent; the
    requests in flight are cut, the workers end, and the interrupt goes on up.
    """
    failed = threading.Event()
    sending: set[str] = set()
    lock = threading.Lock()

    def run(result: FileResult) -> None:
        if failed.is_set():
            result.message = "not sent: another file failed first"
            return
        with lock:
            sending.add(result.file)
        reporter.started(result)
        started = time.monotonic()
        events = UploadEvents(
            progress=lambda sent: reporter.progress(result, sent),
            retrying=lambda attempt, delay, reason: reporter.retrying(
                result, attempt, delay, reason
            ),
            detail=reporter.detail,
        )
        fields = upload_fields(
            result.dist.metadata or b"",
            result.file,
            sha256=result.sha256,
            blake2_256=result.blake2_256,
            attestations=[result.attestation] if result.attestation else [],
        )
        outcome: Outcome = uploader.upload(result.path, fields, events)
        result.status, result.message, result.attempts = (
            outcome.status,
            outcome.message,
            outcome.attempts,
        )
        result.seconds = time.monotonic() - started
        if outcome.status == "failed":
            failed.set()
        with lock:
            sending.discard(result.file)
        reporter.finished(result)

    wheels = [r for r in todo if r.dist.kind == "wheel"]
    sdists = [r for r in todo if r.dist.kind != "wheel"]
    # Not a ``with`` block: leaving one joins the workers, which would wait for a stalled upload.
    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        list(pool.map(run, wheels))
        pool.shutdown()
        for sdist in sdists:
            if failed.is_set():
                sdist.message = "held back: the sdist goes only after every wheel landed"
            else:
                run(sdist)
    except BaseException:
        with lock:
            in_flight.update(sending)
        failed.set()  # queued files return at once
        uploader.stop()
        abort_requests()  # files in flight stop now: their connections are cut
        pool.shutdown(wait=True, cancel_futures=True)
        raise


def _verify(
    results: list[FileResult],
    index: _Index,
    timeout: float,
    sleep: Callable[[float], None],
    reporter: PublishReporter,
) -> None:
    """Each uploaded file must be served with the sha256 that was sent, within ``timeout``."""
    pending = {r.file: r for r in results if r.status == "uploaded"}
    started = time.monotonic()
    deadline = started + timeout
    delay = 0.5
    last_error = ""
    # Reporters written before the wait was shown lack these; they simply see no progress.
    waiting = getattr(reporter, "waiting", lambda pending, elapsed, timeout: None)
    verified = getattr(reporter, "verified", lambda result: None)
    while pending:
        waiting(len(pending), time.monotonic() - started, timeout)
        try:
            served = {f.filename: f for f in index.files()}
        except IndexLookupError as exc:
            last_error = f" (last lookup: {exc.one_line()})"
            served = {}
        for name, result in list(pending.items()):
            found = served.get(name)
            if found is None:
                continue
            del pending[name]
            result.url = found.url
            if found.sha256 is None:
                result.message = "on the index, which gives no hash to compare"
            elif found.sha256.lower() != result.sha256:
                result.status = "failed"
                result.message = (
                    f"the index serves another file of this name "
                    f"(sha256 {found.sha256[:12]}..., sent {result.sha256[:12]}...)"
                )
            verified(result)
        if not pending or time.monotonic() + delay > deadline:
            break
        sleep(delay)
        delay = min(delay * 2, 8.0)
    for result in pending.values():
        result.status = "unverified"
        result.message = (
            f"uploaded, but the index did not serve it within {timeout:g} s{last_error}; "
            "run again with --skip-existing to confirm it"
        )


def publish(
    paths: Sequence[Path],
    target: Target,
    options: PublishOptions,
    reporter: PublishReporter,
    *,
    masker: SecretMasker,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    identity: Callable[[str], str | None] = lambda audience: None,
    login: Login | None = None,
) -> PublishReport:
    """Check, look up, upload (unless a dry run) and verify ``paths`` on ``target``.

    With ``options.attestations``, each file's ``.publish.attestation`` is checked and sent;
    missing ones are made with ``identity`` (the CI's ambient token for an audience).
    ``login`` renews a trusted-publishing token during the upload (see ``index.oidc``).
    ``policy`` replaces the retry policy made from ``options.upload_attempts``. A
    ``KeyboardInterrupt`` becomes ``PublishInterrupted``.
    """
    results: list[FileResult] = []
    in_flight: set[str] = set()
    progress = {"sending": False}
    try:
        with watching():  # one watchdog thread for every request of the run
            return _publish(
                paths,
                target,
                options,
                reporter,
                masker=masker,
                policy=policy or RetryPolicy(attempts=options.upload_attempts),
                sleep=sleep,
                identity=identity,
                login=login,
                results=results,
                in_flight=in_flight,
                progress=progress,
            )
    except KeyboardInterrupt as interrupt:
        landed = [r.file for r in results if r.status == "uploaded"]
        maybe = sorted(in_flight - set(landed))
        raise PublishInterrupted(
            landed=landed,
            in_flight=maybe,
            not_sent=[
                r.file
                for r in results
                if r.status not in {"uploaded", "skipped"} and r.file not in maybe
            ],
            skipped=[r.file for r in results if r.status == "skipped"],
            sending=progress["sending"],
            signum=getattr(interrupt, "signum", None),
        ) from interrupt


def _publish(
    paths: Sequence[Path],
    target: Target,
    options: PublishOptions,
    reporter: PublishReporter,
    *,
    masker: SecretMasker,
    policy: RetryPolicy,
    sleep: Callable[[float], None],
    identity: Callable[[str], str | None],
    login: Login | None,
    results: list[FileResult],
    in_flight: set[str],
    progress: dict[str, bool],
) -> PublishReport:
    """The body of ``publish``; ``results``, ``in_flight`` and ``progress`` say where it was."""
    if target.credentials is None and target.is_pypi:
        raise ConfigError(
            "no credentials for the upload",
            where=masker(target.upload_url),
            hint="publish from CI with trusted publishing, or set RELEASEKIT_TOKEN to an API "
            "token (or add it to ~/.pypirc)",
        )
    reporter.step(f"Checking {len(paths)} file(s)")
    opened, findings = _open_batch(paths)
    results.extend(opened)
    warnings = [f for f in findings if f.severity == "warning"]
    if options.attestations:
        _attestations_allowed(target)
        _attach_attestations(results)
    parsed = name_and_version(results[0].file)
    index = _Index(target, parsed[0] if parsed else results[0].file, options.timeouts)
    index.discover(reporter)
    _preflight_lookup(results, index, options, reporter, warnings)
    todo = [r for r in results if r.status != "skipped"]
    report = PublishReport(masker(target.upload_url), results, warnings, options.dry_run, False)
    report.simple_url = index.url
    unattested = [r for r in todo if options.attestations and r.attestation is None]
    if options.dry_run:
        for result in todo:
            result.status = "would-upload"
        if unattested:
            reporter.warn(
                f"{len(unattested)} file(s) have no attestation yet; a real run makes them "
                "(in CI, with the attest extra)"
            )
        return report
    if unattested:
        reporter.step(f"Making attestations for {len(unattested)} file(s) with Sigstore")
        make_attestations([r.path for r in unattested], identity)
        _attach_attestations(unattested)
    uploader = Uploader(
        target,
        jobs=options.jobs,
        masker=masker,
        policy=policy,
        lookup=index.sha256_of if index.url is not None else None,
        sleep=None if sleep is time.sleep else sleep,  # the default pause ends on an interrupt
        login=login,
        timeouts=options.timeouts,
    )
    if todo:
        reporter.step(f"Uploading {len(todo)} file(s) to {report.repository}")
        # Reporters written before the batch was shown lack this; they show files only.
        getattr(reporter, "batch", lambda files, size: None)(len(todo), sum(r.size for r in todo))
        progress["sending"] = True
        _upload_all(todo, uploader, options.jobs, reporter, in_flight)
    if options.verify and index.url is not None and any(r.status == "uploaded" for r in todo):
        reporter.step("Verifying the files on the index")
        _verify(todo, index, options.verify_timeout, sleep, reporter)
        report.verified = all(r.status in _DONE for r in results)
    return report
