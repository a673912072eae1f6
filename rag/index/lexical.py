"""BM25 over the same chunks as the vector index, on Vietnamese syllables.

Vietnamese writes words as space-separated syllables, so syllable tokens (lower-cased, NFC,
one tone-mark placement, numbers canonical: 247.344 -> 247344) already match across spelling
variants. The index lives in the index folder beside the FAISS file, as bm25s's numpy arrays
(``allow_pickle=False``) and JSON, and is covered by the same manifest.

Each row's token ids are kept (and saved) too, so a change (articles added, replaced,
removed) tokenizes only the new rows: tokenizing is most of the cost of building (7.1 of 8.2 s
for 5,000 passages, /tmp probe); bm25s then re-indexes the ids, which stays linear in the rows
(benchmarks/bench_scale.py; past about 10^5 passages, the Milvus store's own BM25 scales).
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np
from bm25s.tokenization import Tokenized

from rag.errors import IndexCorruptError
from rag.text import tokenize

LEXICAL_DIR = "lexical"
_EMPTY = "\u2205"  # bm25s refuses empty documents
log = logging.getLogger(__name__)


class LexicalIndex:
    """Rows are addressed by position, in the same order as the vector store's."""

    def __init__(
        self,
        engine: bm25s.BM25 | None,
        size: int,
        token_ids: list[np.ndarray] | None = None,
        vocabulary: dict[str, int] | None = None,
    ) -> None:
        self._engine = engine
        self._size = size
        self._token_ids = token_ids  # None: an index saved without them (rebuilt on change)
        self._vocab: dict[str, int] = dict(vocabulary or {})
        known = engine.vocab_dict if engine is not None else {}
        self._vocabulary: set[str] = set(known)

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalIndex:
        vocab: dict[str, int] = {}
        return cls._from_ids(_encode(texts, vocab), vocab)

    def changed(self, keep: Sequence[int], texts: Sequence[str]) -> LexicalIndex | None:
        """A new index of rows ``keep`` then ``texts``; None if this one has no token ids."""
        if self._token_ids is None:
            return None
        vocab = dict(self._vocab)
        ids = [self._token_ids[i] for i in keep] + _encode(texts, vocab)
        return LexicalIndex._from_ids(ids, vocab)

    @classmethod
    def _from_ids(cls, ids: list[np.ndarray], vocab: dict[str, int]) -> LexicalIndex:
        if not ids:
            return cls(None, 0, [], {})
        # Only the tokens still in use, renumbered: removed rows leave no trace in the vocabulary.
        used, inverse = np.unique(np.concatenate(ids), return_inverse=True)
        by_id = {i: token for token, i in vocab.items()}
        vocab = {by_id[int(i)]: n for n, i in enumerate(used)}
        bounds = np.cumsum([0, *(len(row) for row in ids)])
        ids = [inverse[a:b].astype(np.int32) for a, b in itertools.pairwise(bounds)]
        engine = bm25s.BM25()
        engine.index(Tokenized([row.tolist() for row in ids], dict(vocab)), show_progress=False)
        return cls(engine, len(ids), ids, vocab)

    def __len__(self) -> int:
        return self._size

    def search(self, question: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(positions, scores) of the best ``k`` rows with a positive score, best first."""
        tokens = [t for t in tokenize(question) if t in self._vocabulary]
        k = min(k, self._size)
        if self._engine is None or not tokens or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        positions, scores = self._engine.retrieve([tokens], k=k, show_progress=False)
        keep = scores[0] > 0
        return positions[0][keep].astype(np.int64), scores[0][keep].astype(np.float32)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "size.json").write_text(json.dumps({"rows": self._size}))
        if self._engine is not None:
            self._engine.save(str(folder), allow_pickle=False)
        if self._token_ids is not None:
            lengths = np.array([len(row) for row in self._token_ids], dtype=np.int64)
            flat = np.concatenate(self._token_ids) if self._token_ids else np.zeros(0, np.int32)
            np.save(folder / "row_tokens.npy", flat.astype(np.int32), allow_pickle=False)
            np.save(folder / "row_lengths.npy", lengths, allow_pickle=False)
            ordered = sorted(self._vocab, key=self._vocab.__getitem__)
            (folder / "row_vocab.json").write_text(json.dumps(ordered, ensure_ascii=False))

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        try:
            size = int(json.loads((folder / "size.json").read_text())["rows"])
            engine = bm25s.BM25.load(str(folder), allow_pickle=False) if size else None
            token_ids, vocab = _load_rows(folder)
        except (OSError, ValueError, KeyError) as error:
            raise IndexCorruptError(
                f"cannot read the lexical index in {folder}: {error}"
            ) from error
        return cls(engine, size, token_ids, vocab)


def _encode(texts: Sequence[str], vocab: dict[str, int]) -> list[np.ndarray]:
    """Token ids of each text, adding new tokens to ``vocab``."""
    rows = []
    for text in texts:
        tokens = tokenize(text) or [_EMPTY]
        rows.append(np.array([vocab.setdefault(t, len(vocab)) for t in tokens], dtype=np.int32))
    return rows


def _load_rows(folder: Path) -> tuple[list[np.ndarray] | None, dict[str, int] | None]:
    if not (folder / "row_tokens.npy").is_file():
        return None, None
    flat = np.load(folder / "row_tokens.npy", allow_pickle=False)
    lengths = np.load(folder / "row_lengths.npy", allow_pickle=False)
    bounds = np.cumsum([0, *lengths.tolist()])
    rows = [flat[a:b] for a, b in itertools.pairwise(bounds)]
    ordered = json.loads((folder / "row_vocab.json").read_text(encoding="utf-8"))
    return rows, {token: n for n, token in enumerate(ordered)}
