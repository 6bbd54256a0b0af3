"""A click group that imports a command's module only when that command is used.

This is click's documented lazy-loading pattern (a ``click.Group`` that overrides
``list_commands`` and ``get_command``), plus one thing click leaves out: each command's one-line
summary is kept in the table, so ``releasekit --help`` lists every command without importing any
of them. A command's module is imported when the command runs or its own ``--help`` is asked.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Sequence
from typing import Any

import click

from releasekit.records import frozen


@frozen
class LazyCommand:
    """One row of the command table: the command's name, its module and its summary.

    The module defines a click command in an attribute named after the command (``-`` becomes
    ``_``). The summary is what ``releasekit --help`` shows; it repeats the first line of the
    command's docstring, which a test keeps in step.
    """

    name: str
    module: str
    summary: str

    def exists(self) -> bool:
        """Whether the module can be found, looked up without importing it.

        A row may name a module that is still being written; it is left out until it exists.
        """
        return importlib.util.find_spec(self.module) is not None

    def load(self) -> click.Command:
        """Import the module and return its command; a module without one is a bug, so raise."""
        attribute = self.name.replace("-", "_")
        command = getattr(importlib.import_module(self.module), attribute, None)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.module} has no click command named {attribute}")
        return command


class LazyGroup(click.Group):
    """A group whose commands come from a table of ``LazyCommand`` rows."""

    def __init__(
        self, *args: Any, lazy_commands: Sequence[LazyCommand] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = {row.name: row for row in lazy_commands}

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command whose module exists, sorted as click sorts them."""
        return sorted(name for name, row in self.lazy_commands.items() if row.exists())

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The named command, importing its module now; None if absent ("No such command")."""
        row = self.lazy_commands.get(cmd_name)
        if row is None or not row.exists():
            return None
        return row.load()

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The Commands section from the table's summaries, whole, importing no command module.

        click's own version calls ``get_command`` for every command, which would import them all,
        and cuts each summary to fit one line.
        """
        rows = [(name, self.lazy_commands[name].summary) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
