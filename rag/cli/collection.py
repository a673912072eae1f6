"""``rag index`` and ``rag search``: building an index, and the passages a question finds."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import click

from rag.console import current_settings, emit_json, friendly_errors, tqdm_progress


@click.command("index")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--out", type=click.Path(path_type=Path), help="Index folder (default: the default index)."
)
@click.option(
    "--if-needed", is_flag=True, help="Default index only: build it only if missing or stale."
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@friendly_errors
def index_command(
    paths: tuple[Path, ...], out: Path | None, if_needed: bool, as_json: bool
) -> None:
    """Index articles (.txt, .jsonl, .jsonl.gz files or folders of them).

    \b
    Without PATHS, indexes the bundled articles (and your own changes to the default collection)
    into the default index. With RAG_STORE=milvus the rows go to a fresh Milvus collection at
    RAG_MILVUS_URI and the index folder keeps the manifest that names it. `rag add` and
    `rag remove` change an existing index in place.
      rag index
      rag index --if-needed
      rag index data/articles extra.jsonl --out ./my-index
    """
    from rag.assistant import Assistant
    from rag.embedder import embedder_from
    from rag.index.checkpoint import EmbeddingCheckpoint
    from rag.index.default import build_index, rebuild_default_index
    from rag.index.stores import new_store_for

    settings = current_settings()
    if if_needed:
        if paths or out:
            raise click.UsageError("--if-needed applies to the default index only")
        assistant = Assistant.load(None, settings, progress=tqdm_progress("embedding"))
        click.echo(f"Default index ready: {len(assistant.index.articles)} articles, "
                   f"{len(assistant.index)} passages at {settings.resolved_index_dir}")  # fmt: skip
        return
    embedder = embedder_from(settings)
    progress = tqdm_progress("embedding")
    started = time.perf_counter()
    if not paths and out is None:
        out = settings.resolved_index_dir
        index, loaded = rebuild_default_index(settings, embedder, progress)
    else:
        sources = list(paths) or [settings.articles_dir]
        out = out or settings.resolved_index_dir
        store = new_store_for(settings, out, embedder.dimension)
        checkpoint = EmbeddingCheckpoint.beside(out, embedder.model_id)  # a rerun resumes
        index, loaded = build_index(
            sources, embedder, settings.chunking(), progress, store, checkpoint,
            settings.sentence_vectors,
        )  # fmt: skip
        index.extra = {"sources": [str(p) for p in sources]}
        index.save(out)
        checkpoint.remove()
    seconds = time.perf_counter() - started
    result = {
        "index": str(out), "articles": len(index.articles), "chunks": len(index),
        "embedder": index.embedder_id, "seconds": round(seconds, 2),
        "skipped": [str(e) for e in loaded.errors],
    }  # fmt: skip
    if as_json:
        emit_json(result)
        return
    for error in loaded.errors:
        click.secho(f"Skipped: {error}", fg="yellow", err=True)
    click.echo(
        f"Indexed {result['articles']} articles as {result['chunks']} passages "
        f"with {index.embedder_id} in {seconds:.1f} s -> {out}"
    )


@click.command("search")
@click.argument("question")
@click.option("-k", "k", type=click.IntRange(1, 100), default=None, help="Number of passages.")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="Index folder.")
@click.option("--json", "as_json", is_flag=True, help="Print the passages as JSON.")
@friendly_errors
def search_command(question: str, k: int | None, index_dir: Path | None, as_json: bool) -> None:
    """Show the passages that best match QUESTION, best first.

    \b
      rag search "Biên chế công chức năm 2021 là bao nhiêu?"
      rag search "Who chaired the 2023 review?" -k 3 --json
    """
    from rag.assistant import Assistant
    from rag.questions import check_question

    settings = current_settings()
    check_question(question, settings.max_question_chars)  # before minutes of model loading
    assistant = Assistant.load(index_dir, settings, progress=tqdm_progress("indexing"))
    started = time.perf_counter()
    passages = assistant.search(question, k or settings.top_k)
    seconds = time.perf_counter() - started
    if as_json:
        emit_json({"question": question, "seconds": round(seconds, 3),
                   "passages": [p.to_dict() for p in passages]})  # fmt: skip
        return
    for rank, passage in enumerate(passages, start=1):
        click.secho(f"[{rank}] {passage.title}", bold=True)
        click.secho(
            f"    {passage.doc_id} · {passage.date or 'undated'} · score {passage.score:.3f}",
            dim=True,
        )
        click.echo(indent(passage.text))
        click.echo()
    click.secho(f"{len(passages)} passages in {seconds * 1000:.0f} ms", dim=True, err=True)


def indent(text: str, width: int = 100) -> str:
    return textwrap.fill(text, width=width, initial_indent="    ", subsequent_indent="    ")
