"""What every command-line front end shares: the settings of this run, errors as one friendly
line, JSON output, and progress bars with an ETA. Used by ``rag`` (``rag.cli``) and by the
commands other packages define (``python -m eval``)."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
from pydantic import ValidationError

from rag.errors import ConfigError, RagError
from rag.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])


def load_settings() -> Settings:
    """The settings from the environment, or a ConfigError naming the bad ``RAG_*`` value."""
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"RAG_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in error.errors()
        )
        raise ConfigError(f"invalid setting: {problems}") from None


def current_settings() -> Settings:
    """The settings of this command run: made once by the ``rag`` group and handed down to its
    commands; a command run on its own reads them from the environment."""
    context = click.get_current_context(silent=True)
    settings = context.find_object(Settings) if context is not None else None
    return settings if settings is not None else load_settings()


def friendly_errors(command: F) -> F:
    """Show a RagError as one line on stderr with exit status 1, never as a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (RagError, KeyboardInterrupt) as stop:
            sys.exit(reported(stop))

    return wrapper  # type: ignore[return-value]


def exit_status(run: Callable[[], int]) -> int:
    """``run()``'s exit status, or, for a script's ``main``, that of a RagError (1, shown as
    one line) or of Ctrl-C (130): ``friendly_errors`` for functions that return a status."""
    try:
        return run()
    except (RagError, KeyboardInterrupt) as stop:
        return reported(stop)


def reported(stop: RagError | KeyboardInterrupt) -> int:
    """Say why the command stopped, on stderr; its exit status."""
    if isinstance(stop, KeyboardInterrupt):
        click.echo("Interrupted.", err=True)
        return 130
    click.secho(f"Error: {stop}", fg="red", err=True)
    return 1


def tqdm_progress(label: str, unit: str = "chunk") -> Callable[[int], Callable[[int], None]]:
    """A progress factory for the library: given a total, a callback that advances a bar.

    ``done`` (work resumed from an earlier run) starts the bar there without counting it in the
    rate, so the ETA reflects only what is left and how fast it goes.
    """

    def start(total: int, done: int = 0) -> Callable[[int], None]:
        from tqdm import tqdm

        bar = tqdm(total=total, initial=done, desc=label, unit=unit, file=sys.stderr, leave=False)
        return bar.update

    return start


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))
