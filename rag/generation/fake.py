"""A deterministic generator for tests and demos: it quotes the best-matching sentence.

It reads the passages block and the question from the prompt the way a real model would, picks
the sentence sharing the most words with the question, and cites its passage; when too few of
the question's words appear anywhere it says NOT_FOUND. Asked for its first token, it says "Yes"
with the share of the question's words that sentence holds as its probability (or "No" with the
rest). Each word of a reply counts as a token of probability ``reply_probability``. Replies,
first-token and reply probabilities can also be scripted.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Generator as Stream

from rag.generation.base import ChatMessage, FirstToken, ReplyScore

_WORDS = re.compile(r"[^\W_]+", re.UNICODE)
_PASSAGE_HEAD = re.compile(r"^\[(\d+)\] ", re.MULTILINE)


class FakeGenerator:
    def __init__(
        self,
        replies: list[str] | None = None,
        min_overlap: float = 0.5,
        yes_probabilities: list[float] | None = None,
        reply_probabilities: list[float] | None = None,
        reply_probability: float = 0.9,
    ) -> None:
        self._replies = list(replies) if replies is not None else None
        self._yes = list(yes_probabilities) if yes_probabilities is not None else None
        self._sure = list(reply_probabilities) if reply_probabilities is not None else None
        self._reply_probability = reply_probability
        self._min_overlap = min_overlap
        self.calls: list[list[ChatMessage]] = []  # every prompt streamed, for tests to inspect
        self.verdicts: list[list[ChatMessage]] = []  # every prompt asked for its first token

    @property
    def model_id(self) -> str:
        return "fake-extractive"

    def warm_up(self) -> None:
        return None

    def stream(
        self, messages: list[ChatMessage], max_new_tokens: int, timeout_s: float | None = None
    ) -> Stream[str, None, ReplyScore | None]:
        """The scripted reply (the next one each call) or the best sentence, a word a piece;
        its score: every word at the scripted probability (the next one) or the default."""
        self.calls.append(messages)
        reply = self._replies.pop(0) if self._replies else self._extract(messages[-1]["content"])
        words = reply.split(" ")[:max_new_tokens]
        for position, word in enumerate(words):
            yield word if position == 0 else " " + word
        p = self._sure.pop(0) if self._sure else self._reply_probability
        return ReplyScore(len(words), len(words) * math.log(max(p, 1e-9)))

    def first_token(self, messages: list[ChatMessage]) -> FirstToken:
        """ "Yes" with the scripted probability (the next one each call), or the word overlap."""
        self.verdicts.append(messages)
        p = self._yes.pop(0) if self._yes else self._best(messages[-1]["content"])[0]
        return FirstToken("Yes", p) if p >= 0.5 else FirstToken("No", 1.0 - p)

    def _extract(self, prompt: str) -> str:
        overlap, sentence, number = self._best(prompt)
        if overlap < self._min_overlap:
            return "NOT_FOUND"
        return f"{sentence} [{number}]"

    def _best(self, prompt: str) -> tuple[float, str, str]:
        """The sentence sharing the most question words: (their share, sentence, passage)."""
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
        return best


def _words(text: str) -> set[str]:
    return {w for w in _WORDS.findall(unicodedata.normalize("NFC", text).lower()) if len(w) > 1}
