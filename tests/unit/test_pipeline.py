"""The answer pipeline step by step (rag.answer.pipeline), with a fake reader whose P("yes") is
set: what runs, in which order, and what is decided at each threshold."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from embeddings.fake import HashingEmbedder
from rag.answer.judge import WEIGHTS, Weights
from rag.answer.pipeline import AnswerPipeline, Outcome
from rag.answer.prompting import ABSTENTION
from rag.assistant import Assistant
from rag.generation.fake import FakeGenerator
from rag.settings import Settings
from tests.streams import read_to_end
from tests.unit.test_ask import MOTTO, VI_QUESTION, settings_over_records


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return settings_over_records(tmp_path)


P_YES_ALONE = Weights()  # the confidence is the reader's P(yes)


def run(
    settings: Settings, generator: FakeGenerator, threshold: float, weights: Weights = P_YES_ALONE,
    asked: tuple[str, str] = (VI_QUESTION, "vi"),
) -> tuple[list[str], Outcome, AnswerPipeline]:  # fmt: skip
    """The pipeline on the passages retrieved for VI_QUESTION, asked ``asked`` (question,
    language): its streamed pieces, its outcome, and the pipeline."""
    assistant = Assistant.load(settings=settings, embedder=HashingEmbedder(), generator=generator)
    pipeline = assistant.pipeline()
    pipeline.params = replace(pipeline.params, threshold=threshold, weights=weights)
    pool, query = assistant.retriever.search(VI_QUESTION, settings.candidate_pool)
    pieces, outcome = read_to_end(pipeline.run(*asked, pool, query))
    return pieces, outcome, pipeline


@pytest.mark.parametrize(("p_yes", "threshold", "answers"), [
    (0.9, 0.5, True), (0.49, 0.5, False), (0.6, 0.7, False), (0.05, 0.0, True),
])  # fmt: skip
def test_the_judge_answers_only_at_or_above_the_threshold(
    settings: Settings, p_yes: float, threshold: float, answers: bool
) -> None:
    # With the weights of P(yes) alone, the confidence is the reader's P(yes).
    generator = FakeGenerator(replies=[f"{MOTTO} [1]"], yes_probabilities=[p_yes])
    pieces, outcome, _ = run(settings, generator, threshold)
    assert outcome.abstained is not answers
    assert outcome.confidence == pytest.approx(p_yes, abs=1e-3)
    # Below the threshold nothing is decoded: the verdict's one pass is all that ran.
    assert len(generator.calls) == (1 if answers else 0)
    assert len(generator.verdicts) == 1
    assert outcome.model_calls == pytest.approx(4 / 3 if answers else 1 / 3)
    assert bool(pieces) is answers
    if not answers:
        assert outcome.text == ABSTENTION["vi"] and outcome.closest and not outcome.citations
        assert outcome.reason is not None and outcome.reason.startswith("judge:")


def test_the_verdict_reads_what_the_answer_reads_but_its_last_line(settings: Settings) -> None:
    generator = FakeGenerator(replies=[f"{MOTTO} [1]"], yes_probabilities=[0.9])
    run(settings, generator, 0.0)
    verdict, answer = generator.verdicts[0][-1]["content"], generator.calls[0][-1]["content"]
    assert generator.verdicts[0][0] == generator.calls[0][0]  # the same rules
    shared = verdict.rsplit("\n", 1)[0]
    assert answer.startswith(shared) and shared.endswith(VI_QUESTION)
    assert verdict.endswith("Reply Yes or No.")


def test_a_written_answer_below_the_threshold_is_streamed_then_withdrawn(
    settings: Settings,
) -> None:
    # Sure enough to write (what the answer shows could lift it), not once it is written:
    # the answer adds nothing to the question and copies no key word.
    weights = Weights(bias=-3.0, p_yes=1.0, adds=4.0)
    generator = FakeGenerator(replies=[f"{VI_QUESTION[:-1]} [1]"], yes_probabilities=[0.9])
    pieces, outcome, _ = run(settings, generator, 0.5, weights)
    assert pieces  # it was written, as it was decoded
    assert outcome.abstained and outcome.text == ABSTENTION["vi"]
    assert outcome.signals["adds"] == 0.0 and outcome.confidence is not None
    assert outcome.confidence < 0.5 and outcome.model_calls == pytest.approx(4 / 3)


def test_the_signals_of_a_given_answer_are_kept(settings: Settings) -> None:
    generator = FakeGenerator(
        replies=[f"{MOTTO} [1]"], yes_probabilities=[0.95], reply_probabilities=[0.8]
    )
    _, outcome, _ = run(settings, generator, 0.0, WEIGHTS)
    assert not outcome.abstained
    assert set(outcome.signals) == {
        "p_yes", "relevance", "asked_other", "copied", "adds", "reply_p", "cross_lingual"
    }  # fmt: skip
    assert outcome.signals["copied"] == 1.0 and outcome.signals["asked_other"] == 0.0
    assert outcome.signals["reply_p"] == pytest.approx(0.8)  # the stream's own score


@pytest.mark.parametrize(("reply_p", "answers"), [(0.95, True), (0.3, False)])
def test_a_reply_the_reader_was_unsure_of_is_withdrawn(
    settings: Settings, reply_p: float, answers: bool
) -> None:
    # The same answer and P(yes); only how sure the reader was of each token it wrote differs.
    weights = Weights(bias=0.0, p_yes=0.0, reply_p=2.0)  # confidence = sigmoid(2 log reply_p)
    generator = FakeGenerator(
        replies=[f"{MOTTO} [1]"], yes_probabilities=[0.9], reply_probabilities=[reply_p]
    )
    pieces, outcome, _ = run(settings, generator, 0.45, weights)
    assert pieces  # the best possible reply could pass: it was written
    assert outcome.abstained is not answers
    assert outcome.confidence == pytest.approx(1 / (1 + reply_p**-2), abs=1e-3)


def test_the_shipped_weights_grow_with_every_signal_that_informs() -> None:
    low = WEIGHTS.score(replace_signals(p_yes=0.6))
    assert WEIGHTS.score(replace_signals(p_yes=0.95)) > low
    assert WEIGHTS.score(replace_signals(p_yes=0.6, relevance=0.9)) > low
    assert WEIGHTS.score(replace_signals(p_yes=0.6, copied=1.0)) > low
    assert WEIGHTS.score(replace_signals(p_yes=0.6, reply_p=0.99)) > low
    assert WEIGHTS.score(replace_signals(p_yes=0.6, asked_other=1.0)) < low  # another year's


def replace_signals(**changes: float):  # type: ignore[no-untyped-def]
    from rag.answer.signals import Signals

    default = Signals(p_yes=0.6, relevance=0.5, asked_other=0.0, copied=0.5, adds=1.0, reply_p=0.9)
    return replace(default, **changes)


def test_an_english_question_over_vietnamese_articles_is_read_across_languages(
    settings: Settings,
) -> None:
    english = ("What was the motto of the Ministry of Home Affairs in 2020?", "en")
    generator = FakeGenerator(replies=[f"{MOTTO} [1]"], yes_probabilities=[0.9])
    _, outcome, _ = run(settings, generator, 0.0, asked=english)
    assert outcome.signals["cross_lingual"] == 1.0
    _, vietnamese, _ = run(settings, FakeGenerator(replies=[f"{MOTTO} [1]"]), 0.0)
    assert vietnamese.signals["cross_lingual"] == 0.0
