"""Vector stores: the ``VectorStore`` protocol and its implementations."""

from rag.index.stores.base import VectorStore
from rag.index.stores.faiss_store import FaissStore

__all__ = ["FaissStore", "VectorStore"]
