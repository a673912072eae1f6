"""What the generator gets to read, and when there is nothing worth reading.

Passages are taken best first, within a character budget that bounds the prompt (prefill time
dominates answer time on a CPU). Overlapping chunks of one article are merged into one passage,
so the model never reads the same sentence twice.
"""

from __future__ import annotations

from dataclasses import replace

from rag.index.collection import Index
from rag.retrieve.places import provinces_in
from rag.retrieve.timeaware import question_years, year_match
from rag.types import Passage


def select_context(
    pool: list[Passage], index: Index, max_passages: int, max_chars: int
) -> list[Passage]:
    """The best passages of ``pool``, at most ``max_passages`` and ``max_chars`` in all."""
    chosen: list[Passage] = []
    used = 0
    for passage in pool:
        if len(chosen) >= max_passages:
            break
        merged = _merge_into(chosen, passage, index)
        if merged is not None:
            grown = len(merged[1].text) - len(chosen[merged[0]].text)
            if used + grown <= max_chars:
                chosen[merged[0]] = merged[1]
                _absorb_overlaps(chosen, merged[0], index)
                used = sum(len(p.text) for p in chosen)
            continue
        if chosen and used + len(passage.text) > max_chars:
            continue
        chosen.append(passage)
        used += len(passage.text)
    return chosen


def _merge_into(
    chosen: list[Passage], passage: Passage, index: Index
) -> tuple[int, Passage] | None:
    """If ``passage`` overlaps or touches one already chosen from its article, the union."""
    for position, other in enumerate(chosen):
        union = _union(other, passage, index)
        if union is not None:
            return position, union
    return None


def _absorb_overlaps(chosen: list[Passage], position: int, index: Index) -> None:
    """A passage that grew may now touch another chosen one of its article: make them one.

    Without this, a chunk bridging two chosen chunks would be merged into the first only, and
    the sentence they share would reach the model twice. The union keeps the better rank.
    """
    while True:
        found = next(
            (
                (at, union)
                for at, other in enumerate(chosen)
                if at != position and (union := _union(chosen[position], other, index)) is not None
            ),
            None,
        )
        if found is None:
            return
        at, union = found
        keep, drop = min(at, position), max(at, position)
        chosen[keep] = union
        del chosen[drop]
        position = keep


def _union(first: Passage, second: Passage, index: Index) -> Passage | None:
    """One passage spanning both, if they come from one article and overlap or touch."""
    article = index.articles.get(first.doc_id)
    if article is None or first.doc_id != second.doc_id:
        return None
    if not (second.start <= first.end + 2 and first.start <= second.end + 2):
        return None
    start, end = min(first.start, second.start), max(first.end, second.end)
    score = max(first.score, second.score)
    return replace(first, text=article.text[start:end], start=start, end=end, score=score)


def evidence_gap(question: str, pool: list[Passage], min_relevance: float) -> str | None:
    """Why the retrieved passages cannot hold the answer, or None if they might.

    - nothing retrieved is similar enough to the question to be about it;
    - the question asks about a year that none of the related passages names;
    - the question names provinces, none of which a related passage names.

    What each earns on the choose half of eval.heldout (628 questions, --per-set 150): the
    similarity bar turned away 20 questions the articles do not answer, the year 17, the
    province 4; none of the 338 answerable questions was turned away. They cost no model call.
    """
    if not pool:
        return "the collection is empty"
    best = max(p.score for p in pool)
    if best < min_relevance:
        return f"best passage similarity {best:.3f} is below {min_relevance:.3f}"
    asked = question_years(question)
    if asked and not any(year_match(asked, p.text) > 0 for p in pool):
        return f"no related passage mentions {', '.join(map(str, sorted(asked)))}"
    named = provinces_in(question)
    if named and not any(provinces_in(f"{p.title}\n{p.text}") & named for p in pool):
        return f"no related passage names {', '.join(sorted(named))}"
    return None
