"""Finding the passages that answer a question: dense and lexical search, fused, time-aware."""

from __future__ import annotations

import copy

import numpy as np

from embeddings.base import Embedder
from rag.index.collection import Index
from rag.ingest.articles import Article
from rag.retrieve.fusion import reciprocal_rank_fusion
from rag.retrieve.rerank import SentenceReranker
from rag.retrieve.timeaware import article_years, question_years, year_relevance
from rag.settings import RetrievalParams, Settings
from rag.text import guess_language, normalize
from rag.types import Passage


class Retriever:
    """Hybrid retrieval: FAISS cosine and BM25 candidates, fused by reciprocal rank, with a
    time-aware bonus.

    English questions share almost no words with Vietnamese articles (only names and numbers),
    so BM25 gets ``fusion.lexical_weight_en`` for them instead of ``fusion.lexical_weight``; a
    weight of 0 turns that side off (dense-only retrieval), which is the default for English: on
    XQuAD even a weight of 0.05 moved English hit@1 from .923 to .88 at k=60.

    When the question names a year, a passage gets ``year_bonus`` times its year relevance
    (``timeaware.year_relevance``: the years its own text names, or, at half weight, the event
    years of its article) added to its cosine, and the dense ranking follows that sum.

    ``Passage.score`` is always that dense score (cosine plus the year bonus), also for passages
    that only BM25 found (their cosine is computed from the stored vector), and even though the
    order of the passages comes from the fusion: the evidence gate compares it with a cosine
    threshold (``Settings.min_relevance``).

    With a ``reranker`` (``rag.retrieve.rerank``), the first ``rerank_depth`` fused passages are
    then re-ordered by their best sentence before the top ``k`` are kept; their scores stay.
    """

    def __init__(
        self,
        index: Index,
        embedder: Embedder,
        params: RetrievalParams,
        reranker: SentenceReranker | None = None,
        excluded: frozenset[str] = frozenset(),
    ) -> None:
        self.index = index
        # Articles never returned, as if removed, without touching the index: what an
        # evaluation of absent facts needs (the gold paragraph gone, the rest of its article kept).
        self.excluded = excluded
        self.embedder = embedder
        self.candidate_pool = params.candidate_pool
        self.year_bonus = params.year_bonus
        self.fusion = params.fusion
        self.reranker = reranker
        self.rerank_depth = params.rerank_depth
        # An article's event years, with the article they were read from (it may be replaced).
        self._article_years: dict[str, tuple[Article | None, dict[int, float]]] = {}

    @classmethod
    def from_settings(
        cls,
        index: Index,
        embedder: Embedder,
        settings: Settings,
        reranker: SentenceReranker | None = None,
    ) -> Retriever:
        """The retriever the settings describe. ``reranker`` lets several retrievers share one
        sentence cache (per-request views of an Assistant); it is used only if
        ``settings.rerank``, and made here when that is on and none is given."""
        reranker = (reranker or SentenceReranker(embedder)) if settings.rerank else None
        return cls(index, embedder, settings.retrieval(), reranker)

    def retrieve(self, question: str, k: int) -> list[Passage]:
        return self.search(question, k)[0]

    def search(self, question: str, k: int) -> tuple[list[Passage], np.ndarray]:
        """``retrieve``, with the question's vector (the answer stage scores sentences by it)."""
        question = normalize(question)
        query = self.embedder.embed_query(question)
        return self.retrieve_with_vector(question, query, k), query

    def retrieve_with_vector(self, question: str, query: np.ndarray, k: int) -> list[Passage]:
        """``retrieve`` with the question's embedding already at hand (benchmarks reuse it)."""
        pool = max(k, self.candidate_pool)
        index = self.index.view()  # one state of the index for the whole search
        extra_rows = self._excluded_rows(index)  # fetched more, then dropped: `pool` remain
        positions, cosines = index.dense_search(query, pool + extra_rows)
        hits = zip(positions.tolist(), cosines.tolist(), strict=True)
        dense = dict([(p, c) for p, c in hits if self._allowed(index, p)][:pool])
        dense_hits = list(dense)  # before BM25's own finds join them
        lexical_weight = self._lexical_weight(question)
        found: list[int] = []
        if lexical_weight > 0:
            found = index.lexical_search(question, pool + extra_rows)[0].tolist()
            found = [p for p in found if self._allowed(index, p)][:pool]
            extra = [p for p in found if p not in dense]
            dense.update(zip(extra, index.similarities(query, extra).tolist(), strict=True))
        scores = self._with_year_bonus(index, question, dense)
        by_dense = sorted(dense_hits, key=lambda p: scores[p], reverse=True)
        fused = reciprocal_rank_fusion(
            [by_dense, found], [self.fusion.dense_weight, lexical_weight], self.fusion.k
        )
        if self.reranker is None:
            return [_passage(index, position, scores[position]) for position, _ in fused[:k]]
        head = fused[: max(k, self.rerank_depth)]  # a passage below k may move up into it
        passages = [_passage(index, position, scores[position]) for position, _ in head]
        return self.reranker.rerank(query, passages, self.rerank_depth)[:k]

    def excluding(self, doc_ids: frozenset[str]) -> Retriever:
        """This retriever, sharing its index and models, that never returns those articles."""
        other = copy.copy(self)
        other.excluded = self.excluded | doc_ids
        return other

    def _allowed(self, index: Index, position: int) -> bool:
        return not self.excluded or index.chunks[position].doc_id not in self.excluded

    def _excluded_rows(self, index: Index) -> int:
        """How many more rows to fetch so that ``pool`` remain once excluded ones are dropped."""
        if not self.excluded:
            return 0
        return sum(1 for chunk in index.chunks if chunk.doc_id in self.excluded)

    def _lexical_weight(self, question: str) -> float:
        english = guess_language(question) == "en"
        return self.fusion.lexical_weight_en if english else self.fusion.lexical_weight

    def _with_year_bonus(
        self, index: Index, question: str, cosines: dict[int, float]
    ) -> dict[int, float]:
        asked = question_years(question)
        if not asked or not self.year_bonus:
            return cosines
        return {
            position: cosine + self.year_bonus * self._year_relevance(index, asked, position)
            for position, cosine in cosines.items()
        }

    def _year_relevance(self, index: Index, asked: set[int], position: int) -> float:
        chunk = index.chunks[position]
        article = index.articles.get(chunk.doc_id)
        cached = self._article_years.get(chunk.doc_id)
        if cached is None or cached[0] is not article:  # new, or replaced since
            about = article_years(article.title, article.text, article.date) if article else {}
            cached = self._article_years[chunk.doc_id] = (article, about)
        return year_relevance(asked, chunk.text, cached[1])


def _passage(index: Index, position: int, score: float) -> Passage:
    c = index.chunks[position]
    return Passage(c.doc_id, c.title, c.date, c.text, score, c.start, c.end)
