"""A deterministic generator for tests and demos: it quotes the best-matching sentence.

It reads the passages block and the question from the prompt the way a real model would, picks
the sentence sharing the most words with the question, and cites its passage; when too few of
the question's words appear anywhere it says NOT_FOUND. Replies can also be scripted.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from rag.generation.base import ChatMessage

_WORDS = re.compile(r"[^\W_]+", re.UNICODE)
_PASSAGE_HEAD = re.compile(r"^\[(\d+)\] ", re.MULTILINE)


class FakeGenerator:
    def __init__(self, replies: list[str] | None = None, min_overlap: float = 0.5) -> None:
        self._replies = list(replies) if replies is not None else None
        self._min_overlap = min_overlap
        self.calls: list[list[ChatMessage]] = []  # every prompt received, for tests to inspect

    @property
    def model_id(self) -> str:
        return "fake-extractive"

    def warm_up(self) -> None:
        return None

    def stream(
        self, messages: list[ChatMessage], max_new_tokens: int, timeout_s: float | None = None
    ) -> Iterator[str]:
        self.calls.append(messages)
        reply = self._replies.pop(0) if self._replies else self._extract(messages[-1]["content"])
        words = reply.split(" ")[:max_new_tokens]
        for position, word in enumerate(words):
            yield word if position == 0 else " " + word

    def _extract(self, prompt: str) -> str:
        block, _, tail = prompt.rpartition("Question:")
        wanted = _words(tail.strip().split("\n", 1)[0])
        best: tuple[float, str, str] = (0.0, "", "")
        heads = list(_PASSAGE_HEAD.finditer(block))
        for i, head in enumerate(heads):
            end = heads[i + 1].start() if i + 1 < len(heads) else len(block)
            body = block[head.end() : end].split("\n", 1)[-1]  # skip the title line
            for sentence in re.split(r"(?<=[.!?…])\s+", body.replace("</passages>", "")):
                overlap = len(wanted & _words(sentence)) / max(len(wanted), 1)
                if overlap > best[0]:
                    best = (overlap, sentence.strip(), head.group(1))
        if best[0] < self._min_overlap:
            return "NOT_FOUND"
        return f"{best[1]} [{best[2]}]"


def _words(text: str) -> set[str]:
    return {w for w in _WORDS.findall(unicodedata.normalize("NFC", text).lower()) if len(w) > 1}
