"""Running an evaluation: every question through the assistant, results written as they come.

``results.jsonl`` gets one line per question, flushed at once, so an interrupted run (Ctrl-C)
keeps what was done; the summary, report and plots are then written over those questions.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import click
from tqdm import tqdm

from rag.console import tqdm_progress
from rag.errors import GenerationError, QuestionError
from rag.settings import Settings
from rag.types import Answer, Passage

from .corpus import open_assistant
from .datasets import QAItem, load_dataset, select_items
from .metrics import gold_rank, retrieval_depth, score_question
from .report import RESULTS, build_summary, format_summary, write_outputs

DEFAULT_OUT = Path("eval-out")
_SHOWN_PROBLEMS = 20


class QASystem(Protocol):
    """What an evaluation needs of the assistant (``rag.Assistant`` has it)."""

    def search(self, question: str, k: int | None = None) -> list[Passage]: ...

    def ask(self, question: str, history: Any = None) -> Answer: ...


@dataclass
class EvalRun:
    out_dir: Path
    records: list[dict[str, Any]]
    summary: dict[str, Any]
    interrupted: bool


def run_from_cli(
    settings: Settings,
    *,
    qa_file: Path,
    k: int | None = None,
    out: Path | None = None,
    limit: int | None = None,
    sample: int | None = None,
    seed: int = 0,
    retrieval_only: bool = False,
    corpus_from_dataset: bool = False,
    index_dir: Path | None = None,
    as_json: bool = False,
) -> dict[str, Any]:
    """``rag eval``: load the Q&A file, evaluate, write DIR, print the summary.

    Raises ``KeyboardInterrupt`` again after writing what was done, so the command still exits
    as interrupted.
    """
    dataset = load_dataset(qa_file)
    _show_problems(dataset.problems)
    items = select_items(dataset.items, limit, sample, seed)
    assistant, folder = open_assistant(
        settings, dataset, corpus_from_dataset=corpus_from_dataset, index_dir=index_dir,
        progress=tqdm_progress("indexing"),
    )  # fmt: skip
    _warn_missing_sources(items, set(assistant.index.articles), folder)
    info = {
        "dataset": dataset.name, "qa_file": str(qa_file), "format": dataset.format,
        "index": str(folder), "embedder": assistant.embedder.model_id,
        "generator": None if retrieval_only else settings.generator,
        "skipped_input": [str(p) for p in dataset.problems],
        "selection": {"limit": limit, "sample": sample, "seed": seed},
    }  # fmt: skip
    out_dir = Path(out) if out else DEFAULT_OUT / dataset.name
    k = settings.top_k if k is None else k  # RAG_TOP_K, as every command
    run = evaluate(assistant, items, out_dir=out_dir, k=k, retrieval_only=retrieval_only, info=info)
    if as_json:
        click.echo(json.dumps(run.summary, ensure_ascii=False, indent=2))
    else:
        click.echo(format_summary(run.summary))
        click.secho(f"Results in {out_dir}/", dim=True)
    if run.interrupted:
        click.secho(
            f"Interrupted after {len(run.records)} of {len(items)} questions; "
            f"the summary and report cover those.", fg="yellow", err=True,
        )  # fmt: skip
        raise KeyboardInterrupt
    return run.summary


def evaluate(
    assistant: QASystem,
    items: Sequence[QAItem],
    *,
    out_dir: Path,
    k: int,
    retrieval_only: bool = False,
    info: dict[str, Any] | None = None,
    show_progress: bool = True,
) -> EvalRun:
    """Evaluate every item, writing ``out_dir``; Ctrl-C stops early and keeps what was done."""
    out_dir.mkdir(parents=True, exist_ok=True)
    records: list[dict[str, Any]] = []
    interrupted = False
    started = time.perf_counter()
    with (out_dir / RESULTS).open("w", encoding="utf-8") as sink, tqdm(
        total=len(items), desc="evaluating", unit="q", file=sys.stderr, disable=not show_progress,
        leave=False,
    ) as bar:  # fmt: skip
        try:
            for item in items:
                record = evaluate_item(assistant, item, k, retrieval_only)
                sink.write(json.dumps(record, ensure_ascii=False) + "\n")
                sink.flush()
                records.append(record)
                bar.update(1)
        except KeyboardInterrupt:
            interrupted = True
    summary = build_summary(
        records, k=k, retrieval_only=retrieval_only, total=len(items), interrupted=interrupted,
        seconds=time.perf_counter() - started, info=info or {},
    )  # fmt: skip
    write_outputs(out_dir, summary, records)
    return EvalRun(out_dir, records, summary, interrupted)


def evaluate_item(
    assistant: QASystem, item: QAItem, k: int, retrieval_only: bool
) -> dict[str, Any]:
    """One question's result record: what was retrieved and answered, its metrics, timings."""
    record: dict[str, Any] = {
        "id": item.id, "question": item.question, "language": item.language, "gold": item.gold(),
        "answer": None, "abstained": None, "citations": [], "retrieved": [], "gold_rank": None,
        "metrics": {}, "timings": {}, "error": None,
    }  # fmt: skip
    try:
        # Searched separately (to depth 10 for MRR@10) because ask() exposes only its citations.
        started = time.perf_counter()
        passages = assistant.search(item.question, retrieval_depth(k))
        searched = round(time.perf_counter() - started, 4)
        answer = None if retrieval_only else assistant.ask(item.question)
    except (QuestionError, GenerationError) as error:  # this question only; the run goes on
        record["error"] = str(error)
        return record
    doc_ids = [p.doc_id for p in passages]
    record["retrieved"] = [
        {"doc_id": p.doc_id, "score": round(p.score, 4), "start": p.start, "end": p.end}
        for p in passages
    ]
    if not item.unanswerable:
        record["gold_rank"] = gold_rank(doc_ids, item.source)
    if answer is None:
        record["timings"] = {"retrieve": searched, "total": searched}
        record["metrics"] = score_question(item, doc_ids, k)
        return record
    record.update(
        answer=answer.text, abstained=answer.abstained, timings=dict(answer.timings),
        citations=[p.doc_id for p in answer.citations],
        confidence=answer.confidence, signals=answer.signals, reason=answer.reason,
        model_calls=answer.model_calls,
        metrics=score_question(item, doc_ids, k, answer.text, answer.abstained),
    )  # fmt: skip
    return record


def _show_problems(problems: Sequence[Exception]) -> None:
    for problem in problems[:_SHOWN_PROBLEMS]:
        click.secho(f"Skipped: {problem}", fg="yellow", err=True)
    if len(problems) > _SHOWN_PROBLEMS:
        click.secho(f"… and {len(problems) - _SHOWN_PROBLEMS} more skipped", fg="yellow", err=True)


def _warn_missing_sources(items: Sequence[QAItem], indexed: set[str], folder: Path) -> None:
    """Gold documents absent from the collection can never be retrieved: say so up front."""
    missing = sorted({i.source for i in items if i.source and i.source not in indexed})
    if missing:
        click.secho(
            f"Warning: {len(missing)} gold source(s) are not in the index at {folder} "
            f"(e.g. {', '.join(missing[:3])}); those questions count as retrieval misses.",
            fg="yellow", err=True,
        )  # fmt: skip
