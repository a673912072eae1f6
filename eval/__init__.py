"""Evaluation of retrieval and answers over Q&A files, and the development set.

    rag eval eval/devset.jsonl [--k 5] [--out DIR] [--limit N] [--retrieval-only]
    python -m eval eval/devset.jsonl                      # the same command
    python -m eval.xquad_benchmark --retrieval-only       # XQuAD, Vietnamese and English questions

Modules: ``datasets`` (readers), ``metrics`` (scores), ``corpus`` (which index is searched),
``runner`` (the loop and ``run_from_cli``), ``report`` and ``plots`` (what is written),
``xquad`` (the cross-lingual XQuAD items).
"""

from pathlib import Path

DEVSET = Path(__file__).with_name("devset.jsonl")
