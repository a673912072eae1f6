"""Vector stores: the ``VectorStore`` protocol and its implementations, one per file."""

from rag.index.stores.base import VectorStore
from rag.index.stores.faiss_store import FaissStore


def new_store(dimension: int) -> VectorStore:
    """An empty store of the kind new indexes use (exact FAISS, saved in the index folder)."""
    return FaissStore(dimension)


__all__ = ["FaissStore", "VectorStore", "new_store"]
