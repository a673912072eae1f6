"""What an evaluation leaves behind: summary.json, report.md, the plots, and the printed table."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .metrics import MRR_CUTOFF, hit_cutoffs, retrieval_depth, summarize, summarize_by_language
from .plots import HIT_CURVE, LATENCY, write_plots

RESULTS = "results.jsonl"
SUMMARY = "summary.json"
REPORT = "report.md"
WORST = 15

Record = dict[str, Any]


def build_summary(
    records: Sequence[Record],
    *,
    k: int,
    retrieval_only: bool,
    total: int,
    interrupted: bool,
    seconds: float,
    info: dict[str, Any],
) -> dict[str, Any]:
    return {
        **info,
        "k": k,
        "retrieval_only": retrieval_only,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "seconds": round(seconds, 2),
        "questions": total,
        "evaluated": len(records),
        "interrupted": interrupted,
        "overall": summarize(records),
        "by_language": summarize_by_language(records),
        "hit_curve": hit_curve(records, retrieval_depth(k)),
    }


def hit_curve(records: Sequence[Record], depth: int) -> dict[str, list[float]]:
    """hit@1..hit@depth, overall and per language, from each question's gold rank."""
    judged = [r for r in records if r["metrics"].get("hit@1") is not None]
    if not judged:
        return {}
    groups = {"all": judged}
    for language in sorted({r["language"] for r in judged}):
        groups[language] = [r for r in judged if r["language"] == language]
    curve = {}
    for name, group in groups.items():
        ranks = [r["gold_rank"] for r in group]
        curve[name] = [
            round(sum(1 for rank in ranks if rank is not None and rank <= cut) / len(ranks), 4)
            for cut in range(1, depth + 1)
        ]
    return curve


def write_outputs(out_dir: Path, summary: dict[str, Any], records: Sequence[Record]) -> None:
    """summary.json, report.md and the plots (results.jsonl is written as the run goes)."""
    summary["plots"] = [p.name for p in write_plots(out_dir, summary, records)]
    text = json.dumps(summary, ensure_ascii=False, indent=2) + "\n"
    (out_dir / SUMMARY).write_text(text, encoding="utf-8")
    (out_dir / REPORT).write_text(render_report(summary, records), encoding="utf-8")


# --- tables -----------------------------------------------------------------------------------


def metric_rows(summary: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """(label, one cell per group) for the headline metrics; groups are all, then languages."""
    groups = [summary["overall"], *summary["by_language"].values()]
    rows: list[tuple[str, list[str]]] = [("questions", [str(g["questions"]) for g in groups])]
    names = [f"hit@{c}" for c in hit_cutoffs(summary["k"])] + [f"mrr@{MRR_CUTOFF}"]
    if not summary["retrieval_only"]:
        names += ["em", "f1", "contains", "key_match", "correct"]
    for name in names:
        rows.append((name, [_cell(g["metrics"].get(name)) for g in groups]))
    if not summary["retrieval_only"]:
        for part in ("precision", "recall"):
            rows.append((f"abstention {part}", [
                _number((g["abstention"] or {}).get(part)) for g in groups
            ]))  # fmt: skip
    stages = ("retrieve",) if summary["retrieval_only"] else ("retrieve", "generate", "total")
    for stage in stages:  # retrieval-only runs: total is the retrieval time
        for q in ("p50", "p90"):
            values = [g["latency"][stage][q] for g in groups]
            if any(v is not None for v in values):
                rows.append((f"{stage} {q} (s)", [_number(v, 3) for v in values]))
    return rows


def format_summary(summary: dict[str, Any]) -> str:
    """The table printed at the end of a run."""
    headers = ["all", *summary["by_language"]]
    rows = metric_rows(summary)
    width = max(len(label) for label, _ in rows) + 2
    mode = "retrieval only" if summary["retrieval_only"] else "answers"
    state = " (INTERRUPTED)" if summary["interrupted"] else ""
    lines = [
        f"{summary.get('dataset', 'evaluation')}: {summary['evaluated']} of {summary['questions']} "
        f"questions, k={summary['k']}, {mode}, {summary['seconds']:.1f} s{state}",
        "".ljust(width) + "".join(h.rjust(9) for h in headers),
    ]
    lines += [label.ljust(width) + "".join(c.rjust(9) for c in cells) for label, cells in rows]
    if summary["overall"]["errors"]:
        lines.append(f"{summary['overall']['errors']} question(s) failed; see results.jsonl")
    return "\n".join(lines)


def render_report(summary: dict[str, Any], records: Sequence[Record]) -> str:
    headers = ["metric", "all", *summary["by_language"]]
    out = [f"# Evaluation: {summary.get('dataset', '')}", ""]
    if summary["interrupted"]:
        out += [f"**Interrupted**: {summary['evaluated']} of {summary['questions']} questions "
                "were evaluated; every figure covers those only.", ""]  # fmt: skip
    out += [
        f"- file: `{summary.get('qa_file')}` ({summary.get('format')}), "
        f"index: `{summary.get('index')}`",
        f"- embedder: `{summary.get('embedder')}`, generator: `{summary.get('generator')}`",
        f"- k = {summary['k']}, {'retrieval only' if summary['retrieval_only'] else 'answers'}, "
        f"{summary['seconds']:.1f} s, finished {summary['finished_at']}",
        "", "## Metrics", "",
        "Retrieval is judged on answerable questions with a gold source (rank of the first passage "
        "from it); answer metrics on answerable questions; abstention treats *should abstain* as "
        "the positive class.", "",
        _table(headers, [[label, *cells] for label, cells in metric_rows(summary)]),
    ]  # fmt: skip
    plots = summary.get("plots", [])  # absent without matplotlib
    if HIT_CURVE in plots:
        out += ["", f"![hit@k curve]({HIT_CURVE})"]
    if LATENCY in plots:
        out += ["", f"![latency histogram]({LATENCY})"]
    abstention = summary["overall"]["abstention"]
    if abstention:
        out += ["", "## Abstention", "", _table(
            ["", "abstained", "answered"],
            [["unanswerable", str(abstention["tp"]), str(abstention["fn"])],
             ["answerable", str(abstention["fp"]), str(abstention["tn"])]],
        )]  # fmt: skip
    out += ["", "## Worst failures", ""]
    failures = worst_failures(records)
    out += [_failure(r) for r in failures] or ["None."]
    if summary.get("skipped_input"):
        out += ["", "## Skipped input", "", *[f"- {p}" for p in summary["skipped_input"]]]
    return "\n".join(out) + "\n"


def worst_failures(records: Sequence[Record], limit: int = WORST) -> list[Record]:
    """Errors first, then wrong answers (lowest F1, gold ranked worst), then retrieval misses."""

    def badness(record: Record) -> tuple[float, ...]:
        metrics = record["metrics"]
        rank = record["gold_rank"] or 1000
        return (-1.0 if record["error"] else 0.0, metrics.get("correct", 0.0) or 0.0,
                metrics.get("f1") or 0.0, -rank)  # fmt: skip

    def failed(record: Record) -> bool:
        metrics = record["metrics"]
        if record["error"]:
            return True
        if metrics.get("correct") is not None:
            return metrics["correct"] < 1
        return metrics.get("hit@1") == 0.0  # retrieval only: the gold passage was not first

    return sorted((r for r in records if failed(r)), key=badness)[:limit]


def _failure(record: Record) -> str:
    gold = record["gold"]
    lines = [f"- **{record['id']}** [{record['language']}] {record['question']}"]
    if gold["unanswerable"]:
        lines.append("  - expected: an abstention (unanswerable)")
    else:
        expected = " / ".join(gold["answers"] or gold["keys"]) or "-"
        lines.append(f"  - expected: {expected} (source `{gold['source']}`, "
                     f"gold rank {record['gold_rank'] or 'not retrieved'})")  # fmt: skip
    top = ", ".join(r["doc_id"] for r in record["retrieved"][:3]) or "-"
    lines.append(f"  - retrieved: {top}")
    if record["error"]:
        lines.append(f"  - error: {record['error']}")
    elif record["answer"] is not None:
        said = " ".join(record["answer"].split())
        lines.append(f"  - answer{' (abstained)' if record['abstained'] else ''}: {said[:300]}")
        if not gold["unanswerable"]:
            lines.append(f"  - f1 {_number(record['metrics'].get('f1'))}, "
                         f"keys {_number(record['metrics'].get('key_match'))}")  # fmt: skip
    return "\n".join(lines)


def _table(headers: list[str], rows: list[list[str]]) -> str:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(headers), "|" + "---|" * len(headers), *(line(r) for r in rows)])


def _cell(metric: dict[str, Any] | None) -> str:
    return _number(metric["mean"]) if metric else "-"


def _number(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"
