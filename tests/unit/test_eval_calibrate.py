"""Choosing the answer threshold from scored records (eval.calibrate)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from eval import calibrate
from eval.calibrate import (
    FEATURES,
    choose,
    cross_validated,
    figures,
    fit,
    main,
    outcome,
    risk_coverage,
    roc_auc,
)
from rag.answer.judge import Weights

_IDS = itertools.count()


def record(p_yes: float | None, answerable: bool, correct: bool = True,
           abstained: bool = False, kind: str = "", **signals: float) -> dict:  # fmt: skip
    """A result written at threshold 0; with the code's weights its confidence is ``p_yes``."""
    written = {"p_yes": p_yes, "relevance": 0.5, "asked_other": 0.0, "copied": 1.0, "adds": 1.0,
               "reply_p": 1.0, "cross_lingual": 0.0}  # fmt: skip
    return {
        "id": f"q{next(_IDS)}{kind and '~' + kind}", "error": None, "abstained": abstained,
        "signals": {**written, **signals} if p_yes is not None else {},
        "gold": {"unanswerable": not answerable},
        "metrics": {"correct": float(correct) if answerable else float(abstained)},
    }  # fmt: skip


W = Weights()  # P(yes) alone: each record's confidence is its ``p_yes``


RECORDS = [
    record(0.95, True),
    record(0.9, True),
    record(0.8, True, correct=False),
    record(0.85, False, kind="year"),
    record(0.5, False),
    record(0.4, False),
    record(0.3, True),
    record(None, False, abstained=True),  # turned away by the gate
]


def test_outcome_applies_the_threshold_as_the_assistant_does() -> None:
    assert outcome(record(0.6, True), 0.5, W) == "right"
    assert outcome(record(0.6, True), 0.7, W) == "abstained"
    assert outcome(record(0.6, False), 0.5, W) == "wrong"
    assert outcome(record(0.6, False), 0.7, W) == "right"
    assert outcome(record(None, False, abstained=True), 0.0, W) == "right"


def test_the_threshold_maximises_right_minus_twice_wrong() -> None:
    # At 0.86: 2 right answers + 4 right abstentions, 0 wrong = 6, the best there is.
    assert choose(RECORDS, cost=2.0, weights=W) == pytest.approx(0.9)
    # When every answer is right, nothing is gained by abstaining: the lowest threshold wins.
    assert choose([record(0.2, True), record(0.7, True)], cost=2.0, weights=W) == 0.0


def test_auc_and_the_risk_coverage_curve() -> None:
    # Right answers 0.95, 0.9, 0.3 against the 4 others scored: 4 + 4 + 0 wins of 12.
    assert roc_auc(RECORDS, W) == pytest.approx(8 / 12)
    curve = risk_coverage(RECORDS, W)
    assert curve[0] == {"threshold": 0.0, "coverage": 0.875, "risk": pytest.approx(0.571, 1e-3)}
    assert curve[-1]["coverage"] == 0.125 and curve[-1]["risk"] == 0.0


def test_figures_per_set_and_kind() -> None:
    rows = figures({"seed-hard": RECORDS}, 0.89, W)
    assert rows["seed-hard/absent"] == {"n": 4, "right": 4, "wrong": 0, "abstained": 0,
                                        "rate": 1.0}  # fmt: skip
    assert rows["seed-hard/answerable"]["right"] == 2
    assert rows["seed-hard/absent~year"]["n"] == 1


def test_the_fit_learns_which_signal_tells_right_from_wrong() -> None:
    # P(yes) says nothing here; whether the source sentence names another year says it all.
    rows = [record(0.8, True, asked_other=0.0) for _ in range(20)]
    rows += [record(0.8, False, asked_other=1.0) for _ in range(20)]
    weights = fit(rows, l2=0.1)
    assert weights.asked_other < -2.0
    held = Weights(**{**weights.__dict__})
    assert choose(rows, cost=2.0, weights=held) > 0.0
    assert all(outcome(r, choose(rows, 2.0, weights), weights) == "right" for r in rows)
    assert set(FEATURES) == {
        "p_yes", "relevance", "asked_other", "copied", "adds", "reply_p", "cross_lingual"
    }  # fmt: skip


def test_a_fit_on_some_signals_weighs_the_others_nothing() -> None:
    rows = [record(0.8, True, asked_other=0.0) for _ in range(20)]
    rows += [record(0.8, False, asked_other=1.0) for _ in range(20)]
    weights = fit(rows, l2=0.1, names=("p_yes", "copied"))
    assert weights.asked_other == 0.0 and weights.relevance == 0.0
    # Without the one signal that tells, nothing ranks right above wrong out of sample, and
    # the best decision is to abstain on all; with it, every decision out of fold is right.
    blind = cross_validated(rows, 0.1, ("p_yes", "copied"))
    assert blind["auc"] == pytest.approx(0.5) and blind["utility"] == 0.0
    assert blind["wrong"] == 0 and blind["abstained"] == 20
    seeing = cross_validated(rows, 0.1)
    assert seeing["auc"] == pytest.approx(1.0) and seeing["utility"] == 20.0
    assert seeing == {**seeing, "right": 40, "wrong": 0, "abstained": 0}


def test_the_command_refuses_an_unknown_signal(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["somewhere", "--fit", "--features", "p_yes,vibes"])
    assert "no such signal: vibes" in capsys.readouterr().err


def test_the_command_reads_heldout_folders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(calibrate, "WEIGHTS", W)
    (tmp_path / "choose" / "devset").mkdir(parents=True)
    (tmp_path / "choose" / "devset" / "results.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in RECORDS)
    )
    assert main([str(tmp_path / "choose"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["threshold"] == pytest.approx(0.9)
    assert main([str(tmp_path / "missing")]) == 1
