"""Years in questions and passages: "the 2020 motto" must come from text about 2020.

Publication dates in this collection can be wrong (an article about a January 2020 conference
is dated 2022), so what counts is the years a passage's own text names. A year that only closes
a range ("giai đoạn 2016 – 2020") counts for less than one named on its own ("năm 2020").
"""

from __future__ import annotations

import re

from .text import normalize

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
