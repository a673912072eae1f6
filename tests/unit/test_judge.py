"""The reader's verdict read as P("yes") (rag.answer.judge)."""

from __future__ import annotations

import pytest

from rag.answer.judge import verdict as confidence
from rag.answer.judge import yes_probability
from rag.generation.base import FirstToken
from rag.generation.fake import FakeGenerator
from rag.types import Passage


@pytest.mark.parametrize(
    ("first", "p_yes"),
    [
        (FirstToken("Yes", 0.93), 0.93),
        (FirstToken(" yes", 0.6), 0.6),
        (FirstToken("No", 0.8), 0.2),  # P(yes) is at most what "No" leaves
        (FirstToken("NOT", 0.9), 0.1),
        (FirstToken("Yes", 1.2), 1.0),  # rounding past 1 is clipped
    ],
)
def test_yes_probability_from_the_top_token(first: FirstToken, p_yes: float) -> None:
    assert yes_probability(first) == pytest.approx(p_yes)


def test_confidence_asks_the_generator_once_with_the_verdict_prompt() -> None:
    generator = FakeGenerator(yes_probabilities=[0.25])
    passage = Passage("a", "T", None, "Biên chế năm 2021 là 247.344 người.", 0.9, 0, 10)
    assert confidence(generator, "Biên chế năm 2021?", [passage]) == pytest.approx(0.25)
    (messages,) = generator.verdicts
    assert messages[-1]["content"].endswith("Reply Yes or No.")
    assert generator.calls == []  # nothing was streamed
