"""How close in meaning an answer is to the passages it was written from.

An English answer to Vietnamese passages shares no words with them beyond names and numbers,
so "half of its words are in a passage" cannot ground "a product of prime numbers". The
embedder is multilingual: the answer, embedded as a query, is compared with the sentences of
each passage (the vectors stored at index time, ``rag.index.sentences``), and a passage's
closeness is its best sentence's cosine. One embedding per answer text, only when a check
asks for it (a draft re-cited or retried with the same words asks again: it is remembered).
"""

from __future__ import annotations

from functools import lru_cache

from embeddings.base import Embedder
from rag.answer.checks import Meaning
from rag.retrieve.rerank import SentenceReranker
from rag.types import Passage


def meaning_of(
    embedder: Embedder, sentences: SentenceReranker, whole: list[Passage], context: list[Passage]
) -> Meaning:
    """For an answer's text, each ``context`` passage's closeness to it in meaning.

    ``whole`` are the passages before they were focused or screened (their text is the
    article's, so their stored sentence vectors can be found); a context passage takes the
    best closeness among the whole passages of its article."""

    @lru_cache(maxsize=4)
    def closeness(answer: str) -> tuple[float, ...]:
        query = embedder.embed_query(answer)
        best: dict[str, float] = {}
        for passage in whole:
            score = sentences.best_sentence(query, passage)
            best[passage.doc_id] = max(best.get(passage.doc_id, -1.0), score)
        return tuple(best.get(p.doc_id, -1.0) for p in context)

    return lambda answer: list(closeness(answer))
