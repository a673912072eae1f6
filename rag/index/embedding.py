"""Embedding an index's chunks: in batches of similar length, resumable from a checkpoint.

A batch is padded to its longest passage, so batches of passages of similar length waste less
work than batches in article order. Length is counted in the model's tokens where the embedder
can count them (``document_lengths``): characters are a poor guide to tokens in Vietnamese news,
and over 2000 news passages sorting by them left 15.5% padding where token counts leave 1.6%
(article order: 18%; benchmarks/bench_embedding.py prints these figures for its passages).

Chunks are sorted by length within windows of ``SORT_WINDOW`` consecutive chunks rather than
all at once: each window holds a typical mix of lengths, so the rate (and a progress bar's ETA)
stays steady from start to end, and batches still come out of one window's sorted run. The
vectors are given back in the chunks' order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np

from embeddings.base import Embedder
from rag.index.checkpoint import EmbeddingCheckpoint
from rag.ingest.chunking import Chunk

log = logging.getLogger(__name__)

SORT_WINDOW = 512

Progress = Callable[[int], None]  # called with the number of chunks just embedded
# Given the number of chunks in all, and (only when a build resumes) how many are done already.
ProgressFactory = Callable[..., Progress]


def length_batches(
    lengths: Sequence[int], batch: int, window: int = SORT_WINDOW
) -> list[list[int]]:
    """Positions 0..n-1 in batches of at most ``batch``, longest first within each window."""
    batches: list[list[int]] = []
    for start in range(0, len(lengths), window):
        positions = sorted(range(start, min(start + window, len(lengths))),
                           key=lambda p: -lengths[p])  # fmt: skip
        batches.extend(positions[i : i + batch] for i in range(0, len(positions), batch))
    return batches


def embed_chunks(
    chunks: Sequence[Chunk],
    embedder: Embedder,
    batch: int,
    progress: ProgressFactory | None = None,
    checkpoint: EmbeddingCheckpoint | None = None,
) -> np.ndarray:
    """One unit vector per chunk, in the chunks' order; those saved come from the checkpoint."""
    if not chunks:
        return np.zeros((0, embedder.dimension), dtype=np.float32)
    dimension = embedder.dimension
    vectors = np.zeros((len(chunks), dimension), dtype=np.float32)
    keys = [checkpoint.key(c.title, c.text) for c in chunks] if checkpoint else []
    saved = checkpoint.load(dimension) if checkpoint else {}
    pending = []
    for position in range(len(chunks)):
        if keys and keys[position] in saved:
            vectors[position] = saved[keys[position]]
        else:
            pending.append(position)
    resumed = len(chunks) - len(pending)
    if resumed:
        log.info("resuming: %d of %d passages were embedded before", resumed, len(chunks))
    tick = None
    if progress:  # a factory told of resumed chunks counts them as done (its ETA stays right)
        tick = progress(len(chunks), resumed) if resumed else progress(len(chunks))
    lengths = passage_lengths(embedder, [chunks[p] for p in pending])
    for group in length_batches(lengths, batch):
        positions = [pending[i] for i in group]
        rows = embedder.embed_documents([chunks[p].text for p in positions],
                                        [chunks[p].title for p in positions])  # fmt: skip
        vectors[positions] = rows
        if checkpoint:
            checkpoint.save_batch([keys[p] for p in positions], rows)
        if tick:
            tick(len(positions))
    return vectors


def passage_lengths(embedder: Embedder, chunks: Sequence[Chunk]) -> list[int]:
    """The embedder's token counts where it offers them, else characters."""
    count_tokens = getattr(embedder, "document_lengths", None)  # optional: not in the protocol
    if count_tokens is not None and chunks:
        return list(count_tokens([c.text for c in chunks], [c.title for c in chunks]))
    return [len(c.text) + len(c.title or "") for c in chunks]
