"""The evaluation command: ``rag eval`` and ``python -m eval`` are this one click command."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from rag.console import current_settings, friendly_errors


@click.command("eval")
@click.argument("qa_file", type=click.Path(path_type=Path))
@click.option(
    "-k",
    "--k",
    "k",
    type=click.IntRange(1, 100),
    help="Passages per question (default: RAG_TOP_K).",
)
@click.option(
    "--out", type=click.Path(path_type=Path), help="Folder for results (default: eval-out/<name>)."
)
@click.option("--limit", type=click.IntRange(1), help="Only the first N questions.")
@click.option("--sample", type=click.IntRange(1), help="A seeded random sample of N questions.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of --sample.")
@click.option("--retrieval-only", is_flag=True, help="Skip answer generation (fast).")
@click.option("--corpus-from-dataset", is_flag=True, help="Index a SQuAD file's own paragraphs.")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="Index folder.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@friendly_errors
def eval_command(**options: Any) -> None:
    """Evaluate retrieval and answers over Q&A pairs (JSONL, CSV, SQuAD JSON).

    \b
      rag eval eval/devset.jsonl
      rag eval ../shared/data/xquad/xquad.vi.json --corpus-from-dataset --retrieval-only
      rag eval my_questions.csv --out results/ --limit 50
      rag eval ../shared/data/xquad/xquad.vi.json --corpus-from-dataset --sample 200
    """
    from eval.runner import run_from_cli

    run_from_cli(current_settings(), **options)
