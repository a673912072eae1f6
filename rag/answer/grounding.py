"""Checking an answer against the passages it was written from.

The model's citations are not trusted blindly: a citation that points nowhere was already
dropped by ``prompting.parse_reply``; here an answer that cites nothing gets the passages that
visibly support it, and an answer that states figures found in no passage, or shares almost
nothing with any passage, is treated as not grounded.
"""

from __future__ import annotations

import re

from rag.answer.markup import without_citations
from rag.ingest.chunking import split_sentences
from rag.retrieve.timeaware import question_years, year_mentions
from rag.text import normalize, tokenize
from rag.types import Passage

_DIGITS = re.compile(r"\d[\d.,]*\d|\d")
_UPPER = "A-ZÀ-ÝĂĐĨŨƠƯẠ-Ỹ"
_NAME = re.compile(rf"[{_UPPER}][^\W\d_]*(?:[ ]+[{_UPPER}][^\W\d_]*)+")
_VIETNAMESE = re.compile(r"[^\x00-\x7f]")
_POINTERS = re.compile(r"\b(?:passages?|pages?|paragraphs?|đoạn|trang)\s+\d+", re.IGNORECASE)
# Words that carry no evidence (question scaffolding, both languages).
_FILLER = {
    "the", "a", "an", "of", "in", "is", "was", "were", "and", "to", "for", "on", "at", "by",
    "it", "its", "that", "this", "with", "as", "be", "are", "from", "which", "what", "who",
    "là", "của", "và", "các", "những", "được", "có", "trong", "cho", "với", "năm", "đã", "này",
}  # fmt: skip


def support(answer: str, passage: Passage) -> float:
    """Share of the answer's content words found in the passage (0..1)."""
    words = _content_words(answer)
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


def unsupported_figures(answer: str, question: str, passages: list[Passage]) -> list[str]:
    """Numbers in the answer that neither the question nor any passage contains.

    Compared as bare digit strings, so 247.344 (Vietnamese) and 247,344 (English) agree.
    """
    known = {
        _bare(n) for text in [question, *(p.text for p in passages)] for n in _DIGITS.findall(text)
    }
    # Citation markers and pointers into the sources ("passage 2", "page 3") are not figures;
    # anything else that is a number must be found somewhere.
    stated = _DIGITS.findall(_POINTERS.sub(" ", without_citations(answer)))
    return [n for n in stated if _bare(n) not in known]


def unsupported_names(answer: str, question: str, passages: list[Passage]) -> list[str]:
    """Vietnamese names in the answer ("Nguyễn Văn A") that neither the question nor any
    passage contains: a small model that invents a minister writes a plausible name.

    A name is a run of two or more capitalised words from the first one with Vietnamese
    letters, so English titles before it ("Deputy Prime Minister") and English words are not
    judged. Compared after NFC, one tone-mark placement and case folding; a sentence's
    capitalised first word may have joined the name, so it is also tried without that word.
    """
    known = _folded(" ".join([question, *(p.text for p in passages)]))
    missing = []
    for match in _NAME.finditer(without_citations(answer)):
        words = match.group(0).split()
        first = next((i for i, w in enumerate(words) if _VIETNAMESE.search(w)), len(words))
        name = words[first:]
        if len(name) < 2:
            continue
        tries = [name, name[1:]] if len(name) > 2 else [name]
        if not any(_folded(" ".join(t)) in known for t in tries):
            missing.append(" ".join(name))
    return missing


def _folded(text: str) -> str:
    return " ".join(normalize(text).casefold().split())


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


def other_year_source(answer: str, question: str, passages: list[Passage]) -> int | None:
    """The year of the sentence the answer was taken from, when the question asks about
    another one: "the 2022 motto" answered with the motto a sentence gives for 2023.

    The source sentence is the one in the cited passages that holds most of what the answer
    adds to the question (at least half of it). None when the question names no year, or a
    sentence it may come from names no year or an asked one.
    """
    asked = question_years(question)
    added = _content_words(answer) - set(tokenize(question))
    if not asked or not added:
        return None
    sentences = [p.text[a:b] for p in passages for a, b in split_sentences(p.text)]
    overlaps = [len(added & set(tokenize(sentence))) for sentence in sentences]
    overlap = max(overlaps, default=0)
    quoted = added & set().union(*(set(tokenize(p.text)) for p in passages))
    if overlap < max(1, len(quoted) / 2):
        return None
    # Every sentence the answer could come from must be about another year (ties: any one).
    sources = [
        set(year_mentions(s)) for s, n in zip(sentences, overlaps, strict=True) if n == overlap
    ]
    if any(not years or years & asked for years in sources):
        return None
    return max(max(years) for years in sources)


def _content_words(text: str) -> set[str]:
    return {w for w in tokenize(without_citations(text)) if w not in _FILLER and len(w) > 1}


def _bare(number: str) -> str:
    return re.sub(r"\D", "", number)
