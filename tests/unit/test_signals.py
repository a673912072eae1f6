"""The signals the judge weighs (rag.answer.signals): each in [0, 1], each measured on the
answer and the passages it cites."""

from __future__ import annotations

import itertools

import pytest

from rag.answer.judge import Weights
from rag.answer.signals import (
    Signals,
    asked_other,
    cross_lingual,
    signals_of,
    source_sentences,
)
from rag.types import Passage

TEXT = (
    "Hội nghị diễn ra tại Hà Nội. Năm 2020, Bộ Nội vụ xác định phương châm hành động là "
    "“Hoàn thiện thể chế, tinh gọn bộ máy”. Tỉnh Lạng Sơn tuyển dụng 3.250 công chức."
)
PASSAGE = Passage("a", "Hội nghị triển khai nhiệm vụ năm 2022", "2022-01-12", TEXT, 0.8, 0, 10)
MOTTO = "“Hoàn thiện thể chế, tinh gọn bộ máy” [1]"


def test_the_source_sentence_is_the_one_the_answer_copies_and_the_one_before() -> None:
    sentence = source_sentences(["hoàn", "thiện", "thể", "chế"], [PASSAGE])
    assert sentence.startswith("Hội nghị diễn ra tại Hà Nội.") and "phương châm" in sentence


@pytest.mark.parametrize(
    ("question", "other"),
    [
        ("Phương châm hành động năm 2020 là gì?", 0.0),
        ("Phương châm hành động năm 2022 là gì?", 1.0),  # the 2020 motto, asked for 2022
        ("Phương châm của Bộ Nội vụ là gì?", 0.0),  # asks no year: nothing to contradict
        ("Năm 2020 Hà Nội có phương châm gì?", 0.0),
        ("Năm 2020 Khánh Hòa có phương châm gì?", 0.5),  # the year; Hà Nội, not Khánh Hòa
    ],
)
def test_the_asked_year_and_province_against_the_source_sentence(
    question: str, other: float
) -> None:
    sentence = source_sentences(["hoàn", "thiện", "thể", "chế"], [PASSAGE])
    assert asked_other(question, sentence) == other


def test_a_sentence_that_names_no_year_contradicts_none() -> None:
    # Unnamed is not contradicted: the sentence may hold the asked year's fact.
    sentence = "Bộ Nội vụ xác định phương châm hành động là “Hoàn thiện thể chế”."
    assert asked_other("Phương châm năm 2022 là gì?", sentence) == 0.0


def test_copied_and_adds() -> None:
    right = signals_of("Phương châm năm 2020 là gì?", MOTTO, [PASSAGE], 0.9, 0.7)
    assert right == Signals(0.9, 0.7, 0.0, 1.0, right.adds, 1.0) and right.adds > 0.8
    invented = signals_of("Lạng Sơn tuyển dụng bao nhiêu công chức?", "3.251 công chức [1]",
                          [PASSAGE], 0.9, 0.7)  # fmt: skip
    assert invented.copied == pytest.approx(2 / 3)  # "công chức" is there, 3.251 is not
    question = "Lạng Sơn tuyển dụng bao nhiêu công chức?"
    echo = signals_of(question, f"{question[:-1]} [1]", [PASSAGE], 0.9, 0.7)
    assert echo.adds == 0.0
    english = signals_of("How many were recruited?", "3,250 people [1]", [PASSAGE], 0.5, 2)
    assert english.relevance == 1.0 and english.copied == 1.0  # 3,250 is the passage's 3.250
    assert echo.adds == 0.0 and english.adds == pytest.approx(2 / 3)  # "3250", "people"


def test_the_default_weights_are_the_readers_own_probability() -> None:
    signals = Signals(0.73, 0.2, 0.0, 0.0, 0.0)
    assert Weights().score(signals) == pytest.approx(0.73)


@pytest.mark.parametrize("reply_weight", [0.7, -0.7])
def test_best_possible_bounds_every_answer_before_it_is_written(reply_weight: float) -> None:
    weights = Weights(bias=-1.0, p_yes=1.0, relevance=0.5, asked_other=-2.0, copied=-0.5,
                      adds=1.0, reply_p=reply_weight)  # fmt: skip
    bound = weights.best_possible(0.6, 0.4)
    for other, copied, adds, sure in itertools.product((0, 1), (0, 1), (0, 0.5, 1), (0, 0.5, 1)):
        assert weights.score(Signals(0.6, 0.4, other, copied, adds, sure)) <= bound + 1e-12
    best_reply = 1.0 if reply_weight > 0 else 0.0  # sure of every token, or of none
    assert weights.score(Signals(0.6, 0.4, 0.0, 0.0, 1.0, best_reply)) == pytest.approx(bound)


def test_the_reply_is_weighed_by_its_mean_log_probability() -> None:
    weights = Weights(bias=0.0, p_yes=0.0, reply_p=1.0)
    assert weights.score(Signals(0.5, reply_p=1.0)) == pytest.approx(0.5)  # log 1 = 0
    assert weights.score(Signals(0.5, reply_p=0.5)) == pytest.approx(1 / 3)  # sigmoid(log 1/2)


def test_cross_lingual_is_the_question_in_another_language_than_the_passages() -> None:
    assert cross_lingual("en", [PASSAGE]) == 1.0  # an English question, a Vietnamese passage
    assert cross_lingual("vi", [PASSAGE]) == 0.0
    english = Passage("b", "Budget", None, "The ministry cut 10% of its staff in 2021.", 0.5, 0, 9)
    assert cross_lingual("en", [english]) == 0.0


def test_reading_across_languages_is_known_before_the_answer_is_written() -> None:
    weights = Weights(bias=-1.0, p_yes=1.0, cross_lingual=1.5)
    across, same = weights.best_possible(0.6, 0.4, 1.0), weights.best_possible(0.6, 0.4, 0.0)
    assert across > same
    assert weights.score(Signals(0.6, 0.4, cross_lingual=1.0)) == pytest.approx(across)
