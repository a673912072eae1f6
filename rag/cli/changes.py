"""``rag add`` and ``rag remove``: changing an existing index in place, saved before they return.

``rag index`` stays the full build; these touch only the articles named.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from rag.console import current_settings, emit_json, friendly_errors, tqdm_progress

_INDEX_HELP = "Index folder (default: the default index, whose changes survive its rebuilds)."


@click.command("add")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help=_INDEX_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@friendly_errors
def add_command(paths: tuple[Path, ...], index_dir: Path | None, as_json: bool) -> None:
    """Add articles (.txt, .jsonl, .jsonl.gz files or folders of them) to an existing index.

    An article whose doc_id is already indexed replaces the indexed one.

    \b
      rag add today.jsonl
      rag add corrections/ --index ./my-index --json
    """
    from rag.assistant import Assistant

    settings = current_settings()
    assistant = Assistant.load(index_dir, settings, progress=tqdm_progress("indexing"))
    started = time.perf_counter()
    result = assistant.add_documents(paths, progress=tqdm_progress("embedding"))
    replaced = set(result.replaced)
    added = [a.doc_id for a in result.articles if a.doc_id not in replaced]
    summary = {
        "index": str(assistant.index.folder),
        "added": added,
        "replaced": result.replaced,
        "skipped": [str(e) for e in result.errors],
        "articles": len(assistant.index.articles),
        "chunks": len(assistant.index),
        "seconds": round(time.perf_counter() - started, 2),
    }
    if as_json:
        emit_json(summary)
        return
    for error in result.errors:
        click.secho(f"Skipped: {error}", fg="yellow", err=True)
    for doc_id in result.replaced:
        click.echo(f"Replaced {doc_id}: the indexed version is gone, the new one is searchable")
    click.echo(
        f"Added {len(added)} and replaced {len(replaced)} articles; the index now "
        f"holds {summary['articles']} articles as {summary['chunks']} passages -> "
        f"{summary['index']}"
    )


@click.command("remove")
@click.argument("doc_ids", nargs=-1, required=True)
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help=_INDEX_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@friendly_errors
def remove_command(doc_ids: tuple[str, ...], index_dir: Path | None, as_json: bool) -> None:
    """Remove articles, by doc_id, from an index (all of them, or none if one is unknown).

    \b
      rag remove 003_16e7c6cf24d0288c.txt
      rag remove story-17 story-18 --index ./my-index
    """
    from rag.assistant import Assistant

    settings = current_settings()
    assistant = Assistant.load(index_dir, settings, progress=tqdm_progress("indexing"))
    removed = assistant.remove_documents(doc_ids)
    summary = {
        "index": str(assistant.index.folder), "removed": removed,
        "articles": len(assistant.index.articles), "chunks": len(assistant.index),
    }  # fmt: skip
    if as_json:
        emit_json(summary)
        return
    click.echo(
        f"Removed {len(removed)} article{'s' * (len(removed) != 1)}; the index now holds "
        f"{summary['articles']} articles as {summary['chunks']} passages -> {summary['index']}"
    )
