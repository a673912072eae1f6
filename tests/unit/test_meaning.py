"""An English answer with no figure, name or quote in a passage is grounded by meaning
(rag.answer.meaning, Draft.close_in_meaning), never a Vietnamese one, which words can check."""

from __future__ import annotations

import numpy as np

from embeddings.fake import HashingEmbedder
from rag.answer.checks import draft_from_reply, no_grounded_fact
from rag.answer.meaning import meaning_of
from rag.answer.reply import parse_reply
from rag.retrieve.rerank import SentenceReranker
from rag.types import Passage

PRIMES = Passage("p", "Số nguyên tố", None, "Mọi số lớn hơn 1 là tích của các số nguyên tố.",
                 0.6, 0, 47)  # fmt: skip
WEATHER = Passage("w", "Thời tiết", None, "Trời mưa to ở Hà Nội.", 0.4, 0, 21)
CONTEXT = [WEATHER, PRIMES]
QUESTION = "Any number larger than 1 can be represented as a product of what?"
REPLY = "A product of prime numbers."


def fixed(scores: list[float]):
    calls: list[str] = []

    def meaning(text: str) -> list[float]:
        calls.append(text)
        return scores

    return meaning, calls


def draft(reply: str, language: str, scores: list[float], min_meaning: float = 0.6):
    meaning, calls = fixed(scores)
    made = draft_from_reply(parse_reply(reply, len(CONTEXT)), QUESTION, language, CONTEXT,
                            meaning, min_meaning)  # fmt: skip
    return made, calls


def test_an_english_answer_close_in_meaning_to_a_passage_is_grounded_and_cites_it() -> None:
    made, calls = draft(REPLY, "en", [0.1, 0.72])
    assert no_grounded_fact(made) is None
    assert made.cited == [1] and made.text.endswith("[1]")
    assert set(calls) == {REPLY}


def test_below_the_threshold_it_is_not() -> None:
    made, _ = draft(REPLY, "en", [0.1, 0.55])
    assert no_grounded_fact(made) is not None
    assert made.cited == []


def test_a_vietnamese_answer_is_never_grounded_by_meaning() -> None:
    made, calls = draft("Đó là những thừa số khác nhau.", "vi", [0.9, 0.9])
    assert no_grounded_fact(made) is not None
    assert calls == []


def test_without_a_meaning_function_nothing_changes() -> None:
    made = draft_from_reply(parse_reply(REPLY, 2), QUESTION, "en", CONTEXT)
    assert made.close_in_meaning == [] and no_grounded_fact(made) is not None


def test_closeness_is_the_best_sentence_cosine_of_the_passage_of_that_article() -> None:
    embedder = HashingEmbedder(256)
    sentences = SentenceReranker(embedder, cache_size=0)
    focused = Passage("p", PRIMES.title, None, "… tích của các số nguyên tố.", 0.6, 20, 47)
    closeness = meaning_of(embedder, sentences, [WEATHER, PRIMES], [focused])
    [score] = closeness("Mọi số lớn hơn 1 là tích của các số nguyên tố.")
    expected = float(
        np.max(
            sentences.sentence_vectors(PRIMES)
            @ embedder.embed_query("Mọi số lớn hơn 1 là tích của các số nguyên tố.")
        )
    )
    assert score == expected and score > 0.5


def test_the_same_answer_text_is_embedded_once() -> None:
    embedder = HashingEmbedder(256)
    closeness = meaning_of(embedder, SentenceReranker(embedder), [PRIMES], [PRIMES])
    before = embedder.calls
    assert closeness(REPLY) == closeness(REPLY)
    assert embedder.calls - before == 2  # the answer once, the passage's sentences once
