"""The default, embedded vector store: an exact FAISS inner-product index."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import faiss
import numpy as np

from rag.errors import IndexCorruptError, IndexMismatchError

if TYPE_CHECKING:
    from rag.ingest.articles import Article
    from rag.ingest.chunking import Chunk


class FaissStore:
    """Exact search (``IndexFlatIP``): at this product's scale (10^5 passages) it answers in
    milliseconds, and it never trades recall for speed."""

    def __init__(self, dimension: int, index: faiss.Index | None = None) -> None:
        self._index = index if index is not None else faiss.IndexFlatIP(dimension)
        if self._index.d != dimension:
            raise IndexMismatchError(
                f"FAISS index has dimension {self._index.d}, expected {dimension}"
            )

    @property
    def dimension(self) -> int:
        return int(self._index.d)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dimension:
            raise IndexMismatchError(
                f"vectors of shape {vectors.shape} do not fit an index of dimension "
                f"{self.dimension}"
            )
        if len(vectors):
            self._index.add(vectors)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        query = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        if query.shape[1] != self.dimension:
            raise IndexMismatchError(
                f"query vector has dimension {query.shape[1]}, the index has {self.dimension}"
            )
        k = min(k, len(self))
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores, positions = self._index.search(query, k)
        keep = positions[0] >= 0
        return positions[0][keep].astype(np.int64), scores[0][keep]

    def similarities(self, query: np.ndarray, positions: Sequence[int]) -> np.ndarray:
        """Inner product of the query with the given rows (rows found by another search)."""
        query = np.ascontiguousarray(query, dtype=np.float32).reshape(-1)
        if not len(positions):
            return np.zeros(0, dtype=np.float32)
        rows = np.stack([self._index.reconstruct(int(p)) for p in positions])
        return (rows @ query).astype(np.float32)

    def rows(self) -> np.ndarray:
        """Every vector, in row order (a copy: to move an index to another store)."""
        if not len(self):
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.asarray(self._index.reconstruct_n(0, len(self)), dtype=np.float32)

    def changed(
        self,
        keep: Sequence[int],
        vectors: np.ndarray,
        chunks: Sequence[Chunk] = (),
        articles: Sequence[Article] = (),
        removed: set[str] | None = None,
    ) -> FaissStore:
        """A new store of the kept rows then the new ones; this one is left as it was.

        Rebuilding the flat index from the kept rows costs one copy of the vectors (measured in
        benchmarks/bench_scale.py); no vector is recomputed."""
        kept = np.asarray(keep, dtype=np.int64)
        store = FaissStore(self.dimension)
        if len(kept):
            store.add(self.rows()[kept])
        store.add(vectors)
        return store

    def describe(self) -> dict[str, Any]:
        return {"kind": "faiss"}

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path, dimension: int) -> FaissStore:
        try:
            index = faiss.read_index(str(path))
        except RuntimeError as error:  # faiss reports unreadable files as RuntimeError
            raise IndexCorruptError(f"cannot read FAISS index {path}: {error}") from error
        return cls(dimension, index)
