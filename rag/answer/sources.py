"""Whose fact is it: the sentence a fact comes from, compared with what the question names.

A figure or a motto taken from the right passage can still answer another question: the 2021
motto offered for 2020. The fact's source sentences are the sentences of the context that
hold it; when every one of them is about another year than the one asked, the fact belongs to
that year.
"""

from __future__ import annotations

from rag.answer.facts import Evidence, Fact, asked_kinds
from rag.ingest.chunking import split_sentences
from rag.retrieve.timeaware import question_years, year_mentions
from rag.types import Passage


def source_sentences(fact: Fact, passages: list[Passage]) -> list[str]:
    """The sentences of the passages that hold ``fact``."""
    found: list[str] = []
    for passage in passages:
        sentences = [passage.text[a:b] for a, b in split_sentences(passage.text)]
        found.extend(sentences[j] for j in Evidence(sentences).holds(fact))
    return found


def source_year_conflict(question: str, facts: list[Fact], passages: list[Passage]) -> int | None:
    """The other year the answer's facts belong to, or None.

    Only for a question that names a year and does not ask for one (an answer whose value is
    itself a year, "by 2035", is judged by what it says, not by which year its sentence
    names). None as soon as one fact has a source sentence naming an asked year or no year.
    """
    asked = question_years(question)
    if not asked or asked_kinds(question) & {"year", "date"}:
        return None
    other: set[int] = set()
    for fact in (f for f in facts if f.kind not in ("year", "date")):
        for sentence in source_sentences(fact, passages):
            years = set(year_mentions(sentence))
            if not years or years & asked:
                return None
            other |= years
    return max(other) if other else None
