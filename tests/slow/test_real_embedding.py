"""EmbeddingGemma through the index's batching: the same vectors as passages embedded alone."""

from __future__ import annotations

import numpy as np
import pytest

from embeddings.factory import make_embedder
from rag.embedder import embedder_dtype
from rag.index.embedding import embed_chunks
from rag.ingest.articles import load_articles
from rag.ingest.chunking import chunk_articles
from rag.settings import Settings

pytestmark = pytest.mark.slow


def test_length_sorted_batches_give_each_passage_its_own_vector(real_settings: Settings) -> None:
    s = real_settings
    embedder = make_embedder(s.embedder, s.resolved_models_dir, embedder_dtype(s), 8)
    articles = load_articles([s.articles_dir]).articles[:2]
    chunks = chunk_articles(articles, s.chunking())[:12]
    batched = embed_chunks(chunks, embedder, batch=6)  # re-ordered by length, then put back
    alone = np.stack([embedder.embed_documents([c.text], [c.title])[0] for c in chunks])
    cosines = (batched * alone).sum(axis=1)
    assert cosines.min() > 1 - 1e-3
