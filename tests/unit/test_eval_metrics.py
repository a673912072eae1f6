"""eval.metrics on small cases computed by hand."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest

from eval.datasets import QAItem
from eval.metrics import (
    abstention_scores,
    contains_answer,
    exact_match,
    gold_rank,
    hit_at,
    hit_cutoffs,
    key_match,
    latency,
    mean,
    normalize_answer,
    percentile,
    reciprocal_rank,
    retrieval_depth,
    score_question,
    summarize,
    summarize_by_language,
    token_f1,
)

# --- normalisation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (unicodedata.normalize("NFD", "Trương Hòa Bình"), "Trương Hòa Bình"),  # NFD input
        ("Khánh Hoà", "Khánh Hòa"),  # new-style vs traditional tone placement
        ("thuỷ", "thủy"),
        ("247.344", "247344"),  # Vietnamese thousands
        ("1.783.174 người", "1783174 người"),
        ("1,783,174", "1783174"),  # unambiguous English thousands
        ("4, 800 lượt", "4.800 lượt"),  # a model's spacing of 4.800
        ("3, 250", "3250"),
        ("10,01%", "10.01"),  # Vietnamese decimal comma, percent sign
        ("20,8 %", "20.8"),
        ("The Eiffel Tower!", "eiffel tower"),  # SQuAD: case, punctuation, articles
        ("an apple, a pear", "apple pear"),
        ("2016-2020", "2016 – 2020"),  # punctuation becomes a space
        ("“Kỷ cương, trách nhiệm”", "kỷ cương trách nhiệm"),
    ],
)
def test_normalize_answer_makes_these_equal(left: str, right: str) -> None:
    assert normalize_answer(left) == normalize_answer(right)


def test_normalize_answer_exact_forms() -> None:
    assert normalize_answer("Hoà  247.344, the 10,01%") == "hòa 247344 10.01"
    assert normalize_answer("  Sáng 27/12 ") == "sáng 27 12"
    assert normalize_answer("10.01") == "10.01"  # a decimal point survives punctuation removal
    assert normalize_answer("there theme") == "there theme"  # articles only as whole words
    assert normalize_answer("in 2019, 150 people") == "in 2019 150 people"  # a year stays


def test_different_numbers_stay_different() -> None:
    assert normalize_answer("10,01%") != normalize_answer("1001")
    assert normalize_answer("247.344") != normalize_answer("247.34")


# --- answer metrics ---------------------------------------------------------------------------


def test_exact_match_takes_the_best_gold() -> None:
    assert exact_match("Trương Hoà Bình.", ["Lê Vĩnh Tân", "Trương Hòa Bình"]) == 1.0
    assert exact_match(unicodedata.normalize("NFD", "247.344"), ["247344"]) == 1.0
    assert exact_match("247.344 biên chế", ["247344"]) == 0.0
    assert exact_match("anything", []) is None


def test_token_f1_by_hand() -> None:
    # prediction tokens: cat sat on mat (articles gone); gold: cat on mat -> P 3/4, R 1
    assert token_f1("The cat sat on the mat", ["cat on mat"]) == pytest.approx(2 * 0.75 / 1.75)
    # Vietnamese syllables and canonical numbers: P 3/6, R 3/3 -> F1 2/3
    f1 = token_f1("biên chế năm 2021 là 247.344", ["247344 biên chế"])
    assert f1 == pytest.approx(2 / 3)
    assert token_f1("nothing shared", ["cat"]) == 0.0
    assert token_f1("cat", ["dog", "cat"]) == 1.0  # best over golds
    assert token_f1("", ["cat"]) == 0.0
    assert token_f1("x", []) is None


def test_token_f1_counts_repeated_tokens_once_each() -> None:
    # "nhà nhà nước" vs gold "nhà nước": common = nhà x1, nước x1 -> P 2/3, R 1 -> F1 0.8
    assert token_f1("nhà nhà nước", ["nhà nước"]) == pytest.approx(0.8)


def test_contains_answer_needs_whole_words() -> None:
    text = "Biên chế giảm 10,01% so với năm 2015."
    assert contains_answer(text, ["10.01"]) == 1.0
    assert contains_answer(text, ["2015"]) == 1.0
    assert contains_answer(text, ["201"]) == 0.0  # not a word of the text
    assert contains_answer(text, ["x", "giảm 10,01 %"]) == 1.0
    assert contains_answer(text, []) is None


def test_key_match_needs_every_key_and_accepts_alternatives() -> None:
    answer = "Năm 2021 biên chế công chức là 247.344 người."
    assert key_match(answer, ["247.344|247344", "2021"]) == 1.0
    assert key_match(answer, ["247344"]) == 1.0  # after normalisation
    assert key_match(answer, ["247.344", "2020"]) == 0.0  # one key missing
    assert key_match(answer, ["999|247,344"]) == 0.0  # a single comma is a decimal mark
    assert key_match("It was 247,344 positions.", ["247.344|247344|247,344"]) == 1.0
    assert key_match("Khánh Hoà", ["Khánh Hòa"]) == 1.0
    decomposed = unicodedata.normalize("NFD", "Trần Lưu Quang chủ trì")
    assert key_match(decomposed, ["Trần Lưu Quang"]) == 1.0
    assert key_match("2010", ["10"]) == 0.0
    assert key_match("anything", []) is None


# --- retrieval metrics ------------------------------------------------------------------------


def test_ranks_hits_and_reciprocal_rank() -> None:
    retrieved = ["a", "b", "a", "c"]
    assert gold_rank(retrieved, "a") == 1
    assert gold_rank(retrieved, "c") == 4
    assert gold_rank(retrieved, "z") is None
    assert gold_rank(retrieved, None) is None
    assert [hit_at(4, k) for k in (1, 3, 5)] == [0.0, 0.0, 1.0]
    assert hit_at(None, 5) == 0.0
    assert reciprocal_rank(4) == 0.25
    assert reciprocal_rank(None) == 0.0
    assert reciprocal_rank(11) == 0.0  # MRR@10
    assert hit_cutoffs(5) == [1, 3, 5] and hit_cutoffs(8) == [1, 3, 5, 8]
    assert retrieval_depth(5) == 10 and retrieval_depth(20) == 20


# --- one question -----------------------------------------------------------------------------

ITEM = QAItem("q", "Biên chế năm 2021?", ("247.344",), ("247.344", "2021"), False, "A", "vi")
UNANSWERABLE = QAItem("u", "Phương châm năm 2018?", unanswerable=True, language="vi")


def test_score_question_retrieval_only() -> None:
    scores = score_question(ITEM, ["B", "A"], k=5)
    assert scores == {"hit@1": 0.0, "hit@3": 1.0, "hit@5": 1.0, "mrr@10": 0.5}


def test_score_question_with_an_answer() -> None:
    scores = score_question(ITEM, ["A"], 3, "Năm 2021 là 247344 biên chế [1]", abstained=False)
    assert scores["hit@1"] == 1.0 and scores["mrr@10"] == 1.0
    assert scores["em"] == 0.0 and scores["contains"] == 1.0
    # tokens: năm 2021 là 247344 biên chế 1 -> one of seven is the gold's one token
    assert scores["f1"] == pytest.approx(2 * (1 / 7) / (1 / 7 + 1))
    assert scores["key_match"] == 1.0 and scores["correct"] == 1.0
    assert scores["abstained"] == 0.0


def test_an_abstention_offers_no_answer() -> None:
    scores = score_question(ITEM, ["A"], 5, "Không tìm thấy thông tin 2021 247.344", abstained=True)
    assert scores["em"] == scores["f1"] == scores["key_match"] == scores["correct"] == 0.0
    assert scores["abstained"] == 1.0


def test_unanswerable_questions_are_judged_on_abstaining_only() -> None:
    right = score_question(UNANSWERABLE, ["A"], 5, "The articles do not say.", abstained=True)
    assert right["hit@1"] is None and right["mrr@10"] is None
    assert right["em"] is None and right["f1"] is None and right["key_match"] is None
    assert right["correct"] == 1.0
    wrong = score_question(UNANSWERABLE, ["A"], 5, "Kỷ cương", abstained=False)
    assert wrong["correct"] == 0.0


def test_answerable_without_keys_is_judged_by_containing_an_answer() -> None:
    item = QAItem("n", "Who?", ("Phạm Minh Chính",), (), False, None, "en")
    scores = score_question(item, ["A"], 5, "Prime Minister Phạm Minh Chính [1]", abstained=False)
    assert scores["hit@1"] is None  # no gold source, no retrieval verdict
    assert scores["key_match"] is None and scores["correct"] == 1.0


# --- many questions ---------------------------------------------------------------------------


def test_mean_skips_what_does_not_apply() -> None:
    assert mean([1.0, None, 0.0, 1.0]) == {"mean": pytest.approx(2 / 3), "n": 3}
    assert mean([None]) == {"mean": None, "n": 0}


def test_percentile_interpolates() -> None:
    assert percentile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.5
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.9) == pytest.approx(3.7)
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([], 0.5) is None


def test_abstention_precision_and_recall() -> None:
    # (should abstain, did abstain): tp 2, fp 1, fn 1, tn 3
    pairs = [(True, True), (True, True), (False, True), (True, False)] + [(False, False)] * 3
    scores = abstention_scores(pairs)
    assert (scores["tp"], scores["fp"], scores["fn"], scores["tn"]) == (2, 1, 1, 3)
    assert scores["precision"] == pytest.approx(2 / 3)
    assert scores["recall"] == pytest.approx(2 / 3)
    assert scores["f1"] == pytest.approx(2 / 3)
    never = abstention_scores([(True, False), (False, False)])
    assert never["precision"] is None and never["recall"] == 0.0 and never["f1"] is None


def test_latency_per_stage_ignores_generation_that_never_ran() -> None:
    records: list[dict[str, Any]] = [
        {"timings": {"retrieve": 0.1, "generate": 2.0, "total": 2.1}},
        {"timings": {"retrieve": 0.3, "generate": 0.0, "total": 0.3}},  # abstained early
        {"timings": {"retrieve": 0.2, "generate": 4.0, "total": 4.2}},
        {"timings": {}},
    ]
    stages = latency(records)
    assert stages["retrieve"]["p50"] == 0.2 and stages["retrieve"]["n"] == 3
    assert stages["generate"]["n"] == 2 and stages["generate"]["p50"] == 3.0
    assert stages["generate"]["p90"] == pytest.approx(3.8)
    assert stages["total"]["max"] == 4.2


def _record(language: str, metrics: dict[str, float | None], **extra: object) -> dict[str, object]:
    record: dict[str, object] = {
        "language": language, "metrics": metrics, "timings": {"retrieve": 0.1, "total": 0.1},
        "gold": {"unanswerable": False}, "abstained": None, "error": None,
    }  # fmt: skip
    record.update(extra)
    return record


def test_summaries_overall_and_by_language() -> None:
    records = [
        _record("vi", {"hit@1": 1.0, "f1": 0.5}),
        _record("vi", {"hit@1": 0.0, "f1": None}),
        _record("en", {"hit@1": 1.0, "f1": 1.0}),
        _record("en", {}, error="the question is empty", timings={}),
    ]
    overall = summarize(records)
    assert overall["questions"] == 4 and overall["errors"] == 1
    assert overall["metrics"]["hit@1"] == {"mean": pytest.approx(2 / 3), "n": 3}
    assert overall["metrics"]["f1"] == {"mean": 0.75, "n": 2}
    assert overall["abstention"] is None  # retrieval only: nothing was answered
    by_language = summarize_by_language(records)
    assert list(by_language) == ["en", "vi"]
    assert by_language["vi"]["metrics"]["hit@1"]["mean"] == 0.5
    assert by_language["en"]["errors"] == 1
