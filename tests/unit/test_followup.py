"""rag.retrieve.followup: follow-ups ("And in 2023?", "Ai chủ trì?") made to stand alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from embeddings.fake import HashingEmbedder
from rag.assistant import Assistant
from rag.generation.fake import FakeGenerator
from rag.retrieve.followup import previous_questions, standalone_question
from rag.settings import Settings

MOTTO_EN = "What was the motto of the Ministry of Home Affairs in 2020?"
STAFF_VI = "Biên chế công chức năm 2020 là bao nhiêu?"


def pairs(*questions: str) -> list[tuple[str, str]]:
    return [(q, f"answer {n}") for n, q in enumerate(questions)]


def messages(*questions: str) -> list[dict[str, str]]:
    history = []
    for n, q in enumerate(questions):
        history += [{"role": "user", "content": q}, {"role": "assistant", "content": f"answer {n}"}]
    return history


# --- reading histories ----------------------------------------------------------------------------


def test_previous_questions_from_pairs_and_from_messages() -> None:
    assert previous_questions(pairs("q1", "q2")) == ["q1", "q2"]
    assert previous_questions([["q1", "a1"], ("q2", None)]) == ["q1", "q2"]
    assert previous_questions(messages("q1", "q2")) == ["q1", "q2"]
    assert (
        previous_questions([{"role": "system", "content": "s"}, {"role": "user", "content": 3}])
        == []
    )
    assert previous_questions(None) == [] and previous_questions([]) == []


# --- rewriting ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "history", [pairs(MOTTO_EN), messages(MOTTO_EN)], ids=["pairs", "messages"]
)
def test_and_in_another_year_takes_the_previous_question(history: list) -> None:
    assert standalone_question("And in 2023?", history) == (
        "What was the motto of the Ministry of Home Affairs in 2023?"
    )
    assert standalone_question("What about 2021?", history) == (
        "What was the motto of the Ministry of Home Affairs in 2021?"
    )


@pytest.mark.parametrize(
    "history", [pairs(STAFF_VI), messages(STAFF_VI)], ids=["pairs", "messages"]
)
def test_con_nam_takes_the_previous_vietnamese_question(history: list) -> None:
    assert (
        standalone_question("Còn năm 2021?", history) == "Biên chế công chức năm 2021 là bao nhiêu?"
    )
    assert (
        standalone_question("Thế còn năm 2023?", history)
        == "Biên chế công chức năm 2023 là bao nhiêu?"
    )
    # More words than the year: searched together with the previous question.
    assert (
        standalone_question("Vậy còn năm 2023 thì sao?", history)
        == f"{STAFF_VI} Vậy còn năm 2023 thì sao?"
    )


def test_the_last_question_is_the_one_followed_up() -> None:
    history = pairs("Ai chủ trì hội nghị năm 2019?", STAFF_VI)
    assert (
        standalone_question("Còn năm 2022?", history) == "Biên chế công chức năm 2022 là bao nhiêu?"
    )


@pytest.mark.parametrize(
    "history", [pairs(STAFF_VI), messages(STAFF_VI)], ids=["pairs", "messages"]
)
def test_short_follow_ups_are_searched_with_the_previous_question(history: list) -> None:
    assert standalone_question("Ai chủ trì?", history) == f"{STAFF_VI} Ai chủ trì?"
    assert standalone_question("Who chaired it?", history) == f"{STAFF_VI} Who chaired it?"
    # A follow-up that names a year but asks something else keeps its words.
    assert standalone_question("And who chaired it in 2023?", history) == (
        f"{STAFF_VI} And who chaired it in 2023?"
    )


def test_a_new_year_without_an_old_one_is_added_to_the_previous_question() -> None:
    history = pairs("Ai chủ trì hội nghị tổng kết ngành Nội vụ?")
    assert standalone_question("Còn năm 2021?", history) == (
        "Ai chủ trì hội nghị tổng kết ngành Nội vụ? Còn năm 2021?"
    )


@pytest.mark.parametrize(
    "question",
    [
        "Who chaired the national review conference of the home affairs sector in 2023?",
        "Phương châm hành động của ngành Nội vụ năm 2020 là gì vậy?",
    ],
)
def test_standalone_questions_are_unchanged(question: str) -> None:
    assert standalone_question(question, pairs(STAFF_VI)) == question
    assert standalone_question(question, messages(STAFF_VI)) == question


def test_without_history_nothing_changes() -> None:
    assert standalone_question("And in 2023?", None) == "And in 2023?"
    assert standalone_question("Ai chủ trì?", []) == "Ai chủ trì?"
    assert (
        standalone_question("Ai chủ trì?", [{"role": "assistant", "content": "x"}]) == "Ai chủ trì?"
    )


def test_a_chain_of_follow_ups_keeps_the_original_subject() -> None:
    history = pairs(MOTTO_EN, "And in 2023?")
    assert standalone_question("And in 2021?", history) == (
        "What was the motto of the Ministry of Home Affairs in 2021?"
    )


# --- in the Assistant -----------------------------------------------------------------------------


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        cache_dir=tmp_path / "cache", embedder="fake", generator="fake", min_relevance=-1.0
    )


def test_the_rewritten_question_is_searched_and_reported(settings: Settings) -> None:
    generator = FakeGenerator(replies=["NOT_FOUND"])
    assistant = Assistant.load(settings=settings, embedder=HashingEmbedder(), generator=generator)
    answer = assistant.ask("And in 2023?", pairs(MOTTO_EN))
    rewritten = "What was the motto of the Ministry of Home Affairs in 2023?"
    assert answer.searched_question == rewritten
    assert answer.question == "And in 2023?"
    assert answer.language == "en"
    assert (
        f"Question: {rewritten}\n" in generator.verdicts[0][-1]["content"]
    )  # what the reader read


def test_searched_question_is_none_when_not_rewritten(settings: Settings) -> None:
    generator = FakeGenerator(replies=["NOT_FOUND", "NOT_FOUND"])
    assistant = Assistant.load(settings=settings, embedder=HashingEmbedder(), generator=generator)
    assert assistant.ask(MOTTO_EN).searched_question is None
    long = "Who chaired the national review conference of the home affairs sector in 2023?"
    assert assistant.ask(long, messages(STAFF_VI)).searched_question is None
    assert f"Question: {long}\n" in generator.verdicts[-1][-1]["content"]


@pytest.mark.parametrize(
    "question",
    ["Who chaired the 2023 review?", "Ai chủ trì hội nghị 2019?", "Bộ trưởng Bộ Nội vụ là ai?"],
)
def test_short_questions_that_name_their_subject_stand_alone(question: str) -> None:
    assert standalone_question(question, pairs(STAFF_VI)) == question


def test_a_history_of_plain_strings_is_read_as_questions() -> None:
    assert standalone_question("And in 2023?", [MOTTO_EN]) == (
        "What was the motto of the Ministry of Home Affairs in 2023?"
    )
