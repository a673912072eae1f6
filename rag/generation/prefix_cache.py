"""The attention cache of a prompt's fixed opening (its system turn), computed once, reused.

Every answer's prompt opens with the same system turn (one per answer language): about 160-200
of its 700-900 tokens. Reading the prompt is most of the wait for the first word on a CPU, so the
model's cache after that opening is kept, and each generation starts from a copy of it and reads
only the rest of its prompt.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any


class PrefixCache:
    """Caches after a few openings (token ids), the least recently used forgotten first."""

    def __init__(
        self, capacity: int = 4, read: Callable[[Any, list[int]], Any] | None = None
    ) -> None:
        self._capacity = capacity
        self._read = read or read_prompt
        self._entries: OrderedDict[tuple[int, ...], Any] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def start(self, model: Any, prompt_ids: list[int], opening_ids: list[int]) -> Any | None:
        """A fresh copy of the cache after ``opening_ids``, if the prompt opens with them and
        goes on past them; None otherwise (the generation then reads the whole prompt)."""
        if not 0 < len(opening_ids) < len(prompt_ids):
            return None
        if prompt_ids[: len(opening_ids)] != opening_ids:
            return None
        key = tuple(opening_ids)
        with self._lock:
            cached = self._entries.get(key)
            if cached is None:
                cached = self._read(model, opening_ids)
                self._entries[key] = cached
                while len(self._entries) > self._capacity:
                    self._entries.popitem(last=False)
            self._entries.move_to_end(key)
            return copy.deepcopy(cached)  # generation extends (and prompt lookup crops) its copy


def read_prompt(model: Any, ids: list[int]) -> Any:
    """The model's attention cache after reading ``ids``."""
    import torch
    from transformers import DynamicCache

    with torch.no_grad():
        cache = DynamicCache(config=model.config)
        model(input_ids=torch.tensor([ids]), cache=cache, use_cache=True)  # fills the cache
    return cache
