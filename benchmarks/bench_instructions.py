"""How often the instruction rules (rag/answer/instructions.py) would cut a real news sentence.

    python benchmarks/bench_instructions.py [--limit N]

Reads the news corpora of ../shared/data/news in place, splits every article into sentences
and prints, per rule, how many sentences it flags (and the share of all sentences), with a
sample of the flagged ones to read; and how many planted instructions of
eval/injection_articles.jsonl each rule catches.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from news import NEWS_DIR, news_records

from rag.answer.instructions import instruction_rule
from rag.ingest.chunking import split_sentences
from rag.text import normalize

ROOT = Path(__file__).resolve().parents[1]
PLANTED = ROOT / "eval" / "injection_articles.jsonl"


def news_bodies(limit: int | None) -> Iterator[str]:
    for _, record in news_records(NEWS_DIR, limit):
        yield normalize(str(record.get("body") or record.get("content") or ""))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=None, help="articles to read (all)")
    args = parser.parse_args()
    counts: Counter[str] = Counter()
    flagged: list[tuple[str, str]] = []
    sentences = articles = 0
    for body in news_bodies(args.limit):
        articles += 1
        for start, end in split_sentences(body):
            sentences += 1
            rule = instruction_rule(body[start:end])
            if rule is not None:
                counts[rule] += 1
                flagged.append((rule, body[start:end]))
    print(
        f"news: {articles:,} articles, {sentences:,} sentences, "
        f"{len(flagged):,} flagged ({len(flagged) / max(sentences, 1):.4%})"
    )
    for rule, count in counts.most_common():
        print(f"  {rule:<24} {count:>6,}  ({count / max(sentences, 1):.4%})")
    print("\na sample of the flagged news sentences:")
    for rule, sentence in random.Random(0).sample(flagged, min(20, len(flagged))):
        print(f"  [{rule}] {sentence[:160]}")
    planted = Counter()
    total = 0
    for line in PLANTED.read_text(encoding="utf-8").splitlines():
        body = json.loads(line)["body"]
        for start, end in split_sentences(body):
            if "CANARY" in body[start:end]:
                total += 1
                planted[instruction_rule(body[start:end]) or "(missed)"] += 1
    print(f"\nplanted sentences holding a canary: {total}; caught per rule: {dict(planted)}")


if __name__ == "__main__":
    main()
