"""rag.retrieve.fusion: reciprocal rank fusion on small rankings whose order is known."""

from __future__ import annotations

import pytest

from rag.retrieve.fusion import reciprocal_rank_fusion


def test_scores_are_weight_over_k_plus_rank_summed_over_rankings() -> None:
    fused = dict(reciprocal_rank_fusion([["a", "b", "c"], ["c", "a"]], [1.0, 1.0], k=10))
    assert fused == pytest.approx({"a": 1 / 11 + 1 / 12, "b": 1 / 12, "c": 1 / 13 + 1 / 11})


def test_an_item_both_rankings_agree_on_beats_a_first_place_in_one() -> None:
    order = [item for item, _ in reciprocal_rank_fusion([["x", "y"], ["y", "z"]], [1, 1], k=60)]
    assert order == ["y", "x", "z"]


def test_weights_decide_between_disagreeing_rankings() -> None:
    dense, lexical = ["d1", "d2", "d3"], ["l1", "l2", "l3"]
    assert reciprocal_rank_fusion([dense, lexical], [1.0, 0.2])[0][0] == "d1"
    assert reciprocal_rank_fusion([dense, lexical], [0.2, 1.0])[0][0] == "l1"


def test_a_ranking_of_weight_zero_adds_nothing() -> None:
    fused = reciprocal_rank_fusion([["a", "b"], ["z", "b"]], [1.0, 0.0], k=60)
    assert [item for item, _ in fused] == ["a", "b"]


def test_small_k_rewards_the_top_rank_more() -> None:
    # "a" is first in one ranking and fifth in the other; "b" second in both.
    rankings = [["a", "b"], ["c", "b", "d", "e", "a"]]
    assert reciprocal_rank_fusion(rankings, [1, 1], k=0)[0][0] == "a"  # 1 + 1/5 > 1/2 + 1/2
    assert reciprocal_rank_fusion(rankings, [1, 1], k=60)[0][0] == "b"  # 2/62 > 1/61 + 1/65


def test_ties_keep_first_met_order_and_duplicates_count_once() -> None:
    fused = reciprocal_rank_fusion([["a", "a", "b"], ["b", "a"]], [1, 1], k=60)
    assert [item for item, _ in fused] == ["a", "b"]
    assert fused[0][1] == pytest.approx(fused[1][1])


def test_empty_rankings_fuse_to_nothing() -> None:
    assert reciprocal_rank_fusion([[], []], [1, 1]) == []


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="weights"):
        reciprocal_rank_fusion([["a"]], [1, 1])
    with pytest.raises(ValueError, match="negative"):
        reciprocal_rank_fusion([["a"]], [1], k=-1)
