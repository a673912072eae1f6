"""The holes the load-and-faults review found in question checking: a bad ``k``, a question that
is not text, and one made only of invisible characters all get a ``QuestionError`` naming the
bad value, before any model runs."""

from __future__ import annotations

from typing import Any

import pytest

from embeddings.fake import HashingEmbedder
from rag.assistant import Assistant
from rag.errors import QuestionError
from rag.generation.fake import FakeGenerator
from rag.questions import check_k, has_visible_text
from rag.settings import Settings


@pytest.fixture
def parts(settings: Settings) -> tuple[Assistant, FakeGenerator, HashingEmbedder]:
    generator, embedder = FakeGenerator(), HashingEmbedder()
    assistant = Assistant.load(settings=settings, embedder=embedder, generator=generator)
    return assistant, generator, embedder


@pytest.mark.parametrize(
    ("k", "shown"),
    [("3", "'3'"), (2.5, "2.5"), (True, "True"), ([3], r"\[3\]")],
)
def test_search_with_a_k_that_is_not_a_whole_number_is_a_question_error(
    parts: tuple[Assistant, FakeGenerator, HashingEmbedder], k: Any, shown: str
) -> None:
    assistant, _, embedder = parts
    before = embedder.calls
    with pytest.raises(QuestionError, match=f"whole number, got {shown}"):
        assistant.search("nội vụ", k=k)
    assert embedder.calls == before


def test_search_without_k_returns_the_top_k_setting(
    parts: tuple[Assistant, FakeGenerator, HashingEmbedder],
) -> None:
    assistant, _, _ = parts
    assert len(assistant.search("nội vụ")) == assistant.settings.top_k
    fewer = assistant.with_settings(top_k=2)
    assert len(fewer.search("nội vụ")) == 2 and len(fewer.search("nội vụ", k=4)) == 4


def test_check_k_keeps_good_values() -> None:
    assert check_k(1) == 1 and check_k(100) == 100
    with pytest.raises(QuestionError, match="at least 1, got 0"):
        check_k(0)


@pytest.mark.parametrize(
    ("question", "kind"), [(None, "NoneType"), (42, "int"), (b"bytes", "bytes"), (["q"], "list")]
)
def test_a_question_that_is_not_text_says_so_rather_than_empty(
    parts: tuple[Assistant, FakeGenerator, HashingEmbedder], question: Any, kind: str
) -> None:
    assistant, generator, embedder = parts
    before = embedder.calls
    for call in (assistant.search, assistant.ask, lambda q: list(assistant.stream(q))):
        with pytest.raises(QuestionError, match=f"must be text, got {kind}") as raised:
            call(question)
        assert "empty" not in str(raised.value)
    assert embedder.calls == before and generator.calls == []


INVISIBLE = [
    "\u200b\u200b\u200b",  # zero-width spaces
    "\u200c\u200d\ufeff",  # zero-width (non-)joiners, BOM
    "\x00\x01\x07",  # control characters
    "\u202e\u2066\u200f",  # direction overrides and marks
    " \u200b\t\x0b\u2060 ",  # mixed with spaces and a word joiner
    "\ud800\udfff",  # lone surrogates
]


@pytest.mark.parametrize("question", INVISIBLE)
def test_a_question_of_only_invisible_characters_never_reaches_the_models(
    parts: tuple[Assistant, FakeGenerator, HashingEmbedder], question: str
) -> None:
    assistant, generator, embedder = parts
    before = embedder.calls
    with pytest.raises(QuestionError, match=r"invisible|empty"):
        assistant.ask(question)
    with pytest.raises(QuestionError):
        assistant.search(question)
    assert embedder.calls == before and generator.calls == []


@pytest.mark.parametrize("question", ["a", "\u200bnội vụ\u200b", "\u202e2020", "五", "%"])
def test_visible_text_among_invisible_characters_is_a_question(question: str) -> None:
    assert has_visible_text(question)


def test_the_invisible_question_is_shown_escaped_in_the_error(
    parts: tuple[Assistant, FakeGenerator, HashingEmbedder],
) -> None:
    with pytest.raises(QuestionError, match=r"\\u200b"):
        parts[0].search("\u200b\u200b")
