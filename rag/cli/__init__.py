"""The ``rag`` command line: index articles, search, ask, serve the chat, evaluate, manage models.

Every subcommand prints readable text for people, or JSON with ``--json``. Errors are turned
into one friendly line (``rag.console.friendly_errors``), and nowhere else. The settings are
read once, here, and handed to every command. The chat page's ``serve`` and the evaluation's
``eval`` are found through the ``newsrag.commands`` entry points, as ``llm`` finds its plugins'
commands, and imported only when used: the command line depends on no front end by name.
"""

from __future__ import annotations

import importlib.metadata
import logging
from functools import cache

import click

from rag.cli.answers import ask_command, chat_command
from rag.cli.changes import add_command, remove_command
from rag.cli.collection import index_command, search_command
from rag.cli.models import models_group
from rag.console import friendly_errors, load_settings

ENTRY_POINTS = "newsrag.commands"


@cache
def plugged_in() -> dict[str, importlib.metadata.EntryPoint]:
    """The commands other packages register (pyproject.toml: [project.entry-points])."""
    return {e.name: e for e in importlib.metadata.entry_points(group=ENTRY_POINTS)}


class _PluginGroup(click.Group):
    """A group that also offers the registered commands, each imported only when used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *plugged_in()})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in plugged_in():
            command: click.Command = plugged_in()[name].load()
            return command
        return super().get_command(ctx, name)


@click.group(cls=_PluginGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log what happens (to stderr).")
@click.version_option(package_name="newsrag")
@click.pass_context
@friendly_errors
def cli(context: click.Context, verbose: bool) -> None:
    """Ask questions about Vietnamese news articles, in Vietnamese or English.

    \b
    Examples:
      rag models fetch                       # once: fetch and check the offline models
      rag index                              # index the bundled articles
      rag search "Phương châm năm 2020 là gì?"
      rag search "Who chaired the 2023 review?" -k 3 --json
      rag ask "What was the 2020 motto of the Ministry of Home Affairs?"
      rag chat                               # questions and follow-ups in the terminal
      rag serve                              # the chat page in the browser
      rag models calibrate                   # the fastest backend on this machine, measured
      rag index my_articles/ --out ~/indexes/mine
      rag add today.jsonl                    # add to (or update in) the index, kept on disk
      rag remove 003_16e7c6cf24d0288c.txt

    Settings come from RAG_* environment variables (RAG_EMBEDDER, RAG_CACHE_DIR, RAG_TOP_K...).
    """
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s")
    context.obj = load_settings()


for _command in (
    index_command, add_command, remove_command, search_command, ask_command, chat_command,
):  # fmt: skip
    cli.add_command(_command)
cli.add_command(models_group)


def main() -> None:
    cli(prog_name="rag")


if __name__ == "__main__":
    main()
