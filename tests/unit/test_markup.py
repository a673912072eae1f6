"""rag.answer.markup: citation markers are recognised and removed, closed or left unclosed."""

from __future__ import annotations

import pytest

from rag.answer.markup import without_citations


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Có 7 nhiệm vụ [1][2].", "Có 7 nhiệm vụ ."),
        ("Có 7 nhiệm vụ [1, 3].", "Có 7 nhiệm vụ ."),
        # A marker the model left unclosed, before another marker or at the end.
        ("famous for using [2 [1]", "famous for using"),
        ("famous for using [2", "famous for using"),
        # A bracket closed later on its line is not a marker.
        ("Kinh phí [10 tỷ đồng] đã cấp.", "Kinh phí [10 tỷ đồng] đã cấp."),
    ],
)
def test_citation_markers_are_removed(text: str, expected: str) -> None:
    assert " ".join(without_citations(text).split()) == expected
