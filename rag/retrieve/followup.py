"""Turning a follow-up ("And in 2023?", "Ai chủ trì?") into a question that stands alone.

Done without the model, so it costs nothing and cannot invent: a follow-up that names a new
year takes the previous question with the year replaced; any other short follow-up is searched
together with the previous question. A question that already stands alone is left as it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from rag.retrieve.timeaware import question_years

_FOLLOWUP_START = re.compile(
    r"^(and|what about|how about|also|và|còn|thế còn|vậy còn|thế|vậy)\b", re.IGNORECASE
)
_SHORT = 6  # words; shorter questions are read in the light of the previous one


_REFERS_BACK = re.compile(
    r"\b(it|its|that|this|they|them|their|he|she|there|then|đó|này|ấy|kia|họ)\b", re.IGNORECASE
)
_NAMES_SOMETHING = re.compile(r"\d|(?<=\s)[A-ZĐ][^\W\d_]+")  # a number, a year or a Name
_MAX_CHAIN = 8  # follow-ups of follow-ups are resolved this many turns back, no further


def previous_questions(history: Sequence[Any] | None) -> list[str]:
    """User turns of a history given as (user, assistant) pairs, {role, content} messages, or
    plain strings (the questions themselves)."""
    questions: list[str] = []
    for turn in history or []:
        if isinstance(turn, str):
            questions.append(turn)
        elif isinstance(turn, dict):
            if turn.get("role") == "user" and isinstance(turn.get("content"), str):
                questions.append(turn["content"])
        elif isinstance(turn, (list, tuple)) and turn and isinstance(turn[0], str):
            questions.append(turn[0])
    return questions


def standalone_question(question: str, history: Sequence[Any] | None) -> str:
    previous = previous_questions(history)[-_MAX_CHAIN:]
    if not previous or not is_followup(question):
        return question
    # The previous turn may itself have been a follow-up: read it as it was searched.
    last = standalone_question(previous[-1], previous[:-1])
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


def is_followup(question: str) -> bool:
    """Whether a question leans on the one before it.

    It does when it opens like a follow-up ("And…", "Còn…"), or is short and either points
    back ("it", "đó") or names nothing of its own (no year, number or name): "Ai chủ trì?". A short
    question that names its subject ("Who chaired the 2023 review?") stands alone.
    """
    text = question.strip()
    if _FOLLOWUP_START.match(text):
        return True
    short = len(text.split()) <= _SHORT
    return short and (bool(_REFERS_BACK.search(text)) or not _NAMES_SOMETHING.search(text))
