"""Scoring one question, and summing up many.

Answer comparison follows SQuAD's normalisation (lower case, no punctuation, no English
articles, single spaces) after the product's own Vietnamese handling (NFC, one tone-mark
placement, numbers canonicalised), so ``hoà``/``hòa``, ``247.344``/``247344`` and
``10,01%``/``10.01`` compare equal. Scores against several gold answers take the best.

Every per-question value is ``None`` where it does not apply (no gold source, an unanswerable
question for answer metrics, retrieval-only runs for answer metrics), and averages skip those.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from rag.text import canonical_numbers, normalize

from .datasets import QAItem

MRR_CUTOFF = 10
STAGES = ("retrieve", "generate", "total")
_ARTICLES = re.compile(r"\b(?:a|an|the)\b")
# 1,783,174: two or more comma groups can only be English thousands (canonical_numbers reads
# a single comma the Vietnamese way, as a decimal mark).
_EN_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3}){2,}(?![\d,])")
_DECIMAL_POINT = re.compile(r"(?<=\d)\.(?=\d)")
# "4, 800": a model's spacing of 4.800 (one figure, as rag.answer.snapping reads it).
_SPACED_GROUP = re.compile(r"(?<![\d.,])(\d{1,3})([.,]) (\d{3})(?![\d])")
_KEEP = "\x00"  # stands in for a decimal point while punctuation is removed


# --- answers ----------------------------------------------------------------------------------


def normalize_answer(text: str) -> str:
    """The form answers are compared in: ``"Hoà  247.344, the 10,01%"`` -> ``"hòa 247344 10.01"``
    (and ``"4, 800"``, a model's spacing of 4.800, -> ``"4800"``).

    Punctuation becomes a space rather than vanishing (SQuAD drops it), so that ``2016-2020``
    and ``2016 – 2020`` agree.
    """
    text = normalize(text)
    text = _SPACED_GROUP.sub(r"\1\3", text)
    text = _EN_THOUSANDS.sub(lambda m: m.group(0).replace(",", ""), text)
    text = canonical_numbers(text).lower()
    text = _DECIMAL_POINT.sub(_KEEP, text)
    text = "".join(" " if unicodedata.category(ch)[0] in "PS" else ch for ch in text)
    text = _ARTICLES.sub(" ", text.replace(_KEEP, "."))
    return " ".join(text.split())


def exact_match(prediction: str, golds: Sequence[str]) -> float | None:
    if not golds:
        return None
    predicted = normalize_answer(prediction)
    return max(float(predicted == normalize_answer(gold)) for gold in golds)


def token_f1(prediction: str, golds: Sequence[str]) -> float | None:
    """SQuAD token F1 (Vietnamese tokens are syllables), best over the gold answers."""
    if not golds:
        return None
    return max(
        _f1(normalize_answer(prediction).split(), normalize_answer(g).split()) for g in golds
    )


def _f1(predicted: list[str], gold: list[str]) -> float:
    if not predicted or not gold:
        return float(predicted == gold)
    same = sum((Counter(predicted) & Counter(gold)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(predicted), same / len(gold)
    return 2 * precision * recall / (precision + recall)


def contains_answer(prediction: str, golds: Sequence[str]) -> float | None:
    """1 if some gold answer appears, as whole words, in the (usually longer) generated text."""
    if not golds:
        return None
    text = normalize_answer(prediction)
    return max(float(_holds(text, normalize_answer(gold))) for gold in golds)


def key_match(text: str, keys: Sequence[str]) -> float | None:
    """1 if every key appears in ``text`` as whole words; ``a|b`` accepts either spelling."""
    if not keys:
        return None
    normalized = normalize_answer(text)
    return float(
        all(
            any(_holds(normalized, normalize_answer(alt)) for alt in key.split("|") if alt.strip())
            for key in keys
        )
    )


def _holds(text: str, part: str) -> bool:
    return bool(part) and f" {part} " in f" {text} "


# --- retrieval --------------------------------------------------------------------------------


def gold_rank(retrieved: Sequence[str], gold: str | None) -> int | None:
    """1-based rank of the first retrieved passage from the gold document, or None."""
    if gold is None:
        return None
    return next((rank for rank, doc_id in enumerate(retrieved, start=1) if doc_id == gold), None)


def hit_at(rank: int | None, k: int) -> float:
    return float(rank is not None and rank <= k)


def reciprocal_rank(rank: int | None, cutoff: int = MRR_CUTOFF) -> float:
    return 1.0 / rank if rank is not None and rank <= cutoff else 0.0


def hit_cutoffs(k: int) -> list[int]:
    return sorted({1, 3, 5, k})


def retrieval_depth(k: int) -> int:
    """How many passages to fetch so that hit@k and MRR@10 can both be measured."""
    return max(k, MRR_CUTOFF)


# --- one question -----------------------------------------------------------------------------


def score_question(
    item: QAItem,
    retrieved: Sequence[str],
    k: int,
    answer: str | None = None,
    abstained: bool | None = None,
) -> dict[str, float | None]:
    """Every metric for one question. ``answer`` is None in retrieval-only runs."""
    scores: dict[str, float | None] = {}
    # Retrieval is judged on answerable questions with a known gold document only.
    judged = item.source is not None and not item.unanswerable
    rank = gold_rank(retrieved, item.source) if judged else None
    for cut in hit_cutoffs(k):
        scores[f"hit@{cut}"] = hit_at(rank, cut) if judged else None
    scores[f"mrr@{MRR_CUTOFF}"] = reciprocal_rank(rank) if judged else None
    if answer is None:
        return scores
    said = "" if abstained else answer  # an abstention offers no answer text
    answerable = not item.unanswerable
    scores["em"] = exact_match(said, item.answers) if answerable else None
    scores["f1"] = token_f1(said, item.answers) if answerable else None
    scores["contains"] = contains_answer(said, item.answers) if answerable else None
    scores["key_match"] = key_match(said, item.keys) if answerable else None
    scores["abstained"] = float(bool(abstained))
    scores["correct"] = _correct(item, scores, bool(abstained))
    return scores


def _correct(item: QAItem, scores: dict[str, float | None], abstained: bool) -> float | None:
    """Right or wrong overall: abstain when unanswerable; otherwise hold the keys (or an answer)."""
    if item.unanswerable:
        return float(abstained)
    verdict = scores["key_match"] if item.keys else scores["contains"]
    return None if verdict is None else float(verdict and not abstained)


# --- many questions ---------------------------------------------------------------------------


def mean(values: Iterable[float | None]) -> dict[str, float | int | None]:
    """Mean of the values that apply, and how many did."""
    present = [v for v in values if v is not None]
    return {"mean": sum(present) / len(present) if present else None, "n": len(present)}


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th quantile (0..1), interpolating linearly between order statistics."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)  # timings are recorded to 0.1 ms


def abstention_scores(pairs: Iterable[tuple[bool, bool]]) -> dict[str, Any]:
    """Precision and recall of abstaining, from (should abstain, did abstain) pairs.

    The positive class is "should abstain" (the question is unanswerable).
    """
    counts = Counter((should, did) for should, did in pairs)
    tp, fp = counts[(True, True)], counts[(False, True)]
    fn, tn = counts[(True, False)], counts[(False, False)]
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = None
    if precision is not None and recall is not None and precision + recall:
        f1 = 2 * precision * recall / (precision + recall)
    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn,
            "precision": precision, "recall": recall, "f1": f1}  # fmt: skip


def latency(records: Sequence[dict[str, Any]]) -> dict[str, dict[str, float | int | None]]:
    """p50/p90/mean/max seconds per stage over the questions that went through it."""
    summary = {}
    for stage in STAGES:
        values = [r["timings"][stage] for r in records if stage in (r.get("timings") or {})]
        if stage == "generate":  # abstentions decided before generating never ran the model
            values = [v for v in values if v > 0]
        summary[stage] = {
            "p50": _round(percentile(values, 0.5)), "p90": _round(percentile(values, 0.9)),
            "mean": _round(sum(values) / len(values)) if values else None,
            "max": max(values) if values else None, "n": len(values),
        }  # fmt: skip
    return summary


def summarize(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Metrics of one group of result records (see runner.evaluate_item for their shape)."""
    scored = [r for r in records if not r.get("error")]
    names = list(dict.fromkeys(name for r in scored for name in r["metrics"]))
    answered = [r for r in scored if r.get("abstained") is not None]
    return {
        "questions": len(records),
        "errors": len(records) - len(scored),
        "metrics": {name: mean(r["metrics"].get(name) for r in scored) for name in names},
        "abstention": abstention_scores(
            (r["gold"]["unanswerable"], bool(r["abstained"])) for r in answered
        ) if answered else None,
        "latency": latency(scored),
    }  # fmt: skip


def summarize_by_language(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    languages = sorted({r["language"] for r in records})
    return {lang: summarize([r for r in records if r["language"] == lang]) for lang in languages}
