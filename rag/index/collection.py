"""The collection in memory: articles, their chunks, the vectors and the lexical index, in step.

Rows are addressed by position: row ``i`` of the vector store and of the lexical index is
``chunks[i]``. Saving and loading go through ``rag.index.folder``. Every change (articles
added, replaced, removed) is made beside the current state, saved, and only then swapped in.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.base import Embedder
from rag.errors import ArticleNotFoundError, IndexCorruptError, IndexMismatchError, RagError
from rag.index.checkpoint import EmbeddingCheckpoint
from rag.index.embedding import ProgressFactory, embed_chunks
from rag.index.folder import IndexParts, load_folder, save_folder
from rag.index.lexical import LexicalIndex
from rag.index.sentences import SentenceTable
from rag.index.stores import VectorStore, new_store
from rag.index.stores.base import LexicalSearch
from rag.ingest.articles import Article
from rag.ingest.chunking import Chunk, chunk_articles
from rag.settings import ChunkingParams

EMBED_BATCH = 16

# Told of a change (articles added or replaced, doc_ids removed) before it is saved; returns
# what to update in ``Index.extra`` (the default collection's fingerprint).
Journal = Callable[[Sequence[Article], set[str]], dict[str, Any]]


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
        lexical: LexicalSearch | None = None,
        sentences: SentenceTable | None = None,
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
        # Every article's sentence vectors (rag.index.sentences), kept in step with the
        # articles when the index has them; None: sentences are embedded when needed.
        self.sentences = sentences
        self.lexical: LexicalSearch = (
            lexical if lexical is not None else _lexical_for(store, self.chunks)
        )
        # Where changes are saved before they count (set by ``load`` and ``save``), and what
        # else must hear of them first (the default collection's own articles).
        self.folder: Path | None = None
        self.journal: Journal | None = None
        self._lock = threading.RLock()  # readers see one state, never half of a change
        self._write_lock = threading.Lock()  # one change at a time

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
        store: VectorStore | None = None,
        checkpoint: EmbeddingCheckpoint | None = None,
        sentences: bool = False,
    ) -> Index:
        """A new index (not saved) over an empty ``store``, by default an in-memory FAISS one.
        ``checkpoint`` keeps embedded batches on disk, so a rerun after a crash resumes;
        ``sentences`` stores every sentence's vector too (``rag.index.sentences``)."""
        fresh = store if store is not None else new_store(embedder.dimension)
        table = SentenceTable(embedder.dimension) if sentences else None
        index = cls(embedder.model_id, fresh, chunking, sentences=table)
        index.add_articles(articles, embedder, progress, checkpoint)
        return index

    def add_articles(
        self,
        articles: Iterable[Article],
        embedder: Embedder,
        progress: ProgressFactory | None = None,
        checkpoint: EmbeddingCheckpoint | None = None,
    ) -> list[Chunk]:
        """Chunk, embed and add articles; one whose doc_id is indexed replaces that article.
        All or nothing; with a ``folder``, saved there before it counts. Returns the new chunks.
        """
        articles = list(articles)
        self._check_embedder(embedder)
        ids = [a.doc_id for a in articles]
        if len(set(ids)) != len(ids):
            repeated = sorted({i for i in ids if ids.count(i) > 1})
            raise RagError(f"the same doc_id appears twice: {', '.join(repeated[:5])}")
        chunks = chunk_articles(articles, self.chunking)
        # May fail: nothing has changed yet.
        vectors = embed_chunks(chunks, embedder, EMBED_BATCH, progress, checkpoint)
        sentences = None
        if self.sentences is not None:
            sentences = SentenceTable.embed(articles, embedder, EMBED_BATCH, progress, checkpoint)
        self._commit(articles, chunks, vectors, removed=set(), sentences=sentences)
        return chunks

    def remove_articles(self, doc_ids: Iterable[str]) -> list[str]:
        """Remove articles with their chunks, vectors and BM25 rows; no vector is recomputed.
        Unknown doc_ids are an error and nothing is removed. Returns the doc_ids removed."""
        doc_ids = list(dict.fromkeys(doc_ids))
        unknown = [d for d in doc_ids if d not in self.articles]
        if unknown:
            raise ArticleNotFoundError(f"no such article in the index: {', '.join(unknown[:5])}")
        empty = np.zeros((0, self.dimension), dtype=np.float32)
        self._commit([], [], empty, removed=set(doc_ids))
        return doc_ids

    def _commit(
        self, articles: list[Article], chunks: list[Chunk], vectors: np.ndarray,
        removed: set[str], sentences: SentenceTable | None = None,
    ) -> None:  # fmt: skip
        """Apply a change: the new state is made beside the current one, saved (when the index
        has a folder), and only then swapped in, so a failure or a crash keeps the old state."""
        with self._write_lock:
            gone = removed | {a.doc_id for a in articles}
            keep = [i for i, c in enumerate(self.chunks) if c.doc_id not in gone]
            new_chunks = [*(self.chunks[i] for i in keep), *chunks]
            new_articles = {d: a for d, a in self.articles.items() if d not in gone}
            new_articles.update((a.doc_id, a) for a in articles)
            store = self.store.changed(keep, vectors, chunks, articles, removed)
            lexical = _lexical_for(store, new_chunks, self.lexical, keep, chunks)
            table = None
            if self.sentences is not None:
                added = sentences or SentenceTable(self.sentences.dimension)
                table = self.sentences.changed(gone, added)
            extra = dict(self.extra)
            if self.journal is not None:  # first, so that a rebuild would include the change
                extra.update(self.journal(articles, removed))
            if self.folder is not None:
                parts = IndexParts(
                    self.embedder_id, store, list(new_articles.values()), new_chunks,
                    self.chunking, extra, lexical, table,
                )  # fmt: skip
                save_folder(parts, self.folder)
            with self._lock:
                self.store, self.chunks, self.articles = store, new_chunks, new_articles
                self.lexical, self.extra, self.sentences = lexical, extra, table

    def _check_embedder(self, embedder: Embedder) -> None:
        if embedder.model_id != self.embedder_id:
            raise IndexMismatchError(
                f"index was built with embedder {self.embedder_id!r}, not {embedder.model_id!r}"
            )

    # --- searching --------------------------------------------------------------------------

    def view(self) -> Index:
        """This index as it is now, unaffected by later changes: a search that reads positions
        from one call and chunks from another must not see a change in between."""
        with self._lock:
            frozen = Index.__new__(Index)
            frozen.__dict__.update(self.__dict__)
        frozen.journal, frozen.folder = None, None  # a view is read-only
        return frozen

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
        """Write the index atomically (``rag.index.folder``); later changes are saved there."""
        with self._lock:
            parts = IndexParts(
                self.embedder_id, self.store, list(self.articles.values()), self.chunks,
                self.chunking, self.extra, self.lexical, self.sentences,
            )  # fmt: skip
            save_folder(parts, Path(folder))
            self.folder = Path(folder)

    @classmethod
    def load(cls, folder: Path, embedder_id: str | None = None) -> Index:
        """Load and check an index; ``embedder_id`` (if given) must be the one it was built with."""
        parts = load_folder(Path(folder), embedder_id)
        index = cls(
            parts.embedder_id, parts.store, parts.chunking, parts.articles, parts.chunks,
            parts.extra, parts.lexical, parts.sentences,
        )  # fmt: skip
        index.folder = Path(folder)
        return index


# --- helpers ----------------------------------------------------------------------------------


def lexical_text(chunk: Chunk) -> str:
    """What BM25 reads of a chunk: its article's title too, as the embedder does."""
    return f"{chunk.title}\n{chunk.text}"


def _lexical_for(
    store: VectorStore,
    chunks: Sequence[Chunk],
    current: LexicalSearch | None = None,
    keep: Sequence[int] = (),
    new: Sequence[Chunk] = (),
) -> LexicalSearch:
    """The store's own BM25 if it has one (Milvus); else bm25s, from the current index's rows
    ``keep`` and the ``new`` chunks when it has their tokens, or built over all ``chunks``."""
    own = getattr(store, "lexical_view", None)
    if own is not None:
        view: LexicalSearch = own()
        return view
    if isinstance(current, LexicalIndex):
        changed = current.changed(keep, [lexical_text(c) for c in new])
        if changed is not None:
            return changed
    return LexicalIndex.build([lexical_text(c) for c in chunks])
