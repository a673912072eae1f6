"""A deterministic embedder for tests and demos: hashed words and character trigrams.

It has no model to load and answers in microseconds, yet texts that share words get similar
vectors, so retrieval through it behaves like a (weak, monolingual) real one.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence

import numpy as np

from .base import l2_normalise

_WORDS = re.compile(r"[^\W_]+", re.UNICODE)


class HashingEmbedder:
    """Feature hashing of words (weight 1) and character trigrams (weight 0.5)."""

    def __init__(self, dimension: int = 256) -> None:
        self._dimension = dimension
        self.calls = 0  # how many embedding calls were made (tests count model work with it)

    @property
    def model_id(self) -> str:
        return f"fake-hashing-{self._dimension}"

    @property
    def dimension(self) -> int:
        return self._dimension

    def warm_up(self) -> None:
        return None

    def embed_documents(
        self, texts: Sequence[str], titles: Sequence[str | None] | None = None
    ) -> np.ndarray:
        self.calls += 1
        titles = titles or [None] * len(texts)
        rows = [
            self._vector(f"{title or ''} {text}") for text, title in zip(texts, titles, strict=True)
        ]
        return l2_normalise(np.stack(rows)) if rows else np.zeros((0, self._dimension), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        self.calls += 1
        return l2_normalise(self._vector(text))

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self._dimension, dtype=np.float32)
        words = _WORDS.findall(unicodedata.normalize("NFC", text).lower())
        for word in words:
            self._add(vector, f"w:{word}", 1.0)
            padded = f"#{word}#"
            for i in range(len(padded) - 2):
                self._add(vector, f"c:{padded[i : i + 3]}", 0.5)
        if not words:
            self._add(vector, "empty", 1.0)
        return vector

    def _add(self, vector: np.ndarray, feature: str, weight: float) -> None:
        digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
        bucket = int.from_bytes(digest[:4], "little") % self._dimension
        sign = 1.0 if digest[4] & 1 else -1.0
        vector[bucket] += sign * weight
