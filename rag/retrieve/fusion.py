"""Reciprocal rank fusion: one ranking from several, by rank alone.

BM25 scores and cosine similarities live on unrelated scales (and BM25's depends on the
question's length), so the rankings are merged by position: an item at rank ``r`` (1-based) of
a ranking with weight ``w`` earns ``w / (k + r)``, summed over the rankings it appears in
(Cormack et al., 2009). A larger ``k`` flattens the difference between the first ranks.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TypeVar

Item = TypeVar("Item", bound=Hashable)


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[Item]], weights: Sequence[float], k: float = 60.0
) -> list[tuple[Item, float]]:
    """Items of all rankings with their fused score, best first.

    Ties keep the order in which the items were first met (earlier rankings first), so the
    result is deterministic. A ranking with weight 0 contributes nothing, not even its items.
    """
    if len(rankings) != len(weights):
        raise ValueError(f"{len(rankings)} rankings but {len(weights)} weights")
    if k < 0:
        raise ValueError(f"k must not be negative, got {k}")
    scores: dict[Item, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        if weight <= 0:
            continue
        for rank, item in enumerate(dict.fromkeys(ranking), start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda pair: pair[1], reverse=True)
