"""``releasekit completion``: print the shell completion script for bash, zsh or fish.

The script is click's own (it calls releasekit back with ``_RELEASEKIT_COMPLETE`` set), so it
completes commands, options and, through each argument's ``shell_complete``, the BUMP words.
"""

from __future__ import annotations

from typing import Literal

import click

from releasekit.cli import Context


@click.command(
    epilog="""\b
Examples:
  releasekit completion bash > ~/.local/share/bash-completion/completions/releasekit
  releasekit completion zsh > ~/.zfunc/_releasekit     (with fpath+=~/.zfunc)
  releasekit completion fish > ~/.config/fish/completions/releasekit.fish
  eval "$(releasekit completion bash)"                 in ~/.bashrc, for this shell"""
)
@click.argument("shell", metavar="SHELL", type=click.Choice(["bash", "zsh", "fish"]))
@click.pass_obj
def completion(obj: Context, shell: Literal["bash", "zsh", "fish"]) -> None:
    """Print the shell completion script for bash, zsh or fish."""
    from click.shell_completion import get_completion_class

    from releasekit.cli import cli

    completer = get_completion_class(shell)
    if completer is None:  # every choice has a class in click; guard a future removal
        raise click.BadParameter(f"no completion for {shell}", param_hint="SHELL")
    script = completer(cli, {}, "releasekit", "_RELEASEKIT_COMPLETE").source()
    obj.console.out.write(script if script.endswith("\n") else script + "\n")
