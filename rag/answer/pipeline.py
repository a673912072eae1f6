"""The answer room's one entry: question and retrieved passages in, an answer stream out.

The steps, in the order they run (``AnswerPipeline.run``):

1. **gate** (``context.evidence_gap``): nothing retrieved is about the question, or it names a
   year or province no related passage names. No model runs.
2. **read** (``context``, ``focus``, ``instructions``): the passages the reader gets, merged,
   cut to the sentences closest to the question, without sentences addressed to a model.
3. **ask the reader** (``judge.verdict``): its P("yes") that the passages state the answer;
   when no answer could lift the confidence to ``AnswerParams.threshold``, the answer is an
   abstention and nothing is decoded.
4. **write**: the answer streamed as it is decoded (a NOT_FOUND reply is the reader's own
   abstention, held back while it could still be one; on the choose half it stopped 59
   questions the articles do not answer and 36 answerable ones).
5. **cite and snap** (``reply``, ``snapping``): citations checked and renumbered, figures, quotes
   and the lead copied from the cited passages' own characters.
6. **judge** (``signals``, ``judge.Weights``): the confidence, from the reader's P("yes"), how
   sure it was of the reply it wrote, and what the answer shows; below the threshold the
   answer is an abstention.

An abstention is "the articles do not say", in the question's language, with the passages that
came closest, for the reader to check.
"""

from __future__ import annotations

from collections.abc import Generator as PieceGenerator
from dataclasses import dataclass, field

import numpy as np

from rag.generation.base import ChatMessage, Generator, ReplyScore, observed
from rag.index.collection import Index
from rag.settings import Settings
from rag.types import Passage

from .context import evidence_gap, select_context
from .focus import SentenceSource, focus_context
from .instructions import screened
from .judge import WEIGHTS, Weights, verdict
from .markup import without_citations
from .prompting import ABSTENTION, build_messages
from .reply import hold_back_marker, parse_reply
from .signals import cross_lingual, signals_of
from .snapping import snapped


@dataclass(frozen=True)
class AnswerParams:
    """What the answer room needs of the settings, and nothing else."""

    threshold: float
    min_relevance: float
    context_passages: int
    context_chars: int
    focus_chars: int
    focus_neighbours: int
    screen_instructions: bool
    max_new_tokens: int
    timeout_s: float
    weights: Weights = WEIGHTS

    @classmethod
    def from_settings(cls, settings: Settings) -> AnswerParams:
        return cls(
            threshold=settings.answer_threshold, min_relevance=settings.min_relevance,
            context_passages=settings.context_passages, context_chars=settings.context_chars,
            focus_chars=settings.focus_chars, focus_neighbours=settings.focus_neighbours,
            screen_instructions=settings.screen_instructions,
            max_new_tokens=settings.max_new_tokens, timeout_s=settings.generation_timeout_s,
        )  # fmt: skip


@dataclass(frozen=True)
class Outcome:
    """What the pipeline decided: the text, its sources, and why it abstained if it did."""

    text: str
    abstained: bool
    citations: list[Passage] = field(default_factory=list)
    closest: list[Passage] = field(default_factory=list)  # with an abstention
    confidence: float | None = None  # the judge's; None when no model was asked
    signals: dict[str, float] = field(default_factory=dict)  # what the judge weighed
    reason: str | None = None  # why it abstained
    model_calls: float = 0.0  # a judge's prefill-only pass counts a third of a call


class AnswerPipeline:
    def __init__(
        self, generator: Generator, index: Index, sentences: SentenceSource, params: AnswerParams
    ) -> None:
        self.generator = generator
        self.index = index
        self.sentences = sentences
        self.params = params

    def run(
        self, question: str, language: str, pool: list[Passage], query: np.ndarray
    ) -> PieceGenerator[str, None, Outcome]:
        """The answer to ``question`` from the retrieved ``pool`` (best first), its pieces
        streamed as they are decoded; the ``Outcome`` is the generator's return value."""
        p = self.params
        closest = [x for x in pool if x.score >= p.min_relevance][: p.context_passages]
        if gap := evidence_gap(question, pool, p.min_relevance):
            return self._abstain(language, closest, f"gate: {gap}")
        context = self.context(pool, query)
        if not context:
            return self._abstain(language, closest, "gate: no passage is left to read")
        p_yes = verdict(self.generator, question, context)
        relevance = max(x.score for x in pool)
        across = cross_lingual(language, context)
        best = p.weights.best_possible(p_yes, relevance, across)
        if best < p.threshold:
            known = {"p_yes": round(p_yes, 4), "relevance": relevance, "cross_lingual": across}
            return self._abstain(
                language, closest, f"judge: at most {best:.3f}", best, 1 / 3, known
            )
        pieces: list[str] = []
        scores: list[ReplyScore | None] = []
        messages = build_messages(question, context, language)
        yield from hold_back_marker(self._write(messages, pieces, scores))
        reply = parse_reply("".join(pieces), len(context))
        if reply.not_found or not without_citations(reply.text).strip():  # nothing said
            return self._abstain(language, closest, "reader: NOT_FOUND", None, 1 / 3 + 1)
        text, cited = reply.text, [context[i] for i in reply.cited]
        if not cited:  # cite what it quotes: the passage sharing most of its words
            cited = self._holding(text, context)
            text = f"{text} [1]"
        text = snapped(text, [c.text for c in cited])
        sure_of_reply = scores[0].mean_probability if scores and scores[0] else 1.0
        signals = signals_of(question, text, cited, p_yes, relevance, sure_of_reply, across)
        sure = p.weights.score(signals)
        if sure < p.threshold:
            reason = f"judge: {sure:.3f}"
            return self._abstain(language, closest, reason, sure, 1 / 3 + 1, signals.as_dict())
        return Outcome(text, False, cited, confidence=sure, signals=signals.as_dict(),
                       model_calls=1 / 3 + 1)  # fmt: skip

    def context(self, pool: list[Passage], query: np.ndarray) -> list[Passage]:
        """Step 2: what the reader gets to read."""
        p = self.params
        context = select_context(pool, self.index, p.context_passages, p.context_chars)
        if p.focus_chars:
            context = focus_context(
                context, query, self.sentences, p.focus_chars, p.focus_neighbours
            )
        return screened(context) if p.screen_instructions else context

    def _write(
        self, messages: list[ChatMessage], sink: list[str], scores: list[ReplyScore | None]
    ) -> PieceGenerator[str, None, None]:
        """Step 4: the reply's pieces, also kept in ``sink``; its score put in ``scores``."""
        p = self.params
        stream = self.generator.stream(messages, p.max_new_tokens, p.timeout_s)
        scores.append((yield from observed(stream, sink.append)))

    @staticmethod
    def _holding(text: str, context: list[Passage]) -> list[Passage]:
        """An uncited answer's sources: the passages sharing most of its words (the best one)."""
        words = set(text.casefold().split())
        best = max(context, key=lambda c: len(words & set(c.text.casefold().split())))
        return [best]

    @staticmethod
    def _abstain(
        language: str, closest: list[Passage], reason: str,
        sure: float | None = None, calls: float = 0.0, signals: dict[str, float] | None = None,
    ) -> Outcome:  # fmt: skip
        text = ABSTENTION.get(language, ABSTENTION["en"])
        return Outcome(text, True, closest=closest, confidence=sure, signals=signals or {},
                       reason=reason, model_calls=calls)  # fmt: skip
