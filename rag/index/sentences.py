"""Sentence vectors, computed at index time, so that choosing an answer's sentences
(``rag.answer.focus``) and re-ranking passages by their best sentence (``rag.retrieve.rerank``)
cost no embedding at question time.

Every sentence of every article (``split_sentences`` over the article's text) is embedded as a
document under its article's title, as passages are. Rows are keyed by (doc_id, start, end),
the sentence's span in its article, so any passage, however merged or cut, finds its sentences.

In the index folder::

    sentences.npy      float16 rows (n, dimension): half the disk and memory of float32; a
                       cosine moves by < 1e-3, far below what tells sentences apart
    sentences.jsonl    [doc_id, start, end] per row, same order

Both are listed, with checksums, in the index manifest. Compromise: sentences roughly double
the embedding work of an index build (they hold about the passages' tokens again); a large
collection may turn them off (``RAG_SENTENCE_VECTORS=false``) and have sentences embedded on
demand instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from embeddings.base import Embedder
from rag.errors import IndexCorruptError
from rag.index.checkpoint import EmbeddingCheckpoint
from rag.index.embedding import ProgressFactory, embed_chunks
from rag.ingest.articles import Article
from rag.ingest.chunking import Chunk, split_sentences

VECTORS = "sentences.npy"
KEYS = "sentences.jsonl"
FILES = (VECTORS, KEYS)
SentenceKey = tuple[str, int, int]  # (doc_id, start, end) in the article's text


class SentenceTable:
    """Unit vectors of the articles' sentences, by (doc_id, start, end). Never changed in
    place: ``changed`` returns a new table, as the index swaps whole states."""

    def __init__(self, dimension: int, keys: Sequence[SentenceKey] = (),
                 vectors: np.ndarray | None = None) -> None:  # fmt: skip
        vectors = np.zeros((0, dimension), np.float16) if vectors is None else vectors
        if vectors.shape != (len(keys), dimension):
            raise IndexCorruptError(
                f"sentence vectors of shape {vectors.shape} for {len(keys)} sentences "
                f"of dimension {dimension}"
            )
        self.dimension = dimension
        self.keys = list(keys)
        self.vectors = vectors.astype(np.float16, copy=False)
        self._row = {key: row for row, key in enumerate(self.keys)}

    def __len__(self) -> int:
        return len(self.keys)

    def lookup(self, keys: Sequence[SentenceKey]) -> list[np.ndarray | None]:
        """Each key's vector (float32), or None for a sentence the table does not hold."""
        rows = [self._row.get(key) for key in keys]
        return [None if r is None else self.vectors[r].astype(np.float32) for r in rows]

    def changed(self, removed: set[str], added: SentenceTable) -> SentenceTable:
        """This table without the sentences of the ``removed`` doc_ids, plus ``added``."""
        keep = [row for row, key in enumerate(self.keys) if key[0] not in removed]
        keys = [self.keys[row] for row in keep] + added.keys
        vectors = np.concatenate([self.vectors[keep], added.vectors])
        return SentenceTable(self.dimension, keys, vectors)

    @classmethod
    def embed(
        cls,
        articles: Iterable[Article],
        embedder: Embedder,
        batch: int,
        progress: ProgressFactory | None = None,
        checkpoint: EmbeddingCheckpoint | None = None,
    ) -> SentenceTable:
        """Every sentence of ``articles``, embedded (in length-sorted batches; resumable from
        the build's ``checkpoint``, which keys rows by title and text)."""
        pieces = [
            Chunk(f"{a.doc_id}@{start}", a.doc_id, a.title, a.date, a.text[start:end], start, end)
            for a in articles
            for start, end in split_sentences(a.text)
        ]
        vectors = embed_chunks(pieces, embedder, batch, progress, checkpoint)
        keys = [(p.doc_id, p.start, p.end) for p in pieces]
        return cls(embedder.dimension, keys, vectors.astype(np.float16))

    # --- saving and loading -----------------------------------------------------------------

    def save(self, folder: Path) -> list[str]:
        """Write the two files into ``folder`` (a staging folder); returns their names."""
        with (folder / VECTORS).open("wb") as handle:
            np.save(handle, self.vectors, allow_pickle=False)
        with (folder / KEYS).open("w", encoding="utf-8") as handle:
            for key in self.keys:
                handle.write(json.dumps(list(key), ensure_ascii=False) + "\n")
        return list(FILES)

    @classmethod
    def load(cls, folder: Path, dimension: int) -> SentenceTable:
        try:
            vectors = np.load(folder / VECTORS, allow_pickle=False)
            with (folder / KEYS).open(encoding="utf-8") as handle:
                keys = [_key(json.loads(line)) for line in handle if line.strip()]
        except (OSError, ValueError, TypeError) as error:
            raise IndexCorruptError(
                f"cannot read the sentence vectors in {folder}: {error}"
            ) from error
        if vectors.dtype != np.float16 or vectors.ndim != 2:
            raise IndexCorruptError(f"{folder / VECTORS} holds {vectors.dtype} {vectors.shape}")
        return cls(dimension, keys, vectors)


def _key(row: object) -> SentenceKey:
    if not (isinstance(row, list) and len(row) == 3 and isinstance(row[0], str)
            and all(isinstance(v, int) for v in row[1:])):  # fmt: skip
        raise ValueError(f"not a [doc_id, start, end] row: {row!r}")
    return row[0], row[1], row[2]
