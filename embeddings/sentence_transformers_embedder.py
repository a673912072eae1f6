"""A sentence-transformers model as an ``Embedder`` (EmbeddingGemma by default)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from .base import l2_normalise
from .errors import ModelError
from .thread_choice import ThreadChoice


class SentenceTransformersEmbedder:
    """Loads lazily on first use (or ``warm_up``); safe to share between threads."""

    def __init__(
        self,
        model: str,
        model_id: str | None = None,
        dtype: str = "bfloat16",
        batch_size: int = 8,
        device: str = "cpu",
    ) -> None:
        self._model_path = model
        self._model_id = model_id or model
        self._dtype = dtype
        self._batch_size = batch_size
        self._device = device
        self._model: Any = None
        self._lock = threading.Lock()
        self._threads: ThreadChoice | None = None  # made with the model
        self._threads_lock = threading.Lock()  # torch's thread count is one for the process

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dimension(self) -> int:
        model = self._loaded()
        getter = (
            getattr(model, "get_embedding_dimension", None)
            or model.get_sentence_embedding_dimension
        )
        dimension = getter()
        if not dimension:
            raise ModelError(f"{self._model_id}: model does not report its embedding dimension")
        return int(dimension)

    def warm_up(self) -> None:
        self._loaded()

    def embed_documents(
        self, texts: Sequence[str], titles: Sequence[str | None] | None = None
    ) -> np.ndarray:
        model = self._loaded()
        inputs = self._document_inputs(texts, titles)
        if not inputs:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._threads_lock, self._thread_choice().batch(sum(len(i) for i in inputs)):
            vectors = model.encode(
                inputs, batch_size=self._batch_size, normalize_embeddings=True, prompt=""
            )
        return l2_normalise(np.asarray(vectors, dtype=np.float32))

    def document_lengths(
        self, texts: Sequence[str], titles: Sequence[str | None] | None = None
    ) -> list[int]:
        """Tokens of each passage as it would be embedded, for batching passages by length."""
        encoded = self._loaded().tokenizer(self._document_inputs(texts, titles))
        return [len(ids) for ids in encoded["input_ids"]]

    def _document_inputs(
        self, texts: Sequence[str], titles: Sequence[str | None] | None
    ) -> list[str]:
        titles = titles or [None] * len(texts)
        return [self._document_input(t, title) for t, title in zip(texts, titles, strict=True)]

    def _thread_choice(self) -> ThreadChoice:
        """One or all threads for a batch of passages, whichever measures faster (see there)."""
        if self._threads is None:
            import torch

            self._threads = ThreadChoice(torch.set_num_threads, torch.get_num_threads)
        return self._threads

    def embed_query(self, text: str) -> np.ndarray:
        model = self._loaded()
        query_prompt = model.prompts.get("query", "")
        vector = model.encode([text], normalize_embeddings=True, prompt=query_prompt)[0]
        return l2_normalise(np.asarray(vector, dtype=np.float32))

    def _document_input(self, text: str, title: str | None) -> str:
        """The model's own document prompt, with the article title where it has a slot for one.

        EmbeddingGemma's document prompt is ``title: none | text: ``; filling in the real title
        is how its model card asks for titled documents to be encoded.
        """
        prompt = self._loaded().prompts.get("document", "")
        if "title: none" in prompt:
            return prompt.replace("title: none", f"title: {title or 'none'}") + text
        return f"{prompt}{title}\n{text}" if title else f"{prompt}{text}"

    def _loaded(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self) -> Any:
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as error:
            raise ModelError(
                "sentence-transformers is not installed; install the 'models' extra"
            ) from error
        dtype = torch.bfloat16 if self._dtype == "bfloat16" else torch.float32
        try:
            return SentenceTransformer(
                self._model_path,
                device=self._device,
                model_kwargs={"dtype": dtype},
                local_files_only=True,
            )
        except Exception as error:  # the library raises many kinds; all mean "cannot load"
            raise ModelError(
                f"cannot load embedding model {self._model_path!r}: {error}"
            ) from error
