"""What can be measured about an answer, each signal in [0, 1], for the judge to weigh.

None of these decides alone: ``judge`` combines them with weights fitted on the choose half
(``eval.calibrate --fit``), so each counts for what it measurably tells there.

- ``p_yes``: the reader's P("yes") that the passages state the answer (``judge``).
- ``relevance``: the best retrieval similarity (cosine) of any passage to the question.
- ``asked_other``: of the years and provinces the question names, the share its answer's
  source sentence (the one holding most of its key words, with the one before it, which often
  names the subject) contradicts: it names another year (or province) and not the asked one.
  Whose fact is it: the 2020 motto offered for 2022 comes from a sentence about 2020. Only a
  contradiction counts: a sentence that names no year often holds the asked year's fact (on
  the choose half, "the asked terms are named" carried no information, "another is named
  instead" did).
- ``copied``: of the answer's key words (figures, compared by their digits, and words with
  Vietnamese diacritics: what must be copied, in either language), the share the cited
  passages hold; 1 when it has none.
- ``adds``: how many words the answer adds to the question's, up to three (as a share of
  three): a reply that restates the question adds nothing.
- ``cross_lingual``: 1 when the question is in another language than the passages it is
  answered from (an English question over Vietnamese articles), else 0: reading across
  languages, the 1.5B reader is wrong more often at the same P("yes") and relevance.
- ``reply_p``: how sure the reader was of the reply it wrote, the geometric mean of its chosen
  tokens' probabilities (``ReplyScore.mean_probability``); a reader that copies is sure of
  every token, one that invents hesitates. 1 when the backend does not tell.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from rag.ingest.chunking import split_sentences
from rag.retrieve.places import provinces_in
from rag.retrieve.timeaware import question_years
from rag.text import digits_of, guess_language, normalize, strip_diacritics, tokenize
from rag.types import Passage

from .markup import without_citations


@dataclass(frozen=True)
class Signals:
    p_yes: float
    relevance: float = 0.0
    asked_other: float = 0.0
    copied: float = 1.0
    adds: float = 1.0
    reply_p: float = 1.0
    cross_lingual: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return {name: round(value, 4) for name, value in asdict(self).items()}


def signals_of(
    question: str, answer: str, cited: list[Passage], p_yes: float, relevance: float,
    reply_p: float = 1.0, cross_lingual: float = 0.0,
) -> Signals:  # fmt: skip
    """Every signal of a written answer (``answer`` with its citations; ``cited`` its sources)."""
    words = _words(answer)
    keys = [w for w in words if _is_key(w)]
    asked = set(_words(question))
    source = source_sentences(keys or words, cited)
    return Signals(
        p_yes=p_yes,
        relevance=min(max(relevance, 0.0), 1.0),
        asked_other=asked_other(question, source),
        copied=_share(keys, _words(" ".join(c.text for c in cited))),
        adds=min(1.0, len({w for w in words if w not in asked}) / 3),
        reply_p=min(max(reply_p, 0.0), 1.0),
        cross_lingual=cross_lingual,
    )


def cross_lingual(language: str, passages: list[Passage]) -> float:
    """1.0 when ``language`` (the question's) is not the passages' language, else 0.0."""
    return float(language != guess_language(" ".join(p.text for p in passages)))


def source_sentences(words: list[str], cited: list[Passage]) -> str:
    """The sentence of the cited passages holding most of ``words``, and the one before it."""
    best, best_overlap = "", -1
    wanted = set(words)
    for passage in cited:
        spans = split_sentences(passage.text)
        for i, (start, end) in enumerate(spans):
            overlap = len(wanted & set(_words(passage.text[start:end])))
            if overlap > best_overlap:
                before = passage.text[spans[i - 1][0] : spans[i - 1][1]] if i else ""
                best, best_overlap = f"{before} {passage.text[start:end]}", overlap
    return best


def asked_other(question: str, sentence: str) -> float:
    kinds = _named(question, sentence)
    asked = sum(len(terms) for terms, _ in kinds)
    if not asked:
        return 0.0
    other = sum(1 for terms, named in kinds for t in terms if t not in named and named - terms)
    return other / asked


def _named(question: str, sentence: str) -> list[tuple[set[str], set[str]]]:
    """For years, then provinces: those the question names, and those the sentence names."""
    return [
        ({str(y) for y in question_years(question)}, {str(y) for y in question_years(sentence)}),
        (provinces_in(question), provinces_in(sentence)),
    ]


def logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def _words(text: str) -> list[str]:
    """Case-folded words; a figure as its digits alone, so 13.1% = 13,1 % and 3, 250 = 3.250."""
    words = [w.casefold() for w in tokenize(normalize(without_citations(text)))]
    return [digits_of(w) or w for w in words]


def _is_key(word: str) -> bool:
    return any(c.isdigit() for c in word) or strip_diacritics(word) != word


def _share(words: list[str], pool: list[str]) -> float:
    if not words:
        return 1.0
    present = set(pool)
    return sum(w in present for w in words) / len(words)
