"""Turning a follow-up ("And in 2023?", "Ai chủ trì?") into a question that stands alone.

Done without the model, so it costs nothing and cannot invent: a follow-up that names a new
year takes the previous question with the year replaced; any other short follow-up is searched
together with the previous question. A question that already stands alone is left as it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .timeaware import question_years

_FOLLOWUP_START = re.compile(
    r"^(and|what about|how about|also|và|còn|thế còn|vậy còn|thế|vậy)\b", re.IGNORECASE
)
_SHORT = 6  # words; shorter questions are read in the light of the previous one


def previous_questions(history: Sequence[Any] | None) -> list[str]:
    """User turns of a history given as (user, assistant) pairs or {role, content} messages."""
    questions: list[str] = []
    for turn in history or []:
        if isinstance(turn, dict):
            if turn.get("role") == "user" and isinstance(turn.get("content"), str):
                questions.append(turn["content"])
        elif isinstance(turn, (list, tuple)) and turn and isinstance(turn[0], str):
            questions.append(turn[0])
    return questions


def standalone_question(question: str, history: Sequence[Any] | None) -> str:
    previous = previous_questions(history)
    if not previous:
        return question
    last = previous[-1]
    words = question.split()
    is_followup = bool(_FOLLOWUP_START.match(question.strip())) or len(words) <= _SHORT
    if not is_followup:
        return question
    new_years = question_years(question)
    old_years = question_years(last)
    remainder = re.sub(r"\b(?:19|20)\d\d\b", "", _FOLLOWUP_START.sub("", question.strip()))
    remainder = re.sub(r"\b(in|năm|vào|for)\b", "", remainder, flags=re.IGNORECASE)
    if new_years and old_years and not re.search(r"[^\W\d_]{2,}", remainder):
        # "And in 2023?": the previous question, asked about the new year.
        rewritten = last
        for old, new in zip(sorted(old_years), sorted(new_years), strict=False):
            rewritten = rewritten.replace(str(old), str(new))
        return rewritten
    return f"{last} {question}"
