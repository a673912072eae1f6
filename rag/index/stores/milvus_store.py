"""The shared store: a Milvus collection holding the vectors, the chunks' text and metadata, and
the articles, so that several servers can answer from one collection. ``RAG_STORE=milvus``;
``RAG_MILVUS_URI`` names a local file (Milvus Lite) or a server (``http://host:19530``).

Two collections per index: ``NAME`` (one row per chunk: vector, text, doc_id, title, date,
span, and BM25 over the text through Milvus' own BM25 function) and ``NAME_articles`` (each
article as JSON in 16,000-character pieces: a *head* row keyed by doc_id, and the rest).

Crash safety without transactions: every change gets a batch number (milliseconds, so it also
dates the rows). New chunk rows and article pieces are written first under the new batch, then
each article's head row is upserted naming that batch (the commit, one row per article), then
the rows of older batches of those articles are deleted. A reader keeps only the rows of the
batch their head names, so a crash anywhere leaves each article whole, old or new. Orphans older
than ``ORPHAN_AGE_MS`` are deleted on opening (younger ones may be another server's change in
flight).
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import numpy as np

from rag.errors import ConfigError, IndexCorruptError, IndexMismatchError
from rag.ingest.articles import Article
from rag.ingest.chunking import Chunk
from rag.text import tokenize

PIECE_CHARS = 16_000  # a VARCHAR holds 65,535 bytes; a character takes at most 4
ORPHAN_AGE_MS = 10 * 60 * 1000
BATCH_ROWS = 1000  # rows per insert and per query page
_EPOCH_MS = 1_704_067_200_000  # 2024-01-01: batch numbers stay small enough for pk arithmetic
_ROWS_PER_BATCH = 10_000_000  # pk = batch * this + row
_CHUNK_FIELDS = ["pk", "batch", "chunk_id", "doc_id", "title", "date", "text", "start", "end"]
_clients: dict[str, Any] = {}  # one client per URI and process (Milvus Lite: one per file)


def _client(uri: str) -> Any:
    if uri not in _clients:
        try:
            from pymilvus import MilvusClient
        except ImportError as error:
            raise ConfigError(
                "RAG_STORE=milvus needs pymilvus: pip install -e '.[milvus]' (make setup does)"
            ) from error
        # Milvus Lite has no server clock for iterators and says so on every page; harmless.
        logging.getLogger("pymilvus.client.iterator.query_iterator").addFilter(
            lambda record: "mvccTs" not in record.getMessage()
        )
        _clients[uri] = MilvusClient(uri)
    return _clients[uri]


class MilvusStore:
    """Rows are addressed by position, mapped to the collection's primary keys."""

    def __init__(self, uri: str, name: str, dimension: int, keys: Sequence[int] = ()) -> None:
        self.uri, self.name, self._dimension = uri, name, dimension
        self.client = _client(uri)
        self._keys = list(keys)
        self._positions = {key: position for position, key in enumerate(self._keys)}
        self.chunks: list[Chunk] = []  # filled by ``open``
        self.articles: list[Article] = []

    # --- creating, opening, dropping -------------------------------------------------------

    @classmethod
    def create(cls, uri: str, base: str, dimension: int) -> MilvusStore:
        """A new, empty pair of collections (never an existing one: a rebuild builds beside)."""
        name = f"newsrag_{re.sub(r'[^A-Za-z0-9_]', '_', base)[:120]}_{_batch()}"
        store = cls(uri, name, dimension)
        from rag.index.stores.milvus_schema import create_collections

        create_collections(store.client, name, dimension)
        return store

    @classmethod
    def open(cls, described: dict[str, Any], dimension: int) -> MilvusStore:
        """Open the collections a manifest names, with their committed rows."""
        uri, name = str(described["uri"]), str(described["collection"])
        client = _client(uri)
        if not client.has_collection(name):
            raise IndexCorruptError(f"Milvus at {uri} has no collection {name!r}")
        client.load_collection(name)
        client.load_collection(f"{name}_articles")
        heads, articles = _read_articles(client, name)
        rows = sorted(_all_rows(client, name, _CHUNK_FIELDS), key=lambda r: r["pk"])
        live = [r for r in rows if heads.get(r["doc_id"]) == r["batch"]]
        _delete_old_orphans(client, name, [r for r in rows if heads.get(r["doc_id"]) != r["batch"]])
        store = cls(uri, name, dimension, [r["pk"] for r in live])
        store.chunks = [_chunk(r) for r in live]
        store.articles = articles
        return store

    @staticmethod
    def drop(described: dict[str, Any]) -> None:
        """Remove the collections of an index that was replaced."""
        client = _client(str(described["uri"]))
        for name in (described["collection"], f"{described['collection']}_articles"):
            if client.has_collection(name):
                client.drop_collection(name)

    def describe(self) -> dict[str, Any]:
        return {"kind": "milvus", "uri": self.uri, "collection": self.name}

    # --- searching -------------------------------------------------------------------------

    @property
    def dimension(self) -> int:
        return self._dimension

    def __len__(self) -> int:
        return len(self._keys)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        query = np.ascontiguousarray(query, dtype=np.float32).reshape(-1)
        if query.shape[0] != self.dimension:
            raise IndexMismatchError(
                f"query vector has dimension {query.shape[0]}, the index has {self.dimension}"
            )
        return self._search([query.tolist()], "vector", "IP", k)

    def lexical_search(self, question: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """BM25 (Milvus' function) over the chunks' syllable tokens, as ``LexicalIndex`` reads
        them: NFC, lower-cased, one tone-mark placement, numbers canonical."""
        tokens = tokenize(question)
        if not tokens:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        return self._search([" ".join(tokens)], "sparse", "BM25", k)

    def lexical_view(self) -> MilvusLexical:
        return MilvusLexical(self)

    def similarities(self, query: np.ndarray, positions: Sequence[int]) -> np.ndarray:
        query = np.ascontiguousarray(query, dtype=np.float32).reshape(-1)
        if not len(positions):
            return np.zeros(0, dtype=np.float32)
        keys = [self._keys[int(p)] for p in positions]
        rows = self.client.query(self.name, filter=f"pk in {keys}", output_fields=["pk", "vector"])
        vectors = {r["pk"]: np.asarray(r["vector"], dtype=np.float32) for r in rows}
        return np.array([float(vectors[key] @ query) for key in keys], dtype=np.float32)

    def _search(self, data: list[Any], field: str, metric: str, k: int) -> tuple[Any, Any]:
        k = min(k, len(self))
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        hits = self.client.search(
            self.name, data=data, anns_field=field, limit=k, output_fields=["pk"],
            search_params={"metric_type": metric},
        )[0]  # fmt: skip
        found = [
            (self._positions[h["pk"]], h["distance"]) for h in hits if h["pk"] in self._positions
        ]
        positions = np.array([p for p, _ in found], dtype=np.int64)
        # Milvus Lite reports BM25 as a negated distance; the order is best first either way.
        scores = np.array([s for _, s in found], dtype=np.float32)
        if metric == "BM25":  # never negative; Milvus Lite reports it negated
            scores = np.abs(scores)
        return positions, scores

    # --- changing --------------------------------------------------------------------------

    def changed(
        self,
        keep: Sequence[int],
        vectors: np.ndarray,
        chunks: Sequence[Chunk],
        articles: Sequence[Article],
        removed: set[str],
    ) -> MilvusStore:
        """Commit the change to Milvus (see the module's note) and return the new view."""
        if len(vectors) != len(chunks):
            raise IndexCorruptError(f"{len(vectors)} vectors for {len(chunks)} chunks")
        batch = _batch()
        keys = [batch * _ROWS_PER_BATCH + i for i in range(len(chunks))]
        rows = [_chunk_row(k, batch, c, v) for k, c, v in zip(keys, chunks, vectors, strict=True)]
        for start in range(0, len(rows), BATCH_ROWS):
            self.client.insert(self.name, rows[start : start + BATCH_ROWS])
        heads, pieces = _article_rows(articles, batch)
        if pieces:
            self.client.insert(f"{self.name}_articles", pieces)
        if heads:
            self.client.upsert(f"{self.name}_articles", heads)  # the commit
        if removed:
            self.client.delete(f"{self.name}_articles", filter=f"key in {sorted(removed)}")
        changed_ids = sorted({a.doc_id for a in articles} | removed)
        if changed_ids:  # the rows of the versions just replaced or removed
            old = f"doc_id in {changed_ids} and batch != {batch}"
            self.client.delete(self.name, filter=old)
            self.client.delete(f"{self.name}_articles", filter=f"{old} and n > 0")
        # Sealed and indexed now: Milvus Lite searches unflushed rows by brute force in Python,
        # about 10x slower (462 vs 40 ms at 2,000 rows, /tmp probe under load).
        self.client.flush(self.name)
        store = MilvusStore(self.uri, self.name, self.dimension, [
            *(self._keys[i] for i in keep), *keys
        ])  # fmt: skip
        return store


class MilvusLexical:
    """The ``LexicalSearch`` of a Milvus store: its BM25 function, over the same rows."""

    def __init__(self, store: MilvusStore) -> None:
        self.store = store

    def __len__(self) -> int:
        return len(self.store)

    def search(self, question: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        return self.store.lexical_search(question, k)


# --- rows ------------------------------------------------------------------------------------


def _batch() -> int:
    time.sleep(0.002)  # two batches of one process never share a millisecond
    return int(time.time() * 1000) - _EPOCH_MS


def _chunk_row(key: int, batch: int, chunk: Chunk, vector: np.ndarray) -> dict[str, Any]:
    lexical = " ".join(tokenize(f"{chunk.title}\n{chunk.text}")) or "\u2205"
    return {
        "pk": key, "batch": batch, "chunk_id": chunk.chunk_id, "doc_id": chunk.doc_id,
        "title": chunk.title, "date": chunk.date or "", "text": chunk.text, "lexical": lexical,
        "start": chunk.start, "end": chunk.end, "vector": vector.astype(np.float32).tolist(),
    }  # fmt: skip


def _chunk(row: dict[str, Any]) -> Chunk:
    return Chunk(
        row["chunk_id"], row["doc_id"], row["title"], row["date"] or None, row["text"],
        int(row["start"]), int(row["end"]),
    )  # fmt: skip


def _article_rows(
    articles: Sequence[Article], batch: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    heads: list[dict[str, Any]] = []
    pieces: list[dict[str, Any]] = []
    for article in articles:
        record = json.dumps(asdict(article), ensure_ascii=False)
        parts = [record[i : i + PIECE_CHARS] for i in range(0, len(record), PIECE_CHARS)]
        for n, part in enumerate(parts):
            key = article.doc_id if n == 0 else f"{article.doc_id}\x1f{batch}\x1f{n}"
            row = {"key": key, "doc_id": article.doc_id, "batch": batch, "n": n,
                   "pieces": len(parts), "record": part, "dummy": [0.0, 0.0]}  # fmt: skip
            (heads if n == 0 else pieces).append(row)
    return heads, pieces


def _read_articles(client: Any, name: str) -> tuple[dict[str, int], list[Article]]:
    """The committed batch of each article, and the articles, in the order they were added."""
    rows = _all_rows(
        client, f"{name}_articles", ["key", "doc_id", "batch", "n", "pieces", "record"]
    )
    heads = {r["doc_id"]: r for r in rows if r["n"] == 0}
    parts: dict[str, dict[int, str]] = {d: {0: h["record"]} for d, h in heads.items()}
    for row in rows:
        head = heads.get(row["doc_id"])
        if row["n"] > 0 and head is not None and row["batch"] == head["batch"]:
            parts[row["doc_id"]][row["n"]] = row["record"]
    articles = []
    for doc_id, head in sorted(heads.items(), key=lambda item: item[1]["batch"]):
        if len(parts[doc_id]) != head["pieces"]:
            raise IndexCorruptError(f"Milvus collection {name}: article {doc_id} is incomplete")
        record = "".join(parts[doc_id][n] for n in range(head["pieces"]))
        articles.append(Article(**json.loads(record)))
    return {d: h["batch"] for d, h in heads.items()}, articles


def _all_rows(client: Any, name: str, fields: list[str]) -> list[dict[str, Any]]:
    iterator = client.query_iterator(name, batch_size=BATCH_ROWS, filter="", output_fields=fields)
    rows: list[dict[str, Any]] = []
    try:
        while page := iterator.next():
            rows.extend(page)
    finally:
        iterator.close()
    return rows


def _delete_old_orphans(client: Any, name: str, orphans: list[dict[str, Any]]) -> None:
    """Rows of a change that died before (or after) its commit, once surely not in flight."""
    cutoff = _batch() - ORPHAN_AGE_MS
    old = sorted({r["pk"] for r in orphans if r["batch"] < cutoff})
    for start in range(0, len(old), BATCH_ROWS):
        client.delete(name, filter=f"pk in {old[start : start + BATCH_ROWS]}")
