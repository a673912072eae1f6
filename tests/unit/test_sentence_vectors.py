"""rag.index.sentences: every sentence's vector stored at index time, kept in step with the
articles, saved with the index (checksummed), and used by the sentence re-ranker and the
context focus instead of embedding at question time."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from embeddings.fake import HashingEmbedder
from rag.errors import IndexCorruptError
from rag.index.collection import Index
from rag.index.folder import MANIFEST
from rag.index.sentences import KEYS, VECTORS, SentenceTable
from rag.ingest.articles import Article
from rag.ingest.chunking import split_sentences
from rag.retrieve.rerank import SentenceReranker
from rag.settings import ChunkingParams
from rag.types import Passage

CHUNKING = ChunkingParams(max_chars=120, overlap=1)
FIRST = Article(
    "a", "Hội nghị ngành Nội vụ",
    "Bộ trưởng chủ trì hội nghị. Biên chế giảm 10%. Khẩu hiệu năm là kỷ cương.\n\n"
    "Thủ tướng dự và phát biểu. Hội nghị bế mạc lúc 17 giờ.",
)  # fmt: skip
SECOND = Article("b", "Thời tiết", "Trời mưa to ở Hà Nội. Nhiệt độ giảm mạnh vào ban đêm.")


class CountingEmbedder(HashingEmbedder):
    """The hashing embedder, remembering every document text it embeds."""

    def __init__(self) -> None:
        super().__init__(dimension=64)
        self.documents: list[str] = []

    def embed_documents(
        self, texts: Sequence[str], titles: Sequence[str | None] | None = None
    ) -> np.ndarray:
        self.documents.extend(texts)
        return super().embed_documents(texts, titles)


def sentences_of(article: Article) -> list[str]:
    return [article.text[s:e] for s, e in split_sentences(article.text)]


def test_every_sentence_of_every_article_is_stored_under_its_span() -> None:
    embedder = CountingEmbedder()
    index = Index.build([FIRST, SECOND], embedder, CHUNKING, sentences=True)
    table = index.sentences
    assert table is not None
    assert len(table) == len(sentences_of(FIRST)) + len(sentences_of(SECOND))
    start, end = split_sentences(FIRST.text)[1]
    [vector] = table.lookup([("a", start, end)])
    expected = embedder.embed_documents([FIRST.text[start:end]], [FIRST.title])[0]
    assert vector is not None
    assert np.allclose(vector, expected, atol=2e-3)  # float16 storage
    assert table.lookup([("a", start, end + 1)]) == [None]


def test_without_sentences_the_index_keeps_none() -> None:
    index = Index.build([FIRST], HashingEmbedder(64), CHUNKING)
    assert index.sentences is None


def test_the_table_follows_articles_added_replaced_and_removed() -> None:
    embedder = HashingEmbedder(64)
    index = Index.build([FIRST], embedder, CHUNKING, sentences=True)
    index.add_articles([SECOND], embedder)
    assert {key[0] for key in index.sentences.keys} == {"a", "b"}  # type: ignore[union-attr]
    shorter = Article("a", FIRST.title, "Chỉ một câu.")
    index.add_articles([shorter], embedder)
    assert sorted(k for k in index.sentences.keys if k[0] == "a") == [("a", 0, 12)]  # type: ignore[union-attr]
    index.remove_articles(["b"])
    assert {key[0] for key in index.sentences.keys} == {"a"}  # type: ignore[union-attr]


def test_sentences_survive_saving_and_loading(tmp_path: Path) -> None:
    embedder = HashingEmbedder(64)
    index = Index.build([FIRST, SECOND], embedder, CHUNKING, sentences=True)
    index.save(tmp_path / "index")
    loaded = Index.load(tmp_path / "index", embedder.model_id)
    assert loaded.sentences is not None and index.sentences is not None
    assert loaded.sentences.keys == index.sentences.keys
    assert np.array_equal(loaded.sentences.vectors, index.sentences.vectors)
    manifest = json.loads((tmp_path / "index" / MANIFEST).read_text())
    assert {VECTORS, KEYS} <= set(manifest["files"])
    assert manifest["sentence_count"] == len(index.sentences)


def test_an_index_saved_without_sentences_loads_without_them(tmp_path: Path) -> None:
    embedder = HashingEmbedder(64)
    Index.build([FIRST], embedder, CHUNKING).save(tmp_path / "index")
    assert Index.load(tmp_path / "index", embedder.model_id).sentences is None


@pytest.mark.parametrize("damage", ["vectors", "keys", "missing"])
def test_damaged_sentence_files_are_refused(tmp_path: Path, damage: str) -> None:
    embedder = HashingEmbedder(64)
    Index.build([FIRST], embedder, CHUNKING, sentences=True).save(tmp_path / "index")
    folder = tmp_path / "index"
    if damage == "vectors":
        data = bytearray((folder / VECTORS).read_bytes())
        data[-3] ^= 0xFF
        (folder / VECTORS).write_bytes(bytes(data))
    elif damage == "keys":
        (folder / KEYS).write_text('["a", 0, 5]\n')
    else:
        (folder / VECTORS).unlink()
    with pytest.raises(IndexCorruptError):
        Index.load(folder, embedder.model_id)


def test_a_table_refuses_rows_that_do_not_match_its_keys() -> None:
    with pytest.raises(IndexCorruptError, match="shape"):
        SentenceTable(4, [("a", 0, 3)], np.zeros((2, 4), np.float16))


def test_the_reranker_reads_stored_sentences_and_embeds_only_missing_ones() -> None:
    embedder = CountingEmbedder()
    index = Index.build([FIRST], embedder, CHUNKING, sentences=True)
    embedder.documents.clear()
    reranker = SentenceReranker(embedder, index=index)
    whole = Passage("a", FIRST.title, None, FIRST.text, 0.5, 0, len(FIRST.text))
    vectors = reranker.sentence_vectors(whole)
    assert vectors.shape == (len(sentences_of(FIRST)), 64)
    assert embedder.documents == []  # all stored
    # A passage cut inside a sentence: that piece is not stored, so it alone is embedded.
    cut = Passage("a", FIRST.title, None, FIRST.text[4:60], 0.5, 4, 60)
    reranker.sentence_vectors(cut)
    pieces = [cut.text[s:e] for s, e in split_sentences(cut.text)]
    assert pieces[1] == "Biên chế giảm 10%."  # a whole sentence, stored
    assert embedder.documents == [pieces[0], pieces[2]]  # the two cut ones


def test_without_stored_sentences_the_reranker_embeds_them() -> None:
    embedder = CountingEmbedder()
    index = Index.build([FIRST], embedder, CHUNKING)
    embedder.documents.clear()
    whole = Passage("a", FIRST.title, None, FIRST.text, 0.5, 0, len(FIRST.text))
    SentenceReranker(embedder, index=index).sentence_vectors(whole)
    assert embedder.documents == sentences_of(FIRST)


def test_sentence_embedding_resumes_from_the_build_checkpoint(tmp_path: Path) -> None:
    from rag.index.checkpoint import EmbeddingCheckpoint

    embedder = CountingEmbedder()
    checkpoint = EmbeddingCheckpoint(tmp_path / "ckpt", embedder.model_id)
    first = SentenceTable.embed([FIRST, SECOND], embedder, 2, checkpoint=checkpoint)
    embedder.documents.clear()
    again = SentenceTable.embed([FIRST, SECOND], embedder, 2, checkpoint=checkpoint)
    assert embedder.documents == []  # every sentence came from the checkpoint
    assert again.keys == first.keys
    assert np.array_equal(again.vectors, first.vectors)
