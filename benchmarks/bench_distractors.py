"""Do answers about the seed articles stay right among thousands of unrelated news articles?

    python benchmarks/bench_distractors.py [--news 12653] [--hard 0] [--answers 20] [--seed 0]

Indexes the five seed articles alone, and together with ``--news`` articles from
../shared/data/news (VietNews sample and Dân trí 2020-2021; read in place, never copied): the
``--hard`` ones most like the seed articles (by BM25 against each seed article's title and
lead: civil service, ministries, conferences), the rest drawn at random (seeded),
then evaluates the development set (eval/devset.jsonl) on both: retrieval over every question,
and full answers over a seeded sample of ``--answers`` of them. Prints one table: the same
questions, the same models, only the collection differs. The distractor index is kept under the
cache (``indexes/distractors-<n>-<seed>``) so a second run only evaluates.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from news import NEWS_DIR, news_records

from eval import DEVSET
from eval.datasets import load_dataset, select_items
from eval.runner import evaluate
from rag.assistant import Assistant
from rag.console import tqdm_progress
from rag.index.default import build_index
from rag.index.folder import MANIFEST
from rag.index.lexical import LexicalIndex
from rag.settings import Settings

HEADLINE = ("hit@1", "hit@5", "mrr@10", "correct", "abstain_precision", "abstain_recall")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--news", type=int, default=12_653, help="distractor articles (default: all)"
    )
    parser.add_argument(
        "--answers", type=int, default=20, help="dev-set questions answered in full"
    )
    parser.add_argument(
        "--hard", type=int, default=0, help="of those, the most similar to the seed articles"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("eval-out/distractors"))
    args = parser.parse_args()

    settings = Settings()
    dataset = load_dataset(DEVSET)
    answered = select_items(dataset.items, sample=args.answers, seed=args.seed)
    seeds_only = Assistant.load(settings=settings)
    crowded = Assistant.load(
        _distractor_index(settings, seeds_only, args.news, args.hard, args.seed), settings,
        embedder=seeds_only.embedder, generator=seeds_only.generator,
    )  # fmt: skip
    rows = {}
    for name, assistant in (("seed articles only", seeds_only), ("with distractors", crowded)):
        out = args.out / name.replace(" ", "-")
        k = settings.top_k
        retrieval = evaluate(
            assistant, dataset.items, out_dir=out / "retrieval", k=k, retrieval_only=True
        )
        answers = (
            evaluate(assistant, answered, out_dir=out / "answers", k=k) if args.answers else None
        )
        rows[name] = _row(assistant, retrieval.summary, answers.summary if answers else None)
    print(_table(rows, len(dataset.items), len(answered)))


def _distractor_index(
    settings: Settings, seeds: Assistant, count: int, hard: int, seed: int
) -> Path:
    folder = (
        settings.cache_dir
        / "indexes"
        / f"distractors-{count}-{hard}-{seed}-{seeds.embedder.model_id.replace('/', '-')}"
    )
    if (folder / MANIFEST).exists():
        return folder
    records = _choose_news(_read_news(), seeds, count, hard, seed)
    chunking = settings.chunking()
    with tempfile.TemporaryDirectory(prefix="newsrag-distractors-") as staging:
        news = Path(staging) / "news.jsonl"
        news.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
        )
        started = time.perf_counter()
        index, loaded = build_index(
            [settings.articles_dir, news], seeds.embedder, chunking, tqdm_progress("indexing")
        )
        seconds = time.perf_counter() - started
    index.save(folder)
    print(f"indexed {len(index.articles)} articles ({len(loaded.errors)} skipped), "
          f"{len(index)} passages in {seconds / 60:.1f} min", file=sys.stderr)  # fmt: skip
    return folder


def _read_news() -> list[dict[str, Any]]:
    """Both news files as loader-ready JSONL records."""
    return [
        {"id": f"{source}-{record['id']}", "title": record.get("title") or "",
         "body": record.get("body") or "", "date": record.get("date")}
        for source, record in news_records(NEWS_DIR)
    ]  # fmt: skip


def _choose_news(
    records: list[dict[str, Any]], seeds: Assistant, count: int, hard: int, seed: int
) -> list[dict[str, Any]]:
    """The ``hard`` records closest to the seed articles, then random ones up to ``count``."""
    chosen: dict[int, None] = {}
    if hard:
        lexical = LexicalIndex.build([f"{r['title']} {r['body'][:3000]}" for r in records])
        probes = [f"{a.title} {a.text[:600]}" for a in seeds.index.articles.values()]
        ranked = [lexical.search(probe, hard)[0].tolist() for probe in probes]
        for rank in range(hard):  # round-robin over the seed articles
            for positions in ranked:
                if len(chosen) < hard and rank < len(positions):
                    chosen.setdefault(positions[rank])
    rest = [i for i in range(len(records)) if i not in chosen]
    random.Random(seed).shuffle(rest)
    picked = list(chosen) + rest[: max(0, count - len(chosen))]
    return [records[i] for i in picked]


def _row(
    assistant: Assistant, retrieval: dict[str, Any], answers: dict[str, Any] | None
) -> dict[str, Any]:
    metrics = retrieval["overall"]["metrics"]
    row = {name: metrics[name]["mean"] for name in HEADLINE[:3] if name in metrics}
    row["passages"] = len(assistant.index)
    row["retrieve_p50_ms"] = retrieval["overall"]["latency"]["retrieve"]["p50"] * 1000
    if answers:
        overall = answers["overall"]
        row["correct"] = overall["metrics"]["correct"]["mean"]
        abstention = overall["abstention"] or {}
        row["abstain_precision"] = abstention.get("precision")
        row["abstain_recall"] = abstention.get("recall")
        row["answer_p50_s"] = answers["overall"]["latency"]["total"]["p50"]
    return row


def _table(rows: dict[str, dict[str, Any]], questions: int, answered: int) -> str:
    columns = ["passages", *HEADLINE, "retrieve_p50_ms", "answer_p50_s"]
    lines = [
        f"Dev set: retrieval over {questions} questions, full answers over {answered}.",
        "| collection | " + " | ".join(columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for name, row in rows.items():
        cells = [_cell(row.get(c)) for c in columns]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:,}" if isinstance(value, int) else f"{value:.3f}"


if __name__ == "__main__":
    main()
