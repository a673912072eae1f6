"""The ``VectorStore`` seam: nearest-neighbour search over unit vectors by inner product.

Two stores sit behind it: ``FaissStore`` (the embedded default, a file in the index folder)
and ``MilvusStore`` (a Milvus collection that holds the vectors, the chunks and the articles,
so that several servers can share it). Rows are addressed by position, the same positions as
the ``Index``'s chunks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from rag.ingest.articles import Article
    from rag.ingest.chunking import Chunk


class VectorStore(Protocol):
    """Rows are addressed by position (0..len-1), in the order they were added."""

    @property
    def dimension(self) -> int: ...

    def __len__(self) -> int: ...

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(positions, scores) of the ``k`` best rows, best first; fewer if the store is small."""
        ...

    def similarities(self, query: np.ndarray, positions: Sequence[int]) -> np.ndarray:
        """Inner product of the query with the given rows (rows another search found)."""
        ...

    def changed(
        self,
        keep: Sequence[int],
        vectors: np.ndarray,
        chunks: Sequence[Chunk],
        articles: Sequence[Article],
        removed: set[str],
    ) -> VectorStore:
        """The store with rows ``keep`` (in that order) then ``vectors`` (the rows of ``chunks``,
        from ``articles``); the articles ``removed`` and those replaced are gone.

        An embedded store returns a new object and leaves itself as it was (the caller saves the
        folder, then swaps); a shared store commits the change itself, crash-safely."""
        ...

    def describe(self) -> dict[str, Any]:
        """What the manifest records to open this store again (``kind`` and its address)."""
        ...


class LexicalSearch(Protocol):
    """BM25 over the same rows, by position."""

    def __len__(self) -> int: ...

    def search(self, question: str, k: int) -> tuple[np.ndarray, np.ndarray]: ...
