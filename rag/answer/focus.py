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

from collections.abc import Sequence
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
        chosen = [s for s in by_passage[i] if (s.passage, s.number) in kept]
        if chosen:
            focused.append(_cut(passage, chosen, len(by_passage[i])))
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


def _cut(passage: Passage, chosen: list[_Sentence], total: int) -> Passage:
    """The passage's text reduced to runs of consecutive chosen sentences, joined by a gap
    mark; ``start``/``end`` still span it in the article."""
    runs: list[list[_Sentence]] = []
    for sentence in sorted(chosen, key=lambda s: s.number):
        if runs and sentence.number == runs[-1][-1].number + 1:
            runs[-1].append(sentence)
        else:
            runs.append([sentence])
    pieces = [passage.text[run[0].start : run[-1].end] for run in runs]
    text = GAP.join(pieces)
    if runs[0][0].number > 0:
        text = GAP.lstrip() + text
    if runs[-1][-1].number < total - 1:
        text = text + GAP.rstrip()
    first, last = runs[0][0].start, runs[-1][-1].end
    return replace(passage, text=text, start=passage.start + first, end=passage.start + last)
