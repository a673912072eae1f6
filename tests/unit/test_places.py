"""rag.retrieve.places: which provinces a text names, whatever its diacritics, never a common
word that spells one in lowercase."""

from __future__ import annotations

import pytest

from rag.retrieve.places import ALIASES, PROVINCES, provinces_in


def test_there_are_the_63_provinces_and_every_alias_names_one_of_them() -> None:
    assert len(set(PROVINCES)) == 63
    assert set(ALIASES.values()) <= set(PROVINCES)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sở Nội vụ Quảng Ninh tổng kết năm 2019", {"Quảng Ninh"}),
        ("What did Ha Giang province issue in 2020?", {"Hà Giang"}),
        ("Ninh Bình's 341 villages", {"Ninh Bình"}),
        ("Hòa Bình province", {"Hòa Bình"}),
        ("TP.HCM và Hà Nội", {"Thành phố Hồ Chí Minh", "Hà Nội"}),
        ("the Ministry in Hanoi", {"Hà Nội"}),
        ("Bà Rịa - Vũng Tàu và Bà Rịa Vũng Tàu", {"Bà Rịa - Vũng Tàu"}),
        ("tỉnh Hà Nam", {"Hà Nam"}),
    ],
)
def test_provinces_named(text: str, expected: set[str]) -> None:
    assert provinces_in(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Giữ vững hòa bình và ổn định.",  # hòa bình: peace
        "Long an toàn là ưu tiên.",  # no whole-word "Long An"
        "Ngành Nội vụ cả nước",
        "An Giangxyz",
    ],
)
def test_no_province_is_named(text: str) -> None:
    assert provinces_in(text) == set()
