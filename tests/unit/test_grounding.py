"""rag.answer.grounding: which passages support an answer, and figures that come from nowhere."""

from __future__ import annotations

import unicodedata

import pytest

from rag.answer.grounding import (
    other_year_source,
    says_nothing,
    support,
    supporting_passages,
    unsupported_figures,
    unsupported_names,
)
from rag.types import Passage


def passage(text: str, doc_id: str = "d") -> Passage:
    return Passage(doc_id, "Tiêu đề", None, text, 0.5, 0, len(text))


MOTTO = passage(
    "Năm 2020, Bộ Nội vụ xác định phương châm hành động là “Kỷ cương, trách nhiệm”.", "a"
)
STAFF = passage("Biên chế công chức năm 2021 là 247.344 người, giảm 10,01% so với năm 2015.", "b")
MEETING = passage("Phó Thủ tướng Trần Lưu Quang chủ trì hội nghị có 63 điểm cầu.", "c")
PASSAGES = [MOTTO, STAFF, MEETING]


# --- support ------------------------------------------------------------------------------------


def test_support_is_the_share_of_content_words_found() -> None:
    assert support("Trần Lưu Quang chủ trì", MEETING) == 1.0
    assert support("Trần Lưu Quang vắng mặt", MEETING) == pytest.approx(3 / 5)
    assert support("bóng đá Chelsea", MEETING) == 0.0


def test_support_ignores_filler_citations_and_case() -> None:
    # "là", "của", "the", "of" carry no evidence; [1] is a citation, not a word of the answer.
    assert support("TRẦN LƯU QUANG là của [1]", MEETING) == 1.0
    assert support("the of là của [2]", MEETING) == 0.0


def test_support_matches_vietnamese_and_english_number_forms() -> None:
    assert support("247.344", STAFF) == 1.0
    assert support("10,01%", STAFF) == 1.0
    assert support("247.344 công chức", STAFF) == 1.0


def test_supporting_passages_best_first_above_threshold_at_most_two() -> None:
    answer = "Phó Thủ tướng Trần Lưu Quang chủ trì hội nghị có 63 điểm cầu."
    assert supporting_passages(answer, PASSAGES) == [2]
    assert supporting_passages("Trời hôm nay nắng đẹp.", PASSAGES) == []
    twins = [
        passage("Hội nghị tổng kết công tác năm 2021."),
        MEETING,
        passage("Hội nghị tổng kết."),
    ]
    found = supporting_passages("Hội nghị tổng kết công tác năm 2021", twins)
    assert found == [0, 2]  # best first; both above one half
    many = [passage("Hội nghị tổng kết công tác.") for _ in range(4)]
    assert len(supporting_passages("Hội nghị tổng kết công tác", many)) == 2


def test_supporting_threshold_is_respected() -> None:
    answer = "Trần Lưu Quang vắng mặt hôm"  # 3 of 6 content words are in MEETING
    assert supporting_passages(answer, [MEETING]) == [0]
    assert supporting_passages(answer, [MEETING], threshold=0.6) == []
    assert max(support(answer, p) for p in PASSAGES) == pytest.approx(0.5)


# --- invented figures -----------------------------------------------------------------------------


def test_a_figure_in_no_passage_is_reported() -> None:
    assert unsupported_figures("Biên chế là 999.999 người [1].", "Biên chế?", PASSAGES) == [
        "999.999"
    ]
    assert unsupported_figures("Có 64 điểm cầu [1].", "", PASSAGES) == ["64"]


def test_figures_from_passages_or_question_are_accepted() -> None:
    assert unsupported_figures("Biên chế là 247.344 người [1].", "", PASSAGES) == []
    assert unsupported_figures("There were 247,344 civil servants in 2021 [1].", "", PASSAGES) == []
    assert unsupported_figures("Giảm 10.01% [1].", "", PASSAGES) == []
    assert unsupported_figures("Năm 2030 chưa có số liệu [1].", "Năm 2030 thì sao?", PASSAGES) == []


def test_citation_numbers_are_not_figures() -> None:
    assert unsupported_figures("Có 63 điểm cầu [1][2].", "", PASSAGES) == []


def test_an_invented_figure_equal_to_a_citation_number_is_still_reported() -> None:
    passages = [passage("Quốc hội thông qua 4 luật."), passage("Bộ Nội vụ trình 14 nghị quyết.")]
    assert unsupported_figures("Quốc hội thông qua 2 luật [1][2].", "", passages) == ["2"]


# --- names ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        "Phó Thủ tướng Trần Lưu Quang chủ trì hội nghị [1].",
        "The review was chaired by Deputy Prime Minister Trần Lưu Quang [1].",
        "Hội nghị do ông TRẦN LƯU QUANG chủ trì.",  # capitals only: not judged
        "Theo Phó Thủ tướng Trần Lưu Quang, có 63 điểm cầu.",  # "Theo" opens the sentence
        "Hội nghị do Phó Thủ tướng Trần Lưu Quang chủ trì.",  # tone marks as the passage has them
        "The motto was “Kỷ Cương, Trách Nhiệm” [1].",  # title case of a quoted phrase
        "The Ministry of Home Affairs set the motto.",  # English words are not judged
    ],
)
def test_names_found_in_the_passages_are_fine(answer: str) -> None:
    assert unsupported_names(answer, "", PASSAGES) == []


def test_an_invented_vietnamese_name_is_reported() -> None:
    answer = "Bộ trưởng Bộ Nội vụ năm 2023 là Nguyễn Văn Quyết [1]."
    assert unsupported_names(answer, "", PASSAGES) == ["Nguyễn Văn Quyết"]
    answer = "Deputy Minister Trần Văn Tuấn attended [3]."
    assert unsupported_names(answer, "", PASSAGES) == ["Trần Văn Tuấn"]


def test_a_name_from_the_question_is_not_invented() -> None:
    question = "Ông Nguyễn Văn Quyết có dự hội nghị không?"
    assert unsupported_names("Ông Nguyễn Văn Quyết không được nhắc tới.", question, []) == []


def test_names_are_compared_in_one_unicode_form() -> None:
    decomposed = unicodedata.normalize("NFD", "Phó Thủ tướng Trần Lưu Quang chủ trì.")
    assert unsupported_names(decomposed, "", PASSAGES) == []


# --- citations for English answers, pointers, years ----------------------------------------------


def test_an_english_answer_is_supported_by_the_passage_it_quotes() -> None:
    answer = "Deputy Prime Minister Trần Lưu Quang chaired the conference."
    question = "Who chaired the 2023 review?"
    assert supporting_passages(answer, PASSAGES, question=question, language="en") == [2]
    # Read as Vietnamese, its English words find no passage that holds half of them.
    assert supporting_passages(answer, PASSAGES, question=question) == []


def test_an_english_answer_that_quotes_nothing_is_supported_by_nothing() -> None:
    answer = "The conference was chaired by the minister."
    assert supporting_passages(answer, PASSAGES, question="Who chaired it?", language="en") == []


def test_pointers_into_the_sources_are_not_figures() -> None:
    answer = "The motto was “Kỷ cương, trách nhiệm”, as passage 1 says on page 2 [1]."
    assert unsupported_figures(answer, "", PASSAGES) == []


YEARS = passage(
    "Tổng kết năm 2022, ngành đạt nhiều kết quả. Bộ Nội vụ xác định phương châm hành động "
    "của năm 2023 là “Đoàn kết, kỷ cương, gương mẫu, đổi mới”."
)


def test_an_answer_taken_from_a_sentence_about_another_year_is_caught() -> None:
    answer = "Phương châm năm 2022 là “Đoàn kết, kỷ cương, gương mẫu, đổi mới” [1]."
    assert other_year_source(answer, "Phương châm năm 2022 là gì?", [YEARS]) == 2023
    english = "The 2024 motto was “Đoàn kết, kỷ cương, gương mẫu, đổi mới” [1]."
    assert other_year_source(english, "What was the motto for 2024?", [YEARS]) == 2023


@pytest.mark.parametrize(
    ("answer", "question"),
    [
        ("Phương châm năm 2023 là “Đoàn kết, kỷ cương” [1].", "Phương châm năm 2023 là gì?"),
        ("Phương châm là “Đoàn kết, kỷ cương” [1].", "Phương châm là gì?"),  # no year asked
        ("Ngành đạt nhiều kết quả [1].", "Năm 2022 ngành đạt gì?"),  # its sentence names 2022
    ],
)
def test_answers_from_a_sentence_about_the_asked_year_pass(answer: str, question: str) -> None:
    assert other_year_source(answer, question, [YEARS]) is None


@pytest.mark.parametrize(
    "answer",
    [
        "The resolution that the reform of wage policy follows is [1].",
        "Cải cách chính sách tiền lương theo nghị quyết số mấy? [1]",
        "[1]",
    ],
)
def test_a_reply_that_restates_or_asks_back_says_nothing(answer: str) -> None:
    assert says_nothing(answer, "Which resolution does the reform of wage policy follow?")


@pytest.mark.parametrize(
    "answer", ["It follows Resolution 27 [1].", "Theo Nghị quyết số 27-NQ/TW [1]."]
)
def test_a_reply_with_something_new_says_something(answer: str) -> None:
    assert not says_nothing(answer, "Which resolution does the reform of wage policy follow?")
