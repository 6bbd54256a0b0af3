"""The command line: parse arguments, call the library, render results and errors, exit.

This package is the only code that prints, prompts, reads ``sys.argv`` or exits. This module
holds the group, its global options, error rendering and ``main``; each command lives in its own
module (``releasekit.cli.prepare`` and so on) with its options and its rendering, and is imported
only when it runs, as are the library modules it calls, so ``--version`` and ``--help`` stay fast.
Exit codes: 0 success, 1 the operation failed, 2 usage/configuration/input error, 130 interrupted.

To add a command, write ``releasekit/cli/<name>.py`` defining a click command called ``<name>``
and add one row to ``COMMANDS``.
"""

from __future__ import annotations

import os
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Final, NoReturn

import click

from releasekit import __version__
from releasekit.cli.lazy import LazyCommand, LazyGroup
from releasekit.console import Console, MaskedStream, wants_color
from releasekit.errors import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    PreflightError,
    ReleaseError,
    UsageError,
)
from releasekit.redaction import SecretMasker

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
)


@dataclass(frozen=True)
class Context:
    """What every command gets from the global options."""

    root: Path
    console: Console
    verbose: int
    masker: SecretMasker


@click.group(
    cls=LazyGroup,
    lazy_commands=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(
    __version__, "--version", prog_name="releasekit", message="%(prog)s %(version)s"
)
@click.option(
    "-C",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(),
    help="Run as if started in DIR.",
)
@click.option("-v", "--verbose", count=True, help="More detail; -v shows tracebacks on errors.")
@click.option("-q", "--quiet", is_flag=True, help="Only results and errors.")
@click.option("--no-color", is_flag=True, help="No colour, whatever the terminal.")
@click.pass_context
def cli(ctx: click.Context, directory: Path, verbose: int, quiet: bool, no_color: bool) -> None:
    """Cut, check, publish and rehearse Python package releases safely."""
    if not directory.is_dir():
        raise UsageError("no such directory", where=str(directory), hint="check the -C argument")
    masker = ctx.obj if isinstance(ctx.obj, SecretMasker) else SecretMasker()
    console = Console(
        out=MaskedStream(sys.stdout, masker),
        err=MaskedStream(sys.stderr, masker),
        color=wants_color(sys.stdout, os.environ, disabled=no_color),
        quiet=quiet,
        verbose=verbose,
    )
    ctx.obj = Context(root=directory.resolve(), console=console, verbose=verbose, masker=masker)


def _render_error(console: Console, error: ReleaseError) -> None:
    """One line per error; a preflight failure lists each failed check on its own line.

    An error carrying another program's output (a build backend's) shows it first.
    """
    if error.details:
        console.err.write(error.details if error.details.endswith("\n") else error.details + "\n")
    if isinstance(error, PreflightError) and len(error.problems) == 1:
        console.error(error.problems[0].one_line())
        return
    console.error(error.one_line())
    if isinstance(error, PreflightError):
        for problem in error.problems:
            console.err.write(f"  - {problem.one_line()}\n")


def _interrupted(args: list[str]) -> str:
    """What an interrupt left behind, for the command that was running."""
    words = iter(args)
    command = ""
    for word in words:
        if word == "-C":
            next(words, None)
        elif not word.startswith("-"):
            command = word
            break
    if command == "publish":
        return (
            "interrupted; files already uploaded stay on the index: "
            "complete the release with releasekit publish --skip-existing"
        )
    return "interrupted; any change already made was rolled back"


def main(argv: list[str] | None = None) -> NoReturn:
    """Run the command line and exit with its documented code."""
    args = sys.argv[1:] if argv is None else argv
    verbose = any(a == "--verbose" or (a.startswith("-v") and set(a[1:]) == {"v"}) for a in args)
    no_color = "--no-color" in args
    masker = SecretMasker()
    console = Console(
        out=MaskedStream(sys.stdout, masker),
        err=MaskedStream(sys.stderr, masker),
        color=wants_color(sys.stderr, os.environ, disabled=no_color),
    )
    try:
        code = cli.main(args=args, prog_name="releasekit", standalone_mode=False, obj=masker)
    except ReleaseError as error:
        if verbose:
            console.err.write(traceback.format_exc())
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
        console.error(f"{error.format_message().rstrip('.')}; see 'releasekit{command} --help'")
        sys.exit(EXIT_USAGE)
    except (KeyboardInterrupt, click.exceptions.Abort):
        console.error(_interrupted(args))
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(code if isinstance(code, int) else EXIT_OK)
