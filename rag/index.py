"""The persisted collection: articles, their chunks, the vectors, and a manifest that binds them.

An index is a folder::

    manifest.json    format version, embedder id and dimension, counts, checksums of the rest
    vectors.faiss    the FAISS index, one row per chunk
    chunks.jsonl     chunk metadata and text, one line per row of vectors.faiss, same order
    articles.jsonl   the cleaned articles
    lexical/         BM25 over the same chunks (rag.lexical), rows in the same order

The manifest's checksums cover every file, those under ``lexical/`` included. It is written to
a temporary sibling folder and renamed into place, so a crash never leaves a half-written
index, and loading refuses any folder whose parts do not agree.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from embeddings.base import Embedder

from .chunking import Chunk, chunk_articles
from .documents import Article
from .embed_batches import ProgressFactory, embed_chunks
from .embed_checkpoint import EmbeddingCheckpoint
from .errors import IndexCorruptError, IndexMismatchError, IndexNotFoundError, RagError
from .lexical import LEXICAL_DIR, LexicalIndex
from .stores.faiss_store import FaissStore

FORMAT = "newsrag-index"
FORMAT_VERSION = 2  # 2: the lexical index joined the folder
MANIFEST = "manifest.json"
VECTORS = "vectors.faiss"
CHUNKS = "chunks.jsonl"
ARTICLES = "articles.jsonl"
EMBED_BATCH = 16


@dataclass(frozen=True)
class ChunkingParams:
    max_chars: int = 700
    overlap: int = 1


class Index:
    """Articles, chunks and vectors, kept in step. Thread-safe for one writer, many readers."""

    def __init__(
        self,
        embedder_id: str,
        store: FaissStore,
        articles: Sequence[Article] = (),
        chunks: Sequence[Chunk] = (),
        chunking: ChunkingParams = ChunkingParams(),
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
        chunking: ChunkingParams = ChunkingParams(),
        progress: ProgressFactory | None = None,
        checkpoint: EmbeddingCheckpoint | None = None,
    ) -> Index:
        """``checkpoint`` keeps embedded batches on disk, so a rerun after a crash resumes."""
        index = cls(embedder.model_id, FaissStore(embedder.dimension), chunking=chunking)
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
        chunks = chunk_articles(articles, self.chunking.max_chars, self.chunking.overlap)
        vectors = _embed_chunks(chunks, embedder, progress, checkpoint)  # may fail: no change yet
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

    def search(self, query_vector: np.ndarray, k: int) -> list[tuple[Chunk, float]]:
        with self._lock:
            positions, scores = self.store.search(query_vector, k)
            return [(self.chunks[p], float(s)) for p, s in zip(positions, scores, strict=True)]

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
        """Write the index atomically: a temporary sibling folder, renamed into place."""
        folder = Path(folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=folder.parent))
        staging.chmod(0o755)  # mkdtemp makes it private; an index is ordinary data
        try:
            with self._lock:
                self._write(staging)
            _replace_folder(staging, folder)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    def _write(self, folder: Path) -> None:
        self.store.save(folder / VECTORS)
        _write_jsonl(folder / CHUNKS, (asdict(c) for c in self.chunks))
        _write_jsonl(folder / ARTICLES, (asdict(a) for a in self.articles.values()))
        self.lexical.save(folder / LEXICAL_DIR)
        lexical_files = sorted(p for p in (folder / LEXICAL_DIR).iterdir() if p.is_file())
        names = [VECTORS, CHUNKS, ARTICLES, *(f"{LEXICAL_DIR}/{p.name}" for p in lexical_files)]
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "embedder": {"model_id": self.embedder_id, "dimension": self.dimension},
            "normalized": True,
            "metric": "inner_product",
            "faiss_version": faiss.__version__,
            "chunk_count": len(self.chunks),
            "article_count": len(self.articles),
            "chunking": asdict(self.chunking),
            "extra": self.extra,
            "files": {name: _file_digest(folder / name) for name in names},
        }
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))

    @classmethod
    def load(cls, folder: Path, embedder_id: str | None = None) -> Index:
        """Load and check an index; ``embedder_id`` (if given) must be the one it was built with."""
        folder = Path(folder)
        manifest = read_manifest(folder)
        recorded = manifest["embedder"]["model_id"]
        if embedder_id is not None and recorded != embedder_id:
            raise IndexMismatchError(
                f"index {folder} was built with embedder {recorded!r}, "
                f"but {embedder_id!r} is configured; rebuild it with `rag index`"
            )
        if not (folder / LEXICAL_DIR).is_dir():
            raise IndexCorruptError(
                f"index {folder} has no lexical index ({LEXICAL_DIR}/); rebuild it with `rag index`"
            )
        for name, expected in manifest["files"].items():
            path = folder / name
            if not path.is_file():
                raise IndexCorruptError(f"index {folder} is missing {name}")
            if _file_digest(path) != expected:
                raise IndexCorruptError(f"index file {path} fails its checksum")
        dimension = int(manifest["embedder"]["dimension"])
        store = FaissStore.load(folder / VECTORS, dimension)
        chunks = [Chunk(**row) for row in _read_jsonl(folder / CHUNKS)]
        articles = [Article(**row) for row in _read_jsonl(folder / ARTICLES)]
        lexical = LexicalIndex.load(folder / LEXICAL_DIR)
        if not len(store) == len(chunks) == len(lexical) == manifest["chunk_count"]:
            raise IndexCorruptError(
                f"index {folder}: {len(store)} vectors, {len(chunks)} chunks, "
                f"{len(lexical)} lexical rows, manifest says {manifest['chunk_count']}"
            )
        return cls(
            recorded, store, articles, chunks, ChunkingParams(**manifest["chunking"]),
            manifest.get("extra") or {}, lexical,
        )  # fmt: skip


def read_manifest(folder: Path) -> dict[str, Any]:
    path = Path(folder) / MANIFEST
    if not Path(folder).is_dir():
        raise IndexNotFoundError(f"no index at {folder}")
    if not path.is_file():
        raise IndexCorruptError(f"index {folder} has no {MANIFEST}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT:
            raise IndexCorruptError(f"{path} is not a {FORMAT} manifest")
        version = manifest.get("format_version")
        if version != FORMAT_VERSION:
            raise IndexMismatchError(
                f"index {folder} has format version {version}; this program reads "
                f"{FORMAT_VERSION}: rebuild it with `rag index`"
            )
        manifest["embedder"]["model_id"], int(manifest["embedder"]["dimension"])
        manifest["files"].items()
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise IndexCorruptError(f"{path} is unreadable: {error!r}") from error
    return dict(manifest)


# --- helpers ----------------------------------------------------------------------------------


def _embed_chunks(
    chunks: Sequence[Chunk],
    embedder: Embedder,
    progress: ProgressFactory | None,
    checkpoint: EmbeddingCheckpoint | None = None,
) -> np.ndarray:
    return embed_chunks(chunks, embedder, EMBED_BATCH, progress, checkpoint)


def lexical_text(chunk: Chunk) -> str:
    """What BM25 reads of a chunk: its article's title too, as the embedder does."""
    return f"{chunk.title}\n{chunk.text}"


def _build_lexical(chunks: Sequence[Chunk]) -> LexicalIndex:
    return LexicalIndex.build([lexical_text(c) for c in chunks])


def _write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    try:
        with path.open(encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]
    except (OSError, ValueError) as error:
        raise IndexCorruptError(f"cannot read {path}: {error}") from error


def _file_digest(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return {"sha256": digest.hexdigest(), "bytes": path.stat().st_size}


def _replace_folder(new: Path, target: Path) -> None:
    """Put ``new`` at ``target``; an existing target is moved aside first, then removed."""
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        os.rmdir(old)
        target.rename(old)
    new.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
