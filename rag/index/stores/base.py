"""The ``VectorStore`` seam: nearest-neighbour search over unit vectors by inner product."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np


class VectorStore(Protocol):
    """Rows are addressed by position (0..len-1), in the order they were added."""

    @property
    def dimension(self) -> int: ...

    def __len__(self) -> int: ...

    def add(self, vectors: np.ndarray) -> None: ...

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(positions, scores) of the ``k`` best rows, best first; fewer if the store is small."""
        ...

    def similarities(self, query: np.ndarray, positions: Sequence[int]) -> np.ndarray:
        """Inner product of the query with the given rows (rows another search found)."""
        ...

    def save(self, path: Path) -> None: ...
