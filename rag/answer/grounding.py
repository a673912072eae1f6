"""Checking an answer against the passages it was written from.

The model's citations are not trusted blindly: a citation that points nowhere was already
dropped by ``prompting.parse_reply``; here an answer that cites nothing gets the passages that
visibly support it; an answer that only restates the question says nothing. Which facts an
answer states and where the passages hold them is ``rag.answer.facts``.
"""

from __future__ import annotations

import re

from rag.answer.markup import without_citations
from rag.text import tokenize
from rag.types import Passage

# Words that carry no evidence (question scaffolding, both languages).
_FILLER = {
    "the", "a", "an", "of", "in", "is", "was", "were", "and", "to", "for", "on", "at", "by",
    "it", "its", "that", "this", "with", "as", "be", "are", "from", "which", "what", "who",
    "là", "của", "và", "các", "những", "được", "có", "trong", "cho", "với", "năm", "đã", "này",
}  # fmt: skip


def support(answer: str, passage: Passage, question: str = "") -> float:
    """Share of the answer's content words (those the question does not hold) found in the
    passage (0..1)."""
    words = _content_words(answer) - set(tokenize(question))
    if not words:
        return 0.0
    return len(words & set(tokenize(passage.text))) / len(words)


def supporting_passages(
    answer: str,
    passages: list[Passage],
    threshold: float = 0.5,
    *,
    question: str = "",
    language: str = "vi",
) -> list[int]:
    """Indices of passages that hold at least ``threshold`` of the answer's content words.

    An English answer about Vietnamese passages shares only what it quotes with them (names,
    numbers, a motto), so for English the share is taken over those quoted words alone: the
    answer's words that occur in some passage but not in the question.
    """
    if language == "en":
        return _supporting_quotes(answer, passages, threshold, question)
    scored = [(support(answer, p), i) for i, p in enumerate(passages)]
    return [i for score, i in sorted(scored, reverse=True) if score >= threshold][:2]


def _supporting_quotes(
    answer: str, passages: list[Passage], threshold: float, question: str
) -> list[int]:
    vocabularies = [set(tokenize(p.text)) for p in passages]
    quoted = (_content_words(answer) & set().union(*vocabularies)) - set(tokenize(question))
    if not quoted:
        return []
    scored = [(len(quoted & words) / len(quoted), i) for i, words in enumerate(vocabularies)]
    return [i for score, i in sorted(scored, reverse=True) if score >= threshold][:2]


def says_nothing(answer: str, question: str) -> bool:
    """An answer that only restates the question ("The resolution it follows is [1].") or asks
    one back: small models write these when they cannot find the fact."""
    text = without_citations(answer).strip()
    if text.endswith("?"):
        return True
    asked = {_stem(w) for w in tokenize(question)}
    return not {_stem(w) for w in _content_words(text)} - asked


def _stem(word: str) -> str:
    """English inflections off ("follows" → "follow"); Vietnamese words do not inflect."""
    if word.isascii() and len(word) > 4:
        return re.sub(r"(?:ing|ed|es|s)$", "", word)
    return word


def _content_words(text: str) -> set[str]:
    # A one-letter word carries nothing, a one-digit number may be the answer ("7 nhiệm vụ").
    words = tokenize(without_citations(text))
    return {w for w in words if w not in _FILLER and (len(w) > 1 or w.isdigit())}
