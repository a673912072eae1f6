"""Years in questions and passages: "the 2020 motto" must come from text about 2020.

Publication dates in this collection can be wrong (an article about a January 2020 conference
is dated 2022), so what counts is the years a passage's own text names. A year that only closes
a range ("giai đoạn 2016 – 2020") counts for less than one named on its own ("năm 2020").
"""

from __future__ import annotations

import re
from collections import Counter

from rag.text import normalize

_RANGE = re.compile(r"(?<!\d)((?:19|20)\d\d)\s*[–—-]\s*((?:19|20)\d\d)(?!\d)")
_YEAR = re.compile(r"(?<![\d.,])((?:19[5-9]|20\d)\d)(?![\d])")


def year_mentions(text: str) -> dict[int, float]:
    """Each year named in ``text`` with a weight: 1.0 alone, 0.5 as the end of a range."""
    text = normalize(text)
    weights: dict[int, float] = {}
    for match in _RANGE.finditer(text):
        for year in match.groups():
            weights[int(year)] = max(weights.get(int(year), 0.0), 0.5)
    without_ranges = _RANGE.sub(" ", text)
    for match in _YEAR.finditer(without_ranges):
        weights[int(match.group(1))] = 1.0
    return weights


def question_years(question: str) -> set[int]:
    """The years a question asks about ("năm 2020", "in 2023", "đầu năm 2020", "2016-2020")."""
    return set(year_mentions(question))


def year_match(asked: set[int], text: str) -> float:
    """How strongly a passage is about one of the asked years: 0 (not at all) to 1."""
    if not asked:
        return 0.0
    mentions = year_mentions(text)
    return max((mentions.get(year, 0.0) for year in asked), default=0.0)


def article_years(title: str, text: str, date: str | None = None) -> dict[int, float]:
    """The years an article is about, each weighted 0..1: its event years, read from its text.

    A year in the title weighs as ``year_mentions`` says; a year of the text weighs by how often
    it is named relative to the article's most-named year (times its ``year_mentions`` weight,
    so a range end counts half). The publication date counts only when the text names no year
    at all, and then half: dates in this collection can be wrong, and a review published in
    January is about the year before.
    """
    weights = year_mentions(title)
    counts = Counter(int(year) for year in _YEAR.findall(normalize(text)))
    most = max(counts.values(), default=0)
    strength = year_mentions(text)
    for year, count in counts.items():
        weights[year] = max(weights.get(year, 0.0), strength[year] * count / most)
    if not weights and date and (published := _YEAR.match(date)):
        weights[int(published.group(1))] = 0.5
    return weights


def year_relevance(
    asked: set[int], passage_text: str, about: dict[int, float], article_share: float = 0.5
) -> float:
    """How strongly a passage answers for the asked years, 0..1: its own text first, then the
    years its article is about (``article_years``), those counting ``article_share`` as much.

    A passage of the review of 2020 that does not repeat "2020" itself still belongs to 2020.
    """
    if not asked:
        return 0.0
    from_article = max((about.get(year, 0.0) for year in asked), default=0.0)
    return max(year_match(asked, passage_text), article_share * from_article)
