"""Vector stores: the ``VectorStore`` protocol and its implementations, one per file.

``FaissStore`` is imported here; ``MilvusStore`` only when an index uses it (pymilvus is an
optional extra, and a heavy import).
"""

from __future__ import annotations

from pathlib import Path

from rag.index.stores.base import LexicalSearch, VectorStore
from rag.index.stores.faiss_store import FaissStore
from rag.settings import Settings


def new_store(dimension: int) -> VectorStore:
    """An empty in-memory exact FAISS store (saved in the index folder)."""
    return FaissStore(dimension)


def new_store_for(settings: Settings, folder: Path, dimension: int) -> VectorStore:
    """An empty store of the kind the settings choose (``RAG_STORE``), for an index at
    ``folder``; a Milvus one is a fresh collection, so a rebuild never touches the live one."""
    if settings.store == "milvus":
        from rag.index.stores.milvus_store import MilvusStore

        return MilvusStore.create(settings.resolved_milvus_uri, folder.name, dimension)
    return FaissStore(dimension)


__all__ = ["FaissStore", "LexicalSearch", "VectorStore", "new_store", "new_store_for"]
