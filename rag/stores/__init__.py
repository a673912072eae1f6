"""Vector stores: the ``VectorStore`` protocol and its implementations."""

from .base import VectorStore
from .faiss_store import FaissStore

__all__ = ["FaissStore", "VectorStore"]
