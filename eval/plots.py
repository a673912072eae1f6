"""PNG plots of a run: the hit@k curve and the latency histogram.

Figures are drawn on matplotlib's Agg canvas directly (no pyplot), so nothing depends on a
display or on global pyplot state. matplotlib is the optional ``eval`` extra: without it the
plots are skipped with a warning and everything else is still written.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .metrics import percentile

log = logging.getLogger(__name__)

HIT_CURVE = "hit_at_k.png"
LATENCY = "latency.png"


def write_plots(
    out_dir: Path, summary: dict[str, Any], records: Sequence[dict[str, Any]]
) -> list[Path]:
    """Draw what the run has data for; returns the files written."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        log.warning("matplotlib is not installed (pip install 'newsrag[eval]'): no plots")
        return []
    written = []
    if summary.get("hit_curve"):
        figure = Figure(figsize=(6, 4), dpi=100)
        axes = figure.add_subplot()
        for name, values in summary["hit_curve"].items():
            axes.plot(range(1, len(values) + 1), values, marker="o", label=name)
        axes.set(xlabel="k (passages retrieved)", ylabel="hit@k", ylim=(0, 1.02),
                 title=f"hit@k — {summary.get('dataset', '')}")  # fmt: skip
        axes.set_xticks(range(1, len(next(iter(summary["hit_curve"].values()))) + 1))
        axes.axvline(summary["k"], color="grey", linestyle=":", linewidth=1)
        axes.grid(alpha=0.3)
        axes.legend()
        written.append(_save(FigureCanvasAgg(figure), out_dir / HIT_CURVE))
    timed = [r for r in records if r.get("timings")]
    # Retrieval-only runs have total == retrieve; generate 0 means the model never ran.
    stages = ("retrieve",) if summary.get("retrieval_only") else ("retrieve", "generate", "total")
    series = {}
    for stage in stages:
        values = [r["timings"][stage] for r in timed if stage in r["timings"]]
        series[stage] = [v for v in values if v > 0] if stage == "generate" else values
    series = {stage: values for stage, values in series.items() if values}
    if series:
        # One panel per stage: generation takes seconds, retrieval milliseconds.
        figure = Figure(figsize=(6, 2.2 * len(series)), dpi=100)
        for row, (stage, values) in enumerate(series.items(), start=1):
            axes = figure.add_subplot(len(series), 1, row)
            axes.hist(values, bins=min(30, max(5, len(values) // 3)), color=f"C{row - 1}")
            axes.set(ylabel="questions", title=f"{stage} — p50 {percentile(values, 0.5):.3f} s")
        axes.set(xlabel="seconds per question")
        written.append(_save(FigureCanvasAgg(figure), out_dir / LATENCY))
    return written


def _save(canvas: Any, path: Path) -> Path:
    canvas.figure.tight_layout()
    canvas.print_png(str(path))
    return path
