"""rag.answer.quoting: a name the model shortened is quoted as the one passage phrase it stands
for, and left alone when that phrase is missing, ambiguous or spans a sentence break."""

from __future__ import annotations

import pytest

from rag.answer.quoting import exact_names
from rag.types import Passage


def passage(text: str) -> Passage:
    return Passage("d", "Tin", None, text, 0.5, 0, len(text))


AIRPORTS = passage(
    "Sân bay quốc tế Los Angeles là sân bay bận rộn thứ hai ở Hoa Kỳ. Quốc hội thông qua "
    "Đạo luật Trường học Nam Phi năm 1996."
)
MINISTRY = passage(
    "Bộ trưởng Bộ Nội vụ Phạm Thị Thanh Trà phát biểu. Goldenson đề xuất sáp nhập với "
    "Mạng lưới Truyền hình DuMont."
)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("Sân bay bận rộn thứ hai là Sân bay Los Angeles. [1]",
         "Sân bay bận rộn thứ hai là Sân bay quốc tế Los Angeles. [1]"),
        # The passage's first matching word is lowercase: the name starts before it.
        ("Luật Nam Phi công nhận hai loại trường [1].",
         "Đạo luật Trường học Nam Phi công nhận hai loại trường [1]."),
        ("Bộ trưởng Phạm Thị Thanh Trà phát biểu [2].",
         "Bộ trưởng Bộ Nội vụ Phạm Thị Thanh Trà phát biểu [2]."),
        ("UPT merged with Mạng lưới DuMont [2].",
         "UPT merged with Mạng lưới Truyền hình DuMont [2]."),
    ],
)  # fmt: skip
def test_a_shortened_name_is_quoted_as_the_passage_writes_it(answer: str, expected: str) -> None:
    assert exact_names(answer, [AIRPORTS, MINISTRY]) == expected


@pytest.mark.parametrize(
    "answer",
    [
        "Hoa Kỳ có Sân bay quốc tế Los Angeles [1].",  # already as the passage writes it
        "Phó Thủ tướng Trần Lưu Quang chủ trì [1].",  # a name no passage holds in any form
        "The Los Angeles airport is busy [1].",  # no capitalised run to complete
    ],
)
def test_a_name_that_needs_nothing_or_matches_nothing_is_left_alone(answer: str) -> None:
    assert exact_names(answer, [AIRPORTS, MINISTRY]) == answer


def test_two_candidate_phrases_are_a_guess_and_change_nothing() -> None:
    other = passage("Sân bay nội địa Los Angeles đóng cửa.")
    answer = "Đó là Sân bay Los Angeles [1]."
    assert exact_names(answer, [AIRPORTS, other]) == answer
    assert exact_names(answer, [other]) == "Đó là Sân bay nội địa Los Angeles [1]."


def test_words_across_a_sentence_break_or_too_far_apart_are_not_a_name() -> None:
    broken = passage("Ông Nguyễn phát biểu. Văn bản khác nêu Hùng là người chủ trì.")
    assert exact_names("Ông Nguyễn Hùng chủ trì [1].", [broken]) == "Ông Nguyễn Hùng chủ trì [1]."
    far = passage("Sân bay lớn nhất và đông khách nhất Los Angeles.")  # five words between
    assert exact_names("Sân bay Los Angeles [1].", [far]) == "Sân bay Los Angeles [1]."


@pytest.mark.parametrize(
    ("answer", "held"),
    [
        # A clause between two names is not a name, even when the passage adds words to it.
        ("Elway đã dẫn dắt Broncos giành chiến thắng [1].",
         "John Elway nắm giữ, người đã dẫn dắt Broncos giành chiến thắng."),
        ("Một thầy trong Phật giáo Tây Tạng là Lạt-ma [1].",
         "Một thầy trong Phật giáo Tây Tạng thường được gọi là Lạt-ma."),
        # The passage's extra words must come in one place, with no comma among them.
        ("Sân bay Los Angeles [1].", "Sân bay quốc tế, Los Angeles."),
        ("Sân bay Los Angeles [1].", "Sân bay lớn và quốc tế nhất Los Angeles."),
    ],
)  # fmt: skip
def test_words_that_are_not_one_name_are_left_alone(answer: str, held: str) -> None:
    assert exact_names(answer, [passage(held)]) == answer
