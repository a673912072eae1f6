"""``rag ask`` and ``rag chat``: answers in the shell (``rag serve``, the browser, is the chat
page's own command: ``ui.command``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from rag.answer.prompting import CLOSEST_HEADING
from rag.cli.collection import indent
from rag.console import current_settings, emit_json, friendly_errors, tqdm_progress
from rag.errors import QuestionError


@click.command("ask")
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
    from rag.assistant import Assistant
    from rag.questions import check_question

    settings = current_settings()
    check_question(question, settings.max_question_chars)  # before minutes of model loading
    assistant = Assistant.load(index_dir, settings, progress=tqdm_progress("indexing"))
    if as_json:
        emit_json(answer_json(assistant.ask(question)))
        return
    answer_stream = assistant.stream(question)
    streamed = ""
    for piece in answer_stream:
        if stream:
            click.echo(piece, nl=False)
            streamed += piece
    answer = answer_stream.answer
    if streamed:
        click.echo("\n")
    # The finished answer is printed unless its words are what was streamed: copying a figure
    # or a quote from the cited passage (rag.answer.snapping) changes them.
    print_answer(answer, show_text=answer.abstained or _words(answer.text) != _words(streamed))


def _words(text: str) -> list[str]:
    from rag.answer.markup import without_citations

    return without_citations(text).split()


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
        "closest": [
            {"doc_id": p.doc_id, "title": p.title, "date": p.date, "passage": p.text,
             "score": round(p.score, 4), "start": p.start, "end": p.end}
            for p in answer.closest
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
        click.echo(indent(passage.text))
    if answer.closest:
        click.secho(f"\n{CLOSEST_HEADING[answer.language]}", dim=True)
    for passage in answer.closest:
        click.secho(f"\n· {passage.title} · {passage.date or 'undated'} · {passage.doc_id}")
        click.echo(indent(passage.text))
    click.secho(
        f"\n{answer.timings.get('total', 0):.1f} s "
        f"(retrieval {answer.timings.get('retrieve', 0):.2f} s, "
        f"generation {answer.timings.get('generate', 0):.1f} s)",
        dim=True, err=True,
    )  # fmt: skip


@click.command("chat")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="Index folder.")
@friendly_errors
def chat_command(index_dir: Path | None) -> None:
    """Chat in the terminal: ask, then ask follow-ups ("And in 2023?"). Ctrl-D to leave."""
    from rag.assistant import Assistant

    assistant = Assistant.load(index_dir, current_settings(), progress=tqdm_progress("indexing"))
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
            answer_stream = assistant.stream(question, history)
        except QuestionError as error:
            click.secho(f"{error}", fg="red")
            continue
        for piece in answer_stream:
            click.echo(piece, nl=False)
        click.echo()
        answer = answer_stream.answer
        print_answer(answer, show_text=True)
        history.append((question, answer.text))
