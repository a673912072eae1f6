"""The cache of a prompt's opening: read once per opening, a fresh copy for every generation."""

from __future__ import annotations

from typing import Any

from rag.generation.prefix_cache import PrefixCache


class Reader:
    def __init__(self) -> None:
        self.reads: list[list[int]] = []

    def __call__(self, model: Any, ids: list[int]) -> dict[str, Any]:
        self.reads.append(ids)
        return {"after": list(ids), "grown": []}


def test_an_opening_is_read_once_and_every_start_is_an_independent_copy() -> None:
    reader = Reader()
    cache = PrefixCache(read=reader)
    first = cache.start("model", [1, 2, 3, 4], [1, 2])
    first["grown"].append(3)  # generation extends its copy
    second = cache.start("model", [1, 2, 5], [1, 2])
    assert reader.reads == [[1, 2]]
    assert second == {"after": [1, 2], "grown": []}


def test_a_prompt_that_does_not_open_with_it_or_stops_there_gets_none() -> None:
    reader = Reader()
    cache = PrefixCache(read=reader)
    assert cache.start("model", [1, 9, 3], [1, 2]) is None
    assert cache.start("model", [1, 2], [1, 2]) is None  # nothing left to read: no shortcut
    assert cache.start("model", [1, 2, 3], []) is None
    assert reader.reads == []


def test_the_least_recently_used_opening_is_forgotten_beyond_capacity() -> None:
    reader = Reader()
    cache = PrefixCache(capacity=2, read=reader)
    cache.start("model", [1, 0], [1])
    cache.start("model", [2, 0], [2])
    cache.start("model", [1, 0], [1])  # 1 is now the most recent
    cache.start("model", [3, 0], [3])  # forgets 2
    cache.start("model", [1, 0], [1])
    cache.start("model", [2, 0], [2])
    assert reader.reads == [[1], [2], [3], [2]]
    assert len(cache) == 2
