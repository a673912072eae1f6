"""The embedder the settings name (``embeddings.factory`` does the work; loading waits for
``warm_up``)."""

from __future__ import annotations

from embeddings.base import Embedder
from embeddings.factory import make_embedder
from rag.settings import Settings


def embedder_from(settings: Settings) -> Embedder:
    return make_embedder(
        settings.embedder, settings.resolved_models_dir, settings.embedder_dtype,
        settings.embed_batch_size,
    )  # fmt: skip
