"""The narrower second attempt (rag.answer.retry and its use in Assistant._answer): when a reply
echoes the question, grounds no fact or finds nothing, the model is asked only for the exact
words that answer; those must occur in a passage, or the abstention stands."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.prompting import ABSTENTION
from rag.answer.retry import MAX_CLAUSE_CHARS, MAX_SPAN_CHARS, Extract, answer_text, read_extract
from rag.settings import Settings
from rag.types import Passage
from tests.unit.test_ask import MOTTO, VI_QUESTION, make, settings_over_records

STAFF_QUESTION = "Biên chế công chức năm 2020 là bao nhiêu người?"


def passage(text: str) -> Passage:
    return Passage("d", "Tin", None, text, 0.5, 0, len(text))


PASSAGES = [passage("Hội nghị kết nối 63 điểm cầu."), passage(f"Mở đầu. {MOTTO} Kết thúc.")]


# --- reading the copied words -------------------------------------------------------------------


def test_copied_words_are_found_in_the_passage_they_cite() -> None:
    found = read_extract("“Kỷ cương, trách nhiệm, hành động” [2]", PASSAGES)
    assert found == Extract("Kỷ cương, trách nhiệm, hành động", 1, MOTTO)


def test_copied_words_are_found_even_when_the_citation_is_wrong_or_missing() -> None:
    assert read_extract("63 điểm cầu [2]", PASSAGES) == Extract(
        "63 điểm cầu", 0, "Hội nghị kết nối 63 điểm cầu."
    )
    assert read_extract("kỷ cương, TRÁCH NHIỆM", PASSAGES) is not None  # case and punctuation


@pytest.mark.parametrize(
    "raw",
    [
        "NOT_FOUND",
        "Kỷ cương, trách nhiệm, sáng tạo [2]",  # not what the passage says
        "discipline, responsibility [2]",  # a translation
        "64 điểm cầu [1]",
        "",
        MOTTO * 3,  # a copied paragraph is not an answer
    ],
)
def test_words_no_passage_holds_are_no_extract(raw: str) -> None:
    assert read_extract(raw, PASSAGES) is None


SHORTCOMINGS = (
    "Đó là, việc xây dựng thể chế, chính sách vẫn còn một số văn bản chưa phù hợp, thiếu tính "
    "khả thi, tiến độ chậm, chất lượng chưa cao, vẫn còn xin rút, xin lùi thời hạn trình các "
    "văn bản."
)


def test_a_long_clause_copied_from_one_sentence_is_an_answer() -> None:
    # What fell short is a list: its words run past a name's length but stay in one sentence,
    # and a copy cut by the token budget is still the passage's own words.
    passages = [passage(f"Mở đầu. {SHORTCOMINGS} Kết thúc.")]
    clause = SHORTCOMINGS.removeprefix("Đó là, ").rstrip(".")
    assert len(clause) > MAX_SPAN_CHARS
    assert read_extract(f"{clause} [1]", passages) == Extract(clause, 0, SHORTCOMINGS)
    cut = clause[: clause.index(", vẫn còn xin rút")]
    assert read_extract(cut, passages) == Extract(cut, 0, SHORTCOMINGS)


def test_long_words_across_sentences_or_past_any_clause_are_no_extract() -> None:
    passages = [passage(f"{SHORTCOMINGS} {MOTTO} Kết thúc.")]
    across = f"{SHORTCOMINGS} {MOTTO}"
    assert len(across) > MAX_SPAN_CHARS
    assert read_extract(across, passages) is None
    longer = SHORTCOMINGS * 3
    assert len(longer) > MAX_CLAUSE_CHARS
    assert read_extract(longer, [passage(longer)]) is None


def test_the_answer_text_around_the_copied_words() -> None:
    extract = Extract("kỷ cương, trách nhiệm", 1, MOTTO)
    assert answer_text(extract, "vi") == "Kỷ cương, trách nhiệm [1]."
    composed = "The motto was “Kỷ cương, trách nhiệm” (discipline, responsibility) [2]."
    assert answer_text(extract, "en", composed) == (
        "The motto was “Kỷ cương, trách nhiệm” (discipline, responsibility). [1]"
    )
    # A composed sentence that dropped the quoted words is not used.
    assert answer_text(extract, "en", "The motto was discipline.") == "“kỷ cương, trách nhiệm” [1]"
    assert answer_text(extract, "en") == "“kỷ cương, trách nhiệm” [1]"


# --- the retry path in the assistant ------------------------------------------------------------


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The three articles of test_ask; every question's evidence is strong enough to retry."""
    return settings_over_records(tmp_path)


def test_an_echo_is_retried_and_the_copied_words_are_the_answer(settings: Settings) -> None:
    echo = "Biên chế công chức năm 2020 là bao nhiêu người? [1]"
    assistant, generator, _ = make(settings, echo, "247.344 người [1]")
    answer = assistant.ask(STAFF_QUESTION)
    assert not answer.abstained
    assert answer.text == "247.344 người [1]."
    assert [c.doc_id for c in answer.citations] == ["a1"]
    assert len(generator.calls) == 2
    retry_prompt = generator.calls[1]
    assert "exact words" in retry_prompt[0]["content"]
    assert (
        STAFF_QUESTION in retry_prompt[1]["content"] and "<passages>" in retry_prompt[1]["content"]
    )


def test_not_found_is_retried_when_the_evidence_is_strong(settings: Settings) -> None:
    assistant, generator, _ = make(settings, "NOT_FOUND", "Kỷ cương, trách nhiệm, hành động [1]")
    answer = assistant.ask(VI_QUESTION)
    assert not answer.abstained and answer.text == "Kỷ cương, trách nhiệm, hành động [1]."
    assert len(generator.calls) == 2


def test_no_retry_when_the_evidence_is_weak_or_retry_is_off(settings: Settings) -> None:
    for changed in ({"retry_min_relevance": 1.0}, {"retry": False}):
        assistant, generator, _ = make(settings.model_copy(update=changed), "NOT_FOUND", "x")
        answer = assistant.ask(VI_QUESTION)
        assert answer.abstained and len(generator.calls) == 1


def test_a_retry_that_copies_words_found_nowhere_abstains(settings: Settings) -> None:
    assistant, generator, _ = make(settings, "NOT_FOUND", "Kỷ cương, sáng tạo [1]")
    answer = assistant.ask(VI_QUESTION)
    assert answer.abstained and answer.text == ABSTENTION["vi"]
    assert len(generator.calls) == 2


def test_a_retry_that_copies_the_question_back_abstains(settings: Settings) -> None:
    # Words from the question also occur in the passage, but they answer nothing.
    assistant, _, _ = make(settings, "NOT_FOUND", "Biên chế công chức năm 2020 [1]")
    assert assistant.ask(STAFF_QUESTION).abstained


def test_an_invented_figure_is_not_retried(settings: Settings) -> None:
    # A figure beside a grounded motto: the reply had something to say, and said it wrong.
    reply = "Phương châm “Kỷ cương, trách nhiệm, hành động” có 5 chữ [1]."
    assistant, generator, _ = make(settings, reply, "Kỷ cương [1]")
    assert assistant.ask(VI_QUESTION).abstained and len(generator.calls) == 1


def test_an_english_paraphrase_is_retried_quoted_and_translated(settings: Settings) -> None:
    question = "What was the motto of the Ministry of Home Affairs in 2020?"
    composed = (
        "The motto was “Kỷ cương, trách nhiệm, hành động” (discipline, responsibility, action)."
    )
    # The narrower retry alone (by default a reading in Vietnamese comes first:
    # tests/unit/test_rendering.py).
    direct = settings.model_copy(update={"read_in_passage_language": False})
    assistant, generator, _ = make(
        direct, "The motto was discipline and action [1].",
        "Kỷ cương, trách nhiệm, hành động [1]", composed,
    )  # fmt: skip
    answer = assistant.ask(question)
    assert not answer.abstained and answer.language == "en"
    assert answer.text == composed + " [1]"
    assert [c.doc_id for c in answer.citations] == ["a1"]
    assert len(generator.calls) == 3
    compose_prompt = generator.calls[2][1]["content"]
    assert "“Kỷ cương, trách nhiệm, hành động”" in compose_prompt and question in compose_prompt


# A question asking "ai" (who) answered by a group the passage names, grounded word for word.
GROUP_QUESTION = "Ngành Nội vụ tuyển dụng ai?"
GROUP_REPLY = "Ngành Nội vụ tuyển dụng công chức mới."


def test_a_reply_lacking_only_the_asked_kind_stands_when_the_retry_finds_nothing(
    settings: Settings,
) -> None:
    assistant, generator, _ = make(settings, GROUP_REPLY, "NOT_FOUND")
    answer = assistant.ask(GROUP_QUESTION)
    assert not answer.abstained and "công chức mới" in answer.text
    assert len(generator.calls) == 2  # the retry was asked first
    assert answer.citations[0].doc_id == "a3"  # the passage that holds its words


def test_a_retry_that_passes_every_check_is_preferred(settings: Settings) -> None:
    # The mechanism only: the second attempt gives a name (whatever it is), so it is the answer.
    assistant, _, _ = make(settings, GROUP_REPLY, "Trần Lưu Quang [2]")
    assert assistant.ask(GROUP_QUESTION).text == "Trần Lưu Quang [1]."
    # A second attempt that still lacks a name does not replace the grounded first reply.
    assistant, _, _ = make(settings, GROUP_REPLY, "1.250 công chức [1]")
    assert "công chức mới" in assistant.ask(GROUP_QUESTION).text


def test_a_reply_lacking_the_asked_kind_abstains_when_the_evidence_is_weak(
    settings: Settings,
) -> None:
    weak = settings.model_copy(update={"retry_min_relevance": 1.0})
    assistant, generator, _ = make(weak, GROUP_REPLY, "x")
    assert assistant.ask(GROUP_QUESTION).abstained and len(generator.calls) == 1
