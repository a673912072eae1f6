"""What the generator gets to read, and when there is nothing worth reading.

Passages are taken best first, within a character budget that bounds the prompt (prefill time
dominates answer time on a CPU). Overlapping chunks of one article are merged into one passage,
so the model never reads the same sentence twice.
"""

from __future__ import annotations

from dataclasses import replace

from .index import Index
from .settings import Settings
from .timeaware import question_years, year_match
from .types import Passage


def select_context(pool: list[Passage], index: Index, settings: Settings) -> list[Passage]:
    chosen: list[Passage] = []
    used = 0
    for passage in pool:
        if len(chosen) >= settings.context_passages:
            break
        merged = _merge_into(chosen, passage, index)
        if merged is not None:
            grown = len(merged[1].text) - len(chosen[merged[0]].text)
            if used + grown <= settings.context_chars:
                chosen[merged[0]] = merged[1]
                used += grown
            continue
        if chosen and used + len(passage.text) > settings.context_chars:
            continue
        chosen.append(passage)
        used += len(passage.text)
    return chosen


def _merge_into(chosen: list[Passage], passage: Passage, index: Index) -> tuple[int, Passage] | None:
    """If ``passage`` overlaps or touches one already chosen from its article, the union."""
    article = index.articles.get(passage.doc_id)
    if article is None:
        return None
    for position, other in enumerate(chosen):
        if other.doc_id != passage.doc_id:
            continue
        if passage.start <= other.end + 2 and other.start <= passage.end + 2:
            start, end = min(other.start, passage.start), max(other.end, passage.end)
            text = article.text[start:end]
            return position, replace(other, text=text, start=start, end=end, score=max(other.score, passage.score))
    return None


def evidence_gap(question: str, pool: list[Passage], min_relevance: float) -> str | None:
    """Why the retrieved passages cannot hold the answer, or None if they might.

    - nothing retrieved is similar enough to the question to be about it;
    - the question asks about a year that none of the related passages names.
    """
    if not pool:
        return "the collection is empty"
    best = max(p.score for p in pool)
    if best < min_relevance:
        return f"best passage similarity {best:.3f} is below {min_relevance:.3f}"
    asked = question_years(question)
    if asked and not any(year_match(asked, p.text) > 0 for p in pool):
        return f"no related passage mentions {', '.join(map(str, sorted(asked)))}"
    return None
