"""Index build time, search latency and top-k hits (k: RAG_TOP_K) on the bundled articles, with
real models.

    python benchmarks/bench_foundation.py [--repeats 20]

Prints medians. The baseline run in the same process is the query embedding alone, so the
ratio shows what retrieval adds on top of the unavoidable model call.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from rag.assistant import Assistant
from rag.index.default import build_index
from rag.settings import Settings

QUESTIONS = [
    ("Phương châm hành động năm 2020 của Bộ Nội vụ là gì?", "001_eb33f2e5ca9e7309.txt"),
    ("Biên chế công chức năm 2021 là bao nhiêu?", "000_c1d1bf0d00618ad8.txt"),
    (
        "Ai chủ trì hội nghị tổng kết công tác năm 2023 của ngành Nội vụ?",
        "003_16e7c6cf24d0288c.txt",
    ),
    ("Lạng Sơn sắp xếp bao nhiêu đơn vị hành chính cấp xã năm 2019?", "002_9a983ff685051e77.txt"),
    ("Giám đốc Sở Nội vụ Khánh Hòa là ai?", "004_f6d78a68113691fd.txt"),
    ("What was the 2020 motto of the Ministry of Home Affairs?", "001_eb33f2e5ca9e7309.txt"),
    ("How many civil servant positions were there in 2021?", "000_c1d1bf0d00618ad8.txt"),
    ("Who chaired the 2023 review of the home affairs sector?", "003_16e7c6cf24d0288c.txt"),
    ("How many commune-level units did Lang Son merge in 2019?", "002_9a983ff685051e77.txt"),
    ("Which Prime Minister chaired the conference in January 2022?", "004_f6d78a68113691fd.txt"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(cache_dir=Path(tmp), models_dir=Settings().resolved_models_dir)
        assistant = Assistant.load(settings=settings)  # builds (and loads the embedder)
        embedder = assistant.embedder
        started = time.perf_counter()
        index, _ = build_index([settings.articles_dir], embedder, settings.chunking())
        build_s = time.perf_counter() - started
        print(f"index build (5 articles, {len(index)} passages, model loaded): {build_s:.1f} s")

        embed_times, search_times = [], []
        for _ in range(args.repeats):
            for question, _doc in QUESTIONS:
                t0 = time.perf_counter()
                embedder.embed_query(question)
                t1 = time.perf_counter()
                assistant.search(question)  # RAG_TOP_K passages
                t2 = time.perf_counter()
                embed_times.append(t1 - t0)
                search_times.append(t2 - t1)
        embed_ms = statistics.median(embed_times) * 1000
        search_ms = statistics.median(search_times) * 1000
        print(f"query embedding alone (baseline): median {embed_ms:.1f} ms")
        print(f"Assistant.search, k={settings.top_k}:            median {search_ms:.1f} ms "
              f"({search_ms / embed_ms:.2f}x baseline)")  # fmt: skip

        print(f"\ntop-{settings.top_k} check:")
        for question, doc_id in QUESTIONS:
            found = [p.doc_id for p in assistant.search(question)]
            rank = found.index(doc_id) + 1 if doc_id in found else None
            print(f"  {'ok ' if rank else 'MISS'} rank {rank or '-'}  {question}")


if __name__ == "__main__":
    main()
