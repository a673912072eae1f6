"""Reading a stream of pieces to its end, keeping what a ``for`` loop drops: its return value
(a generator's ``ReplyScore``, the answer pipeline's ``Outcome``)."""

from __future__ import annotations

from collections.abc import Generator
from typing import TypeVar

R = TypeVar("R")


def read_to_end(stream: Generator[str, None, R]) -> tuple[list[str], R]:
    """Every piece ``stream`` yields, and its return value."""
    pieces: list[str] = []
    while True:
        try:
            pieces.append(next(stream))
        except StopIteration as end:
            return pieces, end.value
