"""XQuAD benchmark: Vietnamese questions and their English originals, one Vietnamese index.

    python -m eval.xquad_benchmark [--retrieval-only] [--limit N | --sample N] [--k N]
        [--out DIR] [--index DIR]

The 240 Vietnamese paragraphs are indexed once (under the cache, or in --index), then both
question sets are evaluated against that index, each into its own folder (``DIR/vi``,
``DIR/en``, with the usual results.jsonl, summary.json, report.md, plots), and a side-by-side
table is printed and written to ``DIR/comparison.md`` and ``DIR/comparison.json``.
Models and folders come from the usual RAG_* settings.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import click

from rag.console import exit_status, load_settings, tqdm_progress
from rag.settings import Settings

from .corpus import open_assistant
from .datasets import load_dataset, select_items
from .report import format_summary
from .runner import DEFAULT_OUT, evaluate
from .xquad import XQUAD_EN, XQUAD_VI, cross_lingual_items

COLUMNS = ("hit@1", "hit@3", "hit@5", "mrr@10", "em", "f1", "contains", "correct")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # Ctrl-C while indexing; an interrupted evaluation returns normally.
    return exit_status(lambda: run(load_settings(), args))


def run(settings: Settings, args: argparse.Namespace) -> int:
    args.k = settings.top_k if args.k is None else args.k
    vietnamese = load_dataset(args.vi, language="vi")
    english = list(cross_lingual_items(args.vi, args.en))
    # The same questions in both languages: the sample is drawn over the Vietnamese ids.
    chosen = {i.id for i in select_items(vietnamese.items, args.limit, args.sample, args.seed)}
    question_sets = {
        "vi": [i for i in vietnamese.items if i.id in chosen],
        "en": [i for i in english if i.id in chosen],
    }
    # One index of the Vietnamese paragraphs serves both question sets.
    assistant, folder = open_assistant(
        settings, vietnamese, corpus_from_dataset=True, index_dir=args.index,
        progress=tqdm_progress("indexing"),
    )  # fmt: skip
    summaries: dict[str, dict[str, Any]] = {}
    for language, items in question_sets.items():
        info = {
            "dataset": f"xquad-{language}",
            "qa_file": str(args.vi if language == "vi" else args.en),
            "format": "squad", "index": str(folder), "embedder": assistant.embedder.model_id,
            "generator": None if args.retrieval_only else settings.generator,
        }  # fmt: skip
        result = evaluate(assistant, items, out_dir=args.out / language, k=args.k,
                          retrieval_only=args.retrieval_only, info=info)  # fmt: skip
        summaries[language] = result.summary
        click.echo(format_summary(result.summary) + "\n", err=True)
        if result.interrupted:
            break
    table = comparison_table(summaries)
    (args.out / "comparison.md").write_text(table + "\n", encoding="utf-8")
    comparison = {lang: _headline(s) for lang, s in summaries.items()}
    (args.out / "comparison.json").write_text(json.dumps(comparison, indent=2) + "\n")
    click.echo(json.dumps(comparison, indent=2) if args.json else table)
    click.secho(f"Results in {args.out}/ (vi/, en/, comparison.md)", dim=True, err=True)
    return 130 if any(s["interrupted"] for s in summaries.values()) else 0


def comparison_table(summaries: dict[str, dict[str, Any]]) -> str:
    """Markdown: one row per question language, the headline metrics and latency."""
    names = [c for c in COLUMNS if any(c in s["overall"]["metrics"] for s in summaries.values())]
    header = ["questions", "n", *names, "retrieve p50 (s)"]
    if any(not s["retrieval_only"] for s in summaries.values()):
        header.append("total p50 (s)")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for language, summary in summaries.items():
        row = _headline(summary)
        cells = [language, str(row["n"])] + [_fmt(row.get(n)) for n in names]
        cells.append(_fmt(row["retrieve_p50"]))
        if len(header) > len(cells):
            cells.append(_fmt(row["total_p50"]))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _headline(summary: dict[str, Any]) -> dict[str, Any]:
    overall = summary["overall"]
    row: dict[str, Any] = {"n": summary["evaluated"], "interrupted": summary["interrupted"]}
    row.update(
        {name: overall["metrics"][name]["mean"] for name in COLUMNS if name in overall["metrics"]}
    )
    row["retrieve_p50"] = overall["latency"]["retrieve"]["p50"]
    row["total_p50"] = overall["latency"]["total"]["p50"]
    return row


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m eval.xquad_benchmark",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--vi", type=Path, default=XQUAD_VI, help="Vietnamese XQuAD file")
    parser.add_argument("--en", type=Path, default=XQUAD_EN, help="parallel English XQuAD file")
    parser.add_argument("--k", type=positive_int, help="passages per question (default: RAG_TOP_K)")
    parser.add_argument(
        "--limit", type=positive_int, help="only the first N questions of each language"
    )
    parser.add_argument(
        "--sample",
        type=positive_int,
        help="a seeded random sample of N questions (same ids in both)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of --sample (default 0)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT / "xquad", help="output folder")
    parser.add_argument("--index", type=Path, help="folder for the Vietnamese paragraph index")
    parser.add_argument("--retrieval-only", action="store_true", help="skip answer generation")
    parser.add_argument("--json", action="store_true", help="print the comparison as JSON")
    return parser


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


if __name__ == "__main__":
    sys.exit(main())
