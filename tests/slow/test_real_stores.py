"""EmbeddingGemma over the bundled articles on both stores: every dev-set question gets the same
top-1 article from FAISS and from Milvus Lite (the same vectors, copied, not re-embedded)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.assistant import Assistant
from rag.index.collection import Index
from rag.index.stores.faiss_store import FaissStore
from rag.settings import Settings
from rag.text import normalize

pytestmark = pytest.mark.slow
DEVSET = Path(__file__).resolve().parents[2] / "eval" / "devset.jsonl"


def test_the_dev_set_finds_the_same_top_article_on_faiss_and_milvus(
    real_settings: Settings, tmp_path: Path
) -> None:
    pytest.importorskip("milvus_lite")
    from rag.index.stores.milvus_store import MilvusStore

    faiss = Assistant.load(settings=real_settings)
    index = faiss.index
    assert isinstance(index.store, FaissStore)
    rows = index.store.rows()  # the same vectors: only the store differs
    store = MilvusStore.create(str(tmp_path / "m.db"), "real", index.dimension)
    store = store.changed([], rows, index.chunks, list(index.articles.values()), set())
    milvus_index = Index(index.embedder_id, store, index.chunking, index.articles.values(),
                         index.chunks)  # fmt: skip
    milvus = Assistant(milvus_index, faiss.embedder, real_settings)
    questions = [json.loads(line)["question"] for line in DEVSET.open(encoding="utf-8")]
    differ = []
    for question in (normalize(q) for q in questions):
        query = faiss.embedder.embed_query(question)  # once for both stores
        on_faiss = faiss.retriever.retrieve_with_vector(question, query, 1)[0]
        on_milvus = milvus.retriever.retrieve_with_vector(question, query, 1)[0]
        if on_faiss.doc_id != on_milvus.doc_id:
            differ.append(question)
    assert differ == []
