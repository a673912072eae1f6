"""The values the library hands out: passages found, answers given, and answers being written."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from rag.errors import RagError


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
    # With an abstention: the passages closest to the question (none when nothing retrieved was
    # about it), for the reader to check; they do not state the answer, so they are no citations.
    closest: list[Passage] = field(default_factory=list)
    # How sure the judge is that the answer is right (rag.answer.judge), and the signals it
    # weighed; None and empty when the question was turned away before any model ran.
    confidence: float | None = None
    signals: dict[str, float] = field(default_factory=dict)
    # Why it abstained: "gate: ..." (nothing retrieved could hold it), "reader: NOT_FOUND",
    # "judge: ..." (not sure enough); None when it answered.
    reason: str | None = None
    model_calls: float = 0.0  # model calls made; a verdict's prefill-only pass counts a third

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["citations"] = [c.to_dict() for c in self.citations]
        data["closest"] = [c.to_dict() for c in self.closest]
        return data


class AnswerStream(Iterator[str]):
    """An answer as it is written: iterate for the text pieces, then read ``answer``.

    The pieces are the model's raw words, for showing progress; ``answer`` is the finished,
    checked ``Answer``, whose text should replace what was shown. Reading ``answer`` first
    reads whatever pieces are left, so ``assistant.stream(q).answer`` is ``assistant.ask(q)``.
    ``close()`` (or dropping the stream) stops the generation and frees the CPU.

    Why not one iterator of ``str | Answer``: every caller had to sort the items with
    ``isinstance``; here the types say which is which.
    """

    def __init__(self, pieces: Generator[str, None, Answer]) -> None:
        self._pieces = pieces
        self._answer: Answer | None = None

    def __iter__(self) -> AnswerStream:
        return self

    def __next__(self) -> str:
        if self._answer is not None:
            raise StopIteration
        try:
            return next(self._pieces)
        except StopIteration as finished:
            self._answer = finished.value
            raise

    @property
    def answer(self) -> Answer:
        for _ in self:
            pass
        if self._answer is None:  # pragma: no cover - the producer always returns an Answer
            raise RagError("the answer stream ended without an answer")
        return self._answer

    def close(self) -> None:
        self._pieces.close()
