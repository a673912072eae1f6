"""``rag serve``: the chat page's command, registered under the ``newsrag.commands`` entry
points (pyproject.toml), so that the command line finds it without importing ``ui`` by name."""

from __future__ import annotations

from pathlib import Path

import click

from rag.console import current_settings, friendly_errors


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=7860, show_default=True)
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="Index folder.")
@friendly_errors
def serve_command(host: str, port: int, index_dir: Path | None) -> None:
    """Open the chat in the browser (Gradio), on the default index or --index.

    \b
      rag serve
      rag serve --host 0.0.0.0 --port 8080
    """
    from ui.app import serve  # Gradio is heavy: imported when the page is asked for

    serve(current_settings(), index_dir=index_dir, host=host, port=port)
