"""The key phrase copied from the passage's own characters (rag.answer.snapping)."""

from __future__ import annotations

import pytest

from rag.answer.snapping import snapped, span_in

PASSAGE = (
    "Năm 2021, toàn ngành tuyển dụng 3.250 công chức. Phương châm hành động năm 2020 là "
    "“Hoàn thiện thể chế, tinh gọn bộ máy, siết chặt kỷ cương”. Phó Thủ tướng Trần Lưu Quang "
    "chủ trì hội nghị."
)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("Tuyển dụng 3, 250 công chức [1].", "Tuyển dụng 3.250 công chức [1]."),
        # Another number format is the reader's language, not a miscopy: kept.
        ("They recruited 3,250 civil servants [1].", "They recruited 3,250 civil servants [1]."),
        # A spaced figure with no passage twin stays as written.
        ("Tuyển dụng 7, 777 người [1].", "Tuyển dụng 7, 777 người [1]."),
        ("Phương châm là “Hoàn thiện thể chế, tinh gon bộ máy, siết chặt kỷ cuong” [1].",
         "Phương châm là “Hoàn thiện thể chế, tinh gọn bộ máy, siết chặt kỷ cương” [1]."),
        ("Phó Thủ tướng Trần Luu Quang [1] chủ trì.", "Phó Thủ tướng Trần Lưu Quang [1] chủ trì."),
        # A lead that is a whole sentence is the model's own wording: not replaced.
        ("Hội nghị năm 2023 do Phó Thủ tướng Trần Lưu Quang chủ trì theo bài báo này [1].",
         "Hội nghị năm 2023 do Phó Thủ tướng Trần Lưu Quang chủ trì theo bài báo này [1]."),
    ],
)  # fmt: skip
def test_figures_quotes_and_the_lead_take_the_passages_characters(
    answer: str, expected: str
) -> None:
    assert snapped(answer, [PASSAGE]) == expected


def test_a_phrase_not_close_to_any_span_is_left_alone() -> None:
    assert span_in("Nguyễn Văn An", [PASSAGE]) == "Nguyễn Văn An"
    assert span_in("Trần Lưu Quang", [PASSAGE]) == "Trần Lưu Quang"  # already the passage's
    assert snapped("x [1]", []) == "x [1]"
