"""Answer a Q&A file with the real models; print right/wrong per question and latency figures.

    python benchmarks/bench_answers.py [benchmarks/answers20.jsonl]

Right means: an answerable question is answered (not abstained) and its text holds every key
(`|` separates accepted spellings); an unanswerable one is abstained. For the full metrics
(F1, retrieval hit@k, reports) use `rag eval`.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

from rag import Assistant
from rag.text import normalize


def holds(text: str, key: str) -> bool:
    text = normalize(text).lower()
    return any(normalize(alt).lower() in text for alt in key.split("|"))


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).with_name("answers20.jsonl"))
    items = [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    assistant = Assistant.load()
    started = time.perf_counter()
    assistant.warm_up()
    print(f"models loaded in {time.perf_counter() - started:.1f} s")
    right, times = 0, []
    for item in items:
        answer = assistant.ask(item["question"])
        times.append(answer.timings["total"])
        if item["unanswerable"]:
            ok = answer.abstained
        else:
            ok = not answer.abstained and all(holds(answer.text, k) for k in item["keys"])
        right += ok
        print(f"{'RIGHT' if ok else 'WRONG'} {answer.timings['total']:5.1f}s [{item['language']}] "
              f"{item['question']}\n      -> {answer.text}")  # fmt: skip
    times.sort()
    p90 = times[min(len(times) - 1, round(0.9 * (len(times) - 1)))]
    print(f"\n{right}/{len(items)} right; answer time median {statistics.median(times):.1f} s, "
          f"p90 {p90:.1f} s")  # fmt: skip


if __name__ == "__main__":
    main()
