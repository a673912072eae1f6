"""rag.text: one canonical form for Vietnamese text, numbers, tokens, language and years."""

from __future__ import annotations

import unicodedata

import pytest

from rag.retrieve.timeaware import year_mentions
from rag.text import (
    canonical_numbers,
    guess_language,
    normalize,
    strip_diacritics,
    tokenize,
)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


# --- normalize -----------------------------------------------------------------------------------


def test_normalize_turns_nfd_into_nfc() -> None:
    text = "Bộ Nội vụ tổng kết công tác năm 2021"
    decomposed = nfd(text)
    assert decomposed != text  # the input really is decomposed
    result = normalize(decomposed)
    assert result == text
    assert unicodedata.is_normalized("NFC", result)


@pytest.mark.parametrize(
    ("new_style", "traditional"),
    [
        ("hoà", "hòa"),
        ("Tỉnh uỷ", "Tỉnh ủy"),
        ("thuỷ", "thủy"),
        ("khoẻ", "khỏe"),
        ("hoạ", "họa"),
        ("tuỳ", "tùy"),
        ("Hoà Bình", "Hòa Bình"),
        ("HOÀ", "HÒA"),
        ("THUỶ", "THỦY"),
    ],
)
def test_normalize_moves_tone_onto_first_vowel_of_open_oa_oe_uy(
    new_style: str, traditional: str
) -> None:
    assert normalize(new_style) == traditional
    assert normalize(nfd(new_style)) == traditional
    assert normalize(traditional) == traditional  # already canonical: unchanged


@pytest.mark.parametrize("word", ["hoàn", "quý", "thuyền", "Quỳnh", "quỷ", "khuya", "hoài", "qua"])
def test_normalize_leaves_other_syllables_alone(word: str) -> None:
    assert normalize(word) == word


def test_normalize_tidies_spaces_but_keeps_line_breaks() -> None:
    assert normalize("a  b\u00a0c\t d\n\ne") == "a b c d\n\ne"


def test_strip_diacritics_folds_to_ascii() -> None:
    assert strip_diacritics("Đồng chí Trương Hòa Bình") == "Dong chi Truong Hoa Binh"


# --- numbers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "canonical"),
    [
        ("247.344", "247344"),
        ("1.783.174", "1783174"),
        ("10,01%", "10.01%"),
        ("10,01", "10.01"),
        ("0,5%", "0.5%"),
        ("2021", "2021"),
        ("1.000.000,25", "1000000.25"),
        (" 16 ", " 16 "),
    ],
)
def test_canonical_numbers_reads_vietnamese_numbers(token: str, canonical: str) -> None:
    assert canonical_numbers(token) == canonical


@pytest.mark.parametrize("token", ["", "abc", "12a", "1.2.3", "12.34", "1234.567", "năm"])
def test_canonical_numbers_leaves_non_numbers_alone(token: str) -> None:
    assert canonical_numbers(token) == token


def test_canonical_numbers_in_a_sentence() -> None:
    sentence = "Tỉnh có 247.344 người, tăng 10,01% so với năm 2021; TP. HCM có 1.783.174 người."
    assert canonical_numbers(sentence) == (
        "Tỉnh có 247344 người, tăng 10.01% so với năm 2021; TP. HCM có 1783174 người."
    )


def test_canonical_numbers_leaves_dates_and_fractions_alone() -> None:
    # 16/16 and 27/01/2021 are not thousands groups; only the grouped number changes.
    assert canonical_numbers("16/16 nhiệm vụ, ngày 27/01/2021, 4.800 lượt") == (
        "16/16 nhiệm vụ, ngày 27/01/2021, 4800 lượt"
    )


# --- tokens --------------------------------------------------------------------------------------


def test_tokenize_lowercases_and_splits_syllables() -> None:
    assert tokenize("Bộ Nội vụ, năm 2021!") == ["bộ", "nội", "vụ", "năm", "2021"]


def test_tokenize_is_the_same_for_nfc_and_nfd() -> None:
    text = "Phương châm hành động năm 2023 là gì?"
    assert tokenize(nfd(text)) == tokenize(text)


def test_tokenize_is_the_same_for_tone_mark_variants() -> None:
    assert tokenize("Hoà bình, khoẻ mạnh, Tỉnh uỷ") == tokenize("Hòa bình, khỏe mạnh, Tỉnh ủy")
    assert tokenize("hoà") == ["hòa"]


def test_tokenize_makes_numbers_canonical() -> None:
    assert tokenize("247.344 người, 10,01%") == ["247344", "người", "10.01"]
    assert tokenize("247.344 người, 10,01%") == tokenize("247344 người, 10.01%")


# --- language ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "Phương châm hành động năm 2023 là gì?",
        "Ai chủ trì hội nghị?",
        "Biên chế công chức năm 2021 là bao nhiêu?",
        nfd("Hà Nội có bao nhiêu người?"),
    ],
)
def test_guess_language_vietnamese(question: str) -> None:
    assert guess_language(question) == "vi"


@pytest.mark.parametrize(
    "question",
    ["Who chaired the 2023 review?", "What is the population of Lang Son province?", "", "2023"],
)
def test_guess_language_english_or_nothing(question: str) -> None:
    assert guess_language(question) == "en"


# --- years ---------------------------------------------------------------------------------------


def test_year_mentions_finds_four_digit_years() -> None:
    text = "Giai đoạn 2016 – 2020, kế hoạch 2021-2026, năm 1950 và 2099"
    assert sorted(year_mentions(text)) == [1950, 2016, 2020, 2021, 2026, 2099]


def test_year_mentions_ignores_out_of_range_and_longer_numbers() -> None:
    assert year_mentions("năm 1949, năm 2100, mã 20210, số 12021, 247.344 người") == {}
