"""Finding the passages that answer a question."""

from __future__ import annotations

from dataclasses import replace

from embeddings.base import Embedder

from .index import Index
from .text import normalize
from .timeaware import question_years, year_match
from .types import Passage


class Retriever:
    """Dense retrieval by cosine similarity, then a time-aware re-ranking of the candidates.

    When the question names a year, a passage that names that year gets ``year_bonus`` added
    to its score (scaled by how directly it names it), so "the 2020 motto" prefers the passage
    about 2020 over an equally similar one about 2021.
    """

    def __init__(
        self, index: Index, embedder: Embedder, candidate_pool: int = 20, year_bonus: float = 0.08
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.candidate_pool = candidate_pool
        self.year_bonus = year_bonus

    def retrieve(self, question: str, k: int) -> list[Passage]:
        question = normalize(question)
        query = self.embedder.embed_query(question)
        pool = max(k, self.candidate_pool)
        candidates = [
            Passage(c.doc_id, c.title, c.date, c.text, score, c.start, c.end)
            for c, score in self.index.search(query, pool)
        ]
        asked = question_years(question)
        if asked and self.year_bonus:
            candidates = [
                replace(p, score=p.score + self.year_bonus * year_match(asked, p.text))
                for p in candidates
            ]
            candidates.sort(key=lambda p: p.score, reverse=True)
        return candidates[:k]
