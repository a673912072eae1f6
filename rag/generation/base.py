"""The ``Generator`` seam: a chat model that streams text, and tells how sure it is of the
first word it would write and of the reply it wrote."""

from __future__ import annotations

import math
from collections.abc import Callable
from collections.abc import Generator as Stream
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


@dataclass(frozen=True)
class ReplyScore:
    """How sure the model was of the reply it wrote: the summed log-probability of the tokens
    it chose, and how many it chose (what OpenVINO GenAI reports with ``logprobs``)."""

    tokens: int
    logprob: float

    @property
    def mean_probability(self) -> float:
        """The geometric mean of the chosen tokens' probabilities (1.0 for no token)."""
        return math.exp(min(self.logprob, 0.0) / self.tokens) if self.tokens > 0 else 1.0


@runtime_checkable
class Generator(Protocol):
    @property
    def model_id(self) -> str: ...

    def warm_up(self) -> None:
        """Load the model now (constructors are cheap)."""
        ...

    def stream(
        self, messages: list[ChatMessage], max_new_tokens: int, timeout_s: float | None = None
    ) -> Stream[str, None, ReplyScore | None]:
        """Yield the reply in pieces. Greedy: the same messages give the same reply.

        The stream's return value (what ``yield from`` gives) is the reply's ``ReplyScore``
        when the backend measures it and the reply ran to its end, else None.
        Raises GenerationError when the model fails or runs past ``timeout_s``.
        """
        ...

    def first_token(self, messages: list[ChatMessage]) -> FirstToken:
        """The first token of the greedy reply and its probability: one pass over the prompt
        (a backend with a prefix cache reuses it for the next prompt sharing its beginning).

        Raises GenerationError when the model fails.
        """
        ...


def observed(
    stream: Stream[str, None, ReplyScore | None], on_piece: Callable[[str], None]
) -> Stream[str, None, ReplyScore | None]:
    """``stream``'s pieces, each also shown to ``on_piece``, and its score as the return value
    (which a ``for`` loop would drop); closing this closes ``stream``, which stops the model."""
    try:
        while True:
            try:
                piece = next(stream)
            except StopIteration as end:
                return end.value
            on_piece(piece)
            yield piece
    finally:
        stream.close()
