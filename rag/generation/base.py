"""The ``Generator`` seam: a chat model that streams text."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal, Protocol, TypedDict, runtime_checkable


class ChatMessage(TypedDict):
    role: Literal["system", "user", "assistant"]
    content: str


@runtime_checkable
class Generator(Protocol):
    @property
    def model_id(self) -> str: ...

    def warm_up(self) -> None:
        """Load the model now (constructors are cheap)."""
        ...

    def stream(
        self, messages: list[ChatMessage], max_new_tokens: int, timeout_s: float | None = None
    ) -> Iterator[str]:
        """Yield the reply in pieces. Greedy: the same messages give the same reply.

        Raises GenerationError when the model fails or runs past ``timeout_s``.
        """
        ...
