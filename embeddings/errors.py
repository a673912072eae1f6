"""The errors of the model layer, and the root of every error this project raises on purpose.

``RagError`` lives here, in the lowest layer, so that ``embeddings/`` needs nothing from
``rag/`` while ``except rag.RagError`` still catches a model that cannot be loaded: ``rag.errors``
re-exports both classes and derives the rest of the hierarchy from ``RagError``.
"""

from __future__ import annotations


class RagError(Exception):
    """Base class of every error raised on purpose by this project (``rag.RagError``)."""


class ModelError(RagError):
    """A model is missing, incomplete, fails its checksum, or cannot be loaded."""
