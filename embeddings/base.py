"""The ``Embedder`` seam: anything that turns passages and questions into unit vectors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Embedder(Protocol):
    """Turns text into L2-normalised float32 vectors, so inner product is cosine similarity.

    Passages and questions go through different methods because asymmetric models (E5,
    EmbeddingGemma) encode them with different prompts.
    """

    @property
    def model_id(self) -> str:
        """What the vectors come from; an index records it and refuses any other."""
        ...

    @property
    def dimension(self) -> int: ...

    def warm_up(self) -> None:
        """Load the model now (constructors are cheap; heavy loading happens here, once)."""
        ...

    def embed_documents(
        self, texts: Sequence[str], titles: Sequence[str | None] | None = None
    ) -> np.ndarray:
        """One row per text, shape (len(texts), dimension)."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """One vector, shape (dimension,)."""
        ...


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)
