"""Building an index from files, and the default index over the bundled articles and the
articles users added: built on first use, rebuilt whenever those articles, the embedder, the
chunking or the store change. Changes made through the index are logged first
(``rag.index.added``), so a rebuild keeps them."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from embeddings.base import Embedder
from rag.errors import IndexCorruptError, IndexMismatchError, IndexNotFoundError, RagError
from rag.index.added import AddedArticles
from rag.index.checkpoint import EmbeddingCheckpoint
from rag.index.collection import Index, Journal
from rag.index.embedding import ProgressFactory
from rag.index.folder import read_manifest
from rag.index.stores import VectorStore, new_store_for
from rag.ingest.articles import SUPPORTED_SUFFIXES, Article, LoadResult, load_articles
from rag.settings import ChunkingParams, Settings

log = logging.getLogger(__name__)


def build_index(
    paths: Iterable[Path | str],
    embedder: Embedder,
    chunking: ChunkingParams,
    progress: ProgressFactory | None = None,
    store: VectorStore | None = None,
    checkpoint: EmbeddingCheckpoint | None = None,
    sentences: bool = False,
) -> tuple[Index, LoadResult]:
    """Load the articles under ``paths`` and index them into ``store`` (nothing is saved); with
    a ``checkpoint``, embedded batches are kept on disk, so a rerun after a crash resumes;
    ``sentences`` keeps every sentence's vector too (``rag.index.sentences``)."""
    loaded = load_articles(paths)
    if not loaded.articles:
        problems = "; ".join(str(e) for e in loaded.errors[:3]) or "no articles found"
        raise RagError(f"nothing to index: {problems}")
    index = Index.build(loaded.articles, embedder, chunking, progress, store, checkpoint, sentences)
    return index, loaded


def default_index(
    settings: Settings, embedder: Embedder, progress: ProgressFactory | None = None
) -> Index:
    """The default index, loaded if it is up to date, else (re)built and saved."""
    folder = settings.resolved_index_dir
    fingerprint = default_fingerprint(settings, embedder)
    try:
        if read_manifest(folder).get("extra", {}).get("fingerprint") == fingerprint:
            index = Index.load(folder, embedder.model_id)
            index.journal = _journal(settings, embedder)
            return index
        log.info("articles or settings changed since %s was built; rebuilding", folder)
    except IndexNotFoundError:
        log.info("building the default index at %s", folder)
    except (IndexCorruptError, IndexMismatchError) as problem:  # ours and derived: rebuild
        log.warning("default index cannot be used (%s); rebuilding", problem)
    index, _ = rebuild_default_index(settings, embedder, progress)
    return index


def rebuild_default_index(
    settings: Settings, embedder: Embedder, progress: ProgressFactory | None = None
) -> tuple[Index, LoadResult]:
    """Index the bundled articles, with the changes users made to the collection replayed over
    them (``rag.index.added``), and save the result as the default index."""
    loaded = load_articles([settings.articles_dir])
    for error in loaded.errors:
        log.warning("skipped: %s", error)
    loaded.articles = AddedArticles(settings.resolved_added_dir).apply(loaded.articles)
    folder = settings.resolved_index_dir
    store = new_store_for(settings, folder, embedder.dimension)
    checkpoint = EmbeddingCheckpoint.beside(folder, embedder.model_id)  # resumes a crashed build
    index = Index.build(
        loaded.articles, embedder, settings.chunking(), progress, store, checkpoint,
        settings.sentence_vectors,
    )  # fmt: skip
    index.extra = {
        "fingerprint": default_fingerprint(settings, embedder),
        "sources": [str(settings.articles_dir), str(settings.resolved_added_dir)],
    }
    index.save(folder)
    checkpoint.remove()
    index.journal = _journal(settings, embedder)
    return index, loaded


def _journal(settings: Settings, embedder: Embedder) -> Journal:
    """Logs the default collection's changes, and gives the fingerprint they lead to."""
    added = AddedArticles(settings.resolved_added_dir)

    def record(articles: Sequence[Article], removed: set[str]) -> dict[str, Any]:
        added.record(articles, removed)
        return {"fingerprint": default_fingerprint(settings, embedder)}

    return record


def default_fingerprint(settings: Settings, embedder: Embedder) -> str:
    """Changes with the bundled articles, the users' changes, the embedder, the chunking,
    whether sentences are stored, and the store."""
    bundled = sources_fingerprint(
        settings.articles_dir, embedder.model_id, settings.chunking(), settings.sentence_vectors
    )
    added = AddedArticles(settings.resolved_added_dir).digest()
    store = settings.store if settings.store == "faiss" else settings.resolved_milvus_uri
    return hashlib.sha256(f"{bundled}|{added}|{store}".encode()).hexdigest()


def sources_fingerprint(
    folder: Path, embedder_id: str, chunking: ChunkingParams, sentences: bool = False
) -> str:
    """Changes whenever an article file, the embedder, the chunking or ``sentences`` (whether
    sentence vectors are stored) changes."""
    # Without sentences, the digest of the indexes built before they existed.
    digest = hashlib.sha256(f"{embedder_id}|{chunking}{'|sentences' if sentences else ''}".encode())
    if folder.is_dir():
        for path in sorted(
            p for p in folder.rglob("*") if p.name.lower().endswith(SUPPORTED_SUFFIXES)
        ):
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
