"""The signals the judge weighs (rag.answer.signals): each in [0, 1], each measured on the
answer and the passages it cites."""

from __future__ import annotations

import pytest

from rag.answer.judge import Weights
from rag.answer.signals import Signals, asked_held, signals_of, source_sentences
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
    ("question", "held"),
    [
        ("Phương châm hành động năm 2020 là gì?", 1.0),
        ("Phương châm hành động năm 2022 là gì?", 0.0),  # the 2020 motto, asked for 2022
        ("Phương châm của Bộ Nội vụ là gì?", 1.0),  # asks no year: nothing to hold
        ("Năm 2020 Hà Nội có phương châm gì?", 1.0),
        ("Năm 2020 Khánh Hòa có phương châm gì?", 0.5),  # the year, not the province
    ],
)
def test_asked_held_compares_the_question_with_the_source_sentence(
    question: str, held: float
) -> None:
    sentence = source_sentences(["hoàn", "thiện", "thể", "chế"], [PASSAGE])
    assert asked_held(question, sentence) == held


def test_copied_and_adds() -> None:
    right = signals_of("Phương châm năm 2020 là gì?", MOTTO, [PASSAGE], 0.9, 0.7)
    assert right == Signals(0.9, 0.7, 1.0, 1.0, right.adds) and right.adds > 0.8
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


def test_best_possible_bounds_every_answer_before_it_is_written() -> None:
    weights = Weights(bias=-1.0, p_yes=1.0, relevance=0.5, asked_held=2.0, copied=-0.5, adds=1.0)
    bound = weights.best_possible(0.6, 0.4)
    for held in (0.0, 1.0):
        for copied in (0.0, 1.0):
            for adds in (0.0, 0.5, 1.0):
                assert weights.score(Signals(0.6, 0.4, held, copied, adds)) <= bound + 1e-12
    assert weights.score(Signals(0.6, 0.4, 1.0, 0.0, 1.0)) == pytest.approx(bound)
