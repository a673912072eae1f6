"""Loading the Assistant in the background, so the page opens while the models load."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Literal

from rag.assistant import Assistant

log = logging.getLogger(__name__)

State = Literal["loading", "ready", "failed"]


class AssistantLoader:
    """Holds the Assistant once ``build`` has made it (in a thread started by ``start``)."""

    def __init__(self, build: Callable[[], Assistant]) -> None:
        self._build = build
        self._assistant: Assistant | None = None
        self._failed = False
        self._done = threading.Event()

    @classmethod
    def ready(cls, assistant: Assistant) -> AssistantLoader:
        loader = cls(lambda: assistant)
        loader._run()
        return loader

    def start(self) -> AssistantLoader:
        threading.Thread(target=self._run, name="assistant-loader", daemon=True).start()
        return self

    def _run(self) -> None:
        try:
            self._assistant = self._build()
        except Exception:  # any failure: the page says so, the log says why
            log.exception("the assistant could not be loaded")
            self._failed = True
        finally:
            self._done.set()

    @property
    def assistant(self) -> Assistant | None:
        return self._assistant

    @property
    def state(self) -> State:
        if self._assistant is not None:
            return "ready"
        return "failed" if self._failed else "loading"

    def wait(self, timeout: float | None = None) -> bool:
        """Block until loading has finished (or failed); False if it is still going on."""
        return self._done.wait(timeout)
