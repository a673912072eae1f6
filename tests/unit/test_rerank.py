"""rag.retrieve.rerank.SentenceReranker with the hashing embedder, and its wiring into the Retriever
and the Assistant through the settings."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from pydantic import ValidationError

from embeddings.fake import HashingEmbedder
from rag.assistant import Assistant
from rag.generation.fake import FakeGenerator
from rag.index.collection import Index
from rag.ingest.articles import load_articles
from rag.retrieve.rerank import SentenceReranker
from rag.retrieve.retriever import Retriever
from rag.settings import BUNDLED_ARTICLES, ChunkingParams, Settings
from rag.text import normalize
from rag.types import Passage

QUESTION = "Ai chủ trì hội nghị tổng kết ngành Nội vụ"


class CountingEmbedder(HashingEmbedder):
    """The hashing embedder, remembering every document text it was asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.documents: list[str] = []

    def embed_documents(
        self, texts: Sequence[str], titles: Sequence[str | None] | None = None
    ) -> np.ndarray:
        self.documents.extend(texts)
        return super().embed_documents(texts, titles)


def passage(doc_id: str, text: str, score: float, start: int = 0) -> Passage:
    return Passage(doc_id, "", None, text, score, start, start + len(text))


# Passages about the topic in general score higher than the one sentence that answers.
GENERAL = passage("general", "Thời tiết hôm nay đẹp. Giá xăng tăng nhẹ.", 0.6)
OTHER = passage("other", "Cây lúa trổ bông. Đường phố đông xe.", 0.55)
ANSWER = passage("answer", f"Trời mưa to. {QUESTION}. Cá bơi dưới sông.", 0.5)


@pytest.fixture
def embedder() -> CountingEmbedder:
    return CountingEmbedder()


def query(embedder: HashingEmbedder) -> np.ndarray:
    return embedder.embed_query(QUESTION)


def test_a_passage_with_one_sentence_close_to_the_question_moves_up(
    embedder: CountingEmbedder,
) -> None:
    reranked = SentenceReranker(embedder).rerank(query(embedder), [GENERAL, OTHER, ANSWER], 10)
    assert [p.doc_id for p in reranked] == ["answer", "general", "other"]
    assert [p.score for p in reranked] == [0.5, 0.6, 0.55]  # scores stay for the evidence gate


def test_sentences_are_split_with_the_project_splitter(embedder: CountingEmbedder) -> None:
    SentenceReranker(embedder).rerank(query(embedder), [ANSWER], 1)
    assert embedder.documents == ["Trời mưa to.", f"{QUESTION}.", "Cá bơi dưới sông."]


def test_passages_beyond_depth_are_untouched_and_after(embedder: CountingEmbedder) -> None:
    passages = [OTHER, GENERAL, ANSWER]
    reranked = SentenceReranker(embedder).rerank(query(embedder), passages, 2)
    assert reranked == [GENERAL, OTHER, ANSWER]  # the head re-ordered, the answer left third
    assert not any(QUESTION in text for text in embedder.documents)  # never embedded


def test_depth_beyond_the_list_reranks_all_of_it(embedder: CountingEmbedder) -> None:
    reranked = SentenceReranker(embedder).rerank(query(embedder), [GENERAL, ANSWER], 100)
    assert reranked == [ANSWER, GENERAL]


def test_a_cached_passage_is_not_embedded_again(embedder: CountingEmbedder) -> None:
    reranker = SentenceReranker(embedder)
    vector = query(embedder)
    first = reranker.rerank(vector, [GENERAL, ANSWER], 10)
    calls = embedder.calls
    assert reranker.rerank(vector, [ANSWER, GENERAL], 10) == first
    assert embedder.calls == calls


def test_the_cache_is_bounded_and_forgets_the_least_recently_used(
    embedder: CountingEmbedder,
) -> None:
    reranker = SentenceReranker(embedder, cache_size=2)
    vector = query(embedder)
    reranker.rerank(vector, [GENERAL, OTHER], 10)
    reranker.rerank(vector, [GENERAL], 10)  # GENERAL is now the most recently used
    reranker.rerank(vector, [ANSWER], 10)  # evicts OTHER
    calls = embedder.calls
    reranker.rerank(vector, [GENERAL, ANSWER], 10)
    assert embedder.calls == calls
    reranker.rerank(vector, [OTHER], 10)
    assert embedder.calls == calls + 1


def test_the_cache_key_is_the_passage_span(embedder: CountingEmbedder) -> None:
    reranker = SentenceReranker(embedder)
    vector = query(embedder)
    reranker.rerank(vector, [GENERAL], 10)
    calls = embedder.calls
    reranker.rerank(vector, [passage("general", GENERAL.text, 0.6, start=100)], 10)
    assert embedder.calls == calls + 1


def test_no_passages_rerank_to_none(embedder: CountingEmbedder) -> None:
    assert SentenceReranker(embedder).rerank(query(embedder), [], 10) == []
    assert embedder.documents == []


# --- settings and wiring ----------------------------------------------------------------------


def test_rerank_is_off_by_default_and_set_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert (Settings().rerank, Settings().rerank_depth) == (False, 10)
    monkeypatch.setenv("RAG_RERANK", "true")
    monkeypatch.setenv("RAG_RERANK_DEPTH", "5")
    assert (Settings().rerank, Settings().rerank_depth) == (True, 5)


@pytest.mark.parametrize("depth", [0, 101])
def test_rerank_depth_is_bounded(depth: int) -> None:
    with pytest.raises(ValidationError, match="rerank_depth"):
        Settings(rerank_depth=depth)


@pytest.fixture(scope="module")
def index() -> Index:
    articles = load_articles([BUNDLED_ARTICLES]).articles
    return Index.build(articles, HashingEmbedder(), ChunkingParams(700, 1))


QUESTIONS = ["Phương châm hành động năm 2020 là gì?", "Ai chủ trì hội nghị tổng kết năm 2023?"]


@pytest.mark.parametrize("question", QUESTIONS)
def test_rerank_off_retrieves_as_before(index: Index, settings: Settings, question: str) -> None:
    embedder = HashingEmbedder()
    retriever = Retriever.from_settings(index, embedder, settings)
    assert retriever.reranker is None
    plain = Retriever(index, embedder, settings.retrieval())
    assert retriever.retrieve(question, 5) == plain.retrieve(question, 5)


@pytest.mark.parametrize("question", QUESTIONS)
def test_rerank_on_reorders_the_same_passages_with_the_same_scores(
    index: Index, settings: Settings, question: str
) -> None:
    embedder = HashingEmbedder()
    on = settings.model_copy(update={"rerank": True, "rerank_depth": 4})
    retriever = Retriever.from_settings(index, embedder, on)
    assert retriever.reranker is not None and retriever.rerank_depth == 4
    plain = Retriever.from_settings(index, embedder, settings).retrieve(question, 6)
    reranked = retriever.retrieve(question, 6)
    assert set(reranked[:4]) == set(plain[:4])  # Passage equality includes the score
    assert reranked[4:] == plain[4:]


@pytest.mark.parametrize("question", QUESTIONS)
def test_the_top_k_comes_from_reranking_rerank_depth_passages(
    index: Index, settings: Settings, question: str
) -> None:
    """A passage below k can move up into it: re-ranking looks at rerank_depth passages."""
    embedder = HashingEmbedder()
    on = settings.model_copy(update={"rerank": True, "rerank_depth": 8})
    plain = Retriever.from_settings(index, embedder, settings).retrieve(question, 8)
    vector = embedder.embed_query(normalize(question))
    expected = SentenceReranker(embedder).rerank(vector, plain, 8)
    assert Retriever.from_settings(index, embedder, on).retrieve(question, 2) == expected[:2]


def test_assistant_views_share_one_reranker(index: Index, settings: Settings) -> None:
    embedder = HashingEmbedder()
    assistant = Assistant(index, embedder, settings, FakeGenerator())
    assert assistant.retriever.reranker is None
    view = assistant.with_settings(rerank=True)
    assert view.retriever.reranker is assistant.reranker
    assert view.with_settings(top_k=3).retriever.reranker is assistant.reranker
