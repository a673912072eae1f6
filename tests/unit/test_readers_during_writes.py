"""Readers during writes: searches and answers from several threads while batches of articles
are added raise nothing, and every passage returned belongs to an indexed article."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from embeddings.fake import HashingEmbedder
from rag.assistant import Assistant
from rag.generation.fake import FakeGenerator
from rag.settings import Settings

READERS = 8
BATCHES = 20
QUESTIONS = ["Biên chế công chức năm 2021 là bao nhiêu?", "Phương châm năm 2020 là gì?",
             "Who chaired the 2023 review?", "hội nghị tổng kết ngành"]  # fmt: skip


def batch(folder: Path, number: int) -> Path:
    path = folder / f"batch-{number:02d}.jsonl"
    records = [
        {"id": f"b{number}-{i}", "title": f"Hội nghị số {number}-{i}", "date": "2024-03-01",
         "body": f"Năm 2024, hội nghị tổng kết ngành số {number} có {100 + i} đại biểu. "
                 f"Biên chế của đơn vị {number} là {2000 + i} người."}
        for i in range(2)
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", "utf-8")
    return path


def test_searches_and_answers_during_20_batches_of_additions_raise_nothing(
    settings: Settings, tmp_path: Path
) -> None:
    assistant = Assistant.load(
        settings=settings, embedder=HashingEmbedder(), generator=FakeGenerator()
    )
    before = len(assistant.index.articles)
    done = threading.Event()
    failures: list[BaseException] = []
    seen: set[str] = set()
    reads = [0] * READERS

    def read(worker: int) -> None:
        try:
            while not done.is_set() or reads[worker] < 3:
                question = QUESTIONS[(worker + reads[worker]) % len(QUESTIONS)]
                if worker % 2:
                    seen.update(p.doc_id for p in assistant.search(question, k=5))
                else:
                    seen.update(p.doc_id for p in assistant.ask(question).citations)
                reads[worker] += 1
        except BaseException as error:  # reported below, with the worker's traceback
            failures.append(error)

    readers = [threading.Thread(target=read, args=(n,)) for n in range(READERS)]
    for thread in readers:
        thread.start()
    try:
        for number in range(BATCHES):
            result = assistant.add_documents([batch(tmp_path, number)])
            assert result.errors == [] and len(result.articles) == 2
    finally:
        done.set()
        for thread in readers:
            thread.join(60)
    assert failures == []
    assert all(count >= 3 for count in reads)
    assert len(assistant.index.articles) == before + 2 * BATCHES
    assert seen <= set(assistant.index.articles)
    assert any(doc.startswith("b") for doc in seen)  # readers saw articles added meanwhile
