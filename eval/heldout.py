"""Held-out evaluation: every figure the targets name, on one half of every set.

    python -m eval.heldout --half choose|report [--per-set N] [--seed S] [--out DIR]
        [--sets devset,unanswerable,seed-hard,xquad-vi,...] [--xquad-dir DIR] [--devset FILE]
        [--k 5]

Choose settings on ``--half choose``; report figures from ``--half report`` (``eval.splits``).
Seven question sets, each evaluated into ``OUT/<set>/`` (results.jsonl, summary.json, report.md):

- ``xquad-vi``, ``xquad-en``: XQuAD's questions in Vietnamese and English, open-book over an
  index of all 240 Vietnamese paragraphs (as in ``eval.xquad_benchmark``);
- ``devset``: the development set, over the default index of the seed articles;
- ``unanswerable``: questions built by ``eval.unanswerable`` (XQuAD asked of the seed articles;
  dev-set questions moved to a year or province no article covers), as many as the dev-set
  selection has answerable questions, half of each kind where there are enough. These are the
  easy negatives: the year, the province or the subject is in no article;
- ``seed-hard``: hard negatives about the seed articles (``eval.seed_hard``: a year, province
  or person the articles name, a fact they do not state for it), with as many answerable
  dev-set questions of the half, asked in the same run (1:1);
- ``xquad-vi-absent``, ``xquad-en-absent``: hard negatives from XQuAD (``eval.hard_negatives``):
  the questions of ``xquad-vi``/``xquad-en`` whose gold answers occur in no other paragraph,
  asked with their own paragraph left out of the collection (the rest of its article kept);
  their answerable counterparts, 1:1, are the same questions in ``xquad-vi``/``xquad-en``.

``OUT/abstention/`` mixes the ``unanswerable`` results with an equal number of the dev set's
answerable ones (the same runs, not asked again) for abstention precision and recall, when
both sets are evaluated (``--sets`` picks some). Each kind of negative is reported on its own
(``eval.heldout_table``).
``OUT/targets.json`` and ``targets.md`` hold the table printed at the end. ``--per-set N``
takes a seeded sample of N questions per set for quick runs. Models and settings come from the
usual ``RAG_*`` environment (``RAG_GENERATOR_BACKEND`` included; ``RAG_ARTICLES_DIR`` is the
seed collection, indexed and checked against). Ctrl-C keeps what was done.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from rag import Assistant, Settings
from rag.console import exit_status
from rag.generation.factory import engine_for
from rag.machine import load_profile
from rag.settings import BUNDLED_ARTICLES

from . import DEVSET
from .corpus import dataset_index, open_assistant
from .datasets import Dataset, QAItem, load_dataset, select_items
from .hard_negatives import WithoutTheirParagraphs, absent_items
from .heldout_table import figures, format_targets, write_targets
from .report import RESULTS, build_summary, format_summary, write_outputs
from .runner import DEFAULT_OUT, QASystem, evaluate
from .seed_hard import SEED_HARD, seed_hard_items
from .splits import HALVES, take_half
from .unanswerable import (
    Articles,
    kind_of,
    swapped_questions,
    xquad_items,
    xquad_on_seed,
)
from .xquad import XQUAD_DIR
from .xquad_benchmark import positive_int

Record = dict[str, Any]
SWAP_KINDS = ("year", "place")
# The order they are evaluated in. *-absent: the same XQuAD questions with their own paragraph
# left out of the collection (hard negatives, eval.hard_negatives), 1:1 with the answerable ones.
# seed-hard: seed-style hard negatives (eval.seed_hard) and as many answerable dev questions.
SETS = (
    "devset", "unanswerable", "seed-hard", "xquad-vi", "xquad-en", "xquad-vi-absent",
    "xquad-en-absent",
)  # fmt: skip
SEED_SETS = ("devset", "unanswerable", "seed-hard")  # asked of the seed articles


@dataclass
class HeldoutSets:
    """The questions of one half, per set, in evaluation order."""

    xquad: Dataset  # the Vietnamese file: its paragraphs are the XQuAD collection
    sets: dict[str, list[QAItem]]


def build_sets(
    half: str,
    *,
    xquad_dir: Path = XQUAD_DIR,
    devset: Path = DEVSET,
    articles: Path = BUNDLED_ARTICLES,
    per_set: int | None = None,
    seed: int = 0,
) -> HeldoutSets:
    """Every set's questions of ``half``; with ``per_set``, a seeded sample of that many."""
    vietnamese = load_dataset(xquad_dir / "xquad.vi.json", language="vi")
    everything = xquad_items(xquad_dir)  # Vietnamese questions, then the English ones
    chosen = {i.id for i in select_items(take_half(vietnamese.items, half), sample=per_set,
                                         seed=seed)}  # fmt: skip
    xquad = [i for i in everything if i.id in chosen]
    dev = select_items(take_half(load_dataset(devset).items, half), sample=per_set, seed=seed)
    seed_articles = Articles.read(articles)
    constructed = take_half(
        [*swapped_questions(load_dataset(devset).items, seed_articles, seed),
         *xquad_on_seed(everything, seed_articles)], half,
    )  # fmt: skip
    answerable = sum(not item.unanswerable for item in dev)
    return HeldoutSets(vietnamese, {
        "devset": dev,
        "unanswerable": balanced_sample(constructed, answerable, seed),
        "seed-hard": with_answerable(
            select_items(seed_hard_items(half), sample=_halved(per_set), seed=seed),
            take_half(load_dataset(devset).items, half), seed,
        ),
        "xquad-vi": [i for i in xquad if i.language == "vi"],
        "xquad-en": [i for i in xquad if i.language == "en"],
        "xquad-vi-absent": absent_items([i for i in xquad if i.language == "vi"],
                                        vietnamese.paragraphs),
        "xquad-en-absent": absent_items([i for i in xquad if i.language == "en"],
                                        vietnamese.paragraphs),
    })  # fmt: skip


def with_answerable(negatives: list[QAItem], dev: list[QAItem], seed: int) -> list[QAItem]:
    """The negatives, then as many answerable ``dev`` questions (a seeded sample; fewer only if
    the half has fewer)."""
    answerable = [i for i in dev if not i.unanswerable]
    return [*negatives, *select_items(answerable, sample=len(negatives), seed=seed)]


def _halved(per_set: int | None) -> int | None:
    """Negatives in a 1:1 set of ``per_set`` questions."""
    return None if per_set is None else per_set // 2


def balanced_sample(constructed: list[QAItem], size: int, seed: int) -> list[QAItem]:
    """``size`` constructed questions, a seeded sample in their own order: half swapped dev-set
    questions, half XQuAD questions asked of the seed articles (either kind fills what the
    other lacks)."""
    swapped = [i for i in constructed if kind_of(i.id) in SWAP_KINDS]
    foreign = [i for i in constructed if kind_of(i.id) not in SWAP_KINDS]
    from_swaps = min(len(swapped), max(size // 2, size - len(foreign)))  # fill what one lacks
    from_foreign = min(len(foreign), size - from_swaps)
    return [
        *select_items(swapped, sample=from_swaps, seed=seed),
        *select_items(foreign, sample=from_foreign, seed=seed),
    ]


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Evaluate the sets of the half into ``args.out``; print and write the targets table."""
    args.k = settings.top_k if args.k is None else args.k
    held = build_sets(
        args.half, xquad_dir=args.xquad_dir, devset=args.devset, articles=settings.articles_dir,
        per_set=args.per_set, seed=args.seed,
    )  # fmt: skip
    sizes = ", ".join(f"{name} {len(held.sets[name])}" for name in args.sets)
    click.echo(f"half {args.half}: {sizes}", err=True)
    seed_assistant, index = open_assistant(settings, held.xquad)  # the seed articles' index
    summaries, records, stopped = evaluate_sets(settings, args, held, seed_assistant, index)
    if "unanswerable" in records and "devset" in records:
        summaries["abstention"] = write_mix(summaries, records, args, index)
    rows = figures(summaries, records.get("unanswerable", []), records)
    interrupted = stopped or any(s["interrupted"] for s in summaries.values())
    table = format_targets(rows, args.half, args.per_set, interrupted)
    write_targets(args.out, rows, table, run_info(settings, args, "targets", index, None))
    click.echo(table)
    click.secho(f"Results in {args.out}/", dim=True, err=True)
    return 130 if interrupted else 0


def evaluate_sets(
    settings: Settings,
    args: argparse.Namespace,
    held: HeldoutSets,
    seed_assistant: Assistant,
    index: Path,
) -> tuple[dict[str, dict[str, Any]], dict[str, list[Record]], bool]:
    """Each chosen set in turn, until the end or Ctrl-C: (summaries, records, stopped early)."""
    assistants = {name: (seed_assistant, index) for name in SEED_SETS}
    summaries: dict[str, dict[str, Any]] = {}
    records: dict[str, list[Record]] = {}
    for name in args.sets:
        try:
            if name not in assistants:  # the XQuAD index is built (or found) only when needed
                xquad = xquad_assistant(settings, held.xquad, seed_assistant)
                assistants.update({n: xquad for n in SETS if n.startswith("xquad")})
        except KeyboardInterrupt:  # while indexing: the sets done so far still count
            return summaries, records, True
        assistant, folder = assistants[name]
        info = run_info(settings, args, name, folder, assistant)
        asked: QASystem = assistant
        if name.endswith("-absent"):  # each question asked without its own paragraph
            asked = WithoutTheirParagraphs(assistant, held.sets[name])
        result = evaluate(asked, held.sets[name], out_dir=args.out / name, k=args.k, info=info)
        click.echo(format_summary(result.summary) + "\n", err=True)
        summaries[name], records[name] = result.summary, result.records
        if result.interrupted:
            return summaries, records, True
    return summaries, records, False


def xquad_assistant(
    settings: Settings, vietnamese: Dataset, seed_assistant: Assistant
) -> tuple[Assistant, Path]:
    """An assistant over the XQuAD paragraphs sharing the seed assistant's models."""
    click.echo("indexing the XQuAD paragraphs (once; cached afterwards)", err=True)
    folder = dataset_index(vietnamese.paragraphs, vietnamese.name, settings,
                           seed_assistant.embedder)  # fmt: skip
    assistant = Assistant.load(folder, settings, embedder=seed_assistant.embedder,
                               generator=seed_assistant.generator)  # fmt: skip
    return assistant, folder


def write_mix(
    summaries: dict[str, dict[str, Any]],
    records: dict[str, list[Record]],
    args: argparse.Namespace,
    index: Path,
) -> dict[str, Any]:
    """The constructed unanswerable results with as many answerable dev-set results."""
    unanswerable = [r for r in records["unanswerable"] if not r["error"]]
    answerable = [
        r for r in records.get("devset", []) if not r["error"] and not r["gold"]["unanswerable"]
    ]
    size = min(len(unanswerable), len(answerable))
    mixed = [*_pick(answerable, size, args.seed), *_pick(unanswerable, size, args.seed)]
    interrupted = any(s["interrupted"] for s in summaries.values())  # a mix of what was done
    summary = build_summary(
        mixed, k=args.k, retrieval_only=False, total=2 * size, interrupted=interrupted,
        seconds=sum(r["timings"].get("total", 0.0) for r in mixed),
        info={"dataset": "abstention", "half": args.half, "index": str(index),
              "qa_file": "devset (answerable) + unanswerable", "format": "mixed"},
    )  # fmt: skip
    out = args.out / "abstention"
    out.mkdir(parents=True, exist_ok=True)
    with (out / RESULTS).open("w", encoding="utf-8") as sink:
        sink.writelines(json.dumps(record, ensure_ascii=False) + "\n" for record in mixed)
    write_outputs(out, summary, mixed)
    return summary


def _pick(records: list[Record], size: int, seed: int) -> list[Record]:
    """A seeded choice of ``size`` records, in their order (equal sizes unless some failed)."""
    picked = set(random.Random(seed).sample(range(len(records)), size))
    return [record for i, record in enumerate(records) if i in picked]


def run_info(
    settings: Settings, args: argparse.Namespace, name: str, index: Path,
    assistant: Assistant | None,
) -> dict[str, Any]:  # fmt: skip
    return {
        "dataset": name, "half": args.half, "index": str(index),
        "qa_file": _qa_file(args, name),
        "format": "heldout", "selection": {"per_set": args.per_set, "seed": args.seed},
        "embedder": assistant.embedder.model_id if assistant else settings.embedder,
        "generator": settings.generator, "generator_backend": settings.generator_backend,
        "engine": engine_for(settings, load_profile(settings.resolved_models_dir)[0])[0].label,
    }  # fmt: skip


def _qa_file(args: argparse.Namespace, name: str) -> str:
    if name.startswith("xquad"):
        return str(args.xquad_dir)
    return f"{SEED_HARD} + {args.devset}" if name == "seed-hard" else str(args.devset)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    args.out = args.out or DEFAULT_OUT / f"heldout-{args.half}"
    # Ctrl-C while indexing; an interrupted evaluation returns normally.
    return exit_status(lambda: run(Settings(), args))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m eval.heldout", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--half", choices=HALVES, required=True, help="which half to evaluate")
    p.add_argument("--per-set", type=positive_int, help="a seeded sample of N questions per set")
    p.add_argument("--seed", type=int, default=0, help="seed of samples and swaps (default 0)")
    p.add_argument("--out", type=Path, help="output folder (default eval-out/heldout-HALF)")
    p.add_argument("--xquad-dir", type=Path, default=XQUAD_DIR, help="folder of xquad.*.json")
    p.add_argument("--devset", type=Path, default=DEVSET, help="the development set")
    p.add_argument(
        "--sets",
        type=_set_names,
        default=SETS,
        help=f"comma-separated sets to evaluate (default: {','.join(SETS)})",
    )
    p.add_argument("--k", type=positive_int, help="passages per question (default: RAG_TOP_K)")
    return p


def _set_names(text: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    unknown = [n for n in names if n not in SETS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown set(s) {unknown or text!r}; choose from {SETS}")
    return tuple(n for n in SETS if n in names)  # always in the order of SETS


if __name__ == "__main__":
    sys.exit(main())
