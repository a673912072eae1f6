"""The index folder: its files, the manifest that binds them, and writing it atomically.

An index is a folder::

    manifest.json    format version, embedder id and dimension, counts, checksums of the rest
    vectors.faiss    the FAISS index, one row per chunk
    chunks.jsonl     chunk metadata and text, one line per row of vectors.faiss, same order
    articles.jsonl   the cleaned articles
    lexical/         BM25 over the same chunks (rag.index.lexical), rows in the same order
    sentences.*      every sentence's vector, when the index keeps them (rag.index.sentences)

The manifest's checksums cover every file, those under ``lexical/`` included. It is written to
a staging sibling folder and swapped into place (``rag.index.swap``), so a crash never leaves a
half-written index, and reading refuses any folder whose parts do not agree. With the Milvus
store (``manifest["store"]["kind"] == "milvus"``) the rows live in the Milvus collection the
manifest names, and the folder holds the manifest alone. This module knows the files,
not the ``Index`` that is made of them (``rag.index.collection``).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import faiss

from rag.errors import IndexCorruptError, IndexMismatchError, IndexNotFoundError
from rag.index.lexical import LEXICAL_DIR, LexicalIndex
from rag.index.sentences import VECTORS as SENTENCE_VECTORS
from rag.index.sentences import SentenceTable
from rag.index.stores.base import LexicalSearch, VectorStore
from rag.index.stores.faiss_store import FaissStore
from rag.index.swap import recover, staging_folder, swap_in
from rag.ingest.articles import Article
from rag.ingest.chunking import Chunk
from rag.settings import ChunkingParams

FORMAT = "newsrag-index"
FORMAT_VERSION = 3  # 2: the lexical index joined the folder; 3: the store kind (FAISS, Milvus)
MANIFEST = "manifest.json"
VECTORS = "vectors.faiss"
CHUNKS = "chunks.jsonl"
ARTICLES = "articles.jsonl"


@dataclass
class IndexParts:
    """What an index folder holds, read and checked."""

    embedder_id: str
    store: VectorStore
    articles: list[Article]
    chunks: list[Chunk]
    chunking: ChunkingParams
    extra: dict[str, Any]
    lexical: LexicalSearch
    sentences: SentenceTable | None = None


def save_folder(parts: IndexParts, folder: Path) -> None:
    """Write the parts atomically: a locked staging folder, swapped into place
    (``rag.index.swap``). A shared store (Milvus) holds its own rows: its folder is the
    manifest alone."""
    folder = Path(folder)
    previous = _previous_store(folder)
    with staging_folder(folder) as staging:
        _write(parts, staging)
        swap_in(staging, folder)
    if previous.get("kind") == "milvus" and previous != parts.store.describe():
        from rag.index.stores.milvus_store import MilvusStore

        MilvusStore.drop(previous)  # the rows of the index this one replaced


def _previous_store(folder: Path) -> dict[str, Any]:
    try:
        return dict(read_manifest(folder)["store"])
    except (IndexNotFoundError, IndexCorruptError, IndexMismatchError, KeyError):
        return {}


def _write(parts: IndexParts, folder: Path) -> None:
    names: list[str] = []
    store = parts.store.describe()
    if store["kind"] == "faiss":
        _write_local_rows(parts, folder)
        lexical_files = sorted(p for p in (folder / LEXICAL_DIR).iterdir() if p.is_file())
        names = [VECTORS, CHUNKS, ARTICLES, *(f"{LEXICAL_DIR}/{p.name}" for p in lexical_files)]
    if parts.sentences is not None:  # kept in the folder whatever the store
        names += parts.sentences.save(folder)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "embedder": {"model_id": parts.embedder_id, "dimension": parts.store.dimension},
        "normalized": True,
        "metric": "inner_product",
        "store": store,
        "faiss_version": faiss.__version__,
        "chunk_count": len(parts.chunks),
        "article_count": len(parts.articles),
        "sentence_count": None if parts.sentences is None else len(parts.sentences),
        "chunking": asdict(parts.chunking),
        "extra": parts.extra,
        "files": {name: _file_digest(folder / name) for name in names},
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))


def _write_local_rows(parts: IndexParts, folder: Path) -> None:
    if not isinstance(parts.store, FaissStore) or not isinstance(parts.lexical, LexicalIndex):
        raise TypeError("a FAISS index folder needs a FaissStore and a LexicalIndex")
    parts.store.save(folder / VECTORS)
    _write_jsonl(folder / CHUNKS, (asdict(c) for c in parts.chunks))
    _write_jsonl(folder / ARTICLES, (asdict(a) for a in parts.articles))
    parts.lexical.save(folder / LEXICAL_DIR)


def load_folder(folder: Path, embedder_id: str | None = None) -> IndexParts:
    """Read and check an index folder; ``embedder_id`` (if given) must be the one it was built
    with."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    recorded = manifest["embedder"]["model_id"]
    if embedder_id is not None and recorded != embedder_id:
        raise IndexMismatchError(
            f"index {folder} was built with embedder {recorded!r}, "
            f"but {embedder_id!r} is configured; rebuild it with `rag index`"
        )
    dimension = int(manifest["embedder"]["dimension"])
    chunking = ChunkingParams(**manifest["chunking"])
    extra = manifest.get("extra") or {}
    store = manifest["store"]
    if store["kind"] == "milvus":
        from rag.index.stores.milvus_store import MilvusStore  # pymilvus only when used

        _check_files(folder, manifest)
        shared = MilvusStore.open(store, dimension)
        parts = IndexParts(
            recorded, shared, shared.articles, shared.chunks, chunking, extra, shared.lexical_view()
        )
    else:
        parts = _load_local_rows(folder, manifest, recorded, chunking, extra)
    if SENTENCE_VECTORS in manifest["files"]:
        parts.sentences = SentenceTable.load(folder, dimension)
        if len(parts.sentences) != manifest.get("sentence_count"):
            raise IndexCorruptError(
                f"index {folder}: {len(parts.sentences)} sentence vectors, "
                f"manifest says {manifest.get('sentence_count')}"
            )
    return parts


def _load_local_rows(
    folder: Path, manifest: dict[str, Any], recorded: str, chunking: ChunkingParams,
    extra: dict[str, Any],
) -> IndexParts:  # fmt: skip
    if not (folder / LEXICAL_DIR).is_dir():
        raise IndexCorruptError(
            f"index {folder} has no lexical index ({LEXICAL_DIR}/); rebuild it with `rag index`"
        )
    _check_files(folder, manifest)
    store = FaissStore.load(folder / VECTORS, int(manifest["embedder"]["dimension"]))
    chunks = [Chunk(**row) for row in _read_jsonl(folder / CHUNKS)]
    articles = [Article(**row) for row in _read_jsonl(folder / ARTICLES)]
    lexical = LexicalIndex.load(folder / LEXICAL_DIR)
    if not len(store) == len(chunks) == len(lexical) == manifest["chunk_count"]:
        raise IndexCorruptError(
            f"index {folder}: {len(store)} vectors, {len(chunks)} chunks, "
            f"{len(lexical)} lexical rows, manifest says {manifest['chunk_count']}"
        )
    return IndexParts(recorded, store, articles, chunks, chunking, extra, lexical)


def _check_files(folder: Path, manifest: dict[str, Any]) -> None:
    for name, expected in manifest["files"].items():
        path = folder / name
        if not path.is_file():
            raise IndexCorruptError(f"index {folder} is missing {name}")
        if _file_digest(path) != expected:
            raise IndexCorruptError(f"index file {path} fails its checksum")


def read_manifest(folder: Path) -> dict[str, Any]:
    recover(Path(folder))  # a swap that died halfway leaves the previous folder beside it
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
        if manifest["store"]["kind"] not in ("faiss", "milvus"):
            raise ValueError(f"unknown store kind {manifest['store']['kind']!r}")
        ChunkingParams(**manifest["chunking"])
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise IndexCorruptError(f"{path} is unreadable: {error!r}") from error
    return dict(manifest)


# --- helpers ----------------------------------------------------------------------------------


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
