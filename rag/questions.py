"""What a question (and a passage count) must be before any model runs: refused with a
``QuestionError`` that names the bad value."""

from __future__ import annotations

import unicodedata

from rag.errors import QuestionError


def check_question(question: object, limit: int) -> str:
    """The question, stripped, or a QuestionError before any model runs."""
    if not isinstance(question, str):
        raise QuestionError(f"the question must be text, got {type(question).__name__}")
    if len(question) > limit:
        raise QuestionError(
            f"the question is {len(question):,} characters long; the limit is {limit:,}"
        )
    if not question.strip():
        raise QuestionError("the question is empty")
    if not has_visible_text(question):
        raise QuestionError(f"the question has only invisible characters: {question[:40]!r}")
    return question.strip()


def check_k(k: object) -> int:
    """How many passages to return: a whole number of at least 1 (``True`` is not a number)."""
    if isinstance(k, bool) or not isinstance(k, int):
        raise QuestionError(f"k must be a whole number, got {k!r}")
    if k < 1:
        raise QuestionError(f"k must be at least 1, got {k}")
    return k


def has_visible_text(text: str) -> bool:
    """Whether anything is left once spaces, control and format characters (zero-width,
    direction marks, BOM) and unassigned or surrogate code points are set aside."""
    return any(not ch.isspace() and unicodedata.category(ch)[0] not in "CZ" for ch in text)
