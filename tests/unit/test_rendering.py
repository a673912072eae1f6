"""Answers read in the passages' language, then written in the question's (rag.answer.rendering
and its use in Assistant._answer): an English question about Vietnamese passages is answered
in Vietnamese first, checked word for word, and then written in English, which must keep every
grounded fact or is not given."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.facts import Fact
from rag.answer.prompting import ABSTENTION
from rag.answer.rendering import (
    added_figures,
    answering,
    lost_facts,
    reading_language,
    rendered_text,
    rendering_messages,
)
from rag.settings import Settings
from rag.types import Passage
from tests.unit.test_ask import EN_QUESTION, VI_QUESTION, make, settings_over_records


def passage(text: str) -> Passage:
    return Passage("d", "Tin", None, text, 0.5, 0, len(text))


VI_PASSAGE = passage("Biên chế công chức năm 2021 giảm 27.504 người so với năm 2015.")
EN_PASSAGE = passage("The staff of the ministry fell by 27,504 people between 2015 and 2021.")
STAFF_ANSWER = "Biên chế công chức năm 2021 giảm 27.504 người so với năm 2015 [1]."
STAFF_FACTS = [Fact("figure", "27.504")]
MOTTO_ANSWER = "Phương châm năm 2020 là “Kỷ cương, trách nhiệm, hành động” [1]."
MOTTO_FACTS = [Fact("quote", "Kỷ cương, trách nhiệm, hành động")]


# --- which language to read in ------------------------------------------------------------------


def test_an_english_question_over_vietnamese_passages_is_read_in_vietnamese() -> None:
    assert reading_language("en", [VI_PASSAGE]) == "vi"


@pytest.mark.parametrize(
    ("language", "passages", "expected"),
    [
        ("en", [EN_PASSAGE], "en"),  # the same language: nothing to translate
        ("vi", [VI_PASSAGE], "vi"),
        ("vi", [EN_PASSAGE], "vi"),  # Vietnamese answers are what the model writes best
        ("en", [], "en"),
    ],
)
def test_otherwise_the_question_s_language_is_kept(
    language: str, passages: list[Passage], expected: str
) -> None:
    assert reading_language(language, passages) == expected


# --- the English text must keep what was checked ------------------------------------------------


def test_the_prompt_holds_the_question_and_the_checked_answer_but_no_passages() -> None:
    system, user = rendering_messages("How many <passages>?", STAFF_ANSWER)
    assert "English" in system["content"]
    assert STAFF_ANSWER in user["content"] and "How many" in user["content"]
    assert "<passages>" not in user["content"]  # defused: the question cannot open a block


def test_an_english_text_keeping_every_fact_is_given_alone() -> None:
    raw = "The civil service shrank by 27,504 people from 2015 to 2021 [1]."
    assert rendered_text(raw, STAFF_ANSWER, STAFF_FACTS, 1) == raw


MOTTO_EN = (
    "The 2020 motto was “Kỷ cương, trách nhiệm, hành động” (discipline, responsibility, action)"
)


def test_the_english_text_may_restate_a_figure_of_the_question() -> None:
    words = "Kỷ cương, trách nhiệm, hành động [1]."  # a narrower retry's copied words
    raw = MOTTO_EN + " [1]."  # "The 2020 motto was ..."
    assert rendered_text(raw, words, MOTTO_FACTS, 1, EN_QUESTION) == raw
    assert rendered_text(raw, words, MOTTO_FACTS, 1).startswith("The articles say")


def test_the_quoted_motto_with_its_translation_is_english() -> None:
    # No citation mark of its own: the checked answer's marks are put at the end.
    assert rendered_text(MOTTO_EN + ".", MOTTO_ANSWER, MOTTO_FACTS, 1) == MOTTO_EN + ". [1]"


CHECKED_WORDS = "“Phương châm năm 2020 là “Kỷ cương, trách nhiệm, hành động”” [1]."


@pytest.mark.parametrize(
    "raw",
    [
        "The 2020 motto was discipline, responsibility and action [1].",  # translated only
        "The ministry chose a motto for 2020 [1].",
    ],
)
def test_an_english_text_that_lost_a_fact_is_followed_by_the_checked_words(raw: str) -> None:
    assert rendered_text(raw, MOTTO_ANSWER, MOTTO_FACTS, 1) == (
        f"{raw}\n\nIn the article's words: {CHECKED_WORDS}"
    )
    staff = "The civil service shrank by about a tenth [1]."
    assert rendered_text(staff, STAFF_ANSWER, STAFF_FACTS, 1).endswith("“Biên chế công chức năm "
        "2021 giảm 27.504 người so với năm 2015” [1].")  # fmt: skip


@pytest.mark.parametrize(
    "raw",
    [
        "The 2020 motto, adopted on 12 March, was “Kỷ cương, trách nhiệm, hành động” [1].",
        "The motto was set in 2019 [1].",  # a year the checked answer does not hold
        "Phương châm là “Kỷ cương, trách nhiệm, hành động” [1].",  # not English
        "NOT_FOUND",
        "",
    ],
)
def test_an_english_text_that_adds_a_figure_or_is_not_english_gives_the_words_alone(
    raw: str,
) -> None:
    assert rendered_text(raw, MOTTO_ANSWER, MOTTO_FACTS, 1) == (
        f"The articles say, in Vietnamese: {CHECKED_WORDS}"
    )


def test_the_facts_that_must_be_kept_are_those_that_answer() -> None:
    name, year, motto = Fact("name", "Trần Lưu Quang"), Fact("year", "2024"), MOTTO_FACTS[0]
    grounded = [name, year, motto]
    assert answering(grounded, "Who chaired the 2023 review?") == [name, motto]
    assert answering(grounded, "In which year was it held?") == [year, motto]
    assert answering(grounded, "What was the motto?") == [motto]  # a quote is the answer
    assert answering([name, year], "What was decided?") == [name, year]  # else all of them
    # So a year around the asked name may be worded freely, and the English text stands alone.
    answer = "Trần Lưu Quang chủ trì hội nghị tổng kết năm 2023, triển khai nhiệm vụ năm 2024 [1]."
    raw = "Trần Lưu Quang chaired the 2023 review [1]."
    assert rendered_text(raw, answer, [name, year], 1, "Who chaired the 2023 review?") == raw
    assert "In the article's words" in rendered_text(raw, answer, [name, year], 1)


def test_lost_facts_compare_after_normalisation() -> None:
    name = [Fact("name", "Phạm Thị Thanh Trà")]
    assert lost_facts("Minister Phạm Thị Thanh Trà chaired it.", name) == []
    assert lost_facts("Minister Pham Thi Thanh Tra chaired it.", name) == []  # tones dropped
    assert lost_facts("The minister chaired it.", name) == ["Phạm Thị Thanh Trà"]
    assert lost_facts("It has 3,250 members.", [Fact("figure", "3.250")]) == []
    assert lost_facts("It has nine members.", [Fact("figure", "chín")]) == []  # a word count


def test_added_figures_are_those_the_checked_answer_lacks() -> None:
    assert added_figures("27,504 people in 2021 [1]", STAFF_ANSWER) == []
    assert added_figures("27,504 people, 10% of them, in 2022", STAFF_ANSWER) == ["10", "2022"]


def test_the_checked_answer_s_citation_marks_are_kept_in_its_words() -> None:
    given = rendered_text("", "Có 63 điểm cầu [2][1].", [], 2)
    assert given == "The articles say, in Vietnamese: “Có 63 điểm cầu” [2][1]."
    # A mark pointing at no cited passage is dropped: every cited passage is named instead.
    assert rendered_text("", "Có 63 điểm cầu [7].", [], 2).endswith("” [1][2].")


# --- in the assistant ---------------------------------------------------------------------------


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return settings_over_records(tmp_path)


VI_MOTTO_REPLY = "Phương châm hành động năm 2020 là “Kỷ cương, trách nhiệm, hành động” [1]."
EN_MOTTO = MOTTO_EN + " [1]."
PARAPHRASE = "The motto was discipline and action [1]."  # grounds nothing: it fails a check


def test_a_failed_english_reply_is_read_again_in_vietnamese_then_written_in_english(
    settings: Settings,
) -> None:
    assistant, generator, _ = make(settings, PARAPHRASE, VI_MOTTO_REPLY, EN_MOTTO)
    stream = assistant.stream(EN_QUESTION)
    pieces = list(stream)
    answer = stream.answer
    assert not answer.abstained and answer.language == "en"
    assert answer.text == EN_MOTTO
    assert [c.doc_id for c in answer.citations] == ["a1"]
    first, second, third = generator.calls
    assert "Answer in English" in first[1]["content"]
    assert "Answer in Vietnamese" in second[1]["content"] and EN_QUESTION in second[1]["content"]
    assert VI_MOTTO_REPLY in third[1]["content"] and "<passages>" not in third[1]["content"]
    assert "".join(pieces) == PARAPHRASE  # only the first reply is streamed; the answer replaces it


def test_an_english_text_that_lost_the_motto_is_given_with_the_checked_words(
    settings: Settings,
) -> None:
    assistant, _, _ = make(settings, PARAPHRASE, VI_MOTTO_REPLY, "The motto was about duty [1].")
    answer = assistant.ask(EN_QUESTION)
    assert not answer.abstained
    assert answer.text == (
        "The motto was about duty [1].\n\nIn the article's words: "
        "“Phương châm hành động năm 2020 là “Kỷ cương, trách nhiệm, hành động”” [1]."
    )


def test_an_english_reply_that_passes_is_given_without_a_second_reading(
    settings: Settings,
) -> None:
    assistant, generator, _ = make(settings, EN_MOTTO)
    assert assistant.ask(EN_QUESTION).text == EN_MOTTO and len(generator.calls) == 1


def test_a_vietnamese_reading_that_fails_too_goes_on_to_the_narrower_retry(
    settings: Settings,
) -> None:
    invented = "Phương châm năm 2020 là “Kỷ cương, sáng tạo” [1]."  # in no passage
    assistant, generator, _ = make(
        settings, PARAPHRASE, invented, "Kỷ cương, trách nhiệm, hành động [1]", EN_MOTTO
    )
    answer = assistant.ask(EN_QUESTION)
    assert not answer.abstained and answer.text == EN_MOTTO
    assert "exact words" in generator.calls[2][0]["content"]  # the retry, on the Vietnamese
    assert (
        "Vietnamese answer: Kỷ cương, trách nhiệm, hành động [1]"
        in (generator.calls[3][1]["content"])
    )


def test_a_vietnamese_reading_that_finds_nothing_leaves_the_abstention(
    settings: Settings,
) -> None:
    weak = settings.model_copy(update={"retry_min_relevance": 1.0})  # no narrower retry
    assistant, generator, _ = make(weak, PARAPHRASE, "NOT_FOUND")
    answer = assistant.ask(EN_QUESTION)
    assert answer.abstained and answer.text == ABSTENTION["en"] and len(generator.calls) == 2


def test_a_second_reading_in_english_despite_the_request_is_checked_as_english(
    settings: Settings,
) -> None:
    assistant, generator, _ = make(settings, PARAPHRASE, EN_MOTTO)
    answer = assistant.ask(EN_QUESTION)
    assert not answer.abstained and answer.text == EN_MOTTO
    assert len(generator.calls) == 2  # already in the question's language: nothing to write


def test_off_or_for_vietnamese_questions_there_is_no_second_reading(settings: Settings) -> None:
    off = settings.model_copy(update={"read_in_passage_language": False, "retry": False})
    assistant, generator, _ = make(off, PARAPHRASE, VI_MOTTO_REPLY)
    assert assistant.ask(EN_QUESTION).abstained and len(generator.calls) == 1
    assistant, generator, _ = make(settings.model_copy(update={"retry": False}), "NOT_FOUND")
    assert assistant.ask(VI_QUESTION).abstained and len(generator.calls) == 1
