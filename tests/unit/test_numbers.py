"""rag.answer.numbers: small counts written as words, in Vietnamese and English."""

from __future__ import annotations

import pytest

from rag.answer.numbers import number_words, word_value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Có chín quốc gia trong lưu vực.", [("chín", 9)]),
        ("Trường có bốn trường công và hai cơ sở.", [("bốn", 4), ("hai", 2)]),
        ("There are nine countries and twelve cities.", [("nine", 9), ("twelve", 12)]),
        ("Hai bên đã ký kết.", [("Hai", 2)]),  # a capitalised count at a sentence's start
        # Not counts: articles, "năm" (year), and number words inside a name.
        ("Một số tỉnh, năm 2020, trong 3 năm.", []),
        ("One of the schools.", []),
        ("Đại sứ Ba Lan dự lễ ở Hai Bà Trưng.", []),
        ("The Seven Years War ended.", []),
    ],
)
def test_counts_written_as_words(text: str, expected: list[tuple[str, int]]) -> None:
    assert number_words(text) == expected


def test_the_value_of_one_word() -> None:
    assert word_value("Bốn") == "4" and word_value(" nine ") == "9"
    assert word_value("năm") is None and word_value("4") is None
