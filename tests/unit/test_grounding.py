"""rag.answer.grounding: which passages support an answer, and replies that say nothing."""

from __future__ import annotations

import pytest

from rag.answer.grounding import says_nothing, support, supporting_passages
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


@pytest.mark.parametrize(
    ("answer", "question"),
    [
        ("Bộ Nội vụ gồm 7 nhiệm vụ [1].", "Bộ Nội vụ gồm bao nhiêu nhiệm vụ?"),
        ("Quốc hội thông qua 2 luật [1].", "Quốc hội thông qua bao nhiêu luật?"),
    ],
)
def test_a_one_digit_answer_says_something(answer: str, question: str) -> None:
    assert not says_nothing(answer, question)


def test_support_counts_only_what_the_question_does_not_hold() -> None:
    question = "Trần Lưu Quang chủ trì hội nghị nào?"
    assert support("Trần Lưu Quang chủ trì hội nghị bóng đá", MEETING, question) == 0.0
    assert support("Trần Lưu Quang chủ trì hội nghị có 63 điểm cầu", MEETING, question) == 1.0
