"""The index folder: its files, the manifest that binds them, and writing it atomically.

An index is a folder::

    manifest.json    format version, embedder id and dimension, counts, checksums of the rest
    vectors.faiss    the FAISS index, one row per chunk
    chunks.jsonl     chunk metadata and text, one line per row of vectors.faiss, same order
    articles.jsonl   the cleaned articles
    lexical/         BM25 over the same chunks (rag.index.lexical), rows in the same order

The manifest's checksums cover every file, those under ``lexical/`` included. It is written to
a temporary sibling folder and renamed into place, so a crash never leaves a half-written
index, and reading refuses any folder whose parts do not agree. This module knows the files,
not the ``Index`` that is made of them (``rag.index.collection``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import faiss

from rag.errors import IndexCorruptError, IndexMismatchError, IndexNotFoundError
from rag.index.lexical import LEXICAL_DIR, LexicalIndex
from rag.index.stores.base import VectorStore
from rag.index.stores.faiss_store import FaissStore
from rag.ingest.articles import Article
from rag.ingest.chunking import Chunk
from rag.settings import ChunkingParams

FORMAT = "newsrag-index"
FORMAT_VERSION = 2  # 2: the lexical index joined the folder
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
    lexical: LexicalIndex


def save_folder(parts: IndexParts, folder: Path) -> None:
    """Write the parts atomically: a temporary sibling folder, renamed into place."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=folder.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; an index is ordinary data
    try:
        _write(parts, staging)
        _replace_folder(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _write(parts: IndexParts, folder: Path) -> None:
    parts.store.save(folder / VECTORS)
    _write_jsonl(folder / CHUNKS, (asdict(c) for c in parts.chunks))
    _write_jsonl(folder / ARTICLES, (asdict(a) for a in parts.articles))
    parts.lexical.save(folder / LEXICAL_DIR)
    lexical_files = sorted(p for p in (folder / LEXICAL_DIR).iterdir() if p.is_file())
    names = [VECTORS, CHUNKS, ARTICLES, *(f"{LEXICAL_DIR}/{p.name}" for p in lexical_files)]
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "embedder": {"model_id": parts.embedder_id, "dimension": parts.store.dimension},
        "normalized": True,
        "metric": "inner_product",
        "faiss_version": faiss.__version__,
        "chunk_count": len(parts.chunks),
        "article_count": len(parts.articles),
        "chunking": asdict(parts.chunking),
        "extra": parts.extra,
        "files": {name: _file_digest(folder / name) for name in names},
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))


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
    store = FaissStore.load(folder / VECTORS, int(manifest["embedder"]["dimension"]))
    chunks = [Chunk(**row) for row in _read_jsonl(folder / CHUNKS)]
    articles = [Article(**row) for row in _read_jsonl(folder / ARTICLES)]
    lexical = LexicalIndex.load(folder / LEXICAL_DIR)
    if not len(store) == len(chunks) == len(lexical) == manifest["chunk_count"]:
        raise IndexCorruptError(
            f"index {folder}: {len(store)} vectors, {len(chunks)} chunks, "
            f"{len(lexical)} lexical rows, manifest says {manifest['chunk_count']}"
        )
    chunking = ChunkingParams(**manifest["chunking"])
    return IndexParts(
        recorded, store, articles, chunks, chunking, manifest.get("extra") or {}, lexical
    )


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
