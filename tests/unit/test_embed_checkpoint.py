"""rag.index.checkpoint: an interrupted index build resumes without redoing its embedded part."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from embeddings.fake import HashingEmbedder
from rag.index.checkpoint import EmbeddingCheckpoint
from rag.index.collection import EMBED_BATCH, Index
from rag.ingest.articles import Article, load_articles
from rag.settings import BUNDLED_ARTICLES, ChunkingParams

CHUNKING = ChunkingParams(700, 1)


class Crash(Exception):
    pass


class CountingEmbedder(HashingEmbedder):
    """The hashing embedder; counts the passages it embeds, and can crash after some calls."""

    def __init__(self, fail_after_calls: int | None = None) -> None:
        super().__init__(dimension=64)
        self.fail_after_calls = fail_after_calls
        self.texts: list[str] = []

    def embed_documents(
        self, texts: Sequence[str], titles: Sequence[str | None] | None = None
    ) -> np.ndarray:
        if self.fail_after_calls is not None and self.calls >= self.fail_after_calls:
            raise Crash("the power went out")
        self.texts.extend(texts)
        return super().embed_documents(texts, titles)


@pytest.fixture(scope="module")
def articles() -> list[Article]:
    """The bundled articles four times over (told apart by title): enough for several batches."""
    seeds = load_articles([BUNDLED_ARTICLES]).articles
    return [
        dataclasses.replace(a, doc_id=f"{copy}-{a.doc_id}", title=f"{a.title} ({copy})")
        for copy in range(4)
        for a in seeds
    ]


@pytest.fixture
def checkpoint(tmp_path: Path) -> EmbeddingCheckpoint:
    return EmbeddingCheckpoint.beside(tmp_path / "index", CountingEmbedder().model_id)


def stored_vectors(index: Index) -> np.ndarray:
    """The index's rows, read back through the store: inner products with the unit basis."""
    rows = range(len(index))
    basis = np.eye(index.dimension, dtype=np.float32)
    return np.stack([index.similarities(axis, rows) for axis in basis], axis=1)


def interrupted_build(articles: list[Article], checkpoint: EmbeddingCheckpoint, calls: int) -> None:
    with pytest.raises(Crash):
        Index.build(
            articles, CountingEmbedder(fail_after_calls=calls), CHUNKING, checkpoint=checkpoint
        )


def test_a_resumed_build_embeds_only_the_rest_and_equals_an_uninterrupted_one(
    articles: list[Article], checkpoint: EmbeddingCheckpoint
) -> None:
    whole = Index.build(articles, CountingEmbedder(), CHUNKING)
    interrupted_build(articles, checkpoint, calls=2)
    assert len(list(checkpoint.folder.glob("batch-*.npy"))) == 2

    embedder = CountingEmbedder()
    started: list[tuple[int, ...]] = []
    ticks: list[int] = []

    def progress(*args: int) -> object:
        started.append(args)
        return ticks.append

    resumed = Index.build(articles, embedder, CHUNKING, progress=progress, checkpoint=checkpoint)
    assert len(embedder.texts) == len(whole) - 2 * EMBED_BATCH
    assert started == [(len(whole), 2 * EMBED_BATCH)]  # the bar starts at what was resumed
    assert sum(ticks) == len(whole) - 2 * EMBED_BATCH
    assert resumed.chunks == whole.chunks
    assert np.array_equal(stored_vectors(resumed), stored_vectors(whole))


def test_a_changed_article_is_embedded_again(
    articles: list[Article], checkpoint: EmbeddingCheckpoint
) -> None:
    Index.build(
        articles, CountingEmbedder(), CHUNKING, checkpoint=checkpoint
    )  # as if saving crashed
    changed = [dataclasses.replace(articles[0], text=articles[0].text + "\n\nMột câu mới.")]
    changed += articles[1:]
    embedder = CountingEmbedder()
    index = Index.build(changed, embedder, CHUNKING, checkpoint=checkpoint)
    redone = {c.text for c in index.chunks if c.doc_id == articles[0].doc_id}
    assert set(embedder.texts) <= redone  # only chunks of the changed article
    assert "Một câu mới." in " ".join(embedder.texts)


def test_a_damaged_batch_file_is_ignored_with_a_warning(
    articles: list[Article], checkpoint: EmbeddingCheckpoint, caplog: pytest.LogCaptureFixture
) -> None:
    whole = Index.build(articles, CountingEmbedder(), CHUNKING)
    interrupted_build(articles, checkpoint, calls=3)
    files = sorted(checkpoint.folder.glob("batch-*.npy"))
    data = files[0].read_bytes()
    files[0].write_bytes(data[: len(data) // 2])  # cut short
    embedder = CountingEmbedder()
    with caplog.at_level(logging.WARNING, logger="rag.index.checkpoint"):
        resumed = Index.build(articles, embedder, CHUNKING, checkpoint=checkpoint)
    assert files[0].name in caplog.text
    assert len(embedder.texts) == len(whole) - 2 * EMBED_BATCH  # the cut batch is redone
    assert np.array_equal(stored_vectors(resumed), stored_vectors(whole))


def test_vectors_that_are_not_unit_length_are_not_trusted(
    articles: list[Article], checkpoint: EmbeddingCheckpoint, caplog: pytest.LogCaptureFixture
) -> None:
    interrupted_build(articles, checkpoint, calls=1)
    path = next(checkpoint.folder.glob("batch-*.npy"))
    rows = np.load(path)
    rows["vector"] *= 3.0
    np.save(path, rows)
    with caplog.at_level(logging.WARNING, logger="rag.index.checkpoint"):
        assert checkpoint.load(64) == {}
    assert "not unit vectors" in caplog.text


def test_a_checkpoint_of_another_embedder_is_discarded(
    articles: list[Article], checkpoint: EmbeddingCheckpoint, caplog: pytest.LogCaptureFixture
) -> None:
    interrupted_build(articles, checkpoint, calls=2)
    other = EmbeddingCheckpoint(checkpoint.folder, "another-model")
    with caplog.at_level(logging.WARNING, logger="rag.index.checkpoint"):
        assert other.load(64) == {}
    assert "another-model" in caplog.text
    assert not checkpoint.folder.exists()


def test_a_half_written_batch_leaves_no_file(
    checkpoint: EmbeddingCheckpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    vectors = np.eye(2, 64, dtype=np.float32)
    checkpoint.save_batch([b"a" * 64, b"b" * 64], vectors)

    def crash(handle: object, rows: object) -> None:
        raise Crash("killed mid-write")

    monkeypatch.setattr(np, "save", crash)
    with pytest.raises(Crash):
        checkpoint.save_batch([b"c" * 64], vectors[:1])
    monkeypatch.undo()
    assert set(checkpoint.load(64)) == {b"a" * 64, b"b" * 64}
    assert [p.name for p in checkpoint.folder.iterdir() if p.name.endswith(".tmp")] == []


def test_rag_index_resumes_after_a_crash_and_cleans_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from rag.cli import cli

    for name in [n for n in __import__("os").environ if n.startswith("RAG_")]:
        monkeypatch.delenv(name)
    # Passages only: the sentences' resuming is tested in test_sentence_vectors.py.
    runner = CliRunner(env={"RAG_EMBEDDER": "fake", "RAG_CACHE_DIR": str(tmp_path / "cache"),
                            "RAG_SENTENCE_VECTORS": "false"})  # fmt: skip
    out = tmp_path / "idx"
    embed = HashingEmbedder.embed_documents
    calls: list[int] = []

    def crash_on_third_call(self: HashingEmbedder, texts: Sequence[str], titles: object) -> object:
        calls.append(len(texts))
        if len(calls) == 3:
            raise Crash("interrupted")
        return embed(self, texts, titles)  # type: ignore[arg-type]

    monkeypatch.setattr(HashingEmbedder, "embed_documents", crash_on_third_call)
    with pytest.raises(Crash):
        runner.invoke(cli, ["index", "--out", str(out)], catch_exceptions=False)
    saved = EmbeddingCheckpoint.beside(out, "fake-hashing-256")
    assert len(list(saved.folder.glob("batch-*.npy"))) == 2
    calls.clear()
    result = runner.invoke(cli, ["index", "--out", str(out), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    chunks = __import__("json").loads(result.stdout)["chunks"]
    assert sum(calls) == chunks - 2 * EMBED_BATCH
    assert not saved.folder.exists()


def test_the_progress_bar_starts_at_the_resumed_count() -> None:
    from rag.console import tqdm_progress

    tick = tqdm_progress("embedding")(100, 40)
    bar = tick.__self__  # type: ignore[attr-defined]
    assert (bar.n, bar.total, bar.initial) == (40, 100, 40)
    tick(10)
    assert bar.n == 50
    bar.close()
