"""Whether to give the answer: the reader's own probability and what the answer shows, weighed
by weights fitted on held-out data, against one threshold.

The reader is asked "Do the passages state the answer to this question? Reply Yes or No." after
the same passages and question it answers from; its probability of "Yes" is one signal. One
forward pass over a prompt that shares all but its last line with the answer's, so a backend
with a prefix cache pays for the passages once. The others are measured on the answer
(``signals``). The confidence is a logistic combination of them, its weights fitted on the
choose half and its threshold (``answer_threshold``) chosen there, as SQuAD 2.0 readers compare
a no-answer score with one threshold tuned on held-out data (``eval.calibrate --fit``).

Compromise: OpenVINO GenAI reports the probability of the top token only. When the top token
is "Yes" that is P(yes); when it is anything else ("No", "NOT_FOUND"), P(yes) is at most the
rest, 1 - P(top), which is taken as the estimate: the same ordering of questions, a little
optimistic about those the reader doubts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from rag.generation.base import FirstToken, Generator
from rag.types import Passage

from .prompting import verdict_messages
from .signals import Signals, logit

_YES = ("yes", "có")
FEATURES = tuple(f.name for f in fields(Signals))  # what the weights weigh, in their order


@dataclass(frozen=True)
class Weights:
    """The logistic combination: ``bias`` + each weight times its signal as ``features``
    gives it."""

    bias: float = 0.0
    p_yes: float = 1.0
    relevance: float = 0.0
    asked_other: float = 0.0
    copied: float = 0.0
    adds: float = 0.0
    reply_p: float = 0.0
    cross_lingual: float = 0.0

    def score(self, signals: Signals) -> float:
        """The confidence that the answer is right, from its signals."""
        weighed = zip(FEATURES, features(signals), strict=True)
        return _sigmoid(self.bias + sum(getattr(self, n) * x for n, x in weighed))

    def best_possible(self, p_yes: float, relevance: float, cross_lingual: float = 0.0) -> float:
        """The highest confidence any answer could reach, before it is written: the signals
        known then as they are, each of the others at whichever end of its range counts most."""
        signals = Signals(p_yes, min(max(relevance, 0.0), 1.0), cross_lingual=cross_lingual)
        weighed = zip(FEATURES, features(signals), strict=True)
        known = sum(getattr(self, n) * x for n, x in weighed if n not in _ANSWER_RANGES)
        later = sum(
            max(getattr(self, name) * low, getattr(self, name) * high)
            for name, (low, high) in _ANSWER_RANGES.items()
        )
        return _sigmoid(self.bias + known + later)


_FLOOR = 1e-4  # the least probability a log is taken of
# The features measured on the written answer, each with its range as ``features`` gives it.
_ANSWER_RANGES = {
    "asked_other": (0.0, 1.0),
    "copied": (0.0, 1.0),
    "adds": (0.0, 1.0),
    "reply_p": (math.log(_FLOOR), 0.0),
}
# Fitted by `python -m eval.calibrate CHOOSE --fit` on the choose half of eval.heldout (628
# questions, --per-set 150, OpenVINO int8 with the bf16 hint on an AMD EPYC with AVX-512).
# 5-fold cross-validated ROC AUC .828 with these seven signals; .811 without cross_lingual,
# .793 without reply_p and asked_other either; .753 with P(yes) alone. Reading across
# languages weighs up, not down: an English question over Vietnamese passages gets a lower
# P(yes) and similarity for the same right answer, and cross_lingual corrects that scale.
# Whether the asked year or province is named in the source sentence at all (rather than
# another instead) added nothing and was dropped. Refit when the reader, the prompt or a
# signal changes.
WEIGHTS = Weights(
    bias=-4.2322, p_yes=1.2388, relevance=2.4623, asked_other=-0.9738, copied=1.2955,
    adds=0.2355, reply_p=2.5926, cross_lingual=1.0397,
)  # fmt: skip


def yes_probability(first: FirstToken) -> float:
    """P("yes") from the reader's first token (see the compromise above)."""
    said_yes = first.text.strip().lower().startswith(_YES)
    p = min(max(first.probability, 0.0), 1.0)
    return p if said_yes else 1.0 - p


def verdict(generator: Generator, question: str, passages: list[Passage]) -> float:
    """The reader's P("yes") that ``passages`` state the answer to ``question``."""
    return yes_probability(generator.first_token(verdict_messages(question, passages)))


def features(signals: Signals) -> list[float]:
    """The signals as the logistic combination reads them (``FEATURES`` order): P(yes) as a
    logit, the reply's mean token probability as a log (its mean log-probability), the others
    as they are. ``eval.calibrate`` fits the weights on these."""
    return [_x(name, signals) for name in FEATURES]


def _x(name: str, signals: Signals) -> float:
    value = float(getattr(signals, name))
    if name == "p_yes":
        return logit(value)
    if name == "reply_p":  # the mean log-probability of the reply's tokens
        return math.log(max(value, _FLOOR))
    return value


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))
