"""The answer threshold, chosen on the choose half; what it gives on the report half.

    python -m eval.calibrate CHOOSE_DIR [--report REPORT_DIR] [--fit] [--features a,b]
                             [--cost 2] [--json]

Each DIR is an ``eval.heldout`` output folder run with ``RAG_ANSWER_THRESHOLD=0`` (every
question the gates let through is answered, and its record keeps the judge's ``signals``), so
any weights and threshold can be applied afterwards exactly as the assistant applies them:
below the threshold, the answer is an abstention. (An answer the assistant would not have
written, because no answer could have reached the threshold, is an abstention here too: the
same decision, taken earlier.)

``--fit`` first fits the judge's weights (``rag.answer.judge.Weights``) on the choose half: a
logistic regression of "answered right" on the signals, over the answers written (L2 penalty
``--l2``), on the signals ``--features`` names (all by default). Without it, the weights in
the code are used. Whether a signal earns its place: the 5-fold cross-validated AUC of a fit
with it against one without, and the utility of decisions taken out of fold
(``choose_cross_validated``).

The threshold maximises right answers minus ``--cost`` times the wrong ones on the choose half
(a confident wrong answer costs a reader more than "the articles do not say"; an abstention
counts for nothing); in the figures, right is a correct answer or an abstention on a question
the articles do not answer. Printed: the choice,
the ROC AUC of the confidence (answerable-and-right against the rest), the risk-coverage curve,
and per set and kind, the figures at the chosen threshold on each half.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from rag.answer.judge import FEATURES, WEIGHTS, Weights, features
from rag.answer.signals import Signals

from .report import RESULTS

Record = dict[str, Any]
UTILITY_SETS = ("devset", "unanswerable", "seed-hard", "xquad-vi", "xquad-en", "xquad-vi-absent",
                "xquad-en-absent")  # fmt: skip


def load(folder: Path, sets: tuple[str, ...] = UTILITY_SETS) -> dict[str, list[Record]]:
    """The records of each set evaluated in ``folder`` (errors left out)."""
    found = {}
    for name in sets:
        path = folder / name / RESULTS
        if path.is_file():
            rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
            found[name] = [r for r in rows if not r["error"] and r["abstained"] is not None]
    return found


def pooled(sets: dict[str, list[Record]]) -> list[Record]:
    """Every set's records, each question once (``seed-hard`` asks dev-set questions again)."""
    unique: dict[tuple[str, str], Record] = {}
    for records in sets.values():
        for r in records:
            unique.setdefault((r.get("language") or "", r["id"]), r)
    return list(unique.values())


def written(record: Record) -> bool:
    """Whether an answer was written and judged (not turned away, not the reader's NOT_FOUND)."""
    return set(FEATURES) <= set(record.get("signals") or {})


def confidence(record: Record, weights: Weights) -> float | None:
    """The judge's confidence in the record's answer under ``weights``; for a question the
    verdict alone stopped, the best any answer could have reached; None when no model judged."""
    signals = record.get("signals") or {}
    if written(record):
        return weights.score(_signals(record))
    if "p_yes" in signals:
        known = (signals.get("relevance", 0.0), signals.get("cross_lingual", 0.0))
        return weights.best_possible(signals["p_yes"], *known)
    return None


def answers(record: Record, threshold: float, weights: Weights) -> bool:
    """Whether the assistant gives an answer at ``threshold`` under ``weights``."""
    if not written(record) and record["abstained"]:
        return False  # turned away, or the reader said NOT_FOUND: no threshold changes that
    sure = confidence(record, weights)
    return sure is None or sure >= threshold


def outcome(record: Record, threshold: float, weights: Weights = WEIGHTS) -> str:
    """right / wrong / abstained (on an answerable question) at ``threshold``."""
    if record["gold"]["unanswerable"]:
        return "wrong" if answers(record, threshold, weights) else "right"
    if not answers(record, threshold, weights):
        return "abstained"
    return "right" if record["metrics"].get("correct") else "wrong"


def tally(records: list[Record], threshold: float, weights: Weights = WEIGHTS) -> dict[str, int]:
    counts = {"right": 0, "wrong": 0, "abstained": 0}
    for record in records:
        counts[outcome(record, threshold, weights)] += 1
    return counts


def utility(records: list[Record], threshold: float, cost: float, weights: Weights) -> float:
    """Right answers minus ``cost`` times the wrong ones; an abstention counts for nothing."""
    total = 0.0
    for record in records:
        result = outcome(record, threshold, weights)
        if result == "wrong":
            total -= cost
        elif result == "right" and not record["gold"]["unanswerable"]:  # not an abstention
            total += 1.0
    return total


def candidates(records: list[Record], weights: Weights = WEIGHTS) -> list[float]:
    """Every threshold that changes a decision: 0 and each confidence seen."""
    seen = {c for r in records if (c := confidence(r, weights)) is not None}
    return sorted({0.0, *seen})


def choose(records: list[Record], cost: float, weights: Weights = WEIGHTS) -> float:
    """The threshold with the best utility; of equals, the lowest (answer more). 1 (answer
    nothing) is a candidate too: where every answer costs more than it gains."""
    return max([*candidates(records, weights), 1.0],
               key=lambda t: (utility(records, t, cost, weights), -t))  # fmt: skip


def fit(records: list[Record], l2: float = 1.0, names: tuple[str, ...] = FEATURES) -> Weights:
    """Logistic regression of "answered right" on the signals ``names`` of the answers
    written; the other signals weigh nothing."""
    rows = [r for r in records if written(r)]
    if not rows:
        return WEIGHTS
    columns = [FEATURES.index(name) for name in names]
    x = np.array([[1.0, *np.take(features(_signals(r)), columns)] for r in rows])
    y = np.array([float(not r["gold"]["unanswerable"] and bool(r["metrics"].get("correct")))
                  for r in rows])  # fmt: skip
    w = np.zeros(x.shape[1])
    penalty = l2 * np.eye(x.shape[1])
    penalty[0, 0] = 0.0  # the bias is not shrunk
    for _ in range(100):  # Newton's method (IRLS); converges in a few steps
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        gradient = x.T @ (y - p) - penalty @ w
        hessian = x.T @ (x * (p * (1 - p))[:, None]) + penalty
        step = np.linalg.solve(hessian, gradient)
        w += step
        if np.abs(step).max() < 1e-8:
            break
    fitted = dict.fromkeys(FEATURES, 0.0) | {n: float(v) for n, v in zip(names, w[1:], strict=True)}
    return Weights(bias=float(w[0]), **fitted)


def cross_validated(
    records: list[Record], l2: float = 1.0, names: tuple[str, ...] = FEATURES,
    cost: float = 2.0, folds: int = 5,
) -> dict[str, Any]:  # fmt: skip
    """Every ``folds``-th question (by id, so the same folds every run) judged by weights fitted,
    and a threshold chosen, on the others: the ROC AUC, the utility and the outcomes of
    decisions made without the questions they decide, to compare signal sets on the choose
    half without tuning to it."""
    ordered = sorted(records, key=lambda r: (r.get("language") or "", r["id"]))
    scored: list[tuple[float, bool]] = []
    counts = {"right": 0, "wrong": 0, "abstained": 0}
    gained = 0.0
    for i in range(folds):
        held, rest = ordered[i::folds], [r for j, r in enumerate(ordered) if j % folds != i]
        weights = fit(rest, l2, names)
        threshold = choose(rest, cost, weights)
        scored += _scored(held, weights)
        gained += utility(held, threshold, cost, weights)
        for key, n in tally(held, threshold, weights).items():
            counts[key] += n
    return {"auc": _auc(scored), "utility": gained, **counts}


def _signals(record: Record) -> Signals:
    return Signals(**{name: record["signals"][name] for name in FEATURES})


def roc_auc(records: list[Record], weights: Weights = WEIGHTS) -> float | None:
    """How well the confidence ranks right answers above the rest (Mann-Whitney)."""
    return _auc(_scored(records, weights))


def _scored(records: list[Record], weights: Weights) -> list[tuple[float, bool]]:
    """Each judged record's confidence, and whether it is an answerable question answered right."""
    return [(c, outcome(r, 0.0, weights) == "right" and not r["gold"]["unanswerable"])
            for r in records if (c := confidence(r, weights)) is not None]  # fmt: skip


def _auc(scored: list[tuple[float, bool]]) -> float | None:
    good = [c for c, ok in scored if ok]
    bad = [c for c, ok in scored if not ok]
    if not good or not bad:
        return None
    wins = sum((g > b) + 0.5 * (g == b) for g in good for b in bad)
    return wins / (len(good) * len(bad))


def risk_coverage(records: list[Record], weights: Weights = WEIGHTS) -> list[dict[str, float]]:
    """At each threshold: the share of questions answered, and the share of those wrong."""
    rows = []
    for t in candidates(records, weights):
        answered = sum(answers(r, t, weights) for r in records)
        wrong = tally(records, t, weights)["wrong"]
        rows.append({"threshold": round(t, 4), "coverage": round(answered / len(records), 3),
                     "risk": round(wrong / answered, 3) if answered else 0.0})  # fmt: skip
    return rows


def figures(
    sets: dict[str, list[Record]], threshold: float, weights: Weights = WEIGHTS
) -> dict[str, dict[str, Any]]:
    """Per set, split by answerable and not (and hard negatives by kind): counts at
    ``threshold``, and the rate right (abstained on a negative; the keys or gold span held)."""
    out: dict[str, dict[str, Any]] = {}
    for name, records in sets.items():
        groups: dict[str, list[Record]] = {}
        for r in records:
            part = "absent" if r["gold"]["unanswerable"] else "answerable"
            groups.setdefault(f"{name}/{part}", []).append(r)
            if part == "absent" and "~" in r["id"]:  # a kind tag (eval.unanswerable.kind_of)
                groups.setdefault(f"{name}/absent~{r['id'].split('~')[-1]}", []).append(r)
        for key, group in sorted(groups.items()):
            counts = tally(group, threshold, weights)
            out[key] = {"n": len(group), **counts, "rate": round(counts["right"] / len(group), 3)}
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.calibrate", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("choose", type=Path, help="eval.heldout output of the choose half")
    p.add_argument("--report", type=Path, help="eval.heldout output of the report half")
    p.add_argument("--fit", action="store_true", help="fit the judge's weights first")
    p.add_argument("--l2", type=float, default=1.0, help="L2 penalty of the fit (default 1)")
    p.add_argument("--cost", type=float, default=2.0, help="a wrong answer costs this many right")
    p.add_argument(
        "--choose-on", type=lambda text: tuple(text.split(",")), default=UTILITY_SETS,
        help="the sets whose questions choose the threshold (default: all; the weights are "
        "fitted on all): the prior of answerable questions of the collection it is for",
    )  # fmt: skip
    p.add_argument(
        "--features", type=lambda text: tuple(text.split(",")), default=FEATURES,
        help=f"the signals --fit weighs (default: all of {','.join(FEATURES)}); the others "
        "weigh nothing: compare the cross-validated AUC with and without one",
    )  # fmt: skip
    p.add_argument("--json", action="store_true", help="print one JSON object")
    args = p.parse_args(argv)
    if unknown := set(args.features) - set(FEATURES):
        p.error(f"no such signal: {', '.join(sorted(unknown))} (known: {', '.join(FEATURES)})")
    chosen_sets = load(args.choose)
    chosen = pooled(chosen_sets)
    if not chosen:
        print(f"no results under {args.choose}", file=sys.stderr)
        return 1
    weights = fit(chosen, args.l2, args.features) if args.fit else WEIGHTS
    on = pooled({name: chosen_sets[name] for name in args.choose_on if name in chosen_sets})
    threshold = choose(on, args.cost, weights)
    result: dict[str, Any] = {
        "weights": {n: round(v, 4) for n, v in asdict(weights).items()},
        "threshold": round(threshold, 4), "cost": args.cost, "choose_n": len(chosen),
        "chosen_on": list(args.choose_on), "chosen_on_n": len(on),
        "auc_choose": roc_auc(chosen, weights),
        "choose_cross_validated": cross_validated(chosen, args.l2, args.features, args.cost),
        "choose": figures(chosen_sets, threshold, weights),
        "risk_coverage_choose": risk_coverage(chosen, weights),
    }  # fmt: skip
    if args.report:
        report_sets = load(args.report)
        report = pooled(report_sets)
        result.update(report_n=len(report), auc_report=roc_auc(report, weights),
                      report=figures(report_sets, threshold, weights),
                      report_answering_all=figures(report_sets, 0.0, weights),
                      risk_coverage_report=risk_coverage(report, weights))  # fmt: skip
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return 0
    print(f"weights {result['weights']}")
    print(f"threshold {threshold:.4f} (cost {args.cost:g}; chosen on {len(on)} of the "
          f"{len(chosen)} choose-half questions: {','.join(args.choose_on)})")  # fmt: skip
    print(f"ROC AUC choose {result['auc_choose']}" + (
        f", report {result['auc_report']}" if args.report else ""))  # fmt: skip
    print(
        f"cross-validated on the choose half, a fit of --features: "
        f"{result['choose_cross_validated']}"
    )
    for half in ("choose", "report_answering_all", "report"):
        for key, row in result.get(half, {}).items():
            print(f"{half:>20} {key:<32} {row}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
