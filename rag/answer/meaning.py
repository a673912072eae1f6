"""How close in meaning an answer is to the passages it was written from.

An English answer to Vietnamese passages shares no words with them beyond names and numbers,
so "half of its words are in a passage" cannot ground "a product of prime numbers". The
embedder is multilingual: the answer, embedded as a query, is compared with the sentences of
each passage (the vectors stored at index time, ``rag.index.sentences``), and a passage's
closeness is its best sentence's cosine. One embedding, only when a check asks for it.
"""

from __future__ import annotations

import numpy as np

from embeddings.base import Embedder
from rag.answer.checks import Meaning
from rag.answer.focus import SentenceSource
from rag.types import Passage


def meaning_of(
    embedder: Embedder, sentences: SentenceSource, whole: list[Passage], context: list[Passage]
) -> Meaning:
    """For an answer's text, each ``context`` passage's closeness to it in meaning.

    ``whole`` are the passages before they were focused or screened (their text is the
    article's, so their stored sentence vectors can be found); a context passage takes the
    best closeness among the whole passages of its article."""

    def closeness(answer: str) -> list[float]:
        query = embedder.embed_query(answer)
        best: dict[str, float] = {}
        for passage in whole:
            score = float(np.max(sentences.sentence_vectors(passage) @ query))
            best[passage.doc_id] = max(best.get(passage.doc_id, -1.0), score)
        return [best.get(p.doc_id, -1.0) for p in context]

    return closeness
