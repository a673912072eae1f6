"""The values the library hands out: passages found, and answers given."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Passage:
    """A retrieved piece of an article. ``start``/``end`` are offsets in the article's text."""

    doc_id: str
    title: str
    date: str | None
    text: str
    score: float
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    """What ``Assistant.ask`` returns."""

    question: str
    text: str
    abstained: bool
    language: str
    citations: list[Passage] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    searched_question: str | None = None  # the standalone rewrite of a follow-up, if any

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["citations"] = [c.to_dict() for c in self.citations]
        return data
