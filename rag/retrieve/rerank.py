"""Sentence-level re-ranking of retrieved passages (opt-in: ``Settings.rerank``).

A passage's vector blends all its sentences, so a passage holding the one sentence that answers
the question can rank below a passage that is about the topic in general. Re-scoring the top
passages as the mean of the passage's score and its best sentence's cosine to the question
raised hit@1 on benchmarks/bench_retrieval.py (mixed-language .935 -> .948), at the price of
embedding every sentence of those passages (~9 sentences/s on a CPU: 3-5 s per question)
unless the index stores sentence vectors (``rag.index.sentences``) or they are cached.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from embeddings.base import Embedder
from rag.index.collection import Index
from rag.ingest.chunking import split_sentences
from rag.types import Passage

ChunkKey = tuple[str, int, int]  # (doc_id, start, end): a passage's place in its article


class SentenceReranker:
    """Re-orders passages by mean(passage score, best sentence cosine); scores stay as they are.

    ``Passage.score`` is left untouched because the evidence gate compares it with a cosine
    threshold; only the order changes. Sentence vectors are kept in a bounded LRU cache keyed by
    the passage's span, so a passage seen again (follow-ups, the same question asked twice)
    costs no embedding. With an ``index`` that stores sentence vectors, those are used and only
    sentences it lacks (a sentence cut at a chunk boundary) are embedded.
    """

    def __init__(
        self, embedder: Embedder, cache_size: int = 4096, index: Index | None = None
    ) -> None:
        if cache_size < 0:
            raise ValueError(f"cache_size must be at least 0, got {cache_size}")
        self.embedder = embedder
        self.cache_size = cache_size
        self.index = index
        self._cache: OrderedDict[ChunkKey, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()  # one reranker serves concurrent chat requests

    def rerank(self, query: np.ndarray, passages: Sequence[Passage], depth: int) -> list[Passage]:
        """The first ``depth`` passages re-ordered (ties keep their order), then the rest."""
        head, tail = list(passages[:depth]), list(passages[depth:])
        scores = [0.5 * p.score + 0.5 * self.best_sentence(query, p) for p in head]
        order = sorted(range(len(head)), key=lambda i: scores[i], reverse=True)
        return [head[i] for i in order] + tail

    def best_sentence(self, query: np.ndarray, passage: Passage) -> float:
        """The highest cosine between the (unit) query vector and a sentence of the passage."""
        return float(np.max(self.sentence_vectors(passage) @ query))

    def sentence_vectors(self, passage: Passage) -> np.ndarray:
        """One row per sentence, embedded as documents with the passage's title, as the index
        embeds passages; cached by the passage's span."""
        key = (passage.doc_id, passage.start, passage.end)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        spans = split_sentences(passage.text) or [(0, len(passage.text))]
        table = self.index.sentences if self.index is not None else None
        stored = (
            table.lookup([(passage.doc_id, passage.start + s, passage.start + e) for s, e in spans])
            if table is not None
            else [None] * len(spans)
        )
        missing = [n for n, vector in enumerate(stored) if vector is None]
        if not missing:
            return np.stack(stored)  # type: ignore[arg-type]  # no None left
        texts = [passage.text[spans[n][0] : spans[n][1]] for n in missing]
        embedded = self.embedder.embed_documents(texts, [passage.title] * len(texts))
        vectors = np.zeros((len(spans), embedded.shape[1]), dtype=np.float32)
        for row, n in enumerate(missing):
            vectors[n] = embedded[row]
        for n, vector in enumerate(stored):
            if vector is not None:
                vectors[n] = vector
        self._remember(key, vectors)
        return vectors

    def _remember(self, key: ChunkKey, vectors: np.ndarray) -> None:
        with self._lock:
            self._cache[key] = vectors
            self._cache.move_to_end(key)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
