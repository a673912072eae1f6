"""The held-out evaluation's figures against their targets: the table, targets.json/.md."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .unanswerable import kind_of

TARGETS_JSON = "targets.json"
TARGETS_MD = "targets.md"


@dataclass(frozen=True)
class Target:
    set: str
    label: str
    metric: str  # a metric of summary["overall"]["metrics"], or "precision"/"recall"
    at_least: bool  # True: the figure should be >= bound; False: <= bound
    bound: float


# The targets ("Answers that hold on questions nobody here wrote").
TARGETS = (
    Target("xquad-vi", "gold span in answer", "contains", True, 0.75),
    Target("xquad-vi", "abstained (answerable)", "abstained", False, 0.05),
    Target("xquad-en", "gold span in answer", "contains", True, 0.60),
    Target("xquad-en", "abstained (answerable)", "abstained", False, 0.05),
    Target("abstention", "abstention precision", "precision", True, 0.90),
    Target("abstention", "abstention recall", "recall", True, 0.90),
    Target("devset", "correct", "correct", True, 0.85),
    # Hard negatives: the same XQuAD questions with their own paragraph left out.
    Target("xquad-vi-absent", "hard negatives abstained on", "abstained", True, 0.90),
    Target("xquad-en-absent", "hard negatives abstained on", "abstained", True, 0.90),
)


@dataclass(frozen=True)
class Figure:
    set: str
    label: str
    value: float | None
    n: int
    target: str  # "≥ 0.75", or "" for figures shown for information
    met: bool | None


def figures(
    summaries: dict[str, dict[str, Any]], unanswerable: Sequence[dict[str, Any]]
) -> list[Figure]:
    """One row per target whose set was evaluated, then recall per kind of constructed question."""
    rows: list[Figure] = []
    for target in TARGETS:
        summary = summaries.get(target.set)
        if summary is None:
            continue
        value, n = _value(summary, target.metric)
        met = None if value is None else _meets(value, target)
        sign = "≥" if target.at_least else "≤"
        rows.append(Figure(target.set, target.label, value, n, f"{sign} {target.bound:.2f}", met))
    for kind in sorted({kind_of(r["id"]) for r in unanswerable}):
        done = [r for r in unanswerable if kind_of(r["id"]) == kind and not r["error"]]
        value = sum(bool(r["abstained"]) for r in done) / len(done) if done else None
        rows.append(Figure("unanswerable", f"abstained: {kind}", value, len(done), "", None))
    return rows


def _meets(value: float, target: Target) -> bool:
    return value >= target.bound if target.at_least else value <= target.bound


def _value(summary: dict[str, Any], metric: str) -> tuple[float | None, int]:
    overall = summary["overall"]
    if metric in ("precision", "recall"):
        counts = overall["abstention"] or {}
        n = sum(counts.get(part, 0) for part in ("tp", "fp", "fn", "tn"))
        return counts.get(metric), n
    entry = overall["metrics"].get(metric) or {"mean": None, "n": 0}
    return entry["mean"], entry["n"]


def format_targets(
    rows: Sequence[Figure], half: str, per_set: int | None, interrupted: bool
) -> str:
    """Markdown table of the figures, headed by what was run."""
    scope = f"a seeded sample of {per_set} per set" if per_set else "every question"
    head = f"Held-out evaluation, half `{half}`, {scope}{' (INTERRUPTED)' if interrupted else ''}"
    lines = [head, "", "| set | figure | value | n | target | met |", "|---|---|---|---|---|---|"]
    for row in rows:
        value = "-" if row.value is None else f"{row.value:.3f}"
        met = {True: "yes", False: "NO", None: ""}[row.met]
        lines.append(f"| {row.set} | {row.label} | {value} | {row.n} | {row.target} | {met} |")
    return "\n".join(lines)


def write_targets(out: Path, rows: Sequence[Figure], table: str, info: dict[str, Any]) -> None:
    """targets.json (figures and what produced them) and targets.md, each written then renamed."""
    out.mkdir(parents=True, exist_ok=True)
    document = {**info, "commit": _commit(), "figures": [asdict(row) for row in rows]}
    _write(out / TARGETS_JSON, json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    _write(out / TARGETS_MD, table + "\n")


def _write(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def _commit() -> str | None:
    """The checked-out commit, so that a figure can be traced to the code that produced it."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5,
            cwd=Path(__file__).resolve().parent, check=True,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None
