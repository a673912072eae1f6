"""Hard negatives from XQuAD: the question's own paragraph removed, the rest of its article kept.

An easy negative (a question about the Super Bowl asked of ministry reports) is refused by
retrieval alone. A hard one keeps everything but the fact: the same Wikipedia article, its
other paragraphs about the same subject, the same names and years, and only the paragraph that
states the answer gone. A question becomes one only when none of its gold answers occurs in any
other paragraph of the collection (compared as the metrics compare answers), so that the
collection truly does not hold it; the expected outcome is an abstention.

The index is not rebuilt per question: the assistant asks each one as if its paragraph were
not there (``Assistant.without_articles``), which is what removing it would give (each XQuAD
paragraph is indexed as an article of its own).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from rag.assistant import Assistant
from rag.types import Answer, Passage

from .datasets import Paragraph, QAItem
from .metrics import normalize_answer
from .splits import derived_id

ABSENT = "absent"  # the tag of a question whose paragraph is removed


def absent_items(items: Iterable[QAItem], paragraphs: Sequence[Paragraph]) -> list[QAItem]:
    """Each question whose gold answers occur in no paragraph but its own, as a question whose
    paragraph is gone: unanswerable, its ``source`` kept (the paragraph to leave out)."""
    texts = {p.id: f" {normalize_answer(p.text)} " for p in paragraphs}
    chosen = []
    for item in items:
        if item.source is None or item.unanswerable or item.source not in texts:
            continue
        golds = [f" {normalize_answer(a)} " for a in item.answers if normalize_answer(a)]
        elsewhere = any(
            gold in text for pid, text in texts.items() if pid != item.source for gold in golds
        )
        if golds and not elsewhere:
            chosen.append(
                replace(
                    item, id=derived_id(item.id, ABSENT), answers=(), keys=(), unanswerable=True
                )
            )
    return chosen


def is_absent(item_id: str) -> bool:
    return item_id.endswith(f"~{ABSENT}")


class WithoutTheirParagraphs:
    """Asks each question of ``items`` with its own paragraph left out of the collection (the
    QASystem the evaluation runner takes); any other question is asked as is."""

    def __init__(self, assistant: Assistant, items: Iterable[QAItem]) -> None:
        self.assistant = assistant
        self._left_out = {_key(i.question): i.source for i in items if is_absent(i.id) and i.source}

    def _for(self, question: str) -> Assistant:
        source = self._left_out.get(_key(question))
        return self.assistant if source is None else self.assistant.without_articles([source])

    def search(self, question: str, k: int | None = None) -> list[Passage]:
        return self._for(question).search(question, k)

    def ask(self, question: str, history: Any = None) -> Answer:
        return self._for(question).ask(question, history)


def _key(question: str) -> str:
    return re.sub(r"\s+", " ", question).strip()
