"""The ``Generator`` seam: a chat model that streams text, and tells how sure it is of the
first word it would write."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, Protocol, TypedDict, runtime_checkable


class ChatMessage(TypedDict):
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True)
class FirstToken:
    """The token a greedy reply would start with, and the probability the model gives it.

    Only the top token: OpenVINO GenAI reports the log-probability of the chosen token alone,
    and a yes/no verdict needs no more (P(no) is at most 1 - P(yes) when "Yes" leads).
    """

    text: str
    probability: float


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

    def first_token(self, messages: list[ChatMessage]) -> FirstToken:
        """The first token of the greedy reply and its probability: one pass over the prompt
        (a backend with a prefix cache reuses it for the next prompt sharing its beginning).

        Raises GenerationError when the model fails.
        """
        ...
