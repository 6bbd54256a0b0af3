"""The command line: parse arguments, call the library, render results and errors, exit.

This package is the only code that prints, prompts, reads ``sys.argv`` or exits. This module
holds the group, its global options, error rendering and ``main``; each command lives in its own
module (``releasekit.cli.prepare`` and so on) with its options and its rendering, and is imported
only when it runs, as are the library modules it calls, so ``--version`` and ``--help`` stay fast.
Exit codes: 0 success, 1 the operation failed, 2 usage/configuration/input error, 128 + the
signal when interrupted (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP).

To add a command, write ``releasekit/cli/<name>.py`` defining a click command called ``<name>``
and add one row to ``COMMANDS``.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NoReturn, TypeVar

import click

from releasekit import __version__
from releasekit.cli.lazy import LazyCommand, LazyGroup
from releasekit.console import Console, MaskedStream, wants_color, without_escapes
from releasekit.errors import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_SIGNALLED,
    EXIT_USAGE,
    PreflightError,
    ReleaseError,
    UsageError,
)
from releasekit.interrupts import terminations_as_interrupts
from releasekit.records import frozen, mutable
from releasekit.redaction import SecretMasker

if TYPE_CHECKING:
    from releasekit.cli.json_report import StdoutWatch

# Each command's name, module and one-line summary (the first line of its docstring). Only the
# summary is needed for `releasekit --help`; the module is imported when the command is used.
COMMANDS: Final = (
    LazyCommand(
        "init",
        "releasekit.cli.init",
        "Write a least-privilege publish workflow, a publishing guide and a release script.",
    ),
    LazyCommand(
        "doctor",
        "releasekit.cli.doctor",
        "Audit the release setup: metadata, versions, changelog, git and publishing workflows.",
    ),
    LazyCommand(
        "config",
        "releasekit.cli.config",
        "Show the effective settings, where each came from, and the version sources.",
    ),
    LazyCommand(
        "prepare",
        "releasekit.cli.prepare",
        "Bump the version everywhere, roll the changelog, commit and tag, atomically.",
    ),
    LazyCommand(
        "notes",
        "releasekit.cli.notes",
        "Print a version's changelog section as written (default: the newest release).",
    ),
    LazyCommand(
        "build",
        "releasekit.cli.build",
        "Build the sdist and the wheel (from the sdist) in isolated environments, "
        "then verify them.",
    ),
    LazyCommand(
        "check",
        "releasekit.cli.check",
        "Check distributions for everything PyPI would reject, all at once (default: dist/*).",
    ),
    LazyCommand(
        "publish",
        "releasekit.cli.publish",
        "Upload distributions (default: dist/*): checked first, wheels in parallel, sdist last.",
    ),
    LazyCommand(
        "rehearse",
        "releasekit.cli.rehearse",
        "Rehearse the whole release in a throwaway copy against a local index.",
    ),
    LazyCommand(
        "completion",
        "releasekit.cli.completion",
        "Print the shell completion script for bash, zsh or fish.",
    ),
)


# Where the documentation lives, named at the end of `releasekit --help`.
DOCS_URL: Final = "https://pypi.org/project/releasekit/"


@frozen
class Context:
    """What every command gets from the global options.

    ``root`` is the project: the nearest folder with a pyproject.toml (or setup.py/setup.cfg)
    going up from ``cwd``, not above the git work tree's top; when there is none, ``cwd`` itself,
    so that commands needing a project say "no pyproject.toml found" for it. ``cwd`` is where
    releasekit was started (``-C DIR``): paths the user typed are relative to it.
    """

    root: Path
    console: Console
    verbose: int
    masker: SecretMasker
    cwd: Path = Path()

    def user_path(self, path: Path) -> Path:
        """A path the user typed, relative to where they started releasekit."""
        return path if path.is_absolute() else self.cwd / path

    def keep(self, made: object) -> None:
        """Free ``made`` with the process, not when the command returns (``_KEPT``)."""
        _KEPT.append(made)


# What the command being run keeps until the process ends (``Context.keep``). ``prepare`` and
# ``notes`` leave without the interpreter's teardown (``entry``): what they built from a history
# (tens of thousands of commits) is then given back with the process's memory at once, instead
# of object by object as the command returns, which took longer than writing the plan out.
# Emptied as each command line starts, so that a process running several keeps only the last.
_KEPT: list[object] = []


@mutable
class GlobalOptions:
    """The global options as given so far, before and after the command name.

    Each occurrence adds to this one record, kept in the click context's ``meta`` (which the
    group's and the command's contexts share): ``-v`` counts add up, flags stay on once given,
    and a later ``-C`` is relative to an earlier one, as in git.
    """

    directory: Path | None = None
    verbose: int = 0
    quiet: bool = False
    no_color: bool = False


_GLOBAL_OPTIONS_KEY: Final = "releasekit.global_options"


def _remember_global_option(ctx: click.Context, param: click.Parameter, value: object) -> None:
    """Add one global option's value to the record in ``ctx.meta``."""
    options: GlobalOptions = ctx.meta.setdefault(_GLOBAL_OPTIONS_KEY, GlobalOptions())
    if param.name == "directory" and isinstance(value, Path):
        if not ctx.resilient_parsing and not value.is_dir():
            raise UsageError("no such directory", where=str(value), hint="check the -C argument")
        options.directory = value if options.directory is None else options.directory / value
    elif param.name == "verbose" and isinstance(value, int):
        options.verbose += value
    elif param.name == "quiet":
        options.quiet = options.quiet or bool(value)
    elif param.name == "no_color":
        options.no_color = options.no_color or bool(value)


_Decorated = TypeVar("_Decorated", bound=Callable[..., Any] | click.Command)


def global_options(command: _Decorated) -> _Decorated:
    """Add ``-C``, ``-v``, ``-q`` and ``--no-color`` to the group or to a command.

    The values are not passed to the function: they go to the shared ``GlobalOptions`` record,
    from which ``make_context`` builds the ``Context`` once the whole command line is parsed.
    """
    options = (
        click.option(
            "-C",
            "directory",
            metavar="DIR",
            type=click.Path(file_okay=False, path_type=Path),
            expose_value=False,
            callback=_remember_global_option,
            help="Start in DIR: look for the project there and read paths relative to it.",
        ),
        click.option(
            "-v",
            "--verbose",
            count=True,
            expose_value=False,
            callback=_remember_global_option,
            help="Say what was read, decided and skipped; tracebacks on errors.",
        ),
        click.option(
            "-q",
            "--quiet",
            is_flag=True,
            expose_value=False,
            callback=_remember_global_option,
            help="Only results and errors.",
        ),
        click.option(
            "--no-color",
            is_flag=True,
            expose_value=False,
            callback=_remember_global_option,
            help="No colour, whatever the terminal [env: NO_COLOR].",
        ),
    )
    # A function collects its decorators bottom up; a command takes them in order.
    for option in options if isinstance(command, click.Command) else reversed(options):
        command = option(command)
    return command


def make_context(ctx: click.Context) -> Context:
    """The ``Context`` from the global options given anywhere on the command line."""
    from releasekit.project_root import find_project

    options: GlobalOptions = ctx.meta.get(_GLOBAL_OPTIONS_KEY, GlobalOptions())
    masker = ctx.find_root().obj
    masker = masker if isinstance(masker, SecretMasker) else SecretMasker()
    console = Console(
        out=MaskedStream(sys.stdout, masker),
        err=MaskedStream(sys.stderr, masker),
        color=wants_color(sys.stdout, os.environ, disabled=options.no_color),
        quiet=options.quiet,
        verbose=options.verbose,
    )
    cwd = (options.directory or Path()).resolve()
    found = find_project(cwd)
    if found is None:
        console.detail(f"project: none found in {cwd} or above it")
    else:
        place = "" if found.root == cwd else f" (found from {cwd})"
        console.detail(f"project: {found.root / found.marker}{place}")
    root = cwd if found is None else found.root
    return Context(root=root, console=console, verbose=options.verbose, masker=masker, cwd=cwd)


class _Group(LazyGroup):
    """The releasekit group: every command takes the global options, and gets a ``Context``."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The named command, with the global options added (once) and its ``Context`` bound."""
        command = super().get_command(ctx, cmd_name)
        if command is None or command.callback is None or command in _BOUND:
            return command
        global_options(command)
        callback = command.callback

        @functools.wraps(callback)
        def with_context(*args: Any, **kwargs: Any) -> Any:
            # Runs once the command's own options are parsed, so -v after the name counts.
            current = click.get_current_context()
            current.obj = make_context(current)
            return callback(*args, **kwargs)

        command.callback = with_context
        _BOUND.add(command)
        return command


# Commands already given the global options: a command is loaded once but looked up often.
_BOUND: Final[set[click.Command]] = set()


@click.group(
    cls=_Group,
    lazy_commands=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=(
        "Global options go before or after the command: releasekit check -v, "
        f"releasekit -v check.\n\nDocumentation: {DOCS_URL}"
    ),
)
@click.version_option(
    __version__, "-V", "--version", prog_name="releasekit", message="%(prog)s %(version)s"
)
@global_options
def cli() -> None:
    """Cut, check, publish and rehearse Python package releases safely."""


def _render_error(console: Console, error: ReleaseError) -> None:
    """One line per error; a preflight failure lists each failed check on its own line.

    An error carrying another program's output (a build backend's) shows it first.
    """
    if error.details:
        details = without_escapes(error.details)  # a build backend's or a hook's output
        console.err.write(details if details.endswith("\n") else details + "\n")
    if isinstance(error, PreflightError) and len(error.problems) == 1:
        console.error(error.problems[0].one_line())
        return
    console.error(error.one_line())
    if isinstance(error, PreflightError):
        for problem in error.problems:
            console.err.write(without_escapes(f"  - {problem.one_line()}\n"))


# Commands that only read and report: an interrupt has nothing of theirs to roll back.
_READ_ONLY = frozenset({"check", "completion", "config", "doctor", "notes"})


def _interrupted(args: list[str]) -> str:
    """What an interrupt left behind, for the command that was running."""
    from releasekit.entry import split_command  # only when interrupted

    command = split_command(args)[0]
    if command == "publish":
        return (
            "interrupted; files already uploaded stay on the index: "
            "complete the release with releasekit publish --skip-existing"
        )
    if command == "prepare":
        return "interrupted before any change; nothing was changed"
    if command in _READ_ONLY:
        return "interrupted; nothing was changed"
    return "interrupted; any change already made was rolled back"


def _let_go(stop: BaseException, console: Console, *, verbose: bool) -> None:
    """Free what the interrupted code held now, so that nothing is printed after the error line.

    A signal can land inside a constructor: ZipFile's, between opening its file and setting the
    flag its finalizer reads. The half-built object lives on in the interrupt's traceback, and
    when Python frees it, at exit, its finalizer fails and Python prints that failure's traceback
    after releasekit's last line. Clearing the traceback's frames frees it here instead, with such
    failures noted in one line under -v and otherwise dropped: they are the interrupt's debris,
    not the command's outcome.
    """

    def note(unraisable: sys.UnraisableHookArgs) -> None:
        if verbose:
            kind, error = unraisable.exc_type.__name__, unraisable.exc_value
            console.err.write(without_escapes(f"note: ignored while stopping: {kind}: {error}\n"))

    sys.unraisablehook = note
    seen: set[int] = set()  # ids: the chain holds every exception until the walk ends
    chain: list[BaseException | None] = [stop]
    while chain:  # the interrupt may have been caught and raised again, wrapped
        part = chain.pop()
        if part is None or id(part) in seen:
            continue
        seen.add(id(part))
        chain += [part.__cause__, part.__context__]
        trace = part.__traceback__
        while trace is not None:
            with contextlib.suppress(RuntimeError):  # a frame still running keeps its locals
                trace.tb_frame.clear()
                # A tracer (a debugger, coverage) may have copied the locals: reading them
                # again after the clear empties that copy too.
                trace.tb_frame.f_locals  # noqa: B018
            trace = trace.tb_next


class Interrupted(ReleaseError):
    """A signal stopped the command (exit 128 + the signal); only reported, never raised."""

    exit_code = EXIT_INTERRUPTED


def _json_requested(args: list[str]) -> tuple[str | None, StdoutWatch | None]:
    """The command whose --json was asked for, and the watch now on standard output.

    The JSON module is imported only then, so that --help and --version stay fast.
    """
    if "--json" not in args:
        return None, None
    from releasekit.cli.json_report import StdoutWatch, requested_command

    command = requested_command(args)
    if command is None:
        return None, None
    watch = StdoutWatch(sys.stdout)
    sys.stdout = watch
    return command, watch


def main(argv: list[str] | None = None) -> NoReturn:
    """Run the command line and exit with its documented code.

    With ``--json``, a command that stops before printing its report still answers on standard
    output, in the shape of docs/json.md, besides the error line on standard error.
    """
    args = sys.argv[1:] if argv is None else argv
    _KEPT.clear()
    verbose = any(a == "--verbose" or (a.startswith("-v") and set(a[1:]) == {"v"}) for a in args)
    no_color = "--no-color" in args
    json_command, watch = _json_requested(args)
    masker = SecretMasker()
    console = Console(
        out=MaskedStream(sys.stdout, masker),
        err=MaskedStream(sys.stderr, masker),
        color=wants_color(sys.stderr, os.environ, disabled=no_color),
    )

    def answer_in_json(error: ReleaseError) -> None:
        """The failure report, unless the command printed its own."""
        if json_command is not None and watch is not None and not watch.wrote:
            from releasekit.cli.json_report import failure_report, print_json

            print_json(console, failure_report(json_command, error))

    try:
        with terminations_as_interrupts():
            code = cli.main(args=args, prog_name="releasekit", standalone_mode=False, obj=masker)
    except ReleaseError as error:
        if verbose:
            import traceback  # only for -v: it loads the tokenizer, costly for every run

            console.err.write(without_escapes(traceback.format_exc()))
        if error.exit_code > EXIT_SIGNALLED:  # a signal stopped prepare or publish, which said so
            _let_go(error, console, verbose=verbose)
        answer_in_json(error)
        _render_error(console, error)
        sys.exit(error.exit_code)
    except click.exceptions.NoArgsIsHelpError as error:  # `releasekit` alone: show help, exit 2
        console.err.write(error.ctx.get_help() + "\n" if error.ctx else "")
        sys.exit(EXIT_USAGE)
    except click.UsageError as error:
        command = (
            f" {error.ctx.command_path.split(' ', 1)[1]}"
            if error.ctx and " " in error.ctx.command_path
            else ""
        )
        message, hint = error.format_message().rstrip("."), f"see 'releasekit{command} --help'"
        answer_in_json(UsageError(message, hint=hint))
        console.error(f"{message}; {hint}")
        sys.exit(EXIT_USAGE)
    except (KeyboardInterrupt, click.exceptions.Abort) as stop:
        _let_go(stop, console, verbose=verbose)
        said = _interrupted(args)
        answer_in_json(Interrupted(said))
        console.error(said)
        # interrupts.Interrupted knows SIGTERM and SIGHUP; click wraps it in an Abort.
        signum = getattr(stop.__cause__ or stop, "signum", None)
        sys.exit(EXIT_SIGNALLED + signum if isinstance(signum, int) else EXIT_INTERRUPTED)
    sys.exit(code if isinstance(code, int) else EXIT_OK)
