"""rag.index.embedding: batches of similar length, vectors given back in the chunks' order."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from embeddings.fake import HashingEmbedder
from rag.index.embedding import embed_chunks, length_batches
from rag.ingest.chunking import Chunk


class RecordingEmbedder(HashingEmbedder):
    """The hashing embedder, remembering what each call was given."""

    def __init__(self) -> None:
        super().__init__(dimension=64)
        self.batches: list[list[str]] = []

    def embed_documents(
        self, texts: Sequence[str], titles: Sequence[str | None] | None = None
    ) -> np.ndarray:
        self.batches.append(list(texts))
        return super().embed_documents(texts, titles)


def make_chunks(lengths: Sequence[int]) -> list[Chunk]:
    return [
        Chunk(f"d{n % 3}#{n}", f"d{n % 3}", f"title {n % 3}", None, f"w{n} " + "x" * size, 0, 1)
        for n, size in enumerate(lengths)
    ]


@pytest.mark.parametrize("count,batch,window", [(0, 4, 8), (1, 4, 8), (37, 4, 8), (37, 16, 512)])
def test_length_batches_cover_every_position_once(count: int, batch: int, window: int) -> None:
    lengths = [(n * 37) % 101 for n in range(count)]
    batches = length_batches(lengths, batch, window)
    flat = [p for b in batches for p in b]
    assert sorted(flat) == list(range(count))
    assert all(0 < len(b) <= batch for b in batches)


def test_length_batches_sort_within_windows_only() -> None:
    lengths = [5, 50, 10, 40, 30, 1, 99, 2]
    batches = length_batches(lengths, batch=2, window=4)
    assert batches == [[1, 3], [2, 0], [6, 4], [7, 5]]  # longest first, window by window


def test_vectors_come_back_in_the_chunks_order() -> None:
    chunks = make_chunks([(n * 53) % 400 for n in range(45)])
    embedder = RecordingEmbedder()
    vectors = embed_chunks(chunks, embedder, batch=8)
    one_by_one = np.stack([embedder.embed_documents([c.text], [c.title])[0] for c in chunks])
    assert np.array_equal(vectors, one_by_one)


def test_batches_hold_passages_of_similar_length() -> None:
    lengths = [(n * 53) % 400 for n in range(64)]
    embedder = RecordingEmbedder()
    embed_chunks(make_chunks(lengths), embedder, batch=8)
    sizes = [[len(text) for text in batch] for batch in embedder.batches]
    flat = [s for batch in sizes for s in batch]
    assert flat == sorted(flat, reverse=True)  # 64 chunks: one window, longest first
    in_order = [lengths[i : i + 8] for i in range(0, 64, 8)]
    padding = sum(len(b) * max(b) - sum(b) for b in sizes)
    assert padding < sum(len(b) * max(b) - sum(b) for b in in_order) / 4


def test_progress_counts_every_chunk_once() -> None:
    totals: list[tuple[int, ...]] = []
    ticks: list[int] = []

    def factory(*args: int) -> object:
        totals.append(args)
        return ticks.append

    embed_chunks(make_chunks([10] * 21), RecordingEmbedder(), batch=4, progress=factory)
    assert totals == [(21,)]  # nothing resumed: called with the total alone
    assert ticks == [4, 4, 4, 4, 4, 1]


def test_no_chunks_give_an_empty_matrix() -> None:
    assert embed_chunks([], RecordingEmbedder(), batch=4).shape == (0, 64)


class WordCountingEmbedder(RecordingEmbedder):
    """Counts a passage's length in words, as a real embedder counts tokens."""

    def document_lengths(
        self, texts: Sequence[str], titles: Sequence[str | None] | None = None
    ) -> list[int]:
        return [len(text.split()) for text in texts]


def test_the_embedders_own_length_count_orders_the_batches() -> None:
    words = [3, 9, 1, 7, 5, 2]
    chunks = [  # many characters in few words, and the reverse
        Chunk(f"d#{n}", "d", "t", None, " ".join(["a"] * w) + " " + "x" * (100 - 10 * w), 0, 1)
        for n, w in enumerate(words)
    ]
    embedder = WordCountingEmbedder()
    vectors = embed_chunks(chunks, embedder, batch=2)
    seen = [[len(t.split()) - 1 for t in batch] for batch in embedder.batches]  # less the x run
    assert seen == [[9, 7], [5, 3], [2, 1]]  # by words, though characters say the reverse
    one_by_one = np.stack([embedder.embed_documents([c.text], [c.title])[0] for c in chunks])
    assert np.array_equal(vectors, one_by_one)
