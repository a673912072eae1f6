"""Reading less, better: the sentences of the context that are closest to the question.

A 1.5B model reads three long passages poorly (it takes a neighbouring figure, the wrong
person, a sub-total) and slowly (prefill dominates answer time on a CPU). So the passages
chosen for the context are cut down to their sentences most similar to the question, each
with its neighbours (a figure's subject is often in the sentence before), within a character
budget; what is left out is marked with an ellipsis, and each passage keeps its title and date.

Sentences are scored by cosine to the question vector; their vectors come from a
``SentenceSource`` (stored at index time, or embedded on demand and cached).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from rag.ingest.chunking import split_sentences
from rag.types import Passage

GAP = " … "


class SentenceSource(Protocol):
    """Unit vectors of a passage's sentences, one row per span of ``split_sentences``."""

    def sentence_vectors(self, passage: Passage) -> np.ndarray: ...


@dataclass(frozen=True)
class _Sentence:
    passage: int  # index into the passages
    number: int  # its place among the passage's sentences
    start: int  # offsets in the passage's text
    end: int
    score: float


def focus_context(
    passages: Sequence[Passage],
    query: np.ndarray,
    source: SentenceSource,
    budget_chars: int,
    neighbours: int = 1,
) -> list[Passage]:
    """The passages cut down to their best sentences (and ``neighbours`` on each side),
    best first across passages, within ``budget_chars``; passages left with nothing are
    dropped, the others keep their order. The best sentence overall and its neighbours are
    always kept, and a passage whose sentences the source cannot give is kept whole."""
    sentences = [s for i, p in enumerate(passages) for s in _scored(i, p, query, source)]
    if not sentences:
        return list(passages)
    by_passage: dict[int, list[_Sentence]] = {}
    for sentence in sentences:
        by_passage.setdefault(sentence.passage, []).append(sentence)
    kept: set[tuple[int, int]] = set()
    used = 0
    for best in sorted(sentences, key=lambda s: -s.score):
        row = by_passage[best.passage]
        window = row[max(0, best.number - neighbours) : best.number + neighbours + 1]
        new = [s for s in window if (s.passage, s.number) not in kept]
        cost = sum(s.end - s.start + 1 for s in new)
        if kept and used + cost > budget_chars:
            # The neighbours may not fit where the sentence alone would.
            new = [best] if (best.passage, best.number) not in kept else []
            cost = sum(s.end - s.start + 1 for s in new)
            if not new or used + cost > budget_chars:
                continue
        kept.update((s.passage, s.number) for s in new)
        used += cost
    focused = []
    for i, passage in enumerate(passages):
        if i not in by_passage:  # its sentences could not be scored: read it whole
            focused.append(passage)
            continue
        row = by_passage[i]
        chosen = {s.number for s in row if (s.passage, s.number) in kept}
        if chosen:
            text, first, last = kept_text(passage.text, [(s.start, s.end) for s in row], chosen)
            focused.append(
                replace(passage, text=text, start=passage.start + first, end=passage.start + last)
            )
    return focused


def _scored(
    position: int, passage: Passage, query: np.ndarray, source: SentenceSource
) -> list[_Sentence]:
    spans = split_sentences(passage.text) or [(0, len(passage.text))]
    vectors = source.sentence_vectors(passage)
    if len(vectors) != len(spans):  # a source that split differently: score nothing here
        return []
    scores = np.asarray(vectors, dtype=np.float32) @ np.asarray(query, dtype=np.float32)
    return [
        _Sentence(position, n, start, end, float(score))
        for n, ((start, end), score) in enumerate(zip(spans, scores, strict=True))
    ]


def kept_text(
    text: str, spans: Sequence[tuple[int, int]], kept: Collection[int]
) -> tuple[str, int, int]:
    """``text`` reduced to the sentences numbered ``kept`` (indices into ``spans``, which is
    not empty): runs of consecutive ones as written, joined by a gap mark, with a mark at
    either end where text was left out; and where the kept text starts and ends in ``text``.
    (Also what the instruction screen leaves of a passage.)"""
    runs: list[list[int]] = []
    for number in sorted(kept):
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    joined = GAP.join(text[spans[run[0]][0] : spans[run[-1]][1]] for run in runs)
    if runs[0][0] > 0:
        joined = GAP.lstrip() + joined
    if runs[-1][-1] < len(spans) - 1:
        joined = joined + GAP.rstrip()
    return joined, spans[runs[0][0]][0], spans[runs[-1][-1]][1]
