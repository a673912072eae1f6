"""Building an index from files, and the default index over the bundled articles: built on
first use, rebuilt whenever those articles, the embedder or the chunking change."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from pathlib import Path

from embeddings.base import Embedder
from rag.errors import IndexCorruptError, IndexMismatchError, IndexNotFoundError, RagError
from rag.index.checkpoint import EmbeddingCheckpoint
from rag.index.collection import Index
from rag.index.embedding import ProgressFactory
from rag.index.folder import read_manifest
from rag.ingest.articles import SUPPORTED_SUFFIXES, LoadResult, load_articles
from rag.settings import ChunkingParams, Settings

log = logging.getLogger(__name__)


def build_index(
    paths: Iterable[Path | str],
    embedder: Embedder,
    chunking: ChunkingParams,
    progress: ProgressFactory | None = None,
    checkpoint: EmbeddingCheckpoint | None = None,
) -> tuple[Index, LoadResult]:
    """Load the articles under ``paths`` and index them (nothing is saved); with a
    ``checkpoint``, embedded batches are kept on disk, so a rerun after a crash resumes."""
    loaded = load_articles(paths)
    if not loaded.articles:
        problems = "; ".join(str(e) for e in loaded.errors[:3]) or "no articles found"
        raise RagError(f"nothing to index: {problems}")
    return Index.build(loaded.articles, embedder, chunking, progress, checkpoint), loaded


def default_index(
    settings: Settings, embedder: Embedder, progress: ProgressFactory | None = None
) -> Index:
    """The default index, loaded if it is up to date, else (re)built and saved."""
    folder = settings.resolved_index_dir
    fingerprint = default_fingerprint(settings, embedder)
    try:
        if read_manifest(folder).get("extra", {}).get("fingerprint") == fingerprint:
            return Index.load(folder, embedder.model_id)
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
    """Index the bundled articles and save the result as the default index."""
    folder = settings.resolved_index_dir
    checkpoint = EmbeddingCheckpoint.beside(folder, embedder.model_id)  # resumes a crashed build
    index, loaded = build_index(
        [settings.articles_dir], embedder, settings.chunking(), progress, checkpoint
    )
    for error in loaded.errors:
        log.warning("skipped: %s", error)
    index.extra = {
        "fingerprint": default_fingerprint(settings, embedder),
        "sources": [str(settings.articles_dir)],
    }
    index.save(folder)
    checkpoint.remove()
    return index, loaded


def default_fingerprint(settings: Settings, embedder: Embedder) -> str:
    return sources_fingerprint(settings.articles_dir, embedder.model_id, settings.chunking())


def sources_fingerprint(folder: Path, embedder_id: str, chunking: ChunkingParams) -> str:
    """Changes whenever an article file, the embedder or the chunking changes."""
    digest = hashlib.sha256(f"{embedder_id}|{chunking}".encode())
    if folder.is_dir():
        for path in sorted(
            p for p in folder.rglob("*") if p.name.lower().endswith(SUPPORTED_SUFFIXES)
        ):
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
