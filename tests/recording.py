"""A fake generator that records whether its stream was stopped early (chat and load tests)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

from rag.generation.fake import FakeGenerator

QUESTION = "Phương châm năm 2020 của Bộ Nội vụ là gì?"


class RecordingGenerator(FakeGenerator):
    """The extractive fake, word by word with a pause, recording whether it was stopped."""

    def __init__(self, delay_s: float = 0.0) -> None:
        super().__init__()
        self.delay_s = delay_s
        self.started = threading.Event()
        self.stopped_early = threading.Event()
        self.finished = 0

    def stream(self, *args: Any, **kwargs: Any) -> Iterator[str]:
        self.started.set()
        try:
            for piece in super().stream(*args, **kwargs):
                time.sleep(self.delay_s)
                yield piece
        except GeneratorExit:
            self.stopped_early.set()
            raise
        self.finished += 1
