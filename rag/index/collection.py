"""The collection in memory: articles, their chunks, the vectors and the lexical index, in step.

Rows are addressed by position: row ``i`` of the vector store and of the lexical index is
``chunks[i]``. Saving and loading go through ``rag.index.folder``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.base import Embedder
from rag.errors import IndexCorruptError, IndexMismatchError, RagError
from rag.index.checkpoint import EmbeddingCheckpoint
from rag.index.embedding import ProgressFactory, embed_chunks
from rag.index.folder import IndexParts, load_folder, save_folder
from rag.index.lexical import LexicalIndex
from rag.index.stores import VectorStore, new_store
from rag.ingest.articles import Article
from rag.ingest.chunking import Chunk, chunk_articles
from rag.settings import ChunkingParams

EMBED_BATCH = 16


class Index:
    """Articles, chunks and vectors, kept in step. Thread-safe for one writer, many readers."""

    def __init__(
        self,
        embedder_id: str,
        store: VectorStore,
        chunking: ChunkingParams,
        articles: Sequence[Article] = (),
        chunks: Sequence[Chunk] = (),
        extra: dict[str, Any] | None = None,
        lexical: LexicalIndex | None = None,
    ) -> None:
        if len(store) != len(chunks):
            raise IndexCorruptError(f"{len(store)} vectors for {len(chunks)} chunks")
        if lexical is not None and len(lexical) != len(chunks):
            raise IndexCorruptError(f"{len(lexical)} lexical rows for {len(chunks)} chunks")
        self.embedder_id = embedder_id
        self.store = store
        self.articles: dict[str, Article] = {a.doc_id: a for a in articles}
        self.chunks: list[Chunk] = list(chunks)
        self.chunking = chunking
        self.extra: dict[str, Any] = dict(extra or {})  # e.g. what the index was built from
        self.lexical = lexical if lexical is not None else _build_lexical(self.chunks)
        self._lock = threading.RLock()

    @property
    def dimension(self) -> int:
        return self.store.dimension

    def __len__(self) -> int:
        return len(self.chunks)

    # --- building ---------------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        articles: Sequence[Article],
        embedder: Embedder,
        chunking: ChunkingParams,
        progress: ProgressFactory | None = None,
        checkpoint: EmbeddingCheckpoint | None = None,
    ) -> Index:
        """``checkpoint`` keeps embedded batches on disk, so a rerun after a crash resumes."""
        index = cls(embedder.model_id, new_store(embedder.dimension), chunking)
        index.add_articles(articles, embedder, progress, checkpoint)
        return index

    def add_articles(
        self,
        articles: Iterable[Article],
        embedder: Embedder,
        progress: ProgressFactory | None = None,
        checkpoint: EmbeddingCheckpoint | None = None,
    ) -> list[Chunk]:
        """Chunk, embed and add articles; all or nothing. Returns the chunks added."""
        articles = list(articles)
        self._check_embedder(embedder)
        ids = [a.doc_id for a in articles]
        if len(set(ids)) != len(ids):
            repeated = sorted({i for i in ids if ids.count(i) > 1})
            raise RagError(f"the same doc_id appears twice: {', '.join(repeated[:5])}")
        clashes = sorted(set(ids) & self.articles.keys())
        if clashes:
            raise RagError(f"articles already in the index: {', '.join(clashes[:5])}")
        chunks = chunk_articles(articles, self.chunking)
        # May fail: nothing has changed yet.
        vectors = embed_chunks(chunks, embedder, EMBED_BATCH, progress, checkpoint)
        lexical = _build_lexical([*self.chunks, *chunks])  # rebuilt whole: cheap next to embedding
        with self._lock:
            self.store.add(vectors)
            self.chunks.extend(chunks)
            self.articles.update((a.doc_id, a) for a in articles)
            self.lexical = lexical
        return chunks

    def _check_embedder(self, embedder: Embedder) -> None:
        if embedder.model_id != self.embedder_id:
            raise IndexMismatchError(
                f"index was built with embedder {self.embedder_id!r}, not {embedder.model_id!r}"
            )

    # --- searching --------------------------------------------------------------------------

    def dense_search(self, query_vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(row positions, cosine similarities) of the ``k`` nearest chunks, best first."""
        with self._lock:
            return self.store.search(query_vector, k)

    def lexical_search(self, question: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(row positions, BM25 scores) of the ``k`` best lexical matches, best first."""
        with self._lock:
            return self.lexical.search(question, k)

    def similarities(self, query_vector: np.ndarray, positions: Sequence[int]) -> np.ndarray:
        """Cosine similarity of the query to the given rows (for chunks found by BM25 alone)."""
        with self._lock:
            return self.store.similarities(query_vector, positions)

    # --- saving and loading -----------------------------------------------------------------

    def save(self, folder: Path) -> None:
        """Write the index atomically (``rag.index.folder``)."""
        with self._lock:
            parts = IndexParts(
                self.embedder_id, self.store, list(self.articles.values()), self.chunks,
                self.chunking, self.extra, self.lexical,
            )  # fmt: skip
            save_folder(parts, Path(folder))

    @classmethod
    def load(cls, folder: Path, embedder_id: str | None = None) -> Index:
        """Load and check an index; ``embedder_id`` (if given) must be the one it was built with."""
        parts = load_folder(Path(folder), embedder_id)
        return cls(
            parts.embedder_id, parts.store, parts.chunking, parts.articles, parts.chunks,
            parts.extra, parts.lexical,
        )  # fmt: skip


# --- helpers ----------------------------------------------------------------------------------


def lexical_text(chunk: Chunk) -> str:
    """What BM25 reads of a chunk: its article's title too, as the embedder does."""
    return f"{chunk.title}\n{chunk.text}"


def _build_lexical(chunks: Sequence[Chunk]) -> LexicalIndex:
    return LexicalIndex.build([lexical_text(c) for c in chunks])
