"""BM25 over the same chunks as the vector index, on Vietnamese syllables.

Vietnamese writes words as space-separated syllables, so syllable tokens (lower-cased, NFC,
one tone-mark placement, numbers canonical: 247.344 -> 247344) already match across spelling
variants. The index lives in the index folder beside the FAISS file, as bm25s's numpy arrays
(``allow_pickle=False``) and JSON, and is covered by the same manifest.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

from rag.errors import IndexCorruptError
from rag.text import tokenize

LEXICAL_DIR = "lexical"
log = logging.getLogger(__name__)


class LexicalIndex:
    """Rows are addressed by position, in the same order as the vector store's."""

    def __init__(self, engine: bm25s.BM25 | None, size: int) -> None:
        self._engine = engine
        self._size = size
        vocabulary = engine.vocab_dict if engine is not None else {}
        self._vocabulary: set[str] = set(vocabulary)

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalIndex:
        corpus = [tokenize(t) or ["\u2205"] for t in texts]  # bm25s refuses empty documents
        if not corpus:
            return cls(None, 0)
        engine = bm25s.BM25()
        engine.index(corpus, show_progress=False)
        return cls(engine, len(corpus))

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

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        try:
            size = int(json.loads((folder / "size.json").read_text())["rows"])
            engine = bm25s.BM25.load(str(folder), allow_pickle=False) if size else None
        except (OSError, ValueError, KeyError) as error:
            raise IndexCorruptError(
                f"cannot read the lexical index in {folder}: {error}"
            ) from error
        return cls(engine, size)
